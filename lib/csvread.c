/*
 * csvread: CSV files on top of libcsv. See csvread.h for the
 * contract; the notes here are about the choices behind it.
 *
 * Pipeline, byte by byte and therefore independent of how the caller
 * chunks the input:
 *
 *   BOM stripper -> header scanner (buffers the first record, picks the
 *   delimiter) -> libcsv (initialised with that delimiter, fed the
 *   buffered header, then everything else) -> our field/row callbacks.
 *
 * Decisions that a reader of this file should know about:
 *
 *  - Blank lines (nothing before the line break but spaces, or tabs that
 *    are not the delimiter) are not records: no record, no error. They
 *    still advance the row number, because a spreadsheet opening the same
 *    file shows them as empty rows, and a "row 12" in an error report has
 *    to be the row the user sees as 12. Blank lines before the header
 *    (spaces and tabs only, the delimiter being unknown yet) count the
 *    same way. A line holding only delimiters (",,,", or tabs in a tab
 *    file) is a record.
 *  - CRLF, LF and lone CR all end a line (libcsv treats CR and LF alike;
 *    the LF of a CRLF is folded into the CR so it is not a blank line).
 *  - libcsv runs in its lenient (non-strict) mode: a quote inside an
 *    unquoted field is kept literally (Excel does the same). Text after a
 *    closing quote makes libcsv reopen the quoted field, so one unbalanced
 *    quote can swallow the rest of the file into one field. That row then
 *    fails (field_count, or field_too_long once the field passes 4 KiB,
 *    with a hint about an unclosed quote when it spans lines) and memory
 *    stays bounded, see checkpoint().
 *  - field_too_long and invalid_utf8 apply to every field of a row, not
 *    only to the columns we read: a cell over 4 KiB in a contact file is
 *    almost always a broken quote, and bytes that are not UTF-8 mean the
 *    file was saved in another encoding, which makes our own columns
 *    suspect too. A NUL byte counts as invalid: it cannot survive in the
 *    NUL-terminated fields we hand out (and it is how UTF-16 looks).
 *  - One row_error per bad row. A wrong field count wins over per-field
 *    problems because the columns of such a row are probably shifted.
 *  - Header names match after trimming, ASCII case folding and folding
 *    runs of spaces, tabs, '_' and '-' into one space; a leading U+FEFF
 *    is ignored too (files that carry a second BOM). The first column
 *    matching any alias of a field wins.
 */
#include "csvread.h"

#include <csv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The header line is buffered whole before libcsv sees it. */
#define HDR_MAX (64 * 1024)

/*
 * libcsv is fed at most SLICE bytes at a time, and between slices we look
 * at the field it is accumulating. Slice boundaries sit at fixed offsets of
 * the stream (not of the caller's chunks) so that what we see there does
 * not depend on the chunking.
 */
#define SLICE 4096

/*
 * A field whose raw bytes (blanks included) exceed this is refused even
 * when trimming would bring it under CSVREAD_MAX_FIELD: only a field
 * padded with kilobytes of blanks is affected, and without this bound such
 * padding could grow libcsv's buffer without limit.
 */
#define RAW_MAX (4 * CSVREAD_MAX_FIELD)

/* Room for the words around a header name quoted in a message. */
#define MSG_NAME_MAX 60

/* A folded header name or alias longer than this matches nothing. */
#define FOLD_MAX 64

/*
 * Slots hold the values of a record: the table's columns first (slot c is
 * column c), then two per column that may be joined from two halves.
 */
#define MAX_SLOTS (3 * CSVREAD_MAX_COLS)
#define SLOT_NONE 0xff

enum phase {
	PH_HEADER,	/* scanning for the end of the header line */
	PH_DATA		/* libcsv is running */
};

/* Header scanner states, a small mirror of libcsv's own. */
enum hscan {
	HS_FIELD_START,
	HS_UNQUOTED,
	HS_QUOTED,
	HS_AFTER_QUOTE
};

enum row_problem {
	RP_NONE = 0,
	RP_TOO_LONG,
	RP_BAD_UTF8
};

static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };

struct csvread {
	const struct csvread_column *cols;
	size_t ncols;
	const struct csvread_callbacks *cb;
	void *ud;

	enum dl_err err;	/* sticky: once set, nothing more happens */
	int finished;
	enum csvread_file_error ferr;
	unsigned missing;
	char fmsg[1024];

	unsigned bom_seen;	/* BOM bytes matched so far; 3 = decided */
	enum phase phase;

