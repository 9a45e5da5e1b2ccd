/*
 * The Twilio provider's webhook side: signatures checked, forms read into
 * neutral events, TwiML written (and escaped) — no network involved. The
 * signatures here come from twiliosig, itself checked against Twilio's own
 * library in test_twiliosig; the e2e tests sign with that library directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "form.h"
#include "provider.h"
#include "testutil.h"
#include "twiliosig.h"
#include "xml.h"

extern const struct provider provider_twilio;

#define AC "AC0123456789abcdef0123456789abcdef"
#define TOKEN "hook-auth-token-0123456789abcdef"
#define URL "https://dialer.example.com/api/v1/twilio/"
#define OP "CA0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"
#define CF "CF0123456789abcdef0123456789abcdef"

static char signature[TWILIOSIG_LEN];

static const char *
header(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "X-Twilio-Signature") == 0 && signature[0] ? signature : NULL;
}

/* Deliver `body` to the `kind` webhook, signed for `signed_url` with `token`. */
static enum dl_err
deliver_as(const char *kind, const char *body, const char *signed_url, const char *token,
    const char *media, struct provider_event *ev)
{
	struct provider_webhook in;
	struct form *f;
	char url[256];

	snprintf(url, sizeof(url), URL "%s", kind);
	assert_int_equal(form_parse(body, strlen(body), &f), DL_OK);
	assert_int_equal(twiliosig_compute(token, signed_url ? signed_url : url, f, signature,
	    sizeof(signature)), DL_OK);
	form_free(f);
	memset(&in, 0, sizeof(in));
	in.kind = kind;
	in.url = url;
	in.header = header;
	in.media_type = media;
	in.body = body;
	in.bodylen = strlen(body);
	return provider_twilio.webhook(&in, ev);
}

static enum dl_err
deliver(const char *kind, const char *body, struct provider_event *ev)
{
	return deliver_as(kind, body, NULL, TOKEN, "application/x-www-form-urlencoded", ev);
}

static int
setup(void **state)
{
	(void)state;
	tu_env_clean();
	setenv("DIALER_CONFIG", "/dev/null", 1);
	setenv("TWILIO_ACCOUNT_SID", AC, 1);
	setenv("TWILIO_AUTH_TOKEN", TOKEN, 1);
	config_reset();
	return config_load() == DL_OK ? 0 : -1;
}

static void
test_voice(void **state)
{
	struct provider_event ev;

	(void)state;
	assert_int_equal(deliver("voice", "AccountSid=" AC "&CallSid=" OP
	    "&From=client%3Aop_12&conference=cd-abc&Direction=inbound", &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_OPERATOR_CONNECT);
	assert_string_equal(ev.identity, "op_12");
	assert_string_equal(ev.conference_name, "cd-abc");
	assert_string_equal(ev.call_sid, OP);
	assert_string_equal(ev.key, "voice:" OP);
	/* A phone calling the app's number is no browser: no identity. */
	assert_int_equal(deliver("voice", "AccountSid=" AC "&CallSid=" OP
	    "&From=%2B12025550143&conference=cd-abc", &ev), DL_OK);
	assert_string_equal(ev.identity, "");
	assert_int_equal(deliver("voice", "AccountSid=" AC "&From=client%3Aop_12", &ev),
	    DL_ERR_INVALID);
}

static void
test_conference_events(void **state)
{
	static const struct {
		const char *word;
		enum provider_event_type type;
	} cases[] = {
		{ "conference-start", PROVIDER_EV_CONFERENCE_START },
		{ "participant-join", PROVIDER_EV_PARTICIPANT_JOIN },
		{ "participant-leave", PROVIDER_EV_PARTICIPANT_LEAVE },
		{ "conference-end", PROVIDER_EV_CONFERENCE_END },
		{ "participant-mute", PROVIDER_EV_IGNORED },
		{ "announcement-end", PROVIDER_EV_IGNORED },
	};
	struct provider_event ev;
	char body[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "AccountSid=" AC "&ConferenceSid=" CF
		    "&FriendlyName=cd-abc&StatusCallbackEvent=%s&CallSid=" OP "&SequenceNumber=4",
		    cases[i].word);
		assert_int_equal(deliver("conference-status", body, &ev), DL_OK);
		assert_int_equal(ev.type, cases[i].type);
		assert_string_equal(ev.conference_sid, CF);
		assert_string_equal(ev.conference_name, "cd-abc");
		assert_string_equal(ev.name, cases[i].word);
		assert_non_null(strstr(ev.key, cases[i].word));
		assert_non_null(strstr(ev.key, ":4"));
	}
	/* A join must say who joined; the room must be named. */
	assert_int_equal(deliver("conference-status", "AccountSid=" AC "&ConferenceSid=" CF
	    "&FriendlyName=cd-abc&StatusCallbackEvent=participant-join", &ev), DL_ERR_INVALID);
	assert_int_equal(deliver("conference-status", "AccountSid=" AC "&ConferenceSid=" CF
	    "&StatusCallbackEvent=conference-end", &ev), DL_ERR_INVALID);
	assert_int_equal(deliver("conference-status", "AccountSid=" AC "&ConferenceSid=XX1"
	    "&FriendlyName=cd-abc&StatusCallbackEvent=conference-end", &ev), DL_ERR_INVALID);
}

