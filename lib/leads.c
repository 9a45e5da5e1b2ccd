/* leads: the next contact of a shared list, and callbacks (see leads.h). */
#include <stdio.h>
#include <string.h>

#include "callerid.h"
#include "callhours.h"
#include "config.h"
#include "contacts.h"
#include "db.h"
#include "jsonw.h"
#include "leads.h"

/*
 * Parameters shared by the queue's statements: ?1 the list, ?2 the caller
 * (NULL for the API key), ?3 now as ISO text, ?4 now in Unix seconds.
 *
 * What every tier passes over. Cheap column tests come first and the
 * calling-hours function last, so that it runs only for a row that has
 * passed everything else; each tier walks an index in its own order and
 * stops at the first row that passes (LIMIT 1).
 */
#define PASSABLE \
	"AND (c.skipped_until IS NULL OR c.skipped_until <= ?3) " \
	"AND (c.reserved_by IS NULL OR c.reserved_by IS ?2 OR c.reserved_until IS NULL " \
	"OR c.reserved_until <= ?3) " \
	"AND NOT EXISTS (SELECT 1 FROM dnc d WHERE d.phone_e164 = c.phone_e164) " \
	"AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.contact_id = c.id AND " \
	"k.status IN ('queued', 'initiated', 'ringing', 'in-progress')) " \
	"AND callable_at(c.timezone, c.phone_e164, ?4, c.region) "
#define PICKED "SELECT c.id, c.timezone, c.phone_e164 FROM contacts c "

/* Due callbacks: the caller's own, then anyone's (contacts_callback). */
static const char sql_callback_own[] = PICKED
    "WHERE c.list_id = ?1 AND c.callback_at IS NOT NULL AND c.callback_at <= ?3 "
    "AND c.callback_by IS ?2 " PASSABLE "ORDER BY c.callback_at, c.id LIMIT 1";
static const char sql_callback_any[] = PICKED
    "WHERE c.list_id = ?1 AND c.callback_at IS NOT NULL AND c.callback_at <= ?3 "
    PASSABLE "ORDER BY c.callback_at, c.id LIMIT 1";
/* Never called, in the file's order (contacts_list_status). */
static const char sql_new[] = PICKED
    "WHERE c.list_id = ?1 AND c.status = 'not_called' " PASSABLE "ORDER BY c.id LIMIT 1";
/* Due retries, the longest waiting first (contacts_retry). */
static const char sql_retry[] = PICKED
    "WHERE c.list_id = ?1 AND c.retry_at IS NOT NULL AND c.retry_at <= ?3 "
    PASSABLE "ORDER BY c.retry_at, c.id LIMIT 1";

static const struct {
	const char *sql;
	enum leads_reason reason;
} tiers[] = {
	{ sql_callback_own, LEADS_CALLBACK },
	{ sql_callback_any, LEADS_CALLBACK },
	{ sql_new, LEADS_NEW },
	{ sql_retry, LEADS_RETRY },
};

static const char sql_list_live[] =
    "SELECT 1 FROM contact_lists WHERE id = ?1 AND archived_at IS NULL";
/* The caller lets go of a contact they hold. */
static const char sql_skip[] =
    "UPDATE contacts SET reserved_by = NULL, reserved_until = NULL, skipped_until = ?4 "
    "WHERE id = ?3 AND list_id = ?1 AND reserved_by = ?2";
/*
 * A live reservation of the caller in the list, still fit to be called
 * (a number put on the DNC list since, or calling hours that ended, let
 * it go). The unary + keeps the planner on contacts_reserved, a handful
 * of rows, rather than the list's index. The reason is worked out again.
 */
static const char sql_held[] =
    "SELECT c.id, c.timezone, c.phone_e164, c.reserved_until, "
    "CASE WHEN c.callback_at <= ?3 THEN 0 WHEN c.status = 'not_called' THEN 1 ELSE 2 END "
    "FROM contacts c WHERE c.reserved_by = ?2 AND +c.list_id = ?1 AND c.reserved_until > ?3 "
    "AND NOT EXISTS (SELECT 1 FROM dnc d WHERE d.phone_e164 = c.phone_e164) "
    "AND callable_at(c.timezone, c.phone_e164, ?4, c.region) "
    "ORDER BY c.reserved_until DESC, c.id LIMIT 1";
static const char sql_reserve[] =
    "UPDATE contacts SET reserved_by = ?2, reserved_until = ?4 WHERE id = ?3 AND list_id = ?1";
/* One contact held per operator and list: the others go back. */
static const char sql_release_others[] =
    "UPDATE contacts SET reserved_by = NULL, reserved_until = NULL "
    "WHERE reserved_by = ?2 AND +list_id = ?1 AND id <> ?3";

const char *
leads_reason_name(enum leads_reason reason)
{
	switch (reason) {
	case LEADS_CALLBACK:
		return "callback";
	case LEADS_NEW:
		return "new";
	case LEADS_RETRY:
		return "retry";
	}
	return "new";
}

