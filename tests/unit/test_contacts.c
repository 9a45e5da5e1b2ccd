/*
 * Tests for lib/contacts.c: the CSV import (counts, report, row errors,
 * duplicates, appending, refused files, all-or-nothing), listing with
 * filters and paging, the lists overview and archiving.
 *
 * Phone numbers are fictional: NANP 555-01XX, Ofcom's 020 7946 0xxx and
 * ACMA's 0491 570 xxx. The import forks phone-parsing helper processes
 * (lib/phonebatch.c) on first use; they live until this program ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "contacts.h"
#include "db.h"
#include "phone.h"
#include "testutil.h"

#define fixture tu_fixture
#define setup tu_fixture_setup

static int
teardown(void **state)
{
	/* No test may leave a transaction open. */
	if (db_conn() != NULL)
		assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
	return tu_fixture_teardown(state);
}

/* --- helpers --------------------------------------------------------- */

struct sb {
	char *s;
	size_t len, cap;
};

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s != NULL ? b->s + b->len : NULL,
		    b->s != NULL ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (b->s != NULL && (size_t)n < b->cap - b->len)
			break;
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	b->len += (size_t)n;
}

struct result {
	enum dl_err err;            /* the first error, or finish's answer */
	int stage;                  /* 0 begin, 1 feed, 2 finish */
	struct contacts_report rep;
	char fcode[32];             /* contacts_import_file_error, "" if none */
	char fmsg[512];
};

/*
 * One whole import: begin, feed `csv` in pieces of `chunk` bytes (0: all
 * at once), finish, then abort (which only frees after a commit).
 */
static enum dl_err
import(const char *name, long long list_id, long long by, const char *region,
    const char *csv, size_t chunk, struct result *r)
{
	struct contacts_import *imp = (struct contacts_import *)(uintptr_t)1;
	size_t off = 0, len = strlen(csv);
	const char *code, *msg = NULL;

	memset(r, 0, sizeof(*r));
	r->err = contacts_import_begin(name, list_id, by, region, &imp);
	if (r->err != DL_OK) {
		assert_null(imp);
		return r->err;
	}
	assert_non_null(imp);
	r->stage = 1;
	while (off < len && r->err == DL_OK) {
		size_t n = chunk == 0 || chunk > len - off ? len - off : chunk;

		r->err = contacts_import_feed(imp, csv + off, n);
		off += n;
	}
	if (r->err == DL_OK) {
		r->stage = 2;
		r->err = contacts_import_finish(imp, &r->rep);
	}
	code = contacts_import_file_error(imp, &msg);
	snprintf(r->fcode, sizeof(r->fcode), "%s", code != NULL ? code : "");
	snprintf(r->fmsg, sizeof(r->fmsg), "%s", msg != NULL ? msg : "");
	contacts_import_abort(imp);
	return r->err;
}

static void
result_free(struct result *r)
{
	contacts_report_free(&r->rep);
}

/* The listed error for a row, or NULL. */
static const cJSON *
error_for_row(const cJSON *errors, long row)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, errors) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "row");

		if (cJSON_IsNumber(n) && (long)n->valuedouble == row)
			return e;
	}
	return NULL;
}

static void
expect_error(const cJSON *errors, long row, const char *column, const char *code)
{
	const cJSON *e = error_for_row(errors, row), *c, *m;

	if (e == NULL)
		fail_msg("no error listed for row %ld", row);
	c = cJSON_GetObjectItemCaseSensitive(e, "column");
	if (column == NULL) {
		if (!cJSON_IsNull(c))
			fail_msg("row %ld: column should be null", row);
	} else if (!cJSON_IsString(c) || strcmp(c->valuestring, column) != 0) {
		fail_msg("row %ld: column %s, expected %s", row,
		    cJSON_IsString(c) ? c->valuestring : "(not a string)", column);
	}
	c = cJSON_GetObjectItemCaseSensitive(e, "code");
	if (!cJSON_IsString(c) || strcmp(c->valuestring, code) != 0)
		fail_msg("row %ld: code %s, expected %s", row,
		    cJSON_IsString(c) ? c->valuestring : "(not a string)", code);
	m = cJSON_GetObjectItemCaseSensitive(e, "message");
	assert_true(cJSON_IsString(m) && m->valuestring[0] != '\0');
}

static long long
count(const char *sql)
{
	return tu_sql_int(sql);
}




#define HEADER "name,company,phone,title\n"

static const char five_us[] =
    HEADER
    "Ada Lovelace,Analytical Engines,+1 202 555 0143,Countess\n"
    "Grace Hopper,US Navy,(202) 555-0144,Rear Admiral\n"
    "Alan Turing,Bletchley 100% Park,202.555.0145,\n"
    "Edsger_Dijkstra,Eindhoven,2025550146,\n"
    "Barbara Liskov,MIT,+1-202-555-0147,Professor\n";

/* --- importing ------------------------------------------------------- */

static void
test_import_basic(void **state)
{
	struct result r;
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(import("Leads", 0, 0, "US", five_us, 0, &r), DL_OK);
	assert_true(r.rep.list_id > 0);
	assert_int_equal(r.rep.imported, 5);
	assert_int_equal(r.rep.skipped, 0);
	assert_int_equal(r.rep.error_count, 0);
	assert_true(cJSON_IsArray(r.rep.errors));
	assert_int_equal(cJSON_GetArraySize(r.rep.errors), 0);
	assert_string_equal(r.fcode, "");

	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists"), 1);
	assert_int_equal(count("SELECT contact_count FROM contact_lists"), 5);
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists WHERE name = 'Leads' "
	    "AND created_by IS NULL AND archived_at IS NULL"), 1);
	assert_int_equal(count("SELECT COUNT(*) FROM contacts"), 5);

	assert_int_equal(sqlite3_prepare_v2(db_conn(),
	    "SELECT list_id, source_row, name, company, title, phone_e164, phone_raw, "
	    "phone_national, region, status FROM contacts ORDER BY id", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), r.rep.list_id);
	assert_int_equal(sqlite3_column_int(st, 1), 2); /* header is row 1 */
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "Ada Lovelace");
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "Analytical Engines");
	assert_string_equal((const char *)sqlite3_column_text(st, 4), "Countess");
	assert_string_equal((const char *)sqlite3_column_text(st, 5), "+12025550143");
	assert_string_equal((const char *)sqlite3_column_text(st, 6), "+1 202 555 0143");
	assert_string_equal((const char *)sqlite3_column_text(st, 7), "(202) 555-0143");
	assert_string_equal((const char *)sqlite3_column_text(st, 8), "US");
	assert_string_equal((const char *)sqlite3_column_text(st, 9), "not_called");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 1), 3);
	assert_string_equal((const char *)sqlite3_column_text(st, 5), "+12025550144");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	/* An empty title is NULL. */
	assert_int_equal(sqlite3_column_type(st, 4), SQLITE_NULL);
	assert_string_equal((const char *)sqlite3_column_text(st, 5), "+12025550145");
	assert_string_equal((const char *)sqlite3_column_text(st, 6), "202.555.0145");
	sqlite3_finalize(st);
	result_free(&r);
}

