/*
 * multipart: a streaming multipart/form-data parser (RFC 7578 / RFC 2046).
 *
 * Design notes (the why; multipart.h has the contract):
 *
 * - The body delimiter is "\r\n--" boundary. For clients that write bare
 *   LF (Go's mime/multipart does the same), the line ending of the first
 *   boundary line decides, for the whole message, whether the delimiter
 *   is "\r\n--B" or "\n--B". A CRLF message is thus parsed strictly, and
 *   an LF-only message still parses.
 * - Neither CR nor LF may occur in a boundary, so the delimiter's first
 *   byte occurs nowhere else in it. A failed partial match therefore never
 *   hides the start of another one: body scanning is a memchr for that
 *   byte plus a short compare, linear however hostile the data, and a partial
 *   match held across calls is always a prefix of the delimiter, so it
 *   needs no buffer (we re-emit it from the delimiter string itself).
 * - "\r\n--B" followed by a byte that cannot continue a boundary line is
 *   body data after all (RFC 2046: a delimiter line is "--B", padding,
 *   CRLF). Anything stranger after a full "\r\n--B" (a lone '-', or
 *   padding followed by junk) is rejected rather than re-emitted, because
 *   keeping it would mean holding back more than the delimiter's length.
 *   (In the preamble such lines are simply skipped.)
 * - Part headers are the only thing buffered (MP_MAX_HEADER bytes).
 */
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

enum mp_state {
	ST_PREAMBLE,
	ST_BLINE,	/* "--B" matched; the next byte says what it is */
	ST_BLINE_DASH,	/* "--B-" */
	ST_BLINE_PAD,	/* transport padding after "--B" */
	ST_BLINE_CR,	/* CR ending the boundary line; LF must follow */
	ST_HEADERS,
	ST_BODY,
	ST_DONE,	/* closing delimiter seen; the rest is epilogue */
	ST_ERROR
};

struct mp_parser {
	struct mp_callbacks cb;
	void *ud;
	enum mp_state state;
	enum dl_err err;	/* sticky once state is ST_ERROR */

	/* "\r\n--" boundary; the dash-boundary is delim + 2. */
	char delim[4 + MP_MAX_BOUNDARY + 1];
	size_t blen;
	const char *d;		/* active body delimiter: delim or delim + 1 */
	size_t dlen;

	/* Preamble: bytes of the dash-boundary matched at the start of a
	 * line. Body: bytes of d held back from earlier calls. */
	size_t match;
	int bol;		/* preamble: at the beginning of a line */
	int started;		/* the first boundary line is behind us */
	int open;		/* part_begin called, part_end not yet */
	int cr;			/* the current boundary line ended in CR LF */

	/* Header lines of the current part, each ending in '\n'. Two spare
	 * bytes let the terminating blank "\r\n" arrive at the limit. */
	size_t hlen;
	size_t hline;		/* start of the line being collected */
	char hbuf[MP_MAX_HEADER + 2];
	/* Decoded header values. Each is no longer than its source, so the
	 * header limit plus one NUL per value always fits. */
	char vbuf[MP_MAX_HEADER + 8];
};

static int
is_ws(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_ctl(int c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

/* ASCII only: header names and tokens must not depend on the locale. */
static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Does s[0..n) equal the lower-case literal lit, ignoring case? */
static int
ci_eq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || lower((unsigned char)s[i]) != lit[i])
			return 0;
	return lit[n] == '\0';
}

static const char *
skip_ws(const char *s, const char *end)
{
	while (s < end && is_ws(*s))
		s++;
	return s;
}

/*
 * Content-Type header value.
 */

