/*
 * /api/v1/calls: create a call (and the operator's join credentials), read
 * and list calls, fresh tokens, mute, hold, end, and the operator's log.
 * An operator sees and controls only their own calls; admins and the API
 * key see all. The provider is reached only through struct provider.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "callflow.h"
#include "calls.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "provider.h"

static const char *const participants[] = { "operator", "contact", NULL };

static const struct valid_field create_fields[] = {
	{ "contact_id", VALID_INT, 0, 1, 0x7fffffffffffffffLL, NULL, NULL, "a contact id" },
	{ "to_phone", VALID_STRING, 0, 1, 64, NULL, NULL, "a phone number" },
	{ "from_phone", VALID_STRING, 0, 1, 64, NULL, NULL, "a caller id number" },
	{ "provider", VALID_STRING, 0, 1, 32, NULL, NULL, "a provider name (sim, twilio, telnyx)" },
};
static const struct valid_field mute_fields[] = {
	{ "participant", VALID_ENUM, 1, 0, 0, participants, NULL, "\"operator\" or \"contact\"" },
	{ "muted", VALID_BOOL, 1, 0, 0, NULL, NULL, "true or false" },
};
static const struct valid_field hold_fields[] = {
	{ "hold", VALID_BOOL, 1, 0, 0, NULL, NULL, "true or false" },
};
static const struct valid_field log_fields[] = {
	{ "outcome", VALID_ENUM, 1, 0, 0, call_outcome_names, NULL,
	  "one of connected, voicemail, no_answer, not_interested, follow_up, wrong_number, busy, do_not_call" },
	{ "notes", VALID_STRING, 0, 0, CALLS_NOTES_MAX, NULL, NULL, "at most 4,000 characters" },
	{ "callback_at", VALID_STRING, 0, 1, 40, NULL, NULL,
	  "an ISO-8601 time with a zone, such as 2026-11-25T15:00:00Z" },
};
static const struct valid_field list_params[] = {
	{ "contact_id", VALID_INT, 0, 1, 0x7fffffffffffffffLL, NULL, NULL, "a contact id" },
	{ "user_id", VALID_INT, 0, 1, 0x7fffffffffffffffLL, NULL, NULL, "a user id" },
	{ "since", VALID_STRING, 0, 10, 24, NULL, NULL, "an ISO-8601 UTC time such as 2026-11-24T00:00:00Z" },
	{ "page", VALID_INT, 0, 1, 1000000000, NULL, NULL, "a page number from 1" },
	{ "per_page", VALID_INT, 0, 1, 200, NULL, NULL, "a page size from 1 to 200" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The join credentials' object. */
static void
token_jsonw(struct jsonw *w, const struct provider *p, const struct call *c,
    const struct provider_join *j)
{
	jsonw_object_begin(w);
	jsonw_key(w, "token");
	jsonw_cstr(w, j->token);
	jsonw_key(w, "simulated");
	jsonw_bool(w, p->simulated);
	jsonw_key(w, "edge");
	jsonw_cstr(w, j->edge[0] ? j->edge : NULL);
	jsonw_key(w, "identity");
	jsonw_cstr(w, j->identity);
	jsonw_key(w, "conference_name");
	jsonw_cstr(w, c->conference_name);
	jsonw_key(w, "provider");
	jsonw_cstr(w, c->provider);
	jsonw_key(w, "expires_at");
	jsonw_int(w, (long long)j->expires_at);
	jsonw_object_end(w);
}

/* The text written into w, sent; w is emptied either way. */
static void
send_jsonw(struct http_req *req, int status, struct jsonw *w)
{
	char *text;
	size_t len;

	if (jsonw_finish(w, &text, &len) != DL_OK) {
		app_error(req, DL_ERR_NOMEM, NULL);
		return;
	}
	http_send(req, status, "application/json", text, len);
	free(text);
}

/* {"call":{…}} and, for a new call, its "token"; written straight as
 * text: a status poll is the busiest request there is. */
