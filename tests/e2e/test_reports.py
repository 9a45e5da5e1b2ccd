"""The reporting views (sql/003_reports.sql), the shell script that prints
them (sql/reports.sql) and `dialerctl seed-demo`, the made-up month they
are tried on.

Part 1 puts a small hand-made history into a fresh database and expects
every view's rows exactly. Part 2 checks a seeded month against figures
computed here from the raw tables, and the rules the seed promises
(determinism, fictional numbers only, contacts as calls_log leaves them).
Part 3 runs the sqlite3 shell on both; part 4 serves the demo database."""
import collections
import datetime
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile

import phonenumbers
import pytest

import csvgen
from conftest import DIALERCTL, ROOT, clean_env

REPORTS_SQL = os.path.join(ROOT, "sql", "reports.sql")
END = "2026-11-20"
FICTIONAL = re.compile(r"^\+1([2-9]\d\d)5550(1\d\d)$")
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


def ctl(db, *args, stdin=None):
    env = clean_env()
    env["DIALER_DB"] = db
    return subprocess.run([DIALERCTL, *args], input=stdin, capture_output=True, env=env,
                          timeout=120, text=True)


def shell(db, sql=None, script=None):
    """The sqlite3 shell, read-only, as a manager would run it."""
    args = ["sqlite3", "-readonly", db] + ([sql] if sql is not None else [])
    stdin = open(script, "rb") if script else subprocess.DEVNULL
    try:
        return subprocess.run(args, stdin=stdin, capture_output=True, timeout=60)
    finally:
        if script:
            stdin.close()


def rows(db, sql, *args):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, args).fetchall()]
    finally:
        con.close()


