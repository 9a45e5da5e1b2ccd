/*
 * log: one line per event, key=value, for people and log tools alike.
 *
 * Lines go to the file named by DIALER_LOG (appended with one write each,
 * so lines from many processes never interleave) or to stderr, which
 * Apache puts in its error log. Callers must never pass secrets or full
 * phone numbers; log_mask_phone() is there for the latter.
 */
#ifndef DL_LOG_H
#define DL_LOG_H

#include <stddef.h>

/* printf-style; a timestamp and the program name are prepended and a
 * newline appended. */
void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "+12025550143" -> "*******0143": all but the last four digits hidden. */
void log_mask_phone(const char *phone, char *out, size_t outsz);

/* The program name used in lines (default "dialer"). */
void log_set_program(const char *name);

#endif
