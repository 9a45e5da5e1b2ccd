/*
 * Tests for lib/csvread.c. Every test feeds bytes and compares a transcript
 * of the callbacks, so the same check also proves that chunking does not
 * matter: most inputs are run whole, one byte at a time and in random
 * chunks, and all three transcripts must agree.
 *
 * Phone numbers are fictional (555-01xx, Ofcom drama range).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csvread.h"

enum chunking {
	WHOLE,
	BYTES,
	RANDOM
};

struct out {
	char *log;
	size_t len, cap;
	long nrec, nerr;
	long stop_at;		/* callback number that returns stop_rc */
	enum dl_err stop_rc;
	long calls;
	enum dl_err rc;		/* what feed/finish returned */
	enum csvread_file_error ferr;
	char fcode[32];
	char fmsg[1100];
	unsigned missing;
	char delim;
	long records;
};

static void
logf_(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->log + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < o->cap - o->len)
			break;
		o->cap = (o->cap + (size_t)n + 1) * 2;
		o->log = realloc(o->log, o->cap);
		assert_non_null(o->log);
	}
	o->len += (size_t)n;
}

/* The table run() reads with: the contact file's, unless a test swaps it. */
static const struct csvread_column *table = csvread_contact_columns;
static size_t table_len = CSVREAD_CONTACT_NCOLS;

static enum dl_err
count_call(struct out *o)
{
	o->calls++;
	if (o->stop_at > 0 && o->calls == o->stop_at)
		return o->stop_rc;
	return DL_OK;
}

static enum dl_err
on_record(void *ud, const struct csvread_record *rec)
{
	struct out *o = ud;
	size_t c;

	for (c = 0; c < CSVREAD_MAX_COLS; c++) {
		assert_non_null(rec->field[c]);
		assert_int_equal(strlen(rec->field[c]), rec->len[c]);
		if (c >= table_len)
			assert_int_equal(rec->len[c], 0);
	}
	o->nrec++;
	/* The first four columns always, later ones only when not empty
	 * (so contact transcripts show a timezone only when there is one). */
	logf_(o, "%ld:", rec->row);
	for (c = 0; c < table_len; c++)
		if (c < 4 || rec->len[c] > 0)
			logf_(o, "%s%s", c ? "|" : "", rec->field[c]);
	logf_(o, "\n");
	return count_call(o);
}

static enum dl_err
on_row_error(void *ud, long row, const char *column, const char *code,
    const char *message)
{
	struct out *o = ud;

	o->nerr++;
	logf_(o, "!%ld:%s:%s:%s\n", row, column ? column : "-", code, message);
	return count_call(o);
}

static const struct csvread_callbacks cbs = { on_record, on_row_error };

static uint32_t
rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void
run_into(struct out *o, const char *in, size_t len, enum chunking how,
    uint32_t seed)
{
	struct csvread *r = csvread_new(table, table_len, &cbs, o);
	const char *code;
	size_t i = 0;

	assert_non_null(r);
	o->log = malloc(64);
	assert_non_null(o->log);
	o->cap = 64;
	o->len = 0;
	o->log[0] = '\0';
	o->rc = DL_OK;
	while (i < len && o->rc == DL_OK) {
		size_t n = len - i;

		if (how == BYTES)
			n = 1;
		else if (how == RANDOM && n > 1)
			n = 1 + rnd(&seed) % (rnd(&seed) % 4 == 0 ? 9000 : 40);
		if (n > len - i)
			n = len - i;
		o->rc = csvread_feed(r, in + i, n);
		i += n;
	}
	if (o->rc == DL_OK)
		o->rc = csvread_finish(r);
	o->ferr = csvread_file_error(r);
	code = csvread_file_error_code(r);
	snprintf(o->fcode, sizeof o->fcode, "%s", code ? code : "-");
	snprintf(o->fmsg, sizeof o->fmsg, "%s", csvread_file_error_message(r));
	o->missing = csvread_missing_columns(r);
	o->delim = csvread_delimiter(r);
	o->records = csvread_records(r);
	csvread_free(r);
}

static void
out_free(struct out *o)
{
	free(o->log);
	o->log = NULL;
}

static void
same(const struct out *a, const struct out *b)
{
	assert_string_equal(a->log, b->log);
	assert_int_equal(a->rc, b->rc);
	assert_int_equal(a->ferr, b->ferr);
	assert_string_equal(a->fmsg, b->fmsg);
	assert_int_equal(a->missing, b->missing);
	assert_int_equal(a->delim, b->delim);
	assert_int_equal(a->records, b->records);
}

/* Runs whole, byte-wise and in random chunks; all must agree. */
static struct out
run_len(const char *in, size_t len)
{
	struct out whole = { 0 }, other;
	uint32_t seed;

	run_into(&whole, in, len, WHOLE, 0);
	memset(&other, 0, sizeof other);
	run_into(&other, in, len, BYTES, 0);
	same(&whole, &other);
	out_free(&other);
	for (seed = 1; seed <= 5; seed++) {
		memset(&other, 0, sizeof other);
		run_into(&other, in, len, RANDOM, seed);
		same(&whole, &other);
		out_free(&other);
	}
	return whole;
}

static struct out
run(const char *in)
{
	return run_len(in, strlen(in));
}

/* The transcript of a file that must be read without a file error. */
static void
expect_ok(const char *in, const char *log)
{
	struct out o = run(in);

	assert_string_equal(o.log, log);
	assert_int_equal(o.rc, DL_OK);
	assert_int_equal(o.ferr, CSVREAD_FILE_OK);
	assert_string_equal(o.fcode, "-");
	out_free(&o);
}

