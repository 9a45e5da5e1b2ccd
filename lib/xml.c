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

enum dl_err
xml_escape(const char *in, char *out, size_t outsz, size_t *len)
{
	size_t at = *len;
	const char *rep;
	char one[2] = { 0, 0 };
	const unsigned char *p;

	for (p = (const unsigned char *)in; *p; p++) {
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			goto bad;
		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default:
			one[0] = (char)*p;
			rep = one;
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
