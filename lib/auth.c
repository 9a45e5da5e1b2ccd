#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "secure.h"

/* 2^14 x 8 x 1: 16 MiB and tens of milliseconds per check on this class
 * of machine — the interactive-login parameters scrypt's author gives. */
#define SCRYPT_N 16384
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SALT_LEN 16
#define KEY_LEN 32
/* A session's last-seen time is written at most this often, so that
 * reads stay reads. */
#define SEEN_GRANULARITY 60

static const char *const role_names[] = { "operator", "admin" };

const char *
auth_role_name(enum auth_role role)
{
	return role == AUTH_ADMIN ? role_names[1] : role_names[0];
}

enum dl_err
auth_role_parse(const char *name, enum auth_role *out)
{
	if (name != NULL && strcmp(name, "admin") == 0)
		*out = AUTH_ADMIN;
	else if (name != NULL && strcmp(name, "operator") == 0)
		*out = AUTH_OPERATOR;
	else
		return DL_ERR_INVALID;
	return DL_OK;
}

int
auth_username_valid(const char *name)
{
	size_t i, n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > AUTH_USERNAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

const char *
auth_password_problem(const char *password)
{
	size_t n = password != NULL ? strlen(password) : 0;

	if (n < AUTH_PASSWORD_MIN)
		return "The password must be at least 8 characters long.";
	if (n > AUTH_PASSWORD_MAX)
		return "The password must be at most 1024 characters long.";
	return NULL;
}

static enum dl_err
scrypt(const char *password, const unsigned char *salt, size_t saltlen,
    unsigned long n, unsigned long r, unsigned long p, unsigned char *key,
    size_t keylen)
{
	/* Room for 128*N*r bytes plus OpenSSL's bookkeeping. */
	uint64_t maxmem = (uint64_t)128 * n * r * 2 + (1u << 20);

	if (EVP_PBE_scrypt(password, strlen(password), salt, saltlen, n, r, p,
	    maxmem, key, keylen) != 1)
		return DL_ERR_CRYPTO;
	return DL_OK;
}

enum dl_err
auth_hash_password(const char *password, char *out, size_t outsz)
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	char salt64[32], key64[48];
	enum dl_err err;
	int n;

	if ((err = secure_random(salt, sizeof(salt))) != DL_OK ||
	    (err = scrypt(password, salt, sizeof(salt), SCRYPT_N, SCRYPT_R,
	    SCRYPT_P, key, sizeof(key))) != DL_OK ||
	    (err = secure_b64(salt, sizeof(salt), salt64, sizeof(salt64))) != DL_OK ||
	    (err = secure_b64(key, sizeof(key), key64, sizeof(key64))) != DL_OK)
		return err;
	n = snprintf(out, outsz, "scrypt$%d$%d$%d$%s$%s", SCRYPT_N, SCRYPT_R,
	    SCRYPT_P, salt64, key64);
	return n > 0 && (size_t)n < outsz ? DL_OK : DL_ERR_TOOBIG;
}

enum dl_err
auth_check_password(const char *password, const char *stored)
{
	unsigned long n, r, p;
	char salt64[64], key64[96];
	unsigned char salt[48], want[72], got[72];
	size_t saltlen, keylen;
	enum dl_err err;

	if (stored == NULL ||
	    sscanf(stored, "scrypt$%lu$%lu$%lu$%63[^$]$%95s", &n, &r, &p, salt64,
	    key64) != 5)
		return DL_ERR_INVALID;
	/* Refuse parameters that would let a planted row exhaust memory
	 * (128*N*r bytes, at most 64 MiB) or time (N*r*p, at most 16 times
	 * ours). */
	if (n < 2 || (n & (n - 1)) != 0 || r < 1 || p < 1 || n > (1ul << 20) ||
	    r > 64 || p > 64 || (uint64_t)128 * n * r > ((uint64_t)64 << 20) ||
	    (uint64_t)n * r * p > (uint64_t)16 * SCRYPT_N * SCRYPT_R * SCRYPT_P)
		return DL_ERR_INVALID;
	if (secure_b64_decode(salt64, salt, sizeof(salt), &saltlen) != DL_OK ||
	    secure_b64_decode(key64, want, sizeof(want), &keylen) != DL_OK ||
	    keylen < 16 || keylen > 64)
		return DL_ERR_INVALID;
	if ((err = scrypt(password, salt, saltlen, n, r, p, got, keylen)) != DL_OK)
		return err;
	return secure_equal(got, keylen, want, keylen) ? DL_OK : DL_ERR_AUTH;
}

