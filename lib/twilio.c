/*
 * twilio: the Twilio provider, over the 2010-04-01 REST API with libcurl.
 *
 * Requests go through lib/rest: the process's one kept curl handle (the
 * TLS handshake and the connection are paid once per FastCGI process, not
 * per call) and its retry rules. Every form value is URL-encoded
 * (a raw "+" in To would reach Twilio as a space). A Twilio error body
 * ({code, message, more_info, status}) becomes struct provider_error.
 *
 * Only requests a repeat cannot hurt are retried (GETs and absolute
 * updates such as Muted=true or Status=completed); creating a participant
 * never is, because a second POST would ring the prospect twice.
 * Secrets (auth token, API key secret) and tokens are never logged.
 *
 * Recording: a participant records the whole conference
 * (ConferenceRecord=record-from-start) and its recording callback comes
 * to our recording-status webhook; when the prospect answers, a
 * participant update (AnnounceUrl) has Twilio fetch our consent webhook's
 * TwiML and play it to them. The seed's order (a call whose TwiML makes
 * the room) records that call and says the consent in the TwiML, before
 * the Dial. The media is fetched from the Recording resource (.mp3), never
 * from a URL a webhook named, so our credentials only go to TWILIO_API_BASE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "config.h"
#include "provider.h"
#include "rest.h"
#include "secure.h"
#include "token.h"
#include "twiliosig.h"
#include "xml.h"

#define TW_DEFAULT_BASE "https://api.twilio.com"
#define TW_API "/2010-04-01/Accounts/"
#define TW_TOKEN_TTL 3600L
#define TW_URL_MAX 512
#define TW_DIAL_TIMEOUT 30L
#define TW_TWIML_MAX 4000  /* Twilio's limit on a call's Twiml parameter */

static const char *const twilio_settings[] = {
	"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY_SID",
	"TWILIO_API_KEY_SECRET", "TWILIO_TWIML_APP_SID", "DIALER_PUBLIC_URL", NULL
};

/* An empty "Expect:", made once: a body is never held back for
 * 100-continue. */
static struct curl_slist *no_expect;

/* Append key=value, both URL-encoded, to a form body. */
static int
form_add(struct rest_buf *f, const char *key, const char *val)
{
	char *k, *v;
	int ok;

	if ((k = curl_easy_escape(NULL, key, 0)) == NULL)
		return 0;
	if ((v = curl_easy_escape(NULL, val, 0)) == NULL) {
		curl_free(k);
		return 0;
	}
	ok = (f->len == 0 || rest_buf_add(f, "&", 1)) && rest_buf_add(f, k, strlen(k)) &&
	    rest_buf_add(f, "=", 1) && rest_buf_add(f, v, strlen(v));
	curl_free(k);
	curl_free(v);
	return ok;
}

