#include <string.h>

#include "xml.h"

enum dl_err
xml_raw(const char *s, char *out, size_t outsz, size_t *len)
{
	size_t n = strlen(s);

	if (*len >= outsz || n >= outsz - *len)
		return DL_ERR_TOOBIG;
	memcpy(out + *len, s, n + 1);
	*len += n;
	return DL_OK;
}

/*
 * The length of the UTF-8 sequence at p that is an XML 1.0 Char, or 0:
 * malformed, overlong, a surrogate, above U+10FFFF, or U+FFFE / U+FFFF.
 * (A parser refuses a document holding any of these.)
 */
static size_t
xml_char(const unsigned char *p)
{
	unsigned long c;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff)
		return 0;
	return n;
}

enum dl_err
xml_escape(const char *in, char *out, size_t outsz, size_t *len)
{
	size_t at = *len, n;
	const char *rep;
	char seq[5];
	const unsigned char *p;

	for (p = (const unsigned char *)in; *p; p += n) {
		n = 1;
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			goto bad;
		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		/* As references: a parser turns the characters themselves into
		 * spaces in an attribute and a CR into LF anywhere. */
		case '\t': rep = "&#9;"; break;
		case '\n': rep = "&#10;"; break;
		case '\r': rep = "&#13;"; break;
		default:
			if ((n = xml_char(p)) == 0)
				goto bad;
			memcpy(seq, p, n);
			seq[n] = '\0';
			rep = seq;
			break;
		}
		if (xml_raw(rep, out, outsz, &at) != DL_OK) {
			if (*len < outsz)
				out[*len] = '\0';
			return DL_ERR_TOOBIG;
		}
	}
	*len = at;
	return DL_OK;
bad:
	if (*len < outsz)
		out[*len] = '\0';
	return DL_ERR_INVALID;
}
