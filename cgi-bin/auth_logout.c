/* POST /api/v1/auth/logout: ends the session and clears the cookie. */
#include "app.h"

static void
handle(struct http_req *req)
{
	struct app_who who;
	enum dl_err err;

	if (strcmp(http_method(req), "POST") != 0) {
		http_send_method_not_allowed(req, "POST");
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who))
		return;
	if (!who.api_key && (err = auth_logout(http_cookie(req, "session"))) != DL_OK) {
		app_error(req, err, "session");
		return;
	}
	app_set_session_cookie(req, NULL);
	http_send_no_content(req);
}

int
main(void)
{
	return app_main("auth_logout", handle);
}
