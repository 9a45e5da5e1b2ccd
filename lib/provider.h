/*
 * provider: a telephony provider behind one struct of function pointers,
 * as curl's TLS backends are (lib/vtls). One `const struct provider` per
 * file (sim.c; twilio.c and telnyx.c as they land), found by name in the
 * NULL-terminated table of provider.c. Handlers never name a provider.
 *
 * Every slot returns enum dl_err. When the provider itself answered with
 * an error, *perr holds its status, code and message, for the error
 * envelope's details. Nothing a slot returns needs freeing: outputs go to
 * caller-provided structs. See shared/design/call-lifecycle.md for who
 * moves a call's status when.
 *
 * Recording (DIALER_RECORD_CALLS): the dial asks the provider to record and
 * to call our recording-status webhook; the prospect hears the consent
 * announcement (consent) when they answer; the provider's recording
 * callback arrives as PROVIDER_EV_RECORDING; fetch_recording streams the
 * audio back with our credentials.
 */
#ifndef DL_PROVIDER_H
#define DL_PROVIDER_H

#include <stddef.h>

#include "callstate.h"
#include "err.h"

#define PROVIDER_SID_MAX 72     /* CA…, CF…, v3:… call_control_id */
#define PROVIDER_TOKEN_MAX 2048 /* a browser join credential */
#define PROVIDER_URL_MAX 512    /* a recording's URL at the provider */
#define PROVIDER_CONSENT_MAX 1000 /* bytes of consent text (Telnyx speaks 3,000) */
#define PROVIDER_MEDIA_TIMEOUT 300L /* seconds a recording's download may take */

/* What we know of one call at the provider; NULL when not known yet. */
struct provider_ref {
	long long call_id;           /* ours */
	const char *conference_name; /* ours: "cd-" + random */
	const char *conference_sid;  /* the provider's conference */
	const char *call_sid;        /* the prospect's leg */
	const char *operator_call_sid;
	long long dialed_unix;       /* when the prospect's leg was requested; 0 if not */
	long long now_unix;          /* the clock to judge by (injectable for tests) */
	int recorded;                /* recording was on when the prospect was dialed */
};

/* What the prospect hears before a recorded conversation. */
struct provider_consent {
	const char *text;            /* spoken, when url is NULL */
	const char *url;             /* http(s) audio (mp3 or wav) played instead, or NULL */
	const char *hook_url;        /* our webhook the provider fetches it from (Twilio), or NULL */
};

/* Dial the prospect into the conference the operator is already in, or
 * (prospect_first, the seed's order) into one that does not exist yet. */
struct provider_dial {
	struct provider_ref ref;
	const char *to;              /* E.164 */
	const char *from;            /* E.164 caller id */
	long timeout_s;              /* ring this long before no-answer */
	const char *status_url;      /* absolute URL of our leg-status webhook */
	int prospect_first;          /* the conference is made by this leg */
	const char *conference_url;  /* prospect_first: our conference-event webhook */
	int machine_detection;       /* tell a person from an answering machine */
	int record;                  /* record the conversation */
	const char *recording_url;   /* record: absolute URL of our recording-status webhook */
	const struct provider_consent *consent; /* record: what the prospect hears first */
};

/* A webhook as it reached us, for the provider to verify and read. */
struct provider_webhook {
	const char *kind;            /* the last path segment: "voice", "call-status", ... */
	const char *url;             /* the public URL it was sent to, query included */
	/* A request header by name, NULL when absent. */
	const char *(*header)(void *arg, const char *name);
	void *header_arg;
	const char *media_type;      /* lower-case, without parameters */
	const char *body;            /* NUL-terminated */
	size_t bodylen;
	long long now_unix;
};

