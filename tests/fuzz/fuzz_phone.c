/*
 * Phone numbers (lib/phone.cc through its C API): phone_parse and
 * phone_parse_brief on any bytes with a default region, phone_area,
 * phone_region_supported, and the reason names. The first input byte
 * picks the default region (or takes the next two bytes as one).
 *
 * Checked: the brief parse agrees with the full one; a usable number has
 * an E.164 form that parses again, under any default region, to itself;
 * its area (local presence) is a prefix of it; every reason has a code
 * and a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const regions[] = { "US", "GB", "DE", "FR", "IN", "AU", "BR", "JP", "CA", "" };
#define NREGIONS (sizeof(regions) / sizeof(regions[0]))

/* "+" and digits, as many as libphonenumber writes: E.164 allows 15,
 * but its metadata takes some longer German numbers (+49 and 14 digits);
 * struct phone_info's buffer holds 18. */
static void
check_e164(const char *s)
{
	size_t n = strspn(s + 1, "0123456789");

	FUZZ_CHECK(s[0] == '+' && s[1] >= '1' && s[1] <= '9' && s[1 + n] == '\0');
	FUZZ_CHECK(n >= 2 && n <= 18);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t pick = fuzz_take_byte(&in);
	struct phone_info full, brief, again;
	enum phone_reason why, why2;
	char region[3], area[32], area_region[4], *text;

	if (pick % (NREGIONS + 1) < NREGIONS) {
		snprintf(region, sizeof(region), "%s", regions[pick % (NREGIONS + 1)]);
	} else {
		region[0] = (char)fuzz_take_byte(&in);
		region[1] = (char)fuzz_take_byte(&in);
		region[2] = '\0';
	}
	phone_region_supported(region);

	memset(&full, 0, sizeof(full));
	memset(&brief, 0, sizeof(brief));
	why = phone_parse((const char *)in.p, in.n, region, &full);
	why2 = phone_parse_brief((const char *)in.p, in.n, region, &brief);
	FUZZ_CHECK(why == why2);
	FUZZ_CHECK(phone_reason_code(why) != NULL && phone_reason_message(why) != NULL);
	FUZZ_CHECK(phone_type_name(full.type) != NULL);
	if (why == PHONE_OK) {
		check_e164(full.e164);
		FUZZ_CHECK(strcmp(full.e164, brief.e164) == 0);
		FUZZ_CHECK(strcmp(full.national, brief.national) == 0 && full.national[0] != '\0');
		FUZZ_CHECK(strcmp(full.region, brief.region) == 0 && full.type == brief.type);
		FUZZ_CHECK(full.international[0] == '+' && brief.international[0] == '\0');
		FUZZ_CHECK(strlen(full.region) == 2 || strcmp(full.region, "001") == 0);
		/* E.164 carries its country: the default region no longer matters. */
		FUZZ_CHECK(phone_parse(full.e164, strlen(full.e164), regions[pick % NREGIONS],
		    &again) == PHONE_OK);
		FUZZ_CHECK(strcmp(again.e164, full.e164) == 0 && again.type == full.type);
		if (phone_area(full.e164, area, sizeof(area), area_region) == PHONE_OK) {
			FUZZ_CHECK(area[0] == '\0' || (area[0] == '+' &&
			    strncmp(full.e164, area, strlen(area)) == 0));
			FUZZ_CHECK(memchr(area_region, '\0', sizeof(area_region)) != NULL);
		}
	}
	/* phone_area on whatever came: it must parse on its own. */
	FUZZ_CHECK((text = malloc(in.n + 1)) != NULL);
	memcpy(text, in.p, in.n);
	text[in.n] = '\0';
	why = phone_area(text, area, sizeof(area), area_region);
	FUZZ_CHECK(phone_reason_code(why) != NULL);
	free(text);
	return 0;
}
