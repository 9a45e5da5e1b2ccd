/*
 * Unit tests for lib/multipart.c.
 *
 * A recorder collects what the callbacks see (and checks that they come in
 * a legal order); most tests then feed the same input whole, a byte at a
 * time and in random chunk sizes, and require identical recordings, since
 * the chunking of a network read must never change what is parsed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "multipart.h"

#define MAXPARTS 16

struct part {
	char *name, *filename, *ctype;
	char *data;
	size_t len, cap;
	int ended;
};

struct rec {
	struct part parts[MAXPARTS];
	size_t nparts;
	int in_part;
	int bad_order;		/* a callback came when it must not */

	/* Bound check: no part_data call longer than the chunk being fed
	 * plus what may have been held back from earlier chunks. */
	size_t chunk, slack;
	size_t max_call;
	int over_bound;

	/* Failure injection: fail the nth call (1-based) of one callback. */
	int fail_begin, fail_data, fail_end;
	enum dl_err fail_err;
	int nbegin, ndata, nend;
	int after_fail;		/* callbacks seen after an injected failure */
	int failed;
};

static char *
dupstr(const char *s)
{
	char *d;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	d = malloc(n + 1);
	assert_non_null(d);
	memcpy(d, s, n + 1);
	return d;
}

static enum dl_err
rec_begin(void *ud, const char *name, const char *filename,
    const char *ctype)
{
	struct rec *r = ud;
	struct part *p;

	if (r->failed)
		r->after_fail++;
	r->nbegin++;
	if (r->fail_begin == r->nbegin) {
		r->failed = 1;
		return r->fail_err;
	}
	if (r->in_part || r->nparts == MAXPARTS)
		r->bad_order = 1;
	assert_true(r->nparts < MAXPARTS);
	assert_non_null(name);
	p = &r->parts[r->nparts++];
	memset(p, 0, sizeof *p);
	p->name = dupstr(name);
	p->filename = dupstr(filename);
	p->ctype = dupstr(ctype);
	r->in_part = 1;
	return DL_OK;
}

static enum dl_err
rec_data(void *ud, const char *data, size_t len)
{
	struct rec *r = ud;
	struct part *p;

	if (r->failed)
		r->after_fail++;
	r->ndata++;
	if (r->fail_data == r->ndata) {
		r->failed = 1;
		return r->fail_err;
	}
	if (!r->in_part || len == 0) {
		r->bad_order = 1;
		return DL_OK;
	}
	if (len > r->max_call)
		r->max_call = len;
	if (len > r->chunk + r->slack)
		r->over_bound = 1;
	p = &r->parts[r->nparts - 1];
	if (p->len + len > p->cap) {
		size_t cap = p->cap ? p->cap : 64;
		char *n;

		while (cap < p->len + len)
			cap *= 2;
		n = realloc(p->data, cap);
		assert_non_null(n);
		p->data = n;
		p->cap = cap;
	}
	memcpy(p->data + p->len, data, len);
	p->len += len;
	return DL_OK;
}

static enum dl_err
rec_end(void *ud)
{
	struct rec *r = ud;

	if (r->failed)
		r->after_fail++;
	r->nend++;
	if (r->fail_end == r->nend) {
		r->failed = 1;
		return r->fail_err;
	}
	if (!r->in_part) {
		r->bad_order = 1;
		return DL_OK;
	}
	r->parts[r->nparts - 1].ended = 1;
	r->in_part = 0;
	return DL_OK;
}

static const struct mp_callbacks rec_cb = { rec_begin, rec_data, rec_end };

static void
rec_free(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->nparts; i++) {
		free(r->parts[i].name);
		free(r->parts[i].filename);
		free(r->parts[i].ctype);
		free(r->parts[i].data);
	}
	memset(r, 0, sizeof *r);
}

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
assert_same(const struct rec *a, const struct rec *b)
{
	size_t i;

	assert_int_equal(a->nparts, b->nparts);
	assert_int_equal(a->in_part, b->in_part);
	for (i = 0; i < a->nparts; i++) {
		const struct part *x = &a->parts[i], *y = &b->parts[i];

		assert_true(streq(x->name, y->name));
		assert_true(streq(x->filename, y->filename));
		assert_true(streq(x->ctype, y->ctype));
		assert_int_equal(x->ended, y->ended);
		assert_int_equal(x->len, y->len);
		if (x->len > 0)
			assert_memory_equal(x->data, y->data, x->len);
	}
}

/* Deterministic PRNG (xorshift64*), so failures reproduce. */
static uint64_t rng_state;

static void
rng_seed(uint64_t s)
{
	rng_state = s ? s : 0x9e3779b97f4a7c15ULL;
}

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

enum chunking { WHOLE, BYTES, RANDOM };

/*
 * Parse in with the given chunking; returns the first non-OK mp_feed
 * result (feeding stops there), else mp_finish's.
 */
