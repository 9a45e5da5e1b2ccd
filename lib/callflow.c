#include <stdio.h>
#include <string.h>
#include <time.h>

#include "callflow.h"
#include "config.h"
#include "log.h"

#define HOOK_URL_MAX 512

void
callflow_identity(long long operator_id, char *out, size_t outsz)
{
	if (operator_id == 0)
		snprintf(out, outsz, "api");
	else
		snprintf(out, outsz, "op_%lld", operator_id);
}

enum dl_err
callflow_hook_url(const struct provider *p, const char *kind, long long call_id,
    char *out, size_t outsz)
{
	const char *base = config_get("DIALER_PUBLIC_URL");
	size_t n;
	int w;

	if (base == NULL)
		return DL_ERR_CONFIG;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (call_id > 0)
		w = snprintf(out, outsz, "%.*s/api/v1/%s/%s?call=%lld", (int)n, base, p->name,
		    kind, call_id);
	else
		w = snprintf(out, outsz, "%.*s/api/v1/%s/%s", (int)n, base, p->name, kind);
	return w < 0 || (size_t)w >= outsz ? DL_ERR_TOOBIG : DL_OK;
}

void
callflow_ref(const struct call *c, struct provider_ref *ref)
{
	ref->call_id = c->id;
	ref->conference_name = c->conference_name;
	ref->conference_sid = c->conference_sid[0] ? c->conference_sid : NULL;
	ref->call_sid = c->call_sid[0] ? c->call_sid : NULL;
	ref->operator_call_sid = c->operator_call_sid[0] ? c->operator_call_sid : NULL;
	ref->dialed_unix = c->dialed_unix;
	ref->now_unix = (long long)time(NULL);
	ref->recorded = c->recorded;
}

/* The consent announcement as configured: the audio at
 * DIALER_RECORDING_CONSENT_URL, else DIALER_RECORDING_CONSENT_TEXT spoken;
 * with our webhook a provider fetches it from, when there is a public URL.
 * DL_ERR_CONFIG for a text that is empty (or blanks) or longer than
 * PROVIDER_CONSENT_MAX, or a URL that is not plain http(s). */
static enum dl_err
consent_of(const struct provider *p, long long call_id, struct provider_consent *out,
    char *hook, size_t hooksz)
{
	const char *url = config_get("DIALER_RECORDING_CONSENT_URL");
	const char *text = config_get("DIALER_RECORDING_CONSENT_TEXT");

	memset(out, 0, sizeof(*out));
	if (url != NULL) {
		if ((strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) ||
		    strlen(url) >= PROVIDER_URL_MAX || strcspn(url, " \t\r\n\"<>") != strlen(url))
			return DL_ERR_CONFIG;
		out->url = url;
	} else {
		/* Blanks alone would record a call with nothing announced. */
		if (text == NULL || strlen(text) > PROVIDER_CONSENT_MAX ||
		    text[strspn(text, " \t\r\n")] == '\0')
			return DL_ERR_CONFIG;
		out->text = text;
	}
	if (callflow_hook_url(p, "consent", call_id, hook, hooksz) == DL_OK)
		out->hook_url = hook;
	return DL_OK;
}

/* A provider that reports a recording with the call's status (the
 * simulator) has it kept once the call is over, as long as the talk.
 * *c is reloaded when it changes. */
static enum dl_err
keep_recording(struct call *c, const struct provider_status *st)
{
	enum dl_err err;

	if (st->recording_sid[0] == '\0' || !c->recorded || c->status != CALL_COMPLETED ||
	    strcmp(c->recording_sid, st->recording_sid) == 0)
		return DL_OK;
	if ((err = calls_set_recording(c->id, st->recording_sid, "", c->duration_s)) != DL_OK)
		return err;
	return calls_get(c->id, c);
}