	/* Header scanner. */
	unsigned char *hbuf;
	size_t hlen, hcap;
	int hs_inline;		/* a non-blank byte was seen on this line */
	int hs_prev_cr;
	int hs_after_spaces;
	enum hscan hs;
	size_t delim_count[3];
	long blank_before;
	char delim;

	struct csv_parser csv;
	int csv_ready;
	uint64_t fed;		/* bytes handed to libcsv */

	/* Header names, NUL-separated, kept for messages. */
	int header_done;
	char *names;
	size_t names_len, names_cap;
	size_t *name_off;
	size_t nhdr, name_off_cap;
	unsigned char *slot_of;	/* header index -> slot */
	size_t nslots;
	long slot_col[MAX_SLOTS];	/* slot -> header index, -1 when absent */
	unsigned char slot_owner[MAX_SLOTS];	/* slot -> column */
	int join_slot[CSVREAD_MAX_COLS];	/* first half's slot, or -1 */
	int joined[CSVREAD_MAX_COLS];	/* value comes from the two halves */

	/* The row being read. */
	size_t nf;
	enum row_problem rp;
	size_t rp_field;
	int rp_nl;
	int field_over;		/* checkpoint() found the current field too long */
	int field_over_nl;
	int last_eor;
	long rows;
	long records;

	char *slot_buf[MAX_SLOTS];
	size_t slot_len[MAX_SLOTS];
	char *join_buf[CSVREAD_MAX_COLS];
	char rmsg[512];
};

static const char *const name_aliases[] = { "full name", "fullname",
	"contact name", "contact", NULL };
static const char *const first_name_aliases[] = { "first name", "firstname",
	"given name", "forename", NULL };
static const char *const last_name_aliases[] = { "last name", "lastname",
	"surname", "family name", NULL };
static const char *const company_aliases[] = { "company name", "organization",
	"organisation", "organization name", "organisation name", "account",
	"account name", NULL };
static const char *const phone_aliases[] = { "phone number", "phonenumber",
	"mobile", "mobile phone", "mobile number", "cell", "cell phone",
	"telephone", "telephone number", "tel", "number", NULL };
static const char *const title_aliases[] = { "job title", "position", "role",
	NULL };
static const char *const timezone_aliases[] = { "time zone", "tz", NULL };

const struct csvread_column csvread_contact_columns[CSVREAD_CONTACT_NCOLS] = {
	[CSVREAD_NAME] = { "name", name_aliases, 1,
	    { first_name_aliases, last_name_aliases } },
	[CSVREAD_COMPANY] = { "company", company_aliases, 1, { NULL, NULL } },
	[CSVREAD_PHONE] = { "phone", phone_aliases, 1, { NULL, NULL } },
	[CSVREAD_TITLE] = { "title", title_aliases, 0, { NULL, NULL } },
	[CSVREAD_TIMEZONE] = { "timezone", timezone_aliases, 0, { NULL, NULL } },
};

static void parse_data(struct csvread *r, const unsigned char *p, size_t n);

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\v' || c == '\f';
}

static void
trim(const unsigned char *s, size_t len, size_t *start, size_t *n)
{
	size_t b = 0, e = len;

	while (b < e && is_blank(s[b]))
		b++;
	while (e > b && is_blank(s[e - 1]))
		e--;
	*start = b;
	*n = e - b;
}

/*
 * Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF),
 * and no NUL. Contact files are mostly ASCII, so eight bytes at a time
 * are checked for "no high bit and no zero byte" before going byte-wise.
 */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	const uint64_t hi = 0x8080808080808080ULL;
	const uint64_t lo = 0x0101010101010101ULL;
	size_t i = 0;

	while (i < n) {
		unsigned c, need, k;
		unsigned char min2, max2;

		while (n - i >= 8) {
			uint64_t v;

			memcpy(&v, s + i, 8);
			if ((v & hi) != 0 || ((v - lo) & ~v & hi) != 0)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		c = s[i];
		if (c < 0x80) {
			if (c == 0)
				return 0;
			i++;
			continue;
		}
		min2 = 0x80;
		max2 = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c == 0xe0) {
			need = 2;
			min2 = 0xa0;
		} else if (c == 0xed) {
			need = 2;
			max2 = 0x9f;
		} else if (c >= 0xe1 && c <= 0xef) {
			need = 2;
		} else if (c == 0xf0) {
			need = 3;
			min2 = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3) {
			need = 3;
		} else if (c == 0xf4) {
			need = 3;
			max2 = 0x8f;
		} else {
			return 0;
		}
		if (n - i - 1 < need)
			return 0;
		if (s[i + 1] < min2 || s[i + 1] > max2)
			return 0;
		for (k = 2; k <= need; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += need + 1;
	}
	return 1;
}

