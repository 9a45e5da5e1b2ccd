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

static void
escaped(struct jsonw *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;

	put(w, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + start, i - start);
		start = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
			break;
		}
		put(w, esc, elen);
	}
	put(w, s + start, len - start);
	put(w, "\"", 1);
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
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld", v);

	separate(w);
	put(w, num, (size_t)n);
}

void
jsonw_null(struct jsonw *w)
{
	separate(w);
	put(w, "null", 4);
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
