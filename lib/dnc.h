/*
 * dnc: the internal do-not-call list (table dnc, sql/004_dialing.sql):
 * E.164 numbers never to dial, each with a reason, who added it, how and
 * when. A dial to a listed number is refused before anything reaches the
 * provider; the outcome do_not_call adds the contact's number.
 *
 * This module owns the list for every way in: the dial check, the logged
 * outcome, /api/v1/dnc (add, remove, page, CSV import and export) and
 * dialerctl dnc-import / dnc-export, which share the import and the
 * export byte for byte with the endpoints.
 */
#ifndef DL_DNC_H
#define DL_DNC_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "csvwrite.h"
#include "err.h"

#define DNC_REASON_MAX 200 /* characters */
/* Row errors listed in an import report; error_count stays exact beyond it. */
#define DNC_MAX_LISTED_ERRORS 1000

enum dnc_source { DNC_MANUAL = 0, DNC_IMPORT, DNC_OUTCOME };

struct dnc_entry {
	char phone[20];                       /* E.164 */
	char reason[DNC_REASON_MAX * 4 + 1];  /* "" when none was given */
	enum dnc_source source;
	long long added_by;                   /* 0: the API key or dialerctl */
	long long call_id;                    /* DNC_OUTCOME: the call; else 0 */
	char added_at[24];
};

/* *listed is 1 when e164 is on the list; *entry (may be NULL) is then
 * filled. */
enum dl_err dnc_check(const char *e164, int *listed, struct dnc_entry *entry);

/*
 * Put e164 on the list. A number already listed keeps its first entry
 * (*added 0); the list records why a number was first refused. Runs in
 * the caller's transaction when there is one (calls_log adds the number
 * in the same transaction as the outcome). `reason` may be NULL.
 */
enum dl_err dnc_add(const char *e164, const char *reason, enum dnc_source source,
    long long added_by, long long call_id, int *added);

/* "manual", "import" or "outcome": the source column's words. */
const char *dnc_source_name(enum dnc_source source);

/* 1 when `reason` (NULL: none) is valid UTF-8 of at most DNC_REASON_MAX
 * characters. */
int dnc_reason_ok(const char *reason);

/*
 * dnc_add in a transaction of its own, then the number's entry as JSON
 * (below) into *entry, the caller's to free: the new entry, or the first
 * one when the number was already listed (*added 0).
 */
enum dl_err dnc_add_entry(const char *e164, const char *reason, enum dnc_source source,
    long long added_by, int *added, cJSON **entry);

/* Take e164 off the list; DL_ERR_NOTFOUND when it is not on it. */
enum dl_err dnc_remove(const char *e164);

struct dnc_filter {
	const char *q;      /* NULL or "": everything; else matches the reason,
	                     * or the number's digits when q holds 3 or more */
	long long page;     /* from 1 */
	long long per_page; /* 1..200 */
};

/*
 * One page of the list, newest first:
 * {"items":[entry...],"page","per_page","total"}, where an entry is
 * {"phone","phone_display" (national format),"reason" (or null),"source",
 *  "added_by" (user id or null),"added_by_name" (username or null),
 *  "call_id" (or null),"added_at"}. *out is the caller's to free.
 */
enum dl_err dnc_list(const struct dnc_filter *f, cJSON **out);

/*
 * The whole list as CSV, oldest first, from one read transaction:
 * phone,reason,source,added_by,added_at where added_by is the username
 * (empty for the API key, dialerctl, or a deleted user). Writes into `w`
 * and flushes it; whatever the sink returned.
 */
enum dl_err dnc_export(struct csvwrite *w);

/* --- the CSV import -------------------------------------------------- */

/*
 * A CSV with a `phone` column (required) and a `reason` column
 * (optional), pushed in pieces as it arrives. One transaction: the good
 * rows are stored, each bad row is reported by the row number a
 * spreadsheet shows; a file refused as a whole stores nothing.
 */
struct dnc_import;

struct dnc_report {
	long added;          /* numbers put on the list */
	long already_listed; /* rows whose number was listed before (or earlier in the file) */
	long error_count;    /* rows refused */
	cJSON *errors;       /* [{row, column, code, message}], the first
	                      * DNC_MAX_LISTED_ERRORS; owned by the report */
};

/*
 * Open the transaction. `region` reads numbers written without a country
 * code; `added_by` 0 means no user (API key, dialerctl); `default_reason`
 * (NULL: none) is stored for rows with an empty reason cell.
 * DL_ERR_INVALID for an unknown region or a default reason that fails
 * dnc_reason_ok.
 */
enum dl_err dnc_import_begin(const char *region, long long added_by,
    const char *default_reason, struct dnc_import **out);

/* Push bytes. DL_ERR_INVALID means the file is refused as a whole
 * (dnc_import_file_error says why). */
enum dl_err dnc_import_feed(struct dnc_import *imp, const void *data, size_t len);

/* End of the file: commit and fill *rep (free with dnc_report_free). On
 * an error nothing is stored. */
enum dl_err dnc_import_finish(struct dnc_import *imp, struct dnc_report *rep);

/* Why the file was refused: a code ("empty_file", "missing_columns", ...)
 * and a sentence; NULL when it was not. Owned by the import. */
const char *dnc_import_file_error(const struct dnc_import *imp, const char **message);

/* Roll back (if still open) and free. NULL is fine. */
void dnc_import_abort(struct dnc_import *imp);

/* {"added","already_listed","errors","error_count"}; moves the errors
 * into the result. NULL when out of memory. */
cJSON *dnc_report_json(struct dnc_report *rep);
void dnc_report_free(struct dnc_report *rep);

#endif
