/*
 * The do-not-call list (lib/dnc.h), admin only:
 *   GET    /api/v1/dnc?q=&page=&per_page=   a page, newest first
 *   POST   /api/v1/dnc {"phone","reason"?}  add (201), or 200 when listed
 *   DELETE /api/v1/dnc/{phone}              remove (E.164, '+' or %2B)
 *   POST   /api/v1/dnc/import               CSV (multipart field `file`,
 *                                           or a text/csv body), streamed
 *   GET    /api/v1/dnc.csv                  the list as CSV, streamed
 * A number in the path never reaches the request log: the route is logged
 * as /api/v1/dnc/{phone}.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "config.h"
#include "dnc.h"
#include "log.h"
#include "upload.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define BASE "/api/v1/dnc"

enum { P_Q, P_PAGE, P_PER_PAGE, P_COUNT };

static const struct valid_field list_params[P_COUNT] = {
	[P_Q] = { "q", VALID_STRING, 0, 0, 200, NULL, NULL, "search text of at most 200 characters" },
	[P_PAGE] = { "page", VALID_INT, 0, 1, 1000000000, NULL, NULL, "a page number from 1" },
	[P_PER_PAGE] = { "per_page", VALID_INT, 0, 1, 200, NULL, NULL, "a page size from 1 to 200" },
};

static const struct valid_field add_fields[] = {
	{ "phone", VALID_STRING, 1, 1, 64, NULL, NULL,
	  "a phone number such as +12025550143 (national numbers are read as "
	  "DIALER_DEFAULT_REGION's)" },
	{ "reason", VALID_STRING, 0, 0, DNC_REASON_MAX, NULL, NULL,
	  "text of at most 200 characters" },
};

static void
list_dnc(struct http_req *req)
{
	struct dnc_filter f = { NULL, 1, 50 };
	long long *num[P_COUNT] = { NULL, &f.page, &f.per_page };
	cJSON *out;
	enum dl_err err;

	if (!app_query(req, list_params, P_COUNT, num, app_bad_param))
		return;
	f.q = http_query(req, "q");
	if ((err = dnc_list(&f, &out)) != DL_OK) {
		app_error(req, err, NULL);
		return;
	}
	http_send_json(req, 200, out);
	cJSON_Delete(out);
}

static void
add_dnc(struct http_req *req, const struct app_who *who)
{
	char e164[32];
	const cJSON *reason;
	cJSON *body, *entry, *out;
	enum dl_err err;
	int added;

	if ((body = app_json_body(req)) == NULL ||
	    !app_valid(req, body, add_fields, N(add_fields)) ||
	    !app_phone(req, "phone", cJSON_GetObjectItemCaseSensitive(body, "phone")->valuestring,
	    e164, sizeof(e164)))
		return;
	reason = cJSON_GetObjectItemCaseSensitive(body, "reason");
	err = dnc_add_entry(e164, cJSON_IsString(reason) ? reason->valuestring : NULL,
	    DNC_MANUAL, who->user_id, &added, &entry);
	if (err != DL_OK) {
		app_error(req, err, NULL);
		return;
	}
	if ((out = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(entry);
		app_error(req, DL_ERR_NOMEM, NULL);
		return;
	}
	if (!cJSON_AddItemToObject(out, "entry", entry)) {
		cJSON_Delete(entry);
		cJSON_Delete(out);
		app_error(req, DL_ERR_NOMEM, NULL);
		return;
	}
	if (!added && cJSON_AddTrueToObject(out, "already_listed") == NULL) {
		cJSON_Delete(out);
		app_error(req, DL_ERR_NOMEM, NULL);
		return;
	}
	http_send_json(req, added ? 201 : 200, out);
	cJSON_Delete(out);
}

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A path segment's %-escapes decoded. Unlike a query string, '+' in a
 * path is itself, so "+12025550143" and "%2B12025550143" are one number.
 * 0 for a bad escape, a NUL or a '/', or one too long for out. */
static int
path_decode(const char *s, char *out, size_t outsz)
{
	size_t o = 0;
	int hi, lo;

	for (; *s != '\0'; s++) {
		char c = *s;

		if (c == '%') {
			if ((hi = hex(s[1])) < 0 || (lo = hex(s[2])) < 0)
				return 0;
			c = (char)(hi * 16 + lo);
			s += 2;
		}
		if (c == '\0' || c == '/' || o + 1 >= outsz)
			return 0;
		out[o++] = c;
	}
	out[o] = '\0';
	return o > 0;
}

static void
remove_dnc(struct http_req *req, const char *segment)
{
	char text[128], e164[32];
	enum dl_err err;

	if (!path_decode(segment, text, sizeof(text))) {
		http_send_error(req, 404, "dnc_not_found",
		    "No such number on the do-not-call list (write it as E.164, e.g. "
		    "+12025550143 or %2B12025550143).", NULL);
		return;
	}
	if (!app_phone(req, "phone", text, e164, sizeof(e164)))
		return;
	if ((err = dnc_remove(e164)) == DL_ERR_NOTFOUND) {
		http_send_error(req, 404, "dnc_not_found",
		    "That number is not on the do-not-call list.", NULL);
		return;
	}
	if (err != DL_OK) {
		app_error(req, err, NULL);
		return;
	}
	http_send_no_content(req);
}

