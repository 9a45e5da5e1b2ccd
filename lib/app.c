#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "dialrules.h"
#include "log.h"
#include "phone.h"
#include "rest.h"

static int config_ok;

int
app_main(const char *name, http_handler handler)
{
	log_set_program(name);
	config_ok = config_load() == DL_OK;
	/* A failure here is retried by app_ready on the first request, so a
	 * database that appears later (make run's init) still gets served. */
	if (config_ok && db_open(config_get("DIALER_DB")) != DL_OK)
		log_line("event=db_open_failed path_set=%d",
		    config_get("DIALER_DB") != NULL);
	return http_serve(handler);
}

int
app_ready(struct http_req *req)
{
	if (!config_ok && config_load() == DL_OK)
		config_ok = 1;
	if (!config_ok) {
		http_send_error(req, 503, "config_error",
		    "The server's configuration cannot be read; see the server log.", NULL);
		return 0;
	}
	db_drop_readonly();
	if (db_conn() == NULL && db_open(config_get("DIALER_DB")) != DL_OK) {
		http_send_error(req, 503, "database_unavailable",
		    "The database cannot be opened; see the server log.", NULL);
		return 0;
	}
	return 1;
}

static int
unsafe_method(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 &&
	    strcmp(m, "OPTIONS") != 0;
}

int
app_authenticate(struct http_req *req, struct app_who *who)
{
	const char *key = http_header(req, "X-API-Key");
	const char *token;
	struct auth_user u;
	enum dl_err err;

	memset(who, 0, sizeof(*who));
	if (key != NULL) {
		if (!auth_api_key_ok(key)) {
			http_send_error(req, 401, "unauthenticated",
			    "The API key is not valid.", NULL);
			return 0;
		}
		who->api_key = 1;
		who->role = AUTH_ADMIN;
		snprintf(who->username, sizeof(who->username), "api-key");
		http_set_log_user(req, "api-key");
		return 1;
	}
	token = http_cookie(req, "session");
	if (token == NULL) {
		http_send_error(req, 401, "unauthenticated",
		    "Log in first: no session cookie or API key was sent.", NULL);
		return 0;
	}
	err = auth_session(token, &u);
	if (err == DL_ERR_AUTH) {
		http_send_error(req, 401, "unauthenticated",
		    "Your session has ended or is not valid; log in again.", NULL);
		return 0;
	}
	if (err != DL_OK) {
		app_error(req, err, "session");
		return 0;
	}
	if (unsafe_method(http_method(req)) &&
	    !auth_csrf_ok(token, http_header(req, "X-CSRF-Token"))) {
		http_send_error(req, 403, "csrf",
		    "This request needs the X-CSRF-Token header of your session.", NULL);
		return 0;
	}
	who->user_id = u.id;
	who->role = u.role;
	memcpy(who->username, u.username, sizeof(who->username));
	http_set_log_user(req, u.username);
	return 1;
}

int
app_require_admin(struct http_req *req, const struct app_who *who)
{
	if (who->role == AUTH_ADMIN)
		return 1;
	http_send_error(req, 403, "forbidden", "Only an admin may do this.", NULL);
	return 0;
}

long
app_limit(const char *key, long dflt)
{
	long v;

	if (config_get_long(key, dflt, 1, 1L << 40, &v) != DL_OK)
		return dflt;
	return v;
}

cJSON *
app_json_body(struct http_req *req)
{
	long limit = app_limit("DIALER_BODY_LIMIT", 65536);
	cJSON *json = NULL;
	char msg[160];

	switch (http_json(req, (size_t)limit, &json)) {
	case DL_OK:
		return json;
	case DL_ERR_TOOBIG:
		snprintf(msg, sizeof(msg), "The request body is over the limit of %ld bytes.", limit);
		http_send_error(req, 413, "payload_too_large", msg, NULL);
		return NULL;
	case DL_ERR_UNSUPPORTED:
		http_send_error(req, 415, "unsupported_media_type",
		    "Send the body as application/json.", NULL);
		return NULL;
	case DL_ERR_NOMEM:
		app_error(req, DL_ERR_NOMEM, NULL);
		return NULL;
	case DL_ERR_IO:
		http_send_error(req, 400, "incomplete_body",
		    "The request body is shorter than its Content-Length.", NULL);
		return NULL;
	default:
		http_send_error(req, 400, "invalid_json",
		    "The request body is not a JSON object.", NULL);
		return NULL;
	}
}

