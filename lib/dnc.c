/* dnc: the internal do-not-call list (see dnc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dnc.h"
#include "phone.h"
#include "rowbatch.h"
#include "valid.h"

static const char *const source_names[] = {
	[DNC_MANUAL] = "manual", [DNC_IMPORT] = "import", [DNC_OUTCOME] = "outcome",
};

const char *
dnc_source_name(enum dnc_source source)
{
	return (unsigned)source < sizeof(source_names) / sizeof(source_names[0]) ?
	    source_names[source] : "manual";
}

static enum dnc_source
source_parse(const char *s)
{
	if (s != NULL && strcmp(s, "import") == 0)
		return DNC_IMPORT;
	if (s != NULL && strcmp(s, "outcome") == 0)
		return DNC_OUTCOME;
	return DNC_MANUAL;
}

static const struct valid_field reason_field = {
	"reason", VALID_STRING, 0, 0, DNC_REASON_MAX, NULL, NULL, "text of at most 200 characters"
};

int
dnc_reason_ok(const char *reason)
{
	struct valid_error e;

	return valid_text(&reason_field, reason, NULL, &e) == DL_OK;
}

/* What libphonenumber writes as E.164: '+', a non-zero digit, at most 15
 * digits in all. Anything else would be a key no dial ever looks up. */
static int
e164_ok(const char *s)
{
	size_t n;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	for (n = 1; s[n] != '\0'; n++)
		if (s[n] < '0' || s[n] > '9' || n > 15)
			return 0;
	return n >= 3;
}

/* --- one number ------------------------------------------------------ */

static const char sql_check[] =
    "SELECT phone_e164, reason, source, added_by, call_id, added_at "
    "FROM dnc WHERE phone_e164 = ?1";

static void
copy_col(char *out, size_t outsz, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, outsz, "%s", t != NULL ? (const char *)t : "");
}

