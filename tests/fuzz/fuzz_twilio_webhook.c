/*
 * Twilio webhooks: the signature check (lib/twiliosig.c, form and JSON
 * flavours), the event parsing in lib/twilio.c, and what callflow does
 * with an event for a call it does not know, against an in-memory
 * database (rolled back after each input).
 *
 * Input: a flags byte (the webhook kind; sign the request with our token
 * or take the signature line as sent; the media type), a URL line (a
 * whole URL when it starts with "http", else the query of ours), a
 * signature line, then the form body. Signing makes the fuzzer reach the
 * parsers behind the check.
 *
 * Checked: a request we signed is never refused as forged when it names
 * our account (and its URL is one Twilio's library takes), and the same
 * signature with one character changed is;
 * an event read has a key and a name and SIDs of the right kind; callflow
 * answers with 204 or TwiML and never fails on an unknown call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callflow.h"
#include "form.h"
#include "fuzz_util.h"
#include "provider.h"
#include "twiliosig.h"

extern const struct provider provider_twilio;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOKEN "fuzz0auth0token0fuzz0auth0token0"
#define ACCOUNT "AC00000000000000000000000000000f22"
#define BASE "https://dialer.example.test"

static const char *const kinds[] = {
	"voice", "call-status", "conference-status", "consent", "recording-status", "events",
};

/* The X-Twilio-Signature of this input; NULL when not sent. */
static const char *signature;

static const char *
header(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "X-Twilio-Signature") == 0 ? signature : NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	FUZZ_CHECK(setenv("TWILIO_AUTH_TOKEN", TOKEN, 1) == 0);
	FUZZ_CHECK(setenv("TWILIO_ACCOUNT_SID", ACCOUNT, 1) == 0);
	FUZZ_CHECK(setenv("DIALER_PUBLIC_URL", BASE, 1) == 0);
	FUZZ_CHECK(setenv("DIALER_RECORDING_CONSENT_TEXT",
	    "This call may be recorded & kept <30 days>.", 1) == 0);
	fuzz_config();
	fuzz_db();
	return 0;
}

/* A copy of s[0..n) as a C string (cut at a NUL); the caller frees. */
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

static int
sid_kind(const char *sid, const char *prefix)
{
	return sid[0] == '\0' || strncmp(sid, prefix, 2) == 0;
}

static void
check_event(const struct provider_event *ev)
{
	FUZZ_CHECK(memchr(ev->key, '\0', sizeof(ev->key)) != NULL && ev->key[0] != '\0');
	FUZZ_CHECK(memchr(ev->name, '\0', sizeof(ev->name)) != NULL && ev->name[0] != '\0');
	FUZZ_CHECK(sid_kind(ev->call_sid, "CA") && sid_kind(ev->conference_sid, "CF"));
	FUZZ_CHECK(sid_kind(ev->recording_sid, "RE"));
	FUZZ_CHECK(ev->duration_s >= -1);
}

/* What callflow does with it: nothing is known of the call. */
static void
apply(const struct provider_event *ev, long long hint, const char *body, size_t len)
{
	struct provider_reply reply;

	fuzz_sql("BEGIN");
	FUZZ_CHECK(callflow_webhook(&provider_twilio, ev, hint, body, len, &reply) == DL_OK);
	fuzz_sql("ROLLBACK");
	if (reply.content_type[0] == '\0') {
		FUZZ_CHECK(reply.len == 0);
	} else {
		FUZZ_CHECK(strncmp(reply.content_type, "text/xml", 8) == 0);
		FUZZ_CHECK(reply.len == strlen(reply.body) && reply.len > 0);
		FUZZ_CHECK(strncmp(reply.body, "<?xml", 5) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_take_byte(&in);
	const char *kind = kinds[(flags & 7) % 6], *line;
	int sign = (flags & 0x08) != 0, form_media = (flags & 0x10) == 0;
	char computed[TWILIOSIG_LEN], *url, *sent, *body;
	struct provider_webhook hook;
	struct provider_event ev;
	struct form *f = NULL;
	size_t n, cap;
	enum dl_err err;
	char first;
	int accepted = 0;

	line = fuzz_take_line(&in, &n);
	if (n >= 4 && memcmp(line, "http", 4) == 0) {
		url = cstr(line, n);
	} else {
		char *q = cstr(line, n);

		cap = strlen(BASE) + 64 + strlen(q);
		FUZZ_CHECK((url = malloc(cap)) != NULL);
		snprintf(url, cap, "%s/api/v1/twilio/%s%s%s", BASE, kind, *q ? "?" : "", q);
		free(q);
	}
	line = fuzz_take_line(&in, &n);
	sent = cstr(line, n);
	body = cstr((const char *)in.p, in.n);

	signature = sent;
	if (form_parse(body, strlen(body), &f) == DL_OK) {
		FUZZ_CHECK(twiliosig_compute(TOKEN, url, f, computed, sizeof(computed)) == DL_OK);
		/* 0 only for a URL with a port Python would not take. */
		accepted = twiliosig_valid(TOKEN, url, f, computed);
		first = computed[0];
		computed[0] = first == 'A' ? 'B' : 'A';
		FUZZ_CHECK(twiliosig_valid(TOKEN, url, f, computed) == 0);
		computed[0] = first;
		if (sign)
			signature = computed;
	}
	twiliosig_valid_body(TOKEN, url, body, strlen(body), sent);

	memset(&hook, 0, sizeof(hook));
	hook.kind = kind;
	hook.url = url;
	hook.header = header;
	hook.media_type = form_media ? "application/x-www-form-urlencoded" : "application/json";
	hook.body = body;
	hook.bodylen = strlen(body);
	hook.now_unix = 1795000000;
	err = provider_twilio.webhook(&hook, &ev);
	FUZZ_CHECK(err == DL_OK || err == DL_ERR_AUTH || err == DL_ERR_INVALID ||
	    err == DL_ERR_NOTFOUND || err == DL_ERR_UNSUPPORTED);
	if (sign && accepted && form_media && strcmp(kind, "events") != 0 &&
	    form_get(f, "AccountSid") != NULL && strcmp(form_get(f, "AccountSid"), ACCOUNT) == 0)
		FUZZ_CHECK(err != DL_ERR_AUTH);
	if (err == DL_OK) {
		check_event(&ev);
		apply(&ev, (long long)(flags >> 5), body, strlen(body));
	}
	form_free(f);
	free(body);
	free(sent);
	free(url);
	return 0;
}
