/*
 * The contact CSV import, whole: bytes -> csvread -> rowbatch (phones
 * through libphonenumber) -> the rows contacts_import stores, against one
 * migrated in-memory database. The first input byte picks the default
 * region, a new list or appending to a kept one, and the chunk size the
 * file is pushed in (the reader must not care where chunks end).
 *
 * Checked after every import that succeeds: the list holds exactly the
 * rows the report counts, its contact_count says so, and every stored row
 * has a name and a company of valid UTF-8 within the limits and an E.164
 * number. The database is put back after each input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "contacts.h"
#include "fuzz_util.h"
#include "valid.h"

static const char *const regions[] = { "US", "GB", "DE", "FR", "IN", "AU", "BR", "ZZ" };
static const size_t chunks[] = { 1, 3, 7, 64, 512, 4096, 65536, (size_t)-1 };

/* The list appends go to; it stays, its contacts do not. */
static long long kept_list;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_config();
	fuzz_db();
	fuzz_sql("INSERT INTO contact_lists (name) VALUES ('kept')");
	kept_list = sqlite3_last_insert_rowid(db_conn());
	/* One number on the do-not-call list, so that count is exercised. */
	fuzz_sql("INSERT INTO dnc (phone_e164) VALUES ('+12025550143')");
	return 0;
}

/* 1 if s is "+" and 2 to 18 digits, the first not 0 (libphonenumber
 * writes some German numbers with 16, past E.164's 15). */
static int
e164_shape(const char *s)
{
	size_t n;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	n = strspn(s + 1, "0123456789");
	return s[1 + n] == '\0' && n >= 2 && n <= 18;
}

/* A stored text column: NULL allowed only when `nullable`. */
static void
check_text(sqlite3_stmt *st, int col, int nullable)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	if (s == NULL) {
		FUZZ_CHECK(nullable);
		return;
	}
	FUZZ_CHECK(n > 0 && valid_utf8(s, n));
	FUZZ_CHECK(memchr(s, '\0', n) == NULL);
}

static void
check_stored(const struct contacts_report *rep)
{
	sqlite3_stmt *st;
	long n = 0;
	int rc;

	FUZZ_CHECK(sqlite3_prepare_v2(db_conn(), "SELECT name, company, title, phone_e164, "
	    "phone_raw FROM contacts WHERE list_id = ?1", -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_int64(st, 1, rep->list_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		check_text(st, 0, 0);
		check_text(st, 1, 0);
		check_text(st, 2, 1);
		FUZZ_CHECK(e164_shape((const char *)sqlite3_column_text(st, 3)));
		check_text(st, 4, 0);
		n++;
	}
	FUZZ_CHECK(rc == SQLITE_DONE);
	sqlite3_finalize(st);
	FUZZ_CHECK(n == rep->imported);
	FUZZ_CHECK(sqlite3_prepare_v2(db_conn(), "SELECT contact_count FROM contact_lists "
	    "WHERE id = ?1", -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_int64(st, 1, rep->list_id);
	FUZZ_CHECK(sqlite3_step(st) == SQLITE_ROW);
	FUZZ_CHECK(sqlite3_column_int64(st, 0) == rep->imported);
	sqlite3_finalize(st);
	FUZZ_CHECK(rep->do_not_call >= 0 && rep->do_not_call <= rep->imported);
}

/* Errors listed and counted as the report says. */
static void
check_report(struct contacts_report *rep)
{
	cJSON *o;
	char *text;
	long listed = rep->errors != NULL ? cJSON_GetArraySize(rep->errors) : 0;

	FUZZ_CHECK(rep->error_count == rep->skipped);
	FUZZ_CHECK(listed == (rep->skipped < CONTACTS_MAX_LISTED_ERRORS ? rep->skipped :
	    CONTACTS_MAX_LISTED_ERRORS));
	FUZZ_CHECK((o = contacts_report_json(rep)) != NULL);
	FUZZ_CHECK((text = cJSON_PrintUnformatted(o)) != NULL);
	FUZZ_CHECK(valid_utf8(text, strlen(text)));
	cJSON_free(text);
	cJSON_Delete(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t mode = fuzz_take_byte(&in);
	const char *region = regions[mode & 7];
	size_t chunk = chunks[(mode >> 3) & 7], off, n;
	int append = (mode & 0x40) != 0;
	struct contacts_import *imp;
	struct contacts_report rep;
	enum dl_err err;

	err = contacts_import_begin("fuzz", append ? kept_list : 0, 0, region, &imp);
	if (strcmp(region, "ZZ") == 0) {
		FUZZ_CHECK(err == DL_ERR_INVALID && imp == NULL);
		return 0;
	}
	FUZZ_CHECK(err == DL_OK);
	for (off = 0, err = DL_OK; off < in.n && err == DL_OK; off += n) {
		n = in.n - off < chunk ? in.n - off : chunk;
		err = contacts_import_feed(imp, in.p + off, n);
	}
	if (err == DL_OK) {
		err = contacts_import_finish(imp, &rep);
		FUZZ_CHECK(err == DL_OK || err == DL_ERR_CONFLICT || err == DL_ERR_INVALID);
		if (err == DL_OK) {
			FUZZ_CHECK(rep.imported > 0 || append);
			check_stored(&rep);
		}
		if (err != DL_ERR_INVALID)
			check_report(&rep);
		contacts_report_free(&rep);
	} else {
		const char *msg = NULL;

		FUZZ_CHECK(err == DL_ERR_INVALID);
		FUZZ_CHECK(contacts_import_file_error(imp, &msg) != NULL && msg != NULL);
	}
	contacts_import_abort(imp);
	FUZZ_CHECK(sqlite3_get_autocommit(db_conn()));
	/* Back to the kept list alone, empty. */
	fuzz_sql("DELETE FROM contacts; DELETE FROM contact_lists WHERE name <> 'kept'; "
	    "UPDATE contact_lists SET contact_count = 0");
	return 0;
}
