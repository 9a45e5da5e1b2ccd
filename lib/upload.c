/* upload: a CSV upload streamed into an importer (see upload.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "multipart.h"
#include "upload.h"

/* The multipart parser's view of one upload. */
struct reading {
	const struct upload_cb *cb;
	void *ud;
	int in_file, file_seen;
	int field; /* index in cb->fields of the field being read, or -1 */
	char value[UPLOAD_FIELD_MAX + 1];
	size_t vlen;
};

static int
field_index(const char *const *fields, const char *name)
{
	int i;

	for (i = 0; fields != NULL && fields[i] != NULL; i++)
		if (strcmp(fields[i], name) == 0)
			return i;
	return -1;
}

static enum dl_err
on_part_begin(void *ud, const char *name, const char *filename, const char *ctype)
{
	struct reading *r = ud;

	(void)ctype;
	r->in_file = 0;
	r->field = -1;
	r->vlen = 0;
	if (strcmp(name, "file") == 0) {
		if (r->file_seen)
			return DL_ERR_INVALID;
		r->file_seen = r->in_file = 1;
		return r->cb->begin(r->ud, 1, filename);
	}
	r->field = field_index(r->cb->fields, name);
	return DL_OK;
}

static enum dl_err
on_part_data(void *ud, const char *data, size_t len)
{
	struct reading *r = ud;

	if (r->in_file)
		return r->cb->feed(r->ud, data, len);
	if (r->field < 0)
		return DL_OK;
	if (len > UPLOAD_FIELD_MAX - r->vlen)
		return DL_ERR_TOOBIG;
	memcpy(r->value + r->vlen, data, len);
	r->vlen += len;
	return DL_OK;
}

static enum dl_err
on_part_end(void *ud)
{
	struct reading *r = ud;
	int field = r->field;

	r->in_file = 0;
	r->field = -1;
	if (field < 0)
		return DL_OK;
	r->value[r->vlen] = '\0';
	return r->cb->field(r->ud, field, r->value, r->file_seen);
}

static const struct mp_callbacks mp_cb = { on_part_begin, on_part_data, on_part_end };

static enum dl_err
mp_sink(void *ud, const char *data, size_t len)
{
	return mp_feed(ud, data, len);
}

/* Pump the request body into `sink` in 64 KiB pieces; DL_ERR_TOOBIG with
 * *over set past `limit` bytes, for a body that announced no length;
 * DL_ERR_IO with *cut set when the body ended early (the sink's own
 * DL_ERR_IO, a database that cannot be written, is not the client's). */
static enum dl_err
pump(struct http_req *req, long limit, enum dl_err (*sink)(void *, const char *, size_t),
    void *ud, int *over, int *cut)
{
	char buf[65536];
	long long total = 0;
	ssize_t got;
	enum dl_err err;

	while ((got = http_read(req, buf, sizeof(buf))) > 0) {
		if ((total += got) > limit) {
			*over = 1;
			return DL_ERR_TOOBIG;
		}
		if ((err = sink(ud, buf, (size_t)got)) != DL_OK)
			return err;
	}
	if (got < 0) {
		*cut = 1;
		return DL_ERR_IO;
	}
	return DL_OK;
}

/* 413, naming the body's size when it was announced (len >= 0). */
static void
too_large(struct http_req *req, long long len, long limit)
{
	char msg[160];

	if (len >= 0)
		snprintf(msg, sizeof(msg), "The upload is %.1f MB; the limit is %.1f MB "
		    "(%ld bytes).", (double)len / 1048576.0, (double)limit / 1048576.0, limit);
	else
		snprintf(msg, sizeof(msg), "The upload is over the limit of %.1f MB "
		    "(%ld bytes).", (double)limit / 1048576.0, limit);
	http_send_error(req, 413, "payload_too_large", msg, NULL);
}

