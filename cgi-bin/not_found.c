/* Any /api/ path no endpoint owns: a JSON 404 like every other API error. */
#include "app.h"

static void
handle(struct http_req *req)
{
	http_send_error(req, 404, "not_found", "No such API endpoint.", NULL);
}

int
main(void)
{
	return app_main("not_found", handle);
}