enum dl_err
mp_boundary(const char *content_type, char *out, size_t outsz)
{
	static const char type[] = "multipart/form-data";
	char b[MP_MAX_BOUNDARY + 1];
	size_t blen = 0, tlen = sizeof type - 1;
	const char *s, *end, *pn;
	int found = 0;

	if (out != NULL && outsz > 0)
		out[0] = '\0';
	if (content_type == NULL)
		return DL_ERR_UNSUPPORTED;
	s = content_type;
	end = s + strlen(s);
	s = skip_ws(s, end);
	if ((size_t)(end - s) < tlen || !ci_eq(s, tlen, type))
		return DL_ERR_UNSUPPORTED;
	s += tlen;
	if (s < end && *s != ';' && !is_ws(*s))
		return DL_ERR_UNSUPPORTED;	/* "multipart/form-dataX" */

	for (;;) {
		size_t pnlen, vlen = 0;
		int is_b;

		s = skip_ws(s, end);
		if (s == end)
			break;
		if (*s != ';')
			return DL_ERR_INVALID;
		s = skip_ws(s + 1, end);
		if (s == end || *s == ';')
			continue;	/* tolerate ";;" and a trailing ';' */
		pn = s;
		while (s < end && *s != '=' && *s != ';' && !is_ws(*s))
			s++;
		pnlen = (size_t)(s - pn);
		s = skip_ws(s, end);
		if (s == end || *s != '=')
			return DL_ERR_INVALID;
		s = skip_ws(s + 1, end);
		is_b = ci_eq(pn, pnlen, "boundary");
		if (is_b && found)
			return DL_ERR_INVALID;	/* which one would the client mean? */

		if (s < end && *s == '"') {
			for (s++;; s++) {
				char c;

				if (s == end)
					return DL_ERR_INVALID;
				c = *s;
				if (c == '"')
					break;
				if (c == '\\') {
					if (++s == end)
						return DL_ERR_INVALID;
					c = *s;
				}
				if (is_b) {
					if (is_ctl(c))
						return DL_ERR_INVALID;
					if (vlen < sizeof b)
						b[vlen] = c;
					vlen++;
				}
			}
			s++;
		} else {
			for (; s < end && *s != ';' && !is_ws(*s); s++) {
				if (*s == '"' || is_ctl(*s))
					return DL_ERR_INVALID;
				if (is_b) {
					if (vlen < sizeof b)
						b[vlen] = *s;
					vlen++;
				}
			}
		}
		if (is_b) {
			if (vlen == 0 || vlen > MP_MAX_BOUNDARY)
				return DL_ERR_INVALID;
			blen = vlen;
			found = 1;
		}
	}
	if (!found)
		return DL_ERR_INVALID;
	if (out == NULL || outsz <= blen)
		return DL_ERR_TOOBIG;
	memcpy(out, b, blen);
	out[blen] = '\0';
	return DL_OK;
}

/*
 * Part headers.
 */

struct vout {
	char *buf;
	size_t len, cap;
};

/* Room is guaranteed by vbuf's size; the check is belt and braces. */
static enum dl_err
vput(struct vout *v, char c)
{
	if (v->len >= v->cap)
		return DL_ERR_TOOBIG;
	v->buf[v->len++] = c;
	return DL_OK;
}

/*
 * A parameter value at *sp: a quoted-string (backslash escapes) or, being
 * lenient with sloppy clients, everything up to the next ';' with the
 * trailing blanks trimmed (so an unquoted "my file.csv" survives). Appended
 * NUL-terminated to v and returned through out, or skipped if v is NULL.
 */
