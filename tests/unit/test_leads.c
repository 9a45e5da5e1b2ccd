/* leads: the order of the queue, reservations, skips, what is passed over,
 * the /next answer and callbacks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contacts.h"
#include "db.h"
#include "leads.h"
#include "testutil.h"

#define setup tu_fixture_setup
#define teardown tu_fixture_teardown

/* 2026-11-24T18:00:00Z: noon in Chicago, 03:00 the next day in Tokyo. */
#define NOON 1795543200LL
#define HOUR 3600LL

static long long
add_user(const char *name)
{
	tu_sql_exec_text("INSERT INTO users (username, password_hash) VALUES (?1, 'x')", name);
	return sqlite3_last_insert_rowid(db_conn());
}

static long long
add_list(void)
{
	tu_sql_exec("INSERT INTO contact_lists (name) VALUES ('L')");
	return sqlite3_last_insert_rowid(db_conn());
}

/* An UPDATE of the contact just added (its id is ?1) setting `cols`. */
#define SET(cols) "UPDATE contacts SET " cols " WHERE id = ?1"

/* A contact in Chicago (unless tz says otherwise) with number
 * +1312555<suffix>; `extra` (NULL for none) is a SET(...) giving it more. */
static long long
add_contact(long long list, int suffix, const char *tz, const char *extra)
{
	static const char sql[] = "INSERT INTO contacts (list_id, source_row, name, company, "
	    "phone_e164, phone_raw, phone_national, region, phone_type, timezone) VALUES "
	    "(?1, ?2, 'P' || ?2, 'Co', printf('+1312555%04d', ?2), 'x', "
	    "printf('(312) 555-%04d', ?2), 'US', 'fixed_line', ?3)";
	sqlite3_stmt *st = db_stmt(sql);
	long long id;

	assert_non_null(st);
	assert_int_equal(sqlite3_bind_int64(st, 1, list), SQLITE_OK);
	assert_int_equal(sqlite3_bind_int(st, 2, suffix), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 3, tz != NULL ? tz : "America/Chicago", -1,
	    SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(db_exec_stmt(st), DL_OK);
	id = sqlite3_last_insert_rowid(db_conn());
	if (extra != NULL)
		tu_sql_exec_with(extra, id, NULL);
	return id;
}

/* leads_next, expecting success; the contact id (0: none). */
static long long
next(long long list, long long op, long long skip, long long now, enum leads_reason *why)
{
	struct leads_pick p;

	assert_int_equal(leads_next(list, op, skip, now, &p), DL_OK);
	if (why != NULL)
		*why = p.reason;
	return p.contact_id;
}

static void
test_order(void **state)
{
	long long op = add_user("op"), other = add_user("other"), list = add_list();
	long long fresh1, fresh2, mine, theirs, older, retry, got;
	enum leads_reason why;

	(void)state;
	fresh1 = add_contact(list, 100, NULL, NULL);
	/* Not due yet: neither is offered. */
	add_contact(list, 101, NULL, SET("status = 'called', last_outcome = 'follow_up', "
	    "callback_at = '2026-11-24T19:00:00Z', callback_by = 1"));
	add_contact(list, 102, NULL, SET("status = 'called', last_outcome = 'no_answer', attempts = 1, "
	    "retry_at = '2026-11-24T18:00:01Z'"));
	retry = add_contact(list, 103, NULL, SET("status = 'called', last_outcome = 'busy', attempts = 1, "
	    "retry_at = '2026-11-24T12:00:00Z'"));
	theirs = add_contact(list, 104, NULL, SET("status = 'called', last_outcome = 'follow_up', "
	    "callback_at = '2026-11-24T10:00:00Z', callback_by = 2"));
	mine = add_contact(list, 105, NULL, SET("status = 'called', last_outcome = 'follow_up', "
	    "callback_at = '2026-11-24T17:00:00Z', callback_by = 1"));
	older = add_contact(list, 106, NULL, SET("status = 'called', last_outcome = 'follow_up', "
	    "callback_at = '2026-11-24T09:00:00Z', callback_by = 2"));
	fresh2 = add_contact(list, 107, NULL, NULL);
	/* Final: never offered. */
	add_contact(list, 108, NULL, SET("status = 'called', last_outcome = 'not_interested', "
	    "attempts = 1"));
	add_contact(list, 109, NULL, SET("status = 'called', last_outcome = 'no_answer', attempts = 3"));
	assert_int_equal(op, 1);
	assert_int_equal(other, 2);

	/* The caller's own callback first, then others' oldest first, then the
	 * never-called in id order, then the due retry; skipping each in turn. */
	got = next(list, op, 0, NOON, &why);
	assert_int_equal(got, mine);
	assert_int_equal(why, LEADS_CALLBACK);
	got = next(list, op, got, NOON, &why);
	assert_int_equal(got, older);
	assert_int_equal(why, LEADS_CALLBACK);
	got = next(list, op, got, NOON, &why);
	assert_int_equal(got, theirs);
	got = next(list, op, got, NOON, &why);
	assert_int_equal(got, fresh1);
	assert_int_equal(why, LEADS_NEW);
	got = next(list, op, got, NOON, &why);
	assert_int_equal(got, fresh2);
	got = next(list, op, got, NOON, &why);
	assert_int_equal(got, retry);
	assert_int_equal(why, LEADS_RETRY);
	assert_int_equal(next(list, op, got, NOON, NULL), 0);
	/* Nothing is held once the last one is skipped. */
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE reserved_by IS NOT NULL"), 0);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE skipped_until = "
	    "'2026-11-24T18:15:00Z'"), 6);
	/* The other operator's own callback comes first for them. */
	assert_int_equal(next(list, other, 0, NOON + 16 * 60, NULL), older);
}