enum provider_event_type {
	PROVIDER_EV_IGNORED = 0,     /* genuine, but nothing we act on */
	PROVIDER_EV_OPERATOR_CONNECT,/* the operator's leg asks to enter conference_name */
	PROVIDER_EV_CONFERENCE_START,
	PROVIDER_EV_PARTICIPANT_JOIN,/* call_sid entered the conference */
	PROVIDER_EV_PARTICIPANT_LEAVE,
	PROVIDER_EV_CONFERENCE_END,
	PROVIDER_EV_LEG_STATUS,      /* call_sid (the prospect's leg) moved to status */
	PROVIDER_EV_CONSENT_FETCH,   /* the provider asks for the consent document (reply) */
	PROVIDER_EV_CONSENT_PLAYED,  /* call_sid heard the consent announcement through */
	PROVIDER_EV_CONSENT_FAILED,  /* it could not be played to call_sid (not a hang-up) */
	PROVIDER_EV_RECORDING        /* recording_sid is ready: recording_url, duration_s */
};

/* What a webhook said, in our words. Empty strings when not given. */
struct provider_event {
	enum provider_event_type type;
	char key[224];               /* the same for every delivery of this event */
	char name[48];               /* the provider's word for it, for call_events */
	char conference_name[48];
	char conference_sid[PROVIDER_SID_MAX];
	char call_sid[PROVIDER_SID_MAX];
	char identity[128];          /* OPERATOR_CONNECT: who the browser leg is */
	enum call_status status;     /* LEG_STATUS */
	long duration_s;             /* -1 when not given */
	char recording_sid[PROVIDER_SID_MAX]; /* RECORDING */
	char recording_url[PROVIDER_URL_MAX]; /* RECORDING: the provider's, never shown */
};

/* The body that answers a webhook (TwiML for Twilio's voice URL). */
struct provider_reply {
	char content_type[48];       /* "" for no body (204) */
	char body[8192];             /* consent text escaped for XML grows up to 6-fold */
	size_t len;
	char conference_sid[PROVIDER_SID_MAX]; /* a room admit made and named, or "" */
};

/* The operator's browser leg: what the voice SDK needs to connect. */
struct provider_join {
	char token[PROVIDER_TOKEN_MAX];
	char identity[128];
	long long expires_at;        /* Unix seconds */
	char edge[32];               /* where the browser should connect ("" = the SDK's choice) */
};

struct provider_status {
	enum call_status status;     /* of the prospect's leg */
	long duration_s;             /* talk time (so far, while in progress), -1 when not known */
	/* The call's recording, where the provider reports it here rather than
	 * in a callback (the simulator); "" when none. */
	char recording_sid[PROVIDER_SID_MAX];
};

enum provider_party { PROVIDER_OPERATOR, PROVIDER_CONTACT };

/* The provider's own words when it refused; status 0 when it never answered. */
struct provider_error {
	int http_status;
	char code[32];
	char message[256];
	char reason[32];             /* our word for a known refusal ("invalid_number"), or "" */
};

/* A stored recording, as its callback named it. */
struct provider_recording {
	const char *sid;
	const char *url;             /* "" when the callback gave none */
	long duration_s;             /* -1 when not known */
};

/* Where a recording's bytes go as they arrive. */
struct provider_sink {
	/* Once, before the first byte: the provider's Content-Type ("" when
	 * none) and length (-1 when not announced). DL_OK takes the answer;
	 * any other value refuses it and is what fetch_recording returns. */
	enum dl_err (*begin)(void *arg, const char *content_type, long long length);
	/* The next bytes; 0 to go on, -1 to stop (the browser went away). */
	int (*write)(void *arg, const char *p, size_t n);
	void *arg;
	long long max_bytes;         /* a longer recording is DL_ERR_TOOBIG */
};

