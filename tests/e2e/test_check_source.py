"""tools/check-source.sh: the real tree passes; copies of it with planted
lines (banned functions, SQL built with snprintf/asprintf, prepared
statements whose SQL is a variable, directly or through a wrapper) fail,
each line named by file and number, and lines that only look alike pass."""
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "tools", "check-source.sh")
DIRS = ("lib", "cgi-bin", "tools", "tests/unit", "tests/fuzz", "bench")


def run(root):
    return subprocess.run([SCRIPT, root], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A copy of the C sources the script reads (and nothing else)."""
    dst = tmp_path_factory.mktemp("tree")
    for d in DIRS:
        src = os.path.join(ROOT, d)
        if os.path.isdir(src):
            shutil.copytree(src, str(dst / d), ignore=shutil.ignore_patterns(
                "__pycache__", "corpus", "*.o", "*.a"))
    return dst


@pytest.fixture
def tree(pristine, tmp_path):
    dst = tmp_path / "tree"
    shutil.copytree(str(pristine), str(dst))
    return dst


def plant(tree, rel, text):
    """Append a function holding `text` to a file; the line `text` is on."""
    path = tree / rel
    before = path.read_text()
    body = "\n/* planted */\nstatic void\nplanted_%d(void)\n{\n" % len(before)
    line = before.count("\n") + body.count("\n") + 1 + (0 if before.endswith("\n") else 1)
    path.write_text(before + ("" if before.endswith("\n") else "\n") + body + text + "\n}\n")
    return line


def test_the_real_tree_passes():
    r = run(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ""


# (file, planted lines, offset of the offending line, what the report says)
BAD = [
    ("lib/calls.c", '\tchar b[8];\n\tsprintf(b, "%d", 1);', 1, "sprintf() is banned"),
    ("cgi-bin/users.c", '\tchar b[8];\n\tstrcpy(b, "x");', 1, "strcpy() is banned"),
    ("lib/auth.c", '\tchar b[8] = "";\n\tstrcat(b, "x");', 1, "strcat() is banned"),
    ("tools/dialerctl.c", '\t(void)atoi("12");', 0, "atoi() is banned"),
    ("tests/unit/test_db.c", '\t(void)atof("1.5");', 0, "atof() is banned"),
    ("bench/hello.c", '\t(void)atol("7");', 0, "atol() is banned"),
    ("lib/db.c", '\tchar b[8];\n\tvsprintf(b, "%d", ap);', 1, "vsprintf() is banned"),
    ("cgi-bin/health.c", '\tchar b[8];\n\t(void)gets(b);', 1, "gets() is banned"),
    # SQL made by a format.
    ("lib/contacts.c", '\tchar q[64];\n\tsnprintf(q, sizeof(q), '
     '"SELECT * FROM contacts WHERE name = \'%s\'", "x");', 1, "SQL built with snprintf()"),
    ("lib/dnc.c", '\tchar q[64];\n\tsnprintf(q, sizeof(q), "  DELETE FROM dnc WHERE id = %d", 1);',
     1, "SQL built with snprintf()"),
    ("cgi-bin/stats.c", '\tchar *q;\n\tif (asprintf(&q, "UPDATE calls SET notes = \'%s\'", "x") > 0)'
     '\n\t\tfree(q);', 1, "SQL built with asprintf()"),
    ("tests/unit/test_leads.c", '\tchar q[64];\n\tsnprintf(q, sizeof(q), "pragma user_version = %d", 3);',
     1, "SQL built with snprintf()"),
    # SQL from a variable: a pointer, a buffer, a table built at run time.
    ("lib/calls.c", '\tconst char *q = getenv("Q");\n\t(void)db_stmt(q);', 1,
     "SQL built at run time: db_stmt() is given q,"),
    ("lib/leads.c", '\tchar q[32] = "SELECT 1";\n\t(void)db_stmt(q);', 1,
     "SQL built at run time: db_stmt() is given q,"),
    ("lib/db.c", '\tsqlite3_stmt *st;\n\tchar q[32] = "SELECT 1";\n'
     '\t(void)sqlite3_prepare_v2(db_conn(), q, -1, &st, NULL);', 2,
     "SQL built at run time: sqlite3_prepare_v2() is given q,"),
    ("lib/auth.c", '\tconst char *q = "SELECT 1";\n\t(void)sqlite3_exec(db_conn(), q, NULL, NULL, NULL);',
     1, "SQL built at run time: sqlite3_exec() is given q,"),
    # A pointer to a literal that could be pointed elsewhere later is no constant.
    ("cgi-bin/lists.c", '\tstatic const char *q = "SELECT 1";\n\t(void)db_stmt(q);', 1,
     "SQL built at run time: db_stmt() is given q,"),
    ("tests/unit/test_db.c", "\tstatic char t[2][16];\n\t(void)db_stmt(t[1]);", 1,
     "SQL built at run time: db_stmt() is given t[1],"),
    # Through a wrapper (testutil.h's): its caller is judged.
    ("tests/unit/test_leads.c", '\tchar q[32] = "DELETE FROM dnc";\n\ttu_sql_exec(q);', 1,
     "SQL built at run time: tu_sql_exec() is given q,"),
]

GOOD = [
    # Comments and literals never count.
    '\t/* sprintf(b, "x"); strcpy(a, b); db_stmt(q); */',
    '\t(void)"sprintf(b) atoi(x) SELECT * FROM t";',
    # A format that merely starts like a word of SQL, and SQL that is a constant.
    '\tchar m[64];\n\tsnprintf(m, sizeof(m), "Select a list: %d", 1);',
    '\tstatic const char q[] = "SELECT 1 " "FROM users";\n\t(void)db_stmt(q);',
    '\tstatic const char *const r = "SELECT 2";\n\t(void)db_stmt(r);',
    '\tint on = 1;\n\t(void)db_stmt(on ? "SELECT 1" : "SELECT 2");',
    # Names that only end like a banned one.
    '\tchar b[8];\n\tsnprintf(b, sizeof(b), "%d", 1);\n\t(void)strtol(b, NULL, 10);',
]


def test_each_planted_line_fails_naming_its_file_and_line(tree):
    want = []
    for rel, text, offset, says in BAD:
        line = plant(tree, rel, text) + offset
        want.append("%s:%d: %s" % (rel, line, says))
    r = run(str(tree))
    assert r.returncode == 1, r.stdout + r.stderr
    got = r.stdout.splitlines()
    assert len(got) == len(want), "\n".join(got)
    for w in want:
        assert any(g.startswith(w) for g in got), (w, got)
    assert "check-source: %d problem(s)" % len(want) in r.stderr


def test_allowed_lines_pass(tree):
    for text in GOOD:
        plant(tree, "lib/calls.c", text)
    r = run(str(tree))
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_new_wrapper_is_followed_to_its_callers(tree):
    """A function handing its parameter to db_stmt is itself checked."""
    path = tree / "lib" / "calls.c"
    text = path.read_text() + (
        "\nstatic sqlite3_stmt *\nplanted_run(long n, const char *sql)\n{\n"
        "\t(void)n;\n\treturn db_stmt(sql);\n}\n"
        "\nstatic void\nplanted_use(void)\n{\n"
        "\tchar who[8] = \"x\";\n\n"
        "\t(void)planted_run(1, \"SELECT 1\");\n"
        "\t(void)planted_run(2, who);\n}\n")
    path.write_text(text)
    line = text.count("\n") - 1
    r = run(str(tree))
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        "lib/calls.c:%d: SQL built at run time: planted_run() is given who, not a string "
        "literal or a constant made of literals" % line], r.stdout
