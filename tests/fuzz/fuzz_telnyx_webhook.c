/*
 * Telnyx webhooks: the Ed25519 check over "{timestamp}|{body}" with the
 * timestamp window, and the JSON event parsing in lib/telnyx.c; then what
 * callflow does with an event for a call it does not know, against an
 * in-memory database (rolled back after each input). A key pair made at
 * start-up from a fixed seed stands in for Telnyx's.
 *
 * Input: a flags byte (the webhook kind; sign the body with our key or
 * take the timestamp and signature lines as sent; the media type; how far
 * the timestamp is from now), a timestamp line, a signature line (base64),
 * then the body (any bytes).
 *
 * Checked: a body we signed within the window is never refused as forged,
 * and with one byte changed always is; an event read has a key and a name;
 * callflow never fails on an unknown call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "callflow.h"
#include "fuzz_util.h"
#include "provider.h"
#include "secure.h"

extern const struct provider provider_telnyx;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1795000000LL

static const char *const kinds[] = { "events", "call-status", "conference-status", "voice" };
/* Seconds off now; the window is 300 either way. */
static const long long skews[] = { 0, 1, -1, 299, -300, 301, -301, 100000 };

static EVP_PKEY *key;
/* The headers of this input; NULL when not sent. */
static const char *sig_header, *ts_header;

static const char *
header(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "telnyx-signature-ed25519") == 0)
		return sig_header;
	if (strcmp(name, "telnyx-timestamp") == 0)
		return ts_header;
	return NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const unsigned char seed[32] = "fuzz-telnyx-ed25519-seed-000000";
	unsigned char pub[32];
	char pubb64[64];
	size_t publen = sizeof(pub);

	(void)argc, (void)argv;
	FUZZ_CHECK((key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    sizeof(seed))) != NULL);
	FUZZ_CHECK(EVP_PKEY_get_raw_public_key(key, pub, &publen) == 1 && publen == 32);
	FUZZ_CHECK(secure_b64(pub, publen, pubb64, sizeof(pubb64)) == DL_OK);
	FUZZ_CHECK(setenv("TELNYX_PUBLIC_KEY", pubb64, 1) == 0);
	FUZZ_CHECK(setenv("DIALER_PUBLIC_URL", "https://dialer.example.test", 1) == 0);
	fuzz_config();
	fuzz_db();
	return 0;
}

/* base64 of the Ed25519 signature over "ts|body" into out (>= 89 bytes). */
static void
sign(const char *ts, const uint8_t *body, size_t len, char *out, size_t outsz)
{
	size_t tslen = strlen(ts), siglen = 64;
	unsigned char sig[64], *msg;
	EVP_MD_CTX *md;

	FUZZ_CHECK((msg = malloc(tslen + 1 + len + 1)) != NULL);
	memcpy(msg, ts, tslen);
	msg[tslen] = '|';
	if (len > 0)
		memcpy(msg + tslen + 1, body, len);
	FUZZ_CHECK((md = EVP_MD_CTX_new()) != NULL);
	FUZZ_CHECK(EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1);
	FUZZ_CHECK(EVP_DigestSign(md, sig, &siglen, msg, tslen + 1 + len) == 1 && siglen == 64);
	EVP_MD_CTX_free(md);
	free(msg);
	FUZZ_CHECK(secure_b64(sig, siglen, out, outsz) == DL_OK);
}

static char *
cstr(const char *s, size_t n)
{
	const char *nul = memchr(s, '\0', n);
	char *c;

	if (nul != NULL)
		n = (size_t)(nul - s);
	FUZZ_CHECK((c = malloc(n + 1)) != NULL);
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

static enum dl_err
deliver(const char *kind, int json, const char *body, size_t len, struct provider_event *ev)
{
	struct provider_webhook hook;

	memset(&hook, 0, sizeof(hook));
	hook.kind = kind;
	hook.url = "https://dialer.example.test/api/v1/telnyx/events";
	hook.header = header;
	hook.media_type = json ? "application/json" : "application/x-www-form-urlencoded";
	hook.body = body;
	hook.bodylen = len;
	hook.now_unix = NOW;
	return provider_telnyx.webhook(&hook, ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_take_byte(&in);
	const char *kind = kinds[flags & 3], *line;
	int signing = (flags & 0x04) != 0, json = (flags & 0x08) == 0;
	long long skew = skews[(flags >> 4) & 7];
	char ts[32], sig[96], *sent_ts, *sent_sig, *body;
	struct provider_event ev;
	struct provider_reply reply;
	enum dl_err err;
	size_t n;

	line = fuzz_take_line(&in, &n);
	sent_ts = cstr(line, n);
	line = fuzz_take_line(&in, &n);
	sent_sig = cstr(line, n);
	/* NUL-terminated as lib/http hands it over, NULs inside and all. */
	FUZZ_CHECK((body = malloc(in.n + 1)) != NULL);
	if (in.n > 0)
		memcpy(body, in.p, in.n);
	body[in.n] = '\0';

	ts_header = sent_ts;
	sig_header = sent_sig;
	if (signing) {
		snprintf(ts, sizeof(ts), "%lld", NOW + skew);
		sign(ts, in.p, in.n, sig, sizeof(sig));
		ts_header = ts;
		sig_header = sig;
	}
	err = deliver(kind, json, body, in.n, &ev);
	FUZZ_CHECK(err == DL_OK || err == DL_ERR_AUTH || err == DL_ERR_INVALID ||
	    err == DL_ERR_NOTFOUND || err == DL_ERR_UNSUPPORTED);
	if (signing && json && strcmp(kind, "voice") != 0) {
		FUZZ_CHECK((err == DL_ERR_AUTH) == (skew > 300 || skew < -300));
		/* One byte changed: forged. */
		if (in.n > 0 && err != DL_ERR_AUTH) {
			struct provider_event other;

			body[in.n / 2] ^= 0x20;
			FUZZ_CHECK(deliver(kind, json, body, in.n, &other) == DL_ERR_AUTH);
			body[in.n / 2] ^= 0x20;
		}
	}
	if (err == DL_OK) {
		FUZZ_CHECK(strncmp(ev.key, "telnyx:", 7) == 0 &&
		    memchr(ev.key, '\0', sizeof(ev.key)) != NULL);
		FUZZ_CHECK(ev.name[0] != '\0' && memchr(ev.name, '\0', sizeof(ev.name)) != NULL);
		FUZZ_CHECK(ev.duration_s >= -1);
		/* Refusing a browser leg is a request to Telnyx: not here. */
		if (ev.type != PROVIDER_EV_OPERATOR_CONNECT) {
			fuzz_sql("BEGIN");
			FUZZ_CHECK(callflow_webhook(&provider_telnyx, &ev, flags >> 7, body, in.n,
			    &reply) == DL_OK);
			fuzz_sql("ROLLBACK");
			FUZZ_CHECK(reply.content_type[0] == '\0' && reply.len == 0);
		}
	}
	free(body);
	free(sent_sig);
	free(sent_ts);
	return 0;
}
