/*
 * twilio: the Twilio provider against tests/fake/fake_twilio.py, a
 * stateful fake of the REST API started once for the group. The fake's
 * control endpoints (/_fake/...) inject faults and report what it was
 * sent; this file talks to them with its own curl handle, so the
 * provider's connection counts stay its own.
 *
 * Only fictional numbers (+1 202 555 01XX) appear here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "config.h"
#include "form.h"
#include "provider.h"
#include "rest.h"
#include "secure.h"
#include "twiliosig.h"
#include "fakectl.h"
#include "testutil.h"

extern const struct provider provider_twilio;

#define FAKE_AC "AC0123456789abcdef0123456789abcdef"
#define FAKE_TOKEN "fake-auth-token-0123456789abcdef"
#define FAKE_SK "SK0123456789abcdef0123456789abcdef"
#define FAKE_SECRET "fake-api-key-secret-0123456789ab"
#define FAKE_AP "AP0123456789abcdef0123456789abcdef"
#define CALLER_ID "+12025550100"
#define PROSPECT "+12025550143"
#define STATUS_URL "https://dialer.example.test/api/webhooks/twilio/status"

static pid_t fake_pid = -1;
static char fake_dir[64];
static char fake_base[64];

/* ---- control-endpoint helpers --------------------------------------- */

/* GET (json NULL) or POST json to the fake; the parsed answer, for cJSON_Delete. */
static cJSON *
ctl(const char *path, const char *json)
{
	return fakectl(fake_base, path, json);
}

static void
fake_reset(void)
{
	cJSON_Delete(ctl("/_fake/reset", "{}"));
}

static void
fake_fault(const char *method, const char *path_re, int count, const char *action,
    int status)
{
	cJSON *f = cJSON_CreateObject();
	char *s;

	assert_non_null(f);
	cJSON_AddStringToObject(f, "method", method);
	cJSON_AddStringToObject(f, "path", path_re);
	cJSON_AddNumberToObject(f, "count", count);
	cJSON_AddStringToObject(f, "action", action);
	if (status != 0) {
		cJSON_AddNumberToObject(f, "status", status);
		cJSON_AddNumberToObject(f, "retry_after", 0);
	}
	s = cJSON_PrintUnformatted(f);
	assert_non_null(s);
	cJSON_Delete(ctl("/_fake/faults", s));
	cJSON_free(s);
	cJSON_Delete(f);
}

/* A new in-progress conference with the operator in it. */
struct conf {
	char sid[PROVIDER_SID_MAX];
	char op[PROVIDER_SID_MAX];
};

static void
fake_conference(struct conf *c)
{
	cJSON *j = ctl("/_fake/conferences", "{\"friendly_name\":\"cd-unit0123\"}");
	const cJSON *sid = cJSON_GetObjectItemCaseSensitive(j, "sid");
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "call_sid");

	assert_true(cJSON_IsString(sid) && strlen(sid->valuestring) == 34);
	assert_true(cJSON_IsString(op) && strlen(op->valuestring) == 34);
	memcpy(c->sid, sid->valuestring, 35);
	memcpy(c->op, op->valuestring, 35);
	cJSON_Delete(j);
}

/* How many recorded API requests used `method` on a path ending in `suffix`;
 * the last such one goes to *last (owned by *all, for cJSON_Delete). */
static int
fake_count(const char *method, const char *suffix, cJSON **all, const cJSON **last)
{
	return fakectl_count(fake_base, method, suffix, all, last);
}

/* The values of form parameter `name` in a recorded request. */
static const cJSON *
param(const cJSON *req, const char *name)
{
	const cJSON *ps = cJSON_GetObjectItemCaseSensitive(req, "params");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ps, name);

	assert_true(cJSON_IsArray(v));
	return v;
}

static void
assert_param(const cJSON *req, const char *name, const char *want)
{
	const cJSON *v = param(req, name);

	assert_int_equal(cJSON_GetArraySize(v), 1);
	assert_true(cJSON_IsString(cJSON_GetArrayItem(v, 0)));
	assert_string_equal(cJSON_GetArrayItem(v, 0)->valuestring, want);
}

static void
dial_into(const struct conf *c, char leg[PROVIDER_SID_MAX])
{
	struct provider_dial d;
	struct provider_error perr;

	memset(&d, 0, sizeof(d));
	memset(&perr, 0, sizeof(perr));
	d.ref.conference_sid = c->sid;
	d.ref.operator_call_sid = c->op;
	d.to = PROSPECT;
	d.status_url = STATUS_URL;
	assert_int_equal(provider_twilio.dial(&d, leg, &perr), DL_OK);
	assert_int_equal(strlen(leg), 34);
}

