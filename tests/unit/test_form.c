/*
 * Tests for lib/form.c: application/x-www-form-urlencoded parsing.
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

/* Parse a NUL-terminated string that must be accepted. */
static struct form *
parse_ok(const char *s)
{
	struct form *f = NULL;

	assert_int_equal(form_parse(s, strlen(s), &f), DL_OK);
	assert_non_null(f);
	return f;
}

/* Parse `len` bytes that must be refused; *out is left alone. */
static void
parse_bad(const char *s, size_t len)
{
	struct form *sentinel = (struct form *)(uintptr_t)0x1;
	struct form *f = sentinel;

	assert_int_equal(form_parse(s, len, &f), DL_ERR_INVALID);
	assert_ptr_equal(f, sentinel);
}

static void
test_empty(void **state)
{
	struct form *f = NULL;

	(void)state;
	assert_int_equal(form_parse("", 0, &f), DL_OK);
	assert_non_null(f);
	assert_int_equal(form_count(f), 0);
	assert_null(form_get(f, "a"));
	assert_null(form_get(f, ""));
	assert_null(form_key(f, 0));
	assert_null(form_value(f, 0));
	form_free(f);
}

static void
test_only_separators(void **state)
{
	struct form *f;

	(void)state;
	f = parse_ok("&");
	assert_int_equal(form_count(f), 0);
	form_free(f);
	f = parse_ok("&&&");
	assert_int_equal(form_count(f), 0);
	form_free(f);
}

static void
test_single(void **state)
{
	struct form *f = parse_ok("name=Ada");

	(void)state;
	assert_int_equal(form_count(f), 1);
	assert_string_equal(form_key(f, 0), "name");
	assert_string_equal(form_value(f, 0), "Ada");
	assert_string_equal(form_get(f, "name"), "Ada");
	assert_null(form_get(f, "Name")); /* keys are case-sensitive */
	assert_null(form_get(f, "nam"));
	assert_null(form_key(f, 1));
	assert_null(form_value(f, 1));
	form_free(f);
}

static void
test_several_in_order(void **state)
{
	struct form *f = parse_ok("a=1&b=2&c=3");

	(void)state;
	assert_int_equal(form_count(f), 3);
	assert_string_equal(form_key(f, 0), "a");
	assert_string_equal(form_value(f, 0), "1");
	assert_string_equal(form_key(f, 1), "b");
	assert_string_equal(form_value(f, 1), "2");
	assert_string_equal(form_key(f, 2), "c");
	assert_string_equal(form_value(f, 2), "3");
	assert_string_equal(form_get(f, "b"), "2");
	assert_null(form_key(f, 3));
	assert_null(form_key(f, (size_t)-1));
	form_free(f);
}

static void
test_repeated_key_first_wins(void **state)
{
	struct form *f = parse_ok("x=first&y=1&x=second&x=third");

	(void)state;
	assert_int_equal(form_count(f), 4);
	assert_string_equal(form_get(f, "x"), "first");
	/* Every occurrence stays available by index, in order. */
	assert_string_equal(form_key(f, 2), "x");
	assert_string_equal(form_value(f, 2), "second");
	assert_string_equal(form_value(f, 3), "third");
	form_free(f);
}

static void
test_plus_is_space(void **state)
{
	struct form *f = parse_ok("full+name=Ada+Lovelace&q=a++b&p=+");

	(void)state;
	assert_string_equal(form_get(f, "full name"), "Ada Lovelace");
	assert_string_equal(form_get(f, "q"), "a  b");
	assert_string_equal(form_get(f, "p"), " ");
	form_free(f);

	/* An encoded plus stays a plus. */
	f = parse_ok("tel=%2B12025550143");
	assert_string_equal(form_get(f, "tel"), "+12025550143");
	form_free(f);
}

static void
test_percent_decoding(void **state)
{
	struct form *f = parse_ok("k%3Dx=a%26b%3Dc&s=%2f%2F&u=caf%C3%A9&sp=%20");

	(void)state;
	assert_int_equal(form_count(f), 4);
	assert_string_equal(form_key(f, 0), "k=x");
	assert_string_equal(form_value(f, 0), "a&b=c");
	assert_string_equal(form_get(f, "s"), "//");
	assert_string_equal(form_get(f, "u"), "caf\xc3\xa9");
	assert_string_equal(form_get(f, "sp"), " ");
	form_free(f);

	/* Every hex digit, both cases. */
	f = parse_ok("h=%41%5a%5A%7e%7E%30%39");
	assert_string_equal(form_get(f, "h"), "AZZ~~09");
	form_free(f);

	/* High bytes come through as they are. */
	f = parse_ok("b=%ff%80");
	assert_int_equal((unsigned char)form_get(f, "b")[0], 0xff);
	assert_int_equal((unsigned char)form_get(f, "b")[1], 0x80);
	assert_int_equal(strlen(form_get(f, "b")), 2);
	form_free(f);
}