/* Longest prefix of at most max bytes that does not split a UTF-8 sequence. */
static size_t
utf8_prefix(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static enum dl_err
fail(struct csvread *r, enum dl_err err)
{
	if (r->err == DL_OK)
		r->err = err;
	return r->err;
}

static enum dl_err
file_error(struct csvread *r, enum csvread_file_error fe, const char *msg)
{
	if (r->err != DL_OK)
		return r->err;
	r->ferr = fe;
	if (msg != NULL)
		snprintf(r->fmsg, sizeof r->fmsg, "%s", msg);
	return fail(r, DL_ERR_INVALID);
}

/* Room for `need` elements, doubling; NULL (p untouched) when out of memory. */
static void *
grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return p;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return NULL;
		ncap *= 2;
	}
	np = realloc(p, ncap * elem);
	if (np != NULL)
		*cap = ncap;
	return np;
}

/* ---- messages ---------------------------------------------------- */

static const char *
hdr_name(const struct csvread *r, size_t i)
{
	return r->names + r->name_off[i];
}

/* "column \"Phone\"", or "column 3" when the header cell is empty. */
static void
describe_col(const struct csvread *r, size_t idx, char *out, size_t cap)
{
	const char *nm = idx < r->nhdr ? hdr_name(r, idx) : "";
	size_t len = strlen(nm), keep = utf8_prefix(nm, len, MSG_NAME_MAX);

	if (len == 0)
		snprintf(out, cap, "column %zu", idx + 1);
	else
		snprintf(out, cap, "column \"%.*s%s\"", (int)keep, nm,
		    keep < len ? "..." : "");
}

struct sbuf {
	char *p;
	size_t cap, len;
};

/* Appends all of s or nothing, so a message is never cut mid-name. */
static int
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n >= b->cap)
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
sb_str(struct sbuf *b, const char *s)
{
	return sb_add(b, s, strlen(s));
}

static void
missing_message(struct csvread *r)
{
	struct sbuf b = { r->fmsg, sizeof r->fmsg, 0 };
	const char *sep = "";
	size_t i, c, shown = 0;

	r->fmsg[0] = '\0';
	sb_str(&b, "Missing required column(s): ");
	for (c = 0; c < r->ncols; c++) {
		if (r->missing & (1u << c)) {
			sb_str(&b, sep);
			sb_str(&b, r->cols[c].name);
			sep = ", ";
		}
	}
	sb_str(&b, ". Found: ");
	sep = "";
	for (i = 0; i < r->nhdr; i++) {
		const char *nm = hdr_name(r, i);
		size_t len = strlen(nm), keep = utf8_prefix(nm, len,
		    MSG_NAME_MAX);

		if (len == 0)
			continue;
		/* Keep room for the ", ..." that says the list goes on. */
		if (b.len + strlen(sep) + keep + 3 + 8 >= b.cap) {
			sb_str(&b, ", ...");
			shown++;
			break;
		}
		sb_str(&b, sep);
		sb_add(&b, nm, keep);
		if (keep < len)
			sb_str(&b, "...");
		sep = ", ";
		shown++;
	}
	if (shown == 0)
		sb_str(&b, "no column names");
	sb_str(&b, ".");
}

/* ---- header ------------------------------------------------------ */

/*
 * Folds a header name or alias for matching: blanks, '_' and '-' runs
 * become one space (none at either end), ASCII letters lower case, a
 * leading U+FEFF goes. Returns 0 when the result would not fit FOLD_MAX.
 */
static int
fold(const char *name, char out[FOLD_MAX + 1])
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = 0;
	int sep = 0;

	if (s[0] == bom[0] && s[1] == bom[1] && s[2] == bom[2])
		s += 3;
	for (; *s != '\0'; s++) {
		unsigned char c = *s;

		if (is_blank(c) || c == '_' || c == '-') {
			sep = 1;
			continue;
		}
		if (n + (sep && n > 0) + 1 > FOLD_MAX)
			return 0;
		if (sep && n > 0)
			out[n++] = ' ';
		sep = 0;
		out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') :
		    (char)c;
	}
	out[n] = '\0';
	return 1;
}

static int
folded_eq(const char *folded, const char *alias)
{
	char f[FOLD_MAX + 1];

	return fold(alias, f) && strcmp(folded, f) == 0;
}

static int
in_list(const char *folded, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (folded_eq(folded, *list))
			return 1;
	return 0;
}

