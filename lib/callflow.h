/*
 * callflow: what happens to a call between its row (calls) and its
 * provider (struct provider) — the rules of call-lifecycle.md that need
 * both: settling a call still in flight, dialing at once when a provider
 * has no operator-join event to wait for, and what ending a call means.
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

/* What the provider needs to know of the call, judged by the clock now. */
void callflow_ref(const struct call *c, struct provider_ref *ref);

/*
 * Nothing stays in flight forever: fail a queued call past the
 * operator-join timeout, and ask the provider where the call is when it
 * can always say (the simulator) or when `ask` is set. *c is reloaded.
 * A provider that cannot answer leaves the row as it is.
 */
enum dl_err callflow_settle(struct call *c, int ask);

/*
 * After the operator's credentials are issued: a provider without an
 * operator-join event (the simulator) has the operator in the room at
 * once, so the prospect is dialed now; the others dial when their join
 * event arrives. On a provider error the call fails with provider_error
 * and *perr says why. *c is reloaded.
 */
enum dl_err callflow_joined(const struct provider *p, struct call *c,
    struct provider_error *perr);

/* Hang up everyone. A provider that sends no hang-up event (the
 * simulator) is settled here: canceled before an answer, completed after.
 * *c is reloaded. */
enum dl_err callflow_end(const struct provider *p, struct call *c,
    struct provider_error *perr);

#endif
