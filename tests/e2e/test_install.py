"""`make install`: the layout a Debian admin expects, with sane modes, and a
real Apache serving the installed tree from the README's example virtual
host (login, a contact import, the dial page and a call).

The install goes into a DESTDIR under /tmp; Apache runs its workers as
www-data when the tests run as root, so everything it reads is left
readable to them, as on a real machine.
"""
import csv
import io
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import BUILD, ROOT, clean_env, free_port

PREFIX = "/usr/local"
PROGRAMS = sorted(name[:-2] for name in os.listdir(os.path.join(ROOT, "cgi-bin"))
                  if name.endswith(".c"))
ADMIN_PW = "installed-admin-pw-1"


def make(*args, check=True):
    """make in the checkout with nothing from the caller's environment that
    would move the install (PREFIX, DESTDIR, ...) or confuse a nested make."""
    env = clean_env()
    for name in ("PREFIX", "DESTDIR", "SYSCONFDIR", "LOCALSTATEDIR", "MAKEFLAGS",
                 "MAKELEVEL", "MFLAGS", "BUILD", "SAN"):
        env.pop(name, None)
    with open(os.path.join(BUILD, "dialerctl"), "rb") as f:
        san = b"__asan_init" in f.read()
    p = subprocess.run(["make", "--no-print-directory", *args, "BUILD=" + BUILD,
                        "SAN=%d" % san], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=900)
    if check:
        assert p.returncode == 0, (args, p.stdout[-4000:], p.stderr[-4000:])
    return p


def new_destdir():
    d = tempfile.mkdtemp(prefix="dialer-install-")
    os.chmod(d, 0o755)
    return d


def tree(root):
    """{relative path: lstat} of everything under root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            out[os.path.relpath(p, root)] = os.lstat(p)
    return out


def repo_files(folder):
    return sorted(os.path.relpath(os.path.join(d, f), ROOT)
                  for d, _dirs, files in os.walk(os.path.join(ROOT, folder)) for f in files)


def settings_read_by_programs():
    """Every KEY the code reads with config_get*()."""
    keys = set()
    for folder in ("lib", "cgi-bin", "tools"):
        for name in os.listdir(os.path.join(ROOT, folder)):
            if name.endswith((".c", ".cc")):
                with open(os.path.join(ROOT, folder, name), encoding="utf-8") as f:
                    keys.update(re.findall(r'config_get(?:_long|_bool)?\(\s*"([A-Z0-9_]+)"',
                                           f.read()))
    return keys


def config_defaults():
    """KEY -> default from lib/config.c's table (where it has one)."""
    with open(os.path.join(ROOT, "lib", "config.c"), encoding="utf-8") as f:
        return dict(re.findall(r'\{ "([A-Z0-9_]+)", "([^"]*)", [01] \}', f.read()))


@pytest.fixture(scope="module")
def destdir():
    d = new_destdir()
    make("install", "DESTDIR=" + d)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_layout_and_modes(destdir):
    files = tree(destdir)
    lib = "usr/local/lib/colddialer/cgi-bin/"
    share = "usr/local/share/colddialer/"
    want = {"usr/local/sbin/dialerctl": 0o755,
            "etc/colddialer/dialer.conf.sample": 0o644,
            "etc/colddialer/dialer.conf": 0o640,
            "var/lib/colddialer": 0o750,
            "var/log/colddialer": 0o750,
            share + "sql": 0o755,
            share + "html/vendor": 0o755}
    want.update({lib + p: 0o755 for p in PROGRAMS})
    want.update({share + p: 0o644 for p in repo_files("html") + repo_files("sql")})
    want.update({share + name: 0o644 for name in ("apache.conf", "lighttpd.conf")
                 if os.path.exists(os.path.join(ROOT, name))})
    assert share + "html/vendor/twilio.min.js" in want
    for path, mode in sorted(want.items()):
        assert path in files, path
        assert stat.S_IMODE(files[path].st_mode) == mode, (path, oct(files[path].st_mode))
    # Nothing else under the program and page folders, nothing world-writable,
    # set-id, or owned by anyone but the installer (DESTDIR: no chown).
    for path, st in files.items():
        if path.startswith((lib, share)):
            assert path.rstrip("/") in want or stat.S_ISDIR(st.st_mode), path
        assert not st.st_mode & (stat.S_IWOTH | stat.S_ISUID | stat.S_ISGID), path
        assert not stat.S_ISLNK(st.st_mode), path
        assert st.st_uid == os.geteuid(), path
    # Installed copies are the checkout's and the build's, byte for byte.
    for src, dst in [(os.path.join(BUILD, "dialerctl"), "usr/local/sbin/dialerctl"),
                     (os.path.join(ROOT, "apache.conf"), share + "apache.conf"),
                     (os.path.join(ROOT, "html", "dial.html"), share + "html/dial.html"),
                     (os.path.join(ROOT, "sql", "001_init.sql"), share + "sql/001_init.sql")]:
        with open(src, "rb") as a, open(os.path.join(destdir, dst), "rb") as b:
            assert a.read() == b.read(), dst