static void
expect_file_error(const char *in, enum csvread_file_error fe,
    const char *code, const char *msg)
{
	struct out o = run(in);

	assert_string_equal(o.log, "");
	assert_int_equal(o.rc, DL_ERR_INVALID);
	assert_int_equal(o.ferr, fe);
	assert_string_equal(o.fcode, code);
	if (msg != NULL)
		assert_string_equal(o.fmsg, msg);
	out_free(&o);
}

/* ---- line endings, BOM ----------------------------------------- */

static void
test_bom_crlf(void **state)
{
	struct out o;

	(void)state;
	o = run("\xef\xbb\xbf" "Name,Company,Phone,Title\r\n"
	    "Jane Doe,Acme,+1 202 555 0143,CEO\r\n"
	    "John Roe,Initech,020 7946 0958,\r\n");
	assert_string_equal(o.log,
	    "2:Jane Doe|Acme|+1 202 555 0143|CEO\n"
	    "3:John Roe|Initech|020 7946 0958|\n");
	assert_int_equal(o.rc, DL_OK);
	assert_int_equal(o.delim, ',');
	assert_int_equal(o.records, 2);
	out_free(&o);
}

static void
test_lf(void **state)
{
	(void)state;
	expect_ok("Name,Company,Phone\nA,B,+1 202 555 0143\nC,D,020 7946 0958\n",
	    "2:A|B|+1 202 555 0143|\n3:C|D|020 7946 0958|\n");
}

static void
test_lone_cr(void **state)
{
	(void)state;
	expect_ok("Name,Company,Phone\rA,B,1\r\rC,D,2\r",
	    "2:A|B|1|\n4:C|D|2|\n");
}

static void
test_mixed_line_endings(void **state)
{
	(void)state;
	/* CR LF, LF, CR CR LF (a CR line then a CRLF blank line). */
	expect_ok("Name,Company,Phone\r\nA,B,1\nC,D,2\r\r\nE,F,3\n",
	    "2:A|B|1|\n3:C|D|2|\n5:E|F|3|\n");
}

static void
test_bom_not_stripped_twice(void **state)
{
	(void)state;
	/* Only a leading BOM goes; a second one still lets "Name" match. */
	expect_ok("\xef\xbb\xbf\xef\xbb\xbf" "Name,Company,Phone\nA,B,1\n",
	    "2:A|B|1|\n");
}

static void
test_partial_bom_is_data(void **state)
{
	(void)state;
	/* EF BB then 'N': not a BOM, and not UTF-8 either. */
	expect_file_error("\xef\xbbName,Company,Phone\nA,B,1\n",
	    CSVREAD_FILE_BAD_HEADER, "bad_header", NULL);
}

/* ---- quoting ---------------------------------------------------- */

static void
test_quoted_fields(void **state)
{
	(void)state;
	expect_ok("Name,Company,Phone,Title\n"
	    "\"Doe, Jane\",\"Acme \"\"Rockets\"\"\",\"+1 202 555 0143\",\"\"\n"
	    "\"Multi\nline\nname\",\"Two\r\nlines\",1,\"a,b\"\n"
	    "After,Multi,2,x\n"
	    "\"\",\"\"\"\",3,\"\"\"quoted\"\"\"\n",
	    "2:Doe, Jane|Acme \"Rockets\"|+1 202 555 0143|\n"
	    "3:Multi\nline\nname|Two\r\nlines|1|a,b\n"
	    "4:After|Multi|2|x\n"
	    "5:|\"|3|\"quoted\"\n");
}

static void
test_stray_quotes_kept(void **state)
{
	(void)state;
	/* A quote inside an unquoted field is literal, as in Excel. */
	expect_ok("Name,Company,Phone\n"
	    "Robert \"Bob\" Smith,5\" Screens Ltd,1\n"
	    "Next,Row,2\n",
	    "2:Robert \"Bob\" Smith|5\" Screens Ltd|1|\n"
	    "3:Next|Row|2|\n");
}

static void
test_unclosed_quote(void **state)
{
	struct out o;

	(void)state;
	/* Text after a closing quote reopens it: the rest is one field. */
	o = run("Name,Company,Phone\n"
	    "Ann,Acme,1\n"
	    "Bob,\"Acme\" Inc,2\n"
	    "Cid,C,3\n"
	    "Dan,D,4\n");
	assert_string_equal(o.log,
	    "2:Ann|Acme|1|\n"
	    "!3:-:field_count:Expected 3 fields, as in the header row, "
	    "but found 2.\n");
	assert_int_equal(o.rc, DL_OK);
	assert_int_equal(o.records, 2);
	out_free(&o);
}

static void
test_trimming(void **state)
{
	(void)state;
	expect_ok("  Name  ,\tCompany\t, Phone \n"
	    "  Jane  ,\" Acme \",\t+1 202 555 0143\t\n"
	    "\"\n Padded \n\",x,y\n",
	    "2:Jane|Acme|+1 202 555 0143|\n"
	    "3:Padded|x|y|\n");
}

/* ---- delimiters -------------------------------------------------- */

static void
test_semicolon(void **state)
{
	struct out o;

	(void)state;
	o = run("Name;Company;Phone;Title\n"
	    "\"Doe; Jane\";Acme, Inc;+1 202 555 0143;Boss\n");
	assert_string_equal(o.log,
	    "2:Doe; Jane|Acme, Inc|+1 202 555 0143|Boss\n");
	assert_int_equal(o.delim, ';');
	out_free(&o);
}

