"""`dialerctl backup FILE`: a consistent copy of the live database, taken
while the server serves and writers keep writing.

Writers post for the whole test (operators dialing and logging outcomes,
contact imports, new users); backups taken meanwhile must each pass
integrity_check, open with the app, and hold one snapshot: never fewer rows
than before the backup started nor more than after it ended, every import
all in or all out. The writers see no error. Bad target paths get a clear
message and exit 1.
"""
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
import requests

import csvgen
from conftest import DIALERCTL, ROOT, clean_env, give_back

LOAD_ROWS = 100
TABLES = ("users", "contact_lists", "contacts", "calls", "call_events")


LATEST = max(int(n[:3]) for n in os.listdir(os.path.join(ROOT, "sql"))
             if re.match(r"^\d{3}_\w+\.sql$", n))


@pytest.fixture
def folder():
    """A folder the web server's user may write (backups are taken as that
    user, as README tells an admin), with a copy of dialerctl it can run."""
    d = tempfile.mkdtemp(prefix="dialer-backup-")
    os.chmod(d, 0o755)
    shutil.copy2(DIALERCTL, os.path.join(d, "dialerctl"))
    os.chmod(os.path.join(d, "dialerctl"), 0o755)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "www-data:www-data", d], check=True)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def backup(folder, db, target):
    env = clean_env()
    env["DIALER_DB"] = db
    argv = [os.path.join(folder, "dialerctl"), "backup", target]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "www-data", "--", *argv]
    return subprocess.run(argv, env=env, cwd=folder, capture_output=True, text=True,
                          timeout=120)


def counts(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=30)
    try:
        # One read transaction: every count from the same moment.
        con.execute("BEGIN")
        return {t: con.execute("SELECT COUNT(*) FROM %s" % t).fetchone()[0] for t in TABLES}
    finally:
        con.close()


class Writers:
    """Threads writing through HTTP until stopped; every answer that is not
    a success is an error. `done` holds (monotonic time, kind) per write."""

    def __init__(self, server):
        self.server = server
        self.stop = threading.Event()
        self.errors = []
        self.done = []
        self.lock = threading.Lock()
        self.threads = []

    def record(self, kind, r, want):
        if r.status_code != want:
            with self.lock:
                self.errors.append((kind, r.status_code, r.text[:300]))
            return False
        with self.lock:
            self.done.append((time.monotonic(), kind))
        return True

    def caller(self, n):
        user, pw = self.server.create_user()
        s = self.server.login(user["username"], pw)
        url = self.server.url
        i = 0
        while not self.stop.is_set():
            phone = "+1202555%04d" % (100 + (n * 50 + i) % 100)
            r = s.post(url("/api/v1/calls"), json={"to_phone": phone}, timeout=60)
            if not self.record("call", r, 201):
                return
            cid = r.json()["call"]["id"]
            r = s.post(url("/api/v1/calls/%d/log" % cid),
                       json={"outcome": "voicemail", "notes": "left a message %d" % i}, timeout=60)
            self.record("log", r, 200)
            r = s.post(url("/api/v1/calls/%d/end" % cid), timeout=60)
            self.record("end", r, 200)
            i += 1

    def importer(self):
        rows = [["Load %d" % i, "Loadco", w, ""] for i, (w, _e) in
                enumerate(csvgen.written_numbers(LOAD_ROWS))]
        body = csvgen.rows_to_csv(["name", "company", "phone", "title"], rows)
        while not self.stop.is_set():
            r = self.server.api("POST", "/api/v1/contacts/import", data=body,
                                params={"list_name": "load-" + uuid.uuid4().hex[:8]},
                                headers={"Content-Type": "text/csv"})
            if self.record("import", r, 200):
                assert r.json()["imported"] == LOAD_ROWS

    def user_maker(self):
        while not self.stop.is_set():
            r = self.server.api("POST", "/api/v1/users", json={
                "username": "u-" + uuid.uuid4().hex[:12], "password": "pw-" + uuid.uuid4().hex,
                "role": "operator"})
            self.record("user", r, 201)

    def start(self):
        targets = [(self.caller, (0,)), (self.caller, (1,)), (self.importer, ()),
                   (self.user_maker, ())]
        for fn, args in targets:
            t = threading.Thread(target=fn, args=args, daemon=True)
            t.start()
            self.threads.append(t)

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)

    def between(self, t0, t1):
        with self.lock:
            return sum(1 for t, _k in self.done if t0 < t < t1)


