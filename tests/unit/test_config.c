/*
 * Tests for lib/config.c: the KEY=VALUE file at $DIALER_CONFIG, the
 * environment over it, the defaults table and the typed getters.
 * Every test starts and ends with a clean environment and config_reset().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "testutil.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	tu_env_clean();
	tu_mkdtemp(fx->dir, sizeof(fx->dir));
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	tu_env_clean();
	tu_rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Write the config file and point DIALER_CONFIG at it. */
static void
use_file(struct fixture *fx, const char *text)
{
	tu_write_file(fx->dir, "dialer.conf", text, fx->path, sizeof(fx->path));
	assert_int_equal(setenv("DIALER_CONFIG", fx->path, 1), 0);
	config_reset();
}

static void
test_file_parsing(void **state)
{
	struct fixture *fx = *state;

	use_file(fx,
	    "# a comment\n"
	    "   # an indented comment\n"
	    "\n"
	    "   \n"
	    "\t\n"
	    "DIALER_PROVIDER=twilio\n"
	    "  DIALER_PUBLIC_URL =   https://dialer.example.test/app  \n"
	    "\tDIALER_SESSION_IDLE\t=\t\"600\"\n"
	    "DIALER_TEST_UNKNOWN='single quoted'\n"
	    "DIALER_BODY_LIMIT=\"  inner spaces kept  \"\n"
	    "DIALER_TEST_LONG=a=b=c\n"
	    "DIALER_LOGIN_WINDOW=60\r\n"
	    "DIALER_TEST_BOOL=\"mismatched'\n"
	    "DIALER_UPLOAD_LIMIT=\"\n"
	    "TWILIO_AUTH_TOKEN = tok # not a comment\n");
	assert_int_equal(config_load(), DL_OK);
	assert_string_equal(config_get("DIALER_PROVIDER"), "twilio");
	assert_string_equal(config_get("DIALER_PUBLIC_URL"), "https://dialer.example.test/app");
	assert_string_equal(config_get("DIALER_SESSION_IDLE"), "600");
	assert_string_equal(config_get("DIALER_TEST_UNKNOWN"), "single quoted");
	assert_string_equal(config_get("DIALER_BODY_LIMIT"), "  inner spaces kept  ");
	/* Only the first '=' splits. */
	assert_string_equal(config_get("DIALER_TEST_LONG"), "a=b=c");
	/* CRLF line ends are fine. */
	assert_string_equal(config_get("DIALER_LOGIN_WINDOW"), "60");
	/* Quotes come off only in matching pairs. */
	assert_string_equal(config_get("DIALER_TEST_BOOL"), "\"mismatched'");
	assert_string_equal(config_get("DIALER_UPLOAD_LIMIT"), "\"");
	assert_string_equal(config_get("TWILIO_AUTH_TOKEN"), "tok # not a comment");
	/* Untouched keys keep their defaults. */
	assert_string_equal(config_get("DIALER_DB"), "var/dialer.db");
}

static void
test_no_trailing_newline(void **state)
{
	struct fixture *fx = *state;

	use_file(fx, "DIALER_PROVIDER=telnyx");
	assert_int_equal(config_load(), DL_OK);
	assert_string_equal(config_get("DIALER_PROVIDER"), "telnyx");
}

static void
test_empty_value_is_unset(void **state)
{
	struct fixture *fx = *state;

	use_file(fx, "DIALER_TEST_UNKNOWN=\nDIALER_TEST_LONG=\"\"\n");
	assert_int_equal(config_load(), DL_OK);
	assert_null(config_get("DIALER_TEST_UNKNOWN"));
	assert_null(config_get("DIALER_TEST_LONG"));
}

