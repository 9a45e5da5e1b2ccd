/*
 * contacts: contact lists and their contacts — the CSV import (the same
 * code for the HTTP endpoint and dialerctl), listing with filters and
 * paging, and archiving lists.
 *
 * An import is one transaction: every valid row of the upload or nothing.
 * Bytes are pushed as they arrive (csvread streams), each row is checked
 * (name, company, a callable phone through libphonenumber, no duplicate
 * phone in the list) and inserted at once, so memory does not grow with
 * the file.
 */
#ifndef DL_CONTACTS_H
#define DL_CONTACTS_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include "err.h"
#include "jsonw.h"

/* Row errors listed in a report; error_count stays exact beyond it. */
#define CONTACTS_MAX_LISTED_ERRORS 1000
#define CONTACTS_MAX_TEXT 200      /* characters in name, company, title */
#define CONTACTS_MAX_LIST_NAME 200 /* characters in a list's name */

struct contacts_import;

struct contacts_report {
	long long list_id;
	long imported;
	long skipped;
	long error_count;
	long do_not_call; /* imported rows whose number is on the DNC list (kept, not dropped) */
	cJSON *errors; /* array of {row, column, code, message}; owned by the report */
};

/*
 * Start an import: opens the transaction and creates the list named
 * `list_name`, or appends to `list_id` when it is > 0 (DL_ERR_NOTFOUND if
 * there is no such unarchived list). `created_by` 0 means no user (API
 * key, CLI). `region` is the default region for numbers without a country
 * code ("US"); DL_ERR_INVALID if libphonenumber does not know it.
 */
enum dl_err contacts_import_begin(const char *list_name, long long list_id,
    long long created_by, const char *region, struct contacts_import **out);

/* Push bytes. DL_ERR_INVALID means the file is refused as a whole
 * (contacts_import_file_error says why); abort the import then. */
enum dl_err contacts_import_feed(struct contacts_import *imp, const void *data,
    size_t len);

/* Rename the list being created (a list_name that came after the file). */
enum dl_err contacts_import_rename(struct contacts_import *imp, const char *name);

/* End of the file: commit and fill *rep (free with contacts_report_free).
 * On any error nothing is stored, and the import must still be aborted. */
enum dl_err contacts_import_finish(struct contacts_import *imp,
    struct contacts_report *rep);

/* Why the file was refused: code ("empty_file", "missing_columns", ...)
 * and a sentence; NULL when it was not. Owned by the import. */
const char *contacts_import_file_error(const struct contacts_import *imp,
    const char **message);

/* Roll back (if still open) and free. NULL is fine. */
void contacts_import_abort(struct contacts_import *imp);

/* {"list_id","imported","skipped","do_not_call","errors","error_count"};
 * moves the errors array into the result. NULL when out of memory. */
cJSON *contacts_report_json(struct contacts_report *rep);
void contacts_report_free(struct contacts_report *rep);

/* --- reading ------------------------------------------------------- */

struct contacts_filter {
	long long list_id;  /* 0: every unarchived list */
	const char *status; /* NULL: any */
	const char *q;      /* NULL: no search; matches name, company, phone digits */
	long long page;     /* from 1 */
	long long per_page; /* 1..200 */
	int callable;       /* 1: only contacts inside calling hours at `now`, not on the DNC list */
	long long now;      /* Unix seconds (clock_now): judges callable and live reservations */
};

/* The contact statuses, NULL-terminated (for validating ?status=). */
extern const char *const contacts_statuses[];

/* {"items":[...],"page","per_page","total"} as JSON text, written straight
 * from the rows (the hot read path); *json is the caller's to free. */
enum dl_err contacts_list(const struct contacts_filter *f, char **json,
    size_t *len);

/*
 * The API's contact object is written from these columns of a query over
 * "contacts c" (in this order, CONTACTS_NCOLUMNS of them), so that every
 * endpoint showing contacts shows the same object: "final" and
 * "do_not_call" are worked out here, the rest are the row's own.
 */
#define CONTACTS_COLUMNS \
	"c.id, c.list_id, c.name, c.company, c.title, c.phone_e164, c.phone_national, " \
	"c.region, c.status, c.last_outcome, c.last_called_at, c.timezone, c.attempts, " \
	"c.callback_at, c.callback_by, c.retry_at, " \
	"(c.last_outcome IN ('wrong_number', 'not_interested', 'do_not_call') OR " \
	"(c.last_outcome IN ('no_answer', 'busy') AND c.retry_at IS NULL)), " \
	"EXISTS (SELECT 1 FROM dnc d WHERE d.phone_e164 = c.phone_e164), " \
	"c.reserved_by, c.reserved_until "
#define CONTACTS_NCOLUMNS 20

/* Write the contact object of the current row, whose CONTACTS_COLUMNS
 * start at column `col`. A reservation that ended by `now_iso` (clock_iso
 * text) is shown as none. */
void contacts_write_row(sqlite3_stmt *st, int col, const char *now_iso, struct jsonw *w);

/* Write contact `id` as the API's contact object. DL_ERR_NOTFOUND when
 * there is no such contact in an unarchived list. */
enum dl_err contacts_write_one(long long id, long long now, struct jsonw *w);

/* What a failed step of a statement filtering by callable_at means: the
 * function's error (malformed calling hours) is DL_ERR_CONFIG, anything
 * else as db_err says. Call it before resetting the statement. */
enum dl_err contacts_step_err(int rc);

/* {"items":[{"id","name","created_at","total","counts":{status:n}}]}. */
enum dl_err contacts_lists(cJSON **out);

/* Hide a list; DL_ERR_NOTFOUND if there is no such unarchived list. */
enum dl_err contacts_list_archive(long long list_id);

#endif