enum dl_err
callflow_settle(struct call *c, int ask, struct provider_error *perr)
{
	const struct provider *p;
	struct provider_ref ref;
	struct provider_status st;
	long long deadline;
	enum dl_err err;
	int overdue;

	if (call_status_final(c->status))
		return DL_OK;
	callflow_ref(c, &ref);
	/* Whatever the provider: a call still queued this long, with no dial
	 * under way, never rang and never will. */
	if (c->status == CALL_QUEUED && !c->dial_claimed &&
	    ref.now_unix - c->created_unix > CALLFLOW_OPERATOR_JOIN_TIMEOUT) {
		if ((err = calls_fail(c->id, "operator_not_connected")) != DL_OK)
			return err;
		return calls_get(c->id, c);
	}
	/* A dial claimed but never confirmed: the process making it died. */
	if (c->status == CALL_QUEUED && c->dial_claimed &&
	    ref.now_unix - c->created_unix > CALLFLOW_OPERATOR_JOIN_TIMEOUT + CALLFLOW_GRACE) {
		if ((err = calls_fail(c->id, "dial_unconfirmed")) != DL_OK)
			return err;
		return calls_get(c->id, c);
	}
	if (provider_get(c->provider, &p, NULL, 0) != DL_OK || c->dialed_unix == 0)
		return DL_OK;
	/* Past its deadline a call is asked about even if nobody asks: its
	 * last webhook may never come. */
	deadline = c->dialed_unix + (c->status == CALL_IN_PROGRESS ? CALLFLOW_MAX_CALL :
	    CALLFLOW_DIAL_TIMEOUT + CALLFLOW_GRACE);
	overdue = ref.now_unix > deadline;
	if (!(ask || overdue || p->simulated))
		return DL_OK;
	/* A page polling an overdue call must not turn every poll into a
	 * provider request: unprompted, ask once per CALLFLOW_ASK_EVERY. */
	if (!ask && !p->simulated) {
		if (ref.now_unix - c->asked_unix < CALLFLOW_ASK_EVERY)
			return DL_OK;
		if ((err = calls_mark_asked(c->id)) != DL_OK)
			return err;
		c->asked_unix = ref.now_unix;
	}
	memset(perr, 0, sizeof(*perr));
	memset(&st, 0, sizeof(st));
	if ((err = p->status(&ref, &st, perr)) != DL_OK) {
		/* Long overdue and the provider cannot say: give up on it. */
		if (ref.now_unix > deadline + CALLFLOW_GIVE_UP) {
			if ((err = calls_fail(c->id, "provider_unreachable")) != DL_OK)
				return err;
			return calls_get(c->id, c);
		}
		/* Asked for: the asker hears why not. Unprompted: a later read
		 * asks again. */
		return ask ? err : DL_OK;
	}
	/* A duration is final only with the call: kept once set. */
	if ((err = calls_apply(c->id, st.status, call_status_final(st.status) ?
	    st.duration_s : -1)) != DL_OK ||
	    (err = calls_get(c->id, c)) != DL_OK)
		return err;
	return keep_recording(c, &st);
}

/* Ring the prospect; the call fails with provider_error if the provider
 * will not. Status events come back to our call-status hook. */
static enum dl_err
dial_prospect(const struct provider *p, struct call *c, int first,
    struct provider_error *perr)
{
	char status_url[HOOK_URL_MAX], conf_url[HOOK_URL_MAX], rec_url[HOOK_URL_MAX];
	char consent_url[HOOK_URL_MAX], masked[24];
	struct provider_consent consent;
	struct provider_dial d;
	char leg[PROVIDER_SID_MAX];
	enum dl_err err;

