/*
 * Tests for lib/upload.c's dialerctl side: the FILE and --NAME VALUE
 * arguments, and a file (or a missing one) read into an importer. The
 * HTTP side (upload_read, upload_error) is tested end to end in
 * tests/e2e/test_import.py and test_dnc.py.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "upload.h"
#include "testutil.h"

static const char *const names[] = { "list", "list-id", NULL };

/* argv from a NULL-terminated list; values reset to NULL. */
static const char *
args(const char **values, ...)
{
	char *argv[16];
	va_list ap;
	int argc = 0;

	argv[argc++] = "import";
	va_start(ap, values);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	values[0] = values[1] = NULL;
	return upload_args(argc, argv, names, values);
}

static void
test_args(void **state)
{
	const char *v[2];

	(void)state;
	assert_string_equal(args(v, "a.csv", NULL), "a.csv");
	assert_null(v[0]);
	assert_null(v[1]);
	assert_string_equal(args(v, "--list", "Leads", "-", "--list-id", "7", NULL), "-");
	assert_string_equal(v[0], "Leads");
	assert_string_equal(v[1], "7");
	/* A value may start with '-'; the last of a repeated option wins. */
	assert_string_equal(args(v, "a.csv", "--list", "-x", "--list", "y", NULL), "a.csv");
	assert_string_equal(v[0], "y");
	/* Usage errors: no FILE, two, an unknown option, an option's value missing. */
	assert_null(args(v, NULL));
	assert_null(args(v, "--list", "L", NULL));
	assert_null(args(v, "a.csv", "b.csv", NULL));
	assert_null(args(v, "a.csv", "--reason", "x", NULL));
	assert_null(args(v, "a.csv", "--list", NULL));
	assert_null(args(v, "a.csv", "-list", "L", NULL));
}

struct sink {
	size_t got, calls;
	int mismatch;
	size_t fail_after; /* calls; 0: never */
};

static enum dl_err
feed(void *ud, const char *data, size_t len)
{
	struct sink *s = ud;
	size_t i;

	for (i = 0; i < len; i++)
		if (data[i] != (char)('a' + (s->got + i) % 26))
			s->mismatch = 1;
	s->got += len;
	if (++s->calls == s->fail_after)
		return DL_ERR_CONFLICT;
	return DL_OK;
}

/* A file of `len` bytes "abc...zab..." in a fresh directory. */
static void
make_file(char *dir, size_t dirsz, char *path, size_t pathsz, size_t len)
{
	char *text = malloc(len + 1);
	size_t i;

	assert_non_null(text);
	for (i = 0; i < len; i++)
		text[i] = (char)('a' + i % 26);
	text[len] = '\0';
	tu_mkdtemp(dir, dirsz);
	tu_write_file(dir, "in.csv", text, path, pathsz);
	free(text);
}

static void
test_file_read_whole(void **state)
{
	struct sink s = { 0, 0, 0, 0 };
	char dir[64], path[128];

	(void)state;
	make_file(dir, sizeof(dir), path, sizeof(path), 200000);
	assert_int_equal(upload_file(path, feed, &s), DL_OK);
	assert_int_equal(s.got, 200000);
	assert_int_equal(s.mismatch, 0);
	assert_true(s.calls >= 4); /* in pieces of at most 64 KiB */
	/* The consumer's error stops the reading and comes back. */
	memset(&s, 0, sizeof(s));
	s.fail_after = 1;
	assert_int_equal(upload_file(path, feed, &s), DL_ERR_CONFLICT);
	assert_int_equal(s.calls, 1);
	tu_rmdir(dir);
}

static void
test_file_missing(void **state)
{
	struct sink s = { 0, 0, 0, 0 };
	char dir[64], path[128];

	(void)state;
	tu_mkdtemp(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/none.csv", dir);
	errno = 0;
	assert_int_equal(upload_file(path, feed, &s), DL_ERR_IO);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(s.calls, 0);
	tu_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_file_read_whole),
		cmocka_unit_test(test_file_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
