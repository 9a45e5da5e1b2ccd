"""dialerctl, the admin CLI: help, users, passwords and the CSV import
(the same code path and report as the HTTP endpoint)."""
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile

import pytest
import requests

import csvgen
from conftest import DIALERCTL, assert_error, clean_env

COMMANDS = ["init-db", "add-user", "passwd", "ensure-admin", "import"]


@pytest.fixture
def state():
    """A fresh state folder (reachable by www-data, for a server on it)."""
    d = tempfile.mkdtemp(prefix="dialerctl-e2e-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def ctl(db, *args, stdin=None, extra_env=None):
    env = clean_env()
    env["DIALER_DB"] = db
    if extra_env:
        env.update(extra_env)
    return subprocess.run([DIALERCTL, *args], input=stdin, capture_output=True, env=env,
                          timeout=60, text=True)


def query(db, sql, *args):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_help(state):
    db = os.path.join(state, "dialer.db")
    for flag in ("--help", "-h", "help"):
        p = ctl(db, flag)
        assert p.returncode == 0, p.stderr
        assert "usage" in p.stdout.lower()
        for cmd in COMMANDS:
            assert cmd in p.stdout, (flag, cmd)
    for cmd in COMMANDS:
        p = ctl(db, cmd, "--help")
        assert p.returncode == 0, (cmd, p.stderr)
        assert "usage: dialerctl %s" % cmd in p.stdout, (cmd, p.stdout)
    # --help anywhere among the arguments; it does nothing else.
    p = ctl(db, "add-user", "someone", "--help", stdin="password123\n")
    assert p.returncode == 0 and "add-user" in p.stdout
    assert not os.path.exists(db)


def test_no_command_and_unknown_command(state):
    db = os.path.join(state, "dialer.db")
    p = ctl(db)
    assert p.returncode == 2 and "usage" in p.stderr.lower()
    p = ctl(db, "frobnicate")
    assert p.returncode == 2
    assert "unknown command" in p.stderr and "frobnicate" in p.stderr
    for args in (["add-user"], ["passwd"], ["passwd", "a", "b"], ["import"], ["init-db", "x"],
                 ["import", "a.csv", "--bogus"], ["import", "a.csv", "--list-id", "x"]):
        p = ctl(db, *args)
        assert p.returncode == 2, (args, p.returncode, p.stderr)


def test_init_db(state):
    db = os.path.join(state, "dialer.db")
    p = ctl(db, "init-db")
    assert p.returncode == 0, p.stderr
    tables = {r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "sessions", "login_failures", "contact_lists", "contacts", "calls",
            "call_events"} <= tables
    version = query(db, "PRAGMA user_version")[0][0]
    assert version >= 1 and ("schema version %d" % version) in p.stdout
    assert query(db, "PRAGMA journal_mode")[0][0] == "wal"
    p = ctl(db, "init-db")
    assert p.returncode == 0 and query(db, "PRAGMA user_version")[0][0] == version


def test_add_user_and_passwd(state):
    db = os.path.join(state, "dialer.db")
    p = ctl(db, "add-user", "carol", stdin="carol-password\n")
    assert p.returncode == 0, p.stderr
    assert "carol" in p.stdout
    p = ctl(db, "add-user", "dave", "--admin", stdin="dave-password\n")
    assert p.returncode == 0, p.stderr
    rows = dict((r[0], r[1:]) for r in query(db, "SELECT username, role, disabled, password_hash FROM users"))
    assert rows["carol"][:2] == ("operator", 0) and rows["dave"][:2] == ("admin", 0)
    assert rows["carol"][2].startswith("scrypt$") and "carol-password" not in rows["carol"][2]
    # Refusals store nothing.
    for args, pw in ((["add-user", "CAROL"], "another-pass\n"),
                     (["add-user", "eve"], "short\n"),
                     (["add-user", "bad name"], "password123\n"),
                     (["add-user", "frank"], "")):
        p = ctl(db, *args, stdin=pw)
        assert p.returncode == 1, (args, p.stdout, p.stderr)
        assert p.stderr.strip()
    assert sorted(r[0] for r in query(db, "SELECT username FROM users")) == ["carol", "dave"]
    old = rows["carol"][2]
    p = ctl(db, "passwd", "carol", stdin="carol-new-password\n")
    assert p.returncode == 0, p.stderr
    assert query(db, "SELECT password_hash FROM users WHERE username = 'carol'")[0][0] != old
    assert ctl(db, "passwd", "nobody", stdin="whatever-123\n").returncode == 1
    assert ctl(db, "passwd", "carol", stdin="short\n").returncode == 1


def test_users_made_by_dialerctl_log_in_over_http(state, server_factory):
    db = os.path.join(state, "dialer.db")
    assert ctl(db, "add-user", "olivia", stdin="olivia-password\n").returncode == 0
    srv = server_factory(var=state)
    s = srv.login("olivia", "olivia-password")
    me = s.get(srv.url("/api/v1/auth/me")).json()["user"]
    assert me["username"] == "olivia" and me["role"] == "operator"
    # passwd on the live database ends her sessions and the old password.
    p = ctl(db, "passwd", "olivia", stdin="olivia-password-2\n")
    assert p.returncode == 0, p.stderr
    assert_error(s.get(srv.url("/api/v1/auth/me")), 401, "unauthenticated")
    srv.login("olivia", "olivia-password", expect=401)
    srv.login("olivia", "olivia-password-2")
    # serve.sh ran ensure-admin on the same database.
    srv.login("admin", srv.admin_password)


def test_ensure_admin(state):
    db = os.path.join(state, "dialer.db")
    p = ctl(db, "ensure-admin")
    assert p.returncode == 0, p.stderr
    assert "password" in p.stdout
    assert query(db, "SELECT role FROM users WHERE username = 'admin'") == [("admin",)]
    p = ctl(db, "ensure-admin")
    assert p.returncode == 0 and p.stdout == ""  # shown once
    assert ctl(db, "ensure-admin", extra_env={"DIALER_ADMIN_PASSWORD": "short"}).returncode == 1




def sample_file():
    nums = csvgen.written_numbers(4, start=37000)
    rows = [["Ada", "Engines", nums[0][0], "CTO"],
            ["Bad", "Co", "not a phone", ""],
            ["Again", "Co", nums[0][1], ""],
            ["", "Co", nums[1][0], ""],
            ['Quoted, "Name"', "Co\nLine", nums[2][0], ""],
            ["Last", "Co", nums[3][0], ""]]
    return csvgen.rows_to_csv(["Full Name", "Company", "Phone Number", "Job Title"], rows)


def test_import_prints_the_endpoint_report(state, server):
    db = os.path.join(state, "dialer.db")
    path = os.path.join(state, "crm-export.csv")
    body = sample_file()
    with open(path, "wb") as f:
        f.write(body)
    p = ctl(db, "import", path)
    assert p.returncode == 0, p.stderr
    cli = json.loads(p.stdout)
    r = requests.post(server.url("/api/v1/contacts/import"), files={"file": ("crm-export.csv", body)},
                      headers={"X-API-Key": server.api_key}, timeout=60)
    assert r.status_code == 200, r.text
    http = r.json()
    assert set(cli) == set(http) == {"list_id", "imported", "skipped", "errors", "error_count",
                                     "do_not_call"}
    assert cli["list_id"] >= 1
    del cli["list_id"], http["list_id"]
    assert cli == http
    assert cli["imported"] == 3 and cli["error_count"] == 3
    assert {e["row"] for e in cli["errors"]} == {3, 4, 5}
    assert query(db, "SELECT name, created_by, contact_count FROM contact_lists") == [
        ("crm-export.csv", None, 3)]
    assert [r[0] for r in query(db, "SELECT name FROM contacts ORDER BY id")] == [
        "Ada", 'Quoted, "Name"', "Last"]


def test_import_options_and_stdin(state):
    db = os.path.join(state, "dialer.db")
    body = csvgen.rows_to_csv(["name", "company", "phone"],
                              [["Brit", "Ltd", "020 7946 0456"], ["Yank", "Inc", "+1 202 555 0166"]])
    p = ctl(db, "import", "-", "--list", "From stdin", "--region", "GB", stdin=body.decode())
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)
    assert rep["imported"] == 2
    assert query(db, "SELECT name FROM contact_lists WHERE id = ?", rep["list_id"]) == [("From stdin",)]
    assert query(db, "SELECT phone_e164, region FROM contacts WHERE list_id = ? ORDER BY id",
                 rep["list_id"]) == [("+442079460456", "GB"), ("+12025550166", "US")]
    # Append: both rows are duplicates now.
    p = ctl(db, "import", "-", "--list-id", str(rep["list_id"]), "--region", "GB", stdin=body.decode())
    assert p.returncode == 0, p.stderr
    rep2 = json.loads(p.stdout)
    assert rep2["imported"] == 0 and [e["code"] for e in rep2["errors"]] == ["duplicate", "duplicate"]
    assert ctl(db, "import", "-", "--list-id", "999", stdin=body.decode()).returncode == 1
    assert ctl(db, "import", "-", "--region", "XX", stdin=body.decode()).returncode == 1
    assert query(db, "SELECT COUNT(*) FROM contact_lists") == [(1,)]


