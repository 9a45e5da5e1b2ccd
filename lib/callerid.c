#include <stdio.h>
#include <string.h>

#include "callerid.h"
#include "config.h"
#include "log.h"
#include "phone.h"

#define POOL_MAX 64

struct pool_number {
	char e164[20];
	char area[24];
	char region[4];
};

/* The provider's own caller id: the fallback when no pooled number fits. */
static const struct {
	const char *provider;
	const char *setting;
} defaults[] = {
	{ "twilio", "TWILIO_CALLER_ID" },
	{ "telnyx", "TELNYX_CALLER_ID" },
};


/* Read afresh per call: a pool is a few numbers, and a dial is rare next
 * to the microseconds this takes. */
static enum dl_err
load_pool(struct pool_number *pool, size_t *n)
{
	const char *list = config_get("DIALER_CALLER_IDS"), *p;
	struct phone_info info;
	char item[64];
	size_t len, npool = 0;

	*n = 0;
	for (p = list; p != NULL && *p != '\0'; p += len + (p[len] == ',')) {
		len = strcspn(p, ",");
		if (len >= sizeof(item) || npool == POOL_MAX) {
			log_line("event=config_error setting=DIALER_CALLER_IDS why=%s",
			    npool == POOL_MAX ? "more_than_64_numbers" : "entry_too_long");
			return DL_ERR_CONFIG;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		/* Only full international numbers: a pool serves every region. */
		if (phone_parse(item, len, NULL, &info) != PHONE_OK ||
		    phone_area(info.e164, pool[npool].area, sizeof(pool[npool].area),
		    pool[npool].region) != PHONE_OK) {
			log_line("event=config_error setting=DIALER_CALLER_IDS why=invalid_number entry=%zu",
			    npool + 1);
			return DL_ERR_CONFIG;
		}
		snprintf(pool[npool].e164, sizeof(pool[npool].e164), "%s", info.e164);
		npool++;
	}
	*n = npool;
	return DL_OK;
}

enum dl_err
callerid_pick(const char *to, const char *provider, char out[20], enum callerid_match *how)
{
	struct pool_number pool[POOL_MAX];
	char area[24], region[4];
	const char *dflt = NULL;
	size_t i, npool;
	enum dl_err err;

	out[0] = '\0';
	*how = CALLERID_NONE;
	if ((err = load_pool(pool, &npool)) != DL_OK)
		return err;
	if (to != NULL && phone_area(to, area, sizeof(area), region) == PHONE_OK) {
		for (i = 0; i < npool; i++) {
			if (area[0] != '\0' && strcmp(pool[i].area, area) == 0) {
				snprintf(out, 20, "%s", pool[i].e164);
				*how = CALLERID_AREA_CODE;
				return DL_OK;
			}
		}
		for (i = 0; i < npool; i++) {
			if (strcmp(pool[i].region, region) == 0) {
				snprintf(out, 20, "%s", pool[i].e164);
				*how = CALLERID_REGION;
				return DL_OK;
			}
		}
	}
	for (i = 0; provider != NULL && i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (strcmp(defaults[i].provider, provider) == 0)
			dflt = config_get(defaults[i].setting);
	if (dflt != NULL) {
		snprintf(out, 20, "%s", dflt);
		*how = CALLERID_DEFAULT;
	}
	return DL_OK;
}

const char *
callerid_match_name(enum callerid_match how)
{
	static const char *const names[] = { "area_code", "region", "default", "none" };

	return (unsigned)how < sizeof(names) / sizeof(names[0]) ? names[how] : "none";
}
