/* callflow: the rules that need both the call row and its provider. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "callflow.h"
#include "config.h"
#include "db.h"
#include "testutil.h"

#define setup tu_fixture_setup
#define teardown tu_fixture_teardown

static void
new_call(const char *provider, struct call *c)
{
	struct calls_new in = { 0, 0, "+12025550143", NULL, provider, NULL };
	const char *limit;
	long retry;
	int replayed;

	assert_int_equal(calls_create(&in, c, &replayed, &limit, &retry), DL_OK);
}

/* Twilio configured with fake values: only its settings are looked at. */
static void
configure_twilio(void)
{
	setenv("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000", 1);
	setenv("TWILIO_AUTH_TOKEN", "fake", 1);
	setenv("TWILIO_API_KEY_SID", "SK00000000000000000000000000000000", 1);
	setenv("TWILIO_API_KEY_SECRET", "fake", 1);
	setenv("TWILIO_TWIML_APP_SID", "AP00000000000000000000000000000000", 1);
}

static void
test_operator_join_timeout(void **state)
{
	struct call c;

	(void)state;
	configure_twilio();
	new_call("twilio", &c);
	/* Within the timeout a queued call waits for its operator. */
	assert_int_equal(callflow_settle(&c, 0), DL_OK);
	assert_int_equal(c.status, CALL_QUEUED);
	tu_sql_exec("UPDATE calls SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-21 seconds')");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_settle(&c, 0), DL_OK);
	assert_int_equal(c.status, CALL_FAILED);
	assert_string_equal(c.failure_reason, "operator_not_connected");
	assert_string_not_equal(c.ended_at, "");
}

static void
test_sim_dials_at_once_and_ends(void **state)
{
	const struct provider *p;
	struct provider_error perr;
	struct call c;

	(void)state;
	assert_int_equal(provider_get("sim", &p, NULL, 0), DL_OK);
	new_call("sim", &c);
	assert_int_equal(callflow_joined(p, &c, &perr), DL_OK);
	assert_int_equal(c.status, CALL_INITIATED);
	assert_int_equal(strncmp(c.call_sid, "SIM", 3), 0);
	/* Joined twice (a replayed request): no second dial. */
	{
		char first[sizeof(c.call_sid)];

		memcpy(first, c.call_sid, sizeof(first));
		assert_int_equal(callflow_joined(p, &c, &perr), DL_OK);
		assert_string_equal(c.call_sid, first);
	}
	/* Ended before the answer: canceled. */
	assert_int_equal(callflow_end(p, &c, &perr), DL_OK);
	assert_int_equal(c.status, CALL_CANCELED);

	new_call("sim", &c);
	assert_int_equal(callflow_joined(p, &c, &perr), DL_OK);
	/* Five seconds after the dial the simulator has answered. */
	tu_sql_exec("UPDATE calls SET dialed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-5 seconds') "
	    "WHERE status = 'initiated'");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_settle(&c, 0), DL_OK);
	assert_int_equal(c.status, CALL_IN_PROGRESS);
	assert_int_equal(callflow_end(p, &c, &perr), DL_OK);
	assert_int_equal(c.status, CALL_COMPLETED);
}

static void
test_final_calls_are_left_alone(void **state)
{
	struct call c;

	(void)state;
	new_call("sim", &c);
	assert_int_equal(calls_fail(c.id, "provider_error"), DL_OK);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	tu_sql_exec("UPDATE calls SET dialed_at = '2020-01-01T00:00:00Z'");
	assert_int_equal(callflow_settle(&c, 1), DL_OK);
	assert_int_equal(c.status, CALL_FAILED);
	assert_string_equal(c.failure_reason, "provider_error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_operator_join_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sim_dials_at_once_and_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_final_calls_are_left_alone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
