/*
 * Tests for lib/twiliosig.c. The reference is twilio-python's
 * RequestValidator, reached through tests/unit/twilio_sig_make.py: fixed
 * vectors were printed by it, and the cross-checks run it via popen.
 * All tokens, SIDs and numbers are fake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form.h"
#include "secure.h"
#include "twiliosig.h"

#define SCRIPT "/usr/bin/python3 tests/unit/twilio_sig_make.py"
#define TOKEN "12345"
#define CALLSID "CA0123456789abcdef0123456789abcdef"

static struct form *
parse(const char *body)
{
	struct form *f = NULL;

	assert_int_equal(form_parse(body, strlen(body), &f), DL_OK);
	return f;
}

/* Append " '<hex of s>'" to a command line: hex keeps the shell out, and
 * the quotes keep an empty string as an argument of its own. */
static void
cmd_hex(char *cmd, size_t cmdsz, const char *s)
{
	size_t len = strlen(cmd), n = strlen(s), i;
	static const char digits[] = "0123456789abcdef";

	assert_true(len + 3 + 2 * n + 1 <= cmdsz);
	cmd[len++] = ' ';
	cmd[len++] = '\'';
	for (i = 0; i < n; i++) {
		cmd[len++] = digits[(unsigned char)s[i] >> 4];
		cmd[len++] = digits[(unsigned char)s[i] & 15];
	}
	cmd[len++] = '\'';
	cmd[len] = '\0';
}

/* Run the script and return its one line of output in out. */
static void
run_script(const char *cmd, char *out, size_t outsz)
{
	FILE *p = popen(cmd, "r");
	size_t len;

	assert_non_null(p);
	assert_non_null(fgets(out, (int)outsz, p));
	assert_int_equal(pclose(p), 0);
	len = strcspn(out, "\r\n");
	out[len] = '\0';
}

/* The script's answer for (token, url, form); validate_sig non-NULL asks
 * for RequestValidator.validate's 1/0 instead of the signature. */
static void
python(const char *validate_sig, const char *token, const char *url,
    const struct form *f, char *out, size_t outsz)
{
	char cmd[8192];
	size_t i;
	int n;

	if (validate_sig != NULL)
		n = snprintf(cmd, sizeof(cmd), "%s --validate %s --hex", SCRIPT,
		    validate_sig);
	else
		n = snprintf(cmd, sizeof(cmd), "%s --hex", SCRIPT);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	cmd_hex(cmd, sizeof(cmd), token);
	cmd_hex(cmd, sizeof(cmd), url);
	for (i = 0; i < form_count(f); i++) {
		cmd_hex(cmd, sizeof(cmd), form_key(f, i));
		cmd_hex(cmd, sizeof(cmd), form_value(f, i));
	}
	run_script(cmd, out, outsz);
}

static void
cross_check(const char *token, const char *url, const char *body)
{
	struct form *f = body != NULL ? parse(body) : NULL;
	char want[64], got[TWILIOSIG_LEN];

	python(NULL, token, url, f, want, sizeof(want));
	assert_int_equal(twiliosig_compute(token, url, f, got, sizeof(got)),
	    DL_OK);
	assert_string_equal(got, want);
	assert_int_equal(twiliosig_valid(token, url, f, got), 1);
	form_free(f);
}

/* --- fixed vectors ---------------------------------------------------- */

static void
test_twilio_docs_vector(void **state)
{
	/* The example in Twilio's security documentation. */
	struct form *f = parse("CallSid=CA1234567890ABCDE&Caller=%2B14158675310"
	    "&Digits=1234&From=%2B14158675310&To=%2B18005551212");
	char out[TWILIOSIG_LEN];

	(void)state;
	assert_int_equal(twiliosig_compute(TOKEN,
	    "https://mycompany.com/myapp.php?foo=1&bar=2", f, out,
	    sizeof(out)), DL_OK);
	assert_string_equal(out, "GvWf1cFY/Q7PnoempGyD5oXAezc=");
	form_free(f);
}

