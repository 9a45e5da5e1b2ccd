/*
 * leads: the queue of a shared list — which contact an operator calls
 * next (POST /api/v1/lists/{id}/next), held for them so that nobody else
 * is handed it, and whose callbacks are due (GET /api/v1/callbacks).
 *
 * Every judgement is made at the time the caller passes (clock_now), bound
 * into SQL as ISO-8601 text, never SQLite's own clock. A reservation is
 * contacts.reserved_by/reserved_until: an operator's only; the API key
 * (operator 0) is handed contacts without holding them, as for a dial.
 */
#ifndef DL_LEADS_H
#define DL_LEADS_H

#include <stddef.h>

#include "clock.h"
#include "err.h"

enum leads_reason {
	LEADS_CALLBACK = 0, /* a callback that is due */
	LEADS_NEW,          /* never called */
	LEADS_RETRY         /* no answer or busy before, and its retry time has come */
};

struct leads_pick {
	long long contact_id;                /* 0: nothing is callable now */
	enum leads_reason reason;
	char reserved_until[CLOCK_ISO_LEN];  /* "" for the API key */
	char timezone[64];                   /* the contact's own zone; "" when none */
	char phone[20];                      /* E.164 */
};

/*
 * The next contact of list_id for operator_id (0: the API key) at `now`,
 * in one write transaction. skip_contact_id (0: none), if the caller holds
 * it, is released and offered to nobody for DIALER_SKIP_DELAY seconds. A
 * live reservation the caller holds in the list is handed back as it is;
 * else the first of: due callbacks (the caller's own first, then the
 * oldest), never-called contacts in id order, due retries (oldest first),
 * passing over numbers on the DNC list, contacts outside calling hours,
 * with a call in flight, held by another operator, or skipped. The pick is
 * reserved for DIALER_LEAD_RESERVATION seconds and any other reservation
 * of the caller in the list released. DL_ERR_NOTFOUND when the list is
 * missing or archived; out->contact_id 0 when nothing is callable.
 */
enum dl_err leads_next(long long list_id, long long operator_id, long long skip_contact_id,
    long long now, struct leads_pick *out);

/* "callback", "new", "retry". */
const char *leads_reason_name(enum leads_reason reason);

/*
 * The answer to /next as JSON text: {"contact", "reason", "reserved_until",
 * "zone", "local_time", "caller_id", "caller_id_match"}, the caller id
 * being the one a call through `provider` would go out from. *json is the
 * caller's to free. DL_ERR_CONFIG when calling hours or caller ids are
 * configured wrongly.
 */
enum dl_err leads_pick_json(const struct leads_pick *pick, long long now,
    const char *provider, char **json, size_t *len);

/*
 * {"items":[{"contact","callback_at","due"}], "now"}: the callbacks of
 * user_id (0: those logged with the API key) in unarchived lists, soonest
 * first; due_only keeps those whose time has come. *json is the caller's
 * to free.
 */
enum dl_err leads_callbacks(long long user_id, int due_only, long long now, char **json,
    size_t *len);

#endif
