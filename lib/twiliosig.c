/*
 * twiliosig: X-Twilio-Signature (see twiliosig.h).
 *
 * Owns nothing past a call: the sorted pair array and the URL variants are
 * allocated here and freed before returning. The MAC is fed piece by piece
 * through EVP_MAC so a webhook with many long fields never needs one big
 * concatenated string.
 *
 * Reference: /usr/lib/python3/dist-packages/twilio/request_validator.py.
 * compute_signature does `for k, v in sorted(params.items()): s += k + v`,
 * i.e. tuples sorted by name then value, every pair kept; Python compares
 * str by code point, which for UTF-8 is the same as byte order (strcmp).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "secure.h"
#include "twiliosig.h"

struct kv {
	const char *k;
	const char *v;
};

static int
kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	/* Ties on the name fall to the value, as Python's tuple sort does;
	 * fully equal pairs are interchangeable, so qsort's instability is
	 * harmless. */
	return c != 0 ? c : strcmp(x->v, y->v);
}

static int
mac_str(EVP_MAC_CTX *ctx, const char *s)
{
	return EVP_MAC_update(ctx, (const unsigned char *)s, strlen(s));
}

enum dl_err
twiliosig_compute(const char *auth_token, const char *url,
    const struct form *params, char *out, size_t outsz)
{
	size_t n = form_count(params), i;
	struct kv *pairs = NULL;
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM mp[2];
	char digest[] = "SHA1";
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	enum dl_err err = DL_ERR_CRYPTO;

	if (auth_token == NULL || url == NULL || out == NULL)
		return DL_ERR_INVALID;
	if (outsz < TWILIOSIG_LEN)
		return DL_ERR_TOOBIG;
	if (n > 0) {
		if ((pairs = calloc(n, sizeof(*pairs))) == NULL)
			return DL_ERR_NOMEM;
		for (i = 0; i < n; i++) {
			pairs[i].k = form_key(params, i);
			pairs[i].v = form_value(params, i);
		}
		qsort(pairs, n, sizeof(*pairs), kv_cmp);
	}

	mp[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	mp[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    !EVP_MAC_init(ctx, (const unsigned char *)auth_token,
	    strlen(auth_token), mp) ||
	    !mac_str(ctx, url))
		goto done;
	for (i = 0; i < n; i++)
		if (!mac_str(ctx, pairs[i].k) || !mac_str(ctx, pairs[i].v))
			goto done;
	if (!EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) || mdlen != 20)
		goto done;
	err = secure_b64(md, mdlen, out, outsz);
done:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	free(pairs);
	return err;
}

/* A copy of url with [cut, cut + cutlen) replaced by ins. */
static char *
splice(const char *url, size_t cut, size_t cutlen, const char *ins)
{
	size_t ulen = strlen(url), ilen = strlen(ins);
	size_t len = ulen - cutlen + ilen;
	char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, url, cut);
	memcpy(s + cut, ins, ilen);
	memcpy(s + cut + ilen, url + cut + cutlen, ulen - cut - cutlen);
	s[len] = '\0';
	return s;
}

/*
 * The two URLs validate() tries besides (in effect) the one given:
 *   remove_port: if the port is non-zero, the netloc becomes
 *     netloc.split(':')[0] (everything from the first ':' goes, userinfo
 *     password included, just as the library does);
 *   add_port: if the port is missing, empty or 0, ":443" (scheme "https")
 *     or ":80" (any other scheme) is appended to the netloc.
 * The port is what urlparse finds after the last '@' (and after "]" for
 * IPv6); a non-ASCII-digit or >65535 port makes urlparse raise, so 0.
 * A URL without "scheme://" gets no variants. *alt stays NULL when the
 * variant is the URL itself. Returns 0 on bad port, -1 on no memory.
 */
