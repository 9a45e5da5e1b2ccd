#include <string.h>

#include "day.h"
#include "db.h"
#include "stats.h"

/* --- queries ----------------------------------------------------------- */

/* ?1, ?2: the first and last day; ?3: one operator, or NULL for all. */
#define RANGE "day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR operator_id = ?3)"
/* Sums of v_operator_daily, rates from the sums (not averages of daily
 * rates), rounded as the view rounds them; x / 0 is NULL in SQLite.
 * Average talk counts only connects whose talk time is known, as the view. */
#define FIGURES "sum(dials), sum(connects), round(100.0 * sum(connects) / sum(dials), 1), " \
    "sum(talk_s), round(1.0 * sum(talk_s) / sum(timed_connects), 1), round(sum(active_h), 2), " \
    "round(sum(dials) / sum(active_h), 1)"

static const char sql_user[] = "SELECT 1 FROM users WHERE id = ?1";
static const char sql_totals[] = "SELECT " FIGURES " FROM v_operator_daily WHERE " RANGE;
static const char sql_daily[] = "SELECT day, sum(dials), sum(connects), sum(talk_s) "
    "FROM v_operator_daily WHERE " RANGE " GROUP BY day";
static const char sql_outcomes[] = "SELECT COALESCE(outcome, '(not logged)'), count(*) "
    "FROM v_calls WHERE " RANGE " GROUP BY 1 ORDER BY 2 DESC, 1";
static const char sql_operators[] = "SELECT operator_id, max(operator), " FIGURES
    " FROM v_operator_daily WHERE " RANGE
    " GROUP BY operator_id ORDER BY sum(dials) DESC, max(operator)";

struct span {
	char from[DAY_LEN + 1], to[DAY_LEN + 1];
	long long user_id;
};

static sqlite3_stmt *
prepare(const char *sql, const struct span *s)
{
	sqlite3_stmt *st = db_stmt(sql);

	if (st == NULL)
		return NULL;
	if (db_bind_text(st, 1, s->from) != SQLITE_OK || db_bind_text(st, 2, s->to) != SQLITE_OK ||
	    (s->user_id > 0 && sqlite3_bind_int64(st, 3, s->user_id) != SQLITE_OK))
		return NULL;
	return st;
}

/* The step's outcome once the rows are read: DL_OK after the last row. */
static enum dl_err
finish(sqlite3_stmt *st, int rc)
{
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? DL_OK : db_err(rc);
}

static int
add_count(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	return cJSON_AddNumberToObject(o, key, (double)sqlite3_column_int64(st, col)) != NULL;
}

/* A rate, or null where there was nothing to divide by. */
static int
add_rate(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return cJSON_AddNullToObject(o, key) != NULL;
	return cJSON_AddNumberToObject(o, key, sqlite3_column_double(st, col)) != NULL;
}

/* The seven FIGURES columns, from column `c` on. */
static int
add_figures(cJSON *o, sqlite3_stmt *st, int c)
{
	return add_count(o, "dials", st, c) && add_count(o, "connects", st, c + 1) &&
	    add_rate(o, "connect_rate", st, c + 2) && add_count(o, "talk_s", st, c + 3) &&
	    add_rate(o, "avg_talk_s", st, c + 4) &&
	    cJSON_AddNumberToObject(o, "active_h", sqlite3_column_double(st, c + 5)) != NULL &&
	    add_rate(o, "calls_per_hour", st, c + 6);
}

static enum dl_err
user_exists(long long id)
{
	sqlite3_stmt *st = db_stmt(sql_user);
	int rc;

	if (st == NULL || sqlite3_bind_int64(st, 1, id) != SQLITE_OK)
		return DL_ERR_DB;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return DL_OK;
	return rc == SQLITE_DONE ? DL_ERR_NOTFOUND : db_err(rc);
}

static enum dl_err
add_totals(cJSON *root, const struct span *s)
{
	sqlite3_stmt *st = prepare(sql_totals, s);
	cJSON *o;
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	/* An aggregate without GROUP BY: exactly one row, NULL sums when no
	 * call matched. */
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		return finish(st, rc == SQLITE_DONE ? SQLITE_ERROR : rc);
	o = cJSON_AddObjectToObject(root, "totals");
	rc = o != NULL && add_figures(o, st, 0);
	sqlite3_reset(st);
	return rc ? DL_OK : DL_ERR_NOMEM;
}

/* Every day of the range, in order, with zeros for days without a call:
 * a chart's x axis must not skip quiet days. */
