/*
 * token: Twilio Voice access tokens, the short-lived credentials a browser
 * uses to join calls through the Twilio Voice SDK.
 *
 * The token is the JWT Twilio's own helper libraries produce for
 * AccessToken + VoiceGrant(outgoing_application_sid, incoming not allowed):
 *   header  {"typ":"JWT","alg":"HS256","cty":"twilio-fpa;v=1"}
 *   claims  jti = "<api_key_sid>-<now>", iss = api_key_sid,
 *           sub = account_sid, nbf = now, exp = now + ttl,
 *           grants = {"identity": identity,
 *                     "voice": {"outgoing": {"application_sid": app_sid}}}
 * signed HS256 with the API key secret.
 *
 * Nothing here allocates anything the caller must free: the token is
 * written to the caller's buffer. The caller owns every input string,
 * including the secret, and keeps it secret (never log it or the token).
 */
#ifndef DL_TOKEN_H
#define DL_TOKEN_H

#include <stddef.h>
#include "err.h"

/* Twilio caps access tokens at 24 hours. */
#define TOKEN_TTL_MAX 86400L
/* Twilio's limit for a Voice client identity. */
#define TOKEN_IDENTITY_MAX 121
/* Enough for any token this module makes (SIDs are 34 chars, identity at
 * most 121): the real size is about 560 bytes. */
#define TOKEN_TWILIO_MAX 1024

struct token_twilio {
	const char *account_sid;    /* AC + 32 hex */
	const char *api_key_sid;    /* SK + 32 hex: the signing key */
	const char *api_key_secret; /* that key's secret (HMAC key) */
	const char *twiml_app_sid;  /* AP + 32 hex: TwiML app for outgoing calls */
	const char *identity;       /* 1-121 of [A-Za-z0-9_] */
	long long now;              /* Unix seconds; passed in for testability */
	long ttl;                   /* seconds, 1..TOKEN_TTL_MAX */
};

/* 1 if `identity` is a Voice client identity Twilio accepts as-is. */
int token_identity_valid(const char *identity);

/*
 * Make a Voice access token into out (NUL-terminated). *expires_at (may be
 * NULL) gets now + ttl. DL_ERR_INVALID: a field is NULL, empty or
 * malformed, or ttl/now out of range. DL_ERR_TOOBIG: out cannot hold the
 * token. DL_ERR_NOMEM / DL_ERR_CRYPTO: libjwt failed. On error out is "".
 */
enum dl_err token_twilio_voice(const struct token_twilio *in, char *out,
    size_t outsz, long long *expires_at);

#endif
