/*
 * Tests for lib/dnc.c: adding (the first entry wins, the caller's
 * transaction is joined), checking, removing, the page (newest first,
 * paging, search, the entry's shape), the CSV export and the CSV import
 * (row errors by row number, numbers already listed, a refused file
 * storing nothing, the export read back).
 *
 * Numbers are fictional: NANP 555-01XX and Ofcom's 020 7946 0xxx.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "dnc.h"
#include "testutil.h"

static int
setup(void **state)
{
	int rc = tu_fixture_setup(state);

	/* Entries name a user; the fixture's database has none yet. */
	if (rc == 0)
		assert_int_equal(auth_user_create("alice", "password123", AUTH_ADMIN, NULL),
		    DL_OK);
	return rc;
}

static int
teardown(void **state)
{
	/* No test may leave a transaction open. */
	if (db_conn() != NULL)
		assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
	return tu_fixture_teardown(state);
}

static long long
alice(void)
{
	return tu_sql_int("SELECT id FROM users WHERE username = 'alice'");
}

static void
add(const char *e164, const char *reason, int expect_added)
{
	int added = -1;

	assert_int_equal(dnc_add(e164, reason, DNC_MANUAL, 0, 0, &added), DL_OK);
	assert_int_equal(added, expect_added);
}




/* --- add, check, remove ---------------------------------------------- */

static void
test_add_and_check(void **state)
{
	struct dnc_entry e;
	int listed = -1, added = -1;

	(void)state;
	assert_int_equal(dnc_check("+12025550143", &listed, &e), DL_OK);
	assert_int_equal(listed, 0);
	assert_int_equal(dnc_add("+12025550143", "asked not to be called", DNC_OUTCOME, alice(),
	    0, &added), DL_OK);
	assert_int_equal(added, 1);
	assert_int_equal(dnc_check("+12025550143", &listed, &e), DL_OK);
	assert_int_equal(listed, 1);
	assert_string_equal(e.phone, "+12025550143");
	assert_string_equal(e.reason, "asked not to be called");
	assert_int_equal(e.source, DNC_OUTCOME);
	assert_int_equal(e.added_by, alice());
	assert_int_equal(e.call_id, 0);
	assert_int_equal(strlen(e.added_at), 20);
	assert_int_equal(e.added_at[19], 'Z');
	/* entry may be NULL when only the answer matters. */
	listed = 0;
	assert_int_equal(dnc_check("+12025550143", &listed, NULL), DL_OK);
	assert_int_equal(listed, 1);
	/* No reason: NULL in the table, "" in the entry. */
	add("+12025550144", NULL, 1);
	add("+12025550145", "", 1);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM dnc WHERE reason IS NULL"), 2);
	assert_int_equal(dnc_check("+12025550144", &listed, &e), DL_OK);
	assert_string_equal(e.reason, "");
	assert_int_equal(e.source, DNC_MANUAL);
	assert_int_equal(e.added_by, 0);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM dnc WHERE added_by IS NULL"), 2);
}

static void
test_repeat_keeps_first_entry(void **state)
{
	struct dnc_entry e;
	int listed, added = -1;

	(void)state;
	add("+12025550143", "first", 1);
	assert_int_equal(dnc_add("+12025550143", "second", DNC_IMPORT, alice(), 0, &added),
	    DL_OK);
	assert_int_equal(added, 0);
	/* `added` may be NULL. */
	assert_int_equal(dnc_add("+12025550143", "third", DNC_IMPORT, 0, 0, NULL), DL_OK);
	assert_int_equal(dnc_check("+12025550143", &listed, &e), DL_OK);
	assert_string_equal(e.reason, "first");
	assert_int_equal(e.source, DNC_MANUAL);
	assert_int_equal(e.added_by, 0);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM dnc"), 1);
}