static void
test_import_created_by_and_default_name(void **state)
{
	struct result r;

	(void)state;
	tu_sql_exec("INSERT INTO users (id, username, password_hash) VALUES (7, 'uploader', 'x')");
	assert_int_equal(import(NULL, 0, 7, "US", five_us, 0, &r), DL_OK);
	result_free(&r);
	assert_int_equal(count("SELECT created_by FROM contact_lists"), 7);
	/* No name given: the list is still named. */
	assert_int_equal(count("SELECT length(name) > 0 FROM contact_lists"), 1);
	assert_int_equal(import("", 0, 0, "US", five_us, 0, &r), DL_OK);
	result_free(&r);
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists WHERE length(name) > 0"), 2);
}

static void
test_import_chunking_irrelevant(void **state)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64 };
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		assert_int_equal(import("Chunked", 0, 0, "US", five_us, chunks[i], &r), DL_OK);
		assert_int_equal(r.rep.imported, 5);
		assert_int_equal(r.rep.error_count, 0);
		result_free(&r);
	}
	assert_int_equal(count("SELECT COUNT(*) FROM contacts"), 25);
	assert_int_equal(count("SELECT COUNT(DISTINCT phone_e164) FROM contacts"), 5);
}

static void
test_report_json(void **state)
{
	static const char csv[] = HEADER
	    "Ada Lovelace,Analytical Engines,+1 202 555 0143,\n"
	    ",No Name Ltd,+1 202 555 0150,\n";
	struct result r;
	cJSON *j, *errs, *e;

	(void)state;
	assert_int_equal(import("J", 0, 0, "US", csv, 0, &r), DL_OK);
	j = contacts_report_json(&r.rep);
	assert_non_null(j);
	/* The errors array moved into the result. */
	assert_null(r.rep.errors);
	assert_int_equal((long long)tu_jnum(j, "list_id"), r.rep.list_id);
	assert_int_equal((long)tu_jnum(j, "imported"), 1);
	assert_int_equal((long)tu_jnum(j, "skipped"), 1);
	assert_int_equal((long)tu_jnum(j, "error_count"), 1);
	errs = cJSON_GetObjectItemCaseSensitive(j, "errors");
	assert_true(cJSON_IsArray(errs));
	assert_int_equal(cJSON_GetArraySize(errs), 1);
	e = cJSON_GetArrayItem(errs, 0);
	assert_int_equal((long)tu_jnum(e, "row"), 3);
	assert_string_equal(tu_jstr(e, "column"), "name");
	assert_string_equal(tu_jstr(e, "code"), "required");
	assert_true(tu_jstr(e, "message")[0] != '\0');
	assert_int_equal(cJSON_GetArraySize(j), 6);
	cJSON_Delete(j);
	/* Freeing the emptied report is harmless. */
	result_free(&r);
	result_free(&r);
}

static void
test_row_errors(void **state)
{
	struct sb csv = { 0 };
	char longname[202], okname[401];
	struct result r;
	int i;

	(void)state;
	memset(longname, 'n', 201);
	longname[201] = '\0';
	/* 200 characters of two bytes each: within the limit. */
	for (i = 0; i < 200; i++)
		memcpy(okname + 2 * i, "\xc3\xa9", 2);
	okname[400] = '\0';

	sb_printf(&csv, HEADER);
	sb_printf(&csv, "Ada Lovelace,Analytical Engines,+1 202 555 0143,\n");   /* 2 ok */
	sb_printf(&csv, ",Nameless Inc,+1 202 555 0151,\n");                     /* 3 */
	sb_printf(&csv, "No Company,,+1 202 555 0152,\n");                       /* 4 */
	sb_printf(&csv, "Short Number,Acme,12,\n");                              /* 5 */
	sb_printf(&csv, "Letters,Acme,call me maybe,\n");                        /* 6 */
	sb_printf(&csv, "Empty Phone,Acme,,\n");                                 /* 7 */
	sb_printf(&csv, "Premium,Acme,+1 900 555 0143,\n");                      /* 8 */
	sb_printf(&csv, "%s,Acme,+1 202 555 0153,\n", longname);                 /* 9 */
	sb_printf(&csv, "%s,Acme,+1 202 555 0154,\n", okname);                   /* 10 ok */
	sb_printf(&csv, "Too,Many,+1 202 555 0155,Fields,Here\n");               /* 11 */
	sb_printf(&csv, "Bad \xff UTF-8,Acme,+1 202 555 0156,\n");               /* 12 */
	sb_printf(&csv, "Long Title,Acme,+1 202 555 0157,%s\n", longname);       /* 13 */
	sb_printf(&csv, "\"Quoted, Name\",\"Multi\nLine Co\",+1 202 555 0158,\n");/* 14 ok */
	/* Row numbers count records, not lines: the next one is row 15. */
	sb_printf(&csv, "Last One,Acme,+1 202 555 0159,\n");                     /* 15 ok */

	assert_int_equal(import("Errors", 0, 0, "US", csv.s, 0, &r), DL_OK);
	free(csv.s);
	assert_int_equal(r.rep.imported, 4);
	assert_int_equal(r.rep.skipped, 10);
	assert_int_equal(r.rep.error_count, 10);
	assert_int_equal(cJSON_GetArraySize(r.rep.errors), 10);
	expect_error(r.rep.errors, 3, "name", "required");
	expect_error(r.rep.errors, 4, "company", "required");
	expect_error(r.rep.errors, 5, "phone", "phone_too_short");
	expect_error(r.rep.errors, 6, "phone", "phone_not_a_number");
	expect_error(r.rep.errors, 7, "phone", "phone_empty");
	expect_error(r.rep.errors, 8, "phone", "phone_not_dialable");
	expect_error(r.rep.errors, 9, "name", "too_long");
	expect_error(r.rep.errors, 11, NULL, "field_count");
	expect_error(r.rep.errors, 12, "name", "invalid_utf8");
	expect_error(r.rep.errors, 13, "title", "too_long");
	assert_null(error_for_row(r.rep.errors, 2));
	assert_null(error_for_row(r.rep.errors, 10));
	/* Errors are listed in row order. */
	assert_int_equal((long)tu_jnum(cJSON_GetArrayItem(r.rep.errors, 0), "row"), 3);
	assert_int_equal((long)tu_jnum(cJSON_GetArrayItem(r.rep.errors, 9), "row"), 13);
	result_free(&r);

	assert_int_equal(count("SELECT COUNT(*) FROM contacts"), 4);
	assert_int_equal(count("SELECT contact_count FROM contact_lists"), 4);
	assert_int_equal(count("SELECT source_row FROM contacts WHERE name = 'Last One'"), 15);
	assert_int_equal(count("SELECT COUNT(*) FROM contacts WHERE name = 'Quoted, Name' "
	    "AND company = 'Multi\nLine Co'"), 1);
}