static enum dl_err
run(const char *boundary, const char *in, size_t len, enum chunking how,
    size_t maxchunk, struct rec *r)
{
	struct mp_parser *p;
	enum dl_err e = DL_OK;
	size_t pos = 0, n;

	p = mp_new(boundary, &rec_cb, r);
	assert_non_null(p);
	r->slack = strlen(boundary) + 4;
	while (pos < len) {
		switch (how) {
		case WHOLE:
			n = len - pos;
			break;
		case BYTES:
			n = 1;
			break;
		default:
			n = 1 + (size_t)(rng() % maxchunk);
			if (n > len - pos)
				n = len - pos;
			break;
		}
		r->chunk = n;
		e = mp_feed(p, in + pos, n);
		pos += n;
		if (e != DL_OK)
			break;
	}
	if (e == DL_OK)
		e = mp_finish(p);
	else
		assert_int_equal(mp_finish(p), e);	/* errors are sticky */
	mp_free(p);
	assert_false(r->bad_order);
	assert_false(r->over_bound);
	return e;
}

/*
 * Parse whole, byte by byte and in many random chunkings; all must agree
 * on the result and the recording. Leaves the whole-input recording in
 * *out and returns its result.
 */
static enum dl_err
run_all(const char *boundary, const char *in, size_t len, struct rec *out)
{
	struct rec r;
	enum dl_err want, e;
	int i;

	memset(out, 0, sizeof *out);
	want = run(boundary, in, len, WHOLE, 0, out);

	memset(&r, 0, sizeof r);
	e = run(boundary, in, len, BYTES, 0, &r);
	assert_int_equal(e, want);
	assert_same(out, &r);
	rec_free(&r);

	rng_seed(0x1234);
	for (i = 0; i < 200; i++) {
		memset(&r, 0, sizeof r);
		e = run(boundary, in, len, RANDOM, 1 + (size_t)i % 40, &r);
		assert_int_equal(e, want);
		assert_same(out, &r);
		rec_free(&r);
	}
	return want;
}

static enum dl_err
run_str(const char *boundary, const char *in, struct rec *out)
{
	return run_all(boundary, in, strlen(in), out);
}

static void
assert_part(const struct rec *r, size_t i, const char *name,
    const char *filename, const char *ctype, const char *data, size_t len)
{
	const struct part *p;

	assert_true(i < r->nparts);
	p = &r->parts[i];
	assert_string_equal(p->name, name);
	if (filename == NULL)
		assert_null(p->filename);
	else {
		assert_non_null(p->filename);
		assert_string_equal(p->filename, filename);
	}
	if (ctype == NULL)
		assert_null(p->ctype);
	else {
		assert_non_null(p->ctype);
		assert_string_equal(p->ctype, ctype);
	}
	assert_true(p->ended);
	assert_int_equal(p->len, len);
	if (len > 0)
		assert_memory_equal(p->data, data, len);
}

/* A growable byte buffer for building bodies. */
struct buf {
	char *p;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const void *s, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		assert_non_null(np);
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/*
 * mp_boundary
 */

static void
test_boundary_unquoted(void **state)
{
	char b[MP_MAX_BOUNDARY + 1];

	(void)state;
	assert_int_equal(mp_boundary("multipart/form-data; boundary=abc123",
	    b, sizeof b), DL_OK);
	assert_string_equal(b, "abc123");
	assert_int_equal(mp_boundary(
	    "multipart/form-data;boundary=----WebKitFormBoundaryX3b",
	    b, sizeof b), DL_OK);
	assert_string_equal(b, "----WebKitFormBoundaryX3b");
	assert_int_equal(mp_boundary("multipart/form-data; boundary=a'()+_,-./:=?",
	    b, sizeof b), DL_OK);
	assert_string_equal(b, "a'()+_,-./:=?");
}

static void
test_boundary_quoted(void **state)
{
	char b[MP_MAX_BOUNDARY + 1];

	(void)state;
	assert_int_equal(mp_boundary("multipart/form-data; boundary=\"abc\"",
	    b, sizeof b), DL_OK);
	assert_string_equal(b, "abc");
	assert_int_equal(mp_boundary(
	    "multipart/form-data; boundary=\"a b;c\\\"d\\\\e\"", b, sizeof b),
	    DL_OK);
	assert_string_equal(b, "a b;c\"d\\e");
	assert_int_equal(mp_boundary("multipart/form-data; boundary=\"\\x\"",
	    b, sizeof b), DL_OK);
	assert_string_equal(b, "x");
}

static void
test_boundary_case_and_params(void **state)
{
	char b[MP_MAX_BOUNDARY + 1];

	(void)state;
	assert_int_equal(mp_boundary(
	    "  Multipart/Form-Data ;charset=utf-8;\tBOUNDARY=xyz ; "
	    "foo=\"bar;boundary=no\"; baz=1;", b, sizeof b), DL_OK);
	assert_string_equal(b, "xyz");
	assert_int_equal(mp_boundary(
	    "multipart/form-data; a=\"q\\\"uote\"; boundary = \"s p\"",
	    b, sizeof b), DL_OK);
	assert_string_equal(b, "s p");
}

static void
test_boundary_missing(void **state)
{
	char b[MP_MAX_BOUNDARY + 1];

	(void)state;
	assert_int_equal(mp_boundary("multipart/form-data", b, sizeof b),
	    DL_ERR_INVALID);
	assert_string_equal(b, "");
	assert_int_equal(mp_boundary("multipart/form-data; charset=utf-8",
	    b, sizeof b), DL_ERR_INVALID);
	assert_int_equal(mp_boundary("multipart/form-data; boundary=",
	    b, sizeof b), DL_ERR_INVALID);
	assert_int_equal(mp_boundary("multipart/form-data; boundary=\"\"",
	    b, sizeof b), DL_ERR_INVALID);
	assert_int_equal(mp_boundary("multipart/form-data; boundary",
	    b, sizeof b), DL_ERR_INVALID);
	assert_int_equal(mp_boundary("multipart/form-data; xboundary=abc",
	    b, sizeof b), DL_ERR_INVALID);
}

static void
test_boundary_length(void **state)
{
	char b[MP_MAX_BOUNDARY + 1], ct[200], small[4];
	char seventy[71], seventyone[72];

	(void)state;
	memset(seventy, 'a', 70);
	seventy[70] = '\0';
	memset(seventyone, 'b', 71);
	seventyone[71] = '\0';

	snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", seventy);
	assert_int_equal(mp_boundary(ct, b, sizeof b), DL_OK);
	assert_string_equal(b, seventy);
	snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%s\"", seventy);
	assert_int_equal(mp_boundary(ct, b, sizeof b), DL_OK);

	snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", seventyone);
	assert_int_equal(mp_boundary(ct, b, sizeof b), DL_ERR_INVALID);
	snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%s\"",
	    seventyone);
	assert_int_equal(mp_boundary(ct, b, sizeof b), DL_ERR_INVALID);

	/* The caller's buffer too small is a size problem, not bad input. */
	assert_int_equal(mp_boundary("multipart/form-data; boundary=abcd",
	    small, sizeof small), DL_ERR_TOOBIG);
	assert_int_equal(mp_boundary("multipart/form-data; boundary=abc",
	    small, sizeof small), DL_OK);
	assert_string_equal(small, "abc");
}

static void
test_boundary_wrong_type(void **state)
{
	char b[MP_MAX_BOUNDARY + 1];

	(void)state;
	assert_int_equal(mp_boundary("multipart/mixed; boundary=abc",
	    b, sizeof b), DL_ERR_UNSUPPORTED);
	assert_int_equal(mp_boundary("application/x-www-form-urlencoded",
	    b, sizeof b), DL_ERR_UNSUPPORTED);
	assert_int_equal(mp_boundary("multipart/form-dataX; boundary=abc",
	    b, sizeof b), DL_ERR_UNSUPPORTED);
	assert_int_equal(mp_boundary("multipart/form", b, sizeof b),
	    DL_ERR_UNSUPPORTED);
	assert_int_equal(mp_boundary("", b, sizeof b), DL_ERR_UNSUPPORTED);
	assert_int_equal(mp_boundary(NULL, b, sizeof b), DL_ERR_UNSUPPORTED);
}

static void
test_boundary_malformed(void **state)
{
	char b[MP_MAX_BOUNDARY + 1];

	(void)state;
	assert_int_equal(mp_boundary("multipart/form-data; boundary=\"abc",
	    b, sizeof b), DL_ERR_INVALID);
	assert_int_equal(mp_boundary("multipart/form-data; boundary=\"abc\\",
	    b, sizeof b), DL_ERR_INVALID);
	assert_int_equal(mp_boundary("multipart/form-data; boundary=\"abc\"x",
	    b, sizeof b), DL_ERR_INVALID);
	assert_int_equal(mp_boundary("multipart/form-data; boundary=a b",
	    b, sizeof b), DL_ERR_INVALID);
	assert_int_equal(mp_boundary("multipart/form-data; boundary=a\"b",
	    b, sizeof b), DL_ERR_INVALID);
	assert_int_equal(mp_boundary("multipart/form-data; boundary=\"a\rb\"",
	    b, sizeof b), DL_ERR_INVALID);
	assert_int_equal(mp_boundary("multipart/form-data; foo=\"x; boundary=a",
	    b, sizeof b), DL_ERR_INVALID);
	assert_int_equal(mp_boundary(
	    "multipart/form-data; boundary=a; boundary=b", b, sizeof b),
	    DL_ERR_INVALID);
	assert_int_equal(mp_boundary("multipart/form-data x; boundary=a",
	    b, sizeof b), DL_ERR_INVALID);
	assert_string_equal(b, "");
}

/*
 * mp_new
 */

static void
test_new(void **state)
{
	char long_b[72];
	struct mp_parser *p;

	(void)state;
	memset(long_b, 'z', 71);
	long_b[71] = '\0';
	assert_null(mp_new(NULL, &rec_cb, NULL));
	assert_null(mp_new("", &rec_cb, NULL));
	assert_null(mp_new(long_b, &rec_cb, NULL));
	assert_null(mp_new("a\r\nb", &rec_cb, NULL));
	assert_null(mp_new("a\nb", &rec_cb, NULL));
	long_b[70] = '\0';
	p = mp_new(long_b, &rec_cb, NULL);
	assert_non_null(p);
	mp_free(p);
	mp_free(NULL);
	assert_int_equal(mp_feed(NULL, "x", 1), DL_ERR_INVALID);
	assert_int_equal(mp_finish(NULL), DL_ERR_INVALID);
}