def test_sample_config_names_every_setting(destdir):
    with open(os.path.join(destdir, "etc/colddialer/dialer.conf.sample"), encoding="utf-8") as f:
        text = f.read()
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") and "=" not in line or line.startswith("# "):
            continue
        m = re.match(r"^#?([A-Z0-9_]+)=(.*)$", line)
        assert m, line
        settings[m.group(1)] = (m.group(2), line.startswith("#"))
    missing = settings_read_by_programs() - set(settings)
    assert not missing, "add to etc/dialer.conf.sample: %s" % sorted(missing)
    # Commented lines show the default; the two set lines are what an
    # installed server needs: its state and log folders.
    for key, dflt in config_defaults().items():
        if settings[key][1]:
            assert settings[key][0] == dflt, (key, settings[key], dflt)
    assert settings["DIALER_DB"] == ("/var/lib/colddialer/dialer.db", False)
    assert settings["DIALER_LOG"] == ("/var/log/colddialer/requests.log", False)
    assert [k for k, (_v, commented) in settings.items() if not commented] == \
        ["DIALER_DB", "DIALER_LOG"]
    with open(os.path.join(destdir, "etc/colddialer/dialer.conf"), encoding="utf-8") as f:
        assert f.read() == text


def test_reinstall_keeps_the_admins_config(destdir):
    conf = os.path.join(destdir, "etc/colddialer/dialer.conf")
    with open(conf, "a", encoding="utf-8") as f:
        f.write("DIALER_PROVIDER=twilio\n")
    with open(conf, encoding="utf-8") as f:
        edited = f.read()
    make("install", "DESTDIR=" + destdir)
    with open(conf, encoding="utf-8") as f:
        assert f.read() == edited


def test_dry_run_lists_the_commands_and_touches_nothing():
    d = new_destdir()
    try:
        p = make("-n", "install", "DESTDIR=" + d)
        assert os.listdir(d) == []
        out = p.stdout
        for dest in ("/usr/local/sbin/", "/usr/local/lib/colddialer/cgi-bin/",
                     "/usr/local/share/colddialer/html/vendor/", "/usr/local/share/colddialer/sql/",
                     "/etc/colddialer/dialer.conf.sample", "/var/lib/colddialer"):
            assert d + dest in out, dest
        # One readable line per step, no shell loops.
        assert "for " not in out and "; do" not in out
        assert "www-data" not in out, "DESTDIR stages: nothing is chowned"
        # For real, as root, the web server's user gets its folders and
        # reads the settings through its group.
        if os.geteuid() == 0:
            out = make("-n", "install", "PREFIX=/nonexistent/prefix").stdout
            assert re.search(r"install -d -m 0750 -o www-data -g www-data "
                             r"/var/lib/colddialer /var/log/colddialer", out), out
            assert re.search(r"install -m 0640 -g www-data \S+/dialer.conf.sample "
                             r"/etc/colddialer/dialer.conf", out), out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_other_prefixes_and_uninstall():
    d = new_destdir()
    try:
        make("install", "DESTDIR=" + d, "PREFIX=/opt/cd", "SYSCONFDIR=/opt/cd/etc",
             "LOCALSTATEDIR=/opt/cd/var")
        assert os.access(os.path.join(d, "opt/cd/sbin/dialerctl"), os.X_OK)
        assert os.path.isfile(os.path.join(d, "opt/cd/lib/colddialer/cgi-bin/auth_login"))
        with open(os.path.join(d, "opt/cd/etc/colddialer/dialer.conf.sample")) as f:
            sample = f.read()
        assert "\nDIALER_DB=/opt/cd/var/lib/colddialer/dialer.db\n" in sample
        assert "\nDIALER_LOG=/opt/cd/var/log/colddialer/requests.log\n" in sample
        assert not os.path.exists(os.path.join(d, "usr")) and not os.path.exists(os.path.join(d, "etc"))
        with open(os.path.join(d, "opt/cd/var/lib/colddialer/dialer.db"), "w") as f:
            f.write("the admin's data")
        make("uninstall", "DESTDIR=" + d, "PREFIX=/opt/cd", "SYSCONFDIR=/opt/cd/etc",
             "LOCALSTATEDIR=/opt/cd/var")
        left = sorted(tree(d))
        # The data and the admin's settings stay; everything installed goes.
        assert "opt/cd/var/lib/colddialer/dialer.db" in left
        assert "opt/cd/etc/colddialer/dialer.conf" in left
        assert not [p for p in left if p.startswith(("opt/cd/lib/colddialer", "opt/cd/share/colddialer",
                                                     "opt/cd/sbin/dialerctl"))]
        assert "opt/cd/etc/colddialer/dialer.conf.sample" not in left
    finally:
        shutil.rmtree(d, ignore_errors=True)


