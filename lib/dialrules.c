#include <stdio.h>
#include <string.h>

#include "db.h"
#include "dialrules.h"
#include "phone.h"

static const char sql_contact[] =
    "SELECT c.phone_e164, c.timezone FROM contacts c JOIN contact_lists l ON l.id = c.list_id "
    "WHERE c.id = ?1 AND l.archived_at IS NULL";

/* The number a person reads: "+1 202-555-0143" (E.164 if it will not parse). */
static void
display(const char *e164, char *out, size_t outsz)
{
	struct phone_info info;

	if (phone_parse(e164, strlen(e164), NULL, &info) == PHONE_OK)
		snprintf(out, outsz, "%s", info.international);
	else
		snprintf(out, outsz, "%s", e164);
}

enum dl_err
dialrules_check(long long contact_id, const char *to, long long now,
    struct dialrules_verdict *out)
{
	char zone[64] = "", shown[48];
	const unsigned char *t;
	sqlite3_stmt *st;
	enum dl_err err;
	int listed, rc;

	memset(out, 0, sizeof(*out));
	if (contact_id > 0) {
		if ((st = db_stmt(sql_contact)) == NULL)
			return DL_ERR_DB;
		sqlite3_bind_int64(st, 1, contact_id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			t = sqlite3_column_text(st, 0);
			snprintf(out->to, sizeof(out->to), "%s", t != NULL ? (const char *)t : "");
			t = sqlite3_column_text(st, 1);
			snprintf(zone, sizeof(zone), "%s", t != NULL ? (const char *)t : "");
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return rc == SQLITE_DONE ? DL_ERR_NOTFOUND : db_err(rc);
	} else {
		snprintf(out->to, sizeof(out->to), "%s", to != NULL ? to : "");
	}
	if ((err = dnc_check(out->to, &listed, &out->dnc)) != DL_OK)
		return err;
	if (listed) {
		display(out->to, shown, sizeof(shown));
		out->refusal = DIALRULES_DO_NOT_CALL;
		snprintf(out->message, sizeof(out->message),
		    "%s is on the do-not-call list since %.10s%s%s%s.", shown, out->dnc.added_at,
		    out->dnc.reason[0] ? " (reason: " : "", out->dnc.reason[0] ? out->dnc.reason : "",
		    out->dnc.reason[0] ? ")" : "");
		return DL_OK;
	}
	if ((err = callhours_check(zone[0] ? zone : NULL, out->to, now, &out->hours)) != DL_OK)
		return err;
	if (!out->hours.allowed) {
		out->refusal = DIALRULES_OUTSIDE_HOURS;
		callhours_refusal_message(&out->hours, out->message, sizeof(out->message));
	}
	return DL_OK;
}

const char *
dialrules_code(enum dialrules_refusal refusal)
{
	switch (refusal) {
	case DIALRULES_DO_NOT_CALL:
		return "do_not_call";
	case DIALRULES_OUTSIDE_HOURS:
		return "outside_calling_hours";
	case DIALRULES_OK:
		break;
	}
	return "ok";
}