static void
test_null_callbacks(void **state)
{
	static const char in[] =
	    "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "x\r\n--b--\r\n";
	struct mp_callbacks none = { NULL, NULL, NULL };
	struct mp_parser *p;

	(void)state;
	p = mp_new("b", NULL, NULL);
	assert_non_null(p);
	assert_int_equal(mp_feed(p, in, sizeof in - 1), DL_OK);
	assert_int_equal(mp_finish(p), DL_OK);
	mp_free(p);
	p = mp_new("b", &none, NULL);
	assert_non_null(p);
	assert_int_equal(mp_feed(p, NULL, 0), DL_OK);
	assert_int_equal(mp_feed(p, in, sizeof in - 1), DL_OK);
	assert_int_equal(mp_finish(p), DL_OK);
	mp_free(p);
}

/*
 * Bodies
 */

static void
test_one_part(void **state)
{
	struct rec r;

	(void)state;
	assert_int_equal(run_str("AaB03x",
	    "--AaB03x\r\n"
	    "Content-Disposition: form-data; name=\"field1\"\r\n"
	    "\r\n"
	    "Joe Blow\r\n"
	    "--AaB03x--\r\n", &r), DL_OK);
	assert_int_equal(r.nparts, 1);
	assert_part(&r, 0, "field1", NULL, NULL, "Joe Blow", 8);
	rec_free(&r);
}

static void
test_list_name_and_file(void **state)
{
	static const char csv[] =
	    "name,company,phone\r\n"
	    "Ann,Acme,+15551234567\r\n"
	    "Bob,\"Foo, Inc\",555-0100\r\n";
	struct rec r;
	struct buf b = { 0 };

	(void)state;
	buf_str(&b,
	    "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
	    "Content-Disposition: form-data; name=\"list_name\"\r\n"
	    "\r\n"
	    "Spring leads\r\n"
	    "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
	    "Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"leads.csv\"\r\n"
	    "Content-Type: text/csv\r\n"
	    "\r\n");
	buf_str(&b, csv);
	buf_str(&b, "\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n");
	assert_int_equal(run_all("----WebKitFormBoundary7MA4YWxkTrZu0gW",
	    b.p, b.len, &r), DL_OK);
	assert_int_equal(r.nparts, 2);
	assert_part(&r, 0, "list_name", NULL, NULL, "Spring leads", 12);
	assert_part(&r, 1, "file", "leads.csv", "text/csv", csv,
	    sizeof csv - 1);
	rec_free(&r);
	free(b.p);
}

static void
test_delimiter_lookalikes(void **state)
{
	/* Everything here is body: prefixes of the delimiter, the boundary
	 * not at the start of a line or after a bare LF, a full "--XyZ"
	 * followed by a byte that cannot end a boundary line, stray CRs. */
	static const char content[] =
	    "--XyZ at the start of the body\r\n"
	    "\r\n--X\r\n--Xy\r\n--\r\n-\r\r\n"
	    "mid-line --XyZ\r\n"
	    "\n--XyZ after a bare LF\r\n"
	    "\r\n--XyZabc\r\n"
	    "\r\n--XyZ\x01\r\n"
	    "\r\r\r\n\n\r"
	    "\r\n--XyZZ\r\n"
	    "\r\n--xyz (case differs)\r\n"
	    "trailing CR\r";
	struct rec r;
	struct buf b = { 0 };

	(void)state;
	buf_str(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"f.csv\"\r\n\r\n");
	buf_add(&b, content, sizeof content - 1);
	buf_str(&b, "\r\n--XyZ--");
	assert_int_equal(run_all("XyZ", b.p, b.len, &r), DL_OK);
	assert_int_equal(r.nparts, 1);
	assert_part(&r, 0, "file", "f.csv", NULL, content, sizeof content - 1);
	rec_free(&r);
	free(b.p);
}

static void
test_binary(void **state)
{
	char content[1024];
	struct rec r;
	struct buf b = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof content; i++)
		content[i] = (char)(i * 7 % 256);
	content[0] = '\0';
	content[sizeof content - 1] = '\0';
	buf_str(&b, "--bin\r\nContent-Disposition: form-data; name=\"f\"; "
	    "filename=\"x.bin\"\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n");
	buf_add(&b, content, sizeof content);
	buf_str(&b, "\r\n--bin\r\nContent-Disposition: form-data; name=\"z\""
	    "\r\n\r\n");
	buf_add(&b, "\0\0\r\0", 4);
	buf_str(&b, "\r\n--bin--\r\n");
	assert_int_equal(run_all("bin", b.p, b.len, &r), DL_OK);
	assert_int_equal(r.nparts, 2);
	assert_part(&r, 0, "f", "x.bin", "application/octet-stream",
	    content, sizeof content);
	assert_part(&r, 1, "z", NULL, NULL, "\0\0\r\0", 4);
	rec_free(&r);
	free(b.p);
}