static enum dl_err
param_value(const char **sp, const char *end, struct vout *v, char **out)
{
	const char *s = *sp, *t;
	size_t start = v != NULL ? v->len : 0;
	enum dl_err e;

	if (s < end && *s == '"') {
		for (s++;; s++) {
			if (s == end)
				return DL_ERR_INVALID;
			if (*s == '"')
				break;
			if (*s == '\\' && ++s == end)
				return DL_ERR_INVALID;
			if (v != NULL && (e = vput(v, *s)) != DL_OK)
				return e;
		}
		s++;
	} else {
		t = s;
		while (s < end && *s != ';')
			s++;
		while (s > t && is_ws(s[-1]))
			s--;
		for (; t < s; t++)
			if (v != NULL && (e = vput(v, *t)) != DL_OK)
				return e;
	}
	*sp = s;
	if (v == NULL)
		return DL_OK;
	if ((e = vput(v, '\0')) != DL_OK)
		return e;
	*out = v->buf + start;
	return DL_OK;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * RFC 5987 ext-value (charset'language'pct-encoded), decoded in place.
 * Only UTF-8 is decoded: anything else, or a malformed value, returns 0
 * and the plain filename is used. RFC 7578 forbids senders to use
 * filename*, so this is only courtesy; %00 is refused because the result
 * is handed on as a C string.
 */
static int
decode_ext(char *s)
{
	char *q1, *q2, *r, *w;
	int hi, lo;

	if ((q1 = strchr(s, '\'')) == NULL)
		return 0;
	if ((q2 = strchr(q1 + 1, '\'')) == NULL)
		return 0;
	if (!ci_eq(s, (size_t)(q1 - s), "utf-8"))
		return 0;
	for (r = q2 + 1, w = s; *r != '\0'; r++) {
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		if ((hi = hexval((unsigned char)r[1])) < 0 ||
		    (lo = hexval((unsigned char)r[2])) < 0 || (hi | lo) == 0)
			return 0;
		*w++ = (char)(hi << 4 | lo);
		r += 2;
	}
	*w = '\0';
	return 1;
}

static enum dl_err
parse_disposition(const char *s, const char *end, struct vout *v,
    char **name, char **filename)
{
	const char *t;
	char *fstar = NULL;
	int have_name = 0, have_file = 0, have_fstar = 0;
	enum dl_err e;

	s = skip_ws(s, end);
	t = s;
	while (s < end && *s != ';' && !is_ws(*s))
		s++;
	if (!ci_eq(t, (size_t)(s - t), "form-data"))
		return DL_ERR_INVALID;

	for (;;) {
		size_t pnlen;

		s = skip_ws(s, end);
		if (s == end)
			break;
		if (*s != ';')
			return DL_ERR_INVALID;
		s = skip_ws(s + 1, end);
		if (s == end || *s == ';')
			continue;
		t = s;
		while (s < end && *s != '=' && *s != ';' && !is_ws(*s))
			s++;
		pnlen = (size_t)(s - t);
		s = skip_ws(s, end);
		if (s == end || *s != '=')
			return DL_ERR_INVALID;
		s = skip_ws(s + 1, end);

		/* A repeated parameter is ambiguous: refuse, don't guess. */
		if (ci_eq(t, pnlen, "name")) {
			if (have_name++)
				return DL_ERR_INVALID;
			e = param_value(&s, end, v, name);
		} else if (ci_eq(t, pnlen, "filename")) {
			if (have_file++)
				return DL_ERR_INVALID;
			e = param_value(&s, end, v, filename);
		} else if (ci_eq(t, pnlen, "filename*")) {
			if (have_fstar++)
				return DL_ERR_INVALID;
			e = param_value(&s, end, v, &fstar);
		} else {
			e = param_value(&s, end, NULL, NULL);
		}
		if (e != DL_OK)
			return e;
	}
	if (fstar != NULL && decode_ext(fstar))
		*filename = fstar;
	if (*name == NULL || **name == '\0')
		return DL_ERR_INVALID;
	return DL_OK;
}

static enum dl_err
parse_headers(struct mp_parser *p, char **name, char **filename,
    char **ctype)
{
	char *h = p->hbuf, *line, *eol, *colon, *val, *vend;
	size_t n = p->hlen, i, w = 0, nlen;
	int have_cd = 0, have_ct = 0;
	struct vout v = { p->vbuf, 0, sizeof p->vbuf };
	enum dl_err e;

	*name = *filename = *ctype = NULL;
	if (n > 0 && is_ws(h[0]))
		return DL_ERR_INVALID;	/* a continuation of nothing */

	/*
	 * Unfold in place (RFC 5322: drop a line break before SP/HT) and
	 * drop CRs, leaving one '\n' per logical header. NUL and a CR not
	 * before LF are refused: both are classic ways to make two parsers
	 * disagree about where a value ends.
	 */
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (c == '\0')
			return DL_ERR_INVALID;
		if (c == '\r') {
			if (i + 1 == n || h[i + 1] != '\n')
				return DL_ERR_INVALID;
			continue;
		}
		if (c == '\n' && i + 1 < n && is_ws(h[i + 1]))
			continue;
		h[w++] = c;
	}
	n = w;

	for (line = h; line < h + n; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(h + n - line));
		if (eol == NULL)
			return DL_ERR_INVALID;	/* cannot happen: lines end in LF */
		colon = memchr(line, ':', (size_t)(eol - line));
		if (colon == NULL)
			return DL_ERR_INVALID;
		nlen = (size_t)(colon - line);
		while (nlen > 0 && is_ws(line[nlen - 1]))
			nlen--;
		if (nlen == 0)
			return DL_ERR_INVALID;
		val = colon + 1;
		vend = eol;

		if (ci_eq(line, nlen, "content-disposition")) {
			if (have_cd++)
				return DL_ERR_INVALID;
			e = parse_disposition(val, vend, &v, name, filename);
			if (e != DL_OK)
				return e;
		} else if (ci_eq(line, nlen, "content-type")) {
			if (have_ct++)
				return DL_ERR_INVALID;
			while (val < vend && is_ws(*val))
				val++;
			while (vend > val && is_ws(vend[-1]))
				vend--;
			if (vend > val) {
				*ctype = v.buf + v.len;
				for (; val < vend; val++)
					if ((e = vput(&v, *val)) != DL_OK)
						return e;
				if ((e = vput(&v, '\0')) != DL_OK)
					return e;
			}
		}
	}
	if (!have_cd)
		return DL_ERR_INVALID;
	return DL_OK;
}