/* ---- group setup ------------------------------------------------------ */

static void
set_env(void)
{
	setenv("DIALER_CONFIG", "/dev/null", 1);
	setenv("TWILIO_ACCOUNT_SID", FAKE_AC, 1);
	setenv("TWILIO_AUTH_TOKEN", FAKE_TOKEN, 1);
	setenv("TWILIO_API_KEY_SID", FAKE_SK, 1);
	setenv("TWILIO_API_KEY_SECRET", FAKE_SECRET, 1);
	setenv("TWILIO_TWIML_APP_SID", FAKE_AP, 1);
	setenv("TWILIO_API_BASE", fake_base, 1);
	setenv("DIALER_PUBLIC_URL", "https://dialer.example.com", 1);
	setenv("TWILIO_CALLER_ID", CALLER_ID, 1);
}

static int
group_setup(void **state)
{
	static const char *const args[] = {
		"--port", "0", "--account-sid", FAKE_AC, "--auth-token", FAKE_TOKEN,
		"--api-key-sid", FAKE_SK, "--api-key-secret", FAKE_SECRET, NULL
	};
	char ready[128];
	int port;

	(void)state;
	tu_env_clean();
	tu_mkdtemp(fake_dir, sizeof(fake_dir));
	snprintf(ready, sizeof(ready), "%s/ready", fake_dir);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	if ((port = fakectl_start("tests/fake/fake_twilio.py", args, ready, &fake_pid)) < 0)
		return -1;
	snprintf(fake_base, sizeof(fake_base), "http://127.0.0.1:%d", port);
	set_env();
	config_reset();
	return config_load() == DL_OK ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char ready[128];

	(void)state;
	fakectl_stop(&fake_pid);
	snprintf(ready, sizeof(ready), "%s/ready", fake_dir);
	unlink(ready);
	tu_rmdir(fake_dir);
	unsetenv("TWILIO_ACCOUNT_SID");
	unsetenv("TWILIO_API_KEY_SID");
	unsetenv("TWILIO_TWIML_APP_SID");
	unsetenv("TWILIO_API_BASE");
	unsetenv("TWILIO_CALLER_ID");
	tu_env_clean();
	return 0;
}

