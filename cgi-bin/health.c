/*
 * GET /api/v1/health (and HEAD), no authentication: for a load balancer.
 * 200 {"status":"ok","checks":{...}} when every check of lib/health.c
 * passes, else 503 {"status":"fail","failing":[...],"checks":{...}}. The
 * answer names checks and short reasons only: no paths, settings' values
 * or SQLite messages (the log line carries the missing setting names).
 */
#include "app.h"
#include "health.h"
#include "log.h"

static const char *const state_words[] = {
	[HEALTH_OK] = "ok", [HEALTH_FAIL] = "fail", [HEALTH_SKIPPED] = "skipped",
};

/* {"status", "reason"?, ...} for one check; NULL when out of memory. */
static cJSON *
check_json(const struct health_report *r, enum health_check_id id)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || cJSON_AddStringToObject(o, "status", state_words[r->state[id]]) == NULL ||
	    (r->reason[id][0] != '\0' &&
	    cJSON_AddStringToObject(o, "reason", r->reason[id]) == NULL))
		goto fail;
	if (id == HEALTH_MIGRATIONS && r->state[id] != HEALTH_SKIPPED &&
	    (cJSON_AddNumberToObject(o, "schema_version", r->schema_version) == NULL ||
	    cJSON_AddNumberToObject(o, "latest_version", r->latest_version) == NULL))
		goto fail;
	if (id == HEALTH_PROVIDER && r->state[id] != HEALTH_SKIPPED &&
	    (cJSON_AddStringToObject(o, "name", r->provider) == NULL ||
	    cJSON_AddBoolToObject(o, "simulated", r->simulated) == NULL))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static cJSON *
report_json(const struct health_report *r, int ok)
{
	cJSON *root = cJSON_CreateObject(), *checks, *failing = NULL, *c;
	int i;

	if (root == NULL ||
	    cJSON_AddStringToObject(root, "status", ok ? "ok" : "fail") == NULL ||
	    (!ok && (failing = cJSON_AddArrayToObject(root, "failing")) == NULL) ||
	    (checks = cJSON_AddObjectToObject(root, "checks")) == NULL)
		goto fail;
	for (i = 0; i < HEALTH__COUNT; i++) {
		const char *name = health_check_name((enum health_check_id)i);

		if ((c = check_json(r, (enum health_check_id)i)) == NULL)
			goto fail;
		if (!cJSON_AddItemToObject(checks, name, c)) {
			cJSON_Delete(c);
			goto fail;
		}
		if (r->state[i] != HEALTH_FAIL)
			continue;
		if ((c = cJSON_CreateString(name)) == NULL)
			goto fail;
		if (!cJSON_AddItemToArray(failing, c)) {
			cJSON_Delete(c);
			goto fail;
		}
	}
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

/* A check in the log line: its reason when it failed, else its state. */
static const char *
word(const struct health_report *r, enum health_check_id id)
{
	return r->state[id] == HEALTH_FAIL ? r->reason[id] : state_words[r->state[id]];
}

static void
handle(struct http_req *req)
{
	struct health_report r;
	enum dl_err err;
	cJSON *out;

	if (strcmp(http_method(req), "GET") != 0) {
		http_send_method_not_allowed(req, "GET, HEAD");
		return;
	}
	err = health_check(&r);
	if (err != DL_OK)
		log_line("request_id=%s event=health_failed config=%s database=%s "
		    "migrations=%s schema_version=%d latest_version=%d provider=%s "
		    "provider_name=%s missing=%s", http_request_id(req),
		    word(&r, HEALTH_CONFIG), word(&r, HEALTH_DATABASE),
		    word(&r, HEALTH_MIGRATIONS), r.schema_version, r.latest_version,
		    word(&r, HEALTH_PROVIDER), LOG_Q(r.provider),
		    LOG_Q(r.missing[0] != '\0' ? r.missing : "-"));
	if ((out = report_json(&r, err == DL_OK)) == NULL) {
		app_error(req, DL_ERR_NOMEM, NULL);
		return;
	}
	http_send_json(req, err == DL_OK ? 200 : 503, out);
	cJSON_Delete(out);
}

int
main(void)
{
	return app_main("health", handle);
}
