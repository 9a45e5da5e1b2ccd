/*
 * config: the process's settings.
 *
 * Read once from a KEY=VALUE file at $DIALER_CONFIG (default
 * etc/dialer.conf; a missing default file is fine, a missing named file is
 * an error) and overridden by the environment, then never changed. Known
 * keys have defaults in one table in config.c; some are marked secret and
 * must never be logged (config_is_secret). The module owns every string it
 * hands out; they live until the process ends.
 */
#ifndef DL_CONFIG_H
#define DL_CONFIG_H

#include "err.h"

/* Idempotent. DL_ERR_CONFIG when the file is unreadable or a line is
 * malformed (the message, naming the line, goes to stderr). */
enum dl_err config_load(void);

/* The value (environment, then file, then default), or NULL when unset or
 * empty. Works for any key, known or not. */
const char *config_get(const char *key);

/* A whole number: the value if set, else the table default, else dflt.
 * DL_ERR_CONFIG when the value is not an integer in [min, max]. */
enum dl_err config_get_long(const char *key, long dflt, long min, long max,
    long *out);

/* A boolean: 1/true/yes/on or 0/false/no/off (any case). */
enum dl_err config_get_bool(const char *key, int dflt, int *out);

/* 1 if the key names a secret (API keys, tokens, passwords). */
int config_is_secret(const char *key);

/* Forget everything loaded (tests that change the environment). */
void config_reset(void);

#endif