/* SIDs go into URL paths: only letters and digits may. */
static int
sid_ok(const char *sid)
{
	const char *p;

	if (sid == NULL || *sid == '\0' || strlen(sid) >= PROVIDER_SID_MAX)
		return 0;
	for (p = sid; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

/* Twilio's refusals that say something about the number, in our words. */
static const struct {
	const char *code;
	const char *reason;
} refusals[] = {
	{ "21211", "invalid_number" },          /* invalid 'To' */
	{ "21217", "invalid_number" },          /* not a valid phone number */
	{ "13224", "invalid_number" },          /* Dial: invalid phone number */
	{ "21214", "unreachable_number" },      /* 'To' cannot be reached */
	{ "21215", "destination_not_allowed" }, /* geo permissions */
	{ "21216", "destination_not_allowed" }, /* blocked destination */
};

/* A Twilio error answer into *perr. */
static void
parse_error(long status, const struct rest_buf *body, struct provider_error *perr)
{
	size_t i;

	cJSON *j = body->s != NULL ? cJSON_Parse(body->s) : NULL;
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
	char c[32];

	if (cJSON_IsNumber(code))
		snprintf(c, sizeof(c), "%.0f", code->valuedouble);
	else if (cJSON_IsString(code))
		snprintf(c, sizeof(c), "%s", code->valuestring);
	else
		snprintf(c, sizeof(c), "http_%ld", status);
	rest_error(perr, (int)status, c, cJSON_IsString(msg) ? msg->valuestring :
	    "Twilio refused the request.");
	perr->reason[0] = '\0';
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strcmp(c, refusals[i].code) == 0)
			snprintf(perr->reason, sizeof(perr->reason), "%s", refusals[i].reason);
	cJSON_Delete(j);
}

/*
 * One request to Twilio: GET when form is NULL, else a form POST. `path`
 * follows the API base. Retried (at most TW_ATTEMPTS) only if `retry`. On
 * DL_OK, *out (if not NULL) holds the parsed answer, for cJSON_Delete; a
 * 2xx that is not JSON is DL_ERR_IO "malformed".
 */
static enum dl_err
tw_request(const char *path, const struct rest_buf *form, int retry, cJSON **out,
    struct provider_error *perr)
{
	const char *base = config_get("TWILIO_API_BASE");
	struct rest_request r;
	struct rest_buf ans;
	char url[TW_URL_MAX];
	enum dl_err err;
	cJSON *j;

	if (out != NULL)
		*out = NULL;
	if (base == NULL)
		base = TW_DEFAULT_BASE;
	memset(&r, 0, sizeof(r));
	if (config_get_long("TWILIO_CONNECT_TIMEOUT", 3, 1, 60, &r.connect_s) != DL_OK ||
	    config_get_long("TWILIO_TIMEOUT", 10, 1, 300, &r.total_s) != DL_OK)
		return DL_ERR_CONFIG;
	if ((size_t)snprintf(url, sizeof(url), "%s%s", base, path) >= sizeof(url))
		return DL_ERR_TOOBIG;
	/* An empty "Expect:" so a body is never held back for 100-continue. */
	if (no_expect == NULL && (no_expect = curl_slist_append(NULL, "Expect:")) == NULL)
		return DL_ERR_NOMEM;
	r.url = url;
	r.headers = no_expect;
	r.user = config_get("TWILIO_ACCOUNT_SID");
	r.password = config_get("TWILIO_AUTH_TOKEN");
	r.post = form != NULL;
	r.body = form != NULL ? form->s : NULL;
	r.bodylen = form != NULL ? form->len : 0;
	r.retry = retry;
	r.parse_error = parse_error;
	if ((err = rest_perform(&r, &ans, perr)) != DL_OK)
		return err;
	/* Every answer we ask for is a JSON resource, even when only its
	 * status matters: anything else did not come from Twilio whole. */
	if ((j = cJSON_Parse(ans.s ? ans.s : "")) == NULL) {
		rest_error(perr, 200, "malformed", "Twilio's answer is not JSON.");
		err = DL_ERR_IO;
	}
	rest_buf_free(&ans);
	if (out != NULL)
		*out = j;
	else
		cJSON_Delete(j);
	return err;
}

/* "/2010-04-01/Accounts/{AC}" + suffix printf'd into out. */
static enum dl_err
tw_path(char *out, size_t outsz, const char *fmt, const char *a, const char *b)
{
	const char *ac = config_get("TWILIO_ACCOUNT_SID");
	char tail[TW_URL_MAX];
	int n;

	if (!sid_ok(ac))
		return DL_ERR_CONFIG;
	if (b != NULL)
		n = snprintf(tail, sizeof(tail), fmt, a, b);
	else
		n = snprintf(tail, sizeof(tail), fmt, a);
	if (n < 0 || (size_t)n >= sizeof(tail))
		return DL_ERR_TOOBIG;
	if ((size_t)snprintf(out, outsz, "%s%s%s", TW_API, ac, tail) >= outsz)
		return DL_ERR_TOOBIG;
	return DL_OK;
}

static enum dl_err
tw_join(const struct provider_ref *ref, const char *identity,
    struct provider_join *out, struct provider_error *perr)
{
	struct token_twilio in;
	const char *edge;
	enum dl_err err;

	(void)perr;
	if (identity == NULL || !token_identity_valid(identity) ||
	    strlen(identity) >= sizeof(out->identity))
		return DL_ERR_INVALID;
	in.account_sid = config_get("TWILIO_ACCOUNT_SID");
	in.api_key_sid = config_get("TWILIO_API_KEY_SID");
	in.api_key_secret = config_get("TWILIO_API_KEY_SECRET");
	in.twiml_app_sid = config_get("TWILIO_TWIML_APP_SID");
	in.identity = identity;
	in.now = ref->now_unix;
	in.ttl = TW_TOKEN_TTL;
	if ((err = token_twilio_voice(&in, out->token, sizeof(out->token),
	    &out->expires_at)) != DL_OK)
		return err == DL_ERR_INVALID ? DL_ERR_CONFIG : err;
	memcpy(out->identity, identity, strlen(identity) + 1);
	/* Twilio's edge locations are lower-case words (ashburn, dublin, ...). */
	edge = config_get("TWILIO_EDGE");
	out->edge[0] = '\0';
	if (edge != NULL && strlen(edge) < sizeof(out->edge) &&
	    strspn(edge, "abcdefghijklmnopqrstuvwxyz-") == strlen(edge))
		memcpy(out->edge, edge, strlen(edge) + 1);
	return DL_OK;
}

/* <Say>text</Say>, or <Play>url</Play> when the consent is audio. */
static enum dl_err
consent_verb(const struct provider_consent *c, char *out, size_t outsz, size_t *len)
{
	const char *tag = c->url != NULL ? "Play" : "Say";
	char open[8], close[9];
	enum dl_err err;

	if (c->url == NULL && c->text == NULL)
		return DL_ERR_CONFIG;
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((err = xml_raw(open, out, outsz, len)) != DL_OK ||
	    (err = xml_escape(c->url != NULL ? c->url : c->text, out, outsz, len)) != DL_OK)
		return err;
	return xml_raw(close, out, outsz, len);
}

/* The TwiML that puts a leg into our conference; events about the room go
 * to `events_url`. The leg that leaves ends it: nobody is left talking to
 * an empty room. With `consent`, the leg hears it before it goes in. */
static enum dl_err
conference_twiml(const char *name, const char *events_url, const struct provider_consent *consent,
    char *out, size_t outsz)
{
	size_t len = 0;
	enum dl_err err;

	out[0] = '\0';
	if ((err = xml_raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>", out, outsz,
	    &len)) != DL_OK ||
	    (consent != NULL && (err = consent_verb(consent, out, outsz, &len)) != DL_OK) ||
	    (err = xml_raw("<Dial><Conference beep=\"false\" startConferenceOnEnter=\"true\" "
	    "endConferenceOnExit=\"true\"", out, outsz, &len)) != DL_OK)
		return err;
	if (events_url != NULL && *events_url != '\0' &&
	    ((err = xml_raw(" statusCallback=\"", out, outsz, &len)) != DL_OK ||
	    (err = xml_escape(events_url, out, outsz, &len)) != DL_OK ||
	    (err = xml_raw("\" statusCallbackMethod=\"POST\" "
	    "statusCallbackEvent=\"start end join leave\"", out, outsz, &len)) != DL_OK))
		return err;
	if ((err = xml_raw(">", out, outsz, &len)) != DL_OK ||
	    (err = xml_escape(name, out, outsz, &len)) != DL_OK ||
	    (err = xml_raw("</Conference></Dial></Response>", out, outsz, &len)) != DL_OK)
		return err;
	return DL_OK;
}

