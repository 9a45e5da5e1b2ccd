/*
 * callflow: what happens to a call between its row (calls) and its
 * provider (struct provider) — the rules of call-lifecycle.md that need
 * both: settling a call still in flight, dialing at once when a provider
 * has no operator-join event to wait for, what ending a call means, and
 * recording (DIALER_RECORD_CALLS): the consent announcement before the
 * prospect talks to anyone, and keeping the provider's recording.
 * The endpoints parse and authorize; they call these for everything else.
 */
#ifndef DL_CALLFLOW_H
#define DL_CALLFLOW_H

#include "calls.h"
#include "provider.h"

/* A queued call whose operator has not joined by then never dials. */
#define CALLFLOW_OPERATOR_JOIN_TIMEOUT 20
/* How long the prospect's phone rings before no-answer. */
#define CALLFLOW_DIAL_TIMEOUT 30
/* Slack on top of a provider's own deadlines before we go and ask. */
#define CALLFLOW_GRACE 60
/* A conversation longer than this is asked about (Twilio's cap is 4 h). */
#define CALLFLOW_MAX_CALL (4 * 3600)
/* Unprompted questions about one overdue call: at most one per this. */
#define CALLFLOW_ASK_EVERY 10
/* Overdue and the provider cannot say for this long: the call fails. */
#define CALLFLOW_GIVE_UP 600

/* The identity a call's operator joins as: "op_<user id>", or "api" for
 * the API key (operator_id 0). */
void callflow_identity(long long operator_id, char *out, size_t outsz);

/* DIALER_PUBLIC_URL + "/api/v1/<provider>/<kind>", with "?call=<id>" when
 * call_id > 0. DL_ERR_CONFIG without DIALER_PUBLIC_URL, DL_ERR_TOOBIG
 * when it does not fit. */
enum dl_err callflow_hook_url(const struct provider *p, const char *kind,
    long long call_id, char *out, size_t outsz);

/* What the provider needs to know of the call, judged by the clock now. */
void callflow_ref(const struct call *c, struct provider_ref *ref);

/*
 * Nothing stays in flight forever (call-lifecycle.md): a queued call past
 * the operator-join timeout fails (operator_not_connected; a dial that was
 * claimed but never confirmed: dial_unconfirmed). A dialed call is asked
 * about when `ask` is set, when the provider can always say (the
 * simulator), or when it is past its deadline (ringing past the dial
 * timeout, talking past CALLFLOW_MAX_CALL; then at most once per
 * CALLFLOW_ASK_EVERY); a provider that cannot answer
 * leaves the row as it is until CALLFLOW_GIVE_UP past the deadline, when
 * the call fails with provider_unreachable. Asked (`ask`), a provider that
 * cannot answer before then is the error returned, *perr saying why;
 * unprompted it is not an error. A recorded simulated call gets its
 * recording when it completes. *c is reloaded.
 */
enum dl_err callflow_settle(struct call *c, int ask, struct provider_error *perr);

/*
 * After the operator's credentials are issued: a provider without an
 * operator-join event (the simulator) has the operator in the room at
 * once, so the prospect is dialed now; the others dial when their join
 * event arrives. On a provider error the call fails with provider_error
 * and *perr says why. *c is reloaded.
 */
enum dl_err callflow_joined(const struct provider *p, struct call *c,
    struct provider_error *perr);

/* Mute a participant or hold the prospect at the provider, and record it
 * in the call. *c is reloaded. */
enum dl_err callflow_mute(const struct provider *p, struct call *c, enum provider_party who,
    int muted, struct provider_error *perr);
enum dl_err callflow_hold(const struct provider *p, struct call *c, int hold,
    struct provider_error *perr);

/* Hang up everyone. A call with nothing at the provider yet (queued, no
 * room, nobody rung) is canceled at once. A provider that sends no hang-up
 * event (the simulator) is settled here: canceled before an answer,
 * completed after. *c is reloaded. */
enum dl_err callflow_end(const struct provider *p, struct call *c,
    struct provider_error *perr);

/* Starting a call: what goes in, and everything that comes out. */
struct callflow_start {
	struct calls_new in;
	int prospect_first;          /* the seed's order: ring the prospect at once */
	struct call call;            /* the call (an earlier one when replayed) */
	struct provider_join join;   /* the operator's credentials */
	int replayed;                /* the Idempotency-Key was seen: nothing new */
	const char *limit;           /* DL_ERR_THROTTLED: which limit */
	long retry_after;            /* DL_ERR_THROTTLED: seconds */
	int provider_failed;         /* the error came from the provider: perr says */
	struct provider_error perr;
};

/*
 * Create a call for s->in (after settling the operator's earlier calls, so
 * a finished one does not count against the limits), issue the operator's
 * join credentials as callflow_identity(), and dial as the provider's
 * order wants (callflow_joined, or callflow_dial_first). DL_ERR_THROTTLED
 * and DL_ERR_NOTFOUND (no such contact) as calls_create. When the provider
 * fails, the call fails with provider_error and s->provider_failed is set.
 */
enum dl_err callflow_start(const struct provider *p, struct callflow_start *s);

/*
 * The seed's order (the /aicallgo initiate route): dial the prospect
 * first, into a conference their leg creates; the operator joins after.
 * On a provider error the call fails with provider_error. *c is reloaded.
 */
enum dl_err callflow_dial_first(const struct provider *p, struct call *c,
    struct provider_error *perr);

/*
 * Apply a verified webhook event (call-lifecycle.md) and keep it in
 * call_events. `hint` is the call id our own callback URL carried (0:
 * none). The operator's join into the conference is what dials the
 * prospect, exactly once however often it is delivered. *reply is what to
 * answer the webhook with (content_type "" for 204): for OPERATOR_CONNECT
 * the provider's document joining the leg, or refusing it when the leg is
 * not the owner's, the call is unknown or over.
 *
 * Recording: with DIALER_RECORD_CALLS the dial marks the call recorded;
 * its prospect's answer plays them the consent announcement (and a
 * provider that plays it before the room brings them in on
 * CONSENT_PLAYED); an announcement that cannot be played hangs up
 * (consent_failed). CONSENT_FETCH is answered with the announcement.
 * RECORDING is kept for a recorded call found by hint, room, or (a repeat)
 * its recording sid; repeats change nothing.
 */
enum dl_err callflow_webhook(const struct provider *p, const struct provider_event *ev,
    long long hint, const char *body, size_t bodylen, struct provider_reply *reply);

#endif