static void
bind_operator(sqlite3_stmt *st, long long operator_id)
{
	if (operator_id > 0)
		sqlite3_bind_int64(st, 2, operator_id);
	else
		sqlite3_bind_null(st, 2);
}

static void
bind_queue(sqlite3_stmt *st, long long list_id, long long operator_id, const char *now_iso,
    long long now)
{
	sqlite3_bind_int64(st, 1, list_id);
	bind_operator(st, operator_id);
	sqlite3_bind_text(st, 3, now_iso, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
}

static void
copy_col(char *out, size_t outsz, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, outsz, "%s", t != NULL ? (const char *)t : "");
}

/* Run a pick (id, timezone, phone; the held one also its reservation and
 * reason) into *out; *found says whether there was one. */
static enum dl_err
one_row(sqlite3_stmt *st, struct leads_pick *out, int *found)
{
	int rc = sqlite3_step(st);
	enum dl_err err = rc == SQLITE_ROW || rc == SQLITE_DONE ? DL_OK : contacts_step_err(rc);

	*found = rc == SQLITE_ROW;
	if (*found) {
		out->contact_id = sqlite3_column_int64(st, 0);
		copy_col(out->timezone, sizeof(out->timezone), st, 1);
		copy_col(out->phone, sizeof(out->phone), st, 2);
		if (sqlite3_column_count(st) == 5) {
			copy_col(out->reserved_until, sizeof(out->reserved_until), st, 3);
			out->reason = (enum leads_reason)sqlite3_column_int(st, 4);
		}
	}
	sqlite3_reset(st);
	return err;
}

/* A change with ?1 the list, ?2 the operator, ?3 a contact, ?4 a time. */
static enum dl_err
exec_queue(const char *sql, long long list_id, long long operator_id, long long contact_id,
    const char *iso)
{
	sqlite3_stmt *st = db_stmt(sql);

	if (st == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, list_id);
	bind_operator(st, operator_id);
	sqlite3_bind_int64(st, 3, contact_id);
	if (iso != NULL)
		sqlite3_bind_text(st, 4, iso, -1, SQLITE_STATIC);
	return db_exec_stmt(st);
}

static enum dl_err
list_live(long long list_id)
{
	sqlite3_stmt *st = db_stmt(sql_list_live);
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, list_id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DL_OK : rc == SQLITE_DONE ? DL_ERR_NOTFOUND : db_err(rc);
}

/* The contact the caller holds in the list, still fit to be called. */
static enum dl_err
held(long long list_id, long long operator_id, long long now, const char *now_iso,
    struct leads_pick *out, int *found)
{
	sqlite3_stmt *st;

	*found = 0;
	if ((st = db_stmt(sql_held)) == NULL)
		return DL_ERR_DB;
	bind_queue(st, list_id, operator_id, now_iso, now);
	return one_row(st, out, found);
}

/* Inside the transaction: everything leads_next does. */
static enum dl_err
next_locked(long long list_id, long long operator_id, long long skip_contact_id,
    long long now, long hold, long skip_delay, struct leads_pick *out)
{
	char now_iso[CLOCK_ISO_LEN], iso[CLOCK_ISO_LEN];
	sqlite3_stmt *st;
	enum dl_err err;
	size_t i;
	int found = 0;

	clock_iso(now, now_iso);
	if ((err = list_live(list_id)) != DL_OK)
		return err;
	if (operator_id > 0 && skip_contact_id > 0) {
		clock_iso(now + skip_delay, iso);
		if ((err = exec_queue(sql_skip, list_id, operator_id, skip_contact_id, iso)) != DL_OK)
			return err;
	}
	if (operator_id > 0 && ((err = held(list_id, operator_id, now, now_iso, out, &found)) != DL_OK ||
	    found))
		return err;
	for (i = 0; i < sizeof(tiers) / sizeof(tiers[0]) && !found; i++) {
		/* The API key has no callbacks of its own to come first. */
		if (tiers[i].sql == sql_callback_own && operator_id <= 0)
			continue;
		if ((st = db_stmt(tiers[i].sql)) == NULL)
			return DL_ERR_DB;
		bind_queue(st, list_id, operator_id, now_iso, now);
		if ((err = one_row(st, out, &found)) != DL_OK)
			return err;
		if (found)
			out->reason = tiers[i].reason;
	}
	if (!found) {
		out->contact_id = 0;
		return DL_OK;
	}
	if (operator_id <= 0)
		return DL_OK;
	clock_iso(now + hold, out->reserved_until);
	if ((err = exec_queue(sql_reserve, list_id, operator_id, out->contact_id,
	    out->reserved_until)) != DL_OK)
		return err;
	return exec_queue(sql_release_others, list_id, operator_id, out->contact_id, NULL);
}

