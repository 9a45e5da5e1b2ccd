/*
 * telnyx: the Telnyx provider against tests/fake/fake_telnyx.py, a
 * stateful fake of Call Control v2 started once for the group, and its
 * webhook reader against Ed25519 signatures made here with OpenSSL (a key
 * pair generated per run) and by the fake itself (python-cryptography, an
 * independent implementation). This file talks to the fake's control
 * endpoints (/_fake/...) with its own curl handles, so the provider's
 * connections stay its own.
 *
 * Only fictional numbers (+1 202 555 01XX) appear here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "config.h"
#include "provider.h"
#include "secure.h"
#include "fakectl.h"
#include "testutil.h"

extern const struct provider provider_telnyx;

#define API_KEY "KEYfake0123456789abcdef0123456789"
#define CONNECTION_ID "1494404757140276705"
#define CREDENTIAL_ID "c215ade3-0d39-418e-94be-c5f780760199"
#define CALLER_ID "+12025550100"
#define PROSPECT "+12025550143"
#define STATUS_URL "https://dialer.example.com/api/v1/telnyx/call-status?call=42"
#define CONF_URL "https://dialer.example.com/api/v1/telnyx/conference-status"
#define CONF_NAME "cd-unit0123abcd"

static pid_t fake_pid = -1;
static char fake_dir[64];
static char fake_root[64];   /* http://127.0.0.1:PORT */
static char fake_api[80];    /* ... + /v2 */
static EVP_PKEY *our_key, *other_key;
static char our_pub[64], other_pub[64], fake_pub[64];

/* ---- control-endpoint helpers --------------------------------------- */

/* GET (json NULL) or POST json to the fake; the parsed answer, for cJSON_Delete. */
static cJSON *
ctl(const char *path, const char *json)
{
	return fakectl(fake_root, path, json);
}

static void
fake_reset(void)
{
	cJSON_Delete(ctl("/_fake/reset", "{}"));
}

static void
fake_fault(const char *method, const char *path_re, int count, const char *action,
    int status, int retry_after)
{
	char body[512];

	if (status != 0)
		snprintf(body, sizeof(body), "{\"method\":\"%s\",\"path\":\"%s\",\"count\":%d,"
		    "\"action\":\"%s\",\"status\":%d,\"retry_after\":%d}", method, path_re, count,
		    action, status, retry_after);
	else
		snprintf(body, sizeof(body), "{\"method\":\"%s\",\"path\":\"%s\",\"count\":%d,"
		    "\"action\":\"%s\"}", method, path_re, count, action);
	cJSON_Delete(ctl("/_fake/faults", body));
}

/* A new call made by Telnyx itself (the browser's incoming leg); its id. */
static void
fake_incoming(char ccid[PROVIDER_SID_MAX])
{
	cJSON *j = ctl("/_fake/calls", "{\"direction\":\"incoming\","
	    "\"from\":\"sip:operator@sip.telnyx.com\",\"to\":\"sip:dialer@sip.telnyx.com\"}");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "call_control_id");

	assert_true(cJSON_IsString(id) && strlen(id->valuestring) < PROVIDER_SID_MAX);
	memcpy(ccid, id->valuestring, strlen(id->valuestring) + 1);
	cJSON_Delete(j);
}

static void
fake_set_state(const char *ccid, const char *state)
{
	char path[256], body[128];

	snprintf(path, sizeof(path), "/_fake/calls/%s", ccid);
	snprintf(body, sizeof(body), "{\"state\":\"%s\"}", state);
	cJSON_Delete(ctl(path, body));
}

/* How many recorded API requests used `method` on a path ending in
 * `suffix`; the last one's JSON body goes to *last (owned by *all). */
static int
fake_count(const char *method, const char *suffix, cJSON **all, const cJSON **last)
{
	const cJSON *req;
	int n = fakectl_count(fake_root, method, suffix, all, last != NULL ? &req : NULL);

	if (last != NULL)
		*last = req != NULL ? cJSON_GetObjectItemCaseSensitive(req, "json") : NULL;
	return n;
}

static void
assert_str_field(const cJSON *o, const char *key, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v))
		fprintf(stderr, "field %s missing\n", key);
	assert_true(cJSON_IsString(v));
	assert_string_equal(v->valuestring, want);
}

/* The single string in the array o[key]. */
static void
assert_one_id(const cJSON *o, const char *key, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsArray(v));
	assert_int_equal(cJSON_GetArraySize(v), 1);
	assert_true(cJSON_IsString(cJSON_GetArrayItem(v, 0)));
	assert_string_equal(cJSON_GetArrayItem(v, 0)->valuestring, want);
}

static void
dial(const char *to, int md, int record, char leg[PROVIDER_SID_MAX], struct provider_error *perr,
    enum dl_err want)
{
	struct provider_dial d;

	memset(&d, 0, sizeof(d));
	memset(perr, 0, sizeof(*perr));
	d.ref.call_id = 42;
	d.ref.conference_name = CONF_NAME;
	d.to = to;
	d.status_url = STATUS_URL;
	d.timeout_s = 30;
	d.machine_detection = md;
	d.record = record;
	assert_int_equal(provider_telnyx.dial(&d, leg, perr), want);
}

/* The operator's leg admitted: answered and in a new conference. */
struct room {
	char op[PROVIDER_SID_MAX];
	char conf[PROVIDER_SID_MAX];
	char prospect[PROVIDER_SID_MAX];
};

static void
admit_operator(struct room *r)
{
	struct provider_event ev;
	struct provider_reply reply;
	struct provider_ref ref;

	memset(r, 0, sizeof(*r));
	fake_incoming(r->op);
	memset(&ev, 0, sizeof(ev));
	ev.type = PROVIDER_EV_OPERATOR_CONNECT;
	memcpy(ev.call_sid, r->op, strlen(r->op) + 1);
	memset(&ref, 0, sizeof(ref));
	ref.call_id = 7;
	ref.conference_name = CONF_NAME;
	ref.operator_call_sid = r->op;
	memset(&reply, 0, sizeof(reply));
	assert_int_equal(provider_telnyx.admit(&ev, &ref, CONF_URL, &reply), DL_OK);
	assert_string_equal(reply.content_type, "");
	assert_int_equal(reply.len, 0);
	assert_true(strlen(reply.conference_sid) > 0);
	memcpy(r->conf, reply.conference_sid, strlen(reply.conference_sid) + 1);
}

/* ... and the prospect dialed and answered, in the room. */
static void
full_room(struct room *r)
{
	struct provider_error perr;
	struct provider_ref ref;

	admit_operator(r);
	dial(PROSPECT, 0, 0, r->prospect, &perr, DL_OK);
	fake_set_state(r->prospect, "answered");
	memset(&ref, 0, sizeof(ref));
	ref.call_id = 7;
	ref.conference_name = CONF_NAME;
	ref.conference_sid = r->conf;
	ref.call_sid = r->prospect;
	ref.operator_call_sid = r->op;
	assert_int_equal(provider_telnyx.answered(&ref, &perr), DL_OK);
}

static void
room_ref(const struct room *r, struct provider_ref *ref)
{
	memset(ref, 0, sizeof(*ref));
	ref->call_id = 7;
	ref->conference_name = CONF_NAME;
	ref->conference_sid = r->conf[0] ? r->conf : NULL;
	ref->call_sid = r->prospect[0] ? r->prospect : NULL;
	ref->operator_call_sid = r->op[0] ? r->op : NULL;
}

/* ---- keys ------------------------------------------------------------- */

static EVP_PKEY *
keygen(char *pub_b64, size_t outsz)
{
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *k = NULL;
	unsigned char raw[32];
	size_t rawlen = sizeof(raw);

	if (kc == NULL || EVP_PKEY_keygen_init(kc) != 1 || EVP_PKEY_keygen(kc, &k) != 1)
		return NULL;
	EVP_PKEY_CTX_free(kc);
	if (EVP_PKEY_get_raw_public_key(k, raw, &rawlen) != 1 || rawlen != 32 ||
	    secure_b64(raw, rawlen, pub_b64, outsz) != DL_OK) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

/* base64(Ed25519(key, "{ts}|{body}")) into sig (>= 89 bytes). */
static void
sign(EVP_PKEY *k, const char *ts, const char *body, char *sig, size_t sigsz)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char raw[64];
	size_t rawlen = sizeof(raw), n = strlen(ts) + 1 + strlen(body);
	char *msg = malloc(n + 1);

	assert_non_null(md);
	assert_non_null(msg);
	snprintf(msg, n + 1, "%s|%s", ts, body);
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, raw, &rawlen, (unsigned char *)msg, n), 1);
	assert_int_equal(rawlen, 64);
	assert_int_equal(secure_b64(raw, rawlen, sig, sigsz), DL_OK);
	EVP_MD_CTX_free(md);
	free(msg);
}

