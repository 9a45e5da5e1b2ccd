/* callerid: local presence picks the pooled number nearest the prospect;
 * phone_area says where a number is. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "callerid.h"
#include "config.h"
#include "phone.h"

static int
reset(void **state)
{
	(void)state;
	unsetenv("DIALER_CONFIG");
	unsetenv("DIALER_CALLER_IDS");
	unsetenv("TWILIO_CALLER_ID");
	unsetenv("TELNYX_CALLER_ID");
	config_reset();
	return 0;
}

static void
use_pool(const char *pool)
{
	setenv("DIALER_CALLER_IDS", pool, 1);
	config_reset();
}

static void
expect(const char *to, const char *provider, const char *from, enum callerid_match how)
{
	enum callerid_match got;
	char out[20];

	assert_int_equal(callerid_pick(to, provider, out, &got), DL_OK);
	assert_string_equal(out, from);
	assert_int_equal(got, how);
}

static void
test_area(void **state)
{
	char area[24], region[4];

	(void)state;
	assert_int_equal(phone_area("+13125550143", area, sizeof(area), region), PHONE_OK);
	assert_string_equal(area, "+1312");
	assert_string_equal(region, "US");
	assert_int_equal(phone_area("+442079460018", area, sizeof(area), region), PHONE_OK);
	assert_string_equal(area, "+4420");
	assert_string_equal(region, "GB");
	/* A toll-free number has no geographic area. */
	assert_int_equal(phone_area("+18005550100", area, sizeof(area), region), PHONE_OK);
	assert_string_equal(area, "");
	assert_int_equal(phone_area("+1202", area, sizeof(area), region), PHONE_INVALID);
	assert_int_equal(phone_area("nonsense", area, sizeof(area), region), PHONE_NOT_A_NUMBER);
	assert_int_equal(phone_area("+13125550143", area, 4, region), PHONE_TOO_LONG);
}

static void
test_pick(void **state)
{
	(void)state;
	use_pool(" +1 312 555 0100,+12025550100 , +44 20 7946 0000");
	expect("+13125550143", "sim", "+13125550100", CALLERID_AREA_CODE);
	expect("+12025550143", "twilio", "+12025550100", CALLERID_AREA_CODE);
	expect("+14155550143", "twilio", "+13125550100", CALLERID_REGION);
	expect("+442079460018", "telnyx", "+442079460000", CALLERID_AREA_CODE);
	expect("+441614960018", "telnyx", "+442079460000", CALLERID_REGION);
	/* Toll-free has no area: the region decides. */
	expect("+18005550100", "sim", "+13125550100", CALLERID_REGION);
}

static void
test_defaults(void **state)
{
	(void)state;
	setenv("TWILIO_CALLER_ID", "+12025550199", 1);
	use_pool("+442079460000");
	expect("+13125550143", "twilio", "+12025550199", CALLERID_DEFAULT);
	expect("+13125550143", "telnyx", "", CALLERID_NONE);
	expect("+13125550143", "sim", "", CALLERID_NONE);
	assert_string_equal(callerid_match_name(CALLERID_AREA_CODE), "area_code");
	assert_string_equal(callerid_match_name(CALLERID_NONE), "none");
	assert_string_equal(callerid_match_name((enum callerid_match)42), "none");
}

static void
test_bad_pool(void **state)
{
	enum callerid_match how;
	char out[20];

	(void)state;
	/* A pool number must carry its country code. */
	use_pool("+13125550100,3125550101");
	assert_int_equal(callerid_pick("+13125550143", "sim", out, &how), DL_ERR_CONFIG);
	use_pool("+13125550100,,");
	assert_int_equal(callerid_pick("+13125550143", "sim", out, &how), DL_ERR_CONFIG);
	use_pool("+1312555010000000000000000000000000000000000000000000000000000000000000");
	assert_int_equal(callerid_pick("+13125550143", "sim", out, &how), DL_ERR_CONFIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_area, reset, reset),
		cmocka_unit_test_setup_teardown(test_pick, reset, reset),
		cmocka_unit_test_setup_teardown(test_defaults, reset, reset),
		cmocka_unit_test_setup_teardown(test_bad_pool, reset, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
