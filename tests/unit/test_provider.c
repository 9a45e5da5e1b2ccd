/* provider: the factory's answers, and the simulator's clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "provider.h"
#include "testutil.h"

static void
test_factory(void **state)
{
	const struct provider *p = NULL;
	char missing[128];

	(void)state;
	tu_env_clean();
	config_reset();
	assert_int_equal(config_load(), DL_OK);
	assert_int_equal(provider_get("sim", &p, missing, sizeof(missing)), DL_OK);
	assert_non_null(p);
	assert_string_equal(p->name, "sim");
	assert_true(p->simulated);
	assert_int_equal(provider_get("telnyx", &p, missing, sizeof(missing)), DL_ERR_CONFIG);
	assert_null(p);
	assert_non_null(strstr(missing, "TELNYX_API_KEY"));
	assert_int_equal(provider_get("twillio", &p, missing, sizeof(missing)), DL_ERR_NOTFOUND);
	assert_int_equal(provider_get("SIM", &p, NULL, 0), DL_ERR_NOTFOUND);
	assert_int_equal(provider_get(NULL, &p, NULL, 0), DL_ERR_NOTFOUND);
	assert_string_equal(provider_default_name(), "sim");
	setenv("DIALER_PROVIDER", "telnyx", 1);
	assert_string_equal(provider_default_name(), "telnyx");
	tu_env_clean();
}

static void
test_every_slot_is_filled(void **state)
{
	const struct provider *p;

	(void)state;
	assert_int_equal(provider_get("sim", &p, NULL, 0), DL_OK);
	assert_non_null(p->join);
	assert_non_null(p->dial);
	assert_non_null(p->mute);
	assert_non_null(p->hold);
	assert_non_null(p->end);
	assert_non_null(p->status);
}

static void
test_sim_walks_on_a_clock(void **state)
{
	static const struct {
		long long after;
		enum call_status want;
	} steps[] = {
		{ 0, CALL_INITIATED }, { 1, CALL_RINGING }, { 3, CALL_RINGING },
		{ 4, CALL_IN_PROGRESS }, { 33, CALL_IN_PROGRESS }, { 34, CALL_COMPLETED },
		{ 3600, CALL_COMPLETED },
	};
	const struct provider *p;
	struct provider_ref ref = { 7, "cd-x", NULL, NULL, NULL, 0, 1000 };
	struct provider_status st;
	size_t i;

	(void)state;
	assert_int_equal(provider_get("sim", &p, NULL, 0), DL_OK);
	assert_int_equal(p->status(&ref, &st, NULL), DL_OK);
	assert_int_equal(st.status, CALL_QUEUED);
	ref.dialed_unix = 1000;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ref.now_unix = 1000 + steps[i].after;
		assert_int_equal(p->status(&ref, &st, NULL), DL_OK);
		assert_int_equal(st.status, steps[i].want);
	}
	assert_int_equal(st.duration_s, 30);
}

static void
test_sim_join_and_dial(void **state)
{
	const struct provider *p;
	struct provider_ref ref = { 7, "cd-x", NULL, NULL, NULL, 0, 5000 };
	struct provider_dial d = { { 7, "cd-x", NULL, NULL, NULL, 0, 5000 },
	    "+12025550143", "+12025550100", 30, NULL, 0, NULL, 0, 0 };
	struct provider_join a, b;
	char leg1[PROVIDER_SID_MAX], leg2[PROVIDER_SID_MAX];

	(void)state;
	assert_int_equal(provider_get("sim", &p, NULL, 0), DL_OK);
	assert_int_equal(p->join(&ref, "op_1", &a, NULL), DL_OK);
	assert_int_equal(p->join(&ref, "op_1", &b, NULL), DL_OK);
	assert_string_equal(a.identity, "op_1");
	assert_int_equal(a.expires_at, 5000 + 3600);
	assert_int_equal(strncmp(a.token, "sim.", 4), 0);
	assert_string_not_equal(a.token, b.token);
	assert_int_equal(p->join(&ref, "", &a, NULL), DL_ERR_INVALID);
	assert_int_equal(p->dial(&d, leg1, NULL), DL_OK);
	assert_int_equal(p->dial(&d, leg2, NULL), DL_OK);
	assert_int_equal(strncmp(leg1, "SIM", 3), 0);
	assert_int_equal(strlen(leg1), 35);
	assert_string_not_equal(leg1, leg2);
	d.to = "2025550143";
	assert_int_equal(p->dial(&d, leg1, NULL), DL_ERR_INVALID);
	assert_int_equal(p->mute(&ref, PROVIDER_CONTACT, 1, NULL), DL_OK);
	assert_int_equal(p->hold(&ref, 1, NULL), DL_OK);
	assert_int_equal(p->end(&ref, NULL), DL_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_factory),
		cmocka_unit_test(test_every_slot_is_filled),
		cmocka_unit_test(test_sim_walks_on_a_clock),
		cmocka_unit_test(test_sim_join_and_dial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