	memset(&d, 0, sizeof(d));
	callflow_ref(c, &d.ref);
	d.to = c->to_phone;
	d.from = c->from_phone[0] ? c->from_phone : NULL;
	d.timeout_s = CALLFLOW_DIAL_TIMEOUT;
	d.prospect_first = first;
	/* Both cost money and carry legal duties: off unless configured. */
	if (config_get_bool("DIALER_MACHINE_DETECTION", 0, &d.machine_detection) != DL_OK ||
	    config_get_bool("DIALER_RECORD_CALLS", 0, &d.record) != DL_OK) {
		calls_fail(c->id, "provider_error");
		calls_get(c->id, c);
		return DL_ERR_CONFIG;
	}
	/* The simulator is called back by nobody: it needs no URLs. */
	if (callflow_hook_url(p, "call-status", c->id, status_url, sizeof(status_url)) == DL_OK)
		d.status_url = status_url;
	if (callflow_hook_url(p, "conference-status", 0, conf_url, sizeof(conf_url)) == DL_OK)
		d.conference_url = conf_url;
	if (d.record) {
		if (consent_of(p, c->id, &consent, consent_url, sizeof(consent_url)) != DL_OK) {
			log_line("event=dial_refused call=%lld provider=%s reason=consent_setting",
			    c->id, p->name);
			calls_fail(c->id, "provider_error");
			calls_get(c->id, c);
			return DL_ERR_CONFIG;
		}
		d.consent = &consent;
		if (callflow_hook_url(p, "recording-status", c->id, rec_url, sizeof(rec_url)) == DL_OK)
			d.recording_url = rec_url;
		/* Marked before the dial: whatever happens next, a recording
		 * that comes for this call is expected. */
		if ((err = calls_set_recorded(c->id)) != DL_OK) {
			calls_fail(c->id, "provider_error");
			calls_get(c->id, c);
			return err;
		}
		d.ref.recorded = 1;
	}
	if ((err = p->dial(&d, leg, perr)) != DL_OK) {
		log_mask_phone(c->to_phone, masked, sizeof(masked));
		log_line("event=dial_failed call=%lld provider=%s to=%s err=%s provider_code=%s",
		    c->id, p->name, LOG_Q(masked), dl_strerror(err), LOG_Q(perr->code));
		calls_fail(c->id, perr->reason[0] ? perr->reason : "provider_error");
		calls_get(c->id, c);
		return err;
	}
	if ((err = calls_dialed(c->id, leg)) != DL_OK)
		return err;
	return calls_get(c->id, c);
}

enum dl_err
callflow_joined(const struct provider *p, struct call *c, struct provider_error *perr)
{
	int won;
	enum dl_err err;

	if (!p->simulated || c->status != CALL_QUEUED)
		return DL_OK;
	if ((err = calls_claim_dial(c->id, &won)) != DL_OK || !won)
		return err;
	return dial_prospect(p, c, 0, perr);
}

enum dl_err
callflow_dial_first(const struct provider *p, struct call *c, struct provider_error *perr)
{
	int won;
	enum dl_err err;

	if ((err = calls_claim_dial(c->id, &won)) != DL_OK || !won)
		return err;
	return dial_prospect(p, c, 1, perr);
}

enum dl_err
callflow_start(const struct provider *p, struct callflow_start *s)
{
	long long active[16];
	struct provider_ref ref;
	char identity[64];
	struct call c;
	enum dl_err err;
	int i, n;

	s->replayed = 0;
	s->limit = NULL;
	s->retry_after = 0;
	s->provider_failed = 0;
	memset(&s->perr, 0, sizeof(s->perr));
	if (calls_active(s->in.operator_id, active, (int)(sizeof(active) / sizeof(active[0])),
	    &n) == DL_OK) {
		for (i = 0; i < n; i++)
			if (calls_get(active[i], &c) == DL_OK)
				callflow_settle(&c, 0, &s->perr);
		memset(&s->perr, 0, sizeof(s->perr));
	}
	if ((err = calls_create(&s->in, &s->call, &s->replayed, &s->limit,
	    &s->retry_after)) != DL_OK)
		return err;
	if (!s->replayed)
		log_line("event=call_created call=%lld provider=%s simulated=%d", s->call.id,
		    p->name, p->simulated);
	callflow_identity(s->in.operator_id, identity, sizeof(identity));
	callflow_ref(&s->call, &ref);
	if ((err = p->join(&ref, identity, &s->join, &s->perr)) != DL_OK) {
		s->provider_failed = 1;
		if (!s->replayed)
			calls_fail(s->call.id, "provider_error");
		return err;
	}
	if (s->replayed)
		return DL_OK;
	err = s->prospect_first ? callflow_dial_first(p, &s->call, &s->perr) :
	    callflow_joined(p, &s->call, &s->perr);
	if (err != DL_OK && call_status_final(s->call.status))
		s->provider_failed = 1;
	return err;
}

