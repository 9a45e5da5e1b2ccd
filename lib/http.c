#include <ctype.h>
#include <signal.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "form.h"
#include "http.h"
#include "log.h"
#include "rest.h"
#include "secure.h"

/* A default route keeps at most this many segments, then one "*" for the rest. */
#define ROUTE_SEGMENTS 8
/* A longer segment is taken for an id or a token, whatever its letters. */
#define ROUTE_WORD_MAX 32

extern char **environ;

struct cookie {
	const char *name;
	const char *value;
};

struct http_req {
	FCGX_Request *fcgx; /* NULL when running as plain CGI */
	char **envp;

	const char *method;
	char *path;
	struct form *query;
	int query_parsed, query_bad;
	char *cookie_buf;
	struct cookie *cookies;
	int ncookies, cookies_parsed;
	int head; /* HEAD: answered as GET, without the body */
	char media_type[128];
	int media_parsed;
	char request_id[33];
	long long content_length;
	long long body_read;

	char *body;
	size_t body_len;
	cJSON *json;
	struct form *form;

	int status;
	int sent;
	char *headers;
	size_t hlen, hcap;
	char user[64];
	char route[128];
	struct timespec start;
	void *ctx;
};

/* --- environment ---------------------------------------------------- */

static const char *
param(const struct http_req *req, const char *name)
{
	if (req->fcgx != NULL)
		return FCGX_GetParam(name, req->envp);
	return getenv(name);
}

const char *
http_method(const struct http_req *req)
{
	return req->method;
}

const char *
http_path(const struct http_req *req)
{
	return req->path;
}

const char *
http_query_string(const struct http_req *req)
{
	const char *qs = param(req, "QUERY_STRING");

	return qs != NULL ? qs : "";
}