static void
test_duplicates_in_file(void **state)
{
	static const char csv[] = HEADER
	    "Ada Lovelace,Analytical Engines,+1 202 555 0143,\n"
	    "Ada Again,Analytical Engines,(202) 555-0143,\n"
	    "Grace Hopper,US Navy,+1 202 555 0144,\n"
	    "Ada Thrice,Analytical Engines,12025550143,\n";
	struct result r;
	const cJSON *e;

	(void)state;
	assert_int_equal(import("Dups", 0, 0, "US", csv, 0, &r), DL_OK);
	assert_int_equal(r.rep.imported, 2);
	assert_int_equal(r.rep.skipped, 2);
	assert_int_equal(r.rep.error_count, 2);
	expect_error(r.rep.errors, 3, "phone", "duplicate");
	expect_error(r.rep.errors, 5, "phone", "duplicate");
	e = error_for_row(r.rep.errors, 3);
	assert_non_null(strstr(tu_jstr(e, "message"), "+12025550143"));
	assert_non_null(strstr(tu_jstr(e, "message"), "earlier row"));
	result_free(&r);
	/* The first occurrence is the one kept. */
	assert_int_equal(count("SELECT COUNT(*) FROM contacts WHERE phone_e164 = '+12025550143' "
	    "AND name = 'Ada Lovelace' AND source_row = 2"), 1);
	assert_int_equal(count("SELECT contact_count FROM contact_lists"), 2);
}

static void
test_same_number_in_two_lists(void **state)
{
	struct result r;

	(void)state;
	assert_int_equal(import("One", 0, 0, "US", five_us, 0, &r), DL_OK);
	result_free(&r);
	assert_int_equal(import("Two", 0, 0, "US", five_us, 0, &r), DL_OK);
	assert_int_equal(r.rep.imported, 5);
	assert_int_equal(r.rep.error_count, 0);
	result_free(&r);
}

static void
test_append_to_list(void **state)
{
	static const char more[] = HEADER
	    "Katherine Johnson,NASA,+1 202 555 0160,\n"
	    "Ada Duplicate,Analytical Engines,(202) 555-0143,\n";
	struct result r;
	long long list;
	const cJSON *e;

	(void)state;
	assert_int_equal(import("Base", 0, 0, "US", five_us, 0, &r), DL_OK);
	list = r.rep.list_id;
	result_free(&r);

	assert_int_equal(import("ignored name", list, 0, "US", more, 0, &r), DL_OK);
	assert_int_equal(r.rep.list_id, list);
	assert_int_equal(r.rep.imported, 1);
	assert_int_equal(r.rep.skipped, 1);
	assert_int_equal(r.rep.error_count, 1);
	expect_error(r.rep.errors, 3, "phone", "duplicate");
	e = error_for_row(r.rep.errors, 3);
	assert_non_null(strstr(tu_jstr(e, "message"), "already in this list"));
	assert_null(strstr(tu_jstr(e, "message"), "earlier row"));
	result_free(&r);

	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists"), 1);
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists WHERE name = 'Base'"), 1);
	assert_int_equal(count("SELECT contact_count FROM contact_lists"), 6);
	assert_int_equal(count("SELECT COUNT(*) FROM contacts"), 6);

	/* Appending nothing new is not an error: the list already exists. */
	assert_int_equal(import(NULL, list, 0, "US", five_us, 0, &r), DL_OK);
	assert_int_equal(r.rep.imported, 0);
	assert_int_equal(r.rep.error_count, 5);
	result_free(&r);
	assert_int_equal(count("SELECT contact_count FROM contact_lists"), 6);
}

static void
test_region_default(void **state)
{
	static const char uk[] = HEADER
	    "Tim,CERN,020 7946 0123,\n"
	    "Tom,CERN,+44 20 7946 0124,\n"
	    "Bruce,Sydney Co,+61 491 570 156,\n"
	    "Ada,Engines,+1 202 555 0143,\n";
	static const char au[] = HEADER "Sheila,Sydney Co,0491 570 157,\n";
	struct result r;

	(void)state;
	assert_int_equal(import("UK", 0, 0, "GB", uk, 0, &r), DL_OK);
	assert_int_equal(r.rep.imported, 4);
	result_free(&r);
	assert_int_equal(count("SELECT COUNT(*) FROM contacts WHERE phone_e164 = '+442079460123' "
	    "AND region = 'GB'"), 1);
	assert_int_equal(count("SELECT COUNT(*) FROM contacts WHERE phone_e164 = '+61491570156' "
	    "AND region = 'AU'"), 1);
	assert_int_equal(import("AU", 0, 0, "AU", au, 0, &r), DL_OK);
	assert_int_equal(r.rep.imported, 1);
	result_free(&r);
	assert_int_equal(count("SELECT COUNT(*) FROM contacts WHERE phone_e164 = '+61491570157'"), 1);
}

static void
test_unknown_region(void **state)
{
	static const char *const bad[] = { "XX", "", "USA", "United States", "ZZ", NULL };
	struct contacts_import *imp;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		imp = (struct contacts_import *)(uintptr_t)1;
		if (contacts_import_begin("L", 0, 0, bad[i], &imp) != DL_ERR_INVALID)
			fail_msg("region \"%s\" accepted", bad[i]);
		assert_null(imp);
	}
	imp = (struct contacts_import *)(uintptr_t)1;
	assert_int_equal(contacts_import_begin("L", 0, 0, NULL, &imp), DL_ERR_INVALID);
	assert_null(imp);
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists"), 0);
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
}

