#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callerid.h"
#include "calls.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "dnc.h"
#include "secure.h"

#define NOW "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
/* A call in flight. sql/005_active_calls.sql's partial index repeats this
 * condition word for word: SQLite uses it only for that same text. */
#define ACTIVE "status IN ('queued', 'initiated', 'ringing', 'in-progress')"

/* A text column into dst, cut to fit (NULL as ""). */
static void
copy_text(char *dst, size_t dstsz, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = t != NULL ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (n >= dstsz)
		n = dstsz - 1;
	if (n > 0)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

static const char sql_get[] =
    "SELECT id, contact_id, operator_id, provider, conference_name, conference_sid, "
    "call_sid, operator_call_sid, to_phone, from_phone, status, failure_reason, "
    "outcome, notes, created_at, dialed_at, answered_at, ended_at, "
    "CAST(strftime('%s', dialed_at) AS INTEGER), duration_s, "
    "CAST(strftime('%s', created_at) AS INTEGER), dial_claimed_at IS NOT NULL, "
    "CAST(strftime('%s', status_asked_at) AS INTEGER), operator_muted, contact_muted, "
    "on_hold, CAST(strftime('%s', answered_at) AS INTEGER), callback_at, recorded, "
    "recording_sid, recording_url, recording_duration_s FROM calls WHERE id = ?1";

enum dl_err
calls_get(long long id, struct call *c)
{
	sqlite3_stmt *st = db_stmt(sql_get);
	char word[32];
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? DL_ERR_NOTFOUND : db_err(rc);
	}
	/* Every member is set below: no memset of the whole struct, whose
	 * notes alone are 16 KB (a status poll reads one call per request). */
	c->id = sqlite3_column_int64(st, 0);
	c->contact_id = sqlite3_column_int64(st, 1);
	c->operator_id = sqlite3_column_int64(st, 2);
	copy_text(c->provider, sizeof(c->provider), st, 3);
	copy_text(c->conference_name, sizeof(c->conference_name), st, 4);
	copy_text(c->conference_sid, sizeof(c->conference_sid), st, 5);
	copy_text(c->call_sid, sizeof(c->call_sid), st, 6);
	copy_text(c->operator_call_sid, sizeof(c->operator_call_sid), st, 7);
	copy_text(c->to_phone, sizeof(c->to_phone), st, 8);
	copy_text(c->from_phone, sizeof(c->from_phone), st, 9);
	copy_text(word, sizeof(word), st, 10);
	if (call_status_parse(word, &c->status) != DL_OK)
		c->status = CALL_FAILED; /* the schema's CHECK makes this unreachable */
	copy_text(c->failure_reason, sizeof(c->failure_reason), st, 11);
	copy_text(word, sizeof(word), st, 12);
	c->outcome = 0;
	c->has_outcome = call_outcome_parse(word, &c->outcome) == DL_OK;
	copy_text(c->notes, sizeof(c->notes), st, 13);
	copy_text(c->created_at, sizeof(c->created_at), st, 14);
	copy_text(c->dialed_at, sizeof(c->dialed_at), st, 15);
	copy_text(c->answered_at, sizeof(c->answered_at), st, 16);
	copy_text(c->ended_at, sizeof(c->ended_at), st, 17);
	c->dialed_unix = sqlite3_column_int64(st, 18);
	c->duration_s = sqlite3_column_type(st, 19) == SQLITE_NULL ? -1 :
	    (long)sqlite3_column_int64(st, 19);
	c->created_unix = sqlite3_column_int64(st, 20);
	c->dial_claimed = sqlite3_column_int(st, 21);
	c->asked_unix = sqlite3_column_int64(st, 22);
	c->operator_muted = sqlite3_column_int(st, 23);
	c->contact_muted = sqlite3_column_int(st, 24);
	c->on_hold = sqlite3_column_int(st, 25);
	c->answered_unix = sqlite3_column_int64(st, 26);
	copy_text(c->callback_at, sizeof(c->callback_at), st, 27);
	c->recorded = sqlite3_column_int(st, 28);
	copy_text(c->recording_sid, sizeof(c->recording_sid), st, 29);
	copy_text(c->recording_url, sizeof(c->recording_url), st, 30);
	c->recording_duration_s = sqlite3_column_type(st, 31) == SQLITE_NULL ? -1 :
	    (long)sqlite3_column_int64(st, 31);
	sqlite3_reset(st);
	return DL_OK;
}