static void
test_known_vector(void **state)
{
	/* Printed by: twilio_sig_make.py 12345
	 *   'https://example.com/twilio/voice?campaign=7' CallSid=CA0123...
	 *   From=+15551234567 To=+15557654321 CallStatus=ringing
	 *   Direction=inbound  (given out of order on purpose) */
	struct form *f = parse("To=%2B15557654321&CallSid=" CALLSID
	    "&From=%2B15551234567&Direction=inbound&CallStatus=ringing");
	char out[TWILIOSIG_LEN];

	(void)state;
	assert_int_equal(twiliosig_compute(TOKEN,
	    "https://example.com/twilio/voice?campaign=7", f, out,
	    sizeof(out)), DL_OK);
	assert_string_equal(out, "5Sv6u0R1VT71bWHXrUmSVwXTeIU=");
	form_free(f);
}

static void
test_no_params(void **state)
{
	struct form *empty = parse("");
	char a[TWILIOSIG_LEN], b[TWILIOSIG_LEN];

	(void)state;
	assert_int_equal(twiliosig_compute(TOKEN,
	    "https://example.com/twilio/voice", NULL, a, sizeof(a)), DL_OK);
	assert_string_equal(a, "T9wMHK4uRyJFbHb0gdEps1O/ceE=");
	assert_int_equal(twiliosig_compute(TOKEN,
	    "https://example.com/twilio/voice", empty, b, sizeof(b)), DL_OK);
	assert_string_equal(a, b);
	form_free(empty);
}

static void
test_compute_args(void **state)
{
	char out[TWILIOSIG_LEN];

	(void)state;
	assert_int_equal(twiliosig_compute(TOKEN, "https://x/", NULL, out,
	    TWILIOSIG_LEN - 1), DL_ERR_TOOBIG);
	assert_int_equal(twiliosig_compute(NULL, "https://x/", NULL, out,
	    sizeof(out)), DL_ERR_INVALID);
	assert_int_equal(twiliosig_compute(TOKEN, NULL, NULL, out,
	    sizeof(out)), DL_ERR_INVALID);
}

/* --- cross-checks against the Python library -------------------------- */

static void
test_cross_webhook(void **state)
{
	(void)state;
	cross_check(TOKEN, "https://dialer.example.com/twilio/status",
	    "AccountSid=AC0123456789abcdef0123456789abcdef&ApiVersion=2010-04-01"
	    "&CallSid=" CALLSID "&CallStatus=completed&Called=%2B15557654321"
	    "&CalledCity=&CalledCountry=US&CalledState=CA&CalledZip="
	    "&Caller=%2B15551234567&CallerCity=SAN+FRANCISCO&CallerCountry=US"
	    "&CallerState=CA&CallerZip=94103&Direction=outbound-api"
	    "&Duration=1&From=%2B15551234567&FromCity=SAN+FRANCISCO"
	    "&FromCountry=US&FromState=CA&FromZip=94103&SipResponseCode=200"
	    "&Timestamp=Mon%2C+01+Jan+2024+00%3A00%3A00+%2B0000"
	    "&To=%2B15557654321&ToCity=&ToCountry=US&ToState=CA&ToZip="
	    "&CallDuration=42&SequenceNumber=0&CallbackSource=call-progress-events"
	    "&AnsweredBy=human");
}