static void
test_missing_list(void **state)
{
	struct contacts_import *imp = (struct contacts_import *)(uintptr_t)1;
	struct result r;
	long long list;

	(void)state;
	assert_int_equal(contacts_import_begin(NULL, 9999, 0, "US", &imp), DL_ERR_NOTFOUND);
	assert_null(imp);
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists"), 0);

	/* An archived list is not there to append to. */
	assert_int_equal(import("Old", 0, 0, "US", five_us, 0, &r), DL_OK);
	list = r.rep.list_id;
	result_free(&r);
	assert_int_equal(contacts_list_archive(list), DL_OK);
	assert_int_equal(import(NULL, list, 0, "US", five_us, 0, &r), DL_ERR_NOTFOUND);
	assert_int_equal(r.stage, 0);
	assert_int_equal(count("SELECT COUNT(*) FROM contacts"), 5);
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
}

static void
test_refused_file_leaves_nothing(void **state)
{
	static const char no_company[] = "name,phone\nAda Lovelace,+1 202 555 0143\n";
	struct result r;

	(void)state;
	assert_int_equal(import("Refused", 0, 0, "US", no_company, 0, &r), DL_ERR_INVALID);
	assert_string_equal(r.fcode, "missing_columns");
	assert_non_null(strstr(r.fmsg, "company"));
	result_free(&r);
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists"), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM contacts"), 0);
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);

	/* Byte by byte, the same. */
	assert_int_equal(import("Refused", 0, 0, "US", no_company, 1, &r), DL_ERR_INVALID);
	assert_string_equal(r.fcode, "missing_columns");
	result_free(&r);
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists"), 0);
}

static void
test_refused_file_when_appending(void **state)
{
	struct result r;
	long long list;

	(void)state;
	assert_int_equal(import("Base", 0, 0, "US", five_us, 0, &r), DL_OK);
	list = r.rep.list_id;
	result_free(&r);
	assert_int_equal(import(NULL, list, 0, "US", "phone\n+1 202 555 0160\n", 0, &r),
	    DL_ERR_INVALID);
	assert_string_equal(r.fcode, "missing_columns");
	result_free(&r);
	assert_int_equal(count("SELECT COUNT(*) FROM contacts"), 5);
	assert_int_equal(count("SELECT contact_count FROM contact_lists"), 5);
}

static void
test_empty_and_header_only(void **state)
{
	struct result r;

	(void)state;
	assert_int_equal(import("Empty", 0, 0, "US", "", 0, &r), DL_ERR_INVALID);
	assert_string_equal(r.fcode, "empty_file");
	result_free(&r);
	assert_int_equal(import("Header", 0, 0, "US", HEADER, 0, &r), DL_ERR_INVALID);
	assert_string_equal(r.fcode, "no_rows");
	result_free(&r);
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists"), 0);
}

static void
test_all_invalid_new_list(void **state)
{
	static const char csv[] = HEADER
	    ",Nameless,+1 202 555 0143,\n"
	    "Bad Phone,Acme,12,\n"
	    "No Company,,+1 202 555 0144,\n";
	struct result r;

	(void)state;
	assert_int_equal(import("Nothing good", 0, 0, "US", csv, 0, &r), DL_ERR_CONFLICT);
	assert_int_equal(r.stage, 2);
	assert_string_equal(r.fcode, "");
	/* The report says why. */
	assert_int_equal(r.rep.imported, 0);
	assert_int_equal(r.rep.skipped, 3);
	assert_int_equal(r.rep.error_count, 3);
	assert_true(cJSON_IsArray(r.rep.errors));
	assert_int_equal(cJSON_GetArraySize(r.rep.errors), 3);
	expect_error(r.rep.errors, 3, "phone", "phone_too_short");
	result_free(&r);
	/* And nothing is stored. */
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists"), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM contacts"), 0);
}

static void
test_error_list_capped(void **state)
{
	struct sb csv = { 0 };
	struct result r;
	long i, bad = CONTACTS_MAX_LISTED_ERRORS + 205;

	(void)state;
	sb_printf(&csv, HEADER);
	sb_printf(&csv, "Ada Lovelace,Analytical Engines,+1 202 555 0143,\n");
	for (i = 0; i < bad; i++)
		sb_printf(&csv, ",Nameless %ld,+1 202 555 0144,\n", i);
	sb_printf(&csv, "Grace Hopper,US Navy,+1 202 555 0145,\n");

	assert_int_equal(import("Capped", 0, 0, "US", csv.s, 0, &r), DL_OK);
	free(csv.s);
	assert_int_equal(r.rep.imported, 2);
	assert_int_equal(r.rep.skipped, bad);
	assert_int_equal(r.rep.error_count, bad);
	assert_int_equal(cJSON_GetArraySize(r.rep.errors), CONTACTS_MAX_LISTED_ERRORS);
	/* The first ones are listed, in order. */
	assert_int_equal((long)tu_jnum(cJSON_GetArrayItem(r.rep.errors, 0), "row"), 3);
	assert_int_equal((long)tu_jnum(cJSON_GetArrayItem(r.rep.errors,
	    CONTACTS_MAX_LISTED_ERRORS - 1), "row"), CONTACTS_MAX_LISTED_ERRORS + 2);
	result_free(&r);
	assert_int_equal(count("SELECT source_row FROM contacts WHERE name = 'Grace Hopper'"),
	    bad + 3);
}

/* 1300 valid rows: several of the importer's batches. */
static char *
big_csv(void)
{
	static const char *const areas[] = { "202", "212", "312" };
	struct sb csv = { 0 };
	int i, a;

	sb_printf(&csv, HEADER);
	for (i = 0; i < 1000; i++)
		sb_printf(&csv, "Person %d,Company %d,020 7946 0%03d,Title %d\n", i, i % 37, i, i);
	for (a = 0; a < 3; a++)
		for (i = 0; i < 100; i++)
			sb_printf(&csv, "US Person %d-%d,US Co,+1 %s 555 01%02d,\n", a, i, areas[a], i);
	return csv.s;
}

