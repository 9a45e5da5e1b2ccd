#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "migrations.h"

/* Enough for every statement in one program; a full cache still works,
 * it just prepares the overflow each time. */
#define STMT_CACHE 96

struct cached {
	const char *sql; /* identity is the pointer: SQL lives in string literals */
	sqlite3_stmt *st;
};

static sqlite3 *conn;
static struct cached cache[STMT_CACHE];
static size_t ncached;
/* Statements prepared beyond the cache, finalized when the next one comes. */
static sqlite3_stmt *overflow;

enum dl_err
db_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return DL_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DL_ERR_BUSY;
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		return DL_ERR_IO;
	case SQLITE_CONSTRAINT:
		return DL_ERR_CONFLICT;
	case SQLITE_NOMEM:
		return DL_ERR_NOMEM;
	default:
		return DL_ERR_DB;
	}
}

static enum dl_err
exec(const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		fprintf(stderr, "db: %s\n", msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return db_err(rc) == DL_OK ? DL_ERR_DB : db_err(rc);
	}
	return DL_OK;
}

int
db_latest_version(void)
{
	return db_nmigrations == 0 ? 0 : db_migrations[db_nmigrations - 1].version;
}

int
db_schema_version(void)
{
	sqlite3_stmt *st;
	int v = -1;

	if (conn == NULL)
		return -1;
	if (sqlite3_prepare_v2(conn, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static enum dl_err
migrate(void)
{
	enum dl_err err;
	int current;
	size_t i;

	/* Cheap check first: a current database costs no write lock. */
	if (db_schema_version() == db_latest_version())
		return DL_OK;
	if ((err = exec("BEGIN IMMEDIATE")) != DL_OK)
		return err;
	/* Another process may have migrated while we waited for the lock. */
	current = db_schema_version();
	if (current < 0) {
		err = DL_ERR_DB;
		goto fail;
	}
	if (current > db_latest_version()) {
		fprintf(stderr, "db: schema version %d is newer than this program "
		    "(%d); upgrade the program\n", current, db_latest_version());
		err = DL_ERR_DB;
		goto fail;
	}
	for (i = 0; i < db_nmigrations; i++) {
		char pragma[48];

		if (db_migrations[i].version <= current)
			continue;
		if ((err = exec(db_migrations[i].sql)) != DL_OK) {
			fprintf(stderr, "db: migration %s failed\n", db_migrations[i].name);
			goto fail;
		}
		/* PRAGMA takes no parameters; the value is our own integer. */
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    db_migrations[i].version);
		if ((err = exec(pragma)) != DL_OK)
			goto fail;
	}
	return exec("COMMIT");
fail:
	sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

/*
 * Switching a new database to WAL needs a moment of exclusive access, and
 * SQLite answers BUSY at once there instead of waiting out busy_timeout:
 * several programs opening a fresh database together must retry.
 */
static enum dl_err
enable_wal(void)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int rc, tries;

	for (tries = 0; tries < 500; tries++) {
		rc = sqlite3_exec(conn, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		nanosleep(&pause, NULL);
	}
	if (rc != SQLITE_OK) {
		fprintf(stderr, "db: cannot enable WAL: %s\n", sqlite3_errmsg(conn));
		return db_err(rc) == DL_OK ? DL_ERR_DB : db_err(rc);
	}
	return DL_OK;
}

enum dl_err
db_open(const char *path)
{
	enum dl_err err;
	int rc;

	if (conn != NULL)
		return DL_OK;
	rc = sqlite3_open_v2(path, &conn,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "db: cannot open %s: %s\n", path,
		    conn != NULL ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
		sqlite3_close(conn);
		conn = NULL;
		return db_err(rc) == DL_OK ? DL_ERR_DB : db_err(rc);
	}
	sqlite3_extended_result_codes(conn, 1);
	sqlite3_busy_timeout(conn, 5000);
	/* WAL lets readers run beside the one writer; NORMAL sync is durable
	 * against a killed process, which is the crash we design for. */
	if ((err = enable_wal()) != DL_OK ||
	    (err = exec("PRAGMA synchronous=NORMAL")) != DL_OK ||
	    (err = exec("PRAGMA foreign_keys=ON")) != DL_OK ||
	    (err = migrate()) != DL_OK) {
		db_close();
		return err;
	}
	return DL_OK;
}

void
db_close(void)
{
	size_t i;

	for (i = 0; i < ncached; i++)
		sqlite3_finalize(cache[i].st);
	ncached = 0;
	sqlite3_finalize(overflow);
	overflow = NULL;
	sqlite3_close(conn);
	conn = NULL;
}

sqlite3 *
db_conn(void)
{
	return conn;
}

sqlite3_stmt *
db_stmt(const char *sql)
{
	sqlite3_stmt *st;
	size_t i;

	if (conn == NULL)
		return NULL;
	for (i = 0; i < ncached; i++) {
		if (cache[i].sql == sql) {
			sqlite3_reset(cache[i].st);
			sqlite3_clear_bindings(cache[i].st);
			return cache[i].st;
		}
	}
	if (sqlite3_prepare_v3(conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		fprintf(stderr, "db: prepare failed: %s\n", sqlite3_errmsg(conn));
		return NULL;
	}
	if (ncached < STMT_CACHE) {
		cache[ncached].sql = sql;
		cache[ncached].st = st;
		ncached++;
	} else {
		sqlite3_finalize(overflow);
		overflow = st;
	}
	return st;
}

enum dl_err
db_begin(void)
{
	return exec("BEGIN IMMEDIATE");
}

enum dl_err
db_read_begin(void)
{
	return db_exec_stmt(db_stmt("BEGIN"));
}

void
db_read_end(void)
{
	if (conn != NULL && !sqlite3_get_autocommit(conn))
		db_exec_stmt(db_stmt("COMMIT"));
}

enum dl_err
db_commit(void)
{
	return exec("COMMIT");
}

void
db_rollback(void)
{
	if (conn != NULL && !sqlite3_get_autocommit(conn))
		sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
}

enum dl_err
db_exec_stmt(sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return DL_OK;
	return db_err(rc) == DL_OK ? DL_ERR_DB : db_err(rc);
}

int
db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}