static enum dl_err
tw_dial(const struct provider_dial *d, char leg[PROVIDER_SID_MAX],
    struct provider_error *perr)
{
	static const char *const events[] = { "initiated", "ringing", "answered", "completed" };
	/* What records, where it reports, how and when: for a call, and for
	 * the conference a participant joins. */
	static const char *const call_rec[] = { "Record", "RecordingStatusCallback",
		"RecordingStatusCallbackMethod", "RecordingStatusCallbackEvent" };
	static const char *const conf_rec[] = { "ConferenceRecord",
		"ConferenceRecordingStatusCallback", "ConferenceRecordingStatusCallbackMethod",
		"ConferenceRecordingStatusCallbackEvent" };
	const char *from = d->from != NULL && *d->from ? d->from : config_get("TWILIO_CALLER_ID");
	const cJSON *sid;
	struct rest_buf form = { NULL, 0, 0 };
	char path[TW_URL_MAX], timeout[24], twiml[TW_TWIML_MAX + 1];
	cJSON *ans = NULL;
	enum dl_err err;
	size_t i;
	int ok;

	leg[0] = '\0';
	if (from == NULL)
		return DL_ERR_CONFIG;
	if (d->to == NULL || *d->to == '\0')
		return DL_ERR_INVALID;
	snprintf(timeout, sizeof(timeout), "%ld", d->timeout_s > 0 ? d->timeout_s : TW_DIAL_TIMEOUT);
	if (d->prospect_first) {
		/* The seed's order: a call whose TwiML makes the conference. */
		if (d->ref.conference_name == NULL || *d->ref.conference_name == '\0')
			return DL_ERR_INVALID;
		if ((err = conference_twiml(d->ref.conference_name, d->conference_url,
		    d->record ? d->consent : NULL, twiml, sizeof(twiml))) != DL_OK)
			return err == DL_ERR_TOOBIG ? DL_ERR_INVALID : err;
		if ((err = tw_path(path, sizeof(path), "/Calls.json", "", NULL)) != DL_OK)
			return err;
		ok = form_add(&form, "From", from) && form_add(&form, "To", d->to) &&
		    form_add(&form, "Twiml", twiml) && form_add(&form, "Timeout", timeout);
	} else {
		if (!sid_ok(d->ref.conference_sid))
			return DL_ERR_INVALID;
		if ((err = tw_path(path, sizeof(path), "/Conferences/%s/Participants.json",
		    d->ref.conference_sid, NULL)) != DL_OK)
			return err;
		ok = form_add(&form, "From", from) && form_add(&form, "To", d->to) &&
		    form_add(&form, "Timeout", timeout) && form_add(&form, "EarlyMedia", "true") &&
		    form_add(&form, "Beep", "false") && form_add(&form, "EndConferenceOnExit", "true");
	}
	if (ok && d->machine_detection)
		ok = form_add(&form, "MachineDetection", "Enable");
	/* A participant records the room; a call's TwiML cannot, so the seed's
	 * order records the prospect's leg. Either recording, once ready, is
	 * reported to recording_url. */
	if (ok && d->record) {
		const char *const *k = d->prospect_first ? call_rec : conf_rec;

		ok = form_add(&form, k[0], d->prospect_first ? "true" : "record-from-start");
		if (ok && d->recording_url != NULL && *d->recording_url)
			ok = form_add(&form, k[1], d->recording_url) && form_add(&form, k[2], "POST") &&
			    form_add(&form, k[3], "completed");
	}
	if (ok && d->status_url != NULL && *d->status_url) {
		ok = form_add(&form, "StatusCallback", d->status_url) &&
		    form_add(&form, "StatusCallbackMethod", "POST");
		for (i = 0; ok && i < sizeof(events) / sizeof(events[0]); i++)
			ok = form_add(&form, "StatusCallbackEvent", events[i]);
	}
	if (!ok) {
		rest_buf_free(&form);
		return DL_ERR_NOMEM;
	}
	/* Never retried: the request may have reached Twilio and rung. */
	err = tw_request(path, &form, 0, &ans, perr);
	rest_buf_free(&form);
	if (err != DL_OK)
		return err;
	/* A participant answers with call_sid, a call with sid. */
	sid = cJSON_GetObjectItemCaseSensitive(ans, d->prospect_first ? "sid" : "call_sid");
	if (!cJSON_IsString(sid) || !sid_ok(sid->valuestring)) {
		rest_error(perr, 200, "malformed", "Twilio's answer has no call SID.");
		cJSON_Delete(ans);
		return DL_ERR_IO;
	}
	memcpy(leg, sid->valuestring, strlen(sid->valuestring) + 1);
	cJSON_Delete(ans);
	return DL_OK;
}

