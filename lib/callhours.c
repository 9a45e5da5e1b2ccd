/*
 * callhours: see callhours.h. Notes on the choices:
 *
 *  - Settings are parsed on first use and again only when a value
 *    changes (which happens in unit tests, through config_reset). A
 *    malformed value is logged once, and every check fails with
 *    DL_ERR_CONFIG until it is fixed: a dialer must not guess its hours.
 *  - Local time comes from the C library and the system tz database
 *    (tzdata): TZ is set to the zone, tzset() loads its rules, and the
 *    caller's TZ is put back afterwards. Loading a zone costs a file read,
 *    so what a zone gives at a minute is cached: its local time, and the
 *    window as UTC intervals for the next days. The cache is emptied when
 *    the minute changes; a SQL scan over many contacts, which judges them
 *    all at one `now`, loads each zone once. TZ is process-wide, so this
 *    module is not thread-safe (neither are the FastCGI programs threaded).
 *  - A number's zones are libphonenumber's (the generated tables, longest
 *    prefix of the E.164 digits). A number spanning several zones is
 *    callable only while the window is open in all of them, and then the
 *    next opening is the start of the intersection of their windows.
 */
#include "callhours.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "phone.h"

#define ZONEINFO "/usr/share/zoneinfo"
#define ZONE_MAX 63
#define DAY_MIN (24 * 60)

/* Rules: at most this many keys and ';'-separated entries. */
#define RULES_MAX 64
/* A prefix key: '+' and up to 15 digits (the longest E.164 number). */
#define KEY_MAX 16

/*
 * The window is laid out in UTC for the local days from yesterday (whose
 * window may still be open just after midnight UTC) to SEARCH_DAYS ahead;
 * the next opening is looked for within SEARCH_DAYS.
 */
#define SEARCH_DAYS 8
#define DAYS (SEARCH_DAYS + 2)

/* Zone cache: open addressing, emptied when the minute changes. */
#define CACHE_SLOTS 1024
#define CACHE_PROBE 32

/* Intervals kept while intersecting a set's windows (earliest first). */
#define IV_MAX 64

struct window {
	int start, end; /* minutes since local midnight; start < end <= 1440 */
};

struct rule_key {
	char key[KEY_MAX + 1];	/* "+1305" or "GB" */
	size_t len;
	int region;		/* key is a region code */
	size_t group;		/* index in settings.group */
};

struct settings {
	int parsed;
	enum dl_err err;	/* DL_OK or DL_ERR_CONFIG (or NOMEM) */
	char *raw[3];		/* the values parsed, to notice a change */
	struct window dflt;
	struct window group[RULES_MAX];
	size_t ngroups;
	struct rule_key keys[RULES_MAX];
	size_t nkeys;
	int any_region;
	char unknown_zone[ZONE_MAX + 1];
};

static const char *const setting_names[3] = {
	"DIALER_CALLING_HOURS", "DIALER_CALLING_HOURS_RULES",
	"DIALER_UNKNOWN_ZONE",
};

static struct settings S;

struct zone_entry {
	char name[ZONE_MAX + 1];
	struct window w;
	unsigned gen;		/* live when equal to cache_gen */
	int valid;
	int local_min;		/* local minutes since midnight at the minute */
	long long open[DAYS], close[DAYS];	/* the window in UTC */
};

static struct zone_entry cache[CACHE_SLOTS];
static struct zone_entry scratch;
static unsigned cache_gen = 1;
static long long cache_minute = -1;

/* The caller's TZ while we borrow it. */
static int tz_borrowed;
static char *tz_saved;
static int tz_had;

/* ---- zone names ---------------------------------------------------- */

