/*
 * Tests for lib/callhours.c: the calling window in the contact's local
 * time, zones from the contact or from libphonenumber's data (every zone
 * of a multi-zone number must be inside), rules by prefix and region,
 * settings validation, zone names, and the callable_at() SQL function.
 *
 * Every time is a fixed Unix time (worked out with Python's zoneinfo for
 * the local time named next to it); the real clock is never read. Numbers
 * are fictional (555-01xx, Ofcom's drama ranges).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "callhours.h"
#include "log.h"
#include "testutil.h"

static char log_path[128];

static void
settings(const char *hours, const char *rules, const char *unknown)
{
	const char *const keys[3] = { "DIALER_CALLING_HOURS",
		"DIALER_CALLING_HOURS_RULES", "DIALER_UNKNOWN_ZONE" };
	const char *const vals[3] = { hours, rules, unknown };
	int i;

	for (i = 0; i < 3; i++) {
		if (vals[i] != NULL)
			assert_int_equal(setenv(keys[i], vals[i], 1), 0);
		else
			assert_int_equal(unsetenv(keys[i]), 0);
	}
	config_reset();
}

static int
setup(void **state)
{
	(void)state;
	tu_env_clean();
	/* An empty config file, so a developer's etc/dialer.conf stays out. */
	setenv("DIALER_CONFIG", "/dev/null", 1);
	setenv("DIALER_LOG", log_path, 1);
	settings(NULL, NULL, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	settings(NULL, NULL, NULL);
	tu_env_clean();
	unsetenv("DIALER_LOG");
	return 0;
}

/* Asserts the verdict for a contact at `now`. */
static void
expect(const char *tz, const char *e164, long long now, int allowed,
    const char *zone, const char *local, const char *window)
{
	struct callhours_verdict v;

	assert_int_equal(callhours_check(tz, e164, now, &v), DL_OK);
	if (v.allowed != allowed || strcmp(v.zone, zone) != 0 ||
	    strcmp(v.local_time, local) != 0 || strcmp(v.window, window) != 0)
		fail_msg("%s %s at %lld: got %d %s %s %s, want %d %s %s %s",
		    tz ? tz : "-", e164 ? e164 : "-", now, v.allowed, v.zone,
		    v.local_time, v.window, allowed, zone, local, window);
	if (allowed)
		assert_int_equal(v.opens_unix, 0);
}

static long long
opens(const char *tz, const char *e164, long long now)
{
	struct callhours_verdict v;

	assert_int_equal(callhours_check(tz, e164, now, &v), DL_OK);
	assert_false(v.allowed);
	return v.opens_unix;
}

/* ---- the window's edges in several zones ------------------------- */

struct edge_day {
	const char *zone;
	const char *e164;	/* a number in that zone */
	long long t[4];		/* local 07:59, 08:00, 20:59, 21:00 */
};

