/* GET /api/v1/settings: the dialing rules as this server applies them —
 * calling hours, retries, lead reservations, the caller-id pool and
 * recording — so the page can show operators what will happen and why. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "callhours.h"
#include "clock.h"
#include "config.h"

static const char *const retry_outcomes[] = { "no_answer", "busy", NULL };
static const char *const final_outcomes[] = { "wrong_number", "not_interested", "do_not_call", NULL };

static cJSON *
words(const char *const *w)
{
	cJSON *a = cJSON_CreateArray(), *s;

	for (; a != NULL && *w != NULL; w++) {
		if ((s = cJSON_CreateString(*w)) == NULL) {
			cJSON_Delete(a);
			return NULL;
		}
		cJSON_AddItemToArray(a, s);
	}
	return a;
}

/* DIALER_CALLER_IDS as a list (validated where calls use it). */
static cJSON *
caller_ids(void)
{
	const char *p = config_get("DIALER_CALLER_IDS");
	cJSON *a = cJSON_CreateArray(), *s;
	char item[64];
	size_t len;

	for (; a != NULL && p != NULL && *p != '\0'; p += len + (p[len] == ',')) {
		len = strcspn(p, ",");
		snprintf(item, sizeof(item), "%.*s", (int)(len < sizeof(item) ? len : sizeof(item) - 1), p);
		if ((s = cJSON_CreateString(item)) == NULL) {
			cJSON_Delete(a);
			return NULL;
		}
		cJSON_AddItemToArray(a, s);
	}
	return a;
}

static enum dl_err
build(cJSON **out)
{
	long delay, max_attempts, hold, skip;
	int record;
	long long now;
	char now_iso[CLOCK_ISO_LEN];
	cJSON *o, *hours = NULL, *retry, *rec;
	enum dl_err err;

	*out = NULL;
	if ((err = config_get_long("DIALER_RETRY_DELAY", 14400, 60, 30L * 86400, &delay)) != DL_OK ||
	    (err = config_get_long("DIALER_RETRY_MAX_ATTEMPTS", 3, 1, 100, &max_attempts)) != DL_OK ||
	    (err = config_get_long("DIALER_LEAD_RESERVATION", 300, 10, 86400, &hold)) != DL_OK ||
	    (err = config_get_long("DIALER_SKIP_DELAY", 900, 0, 7L * 86400, &skip)) != DL_OK ||
	    (err = config_get_bool("DIALER_RECORD_CALLS", 0, &record)) != DL_OK ||
	    (err = clock_now(&now)) != DL_OK ||
	    (err = callhours_settings_json(&hours)) != DL_OK)
		return err;
	clock_iso(now, now_iso);
	if ((o = cJSON_CreateObject()) == NULL || !cJSON_AddItemToObject(o, "calling_hours", hours)) {
		cJSON_Delete(o);
		cJSON_Delete(hours);
		return DL_ERR_NOMEM;
	}
	if ((retry = cJSON_AddObjectToObject(o, "retry")) == NULL ||
	    cJSON_AddNumberToObject(retry, "delay_s", (double)delay) == NULL ||
	    cJSON_AddNumberToObject(retry, "max_attempts", (double)max_attempts) == NULL ||
	    !cJSON_AddItemToObject(retry, "retry_outcomes", words(retry_outcomes)) ||
	    !cJSON_AddItemToObject(retry, "final_outcomes", words(final_outcomes)) ||
	    cJSON_AddNumberToObject(o, "lead_reservation_s", (double)hold) == NULL ||
	    cJSON_AddNumberToObject(o, "skip_delay_s", (double)skip) == NULL ||
	    !cJSON_AddItemToObject(o, "caller_ids", caller_ids()) ||
	    (rec = cJSON_AddObjectToObject(o, "recording")) == NULL ||
	    cJSON_AddBoolToObject(rec, "enabled", record) == NULL ||
	    cJSON_AddStringToObject(rec, "consent",
	    config_get("DIALER_RECORDING_CONSENT_URL") != NULL ? "audio" : "text") == NULL ||
	    cJSON_AddBoolToObject(o, "test_clock", clock_is_test()) == NULL ||
	    cJSON_AddStringToObject(o, "now", now_iso) == NULL) {
		cJSON_Delete(o);
		return DL_ERR_NOMEM;
	}
	*out = o;
	return DL_OK;
}

static void
handle(struct http_req *req)
{
	struct app_who who;
	cJSON *out;
	enum dl_err err;

	if (strcmp(http_path(req), "/api/v1/settings") != 0) {
		http_send_error(req, 404, "not_found", "No such resource.", NULL);
		return;
	}
	if (strcmp(http_method(req), "GET") != 0) {
		http_send_method_not_allowed(req, "GET");
		return;
	}
	if (!app_ready(req) || !app_authenticate(req, &who))
		return;
	if ((err = build(&out)) != DL_OK) {
		app_error(req, err, "settings");
		return;
	}
	http_send_json(req, 200, out);
	cJSON_Delete(out);
}

int
main(void)
{
	return app_main("settings", handle);
}
