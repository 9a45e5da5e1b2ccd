/*
 * Shared helpers for the unit tests: temporary directories and databases,
 * and a clean configuration/environment between tests.
 *
 * Include after <cmocka.h>. Everything is static inline so that a test
 * file using only some of the helpers builds with -Wall -Werror.
 */
#ifndef DL_TESTUTIL_H
#define DL_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "db.h"

/* A JSON member that must be a string / a number; fails the test if not. */
static inline const char *
tu_jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v))
		fail_msg("\"%s\" is not a string", key);
	return v->valuestring;
}

static inline double
tu_jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		fail_msg("\"%s\" is not a number", key);
	return v->valuedouble;
}

/* 1 when the member is there and null. */
static inline int
tu_jnull(const cJSON *o, const char *key)
{
	return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* A recording sink (struct provider_sink) that keeps what it is given.
 * refuse: begin's answer; stop_after > 0: write says stop at that many
 * bytes. Free `bytes` after. */
struct tu_got {
	char type[64];
	long long length;
	unsigned char *bytes;
	size_t len;
	int begins, stop_after;
	enum dl_err refuse;
};

static inline enum dl_err
tu_got_begin(void *arg, const char *type, long long length)
{
	struct tu_got *g = arg;

	g->begins++;
	snprintf(g->type, sizeof(g->type), "%s", type);
	g->length = length;
	return g->refuse;
}

static inline int
tu_got_write(void *arg, const char *p, size_t n)
{
	struct tu_got *g = arg;
	unsigned char *b = realloc(g->bytes, g->len + n);

	assert_non_null(b);
	g->bytes = b;
	memcpy(g->bytes + g->len, p, n);
	g->len += n;
	return g->stop_after > 0 && g->len >= (size_t)g->stop_after ? -1 : 0;
}

/* Unset every setting and forget the loaded file. */
static inline void
tu_env_clean(void)
{
	/* Every setting the library reads, and the tests' own. */
	static const char *const keys[] = {
		"DIALER_CONFIG", "DIALER_DB", "DIALER_API_KEY",
		"DIALER_DEFAULT_REGION", "DIALER_PUBLIC_URL", "DIALER_PROVIDER",
		"DIALER_COOKIE_SECURE", "DIALER_UPLOAD_LIMIT", "DIALER_BODY_LIMIT",
		"DIALER_SESSION_IDLE", "DIALER_SESSION_MAX", "DIALER_LOGIN_WINDOW",
		"DIALER_LOGIN_MAX_PER_USER", "DIALER_LOGIN_MAX_PER_ADDR",
		"DIALER_ADMIN_PASSWORD", "TWILIO_AUTH_TOKEN",
		"TWILIO_API_KEY_SECRET", "TELNYX_API_KEY", "DIALER_IMPORT_WORKERS",
		"DIALER_TEST_UNKNOWN", "DIALER_TEST_LONG", "DIALER_TEST_BOOL",
		"DIALER_RECORD_CALLS", "DIALER_RECORDING_CONSENT_TEXT",
		"DIALER_RECORDING_CONSENT_URL", "DIALER_CALLING_HOURS",
		"DIALER_CALLING_HOURS_RULES", "DIALER_UNKNOWN_ZONE", "DIALER_TEST_CLOCK_FILE",
		"DIALER_RETRY_DELAY", "DIALER_RETRY_MAX_ATTEMPTS", "DIALER_LEAD_RESERVATION",
		"DIALER_SKIP_DELAY", "DIALER_CALLER_IDS",
		NULL
	};
	const char *const *k;

	for (k = keys; *k != NULL; k++)
		unsetenv(*k);
	config_reset();
}

/* A fresh directory under $TMPDIR (or /tmp); out must hold 64 bytes. */
static inline void
tu_mkdtemp(char *out, size_t outsz)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 40)
		tmp = "/tmp";
	assert_true((size_t)snprintf(out, outsz, "%s/dialer-unit.XXXXXX", tmp) < outsz);
	assert_non_null(mkdtemp(out));
}

/* Remove a directory made by tu_mkdtemp and the plain files in it. */
static inline void
tu_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Write `text` to a new file `name` in `dir`; the path goes to out. */
static inline void
tu_write_file(const char *dir, const char *name, const char *text, char *out,
    size_t outsz)
{
	FILE *f;

	assert_true((size_t)snprintf(out, outsz, "%s/%s", dir, name) < outsz);
	f = fopen(out, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

/* A temporary database: its directory and the file inside. */
struct tu_db {
	char dir[64];
	char path[128];
};

/* Make a temporary directory and db_open() a new database in it. */
static inline void
tu_db_open(struct tu_db *t)
{
	tu_mkdtemp(t->dir, sizeof(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/test.db", t->dir);
	assert_int_equal(db_open(t->path), DL_OK);
	assert_non_null(db_conn());
}

/* db_close() and remove the database, its -wal/-shm and the directory. */
static inline void
tu_db_close(struct tu_db *t)
{
	db_close();
	tu_rmdir(t->dir);
}

/* A fresh database plus an empty config file named by DIALER_CONFIG: the
 * setting the modules above config and db are tested in. */
struct tu_fixture {
	struct tu_db db;
	char conf[160];
};

static inline int
tu_fixture_setup(void **state)
{
	struct tu_fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	tu_env_clean();
	tu_db_open(&fx->db);
	tu_write_file(fx->db.dir, "dialer.conf", "# empty\n", fx->conf, sizeof(fx->conf));
	setenv("DIALER_CONFIG", fx->conf, 1);
	assert_int_equal(config_load(), DL_OK);
	*state = fx;
	return 0;
}

static inline int
tu_fixture_teardown(void **state)
{
	struct tu_fixture *fx = *state;

	tu_db_close(&fx->db);
	tu_env_clean();
	free(fx);
	return 0;
}

/* The single integer a query returns (asserts there is one row). */
static inline long long
tu_sql_int(const char *sql)
{
	sqlite3_stmt *st;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(db_conn(), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The single integer a query returns with ?1 bound to `a` (asserts
 * there is one row). */
static inline long long
tu_sql_int_with(const char *sql, long long a)
{
	sqlite3_stmt *st;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(db_conn(), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_int64(st, 1, a), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Run SQL that returns no rows with ?1 bound to the integer `a` and, when
 * `b` is not NULL, ?2 to the text `b` (asserts success). */
static inline void
tu_sql_exec_with(const char *sql, long long a, const char *b)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db_conn(), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_int64(st, 1, a), SQLITE_OK);
	if (b != NULL)
		assert_int_equal(sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* Run SQL that returns no rows with ?1 bound to the text `a` (asserts
 * success). */
static inline void
tu_sql_exec_text(const char *sql, const char *a)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db_conn(), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* Run SQL that returns no rows (asserts success). */
static inline void
tu_sql_exec(const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db_conn(), sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		fprintf(stderr, "tu_sql_exec: %s: %s\n", sql, msg != NULL ? msg : "?");
	sqlite3_free(msg);
	assert_int_equal(rc, SQLITE_OK);
}

#endif
