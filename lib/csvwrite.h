/*
 * csvwrite: RFC 4180 text written through a caller's sink, so the same
 * rows stream to a FastCGI response and to a FILE* (dialerctl).
 *
 * A cell is quoted only when it must be (a comma, a double quote, CR or
 * LF inside, or a leading/trailing blank a reader might trim); quotes
 * inside are doubled; every record ends in CRLF. Bytes go out unchanged:
 * the caller hands valid UTF-8 (everything in our database is checked on
 * the way in).
 *
 * Formula injection: a spreadsheet opening the file runs a cell that
 * starts with '=', '+', '-' or '@' as a formula (=HYPERLINK to a phishing
 * site, DDE commands), and one starting with a tab or CR can hide such a
 * start from a naive check. Text cells come from contacts' CSV files and
 * operators' notes, i.e. from strangers, so every text cell with such a
 * first byte gets a leading apostrophe, as OWASP's CSV Injection page
 * advises; the apostrophe is visible in the file and tells a person the
 * cell was neutralised. Numbers written with csvwrite_int are ours and
 * never escaped.
 *
 * The writer owns nothing on the heap: it buffers into its own struct
 * and hands the sink at most CSVWRITE_BUF bytes at a time. After a sink
 * error every call is a no-op and csvwrite_flush reports the error.
 */
#ifndef DL_CSVWRITE_H
#define DL_CSVWRITE_H

#include <stddef.h>
#include "err.h"

#define CSVWRITE_BUF 16384

/* Takes len (> 0) bytes; DL_OK or an error that stops the writer. */
typedef enum dl_err (*csvwrite_sink)(void *ctx, const void *data, size_t len);

struct csvwrite {
	csvwrite_sink sink;
	void *ctx;
	enum dl_err err;
	int row_cells;	/* cells written in the record being built */
	int row_bytes;	/* 1 once that record has any byte (a comma counts) */
	long long rows;	/* records ended so far (the header counts) */
	size_t len;
	char buf[CSVWRITE_BUF];
};

void csvwrite_init(struct csvwrite *w, csvwrite_sink sink, void *ctx);

/* One text cell of `len` bytes (NULL: an empty cell). */
void csvwrite_cell(struct csvwrite *w, const char *s, size_t len);
/* A NUL-terminated text cell (NULL: an empty cell). */
void csvwrite_cstr(struct csvwrite *w, const char *s);
void csvwrite_int(struct csvwrite *w, long long v);
/* End the record: CRLF. */
void csvwrite_end_row(struct csvwrite *w);
/* A whole record of NUL-terminated text cells (a header row). */
void csvwrite_row(struct csvwrite *w, const char *const *cells, size_t n);

/* Hand the buffered bytes to the sink; the first error seen, or DL_OK. */
enum dl_err csvwrite_flush(struct csvwrite *w);

/* A sink that fwrite()s to the FILE * given as ctx (DL_ERR_IO on error). */
enum dl_err csvwrite_file_sink(void *ctx, const void *data, size_t len);

#endif
