/*
 * /api/v1/<provider>/<kind>: the provider calling us back — the voice URL a
 * browser leg asks for its instructions, and leg and conference status
 * events. No session here: the provider's signature over the public URL
 * and body is the authentication. The provider reads the webhook into a
 * neutral event; lib/callflow applies it.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "callflow.h"
#include "config.h"
#include "provider.h"

/* Provider events are a few kilobytes; anything far larger is not one. */
#define HOOK_BODY_LIMIT (64 * 1024)
#define HOOK_URL_MAX 2048

static const struct valid_field hint_param =
	{ "call", VALID_INT, 0, 1, 0x7fffffffffffffffLL, NULL, NULL, "a call id" };

static const char *
header_of(void *arg, const char *name)
{
	return http_header(arg, name);
}

/* "/api/v1/<name>/<kind>" with both parts short and plain. */
static int
split_path(const char *path, char *name, size_t namesz, char *kind, size_t kindsz)
{
	const char *p = path + strlen("/api/v1/"), *slash;
	size_t i;

	if (strncmp(path, "/api/v1/", 8) != 0 || (slash = strchr(p, '/')) == NULL ||
	    (size_t)(slash - p) >= namesz || slash == p || strlen(slash + 1) >= kindsz ||
	    slash[1] == '\0')
		return 0;
	memcpy(name, p, (size_t)(slash - p));
	name[slash - p] = '\0';
	snprintf(kind, kindsz, "%s", slash + 1);
	for (i = 0; kind[i]; i++)
		if (!((kind[i] >= 'a' && kind[i] <= 'z') || kind[i] == '-'))
			return 0;
	return 1;
}

static void
handle(struct http_req *req)
{
	char name[16], kind[32], missing[256], msg[384], url[HOOK_URL_MAX];
	const char *base, *qs, *body;
	const struct provider *p;
	struct provider_webhook in;
	struct provider_event ev;
	struct provider_reply reply;
	struct valid_error verr;
	long long hint = 0;
	size_t len, n;
	enum dl_err err;

	if (!split_path(http_path(req), name, sizeof(name), kind, sizeof(kind))) {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	if (strcmp(http_method(req), "POST") != 0) {
		http_send_method_not_allowed(req, "POST");
		return;
	}
	switch (provider_get(name, &p, missing, sizeof(missing))) {
	case DL_OK:
		break;
	case DL_ERR_CONFIG:
		snprintf(msg, sizeof(msg), "The provider \"%s\" is not configured: set %s.", name, missing);
		http_send_error(req, 503, "provider_not_configured", msg, NULL);
		return;
	default:
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	if (valid_text(&hint_param, http_query(req, "call"), &hint, &verr) != DL_OK) {
		app_bad_param(req, &verr);
		return;
	}
	/* The provider signed the URL it was given: ours, as the public sees it. */
	base = config_get("DIALER_PUBLIC_URL");
	n = base != NULL ? strlen(base) : 0;
	while (n > 0 && base[n - 1] == '/')
		n--;
	qs = http_query_string(req);
	if ((size_t)snprintf(url, sizeof(url), "%.*s%s%s%s", (int)n, base != NULL ? base : "",
	    http_path(req), *qs ? "?" : "", qs) >= sizeof(url)) {
		http_send_error(req, 414, "uri_too_long", "The webhook URL is too long.", NULL);
		return;
	}
	switch ((err = http_body(req, HOOK_BODY_LIMIT, &body, &len))) {
	case DL_OK:
		break;
	case DL_ERR_TOOBIG:
		http_send_error(req, 413, "body_too_large",
		    "A webhook body may be at most 64 KiB.", NULL);
		return;
	default:
		app_error(req, err, NULL);
		return;
	}
	in.kind = kind;
	in.url = url;
	in.header = header_of;
	in.header_arg = req;
	in.media_type = http_media_type(req);
	in.body = body;
	in.bodylen = len;
	in.now_unix = 0;
	switch ((err = p->webhook(&in, &ev))) {
	case DL_OK:
		break;
	case DL_ERR_AUTH:
		http_send_error(req, 403, "invalid_signature",
		    "The webhook's signature does not match this URL and body.", NULL);
		return;
	case DL_ERR_UNSUPPORTED:
		http_send_error(req, 415, "unsupported_media_type",
		    "This provider's webhooks come in another media type.", NULL);
		return;
	case DL_ERR_INVALID:
		http_send_error(req, 400, "invalid_webhook",
		    "The webhook lacks a field it must have, or one is malformed.", NULL);
		return;
	case DL_ERR_NOTFOUND:
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	default:
		/* Our side cannot check it (a key setting that is no key, out of
		 * memory): the provider should try again, not give up on a 404. */
		app_error(req, err, NULL);
		return;
	}
	if (!app_ready(req))
		return;
	http_set_log_user(req, p->name);
	if ((err = callflow_webhook(p, &ev, hint, body, len, &reply)) != DL_OK) {
		app_error(req, err, "call");
		return;
	}
	if (reply.content_type[0] == '\0')
		http_send_no_content(req);
	else
		http_send(req, 200, reply.content_type, reply.body, reply.len);
}

int
main(void)
{
	return app_main("webhooks", handle);
}