static void
test_reservation(void **state)
{
	long long a = add_user("a"), b = add_user("b"), list = add_list();
	long long c1 = add_contact(list, 110, NULL, NULL), c2 = add_contact(list, 111, NULL, NULL);
	struct leads_pick p, q;

	(void)state;
	assert_int_equal(leads_next(list, a, 0, NOON, &p), DL_OK);
	assert_int_equal(p.contact_id, c1);
	assert_string_equal(p.reserved_until, "2026-11-24T18:05:00Z");
	assert_int_equal(tu_sql_int("SELECT reserved_by FROM contacts WHERE id = 1"), a);
	/* Asked again, a gets the same contact and the same deadline. */
	assert_int_equal(leads_next(list, a, 0, NOON + 60, &q), DL_OK);
	assert_int_equal(q.contact_id, c1);
	assert_string_equal(q.reserved_until, "2026-11-24T18:05:00Z");
	assert_int_equal(q.reason, LEADS_NEW);
	/* b gets the next one; then nothing is left for the API key. */
	assert_int_equal(next(list, b, 0, NOON + 60, NULL), c2);
	assert_int_equal(next(list, 0, 0, NOON + 60, NULL), 0);
	/* Once a's reservation lapses, c1 goes to whoever asks; b keeps c2. */
	assert_int_equal(next(list, 0, 0, NOON + 300, NULL), c1);
	assert_int_equal(next(list, b, 0, NOON + 300, NULL), c2);
	/* b's lapses too: b is handed c1, and c2 goes back. */
	assert_int_equal(next(list, b, 0, NOON + 360, NULL), c1);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE reserved_by IS NOT NULL"), 1);
	assert_int_equal(next(list, a, 0, NOON + 361, NULL), c2);
}

static void
test_api_key_holds_nothing(void **state)
{
	long long list = add_list(), c1 = add_contact(list, 112, NULL, NULL);
	struct leads_pick p;

	(void)state;
	assert_int_equal(leads_next(list, 0, 0, NOON, &p), DL_OK);
	assert_int_equal(p.contact_id, c1);
	assert_string_equal(p.reserved_until, "");
	assert_int_equal(tu_sql_int("SELECT reserved_until IS NULL FROM contacts"), 1);
	/* A skip from the API key changes nothing: it holds nothing. */
	assert_int_equal(next(list, 0, c1, NOON, NULL), c1);
}