static void
test_later_lines_win(void **state)
{
	struct fixture *fx = *state;

	use_file(fx,
	    "DIALER_PROVIDER=twilio\n"
	    "DIALER_TEST_UNKNOWN=one\n"
	    "DIALER_PROVIDER=telnyx\n"
	    "DIALER_TEST_UNKNOWN=two\n"
	    "DIALER_TEST_UNKNOWN=three\n");
	assert_int_equal(config_load(), DL_OK);
	assert_string_equal(config_get("DIALER_PROVIDER"), "telnyx");
	assert_string_equal(config_get("DIALER_TEST_UNKNOWN"), "three");
}

static void
expect_malformed(struct fixture *fx, const char *text)
{
	use_file(fx, text);
	if (config_load() != DL_ERR_CONFIG)
		fail_msg("accepted: %s", text);
	/* Nothing of a refused file is kept. */
	assert_string_equal(config_get("DIALER_PROVIDER"), "sim");
	assert_null(config_get("DIALER_TEST_UNKNOWN"));
}

static void
test_malformed_lines(void **state)
{
	struct fixture *fx = *state;

	expect_malformed(fx, "DIALER_PROVIDER=twilio\nNO_EQUALS_SIGN\n");
	expect_malformed(fx, "DIALER_PROVIDER=twilio\nlower_case=1\n");
	expect_malformed(fx, "DIALER_PROVIDER=twilio\n=value\n");
	expect_malformed(fx, "DIALER_PROVIDER=twilio\nBAD KEY=1\n");
	expect_malformed(fx, "DIALER_PROVIDER=twilio\nDIALER-PROVIDER=1\n");
	expect_malformed(fx, "DIALER_PROVIDER=twilio\nexport DIALER_TEST_UNKNOWN=1\n");
	expect_malformed(fx, "DIALER_TEST_UNKNOWN=1\nDIALER_PROVIDER=twilio\n[section]\n");
}

static void
test_line_too_long(void **state)
{
	struct fixture *fx = *state;
	size_t n = 6000;
	char *text = malloc(n + 32);

	assert_non_null(text);
	memcpy(text, "DIALER_TEST_UNKNOWN=", 20);
	memset(text + 20, 'v', n);
	memcpy(text + 20 + n, "\n", 2);
	use_file(fx, text);
	free(text);
	assert_int_equal(config_load(), DL_ERR_CONFIG);
	assert_null(config_get("DIALER_TEST_UNKNOWN"));
}

static void
test_failed_load_can_retry(void **state)
{
	struct fixture *fx = *state;

	use_file(fx, "oops\n");
	assert_int_equal(config_load(), DL_ERR_CONFIG);
	/* Fix the file: the next load reads it (a failure is not "loaded"). */
	tu_write_file(fx->dir, "dialer.conf", "DIALER_PROVIDER=twilio\n", fx->path,
	    sizeof(fx->path));
	assert_int_equal(config_load(), DL_OK);
	assert_string_equal(config_get("DIALER_PROVIDER"), "twilio");
}

static void
test_missing_named_file(void **state)
{
	struct fixture *fx = *state;
	char path[160];

	snprintf(path, sizeof(path), "%s/no-such.conf", fx->dir);
	assert_int_equal(setenv("DIALER_CONFIG", path, 1), 0);
	config_reset();
	assert_int_equal(config_load(), DL_ERR_CONFIG);
	/* A directory is not a readable file either. */
	assert_int_equal(setenv("DIALER_CONFIG", fx->dir, 1), 0);
	config_reset();
	assert_int_equal(config_load(), DL_ERR_CONFIG);
}

/* Run `fn` with the working directory at `dir`, then come back. */
static void
in_dir(const char *dir, void (*fn)(void *), void *arg)
{
	char cwd[4096];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	fn(arg);
	assert_int_equal(chdir(cwd), 0);
}

static void
load_default_missing(void *arg)
{
	(void)arg;
	unsetenv("DIALER_CONFIG");
	config_reset();
	assert_int_equal(config_load(), DL_OK);
	assert_string_equal(config_get("DIALER_PROVIDER"), "sim");
	/* DIALER_CONFIG set but empty means the default too. */
	assert_int_equal(setenv("DIALER_CONFIG", "", 1), 0);
	config_reset();
	assert_int_equal(config_load(), DL_OK);
}