/* --- creating ------------------------------------------------------- */

static const char sql_replay[] =
    "SELECT id, created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 day') "
    "FROM calls WHERE operator_id IS ?1 AND idempotency_key = ?2";
static const char sql_forget_key[] =
    "UPDATE calls SET idempotency_key = NULL WHERE id = ?1";
static const char sql_count_active_mine[] =
    "SELECT COUNT(*) FROM calls WHERE operator_id IS ?1 AND " ACTIVE;
static const char sql_count_active_all[] =
    "SELECT COUNT(*) FROM calls WHERE " ACTIVE;
static const char sql_count_minute[] =
    "SELECT COUNT(*), CAST(60 - (julianday('now') - julianday(MIN(created_at))) * 86400 "
    "AS INTEGER) FROM calls WHERE operator_id IS ?1 AND "
    "created_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-60 seconds')";
static const char sql_contact_phone[] =
    "SELECT c.phone_e164 FROM contacts c JOIN contact_lists l ON l.id = c.list_id "
    "WHERE c.id = ?1 AND l.archived_at IS NULL";
/* A dial takes (or extends) the contact's lead reservation, unless another
 * operator holds it or is on a call with the contact. */
static const char sql_contact_in_call[] =
    "SELECT 1 FROM calls WHERE contact_id = ?1 AND operator_id IS NOT ?2 AND " ACTIVE;
static const char sql_reserve[] =
    "UPDATE contacts SET reserved_by = ?2, reserved_until = ?3 WHERE id = ?1 AND "
    "(reserved_by IS NULL OR reserved_by = ?2 OR reserved_until IS NULL OR reserved_until <= ?4)";
static const char sql_reserved_until[] =
    "SELECT CAST(strftime('%s', reserved_until) AS INTEGER) FROM contacts "
    "WHERE id = ?1 AND reserved_by IS NOT NULL AND reserved_by IS NOT ?2 AND reserved_until > ?3";
static const char sql_insert[] =
    "INSERT INTO calls (contact_id, operator_id, provider, conference_name, to_phone, "
    "from_phone, idempotency_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

static void
bind_operator(sqlite3_stmt *st, int idx, long long operator_id)
{
	if (operator_id > 0)
		sqlite3_bind_int64(st, idx, operator_id);
	else
		sqlite3_bind_null(st, idx);
}

/* One integer from a one-row query with the operator bound as ?1. */
static enum dl_err
count_for(const char *sql, long long operator_id, long long *n, long long *second)
{
	sqlite3_stmt *st = db_stmt(sql);
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	if (sqlite3_bind_parameter_count(st) > 0)
		bind_operator(st, 1, operator_id);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (second != NULL)
		*second = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DL_OK : db_err(rc);
}

static enum dl_err
check_limits(long long operator_id, const char **limit, long *retry_after)
{
	long mine, per_minute, global;
	long long n, wait;
	enum dl_err err;

	if ((err = config_get_long("DIALER_MAX_ACTIVE_CALLS_PER_USER", 1, 1, 1000, &mine)) != DL_OK ||
	    (err = config_get_long("DIALER_MAX_CALLS_PER_MINUTE", 30, 1, 100000, &per_minute)) != DL_OK ||
	    (err = config_get_long("DIALER_MAX_ACTIVE_CALLS", 100, 1, 1000000, &global)) != DL_OK)
		return err;
	if ((err = count_for(sql_count_active_mine, operator_id, &n, NULL)) != DL_OK)
		return err;
	if (n >= mine) {
		*limit = "active_calls";
		*retry_after = 5;
		return DL_ERR_THROTTLED;
	}
	if ((err = count_for(sql_count_minute, operator_id, &n, &wait)) != DL_OK)
		return err;
	if (n >= per_minute) {
		*limit = "calls_per_minute";
		*retry_after = wait > 0 ? (long)wait : 1;
		return DL_ERR_THROTTLED;
	}
	if ((err = count_for(sql_count_active_all, 0, &n, NULL)) != DL_OK)
		return err;
	if (n >= global) {
		*limit = "global_active_calls";
		*retry_after = 5;
		return DL_ERR_THROTTLED;
	}
	return DL_OK;
}

