/* calls: rows move only forward, limits hold, logging updates the contact. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "config.h"
#include "db.h"
#include "testutil.h"

#define setup tu_fixture_setup
#define teardown tu_fixture_teardown

static long long
add_operator(const char *name)
{
	tu_sql_exec_text("INSERT INTO users (username, password_hash) VALUES (?1, 'x')", name);
	return sqlite3_last_insert_rowid(db_conn());
}

static long long
add_contact(void)
{
	tu_sql_exec("INSERT INTO contact_lists (name, contact_count) VALUES ('L', 1)");
	tu_sql_exec("INSERT INTO contacts (list_id, source_row, name, company, phone_e164, "
	    "phone_raw, phone_national, region, phone_type) VALUES (last_insert_rowid(), 2, "
	    "'Ada', 'Acme', '+12025550143', '(202) 555-0143', '(202) 555-0143', 'US', 'fixed_line')");
	return sqlite3_last_insert_rowid(db_conn());
}

static enum dl_err
create(long long op, long long contact, const char *to, const char *key, struct call *c,
    int *replayed, const char **limit)
{
	struct calls_new in = { .operator_id = op, .contact_id = contact, .to_phone = to,
	    .provider = "sim", .idempotency_key = key };
	long retry;

	return calls_create(&in, c, replayed, limit, &retry);
}

static void
test_create_and_limits(void **state)
{
	struct call a, b;
	const char *limit;
	int replayed;
	long long op = add_operator("op1"), op2 = add_operator("op2");

	(void)state;
	assert_int_equal(create(op, 0, "+12025550143", NULL, &a, &replayed, &limit), DL_OK);
	assert_int_equal(a.status, CALL_QUEUED);
	assert_int_equal(strncmp(a.conference_name, "cd-", 3), 0);
	assert_int_equal(strlen(a.conference_name), 27);
	assert_string_equal(a.to_phone, "+12025550143");
	assert_false(replayed);
	/* One active call per operator by default. */
	assert_int_equal(create(op, 0, "+12025550144", NULL, &b, &replayed, &limit), DL_ERR_THROTTLED);
	assert_string_equal(limit, "active_calls");
	/* Someone else may call meanwhile. */
	assert_int_equal(create(op2, 0, "+12025550144", NULL, &b, &replayed, &limit), DL_OK);
	assert_string_not_equal(a.conference_name, b.conference_name);
	/* Once the first call ends, the operator may dial again. */
	assert_int_equal(calls_apply(a.id, CALL_COMPLETED, 12), DL_OK);
	assert_int_equal(create(op, 0, "+12025550145", NULL, &b, &replayed, &limit), DL_OK);
}

static void
test_per_minute_limit(void **state)
{
	struct call c;
	const char *limit = NULL;
	int replayed, i;
	long long op = add_operator("busy");

	(void)state;
	setenv("DIALER_MAX_CALLS_PER_MINUTE", "3", 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(create(op, 0, "+12025550143", NULL, &c, &replayed, &limit), DL_OK);
		assert_int_equal(calls_fail(c.id, "provider_error"), DL_OK);
	}
	assert_int_equal(create(op, 0, "+12025550143", NULL, &c, &replayed, &limit), DL_ERR_THROTTLED);
	assert_string_equal(limit, "calls_per_minute");
}

static void
test_idempotency(void **state)
{
	struct call a, b;
	const char *limit;
	int replayed;
	long long op = add_operator("idem");

	(void)state;
	assert_int_equal(create(op, 0, "+12025550143", "k-1", &a, &replayed, &limit), DL_OK);
	assert_false(replayed);
	/* The same key again: the same call, even though a second would be over the limit. */
	assert_int_equal(create(op, 0, "+12025550143", "k-1", &b, &replayed, &limit), DL_OK);
	assert_true(replayed);
	assert_int_equal(a.id, b.id);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM calls"), 1);
	/* A key older than a day names a new call. */
	tu_sql_exec("UPDATE calls SET created_at = '2020-01-01T00:00:00Z', status = 'completed'");
	assert_int_equal(create(op, 0, "+12025550143", "k-1", &b, &replayed, &limit), DL_OK);
	assert_false(replayed);
	assert_int_not_equal(a.id, b.id);
}

static void
test_contact_lookup(void **state)
{
	struct call c;
	const char *limit;
	int replayed;
	long long op = add_operator("op"), contact = add_contact();

	(void)state;
	assert_int_equal(create(op, contact, NULL, NULL, &c, &replayed, &limit), DL_OK);
	assert_string_equal(c.to_phone, "+12025550143");
	assert_int_equal(c.contact_id, contact);
	assert_int_equal(calls_fail(c.id, "provider_error"), DL_OK);
	assert_int_equal(create(op, contact + 99, NULL, NULL, &c, &replayed, &limit), DL_ERR_NOTFOUND);
	tu_sql_exec("UPDATE contact_lists SET archived_at = '2026-01-01T00:00:00Z'");
	assert_int_equal(create(op, contact, NULL, NULL, &c, &replayed, &limit), DL_ERR_NOTFOUND);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM calls"), 1);
}