static void
test_large_import(void **state)
{
	/* Phones are parsed in helper processes started on first use (their
	 * number is fixed then), so only the feeding varies here; the
	 * results must not depend on it. */
	static const size_t chunks[] = { 0, 4096, 1000, 777, 1 };
	char *csv = big_csv();
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		long long list;

		assert_int_equal(import("Big", 0, 0, "GB", csv, chunks[i], &r), DL_OK);
		assert_int_equal(r.rep.imported, 1300);
		assert_int_equal(r.rep.error_count, 0);
		list = r.rep.list_id;
		result_free(&r);

		assert_int_equal(tu_sql_int_with("SELECT COUNT(*) FROM contacts WHERE list_id = ?1",
		    list), 1300);
		assert_int_equal(tu_sql_int_with("SELECT COUNT(DISTINCT phone_e164) FROM contacts "
		    "WHERE list_id = ?1", list), 1300);
		/* Inserted in file order: ids and source rows rise together. */
		assert_int_equal(tu_sql_int_with("SELECT COUNT(*) FROM contacts a JOIN contacts b "
		    "ON b.id = a.id + 1 AND b.list_id = a.list_id WHERE a.list_id = ?1 "
		    "AND b.source_row <> a.source_row + 1", list), 0);
		assert_int_equal(tu_sql_int_with("SELECT COUNT(*) FROM contacts WHERE list_id = ?1 "
		    "AND source_row = 502 AND name = 'Person 500' AND phone_e164 = '+442079460500'",
		    list), 1);
		assert_int_equal(tu_sql_int_with("SELECT COUNT(*) FROM contacts WHERE list_id = ?1 "
		    "AND source_row = 1301 AND phone_e164 = '+13125550199'", list), 1);
	}
	free(csv);
}

/*
 * The importer must judge a phone cell as phone_parse() does. A cell of
 * a valid number, 113 blanks and "99999" (133 bytes) is too long for
 * phone_parse (which trims blanks, then refuses more than 64 bytes); it
 * must not be imported as the number its first 128 bytes hold.
 */
