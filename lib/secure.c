#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "secure.h"

enum dl_err
secure_random(void *buf, size_t n)
{
	if (n > 0x7fffffff || RAND_bytes(buf, (int)n) != 1)
		return DL_ERR_CRYPTO;
	return DL_OK;
}

int
secure_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return 0;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

int
secure_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	return secure_equal(a, strlen(a), b, strlen(b));
}

/* SHA256() looks the algorithm up in OpenSSL 3's provider tables on every
 * call (EVP_Q_digest); a session check hashes on every request, so the
 * lookup is made once per process. */
void
secure_sha256(const void *data, size_t len, unsigned char out[32])
{
	static EVP_MD *md;

	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (md == NULL || EVP_Digest(data, len, out, NULL, md, NULL) != 1)
		SHA256(data, len, out);
}

enum dl_err
secure_hmac_sha256(const void *key, size_t keylen, const void *data,
    size_t len, unsigned char out[32])
{
	unsigned int outlen = 32;

	if (keylen > 0x7fffffff ||
	    HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &outlen) == NULL)
		return DL_ERR_CRYPTO;
	return DL_OK;
}

enum dl_err
secure_b64(const void *in, size_t n, char *out, size_t outsz)
{
	if (n > 0x3fffffff || outsz < 4 * ((n + 2) / 3) + 1)
		return DL_ERR_TOOBIG;
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return DL_OK;
}

enum dl_err
secure_b64url(const void *in, size_t n, char *out, size_t outsz)
{
	size_t len = 4 * (n / 3) + (n % 3 == 0 ? 0 : n % 3 + 1), i;
	char tmp[4 * 86 + 1];
	enum dl_err err;

	/* Unpadded text is shorter than padded: encode aside, then copy. */
	if (outsz < len + 1 || n > 3 * 86)
		return DL_ERR_TOOBIG;
	if ((err = secure_b64(in, n, tmp, sizeof(tmp))) != DL_OK)
		return err;
	for (i = 0; i < len; i++)
		out[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
	out[len] = '\0';
	return DL_OK;
}

enum dl_err
secure_b64_decode(const char *in, unsigned char *out, size_t outsz,
    size_t *outlen)
{
	size_t len = strlen(in), pad = 0, i;
	int n;

	if (len == 0) {
		*outlen = 0;
		return DL_OK;
	}
	if (len % 4 != 0 || len > 0x3fffffff)
		return DL_ERR_INVALID;
	if (outsz < len / 4 * 3)
		return DL_ERR_TOOBIG;
	while (pad < 2 && in[len - 1 - pad] == '=')
		pad++;
	/* OpenSSL's decoder skips blanks and reads '=' anywhere as zero bits:
	 * check the alphabet and the padding's place ourselves. */
	for (i = 0; i < len - pad; i++) {
		char c = in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return DL_ERR_INVALID;
	}
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad)
		return DL_ERR_INVALID;
	*outlen = (size_t)n - pad;
	return DL_OK;
}

enum dl_err
secure_hex(const void *in, size_t n, char *out, size_t outsz)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = in;
	size_t i;

	if (outsz < 2 * n + 1)
		return DL_ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
	return DL_OK;
}
