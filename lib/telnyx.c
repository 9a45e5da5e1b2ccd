/*
 * telnyx: the Telnyx provider, over Call Control API v2 with libcurl.
 *
 * Requests go through lib/rest (the process's one kept curl handle, the
 * retry rules); JSON bodies built with cJSON; Bearer authentication. A Telnyx error body
 * ({"errors": [{code, title, detail}]}) becomes struct provider_error.
 *
 * Only requests a repeat cannot hurt are retried (GETs and absolute
 * actions: mute, hold, join, hangup, a login token); dialing, answering,
 * rejecting and creating a conference never are, and go through a body
 * reader that cannot rewind, so libcurl cannot resend them on its own
 * either. A second POST /calls would ring the prospect twice.
 *
 * Webhooks are signed with Ed25519 over "{telnyx-timestamp}|{raw body}";
 * the key is TELNYX_PUBLIC_KEY (base64 of the raw 32-byte key).
 * Secrets (the API key) and tokens are never logged.
 *
 * Recording: the dial records the prospect's leg from its answer (what
 * they hear is the room, so the whole conversation); when they answer they
 * hear the consent announcement (speak, or playback_start of the audio)
 * before they are joined to the room, which happens on call.speak.ended /
 * call.playback.ended (consent_first). call.recording.saved reports the
 * recording; its URLs last ten minutes, so the media is found again
 * through GET /recordings (with our key) and downloaded from the fresh,
 * presigned URL without it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "clock.h"
#include "config.h"
#include "provider.h"
#include "rest.h"
#include "secure.h"

#define TX_DEFAULT_BASE "https://api.telnyx.com/v2"
#define TX_TOKEN_TTL (24L * 3600L) /* a login token's life when its exp is unreadable */
#define TX_URL_MAX 768
#define TX_DIAL_TIMEOUT 30L
#define TX_SIG_SKEW 300LL      /* seconds a webhook's timestamp may be off (replay) */
#define TX_MEDIA_URL_MAX 4096  /* a presigned download URL */
/* Telnyx's basic voices: the consent in plain US English. */
#define TX_VOICE "female"
#define TX_LANGUAGE "en-US"

static const char *const telnyx_settings[] = {
	"TELNYX_API_KEY", "TELNYX_CONNECTION_ID", "TELNYX_CALLER_ID",
	"TELNYX_CREDENTIAL_ID", "TELNYX_PUBLIC_KEY", "DIALER_PUBLIC_URL", NULL
};

static int
id_ok(const char *id)
{
	const char *p;

	if (id == NULL || *id == '\0' || strlen(id) >= PROVIDER_SID_MAX)
		return 0;
	for (p = id; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == ':'))
			return 0;
	return 1;
}

static void
parse_error(long status, const struct rest_buf *body, struct provider_error *perr)
{
	cJSON *j = body->s != NULL ? cJSON_Parse(body->s) : NULL;
	const cJSON *errs = cJSON_GetObjectItemCaseSensitive(j, "errors");
	const cJSON *e = cJSON_IsArray(errs) ? cJSON_GetArrayItem(errs, 0) : NULL;
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(e, "title");
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(e, "detail");
	char c[32], msg[256];

	if (cJSON_IsString(code) && code->valuestring[0] != '\0')
		snprintf(c, sizeof(c), "%s", code->valuestring);
	else if (cJSON_IsNumber(code))
		snprintf(c, sizeof(c), "%.0f", code->valuedouble);
	else
		snprintf(c, sizeof(c), "http_%ld", status);
	if (cJSON_IsString(title) && cJSON_IsString(detail))
		snprintf(msg, sizeof(msg), "%s: %s", title->valuestring, detail->valuestring);
	else if (cJSON_IsString(title))
		snprintf(msg, sizeof(msg), "%s", title->valuestring);
	else if (cJSON_IsString(detail))
		snprintf(msg, sizeof(msg), "%s", detail->valuestring);
	else
		snprintf(msg, sizeof(msg), "Telnyx refused the request.");
	rest_error(perr, (int)status, c, msg);
	if (status >= 400 && status < 500 && strcmp(c, "10016") == 0)
		snprintf(perr->reason, sizeof(perr->reason), "invalid_number");
	cJSON_Delete(j);
}

/* The request headers: Bearer auth, and the body's type when there is one.
 * Built per request (the key is a setting); freed by the caller. */