@pytest.mark.parametrize("content,code_word", [
    (b"", "empty"),
    (b"name,company,phone\n", "no data rows"),
    (b"email,city\nx,y\n", "Missing"),
    (b"name,company,phone\n,Co,+1 202 555 0143\nA,Co,nope\n", "none of the rows"),
])
def test_import_refused_files_store_nothing(state, content, code_word):
    db = os.path.join(state, "dialer.db")
    assert ctl(db, "init-db").returncode == 0
    path = os.path.join(state, "bad.csv")
    with open(path, "wb") as f:
        f.write(content)
    p = ctl(db, "import", path)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert code_word.lower() in p.stderr.lower(), p.stderr
    assert query(db, "SELECT COUNT(*) FROM contact_lists") == [(0,)]
    assert query(db, "SELECT COUNT(*) FROM contacts") == [(0,)]


def test_import_missing_file(state):
    db = os.path.join(state, "dialer.db")
    p = ctl(db, "import", os.path.join(state, "does-not-exist.csv"))
    assert p.returncode == 1 and "does-not-exist.csv" in p.stderr


def mixed_file(rows=3000):
    """Valid rows with every kind of bad row sprinkled in, across many of
    the importer's 512-row batches."""
    nums = csvgen.written_numbers(rows, start=20000)
    out = [b"name,company,phone,title\n"]
    for i in range(rows):
        w, e = nums[i]
        k = i % 11
        if k == 3:
            line = "Bad %d,Co,not-a-number,\n" % i
        elif k == 5:
            line = ",Co,%s,\n" % w
        elif k == 7 and i > 20:
            line = "Dup %d,Co,%s,\n" % (i, nums[i - 20][1])  # usually a duplicate
        elif k == 9:
            line = "Short %d,Co\n" % i
        elif k == 10 and i % 3 == 0:
            out.append(b"Enc \xff%d,Co," % i + w.encode() + b",\n")
            continue
        else:
            line = '"Name, %d",Co %d,%s,"T\n%d"\n' % (i, i % 17, w, i)
        out.append(line.encode())
    return b"".join(out)


