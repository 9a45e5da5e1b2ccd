/*
 * valid: input validation by table, in the manner of kcgi's kvalid.
 *
 * Each endpoint declares its fields once (name, type, required, range,
 * choices, an extra check) and validates a JSON body or a query parameter
 * against that table; the first failure comes back as a field name, a
 * stable reason code and a sentence. Strings must be valid UTF-8.
 */
#ifndef DL_VALID_H
#define DL_VALID_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "err.h"

enum valid_type {
	VALID_STRING, /* min/max: length in characters */
	VALID_INT,    /* min/max: value */
	VALID_BOOL,
	VALID_ENUM    /* one of choices */
};

struct valid_field {
	const char *name;
	enum valid_type type;
	int required;
	long long min, max;
	const char *const *choices;       /* VALID_ENUM: NULL-terminated */
	int (*check)(const char *value);  /* VALID_STRING: 1 = acceptable */
	const char *what;                 /* how to describe a good value */
};

struct valid_error {
	const char *field;  /* the table's name (static) */
	const char *reason; /* "required", "type", "range", "length", "choice", "utf8", "format" */
	char message[256];
};

/* 1 if the bytes are well-formed UTF-8 (no overlongs or surrogates). */
int valid_utf8(const char *s, size_t len);

/* Check every field of `fields` against obj. DL_OK or DL_ERR_INVALID with
 * *e filled. Fields not in the table are ignored. */
enum dl_err valid_json(const cJSON *obj, const struct valid_field *fields,
    size_t nfields, struct valid_error *e);

/* Check one textual value (a query parameter; NULL when absent). For
 * VALID_INT the parsed number goes to *num (may be NULL). */
enum dl_err valid_text(const struct valid_field *f, const char *value,
    long long *num, struct valid_error *e);

#endif
