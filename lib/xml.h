/*
 * xml: escaping text for XML documents we write (TwiML). Every value that
 * goes into an attribute or element content passes through here, so a
 * conference name or URL can never close a tag or open one.
 */
#ifndef DL_XML_H
#define DL_XML_H

#include <stddef.h>
#include "err.h"

/*
 * Append `in`, escaped (& < > " '), to out[*len..], keeping it
 * NUL-terminated; *len advances. DL_ERR_TOOBIG when it does not fit
 * (out is left as it was); DL_ERR_INVALID for bytes XML 1.0 forbids
 * (control characters other than tab, newline, carriage return).
 */
enum dl_err xml_escape(const char *in, char *out, size_t outsz, size_t *len);

/* Append `s` as is (markup we wrote ourselves). DL_ERR_TOOBIG if it
 * does not fit. */
enum dl_err xml_raw(const char *s, char *out, size_t outsz, size_t *len);

#endif