static void
test_window_edges(void **state)
{
	static const struct edge_day days[] = {
		{ "America/Chicago", "+13125550143",
		  { 1781096340, 1781096400, 1781143140, 1781143200 } },	/* 2026-06-10 */
		{ "America/Chicago", "+13125550143",	/* DST starts */
		  { 1772974740, 1772974800, 1773021540, 1773021600 } },	/* 2026-03-08 */
		{ "America/New_York", "+12125550143",
		  { 1768913940, 1768914000, 1768960740, 1768960800 } },	/* 2026-01-20 */
		{ "America/New_York", "+12125550143",	/* DST ends */
		  { 1793537940, 1793538000, 1793584740, 1793584800 } },	/* 2026-11-01 */
		{ "Europe/London", "+442079460123",
		  { 1782889140, 1782889200, 1782935940, 1782936000 } },	/* 2026-07-01 */
		{ "Europe/London", "+442079460123",	/* BST starts */
		  { 1774767540, 1774767600, 1774814340, 1774814400 } },	/* 2026-03-29 */
		{ "Asia/Kolkata", "+917012345678",
		  { 1769999340, 1769999400, 1770046140, 1770046200 } },	/* 2026-02-02 */
		{ "Australia/Sydney", "+61291234567",
		  { 1786485540, 1786485600, 1786532340, 1786532400 } },	/* 2026-08-12 */
		{ "Australia/Sydney", "+61291234567",	/* DST ends */
		  { 1775339940, 1775340000, 1775386740, 1775386800 } },	/* 2026-04-05 */
		{ "Australia/Sydney", "+61291234567",	/* DST starts */
		  { 1791061140, 1791061200, 1791107940, 1791108000 } },	/* 2026-10-04 */
	};
	static const char *const local[4] = { "07:59", "08:00", "20:59", "21:00" };
	static const int allowed[4] = { 0, 1, 1, 0 };
	const char *w = "08:00-21:00";
	size_t d;
	int k;

	(void)state;
	for (d = 0; d < sizeof(days) / sizeof(days[0]); d++) {
		for (k = 0; k < 4; k++) {
			/* By the contact's zone, and by the number alone. */
			expect(days[d].zone, NULL, days[d].t[k], allowed[k],
			    days[d].zone, local[k], w);
			expect(NULL, days[d].e164, days[d].t[k], allowed[k],
			    strcmp(days[d].zone, "Asia/Kolkata") == 0 ?
			    "Asia/Calcutta" : days[d].zone, local[k], w);
		}
		/* 07:59 opens a minute later; 21:00 opens at 08:00 tomorrow. */
		assert_int_equal(opens(days[d].zone, NULL, days[d].t[0]),
		    days[d].t[1]);
	}
	/* Tomorrow's 08:00 across a DST change is 10 or 12 hours away, not 11. */
	assert_int_equal(opens("America/Chicago", NULL, 1772938800),	/* 03-07 21:00 CST */
	    1772974800);	/* 03-08 08:00 CDT */
	assert_int_equal(opens("Australia/Sydney", NULL, 1775296800),	/* 04-04 21:00 AEDT */
	    1775340000);	/* 04-05 08:00 AEST */
	/* Seconds do not matter: 20:59:59 is in, 21:00:00 out. */
	expect("America/Chicago", NULL, 1781143199, 1, "America/Chicago",
	    "20:59", w);
}

/* ---- zones from the number ---------------------------------------- */

static void
test_multi_zone_number(void **state)
{
	/* +1 800 is toll-free: libphonenumber gives it every NANP zone,
	 * from Guam (UTC+10) to Pago Pago (UTC-11). Thursday 2026-01-15. */
	const char *tollfree = "+18005550100";
	const char *w = "08:00-21:00";

	(void)state;
	/* 18:00 UTC: noon in Chicago, 04:00 in Guam. */
	expect(NULL, "+13125550143", 1768500000, 1, "America/Chicago", "12:00", w);
	expect(NULL, tollfree, 1768500000, 0, "Pacific/Guam", "04:00", w);
	/* Open everywhere from 22:00 UTC (08:00 in Guam)... */
	assert_int_equal(opens(NULL, tollfree, 1768500000), 1768514400);
	expect(NULL, tollfree, 1768514340, 0, "Pacific/Guam", "07:59", w);
	expect(NULL, tollfree, 1768514400, 1, "America/Adak", "12:00", w);
	/* ...until 00:30 UTC, 21:00 in St. John's (UTC-3:30). */
	expect(NULL, tollfree, 1768523340, 1, "America/Adak", "14:29", w);
	expect(NULL, tollfree, 1768523400, 0, "America/St_Johns", "21:00", w);
	/* A window the zones never share: never opens (within 8 days). */
	settings("09:00-17:00", NULL, NULL);
	assert_int_equal(opens(NULL, tollfree, 1768500000), 0);
	expect(NULL, "+13125550143", 1768500000, 1, "America/Chicago", "12:00",
	    "09:00-17:00");
}