static void
test_cross_special_chars(void **state)
{
	(void)state;
	/* '+' and spaces, literal and escaped. */
	cross_check(TOKEN, "https://x.example/hook",
	    "Body=hello+world+%2B+more&Plus=%2B%2B&Sp=%20lead%20");
	/* Unicode, in names and values. */
	cross_check(TOKEN, "https://x.example/hook",
	    "Body=caf%C3%A9+%E2%98%8E+%F0%9F%93%9E&%C3%A9t%C3%A9=%C3%BC"
	    "&Zeta=%CE%B6");
	/* Repeated names: sorted by value too, every pair kept. */
	cross_check(TOKEN, "https://x.example/hook",
	    "Media=zeta&Media=alpha&A=2&Media=mid&A=1&Media=alpha");
	/* Names that are prefixes of others, and empty names and values. */
	cross_check(TOKEN, "https://x.example/hook",
	    "ab=1&a=2&abc=&a=&=empty&b");
	/* Query string, and explicit ports. */
	cross_check(TOKEN, "https://x.example/hook?campaign=7&list=a%20b",
	    "CallSid=" CALLSID);
	cross_check(TOKEN, "https://x.example:443/hook?x=1", "CallSid=" CALLSID);
	cross_check(TOKEN, "http://x.example:8080/hook", "CallSid=" CALLSID);
	/* Another token, and no parameters at all. */
	cross_check("0123456789abcdef0123456789abcdef", "https://x.example/h",
	    NULL);
}

/* twiliosig_valid and RequestValidator.validate agree on which URLs a
 * signature made for `signed_url` is good for. */
static void
agree(const char *signed_url, const char *presented_url, int expect)
{
	struct form *f = parse("CallSid=" CALLSID "&From=%2B15551234567");
	char sig[TWILIOSIG_LEN], py[16];

	assert_int_equal(twiliosig_compute(TOKEN, signed_url, f, sig,
	    sizeof(sig)), DL_OK);
	python(sig, TOKEN, presented_url, f, py, sizeof(py));
	assert_string_equal(py, expect ? "1" : "0");
	assert_int_equal(twiliosig_valid(TOKEN, presented_url, f, sig), expect);
	form_free(f);
}

static void
test_port_variants(void **state)
{
	(void)state;
	agree("https://x.example/h?a=1", "https://x.example/h?a=1", 1);
	agree("https://x.example:443/h?a=1", "https://x.example/h?a=1", 1);
	agree("https://x.example/h?a=1", "https://x.example:443/h?a=1", 1);
	agree("http://x.example:80/h", "http://x.example/h", 1);
	agree("http://x.example/h", "http://x.example:80/h", 1);
	/* The default port belongs to the scheme. */
	agree("https://x.example:80/h", "https://x.example/h", 0);
	agree("http://x.example:443/h", "http://x.example/h", 0);
	/* Any port is removed, but only the default one is added. */
	agree("https://x.example/h", "https://x.example:8443/h", 1);
	agree("https://x.example:8443/h", "https://x.example/h", 0);
	agree("https://x.example:8443/h", "https://x.example:8443/h", 1);
	agree("https://x.example:8443/h", "https://x.example:443/h", 0);
	/* Userinfo: the port is found after '@'. */
	agree("https://u@x.example:443/h", "https://u@x.example/h", 1);
	/* Quirks copied from the library: remove_port cuts the netloc at its
	 * first ':' (taking a password with it), and an empty port counts as
	 * none, so add_port appends a second ':'. */
	agree("https://u/h", "https://u:p@x.example:443/h", 1);
	agree("https://x.example::443/h", "https://x.example:/h", 1);
	/* urlparse rejects these ports, so the library raises. */
	agree("https://x.example:99999/h", "https://x.example:99999/h", 0);
	agree("https://x.example:44a/h", "https://x.example:44a/h", 0);
	/* Different path or query. */
	agree("https://x.example/h?a=1", "https://x.example/h?a=2", 0);
	agree("https://x.example/h", "https://x.example/h/", 0);
}

/* --- twiliosig_valid -------------------------------------------------- */