/* ---- webhook delivery -------------------------------------------------- */

struct hdrs {
	const char *sig;
	const char *ts;
};

static const char *
header(void *arg, const char *name)
{
	const struct hdrs *h = arg;

	if (strcasecmp(name, "telnyx-signature-ed25519") == 0)
		return h->sig;
	if (strcasecmp(name, "telnyx-timestamp") == 0)
		return h->ts;
	return NULL;
}

static enum dl_err
deliver_raw(const char *kind, const char *media, const char *body, const char *sig,
    const char *ts, long long now, struct provider_event *ev)
{
	struct provider_webhook in;
	struct hdrs h = { sig, ts };

	memset(&in, 0, sizeof(in));
	in.kind = kind;
	in.url = "https://dialer.example.com/api/v1/telnyx/events";
	in.header = header;
	in.header_arg = &h;
	in.media_type = media;
	in.body = body;
	in.bodylen = strlen(body);
	in.now_unix = now;
	return provider_telnyx.webhook(&in, ev);
}

/* Signed now with our key, delivered as JSON to `kind`. */
static enum dl_err
deliver(const char *kind, const char *body, struct provider_event *ev)
{
	char ts[24], sig[96];
	long long now = (long long)time(NULL);

	snprintf(ts, sizeof(ts), "%lld", now);
	sign(our_key, ts, body, sig, sizeof(sig));
	return deliver_raw(kind, "application/json", body, sig, ts, 0, ev);
}

/* An event body as Telnyx sends it. */
static void
event_body(char *out, size_t outsz, const char *type, const char *id, const char *payload)
{
	assert_true((size_t)snprintf(out, outsz, "{\"data\":{\"record_type\":\"event\","
	    "\"event_type\":\"%s\",\"id\":\"%s\",\"occurred_at\":\"2025-01-01T00:00:00.000000Z\","
	    "\"payload\":%s},\"meta\":{\"attempt\":1}}", type, id, payload) < outsz);
}

/* ---- group setup ------------------------------------------------------ */

static void
set_env(void)
{
	setenv("DIALER_CONFIG", "/dev/null", 1);
	setenv("TELNYX_API_KEY", API_KEY, 1);
	setenv("TELNYX_CONNECTION_ID", CONNECTION_ID, 1);
	setenv("TELNYX_CALLER_ID", CALLER_ID, 1);
	setenv("TELNYX_CREDENTIAL_ID", CREDENTIAL_ID, 1);
	setenv("TELNYX_PUBLIC_KEY", our_pub, 1);
	setenv("TELNYX_API_BASE", fake_api, 1);
	setenv("DIALER_PUBLIC_URL", "https://dialer.example.com", 1);
}

static void
use_public_key(const char *b64)
{
	setenv("TELNYX_PUBLIC_KEY", b64, 1);
	config_reset();
	assert_int_equal(config_load(), DL_OK);
}

