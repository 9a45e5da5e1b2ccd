/*
 * db: the process's one SQLite connection.
 *
 * Opened once per process (a FastCGI program keeps it across requests) in
 * WAL mode with busy_timeout and foreign keys on. Opening applies any
 * pending migration from sql/NNN_*.sql (compiled into the program), all in
 * one IMMEDIATE transaction, tracked by PRAGMA user_version, so several
 * processes starting at once migrate exactly once.
 *
 * Statements are prepared once and kept: db_stmt() returns the cached
 * statement for a SQL string, reset and with bindings cleared. The cache
 * owns it; callers never finalize it, and must not use the same SQL string
 * twice at the same time (nested), which never happens in this code.
 *
 * db_backup() copies the open database into a file of its own, checked,
 * while other processes go on writing.
 */
#ifndef DL_DB_H
#define DL_DB_H

#include <sqlite3.h>
#include "err.h"

/* Open `path` (created if missing) and migrate. A second call is a no-op
 * while a connection is open. */
enum dl_err db_open(const char *path);
/* Open `path` as it is: never created, never migrated (a backup must copy
 * the file it finds). DL_ERR_NOTFOUND when it cannot be opened. */
enum dl_err db_open_existing(const char *path);
/* Finalize every cached statement and close. */
void db_close(void);

/* Close the connection if SQLite had to open it read-only (the file or
 * its folder was not writable then): it stays so for its life, so the
 * next db_open tries again, and a database made writable since is
 * written again without restarting the process. */
void db_drop_readonly(void);

/* The open connection, or NULL. */
sqlite3 *db_conn(void);

/* The cached statement for `sql`, reset; NULL on a prepare error (logged
 * to stderr with the SQLite message) or when no connection is open. */
sqlite3_stmt *db_stmt(const char *sql);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. db_rollback is safe to call when no
 * transaction is open. */
enum dl_err db_begin(void);
enum dl_err db_commit(void);
void db_rollback(void);

/* A read transaction (BEGIN DEFERRED ... COMMIT) through cached
 * statements: several queries see one snapshot and take SQLite's file
 * locks once. */
enum dl_err db_read_begin(void);
void db_read_end(void);

/* Map an SQLite result code onto ours: BUSY/LOCKED -> DL_ERR_BUSY,
 * FULL/READONLY/IOERR/CANTOPEN -> DL_ERR_IO, CONSTRAINT -> DL_ERR_CONFLICT,
 * NOMEM -> DL_ERR_NOMEM, OK/ROW/DONE -> DL_OK, anything else DL_ERR_DB. */
enum dl_err db_err(int rc);

/* Step a statement that returns no rows; DL_OK on SQLITE_DONE. */
enum dl_err db_exec_stmt(sqlite3_stmt *st);

/* The schema version of the open database, and the newest this program knows. */
int db_schema_version(void);
int db_latest_version(void);

/* Bind a NUL-terminated string, or NULL as SQL NULL (copies the text). */
int db_bind_text(sqlite3_stmt *st, int idx, const char *s);

/*
 * A search box's text q as LIKE patterns (ESCAPE '\'): *text matches q
 * anywhere ("%q%", LIKE's wildcards in q taken as themselves); *digits
 * matches q's digits anywhere in a number, and stays NULL when q holds
 * fewer than 3 (they would match nearly every number). Both NULL for a
 * NULL or empty q. The caller frees both, on DL_ERR_NOMEM too.
 */
enum dl_err db_like_patterns(const char *q, char **text, char **digits);

/* 1 when `path` is the open database or one of the files SQLite keeps
 * beside it (-wal, -shm, -journal), through any link; 0 if not (or no
 * such file); -1 when out of memory. Anything that writes a file an admin
 * names must refuse these: replacing one loses the live data. */
int db_is_live_file(const char *path);

/* What db_backup wrote. */
struct db_backup_info {
	long long pages;    /* pages in the copy */
	long long bytes;    /* its size in bytes */
	int schema_version; /* its PRAGMA user_version */
};

/*
 * Copy the open database to `path` as one consistent snapshot while other
 * processes keep writing: into `path`.tmp-<pid> (mode 0600), checked
 * (integrity_check, the live schema version), synced, then renamed over
 * `path`, so `path` is either untouched or the whole checked copy.
 * DL_ERR_INVALID when `path` is the open database or one of its -wal/-shm
 * files; DL_ERR_IO when the copy cannot be written or put in place;
 * DL_ERR_DB when it fails its check. Reasons go to stderr. Fills the
 * caller's `info` on DL_OK.
 */
enum dl_err db_backup(const char *path, struct db_backup_info *info);

#endif
