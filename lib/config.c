#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

struct known {
	const char *key;
	const char *dflt;
	int secret;
};

/* Every setting the programs read, with its default. Keep README's table
 * of settings in step with this one. */
static const struct known known[] = {
	{ "DIALER_DB", "var/dialer.db", 0 },
	{ "DIALER_API_KEY", NULL, 1 },
	{ "DIALER_DEFAULT_REGION", "US", 0 },
	{ "DIALER_PUBLIC_URL", NULL, 0 },
	{ "DIALER_PROVIDER", "sim", 0 },
	{ "DIALER_MACHINE_DETECTION", "0", 0 },
	{ "DIALER_RECORD_CALLS", "0", 0 },
	{ "DIALER_RECORDING_CONSENT_TEXT", "This call may be recorded for quality and training.", 0 },
	{ "DIALER_RECORDING_CONSENT_URL", NULL, 0 },
	{ "DIALER_CALLING_HOURS", "08:00-21:00", 0 },
	{ "DIALER_CALLING_HOURS_RULES", NULL, 0 },
	{ "DIALER_UNKNOWN_ZONE", "UTC", 0 },
	{ "DIALER_TEST_CLOCK_FILE", NULL, 0 },
	{ "DIALER_RETRY_DELAY", "14400", 0 },
	{ "DIALER_RETRY_MAX_ATTEMPTS", "3", 0 },
	{ "DIALER_LEAD_RESERVATION", "300", 0 },
	{ "DIALER_SKIP_DELAY", "900", 0 },
	{ "DIALER_CALLER_IDS", NULL, 0 },
	{ "DIALER_COOKIE_SECURE", "1", 0 },
	{ "DIALER_UPLOAD_LIMIT", "26214400", 0 },
	{ "DIALER_BODY_LIMIT", "65536", 0 },
	{ "DIALER_SESSION_IDLE", "7200", 0 },
	{ "DIALER_SESSION_MAX", "43200", 0 },
	{ "DIALER_LOGIN_WINDOW", "900", 0 },
	{ "DIALER_LOGIN_MAX_PER_USER", "5", 0 },
	{ "DIALER_LOGIN_MAX_PER_ADDR", "20", 0 },
	{ "DIALER_ADMIN_PASSWORD", NULL, 1 },
	{ "TWILIO_AUTH_TOKEN", NULL, 1 },
	{ "TWILIO_API_KEY_SECRET", NULL, 1 },
	{ "TELNYX_API_KEY", NULL, 1 },
};

struct entry {
	char *key;
	char *value;
};

static struct entry *entries;
static size_t nentries;
static int loaded;

static const struct known *
find_known(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i].key, key) == 0)
			return &known[i];
	return NULL;
}

int
config_is_secret(const char *key)
{
	const struct known *k = find_known(key);

	if (k != NULL)
		return k->secret;
	/* Unknown keys that look like credentials are treated as secrets. */
	return strstr(key, "SECRET") != NULL || strstr(key, "TOKEN") != NULL ||
	    strstr(key, "PASSWORD") != NULL || strstr(key, "_KEY") != NULL;
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static enum dl_err
add_entry(const char *key, const char *value)
{
	struct entry *grown;
	char *k, *v;

	if ((k = strdup(key)) == NULL)
		return DL_ERR_NOMEM;
	if ((v = strdup(value)) == NULL) {
		free(k);
		return DL_ERR_NOMEM;
	}
	grown = realloc(entries, (nentries + 1) * sizeof(*entries));
	if (grown == NULL) {
		free(k);
		free(v);
		return DL_ERR_NOMEM;
	}
	entries = grown;
	entries[nentries].key = k;
	entries[nentries].value = v;
	nentries++;
	return DL_OK;
}

static int
valid_key(const char *k)
{
	if (*k == '\0')
		return 0;
	for (; *k != '\0'; k++)
		if (!(isupper((unsigned char)*k) || isdigit((unsigned char)*k) || *k == '_'))
			return 0;
	return 1;
}

static enum dl_err
read_file(const char *path, int must_exist)
{
	FILE *f;
	char line[4096];
	long lineno = 0;
	enum dl_err err = DL_OK;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return DL_OK;
		fprintf(stderr, "config: cannot read %s: %s\n", path, strerror(errno));
		return DL_ERR_CONFIG;
	}
	while (err == DL_OK && fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq, *key, *value;
		size_t vlen;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(stderr, "config: %s:%ld: line too long\n", path, lineno);
			err = DL_ERR_CONFIG;
			break;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			fprintf(stderr, "config: %s:%ld: expected KEY=VALUE\n", path, lineno);
			err = DL_ERR_CONFIG;
			break;
		}
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		if (!valid_key(key)) {
			fprintf(stderr, "config: %s:%ld: bad key\n", path, lineno);
			err = DL_ERR_CONFIG;
			break;
		}
		vlen = strlen(value);
		if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') &&
		    value[vlen - 1] == value[0]) {
			value[vlen - 1] = '\0';
			value++;
		}
		err = add_entry(key, value);
	}
	if (err == DL_OK && ferror(f)) {
		fprintf(stderr, "config: error reading %s\n", path);
		err = DL_ERR_CONFIG;
	}
	fclose(f);
	return err;
}

enum dl_err
config_load(void)
{
	const char *path = getenv("DIALER_CONFIG");
	enum dl_err err;

	if (loaded)
		return DL_OK;
	err = read_file(path != NULL && *path != '\0' ? path : "etc/dialer.conf",
	    path != NULL && *path != '\0');
	if (err != DL_OK) {
		config_reset();
		return err;
	}
	loaded = 1;
	return DL_OK;
}

void
config_reset(void)
{
	size_t i;

	for (i = 0; i < nentries; i++) {
		free(entries[i].key);
		free(entries[i].value);
	}
	free(entries);
	entries = NULL;
	nentries = 0;
	loaded = 0;
}

const char *
config_get(const char *key)
{
	const char *v = getenv(key);
	const struct known *k;
	size_t i;

	if (v != NULL && *v != '\0')
		return v;
	/* Later lines of the file win, as in a shell. */
	for (i = nentries; i > 0; i--)
		if (strcmp(entries[i - 1].key, key) == 0)
			return *entries[i - 1].value != '\0' ? entries[i - 1].value : NULL;
	k = find_known(key);
	return k != NULL ? k->dflt : NULL;
}

enum dl_err
config_get_long(const char *key, long dflt, long min, long max, long *out)
{
	const char *v = config_get(key);
	char *end;
	long n;

	if (v == NULL) {
		*out = dflt;
		return DL_OK;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
		fprintf(stderr, "config: %s must be a whole number from %ld to %ld\n",
		    key, min, max);
		return DL_ERR_CONFIG;
	}
	*out = n;
	return DL_OK;
}

enum dl_err
config_get_bool(const char *key, int dflt, int *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	const char *v = config_get(key);
	size_t i;

	if (v == NULL) {
		*out = dflt;
		return DL_OK;
	}
	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return DL_OK;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return DL_OK;
		}
	}
	fprintf(stderr, "config: %s must be 1 or 0\n", key);
	return DL_ERR_CONFIG;
}