const char *
http_header(const struct http_req *req, const char *name)
{
	char var[128];
	size_t i, n = strlen(name);

	if (strcasecmp(name, "Content-Type") == 0)
		return param(req, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return param(req, "CONTENT_LENGTH");
	if (n + 6 > sizeof(var))
		return NULL;
	memcpy(var, "HTTP_", 5);
	for (i = 0; i < n; i++)
		var[5 + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	var[5 + n] = '\0';
	return param(req, var);
}

const char *
http_remote_addr(const struct http_req *req)
{
	const char *a = param(req, "REMOTE_ADDR");

	return a != NULL ? a : "";
}

const char *
http_request_id(const struct http_req *req)
{
	return req->request_id;
}

long long
http_content_length(const struct http_req *req)
{
	return req->content_length;
}

static void
parse_query(struct http_req *req)
{
	const char *qs;

	if (req->query_parsed)
		return;
	req->query_parsed = 1;
	qs = param(req, "QUERY_STRING");
	if (qs == NULL)
		qs = "";
	if (form_parse(qs, strlen(qs), &req->query) != DL_OK) {
		req->query = NULL;
		req->query_bad = 1;
	}
}

const char *
http_query(struct http_req *req, const char *name)
{
	parse_query(req);
	return form_get(req->query, name);
}

int
http_query_ok(struct http_req *req)
{
	parse_query(req);
	return !req->query_bad;
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

const char *
http_cookie(struct http_req *req, const char *name)
{
	int i;

	if (!req->cookies_parsed) {
		const char *raw = param(req, "HTTP_COOKIE");
		char *save = NULL, *tok;

		req->cookies_parsed = 1;
		if (raw == NULL || (req->cookie_buf = strdup(raw)) == NULL)
			return NULL;
		for (tok = strtok_r(req->cookie_buf, ";", &save); tok != NULL;
		    tok = strtok_r(NULL, ";", &save)) {
			char *eq = strchr(tok, '=');
			struct cookie *grown;

			if (eq == NULL)
				continue;
			grown = realloc(req->cookies, (size_t)(req->ncookies + 1) * sizeof(*grown));
			if (grown == NULL)
				break;
			req->cookies = grown;
			*eq = '\0';
			req->cookies[req->ncookies].name = trim(tok);
			req->cookies[req->ncookies].value = trim(eq + 1);
			req->ncookies++;
		}
	}
	for (i = 0; i < req->ncookies; i++)
		if (strcmp(req->cookies[i].name, name) == 0)
			return req->cookies[i].value;
	return NULL;
}

const char *
http_media_type(struct http_req *req)
{
	if (!req->media_parsed) {
		const char *ct = param(req, "CONTENT_TYPE");
		size_t i = 0;

		req->media_parsed = 1;
		while (ct != NULL && *ct == ' ')
			ct++;
		for (; ct != NULL && ct[i] != '\0' && ct[i] != ';' && ct[i] != ' ' &&
		    i + 1 < sizeof(req->media_type); i++)
			req->media_type[i] = (char)tolower((unsigned char)ct[i]);
		req->media_type[i] = '\0';
	}
	return req->media_type;
}

/* --- body ----------------------------------------------------------- */

ssize_t
http_read(struct http_req *req, void *buf, size_t n)
{
	long long left;
	ssize_t got;

	if (req->content_length < 0)
		return 0;
	left = req->content_length - req->body_read;
	if (left <= 0)
		return 0;
	if ((long long)n > left)
		n = (size_t)left;
	if (n > 0x40000000)
		n = 0x40000000;
	if (req->fcgx != NULL) {
		got = FCGX_GetStr(buf, (int)n, req->fcgx->in);
		if (got <= 0)
			return -1; /* the server promised more than it sent */
	} else {
		got = (ssize_t)fread(buf, 1, n, stdin);
		if (got <= 0)
			return -1;
	}
	req->body_read += got;
	return got;
}

enum dl_err
http_body(struct http_req *req, size_t limit, const char **body, size_t *len)
{
	size_t want, have = 0;

	if (req->body != NULL) {
		*body = req->body;
		*len = req->body_len;
		return DL_OK;
	}
	if (req->content_length > (long long)limit)
		return DL_ERR_TOOBIG;
	want = req->content_length > 0 ? (size_t)req->content_length : 0;
	if ((req->body = malloc(want + 1)) == NULL)
		return DL_ERR_NOMEM;
	while (have < want) {
		ssize_t got = http_read(req, req->body + have, want - have);

		if (got <= 0) {
			free(req->body);
			req->body = NULL;
			return DL_ERR_IO;
		}
		have += (size_t)got;
	}
	req->body[have] = '\0';
	req->body_len = have;
	*body = req->body;
	*len = have;
	return DL_OK;
}

/* A \u0000 escape inside a JSON string (a "\\" pair is skipped whole). */
static int
has_nul_escape(const char *s, size_t len)
{
	size_t i;
	int in_string = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '"') {
			in_string = !in_string;
		} else if (in_string && s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
				return 1;
			i++;
		}
	}
	return 0;
}

enum dl_err
http_json(struct http_req *req, size_t limit, cJSON **out)
{
	const char *body;
	size_t len;
	enum dl_err err;

	if (req->json != NULL) {
		*out = req->json;
		return DL_OK;
	}
	if (strcmp(http_media_type(req), "application/json") != 0)
		return DL_ERR_UNSUPPORTED;
	if ((err = http_body(req, limit, &body, &len)) != DL_OK)
		return err;
	/* The body is NUL-terminated; an embedded NUL would hide what follows,
	 * and so would a \u0000 escape inside a string once cJSON decodes it. */
	if (memchr(body, '\0', len) != NULL || has_nul_escape(body, len))
		return DL_ERR_INVALID;
	req->json = cJSON_ParseWithLengthOpts(body, len + 1, NULL, 1);
	if (req->json == NULL || !cJSON_IsObject(req->json)) {
		cJSON_Delete(req->json);
		req->json = NULL;
		return DL_ERR_INVALID;
	}
	*out = req->json;
	return DL_OK;
}

enum dl_err
http_form(struct http_req *req, size_t limit, const struct form **out)
{
	const char *body;
	size_t len;
	enum dl_err err;

	if (req->form == NULL) {
		if (strcmp(http_media_type(req), "application/x-www-form-urlencoded") != 0)
			return DL_ERR_UNSUPPORTED;
		if ((err = http_body(req, limit, &body, &len)) != DL_OK ||
		    (err = form_parse(body, len, &req->form)) != DL_OK)
			return err;
	}
	*out = req->form;
	return DL_OK;
}

/* --- response ------------------------------------------------------- */

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

/* 0, or -1 when the server took fewer bytes than given (it went away). */
static int
out(struct http_req *req, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (req->head && req->sent == 2)
		return 0;
	if (req->fcgx != NULL)
		return FCGX_PutStr(data, (int)len, req->fcgx->out) == (int)len ? 0 : -1;
	return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

void
http_add_header(struct http_req *req, const char *name, const char *value)
{
	size_t need = strlen(name) + strlen(value) + 4;

	if (req->sent)
		return;
	/* A header value with a line break would let input forge headers. */
	if (strpbrk(value, "\r\n") != NULL)
		return;
	if (req->hlen + need + 1 > req->hcap) {
		size_t cap = (req->hcap + need) * 2;
		char *grown = realloc(req->headers, cap);

		if (grown == NULL)
			return;
		req->headers = grown;
		req->hcap = cap;
	}
	req->hlen += (size_t)snprintf(req->headers + req->hlen, req->hcap - req->hlen,
	    "%s: %s\r\n", name, value);
}

void
http_begin(struct http_req *req, int status, const char *content_type)
{
	char line[64];
	int n;

	if (req->sent)
		return;
	req->sent = 1;
	req->status = status;
	n = snprintf(line, sizeof(line), "Status: %d %s\r\n", status, reason(status));
	out(req, line, (size_t)n);
	if (content_type != NULL) {
		out(req, "Content-Type: ", 14);
		out(req, content_type, strlen(content_type));
		out(req, "\r\n", 2);
	}
	out(req, "X-Request-Id: ", 14);
	out(req, req->request_id, strlen(req->request_id));
	out(req, "\r\nCache-Control: no-store\r\n", 27);
	out(req, req->headers, req->hlen);
	out(req, "\r\n", 2);
	req->sent = 2; /* headers out: from here on, body bytes */
}

int
http_write(struct http_req *req, const void *data, size_t len)
{
	return out(req, data, len);
}

void
http_send(struct http_req *req, int status, const char *content_type,
    const void *body, size_t len)
{
	char cl[32];

	if (req->sent)
		return;
	snprintf(cl, sizeof(cl), "%zu", len);
	http_add_header(req, "Content-Length", cl);
	http_begin(req, status, content_type);
	out(req, body, len);
}

void
http_send_json(struct http_req *req, int status, const cJSON *json)
{
	char *text = cJSON_PrintUnformatted(json);

	if (text == NULL) {
		static const char oom[] = "{\"error\":{\"code\":\"internal\","
		    "\"message\":\"Out of memory.\",\"details\":null}}";

		http_send(req, 500, "application/json", oom, sizeof(oom) - 1);
		return;
	}
	http_send(req, status, "application/json", text, strlen(text));
	cJSON_free(text);
}

void
http_send_error(struct http_req *req, int status, const char *code,
    const char *message, cJSON *details)
{
	cJSON *root = cJSON_CreateObject(), *err;

	if (root == NULL || (err = cJSON_AddObjectToObject(root, "error")) == NULL ||
	    cJSON_AddStringToObject(err, "code", code) == NULL ||
	    cJSON_AddStringToObject(err, "message", message) == NULL) {
		cJSON_Delete(details);
		cJSON_Delete(root);
		http_send_json(req, status, NULL);
		return;
	}
	if (details == NULL)
		details = cJSON_CreateNull();
	if (details != NULL)
		cJSON_AddItemToObject(err, "details", details);
	http_send_json(req, status, root);
	cJSON_Delete(root);
}

void
http_send_no_content(struct http_req *req)
{
	http_begin(req, 204, NULL);
}

void
http_send_method_not_allowed(struct http_req *req, const char *allow)
{
	char msg[128];

	http_add_header(req, "Allow", allow);
	snprintf(msg, sizeof(msg), "This resource allows %s only.", allow);
	http_send_error(req, 405, "method_not_allowed", msg, NULL);
}

int
http_sent(const struct http_req *req)
{
	return req->sent;
}

void
http_set_log_user(struct http_req *req, const char *who)
{
	snprintf(req->user, sizeof(req->user), "%s", who);
}

void
http_set_route(struct http_req *req, const char *route)
{
	snprintf(req->route, sizeof(req->route), "%s", route);
}

/* A lower-case word ("calls", "cold-call", "calls.csv") or an API
 * version ("v1"); any other digit may be an id or part of a number. */
static int
route_word(const char *s, size_t n)
{
	size_t i;

	if (n >= 2 && n <= 4 && s[0] == 'v') {
		for (i = 1; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == n)
			return 1;
	}
	if (n > ROUTE_WORD_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' || s[i] == '_' ||
		    s[i] == '.'))
			return 0;
	return 1;
}

void
http_route_of(const char *path, char *out, size_t outsz)
{
	const char *p = path, *end;
	size_t o = 0, n;
	int seg;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (*p == '/')
		p++;
	for (seg = 0; ; seg++) {
		const char *piece = "*";

		end = strchr(p, '/');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (seg < ROUTE_SEGMENTS && route_word(p, n))
			piece = p;
		else if (seg < ROUTE_SEGMENTS)
			piece = "{id}";
		if (piece != p)
			n = strlen(piece);
		/* Whole segments only: a cut one could show part of an id. */
		if (o + 1 + n + 1 > outsz)
			break;
		out[o++] = '/';
		memcpy(out + o, piece, n);
		o += n;
		out[o] = '\0';
		if (end == NULL || seg == ROUTE_SEGMENTS)
			break;
		p = end + 1;
	}
}

void
http_set_ctx(struct http_req *req, void *ctx)
{
	req->ctx = ctx;
}

void *
http_ctx(const struct http_req *req)
{
	return req->ctx;
}

/* --- the loop ------------------------------------------------------- */

/* Accept a client's X-Request-Id only if it is plainly an id, so that a
 * trace can be followed through a proxy without letting input into logs. */
static void
set_request_id(struct http_req *req)
{
	static uint64_t seed, counter;
	const char *given = http_header(req, "X-Request-Id");
	uint64_t z;
	size_t i, n;

	if (given != NULL && (n = strlen(given)) > 0 && n < sizeof(req->request_id)) {
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)given[i]) && given[i] != '-' &&
			    given[i] != '_' && given[i] != '.')
				break;
		if (i == n) {
			memcpy(req->request_id, given, n + 1);
			return;
		}
	}
	/* Ids need to be unique, not secret: one random seed per process,
	 * then splitmix64 of a counter — no CSPRNG call per request. */
	if (seed == 0 && secure_random(&seed, sizeof(seed)) != DL_OK)
		seed = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	z = seed + ++counter * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	secure_hex(&z, sizeof(z), req->request_id, sizeof(req->request_id));
}