static struct curl_slist *
headers(int json)
{
	const char *key = config_get("TELNYX_API_KEY");
	struct curl_slist *h = NULL, *t;
	char *auth;
	size_t n;

	if (key == NULL)
		return NULL;
	n = strlen(key) + sizeof("Authorization: Bearer ");
	if ((auth = malloc(n)) == NULL)
		return NULL;
	snprintf(auth, n, "Authorization: Bearer %s", key);
	h = curl_slist_append(NULL, auth);
	/* The key is a secret: gone from our own memory at once. */
	OPENSSL_cleanse(auth, n);
	free(auth);
	if (h == NULL)
		return NULL;
	/* An empty "Expect:" so a body is never held back for 100-continue. */
	if ((t = curl_slist_append(h, "Expect:")) == NULL ||
	    (t = curl_slist_append(h, "Accept: application/json, text/plain")) == NULL ||
	    (json && (t = curl_slist_append(h, "Content-Type: application/json")) == NULL)) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

/*
 * One request to Telnyx: GET when `method` is "GET", else a POST of
 * `json` (NULL: no body at all). `path` follows the API base. Retried (at
 * most three times, lib/rest) only if `retry`. On DL_OK, *ans (if not NULL) holds the
 * answer's bytes, for buf_free.
 */
static enum dl_err
tx_request(const char *method, const char *path, const char *json, int retry,
    struct rest_buf *ans, struct provider_error *perr)
{
	const char *base = config_get("TELNYX_API_BASE");
	struct rest_request r;
	struct curl_slist *hdr;
	char url[TX_URL_MAX];
	enum dl_err err;

	if (ans != NULL)
		memset(ans, 0, sizeof(*ans));
	if (base == NULL)
		base = TX_DEFAULT_BASE;
	memset(&r, 0, sizeof(r));
	if (config_get("TELNYX_API_KEY") == NULL ||
	    config_get_long("TELNYX_CONNECT_TIMEOUT", 3, 1, 60, &r.connect_s) != DL_OK ||
	    config_get_long("TELNYX_TIMEOUT", 10, 1, 300, &r.total_s) != DL_OK)
		return DL_ERR_CONFIG;
	if ((size_t)snprintf(url, sizeof(url), "%s%s", base, path) >= sizeof(url))
		return DL_ERR_TOOBIG;
	r.url = url;
	r.post = strcmp(method, "GET") != 0;
	r.body = json;
	r.bodylen = json != NULL ? strlen(json) : 0;
	r.retry = retry;
	r.parse_error = parse_error;
	if ((hdr = headers(r.post && json != NULL)) == NULL)
		return DL_ERR_NOMEM;
	r.headers = hdr;
	err = rest_perform(&r, ans, perr);
	curl_slist_free_all(hdr);
	return err;
}

/* A request whose answer is JSON, parsed into *root (for cJSON_Delete;
 * NULL on any error); a 2xx that is not JSON is DL_ERR_IO "malformed". */
static enum dl_err
tx_json(const char *method, const char *path, const char *json, int retry, cJSON **root,
    struct provider_error *perr)
{
	struct rest_buf ans;
	enum dl_err err;

	*root = NULL;
	if ((err = tx_request(method, path, json, retry, &ans, perr)) != DL_OK)
		return err;
	if ((*root = cJSON_Parse(ans.s != NULL ? ans.s : "")) == NULL) {
		rest_error(perr, 200, "malformed", "Telnyx's answer is not JSON.");
		err = DL_ERR_IO;
	}
	rest_buf_free(&ans);
	return err;
}

/* POST a cJSON body (deleted here); the answer into *root as tx_json,
 * or checked and dropped when root is NULL (an action answers JSON too:
 * anything else did not come from Telnyx whole). */
static enum dl_err
tx_post(const char *path, cJSON *req, int retry, cJSON **root, struct provider_error *perr)
{
	enum dl_err err;
	cJSON *ans = NULL;
	char *json;

	if (root != NULL)
		*root = NULL;
	if (req == NULL)
		return DL_ERR_NOMEM;
	json = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (json == NULL)
		return DL_ERR_NOMEM;
	err = tx_json("POST", path, json, retry, &ans, perr);
	cJSON_free(json);
	if (root != NULL)
		*root = ans;
	else
		cJSON_Delete(ans);
	return err;
}

/* "/" a "/" b ... printf'd into out; TOOBIG when it does not fit. */
static enum dl_err
tx_path(char *out, size_t outsz, const char *fmt, const char *a, const char *b)
{
	int n = b != NULL ? snprintf(out, outsz, fmt, a, b) : snprintf(out, outsz, fmt, a);

	return n < 0 || (size_t)n >= outsz ? DL_ERR_TOOBIG : DL_OK;
}

/* A string member of data (an object inside root); NULL when absent. */
static const char *
data_str(const cJSON *root, const char *key)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "data");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The id at data.<key> of an answer (deleted here) into out; an answer
 * without a usable one is malformed. */
static enum dl_err
take_data_id(cJSON *ans, const char *key, char out[PROVIDER_SID_MAX],
    struct provider_error *perr)
{
	const char *id = data_str(ans, key);
	char msg[64];

	if (!id_ok(id)) {
		snprintf(msg, sizeof(msg), "Telnyx's answer has no %s.", key);
		rest_error(perr, 200, "malformed", msg);
		cJSON_Delete(ans);
		return DL_ERR_IO;
	}
	memcpy(out, id, strlen(id) + 1);
	cJSON_Delete(ans);
	return DL_OK;
}

/* Our call id as client_state: base64 of its decimal digits. */
static int
add_client_state(cJSON *o, long long call_id)
{
	char dec[24], b64[40];

	if (call_id <= 0)
		return 1;
	snprintf(dec, sizeof(dec), "%lld", call_id);
	if (secure_b64(dec, strlen(dec), b64, sizeof(b64)) != DL_OK)
		return 0;
	return cJSON_AddStringToObject(o, "client_state", b64) != NULL;
}

/* ---- join: a login token for @telnyx/webrtc --------------------------- */

/* The "exp" claim of a JWT, or 0 when it cannot be read. Nothing is
 * verified: the token is Telnyx's, we only learn when it ends. */
static long long
jwt_exp(const char *jwt)
{
	const char *p = strchr(jwt, '.'), *q;
	unsigned char raw[1024];
	char b64[1400];
	size_t n, i, rawlen = 0;
	long long exp = 0;
	const cJSON *e;
	cJSON *j;

	if (p == NULL || (q = strchr(p + 1, '.')) == NULL)
		return 0;
	n = (size_t)(q - p - 1);
	if (n == 0 || n + 4 >= sizeof(b64))
		return 0;
	for (i = 0; i < n; i++)
		b64[i] = p[1 + i] == '-' ? '+' : p[1 + i] == '_' ? '/' : p[1 + i];
	while (i % 4 != 0)
		b64[i++] = '=';
	b64[i] = '\0';
	if (secure_b64_decode(b64, raw, sizeof(raw) - 1, &rawlen) != DL_OK)
		return 0;
	raw[rawlen] = '\0';
	if ((j = cJSON_Parse((const char *)raw)) == NULL)
		return 0;
	e = cJSON_GetObjectItemCaseSensitive(j, "exp");
	if (cJSON_IsNumber(e) && e->valuedouble > 0 && e->valuedouble < 1e12)
		exp = (long long)e->valuedouble;
	cJSON_Delete(j);
	return exp;
}

static enum dl_err
tx_join(const struct provider_ref *ref, const char *identity,
    struct provider_join *out, struct provider_error *perr)
{
	const char *cred = config_get("TELNYX_CREDENTIAL_ID");
	char path[TX_URL_MAX];
	struct rest_buf ans;
	enum dl_err err;
	long long now, exp;
	size_t n;