static void
test_add_refuses_bad_input(void **state)
{
	char reason[4 * DNC_REASON_MAX + 8];
	size_t i;

	(void)state;
	/* Only E.164 is a key a dial ever looks up. */
	assert_int_equal(dnc_add("12025550143", NULL, DNC_MANUAL, 0, 0, NULL), DL_ERR_INVALID);
	assert_int_equal(dnc_add("+02025550143", NULL, DNC_MANUAL, 0, 0, NULL), DL_ERR_INVALID);
	assert_int_equal(dnc_add("+1 202 555 0143", NULL, DNC_MANUAL, 0, 0, NULL), DL_ERR_INVALID);
	assert_int_equal(dnc_add("+1234567890123456", NULL, DNC_MANUAL, 0, 0, NULL),
	    DL_ERR_INVALID);
	assert_int_equal(dnc_add(NULL, NULL, DNC_MANUAL, 0, 0, NULL), DL_ERR_INVALID);
	/* The reason's limit is in characters: 200 two-byte ones pass, 201 do not. */
	for (i = 0; i < DNC_REASON_MAX; i++)
		memcpy(reason + 2 * i, "\xc3\xa9", 2);
	reason[2 * DNC_REASON_MAX] = '\0';
	assert_true(dnc_reason_ok(reason));
	assert_int_equal(dnc_add("+12025550143", reason, DNC_MANUAL, 0, 0, NULL), DL_OK);
	memcpy(reason + 2 * DNC_REASON_MAX, "x", 2);
	assert_false(dnc_reason_ok(reason));
	assert_int_equal(dnc_add("+12025550144", reason, DNC_MANUAL, 0, 0, NULL), DL_ERR_INVALID);
	assert_false(dnc_reason_ok("bad \xff byte"));
	assert_true(dnc_reason_ok(NULL));
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM dnc"), 1);
}

static void
test_add_joins_callers_transaction(void **state)
{
	int listed = 1;

	(void)state;
	assert_int_equal(db_begin(), DL_OK);
	add("+12025550143", "rolled back with the outcome", 1);
	db_rollback();
	assert_int_equal(dnc_check("+12025550143", &listed, NULL), DL_OK);
	assert_int_equal(listed, 0);
	assert_int_equal(db_begin(), DL_OK);
	add("+12025550143", "kept with the outcome", 1);
	assert_int_equal(db_commit(), DL_OK);
	assert_int_equal(dnc_check("+12025550143", &listed, NULL), DL_OK);
	assert_int_equal(listed, 1);
}

static void
test_add_entry(void **state)
{
	cJSON *entry = NULL;
	int added = -1;

	(void)state;
	assert_int_equal(dnc_add_entry("+12025550143", "asked", DNC_MANUAL, alice(), &added,
	    &entry), DL_OK);
	assert_int_equal(added, 1);
	assert_string_equal(tu_jstr(entry, "phone"), "+12025550143");
	assert_string_equal(tu_jstr(entry, "phone_display"), "(202) 555-0143");
	assert_string_equal(tu_jstr(entry, "reason"), "asked");
	assert_string_equal(tu_jstr(entry, "source"), "manual");
	assert_int_equal((long long)tu_jnum(entry, "added_by"), alice());
	assert_string_equal(tu_jstr(entry, "added_by_name"), "alice");
	assert_true(tu_jnull(entry, "call_id"));
	assert_int_equal(strlen(tu_jstr(entry, "added_at")), 20);
	assert_int_equal(cJSON_GetArraySize(entry), 8);
	cJSON_Delete(entry);
	/* Again: the first entry comes back. */
	assert_int_equal(dnc_add_entry("+12025550143", "later", DNC_MANUAL, 0, &added, &entry),
	    DL_OK);
	assert_int_equal(added, 0);
	assert_string_equal(tu_jstr(entry, "reason"), "asked");
	assert_string_equal(tu_jstr(entry, "added_by_name"), "alice");
	cJSON_Delete(entry);
	/* A bad number stores nothing and returns no entry. */
	assert_int_equal(dnc_add_entry("555", NULL, DNC_MANUAL, 0, &added, &entry),
	    DL_ERR_INVALID);
	assert_null(entry);
	/* A UK number shows its national form. */
	assert_int_equal(dnc_add_entry("+442079460018", NULL, DNC_MANUAL, 0, &added, &entry),
	    DL_OK);
	assert_string_equal(tu_jstr(entry, "phone_display"), "020 7946 0018");
	assert_true(tu_jnull(entry, "reason"));
	assert_true(tu_jnull(entry, "added_by"));
	assert_true(tu_jnull(entry, "added_by_name"));
	cJSON_Delete(entry);
}