static void
test_only_forward(void **state)
{
	struct call c;
	const char *limit;
	int replayed;
	long long op = add_operator("fw");

	(void)state;
	assert_int_equal(create(op, 0, "+12025550143", NULL, &c, &replayed, &limit), DL_OK);
	assert_int_equal(calls_dialed(c.id, "SIMabc"), DL_OK);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_INITIATED);
	assert_string_equal(c.call_sid, "SIMabc");
	assert_true(c.dialed_unix > 0);
	assert_int_equal(calls_apply(c.id, CALL_IN_PROGRESS, -1), DL_OK);
	assert_int_equal(calls_apply(c.id, CALL_RINGING, -1), DL_OK); /* late: ignored */
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_IN_PROGRESS);
	assert_string_not_equal(c.answered_at, "");
	assert_int_equal(calls_apply(c.id, CALL_COMPLETED, -1), DL_OK);
	assert_int_equal(calls_fail(c.id, "provider_error"), DL_OK); /* final stays */
	assert_int_equal(calls_apply(c.id, CALL_BUSY, 42), DL_OK);    /* but fills duration */
	assert_int_equal(calls_apply(c.id, CALL_COMPLETED, 99), DL_OK); /* only once */
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_COMPLETED);
	assert_string_equal(c.failure_reason, "");
	assert_int_equal(c.duration_s, 42);
	assert_string_not_equal(c.ended_at, "");
	assert_int_equal(calls_get(c.id + 100, &c), DL_ERR_NOTFOUND);
}

/* 2026-11-24T12:00:00Z: the rules' clock in these tests. */
#define NOW 1795521600LL

static enum dl_err
log_call(long long id, enum call_outcome outcome, const char *notes, const char *callback,
    long long now)
{
	struct calls_log_in in = { outcome, notes, callback, now };

	return calls_log(id, &in);
}

/* Settle a call so the operator may dial again (one active call each). */
static void
finish(long long id)
{
	assert_int_equal(calls_apply(id, CALL_NO_ANSWER, 0), DL_OK);
}

static void
test_retry_rules(void **state)
{
	struct call c;
	const char *limit;
	int replayed, i;
	long long op = add_operator("rt"), contact = add_contact();

	(void)state;
	/* no_answer, busy: back after the delay while attempts remain (3). */
	for (i = 1; i <= 3; i++) {
		assert_int_equal(create(op, contact, NULL, NULL, &c, &replayed, &limit), DL_OK);
		assert_int_equal(log_call(c.id, i == 2 ? OUTCOME_BUSY : OUTCOME_NO_ANSWER, NULL, NULL,
		    NOW), DL_OK);
		/* Logging the same call again counts no new attempt. */
		assert_int_equal(log_call(c.id, i == 2 ? OUTCOME_BUSY : OUTCOME_NO_ANSWER, "again",
		    NULL, NOW), DL_OK);
		finish(c.id);
		assert_int_equal(tu_sql_int("SELECT attempts FROM contacts"), i);
		assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE retry_at = "
		    "'2026-11-24T16:00:00Z'"), i < 3);
	}
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE retry_at IS NULL"), 1);
	/* The reservation the dials took is released by the log. */
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE reserved_by IS NULL"), 1);
}

static void
test_callback_and_final(void **state)
{
	struct call c;
	const char *limit;
	int replayed;
	long long op = add_operator("cb"), contact = add_contact();

	(void)state;
	assert_int_equal(create(op, contact, NULL, NULL, &c, &replayed, &limit), DL_OK);
	assert_int_equal(log_call(c.id, OUTCOME_FOLLOW_UP, NULL, "2026-11-25T15:00:00Z", NOW), DL_OK);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_string_equal(c.callback_at, "2026-11-25T15:00:00Z");
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE callback_at = "
	    "'2026-11-25T15:00:00Z' AND callback_by IS NOT NULL AND retry_at IS NULL"), 1);
	/* Another outcome clears the callback; a callback is follow_up's only. */
	assert_int_equal(log_call(c.id, OUTCOME_WRONG_NUMBER, NULL, "2026-11-25T15:00:00Z", NOW),
	    DL_OK);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_string_equal(c.callback_at, "");
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE callback_at IS NULL "
	    "AND callback_by IS NULL AND retry_at IS NULL AND attempts = 1"), 1);
}

