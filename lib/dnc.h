/*
 * dnc: the internal do-not-call list (table dnc, sql/004_dialing.sql):
 * E.164 numbers never to dial, each with a reason, who added it, how and
 * when. A dial to a listed number is refused before anything reaches the
 * provider; the outcome do_not_call adds the contact's number.
 */
#ifndef DL_DNC_H
#define DL_DNC_H

#include "err.h"

#define DNC_REASON_MAX 200 /* characters */

enum dnc_source { DNC_MANUAL = 0, DNC_IMPORT, DNC_OUTCOME };

struct dnc_entry {
	char phone[20];                       /* E.164 */
	char reason[DNC_REASON_MAX * 4 + 1];  /* "" when none was given */
	enum dnc_source source;
	long long added_by;                   /* 0: the API key or dialerctl */
	long long call_id;                    /* DNC_OUTCOME: the call; else 0 */
	char added_at[24];
};

/* *listed is 1 when e164 is on the list; *entry (may be NULL) is then
 * filled. */
enum dl_err dnc_check(const char *e164, int *listed, struct dnc_entry *entry);

/*
 * Put e164 on the list. A number already listed keeps its first entry
 * (*added 0); the list records why a number was first refused. Runs in
 * the caller's transaction when there is one (calls_log adds the number
 * in the same transaction as the outcome). `reason` may be NULL.
 */
enum dl_err dnc_add(const char *e164, const char *reason, enum dnc_source source,
    long long added_by, long long call_id, int *added);

#endif