static void
test_valid_rejects(void **state)
{
	const char *url = "https://x.example/hook?c=1";
	struct form *f = parse("CallSid=" CALLSID "&Digits=1234");
	struct form *tampered = parse("CallSid=" CALLSID "&Digits=1235");
	struct form *extra = parse("CallSid=" CALLSID "&Digits=1234&X=");
	char sig[TWILIOSIG_LEN], bad[TWILIOSIG_LEN];

	(void)state;
	assert_int_equal(twiliosig_compute(TOKEN, url, f, sig, sizeof(sig)),
	    DL_OK);
	assert_int_equal(twiliosig_valid(TOKEN, url, f, sig), 1);
	assert_int_equal(twiliosig_valid(TOKEN, url, tampered, sig), 0);
	assert_int_equal(twiliosig_valid(TOKEN, url, extra, sig), 0);
	assert_int_equal(twiliosig_valid(TOKEN, url, NULL, sig), 0);
	assert_int_equal(twiliosig_valid(TOKEN, "https://x.example/hook?c=2",
	    f, sig), 0);
	assert_int_equal(twiliosig_valid(TOKEN, "https://evil.example/hook?c=1",
	    f, sig), 0);
	assert_int_equal(twiliosig_valid("12346", url, f, sig), 0);
	/* Truncated, emptied, one character changed. */
	memcpy(bad, sig, sizeof(bad));
	bad[strlen(bad) - 1] = '\0';
	assert_int_equal(twiliosig_valid(TOKEN, url, f, bad), 0);
	assert_int_equal(twiliosig_valid(TOKEN, url, f, ""), 0);
	memcpy(bad, sig, sizeof(bad));
	bad[3] = bad[3] == 'A' ? 'B' : 'A';
	assert_int_equal(twiliosig_valid(TOKEN, url, f, bad), 0);
	assert_int_equal(twiliosig_valid(TOKEN, url, f, NULL), 0);
	assert_int_equal(twiliosig_valid(NULL, url, f, sig), 0);
	assert_int_equal(twiliosig_valid(TOKEN, NULL, f, sig), 0);
	form_free(f);
	form_free(tampered);
	form_free(extra);
}

/* --- JSON bodies (bodySHA256) ----------------------------------------- */

static void
test_valid_body(void **state)
{
	const char *body = "{\"CallSid\":\"" CALLSID "\",\"Status\":\"ok\"}";
	char url[256], sig[TWILIOSIG_LEN], hex[65];
	unsigned char md[32];
	int n;

	(void)state;
	secure_sha256(body, strlen(body), md);
	assert_int_equal(secure_hex(md, 32, hex, sizeof(hex)), DL_OK);
	n = snprintf(url, sizeof(url),
	    "https://x.example/json?bodySHA256=%s", hex);
	assert_true(n > 0 && (size_t)n < sizeof(url));
	assert_int_equal(twiliosig_compute(TOKEN, url, NULL, sig, sizeof(sig)),
	    DL_OK);
	assert_int_equal(twiliosig_valid_body(TOKEN, url, body, strlen(body),
	    sig), 1);
	/* A changed body fails the hash even though the URL is signed. */
	assert_int_equal(twiliosig_valid_body(TOKEN, url, body,
	    strlen(body) - 1, sig), 0);
	assert_int_equal(twiliosig_valid_body("12346", url, body, strlen(body),
	    sig), 0);
	/* Without bodySHA256 only an empty body is accepted. */
	assert_int_equal(twiliosig_compute(TOKEN, "https://x.example/json",
	    NULL, sig, sizeof(sig)), DL_OK);
	assert_int_equal(twiliosig_valid_body(TOKEN, "https://x.example/json",
	    "", 0, sig), 1);
	assert_int_equal(twiliosig_valid_body(TOKEN, "https://x.example/json",
	    body, strlen(body), sig), 0);
	assert_int_equal(twiliosig_valid_body(TOKEN, url, body, strlen(body),
	    NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twilio_docs_vector),
		cmocka_unit_test(test_known_vector),
		cmocka_unit_test(test_no_params),
		cmocka_unit_test(test_compute_args),
		cmocka_unit_test(test_cross_webhook),
		cmocka_unit_test(test_cross_special_chars),
		cmocka_unit_test(test_port_variants),
		cmocka_unit_test(test_valid_rejects),
		cmocka_unit_test(test_valid_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