def check_backup(path, before, after, printed):
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    m = re.match(r"^backup (\S+): (\d+) pages, (\d+) bytes, schema version (\d+)$", printed.strip())
    assert m, printed
    assert m.group(1) == path and int(m.group(3)) == st.st_size and int(m.group(4)) == LATEST
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert con.execute("PRAGMA page_count").fetchone()[0] == int(m.group(2))
        got = {t: con.execute("SELECT COUNT(*) FROM %s" % t).fetchone()[0] for t in TABLES}
        # An import is one transaction: all of its rows or none of them.
        partial = con.execute(
            "SELECT l.name, l.contact_count, COUNT(c.id) FROM contact_lists l "
            "LEFT JOIN contacts c ON c.list_id = l.id WHERE l.name LIKE 'load-%' "
            "GROUP BY l.id HAVING COUNT(c.id) != ? OR l.contact_count != ?",
            (LOAD_ROWS, LOAD_ROWS)).fetchall()
        assert partial == []
    finally:
        con.close()
    for t in TABLES:
        assert before[t] <= got[t] <= after[t], (t, before[t], got[t], after[t])
    return got


def test_backups_under_write_load(server_factory, folder):
    srv = server_factory({"DIALER_MAX_CALLS_PER_MINUTE": "100000",
                          "DIALER_MAX_ACTIVE_CALLS": "100000"})
    # Enough data that a copy takes a while, so writes land during it.
    body, n = csvgen.big_csv(6 << 20)
    r = srv.api("POST", "/api/v1/contacts/import", data=body, params={"list_name": "big"},
                headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["imported"] == n, r.text[:500]

    writers = Writers(srv)
    writers.start()
    results = []
    try:
        time.sleep(1.0)
        for i in range(5):
            target = os.path.join(folder, "dialer-%d.db" % i)
            before = counts(srv.db_path)
            t0 = time.monotonic()
            p = backup(folder, srv.db_path, target)
            t1 = time.monotonic()
            after = counts(srv.db_path)
            assert p.returncode == 0, p.stderr
            got = check_backup(target, before, after, p.stdout)
            results.append((target, got, writers.between(t0, t1), t1 - t0))
            time.sleep(0.3)
    finally:
        writers.join()
        give_back(srv.var)
    assert writers.errors == [], writers.errors[:5]
    kinds = {k for _t, k in writers.done}
    assert kinds == {"call", "log", "end", "import", "user"}, kinds
    # Writers went on while backups ran: nobody waited for the copy.
    assert sum(r[2] for r in results) > 0, results
    print("backups (path, rows, writes during, seconds):", results)
    # Each backup is a different moment of a growing database.
    assert results[-1][1]["calls"] > results[0][1]["calls"]
    assert not [n for n in os.listdir(folder) if ".tmp-" in n]

    # A backup opens with the app: dialerctl upgrades nothing, and a second
    # server serves it.
    target, got, _n, _t = results[-1]
    restored = tempfile.mkdtemp(prefix="dialer-restored-")
    try:
        shutil.copyfile(target, os.path.join(restored, "dialer.db"))
        env = clean_env()
        env["DIALER_DB"] = os.path.join(restored, "dialer.db")
        p = subprocess.run([DIALERCTL, "init-db"], env=env, capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 0 and "schema version %d" % LATEST in p.stdout, p.stderr
        second = server_factory(var=restored)
        admin = second.login("admin", second.admin_password)
        r = admin.get(second.url("/api/v1/lists"), timeout=60)
        assert r.status_code == 200
        assert len(r.json()["items"]) == got["contact_lists"]
        assert sum(item["total"] for item in r.json()["items"]) == got["contacts"]
        r = admin.get(second.url("/api/v1/calls"), params={"per_page": 1}, timeout=60)
        assert r.status_code == 200 and r.json()["total"] == got["calls"]
    finally:
        shutil.rmtree(restored, ignore_errors=True)


@pytest.fixture
def live(folder):
    """A database made by dialerctl, in the writable folder."""
    db = os.path.join(folder, "live.db")
    env = clean_env()
    env["DIALER_DB"] = db
    argv = [os.path.join(folder, "dialerctl"), "init-db"]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "www-data", "--", *argv]
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return db


def test_bad_targets(folder, live):
    with open(live, "rb") as f:
        original = f.read()
    missing = os.path.join(folder, "no-such-dir", "b.db")
    p = backup(folder, live, missing)
    assert p.returncode == 1
    assert missing in p.stderr and "No such file or directory" in p.stderr, p.stderr
    assert not os.path.exists(os.path.dirname(missing))

    link = os.path.join(folder, "link.db")
    os.symlink(live, link)
    for target in (live, link, os.path.basename(live), live + "-wal"):
        holder = None
        if target.endswith("-wal"):
            # Only an open connection keeps the WAL: hold one, and leave
            # the files it makes to the user running the backup.
            holder = sqlite3.connect(live)
            holder.execute("SELECT COUNT(*) FROM users").fetchone()
            assert os.path.exists(target)
            if os.geteuid() == 0:
                subprocess.run(["chown", "www-data:www-data", live + "-wal", live + "-shm"],
                               check=True)
        try:
            p = backup(folder, live, target)
        finally:
            if holder is not None:
                holder.close()
        assert p.returncode == 1, (target, p.stdout)
        assert "is the live database" in p.stderr, p.stderr
    with open(live, "rb") as f:
        assert f.read() == original

    p = backup(folder, live, folder)
    assert p.returncode == 1 and "is a directory" in p.stderr, p.stderr
    assert not [n for n in os.listdir(folder) if ".tmp-" in n]


def test_usage(folder, live):
    env = clean_env()
    env["DIALER_DB"] = live
    for args in ([], ["a.db", "b.db"], ["--frobnicate"]):
        p = subprocess.run([DIALERCTL, "backup", *args], env=env, capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 2 and "usage: dialerctl backup FILE" in p.stderr, (args, p.stderr)
    p = subprocess.run([DIALERCTL, "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert "backup FILE" in p.stdout


def test_replaces_an_old_backup_whole(folder, live):
    target = os.path.join(folder, "nightly.db")
    with open(target, "wb") as f:
        f.write(b"yesterday's backup")
    old_inode = os.stat(target).st_ino
    p = backup(folder, live, target)
    assert p.returncode == 0, p.stderr
    # Renamed into place: a new file, never the old one written over.
    assert os.stat(target).st_ino != old_inode
    con = sqlite3.connect("file:%s?mode=ro" % target, uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT COUNT(*) FROM users").fetchone() == (0,)
        # A backup is one file: no -wal needed to read it.
        assert con.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        con.close()
    assert sorted(os.listdir(folder)) == ["dialerctl", "live.db", "nightly.db"]


def test_a_missing_database_is_not_created_and_no_backup_is_replaced(folder):
    target = os.path.join(folder, "nightly.db")
    with open(target, "wb") as f:
        f.write(b"last night's good backup")
    typo = os.path.join(folder, "dialr.db")
    p = backup(folder, typo, target)
    assert p.returncode == 1 and "no such database" in p.stderr, p.stderr
    assert not os.path.exists(typo)
    with open(target, "rb") as f:
        assert f.read() == b"last night's good backup"


def test_an_older_database_is_copied_as_it_is_not_migrated(folder):
    old = os.path.join(folder, "old.db")
    c = sqlite3.connect(old)
    with open(os.path.join(ROOT, "sql", "001_init.sql")) as f:
        c.executescript(f.read())
    c.execute("PRAGMA user_version = 1")
    c.execute("INSERT INTO users (username, password_hash) VALUES ('kept', 'x')")
    c.commit()
    c.close()
    if os.geteuid() == 0:
        subprocess.run(["chown", "www-data:www-data", old], check=True)
    target = os.path.join(folder, "before-upgrade.db")
    p = backup(folder, old, target)
    assert p.returncode == 0, p.stderr
    assert "schema version 1" in p.stdout, p.stdout
    for path in (old, target):
        c = sqlite3.connect(path)
        try:
            assert c.execute("PRAGMA user_version").fetchone()[0] == 1, path
            assert c.execute("SELECT username FROM users").fetchall() == [("kept",)]
        finally:
            c.close()