/* The slot a header cell fills: a column's own names before any half. */
static unsigned char
match_slot(const struct csvread *r, const char *name)
{
	char folded[FOLD_MAX + 1];
	size_t c;
	int k;

	if (!fold(name, folded) || folded[0] == '\0')
		return SLOT_NONE;
	for (c = 0; c < r->ncols; c++)
		if (folded_eq(folded, r->cols[c].name) ||
		    in_list(folded, r->cols[c].aliases))
			return (unsigned char)c;
	for (c = 0; c < r->ncols; c++)
		for (k = 0; k < 2 && r->join_slot[c] >= 0; k++)
			if (in_list(folded, r->cols[c].join[k]))
				return (unsigned char)(r->join_slot[c] + k);
	return SLOT_NONE;
}

static void
header_field(struct csvread *r, const unsigned char *s, size_t len)
{
	size_t b, n;
	char *names;
	size_t *offs;

	r->field_over = 0;
	trim(s, len, &b, &n);
	if (!utf8_ok(s + b, n)) {
		file_error(r, CSVREAD_FILE_BAD_HEADER,
		    "The header row is not valid UTF-8 text. "
		    "Save the file as \"CSV UTF-8\" and try again.");
		return;
	}
	if (r->names_len + n + 1 > HDR_MAX) {
		file_error(r, CSVREAD_FILE_BAD_HEADER,
		    "The header line is too long (over 64 KiB).");
		return;
	}
	names = grow(r->names, &r->names_cap, r->names_len + n + 1, 1);
	if (names == NULL) {
		fail(r, DL_ERR_NOMEM);
		return;
	}
	r->names = names;
	offs = grow(r->name_off, &r->name_off_cap, r->nhdr + 1,
	    sizeof r->name_off[0]);
	if (offs == NULL) {
		fail(r, DL_ERR_NOMEM);
		return;
	}
	r->name_off = offs;
	memcpy(r->names + r->names_len, s + b, n);
	r->names[r->names_len + n] = '\0';
	r->name_off[r->nhdr++] = r->names_len;
	r->names_len += n + 1;
}

static void
header_done(struct csvread *r)
{
	size_t i, c;
	int k;

	r->slot_of = malloc(r->nhdr ? r->nhdr : 1);
	if (r->slot_of == NULL) {
		fail(r, DL_ERR_NOMEM);
		return;
	}
	for (i = 0; i < r->nslots; i++)
		r->slot_col[i] = -1;
	for (i = 0; i < r->nhdr; i++) {
		unsigned char slot = match_slot(r, hdr_name(r, i));

		r->slot_of[i] = SLOT_NONE;
		if (slot != SLOT_NONE && r->slot_col[slot] < 0) {
			r->slot_col[slot] = (long)i;
			r->slot_of[i] = slot;
		}
	}
	r->missing = 0;
	for (c = 0; c < r->ncols; c++) {
		int js = r->join_slot[c];

		/* A real column beats a split one; then the halves go unread. */
		if (js >= 0 && r->slot_col[c] < 0 && r->slot_col[js] >= 0 &&
		    r->slot_col[js + 1] >= 0) {
			r->joined[c] = 1;
		} else {
			for (k = 0; js >= 0 && k < 2; k++) {
				if (r->slot_col[js + k] >= 0)
					r->slot_of[r->slot_col[js + k]] =
					    SLOT_NONE;
				r->slot_col[js + k] = -1;
			}
		}
		if (r->cols[c].required && r->slot_col[c] < 0 && !r->joined[c])
			r->missing |= 1u << c;
	}
	r->header_done = 1;
	if (r->missing) {
		missing_message(r);
		file_error(r, CSVREAD_FILE_MISSING_COLUMNS, NULL);
	}
}

static int
delim_index(unsigned char c)
{
	return c == ',' ? 0 : c == ';' ? 1 : c == '\t' ? 2 : -1;
}

static void
start_libcsv(struct csvread *r)
{
	static const char cand[3] = { ',', ';', '\t' };
	size_t best = 0;
	int i;

	/* Comma wins ties, and the empty vote. */
	for (i = 1; i < 3; i++)
		if (r->delim_count[i] > r->delim_count[best])
			best = (size_t)i;
	r->delim = cand[best];

	/*
	 * Lenient mode (no CSV_STRICT): see the top of the file. REPALL_NL
	 * makes libcsv report blank lines, which we need for row numbers.
	 * No APPEND_NULL: fields are copied, never used in place.
	 */
	csv_init(&r->csv, CSV_REPALL_NL);
	csv_set_delim(&r->csv, (unsigned char)r->delim);
	r->csv_ready = 1;
	r->rows = r->blank_before;
	r->phase = PH_DATA;

	parse_data(r, r->hbuf, r->hlen);
	free(r->hbuf);
	r->hbuf = NULL;
	r->hlen = r->hcap = 0;
}

