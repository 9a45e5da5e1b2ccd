/*
 * stats: the figures behind GET /api/v1/stats and the stats page, read
 * from the reporting views of sql/003_reports.sql (v_operator_daily,
 * v_calls) in one read transaction, so totals, days, outcomes and
 * operators always agree with each other and with the views.
 *
 * Days are UTC calendar days, counted as days since 1970-01-01 here and
 * written "YYYY-MM-DD" on the wire, as the views write them. A range is
 * inclusive at both ends. The report is a cJSON tree the caller frees.
 */
#ifndef DL_STATS_H
#define DL_STATS_H

#include <cjson/cJSON.h>
#include "err.h"

#define STATS_MAX_DAYS 366     /* longest range, days */
#define STATS_DEFAULT_DAYS 30  /* range when none is given */

struct stats_range {
	long from, to;       /* days since 1970-01-01, inclusive */
	long long user_id;   /* 0: everybody */
};

/*
 * The report for `r`:
 *   {"from","to","user_id"|null,
 *    "totals":{dials,connects,connect_rate,talk_s,avg_talk_s,active_h,calls_per_hour},
 *    "daily":[{day,dials,connects,talk_s}]      every day of the range, zeros included,
 *    "outcomes":[{outcome,calls}]              most frequent first,
 *    "operators":[{operator_id,operator,dials,connects,connect_rate,talk_s,
 *                  avg_talk_s,active_h,calls_per_hour}]}  most dials first.
 * Rates are null where they would divide by zero. *out is the caller's to
 * cJSON_Delete. DL_ERR_INVALID for to < from or a range over
 * STATS_MAX_DAYS; DL_ERR_NOTFOUND when user_id names no user.
 */
enum dl_err stats_report(const struct stats_range *r, cJSON **out);

#endif