enum dl_err
dnc_check(const char *e164, int *listed, struct dnc_entry *entry)
{
	sqlite3_stmt *st;
	int rc;

	*listed = 0;
	if (e164 == NULL)
		return DL_ERR_INVALID;
	if ((st = db_stmt(sql_check)) == NULL)
		return DL_ERR_DB;
	if ((rc = db_bind_text(st, 1, e164)) != SQLITE_OK) {
		sqlite3_reset(st);
		return db_err(rc);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*listed = 1;
		if (entry != NULL) {
			memset(entry, 0, sizeof(*entry));
			copy_col(entry->phone, sizeof(entry->phone), st, 0);
			copy_col(entry->reason, sizeof(entry->reason), st, 1);
			entry->source = source_parse((const char *)sqlite3_column_text(st, 2));
			entry->added_by = sqlite3_column_int64(st, 3);
			entry->call_id = sqlite3_column_int64(st, 4);
			copy_col(entry->added_at, sizeof(entry->added_at), st, 5);
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DL_OK : db_err(rc);
}

/* The first entry wins: a number is listed once, with why it was first
 * refused. One statement, so it is atomic on its own and joins the
 * caller's transaction when there is one. */
static const char sql_add[] =
    "INSERT INTO dnc (phone_e164, reason, source, added_by, call_id) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (phone_e164) DO NOTHING";

enum dl_err
dnc_add(const char *e164, const char *reason, enum dnc_source source,
    long long added_by, long long call_id, int *added)
{
	sqlite3_stmt *st;
	enum dl_err err;
	int rc;

	if (added != NULL)
		*added = 0;
	if (!e164_ok(e164) || !dnc_reason_ok(reason) ||
	    (unsigned)source >= sizeof(source_names) / sizeof(source_names[0]))
		return DL_ERR_INVALID;
	if ((st = db_stmt(sql_add)) == NULL)
		return DL_ERR_DB;
	if ((rc = db_bind_text(st, 1, e164)) != SQLITE_OK ||
	    (rc = db_bind_text(st, 2, reason != NULL && *reason != '\0' ? reason : NULL)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 3, source_names[source], -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = added_by > 0 ? sqlite3_bind_int64(st, 4, added_by) : SQLITE_OK) != SQLITE_OK ||
	    (rc = call_id > 0 ? sqlite3_bind_int64(st, 5, call_id) : SQLITE_OK) != SQLITE_OK) {
		sqlite3_reset(st);
		return db_err(rc);
	}
	if ((err = db_exec_stmt(st)) != DL_OK)
		return err;
	if (added != NULL)
		*added = sqlite3_changes(db_conn()) > 0;
	return DL_OK;
}

/* An entry as the API shows it: the row, the adder's name and the
 * number's national form. */
#define ENTRY_COLS "SELECT d.phone_e164, d.reason, d.source, d.added_by, u.username, " \
    "d.call_id, d.added_at FROM dnc d LEFT JOIN users u ON u.id = d.added_by "

static const char sql_get[] = ENTRY_COLS "WHERE d.phone_e164 = ?1";

static int
add_text(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return (t != NULL ? cJSON_AddStringToObject(o, key, (const char *)t) :
	    cJSON_AddNullToObject(o, key)) != NULL;
}

static int
add_id(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	return (sqlite3_column_type(st, col) == SQLITE_NULL ?
	    cJSON_AddNullToObject(o, key) :
	    cJSON_AddNumberToObject(o, key, (double)sqlite3_column_int64(st, col))) != NULL;
}

static cJSON *
entry_json(sqlite3_stmt *st)
{
	const char *phone = (const char *)sqlite3_column_text(st, 0);
	struct phone_info info;
	cJSON *o;

	if (phone == NULL || (o = cJSON_CreateObject()) == NULL)
		return NULL;
	/* Stored numbers are E.164, which parse without a region; one that
	 * libphonenumber no longer reads is still shown, as it is. */
	if (phone_parse_brief(phone, strlen(phone), NULL, &info) != PHONE_OK)
		snprintf(info.national, sizeof(info.national), "%s", phone);
	if (cJSON_AddStringToObject(o, "phone", phone) == NULL ||
	    cJSON_AddStringToObject(o, "phone_display", info.national) == NULL ||
	    !add_text(o, "reason", st, 1) || !add_text(o, "source", st, 2) ||
	    !add_id(o, "added_by", st, 3) || !add_text(o, "added_by_name", st, 4) ||
	    !add_id(o, "call_id", st, 5) || !add_text(o, "added_at", st, 6)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static enum dl_err
get_json(const char *e164, cJSON **entry)
{
	sqlite3_stmt *st = db_stmt(sql_get);
	int rc;

	*entry = NULL;
	if (st == NULL)
		return DL_ERR_DB;
	if ((rc = db_bind_text(st, 1, e164)) == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (*entry = entry_json(st)) == NULL) {
		sqlite3_reset(st);
		return DL_ERR_NOMEM;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return DL_OK;
	return rc == SQLITE_DONE ? DL_ERR_NOTFOUND : db_err(rc);
}

enum dl_err
dnc_add_entry(const char *e164, const char *reason, enum dnc_source source,
    long long added_by, int *added, cJSON **entry)
{
	enum dl_err err;

	*entry = NULL;
	if ((err = db_begin()) != DL_OK)
		return err;
	if ((err = dnc_add(e164, reason, source, added_by, 0, added)) != DL_OK ||
	    (err = get_json(e164, entry)) != DL_OK ||
	    (err = db_commit()) != DL_OK) {
		db_rollback();
		cJSON_Delete(*entry);
		*entry = NULL;
	}
	return err;
}

enum dl_err
dnc_remove(const char *e164)
{
	sqlite3_stmt *st = db_stmt("DELETE FROM dnc WHERE phone_e164 = ?1");
	enum dl_err err;
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	if ((rc = db_bind_text(st, 1, e164)) != SQLITE_OK) {
		sqlite3_reset(st);
		return db_err(rc);
	}
	if ((err = db_exec_stmt(st)) != DL_OK)
		return err;
	return sqlite3_changes(db_conn()) > 0 ? DL_OK : DL_ERR_NOTFOUND;
}

/* --- the list -------------------------------------------------------- */

/*
 * Newest first is rowid order backwards: rows get increasing rowids as
 * they are added (only the newest's can be reused, and then by a newer
 * one), so no sort and no index on added_at are needed.
 */
#define MATCH "WHERE ?1 IS NULL OR d.reason LIKE ?1 ESCAPE '\\' " \
    "OR d.phone_e164 LIKE ?2 ESCAPE '\\' "
static const char sql_page[] = ENTRY_COLS MATCH "ORDER BY d.rowid DESC LIMIT ?3 OFFSET ?4";
static const char sql_count[] = "SELECT COUNT(*) FROM dnc d " MATCH;

static int
bind_match(sqlite3_stmt *st, const char *text_pat, const char *digit_pat)
{
	int rc = text_pat != NULL ? sqlite3_bind_text(st, 1, text_pat, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, 1);

	/* Too few digits must not match every number: "" matches nothing
	 * (every stored number has digits, and LIKE '' only matches ''). */
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, digit_pat != NULL ? digit_pat : "", -1,
		    SQLITE_STATIC);
	return rc;
}

static enum dl_err
page_items(sqlite3_stmt *st, cJSON *items)
{
	cJSON *o;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((o = entry_json(st)) == NULL)
			return DL_ERR_NOMEM;
		if (!cJSON_AddItemToArray(items, o)) {
			cJSON_Delete(o);
			return DL_ERR_NOMEM;
		}
	}
	return rc == SQLITE_DONE ? DL_OK : db_err(rc);
}

enum dl_err
dnc_list(const struct dnc_filter *f, cJSON **out)
{
	char *text_pat = NULL, *digit_pat = NULL;
	cJSON *root = NULL, *items;
	sqlite3_stmt *st;
	long long total = 0;
	enum dl_err err = DL_ERR_NOMEM;
	int rc;

	*out = NULL;
	if (f->page < 1 || f->per_page < 1 || f->per_page > 200)
		return DL_ERR_INVALID;
	if (db_like_patterns(f->q, &text_pat, &digit_pat) != DL_OK)
		goto done;
	if ((root = cJSON_CreateObject()) == NULL ||
	    (items = cJSON_AddArrayToObject(root, "items")) == NULL)
		goto done;
	/* One snapshot: the total and the page agree. */
	if ((err = db_read_begin()) != DL_OK)
		goto done;
	if ((st = db_stmt(sql_count)) == NULL) {
		err = DL_ERR_DB;
	} else {
		if ((rc = bind_match(st, text_pat, digit_pat)) == SQLITE_OK &&
		    (rc = sqlite3_step(st)) == SQLITE_ROW)
			total = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		err = rc == SQLITE_ROW ? DL_OK : db_err(rc);
	}
	if (err == DL_OK && (st = db_stmt(sql_page)) == NULL)
		err = DL_ERR_DB;
	if (err == DL_OK) {
		if ((rc = bind_match(st, text_pat, digit_pat)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 3, f->per_page)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 4, (f->page - 1) * f->per_page)) != SQLITE_OK)
			err = db_err(rc);
		else
			err = page_items(st, items);
		sqlite3_reset(st);
	}
	db_read_end();
	if (err == DL_OK &&
	    (cJSON_AddNumberToObject(root, "page", (double)f->page) == NULL ||
	    cJSON_AddNumberToObject(root, "per_page", (double)f->per_page) == NULL ||
	    cJSON_AddNumberToObject(root, "total", (double)total) == NULL))
		err = DL_ERR_NOMEM;
done:
	free(text_pat);
	free(digit_pat);
	if (err == DL_OK)
		*out = root;
	else
		cJSON_Delete(root);
	return err;
}

/* --- export ---------------------------------------------------------- */

static const char sql_export[] =
    "SELECT d.phone_e164, d.reason, d.source, u.username, d.added_at "
    "FROM dnc d LEFT JOIN users u ON u.id = d.added_by ORDER BY d.rowid";

enum dl_err
dnc_export(struct csvwrite *w)
{
	static const char *const header[] = { "phone", "reason", "source", "added_by",
	    "added_at" };
	sqlite3_stmt *st;
	enum dl_err err;
	int rc = SQLITE_DONE, c;

	if ((err = db_read_begin()) != DL_OK)
		return err;
	if ((st = db_stmt(sql_export)) == NULL) {
		db_read_end();
		return DL_ERR_DB;
	}
	csvwrite_row(w, header, sizeof(header) / sizeof(header[0]));
	while (w->err == DL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (c = 0; c < 5; c++) {
			const char *t = (const char *)sqlite3_column_text(st, c);

			/* NULL for a value that is not: SQLite ran out of
			 * memory converting it, and an empty cell would pass
			 * for data. */
			if (t == NULL && sqlite3_column_type(st, c) != SQLITE_NULL) {
				w->err = DL_ERR_NOMEM;
				break;
			}
			csvwrite_cell(w, t, t != NULL ? (size_t)sqlite3_column_bytes(st, c) : 0);
		}
		csvwrite_end_row(w);
	}
	sqlite3_reset(st);
	db_read_end();
	if (w->err != DL_OK)
		return w->err;
	if (rc != SQLITE_DONE)
		return db_err(rc);
	return csvwrite_flush(w);
}

/* --- import ---------------------------------------------------------- */

enum { COL_PHONE, COL_REASON, NCOLS };

static const char *const phone_aliases[] = { "phone number", "number", "telephone",
	"mobile", "e164", NULL };
static const char *const reason_aliases[] = { "note", "notes", "comment", NULL };

static const struct csvread_column columns[NCOLS] = {
	[COL_PHONE] = { "phone", phone_aliases, 1, { NULL, NULL } },
	[COL_REASON] = { "reason", reason_aliases, 0, { NULL, NULL } },
};

struct dnc_import {
	struct rowbatch *rows;
	long long added_by;
	char *default_reason;
	long added, already_listed;
};

static void
check_row(void *ud, const struct csvread_record *rec, struct rowbatch_reject *why)
{
	(void)ud;
	rowbatch_too_long(columns[COL_REASON].name, rec->field[COL_REASON], rec->len[COL_REASON],
	    DNC_REASON_MAX, why);
}

static enum dl_err
store_row(void *ud, const struct rowbatch_row *r, struct rowbatch_reject *why)
{
	struct dnc_import *imp = ud;
	const char *reason = r->field[COL_REASON][0] != '\0' ? r->field[COL_REASON] :
	    imp->default_reason;
	enum dl_err err;
	int added;

	(void)why;
	if ((err = dnc_add(r->phone->e164, reason, DNC_IMPORT, imp->added_by, 0, &added)) != DL_OK)
		return err;
	if (added)
		imp->added++;
	else
		imp->already_listed++;
	return DL_OK;
}

static const struct rowbatch_spec spec = {
	columns, NCOLS, COL_PHONE, DNC_MAX_LISTED_ERRORS, check_row, store_row,
};

enum dl_err
dnc_import_begin(const char *region, long long added_by, const char *default_reason,
    struct dnc_import **out)
{
	struct dnc_import *imp;
	enum dl_err err;

	*out = NULL;
	if (!dnc_reason_ok(default_reason))
		return DL_ERR_INVALID;
	if ((imp = calloc(1, sizeof(*imp))) == NULL)
		return DL_ERR_NOMEM;
	imp->added_by = added_by;
	if (default_reason != NULL && *default_reason != '\0' &&
	    (imp->default_reason = strdup(default_reason)) == NULL) {
		dnc_import_abort(imp);
		return DL_ERR_NOMEM;
	}
	if ((err = rowbatch_new(&spec, region, imp, &imp->rows)) != DL_OK) {
		dnc_import_abort(imp);
		return err;
	}
	*out = imp;
	return DL_OK;
}

enum dl_err
dnc_import_feed(struct dnc_import *imp, const void *data, size_t len)
{
	return rowbatch_feed(imp->rows, data, len);
}

enum dl_err
dnc_import_finish(struct dnc_import *imp, struct dnc_report *rep)
{
	enum dl_err err;

	memset(rep, 0, sizeof(*rep));
	if ((err = rowbatch_finish(imp->rows)) != DL_OK ||
	    (err = rowbatch_commit(imp->rows)) != DL_OK)
		return err;
	rep->added = imp->added;
	rep->already_listed = imp->already_listed;
	rep->error_count = rowbatch_error_count(imp->rows);
	rep->errors = rowbatch_take_errors(imp->rows);
	return DL_OK;
}

const char *
dnc_import_file_error(const struct dnc_import *imp, const char **message)
{
	return rowbatch_file_error(imp != NULL ? imp->rows : NULL, message);
}

void
dnc_import_abort(struct dnc_import *imp)
{
	if (imp == NULL)
		return;
	rowbatch_free(imp->rows);
	free(imp->default_reason);
	free(imp);
}

cJSON *
dnc_report_json(struct dnc_report *rep)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || cJSON_AddNumberToObject(o, "added", (double)rep->added) == NULL ||
	    cJSON_AddNumberToObject(o, "already_listed", (double)rep->already_listed) == NULL ||
	    !rowbatch_errors_json(o, &rep->errors, rep->error_count)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

void
dnc_report_free(struct dnc_report *rep)
{
	cJSON_Delete(rep->errors);
	rep->errors = NULL;
}
