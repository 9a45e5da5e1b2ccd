/*
 * clock: the time the dialing rules judge by — calling hours, retries,
 * callbacks and lead reservations — and the ISO-8601 UTC text they store.
 *
 * Normally the system clock. With DIALER_TEST_CLOCK_FILE set, the Unix
 * seconds written in that file, read again on every call, so an
 * end-to-end test can move a running server through the day. It is a
 * test hook, and never hidden: GET /api/v1/settings says test_clock and
 * the dial page shows it. Call rows keep SQLite's own clock.
 */
#ifndef DL_CLOCK_H
#define DL_CLOCK_H

#include "err.h"

#define CLOCK_ISO_LEN 21 /* "2026-11-24T09:30:00Z" and its NUL */

/* Unix seconds now. A test clock file that cannot be read or holds no
 * number gives DL_ERR_CONFIG and the system clock in *out. */
enum dl_err clock_now(long long *out);

/* 1 when the test clock is configured. */
int clock_is_test(void);

/* "YYYY-MM-DDTHH:MM:SSZ" for t (UTC). */
void clock_iso(long long t, char out[CLOCK_ISO_LEN]);

/*
 * Read an ISO-8601 time with a zone: "2026-11-24T09:30Z",
 * "2026-11-24T09:30:00.000Z", "2026-11-24T10:30:00+01:00". Years
 * 1970..9999. DL_ERR_INVALID for anything else, a missing zone included:
 * a time without one means something different to every reader.
 */
enum dl_err clock_parse_iso(const char *s, long long *out);

#endif
