/*
 * Tests for lib/csvwrite.c: exact bytes for the RFC 4180 cases and the
 * formula escape, the sink contract (chunks of at most CSVWRITE_BUF,
 * errors stick), and round trips — random cells through libcsv in strict
 * mode, contact rows through our own reader (lib/csvread.c) — which must
 * give back every cell, escaped cells with their one leading apostrophe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <csv.h>

#include "csvread.h"
#include "csvwrite.h"

/* A sink collecting everything into memory, and how it was called. */
struct mem {
	char *buf;
	size_t len, cap;
	long calls;
	size_t biggest;
	long fail_at; /* the call number that fails (0: none) */
};

static enum dl_err
mem_sink(void *ctx, const void *data, size_t len)
{
	struct mem *m = ctx;

	assert_true(len > 0);
	m->calls++;
	if (m->fail_at > 0 && m->calls >= m->fail_at)
		return DL_ERR_IO;
	if (len > m->biggest)
		m->biggest = len;
	if (m->len + len + 1 > m->cap) {
		m->cap = (m->len + len + 1) * 2;
		m->buf = realloc(m->buf, m->cap);
		assert_non_null(m->buf);
	}
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	m->buf[m->len] = '\0';
	return DL_OK;
}

static void
mem_free(struct mem *m)
{
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

/* One record of NUL-terminated cells, flushed; the bytes as a string. */
static void
expect_row(const char *const *cells, size_t n, const char *want)
{
	struct mem m = { 0 };
	struct csvwrite w;

	csvwrite_init(&w, mem_sink, &m);
	csvwrite_row(&w, cells, n);
	assert_int_equal(csvwrite_flush(&w), DL_OK);
	assert_int_equal(w.rows, 1);
	assert_non_null(m.buf);
	assert_string_equal(m.buf, want);
	mem_free(&m);
}

#define ROW(want, ...) do { \
	const char *const cells_[] = { __VA_ARGS__ }; \
	expect_row(cells_, sizeof(cells_) / sizeof(cells_[0]), want); \
} while (0)

static void
test_plain_and_quoted(void **state)
{
	(void)state;
	ROW("a,b,c\r\n", "a", "b", "c");
	ROW("Ada Lovelace,Analytical Engines Ltd\r\n", "Ada Lovelace", "Analytical Engines Ltd");
	ROW("\"Smith, Jane\",x\r\n", "Smith, Jane", "x");
	ROW("\"say \"\"hi\"\"\",\"\"\"\"\r\n", "say \"hi\"", "\"");
	ROW("\"line one\r\nline two\",\"lf\nonly\",\"cr\ronly\"\r\n",
	    "line one\r\nline two", "lf\nonly", "cr\ronly");
	/* Edge blanks survive readers that trim unquoted cells. */
	ROW("\" lead\",\"trail \",\"tab\t\",in side\r\n", " lead", "trail ", "tab\t", "in side");
	/* UTF-8 passes through byte for byte. */
	ROW("Zoë Ångström,東京\r\n", "Zoë Ångström", "東京");
}

static void
test_formula_escape(void **state)
{
	(void)state;
	ROW("'=HYPERLINK(A1)\r\n", "=HYPERLINK(A1)");
	/* Quotes inside: quoted as well, the apostrophe inside the quotes. */
	ROW("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n", "=HYPERLINK(\"http://x\",\"y\")");
	ROW("'+12025550143,'-2,'@SUM(A1:A9),'=1+1\r\n", "+12025550143", "-2", "@SUM(A1:A9)",
	    "=1+1");
	/* The apostrophe keeps the tab off the edge: no quotes needed. */
	ROW("'\tx,\"'\r=cmd\"\r\n", "\tx", "\r=cmd");
	/* Only the first byte matters. */
	ROW("a=b,1+1,x@y.z,co-op,\" =spaced\"\r\n", "a=b", "1+1", "x@y.z", "co-op", " =spaced");
	ROW("\"'=a,b\"\r\n", "=a,b");
}