/* POST one absolute update (safe to repeat) of a single field. */
static enum dl_err
tw_update(const char *path, const char *key, const char *val,
    struct provider_error *perr)
{
	struct rest_buf form = { NULL, 0, 0 };
	enum dl_err err;

	if (!form_add(&form, key, val)) {
		rest_buf_free(&form);
		return DL_ERR_NOMEM;
	}
	err = tw_request(path, &form, 1, NULL, perr);
	rest_buf_free(&form);
	return err;
}

static enum dl_err
tw_participant(const struct provider_ref *ref, const char *leg, const char *key,
    int on, struct provider_error *perr)
{
	char path[TW_URL_MAX];
	enum dl_err err;

	if (!sid_ok(ref->conference_sid) || !sid_ok(leg))
		return DL_ERR_INVALID;
	if ((err = tw_path(path, sizeof(path), "/Conferences/%s/Participants/%s.json",
	    ref->conference_sid, leg)) != DL_OK)
		return err;
	return tw_update(path, key, on ? "true" : "false", perr);
}

static enum dl_err
tw_mute(const struct provider_ref *ref, enum provider_party who, int muted,
    struct provider_error *perr)
{
	return tw_participant(ref, who == PROVIDER_OPERATOR ? ref->operator_call_sid :
	    ref->call_sid, "Muted", muted, perr);
}

