/*
 * phonebatch: parse many phone numbers on every core.
 *
 * libphonenumber guards its regular-expression cache with one global lock,
 * so threads queue on it instead of running side by side. Separate
 * processes each have their own copy: this module forks helper processes
 * once (on first use; DIALER_IMPORT_WORKERS of them, default one per extra
 * core), keeps them for the life of the program, and splits each batch
 * between them and the calling process over socketpairs. A helper that
 * dies is replaced by doing its share locally: results never depend on
 * how many helpers there are. Helpers exit with the program.
 */
#ifndef DL_PHONEBATCH_H
#define DL_PHONEBATCH_H

#include <stddef.h>
#include "err.h"
#include "phone.h"

#define PHONEBATCH_MAX 1024      /* items per call */
#define PHONEBATCH_MAX_TEXT 4096 /* bytes per item: a CSV field's limit */

struct phonebatch_item {
	const char *text; /* input; need not be NUL-terminated */
	size_t len;
	enum phone_reason why;   /* output */
	struct phone_info info;  /* output, as phone_parse_brief fills it */
};

/* Parse items[0..n) with `region` as the default region. DL_ERR_INVALID
 * for n > PHONEBATCH_MAX or an item over PHONEBATCH_MAX_TEXT bytes;
 * otherwise DL_OK (every item has its result, whole cells judged). */
enum dl_err phonebatch_parse(struct phonebatch_item *items, size_t n,
    const char *region);

/* Helper processes running now (for tests and benchmarks). */
int phonebatch_helpers(void);

#endif