static void
test_remove(void **state)
{
	int listed = 1;

	(void)state;
	add("+12025550143", NULL, 1);
	add("+12025550144", NULL, 1);
	assert_int_equal(dnc_remove("+12025550143"), DL_OK);
	assert_int_equal(dnc_check("+12025550143", &listed, NULL), DL_OK);
	assert_int_equal(listed, 0);
	assert_int_equal(dnc_remove("+12025550143"), DL_ERR_NOTFOUND);
	assert_int_equal(dnc_check("+12025550144", &listed, NULL), DL_OK);
	assert_int_equal(listed, 1);
	/* Removed, a number can be listed again, with a new entry. */
	add("+12025550143", "back", 1);
}

/* --- the page -------------------------------------------------------- */

static cJSON *
page(const char *q, long long p, long long per_page)
{
	struct dnc_filter f = { q, p, per_page };
	cJSON *out = NULL;

	assert_int_equal(dnc_list(&f, &out), DL_OK);
	assert_non_null(out);
	return out;
}

/* The page's phones joined by ',', into buf. */
static const char *
phones(const cJSON *out, char *buf, size_t bufsz)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(out, "items"), *it;
	size_t n = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(it, items)
		n += (size_t)snprintf(buf + n, bufsz - n, "%s%s", n > 0 ? "," : "",
		    tu_jstr(it, "phone"));
	return buf;
}

static void
test_list_newest_first_and_paging(void **state)
{
	char buf[256];
	cJSON *out;

	(void)state;
	add("+12025550141", NULL, 1);
	add("+12025550142", NULL, 1);
	add("+12025550143", NULL, 1);
	add("+12025550144", NULL, 1);
	add("+12025550145", NULL, 1);
	out = page(NULL, 1, 2);
	assert_string_equal(phones(out, buf, sizeof(buf)), "+12025550145,+12025550144");
	assert_int_equal((long long)tu_jnum(out, "total"), 5);
	assert_int_equal((long long)tu_jnum(out, "page"), 1);
	assert_int_equal((long long)tu_jnum(out, "per_page"), 2);
	cJSON_Delete(out);
	out = page(NULL, 3, 2);
	assert_string_equal(phones(out, buf, sizeof(buf)), "+12025550141");
	assert_int_equal((long long)tu_jnum(out, "total"), 5);
	cJSON_Delete(out);
	out = page(NULL, 4, 2);
	assert_string_equal(phones(out, buf, sizeof(buf)), "");
	assert_int_equal((long long)tu_jnum(out, "total"), 5);
	cJSON_Delete(out);
	/* A removed newest and a new one: the new one is first. */
	assert_int_equal(dnc_remove("+12025550145"), DL_OK);
	add("+12025550140", NULL, 1);
	out = page("", 1, 200);
	assert_string_equal(phones(out, buf, sizeof(buf)),
	    "+12025550140,+12025550144,+12025550143,+12025550142,+12025550141");
	cJSON_Delete(out);
}

static void
test_list_refuses_bad_paging(void **state)
{
	struct dnc_filter f = { NULL, 0, 50 };
	cJSON *out = NULL;

	(void)state;
	assert_int_equal(dnc_list(&f, &out), DL_ERR_INVALID);
	f.page = 1;
	f.per_page = 201;
	assert_int_equal(dnc_list(&f, &out), DL_ERR_INVALID);
	assert_null(out);
}

static void
test_list_search(void **state)
{
	char buf[256];
	cJSON *out;

	(void)state;
	add("+12025550143", "Asked on the phone", 1);
	add("+12025550144", "lawyer's letter", 1);
	add("+442079460018", "100% sure", 1);
	add("+12025550199", NULL, 1);
	/* Digits, however they are written, find the number. */
	out = page("555-0143", 1, 50);
	assert_string_equal(phones(out, buf, sizeof(buf)), "+12025550143");
	assert_int_equal((long long)tu_jnum(out, "total"), 1);
	cJSON_Delete(out);
	out = page("(202) 555", 1, 50);
	assert_string_equal(phones(out, buf, sizeof(buf)),
	    "+12025550199,+12025550144,+12025550143");
	cJSON_Delete(out);
	/* Words find the reason, ignoring ASCII case. */
	out = page("LETTER", 1, 50);
	assert_string_equal(phones(out, buf, sizeof(buf)), "+12025550144");
	cJSON_Delete(out);
	/* LIKE's wildcards are literal. */
	out = page("%", 1, 50);
	assert_string_equal(phones(out, buf, sizeof(buf)), "+442079460018");
	cJSON_Delete(out);
	out = page("_", 1, 50);
	assert_string_equal(phones(out, buf, sizeof(buf)), "");
	assert_int_equal((long long)tu_jnum(out, "total"), 0);
	cJSON_Delete(out);
	/* Two digits are too few to search numbers by. */
	out = page("20", 1, 50);
	assert_string_equal(phones(out, buf, sizeof(buf)), "");
	cJSON_Delete(out);
}