def test_report_is_the_same_with_any_number_of_helpers(state, server):
    body = mixed_file()
    path = os.path.join(state, "mixed.csv")
    with open(path, "wb") as f:
        f.write(body)
    outputs = {}
    for workers in ("0", "1", "3"):
        db = os.path.join(state, "w%s.db" % workers)
        p = ctl(db, "import", path, extra_env={"DIALER_IMPORT_WORKERS": workers})
        assert p.returncode == 0, p.stderr
        outputs[workers] = p.stdout
    assert outputs["0"] == outputs["1"] == outputs["3"]
    rep = json.loads(outputs["0"])
    assert rep["imported"] > 1500 and rep["error_count"] > 500
    assert len(rep["errors"]) == min(1000, rep["error_count"])
    assert [e["row"] for e in rep["errors"]] == sorted(e["row"] for e in rep["errors"])
    r = requests.post(server.url("/api/v1/contacts/import"), files={"file": ("mixed.csv", body)},
                      headers={"X-API-Key": server.api_key}, timeout=60)
    assert r.status_code == 200, r.text
    http = r.json()
    del http["list_id"], rep["list_id"]
    assert http == rep
    # The rows stored are the same, in the same order, whatever the helpers.
    stored = [query(os.path.join(state, "w%s.db" % w),
                    "SELECT source_row, name, phone_e164 FROM contacts ORDER BY id") for w in "013"]
    assert stored[0] == stored[1] == stored[2]
    assert len(stored[0]) == rep["imported"]
