/*
 * jsonw: write JSON text straight into a growing buffer.
 *
 * For hot read endpoints, where building a cJSON tree and printing it cost
 * more than the query itself. The writer keeps only a nesting stack for
 * commas; the caller writes a well-formed sequence (keys inside objects,
 * values in arrays). Strings are escaped per RFC 8259; they must be valid
 * UTF-8 already (everything in our database is checked on the way in).
 * After an allocation failure every call is a no-op and jsonw_finish
 * reports DL_ERR_NOMEM.
 */
#ifndef DL_JSONW_H
#define DL_JSONW_H

#include <stddef.h>
#include "err.h"

#define JSONW_DEPTH 16

struct jsonw {
	char *buf;
	size_t len, cap;
	int failed;
	int depth;
	int first[JSONW_DEPTH]; /* 1 while the container at that depth is empty */
};

void jsonw_init(struct jsonw *w);
void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
/* A key inside an object; the next call writes its value. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_string(struct jsonw *w, const char *s, size_t len);
/* A NUL-terminated string, or null for NULL. */
void jsonw_cstr(struct jsonw *w, const char *s);
void jsonw_int(struct jsonw *w, long long v);
void jsonw_null(struct jsonw *w);
/* true for nonzero v, else false. */
void jsonw_bool(struct jsonw *w, int v);

/* Hand over the text (NUL-terminated; caller frees) and its length. */
enum dl_err jsonw_finish(struct jsonw *w, char **out, size_t *len);
/* Free without handing over. */
void jsonw_free(struct jsonw *w);

#endif
