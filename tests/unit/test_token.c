/*
 * Tests for lib/token.c: Twilio Voice access tokens.
 * Shape and claims are checked here with cJSON and our own HMAC; the last
 * test hands a token to tests/unit/twilio_token_check.py, which compares it
 * with what Twilio's own python helper makes for the same inputs.
 * The SIDs and secret are fake, shaped like Twilio's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "secure.h"
#include "token.h"

#define ACCOUNT "AC0123456789abcdef0123456789abcdef"
#define KEY     "SKfedcba9876543210fedcba9876543210"
#define APP     "AP00112233445566778899aabbccddeeff"
#define SECRET  "not-a-real-secret-0123456789abcdef"
#define NOW     1700000000LL

static struct token_twilio
good_input(void)
{
	struct token_twilio in = {
		.account_sid = ACCOUNT,
		.api_key_sid = KEY,
		.api_key_secret = SECRET,
		.twiml_app_sid = APP,
		.identity = "agent_42",
		.now = NOW,
		.ttl = 3600,
	};
	return in;
}

/* Decode one base64url part (unpadded) into a NUL-terminated string. */
static void
b64url_part(const char *s, size_t n, char *out, size_t outsz)
{
	char std[1024];
	size_t i, outlen = 0;

	assert_true(n + 3 < sizeof std);
	for (i = 0; i < n; i++) {
		char c = s[i];
		assert_true((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_');
		std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	while (i % 4 != 0)
		std[i++] = '=';
	std[i] = '\0';
	assert_int_equal(secure_b64_decode(std, (unsigned char *)out,
	    outsz - 1, &outlen), DL_OK);
	out[outlen] = '\0';
}

static void
expect_str(const cJSON *obj, const char *name, const char *want)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	assert_non_null(item);
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, want);
}

static void
expect_num(const cJSON *obj, const char *name, double want)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	assert_non_null(item);
	assert_true(cJSON_IsNumber(item));
	assert_true(item->valuedouble == want);
}

static void
test_good_token(void **state)
{
	struct token_twilio in = good_input();
	char tok[TOKEN_TWILIO_MAX], buf[1024], sig[64];
	unsigned char mac[32];
	const char *dot1, *dot2;
	long long exp = 0;
	cJSON *hdr, *claims, *grants, *voice, *outgoing;

	(void)state;
	assert_int_equal(token_twilio_voice(&in, tok, sizeof tok, &exp), DL_OK);
	assert_true(exp == NOW + 3600);

	/* Three base64url parts. */
	dot1 = strchr(tok, '.');
	assert_non_null(dot1);
	dot2 = strchr(dot1 + 1, '.');
	assert_non_null(dot2);
	assert_null(strchr(dot2 + 1, '.'));

	b64url_part(tok, (size_t)(dot1 - tok), buf, sizeof buf);
	hdr = cJSON_Parse(buf);
	assert_non_null(hdr);
	expect_str(hdr, "typ", "JWT");
	expect_str(hdr, "alg", "HS256");
	expect_str(hdr, "cty", "twilio-fpa;v=1");
	assert_int_equal(cJSON_GetArraySize(hdr), 3);
	cJSON_Delete(hdr);

	b64url_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), buf, sizeof buf);
	claims = cJSON_Parse(buf);
	assert_non_null(claims);
	expect_str(claims, "jti", KEY "-1700000000");
	expect_str(claims, "iss", KEY);
	expect_str(claims, "sub", ACCOUNT);
	expect_num(claims, "nbf", (double)NOW);
	expect_num(claims, "exp", (double)(NOW + 3600));
	/* Twilio's helper sets no iat; neither do we. */
	assert_null(cJSON_GetObjectItemCaseSensitive(claims, "iat"));
	assert_int_equal(cJSON_GetArraySize(claims), 6);
	grants = cJSON_GetObjectItemCaseSensitive(claims, "grants");
	assert_true(cJSON_IsObject(grants));
	expect_str(grants, "identity", "agent_42");
	assert_int_equal(cJSON_GetArraySize(grants), 2);
	voice = cJSON_GetObjectItemCaseSensitive(grants, "voice");
	assert_true(cJSON_IsObject(voice));
	/* incoming_allow=False: Twilio leaves "incoming" out altogether. */
	assert_int_equal(cJSON_GetArraySize(voice), 1);
	outgoing = cJSON_GetObjectItemCaseSensitive(voice, "outgoing");
	assert_true(cJSON_IsObject(outgoing));
	expect_str(outgoing, "application_sid", APP);
	assert_int_equal(cJSON_GetArraySize(outgoing), 1);
	cJSON_Delete(claims);

	/* The signature is HMAC-SHA256(secret, header.payload). */
	assert_int_equal(secure_hmac_sha256(SECRET, strlen(SECRET), tok,
	    (size_t)(dot2 - tok), mac), DL_OK);
	assert_int_equal(secure_b64url(mac, sizeof mac, sig, sizeof sig), DL_OK);
	assert_string_equal(dot2 + 1, sig);

	/* Deterministic: same inputs, same token; expires_at may be NULL. */
	assert_int_equal(token_twilio_voice(&in, buf, sizeof buf, NULL), DL_OK);
	assert_string_equal(buf, tok);
}

