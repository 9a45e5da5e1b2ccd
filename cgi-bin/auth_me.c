/* GET /api/v1/auth/me: who is logged in, the session's CSRF token (so a
 * reloaded page can carry on without logging in again), and the default
 * provider, so the page can say when calls are only simulated. With
 * ?optional=1 nobody signed in is a 200 with "user": null, not a 401. */
#include "app.h"
#include "provider.h"

/* {"name","simulated","configured"} of the default provider. */
static cJSON *
provider_json(void)
{
	const char *name = provider_default_name();
	const struct provider *p;
	int ok = provider_get(name, &p, NULL, 0) == DL_OK;
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || cJSON_AddStringToObject(o, "name", name) == NULL ||
	    cJSON_AddBoolToObject(o, "simulated", ok && p->simulated) == NULL ||
	    cJSON_AddBoolToObject(o, "configured", ok) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* ?optional=1 without an API key, and no live session cookie. */
static int
signed_out(struct http_req *req)
{
	const char *opt = http_query(req, "optional"), *token;
	struct auth_user u;

	if (opt == NULL || strcmp(opt, "1") != 0 || http_header(req, "X-API-Key") != NULL)
		return 0;
	token = http_cookie(req, "session");
	return token == NULL || auth_session(token, &u) == DL_ERR_AUTH;
}

/* What the answer says about the user: null when nobody is signed in,
 * the API key's name and role, or the session's user and CSRF token. */
static enum dl_err
add_user(struct http_req *req, const struct app_who *who, cJSON *out)
{
	char csrf[AUTH_TOKEN_LEN + 1];
	struct auth_user user;
	enum dl_err err;
	cJSON *u;

	if (who == NULL)
		return cJSON_AddNullToObject(out, "user") != NULL &&
		    cJSON_AddNullToObject(out, "csrf_token") != NULL ? DL_OK : DL_ERR_NOMEM;
	if (who->api_key)
		return (u = cJSON_AddObjectToObject(out, "user")) != NULL &&
		    cJSON_AddNullToObject(u, "id") != NULL &&
		    cJSON_AddStringToObject(u, "username", who->username) != NULL &&
		    cJSON_AddStringToObject(u, "role", auth_role_name(who->role)) != NULL &&
		    cJSON_AddNullToObject(out, "csrf_token") != NULL ? DL_OK : DL_ERR_NOMEM;
	if ((err = auth_user_get(who->user_id, &user)) != DL_OK ||
	    (err = auth_csrf(http_cookie(req, "session"), csrf)) != DL_OK)
		return err;
	if ((u = app_user_json(&user)) == NULL)
		return DL_ERR_NOMEM;
	if (!cJSON_AddItemToObject(out, "user", u)) {
		cJSON_Delete(u);
		return DL_ERR_NOMEM;
	}
	return cJSON_AddStringToObject(out, "csrf_token", csrf) != NULL ? DL_OK : DL_ERR_NOMEM;
}

static void
handle(struct http_req *req)
{
	struct app_who who;
	int anyone;
	cJSON *out, *p = NULL;
	enum dl_err err;

	if (strcmp(http_method(req), "GET") != 0) {
		http_send_method_not_allowed(req, "GET");
		return;
	}
	if (!app_ready(req))
		return;
	/* ?optional=1: a page asking whether anyone is signed in gets an
	 * answer, not an error it would have to log. */
	anyone = !signed_out(req);
	if (anyone && !app_authenticate(req, &who))
		return;
	err = DL_ERR_NOMEM;
	if ((out = cJSON_CreateObject()) != NULL &&
	    (err = add_user(req, anyone ? &who : NULL, out)) == DL_OK) {
		err = DL_ERR_NOMEM;
		if ((p = provider_json()) != NULL && cJSON_AddItemToObject(out, "provider", p)) {
			p = NULL;
			err = DL_OK;
		}
	}
	if (err != DL_OK) {
		cJSON_Delete(p);
		cJSON_Delete(out);
		app_error(req, err, "user");
		return;
	}
	http_send_json(req, 200, out);
	cJSON_Delete(out);
}

int
main(void)
{
	return app_main("auth_me", handle);
}
