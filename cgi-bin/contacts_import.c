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
#include "multipart.h"

#define FIELD_MAX 1024 /* bytes of a non-file form field */

static const struct valid_field params[] = {
	{ "list_name", VALID_STRING, 0, 0, CONTACTS_MAX_LIST_NAME, NULL, NULL,
	  "a list name of at most 200 characters" },
	{ "list_id", VALID_INT, 0, 1, 0x7fffffffffffffffLL, NULL, NULL, "an existing list's id" },
	{ "region", VALID_STRING, 0, 2, 3, NULL, NULL,
	  "an ISO region code such as US or GB, for numbers written without a country code" },
};
enum { P_LIST_NAME, P_LIST_ID, P_REGION, P_COUNT };

struct upload {
	struct http_req *req;
	const struct app_who *who;
	struct contacts_import *imp;
	enum dl_err begin_err;    /* why the import could not start */
	int field;                /* which P_ field is being collected, or -1 */
	char value[P_COUNT][FIELD_MAX + 1];
	size_t vlen;
	int have[P_COUNT];
	int in_file, file_seen, fields_after_file;
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

/* Validate what was collected and start the import. */
static enum dl_err
begin(struct upload *up, const char *filename)
{
	char name[FIELD_MAX + 1];
	long long list_id = 0;
	const char *region;
	int i;

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

static int
field_index(const char *name)
{
	int i;

	for (i = 0; i < P_COUNT; i++)
		if (strcmp(params[i].name, name) == 0)
			return i;
	return -1;
}

static enum dl_err
on_part_begin(void *ud, const char *name, const char *filename, const char *ctype)
{
	struct upload *up = ud;

	(void)ctype;
	up->field = -1;
	up->vlen = 0;
	if (strcmp(name, "file") == 0) {
		if (up->file_seen)
			return DL_ERR_INVALID;
		up->file_seen = 1;
		up->in_file = 1;
		return begin(up, filename);
	}
	up->field = field_index(name);
	if (up->field >= 0 && up->file_seen)
		up->fields_after_file = 1;
	return DL_OK;
}

static enum dl_err
on_part_data(void *ud, const char *data, size_t len)
{
	struct upload *up = ud;

	if (up->in_file)
		return contacts_import_feed(up->imp, data, len);
	if (up->field < 0)
		return DL_OK;
	if (len > FIELD_MAX - up->vlen)
		return DL_ERR_TOOBIG;
	memcpy(up->value[up->field] + up->vlen, data, len);
	up->vlen += len;
	return DL_OK;
}

static enum dl_err
on_part_end(void *ud)
{
	struct upload *up = ud;

	if (up->field >= 0) {
		up->value[up->field][up->vlen] = '\0';
		up->have[up->field] = 1;
	}
	up->in_file = 0;
	up->field = -1;
	return DL_OK;
}

static const struct mp_callbacks mp_cb = { on_part_begin, on_part_data, on_part_end };

/* Pump the request body into `sink` in 64 KiB pieces. */
static enum dl_err
pump(struct http_req *req, enum dl_err (*sink)(void *, const char *, size_t), void *ud)
{
	char buf[65536];
	ssize_t got;
	enum dl_err err;

	while ((got = http_read(req, buf, sizeof(buf))) > 0)
		if ((err = sink(ud, buf, (size_t)got)) != DL_OK)
			return err;
	return got < 0 ? DL_ERR_IO : DL_OK;
}

static enum dl_err
mp_sink(void *ud, const char *data, size_t len)
{
	return mp_feed(ud, data, len);
}

static enum dl_err
csv_sink(void *ud, const char *data, size_t len)
{
	return contacts_import_feed(ud, data, len);
}

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

	if (up->invalid) {
		app_invalid(req, &up->verr);
	} else if (up->begin_err == DL_ERR_NOTFOUND) {
		http_send_error(req, 404, "list_not_found", "No such list (or it is archived).", NULL);
	} else if ((code = contacts_import_file_error(up->imp, &message)) != NULL) {
		http_send_error(req, 422, code, message, NULL);
	} else if (err == DL_ERR_IO) {
		http_send_error(req, 400, "incomplete_body",
		    "The upload ended before its announced length.", NULL);
	} else if (err == DL_ERR_INVALID || err == DL_ERR_TOOBIG) {
		http_send_error(req, 400, "malformed_multipart",
		    "The multipart body is malformed (one \"file\" field, fields under 1 KB, "
		    "a closing boundary).", NULL);
	} else {
		app_error(req, err, "list");
	}
}

static void
handle(struct http_req *req)
{
	const char *mt = http_media_type(req);
	long limit = app_limit("DIALER_UPLOAD_LIMIT", 26214400);
	long long len = http_content_length(req);
	struct upload up;
	struct app_who who;
	char boundary[MP_MAX_BOUNDARY + 1], msg[160];
	struct mp_parser *mp;
	enum dl_err err;
	int i;

	if (strcmp(http_method(req), "POST") != 0) {
		http_send_method_not_allowed(req, "POST");
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who))
		return;
	if (len > limit) {
		snprintf(msg, sizeof(msg), "The upload is %.1f MB; the limit is %.1f MB "
		    "(%ld bytes).", (double)len / 1048576.0, (double)limit / 1048576.0, limit);
		http_send_error(req, 413, "payload_too_large", msg, NULL);
		return;
	}
	memset(&up, 0, sizeof(up));
	up.req = req;
	up.who = &who;
	up.field = -1;

	if (strcmp(mt, "multipart/form-data") == 0) {
		if (mp_boundary(http_header(req, "Content-Type"), boundary, sizeof(boundary)) != DL_OK ||
		    (mp = mp_new(boundary, &mp_cb, &up)) == NULL) {
			http_send_error(req, 400, "malformed_multipart",
			    "The multipart boundary is missing or invalid.", NULL);
			return;
		}
		err = pump(req, mp_sink, mp);
		if (err == DL_OK)
			err = mp_finish(mp);
		mp_free(mp);
		if (err == DL_OK && !up.file_seen) {
			http_send_error(req, 422, "missing_file",
			    "Send the CSV in a multipart field named \"file\".", NULL);
			return;
		}
		if (err == DL_OK && up.fields_after_file) {
			/* Fields after the file can only rename: list_id and
			 * region had to be known before the first row. */
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
	} else if (strcmp(mt, "text/csv") == 0 || strcmp(mt, "application/csv") == 0 ||
	    strcmp(mt, "text/plain") == 0) {
		if (!http_query_ok(req)) {
			http_send_error(req, 400, "invalid_parameter",
			    "The query string is not valid URL encoding.", NULL);
			return;
		}
		for (i = 0; i < P_COUNT; i++) {
			const char *v = http_query(req, params[i].name);

			if (v != NULL && strlen(v) <= FIELD_MAX) {
				snprintf(up.value[i], sizeof(up.value[i]), "%s", v);
				up.have[i] = 1;
			}
		}
		err = begin(&up, NULL);
		if (err == DL_OK)
			err = pump(req, csv_sink, up.imp);
	} else {
		http_send_error(req, 415, "unsupported_media_type", "Send a multipart/form-data "
		    "upload with a \"file\" field, or a text/csv body.", NULL);
		return;
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
