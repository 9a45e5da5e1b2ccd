/*
 * log: one line per event in logfmt (key=value pairs, one space apart),
 * so that people can read it and log tools can split it safely.
 *
 * Every line starts with ts= (UTC, milliseconds) and program=, and is
 * appended to the file named by DIALER_LOG with one write (lines from many
 * processes never interleave) or written to stderr, which Apache puts in
 * its error log. A value that may hold bytes from outside (a header, a
 * provider's error code, a username) goes through log_quote() first.
 * Callers must never pass secrets or full phone numbers; log_mask_phone()
 * is there for the latter. Nothing here allocates; callers own every
 * buffer they pass.
 */
#ifndef DL_LOG_H
#define DL_LOG_H

#include <stddef.h>

/* Longest line written, newline included; a longer one is cut at the last
 * whole pair and ends with truncated=1. */
#define LOG_LINE_MAX 4096

/* printf-style pairs ("event=x n=%d"); "ts=… program=… " is prepended and
 * a newline appended. */
void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * `value` as one logfmt value into out, and returns out: as is when it is
 * plain printable ASCII without space, '"', '=' or '\'; otherwise quoted,
 * with '"' and '\' escaped, \n \r \t for those, \u00XX for other control
 * bytes, valid UTF-8 kept and every invalid byte written \ufffd. NULL and
 * "" become "". Cut short to fit outsz (at least 3), never inside an
 * escape or a UTF-8 sequence, and always closed, so the result still
 * parses.
 */
const char *log_quote(const char *value, char *out, size_t outsz);

/* log_quote into a buffer that lives until the end of the enclosing
 * block, for use right in log_line's arguments: LOG_Q(perr.code). */
#define LOG_QUOTE_MAX 256
#define LOG_Q(value) log_quote((value), (char[LOG_QUOTE_MAX]){ 0 }, LOG_QUOTE_MAX)

/* "+12025550143" -> "*******0143": all but the last four digits hidden. */
void log_mask_phone(const char *phone, char *out, size_t outsz);

/* The program name used in lines (default "dialer"); must be plain. */
void log_set_program(const char *name);

#endif
