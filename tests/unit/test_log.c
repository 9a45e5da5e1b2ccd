/*
 * Tests for lib/log.c: logfmt quoting, masking, whole lines (cut only at
 * a pair boundary), and lib/http.c's default route, the one field of the
 * request line made from the URL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "log.h"
#include "testutil.h"

static char dir[64], logpath[128];

/* Quote into a fresh buffer of outsz bytes and compare. */
static void
quotes_to(const char *value, size_t outsz, const char *want)
{
	char out[512];

	assert_true(outsz <= sizeof(out));
	memset(out, 'X', sizeof(out));
	assert_ptr_equal(log_quote(value, out, outsz), out);
	assert_string_equal(out, want);
	assert_true(strlen(out) < outsz);
}

/*
 * A strict logfmt reader for what log_line writes: pairs one space apart,
 * keys [a-z0-9_], values bare (printable ASCII without space, '"', '=',
 * '\') or quoted with only the escapes log_quote makes. Returns the
 * number of pairs, or -1 at the first thing a log tool could misread.
 */
static int
pairs(const char *s)
{
	int n = 0;

	for (;;) {
		const char *k = s;

		while ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')
			s++;
		if (s == k || *s++ != '=')
			return -1;
		if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if ((unsigned char)*s < ' ' || *s == 0x7f)
					return -1;
				if (*s != '\\')
					continue;
				s++;
				if (*s == 'u') {
					int i;

					for (i = 1; i <= 4; i++)
						if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
							return -1;
					s += 4;
				} else if (strchr("\"\\nrt", *s) == NULL || *s == '\0') {
					return -1;
				}
			}
			s++;
		} else {
			const char *v = s;

			while ((unsigned char)*s > ' ' && (unsigned char)*s < 0x7f && *s != '"' &&
			    *s != '=' && *s != '\\')
				s++;
			if (s == v)
				return -1;
		}
		n++;
		if (*s == '\0' || *s == '\n')
			return *s == '\n' && s[1] != '\0' ? -1 : n;
		if (*s++ != ' ')
			return -1;
	}
}

/* The log file's last line (newline kept) into out. */
static void
last_line(char *out, size_t outsz)
{
	static char text[1 << 16];
	FILE *f = fopen(logpath, "r");
	size_t n;
	char *start;

	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	assert_int_equal(fclose(f), 0);
	text[n] = '\0';
	assert_true(n > 0 && text[n - 1] == '\n');
	text[n - 1] = '\0';
	start = strrchr(text, '\n');
	start = start != NULL ? start + 1 : text;
	assert_true((size_t)snprintf(out, outsz, "%s\n", start) < outsz);
}

static void
test_plain_values_stay_bare(void **state)
{
	(void)state;
	quotes_to("admin", 64, "admin");
	quotes_to("/api/v1/calls/{id}/token", 64, "/api/v1/calls/{id}/token");
	quotes_to("********0143", 64, "********0143");
	quotes_to("a.b-c_d:e,f/g{h}", 64, "a.b-c_d:e,f/g{h}");
}

static void
test_empty_and_null_are_quoted(void **state)
{
	(void)state;
	quotes_to("", 8, "\"\"");
	quotes_to(NULL, 8, "\"\"");
}

static void
test_separators_force_quotes(void **state)
{
	(void)state;
	quotes_to("evil value", 64, "\"evil value\"");
	quotes_to("a=1", 64, "\"a=1\"");
	quotes_to("x status=200", 64, "\"x status=200\"");
	quotes_to("say \"hi\"", 64, "\"say \\\"hi\\\"\"");
	quotes_to("C:\\temp", 64, "\"C:\\\\temp\"");
}

static void
test_control_bytes_are_escaped(void **state)
{
	(void)state;
	/* A newline would start a forged line of its own. */
	quotes_to("a\nrequest_id=x", 64, "\"a\\nrequest_id=x\"");
	quotes_to("a\r\tb", 64, "\"a\\r\\tb\"");
	quotes_to("\x01\x1f\x7f", 64, "\"\\u0001\\u001f\\u007f\"");
	quotes_to("\x1b[31mred", 64, "\"\\u001b[31mred\"");
}

