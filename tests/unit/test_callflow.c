/* callflow: the rules that need both the call row and its provider. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "callflow.h"
#include "config.h"
#include "db.h"
#include "testutil.h"

#define setup tu_fixture_setup
#define teardown tu_fixture_teardown

static void
new_call(const char *provider, struct call *c)
{
	struct calls_new in = { .to_phone = "+12025550143", .provider = provider };
	const char *limit;
	long retry;
	int replayed;

	assert_int_equal(calls_create(&in, c, &replayed, &limit, &retry), DL_OK);
}

/* Twilio configured with fake values: only its settings are looked at. */
static void
configure_twilio(void)
{
	setenv("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000", 1);
	setenv("TWILIO_AUTH_TOKEN", "fake", 1);
	setenv("TWILIO_API_KEY_SID", "SK00000000000000000000000000000000", 1);
	setenv("TWILIO_API_KEY_SECRET", "fake", 1);
	setenv("TWILIO_TWIML_APP_SID", "AP00000000000000000000000000000000", 1);
	setenv("DIALER_PUBLIC_URL", "https://dialer.example.com", 1);
}

static void
test_operator_join_timeout(void **state)
{
	struct provider_error perr;
	struct call c;

	(void)state;
	configure_twilio();
	new_call("twilio", &c);
	/* Within the timeout a queued call waits for its operator. */
	assert_int_equal(callflow_settle(&c, 0, &perr), DL_OK);
	assert_int_equal(c.status, CALL_QUEUED);
	tu_sql_exec("UPDATE calls SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-21 seconds')");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_settle(&c, 0, &perr), DL_OK);
	assert_int_equal(c.status, CALL_FAILED);
	assert_string_equal(c.failure_reason, "operator_not_connected");
	assert_string_not_equal(c.ended_at, "");
}

static void
test_sim_dials_at_once_and_ends(void **state)
{
	const struct provider *p;
	struct provider_error perr;
	struct call c;

	(void)state;
	assert_int_equal(provider_get("sim", &p, NULL, 0), DL_OK);
	new_call("sim", &c);
	assert_int_equal(callflow_joined(p, &c, &perr), DL_OK);
	assert_int_equal(c.status, CALL_INITIATED);
	assert_int_equal(strncmp(c.call_sid, "SIM", 3), 0);
	/* Joined twice (a replayed request): no second dial. */
	{
		char first[sizeof(c.call_sid)];

		memcpy(first, c.call_sid, sizeof(first));
		assert_int_equal(callflow_joined(p, &c, &perr), DL_OK);
		assert_string_equal(c.call_sid, first);
	}
	/* Ended before the answer: canceled. */
	assert_int_equal(callflow_end(p, &c, &perr), DL_OK);
	assert_int_equal(c.status, CALL_CANCELED);

	new_call("sim", &c);
	assert_int_equal(callflow_joined(p, &c, &perr), DL_OK);
	/* Five seconds after the dial the simulator has answered. */
	tu_sql_exec("UPDATE calls SET dialed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-5 seconds') "
	    "WHERE status = 'initiated'");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_settle(&c, 0, &perr), DL_OK);
	assert_int_equal(c.status, CALL_IN_PROGRESS);
	assert_int_equal(callflow_end(p, &c, &perr), DL_OK);
	assert_int_equal(c.status, CALL_COMPLETED);
	/* Hung up a second or so into the conversation: that is its length. */
	assert_true(c.duration_s >= 0 && c.duration_s <= 3);
}

static void
test_final_calls_are_left_alone(void **state)
{
	struct provider_error perr;
	struct call c;

	(void)state;
	new_call("sim", &c);
	assert_int_equal(calls_fail(c.id, "provider_error"), DL_OK);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	tu_sql_exec("UPDATE calls SET dialed_at = '2020-01-01T00:00:00Z'");
	assert_int_equal(callflow_settle(&c, 1, &perr), DL_OK);
	assert_int_equal(c.status, CALL_FAILED);
	assert_string_equal(c.failure_reason, "provider_error");
}

/* ---- webhooks, against a provider that records what it was asked ---- */

static int stub_dials, stub_ends, stub_fail_dial;
static char stub_admitted[64];
/* What the last dial asked for about recording. */
static int stub_record;
static char stub_recording_url[256], stub_dial_consent[256];
/* What happened to the prospect, in order: "consent answered ...". */
static char stub_steps[256];
static char stub_consent_hook[256], stub_consent_said[256];
static int stub_fail_consent;

static void
step(const char *what)
{
	size_t n = strlen(stub_steps);

	snprintf(stub_steps + n, sizeof(stub_steps) - n, "%s%s", n ? " " : "", what);
}

static enum dl_err
stub_join(const struct provider_ref *ref, const char *identity, struct provider_join *out,
    struct provider_error *perr)
{
	(void)ref, (void)identity, (void)out, (void)perr;
	return DL_OK;
}

