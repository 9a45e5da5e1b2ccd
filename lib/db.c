#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "migrations.h"

/* Enough for every statement in one program; a full cache still works,
 * it just prepares the overflow each time. */
#define STMT_CACHE 96

/*
 * How long a writer waits for the write lock before SQLITE_BUSY (a 503 to
 * its client). The longest write transaction is a CSV import, one
 * transaction from the first row to the last: 100,000 rows hold the lock
 * 1.5-4 s on this 2-core machine (14 s built with SAN=1). With 5 s, an
 * operator's logged outcome or a provider's webhook arriving during a
 * large import was refused; a webhook refused is an event lost. 30 s
 * covers the slowest import with room to spare and stays well under the
 * web server's 120 s I/O timeout.
 */
#define DB_BUSY_TIMEOUT_MS 30000

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

/* DL_OK when PRAGMA foreign_key_check finds no row pointing nowhere. */
static enum dl_err
foreign_keys_intact(void)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(conn, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return DL_ERR_DB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fprintf(stderr, "db: migration left a broken reference in table %s\n",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? DL_OK : DL_ERR_DB;
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
	/* A migration that rebuilds a table (SQLite's 12-step ALTER) must not
	 * let DROP TABLE cascade into the rows that refer to it; the keys are
	 * checked as a whole before the commit instead. The pragma is a no-op
	 * inside a transaction, hence here. */
	if ((err = exec("PRAGMA foreign_keys=OFF")) != DL_OK)
		return err;
	if ((err = exec("BEGIN IMMEDIATE")) != DL_OK)
		goto keys_on;
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
		if (db_migrations[i].version <= current)
			continue;
		if ((err = exec(db_migrations[i].sql)) != DL_OK) {
			fprintf(stderr, "db: migration %s failed\n", db_migrations[i].name);
			goto fail;
		}
		if ((err = exec(db_migrations[i].set_version)) != DL_OK)
			goto fail;
	}
	if ((err = foreign_keys_intact()) != DL_OK || (err = exec("COMMIT")) != DL_OK)
		goto fail;
	return exec("PRAGMA foreign_keys=ON");
fail:
	sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
keys_on:
	sqlite3_exec(conn, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
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
	sqlite3_busy_timeout(conn, DB_BUSY_TIMEOUT_MS);
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

enum dl_err
db_open_existing(const char *path)
{
	int rc;

	if (conn != NULL)
		return DL_OK;
	rc = sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "db: cannot open %s: %s\n", path,
		    conn != NULL ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
		sqlite3_close(conn);
		conn = NULL;
		return rc == SQLITE_CANTOPEN ? DL_ERR_NOTFOUND :
		    db_err(rc) == DL_OK ? DL_ERR_DB : db_err(rc);
	}
	sqlite3_extended_result_codes(conn, 1);
	sqlite3_busy_timeout(conn, DB_BUSY_TIMEOUT_MS);
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

void
db_drop_readonly(void)
{
	if (conn != NULL && sqlite3_db_readonly(conn, "main") == 1)
		db_close();
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

/* "%q%" with LIKE's wildcards in q escaped; digits_only keeps q's digits. */
static char *
like_pattern(const char *q, int digits_only)
{
	size_t j = 0;
	char *p = malloc(2 * strlen(q) + 3);

	if (p == NULL)
		return NULL;
	p[j++] = '%';
	for (; *q != '\0'; q++) {
		if (digits_only) {
			if (*q >= '0' && *q <= '9')
				p[j++] = *q;
			continue;
		}
		if (*q == '%' || *q == '_' || *q == '\\')
			p[j++] = '\\';
		p[j++] = *q;
	}
	p[j++] = '%';
	p[j] = '\0';
	return p;
}

enum dl_err
db_like_patterns(const char *q, char **text, char **digits)
{
	size_t n = 0;
	const char *p;

	*text = *digits = NULL;
	if (q == NULL || *q == '\0')
		return DL_OK;
	for (p = q; *p != '\0'; p++)
		n += *p >= '0' && *p <= '9';
	if ((*text = like_pattern(q, 0)) == NULL ||
	    (n >= 3 && (*digits = like_pattern(q, 1)) == NULL))
		return DL_ERR_NOMEM;
	return DL_OK;
}

/* --- online backup ---------------------------------------------------- */

/* `name` + `suffix` in a buffer the caller frees; NULL when out of memory. */
static char *
with_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);
	char *s = malloc(n + m + 1);

	if (s != NULL) {
		memcpy(s, name, n);
		memcpy(s + n, suffix, m + 1);
	}
	return s;
}

static int
same_file(const struct stat *a, const char *path)
{
	struct stat b;

	return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

/* Whether `path` (followed through links) is the open database or one of
 * the files SQLite keeps beside it: renaming the copy over one of those
 * would lose the live data. -1 when out of memory. */
int
db_is_live_file(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	const char *live = sqlite3_db_filename(conn, "main");
	struct stat st;
	size_t i;
	int same;

	if (live == NULL || *live == '\0' || stat(path, &st) != 0)
		return 0;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char *name = with_suffix(live, suffixes[i]);

		if (name == NULL)
			return -1;
		same = same_file(&st, name);
		free(name);
		if (same)
			return 1;
	}
	return 0;
}

static void
remove_tmp(const char *tmp)
{
	static const char *const suffixes[] = { "", "-journal", "-wal", "-shm" };
	size_t i;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char *name = with_suffix(tmp, suffixes[i]);

		if (name != NULL)
			unlink(name);
		free(name);
	}
}