static int
each_setup(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void
test_factory_finds_twilio(void **state)
{
	const struct provider *p = NULL;
	char missing[128] = "";

	(void)state;
	assert_int_equal(provider_get("twilio", &p, missing, sizeof(missing)), DL_OK);
	assert_ptr_equal(p, &provider_twilio);
	assert_false(p->simulated);
}

static void
test_dial(void **state)
{
	struct conf c;
	char leg[PROVIDER_SID_MAX];
	const cJSON *req, *ev;
	cJSON *all;
	const char *want[] = { "initiated", "ringing", "answered", "completed" };
	char path[256];
	int i;

	(void)state;
	fake_conference(&c);
	dial_into(&c, leg);
	assert_memory_equal(leg, "CA", 2);
	snprintf(path, sizeof(path), "/Accounts/" FAKE_AC "/Conferences/%s/Participants.json", c.sid);
	assert_int_equal(fake_count("POST", path, &all, &req), 1);
	assert_non_null(req);
	assert_param(req, "To", PROSPECT);        /* a real plus, not a space */
	assert_param(req, "From", CALLER_ID);
	assert_param(req, "EarlyMedia", "true");
	assert_param(req, "Beep", "false");
	assert_param(req, "EndConferenceOnExit", "true");
	assert_param(req, "StatusCallback", STATUS_URL);
	ev = param(req, "StatusCallbackEvent");
	assert_int_equal(cJSON_GetArraySize(ev), 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(cJSON_GetArrayItem(ev, i)->valuestring, want[i]);
	assert_non_null(strstr(cJSON_GetObjectItemCaseSensitive(req, "body")->valuestring,
	    "To=%2B12025550143"));
	cJSON_Delete(all);
}

/* The connection dies after Twilio acted: a repeat would ring twice. The
 * dial goes out on a connection already used once (a status fetch first),
 * as it would in a long-lived FastCGI process. */
static void
test_dial_never_retried(void **state)
{
	struct conf c;
	struct provider_dial d;
	struct provider_error perr;
	struct provider_status ps;
	struct provider_ref ref;
	char leg[PROVIDER_SID_MAX];
	cJSON *all;

	(void)state;
	fake_conference(&c);
	memset(&ref, 0, sizeof(ref));
	ref.call_sid = c.op;
	assert_int_equal(provider_twilio.status(&ref, &ps, &perr), DL_OK);
	fake_fault("POST", "/Participants\\.json$", 1, "close_after", 0);
	memset(&d, 0, sizeof(d));
	memset(&perr, 0, sizeof(perr));
	d.ref.conference_sid = c.sid;
	d.to = PROSPECT;
	/* libcurl silently resends a request whose reused connection died
	 * before any answer; for a participant create that rings twice. */
	assert_int_not_equal(provider_twilio.dial(&d, leg, &perr), DL_OK);
	assert_int_equal(perr.http_status, 0);
	assert_int_equal(fake_count("POST", "/Participants.json", &all, NULL), 1);
	cJSON_Delete(all);
}

static void
test_dial_invalid_and_config(void **state)
{
	struct provider_dial d;
	struct provider_error perr;
	char leg[PROVIDER_SID_MAX];
	cJSON *all;
	struct conf c;

	(void)state;
	memset(&d, 0, sizeof(d));
	memset(&perr, 0, sizeof(perr));
	d.to = PROSPECT;
	assert_int_equal(provider_twilio.dial(&d, leg, &perr), DL_ERR_INVALID);
	assert_string_equal(leg, "");
	fake_conference(&c);
	d.ref.conference_sid = c.sid;
	unsetenv("TWILIO_CALLER_ID");
	config_reset();
	assert_int_equal(config_load(), DL_OK);
	assert_int_equal(provider_twilio.dial(&d, leg, &perr), DL_ERR_CONFIG);
	d.from = "";
	assert_int_equal(provider_twilio.dial(&d, leg, &perr), DL_ERR_CONFIG);
	setenv("TWILIO_CALLER_ID", CALLER_ID, 1);
	config_reset();
	assert_int_equal(config_load(), DL_OK);
	assert_int_equal(fake_count("POST", "/Participants.json", &all, NULL), 0);
	cJSON_Delete(all);
}

static void
test_mute_retried_after_transport_error(void **state)
{
	struct conf c;
	struct provider_ref ref;
	struct provider_error perr;
	const cJSON *req;
	cJSON *all;
	char path[256];

	(void)state;
	fake_conference(&c);
	memset(&ref, 0, sizeof(ref));
	ref.conference_sid = c.sid;
	ref.operator_call_sid = c.op;
	fake_fault("POST", "/Participants/CA[0-9a-f]+\\.json$", 1, "close", 0);
	assert_int_equal(provider_twilio.mute(&ref, PROVIDER_OPERATOR, 1, &perr), DL_OK);
	snprintf(path, sizeof(path), "/Conferences/%s/Participants/%s.json", c.sid, c.op);
	assert_int_equal(fake_count("POST", path, &all, &req), 2);
	assert_param(req, "Muted", "true");
	cJSON_Delete(all);
}

static void
test_mute_gives_up_after_three(void **state)
{
	struct conf c;
	struct provider_ref ref;
	struct provider_error perr;
	cJSON *all;

	(void)state;
	fake_conference(&c);
	memset(&ref, 0, sizeof(ref));
	memset(&perr, 0, sizeof(perr));
	ref.conference_sid = c.sid;
	ref.operator_call_sid = c.op;
	fake_fault("POST", "/Participants/CA[0-9a-f]+\\.json$", 5, "status", 503);
	assert_int_equal(provider_twilio.mute(&ref, PROVIDER_OPERATOR, 1, &perr), DL_ERR_IO);
	assert_int_equal(perr.http_status, 503);
	assert_string_equal(perr.code, "20503");
	assert_int_equal(fake_count("POST", ".json", &all, NULL), 3);
	cJSON_Delete(all);
}

static void
test_mute_within_its_time_budget(void **state)
{
	struct timespec t0, t1;
	struct conf c;
	struct provider_ref ref;
	struct provider_error perr;
	cJSON *all;
	char path[256];
	double took;

	(void)state;
	fake_conference(&c);
	memset(&ref, 0, sizeof(ref));
	ref.conference_sid = c.sid;
	ref.operator_call_sid = c.op;
	/* A hang past TWILIO_TIMEOUT is not tried again: the budget is spent. */
	setenv("TWILIO_TIMEOUT", "1", 1);
	cJSON_Delete(ctl("/_fake/faults", "{\"method\":\"POST\",\"path\":\"/Participants/\","
	    "\"count\":5,\"action\":\"delay\",\"delay\":1.5}"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(provider_twilio.mute(&ref, PROVIDER_OPERATOR, 1, &perr), DL_ERR_IO);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	unsetenv("TWILIO_TIMEOUT");
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(took < 1.4);
	assert_int_equal(perr.http_status, 0);
	assert_string_equal(perr.code, REST_TIMEOUT);
	snprintf(path, sizeof(path), "/Conferences/%s/Participants/%s.json", c.sid, c.op);
	assert_int_equal(fake_count("POST", path, &all, NULL), 1);
	cJSON_Delete(all);
}

static void
test_update_answered_with_no_json_is_malformed(void **state)
{
	struct conf c;
	struct provider_ref ref;
	struct provider_error perr;
	cJSON *all;
	char path[256];

	(void)state;
	fake_conference(&c);
	memset(&ref, 0, sizeof(ref));
	ref.conference_sid = c.sid;
	ref.operator_call_sid = c.op;
	fake_fault("POST", "/Participants/CA[0-9a-f]+\\.json$", 1, "malformed", 0);
	assert_int_equal(provider_twilio.mute(&ref, PROVIDER_OPERATOR, 1, &perr), DL_ERR_IO);
	assert_string_equal(perr.code, "malformed");
	/* A 2xx is an answer: not repeated. */
	snprintf(path, sizeof(path), "/Conferences/%s/Participants/%s.json", c.sid, c.op);
	assert_int_equal(fake_count("POST", path, &all, NULL), 1);
	cJSON_Delete(all);
}

static void
test_end_cancels_leg_before_conference(void **state)
{
	struct conf c;
	struct provider_ref ref;
	struct provider_error perr;
	char leg[PROVIDER_SID_MAX], path[256];
	const cJSON *req;
	cJSON *all;

	(void)state;
	fake_conference(&c);
	dial_into(&c, leg);
	memset(&ref, 0, sizeof(ref));
	ref.call_sid = leg;
	assert_int_equal(provider_twilio.end(&ref, &perr), DL_OK);
	snprintf(path, sizeof(path), "/Accounts/" FAKE_AC "/Calls/%s.json", leg);
	assert_int_equal(fake_count("POST", path, &all, &req), 1);
	assert_param(req, "Status", "canceled");
	cJSON_Delete(all);
}

static void
test_connection_reused(void **state)
{
	struct conf c;
	struct provider_ref ref;
	struct provider_status ps;
	struct provider_error perr;
	const cJSON *n;
	cJSON *stats;
	int i;

	(void)state;
	fake_conference(&c);
	memset(&ref, 0, sizeof(ref));
	ref.call_sid = c.op;
	for (i = 0; i < 20; i++) {
		assert_int_equal(provider_twilio.status(&ref, &ps, &perr), DL_OK);
		assert_int_equal(ps.status, CALL_IN_PROGRESS);
	}
	stats = ctl("/_fake/stats", NULL);
	n = cJSON_GetObjectItemCaseSensitive(stats, "requests");
	assert_true(cJSON_IsNumber(n));
	assert_int_equal((int)n->valuedouble, 20);
	n = cJSON_GetObjectItemCaseSensitive(stats, "connections");
	assert_true(cJSON_IsNumber(n));
	/* Counted since the reset: 0 when the connection an earlier test
	 * opened is still the one in use; 20 if each request made its own. */
	assert_true(n->valuedouble <= 2);
	cJSON_Delete(stats);
}

/* ---- recording ------------------------------------------------------------ */

#define REC_URL "https://dialer.example.com/api/v1/twilio/recording-status?call=42"
#define CONSENT_HOOK "https://dialer.example.com/api/v1/twilio/consent?call=42"

static int
has_param(const cJSON *req, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(req, "params"),
	    name) != NULL;
}

static void
test_dial_records_the_room(void **state)
{
	static const char *const rec_params[] = { "ConferenceRecord",
		"ConferenceRecordingStatusCallback", "ConferenceRecordingStatusCallbackMethod",
		"ConferenceRecordingStatusCallbackEvent", "Record" };
	struct provider_consent consent = { "Recorded.", NULL, CONSENT_HOOK };
	struct provider_dial d;
	struct provider_error perr;
	char leg[PROVIDER_SID_MAX];
	const cJSON *req;
	struct conf c;
	cJSON *all;
	size_t i;

	(void)state;
	fake_conference(&c);
	memset(&d, 0, sizeof(d));
	d.ref.conference_sid = c.sid;
	d.to = PROSPECT;
	d.record = 1;
	d.recording_url = REC_URL;
	d.consent = &consent;
	assert_int_equal(provider_twilio.dial(&d, leg, &perr), DL_OK);
	assert_int_equal(fake_count("POST", "/Participants.json", &all, &req), 1);
	assert_param(req, "ConferenceRecord", "record-from-start");
	assert_param(req, "ConferenceRecordingStatusCallback", REC_URL);
	assert_param(req, "ConferenceRecordingStatusCallbackMethod", "POST");
	assert_param(req, "ConferenceRecordingStatusCallbackEvent", "completed");
	assert_false(has_param(req, "Record"));
	cJSON_Delete(all);
	/* Off: not a word of it. */
	fake_reset();
	fake_conference(&c);
	d.ref.conference_sid = c.sid;
	d.record = 0;
	assert_int_equal(provider_twilio.dial(&d, leg, &perr), DL_OK);
	assert_int_equal(fake_count("POST", "/Participants.json", &all, &req), 1);
	for (i = 0; i < sizeof(rec_params) / sizeof(rec_params[0]); i++)
		assert_false(has_param(req, rec_params[i]));
	cJSON_Delete(all);
}

/* The seed's order: the call is recorded, and its TwiML says the consent
 * before the room. */
static void
test_dial_first_says_consent_in_twiml(void **state)
{
	struct provider_consent consent = { "Recorded & kept <30 days>.", NULL, NULL };
	struct provider_dial d;
	struct provider_error perr;
	char leg[PROVIDER_SID_MAX];
	const cJSON *req, *twiml;
	cJSON *all;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.ref.conference_name = "cd-seed0123";
	d.to = PROSPECT;
	d.prospect_first = 1;
	d.record = 1;
	d.recording_url = REC_URL;
	d.consent = &consent;
	assert_int_equal(provider_twilio.dial(&d, leg, &perr), DL_OK);
	assert_int_equal(fake_count("POST", "/Calls.json", &all, &req), 1);
	assert_param(req, "Record", "true");
	assert_param(req, "RecordingStatusCallback", REC_URL);
	assert_param(req, "RecordingStatusCallbackEvent", "completed");
	assert_false(has_param(req, "ConferenceRecord"));
	twiml = cJSON_GetArrayItem(param(req, "Twiml"), 0);
	assert_non_null(strstr(twiml->valuestring, "<Response><Say>Recorded &amp; kept "
	    "&lt;30 days&gt;.</Say><Dial><Conference"));
	cJSON_Delete(all);
	fake_reset();
	consent.url = "https://media.example.com/consent.mp3?a=1&b=2";
	assert_int_equal(provider_twilio.dial(&d, leg, &perr), DL_OK);
	assert_int_equal(fake_count("POST", "/Calls.json", &all, &req), 1);
	twiml = cJSON_GetArrayItem(param(req, "Twiml"), 0);
	assert_non_null(strstr(twiml->valuestring, "<Response><Play>https://media.example.com/"
	    "consent.mp3?a=1&amp;b=2</Play><Dial>"));
	cJSON_Delete(all);
	/* Unrecorded: no words before the room. */
	fake_reset();
	d.record = 0;
	assert_int_equal(provider_twilio.dial(&d, leg, &perr), DL_OK);
	assert_int_equal(fake_count("POST", "/Calls.json", &all, &req), 1);
	twiml = cJSON_GetArrayItem(param(req, "Twiml"), 0);
	assert_non_null(strstr(twiml->valuestring, "<Response><Dial>"));
	assert_false(has_param(req, "Record"));
	cJSON_Delete(all);
}

static void
test_consent_is_an_announcement(void **state)
{
	struct provider_consent consent = { "Recorded.", NULL, CONSENT_HOOK };
	struct provider_ref ref;
	struct provider_error perr;
	char leg[PROVIDER_SID_MAX], path[256];
	const cJSON *req;
	struct conf c;
	cJSON *all;

	(void)state;
	fake_conference(&c);
	dial_into(&c, leg);
	memset(&ref, 0, sizeof(ref));
	ref.conference_sid = c.sid;
	ref.operator_call_sid = c.op;
	ref.call_sid = leg;
	ref.recorded = 1;
	assert_int_equal(provider_twilio.consent(&ref, &consent, &perr), DL_OK);
	snprintf(path, sizeof(path), "/Conferences/%s/Participants/%s.json", c.sid, leg);
	assert_int_equal(fake_count("POST", path, &all, &req), 1);
	assert_param(req, "AnnounceUrl", CONSENT_HOOK);
	assert_param(req, "AnnounceMethod", "POST");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(req, "params")), 2);
	cJSON_Delete(all);
	/* A 5xx is tried again (at worst it is said twice). */
	fake_fault("POST", "/Participants/CA[0-9a-f]+\\.json$", 1, "status", 503);
	assert_int_equal(provider_twilio.consent(&ref, &consent, &perr), DL_OK);
	assert_int_equal(fake_count("POST", path, &all, NULL), 3);
	cJSON_Delete(all);
	/* No hook to point Twilio at: a setting is missing. */
	consent.hook_url = NULL;
	assert_int_equal(provider_twilio.consent(&ref, &consent, &perr), DL_ERR_CONFIG);
	/* The seed's order: its TwiML said it; nothing to send. */
	consent.hook_url = CONSENT_HOOK;
	ref.operator_call_sid = NULL;
	assert_int_equal(provider_twilio.consent(&ref, &consent, &perr), DL_OK);
	assert_int_equal(fake_count("POST", path, &all, NULL), 3);
	cJSON_Delete(all);
}

static void
test_announce_twiml(void **state)
{
	struct provider_consent consent = { "Calls are recorded & \"kept\" <30 days>.", NULL, NULL };
	struct provider_reply r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(provider_twilio.announce(&consent, &r), DL_OK);
	assert_string_equal(r.content_type, "text/xml; charset=utf-8");
	assert_int_equal(r.len, strlen(r.body));
	assert_string_equal(r.body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
	    "<Say>Calls are recorded &amp; &quot;kept&quot; &lt;30 days&gt;.</Say></Response>");
	consent.url = "https://media.example.com/c.wav?x=<1>";
	assert_int_equal(provider_twilio.announce(&consent, &r), DL_OK);
	assert_string_equal(r.body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
	    "<Play>https://media.example.com/c.wav?x=&lt;1&gt;</Play></Response>");
	/* A control character cannot be in XML at all. */
	consent.url = NULL;
	consent.text = "bell\a";
	assert_int_equal(provider_twilio.announce(&consent, &r), DL_ERR_INVALID);
}

/* What a sink was given. */
/* A recording at the fake; its SID, and its bytes into media (*medialen). */
static void
fake_recording(char sid[PROVIDER_SID_MAX], unsigned char *media, size_t mediasz,
    size_t *medialen)
{
	cJSON *j = ctl("/_fake/recordings", "{\"duration\":9}");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "sid");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "media_b64");

	assert_true(cJSON_IsString(s) && cJSON_IsString(m));
	memcpy(sid, s->valuestring, strlen(s->valuestring) + 1);
	assert_int_equal(secure_b64_decode(m->valuestring, media, mediasz, medialen), DL_OK);
	cJSON_Delete(j);
}