static enum dl_err
add_daily(cJSON *root, const struct stats_range *r, const struct span *s)
{
	long long dials[STATS_MAX_DAYS] = { 0 }, connects[STATS_MAX_DAYS] = { 0 },
	    talk[STATS_MAX_DAYS] = { 0 };
	long n = r->to - r->from + 1, i, day;
	char name[DAY_LEN + 1];
	sqlite3_stmt *st = prepare(sql_daily, s);
	cJSON *arr, *o;
	enum dl_err err;
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (day_parse((const char *)sqlite3_column_text(st, 0), &day) != DL_OK ||
		    day < r->from || day > r->to)
			continue;
		dials[day - r->from] = sqlite3_column_int64(st, 1);
		connects[day - r->from] = sqlite3_column_int64(st, 2);
		talk[day - r->from] = sqlite3_column_int64(st, 3);
	}
	if ((err = finish(st, rc)) != DL_OK)
		return err;
	if ((arr = cJSON_AddArrayToObject(root, "daily")) == NULL)
		return DL_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (day_format(r->from + i, name) != DL_OK)
			return DL_ERR_INVALID;
		if ((o = cJSON_CreateObject()) == NULL ||
		    cJSON_AddStringToObject(o, "day", name) == NULL ||
		    cJSON_AddNumberToObject(o, "dials", (double)dials[i]) == NULL ||
		    cJSON_AddNumberToObject(o, "connects", (double)connects[i]) == NULL ||
		    cJSON_AddNumberToObject(o, "talk_s", (double)talk[i]) == NULL ||
		    !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			return DL_ERR_NOMEM;
		}
	}
	return DL_OK;
}

static enum dl_err
add_outcomes(cJSON *root, const struct span *s)
{
	sqlite3_stmt *st = prepare(sql_outcomes, s);
	cJSON *arr, *o;
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	if ((arr = cJSON_AddArrayToObject(root, "outcomes")) == NULL) {
		sqlite3_reset(st);
		return DL_ERR_NOMEM;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((o = cJSON_CreateObject()) == NULL ||
		    cJSON_AddStringToObject(o, "outcome",
		    (const char *)sqlite3_column_text(st, 0)) == NULL ||
		    !add_count(o, "calls", st, 1) || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			sqlite3_reset(st);
			return DL_ERR_NOMEM;
		}
	}
	return finish(st, rc);
}

static enum dl_err
add_operators(cJSON *root, const struct span *s)
{
	sqlite3_stmt *st = prepare(sql_operators, s);
	cJSON *arr, *o;
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	if ((arr = cJSON_AddArrayToObject(root, "operators")) == NULL) {
		sqlite3_reset(st);
		return DL_ERR_NOMEM;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* Calls made with the API key have no operator: id null. */
		if ((o = cJSON_CreateObject()) == NULL ||
		    (sqlite3_column_type(st, 0) == SQLITE_NULL ?
		    cJSON_AddNullToObject(o, "operator_id") :
		    cJSON_AddNumberToObject(o, "operator_id",
		    (double)sqlite3_column_int64(st, 0))) == NULL ||
		    cJSON_AddStringToObject(o, "operator",
		    (const char *)sqlite3_column_text(st, 1)) == NULL ||
		    !add_figures(o, st, 2) || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			sqlite3_reset(st);
			return DL_ERR_NOMEM;
		}
	}
	return finish(st, rc);
}

enum dl_err
stats_report(const struct stats_range *r, cJSON **out)
{
	struct span s;
	cJSON *root = NULL;
	enum dl_err err;

	*out = NULL;
	if (r->to < r->from || r->to - r->from + 1 > STATS_MAX_DAYS ||
	    day_format(r->from, s.from) != DL_OK || day_format(r->to, s.to) != DL_OK)
		return DL_ERR_INVALID;
	s.user_id = r->user_id;
	/* One snapshot: a call logged meanwhile must not make the totals
	 * disagree with the days or the operators. */
	if ((err = db_read_begin()) != DL_OK)
		return err;
	if (r->user_id > 0 && (err = user_exists(r->user_id)) != DL_OK)
		goto done;
	err = DL_ERR_NOMEM;
	if ((root = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(root, "from", s.from) == NULL ||
	    cJSON_AddStringToObject(root, "to", s.to) == NULL ||
	    (r->user_id > 0 ? cJSON_AddNumberToObject(root, "user_id", (double)r->user_id) :
	    cJSON_AddNullToObject(root, "user_id")) == NULL)
		goto done;
	if ((err = add_totals(root, &s)) != DL_OK || (err = add_daily(root, r, &s)) != DL_OK ||
	    (err = add_outcomes(root, &s)) != DL_OK || (err = add_operators(root, &s)) != DL_OK)
		goto done;
	*out = root;
	root = NULL;
done:
	db_read_end();
	cJSON_Delete(root);
	return err;
}
