"""What could differ between Apache (apache.conf) and lighttpd (lighttpd.conf),
run against whichever server this session serves with (DIALER_SERVER): every
route reaches its own program, the security headers are on static files,
program answers and the server's own errors, the dial page has its policy,
databases and configuration are never served. Then lighttpd.conf deployed
the way the README tells an admin to, inside a host of Debian's own config."""
import http.client
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import (BUILD, DIALERCTL, ROOT, Server, assert_common_headers, free_port,
                      group_commands, group_running)

STRICT_CSP = ("default-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
              "form-action 'self'; object-src 'none'")
DIAL_CSP = ("default-src 'self'; connect-src 'self' https://*.twilio.com wss://*.twilio.com "
            "https://*.telnyx.com wss://*.telnyx.com; media-src 'self' blob: https://*.twilio.com "
            "https://*.telnyx.com; worker-src 'self' blob:; img-src 'self' data:; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# (method, path, the program that must answer): every rule of both configs,
# and paths just beside them that belong to another.
ROUTES = [
    ("POST", "/api/v1/auth/login", "auth_login"),
    ("POST", "/api/v1/auth/logout", "auth_logout"),
    ("GET", "/api/v1/auth/me", "auth_me"),
    ("POST", "/api/v1/contacts/import", "contacts_import"),
    ("GET", "/api/v1/contacts", "contacts"),
    ("GET", "/api/v1/lists", "lists"),
    ("DELETE", "/api/v1/lists/7", "lists"),
    ("GET", "/api/v1/users", "users"),
    ("PATCH", "/api/v1/users/3", "users"),
    ("GET", "/api/v1/calls.csv", "exports"),
    ("GET", "/api/v1/contacts.csv", "exports"),
    ("GET", "/api/v1/stats", "stats"),
    ("GET", "/api/v1/calls", "calls"),
    ("GET", "/api/v1/calls/5", "calls"),
    ("POST", "/api/v1/calls/5/end", "calls"),
    ("GET", "/api/v1/health", "health"),
    ("POST", "/api/v1/twilio/voice", "webhooks"),
    ("POST", "/api/v1/twilio/call-status", "webhooks"),
    ("POST", "/api/v1/telnyx/events", "webhooks"),
    ("GET", "/aicallgo/api/v1/cold-call/status/CF123", "cold_call"),
    ("POST", "/aicallgo/api/v1/cold-call/initiate", "cold_call"),
    ("GET", "/api/v2/contacts", "not_found"),
    ("GET", "/api/v1/contactsx", "not_found"),
    ("GET", "/api/v1/lists/7/contacts", "not_found"),
    ("GET", "/api/v1/stats/x", "not_found"),
    ("GET", "/api/v1/calls.json", "not_found"),
    ("GET", "/api/v1/twilio/Voice", "not_found"),
    ("GET", "/aicallgo/api/v2/x", "not_found"),
]


def logged_program(server, rid):
    """The program= of the requests.log line with this request id (the line
    is written as the answer goes out: allow it a moment)."""
    deadline = time.monotonic() + 5
    while True:
        for line in server.log_text("requests.log").splitlines():
            if " request_id=%s " % rid in line:
                return line.split(" program=", 1)[1].split(" ", 1)[0]
        assert time.monotonic() < deadline, "request id %s never logged" % rid
        time.sleep(0.05)


@pytest.mark.parametrize("method,path,program", ROUTES)
def test_each_route_reaches_its_program(server, method, path, program):
    r = server.api(method, path, data=b"")
    rid = r.headers.get("X-Request-Id")
    assert rid, (path, r.status_code, dict(r.headers))
    assert logged_program(server, rid) == program, (method, path)
    assert_security_headers(r, STRICT_CSP)


def assert_security_headers(r, csp):
    assert r.headers.get("Content-Security-Policy") == csp, (r.url, r.headers)
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (r.url, name, r.headers.get(name))


@pytest.mark.parametrize("path,ctype", [
    ("/", "text/html"),
    ("/index.html", "text/html"),
    ("/css/dial.css", "text/css"),
    ("/js/app.js", "text/javascript"),
    ("/errors/404.json", "application/json"),
])
def test_static_files_carry_the_security_headers(server, path, ctype):
    r = server.get(path)
    assert r.status_code == 200, (path, r.status_code)
    assert r.headers["Content-Type"].startswith(ctype), r.headers
    assert_security_headers(r, STRICT_CSP)
    if server.kind == "apache":
        # mod_unique_id gives Apache's own answers an id; lighttpd cannot
        # (see lighttpd.conf), only its programs' answers have one.
        assert r.headers.get("X-Request-Id")


@pytest.mark.parametrize("path", ["/dial", "/dial/"])
def test_dial_page_has_its_own_policy(server, path):
    r = server.get(path)
    assert r.status_code == 200
    assert b"<title>Dialer" in r.content
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers.get("Cache-Control") == "no-cache"
    assert_security_headers(r, DIAL_CSP)


@pytest.mark.parametrize("path", ["/dial.html", "/dialx", "/dial/x"])
def test_only_the_dial_route_relaxes_the_policy(server, path):
    r = server.get(path)
    assert r.headers.get("Content-Security-Policy") == STRICT_CSP, (path, r.status_code)


def test_stats_page_keeps_the_strict_policy(server):
    r = server.get("/stats")
    assert r.status_code == 200
    assert r.headers.get("Cache-Control") == "no-cache"
    assert_security_headers(r, STRICT_CSP)


def test_missing_page_is_the_json_404(server):
    r = server.get("/no-such-page.html")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"]["code"] == "not_found"
    assert_security_headers(r, STRICT_CSP)


def test_program_errors_carry_request_id_and_headers(server):
    r = server.get("/api/v1/lists")
    assert r.status_code == 401
    assert_common_headers(r)
    assert_security_headers(r, STRICT_CSP)


@pytest.mark.server("lighttpd")
def test_body_far_over_the_limit_is_the_json_413(server):
    """lighttpd stops a declared length over 64 MiB before any program sees
    it, with lighttpd.conf's JSON 413 and the security headers. (Apache's
    mod_fcgid hands the program what arrived instead, which answers it.)"""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    c.putrequest("POST", "/api/v1/contacts/import")
    c.putheader("Content-Type", "text/csv")
    c.putheader("Content-Length", str(64 * 1024 * 1024 + 1))
    c.putheader("X-API-Key", server.api_key)
    c.endheaders()
    resp = c.getresponse()
    body = resp.read()
    headers = {k.lower(): v for k, v in resp.getheaders()}
    c.close()
    assert resp.status == 413, (resp.status, body[:300])
    assert headers["content-type"].startswith("application/json"), headers
    assert b'"payload_too_large"' in body
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("content-security-policy") == STRICT_CSP


@pytest.mark.parametrize("path", ["/dialer.db", "/html/dialer.db", "/Dialer.SQLITE3",
                                  "/x.db-journal", "/dialer.conf", "/app.ini", "/.env",
                                  "/css/../dialer.db", "/dialer%2Edb"])
def test_database_and_config_names_are_never_served(server, path):
    r = server.get(path)
    assert r.status_code in (403, 404), (path, r.status_code)
    assert b"SQLite format 3" not in r.content
    assert_security_headers(r, STRICT_CSP)


@pytest.mark.server("lighttpd")
def test_lighttpd_takes_the_settings_from_its_environment_not_a_file(server):
    """Apache's settings file is checked in test_zz_logs.py; lighttpd reads
    them as env.NAME, so none of the secrets lies anywhere in the state folder
    but the database (which holds only the API key's hash, if anything)."""
    secrets_ = (server.api_key.encode(), server.admin_password.encode())
    for top, _, files in os.walk(server.var):
        for name in files:
            path = os.path.join(top, name)
            if name.startswith("dialer.db") or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            for s in secrets_:
                assert s not in data, path
    assert server.api("GET", "/api/v1/auth/me").status_code == 200


@pytest.mark.server("lighttpd")
@pytest.mark.parametrize("workers,procs", [(None, None), ("2", "2"), ("3", "1")])
def test_lighttpd_runs_the_workers_and_pools_make_run_asks_for(workers, procs):
    """`make run SERVER=lighttpd WORKERS=2 PROCS=2` is the fastest setup
    (README, Benchmarks): one master and WORKERS event loops sharing PROCS
    processes per program, all started with the server; by default one
    event loop and four per program."""
    srv = Server()
    # The session may itself run with WORKERS/PROCS (make test does).
    for name, value in (("WORKERS", workers), ("PROCS", procs)):
        srv.env.pop(name, None)
        if value:
            srv.env[name] = value
    srv.start()
    try:
        check_workers_and_pools(srv, workers, procs)
    finally:
        srv.cleanup()


def check_workers_and_pools(srv, workers, procs):
    n_workers = int(workers or 1)
    n_procs = int(procs or 4)
    # A single lighttpd is its own worker; more are forked by a master.
    n_lighttpd = 1 if n_workers == 1 else n_workers + 1
    # Until every program is spawned, a forked child not yet exec'd is
    # still called lighttpd.
    deadline = time.monotonic() + 10
    while True:
        names = group_commands(srv.proc.pid)
        if (names.count("lighttpd") == n_lighttpd and names.count("calls") == n_procs) \
                or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert names.count("lighttpd") == n_lighttpd, names
    assert names.count("calls") == n_procs, names
    assert names.count("auth_me") == n_procs, names
    # Every connection answered, whichever worker took it.
    for _ in range(40):
        with requests.Session() as s:
            r = s.get(srv.url("/api/v1/calls/1"), headers={"X-API-Key": srv.api_key})
            assert r.status_code == 404, r.text
            assert r.json()["error"]["code"] == "call_not_found"
    # Ctrl-C (or a stop sent to the group) ends every process, programs a
    # worker started again on its way out included, with nothing killed.
    os.killpg(srv.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while group_running(srv.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_commands(srv.proc.pid) == []
    assert srv.proc.wait(timeout=1) == 0


@pytest.mark.server("lighttpd")
@pytest.mark.parametrize("name,value", [("WORKERS", "0"), ("WORKERS", "two"), ("PROCS", "0"),
                                        ("PROCS", "-1"), ("PROCS", "08")])
def test_serve_refuses_a_worker_or_pool_count_that_is_not_a_number(name, value):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIALER_", "TWILIO_", "TELNYX_"))}
    env.update({"SERVER": "lighttpd", "PORT": str(free_port()), name: value,
                "DIALER_VAR": tempfile.mkdtemp(prefix="dialer-serve-")})
    p = subprocess.run([os.path.join(ROOT, "tools", "serve.sh"), BUILD], env=env,
                       capture_output=True, text=True, timeout=30)
    shutil.rmtree(env["DIALER_VAR"], ignore_errors=True)
    assert p.returncode == 2
    assert "%s is a whole number from 1" % name in p.stderr


# --- lighttpd.conf deployed --------------------------------------------------

def www_data():
    try:
        return pwd.getpwnam("www-data")
    except KeyError:
        return None


@pytest.fixture
def deployed(tmp_path):
    """A lighttpd set up the way Debian ships it (mod_access loaded first,
    its own document root, url.access-deny) with lighttpd.conf included in a
    $HTTP["host"] block exactly as the README's snippet does, and the
    programs configured through DIALER_CONFIG alone."""
    # As root, lighttpd runs as www-data (the programs too): hand it its folders.
    pw = www_data() if os.geteuid() == 0 else None
    top = tempfile.mkdtemp(prefix="dialer-lighttpd-")
    os.chmod(top, 0o755)
    html = os.path.join(top, "html")
    shutil.copytree(os.path.join(ROOT, "html"), html,
                    ignore=shutil.ignore_patterns("vendor"))
    # Files the rule must never serve, where a careless deploy might leave them.
    for name in ("dialer.db", "UPPER.DB", "site.conf"):
        with open(os.path.join(html, name), "wb") as f:
            f.write(b"SQLite format 3\0 not for the web")
    # The programs, but `stats` one that takes a request and dies.
    cgi = os.path.join(top, "cgi-bin")
    os.mkdir(cgi)
    for name in os.listdir(os.path.join(BUILD, "cgi-bin")):
        os.symlink(os.path.join(BUILD, "cgi-bin", name), os.path.join(cgi, name))
    os.unlink(os.path.join(cgi, "stats"))
    with open(os.path.join(cgi, "stats"), "w") as f:
        f.write("#!/usr/bin/python3\nimport socket\n"
                "conn, _ = socket.socket(fileno=0).accept()\nconn.close()\n")
    os.chmod(os.path.join(cgi, "stats"), 0o755)
    default_root = os.path.join(top, "www")
    os.mkdir(default_root)
    with open(os.path.join(default_root, "index.html"), "w") as f:
        f.write("default site\n")
    state = os.path.join(top, "state")
    sockets = os.path.join(top, "sockets")
    uploads = os.path.join(top, "uploads")
    for d in (state, sockets, uploads):
        os.mkdir(d)
    api_key = "k-deployed-0123456789"
    config = os.path.join(top, "dialer.conf")
    with open(config, "w") as f:
        f.write("DIALER_DB=%s/dialer.db\nDIALER_LOG=%s/requests.log\nDIALER_API_KEY=%s\n"
                "DIALER_COOKIE_SECURE=0\n" % (state, state, api_key))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DIALER_", "TWILIO_", "TELNYX_"))}
    env.update(DIALER_CONFIG=config, DIALER_ADMIN_PASSWORD="deployed-pw-1")
    subprocess.run([DIALERCTL, "init-db"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([DIALERCTL, "ensure-admin"], env=env, check=True, stdout=subprocess.DEVNULL)
    if pw is not None:
        for d in (state, sockets, uploads):
            for sub, _, files in os.walk(d):
                os.chown(sub, pw.pw_uid, pw.pw_gid)
                for name in files:
                    os.chown(os.path.join(sub, name), pw.pw_uid, pw.pw_gid)
    port = free_port()
    conf = os.path.join(top, "lighttpd.conf")
    with open(conf, "w") as f:
        f.write("""
server.modules = ( "mod_indexfile", "mod_access", "mod_alias", "mod_redirect" )
server.document-root = "{www}"
server.upload-dirs = ( "{uploads}" )
server.errorlog = "{state}/error.log"
{user}
server.bind = "127.0.0.1"
server.port = {port}
index-file.names = ( "index.php", "index.html" )
url.access-deny = ( "~", ".inc" )
include_shell "/usr/share/lighttpd/create-mime.conf.pl"
server.modules += ( "mod_setenv" )
server.modules += ( "mod_fastcgi" )
server.modules += ( "mod_staticfile" )

# The README's snippet, with this test's paths.
var.dialer_html    = "{html}"
var.dialer_cgi     = "{cgi}"
var.dialer_sockets = "{sockets}"
var.dialer_env     = ( "DIALER_CONFIG" => "{config}" )
var.dialer_procs   = 1
$HTTP["host"] == "dialer.example.com" {{
    include "{root}/lighttpd.conf"
}}
""".format(user='server.username = "www-data"\nserver.groupname = "www-data"' if pw else "",
           www=default_root, uploads=uploads, state=state, port=port, html=html,
           cgi=cgi, sockets=sockets, config=config, root=ROOT))
    out = open(os.path.join(top, "stderr.log"), "wb")
    proc = subprocess.Popen(["/usr/sbin/lighttpd", "-D", "-f", conf], env={"PATH": "/usr/bin:/bin"},
                            stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                            start_new_session=True)
    base = "http://127.0.0.1:%d" % port
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                with open(os.path.join(top, "stderr.log")) as f:
                    pytest.fail("the deployed lighttpd stopped:\n" + f.read())
            try:
                requests.get(base + "/", timeout=2)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "the deployed lighttpd never answered"
                time.sleep(0.1)
        yield base, api_key
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while group_running(proc.pid):
            if time.monotonic() > deadline:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                break
            time.sleep(0.05)
        out.close()
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.server("lighttpd")
def test_deployed_in_a_host_of_debians_own_config(deployed):
    base, api_key = deployed
    site = {"Host": "dialer.example.com"}

    r = requests.post(base + "/api/v1/auth/login", headers=site, timeout=30,
                      json={"username": "admin", "password": "deployed-pw-1"})
    assert r.status_code == 200, r.text
    assert r.headers.get("X-Request-Id")
    assert_security_headers(r, STRICT_CSP)
    r = requests.get(base + "/api/v1/lists", headers=dict(site, **{"X-API-Key": api_key}),
                     timeout=30)
    assert r.status_code == 200 and r.json()["items"] == [], r.text

    r = requests.get(base + "/dial", headers=site, timeout=30)
    assert r.status_code == 200
    assert_security_headers(r, DIAL_CSP)
    r = requests.get(base + "/no-such-page.html", headers=site, timeout=30)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    # A program that fails: lighttpd's own 5xx, with the JSON 500 body.
    r = requests.get(base + "/api/v1/stats", headers=site, timeout=30)
    assert 500 <= r.status_code < 600, r.status_code
    assert r.json()["error"]["code"] == "internal"
    assert_security_headers(r, STRICT_CSP)

    # Files that exist in the document root under a forbidden name: 403,
    # whatever the case, with the headers (mod_access is loaded first here).
    for path in ("/dialer.db", "/UPPER.DB", "/site.conf"):
        r = requests.get(base + path, headers=site, timeout=30)
        assert r.status_code == 403, (path, r.status_code)
        assert b"SQLite format 3" not in r.content
        assert_security_headers(r, STRICT_CSP)

    # The include stays inside its host: any other is Debian's default site.
    r = requests.get(base + "/", headers={"Host": "other.example.com"}, timeout=30)
    assert r.text == "default site\n"
    assert "Content-Security-Policy" not in r.headers
    r = requests.get(base + "/api/v1/auth/me", headers={"Host": "other.example.com"}, timeout=30)
    assert r.status_code == 404 and "X-Request-Id" not in r.headers