static void
test_tab(void **state)
{
	struct out o;

	(void)state;
	o = run("Name\tCompany\tPhone\tTitle\n"
	    "Jane Doe\tAcme, Inc; Ltd\t020 7946 0958\t\n"
	    "\t\t\t\n"
	    "\tNo name\t1\tx\n");
	assert_string_equal(o.log,
	    "2:Jane Doe|Acme, Inc; Ltd|020 7946 0958|\n"
	    "3:|||\n"
	    "4:|No name|1|x\n");
	assert_int_equal(o.delim, '\t');
	out_free(&o);
}

static void
test_tab_leading_empty_header(void **state)
{
	struct out o;

	(void)state;
	o = run("\tName\tCompany\tPhone\n1\tA\tB\tC\n");
	assert_string_equal(o.log, "2:A|B|C|\n");
	assert_int_equal(o.delim, '\t');
	out_free(&o);
}

static void
test_delimiter_vote(void **state)
{
	struct out o;

	(void)state;
	/* Quoted delimiters do not vote. */
	o = run("\"Name, full\";\"Company, Inc\";Phone\n"
	    "A;B;1\n");
	assert_int_equal(o.delim, ';');
	out_free(&o);
	/* A tie goes to the comma. */
	o = run("Name,Company;Phone\n");
	assert_int_equal(o.delim, ',');
	assert_int_equal(o.ferr, CSVREAD_FILE_MISSING_COLUMNS);
	out_free(&o);
	/* So does a single column. */
	o = run("Name\nA\n");
	assert_int_equal(o.delim, ',');
	out_free(&o);
}

/* ---- header names ------------------------------------------------ */

static void
check_alias(const char *hdr, int col)
{
	static const char *const fill[CSVREAD_CONTACT_NCOLS] = {
		"name", "company", "phone", "title", "timezone"
	};
	char in[256], want[128];
	const char *v[CSVREAD_CONTACT_NCOLS] = { "N", "C", "P", "T", "Z" };
	int c, n = 0;
	struct out o;

	/* The alias under test, then the other columns by plain name. */
	n += snprintf(in + n, sizeof in - (size_t)n, "\"%s\"", hdr);
	for (c = 0; c < CSVREAD_CONTACT_NCOLS; c++)
		if (c != col)
			n += snprintf(in + n, sizeof in - (size_t)n, ",%s",
			    fill[c]);
	n += snprintf(in + n, sizeof in - (size_t)n, "\n%s", v[col]);
	for (c = 0; c < CSVREAD_CONTACT_NCOLS; c++)
		if (c != col)
			n += snprintf(in + n, sizeof in - (size_t)n, ",%s",
			    v[c]);
	snprintf(in + n, sizeof in - (size_t)n, "\n");
	snprintf(want, sizeof want, "2:N|C|P|T|Z\n");

	o = run(in);
	if (strcmp(o.log, want) != 0)
		fail_msg("header \"%s\": got \"%s\"", hdr, o.log);
	out_free(&o);
}

static void
test_aliases(void **state)
{
	static const char *const name[] = { "name", "full name", "contact name",
		"contact", "Full_Name", "  CONTACT-NAME  ", NULL };
	static const char *const company[] = { "company", "company name",
		"organization", "organisation", "account", "Company_Name",
		"ORGANISATION", NULL };
	static const char *const phone[] = { "phone", "phone number",
		"phone_number", "mobile", "mobile phone", "cell", "telephone",
		"tel", "number", "Phone - Number", "MOBILE__PHONE", " Tel ",
		"\tPhone\t", NULL };
	static const char *const title[] = { "title", "job title", "position",
		"role", "Job_Title", "JOB  TITLE", NULL };
	static const char *const tz[] = { "timezone", "time zone", "time_zone",
		"Time-Zone", "TZ", "TimeZone", NULL };
	int i;

	(void)state;
	for (i = 0; name[i]; i++)
		check_alias(name[i], CSVREAD_NAME);
	for (i = 0; company[i]; i++)
		check_alias(company[i], CSVREAD_COMPANY);
	for (i = 0; phone[i]; i++)
		check_alias(phone[i], CSVREAD_PHONE);
	for (i = 0; title[i]; i++)
		check_alias(title[i], CSVREAD_TITLE);
	for (i = 0; tz[i]; i++)
		check_alias(tz[i], CSVREAD_TIMEZONE);
}

static void
test_not_aliases(void **state)
{
	struct out o;

	(void)state;
	/* Near misses stay unknown, so phone is missing. */
	o = run("Name,Company,Phones,Telephone Fax\nA,B,1,2\n");
	assert_int_equal(o.ferr, CSVREAD_FILE_MISSING_COLUMNS);
	assert_int_equal(o.missing, 1u << CSVREAD_PHONE);
	out_free(&o);
}

static void
test_first_wins(void **state)
{
	(void)state;
	expect_ok("Phone,Name,Mobile,Company,Name,Telephone\n"
	    "1,A,2,C,B,3\n",
	    "2:A|C|1|\n");
}

static void
test_extra_columns_ignored(void **state)
{
	(void)state;
	expect_ok("Email,Name,Notes,Company,Website,Phone,City\n"
	    "a@example.com,Jane,\"long, notes\",Acme,example.com,1,Paris\n",
	    "2:Jane|Acme|1|\n");
}

static void
test_first_last_join(void **state)
{
	(void)state;
	expect_ok("First Name,Last Name,Company,Phone\n"
	    "Jane,Doe,Acme,1\n"
	    "Cher,,Acme,2\n"
	    ",Prince,Acme,3\n"
	    "  ,  ,Acme,4\n"
	    " Mary Ann , van Dyke ,Acme,5\n",
	    "2:Jane Doe|Acme|1|\n"
	    "3:Cher|Acme|2|\n"
	    "4:Prince|Acme|3|\n"
	    "5:|Acme|4|\n"
	    "6:Mary Ann van Dyke|Acme|5|\n");
	expect_ok("surname;firstname;Organisation;Tel\nDoe;Jane;Acme;1\n",
	    "2:Jane Doe|Acme|1|\n");
	expect_ok("Given_Name,Family-Name,Company,Phone\nJane,Doe,Acme,1\n",
	    "2:Jane Doe|Acme|1|\n");
}