int
callhours_zone_valid(const char *name)
{
	char path[sizeof(ZONEINFO) + ZONE_MAX + 2], magic[4];
	struct stat st;
	size_t len, i;
	int fd, ok;

	if (name == NULL || (len = strlen(name)) == 0 || len > ZONE_MAX ||
	    name[0] == '/' || name[len - 1] == '/' || strstr(name, "..") != NULL ||
	    strstr(name, "//") != NULL)
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '+' ||
		    c == '-'))
			return 0;
	}
	/* Debian links this to /etc/localtime: the server's zone, not one. */
	if (strcmp(name, "localtime") == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", ZONEINFO, name);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	ok = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

/* ---- settings ------------------------------------------------------ */

static void
config_error(const char *setting, const char *why, const char *value)
{
	log_line("event=config_error setting=%s why=%s value=%s", setting, why,
	    LOG_Q(value));
}

static int
two_digits(const char *s, int max)
{
	int v;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	v = (s[0] - '0') * 10 + (s[1] - '0');
	return v <= max ? v : -1;
}

/* "HH:MM-HH:MM", exactly; the end may be 24:00 (until midnight). */
static int
parse_window(const char *s, size_t len, struct window *w)
{
	int sh, sm, eh, em;

	if (len != 11 || s[2] != ':' || s[5] != '-' || s[8] != ':')
		return -1;
	sh = two_digits(s, 23);
	sm = two_digits(s + 3, 59);
	eh = two_digits(s + 6, 24);
	em = two_digits(s + 9, 59);
	if (sh < 0 || sm < 0 || eh < 0 || em < 0 || (eh == 24 && em != 0))
		return -1;
	w->start = sh * 60 + sm;
	w->end = eh * 60 + em;
	return w->start < w->end ? 0 : -1;
}

/* "HH:MM" for 0 <= min <= 1440, into out[0..4] (no NUL). */
static void
put_hhmm(int min, char *out)
{
	out[0] = (char)('0' + min / 600);
	out[1] = (char)('0' + min / 60 % 10);
	out[2] = ':';
	out[3] = (char)('0' + min % 60 / 10);
	out[4] = (char)('0' + min % 10);
}

static void
format_window(const struct window *w, char out[12])
{
	put_hhmm(w->start, out);
	out[5] = '-';
	put_hhmm(w->end, out + 6);
	out[11] = '\0';
}

static void
span_trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/* One key of a rule; NULL when fine, else why not (for the log). */
static const char *
parse_key(struct settings *s, const char *k, size_t len, size_t group)
{
	struct rule_key *rk;
	size_t i;

	if (s->nkeys == RULES_MAX)
		return "too_many_keys";
	rk = &s->keys[s->nkeys];
	if (len >= 2 && len <= KEY_MAX && k[0] == '+') {
		for (i = 1; i < len; i++)
			if (k[i] < '0' || k[i] > '9')
				return "bad_prefix";
		rk->region = 0;
	} else if (len == 2 && k[0] >= 'A' && k[0] <= 'Z' && k[1] >= 'A' &&
	    k[1] <= 'Z') {
		rk->region = 1;
	} else {
		return "bad_key";
	}
	memcpy(rk->key, k, len);
	rk->key[len] = '\0';
	rk->len = len;
	rk->group = group;
	if (rk->region && !phone_region_supported(rk->key))
		return "unknown_region";
	for (i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].key, rk->key) == 0)
			return "duplicate_key";
	s->any_region |= rk->region;
	s->nkeys++;
	return NULL;
}

/* "+1305,+1786=08:00-20:00;GB=09:00-20:00"; NULL when fine, else why. */
static const char *
parse_rules(struct settings *s, const char *v)
{
	while (*v != '\0') {
		const char *end = strchr(v, ';'), *eq, *k, *why;
		size_t len = end != NULL ? (size_t)(end - v) : strlen(v), klen;

		if (s->ngroups == RULES_MAX)
			return "too_many_rules";
		if ((eq = memchr(v, '=', len)) == NULL)
			return "expected_keys=window";
		k = eq + 1;
		klen = len - (size_t)(k - v);
		span_trim(&k, &klen);
		if (parse_window(k, klen, &s->group[s->ngroups]) != 0)
			return "bad_window";
		k = v;
		while (k <= eq) {
			const char *comma = memchr(k, ',', (size_t)(eq - k));
			const char *kend = comma != NULL ? comma : eq;
			const char *key = k;

			klen = (size_t)(kend - k);
			span_trim(&key, &klen);
			if ((why = parse_key(s, key, klen, s->ngroups)) != NULL)
				return why;
			k = kend + 1;
		}
		s->ngroups++;
		if (end == NULL)
			break;
		v = end + 1;
	}
	return NULL;
}