static void
test_missing_default_file_ok(void **state)
{
	struct fixture *fx = *state;

	/* No etc/dialer.conf under the temporary directory. */
	in_dir(fx->dir, load_default_missing, NULL);
}

static void
load_default_present(void *arg)
{
	(void)arg;
	unsetenv("DIALER_CONFIG");
	config_reset();
	assert_int_equal(config_load(), DL_OK);
	assert_string_equal(config_get("DIALER_PROVIDER"), "telnyx");
	config_reset();
}

static void
test_default_file_read(void **state)
{
	struct fixture *fx = *state;
	char etc[128], path[160];

	snprintf(etc, sizeof(etc), "%s/etc", fx->dir);
	assert_int_equal(mkdir(etc, 0700), 0);
	tu_write_file(etc, "dialer.conf", "DIALER_PROVIDER=telnyx\n", path, sizeof(path));
	in_dir(fx->dir, load_default_present, NULL);
	tu_rmdir(etc);
}

static void
test_environment_overrides_file(void **state)
{
	struct fixture *fx = *state;

	use_file(fx, "DIALER_PROVIDER=twilio\nDIALER_TEST_UNKNOWN=from-file\n");
	assert_int_equal(setenv("DIALER_PROVIDER", "telnyx", 1), 0);
	assert_int_equal(config_load(), DL_OK);
	assert_string_equal(config_get("DIALER_PROVIDER"), "telnyx");
	assert_string_equal(config_get("DIALER_TEST_UNKNOWN"), "from-file");
	/* The environment is read at each get, over the file. */
	assert_int_equal(setenv("DIALER_TEST_UNKNOWN", "from-env", 1), 0);
	assert_string_equal(config_get("DIALER_TEST_UNKNOWN"), "from-env");
	/* An empty variable does not hide the file. */
	assert_int_equal(setenv("DIALER_PROVIDER", "", 1), 0);
	assert_string_equal(config_get("DIALER_PROVIDER"), "twilio");
	/* ... nor the default. */
	assert_int_equal(setenv("DIALER_DB", "", 1), 0);
	assert_string_equal(config_get("DIALER_DB"), "var/dialer.db");
}

static void
test_defaults(void **state)
{
	struct fixture *fx = *state;

	use_file(fx, "# nothing\n");
	assert_int_equal(config_load(), DL_OK);
	assert_string_equal(config_get("DIALER_DB"), "var/dialer.db");
	assert_string_equal(config_get("DIALER_DEFAULT_REGION"), "US");
	assert_string_equal(config_get("DIALER_PROVIDER"), "sim");
	assert_string_equal(config_get("DIALER_SESSION_IDLE"), "7200");
	assert_string_equal(config_get("DIALER_SESSION_MAX"), "43200");
	assert_string_equal(config_get("DIALER_LOGIN_WINDOW"), "900");
	assert_string_equal(config_get("DIALER_LOGIN_MAX_PER_USER"), "5");
	assert_string_equal(config_get("DIALER_LOGIN_MAX_PER_ADDR"), "20");
	assert_null(config_get("DIALER_API_KEY"));
	assert_null(config_get("DIALER_PUBLIC_URL"));
	assert_null(config_get("DIALER_TEST_UNKNOWN"));
	assert_null(config_get("NOT_A_SETTING_AT_ALL"));
	/* Environment over default. */
	assert_int_equal(setenv("DIALER_DB", "/srv/dialer.db", 1), 0);
	assert_string_equal(config_get("DIALER_DB"), "/srv/dialer.db");
}