static void
test_name_beats_first_last(void **state)
{
	(void)state;
	expect_ok("First Name,Last Name,Contact,Company,Phone\n"
	    "Jane,Doe,J. Doe,Acme,1\n",
	    "2:J. Doe|Acme|1|\n");
}

static void
test_first_without_last(void **state)
{
	(void)state;
	expect_file_error("First Name,Company,Phone\nJane,Acme,1\n",
	    CSVREAD_FILE_MISSING_COLUMNS, "missing_columns",
	    "Missing required column(s): name. "
	    "Found: First Name, Company, Phone.");
}

static void
test_missing_columns(void **state)
{
	struct out o;

	(void)state;
	expect_file_error("Name,Company,Email\nA,B,c@example.com\n",
	    CSVREAD_FILE_MISSING_COLUMNS, "missing_columns",
	    "Missing required column(s): phone. "
	    "Found: Name, Company, Email.");

	o = run("Email,Notes\nx,y\n");
	assert_int_equal(o.rc, DL_ERR_INVALID);
	assert_int_equal(o.missing, (1u << CSVREAD_NAME) |
	    (1u << CSVREAD_COMPANY) | (1u << CSVREAD_PHONE));
	assert_string_equal(o.fmsg, "Missing required column(s): "
	    "name, company, phone. Found: Email, Notes.");
	out_free(&o);

	/* Title is optional; empty header cells are not listed. */
	o = run("Name,,Phone,\nA,,1,\n");
	assert_int_equal(o.missing, 1u << CSVREAD_COMPANY);
	assert_string_equal(o.fmsg, "Missing required column(s): company. "
	    "Found: Name, Phone.");
	out_free(&o);

	o = run(",,\n1,2,3\n");
	assert_string_equal(o.fmsg, "Missing required column(s): "
	    "name, company, phone. Found: no column names.");
	out_free(&o);

	/* Without a line break the header is checked at finish. */
	expect_file_error("Name,Company", CSVREAD_FILE_MISSING_COLUMNS,
	    "missing_columns", "Missing required column(s): phone. "
	    "Found: Name, Company.");
}

static void
test_missing_message_bounded(void **state)
{
	char in[20000];
	size_t n = 0;
	int i;
	struct out o;

	(void)state;
	for (i = 0; i < 300; i++)
		n += (size_t)snprintf(in + n, sizeof in - n, "%sExtra column %d",
		    i ? "," : "", i);
	snprintf(in + n, sizeof in - n, "\n");
	o = run(in);
	assert_int_equal(o.ferr, CSVREAD_FILE_MISSING_COLUMNS);
	assert_true(strlen(o.fmsg) < 1024);
	assert_non_null(strstr(o.fmsg, "Found: Extra column 0, Extra column 1,"));
	assert_non_null(strstr(o.fmsg, ", ...."));
	out_free(&o);
}

/* ---- whole-file refusals ----------------------------------------- */

static void
test_empty(void **state)
{
	struct out o;

	(void)state;
	o = run("");
	assert_int_equal(o.rc, DL_ERR_INVALID);
	assert_int_equal(o.ferr, CSVREAD_FILE_EMPTY);
	assert_string_equal(o.fcode, "empty_file");
	assert_string_equal(o.fmsg, "The file is empty.");
	assert_int_equal(o.delim, 0);
	out_free(&o);
	expect_file_error("\xef\xbb\xbf", CSVREAD_FILE_EMPTY, "empty_file",
	    "The file is empty.");
	expect_file_error("\xef\xbb\xbf \t\r\n\r\n  \n\r", CSVREAD_FILE_EMPTY,
	    "empty_file", "The file is empty.");
	expect_file_error("\n", CSVREAD_FILE_EMPTY, "empty_file", NULL);
}

static void
test_header_only(void **state)
{
	(void)state;
	expect_file_error("Name,Company,Phone\r\n", CSVREAD_FILE_NO_ROWS,
	    "no_rows", "The file has a header row but no data rows.");
	expect_file_error("Name,Company,Phone", CSVREAD_FILE_NO_ROWS,
	    "no_rows", NULL);
	expect_file_error("\xef\xbb\xbf" "Name,Company,Phone\n\n   \n\r\n",
	    CSVREAD_FILE_NO_ROWS, "no_rows", NULL);
}

static void
test_bad_header_utf8(void **state)
{
	(void)state;
	expect_file_error("Name,Soci\xe9t\xe9,Phone\nA,B,1\n",
	    CSVREAD_FILE_BAD_HEADER, "bad_header",
	    "The header row is not valid UTF-8 text. "
	    "Save the file as \"CSV UTF-8\" and try again.");
}

static void
test_bad_header_utf16(void **state)
{
	static const char in[] = "\xff\xfeN\0a\0m\0e\0,\0\n\0";
	struct out o;

	(void)state;
	o = run_len(in, sizeof in - 1);
	assert_int_equal(o.ferr, CSVREAD_FILE_BAD_HEADER);
	out_free(&o);
}