static int
hbuf_put(struct csvread *r, unsigned char c)
{
	if (r->hlen >= HDR_MAX) {
		file_error(r, CSVREAD_FILE_BAD_HEADER,
		    "The header line is too long (over 64 KiB).");
		return -1;
	}
	if (r->hlen == r->hcap) {
		unsigned char *nb = grow(r->hbuf, &r->hcap, r->hlen + 1, 1);

		if (nb == NULL) {
			fail(r, DL_ERR_NOMEM);
			return -1;
		}
		r->hbuf = nb;
	}
	r->hbuf[r->hlen++] = c;
	return 0;
}

/*
 * The header line ends at the first line break outside quotes. The
 * delimiter is not known yet, so every candidate ends a field here; the
 * rules for quotes follow libcsv's lenient mode. This is only an estimate
 * of where libcsv will end the record: the buffered bytes are replayed
 * through libcsv, which has the last word, so a disagreement in odd files
 * only shifts the delimiter vote or the point where "too long" is hit.
 * Returns how many bytes belonged to the header phase.
 */
static size_t
header_scan(struct csvread *r, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];
		int d;

		if (!r->hs_inline) {
			/* Blank lines before the header: count, drop. */
			if (c == '\r' || c == '\n') {
				if (!(c == '\n' && r->hs_prev_cr))
					r->blank_before++;
				r->hs_prev_cr = c == '\r';
				r->hlen = 0;
				continue;
			}
			r->hs_prev_cr = 0;
			if (hbuf_put(r, c))
				return i;
			if (c == ' ' || c == '\t')
				continue;
			/* The leading blanks we kept may hold tab delimiters. */
			r->hs_inline = 1;
			r->hs = HS_FIELD_START;
			for (size_t k = 0; k + 1 < r->hlen; k++)
				if (r->hbuf[k] == '\t')
					r->delim_count[2]++;
		} else if (hbuf_put(r, c)) {
			return i;
		}

		d = delim_index(c);
		switch (r->hs) {
		case HS_FIELD_START:
			if (c == '"')
				r->hs = HS_QUOTED;
			else if (d < 0 && c != ' ' && c != '\r' && c != '\n')
				r->hs = HS_UNQUOTED;
			break;
		case HS_UNQUOTED:
			break;
		case HS_QUOTED:
			if (c == '"') {
				r->hs = HS_AFTER_QUOTE;
				r->hs_after_spaces = 0;
			}
			continue;
		case HS_AFTER_QUOTE:
			if (d >= 0 || c == '\r' || c == '\n')
				break;
			if (c == ' ') {
				r->hs_after_spaces = 1;
			} else if (c == '"' && r->hs_after_spaces) {
				/* libcsv keeps it literally and stays here. */
				r->hs_after_spaces = 0;
			} else {
				r->hs = HS_QUOTED;
			}
			continue;
		}
		if (d >= 0) {
			r->delim_count[d]++;
			r->hs = HS_FIELD_START;
		} else if (c == '\r' || c == '\n') {
			start_libcsv(r);
			return i + 1;
		}
	}
	return n;
}

/* ---- data -------------------------------------------------------- */

static void
note_problem(struct csvread *r, enum row_problem rp, size_t idx, int nl)
{
	if (r->rp != RP_NONE)
		return;
	r->rp = rp;
	r->rp_field = idx;
	r->rp_nl = nl;
}

static void
on_field(void *s, size_t len, void *ud)
{
	struct csvread *r = ud;
	const unsigned char *f = s;
	size_t idx, b, n;
	int over;
	unsigned char slot;

	if (r->err != DL_OK)
		return;
	idx = r->nf++;
	if (!r->header_done) {
		header_field(r, f, len);
		return;
	}
	over = r->field_over;
	r->field_over = 0;
	/* Past the header's width the row fails on its count anyway. */
	if (r->rp != RP_NONE || idx >= r->nhdr)
		return;
	trim(f, len, &b, &n);
	if (over || n > CSVREAD_MAX_FIELD) {
		note_problem(r, RP_TOO_LONG, idx, over ? r->field_over_nl :
		    memchr(f, '\n', len) != NULL);
		return;
	}
	if (!utf8_ok(f + b, n)) {
		note_problem(r, RP_BAD_UTF8, idx, 0);
		return;
	}
	slot = r->slot_of[idx];
	if (slot != SLOT_NONE) {
		memcpy(r->slot_buf[slot], f + b, n);
		r->slot_buf[slot][n] = '\0';
		r->slot_len[slot] = n;
	}
}

