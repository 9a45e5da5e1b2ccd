/*
 * Unit tests for lib/phone (the libphonenumber wrapper).
 *
 * Every number here is from a range set aside for fiction: NANP 555-01XX,
 * Ofcom's drama ranges (020 7946 0xxx, 0808 157 0xxx, 0909 879 0xxx,
 * 07700 900xxx), ACMA's (0491 570 xxx, 1900 654 321), the Bundesnetzagentur's
 * (030 23125 xxx) and ARCEP's (01 99 00 xx xx). The expectations were taken
 * from libphonenumber 8.12.57, so a metadata update may move a few of them.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phone.h"

/*
 * Hands phone_parse a heap copy of exactly `len` bytes with no terminator,
 * so that valgrind reports any read past the end.
 */
static enum phone_reason
parse_exact(const char *text, size_t len, const char *region,
    struct phone_info *out)
{
	char *copy = malloc(len ? len : 1);
	enum phone_reason r;

	assert_non_null(copy);
	memcpy(copy, text, len);
	r = phone_parse(copy, len, region, out);
	free(copy);
	return r;
}

static void
expect_ok_at(const char *text, size_t len, const char *region,
    const char *e164, const char *national, const char *international,
    const char *region_out, enum phone_type type, const char *file, int line)
{
	struct phone_info out;
	enum phone_reason r;

	memset(&out, 0xAB, sizeof out);
	r = parse_exact(text, len, region, &out);
	if (r != PHONE_OK) {
		print_error("%s:%d: \"%.*s\" (region %s): got %s, want ok\n",
		    file, line, (int)len, text, region ? region : "NULL",
		    phone_reason_code(r));
		_fail(file, line);
	}
	assert_string_equal(out.e164, e164);
	assert_string_equal(out.national, national);
	assert_string_equal(out.international, international);
	assert_string_equal(out.region, region_out);
	assert_string_equal(phone_type_name(out.type), phone_type_name(type));
	assert_int_equal(out.type, type);
}

static void
expect_reason_at(const char *text, size_t len, const char *region,
    enum phone_reason want, const char *file, int line)
{
	struct phone_info out, before;
	enum phone_reason r;

	memset(&out, 0xAB, sizeof out);
	before = out;
	r = parse_exact(text, len, region, &out);
	if (r != want) {
		print_error("%s:%d: \"%.*s\" (region %s): got %s, want %s\n",
		    file, line, (int)len, text, region ? region : "NULL",
		    phone_reason_code(r), phone_reason_code(want));
		_fail(file, line);
	}
	/* The contract: *out is written only on success. */
	if (want != PHONE_OK)
		assert_memory_equal(&out, &before, sizeof out);
	/* Validation alone must agree with the full parse. */
	assert_int_equal(parse_exact(text, len, region, NULL), want);
}

#define EXPECT_OK(text, region, e164, nat, intl, reg, type) \
	expect_ok_at((text), strlen(text), (region), (e164), (nat), (intl), \
	    (reg), (type), __FILE__, __LINE__)
#define EXPECT_REASON(text, region, want) \
	expect_reason_at((text), strlen(text), (region), (want), __FILE__, \
	    __LINE__)
#define EXPECT_REASON_N(text, len, region, want) \
	expect_reason_at((text), (len), (region), (want), __FILE__, __LINE__)

/* The one US number most tests use, and what it formats to. */
#define US_E164 "+12025550143"
#define US_NAT "(202) 555-0143"
#define US_INTL "+1 202-555-0143"
#define EXPECT_US(text) \
	EXPECT_OK((text), "US", US_E164, US_NAT, US_INTL, "US", \
	    PHONE_TYPE_FIXED_LINE_OR_MOBILE)

static void
test_us_written_forms(void **state)
{
	(void)state;
	EXPECT_US("(202) 555-0143");
	EXPECT_US("(202)555-0143");
	EXPECT_US("202.555.0143");
	EXPECT_US("202-555-0143");
	EXPECT_US("202 555 0143");
	EXPECT_US("2025550143");
	EXPECT_US("+1 202 555 0143");
	EXPECT_US("+1-202-555-0143");
	EXPECT_US("+1 (202) 555-0143");
	EXPECT_US("+12025550143");
	EXPECT_US("1-202-555-0143");
	EXPECT_US("1 (202) 555-0143");
	EXPECT_US("12025550143");
	EXPECT_US("tel:+1-202-555-0143");
	/* International dialling prefix from the US. */
	EXPECT_US("011 1 202 555 0143");
}