/* --- export ---------------------------------------------------------- */

struct buf {
	char data[8192];
	size_t len;
};

static enum dl_err
buf_sink(void *ctx, const void *data, size_t len)
{
	struct buf *b = ctx;

	assert_true(len <= sizeof(b->data) - b->len - 1);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return DL_OK;
}

static void
export(struct buf *b)
{
	struct csvwrite w;

	b->len = 0;
	b->data[0] = '\0';
	csvwrite_init(&w, buf_sink, b);
	assert_int_equal(dnc_export(&w), DL_OK);
}

static void
test_export(void **state)
{
	struct buf b;

	(void)state;
	export(&b);
	assert_string_equal(b.data, "phone,reason,source,added_by,added_at\r\n");
	assert_int_equal(dnc_add("+12025550143", "=HYPERLINK(\"http://x\")", DNC_MANUAL,
	    alice(), 0, NULL), DL_OK);
	assert_int_equal(dnc_add("+12025550144", "said \"no\", twice", DNC_IMPORT, 0, 0, NULL),
	    DL_OK);
	assert_int_equal(dnc_add("+12025550145", NULL, DNC_OUTCOME, 0, 0, NULL), DL_OK);
	tu_sql_exec("UPDATE dnc SET added_at = '2026-11-24T15:00:00Z'");
	export(&b);
	/* Oldest first; the numbers and the formula are defused with a
	 * leading apostrophe; added_by is the username. */
	assert_string_equal(b.data,
	    "phone,reason,source,added_by,added_at\r\n"
	    "'+12025550143,\"'=HYPERLINK(\"\"http://x\"\")\",manual,alice,2026-11-24T15:00:00Z\r\n"
	    "'+12025550144,\"said \"\"no\"\", twice\",import,,2026-11-24T15:00:00Z\r\n"
	    "'+12025550145,,outcome,,2026-11-24T15:00:00Z\r\n");
}

/* --- import ---------------------------------------------------------- */

struct result {
	enum dl_err err;
	struct dnc_report rep;
	char fcode[32];
	char fmsg[512];
};

/* One whole import of `csv`, fed in pieces of `chunk` bytes (0: at once). */
static enum dl_err
import(const char *csv, size_t chunk, long long by, const char *reason, struct result *r)
{
	struct dnc_import *imp = NULL;
	size_t off = 0, len = strlen(csv);
	const char *code, *msg = NULL;

	memset(r, 0, sizeof(*r));
	if ((r->err = dnc_import_begin("US", by, reason, &imp)) != DL_OK) {
		assert_null(imp);
		return r->err;
	}
	while (off < len && r->err == DL_OK) {
		size_t n = chunk == 0 || chunk > len - off ? len - off : chunk;

		r->err = dnc_import_feed(imp, csv + off, n);
		off += n;
	}
	if (r->err == DL_OK)
		r->err = dnc_import_finish(imp, &r->rep);
	code = dnc_import_file_error(imp, &msg);
	snprintf(r->fcode, sizeof(r->fcode), "%s", code != NULL ? code : "");
	snprintf(r->fmsg, sizeof(r->fmsg), "%s", msg != NULL ? msg : "");
	dnc_import_abort(imp);
	return r->err;
}

static void
expect_error(const cJSON *errors, int i, long row, const char *column, const char *code)
{
	const cJSON *e = cJSON_GetArrayItem(errors, i);

	if (e == NULL)
		fail_msg("no error %d", i);
	assert_int_equal((long)tu_jnum(e, "row"), row);
	if (column == NULL)
		assert_true(tu_jnull(e, "column"));
	else
		assert_string_equal(tu_jstr(e, "column"), column);
	assert_string_equal(tu_jstr(e, "code"), code);
	assert_true(tu_jstr(e, "message")[0] != '\0');
}

