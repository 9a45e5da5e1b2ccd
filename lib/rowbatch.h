/*
 * rowbatch: the import pipeline of a CSV file with a phone column, shared
 * by the contact import and the do-not-call import.
 *
 * libphonenumber costs ~19 us a number, ten times everything else a row
 * needs, so rows are gathered in batches (their cells copied into an
 * arena) whose phones are parsed on every core (phonebatch), then handed
 * to the caller in the file's order, so the report lists rows as the file
 * has them. This module owns the csvread reader, the batch, the phone
 * parse, the row errors (the first `max_listed` as JSON, the count
 * exact) and the import's transaction: every row the caller stores, or
 * none. What a valid row is, and where it goes, is the caller's.
 */
#ifndef DL_ROWBATCH_H
#define DL_ROWBATCH_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "csvread.h"
#include "err.h"
#include "phone.h"

/* Why a row is refused: column (NULL: the whole row), a stable code and a
 * sentence. The strings need only live until the callback returns. */
struct rowbatch_reject {
	const char *column;
	const char *code;
	char message[256];
};

/* A row whose phone parsed. field[c] and len[c] as in csvread_record. */
struct rowbatch_row {
	long row;
	const char *field[CSVREAD_MAX_COLS];
	size_t len[CSVREAD_MAX_COLS];
	const struct phone_info *phone;
};

struct rowbatch_spec {
	const struct csvread_column *cols; /* the file's columns, as csvread_new takes them */
	size_t ncols;
	size_t phone_col;                  /* index in cols of the phone column */
	long max_listed;                   /* row errors kept as JSON */
	/*
	 * A record as the reader gives it, before its phone is parsed: set
	 * why->code (and the rest of *why) to refuse it. Called in file order.
	 */
	void (*check)(void *ud, const struct csvread_record *rec, struct rowbatch_reject *why);
	/*
	 * A row that passed check and whose phone parsed, in file order:
	 * store it. Setting why->code refuses it instead (return DL_OK); any
	 * other error than DL_OK stops the import and is returned by
	 * rowbatch_feed / rowbatch_finish.
	 */
	enum dl_err (*store)(void *ud, const struct rowbatch_row *row,
	    struct rowbatch_reject *why);
};

struct rowbatch;

/* 1 when the UTF-8 text[0..len) of `column` holds more than max
 * characters; *why then says so ("too_long"), for a check callback. */
int rowbatch_too_long(const char *column, const char *text, size_t len, long max,
    struct rowbatch_reject *why);

/*
 * A pipeline for `spec` (which must outlive it), reading national numbers
 * as `region`'s; `ud` goes to the callbacks. Opens the transaction the
 * caller's writes join. DL_ERR_INVALID for a region libphonenumber does
 * not know.
 */
enum dl_err rowbatch_new(const struct rowbatch_spec *spec, const char *region, void *ud,
    struct rowbatch **out);

/* Push bytes. DL_ERR_INVALID means the file is refused as a whole
 * (rowbatch_file_error says why); after any error nothing more is taken. */
enum dl_err rowbatch_feed(struct rowbatch *rb, const void *data, size_t len);

/* End of the file: the last rows are stored. */
enum dl_err rowbatch_finish(struct rowbatch *rb);

/* Commit the transaction: what was stored stays. */
enum dl_err rowbatch_commit(struct rowbatch *rb);

/* Why the file was refused: a code ("empty_file", "missing_columns", ...)
 * and a sentence; NULL when it was not (or rb is NULL). Owned by rb. */
const char *rowbatch_file_error(const struct rowbatch *rb, const char **message);

/* Rows refused so far, by the reader, check, the phone parse or store. */
long rowbatch_error_count(const struct rowbatch *rb);

/* [{row, column, code, message}], the first max_listed refused rows; the
 * caller's from now on: call it once, after rowbatch_finish. */
cJSON *rowbatch_take_errors(struct rowbatch *rb);

/* A report's tail: "errors" (moved from *errors, which becomes NULL; []
 * when it is NULL) and "error_count" added to `report`. 0 when out of
 * memory. */
int rowbatch_errors_json(cJSON *report, cJSON **errors, long error_count);

/* Roll back (unless committed) and free. NULL is fine. */
void rowbatch_free(struct rowbatch *rb);

#endif