static void
test_us_surrounding_blanks(void **state)
{
	(void)state;
	EXPECT_US("  (202) 555-0143  ");
	EXPECT_US("\t202-555-0143\r\n");
	EXPECT_US("\n\v\f +1 202 555 0143 \f\v\n");
	/* U+00A0, as spreadsheets export it. */
	EXPECT_US("\xc2\xa0" "202 555 0143" "\xc2\xa0");
	/* Full-width digits (U+FF10..) are digits to libphonenumber. */
	EXPECT_US("\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92 555 0143");
}

static void
test_us_other_555_01xx(void **state)
{
	(void)state;
	EXPECT_OK("212-555-0100", "US", "+12125550100", "(212) 555-0100",
	    "+1 212-555-0100", "US", PHONE_TYPE_FIXED_LINE_OR_MOBILE);
	EXPECT_OK("202 555 0199", "US", "+12025550199", "(202) 555-0199",
	    "+1 202-555-0199", "US", PHONE_TYPE_FIXED_LINE_OR_MOBILE);
	/* NANP shares +1; the region comes from the area code. */
	EXPECT_OK("+1 416 555 0143", "US", "+14165550143", "(416) 555-0143",
	    "+1 416-555-0143", "CA", PHONE_TYPE_FIXED_LINE_OR_MOBILE);
	EXPECT_OK("876 555 0143", "US", "+18765550143", "(876) 555-0143",
	    "+1 876-555-0143", "JM", PHONE_TYPE_MOBILE);
}

static void
test_us_toll_free_is_dialable(void **state)
{
	(void)state;
	EXPECT_OK("1-800-555-0199", "US", "+18005550199", "(800) 555-0199",
	    "+1 800-555-0199", "US", PHONE_TYPE_TOLL_FREE);
}

static void
test_extension_kept_in_display_forms(void **state)
{
	(void)state;
	EXPECT_OK("202-555-0143 ext. 12", "US", US_E164,
	    "(202) 555-0143 ext. 12", "+1 202-555-0143 ext. 12", "US",
	    PHONE_TYPE_FIXED_LINE_OR_MOBILE);
	EXPECT_OK("(202) 555-0143 x12", "US", US_E164,
	    "(202) 555-0143 ext. 12", "+1 202-555-0143 ext. 12", "US",
	    PHONE_TYPE_FIXED_LINE_OR_MOBILE);
	EXPECT_OK("+12025550143;ext=9", "US", US_E164,
	    "(202) 555-0143 ext. 9", "+1 202-555-0143 ext. 9", "US",
	    PHONE_TYPE_FIXED_LINE_OR_MOBILE);
	/* The UK's preferred extension prefix is " x". */
	EXPECT_OK("+44 20 7946 0958 ext 7", "US", "+442079460958",
	    "020 7946 0958 x7", "+44 20 7946 0958 x7", "GB",
	    PHONE_TYPE_FIXED_LINE);
}

static void
test_trailing_words_become_digits(void **state)
{
	(void)state;
	/*
	 * libphonenumber reads letters as keypad digits, so a note after the
	 * number lengthens it ("home" = 4663) instead of being ignored.
	 */
	EXPECT_REASON("(202) 555-0143 (home)", "US", PHONE_TOO_LONG);
}

