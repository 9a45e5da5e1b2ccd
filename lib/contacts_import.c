/* contacts: the CSV import (see contacts.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callhours.h"
#include "contacts.h"
#include "csvread.h"
#include "db.h"
#include "jsonw.h"
#include "phone.h"
#include "phonebatch.h"

#include <stdint.h>

/*
 * The import pipeline. libphonenumber costs ~19 us a number, ten times
 * everything else per row, so rows are gathered in batches whose phones
 * are parsed on every core (phonebatch), then inserted in row order.
 */
#define BATCH_ROWS 512

/* Zone names already found valid; files use few, and a check reads a file. */
#define KNOWN_ZONES 32

enum slot_kind { SLOT_ROW, SLOT_ERROR };

/* One row, or one row's error found before phone parsing. Strings live in
 * the arena and are referred to by offset (the arena may move). */
struct slot {
	long row;
	enum slot_kind kind;
	size_t off[CSVREAD_CONTACT_NCOLS], len[CSVREAD_CONTACT_NCOLS];
	/* SLOT_ERROR: column (or SIZE_MAX for none), code and message. */
	size_t column, code, message;
	size_t item; /* SLOT_ROW: index in items */
};

struct contacts_import {
	struct csvread *reader;
	char region[4];
	long long list_id;
	int appending;
	int in_tx;
	long imported, skipped, error_count;
	cJSON *errors;
	long listed; /* items in errors (cJSON counts by walking the list) */

	struct slot slots[BATCH_ROWS];
	size_t nslots;
	struct phonebatch_item items[BATCH_ROWS];
	size_t nitems;
	char *arena;
	size_t alen, acap;
	enum dl_err failed; /* sticky: the first error stops the import */

	long long id_before; /* contacts.id above this were added by this import */
	char *zones[KNOWN_ZONES];
	size_t nzones;
};