static enum dl_err
stub_dial(const struct provider_dial *d, char leg[PROVIDER_SID_MAX], struct provider_error *perr)
{
	stub_dials++;
	stub_record = d->record;
	snprintf(stub_recording_url, sizeof(stub_recording_url), "%s",
	    d->recording_url != NULL ? d->recording_url : "");
	snprintf(stub_dial_consent, sizeof(stub_dial_consent), "%s",
	    d->consent == NULL ? "" : d->consent->url != NULL ? d->consent->url : d->consent->text);
	assert_int_equal(d->ref.recorded, d->record);
	assert_string_equal(d->to, "+12025550143");
	assert_non_null(strstr(d->status_url, "/api/v1/stub/call-status?call="));
	if (stub_fail_dial) {
		snprintf(perr->code, sizeof(perr->code), "21217");
		return DL_ERR_INVALID;
	}
	snprintf(leg, PROVIDER_SID_MAX, "CAprospect");
	return DL_OK;
}

static enum dl_err
stub_set(const struct provider_ref *ref, enum provider_party who, int on, struct provider_error *perr)
{
	(void)ref, (void)who, (void)on, (void)perr;
	return DL_OK;
}

static enum dl_err
stub_hold(const struct provider_ref *ref, int on, struct provider_error *perr)
{
	(void)ref, (void)on, (void)perr;
	return DL_OK;
}

static enum dl_err
stub_end(const struct provider_ref *ref, struct provider_error *perr)
{
	(void)ref, (void)perr;
	stub_ends++;
	return DL_OK;
}

/* What the stub says of an ended leg: its talk time; -1: it cannot say. */
static long stub_talked;

static enum dl_err
stub_status(const struct provider_ref *ref, struct provider_status *out, struct provider_error *perr)
{
	(void)ref, (void)perr;
	if (stub_talked < 0)
		return DL_ERR_IO;
	out->status = CALL_COMPLETED;
	out->duration_s = stub_talked;
	return DL_OK;
}

static enum dl_err
stub_webhook(const struct provider_webhook *in, struct provider_event *ev)
{
	(void)in, (void)ev;
	return DL_ERR_NOTFOUND;
}

static enum dl_err
stub_admit(const struct provider_event *ev, const struct provider_ref *ref,
    const char *conference_url, struct provider_reply *out)
{
	(void)ev;
	snprintf(stub_admitted, sizeof(stub_admitted), "%s", ref != NULL ? ref->conference_name : "reject");
	if (ref != NULL)
		assert_string_equal(conference_url, "https://dialer.example.com/api/v1/stub/conference-status");
	snprintf(out->content_type, sizeof(out->content_type), "text/xml");
	out->len = (size_t)snprintf(out->body, sizeof(out->body), "<%s/>", stub_admitted);
	return DL_OK;
}

static int stub_answers;

static enum dl_err
stub_answered(const struct provider_ref *ref, struct provider_error *perr)
{
	(void)perr;
	assert_string_equal(ref->call_sid, "CAprospect");
	stub_answers++;
	step("answered");
	return DL_OK;
}

static enum dl_err
stub_consent(const struct provider_ref *ref, const struct provider_consent *c,
    struct provider_error *perr)
{
	(void)perr;
	assert_string_equal(ref->call_sid, "CAprospect");
	assert_true(ref->recorded);
	snprintf(stub_consent_hook, sizeof(stub_consent_hook), "%s",
	    c->hook_url != NULL ? c->hook_url : "");
	snprintf(stub_consent_said, sizeof(stub_consent_said), "%s",
	    c->url != NULL ? c->url : c->text);
	step("consent");
	return stub_fail_consent ? DL_ERR_IO : DL_OK;
}

static enum dl_err
stub_announce(const struct provider_consent *c, struct provider_reply *out)
{
	snprintf(out->content_type, sizeof(out->content_type), "text/xml");
	out->len = (size_t)snprintf(out->body, sizeof(out->body), "<%s>%s</%s>",
	    c->url != NULL ? "Play" : "Say", c->url != NULL ? c->url : c->text,
	    c->url != NULL ? "Play" : "Say");
	return DL_OK;
}

static enum dl_err
stub_fetch(const struct provider_ref *ref, const struct provider_recording *rec,
    const struct provider_sink *sink, struct provider_error *perr)
{
	(void)ref, (void)rec, (void)sink, (void)perr;
	return DL_ERR_NOTFOUND;
}

/* Plays the consent where the prospect is (Twilio's way). */
static const struct provider stub = {
	"stub", NULL, 0, 1, stub_join, stub_dial, stub_set, stub_hold, stub_end, stub_status,
	stub_webhook, stub_admit, stub_answered, 0, stub_consent, stub_announce, stub_fetch,
};