static void
test_import_rows(void **state)
{
	static const char csv[] =
	    "\xef\xbb\xbfPhone Number;Reason;extra\r\n"
	    "+1 202 555 0143;asked;x\r\n"
	    "(202) 555-0144;;x\r\n"
	    "not a number;spam;x\r\n"
	    "\"202.555\n0145\";quoted;x\r\n"
	    ";empty;x\r\n"
	    "2025550146;too;many;cells\r\n"
	    "+12025550143;again;x\r\n"
	    "'+12025550147;exported form;x\r\n";
	struct dnc_entry e;
	struct result r;
	int listed;

	(void)state;
	add("+12025550144", "listed before", 1);
	assert_int_equal(import(csv, 0, alice(), NULL, &r), DL_OK);
	assert_int_equal(r.rep.added, 2);
	assert_int_equal(r.rep.already_listed, 2);
	assert_int_equal(r.rep.error_count, 4);
	assert_int_equal(cJSON_GetArraySize(r.rep.errors), 4);
	/* Rows as a spreadsheet numbers them: the quoted newline is in row 5. */
	expect_error(r.rep.errors, 0, 4, "phone", "phone_not_a_number");
	expect_error(r.rep.errors, 1, 5, "phone", "phone_not_a_number");
	expect_error(r.rep.errors, 2, 6, "phone", "phone_empty");
	expect_error(r.rep.errors, 3, 7, NULL, "field_count");
	assert_int_equal(dnc_check("+12025550143", &listed, &e), DL_OK);
	assert_int_equal(listed, 1);
	assert_string_equal(e.reason, "asked");
	assert_int_equal(e.source, DNC_IMPORT);
	assert_int_equal(e.added_by, alice());
	assert_int_equal(dnc_check("+12025550144", &listed, &e), DL_OK);
	assert_string_equal(e.reason, "listed before");
	assert_int_equal(dnc_check("+12025550147", &listed, &e), DL_OK);
	assert_int_equal(listed, 1);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM dnc"), 3);
	dnc_report_free(&r.rep);
}

static void
test_import_default_reason_and_long_reason(void **state)
{
	char csv[1024];
	struct dnc_entry e;
	struct result r;
	int listed, n;

	(void)state;
	n = snprintf(csv, sizeof(csv), "phone,reason\n+12025550143,\n+12025550144,own\n"
	    "+12025550145,%0*d\n", DNC_REASON_MAX + 1, 0);
	assert_true(n > 0 && (size_t)n < sizeof(csv));
	assert_int_equal(import(csv, 7, 0, "registry 2026", &r), DL_OK);
	assert_int_equal(r.rep.added, 2);
	assert_int_equal(r.rep.error_count, 1);
	expect_error(r.rep.errors, 0, 4, "reason", "too_long");
	assert_non_null(strstr(tu_jstr(cJSON_GetArrayItem(r.rep.errors, 0), "message"), "200"));
	assert_int_equal(dnc_check("+12025550143", &listed, &e), DL_OK);
	assert_string_equal(e.reason, "registry 2026");
	assert_int_equal(e.added_by, 0);
	assert_int_equal(dnc_check("+12025550144", &listed, &e), DL_OK);
	assert_string_equal(e.reason, "own");
	dnc_report_free(&r.rep);
	/* A default reason over the limit, or an unknown region, is refused. */
	memset(csv, 'x', DNC_REASON_MAX + 1);
	csv[DNC_REASON_MAX + 1] = '\0';
	assert_int_equal(import("phone\n+12025550146\n", 0, 0, csv, &r), DL_ERR_INVALID);
	{
		struct dnc_import *imp = NULL;

		assert_int_equal(dnc_import_begin("XX", 0, NULL, &imp), DL_ERR_INVALID);
		assert_null(imp);
	}
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM dnc"), 2);
}