static void
test_utf8_kept_and_invalid_bytes_replaced(void **state)
{
	(void)state;
	quotes_to("Zoë", 64, "\"Zoë\"");
	quotes_to("日本", 64, "\"日本\"");
	quotes_to("😀", 64, "\"😀\"");
	quotes_to("a\xff", 64, "\"a\\ufffd\"");
	/* Overlong "/", a surrogate, past U+10FFFF, a sequence cut short. */
	quotes_to("\xc0\xaf", 64, "\"\\ufffd\\ufffd\"");
	quotes_to("\xed\xa0\x80", 64, "\"\\ufffd\\ufffd\\ufffd\"");
	quotes_to("\xf4\x90\x80\x80", 64, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	quotes_to("\xe6\x97", 64, "\"\\ufffd\\ufffd\"");
	quotes_to("\xe6\x97x", 64, "\"\\ufffd\\ufffdx\"");
}

static void
test_cut_short_stays_closed(void **state)
{
	(void)state;
	quotes_to("abcdef", 4, "abc");
	quotes_to("a b c d", 5, "\"a \"");
	/* Never half an escape ... */
	quotes_to("a\"b", 4, "\"a\"");
	quotes_to("\x01xyz", 8, "\"\"");
	quotes_to("\x01xyz", 9, "\"\\u0001\"");
	quotes_to("a\xff", 8, "\"a\"");
	/* ... nor half a UTF-8 sequence. */
	quotes_to("a日", 5, "\"a\"");
	quotes_to("a日", 6, "\"a\"");
	quotes_to("a日", 7, "\"a日\"");
	quotes_to("x y", 2, "");
}

static void
test_quoted_values_read_back(void **state)
{
	static const char *const values[] = {
		"", "plain", "two words", "k=v", "q\"uote", "back\\slash", "new\nline",
		"\x01\x02", "Zoë", "\xff\xfe", "trailing\\", "=\"\\\n",
	};
	char line[600], q[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(line, sizeof(line), "a=1 v=%s b=2", log_quote(values[i], q, sizeof(q)));
		assert_int_equal(pairs(line), 3);
	}
}

static void
test_mask_phone(void **state)
{
	char out[32];

	(void)state;
	log_mask_phone("+12025550143", out, sizeof(out));
	assert_string_equal(out, "********0143");
	log_mask_phone("+1 202-555-0143", out, sizeof(out));
	assert_string_equal(out, "***********0143");
	log_mask_phone("012", out, sizeof(out));
	assert_string_equal(out, "012");
	log_mask_phone(NULL, out, sizeof(out));
	assert_string_equal(out, "");
	/* Short of room: the end is kept, never the leading digits. */
	log_mask_phone("+12025550143", out, 6);
	assert_string_equal(out, "*0143");
	log_mask_phone("+12025550143", out, 3);
	assert_string_equal(out, "43");
}

static void
test_line_is_logfmt(void **state)
{
	char line[LOG_LINE_MAX + 2];

	(void)state;
	log_line("request_id=abc event=test who=%s n=%d", LOG_Q("a b\"c"), 7);
	last_line(line, sizeof(line));
	assert_int_equal(strncmp(line, "ts=", 3), 0);
	/* 2024-05-01T12:00:00.123Z */
	assert_int_equal(strlen(line) > 28 && line[7] == '-' && line[13] == 'T' &&
	    line[26] == 'Z' && line[27] == ' ', 1);
	assert_non_null(strstr(line, " program=test_log request_id=abc event=test "
	    "who=\"a b\\\"c\" n=7\n"));
	assert_int_equal(pairs(line), 6);
}

static void
test_long_line_is_cut_at_a_pair(void **state)
{
	static char big[LOG_LINE_MAX * 2], q[LOG_LINE_MAX * 2];
	char line[LOG_LINE_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i + 1 < sizeof(big); i++)
		big[i] = i % 5 == 0 ? ' ' : i % 7 == 0 ? '"' : 'x';
	big[sizeof(big) - 1] = '\0';
	log_line("event=big a=1 v=%s b=2", log_quote(big, q, sizeof(q)));
	last_line(line, sizeof(line));
	assert_true(strlen(line) <= LOG_LINE_MAX);
	assert_non_null(strstr(line, " event=big a=1 truncated=1\n"));
	assert_int_equal(pairs(line), 5);

	/* Many short pairs: only whole ones survive. */
	for (i = 0; i + 8 < sizeof(big); i += 8)
		memcpy(big + i, "k=\"v w\" ", 8);
	big[i] = '\0';
	log_line("event=many %s", big);
	last_line(line, sizeof(line));
	assert_true(strlen(line) <= LOG_LINE_MAX);
	assert_non_null(strstr(line, " k=\"v w\" truncated=1\n"));
	assert_true(pairs(line) > 100);
}

static void
test_default_route(void **state)
{
	static const struct {
		const char *path, *route;
	} cases[] = {
		{ "/api/v1/lists", "/api/v1/lists" },
		{ "/api/v1/lists/42", "/api/v1/lists/{id}" },
		{ "/api/v1/calls/7/token", "/api/v1/calls/{id}/token" },
		{ "/api/v1/calls.csv", "/api/v1/calls.csv" },
		{ "/api/v1/twilio/call-status", "/api/v1/twilio/call-status" },
		{ "/api/v1/x/+12025550143", "/api/v1/x/{id}" },
		{ "/api/v1/x/%2B12025550143", "/api/v1/x/{id}" },
		{ "/aicallgo/api/v1/cold-call/status/CFabcdef", "/aicallgo/api/v1/cold-call/status/{id}" },
		{ "/api/v1/a b/x\"y", "/api/v1/{id}/{id}" },
		{ "/api/v1/abcdefghijklmnopqrstuvwxyzabcdefg", "/api/v1/{id}" },
		{ "/api/v1/lists/", "/api/v1/lists/" },
		{ "/", "/" },
		{ "", "/" },
		{ "/a/b/c/d/e/f/g/h/i/j/k", "/a/b/c/d/e/f/g/h/*" },
		{ "/api/v2/x/v12345/ab1", "/api/v2/x/{id}/{id}" },
	};
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		http_route_of(cases[i].path, out, sizeof(out));
		assert_string_equal(out, cases[i].route);
	}
	/* Short of room, whole segments only. */
	http_route_of("/api/v1/lists/42", out, 14);
	assert_string_equal(out, "/api/v1/lists");
	http_route_of("/api/v1/lists/42", out, 13);
	assert_string_equal(out, "/api/v1");
}

static int
setup(void **state)
{
	(void)state;
	tu_env_clean();
	tu_mkdtemp(dir, sizeof(dir));
	assert_true((size_t)snprintf(logpath, sizeof(logpath), "%s/requests.log", dir) <
	    sizeof(logpath));
	setenv("DIALER_LOG", logpath, 1);
	log_set_program("test_log");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unsetenv("DIALER_LOG");
	tu_rmdir(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_values_stay_bare),
		cmocka_unit_test(test_empty_and_null_are_quoted),
		cmocka_unit_test(test_separators_force_quotes),
		cmocka_unit_test(test_control_bytes_are_escaped),
		cmocka_unit_test(test_utf8_kept_and_invalid_bytes_replaced),
		cmocka_unit_test(test_cut_short_stays_closed),
		cmocka_unit_test(test_quoted_values_read_back),
		cmocka_unit_test(test_mask_phone),
		cmocka_unit_test(test_line_is_logfmt),
		cmocka_unit_test(test_long_line_is_cut_at_a_pair),
		cmocka_unit_test(test_default_route),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