static void
test_numbers_nulls_empty(void **state)
{
	struct mem m = { 0 };
	struct csvwrite w;

	(void)state;
	csvwrite_init(&w, mem_sink, &m);
	csvwrite_int(&w, 42);
	csvwrite_int(&w, -7);
	csvwrite_cell(&w, NULL, 0);
	csvwrite_cstr(&w, NULL);
	csvwrite_cstr(&w, "");
	csvwrite_int(&w, 0);
	csvwrite_end_row(&w);
	/* One empty cell alone would be an empty line. */
	csvwrite_cstr(&w, NULL);
	csvwrite_end_row(&w);
	csvwrite_cstr(&w, "");
	csvwrite_cstr(&w, "");
	csvwrite_end_row(&w);
	csvwrite_int(&w, 9223372036854775807LL);
	csvwrite_end_row(&w);
	assert_int_equal(csvwrite_flush(&w), DL_OK);
	assert_string_equal(m.buf, "42,-7,,,,0\r\n\"\"\r\n,\r\n9223372036854775807\r\n");
	assert_int_equal(w.rows, 4);
	/* Nothing written: the sink is never called. */
	assert_int_equal(csvwrite_flush(&w), DL_OK);
	assert_int_equal(m.calls, 1);
	mem_free(&m);
}

static void
test_sink_chunks(void **state)
{
	struct mem m = { 0 };
	struct csvwrite w;
	char *big = malloc(3 * CSVWRITE_BUF + 7), *want;
	size_t i, n = 3 * CSVWRITE_BUF + 6, wlen;
	int r;

	(void)state;
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\0';
	big[100] = '"';
	csvwrite_init(&w, mem_sink, &m);
	for (r = 0; r < 3; r++) {
		csvwrite_cstr(&w, big);
		csvwrite_int(&w, r);
		csvwrite_end_row(&w);
	}
	/* Before the flush the sink has only had whole buffers. */
	assert_int_equal(m.len % CSVWRITE_BUF, 0);
	assert_int_equal(csvwrite_flush(&w), DL_OK);
	assert_true(m.biggest <= CSVWRITE_BUF);
	wlen = 3 * (n + 7);
	assert_int_equal(m.len, wlen);
	want = malloc(wlen + 1);
	assert_non_null(want);
	for (r = 0, i = 0; r < 3; r++) {
		want[i++] = '"';
		memcpy(want + i, big, 101);
		i += 101;
		want[i++] = '"';
		memcpy(want + i, big + 101, n - 101);
		i += n - 101;
		i += (size_t)snprintf(want + i, wlen + 1 - i, "\",%d\r\n", r);
	}
	assert_int_equal(i, wlen);
	assert_memory_equal(m.buf, want, wlen);
	free(want);
	free(big);
	mem_free(&m);
}

static void
test_sink_error_sticks(void **state)
{
	struct mem m = { 0 };
	struct csvwrite w;
	char cell[1000];
	int i;

	(void)state;
	memset(cell, 'x', sizeof(cell) - 1);
	cell[sizeof(cell) - 1] = '\0';
	m.fail_at = 2;
	csvwrite_init(&w, mem_sink, &m);
	for (i = 0; i < 100; i++) {
		csvwrite_cstr(&w, cell);
		csvwrite_end_row(&w);
	}
	assert_int_equal(w.err, DL_ERR_IO);
	assert_int_equal(m.calls, 2);
	/* Once failed, nothing more reaches the sink. */
	csvwrite_cstr(&w, "more");
	csvwrite_int(&w, 1);
	csvwrite_end_row(&w);
	assert_int_equal(csvwrite_flush(&w), DL_ERR_IO);
	assert_int_equal(m.calls, 2);
	assert_int_equal(m.len, CSVWRITE_BUF);
	mem_free(&m);
}