/* --- sessions ------------------------------------------------------- */

static long long
now_unix(void)
{
	return (long long)time(NULL);
}

static int
token_shape_ok(const char *token)
{
	size_t i;

	if (token == NULL || strlen(token) != AUTH_TOKEN_LEN)
		return 0;
	for (i = 0; i < AUTH_TOKEN_LEN; i++) {
		char c = token[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

enum dl_err
auth_csrf(const char *token, char *csrf)
{
	unsigned char mac[32];
	enum dl_err err;

	if ((err = secure_hmac_sha256(token, strlen(token), "csrf", 4, mac)) != DL_OK)
		return err;
	return secure_b64url(mac, sizeof(mac), csrf, AUTH_TOKEN_LEN + 1);
}

int
auth_csrf_ok(const char *token, const char *presented)
{
	char want[AUTH_TOKEN_LEN + 1];

	if (!token_shape_ok(token) || presented == NULL ||
	    auth_csrf(token, want) != DL_OK)
		return 0;
	return secure_streq(want, presented);
}

int
auth_api_key_ok(const char *presented)
{
	const char *key = config_get("DIALER_API_KEY");

	return key != NULL && presented != NULL && secure_streq(key, presented);
}

static void
fill_user(sqlite3_stmt *st, int col, struct auth_user *u)
{
	const unsigned char *name, *created;

	u->id = sqlite3_column_int64(st, col);
	name = sqlite3_column_text(st, col + 1);
	snprintf(u->username, sizeof(u->username), "%s", name != NULL ? (const char *)name : "");
	u->role = sqlite3_column_text(st, col + 2) != NULL &&
	    strcmp((const char *)sqlite3_column_text(st, col + 2), "admin") == 0 ?
	    AUTH_ADMIN : AUTH_OPERATOR;
	u->disabled = sqlite3_column_int(st, col + 3);
	created = sqlite3_column_text(st, col + 4);
	snprintf(u->created_at, sizeof(u->created_at), "%s", created != NULL ? (const char *)created : "");
}

static const char sql_session[] =
    "SELECT s.id, s.seen_unix, s.expires_unix, u.id, u.username, u.role, "
    "u.disabled, u.created_at FROM sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.token_hash = ?1";
static const char sql_session_delete[] = "DELETE FROM sessions WHERE id = ?1";
static const char sql_session_seen[] =
    "UPDATE sessions SET seen_unix = ?2 WHERE id = ?1";

enum dl_err
auth_session(const char *token, struct auth_user *user)
{
	unsigned char hash[32];
	sqlite3_stmt *st;
	long long sid, seen, expires, now = now_unix();
	long idle;
	int rc, expired;
	enum dl_err err;

	if (!token_shape_ok(token))
		return DL_ERR_AUTH;
	if ((err = config_get_long("DIALER_SESSION_IDLE", 7200, 60, 31536000, &idle)) != DL_OK)
		return err;
	secure_sha256(token, AUTH_TOKEN_LEN, hash);
	if ((st = db_stmt(sql_session)) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? DL_ERR_AUTH : db_err(rc);
	}
	sid = sqlite3_column_int64(st, 0);
	seen = sqlite3_column_int64(st, 1);
	expires = sqlite3_column_int64(st, 2);
	fill_user(st, 3, user);
	sqlite3_reset(st);
	expired = now >= expires || now - seen > idle || user->disabled;
	if (expired) {
		if ((st = db_stmt(sql_session_delete)) == NULL)
			return DL_ERR_DB;
		sqlite3_bind_int64(st, 1, sid);
		db_exec_stmt(st);
		return DL_ERR_AUTH;
	}
	if (now - seen >= SEEN_GRANULARITY) {
		if ((st = db_stmt(sql_session_seen)) == NULL)
			return DL_ERR_DB;
		sqlite3_bind_int64(st, 1, sid);
		sqlite3_bind_int64(st, 2, now);
		/* A busy database must not log the user out: best effort. */
		db_exec_stmt(st);
	}
	return DL_OK;
}

enum dl_err
auth_logout(const char *token)
{
	unsigned char hash[32];
	sqlite3_stmt *st;

	if (!token_shape_ok(token))
		return DL_OK;
	secure_sha256(token, AUTH_TOKEN_LEN, hash);
	if ((st = db_stmt("DELETE FROM sessions WHERE token_hash = ?1")) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_STATIC);
	return db_exec_stmt(st);
}

/* --- throttling ----------------------------------------------------- */

static const char sql_fail_count[] =
    "SELECT COUNT(*), MIN(at_unix) FROM login_failures "
    "WHERE kind = ?1 AND key = ?2 AND at_unix > ?3";

/* Seconds to wait before `key` may try again, 0 if it may now. */
static enum dl_err
throttle_wait(const char *kind, const char *key, long max, long window,
    long long now, long *wait)
{
	sqlite3_stmt *st = db_stmt(sql_fail_count);
	int rc;

	*wait = 0;
	if (st == NULL)
		return DL_ERR_DB;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now - window);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) >= max) {
		long long oldest = sqlite3_column_int64(st, 1);

		*wait = (long)(oldest + window - now);
		if (*wait < 1)
			*wait = 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DL_OK : db_err(rc);
}

static void
lower(const char *in, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) : in[i];
	out[i] = '\0';
}

