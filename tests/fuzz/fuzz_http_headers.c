/*
 * What lib/http reads from a request's variables, through its CGI path as
 * a server hands them over: method, REQUEST_URI (path and the default log
 * route), the query string, cookies, Content-Type and Content-Length,
 * X-Request-Id, and the headers app.c acts on (X-API-Key and the session
 * cookie through app_authenticate against an in-memory database,
 * X-CSRF-Token, Idempotency-Key); then the body as the media type says.
 *
 * The input is one line per variable, in the order of `vars` (a line
 * starting with 0xff leaves the variable unset), then the body.
 *
 * Checked: the answer is a well-formed CGI response and a header value we
 * were given (the session cookie, echoed) either appears exactly or, if
 * it holds a line break, not at all; the request id is plain; the route
 * hides every segment that is not a plain word; cookie values are
 * trimmed and hold no ';'; the media type is lower-case without
 * parameters; a path id is positive.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "form.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const vars[] = {
	"REQUEST_METHOD", "REQUEST_URI", "QUERY_STRING", "HTTP_COOKIE", "CONTENT_TYPE",
	"CONTENT_LENGTH", "HTTP_X_REQUEST_ID", "HTTP_X_API_KEY", "HTTP_X_CSRF_TOKEN",
	"HTTP_IDEMPOTENCY_KEY", NULL,
};

/* What the handler echoed, for the check of the answer. */
static char echoed[FUZZ_CGI_VALUE_MAX + 1];
static int echo_sent;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	FUZZ_CHECK(setenv("DIALER_API_KEY", "fuzz-api-key-0123456789abcdef", 1) == 0);
	fuzz_config();
	fuzz_db();
	fuzz_cgi_init();
	return 0;
}

/* A segment of a default route: "{id}", "*", or a plain word. */
static void
check_route(const char *route)
{
	const char *seg = route, *end;
	size_t n, i;

	FUZZ_CHECK(route[0] == '/');
	while (seg != NULL) {
		seg++;
		end = strchr(seg, '/');
		n = end != NULL ? (size_t)(end - seg) : strlen(seg);
		if ((n == 4 && strncmp(seg, "{id}", 4) == 0) || (n == 1 && seg[0] == '*'))
			;
		else if (n >= 2 && n <= 4 && seg[0] == 'v' && strspn(seg + 1, "0123456789") >= n - 1)
			;
		else
			for (i = 0; i < n; i++)
				FUZZ_CHECK(islower((unsigned char)seg[i]) || seg[i] == '-' ||
				    seg[i] == '_' || seg[i] == '.');
		seg = end;
	}
}

static void
check_cookie(struct http_req *req, const char *name)
{
	const char *v = http_cookie(req, name);
	size_t n;

	if (v == NULL)
		return;
	FUZZ_CHECK(http_cookie(req, name) == v);
	n = strlen(v);
	FUZZ_CHECK(strchr(v, ';') == NULL);
	FUZZ_CHECK(n == 0 || (v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' && v[n - 1] != '\t'));
}

static void
handle(struct http_req *req)
{
	const char *id = http_request_id(req), *given = http_header(req, "X-Request-Id");
	const char *session, *mt, *body;
	char route[128];
	const struct form *f;
	struct app_who who;
	long long pid;
	cJSON *json;
	size_t i, n;

	n = strlen(id);
	FUZZ_CHECK(n > 0 && n <= 32 && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") == n);
	if (given != NULL && strcmp(id, given) != 0)
		FUZZ_CHECK(given[0] == '\0' || strlen(given) > 32 ||
		    strspn(given, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789._-") != strlen(given));
	FUZZ_CHECK(http_method(req) != NULL && strchr(http_path(req), '?') == NULL);
	http_route_of(http_path(req), route, sizeof(route));
	if (route[0] != '\0')
		check_route(route);
	if (app_path_id(http_path(req), "/api/v1/calls", &pid))
		FUZZ_CHECK(pid > 0);
	if (http_query_ok(req)) {
		http_query(req, "page");
		http_query(req, "q");
	}
	check_cookie(req, "session");
	check_cookie(req, "theme");
	mt = http_media_type(req);
	for (i = 0; mt[i] != '\0'; i++)
		FUZZ_CHECK(!isupper((unsigned char)mt[i]) && mt[i] != ';' && mt[i] != ' ');

	session = http_cookie(req, "session");
	snprintf(echoed, sizeof(echoed), "%s", session != NULL ? session : "");
	http_add_header(req, "X-Fuzz-Echo", echoed);
	echo_sent = 1;

	if (!app_authenticate(req, &who) ||
	    !app_idempotency_key_ok(req, http_header(req, "Idempotency-Key")))
		return;
	FUZZ_CHECK(who.api_key);
	if (strcmp(mt, "application/json") == 0) {
		if (http_json(req, 4096, &json) == DL_OK)
			FUZZ_CHECK(cJSON_IsObject(json));
	} else if (strcmp(mt, "application/x-www-form-urlencoded") == 0) {
		if (http_form(req, 4096, &f) == DL_OK)
			form_get(f, "CallSid");
	} else if (http_body(req, 4096, &body, &n) == DL_OK) {
		FUZZ_CHECK(body[n] == '\0');
	}
	http_send(req, 200, "text/plain", "ok", 2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	const char *answer, *body, *echo;
	size_t i, len, alen;

	for (i = 0; vars[i] != NULL; i++) {
		const char *v = fuzz_take_line(&in, &len);

		fuzz_cgi_env(vars[i], len > 0 && (uint8_t)v[0] == 0xff ? NULL : v, len);
	}
	echo_sent = 0;
	fuzz_cgi_run(handle, in.p, in.n, &answer, &alen);
	fuzz_cgi_check_answer(answer, alen, &body);
	echo = fuzz_cgi_answer_header(answer, "X-Fuzz-Echo", &len);
	if (echo_sent && strpbrk(echoed, "\r\n") == NULL)
		FUZZ_CHECK(echo != NULL && len == strlen(echoed) && memcmp(echo, echoed, len) == 0);
	else
		FUZZ_CHECK(echo == NULL);
	return 0;
}