static void
test_skip(void **state)
{
	long long a = add_user("a"), b = add_user("b"), list = add_list();
	long long c1 = add_contact(list, 113, NULL, NULL), c2 = add_contact(list, 114, NULL, NULL);

	(void)state;
	assert_int_equal(next(list, a, 0, NOON, NULL), c1);
	/* b may not skip what a holds. */
	assert_int_equal(next(list, b, c1, NOON, NULL), c2);
	assert_int_equal(tu_sql_int("SELECT skipped_until IS NULL FROM contacts WHERE id = 1"), 1);
	/* a lets c1 go: nobody gets it for DIALER_SKIP_DELAY (b holds c2). */
	assert_int_equal(next(list, a, c1, NOON, NULL), 0);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE reserved_by = 1"), 0);
	assert_int_equal(next(list, 0, 0, NOON + 899, NULL), c2);
	assert_int_equal(next(list, 0, 0, NOON + 900, NULL), c1);
	/* The setting is honoured. */
	assert_int_equal(next(list, a, 0, NOON + 900, NULL), c1);
	setenv("DIALER_SKIP_DELAY", "60", 1);
	config_reset();
	assert_int_equal(config_load(), DL_OK);
	assert_int_equal(next(list, a, c1, NOON + 900, NULL), c2);
	assert_int_equal(next(list, 0, 0, NOON + 959, NULL), 0);
	assert_int_equal(next(list, 0, 0, NOON + 960, NULL), c1);
	unsetenv("DIALER_SKIP_DELAY");
}

static void
test_passed_over(void **state)
{
	long long a = add_user("a"), list = add_list(), flight, tokyo, ok;

	(void)state;
	add_contact(list, 115, NULL, NULL);
	flight = add_contact(list, 116, NULL, NULL);
	tokyo = add_contact(list, 117, "Asia/Tokyo", NULL);
	ok = add_contact(list, 118, NULL, NULL);
	tu_sql_exec("INSERT INTO dnc (phone_e164, reason) VALUES ('+13125550115', 'asked')");
	tu_sql_exec("INSERT INTO calls (contact_id, operator_id, provider, conference_name, "
	    "to_phone, status) VALUES (2, NULL, 'sim', 'cd-x', '+13125550116', 'ringing')");
	assert_int_equal(next(list, a, 0, NOON, NULL), ok);
	assert_int_equal(next(list, a, ok, NOON, NULL), 0);
	/* Tokyo's morning: 10:00 there, 19:00 in Chicago. */
	assert_int_equal(next(list, a, 0, NOON + 7 * HOUR, NULL), tokyo);
	/* The call ends: the contact is free again. */
	tu_sql_exec("UPDATE calls SET status = 'completed'");
	assert_int_equal(next(list, a, tokyo, NOON + 7 * HOUR, NULL), flight);
	/* The listed number never comes round. */
	assert_int_equal(next(list, a, flight, NOON + 7 * HOUR, NULL), ok);
	assert_int_equal(next(list, a, ok, NOON + 7 * HOUR, NULL), 0);
}

static void
test_held_contact_put_on_dnc_is_let_go(void **state)
{
	long long a = add_user("a"), list = add_list();
	long long c1 = add_contact(list, 119, NULL, NULL), c2 = add_contact(list, 120, NULL, NULL);

	(void)state;
	assert_int_equal(next(list, a, 0, NOON, NULL), c1);
	tu_sql_exec("INSERT INTO dnc (phone_e164) VALUES ('+13125550119')");
	assert_int_equal(next(list, a, 0, NOON, NULL), c2);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE reserved_by IS NOT NULL"), 1);
}

static void
test_missing_and_archived_list(void **state)
{
	long long a = add_user("a"), list = add_list();
	struct leads_pick p;

	(void)state;
	add_contact(list, 121, NULL, NULL);
	assert_int_equal(leads_next(list + 1, a, 0, NOON, &p), DL_ERR_NOTFOUND);
	tu_sql_exec("UPDATE contact_lists SET archived_at = '2026-01-01T00:00:00Z'");
	assert_int_equal(leads_next(list, a, 0, NOON, &p), DL_ERR_NOTFOUND);
	assert_int_equal(p.contact_id, 0);
	/* An empty list is not missing. */
	assert_int_equal(next(add_list(), a, 0, NOON, NULL), 0);
}

static cJSON *
parse(char *text, size_t len)
{
	cJSON *j;

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	j = cJSON_Parse(text);
	free(text);
	assert_non_null(j);
	return j;
}