@pytest.fixture
def tmp():
    d = tempfile.mkdtemp(prefix="reports-e2e-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def fresh_db(folder, name="dialer.db"):
    db = os.path.join(folder, name)
    p = ctl(db, "init-db")
    assert p.returncode == 0, p.stderr
    return db


def seeded(folder, *args, name="demo.db"):
    db = os.path.join(folder, name)
    p = ctl(db, "seed-demo", *args)
    assert p.returncode == 0, (p.stdout, p.stderr)
    return db, p


# --- 1. hand-made data, exact rows -------------------------------------------

ALICE, BOB, API = 1, 2, None

# (list id, name, archived)
LISTS = [(1, "North", False), (2, "South", False), (3, "Old", True), (4, "Empty", False)]
# (contact id, list id, suffix of its fictional number)
CONTACTS = [(1, 1, 101), (2, 1, 102), (3, 1, 103), (4, 1, 104), (5, 1, 105), (9, 1, 109),
            (6, 2, 106), (7, 2, 107), (10, 2, 110), (8, 3, 108)]

# (call id, contact, operator, created, status, answered?, duration_s, outcome, notes,
#  expected connected). Answered calls were answered 10 s after the Dial.
CALLS = [
    (1, 1, ALICE, "2026-11-02T09:00:00Z", "completed", True, 120, "connected", None, 1),
    (2, 2, ALICE, "2026-11-02T09:10:00Z", "no-answer", False, 0, "no_answer", None, 0),
    (3, 3, ALICE, "2026-11-02T10:30:00Z", "completed", True, 60, "follow_up", "first", 1),
    (4, 3, ALICE, "2026-11-02T11:00:00Z", "busy", False, 0, None, None, 0),
    (5, None, ALICE, "2026-11-02T11:30:00Z", "failed", False, None, None, None, 0),
    (6, 6, BOB, "2026-11-02T14:00:00Z", "completed", True, 45, "not_interested", None, 1),
    (7, 7, BOB, "2026-11-02T14:20:00Z", "canceled", False, None, "no_answer", None, 0),
    # The API key's: a call still going (no talk time yet), a bare number.
    (8, 4, API, "2026-11-02T15:00:00Z", "in-progress", True, None, None, None, 1),
    (9, None, API, "2026-11-02T15:05:00Z", "completed", True, 30, "voicemail", None, 1),
    (10, 3, ALICE, "2026-11-03T09:00:00Z", "completed", True, 200, "follow_up", "second", 1),
    # Talk time without an answer time still makes a connect.
    (11, 2, ALICE, "2026-11-03T09:30:00Z", "completed", False, 15, "connected", None, 1),
    (12, 5, ALICE, "2026-11-03T09:40:00Z", "no-answer", False, 0, "no_answer", None, 0),
    (13, 7, BOB, "2026-11-03T10:00:00Z", "completed", True, 95, "follow_up", "bob fu", 1),
    (14, None, BOB, "2026-11-03T13:20:00Z", "no-answer", False, 0, None, None, 0),
    (15, 8, BOB, "2026-11-01T16:00:00Z", "completed", True, 10, "follow_up", "archived", 1),
    # Later than contact 7's follow_up, but never logged.
    (16, 7, BOB, "2026-11-03T12:00:00Z", "busy", False, 0, None, None, 0),
    (17, 10, API, "2026-11-03T11:00:00Z", "completed", True, 40, "follow_up", None, 1),
]


def at(ts, seconds):
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def handmade():
    folder = tempfile.mkdtemp(prefix="reports-hand-")
    db = fresh_db(folder)
    con = sqlite3.connect(db)
    con.execute("INSERT INTO users (id, username, password_hash) VALUES (1, 'alice', 'x'), "
                "(2, 'bob', 'x')")
    for lid, name, archived in LISTS:
        con.execute("INSERT INTO contact_lists (id, name, created_at, archived_at) "
                    "VALUES (?, ?, '2026-10-30T12:00:00Z', ?)",
                    (lid, name, "2026-11-04T08:00:00Z" if archived else None))
    for cid, lid, suffix in CONTACTS:
        con.execute("INSERT INTO contacts (id, list_id, source_row, name, company, phone_e164, "
                    "phone_raw, phone_national, region, phone_type) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'US', 'fixed_line_or_mobile')",
                    (cid, lid, cid + 1, "Person %d" % cid, "Company %d" % cid,
                     "+1202555%04d" % suffix, "202-555-%04d" % suffix, "(202) 555-%04d" % suffix))
    for (cid, contact, op, created, status, answered, dur, outcome, notes, _) in CALLS:
        phone = "+1202555%04d" % (dict((c[0], c[2]) for c in CONTACTS)[contact]
                                  if contact else 199)
        dialed = at(created, 3) if status != "failed" else None
        con.execute("INSERT INTO calls (id, contact_id, operator_id, provider, conference_name, "
                    "to_phone, status, outcome, notes, created_at, dialed_at, answered_at, "
                    "ended_at, duration_s) VALUES (?, ?, ?, 'sim', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (cid, contact, op, "cd-test-%d" % cid, phone, status, outcome, notes,
                     created, dialed, at(created, 10) if answered else None,
                     None if status == "in-progress" else at(created, 60), dur))
    # The contacts as calls_log leaves them: its last logged call.
    for cid, _, _ in CONTACTS:
        last = [c for c in CALLS if c[1] == cid and c[7] is not None]
        if last:
            call = max(last, key=lambda c: (c[3], c[0]))
            con.execute("UPDATE contacts SET status = 'called', last_outcome = ?, "
                        "last_called_at = ? WHERE id = ?", (call[7], at(call[3], 3), cid))
    con.commit()
    con.close()
    yield db
    shutil.rmtree(folder, ignore_errors=True)


def test_v_calls_exact(handmade):
    got = rows(handmade, "SELECT call_id, day, operator_id, operator, list_id, list_name, "
               "contact_id, contact_name, connected, duration_s, outcome, notes, status "
               "FROM v_calls ORDER BY call_id")
    lists = dict((c[0], c[1]) for c in CONTACTS)
    names = dict((lid, name) for lid, name, _ in LISTS)
    want = []
    for (cid, contact, op, created, status, _, dur, outcome, notes, connected) in CALLS:
        lid = lists.get(contact)
        want.append({
            "call_id": cid, "day": created[:10], "operator_id": op,
            "operator": {ALICE: "alice", BOB: "bob", API: "(api key)"}[op],
            "list_id": lid, "list_name": names.get(lid), "contact_id": contact,
            "contact_name": "Person %d" % contact if contact else None,
            "connected": connected, "duration_s": dur, "outcome": outcome, "notes": notes,
            "status": status,
        })
    assert got == want