static int
group_setup(void **state)
{
	char ready[128], pubfile[128];
	const char *args[] = {
		"--port", "0", "--api-key", API_KEY, "--connection-id", CONNECTION_ID,
		"--credential-id", CREDENTIAL_ID, "--public-key-file", pubfile, NULL
	};
	int port;
	FILE *f;

	(void)state;
	tu_env_clean();
	tu_mkdtemp(fake_dir, sizeof(fake_dir));
	snprintf(ready, sizeof(ready), "%s/ready", fake_dir);
	snprintf(pubfile, sizeof(pubfile), "%s/pub", fake_dir);
	if ((our_key = keygen(our_pub, sizeof(our_pub))) == NULL ||
	    (other_key = keygen(other_pub, sizeof(other_pub))) == NULL)
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	if ((port = fakectl_start("tests/fake/fake_telnyx.py", args, ready, &fake_pid)) < 0)
		return -1;
	/* The public key file is written before the ready file. */
	if ((f = fopen(pubfile, "r")) == NULL)
		return -1;
	if (fscanf(f, "%63s", fake_pub) != 1) {
		fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(fake_root, sizeof(fake_root), "http://127.0.0.1:%d", port);
	snprintf(fake_api, sizeof(fake_api), "%s/v2", fake_root);
	set_env();
	config_reset();
	return config_load() == DL_OK ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char path[128];
	static const char *const keys[] = {
		"TELNYX_CONNECTION_ID", "TELNYX_CALLER_ID", "TELNYX_CREDENTIAL_ID",
		"TELNYX_PUBLIC_KEY", "TELNYX_API_BASE", NULL
	};
	const char *const *k;

	(void)state;
	fakectl_stop(&fake_pid);
	snprintf(path, sizeof(path), "%s/ready", fake_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pub", fake_dir);
	unlink(path);
	tu_rmdir(fake_dir);
	for (k = keys; *k != NULL; k++)
		unsetenv(*k);
	tu_env_clean();
	EVP_PKEY_free(our_key);
	EVP_PKEY_free(other_key);
	return 0;
}

static int
each_setup(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

/* ---- provider tests ------------------------------------------------------ */

static void
test_factory_finds_telnyx(void **state)
{
	const struct provider *p = NULL;
	char missing[128] = "";

	(void)state;
	assert_int_equal(provider_get("telnyx", &p, missing, sizeof(missing)), DL_OK);
	assert_ptr_equal(p, &provider_telnyx);
	assert_false(p->simulated);
	assert_false(p->leg_identity);
	assert_non_null(p->admit);
	assert_non_null(p->answered);
	unsetenv("TELNYX_CREDENTIAL_ID");
	config_reset();
	assert_int_equal(config_load(), DL_OK);
	assert_int_equal(provider_get("telnyx", &p, missing, sizeof(missing)), DL_ERR_CONFIG);
	assert_string_equal(missing, "TELNYX_CREDENTIAL_ID");
	set_env();
	config_reset();
	assert_int_equal(config_load(), DL_OK);
	assert_int_equal(provider_get("telnix", &p, NULL, 0), DL_ERR_NOTFOUND);
}

static void
test_join(void **state)
{
	struct provider_ref ref;
	struct provider_join out;
	struct provider_error perr;
	const cJSON *hdrs;
	cJSON *all, *reqs;
	const cJSON *r;
	long long now = (long long)time(NULL);
	const char *p;
	int dots = 0;

	(void)state;
	memset(&ref, 0, sizeof(ref));
	memset(&perr, 0, sizeof(perr));
	ref.conference_name = CONF_NAME;
	ref.now_unix = now;
	assert_int_equal(provider_telnyx.join(&ref, "op_3", &out, &perr), DL_OK);
	for (p = out.token; *p; p++)
		dots += *p == '.';
	assert_int_equal(dots, 2);
	assert_string_equal(out.identity, "op_3");
	assert_string_equal(out.edge, "");
	/* The JWT's exp: a day from now. */
	assert_true(out.expires_at >= now + 24 * 3600 - 5 && out.expires_at <= now + 24 * 3600 + 5);
	assert_int_equal(fake_count("POST", "/telephony_credentials/" CREDENTIAL_ID "/token",
	    &all, NULL), 1);
	cJSON_Delete(all);
	reqs = ctl("/_fake/requests", NULL);
	r = cJSON_GetArrayItem(reqs, 0);
	hdrs = cJSON_GetObjectItemCaseSensitive(r, "headers");
	assert_str_field(hdrs, "Authorization", "Bearer " API_KEY);
	cJSON_Delete(reqs);
	assert_int_equal(provider_telnyx.join(&ref, "", &out, &perr), DL_ERR_INVALID);
}

static void
test_dial_fields(void **state)
{
	struct provider_error perr;
	char leg[PROVIDER_SID_MAX];
	const cJSON *req, *t;
	cJSON *all;

	(void)state;
	dial(PROSPECT, 1, 1, leg, &perr, DL_OK);
	assert_memory_equal(leg, "v3:", 3);
	assert_int_equal(fake_count("POST", "/v2/calls", &all, &req), 1);
	assert_non_null(req);
	assert_int_equal(cJSON_GetArraySize(req), 9);
	assert_str_field(req, "connection_id", CONNECTION_ID);
	assert_str_field(req, "to", PROSPECT);
	assert_str_field(req, "from", CALLER_ID);
	assert_str_field(req, "webhook_url", STATUS_URL);
	assert_str_field(req, "webhook_url_method", "POST");
	assert_str_field(req, "client_state", "NDI="); /* base64("42") */
	assert_str_field(req, "answering_machine_detection", "detect");
	assert_str_field(req, "record", "record-from-answer");
	t = cJSON_GetObjectItemCaseSensitive(req, "timeout_secs");
	assert_true(cJSON_IsNumber(t) && t->valueint == 30);
	cJSON_Delete(all);

	/* Neither detection nor recording: not even mentioned. */
	fake_reset();
	dial(PROSPECT, 0, 0, leg, &perr, DL_OK);
	assert_int_equal(fake_count("POST", "/v2/calls", &all, &req), 1);
	assert_int_equal(cJSON_GetArraySize(req), 7);
	assert_null(cJSON_GetObjectItemCaseSensitive(req, "answering_machine_detection"));
	assert_null(cJSON_GetObjectItemCaseSensitive(req, "record"));
	cJSON_Delete(all);
}

static void
test_dial_error_mapping(void **state)
{
	struct provider_error perr;
	char leg[PROVIDER_SID_MAX];
	cJSON *all;

	(void)state;
	dial("12025550143", 0, 0, leg, &perr, DL_ERR_INVALID);
	assert_string_equal(leg, "");
	assert_int_equal(perr.http_status, 422);
	assert_string_equal(perr.code, "10016");
	assert_string_equal(perr.reason, "invalid_number");
	assert_non_null(strstr(perr.message, "Phone number must be in +E164 format: "));
	/* A 5xx on a dial: never repeated, and nothing about the number. */
	fake_fault("POST", "/v2/calls$", 1, "status", 503, 0);
	dial(PROSPECT, 0, 0, leg, &perr, DL_ERR_IO);
	assert_int_equal(perr.http_status, 503);
	assert_string_equal(perr.code, "10007");
	assert_string_equal(perr.reason, "");
	assert_int_equal(fake_count("POST", "/v2/calls", &all, NULL), 2);
	cJSON_Delete(all);
	/* No caller id: nothing sent. */
	unsetenv("TELNYX_CALLER_ID");
	config_reset();
	assert_int_equal(config_load(), DL_OK);
	dial(PROSPECT, 0, 0, leg, &perr, DL_ERR_CONFIG);
	set_env();
	config_reset();
	assert_int_equal(config_load(), DL_OK);
	assert_int_equal(fake_count("POST", "/v2/calls", &all, NULL), 2);
	cJSON_Delete(all);
}

/* A plain rewindable POST (what libcurl does with POSTFIELDS) on a reused
 * connection the fake closes after acting: how many times did it arrive? */
static int
naive_post_count(void)
{
	struct fakectl_resp r = { NULL, 0 };
	struct curl_slist *hdr = NULL;
	char url[160], get[200];
	cJSON *all;
	CURL *h;
	int n;

	snprintf(url, sizeof(url), "%s/calls", fake_api);
	snprintf(get, sizeof(get), "%s/calls/v3:none", fake_api);
	h = curl_easy_init();
	assert_non_null(h);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Authorization: Bearer " API_KEY);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fakectl_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(h, CURLOPT_URL, get);
	curl_easy_perform(h); /* a 404: the connection stays open */
	fake_fault("POST", "/v2/calls$", 1, "close_after", 0, 0);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{\"connection_id\":\"" CONNECTION_ID
	    "\",\"to\":\"" PROSPECT "\",\"from\":\"" CALLER_ID "\"}");
	curl_easy_perform(h);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	free(r.s);
	n = fake_count("POST", "/v2/calls", &all, NULL);
	cJSON_Delete(all);
	return n;
}

/* The connection dies after Telnyx acted: a repeat would ring twice. The
 * dial goes out on a connection already used once (a status fetch first),
 * as it would in a long-lived FastCGI process. */
static void
test_dial_never_retried(void **state)
{
	struct provider_error perr;
	struct provider_status ps;
	struct provider_ref ref;
	char leg[PROVIDER_SID_MAX], first[PROVIDER_SID_MAX];
	cJSON *all;

	(void)state;
	/* What the fault does to a plain POST: libcurl resends it. */
	assert_int_equal(naive_post_count(), 2);
	fake_reset();
	dial(PROSPECT, 0, 0, first, &perr, DL_OK);
	memset(&ref, 0, sizeof(ref));
	ref.call_sid = first;
	assert_int_equal(provider_telnyx.status(&ref, &ps, &perr), DL_OK);
	fake_fault("POST", "/v2/calls$", 1, "close_after", 0, 0);
	dial(PROSPECT, 0, 0, leg, &perr, DL_ERR_IO);
	assert_int_equal(perr.http_status, 0);
	assert_string_equal(leg, "");
	assert_int_equal(fake_count("POST", "/v2/calls", &all, NULL), 2); /* first + this one */
	cJSON_Delete(all);
}

static void
test_admit_answers_and_makes_the_room(void **state)
{
	struct room r;
	struct provider_event ev;
	struct provider_reply reply;
	struct provider_ref ref;
	const cJSON *req, *v;
	cJSON *all, *st;
	char path[256];

	(void)state;
	admit_operator(&r);
	snprintf(path, sizeof(path), "/calls/%s/actions/answer", r.op);
	assert_int_equal(fake_count("POST", path, &all, &req), 1);
	assert_str_field(req, "client_state", "Nw=="); /* base64("7") */
	assert_str_field(req, "webhook_url", CONF_URL);
	assert_str_field(req, "webhook_url_method", "POST");
	cJSON_Delete(all);
	assert_int_equal(fake_count("POST", "/v2/conferences", &all, &req), 1);
	assert_str_field(req, "call_control_id", r.op);
	assert_str_field(req, "name", CONF_NAME);
	assert_str_field(req, "beep_enabled", "never");
	v = cJSON_GetObjectItemCaseSensitive(req, "start_conference_on_create");
	assert_true(cJSON_IsTrue(v));
	cJSON_Delete(all);
	st = ctl("/_fake/state", NULL);
	v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "conferences"), 0);
	assert_str_field(v, "id", r.conf);
	assert_str_field(v, "status", "in_progress");
	cJSON_Delete(st);

	/* The same event delivered again: the same room, nothing new. */
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.call_sid, r.op, strlen(r.op) + 1);
	memset(&ref, 0, sizeof(ref));
	ref.call_id = 7;
	ref.conference_name = CONF_NAME;
	memset(&reply, 0, sizeof(reply));
	assert_int_equal(provider_telnyx.admit(&ev, &ref, CONF_URL, &reply), DL_OK);
	assert_string_equal(reply.conference_sid, r.conf);
	st = ctl("/_fake/state", NULL);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "conferences")), 1);
	cJSON_Delete(st);
}

static void
test_admit_refuses(void **state)
{
	struct provider_event ev;
	struct provider_reply reply;
	const cJSON *req;
	cJSON *all;
	char leg[PROVIDER_SID_MAX], path[256];

	(void)state;
	fake_incoming(leg);
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.call_sid, leg, strlen(leg) + 1);
	memset(&reply, 0, sizeof(reply));
	assert_int_equal(provider_telnyx.admit(&ev, NULL, NULL, &reply), DL_OK);
	assert_string_equal(reply.content_type, "");
	assert_string_equal(reply.conference_sid, "");
	snprintf(path, sizeof(path), "/calls/%s/actions/reject", leg);
	assert_int_equal(fake_count("POST", path, &all, &req), 1);
	assert_int_equal(cJSON_GetArraySize(req), 1);
	assert_str_field(req, "cause", "CALL_REJECTED");
	cJSON_Delete(all);
	assert_int_equal(fake_count("POST", "/actions/answer", &all, NULL), 0);
	cJSON_Delete(all);
	assert_int_equal(fake_count("POST", "/v2/conferences", &all, NULL), 0);
	cJSON_Delete(all);
}