	if (identity == NULL || *identity == '\0' || strlen(identity) >= sizeof(out->identity))
		return DL_ERR_INVALID;
	if (!id_ok(cred))
		return DL_ERR_CONFIG;
	if ((err = tx_path(path, sizeof(path), "/telephony_credentials/%s/token", cred,
	    NULL)) != DL_OK)
		return err;
	/* A repeat only makes another token: safe to retry. No body. */
	if ((err = tx_request("POST", path, NULL, 1, &ans, perr)) != DL_OK)
		return err;
	n = ans.s != NULL ? strlen(ans.s) : 0;
	while (n > 0 && (ans.s[n - 1] == '\n' || ans.s[n - 1] == '\r' || ans.s[n - 1] == ' '))
		n--;
	/* A JWT: three base64url parts, nothing else. */
	if (n == 0 || n >= sizeof(out->token) || ans.len != strlen(ans.s) ||
	    strspn(ans.s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_.=") < n) {
		rest_error(perr, 201, "malformed", "Telnyx's answer is not a login token.");
		rest_buf_free(&ans);
		return DL_ERR_IO;
	}
	memcpy(out->token, ans.s, n);
	out->token[n] = '\0';
	rest_buf_free(&ans);
	memcpy(out->identity, identity, strlen(identity) + 1);
	now = ref != NULL && ref->now_unix > 0 ? ref->now_unix : (long long)time(NULL);
	exp = jwt_exp(out->token);
	out->expires_at = exp > 0 ? exp : now + TX_TOKEN_TTL;
	out->edge[0] = '\0';
	return DL_OK;
}

/* ---- dial ------------------------------------------------------------- */

static enum dl_err
tx_dial(const struct provider_dial *d, char leg[PROVIDER_SID_MAX],
    struct provider_error *perr)
{
	const char *from = d->from != NULL && *d->from ? d->from : config_get("TELNYX_CALLER_ID");
	const char *conn = config_get("TELNYX_CONNECTION_ID");
	cJSON *req, *ans = NULL;
	enum dl_err err;
	int ok;

	leg[0] = '\0';
	if (from == NULL || conn == NULL)
		return DL_ERR_CONFIG;
	if (d->to == NULL || *d->to == '\0')
		return DL_ERR_INVALID;
	/* The seed's order: the room is made when this leg answers (answered),
	 * under our name. */
	if (d->prospect_first && (d->ref.conference_name == NULL || *d->ref.conference_name == '\0'))
		return DL_ERR_INVALID;
	if ((req = cJSON_CreateObject()) == NULL)
		return DL_ERR_NOMEM;
	ok = cJSON_AddStringToObject(req, "connection_id", conn) != NULL &&
	    cJSON_AddStringToObject(req, "to", d->to) != NULL &&
	    cJSON_AddStringToObject(req, "from", from) != NULL &&
	    add_client_state(req, d->ref.call_id) &&
	    cJSON_AddNumberToObject(req, "timeout_secs",
	    (double)(d->timeout_s > 0 ? d->timeout_s : TX_DIAL_TIMEOUT)) != NULL;
	if (ok && d->status_url != NULL && *d->status_url)
		ok = cJSON_AddStringToObject(req, "webhook_url", d->status_url) != NULL &&
		    cJSON_AddStringToObject(req, "webhook_url_method", "POST") != NULL;
	if (ok && d->machine_detection)
		ok = cJSON_AddStringToObject(req, "answering_machine_detection", "detect") != NULL;
	/* CallRequest.record has one value: from the answer, the prospect's leg. */
	if (ok && d->record)
		ok = cJSON_AddStringToObject(req, "record", "record-from-answer") != NULL;
	if (!ok) {
		cJSON_Delete(req);
		return DL_ERR_NOMEM;
	}
	/* Never retried: the request may have reached Telnyx and rung. */
	if ((err = tx_post("/calls", req, 0, &ans, perr)) != DL_OK)
		return err;
	return take_data_id(ans, "call_control_id", leg, perr);
}

/* ---- conference actions ----------------------------------------------- */

/* POST /conferences/{conf}/actions/{action} {call_control_ids: [leg]}:
 * absolute, safe to repeat. */
static enum dl_err
conf_action(const char *conf, const char *action, const char *leg,
    struct provider_error *perr)
{
	char path[TX_URL_MAX];
	cJSON *req, *ids;
	enum dl_err err;