/* The dialing rules for `to`, and the caller id: the one given, or local
 * presence's choice. */
static enum dl_err
judge(struct calls_new *in, const char *to, char *from, size_t fromsz)
{
	enum callerid_match how;
	long long now;
	enum dl_err err;

	snprintf(from, fromsz, "%s", in->from_phone != NULL ? in->from_phone : "");
	if (in->rules != NULL) {
		if ((err = clock_now(&now)) != DL_OK ||
		    (err = dialrules_check(in->contact_id, to, now, in->rules)) != DL_OK)
			return err;
		if (in->rules->refusal != DIALRULES_OK)
			return DL_ERR_FORBIDDEN;
	}
	if (from[0] != '\0') {
		in->caller_id_match = "given";
		return DL_OK;
	}
	if ((err = callerid_pick(to, in->provider, from, &how)) != DL_OK)
		return err;
	in->caller_id_match = callerid_match_name(how);
	return DL_OK;
}

static enum dl_err
claim_contact(const struct calls_new *in, const char **limit, long *retry_after)
{
	char now_iso[CLOCK_ISO_LEN], until_iso[CLOCK_ISO_LEN];
	long long now, until = 0;
	long hold;
	sqlite3_stmt *st;
	enum dl_err err;
	int rc;

	if ((err = config_get_long("DIALER_LEAD_RESERVATION", 300, 10, 86400, &hold)) != DL_OK ||
	    (err = clock_now(&now)) != DL_OK)
		return err;
	if ((st = db_stmt(sql_contact_in_call)) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, in->contact_id);
	bind_operator(st, 2, in->operator_id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		*limit = "contact_in_call";
		*retry_after = 30;
		return DL_ERR_CONFLICT;
	}
	if (rc != SQLITE_DONE)
		return db_err(rc);
	clock_iso(now, now_iso);
	clock_iso(now + hold, until_iso);
	/* The API key holds no reservation, but respects an operator's. */
	if (in->operator_id > 0) {
		if ((st = db_stmt(sql_reserve)) == NULL)
			return DL_ERR_DB;
		sqlite3_bind_int64(st, 1, in->contact_id);
		sqlite3_bind_int64(st, 2, in->operator_id);
		sqlite3_bind_text(st, 3, until_iso, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, now_iso, -1, SQLITE_STATIC);
		if ((err = db_exec_stmt(st)) != DL_OK)
			return err;
		if (sqlite3_changes(db_conn()) == 1)
			return DL_OK;
	}
	if ((st = db_stmt(sql_reserved_until)) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, in->contact_id);
	bind_operator(st, 2, in->operator_id);
	sqlite3_bind_text(st, 3, now_iso, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		until = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		*limit = "contact_reserved";
		*retry_after = until > now ? (long)(until - now) : 1;
		return DL_ERR_CONFLICT;
	}
	return rc == SQLITE_DONE ? DL_OK : db_err(rc);
}

