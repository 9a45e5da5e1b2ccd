/*
 * POST /api/v1/lists/{id}/next: the next contact of a shared list, held
 * for the caller ({"skip": contact_id} lets one go for a while first).
 * GET /api/v1/callbacks?user_id=&due=: callbacks, soonest first; an
 * operator sees their own, admins and the API key anyone's.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "clock.h"
#include "leads.h"
#include "log.h"
#include "provider.h"

#define LISTS_PREFIX "/api/v1/lists/"

static const struct valid_field next_fields[] = {
	{ "skip", VALID_INT, 0, 1, 0x7fffffffffffffffLL, NULL, NULL,
	  "the id of the contact you hold and pass over" },
};

enum { P_USER_ID, P_DUE, P_COUNT };

static const struct valid_field callback_params[P_COUNT] = {
	[P_USER_ID] = { "user_id", VALID_INT, 0, 1, 0x7fffffffffffffffLL, NULL, NULL, "a user id" },
	[P_DUE] = { "due", VALID_BOOL, 0, 0, 0, NULL, NULL,
	    "1 for only the callbacks whose time has come, else 0" },
};

/* The time the dialing rules judge by; a test clock that cannot be read
 * is a setting gone wrong, answered as such. */
static int
now_or_fail(struct http_req *req, long long *now)
{
	if (clock_now(now) == DL_OK)
		return 1;
	log_line("request_id=%s event=clock_unreadable setting=DIALER_TEST_CLOCK_FILE",
	    http_request_id(req));
	app_error(req, DL_ERR_CONFIG, NULL);
	return 0;
}

/* The list id of "/api/v1/lists/<id>/next"; 0 when the path is not that. */
static long long
next_list_id(const char *path)
{
	const char *p = path + strlen(LISTS_PREFIX);
	char *end;
	long long id;

	if (strncmp(path, LISTS_PREFIX, strlen(LISTS_PREFIX)) != 0 || *p < '1' || *p > '9')
		return 0;
	id = strtoll(p, &end, 10);
	return strcmp(end, "/next") == 0 ? id : 0;
}

static void
next_contact(struct http_req *req, const struct app_who *who)
{
	long long list_id = next_list_id(http_path(req)), skip = 0, now;
	struct leads_pick pick;
	const cJSON *s;
	cJSON *body;
	char *json;
	size_t len;
	enum dl_err err;

	if (list_id <= 0) {
		http_send_error(req, 404, "list_not_found", "No such list.", NULL);
		return;
	}
	if ((body = app_json_body(req)) == NULL ||
	    !app_valid(req, body, next_fields, sizeof(next_fields) / sizeof(next_fields[0])))
		return;
	s = cJSON_GetObjectItemCaseSensitive(body, "skip");
	if (cJSON_IsNumber(s))
		skip = (long long)s->valuedouble;
	if (!now_or_fail(req, &now))
		return;
	err = leads_next(list_id, who->user_id, skip, now, &pick);
	if (err == DL_ERR_NOTFOUND) {
		http_send_error(req, 404, "list_not_found", "No such list.", NULL);
		return;
	}
	if (err != DL_OK) {
		app_error(req, err, "list");
		return;
	}
	if (pick.contact_id == 0) {
		http_send_no_content(req);
		return;
	}
	if ((err = leads_pick_json(&pick, now, provider_default_name(), &json, &len)) != DL_OK) {
		app_error(req, err, "contact");
		return;
	}
	http_send(req, 200, "application/json", json, len);
	free(json);
}

static void
callbacks(struct http_req *req, const struct app_who *who)
{
	long long user_id = 0, now;
	long long *num[P_COUNT] = { [P_USER_ID] = &user_id };
	const char *due;
	struct auth_user u;
	char *json;
	size_t len;
	enum dl_err err;

	if (!app_query(req, callback_params, P_COUNT, num, app_bad_param))
		return;
	if (who->role != AUTH_ADMIN) {
		if (user_id != 0 && user_id != who->user_id) {
			http_send_error(req, 403, "forbidden",
			    "Operators see only their own callbacks.", NULL);
			return;
		}
		user_id = who->user_id;
	} else if (user_id == 0) {
		user_id = who->user_id;
	} else if ((err = auth_user_get(user_id, &u)) != DL_OK) {
		if (err == DL_ERR_NOTFOUND)
			http_send_error(req, 404, "user_not_found", "No such user.", NULL);
		else
			app_error(req, err, "user");
		return;
	}
	due = http_query(req, "due");
	if (!now_or_fail(req, &now))
		return;
	if ((err = leads_callbacks(user_id, due != NULL && (strcmp(due, "1") == 0 ||
	    strcmp(due, "true") == 0), now, &json, &len)) != DL_OK) {
		app_error(req, err, "callback");
		return;
	}
	http_send(req, 200, "application/json", json, len);
	free(json);
}

static void
handle(struct http_req *req)
{
	const char *path = http_path(req), *method = http_method(req);
	struct app_who who;

	if (strcmp(path, "/api/v1/callbacks") == 0) {
		http_set_route(req, "/api/v1/callbacks");
		if (strcmp(method, "GET") != 0) {
			http_send_method_not_allowed(req, "GET");
			return;
		}
		if (app_ready(req) && app_authenticate(req, &who))
			callbacks(req, &who);
		return;
	}
	http_set_route(req, "/api/v1/lists/{id}/next");
	if (strcmp(method, "POST") != 0) {
		http_send_method_not_allowed(req, "POST");
		return;
	}
	if (app_ready(req) && app_authenticate(req, &who))
		next_contact(req, &who);
}

int
main(void)
{
	return app_main("queue", handle);
}