	if (!id_ok(conf) || !id_ok(leg))
		return DL_ERR_INVALID;
	if ((err = tx_path(path, sizeof(path), "/conferences/%s/actions/%s", conf,
	    action)) != DL_OK)
		return err;
	if ((req = cJSON_CreateObject()) == NULL)
		return DL_ERR_NOMEM;
	if ((ids = cJSON_AddArrayToObject(req, "call_control_ids")) == NULL ||
	    !cJSON_AddItemToArray(ids, cJSON_CreateString(leg))) {
		cJSON_Delete(req);
		return DL_ERR_NOMEM;
	}
	return tx_post(path, req, 1, NULL, perr);
}

static enum dl_err
tx_mute(const struct provider_ref *ref, enum provider_party who, int muted,
    struct provider_error *perr)
{
	return conf_action(ref->conference_sid, muted ? "mute" : "unmute",
	    who == PROVIDER_OPERATOR ? ref->operator_call_sid : ref->call_sid, perr);
}

static enum dl_err
tx_hold(const struct provider_ref *ref, int hold, struct provider_error *perr)
{
	return conf_action(ref->conference_sid, hold ? "hold" : "unhold", ref->call_sid, perr);
}

/* ---- end ---------------------------------------------------------------- */

/* A refusal that says the leg is already gone: 90018 "Call has already
 * ended", or 90015 "Invalid Call Control ID" (Telnyx forgets ended calls). */
static int
already_gone(const struct provider_error *perr)
{
	return perr->http_status == 422 &&
	    (strcmp(perr->code, "90018") == 0 || strcmp(perr->code, "90015") == 0);
}

static enum dl_err
hangup(const char *ccid, struct provider_error *perr)
{
	char path[TX_URL_MAX];
	struct provider_error mine;
	enum dl_err err;
	cJSON *req;

	if ((err = tx_path(path, sizeof(path), "/calls/%s/actions/hangup", ccid, NULL)) != DL_OK)
		return err;
	if ((req = cJSON_CreateObject()) == NULL)
		return DL_ERR_NOMEM;
	memset(&mine, 0, sizeof(mine));
	err = tx_post(path, req, 1, NULL, &mine);
	if (err == DL_ERR_INVALID && already_gone(&mine))
		return DL_OK;
	if (err != DL_OK)
		*perr = mine;
	return err;
}

/* Hang up every leg we know of; the room ends with its last participant. */
static enum dl_err
tx_end(const struct provider_ref *ref, struct provider_error *perr)
{
	const char *legs[2];
	enum dl_err err = DL_OK, e;
	int i, n = 0;

	if (ref->call_sid != NULL)
		legs[n++] = ref->call_sid;
	if (ref->operator_call_sid != NULL &&
	    (ref->call_sid == NULL || strcmp(ref->call_sid, ref->operator_call_sid) != 0))
		legs[n++] = ref->operator_call_sid;
	if (n == 0)
		return DL_ERR_INVALID;
	for (i = 0; i < n; i++)
		if (!id_ok(legs[i]))
			return DL_ERR_INVALID;
	/* Each leg is tried, whatever became of the other. */
	for (i = 0; i < n; i++)
		if ((e = hangup(legs[i], perr)) != DL_OK && err == DL_OK)
			err = e;
	return err;
}

/* ---- status --------------------------------------------------------------- */

/*
 * GET /calls/{prospect's leg}. A Call tells whether it is alive and its
 * call_duration (seconds since the answer; 0 before one). So: alive with
 * talk time → in-progress, alive without → ringing; over → completed, with
 * its call_duration when there was talk time (else -1). Busy, no-answer
 * and the like come only from the call.hangup webhook's hangup_cause.
 */
static enum dl_err
tx_status(const struct provider_ref *ref, struct provider_status *out,
    struct provider_error *perr)
{
	const cJSON *data, *alive, *dur;
	char path[TX_URL_MAX];
	enum dl_err err;
	long talked = -1;
	cJSON *j;

	if (!id_ok(ref->call_sid))
		return DL_ERR_INVALID;
	if ((err = tx_path(path, sizeof(path), "/calls/%s", ref->call_sid, NULL)) != DL_OK)
		return err;
	if ((err = tx_json("GET", path, NULL, 1, &j, perr)) != DL_OK)
		return err;
	data = cJSON_GetObjectItemCaseSensitive(j, "data");
	alive = cJSON_GetObjectItemCaseSensitive(data, "is_alive");
	dur = cJSON_GetObjectItemCaseSensitive(data, "call_duration");
	if (!cJSON_IsBool(alive)) {
		rest_error(perr, 200, "malformed", "Telnyx's answer has no is_alive.");
		cJSON_Delete(j);
		return DL_ERR_IO;
	}
	if (cJSON_IsNumber(dur) && dur->valuedouble > 0 && dur->valuedouble < 1e9)
		talked = (long)dur->valuedouble;
	out->recording_sid[0] = '\0';
	if (cJSON_IsTrue(alive)) {
		out->status = talked > 0 ? CALL_IN_PROGRESS : CALL_RINGING;
		out->duration_s = talked;
	} else {
		out->status = CALL_COMPLETED;
		out->duration_s = talked;
	}
	cJSON_Delete(j);
	return DL_OK;
}

/* ---- webhooks ------------------------------------------------------------- */

/* The Ed25519 check: base64 signature over "{timestamp}|{body}" with the
 * configured public key, and the timestamp within TX_SIG_SKEW of now.
 * DL_ERR_CONFIG when our own key is unusable; DL_ERR_AUTH otherwise. */
static enum dl_err
verify(const struct provider_webhook *in)
{
	const char *keyb64 = config_get("TELNYX_PUBLIC_KEY");
	const char *sig = in->header(in->header_arg, "telnyx-signature-ed25519");
	const char *ts = in->header(in->header_arg, "telnyx-timestamp");
	unsigned char key[64], raw[128];
	size_t keylen = 0, rawlen = 0, tslen, msglen;
	long long t, now = in->now_unix > 0 ? in->now_unix : (long long)time(NULL);
	enum dl_err err = DL_ERR_AUTH;
	EVP_PKEY *pkey;
	EVP_MD_CTX *md;
	char *msg, *end;

	if (keyb64 == NULL || secure_b64_decode(keyb64, key, sizeof(key), &keylen) != DL_OK ||
	    keylen != 32)
		return DL_ERR_CONFIG;
	if (sig == NULL || ts == NULL)
		return DL_ERR_AUTH;
	/* Unix seconds: digits only, near now. */
	tslen = strlen(ts);
	if (tslen == 0 || tslen > 12 || strspn(ts, "0123456789") != tslen)
		return DL_ERR_AUTH;
	errno = 0;
	t = strtoll(ts, &end, 10);
	if (errno != 0 || *end != '\0' || t < now - TX_SIG_SKEW || t > now + TX_SIG_SKEW)
		return DL_ERR_AUTH;
	if (strlen(sig) > 120 || secure_b64_decode(sig, raw, sizeof(raw), &rawlen) != DL_OK ||
	    rawlen != 64)
		return DL_ERR_AUTH;
	if (in->bodylen > (size_t)-1 - tslen - 2)
		return DL_ERR_TOOBIG;
	msglen = tslen + 1 + in->bodylen;
	if ((msg = malloc(msglen + 1)) == NULL)
		return DL_ERR_NOMEM;
	memcpy(msg, ts, tslen);
	msg[tslen] = '|';
	if (in->bodylen > 0)
		memcpy(msg + tslen + 1, in->body, in->bodylen);
	msg[msglen] = '\0';
	if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, 32)) == NULL) {
		free(msg);
		return DL_ERR_CONFIG;
	}
	if ((md = EVP_MD_CTX_new()) == NULL) {
		err = DL_ERR_NOMEM;
	} else if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) != 1) {
		err = DL_ERR_CRYPTO;
	} else {
		/* Ed25519 is one-shot: the whole message at once. */
		err = EVP_DigestVerify(md, raw, rawlen, (const unsigned char *)msg, msglen) == 1 ?
		    DL_OK : DL_ERR_AUTH;
	}
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	free(msg);
	return err;
}

