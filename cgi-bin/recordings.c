/*
 * GET /api/v1/calls/{id}/recording: a call's recording, for the page's
 * player. The owner of the call or an admin (the API key too); anyone else
 * gets the 404 a missing call gets. The audio is fetched from the call's
 * provider with our credentials and streamed through as it arrives, with
 * the provider's audio Content-Type: the browser never sees the provider's
 * URL or anything that opens it. The simulator's is a generated WAV,
 * marked X-Dialer-Simulated: 1.
 */
#include <ctype.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "calls.h"
#include "log.h"
#include "provider.h"

/* Four hours of Twilio's MP3 (its longest call) is well under this; a
 * larger answer is not a recording we pass on. */
#define RECORDING_MAX_BYTES (64LL * 1024 * 1024)
#define RECORDING_ROUTE "/api/v1/calls/{id}/recording"

/* What the sink needs to answer the request. */
struct out {
	struct http_req *req;
	long long call_id;
	int simulated;
};

/* The media type of an audio Content-Type, lower-cased, without its
 * parameters; 0 when it is not audio (an error page, HTML) or not plain. */
static int
audio_type(const char *in, char *out, size_t outsz)
{
	size_t i, n = strcspn(in, ";");

	while (n > 0 && in[n - 1] == ' ')
		n--;
	if (n < 7 || n >= outsz || strncasecmp(in, "audio/", 6) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = (char)tolower((unsigned char)in[i]);

		if (!isalnum((unsigned char)ch) && strchr("/.+-", ch) == NULL)
			return 0;
		out[i] = ch;
	}
	out[n] = '\0';
	return 1;
}

/* The answer's headers, once the provider's answer is known to be audio. */
static enum dl_err
out_begin(void *arg, const char *content_type, long long length)
{
	struct out *o = arg;
	char type[64], value[96];
	const char *ext;

	if (!audio_type(content_type, type, sizeof(type)))
		return DL_ERR_UNSUPPORTED;
	ext = strstr(type, "wav") != NULL ? "wav" : strstr(type, "mpeg") != NULL ||
	    strstr(type, "mp3") != NULL ? "mp3" : "audio";
	snprintf(value, sizeof(value), "inline; filename=\"call-%lld-recording.%s\"", o->call_id,
	    ext);
	http_add_header(o->req, "Content-Disposition", value);
	if (length >= 0) {
		snprintf(value, sizeof(value), "%lld", length);
		http_add_header(o->req, "Content-Length", value);
	}
	if (o->simulated)
		http_add_header(o->req, "X-Dialer-Simulated", "1");
	http_begin(o->req, 200, type);
	return DL_OK;
}

static int
out_write(void *arg, const char *p, size_t n)
{
	struct out *o = arg;

	return http_write(o->req, p, n);
}

static void
send_recording(struct http_req *req, const struct call *c)
{
	struct provider_recording rec;
	struct provider_error perr;
	struct provider_sink sink;
	struct provider_ref ref;
	const struct provider *p;
	struct out o;
	enum dl_err err;
	char msg[128];

	if (c->recording_sid[0] == '\0') {
		http_send_error(req, 404, "recording_not_found", !c->recorded ?
		    "This call was not recorded." :
		    "The provider has not delivered this call's recording yet.", NULL);
		return;
	}
	if (!app_provider(req, c->provider, &p))
		return;
	callflow_ref(c, &ref);
	rec.sid = c->recording_sid;
	rec.url = c->recording_url;
	rec.duration_s = c->recording_duration_s;
	o.req = req;
	o.call_id = c->id;
	o.simulated = p->simulated;
	sink.begin = out_begin;
	sink.write = out_write;
	sink.arg = &o;
	sink.max_bytes = RECORDING_MAX_BYTES;
	memset(&perr, 0, sizeof(perr));
	err = p->fetch_recording(&ref, &rec, &sink, &perr);
	if (http_sent(req)) {
		/* The status is out: a break can only cut the audio short. */
		if (err != DL_OK)
			log_line("event=recording_cut call=%lld provider=%s err=%s", c->id, p->name,
			    dl_strerror(err));
		return;
	}
	switch (err) {
	case DL_OK:
		break;
	case DL_ERR_NOTFOUND:
		http_send_error(req, 404, "recording_not_found",
		    "The provider no longer has this call's recording.", NULL);
		break;
	case DL_ERR_TOOBIG:
		snprintf(msg, sizeof(msg), "The recording is larger than %lld MiB, the most this "
		    "server passes on.", RECORDING_MAX_BYTES / (1024 * 1024));
		http_send_error(req, 502, "recording_too_large", msg, NULL);
		break;
	case DL_ERR_UNSUPPORTED:
		http_send_error(req, 502, "provider_error",
		    "The provider answered with something that is not audio.", NULL);
		break;
	case DL_ERR_INVALID:
	case DL_ERR_IO:
		app_provider_error(req, err, &perr);
		break;
	default:
		app_error(req, err, "recording");
		break;
	}
}

static void
handle(struct http_req *req)
{
	const char *path = http_path(req), *rest;
	struct app_who who;
	struct call c;
	long long id;
	enum dl_err err;
	char *end;

	http_set_route(req, RECORDING_ROUTE);
	if (strncmp(path, "/api/v1/calls/", 14) != 0 || path[14] < '1' || path[14] > '9') {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	id = strtoll(path + 14, &end, 10);
	rest = end;
	if (strcmp(rest, "/recording") != 0 || id <= 0) {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	if (strcmp(http_method(req), "GET") != 0) {
		http_send_method_not_allowed(req, "GET");
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who))
		return;
	err = calls_get(id, &c);
	if (err == DL_OK && (who.role == AUTH_ADMIN || c.operator_id == who.user_id)) {
		send_recording(req, &c);
		return;
	}
	if (err == DL_OK || err == DL_ERR_NOTFOUND)
		http_send_error(req, 404, "call_not_found", "No such call.", NULL);
	else
		app_error(req, err, "call");
}

int
main(void)
{
	return app_main("recordings", handle);
}