static void
test_malformed_escapes(void **state)
{
	(void)state;
	parse_bad("a=%G1", 5);
	parse_bad("a=%1G", 5);
	parse_bad("a=%", 3);
	parse_bad("a=%4", 4);
	parse_bad("a=x%", 4);
	parse_bad("a=%%41", 6);
	parse_bad("a=% 1", 5);
	parse_bad("%zz=1", 5);
	parse_bad("k%=v", 4);
	/* The error is found in a later pair too. */
	parse_bad("a=1&b=2&c=%4", 12);
	/* A trailing % in the key of a pair without '='. */
	parse_bad("ok=1&bad%", 9);
}

static void
test_nul_refused(void **state)
{
	(void)state;
	parse_bad("a=%00", 5);
	parse_bad("%00=a", 5);
	parse_bad("a=x%00y", 7);
	/* A raw NUL byte inside the counted length. */
	parse_bad("a=b\0c", 5);
	parse_bad("a\0=b", 4);
}

static void
test_length_not_nul(void **state)
{
	struct form *f = NULL;

	(void)state;
	/* Only `len` bytes are read: the rest of the string is not parsed. */
	assert_int_equal(form_parse("a=1&b=2", 3, &f), DL_OK);
	assert_int_equal(form_count(f), 1);
	assert_string_equal(form_get(f, "a"), "1");
	assert_null(form_get(f, "b"));
	form_free(f);

	/* A cut through an escape is an error, not a read past the end. */
	assert_int_equal(form_parse("a=%41", 4, &f), DL_ERR_INVALID);
}

static void
test_key_without_equals(void **state)
{
	struct form *f = parse_ok("flag&x=1&other");

	(void)state;
	assert_int_equal(form_count(f), 3);
	assert_string_equal(form_key(f, 0), "flag");
	assert_string_equal(form_value(f, 0), "");
	assert_string_equal(form_get(f, "flag"), "");
	assert_string_equal(form_get(f, "x"), "1");
	assert_string_equal(form_get(f, "other"), "");
	form_free(f);
}

static void
test_empty_key_and_value(void **state)
{
	struct form *f = parse_ok("=v&k=&=");

	(void)state;
	assert_int_equal(form_count(f), 3);
	assert_string_equal(form_key(f, 0), "");
	assert_string_equal(form_value(f, 0), "v");
	assert_string_equal(form_key(f, 1), "k");
	assert_string_equal(form_value(f, 1), "");
	assert_string_equal(form_get(f, ""), "v");
	assert_string_equal(form_get(f, "k"), "");
	form_free(f);
}

static void
test_value_with_equals(void **state)
{
	struct form *f = parse_ok("token=abc==&e=a=b=c");

	(void)state;
	/* Only the first '=' splits. */
	assert_string_equal(form_get(f, "token"), "abc==");
	assert_string_equal(form_get(f, "e"), "a=b=c");
	form_free(f);
}

static void
test_empty_pairs_skipped(void **state)
{
	struct form *f = parse_ok("&&a=1&&b=2&&");

	(void)state;
	assert_int_equal(form_count(f), 2);
	assert_string_equal(form_key(f, 0), "a");
	assert_string_equal(form_key(f, 1), "b");
	assert_string_equal(form_value(f, 1), "2");
	form_free(f);
}

static void
test_many_pairs(void **state)
{
	char buf[8192], key[16];
	size_t len = 0, i;
	struct form *f;

	(void)state;
	/* Enough pairs to grow the array several times. */
	for (i = 0; i < 500; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%sk%zu=v%zu",
		    i ? "&" : "", i, i);
	f = parse_ok(buf);
	assert_int_equal(form_count(f), 500);
	for (i = 0; i < 500; i += 37) {
		char want[16];

		snprintf(key, sizeof(key), "k%zu", i);
		snprintf(want, sizeof(want), "v%zu", i);
		assert_string_equal(form_key(f, i), key);
		assert_string_equal(form_get(f, key), want);
	}
	assert_string_equal(form_value(f, 499), "v499");
	form_free(f);
}

static void
test_null_form(void **state)
{
	(void)state;
	assert_int_equal(form_count(NULL), 0);
	assert_null(form_get(NULL, "a"));
	assert_null(form_key(NULL, 0));
	assert_null(form_value(NULL, 0));
	form_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_only_separators),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_several_in_order),
		cmocka_unit_test(test_repeated_key_first_wins),
		cmocka_unit_test(test_plus_is_space),
		cmocka_unit_test(test_percent_decoding),
		cmocka_unit_test(test_malformed_escapes),
		cmocka_unit_test(test_nul_refused),
		cmocka_unit_test(test_length_not_nul),
		cmocka_unit_test(test_key_without_equals),
		cmocka_unit_test(test_empty_key_and_value),
		cmocka_unit_test(test_value_with_equals),
		cmocka_unit_test(test_empty_pairs_skipped),
		cmocka_unit_test(test_many_pairs),
		cmocka_unit_test(test_null_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
