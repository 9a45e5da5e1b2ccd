/* GET /api/v1/contacts?list_id=&status=&q=&callable=&page=&per_page= */
#include <stdlib.h>

#include "app.h"
#include "clock.h"
#include "contacts.h"

enum { P_LIST_ID, P_STATUS, P_Q, P_CALLABLE, P_PAGE, P_PER_PAGE, P_COUNT };

static const struct valid_field params[P_COUNT] = {
	[P_LIST_ID] = { "list_id", VALID_INT, 0, 1, 0x7fffffffffffffffLL, NULL, NULL, "a list id" },
	[P_STATUS] = { "status", VALID_ENUM, 0, 0, 0, contacts_statuses, NULL,
	    "a contact status (not_called, called)" },
	[P_Q] = { "q", VALID_STRING, 0, 0, 200, NULL, NULL, "search text of at most 200 characters" },
	[P_CALLABLE] = { "callable", VALID_BOOL, 0, 0, 0, NULL, NULL,
	    "1 for only the contacts that may be called now, else 0" },
	[P_PAGE] = { "page", VALID_INT, 0, 1, 1000000000, NULL, NULL, "a page number from 1" },
	[P_PER_PAGE] = { "per_page", VALID_INT, 0, 1, 200, NULL, NULL, "a page size from 1 to 200" },
};

static void
handle(struct http_req *req)
{
	struct contacts_filter f = { .page = 1, .per_page = 50 };
	long long *num[P_COUNT] = { [P_LIST_ID] = &f.list_id, [P_PAGE] = &f.page,
	    [P_PER_PAGE] = &f.per_page };
	const char *callable;
	struct app_who who;
	char *json;
	size_t len;
	enum dl_err err;

	if (strcmp(http_method(req), "GET") != 0) {
		http_send_method_not_allowed(req, "GET");
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who))
		return;
	if (!app_query(req, params, P_COUNT, num, app_bad_param))
		return;
	f.status = http_query(req, "status");
	if (f.status != NULL && *f.status == '\0')
		f.status = NULL;
	f.q = http_query(req, "q");
	callable = http_query(req, "callable");
	f.callable = callable != NULL && (strcmp(callable, "1") == 0 || strcmp(callable, "true") == 0);
	if ((err = clock_now(&f.now)) != DL_OK ||
	    (err = contacts_list(&f, &json, &len)) != DL_OK) {
		app_error(req, err, "contact");
		return;
	}
	http_send(req, 200, "application/json", json, len);
	free(json);
}

int
main(void)
{
	return app_main("contacts", handle);
}
