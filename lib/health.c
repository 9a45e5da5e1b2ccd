#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "db.h"
#include "health.h"
#include "provider.h"

static const char *const names[HEALTH__COUNT] = {
	[HEALTH_CONFIG] = "config",
	[HEALTH_DATABASE] = "database",
	[HEALTH_MIGRATIONS] = "migrations",
	[HEALTH_PROVIDER] = "provider",
};

const char *
health_check_name(enum health_check_id id)
{
	return (unsigned)id < HEALTH__COUNT ? names[id] : "unknown";
}

static void
fail(struct health_report *r, enum health_check_id id, const char *reason)
{
	r->state[id] = HEALTH_FAIL;
	r->reason[id] = reason;
}

static void
compare_versions(struct health_report *r)
{
	if (r->schema_version > r->latest_version)
		fail(r, HEALTH_MIGRATIONS, "database_newer");
	else if (r->schema_version < r->latest_version)
		fail(r, HEALTH_MIGRATIONS, "database_older");
}

/* One integer from `sql` on connection c; SQLite's result code. */
static int
one_int(sqlite3 *c, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(c, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Each probe opens the file afresh on a connection of its own, and never
 * creates it. The program's kept connection would go on reading a file
 * that was since replaced, deleted or made unreadable, and a load
 * balancer must hear about the file as it is now. It costs a fraction of
 * a millisecond.
 */
static void
check_database(struct health_report *r)
{
	const char *path = config_get("DIALER_DB");
	sqlite3 *c = NULL;
	int rc, one = 0, any = 0;

	if (path == NULL) {
		fail(r, HEALTH_DATABASE, "not_configured");
		r->state[HEALTH_MIGRATIONS] = HEALTH_SKIPPED;
		return;
	}
	rc = sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(c, 1000);
	if (rc == SQLITE_OK)
		rc = one_int(c, "PRAGMA user_version", &r->schema_version);
	/* A database no program opened yet is migrated by the first one. */
	if (rc == SQLITE_OK && r->schema_version < r->latest_version) {
		sqlite3_close(c);
		c = NULL;
		db_close();
		if (db_open(path) != DL_OK) {
			r->schema_version = -1;
			rc = SQLITE_CANTOPEN;
		} else {
			rc = sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL);
			if (rc == SQLITE_OK)
				rc = sqlite3_busy_timeout(c, 1000);
			if (rc == SQLITE_OK)
				rc = one_int(c, "PRAGMA user_version", &r->schema_version);
		}
	}
	if (rc == SQLITE_OK)
		rc = one_int(c, "SELECT 1", &one);
	/* Reads a real table; an empty one still answers 1. */
	if (rc == SQLITE_OK && r->schema_version >= 1)
		rc = one_int(c, "SELECT count(*) >= 0 FROM (SELECT 1 FROM users LIMIT 1)", &any);
	sqlite3_close(c);
	if (rc != SQLITE_OK) {
		switch (rc & 0xff) {
		case SQLITE_CANTOPEN: case SQLITE_NOTADB: case SQLITE_PERM:
		case SQLITE_AUTH: case SQLITE_CORRUPT:
			fail(r, HEALTH_DATABASE, "cannot_open");
			break;
		default:
			fail(r, HEALTH_DATABASE, "query_failed");
			break;
		}
		r->state[HEALTH_MIGRATIONS] = HEALTH_SKIPPED;
		return;
	}
	compare_versions(r);
}

static void
check_provider(struct health_report *r)
{
	const char *name = provider_default_name();
	const struct provider *p;

	snprintf(r->provider, sizeof(r->provider), "%s", name);
	switch (provider_get(name, &p, r->missing, sizeof(r->missing))) {
	case DL_OK:
		r->simulated = p->simulated;
		break;
	case DL_ERR_CONFIG:
		fail(r, HEALTH_PROVIDER, "missing_settings");
		break;
	default:
		fail(r, HEALTH_PROVIDER, "unknown_provider");
		break;
	}
}

enum dl_err
health_check(struct health_report *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < HEALTH__COUNT; i++)
		r->reason[i] = "";
	r->schema_version = -1;
	r->latest_version = db_latest_version();
	if (config_load() != DL_OK) {
		fail(r, HEALTH_CONFIG, "unreadable");
		r->state[HEALTH_DATABASE] = HEALTH_SKIPPED;
		r->state[HEALTH_MIGRATIONS] = HEALTH_SKIPPED;
		r->state[HEALTH_PROVIDER] = HEALTH_SKIPPED;
		return DL_ERR_CONFIG;
	}
	check_database(r);
	check_provider(r);
	if (r->state[HEALTH_DATABASE] != HEALTH_OK || r->state[HEALTH_MIGRATIONS] != HEALTH_OK)
		return DL_ERR_DB;
	if (r->state[HEALTH_PROVIDER] != HEALTH_OK)
		return DL_ERR_CONFIG;
	return DL_OK;
}
