#include <stddef.h>
#include <string.h>

#include "callstate.h"

static const char *const status_names[CALL_STATUS__COUNT] = {
	[CALL_QUEUED] = "queued",
	[CALL_INITIATED] = "initiated",
	[CALL_RINGING] = "ringing",
	[CALL_IN_PROGRESS] = "in-progress",
	[CALL_COMPLETED] = "completed",
	[CALL_BUSY] = "busy",
	[CALL_NO_ANSWER] = "no-answer",
	[CALL_FAILED] = "failed",
	[CALL_CANCELED] = "canceled",
};

const char *
call_status_name(enum call_status s)
{
	return (unsigned)s < CALL_STATUS__COUNT ? status_names[s] : "unknown";
}

enum dl_err
call_status_parse(const char *name, enum call_status *out)
{
	int i;

	for (i = 0; name != NULL && i < CALL_STATUS__COUNT; i++) {
		if (strcmp(status_names[i], name) == 0) {
			*out = (enum call_status)i;
			return DL_OK;
		}
	}
	return DL_ERR_INVALID;
}

int
call_status_rank(enum call_status s)
{
	return s >= CALL_COMPLETED ? 4 : (int)s;
}

int
call_status_final(enum call_status s)
{
	return call_status_rank(s) == 4;
}

int
call_status_advances(enum call_status current, enum call_status next)
{
	if ((unsigned)next >= CALL_STATUS__COUNT)
		return 0;
	return call_status_rank(next) > call_status_rank(current);
}

static const struct {
	const char *word;
	enum call_status status;
} twilio_words[] = {
	{ "queued", CALL_QUEUED },
	{ "initiated", CALL_INITIATED },
	{ "ringing", CALL_RINGING },
	{ "in-progress", CALL_IN_PROGRESS },
	{ "answered", CALL_IN_PROGRESS },
	{ "completed", CALL_COMPLETED },
	{ "busy", CALL_BUSY },
	{ "no-answer", CALL_NO_ANSWER },
	{ "failed", CALL_FAILED },
	{ "canceled", CALL_CANCELED },
};

enum dl_err
call_status_from_twilio(const char *word, enum call_status *out)
{
	size_t i;

	for (i = 0; word != NULL && i < sizeof(twilio_words) / sizeof(twilio_words[0]); i++) {
		if (strcmp(twilio_words[i].word, word) == 0) {
			*out = twilio_words[i].status;
			return DL_OK;
		}
	}
	return DL_ERR_INVALID;
}

const char *const call_outcome_names[CALL_OUTCOME__COUNT + 1] = {
	[OUTCOME_CONNECTED] = "connected",
	[OUTCOME_VOICEMAIL] = "voicemail",
	[OUTCOME_NO_ANSWER] = "no_answer",
	[OUTCOME_NOT_INTERESTED] = "not_interested",
	[OUTCOME_FOLLOW_UP] = "follow_up",
	[OUTCOME_WRONG_NUMBER] = "wrong_number",
	[OUTCOME_BUSY] = "busy",
	[OUTCOME_DO_NOT_CALL] = "do_not_call",
	[CALL_OUTCOME__COUNT] = NULL,
};

const char *
call_outcome_name(enum call_outcome o)
{
	return (unsigned)o < CALL_OUTCOME__COUNT ? call_outcome_names[o] : "unknown";
}

enum dl_err
call_outcome_parse(const char *name, enum call_outcome *out)
{
	int i;

	for (i = 0; name != NULL && i < CALL_OUTCOME__COUNT; i++) {
		if (strcmp(call_outcome_names[i], name) == 0) {
			*out = (enum call_outcome)i;
			return DL_OK;
		}
	}
	return DL_ERR_INVALID;
}