static void
test_answered_joins(void **state)
{
	struct room r;
	const cJSON *req, *v;
	cJSON *all;
	char path[256];

	(void)state;
	full_room(&r);
	snprintf(path, sizeof(path), "/conferences/%s/actions/join", r.conf);
	assert_int_equal(fake_count("POST", path, &all, &req), 1);
	assert_str_field(req, "call_control_id", r.prospect);
	assert_str_field(req, "beep_enabled", "never");
	v = cJSON_GetObjectItemCaseSensitive(req, "end_conference_on_exit");
	assert_true(cJSON_IsTrue(v));
	cJSON_Delete(all);
}

/* The seed's order: the prospect answered first and makes the room. */
static void
test_answered_prospect_first(void **state)
{
	struct provider_error perr;
	struct provider_ref ref;
	char leg[PROVIDER_SID_MAX];
	const cJSON *req;
	cJSON *all;

	(void)state;
	dial(PROSPECT, 0, 0, leg, &perr, DL_OK);
	fake_set_state(leg, "answered");
	memset(&ref, 0, sizeof(ref));
	ref.call_id = 42;
	ref.conference_name = CONF_NAME;
	ref.call_sid = leg;
	assert_int_equal(provider_telnyx.answered(&ref, &perr), DL_OK);
	assert_int_equal(fake_count("POST", "/v2/conferences", &all, &req), 1);
	assert_str_field(req, "call_control_id", leg);
	assert_str_field(req, "name", CONF_NAME);
	cJSON_Delete(all);
	ref.call_sid = NULL;
	assert_int_equal(provider_telnyx.answered(&ref, &perr), DL_ERR_INVALID);
}

static void
test_mute_and_hold(void **state)
{
	struct room r;
	struct provider_ref ref;
	struct provider_error perr;
	const cJSON *req;
	cJSON *all;
	char path[256];

	(void)state;
	full_room(&r);
	room_ref(&r, &ref);
	memset(&perr, 0, sizeof(perr));
	assert_int_equal(provider_telnyx.mute(&ref, PROVIDER_OPERATOR, 1, &perr), DL_OK);
	snprintf(path, sizeof(path), "/conferences/%s/actions/mute", r.conf);
	assert_int_equal(fake_count("POST", path, &all, &req), 1);
	assert_one_id(req, "call_control_ids", r.op);
	cJSON_Delete(all);
	assert_int_equal(provider_telnyx.mute(&ref, PROVIDER_CONTACT, 0, &perr), DL_OK);
	snprintf(path, sizeof(path), "/conferences/%s/actions/unmute", r.conf);
	assert_int_equal(fake_count("POST", path, &all, &req), 1);
	assert_one_id(req, "call_control_ids", r.prospect);
	cJSON_Delete(all);
	assert_int_equal(provider_telnyx.hold(&ref, 1, &perr), DL_OK);
	snprintf(path, sizeof(path), "/conferences/%s/actions/hold", r.conf);
	assert_int_equal(fake_count("POST", path, &all, &req), 1);
	assert_one_id(req, "call_control_ids", r.prospect);
	cJSON_Delete(all);
	assert_int_equal(provider_telnyx.hold(&ref, 0, &perr), DL_OK);
	snprintf(path, sizeof(path), "/conferences/%s/actions/unhold", r.conf);
	assert_int_equal(fake_count("POST", path, &all, &req), 1);
	assert_one_id(req, "call_control_ids", r.prospect);
	cJSON_Delete(all);
	/* No room known: nothing to address. */
	ref.conference_sid = NULL;
	assert_int_equal(provider_telnyx.mute(&ref, PROVIDER_OPERATOR, 1, &perr), DL_ERR_INVALID);
}