static const char *
slot_col_name(const struct csvread *r, unsigned char slot)
{
	if (slot >= r->nslots)
		return NULL;
	return r->cols[r->slot_owner[slot]].name;
}

static void
row_error(struct csvread *r, const char *column, const char *code)
{
	enum dl_err rc;

	if (r->cb->row_error == NULL)
		return;
	rc = r->cb->row_error(r->ud, r->rows, column, code, r->rmsg);
	if (rc != DL_OK)
		fail(r, rc);
}

/* Joins column c's halves into its join buffer; -1 when too long. */
static int
join_halves(struct csvread *r, size_t c, size_t *len)
{
	int js = r->join_slot[c];
	size_t fl = r->slot_len[js], ll = r->slot_len[js + 1], n = 0;
	char *out = r->join_buf[c];

	if (fl > 0) {
		memcpy(out, r->slot_buf[js], fl);
		n = fl;
	}
	if (fl > 0 && ll > 0)
		out[n++] = ' ';
	if (ll > 0) {
		memcpy(out + n, r->slot_buf[js + 1], ll);
		n += ll;
	}
	out[n] = '\0';
	*len = n;
	return n > CSVREAD_MAX_FIELD ? -1 : 0;
}

static void
emit_row(struct csvread *r)
{
	struct csvread_record rec;
	char col[MSG_NAME_MAX + 32];
	size_t c;

	if (r->nf != r->nhdr) {
		/* An unclosed quote eats line breaks and shows up here. */
		snprintf(r->rmsg, sizeof r->rmsg,
		    "Expected %zu fields, as in the header row, but found %zu%s.",
		    r->nhdr, r->nf, r->rp == RP_TOO_LONG && r->rp_nl ?
		    " (a quote may have been left open)" : "");
		row_error(r, NULL, "field_count");
		return;
	}
	if (r->rp != RP_NONE) {
		unsigned char slot = r->slot_of[r->rp_field];

		describe_col(r, r->rp_field, col, sizeof col);
		if (r->rp == RP_TOO_LONG) {
			snprintf(r->rmsg, sizeof r->rmsg,
			    "The value in %s is longer than %d bytes%s.", col,
			    CSVREAD_MAX_FIELD, r->rp_nl ?
			    " (a quote may have been left open)" : "");
			row_error(r, slot_col_name(r, slot), "field_too_long");
		} else {
			snprintf(r->rmsg, sizeof r->rmsg,
			    "The value in %s is not valid UTF-8 text. "
			    "Save the file as \"CSV UTF-8\" and try again.",
			    col);
			row_error(r, slot_col_name(r, slot), "invalid_utf8");
		}
		return;
	}

	rec.row = r->rows;
	for (c = 0; c < CSVREAD_MAX_COLS; c++) {
		if (c < r->ncols && r->slot_col[c] >= 0) {
			rec.field[c] = r->slot_buf[c];
			rec.len[c] = r->slot_len[c];
		} else {
			rec.field[c] = "";
			rec.len[c] = 0;
		}
	}
	for (c = 0; c < r->ncols; c++) {
		if (!r->joined[c])
			continue;
		if (join_halves(r, c, &rec.len[c]) != 0) {
			char first[MSG_NAME_MAX + 32], second[MSG_NAME_MAX + 32];
			int js = r->join_slot[c];

			describe_col(r, (size_t)r->slot_col[js], first,
			    sizeof first);
			describe_col(r, (size_t)r->slot_col[js + 1], second,
			    sizeof second);
			snprintf(r->rmsg, sizeof r->rmsg,
			    "The %s (%s and %s together) is longer than %d "
			    "bytes.", r->cols[c].name, first, second,
			    CSVREAD_MAX_FIELD);
			row_error(r, r->cols[c].name, "field_too_long");
			return;
		}
		rec.field[c] = r->join_buf[c];
	}
	if (r->cb->record != NULL) {
		enum dl_err rc = r->cb->record(r->ud, &rec);

		if (rc != DL_OK)
			fail(r, rc);
	}
}

