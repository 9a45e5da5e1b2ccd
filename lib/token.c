/*
 * token: Twilio Voice access tokens. See token.h for the exact claim set;
 * it mirrors twilio-python's AccessToken + VoiceGrant so that a token made
 * here is indistinguishable from one made by Twilio's own helper.
 *
 * libjwt (1.10 API) does the JSON, base64url and HMAC; it copies the key
 * and scrubs its copy in jwt_free. The encoded string it returns is ours
 * to free; we copy it into the caller's buffer first.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <jwt.h>

#include "token.h"

/* Twilio SIDs: a two-letter type prefix and 32 hex digits. */
#define SID_LEN 34

static int
sid_valid(const char *sid, const char *prefix)
{
	size_t i;

	if (sid == NULL || strlen(sid) != SID_LEN ||
	    sid[0] != prefix[0] || sid[1] != prefix[1])
		return 0;
	for (i = 2; i < SID_LEN; i++) {
		char c = sid[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

int
token_identity_valid(const char *identity)
{
	size_t i;

	if (identity == NULL || identity[0] == '\0')
		return 0;
	/* Twilio Voice asks for alphanumerics and underscores only, at most
	 * 121 characters; anything else may be mangled when it reaches the
	 * TwiML app as the "From" client:<identity>. */
	for (i = 0; identity[i] != '\0'; i++) {
		char c = identity[i];
		if (i >= TOKEN_IDENTITY_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

/* libjwt reports failures as errno values; only ENOMEM is ours to name. */
static enum dl_err
jwt_err(int rc)
{
	return rc == ENOMEM ? DL_ERR_NOMEM : DL_ERR_CRYPTO;
}

/* {"grants":{"identity":...,"voice":{"outgoing":{"application_sid":...}}}}
 * as a malloc'd string (cJSON escapes; the inputs are validated anyway).
 * Incoming calls are not granted, and like Twilio's helper we then omit
 * "incoming" entirely rather than writing allow:false. */
static enum dl_err
grants_json(const struct token_twilio *in, char **json)
{
	cJSON *root, *grants, *voice, *outgoing;

	*json = NULL;
	root = cJSON_CreateObject();
	if (root == NULL)
		return DL_ERR_NOMEM;
	grants = cJSON_AddObjectToObject(root, "grants");
	if (grants == NULL ||
	    cJSON_AddStringToObject(grants, "identity", in->identity) == NULL)
		goto nomem;
	voice = cJSON_AddObjectToObject(grants, "voice");
	if (voice == NULL)
		goto nomem;
	outgoing = cJSON_AddObjectToObject(voice, "outgoing");
	if (outgoing == NULL || cJSON_AddStringToObject(outgoing,
	    "application_sid", in->twiml_app_sid) == NULL)
		goto nomem;
	*json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return *json == NULL ? DL_ERR_NOMEM : DL_OK;
nomem:
	cJSON_Delete(root);
	return DL_ERR_NOMEM;
}

static enum dl_err
check_input(const struct token_twilio *in)
{
	size_t secretlen;

	if (in == NULL)
		return DL_ERR_INVALID;
	if (!sid_valid(in->account_sid, "AC") ||
	    !sid_valid(in->api_key_sid, "SK") ||
	    !sid_valid(in->twiml_app_sid, "AP") ||
	    !token_identity_valid(in->identity))
		return DL_ERR_INVALID;
	if (in->api_key_secret == NULL)
		return DL_ERR_INVALID;
	secretlen = strlen(in->api_key_secret);
	/* jwt_set_alg takes the key length as an int. */
	if (secretlen == 0 || secretlen > INT_MAX)
		return DL_ERR_INVALID;
	if (in->ttl < 1 || in->ttl > TOKEN_TTL_MAX)
		return DL_ERR_INVALID;
	/* exp = now + ttl goes to libjwt as a long: keep it from wrapping. */
	if (in->now < 0 || in->now > (long long)(LONG_MAX - TOKEN_TTL_MAX))
		return DL_ERR_INVALID;
	return DL_OK;
}

enum dl_err
token_twilio_voice(const struct token_twilio *in, char *out, size_t outsz,
    long long *expires_at)
{
	jwt_t *jwt = NULL;
	char jti[SID_LEN + 1 + 24];
	char *grants = NULL, *enc = NULL;
	size_t len;
	enum dl_err err;
	int rc, n;

	if (out == NULL || outsz == 0)
		return DL_ERR_INVALID;
	out[0] = '\0';
	err = check_input(in);
	if (err != DL_OK)
		return err;

	/* Twilio's helper uses "<key sid>-<issue time>" as the token id. */
	n = snprintf(jti, sizeof jti, "%s-%lld", in->api_key_sid, in->now);
	if (n < 0 || (size_t)n >= sizeof jti)
		return DL_ERR_INVALID;
	err = grants_json(in, &grants);
	if (err != DL_OK)
		return err;

	rc = jwt_new(&jwt);
	if (rc != 0) {
		jwt = NULL;
		err = jwt_err(rc);
		goto out;
	}
	rc = jwt_set_alg(jwt, JWT_ALG_HS256,
	    (const unsigned char *)in->api_key_secret,
	    (int)strlen(in->api_key_secret));
	/* libjwt writes "typ" and "alg" itself; "cty" is Twilio's marker for
	 * its first-party access token format. */
	if (rc == 0)
		rc = jwt_add_header(jwt, "cty", "twilio-fpa;v=1");
	if (rc == 0)
		rc = jwt_add_grant(jwt, "jti", jti);
	if (rc == 0)
		rc = jwt_add_grant(jwt, "iss", in->api_key_sid);
	if (rc == 0)
		rc = jwt_add_grant(jwt, "sub", in->account_sid);
	if (rc == 0)
		rc = jwt_add_grant_int(jwt, "nbf", (long)in->now);
	if (rc == 0)
		rc = jwt_add_grant_int(jwt, "exp", (long)(in->now + in->ttl));
	if (rc == 0)
		rc = jwt_add_grants_json(jwt, grants);
	if (rc != 0) {
		err = jwt_err(rc);
		goto out;
	}

	errno = 0;
	enc = jwt_encode_str(jwt);
	if (enc == NULL) {
		err = errno == ENOMEM ? DL_ERR_NOMEM : DL_ERR_CRYPTO;
		goto out;
	}
	len = strlen(enc);
	if (len >= outsz) {
		err = DL_ERR_TOOBIG;
		goto out;
	}
	memcpy(out, enc, len + 1);
	if (expires_at != NULL)
		*expires_at = in->now + in->ttl;
	err = DL_OK;
out:
	/* The token is a bearer credential: do not leave copies in freed
	 * heap memory. */
	if (enc != NULL) {
		explicit_bzero(enc, strlen(enc));
		free(enc);
	}
	free(grants);
	jwt_free(jwt);
	return err;
}