static void
test_mute_retried_after_503_with_retry_after(void **state)
{
	struct room r;
	struct provider_ref ref;
	struct provider_error perr;
	struct timespec t0, t1;
	cJSON *all;
	double took;

	(void)state;
	full_room(&r);
	room_ref(&r, &ref);
	fake_fault("POST", "/actions/mute$", 1, "status", 503, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(provider_telnyx.mute(&ref, PROVIDER_OPERATOR, 1, &perr), DL_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(took >= 0.9); /* Retry-After: 1 */
	assert_int_equal(fake_count("POST", "/actions/mute", &all, NULL), 2);
	cJSON_Delete(all);

	/* A 422 is an answer: never repeated. */
	fake_reset();
	full_room(&r);
	room_ref(&r, &ref);
	memset(&perr, 0, sizeof(perr));
	fake_fault("POST", "/actions/mute$", 1, "status", 422, 0);
	assert_int_equal(provider_telnyx.mute(&ref, PROVIDER_OPERATOR, 1, &perr), DL_ERR_INVALID);
	assert_int_equal(perr.http_status, 422);
	assert_string_equal(perr.code, "10015");
	assert_int_equal(fake_count("POST", "/actions/mute", &all, NULL), 1);
	cJSON_Delete(all);

	/* Five 503s: three attempts, then the error. */
	fake_fault("POST", "/actions/mute$", 5, "status", 503, 0);
	assert_int_equal(provider_telnyx.mute(&ref, PROVIDER_OPERATOR, 1, &perr), DL_ERR_IO);
	assert_int_equal(perr.http_status, 503);
	assert_string_equal(perr.code, "10007");
	assert_int_equal(fake_count("POST", "/actions/mute", &all, NULL), 4);
	cJSON_Delete(all);
}

static void
test_end_hangs_up_both(void **state)
{
	struct room r;
	struct provider_ref ref;
	struct provider_error perr;
	const cJSON *req;
	cJSON *all;
	char path[256];

	(void)state;
	full_room(&r);
	room_ref(&r, &ref);
	memset(&perr, 0, sizeof(perr));
	/* The operator's leg is gone already (hung up in the browser). */
	fake_set_state(r.op, "hangup");
	assert_int_equal(provider_telnyx.end(&ref, &perr), DL_OK);
	snprintf(path, sizeof(path), "/calls/%s/actions/hangup", r.prospect);
	assert_int_equal(fake_count("POST", path, &all, &req), 1);
	assert_non_null(req);
	assert_int_equal(cJSON_GetArraySize(req), 0); /* {} */
	cJSON_Delete(all);
	snprintf(path, sizeof(path), "/calls/%s/actions/hangup", r.op);
	assert_int_equal(fake_count("POST", path, &all, NULL), 1);
	cJSON_Delete(all);
	/* Again: both gone, still done. */
	assert_int_equal(provider_telnyx.end(&ref, &perr), DL_OK);
	/* A leg Telnyx forgot counts as gone too. */
	snprintf(path, sizeof(path), "/_fake/calls/%s", r.op);
	cJSON_Delete(ctl("/_fake/reset", "{}"));
	assert_int_equal(provider_telnyx.end(&ref, &perr), DL_OK);
	/* A 5xx is not swallowed. */
	fake_fault("POST", "/actions/hangup$", 9, "status", 500, 0);
	assert_int_equal(provider_telnyx.end(&ref, &perr), DL_ERR_IO);
	assert_int_equal(perr.http_status, 500);
	memset(&ref, 0, sizeof(ref));
	assert_int_equal(provider_telnyx.end(&ref, &perr), DL_ERR_INVALID);
}

static void
test_status(void **state)
{
	struct provider_error perr;
	struct provider_status ps;
	struct provider_ref ref;
	char leg[PROVIDER_SID_MAX];
	struct timespec ts = { 1, 150 * 1000000L };

	(void)state;
	dial(PROSPECT, 0, 0, leg, &perr, DL_OK);
	memset(&ref, 0, sizeof(ref));
	ref.call_sid = leg;
	assert_int_equal(provider_telnyx.status(&ref, &ps, &perr), DL_OK);
	assert_int_equal(ps.status, CALL_RINGING);
	assert_int_equal(ps.duration_s, -1);
	fake_set_state(leg, "answered");
	nanosleep(&ts, NULL);
	assert_int_equal(provider_telnyx.status(&ref, &ps, &perr), DL_OK);
	assert_int_equal(ps.status, CALL_IN_PROGRESS);
	assert_true(ps.duration_s >= 1);
	fake_set_state(leg, "hangup");
	assert_int_equal(provider_telnyx.status(&ref, &ps, &perr), DL_OK);
	assert_int_equal(ps.status, CALL_COMPLETED);
	assert_true(ps.duration_s >= 1);
	/* A malformed answer is an I/O failure, not a status. */
	fake_fault("GET", "/v2/calls/", 1, "malformed", 200, 0);
	assert_int_equal(provider_telnyx.status(&ref, &ps, &perr), DL_ERR_IO);
	ref.call_sid = "v3:bad/../id";
	assert_int_equal(provider_telnyx.status(&ref, &ps, &perr), DL_ERR_INVALID);
}

static void
test_connection_reused(void **state)
{
	struct provider_ref ref;
	struct provider_status ps;
	struct provider_error perr;
	char leg[PROVIDER_SID_MAX];
	const cJSON *n;
	cJSON *stats;
	int i;

	(void)state;
	dial(PROSPECT, 0, 0, leg, &perr, DL_OK);
	memset(&ref, 0, sizeof(ref));
	ref.call_sid = leg;
	for (i = 0; i < 20; i++)
		assert_int_equal(provider_telnyx.status(&ref, &ps, &perr), DL_OK);
	stats = ctl("/_fake/stats", NULL);
	n = cJSON_GetObjectItemCaseSensitive(stats, "requests");
	assert_true(cJSON_IsNumber(n));
	assert_int_equal((int)n->valuedouble, 21);
	n = cJSON_GetObjectItemCaseSensitive(stats, "connections");
	assert_true(cJSON_IsNumber(n) && n->valuedouble <= 2);
	cJSON_Delete(stats);
}

/* ---- webhook tests ---------------------------------------------------------- */

static void
test_webhook_call_events(void **state)
{
	static const struct {
		const char *cause;
		enum call_status want;
	} causes[] = {
		{ "normal_clearing", CALL_COMPLETED }, { "user_busy", CALL_BUSY },
		{ "call_rejected", CALL_BUSY }, { "timeout", CALL_NO_ANSWER },
		{ "no_answer", CALL_NO_ANSWER }, { "originator_cancel", CALL_CANCELED },
		{ "not_found", CALL_FAILED }, { "unspecified", CALL_FAILED },
	};
	struct provider_event ev;
	char body[2048], payload[1024];
	size_t i;

	(void)state;
	/* The browser's leg, naming our room in a custom header. */
	event_body(body, sizeof(body), "call.initiated", "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
	    "{\"call_control_id\":\"v3:op-leg_1\",\"direction\":\"incoming\","
	    "\"from\":\"sip:operator@sip.telnyx.com\",\"to\":\"sip:dialer@sip.telnyx.com\","
	    "\"custom_headers\":[{\"name\":\"X-Other\",\"value\":\"cd-no\"},"
	    "{\"name\":\"X-Conference\",\"value\":\"" CONF_NAME "\"}]}");
	assert_int_equal(deliver("events", body, &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_OPERATOR_CONNECT);
	assert_string_equal(ev.call_sid, "v3:op-leg_1");
	assert_string_equal(ev.conference_name, CONF_NAME);
	assert_string_equal(ev.identity, "");
	assert_string_equal(ev.key, "telnyx:0ccc7b54-4df3-4bca-a65a-3da1ecc777f0");
	assert_string_equal(ev.name, "call.initiated");
	/* ... or as the user part of its destination. */
	event_body(body, sizeof(body), "call.initiated", "e1",
	    "{\"call_control_id\":\"v3:op-leg_1\",\"direction\":\"incoming\","
	    "\"to\":\"sip:" CONF_NAME "@sip.telnyx.com\"}");
	assert_int_equal(deliver("events", body, &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_OPERATOR_CONNECT);
	assert_string_equal(ev.conference_name, CONF_NAME);
	/* ... or not at all: the caller refuses it. */
	event_body(body, sizeof(body), "call.initiated", "e2",
	    "{\"call_control_id\":\"v3:op-leg_1\",\"direction\":\"incoming\","
	    "\"to\":\"sip:dialer@sip.telnyx.com\"}");
	assert_int_equal(deliver("events", body, &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_OPERATOR_CONNECT);
	assert_string_equal(ev.conference_name, "");

	event_body(body, sizeof(body), "call.initiated", "e3",
	    "{\"call_control_id\":\"v3:prospect\",\"direction\":\"outgoing\",\"to\":\"" PROSPECT "\"}");
	assert_int_equal(deliver("call-status", body, &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_LEG_STATUS);
	assert_int_equal(ev.status, CALL_INITIATED);
	assert_string_equal(ev.call_sid, "v3:prospect");
	assert_int_equal(ev.duration_s, -1);

	event_body(body, sizeof(body), "call.answered", "e4", "{\"call_control_id\":\"v3:prospect\"}");
	assert_int_equal(deliver("call-status", body, &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_LEG_STATUS);
	assert_int_equal(ev.status, CALL_IN_PROGRESS);

	for (i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		snprintf(payload, sizeof(payload), "{\"call_control_id\":\"v3:prospect\","
		    "\"hangup_cause\":\"%s\",\"hangup_source\":\"callee\"}", causes[i].cause);
		event_body(body, sizeof(body), "call.hangup", "e5", payload);
		assert_int_equal(deliver("call-status", body, &ev), DL_OK);
		assert_int_equal(ev.type, PROVIDER_EV_LEG_STATUS);
		if (ev.status != causes[i].want)
			fprintf(stderr, "cause %s\n", causes[i].cause);
		assert_int_equal(ev.status, causes[i].want);
		assert_string_equal(ev.name, "call.hangup");
	}

	event_body(body, sizeof(body), "call.machine.detection.ended", "e6",
	    "{\"call_control_id\":\"v3:prospect\",\"result\":\"machine\"}");
	assert_int_equal(deliver("call-status", body, &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_IGNORED);
	assert_string_equal(ev.key, "telnyx:e6");
	event_body(body, sizeof(body), "call.bridged", "e7", "{\"call_control_id\":\"v3:prospect\"}");
	assert_int_equal(deliver("call-status", body, &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_IGNORED);

	/* A leg event without its leg is malformed. */
	event_body(body, sizeof(body), "call.answered", "e8", "{}");
	assert_int_equal(deliver("call-status", body, &ev), DL_ERR_INVALID);
}

static void
test_webhook_conference_events(void **state)
{
	static const struct {
		const char *type;
		enum provider_event_type want;
	} cases[] = {
		{ "conference.created", PROVIDER_EV_CONFERENCE_START },
		{ "conference.participant.joined", PROVIDER_EV_PARTICIPANT_JOIN },
		{ "conference.participant.left", PROVIDER_EV_PARTICIPANT_LEAVE },
		{ "conference.ended", PROVIDER_EV_CONFERENCE_END },
		{ "conference.speak.started", PROVIDER_EV_IGNORED },
		{ "conference.floor.changed", PROVIDER_EV_IGNORED },
	};
	struct provider_event ev;
	char body[2048];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		event_body(body, sizeof(body), cases[i].type, "c1",
		    "{\"call_control_id\":\"v3:op-leg_1\",\"conference_id\":"
		    "\"41b9acd4-f4da-4ff5-a85c-e07e90b53f46\"}");
		assert_int_equal(deliver("conference-status", body, &ev), DL_OK);
		assert_int_equal(ev.type, cases[i].want);
		assert_string_equal(ev.name, cases[i].type);
		if (cases[i].want == PROVIDER_EV_IGNORED)
			continue;
		assert_string_equal(ev.conference_sid, "41b9acd4-f4da-4ff5-a85c-e07e90b53f46");
		assert_string_equal(ev.conference_name, "");
		if (cases[i].want == PROVIDER_EV_PARTICIPANT_JOIN ||
		    cases[i].want == PROVIDER_EV_PARTICIPANT_LEAVE)
			assert_string_equal(ev.call_sid, "v3:op-leg_1");
	}
	/* A name, when given, is read. */
	event_body(body, sizeof(body), "conference.created", "c2",
	    "{\"conference_id\":\"41b9acd4\",\"name\":\"" CONF_NAME "\"}");
	assert_int_equal(deliver("events", body, &ev), DL_OK);
	assert_string_equal(ev.conference_name, CONF_NAME);
	/* Without the conference, or a join without its leg: malformed. */
	event_body(body, sizeof(body), "conference.created", "c3", "{\"call_control_id\":\"v3:x\"}");
	assert_int_equal(deliver("events", body, &ev), DL_ERR_INVALID);
	event_body(body, sizeof(body), "conference.participant.joined", "c4",
	    "{\"conference_id\":\"41b9acd4\"}");
	assert_int_equal(deliver("events", body, &ev), DL_ERR_INVALID);
}

/* Events as the fake builds them, signed by the fake's own key
 * (python-cryptography): verified here by OpenSSL. */
static void
test_webhook_fake_signed(void **state)
{
	static const char *const types[] = { "call.initiated", "call.answered", "call.hangup" };
	static const enum provider_event_type want[] = {
		PROVIDER_EV_OPERATOR_CONNECT, PROVIDER_EV_LEG_STATUS, PROVIDER_EV_LEG_STATUS
	};
	struct provider_event ev;
	char leg[PROVIDER_SID_MAX], req[512], ts[24];
	const cJSON *sent, *sig, *t;
	cJSON *res;
	size_t i;

	(void)state;
	use_public_key(fake_pub);
	fake_incoming(leg);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		/* Delivered to a closed port: the fake still says what it signed. */
		snprintf(req, sizeof(req), "{\"url\":\"http://127.0.0.1:9/x\",\"timeout\":2,"
		    "\"build\":{\"event_type\":\"%s\",\"call_control_id\":\"%s\",\"payload\":"
		    "{\"custom_headers\":[{\"name\":\"X-Conference\",\"value\":\"" CONF_NAME "\"}]}}}",
		    types[i], leg);
		res = ctl("/_fake/callback", req);
		sent = cJSON_GetObjectItemCaseSensitive(res, "sent");
		sig = cJSON_GetObjectItemCaseSensitive(res, "signature");
		t = cJSON_GetObjectItemCaseSensitive(res, "timestamp");
		assert_true(cJSON_IsString(sent) && cJSON_IsString(sig) && cJSON_IsNumber(t));
		snprintf(ts, sizeof(ts), "%.0f", t->valuedouble);
		assert_int_equal(deliver_raw("events", "application/json", sent->valuestring,
		    sig->valuestring, ts, 0, &ev), DL_OK);
		assert_int_equal(ev.type, want[i]);
		assert_string_equal(ev.call_sid, leg);
		if (i == 0)
			assert_string_equal(ev.conference_name, CONF_NAME);
		/* Our key does not verify the fake's signature. */
		use_public_key(our_pub);
		assert_int_equal(deliver_raw("events", "application/json", sent->valuestring,
		    sig->valuestring, ts, 0, &ev), DL_ERR_AUTH);
		use_public_key(fake_pub);
		cJSON_Delete(res);
	}
	/* Tampered after signing, by the fake. */
	snprintf(req, sizeof(req), "{\"url\":\"http://127.0.0.1:9/x\",\"timeout\":2,\"tamper\":true,"
	    "\"build\":{\"event_type\":\"call.answered\",\"call_control_id\":\"%s\"}}", leg);
	res = ctl("/_fake/callback", req);
	sent = cJSON_GetObjectItemCaseSensitive(res, "sent");
	sig = cJSON_GetObjectItemCaseSensitive(res, "signature");
	t = cJSON_GetObjectItemCaseSensitive(res, "timestamp");
	snprintf(ts, sizeof(ts), "%.0f", t->valuedouble);
	assert_int_equal(deliver_raw("events", "application/json", sent->valuestring,
	    sig->valuestring, ts, 0, &ev), DL_ERR_AUTH);
	cJSON_Delete(res);
	use_public_key(our_pub);
}

static void
test_webhook_rejections(void **state)
{
	struct provider_event ev;
	char body[1024], tampered[1024], ts[24], stale[24], sig[96], wrong[96], bad[96];
	long long now = (long long)time(NULL);
	char *p;

	(void)state;
	event_body(body, sizeof(body), "call.answered", "r1", "{\"call_control_id\":\"v3:prospect\"}");
	snprintf(ts, sizeof(ts), "%lld", now);
	sign(our_key, ts, body, sig, sizeof(sig));
	assert_int_equal(deliver_raw("call-status", "application/json", body, sig, ts, 0, &ev),
	    DL_OK);
	/* The clock injected: judged by in->now_unix. */
	assert_int_equal(deliver_raw("call-status", "application/json", body, sig, ts, now + 299,
	    &ev), DL_OK);
	assert_int_equal(deliver_raw("call-status", "application/json", body, sig, ts, now + 301,
	    &ev), DL_ERR_AUTH);
	/* Tampered body: one character. */
	memcpy(tampered, body, strlen(body) + 1);
	p = strstr(tampered, "prospect");
	p[0] = 'P';
	assert_int_equal(deliver_raw("call-status", "application/json", tampered, sig, ts, 0, &ev),
	    DL_ERR_AUTH);
	/* Signed with another key. */
	sign(other_key, ts, body, wrong, sizeof(wrong));
	assert_int_equal(deliver_raw("call-status", "application/json", body, wrong, ts, 0, &ev),
	    DL_ERR_AUTH);
	/* A stale timestamp, correctly signed (a replay), and one from the future. */
	snprintf(stale, sizeof(stale), "%lld", now - 301);
	sign(our_key, stale, body, bad, sizeof(bad));
	assert_int_equal(deliver_raw("call-status", "application/json", body, bad, stale, 0, &ev),
	    DL_ERR_AUTH);
	snprintf(stale, sizeof(stale), "%lld", now + 400);
	sign(our_key, stale, body, bad, sizeof(bad));
	assert_int_equal(deliver_raw("call-status", "application/json", body, bad, stale, 0, &ev),
	    DL_ERR_AUTH);
	/* The signature's timestamp is not the header's. */
	snprintf(stale, sizeof(stale), "%lld", now - 1);
	assert_int_equal(deliver_raw("call-status", "application/json", body, sig, stale, 0, &ev),
	    DL_ERR_AUTH);
	/* Missing headers. */
	assert_int_equal(deliver_raw("call-status", "application/json", body, NULL, ts, 0, &ev),
	    DL_ERR_AUTH);
	assert_int_equal(deliver_raw("call-status", "application/json", body, sig, NULL, 0, &ev),
	    DL_ERR_AUTH);
	assert_int_equal(deliver_raw("call-status", "application/json", body, "", ts, 0, &ev),
	    DL_ERR_AUTH);
	/* Bad base64, and a signature of the wrong length. */
	assert_int_equal(deliver_raw("call-status", "application/json", body, "!!not*base64!!", ts, 0,
	    &ev), DL_ERR_AUTH);
	assert_int_equal(deliver_raw("call-status", "application/json", body, "AAAA", ts, 0, &ev),
	    DL_ERR_AUTH);
	assert_int_equal(deliver_raw("call-status", "application/json", body, sig, "12x", 0, &ev),
	    DL_ERR_AUTH);
	/* Wrong media type, unknown kind: before any signature. */
	assert_int_equal(deliver_raw("call-status", "application/x-www-form-urlencoded", body, sig,
	    ts, 0, &ev), DL_ERR_UNSUPPORTED);
	assert_int_equal(deliver_raw("voice", "application/json", body, sig, ts, 0, &ev),
	    DL_ERR_NOTFOUND);
	/* Signed, but not JSON, or JSON without an event. */
	assert_int_equal(deliver("events", "{\"data\":{\"event_type\":", &ev), DL_ERR_INVALID);
	assert_int_equal(deliver("events", "[]", &ev), DL_ERR_INVALID);
	assert_int_equal(deliver("events", "{\"data\":{\"event_type\":\"call.answered\"}}", &ev),
	    DL_ERR_INVALID);
	/* Our own key unusable: a configuration error, not the sender's. */
	use_public_key("c2hvcnQ=");
	assert_int_equal(deliver_raw("call-status", "application/json", body, sig, ts, 0, &ev),
	    DL_ERR_CONFIG);
	use_public_key(our_pub);
}

/* ---- recording ------------------------------------------------------------ */

/* A dialed, recorded prospect who answered; their leg. */
static void
answered_prospect(char leg[PROVIDER_SID_MAX])
{
	struct provider_error perr;

	dial(PROSPECT, 0, 1, leg, &perr, DL_OK);
	fake_set_state(leg, "answered");
}

static void
consent_ref(struct provider_ref *ref, const char *leg)
{
	memset(ref, 0, sizeof(*ref));
	ref->call_id = 42;
	ref->conference_name = CONF_NAME;
	ref->call_sid = leg;
	ref->recorded = 1;
}

static void
test_consent_speak_or_play(void **state)
{
	struct provider_consent consent = { "Recorded & kept.", NULL, NULL };
	struct provider_error perr;
	struct provider_ref ref;
	char leg[PROVIDER_SID_MAX], path[256], b64[16];
	const cJSON *body;
	cJSON *all;

	(void)state;
	answered_prospect(leg);
	consent_ref(&ref, leg);
	assert_int_equal(provider_telnyx.consent(&ref, &consent, &perr), DL_OK);
	snprintf(path, sizeof(path), "/calls/%s/actions/speak", leg);
	assert_int_equal(fake_count("POST", path, &all, &body), 1);
	assert_str_field(body, "payload", "Recorded & kept.");
	assert_str_field(body, "payload_type", "text");
	assert_str_field(body, "voice", "female");
	assert_str_field(body, "language", "en-US");
	assert_str_field(body, "command_id", "consent-42");
	assert_int_equal(secure_b64("42", 2, b64, sizeof(b64)), DL_OK);
	assert_str_field(body, "client_state", b64);
	cJSON_Delete(all);
	/* The audio instead: played, its type said when it is a WAV. */
	consent.url = "https://media.example.com/consent.WAV?v=2";
	assert_int_equal(provider_telnyx.consent(&ref, &consent, &perr), DL_OK);
	snprintf(path, sizeof(path), "/calls/%s/actions/playback_start", leg);
	assert_int_equal(fake_count("POST", path, &all, &body), 1);
	assert_str_field(body, "audio_url", "https://media.example.com/consent.WAV?v=2");
	assert_str_field(body, "audio_type", "wav");
	assert_null(cJSON_GetObjectItemCaseSensitive(body, "payload"));
	cJSON_Delete(all);
	consent.url = "https://media.example.com/consent.mp3?as=.wav";
	assert_int_equal(provider_telnyx.consent(&ref, &consent, &perr), DL_OK);
	assert_int_equal(fake_count("POST", path, &all, &body), 2);
	assert_null(cJSON_GetObjectItemCaseSensitive(body, "audio_type"));
	cJSON_Delete(all);
	/* A leg that has not answered cannot hear it: Telnyx's refusal. */
	dial(PROSPECT, 0, 1, leg, &perr, DL_OK);
	consent_ref(&ref, leg);
	assert_int_equal(provider_telnyx.consent(&ref, &consent, &perr), DL_ERR_INVALID);
	assert_string_equal(perr.code, "90034");
	ref.call_sid = "not an id";
	assert_int_equal(provider_telnyx.consent(&ref, &consent, &perr), DL_ERR_INVALID);
	/* Nothing announced at all: Telnyx has no document to ask for. */
	{
		struct provider_reply r;

		assert_int_equal(provider_telnyx.announce(&consent, &r), DL_ERR_UNSUPPORTED);
	}
}

static enum dl_err
fetch(const char *leg, const char *sid, long long max, struct tu_got *g)
{
	struct provider_recording rec = { sid, "", 9 };
	struct provider_sink sink = { tu_got_begin, tu_got_write, g, max };
	struct provider_error perr;
	struct provider_ref ref;

	consent_ref(&ref, leg);
	memset(&perr, 0, sizeof(perr));
	memset(g, 0, sizeof(*g));
	return provider_telnyx.fetch_recording(&ref, &rec, &sink, &perr);
}

static void
test_fetch_recording(void **state)
{
	static const unsigned char media[] = "ID3\x04\x00 a recording of the call";
	char leg[PROVIDER_SID_MAX], req[256], b64[128], id[64], legid[64];
	const cJSON *q, *dl, *h, *f;
	cJSON *j, *all;
	struct tu_got g;

	(void)state;
	answered_prospect(leg);
	assert_int_equal(secure_b64(media, sizeof(media) - 1, b64, sizeof(b64)), DL_OK);
	snprintf(req, sizeof(req), "{\"call_control_id\":\"%s\",\"media_b64\":\"%s\"}", leg, b64);
	j = ctl("/_fake/recordings", req);
	snprintf(id, sizeof(id), "%s", cJSON_GetObjectItemCaseSensitive(j, "id")->valuestring);
	snprintf(legid, sizeof(legid), "%s",
	    cJSON_GetObjectItemCaseSensitive(j, "call_leg_id")->valuestring);
	cJSON_Delete(j);
	/* Found by the leg call.recording.saved names, or by its own id. */
	assert_int_equal(fetch(leg, legid, 1 << 20, &g), DL_OK);
	assert_string_equal(g.type, "audio/mpeg");
	assert_int_equal(g.length, (long long)sizeof(media) - 1);
	assert_int_equal(g.len, sizeof(media) - 1);
	assert_memory_equal(g.bytes, media, g.len);
	free(g.bytes);
	assert_int_equal(fetch(leg, id, 1 << 20, &g), DL_OK);
	assert_int_equal(g.len, sizeof(media) - 1);
	free(g.bytes);
	/* Listed with our key, by the prospect's leg... */
	assert_int_equal(fakectl_count(fake_root, "GET", "/v2/recordings", &all, &q), 2);
	h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(q, "headers"),
	    "Authorization");
	assert_string_equal(h->valuestring, "Bearer " API_KEY);
	f = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(q, "query"),
	    "filter[call_control_id]");
	assert_true(cJSON_IsArray(f));
	assert_string_equal(cJSON_GetArrayItem(f, 0)->valuestring, leg);
	cJSON_Delete(all);
	/* ... and downloaded from the presigned URL without it. */
	j = ctl("/_fake/state", NULL);
	dl = cJSON_GetObjectItemCaseSensitive(j, "downloads");
	assert_int_equal(cJSON_GetArraySize(dl), 2);
	cJSON_ArrayForEach(q, dl) {
		assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(q, "status")->valuedouble, 200);
		assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(q,
		    "headers"), "Authorization"));
	}
	cJSON_Delete(j);
	/* Another recording, too large, not an id. */
	assert_int_equal(fetch(leg, "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0", 1 << 20, &g),
	    DL_ERR_NOTFOUND);
	assert_int_equal(fetch(leg, id, 4, &g), DL_ERR_TOOBIG);
	assert_int_equal(g.begins, 0);
	assert_int_equal(fetch(leg, "../x?y", 1 << 20, &g), DL_ERR_NOTFOUND);
	/* Storage labels a recording as mere bytes: its listed format says
	 * what it is. Anything else it says is passed on for the caller. */
	snprintf(req, sizeof(req), "{\"call_control_id\":\"%s\",\"format\":\"wav\","
	    "\"content_type\":\"binary/octet-stream\"}", leg);
	j = ctl("/_fake/recordings", req);
	snprintf(id, sizeof(id), "%s", cJSON_GetObjectItemCaseSensitive(j, "id")->valuestring);
	cJSON_Delete(j);
	assert_int_equal(fetch(leg, id, 1 << 20, &g), DL_OK);
	assert_string_equal(g.type, "audio/wav");
	free(g.bytes);
	snprintf(req, sizeof(req), "{\"call_control_id\":\"%s\",\"content_type\":\"text/html\"}",
	    leg);
	j = ctl("/_fake/recordings", req);
	snprintf(id, sizeof(id), "%s", cJSON_GetObjectItemCaseSensitive(j, "id")->valuestring);
	cJSON_Delete(j);
	assert_int_equal(fetch(leg, id, 1 << 20, &g), DL_OK);
	assert_string_equal(g.type, "text/html");
	free(g.bytes);
	/* The list fails: Telnyx's error, nothing streamed. */
	fake_fault("GET", "/recordings$", 1, "status", 401, 0);
	assert_int_equal(fetch(leg, id, 1 << 20, &g), DL_ERR_INVALID);
	assert_int_equal(g.begins, 0);
}

static void
test_webhook_consent_and_recording(void **state)
{
	static const struct {
		const char *type, *status;
		enum provider_event_type want;
	} ends[] = {
		{ "call.speak.ended", "completed", PROVIDER_EV_CONSENT_PLAYED },
		{ "call.speak.ended", "call_hangup", PROVIDER_EV_IGNORED },
		{ "call.speak.ended", "cancelled_amd", PROVIDER_EV_CONSENT_FAILED },
		{ "call.playback.ended", "completed", PROVIDER_EV_CONSENT_PLAYED },
		{ "call.playback.ended", "file_not_found", PROVIDER_EV_CONSENT_FAILED },
		{ "call.playback.ended", NULL, PROVIDER_EV_CONSENT_PLAYED },
		{ "call.speak.started", "completed", PROVIDER_EV_IGNORED },
	};
	struct provider_event ev, again;
	char body[2048], payload[1024], ts[24], sig[96];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		if (ends[i].status != NULL)
			snprintf(payload, sizeof(payload), "{\"call_control_id\":\"v3:prospect\","
			    "\"status\":\"%s\"}", ends[i].status);
		else
			snprintf(payload, sizeof(payload), "{\"call_control_id\":\"v3:prospect\"}");
		event_body(body, sizeof(body), ends[i].type, "s1", payload);
		assert_int_equal(deliver("call-status", body, &ev), DL_OK);
		assert_int_equal(ev.type, ends[i].want);
		if (ends[i].want != PROVIDER_EV_IGNORED || strcmp(ends[i].type, "call.speak.ended") == 0)
			assert_string_equal(ev.call_sid, "v3:prospect");
	}
	event_body(body, sizeof(body), "call.speak.ended", "s2", "{\"status\":\"completed\"}");
	assert_int_equal(deliver("call-status", body, &ev), DL_ERR_INVALID);

	/* call.recording.saved as the spec has it: no recording id, so the
	 * recorded leg names it; the length from its two times. */
	event_body(body, sizeof(body), "call.recording.saved", "r1",
	    "{\"call_control_id\":\"v3:prospect\",\"call_leg_id\":"
	    "\"428c31b6-7af4-4bcb-b7f5-5013ef9657c1\",\"channels\":\"single\","
	    "\"recording_started_at\":\"2026-11-24T15:00:00.250000Z\","
	    "\"recording_ended_at\":\"2026-11-24T15:01:07.900000Z\","
	    "\"recording_urls\":{\"mp3\":\"https://s3.example.com/r.mp3?X-Amz-Expires=600\","
	    "\"wav\":null},\"public_recording_urls\":{\"mp3\":null,\"wav\":null}}");
	assert_int_equal(deliver("call-status", body, &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_RECORDING);
	assert_string_equal(ev.recording_sid, "428c31b6-7af4-4bcb-b7f5-5013ef9657c1");
	assert_string_equal(ev.recording_url, "https://s3.example.com/r.mp3?X-Amz-Expires=600");
	assert_string_equal(ev.call_sid, "v3:prospect");
	assert_int_equal(ev.duration_s, 67);
	assert_string_equal(ev.key, "telnyx:r1");
	/* The same delivery again is the same event. */
	assert_int_equal(deliver("call-status", body, &again), DL_OK);
	assert_string_equal(again.key, ev.key);
	assert_string_equal(again.recording_sid, ev.recording_sid);
	/* With a recording id, that one; without times, no length; a WAV only. */
	event_body(body, sizeof(body), "call.recording.saved", "r2",
	    "{\"call_control_id\":\"v3:prospect\",\"recording_id\":\"rec-1\","
	    "\"call_leg_id\":\"leg-1\",\"recording_urls\":{\"wav\":\"https://s3.example.com/r.wav\"}}");
	assert_int_equal(deliver("call-status", body, &ev), DL_OK);
	assert_string_equal(ev.recording_sid, "rec-1");
	assert_string_equal(ev.recording_url, "https://s3.example.com/r.wav");
	assert_int_equal(ev.duration_s, -1);
	/* Times backwards, or not times: no length either. */
	event_body(body, sizeof(body), "call.recording.saved", "r3",
	    "{\"call_leg_id\":\"leg-1\",\"recording_started_at\":\"2026-11-24T15:01:00Z\","
	    "\"recording_ended_at\":\"2026-11-24T15:00:00Z\"}");
	assert_int_equal(deliver("call-status", body, &ev), DL_OK);
	assert_int_equal(ev.duration_s, -1);
	assert_string_equal(ev.recording_url, "");
	/* Nothing that names it: malformed. */
	event_body(body, sizeof(body), "call.recording.saved", "r4",
	    "{\"call_control_id\":\"v3:prospect\",\"recording_urls\":{}}");
	assert_int_equal(deliver("call-status", body, &ev), DL_ERR_INVALID);
	/* Forged: signed with another key. */
	event_body(body, sizeof(body), "call.recording.saved", "r5",
	    "{\"call_leg_id\":\"leg-1\"}");
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	sign(other_key, ts, body, sig, sizeof(sig));
	assert_int_equal(deliver_raw("call-status", "application/json", body, sig, ts, 0, &ev),
	    DL_ERR_AUTH);
}

/* call.recording.saved as the fake builds it, signed by the fake. */
static void
test_webhook_fake_recording_saved(void **state)
{
	struct provider_event ev;
	char leg[PROVIDER_SID_MAX], req[512], ts[24];
	const cJSON *sent, *sig, *t;
	cJSON *res, *rec;

	(void)state;
	use_public_key(fake_pub);
	answered_prospect(leg);
	snprintf(req, sizeof(req), "{\"call_control_id\":\"%s\",\"duration_s\":12}", leg);
	rec = ctl("/_fake/recordings", req);
	snprintf(req, sizeof(req), "{\"url\":\"http://127.0.0.1:9/x\",\"timeout\":2,"
	    "\"build\":{\"event_type\":\"call.recording.saved\",\"call_control_id\":\"%s\"}}", leg);
	res = ctl("/_fake/callback", req);
	sent = cJSON_GetObjectItemCaseSensitive(res, "sent");
	sig = cJSON_GetObjectItemCaseSensitive(res, "signature");
	t = cJSON_GetObjectItemCaseSensitive(res, "timestamp");
	assert_true(cJSON_IsString(sent) && cJSON_IsString(sig) && cJSON_IsNumber(t));
	snprintf(ts, sizeof(ts), "%.0f", t->valuedouble);
	assert_int_equal(deliver_raw("call-status", "application/json", sent->valuestring,
	    sig->valuestring, ts, 0, &ev), DL_OK);
	assert_int_equal(ev.type, PROVIDER_EV_RECORDING);
	assert_string_equal(ev.recording_sid,
	    cJSON_GetObjectItemCaseSensitive(rec, "call_leg_id")->valuestring);
	assert_string_equal(ev.call_sid, leg);
	assert_true(ev.duration_s >= 11 && ev.duration_s <= 12);
	assert_non_null(strstr(ev.recording_url, "/_media/"));
	cJSON_Delete(res);
	cJSON_Delete(rec);
	use_public_key(our_pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_factory_finds_telnyx),
		cmocka_unit_test_setup(test_join, each_setup),
		cmocka_unit_test_setup(test_dial_fields, each_setup),
		cmocka_unit_test_setup(test_dial_error_mapping, each_setup),
		cmocka_unit_test_setup(test_dial_never_retried, each_setup),
		cmocka_unit_test_setup(test_admit_answers_and_makes_the_room, each_setup),
		cmocka_unit_test_setup(test_admit_refuses, each_setup),
		cmocka_unit_test_setup(test_answered_joins, each_setup),
		cmocka_unit_test_setup(test_answered_prospect_first, each_setup),
		cmocka_unit_test_setup(test_mute_and_hold, each_setup),
		cmocka_unit_test_setup(test_mute_retried_after_503_with_retry_after, each_setup),
		cmocka_unit_test_setup(test_end_hangs_up_both, each_setup),
		cmocka_unit_test_setup(test_status, each_setup),
		cmocka_unit_test_setup(test_connection_reused, each_setup),
		cmocka_unit_test(test_webhook_call_events),
		cmocka_unit_test(test_webhook_conference_events),
		cmocka_unit_test_setup(test_webhook_fake_signed, each_setup),
		cmocka_unit_test(test_webhook_rejections),
		cmocka_unit_test_setup(test_consent_speak_or_play, each_setup),
		cmocka_unit_test_setup(test_fetch_recording, each_setup),
		cmocka_unit_test(test_webhook_consent_and_recording),
		cmocka_unit_test_setup(test_webhook_fake_recording_saved, each_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