static enum dl_err
fetch(const char *sid, long long max, struct tu_got *g, struct provider_error *perr)
{
	struct provider_recording rec = { sid, "", 9 };
	struct provider_sink sink = { tu_got_begin, tu_got_write, g, max };
	struct provider_ref ref;

	memset(&ref, 0, sizeof(ref));
	memset(perr, 0, sizeof(*perr));
	return provider_twilio.fetch_recording(&ref, &rec, &sink, perr);
}

static void
test_fetch_recording(void **state)
{
	unsigned char media[512];
	char sid[PROVIDER_SID_MAX], path[256], want[128];
	struct provider_error perr;
	const cJSON *req, *auth;
	size_t medialen;
	struct tu_got g;
	cJSON *all;

	(void)state;
	fake_recording(sid, media, sizeof(media), &medialen);
	memset(&g, 0, sizeof(g));
	assert_int_equal(fetch(sid, 1 << 20, &g, &perr), DL_OK);
	assert_int_equal(g.begins, 1);
	assert_string_equal(g.type, "audio/mpeg");
	assert_int_equal(g.length, (long long)medialen);
	assert_int_equal(g.len, medialen);
	assert_memory_equal(g.bytes, media, medialen);
	free(g.bytes);
	/* The Recording resource's MP3, with the account's credentials. */
	snprintf(path, sizeof(path), "/2010-04-01/Accounts/" FAKE_AC "/Recordings/%s.mp3", sid);
	assert_int_equal(fake_count("GET", path, &all, &req), 1);
	auth = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(req, "headers"),
	    "Authorization");
	assert_true(cJSON_IsString(auth));
	assert_int_equal(strncmp(auth->valuestring, "Basic ", 6), 0);
	cJSON_Delete(all);
	/* A 503 first: tried again before anything reached the sink. */
	snprintf(want, sizeof(want), "/Recordings/%s\\.mp3$", sid);
	fake_fault("GET", want, 1, "status", 503);
	memset(&g, 0, sizeof(g));
	assert_int_equal(fetch(sid, 1 << 20, &g, &perr), DL_OK);
	assert_int_equal(g.begins, 1);
	assert_int_equal(g.len, medialen);
	free(g.bytes);
	/* Larger than the caller takes: refused before a byte. */
	memset(&g, 0, sizeof(g));
	assert_int_equal(fetch(sid, (long long)medialen - 1, &g, &perr), DL_ERR_TOOBIG);
	assert_int_equal(g.begins, 0);
	/* The caller refuses it (not audio, say): that is the answer. */
	g.refuse = DL_ERR_UNSUPPORTED;
	assert_int_equal(fetch(sid, 1 << 20, &g, &perr), DL_ERR_UNSUPPORTED);
	assert_int_equal(g.begins, 1);
	assert_int_equal(g.len, 0);
	/* Gone at Twilio, or not a Recording SID at all. */
	g.refuse = DL_OK;
	g.begins = 0;
	assert_int_equal(fetch("RE00000000000000000000000000000000", 1 << 20, &g, &perr),
	    DL_ERR_NOTFOUND);
	assert_int_equal(perr.http_status, 404);
	assert_int_equal(fetch("CA00000000000000000000000000000000", 1 << 20, &g, &perr),
	    DL_ERR_NOTFOUND);
	assert_int_equal(fetch("RE../../Calls", 1 << 20, &g, &perr), DL_ERR_NOTFOUND);
	assert_int_equal(g.begins, 0);
}

