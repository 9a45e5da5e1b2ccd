/*
 * GET /api/v1/calls.csv?from=&to= and GET /api/v1/contacts.csv?list_id=:
 * the call log and a list's contacts as CSV (lib/export.h), streamed.
 *
 * Days are UTC and inclusive; without `from` the export starts at the
 * first call, without `to` it runs to the last, so a bare calls.csv is the
 * whole log. Admins and the API key get every call, an operator only
 * their own. A list's contacts go to whoever may page through them with
 * GET /api/v1/contacts, i.e. anyone logged in.
 *
 * The response starts (200, headers) when the first CSVWRITE_BUF bytes
 * are ready, so a failure before that is still a proper JSON error; one
 * after it can only cut the body short, and is logged.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "day.h"
#include "export.h"
#include "log.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct valid_field calls_params[] = {
	{ "from", VALID_STRING, 0, DAY_LEN, DAY_LEN, NULL, day_valid,
	  "a UTC day written YYYY-MM-DD, such as 2026-11-01" },
	{ "to", VALID_STRING, 0, DAY_LEN, DAY_LEN, NULL, day_valid,
	  "a UTC day written YYYY-MM-DD, such as 2026-11-30" },
};
static const struct valid_field contacts_params[] = {
	{ "list_id", VALID_INT, 1, 1, 0x7fffffffffffffffLL, NULL, NULL, "a list id" },
};

/* What the sink needs to start the response on its first bytes. */
struct out {
	struct http_req *req;
	const char *filename;
};

static enum dl_err
http_sink(void *ctx, const void *data, size_t len)
{
	struct out *o = ctx;
	char disp[128];

	if (!http_sent(o->req)) {
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", o->filename);
		http_add_header(o->req, "Content-Disposition", disp);
		http_begin(o->req, 200, "text/csv; charset=utf-8");
	}
	/* A client that hung up stops the export instead of being fed every row. */
	return http_write(o->req, data, len) == 0 ? DL_OK : DL_ERR_IO;
}

static const char *
day_param(struct http_req *req, const char *name)
{
	const char *v = http_query(req, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static void
finish(struct http_req *req, struct csvwrite *w, enum dl_err err, const char *kind)
{
	if (err == DL_OK) {
		log_line("request_id=%s event=export kind=%s rows=%lld", http_request_id(req),
		    kind, w->rows - 1);
		return;
	}
	if (!http_sent(req)) {
		if (err == DL_ERR_NOTFOUND)
			http_send_error(req, 404, "list_not_found",
			    "No such list (or it is archived).", NULL);
		else
			app_error(req, err, NULL);
		return;
	}
	/* Mid-stream: the status is out, the body is cut short. */
	log_line("request_id=%s event=export_failed kind=%s rows=%lld err=%s",
	    http_request_id(req), kind, w->rows > 0 ? w->rows - 1 : 0, dl_strerror(err));
}

static void
calls_csv(struct http_req *req, const struct app_who *who)
{
	long long *num[N(calls_params)] = { NULL, NULL };
	struct export_calls_filter f;
	struct valid_error verr;
	char filename[64];
	struct out o = { req, filename };
	struct csvwrite w;

	if (!app_query(req, calls_params, N(calls_params), num, app_invalid))
		return;
	f.from = day_param(req, "from");
	f.to = day_param(req, "to");
	if (f.from != NULL && f.to != NULL && strcmp(f.to, f.from) < 0) {
		verr.field = "to";
		verr.reason = "range";
		snprintf(verr.message, sizeof(verr.message),
		    "\"to\" (%s) is before \"from\" (%s).", f.to, f.from);
		app_invalid(req, &verr);
		return;
	}
	/* Operators export their own calls whatever they ask for. */
	f.operator_id = who->role == AUTH_ADMIN ? 0 : who->user_id;
	if (f.from != NULL && f.to != NULL)
		snprintf(filename, sizeof(filename), "calls-%s-%s.csv", f.from, f.to);
	else if (f.from != NULL)
		snprintf(filename, sizeof(filename), "calls-since-%s.csv", f.from);
	else if (f.to != NULL)
		snprintf(filename, sizeof(filename), "calls-until-%s.csv", f.to);
	else
		snprintf(filename, sizeof(filename), "calls-all.csv");
	csvwrite_init(&w, http_sink, &o);
	finish(req, &w, export_calls(&f, &w), "calls");
}

static void
contacts_csv(struct http_req *req)
{
	long long list_id = 0;
	long long *num[N(contacts_params)] = { &list_id };
	char filename[64];
	struct out o = { req, filename };
	struct csvwrite w;

	if (!app_query(req, contacts_params, N(contacts_params), num, app_invalid))
		return;
	snprintf(filename, sizeof(filename), "contacts-list-%lld.csv", list_id);
	csvwrite_init(&w, http_sink, &o);
	finish(req, &w, export_contacts(list_id, &w), "contacts");
}

static void
handle(struct http_req *req)
{
	const char *path = http_path(req);
	struct app_who who;
	int calls;

	if (strcmp(path, "/api/v1/calls.csv") == 0)
		calls = 1;
	else if (strcmp(path, "/api/v1/contacts.csv") == 0)
		calls = 0;
	else {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	/* HEAD arrives as GET (lib/http.c leaves the body out). */
	if (strcmp(http_method(req), "GET") != 0) {
		http_send_method_not_allowed(req, "GET, HEAD");
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who))
		return;
	if (calls)
		calls_csv(req, &who);
	else
		contacts_csv(req);
}

int
main(void)
{
	return app_main("exports", handle);
}
