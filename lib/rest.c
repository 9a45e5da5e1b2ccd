#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rest.h"
#include "secure.h"

#define REST_ATTEMPTS 3          /* at most, for requests that may be repeated */
#define REST_BACKOFF_MS 200L     /* first pause; doubles each attempt */
#define REST_RETRY_AFTER_MAX 5L  /* seconds: never stall a request longer */
#define REST_BODY_MAX (256 * 1024)
/* Seconds a kept connection may sit idle and still be used: well inside
 * the servers' own keep-alive, so a dial rarely meets a closing socket. */
#define REST_IDLE_MAX 30L
#define REST_MAX_REDIRS 3L
/* A stream slower than this for that long has stalled: give up on it. */
#define REST_LOW_SPEED 1024L     /* bytes per second */
#define REST_LOW_SPEED_S 20L
/* A retry with less time than this left is not worth starting. */
#define REST_MIN_ATTEMPT_MS 250L

/* The process's one handle; NULL until the first request. */
static CURL *rest_curl;
/* Since the last rest_stats_take: one process serves one request at a time. */
static double rest_ms;
static unsigned rest_calls;
/* The last answer's Retry-After (seconds), -1 when it had none. */
static long rest_last_retry_after = -1;

int
rest_buf_add(struct rest_buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *s;

		while (b->len + n + 1 > cap)
			cap *= 2;
		if ((s = realloc(b->s, cap)) == NULL)
			return 0;
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 1;
}

void
rest_buf_free(struct rest_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

void
rest_error(struct provider_error *perr, int status, const char *code, const char *msg)
{
	perr->reason[0] = '\0';
	perr->http_status = status;
	snprintf(perr->code, sizeof(perr->code), "%s", code);
	snprintf(perr->message, sizeof(perr->message), "%s", msg);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct rest_buf *b = arg;

	if (n != 0 && size > REST_BODY_MAX / n)
		return 0;
	if (b->len + size * n > REST_BODY_MAX || !rest_buf_add(b, p, size * n))
		return 0; /* curl reports a write error: the answer is not ours */
	return size * n;
}

static CURL *
handle(void)
{
	if (rest_curl == NULL) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		rest_curl = curl_easy_init();
	}
	return rest_curl;
}

/* The pause before retry `attempt` (1-based), in ms: exponential with full
 * jitter, or the server's Retry-After when it gave one (capped). */
static long
pause_ms(int attempt, long retry_after)
{
	long ms = REST_BACKOFF_MS << (attempt - 1);
	unsigned short r = 0;

	if (retry_after > 0)
		return (retry_after > REST_RETRY_AFTER_MAX ? REST_RETRY_AFTER_MAX : retry_after) * 1000L;
	if (secure_random(&r, sizeof(r)) == DL_OK)
		ms = ms / 2 + (long)(r % (unsigned)(ms / 2 + 1));
	return ms;
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static double
since_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * Whether another attempt fits in the request's time budget (total_s for
 * all attempts and pauses together, so a provider that hangs costs our
 * client total_s, not three times it): if so, pause first and return 1.
 */
static int
retry_fits(const struct rest_request *r, const struct timespec *t0, int attempt,
    long retry_after)
{
	long ms = pause_ms(attempt, retry_after);

	if (since_ms(t0) + (double)(ms + REST_MIN_ATTEMPT_MS) > (double)r->total_s * 1e3)
		return 0;
	sleep_ms(ms);
	return 1;
}

/* What is left of the budget for the next attempt's transfer, in ms. */
static long
budget_left(const struct rest_request *r, const struct timespec *t0)
{
	long left = r->total_s * 1000L - (long)since_ms(t0);

	return left < REST_MIN_ATTEMPT_MS ? REST_MIN_ATTEMPT_MS : left;
}

/* A libcurl failure into *perr: a timeout says so in words of ours. */
static void
transport_error(struct provider_error *perr, CURLcode rc)
{
	char code[32];

	if (rc == CURLE_OPERATION_TIMEDOUT) {
		rest_error(perr, 0, REST_TIMEOUT, "The provider did not answer in time.");
		return;
	}
	snprintf(code, sizeof(code), "curl_%d", (int)rc);
	rest_error(perr, 0, code, curl_easy_strerror(rc));
}

