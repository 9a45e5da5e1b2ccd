#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"

int
clock_is_test(void)
{
	return config_get("DIALER_TEST_CLOCK_FILE") != NULL;
}

enum dl_err
clock_now(long long *out)
{
	const char *path = config_get("DIALER_TEST_CLOCK_FILE");
	char buf[32], *end;
	long long t;
	size_t n;
	FILE *f;

	*out = (long long)time(NULL);
	if (path == NULL)
		return DL_OK;
	if ((f = fopen(path, "r")) == NULL)
		return DL_ERR_CONFIG;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	errno = 0;
	t = strtoll(buf, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (end == buf || *end != '\0' || errno != 0 || t < 0 || t > 253402300799LL)
		return DL_ERR_CONFIG;
	*out = t;
	return DL_OK;
}

void
clock_iso(long long t, char out[CLOCK_ISO_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, CLOCK_ISO_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, CLOCK_ISO_LEN, "1970-01-01T00:00:00Z");
}

/* n digits at *p as a number; advances *p. -1 when they are not digits. */
static int
digits(const char **p, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	return v;
}

static int
days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : dm[m - 1];
}

enum dl_err
clock_parse_iso(const char *s, long long *out)
{
	int y, mo, d, h, mi, sec = 0, off = 0;
	struct tm tm;
	const char *p = s;

	if (s == NULL || (y = digits(&p, 4)) < 1970 || *p++ != '-' ||
	    (mo = digits(&p, 2)) < 1 || mo > 12 || *p++ != '-' ||
	    (d = digits(&p, 2)) < 1 || d > days_in_month(y, mo) || *p++ != 'T' ||
	    (h = digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
	    (mi = digits(&p, 2)) < 0 || mi > 59)
		return DL_ERR_INVALID;
	if (*p == ':') {
		p++;
		if ((sec = digits(&p, 2)) < 0 || sec > 59)
			return DL_ERR_INVALID;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return DL_ERR_INVALID;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;

		if ((oh = digits(&p, 2)) < 0 || oh > 23 || *p++ != ':' ||
		    (om = digits(&p, 2)) < 0 || om > 59)
			return DL_ERR_INVALID;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return DL_ERR_INVALID;
	}
	if (*p != '\0')
		return DL_ERR_INVALID;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (long long)timegm(&tm) - off;
	return *out < 0 ? DL_ERR_INVALID : DL_OK;
}