static void
send_call(struct http_req *req, int status, const struct call *c,
    const struct provider *p, const struct provider_join *join, const char *caller_id_match)
{
	struct jsonw w;

	jsonw_init(&w);
	jsonw_object_begin(&w);
	jsonw_key(&w, "call");
	calls_jsonw(&w, c, caller_id_match);
	if (join != NULL) {
		jsonw_key(&w, "token");
		token_jsonw(&w, p, c, join);
	}
	jsonw_object_end(&w);
	send_jsonw(req, status, &w);
}

static void
create_call(struct http_req *req, const struct app_who *who)
{
	const cJSON *cid, *to, *from, *prov;
	struct valid_error verr;
	const struct provider *p;
	struct callflow_start s;
	char to_e164[20] = "", from_e164[20] = "";
	const char *key = http_header(req, "Idempotency-Key");
	struct dialrules_verdict rules;
	cJSON *body;
	enum dl_err err;

	if ((body = app_json_body(req)) == NULL)
		return;
	if (!app_valid(req, body, create_fields, N(create_fields)))
		return;
	cid = cJSON_GetObjectItemCaseSensitive(body, "contact_id");
	to = cJSON_GetObjectItemCaseSensitive(body, "to_phone");
	from = cJSON_GetObjectItemCaseSensitive(body, "from_phone");
	prov = cJSON_GetObjectItemCaseSensitive(body, "provider");
	if (cJSON_IsNumber(cid) == cJSON_IsString(to)) {
		verr.field = "contact_id";
		verr.reason = "required";
		snprintf(verr.message, sizeof(verr.message),
		    "Send exactly one of \"contact_id\" and \"to_phone\".");
		app_invalid(req, &verr);
		return;
	}
	if (!app_idempotency_key_ok(req, key))
		return;
	if (cJSON_IsString(to) && !app_phone(req, "to_phone", to->valuestring, to_e164, sizeof(to_e164)))
		return;
	if (cJSON_IsString(from) &&
	    !app_phone(req, "from_phone", from->valuestring, from_e164, sizeof(from_e164)))
		return;
	if (!app_provider(req, cJSON_IsString(prov) ? prov->valuestring :
	    provider_default_name(), &p))
		return;
	memset(&s, 0, sizeof(s));
	s.in.operator_id = who->user_id;
	s.in.contact_id = cJSON_IsNumber(cid) ? (long long)cid->valuedouble : 0;
	s.in.to_phone = to_e164[0] ? to_e164 : NULL;
	s.in.from_phone = from_e164[0] ? from_e164 : NULL;
	s.in.provider = p->name;
	s.in.idempotency_key = key;
	s.in.rules = &rules;
	if ((err = callflow_start(p, &s)) != DL_OK) {
		app_start_error(req, err, &s);
		return;
	}
	send_call(req, s.replayed ? 200 : 201, &s.call, p, &s.join,
	    s.replayed ? NULL : s.in.caller_id_match);
}

/* A callback time goes with follow_up only, and lies ahead (within a
 * year of the rules' clock); in->callback_at points into out. */
static int
callback_time(struct http_req *req, const cJSON *body, struct calls_log_in *in,
    char out[CLOCK_ISO_LEN])
{
	const cJSON *cb = cJSON_GetObjectItemCaseSensitive(body, "callback_at");
	struct valid_error verr;
	long long t;

	if (!cJSON_IsString(cb))
		return 1;
	verr.field = "callback_at";
	if (in->outcome != OUTCOME_FOLLOW_UP) {
		verr.reason = "not_allowed";
		snprintf(verr.message, sizeof(verr.message),
		    "\"callback_at\" goes only with the outcome follow_up.");
	} else if (clock_parse_iso(cb->valuestring, &t) != DL_OK) {
		verr.reason = "invalid";
		snprintf(verr.message, sizeof(verr.message),
		    "\"callback_at\" must be an ISO-8601 time with a zone, such as 2026-11-25T15:00:00Z.");
	} else if (t <= in->now_unix || t > in->now_unix + 366LL * 86400) {
		verr.reason = "out_of_range";
		snprintf(verr.message, sizeof(verr.message),
		    "\"callback_at\" must be in the future and within 366 days.");
	} else {
		clock_iso(t, out);
		in->callback_at = out;
		return 1;
	}
	app_invalid(req, &verr);
	return 0;
}