static int
setup(struct http_req *req)
{
	const char *uri, *cl, *q;
	size_t plen;
	char *end;
	double pms;
	unsigned pcalls;

	clock_gettime(CLOCK_MONOTONIC, &req->start);
	req->method = param(req, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "GET";
	/* HEAD is GET without the body (RFC 9110): handlers see GET. */
	if (strcmp(req->method, "HEAD") == 0) {
		req->method = "GET";
		req->head = 1;
	}
	/* REQUEST_URI is the one variable Apache and lighttpd agree on. */
	uri = param(req, "REQUEST_URI");
	if (uri == NULL)
		uri = param(req, "SCRIPT_NAME");
	if (uri == NULL)
		uri = "/";
	q = strchr(uri, '?');
	plen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	if ((req->path = malloc(plen + 1)) == NULL)
		return -1;
	memcpy(req->path, uri, plen);
	req->path[plen] = '\0';
	req->content_length = -1;
	cl = param(req, "CONTENT_LENGTH");
	if (cl != NULL && *cl != '\0') {
		long long n;

		errno = 0;
		n = strtoll(cl, &end, 10);
		if (errno == 0 && *end == '\0' && n >= 0)
			req->content_length = n;
	}
	set_request_id(req);
	/* Provider time belongs to the request that spent it. */
	rest_stats_take(&pms, &pcalls);
	return 0;
}

static void
finish(struct http_req *req)
{
	struct timespec now;
	long long cs, pcs;
	double pms;
	unsigned pcalls;
	char drain[16384], route[sizeof(req->route)];
	char qmethod[48], qroute[sizeof(route) + 16], quser[2 * sizeof(req->user)];

	if (!req->sent)
		http_send_error(req, 500, "internal", "The handler sent no answer.", NULL);
	/* Unread body bytes would be taken for the next request's on a kept
	 * FastCGI connection; the server has already buffered them, so
	 * draining is cheap. Read to the stream's end, past Content-Length:
	 * http_serve closes early only once the server has nothing more to send. */
	if (req->fcgx != NULL)
		while (FCGX_GetStr(drain, sizeof(drain), req->fcgx->in) > 0)
			;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Hundredths of a millisecond, rounded. */
	cs = ((long long)(now.tv_sec - req->start.tv_sec) * 1000000000 +
	    (now.tv_nsec - req->start.tv_nsec) + 5000) / 10000;
	rest_stats_take(&pms, &pcalls);
	pcs = (long long)(pms * 100.0 + 0.5);
	if (req->route[0] != '\0')
		memcpy(route, req->route, sizeof(route));
	else
		http_route_of(req->path, route, sizeof(route));
	/* request_id is plain by construction (set_request_id); the rest may
	 * hold bytes from outside. Never the query string: it can carry
	 * phone numbers and search text. Durations are printed as %.2f
	 * would, from whole hundredths: libc's float formatting was a
	 * visible share of a status read's time. */
	log_line("request_id=%s method=%s route=%s status=%d dur_ms=%lld.%02lld user=%s "
	    "provider_ms=%lld.%02lld provider_calls=%u", req->request_id,
	    log_quote(req->head ? "HEAD" : req->method, qmethod, sizeof(qmethod)),
	    log_quote(route, qroute, sizeof(qroute)), req->status, cs / 100, cs % 100,
	    log_quote(req->user[0] != '\0' ? req->user : "-", quser, sizeof(quser)),
	    pcs / 100, pcs % 100, pcalls);
	form_free(req->query);
	form_free(req->form);
	free(req->path);
	free(req->cookie_buf);
	free(req->cookies);
	free(req->body);
	cJSON_Delete(req->json);
	free(req->headers);
}

static void
serve_one(struct http_req *req, http_handler handler)
{
	if (setup(req) != 0) {
		static const char oom[] = "Status: 500 Internal Server Error\r\n"
		    "Content-Type: application/json\r\n\r\n"
		    "{\"error\":{\"code\":\"internal\",\"message\":\"Out of memory.\",\"details\":null}}";

		out(req, oom, sizeof(oom) - 1);
		free(req->path);
		return;
	}
	handler(req);
	finish(req);
}

int
http_serve(http_handler handler)
{
	FCGX_Request fcgx;

	/* A client that hangs up mid-answer must cost that answer, not the
	 * process: write errors are reported, SIGPIPE is not wanted. */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_IsCGI()) {
		struct http_req req;

		memset(&req, 0, sizeof(req));
		req.envp = environ;
		serve_one(&req, handler);
		fflush(stdout);
		return 0;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fcgx, 0, 0) != 0) {
		log_line("event=fcgi_init_failed");
		return 1;
	}
	while (FCGX_Accept_r(&fcgx) >= 0) {
		struct http_req req;

		memset(&req, 0, sizeof(req));
		req.fcgx = &fcgx;
		req.envp = fcgx.envp;
		serve_one(&req, handler);
		/* libfcgi ends a connection the server will not reuse with
		 * shutdown() and then waits for the server to hang up, so that
		 * bytes still on their way cannot make the kernel reset the
		 * answer. With the request's stdin read to its end nothing more
		 * is coming, and the wait only holds this process (a poll and a
		 * context switch per request): `detached` makes libfcgi close at
		 * once (FCGX_Free: OS_IpcClose(fd, !detached)). */
		if (FCGX_HasSeenEOF(fcgx.in) == EOF)
			fcgx.detached = 1;
		FCGX_Finish_r(&fcgx);
	}
	return 0;
}
