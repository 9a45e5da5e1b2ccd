/*
 * Tests for lib/secure.c: comparison, SHA-256, HMAC, base64, hex, random.
 * Vectors: FIPS 180-2 (SHA-256), RFC 4231 (HMAC-SHA256), RFC 4648 (base64).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "secure.h"

static void
hex32(const unsigned char in[32], char out[65])
{
	assert_int_equal(secure_hex(in, 32, out, 65), DL_OK);
}

/* --- secure_equal / secure_streq ------------------------------------ */

static void
test_equal(void **state)
{
	(void)state;
	assert_int_equal(secure_equal("abc", 3, "abc", 3), 1);
	assert_int_equal(secure_equal("abc", 3, "abd", 3), 0);
	assert_int_equal(secure_equal("abc", 3, "xbc", 3), 0);
	assert_int_equal(secure_equal("abc", 3, "abcd", 4), 0);
	assert_int_equal(secure_equal("abcd", 4, "abc", 3), 0);
	/* Equal prefixes of different lengths are not equal. */
	assert_int_equal(secure_equal("abc", 2, "abc", 3), 0);
	assert_int_equal(secure_equal("", 0, "", 0), 1);
	/* Bytes after a NUL count. */
	assert_int_equal(secure_equal("a\0b", 3, "a\0c", 3), 0);
	assert_int_equal(secure_equal("a\0b", 3, "a\0b", 3), 1);
}

static void
test_streq(void **state)
{
	(void)state;
	assert_int_equal(secure_streq("token", "token"), 1);
	assert_int_equal(secure_streq("token", "tokem"), 0);
	assert_int_equal(secure_streq("token", "token2"), 0);
	assert_int_equal(secure_streq("token2", "token"), 0);
	assert_int_equal(secure_streq("", ""), 1);
	assert_int_equal(secure_streq("", "a"), 0);
	assert_int_equal(secure_streq(NULL, "a"), 0);
	assert_int_equal(secure_streq("a", NULL), 0);
	assert_int_equal(secure_streq(NULL, NULL), 0);
	assert_int_equal(secure_streq(NULL, ""), 0);
}

/* --- SHA-256 / HMAC -------------------------------------------------- */