static enum dl_err
create_locked(struct calls_new *in, long long *id, int *replayed,
    const char **limit, long *retry_after)
{
	unsigned char raw[12];
	char name[48], hex[25], to[20], from[20];
	sqlite3_stmt *st;
	enum dl_err err;
	int rc;

	if (in->idempotency_key != NULL) {
		if ((st = db_stmt(sql_replay)) == NULL)
			return DL_ERR_DB;
		bind_operator(st, 1, in->operator_id);
		sqlite3_bind_text(st, 2, in->idempotency_key, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			long long old = sqlite3_column_int64(st, 0);
			int fresh = sqlite3_column_int(st, 1);

			sqlite3_reset(st);
			if (fresh) {
				*id = old;
				*replayed = 1;
				return DL_OK;
			}
			/* Older than a day: the key may name a new call. */
			if ((st = db_stmt(sql_forget_key)) == NULL)
				return DL_ERR_DB;
			sqlite3_bind_int64(st, 1, old);
			if ((err = db_exec_stmt(st)) != DL_OK)
				return err;
		} else {
			sqlite3_reset(st);
			if (rc != SQLITE_DONE)
				return db_err(rc);
		}
	}
	if ((err = check_limits(in->operator_id, limit, retry_after)) != DL_OK)
		return err;
	snprintf(to, sizeof(to), "%s", in->to_phone != NULL ? in->to_phone : "");
	if (in->contact_id > 0) {
		if ((st = db_stmt(sql_contact_phone)) == NULL)
			return DL_ERR_DB;
		sqlite3_bind_int64(st, 1, in->contact_id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			copy_text(to, sizeof(to), st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return rc == SQLITE_DONE ? DL_ERR_NOTFOUND : db_err(rc);
	}
	if (to[0] != '+')
		return DL_ERR_INVALID;
	if ((err = judge(in, to, from, sizeof(from))) != DL_OK)
		return err;
	if (in->contact_id > 0 && (err = claim_contact(in, limit, retry_after)) != DL_OK)
		return err;
	/* Never guessable and never a phone number: it appears in URLs and
	 * in the provider's console. */
	if ((err = secure_random(raw, sizeof(raw))) != DL_OK ||
	    (err = secure_hex(raw, sizeof(raw), hex, sizeof(hex))) != DL_OK)
		return err;
	snprintf(name, sizeof(name), "cd-%s", hex);
	if ((st = db_stmt(sql_insert)) == NULL)
		return DL_ERR_DB;
	if (in->contact_id > 0)
		sqlite3_bind_int64(st, 1, in->contact_id);
	bind_operator(st, 2, in->operator_id);
	db_bind_text(st, 3, in->provider);
	sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, to, -1, SQLITE_STATIC);
	db_bind_text(st, 6, from[0] ? from : NULL);
	db_bind_text(st, 7, in->idempotency_key);
	if ((err = db_exec_stmt(st)) != DL_OK)
		return err;
	*id = sqlite3_last_insert_rowid(db_conn());
	return DL_OK;
}

enum dl_err
calls_create(struct calls_new *in, struct call *out, int *replayed,
    const char **limit, long *retry_after)
{
	long long id = 0;
	enum dl_err err;

	*replayed = 0;
	*limit = NULL;
	*retry_after = 0;
	/* IMMEDIATE: the limit checks and the insert are one step for every
	 * process at once, so twenty parallel requests make one call. */
	if ((err = db_begin()) != DL_OK)
		return err;
	if ((err = create_locked(in, &id, replayed, limit, retry_after)) != DL_OK) {
		db_rollback();
		return err;
	}
	if ((err = db_commit()) != DL_OK)
		return err;
	return calls_get(id, out);
}

/* --- moving ---------------------------------------------------------- */

static const char sql_dialed[] =
    "UPDATE calls SET call_sid = ?2, dialed_at = COALESCE(dialed_at, " NOW "), "
    "status = CASE WHEN status = 'queued' THEN 'initiated' ELSE status END, "
    "updated_at = " NOW " WHERE id = ?1";

enum dl_err
calls_dialed(long long id, const char *call_sid)
{
	sqlite3_stmt *st = db_stmt(sql_dialed);

	if (st == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, call_sid);
	return db_exec_stmt(st);
}

static const char sql_set_status[] =
    "UPDATE calls SET status = ?2, "
    "answered_at = CASE WHEN ?2 = 'in-progress' THEN COALESCE(answered_at, " NOW ") "
    "ELSE answered_at END, "
    "ended_at = CASE WHEN ?3 THEN COALESCE(ended_at, " NOW ") ELSE ended_at END, "
    "failure_reason = COALESCE(?4, failure_reason), updated_at = " NOW " WHERE id = ?1";
static const char sql_set_duration[] =
    "UPDATE calls SET duration_s = ?2, updated_at = " NOW " WHERE id = ?1 AND duration_s IS NULL";

static enum dl_err
move(long long id, enum call_status status, long duration_s, const char *reason)
{
	struct call c;
	sqlite3_stmt *st;
	enum dl_err err;

	if ((err = db_begin()) != DL_OK)
		return err;
	if ((err = calls_get(id, &c)) != DL_OK)
		goto fail;
	if (call_status_advances(c.status, status)) {
		if ((st = db_stmt(sql_set_status)) == NULL) {
			err = DL_ERR_DB;
			goto fail;
		}
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, call_status_name(status), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, call_status_final(status));
		db_bind_text(st, 4, reason);
		if ((err = db_exec_stmt(st)) != DL_OK)
			goto fail;
	}
	/* A late event may still fill in what was missing. */
	if (duration_s >= 0) {
		if ((st = db_stmt(sql_set_duration)) == NULL) {
			err = DL_ERR_DB;
			goto fail;
		}
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, duration_s);
		if ((err = db_exec_stmt(st)) != DL_OK)
			goto fail;
	}
	return db_commit();