static void
test_long_phone_cell_judged_whole(void **state)
{
	struct sb csv = { 0 };
	char cell[160];
	struct phone_info info;
	struct result r;
	enum phone_reason why;
	long imported, errors;
	long long stored;
	int listed;
	char code[40] = "";

	(void)state;
	memcpy(cell, "+1 202 555 0143", 15);
	memset(cell + 15, ' ', 113);
	memcpy(cell + 128, "99999", 6);
	why = phone_parse(cell, strlen(cell), "US", &info);
	assert_int_equal(why, PHONE_TOO_LONG);

	sb_printf(&csv, HEADER);
	sb_printf(&csv, "Grace Hopper,US Navy,+1 202 555 0144,\n");
	sb_printf(&csv, "Padded,Acme,%s,\n", cell);
	assert_int_equal(import("Long cell", 0, 0, "US", csv.s, 0, &r), DL_OK);
	free(csv.s);
	/* Free the report before any check that may fail (a failed check
	 * leaves the test at once). */
	listed = error_for_row(r.rep.errors, 3) != NULL;
	imported = r.rep.imported;
	errors = r.rep.error_count;
	if (listed) {
		const cJSON *e = error_for_row(r.rep.errors, 3);

		snprintf(code, sizeof(code), "%s",
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code")) != NULL ?
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code")) : "");
	}
	result_free(&r);
	stored = count("SELECT COUNT(*) FROM contacts WHERE phone_e164 = '+12025550143'");
	if (stored != 0 || imported != 1 || errors != 1 || !listed)
		fail_msg("cell \"+1 202 555 0143<113 blanks>99999\" (133 bytes, %s for "
		    "phone_parse): imported %ld, errors %ld, stored as +12025550143: %lld",
		    phone_reason_code(why), imported, errors, stored);
	assert_string_equal(code, phone_reason_code(why));
}

static void
test_large_import_duplicates_and_errors(void **state)
{
	/* Errors and duplicates far apart, across batches, in row order. */
	struct sb csv = { 0 };
	struct result r;
	int i;

	(void)state;
	sb_printf(&csv, HEADER);
	for (i = 0; i < 1000; i++) {
		if (i % 100 == 50)
			sb_printf(&csv, "Bad %d,Co,12,\n", i);
		else
			sb_printf(&csv, "P %d,Co,020 7946 0%03d,\n", i, i);
	}
	/* The same numbers again, written another way: all duplicates. */
	for (i = 0; i < 20; i++)
		sb_printf(&csv, "Again %d,Co,+44 20 7946 0%03d,\n", i, i);
	assert_int_equal(import("Mixed", 0, 0, "GB", csv.s, 333, &r), DL_OK);
	free(csv.s);
	assert_int_equal(r.rep.imported, 990);
	assert_int_equal(r.rep.error_count, 30);
	expect_error(r.rep.errors, 52, "phone", "phone_too_short");
	expect_error(r.rep.errors, 952, "phone", "phone_too_short");
	expect_error(r.rep.errors, 1002, "phone", "duplicate");
	expect_error(r.rep.errors, 1021, "phone", "duplicate");
	for (i = 1; i < 30; i++)
		assert_true(tu_jnum(cJSON_GetArrayItem(r.rep.errors, i - 1), "row") <
		    tu_jnum(cJSON_GetArrayItem(r.rep.errors, i), "row"));
	result_free(&r);
}

static void
test_rename(void **state)
{
	struct contacts_import *imp;
	struct contacts_report rep;
	long long list;

	(void)state;
	assert_int_equal(contacts_import_begin("upload.csv", 0, 0, "US", &imp), DL_OK);
	assert_int_equal(contacts_import_feed(imp, five_us, strlen(five_us)), DL_OK);
	assert_int_equal(contacts_import_rename(imp, "Spring leads"), DL_OK);
	assert_int_equal(contacts_import_rename(imp, ""), DL_OK);   /* ignored */
	assert_int_equal(contacts_import_rename(imp, NULL), DL_OK); /* ignored */
	assert_int_equal(contacts_import_finish(imp, &rep), DL_OK);
	contacts_import_abort(imp);
	list = rep.list_id;
	contacts_report_free(&rep);
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists WHERE name = 'Spring leads'"), 1);

	/* Appending never renames. */
	assert_int_equal(contacts_import_begin(NULL, list, 0, "US", &imp), DL_OK);
	assert_int_equal(contacts_import_rename(imp, "Other"), DL_OK);
	contacts_import_abort(imp);
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists WHERE name = 'Spring leads'"), 1);
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
}

static void
test_abort_midway(void **state)
{
	struct contacts_import *imp;

	(void)state;
	/* Aborted after rows went in: none of them stays. */
	assert_int_equal(contacts_import_begin("Half", 0, 0, "US", &imp), DL_OK);
	assert_int_equal(contacts_import_feed(imp, five_us, strlen(five_us)), DL_OK);
	contacts_import_abort(imp);
	assert_int_equal(count("SELECT COUNT(*) FROM contact_lists"), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM contacts"), 0);
	contacts_import_abort(NULL);
}

/* --- listing --------------------------------------------------------- */

static const char list_b[] = HEADER
    "Tim Berners-Lee,CERN,020 7946 0123,\n"
    "Ada Lovelace,Other Co,+1 202 555 0143,\n";

/* Lists A (five_us) and B (list_b); their ids to *a and *b. */
static void
two_lists(long long *a, long long *b)
{
	struct result r;

	assert_int_equal(import("List A", 0, 0, "US", five_us, 0, &r), DL_OK);
	*a = r.rep.list_id;
	result_free(&r);
	assert_int_equal(import("List B", 0, 0, "GB", list_b, 0, &r), DL_OK);
	*b = r.rep.list_id;
	result_free(&r);
}

/* 2026-11-24T18:00:00Z: 13:00 in Washington, 18:00 in London. */
#define NOW 1795543200LL

/* contacts_list; the number of items to *items, the total returned. */
static long long
query(long long list, const char *status, const char *q, long long page,
    long long per_page, int *items, cJSON **keep)
{
	struct contacts_filter f = { .list_id = list, .status = status, .q = q, .page = page,
	    .per_page = per_page, .now = NOW };
	cJSON *out = NULL, *arr;
	long long total;
	char *text = NULL;
	size_t len = 0;

	if (contacts_list(&f, &text, &len) != DL_OK)
		fail_msg("contacts_list failed (q=%s)", q ? q : "(null)");
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	/* The text is written by hand: it must parse as JSON. */
	out = cJSON_Parse(text);
	free(text);
	assert_non_null(out);
	arr = cJSON_GetObjectItemCaseSensitive(out, "items");
	assert_true(cJSON_IsArray(arr));
	if (items != NULL)
		*items = cJSON_GetArraySize(arr);
	assert_int_equal((long long)tu_jnum(out, "page"), page);
	assert_int_equal((long long)tu_jnum(out, "per_page"), per_page);
	total = (long long)tu_jnum(out, "total");
	if (keep != NULL)
		*keep = out;
	else
		cJSON_Delete(out);
	return total;
}

/* The total for a search, checking the page agrees with it. */
static long long
search(long long list, const char *status, const char *q)
{
	int n;
	long long total = query(list, status, q, 1, 200, &n, NULL);

	assert_int_equal(n, total);
	return total;
}

static void
test_list_all_and_by_list(void **state)
{
	long long a, b;
	int n;

	(void)state;
	two_lists(&a, &b);
	assert_int_equal(query(0, NULL, NULL, 1, 200, &n, NULL), 7);
	assert_int_equal(n, 7);
	assert_int_equal(query(a, NULL, NULL, 1, 200, &n, NULL), 5);
	assert_int_equal(n, 5);
	assert_int_equal(query(b, NULL, NULL, 1, 200, &n, NULL), 2);
	assert_int_equal(n, 2);
	assert_int_equal(query(b + 100, NULL, NULL, 1, 200, &n, NULL), 0);
	assert_int_equal(n, 0);
	/* An empty q is no search. */
	assert_int_equal(search(0, NULL, ""), 7);
}

static void
test_list_item_shape(void **state)
{
	cJSON *out, *items, *it;
	long long a, b;

	(void)state;
	two_lists(&a, &b);
	query(a, NULL, NULL, 1, 200, NULL, &out);
	items = cJSON_GetObjectItemCaseSensitive(out, "items");
	it = cJSON_GetArrayItem(items, 0);
	assert_true(tu_jnum(it, "id") > 0);
	assert_int_equal((long long)tu_jnum(it, "list_id"), a);
	assert_string_equal(tu_jstr(it, "name"), "Ada Lovelace");
	assert_string_equal(tu_jstr(it, "company"), "Analytical Engines");
	assert_string_equal(tu_jstr(it, "title"), "Countess");
	assert_string_equal(tu_jstr(it, "phone"), "+12025550143");
	assert_string_equal(tu_jstr(it, "phone_display"), "(202) 555-0143");
	assert_string_equal(tu_jstr(it, "region"), "US");
	assert_string_equal(tu_jstr(it, "status"), "not_called");
	assert_true(tu_jnull(it, "last_outcome"));
	assert_true(tu_jnull(it, "last_called_at"));
	assert_true(tu_jnull(it, "timezone"));
	assert_int_equal((long)tu_jnum(it, "attempts"), 0);
	assert_true(tu_jnull(it, "callback_at"));
	assert_true(tu_jnull(it, "callback_by"));
	assert_true(tu_jnull(it, "retry_at"));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(it, "final")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(it, "do_not_call")));
	assert_true(tu_jnull(it, "reserved_by"));
	assert_true(tu_jnull(it, "reserved_until"));
	assert_int_equal(cJSON_GetArraySize(it), 20);
	/* Alan Turing has no title. */
	it = cJSON_GetArrayItem(items, 2);
	assert_string_equal(tu_jstr(it, "name"), "Alan Turing");
	assert_true(tu_jnull(it, "title"));
	cJSON_Delete(out);
}

static void
test_list_paging(void **state)
{
	long long a, b, seen[5];
	int n, page, k = 0, i, j;

	(void)state;
	two_lists(&a, &b);
	for (page = 1; page <= 4; page++) {
		cJSON *out, *it;

		assert_int_equal(query(a, NULL, NULL, page, 2, &n, &out), 5);
		assert_int_equal(n, page < 3 ? 2 : page == 3 ? 1 : 0);
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(out, "items")) {
			assert_true(k < 5);
			seen[k++] = (long long)tu_jnum(it, "id");
		}
		cJSON_Delete(out);
	}
	/* Every contact once, in id order. */
	assert_int_equal(k, 5);
	for (i = 1; i < 5; i++)
		assert_true(seen[i] > seen[i - 1]);
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++)
			assert_true(seen[i] != seen[j]);
	/* per_page 1 over everything. */
	assert_int_equal(query(0, NULL, NULL, 7, 1, &n, NULL), 7);
	assert_int_equal(n, 1);
	assert_int_equal(query(0, NULL, NULL, 8, 1, &n, NULL), 7);
	assert_int_equal(n, 0);
	/* Paging with a search. */
	assert_int_equal(query(0, NULL, "ada", 2, 1, &n, NULL), 2);
	assert_int_equal(n, 1);
}

