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
 * Append `in`, escaped (& < > " ' and tab, newline, carriage return as
 * character references, so a parser reads back exactly `in` from element
 * content and from an attribute value alike), to out[*len..], keeping it
 * NUL-terminated; *len advances. DL_ERR_TOOBIG when it does not fit
 * (out is left as it was); DL_ERR_INVALID for what XML 1.0 forbids: other
 * control characters, malformed or overlong UTF-8, surrogates, U+FFFE and
 * U+FFFF.
 */
enum dl_err xml_escape(const char *in, char *out, size_t outsz, size_t *len);

/* Append `s` as is (markup we wrote ourselves). DL_ERR_TOOBIG if it
 * does not fit. */
enum dl_err xml_raw(const char *s, char *out, size_t outsz, size_t *len);

#endif
