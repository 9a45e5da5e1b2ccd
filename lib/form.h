/*
 * form: application/x-www-form-urlencoded data (query strings, webhook
 * bodies). Percent-decoding with '+' as space; a malformed escape is an
 * error, not a guess. The form owns every string it returns.
 */
#ifndef DL_FORM_H
#define DL_FORM_H

#include <stddef.h>
#include "err.h"

struct form;

/* Parse `len` bytes (need not be NUL-terminated). Empty input gives an
 * empty form. DL_ERR_INVALID on a bad %-escape or an embedded NUL. */
enum dl_err form_parse(const char *s, size_t len, struct form **out);

/* The first value for `key`, or NULL. */
const char *form_get(const struct form *f, const char *key);
size_t form_count(const struct form *f);
const char *form_key(const struct form *f, size_t i);
const char *form_value(const struct form *f, size_t i);

void form_free(struct form *f);

#endif
