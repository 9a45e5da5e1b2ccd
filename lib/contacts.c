/* contacts: reading lists and contacts, and archiving lists (see contacts.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callhours.h"
#include "clock.h"
#include "contacts.h"
#include "db.h"
#include "jsonw.h"

/* not_called until the first logged call, then called. */
const char *const contacts_statuses[] = { "not_called", "called", NULL };

/* --- reading ------------------------------------------------------- */

#define COLS "SELECT " CONTACTS_COLUMNS
#define SEARCH "AND (?3 IS NULL OR c.name LIKE ?3 ESCAPE '\\' OR c.company LIKE ?3 " \
    "ESCAPE '\\' OR c.phone_e164 LIKE ?4 ESCAPE '\\') "
#define ALL_LISTS "FROM contacts c JOIN contact_lists l ON l.id = c.list_id " \
    "WHERE l.archived_at IS NULL "
#define ONE_LIST "FROM contacts c WHERE c.list_id = ?1 AND EXISTS (SELECT 1 " \
    "FROM contact_lists l WHERE l.id = ?1 AND l.archived_at IS NULL) "
#define STATUS "AND c.status = ?2 "
/* The number test is the dearer one: it goes last, after the DNC probe. */
#define CALLABLE "AND NOT EXISTS (SELECT 1 FROM dnc d WHERE d.phone_e164 = c.phone_e164) " \
    "AND callable_at(c.timezone, c.phone_e164, ?7, c.region) "
#define PAGE "ORDER BY c.id LIMIT ?5 OFFSET ?6"

/* One statement per shape of filter, so that each can use its index
 * (a "?1 IS NULL OR" test would hide the index from the planner).
 * Indexed by [has list][has status][callable]. */
#define SHAPES(head, tail) { \
	{ { head ALL_LISTS SEARCH tail, head ALL_LISTS SEARCH CALLABLE tail }, \
	  { head ALL_LISTS STATUS SEARCH tail, head ALL_LISTS STATUS SEARCH CALLABLE tail } }, \
	{ { head ONE_LIST SEARCH tail, head ONE_LIST SEARCH CALLABLE tail }, \
	  { head ONE_LIST STATUS SEARCH tail, head ONE_LIST STATUS SEARCH CALLABLE tail } } }
static const char *const sql_page[2][2][2] = SHAPES(COLS, PAGE);
static const char *const sql_count[2][2][2] = SHAPES("SELECT COUNT(*) ", "");
/* Without status, search or callable the total is kept on the lists: no scan. */
static const char sql_total_all[] =
    "SELECT COALESCE(SUM(contact_count), 0) FROM contact_lists WHERE archived_at IS NULL";
static const char sql_total_one[] =
    "SELECT COALESCE(SUM(contact_count), 0) FROM contact_lists "
    "WHERE id = ?1 AND archived_at IS NULL";

static void
bind_filter(sqlite3_stmt *st, const struct contacts_filter *f, const char *name_pat,
    const char *phone_pat)
{
	if (f->list_id > 0)
		sqlite3_bind_int64(st, 1, f->list_id);
	if (f->status != NULL)
		sqlite3_bind_text(st, 2, f->status, -1, SQLITE_STATIC);
	if (name_pat != NULL)
		sqlite3_bind_text(st, 3, name_pat, -1, SQLITE_STATIC);
	/* A search with too few digits must not match every phone. */
	sqlite3_bind_text(st, 4, phone_pat != NULL ? phone_pat : "", -1, SQLITE_STATIC);
	if (f->callable)
		sqlite3_bind_int64(st, 7, f->now);
}

static cJSON *
add_text(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t != NULL ? cJSON_AddStringToObject(o, key, (const char *)t) :
	    cJSON_AddNullToObject(o, key);
}

