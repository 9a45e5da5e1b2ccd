/*
 * Tests for lib/db.c: opening and migrating, the statement cache,
 * transactions and the mapping of SQLite's result codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "testutil.h"

static int
setup(void **state)
{
	struct tu_db *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	tu_db_open(t);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tu_db *t = *state;

	tu_db_close(t);
	free(t);
	return 0;
}

/* For tests that open databases themselves: just a directory. */
static int
setup_dir(void **state)
{
	struct tu_db *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	tu_mkdtemp(t->dir, sizeof(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/test.db", t->dir);
	*state = t;
	return 0;
}

static int
table_exists(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int found;

	assert_int_equal(sqlite3_prepare_v2(db,
	    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1,
	    &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static int
raw_user_version(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* PRAGMA user_version binds no parameter: write the field in the header of
 * the closed file instead (offset 60, 4 bytes, big-endian). */
static void
raw_set_user_version(const char *path, int v)
{
	unsigned char be[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
	    (unsigned char)(v >> 8), (unsigned char)v };
	FILE *f = fopen(path, "r+b");

	assert_non_null(f);
	assert_int_equal(fseek(f, 60, SEEK_SET), 0);
	assert_int_equal(fwrite(be, 1, sizeof(be), f), sizeof(be));
	assert_int_equal(fclose(f), 0);
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* --- opening and migrating ----------------------------------------- */

static void
test_fresh_database_migrated(void **state)
{
	static const char *const tables[] = {
		"users", "sessions", "login_failures", "contact_lists", "contacts",
		"calls", "call_events", NULL
	};
	const char *const *t;
	sqlite3_stmt *st;

	(void)state;
	assert_true(db_latest_version() >= 1);
	assert_int_equal(db_schema_version(), db_latest_version());
	assert_int_equal(tu_sql_int("PRAGMA user_version"), db_latest_version());
	for (t = tables; *t != NULL; t++)
		if (!table_exists(db_conn(), *t))
			fail_msg("table %s missing", *t);

	assert_int_equal(sqlite3_prepare_v2(db_conn(), "PRAGMA journal_mode", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);

	assert_int_equal(tu_sql_int("PRAGMA foreign_keys"), 1);
	assert_int_equal(tu_sql_int("PRAGMA busy_timeout"), 30000);
	assert_int_equal(tu_sql_int("PRAGMA synchronous"), 1); /* NORMAL */
	/* Not left inside the migration's transaction. */
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
}

static void
test_foreign_keys_enforced(void **state)
{
	sqlite3_stmt *st;

	(void)state;
	st = db_stmt("INSERT INTO sessions (user_id, token_hash, created_unix, "
	    "seen_unix, expires_unix) VALUES (12345, x'00', 0, 0, 0)");
	assert_non_null(st);
	assert_int_equal(db_exec_stmt(st), DL_ERR_CONFLICT);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM sessions"), 0);
}

static void
test_second_open_is_noop(void **state)
{
	struct tu_db *t = *state;
	sqlite3 *before = db_conn();
	char other[160];

	snprintf(other, sizeof(other), "%s/other.db", t->dir);
	assert_int_equal(db_open(other), DL_OK);
	assert_ptr_equal(db_conn(), before);
	/* Still the first file; the second was never created. */
	assert_non_null(strstr(sqlite3_db_filename(db_conn(), "main"), "/test.db"));
	assert_int_equal(access(other, F_OK), -1);
}

static void
test_reopen_keeps_data(void **state)
{
	struct tu_db *t = *state;

	tu_sql_exec("INSERT INTO contact_lists (name) VALUES ('kept')");
	db_close();
	assert_null(db_conn());
	assert_int_equal(db_schema_version(), -1);
	assert_int_equal(raw_user_version(t->path), db_latest_version());

	assert_int_equal(db_open(t->path), DL_OK);
	assert_int_equal(db_schema_version(), db_latest_version());
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contact_lists WHERE name = 'kept'"), 1);
}

static void
test_newer_schema_refused(void **state)
{
	struct tu_db *t = *state;
	int newer = db_latest_version() + 1;

	db_close();
	raw_set_user_version(t->path, newer);

	assert_int_equal(db_open(t->path), DL_ERR_DB);
	assert_null(db_conn());
	assert_null(db_stmt("SELECT 1"));
	/* Nothing was changed. */
	assert_int_equal(raw_user_version(t->path), newer);

	/* Back to a version we know: opens again (teardown closes it). */
	raw_set_user_version(t->path, db_latest_version());
	assert_int_equal(db_open(t->path), DL_OK);
}

static void
test_failed_migration_rolls_back(void **state)
{
	struct tu_db *t = *state;

	/* A version-0 file that already has one of the tables: the migration
	 * fails part-way, and none of it may stay. */
	raw_exec(t->path, "CREATE TABLE calls (x INTEGER)");
	assert_int_not_equal(db_open(t->path), DL_OK);
	assert_null(db_conn());
	assert_int_equal(raw_user_version(t->path), 0);
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
		assert_int_equal(table_exists(db, "users"), 0);
		assert_int_equal(table_exists(db, "contacts"), 0);
		assert_int_equal(table_exists(db, "calls"), 1);
		sqlite3_close(db);
	}
}

static void
test_open_failures(void **state)
{
	struct tu_db *t = *state;
	char bad[160];
	FILE *f;

	/* No such directory. */
	snprintf(bad, sizeof(bad), "%s/missing-dir/x.db", t->dir);
	assert_int_equal(db_open(bad), DL_ERR_IO); /* SQLITE_CANTOPEN */
	assert_null(db_conn());

	/* Not a database. */
	snprintf(bad, sizeof(bad), "%s/garbage.db", t->dir);
	f = fopen(bad, "w");
	assert_non_null(f);
	for (int i = 0; i < 512; i++)
		fputs("this is not an SQLite database file. ", f);
	fclose(f);
	assert_int_equal(db_open(bad), DL_ERR_DB); /* SQLITE_NOTADB */
	assert_null(db_conn());

	/* A good one still opens afterwards. */
	snprintf(bad, sizeof(bad), "%s/good.db", t->dir);
	assert_int_equal(db_open(bad), DL_OK);
	assert_int_equal(db_schema_version(), db_latest_version());
	db_close();
}

static void
test_close_then_open_other(void **state)
{
	static const char sql[] = "SELECT COUNT(*) FROM contact_lists";
	struct tu_db *t = *state;
	char other[160];
	sqlite3_stmt *st;

	tu_sql_exec("INSERT INTO contact_lists (name) VALUES ('a'), ('b')");
	st = db_stmt(sql);
	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	db_close();

	snprintf(other, sizeof(other), "%s/other.db", t->dir);
	assert_int_equal(db_open(other), DL_OK);
	assert_non_null(strstr(sqlite3_db_filename(db_conn(), "main"), "/other.db"));
	assert_int_equal(db_schema_version(), db_latest_version());
	/* The same SQL pointer is prepared afresh on the new connection. */
	st = db_stmt(sql);
	assert_non_null(st);
	assert_ptr_equal(sqlite3_db_handle(st), db_conn());
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_reset(st);
	db_close();

	/* And back to the first. */
	assert_int_equal(db_open(t->path), DL_OK);
	st = db_stmt(sql);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	sqlite3_reset(st);
}

/*
 * Several processes open the same new file at once (FastCGI processes
 * starting together on a fresh install): every one must succeed and the
 * schema is applied exactly once. The race is narrow, so it is run on
 * many fresh files; the failures are counted by error code.
 */
#define RACE_ROUNDS 20
#define RACE_PROCS 6

static void
test_concurrent_first_open(void **state)
{
	struct tu_db *t = *state;
	int fails[DL_ERR__COUNT + 1] = { 0 }, nfail = 0, round, i, status;
	char path[160], msg[512] = "";

	for (round = 0; round < RACE_ROUNDS; round++) {
		pid_t pids[RACE_PROCS];
		int gate[2];

		snprintf(path, sizeof(path), "%s/race%d.db", t->dir, round);
		/* Children wait at the gate until all exist, then go at once. */
		assert_int_equal(pipe(gate), 0);
		fflush(NULL);
		for (i = 0; i < RACE_PROCS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				enum dl_err err;
				char c;

				close(gate[1]);
				if (read(gate[0], &c, 1) != 0)
					_exit(101);
				if (freopen("/dev/null", "w", stderr) == NULL)
					_exit(100);
				err = db_open(path);
				if (err == DL_OK && db_schema_version() != db_latest_version())
					err = DL_ERR__COUNT;
				db_close();
				_exit((int)err);
			}
		}
		close(gate[0]);
		close(gate[1]);
		for (i = 0; i < RACE_PROCS; i++) {
			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			assert_true(WEXITSTATUS(status) <= DL_ERR__COUNT);
			if (WEXITSTATUS(status) != 0) {
				fails[WEXITSTATUS(status)]++;
				nfail++;
			}
		}
		/* Whatever happened, the file ends up fully migrated once. */
		assert_int_equal(db_open(path), DL_OK);
		assert_int_equal(db_schema_version(), db_latest_version());
		assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM sqlite_master WHERE "
		    "type = 'table' AND name = 'users'"), 1);
		db_close();
	}
	if (nfail > 0) {
		for (i = 1; i <= DL_ERR__COUNT; i++)
			if (fails[i] > 0)
				snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " %s x%d",
				    i == DL_ERR__COUNT ? "not-migrated" : dl_strerror((enum dl_err)i),
				    fails[i]);
		fail_msg("%d of %d simultaneous first db_open() calls failed:%s", nfail,
		    RACE_ROUNDS * RACE_PROCS, msg);
	}
}

/* --- statements ------------------------------------------------------ */

static void
test_stmt_cached_and_reset(void **state)
{
	static const char sql[] = "SELECT ?1";
	sqlite3_stmt *a, *b;

	(void)state;
	a = db_stmt(sql);
	assert_non_null(a);
	assert_int_equal(sqlite3_bind_int(a, 1, 42), SQLITE_OK);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(a, 0), 42);
	assert_int_not_equal(sqlite3_stmt_busy(a), 0);

	/* Left mid-way and bound: it comes back the same, reset and unbound. */
	b = db_stmt(sql);
	assert_ptr_equal(a, b);
	assert_int_equal(sqlite3_stmt_busy(b), 0);
	assert_int_equal(sqlite3_step(b), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(b, 0), SQLITE_NULL);
	sqlite3_reset(b);

	/* Another SQL string is another statement. */
	b = db_stmt("SELECT 2");
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(sqlite3_step(b), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(b, 0), 2);
	sqlite3_reset(b);
}

static void
test_stmt_errors(void **state)
{
	(void)state;
	assert_null(db_stmt("SELEKT nonsense"));
	assert_null(db_stmt("SELECT * FROM no_such_table"));
	db_close();
	assert_null(db_stmt("SELECT 1"));
}

/* "SELECT 0" ... "SELECT 149" ("SELECT 07" is 7), each a string of its own. */
#define TEN(d) "SELECT " #d "0", "SELECT " #d "1", "SELECT " #d "2", "SELECT " #d "3", \
	"SELECT " #d "4", "SELECT " #d "5", "SELECT " #d "6", "SELECT " #d "7", \
	"SELECT " #d "8", "SELECT " #d "9"

static void
test_stmt_many(void **state)
{
	/* More distinct statements than the cache holds: all still work. */
	static const char *const sql[150] = { TEN(0), TEN(1), TEN(2), TEN(3), TEN(4), TEN(5),
	    TEN(6), TEN(7), TEN(8), TEN(9), TEN(10), TEN(11), TEN(12), TEN(13), TEN(14) };
	sqlite3_stmt *st;
	int i, round;

	(void)state;
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 150; i++) {
			st = db_stmt(sql[i]);
			assert_non_null(st);
			assert_int_equal(sqlite3_step(st), SQLITE_ROW);
			assert_int_equal(sqlite3_column_int(st, 0), i);
			sqlite3_reset(st);
		}
	}
}