static enum dl_err
fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0) {
		fprintf(stderr, "db: cannot sync %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return DL_ERR_IO;
	}
	close(fd);
	return DL_OK;
}

/* The one-value answer of a PRAGMA on `c` as text into `out`. */
static enum dl_err
pragma_text(sqlite3 *c, const char *sql, char *out, size_t outsz)
{
	sqlite3_stmt *st;
	const unsigned char *v;
	int rc;

	if ((rc = sqlite3_prepare_v2(c, sql, -1, &st, NULL)) != SQLITE_OK) {
		fprintf(stderr, "db: %s: %s\n", sql, sqlite3_errmsg(c));
		return db_err(rc) == DL_OK ? DL_ERR_DB : db_err(rc);
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		fprintf(stderr, "db: %s: %s\n", sql, sqlite3_errmsg(c));
		sqlite3_finalize(st);
		return db_err(rc) == DL_OK ? DL_ERR_DB : db_err(rc);
	}
	v = sqlite3_column_text(st, 0);
	snprintf(out, outsz, "%s", v != NULL ? (const char *)v : "");
	sqlite3_finalize(st);
	return DL_OK;
}

static enum dl_err
pragma_long(sqlite3 *c, const char *sql, long long *out)
{
	char text[32], *end;
	enum dl_err err;

	if ((err = pragma_text(c, sql, text, sizeof(text))) != DL_OK)
		return err;
	*out = strtoll(text, &end, 10);
	return end != text && *end == '\0' ? DL_OK : DL_ERR_DB;
}

/*
 * One sqlite3_backup_step(-1) copies every page inside a single read
 * transaction on the live database. In WAL mode writers carry on past a
 * reader, so the app never waits for us and we copy exactly the snapshot
 * the transaction began with. Stepping a few pages at a time would let
 * other connections commit between steps, and each such commit restarts
 * the copy from page one: under a steady write load it might never end.
 * The price of one step is that a checkpoint cannot pass our snapshot
 * while we copy, so the WAL grows for that time.
 */