static void
on_row(int c, void *ud)
{
	struct csvread *r = ud;
	size_t s;

	if (r->err != DL_OK)
		return;
	if (r->nf == 0) {
		/*
		 * REPALL_NL reports a CRLF's LF on its own; it is no line.
		 * (libcsv skips blanks between the two without telling us,
		 * so a CR-only file with a line of spaces loses one row
		 * number there; not worth scanning every byte ourselves.)
		 */
		if (!(c == '\n' && r->last_eor == '\r'))
			r->rows++;
		r->last_eor = c;
		return;
	}
	r->last_eor = c;
	r->rows++;
	if (!r->header_done) {
		header_done(r);
	} else {
		r->records++;
		emit_row(r);
	}
	r->nf = 0;
	r->rp = RP_NONE;
	r->field_over = 0;
	for (s = 0; s < r->nslots; s++) {
		r->slot_len[s] = 0;
		r->slot_buf[s][0] = '\0';
	}
}

/*
 * Keeps libcsv's buffer bounded. Touches fields of struct csv_parser
 * (public in csv.h, but libcsv's own bookkeeping) between csv_parse
 * calls, relying on these invariants of libcsv 3.0.x:
 *  - entry_pos > 0 only inside a field;
 *  - the field ends by subtracting `spaces` (unquoted: trailing blanks)
 *    or `spaces + 1` (after a closing quote: the quote and the blanks
 *    after it) from entry_pos, so entry_pos must stay >= spaces + 1;
 *  - after a closing quote only spaces == 0 versus != 0 matters.
 * Once the field is known to be too long its bytes are worthless, so all
 * but that tail is dropped.
 *
 * "Known to be too long" must not depend on where the slice boundary
 * fell, so the test is conservative: the bytes before the last spaces + 1
 * (whatever state libcsv is in), trimmed, are part of the final trimmed
 * field, so if they already exceed the limit the final field does too.
 */
static void
checkpoint(struct csvread *r)
{
	struct csv_parser *p = &r->csv;
	size_t end, b, n;

	if (!r->header_done) {
		/* Only when libcsv ends the header later than we guessed. */
		if (p->entry_pos > HDR_MAX)
			file_error(r, CSVREAD_FILE_BAD_HEADER,
			    "The header line is too long (over 64 KiB).");
		return;
	}
	if (p->entry_pos <= CSVREAD_MAX_FIELD)
		return;
	if (!r->field_over && r->rp == RP_NONE && r->nf < r->nhdr) {
		end = p->entry_pos > p->spaces + 1 ?
		    p->entry_pos - p->spaces - 1 : 0;
		trim(p->entry_buf, end, &b, &n);
		if (n <= CSVREAD_MAX_FIELD && p->entry_pos <= RAW_MAX)
			return;
		r->field_over = 1;
		r->field_over_nl = 0;
	}
	/* For the "unclosed quote" hint, before the bytes go. */
	if (r->field_over && !r->field_over_nl)
		r->field_over_nl = memchr(p->entry_buf, '\n', p->entry_pos) !=
		    NULL;
	if (p->spaces > 1)
		p->spaces = 1;
	p->entry_pos = p->spaces + 1;
}

static void
parse_data(struct csvread *r, const unsigned char *p, size_t n)
{
	while (n > 0 && r->err == DL_OK) {
		size_t step = SLICE - (size_t)(r->fed % SLICE);
		size_t got;

		if (step > n)
			step = n;
		got = csv_parse(&r->csv, p, step, on_field, on_row, r);
		if (got != step && r->err == DL_OK) {
			int ce = csv_error(&r->csv);

			/*
			 * ENOMEM is a failed realloc; ETOOBIG cannot happen
			 * while checkpoint() bounds the buffer and EPARSE
			 * only exists in strict mode, but both map somewhere.
			 */
			if (ce == CSV_ENOMEM || ce == CSV_ETOOBIG) {
				fail(r, DL_ERR_NOMEM);
			} else {
				char m[128];

				snprintf(m, sizeof m,
				    "The file could not be read as CSV (%s).",
				    csv_strerror(ce));
				file_error(r, CSVREAD_FILE_BAD_HEADER, m);
			}
			return;
		}
		r->fed += step;
		p += step;
		n -= step;
		if (r->fed % SLICE == 0)
			checkpoint(r);
	}
}

/* ---- the public face --------------------------------------------- */

static void
push(struct csvread *r, const unsigned char *p, size_t n)
{
	if (r->phase == PH_HEADER) {
		size_t used = header_scan(r, p, n);

		p += used;
		n -= used;
	}
	if (n > 0 && r->err == DL_OK)
		parse_data(r, p, n);
}