static void
test_contact_zone_wins(void **state)
{
	const char *w = "08:00-21:00";

	(void)state;
	/* 2026-06-10 12:00 in Chicago is 22:30 in Kolkata. */
	expect(NULL, "+13125550143", 1781110800, 1, "America/Chicago", "12:00", w);
	expect("Asia/Kolkata", "+13125550143", 1781110800, 0, "Asia/Kolkata",
	    "22:30", w);
	/* A zone the system does not know falls back to the number's. */
	expect("Mars/Olympus", "+13125550143", 1781110800, 1,
	    "America/Chicago", "12:00", w);
	expect("", "+13125550143", 1781110800, 1, "America/Chicago", "12:00", w);
	/* No zone from either: DIALER_UNKNOWN_ZONE (UTC by default). */
	expect(NULL, "+99955501", 1781110800, 1, "UTC", "17:00", w);
	expect(NULL, NULL, 1781110800, 1, "UTC", "17:00", w);
	expect(NULL, "not a number", 1781110800, 1, "UTC", "17:00", w);
	settings(NULL, NULL, "Asia/Tokyo");
	expect(NULL, NULL, 1781110800, 0, "Asia/Tokyo", "02:00", w);
}

/* ---- rules --------------------------------------------------------- */

static void
test_rules(void **state)
{
	const char *dflt = "08:00-21:00", *fl = "08:00-20:00";

	(void)state;
	settings(NULL, " +1305, +1786 = 08:00-20:00 ;+13055=09:00-17:00;"
	    "GB=09:00-20:00;", NULL);
	/* 2026-06-10 in New York: +1305 (Miami) stops at 20:00... */
	expect(NULL, "+13056550100", 1781135940, 1, "America/New_York", "19:59", fl);
	expect(NULL, "+13056550100", 1781136000, 0, "America/New_York", "20:00", fl);
	expect(NULL, "+17865550100", 1781136000, 0, "America/New_York", "20:00", fl);
	/* ...its longer prefix +13055 at 17:00, New York itself at 21:00. */
	expect(NULL, "+13055550100", 1781125140, 1, "America/New_York", "16:59",
	    "09:00-17:00");
	expect(NULL, "+13055550100", 1781125200, 0, "America/New_York", "17:00",
	    "09:00-17:00");
	expect(NULL, "+12125550143", 1781136000, 1, "America/New_York", "20:00", dflt);
	/* The rule follows the number even when the contact has a zone. */
	expect("America/Chicago", "+13056550100", 1781136000, 1,
	    "America/Chicago", "19:00", fl);
	/* Region GB (London 2026-07-01): 08:30 is too early there... */
	expect(NULL, "+442079460123", 1782891000, 0, "Europe/London", "08:30",
	    "09:00-20:00");
	assert_int_equal(opens(NULL, "+442079460123", 1782891000), 1782892800);
	expect(NULL, "+442079460123", 1782932400, 0, "Europe/London", "20:00",
	    "09:00-20:00");
	/* ...but not in Jersey, which shares +44 and is region JE. */
	expect(NULL, "+441534456789", 1782891000, 1, "Europe/Jersey", "08:30", dflt);
}

static void
test_settings_json(void **state)
{
	cJSON *o = NULL;
	char *text;

	(void)state;
	assert_int_equal(callhours_settings_json(&o), DL_OK);
	assert_non_null(text = cJSON_PrintUnformatted(o));
	assert_string_equal(text, "{\"window\":\"08:00-21:00\",\"rules\":[],"
	    "\"unknown_zone\":\"UTC\"}");
	free(text);
	cJSON_Delete(o);

	settings("07:30-24:00", "+1305,GB=08:00-20:00;+61=09:00-19:30",
	    "Europe/London");
	assert_int_equal(callhours_settings_json(&o), DL_OK);
	assert_non_null(text = cJSON_PrintUnformatted(o));
	assert_string_equal(text, "{\"window\":\"07:30-24:00\",\"rules\":["
	    "{\"match\":[\"+1305\",\"GB\"],\"window\":\"08:00-20:00\"},"
	    "{\"match\":[\"+61\"],\"window\":\"09:00-19:30\"}],"
	    "\"unknown_zone\":\"Europe/London\"}");
	free(text);
	cJSON_Delete(o);
	/* 24:00 closes at midnight: 23:59 in, 00:00 of the next day out. */
	expect("America/Chicago", NULL, 1781153940, 1, "America/Chicago",
	    "23:59", "07:30-24:00");
	expect("America/Chicago", NULL, 1781154000, 0, "America/Chicago",
	    "00:00", "07:30-24:00");
}