/* Plays it before the room, and waits for it to end (Telnyx's way). */
static const struct provider stub_first = {
	"stub", NULL, 0, 1, stub_join, stub_dial, stub_set, stub_hold, stub_end, stub_status,
	stub_webhook, stub_admit, stub_answered, 1, stub_consent, stub_announce, stub_fetch,
};

static void
stub_reset(void)
{
	stub_dials = stub_ends = stub_fail_dial = stub_answers = stub_fail_consent = 0;
	stub_record = 0;
	stub_talked = -1;
	stub_admitted[0] = stub_steps[0] = stub_recording_url[0] = stub_dial_consent[0] = '\0';
	stub_consent_hook[0] = stub_consent_said[0] = '\0';
	setenv("DIALER_PUBLIC_URL", "https://dialer.example.com/", 1);
}

static void
event(struct provider_event *ev, enum provider_event_type type, const char *key,
    const struct call *c, const char *call_sid)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->duration_s = -1;
	snprintf(ev->key, sizeof(ev->key), "%s", key);
	snprintf(ev->name, sizeof(ev->name), "%s", key);
	snprintf(ev->conference_name, sizeof(ev->conference_name), "%s", c->conference_name);
	snprintf(ev->conference_sid, sizeof(ev->conference_sid), "CFroom");
	snprintf(ev->call_sid, sizeof(ev->call_sid), "%s", call_sid);
}

static void
deliver(const struct provider_event *ev, long long hint, struct provider_reply *r)
{
	assert_int_equal(callflow_webhook(&stub, ev, hint, "raw", 3, r), DL_OK);
}

static void
test_webhook_operator_first_then_prospect(void **state)
{
	struct provider_event ev;
	struct provider_reply r;
	struct call c;

	(void)state;
	stub_reset();
	new_call("stub", &c);
	/* A stranger's leg (the API key's call; this is operator 7) is refused. */
	event(&ev, PROVIDER_EV_OPERATOR_CONNECT, "voice:CAstranger", &c, "CAstranger");
	snprintf(ev.identity, sizeof(ev.identity), "op_7");
	deliver(&ev, 0, &r);
	assert_string_equal(stub_admitted, "reject");
	assert_memory_equal(r.body, "<reject/>", r.len);
	/* The owner's leg is admitted and remembered. */
	event(&ev, PROVIDER_EV_OPERATOR_CONNECT, "voice:CAop", &c, "CAop");
	snprintf(ev.identity, sizeof(ev.identity), "api");
	deliver(&ev, 0, &r);
	assert_string_equal(stub_admitted, c.conference_name);
	assert_string_equal(r.content_type, "text/xml");
	/* Someone else joining does not ring the prospect. */
	event(&ev, PROVIDER_EV_PARTICIPANT_JOIN, "join-other", &c, "CAother");
	deliver(&ev, 0, &r);
	assert_int_equal(stub_dials, 0);
	assert_string_equal(r.content_type, "");
	/* The operator's join does, once, however often it arrives. */
	event(&ev, PROVIDER_EV_PARTICIPANT_JOIN, "join-op", &c, "CAop");
	deliver(&ev, 0, &r);
	deliver(&ev, 0, &r);
	event(&ev, PROVIDER_EV_PARTICIPANT_JOIN, "join-op-again", &c, "CAop");
	deliver(&ev, 0, &r);
	assert_int_equal(stub_dials, 1);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_INITIATED);
	assert_string_equal(c.call_sid, "CAprospect");
	assert_string_equal(c.operator_call_sid, "CAop");
	assert_string_equal(c.conference_sid, "CFroom");
	/* Leg events: forward only; a late ringing changes nothing; a leg that
	 * is not this call's prospect is kept but not applied. */
	event(&ev, PROVIDER_EV_LEG_STATUS, "call:in-progress", &c, "CAprospect");
	ev.status = CALL_IN_PROGRESS;
	deliver(&ev, c.id, &r);
	assert_int_equal(stub_answers, 1); /* the provider brought them in */
	deliver(&ev, c.id, &r);
	assert_int_equal(stub_answers, 1); /* once */
	event(&ev, PROVIDER_EV_LEG_STATUS, "call:ringing", &c, "CAprospect");
	ev.status = CALL_RINGING;
	deliver(&ev, c.id, &r);
	event(&ev, PROVIDER_EV_LEG_STATUS, "call:stale", &c, "CAstale");
	ev.status = CALL_BUSY;
	deliver(&ev, c.id, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_IN_PROGRESS);
	/* The operator leaves: the room is ended for the prospect too. */
	assert_int_equal(stub_ends, 0);
	event(&ev, PROVIDER_EV_PARTICIPANT_LEAVE, "leave-op", &c, "CAop");
	deliver(&ev, 0, &r);
	assert_int_equal(stub_ends, 1);
	event(&ev, PROVIDER_EV_LEG_STATUS, "call:completed", &c, "CAprospect");
	ev.status = CALL_COMPLETED;
	ev.duration_s = 42;
	deliver(&ev, c.id, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_COMPLETED);
	assert_int_equal(c.duration_s, 42);
	/* Every distinct event kept once, repeats not again. */
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM call_events"), 10);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM call_events WHERE call_id IS NULL"), 1);
	/* Over: even the owner's leg is refused now. */
	event(&ev, PROVIDER_EV_OPERATOR_CONNECT, "voice:CAlate", &c, "CAlate");
	snprintf(ev.identity, sizeof(ev.identity), "api");
	deliver(&ev, 0, &r);
	assert_string_equal(stub_admitted, "reject");
}