fail:
	db_rollback();
	return err;
}

enum dl_err
calls_apply(long long id, enum call_status status, long duration_s)
{
	return move(id, status, duration_s, NULL);
}

enum dl_err
calls_fail(long long id, const char *reason)
{
	return move(id, CALL_FAILED, -1, reason);
}

/* --- webhooks -------------------------------------------------------- */

static const char sql_find_conference[] =
    "SELECT id FROM calls WHERE conference_name = ?1 "
    "UNION ALL SELECT id FROM calls WHERE conference_sid = ?1 LIMIT 1";

/* The call a one-id query finds for `key` (bound as ?1). */
static enum dl_err
find_by(const char *sql, const char *key, struct call *out)
{
	sqlite3_stmt *st;
	long long id;
	int rc;

	if (key == NULL || *key == '\0')
		return DL_ERR_NOTFOUND;
	if ((st = db_stmt(sql)) == NULL)
		return DL_ERR_DB;
	db_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? DL_ERR_NOTFOUND : db_err(rc);
	return calls_get(id, out);
}

enum dl_err
calls_find_conference(const char *conference, struct call *out)
{
	return find_by(sql_find_conference, conference, out);
}

static const char sql_set_conference_sid[] =
    "UPDATE calls SET conference_sid = ?2, updated_at = " NOW " "
    "WHERE id = ?1 AND conference_sid IS NULL";
static const char sql_set_operator_leg[] =
    "UPDATE calls SET operator_call_sid = ?2, updated_at = " NOW " WHERE id = ?1";

static enum dl_err
set_text(const char *sql, long long id, const char *value)
{
	sqlite3_stmt *st = db_stmt(sql);

	if (st == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, value);
	return db_exec_stmt(st);
}

enum dl_err
calls_set_conference_sid(long long id, const char *conference_sid)
{
	return set_text(sql_set_conference_sid, id, conference_sid);
}

enum dl_err
calls_set_operator_leg(long long id, const char *call_sid)
{
	return set_text(sql_set_operator_leg, id, call_sid);
}

/* One statement per control: the column is never a parameter. */
static const char *const sql_control[] = {
	"UPDATE calls SET operator_muted = ?2, updated_at = " NOW " WHERE id = ?1",
	"UPDATE calls SET contact_muted = ?2, updated_at = " NOW " WHERE id = ?1",
	"UPDATE calls SET on_hold = ?2, updated_at = " NOW " WHERE id = ?1",
};

enum dl_err
calls_set_control(long long id, enum calls_control which, int on)
{
	sqlite3_stmt *st;

	if ((unsigned)which >= sizeof(sql_control) / sizeof(sql_control[0]))
		return DL_ERR_INVALID;
	if ((st = db_stmt(sql_control[which])) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, on != 0);
	return db_exec_stmt(st);
}

static const char sql_recorded[] =
    "UPDATE calls SET recorded = 1, updated_at = " NOW " WHERE id = ?1";

