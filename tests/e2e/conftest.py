"""End-to-end harness: the real server started by tools/serve.sh on a free
loopback port with a fresh state folder: Apache + mod_fcgid from apache.conf,
or with DIALER_SERVER=lighttpd, lighttpd + mod_fastcgi from lighttpd.conf.

Run with
    DIALER_BUILD=build /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e
    DIALER_SERVER=lighttpd DIALER_BUILD=build /usr/bin/python3 -m pytest ... tests/e2e

Tests about one server itself (its own log format, its own files) are marked
@pytest.mark.server("apache") and left out (deselected) under the other;
every API test runs under both.

Fixtures
  server          the session's server (default limits, per-address login
                  throttle raised so the many bad-login tests do not lock
                  out 127.0.0.1)
  server_factory  start another server with other settings (stopped at the
                  end of the test that asked for it)
  admin           a logged-in admin session (requests.Session with the
                  cookie and X-CSRF-Token)
  operator        a fresh operator: (session, user dict, password)
"""
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import requests
from urllib3.util.retry import Retry

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

BUILD = os.path.abspath(os.environ.get("DIALER_BUILD") or os.path.join(ROOT, "build"))
SERVER = os.environ.get("DIALER_SERVER") or "apache"
if SERVER not in ("apache", "lighttpd"):
    raise RuntimeError("DIALER_SERVER is apache or lighttpd, not %r" % SERVER)
SERVE = os.path.join(ROOT, "tools", "serve.sh")
DIALERCTL = os.path.join(BUILD, "dialerctl")

ADMIN_PASSWORD = "admin-" + secrets.token_urlsafe(12)
START_TIMEOUT = 20.0


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def clean_env():
    """The test process's environment without any DIALER_*/TWILIO_*/TELNYX_*
    setting that could leak from the caller into the server."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DIALER_", "TWILIO_", "TELNYX_"))}
    env.pop("PORT", None)
    env["SERVER"] = SERVER
    return env


class Server:
    """One running instance of tools/serve.sh (the server in the foreground)."""

    def __init__(self, extra_env=None, var=None):
        self.kind = SERVER
        self.port = free_port()
        self.own_var = var is None
        self.var = var or tempfile.mkdtemp(prefix="dialer-e2e-")
        self.api_key = "k-" + secrets.token_urlsafe(24)
        self.admin_password = ADMIN_PASSWORD
        self.base = "http://127.0.0.1:%d" % self.port
        self.db_path = os.path.join(self.var, "dialer.db")
        self.log_dir = os.path.join(self.var, "log")
        self.env = clean_env()
        self.env.update({
            "PORT": str(self.port),
            "DIALER_VAR": self.var,
            "DIALER_ADMIN_PASSWORD": self.admin_password,
            "DIALER_API_KEY": self.api_key,
            "DIALER_LOGIN_MAX_PER_ADDR": "10000",
            # Where providers call back: this server, as Twilio would sign it.
            "DIALER_PUBLIC_URL": self.base,
            # Suites dial at whatever hour CI runs; the calling-hours tests
            # set a window (and a test clock) of their own.
            "DIALER_CALLING_HOURS": "00:00-24:00",
        })
        if extra_env:
            self.env.update({k: str(v) for k, v in extra_env.items()})
        self.out_path = os.path.join(tempfile.gettempdir(),
                                     "dialer-e2e-serve-%d.log" % self.port)
        self.proc = None

    # -- life cycle ---------------------------------------------------
    def start(self):
        self._out = open(self.out_path, "wb")
        self.proc = subprocess.Popen([SERVE, BUILD], cwd=ROOT, env=self.env,
                                     stdout=self._out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                requests.get(self.url("/api/v1/auth/me"), timeout=2)
                return self
            except requests.RequestException as e:  # not up yet
                last = e
                time.sleep(0.1)
        diag = self.diagnostics()
        self.stop()
        raise RuntimeError("server did not answer within %.0fs (%r)\n%s"
                           % (START_TIMEOUT, last, diag))

    def diagnostics(self):
        parts = []
        for title, path in (("serve.sh output", self.out_path),
                            ("error.log", os.path.join(self.log_dir, "error.log"))):
            try:
                with open(path, "rb") as f:
                    parts.append("---- %s ----\n%s" % (title, f.read()[-8000:].decode("utf-8", "replace")))
            except OSError as e:
                parts.append("---- %s: %s" % (title, e))
        return "\n".join(parts)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        # The server's children share the group: make sure none outlive it.
        if self.proc is not None:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if not group_running(self.proc.pid):
                    break
                time.sleep(0.05)
            else:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if getattr(self, "_out", None):
            self._out.close()
            self._out = None
        self.proc = None

    def cleanup(self):
        self.stop()
        if self.own_var:
            shutil.rmtree(self.var, ignore_errors=True)
        try:
            os.unlink(self.out_path)
        except OSError:
            pass

    # -- helpers --------------------------------------------------------
    def url(self, path):
        return self.base + path

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 60)
        return requests.request(method, self.url(path), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def api_headers(self, extra=None):
        h = {"X-API-Key": self.api_key}
        if extra:
            h.update(extra)
        return h

    def api(self, method, path, **kw):
        kw["headers"] = self.api_headers(kw.get("headers"))
        return self.request(method, path, **kw)

    def login(self, username, password, expect=200):
        s = requests.Session()
        # A logged-in session lives across many tests, and its kept-alive
        # connection may sit idle for exactly as long as the server keeps
        # one (5 s in both servers): the server's close can cross the next
        # request, which then fails before any answer. Browsers send a
        # GET again in that case; so does this session, once, and never
        # anything else.
        s.mount("http://", requests.adapters.HTTPAdapter(max_retries=Retry(
            total=1, connect=0, read=1, status=0, redirect=0,
            allowed_methods=frozenset(("GET", "HEAD")), raise_on_status=False)))
        r = s.post(self.url("/api/v1/auth/login"),
                   json={"username": username, "password": password}, timeout=30)
        assert r.status_code == expect, (r.status_code, r.text)
        if r.status_code == 200:
            s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
            s.login_response = r
        return s

    def create_user(self, username=None, password=None, role="operator"):
        username = username or "op-" + uuid.uuid4().hex[:10]
        password = password or "pw-" + secrets.token_urlsafe(10)
        r = self.api("POST", "/api/v1/users",
                     json={"username": username, "password": password, "role": role})
        assert r.status_code == 201, r.text
        return r.json()["user"], password

    def db(self):
        """A read-only connection to the server's database."""
        return ReadOnlyDB(self.db_path)

    def db_scalar(self, sql, *args):
        with self.db() as c:
            return c.execute(sql, args).fetchone()[0]

    def db_write(self, sql, *args):
        """Change the database behind the server's back (as root); the files
        are handed back to www-data afterwards."""
        con = sqlite3.connect(self.db_path, timeout=10)
        try:
            con.execute(sql, args)
            con.commit()
        finally:
            con.close()
        give_back(self.var)

    def log_text(self, name):
        with open(os.path.join(self.log_dir, name), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def counts(self):
        """(contact_lists rows, contacts rows): what an upload stored."""
        with self.db() as c:
            return (c.execute("SELECT COUNT(*) FROM contact_lists").fetchone()[0],
                    c.execute("SELECT COUNT(*) FROM contacts").fetchone()[0])


def group_commands(pgid):
    """The command names of the group's live processes. Zombies do not
    count: lighttpd exits without reaping its programs, which then wait for
    init to collect them, holding nothing."""
    names = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces or parentheses.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            names.append(stat[stat.index("(") + 1:stat.rindex(")")])
    return names


def group_running(pgid):
    """Whether a process of the group still runs."""
    return bool(group_commands(pgid))


def give_back(var):
    """Files root created under the state folder must stay www-data's."""
    if os.geteuid() != 0:
        return
    try:
        import pwd
        pw = pwd.getpwnam("www-data")
    except KeyError:
        return
    for name in os.listdir(var):
        if name.startswith("dialer.db"):
            try:
                os.chown(os.path.join(var, name), pw.pw_uid, pw.pw_gid)
            except OSError:
                pass


class ReadOnlyDB:
    def __init__(self, path):
        self.path = path
        self.con = None

    def __enter__(self):
        self.con = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=10)
        return self.con

    def __exit__(self, *exc):
        self.con.close()
        give_back(os.path.dirname(self.path))
        return False