/* The answer's Retry-After, or -1. */
static long
retry_after_of(CURL *h)
{
	curl_off_t ra = -1;

	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK || ra < 0)
		return -1;
	return ra > 86400 ? 86400L : (long)ra;
}

/* A request body that can be read once and never rewound. */
struct once {
	const char *s;
	size_t len, off;
};

static size_t
read_once(char *dst, size_t size, size_t n, void *arg)
{
	struct once *o = arg;
	size_t want = size * n, left = o->len - o->off;

	if (want > left)
		want = left;
	memcpy(dst, o->s + o->off, want);
	o->off += want;
	return want;
}

/* libcurl rewinds only to send the body again: refuse, so it fails. */
static int
seek_never(void *arg, curl_off_t offset, int origin)
{
	(void)arg;
	(void)offset;
	(void)origin;
	return CURL_SEEKFUNC_FAIL;
}

/* Everything a fresh attempt needs; 0 when libcurl refuses an option. */
static int
setup(CURL *h, const struct rest_request *r, long left_ms, struct rest_buf *body,
    struct once *once)
{
	long connect_ms = r->connect_s * 1000L < left_ms ? r->connect_s * 1000L : left_ms;

	if (curl_easy_setopt(h, CURLOPT_URL, r->url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, REST_IDLE_MAX) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, left_ms) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->headers) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "colddialer") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, body) != CURLE_OK)
		return 0;
	/* libcurl sends the credentials to the first host only (no
	 * CURLOPT_UNRESTRICTED_AUTH): a redirect to storage gets none. */
	if (r->follow &&
	    (curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXREDIRS, REST_MAX_REDIRS) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK))
		return 0;
	if (r->user != NULL &&
	    (curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERNAME, r->user) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PASSWORD, r->password) != CURLE_OK))
		return 0;
	if (!r->post)
		return 1;
	if (!r->retry) {
		once->s = r->body != NULL ? r->body : "";
		once->len = r->body != NULL ? r->bodylen : 0;
		once->off = 0;
		return curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
		    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)once->len) == CURLE_OK &&
		    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_once) == CURLE_OK &&
		    curl_easy_setopt(h, CURLOPT_READDATA, once) == CURLE_OK &&
		    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_never) == CURLE_OK;
	}
	return curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "") == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(r->body != NULL ? r->bodylen : 0)) ==
	    CURLE_OK;
}

enum dl_err
rest_perform(const struct rest_request *r, struct rest_buf *ans, struct provider_error *perr)
{
	struct rest_buf body = { NULL, 0, 0 };
	enum dl_err err = DL_ERR_IO;
	struct once once;
	struct timespec t0;
	long status = 0;
	CURL *h;
	int attempt;

	if (ans != NULL)
		memset(ans, 0, sizeof(*ans));
	rest_last_retry_after = -1;
	if ((h = handle()) == NULL)
		return DL_ERR_NOMEM;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (attempt = 1; attempt <= REST_ATTEMPTS; attempt++) {
		CURLcode rc;

		rest_buf_free(&body);
		/* Reset keeps the connection cache and TLS sessions. */
		curl_easy_reset(h);
		if (!setup(h, r, budget_left(r, &t0), &body, &once)) {
			err = DL_ERR_NOMEM;
			break;
		}
		rc = curl_easy_perform(h);
		if (rc != CURLE_OK) {
			transport_error(perr, rc);
			err = DL_ERR_IO;
			if (!r->retry || attempt == REST_ATTEMPTS || !retry_fits(r, &t0, attempt, 0))
				break;
			continue;
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			err = DL_OK;
			if (ans != NULL) {
				*ans = body;
				memset(&body, 0, sizeof(body));
			}
			break;
		}
		r->parse_error(status, &body, perr);
		if (status == 429 || status >= 500) {
			err = DL_ERR_IO;
			rest_last_retry_after = retry_after_of(h);
			if (!r->retry || attempt == REST_ATTEMPTS ||
			    !retry_fits(r, &t0, attempt, rest_last_retry_after))
				break;
			continue;
		}
		err = DL_ERR_INVALID; /* a 4xx: repeating it changes nothing */
		break;
	}
	rest_buf_free(&body);
	rest_ms += since_ms(&t0);
	rest_calls++;
	return err;
}

