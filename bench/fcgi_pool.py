"""A pre-started pool of FastCGI processes on one Unix socket, for
bench/alt_proxy_fcgi.sh (Apache mod_proxy_fcgi instead of mod_fcgid).

    /usr/bin/python3 bench/fcgi_pool.py SOCKET N PROGRAM [USER]

Binds SOCKET, starts N copies of PROGRAM with it as file descriptor 0 (the
FastCGI convention: libfcgi accepts on it), as USER (www-data), and stops
them on SIGTERM or SIGINT. A process that exits is started again. The
environment is passed through unchanged.
"""
import os
import pwd
import signal
import socket
import sys


def main():
    path, n, prog = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    user = pwd.getpwnam(sys.argv[4] if len(sys.argv) > 4 else "www-data")
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chown(path, user.pw_uid, user.pw_gid)
    os.chmod(path, 0o660)
    s.listen(256)
    kids = set()
    stopping = False

    def start():
        pid = os.fork()
        if pid == 0:
            try:
                os.dup2(s.fileno(), 0)
                os.setgroups([])
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
                os.execv(prog, [prog])
            finally:
                os._exit(127)
        kids.add(pid)

    def stop(*_):
        nonlocal stopping
        stopping = True
        for k in list(kids):
            try:
                os.kill(k, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(n):
        start()
    while kids:
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        kids.discard(pid)
        if not stopping:
            start()
    os.unlink(path)


if __name__ == "__main__":
    main()