static void
test_webhook_dial_failure_and_timeout(void **state)
{
	struct provider_event ev;
	struct provider_reply r;
	struct call c;

	(void)state;
	stub_reset();
	new_call("stub", &c);
	event(&ev, PROVIDER_EV_OPERATOR_CONNECT, "voice:CAop", &c, "CAop");
	snprintf(ev.identity, sizeof(ev.identity), "api");
	deliver(&ev, 0, &r);
	stub_fail_dial = 1;
	event(&ev, PROVIDER_EV_PARTICIPANT_JOIN, "join-op", &c, "CAop");
	deliver(&ev, 0, &r);
	assert_int_equal(stub_dials, 1);
	assert_int_equal(stub_ends, 1); /* the operator is not left alone in the room */
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_FAILED);
	assert_string_equal(c.failure_reason, "provider_error");
	/* No second try on a repeat: the claim is spent. */
	stub_fail_dial = 0;
	deliver(&ev, 0, &r);
	assert_int_equal(stub_dials, 1);

	/* The operator joined too late: the prospect is never rung. */
	tu_sql_exec("UPDATE calls SET status = 'completed'");
	new_call("stub", &c);
	event(&ev, PROVIDER_EV_OPERATOR_CONNECT, "voice:CAop2", &c, "CAop2");
	snprintf(ev.identity, sizeof(ev.identity), "api");
	deliver(&ev, 0, &r);
	tu_sql_exec("UPDATE calls SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-21 seconds') "
	    "WHERE status = 'queued'");
	event(&ev, PROVIDER_EV_PARTICIPANT_JOIN, "join-op2", &c, "CAop2");
	deliver(&ev, 0, &r);
	assert_int_equal(stub_dials, 1);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_FAILED);
	assert_string_equal(c.failure_reason, "operator_not_connected");
}

static void
test_webhook_conference_end_before_dial(void **state)
{
	struct provider_event ev;
	struct provider_reply r;
	struct call c;

	(void)state;
	stub_reset();
	new_call("stub", &c);
	/* A leg status for a call nobody is dialing is not its prospect's. */
	event(&ev, PROVIDER_EV_LEG_STATUS, "call:early", &c, "CAsomeone");
	ev.status = CALL_COMPLETED;
	deliver(&ev, c.id, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_QUEUED);
	event(&ev, PROVIDER_EV_CONFERENCE_END, "end", &c, "");
	deliver(&ev, 0, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_CANCELED);
	assert_string_equal(c.conference_sid, "CFroom");
	/* An event for a conference nobody knows is kept, and nothing else. */
	snprintf(c.conference_name, sizeof(c.conference_name), "%s", "cd-unknown");
	event(&ev, PROVIDER_EV_PARTICIPANT_JOIN, "stray", &c, "CAx");
	deliver(&ev, 0, &r);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM call_events WHERE call_id IS NULL"), 2);
	assert_int_equal(stub_dials, 0);
}

/* Hang-up words that do not say whether anyone answered, and providers
 * that report no talk time. */
static void
test_webhook_endings_without_durations(void **state)
{
	struct provider_event ev;
	struct provider_reply r;
	struct call c;

	(void)state;
	stub_reset();
	new_call("stub", &c);
	assert_int_equal(calls_claim_dial(c.id, &(int){ 0 }), DL_OK);
	assert_int_equal(calls_dialed(c.id, "CAprospect"), DL_OK);
	event(&ev, PROVIDER_EV_LEG_STATUS, "hangup-1", &c, "CAprospect");
	ev.status = CALL_COMPLETED;
	deliver(&ev, c.id, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_CANCELED); /* nobody answered */
	assert_int_equal(c.duration_s, -1);

	tu_sql_exec("UPDATE calls SET status = 'completed'");
	new_call("stub", &c);
	assert_int_equal(calls_claim_dial(c.id, &(int){ 0 }), DL_OK);
	assert_int_equal(calls_dialed(c.id, "CAprospect"), DL_OK);
	event(&ev, PROVIDER_EV_LEG_STATUS, "answer-2", &c, "CAprospect");
	ev.status = CALL_IN_PROGRESS;
	deliver(&ev, c.id, &r);
	tu_sql_exec("UPDATE calls SET answered_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-25 seconds') "
	    "WHERE status = 'in-progress'");
	event(&ev, PROVIDER_EV_LEG_STATUS, "hangup-2", &c, "CAprospect");
	ev.status = CALL_COMPLETED;
	deliver(&ev, c.id, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_COMPLETED);
	assert_true(c.duration_s >= 25 && c.duration_s <= 27); /* answer to hang-up */
}

