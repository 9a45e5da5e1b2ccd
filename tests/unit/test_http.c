/* http in CGI mode: the request comes from the environment and stdin, the
 * answer goes to stdout, exactly as under a CGI server. Each test forks so
 * that the one-request CGI loop and its stdout stay separate. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "form.h"
#include "http.h"

/* Run `h` as a CGI program with the given environment and body; return
 * what it wrote to stdout (caller frees). */
static char *
run_cgi(http_handler h, const char *const *env, const char *body)
{
	int in[2], out[2];
	char *buf = calloc(1, 65536);
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	assert_non_null(buf);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		clearenv();
		for (; *env != NULL; env += 2)
			setenv(env[0], env[1], 1);
		setenv("DIALER_LOG", "/dev/null", 1);
		_exit(http_serve(h));
	}
	close(in[0]);
	close(out[1]);
	if (body != NULL && write(in[1], body, strlen(body)) < 0)
		fail();
	close(in[1]);
	while ((n = read(out[0], buf + got, 65535 - got)) > 0)
		got += (size_t)n;
	close(out[0]);
	waitpid(pid, NULL, 0);
	return buf;
}

static void
echo_form(struct http_req *req)
{
	const struct form *f;
	char msg[256];

	switch (http_form(req, 1000, &f)) {
	case DL_OK:
		snprintf(msg, sizeof(msg), "To=%s|CallSid=%s|n=%zu",
		    form_get(f, "To"), form_get(f, "CallSid"), form_count(f));
		http_send(req, 200, "text/plain", msg, strlen(msg));
		break;
	case DL_ERR_UNSUPPORTED:
		http_send_error(req, 415, "unsupported_media_type", "form only", NULL);
		break;
	case DL_ERR_TOOBIG:
		http_send_error(req, 413, "payload_too_large", "too big", NULL);
		break;
	default:
		http_send_error(req, 400, "invalid_form", "bad form", NULL);
		break;
	}
}

static void
test_form_body(void **state)
{
	const char *env[] = { "REQUEST_METHOD", "POST", "REQUEST_URI", "/hook",
	    "CONTENT_TYPE", "application/x-www-form-urlencoded; charset=utf-8",
	    "CONTENT_LENGTH", "35", NULL };
	char *out = run_cgi(echo_form, env, "To=%2B12025550143&CallSid=CA1&x=a+b");

	(void)state;
	assert_non_null(strstr(out, "Status: 200 OK\r\n"));
	/* %2B is a plus; a raw + would have been a space. */
	assert_non_null(strstr(out, "To=+12025550143|CallSid=CA1|n=3"));
	assert_non_null(strstr(out, "X-Request-Id: "));
	free(out);
}

static void
test_form_wrong_type_and_bad_encoding(void **state)
{
	const char *json[] = { "REQUEST_METHOD", "POST", "REQUEST_URI", "/hook",
	    "CONTENT_TYPE", "application/json", "CONTENT_LENGTH", "2", NULL };
	const char *bad[] = { "REQUEST_METHOD", "POST", "REQUEST_URI", "/hook",
	    "CONTENT_TYPE", "application/x-www-form-urlencoded", "CONTENT_LENGTH", "5", NULL };
	const char *big[] = { "REQUEST_METHOD", "POST", "REQUEST_URI", "/hook",
	    "CONTENT_TYPE", "application/x-www-form-urlencoded", "CONTENT_LENGTH", "5000", NULL };
	char *out;

	(void)state;
	out = run_cgi(echo_form, json, "{}");
	assert_non_null(strstr(out, "Status: 415"));
	free(out);
	out = run_cgi(echo_form, bad, "a=%G1");
	assert_non_null(strstr(out, "Status: 400"));
	free(out);
	out = run_cgi(echo_form, big, "a=1");
	assert_non_null(strstr(out, "Status: 413"));
	free(out);
}

static void
echo_request(struct http_req *req)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "method=%s path=%s q=%s cookie=%s key=%s",
	    http_method(req), http_path(req), http_query(req, "q") ? http_query(req, "q") : "-",
	    http_cookie(req, "session") ? http_cookie(req, "session") : "-",
	    http_header(req, "X-API-Key") ? http_header(req, "X-API-Key") : "-");
	http_add_header(req, "X-Evil", "a\r\nSet-Cookie: x=1");
	http_send(req, 200, "text/plain", msg, strlen(msg));
}

static void
test_request_parts(void **state)
{
	const char *env[] = { "REQUEST_METHOD", "GET",
	    "REQUEST_URI", "/api/v1/contacts?q=ada+l&page=2",
	    "QUERY_STRING", "q=ada+l&page=2", "HTTP_COOKIE", "a=1; session=tok; b=2",
	    "HTTP_X_API_KEY", "k1", "HTTP_X_REQUEST_ID", "trace-42", NULL };
	char *out = run_cgi(echo_request, env, NULL);

	(void)state;
	assert_non_null(strstr(out, "method=GET path=/api/v1/contacts q=ada l cookie=tok key=k1"));
	/* A plain client id is kept; a header value with CR/LF is dropped. */
	assert_non_null(strstr(out, "X-Request-Id: trace-42\r\n"));
	assert_null(strstr(out, "X-Evil"));
	assert_null(strstr(out, "Set-Cookie"));
	free(out);
}

static void
test_head_has_no_body(void **state)
{
	const char *env[] = { "REQUEST_METHOD", "HEAD", "REQUEST_URI", "/x", NULL };
	char *out = run_cgi(echo_request, env, NULL);

	(void)state;
	assert_non_null(strstr(out, "Status: 200 OK"));
	assert_non_null(strstr(out, "Content-Length: "));
	assert_null(strstr(out, "method="));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_body),
		cmocka_unit_test(test_form_wrong_type_and_bad_encoding),
		cmocka_unit_test(test_request_parts),
		cmocka_unit_test(test_head_has_no_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