static int
same_value(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static enum dl_err
parse_settings(const char *const v[3])
{
	const char *why;
	size_t i;

	memset(&S.dflt, 0, sizeof(S) - offsetof(struct settings, dflt));
	for (i = 0; i < 3; i++) {
		free(S.raw[i]);
		S.raw[i] = NULL;
		if (v[i] != NULL && (S.raw[i] = strdup(v[i])) == NULL) {
			S.parsed = 0;
			return DL_ERR_NOMEM;
		}
	}
	S.parsed = 1;
	S.err = DL_ERR_CONFIG;
	if (v[0] == NULL || parse_window(v[0], strlen(v[0]), &S.dflt) != 0) {
		config_error(setting_names[0], "expected_HH:MM-HH:MM", v[0]);
		return S.err;
	}
	if (v[1] != NULL && (why = parse_rules(&S, v[1])) != NULL) {
		config_error(setting_names[1], why, v[1]);
		return S.err;
	}
	if (v[2] == NULL || !callhours_zone_valid(v[2])) {
		config_error(setting_names[2], "unknown_zone", v[2]);
		return S.err;
	}
	snprintf(S.unknown_zone, sizeof(S.unknown_zone), "%s", v[2]);
	return S.err = DL_OK;
}

static enum dl_err
settings(void)
{
	const char *v[3];
	enum dl_err err;
	size_t i;

	if ((err = config_load()) != DL_OK)
		return err;
	for (i = 0; i < 3; i++)
		v[i] = config_get(setting_names[i]);
	if (S.parsed && same_value(v[0], S.raw[0]) &&
	    same_value(v[1], S.raw[1]) && same_value(v[2], S.raw[2]))
		return S.err;
	return parse_settings(v);
}

/*
 * The window for a number: longest prefix rule, then region, then default.
 * `region` is the number's ISO region when the caller knows it (NULL:
 * libphonenumber is asked, if a region rule needs it).
 */
static const struct window *
window_for(const char *e164, const char *region)
{
	const struct rule_key *best = NULL;
	char area[KEY_MAX + 8], parsed[4];
	size_t i;

	if (e164 == NULL)
		return &S.dflt;
	for (i = 0; i < S.nkeys; i++) {
		const struct rule_key *k = &S.keys[i];

		if (!k->region && strncmp(e164, k->key, k->len) == 0 &&
		    (best == NULL || k->len > best->len))
			best = k;
	}
	if (best != NULL || !S.any_region)
		return best != NULL ? &S.group[best->group] : &S.dflt;
	/* A parse costs ~12 us a number, hence the caller's region first. */
	if (region == NULL) {
		if (e164[0] != '+' ||
		    phone_area(e164, area, sizeof(area), parsed) != PHONE_OK)
			return &S.dflt;
		region = parsed;
	}
	for (i = 0; i < S.nkeys && best == NULL; i++)
		if (S.keys[i].region && strcmp(S.keys[i].key, region) == 0)
			best = &S.keys[i];
	return best != NULL ? &S.group[best->group] : &S.dflt;
}

/* ---- a number's zones ---------------------------------------------- */

static int
prefix_cmp(const struct callhours_tz_prefix *p, unsigned len, unsigned digits)
{
	if (p->len != len)
		return p->len < len ? -1 : 1;
	if (p->digits != digits)
		return p->digits < digits ? -1 : 1;
	return 0;
}

/* Index in callhours_tz_sets for a "+digits" number, or -1. */
static int
number_set(const char *e164)
{
	unsigned val[16], len, n;
	const char *d;

	if (e164 == NULL || e164[0] != '+')
		return -1;
	d = e164 + 1;
	n = (unsigned)strspn(d, "0123456789");
	if (n == 0 || d[n] != '\0')
		return -1;
	if (n > callhours_tz_longest)
		n = callhours_tz_longest;
	for (len = 1; len <= n; len++)
		val[len] = (len > 1 ? val[len - 1] * 10 : 0) + (unsigned)(d[len - 1] - '0');
	for (len = n; len >= 1; len--) {
		size_t lo = 0, hi = callhours_tz_nprefixes;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = prefix_cmp(&callhours_tz_prefixes[mid], len, val[len]);

			if (c == 0)
				return callhours_tz_prefixes[mid].set;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return -1;
}

/* ---- local time ---------------------------------------------------- */

static enum dl_err
tz_borrow(void)
{
	const char *old;

	if (tz_borrowed)
		return DL_OK;
	old = getenv("TZ");
	tz_had = old != NULL;
	if (tz_had && (tz_saved = strdup(old)) == NULL)
		return DL_ERR_NOMEM;
	tz_borrowed = 1;
	return DL_OK;
}

static enum dl_err
tz_give_back(void)
{
	int rc;

	if (!tz_borrowed)
		return DL_OK;
	rc = tz_had ? setenv("TZ", tz_saved, 1) : unsetenv("TZ");
	tzset();
	free(tz_saved);
	tz_saved = NULL;
	tz_borrowed = 0;
	return rc == 0 ? DL_OK : DL_ERR_NOMEM;
}

/* UTC of local minute `min` (1440 is the next midnight) on the day
 * `days` after `today`, in the zone TZ names; mktime carries overflows
 * and settles DST. */
static long long
local_to_utc(const struct tm *today, int days, int min)
{
	struct tm d = { 0 };

	d.tm_year = today->tm_year;
	d.tm_mon = today->tm_mon;
	d.tm_mday = today->tm_mday + days;
	d.tm_hour = min / 60;
	d.tm_min = min % 60;
	d.tm_isdst = -1;
	return (long long)mktime(&d);
}

/* The zone's local time at `now` and its window in UTC, day by day. */
static enum dl_err
zone_compute(struct zone_entry *e, long long now)
{
	time_t t = (time_t)now;
	struct tm tm;
	int k;

	if (!(e->valid = callhours_zone_valid(e->name)))
		return DL_OK;
	if (tz_borrow() != DL_OK || setenv("TZ", e->name, 1) != 0)
		return DL_ERR_NOMEM;
	tzset();
	if (localtime_r(&t, &tm) == NULL)
		return DL_ERR_INVALID;
	e->local_min = tm.tm_hour * 60 + tm.tm_min;
	for (k = 0; k < DAYS; k++) {
		e->open[k] = local_to_utc(&tm, k - 1, e->w.start);
		e->close[k] = local_to_utc(&tm, k - 1, e->w.end);
	}
	return DL_OK;
}

static uint32_t
entry_hash(const char *name, const struct window *w)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	h = (h ^ (uint32_t)w->start) * 16777619u;
	return (h ^ (uint32_t)w->end) * 16777619u;
}

/* The zone's entry for this minute and window, computed on a miss. The
 * pointer is good until the next call. */
static enum dl_err
zone_get(const char *name, const struct window *w, long long now,
    const struct zone_entry **out)
{
	struct zone_entry *e = NULL;
	uint32_t h;
	size_t i;
	enum dl_err err;

	if (strlen(name) > ZONE_MAX) {
		scratch.valid = 0;
		*out = &scratch;
		return DL_OK;
	}
	if (now / 60 != cache_minute) {
		cache_minute = now / 60;
		cache_gen++;
	}
	h = entry_hash(name, w);
	for (i = 0; i < CACHE_PROBE; i++) {
		struct zone_entry *c = &cache[(h + i) % CACHE_SLOTS];

		if (c->gen != cache_gen) {
			e = c;
			break;
		}
		if (c->w.start == w->start && c->w.end == w->end &&
		    strcmp(c->name, name) == 0) {
			*out = c;
			return DL_OK;
		}
	}
	if (e == NULL)
		e = &scratch;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->w = *w;
	e->gen = 0;
	if ((err = zone_compute(e, now)) != DL_OK)
		return err;
	if (e != &scratch)
		e->gen = cache_gen;
	*out = e;
	return DL_OK;
}

/* ---- judging a set of zones ---------------------------------------- */

struct judgement {
	int zones;		/* valid zones folded in */
	int allowed;
	const struct window *w;	/* the window that applies */
	const char *zone;	/* the deciding zone (points into settings/tables/arg) */
	int local_min;
	int want_opens;
	/* When all zones are open together, from now on (earliest first). */
	long long iv_open[IV_MAX], iv_close[IV_MAX];
	size_t niv;
};

/* Keeps the part of the running intersection inside the zone's windows. */
static void
intersect(struct judgement *j, const struct zone_entry *e)
{
	long long o[IV_MAX], c[IV_MAX];
	size_t a = 0, b = 0, n = 0;

	while (a < j->niv && b < DAYS && n < IV_MAX) {
		long long lo = j->iv_open[a] > e->open[b] ? j->iv_open[a] : e->open[b];
		long long hi = j->iv_close[a] < e->close[b] ? j->iv_close[a] : e->close[b];

		if (lo < hi) {
			o[n] = lo;
			c[n++] = hi;
		}
		if (j->iv_close[a] < e->close[b])
			a++;
		else
			b++;
	}
	memcpy(j->iv_open, o, n * sizeof(o[0]));
	memcpy(j->iv_close, c, n * sizeof(c[0]));
	j->niv = n;
}

static void
fold(struct judgement *j, const char *zone, const struct zone_entry *e)
{
	const struct window *w = &e->w;
	int inside = e->local_min >= w->start && e->local_min < w->end;

	if (j->zones++ == 0 || (j->allowed && !inside)) {
		j->zone = zone;
		j->local_min = e->local_min;
	}
	if (!inside)
		j->allowed = 0;
	if (j->want_opens)
		intersect(j, e);
}

static enum dl_err
fold_zone(struct judgement *j, const char *zone, const struct window *w,
    long long now)
{
	const struct zone_entry *e;
	enum dl_err err;

	if ((err = zone_get(zone, w, now, &e)) != DL_OK)
		return err;
	if (e->valid)
		fold(j, zone, e);
	return DL_OK;
}

/*
 * The contact's zone if valid, else the number's zones that this system
 * knows, else the unknown zone.
 */
static enum dl_err
judge(const char *timezone, const char *e164, const char *region,
    long long now, struct judgement *j)
{
	const struct window *w = window_for(e164, region);
	enum dl_err err = DL_OK;
	int set;

	j->w = w;
	j->zones = 0;
	j->allowed = 1;
	j->zone = NULL;
	j->local_min = 0;
	j->niv = 1;
	j->iv_open[0] = now;
	j->iv_close[0] = now + (long long)SEARCH_DAYS * 86400;
	if (timezone != NULL && *timezone != '\0')
		err = fold_zone(j, timezone, w, now);
	if (err == DL_OK && j->zones == 0 && (set = number_set(e164)) >= 0) {
		const struct callhours_tz_set *s = &callhours_tz_sets[set];
		unsigned i;

		for (i = 0; i < s->count && err == DL_OK; i++)
			err = fold_zone(j,
			    callhours_tz_zones[callhours_tz_members[s->first + i]],
			    w, now);
	}
	if (err == DL_OK && j->zones == 0)
		err = fold_zone(j, S.unknown_zone, w, now);
	if (tz_give_back() != DL_OK && err == DL_OK)
		err = DL_ERR_NOMEM;
	if (err == DL_OK && j->zones == 0)
		err = DL_ERR_CONFIG;	/* the unknown zone went missing */
	return err;
}

enum dl_err
callhours_check(const char *timezone, const char *e164, long long now,
    struct callhours_verdict *out)
{
	struct judgement j;
	enum dl_err err;

	memset(out, 0, sizeof(*out));
	if ((err = settings()) != DL_OK)
		return err;
	j.want_opens = 1;
	if ((err = judge(timezone, e164, NULL, now, &j)) != DL_OK)
		return err;
	out->allowed = j.allowed;
	snprintf(out->zone, sizeof(out->zone), "%s", j.zone);
	put_hhmm(j.local_min, out->local_time);
	out->local_time[5] = '\0';
	format_window(j.w, out->window);
	if (!j.allowed && j.niv > 0)
		out->opens_unix = j.iv_open[0];
	return DL_OK;
}

void
callhours_refusal_message(const struct callhours_verdict *v, char *out,
    size_t outsz)
{
	snprintf(out, outsz, "It is %s in %s; calls are allowed %s there.",
	    v->local_time, v->zone, v->window);
}

/* ---- settings as JSON ---------------------------------------------- */

enum dl_err
callhours_settings_json(cJSON **out)
{
	char w[16];
	cJSON *o, *rules, *rule, *match;
	size_t g, i;
	enum dl_err err;

	*out = NULL;
	if ((err = settings()) != DL_OK)
		return err;
	format_window(&S.dflt, w);
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "window", w) == NULL ||
	    (rules = cJSON_AddArrayToObject(o, "rules")) == NULL)
		goto nomem;
	for (g = 0; g < S.ngroups; g++) {
		if ((rule = cJSON_CreateObject()) == NULL)
			goto nomem;
		cJSON_AddItemToArray(rules, rule);
		if ((match = cJSON_AddArrayToObject(rule, "match")) == NULL)
			goto nomem;
		for (i = 0; i < S.nkeys; i++) {
			cJSON *k;

			if (S.keys[i].group != g)
				continue;
			if ((k = cJSON_CreateString(S.keys[i].key)) == NULL)
				goto nomem;
			cJSON_AddItemToArray(match, k);
		}
		format_window(&S.group[g], w);
		if (cJSON_AddStringToObject(rule, "window", w) == NULL)
			goto nomem;
	}
	if (cJSON_AddStringToObject(o, "unknown_zone", S.unknown_zone) == NULL)
		goto nomem;
	*out = o;
	return DL_OK;
