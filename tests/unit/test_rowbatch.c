/*
 * Tests for lib/rowbatch.c: rows reach check and store in the file's
 * order across batches; refusals by the reader, check, the phone parse
 * and store become row errors in row order, listed up to max_listed and
 * counted exactly; a store error stops the import; the transaction is
 * committed or rolled back as a whole; the too-long check counts
 * characters; a refused file says why.
 *
 * Numbers are fictional: NANP 555-01XX.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rowbatch.h"
#include "testutil.h"

enum { COL_PHONE, COL_NOTE, NCOLS };

static const struct csvread_column columns[NCOLS] = {
	[COL_PHONE] = { "phone", NULL, 1, { NULL, NULL } },
	[COL_NOTE] = { "note", NULL, 0, { NULL, NULL } },
};

/* What the callbacks saw. */
struct seen {
	long checked_last, stored_last; /* row numbers: must only grow */
	long checked, stored;
	long fail_at;                   /* store returns DL_ERR_DB at this row */
	int insert;                     /* store writes the row into table t */
};

static void
check(void *ud, const struct csvread_record *rec, struct rowbatch_reject *why)
{
	struct seen *s = ud;

	assert_true(rec->row > s->checked_last);
	s->checked_last = rec->row;
	s->checked++;
	if (strcmp(rec->field[COL_NOTE], "refuse") == 0) {
		why->column = "note";
		why->code = "refused";
		snprintf(why->message, sizeof(why->message), "Row %ld is refused.", rec->row);
	}
}

static enum dl_err
store(void *ud, const struct rowbatch_row *r, struct rowbatch_reject *why)
{
	struct seen *s = ud;
	sqlite3_stmt *st;
	int rc;

	assert_true(r->row > s->stored_last);
	s->stored_last = r->row;
	assert_string_equal(r->phone->e164, "+12025550143");
	assert_string_equal(r->field[COL_PHONE], "202-555-0143");
	assert_int_equal(r->len[COL_PHONE], strlen("202-555-0143"));
	if (r->row == s->fail_at)
		return DL_ERR_DB;
	if (strcmp(r->field[COL_NOTE], "taken") == 0) {
		why->column = "phone";
		why->code = "taken";
		snprintf(why->message, sizeof(why->message), "Taken.");
		return DL_OK;
	}
	if (s->insert) {
		assert_int_equal(sqlite3_prepare_v2(db_conn(), "INSERT INTO t (row) VALUES (?1)",
		    -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_int64(st, 1, r->row);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		assert_int_equal(rc, SQLITE_DONE);
	}
	s->stored++;
	return DL_OK;
}

static const struct rowbatch_spec spec = { columns, NCOLS, COL_PHONE, 100, check, store };

static int
teardown(void **state)
{
	/* No test may leave a transaction open. */
	if (db_conn() != NULL)
		assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
	return tu_fixture_teardown(state);
}

/* Data row i (0-based; the spreadsheet's row i + 2) of the mixed file:
 * stored, refused by check, a bad phone, a short row, or refused by
 * store, by turns. */
static int
mixed_row(char *out, size_t outsz, long i)
{
	switch (i % 5) {
	case 0:
		return snprintf(out, outsz, "202-555-0143,fine\n");
	case 1:
		return snprintf(out, outsz, "202-555-0143,refuse\n");
	case 2:
		return snprintf(out, outsz, "12,short number\n");
	case 3:
		return snprintf(out, outsz, "202-555-0143,a,b\n");
	default:
		return snprintf(out, outsz, "202-555-0143,%s\n", i % 10 == 4 ? "taken" : "fine");
	}
}

static char *
mixed_file(long rows, size_t *len)
{
	size_t cap = 64 + (size_t)rows * 32, n;
	char *buf = malloc(cap);
	long i;

	assert_non_null(buf);
	n = (size_t)snprintf(buf, cap, "phone,note\n");
	for (i = 0; i < rows; i++)
		n += (size_t)mixed_row(buf + n, cap - n, i);
	*len = n;
	return buf;
}

/* Push `data` in pieces of `piece` bytes. */
static enum dl_err
feed_all(struct rowbatch *rb, const char *data, size_t len, size_t piece)
{
	enum dl_err err = DL_OK;
	size_t off;

	for (off = 0; err == DL_OK && off < len; off += piece)
		err = rowbatch_feed(rb, data + off, len - off < piece ? len - off : piece);
	return err;
}


static void
test_rows_in_order_across_batches(void **state)
{
	struct seen s = { 0, 0, 0, 0, 0, 0 };
	struct rowbatch *rb;
	cJSON *errors, *e;
	size_t len;
	char *file = mixed_file(1300, &len);
	long i, want_row;
	int n = 0;

	(void)state;
	assert_int_equal(rowbatch_new(&spec, "US", &s, &rb), DL_OK);
	assert_int_equal(feed_all(rb, file, len, 997), DL_OK);
	assert_int_equal(rowbatch_finish(rb), DL_OK);
	assert_int_equal(rowbatch_commit(rb), DL_OK);
	/* The short rows never reach check; store sees the rest that passed. */
	assert_int_equal(s.checked, 1300 - 260);
	assert_int_equal(s.stored, 260 + 130);
	assert_int_equal(rowbatch_error_count(rb), 1300 - 390);
	assert_null(rowbatch_file_error(rb, NULL));
	errors = rowbatch_take_errors(rb);
	assert_non_null(errors);
	assert_int_equal(cJSON_GetArraySize(errors), 100);
	/* Listed in row order, whichever stage refused the row. */
	for (i = 0; n < 100; i++) {
		if (i % 5 == 0 || (i % 5 == 4 && i % 10 != 4))
			continue;
		want_row = i + 2;
		e = cJSON_GetArrayItem(errors, n++);
		assert_int_equal((long)cJSON_GetObjectItemCaseSensitive(e, "row")->valuedouble,
		    want_row);
		switch (i % 5) {
		case 1:
			assert_string_equal(tu_jstr(e, "code"), "refused");
			assert_string_equal(tu_jstr(e, "column"), "note");
			break;
		case 2:
			assert_string_equal(tu_jstr(e, "column"), "phone");
			assert_true(strlen(tu_jstr(e, "message")) > 0);
			break;
		case 3:
			assert_string_equal(tu_jstr(e, "code"), "field_count");
			assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "column")));
			break;
		default:
			assert_string_equal(tu_jstr(e, "code"), "taken");
			assert_string_equal(tu_jstr(e, "message"), "Taken.");
		}
	}
	cJSON_Delete(errors);
	rowbatch_free(rb);
	free(file);
}