static void
test_header_too_long(void **state)
{
	size_t n = 70 * 1024;
	char *in = malloc(n + 1);
	struct out o;

	(void)state;
	assert_non_null(in);
	memset(in, 'x', n);
	memcpy(in, "Name,Company,Phone,", 19);
	in[n] = '\0';
	o = run(in);
	assert_int_equal(o.rc, DL_ERR_INVALID);
	assert_int_equal(o.ferr, CSVREAD_FILE_BAD_HEADER);
	assert_non_null(strstr(o.fmsg, "too long"));
	out_free(&o);

	/* An unclosed quote in the header reaches the same limit. */
	memcpy(in, "Name,\"Company,Phone\n", 20);
	memset(in + 20, 'y', n - 20);
	o = run(in);
	assert_int_equal(o.ferr, CSVREAD_FILE_BAD_HEADER);
	out_free(&o);
	free(in);
}

static void
test_header_quoted_newline(void **state)
{
	(void)state;
	/* A header cell with a line break: the header is still one row. */
	expect_ok("Name,Company,Phone,\"Notes\n(free text)\"\nA,B,1,x\n",
	    "2:A|B|1|\n");
}

/* ---- per-row problems -------------------------------------------- */

static void
test_invalid_utf8(void **state)
{
	(void)state;
	expect_ok("Name,Company,Phone,Notes\n"
	    "Ren\xe9,Acme,1,x\n"			/* Latin-1 */
	    "A,\xc0\xaf,2,x\n"			/* overlong '/' */
	    "B,C,\xed\xa0\x80,x\n"			/* surrogate U+D800 */
	    "C,D,3,\xf4\x90\x80\x80\n"		/* U+110000 */
	    "D,E\xe2\x82,4,x\n"			/* truncated */
	    "E,F,5,a\xf8\x88\x80\x80\x80\n"		/* 5-byte form */
	    "F,G,6,\xe0\x80\x80\n"			/* overlong 3-byte */
	    "G,H,7,\xf0\x80\x80\x80\n"		/* overlong 4-byte */
	    "H,I,8,\x80\n"				/* lone continuation */
	    "Jos\xc3\xa9,M\xc3\xbcller \xe2\x82\xac,\xf0\x9f\x93\x9e 9,"
	    "\xef\xbf\xbd\xf4\x8f\xbf\xbf\xed\x9f\xbf\n",	/* valid */
	    "!2:name:invalid_utf8:The value in column \"Name\" is not valid "
	    "UTF-8 text. Save the file as \"CSV UTF-8\" and try again.\n"
	    "!3:company:invalid_utf8:The value in column \"Company\" is not "
	    "valid UTF-8 text. Save the file as \"CSV UTF-8\" and try again.\n"
	    "!4:phone:invalid_utf8:The value in column \"Phone\" is not valid "
	    "UTF-8 text. Save the file as \"CSV UTF-8\" and try again.\n"
	    "!5:-:invalid_utf8:The value in column \"Notes\" is not valid "
	    "UTF-8 text. Save the file as \"CSV UTF-8\" and try again.\n"
	    "!6:company:invalid_utf8:The value in column \"Company\" is not "
	    "valid UTF-8 text. Save the file as \"CSV UTF-8\" and try again.\n"
	    "!7:-:invalid_utf8:The value in column \"Notes\" is not valid "
	    "UTF-8 text. Save the file as \"CSV UTF-8\" and try again.\n"
	    "!8:-:invalid_utf8:The value in column \"Notes\" is not valid "
	    "UTF-8 text. Save the file as \"CSV UTF-8\" and try again.\n"
	    "!9:-:invalid_utf8:The value in column \"Notes\" is not valid "
	    "UTF-8 text. Save the file as \"CSV UTF-8\" and try again.\n"
	    "!10:-:invalid_utf8:The value in column \"Notes\" is not valid "
	    "UTF-8 text. Save the file as \"CSV UTF-8\" and try again.\n"
	    "11:Jos\xc3\xa9|M\xc3\xbcller \xe2\x82\xac|\xf0\x9f\x93\x9e 9|\n");
}

static void
test_nul_byte(void **state)
{
	static const char in[] = "Name,Company,Phone\nA\0B,C,1\nD,E,2\n";
	struct out o;

	(void)state;
	o = run_len(in, sizeof in - 1);
	assert_string_equal(o.log,
	    "!2:name:invalid_utf8:The value in column \"Name\" is not valid "
	    "UTF-8 text. Save the file as \"CSV UTF-8\" and try again.\n"
	    "3:D|E|2|\n");
	out_free(&o);
}

static void
test_field_count(void **state)
{
	struct out o;

	(void)state;
	o = run("Name,Company,Phone\n"
	    "A,B,1,extra\n"
	    "A,B\n"
	    "Solo\n"
	    "C,D,2\n"
	    ",,,\n"
	    "\xff,B,1,extra\n");
	assert_string_equal(o.log,
	    "!2:-:field_count:Expected 3 fields, as in the header row, "
	    "but found 4.\n"
	    "!3:-:field_count:Expected 3 fields, as in the header row, "
	    "but found 2.\n"
	    "!4:-:field_count:Expected 3 fields, as in the header row, "
	    "but found 1.\n"
	    "5:C|D|2|\n"
	    "!6:-:field_count:Expected 3 fields, as in the header row, "
	    "but found 4.\n"
	    "!7:-:field_count:Expected 3 fields, as in the header row, "
	    "but found 4.\n");
	assert_int_equal(o.records, 6);
	assert_int_equal(o.nerr, 5);
	out_free(&o);
}

static char *
repeat(const char *head, char c, size_t n, const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *s = malloc(hl + n + tl + 1);

	assert_non_null(s);
	memcpy(s, head, hl);
	memset(s + hl, c, n);
	memcpy(s + hl + n, tail, tl + 1);
	return s;
}

