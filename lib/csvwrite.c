#include <stdio.h>
#include <string.h>

#include "csvwrite.h"

void
csvwrite_init(struct csvwrite *w, csvwrite_sink sink, void *ctx)
{
	w->sink = sink;
	w->ctx = ctx;
	w->err = DL_OK;
	w->row_cells = 0;
	w->row_bytes = 0;
	w->rows = 0;
	w->len = 0;
}

enum dl_err
csvwrite_flush(struct csvwrite *w)
{
	if (w->err == DL_OK && w->len > 0)
		w->err = w->sink(w->ctx, w->buf, w->len);
	w->len = 0;
	return w->err;
}

static void
put(struct csvwrite *w, const char *s, size_t n)
{
	size_t room;

	while (n > 0 && w->err == DL_OK) {
		if (w->len == sizeof(w->buf) && csvwrite_flush(w) != DL_OK)
			return;
		room = sizeof(w->buf) - w->len;
		if (room > n)
			room = n;
		memcpy(w->buf + w->len, s, room);
		w->len += room;
		s += room;
		n -= room;
	}
}

static void
separate(struct csvwrite *w)
{
	if (w->row_cells++ > 0) {
		put(w, ",", 1);
		w->row_bytes = 1;
	}
}

static int
formula_start(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

void
csvwrite_cell(struct csvwrite *w, const char *s, size_t len)
{
	int escape, quote;
	const char *q, *end;

	if (w->err != DL_OK)
		return;
	separate(w);
	if (s == NULL || len == 0) {
		/* A record of one empty cell would be an empty line, which
		 * readers skip: csvwrite_end_row writes "" for it. */
		return;
	}
	w->row_bytes = 1;
	escape = formula_start(s[0]);
	/* Readers that trim unquoted cells would lose edge blanks. */
	quote = memchr(s, ',', len) != NULL || memchr(s, '"', len) != NULL ||
	    memchr(s, '\r', len) != NULL || memchr(s, '\n', len) != NULL ||
	    (!escape && blank(s[0])) || blank(s[len - 1]);
	if (quote)
		put(w, "\"", 1);
	if (escape)
		put(w, "'", 1);
	if (!quote) {
		put(w, s, len);
		return;
	}
	for (end = s + len; (q = memchr(s, '"', (size_t)(end - s))) != NULL; s = q + 1) {
		put(w, s, (size_t)(q - s) + 1);
		put(w, "\"", 1);
	}
	put(w, s, (size_t)(end - s));
	put(w, "\"", 1);
}

void
csvwrite_cstr(struct csvwrite *w, const char *s)
{
	csvwrite_cell(w, s, s != NULL ? strlen(s) : 0);
}

void
csvwrite_int(struct csvwrite *w, long long v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld", v);

	if (w->err != DL_OK)
		return;
	separate(w);
	w->row_bytes = 1;
	put(w, num, (size_t)n);
}

void
csvwrite_end_row(struct csvwrite *w)
{
	if (w->err != DL_OK)
		return;
	if (!w->row_bytes)
		put(w, "\"\"", 2);
	put(w, "\r\n", 2);
	w->row_cells = 0;
	w->row_bytes = 0;
	w->rows++;
}

void
csvwrite_row(struct csvwrite *w, const char *const *cells, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		csvwrite_cstr(w, cells[i]);
	csvwrite_end_row(w);
}

enum dl_err
csvwrite_file_sink(void *ctx, const void *data, size_t len)
{
	return fwrite(data, 1, len, (FILE *)ctx) == len ? DL_OK : DL_ERR_IO;
}