enum dl_err
callflow_mute(const struct provider *p, struct call *c, enum provider_party who, int muted,
    struct provider_error *perr)
{
	struct provider_ref ref;
	enum dl_err err;

	callflow_ref(c, &ref);
	if ((err = p->mute(&ref, who, muted, perr)) != DL_OK ||
	    (err = calls_set_control(c->id, who == PROVIDER_OPERATOR ? CALLS_OPERATOR_MUTED :
	    CALLS_CONTACT_MUTED, muted)) != DL_OK)
		return err;
	return calls_get(c->id, c);
}

enum dl_err
callflow_hold(const struct provider *p, struct call *c, int hold, struct provider_error *perr)
{
	struct provider_ref ref;
	enum dl_err err;

	callflow_ref(c, &ref);
	if ((err = p->hold(&ref, hold, perr)) != DL_OK ||
	    (err = calls_set_control(c->id, CALLS_ON_HOLD, hold)) != DL_OK)
		return err;
	return calls_get(c->id, c);
}

enum dl_err
callflow_end(const struct provider *p, struct call *c, struct provider_error *perr)
{
	struct provider_ref ref;
	enum dl_err err;

	/* Nothing at the provider yet (no room, nobody rung): the operator
	 * gave up before their leg got in. Their leg, if it comes, is refused. */
	if (c->status == CALL_QUEUED && !c->dial_claimed && c->conference_sid[0] == '\0' &&
	    c->call_sid[0] == '\0') {
		if ((err = calls_apply(c->id, CALL_CANCELED, -1)) != DL_OK)
			return err;
		return calls_get(c->id, c);
	}
	callflow_ref(c, &ref);
	if ((err = p->end(&ref, perr)) != DL_OK)
		return err;
	if (p->simulated) {
		struct provider_status st;
		long talked = -1;

		if ((err = callflow_settle(c, 1, perr)) != DL_OK)
			return err;
		/* Hung up mid-conversation: the talk time so far is the call's. */
		memset(&st, 0, sizeof(st));
		if (c->status == CALL_IN_PROGRESS && p->status(&ref, &st, perr) == DL_OK)
			talked = st.duration_s;
		if (!call_status_final(c->status) &&
		    (err = calls_apply(c->id, c->status == CALL_IN_PROGRESS ?
		    CALL_COMPLETED : CALL_CANCELED, talked)) != DL_OK)
			return err;
		if ((err = calls_get(c->id, c)) != DL_OK)
			return err;
		return keep_recording(c, &st);
	}
	return calls_get(c->id, c);
}

/* The operator's browser leg asks to enter a conference: only its owner's
 * leg, only while the call is live. */
static enum dl_err
on_operator_connect(const struct provider *p, const struct provider_event *ev,
    struct call *c, int found, struct provider_reply *reply)
{
	char identity[64], conf_url[HOOK_URL_MAX];
	struct provider_error perr;
	struct provider_ref ref;
	enum dl_err err;

	if (found && (err = callflow_settle(c, 0, &perr)) != DL_OK)
		return err;
	callflow_identity(c->operator_id, identity, sizeof(identity));
	if (!found || call_status_final(c->status) ||
	    (p->leg_identity && strcmp(ev->identity, identity) != 0)) {
		/* Not the conference name: for Telnyx it is what admits a leg. */
		log_line("event=leg_refused call=%lld provider=%s", found ? c->id : 0, p->name);
		return p->admit(ev, NULL, NULL, reply);
	}
	if ((err = calls_set_operator_leg(c->id, ev->call_sid)) != DL_OK ||
	    (err = calls_get(c->id, c)) != DL_OK)
		return err;
	callflow_ref(c, &ref);
	if ((err = callflow_hook_url(p, "conference-status", 0, conf_url, sizeof(conf_url))) != DL_OK)
		return err;
	if ((err = p->admit(ev, &ref, conf_url, reply)) != DL_OK)
		return err;
	/* A provider that makes the room here names it now: its events may
	 * carry only that id. */
	if (reply->conference_sid[0] != '\0' && c->conference_sid[0] == '\0')
		return calls_set_conference_sid(c->id, reply->conference_sid);
	return DL_OK;
}

/* Someone entered the room. The operator's leg is the signal to ring the
 * prospect: they answer to a person, never to dead air. */
