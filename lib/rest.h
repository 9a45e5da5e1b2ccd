/*
 * rest: one request to a provider's REST API, the way every provider here
 * needs it. One libcurl easy handle per process, made on first use and
 * kept, so connections and TLS sessions are reused across requests.
 * Requests marked `retry` (GETs, absolute updates) are repeated on
 * transport errors, 429 and 5xx, with exponential backoff and jitter or
 * the server's Retry-After (capped), as long as the request's time budget
 * (total_s, for every attempt and pause together) allows; the others never are, and their body
 * goes to libcurl through a reader that cannot rewind, so libcurl's own
 * silent resend on a dead kept-alive connection fails instead of sending
 * twice (a dial would ring the prospect twice).
 */
#ifndef DL_REST_H
#define DL_REST_H

#include <stddef.h>

#include <curl/curl.h>

#include "err.h"
#include "provider.h"

/* A growing byte buffer, NUL-terminated; free with rest_buf_free. */
struct rest_buf {
	char *s;
	size_t len, cap;
};

/* 1 on success, 0 when out of memory. */
int rest_buf_add(struct rest_buf *b, const char *p, size_t n);
void rest_buf_free(struct rest_buf *b);

struct rest_request {
	const char *url;
	const struct curl_slist *headers; /* owned by the caller; may be NULL */
	const char *user, *password;      /* HTTP Basic, or NULL */
	int post;                         /* 0: GET */
	const char *body;                 /* POST: may be NULL (empty) */
	size_t bodylen;
	int retry;                        /* a repeat cannot hurt */
	int follow;                       /* follow redirects (credentials stay with the first host) */
	long connect_s;                   /* per attempt */
	long total_s;                     /* for all attempts and pauses together */
	/* The provider's error body into *perr (status >= 300). */
	void (*parse_error)(long status, const struct rest_buf *body,
	    struct provider_error *perr);
};

/*
 * Perform it. DL_OK for a 2xx, with the answer in *ans (if not NULL; for
 * rest_buf_free). DL_ERR_INVALID for a 4xx other than 429 (not retried),
 * DL_ERR_IO for a transport error (a timeout: perr->code REST_TIMEOUT),
 * 429 or 5xx once no attempt (or no time) is left;
 * *perr then says why. DL_ERR_NOMEM when libcurl cannot be set up.
 */
enum dl_err rest_perform(const struct rest_request *r, struct rest_buf *ans,
    struct provider_error *perr);

/*
 * A GET whose answer is streamed to `sink` as it arrives (a recording):
 * sink->begin once a 2xx answer starts (its Content-Type and length),
 * then sink->write for each piece. Retried as rest_perform only while
 * nothing has reached the sink. An error answer is read (bounded) for
 * r->parse_error and never reaches the sink. DL_ERR_TOOBIG when the answer
 * is or grows longer than sink->max_bytes; what begin refused with; DL_ERR_IO
 * when write stopped it or the transfer broke; otherwise as rest_perform.
 */
enum dl_err rest_stream(const struct rest_request *r, const struct provider_sink *sink,
    struct provider_error *perr);

/* perr->code of a request that ran out of time (status 0). */
#define REST_TIMEOUT "timeout"

/* The Retry-After (seconds) of the error answer the last rest_perform or
 * rest_stream ended with; -1 when it had none. What our own client is
 * told to wait. */
long rest_retry_after(void);

/* Fill *perr (reason cleared). */
void rest_error(struct provider_error *perr, int status, const char *code, const char *msg);

/* Time spent in rest_perform (retries and their pauses included) and how
 * many times it was called since the last take, then zeroed: the request
 * log line's provider_ms and provider_calls. */
void rest_stats_take(double *ms, unsigned *calls);

#endif