static void
test_call_status(void **state)
{
	struct provider_event ev;

	(void)state;
	assert_int_equal(deliver("call-status", "AccountSid=" AC "&CallSid=" OP
	    "&CallStatus=completed&CallDuration=61", &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_LEG_STATUS);
	assert_int_equal(ev.status, CALL_COMPLETED);
	assert_int_equal(ev.duration_s, 61);
	assert_string_equal(ev.key, "call:" OP ":completed");
	assert_int_equal(deliver("call-status", "AccountSid=" AC "&CallSid=" OP
	    "&CallStatus=no-answer", &ev), DL_OK);
	assert_int_equal(ev.status, CALL_NO_ANSWER);
	assert_int_equal(ev.duration_s, -1);
	assert_int_equal(deliver("call-status", "AccountSid=" AC "&CallSid=" OP
	    "&CallStatus=completed&CallDuration=-5", &ev), DL_ERR_INVALID);
	assert_int_equal(deliver("call-status", "AccountSid=" AC "&CallSid=" OP
	    "&CallStatus=completed&CallDuration=1x", &ev), DL_ERR_INVALID);
	assert_int_equal(deliver("call-status", "AccountSid=" AC "&CallSid=" OP
	    "&CallStatus=exploded", &ev), DL_ERR_INVALID);
	assert_int_equal(deliver("call-status", "AccountSid=" AC "&CallSid=CA%2F..%2Fx"
	    "&CallStatus=busy", &ev), DL_ERR_INVALID);
}

static void
test_refused(void **state)
{
	struct provider_event ev;
	const char *body = "AccountSid=" AC "&CallSid=" OP "&CallStatus=busy";

	(void)state;
	assert_int_equal(deliver_as("call-status", body, NULL, "another-token",
	    "application/x-www-form-urlencoded", &ev), DL_ERR_AUTH);
	assert_int_equal(deliver_as("call-status", body, URL "voice", TOKEN,
	    "application/x-www-form-urlencoded", &ev), DL_ERR_AUTH);
	assert_int_equal(deliver("call-status", "AccountSid=AC99999999999999999999999999999999"
	    "&CallSid=" OP "&CallStatus=busy", &ev), DL_ERR_AUTH);
	assert_int_equal(deliver_as("call-status", body, NULL, TOKEN, "application/json", &ev),
	    DL_ERR_UNSUPPORTED);
	assert_int_equal(deliver("transcription-status", body, &ev), DL_ERR_NOTFOUND);
	signature[0] = '\0'; /* no header at all */
	{
		struct provider_webhook in = { "call-status", URL "call-status", header, NULL,
		    "application/x-www-form-urlencoded", body, strlen(body), 0 };

		assert_int_equal(provider_twilio.webhook(&in, &ev), DL_ERR_AUTH);
		/* A body that is not form encoding cannot even be checked. */
		in.body = "AccountSid=" AC "&CallSid=%zz";
		in.bodylen = strlen(in.body);
		assert_int_equal(provider_twilio.webhook(&in, &ev), DL_ERR_INVALID);
	}
}

static void
test_admit_twiml_is_escaped(void **state)
{
	struct provider_event ev;
	struct provider_reply r;
	struct provider_ref ref;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	memset(&ref, 0, sizeof(ref));
	ref.conference_name = "cd-<a&b>\"'";
	assert_int_equal(provider_twilio.admit(&ev, &ref, "https://x.test/c?a=1&b=\"2\"", &r), DL_OK);
	assert_string_equal(r.content_type, "text/xml; charset=utf-8");
	assert_int_equal(r.len, strlen(r.body));
	assert_non_null(strstr(r.body, ">cd-&lt;a&amp;b&gt;&quot;&apos;</Conference>"));
	assert_non_null(strstr(r.body, "statusCallback=\"https://x.test/c?a=1&amp;b=&quot;2&quot;\""));
	assert_non_null(strstr(r.body, "endConferenceOnExit=\"true\""));
	assert_non_null(strstr(r.body, "beep=\"false\""));
	assert_int_equal(provider_twilio.admit(&ev, NULL, NULL, &r), DL_OK);
	assert_string_equal(r.body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<Response><Reject/></Response>");
	/* A control character cannot be written into XML 1.0 at all. */
	ref.conference_name = "cd-\x01";
	assert_int_equal(provider_twilio.admit(&ev, &ref, "https://x.test/c", &r), DL_ERR_INVALID);
}

static void
test_xml_escape(void **state)
{
	char out[24];
	size_t len = 0;

	(void)state;
	assert_int_equal(xml_escape("a<b", out, sizeof(out), &len), DL_OK);
	assert_string_equal(out, "a&lt;b");
	assert_int_equal(len, 6);
	/* As references: a parser reads them back unchanged, in an attribute too. */
	assert_int_equal(xml_escape("\t\n\r", out, sizeof(out), &len), DL_OK);
	assert_string_equal(out + 6, "&#9;&#10;&#13;");
	assert_int_equal(len, 20);
	/* Does not fit: nothing appended, the earlier text kept. */
	assert_int_equal(xml_escape("&&", out, sizeof(out), &len), DL_ERR_TOOBIG);
	assert_int_equal(len, 20);
	assert_int_equal(strlen(out), 20);
	assert_int_equal(xml_escape("\x7f\x1f", out, sizeof(out), &len), DL_ERR_INVALID);
	assert_int_equal(strlen(out), 20);
	/* What no XML parser reads: malformed UTF-8, an overlong form, a
	 * surrogate, U+FFFE. Multi-byte characters are kept as they are. */
	assert_int_equal(xml_escape("\xc3(", out, sizeof(out), &len), DL_ERR_INVALID);
	assert_int_equal(xml_escape("\xc0\xaf", out, sizeof(out), &len), DL_ERR_INVALID);
	assert_int_equal(xml_escape("\xed\xa0\x80", out, sizeof(out), &len), DL_ERR_INVALID);
	assert_int_equal(xml_escape("\xef\xbf\xbe", out, sizeof(out), &len), DL_ERR_INVALID);
	assert_int_equal(strlen(out), 20);
	assert_int_equal(xml_escape("\xc3\xa9", out, sizeof(out), &len), DL_OK);
	assert_string_equal(out + 20, "\xc3\xa9");
	assert_int_equal(xml_raw("12", out, sizeof(out), &len), DL_ERR_TOOBIG);
	assert_int_equal(xml_raw("1", out, sizeof(out), &len), DL_OK);
	assert_int_equal(len, 23);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_voice, setup),
		cmocka_unit_test_setup(test_conference_events, setup),
		cmocka_unit_test_setup(test_call_status, setup),
		cmocka_unit_test_setup(test_refused, setup),
		cmocka_unit_test_setup(test_admit_twiml_is_escaped, setup),
		cmocka_unit_test(test_xml_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