static void
test_store_error_stops_the_import(void **state)
{
	struct seen s = { 0, 0, 0, 0, 702, 0 };
	struct rowbatch *rb;
	size_t len;
	char *file = mixed_file(1300, &len);
	enum dl_err err;

	(void)state;
	assert_int_equal(rowbatch_new(&spec, "US", &s, &rb), DL_OK);
	/* Row 702 is in the second batch: feed or finish returns the error,
	 * and no later row is stored. */
	err = feed_all(rb, file, len, 4096);
	if (err == DL_OK)
		err = rowbatch_finish(rb);
	assert_int_equal(err, DL_ERR_DB);
	assert_int_equal(s.stored_last, 702);
	rowbatch_free(rb);
	free(file);
}

static void
test_one_transaction(void **state)
{
	struct seen s = { 0, 0, 0, 0, 0, 1 };
	static const char file[] = "phone,note\n202-555-0143,one\n202-555-0143,two\n";
	struct rowbatch *rb;

	(void)state;
	tu_sql_exec("CREATE TABLE t (row INTEGER)");
	/* Freed before its commit: nothing stays. */
	assert_int_equal(rowbatch_new(&spec, "US", &s, &rb), DL_OK);
	assert_int_equal(rowbatch_feed(rb, file, strlen(file)), DL_OK);
	assert_int_equal(rowbatch_finish(rb), DL_OK);
	assert_int_equal(s.stored, 2);
	rowbatch_free(rb);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM t"), 0);
	/* Committed: every row stays. */
	memset(&s, 0, sizeof(s));
	s.insert = 1;
	assert_int_equal(rowbatch_new(&spec, "US", &s, &rb), DL_OK);
	assert_int_equal(rowbatch_feed(rb, file, strlen(file)), DL_OK);
	assert_int_equal(rowbatch_finish(rb), DL_OK);
	assert_int_equal(rowbatch_commit(rb), DL_OK);
	rowbatch_free(rb);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM t"), 2);
}

static void
test_unknown_region(void **state)
{
	struct seen s = { 0, 0, 0, 0, 0, 0 };
	struct rowbatch *rb;

	(void)state;
	assert_int_equal(rowbatch_new(&spec, "ZZ", &s, &rb), DL_ERR_INVALID);
	assert_null(rb);
	assert_int_equal(rowbatch_new(&spec, NULL, &s, &rb), DL_ERR_INVALID);
	assert_int_equal(rowbatch_new(&spec, "USAX", &s, &rb), DL_ERR_INVALID);
	rowbatch_free(NULL);
}

static void
test_refused_file(void **state)
{
	struct seen s = { 0, 0, 0, 0, 0, 0 };
	struct rowbatch *rb;
	const char *msg = NULL;

	(void)state;
	assert_int_equal(rowbatch_new(&spec, "US", &s, &rb), DL_OK);
	assert_int_equal(rowbatch_feed(rb, "note\nhello\n", 11), DL_ERR_INVALID);
	assert_string_equal(rowbatch_file_error(rb, &msg), "missing_columns");
	assert_non_null(strstr(msg, "phone"));
	rowbatch_free(rb);
	assert_null(rowbatch_file_error(NULL, &msg));
	assert_null(msg);
}

static void
test_too_long_counts_characters(void **state)
{
	struct rowbatch_reject why = { NULL, NULL, "" };
	/* Ten two-byte characters. */
	static const char ten[] = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";

	(void)state;
	assert_int_equal(rowbatch_too_long("note", ten, strlen(ten), 10, &why), 0);
	assert_null(why.code);
	assert_int_equal(rowbatch_too_long("note", ten, strlen(ten), 9, &why), 1);
	assert_string_equal(why.column, "note");
	assert_string_equal(why.code, "too_long");
	assert_string_equal(why.message, "The note is longer than 9 characters.");
}

static void
test_errors_json(void **state)
{
	cJSON *o = cJSON_CreateObject(), *errors = NULL;

	(void)state;
	assert_non_null(o);
	assert_int_equal(rowbatch_errors_json(o, &errors, 1234), 1);
	assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "errors")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "errors")), 0);
	assert_int_equal((long)cJSON_GetObjectItemCaseSensitive(o, "error_count")->valuedouble,
	    1234);
	assert_null(errors);
	cJSON_Delete(o);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_fixture_setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_rows_in_order_across_batches),
		T(test_store_error_stops_the_import),
		T(test_one_transaction),
		T(test_unknown_region),
		T(test_refused_file),
		T(test_too_long_counts_characters),
		T(test_errors_json),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