static enum dl_err
on_join(const struct provider *p, const struct provider_event *ev, struct call *c)
{
	struct provider_error perr;
	struct provider_ref ref;
	enum dl_err err;
	int won;

	if (strcmp(ev->call_sid, c->operator_call_sid) != 0)
		return DL_OK;
	if ((err = callflow_settle(c, 0, &perr)) != DL_OK)
		return err;
	if (c->status != CALL_QUEUED)
		return DL_OK;
	if ((err = calls_claim_dial(c->id, &won)) != DL_OK || !won)
		return err;
	memset(&perr, 0, sizeof(perr));
	if (dial_prospect(p, c, 0, &perr) == DL_OK)
		return DL_OK;
	/* Nobody will join: let the operator's leg go rather than sit alone. */
	callflow_ref(c, &ref);
	memset(&perr, 0, sizeof(perr));
	if (p->end(&ref, &perr) != DL_OK)
		log_line("event=end_failed call=%lld provider=%s provider_code=%s", c->id,
		    p->name, LOG_Q(perr.code));
	return DL_OK;
}

/* Something went wrong with a prospect who answered: hang up rather than
 * leave them talking to nobody, or recorded without being told. */
static enum dl_err
give_up(const struct provider *p, const struct provider_ref *ref, long long id,
    const char *reason)
{
	struct provider_error perr;

	memset(&perr, 0, sizeof(perr));
	p->end(ref, &perr);
	return calls_fail(id, reason);
}

/* The prospect is ready for the room: in with them, where the provider
 * does not do that by itself. */
static enum dl_err
bring_in(const struct provider *p, const struct call *c, const char *leg)
{
	struct provider_error perr;
	struct provider_ref ref;

	callflow_ref(c, &ref);
	if (ref.call_sid == NULL)
		ref.call_sid = leg;
	memset(&perr, 0, sizeof(perr));
	if (p->answered(&ref, &perr) == DL_OK)
		return DL_OK;
	log_line("event=bring_in_failed call=%lld provider=%s provider_code=%s", c->id,
	    p->name, LOG_Q(perr.code));
	return give_up(p, &ref, c->id, "provider_error");
}

/* The prospect of a recorded call answered: the consent announcement
 * first. A provider that plays it before the room brings them in when it
 * has played (PROVIDER_EV_CONSENT_PLAYED). */
static enum dl_err
announce_consent(const struct provider *p, const struct call *c, const char *leg)
{
	struct provider_consent consent;
	struct provider_error perr;
	struct provider_ref ref;
	char hook[HOOK_URL_MAX];
	enum dl_err err;

	callflow_ref(c, &ref);
	if (ref.call_sid == NULL)
		ref.call_sid = leg;
	memset(&perr, 0, sizeof(perr));
	if ((err = consent_of(p, c->id, &consent, hook, sizeof(hook))) == DL_OK)
		err = p->consent(&ref, &consent, &perr);
	if (err == DL_OK)
		return p->consent_first ? DL_OK : bring_in(p, c, leg);
	log_line("event=consent_failed call=%lld provider=%s err=%s provider_code=%s", c->id,
	    p->name, dl_strerror(err), LOG_Q(perr.code));
	return give_up(p, &ref, c->id, "consent_failed");
}

/* How long the prospect's leg talked, by the provider's own account of
 * the ended leg; -1 when it cannot say. */
static long
talk_time(const struct provider *p, const struct call *c, const char *leg)
{
	struct provider_status st;
	struct provider_error perr;
	struct provider_ref ref;

	callflow_ref(c, &ref);
	if (ref.call_sid == NULL)
		ref.call_sid = leg;
	memset(&st, 0, sizeof(st));
	memset(&perr, 0, sizeof(perr));
	if (p->status(&ref, &st, &perr) != DL_OK || !call_status_final(st.status))
		return -1;
	return st.duration_s;
}

/* The prospect's leg moved. Their first answer leads them into the room:
 * through the consent announcement when the call is recorded. */