enum dl_err
leads_next(long long list_id, long long operator_id, long long skip_contact_id,
    long long now, struct leads_pick *out)
{
	long hold, skip_delay;
	enum dl_err err;

	memset(out, 0, sizeof(*out));
	if ((err = config_get_long("DIALER_LEAD_RESERVATION", 300, 10, 86400, &hold)) != DL_OK ||
	    (err = config_get_long("DIALER_SKIP_DELAY", 900, 0, 7L * 86400, &skip_delay)) != DL_OK)
		return err;
	/* callable_at must exist before a statement naming it is prepared. */
	if ((err = callhours_register(db_conn())) != DL_OK)
		return err;
	/* A contact the caller already holds is theirs alone until it lapses:
	 * a reader may hand it back without queueing for the write lock (a
	 * page polling /next must not stall everyone else's picks). */
	if (operator_id > 0 && skip_contact_id <= 0) {
		char now_iso[CLOCK_ISO_LEN];
		int found = 0;

		clock_iso(now, now_iso);
		if ((err = db_read_begin()) != DL_OK)
			return err;
		if ((err = list_live(list_id)) == DL_OK)
			err = held(list_id, operator_id, now, now_iso, out, &found);
		db_read_end();
		if (err != DL_OK || found)
			return err;
	}
	/* IMMEDIATE: choosing and reserving are one step for every process,
	 * so two operators asking at once are never handed the same contact. */
	if ((err = db_begin()) != DL_OK)
		return err;
	if ((err = next_locked(list_id, operator_id, skip_contact_id, now, hold, skip_delay,
	    out)) != DL_OK) {
		db_rollback();
		memset(out, 0, sizeof(*out));
		return err;
	}
	return db_commit();
}

enum dl_err
leads_pick_json(const struct leads_pick *pick, long long now, const char *provider,
    char **json, size_t *len)
{
	struct callhours_verdict hours;
	enum callerid_match how;
	char caller_id[20];
	struct jsonw w;
	enum dl_err err;

	*json = NULL;
	if ((err = callhours_check(pick->timezone[0] ? pick->timezone : NULL, pick->phone, now,
	    &hours)) != DL_OK ||
	    (err = callerid_pick(pick->phone, provider, caller_id, &how)) != DL_OK)
		return err;
	jsonw_init(&w);
	jsonw_object_begin(&w);
	jsonw_key(&w, "contact");
	if ((err = contacts_write_one(pick->contact_id, now, &w)) != DL_OK) {
		jsonw_free(&w);
		return err;
	}
	jsonw_key(&w, "reason");
	jsonw_cstr(&w, leads_reason_name(pick->reason));
	jsonw_key(&w, "reserved_until");
	jsonw_cstr(&w, pick->reserved_until[0] ? pick->reserved_until : NULL);
	jsonw_key(&w, "zone");
	jsonw_cstr(&w, hours.zone);
	jsonw_key(&w, "local_time");
	jsonw_cstr(&w, hours.local_time);
	jsonw_key(&w, "caller_id");
	jsonw_cstr(&w, how != CALLERID_NONE && caller_id[0] ? caller_id : NULL);
	jsonw_key(&w, "caller_id_match");
	jsonw_cstr(&w, callerid_match_name(how));
	jsonw_object_end(&w);
	return jsonw_finish(&w, json, len);
}

/*
 * Lists first (few), then each list's callbacks through contacts_callback:
 * the CROSS JOIN keeps that order, rather than a scan of every contact
 * for the user's. ?1 the user (NULL: the API key), ?2 1 for due ones
 * only, ?3 now.
 */
static const char sql_callbacks[] =
    "SELECT " CONTACTS_COLUMNS ", c.callback_at, c.callback_at <= ?3 "
    "FROM contact_lists l CROSS JOIN contacts c "
    "WHERE l.archived_at IS NULL AND c.list_id = l.id AND c.callback_at IS NOT NULL "
    "AND (?2 = 0 OR c.callback_at <= ?3) AND c.callback_by IS ?1 "
    "ORDER BY c.callback_at, c.id";

enum dl_err
leads_callbacks(long long user_id, int due_only, long long now, char **json, size_t *len)
{
	char now_iso[CLOCK_ISO_LEN];
	struct jsonw w;
	sqlite3_stmt *st;
	int rc;

	*json = NULL;
	clock_iso(now, now_iso);
	if ((st = db_stmt(sql_callbacks)) == NULL)
		return DL_ERR_DB;
	if (user_id > 0)
		sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int(st, 2, due_only != 0);
	sqlite3_bind_text(st, 3, now_iso, -1, SQLITE_STATIC);
	jsonw_init(&w);
	jsonw_object_begin(&w);
	jsonw_key(&w, "items");
	jsonw_array_begin(&w);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		jsonw_object_begin(&w);
		jsonw_key(&w, "contact");
		contacts_write_row(st, 0, now_iso, &w);
		jsonw_key(&w, "callback_at");
		jsonw_cstr(&w, (const char *)sqlite3_column_text(st, CONTACTS_NCOLUMNS));
		jsonw_key(&w, "due");
		jsonw_bool(&w, sqlite3_column_int(st, CONTACTS_NCOLUMNS + 1));
		jsonw_object_end(&w);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		jsonw_free(&w);
		return db_err(rc);
	}
	jsonw_array_end(&w);
	jsonw_key(&w, "now");
	jsonw_cstr(&w, now_iso);
	jsonw_object_end(&w);
	return jsonw_finish(&w, json, len);
}