void
app_error(struct http_req *req, enum dl_err err, const char *what)
{
	char msg[160];

	if (what == NULL)
		what = "resource";
	switch (err) {
	case DL_ERR_NOTFOUND:
		snprintf(msg, sizeof(msg), "No such %s.", what);
		http_send_error(req, 404, "not_found", msg, NULL);
		break;
	case DL_ERR_CONFLICT:
		snprintf(msg, sizeof(msg), "The %s conflicts with one that exists.", what);
		http_send_error(req, 409, "conflict", msg, NULL);
		break;
	case DL_ERR_FORBIDDEN:
		http_send_error(req, 403, "forbidden", "You may not do this.", NULL);
		break;
	case DL_ERR_AUTH:
		http_send_error(req, 401, "unauthenticated", "Log in first.", NULL);
		break;
	case DL_ERR_BUSY:
		http_add_header(req, "Retry-After", "1");
		http_send_error(req, 503, "database_busy",
		    "The database is busy; try again in a moment.", NULL);
		break;
	case DL_ERR_IO:
		http_send_error(req, 503, "storage_unavailable",
		    "The database cannot be written (disk full or read-only); "
		    "nothing was changed.", NULL);
		break;
	case DL_ERR_TOOBIG:
		http_send_error(req, 413, "payload_too_large", "The request is too large.", NULL);
		break;
	case DL_ERR_INVALID:
		http_send_error(req, 400, "invalid_request", "The request is not valid.", NULL);
		break;
	case DL_ERR_UNSUPPORTED:
		http_send_error(req, 415, "unsupported_media_type",
		    "This media type is not accepted here.", NULL);
		break;
	case DL_ERR_CONFIG:
		http_send_error(req, 503, "misconfigured",
		    "A server setting is missing or out of range; the server's error log "
		    "names it.", NULL);
		break;
	default:
		log_line("request_id=%s event=internal_error err=%s",
		    http_request_id(req), dl_strerror(err));
		http_send_error(req, 500, "internal",
		    "Something went wrong on the server; the request id is in the "
		    "X-Request-Id header.", NULL);
		break;
	}
}

static cJSON *
error_details(const struct valid_error *e)
{
	cJSON *d = cJSON_CreateObject();

	if (d != NULL) {
		cJSON_AddStringToObject(d, "field", e->field);
		cJSON_AddStringToObject(d, "reason", e->reason);
	}
	return d;
}

void
app_invalid(struct http_req *req, const struct valid_error *e)
{
	http_send_error(req, 422, "validation_failed", e->message, error_details(e));
}

void
app_bad_param(struct http_req *req, const struct valid_error *e)
{
	http_send_error(req, 400, "invalid_parameter", e->message, error_details(e));
}

int
app_query(struct http_req *req, const struct valid_field *fields, size_t n,
    long long **num, void (*refuse)(struct http_req *, const struct valid_error *))
{
	struct valid_error verr;
	size_t i;

	if (!http_query_ok(req)) {
		http_send_error(req, 400, "invalid_parameter",
		    "The query string is not valid URL encoding.", NULL);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (valid_text(&fields[i], http_query(req, fields[i].name), num[i],
		    &verr) != DL_OK) {
			refuse(req, &verr);
			return 0;
		}
	}
	return 1;
}

int
app_path_id(const char *path, const char *prefix, long long *id)
{
	size_t n = strlen(prefix);
	const char *p;
	long long v = 0;

	if (strncmp(path, prefix, n) != 0)
		return 0;
	p = path + n;
	if (*p < '1' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (0x7fffffffffffffffLL - 9) / 10)
			return 0;
		v = v * 10 + (*p - '0');
	}
	if (*p != '\0')
		return 0;
	*id = v;
	return 1;
}

