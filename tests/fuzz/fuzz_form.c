/*
 * application/x-www-form-urlencoded (lib/form.c): query strings and
 * Twilio's webhook bodies. Checked for every input the parser accepts:
 * one pair per non-empty '&'-separated piece; form_get finds the first
 * pair of a key; and the pairs encoded again parse back to the same pairs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Percent-encode s onto out[*at..]; out is large enough (3 bytes a byte). */
static void
encode(const char *s, char *out, size_t *at)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			out[(*at)++] = (char)*p;
		} else if (*p == ' ') {
			out[(*at)++] = '+';
		} else {
			out[(*at)++] = '%';
			out[(*at)++] = hex[*p >> 4];
			out[(*at)++] = hex[*p & 15];
		}
	}
}

/* Non-empty pieces between '&'s. */
static size_t
pieces(const uint8_t *s, size_t len)
{
	size_t i, n = 0, run = 0;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '&') {
			n += run > 0;
			run = 0;
		} else {
			run++;
		}
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form *f = NULL, *again = NULL;
	size_t i, j, at = 0;
	char *enc;

	if (form_parse((const char *)data, size, &f) != DL_OK) {
		FUZZ_CHECK(f == NULL);
		return 0;
	}
	FUZZ_CHECK(form_count(f) == pieces(data, size));
	for (i = 0; i < form_count(f); i++) {
		const char *first = NULL;

		for (j = 0; j <= i && first == NULL; j++)
			if (strcmp(form_key(f, j), form_key(f, i)) == 0)
				first = form_value(f, j);
		FUZZ_CHECK(form_get(f, form_key(f, i)) == first);
	}
	/* Decoding never grows: 3 bytes an input byte hold any encoding. */
	FUZZ_CHECK((enc = malloc(3 * size + 2 * form_count(f) + 1)) != NULL);
	for (i = 0; i < form_count(f); i++) {
		if (i > 0)
			enc[at++] = '&';
		encode(form_key(f, i), enc, &at);
		enc[at++] = '=';
		encode(form_value(f, i), enc, &at);
	}
	FUZZ_CHECK(form_parse(enc, at, &again) == DL_OK);
	/* An empty key and value encode to "=", which is a pair again. */
	FUZZ_CHECK(form_count(again) == form_count(f));
	for (i = 0; i < form_count(f); i++) {
		FUZZ_CHECK(strcmp(form_key(again, i), form_key(f, i)) == 0);
		FUZZ_CHECK(strcmp(form_value(again, i), form_value(f, i)) == 0);
	}
	free(enc);
	form_free(again);
	form_free(f);
	return 0;
}
