#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

void
jsonw_init(struct jsonw *w)
{
	memset(w, 0, sizeof(*w));
}

static int
reserve(struct jsonw *w, size_t n)
{
	char *grown;
	size_t cap;

	if (w->failed)
		return 0;
	if (w->len + n + 1 <= w->cap)
		return 1;
	cap = w->cap ? w->cap : 4096;
	while (cap < w->len + n + 1)
		cap *= 2;
	if ((grown = realloc(w->buf, cap)) == NULL) {
		w->failed = 1;
		return 0;
	}
	w->buf = grown;
	w->cap = cap;
	return 1;
}

static void
put(struct jsonw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* A comma before every value but the first of its container; a value
 * right after a key needs none. */
static void
separate(struct jsonw *w)
{
	if (w->depth == 0)
		return;
	if (w->first[w->depth - 1] == 2) {
		w->first[w->depth - 1] = 0;
		return;
	}
	if (!w->first[w->depth - 1])
		put(w, ",", 1);
	w->first[w->depth - 1] = 0;
}

static void
open_container(struct jsonw *w, char c)
{
	separate(w);
	put(w, &c, 1);
	if (w->depth >= JSONW_DEPTH) {
		w->failed = 1;
		return;
	}
	w->first[w->depth++] = 1;
}

static void
close_container(struct jsonw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	put(w, &c, 1);
}

void jsonw_object_begin(struct jsonw *w) { open_container(w, '{'); }
void jsonw_object_end(struct jsonw *w) { close_container(w, '}'); }
void jsonw_array_begin(struct jsonw *w) { open_container(w, '['); }
void jsonw_array_end(struct jsonw *w) { close_container(w, ']'); }

/* Room for the worst case (every byte as \u00XX) is reserved once, then
 * bytes are written in place: this runs for every field of every row. */
static void
escaped(struct jsonw *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	char *o;

	if (len > (((size_t)-1) - 2) / 6) {
		w->failed = 1;
		return;
	}
	if (!reserve(w, len * 6 + 2))
		return;
	o = w->buf + w->len;
	*o++ = '"';
	for (; p < end; p++) {
		unsigned char c = *p;

		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
			break;
		}
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
}

void
jsonw_key(struct jsonw *w, const char *key)
{
	separate(w);
	escaped(w, key, strlen(key));
	put(w, ":", 1);
	if (w->depth > 0)
		w->first[w->depth - 1] = 2; /* the value follows without a comma */
}

void
jsonw_string(struct jsonw *w, const char *s, size_t len)
{
	separate(w);
	escaped(w, s, len);
}

void
jsonw_cstr(struct jsonw *w, const char *s)
{
	if (s == NULL)
		jsonw_null(w);
	else
		jsonw_string(w, s, strlen(s));
}

void
jsonw_int(struct jsonw *w, long long v)
{
	char num[24], *p = num + sizeof(num);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	separate(w);
	put(w, p, (size_t)(num + sizeof(num) - p));
}

void
jsonw_null(struct jsonw *w)
{
	separate(w);
	put(w, "null", 4);
}

void
jsonw_bool(struct jsonw *w, int v)
{
	separate(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

enum dl_err
jsonw_finish(struct jsonw *w, char **out, size_t *len)
{
	if (w->failed || !reserve(w, 0)) {
		jsonw_free(w);
		return DL_ERR_NOMEM;
	}
	w->buf[w->len] = '\0';
	*out = w->buf;
	*len = w->len;
	w->buf = NULL;
	return DL_OK;
}

void
jsonw_free(struct jsonw *w)
{
	free(w->buf);
	jsonw_init(w);
}