def test_v_outcomes_daily_exact(handmade):
    got = [tuple(r.values()) for r in
           rows(handmade, "SELECT day, outcome, calls FROM v_outcomes_daily ORDER BY day, outcome")]
    assert got == [
        ("2026-11-01", "follow_up", 1),
        ("2026-11-02", "(not logged)", 3),
        ("2026-11-02", "connected", 1),
        ("2026-11-02", "follow_up", 1),
        ("2026-11-02", "no_answer", 2),
        ("2026-11-02", "not_interested", 1),
        ("2026-11-02", "voicemail", 1),
        ("2026-11-03", "(not logged)", 2),
        ("2026-11-03", "connected", 1),
        ("2026-11-03", "follow_up", 3),
        ("2026-11-03", "no_answer", 1),
    ]


def test_v_operator_daily_exact(handmade):
    got = [tuple(r.values()) for r in rows(
        handmade, "SELECT day, operator_id, operator, dials, connects, connect_rate, talk_s, "
        "avg_talk_s, active_h, calls_per_hour FROM v_operator_daily "
        "ORDER BY day, COALESCE(operator_id, 0)")]
    assert got == [
        # One dial: an hour at least, one call an hour.
        ("2026-11-01", BOB, "bob", 1, 1, 100.0, 10, 10.0, 1.0, 1.0),
        # A call still going is a connect whose talk time is not known yet:
        # it counts in connects, not in the average.
        ("2026-11-02", None, "(api key)", 2, 2, 100.0, 30, 30.0, 1.0, 2.0),
        # 09:00 to 11:30; the bare-number failure and the busy are dials too.
        ("2026-11-02", ALICE, "alice", 5, 2, 40.0, 180, 90.0, 2.5, 2.0),
        ("2026-11-02", BOB, "bob", 2, 1, 50.0, 45, 45.0, 1.0, 2.0),
        ("2026-11-03", None, "(api key)", 1, 1, 100.0, 40, 40.0, 1.0, 1.0),
        # 40 minutes of dialing counts as the one-hour floor.
        ("2026-11-03", ALICE, "alice", 3, 2, 66.7, 215, 107.5, 1.0, 3.0),
        # 10:00 to 13:20: 3 dials in 3.33 hours.
        ("2026-11-03", BOB, "bob", 3, 1, 33.3, 95, 95.0, 3.33, 0.9),
    ]


