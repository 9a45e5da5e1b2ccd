/* dnc: the internal do-not-call list (see dnc.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"
#include "db.h"
#include "dnc.h"
#include "phone.h"
#include "phonebatch.h"
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

static size_t
utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

int
dnc_reason_ok(const char *reason)
{
	size_t len;

	if (reason == NULL)
		return 1;
	len = strlen(reason);
	/* Each character is at most 4 bytes: a longer text cannot pass. */
	return len <= DNC_REASON_MAX * 4 && valid_utf8(reason, len) &&
	    utf8_chars(reason, len) <= DNC_REASON_MAX;
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

/* "%q%" with LIKE's wildcards in q escaped; digits_only keeps digits. */
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
	size_t digits = 0;
	const char *p;
	int rc;

	*out = NULL;
	if (f->page < 1 || f->per_page < 1 || f->per_page > 200)
		return DL_ERR_INVALID;
	if (f->q != NULL && *f->q != '\0') {
		for (p = f->q; *p != '\0'; p++)
			digits += *p >= '0' && *p <= '9';
		if ((text_pat = like_pattern(f->q, 0)) == NULL ||
		    (digits >= 3 && (digit_pat = like_pattern(f->q, 1)) == NULL))
			goto done;
	}
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

/*
 * libphonenumber costs ~19 us a number, ten times everything else a row
 * needs, so rows are gathered in batches whose phones are parsed on every
 * core (phonebatch, as the contact import does), then stored in row order
 * so the report lists rows in the file's order.
 */
#define BATCH_ROWS 512

enum { COL_PHONE, COL_REASON, NCOLS };

static const char *const phone_aliases[] = { "phone number", "number", "telephone",
	"mobile", "e164", NULL };
static const char *const reason_aliases[] = { "note", "notes", "comment", NULL };

static const struct csvread_column columns[NCOLS] = {
	[COL_PHONE] = { "phone", phone_aliases, 1, { NULL, NULL } },
	[COL_REASON] = { "reason", reason_aliases, 0, { NULL, NULL } },
};

enum slot_kind { SLOT_ROW, SLOT_ERROR };

/* A row, or a row's error found before phone parsing. Strings live in
 * the arena, referred to by offset (the arena may move). */
struct slot {
	long row;
	enum slot_kind kind;
	size_t phone, reason;            /* SLOT_ROW */
	size_t column, code, message;    /* SLOT_ERROR; column SIZE_MAX: none */
	size_t item;                     /* SLOT_ROW: index in items */
};

struct dnc_import {
	struct csvread *reader;
	char region[4];
	long long added_by;
	char *default_reason;
	int in_tx;
	long added, already_listed, error_count, listed;
	cJSON *errors;

	struct slot slots[BATCH_ROWS];
	size_t nslots;
	struct phonebatch_item items[BATCH_ROWS];
	size_t nitems;
	char *arena;
	size_t alen, acap;
	enum dl_err failed; /* sticky: the first error stops the import */
};

static enum dl_err
arena_add(struct dnc_import *imp, const char *s, size_t len, size_t *off)
{
	if (len + 1 > imp->acap - imp->alen) {
		size_t cap = imp->acap ? imp->acap : 65536;
		char *grown;

		while (cap - imp->alen < len + 1)
			cap *= 2;
		if ((grown = realloc(imp->arena, cap)) == NULL)
			return DL_ERR_NOMEM;
		imp->arena = grown;
		imp->acap = cap;
	}
	memcpy(imp->arena + imp->alen, s, len);
	imp->arena[imp->alen + len] = '\0';
	*off = imp->alen;
	imp->alen += len + 1;
	return DL_OK;
}

