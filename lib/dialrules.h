/*
 * dialrules: may this number be dialed now? The checks every dial passes
 * before anything reaches a provider, for the API and the seed's routes
 * alike: the do-not-call list, then calling hours in the contact's local
 * time. (Lead reservations are claimed atomically with the call row by
 * calls_create.) The refusal comes with a sentence for the operator.
 */
#ifndef DL_DIALRULES_H
#define DL_DIALRULES_H

#include "callhours.h"
#include "dnc.h"
#include "err.h"

enum dialrules_refusal {
	DIALRULES_OK = 0,
	DIALRULES_DO_NOT_CALL,   /* the number is on the DNC list */
	DIALRULES_OUTSIDE_HOURS  /* outside the calling window where the contact is */
};

struct dialrules_verdict {
	enum dialrules_refusal refusal;
	char to[20];                    /* the number judged (E.164) */
	struct dnc_entry dnc;           /* DIALRULES_DO_NOT_CALL */
	struct callhours_verdict hours; /* filled whenever hours were judged */
	char message[1024];             /* the refusal in words; "" when allowed */
};

/*
 * Judge a dial at `now` to contact `contact_id` (its number and time zone
 * come from the row) or, when contact_id is 0, to the bare number `to`
 * (E.164; its zone comes from the number). DL_ERR_NOTFOUND for a contact
 * that is not in an unarchived list; DL_ERR_CONFIG for malformed calling
 * hours settings.
 */
enum dl_err dialrules_check(long long contact_id, const char *to, long long now,
    struct dialrules_verdict *out);

/* The stable error code of a refusal: "do_not_call", "outside_calling_hours". */
const char *dialrules_code(enum dialrules_refusal refusal);

#endif
