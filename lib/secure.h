/*
 * secure: the few cryptographic primitives the service needs, on OpenSSL:
 * random bytes, constant-time comparison, SHA-256, HMAC, base64.
 * Every output goes to a caller-provided buffer; nothing is allocated.
 */
#ifndef DL_SECURE_H
#define DL_SECURE_H

#include <stddef.h>
#include "err.h"

/* Fill buf with n bytes from OpenSSL's CSPRNG. */
enum dl_err secure_random(void *buf, size_t n);

/* 1 if the two byte strings are equal. Time depends on the lengths only,
 * never on where they differ. */
int secure_equal(const void *a, size_t alen, const void *b, size_t blen);
/* The same for NUL-terminated strings (NULL never equals anything). */
int secure_streq(const char *a, const char *b);

void secure_sha256(const void *data, size_t len, unsigned char out[32]);
enum dl_err secure_hmac_sha256(const void *key, size_t keylen,
    const void *data, size_t len, unsigned char out[32]);

/* Base64 (RFC 4648 section 4, padded) and base64url (section 5, unpadded;
 * at most 258 input bytes). outsz must hold the text plus NUL:
 * 4 * ((n + 2) / 3) + 1 bytes is always enough, and exactly 43 + 1 for 32
 * bytes in base64url. DL_ERR_TOOBIG when it does not fit. */
enum dl_err secure_b64(const void *in, size_t n, char *out, size_t outsz);
enum dl_err secure_b64url(const void *in, size_t n, char *out, size_t outsz);
/* Decode padded base64; DL_ERR_INVALID on bad input. *outlen = bytes. */
enum dl_err secure_b64_decode(const char *in, unsigned char *out, size_t outsz,
    size_t *outlen);

/* Lower-case hex; outsz >= 2n + 1. */
enum dl_err secure_hex(const void *in, size_t n, char *out, size_t outsz);

#endif