static void
test_load_idempotent(void **state)
{
	struct fixture *fx = *state;

	use_file(fx, "DIALER_PROVIDER=twilio\n");
	assert_int_equal(config_load(), DL_OK);
	/* A second load neither re-reads nor duplicates anything. */
	tu_write_file(fx->dir, "dialer.conf", "DIALER_PROVIDER=telnyx\n", fx->path,
	    sizeof(fx->path));
	assert_int_equal(config_load(), DL_OK);
	assert_string_equal(config_get("DIALER_PROVIDER"), "twilio");
	/* config_reset forgets; the next load reads the file again. */
	config_reset();
	assert_string_equal(config_get("DIALER_PROVIDER"), "sim");
	assert_int_equal(config_load(), DL_OK);
	assert_string_equal(config_get("DIALER_PROVIDER"), "telnyx");
}

static void
test_get_long(void **state)
{
	struct fixture *fx = *state;
	long v;

	use_file(fx,
	    "DIALER_TEST_LONG=42\n"
	    "DIALER_SESSION_IDLE=600\n");
	assert_int_equal(config_load(), DL_OK);

	/* Set: the value. */
	v = -1;
	assert_int_equal(config_get_long("DIALER_TEST_LONG", 7, 0, 100, &v), DL_OK);
	assert_int_equal(v, 42);
	assert_int_equal(config_get_long("DIALER_SESSION_IDLE", 7, 60, 86400, &v), DL_OK);
	assert_int_equal(v, 600);
	/* Unset with a table default: the table's, not dflt. */
	assert_int_equal(config_get_long("DIALER_SESSION_MAX", 7, 60, 31536000, &v), DL_OK);
	assert_int_equal(v, 43200);
	assert_int_equal(config_get_long("DIALER_LOGIN_MAX_PER_USER", 99, 1, 1000, &v), DL_OK);
	assert_int_equal(v, 5);
	/* Unset without one: dflt. */
	assert_int_equal(config_get_long("DIALER_TEST_UNKNOWN", 17, 0, 100, &v), DL_OK);
	assert_int_equal(v, 17);

	/* Bounds are inclusive. */
	assert_int_equal(config_get_long("DIALER_TEST_LONG", 0, 42, 42, &v), DL_OK);
	assert_int_equal(v, 42);

	/* Out of range: an error, and *out untouched. */
	v = -1;
	assert_int_equal(config_get_long("DIALER_TEST_LONG", 0, 0, 41, &v), DL_ERR_CONFIG);
	assert_int_equal(v, -1);
	assert_int_equal(config_get_long("DIALER_TEST_LONG", 0, 43, 100, &v), DL_ERR_CONFIG);
	assert_int_equal(v, -1);
}

static void
test_get_long_malformed(void **state)
{
	static const char *const bad[] = {
		"12abc", "abc", "1.5", " ", "0x10", "99999999999999999999999",
		"-99999999999999999999999", "4 2", "+", "-", NULL
	};
	long v;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		assert_int_equal(setenv("DIALER_TEST_LONG", bad[i], 1), 0);
		v = -77;
		if (config_get_long("DIALER_TEST_LONG", 5, -1000, 1000, &v) != DL_ERR_CONFIG)
			fail_msg("\"%s\" accepted as %ld", bad[i], v);
		assert_int_equal(v, -77);
	}
	assert_int_equal(setenv("DIALER_TEST_LONG", "-12", 1), 0);
	assert_int_equal(config_get_long("DIALER_TEST_LONG", 5, -1000, 1000, &v), DL_OK);
	assert_int_equal(v, -12);
	/* A table default of a known key read as a number. */
	assert_int_equal(setenv("DIALER_SESSION_IDLE", "junk", 1), 0);
	assert_int_equal(config_get_long("DIALER_SESSION_IDLE", 7200, 60, 86400, &v),
	    DL_ERR_CONFIG);
}

