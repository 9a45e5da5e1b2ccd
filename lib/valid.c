#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valid.h"

int
valid_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned char c = *p;
		size_t need;
		uint32_t cp, min;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return 0;
		}
		if ((size_t)(end - p) <= need)
			return 0;
		for (size_t i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += need + 1;
	}
	return 1;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static enum dl_err
fail(struct valid_error *e, const struct valid_field *f, const char *reason,
    const char *fmt)
{
	e->field = f->name;
	e->reason = reason;
	/* fmt is one of ours with two %s: the field name and what it wants. */
	snprintf(e->message, sizeof(e->message), fmt, f->name,
	    f->what != NULL ? f->what : "a valid value");
	return DL_ERR_INVALID;
}

static enum dl_err
check_string(const struct valid_field *f, const char *v, struct valid_error *e)
{
	size_t n;

	if (!valid_utf8(v, strlen(v)))
		return fail(e, f, "utf8", "\"%s\" is not valid UTF-8; expected %s.");
	n = utf8_chars(v);
	if ((long long)n < f->min || (f->max > 0 && (long long)n > f->max))
		return fail(e, f, "length", "\"%s\" has the wrong length; expected %s.");
	if (f->check != NULL && !f->check(v))
		return fail(e, f, "format", "\"%s\" is not acceptable; expected %s.");
	return DL_OK;
}

static enum dl_err
check_enum(const struct valid_field *f, const char *v, struct valid_error *e)
{
	const char *const *c;

	for (c = f->choices; c != NULL && *c != NULL; c++)
		if (strcmp(*c, v) == 0)
			return DL_OK;
	return fail(e, f, "choice", "\"%s\" must be %s.");
}

static enum dl_err
check_int(const struct valid_field *f, long long n, struct valid_error *e)
{
	if (n < f->min || n > f->max)
		return fail(e, f, "range", "\"%s\" is out of range; expected %s.");
	return DL_OK;
}

enum dl_err
valid_json(const cJSON *obj, const struct valid_field *fields, size_t nfields,
    struct valid_error *e)
{
	size_t i;
	enum dl_err err;

	for (i = 0; i < nfields; i++) {
		const struct valid_field *f = &fields[i];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, f->name);

		if (v == NULL || cJSON_IsNull(v)) {
			if (f->required)
				return fail(e, f, "required", "\"%s\" is required: %s.");
			continue;
		}
		switch (f->type) {
		case VALID_STRING:
		case VALID_ENUM:
			if (!cJSON_IsString(v) || v->valuestring == NULL)
				return fail(e, f, "type", "\"%s\" must be a string: %s.");
			err = f->type == VALID_STRING ? check_string(f, v->valuestring, e) :
			    check_enum(f, v->valuestring, e);
			if (err != DL_OK)
				return err;
			break;
		case VALID_INT:
			/* JSON numbers are doubles: accept only exact integers, and
			 * test the range before the cast (which is undefined outside). */
			if (!cJSON_IsNumber(v))
				return fail(e, f, "type", "\"%s\" must be a whole number: %s.");
			if (!(v->valuedouble >= -9.0e18 && v->valuedouble <= 9.0e18))
				return fail(e, f, "range", "\"%s\" is out of range; expected %s.");
			if (v->valuedouble != (double)(long long)v->valuedouble)
				return fail(e, f, "type", "\"%s\" must be a whole number: %s.");
			if ((err = check_int(f, (long long)v->valuedouble, e)) != DL_OK)
				return err;
			break;
		case VALID_BOOL:
			if (!cJSON_IsBool(v))
				return fail(e, f, "type", "\"%s\" must be true or false (%s).");
			break;
		}
	}
	return DL_OK;
}

enum dl_err
valid_text(const struct valid_field *f, const char *value, long long *num,
    struct valid_error *e)
{
	char *end;
	long long n;

	if (value == NULL || *value == '\0') {
		if (f->required)
			return fail(e, f, "required", "\"%s\" is required: %s.");
		return DL_OK;
	}
	switch (f->type) {
	case VALID_STRING:
		return check_string(f, value, e);
	case VALID_ENUM:
		return check_enum(f, value, e);
	case VALID_INT:
		/* Digits only (a leading minus allowed): strtoll alone would
		 * also take " 5" and "+5". */
		if (strspn(value + (value[0] == '-'), "0123456789") !=
		    strlen(value + (value[0] == '-')) || value[value[0] == '-'] == '\0')
			return fail(e, f, "type", "\"%s\" must be a whole number: %s.");
		errno = 0;
		n = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0')
			return fail(e, f, "type", "\"%s\" must be a whole number: %s.");
		if (check_int(f, n, e) != DL_OK)
			return DL_ERR_INVALID;
		if (num != NULL)
			*num = n;
		return DL_OK;
	case VALID_BOOL:
		if (strcmp(value, "1") && strcmp(value, "0") &&
		    strcmp(value, "true") && strcmp(value, "false"))
			return fail(e, f, "type", "\"%s\" must be true or false (%s).");
		return DL_OK;
	}
	return DL_OK;
}