struct csvread *
csvread_new(const struct csvread_column *cols, size_t ncols,
    const struct csvread_callbacks *cb, void *ud)
{
	struct csvread *r;
	char *block, *p;
	size_t c, s, njoin = 0;

	if (ncols == 0 || ncols > CSVREAD_MAX_COLS)
		return NULL;
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->cols = cols;
	r->ncols = ncols;
	r->nslots = ncols;
	for (c = 0; c < ncols; c++) {
		r->slot_owner[c] = (unsigned char)c;
		r->join_slot[c] = -1;
		if (cols[c].join[0] == NULL || cols[c].join[1] == NULL)
			continue;
		r->join_slot[c] = (int)r->nslots;
		r->slot_owner[r->nslots++] = (unsigned char)c;
		r->slot_owner[r->nslots++] = (unsigned char)c;
		njoin++;
	}
	/* One block: the per-slot buffers are reused for every record. */
	block = malloc(r->nslots * (CSVREAD_MAX_FIELD + 1) +
	    njoin * (2 * CSVREAD_MAX_FIELD + 2));
	if (block == NULL) {
		free(r);
		return NULL;
	}
	for (s = 0, p = block; s < r->nslots; s++, p += CSVREAD_MAX_FIELD + 1) {
		r->slot_buf[s] = p;
		r->slot_buf[s][0] = '\0';
		r->slot_col[s] = -1;
	}
	for (c = 0; c < ncols; c++) {
		if (r->join_slot[c] >= 0) {
			r->join_buf[c] = p;
			p += 2 * CSVREAD_MAX_FIELD + 2;
		}
	}
	r->cb = cb;
	r->ud = ud;
	r->phase = PH_HEADER;
	r->last_eor = -1;
	return r;
}

enum dl_err
csvread_feed(struct csvread *r, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (r->err != DL_OK)
		return r->err;
	if (r->finished)
		return DL_ERR_INVALID;	/* a caller bug, not the file's fault */
	if (len == 0)
		return DL_OK;
	while (len > 0 && r->bom_seen < 3) {
		if (p[0] == bom[r->bom_seen]) {
			r->bom_seen++;
			p++;
			len--;
			continue;
		}
		/* Not a BOM after all: what looked like one is data. */
		{
			size_t k = r->bom_seen;

			r->bom_seen = 3;
			push(r, bom, k);
		}
	}
	if (len > 0 && r->err == DL_OK)
		push(r, p, len);
	return r->err;
}

enum dl_err
csvread_finish(struct csvread *r)
{
	if (r->err != DL_OK || r->finished)
		return r->err;
	r->finished = 1;
	if (r->bom_seen < 3) {
		size_t k = r->bom_seen;

		r->bom_seen = 3;
		push(r, bom, k);
		if (r->err != DL_OK)
			return r->err;
	}
	if (r->phase == PH_HEADER) {
		if (!r->hs_inline)
			return file_error(r, CSVREAD_FILE_EMPTY,
			    "The file is empty.");
		start_libcsv(r);
		if (r->err != DL_OK)
			return r->err;
	}
	csv_fini(&r->csv, on_field, on_row, r);
	if (r->err != DL_OK)
		return r->err;
	if (!r->header_done)
		return file_error(r, CSVREAD_FILE_EMPTY, "The file is empty.");
	if (r->records == 0)
		return file_error(r, CSVREAD_FILE_NO_ROWS,
		    "The file has a header row but no data rows.");
	return DL_OK;
}

enum csvread_file_error
csvread_file_error(const struct csvread *r)
{
	return r->ferr;
}

const char *
csvread_file_error_code(const struct csvread *r)
{
	switch (r->ferr) {
	case CSVREAD_FILE_OK:
		return NULL;
	case CSVREAD_FILE_EMPTY:
		return "empty_file";
	case CSVREAD_FILE_BAD_HEADER:
		return "bad_header";
	case CSVREAD_FILE_MISSING_COLUMNS:
		return "missing_columns";
	case CSVREAD_FILE_NO_ROWS:
		return "no_rows";
	}
	return NULL;
}

const char *
csvread_file_error_message(const struct csvread *r)
{
	return r->ferr == CSVREAD_FILE_OK ? "" : r->fmsg;
}

unsigned
csvread_missing_columns(const struct csvread *r)
{
	return r->missing;
}

char
csvread_delimiter(const struct csvread *r)
{
	return r->delim;
}

long
csvread_records(const struct csvread *r)
{
	return r->records;
}

void
csvread_free(struct csvread *r)
{
	if (r == NULL)
		return;
	if (r->csv_ready)
		csv_free(&r->csv);
	free(r->slot_buf[0]);
	free(r->hbuf);
	free(r->names);
	free(r->name_off);
	free(r->slot_of);
	free(r);
}