/* A string member of o; NULL when absent or not a string. */
static const char *
str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Copy an id member into a fixed buffer; 0 when absent or not an id. */
static int
take_id(const cJSON *o, const char *key, char *out, size_t outsz)
{
	const char *v = str_of(o, key);

	out[0] = '\0';
	if (!id_ok(v) || strlen(v) >= outsz)
		return 0;
	memcpy(out, v, strlen(v) + 1);
	return 1;
}

/* Our conference names: "cd-" + letters, digits, '-' or '_'. */
static int
conf_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 4 || n >= sizeof(((struct provider_event *)0)->conference_name) ||
	    strncmp(s, "cd-", 3) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* The browser leg names our room in a custom SIP header "X-Conference",
 * or as the user part of its "to" (sip:cd-...@...). "" when neither. */
static void
leg_conference(const cJSON *payload, char *out, size_t outsz)
{
	const cJSON *hs = cJSON_GetObjectItemCaseSensitive(payload, "custom_headers"), *h;
	const cJSON *list = cJSON_IsArray(hs) ? hs : NULL;
	const char *to = str_of(payload, "to"), *user, *at;

	out[0] = '\0';
	cJSON_ArrayForEach(h, list) {
		const char *name = str_of(h, "name"), *value = str_of(h, "value");

		if (name != NULL && value != NULL && strcasecmp(name, "X-Conference") == 0 &&
		    conf_name_ok(value, strlen(value)) && strlen(value) < outsz) {
			memcpy(out, value, strlen(value) + 1);
			return;
		}
	}
	if (to == NULL)
		return;
	user = strncmp(to, "sips:", 5) == 0 ? to + 5 : strncmp(to, "sip:", 4) == 0 ? to + 4 : to;
	at = strchr(user, '@');
	if (conf_name_ok(user, at != NULL ? (size_t)(at - user) : strlen(user)) &&
	    (at != NULL ? (size_t)(at - user) : strlen(user)) < outsz) {
		size_t n = at != NULL ? (size_t)(at - user) : strlen(user);

		memcpy(out, user, n);
		out[n] = '\0';
	}
}

/* The end of a leg in our words, from call.hangup's hangup_cause. */
static enum call_status
hangup_status(const char *cause)
{
	if (cause == NULL)
		return CALL_FAILED;
	if (strcmp(cause, "normal_clearing") == 0 || strcmp(cause, "time_limit") == 0)
		return CALL_COMPLETED; /* callflow: never answered → canceled */
	if (strcmp(cause, "user_busy") == 0 || strcmp(cause, "call_rejected") == 0)
		return CALL_BUSY;
	if (strcmp(cause, "timeout") == 0 || strcmp(cause, "no_answer") == 0)
		return CALL_NO_ANSWER;
	if (strcmp(cause, "originator_cancel") == 0)
		return CALL_CANCELED; /* we hung up before an answer */
	return CALL_FAILED;
}

static enum dl_err
read_call_event(const char *type, const cJSON *payload, struct provider_event *ev)
{
	const char *dir = str_of(payload, "direction");

	if (!take_id(payload, "call_control_id", ev->call_sid, sizeof(ev->call_sid)))
		return DL_ERR_INVALID;
	if (strcmp(type, "call.initiated") == 0) {
		if (dir != NULL && strcmp(dir, "incoming") == 0) {
			/* The operator's browser leg; the conference name is the proof. */
			ev->type = PROVIDER_EV_OPERATOR_CONNECT;
			leg_conference(payload, ev->conference_name, sizeof(ev->conference_name));
			return DL_OK;
		}
		ev->type = PROVIDER_EV_LEG_STATUS;
		ev->status = CALL_INITIATED;
	} else if (strcmp(type, "call.answered") == 0) {
		ev->type = PROVIDER_EV_LEG_STATUS;
		ev->status = CALL_IN_PROGRESS;
	} else {
		ev->type = PROVIDER_EV_LEG_STATUS;
		ev->status = hangup_status(str_of(payload, "hangup_cause"));
	}
	return DL_OK;
}

static enum dl_err
read_conference_event(const char *type, const cJSON *payload, struct provider_event *ev)
{
	static const struct {
		const char *word;
		enum provider_event_type type;
	} words[] = {
		{ "conference.created", PROVIDER_EV_CONFERENCE_START },
		{ "conference.ended", PROVIDER_EV_CONFERENCE_END },
		{ "conference.participant.joined", PROVIDER_EV_PARTICIPANT_JOIN },
		{ "conference.participant.left", PROVIDER_EV_PARTICIPANT_LEAVE },
	};
	const char *name = str_of(payload, "name");
	size_t i;

	ev->type = PROVIDER_EV_IGNORED;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(type, words[i].word) == 0)
			ev->type = words[i].type;
	if (ev->type == PROVIDER_EV_IGNORED)
		return DL_OK; /* playback, speak, recording, floor changes ... */
	if (!take_id(payload, "conference_id", ev->conference_sid, sizeof(ev->conference_sid)))
		return DL_ERR_INVALID;
	if ((ev->type == PROVIDER_EV_PARTICIPANT_JOIN || ev->type == PROVIDER_EV_PARTICIPANT_LEAVE) &&
	    !take_id(payload, "call_control_id", ev->call_sid, sizeof(ev->call_sid)))
		return DL_ERR_INVALID;
	/* Not sent by Telnyx today; the caller finds the call by conference_sid. */
	if (name != NULL && conf_name_ok(name, strlen(name)))
		memcpy(ev->conference_name, name, strlen(name) + 1);
	return DL_OK;
}

/* The consent announcement on the prospect's leg ended: played through,
 * cut short by a hang-up (call.hangup says the rest), or not played
 * (file_not_found, failed, ...). */