static size_t
utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static enum dl_err
arena_add(struct contacts_import *imp, const char *s, size_t len, size_t *off)
{
	if (imp->alen + len + 1 > imp->acap) {
		size_t cap = imp->acap ? imp->acap : 65536;
		char *grown;

		while (cap < imp->alen + len + 1)
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
report_error(struct contacts_import *imp, long row, const char *column,
    const char *code, const char *message)
{
	cJSON *e;

	imp->skipped++;
	imp->error_count++;
	if (imp->listed >= CONTACTS_MAX_LISTED_ERRORS)
		return DL_OK;
	if ((e = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(e, "row", (double)row) == NULL ||
	    (column != NULL ? cJSON_AddStringToObject(e, "column", column) :
	    cJSON_AddNullToObject(e, "column")) == NULL ||
	    cJSON_AddStringToObject(e, "code", code) == NULL ||
	    cJSON_AddStringToObject(e, "message", message) == NULL) {
		cJSON_Delete(e);
		return DL_ERR_NOMEM;
	}
	cJSON_AddItemToArray(imp->errors, e);
	imp->listed++;
	return DL_OK;
}

static const char sql_insert[] =
    "INSERT INTO contacts (list_id, source_row, name, company, title, "
    "phone_e164, phone_raw, phone_national, region, phone_type, timezone) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
    "ON CONFLICT (list_id, phone_e164) DO NOTHING";

static enum dl_err
insert_slot(struct contacts_import *imp, const struct slot *sl)
{
	const char *a = imp->arena;
	const struct phonebatch_item *it;
	sqlite3_stmt *st;
	char msg[160];
	int rc;

	if (sl->kind == SLOT_ERROR)
		return report_error(imp, sl->row,
		    sl->column == SIZE_MAX ? NULL : a + sl->column, a + sl->code,
		    a + sl->message);
	it = &imp->items[sl->item];
	if (it->why == PHONE_INTERNAL)
		return DL_ERR_NOMEM;
	if (it->why != PHONE_OK)
		return report_error(imp, sl->row, "phone", phone_reason_code(it->why),
		    phone_reason_message(it->why));
	if ((st = db_stmt(sql_insert)) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, imp->list_id);
	sqlite3_bind_int64(st, 2, sl->row);
	sqlite3_bind_text(st, 3, a + sl->off[CSVREAD_NAME], (int)sl->len[CSVREAD_NAME], SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a + sl->off[CSVREAD_COMPANY], (int)sl->len[CSVREAD_COMPANY], SQLITE_STATIC);
	if (sl->len[CSVREAD_TITLE] > 0)
		sqlite3_bind_text(st, 5, a + sl->off[CSVREAD_TITLE], (int)sl->len[CSVREAD_TITLE], SQLITE_STATIC);
	sqlite3_bind_text(st, 6, it->info.e164, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a + sl->off[CSVREAD_PHONE], (int)sl->len[CSVREAD_PHONE], SQLITE_STATIC);
	sqlite3_bind_text(st, 8, it->info.national, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, it->info.region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, phone_type_name(it->info.type), -1, SQLITE_STATIC);
	if (sl->len[CSVREAD_TIMEZONE] > 0)
		sqlite3_bind_text(st, 11, a + sl->off[CSVREAD_TIMEZONE],
		    (int)sl->len[CSVREAD_TIMEZONE], SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_err(rc) == DL_OK ? DL_ERR_DB : db_err(rc);
	if (sqlite3_changes(db_conn()) == 0) {
		snprintf(msg, sizeof(msg), "%s is already in this list%s.", it->info.e164,
		    imp->appending ? "" : " (an earlier row of the file)");
		return report_error(imp, sl->row, "phone", "duplicate", msg);
	}
	imp->imported++;
	return DL_OK;
}

/* Parse the batch's phones, then insert its rows in order. */
static enum dl_err
flush(struct contacts_import *imp)
{
	enum dl_err err = DL_OK;
	size_t i;

	if (imp->failed != DL_OK)
		return imp->failed;
	/* Items point into the arena, which is stable until the reset below. */
	for (i = 0; i < imp->nslots; i++) {
		const struct slot *sl = &imp->slots[i];

		if (sl->kind == SLOT_ROW)
			imp->items[sl->item].text = imp->arena + sl->off[CSVREAD_PHONE];
	}
	if (imp->nitems > 0)
		err = phonebatch_parse(imp->items, imp->nitems, imp->region);
	for (i = 0; err == DL_OK && i < imp->nslots; i++)
		err = insert_slot(imp, &imp->slots[i]);
	imp->nslots = imp->nitems = imp->alen = 0;
	return imp->failed = err;
}

static enum dl_err
next_slot(struct contacts_import *imp, struct slot **out)
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
row_error(void *ud, long row, const char *column, const char *code,
    const char *message)
{
	struct contacts_import *imp = ud;
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

/* 1 when the file's zone is one the system knows (cached by name). */
static int
zone_known(struct contacts_import *imp, const char *zone)
{
	size_t i;

	for (i = 0; i < imp->nzones; i++)
		if (strcmp(imp->zones[i], zone) == 0)
			return 1;
	if (!callhours_zone_valid(zone))
		return 0;
	/* A full cache or no memory only means checking again next time. */
	if (imp->nzones < KNOWN_ZONES &&
	    (imp->zones[imp->nzones] = strdup(zone)) != NULL)
		imp->nzones++;
	return 1;
}

static enum dl_err
bad_zone(struct contacts_import *imp, long row, const char *zone, size_t len)
{
	char msg[200];
	size_t show = len;

	/* Quote at most 60 bytes of it, never cutting a UTF-8 sequence. */
	if (show > 60) {
		show = 60;
		while (show > 0 && ((unsigned char)zone[show] & 0xc0) == 0x80)
			show--;
	}
	snprintf(msg, sizeof(msg), "\"%.*s%s\" is not a time zone this server "
	    "knows; use an IANA name such as America/Chicago, or leave it empty.",
	    (int)show, zone, show < len ? "..." : "");
	return row_error(imp, row, "timezone", "invalid_timezone", msg);
}

static enum dl_err
on_record(void *ud, const struct csvread_record *rec)
{
	struct contacts_import *imp = ud;
	struct slot *sl = NULL;
	char msg[160];
	enum dl_err err;
	int c;

	if (rec->len[CSVREAD_NAME] == 0)
		return row_error(imp, rec->row, "name", "required", "The name is empty.");
	if (rec->len[CSVREAD_COMPANY] == 0)
		return row_error(imp, rec->row, "company", "required", "The company is empty.");
	for (c = 0; c < CSVREAD_CONTACT_NCOLS; c++) {
		if (c == CSVREAD_PHONE || c == CSVREAD_TIMEZONE ||
		    utf8_chars(rec->field[c], rec->len[c]) <= CONTACTS_MAX_TEXT)
			continue;
		snprintf(msg, sizeof(msg), "The %s is longer than %d characters.",
		    csvread_contact_columns[c].name, CONTACTS_MAX_TEXT);
		return row_error(imp, rec->row, csvread_contact_columns[c].name,
		    "too_long", msg);
	}
	if (rec->len[CSVREAD_TIMEZONE] > 0 &&
	    !zone_known(imp, rec->field[CSVREAD_TIMEZONE]))
		return bad_zone(imp, rec->row, rec->field[CSVREAD_TIMEZONE],
		    rec->len[CSVREAD_TIMEZONE]);
	if ((err = next_slot(imp, &sl)) != DL_OK)
		return err;
	sl->row = rec->row;
	sl->kind = SLOT_ROW;
	for (c = 0; c < CSVREAD_CONTACT_NCOLS; c++) {
		sl->len[c] = rec->len[c];
		if ((err = arena_add(imp, rec->field[c], rec->len[c], &sl->off[c])) != DL_OK)
			return imp->failed = err;
	}
	sl->item = imp->nitems;
	imp->items[imp->nitems].len = rec->len[CSVREAD_PHONE];
	imp->nitems++;
	imp->nslots++;
	return DL_OK;
}

static const struct csvread_callbacks callbacks = { on_record, row_error };

static const char sql_max_id[] = "SELECT coalesce(max(id), 0) FROM contacts";
/* The new rows whose number is on the DNC list: imported all the same,
 * and shown as listed (the list is checked again at every dial). */
static const char sql_dnc_count[] =
    "SELECT count(*) FROM contacts c WHERE c.list_id = ?1 AND c.id > ?2 "
    "AND EXISTS (SELECT 1 FROM dnc d WHERE d.phone_e164 = c.phone_e164)";

/* The single integer `st` (bound) returns. */
static enum dl_err
step_int(sqlite3_stmt *st, long long *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DL_OK : db_err(rc) == DL_OK ? DL_ERR_DB : db_err(rc);
}

static const char sql_list_add[] =
    "INSERT INTO contact_lists (name, created_by) VALUES (?1, ?2)";
static const char sql_list_live[] =
    "SELECT 1 FROM contact_lists WHERE id = ?1 AND archived_at IS NULL";

enum dl_err
contacts_import_begin(const char *list_name, long long list_id,
    long long created_by, const char *region, struct contacts_import **out)
{
	struct contacts_import *imp;
	sqlite3_stmt *st;
	enum dl_err err;
	int rc;

	*out = NULL;
	if (region == NULL || strlen(region) > 3 || !phone_region_supported(region))
		return DL_ERR_INVALID;
	if ((imp = calloc(1, sizeof(*imp))) == NULL)
		return DL_ERR_NOMEM;
	snprintf(imp->region, sizeof(imp->region), "%s", region);
	if ((imp->errors = cJSON_CreateArray()) == NULL ||
	    (imp->reader = csvread_new(csvread_contact_columns,
	    CSVREAD_CONTACT_NCOLS, &callbacks, imp)) == NULL) {
		contacts_import_abort(imp);
		return DL_ERR_NOMEM;
	}
	if ((err = db_begin()) != DL_OK) {
		contacts_import_abort(imp);
		return err;
	}
	imp->in_tx = 1;
	if ((st = db_stmt(sql_max_id)) == NULL) {
		contacts_import_abort(imp);
		return DL_ERR_DB;
	}
	if ((err = step_int(st, &imp->id_before)) != DL_OK) {
		contacts_import_abort(imp);
		return err;
	}
	if (list_id > 0) {
		if ((st = db_stmt(sql_list_live)) == NULL) {
			contacts_import_abort(imp);
			return DL_ERR_DB;
		}
		sqlite3_bind_int64(st, 1, list_id);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW) {
			contacts_import_abort(imp);
			return rc == SQLITE_DONE ? DL_ERR_NOTFOUND : db_err(rc);
		}
		imp->list_id = list_id;
		imp->appending = 1;
	} else {
		if ((st = db_stmt(sql_list_add)) == NULL) {
			contacts_import_abort(imp);
			return DL_ERR_DB;
		}
		db_bind_text(st, 1, list_name != NULL && *list_name != '\0' ? list_name : "Untitled list");
		if (created_by > 0)
			sqlite3_bind_int64(st, 2, created_by);
		if ((err = db_exec_stmt(st)) != DL_OK) {
			contacts_import_abort(imp);
			return err;
		}
		imp->list_id = sqlite3_last_insert_rowid(db_conn());
	}
	*out = imp;
	return DL_OK;
}

enum dl_err
contacts_import_feed(struct contacts_import *imp, const void *data, size_t len)
{
	return csvread_feed(imp->reader, data, len);
}

enum dl_err
contacts_import_rename(struct contacts_import *imp, const char *name)
{
	sqlite3_stmt *st;

	if (imp->appending || name == NULL || *name == '\0')
		return DL_OK;
	if ((st = db_stmt("UPDATE contact_lists SET name = ?2 WHERE id = ?1")) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, imp->list_id);
	db_bind_text(st, 2, name);
	return db_exec_stmt(st);
}

const char *
contacts_import_file_error(const struct contacts_import *imp, const char **message)
{
	const char *code = imp != NULL ? csvread_file_error_code(imp->reader) : NULL;

	if (message != NULL)
		*message = code != NULL ? csvread_file_error_message(imp->reader) : NULL;
	return code;
}

enum dl_err
contacts_import_finish(struct contacts_import *imp, struct contacts_report *rep)
{
	sqlite3_stmt *st;
	long long listed = 0;
	enum dl_err err;

	memset(rep, 0, sizeof(*rep));
	if ((err = csvread_finish(imp->reader)) != DL_OK || (err = flush(imp)) != DL_OK)
		return err;
	if ((st = db_stmt(sql_dnc_count)) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, imp->list_id);
	sqlite3_bind_int64(st, 2, imp->id_before);
	if ((err = step_int(st, &listed)) != DL_OK)
		return err;
	if ((st = db_stmt("UPDATE contact_lists SET contact_count = contact_count + ?2 "
	    "WHERE id = ?1")) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, imp->list_id);
	sqlite3_bind_int64(st, 2, imp->imported);
	if ((err = db_exec_stmt(st)) != DL_OK)
		return err;
	rep->imported = imp->imported;
	rep->skipped = imp->skipped;
	rep->error_count = imp->error_count;
	rep->do_not_call = (long)listed;
	/* A new list in which nothing survived is not worth keeping: refuse
	 * it as a whole, report attached, so the operator fixes the file. */
	if (!imp->appending && imp->imported == 0) {
		rep->errors = imp->errors;
		imp->errors = NULL;
		return DL_ERR_CONFLICT;
	}
	if ((err = db_commit()) != DL_OK)
		return err;
	imp->in_tx = 0;
	rep->list_id = imp->list_id;
	rep->errors = imp->errors;
	imp->errors = NULL;
	return DL_OK;
}

void
contacts_import_abort(struct contacts_import *imp)
{
	if (imp == NULL)
		return;
	if (imp->in_tx)
		db_rollback();
	csvread_free(imp->reader);
	cJSON_Delete(imp->errors);
	free(imp->arena);
	while (imp->nzones > 0)
		free(imp->zones[--imp->nzones]);
	free(imp);
}

cJSON *
contacts_report_json(struct contacts_report *rep)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	if ((rep->list_id > 0 &&
	    cJSON_AddNumberToObject(o, "list_id", (double)rep->list_id) == NULL) ||
	    cJSON_AddNumberToObject(o, "imported", (double)rep->imported) == NULL ||
	    cJSON_AddNumberToObject(o, "skipped", (double)rep->skipped) == NULL ||
	    cJSON_AddNumberToObject(o, "do_not_call", (double)rep->do_not_call) == NULL)
		goto nomem;
	if (rep->errors == NULL && (rep->errors = cJSON_CreateArray()) == NULL)
		goto nomem;
	if (!cJSON_AddItemToObject(o, "errors", rep->errors))
		goto nomem;
	rep->errors = NULL;
	if (cJSON_AddNumberToObject(o, "error_count", (double)rep->error_count) == NULL)
		goto nomem;
	return o;
nomem:
	cJSON_Delete(o);
	return NULL;
}

void
contacts_report_free(struct contacts_report *rep)
{
	cJSON_Delete(rep->errors);
	rep->errors = NULL;
}