/* ---- the recording and consent webhooks ---------------------------------- */

#define HOOK_BASE "https://dialer.example.com/api/v1/twilio/"
#define REC_SID "RE0123456789abcdef0123456789abcdef"
#define CONF_SID "CF0123456789abcdef0123456789abcdef"

static char hook_sig[TWILIOSIG_LEN];

static const char *
hook_header(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "X-Twilio-Signature") == 0 && hook_sig[0] ? hook_sig : NULL;
}

/* Deliver a form body to HOOK_BASE + kind_query, signed with `token`. */
static enum dl_err
hook(const char *kind, const char *query, const char *body, const char *token,
    struct provider_event *ev)
{
	struct provider_webhook in;
	struct form *f;
	char url[256];

	snprintf(url, sizeof(url), HOOK_BASE "%s%s", kind, query);
	assert_int_equal(form_parse(body, strlen(body), &f), DL_OK);
	assert_int_equal(twiliosig_compute(token, url, f, hook_sig, sizeof(hook_sig)), DL_OK);
	form_free(f);
	memset(&in, 0, sizeof(in));
	in.kind = kind;
	in.url = url;
	in.header = hook_header;
	in.media_type = "application/x-www-form-urlencoded";
	in.body = body;
	in.bodylen = strlen(body);
	return provider_twilio.webhook(&in, ev);
}

