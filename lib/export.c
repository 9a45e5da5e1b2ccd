#include <stdio.h>
#include <string.h>

#include "day.h"
#include "db.h"
#include "export.h"

/*
 * The columns are named, not "*", so that the header is exactly these and
 * a change to the view fails at prepare time instead of moving columns.
 * "?3 = 0 OR" keeps the planner off calls_operator: that index would
 * return an operator's calls in created_at order and need a sort to put
 * them in id order; a scan of calls by id needs none.
 */
static const char sql_calls[] =
    "SELECT call_id, day, created_at, operator_id, operator, provider, list_id, "
    "list_name, contact_id, contact_name, company, to_phone, from_phone, status, "
    "failure_reason, dialed_at, answered_at, ended_at, connected, duration_s, "
    "outcome, notes FROM v_calls "
    "WHERE created_at >= ?1 AND created_at < ?2 AND (?3 = 0 OR operator_id = ?3) "
    "ORDER BY call_id";

static const char sql_list_exists[] =
    "SELECT 1 FROM contact_lists WHERE id = ?1 AND archived_at IS NULL";
/* (list_id) alone keeps the rows in id order: no sort. */
static const char sql_contacts[] =
    "SELECT id, list_id, name, company, title, phone_e164 AS phone, "
    "phone_national AS phone_display, region, phone_type, status, last_outcome, "
    "last_called_at, created_at FROM contacts WHERE list_id = ?1 ORDER BY id";

/* The header: the statement's column names. */
static void
write_header(sqlite3_stmt *st, struct csvwrite *w)
{
	int i, n = sqlite3_column_count(st);

	for (i = 0; i < n; i++)
		csvwrite_cstr(w, sqlite3_column_name(st, i));
	csvwrite_end_row(w);
}

static void
write_row(sqlite3_stmt *st, struct csvwrite *w)
{
	int i, n = sqlite3_column_count(st);

	for (i = 0; i < n; i++) {
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			csvwrite_int(w, sqlite3_column_int64(st, i));
			break;
		case SQLITE_NULL:
			csvwrite_cell(w, NULL, 0);
			break;
		default: {
			const char *text = (const char *)sqlite3_column_text(st, i);

			/* NULL for a value that is not: SQLite ran out of memory
			 * converting it, and an empty cell would pass for data. */
			if (text == NULL) {
				w->err = DL_ERR_NOMEM;
				return;
			}
			csvwrite_cell(w, text, (size_t)sqlite3_column_bytes(st, i));
			break;
		}
		}
	}
	csvwrite_end_row(w);
}

/* Header, then every row `st` returns; stops at the first sink error. */
static enum dl_err
write_all(sqlite3_stmt *st, struct csvwrite *w)
{
	int rc = SQLITE_DONE;

	write_header(st, w);
	while (w->err == DL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		write_row(st, w);
	sqlite3_reset(st);
	if (w->err != DL_OK)
		return w->err;
	if (rc != SQLITE_DONE)
		return db_err(rc);
	return csvwrite_flush(w);
}

enum dl_err
export_calls(const struct export_calls_filter *f, struct csvwrite *w)
{
	/* Every created_at ("2026-11-24T09:30:00Z") sorts after "" and
	 * before "~", so those two leave a side open; a day's calls sort
	 * before the next day's name. */
	char upper[DAY_LEN + 1] = "~";
	sqlite3_stmt *st;
	enum dl_err err;
	long to;

	if ((f->from != NULL && !day_valid(f->from)) ||
	    (f->to != NULL && day_parse(f->to, &to) != DL_OK))
		return DL_ERR_INVALID;
	/* After 9999-12-31 there is no day to write: the side stays open. */
	if (f->to != NULL && day_format(to + 1, upper) != DL_OK)
		memcpy(upper, "~", 2);
	if ((err = db_read_begin()) != DL_OK)
		return err;
	if ((st = db_stmt(sql_calls)) == NULL) {
		db_read_end();
		return DL_ERR_DB;
	}
	if (db_bind_text(st, 1, f->from != NULL ? f->from : "") != SQLITE_OK ||
	    db_bind_text(st, 2, upper) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, f->operator_id > 0 ? f->operator_id : 0) != SQLITE_OK)
		err = DL_ERR_NOMEM; /* a copy of the text failed */
	else
		err = write_all(st, w);
	db_read_end();
	return err;
}

enum dl_err
export_contacts(long long list_id, struct csvwrite *w)
{
	sqlite3_stmt *st;
	enum dl_err err;
	int rc;

	if ((err = db_read_begin()) != DL_OK)
		return err;
	if ((st = db_stmt(sql_list_exists)) == NULL) {
		err = DL_ERR_DB;
		goto done;
	}
	if ((rc = sqlite3_bind_int64(st, 1, list_id)) == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		err = rc == SQLITE_DONE ? DL_ERR_NOTFOUND : db_err(rc);
		goto done;
	}
	if ((st = db_stmt(sql_contacts)) == NULL) {
		err = DL_ERR_DB;
		goto done;
	}
	if ((rc = sqlite3_bind_int64(st, 1, list_id)) != SQLITE_OK)
		err = db_err(rc);
	else
		err = write_all(st, w);
done:
	db_read_end();
	return err;
}