static enum dl_err
copy_to(const char *tmp, int live_version, struct db_backup_info *info)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	sqlite3 *dst = NULL;
	sqlite3_backup *bk;
	char check[256], mode[16];
	long long version, page_size;
	enum dl_err err = DL_OK;
	int rc, tries;

	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "db: cannot open %s: %s\n", tmp,
		    dst != NULL ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		sqlite3_close(dst);
		return DL_ERR_IO;
	}
	if ((bk = sqlite3_backup_init(dst, "main", conn, "main")) == NULL) {
		fprintf(stderr, "db: cannot start the backup: %s\n", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return DL_ERR_DB;
	}
	/* BUSY only comes before the first page (a lock not granted yet). */
	for (tries = 0; tries < 500; tries++) {
		rc = sqlite3_backup_step(bk, -1);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		nanosleep(&pause, NULL);
	}
	if (sqlite3_backup_finish(bk) != SQLITE_OK && rc == SQLITE_DONE)
		rc = sqlite3_errcode(dst);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "db: backup failed: %s\n", sqlite3_errstr(rc));
		sqlite3_close(dst);
		return db_err(rc) == DL_OK ? DL_ERR_DB : db_err(rc);
	}
	/* The copy carries the live file's WAL flag; a backup is one
	 * self-contained file, and the app turns WAL back on when it opens it. */
	if ((err = pragma_text(dst, "PRAGMA journal_mode=DELETE", mode, sizeof(mode))) != DL_OK ||
	    (err = pragma_text(dst, "PRAGMA integrity_check", check, sizeof(check))) != DL_OK ||
	    (err = pragma_long(dst, "PRAGMA user_version", &version)) != DL_OK ||
	    (err = pragma_long(dst, "PRAGMA page_count", &info->pages)) != DL_OK ||
	    (err = pragma_long(dst, "PRAGMA page_size", &page_size)) != DL_OK) {
		sqlite3_close(dst);
		return err;
	}
	if (strcmp(mode, "delete") != 0) {
		fprintf(stderr, "db: the copy stays in %s mode\n", mode);
		err = DL_ERR_DB;
	} else if (strcmp(check, "ok") != 0) {
		fprintf(stderr, "db: the copy fails integrity_check: %s\n", check);
		err = DL_ERR_DB;
	} else if (version != live_version) {
		fprintf(stderr, "db: the copy has schema version %lld, the database %d\n",
		    version, live_version);
		err = DL_ERR_DB;
	}
	info->schema_version = (int)version;
	info->bytes = info->pages * page_size;
	if (sqlite3_close(dst) != SQLITE_OK && err == DL_OK) {
		fprintf(stderr, "db: cannot close %s\n", tmp);
		err = DL_ERR_IO;
	}
	return err;
}

enum dl_err
db_backup(const char *path, struct db_backup_info *info)
{
	char pid[32], *tmp, *dir, *slash;
	enum dl_err err;
	int fd, live, version;

	if (conn == NULL)
		return DL_ERR_DB;
	if ((live = db_is_live_file(path)) != 0)
		return live < 0 ? DL_ERR_NOMEM : DL_ERR_INVALID;
	if ((version = db_schema_version()) < 0)
		return DL_ERR_DB;
	snprintf(pid, sizeof(pid), ".tmp-%ld", (long)getpid());
	if ((tmp = with_suffix(path, pid)) == NULL)
		return DL_ERR_NOMEM;
	/* Made here rather than by SQLite: O_EXCL never follows a planted link,
	 * and 0600 keeps contacts and password hashes from other users. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "db: cannot create %s: %s\n", tmp, strerror(errno));
		free(tmp);
		return DL_ERR_IO;
	}
	close(fd);
	if ((err = copy_to(tmp, version, info)) == DL_OK &&
	    (err = fsync_path(tmp, O_RDONLY)) == DL_OK && rename(tmp, path) != 0) {
		fprintf(stderr, "db: cannot rename %s to %s: %s\n", tmp, path,
		    strerror(errno));
		err = DL_ERR_IO;
	}
	if (err != DL_OK) {
		remove_tmp(tmp);
		free(tmp);
		return err;
	}
	free(tmp);
	/* The rename itself is durable only once the folder is synced. */
	if ((dir = with_suffix(path, "")) == NULL)
		return DL_ERR_NOMEM;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		err = fsync_path(".", O_RDONLY | O_DIRECTORY);
	else {
		slash[slash == dir ? 1 : 0] = '\0';
		err = fsync_path(dir, O_RDONLY | O_DIRECTORY);
	}
	free(dir);
	return err;
}
