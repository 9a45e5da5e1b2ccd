/*
 * day: UTC calendar days written "YYYY-MM-DD", as reports, the stats API
 * and the exports take them. A day is also a number: days since
 * 1970-01-01, so ranges are subtraction. Only 1970-01-01 to 9999-12-31
 * exist here: earlier days cannot hold a call, later ones do not fit the
 * four-digit years our *_at columns sort by.
 */
#ifndef DL_DAY_H
#define DL_DAY_H

#include "err.h"

#define DAY_LEN 10 /* strlen("YYYY-MM-DD") */

/* 1 if `s` is a real calendar day in range (2026-02-29 is not); fits
 * struct valid_field's check. */
int day_valid(const char *s);
/* The day `s` names; DL_ERR_INVALID unless day_valid(s). */
enum dl_err day_parse(const char *s, long *day);
/* `day` as "YYYY-MM-DD" into out (DAY_LEN + 1 bytes); DL_ERR_INVALID
 * when it lies outside the range. */
enum dl_err day_format(long day, char out[DAY_LEN + 1]);
/* Today, UTC. */
long day_today(void);

#endif
