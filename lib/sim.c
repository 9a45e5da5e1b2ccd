/*
 * sim: the simulated provider, for `make run` without credentials. No
 * network: a dialed call walks initiated -> ringing -> in-progress ->
 * completed on a clock measured from when it was dialed, so any read of the
 * call can settle it (nothing keeps state here). Join credentials are
 * random and good for nothing but the simulator.
 */
#include <stdio.h>
#include <string.h>

#include "provider.h"
#include "secure.h"

/* Seconds after the dial at which each status is reached. */
#define SIM_RINGING 1
#define SIM_ANSWERED 4
#define SIM_TALK 30
#define SIM_TOKEN_TTL 3600

static enum dl_err
random_id(const char *prefix, char *out, size_t outsz)
{
	unsigned char raw[16];
	char hex[33];
	enum dl_err err;

	if ((err = secure_random(raw, sizeof(raw))) != DL_OK ||
	    (err = secure_hex(raw, sizeof(raw), hex, sizeof(hex))) != DL_OK)
		return err;
	if ((size_t)snprintf(out, outsz, "%s%s", prefix, hex) >= outsz)
		return DL_ERR_TOOBIG;
	return DL_OK;
}

static enum dl_err
sim_join(const struct provider_ref *ref, const char *identity,
    struct provider_join *out, struct provider_error *perr)
{
	(void)perr;
	if (identity == NULL || *identity == '\0' ||
	    strlen(identity) >= sizeof(out->identity))
		return DL_ERR_INVALID;
	memcpy(out->identity, identity, strlen(identity) + 1);
	out->expires_at = ref->now_unix + SIM_TOKEN_TTL;
	out->edge[0] = '\0';
	return random_id("sim.", out->token, sizeof(out->token));
}

static enum dl_err
sim_dial(const struct provider_dial *d, char leg[PROVIDER_SID_MAX],
    struct provider_error *perr)
{
	(void)perr;
	if (d->to == NULL || d->to[0] != '+')
		return DL_ERR_INVALID;
	return random_id("SIM", leg, PROVIDER_SID_MAX);
}

static enum dl_err
sim_mute(const struct provider_ref *ref, enum provider_party who, int muted,
    struct provider_error *perr)
{
	(void)ref, (void)who, (void)muted, (void)perr;
	return DL_OK;
}

static enum dl_err
sim_hold(const struct provider_ref *ref, int hold, struct provider_error *perr)
{
	(void)ref, (void)hold, (void)perr;
	return DL_OK;
}

static enum dl_err
sim_end(const struct provider_ref *ref, struct provider_error *perr)
{
	(void)ref, (void)perr;
	return DL_OK;
}

static enum dl_err
sim_status(const struct provider_ref *ref, struct provider_status *out,
    struct provider_error *perr)
{
	long long t = ref->now_unix - ref->dialed_unix;

	(void)perr;
	out->duration_s = -1;
	if (ref->dialed_unix <= 0)
		out->status = CALL_QUEUED;
	else if (t < SIM_RINGING)
		out->status = CALL_INITIATED;
	else if (t < SIM_ANSWERED)
		out->status = CALL_RINGING;
	else if (t < SIM_ANSWERED + SIM_TALK) {
		out->status = CALL_IN_PROGRESS;
		out->duration_s = (long)(t - SIM_ANSWERED); /* talk time so far */
	}
	else {
		out->status = CALL_COMPLETED;
		out->duration_s = SIM_TALK;
	}
	return DL_OK;
}

/* Nothing outside calls the simulator back. */
static enum dl_err
sim_webhook(const struct provider_webhook *in, struct provider_event *ev)
{
	(void)in, (void)ev;
	return DL_ERR_NOTFOUND;
}

static enum dl_err
sim_admit(const struct provider_event *ev, const struct provider_ref *ref,
    const char *conference_url, struct provider_reply *out)
{
	(void)ev, (void)ref, (void)conference_url, (void)out;
	return DL_ERR_UNSUPPORTED;
}

static enum dl_err
sim_answered(const struct provider_ref *ref, struct provider_error *perr)
{
	(void)ref, (void)perr;
	return DL_OK;
}

const struct provider provider_sim = {
	"sim",
	NULL,       /* needs no settings */
	1,          /* simulated */
	0,          /* no browser leg at all */
	sim_join,
	sim_dial,
	sim_mute,
	sim_hold,
	sim_end,
	sim_status,
	sim_webhook,
	sim_admit,
	sim_answered,
};
