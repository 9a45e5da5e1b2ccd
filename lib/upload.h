/*
 * upload: a CSV upload streamed from the request into an importer, the
 * way POST /api/v1/contacts/import and POST /api/v1/dnc/import take it:
 * the multipart/form-data field `file` (small form fields around it), or
 * a text/csv body (also application/csv, text/plain); DIALER_UPLOAD_LIMIT
 * bytes at most; read in 64 KiB pieces, so nothing holds the whole file.
 * The caller starts its import and takes the bytes; this module answers
 * what is wrong with the body itself. dialerctl's imports read their
 * files through it too.
 */
#ifndef DL_UPLOAD_H
#define DL_UPLOAD_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "err.h"
#include "http.h"

#define UPLOAD_FIELD_MAX 1024 /* bytes of a form field the caller takes */

struct upload_cb {
	/*
	 * The file starts: the multipart field `file` (multipart 1, filename
	 * as the browser sent it or NULL), or a CSV body (multipart 0,
	 * filename NULL). Start the import here.
	 */
	enum dl_err (*begin)(void *ud, int multipart, const char *filename);
	/* The file's next bytes. */
	enum dl_err (*feed)(void *ud, const char *data, size_t len);
	/* The names of the form fields the caller takes, NULL-terminated
	 * (NULL: none); other fields are skipped unread. */
	const char *const *fields;
	/* One of those fields, whole: its index in `fields`, its value
	 * (NUL-terminated; a longer one than UPLOAD_FIELD_MAX makes the body
	 * malformed), and 1 when it came after the file. */
	enum dl_err (*field)(void *ud, int index, const char *value, int after_file);
};

/*
 * Stream the request's body through `cb`. Returns 1 when the body was
 * read: *err is DL_OK, or the first error the callbacks or the body gave
 * (for upload_error, or the caller's own answer). Returns 0 when the
 * request has been answered: 413 payload_too_large, 415
 * unsupported_media_type, 400 malformed_multipart for a bad boundary, 422
 * missing_file when no field `file` came, 400 incomplete_body when the
 * body ended before its announced length. An import begun must be
 * aborted by the caller either way.
 */
int upload_read(struct http_req *req, const struct upload_cb *cb, void *ud,
    enum dl_err *err);

/*
 * Answer an upload that failed with `err`: 422 with the importer's file
 * error (`file_code` and `file_message`; NULL when there is none), 400
 * malformed_multipart, else app_error(req, err, what) (a database that
 * cannot be written: 503 storage_unavailable).
 */
void upload_error(struct http_req *req, const struct upload_cb *cb, enum dl_err err,
    const char *file_code, const char *file_message, const char *what);

/*
 * dialerctl's imports: the file at `path` ("-": stdin) read to its end
 * in 64 KiB pieces into `feed`. DL_ERR_IO when it cannot be opened or
 * read (errno says why), else the first error feed returned.
 */
enum dl_err upload_file(const char *path, enum dl_err (*feed)(void *ud, const char *data,
    size_t len), void *ud);

/*
 * dialerctl's imports: argv[1..argc) as FILE ("-": stdin) and "--NAME
 * VALUE" options, `names` NULL-terminated: each value into values[i]
 * (left alone when absent). The FILE, or NULL for a usage error.
 */
const char *upload_args(int argc, char **argv, const char *const *names,
    const char **values);

/* dialerctl's imports: say on stderr why the import of `path` failed
 * with `err` (the importer's file error `message` when it has one). */
void upload_file_failed(const char *path, enum dl_err err, const char *message);

/* dialerctl's imports: print an import's report (NULL: it could not be
 * made) to stdout and free it. 0, or 1 after saying on stderr that it
 * could not be shown (and, when `stored`, that the rows were stored). */
int upload_print_report(cJSON *report, int stored);

#endif