static enum dl_err
on_leg(const struct provider *p, const struct provider_event *ev, struct call *c)
{
	enum call_status st = ev->status;
	long duration = ev->duration_s;
	enum dl_err err;
	int first_answer = st == CALL_IN_PROGRESS && call_status_advances(c->status, st);

	/* Over, no answer seen and no talk time given (Telnyx's hang-up
	 * says neither): the answer's event may still be on its way, so the
	 * provider is asked how long the leg talked. */
	if (st == CALL_COMPLETED && c->answered_unix == 0 && duration < 0 &&
	    !call_status_final(c->status))
		duration = talk_time(p, c, ev->call_sid);
	/* Over without an answer or any talk time: nobody spoke. */
	if (st == CALL_COMPLETED && c->answered_unix == 0 && duration <= 0)
		st = CALL_CANCELED;
	/* A provider that reports no talk time: from the answer until now. */
	if (call_status_final(st) && duration < 0 && c->answered_unix > 0 &&
	    !call_status_final(c->status))
		duration = (long)(time(NULL) - c->answered_unix);
	if ((err = calls_apply(c->id, st, duration)) != DL_OK)
		return err;
	if (!first_answer)
		return DL_OK;
	if ((err = calls_get(c->id, c)) != DL_OK)
		return err;
	return c->recorded ? announce_consent(p, c, ev->call_sid) : bring_in(p, c, ev->call_sid);
}

/* The consent announcement ended on a recorded call's answered prospect:
 * into the room, or, when it could not be played, hung up. */
static enum dl_err
on_consent(const struct provider *p, const struct provider_event *ev, const struct call *c)
{
	struct provider_ref ref;

	if (!c->recorded || c->status != CALL_IN_PROGRESS || strcmp(ev->call_sid, c->call_sid) != 0)
		return DL_OK;
	if (ev->type == PROVIDER_EV_CONSENT_PLAYED)
		return bring_in(p, c, ev->call_sid);
	log_line("event=consent_failed call=%lld provider=%s provider_event=%s", c->id, p->name,
	    LOG_Q(ev->name));
	callflow_ref(c, &ref);
	return give_up(p, &ref, c->id, "consent_failed");
}

/* The provider's recording is ready. Kept only for a call we asked to
 * record (its prospect heard the consent); a repeat changes nothing, a
 * later delivery fills in what an earlier one lacked, another recording
 * replaces it. */
static enum dl_err
on_recording(const struct provider *p, const struct provider_event *ev, const struct call *c)
{
	int same = strcmp(c->recording_sid, ev->recording_sid) == 0;
	const char *url = ev->recording_url[0] == '\0' && same ? c->recording_url : ev->recording_url;

	if (!c->recorded) {
		log_line("event=recording_unasked call=%lld provider=%s", c->id, p->name);
		return DL_OK;
	}
	if (same && strcmp(url, c->recording_url) == 0 &&
	    (ev->duration_s < 0 || ev->duration_s == c->recording_duration_s))
		return DL_OK;
	log_line("event=recording_stored call=%lld provider=%s duration_s=%ld", c->id, p->name,
	    ev->duration_s);
	return calls_set_recording(c->id, ev->recording_sid, url, ev->duration_s);
}

/* A recording callback names the room or the leg it recorded: when we
 * know that of the call, it must be the same. */
static int
recording_is_calls(const struct provider_event *ev, const struct call *c)
{
	if (ev->conference_sid[0] != '\0' && c->conference_sid[0] != '\0')
		return strcmp(ev->conference_sid, c->conference_sid) == 0;
	if (ev->call_sid[0] != '\0' && c->call_sid[0] != '\0')
		return strcmp(ev->call_sid, c->call_sid) == 0;
	return 1;
}