static void
test_refusal_message(void **state)
{
	struct callhours_verdict v;
	char msg[160];

	(void)state;
	/* 2026-06-10 21:05 in Chicago. */
	assert_int_equal(callhours_check(NULL, "+13125550143", 1781143500, &v),
	    DL_OK);
	callhours_refusal_message(&v, msg, sizeof(msg));
	assert_string_equal(msg, "It is 21:05 in America/Chicago; calls are "
	    "allowed 08:00-21:00 there.");
}

/* ---- malformed settings ------------------------------------------- */

static int
log_has(const char *needle)
{
	FILE *f = fopen(log_path, "r");
	char line[LOG_LINE_MAX];
	int found = 0;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static void
refused_setting(const char *hours, const char *rules, const char *unknown,
    const char *logged)
{
	struct callhours_verdict v;
	cJSON *o = NULL;

	settings(hours, rules, unknown);
	if (callhours_check(NULL, "+13125550143", 1781110800, &v) != DL_ERR_CONFIG)
		fail_msg("accepted %s | %s | %s", hours ? hours : "-",
		    rules ? rules : "-", unknown ? unknown : "-");
	assert_int_equal(callhours_settings_json(&o), DL_ERR_CONFIG);
	assert_null(o);
	if (!log_has(logged))
		fail_msg("no log line with %s", logged);
}

static void
test_malformed_settings(void **state)
{
	static const char *const hours[] = { "8:00-21:00", "08:00-21:00 ",
		"08:00 - 21:00", "21:00-08:00", "08:00-08:00", "08:60-21:00",
		"24:00-24:00", "08:00-24:01", "08:00-25:00", "0800-2100",
		"08:00", "08:00-21:00;GB", "x", NULL };
	static const char *const rules[] = { "1305=08:00-20:00",
		"+13a5=08:00-20:00", "+=08:00-20:00", "gb=08:00-20:00",
		"GBR=08:00-20:00", "ZZ=08:00-20:00", "+1305=8-20",
		"+1305", "=08:00-20:00", "+1305,=08:00-20:00",
		"+1305=08:00-20:00;;GB=09:00-20:00",
		"+1305=08:00-20:00;+1305=09:00-20:00",
		"+12345678901234567=08:00-20:00", NULL };
	static const char *const zones[] = { "Mars/Olympus", "../etc/passwd",
		"/etc/passwd", "America", NULL };
	struct callhours_verdict v;
	size_t i;

	(void)state;
	for (i = 0; hours[i] != NULL; i++)
		refused_setting(hours[i], NULL, NULL,
		    "event=config_error setting=DIALER_CALLING_HOURS ");
	for (i = 0; rules[i] != NULL; i++)
		refused_setting(NULL, rules[i], NULL,
		    "event=config_error setting=DIALER_CALLING_HOURS_RULES ");
	for (i = 0; zones[i] != NULL; i++)
		refused_setting(NULL, NULL, zones[i],
		    "event=config_error setting=DIALER_UNKNOWN_ZONE ");
	/* Fixed, the settings work again. */
	settings("09:00-18:00", "+1305=08:00-20:00;", "Etc/GMT+5");
	assert_int_equal(callhours_check(NULL, NULL, 1781110800, &v), DL_OK);
	assert_string_equal(v.zone, "Etc/GMT+5");
	assert_string_equal(v.local_time, "12:00");
}

/* ---- zone names ---------------------------------------------------- */

static void
test_zone_valid(void **state)
{
	static const char *const good[] = { "America/Chicago", "UTC",
		"Etc/GMT+5", "Etc/GMT-14", "Asia/Calcutta", "Asia/Kolkata",
		"America/Argentina/Buenos_Aires", "US/Central", NULL };
	static const char *const bad[] = { "", "Mars/Olympus",
		"America/Chicag", "america/chicago", "../etc/passwd",
		"/etc/passwd", "America/../Europe/Paris", "America",
		"America/", "America//Chicago", "./UTC", "UTC ", " UTC",
		"America/Chicago\n", "zone.tab", "tzdata.zi", "localtime",
		"Europe/Paris;rm", "Asia/Tōkyō", NULL };
	char longname[80];
	size_t i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		if (!callhours_zone_valid(good[i]))
			fail_msg("refused %s", good[i]);
	for (i = 0; bad[i] != NULL; i++)
		if (callhours_zone_valid(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	assert_false(callhours_zone_valid(NULL));
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(callhours_zone_valid(longname));
	/* Every zone libphonenumber's data names exists on this system. */
	for (i = 0; i < callhours_tz_nzones; i++)
		if (!callhours_zone_valid(callhours_tz_zones[i]))
			fail_msg("generated zone %s missing", callhours_tz_zones[i]);
}

/* ---- the caller's TZ ----------------------------------------------- */

static void
test_tz_restored(void **state)
{
	struct callhours_verdict v;

	(void)state;
	assert_int_equal(setenv("TZ", "Europe/Paris", 1), 0);
	assert_int_equal(callhours_check(NULL, "+18005550100", 1768500000 + 60,
	    &v), DL_OK);
	assert_string_equal(getenv("TZ"), "Europe/Paris");
	assert_int_equal(unsetenv("TZ"), 0);
	assert_int_equal(callhours_check("Asia/Tokyo", NULL, 1768500000 + 120,
	    &v), DL_OK);
	assert_null(getenv("TZ"));
}

/* ---- the SQL function ---------------------------------------------- */

static void
test_sql_function(void **state)
{
	static const char *const rows[][2] = {
		{ NULL, "+13125550143" },		/* Chicago: 12:00 */
		{ "Asia/Kolkata", "+13125550143" },	/* 22:30: out */
		{ NULL, "+442079460123" },		/* London: 18:00 */
		{ NULL, "+61291234567" },		/* Sydney: 03:00: out */
		{ NULL, "+18005550100" },		/* Guam 03:00: out */
		{ "America/New_York", NULL },		/* 13:00 */
		{ NULL, NULL },				/* UTC 17:00 */
	};
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t i;
	int n = 0;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(callhours_register(db), DL_OK);
	assert_int_equal(callhours_register(db), DL_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE c (id INTEGER PRIMARY "
	    "KEY, tz TEXT, phone TEXT)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO c (tz, phone) "
	    "VALUES (?1, ?2)", -1, &st, NULL), SQLITE_OK);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sqlite3_bind_text(st, 1, rows[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, rows[i][1], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);

	/* 2026-06-10 17:00 UTC. */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM c WHERE "
	    "callable_at(tz, phone, ?1) ORDER BY id", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, 1781110800);
	while (sqlite3_step(st) == SQLITE_ROW) {
		static const int want[] = { 1, 3, 6, 7 };

		assert_true(n < 4);
		assert_int_equal(sqlite3_column_int(st, 0), want[n++]);
	}
	assert_int_equal(n, 4);
	sqlite3_reset(st);

	/* A malformed setting is an SQL error, not a silent 0. */
	settings("8-21", NULL, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ERROR);
	assert_non_null(strstr(sqlite3_errmsg(db), "calling hours"));
	sqlite3_finalize(st);

	/* The region argument stands in for libphonenumber's: London at
	 * 18:00 BST is inside the default window, outside GB's. */
	settings(NULL, "GB=09:00-17:00", NULL);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT callable_at(NULL, "
	    "'+442079460123', ?1), callable_at(NULL, '+442079460123', ?1, 'GB'), "
	    "callable_at(NULL, '+442079460123', ?1, 'JE'), "
	    "callable_at(NULL, '+442079460123', ?1, NULL)", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, 1781110800);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	assert_int_equal(sqlite3_column_int(st, 1), 0);
	assert_int_equal(sqlite3_column_int(st, 2), 1);
	assert_int_equal(sqlite3_column_int(st, 3), 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_window_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multi_zone_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contact_zone_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tz_restored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sql_function, setup, teardown),
	};
	char dir[64];
	int rc;

	tu_mkdtemp(dir, sizeof(dir));
	snprintf(log_path, sizeof(log_path), "%s/test.log", dir);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(log_path);
	rmdir(dir);
	return rc;
}
