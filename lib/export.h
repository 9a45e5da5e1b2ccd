/*
 * export: the call log and a list's contacts as CSV, for
 * GET /api/v1/calls.csv, GET /api/v1/contacts.csv and dialerctl's
 * export-calls / export-contacts (the same bytes either way).
 *
 * Rows are read inside one read transaction (one snapshot, however long
 * the client takes) and written one at a time into the caller's csvwrite,
 * which streams them to its sink; nothing is kept beyond the current row.
 * Both queries walk their table in id order with no sort, so SQLite needs
 * no sorter either. The first record is the header: the column names,
 * which are v_calls's (sql/003_reports.sql) for calls and the names
 * GET /api/v1/contacts uses for contacts. NULL is an empty cell.
 *
 * The functions only write into the csvwrite and flush it at the end; a
 * caller whose sink has not yet been called (a small export, or an error
 * in the first CSVWRITE_BUF bytes) can still answer with an error instead.
 */
#ifndef DL_EXPORT_H
#define DL_EXPORT_H

#include "csvwrite.h"
#include "err.h"

struct export_calls_filter {
	const char *from;       /* first UTC day, inclusive; NULL: from the first call */
	const char *to;         /* last UTC day, inclusive; NULL: up to the last call */
	long long operator_id;  /* > 0: only this operator's calls; 0: everyone's */
};

/* The calls created between the filter's days (v_calls, oldest id first).
 * DL_ERR_INVALID for a malformed day; whatever the sink returned. */
enum dl_err export_calls(const struct export_calls_filter *f, struct csvwrite *w);

/* List `list_id`'s contacts in id order. DL_ERR_NOTFOUND, before anything
 * is written, when there is no such list or it is archived (archived
 * lists are hidden everywhere else too). */
enum dl_err export_contacts(long long list_id, struct csvwrite *w);

#endif
