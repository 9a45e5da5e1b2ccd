/*
 * twiliosig: Twilio's X-Twilio-Signature on webhooks, computed and checked
 * the way twilio-python's RequestValidator (7.x) does it.
 *
 * The signature is base64(HMAC-SHA1(auth_token, url || k1 v1 || k2 v2 ...))
 * with the POST parameters sorted by name, then by value. Nothing here keeps
 * or returns memory: the caller owns the token, URL, form and output buffer;
 * scratch memory is freed before each function returns.
 */
#ifndef DL_TWILIOSIG_H
#define DL_TWILIOSIG_H

#include <stddef.h>
#include "err.h"
#include "form.h"

/* base64 of a 20-byte SHA-1 MAC, plus NUL. */
#define TWILIOSIG_LEN 29

/* The signature for exactly this URL and these parameters (NULL = none).
 * outsz >= TWILIOSIG_LEN, else DL_ERR_TOOBIG. DL_ERR_CRYPTO if OpenSSL
 * fails, DL_ERR_INVALID for a NULL token or URL. */
enum dl_err twiliosig_compute(const char *auth_token, const char *url,
    const struct form *params, char *out, size_t outsz);

/* 1 if `signature` matches for the URL as given, or with its port removed,
 * or with the scheme's default port (443 for https, else 80) added when it
 * has none, as RequestValidator.validate tries. 0 otherwise, including a
 * NULL argument and a URL whose port Python's urlparse would reject. */
int twiliosig_valid(const char *auth_token, const char *url,
    const struct form *params, const char *signature);

/* For JSON webhooks: the URL carries bodySHA256=<hex SHA-256 of the body>
 * in its query and the signature covers the URL alone. 1 if both the hash
 * and the signature match. Without bodySHA256 only an empty body passes
 * (signed as a URL with no parameters), as in RequestValidator.validate. */
int twiliosig_valid_body(const char *auth_token, const char *url,
    const char *body, size_t bodylen, const char *signature);

#endif