static enum dl_err
read_consent_event(const cJSON *payload, struct provider_event *ev)
{
	const char *status = str_of(payload, "status");

	if (!take_id(payload, "call_control_id", ev->call_sid, sizeof(ev->call_sid)))
		return DL_ERR_INVALID;
	if (status != NULL && strcmp(status, "call_hangup") == 0)
		ev->type = PROVIDER_EV_IGNORED;
	else if (status == NULL || strcmp(status, "completed") == 0)
		ev->type = PROVIDER_EV_CONSENT_PLAYED;
	else
		ev->type = PROVIDER_EV_CONSENT_FAILED;
	return DL_OK;
}

/* call.recording.saved. Telnyx's spec names no recording id in it (real
 * deliveries may carry recording_id): the leg it recorded stands in, and
 * tx_fetch_recording finds the recording by either. The length is the
 * time between recording_started_at and recording_ended_at. */
static enum dl_err
read_recording_event(const cJSON *payload, struct provider_event *ev)
{
	const cJSON *urls = cJSON_GetObjectItemCaseSensitive(payload, "recording_urls");
	const char *url = str_of(urls, "mp3");
	long long t0, t1;

	if (!take_id(payload, "recording_id", ev->recording_sid, sizeof(ev->recording_sid)) &&
	    !take_id(payload, "call_leg_id", ev->recording_sid, sizeof(ev->recording_sid)))
		return DL_ERR_INVALID;
	take_id(payload, "call_control_id", ev->call_sid, sizeof(ev->call_sid));
	if (url == NULL)
		url = str_of(urls, "wav");
	if (url != NULL && strlen(url) < sizeof(ev->recording_url) &&
	    (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0))
		memcpy(ev->recording_url, url, strlen(url) + 1);
	if (clock_parse_iso(str_of(payload, "recording_started_at"), &t0) == DL_OK &&
	    clock_parse_iso(str_of(payload, "recording_ended_at"), &t1) == DL_OK && t1 >= t0)
		ev->duration_s = (long)(t1 - t0);
	ev->type = PROVIDER_EV_RECORDING;
	return DL_OK;
}

static enum dl_err
tx_webhook(const struct provider_webhook *in, struct provider_event *ev)
{
	const cJSON *data, *payload;
	const char *type, *id;
	enum dl_err err;
	cJSON *j;

	memset(ev, 0, sizeof(*ev));
	ev->duration_s = -1;
	if (strcmp(in->kind, "events") != 0 && strcmp(in->kind, "call-status") != 0 &&
	    strcmp(in->kind, "conference-status") != 0)
		return DL_ERR_NOTFOUND;
	if (in->media_type == NULL || strcmp(in->media_type, "application/json") != 0)
		return DL_ERR_UNSUPPORTED;
	if ((err = verify(in)) != DL_OK)
		return err;
	/* Signed by Telnyx: from here on a bad body is malformed, not forged. */
	if ((j = cJSON_ParseWithLength(in->body, in->bodylen)) == NULL)
		return DL_ERR_INVALID;
	data = cJSON_GetObjectItemCaseSensitive(j, "data");
	payload = cJSON_GetObjectItemCaseSensitive(data, "payload");
	type = str_of(data, "event_type");
	id = str_of(data, "id");
	if (type == NULL || *type == '\0' || id == NULL || !id_ok(id) ||
	    (payload != NULL && !cJSON_IsObject(payload))) {
		cJSON_Delete(j);
		return DL_ERR_INVALID;
	}
	snprintf(ev->key, sizeof(ev->key), "telnyx:%s", id);
	snprintf(ev->name, sizeof(ev->name), "%s", type);
	if (strcmp(type, "call.initiated") == 0 || strcmp(type, "call.answered") == 0 ||
	    strcmp(type, "call.hangup") == 0)
		err = read_call_event(type, payload, ev);
	else if (strncmp(type, "conference.", 11) == 0)
		err = read_conference_event(type, payload, ev);
	else if (strcmp(type, "call.speak.ended") == 0 || strcmp(type, "call.playback.ended") == 0)
		err = read_consent_event(payload, ev);
	else if (strcmp(type, "call.recording.saved") == 0)
		err = read_recording_event(payload, ev);
	else
		err = DL_OK; /* call.machine.detection.ended and the rest: IGNORED */
	cJSON_Delete(j);
	if (err != DL_OK) {
		memset(ev, 0, sizeof(*ev));
		ev->duration_s = -1;
	}
	return err;
}

/* ---- admit and answered: the room ------------------------------------------ */

/* The id of the live conference called `name`, for a repeat of a create
 * that already happened. */
static enum dl_err
find_conference(const char *name, char out[PROVIDER_SID_MAX], struct provider_error *perr)
{
	char path[TX_URL_MAX];
	const cJSON *data, *first, *id;
	enum dl_err err;
	cJSON *j;

	if ((err = tx_path(path, sizeof(path),
	    "/conferences?filter%%5Bname%%5D=%s&filter%%5Bstatus%%5D=in_progress", name,
	    NULL)) != DL_OK)
		return err;
	if ((err = tx_json("GET", path, NULL, 1, &j, perr)) != DL_OK)
		return err;
	data = cJSON_GetObjectItemCaseSensitive(j, "data");
	first = cJSON_IsArray(data) ? cJSON_GetArrayItem(data, 0) : NULL;
	id = cJSON_GetObjectItemCaseSensitive(first, "id");
	err = DL_ERR_NOTFOUND;
	if (cJSON_IsString(id) && id_ok(id->valuestring)) {
		memcpy(out, id->valuestring, strlen(id->valuestring) + 1);
		err = DL_OK;
	}
	cJSON_Delete(j);
	return err;
}

/* POST /conferences with `leg` (answered) as its first participant, under
 * our name, no beeps. Never retried (a repeat is a name conflict); a 90033
 * conflict (a delivery repeated after the room was made) finds the room. */