static void
test_webhook_hangup_before_its_answer(void **state)
{
	struct provider_event ev;
	struct provider_reply r;
	struct call c;

	(void)state;
	stub_reset();
	/* The hang-up overtook the answer: the provider says the leg talked. */
	new_call("stub", &c);
	assert_int_equal(calls_claim_dial(c.id, &(int){ 0 }), DL_OK);
	assert_int_equal(calls_dialed(c.id, "CAprospect"), DL_OK);
	stub_talked = 12;
	event(&ev, PROVIDER_EV_LEG_STATUS, "hangup-first", &c, "CAprospect");
	ev.status = CALL_COMPLETED;
	deliver(&ev, c.id, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_COMPLETED);
	assert_int_equal(c.duration_s, 12);
	/* The answer, late: nobody is brought into a room that is over. */
	event(&ev, PROVIDER_EV_LEG_STATUS, "answer-late", &c, "CAprospect");
	ev.status = CALL_IN_PROGRESS;
	deliver(&ev, c.id, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_COMPLETED);
	assert_int_equal(stub_answers, 0);

	/* No talk time by the provider's account: nobody answered. */
	tu_sql_exec("UPDATE calls SET status = 'completed'");
	new_call("stub", &c);
	assert_int_equal(calls_claim_dial(c.id, &(int){ 0 }), DL_OK);
	assert_int_equal(calls_dialed(c.id, "CAprospect"), DL_OK);
	stub_talked = 0;
	event(&ev, PROVIDER_EV_LEG_STATUS, "hangup-unanswered", &c, "CAprospect");
	ev.status = CALL_COMPLETED;
	deliver(&ev, c.id, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_CANCELED);
}

/* ---- recording ---------------------------------------------------------- */

#define DEFAULT_CONSENT "This call may be recorded for quality and training."

/* The recording settings these tests set are gone for the next one. */
static int
rec_teardown(void **state)
{
	unsetenv("DIALER_RECORD_CALLS");
	unsetenv("DIALER_RECORDING_CONSENT_TEXT");
	unsetenv("DIALER_RECORDING_CONSENT_URL");
	return teardown(state);
}

static void
deliver_to(const struct provider *p, const struct provider_event *ev, long long hint,
    struct provider_reply *r)
{
	assert_int_equal(callflow_webhook(p, ev, hint, "raw", 3, r), DL_OK);
}

/* A call whose operator joined, so its prospect (CAprospect) was dialed. */
static void
dialed_call(const struct provider *p, struct call *c)
{
	struct provider_event ev;
	struct provider_reply r;

	new_call("stub", c);
	event(&ev, PROVIDER_EV_OPERATOR_CONNECT, "voice:CAop", c, "CAop");
	snprintf(ev.identity, sizeof(ev.identity), "api");
	deliver_to(p, &ev, 0, &r);
	event(&ev, PROVIDER_EV_PARTICIPANT_JOIN, "join-op", c, "CAop");
	deliver_to(p, &ev, 0, &r);
	assert_int_equal(calls_get(c->id, c), DL_OK);
	assert_int_equal(c->status, CALL_INITIATED);
}

static void
answer(const struct provider *p, const struct call *c, const char *key)
{
	struct provider_event ev;
	struct provider_reply r;

	event(&ev, PROVIDER_EV_LEG_STATUS, key, c, "CAprospect");
	ev.status = CALL_IN_PROGRESS;
	deliver_to(p, &ev, c->id, &r);
}

static void
test_recording_off_by_default(void **state)
{
	struct call c;

	(void)state;
	stub_reset();
	dialed_call(&stub, &c);
	assert_int_equal(stub_record, 0);
	assert_string_equal(stub_recording_url, "");
	assert_string_equal(stub_dial_consent, "");
	assert_false(c.recorded);
	answer(&stub, &c, "answer");
	assert_string_equal(stub_steps, "answered");
	/* A recording nobody asked for is not kept. */
	{
		struct provider_event ev;
		struct provider_reply r;

		event(&ev, PROVIDER_EV_RECORDING, "rec-unasked", &c, "");
		snprintf(ev.recording_sid, sizeof(ev.recording_sid), "RE1");
		deliver(&ev, c.id, &r);
	}
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_string_equal(c.recording_sid, "");
	assert_int_equal(tu_sql_int_with("SELECT COUNT(*) FROM call_events WHERE call_id = ?1 "
	    "AND event_type = 'rec-unasked'", c.id), 1);
}

