/* callstate: the rules of shared/design/call-lifecycle.md, and that the
 * names agree with the schema's CHECK constraints. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "callstate.h"
#include "db.h"
#include "testutil.h"

static void
test_names_round_trip(void **state)
{
	enum call_status s;
	enum call_outcome o;
	int i;

	(void)state;
	for (i = 0; i < CALL_STATUS__COUNT; i++) {
		assert_int_equal(call_status_parse(call_status_name((enum call_status)i), &s), DL_OK);
		assert_int_equal(s, i);
	}
	for (i = 0; i < CALL_OUTCOME__COUNT; i++) {
		assert_int_equal(call_outcome_parse(call_outcome_name((enum call_outcome)i), &o), DL_OK);
		assert_int_equal(o, i);
	}
	assert_null(call_outcome_names[CALL_OUTCOME__COUNT]);
	assert_int_equal(call_status_parse("in_progress", &s), DL_ERR_INVALID);
	assert_int_equal(call_status_parse(NULL, &s), DL_ERR_INVALID);
	assert_int_equal(call_outcome_parse("no-answer", &o), DL_ERR_INVALID);
	assert_string_equal(call_status_name((enum call_status)99), "unknown");
}

static void
test_only_forward(void **state)
{
	int a, b;

	(void)state;
	for (a = 0; a < CALL_STATUS__COUNT; a++) {
		for (b = 0; b < CALL_STATUS__COUNT; b++) {
			int want = call_status_rank((enum call_status)b) >
			    call_status_rank((enum call_status)a);

			assert_int_equal(call_status_advances((enum call_status)a,
			    (enum call_status)b), want);
		}
	}
	/* The cases the design names. */
	assert_false(call_status_advances(CALL_IN_PROGRESS, CALL_RINGING));
	assert_false(call_status_advances(CALL_COMPLETED, CALL_FAILED));
	assert_false(call_status_advances(CALL_RINGING, CALL_RINGING));
	assert_true(call_status_advances(CALL_QUEUED, CALL_FAILED));
	assert_true(call_status_advances(CALL_RINGING, CALL_NO_ANSWER));
	assert_true(call_status_final(CALL_CANCELED));
	assert_false(call_status_final(CALL_IN_PROGRESS));
}

static void
test_twilio_words(void **state)
{
	enum call_status s;

	(void)state;
	assert_int_equal(call_status_from_twilio("answered", &s), DL_OK);
	assert_int_equal(s, CALL_IN_PROGRESS);
	assert_int_equal(call_status_from_twilio("no-answer", &s), DL_OK);
	assert_int_equal(s, CALL_NO_ANSWER);
	assert_int_equal(call_status_from_twilio("Completed", &s), DL_ERR_INVALID);
	assert_int_equal(call_status_from_twilio("", &s), DL_ERR_INVALID);
	assert_int_equal(call_status_from_twilio(NULL, &s), DL_ERR_INVALID);
}

/* The calls table's CHECKs accept exactly our words. */
static void
test_schema_agrees(void **state)
{
	struct tu_db db;
	int i;

	(void)state;
	tu_db_open(&db);
	tu_sql_exec("INSERT INTO users (username, password_hash) VALUES ('op', 'x')");
	for (i = 0; i < CALL_STATUS__COUNT; i++) {
		tu_sql_exec_with("INSERT INTO calls (operator_id, provider, conference_name, "
		    "to_phone, status) VALUES (1, 'sim', 'cd-' || ?1, '+12025550143', ?2)", i,
		    call_status_name((enum call_status)i));
	}
	for (i = 0; i < CALL_OUTCOME__COUNT; i++) {
		tu_sql_exec_with("UPDATE calls SET outcome = ?2 WHERE id = ?1", 1,
		    call_outcome_name((enum call_outcome)i));
	}
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM calls"), CALL_STATUS__COUNT);
	assert_int_not_equal(sqlite3_exec(db_conn(), "UPDATE calls SET status = 'answered'",
	    NULL, NULL, NULL), SQLITE_OK);
	tu_db_close(&db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_only_forward),
		cmocka_unit_test(test_twilio_words),
		cmocka_unit_test(test_schema_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
