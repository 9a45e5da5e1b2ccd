/*
 * app: what every endpoint program does the same way — start-up, the
 * database, who is asking (session cookie or API key), CSRF, reading a
 * JSON body, and turning an enum dl_err into a status and a message. A
 * cgi-bin program is then: parse, authorize, call lib/, answer.
 */
#ifndef DL_APP_H
#define DL_APP_H

#include <string.h>

#include <cjson/cJSON.h>

#include "auth.h"
#include "callflow.h"
#include "provider.h"
#include "http.h"
#include "valid.h"

/* Who is asking. For the API key: user_id 0, role admin, api_key 1. */
struct app_who {
	long long user_id;
	char username[AUTH_USERNAME_MAX + 1];
	enum auth_role role;
	int api_key;
};

/* Load config, open the database (retried per request if it fails), and
 * serve. `name` is the program's name in log lines. */
int app_main(const char *name, http_handler handler);

/* 1 if the database is open; otherwise a 503 has been sent. */
int app_ready(struct http_req *req);

/*
 * Establish who is asking: X-API-Key, else the session cookie. For the
 * cookie, POST/PUT/PATCH/DELETE must carry X-CSRF-Token. Returns 1, or
 * sends 401 unauthenticated / 403 csrf and returns 0.
 */
int app_authenticate(struct http_req *req, struct app_who *who);
/* 1 for admins; else sends 403 forbidden and returns 0. */
int app_require_admin(struct http_req *req, const struct app_who *who);

/* The JSON object body, limited by DIALER_BODY_LIMIT. Sends 413/415/400
 * and returns NULL when it cannot. Owned by the request. */
cJSON *app_json_body(struct http_req *req);

/* Send the status and message that `err` means, `what` naming the thing
 * (e.g. "user") for 404/409. */
void app_error(struct http_req *req, enum dl_err err, const char *what);
/* 422 validation_failed with {"field","reason"} in details. */
void app_invalid(struct http_req *req, const struct valid_error *e);
/* 1 if body passes the field table; else sends that 422 and returns 0. */
int app_valid(struct http_req *req, const cJSON *body, const struct valid_field *fields,
    size_t n);
/* 400 invalid_parameter for a query parameter. */
void app_bad_param(struct http_req *req, const struct valid_error *e);
/* The query string against a field table: 400 invalid_parameter when it
 * is not valid URL encoding, else each field checked (a VALID_INT's value
 * into num[i] when num[i] is not NULL), the first failure answered by
 * `refuse` (app_bad_param for list filters, app_invalid for report
 * ranges). 1 when every field passes; else the answer is sent. */
int app_query(struct http_req *req, const struct valid_field *fields, size_t n,
    long long **num, void (*refuse)(struct http_req *, const struct valid_error *));

/* {"id","username","role","disabled","created_at"}; NULL when out of memory. */
cJSON *app_user_json(const struct auth_user *u);

/* Set-Cookie for a session token (NULL token: a cookie that clears it),
 * Secure unless DIALER_COOKIE_SECURE=0. */
void app_set_session_cookie(struct http_req *req, const char *token);

/* Match "/prefix/<id>" exactly, with a positive decimal id. */
int app_path_id(const char *path, const char *prefix, long long *id);

/* A configured whole-number limit (e.g. DIALER_BODY_LIMIT). */
long app_limit(const char *key, long dflt);

/* 1 with *p set to the provider called `name`; else 0, after sending why
 * not: 400 unsupported_provider, 503
 * provider_not_configured naming the missing settings. */
int app_provider(struct http_req *req, const char *name, const struct provider **p);
/* The provider failed (its status, code and message in details): 422
 * provider_rejected when it refused, 504 provider_timeout when it did not
 * answer in time, 503 provider_unavailable with Retry-After when it said
 * 429 or 503, 502 provider_error when it failed otherwise (5xx, a broken
 * connection, an answer we cannot read); an error of ours (a setting, the
 * database) as app_error. */
void app_provider_error(struct http_req *req, enum dl_err err,
    const struct provider_error *perr);

/* A phone number from the request into E.164 (DIALER_DEFAULT_REGION for
 * national numbers); sends 422 invalid_phone and returns 0 if it is not one. */
int app_phone(struct http_req *req, const char *field, const char *text, char *out,
    size_t outsz);

/* 1 for no Idempotency-Key or a usable one; else sends 400 and returns 0. */
int app_idempotency_key_ok(struct http_req *req, const char *key);
/* Answer a failed callflow_start: the provider's error, 429 with
 * Retry-After naming the limit, 404 contact_not_found, 409 for the
 * dialing rules' refusals (do_not_call, outside_calling_hours, in words,
 * with details) and contact_reserved / contact_in_call, or app_error. */
void app_start_error(struct http_req *req, enum dl_err err,
    const struct callflow_start *s);

#endif
