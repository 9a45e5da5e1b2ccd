#include <stdio.h>
#include <string.h>
#include <time.h>

#include "day.h"

#define SECONDS_PER_DAY 86400L
#define FIRST_YEAR 1970
#define LAST_YEAR 9999

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

static int
split(const char *s, int *y, int *m, int *d)
{
	return s != NULL && strlen(s) == DAY_LEN && s[4] == '-' && s[7] == '-' &&
	    digits(s, 4, y) && digits(s + 5, 2, m) && digits(s + 8, 2, d) &&
	    *y >= FIRST_YEAR && *m >= 1 && *m <= 12 && *d >= 1 && *d <= month_days(*y, *m);
}

int
day_valid(const char *s)
{
	int y, m, d;

	return split(s, &y, &m, &d);
}

enum dl_err
day_parse(const char *s, long *day)
{
	struct tm tm;
	int y, m, d;

	if (!split(s, &y, &m, &d))
		return DL_ERR_INVALID;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	*day = (long)(timegm(&tm) / SECONDS_PER_DAY);
	return DL_OK;
}

enum dl_err
day_format(long day, char out[DAY_LEN + 1])
{
	time_t t = (time_t)day * SECONDS_PER_DAY;
	struct tm tm;

	if (day < 0 || gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > LAST_YEAR)
		return DL_ERR_INVALID;
	/* The remainders only tell the compiler the text fits. */
	snprintf(out, DAY_LEN + 1, "%04u-%02u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u);
	return DL_OK;
}

long
day_today(void)
{
	return (long)(time(NULL) / SECONDS_PER_DAY);
}