static enum dl_err
create_conference(const char *leg, const char *name, long long call_id,
    char out[PROVIDER_SID_MAX], struct provider_error *perr)
{
	cJSON *req, *ans = NULL;
	enum dl_err err;

	out[0] = '\0';
	if (!id_ok(leg) || name == NULL || !conf_name_ok(name, strlen(name)))
		return DL_ERR_INVALID;
	if ((req = cJSON_CreateObject()) == NULL)
		return DL_ERR_NOMEM;
	if (cJSON_AddStringToObject(req, "call_control_id", leg) == NULL ||
	    cJSON_AddStringToObject(req, "name", name) == NULL ||
	    cJSON_AddStringToObject(req, "beep_enabled", "never") == NULL ||
	    cJSON_AddBoolToObject(req, "start_conference_on_create", 1) == NULL ||
	    !add_client_state(req, call_id)) {
		cJSON_Delete(req);
		return DL_ERR_NOMEM;
	}
	err = tx_post("/conferences", req, 0, &ans, perr);
	if (err == DL_ERR_INVALID && perr->http_status == 422 && strcmp(perr->code, "90033") == 0)
		return find_conference(name, out, perr);
	if (err != DL_OK)
		return err;
	return take_data_id(ans, "id", out, perr);
}

/* A call action that is not repeated by us (answer, reject). */
static enum dl_err
call_action(const char *ccid, const char *action, cJSON *req, struct provider_error *perr)
{
	char path[TX_URL_MAX];
	enum dl_err err;

	if (!id_ok(ccid)) {
		cJSON_Delete(req);
		return DL_ERR_INVALID;
	}
	if ((err = tx_path(path, sizeof(path), "/calls/%s/actions/%s", ccid, action)) != DL_OK) {
		cJSON_Delete(req);
		return err;
	}
	return tx_post(path, req, 0, NULL, perr);
}

/*
 * The operator's browser leg (ev->call_sid) asked in. Refused: rejected
 * (a leg gone already is as good). Admitted: answered (its later events,
 * the room's included, go to conference_url) and made the first
 * participant of a conference under our name; out->conference_sid names
 * it. No body either way (204). A repeated delivery finds the leg
 * answered (422, carried on) and the room made (found by name).
 */
static enum dl_err
tx_admit(const struct provider_event *ev, const struct provider_ref *ref,
    const char *conference_url, struct provider_reply *out)
{
	struct provider_error perr;
	enum dl_err err;
	cJSON *req;

	out->content_type[0] = '\0';
	out->body[0] = '\0';
	out->len = 0;
	out->conference_sid[0] = '\0';
	memset(&perr, 0, sizeof(perr));
	if ((req = cJSON_CreateObject()) == NULL)
		return DL_ERR_NOMEM;
	if (ref == NULL) {
		if (cJSON_AddStringToObject(req, "cause", "CALL_REJECTED") == NULL) {
			cJSON_Delete(req);
			return DL_ERR_NOMEM;
		}
		err = call_action(ev->call_sid, "reject", req, &perr);
		/* A 4xx: the leg is gone or answered elsewhere; nothing to undo. */
		return err == DL_ERR_INVALID && perr.http_status != 0 ? DL_OK : err;
	}
	if (!add_client_state(req, ref->call_id) ||
	    (conference_url != NULL && *conference_url != '\0' &&
	    (cJSON_AddStringToObject(req, "webhook_url", conference_url) == NULL ||
	    cJSON_AddStringToObject(req, "webhook_url_method", "POST") == NULL))) {
		cJSON_Delete(req);
		return DL_ERR_NOMEM;
	}
	err = call_action(ev->call_sid, "answer", req, &perr);
	/* Already answered: an earlier delivery of this event did it. */
	if (err == DL_ERR_INVALID && perr.http_status == 422 && strcmp(perr.code, "90018") == 0)
		err = DL_OK;
	if (err != DL_OK)
		return err;
	return create_conference(ev->call_sid, ref->conference_name, ref->call_id,
	    out->conference_sid, &perr);
}

/* The prospect (ref->call_sid) answered: into the operator's room, which
 * ends when they leave; in the seed's order (no room yet) their leg makes
 * it. */
static enum dl_err
tx_answered(const struct provider_ref *ref, struct provider_error *perr)
{
	char path[TX_URL_MAX], made[PROVIDER_SID_MAX];
	enum dl_err err;
	cJSON *req;

	if (!id_ok(ref->call_sid))
		return DL_ERR_INVALID;
	if (ref->conference_sid == NULL)
		return create_conference(ref->call_sid, ref->conference_name, ref->call_id, made,
		    perr);
	if (!id_ok(ref->conference_sid))
		return DL_ERR_INVALID;
	if ((err = tx_path(path, sizeof(path), "/conferences/%s/actions/join",
	    ref->conference_sid, NULL)) != DL_OK)
		return err;
	if ((req = cJSON_CreateObject()) == NULL)
		return DL_ERR_NOMEM;
	if (cJSON_AddStringToObject(req, "call_control_id", ref->call_sid) == NULL ||
	    cJSON_AddBoolToObject(req, "end_conference_on_exit", 1) == NULL ||
	    cJSON_AddStringToObject(req, "beep_enabled", "never") == NULL) {
		cJSON_Delete(req);
		return DL_ERR_NOMEM;
	}
	/* Absolute (the leg is in the room): safe to repeat. */
	return tx_post(path, req, 1, NULL, perr);
}

/* ---- recording ------------------------------------------------------------- */

/*
 * The prospect (ref->call_sid) answered a recorded call: speak the consent
 * to their leg, or play its audio, before they are joined to the room. The
 * command_id makes a repeat (ours, or a retried delivery) a no-op at
 * Telnyx, so it may be retried.
 */
static enum dl_err
tx_consent(const struct provider_ref *ref, const struct provider_consent *c,
    struct provider_error *perr)
{
	char path[TX_URL_MAX], cmd[48];
	const char *action = c->url != NULL ? "playback_start" : "speak";
	enum dl_err err;
	size_t n;
	cJSON *req;
	int ok;

