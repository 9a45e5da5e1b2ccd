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
#include "provider.h"
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
		cmocka_unit_test_setup(test_end_cancels_leg_before_conference, each_setup),
		cmocka_unit_test_setup(test_connection_reused, each_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