static void
test_international_from_us(void **state)
{
	(void)state;
	EXPECT_OK("+44 20 7946 0958", "US", "+442079460958", "020 7946 0958",
	    "+44 20 7946 0958", "GB", PHONE_TYPE_FIXED_LINE);
	EXPECT_OK("011 44 20 7946 0958", "US", "+442079460958",
	    "020 7946 0958", "+44 20 7946 0958", "GB", PHONE_TYPE_FIXED_LINE);
	EXPECT_OK("+44 (0)20 7946 0958", "US", "+442079460958",
	    "020 7946 0958", "+44 20 7946 0958", "GB", PHONE_TYPE_FIXED_LINE);
	EXPECT_OK("+61 491 570 156", "US", "+61491570156", "0491 570 156",
	    "+61 491 570 156", "AU", PHONE_TYPE_MOBILE);
	EXPECT_OK("+61 4 9157 0156", "US", "+61491570156", "0491 570 156",
	    "+61 491 570 156", "AU", PHONE_TYPE_MOBILE);
	EXPECT_OK("+49 30 23125123", "US", "+493023125123", "030 23125123",
	    "+49 30 23125123", "DE", PHONE_TYPE_FIXED_LINE);
	EXPECT_OK("+49 (0)30 23125 000", "US", "+493023125000",
	    "030 23125000", "+49 30 23125000", "DE", PHONE_TYPE_FIXED_LINE);
	EXPECT_OK("+33 1 99 00 12 34", "US", "+33199001234", "01 99 00 12 34",
	    "+33 1 99 00 12 34", "FR", PHONE_TYPE_FIXED_LINE);
}

static void
test_national_forms_other_regions(void **state)
{
	(void)state;
	EXPECT_OK("020 7946 0958", "GB", "+442079460958", "020 7946 0958",
	    "+44 20 7946 0958", "GB", PHONE_TYPE_FIXED_LINE);
	EXPECT_OK("0044 20 7946 0958", "GB", "+442079460958",
	    "020 7946 0958", "+44 20 7946 0958", "GB", PHONE_TYPE_FIXED_LINE);
	EXPECT_OK("0191 498 0123", "GB", "+441914980123", "0191 498 0123",
	    "+44 191 498 0123", "GB", PHONE_TYPE_FIXED_LINE);
	EXPECT_OK("0808 157 0000", "GB", "+448081570000", "0808 157 0000",
	    "+44 808 157 0000", "GB", PHONE_TYPE_TOLL_FREE);
	EXPECT_OK("0491 570 156", "AU", "+61491570156", "0491 570 156",
	    "+61 491 570 156", "AU", PHONE_TYPE_MOBILE);
	EXPECT_OK("030 23125 123", "DE", "+493023125123", "030 23125123",
	    "+49 30 23125123", "DE", PHONE_TYPE_FIXED_LINE);
	/* A +1 number parses the same whatever the assumed region. */
	EXPECT_OK("+1 202 555 0143", "GB", US_E164, US_NAT, US_INTL, "US",
	    PHONE_TYPE_FIXED_LINE_OR_MOBILE);
}

static void
test_reason_empty(void **state)
{
	(void)state;
	EXPECT_REASON("", "US", PHONE_EMPTY);
	EXPECT_REASON("   ", "US", PHONE_EMPTY);
	EXPECT_REASON(" \t\r\n\v\f ", "US", PHONE_EMPTY);
	EXPECT_REASON("\xc2\xa0\xc2\xa0", "US", PHONE_EMPTY);
	EXPECT_REASON("   ", NULL, PHONE_EMPTY);
	assert_int_equal(phone_parse(NULL, 0, "US", NULL), PHONE_EMPTY);
	assert_int_equal(phone_parse("", 0, "US", NULL), PHONE_EMPTY);
	/* A length of 0 wins over whatever the pointer points at. */
	assert_int_equal(phone_parse("2025550143", 0, "US", NULL),
	    PHONE_EMPTY);
}