/* Twilio's way: the announcement plays where the prospect is, so they
 * are "brought in" (a no-op there) right after it was asked for. */
static void
test_recording_consent_then_in(void **state)
{
	struct provider_event ev;
	struct provider_reply r;
	struct call c;
	char want[160];

	(void)state;
	stub_reset();
	setenv("DIALER_RECORD_CALLS", "1", 1);
	dialed_call(&stub, &c);
	assert_int_equal(stub_record, 1);
	assert_true(c.recorded);
	snprintf(want, sizeof(want), "https://dialer.example.com/api/v1/stub/recording-status?call=%lld",
	    c.id);
	assert_string_equal(stub_recording_url, want);
	assert_string_equal(stub_dial_consent, DEFAULT_CONSENT);
	answer(&stub, &c, "answer");
	assert_string_equal(stub_steps, "consent answered");
	assert_string_equal(stub_consent_said, DEFAULT_CONSENT);
	snprintf(want, sizeof(want), "https://dialer.example.com/api/v1/stub/consent?call=%lld", c.id);
	assert_string_equal(stub_consent_hook, want);
	/* The answer again: nothing more. */
	answer(&stub, &c, "answer");
	assert_string_equal(stub_steps, "consent answered");
	/* The provider fetching the announcement gets it. */
	event(&ev, PROVIDER_EV_CONSENT_FETCH, "consent-fetch", &c, "CAprospect");
	deliver(&ev, c.id, &r);
	assert_memory_equal(r.body, "<Say>" DEFAULT_CONSENT "</Say>", r.len);
	setenv("DIALER_RECORDING_CONSENT_URL", "https://media.example.com/consent.mp3", 1);
	deliver(&ev, c.id, &r);
	assert_memory_equal(r.body, "<Play>https://media.example.com/consent.mp3</Play>", r.len);
}

/* Telnyx's way: the announcement first, the room when it has played. */
static void
test_recording_consent_before_the_room(void **state)
{
	struct provider_event ev;
	struct provider_reply r;
	struct call c;

	(void)state;
	stub_reset();
	setenv("DIALER_RECORD_CALLS", "1", 1);
	setenv("DIALER_RECORDING_CONSENT_TEXT", "Recorded & kept <30 days>.", 1);
	dialed_call(&stub_first, &c);
	answer(&stub_first, &c, "answer");
	assert_string_equal(stub_steps, "consent");
	assert_string_equal(stub_consent_said, "Recorded & kept <30 days>.");
	/* Someone else's announcement ending, or a hang-up's: not theirs. */
	event(&ev, PROVIDER_EV_CONSENT_PLAYED, "played-other", &c, "CAother");
	deliver_to(&stub_first, &ev, c.id, &r);
	assert_string_equal(stub_steps, "consent");
	event(&ev, PROVIDER_EV_CONSENT_PLAYED, "played", &c, "CAprospect");
	deliver_to(&stub_first, &ev, c.id, &r);
	assert_string_equal(stub_steps, "consent answered");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_IN_PROGRESS);
	assert_int_equal(stub_ends, 0);

	/* Not played (a missing audio file): hung up, never recorded unheard. */
	tu_sql_exec("UPDATE calls SET status = 'completed'");
	stub_reset();
	dialed_call(&stub_first, &c);
	answer(&stub_first, &c, "answer-2");
	event(&ev, PROVIDER_EV_CONSENT_FAILED, "not-played", &c, "CAprospect");
	deliver_to(&stub_first, &ev, c.id, &r);
	assert_string_equal(stub_steps, "consent");
	assert_int_equal(stub_ends, 1);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_FAILED);
	assert_string_equal(c.failure_reason, "consent_failed");
}

static void
test_recording_consent_refused(void **state)
{
	struct call c;

	(void)state;
	stub_reset();
	setenv("DIALER_RECORD_CALLS", "1", 1);
	dialed_call(&stub, &c);
	stub_fail_consent = 1;
	answer(&stub, &c, "answer");
	assert_string_equal(stub_steps, "consent");
	assert_int_equal(stub_ends, 1);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_FAILED);
	assert_string_equal(c.failure_reason, "consent_failed");

	/* An audio URL that is not one: nobody is dialed at all. */
	tu_sql_exec("UPDATE calls SET status = 'completed'");
	stub_reset();
	setenv("DIALER_RECORDING_CONSENT_URL", "ftp://media.example.com/consent.mp3", 1);
	{
		struct provider_event ev;
		struct provider_reply r;

		new_call("stub", &c);
		event(&ev, PROVIDER_EV_OPERATOR_CONNECT, "voice:CAop3", &c, "CAop3");
		snprintf(ev.identity, sizeof(ev.identity), "api");
		deliver(&ev, 0, &r);
		event(&ev, PROVIDER_EV_PARTICIPANT_JOIN, "join-op3", &c, "CAop3");
		deliver(&ev, 0, &r);
	}
	assert_int_equal(stub_dials, 0);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.status, CALL_FAILED);
	assert_string_equal(c.failure_reason, "provider_error");
}