def test_v_list_progress_exact(handmade):
    got = [tuple(r.values()) for r in rows(
        handmade, "SELECT list_id, list_name, archived, contacts, called, remaining, connected, "
        "voicemail, no_answer, not_interested, follow_up, wrong_number, busy "
        "FROM v_list_progress ORDER BY list_id")]
    assert got == [
        # Contact 4 had only an unlogged call: called, with no outcome;
        # contact 9 was never dialed.
        (1, "North", 0, 6, 5, 1, 2, 0, 1, 0, 1, 0, 0),
        (2, "South", 0, 3, 3, 0, 0, 0, 0, 1, 2, 0, 0),
        (3, "Old", 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0),
        (4, "Empty", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ]


def test_v_followups_exact(handmade):
    got = [tuple(r.values()) for r in rows(
        handmade, "SELECT contact_id, list_id, list_name, call_id, operator, called_at, notes, "
        "phone FROM v_followups")]
    assert got == [
        # Its last logged call (10), not the earlier follow_up (3) nor the
        # later unlogged busy (4 is earlier; 16 is contact 7's).
        (3, 1, "North", 10, "alice", "2026-11-03T09:00:00Z", "second", "+12025550103"),
        (7, 2, "South", 13, "bob", "2026-11-03T10:00:00Z", "bob fu", "+12025550107"),
        (10, 2, "South", 17, "(api key)", "2026-11-03T11:00:00Z", None, "+12025550110"),
        # Contact 8's list is archived: nobody can call it back.
    ]


# --- 2. seed-demo ---------------------------------------------------------------

@pytest.fixture(scope="module")
def demo():
    folder = tempfile.mkdtemp(prefix="reports-demo-")
    os.chmod(folder, 0o755)
    db, p = seeded(folder, "--end", END)
    yield db, p.stdout
    shutil.rmtree(folder, ignore_errors=True)


def test_seed_demo_help_and_bad_arguments(tmp):
    db = os.path.join(tmp, "x.db")
    p = ctl(db, "seed-demo", "--help")
    assert p.returncode == 0 and "usage: dialerctl seed-demo" in p.stdout
    assert "seed-demo" in ctl(db, "--help").stdout
    for args in (["--days", "0"], ["--days", "x"], ["--end", "2026-02-30"], ["--end", "20261120"],
                 ["--operators", "9"], ["--lists", "0"], ["--seed", "-1"], ["--bogus", "1"],
                 ["--days"]):
        p = ctl(db, "seed-demo", *args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert p.stderr.strip()
    assert not os.path.exists(db)


def test_seed_demo_is_deterministic(tmp):
    a, pa = seeded(tmp, "--end", END, "--days", "6", name="a.db")
    b, pb = seeded(tmp, "--end", END, "--days", "6", name="b.db")
    c, _ = seeded(tmp, "--end", END, "--days", "6", "--seed", "2", name="c.db")
    for sql in ("SELECT * FROM v_calls", "SELECT * FROM contacts", "SELECT * FROM calls"):
        out_a, out_b, out_c = (shell(d, sql) for d in (a, b, c))
        assert out_a.returncode == 0 and out_a.stdout.count(b"\n") > 100, out_a.stderr
        assert out_a.stdout == out_b.stdout, sql
        assert out_a.stdout != out_c.stdout, sql
    assert pa.stdout.replace("a.db", "") == pb.stdout.replace("b.db", "")
    # Only the password hashes differ: the passwords are random.
    hashes = [rows(d, "SELECT password_hash FROM users ORDER BY id") for d in (a, b)]
    assert hashes[0] != hashes[1]


def test_seed_demo_options(tmp):
    db, p = seeded(tmp, "--end", "2026-11-22", "--days", "3", "--operators", "2",
                   "--lists", "1", "--seed", "77")
    assert "seed 77" in p.stdout
    assert len(rows(db, "SELECT id FROM users")) == 2
    assert len(rows(db, "SELECT id FROM contact_lists")) == 1
    # 2026-11-22 is a Sunday: the three working days before it.
    days = [r["day"] for r in rows(db, "SELECT DISTINCT date(created_at) AS day FROM calls "
                                        "ORDER BY 1")]
    assert days == ["2026-11-18", "2026-11-19", "2026-11-20"]


def test_seed_demo_refuses_a_database_with_data(demo, tmp):
    db, _ = demo
    before = hashlib.sha256(shell(db, "SELECT * FROM v_calls").stdout).hexdigest()
    users = rows(db, "SELECT COUNT(*) AS n FROM users")[0]["n"]
    p = ctl(db, "seed-demo", "--end", END, "--seed", "9")
    assert p.returncode == 1
    assert "already holds calls or contacts" in p.stderr
    assert hashlib.sha256(shell(db, "SELECT * FROM v_calls").stdout).hexdigest() == before
    assert rows(db, "SELECT COUNT(*) AS n FROM users")[0]["n"] == users
    # Contacts alone are enough to refuse.
    other = fresh_db(tmp, "imported.db")
    csv = csvgen.rows_to_csv(["name", "company", "phone"], [["Ada", "Acme", "202-555-0143"]])
    assert ctl(other, "import", "-", stdin=csv.decode()).returncode == 0
    p = ctl(other, "seed-demo")
    assert p.returncode == 1 and "already holds" in p.stderr
    assert rows(other, "SELECT COUNT(*) AS n FROM users")[0]["n"] == 0
    assert rows(other, "SELECT COUNT(*) AS n FROM calls")[0]["n"] == 0


def test_seed_demo_looks_like_a_month(demo):
    db, out = demo
    users = rows(db, "SELECT id, username, role, password_hash FROM users")
    assert len(users) == 5 and {u["role"] for u in users} == {"operator"}
    assert all(u["password_hash"].startswith("scrypt$") for u in users)
    assert "not shown" in out
    lists = rows(db, "SELECT id, contact_count, archived_at FROM contact_lists")
    assert len(lists) == 4
    for l in lists:
        n = rows(db, "SELECT COUNT(*) AS n FROM contacts WHERE list_id = ?", l["id"])[0]["n"]
        assert 200 <= n <= 1000 and n == l["contact_count"] and l["archived_at"] is None
    calls = rows(db, "SELECT * FROM calls ORDER BY id")
    assert {c["provider"] for c in calls} == {"sim"}
    days = sorted({c["created_at"][:10] for c in calls})
    assert len(days) == 20 and days[-1] == END
    for d in days:
        assert datetime.date.fromisoformat(d).weekday() < 5, d
    per_op_days = collections.Counter()
    per_op_day = collections.Counter()
    for c in calls:
        per_op_day[(c["operator_id"], c["created_at"][:10])] += 1
    for (op, _), n in per_op_day.items():
        per_op_days[op] += 1
        assert 15 <= n <= 100, n
    assert all(n >= 12 for n in per_op_days.values()) and len(per_op_days) == 5
    statuses = collections.Counter(c["status"] for c in calls)
    assert set(statuses) <= FINAL and set(statuses) == FINAL
    outcomes = collections.Counter(c["outcome"] for c in calls)
    assert set(outcomes) == {None, "connected", "voicemail", "no_answer", "not_interested",
                             "follow_up", "wrong_number", "busy"}
    talk = []
    for c in calls:
        hour = int(c["created_at"][11:13])
        assert 8 <= hour < 18, c["created_at"]
        answered = c["status"] == "completed"
        assert (c["answered_at"] is not None) == answered, c
        if answered:
            assert c["duration_s"] > 0
            talk.append(c["duration_s"])
        else:
            assert c["duration_s"] in (0, None), c
        if c["status"] == "failed":
            assert c["failure_reason"] and c["dialed_at"] is None
        else:
            assert c["failure_reason"] is None and c["dialed_at"] is not None
        times = [c[k] for k in ("created_at", "dialed_at", "answered_at", "ended_at")
                 if c[k] is not None]
        assert times == sorted(times) and c["ended_at"] is not None
        assert c["updated_at"] >= c["ended_at"]
    # Talk times: many short, a few long.
    talk.sort()
    median = talk[len(talk) // 2]
    assert median < sum(talk) / len(talk) and talk[-1] > 5 * median
    assert any(c["notes"] for c in calls)
    # One call at a time per operator, and per contact.
    for key in ("operator_id", "contact_id"):
        last_end = {}
        for c in sorted(calls, key=lambda c: (c["created_at"], c["id"])):
            prev = last_end.get(c[key])
            assert prev is None or c["created_at"] >= prev, (key, c["id"])
            last_end[c[key]] = c["ended_at"]
    # Some of the last list is left for the next month.
    progress = rows(db, "SELECT remaining FROM v_list_progress ORDER BY list_id")
    assert progress[0]["remaining"] == 0 and progress[-1]["remaining"] > 0


def test_seed_demo_only_fictional_numbers(demo):
    db, _ = demo
    contacts = rows(db, "SELECT * FROM contacts")
    for c in contacts:
        assert FICTIONAL.match(c["phone_e164"]), c["phone_e164"]
        # What lib/phone made of the written number, checked by Python's port.
        n = phonenumbers.parse(c["phone_raw"], "US")
        assert phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164) == c["phone_e164"]
        assert phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL) == \
            c["phone_national"]
        assert phonenumbers.region_code_for_number(n) == c["region"]
        assert c["phone_type"] in ("fixed_line_or_mobile", "fixed_line", "mobile")
    assert len({c["phone_e164"] for c in contacts}) == len(contacts)
    assert len({c["phone_raw"][:1] for c in contacts}) > 1  # written several ways
    for c in rows(db, "SELECT to_phone, from_phone FROM calls"):
        assert FICTIONAL.match(c["to_phone"]) and FICTIONAL.match(c["from_phone"]), c


def test_seed_demo_contacts_as_calls_log_leaves_them(demo):
    db, _ = demo
    logged = {}
    for c in rows(db, "SELECT id, contact_id, outcome, created_at, dialed_at FROM calls "
                      "WHERE outcome IS NOT NULL ORDER BY created_at, id"):
        logged[c["contact_id"]] = c
    contacts = rows(db, "SELECT id, status, last_outcome, last_called_at FROM contacts")
    for ct in contacts:
        call = logged.get(ct["id"])
        if call is None:
            assert (ct["status"], ct["last_outcome"], ct["last_called_at"]) == \
                ("not_called", None, None), ct
        else:
            assert ct["status"] == "called"
            assert ct["last_outcome"] == call["outcome"]
            assert ct["last_called_at"] == (call["dialed_at"] or call["created_at"])
    assert 0 < len(logged) < len(contacts)


def connected(c):
    return c["answered_at"] is not None or (c["duration_s"] or 0) > 0


def test_seed_demo_views_agree_with_the_raw_tables(demo):
    db, _ = demo
    calls = rows(db, "SELECT c.*, u.username FROM calls c JOIN users u ON u.id = c.operator_id")
    # v_calls: one row per call, the connect rule.
    vc = {r["call_id"]: r for r in rows(db, "SELECT * FROM v_calls")}
    assert len(vc) == len(calls)
    for c in calls:
        assert vc[c["id"]]["connected"] == int(connected(c))
        assert vc[c["id"]]["operator"] == c["username"]
    # v_outcomes_daily.
    want = collections.Counter((c["created_at"][:10], c["outcome"] or "(not logged)")
                               for c in calls)
    got = {(r["day"], r["outcome"]): r["calls"]
           for r in rows(db, "SELECT * FROM v_outcomes_daily")}
    assert got == dict(want)
    # v_operator_daily.
    groups = collections.defaultdict(list)
    for c in calls:
        groups[(c["created_at"][:10], c["operator_id"])].append(c)
    got = {(r["day"], r["operator_id"]): r for r in rows(db, "SELECT * FROM v_operator_daily")}
    assert set(got) == set(groups)
    for key, cs in groups.items():
        r = got[key]
        conn = [c for c in cs if connected(c)]
        talk = sum(c["duration_s"] for c in conn if c["duration_s"] is not None)
        timed = [c for c in conn if c["duration_s"] is not None]
        stamps = [datetime.datetime.strptime(c["created_at"], "%Y-%m-%dT%H:%M:%SZ") for c in cs]
        hours = max(1.0, (max(stamps) - min(stamps)).total_seconds() / 3600)
        assert (r["dials"], r["connects"], r["talk_s"]) == (len(cs), len(conn), talk), key
        assert abs(r["connect_rate"] - 100.0 * len(conn) / len(cs)) <= 0.051
        assert abs(r["avg_talk_s"] - talk / len(timed)) <= 0.051
        assert abs(r["active_h"] - hours) <= 0.0051
        assert abs(r["calls_per_hour"] - len(cs) / hours) <= 0.051
    # v_list_progress.
    contacts = rows(db, "SELECT id, list_id, last_outcome FROM contacts")
    dialed = {c["contact_id"] for c in calls}
    for r in rows(db, "SELECT * FROM v_list_progress"):
        mine = [c for c in contacts if c["list_id"] == r["list_id"]]
        called = sum(1 for c in mine if c["id"] in dialed)
        assert (r["contacts"], r["called"], r["remaining"]) == \
            (len(mine), called, len(mine) - called)
        last = collections.Counter(c["last_outcome"] for c in mine)
        for word in ("connected", "voicemail", "no_answer", "not_interested", "follow_up",
                     "wrong_number", "busy"):
            assert r[word] == last[word], (r["list_id"], word)
    # v_followups: every contact waiting for a call-back, with its last logged call.
    last_logged = {}
    for c in sorted(calls, key=lambda c: (c["created_at"], c["id"])):
        if c["outcome"] is not None:
            last_logged[c["contact_id"]] = c
    want = sorted(((last_logged[c["id"]]["created_at"], c["id"]), last_logged[c["id"]]["id"])
                  for c in contacts if c["last_outcome"] == "follow_up")
    got = [((r["called_at"], r["contact_id"]), r["call_id"])
           for r in rows(db, "SELECT * FROM v_followups")]
    assert got == want and len(got) > 10


# --- 3. the sqlite3 shell ----------------------------------------------------------

TITLES = ["Outcomes by day", "Operators over the last 5 days", "Operators on the latest day",
          "Lists:", "Call-backs due", "The latest 15 calls"]


def test_reports_sql_runs_clean(demo, tmp):
    db, _ = demo
    before = hashlib.sha256(open(db, "rb").read()).hexdigest()
    p = shell(db, script=REPORTS_SQL)
    out, err = p.stdout.decode(), p.stderr.decode()
    assert p.returncode == 0 and err == "", err
    assert "Error" not in out
    for title in TITLES:
        assert title in out, title
    assert out.count("┌") == len(TITLES)  # .mode box, a table per report
    assert "Fintech startups" in out and "avery" in out
    assert hashlib.sha256(open(db, "rb").read()).hexdigest() == before
    # A database with no calls yet prints the same reports, empty.
    empty = fresh_db(tmp, "empty.db")
    p = shell(empty, script=REPORTS_SQL)
    assert p.returncode == 0 and p.stderr == b"" and b"Error" not in p.stdout
    for title in TITLES:
        assert title.encode() in p.stdout


def test_views_from_the_command_line(demo):
    db, _ = demo
    p = shell(db, "SELECT * FROM v_operator_daily")
    assert p.returncode == 0 and p.stderr == b""
    lines = p.stdout.decode().splitlines()
    assert len(lines) == rows(db, "SELECT COUNT(*) AS n FROM v_operator_daily")[0]["n"] > 50
    assert sum(1 for l in lines if l.startswith(END + "|")) >= 3
    for view in ("v_calls", "v_outcomes_daily", "v_list_progress", "v_followups"):
        p = shell(db, "SELECT COUNT(*) FROM %s" % view)
        assert p.returncode == 0 and int(p.stdout) > 0, (view, p.stderr)


# --- 4. the demo database served -------------------------------------------------

def test_demo_database_serves(demo, tmp, server_factory):
    src, _ = demo
    db = os.path.join(tmp, "demo.db")
    shutil.copy(src, db)
    p = ctl(db, "passwd", "avery", stdin="avery-demo-password\n")
    assert p.returncode == 0, p.stderr
    srv = server_factory(extra_env={"DIALER_DB": db}, var=tmp)
    admin = srv.login("admin", srv.admin_password)
    total = rows(db, "SELECT COUNT(*) AS n FROM calls")[0]["n"]
    r = admin.get(srv.url("/api/v1/calls?per_page=50"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == total and len(body["items"]) == 50
    assert body["items"][0]["id"] == total  # newest first
    assert {i["provider"] for i in body["items"]} == {"sim"}
    r = admin.get(srv.url("/api/v1/lists"))
    assert r.status_code == 200
    assert len(r.json()["items"]) == 4
    # An operator sees their own calls.
    avery = srv.login("avery", "avery-demo-password")
    me = avery.get(srv.url("/api/v1/auth/me")).json()["user"]
    r = avery.get(srv.url("/api/v1/calls?per_page=200"))
    assert r.status_code == 200, r.text
    mine = rows(db, "SELECT COUNT(*) AS n FROM calls WHERE operator_id = ?", me["id"])[0]["n"]
    assert r.json()["total"] == mine > 0
    assert {i["operator_id"] for i in r.json()["items"]} == {me["id"]}