static void
test_recording_status_webhook(void **state)
{
	const char *good = "AccountSid=" FAKE_AC "&ConferenceSid=" CONF_SID "&RecordingSid=" REC_SID
	    "&RecordingUrl=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2F" FAKE_AC
	    "%2FRecordings%2F" REC_SID "&RecordingStatus=completed&RecordingDuration=37"
	    "&RecordingChannels=1&RecordingSource=StartConferenceRecordingAPI&ErrorCode=0";
	struct provider_event ev, again;
	char body[1024];

	(void)state;
	assert_int_equal(hook("recording-status", "?call=42", good, FAKE_TOKEN, &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_RECORDING);
	assert_string_equal(ev.recording_sid, REC_SID);
	assert_string_equal(ev.recording_url, "https://api.twilio.com/2010-04-01/Accounts/" FAKE_AC
	    "/Recordings/" REC_SID);
	assert_int_equal(ev.duration_s, 37);
	assert_string_equal(ev.conference_sid, CONF_SID);
	assert_string_equal(ev.call_sid, "");
	assert_string_equal(ev.name, "recording-completed");
	/* Delivered again: the same event. */
	assert_int_equal(hook("recording-status", "?call=42", good, FAKE_TOKEN, &again), DL_OK);
	assert_string_equal(again.key, ev.key);
	/* Other states are only kept; a call's recording names its leg. */
	assert_int_equal(hook("recording-status", "", "AccountSid=" FAKE_AC "&RecordingSid=" REC_SID
	    "&RecordingStatus=in-progress&CallSid=CA0123456789abcdef0123456789abcdef", FAKE_TOKEN,
	    &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_IGNORED);
	assert_string_equal(ev.call_sid, "CA0123456789abcdef0123456789abcdef");
	assert_string_not_equal(ev.key, again.key);
	assert_int_equal(ev.duration_s, -1);
	/* Forged: another token, another URL, another account. */
	assert_int_equal(hook("recording-status", "?call=42", good, "not-our-token", &ev),
	    DL_ERR_AUTH);
	snprintf(body, sizeof(body), "%s", good);
	memcpy(strstr(body, FAKE_AC), "AC99", 4);
	assert_int_equal(hook("recording-status", "?call=42", body, FAKE_TOKEN, &ev), DL_ERR_AUTH);
	/* Malformed, though signed. */
	assert_int_equal(hook("recording-status", "", "AccountSid=" FAKE_AC
	    "&RecordingStatus=completed", FAKE_TOKEN, &ev), DL_ERR_INVALID);
	assert_int_equal(hook("recording-status", "", "AccountSid=" FAKE_AC
	    "&RecordingSid=CA0123456789abcdef0123456789abcdef&RecordingStatus=completed",
	    FAKE_TOKEN, &ev), DL_ERR_INVALID);
	assert_int_equal(hook("recording-status", "", "AccountSid=" FAKE_AC "&RecordingSid=" REC_SID,
	    FAKE_TOKEN, &ev), DL_ERR_INVALID);
	assert_int_equal(hook("recording-status", "", "AccountSid=" FAKE_AC "&RecordingSid=" REC_SID
	    "&RecordingStatus=completed&RecordingDuration=7s", FAKE_TOKEN, &ev), DL_ERR_INVALID);
	assert_int_equal(hook("recording-status", "", "AccountSid=" FAKE_AC "&RecordingSid=" REC_SID
	    "&RecordingStatus=completed&RecordingDuration=-7", FAKE_TOKEN, &ev), DL_ERR_INVALID);
	assert_int_equal(hook("recording-status", "", "AccountSid=" FAKE_AC "&RecordingSid=" REC_SID
	    "&RecordingStatus=completed&RecordingUrl=ftp%3A%2F%2Fx", FAKE_TOKEN, &ev),
	    DL_ERR_INVALID);
	assert_int_equal(hook("recording-status", "", "AccountSid=" FAKE_AC "&RecordingSid=" REC_SID
	    "&RecordingStatus=completed&ConferenceSid=XX1", FAKE_TOKEN, &ev), DL_ERR_INVALID);
	assert_int_equal(hook("recording-status", "", "AccountSid=" FAKE_AC "&RecordingSid=" REC_SID
	    "&RecordingStatus=Completed%3Cx%3E", FAKE_TOKEN, &ev), DL_ERR_INVALID);
}

static void
test_consent_webhook(void **state)
{
	const char *body = "AccountSid=" FAKE_AC "&ConferenceSid=" CONF_SID
	    "&CallSid=CA0123456789abcdef0123456789abcdef&ApiVersion=2010-04-01";
	struct provider_event ev, other;

	(void)state;
	assert_int_equal(hook("consent", "?call=42", body, FAKE_TOKEN, &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_CONSENT_FETCH);
	assert_string_equal(ev.name, "consent");
	assert_int_equal(hook("consent", "?call=43", body, FAKE_TOKEN, &other), DL_OK);
	assert_string_not_equal(ev.key, other.key); /* another call's fetch */
	assert_int_equal(hook("consent", "?call=42", "AccountSid=" FAKE_AC, FAKE_TOKEN, &ev), DL_OK);
	assert_int_equal(hook("consent", "?call=42", body, "not-our-token", &ev), DL_ERR_AUTH);
	assert_int_equal(hook("consent", "", "AccountSid=" FAKE_AC "&CallSid=XX", FAKE_TOKEN, &ev),
	    DL_ERR_INVALID);
	assert_int_equal(hook("transcription-status", "", body, FAKE_TOKEN, &ev), DL_ERR_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_factory_finds_twilio),
		cmocka_unit_test_setup(test_dial, each_setup),
		cmocka_unit_test_setup(test_dial_never_retried, each_setup),
		cmocka_unit_test_setup(test_dial_invalid_and_config, each_setup),
		cmocka_unit_test_setup(test_mute_retried_after_transport_error, each_setup),
		cmocka_unit_test_setup(test_mute_gives_up_after_three, each_setup),
		cmocka_unit_test_setup(test_mute_within_its_time_budget, each_setup),
		cmocka_unit_test_setup(test_update_answered_with_no_json_is_malformed, each_setup),
		cmocka_unit_test_setup(test_end_cancels_leg_before_conference, each_setup),
		cmocka_unit_test_setup(test_connection_reused, each_setup),
		cmocka_unit_test_setup(test_dial_records_the_room, each_setup),
		cmocka_unit_test_setup(test_dial_first_says_consent_in_twiml, each_setup),
		cmocka_unit_test_setup(test_consent_is_an_announcement, each_setup),
		cmocka_unit_test(test_announce_twiml),
		cmocka_unit_test_setup(test_fetch_recording, each_setup),
		cmocka_unit_test(test_recording_status_webhook),
		cmocka_unit_test(test_consent_webhook),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
