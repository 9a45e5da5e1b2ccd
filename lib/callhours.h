/*
 * callhours: when a contact may be called — the calling window (by
 * default 08:00-21:00) in the contact's local time.
 *
 * The zone is the contact's own (the CSV's timezone column, an IANA name)
 * or else comes from the number through libphonenumber's time-zone data;
 * a number spanning several zones must be inside the window in every one
 * of them (the most restrictive wins). Windows come from
 * DIALER_CALLING_HOURS, with stricter ones by region or number prefix in
 * DIALER_CALLING_HOURS_RULES.
 */
#ifndef DL_CALLHOURS_H
#define DL_CALLHOURS_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "err.h"

struct callhours_verdict {
	int allowed;            /* 1: inside the window in every zone */
	char zone[64];          /* the zone that decided (outside: the first one outside; else the first) */
	char local_time[8];     /* "21:05", the time in that zone */
	char window[16];        /* "08:00-21:00", the window that applied */
	long long opens_unix;   /* outside: when the window next opens everywhere (0: allowed, or
	                         * not within 8 days) */
};

/*
 * Judge a contact at `now` (Unix seconds). `timezone` is the contact's own
 * IANA zone or NULL; `e164` its number. DL_ERR_CONFIG when a setting is
 * malformed (the log says which).
 */
enum dl_err callhours_check(const char *timezone, const char *e164, long long now,
    struct callhours_verdict *out);

/* 1 when `name` is a time zone of the system's tz database
 * ("America/Chicago"); 0 for anything else, paths and ".." included. */
int callhours_zone_valid(const char *name);

/*
 * The refusal sentence for a verdict that is not allowed: "It is 21:05 in
 * America/Chicago; calls are allowed 08:00-21:00 there." Cut to fit outsz.
 */
void callhours_refusal_message(const struct callhours_verdict *v, char *out,
    size_t outsz);

/*
 * The settings as JSON: {"window": "08:00-21:00", "rules": [{"match":
 * ["+1305", "GB"], "window": "08:00-20:00"}], "unknown_zone": "UTC"}.
 * The caller owns *out. DL_ERR_CONFIG when a setting is malformed.
 */
enum dl_err callhours_settings_json(cJSON **out);

/*
 * Give `db` the SQL function callable_at(timezone, phone_e164, now_unix):
 * 1 when callhours_check would allow the call, else 0, so that queries can
 * filter contacts by calling hours. Idempotent per connection. A fourth
 * argument, the number's region (contacts.region), spares the function a
 * libphonenumber parse (~12 us) per row when DIALER_CALLING_HOURS_RULES
 * has region keys: callable_at(c.timezone, c.phone_e164, ?now, c.region).
 * A malformed setting makes the function raise an SQL error.
 */
enum dl_err callhours_register(sqlite3 *db);

/* How callable_at's error message starts when the settings are malformed:
 * a query that fails with it answers DL_ERR_CONFIG, not a database error. */
#define CALLHOURS_SQL_ERROR "callable_at:"

/*
 * libphonenumber's prefix -> time zones map, generated at build time by
 * tools/gen-tzmap.py from python3-phonenumbers into $(BUILD)/lib (never
 * committed). Only callhours.c reads it.
 */
struct callhours_tz_prefix {
	unsigned digits;	/* the prefix as a number: 1312 for "+1312" */
	unsigned char len;	/* its digit count (leading zeros count) */
	unsigned short set;	/* index in callhours_tz_sets */
};

struct callhours_tz_set {
	unsigned short first;	/* first index in callhours_tz_members */
	unsigned char count;
};

extern const char *const callhours_tz_zones[];	/* sorted names */
extern const struct callhours_tz_set callhours_tz_sets[];
extern const unsigned short callhours_tz_members[];	/* zone indices */
extern const struct callhours_tz_prefix callhours_tz_prefixes[];
extern const unsigned callhours_tz_nprefixes;
extern const unsigned callhours_tz_nzones;
extern const unsigned callhours_tz_longest;	/* longest prefix, digits */

#endif
