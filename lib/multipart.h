/*
 * multipart: a streaming multipart/form-data parser (RFC 7578 / RFC 2046).
 *
 * Bytes are pushed in chunks of any size and split on arbitrary boundaries;
 * part bodies are handed to a callback as they arrive, so a 25 MB upload
 * never sits in memory. Part headers are bounded (MP_MAX_HEADER bytes per
 * part); the body is never buffered beyond the boundary length.
 */
#ifndef DL_MULTIPART_H
#define DL_MULTIPART_H

#include <stddef.h>
#include "err.h"

#define MP_MAX_BOUNDARY 70  /* RFC 2046 limit */
#define MP_MAX_HEADER 8192  /* all header lines of one part together */

struct mp_callbacks {
	/* A part starts. `name` and `filename` come from Content-Disposition
	 * (filename NULL when absent), `content_type` from Content-Type (NULL
	 * when absent). Strings live only during the call. */
	enum dl_err (*part_begin)(void *ud, const char *name,
	    const char *filename, const char *content_type);
	/* The next bytes of the current part's body. */
	enum dl_err (*part_data)(void *ud, const char *data, size_t len);
	/* The current part ended. */
	enum dl_err (*part_end)(void *ud);
	/* Each callback returns DL_OK to go on; anything else stops the
	 * parser and is returned from mp_feed/mp_finish. Any may be NULL. */
};

struct mp_parser;

/*
 * Extract the boundary parameter from a Content-Type header value such as
 * `multipart/form-data; boundary="abc"`. Writes it NUL-terminated to out.
 * DL_ERR_UNSUPPORTED if the type is not multipart/form-data,
 * DL_ERR_INVALID if the boundary is missing, empty or over 70 bytes.
 */
enum dl_err mp_boundary(const char *content_type, char *out, size_t outsz);

/* NULL when out of memory or the boundary is empty/too long. */
struct mp_parser *mp_new(const char *boundary, const struct mp_callbacks *cb,
    void *ud);

/* DL_OK, DL_ERR_INVALID (malformed body), DL_ERR_TOOBIG (part headers over
 * MP_MAX_HEADER), or a callback's error. Data after the closing boundary
 * is ignored (the epilogue). */
enum dl_err mp_feed(struct mp_parser *p, const char *data, size_t len);

/* DL_OK only if the closing boundary was seen; DL_ERR_INVALID otherwise. */
enum dl_err mp_finish(struct mp_parser *p);

void mp_free(struct mp_parser *p);

#endif
