/*
 * auth: operators, passwords, sessions, CSRF tokens, the API key and login
 * throttling. The rules live here; cgi-bin programs only carry cookies and
 * headers in and out.
 *
 * Passwords: scrypt (OpenSSL EVP_PBE_scrypt, N=2^14 r=8 p=1, 16-byte
 * per-user salt), stored as "scrypt$N$r$p$salt$hash" in base64.
 * Sessions: a random 256-bit token in the cookie (base64url, 43 chars);
 * only its SHA-256 is stored. Idle and absolute expiry from config.
 * CSRF: base64url(HMAC-SHA256(token, "csrf")) — bound to the session,
 * stored nowhere, recomputable from the cookie alone.
 * Secrets are compared in constant time and never logged.
 */
#ifndef DL_AUTH_H
#define DL_AUTH_H

#include <stddef.h>
#include "err.h"

enum auth_role { AUTH_OPERATOR = 0, AUTH_ADMIN = 1 };

#define AUTH_USERNAME_MAX 64
#define AUTH_PASSWORD_MIN 8
#define AUTH_PASSWORD_MAX 1024
#define AUTH_TOKEN_LEN 43 /* base64url of 32 bytes, no padding */

struct auth_user {
	long long id;
	char username[AUTH_USERNAME_MAX + 1];
	enum auth_role role;
	int disabled;
	char created_at[24];
};

const char *auth_role_name(enum auth_role role);
/* DL_ERR_INVALID for anything but "admin" / "operator". */
enum dl_err auth_role_parse(const char *name, enum auth_role *out);

/* 1-64 of [A-Za-z0-9._@-]. */
int auth_username_valid(const char *name);
/* NULL when acceptable, else a sentence saying why not. */
const char *auth_password_problem(const char *password);

/* Hash for storage; outsz >= 128. */
enum dl_err auth_hash_password(const char *password, char *out, size_t outsz);
/* DL_OK on a match, DL_ERR_AUTH on a mismatch, DL_ERR_INVALID for a
 * stored value we cannot read. */
enum dl_err auth_check_password(const char *password, const char *stored);

/*
 * Log in. On DL_OK fills *user and writes the new session's token and CSRF
 * token (NUL-terminated, AUTH_TOKEN_LEN chars; buffers of AUTH_TOKEN_LEN+1).
 * DL_ERR_AUTH: unknown user, wrong password or disabled — indistinguishable
 * by answer and by time. DL_ERR_THROTTLED: too many recent failures for
 * this username or this address; *retry_after says how many seconds.
 * `addr` and `user_agent` are kept with the session (may be NULL).
 */
enum dl_err auth_login(const char *username, const char *password,
    const char *addr, const char *user_agent, struct auth_user *user,
    char *token, char *csrf, long *retry_after);

/* The user behind a session token. DL_ERR_AUTH when the token is
 * malformed, unknown, expired (idle or absolute) or the user disabled;
 * expired sessions are deleted on the way. */
enum dl_err auth_session(const char *token, struct auth_user *user);

/* End the session (no error if it is already gone). */
enum dl_err auth_logout(const char *token);

/* The CSRF token for a session token (csrf: AUTH_TOKEN_LEN + 1 bytes). */
enum dl_err auth_csrf(const char *token, char *csrf);
/* 1 if `presented` is the CSRF token of `token` (constant time). */
int auth_csrf_ok(const char *token, const char *presented);

/* 1 if DIALER_API_KEY is set and `presented` equals it (constant time). */
int auth_api_key_ok(const char *presented);

/* --- user management ----------------------------------------------- */

/* DL_ERR_INVALID: bad username or password (see the checks above);
 * DL_ERR_CONFLICT: the name is taken (case-insensitively). */
enum dl_err auth_user_create(const char *username, const char *password,
    enum auth_role role, long long *id);
enum dl_err auth_user_get(long long id, struct auth_user *out);
enum dl_err auth_user_by_name(const char *username, struct auth_user *out);

/*
 * Change what is non-NULL. Disabling ends every session of the user at
 * once; a new password ends them too. DL_ERR_NOTFOUND for no such user;
 * DL_ERR_CONFLICT if the change would leave no enabled admin.
 */
enum dl_err auth_user_update(long long id, const enum auth_role *role,
    const int *disabled, const char *new_password);

/* Call `fn` for each user in id order; stops at the first non-DL_OK. */
enum dl_err auth_user_foreach(enum dl_err (*fn)(void *ud,
    const struct auth_user *u), void *ud);

#endif
