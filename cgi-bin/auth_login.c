/* POST /api/v1/auth/login {"username","password"} -> the user, a CSRF
 * token and the session cookie. */
#include <stdio.h>

#include "app.h"

static const struct valid_field fields[] = {
	{ "username", VALID_STRING, 1, 1, AUTH_USERNAME_MAX, NULL, NULL, "your username" },
	{ "password", VALID_STRING, 1, 1, AUTH_PASSWORD_MAX, NULL, NULL, "your password" },
};

static void
handle(struct http_req *req)
{
	char token[AUTH_TOKEN_LEN + 1], csrf[AUTH_TOKEN_LEN + 1], msg[128], wait[24];
	struct auth_user user;
	cJSON *body, *out;
	long retry_after = 0;
	enum dl_err err;

	if (strcmp(http_method(req), "POST") != 0) {
		http_send_method_not_allowed(req, "POST");
		return;
	}
	if (!app_ready(req) || (body = app_json_body(req)) == NULL)
		return;
	if (!app_valid(req, body, fields, sizeof(fields) / sizeof(fields[0])))
		return;
	err = auth_login(cJSON_GetObjectItem(body, "username")->valuestring,
	    cJSON_GetObjectItem(body, "password")->valuestring,
	    http_remote_addr(req), http_header(req, "User-Agent"), &user, token,
	    csrf, &retry_after);
	switch (err) {
	case DL_OK:
		break;
	case DL_ERR_AUTH:
		http_send_error(req, 401, "invalid_credentials",
		    "The username or password is wrong.", NULL);
		return;
	case DL_ERR_THROTTLED:
		snprintf(wait, sizeof(wait), "%ld", retry_after);
		http_add_header(req, "Retry-After", wait);
		snprintf(msg, sizeof(msg), "Too many failed logins; try again in %ld "
		    "seconds.", retry_after);
		http_send_error(req, 429, "too_many_attempts", msg, NULL);
		return;
	default:
		app_error(req, err, "user");
		return;
	}
	http_set_log_user(req, user.username);
	if ((out = cJSON_CreateObject()) == NULL) {
		app_error(req, DL_ERR_NOMEM, NULL);
		return;
	}
	cJSON_AddItemToObject(out, "user", app_user_json(&user));
	cJSON_AddStringToObject(out, "csrf_token", csrf);
	app_set_session_cookie(req, token);
	http_send_json(req, 200, out);
	cJSON_Delete(out);
}

int
main(void)
{
	return app_main("auth_login", handle);
}
