/*
 * csvread: a streaming reader for CSV files (contacts, do-not-call
 * numbers), on libcsv (RFC 4180).
 *
 * It owns the file's shape: UTF-8 BOM, CRLF or LF, quoted fields holding
 * commas, quotes and newlines, the delimiter (comma, semicolon or tab)
 * detected from the header line, header names matched case-insensitively
 * after trimming against the caller's table of columns and aliases, and
 * per-row problems it can see without knowing what a phone number is
 * (invalid UTF-8, wrong field count, a field too long). What a valid row
 * is (non-empty name, a callable phone, no duplicates) is the caller's
 * business, not this module's. The contact file's table lives here too,
 * so that the importer, the tests and the benchmarks share it.
 *
 * Bytes are pushed in chunks of any size; memory stays bounded by the
 * longest record, never the file. (libcsv's own names start with csv_,
 * hence csvread_.)
 */
#ifndef DL_CSVREAD_H
#define DL_CSVREAD_H

#include <stddef.h>
#include "err.h"

/*
 * The columns a caller wants, in the order its records carry them. A
 * header cell names a column when, after trimming, ASCII case folding and
 * folding runs of blanks, '_' and '-' into one space, it equals the name
 * or one of the aliases folded the same way (so "time_zone" and
 * "Time Zone" are one alias). Extra columns in a file are ignored; the
 * first header cell naming a column wins.
 */
struct csvread_column {
	const char *name;		/* ours: in messages, and an alias */
	const char *const *aliases;	/* NULL-terminated, or NULL */
	int required;			/* absent: the file is refused */
	/*
	 * NULL, or two NULL-terminated alias lists: when no header cell
	 * names the column but one cell matches each list, the two values
	 * joined by a space stand in (first name + last name).
	 */
	const char *const *join[2];
};

/* At most this many columns in a table (csvread_new refuses more). */
#define CSVREAD_MAX_COLS 8

/* The contact file's table, csvread_contact_columns, in this order. */
enum csvread_contact_col {
	CSVREAD_NAME = 0,	/* required; or first + last name */
	CSVREAD_COMPANY,	/* required */
	CSVREAD_PHONE,		/* required */
	CSVREAD_TITLE,
	CSVREAD_TIMEZONE,	/* "time zone", "time_zone", "tz" */
	CSVREAD_CONTACT_NCOLS
};

extern const struct csvread_column csvread_contact_columns[CSVREAD_CONTACT_NCOLS];

/* Longest field accepted (bytes); a longer one is a row error "field_too_long". */
#define CSVREAD_MAX_FIELD 4096

/*
 * One data record. `row` is the number a spreadsheet shows: the header is
 * row 1, the first record row 2, however many newlines quoted fields hold.
 * field[c] is the table's column c: NUL-terminated, trimmed of surrounding
 * blanks, valid UTF-8, and "" when the column is absent or empty (so are
 * the slots past the table's end). The pointers are valid only during the
 * callback.
 */
struct csvread_record {
	long row;
	const char *field[CSVREAD_MAX_COLS];
	size_t len[CSVREAD_MAX_COLS];
};

struct csvread_callbacks {
	/* A record whose shape is right. Return DL_OK to go on; anything
	 * else stops the reader and is returned from feed/finish. */
	enum dl_err (*record)(void *ud, const struct csvread_record *rec);
	/*
	 * A record skipped for its shape. `column` is the table's name for
	 * the column ("name", "phone", ...), NULL when the problem is the
	 * whole row or a column not in the table.
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
	CSVREAD_FILE_MISSING_COLUMNS, /* a required column absent */
	CSVREAD_FILE_NO_ROWS          /* a header but no data records */
};

struct csvread;

/*
 * A reader for files with the columns `cols[0..ncols)`. NULL when out of
 * memory or when ncols is 0 or over CSVREAD_MAX_COLS. `cols`, `cb` and
 * `ud` must outlive the reader.
 */
struct csvread *csvread_new(const struct csvread_column *cols, size_t ncols,
    const struct csvread_callbacks *cb, void *ud);

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
/* Bitmask (1 << index in the table) of required columns not found. */
unsigned csvread_missing_columns(const struct csvread *r);

/* The delimiter detected from the header (',', ';' or '\t'); 0 before it. */
char csvread_delimiter(const struct csvread *r);
/* Data records seen so far (good and bad). */
long csvread_records(const struct csvread *r);

void csvread_free(struct csvread *r);

#endif