/* The call, if `who` may see it; else a 404 that reveals nothing. */
static int
load_call(struct http_req *req, const struct app_who *who, long long id, struct call *c)
{
	enum dl_err err = calls_get(id, c);

	if (err == DL_OK && (who->role == AUTH_ADMIN || c->operator_id == who->user_id))
		return 1;
	if (err == DL_OK || err == DL_ERR_NOTFOUND)
		http_send_error(req, 404, "call_not_found", "No such call.", NULL);
	else
		app_error(req, err, "call");
	return 0;
}

static void
act(struct http_req *req, const struct app_who *who, long long id, const char *action)
{
	const struct provider *p;
	struct provider_error perr;
	struct provider_ref ref;
	struct call c;
	cJSON *body = NULL;
	enum dl_err err = DL_OK;

	if (!load_call(req, who, id, &c))
		return;
	/* end and token take no body; the others take JSON. */
	if (strcmp(action, "end") != 0 && strcmp(action, "token") != 0 &&
	    (body = app_json_body(req)) == NULL)
		return;
	if (strcmp(action, "log") == 0) {
		struct calls_log_in in;
		const cJSON *notes;
		char callback[CLOCK_ISO_LEN];

		if (!app_valid(req, body, log_fields, N(log_fields)))
			return;
		memset(&in, 0, sizeof(in));
		call_outcome_parse(cJSON_GetObjectItemCaseSensitive(body, "outcome")->valuestring,
		    &in.outcome);
		notes = cJSON_GetObjectItemCaseSensitive(body, "notes");
		in.notes = cJSON_IsString(notes) ? notes->valuestring : NULL;
		if ((err = clock_now(&in.now_unix)) != DL_OK) {
			app_error(req, err, "call");
			return;
		}
		if (!callback_time(req, body, &in, callback))
			return;
		if ((err = calls_log(id, &in)) != DL_OK || (err = calls_get(id, &c)) != DL_OK) {
			app_error(req, err, "call");
			return;
		}
		send_call(req, 200, &c, NULL, NULL, NULL);
		return;
	}
	if (!app_provider(req, c.provider, &p))
		return;
	callflow_ref(&c, &ref);
	memset(&perr, 0, sizeof(perr));
	if (strcmp(action, "token") == 0) {
		struct provider_join join;
		char identity[64];
		struct jsonw w;

		callflow_identity(who->user_id, identity, sizeof(identity));
		if ((err = p->join(&ref, identity, &join, &perr)) != DL_OK) {
			app_provider_error(req, err, &perr);
			return;
		}
		jsonw_init(&w);
		token_jsonw(&w, p, &c, &join);
		send_jsonw(req, 200, &w);
		return;
	}
	if (call_status_final(c.status)) {
		http_send_error(req, 409, "call_ended", "The call has ended.", NULL);
		return;
	}
	if (strcmp(action, "mute") == 0) {
		if (!app_valid(req, body, mute_fields, N(mute_fields)))
			return;
		err = callflow_mute(p, &c, strcmp(cJSON_GetObjectItemCaseSensitive(body,
		    "participant")->valuestring, "operator") == 0 ? PROVIDER_OPERATOR : PROVIDER_CONTACT,
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "muted")), &perr);
	} else if (strcmp(action, "hold") == 0) {
		if (!app_valid(req, body, hold_fields, N(hold_fields)))
			return;
		err = callflow_hold(p, &c, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "hold")),
		    &perr);
	} else {
		err = callflow_end(p, &c, &perr);
	}
	if (err != DL_OK) {
		app_provider_error(req, err, &perr);
		return;
	}
	if ((err = calls_get(id, &c)) != DL_OK) {
		app_error(req, err, "call");
		return;
	}
	send_call(req, 200, &c, NULL, NULL, NULL);
}