static enum dl_err
begin_part(struct mp_parser *p)
{
	char *name, *filename, *ctype;
	enum dl_err e;

	if ((e = parse_headers(p, &name, &filename, &ctype)) != DL_OK)
		return e;
	p->state = ST_BODY;
	p->match = 0;
	p->open = 1;
	if (p->cb.part_begin == NULL)
		return DL_OK;
	return p->cb.part_begin(p->ud, name, filename, ctype);
}

static enum dl_err
headers(struct mp_parser *p, const char *buf, size_t *pos, size_t len)
{
	const char *s = buf + *pos, *end = buf + len, *nl;
	size_t n, ll;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl != NULL ? (size_t)(nl + 1 - s) : (size_t)(end - s);
		/* Overflowing the spare bytes implies non-blank content over
		 * the limit, since complete lines are checked below. */
		if (n > sizeof p->hbuf - p->hlen)
			return DL_ERR_TOOBIG;
		memcpy(p->hbuf + p->hlen, s, n);
		p->hlen += n;
		s += n;
		if (nl == NULL)
			break;
		ll = p->hlen - p->hline;
		if (ll == 1 || (ll == 2 && p->hbuf[p->hline] == '\r')) {
			p->hlen = p->hline;
			*pos = (size_t)(s - buf);
			return begin_part(p);
		}
		if (p->hlen > MP_MAX_HEADER)
			return DL_ERR_TOOBIG;
		p->hline = p->hlen;
	}
	*pos = len;
	return DL_OK;
}

/*
 * Body and boundary lines.
 */

static enum dl_err
emit(struct mp_parser *p, const char *s, size_t n)
{
	if (n == 0 || p->cb.part_data == NULL)
		return DL_OK;
	return p->cb.part_data(p->ud, s, n);
}