nomem:
	cJSON_Delete(o);
	return DL_ERR_NOMEM;
}

/* ---- SQL ----------------------------------------------------------- */

/* Text of an argument, NULL for SQL NULL; -1 when out of memory. */
static int
arg_text(sqlite3_value *v, const char **out)
{
	*out = (const char *)sqlite3_value_text(v);
	return *out == NULL && sqlite3_value_type(v) != SQLITE_NULL ? -1 : 0;
}

/* callable_at(timezone, phone_e164, now_unix [, region]) */
static void
sql_callable_at(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *tz, *e164, *region = NULL;
	struct judgement j;
	enum dl_err err;

	if (arg_text(argv[0], &tz) != 0 || arg_text(argv[1], &e164) != 0 ||
	    (argc > 3 && arg_text(argv[3], &region) != 0)) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if ((err = settings()) == DL_OK) {
		j.want_opens = 0;
		err = judge(tz, e164, region, sqlite3_value_int64(argv[2]), &j);
	}
	if (err == DL_ERR_NOMEM)
		sqlite3_result_error_nomem(ctx);
	else if (err != DL_OK)
		sqlite3_result_error(ctx, CALLHOURS_SQL_ERROR " the calling hours "
		    "settings are malformed (the log says which)", -1);
	else
		sqlite3_result_int(ctx, j.allowed);
}

enum dl_err
callhours_register(sqlite3 *db)
{
	int rc = sqlite3_create_function(db, "callable_at", 3, SQLITE_UTF8,
	    NULL, sql_callable_at, NULL, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "callable_at", 4, SQLITE_UTF8,
		    NULL, sql_callable_at, NULL, NULL);

	return rc == SQLITE_OK ? DL_OK : rc == SQLITE_NOMEM ? DL_ERR_NOMEM :
	    DL_ERR_DB;
}