static void
test_field_too_long(void **state)
{
	char *in, want[512];
	struct out o;

	(void)state;
	/* Exactly the limit passes (surrounding blanks do not count). */
	in = repeat("Name,Company,Phone\nA,  ", 'x', CSVREAD_MAX_FIELD,
	    "  ,1\nB,C,2\n");
	o = run(in);
	assert_int_equal(o.nrec, 2);
	assert_int_equal(o.nerr, 0);
	out_free(&o);
	free(in);

	in = repeat("Name,Company,Phone\nA,", 'x', CSVREAD_MAX_FIELD + 1,
	    ",1\nB,C,2\n");
	o = run(in);
	snprintf(want, sizeof want, "!2:company:field_too_long:The value in "
	    "column \"Company\" is longer than %d bytes.\n3:B|C|2|\n",
	    CSVREAD_MAX_FIELD);
	assert_string_equal(o.log, want);
	out_free(&o);
	free(in);

	/* Quoted, spanning many slices, in a column we do not read. */
	in = repeat("Name,Company,Phone,Notes\nA,B,1,\"", 'n', 100000,
	    "\"\nC,D,2,ok\n");
	o = run(in);
	snprintf(want, sizeof want, "!2:-:field_too_long:The value in "
	    "column \"Notes\" is longer than %d bytes.\n3:C|D|2|\n",
	    CSVREAD_MAX_FIELD);
	assert_string_equal(o.log, want);
	out_free(&o);
	free(in);

	/* Over the limit only with its blanks: fine. */
	in = repeat("Name,Company,Phone\nA,\"", ' ', CSVREAD_MAX_FIELD * 2,
	    "x\",1\n");
	o = run(in);
	assert_string_equal(o.log, "2:A|x|1|\n");
	out_free(&o);
	free(in);
}

static void
test_field_too_long_multiline(void **state)
{
	char *in;
	struct out o;

	(void)state;
	in = repeat("Name,Company,Phone\nA,\"line\n", 'z', CSVREAD_MAX_FIELD,
	    "\",1\nB,C,2\n");
	o = run(in);
	assert_string_equal(o.log,
	    "!2:company:field_too_long:The value in column \"Company\" is "
	    "longer than 4096 bytes (a quote may have been left open).\n"
	    "3:B|C|2|\n");
	out_free(&o);
	free(in);
}

static void
test_first_problem_reported(void **state)
{
	char *in;
	struct out o;

	(void)state;
	/* One error per row: the first bad field, in column order. */
	in = repeat("Name,Company,Phone\n\xff,", 'x', 5000, ",1\n");
	o = run(in);
	assert_int_equal(o.nerr, 1);
	assert_non_null(strstr(o.log, ":name:invalid_utf8:"));
	out_free(&o);
	free(in);
}

static void
test_joined_name_too_long(void **state)
{
	size_t half = CSVREAD_MAX_FIELD / 2 + 1;
	char *last = repeat(",", 'l', half, ",C,1\n");
	char *hdr = repeat("First Name,Last Name,Company,Phone\n", 'f', half,
	    last);
	struct out o;

	(void)state;
	o = run(hdr);
	assert_string_equal(o.log, "!2:name:field_too_long:The name (column "
	    "\"First Name\" and column \"Last Name\" together) is longer "
	    "than 4096 bytes.\n");
	out_free(&o);
	free(hdr);
	free(last);
}

/* ---- blank lines and row numbers --------------------------------- */

static void
test_blank_lines(void **state)
{
	struct out o;

	(void)state;
	o = run("\r\n\n"
	    "Name,Company,Phone\r\n"
	    "\r\n"
	    "A,B,1\r\n"
	    "   \r\n"
	    "\t \r\n"
	    ",,\r\n"
	    "\"\n\n\",C,2\r\n"
	    "\r\n"
	    "D,E,3\r\n"
	    "\r\n\r\n");
	assert_string_equal(o.log,
	    "5:A|B|1|\n"
	    "8:|||\n"
	    "9:|C|2|\n"
	    "11:D|E|3|\n");
	assert_int_equal(o.records, 4);
	out_free(&o);
}

static void
test_trailing_line_without_newline(void **state)
{
	(void)state;
	expect_ok("Name,Company,Phone\nA,B,1\nC,D,2", "2:A|B|1|\n3:C|D|2|\n");
	expect_ok("Name,Company,Phone\r\nA,B,1\r\n\"C\",\"D\",\"2\"",
	    "2:A|B|1|\n3:C|D|2|\n");
	/* A quote never closed runs to the end of the file. */
	expect_ok("Name,Company,Phone\nA,B,\"1\n", "2:A|B|1|\n");
}

/* ---- chunking ---------------------------------------------------- */

static void
test_chunking_identical(void **state)
{
	static const char *const inputs[] = {
		"\xef\xbb\xbf" "Name;Company;Phone\r\n"
		"\"Jos\xc3\xa9\";\"Acme\r\nLtd\";+1 202 555 0143\r\n\r\n"
		"\xf0\x9f\x98\x80;x;y\r\n",
		"\xef\xbb\xbf\r\n\r\nName\tCompany\tPhone\r\nA\tB\tC\r\r\n",
		"\xef\xbb\xbf" "Name,Company,Phone\rA,B,C\rD,\xe2\x82,C\r",
		"Name,Company,Phone,Title\n\"a\"\"b\",\"c,d\",e,\"f\ng\"\n",
	};
	size_t i;

	(void)state;
	/* run() itself compares whole, byte-wise and random chunkings. */
	for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		struct out o = run(inputs[i]);

		assert_true(o.nrec + o.nerr > 0);
		out_free(&o);
	}
}