static void
test_file_sink(void **state)
{
	FILE *f = tmpfile();
	struct csvwrite w;
	char back[64];
	size_t got;

	(void)state;
	assert_non_null(f);
	csvwrite_init(&w, csvwrite_file_sink, f);
	csvwrite_cstr(&w, "id");
	csvwrite_cstr(&w, "note");
	csvwrite_end_row(&w);
	csvwrite_int(&w, 1);
	csvwrite_cstr(&w, "=2+3, \"x\"");
	csvwrite_end_row(&w);
	assert_int_equal(csvwrite_flush(&w), DL_OK);
	rewind(f);
	got = fread(back, 1, sizeof(back) - 1, f);
	back[got] = '\0';
	assert_string_equal(back, "id,note\r\n1,\"'=2+3, \"\"x\"\"\"\r\n");
	fclose(f);
}

/* --- round trip through libcsv --------------------------------------- */

#define RT_ROWS 300
#define RT_COLS 5

struct parsed {
	char *cell[RT_ROWS][RT_COLS];
	size_t len[RT_ROWS][RT_COLS];
	int row, col;
	int bad; /* a row or column beyond the expected shape */
};

static void
on_field(void *s, size_t len, void *ud)
{
	struct parsed *p = ud;

	if (p->row >= RT_ROWS || p->col >= RT_COLS) {
		p->bad = 1;
		return;
	}
	p->cell[p->row][p->col] = malloc(len + 1);
	assert_non_null(p->cell[p->row][p->col]);
	if (len > 0)
		memcpy(p->cell[p->row][p->col], s, len);
	p->cell[p->row][p->col][len] = '\0';
	p->len[p->row][p->col] = len;
	p->col++;
}

static void
on_row(int c, void *ud)
{
	struct parsed *p = ud;

	(void)c;
	if (p->col != RT_COLS)
		p->bad = 1;
	p->row++;
	p->col = 0;
}

static uint32_t
rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* A random cell from pieces that stress the format. */
static size_t
random_cell(uint32_t *seed, char *out, size_t cap)
{
	static const char *const pieces[] = {
		"a", "Z", "7", " ", "\t", ",", "\"", "\r", "\n", "\r\n", "=", "+", "-", "@",
		"'", "é", "東", "😀", ";", "=HYPERLINK(\"http://evil.example\",\"click\")",
	};
	size_t n = 0, k = rnd(seed) % 12, i, plen;
	const char *piece;

	for (i = 0; i < k; i++) {
		piece = pieces[rnd(seed) % (sizeof(pieces) / sizeof(pieces[0]))];
		plen = strlen(piece);
		if (n + plen >= cap)
			break;
		memcpy(out + n, piece, plen);
		n += plen;
	}
	out[n] = '\0';
	return n;
}

static void
test_round_trip_libcsv(void **state)
{
	static char want[RT_ROWS][RT_COLS][200];
	static struct parsed p;
	struct csv_parser parser;
	struct mem m = { 0 };
	struct csvwrite w;
	uint32_t seed = 20261124;
	size_t lens[RT_ROWS][RT_COLS], off, step;
	int r, c;
	const char *exp;

	(void)state;
	memset(&p, 0, sizeof(p));
	csvwrite_init(&w, mem_sink, &m);
	for (r = 0; r < RT_ROWS; r++) {
		for (c = 0; c < RT_COLS; c++) {
			lens[r][c] = random_cell(&seed, want[r][c], sizeof(want[r][c]));
			csvwrite_cell(&w, want[r][c], lens[r][c]);
		}
		csvwrite_end_row(&w);
	}
	assert_int_equal(csvwrite_flush(&w), DL_OK);
	assert_int_equal(csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI), 0);
	/* In uneven pieces, as a network would deliver it. */
	for (off = 0; off < m.len; off += step) {
		step = 1 + rnd(&seed) % 700;
		if (step > m.len - off)
			step = m.len - off;
		assert_int_equal(csv_parse(&parser, m.buf + off, step, on_field, on_row, &p), step);
	}
	assert_int_equal(csv_fini(&parser, on_field, on_row, &p), 0);
	csv_free(&parser);
	assert_int_equal(p.bad, 0);
	assert_int_equal(p.row, RT_ROWS);
	for (r = 0; r < RT_ROWS; r++) {
		for (c = 0; c < RT_COLS; c++) {
			exp = want[r][c];
			if (lens[r][c] > 0 && strchr("=+-@\t\r", exp[0]) != NULL) {
				assert_int_equal(p.len[r][c], lens[r][c] + 1);
				assert_int_equal(p.cell[r][c][0], '\'');
				assert_memory_equal(p.cell[r][c] + 1, exp, lens[r][c]);
			} else {
				assert_int_equal(p.len[r][c], lens[r][c]);
				assert_memory_equal(p.cell[r][c], exp, lens[r][c]);
			}
			free(p.cell[r][c]);
		}
	}
	mem_free(&m);
}