static enum dl_err
tw_hold(const struct provider_ref *ref, int hold, struct provider_error *perr)
{
	return tw_participant(ref, ref->call_sid, "Hold", hold, perr);
}

static enum dl_err
tw_end(const struct provider_ref *ref, struct provider_error *perr)
{
	char path[TW_URL_MAX];
	enum dl_err err;

	if (ref->conference_sid != NULL) {
		if (!sid_ok(ref->conference_sid))
			return DL_ERR_INVALID;
		if ((err = tw_path(path, sizeof(path), "/Conferences/%s.json",
		    ref->conference_sid, NULL)) != DL_OK)
			return err;
		return tw_update(path, "Status", "completed", perr);
	}
	/* Before the conference exists only the prospect's leg can be ended. */
	if (!sid_ok(ref->call_sid))
		return DL_ERR_INVALID;
	if ((err = tw_path(path, sizeof(path), "/Calls/%s.json", ref->call_sid, NULL)) != DL_OK)
		return err;
	return tw_update(path, "Status", "canceled", perr);
}

static enum dl_err
tw_status(const struct provider_ref *ref, struct provider_status *out,
    struct provider_error *perr)
{
	const cJSON *st, *dur;
	char path[TW_URL_MAX];
	cJSON *ans = NULL;
	enum dl_err err;

	if (!sid_ok(ref->call_sid))
		return DL_ERR_INVALID;
	if ((err = tw_path(path, sizeof(path), "/Calls/%s.json", ref->call_sid, NULL)) != DL_OK)
		return err;
	if ((err = tw_request(path, NULL, 1, &ans, perr)) != DL_OK)
		return err;
	st = cJSON_GetObjectItemCaseSensitive(ans, "status");
	if (!cJSON_IsString(st) || call_status_from_twilio(st->valuestring, &out->status) != DL_OK) {
		rest_error(perr, 200, "malformed", "Twilio's answer has no known status.");
		cJSON_Delete(ans);
		return DL_ERR_IO;
	}
	out->duration_s = -1;
	out->recording_sid[0] = '\0';
	dur = cJSON_GetObjectItemCaseSensitive(ans, "duration");
	if (cJSON_IsNumber(dur) && dur->valuedouble >= 0 && dur->valuedouble < 1e9) {
		out->duration_s = (long)dur->valuedouble;
	} else if (cJSON_IsString(dur) && dur->valuestring[0] != '\0') {
		char *end;
		long v;

		errno = 0;
		v = strtol(dur->valuestring, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 0)
			out->duration_s = v;
	}
	cJSON_Delete(ans);
	return DL_OK;
}

/* Copy a form value into a fixed buffer; 0 when absent, empty or too long. */
static int
take(const struct form *f, const char *key, char *out, size_t outsz)
{
	const char *v = form_get(f, key);

	out[0] = '\0';
	if (v == NULL || *v == '\0' || strlen(v) >= outsz)
		return 0;
	memcpy(out, v, strlen(v) + 1);
	return 1;
}

static int
sid_with(const char *sid, const char *prefix)
{
	return sid_ok(sid) && strncmp(sid, prefix, 2) == 0;
}

/* The voice URL: a browser leg (From "client:<identity>") asking to enter
 * the conference named by the "conference" parameter the page passed. */
static enum dl_err
read_voice(const struct form *f, struct provider_event *ev)
{
	const char *from = form_get(f, "From");

	if (!take(f, "CallSid", ev->call_sid, sizeof(ev->call_sid)) ||
	    !sid_with(ev->call_sid, "CA"))
		return DL_ERR_INVALID;
	ev->type = PROVIDER_EV_OPERATOR_CONNECT;
	snprintf(ev->name, sizeof(ev->name), "voice");
	snprintf(ev->key, sizeof(ev->key), "voice:%s", ev->call_sid);
	take(f, "conference", ev->conference_name, sizeof(ev->conference_name));
	if (from != NULL && strncmp(from, "client:", 7) == 0 &&
	    token_identity_valid(from + 7) && strlen(from + 7) < sizeof(ev->identity))
		memcpy(ev->identity, from + 7, strlen(from + 7) + 1);
	return DL_OK;
}