static void
recording_event(struct provider_event *ev, const char *key, const struct call *c,
    const char *sid, const char *conference, long duration)
{
	event(ev, PROVIDER_EV_RECORDING, key, c, "");
	snprintf(ev->conference_name, sizeof(ev->conference_name), "%s", "");
	snprintf(ev->conference_sid, sizeof(ev->conference_sid), "%s", conference);
	snprintf(ev->recording_sid, sizeof(ev->recording_sid), "%s", sid);
	snprintf(ev->recording_url, sizeof(ev->recording_url), "https://api.example.com/%s", sid);
	ev->duration_s = duration;
}

static void
test_recording_kept_once(void **state)
{
	struct provider_event ev;
	struct provider_reply r;
	struct call c;

	(void)state;
	stub_reset();
	setenv("DIALER_RECORD_CALLS", "1", 1);
	dialed_call(&stub, &c);
	/* Ready, but its length not said yet. */
	recording_event(&ev, "rec:RE1:completed", &c, "RE1", "CFroom", -1);
	deliver(&ev, c.id, &r);
	assert_string_equal(r.content_type, "");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_string_equal(c.recording_sid, "RE1");
	assert_string_equal(c.recording_url, "https://api.example.com/RE1");
	assert_int_equal(c.recording_duration_s, -1);
	/* A later delivery fills the length in; no hint needed: its sid says. */
	recording_event(&ev, "rec:RE1:again", &c, "RE1", "", 42);
	ev.recording_url[0] = '\0';
	deliver(&ev, 0, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(c.recording_duration_s, 42);
	assert_string_equal(c.recording_url, "https://api.example.com/RE1");
	/* A repeat changes nothing, not even the row's time. */
	tu_sql_exec("UPDATE calls SET updated_at = '2020-01-01T00:00:00Z'");
	recording_event(&ev, "rec:RE1:completed", &c, "RE1", "CFroom", 42);
	deliver(&ev, c.id, &r);
	assert_int_equal(tu_sql_int_with("SELECT COUNT(*) FROM calls WHERE id = ?1 AND "
	    "updated_at = '2020-01-01T00:00:00Z'", c.id), 1);
	/* Another room's recording at our URL is not this call's. */
	recording_event(&ev, "rec:RE2:completed", &c, "RE2", "CFelsewhere", 9);
	deliver(&ev, c.id, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_string_equal(c.recording_sid, "RE1");
	/* A new recording of the same room replaces the old one. */
	recording_event(&ev, "rec:RE3:completed", &c, "RE3", "CFroom", 50);
	deliver(&ev, c.id, &r);
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_string_equal(c.recording_sid, "RE3");
	assert_int_equal(c.recording_duration_s, 50);
	/* Nothing to go by at all: kept as an event, for no call. */
	recording_event(&ev, "rec:RE9:completed", &c, "RE9", "", 5);
	deliver(&ev, 0, &r);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM call_events WHERE call_id IS NULL "
	    "AND event_type = 'rec:RE9:completed'"), 1);
}

static void
test_sim_recording(void **state)
{
	const struct provider *p;
	struct provider_error perr;
	struct call c;

	(void)state;
	setenv("DIALER_RECORD_CALLS", "1", 1);
	assert_int_equal(provider_get("sim", &p, NULL, 0), DL_OK);
	new_call("sim", &c);
	assert_int_equal(callflow_joined(p, &c, &perr), DL_OK);
	assert_true(c.recorded);
	/* Talked through: a recording as long as the talk. */
	tu_sql_exec("UPDATE calls SET dialed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-40 seconds')");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_settle(&c, 0, &perr), DL_OK);
	assert_int_equal(c.status, CALL_COMPLETED);
	assert_int_equal(strncmp(c.recording_sid, "SIMREC", 6), 0);
	assert_int_equal(c.recording_duration_s, 30);

	/* Hung up a second or so in: that long. */
	new_call("sim", &c);
	assert_int_equal(callflow_joined(p, &c, &perr), DL_OK);
	tu_sql_exec("UPDATE calls SET dialed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-5 seconds') "
	    "WHERE status = 'initiated'");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_end(p, &c, &perr), DL_OK);
	assert_int_equal(c.status, CALL_COMPLETED);
	assert_int_equal(strncmp(c.recording_sid, "SIMREC", 6), 0);
	assert_int_equal(c.recording_duration_s, c.duration_s);
	assert_true(c.duration_s >= 0 && c.duration_s <= 3);

	/* Never answered: no recording. */
	new_call("sim", &c);
	assert_int_equal(callflow_joined(p, &c, &perr), DL_OK);
	assert_int_equal(callflow_end(p, &c, &perr), DL_OK);
	assert_int_equal(c.status, CALL_CANCELED);
	assert_string_equal(c.recording_sid, "");

	/* Off: none. */
	setenv("DIALER_RECORD_CALLS", "0", 1);
	new_call("sim", &c);
	assert_int_equal(callflow_joined(p, &c, &perr), DL_OK);
	assert_false(c.recorded);
	tu_sql_exec("UPDATE calls SET dialed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-40 seconds') "
	    "WHERE status = 'initiated'");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_settle(&c, 0, &perr), DL_OK);
	assert_int_equal(c.status, CALL_COMPLETED);
	assert_string_equal(c.recording_sid, "");
}