static void
test_reason_not_a_number(void **state)
{
	(void)state;
	EXPECT_REASON("abc", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("n/a", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("+", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("-", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("1", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("+1", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("abc", NULL, PHONE_NOT_A_NUMBER);
}

static void
test_reason_too_short(void **state)
{
	(void)state;
	EXPECT_REASON("12", "US", PHONE_TOO_SHORT);
	EXPECT_REASON("+1 202 555 014", "US", PHONE_TOO_SHORT);
	/* Subscriber number without its area code. */
	EXPECT_REASON("555-0143", "US", PHONE_TOO_SHORT);
	/* libphonenumber's TOO_SHORT_NSN. */
	EXPECT_REASON("+44 1", "US", PHONE_TOO_SHORT);
	/* libphonenumber's TOO_SHORT_AFTER_IDD. */
	EXPECT_REASON("011 4", "US", PHONE_TOO_SHORT);
	EXPECT_REASON("+44 12", "GB", PHONE_TOO_SHORT);
}

static void
test_reason_too_long(void **state)
{
	(void)state;
	/* libphonenumber's TOO_LONG_NSN, from Parse. */
	EXPECT_REASON("12345678901234567890", "US", PHONE_TOO_LONG);
	EXPECT_REASON("+44 20 7946 0958 0958 0958 0958", "US",
	    PHONE_TOO_LONG);
	/* Parses, but longer than any +1 number. */
	EXPECT_REASON("+1 202 555 01430", "US", PHONE_TOO_LONG);
	EXPECT_REASON("+12025550143999", "US", PHONE_TOO_LONG);
}

static void
test_input_length_limit(void **state)
{
	char buf[256];
	size_t i;

	(void)state;
	/* Blanks inside the number are fine, up to 64 bytes in all. */
	memset(buf, ' ', sizeof buf);
	memcpy(buf, "+1", 2);
	memcpy(buf + 64 - 10, "2025550143", 10);
	expect_ok_at(buf, 64, "US", US_E164, US_NAT, US_INTL, "US",
	    PHONE_TYPE_FIXED_LINE_OR_MOBILE, __FILE__, __LINE__);
	/* One more byte and it is refused before libphonenumber sees it. */
	memset(buf, ' ', sizeof buf);
	memcpy(buf, "+1", 2);
	memcpy(buf + 65 - 10, "2025550143", 10);
	EXPECT_REASON_N(buf, 65, "US", PHONE_TOO_LONG);

	/* The limit counts what is left after trimming the ends. */
	memset(buf, ' ', sizeof buf);
	memcpy(buf + 100, "(202) 555-0143", 14);
	expect_ok_at(buf, sizeof buf, "US", US_E164, US_NAT, US_INTL, "US",
	    PHONE_TYPE_FIXED_LINE_OR_MOBILE, __FILE__, __LINE__);

	/* A huge cell is refused, not parsed. */
	{
		size_t n = 1 << 20;
		char *big = malloc(n);

		assert_non_null(big);
		for (i = 0; i < n; i++)
			big[i] = (char)('0' + i % 10);
		EXPECT_REASON_N(big, n, "US", PHONE_TOO_LONG);
		free(big);
	}
}

static void
test_reason_invalid_country_code(void **state)
{
	(void)state;
	EXPECT_REASON("+999 123 456", "US", PHONE_INVALID_COUNTRY_CODE);
	EXPECT_REASON("+999 123 456", NULL, PHONE_INVALID_COUNTRY_CODE);
	/* No + and no region to assume. */
	EXPECT_REASON("202 555 0143", NULL, PHONE_INVALID_COUNTRY_CODE);
	EXPECT_REASON("202 555 0143", "XX", PHONE_INVALID_COUNTRY_CODE);
	EXPECT_REASON("202 555 0143", "", PHONE_INVALID_COUNTRY_CODE);
	EXPECT_REASON("202 555 0143", "ZZ", PHONE_INVALID_COUNTRY_CODE);
	/* Region codes are upper case, as libphonenumber wants them. */
	EXPECT_REASON("202 555 0143", "us", PHONE_INVALID_COUNTRY_CODE);
	/* "00" is not the US international prefix. */
	EXPECT_REASON("00 44 20 7946 0958", "US", PHONE_TOO_LONG);
}

static void
test_null_or_unknown_region_with_plus(void **state)
{
	(void)state;
	EXPECT_OK("+1 202 555 0143", NULL, US_E164, US_NAT, US_INTL, "US",
	    PHONE_TYPE_FIXED_LINE_OR_MOBILE);
	EXPECT_OK("+61 491 570 156", NULL, "+61491570156", "0491 570 156",
	    "+61 491 570 156", "AU", PHONE_TYPE_MOBILE);
	EXPECT_OK("+44 20 7946 0958", "XX", "+442079460958", "020 7946 0958",
	    "+44 20 7946 0958", "GB", PHONE_TYPE_FIXED_LINE);
	EXPECT_OK("+44 20 7946 0958", "", "+442079460958", "020 7946 0958",
	    "+44 20 7946 0958", "GB", PHONE_TYPE_FIXED_LINE);
}

static void
test_reason_invalid(void **state)
{
	(void)state;
	/* NANP area codes and exchanges never start with 0 or 1. */
	EXPECT_REASON("(123) 456-7890", "US", PHONE_INVALID);
	EXPECT_REASON("(202) 055-0143", "US", PHONE_INVALID);
	/*
	 * Ofcom's drama mobile range is outside every range libphonenumber
	 * knows to be in service, so it is invalid, unlike 020 7946 0xxx.
	 */
	EXPECT_REASON("07700 900123", "GB", PHONE_INVALID);
	EXPECT_REASON("+44 7700 900000", "US", PHONE_INVALID);
	EXPECT_REASON("+44 20 7946 095", "US", PHONE_INVALID);
}

static void
test_reason_premium_rate_not_dialable(void **state)
{
	(void)state;
	EXPECT_REASON("+1 900 555 0143", "US", PHONE_NOT_DIALABLE);
	EXPECT_REASON("1-900-555-0199", "US", PHONE_NOT_DIALABLE);
	EXPECT_REASON("0909 879 0000", "GB", PHONE_NOT_DIALABLE);
	EXPECT_REASON("+44 909 879 0999", "US", PHONE_NOT_DIALABLE);
	EXPECT_REASON("1900 654 321", "AU", PHONE_NOT_DIALABLE);
	EXPECT_REASON("+61 1900 654 321", NULL, PHONE_NOT_DIALABLE);
}

static void
test_not_nul_terminated(void **state)
{
	/* No terminator anywhere: the length alone bounds the input. */
	static const char digits[10] = { '2', '0', '2', '5', '5', '5', '0',
	    '1', '4', '3' };
	static const char longer[] = "202-555-0143999 and more";
	struct phone_info out;

	(void)state;
	assert_int_equal(phone_parse(digits, sizeof digits, "US", &out),
	    PHONE_OK);
	assert_string_equal(out.e164, US_E164);

	/* Only the first 12 bytes count; the rest would make it too long. */
	expect_ok_at(longer, 12, "US", US_E164, US_NAT, US_INTL, "US",
	    PHONE_TYPE_FIXED_LINE_OR_MOBILE, __FILE__, __LINE__);
	EXPECT_REASON_N(longer, 15, "US", PHONE_TOO_LONG);
	EXPECT_REASON_N(longer, 2, "US", PHONE_TOO_SHORT);
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	/*
	 * libphonenumber refuses any string that is not valid UTF-8, even
	 * when the digits around the bad byte make a good number.
	 */
	EXPECT_REASON("202\xff" "555\xfe" "0143", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("+1 202 555 0143 \xff", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("\xc3\x28" "202 555 0143", "US", PHONE_NOT_A_NUMBER);
	/* Overlong encoding of '0'. */
	EXPECT_REASON("\xc0\xb0" "202 555 0143", "US", PHONE_NOT_A_NUMBER);
	/* Truncated sequence at the very end of the input. */
	EXPECT_REASON("202 555 0143\xe2\x82", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("\x80", "US", PHONE_NOT_A_NUMBER);
	/* A lone 0xC2 is not the start of U+00A0 and must not be trimmed. */
	EXPECT_REASON("\xc2", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("\xc2" "202 555 0143", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("202 555 0143\xc2", "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON("202 555 0143\xa0", "US", PHONE_NOT_A_NUMBER);
}

static void
test_embedded_nul(void **state)
{
	static const char inside[] = "202\0" "555 0143";
	static const char after[] = "+1 202 555 0143";

	(void)state;
	/*
	 * A NUL is a byte of the input like any other, and libphonenumber
	 * will not read a number containing one. The second case (a caller
	 * counting the terminator) would be OK if anything stopped at it.
	 */
	EXPECT_REASON_N(inside, sizeof inside - 1, "US", PHONE_NOT_A_NUMBER);
	EXPECT_REASON_N(after, sizeof after, "US", PHONE_NOT_A_NUMBER);
}

static void
test_output_fits_and_terminated(void **state)
{
	struct phone_info out;

	(void)state;
	/* The longest extension libphonenumber reads after "ext". */
	memset(&out, 0xAB, sizeof out);
	assert_int_equal(phone_parse("202-555-0143 ext. 12345678901234567890",
	    strlen("202-555-0143 ext. 12345678901234567890"), "US", &out),
	    PHONE_OK);
	assert_string_equal(out.e164, US_E164);
	assert_string_equal(out.national,
	    "(202) 555-0143 ext. 12345678901234567890");
	assert_string_equal(out.international,
	    "+1 202-555-0143 ext. 12345678901234567890");
	assert_true(memchr(out.region, '\0', sizeof out.region) != NULL);
}

static void
test_region_supported(void **state)
{
	(void)state;
	assert_int_equal(phone_region_supported("US"), 1);
	assert_int_equal(phone_region_supported("GB"), 1);
	assert_int_equal(phone_region_supported("AU"), 1);
	assert_int_equal(phone_region_supported("DE"), 1);
	assert_int_equal(phone_region_supported("CA"), 1);
	assert_int_equal(phone_region_supported("JM"), 1);
	assert_int_equal(phone_region_supported(NULL), 0);
	assert_int_equal(phone_region_supported(""), 0);
	assert_int_equal(phone_region_supported("ZZ"), 0);
	assert_int_equal(phone_region_supported("XX"), 0);
	assert_int_equal(phone_region_supported("001"), 0);
	assert_int_equal(phone_region_supported("us"), 0);
	assert_int_equal(phone_region_supported("USA"), 0);
	assert_int_equal(phone_region_supported("U"), 0);
}

static void
test_every_reason_has_code_and_message(void **state)
{
	static const char *const want[] = {
		[PHONE_OK] = "ok",
		[PHONE_EMPTY] = "phone_empty",
		[PHONE_NOT_A_NUMBER] = "phone_not_a_number",
		[PHONE_INVALID_COUNTRY_CODE] = "phone_invalid_country_code",
		[PHONE_TOO_SHORT] = "phone_too_short",
		[PHONE_TOO_LONG] = "phone_too_long",
		[PHONE_INVALID] = "invalid_phone",
		[PHONE_NOT_DIALABLE] = "phone_not_dialable",
		[PHONE_INTERNAL] = "phone_internal",
	};
	int r, s;

	(void)state;
	assert_int_equal(sizeof want / sizeof want[0], PHONE_INTERNAL + 1);
	for (r = PHONE_OK; r <= PHONE_INTERNAL; r++) {
		const char *code = phone_reason_code((enum phone_reason)r);
		const char *msg = phone_reason_message((enum phone_reason)r);
		const char *c;

		assert_non_null(code);
		assert_string_equal(code, want[r]);
		for (c = code; *c != '\0'; c++)
			assert_true(islower((unsigned char)*c) || *c == '_');
		assert_non_null(msg);
		assert_true(strlen(msg) > 5);
		assert_true(isupper((unsigned char)msg[0]));
		assert_int_equal(msg[strlen(msg) - 1], '.');
		for (s = PHONE_OK; s < r; s++) {
			assert_string_not_equal(code,
			    phone_reason_code((enum phone_reason)s));
			assert_string_not_equal(msg,
			    phone_reason_message((enum phone_reason)s));
		}
	}
	/* Out of range still gives something printable. */
	assert_non_null(phone_reason_code((enum phone_reason)99));
	assert_non_null(phone_reason_message((enum phone_reason)99));
	assert_non_null(phone_reason_code((enum phone_reason)-1));
}

static void
test_type_names(void **state)
{
	static const char *const want[] = {
		[PHONE_TYPE_UNKNOWN] = "unknown",
		[PHONE_TYPE_FIXED_LINE] = "fixed_line",
		[PHONE_TYPE_MOBILE] = "mobile",
		[PHONE_TYPE_FIXED_LINE_OR_MOBILE] = "fixed_line_or_mobile",
		[PHONE_TYPE_TOLL_FREE] = "toll_free",
		[PHONE_TYPE_PREMIUM_RATE] = "premium_rate",
		[PHONE_TYPE_SHARED_COST] = "shared_cost",
		[PHONE_TYPE_VOIP] = "voip",
		[PHONE_TYPE_PERSONAL_NUMBER] = "personal_number",
		[PHONE_TYPE_PAGER] = "pager",
		[PHONE_TYPE_UAN] = "uan",
		[PHONE_TYPE_VOICEMAIL] = "voicemail",
	};
	int t;

	(void)state;
	assert_int_equal(sizeof want / sizeof want[0],
	    PHONE_TYPE_VOICEMAIL + 1);
	for (t = PHONE_TYPE_UNKNOWN; t <= PHONE_TYPE_VOICEMAIL; t++)
		assert_string_equal(phone_type_name((enum phone_type)t),
		    want[t]);
	assert_string_equal(phone_type_name((enum phone_type)99), "unknown");
}

static void
test_other_types(void **state)
{
	(void)state;
	/* Ofcom's drama UAN range (03) and ACMA's 13/1300 are shared cost. */
	EXPECT_OK("0306 999 0000", "GB", "+443069990000", "0306 999 0000",
	    "+44 306 999 0000", "GB", PHONE_TYPE_UAN);
	EXPECT_OK("1300 975 707", "AU", "+611300975707", "1300 975 707",
	    "+61 1300 975 707", "AU", PHONE_TYPE_SHARED_COST);
}

/*
 * stdout is the HTTP response in the CGI programs: nothing, including
 * libphonenumber's own logging on odd region codes, may reach it.
 */
static void
test_nothing_on_stdout(void **state)
{
	char path[] = "/tmp/test_phone_stdout_XXXXXX";
	struct phone_info out;
	int saved, fd;
	off_t size;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);

	(void)phone_parse("202 555 0143", 12, "XX", &out);
	(void)phone_parse("202 555 0143", 12, "001", &out);
	(void)phone_parse("+999 1", 6, NULL, &out);
	(void)phone_parse("\xff", 1, "US", &out);
	(void)phone_parse("(123) 456-7890", 14, "US", &out);
	(void)phone_region_supported("001");
	(void)phone_region_supported("XX");
	(void)phone_region_supported("");

	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	size = lseek(fd, 0, SEEK_END);
	close(fd);
	unlink(path);
	assert_int_equal(size, 0);
}

struct worker {
	const char *text;
	const char *region;
	const char *e164;
	int failures;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct phone_info out;
	int i;

	for (i = 0; i < 200; i++) {
		if (phone_parse(w->text, strlen(w->text), w->region, &out) !=
		    PHONE_OK || strcmp(out.e164, w->e164) != 0)
			w->failures++;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct worker w[4] = {
		{ "(202) 555-0143", "US", US_E164, 0 },
		{ "020 7946 0958", "GB", "+442079460958", 0 },
		{ "0491 570 156", "AU", "+61491570156", 0 },
		{ "+49 30 23125123", NULL, "+493023125123", 0 },
	};
	pthread_t t[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_run,
		    &w[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_us_written_forms),
		cmocka_unit_test(test_us_surrounding_blanks),
		cmocka_unit_test(test_us_other_555_01xx),
		cmocka_unit_test(test_us_toll_free_is_dialable),
		cmocka_unit_test(test_extension_kept_in_display_forms),
		cmocka_unit_test(test_trailing_words_become_digits),
		cmocka_unit_test(test_international_from_us),
		cmocka_unit_test(test_national_forms_other_regions),
		cmocka_unit_test(test_reason_empty),
		cmocka_unit_test(test_reason_not_a_number),
		cmocka_unit_test(test_reason_too_short),
		cmocka_unit_test(test_reason_too_long),
		cmocka_unit_test(test_input_length_limit),
		cmocka_unit_test(test_reason_invalid_country_code),
		cmocka_unit_test(test_null_or_unknown_region_with_plus),
		cmocka_unit_test(test_reason_invalid),
		cmocka_unit_test(test_reason_premium_rate_not_dialable),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_output_fits_and_terminated),
		cmocka_unit_test(test_region_supported),
		cmocka_unit_test(test_every_reason_has_code_and_message),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_other_types),
		cmocka_unit_test(test_nothing_on_stdout),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
