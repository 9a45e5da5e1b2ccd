/*
 * Tests for lib/day.c: which texts are days (calendar rules, the
 * 1970..9999 range, exact shape), and that parse and format are each
 * other's inverse across the whole range, leap days included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "day.h"

static void
test_valid_and_not(void **state)
{
	static const char *const good[] = { "1970-01-01", "2026-11-24", "2024-02-29",
		"2000-02-29", "9999-12-31", NULL };
	static const char *const bad[] = { "1969-12-31", "2026-02-29", "1900-02-29",
		"2026-13-01", "2026-00-10", "2026-04-31", "2026-11-00", "2026-1-24",
		"2026-11-24T00:00:00Z", "2026/11/24", "+026-11-24", " 026-11-24",
		"2026-11-2x", "", NULL };
	size_t i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		assert_true(day_valid(good[i]));
	for (i = 0; bad[i] != NULL; i++)
		assert_false(day_valid(bad[i]));
	assert_false(day_valid(NULL));
}

static void
test_parse_format_round_trip(void **state)
{
	char out[DAY_LEN + 1];
	long day, last;

	(void)state;
	assert_int_equal(day_parse("1970-01-01", &day), DL_OK);
	assert_int_equal(day, 0);
	assert_int_equal(day_parse("2026-11-24", &day), DL_OK);
	assert_int_equal(day, 20781);
	assert_int_equal(day_parse("2026-02-30", &day), DL_ERR_INVALID);
	assert_int_equal(day_parse("9999-12-31", &last), DL_OK);
	for (day = 0; day <= last; day += 37) {
		long back;

		assert_int_equal(day_format(day, out), DL_OK);
		assert_true(day_valid(out));
		assert_int_equal(day_parse(out, &back), DL_OK);
		assert_int_equal(back, day);
	}
	assert_int_equal(day_format(last, out), DL_OK);
	assert_string_equal(out, "9999-12-31");
	assert_int_equal(day_format(last + 1, out), DL_ERR_INVALID);
	assert_int_equal(day_format(-1, out), DL_ERR_INVALID);
	assert_int_equal(day_parse("2024-02-28", &day), DL_OK);
	assert_int_equal(day_format(day + 1, out), DL_OK);
	assert_string_equal(out, "2024-02-29");
	assert_true(day_today() > 20000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_and_not),
		cmocka_unit_test(test_parse_format_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