static void
test_exec_stmt(void **state)
{
	static const char ins[] =
	    "INSERT INTO users (username, password_hash) VALUES (?1, 'x')";
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(db_exec_stmt(NULL), DL_ERR_DB);
	st = db_stmt(ins);
	sqlite3_bind_text(st, 1, "ada", -1, SQLITE_STATIC);
	assert_int_equal(db_exec_stmt(st), DL_OK);
	/* Reset after use: it can run again at once. */
	assert_int_equal(sqlite3_stmt_busy(st), 0);
	/* The username is unique regardless of case. */
	sqlite3_bind_text(st, 1, "ADA", -1, SQLITE_STATIC);
	assert_int_equal(db_exec_stmt(st), DL_ERR_CONFLICT);
	/* A CHECK constraint is a conflict too. */
	st = db_stmt("INSERT INTO users (username, password_hash, role) VALUES ('b', 'x', 'root')");
	assert_int_equal(db_exec_stmt(st), DL_ERR_CONFLICT);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM users"), 1);
}

static void
test_bind_text(void **state)
{
	static const char sql[] = "SELECT ?1, typeof(?1)";
	char buf[16];
	sqlite3_stmt *st;

	(void)state;
	st = db_stmt(sql);
	snprintf(buf, sizeof(buf), "%s", "copied");
	assert_int_equal(db_bind_text(st, 1, buf), SQLITE_OK);
	snprintf(buf, sizeof(buf), "%s", "changed");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "copied");

	st = db_stmt(sql);
	assert_int_equal(db_bind_text(st, 1, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "null");
	sqlite3_reset(st);
}