static void
test_chunking_large(void **state)
{
	size_t cap = 400000, n = 0;
	char *in = malloc(cap);
	uint32_t seed = 7;
	struct out o;
	int i;

	(void)state;
	assert_non_null(in);
	n += (size_t)snprintf(in, cap, "\xef\xbb\xbfName,Company,Phone,Notes\r\n");
	for (i = 0; n + 9000 < cap; i++) {
		uint32_t k = rnd(&seed) % 10;

		if (k == 0) {
			/* A long quoted cell with line breaks across slices. */
			n += (size_t)snprintf(in + n, cap - n,
			    "\"P%d\",C,1,\"", i);
			memset(in + n, i % 3 ? 'a' : '\n', 3000 + i % 2000);
			n += 3000 + (size_t)(i % 2000);
			n += (size_t)snprintf(in + n, cap - n, "\"\r\n");
		} else if (k == 1) {
			n += (size_t)snprintf(in + n, cap - n, "\r\n");
		} else if (k == 2) {
			n += (size_t)snprintf(in + n, cap - n,
			    "Bad\xc3,C,1,x\r\n");
		} else if (k == 3) {
			n += (size_t)snprintf(in + n, cap - n, "x,y\r\n");
		} else {
			n += (size_t)snprintf(in + n, cap - n,
			    "\"Person %d\",\"Co, %d\",+1 202 555 01%02d,\"n\"\"%d\"\r\n",
			    i, i, i % 100, i);
		}
	}
	o = run_len(in, n);
	assert_int_equal(o.rc, DL_OK);
	assert_true(o.nrec > 100);
	assert_true(o.nerr > 10);
	out_free(&o);
	free(in);
}

/* ---- callbacks stop the reader ----------------------------------- */

static void
test_callback_stops(void **state)
{
	static const char in[] = "Name,Company,Phone\nA,B,1\nC,D\nE,F,3\nG,H,4\n";
	struct out o;
	size_t how;

	(void)state;
	for (how = 0; how < 2; how++) {
		/* Stop on the 1st record, then on the row error. */
		long at;

		for (at = 1; at <= 2; at++) {
			struct csvread *r;
			size_t i;
			enum dl_err rc = DL_OK;

			memset(&o, 0, sizeof o);
			o.log = calloc(1, 256);
			o.cap = 256;
			o.stop_at = at;
			o.stop_rc = DL_ERR_DB;
			r = csvread_new(csvread_contact_columns,
			    CSVREAD_CONTACT_NCOLS, &cbs, &o);
			assert_non_null(r);
			if (how == 0) {
				rc = csvread_feed(r, in, sizeof in - 1);
			} else {
				for (i = 0; i < sizeof in - 1 && rc == DL_OK; i++)
					rc = csvread_feed(r, in + i, 1);
			}
			assert_int_equal(rc, DL_ERR_DB);
			assert_int_equal(o.calls, at);
			/* Sticky: nothing more is accepted or reported. */
			assert_int_equal(csvread_feed(r, "X,Y,9\n", 6),
			    DL_ERR_DB);
			assert_int_equal(csvread_finish(r), DL_ERR_DB);
			assert_int_equal(o.calls, at);
			assert_int_equal(csvread_file_error(r), CSVREAD_FILE_OK);
			csvread_free(r);
			out_free(&o);
		}
	}
}

static void
test_callback_stops_at_finish(void **state)
{
	struct out o;
	struct csvread *r;

	(void)state;
	memset(&o, 0, sizeof o);
	o.log = calloc(1, 256);
	o.cap = 256;
	o.stop_at = 1;
	o.stop_rc = DL_ERR_CONFLICT;
	r = csvread_new(csvread_contact_columns, CSVREAD_CONTACT_NCOLS, &cbs,
	    &o);
	assert_non_null(r);
	assert_int_equal(csvread_feed(r, "Name,Company,Phone\nA,B,1", 24), DL_OK);
	assert_int_equal(o.calls, 0);
	assert_int_equal(csvread_finish(r), DL_ERR_CONFLICT);
	assert_int_equal(o.calls, 1);
	csvread_free(r);
	out_free(&o);
}

/* ---- other tables ------------------------------------------------ */

/* The shape of a do-not-call file: a phone, and a reason if given. */
static const char *const dnc_phone_aliases[] = { "phone number", "number",
	NULL };
static const char *const dnc_reason_aliases[] = { "note", "why", NULL };
static const struct csvread_column dnc_table[] = {
	{ "phone", dnc_phone_aliases, 1, { NULL, NULL } },
	{ "reason", dnc_reason_aliases, 0, { NULL, NULL } },
};

static void
use_table(const struct csvread_column *cols, size_t n)
{
	table = cols;
	table_len = n;
}

static void
test_other_table(void **state)
{
	char *in;
	struct out o;

	(void)state;
	use_table(dnc_table, 2);
	expect_ok("\xef\xbb\xbfName;Phone_Number;Why\r\n"
	    "Jane;+1 202-555-0143;asked\r\n"
	    "Joe;\"202 555 0144\";\"said \"\"no\"\"\"\r\n"
	    "Ann;2025550145;\r\n",
	    "2:+1 202-555-0143|asked\n"
	    "3:202 555 0144|said \"no\"\n"
	    "4:2025550145|\n");
	/* The contact file's aliases mean nothing here. */
	expect_file_error("Mobile,Reason\n1,x\n", CSVREAD_FILE_MISSING_COLUMNS,
	    "missing_columns", "Missing required column(s): phone. "
	    "Found: Mobile, Reason.");
	o = run("Reason\nx\n");
	assert_int_equal(o.missing, 1u << 0);
	out_free(&o);
	/* Row problems name the table's columns. */
	in = repeat("phone,reason\n1,", 'r', CSVREAD_MAX_FIELD + 1, "\n2,\xff\n");
	o = run(in);
	assert_string_equal(o.log, "!2:reason:field_too_long:The value in "
	    "column \"reason\" is longer than 4096 bytes.\n"
	    "!3:reason:invalid_utf8:The value in column \"reason\" is not "
	    "valid UTF-8 text. Save the file as \"CSV UTF-8\" and try "
	    "again.\n");
	out_free(&o);
	free(in);
	use_table(csvread_contact_columns, CSVREAD_CONTACT_NCOLS);
}