static enum dl_err
report_error(struct dnc_import *imp, long row, const char *column, const char *code,
    const char *message)
{
	cJSON *e;

	imp->error_count++;
	if (imp->listed >= DNC_MAX_LISTED_ERRORS)
		return DL_OK;
	if ((e = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(e, "row", (double)row) == NULL ||
	    (column != NULL ? cJSON_AddStringToObject(e, "column", column) :
	    cJSON_AddNullToObject(e, "column")) == NULL ||
	    cJSON_AddStringToObject(e, "code", code) == NULL ||
	    cJSON_AddStringToObject(e, "message", message) == NULL ||
	    !cJSON_AddItemToArray(imp->errors, e)) {
		cJSON_Delete(e);
		return DL_ERR_NOMEM;
	}
	imp->listed++;
	return DL_OK;
}

static enum dl_err
store_slot(struct dnc_import *imp, const struct slot *sl)
{
	const char *a = imp->arena, *reason;
	const struct phonebatch_item *it;
	enum dl_err err;
	int added;

	if (sl->kind == SLOT_ERROR)
		return report_error(imp, sl->row, sl->column == SIZE_MAX ? NULL : a + sl->column,
		    a + sl->code, a + sl->message);
	it = &imp->items[sl->item];
	if (it->why == PHONE_INTERNAL)
		return DL_ERR_NOMEM;
	if (it->why != PHONE_OK)
		return report_error(imp, sl->row, "phone", phone_reason_code(it->why),
		    phone_reason_message(it->why));
	reason = a[sl->reason] != '\0' ? a + sl->reason : imp->default_reason;
	if ((err = dnc_add(it->info.e164, reason, DNC_IMPORT, imp->added_by, 0, &added)) != DL_OK)
		return err;
	if (added)
		imp->added++;
	else
		imp->already_listed++;
	return DL_OK;
}

/* Parse the batch's phones, then store its rows in order. */
static enum dl_err
flush(struct dnc_import *imp)
{
	enum dl_err err = DL_OK;
	size_t i;

	if (imp->failed != DL_OK)
		return imp->failed;
	/* Items point into the arena, which stays put until the reset below. */
	for (i = 0; i < imp->nslots; i++)
		if (imp->slots[i].kind == SLOT_ROW)
			imp->items[imp->slots[i].item].text = imp->arena + imp->slots[i].phone;
	if (imp->nitems > 0)
		err = phonebatch_parse(imp->items, imp->nitems, imp->region);
	for (i = 0; err == DL_OK && i < imp->nslots; i++)
		err = store_slot(imp, &imp->slots[i]);
	imp->nslots = imp->nitems = imp->alen = 0;
	return imp->failed = err;
}

static enum dl_err
next_slot(struct dnc_import *imp, struct slot **out)
{
	if (imp->failed != DL_OK)
		return imp->failed;
	if (imp->nslots == BATCH_ROWS && flush(imp) != DL_OK)
		return imp->failed;
	*out = &imp->slots[imp->nslots];
	memset(*out, 0, sizeof(**out));
	return DL_OK;
}

static enum dl_err
on_row_error(void *ud, long row, const char *column, const char *code, const char *message)
{
	struct dnc_import *imp = ud;
	struct slot *sl = NULL;
	enum dl_err err;

	if ((err = next_slot(imp, &sl)) != DL_OK)
		return err;
	sl->row = row;
	sl->kind = SLOT_ERROR;
	sl->column = SIZE_MAX;
	if ((column != NULL && (err = arena_add(imp, column, strlen(column), &sl->column)) != DL_OK) ||
	    (err = arena_add(imp, code, strlen(code), &sl->code)) != DL_OK ||
	    (err = arena_add(imp, message, strlen(message), &sl->message)) != DL_OK)
		return imp->failed = err;
	imp->nslots++;
	return DL_OK;
}

static enum dl_err
on_record(void *ud, const struct csvread_record *rec)
{
	struct dnc_import *imp = ud;
	struct slot *sl = NULL;
	char msg[96];
	enum dl_err err;

	if (utf8_chars(rec->field[COL_REASON], rec->len[COL_REASON]) > DNC_REASON_MAX) {
		snprintf(msg, sizeof(msg), "The reason is longer than %d characters.",
		    DNC_REASON_MAX);
		return on_row_error(imp, rec->row, "reason", "too_long", msg);
	}
	if ((err = next_slot(imp, &sl)) != DL_OK)
		return err;
	sl->row = rec->row;
	sl->kind = SLOT_ROW;
	if ((err = arena_add(imp, rec->field[COL_PHONE], rec->len[COL_PHONE], &sl->phone)) != DL_OK ||
	    (err = arena_add(imp, rec->field[COL_REASON], rec->len[COL_REASON], &sl->reason)) != DL_OK)
		return imp->failed = err;
	sl->item = imp->nitems;
	imp->items[imp->nitems].len = rec->len[COL_PHONE];
	imp->nitems++;
	imp->nslots++;
	return DL_OK;
}

static const struct csvread_callbacks callbacks = { on_record, on_row_error };

enum dl_err
dnc_import_begin(const char *region, long long added_by, const char *default_reason,
    struct dnc_import **out)
{
	struct dnc_import *imp;
	enum dl_err err;

	*out = NULL;
	if (region == NULL || strlen(region) > 3 || !phone_region_supported(region) ||
	    !dnc_reason_ok(default_reason))
		return DL_ERR_INVALID;
	if ((imp = calloc(1, sizeof(*imp))) == NULL)
		return DL_ERR_NOMEM;
	snprintf(imp->region, sizeof(imp->region), "%s", region);
	imp->added_by = added_by;
	if ((default_reason != NULL && *default_reason != '\0' &&
	    (imp->default_reason = strdup(default_reason)) == NULL) ||
	    (imp->errors = cJSON_CreateArray()) == NULL ||
	    (imp->reader = csvread_new(columns, NCOLS, &callbacks, imp)) == NULL) {
		dnc_import_abort(imp);
		return DL_ERR_NOMEM;
	}
	if ((err = db_begin()) != DL_OK) {
		dnc_import_abort(imp);
		return err;
	}
	imp->in_tx = 1;
	*out = imp;
	return DL_OK;
}

enum dl_err
dnc_import_feed(struct dnc_import *imp, const void *data, size_t len)
{
	return csvread_feed(imp->reader, data, len);
}

const char *
dnc_import_file_error(const struct dnc_import *imp, const char **message)
{
	const char *code = imp != NULL ? csvread_file_error_code(imp->reader) : NULL;

	if (message != NULL)
		*message = code != NULL ? csvread_file_error_message(imp->reader) : NULL;
	return code;
}

enum dl_err
dnc_import_finish(struct dnc_import *imp, struct dnc_report *rep)
{
	enum dl_err err;

	memset(rep, 0, sizeof(*rep));
	if ((err = csvread_finish(imp->reader)) != DL_OK || (err = flush(imp)) != DL_OK ||
	    (err = db_commit()) != DL_OK)
		return err;
	imp->in_tx = 0;
	rep->added = imp->added;
	rep->already_listed = imp->already_listed;
	rep->error_count = imp->error_count;
	rep->errors = imp->errors;
	imp->errors = NULL;
	return DL_OK;
}

void
dnc_import_abort(struct dnc_import *imp)
{
	if (imp == NULL)
		return;
	if (imp->in_tx)
		db_rollback();
	csvread_free(imp->reader);
	cJSON_Delete(imp->errors);
	free(imp->default_reason);
	free(imp->arena);
	free(imp);
}

cJSON *
dnc_report_json(struct dnc_report *rep)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || cJSON_AddNumberToObject(o, "added", (double)rep->added) == NULL ||
	    cJSON_AddNumberToObject(o, "already_listed", (double)rep->already_listed) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	if (rep->errors == NULL && (rep->errors = cJSON_CreateArray()) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	if (!cJSON_AddItemToObject(o, "errors", rep->errors)) {
		cJSON_Delete(o);
		return NULL;
	}
	rep->errors = NULL;
	if (cJSON_AddNumberToObject(o, "error_count", (double)rep->error_count) == NULL) {
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