static void
test_do_not_call_outcome(void **state)
{
	struct call c;
	const char *limit;
	int replayed;
	long long op = add_operator("dn"), contact = add_contact();

	(void)state;
	assert_int_equal(create(op, contact, NULL, NULL, &c, &replayed, &limit), DL_OK);
	assert_int_equal(log_call(c.id, OUTCOME_DO_NOT_CALL, NULL, NULL, NOW), DL_OK);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM dnc WHERE phone_e164 = '+12025550143' "
	    "AND source = 'outcome' AND call_id = (SELECT MAX(id) FROM calls)"), 1);
	/* Logged again: still one entry, the first. */
	assert_int_equal(log_call(c.id, OUTCOME_DO_NOT_CALL, "sure", NULL, NOW), DL_OK);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM dnc"), 1);
}

static void
test_rules_in_the_transaction(void **state)
{
	struct dialrules_verdict v;
	struct calls_new in = { .operator_id = 0, .to_phone = "+12025550143", .provider = "sim",
	    .rules = &v };
	struct call c;
	const char *limit;
	long retry;
	int replayed;

	(void)state;
	setenv("DIALER_CALLING_HOURS", "00:00-24:00", 1);
	config_reset();
	tu_sql_exec("INSERT INTO dnc (phone_e164, reason) VALUES ('+12025550143', 'asked')");
	assert_int_equal(calls_create(&in, &c, &replayed, &limit, &retry), DL_ERR_FORBIDDEN);
	assert_int_equal(v.refusal, DIALRULES_DO_NOT_CALL);
	assert_non_null(strstr(v.message, "(reason: asked)"));
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM calls"), 0);
	/* Off the list: allowed, and local presence reports its choice. */
	tu_sql_exec("DELETE FROM dnc");
	assert_int_equal(calls_create(&in, &c, &replayed, &limit, &retry), DL_OK);
	assert_string_equal(in.caller_id_match, "none");
	in.from_phone = "+13125550100";
	finish(c.id);
	assert_int_equal(calls_create(&in, &c, &replayed, &limit, &retry), DL_OK);
	assert_string_equal(in.caller_id_match, "given");
	assert_string_equal(c.from_phone, "+13125550100");
}

static void
test_relog_of_an_older_call(void **state)
{
	struct call a, b;
	const char *limit;
	int replayed;
	long long op = add_operator("ol"), contact = add_contact();

	(void)state;
	assert_int_equal(create(op, contact, NULL, NULL, &a, &replayed, &limit), DL_OK);
	assert_int_equal(log_call(a.id, OUTCOME_NO_ANSWER, NULL, NULL, NOW), DL_OK);
	finish(a.id);
	assert_int_equal(create(op, contact, NULL, NULL, &b, &replayed, &limit), DL_OK);
	assert_int_equal(log_call(b.id, OUTCOME_NOT_INTERESTED, NULL, NULL, NOW), DL_OK);
	/* Correcting the first call's notes leaves the contact as the newer
	 * call left it. */
	assert_int_equal(log_call(a.id, OUTCOME_FOLLOW_UP, "fix", "2026-11-25T15:00:00Z", NOW),
	    DL_OK);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE last_outcome = "
	    "'not_interested' AND callback_at IS NULL AND attempts = 2"), 1);
}

static void
test_reservation(void **state)
{
	struct call a, b;
	const char *limit = NULL;
	int replayed;
	long long op = add_operator("ra"), op2 = add_operator("rb"), contact = add_contact();

	(void)state;
	assert_int_equal(create(op, contact, NULL, NULL, &a, &replayed, &limit), DL_OK);
	assert_int_equal(tu_sql_int("SELECT reserved_by FROM contacts"), op);
	/* In a call with op: op2 is refused. */
	assert_int_equal(create(op2, contact, NULL, NULL, &b, &replayed, &limit), DL_ERR_CONFLICT);
	assert_string_equal(limit, "contact_in_call");
	finish(a.id);
	/* The call is over but op still holds the contact. */
	assert_int_equal(create(op2, contact, NULL, NULL, &b, &replayed, &limit), DL_ERR_CONFLICT);
	assert_string_equal(limit, "contact_reserved");
	/* The API key respects it too and takes none. */
	assert_int_equal(create(0, contact, NULL, NULL, &b, &replayed, &limit), DL_ERR_CONFLICT);
	/* Lapsed: op2 takes it. */
	tu_sql_exec("UPDATE contacts SET reserved_until = '2000-01-01T00:00:00Z'");
	assert_int_equal(create(op2, contact, NULL, NULL, &b, &replayed, &limit), DL_OK);
	assert_int_equal(tu_sql_int("SELECT reserved_by FROM contacts"), op2);
}

