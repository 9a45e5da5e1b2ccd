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
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
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

/* --- FastCGI mode: a real server's side of the protocol --------------- */

/* Answers with its path, never reading a body. */
static void
say_path(struct http_req *req)
{
	const char *p = http_path(req);

	http_send(req, 200, "text/plain", p, strlen(p));
}

struct fcgi_server {
	pid_t pid;
	char path[108];
};

/* http_serve in a child, its listening socket on fd 0 as a FastCGI server
 * (lighttpd, mod_fcgid, spawn-fcgi) hands it over. */
static void
fcgi_start(struct fcgi_server *s, const char *logpath)
{
	struct sockaddr_un a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(s->path, sizeof(s->path), "/tmp/test_http-%d.sock", (int)getpid());
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s->path);
	unlink(s->path);
	assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* A failed assertion skips fcgi_stop: the program must still end
		 * with the test, and never hold the runner's output open. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		dup2(null, 1);
		dup2(null, 2);
		dup2(fd, 0);
		close(fd);
		setenv("DIALER_LOG", logpath, 1);
		_exit(http_serve(say_path));
	}
	close(fd);
}

static void
fcgi_stop(struct fcgi_server *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	unlink(s->path);
}

static int
fcgi_connect(const struct fcgi_server *s)
{
	struct sockaddr_un a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s->path);
	assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void
put_record(int fd, int type, const void *data, size_t len)
{
	unsigned char h[8] = { 1, (unsigned char)type, 0, 1, (unsigned char)(len >> 8),
	    (unsigned char)len, 0, 0 };

	assert_int_equal(write(fd, h, 8), 8);
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
}

static void
put_param(unsigned char *buf, size_t *n, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	buf[(*n)++] = (unsigned char)nl;
	buf[(*n)++] = (unsigned char)vl;
	memcpy(buf + *n, name, nl);
	*n += nl;
	memcpy(buf + *n, value, vl);
	*n += vl;
}

/* One request on fd: BEGIN_REQUEST (keep the connection or not), its
 * parameters, and `body` on stdin (it declares its length). */
static void
fcgi_request(int fd, int keep, const char *method, const char *uri, const char *body)
{
	unsigned char begin[8] = { 0, 1, (unsigned char)(keep ? 1 : 0), 0, 0, 0, 0, 0 };
	unsigned char params[512];
	char cl[24];
	size_t n = 0;

	snprintf(cl, sizeof(cl), "%zu", strlen(body));
	put_param(params, &n, "REQUEST_METHOD", method);
	put_param(params, &n, "REQUEST_URI", uri);
	put_param(params, &n, "CONTENT_LENGTH", cl);
	put_param(params, &n, "CONTENT_TYPE", "application/x-www-form-urlencoded");
	put_record(fd, 1, begin, sizeof(begin));
	put_record(fd, 4, params, n);
	put_record(fd, 4, NULL, 0);
	if (*body != '\0')
		put_record(fd, 5, body, strlen(body));
	put_record(fd, 5, NULL, 0);
}

static int
read_full(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if ((r = read(fd, buf + got, n - got)) <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* The answer's stdout up to END_REQUEST, NUL-terminated into out. */
static void
fcgi_answer(int fd, char *out, size_t outsz)
{
	unsigned char h[8], body[65536 + 256];
	size_t o = 0, len;

	for (;;) {
		assert_int_equal(read_full(fd, h, 8), 0);
		len = (size_t)h[4] << 8 | h[5];
		assert_int_equal(read_full(fd, body, len + h[6]), 0);
		if (h[1] == 3)
			break;
		if (h[1] == 6) {
			assert_true(o + len < outsz);
			memcpy(out + o, body, len);
			o += len;
		}
	}
	out[o] = '\0';
}

static double
seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A body the handler never read is not taken for the next request's
 * header on a connection the server keeps (FCGI_KEEP_CONN). */
static void
test_fcgi_kept_connection_skips_unread_body(void **state)
{
	struct fcgi_server s;
	char out[4096];
	int fd;

	(void)state;
	fcgi_start(&s, "/dev/null");
	fd = fcgi_connect(&s);
	fcgi_request(fd, 1, "POST", "/first", "a=1&b=2");
	fcgi_answer(fd, out, sizeof(out));
	assert_non_null(strstr(out, "Status: 200 OK\r\n"));
	assert_non_null(strstr(out, "\r\n\r\n/first"));
	fcgi_request(fd, 1, "GET", "/second", "");
	fcgi_answer(fd, out, sizeof(out));
	assert_non_null(strstr(out, "\r\n\r\n/second"));
	close(fd);
	fcgi_stop(&s);
}

/* Once the answer is out and the server has sent all it will, the program
 * closes the connection at once and takes the next: it does not wait for
 * the server to hang up first (libfcgi's lingering close would hold it
 * up to 2 s on a server that keeps its end open). */
static void
test_fcgi_closes_without_waiting_for_the_server(void **state)
{
	struct fcgi_server s;
	char out[4096], c;
	struct pollfd pfd;
	double t0;
	int a, b;

	(void)state;
	fcgi_start(&s, "/dev/null");
	a = fcgi_connect(&s);
	fcgi_request(a, 0, "POST", "/one", "x=1");
	fcgi_answer(a, out, sizeof(out));
	assert_non_null(strstr(out, "\r\n\r\n/one"));
	/* The program's side is closed while ours stays open. */
	pfd.fd = a;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	assert_int_equal(read(a, &c, 1), 0);
	t0 = seconds();
	b = fcgi_connect(&s);
	fcgi_request(b, 0, "GET", "/two", "");
	fcgi_answer(b, out, sizeof(out));
	assert_non_null(strstr(out, "\r\n\r\n/two"));
	assert_true(seconds() - t0 < 1.0);
	close(a);
	close(b);
	fcgi_stop(&s);
}

/* The request's log line: dur_ms and provider_ms with two decimals. */
static void
test_fcgi_log_line_durations(void **state)
{
	char logpath[64], out[4096], line[1024];
	const char *d, *p;
	struct fcgi_server s;
	FILE *f;
	int fd, i;

	(void)state;
	snprintf(logpath, sizeof(logpath), "/tmp/test_http-%d.log", (int)getpid());
	unlink(logpath);
	fcgi_start(&s, logpath);
	fd = fcgi_connect(&s);
	fcgi_request(fd, 0, "GET", "/logged/42", "");
	fcgi_answer(fd, out, sizeof(out));
	close(fd);
	fcgi_stop(&s);
	assert_non_null(f = fopen(logpath, "r"));
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(logpath);
	assert_non_null(strstr(line, " method=GET route=/logged/{id} status=200 dur_ms="));
	assert_non_null(strstr(line, " provider_ms=0.00 provider_calls=0\n"));
	d = strstr(line, "dur_ms=") + 7;
	for (p = d; *p >= '0' && *p <= '9'; p++)
		;
	assert_true(p > d && p[0] == '.');
	for (i = 1; i <= 2; i++)
		assert_true(p[i] >= '0' && p[i] <= '9');
	assert_int_equal(p[3], ' ');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_body),
		cmocka_unit_test(test_fcgi_kept_connection_skips_unread_body),
		cmocka_unit_test(test_fcgi_closes_without_waiting_for_the_server),
		cmocka_unit_test(test_fcgi_log_line_durations),
		cmocka_unit_test(test_form_wrong_type_and_bad_encoding),
		cmocka_unit_test(test_request_parts),
		cmocka_unit_test(test_head_has_no_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