static void
test_get_bool(void **state)
{
	static const char *const yes[] = { "1", "true", "yes", "on", "TRUE", "Yes", "oN", NULL };
	static const char *const no[] = { "0", "false", "no", "off", "FALSE", "No", "OFF", NULL };
	static const char *const bad[] = { "2", "y", "n", "enabled", "truee", " 1", "-1", NULL };
	size_t i;
	int v;

	(void)state;
	for (i = 0; yes[i] != NULL; i++) {
		assert_int_equal(setenv("DIALER_TEST_BOOL", yes[i], 1), 0);
		v = -1;
		assert_int_equal(config_get_bool("DIALER_TEST_BOOL", 0, &v), DL_OK);
		assert_int_equal(v, 1);
	}
	for (i = 0; no[i] != NULL; i++) {
		assert_int_equal(setenv("DIALER_TEST_BOOL", no[i], 1), 0);
		v = -1;
		assert_int_equal(config_get_bool("DIALER_TEST_BOOL", 1, &v), DL_OK);
		assert_int_equal(v, 0);
	}
	for (i = 0; bad[i] != NULL; i++) {
		assert_int_equal(setenv("DIALER_TEST_BOOL", bad[i], 1), 0);
		v = -1;
		if (config_get_bool("DIALER_TEST_BOOL", 1, &v) != DL_ERR_CONFIG)
			fail_msg("\"%s\" accepted as %d", bad[i], v);
		assert_int_equal(v, -1);
	}
	unsetenv("DIALER_TEST_BOOL");
	assert_int_equal(config_get_bool("DIALER_TEST_BOOL", 1, &v), DL_OK);
	assert_int_equal(v, 1);
	assert_int_equal(config_get_bool("DIALER_TEST_BOOL", 0, &v), DL_OK);
	assert_int_equal(v, 0);
	/* The table default ("1") wins over dflt. */
	assert_int_equal(config_get_bool("DIALER_COOKIE_SECURE", 0, &v), DL_OK);
	assert_int_equal(v, 1);
	assert_int_equal(setenv("DIALER_COOKIE_SECURE", "off", 1), 0);
	assert_int_equal(config_get_bool("DIALER_COOKIE_SECURE", 1, &v), DL_OK);
	assert_int_equal(v, 0);
}

static void
test_is_secret(void **state)
{
	(void)state;
	/* Known secrets. */
	assert_int_equal(config_is_secret("DIALER_API_KEY"), 1);
	assert_int_equal(config_is_secret("DIALER_ADMIN_PASSWORD"), 1);
	assert_int_equal(config_is_secret("TWILIO_AUTH_TOKEN"), 1);
	assert_int_equal(config_is_secret("TWILIO_API_KEY_SECRET"), 1);
	assert_int_equal(config_is_secret("TELNYX_API_KEY"), 1);
	/* Known non-secrets. */
	assert_int_equal(config_is_secret("DIALER_DB"), 0);
	assert_int_equal(config_is_secret("DIALER_PUBLIC_URL"), 0);
	assert_int_equal(config_is_secret("DIALER_PROVIDER"), 0);
	assert_int_equal(config_is_secret("DIALER_DEFAULT_REGION"), 0);
	assert_int_equal(config_is_secret("DIALER_LOGIN_MAX_PER_USER"), 0);
	/* Unknown names that look like credentials are secret. */
	assert_int_equal(config_is_secret("STRIPE_SECRET"), 1);
	assert_int_equal(config_is_secret("GITHUB_TOKEN"), 1);
	assert_int_equal(config_is_secret("SMTP_PASSWORD"), 1);
	assert_int_equal(config_is_secret("DIALER_SIGNING_KEY"), 1);
	/* Other unknown names are not. */
	assert_int_equal(config_is_secret("DIALER_TEST_UNKNOWN"), 0);
	assert_int_equal(config_is_secret("HOME"), 0);
	assert_int_equal(config_is_secret("MONKEY"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_parsing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_trailing_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_value_is_unset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_later_lines_win, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_load_can_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_named_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_default_file_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_file_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment_overrides_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_long_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_bool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_is_secret, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