/* --- db_err ---------------------------------------------------------- */

static void
test_err_mapping(void **state)
{
	(void)state;
	assert_int_equal(db_err(SQLITE_OK), DL_OK);
	assert_int_equal(db_err(SQLITE_ROW), DL_OK);
	assert_int_equal(db_err(SQLITE_DONE), DL_OK);

	assert_int_equal(db_err(SQLITE_BUSY), DL_ERR_BUSY);
	assert_int_equal(db_err(SQLITE_LOCKED), DL_ERR_BUSY);
	assert_int_equal(db_err(SQLITE_BUSY_SNAPSHOT), DL_ERR_BUSY);
	assert_int_equal(db_err(SQLITE_LOCKED_SHAREDCACHE), DL_ERR_BUSY);

	assert_int_equal(db_err(SQLITE_FULL), DL_ERR_IO);
	assert_int_equal(db_err(SQLITE_READONLY), DL_ERR_IO);
	assert_int_equal(db_err(SQLITE_READONLY_DBMOVED), DL_ERR_IO);
	assert_int_equal(db_err(SQLITE_IOERR), DL_ERR_IO);
	assert_int_equal(db_err(SQLITE_IOERR_READ), DL_ERR_IO);
	assert_int_equal(db_err(SQLITE_IOERR_FSYNC), DL_ERR_IO);
	assert_int_equal(db_err(SQLITE_CANTOPEN), DL_ERR_IO);
	assert_int_equal(db_err(SQLITE_CANTOPEN_ISDIR), DL_ERR_IO);

	assert_int_equal(db_err(SQLITE_CONSTRAINT), DL_ERR_CONFLICT);
	assert_int_equal(db_err(SQLITE_CONSTRAINT_UNIQUE), DL_ERR_CONFLICT);
	assert_int_equal(db_err(SQLITE_CONSTRAINT_FOREIGNKEY), DL_ERR_CONFLICT);
	assert_int_equal(db_err(SQLITE_CONSTRAINT_CHECK), DL_ERR_CONFLICT);

	assert_int_equal(db_err(SQLITE_NOMEM), DL_ERR_NOMEM);

	assert_int_equal(db_err(SQLITE_ERROR), DL_ERR_DB);
	assert_int_equal(db_err(SQLITE_MISUSE), DL_ERR_DB);
	assert_int_equal(db_err(SQLITE_CORRUPT), DL_ERR_DB);
	assert_int_equal(db_err(SQLITE_NOTADB), DL_ERR_DB);
	assert_int_equal(db_err(SQLITE_SCHEMA), DL_ERR_DB);
	assert_int_equal(db_err(SQLITE_PERM), DL_ERR_DB);
	assert_int_equal(db_err(SQLITE_RANGE), DL_ERR_DB);
	assert_int_equal(db_err(SQLITE_INTERNAL), DL_ERR_DB);
}

