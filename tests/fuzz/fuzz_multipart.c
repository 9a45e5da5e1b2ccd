/*
 * multipart/form-data (lib/multipart.c). The first input line is the
 * Content-Type header value (mp_boundary), the rest the body. The body is
 * parsed twice, once whole and once pushed in chunks whose sizes come from
 * the input: a streaming parser must give the same parts, bytes and
 * outcome however the bytes arrive.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Everything the callbacks saw, as one byte string. */
struct trace {
	char *s;
	size_t len, cap;
	int open;
};

static void
put(struct trace *t, const char *s, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = (t->len + n) * 2 + 64;
		char *grown = realloc(t->s, cap);

		FUZZ_CHECK(grown != NULL);
		t->s = grown;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
}

/* A string or NULL, told apart (and NUL-terminated in the trace). */
static void
put_str(struct trace *t, const char *s)
{
	if (s == NULL) {
		put(t, "-", 1);
		return;
	}
	put(t, "+", 1);
	put(t, s, strlen(s) + 1);
}

static enum dl_err
on_begin(void *ud, const char *name, const char *filename, const char *content_type)
{
	struct trace *t = ud;

	FUZZ_CHECK(!t->open);
	t->open = 1;
	put(t, "<", 1);
	put_str(t, name);
	put_str(t, filename);
	put_str(t, content_type);
	return DL_OK;
}

static enum dl_err
on_data(void *ud, const char *data, size_t len)
{
	struct trace *t = ud;

	FUZZ_CHECK(t->open);
	put(t, data, len);
	return DL_OK;
}

static enum dl_err
on_end(void *ud)
{
	struct trace *t = ud;

	FUZZ_CHECK(t->open);
	t->open = 0;
	put(t, ">", 1);
	return DL_OK;
}

static const struct mp_callbacks callbacks = { on_begin, on_data, on_end };

/* Parse body[0..len) pushed in pieces of sizes[i % nsizes] (1..256 each;
 * nsizes 0: all at once). */
static enum dl_err
parse(const char *boundary, const char *body, size_t len, const uint8_t *sizes,
    size_t nsizes, struct trace *t)
{
	struct mp_parser *p = mp_new(boundary, &callbacks, t);
	size_t off = 0, n, i = 0;
	enum dl_err err = DL_OK;

	FUZZ_CHECK(p != NULL);
	while (off < len && err == DL_OK) {
		n = nsizes == 0 ? len : (size_t)sizes[i++ % nsizes] + 1;
		if (n > len - off)
			n = len - off;
		err = mp_feed(p, body + off, n);
		off += n;
	}
	if (err == DL_OK)
		err = mp_finish(p);
	mp_free(p);
	return err;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t one[1] = { 0 };
	struct fuzz_in in = { data, size };
	struct trace whole = { NULL, 0, 0, 0 }, pieces = { NULL, 0, 0, 0 };
	char ct[512], boundary[MP_MAX_BOUNDARY + 1];
	const uint8_t *sizes;
	size_t len, nsizes;
	const char *line = fuzz_take_line(&in, &len);
	enum dl_err e1, e2;

	if (len >= sizeof(ct) || memchr(line, '\0', len) != NULL)
		return 0;
	memcpy(ct, line, len);
	ct[len] = '\0';
	if (mp_boundary(ct, boundary, sizeof(boundary)) != DL_OK)
		return 0;
	FUZZ_CHECK(boundary[0] != '\0' && strlen(boundary) <= MP_MAX_BOUNDARY);
	/* The chunk sizes: the input's last bytes, as many as its first says. */
	nsizes = (size_t)fuzz_take_byte(&in) % 8;
	if (nsizes > in.n)
		nsizes = in.n;
	sizes = in.p + in.n - nsizes;
	in.n -= nsizes;
	e1 = parse(boundary, (const char *)in.p, in.n, NULL, 0, &whole);
	/* No sizes given: one byte at a time. */
	e2 = parse(boundary, (const char *)in.p, in.n, nsizes > 0 ? sizes : one,
	    nsizes > 0 ? nsizes : 1, &pieces);
	FUZZ_CHECK(e1 == DL_OK || e1 == DL_ERR_INVALID || e1 == DL_ERR_TOOBIG);
	FUZZ_CHECK(e1 == e2);
	/* Once it stops, what was handed out before may differ only by what a
	 * chunk held back; on success, everything must match. */
	if (e1 == DL_OK) {
		FUZZ_CHECK(whole.len == pieces.len);
		FUZZ_CHECK(whole.len == 0 || memcmp(whole.s, pieces.s, whole.len) == 0);
		FUZZ_CHECK(!whole.open);
	}
	free(whole.s);
	free(pieces.s);
	return 0;
}
