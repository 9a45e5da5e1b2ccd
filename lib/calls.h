/*
 * calls: the call rows of shared/design/call-lifecycle.md — creating one
 * (with the limits, checked atomically in SQLite), moving its status only
 * forward, failing it with a reason, and logging the operator's outcome
 * (which updates the contact in the same transaction and never touches
 * status). No provider code here: the endpoints call the provider and
 * record what it said through these functions.
 */
#ifndef DL_CALLS_H
#define DL_CALLS_H

#include "callstate.h"
#include "dialrules.h"
#include "err.h"
#include "jsonw.h"

#define CALLS_NOTES_MAX 4000 /* characters */

struct call {
	long long id;
	long long contact_id;        /* 0: a bare number */
	long long operator_id;       /* 0: the API key */
	char provider[16];
	char conference_name[48];
	char conference_sid[72];
	char call_sid[72];
	char operator_call_sid[72];
	char to_phone[20];
	char from_phone[20];
	enum call_status status;
	char failure_reason[48];
	int has_outcome;
	enum call_outcome outcome;
	char notes[CALLS_NOTES_MAX * 4 + 1];
	char created_at[24], dialed_at[24], answered_at[24], ended_at[24]; /* "" when unset */
	long long created_unix;
	long long dialed_unix;       /* 0 when not dialed */
	long long answered_unix;     /* 0 when not answered */
	long duration_s;             /* -1 when unknown */
	int dial_claimed;            /* the prospect's dial is under way or done */
	long long asked_unix;        /* last time the provider was asked unprompted; 0: never */
	int operator_muted, contact_muted, on_hold; /* the call controls, as last set */
	char callback_at[24];        /* follow_up: the callback time logged; "" when none */
	int recorded;                /* recording was on when the prospect was dialed */
	char recording_sid[72];      /* "" until the provider's recording callback */
	char recording_url[512];     /* the provider's; fetched with our credentials, never shown */
	long recording_duration_s;   /* -1 when unknown */
};

struct calls_new {
	long long operator_id;       /* 0 for the API key */
	long long contact_id;        /* 0 for a bare number */
	const char *to_phone;        /* E.164, already validated */
	const char *from_phone;      /* E.164, or NULL: local presence chooses (lib/callerid) */
	const char *provider;
	const char *idempotency_key; /* NULL when none */
	/* Out: the dialing rules' verdict (DL_ERR_FORBIDDEN: refused, the
	 * verdict says why) and how the caller id was chosen ("given" when
	 * from_phone was). NULL `rules`: the rules are not judged (tests). */
	struct dialrules_verdict *rules;
	const char *caller_id_match;
};

/*
 * Create a queued call. With an idempotency key seen for this operator in
 * the last 24 hours, *out is that call and *replayed is 1 (nothing new is
 * created). DL_ERR_THROTTLED when a limit is reached; *limit then names it
 * ("active_calls", "calls_per_minute", "global_active_calls") and
 * *retry_after says when to try again. DL_ERR_NOTFOUND for a contact_id
 * that is not in an unarchived list. A contact's lead reservation is taken
 * for the operator in the same transaction (DIALER_LEAD_RESERVATION from
 * clock_now); DL_ERR_CONFLICT when another operator holds it (*limit
 * "contact_reserved", *retry_after: seconds until it lapses) or is on a
 * call with the contact ("contact_in_call"). With in->rules set, the
 * dialing rules (lib/dialrules) are judged in the same transaction, so a
 * number put on the DNC list a moment before is never dialed:
 * DL_ERR_FORBIDDEN and the verdict. A replay answers whatever the rules
 * say now.
 */
enum dl_err calls_create(struct calls_new *in, struct call *out,
    int *replayed, const char **limit, long *retry_after);

enum dl_err calls_get(long long id, struct call *out);

/* The provider took the prospect's leg: record its id, "initiated". */
enum dl_err calls_dialed(long long id, const char *call_sid);