static enum dl_err
body(struct mp_parser *p, const char *buf, size_t *pos, size_t len)
{
	const char *s = buf + *pos, *end = buf + len, *q = s, *r;
	const char *d = p->d;
	size_t dlen = p->dlen, k, j;
	enum dl_err e;

	if (p->match > 0) {
		size_t want = dlen - p->match;

		j = 0;
		k = (size_t)(end - s) < want ? (size_t)(end - s) : want;
		while (j < k && s[j] == d[p->match + j])
			j++;
		if (j == k) {
			p->match += k;
			*pos += k;
			if (p->match == dlen) {
				p->match = 0;
				p->state = ST_BLINE;
			}
			return DL_OK;
		}
		/* The held bytes were body after all. */
		e = emit(p, d, p->match);
		p->match = 0;
		if (e != DL_OK)
			return e;
		q = s + j;
	}

	r = q < end ? memchr(q, d[0], (size_t)(end - q)) : NULL;
	while (r != NULL) {
		/* Most hits are ordinary line ends, refuted within a few
		 * bytes: compare those inline (a library call per CR is what
		 * costs on short lines) and leave memcmp for the boundary. */
		k = (size_t)(end - r) < dlen ? (size_t)(end - r) : dlen;
		for (j = 1; j < k && j < 4 && r[j] == d[j]; j++)
			;
		if (j == k || (j == 4 && memcmp(r + 4, d + 4, k - 4) == 0)) {
			e = emit(p, s, (size_t)(r - s));
			*pos = (size_t)(r + k - buf);
			if (k == dlen)
				p->state = ST_BLINE;
			else
				p->match = k;	/* hold back a possible start */
			return e;
		}
		/* d[0] is nowhere else in d, so no match starts in r[1..j). */
		if (j < 4 && r[j] == d[0]) {
			r += j;		/* a run of CRs: skip the memchr */
			continue;
		}
		q = r + j;
		r = q < end ? memchr(q, d[0], (size_t)(end - q)) : NULL;
	}
	*pos = len;
	return emit(p, s, (size_t)(end - s));
}

/* A boundary line ended: the previous part (if any) is complete. */
static enum dl_err
line_done(struct mp_parser *p)
{
	if (!p->started) {
		p->started = 1;
		p->d = p->cr ? p->delim : p->delim + 1;
		p->dlen = p->blen + (p->cr ? 4 : 3);
	}
	p->state = ST_HEADERS;
	p->hlen = p->hline = 0;
	if (p->open) {
		p->open = 0;
		if (p->cb.part_end != NULL)
			return p->cb.part_end(p->ud);
	}
	return DL_OK;
}

static enum dl_err
closed(struct mp_parser *p)
{
	p->started = 1;
	p->state = ST_DONE;
	if (p->open) {
		p->open = 0;
		if (p->cb.part_end != NULL)
			return p->cb.part_end(p->ud);
	}
	return DL_OK;
}

/* One byte after "--B"; *used is 0 when the byte must be seen again. */
static enum dl_err
bline(struct mp_parser *p, char c, size_t *used)
{
	*used = 1;
	switch (p->state) {
	case ST_BLINE:
		if (c == '-') {
			p->state = ST_BLINE_DASH;
			return DL_OK;
		}
		if (is_ws(c)) {
			p->state = ST_BLINE_PAD;
			return DL_OK;
		}
		if (c == '\r') {
			p->state = ST_BLINE_CR;
			return DL_OK;
		}
		if (c == '\n') {
			p->cr = 0;
			return line_done(p);
		}
		*used = 0;
		if (!p->started) {
			p->state = ST_PREAMBLE;
			p->bol = 0;
			return DL_OK;
		}
		/* "\r\n--Bx": not a delimiter line, so body data. */
		p->state = ST_BODY;
		return emit(p, p->d, p->dlen);
	case ST_BLINE_DASH:
		if (c == '-')
			return closed(p);
		break;
	case ST_BLINE_PAD:
		if (is_ws(c))
			return DL_OK;
		if (c == '\r') {
			p->state = ST_BLINE_CR;
			return DL_OK;
		}
		if (c == '\n') {
			p->cr = 0;
			return line_done(p);
		}
		break;
	case ST_BLINE_CR:
		if (c == '\n') {
			p->cr = 1;
			return line_done(p);
		}
		break;
	default:
		break;
	}
	/* In the preamble anything goes; in the body it is malformed. */
	if (!p->started) {
		*used = 0;
		p->state = ST_PREAMBLE;
		p->bol = 0;
		return DL_OK;
	}
	return DL_ERR_INVALID;
}

