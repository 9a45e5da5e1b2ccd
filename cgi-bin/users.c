/* Admin only: GET and POST /api/v1/users, PATCH /api/v1/users/{id}. */
#include "app.h"

static const char *const roles[] = { "admin", "operator", NULL };

static int
username_ok(const char *s)
{
	return auth_username_valid(s);
}

static int
password_ok(const char *s)
{
	return auth_password_problem(s) == NULL;
}

static const struct valid_field create_fields[] = {
	{ "username", VALID_STRING, 1, 1, AUTH_USERNAME_MAX, NULL, username_ok,
	  "1 to 64 letters, digits or . _ @ -" },
	{ "password", VALID_STRING, 1, AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX, NULL, password_ok,
	  "8 to 1024 characters" },
	{ "role", VALID_ENUM, 0, 0, 0, roles, NULL, "\"admin\" or \"operator\"" },
};

static const struct valid_field update_fields[] = {
	{ "role", VALID_ENUM, 0, 0, 0, roles, NULL, "\"admin\" or \"operator\"" },
	{ "disabled", VALID_BOOL, 0, 0, 0, NULL, NULL, "true or false" },
	{ "password", VALID_STRING, 0, AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX, NULL, password_ok,
	  "8 to 1024 characters" },
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static enum dl_err
add_user(void *ud, const struct auth_user *u)
{
	cJSON *o = app_user_json(u);

	if (o == NULL)
		return DL_ERR_NOMEM;
	cJSON_AddItemToArray(ud, o);
	return DL_OK;
}

static void
send_user(struct http_req *req, int status, long long id)
{
	struct auth_user u;
	cJSON *out;
	enum dl_err err;

	if ((err = auth_user_get(id, &u)) != DL_OK) {
		app_error(req, err, "user");
		return;
	}
	if ((out = cJSON_CreateObject()) == NULL) {
		app_error(req, DL_ERR_NOMEM, NULL);
		return;
	}
	cJSON_AddItemToObject(out, "user", app_user_json(&u));
	http_send_json(req, status, out);
	cJSON_Delete(out);
}

static void
list_users(struct http_req *req)
{
	cJSON *out = cJSON_CreateObject(), *items;
	enum dl_err err;

	if (out == NULL || (items = cJSON_AddArrayToObject(out, "items")) == NULL) {
		cJSON_Delete(out);
		app_error(req, DL_ERR_NOMEM, NULL);
		return;
	}
	if ((err = auth_user_foreach(add_user, items)) != DL_OK) {
		cJSON_Delete(out);
		app_error(req, err, "user");
		return;
	}
	http_send_json(req, 200, out);
	cJSON_Delete(out);
}

static void
create_user(struct http_req *req)
{
	enum auth_role role = AUTH_OPERATOR;
	const cJSON *r;
	cJSON *body;
	long long id;
	enum dl_err err;

	if ((body = app_json_body(req)) == NULL)
		return;
	if (!app_valid(req, body, create_fields, NFIELDS(create_fields)))
		return;
	r = cJSON_GetObjectItemCaseSensitive(body, "role");
	if (cJSON_IsString(r))
		auth_role_parse(r->valuestring, &role);
	err = auth_user_create(cJSON_GetObjectItemCaseSensitive(body, "username")->valuestring,
	    cJSON_GetObjectItemCaseSensitive(body, "password")->valuestring, role, &id);
	if (err == DL_ERR_CONFLICT) {
		http_send_error(req, 409, "username_taken",
		    "A user with that name exists (names are compared ignoring case).", NULL);
		return;
	}
	if (err != DL_OK) {
		app_error(req, err, "user");
		return;
	}
	send_user(req, 201, id);
}

static void
update_user(struct http_req *req, long long id)
{
	enum auth_role role;
	int disabled;
	const cJSON *r, *d, *p;
	cJSON *body;
	enum dl_err err;

	if ((body = app_json_body(req)) == NULL)
		return;
	if (!app_valid(req, body, update_fields, NFIELDS(update_fields)))
		return;
	r = cJSON_GetObjectItemCaseSensitive(body, "role");
	d = cJSON_GetObjectItemCaseSensitive(body, "disabled");
	p = cJSON_GetObjectItemCaseSensitive(body, "password");
	if (cJSON_IsString(r))
		auth_role_parse(r->valuestring, &role);
	if (cJSON_IsBool(d))
		disabled = cJSON_IsTrue(d);
	err = auth_user_update(id, cJSON_IsString(r) ? &role : NULL,
	    cJSON_IsBool(d) ? &disabled : NULL, cJSON_IsString(p) ? p->valuestring : NULL);
	if (err == DL_ERR_CONFLICT) {
		http_send_error(req, 409, "last_admin",
		    "This would leave no enabled admin; make another admin first.", NULL);
		return;
	}
	if (err != DL_OK) {
		app_error(req, err, "user");
		return;
	}
	send_user(req, 200, id);
}

static void
handle(struct http_req *req)
{
	const char *method = http_method(req);
	struct app_who who;
	long long id;
	int collection = strcmp(http_path(req), "/api/v1/users") == 0;

	if (!collection && !app_path_id(http_path(req), "/api/v1/users/", &id)) {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	if (collection && strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
		http_send_method_not_allowed(req, "GET, POST");
		return;
	}
	if (!collection && strcmp(method, "PATCH") != 0) {
		http_send_method_not_allowed(req, "PATCH");
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who) ||
	    !app_require_admin(req, &who))
		return;
	if (!collection)
		update_user(req, id);
	else if (strcmp(method, "GET") == 0)
		list_users(req);
	else
		create_user(req);
}

int
main(void)
{
	return app_main("users", handle);
}