static void
list_calls(struct http_req *req, const struct app_who *who)
{
	struct calls_filter f = { 0, 0, NULL, 1, 50 };
	long long user_id = 0;
	long long *num[] = { &f.contact_id, &user_id, NULL, &f.page, &f.per_page };
	struct jsonw w;
	enum dl_err err;

	if (!app_query(req, list_params, N(list_params), num, app_bad_param))
		return;
	f.since = http_query(req, "since");
	if (f.since != NULL && *f.since == '\0')
		f.since = NULL;
	/* Operators see their own calls whatever they ask for. */
	f.operator_id = who->role == AUTH_ADMIN ? user_id : who->user_id;
	jsonw_init(&w);
	if ((err = calls_list(&f, &w)) != DL_OK) {
		jsonw_free(&w);
		app_error(req, err, "call");
		return;
	}
	send_jsonw(req, 200, &w);
}

static void
handle(struct http_req *req)
{
	const char *path = http_path(req), *method = http_method(req), *rest;
	char action[16] = "";
	struct app_who who;
	struct call c;
	long long id = 0;
	enum dl_err err;
	int poll;
	char *end;

	if (strcmp(path, "/api/v1/calls") == 0) {
		if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
			http_send_method_not_allowed(req, "GET, POST");
			return;
		}
	} else if (strncmp(path, "/api/v1/calls/", 14) == 0 && path[14] >= '1' && path[14] <= '9') {
		id = strtoll(path + 14, &end, 10);
		rest = end;
		if (*rest == '/' && strlen(rest + 1) < sizeof(action))
			snprintf(action, sizeof(action), "%s", rest + 1);
		if ((*rest != '\0' && action[0] == '\0') ||
		    (action[0] != '\0' && strcmp(action, "token") && strcmp(action, "mute") &&
		    strcmp(action, "hold") && strcmp(action, "end") && strcmp(action, "log"))) {
			http_send_error(req, 404, "not_found", "No such resource.", NULL);
			return;
		}
		if (strcmp(method, action[0] ? "POST" : "GET") != 0) {
			http_send_method_not_allowed(req, action[0] ? "POST" : "GET");
			return;
		}
	} else {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	if (!app_ready(req))
		return;
	/* A status poll reads the session and the call from one snapshot:
	 * SQLite takes its file locks once, not once per query. The session
	 * check's own writes (last seen, once a minute) are best effort and
	 * may join the transaction. */
	poll = id != 0 && action[0] == '\0';
	if (poll && db_read_begin() != DL_OK)
		poll = 0;
	if (!app_authenticate(req, &who) || (poll && !load_call(req, &who, id, &c))) {
		if (poll)
			db_read_end();
		return;
	}
	if (poll)
		db_read_end();
	if (id == 0) {
		if (strcmp(method, "POST") == 0)
			create_call(req, &who);
		else
			list_calls(req, &who);
	} else if (action[0] != '\0') {
		act(req, &who, id, action);
	} else if (poll || load_call(req, &who, id, &c)) {
		const char *refresh = http_query(req, "refresh");
		int ask = refresh != NULL && strcmp(refresh, "1") == 0;
		struct provider_error perr;

		/* Asked for a fresh status, the caller hears why there is none;
		 * a plain read answers what we know, even when what settling
		 * learned cannot be stored (a full disk): a later read tries again. */
		if ((err = callflow_settle(&c, ask, &perr)) != DL_OK && !ask) {
			log_line("request_id=%s event=settle_failed call=%lld err=%s",
			    http_request_id(req), c.id, dl_strerror(err));
			err = calls_get(id, &c);
		}
		if (err != DL_OK) {
			if (perr.code[0] != '\0')
				app_provider_error(req, err, &perr);
			else
				app_error(req, err, "call");
			return;
		}
		send_call(req, 200, &c, NULL, NULL, NULL);
	}
}

int
main(void)
{
	return app_main("calls", handle);
}
