/* provider: the factory's answers, and the simulator's clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
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

extern const struct provider provider_sim, provider_twilio, provider_telnyx;

static void
test_every_slot_is_filled(void **state)
{
	const struct provider *const all[] = { &provider_sim, &provider_twilio, &provider_telnyx };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const struct provider *p = all[i];

		assert_non_null(p->join);
		assert_non_null(p->dial);
		assert_non_null(p->mute);
		assert_non_null(p->hold);
		assert_non_null(p->end);
		assert_non_null(p->status);
		assert_non_null(p->webhook);
		assert_non_null(p->admit);
		assert_non_null(p->answered);
		assert_non_null(p->consent);
		assert_non_null(p->announce);
		assert_non_null(p->fetch_recording);
	}
	/* Only Telnyx plays the consent before the room. */
	assert_false(provider_sim.consent_first);
	assert_false(provider_twilio.consent_first);
	assert_true(provider_telnyx.consent_first);
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
	struct provider_ref ref = { 7, "cd-x", NULL, NULL, NULL, 0, 1000, 0 };
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
	struct provider_ref ref = { 7, "cd-x", NULL, NULL, NULL, 0, 5000, 0 };
	struct provider_dial d = { { 7, "cd-x", NULL, NULL, NULL, 0, 5000, 0 },
	    "+12025550143", "+12025550100", 30, NULL, 0, NULL, 0, 0, NULL, NULL };
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

/* A recorded simulated call names its recording once answered, the same
 * every time it is asked. */
static void
test_sim_recording_named(void **state)
{
	const struct provider *p;
	struct provider_ref ref = { 7, "cd-x", NULL, NULL, NULL, 1000, 1002, 1 };
	struct provider_status st;
	char first[PROVIDER_SID_MAX];

	(void)state;
	assert_int_equal(provider_get("sim", &p, NULL, 0), DL_OK);
	assert_int_equal(p->status(&ref, &st, NULL), DL_OK);
	assert_string_equal(st.recording_sid, ""); /* ringing */
	ref.now_unix = 1010;
	assert_int_equal(p->status(&ref, &st, NULL), DL_OK);
	assert_int_equal(strncmp(st.recording_sid, "SIMREC", 6), 0);
	memcpy(first, st.recording_sid, sizeof(first));
	ref.now_unix = 5000;
	assert_int_equal(p->status(&ref, &st, NULL), DL_OK);
	assert_string_equal(st.recording_sid, first);
	ref.recorded = 0;
	assert_int_equal(p->status(&ref, &st, NULL), DL_OK);
	assert_string_equal(st.recording_sid, "");
	/* Another call: another recording. */
	ref.recorded = 1;
	ref.call_id = 8;
	assert_int_equal(p->status(&ref, &st, NULL), DL_OK);
	assert_string_not_equal(st.recording_sid, first);
}

/* What a sink was given. */
static unsigned long
le(const unsigned char *p, int bytes)
{
	unsigned long v = 0;
	int i;

	for (i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
fetch(const char *sid, long duration, long long max, struct tu_got *g, enum dl_err want)
{
	struct provider_ref ref = { 7, "cd-x", NULL, NULL, NULL, 1000, 1100, 1 };
	struct provider_recording rec = { sid, "", duration };
	struct provider_sink sink = { tu_got_begin, tu_got_write, g, max };
	const struct provider *p;

	assert_int_equal(provider_get("sim", &p, NULL, 0), DL_OK);
	assert_int_equal(p->fetch_recording(&ref, &rec, &sink, NULL), want);
}

static void
test_sim_recording_is_a_short_wav(void **state)
{
	static const struct {
		long duration;
		unsigned long seconds;
	} cases[] = { { 30, 3 }, { 2, 2 }, { 0, 1 }, { -1, 1 } };
	struct tu_got g;
	size_t i, s;
	int loud = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long data = cases[i].seconds * 8000 * 2;

		memset(&g, 0, sizeof(g));
		fetch("SIMREC00000000000000070000003e8", cases[i].duration, 1 << 20, &g, DL_OK);
		assert_int_equal(g.begins, 1);
		assert_string_equal(g.type, "audio/wav");
		assert_int_equal(g.length, (long long)(44 + data));
		assert_int_equal(g.len, 44 + data);
		assert_memory_equal(g.bytes, "RIFF", 4);
		assert_int_equal(le(g.bytes + 4, 4), 36 + data);
		assert_memory_equal(g.bytes + 8, "WAVEfmt ", 8);
		assert_int_equal(le(g.bytes + 20, 2), 1);     /* PCM */
		assert_int_equal(le(g.bytes + 22, 2), 1);     /* mono */
		assert_int_equal(le(g.bytes + 24, 4), 8000);
		assert_int_equal(le(g.bytes + 34, 2), 16);
		assert_memory_equal(g.bytes + 36, "data", 4);
		assert_int_equal(le(g.bytes + 40, 4), data);
		/* A tone, and a quiet one. */
		for (s = 44; s < g.len; s += 2) {
			long v = (long)(int16_t)le(g.bytes + s, 2);

			assert_true(v >= -1000 && v <= 1000);
			if (v > 500)
				loud++;
		}
		assert_true(loud > 0);
		free(g.bytes);
	}
	/* Not the simulator's, or too large for the caller, or the caller gone. */
	memset(&g, 0, sizeof(g));
	fetch("RE0123", 30, 1 << 20, &g, DL_ERR_NOTFOUND);
	fetch("SIMREC1", 30, 1000, &g, DL_ERR_TOOBIG);
	assert_int_equal(g.begins, 0);
	g.stop_after = 100;
	fetch("SIMREC1", 30, 1 << 20, &g, DL_ERR_IO);
	assert_true(g.len < 44 + 3 * 16000);
	free(g.bytes);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_factory),
		cmocka_unit_test(test_every_slot_is_filled),
		cmocka_unit_test(test_sim_walks_on_a_clock),
		cmocka_unit_test(test_sim_join_and_dial),
		cmocka_unit_test(test_sim_recording_named),
		cmocka_unit_test(test_sim_recording_is_a_short_wav),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
