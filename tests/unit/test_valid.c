/*
 * Tests for lib/valid.c: UTF-8 checking and table-driven validation of
 * JSON bodies and query parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "valid.h"

#define U(s) valid_utf8((s), sizeof(s) - 1)

/* --- valid_utf8 ------------------------------------------------------ */

static void
test_utf8_ascii(void **state)
{
	(void)state;
	assert_int_equal(valid_utf8("", 0), 1);
	assert_int_equal(U("hello, world"), 1);
	assert_int_equal(U("\x01\x7f"), 1);
	/* NUL is a character like any other when the length says so. */
	assert_int_equal(U("a\0b"), 1);
}

static void
test_utf8_multibyte(void **state)
{
	(void)state;
	assert_int_equal(U("\xc2\x80"), 1);             /* U+0080, smallest 2-byte */
	assert_int_equal(U("caf\xc3\xa9"), 1);          /* é */
	assert_int_equal(U("\xdf\xbf"), 1);             /* U+07FF */
	assert_int_equal(U("\xe0\xa0\x80"), 1);         /* U+0800, smallest 3-byte */
	assert_int_equal(U("\xe2\x82\xac"), 1);         /* € */
	assert_int_equal(U("\xed\x9f\xbf"), 1);         /* U+D7FF, just below surrogates */
	assert_int_equal(U("\xee\x80\x80"), 1);         /* U+E000, just above */
	assert_int_equal(U("\xef\xbf\xbf"), 1);         /* U+FFFF */
	assert_int_equal(U("\xf0\x90\x80\x80"), 1);     /* U+10000, smallest 4-byte */
	assert_int_equal(U("\xf0\x9f\x98\x80"), 1);     /* 😀 */
	assert_int_equal(U("\xf4\x8f\xbf\xbf"), 1);     /* U+10FFFF, the last */
	assert_int_equal(U("a\xc3\xa9" "b\xe2\x82\xac" "c\xf0\x9f\x98\x80" "d"), 1);
}

static void
test_utf8_overlong(void **state)
{
	(void)state;
	assert_int_equal(U("\xc0\x80"), 0);
	assert_int_equal(U("\xc0\xaf"), 0);
	assert_int_equal(U("\xc1\xbf"), 0);
	assert_int_equal(U("\xe0\x80\x80"), 0);
	assert_int_equal(U("\xe0\x9f\xbf"), 0);
	assert_int_equal(U("\xf0\x80\x80\x80"), 0);
	assert_int_equal(U("\xf0\x8f\xbf\xbf"), 0);
}

static void
test_utf8_surrogates(void **state)
{
	(void)state;
	assert_int_equal(U("\xed\xa0\x80"), 0); /* U+D800 */
	assert_int_equal(U("\xed\xaf\xbf"), 0); /* U+DBFF */
	assert_int_equal(U("\xed\xb0\x80"), 0); /* U+DC00 */
	assert_int_equal(U("\xed\xbf\xbf"), 0); /* U+DFFF */
	/* A CESU-8 pair for 😀 is two surrogates, still refused. */
	assert_int_equal(U("\xed\xa0\xbd\xed\xb8\x80"), 0);
}

static void
test_utf8_beyond_unicode(void **state)
{
	(void)state;
	assert_int_equal(U("\xf4\x90\x80\x80"), 0); /* U+110000 */
	assert_int_equal(U("\xf5\x80\x80\x80"), 0);
	assert_int_equal(U("\xf7\xbf\xbf\xbf"), 0);
	assert_int_equal(U("\xf8\x88\x80\x80\x80"), 0);
	assert_int_equal(U("\xfe"), 0);
	assert_int_equal(U("\xff"), 0);
}

static void
test_utf8_truncated_and_stray(void **state)
{
	(void)state;
	assert_int_equal(U("\xc3"), 0);
	assert_int_equal(U("\xe2\x82"), 0);
	assert_int_equal(U("\xe2"), 0);
	assert_int_equal(U("\xf0\x9f\x98"), 0);
	assert_int_equal(U("\xf0\x9f"), 0);
	assert_int_equal(U("abc\xc3"), 0);
	/* The sequence is cut by an ASCII byte. */
	assert_int_equal(U("\xc3" "A"), 0);
	assert_int_equal(U("\xe2\x82" "A"), 0);
	assert_int_equal(U("\xf0\x9f\x98" "A"), 0);
	/* Lone continuation bytes. */
	assert_int_equal(U("\x80"), 0);
	assert_int_equal(U("a\xbf"), 0);
	assert_int_equal(U("\xc3\xa9\xa9"), 0);
	/* The length is honoured: a valid sequence cut by len is not valid. */
	assert_int_equal(valid_utf8("\xc3\xa9", 1), 0);
	assert_int_equal(valid_utf8("\xf0\x9f\x98\x80", 3), 0);
	assert_int_equal(valid_utf8("ab\xff", 2), 1);
}