static void
test_identity_rule(void **state)
{
	char longid[TOKEN_IDENTITY_MAX + 2];

	(void)state;
	assert_true(token_identity_valid("a"));
	assert_true(token_identity_valid("Agent_007"));
	memset(longid, 'x', TOKEN_IDENTITY_MAX);
	longid[TOKEN_IDENTITY_MAX] = '\0';
	assert_true(token_identity_valid(longid));
	longid[TOKEN_IDENTITY_MAX] = 'x';
	longid[TOKEN_IDENTITY_MAX + 1] = '\0';
	assert_false(token_identity_valid(longid));
	assert_false(token_identity_valid(NULL));
	assert_false(token_identity_valid(""));
	assert_false(token_identity_valid("two words"));
	assert_false(token_identity_valid("a\"b"));
	assert_false(token_identity_valid("a-b"));
	assert_false(token_identity_valid("me@example.com"));
	assert_false(token_identity_valid("caf\xc3\xa9"));
}

static void
expect_invalid(const struct token_twilio *in)
{
	char tok[TOKEN_TWILIO_MAX];
	long long exp = 12345;

	tok[0] = 'x';
	assert_int_equal(token_twilio_voice(in, tok, sizeof tok, &exp),
	    DL_ERR_INVALID);
	assert_string_equal(tok, "");
	assert_true(exp == 12345);
}

static void
test_bad_inputs(void **state)
{
	struct token_twilio in;
	char longid[TOKEN_IDENTITY_MAX + 2];

	(void)state;
	expect_invalid(NULL);

#define BAD(field, value) do { \
	in = good_input(); in.field = (value); expect_invalid(&in); \
} while (0)
	BAD(account_sid, NULL);
	BAD(account_sid, "");
	BAD(account_sid, KEY);                          /* wrong prefix */
	BAD(account_sid, "AC0123456789abcdef0123456789abcde");   /* short */
	BAD(account_sid, "AC0123456789abcdef0123456789abcdefa"); /* long */
	BAD(account_sid, "AC0123456789abcdef0123456789abcdeg");  /* not hex */
	BAD(api_key_sid, NULL);
	BAD(api_key_sid, "");
	BAD(api_key_sid, ACCOUNT);
	BAD(api_key_secret, NULL);
	BAD(api_key_secret, "");
	BAD(twiml_app_sid, NULL);
	BAD(twiml_app_sid, "");
	BAD(twiml_app_sid, ACCOUNT);
	BAD(identity, NULL);
	BAD(identity, "");
	BAD(identity, "bad identity");
	BAD(identity, "x\",\"admin\":\"1");
	BAD(identity, "a/b");
	memset(longid, 'x', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	BAD(identity, longid);
	BAD(ttl, 0);
	BAD(ttl, -1);
	BAD(ttl, TOKEN_TTL_MAX + 1);
	BAD(now, -1);
	BAD(now, (long long)INT64_MAX);
#undef BAD

	/* The ttl bounds themselves are fine. */
	in = good_input();
	in.ttl = 1;
	{
		char tok[TOKEN_TWILIO_MAX];
		long long exp = 0;

		assert_int_equal(token_twilio_voice(&in, tok, sizeof tok, &exp),
		    DL_OK);
		assert_true(exp == NOW + 1);
		in.ttl = TOKEN_TTL_MAX;
		assert_int_equal(token_twilio_voice(&in, tok, sizeof tok, &exp),
		    DL_OK);
		assert_true(exp == NOW + TOKEN_TTL_MAX);
	}

	/* No buffer at all. */
	in = good_input();
	assert_int_equal(token_twilio_voice(&in, NULL, 10, NULL),
	    DL_ERR_INVALID);
}