static void
test_import_refused_file_stores_nothing(void **state)
{
	static const char *const refused[][2] = {
		{ "", "empty_file" },
		{ "\xef\xbb\xbf \r\n", "empty_file" },
		{ "number_of_calls,reason\n+12025550143,x\n", "missing_columns" },
		{ "phone,reason\n", "no_rows" },
		{ "\x89PNG\r\n\x1a\n\xff\xfe", "bad_header" },
	};
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(import(refused[i][0], 0, 0, NULL, &r), DL_ERR_INVALID);
		assert_string_equal(r.fcode, refused[i][1]);
		assert_true(r.fmsg[0] != '\0');
		assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM dnc"), 0);
	}
	assert_int_equal(import(refused[2][0], 0, 0, NULL, &r), DL_ERR_INVALID);
	assert_non_null(strstr(r.fmsg, "phone"));
}

static void
test_import_abort_midway_stores_nothing(void **state)
{
	struct dnc_import *imp = NULL;
	static const char csv[] = "phone\n+12025550143\n+12025550144\n";

	(void)state;
	assert_int_equal(dnc_import_begin("US", 0, NULL, &imp), DL_OK);
	assert_int_equal(dnc_import_feed(imp, csv, sizeof(csv) - 1), DL_OK);
	dnc_import_abort(imp);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM dnc"), 0);
}

/* More rows than one batch, more errors than the report lists. */
static void
test_import_large(void **state)
{
	size_t cap = 64 * 3000, len = 0;
	char *csv = malloc(cap);
	struct result r;
	int i;

	(void)state;
	assert_non_null(csv);
	len += (size_t)snprintf(csv + len, cap - len, "phone\n");
	for (i = 0; i < 1500; i++)
		len += (size_t)snprintf(csv + len, cap - len, "+1202555%04d\nbad %d\n", i, i);
	assert_int_equal(import(csv, 4096, 0, NULL, &r), DL_OK);
	assert_int_equal(r.rep.added, 1500);
	assert_int_equal(r.rep.error_count, 1500);
	assert_int_equal(cJSON_GetArraySize(r.rep.errors), DNC_MAX_LISTED_ERRORS);
	/* Listed in row order: the bad rows are 3, 5, 7, ... */
	assert_int_equal((long)tu_jnum(cJSON_GetArrayItem(r.rep.errors, 0), "row"), 3);
	assert_int_equal((long)tu_jnum(cJSON_GetArrayItem(r.rep.errors, DNC_MAX_LISTED_ERRORS - 1),
	    "row"), 2 * DNC_MAX_LISTED_ERRORS + 1);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM dnc"), 1500);
	dnc_report_free(&r.rep);
	free(csv);
}

static void
test_export_reads_back(void **state)
{
	struct buf b, again;
	struct result r;

	(void)state;
	assert_int_equal(dnc_add("+12025550143", "=1+1", DNC_MANUAL, alice(), 0, NULL), DL_OK);
	assert_int_equal(dnc_add("+442079460018", "line one\nline two, \"quoted\"", DNC_MANUAL,
	    0, 0, NULL), DL_OK);
	export(&b);
	tu_sql_exec("DELETE FROM dnc");
	assert_int_equal(import(b.data, 0, 0, NULL, &r), DL_OK);
	assert_int_equal(r.rep.added, 2);
	assert_int_equal(r.rep.error_count, 0);
	dnc_report_free(&r.rep);
	tu_sql_exec("UPDATE dnc SET added_at = '2026-11-24T15:00:00Z'");
	export(&again);
	/* The numbers and the multi-line reason come back as they were; the
	 * apostrophe that defused the formula stays, visible. */
	assert_non_null(strstr(again.data,
	    "'+442079460018,\"line one\nline two, \"\"quoted\"\"\",import,,"));
	assert_non_null(strstr(again.data, "'+12025550143,'=1+1,import,,"));
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_add_and_check),
		T(test_repeat_keeps_first_entry),
		T(test_add_refuses_bad_input),
		T(test_add_joins_callers_transaction),
		T(test_add_entry),
		T(test_remove),
		T(test_list_newest_first_and_paging),
		T(test_list_refuses_bad_paging),
		T(test_list_search),
		T(test_export),
		T(test_import_rows),
		T(test_import_default_reason_and_long_reason),
		T(test_import_refused_file_stores_nothing),
		T(test_import_abort_midway_stores_nothing),
		T(test_import_large),
		T(test_export_reads_back),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