static int
url_variant(const char *url, char **alt)
{
	const char *colon = strchr(url, ':'), *nl, *end, *host, *p, *port;
	size_t i, plen;
	unsigned long val = 0;

	*alt = NULL;
	if (colon == NULL || colon == url || strncmp(colon, "://", 3) != 0)
		return 1;
	/* urlsplit only takes a scheme of letters, digits and "+-." that
	 * starts with a letter; anything else is a path, with no netloc. */
	for (p = url; p < colon; p++) {
		int c = (unsigned char)*p;
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		if (!alpha && (p == url || !((c >= '0' && c <= '9') ||
		    c == '+' || c == '-' || c == '.')))
			return 1;
	}
	nl = colon + 3;
	end = nl + strcspn(nl, "/?#");
	host = nl;
	for (p = nl; p < end; p++)
		if (*p == '@')
			host = p + 1;
	p = host;
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));

		p = rb != NULL ? rb + 1 : end;
	}
	port = memchr(p, ':', (size_t)(end - p));
	port = port != NULL ? port + 1 : end;
	plen = (size_t)(end - port);
	for (i = 0; i < plen; i++) {
		if (port[i] < '0' || port[i] > '9')
			return 0;
		val = val * 10 + (unsigned long)(port[i] - '0');
		if (val > 65535)
			return 0;
	}
	if (val != 0) {
		size_t first = strcspn(nl, ":");

		*alt = splice(url, (size_t)(nl - url) + first,
		    (size_t)(end - nl) - first, "");
	} else {
		int https = colon - url == 5 && strncasecmp(url, "https", 5) == 0;

		*alt = splice(url, (size_t)(end - url), 0,
		    https ? ":443" : ":80");
	}
	return *alt != NULL ? 1 : -1;
}

static int
sig_matches(const char *auth_token, const char *url,
    const struct form *params, const char *signature)
{
	char want[TWILIOSIG_LEN];

	if (twiliosig_compute(auth_token, url, params, want, sizeof(want))
	    != DL_OK)
		return 0;
	return secure_equal(want, strlen(want), signature, strlen(signature));
}

int
twiliosig_valid(const char *auth_token, const char *url,
    const struct form *params, const char *signature)
{
	char *alt;
	int ok;

	if (auth_token == NULL || url == NULL || signature == NULL)
		return 0;
	if (url_variant(url, &alt) != 1)
		return 0;
	ok = sig_matches(auth_token, url, params, signature);
	if (alt != NULL)
		ok |= sig_matches(auth_token, alt, params, signature);
	free(alt);
	return ok;
}

int
twiliosig_valid_body(const char *auth_token, const char *url,
    const char *body, size_t bodylen, const char *signature)
{
	const char *q, *want = NULL;
	struct form *f = NULL;
	unsigned char md[32];
	char hex[65];
	size_t i, qlen;
	int ok;

	if (auth_token == NULL || url == NULL || signature == NULL ||
	    (body == NULL && bodylen > 0))
		return 0;
	/* validate() reads bodySHA256 with parse_qs on the query (the part
	 * between '?' and '#'), which drops blank values and keeps the first
	 * remaining one. */
	if ((q = strchr(url, '?')) != NULL) {
		q++;
		qlen = strcspn(q, "#");
		if (form_parse(q, qlen, &f) != DL_OK)
			return 0;
		for (i = 0; i < form_count(f) && want == NULL; i++)
			if (strcmp(form_key(f, i), "bodySHA256") == 0 &&
			    form_value(f, i)[0] != '\0')
				want = form_value(f, i);
	}
	if (want == NULL) {
		form_free(f);
		/* With no hash to check, the library only copes with an
		 * empty body (a non-empty string has no .items()). */
		return bodylen == 0 &&
		    twiliosig_valid(auth_token, url, NULL, signature);
	}
	secure_sha256(body != NULL ? body : "", bodylen, md);
	ok = secure_hex(md, sizeof(md), hex, sizeof(hex)) == DL_OK &&
	    secure_equal(hex, 64, want, strlen(want));
	form_free(f);
	/* Both checks run whatever the first said; the result is the AND. */
	return twiliosig_valid(auth_token, url, NULL, signature) & ok;
}
