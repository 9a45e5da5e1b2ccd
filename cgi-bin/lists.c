/* GET /api/v1/lists; DELETE /api/v1/lists/{id} (admin: archive). */
#include "app.h"
#include "contacts.h"

static void
handle(struct http_req *req)
{
	const char *method = http_method(req);
	struct app_who who;
	long long id;
	cJSON *out;
	enum dl_err err;

	if (strcmp(http_path(req), "/api/v1/lists") == 0) {
		if (strcmp(method, "GET") != 0) {
			http_send_method_not_allowed(req, "GET");
			return;
		}
		if (!app_ready(req) || !app_authenticate(req, &who))
			return;
		if ((err = contacts_lists(&out)) != DL_OK) {
			app_error(req, err, "list");
			return;
		}
		http_send_json(req, 200, out);
		cJSON_Delete(out);
		return;
	}
	if (!app_path_id(http_path(req), "/api/v1/lists/", &id)) {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	if (strcmp(method, "DELETE") != 0) {
		http_send_method_not_allowed(req, "DELETE");
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who) ||
	    !app_require_admin(req, &who))
		return;
	if ((err = contacts_list_archive(id)) != DL_OK) {
		app_error(req, err, "list");
		return;
	}
	http_send_no_content(req);
}

int
main(void)
{
	return app_main("lists", handle);
}