/* --- valid_json ------------------------------------------------------ */

static const char *const roles[] = { "admin", "operator", NULL };

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static const struct valid_field fields[] = {
	{ "name", VALID_STRING, 1, 1, 5, NULL, NULL, "1 to 5 characters" },
	{ "role", VALID_ENUM, 0, 0, 0, roles, NULL, "admin or operator" },
	{ "count", VALID_INT, 0, 1, 10, NULL, NULL, "a number from 1 to 10" },
	{ "active", VALID_BOOL, 0, 0, 0, NULL, NULL, "true or false" },
	{ "code", VALID_STRING, 0, 0, 0, NULL, all_digits, "digits" },
	{ "notes", VALID_STRING, 0, 0, 0, NULL, NULL, NULL },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Validate a JSON text; *e is reset first so leftovers cannot pass. */
static enum dl_err
vj(const char *json, struct valid_error *e)
{
	cJSON *obj = cJSON_Parse(json);
	enum dl_err err;

	if (obj == NULL)
		fail_msg("bad JSON in test: %s", json);
	memset(e, 0, sizeof(*e));
	err = valid_json(obj, fields, NFIELDS, e);
	cJSON_Delete(obj);
	return err;
}

static void
expect_ok(const char *json)
{
	struct valid_error e;

	if (vj(json, &e) != DL_OK)
		fail_msg("%s refused: %s/%s: %s", json, e.field ? e.field : "?",
		    e.reason ? e.reason : "?", e.message);
}

static void
expect_bad(const char *json, const char *field, const char *reason)
{
	struct valid_error e;

	if (vj(json, &e) != DL_ERR_INVALID)
		fail_msg("%s accepted, expected %s/%s", json, field, reason);
	assert_non_null(e.field);
	assert_non_null(e.reason);
	if (strcmp(e.field, field) != 0 || strcmp(e.reason, reason) != 0)
		fail_msg("%s: got %s/%s, expected %s/%s", json, e.field, e.reason,
		    field, reason);
	/* The sentence names the field. */
	assert_non_null(strstr(e.message, field));
}

static void
test_json_ok(void **state)
{
	(void)state;
	expect_ok("{\"name\":\"Ada\"}");
	expect_ok("{\"name\":\"Ada\",\"role\":\"admin\",\"count\":3,\"active\":true,"
	    "\"code\":\"0123\",\"notes\":\"\"}");
	expect_ok("{\"name\":\"Ada\",\"role\":\"operator\",\"active\":false}");
	/* Optional fields may be null. */
	expect_ok("{\"name\":\"Ada\",\"role\":null,\"count\":null,\"active\":null,"
	    "\"code\":null}");
	/* Fields not in the table are ignored, whatever their type. */
	expect_ok("{\"name\":\"Ada\",\"extra\":[1,2,{}],\"Count\":\"x\"}");
}

static void
test_json_required(void **state)
{
	struct valid_error e;

	(void)state;
	expect_bad("{}", "name", "required");
	expect_bad("{\"name\":null}", "name", "required");
	/* Names are case-sensitive. */
	expect_bad("{\"Name\":\"Ada\"}", "name", "required");

	assert_int_equal(vj("{\"role\":\"admin\"}", &e), DL_ERR_INVALID);
	assert_string_equal(e.message, "\"name\" is required: 1 to 5 characters.");
}

static void
test_json_string_length_in_characters(void **state)
{
	(void)state;
	expect_ok("{\"name\":\"A\"}");
	expect_ok("{\"name\":\"abcde\"}");
	expect_bad("{\"name\":\"abcdef\"}", "name", "length");
	expect_bad("{\"name\":\"\"}", "name", "length");
	/* 5 characters, 6 bytes. */
	expect_ok("{\"name\":\"h\xc3\xa9llo\"}");
	/* 5 characters, 15 and 20 bytes. */
	expect_ok("{\"name\":\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\"}");
	expect_ok("{\"name\":\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"}");
	/* JSON escapes count as the characters they stand for. */
	expect_ok("{\"name\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}");
	expect_bad("{\"name\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}", "name",
	    "length");
	/* 6 characters. */
	expect_bad("{\"name\":\"h\xc3\xa9llo!\"}", "name", "length");
}

static void
test_json_string_no_max(void **state)
{
	char notes[2001], json[2100];

	(void)state;
	/* max 0: no upper limit. */
	memset(notes, 'x', sizeof(notes) - 1);
	notes[sizeof(notes) - 1] = '\0';
	snprintf(json, sizeof(json), "{\"name\":\"a\",\"notes\":\"%s\"}", notes);
	expect_ok(json);
}

static void
test_json_string_utf8(void **state)
{
	cJSON *obj = cJSON_CreateObject();
	struct valid_error e;

	(void)state;
	assert_non_null(cJSON_AddStringToObject(obj, "name", "\xc0\x80"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(valid_json(obj, fields, NFIELDS, &e), DL_ERR_INVALID);
	assert_string_equal(e.field, "name");
	assert_string_equal(e.reason, "utf8");
	cJSON_Delete(obj);

	obj = cJSON_CreateObject();
	assert_non_null(cJSON_AddStringToObject(obj, "name", "ok"));
	assert_non_null(cJSON_AddStringToObject(obj, "notes", "\xed\xa0\x80"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(valid_json(obj, fields, NFIELDS, &e), DL_ERR_INVALID);
	assert_string_equal(e.field, "notes");
	assert_string_equal(e.reason, "utf8");
	/* what == NULL: the sentence still says something. */
	assert_non_null(strstr(e.message, "a valid value"));
	cJSON_Delete(obj);
}

static void
test_json_string_wrong_type(void **state)
{
	(void)state;
	expect_bad("{\"name\":5}", "name", "type");
	expect_bad("{\"name\":true}", "name", "type");
	expect_bad("{\"name\":[\"Ada\"]}", "name", "type");
	expect_bad("{\"name\":{\"a\":1}}", "name", "type");
}

static void
test_json_check(void **state)
{
	(void)state;
	expect_ok("{\"name\":\"a\",\"code\":\"42\"}");
	expect_bad("{\"name\":\"a\",\"code\":\"4x2\"}", "code", "format");
	expect_bad("{\"name\":\"a\",\"code\":\"\"}", "code", "format");
	expect_bad("{\"name\":\"a\",\"code\":42}", "code", "type");
}

static void
test_json_enum(void **state)
{
	struct valid_error e;

	(void)state;
	expect_ok("{\"name\":\"a\",\"role\":\"admin\"}");
	expect_bad("{\"name\":\"a\",\"role\":\"root\"}", "role", "choice");
	expect_bad("{\"name\":\"a\",\"role\":\"Admin\"}", "role", "choice");
	expect_bad("{\"name\":\"a\",\"role\":\"\"}", "role", "choice");
	expect_bad("{\"name\":\"a\",\"role\":\"admin \"}", "role", "choice");
	expect_bad("{\"name\":\"a\",\"role\":1}", "role", "type");
	expect_bad("{\"name\":\"a\",\"role\":false}", "role", "type");

	assert_int_equal(vj("{\"name\":\"a\",\"role\":\"x\"}", &e), DL_ERR_INVALID);
	assert_string_equal(e.message, "\"role\" must be admin or operator.");
}

static void
test_json_int(void **state)
{
	struct valid_error e;

	(void)state;
	expect_ok("{\"name\":\"a\",\"count\":1}");
	expect_ok("{\"name\":\"a\",\"count\":10}");
	expect_ok("{\"name\":\"a\",\"count\":5.0}");
	expect_ok("{\"name\":\"a\",\"count\":1e1}");
	expect_bad("{\"name\":\"a\",\"count\":0}", "count", "range");
	expect_bad("{\"name\":\"a\",\"count\":11}", "count", "range");
	expect_bad("{\"name\":\"a\",\"count\":-1}", "count", "range");
	expect_bad("{\"name\":\"a\",\"count\":1.5}", "count", "type");
	expect_bad("{\"name\":\"a\",\"count\":9.999}", "count", "type");
	expect_bad("{\"name\":\"a\",\"count\":\"3\"}", "count", "type");
	expect_bad("{\"name\":\"a\",\"count\":true}", "count", "type");
	expect_bad("{\"name\":\"a\",\"count\":[3]}", "count", "type");

	assert_int_equal(vj("{\"name\":\"a\",\"count\":99}", &e), DL_ERR_INVALID);
	assert_string_equal(e.message,
	    "\"count\" is out of range; expected a number from 1 to 10.");
}

static void
test_json_int_huge(void **state)
{
	struct valid_error e;

	(void)state;
	/* Far outside long long: refused, as a type or range problem. */
	assert_int_equal(vj("{\"name\":\"a\",\"count\":1e300}", &e), DL_ERR_INVALID);
	assert_string_equal(e.field, "count");
	assert_true(strcmp(e.reason, "type") == 0 || strcmp(e.reason, "range") == 0);
	assert_int_equal(vj("{\"name\":\"a\",\"count\":-1e300}", &e), DL_ERR_INVALID);
	assert_string_equal(e.field, "count");
	assert_int_equal(vj("{\"name\":\"a\",\"count\":1e19}", &e), DL_ERR_INVALID);
	assert_string_equal(e.field, "count");
}

static void
test_json_bool(void **state)
{
	(void)state;
	expect_ok("{\"name\":\"a\",\"active\":true}");
	expect_ok("{\"name\":\"a\",\"active\":false}");
	expect_bad("{\"name\":\"a\",\"active\":\"true\"}", "active", "type");
	expect_bad("{\"name\":\"a\",\"active\":1}", "active", "type");
	expect_bad("{\"name\":\"a\",\"active\":0}", "active", "type");
	expect_bad("{\"name\":\"a\",\"active\":{}}", "active", "type");
}

static void
test_json_first_failure_wins(void **state)
{
	(void)state;
	/* Table order decides which failure is reported. */
	expect_bad("{\"count\":0,\"role\":\"x\"}", "name", "required");
	expect_bad("{\"name\":\"a\",\"active\":3,\"count\":0,\"role\":\"x\"}", "role",
	    "choice");
	expect_bad("{\"name\":\"a\",\"active\":3,\"count\":0}", "count", "range");
}

static void
test_json_empty_table(void **state)
{
	cJSON *obj = cJSON_Parse("{\"a\":1}");
	struct valid_error e;

	(void)state;
	assert_int_equal(valid_json(obj, fields, 0, &e), DL_OK);
	cJSON_Delete(obj);
}

/* --- valid_text ------------------------------------------------------ */

static const struct valid_field q_page = {
	"page", VALID_INT, 0, 1, 1000, NULL, NULL, "a page number"
};
static const struct valid_field q_id = {
	"id", VALID_INT, 1, 1, 9000000000000000000LL, NULL, NULL, "an id"
};
static const struct valid_field q_status = {
	"status", VALID_ENUM, 0, 0, 0, roles, NULL, "admin or operator"
};
static const struct valid_field q_q = {
	"q", VALID_STRING, 0, 0, 3, NULL, NULL, "at most 3 characters"
};
static const struct valid_field q_code = {
	"code", VALID_STRING, 1, 0, 0, NULL, all_digits, "digits"
};
static const struct valid_field q_flag = {
	"flag", VALID_BOOL, 0, 0, 0, NULL, NULL, "1 or 0"
};

static void
text_bad(const struct valid_field *f, const char *v, const char *reason)
{
	struct valid_error e;
	long long n = -777;

	memset(&e, 0, sizeof(e));
	if (valid_text(f, v, &n, &e) != DL_ERR_INVALID)
		fail_msg("%s=%s accepted", f->name, v ? v : "(null)");
	assert_string_equal(e.field, f->name);
	if (strcmp(e.reason, reason) != 0)
		fail_msg("%s=%s: reason %s, expected %s", f->name, v ? v : "(null)",
		    e.reason, reason);
	assert_int_equal(n, -777);
}

static void
test_text_int(void **state)
{
	struct valid_error e;
	long long n = -1;

	(void)state;
	assert_int_equal(valid_text(&q_page, "7", &n, &e), DL_OK);
	assert_int_equal(n, 7);
	assert_int_equal(valid_text(&q_page, "1000", &n, &e), DL_OK);
	assert_int_equal(n, 1000);
	assert_int_equal(valid_text(&q_page, "1", NULL, &e), DL_OK);
	assert_int_equal(valid_text(&q_id, "8999999999999999999", &n, &e), DL_OK);
	assert_int_equal(n, 8999999999999999999LL);
	text_bad(&q_page, "0", "range");
	text_bad(&q_page, "1001", "range");
	text_bad(&q_page, "-5", "range");
	text_bad(&q_page, "1.5", "type");
	text_bad(&q_page, "abc", "type");
	text_bad(&q_page, "5x", "type");
	text_bad(&q_page, "0x10", "type");
	text_bad(&q_page, "99999999999999999999999", "type");
	text_bad(&q_id, "9000000000000000001", "range");
}

static void
test_text_absent(void **state)
{
	struct valid_error e;
	long long n = 42;

	(void)state;
	/* Optional and absent or empty: fine, and *num is left alone. */
	assert_int_equal(valid_text(&q_page, NULL, &n, &e), DL_OK);
	assert_int_equal(n, 42);
	assert_int_equal(valid_text(&q_page, "", &n, &e), DL_OK);
	assert_int_equal(n, 42);
	assert_int_equal(valid_text(&q_status, NULL, NULL, &e), DL_OK);
	/* Required and absent or empty. */
	text_bad(&q_id, NULL, "required");
	text_bad(&q_id, "", "required");
	text_bad(&q_code, NULL, "required");
	memset(&e, 0, sizeof(e));
	assert_int_equal(valid_text(&q_id, NULL, NULL, &e), DL_ERR_INVALID);
	assert_string_equal(e.message, "\"id\" is required: an id.");
}

static void
test_text_enum_string_bool(void **state)
{
	struct valid_error e;

	(void)state;
	assert_int_equal(valid_text(&q_status, "admin", NULL, &e), DL_OK);
	text_bad(&q_status, "root", "choice");

	assert_int_equal(valid_text(&q_q, "abc", NULL, &e), DL_OK);
	assert_int_equal(valid_text(&q_q, "\xc3\xa9\xc3\xa9\xc3\xa9", NULL, &e), DL_OK);
	text_bad(&q_q, "abcd", "length");
	text_bad(&q_q, "\xff", "utf8");
	text_bad(&q_q, "a\xc3", "utf8");

	assert_int_equal(valid_text(&q_code, "2025550143", NULL, &e), DL_OK);
	text_bad(&q_code, "202-555", "format");

	assert_int_equal(valid_text(&q_flag, "1", NULL, &e), DL_OK);
	assert_int_equal(valid_text(&q_flag, "0", NULL, &e), DL_OK);
	assert_int_equal(valid_text(&q_flag, "true", NULL, &e), DL_OK);
	assert_int_equal(valid_text(&q_flag, "false", NULL, &e), DL_OK);
	text_bad(&q_flag, "yes", "type");
	text_bad(&q_flag, "2", "type");
	text_bad(&q_flag, "TRUE1", "type");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_ascii),
		cmocka_unit_test(test_utf8_multibyte),
		cmocka_unit_test(test_utf8_overlong),
		cmocka_unit_test(test_utf8_surrogates),
		cmocka_unit_test(test_utf8_beyond_unicode),
		cmocka_unit_test(test_utf8_truncated_and_stray),
		cmocka_unit_test(test_json_ok),
		cmocka_unit_test(test_json_required),
		cmocka_unit_test(test_json_string_length_in_characters),
		cmocka_unit_test(test_json_string_no_max),
		cmocka_unit_test(test_json_string_utf8),
		cmocka_unit_test(test_json_string_wrong_type),
		cmocka_unit_test(test_json_check),
		cmocka_unit_test(test_json_enum),
		cmocka_unit_test(test_json_int),
		cmocka_unit_test(test_json_int_huge),
		cmocka_unit_test(test_json_bool),
		cmocka_unit_test(test_json_first_failure_wins),
		cmocka_unit_test(test_json_empty_table),
		cmocka_unit_test(test_text_int),
		cmocka_unit_test(test_text_absent),
		cmocka_unit_test(test_text_enum_string_bool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