static void
test_empty_parts(void **state)
{
	struct rec r;

	(void)state;
	assert_int_equal(run_str("B",
	    "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "\r\n--B\r\n"
	    "Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n"
	    "\r\n--B\r\n"
	    "Content-Disposition: form-data; name=\"c\"\r\n\r\n"
	    "\r\n\r\n--B--", &r), DL_OK);
	assert_int_equal(r.nparts, 3);
	assert_part(&r, 0, "a", NULL, NULL, "", 0);
	/* No file chosen: browsers send filename="" and no bytes. */
	assert_part(&r, 1, "file", "", "application/octet-stream", "", 0);
	assert_part(&r, 2, "c", NULL, NULL, "\r\n", 2);
	rec_free(&r);
}

static void
test_preamble_epilogue(void **state)
{
	struct rec r;

	(void)state;
	assert_int_equal(run_str("bb",
	    "This is the preamble.\r\n"
	    "--bbx is not a boundary line\r\n"
	    " --bb nor is this\r\n"
	    "--b\r\n"
	    "--bb-\r\n"
	    "--bb  junk\r\n"
	    "--bb \t \r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "one\r\n"
	    "--bb\t\r\n"
	    "Content-Disposition: form-data; name=\"b\"\r\n\r\n"
	    "two\r\n"
	    "--bb--  \r\n"
	    "This is the epilogue.\r\n--bb\r\nContent-Disposition: junk\r\n",
	    &r), DL_OK);
	assert_int_equal(r.nparts, 2);
	assert_part(&r, 0, "a", NULL, NULL, "one", 3);
	assert_part(&r, 1, "b", NULL, NULL, "two", 3);
	rec_free(&r);

	/* A preamble ending in a bare LF still leads to the boundary. */
	assert_int_equal(run_str("bb",
	    "pre\n--bb\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "one\r\n--bb--", &r), DL_OK);
	assert_int_equal(r.nparts, 1);
	assert_part(&r, 0, "a", NULL, NULL, "one", 3);
	rec_free(&r);
}

static void
test_no_parts(void **state)
{
	struct rec r;

	(void)state;
	assert_int_equal(run_str("bb", "--bb--\r\n", &r), DL_OK);
	assert_int_equal(r.nparts, 0);
	rec_free(&r);
	assert_int_equal(run_str("bb", "", &r), DL_ERR_INVALID);
	rec_free(&r);
	assert_int_equal(run_str("bb", "no boundary at all\r\n", &r),
	    DL_ERR_INVALID);
	rec_free(&r);
}

static void
test_headers(void **state)
{
	struct rec r;

	(void)state;
	assert_int_equal(run_str("B",
	    "--B\r\n"
	    "X-Ignored: whatever; name=\"no\"\r\n"
	    "CONTENT-disposition:form-data;name=tok;FILENAME=\"a \\\"q\\\" "
	    "\\\\b.csv\"\r\n"
	    "content-TYPE :  text/csv; charset=utf-8  \r\n"
	    "\r\n"
	    "d\r\n--B\r\n"
	    "Content-Disposition: Form-Data ;\r\n"
	    "  name=\"folded\" ;\tfilename=my file.csv ;\r\n"
	    "Content-Type:\r\n"
	    "\r\n"
	    "e\r\n--B\r\n"
	    "Content-Disposition: form-data; name=\"u\"; filename=\"plain.csv\"; "
	    "filename*=UTF-8''%e2%82%ac%20rates.csv; size=12\r\n"
	    "\r\n"
	    "f\r\n--B\r\n"
	    "Content-Disposition: form-data; name=\"v\"; filename=\"plain.csv\"; "
	    "filename*=ISO-8859-1'en'%A3%20rates.csv\r\n"
	    "\r\n"
	    "g\r\n--B--\r\n", &r), DL_OK);
	assert_int_equal(r.nparts, 4);
	assert_part(&r, 0, "tok", "a \"q\" \\b.csv", "text/csv; charset=utf-8",
	    "d", 1);
	assert_part(&r, 1, "folded", "my file.csv", NULL, "e", 1);
	assert_part(&r, 2, "u", "\xe2\x82\xac rates.csv", NULL, "f", 1);
	assert_part(&r, 3, "v", "plain.csv", NULL, "g", 1);
	rec_free(&r);
}

static void
test_lf_only(void **state)
{
	struct rec r;

	(void)state;
	/* Headers with bare LF inside an otherwise CRLF message. */
	assert_int_equal(run_str("B",
	    "--B\r\n"
	    "Content-Disposition: form-data; name=\"a\"\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "one\r\n--B\n"
	    "Content-Disposition: form-data; name=\"b\"\r\n"
	    "\n"
	    "two\nlines\r\n--B--\r\n", &r), DL_OK);
	assert_int_equal(r.nparts, 2);
	assert_part(&r, 0, "a", NULL, "text/plain", "one", 3);
	assert_part(&r, 1, "b", NULL, NULL, "two\nlines", 9);
	rec_free(&r);

	/* A message written entirely with LF: the first boundary line
	 * tells, and the body delimiter becomes "\n--B". */
	assert_int_equal(run_str("B",
	    "--B\n"
	    "Content-Disposition: form-data; name=\"list_name\"\n"
	    "\n"
	    "x\n--B\n"
	    "Content-Disposition: form-data; name=\"file\"; filename=\"f\"\n"
	    "\n"
	    "a,b\r\n1,2\n--Bx\n--B--\n", &r), DL_OK);
	assert_int_equal(r.nparts, 2);
	assert_part(&r, 0, "list_name", NULL, NULL, "x", 1);
	assert_part(&r, 1, "file", "f", NULL, "a,b\r\n1,2\n--Bx", 13);
	rec_free(&r);
}

static void
test_truncated(void **state)
{
	static const char in[] =
	    "pre\r\n--B \r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "one\r\n--Bx\r\n--B\r\n"
	    "Content-Disposition: form-data; name=\"b\"; filename=\"c\"\r\n"
	    "\r\n"
	    "two\r\n--B--";
	struct rec r;
	size_t n;

	(void)state;
	/* Every proper prefix is a truncated upload and must fail at
	 * finish, however the bytes were chunked; no prefix is malformed
	 * yet, so feeding itself succeeds. */
	for (n = 0; n < sizeof in - 1; n++) {
		assert_int_equal(run_all("B", in, n, &r), DL_ERR_INVALID);
		/* The last part is never reported complete. */
		assert_true(r.nparts < 2 || !r.parts[1].ended);
		rec_free(&r);
	}
	assert_int_equal(run_all("B", in, sizeof in - 1, &r), DL_OK);
	assert_int_equal(r.nparts, 2);
	assert_part(&r, 1, "b", "c", NULL, "two", 3);
	rec_free(&r);
}

static void
test_malformed_boundary_lines(void **state)
{
	struct rec r;

	(void)state;
	assert_int_equal(run_str("B",
	    "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "one\r\n--B-x", &r), DL_ERR_INVALID);
	rec_free(&r);
	assert_int_equal(run_str("B",
	    "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "one\r\n--B  x\r\n", &r), DL_ERR_INVALID);
	rec_free(&r);
	assert_int_equal(run_str("B",
	    "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "one\r\n--B\rx", &r), DL_ERR_INVALID);
	rec_free(&r);
}

static void
test_bad_headers(void **state)
{
	static const char *const bad[] = {
		/* no Content-Disposition at all */
		"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--",
		"--B\r\n\r\nx\r\n--B--",
		/* no name, empty name, wrong disposition type */
		"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--",
		"--B\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\n"
		    "x\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n"
		    "x\r\n--B--",
		"--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n"
		    "x\r\n--B--",
		"--B\r\nContent-Disposition: ; name=\"a\"\r\n\r\nx\r\n--B--",
		/* malformed parameters */
		"--B\r\nContent-Disposition: form-data; name=\"a\r\n\r\n"
		    "x\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=\"a\"x\r\n\r\n"
		    "x\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=\"a\"; "
		    "name=\"b\"\r\n\r\nx\r\n--B--",
		/* duplicate headers */
		"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n"
		    "Content-Disposition: form-data; name=\"b\"\r\n\r\n"
		    "x\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n"
		    "Content-Type: a/b\r\ncontent-type: c/d\r\n\r\nx\r\n--B--",
		/* lines that are not headers */
		"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n"
		    "no colon here\r\n\r\nx\r\n--B--",
		"--B\r\n: form-data\r\nContent-Disposition: form-data; "
		    "name=\"a\"\r\n\r\nx\r\n--B--",
		"--B\r\n folded first\r\nContent-Disposition: form-data; "
		    "name=\"a\"\r\n\r\nx\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=\"a\rb\"\r\n\r\n"
		    "x\r\n--B--",
	};
	struct rec r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(run_str("B", bad[i], &r), DL_ERR_INVALID);
		assert_int_equal(r.nparts, 0);
		rec_free(&r);
	}

	/* A NUL inside a header must not cut the name short. */
	{
		static const char in[] = "--B\r\nContent-Disposition: form-data; "
		    "name=\"a\0b\"\r\n\r\nx\r\n--B--";

		assert_int_equal(run_all("B", in, sizeof in - 1, &r),
		    DL_ERR_INVALID);
		assert_int_equal(r.nparts, 0);
		rec_free(&r);
	}

	/* The second part is bad: the first was delivered and ended. */
	assert_int_equal(run_str("B",
	    "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "x\r\n--B\r\nContent-Type: text/plain\r\n\r\ny\r\n--B--", &r),
	    DL_ERR_INVALID);
	assert_int_equal(r.nparts, 1);
	assert_part(&r, 0, "a", NULL, NULL, "x", 1);
	rec_free(&r);
}

/* A part whose header block is n bytes, blank line excluded. */
static void
header_block(struct buf *b, size_t n, const char *blank)
{
	static const char cd[] = "Content-Disposition: form-data; name=\"a\"\r\n";
	static const char pre[] = "X-Pad: ";
	size_t pad;

	buf_str(b, "--B\r\n");
	buf_str(b, cd);
	pad = n - (sizeof cd - 1) - (sizeof pre - 1) - 2;
	buf_str(b, pre);
	while (pad-- > 0)
		buf_add(b, "p", 1);
	buf_str(b, "\r\n");
	buf_str(b, blank);
	buf_str(b, "body\r\n--B--\r\n");
}

static void
test_header_limit(void **state)
{
	struct buf b = { 0 };
	struct rec r;

	(void)state;
	header_block(&b, MP_MAX_HEADER, "\r\n");
	assert_int_equal(run_all("B", b.p, b.len, &r), DL_OK);
	assert_int_equal(r.nparts, 1);
	assert_part(&r, 0, "a", NULL, NULL, "body", 4);
	rec_free(&r);

	b.len = 0;
	header_block(&b, MP_MAX_HEADER + 1, "\r\n");
	assert_int_equal(run_all("B", b.p, b.len, &r), DL_ERR_TOOBIG);
	assert_int_equal(r.nparts, 0);
	rec_free(&r);

	/* Same limit when the blank line is a bare LF (one byte less). */
	b.len = 0;
	header_block(&b, MP_MAX_HEADER + 1, "\n");
	assert_int_equal(run_all("B", b.p, b.len, &r), DL_ERR_TOOBIG);
	rec_free(&r);

	/* One endless header line is cut off, not buffered. */
	b.len = 0;
	buf_str(&b, "--B\r\nContent-Disposition: form-data; name=\"");
	while (b.len < 100000)
		buf_add(&b, "aaaaaaaaaaaaaaaa", 16);
	assert_int_equal(run_all("B", b.p, b.len, &r), DL_ERR_TOOBIG);
	rec_free(&r);

	/* The limit is per part, not per message. */
	b.len = 0;
	header_block(&b, MP_MAX_HEADER, "\r\n");
	b.len -= strlen("--B--\r\n");
	buf_str(&b, "--B\r\nContent-Disposition: form-data; name=\"z\"\r\n\r\n"
	    "zz\r\n--B--\r\n");
	assert_int_equal(run_all("B", b.p, b.len, &r), DL_OK);
	assert_int_equal(r.nparts, 2);
	assert_part(&r, 1, "z", NULL, NULL, "zz", 2);
	rec_free(&r);
	free(b.p);
}

static void
test_callback_errors(void **state)
{
	static const char in[] =
	    "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "one\r\n--B\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n"
	    "two\r\n--B--\r\n";
	struct rec r;
	struct mp_parser *p;
	enum chunking how;

	(void)state;
	for (how = WHOLE; how <= BYTES; how++) {
		memset(&r, 0, sizeof r);
		r.fail_begin = 2;
		r.fail_err = DL_ERR_CONFLICT;
		assert_int_equal(run("B", in, sizeof in - 1, how, 0, &r),
		    DL_ERR_CONFLICT);
		assert_int_equal(r.nparts, 1);
		assert_int_equal(r.after_fail, 0);
		rec_free(&r);

		memset(&r, 0, sizeof r);
		r.fail_data = 1;
		r.fail_err = DL_ERR_IO;
		assert_int_equal(run("B", in, sizeof in - 1, how, 0, &r),
		    DL_ERR_IO);
		assert_int_equal(r.nparts, 1);
		assert_int_equal(r.after_fail, 0);
		rec_free(&r);

		memset(&r, 0, sizeof r);
		r.fail_end = 1;
		r.fail_err = DL_ERR_DB;
		assert_int_equal(run("B", in, sizeof in - 1, how, 0, &r),
		    DL_ERR_DB);
		assert_int_equal(r.nparts, 1);
		assert_int_equal(r.after_fail, 0);
		rec_free(&r);

		/* Even the very last part_end can fail the upload. */
		memset(&r, 0, sizeof r);
		r.fail_end = 2;
		r.fail_err = DL_ERR_TOOBIG;
		assert_int_equal(run("B", in, sizeof in - 1, how, 0, &r),
		    DL_ERR_TOOBIG);
		assert_int_equal(r.nparts, 2);
		rec_free(&r);
	}

	/* The error sticks: later feeds and finish repeat it. */
	memset(&r, 0, sizeof r);
	r.fail_begin = 1;
	r.fail_err = DL_ERR_FORBIDDEN;
	p = mp_new("B", &rec_cb, &r);
	assert_non_null(p);
	assert_int_equal(mp_feed(p, in, sizeof in - 1), DL_ERR_FORBIDDEN);
	assert_int_equal(mp_feed(p, in, sizeof in - 1), DL_ERR_FORBIDDEN);
	assert_int_equal(mp_finish(p), DL_ERR_FORBIDDEN);
	assert_int_equal(r.after_fail, 0);
	mp_free(p);
	rec_free(&r);
}

static enum dl_err
feed_str(struct mp_parser *p, const char *s)
{
	return mp_feed(p, s, strlen(s));
}

/* Data is passed on as soon as it cannot be part of a delimiter. */
static void
test_streaming(void **state)
{
	static const char want[] = "hello world\r\n--Xyz\r\n--XyZ!";
	struct rec r;
	struct mp_parser *p;

	(void)state;
	memset(&r, 0, sizeof r);
	p = mp_new("XyZ", &rec_cb, &r);
	assert_non_null(p);
	assert_int_equal(feed_str(p, "--XyZ\r\nContent-Disposition: form-data; "
	    "name=\"f\"\r\n\r\nhello"), DL_OK);
	assert_int_equal(r.nparts, 1);
	assert_int_equal(r.parts[0].len, strlen("hello"));
	/* A possible delimiter start is held back... */
	assert_int_equal(feed_str(p, " world\r\n--Xy"), DL_OK);
	assert_int_equal(r.parts[0].len, strlen("hello world"));
	/* ...and released the moment it turns out not to be one. */
	assert_int_equal(feed_str(p, "z"), DL_OK);
	assert_int_equal(r.parts[0].len, strlen("hello world\r\n--Xyz"));
	/* A full "\r\n--XyZ" waits for the byte after it. */
	assert_int_equal(feed_str(p, "\r\n--XyZ"), DL_OK);
	assert_int_equal(r.parts[0].len, strlen("hello world\r\n--Xyz"));
	assert_int_equal(feed_str(p, "!"), DL_OK);
	assert_int_equal(r.parts[0].len, sizeof want - 1);
	assert_false(r.parts[0].ended);
	assert_int_equal(feed_str(p, "\r\n--XyZ--"), DL_OK);
	assert_true(r.parts[0].ended);
	assert_memory_equal(r.parts[0].data, want, sizeof want - 1);
	assert_int_equal(feed_str(p, "epilogue\r\n--XyZ\r\n"), DL_OK);
	assert_int_equal(mp_finish(p), DL_OK);
	mp_free(p);
	rec_free(&r);
}

/*
 * Several MB through the parser: the bytes that come out are exactly the
 * bytes that went in, and no call was handed more than the chunk fed plus
 * the held-back delimiter.
 */
static void
test_large(void **state)
{
	static const char bnd[] = "----WebKitFormBoundaryQ9xLmz2kP0aR7Yt1";
	static const char alphabet[] = "\r\n-abc,";
	size_t size = 6u << 20, i, off;
	struct buf b = { 0 };
	struct rec r;
	char *content;
	int round;

	(void)state;
	content = malloc(size);
	assert_non_null(content);
	rng_seed(42);
	/* CSV-ish text with many CRs, LFs, dashes and boundary fragments,
	 * plus some arbitrary bytes. */
	for (i = 0; i < size; ) {
		uint64_t x = rng();

		switch (x % 8) {
		case 0:
			content[i++] = alphabet[(x >> 8) % (sizeof alphabet - 1)];
			break;
		case 1: {
			static const char frag[] = "\r\n------WebKitFormBoundaryQ9xL";
			size_t n = 1 + (size_t)((x >> 8) % (sizeof frag - 1));

			if (n > size - i)
				n = size - i;
			memcpy(content + i, frag, n);
			i += n;
			break;
		}
		case 2:
			content[i++] = (char)(x >> 16);
			break;
		default:
			content[i++] = (char)('a' + (x >> 8) % 26);
			break;
		}
	}
	buf_str(&b, "--");
	buf_str(&b, bnd);
	buf_str(&b, "\r\nContent-Disposition: form-data; name=\"list_name\"\r\n"
	    "\r\nbig\r\n--");
	buf_str(&b, bnd);
	buf_str(&b, "\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n");
	off = b.len;
	buf_add(&b, content, size);
	buf_str(&b, "\r\n--");
	buf_str(&b, bnd);
	buf_str(&b, "--\r\n");

	for (round = 0; round < 4; round++) {
		memset(&r, 0, sizeof r);
		if (round == 0) {
			assert_int_equal(run(bnd, b.p, b.len, WHOLE, 0, &r),
			    DL_OK);
		} else {
			/* small, mid-sized and network-sized chunks */
			static const size_t max[] = { 0, 97, 4096, 65536 };

			rng_seed((uint64_t)round);
			assert_int_equal(run(bnd, b.p, b.len, RANDOM,
			    max[round], &r), DL_OK);
			assert_true(r.max_call <= max[round] + sizeof bnd - 1 + 4);
		}
		assert_int_equal(r.nparts, 2);
		assert_part(&r, 0, "list_name", NULL, NULL, "big", 3);
		assert_part(&r, 1, "file", "big.csv", "text/csv", content, size);
		assert_memory_equal(r.parts[1].data, b.p + off, size);
		rec_free(&r);
	}
	free(content);
	free(b.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundary_unquoted),
		cmocka_unit_test(test_boundary_quoted),
		cmocka_unit_test(test_boundary_case_and_params),
		cmocka_unit_test(test_boundary_missing),
		cmocka_unit_test(test_boundary_length),
		cmocka_unit_test(test_boundary_wrong_type),
		cmocka_unit_test(test_boundary_malformed),
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_null_callbacks),
		cmocka_unit_test(test_one_part),
		cmocka_unit_test(test_list_name_and_file),
		cmocka_unit_test(test_delimiter_lookalikes),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_empty_parts),
		cmocka_unit_test(test_preamble_epilogue),
		cmocka_unit_test(test_no_parts),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_lf_only),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed_boundary_lines),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_header_limit),
		cmocka_unit_test(test_callback_errors),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