enum dl_err
callflow_webhook(const struct provider *p, const struct provider_event *ev,
    long long hint, const char *body, size_t bodylen, struct provider_reply *reply)
{
	struct calls_event_in rec;
	struct call c;
	enum dl_err err = DL_OK;
	int found = 0, fresh;

	memset(reply, 0, sizeof(*reply));
	memset(&c, 0, sizeof(c));
	/* Our own callback URL names the call: trust it first (a room the
	 * prospect's leg made reports to that leg's URL, under an id we do
	 * not know yet). */
	if (hint > 0 && ev->type != PROVIDER_EV_OPERATOR_CONNECT)
		err = calls_get(hint, &c);
	else if (ev->conference_name[0] != '\0')
		err = calls_find_conference(ev->conference_name, &c);
	else if (ev->conference_sid[0] != '\0')
		err = calls_find_conference(ev->conference_sid, &c); /* events without our name */
	else if (ev->type == PROVIDER_EV_RECORDING)
		err = calls_find_recording(ev->recording_sid, &c); /* a repeat, nothing else to go by */
	else
		err = DL_ERR_NOTFOUND;
	if (err == DL_OK)
		found = strcmp(c.provider, p->name) == 0;
	else if (err != DL_ERR_NOTFOUND)
		return err;
	/* A status for a leg that is not this call's prospect (a stale URL,
	 * a leg from an earlier dial) belongs to no call. Before our dial
	 * request has returned the leg id is not known yet: then any leg of a
	 * call being dialed is its prospect's. */
	if (found && ev->type == PROVIDER_EV_LEG_STATUS &&
	    (c.call_sid[0] != '\0' ? strcmp(c.call_sid, ev->call_sid) != 0 : !c.dial_claimed))
		found = 0;
	if (found && ev->type == PROVIDER_EV_RECORDING && !recording_is_calls(ev, &c))
		found = 0;
	rec.call_id = found ? c.id : 0;
	rec.provider = p->name;
	rec.key = ev->key;
	rec.type = ev->name;
	rec.body = body;
	rec.bodylen = bodylen;
	if ((err = calls_event(&rec, &fresh)) != DL_OK)
		return err;
	/* Repeats are applied again: every step below is idempotent (status
	 * moves only forward, the dial is claimed once), so a delivery whose
	 * first attempt died half-way still completes. */
	if (ev->type == PROVIDER_EV_OPERATOR_CONNECT)
		return on_operator_connect(p, ev, &c, found, reply);
	/* The provider was given the URL by us: it gets the announcement. */
	if (ev->type == PROVIDER_EV_CONSENT_FETCH) {
		struct provider_consent consent;
		char hook[HOOK_URL_MAX];

		if ((err = consent_of(p, 0, &consent, hook, sizeof(hook))) != DL_OK)
			return err;
		return p->announce(&consent, reply);
	}
	if (!found)
		return DL_OK;
	if (ev->conference_sid[0] != '\0' && c.conference_sid[0] == '\0') {
		if ((err = calls_set_conference_sid(c.id, ev->conference_sid)) != DL_OK ||
		    (err = calls_get(c.id, &c)) != DL_OK)
			return err;
	}
	switch (ev->type) {
	case PROVIDER_EV_PARTICIPANT_JOIN:
		return on_join(p, ev, &c);
	case PROVIDER_EV_PARTICIPANT_LEAVE:
		/* The operator left a live call: nobody stays talking to an empty
		 * room where the provider does not end it by itself. */
		if (!call_status_final(c.status) && c.operator_call_sid[0] != '\0' &&
		    strcmp(ev->call_sid, c.operator_call_sid) == 0 && c.call_sid[0] != '\0') {
			struct provider_error perr;
			struct provider_ref ref;

			callflow_ref(&c, &ref);
			memset(&perr, 0, sizeof(perr));
			if (p->end(&ref, &perr) != DL_OK)
				log_line("event=end_failed call=%lld provider=%s provider_code=%s "
				    "after=operator_left", c.id, p->name, LOG_Q(perr.code));
		}
		return DL_OK;
	case PROVIDER_EV_CONFERENCE_END:
		/* The operator left before the prospect was rung. */
		if (c.status == CALL_QUEUED)
			return calls_apply(c.id, CALL_CANCELED, -1);
		return DL_OK;
	case PROVIDER_EV_LEG_STATUS:
		return on_leg(p, ev, &c);
	case PROVIDER_EV_CONSENT_PLAYED:
	case PROVIDER_EV_CONSENT_FAILED:
		return on_consent(p, ev, &c);
	case PROVIDER_EV_RECORDING:
		return on_recording(p, ev, &c);
	default:
		return DL_OK;
	}
}
