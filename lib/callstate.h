/*
 * callstate: the life of a call, one state machine for every provider
 * (shared/design/call-lifecycle.md).
 *
 *   queued(0) -> initiated(1) -> ringing(2) -> in-progress(3)
 *     -> completed | busy | no-answer | failed | canceled (4, final)
 *
 * An event is applied only if it moves the rank forward: a late "ringing"
 * after "in-progress" changes nothing, and a final status is never replaced
 * by another. That makes webhooks safe to deliver twice, late or out of
 * order. Provider words are mapped onto ours here, one table per provider,
 * so handlers and the page only ever see ours. Outcomes (what the operator
 * concluded) are a separate vocabulary: logging one never changes status.
 * Everything here is pure: no I/O, no allocation.
 */
#ifndef DL_CALLSTATE_H
#define DL_CALLSTATE_H

#include "err.h"

enum call_status {
	CALL_QUEUED = 0,
	CALL_INITIATED,
	CALL_RINGING,
	CALL_IN_PROGRESS,
	CALL_COMPLETED,
	CALL_BUSY,
	CALL_NO_ANSWER,
	CALL_FAILED,
	CALL_CANCELED,
	CALL_STATUS__COUNT
};

/* Our word for a status: "queued", "in-progress", "no-answer", ... */
const char *call_status_name(enum call_status s);
/* DL_ERR_INVALID for anything but one of our words. */
enum dl_err call_status_parse(const char *name, enum call_status *out);

/* 0..4 as in the diagram; every final status is 4. */
int call_status_rank(enum call_status s);
int call_status_final(enum call_status s);

/* 1 if `next` may replace `current` (it moves the rank forward). */
int call_status_advances(enum call_status current, enum call_status next);

/* Twilio's CallStatus words (queued, initiated, ringing, in-progress,
 * answered, completed, busy, no-answer, failed, canceled); "answered" is
 * the status-callback event name for in-progress. DL_ERR_INVALID otherwise. */
enum dl_err call_status_from_twilio(const char *word, enum call_status *out);

/* The operator's conclusions: the seed's seven, and do_not_call (the
 * prospect asked never to be called again: their number joins the DNC
 * list when it is logged). */
enum call_outcome {
	OUTCOME_CONNECTED = 0,
	OUTCOME_VOICEMAIL,
	OUTCOME_NO_ANSWER,
	OUTCOME_NOT_INTERESTED,
	OUTCOME_FOLLOW_UP,
	OUTCOME_WRONG_NUMBER,
	OUTCOME_BUSY,
	OUTCOME_DO_NOT_CALL,
	CALL_OUTCOME__COUNT
};

/* NULL-terminated list of outcome words, for validation tables. */
extern const char *const call_outcome_names[];
const char *call_outcome_name(enum call_outcome o);
enum dl_err call_outcome_parse(const char *name, enum call_outcome *out);

#endif