static enum dl_err
read_conference(const struct form *f, struct provider_event *ev)
{
	static const struct {
		const char *word;
		enum provider_event_type type;
	} words[] = {
		{ "conference-start", PROVIDER_EV_CONFERENCE_START },
		{ "conference-end", PROVIDER_EV_CONFERENCE_END },
		{ "participant-join", PROVIDER_EV_PARTICIPANT_JOIN },
		{ "participant-leave", PROVIDER_EV_PARTICIPANT_LEAVE },
	};
	const char *seq = form_get(f, "SequenceNumber");
	size_t i;

	if (!take(f, "StatusCallbackEvent", ev->name, sizeof(ev->name)) ||
	    !take(f, "ConferenceSid", ev->conference_sid, sizeof(ev->conference_sid)) ||
	    !sid_with(ev->conference_sid, "CF") ||
	    !take(f, "FriendlyName", ev->conference_name, sizeof(ev->conference_name)))
		return DL_ERR_INVALID;
	if (take(f, "CallSid", ev->call_sid, sizeof(ev->call_sid)) && !sid_with(ev->call_sid, "CA"))
		return DL_ERR_INVALID;
	ev->type = PROVIDER_EV_IGNORED; /* mute, hold, speaker, announcement... */
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(ev->name, words[i].word) == 0)
			ev->type = words[i].type;
	if ((ev->type == PROVIDER_EV_PARTICIPANT_JOIN || ev->type == PROVIDER_EV_PARTICIPANT_LEAVE) &&
	    ev->call_sid[0] == '\0')
		return DL_ERR_INVALID;
	snprintf(ev->key, sizeof(ev->key), "conf:%s:%s:%s:%.16s", ev->conference_sid, ev->name,
	    ev->call_sid, seq != NULL ? seq : "");
	return DL_OK;
}

/* A count of seconds as Twilio writes it: digits only. */
static int
seconds_ok(const char *s, long *out)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	*out = v;
	return 1;
}

static enum dl_err
read_call(const struct form *f, struct provider_event *ev)
{
	const char *word = form_get(f, "CallStatus"), *dur = form_get(f, "CallDuration");

	if (!take(f, "CallSid", ev->call_sid, sizeof(ev->call_sid)) ||
	    !sid_with(ev->call_sid, "CA") || word == NULL ||
	    call_status_from_twilio(word, &ev->status) != DL_OK)
		return DL_ERR_INVALID;
	if (dur != NULL && *dur != '\0' && !seconds_ok(dur, &ev->duration_s))
		return DL_ERR_INVALID;
	ev->type = PROVIDER_EV_LEG_STATUS;
	snprintf(ev->name, sizeof(ev->name), "call-%s", word);
	snprintf(ev->key, sizeof(ev->key), "call:%s:%s", ev->call_sid, word);
	return DL_OK;
}

/* Optional SIDs: when given, they must be the kind named. */
static int
optional_sids(const struct form *f, struct provider_event *ev)
{
	return (!take(f, "ConferenceSid", ev->conference_sid, sizeof(ev->conference_sid)) ||
	    sid_with(ev->conference_sid, "CF")) &&
	    (!take(f, "CallSid", ev->call_sid, sizeof(ev->call_sid)) ||
	    sid_with(ev->call_sid, "CA"));
}

/* The AnnounceUrl fetch: Twilio asks what to play to the prospect. The
 * query (our call id) tells one call's fetch from another's. */
static enum dl_err
read_consent(const struct form *f, const char *url, struct provider_event *ev)
{
	const char *query = strchr(url, '?');

	if (!optional_sids(f, ev))
		return DL_ERR_INVALID;
	ev->type = PROVIDER_EV_CONSENT_FETCH;
	snprintf(ev->name, sizeof(ev->name), "consent");
	snprintf(ev->key, sizeof(ev->key), "consent:%s:%s:%.64s", ev->conference_sid, ev->call_sid,
	    query != NULL ? query + 1 : "");
	return DL_OK;
}

