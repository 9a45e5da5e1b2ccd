/*
 * GET /api/v1/stats?from=&to=&user_id=: dials, connects, talk time and
 * outcomes over a range of UTC days, per day and per operator (lib/stats).
 * Admins and the API key see everybody and may ask for anyone; an
 * operator sees only their own figures.
 */
#include <stdio.h>

#include "app.h"
#include "day.h"
#include "stats.h"

enum { P_FROM, P_TO, P_USER_ID, P_COUNT };

static const struct valid_field params[P_COUNT] = {
	[P_FROM] = { "from", VALID_STRING, 0, DAY_LEN, DAY_LEN, NULL, day_valid,
	    "a UTC day written YYYY-MM-DD, such as 2026-11-24" },
	[P_TO] = { "to", VALID_STRING, 0, DAY_LEN, DAY_LEN, NULL, day_valid,
	    "a UTC day written YYYY-MM-DD, such as 2026-11-24" },
	[P_USER_ID] = { "user_id", VALID_INT, 0, 1, 0x7fffffffffffffffLL, NULL, NULL,
	    "a user id (a whole number from 1)" },
};

static void
range_error(struct http_req *req, const char *message)
{
	struct valid_error e;

	e.field = "to";
	e.reason = "range";
	snprintf(e.message, sizeof(e.message), "%s", message);
	app_invalid(req, &e);
}

/* A day parameter into *day, which keeps its default when it is absent. */
static int
read_day(struct http_req *req, const char *name, long *day)
{
	const char *v = http_query(req, name);

	if (v == NULL || *v == '\0' || day_parse(v, day) == DL_OK)
		return 1;
	app_error(req, DL_ERR_INVALID, name);
	return 0;
}

/* The range asked for: a missing `to` is today, a missing `from` the
 * start of the STATS_DEFAULT_DAYS days that end on `to`. */
static int
read_range(struct http_req *req, struct stats_range *r)
{
	char msg[200];

	r->to = day_today();
	if (!read_day(req, "to", &r->to))
		return 0;
	r->from = r->to - (STATS_DEFAULT_DAYS - 1);
	if (r->from < 0)
		r->from = 0; /* no day before 1970-01-01 (lib/day.h) */
	if (!read_day(req, "from", &r->from))
		return 0;
	if (r->to < r->from) {
		range_error(req, "\"to\" is before \"from\"; expected a day on or after \"from\".");
		return 0;
	}
	if (r->to - r->from + 1 > STATS_MAX_DAYS) {
		snprintf(msg, sizeof(msg), "The range covers %ld days; it may cover at most %d "
		    "(\"from\" and \"to\" both count).", r->to - r->from + 1, STATS_MAX_DAYS);
		range_error(req, msg);
		return 0;
	}
	return 1;
}

static void
handle(struct http_req *req)
{
	long long *num[P_COUNT] = { NULL, NULL, NULL };
	struct stats_range r = { 0, 0, 0 };
	struct app_who who;
	cJSON *out;
	enum dl_err err;

	if (strcmp(http_path(req), "/api/v1/stats") != 0) {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	/* HEAD reaches us as GET (lib/http answers it without the body). */
	if (strcmp(http_method(req), "GET") != 0) {
		http_send_method_not_allowed(req, "GET, HEAD");
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who))
		return;
	num[P_USER_ID] = &r.user_id;
	if (!app_query(req, params, P_COUNT, num, app_invalid))
		return;
	if (!read_range(req, &r))
		return;
	if (who.role != AUTH_ADMIN) {
		if (r.user_id != 0 && r.user_id != who.user_id) {
			http_send_error(req, 403, "forbidden",
			    "Operators see only their own figures.", NULL);
			return;
		}
		r.user_id = who.user_id;
	}
	if ((err = stats_report(&r, &out)) != DL_OK) {
		if (err == DL_ERR_NOTFOUND)
			http_send_error(req, 404, "user_not_found", "No such user.", NULL);
		else
			app_error(req, err, "report");
		return;
	}
	http_send_json(req, 200, out);
	cJSON_Delete(out);
}

int
main(void)
{
	return app_main("stats", handle);
}