cJSON *
app_user_json(const struct auth_user *u)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    cJSON_AddNumberToObject(o, "id", (double)u->id) == NULL ||
	    cJSON_AddStringToObject(o, "username", u->username) == NULL ||
	    cJSON_AddStringToObject(o, "role", auth_role_name(u->role)) == NULL ||
	    cJSON_AddBoolToObject(o, "disabled", u->disabled) == NULL ||
	    cJSON_AddStringToObject(o, "created_at", u->created_at) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

void
app_set_session_cookie(struct http_req *req, const char *token)
{
	char cookie[256];
	long max = app_limit("DIALER_SESSION_MAX", 43200);
	int secure = 1;

	if (config_get_bool("DIALER_COOKIE_SECURE", 1, &secure) != DL_OK)
		secure = 1;
	snprintf(cookie, sizeof(cookie),
	    "session=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s",
	    token != NULL ? token : "", token != NULL ? max : 0L,
	    secure ? "; Secure" : "");
	http_add_header(req, "Set-Cookie", cookie);
}

/* Seconds a client is told to wait when the provider is overloaded:
 * what it told us, within reason. */
#define APP_PROVIDER_WAIT_DEFAULT 5L
#define APP_PROVIDER_WAIT_MAX 300L

void
app_provider_error(struct http_req *req, enum dl_err err, const struct provider_error *perr)
{
	long wait = rest_retry_after();
	char ra[24];
	cJSON *d = NULL;

	if (perr->code[0] != '\0' && (d = cJSON_CreateObject()) != NULL &&
	    (cJSON_AddNumberToObject(d, "provider_status", perr->http_status) == NULL ||
	    cJSON_AddStringToObject(d, "provider_code", perr->code) == NULL ||
	    cJSON_AddStringToObject(d, "provider_message", perr->message) == NULL)) {
		cJSON_Delete(d);
		d = NULL;
	}
	if (err == DL_ERR_INVALID) {
		http_send_error(req, 422, "provider_rejected",
		    "The provider refused the request; details say why.", d);
	} else if (perr->http_status == 0 && strcmp(perr->code, REST_TIMEOUT) == 0) {
		http_send_error(req, 504, "provider_timeout",
		    "The telephony provider did not answer in time; try again.", d);
	} else if (perr->http_status == 429 || perr->http_status == 503) {
		if (wait <= 0)
			wait = APP_PROVIDER_WAIT_DEFAULT;
		snprintf(ra, sizeof(ra), "%ld", wait > APP_PROVIDER_WAIT_MAX ?
		    APP_PROVIDER_WAIT_MAX : wait);
		http_add_header(req, "Retry-After", ra);
		http_send_error(req, 503, "provider_unavailable",
		    "The telephony provider is overloaded or down; try again after Retry-After "
		    "seconds.", d);
	} else if (perr->code[0] != '\0') {
		http_send_error(req, 502, "provider_error",
		    "The telephony provider failed to answer; try again.", d);
	} else {
		cJSON_Delete(d);
		app_error(req, err, "call");
	}
}

int
app_provider(struct http_req *req, const char *name, const struct provider **p)
{
	char missing[256], msg[384];

	switch (provider_get(name, p, missing, sizeof(missing))) {
	case DL_OK:
		return 1;
	case DL_ERR_CONFIG:
		snprintf(msg, sizeof(msg), "The provider \"%s\" is not configured: set %s.", name, missing);
		http_send_error(req, 503, "provider_not_configured", msg, NULL);
		return 0;
	default:
		http_send_error(req, 400, "unsupported_provider",
		    "Unknown provider; use sim, twilio or telnyx.", NULL);
		return 0;
	}
}

int
app_phone(struct http_req *req, const char *field, const char *text, char *out, size_t outsz)
{
	struct phone_info info;
	enum phone_reason why = phone_parse(text, strlen(text),
	    config_get("DIALER_DEFAULT_REGION"), &info);
	char msg[160];
	cJSON *d;

	if (why == PHONE_OK) {
		snprintf(out, outsz, "%s", info.e164);
		return 1;
	}
	snprintf(msg, sizeof(msg), "\"%s\": %s", field, phone_reason_message(why));
	if ((d = cJSON_CreateObject()) != NULL) {
		cJSON_AddStringToObject(d, "field", field);
		cJSON_AddStringToObject(d, "reason", phone_reason_code(why));
	}
	http_send_error(req, 422, "invalid_phone", msg, d);
	return 0;
}