/* The recording status callback: ready ("completed"), or a state that is
 * only kept (in-progress, absent, failed). */
static enum dl_err
read_recording(const struct form *f, struct provider_event *ev)
{
	const char *word = form_get(f, "RecordingStatus"), *dur = form_get(f, "RecordingDuration");
	const char *url = form_get(f, "RecordingUrl");

	if (!take(f, "RecordingSid", ev->recording_sid, sizeof(ev->recording_sid)) ||
	    !sid_with(ev->recording_sid, "RE") || word == NULL || *word == '\0' ||
	    strlen(word) > 16 || strspn(word, "abcdefghijklmnopqrstuvwxyz-") != strlen(word) ||
	    !optional_sids(f, ev))
		return DL_ERR_INVALID;
	if (dur != NULL && *dur != '\0' && !seconds_ok(dur, &ev->duration_s))
		return DL_ERR_INVALID;
	if (url != NULL && *url != '\0') {
		if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
			return DL_ERR_INVALID;
		if (!take(f, "RecordingUrl", ev->recording_url, sizeof(ev->recording_url)))
			return DL_ERR_INVALID;
	}
	ev->type = strcmp(word, "completed") == 0 ? PROVIDER_EV_RECORDING : PROVIDER_EV_IGNORED;
	snprintf(ev->name, sizeof(ev->name), "recording-%s", word);
	snprintf(ev->key, sizeof(ev->key), "rec:%s:%s", ev->recording_sid, word);
	return DL_OK;
}

static enum dl_err
tw_webhook(const struct provider_webhook *in, struct provider_event *ev)
{
	const char *sig, *account;
	struct form *f = NULL;
	enum dl_err err;

	memset(ev, 0, sizeof(*ev));
	ev->duration_s = -1;
	if (strcmp(in->kind, "voice") != 0 && strcmp(in->kind, "call-status") != 0 &&
	    strcmp(in->kind, "conference-status") != 0 && strcmp(in->kind, "consent") != 0 &&
	    strcmp(in->kind, "recording-status") != 0)
		return DL_ERR_NOTFOUND;
	if (strcmp(in->media_type, "application/x-www-form-urlencoded") != 0)
		return DL_ERR_UNSUPPORTED;
	if (form_parse(in->body, in->bodylen, &f) != DL_OK)
		return DL_ERR_INVALID;
	sig = in->header(in->header_arg, "X-Twilio-Signature");
	account = form_get(f, "AccountSid");
	/* Signed with our auth token, for our account: anything else is not
	 * Twilio calling us. */
	if (!twiliosig_valid(config_get("TWILIO_AUTH_TOKEN"), in->url, f, sig) ||
	    account == NULL || config_get("TWILIO_ACCOUNT_SID") == NULL ||
	    strcmp(account, config_get("TWILIO_ACCOUNT_SID")) != 0) {
		err = DL_ERR_AUTH;
	} else if (strcmp(in->kind, "voice") == 0) {
		err = read_voice(f, ev);
	} else if (strcmp(in->kind, "conference-status") == 0) {
		err = read_conference(f, ev);
	} else if (strcmp(in->kind, "consent") == 0) {
		err = read_consent(f, in->url, ev);
	} else if (strcmp(in->kind, "recording-status") == 0) {
		err = read_recording(f, ev);
	} else {
		err = read_call(f, ev);
	}
	form_free(f);
	return err;
}

static enum dl_err
tw_admit(const struct provider_event *ev, const struct provider_ref *ref,
    const char *conference_url, struct provider_reply *out)
{
	enum dl_err err;
	size_t len = 0;

	(void)ev;
	snprintf(out->content_type, sizeof(out->content_type), "text/xml; charset=utf-8");
	if (ref == NULL) {
		err = xml_raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		    "<Response><Reject/></Response>", out->body, sizeof(out->body), &len);
	} else {
		err = conference_twiml(ref->conference_name, conference_url, NULL, out->body,
		    sizeof(out->body));
		len = strlen(out->body);
	}
	out->len = err == DL_OK ? len : 0;
	return err;
}