/* --- export ---------------------------------------------------------- */

static enum dl_err
http_sink(void *ctx, const void *data, size_t len)
{
	struct http_req *req = ctx;

	if (!http_sent(req)) {
		http_add_header(req, "Content-Disposition", "attachment; filename=\"dnc.csv\"");
		http_begin(req, 200, "text/csv; charset=utf-8");
	}
	/* A client that hung up stops the export instead of being fed every row. */
	return http_write(req, data, len) == 0 ? DL_OK : DL_ERR_IO;
}

static void
export_dnc(struct http_req *req)
{
	struct csvwrite w;
	enum dl_err err;

	csvwrite_init(&w, http_sink, req);
	err = dnc_export(&w);
	if (err == DL_OK)
		log_line("request_id=%s event=export kind=dnc rows=%lld", http_request_id(req),
		    w.rows - 1);
	else if (!http_sent(req))
		app_error(req, err, NULL);
	else /* Mid-stream: the status is out, the body is cut short. */
		log_line("request_id=%s event=export_failed kind=dnc rows=%lld err=%s",
		    http_request_id(req), w.rows > 0 ? w.rows - 1 : 0, dl_strerror(err));
}

/* --- import ---------------------------------------------------------- */

struct upload {
	struct http_req *req;
	const struct app_who *who;
	struct dnc_import *imp;
};

static enum dl_err
begin(void *ud, int multipart, const char *filename)
{
	struct upload *up = ud;
	enum dl_err err;

	(void)multipart;
	(void)filename;
	err = dnc_import_begin(config_get("DIALER_DEFAULT_REGION"), up->who->user_id, NULL,
	    &up->imp);
	/* The only invalid input here is the setting: the server's fault. */
	if (err == DL_ERR_INVALID) {
		log_line("request_id=%s event=misconfigured setting=DIALER_DEFAULT_REGION "
		    "problem=\"not a region libphonenumber knows\"", http_request_id(up->req));
		err = DL_ERR_CONFIG;
	}
	return err;
}

static enum dl_err
feed(void *ud, const char *data, size_t len)
{
	return dnc_import_feed(((struct upload *)ud)->imp, data, len);
}

static const struct upload_cb upload_cb = { begin, feed, NULL, NULL };

static void
import_dnc(struct http_req *req, const struct app_who *who)
{
	struct upload up = { req, who, NULL };
	struct dnc_report rep;
	const char *code, *message;
	enum dl_err err;
	cJSON *out;

	if (!upload_read(req, &upload_cb, &up, &err)) {
		dnc_import_abort(up.imp);
		return;
	}
	if (err == DL_OK && (err = dnc_import_finish(up.imp, &rep)) == DL_OK) {
		if ((out = dnc_report_json(&rep)) == NULL)
			app_error(req, DL_ERR_NOMEM, NULL);
		else
			http_send_json(req, 200, out);
		cJSON_Delete(out);
		dnc_report_free(&rep);
	} else {
		/* A refused file stores nothing: the import is aborted below. */
		code = dnc_import_file_error(up.imp, &message);
		upload_error(req, &upload_cb, err, code, message, NULL);
	}
	dnc_import_abort(up.imp);
}

/* --- routing --------------------------------------------------------- */

static void
handle(struct http_req *req)
{
	const char *path = http_path(req), *method = http_method(req), *allow;
	enum { LIST, EXPORT, IMPORT, ONE } what;
	struct app_who who;

	if (strcmp(path, BASE) == 0) {
		what = LIST;
		allow = "GET, POST";
	} else if (strcmp(path, BASE ".csv") == 0) {
		what = EXPORT;
		allow = "GET, HEAD";
	} else if (strcmp(path, BASE "/import") == 0) {
		what = IMPORT;
		allow = "POST";
	} else if (strncmp(path, BASE "/", strlen(BASE "/")) == 0 &&
	    path[strlen(BASE "/")] != '\0') {
		http_set_route(req, BASE "/{phone}");
		what = ONE;
		allow = "DELETE";
	} else {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	/* HEAD arrives as GET (lib/http.c leaves the body out). */
	if (!((what == LIST || what == EXPORT) && strcmp(method, "GET") == 0) &&
	    !((what == LIST || what == IMPORT) && strcmp(method, "POST") == 0) &&
	    !(what == ONE && strcmp(method, "DELETE") == 0)) {
		http_send_method_not_allowed(req, allow);
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who) || !app_require_admin(req, &who))
		return;
	switch (what) {
	case LIST:
		if (strcmp(method, "GET") == 0)
			list_dnc(req);
		else
			add_dnc(req, &who);
		break;
	case EXPORT:
		export_dnc(req);
		break;
	case IMPORT:
		import_dnc(req, &who);
		break;
	case ONE:
		remove_dnc(req, path + strlen(BASE "/"));
		break;
	}
}

int
main(void)
{
	return app_main("dnc", handle);
}
