/*
 * POST /api/v1/contacts/import — a CSV of contacts, as the multipart field
 * `file` (optional fields list_name, list_id, region before it) or as a raw
 * text/csv body (?list_name=&list_id=&region=). The body is streamed from
 * the server into the importer: nothing holds the whole file.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "config.h"
#include "contacts.h"
#include "upload.h"

static const struct valid_field params[] = {
	{ "list_name", VALID_STRING, 0, 0, CONTACTS_MAX_LIST_NAME, NULL, NULL,
	  "a list name of at most 200 characters" },
	{ "list_id", VALID_INT, 0, 1, 0x7fffffffffffffffLL, NULL, NULL, "an existing list's id" },
	{ "region", VALID_STRING, 0, 2, 3, NULL, NULL,
	  "an ISO region code such as US or GB, for numbers written without a country code" },
};
enum { P_LIST_NAME, P_LIST_ID, P_REGION, P_COUNT };

/* The multipart fields taken, in params' order. */
static const char *const field_names[P_COUNT + 1] = { "list_name", "list_id", "region", NULL };

struct upload {
	struct http_req *req;
	const struct app_who *who;
	struct contacts_import *imp;
	enum dl_err begin_err;    /* why the import could not start */
	char value[P_COUNT][UPLOAD_FIELD_MAX + 1];
	int have[P_COUNT];
	int fields_after_file;
	int bad_query;            /* a CSV body's query string is not URL encoding */
	struct valid_error verr;
	int invalid;              /* verr is set */
};

static void
default_name(char *out, size_t outsz)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, outsz, "Import %Y-%m-%d %H:%M UTC", &tm);
}

/* A CSV body's parameters come in the query string. */
static enum dl_err
read_query(struct upload *up)
{
	int i;

	if (!http_query_ok(up->req)) {
		up->bad_query = 1;
		return DL_ERR_INVALID;
	}
	for (i = 0; i < P_COUNT; i++) {
		const char *v = http_query(up->req, params[i].name);

		if (v != NULL && strlen(v) <= UPLOAD_FIELD_MAX) {
			snprintf(up->value[i], sizeof(up->value[i]), "%s", v);
			up->have[i] = 1;
		}
	}
	return DL_OK;
}

/* Validate what was collected and start the import. */
static enum dl_err
begin(void *ud, int multipart, const char *filename)
{
	struct upload *up = ud;
	char name[UPLOAD_FIELD_MAX + 1];
	long long list_id = 0;
	const char *region;
	enum dl_err err;
	int i;

	if (!multipart && (err = read_query(up)) != DL_OK)
		return err;
	for (i = 0; i < P_COUNT; i++) {
		if (up->have[i] && valid_text(&params[i], up->value[i],
		    i == P_LIST_ID ? &list_id : NULL, &up->verr) != DL_OK) {
			up->invalid = 1;
			return DL_ERR_INVALID;
		}
	}
	region = up->have[P_REGION] && up->value[P_REGION][0] != '\0' ?
	    up->value[P_REGION] : config_get("DIALER_DEFAULT_REGION");
	if (up->have[P_LIST_NAME] && up->value[P_LIST_NAME][0] != '\0') {
		snprintf(name, sizeof(name), "%s", up->value[P_LIST_NAME]);
	} else if (filename != NULL && *filename != '\0') {
		/* Browsers on some systems send a whole path. */
		const char *base = strrchr(filename, '/');
		const char *b2 = strrchr(base != NULL ? base : filename, '\\');

		base = b2 != NULL ? b2 + 1 : base != NULL ? base + 1 : filename;
		snprintf(name, sizeof(name), "%s", base);
		if (valid_text(&params[P_LIST_NAME], name, NULL, &up->verr) != DL_OK)
			default_name(name, sizeof(name));
	} else {
		default_name(name, sizeof(name));
	}
	up->begin_err = contacts_import_begin(name, list_id, up->who->user_id,
	    region, &up->imp);
	if (up->begin_err == DL_ERR_INVALID) {
		up->verr.field = "region";
		up->verr.reason = "choice";
		snprintf(up->verr.message, sizeof(up->verr.message),
		    "\"region\" must be %s.", params[P_REGION].what);
		up->invalid = 1;
	}
	return up->begin_err;
}

static enum dl_err
feed(void *ud, const char *data, size_t len)
{
	return contacts_import_feed(((struct upload *)ud)->imp, data, len);
}

static enum dl_err
on_field(void *ud, int index, const char *value, int after_file)
{
	struct upload *up = ud;

	snprintf(up->value[index], sizeof(up->value[index]), "%s", value);
	up->have[index] = 1;
	if (after_file)
		up->fields_after_file = 1;
	return DL_OK;
}

static const struct upload_cb upload_cb = { begin, feed, field_names, on_field };

static void
send_report(struct http_req *req, struct upload *up)
{
	struct contacts_report rep;
	enum dl_err err = contacts_import_finish(up->imp, &rep);
	const char *code, *message;
	cJSON *out;

	if (err == DL_OK || err == DL_ERR_CONFLICT) {
		out = contacts_report_json(&rep);
		if (out == NULL)
			app_error(req, DL_ERR_NOMEM, NULL);
		else if (err == DL_OK)
			http_send_json(req, 200, out);
		else
			http_send_error(req, 422, "no_valid_rows", "None of the rows could "
			    "be imported, so nothing was stored; details.errors says why.", out);
		if (err == DL_OK)
			cJSON_Delete(out);
		contacts_report_free(&rep);
		return;
	}
	if ((code = contacts_import_file_error(up->imp, &message)) != NULL) {
		http_send_error(req, 422, code, message, NULL);
		return;
	}
	app_error(req, err, "list");
}

static void
fail(struct http_req *req, struct upload *up, enum dl_err err)
{
	const char *code, *message;

	if (up->bad_query) {
		http_send_error(req, 400, "invalid_parameter",
		    "The query string is not valid URL encoding.", NULL);
	} else if (up->invalid) {
		app_invalid(req, &up->verr);
	} else if (up->begin_err == DL_ERR_NOTFOUND) {
		http_send_error(req, 404, "list_not_found", "No such list (or it is archived).", NULL);
	} else {
		code = contacts_import_file_error(up->imp, &message);
		upload_error(req, &upload_cb, err, code, message, "list");
	}
}

static void
handle(struct http_req *req)
{
	struct upload up;
	struct app_who who;
	enum dl_err err;

	if (strcmp(http_method(req), "POST") != 0) {
		http_send_method_not_allowed(req, "POST");
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who))
		return;
	memset(&up, 0, sizeof(up));
	up.req = req;
	up.who = &who;
	if (!upload_read(req, &upload_cb, &up, &err)) {
		contacts_import_abort(up.imp);
		return;
	}
	/* Fields after the file can only rename: list_id and region had to
	 * be known before the first row. */
	if (err == DL_OK && up.fields_after_file) {
		if (up.have[P_LIST_ID] || up.have[P_REGION]) {
			http_send_error(req, 400, "field_order", "Send list_id and region "
			    "before the file field.", NULL);
			contacts_import_abort(up.imp);
			return;
		}
		if (valid_text(&params[P_LIST_NAME], up.value[P_LIST_NAME], NULL,
		    &up.verr) != DL_OK) {
			app_invalid(req, &up.verr);
			contacts_import_abort(up.imp);
			return;
		}
		err = contacts_import_rename(up.imp, up.value[P_LIST_NAME]);
	}
	if (err == DL_OK)
		send_report(req, &up);
	else
		fail(req, &up, err);
	contacts_import_abort(up.imp);
}

int
main(void)
{
	return app_main("contacts_import", handle);
}