struct provider {
	/* Lower-case name used in config, requests and the calls table. */
	const char *name;
	/* Settings that must be set before the provider can be used,
	 * NULL-terminated; the factory names the missing ones. */
	const char *const *settings;
	/* 1 for the simulator: the page and the logs say so. */
	int simulated;
	/* 1 when the browser's leg names its identity (Twilio's client:NAME),
	 * checked against the call's owner; 0 when the unguessable conference
	 * name, known only to the owner, is what the leg proves (Telnyx). */
	int leg_identity;
	/* Credentials for the operator's browser to join ref->conference_name
	 * as `identity`. */
	enum dl_err (*join)(const struct provider_ref *ref, const char *identity,
	    struct provider_join *out, struct provider_error *perr);
	/* Place the prospect's leg into the conference; *leg gets its id.
	 * Never retried blindly: a repeat would ring the prospect twice. */
	enum dl_err (*dial)(const struct provider_dial *d, char leg[PROVIDER_SID_MAX],
	    struct provider_error *perr);
	/* Mute or unmute one participant. */
	enum dl_err (*mute)(const struct provider_ref *ref, enum provider_party who,
	    int muted, struct provider_error *perr);
	/* Put the prospect on hold, or take them off it. */
	enum dl_err (*hold)(const struct provider_ref *ref, int hold,
	    struct provider_error *perr);
	/* Hang up everyone (end the conference, or cancel the prospect's leg
	 * before it exists). */
	enum dl_err (*end)(const struct provider_ref *ref, struct provider_error *perr);
	/* Ask the provider where the prospect's leg is now. */
	enum dl_err (*status)(const struct provider_ref *ref, struct provider_status *out,
	    struct provider_error *perr);
	/* Verify a webhook's signature and read it into *ev. DL_ERR_AUTH when
	 * the signature is missing or wrong, DL_ERR_NOTFOUND for a kind this
	 * provider does not send, DL_ERR_INVALID for a malformed body,
	 * DL_ERR_UNSUPPORTED for its media type. */
	enum dl_err (*webhook)(const struct provider_webhook *in, struct provider_event *ev);
	/* Answer an OPERATOR_CONNECT: put the leg in ref->conference_name
	 * (events about the room go to conference_url), or refuse it when ref
	 * is NULL. */
	enum dl_err (*admit)(const struct provider_event *ev, const struct provider_ref *ref,
	    const char *conference_url, struct provider_reply *out);
	/* The prospect answered: put their leg (ref->call_sid) into the room
	 * if the provider does not do that itself (Twilio's participant is in
	 * it already: DL_OK, nothing sent). */
	enum dl_err (*answered)(const struct provider_ref *ref, struct provider_error *perr);
	/* 1 when the prospect hears the consent announcement before entering
	 * the room, so callflow brings them in (answered) only on
	 * PROVIDER_EV_CONSENT_PLAYED (Telnyx); 0 when it is played to them
	 * where they are (Twilio's participant is in the room already). */
	int consent_first;
	/* A recorded call's prospect answered (ref->call_sid): play them the
	 * consent announcement. */
	enum dl_err (*consent)(const struct provider_ref *ref, const struct provider_consent *c,
	    struct provider_error *perr);
	/* Answer a PROVIDER_EV_CONSENT_FETCH with the document that says or
	 * plays it. DL_ERR_UNSUPPORTED for a provider that never asks. */
	enum dl_err (*announce)(const struct provider_consent *c, struct provider_reply *out);
	/* Stream the call's recording to `sink`, fetched with our
	 * credentials. DL_ERR_NOTFOUND when the provider has no such
	 * recording; whatever sink->begin refused with; DL_ERR_TOOBIG over
	 * sink->max_bytes (after begin, the bytes so far were written). */
	enum dl_err (*fetch_recording)(const struct provider_ref *ref,
	    const struct provider_recording *rec, const struct provider_sink *sink,
	    struct provider_error *perr);
};

/*
 * The provider called `name`. DL_ERR_NOTFOUND: no such provider.
 * DL_ERR_CONFIG: a required setting is missing; `missing` (may be NULL)
 * gets their names, comma-separated.
 */
enum dl_err provider_get(const char *name, const struct provider **out,
    char *missing, size_t missingsz);

/* The configured default (DIALER_PROVIDER, "sim" when unset). */
const char *provider_default_name(void);

#endif