/* --- round trip through our own reader -------------------------------- */

struct seen {
	long rows;
	long errors;
	char log[4096];
	size_t len;
};

static enum dl_err
seen_record(void *ud, const struct csvread_record *rec)
{
	struct seen *s = ud;
	int n = snprintf(s->log + s->len, sizeof(s->log) - s->len, "%ld:%s|%s|%s|%s\n",
	    rec->row, rec->field[CSVREAD_NAME], rec->field[CSVREAD_COMPANY],
	    rec->field[CSVREAD_PHONE], rec->field[CSVREAD_TITLE]);

	assert_true(n > 0 && (size_t)n < sizeof(s->log) - s->len);
	s->len += (size_t)n;
	s->rows++;
	return DL_OK;
}

static enum dl_err
seen_error(void *ud, long row, const char *column, const char *code, const char *message)
{
	struct seen *s = ud;

	(void)row;
	(void)column;
	(void)code;
	(void)message;
	s->errors++;
	return DL_OK;
}

static void
test_round_trip_csvread(void **state)
{
	static const char *const header[] = { "id", "name", "company", "phone", "title" };
	static const char *const rows[][4] = {
		{ "Ada Lovelace", "Engines, Ltd", "+12025550143", "Countess" },
		{ "\"Doc\" Brown", "Multi\nline Co", "202-555-0144", "" },
		{ "=HYPERLINK(\"http://evil.example\")", "@SUM(1)", "2025550145", "-2" },
		{ "Zoë", "東京 KK", "+44 20 7946 0958", "CEO; founder" },
	};
	static const struct csvread_callbacks cb = { seen_record, seen_error };
	struct mem m = { 0 };
	struct csvwrite w;
	struct seen s;
	struct csvread *r;
	size_t i, j;

	(void)state;
	memset(&s, 0, sizeof(s));
	csvwrite_init(&w, mem_sink, &m);
	csvwrite_row(&w, header, 5);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		csvwrite_int(&w, (long long)i + 1);
		for (j = 0; j < 4; j++)
			csvwrite_cstr(&w, rows[i][j]);
		csvwrite_end_row(&w);
	}
	assert_int_equal(csvwrite_flush(&w), DL_OK);
	assert_non_null(r = csvread_new(csvread_contact_columns,
	    CSVREAD_CONTACT_NCOLS, &cb, &s));
	assert_int_equal(csvread_feed(r, m.buf, m.len), DL_OK);
	assert_int_equal(csvread_finish(r), DL_OK);
	assert_int_equal(csvread_delimiter(r), ',');
	csvread_free(r);
	assert_int_equal(s.errors, 0);
	assert_int_equal(s.rows, 4);
	/* Row numbers count records, not the newline inside row 3's company. */
	assert_string_equal(s.log,
	    "2:Ada Lovelace|Engines, Ltd|'+12025550143|Countess\n"
	    "3:\"Doc\" Brown|Multi\nline Co|202-555-0144|\n"
	    "4:'=HYPERLINK(\"http://evil.example\")|'@SUM(1)|2025550145|'-2\n"
	    "5:Zoë|東京 KK|'+44 20 7946 0958|CEO; founder\n");
	mem_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_quoted),
		cmocka_unit_test(test_formula_escape),
		cmocka_unit_test(test_numbers_nulls_empty),
		cmocka_unit_test(test_sink_chunks),
		cmocka_unit_test(test_sink_error_sticks),
		cmocka_unit_test(test_file_sink),
		cmocka_unit_test(test_round_trip_libcsv),
		cmocka_unit_test(test_round_trip_csvread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