# --- a real Apache from the installed tree -------------------------------

def as_www_data(argv):
    if os.geteuid() == 0:
        return ["runuser", "-u", "www-data", "--", *argv]
    return argv


def chown_www_data(path, recursive=False):
    if os.geteuid() != 0:
        return
    subprocess.run(["chown", *(["-R"] if recursive else []), "www-data:www-data", path],
                   check=True)


def vhost_config(destdir, run, port, conf):
    """What a Debian admin's Apache holds: the server's own settings (here a
    throwaway ServerRoot) and the README's virtual host, word for word."""
    share = destdir + PREFIX + "/share/colddialer"
    cgi = destdir + PREFIX + "/lib/colddialer/cgi-bin"
    mods = ["mpm_event", "authz_core", "alias", "dir", "mime", "headers", "fcgid", "unique_id", "setenvif"]
    return "\n".join(
        ["ServerRoot %s" % run, "PidFile %s/httpd.pid" % run, "ErrorLog %s/error.log" % run,
         "Listen 127.0.0.1:%d" % port, "ServerName 127.0.0.1", "TypesConfig /etc/mime.types",
         "User www-data", "Group www-data",
         "FcgidIPCDir %s/fcgid" % run, "FcgidProcessTableFile %s/fcgid_shm" % run]
        + ["LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so" % (m, m) for m in mods]
        + [
            # README: the server-wide mod_fcgid settings (conf-available).
            "FcgidMaxProcesses 300",
            "FcgidSpawnScoreUpLimit 300",
            "FcgidSpawnScore 1",
            "FcgidTerminationScore 1",
            # README: the virtual host.
            "<VirtualHost 127.0.0.1:%d>" % port,
            "    ServerName dialer.example.com",
            "    Define DIALER_HTML %s/html" % share,
            "    Define DIALER_CGI  %s" % cgi,
            "    FcgidInitialEnv DIALER_CONFIG %s" % conf,
            "    Include %s/apache.conf" % share,
            "</VirtualHost>", ""])


@pytest.fixture(scope="module")
def installed_server(destdir):
    run = tempfile.mkdtemp(prefix="dialer-install-run-")
    os.chmod(run, 0o755)
    proc = None
    try:
        proc = start_apache(destdir, run)
        yield {"base": proc.base, "state": destdir + "/var/lib/colddialer",
               "logs": destdir + "/var/log/colddialer"}
    finally:
        if proc is not None:
            stop_apache(proc)
        shutil.rmtree(run, ignore_errors=True)