static void
test_sha256_vectors(void **state)
{
	unsigned char d[32];
	char h[65];
	static const char two_blocks[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	(void)state;
	secure_sha256("abc", 3, d);
	hex32(d, h);
	assert_string_equal(h,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	secure_sha256("", 0, d);
	hex32(d, h);
	assert_string_equal(h,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	secure_sha256(two_blocks, strlen(two_blocks), d);
	hex32(d, h);
	assert_string_equal(h,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_hmac_rfc4231_case1(void **state)
{
	unsigned char key[20], mac[32];
	char h[65];

	(void)state;
	memset(key, 0x0b, sizeof(key));
	assert_int_equal(secure_hmac_sha256(key, sizeof(key), "Hi There", 8, mac), DL_OK);
	hex32(mac, h);
	assert_string_equal(h,
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void
test_hmac_rfc4231_case2(void **state)
{
	static const char data[] = "what do ya want for nothing?";
	unsigned char mac[32];
	char h[65];

	(void)state;
	assert_int_equal(secure_hmac_sha256("Jefe", 4, data, strlen(data), mac), DL_OK);
	hex32(mac, h);
	assert_string_equal(h,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void
test_hmac_rfc4231_case6_long_key(void **state)
{
	static const char data[] =
	    "Test Using Larger Than Block-Size Key - Hash Key First";
	unsigned char key[131], mac[32];
	char h[65];

	(void)state;
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(secure_hmac_sha256(key, sizeof(key), data, strlen(data), mac), DL_OK);
	hex32(mac, h);
	assert_string_equal(h,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void
test_hmac_key_matters(void **state)
{
	unsigned char a[32], b[32];

	(void)state;
	assert_int_equal(secure_hmac_sha256("k1", 2, "msg", 3, a), DL_OK);
	assert_int_equal(secure_hmac_sha256("k2", 2, "msg", 3, b), DL_OK);
	assert_memory_not_equal(a, b, 32);
	assert_int_equal(secure_hmac_sha256("k1", 2, "msg", 3, b), DL_OK);
	assert_memory_equal(a, b, 32);
}

/* --- base64 ---------------------------------------------------------- */

static void
test_b64_rfc4648(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(out, 'X', sizeof(out));
		assert_int_equal(secure_b64(v[i].in, strlen(v[i].in), out, sizeof(out)), DL_OK);
		assert_string_equal(out, v[i].out);
	}
}

static void
test_b64_alphabet(void **state)
{
	static const unsigned char in[] = { 0xfb, 0xef, 0xff, 0xfb, 0xff };
	char out[16];

	(void)state;
	assert_int_equal(secure_b64(in, 3, out, sizeof(out)), DL_OK);
	assert_string_equal(out, "++//");
	assert_int_equal(secure_b64(in, 5, out, sizeof(out)), DL_OK);
	assert_string_equal(out, "++//+/8=");
}

static void
test_b64_toobig(void **state)
{
	char out[16];

	(void)state;
	memset(out, 'X', sizeof(out));
	/* "foo" -> "Zm9v" needs 5 bytes with the NUL. */
	assert_int_equal(secure_b64("foo", 3, out, 4), DL_ERR_TOOBIG);
	assert_int_equal(secure_b64("foo", 3, out, 5), DL_OK);
	assert_string_equal(out, "Zm9v");
	assert_int_equal(out[5], 'X');
	/* "f" -> "Zg==" also needs 5. */
	assert_int_equal(secure_b64("f", 1, out, 4), DL_ERR_TOOBIG);
	assert_int_equal(secure_b64("", 0, out, 0), DL_ERR_TOOBIG);
	assert_int_equal(secure_b64("", 0, out, 1), DL_OK);
	assert_string_equal(out, "");
}

static void
test_b64url_vectors(void **state)
{
	static const unsigned char in[] = { 0xfb, 0xef, 0xff, 0xfb, 0xff };
	char out[16];

	(void)state;
	assert_int_equal(secure_b64url("", 0, out, sizeof(out)), DL_OK);
	assert_string_equal(out, "");
	/* Unpadded: 1 byte -> 2 chars, 2 -> 3, 3 -> 4. */
	assert_int_equal(secure_b64url("f", 1, out, sizeof(out)), DL_OK);
	assert_string_equal(out, "Zg");
	assert_int_equal(secure_b64url("fo", 2, out, sizeof(out)), DL_OK);
	assert_string_equal(out, "Zm8");
	assert_int_equal(secure_b64url("foo", 3, out, sizeof(out)), DL_OK);
	assert_string_equal(out, "Zm9v");
	assert_int_equal(secure_b64url("foobar", 6, out, sizeof(out)), DL_OK);
	assert_string_equal(out, "Zm9vYmFy");
	/* '-' and '_' instead of '+' and '/'. */
	assert_int_equal(secure_b64url(in, 3, out, sizeof(out)), DL_OK);
	assert_string_equal(out, "--__");
	assert_int_equal(secure_b64url(in, 5, out, sizeof(out)), DL_OK);
	assert_string_equal(out, "--__-_8");
}

static void
test_b64url_32_bytes_is_43_chars(void **state)
{
	unsigned char zero[32], ones[32];
	char out[64];
	size_t i;

	(void)state;
	memset(zero, 0, sizeof(zero));
	memset(ones, 0xff, sizeof(ones));

	/* Exactly 43 + 1 is enough, and nothing past it is touched. */
	memset(out, 'X', sizeof(out));
	assert_int_equal(secure_b64url(zero, 32, out, 44), DL_OK);
	assert_int_equal(strlen(out), 43);
	for (i = 0; i < 43; i++)
		assert_int_equal(out[i], 'A');
	assert_int_equal(out[44], 'X');

	memset(out, 'X', sizeof(out));
	assert_int_equal(secure_b64url(ones, 32, out, 44), DL_OK);
	assert_string_equal(out, "__________________________________________8");
	assert_int_equal(out[44], 'X');

	/* One byte short. */
	assert_int_equal(secure_b64url(zero, 32, out, 43), DL_ERR_TOOBIG);
	assert_int_equal(secure_b64url(zero, 32, out, 0), DL_ERR_TOOBIG);
}

static void
test_b64url_limits(void **state)
{
	unsigned char in[300];
	char out[512];

	(void)state;
	memset(in, 0x5a, sizeof(in));
	/* At most 258 input bytes: 344 characters. */
	assert_int_equal(secure_b64url(in, 258, out, sizeof(out)), DL_OK);
	assert_int_equal(strlen(out), 344);
	assert_int_equal(secure_b64url(in, 259, out, sizeof(out)), DL_ERR_TOOBIG);
	assert_int_equal(secure_b64url(in, 2, out, 3), DL_ERR_TOOBIG);
	assert_int_equal(secure_b64url(in, 2, out, 4), DL_OK);
	assert_int_equal(strlen(out), 3);
}

static void
test_b64_decode_vectors(void **state)
{
	unsigned char out[16];
	size_t n = 99;

	(void)state;
	assert_int_equal(secure_b64_decode("", out, sizeof(out), &n), DL_OK);
	assert_int_equal(n, 0);
	assert_int_equal(secure_b64_decode("Zg==", out, sizeof(out), &n), DL_OK);
	assert_int_equal(n, 1);
	assert_memory_equal(out, "f", 1);
	assert_int_equal(secure_b64_decode("Zm8=", out, sizeof(out), &n), DL_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "fo", 2);
	assert_int_equal(secure_b64_decode("Zm9vYmFy", out, sizeof(out), &n), DL_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(secure_b64_decode("++//+/8=", out, sizeof(out), &n), DL_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "\xfb\xef\xff\xfb\xff", 5);
}

static void
test_b64_round_trip(void **state)
{
	/* Decoding writes whole groups of 3 (padding included) before the
	 * length is trimmed: 88 characters need 66 bytes of room. */
	unsigned char in[64], back[66];
	char text[100];
	size_t n, got;

	(void)state;
	for (n = 0; n <= sizeof(in); n++) {
		assert_int_equal(secure_random(in, sizeof(in)), DL_OK);
		assert_int_equal(secure_b64(in, n, text, sizeof(text)), DL_OK);
		assert_int_equal(strlen(text), 4 * ((n + 2) / 3));
		got = 999;
		assert_int_equal(secure_b64_decode(text, back, sizeof(back), &got), DL_OK);
		assert_int_equal(got, n);
		if (n > 0)
			assert_memory_equal(back, in, n);
	}
}

static void
test_b64_decode_bad_input(void **state)
{
	static const char *const bad[] = {
		"Zg=",   /* length not a multiple of 4 */
		"Z",
		"Zm9vY",
		"Zm9!",  /* not in the alphabet */
		"Zm9v*mFy",
		"Zm-_",  /* base64url is not base64 */
		NULL
	};
	unsigned char out[16];
	size_t i, n;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		n = 77;
		if (secure_b64_decode(bad[i], out, sizeof(out), &n) != DL_ERR_INVALID)
			fail_msg("\"%s\" was accepted (%zu bytes)", bad[i], n);
	}
}

/* '=' only as the last one or two characters; nothing around the text. */
static void
test_b64_decode_misplaced_padding(void **state)
{
	static const char *const bad[] = {
		"A=BC",      /* padding inside a group */
		"AB=C",
		"Q===",      /* three pad characters */
		"====",      /* nothing but padding */
		"QQ==QUJD",  /* padding, then more data */
		"QQ==    ",  /* trailing blanks */
		"    QUJD",  /* leading blanks */
		NULL
	};
	unsigned char out[16];
	char accepted[256] = "";
	size_t i, n;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		n = 77;
		if (secure_b64_decode(bad[i], out, sizeof(out), &n) != DL_ERR_INVALID)
			snprintf(accepted + strlen(accepted), sizeof(accepted) - strlen(accepted),
			    " \"%s\"->%zu bytes;", bad[i], n);
	}
	if (accepted[0] != '\0')
		fail_msg("accepted:%s", accepted);
}

static void
test_b64_decode_toobig(void **state)
{
	unsigned char out[8];
	size_t n;

	(void)state;
	/* 4 characters can be 3 bytes; 2 bytes of room is too little. */
	assert_int_equal(secure_b64_decode("Zm9v", out, 2, &n), DL_ERR_TOOBIG);
	assert_int_equal(secure_b64_decode("Zm9v", out, 3, &n), DL_OK);
	assert_int_equal(n, 3);
}

/* --- hex ------------------------------------------------------------- */

static void
test_hex(void **state)
{
	static const unsigned char in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[16];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_int_equal(secure_hex(in, sizeof(in), out, 13), DL_OK);
	assert_string_equal(out, "00017f80abff");
	assert_int_equal(out[13], 'X');
	assert_int_equal(secure_hex(in, sizeof(in), out, 12), DL_ERR_TOOBIG);
	assert_int_equal(secure_hex(in, 0, out, 1), DL_OK);
	assert_string_equal(out, "");
	assert_int_equal(secure_hex(in, 0, out, 0), DL_ERR_TOOBIG);
}

/* --- random ---------------------------------------------------------- */

static void
test_random(void **state)
{
	unsigned char a[32], b[32], zero[32];
	unsigned char big[4096];
	int seen[256] = { 0 }, distinct = 0;
	size_t i;

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	assert_int_equal(secure_random(a, sizeof(a)), DL_OK);
	assert_int_equal(secure_random(b, sizeof(b)), DL_OK);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));

	/* 4096 random bytes hit nearly every byte value. */
	assert_int_equal(secure_random(big, sizeof(big)), DL_OK);
	for (i = 0; i < sizeof(big); i++)
		seen[big[i]] = 1;
	for (i = 0; i < 256; i++)
		distinct += seen[i];
	assert_true(distinct > 200);

	/* Only the requested bytes are written. */
	memset(a, 0xee, sizeof(a));
	assert_int_equal(secure_random(a, 16), DL_OK);
	for (i = 16; i < 32; i++)
		assert_int_equal(a[i], 0xee);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_streq),
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_hmac_rfc4231_case1),
		cmocka_unit_test(test_hmac_rfc4231_case2),
		cmocka_unit_test(test_hmac_rfc4231_case6_long_key),
		cmocka_unit_test(test_hmac_key_matters),
		cmocka_unit_test(test_b64_rfc4648),
		cmocka_unit_test(test_b64_alphabet),
		cmocka_unit_test(test_b64_toobig),
		cmocka_unit_test(test_b64url_vectors),
		cmocka_unit_test(test_b64url_32_bytes_is_43_chars),
		cmocka_unit_test(test_b64url_limits),
		cmocka_unit_test(test_b64_decode_vectors),
		cmocka_unit_test(test_b64_round_trip),
		cmocka_unit_test(test_b64_decode_bad_input),
		cmocka_unit_test(test_b64_decode_misplaced_padding),
		cmocka_unit_test(test_b64_decode_toobig),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