/* Run an UPDATE whose only parameter is the call's id. */
static enum dl_err
exec_id(const char *sql, long long id)
{
	sqlite3_stmt *st = db_stmt(sql);

	if (st == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	return db_exec_stmt(st);
}

enum dl_err
calls_set_recorded(long long id)
{
	return exec_id(sql_recorded, id);
}

static const char sql_recording[] =
    "UPDATE calls SET recording_sid = ?2, recording_url = ?3, "
    "recording_duration_s = COALESCE(?4, CASE WHEN recording_sid IS ?2 "
    "THEN recording_duration_s END), updated_at = " NOW " WHERE id = ?1";

enum dl_err
calls_set_recording(long long id, const char *sid, const char *url, long duration_s)
{
	sqlite3_stmt *st = db_stmt(sql_recording);

	if (st == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, sid);
	db_bind_text(st, 3, url);
	if (duration_s >= 0)
		sqlite3_bind_int64(st, 4, duration_s);
	return db_exec_stmt(st);
}

enum dl_err
calls_find_recording(const char *sid, struct call *out)
{
	return find_by("SELECT id FROM calls WHERE recording_sid = ?1", sid, out);
}

static const char sql_asked[] =
    "UPDATE calls SET status_asked_at = " NOW " WHERE id = ?1";

enum dl_err
calls_mark_asked(long long id)
{
	return exec_id(sql_asked, id);
}

static const char sql_claim_dial[] =
    "UPDATE calls SET dial_claimed_at = " NOW ", updated_at = " NOW " "
    "WHERE id = ?1 AND status = 'queued' AND dial_claimed_at IS NULL";

enum dl_err
calls_claim_dial(long long id, int *won)
{
	sqlite3_stmt *st = db_stmt(sql_claim_dial);
	enum dl_err err;

	*won = 0;
	if (st == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	if ((err = db_exec_stmt(st)) != DL_OK)
		return err;
	*won = sqlite3_changes(db_conn()) == 1;
	return DL_OK;
}

static const char sql_event[] =
    "INSERT INTO call_events (call_id, provider, event_key, event_type, body) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (provider, event_key) DO NOTHING";

enum dl_err
calls_event(const struct calls_event_in *in, int *fresh)
{
	sqlite3_stmt *st = db_stmt(sql_event);
	enum dl_err err;

	*fresh = 0;
	if (st == NULL)
		return DL_ERR_DB;
	if (in->call_id > 0)
		sqlite3_bind_int64(st, 1, in->call_id);
	else
		sqlite3_bind_null(st, 1);
	db_bind_text(st, 2, in->provider);
	db_bind_text(st, 3, in->key);
	db_bind_text(st, 4, in->type);
	if (sqlite3_bind_text(st, 5, in->body != NULL ? in->body : "", (int)in->bodylen,
	    SQLITE_TRANSIENT) != SQLITE_OK) {
		sqlite3_reset(st);
		return DL_ERR_NOMEM;
	}
	if ((err = db_exec_stmt(st)) != DL_OK)
		return err;
	*fresh = sqlite3_changes(db_conn()) == 1;
	return DL_OK;
}

/* --- logging --------------------------------------------------------- */

static const char sql_log[] =
    "UPDATE calls SET outcome = ?2, notes = ?3, callback_at = ?4, updated_at = " NOW " WHERE id = ?1";
/*
 * The contact after a logged call: one more attempt the first time this
 * call is logged; a retry time for no_answer/busy while attempts remain;
 * a callback for follow_up (any other outcome clears an older one); and
 * the caller's lead reservation released. The contact follows its newest
 * logged call: correcting an older call's log leaves it alone.
 */
static const char sql_log_contact[] =
    "UPDATE contacts SET status = 'called', last_outcome = ?2, "
    "last_called_at = (SELECT COALESCE(dialed_at, created_at) FROM calls WHERE id = ?3), "
    "attempts = attempts + ?4, "
    "retry_at = CASE WHEN ?2 IN ('no_answer', 'busy') AND attempts + ?4 < ?5 THEN ?6 END, "
    "callback_at = ?7, callback_by = CASE WHEN ?7 IS NOT NULL THEN ?8 END, "
    "reserved_by = CASE WHEN reserved_by IS ?8 THEN NULL ELSE reserved_by END, "
    "reserved_until = CASE WHEN reserved_by IS ?8 THEN NULL ELSE reserved_until END "
    "WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.contact_id = ?1 "
    "AND k.outcome IS NOT NULL AND k.id > ?3)";

static enum dl_err
log_contact(const struct call *c, const struct calls_log_in *in)
{
	char retry_iso[CLOCK_ISO_LEN];
	long delay, max_attempts;
	sqlite3_stmt *st;
	enum dl_err err;

	if ((err = config_get_long("DIALER_RETRY_DELAY", 14400, 60, 30L * 86400, &delay)) != DL_OK ||
	    (err = config_get_long("DIALER_RETRY_MAX_ATTEMPTS", 3, 1, 100, &max_attempts)) != DL_OK)
		return err;
	clock_iso(in->now_unix + delay, retry_iso);
	if ((st = db_stmt(sql_log_contact)) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, c->contact_id);
	sqlite3_bind_text(st, 2, call_outcome_name(in->outcome), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, c->id);
	sqlite3_bind_int(st, 4, c->has_outcome ? 0 : 1);
	sqlite3_bind_int64(st, 5, max_attempts);
	sqlite3_bind_text(st, 6, retry_iso, -1, SQLITE_STATIC);
	db_bind_text(st, 7, in->outcome == OUTCOME_FOLLOW_UP ? in->callback_at : NULL);
	bind_operator(st, 8, c->operator_id);
	return db_exec_stmt(st);
}

enum dl_err
calls_log(long long id, const struct calls_log_in *in)
{
	struct call c;
	sqlite3_stmt *st;
	enum dl_err err;
	int added;

	if ((err = db_begin()) != DL_OK)
		return err;
	if ((err = calls_get(id, &c)) != DL_OK)
		goto fail;
	if ((st = db_stmt(sql_log)) == NULL) {
		err = DL_ERR_DB;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, call_outcome_name(in->outcome), -1, SQLITE_STATIC);
	db_bind_text(st, 3, in->notes != NULL && *in->notes != '\0' ? in->notes : NULL);
	db_bind_text(st, 4, in->outcome == OUTCOME_FOLLOW_UP ? in->callback_at : NULL);
	if ((err = db_exec_stmt(st)) != DL_OK)
		goto fail;
	if (c.contact_id > 0 && (err = log_contact(&c, in)) != DL_OK)
		goto fail;
	/* The prospect's wish is kept with the outcome, or neither is. */
	if (in->outcome == OUTCOME_DO_NOT_CALL &&
	    (err = dnc_add(c.to_phone, "Asked not to be called", DNC_OUTCOME, c.operator_id,
	    c.id, &added)) != DL_OK)
		goto fail;
	return db_commit();
fail:
	db_rollback();
	return err;
}

enum dl_err
calls_active(long long operator_id, long long *ids, int max, int *n)
{
	sqlite3_stmt *st = db_stmt("SELECT id FROM calls WHERE operator_id IS ?1 AND "
	    ACTIVE " ORDER BY id");
	int rc;

	*n = 0;
	if (st == NULL)
		return DL_ERR_DB;
	bind_operator(st, 1, operator_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DL_OK : db_err(rc);
}

/* An operator's list is its own statement: "?1 IS NULL OR operator_id = ?1"
 * would hide calls_operator from the planner and read every call ever made. */
#define FILTER "(?2 IS NULL OR contact_id = ?2) AND (?3 IS NULL OR created_at >= ?3)"
static const char sql_list_count_all[] = "SELECT COUNT(*) FROM calls WHERE " FILTER;
static const char sql_list_page_all[] = "SELECT id FROM calls WHERE " FILTER
    " ORDER BY id DESC LIMIT ?4 OFFSET ?5";
static const char sql_list_count_own[] =
    "SELECT COUNT(*) FROM calls WHERE operator_id = ?1 AND " FILTER;
static const char sql_list_page_own[] = "SELECT id FROM calls WHERE operator_id = ?1 AND "
    FILTER " ORDER BY id DESC LIMIT ?4 OFFSET ?5";

static void
bind_calls_filter(sqlite3_stmt *st, const struct calls_filter *f)
{
	if (f->operator_id > 0)
		sqlite3_bind_int64(st, 1, f->operator_id);
	if (f->contact_id > 0)
		sqlite3_bind_int64(st, 2, f->contact_id);
	db_bind_text(st, 3, f->since);
}

enum dl_err
calls_list(const struct calls_filter *f, struct jsonw *w)
{
	long long ids[200], total = 0;
	sqlite3_stmt *st;
	enum dl_err err;
	int n = 0, i, rc;

	if (f->per_page < 1 || f->per_page > 200 || f->page < 1)
		return DL_ERR_INVALID;
	/* One snapshot for the count and the page. */
	if ((err = db_read_begin()) != DL_OK)
		return err;
	err = DL_ERR_DB;
	if ((st = db_stmt(f->operator_id > 0 ? sql_list_count_own : sql_list_count_all)) == NULL)
		goto done;
	bind_calls_filter(st, f);
	rc = sqlite3_step(st);
	total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW ||
	    (st = db_stmt(f->operator_id > 0 ? sql_list_page_own : sql_list_page_all)) == NULL) {
		err = rc != SQLITE_ROW ? db_err(rc) : DL_ERR_DB;
		goto done;
	}
	bind_calls_filter(st, f);
	sqlite3_bind_int64(st, 4, f->per_page);
	sqlite3_bind_int64(st, 5, (f->page - 1) * f->per_page);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 200)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	jsonw_object_begin(w);
	jsonw_key(w, "items");
	jsonw_array_begin(w);
	for (i = 0; i < n; i++) {
		struct call c;

		if ((err = calls_get(ids[i], &c)) != DL_OK)
			goto done;
		calls_jsonw(w, &c, NULL);
	}
	jsonw_array_end(w);
	jsonw_key(w, "page");
	jsonw_int(w, f->page);
	jsonw_key(w, "per_page");
	jsonw_int(w, f->per_page);
	jsonw_key(w, "total");
	jsonw_int(w, total);
	jsonw_object_end(w);
	err = DL_OK;
done:
	db_read_end();
	return err;
}

/* --- JSON ------------------------------------------------------------ */

static void
w_str(struct jsonw *w, const char *key, const char *v)
{
	jsonw_key(w, key);
	jsonw_cstr(w, v != NULL && *v != '\0' ? v : NULL);
}

static void
w_id(struct jsonw *w, const char *key, long long v)
{
	jsonw_key(w, key);
	if (v > 0)
		jsonw_int(w, v);
	else
		jsonw_null(w);
}

static void
w_bool(struct jsonw *w, const char *key, int v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}

void
calls_jsonw(struct jsonw *w, const struct call *c, const char *caller_id_match)
{
	jsonw_object_begin(w);
	w_id(w, "id", c->id);
	w_str(w, "status", call_status_name(c->status));
	w_str(w, "failure_reason", c->failure_reason);
	w_str(w, "conference_name", c->conference_name);
	w_str(w, "conference_sid", c->conference_sid);
	w_str(w, "call_sid", c->call_sid);
	w_str(w, "operator_call_sid", c->operator_call_sid);
	w_str(w, "provider", c->provider);
	w_id(w, "contact_id", c->contact_id);
	w_id(w, "operator_id", c->operator_id);
	w_str(w, "to_phone", c->to_phone);
	w_str(w, "from_phone", c->from_phone);
	jsonw_key(w, "duration_s");
	if (c->duration_s >= 0)
		jsonw_int(w, c->duration_s);
	else
		jsonw_null(w);
	w_str(w, "outcome", c->has_outcome ? call_outcome_name(c->outcome) : NULL);
	w_str(w, "notes", c->notes);
	w_str(w, "created_at", c->created_at);
	w_str(w, "dialed_at", c->dialed_at);
	w_str(w, "answered_at", c->answered_at);
	w_str(w, "ended_at", c->ended_at);
	w_bool(w, "operator_muted", c->operator_muted);
	w_bool(w, "contact_muted", c->contact_muted);
	w_bool(w, "on_hold", c->on_hold);
	w_str(w, "callback_at", c->callback_at);
	w_bool(w, "recorded", c->recorded);
	jsonw_key(w, "recording_duration_s");
	if (c->recording_sid[0] && c->recording_duration_s >= 0)
		jsonw_int(w, c->recording_duration_s);
	else
		jsonw_null(w);
	w_bool(w, "has_recording", c->recording_sid[0] != '\0');
	if (caller_id_match != NULL)
		w_str(w, "caller_id_match", caller_id_match);
	jsonw_object_end(w);
}