/* The prospect's participant joined the room when it was created. */
static enum dl_err
tw_answered(const struct provider_ref *ref, struct provider_error *perr)
{
	(void)ref, (void)perr;
	return DL_OK;
}

/* The prospect's participant is in the room: Twilio fetches our consent
 * webhook and plays its TwiML to them alone. In the seed's order (no
 * operator's leg before the dial) the leg's TwiML said it already. A
 * repeat would only say it twice: retried. */
static enum dl_err
tw_consent(const struct provider_ref *ref, const struct provider_consent *c,
    struct provider_error *perr)
{
	struct rest_buf form = { NULL, 0, 0 };
	char path[TW_URL_MAX];
	enum dl_err err;

	if (ref->operator_call_sid == NULL)
		return DL_OK;
	if (c->hook_url == NULL || *c->hook_url == '\0')
		return DL_ERR_CONFIG;
	if (!sid_ok(ref->conference_sid) || !sid_ok(ref->call_sid))
		return DL_ERR_INVALID;
	if ((err = tw_path(path, sizeof(path), "/Conferences/%s/Participants/%s.json",
	    ref->conference_sid, ref->call_sid)) != DL_OK)
		return err;
	if (!form_add(&form, "AnnounceUrl", c->hook_url) ||
	    !form_add(&form, "AnnounceMethod", "POST")) {
		rest_buf_free(&form);
		return DL_ERR_NOMEM;
	}
	err = tw_request(path, &form, 1, NULL, perr);
	rest_buf_free(&form);
	return err;
}

static enum dl_err
tw_announce(const struct provider_consent *c, struct provider_reply *out)
{
	size_t len = 0;
	enum dl_err err;

	snprintf(out->content_type, sizeof(out->content_type), "text/xml; charset=utf-8");
	out->body[0] = '\0';
	if ((err = xml_raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>", out->body,
	    sizeof(out->body), &len)) != DL_OK ||
	    (err = consent_verb(c, out->body, sizeof(out->body), &len)) != DL_OK ||
	    (err = xml_raw("</Response>", out->body, sizeof(out->body), &len)) != DL_OK) {
		out->len = 0;
		return err;
	}
	out->len = len;
	return DL_OK;
}

/* The Recording resource's MP3, with our account's credentials; a
 * redirect to storage is followed without them. Only the SID is taken
 * from the callback: the URL it named is never fetched. */
static enum dl_err
tw_fetch_recording(const struct provider_ref *ref, const struct provider_recording *rec,
    const struct provider_sink *sink, struct provider_error *perr)
{
	const char *base = config_get("TWILIO_API_BASE");
	char path[TW_URL_MAX], url[TW_URL_MAX];
	struct rest_request r;
	enum dl_err err;

	(void)ref;
	if (!sid_with(rec->sid, "RE"))
		return DL_ERR_NOTFOUND;
	if ((err = tw_path(path, sizeof(path), "/Recordings/%s.mp3", rec->sid, NULL)) != DL_OK)
		return err;
	if ((size_t)snprintf(url, sizeof(url), "%s%s", base != NULL ? base : TW_DEFAULT_BASE,
	    path) >= sizeof(url))
		return DL_ERR_TOOBIG;
	memset(&r, 0, sizeof(r));
	if (config_get_long("TWILIO_CONNECT_TIMEOUT", 3, 1, 60, &r.connect_s) != DL_OK)
		return DL_ERR_CONFIG;
	r.total_s = PROVIDER_MEDIA_TIMEOUT;
	r.url = url;
	r.user = config_get("TWILIO_ACCOUNT_SID");
	r.password = config_get("TWILIO_AUTH_TOKEN");
	r.retry = 1;
	r.follow = 1;
	r.parse_error = parse_error;
	err = rest_stream(&r, sink, perr);
	return err == DL_ERR_INVALID && perr->http_status == 404 ? DL_ERR_NOTFOUND : err;
}

const struct provider provider_twilio = {
	"twilio",
	twilio_settings,
	0,          /* real calls */
	1,          /* the browser's leg is client:<identity> */
	tw_join,
	tw_dial,
	tw_mute,
	tw_hold,
	tw_end,
	tw_status,
	tw_webhook,
	tw_admit,
	tw_answered,
	0,          /* the announcement plays to the participant in the room */
	tw_consent,
	tw_announce,
	tw_fetch_recording,
};