/* --- transactions ---------------------------------------------------- */

static void
test_transactions(void **state)
{
	(void)state;
	/* Rollback undoes. */
	assert_int_equal(db_begin(), DL_OK);
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 0);
	tu_sql_exec("INSERT INTO contact_lists (name) VALUES ('gone')");
	db_rollback();
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contact_lists"), 0);

	/* Commit keeps. */
	assert_int_equal(db_begin(), DL_OK);
	tu_sql_exec("INSERT INTO contact_lists (name) VALUES ('kept')");
	assert_int_equal(db_commit(), DL_OK);
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contact_lists"), 1);

	/* Rollback with nothing open is harmless, twice. */
	db_rollback();
	db_rollback();
	/* Commit with nothing open is an error. */
	assert_int_not_equal(db_commit(), DL_OK);

	/* No nesting. */
	assert_int_equal(db_begin(), DL_OK);
	assert_int_not_equal(db_begin(), DL_OK);
	db_rollback();
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
}

static void
test_begin_is_immediate(void **state)
{
	struct tu_db *t = *state;
	sqlite3 *other;
	int rc;

	/* BEGIN IMMEDIATE takes the write lock at once: another connection
	 * cannot write until we finish. */
	assert_int_equal(db_begin(), DL_OK);
	assert_int_equal(sqlite3_open(t->path, &other), SQLITE_OK);
	sqlite3_busy_timeout(other, 0);
	rc = sqlite3_exec(other, "INSERT INTO contact_lists (name) VALUES ('x')", NULL,
	    NULL, NULL);
	assert_int_equal(db_err(rc), DL_ERR_BUSY);
	db_rollback();
	rc = sqlite3_exec(other, "INSERT INTO contact_lists (name) VALUES ('x')", NULL,
	    NULL, NULL);
	assert_int_equal(rc, SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contact_lists"), 1);
}

static void
test_closed_connection(void **state)
{
	(void)state;
	db_close();
	assert_null(db_conn());
	assert_int_equal(db_schema_version(), -1);
	db_rollback(); /* safe */
	db_close();    /* twice is fine */
	assert_true(db_latest_version() >= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_database_migrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_keys_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_open_is_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_open_failures, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_close_then_open_other, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_first_open, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_stmt_cached_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stmt_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stmt_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_stmt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_err_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_is_immediate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_connection, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
