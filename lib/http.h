/*
 * http: one request and its response, over FastCGI (libfcgi) or plain CGI.
 *
 * http_serve() runs the accept loop: under mod_fcgid / mod_fastcgi it
 * serves requests until the server stops the process; started as a CGI
 * program it serves exactly one. Handlers see only struct http_req.
 *
 * The request owns everything it hands out (strings, parsed bodies); all
 * of it is freed when the handler returns. Every response carries
 * X-Request-Id, and one log line is written per request.
 */
#ifndef DL_HTTP_H
#define DL_HTTP_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "err.h"

struct http_req;
struct form;

typedef void (*http_handler)(struct http_req *req);

/* Serve until the FastCGI server says stop. Returns a process exit code. */
int http_serve(http_handler handler);

/* --- the request ---------------------------------------------------- */

const char *http_method(const struct http_req *req);   /* "GET", ... */
/* The path of the URL, without the query ("/api/v1/lists/3"). */
const char *http_path(const struct http_req *req);
/* The raw query string as sent (still encoded), "" when none: what a
 * webhook signature covers. */
const char *http_query_string(const struct http_req *req);
/* A request header by its HTTP name ("X-API-Key"), or NULL. */
const char *http_header(const struct http_req *req, const char *name);
/* A query-string parameter (first occurrence, decoded), or NULL. A
 * malformed query string reads as empty; http_query_ok() tells. */
const char *http_query(struct http_req *req, const char *name);
int http_query_ok(struct http_req *req);
/* A cookie's value, or NULL. */
const char *http_cookie(struct http_req *req, const char *name);
const char *http_remote_addr(const struct http_req *req);
const char *http_request_id(const struct http_req *req);
/* Content-Length, or -1 when absent or malformed. */
long long http_content_length(const struct http_req *req);
/* The media type of Content-Type, lower-cased, without parameters
 * ("multipart/form-data"), or "" when absent. */
const char *http_media_type(struct http_req *req);

/* Read up to n body bytes; 0 at the end of the body, -1 on error. */
ssize_t http_read(struct http_req *req, void *buf, size_t n);

/*
 * Read the whole body (NUL-terminated; owned by the request).
 * DL_ERR_TOOBIG when it is longer than `limit` (nothing more is read);
 * DL_ERR_IO when the client sent less than it announced.
 */
enum dl_err http_body(struct http_req *req, size_t limit, const char **body,
    size_t *len);

/* The body parsed as a JSON object (owned by the request). DL_ERR_TOOBIG
 * over `limit`, DL_ERR_UNSUPPORTED for a media type other than
 * application/json, DL_ERR_INVALID for bad JSON or a non-object. */
enum dl_err http_json(struct http_req *req, size_t limit, cJSON **out);

/* The body parsed as application/x-www-form-urlencoded (owned by the
 * request). DL_ERR_TOOBIG over `limit`, DL_ERR_UNSUPPORTED for another
 * media type, DL_ERR_INVALID for bad encoding. */
enum dl_err http_form(struct http_req *req, size_t limit,
    const struct form **out);

/* --- the response --------------------------------------------------- */

/* Add a response header (copied). Must come before the send. */
void http_add_header(struct http_req *req, const char *name, const char *value);

void http_send(struct http_req *req, int status, const char *content_type,
    const void *body, size_t len);
/* Serialize and send; does not take ownership of `json`. */
void http_send_json(struct http_req *req, int status, const cJSON *json);
/* {"error":{"code","message","details"}}; takes ownership of `details`
 * (may be NULL). */
void http_send_error(struct http_req *req, int status, const char *code,
    const char *message, cJSON *details);
void http_send_no_content(struct http_req *req);
/* 405 with Allow. */
void http_send_method_not_allowed(struct http_req *req, const char *allow);
int http_sent(const struct http_req *req);

/* Streamed responses (CSV exports): headers once, then body pieces.
 * http_write returns 0, or -1 once the server stopped taking bytes (the
 * client went away): a streaming loop should stop then. */
void http_begin(struct http_req *req, int status, const char *content_type);
int http_write(struct http_req *req, const void *data, size_t len);

/* Who the request was for, for the log line ("alice", "api-key"). */
void http_set_log_user(struct http_req *req, const char *who);
/* The route the program matched, for the log line, with its variable
 * parts named ("/aicallgo/api/v1/cold-call/status/{sid}"; copied). When a
 * program names none, the path is used with every segment that is not a
 * plain lower-case word written {id}, so no id, number or token from a
 * URL reaches the log. */
void http_set_route(struct http_req *req, const char *route);
/* That default: `path` as a route into out ("/api/v1/calls/42/token" ->
 * "/api/v1/calls/{id}/token"); never more than 8 segments. */
void http_route_of(const char *path, char *out, size_t outsz);

/* One slot of handler-owned data, for app.c's per-request state. */
void http_set_ctx(struct http_req *req, void *ctx);
void *http_ctx(const struct http_req *req);

#endif