static const char sql_fail_add[] =
    "INSERT INTO login_failures (kind, key, at_unix) VALUES (?1, ?2, ?3)";
static const char sql_fail_prune[] =
    "DELETE FROM login_failures WHERE at_unix <= ?1";
static const char sql_fail_clear[] =
    "DELETE FROM login_failures WHERE kind = 'user' AND key = ?1";

static void
record_failure(const char *userkey, const char *addr, long long now, long window)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(sql_fail_prune)) != NULL) {
		sqlite3_bind_int64(st, 1, now - window);
		db_exec_stmt(st);
	}
	if ((st = db_stmt(sql_fail_add)) != NULL) {
		sqlite3_bind_text(st, 1, "user", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, userkey, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		db_exec_stmt(st);
	}
	if (addr != NULL && *addr != '\0' && (st = db_stmt(sql_fail_add)) != NULL) {
		sqlite3_bind_text(st, 1, "addr", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		db_exec_stmt(st);
	}
}

/* A hash of a password nobody knows, checked when the user does not exist
 * so that a wrong username costs the same time as a wrong password. */
static const char *
dummy_hash(void)
{
	static char hash[128];

	if (hash[0] == '\0' && auth_hash_password("not-a-password", hash, sizeof(hash)) != DL_OK)
		hash[0] = '\0';
	return hash;
}

static const char sql_user_by_name[] =
    "SELECT id, username, role, disabled, created_at, password_hash FROM users "
    "WHERE username = ?1";
static const char sql_session_add[] =
    "INSERT INTO sessions (user_id, token_hash, created_unix, seen_unix, "
    "expires_unix, remote_addr, user_agent) VALUES (?1, ?2, ?3, ?3, ?4, ?5, substr(?6, 1, 200))";
static const char sql_session_prune[] =
    "DELETE FROM sessions WHERE expires_unix <= ?1";

enum dl_err
auth_login(const char *username, const char *password, const char *addr,
    const char *user_agent, struct auth_user *user, char *token, char *csrf,
    long *retry_after)
{
	char userkey[AUTH_USERNAME_MAX + 1], stored[256];
	unsigned char raw[32], hash[32];
	long max_user, max_addr, window, session_max, wait_user = 0, wait_addr = 0;
	long long now = now_unix();
	sqlite3_stmt *st;
	enum dl_err err;
	int rc, found = 0;

	*retry_after = 0;
	if ((err = config_get_long("DIALER_LOGIN_MAX_PER_USER", 5, 1, 1000000, &max_user)) != DL_OK ||
	    (err = config_get_long("DIALER_LOGIN_MAX_PER_ADDR", 20, 1, 1000000, &max_addr)) != DL_OK ||
	    (err = config_get_long("DIALER_LOGIN_WINDOW", 900, 1, 86400, &window)) != DL_OK ||
	    (err = config_get_long("DIALER_SESSION_MAX", 43200, 60, 31536000, &session_max)) != DL_OK)
		return err;
	if (username == NULL || password == NULL || strlen(username) > AUTH_USERNAME_MAX ||
	    strlen(password) > AUTH_PASSWORD_MAX)
		return DL_ERR_AUTH;
	lower(username, userkey, sizeof(userkey));
	if ((err = throttle_wait("user", userkey, max_user, window, now, &wait_user)) != DL_OK)
		return err;
	if (addr != NULL && *addr != '\0' &&
	    (err = throttle_wait("addr", addr, max_addr, window, now, &wait_addr)) != DL_OK)
		return err;
	if (wait_user > 0 || wait_addr > 0) {
		*retry_after = wait_user > wait_addr ? wait_user : wait_addr;
		return DL_ERR_THROTTLED;
	}

	if ((st = db_stmt(sql_user_by_name)) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(st, 5);

		fill_user(st, 0, user);
		snprintf(stored, sizeof(stored), "%s", h != NULL ? (const char *)h : "");
		found = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(rc);
	err = auth_check_password(password, found ? stored : dummy_hash());
	if (err == DL_ERR_CRYPTO || err == DL_ERR_NOMEM)
		return err;
	if (!found || err != DL_OK || user->disabled) {
		record_failure(userkey, addr, now, window);
		return DL_ERR_AUTH;
	}

	if ((err = secure_random(raw, sizeof(raw))) != DL_OK ||
	    (err = secure_b64url(raw, sizeof(raw), token, AUTH_TOKEN_LEN + 1)) != DL_OK ||
	    (err = auth_csrf(token, csrf)) != DL_OK)
		return err;
	secure_sha256(token, AUTH_TOKEN_LEN, hash);
	if ((st = db_stmt(sql_session_prune)) != NULL) {
		sqlite3_bind_int64(st, 1, now);
		db_exec_stmt(st);
	}
	if ((st = db_stmt(sql_fail_clear)) != NULL) {
		sqlite3_bind_text(st, 1, userkey, -1, SQLITE_STATIC);
		db_exec_stmt(st);
	}
	if ((st = db_stmt(sql_session_add)) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_int64(st, 1, user->id);
	sqlite3_bind_blob(st, 2, hash, sizeof(hash), SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, now + session_max);
	db_bind_text(st, 5, addr);
	db_bind_text(st, 6, user_agent);
	return db_exec_stmt(st);
}

/* --- users ---------------------------------------------------------- */

static const char sql_user_add[] =
    "INSERT INTO users (username, password_hash, role) VALUES (?1, ?2, ?3)";

enum dl_err
auth_user_create(const char *username, const char *password,
    enum auth_role role, long long *id)
{
	char hash[128];
	sqlite3_stmt *st;
	enum dl_err err;

	if (!auth_username_valid(username) || auth_password_problem(password) != NULL)
		return DL_ERR_INVALID;
	if ((err = auth_hash_password(password, hash, sizeof(hash))) != DL_OK)
		return err;
	if ((st = db_stmt(sql_user_add)) == NULL)
		return DL_ERR_DB;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, auth_role_name(role), -1, SQLITE_STATIC);
	if ((err = db_exec_stmt(st)) != DL_OK)
		return err;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(db_conn());
	return DL_OK;
}

static const char sql_user_get[] =
    "SELECT id, username, role, disabled, created_at FROM users WHERE id = ?1";

static enum dl_err
user_lookup(const char *sql, long long id, const char *name, struct auth_user *out)
{
	sqlite3_stmt *st = db_stmt(sql);
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	if (name != NULL)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fill_user(st, 0, out);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return DL_ERR_NOTFOUND;
	return rc == SQLITE_ROW ? DL_OK : db_err(rc);
}

enum dl_err
auth_user_get(long long id, struct auth_user *out)
{
	return user_lookup(sql_user_get, id, NULL, out);
}

enum dl_err
auth_user_by_name(const char *username, struct auth_user *out)
{
	return user_lookup(sql_user_by_name, 0, username, out);
}

static const char sql_admins_left[] =
    "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?1";
static const char sql_user_set_role[] =
    "UPDATE users SET role = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1";
static const char sql_user_set_disabled[] =
    "UPDATE users SET disabled = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1";
static const char sql_user_set_password[] =
    "UPDATE users SET password_hash = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1";
static const char sql_user_end_sessions[] = "DELETE FROM sessions WHERE user_id = ?1";

static enum dl_err
user_update_locked(long long id, const enum auth_role *role,
    const int *disabled, const char *hash)
{
	struct auth_user u;
	sqlite3_stmt *st;
	enum dl_err err;
	int demotes, rc;

	if ((err = auth_user_get(id, &u)) != DL_OK)
		return err;
	demotes = u.role == AUTH_ADMIN && !u.disabled &&
	    ((role != NULL && *role != AUTH_ADMIN) || (disabled != NULL && *disabled));
	if (demotes) {
		if ((st = db_stmt(sql_admins_left)) == NULL)
			return DL_ERR_DB;
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) == 0) {
			sqlite3_reset(st);
			return DL_ERR_CONFLICT;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return db_err(rc);
	}
	if (role != NULL) {
		if ((st = db_stmt(sql_user_set_role)) == NULL)
			return DL_ERR_DB;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, auth_role_name(*role), -1, SQLITE_STATIC);
		if ((err = db_exec_stmt(st)) != DL_OK)
			return err;
	}
	if (disabled != NULL) {
		if ((st = db_stmt(sql_user_set_disabled)) == NULL)
			return DL_ERR_DB;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, *disabled ? 1 : 0);
		if ((err = db_exec_stmt(st)) != DL_OK)
			return err;
	}
	if (hash != NULL) {
		if ((st = db_stmt(sql_user_set_password)) == NULL)
			return DL_ERR_DB;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
		if ((err = db_exec_stmt(st)) != DL_OK)
			return err;
	}
	if ((disabled != NULL && *disabled) || hash != NULL) {
		if ((st = db_stmt(sql_user_end_sessions)) == NULL)
			return DL_ERR_DB;
		sqlite3_bind_int64(st, 1, id);
		if ((err = db_exec_stmt(st)) != DL_OK)
			return err;
	}
	return DL_OK;
}