def start_apache(destdir, run):
    """The admin's steps: settings from the sample, the folders the web
    server's user writes, the first admin made as that user; then Apache."""
    port = free_port()
    state = destdir + "/var/lib/colddialer"
    logs = destdir + "/var/log/colddialer"
    conf = destdir + "/etc/colddialer/dialer.conf"
    with open(destdir + "/etc/colddialer/dialer.conf.sample", encoding="utf-8") as f:
        text = f.read()
    text = text.replace("/var/lib/colddialer", state).replace("/var/log/colddialer", logs)
    text += "\n# plain http on loopback only\nDIALER_COOKIE_SECURE=0\n"
    with open(conf, "w", encoding="utf-8") as f:
        f.write(text)
    chown_www_data(state)
    chown_www_data(logs)
    if os.geteuid() == 0:
        subprocess.run(["chgrp", "www-data", conf], check=True)
    env = clean_env()
    env.update({"DIALER_CONFIG": conf, "DIALER_ADMIN_PASSWORD": ADMIN_PW})
    p = subprocess.run(as_www_data([destdir + PREFIX + "/sbin/dialerctl", "ensure-admin"]),
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    httpd_conf = os.path.join(run, "httpd.conf")
    with open(httpd_conf, "w", encoding="utf-8") as f:
        f.write(vhost_config(destdir, run, port, conf))
    check = subprocess.run(["/usr/sbin/apache2", "-t", "-f", httpd_conf],
                           capture_output=True, text=True, env=clean_env())
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(["/usr/sbin/apache2", "-f", httpd_conf, "-D", "FOREGROUND"],
                            env=clean_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    proc.base = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(proc.base + "/api/v1/auth/me", timeout=2)
            return proc
        except requests.RequestException:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_apache(proc)
                with open(os.path.join(run, "error.log"), errors="replace") as f:
                    pytest.fail("Apache did not start:\n" + f.read()[-4000:])
            time.sleep(0.1)


def stop_apache(proc):
    """Apache and every child it started (they share its process group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_installed_tree_serves(installed_server):
    base = installed_server["base"]
    r = requests.get(base + "/dial", timeout=30)
    assert r.status_code == 200 and "<html" in r.text.lower()
    assert "twilio.com" in r.headers["Content-Security-Policy"]
    r = requests.get(base + "/js/app.js", timeout=30)
    assert r.status_code == 200 and "javascript" in r.headers["Content-Type"]
    assert requests.get(base + "/vendor/twilio.min.js", timeout=30).status_code == 200

    s = requests.Session()
    r = s.post(base + "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PW},
               timeout=30)
    assert r.status_code == 200, r.text
    s.headers["X-CSRF-Token"] = r.json()["csrf_token"]

    body = io.StringIO()
    w = csv.writer(body)
    w.writerows([["name", "company", "phone"], ["Ada Installed", "Acme", "+1 202 555 0171"],
                 ["Bo Installed", "Acme", "(415) 555-0172"], ["Cy Installed", "Acme", "bad"]])
    r = s.post(base + "/api/v1/contacts/import",
               files={"file": ("installed.csv", body.getvalue(), "text/csv")}, timeout=60)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert (rep["imported"], rep["skipped"]) == (2, 1), rep
    r = s.get(base + "/api/v1/contacts", params={"list_id": rep["list_id"]}, timeout=30)
    assert r.status_code == 200 and r.json()["total"] == 2
    contact = r.json()["items"][0]

    r = s.post(base + "/api/v1/calls", json={"contact_id": contact["id"]}, timeout=30)
    assert r.status_code == 201, r.text
    assert r.json()["call"]["provider"] == "sim"
    r = s.post(base + "/api/v1/calls/%d/end" % r.json()["call"]["id"], timeout=30)
    assert r.status_code == 200, r.text

    r = requests.get(base + "/api/v1/nothing-here", timeout=30)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    # The database and the request log are where the config says, the
    # web server's.
    db = os.path.join(installed_server["state"], "dialer.db")
    log = os.path.join(installed_server["logs"], "requests.log")
    assert os.path.isfile(db) and os.path.isfile(log)
    with open(log, encoding="utf-8") as f:
        assert [line for line in f if "contacts_import" in line and "status=200" in line]
    if os.geteuid() == 0:
        import pwd
        www = pwd.getpwnam("www-data").pw_uid
        assert os.stat(db).st_uid == www and os.stat(log).st_uid == www