static const char *
str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void
test_pick_json(void **state)
{
	long long a = add_user("a"), list = add_list(), c1;
	struct leads_pick p;
	cJSON *j, *c;
	char *text;
	size_t len;

	(void)state;
	c1 = add_contact(list, 122, NULL, NULL);
	assert_int_equal(leads_next(list, a, 0, NOON, &p), DL_OK);
	assert_int_equal(leads_pick_json(&p, NOON, "sim", &text, &len), DL_OK);
	j = parse(text, len);
	assert_string_equal(str(j, "reason"), "new");
	assert_string_equal(str(j, "reserved_until"), "2026-11-24T18:05:00Z");
	assert_string_equal(str(j, "zone"), "America/Chicago");
	assert_string_equal(str(j, "local_time"), "12:00");
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "caller_id")));
	assert_string_equal(str(j, "caller_id_match"), "none");
	c = cJSON_GetObjectItemCaseSensitive(j, "contact");
	assert_int_equal((long long)cJSON_GetObjectItemCaseSensitive(c, "id")->valuedouble, c1);
	assert_string_equal(str(c, "timezone"), "America/Chicago");
	assert_int_equal((long long)cJSON_GetObjectItemCaseSensitive(c, "reserved_by")->valuedouble, a);
	assert_string_equal(str(c, "reserved_until"), "2026-11-24T18:05:00Z");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "final")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "do_not_call")));
	cJSON_Delete(j);
}

static void
test_callbacks(void **state)
{
	long long a = add_user("a"), b = add_user("b"), list = add_list(), gone = add_list();
	long long due, later;
	cJSON *j, *items, *it;
	char *text;
	size_t len;

	(void)state;
	later = add_contact(list, 123, NULL, SET("status = 'called', last_outcome = 'follow_up', "
	    "callback_at = '2026-11-25T09:00:00Z', callback_by = 1"));
	due = add_contact(list, 124, NULL, SET("status = 'called', last_outcome = 'follow_up', "
	    "callback_at = '2026-11-24T09:00:00Z', callback_by = 1"));
	add_contact(list, 125, NULL, SET("status = 'called', last_outcome = 'follow_up', "
	    "callback_at = '2026-11-24T08:00:00Z', callback_by = 2"));
	add_contact(gone, 126, NULL, SET("status = 'called', last_outcome = 'follow_up', "
	    "callback_at = '2026-11-24T08:00:00Z', callback_by = 1"));
	tu_sql_exec("UPDATE contact_lists SET archived_at = '2026-01-01T00:00:00Z' WHERE id = 2");

	assert_int_equal(leads_callbacks(a, 0, NOON, &text, &len), DL_OK);
	j = parse(text, len);
	assert_string_equal(str(j, "now"), "2026-11-24T18:00:00Z");
	items = cJSON_GetObjectItemCaseSensitive(j, "items");
	assert_int_equal(cJSON_GetArraySize(items), 2);
	it = cJSON_GetArrayItem(items, 0);
	assert_string_equal(str(it, "callback_at"), "2026-11-24T09:00:00Z");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "due")));
	assert_int_equal((long long)cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(it, "contact"), "id")->valuedouble, due);
	it = cJSON_GetArrayItem(items, 1);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(it, "due")));
	assert_int_equal((long long)cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(it, "contact"), "id")->valuedouble, later);
	cJSON_Delete(j);

	assert_int_equal(leads_callbacks(a, 1, NOON, &text, &len), DL_OK);
	j = parse(text, len);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 1);
	cJSON_Delete(j);
	assert_int_equal(leads_callbacks(b, 0, NOON, &text, &len), DL_OK);
	j = parse(text, len);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 1);
	cJSON_Delete(j);
	/* Callbacks logged with the API key belong to it. */
	assert_int_equal(leads_callbacks(0, 0, NOON, &text, &len), DL_OK);
	j = parse(text, len);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 0);
	cJSON_Delete(j);
}

static void
test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(leads_reason_name(LEADS_CALLBACK), "callback");
	assert_string_equal(leads_reason_name(LEADS_NEW), "new");
	assert_string_equal(leads_reason_name(LEADS_RETRY), "retry");
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_order),
		T(test_reservation),
		T(test_api_key_holds_nothing),
		T(test_skip),
		T(test_passed_over),
		T(test_held_contact_put_on_dnc_is_let_go),
		T(test_missing_and_archived_list),
		T(test_pick_json),
		T(test_callbacks),
		T(test_reason_names),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