int
upload_read(struct http_req *req, const struct upload_cb *cb, void *ud, enum dl_err *err)
{
	const char *mt = http_media_type(req);
	long limit = app_limit("DIALER_UPLOAD_LIMIT", 26214400);
	long long len = http_content_length(req);
	char boundary[MP_MAX_BOUNDARY + 1];
	struct reading r = { cb, ud, 0, 0, -1, "", 0 };
	struct mp_parser *mp;
	int over = 0, cut = 0;

	*err = DL_OK;
	if (len > limit) {
		too_large(req, len, limit);
		return 0;
	}
	if (strcmp(mt, "multipart/form-data") == 0) {
		if (mp_boundary(http_header(req, "Content-Type"), boundary, sizeof(boundary)) != DL_OK ||
		    (mp = mp_new(boundary, &mp_cb, &r)) == NULL) {
			http_send_error(req, 400, "malformed_multipart",
			    "The multipart boundary is missing or invalid.", NULL);
			return 0;
		}
		*err = pump(req, limit, mp_sink, mp, &over, &cut);
		if (*err == DL_OK)
			*err = mp_finish(mp);
		mp_free(mp);
		if (*err == DL_OK && !r.file_seen) {
			http_send_error(req, 422, "missing_file",
			    "Send the CSV in a multipart field named \"file\".", NULL);
			return 0;
		}
	} else if (strcmp(mt, "text/csv") == 0 || strcmp(mt, "application/csv") == 0 ||
	    strcmp(mt, "text/plain") == 0) {
		if ((*err = cb->begin(ud, 0, NULL)) == DL_OK)
			*err = pump(req, limit, cb->feed, ud, &over, &cut);
	} else {
		http_send_error(req, 415, "unsupported_media_type", "Send a multipart/form-data "
		    "upload with a \"file\" field, or a text/csv body.", NULL);
		return 0;
	}
	if (over) {
		too_large(req, -1, limit);
		return 0;
	}
	if (cut) {
		http_send_error(req, 400, "incomplete_body",
		    "The upload ended before its announced length.", NULL);
		return 0;
	}
	return 1;
}

void
upload_error(struct http_req *req, const struct upload_cb *cb, enum dl_err err,
    const char *file_code, const char *file_message, const char *what)
{
	if (file_code != NULL)
		http_send_error(req, 422, file_code, file_message, NULL);
	else if (err == DL_ERR_INVALID || err == DL_ERR_TOOBIG)
		http_send_error(req, 400, "malformed_multipart", cb->fields != NULL ?
		    "The multipart body is malformed (one \"file\" field, fields under 1 KB, "
		    "a closing boundary)." :
		    "The multipart body is malformed (one \"file\" field, a closing boundary).",
		    NULL);
	else
		app_error(req, err, what);
}

enum dl_err
upload_file(const char *path, enum dl_err (*feed)(void *ud, const char *data, size_t len),
    void *ud)
{
	char buf[65536];
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	enum dl_err err = DL_OK;
	size_t got;
	int saved;

	if (in == NULL)
		return DL_ERR_IO;
	while (err == DL_OK && (got = fread(buf, 1, sizeof(buf), in)) > 0)
		err = feed(ud, buf, got);
	if (err == DL_OK && ferror(in))
		err = DL_ERR_IO;
	saved = errno;
	if (in != stdin)
		fclose(in);
	errno = saved;
	return err;
}

const char *
upload_args(int argc, char **argv, const char *const *names, const char **values)
{
	const char *file = NULL;
	int i, n;

	for (i = 1; i < argc; i++) {
		n = strncmp(argv[i], "--", 2) == 0 ? field_index(names, argv[i] + 2) : -1;
		if (n >= 0 && i + 1 < argc)
			values[n] = argv[++i];
		else if (file == NULL && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
			file = argv[i];
		else
			return NULL;
	}
	return file;
}

void
upload_file_failed(const char *path, enum dl_err err, const char *message)
{
	fprintf(stderr, "dialerctl: %s: %s; nothing was stored\n", path, message != NULL ?
	    message : err == DL_ERR_IO ? strerror(errno) : dl_strerror(err));
}

int
upload_print_report(cJSON *report, int stored)
{
	char *text = report != NULL ? cJSON_Print(report) : NULL;

	cJSON_Delete(report);
	if (text == NULL) {
		fprintf(stderr, "dialerctl: out of memory: the report cannot be shown%s\n",
		    stored ? " (the rows were stored)" : "");
		return 1;
	}
	printf("%s\n", text);
	cJSON_free(text);
	return 0;
}
