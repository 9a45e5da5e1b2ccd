#include <stdlib.h>
#include <string.h>

#include "form.h"

struct pair {
	char *key;
	char *value;
};

struct form {
	struct pair *pairs;
	size_t n, cap;
};

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode into a fresh NUL-terminated string. */
static enum dl_err
decode(const char *s, size_t len, char **out)
{
	char *d, *p;
	size_t i;

	if ((d = malloc(len + 1)) == NULL)
		return DL_ERR_NOMEM;
	for (p = d, i = 0; i < len; i++) {
		if (s[i] == '+') {
			*p++ = ' ';
		} else if (s[i] == '%') {
			int hi, lo;

			if (len - i < 3) {
				free(d);
				return DL_ERR_INVALID;
			}
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(d);
				return DL_ERR_INVALID;
			}
			*p++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0') {
			free(d);
			return DL_ERR_INVALID;
		} else {
			*p++ = s[i];
		}
	}
	*p = '\0';
	*out = d;
	return DL_OK;
}

static enum dl_err
add(struct form *f, const char *k, size_t klen, const char *v, size_t vlen)
{
	struct pair p;
	enum dl_err err;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct pair *grown = realloc(f->pairs, cap * sizeof(*grown));

		if (grown == NULL)
			return DL_ERR_NOMEM;
		f->pairs = grown;
		f->cap = cap;
	}
	if ((err = decode(k, klen, &p.key)) != DL_OK)
		return err;
	if ((err = decode(v, vlen, &p.value)) != DL_OK) {
		free(p.key);
		return err;
	}
	f->pairs[f->n++] = p;
	return DL_OK;
}

enum dl_err
form_parse(const char *s, size_t len, struct form **out)
{
	struct form *f;
	size_t start = 0;
	enum dl_err err = DL_OK;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return DL_ERR_NOMEM;
	while (start < len && err == DL_OK) {
		const char *amp = memchr(s + start, '&', len - start);
		size_t end = amp != NULL ? (size_t)(amp - s) : len;
		const char *eq = memchr(s + start, '=', end - start);

		if (end > start) {
			if (eq != NULL)
				err = add(f, s + start, (size_t)(eq - s) - start,
				    eq + 1, end - (size_t)(eq - s) - 1);
			else
				err = add(f, s + start, end - start, "", 0);
		}
		start = end + 1;
	}
	if (err != DL_OK) {
		form_free(f);
		return err;
	}
	*out = f;
	return DL_OK;
}

const char *
form_get(const struct form *f, const char *key)
{
	size_t i;

	for (i = 0; f != NULL && i < f->n; i++)
		if (strcmp(f->pairs[i].key, key) == 0)
			return f->pairs[i].value;
	return NULL;
}

size_t
form_count(const struct form *f)
{
	return f != NULL ? f->n : 0;
}

const char *
form_key(const struct form *f, size_t i)
{
	return i < form_count(f) ? f->pairs[i].key : NULL;
}

const char *
form_value(const struct form *f, size_t i)
{
	return i < form_count(f) ? f->pairs[i].value : NULL;
}

void
form_free(struct form *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->pairs[i].key);
		free(f->pairs[i].value);
	}
	free(f->pairs);
	free(f);
}
