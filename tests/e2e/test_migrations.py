"""Upgrading a database made by any earlier schema version keeps every row.

For every version k before the newest (counted from the files in sql/, so
a new migration is covered the day it lands), a database is made the way
that version's program made it: sql/001..k applied with Python's sqlite3,
PRAGMA user_version = k, WAL, and realistic rows in every table that
exists at k. It is then upgraded by `dialerctl init-db`, and by a program
opening it (a FastCGI program run as plain CGI, as Apache would start it),
and must hold every row with the same values, defaults in the new columns,
working views, a clean integrity and foreign-key check, and the newest
version. A real server then serves the upgraded data to a user made at k.
Two or more processes upgrading one old file at once all succeed and
migrate it once.
"""
import base64
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, DIALERCTL, ROOT, clean_env

SQL_DIR = os.path.join(ROOT, "sql")
MIGRATIONS = sorted((int(m.group(1)), os.path.join(SQL_DIR, name))
                    for name in os.listdir(SQL_DIR)
                    for m in [re.match(r"^(\d{3})_\w+\.sql$", name)] if m)
LATEST = MIGRATIONS[-1][0]
OLD_VERSIONS = [v for v, _ in MIGRATIONS if v < LATEST]
NOW = int(time.time())

ADMIN_PW = "Old admin password 1"
OPERATOR_PW = "operator-pw-2026"


def scrypt_hash(password, salt):
    """A password hash as lib/auth.c writes it (scrypt N=2^14, r=8, p=1)."""
    key = hashlib.scrypt(password.encode(), salt=salt, n=16384, r=8, p=1,
                         maxmem=64 << 20, dklen=32)
    return "scrypt$16384$8$1$%s$%s" % (base64.b64encode(salt).decode(),
                                       base64.b64encode(key).decode())


# Hashed once: scrypt is slow on purpose.
HASHES = {pw: scrypt_hash(pw, hashlib.sha256(pw.encode()).digest()[:16])
          for pw in (ADMIN_PW, OPERATOR_PW, "disabled-account-pw")}


def iso(day, hour=9, minute=0, second=0):
    return "2026-10-%02dT%02d:%02d:%02dZ" % (day, hour, minute, second)


def people():
    """Contacts as importers stored them: (list, name, company, title,
    e164, raw, national, region, type), fictional numbers only."""
    first = ["Ana", "Björn", "Chloé", "Dmitri", "Eve", "Fatima", "Grace", "Hiro",
             "Ines", "José", "Kwame", "Léa", "Mia", "Noah", "Olga", "Priya", "李", "Zoë"]
    last = ["O'Brien", "Smith-Jones", "Ångström", "Nguyen", "García", "Müller", "王",
            "Kowalski", "Okafor", "Dubois"]
    companies = ["Acme, Inc.", "Globex", "Initech \"West\"", "Umbrella GmbH",
                 "Stark Industries", "Wayne & Sons"]
    rows = []
    for i in range(240):
        name = "%s %s" % (first[i % len(first)], last[i % len(last)])
        company = companies[i % len(companies)]
        title = None if i % 3 == 0 else ["CEO", "Head of Sales", "VP, Operations"][i % 3 - 1]
        list_id = 1 if i < 180 else 2
        kind = i % 3
        if kind == 0:
            area = [202, 212, 415, 617][i % 4]
            sfx = 100 + i % 100
            e164 = "+1%d555%04d" % (area, sfx)
            raw = "(%d) 555-%04d" % (area, sfx)
            national, region, ptype = raw, "US", "fixed_line_or_mobile"
        elif kind == 1:
            sfx = i
            e164 = "+44207946%04d" % sfx
            raw = "020 7946 %04d" % sfx
            national, region, ptype = raw, "GB", "fixed_line"
        else:
            sfx = i
            e164 = "+61491570%03d" % sfx
            raw = "0491 570 %03d" % sfx
            national, region, ptype = raw, "AU", "mobile"
        rows.append((list_id, name, company, title, e164, raw, national, region, ptype))
    return rows


STATUSES = ["completed", "completed", "no-answer", "busy", "failed", "canceled",
            "in-progress", "ringing", "queued", "initiated"]
OUTCOMES = ["connected", "voicemail", "no_answer", "not_interested", "follow_up",
            "wrong_number", "busy", None]