static void
test_join_in_other_table(void **state)
{
	static const char *const street[] = { "street", NULL };
	static const char *const city[] = { "city", NULL };
	static const struct csvread_column t[] = {
		{ "id", NULL, 1, { NULL, NULL } },
		{ "address", NULL, 1, { street, city } },
	};

	(void)state;
	use_table(t, 2);
	expect_ok("City,ID,Street\nParis,7,1 rue X\n", "2:7|1 rue X Paris\n");
	expect_file_error("ID,Street\n7,x\n", CSVREAD_FILE_MISSING_COLUMNS,
	    "missing_columns", "Missing required column(s): address. "
	    "Found: ID, Street.");
	use_table(csvread_contact_columns, CSVREAD_CONTACT_NCOLS);
}

static void
test_contact_timezone(void **state)
{
	(void)state;
	expect_ok("Name,Company,Phone,Time Zone\n"
	    "A,B,1, America/Chicago \n"
	    "C,D,2,\n",
	    "2:A|B|1||America/Chicago\n"
	    "3:C|D|2|\n");
	/* Optional: a file without it is complete. */
	expect_ok("Name,Company,Phone\nA,B,1\n", "2:A|B|1|\n");
}

/* ---- small API pieces -------------------------------------------- */

static void
test_api(void **state)
{
	struct csvread_column many[CSVREAD_MAX_COLS + 1];
	struct out o;
	struct csvread *r;

	(void)state;
	assert_string_equal(csvread_contact_columns[CSVREAD_NAME].name, "name");
	assert_string_equal(csvread_contact_columns[CSVREAD_TIMEZONE].name,
	    "timezone");
	assert_false(csvread_contact_columns[CSVREAD_TIMEZONE].required);
	/* A table must have one to CSVREAD_MAX_COLS columns. */
	assert_null(csvread_new(csvread_contact_columns, 0, &cbs, &o));
	memset(many, 0, sizeof many);
	assert_null(csvread_new(many, CSVREAD_MAX_COLS + 1, &cbs, &o));

	memset(&o, 0, sizeof o);
	o.log = calloc(1, 64);
	o.cap = 64;
	r = csvread_new(csvread_contact_columns, CSVREAD_CONTACT_NCOLS, &cbs,
	    &o);
	assert_non_null(r);
	assert_int_equal(csvread_delimiter(r), 0);
	assert_null(csvread_file_error_code(r));
	assert_int_equal(csvread_feed(r, "Name;Company;Phone\nA;B;1\n", 25),
	    DL_OK);
	assert_int_equal(csvread_delimiter(r), ';');
	assert_int_equal(csvread_records(r), 1);
	assert_int_equal(csvread_feed(r, NULL, 0), DL_OK);
	assert_int_equal(csvread_finish(r), DL_OK);
	assert_int_equal(csvread_finish(r), DL_OK);
	assert_int_equal(csvread_feed(r, "x", 1), DL_ERR_INVALID);
	csvread_free(r);
	csvread_free(NULL);
	out_free(&o);
}

static void
test_records_count_bad_rows(void **state)
{
	struct out o;

	(void)state;
	o = run("Name,Company,Phone\nA\n\xff,B,1\n");
	assert_int_equal(o.rc, DL_OK);	/* bad rows are still rows */
	assert_int_equal(o.records, 2);
	assert_int_equal(o.nrec, 0);
	out_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bom_crlf),
		cmocka_unit_test(test_lf),
		cmocka_unit_test(test_lone_cr),
		cmocka_unit_test(test_mixed_line_endings),
		cmocka_unit_test(test_bom_not_stripped_twice),
		cmocka_unit_test(test_partial_bom_is_data),
		cmocka_unit_test(test_quoted_fields),
		cmocka_unit_test(test_stray_quotes_kept),
		cmocka_unit_test(test_unclosed_quote),
		cmocka_unit_test(test_trimming),
		cmocka_unit_test(test_semicolon),
		cmocka_unit_test(test_tab),
		cmocka_unit_test(test_tab_leading_empty_header),
		cmocka_unit_test(test_delimiter_vote),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_not_aliases),
		cmocka_unit_test(test_first_wins),
		cmocka_unit_test(test_extra_columns_ignored),
		cmocka_unit_test(test_first_last_join),
		cmocka_unit_test(test_name_beats_first_last),
		cmocka_unit_test(test_first_without_last),
		cmocka_unit_test(test_missing_columns),
		cmocka_unit_test(test_missing_message_bounded),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_bad_header_utf8),
		cmocka_unit_test(test_bad_header_utf16),
		cmocka_unit_test(test_header_too_long),
		cmocka_unit_test(test_header_quoted_newline),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_field_count),
		cmocka_unit_test(test_field_too_long),
		cmocka_unit_test(test_field_too_long_multiline),
		cmocka_unit_test(test_first_problem_reported),
		cmocka_unit_test(test_joined_name_too_long),
		cmocka_unit_test(test_blank_lines),
		cmocka_unit_test(test_trailing_line_without_newline),
		cmocka_unit_test(test_chunking_identical),
		cmocka_unit_test(test_chunking_large),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_callback_stops_at_finish),
		cmocka_unit_test(test_other_table),
		cmocka_unit_test(test_join_in_other_table),
		cmocka_unit_test(test_contact_timezone),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_records_count_bad_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