/* calls_jsonw's text, parsed back (the test owns the result). */
static cJSON *
call_json(const struct call *c, const char *caller_id_match)
{
	struct jsonw w;
	char *text;
	size_t len;
	cJSON *j;

	jsonw_init(&w);
	calls_jsonw(&w, c, caller_id_match);
	assert_int_equal(jsonw_finish(&w, &text, &len), DL_OK);
	assert_int_equal(len, strlen(text));
	assert_non_null(j = cJSON_ParseWithLength(text, len));
	free(text);
	return j;
}

static void
test_log(void **state)
{
	struct call c;
	const char *limit;
	int replayed;
	long long op = add_operator("lg"), contact = add_contact();
	cJSON *j;

	(void)state;
	assert_int_equal(create(op, contact, NULL, NULL, &c, &replayed, &limit), DL_OK);
	/* Logging before the final status is allowed and never changes it. */
	assert_int_equal(log_call(c.id, OUTCOME_FOLLOW_UP, "call back Tuesday", NULL, NOW), DL_OK);
	assert_int_equal(log_call(c.id, OUTCOME_NOT_INTERESTED, "said \"no\"", NULL, NOW), DL_OK);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_QUEUED);
	assert_true(c.has_outcome);
	assert_int_equal(c.outcome, OUTCOME_NOT_INTERESTED);
	assert_string_equal(c.notes, "said \"no\"");
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM contacts WHERE status = 'called' "
	    "AND last_outcome = 'not_interested' AND last_called_at IS NOT NULL"), 1);
	assert_int_equal(log_call(c.id + 100, OUTCOME_BUSY, NULL, NULL, NOW), DL_ERR_NOTFOUND);
	j = call_json(&c, NULL);
	assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "queued");
	assert_string_equal(cJSON_GetObjectItem(j, "outcome")->valuestring, "not_interested");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "duration_s")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "call_sid")));
	cJSON_Delete(j);
}

/* Every field of the call object, for a bare call and for one with every
 * field set and text to escape. */
static void
test_call_json_fields(void **state)
{
	struct call c;
	const char *limit;
	int replayed;
	long long op = add_operator("jw"), contact = add_contact();
	const char *notes = "line\n\"quoted\" \\ caf\xc3\xa9";
	cJSON *j;

	(void)state;
	assert_int_equal(create(op, contact, NULL, NULL, &c, &replayed, &limit), DL_OK);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	j = call_json(&c, NULL);
	assert_int_equal(cJSON_GetArraySize(j), 26);
	assert_int_equal((long long)cJSON_GetObjectItem(j, "id")->valuedouble, c.id);
	assert_int_equal((long long)cJSON_GetObjectItem(j, "contact_id")->valuedouble, contact);
	assert_int_equal((long long)cJSON_GetObjectItem(j, "operator_id")->valuedouble, op);
	assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "queued");
	assert_string_equal(cJSON_GetObjectItem(j, "conference_name")->valuestring,
	    c.conference_name);
	assert_string_equal(cJSON_GetObjectItem(j, "to_phone")->valuestring, c.to_phone);
	assert_string_equal(cJSON_GetObjectItem(j, "created_at")->valuestring, c.created_at);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "call_sid")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "outcome")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "notes")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "duration_s")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "recording_duration_s")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "on_hold")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "has_recording")));
	assert_null(cJSON_GetObjectItem(j, "caller_id_match"));
	cJSON_Delete(j);

	assert_int_equal(log_call(c.id, OUTCOME_FOLLOW_UP, notes, "2030-01-02T03:04:05Z", NOW),
	    DL_OK);
	tu_sql_exec("UPDATE calls SET duration_s = 42, recording_sid = 'RE1', "
	    "recording_duration_s = 40, on_hold = 1, call_sid = 'CA1'");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	j = call_json(&c, "area_code");
	assert_int_equal(cJSON_GetArraySize(j), 27);
	assert_string_equal(cJSON_GetObjectItem(j, "outcome")->valuestring, "follow_up");
	assert_string_equal(cJSON_GetObjectItem(j, "notes")->valuestring, notes);
	assert_string_equal(cJSON_GetObjectItem(j, "callback_at")->valuestring,
	    "2030-01-02T03:04:05Z");
	assert_string_equal(cJSON_GetObjectItem(j, "call_sid")->valuestring, "CA1");
	assert_int_equal(cJSON_GetObjectItem(j, "duration_s")->valuedouble, 42);
	assert_int_equal(cJSON_GetObjectItem(j, "recording_duration_s")->valuedouble, 40);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "on_hold")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "has_recording")));
	/* caller_id_match comes last */
	assert_string_equal(cJSON_GetArrayItem(j, 26)->string, "caller_id_match");
	assert_string_equal(cJSON_GetArrayItem(j, 26)->valuestring, "area_code");
	cJSON_Delete(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_minute_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contact_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_json_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_and_final, setup, teardown),
		cmocka_unit_test_setup_teardown(test_do_not_call_outcome, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reservation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_in_the_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relog_of_an_older_call, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