/* Skip to the first "--B" that starts a line; returns the new position. */
static size_t
preamble(struct mp_parser *p, const char *buf, size_t pos, size_t len)
{
	const char *db = p->delim + 2, *nl;
	size_t dblen = p->blen + 2;

	while (pos < len) {
		if (!p->bol) {
			nl = memchr(buf + pos, '\n', len - pos);
			if (nl == NULL)
				return len;
			pos = (size_t)(nl - buf) + 1;
			p->bol = 1;
			p->match = 0;
			continue;
		}
		if (buf[pos] != db[p->match]) {
			p->bol = 0;	/* and look at this byte again */
			p->match = 0;
			continue;
		}
		pos++;
		if (++p->match == dblen) {
			p->match = 0;
			p->bol = 0;
			p->state = ST_BLINE;
			break;
		}
	}
	return pos;
}

/*
 * Public interface.
 */

struct mp_parser *
mp_new(const char *boundary, const struct mp_callbacks *cb, void *ud)
{
	struct mp_parser *p;
	size_t n;

	if (boundary == NULL)
		return NULL;
	for (n = 0; n <= MP_MAX_BOUNDARY && boundary[n] != '\0'; n++)
		if (is_ctl(boundary[n]))
			return NULL;	/* CR/LF would break the scanner */
	if (n == 0 || n > MP_MAX_BOUNDARY)
		return NULL;
	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	if (cb != NULL)
		p->cb = *cb;
	p->ud = ud;
	p->state = ST_PREAMBLE;
	p->err = DL_OK;
	memcpy(p->delim, "\r\n--", 4);
	memcpy(p->delim + 4, boundary, n);
	p->delim[4 + n] = '\0';
	p->blen = n;
	p->d = p->delim;
	p->dlen = n + 4;
	p->bol = 1;	/* the first boundary may open the body */
	return p;
}

enum dl_err
mp_feed(struct mp_parser *p, const char *data, size_t len)
{
	size_t pos = 0, used;
	enum dl_err e = DL_OK;

	if (p == NULL)
		return DL_ERR_INVALID;
	if (p->state == ST_ERROR)
		return p->err;
	if (len > 0 && data == NULL)
		return DL_ERR_INVALID;

	while (pos < len && e == DL_OK) {
		switch (p->state) {
		case ST_PREAMBLE:
			pos = preamble(p, data, pos, len);
			break;
		case ST_BLINE:
		case ST_BLINE_DASH:
		case ST_BLINE_PAD:
		case ST_BLINE_CR:
			e = bline(p, data[pos], &used);
			pos += used;
			break;
		case ST_HEADERS:
			e = headers(p, data, &pos, len);
			break;
		case ST_BODY:
			e = body(p, data, &pos, len);
			break;
		case ST_DONE:
			return DL_OK;
		case ST_ERROR:
			return p->err;
		}
	}
	if (e != DL_OK) {
		p->state = ST_ERROR;
		p->err = e;
	}
	return e;
}

enum dl_err
mp_finish(struct mp_parser *p)
{
	if (p == NULL)
		return DL_ERR_INVALID;
	if (p->state == ST_ERROR)
		return p->err;
	return p->state == ST_DONE ? DL_OK : DL_ERR_INVALID;
}

void
mp_free(struct mp_parser *p)
{
	free(p);
}