static void
test_list_status_filter(void **state)
{
	long long a, b;

	(void)state;
	two_lists(&a, &b);
	assert_int_equal(search(0, "not_called", NULL), 7);
	assert_int_equal(search(0, "called", NULL), 0);
	tu_sql_exec("UPDATE contacts SET status = 'called' WHERE name = 'Grace Hopper'");
	assert_int_equal(search(0, "called", NULL), 1);
	assert_int_equal(search(a, "called", NULL), 1);
	assert_int_equal(search(b, "called", NULL), 0);
	assert_int_equal(search(a, "not_called", NULL), 4);
	assert_int_equal(search(0, "called", "grace"), 1);
	assert_int_equal(search(0, "not_called", "grace"), 0);
	assert_int_equal(search(a, "called", "hopper"), 1);
	/* The statuses a page may ask for. */
	assert_string_equal(contacts_statuses[0], "not_called");
	assert_non_null(contacts_statuses[1]);
}

static void
test_list_search(void **state)
{
	long long a, b;

	(void)state;
	two_lists(&a, &b);
	/* Name, either list; any case. */
	assert_int_equal(search(0, NULL, "lovelace"), 2);
	assert_int_equal(search(0, NULL, "ADA LOVE"), 2);
	assert_int_equal(search(b, NULL, "lovelace"), 1);
	/* Company. */
	assert_int_equal(search(0, NULL, "navy"), 1);
	assert_int_equal(search(0, NULL, "cern"), 1);
	/* Phone digits, however they are written. */
	assert_int_equal(search(0, NULL, "0143"), 2);
	assert_int_equal(search(0, NULL, "555-0144"), 1);
	assert_int_equal(search(0, NULL, "(202) 555-0145"), 1);
	assert_int_equal(search(0, NULL, "+1 202 555 0146"), 1);
	assert_int_equal(search(0, NULL, "7946"), 1);
	assert_int_equal(search(a, NULL, "7946"), 0);
	/* Fewer than three digits do not search phones. */
	assert_int_equal(search(0, NULL, "01"), 0);
	/* No match. */
	assert_int_equal(search(0, NULL, "nobody at all"), 0);
}

static void
test_list_search_wildcards_literal(void **state)
{
	long long a, b;

	(void)state;
	two_lists(&a, &b);
	/* LIKE's % and _ are literal characters in q. */
	assert_int_equal(search(0, NULL, "%"), 1);   /* Bletchley 100% Park */
	assert_int_equal(search(0, NULL, "100%"), 1);
	assert_int_equal(search(0, NULL, "%%"), 0);
	assert_int_equal(search(0, NULL, "_"), 1);   /* Edsger_Dijkstra */
	assert_int_equal(search(0, NULL, "r_D"), 1);
	assert_int_equal(search(0, NULL, "a_a"), 0); /* would match "Ada" as a wildcard */
	assert_int_equal(search(0, NULL, "A%e"), 0); /* would match "Ada Lovelace" */
	assert_int_equal(search(0, NULL, "\\"), 0);
	assert_int_equal(search(0, NULL, "\\%"), 0);
	assert_int_equal(search(0, NULL, "'"), 0);
}

/* The item of list `a` called `name` in a fresh listing at `now` (the
 * caller deletes *out). */
static cJSON *
item_named(long long a, const char *name, long long now, cJSON **out)
{
	struct contacts_filter f = { .list_id = a, .page = 1, .per_page = 200, .now = now };
	cJSON *it;
	char *text;
	size_t len;

	assert_int_equal(contacts_list(&f, &text, &len), DL_OK);
	*out = cJSON_Parse(text);
	free(text);
	assert_non_null(*out);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(*out, "items"))
		if (strcmp(tu_jstr(it, "name"), name) == 0)
			return it;
	fail_msg("no contact named %s", name);
	return NULL;
}

static void
test_list_queue_fields(void **state)
{
	cJSON *out, *it;
	long long a, b;

	(void)state;
	two_lists(&a, &b);
	tu_sql_exec("INSERT INTO users (username, password_hash) VALUES ('op', 'x')");
	tu_sql_exec("UPDATE contacts SET status = 'called', last_outcome = 'not_interested', "
	    "attempts = 2 WHERE name = 'Grace Hopper'");
	tu_sql_exec("UPDATE contacts SET status = 'called', last_outcome = 'no_answer', attempts = 1, "
	    "retry_at = '2026-11-24T20:00:00Z', timezone = 'America/New_York' "
	    "WHERE name = 'Alan Turing'");
	tu_sql_exec("UPDATE contacts SET status = 'called', last_outcome = 'busy', attempts = 3 "
	    "WHERE name = 'Barbara Liskov'");
	tu_sql_exec("UPDATE contacts SET status = 'called', last_outcome = 'follow_up', "
	    "callback_at = '2026-11-25T09:00:00Z', callback_by = 1, reserved_by = 1, "
	    "reserved_until = '2026-11-24T18:05:00Z' WHERE name = 'Edsger_Dijkstra'");
	tu_sql_exec("INSERT INTO dnc (phone_e164) VALUES ('+12025550143')");

	it = item_named(a, "Grace Hopper", NOW, &out);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "final")));
	assert_int_equal((long)tu_jnum(it, "attempts"), 2);
	cJSON_Delete(out);
	/* no_answer with a retry to come is not final; without one it is. */
	it = item_named(a, "Alan Turing", NOW, &out);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(it, "final")));
	assert_string_equal(tu_jstr(it, "retry_at"), "2026-11-24T20:00:00Z");
	assert_string_equal(tu_jstr(it, "timezone"), "America/New_York");
	cJSON_Delete(out);
	it = item_named(a, "Barbara Liskov", NOW, &out);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "final")));
	cJSON_Delete(out);
	it = item_named(a, "Ada Lovelace", NOW, &out);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "do_not_call")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(it, "final")));
	cJSON_Delete(out);
	/* The same number in the other list is listed too. */
	it = item_named(b, "Ada Lovelace", NOW, &out);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "do_not_call")));
	cJSON_Delete(out);
	/* A reservation shows while it lasts. */
	it = item_named(a, "Edsger_Dijkstra", NOW, &out);
	assert_string_equal(tu_jstr(it, "callback_at"), "2026-11-25T09:00:00Z");
	assert_int_equal((long)tu_jnum(it, "callback_by"), 1);
	assert_int_equal((long)tu_jnum(it, "reserved_by"), 1);
	assert_string_equal(tu_jstr(it, "reserved_until"), "2026-11-24T18:05:00Z");
	cJSON_Delete(out);
	it = item_named(a, "Edsger_Dijkstra", NOW + 300, &out);
	assert_true(tu_jnull(it, "reserved_by"));
	assert_true(tu_jnull(it, "reserved_until"));
	cJSON_Delete(out);
}