static void
test_small_buffer(void **state)
{
	struct token_twilio in = good_input();
	char tok[TOKEN_TWILIO_MAX], small[16];
	size_t len;
	char *exact;

	(void)state;
	small[0] = 'x';
	assert_int_equal(token_twilio_voice(&in, small, sizeof small, NULL),
	    DL_ERR_TOOBIG);
	assert_string_equal(small, "");

	/* Exactly the token plus NUL fits; one byte less does not. */
	assert_int_equal(token_twilio_voice(&in, tok, sizeof tok, NULL), DL_OK);
	len = strlen(tok);
	exact = malloc(len + 1);
	assert_non_null(exact);
	assert_int_equal(token_twilio_voice(&in, exact, len + 1, NULL), DL_OK);
	assert_string_equal(exact, tok);
	assert_int_equal(token_twilio_voice(&in, exact, len, NULL),
	    DL_ERR_TOOBIG);
	free(exact);

	/* The longest identity still fits TOKEN_TWILIO_MAX. */
	{
		char longid[TOKEN_IDENTITY_MAX + 1];

		memset(longid, 'z', TOKEN_IDENTITY_MAX);
		longid[TOKEN_IDENTITY_MAX] = '\0';
		in.identity = longid;
		assert_int_equal(token_twilio_voice(&in, tok, sizeof tok, NULL),
		    DL_OK);
	}
}

/* Hand the token and its inputs to the python checker on stdin (keeping
 * the secret out of argv) and return its exit status. */
static int
run_checker(const struct token_twilio *in, const char *tok)
{
	cJSON *o = cJSON_CreateObject();
	char *json;
	FILE *p;
	int st;

	assert_non_null(o);
	assert_non_null(cJSON_AddStringToObject(o, "token", tok));
	assert_non_null(cJSON_AddStringToObject(o, "account_sid", in->account_sid));
	assert_non_null(cJSON_AddStringToObject(o, "api_key_sid", in->api_key_sid));
	assert_non_null(cJSON_AddStringToObject(o, "api_key_secret",
	    in->api_key_secret));
	assert_non_null(cJSON_AddStringToObject(o, "twiml_app_sid",
	    in->twiml_app_sid));
	assert_non_null(cJSON_AddStringToObject(o, "identity", in->identity));
	assert_non_null(cJSON_AddNumberToObject(o, "now", (double)in->now));
	assert_non_null(cJSON_AddNumberToObject(o, "ttl", (double)in->ttl));
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	assert_non_null(json);

	/* Tests run from the repo root. */
	fflush(stdout);
	p = popen("/usr/bin/python3 tests/unit/twilio_token_check.py", "w");
	assert_non_null(p);
	assert_true(fputs(json, p) >= 0);
	free(json);
	st = pclose(p);
	assert_true(st != -1);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_matches_twilio_helper(void **state)
{
	struct token_twilio in = good_input();
	char tok[TOKEN_TWILIO_MAX];
	char longid[TOKEN_IDENTITY_MAX + 1];
	size_t n;

	(void)state;
	assert_int_equal(token_twilio_voice(&in, tok, sizeof tok, NULL), DL_OK);
	assert_int_equal(run_checker(&in, tok), 0);

	in.ttl = TOKEN_TTL_MAX;
	in.now = 1234567890;
	memset(longid, 'Q', TOKEN_IDENTITY_MAX);
	longid[TOKEN_IDENTITY_MAX] = '\0';
	in.identity = longid;
	assert_int_equal(token_twilio_voice(&in, tok, sizeof tok, NULL), DL_OK);
	assert_int_equal(run_checker(&in, tok), 0);

	/* The checker is not a rubber stamp: a token for someone else, and a
	 * token with a broken signature, both fail. */
	in = good_input();
	assert_int_equal(token_twilio_voice(&in, tok, sizeof tok, NULL), DL_OK);
	in.identity = "agent_43";
	assert_int_equal(run_checker(&in, tok), 1);
	in = good_input();
	n = strlen(tok);
	tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(run_checker(&in, tok), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_token),
		cmocka_unit_test(test_identity_rule),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_matches_twilio_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