static void
test_hook_url(void **state)
{
	char url[128];

	(void)state;
	stub_reset();
	assert_int_equal(callflow_hook_url(&stub, "call-status", 12, url, sizeof(url)), DL_OK);
	assert_string_equal(url, "https://dialer.example.com/api/v1/stub/call-status?call=12");
	assert_int_equal(callflow_hook_url(&stub, "voice", 0, url, 20), DL_ERR_TOOBIG);
	unsetenv("DIALER_PUBLIC_URL");
	assert_int_equal(callflow_hook_url(&stub, "voice", 0, url, sizeof(url)), DL_ERR_CONFIG);
}

static void
test_overdue_calls_are_asked_then_given_up(void **state)
{
	struct provider_error perr;
	struct call c;

	(void)state;
	configure_twilio();
	/* Nothing listens there: every question to "Twilio" fails at once. */
	setenv("TWILIO_API_BASE", "http://127.0.0.1:1", 1);
	new_call("twilio", &c);
	assert_int_equal(calls_dialed(c.id, "CA0123456789abcdef0123456789abcdef"), DL_OK);
	tu_sql_exec("UPDATE calls SET status = 'ringing', "
	    "dialed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-100 seconds')");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_settle(&c, 0, &perr), DL_OK);
	assert_int_equal(c.status, CALL_RINGING); /* overdue, asked, no answer yet */
	assert_true(c.asked_unix > 0);
	/* Asked for by the caller: the provider's silence is the answer. */
	assert_int_equal(callflow_settle(&c, 1, &perr), DL_ERR_IO);
	assert_int_equal(perr.http_status, 0);
	assert_int_equal(strncmp(perr.code, "curl_", 5), 0);
	assert_int_equal(c.status, CALL_RINGING);
	/* Asked a moment ago: a poll now does not ask again, even long overdue. */
	tu_sql_exec("UPDATE calls SET dialed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-800 seconds')");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_settle(&c, 0, &perr), DL_OK);
	assert_int_equal(c.status, CALL_RINGING);
	tu_sql_exec("UPDATE calls SET status_asked_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-11 seconds')");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_settle(&c, 0, &perr), DL_OK);
	assert_int_equal(c.status, CALL_FAILED);
	assert_string_equal(c.failure_reason, "provider_unreachable");

	/* A claimed dial that never came back. */
	new_call("twilio", &c);
	assert_int_equal(calls_claim_dial(c.id, &(int){ 0 }), DL_OK);
	tu_sql_exec("UPDATE calls SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-30 seconds') "
	    "WHERE status = 'queued'");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_settle(&c, 0, &perr), DL_OK);
	assert_int_equal(c.status, CALL_QUEUED); /* the dial may still be on its way */
	tu_sql_exec("UPDATE calls SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-90 seconds') "
	    "WHERE status = 'queued'");
	assert_int_equal(calls_get(c.id, &c), DL_OK);
	assert_int_equal(callflow_settle(&c, 0, &perr), DL_OK);
	assert_int_equal(c.status, CALL_FAILED);
	assert_string_equal(c.failure_reason, "dial_unconfirmed");
	unsetenv("TWILIO_API_BASE");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_operator_join_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sim_dials_at_once_and_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_final_calls_are_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_operator_first_then_prospect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_dial_failure_and_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_conference_end_before_dial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_hangup_before_its_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_endings_without_durations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recording_off_by_default, setup, rec_teardown),
		cmocka_unit_test_setup_teardown(test_recording_consent_then_in, setup, rec_teardown),
		cmocka_unit_test_setup_teardown(test_recording_consent_before_the_room, setup, rec_teardown),
		cmocka_unit_test_setup_teardown(test_recording_consent_refused, setup, rec_teardown),
		cmocka_unit_test_setup_teardown(test_recording_kept_once, setup, rec_teardown),
		cmocka_unit_test_setup_teardown(test_sim_recording, setup, rec_teardown),
		cmocka_unit_test_setup_teardown(test_hook_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overdue_calls_are_asked_then_given_up, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
