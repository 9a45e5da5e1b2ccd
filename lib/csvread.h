/*
 * csvread: a streaming reader for contact CSV files, on libcsv (RFC 4180).
 *
 * It owns the file's shape: UTF-8 BOM, CRLF or LF, quoted fields holding
 * commas, quotes and newlines, the delimiter (comma, semicolon or tab)
 * detected from the header line, header names matched case-insensitively
 * after trimming with common aliases, and per-row problems it can see
 * without knowing what a phone number is (invalid UTF-8, wrong field count,
 * a field too long). What a valid contact is (non-empty name, a callable
 * phone, no duplicates) is the importer's business, not this module's.
 *
 * Bytes are pushed in chunks of any size; memory stays bounded by the
 * longest record, never the file. (libcsv's own names start with csv_,
 * hence csvread_.)
 */
#ifndef DL_CSVREAD_H
#define DL_CSVREAD_H

#include <stddef.h>
#include "err.h"

/* The columns we know. Extra columns in a file are ignored. */
enum csvread_col {
	CSVREAD_NAME = 0,
	CSVREAD_COMPANY,
	CSVREAD_PHONE,
	CSVREAD_TITLE,
	CSVREAD_NCOLS
};

/* Longest field accepted (bytes); a longer one is a row error "field_too_long". */
#define CSVREAD_MAX_FIELD 4096

/*
 * One data record. `row` is the number a spreadsheet shows: the header is
 * row 1, the first record row 2, however many newlines quoted fields hold.
 * field[c] is NUL-terminated, trimmed of surrounding blanks, valid UTF-8,
 * and "" when the column is absent or empty. The pointers are valid only
 * during the callback.
 */
struct csvread_record {
	long row;
	const char *field[CSVREAD_NCOLS];
	size_t len[CSVREAD_NCOLS];
};

struct csvread_callbacks {
	/* A record whose shape is right. Return DL_OK to go on; anything
	 * else stops the reader and is returned from feed/finish. */
	enum dl_err (*record)(void *ud, const struct csvread_record *rec);
	/*
	 * A record skipped for its shape. `column` is our column name
	 * ("name", "phone", ...) or NULL when the problem is the whole row.
	 * `code` is one of "invalid_utf8", "field_count", "field_too_long";
	 * `message` is a sentence for a person. Strings live only during the
	 * call. Same return convention as record.
	 */
	enum dl_err (*row_error)(void *ud, long row, const char *column,
	    const char *code, const char *message);
};

/* Why a whole file is refused; set when feed/finish return DL_ERR_INVALID. */
enum csvread_file_error {
	CSVREAD_FILE_OK = 0,
	CSVREAD_FILE_EMPTY,           /* no bytes, or only blanks/BOM */
	CSVREAD_FILE_BAD_HEADER,      /* header row not valid UTF-8, or unreadable */
	CSVREAD_FILE_MISSING_COLUMNS, /* name, company or phone column absent */
	CSVREAD_FILE_NO_ROWS          /* a header but no data records */
};

struct csvread;

/* NULL only when out of memory. `cb` and `ud` must outlive the reader. */
struct csvread *csvread_new(const struct csvread_callbacks *cb, void *ud);

/*
 * Push the next `len` bytes. Returns DL_OK, DL_ERR_INVALID for a refused
 * file (see csvread_file_error), DL_ERR_NOMEM, or whatever a callback
 * returned. After an error the reader accepts nothing more.
 */
enum dl_err csvread_feed(struct csvread *r, const void *data, size_t len);

/* End of input: flushes the last record, then checks the file had rows. */
enum dl_err csvread_finish(struct csvread *r);

enum csvread_file_error csvread_file_error(const struct csvread *r);
/* Stable code for the file error: "empty_file", "bad_header",
 * "missing_columns", "no_rows". NULL when CSVREAD_FILE_OK. */
const char *csvread_file_error_code(const struct csvread *r);
/* A sentence naming what is wrong (e.g. which columns are missing and
 * which headers were found). Owned by the reader. */
const char *csvread_file_error_message(const struct csvread *r);
/* Bitmask (1 << enum csvread_col) of required columns not found. */
unsigned csvread_missing_columns(const struct csvread *r);

/* The delimiter detected from the header (',', ';' or '\t'); 0 before it. */
char csvread_delimiter(const struct csvread *r);
/* Data records seen so far (good and bad). */
long csvread_records(const struct csvread *r);

/* Our name for a column: "name", "company", "phone", "title". */
const char *csvread_col_name(enum csvread_col col);

void csvread_free(struct csvread *r);

#endif
