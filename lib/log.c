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

/* Where a line of n bytes that did not fit may be cut: before the last
 * space that lies outside a quoted value, so every pair kept is whole. */
static size_t
last_pair_end(const char *s, size_t n)
{
	size_t i, cut = 0;
	int quoted = 0;

	for (i = 0; i < n; i++) {
		if (quoted && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == ' ')
			cut = i;
	}
	return cut;
}

/* "ts=YYYY-MM-DDTHH:MM:SS" for `sec`: worked out once a second, not for
 * every line of a busy process. */
static const char *
second_text(time_t sec)
{
	static time_t cached = (time_t)-1;
	static char text[80];
	struct tm tm;

	if (sec != cached) {
		gmtime_r(&sec, &tm);
		snprintf(text, sizeof(text), "ts=%04d-%02d-%02dT%02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		cached = sec;
	}
	return text;
}

void
log_line(const char *fmt, ...)
{
	static const char trunc[] = " truncated=1";
	char buf[LOG_LINE_MAX];
	struct timespec ts;
	va_list ap;
	int n, m;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(buf, sizeof(buf), "%s.%03ldZ program=%s ", second_text(ts.tv_sec),
	    ts.tv_nsec / 1000000, program);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	if ((size_t)n + (size_t)m + 1 > sizeof(buf)) {
		/* Half a pair (an open quote) would make the line unparseable. */
		n = (int)last_pair_end(buf, sizeof(buf) - sizeof(trunc) - 1);
		memcpy(buf + n, trunc, sizeof(trunc) - 1);
		n += (int)sizeof(trunc) - 1;
	} else {
		n += m;
	}
	buf[n++] = '\n';
	/* One write: a line from another process can never land inside ours. */
	if (write(log_fd(), buf, (size_t)n) < 0)
		return;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int
plain(const char *value)
{
	const unsigned char *p = (const unsigned char *)value;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '=' || *p == '\\')
			return 0;
	return 1;
}

const char *
log_quote(const char *value, char *out, size_t outsz)
{
	const unsigned char *p;
	size_t o = 0, left;

	if (outsz == 0)
		return out;
	if (value == NULL)
		value = "";
	if (plain(value)) {
		left = strlen(value);
		if (left >= outsz)
			left = outsz - 1;
		memcpy(out, value, left);
		out[left] = '\0';
		return out;
	}
	if (outsz < 3) {
		out[0] = '\0';
		return out;
	}
	out[o++] = '"';
	left = strlen(value);
	for (p = (const unsigned char *)value; *p != '\0'; ) {
		char esc[8];
		const char *piece = esc;
		size_t n, used = 1;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			n = 2;
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[0] = '\\';
			esc[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
			n = 2;
		} else if (*p < ' ' || *p == 0x7f) {
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else if (*p < 0x80) {
			piece = (const char *)p;
			n = 1;
		} else if ((used = utf8_len(p, left)) > 0) {
			piece = (const char *)p;
			n = used;
		} else {
			used = 1;
			piece = "\\ufffd";
			n = 6;
		}
		/* Room for the piece, the closing quote and the NUL. */
		if (o + n + 2 > outsz)
			break;
		memcpy(out + o, piece, n);
		o += n;
		p += used;
		left -= used;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

void
log_mask_phone(const char *phone, char *out, size_t outsz)
{
	size_t len, n, i, from;

	if (outsz == 0)
		return;
	len = phone != NULL ? strlen(phone) : 0;
	n = len < outsz ? len : outsz - 1;
	/* Short of room, keep the end: the last four are what people match. */
	from = len - n;
	for (i = 0; i < n; i++)
		out[i] = from + i + 4 < len ? '*' : phone[from + i];
	out[n] = '\0';
}