int
app_idempotency_key_ok(struct http_req *req, const char *key)
{
	if (key == NULL || (*key != '\0' && strlen(key) <= 255))
		return 1;
	http_send_error(req, 400, "invalid_idempotency_key",
	    "Idempotency-Key must be 1 to 255 characters.", NULL);
	return 0;
}

/* details for a refusal: {reason, added_at} or {zone, local_time, window, opens_at}. */
static cJSON *
refusal_details(const struct dialrules_verdict *v)
{
	char opens[CLOCK_ISO_LEN];
	cJSON *d = cJSON_CreateObject();
	int ok;

	if (d == NULL)
		return NULL;
	if (v->refusal == DIALRULES_DO_NOT_CALL) {
		ok = (v->dnc.reason[0] ? cJSON_AddStringToObject(d, "reason", v->dnc.reason) :
		    cJSON_AddNullToObject(d, "reason")) != NULL &&
		    cJSON_AddStringToObject(d, "added_at", v->dnc.added_at) != NULL;
	} else {
		clock_iso(v->hours.opens_unix, opens);
		ok = cJSON_AddStringToObject(d, "zone", v->hours.zone) != NULL &&
		    cJSON_AddStringToObject(d, "local_time", v->hours.local_time) != NULL &&
		    cJSON_AddStringToObject(d, "window", v->hours.window) != NULL &&
		    (v->hours.opens_unix > 0 ? cJSON_AddStringToObject(d, "opens_at", opens) :
		    cJSON_AddNullToObject(d, "opens_at")) != NULL;
	}
	if (!ok) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

void
app_start_error(struct http_req *req, enum dl_err err, const struct callflow_start *s)
{
	char wait[24], msg[200];

	if (s->provider_failed) {
		app_provider_error(req, err, &s->perr);
	} else if (err == DL_ERR_THROTTLED) {
		snprintf(wait, sizeof(wait), "%ld", s->retry_after);
		http_add_header(req, "Retry-After", wait);
		snprintf(msg, sizeof(msg), strcmp(s->limit, "active_calls") == 0 ?
		    "You already have the most active calls allowed; end it first." :
		    strcmp(s->limit, "calls_per_minute") == 0 ?
		    "Too many calls started in the last minute; wait %ld seconds." :
		    "The team has the most active calls allowed; try again shortly.", s->retry_after);
		http_send_error(req, 429, s->limit, msg, NULL);
	} else if (err == DL_ERR_NOTFOUND) {
		http_send_error(req, 404, "contact_not_found",
		    "No such contact (or its list is archived).", NULL);
	} else if (err == DL_ERR_FORBIDDEN && s->in.rules != NULL &&
	    s->in.rules->refusal != DIALRULES_OK) {
		http_send_error(req, 409, dialrules_code(s->in.rules->refusal), s->in.rules->message,
		    refusal_details(s->in.rules));
	} else if (err == DL_ERR_CONFLICT && strcmp(s->limit, "contact_reserved") == 0) {
		char until[CLOCK_ISO_LEN];
		long long now;
		cJSON *details = cJSON_CreateObject();

		clock_now(&now);
		clock_iso(now + s->retry_after, until);
		snprintf(msg, sizeof(msg), "Another operator has this contact until %.5s UTC.",
		    until + 11);
		if (details != NULL && cJSON_AddStringToObject(details, "reserved_until", until) == NULL) {
			cJSON_Delete(details);
			details = NULL;
		}
		http_send_error(req, 409, "contact_reserved", msg, details);
	} else if (err == DL_ERR_CONFLICT) {
		http_send_error(req, 409, "contact_in_call",
		    "Another operator is on a call with this contact.", NULL);
	} else {
		app_error(req, err, "call");
	}
}

int
app_valid(struct http_req *req, const cJSON *body, const struct valid_field *fields, size_t n)
{
	struct valid_error verr;

	if (valid_json(body, fields, n, &verr) == DL_OK)
		return 1;
	app_invalid(req, &verr);
	return 0;
}
