/*
 * /aicallgo/api/v1/cold-call/...: the seed's API, for clients written
 * against it — initiate, webrtc-join, control/mute, end, status/{sid} —
 * with the seed's field names, on the same calls, limits and providers as
 * /api/v1/calls. One difference in order is the seed's own: initiate rings
 * the prospect at once, and the browser joins the conference after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "callflow.h"
#include "calls.h"
#include "provider.h"

#define PREFIX "/aicallgo/api/v1/cold-call/"

static const char *const actions[] = { "mute", "unmute", "hold", "unhold", NULL };

/* The seed's pattern for phone fields: E.164 with its plus. */
static int
e164_shape(const char *v)
{
	size_t n = strlen(v), i;

	if (n < 3 || n > 16 || v[0] != '+' || v[1] < '1' || v[1] > '9')
		return 0;
	for (i = 2; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

static const struct valid_field initiate_fields[] = {
	{ "to_phone", VALID_STRING, 1, 3, 16, NULL, e164_shape, "an E.164 number such as +12025550143" },
	{ "from_phone", VALID_STRING, 0, 3, 16, NULL, e164_shape, "an E.164 number such as +12025550100" },
	{ "provider", VALID_STRING, 0, 1, 32, NULL, NULL, "a provider name (sim, twilio, telnyx)" },
};
static const struct valid_field join_fields[] = {
	{ "conference_id", VALID_STRING, 1, 1, 72, NULL, NULL, "the conference_id initiate returned" },
	{ "client_id", VALID_STRING, 1, 1, 128, NULL, NULL, "the browser's identifier" },
	{ "sdp_offer", VALID_STRING, 0, 0, 65536, NULL, NULL, "an SDP offer (not needed: the token is)" },
};
static const struct valid_field control_fields[] = {
	{ "conference_sid", VALID_STRING, 1, 1, 72, NULL, NULL, "the conference_sid initiate returned" },
	{ "participant_sid", VALID_STRING, 1, 1, 72, NULL, NULL, "a participant's call SID" },
	{ "action", VALID_ENUM, 1, 0, 0, actions, NULL, "mute, unmute, hold or unhold" },
	{ "value", VALID_BOOL, 0, 0, 0, NULL, NULL, "true or false" },
};
static const struct valid_field end_field =
	{ "conference_sid", VALID_STRING, 1, 1, 72, NULL, NULL, "the conference_sid initiate returned" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *
str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The seed names a conference by its SID once known, by our name before. */
static const char *
conference_sid_of(const struct call *c)
{
	return c->conference_sid[0] ? c->conference_sid : c->conference_name;
}

static void
send_obj(struct http_req *req, int status, cJSON *o)
{
	if (o == NULL) {
		app_error(req, DL_ERR_NOMEM, NULL);
		return;
	}
	http_send_json(req, status, o);
	cJSON_Delete(o);
}

/* The call behind a conference SID or name, if `who` may act on it. */
static int
load_conference(struct http_req *req, const struct app_who *who, const char *conference,
    struct call *c)
{
	enum dl_err err = calls_find_conference(conference, c);

	if (err == DL_OK && (who->role == AUTH_ADMIN || c->operator_id == who->user_id))
		return 1;
	if (err == DL_OK || err == DL_ERR_NOTFOUND)
		http_send_error(req, 404, "conference_not_found", "No such conference.", NULL);
	else
		app_error(req, err, "conference");
	return 0;
}

static void
initiate(struct http_req *req, const struct app_who *who)
{
	const char *to, *from, *prov, *key = http_header(req, "Idempotency-Key");
	char to_e164[20], from_e164[20] = "";
	struct dialrules_verdict rules;
	const struct provider *p;
	struct callflow_start s;
	cJSON *body, *o;
	enum dl_err err;

	if ((body = app_json_body(req)) == NULL)
		return;
	if (!app_valid(req, body, initiate_fields, N(initiate_fields)))
		return;
	to = str(body, "to_phone");
	from = str(body, "from_phone");
	prov = str(body, "provider");
	if (!app_idempotency_key_ok(req, key) ||
	    !app_phone(req, "to_phone", to, to_e164, sizeof(to_e164)) ||
	    (from != NULL && !app_phone(req, "from_phone", from, from_e164, sizeof(from_e164))) ||
	    !app_provider(req, prov != NULL ? prov : provider_default_name(), &p))
		return;
	memset(&s, 0, sizeof(s));
	s.in.operator_id = who->user_id;
	s.in.to_phone = to_e164;
	s.in.from_phone = from_e164[0] ? from_e164 : NULL;
	s.in.provider = p->name;
	s.in.idempotency_key = key;
	s.prospect_first = 1;
	/* The dialing rules bind the seed's clients too. */
	s.in.rules = &rules;
	if ((err = callflow_start(p, &s)) != DL_OK) {
		app_start_error(req, err, &s);
		return;
	}
	o = cJSON_CreateObject();
	if (o != NULL &&
	    (cJSON_AddStringToObject(o, "conference_sid", conference_sid_of(&s.call)) == NULL ||
	    cJSON_AddStringToObject(o, "conference_id", s.call.conference_name) == NULL ||
	    cJSON_AddStringToObject(o, "call_sid", s.call.call_sid) == NULL ||
	    cJSON_AddStringToObject(o, "access_token", s.join.token) == NULL ||
	    cJSON_AddStringToObject(o, "status", call_status_name(s.call.status)) == NULL ||
	    cJSON_AddStringToObject(o, "provider", s.call.provider) == NULL ||
	    cJSON_AddNumberToObject(o, "call_id", (double)s.call.id) == NULL)) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_obj(req, 200, o);
}

static void
webrtc_join(struct http_req *req, const struct app_who *who)
{
	struct provider_join join;
	struct provider_error perr;
	struct provider_ref ref;
	const struct provider *p;
	char identity[64];
	struct call c;
	cJSON *body, *o;
	enum dl_err err;

	if ((body = app_json_body(req)) == NULL)
		return;
	if (!app_valid(req, body, join_fields, N(join_fields)))
		return;
	if (!load_conference(req, who, str(body, "conference_id"), &c) ||
	    !app_provider(req, c.provider, &p))
		return;
	if (call_status_final(c.status)) {
		http_send_error(req, 409, "call_ended", "The call has ended.", NULL);
		return;
	}
	/* The browser joins as the call's owner, whatever client_id it names:
	 * the voice URL admits the owner's identity only. */
	callflow_identity(c.operator_id, identity, sizeof(identity));
	callflow_ref(&c, &ref);
	memset(&perr, 0, sizeof(perr));
	if ((err = p->join(&ref, identity, &join, &perr)) != DL_OK) {
		app_provider_error(req, err, &perr);
		return;
	}
	o = cJSON_CreateObject();
	if (o != NULL &&
	    (cJSON_AddStringToObject(o, "participant_sid", c.operator_call_sid) == NULL ||
	    cJSON_AddStringToObject(o, "status", "token_issued") == NULL ||
	    cJSON_AddNullToObject(o, "ice_servers") == NULL ||
	    cJSON_AddStringToObject(o, "access_token", join.token) == NULL ||
	    cJSON_AddStringToObject(o, "identity", join.identity) == NULL ||
	    cJSON_AddStringToObject(o, "client_id", str(body, "client_id")) == NULL ||
	    cJSON_AddStringToObject(o, "conference_name", c.conference_name) == NULL ||
	    cJSON_AddNumberToObject(o, "expires_at", (double)join.expires_at) == NULL)) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_obj(req, 200, o);
}

static void
control(struct http_req *req, const struct app_who *who)
{
	const char *action, *sid;
	struct provider_error perr;
	const struct provider *p;
	const cJSON *value;
	struct call c;
	cJSON *body, *o;
	enum provider_party party;
	enum dl_err err;
	int on, hold;

	if ((body = app_json_body(req)) == NULL)
		return;
	if (!app_valid(req, body, control_fields, N(control_fields)))
		return;
	if (!load_conference(req, who, str(body, "conference_sid"), &c) ||
	    !app_provider(req, c.provider, &p))
		return;
	action = str(body, "action");
	sid = str(body, "participant_sid");
	value = cJSON_GetObjectItemCaseSensitive(body, "value");
	hold = strstr(action, "hold") != NULL;
	/* "unmute"/"unhold" say it; "mute"/"hold" take an optional value. */
	on = strncmp(action, "un", 2) != 0;
	if (on && cJSON_IsBool(value))
		on = cJSON_IsTrue(value);
	if (c.call_sid[0] != '\0' && strcmp(sid, c.call_sid) == 0)
		party = PROVIDER_CONTACT;
	else if (c.operator_call_sid[0] != '\0' && strcmp(sid, c.operator_call_sid) == 0)
		party = PROVIDER_OPERATOR;
	else {
		http_send_error(req, 404, "participant_not_found",
		    "No such participant in this conference.", NULL);
		return;
	}
	if (hold && party != PROVIDER_CONTACT) {
		http_send_error(req, 422, "invalid_participant",
		    "Only the prospect can be put on hold.", NULL);
		return;
	}
	if (call_status_final(c.status)) {
		http_send_error(req, 409, "call_ended", "The call has ended.", NULL);
		return;
	}
	memset(&perr, 0, sizeof(perr));
	err = hold ? callflow_hold(p, &c, on, &perr) : callflow_mute(p, &c, party, on, &perr);
	if (err != DL_OK) {
		app_provider_error(req, err, &perr);
		return;
	}
	o = cJSON_CreateObject();
	if (o != NULL &&
	    (cJSON_AddBoolToObject(o, "success", 1) == NULL ||
	    cJSON_AddStringToObject(o, "conference_sid", conference_sid_of(&c)) == NULL ||
	    cJSON_AddStringToObject(o, "participant_sid", sid) == NULL ||
	    cJSON_AddStringToObject(o, "action", action) == NULL ||
	    cJSON_AddBoolToObject(o, hold ? "hold" : "muted", on) == NULL)) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_obj(req, 200, o);
}

/* The seed takes conference_sid as a query parameter; a JSON body is
 * accepted too. */
static void
end_call(struct http_req *req, const struct app_who *who)
{
	const char *conf = http_query(req, "conference_sid");
	struct provider_error perr;
	struct valid_error verr;
	const struct provider *p;
	struct call c;
	cJSON *o;
	enum dl_err err;

	if (conf == NULL && http_content_length(req) > 0) {
		cJSON *body = app_json_body(req);

		if (body == NULL)
			return;
		conf = str(body, "conference_sid");
	}
	if (valid_text(&end_field, conf, NULL, &verr) != DL_OK) {
		app_invalid(req, &verr);
		return;
	}
	if (!load_conference(req, who, conf, &c) || !app_provider(req, c.provider, &p))
		return;
	memset(&perr, 0, sizeof(perr));
	if (!call_status_final(c.status) && (err = callflow_end(p, &c, &perr)) != DL_OK) {
		app_provider_error(req, err, &perr);
		return;
	}
	o = cJSON_CreateObject();
	if (o != NULL &&
	    (cJSON_AddBoolToObject(o, "success", 1) == NULL ||
	    cJSON_AddStringToObject(o, "conference_sid", conference_sid_of(&c)) == NULL ||
	    cJSON_AddStringToObject(o, "status", call_status_name(c.status)) == NULL)) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_obj(req, 200, o);
}

static void
participant(struct jsonw *w, const char *sid, const char *role)
{
	if (sid[0] == '\0')
		return;
	jsonw_object_begin(w);
	jsonw_key(w, "sid");
	jsonw_cstr(w, sid);
	jsonw_key(w, "role");
	jsonw_cstr(w, role);
	jsonw_object_end(w);
}

static void
status(struct http_req *req, const struct app_who *who, const char *conference)
{
	struct provider_error perr;
	struct jsonw w;
	struct call c;
	char *text;
	size_t len;

	if (!load_conference(req, who, conference, &c))
		return;
	/* The seed asked the provider every time; so do we. One that cannot
	 * say now leaves the status as last known: the seed's clients poll. */
	callflow_settle(&c, 1, &perr);
	jsonw_init(&w);
	jsonw_object_begin(&w);
	jsonw_key(&w, "participants");
	jsonw_array_begin(&w);
	participant(&w, c.operator_call_sid, "operator");
	participant(&w, c.call_sid, "contact");
	jsonw_array_end(&w);
	jsonw_key(&w, "conference_sid");
	jsonw_cstr(&w, conference_sid_of(&c));
	jsonw_key(&w, "friendly_name");
	jsonw_cstr(&w, c.conference_name);
	jsonw_key(&w, "status");
	jsonw_cstr(&w, call_status_name(c.status));
	jsonw_key(&w, "participant_count");
	jsonw_int(&w, (c.operator_call_sid[0] != '\0') + (c.call_sid[0] != '\0'));
	jsonw_key(&w, "duration");
	if (c.duration_s >= 0)
		jsonw_int(&w, c.duration_s);
	else
		jsonw_null(&w);
	jsonw_key(&w, "call");
	calls_jsonw(&w, &c, NULL);
	jsonw_object_end(&w);
	if (jsonw_finish(&w, &text, &len) != DL_OK) {
		app_error(req, DL_ERR_NOMEM, NULL);
		return;
	}
	http_send(req, 200, "application/json", text, len);
	free(text);
}

static void
handle(struct http_req *req)
{
	const char *path = http_path(req), *rest, *method = http_method(req);
	const char *want;
	struct app_who who;

	if (strncmp(path, PREFIX, strlen(PREFIX)) != 0) {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	rest = path + strlen(PREFIX);
	if (strncmp(rest, "status/", 7) == 0)
		http_set_route(req, PREFIX "status/{sid}");
	if (strcmp(rest, "initiate") == 0 || strcmp(rest, "webrtc-join") == 0 ||
	    strcmp(rest, "control/mute") == 0 || strcmp(rest, "end") == 0)
		want = "POST";
	else if (strncmp(rest, "status/", 7) == 0 && rest[7] != '\0' && strchr(rest + 7, '/') == NULL)
		want = "GET";
	else {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	if (strcmp(method, want) != 0) {
		http_send_method_not_allowed(req, want);
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who))
		return;
	if (strcmp(rest, "initiate") == 0)
		initiate(req, &who);
	else if (strcmp(rest, "webrtc-join") == 0)
		webrtc_join(req, &who);
	else if (strcmp(rest, "control/mute") == 0)
		control(req, &who);
	else if (strcmp(rest, "end") == 0)
		end_call(req, &who);
	else
		status(req, &who, rest + 7);
}

int
main(void)
{
	return app_main("cold_call", handle);
}
