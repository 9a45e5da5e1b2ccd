#include <stdio.h>
#include <string.h>

#include "config.h"
#include "provider.h"

extern const struct provider provider_sim;
extern const struct provider provider_twilio;
extern const struct provider provider_telnyx;

/* Every implemented provider; the factory searches it by name. */
static const struct provider *const providers[] = {
	&provider_sim,
	&provider_twilio,
	&provider_telnyx,
	NULL
};

const char *
provider_default_name(void)
{
	const char *name = config_get("DIALER_PROVIDER");

	return name != NULL ? name : "sim";
}

enum dl_err
provider_get(const char *name, const struct provider **out, char *missing,
    size_t missingsz)
{
	const struct provider *const *p;
	const char *const *s;
	size_t used = 0;
	int lacking = 0;

	*out = NULL;
	if (missing != NULL && missingsz > 0)
		missing[0] = '\0';
	if (name == NULL)
		return DL_ERR_NOTFOUND;
	for (p = providers; *p != NULL; p++)
		if (strcmp((*p)->name, name) == 0)
			break;
	if (*p == NULL)
		return DL_ERR_NOTFOUND;
	for (s = (*p)->settings; s != NULL && *s != NULL; s++) {
		if (config_get(*s) != NULL)
			continue;
		lacking = 1;
		if (missing != NULL && used < missingsz) {
			int n = snprintf(missing + used, missingsz - used, "%s%s",
			    used > 0 ? ", " : "", *s);

			if (n > 0)
				used += (size_t)n;
		}
	}
	if (lacking)
		return DL_ERR_CONFIG;
	*out = *p;
	return DL_OK;
}