static long long
callable_total(long long list, const char *q, long long now)
{
	struct contacts_filter f = { .list_id = list, .q = q, .page = 1, .per_page = 200,
	    .callable = 1, .now = now };
	cJSON *out;
	char *text;
	size_t len;
	long long total;

	assert_int_equal(contacts_list(&f, &text, &len), DL_OK);
	out = cJSON_Parse(text);
	free(text);
	assert_non_null(out);
	total = (long long)tu_jnum(out, "total");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "items")), total);
	cJSON_Delete(out);
	return total;
}

static void
test_list_callable(void **state)
{
	long long a, b;

	(void)state;
	two_lists(&a, &b);
	/* 13:00 in Washington, 18:00 in London: all seven. */
	assert_int_equal(callable_total(0, NULL, NOW), 7);
	/* 23:00 UTC: 18:00 in Washington, 23:00 in London. */
	assert_int_equal(callable_total(0, NULL, NOW + 5 * 3600), 6);
	assert_int_equal(callable_total(b, NULL, NOW + 5 * 3600), 1);
	assert_int_equal(callable_total(0, "berners", NOW + 5 * 3600), 0);
	/* Its own zone wins over the number's. */
	tu_sql_exec("UPDATE contacts SET timezone = 'Asia/Tokyo' WHERE name = 'Grace Hopper'");
	assert_int_equal(callable_total(a, NULL, NOW), 4);
	/* Numbers on the DNC list are never callable. */
	tu_sql_exec("INSERT INTO dnc (phone_e164) VALUES ('+12025550143')");
	assert_int_equal(callable_total(0, NULL, NOW), 4);
	assert_int_equal(callable_total(a, "lovelace", NOW), 0);
}

static void
test_lists_overview(void **state)
{
	cJSON *out = NULL, *items, *it, *counts, *n;
	long long a, b;

	(void)state;
	assert_int_equal(contacts_lists(&out), DL_OK);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "items")), 0);
	cJSON_Delete(out);

	two_lists(&a, &b);
	tu_sql_exec("UPDATE contacts SET status = 'called' WHERE name = 'Grace Hopper'");
	tu_sql_exec("UPDATE contacts SET status = 'voicemail' WHERE name = 'Alan Turing'");
	assert_int_equal(contacts_lists(&out), DL_OK);
	items = cJSON_GetObjectItemCaseSensitive(out, "items");
	assert_int_equal(cJSON_GetArraySize(items), 2);

	/* Newest first. */
	it = cJSON_GetArrayItem(items, 0);
	assert_int_equal((long long)tu_jnum(it, "id"), b);
	assert_string_equal(tu_jstr(it, "name"), "List B");
	assert_int_equal(strlen(tu_jstr(it, "created_at")), 20);
	assert_int_equal((long)tu_jnum(it, "total"), 2);
	counts = cJSON_GetObjectItemCaseSensitive(it, "counts");
	assert_int_equal((long)tu_jnum(counts, "not_called"), 2);
	assert_int_equal((long)tu_jnum(counts, "called"), 0);

	it = cJSON_GetArrayItem(items, 1);
	assert_int_equal((long long)tu_jnum(it, "id"), a);
	assert_string_equal(tu_jstr(it, "name"), "List A");
	assert_int_equal((long)tu_jnum(it, "total"), 5);
	counts = cJSON_GetObjectItemCaseSensitive(it, "counts");
	assert_int_equal((long)tu_jnum(counts, "not_called"), 3);
	assert_int_equal((long)tu_jnum(counts, "called"), 1);
	n = cJSON_GetObjectItemCaseSensitive(counts, "voicemail");
	assert_true(cJSON_IsNumber(n) && n->valuedouble == 1);
	cJSON_Delete(out);
}

static void
test_archive(void **state)
{
	cJSON *out = NULL, *items;
	long long a, b;
	int n;

	(void)state;
	two_lists(&a, &b);
	assert_int_equal(contacts_list_archive(b), DL_OK);
	assert_int_equal(contacts_list_archive(b), DL_ERR_NOTFOUND);
	assert_int_equal(contacts_list_archive(b + 100), DL_ERR_NOTFOUND);
	assert_int_equal(contacts_list_archive(0), DL_ERR_NOTFOUND);

	/* Hidden from the overview ... */
	assert_int_equal(contacts_lists(&out), DL_OK);
	items = cJSON_GetObjectItemCaseSensitive(out, "items");
	assert_int_equal(cJSON_GetArraySize(items), 1);
	assert_int_equal((long long)tu_jnum(cJSON_GetArrayItem(items, 0), "id"), a);
	cJSON_Delete(out);
	/* ... and from contact listings, whichever filter. */
	assert_int_equal(query(0, NULL, NULL, 1, 200, &n, NULL), 5);
	assert_int_equal(n, 5);
	assert_int_equal(query(b, NULL, NULL, 1, 200, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(search(0, NULL, "lovelace"), 1);
	assert_int_equal(search(b, NULL, "lovelace"), 0);
	assert_int_equal(search(b, "not_called", NULL), 0);
	assert_int_equal(search(0, NULL, "7946"), 0);
	/* The rows themselves are kept. */
	assert_int_equal(count("SELECT COUNT(*) FROM contacts"), 7);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_import_basic),
		T(test_import_created_by_and_default_name),
		T(test_import_chunking_irrelevant),
		T(test_report_json),
		T(test_row_errors),
		T(test_duplicates_in_file),
		T(test_same_number_in_two_lists),
		T(test_append_to_list),
		T(test_region_default),
		T(test_unknown_region),
		T(test_missing_list),
		T(test_refused_file_leaves_nothing),
		T(test_refused_file_when_appending),
		T(test_empty_and_header_only),
		T(test_all_invalid_new_list),
		T(test_error_list_capped),
		T(test_large_import),
		T(test_long_phone_cell_judged_whole),
		T(test_large_import_duplicates_and_errors),
		T(test_rename),
		T(test_abort_midway),
		T(test_list_all_and_by_list),
		T(test_list_item_shape),
		T(test_list_paging),
		T(test_list_status_filter),
		T(test_list_search),
		T(test_list_search_wildcards_literal),
		T(test_list_queue_fields),
		T(test_list_callable),
		T(test_lists_overview),
		T(test_archive),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
