/*
 * sim: the simulated provider, for `make run` without credentials. No
 * network: a dialed call walks initiated -> ringing -> in-progress ->
 * completed on a clock measured from when it was dialed, so any read of the
 * call can settle it (nothing keeps state here). Join credentials are
 * random and good for nothing but the simulator.
 *
 * A recorded call's recording is reported with its status once the call
 * is answered (sid "SIMREC" + the call and its dial time, so every read
 * names the same one), and served as a WAV made here: a quiet tone of at
 * most SIM_WAV_MAX_S seconds, whatever the talk time.
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
/* The generated recording: 8 kHz 16-bit mono, a triangle wave. */
#define SIM_WAV_RATE 8000
#define SIM_WAV_MAX_S 3
#define SIM_WAV_HEADER 44
#define SIM_TONE_PERIOD 20   /* samples: 400 Hz */
#define SIM_TONE_PEAK 800    /* of 32767: quiet */
#define SIM_REC_PREFIX "SIMREC"

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
	out->recording_sid[0] = '\0';
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
	if (ref->recorded && ref->dialed_unix > 0 && t >= SIM_ANSWERED)
		snprintf(out->recording_sid, sizeof(out->recording_sid),
		    SIM_REC_PREFIX "%016llx%08llx", (unsigned long long)ref->call_id,
		    (unsigned long long)ref->dialed_unix);
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

/* Nobody is called: the simulator has no one to announce anything to. */
static enum dl_err
sim_consent(const struct provider_ref *ref, const struct provider_consent *c,
    struct provider_error *perr)
{
	(void)ref, (void)c, (void)perr;
	return DL_OK;
}

static enum dl_err
sim_announce(const struct provider_consent *c, struct provider_reply *out)
{
	(void)c, (void)out;
	return DL_ERR_UNSUPPORTED;
}

static void
put_le(unsigned char *p, unsigned long v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A RIFF/WAVE header for `samples` 16-bit mono samples. */
static void
wav_header(unsigned char h[SIM_WAV_HEADER], unsigned long samples)
{
	unsigned long data = samples * 2;

	memcpy(h, "RIFF", 4);
	put_le(h + 4, 36 + data, 4);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le(h + 16, 16, 4);                 /* fmt chunk size */
	put_le(h + 20, 1, 2);                  /* PCM */
	put_le(h + 22, 1, 2);                  /* mono */
	put_le(h + 24, SIM_WAV_RATE, 4);
	put_le(h + 28, SIM_WAV_RATE * 2, 4);   /* bytes per second */
	put_le(h + 32, 2, 2);                  /* block align */
	put_le(h + 34, 16, 2);                 /* bits per sample */
	memcpy(h + 36, "data", 4);
	put_le(h + 40, data, 4);
}

static enum dl_err
sim_fetch_recording(const struct provider_ref *ref, const struct provider_recording *rec,
    const struct provider_sink *sink, struct provider_error *perr)
{
	unsigned char head[SIM_WAV_HEADER], buf[2048];
	unsigned long samples, i;
	long secs = rec->duration_s;
	size_t used = 0;
	enum dl_err err;

	(void)ref, (void)perr;
	if (rec->sid == NULL || strncmp(rec->sid, SIM_REC_PREFIX, strlen(SIM_REC_PREFIX)) != 0)
		return DL_ERR_NOTFOUND;
	if (secs < 1)
		secs = 1;
	if (secs > SIM_WAV_MAX_S)
		secs = SIM_WAV_MAX_S;
	samples = (unsigned long)secs * SIM_WAV_RATE;
	if ((long long)(SIM_WAV_HEADER + samples * 2) > sink->max_bytes)
		return DL_ERR_TOOBIG;
	if ((err = sink->begin(sink->arg, "audio/wav",
	    (long long)(SIM_WAV_HEADER + samples * 2))) != DL_OK)
		return err;
	wav_header(head, samples);
	if (sink->write(sink->arg, (const char *)head, sizeof(head)) != 0)
		return DL_ERR_IO;
	for (i = 0; i < samples; i++) {
		long phase = (long)(i % SIM_TONE_PERIOD), half = SIM_TONE_PERIOD / 2;
		long v = (phase < half ? phase : SIM_TONE_PERIOD - phase) * 2 * SIM_TONE_PEAK / half -
		    SIM_TONE_PEAK;

		put_le(buf + used, (unsigned long)v & 0xffffUL, 2);
		used += 2;
		if (used == sizeof(buf) || i + 1 == samples) {
			if (sink->write(sink->arg, (const char *)buf, used) != 0)
				return DL_ERR_IO;
			used = 0;
		}
	}
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
	0,          /* nobody to announce to */
	sim_consent,
	sim_announce,
	sim_fetch_recording,
};
