#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static const char *program = "dialer";
static int fd = -1;

void
log_set_program(const char *name)
{
	program = name;
}

static int
log_fd(void)
{
	const char *path;

	if (fd >= 0)
		return fd;
	path = config_get("DIALER_LOG");
	if (path != NULL)
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		fd = STDERR_FILENO;
	return fd;
}

void
log_line(const char *fmt, ...)
{
	char buf[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000, program);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write: a line from another process can never land inside ours. */
	if (write(log_fd(), buf, (size_t)n) < 0)
		return;
}

void
log_mask_phone(const char *phone, char *out, size_t outsz)
{
	size_t len, i;

	if (outsz == 0)
		return;
	len = phone != NULL ? strlen(phone) : 0;
	if (len >= outsz)
		len = outsz - 1;
	for (i = 0; i < len; i++)
		out[i] = i + 4 < len ? '*' : phone[i];
	out[len] = '\0';
}