static void
text_or_null(struct jsonw *w, const char *key, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	jsonw_key(w, key);
	if (t == NULL)
		jsonw_null(w);
	else
		jsonw_string(w, (const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

static void
int_or_null(struct jsonw *w, const char *key, sqlite3_stmt *st, int col)
{
	jsonw_key(w, key);
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		jsonw_null(w);
	else
		jsonw_int(w, sqlite3_column_int64(st, col));
}

void
contacts_write_row(sqlite3_stmt *st, int col, const char *now_iso, struct jsonw *w)
{
	const unsigned char *until = sqlite3_column_text(st, col + 19);
	/* ISO-8601 UTC text orders as time does. A reservation by the API key
	 * has an end but no user. */
	int live = until != NULL && strcmp((const char *)until, now_iso) > 0;

	jsonw_object_begin(w);
	jsonw_key(w, "id");
	jsonw_int(w, sqlite3_column_int64(st, col));
	jsonw_key(w, "list_id");
	jsonw_int(w, sqlite3_column_int64(st, col + 1));
	text_or_null(w, "name", st, col + 2);
	text_or_null(w, "company", st, col + 3);
	text_or_null(w, "title", st, col + 4);
	text_or_null(w, "phone", st, col + 5);
	text_or_null(w, "phone_display", st, col + 6);
	text_or_null(w, "region", st, col + 7);
	text_or_null(w, "status", st, col + 8);
	text_or_null(w, "last_outcome", st, col + 9);
	text_or_null(w, "last_called_at", st, col + 10);
	text_or_null(w, "timezone", st, col + 11);
	jsonw_key(w, "attempts");
	jsonw_int(w, sqlite3_column_int64(st, col + 12));
	text_or_null(w, "callback_at", st, col + 13);
	int_or_null(w, "callback_by", st, col + 14);
	text_or_null(w, "retry_at", st, col + 15);
	jsonw_key(w, "final");
	jsonw_bool(w, sqlite3_column_int(st, col + 16));
	jsonw_key(w, "do_not_call");
	jsonw_bool(w, sqlite3_column_int(st, col + 17));
	jsonw_key(w, "reserved_by");
	if (live && sqlite3_column_type(st, col + 18) != SQLITE_NULL)
		jsonw_int(w, sqlite3_column_int64(st, col + 18));
	else
		jsonw_null(w);
	jsonw_key(w, "reserved_until");
	if (live)
		jsonw_string(w, (const char *)until, (size_t)sqlite3_column_bytes(st, col + 19));
	else
		jsonw_null(w);
	jsonw_object_end(w);
}

static const char sql_one[] =
    "SELECT " CONTACTS_COLUMNS "FROM contacts c JOIN contact_lists l ON l.id = c.list_id "
    "WHERE c.id = ?1 AND l.archived_at IS NULL";

enum dl_err
contacts_write_one(long long id, long long now, struct jsonw *w)
{
	char now_iso[CLOCK_ISO_LEN];
	sqlite3_stmt *st = db_stmt(sql_one);
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	clock_iso(now, now_iso);
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		contacts_write_row(st, 0, now_iso, w);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return DL_ERR_NOTFOUND;
	return rc == SQLITE_ROW ? DL_OK : db_err(rc);
}

enum dl_err
contacts_step_err(int rc)
{
	const char *msg = sqlite3_errmsg(db_conn());

	if (rc == SQLITE_ERROR && msg != NULL && strncmp(msg, CALLHOURS_SQL_ERROR, strlen(CALLHOURS_SQL_ERROR)) == 0)
		return DL_ERR_CONFIG;
	return db_err(rc);
}

static enum dl_err
count(const struct contacts_filter *f, const char *name_pat, const char *phone_pat,
    long long *total)
{
	int has_list = f->list_id > 0, has_status = f->status != NULL;
	sqlite3_stmt *st;
	enum dl_err err;
	int rc;

	if (!has_status && name_pat == NULL && !f->callable) {
		st = db_stmt(has_list ? sql_total_one : sql_total_all);
		if (st != NULL && has_list)
			sqlite3_bind_int64(st, 1, f->list_id);
	} else {
		st = db_stmt(sql_count[has_list][has_status][f->callable != 0]);
		if (st != NULL)
			bind_filter(st, f, name_pat, phone_pat);
	}
	if (st == NULL)
		return DL_ERR_DB;
	rc = sqlite3_step(st);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	err = rc == SQLITE_ROW ? DL_OK : contacts_step_err(rc);
	sqlite3_reset(st);
	return err;
}

enum dl_err
contacts_list(const struct contacts_filter *f, char **json, size_t *len)
{
	char *name_pat = NULL, *phone_pat = NULL, now_iso[CLOCK_ISO_LEN];
	struct jsonw w;
	sqlite3_stmt *st;
	long long total = 0;
	enum dl_err err = DL_ERR_NOMEM;
	int rc = SQLITE_DONE, in_tx = 0;

	*json = NULL;
	jsonw_init(&w);
	clock_iso(f->now, now_iso);
	if (db_like_patterns(f->q, &name_pat, &phone_pat) != DL_OK)
		goto done;
	/* callable_at must exist before a statement naming it is prepared. */
	if (f->callable && (err = callhours_register(db_conn())) != DL_OK)
		goto done;
	if ((err = db_read_begin()) != DL_OK)
		goto done;
	in_tx = 1;
	if ((err = count(f, name_pat, phone_pat, &total)) != DL_OK)
		goto done;
	if ((st = db_stmt(sql_page[f->list_id > 0][f->status != NULL][f->callable != 0])) == NULL) {
		err = DL_ERR_DB;
		goto done;
	}
	bind_filter(st, f, name_pat, phone_pat);
	sqlite3_bind_int64(st, 5, f->per_page);
	sqlite3_bind_int64(st, 6, (f->page - 1) * f->per_page);
	jsonw_object_begin(&w);
	jsonw_key(&w, "items");
	jsonw_array_begin(&w);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		contacts_write_row(st, 0, now_iso, &w);
	err = rc == SQLITE_DONE ? DL_OK : contacts_step_err(rc);
	sqlite3_reset(st);
	if (err != DL_OK)
		goto done;
	jsonw_array_end(&w);
	jsonw_key(&w, "page");
	jsonw_int(&w, f->page);
	jsonw_key(&w, "per_page");
	jsonw_int(&w, f->per_page);
	jsonw_key(&w, "total");
	jsonw_int(&w, total);
	jsonw_object_end(&w);
	err = jsonw_finish(&w, json, len);
done:
	if (in_tx)
		db_read_end();
	jsonw_free(&w);
	free(name_pat);
	free(phone_pat);
	return err;
}

static const char sql_lists[] =
    "SELECT id, name, created_at, contact_count FROM contact_lists "
    "WHERE archived_at IS NULL ORDER BY id DESC";
static const char sql_list_counts[] =
    "SELECT status, COUNT(*) FROM contacts WHERE list_id = ?1 GROUP BY status";

static enum dl_err
list_counts(long long id, cJSON *counts)
{
	sqlite3_stmt *st = db_stmt(sql_list_counts);
	const char *const *s;
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	/* Every known status appears, zero or not, so the page need not guess. */
	for (s = contacts_statuses; *s != NULL; s++)
		if (cJSON_AddNumberToObject(counts, *s, 0) == NULL)
			return DL_ERR_NOMEM;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 0);
		cJSON *n = cJSON_CreateNumber((double)sqlite3_column_int64(st, 1));

		if (n == NULL || status == NULL) {
			cJSON_Delete(n);
			sqlite3_reset(st);
			return DL_ERR_NOMEM;
		}
		if (cJSON_GetObjectItemCaseSensitive(counts, status) != NULL)
			cJSON_ReplaceItemInObjectCaseSensitive(counts, status, n);
		else
			cJSON_AddItemToObject(counts, status, n);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? DL_OK : db_err(rc);
}

enum dl_err
contacts_lists(cJSON **out)
{
	cJSON *root, *items;
	sqlite3_stmt *st;
	cJSON *o;
	enum dl_err err = DL_OK;
	int rc = SQLITE_DONE;

	*out = NULL;
	if ((root = cJSON_CreateObject()) == NULL ||
	    (items = cJSON_AddArrayToObject(root, "items")) == NULL) {
		cJSON_Delete(root);
		return DL_ERR_NOMEM;
	}
	if ((st = db_stmt(sql_lists)) == NULL) {
		cJSON_Delete(root);
		return DL_ERR_DB;
	}
	while (err == DL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((o = cJSON_CreateObject()) == NULL) {
			err = DL_ERR_NOMEM;
			break;
		}
		cJSON_AddItemToArray(items, o);
		if (cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0)) == NULL ||
		    add_text(o, "name", st, 1) == NULL ||
		    add_text(o, "created_at", st, 2) == NULL ||
		    cJSON_AddNumberToObject(o, "total", (double)sqlite3_column_int64(st, 3)) == NULL)
			err = DL_ERR_NOMEM;
	}
	sqlite3_reset(st);
	if (err == DL_OK && rc != SQLITE_DONE)
		err = db_err(rc);
	/* Counts come after the list query is done: one statement at a time. */
	cJSON_ArrayForEach(o, items) {
		cJSON *counts;

		if (err != DL_OK)
			break;
		counts = cJSON_AddObjectToObject(o, "counts");
		err = counts != NULL ? list_counts((long long)
		    cJSON_GetObjectItemCaseSensitive(o, "id")->valuedouble, counts) :
		    DL_ERR_NOMEM;
	}
	if (err != DL_OK) {
		cJSON_Delete(root);
		return err;
	}
	*out = root;
	return DL_OK;
}

enum dl_err
contacts_list_archive(long long list_id)
{
	sqlite3_stmt *st = db_stmt(
	    "UPDATE contact_lists SET archived_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
	    "WHERE id = ?1 AND archived_at IS NULL");
	enum dl_err err;

	if (st == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, list_id);
	if ((err = db_exec_stmt(st)) != DL_OK)
		return err;
	return sqlite3_changes(db_conn()) > 0 ? DL_OK : DL_ERR_NOTFOUND;
}
