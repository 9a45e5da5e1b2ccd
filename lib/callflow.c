#include <string.h>
#include <time.h>

#include "callflow.h"

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
}

enum dl_err
callflow_settle(struct call *c, int ask)
{
	const struct provider *p;
	struct provider_ref ref;
	struct provider_status st;
	struct provider_error perr;
	enum dl_err err;

	if (call_status_final(c->status))
		return DL_OK;
	if (provider_get(c->provider, &p, NULL, 0) != DL_OK)
		return DL_OK;
	callflow_ref(c, &ref);
	if (c->status == CALL_QUEUED && !p->simulated &&
	    ref.now_unix - c->created_unix > CALLFLOW_OPERATOR_JOIN_TIMEOUT) {
		if ((err = calls_fail(c->id, "operator_not_connected")) != DL_OK)
			return err;
		return calls_get(c->id, c);
	}
	if (!(ask || p->simulated) || c->dialed_unix == 0)
		return DL_OK;
	memset(&perr, 0, sizeof(perr));
	if (p->status(&ref, &st, &perr) != DL_OK)
		return DL_OK; /* a later read asks again */
	if ((err = calls_apply(c->id, st.status, st.duration_s)) != DL_OK)
		return err;
	return calls_get(c->id, c);
}

enum dl_err
callflow_joined(const struct provider *p, struct call *c, struct provider_error *perr)
{
	struct provider_dial d;
	char leg[PROVIDER_SID_MAX];
	enum dl_err err;

	if (!p->simulated || c->status != CALL_QUEUED)
		return DL_OK;
	memset(&d, 0, sizeof(d));
	callflow_ref(c, &d.ref);
	d.to = c->to_phone;
	d.from = c->from_phone[0] ? c->from_phone : NULL;
	d.timeout_s = CALLFLOW_DIAL_TIMEOUT;
	if ((err = p->dial(&d, leg, perr)) != DL_OK) {
		calls_fail(c->id, "provider_error");
		return err;
	}
	if ((err = calls_dialed(c->id, leg)) != DL_OK)
		return err;
	return calls_get(c->id, c);
}

enum dl_err
callflow_end(const struct provider *p, struct call *c, struct provider_error *perr)
{
	struct provider_ref ref;
	enum dl_err err;

	callflow_ref(c, &ref);
	if ((err = p->end(&ref, perr)) != DL_OK)
		return err;
	if (p->simulated) {
		if ((err = callflow_settle(c, 1)) != DL_OK)
			return err;
		if (!call_status_final(c->status) &&
		    (err = calls_apply(c->id, c->status == CALL_IN_PROGRESS ?
		    CALL_COMPLETED : CALL_CANCELED, -1)) != DL_OK)
			return err;
	}
	return calls_get(c->id, c);
}
