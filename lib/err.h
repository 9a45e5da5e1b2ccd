/*
 * err: the one error-code enum every lib/ function returns.
 *
 * Functions return an enum dl_err and hand results back through pointers.
 * The code says what went wrong; the caller that can answer an HTTP request
 * (app.c, the cgi-bin programs, dialerctl) decides the status and the words.
 */
#ifndef DL_ERR_H
#define DL_ERR_H

enum dl_err {
	DL_OK = 0,
	DL_ERR_NOMEM,       /* an allocation failed */
	DL_ERR_INVALID,     /* the input is malformed or fails validation */
	DL_ERR_NOTFOUND,    /* no such row / key / field */
	DL_ERR_CONFLICT,    /* would duplicate something unique */
	DL_ERR_TOOBIG,      /* a size limit was exceeded */
	DL_ERR_DB,          /* SQLite failed (not busy) */
	DL_ERR_BUSY,        /* SQLite stayed locked past busy_timeout */
	DL_ERR_IO,          /* reading or writing a stream/file failed */
	DL_ERR_AUTH,        /* credentials missing or wrong */
	DL_ERR_FORBIDDEN,   /* authenticated, but not allowed */
	DL_ERR_THROTTLED,   /* too many attempts; retry later */
	DL_ERR_CRYPTO,      /* OpenSSL failed */
	DL_ERR_CONFIG,      /* a setting is missing or malformed */
	DL_ERR_UNSUPPORTED, /* a valid request we do not do (media type, ...) */
	DL_ERR__COUNT
};

/* A short, stable, lower-case name for logs ("nomem", "db", ...). */
const char *dl_strerror(enum dl_err err);

#endif