# --- one server only -----------------------------------------------------

def pytest_configure(config):
    config.addinivalue_line(
        "markers", "server(name): the test is about that server itself, not the API")


def pytest_collection_modifyitems(config, items):
    other = [i for i in items
             if i.get_closest_marker("server") and i.get_closest_marker("server").args[0] != SERVER]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [i for i in items if i not in other]


# --- fixtures -----------------------------------------------------------

@pytest.fixture(scope="session")
def server():
    assert os.access(os.path.join(BUILD, "cgi-bin", "auth_login"), os.X_OK), \
        "build first: make (DIALER_BUILD=%s)" % BUILD
    srv = Server().start()
    yield srv
    srv.cleanup()


@pytest.fixture
def server_factory():
    started = []

    def start(extra_env=None, var=None):
        srv = Server(extra_env, var)
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        srv.cleanup()


@pytest.fixture(scope="session")
def admin(server):
    return server.login("admin", server.admin_password)


@pytest.fixture
def operator(server):
    user, password = server.create_user()
    return server.login(user["username"], password), user, password


@pytest.fixture
def api(server):
    return server.api_headers()


# --- assertions shared by the test files ---------------------------------

def assert_error(r, status, code=None):
    """The status and the error envelope {"error":{"code","message","details"}}."""
    assert r.status_code == status, (r.status_code, r.text[:2000])
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "details"}, err
    assert isinstance(err["code"], str) and err["code"]
    assert isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code, err
    # Errors carry the request id and the security headers like any answer.
    assert_common_headers(r)
    return err


def assert_common_headers(r):
    assert r.headers.get("X-Request-Id"), (r.url, dict(r.headers))
    csp = r.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, csp
    assert "frame-ancestors" in csp, csp
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("Referrer-Policy")