/* One streamed transfer's state, for on_stream. */
struct stream {
	CURL *h;
	const struct provider_sink *sink;
	struct rest_buf err;         /* an error answer's body, for parse_error */
	long long total;             /* bytes given to the sink */
	int begun;                   /* the sink took the answer: no repeat now */
	enum dl_err why;             /* why on_stream stopped the transfer */
};

/* Hand a 2xx answer to the sink: its type and announced length first. */
static int
stream_begin(struct stream *s)
{
	curl_off_t len = -1;
	char *type = NULL;

	if (curl_easy_getinfo(s->h, CURLINFO_CONTENT_TYPE, &type) != CURLE_OK)
		type = NULL;
	if (curl_easy_getinfo(s->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len) != CURLE_OK)
		len = -1;
	if (len > s->sink->max_bytes) {
		s->why = DL_ERR_TOOBIG;
		return 0;
	}
	if ((s->why = s->sink->begin(s->sink->arg, type != NULL ? type : "",
	    (long long)len)) != DL_OK)
		return 0;
	s->begun = 1;
	return 1;
}

static size_t
on_stream(char *p, size_t size, size_t n, void *arg)
{
	struct stream *s = arg;
	size_t len = size * n;
	long status = 0;

	if (n != 0 && size > REST_BODY_MAX / n)
		return 0;
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status >= 300) {
		/* An error answer: what fits is kept for the provider's reader. */
		if (s->err.len + len <= REST_BODY_MAX && !rest_buf_add(&s->err, p, len))
			return 0;
		return len;
	}
	if (!s->begun && !stream_begin(s))
		return 0;
	if ((long long)len > s->sink->max_bytes - s->total) {
		s->why = DL_ERR_TOOBIG;
		return 0;
	}
	s->total += (long long)len;
	if (s->sink->write(s->sink->arg, p, len) != 0) {
		s->why = DL_ERR_IO;
		return 0;
	}
	return len;
}

enum dl_err
rest_stream(const struct rest_request *r, const struct provider_sink *sink,
    struct provider_error *perr)
{
	enum dl_err err = DL_ERR_IO;
	struct timespec t0;
	struct stream s;
	struct once once;
	long status = 0;
	CURL *h;
	int attempt;

	rest_last_retry_after = -1;
	if (r->post)
		return DL_ERR_INVALID;
	if ((h = handle()) == NULL)
		return DL_ERR_NOMEM;
	memset(&s, 0, sizeof(s));
	s.h = h;
	s.sink = sink;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (attempt = 1; attempt <= REST_ATTEMPTS; attempt++) {
		CURLcode rc;

		rest_buf_free(&s.err);
		s.why = DL_OK;
		curl_easy_reset(h);
		if (!setup(h, r, budget_left(r, &t0), &s.err, &once) ||
		    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_stream) != CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s) != CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, REST_LOW_SPEED) != CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, REST_LOW_SPEED_S) != CURLE_OK) {
			err = DL_ERR_NOMEM;
			break;
		}
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (rc != CURLE_OK) {
			if (s.why != DL_OK) {
				err = s.why;
				if (err == DL_ERR_TOOBIG)
					rest_error(perr, (int)status, "too_large",
					    "The answer is larger than this server takes.");
				break;
			}
			transport_error(perr, rc);
			err = DL_ERR_IO;
			if (!r->retry || s.begun || attempt == REST_ATTEMPTS ||
			    !retry_fits(r, &t0, attempt, 0))
				break;
			continue;
		}
		if (status >= 200 && status < 300) {
			/* An empty answer never reached on_stream. */
			err = s.begun || stream_begin(&s) ? DL_OK : s.why;
			break;
		}
		r->parse_error(status, &s.err, perr);
		if (status == 429 || status >= 500) {
			err = DL_ERR_IO;
			rest_last_retry_after = retry_after_of(h);
			if (!r->retry || attempt == REST_ATTEMPTS ||
			    !retry_fits(r, &t0, attempt, rest_last_retry_after))
				break;
			continue;
		}
		err = DL_ERR_INVALID;
		break;
	}
	rest_buf_free(&s.err);
	rest_ms += since_ms(&t0);
	rest_calls++;
	return err;
}

long
rest_retry_after(void)
{
	return rest_last_retry_after;
}

void
rest_stats_take(double *ms, unsigned *calls)
{
	*ms = rest_ms;
	*calls = rest_calls;
	rest_ms = 0;
	rest_calls = 0;
}