def realistic_rows():
    """Every table of the schema as the app fills it, column by column
    (columns a version does not have yet are left out when inserting)."""
    t = {}
    t["users"] = [
        dict(id=1, username="maria.lopez", password_hash=HASHES[ADMIN_PW], role="admin",
             disabled=0, created_at=iso(1), updated_at=iso(1)),
        dict(id=2, username="j.chen", password_hash=HASHES[OPERATOR_PW], role="operator",
             disabled=0, created_at=iso(1, 10), updated_at=iso(3, 8, 30)),
        dict(id=3, username="old.temp", password_hash=HASHES["disabled-account-pw"],
             role="operator", disabled=1, created_at=iso(2), updated_at=iso(20)),
        dict(id=4, username="e.dubois@example.com", password_hash=HASHES[OPERATOR_PW],
             role="operator", disabled=0, created_at=iso(5), updated_at=iso(5)),
    ]
    t["sessions"] = [
        dict(id=1, user_id=2, token_hash=hashlib.sha256(b"live-session").digest(),
             created_unix=NOW - 600, seen_unix=NOW - 60, expires_unix=NOW + 40000,
             remote_addr="10.0.0.7", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"),
        dict(id=2, user_id=1, token_hash=hashlib.sha256(b"expired").digest(),
             created_unix=NOW - 90000, seen_unix=NOW - 86000, expires_unix=NOW - 46800,
             remote_addr="2001:db8::1", user_agent=None),
    ]
    t["login_failures"] = [
        dict(id=1, kind="user", key="j.chen", at_unix=NOW - 300),
        dict(id=2, kind="addr", key="198.51.100.23", at_unix=NOW - 300),
        dict(id=3, kind="user", key="nobody", at_unix=NOW - 5000),
    ]
    contacts = people()
    t["contact_lists"] = [
        dict(id=1, name="Q4 leads (Boston).csv", created_by=1, created_at=iso(2),
             archived_at=None, contact_count=sum(1 for c in contacts if c[0] == 1)),
        dict(id=2, name="Old trade show", created_by=None, created_at=iso(3),
             archived_at=iso(15), contact_count=sum(1 for c in contacts if c[0] == 2)),
    ]
    t["contacts"] = []
    for i, (lid, name, company, title, e164, raw, national, region, ptype) in enumerate(contacts):
        outcome = OUTCOMES[i % len(OUTCOMES)] if i % 4 == 0 else None
        t["contacts"].append(dict(
            id=i + 1, list_id=lid, source_row=i + 2, name=name, company=company, title=title,
            phone_e164=e164, phone_raw=raw, phone_national=national, region=region,
            phone_type=ptype, status="called" if outcome else "not_called",
            last_outcome=outcome, last_called_at=iso(10 + i % 10, 11) if outcome else None,
            created_at=iso(2 if lid == 1 else 3)))
    t["calls"] = []
    for i in range(60):
        operator = [2, 4, 1, None][i % 4]
        status = STATUSES[i % len(STATUSES)]
        final = status in ("completed", "no-answer", "busy", "failed", "canceled")
        # j.chen finished every call of the day, so may dial after the upgrade.
        if operator == 2 and not final:
            status, final = "completed", True
        answered = status in ("completed", "in-progress")
        contact = t["contacts"][(i * 7) % len(contacts)] if i % 5 else None
        day = 6 + i % 20
        t["calls"].append(dict(
            id=i + 1, contact_id=contact["id"] if contact else None,
            operator_id=operator, provider=["sim", "twilio", "telnyx"][i % 3],
            conference_name="cd-%032x" % (0xC0FFEE + i), conference_sid="CF%032x" % i if i % 2 else None,
            call_sid="CA%032x" % i if status != "queued" else None,
            operator_call_sid="CA%032x" % (1000 + i) if i % 3 else None,
            to_phone=contact["phone_e164"] if contact else "+12025550199",
            from_phone="+12025550100" if i % 2 else None, status=status,
            failure_reason="operator_not_connected" if status == "failed" else None,
            outcome=OUTCOMES[i % len(OUTCOMES)] if final else None,
            notes='Said "call back Tuesday";\nasked for pricing' if i % 6 == 0 else None,
            idempotency_key="idem-%d" % i if i % 4 != 3 else None,
            created_at=iso(day, 9 + i % 8, i % 60), dialed_at=iso(day, 9 + i % 8, i % 60, 2),
            answered_at=iso(day, 9 + i % 8, i % 60, 9) if answered else None,
            ended_at=iso(day, 9 + i % 8, i % 60, 50) if final else None,
            duration_s=41 if status == "completed" else None,
            updated_at=iso(day, 9 + i % 8, i % 60, 50),
            dial_claimed_at=iso(day, 9 + i % 8, i % 60, 1) if i % 3 == 0 else None,
            status_asked_at=iso(day, 9 + i % 8, i % 60, 30) if i % 7 == 0 else None,
            operator_muted=i % 2, contact_muted=1 if i % 9 == 0 else 0,
            on_hold=1 if status == "in-progress" else 0))
    t["call_events"] = []
    for i in range(120):
        call = t["calls"][i % 60]
        t["call_events"].append(dict(
            id=i + 1, call_id=call["id"] if i % 11 else None, provider=call["provider"],
            event_key="ev-%05d" % i,
            event_type=["ringing", "participant-join", "call.hangup", "completed"][i % 4],
            received_at=call["created_at"],
            body='{"CallSid":"CA%032x","CallStatus":"ringing","Note":"ü \\u00e9"}' % i))
    t["dnc"] = [
        dict(phone_e164="+12025550177", reason="Asked by letter", source="manual", added_by=1,
             call_id=None, added_at=iso(4)),
        dict(phone_e164=t["contacts"][3]["phone_e164"], reason=None, source="outcome",
             added_by=2, call_id=t["calls"][1]["id"], added_at=iso(9, 14)),
        dict(phone_e164="+442079460123", reason='From "suppression list" (2026)',
             source="import", added_by=None, call_id=None, added_at=iso(12)),
    ]
    return t


def table_columns(con, table):
    """{name: (notnull, default)} in table order."""
    return {r[1]: (r[3], r[4]) for r in con.execute("SELECT * FROM pragma_table_info(?)", (table,))}


def user_tables(con):
    return [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]


def insert(con, table, row):
    cols = list(row)
    con.execute('INSERT INTO "%s" (%s) VALUES (%s)' % (
        table, ", ".join('"%s"' % c for c in cols), ", ".join("?" * len(cols))),
        [row[c] for c in cols])


def fill(con):
    """Realistic rows in every table the database has. A table this test
    does not know yet fails loudly: teach realistic_rows() about it."""
    rows = realistic_rows()
    tables = user_tables(con)
    unknown = [t for t in tables if t not in rows]
    assert not unknown, "add realistic rows for %s to realistic_rows()" % unknown
    # Parents before children, as foreign keys need.
    for table in ["users", "sessions", "login_failures", "contact_lists", "contacts",
                  "calls", "call_events", "dnc"]:
        if table not in tables:
            continue
        cols = table_columns(con, table)
        for row in rows[table]:
            insert(con, table, {c: v for c, v in row.items() if c in cols})
        missing = [c for c, (notnull, dflt) in cols.items()
                   if c not in rows[table][0] and notnull and dflt is None]
        assert not missing, "add values for %s.%s to realistic_rows()" % (table, missing)


def make_old(path, version, journal="wal"):
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=%s" % journal)
        con.execute("PRAGMA foreign_keys=ON")
        for v, sql_file in MIGRATIONS:
            if v <= version:
                with open(sql_file, encoding="utf-8") as f:
                    con.executescript(f.read())
        con.execute("PRAGMA user_version=%d" % version)
        con.execute("BEGIN")
        fill(con)
        con.execute("COMMIT")
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()


def snapshot(path):
    """{table: (columns, {rowid: row})} of every table."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        out = {}
        for table in user_tables(con):
            cols = list(table_columns(con, table))
            rows = con.execute('SELECT rowid, %s FROM "%s"' % (
                ", ".join('"%s"' % c for c in cols), table)).fetchall()
            out[table] = (cols, {r[0]: r[1:] for r in rows})
        return out
    finally:
        con.close()


# Columns a migration computes from the old rows instead of defaulting:
# (table, column) -> the value's query for the row's rowid.
COMPUTED = {
    # 004: a contact's attempts are the calls logged for it.
    ("contacts", "attempts"):
        "SELECT count(*) FROM calls WHERE contact_id = ? AND outcome IS NOT NULL",
}


def check_upgraded(path, before):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        for table, (old_cols, old_rows) in before.items():
            cols = table_columns(con, table)
            assert set(old_cols) <= set(cols), (table, old_cols, list(cols))
            added = [c for c in cols if c not in old_cols]
            rows = con.execute('SELECT rowid, %s FROM "%s"' % (
                ", ".join('"%s"' % c for c in old_cols + added), table)).fetchall()
            assert len(rows) == len(old_rows), (table, len(rows), len(old_rows))
            for r in rows:
                rowid, old_part, new_part = r[0], r[1:1 + len(old_cols)], r[1 + len(old_cols):]
                assert rowid in old_rows, (table, rowid)
                assert old_part == old_rows[rowid], (table, rowid, old_part, old_rows[rowid])
                for col, value in zip(added, new_part):
                    dflt = cols[col][1]
                    if (table, col) in COMPUTED:
                        assert value == con.execute(COMPUTED[(table, col)], (rowid,)).fetchone()[0], \
                            (table, col, rowid, value)
                    elif dflt is None:
                        assert value is None, (table, col, rowid, value)
                    elif "(" in dflt:
                        assert value is not None, (table, col, rowid)
                    else:
                        assert value == con.execute("SELECT %s" % dflt).fetchone()[0], \
                            (table, col, rowid, value, dflt)
        # Every view answers, and the reports see the old rows.
        views = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'view'")]
        for view in views:
            con.execute('SELECT * FROM "%s"' % view).fetchall()
        calls = con.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        assert con.execute("SELECT COUNT(*) FROM v_calls").fetchone()[0] == calls
        assert con.execute("SELECT SUM(dials) FROM v_operator_daily").fetchone()[0] == calls
        progress = dict(con.execute("SELECT list_id, contacts FROM v_list_progress"))
        assert progress == dict(con.execute(
            "SELECT list_id, COUNT(*) FROM contacts GROUP BY list_id"))
    finally:
        con.close()


def ctl_init_db(path):
    env = clean_env()
    env["DIALER_DB"] = path
    return subprocess.Popen([DIALERCTL, "init-db"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def cgi_program(path):
    """A program of the app started as Apache starts it (plain CGI here):
    it opens, and so upgrades, the database before answering."""
    env = clean_env()
    env.update({"DIALER_DB": path, "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET",
                "REQUEST_URI": "/api/v1/auth/me", "SCRIPT_NAME": "/api/v1/auth/me",
                "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1"})
    return subprocess.Popen([os.path.join(BUILD, "cgi-bin", "auth_me")], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc):
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (proc.args, proc.returncode, out, err)
    if proc.args[-1] == "init-db":
        assert "at schema version %d" % LATEST in out, out
    else:
        # A 401: the program ran with its database; a failed open is a 503.
        assert out.startswith("Status: 401"), (out, err)
    return out


@pytest.fixture
def folder():
    d = tempfile.mkdtemp(prefix="dialer-migrate-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_versions_are_counted_from_sql():
    assert [v for v, _ in MIGRATIONS] == list(range(1, LATEST + 1))
    assert LATEST >= 2 and OLD_VERSIONS


@pytest.mark.parametrize("version", OLD_VERSIONS)
def test_init_db_keeps_every_row(folder, version):
    path = os.path.join(folder, "dialer.db")
    make_old(path, version)
    before = snapshot(path)
    assert all(rows for _cols, rows in before.values()), "every table has rows"
    finish(ctl_init_db(path))
    check_upgraded(path, before)
    # Upgraded once, it stays put: a second run changes nothing.
    after = snapshot(path)
    finish(ctl_init_db(path))
    assert snapshot(path) == after


@pytest.mark.parametrize("version", OLD_VERSIONS)
def test_a_program_upgrades_and_the_server_serves_old_data(folder, version, server_factory):
    path = os.path.join(folder, "dialer.db")
    make_old(path, version)
    before = snapshot(path)
    finish(cgi_program(path))
    check_upgraded(path, before)

    srv = server_factory(var=folder)
    s = srv.login("maria.lopez", ADMIN_PW)
    assert s.login_response.json()["user"]["role"] == "admin"
    srv.login("old.temp", "disabled-account-pw", expect=401)
    r = s.get(srv.url("/api/v1/contacts"), params={"list_id": 1, "per_page": 200}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 180
    by_id = {c["id"]: c for c in r.json()["items"]}
    old = dict(before["contacts"][1])
    cols = before["contacts"][0]
    for rowid in (1, 5, 100):
        row = dict(zip(cols, old[rowid]))
        assert by_id[rowid]["name"] == row["name"] and by_id[rowid]["company"] == row["company"]
        assert by_id[rowid]["status"] == row["status"]
    r = s.get(srv.url("/api/v1/calls"), params={"per_page": 200}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == len(before["calls"][1])
    op = srv.login("j.chen", OPERATOR_PW)
    r = op.post(srv.url("/api/v1/calls"), json={"to_phone": "+12025550142"}, timeout=60)
    assert r.status_code == 201, r.text
    r = op.post(srv.url("/api/v1/calls/%d/log" % r.json()["call"]["id"]),
                json={"outcome": "voicemail"}, timeout=60)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_concurrent_upgrades_migrate_once(folder, journal):
    version = OLD_VERSIONS[0]
    template = os.path.join(folder, "template.db")
    make_old(template, version, journal)
    before = snapshot(template)
    for rnd in range(4):
        path = os.path.join(folder, "race-%d.db" % rnd)
        shutil.copyfile(template, path)
        # Two of each, started together: each sees the old version, and
        # all but one must find the work done once they get the lock.
        procs = [ctl_init_db(path), cgi_program(path), ctl_init_db(path), cgi_program(path)]
        for p in procs:
            finish(p)
        check_upgraded(path, before)