/* Apply a status if it moves forward; fills answered/ended times and a
 * duration that was missing (duration_s < 0: unknown). */
enum dl_err calls_apply(long long id, enum call_status status, long duration_s);

/* Fail a call that is not final yet, with a reason. */
enum dl_err calls_fail(long long id, const char *reason);

/* The call whose conference is `conference`: our name or the provider's
 * id. DL_ERR_NOTFOUND when none. */
enum dl_err calls_find_conference(const char *conference, struct call *out);

/* Learned from the provider: its conference id (kept once set) and the
 * operator's leg (replaced: a reconnecting browser gets a new leg). */
enum dl_err calls_set_conference_sid(long long id, const char *conference_sid);
enum dl_err calls_set_operator_leg(long long id, const char *call_sid);

enum calls_control { CALLS_OPERATOR_MUTED, CALLS_CONTACT_MUTED, CALLS_ON_HOLD };

/* Record a call control the provider carried out. */
enum dl_err calls_set_control(long long id, enum calls_control which, int on);

/* The prospect is being dialed with recording on (the consent
 * announcement is theirs to hear first). */
enum dl_err calls_set_recorded(long long id);

/* The provider's recording callback: its id, URL and length (-1 when not
 * given). A repeat with the same sid changes nothing; a different sid
 * replaces the earlier one (a conference recorded again). */
enum dl_err calls_set_recording(long long id, const char *sid, const char *url,
    long duration_s);

/* The call whose recording is `sid`. DL_ERR_NOTFOUND when none. */
enum dl_err calls_find_recording(const char *sid, struct call *out);

/* We are asking the provider about this overdue call now. */
enum dl_err calls_mark_asked(long long id);

/* Take the call's one right to dial the prospect: *won is 1 for exactly
 * one caller, and only while the call is queued. A claim is never given
 * back: a dial that failed fails the call. */
enum dl_err calls_claim_dial(long long id, int *won);

/* A provider's raw event, kept in call_events. */
struct calls_event_in {
	long long call_id;           /* 0 when it matched no call */
	const char *provider;
	const char *key;             /* the same for every delivery of one event */
	const char *type;
	const char *body;
	size_t bodylen;
};

/* Keep an event; *fresh is 0 when it had been kept before (a repeat). */
enum dl_err calls_event(const struct calls_event_in *in, int *fresh);

struct calls_log_in {
	enum call_outcome outcome;
	const char *notes;           /* NULL or "": none */
	const char *callback_at;     /* follow_up: ISO-8601 UTC, or NULL; ignored otherwise */
	long long now_unix;          /* the dialing rules' clock (clock_now) */
};

/*
 * Record the operator's outcome and notes (again: replaced, never
 * duplicated) and, in the same transaction, the contact's place in the
 * queue: status, last outcome, last called time, attempts (counted once
 * per call), retry time (no_answer/busy while DIALER_RETRY_MAX_ATTEMPTS
 * allows, DIALER_RETRY_DELAY after now), callback (follow_up), and the
 * release of the operator's lead reservation. do_not_call also puts the
 * number on the DNC list.
 */
enum dl_err calls_log(long long id, const struct calls_log_in *in);

/* Ids of the operator's calls that are not final (at most max). */
enum dl_err calls_active(long long operator_id, long long *ids, int max, int *n);

struct calls_filter {
	long long operator_id; /* 0: everyone's */
	long long contact_id;  /* 0: any */
	const char *since;     /* ISO-8601 UTC lower bound on created_at, or NULL */
	long long page, per_page;
};

/* {"items":[call…],"page","per_page","total"}, newest first, written
 * into w; on an error w may hold part of it (the caller frees w either
 * way). */
enum dl_err calls_list(const struct calls_filter *f, struct jsonw *w);

/* The API's call object, written into w as JSON text (no cJSON tree: a
 * status poll is the busiest request there is); with "caller_id_match"
 * last when that is not NULL. */
void calls_jsonw(struct jsonw *w, const struct call *c, const char *caller_id_match);

#endif
