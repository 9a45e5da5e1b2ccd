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

#include <sqlite3.h>

#include "err.h"

struct callhours_verdict {
	int allowed;            /* 1: inside the window in every zone */
	char zone[64];          /* the zone that decided (outside: one that is outside) */
	char local_time[8];     /* "21:05", the time in that zone */
	char window[16];        /* "08:00-21:00", the window that applied */
	long long opens_unix;   /* outside: when the window next opens everywhere (0 unknown) */
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
 * Give `db` the SQL function callable_at(timezone, phone_e164, now_unix):
 * 1 when callhours_check would allow the call, else 0, so that queries can
 * filter contacts by calling hours. Idempotent per connection.
 */
enum dl_err callhours_register(sqlite3 *db);

#endif