enum dl_err
auth_user_update(long long id, const enum auth_role *role, const int *disabled,
    const char *new_password)
{
	char hash[128];
	enum dl_err err;

	if (new_password != NULL) {
		if (auth_password_problem(new_password) != NULL)
			return DL_ERR_INVALID;
		/* Hash before taking the write lock: scrypt is the slow part. */
		if ((err = auth_hash_password(new_password, hash, sizeof(hash))) != DL_OK)
			return err;
	}
	if ((err = db_begin()) != DL_OK)
		return err;
	err = user_update_locked(id, role, disabled, new_password != NULL ? hash : NULL);
	if (err != DL_OK) {
		db_rollback();
		return err;
	}
	return db_commit();
}

enum dl_err
auth_user_foreach(enum dl_err (*fn)(void *, const struct auth_user *), void *ud)
{
	sqlite3_stmt *st = db_stmt(
	    "SELECT id, username, role, disabled, created_at FROM users ORDER BY id");
	enum dl_err err = DL_OK;
	int rc;

	if (st == NULL)
		return DL_ERR_DB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct auth_user u;

		fill_user(st, 0, &u);
		if ((err = fn(ud, &u)) != DL_OK)
			break;
	}
	sqlite3_reset(st);
	if (err == DL_OK && rc != SQLITE_DONE)
		err = db_err(rc);
	return err;
}