	if (!id_ok(ref->call_sid))
		return DL_ERR_INVALID;
	if (c->url == NULL && (c->text == NULL || *c->text == '\0'))
		return DL_ERR_CONFIG;
	if ((err = tx_path(path, sizeof(path), "/calls/%s/actions/%s", ref->call_sid,
	    action)) != DL_OK)
		return err;
	if ((req = cJSON_CreateObject()) == NULL)
		return DL_ERR_NOMEM;
	snprintf(cmd, sizeof(cmd), "consent-%lld", ref->call_id);
	ok = cJSON_AddStringToObject(req, "command_id", cmd) != NULL &&
	    add_client_state(req, ref->call_id);
	if (ok && c->url != NULL) {
		/* Telnyx takes it for an MP3 unless told: a path ending in .wav is one. */
		n = strcspn(c->url, "?#");
		ok = cJSON_AddStringToObject(req, "audio_url", c->url) != NULL &&
		    (n < 4 || strncasecmp(c->url + n - 4, ".wav", 4) != 0 ||
		    cJSON_AddStringToObject(req, "audio_type", "wav") != NULL);
	} else if (ok) {
		ok = cJSON_AddStringToObject(req, "payload", c->text) != NULL &&
		    cJSON_AddStringToObject(req, "payload_type", "text") != NULL &&
		    cJSON_AddStringToObject(req, "voice", TX_VOICE) != NULL &&
		    cJSON_AddStringToObject(req, "language", TX_LANGUAGE) != NULL;
	}
	if (!ok) {
		cJSON_Delete(req);
		return DL_ERR_NOMEM;
	}
	return tx_post(path, req, 1, NULL, perr);
}

/* Telnyx never fetches a document for it: the consent is a command. */
static enum dl_err
tx_announce(const struct provider_consent *c, struct provider_reply *out)
{
	(void)c, (void)out;
	return DL_ERR_UNSUPPORTED;
}

/* The download URL of rec among the recordings of the prospect's leg (a
 * copy, for free) and the media type of the format it is listed under, or
 * NULL with the reason in *err. */
static char *
find_media(const struct provider_ref *ref, const struct provider_recording *rec,
    const char **type, enum dl_err *err, struct provider_error *perr)
{
	const cJSON *data, *item;
	char path[TX_URL_MAX], *leg, *out = NULL;
	cJSON *j;

	if ((leg = curl_easy_escape(NULL, ref->call_sid, 0)) == NULL) {
		*err = DL_ERR_NOMEM;
		return NULL;
	}
	*err = tx_path(path, sizeof(path), "/recordings?filter%%5Bcall_control_id%%5D=%s", leg,
	    NULL);
	curl_free(leg);
	if (*err != DL_OK || (*err = tx_json("GET", path, NULL, 1, &j, perr)) != DL_OK)
		return NULL;
	*err = DL_ERR_NOTFOUND;
	data = cJSON_GetObjectItemCaseSensitive(j, "data");
	if (!cJSON_IsArray(data))
		data = NULL;
	cJSON_ArrayForEach(item, data) {
		const cJSON *urls = cJSON_GetObjectItemCaseSensitive(item, "download_urls");
		const char *id = str_of(item, "id"), *rleg = str_of(item, "call_leg_id");
		const char *url = str_of(urls, "mp3");

		if ((id == NULL || strcmp(id, rec->sid) != 0) &&
		    (rleg == NULL || strcmp(rleg, rec->sid) != 0))
			continue;
		*type = "audio/mpeg";
		if (url == NULL) {
			url = str_of(urls, "wav");
			*type = "audio/wav";
		}
		if (url == NULL || strlen(url) >= TX_MEDIA_URL_MAX ||
		    (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
			break;
		if ((out = strdup(url)) == NULL)
			*err = DL_ERR_NOMEM;
		else
			*err = DL_OK;
		break;
	}
	cJSON_Delete(j);
	return out;
}

/* Storage may label the file as mere bytes: then the format Telnyx listed
 * it under says what it is. */
struct typed_sink {
	const struct provider_sink *next;
	const char *type;
};

static enum dl_err
typed_begin(void *arg, const char *content_type, long long length)
{
	const struct typed_sink *t = arg;

	if (*content_type == '\0' ||
	    strncasecmp(content_type, "application/octet-stream", 24) == 0 ||
	    strncasecmp(content_type, "binary/octet-stream", 19) == 0)
		content_type = t->type;
	return t->next->begin(t->next->arg, content_type, length);
}

static int
typed_write(void *arg, const char *p, size_t n)
{
	const struct typed_sink *t = arg;

	return t->next->write(t->next->arg, p, n);
}

static enum dl_err
tx_fetch_recording(const struct provider_ref *ref, const struct provider_recording *rec,
    const struct provider_sink *sink, struct provider_error *perr)
{
	struct typed_sink typed;
	struct provider_sink mine;
	struct rest_request r;
	const char *type = NULL;
	enum dl_err err;
	char *url;

	if (!id_ok(ref->call_sid) || !id_ok(rec->sid))
		return DL_ERR_NOTFOUND;
	if ((url = find_media(ref, rec, &type, &err, perr)) == NULL)
		return err == DL_ERR_INVALID && perr->http_status == 404 ? DL_ERR_NOTFOUND : err;
	memset(&r, 0, sizeof(r));
	if (config_get_long("TELNYX_CONNECT_TIMEOUT", 3, 1, 60, &r.connect_s) != DL_OK) {
		free(url);
		return DL_ERR_CONFIG;
	}
	/* Presigned: the URL is the credential. Our key is not sent there. */
	r.url = url;
	r.total_s = PROVIDER_MEDIA_TIMEOUT;
	r.retry = 1;
	r.follow = 1;
	r.parse_error = parse_error;
	typed.next = sink;
	typed.type = type;
	mine.begin = typed_begin;
	mine.write = typed_write;
	mine.arg = &typed;
	mine.max_bytes = sink->max_bytes;
	err = rest_stream(&r, &mine, perr);
	free(url);
	return err == DL_ERR_INVALID && perr->http_status == 404 ? DL_ERR_NOTFOUND : err;
}

const struct provider provider_telnyx = {
	"telnyx",
	telnyx_settings,
	0,          /* real calls */
	0,          /* the unguessable conference name is the leg's proof */
	tx_join,
	tx_dial,
	tx_mute,
	tx_hold,
	tx_end,
	tx_status,
	tx_webhook,
	tx_admit,
	tx_answered,
	1,          /* the prospect hears the consent before the room */
	tx_consent,
	tx_announce,
	tx_fetch_recording,
};
