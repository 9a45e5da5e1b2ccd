/* contacts: the CSV import (see contacts.h), through lib/rowbatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callhours.h"
#include "contacts.h"
#include "db.h"
#include "phone.h"
#include "rowbatch.h"

/* Zone names already found valid; files use few, and a check reads a file. */
#define KNOWN_ZONES 32

struct contacts_import {
	struct rowbatch *rows;
	long long list_id;
	int appending;
	long imported;

	long long id_before; /* contacts.id above this were added by this import */
	char *zones[KNOWN_ZONES];
	size_t nzones;
};

static const char sql_insert[] =
    "INSERT INTO contacts (list_id, source_row, name, company, title, "
    "phone_e164, phone_raw, phone_national, region, phone_type, timezone) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
    "ON CONFLICT (list_id, phone_e164) DO NOTHING";

static enum dl_err
store_row(void *ud, const struct rowbatch_row *r, struct rowbatch_reject *why)
{
	struct contacts_import *imp = ud;
	const struct phone_info *ph = r->phone;
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(sql_insert)) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, imp->list_id);
	sqlite3_bind_int64(st, 2, r->row);
	sqlite3_bind_text(st, 3, r->field[CSVREAD_NAME], (int)r->len[CSVREAD_NAME], SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->field[CSVREAD_COMPANY], (int)r->len[CSVREAD_COMPANY], SQLITE_STATIC);
	if (r->len[CSVREAD_TITLE] > 0)
		sqlite3_bind_text(st, 5, r->field[CSVREAD_TITLE], (int)r->len[CSVREAD_TITLE], SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ph->e164, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->field[CSVREAD_PHONE], (int)r->len[CSVREAD_PHONE], SQLITE_STATIC);
	sqlite3_bind_text(st, 8, ph->national, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, ph->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, phone_type_name(ph->type), -1, SQLITE_STATIC);
	if (r->len[CSVREAD_TIMEZONE] > 0)
		sqlite3_bind_text(st, 11, r->field[CSVREAD_TIMEZONE],
		    (int)r->len[CSVREAD_TIMEZONE], SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_err(rc) == DL_OK ? DL_ERR_DB : db_err(rc);
	if (sqlite3_changes(db_conn()) == 0) {
		why->column = "phone";
		why->code = "duplicate";
		snprintf(why->message, sizeof(why->message), "%s is already in this list%s.",
		    ph->e164, imp->appending ? "" : " (an earlier row of the file)");
		return DL_OK;
	}
	imp->imported++;
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

static void
bad_zone(const char *zone, size_t len, struct rowbatch_reject *why)
{
	size_t show = len;

	/* Quote at most 60 bytes of it, never cutting a UTF-8 sequence. */
	if (show > 60) {
		show = 60;
		while (show > 0 && ((unsigned char)zone[show] & 0xc0) == 0x80)
			show--;
	}
	why->column = "timezone";
	why->code = "invalid_timezone";
	snprintf(why->message, sizeof(why->message), "\"%.*s%s\" is not a time zone this "
	    "server knows; use an IANA name such as America/Chicago, or leave it empty.",
	    (int)show, zone, show < len ? "..." : "");
}

static void
check_row(void *ud, const struct csvread_record *rec, struct rowbatch_reject *why)
{
	struct contacts_import *imp = ud;
	int c;

	if (rec->len[CSVREAD_NAME] == 0 || rec->len[CSVREAD_COMPANY] == 0) {
		c = rec->len[CSVREAD_NAME] == 0 ? CSVREAD_NAME : CSVREAD_COMPANY;
		why->column = csvread_contact_columns[c].name;
		why->code = "required";
		snprintf(why->message, sizeof(why->message), "The %s is empty.", why->column);
		return;
	}
	for (c = 0; c < CSVREAD_CONTACT_NCOLS; c++)
		if (c != CSVREAD_PHONE && c != CSVREAD_TIMEZONE &&
		    rowbatch_too_long(csvread_contact_columns[c].name, rec->field[c], rec->len[c],
		    CONTACTS_MAX_TEXT, why))
			return;
	if (rec->len[CSVREAD_TIMEZONE] > 0 &&
	    !zone_known(imp, rec->field[CSVREAD_TIMEZONE]))
		bad_zone(rec->field[CSVREAD_TIMEZONE], rec->len[CSVREAD_TIMEZONE], why);
}

static const struct rowbatch_spec spec = {
	csvread_contact_columns, CSVREAD_CONTACT_NCOLS, CSVREAD_PHONE,
	CONTACTS_MAX_LISTED_ERRORS, check_row, store_row,
};

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
	if ((imp = calloc(1, sizeof(*imp))) == NULL)
		return DL_ERR_NOMEM;
	if ((err = rowbatch_new(&spec, region, imp, &imp->rows)) != DL_OK) {
		contacts_import_abort(imp);
		return err;
	}
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
	return rowbatch_feed(imp->rows, data, len);
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

enum dl_err
contacts_import_finish(struct contacts_import *imp, struct contacts_report *rep)
{
	sqlite3_stmt *st;
	long long listed = 0;
	enum dl_err err;

	memset(rep, 0, sizeof(*rep));
	if ((err = rowbatch_finish(imp->rows)) != DL_OK)
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
	rep->skipped = rowbatch_error_count(imp->rows);
	rep->error_count = rep->skipped;
	rep->do_not_call = (long)listed;
	/* A new list in which nothing survived is not worth keeping: refuse
	 * it as a whole, report attached, so the operator fixes the file. */
	if (!imp->appending && imp->imported == 0) {
		rep->errors = rowbatch_take_errors(imp->rows);
		return DL_ERR_CONFLICT;
	}
	if ((err = rowbatch_commit(imp->rows)) != DL_OK)
		return err;
	rep->list_id = imp->list_id;
	rep->errors = rowbatch_take_errors(imp->rows);
	return DL_OK;
}

const char *
contacts_import_file_error(const struct contacts_import *imp, const char **message)
{
	return rowbatch_file_error(imp != NULL ? imp->rows : NULL, message);
}

void
contacts_import_abort(struct contacts_import *imp)
{
	if (imp == NULL)
		return;
	rowbatch_free(imp->rows);
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
	    cJSON_AddNumberToObject(o, "do_not_call", (double)rep->do_not_call) == NULL ||
	    !rowbatch_errors_json(o, &rep->errors, rep->error_count)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

void
contacts_report_free(struct contacts_report *rep)
{
	cJSON_Delete(rep->errors);
	rep->errors = NULL;
}
