/*
 * Tests for lib/auth.c: password hashing, users, logins and throttling,
 * sessions and their expiry, CSRF tokens and the API key. Each test gets
 * a fresh temporary database and a clean environment, with DIALER_CONFIG
 * pointing at an empty file so no real settings leak in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "secure.h"
#include "testutil.h"

#define PW "correct horse battery"
#define PW2 "another good passphrase"
#define ADDR "203.0.113.7"
#define UA "Mozilla/5.0 (unit test)"

#define fixture tu_fixture
#define setup tu_fixture_setup

#define teardown tu_fixture_teardown

/* Set a setting in the environment and reload the configuration. */
static void
set_config(const char *key, const char *value)
{
	assert_int_equal(setenv(key, value, 1), 0);
	config_reset();
	assert_int_equal(config_load(), DL_OK);
}

static long long
make_user(const char *name, const char *password, enum auth_role role)
{
	long long id = 0;

	assert_int_equal(auth_user_create(name, password, role, &id), DL_OK);
	assert_true(id > 0);
	return id;
}

struct login {
	enum dl_err err;
	struct auth_user user;
	char token[AUTH_TOKEN_LEN + 1];
	char csrf[AUTH_TOKEN_LEN + 1];
	long retry_after;
};

static enum dl_err
login(const char *name, const char *password, const char *addr, struct login *l)
{
	memset(l, 0, sizeof(*l));
	l->retry_after = -1;
	l->err = auth_login(name, password, addr, UA, &l->user, l->token, l->csrf,
	    &l->retry_after);
	return l->err;
}

static int
is_b64url(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static long long
count_sessions(void)
{
	return tu_sql_int("SELECT COUNT(*) FROM sessions");
}

/* --- names, roles and passwords ------------------------------------- */

static void
test_roles(void **state)
{
	enum auth_role r = AUTH_OPERATOR;

	(void)state;
	assert_string_equal(auth_role_name(AUTH_ADMIN), "admin");
	assert_string_equal(auth_role_name(AUTH_OPERATOR), "operator");
	assert_int_equal(auth_role_parse("admin", &r), DL_OK);
	assert_int_equal(r, AUTH_ADMIN);
	assert_int_equal(auth_role_parse("operator", &r), DL_OK);
	assert_int_equal(r, AUTH_OPERATOR);
	assert_int_equal(auth_role_parse("Admin", &r), DL_ERR_INVALID);
	assert_int_equal(auth_role_parse("root", &r), DL_ERR_INVALID);
	assert_int_equal(auth_role_parse("", &r), DL_ERR_INVALID);
	assert_int_equal(auth_role_parse(NULL, &r), DL_ERR_INVALID);
	assert_int_equal(r, AUTH_OPERATOR);
}

static void
test_username_valid(void **state)
{
	char name[AUTH_USERNAME_MAX + 2];

	(void)state;
	assert_int_equal(auth_username_valid("a"), 1);
	assert_int_equal(auth_username_valid("ada.lovelace"), 1);
	assert_int_equal(auth_username_valid("Op_1-x@example.test"), 1);
	memset(name, 'a', sizeof(name));
	name[AUTH_USERNAME_MAX] = '\0';
	assert_int_equal(auth_username_valid(name), 1);
	name[AUTH_USERNAME_MAX] = 'a';
	name[AUTH_USERNAME_MAX + 1] = '\0';
	assert_int_equal(auth_username_valid(name), 0);

	assert_int_equal(auth_username_valid(NULL), 0);
	assert_int_equal(auth_username_valid(""), 0);
	assert_int_equal(auth_username_valid("ada lovelace"), 0);
	assert_int_equal(auth_username_valid("ada\t"), 0);
	assert_int_equal(auth_username_valid("j\xc3\xb6rg"), 0);
	assert_int_equal(auth_username_valid("a;b"), 0);
	assert_int_equal(auth_username_valid("a/b"), 0);
	assert_int_equal(auth_username_valid("a+b"), 0);
	assert_int_equal(auth_username_valid("'or'1'='1"), 0);
}

static void
test_password_problem(void **state)
{
	char pw[AUTH_PASSWORD_MAX + 2];

	(void)state;
	assert_non_null(auth_password_problem(NULL));
	assert_non_null(auth_password_problem(""));
	assert_non_null(auth_password_problem("1234567"));
	assert_null(auth_password_problem("12345678"));
	memset(pw, 'p', sizeof(pw));
	pw[AUTH_PASSWORD_MAX] = '\0';
	assert_null(auth_password_problem(pw));
	pw[AUTH_PASSWORD_MAX] = 'p';
	pw[AUTH_PASSWORD_MAX + 1] = '\0';
	assert_non_null(auth_password_problem(pw));
}

static void
test_hash_and_check(void **state)
{
	char a[128], b[128], tiny[20];
	int dollars = 0;
	const char *p;

	(void)state;
	assert_int_equal(auth_hash_password(PW, a, sizeof(a)), DL_OK);
	assert_int_equal(strncmp(a, "scrypt$16384$8$1$", 17), 0);
	for (p = a; *p != '\0'; p++)
		dollars += *p == '$';
	assert_int_equal(dollars, 5);
	assert_null(strstr(a, PW));

	assert_int_equal(auth_check_password(PW, a), DL_OK);
	assert_int_equal(auth_check_password(PW "x", a), DL_ERR_AUTH);
	assert_int_equal(auth_check_password("Correct horse battery", a), DL_ERR_AUTH);
	assert_int_equal(auth_check_password("", a), DL_ERR_AUTH);

	/* A fresh salt each time. */
	assert_int_equal(auth_hash_password(PW, b, sizeof(b)), DL_OK);
	assert_string_not_equal(a, b);
	assert_int_equal(auth_check_password(PW, b), DL_OK);

	assert_int_equal(auth_hash_password(PW, tiny, sizeof(tiny)), DL_ERR_TOOBIG);
}

/* scrypt with our own parameters, stored the documented way. */
static void
stored_scrypt(const char *pw, unsigned long n, unsigned long r, unsigned long p,
    size_t keylen, char *out, size_t outsz)
{
	unsigned char salt[16], key[80];
	char salt64[32], key64[128];

	memcpy(salt, "0123456789abcdef", sizeof(salt));
	assert_true(keylen <= sizeof(key));
	assert_int_equal(EVP_PBE_scrypt(pw, strlen(pw), salt, sizeof(salt), n, r, p,
	    0, key, keylen), 1);
	assert_int_equal(secure_b64(salt, sizeof(salt), salt64, sizeof(salt64)), DL_OK);
	assert_int_equal(secure_b64(key, keylen, key64, sizeof(key64)), DL_OK);
	snprintf(out, outsz, "scrypt$%lu$%lu$%lu$%s$%s", n, r, p, salt64, key64);
}

static void
test_check_reads_parameters(void **state)
{
	char stored[256];

	(void)state;
	/* Parameters and key length come from the stored string. */
	stored_scrypt(PW, 16, 1, 1, 32, stored, sizeof(stored));
	assert_int_equal(auth_check_password(PW, stored), DL_OK);
	assert_int_equal(auth_check_password(PW2, stored), DL_ERR_AUTH);
	stored_scrypt(PW, 1024, 2, 2, 16, stored, sizeof(stored));
	assert_int_equal(auth_check_password(PW, stored), DL_OK);
	stored_scrypt(PW, 64, 1, 1, 64, stored, sizeof(stored));
	assert_int_equal(auth_check_password(PW, stored), DL_OK);
	/* Keys shorter than 16 or longer than 64 bytes are not ours. */
	stored_scrypt(PW, 16, 1, 1, 15, stored, sizeof(stored));
	assert_int_equal(auth_check_password(PW, stored), DL_ERR_INVALID);
	stored_scrypt(PW, 16, 1, 1, 66, stored, sizeof(stored));
	assert_int_equal(auth_check_password(PW, stored), DL_ERR_INVALID);
}

static void
test_check_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"plaintext-password",
		"scrypt",
		"scrypt$",
		"bcrypt$16384$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"scrypt$16384$8$1$MDEyMzQ1Njc4OWFiY2RlZg==",
		"scrypt$16384$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$",
		"scrypt$16384$8$$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"scrypt$x$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"scrypt$16384$8$1$!!!!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"scrypt$16384$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$not*base64*at*all",
		"scrypt$16384$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* an 8-byte key */
		"scrypt$16384$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAA=",
		NULL
	};
	size_t i;

	(void)state;
	assert_int_equal(auth_check_password(PW, NULL), DL_ERR_INVALID);
	for (i = 0; bad[i] != NULL; i++)
		if (auth_check_password(PW, bad[i]) != DL_ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
}

static void
test_check_absurd_parameters(void **state)
{
	static const char *const params[] = {
		"0$8$1", "1$8$1", "3$8$1", "16383$8$1", "16385$8$1",
		"2097152$8$1",            /* 2^21 */
		"1099511627776$8$1",      /* 2^40 */
		"18446744073709551616$8$1", /* 2^64: does not fit */
		"-16384$8$1",
		"16384$0$1", "16384$33$1", "16384$1000000$1", "16384$-8$1",
		"16384$8$0", "16384$8$17", "16384$8$1000000", "16384$8$-1",
		NULL
	};
	static const char tail[] =
	    "$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	char stored[256];
	size_t i;

	(void)state;
	for (i = 0; params[i] != NULL; i++) {
		snprintf(stored, sizeof(stored), "scrypt$%s%s", params[i], tail);
		if (auth_check_password(PW, stored) != DL_ERR_INVALID)
			fail_msg("accepted: %s", stored);
	}
}

/*
 * The per-parameter bounds must not multiply into a memory bomb: 128*N*r
 * bytes at N=2^20, r=32 is 4 GiB for one login. Run in a child with its
 * address space capped, so an attempt fails fast instead of allocating.
 */
static void
test_check_refuses_memory_bomb(void **state)
{
	static const char *const params[] = {
		"1048576$32$1",  /* 4 GiB */
		"1048576$32$16", /* 4 GiB, and 16 times the work */
		NULL
	};
	static const char tail[] =
	    "$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	char stored[256], failed[256] = "";
	size_t i;

	(void)state;
	for (i = 0; params[i] != NULL; i++) {
		pid_t pid;
		int status;

		snprintf(stored, sizeof(stored), "scrypt$%s%s", params[i], tail);
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct rlimit rl = { 1ul << 30, 1ul << 30 };

			alarm(20);
			setrlimit(RLIMIT_AS, &rl);
			/* Keep a sanitizer's report of the failed allocation quiet. */
			if (freopen("/dev/null", "w", stderr) == NULL)
				_exit(3);
			_exit(auth_check_password(PW, stored) == DL_ERR_INVALID ? 0 : 42);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			snprintf(failed + strlen(failed), sizeof(failed) - strlen(failed),
			    " %s (%s)", params[i],
			    WIFEXITED(status) && WEXITSTATUS(status) == 42 ?
			    "returned other than DL_ERR_INVALID: scrypt ran out of room" :
			    "child died trying to allocate");
	}
	if (failed[0] != '\0')
		fail_msg("scrypt parameters accepted:%s", failed);
}

/* --- users ----------------------------------------------------------- */

static void
test_user_create_and_get(void **state)
{
	struct auth_user u;
	long long id, id2;
	const char *c;

	(void)state;
	id = make_user("ada", PW, AUTH_ADMIN);
	memset(&u, 0x5a, sizeof(u));
	assert_int_equal(auth_user_get(id, &u), DL_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.username, "ada");
	assert_int_equal(u.role, AUTH_ADMIN);
	assert_int_equal(u.disabled, 0);
	/* "2026-11-24T09:30:00Z" */
	c = u.created_at;
	assert_int_equal(strlen(c), 20);
	assert_true(c[4] == '-' && c[7] == '-' && c[10] == 'T' && c[13] == ':' &&
	    c[16] == ':' && c[19] == 'Z');

	id2 = make_user("grace.h", PW2, AUTH_OPERATOR);
	assert_true(id2 != id);
	assert_int_equal(auth_user_by_name("grace.h", &u), DL_OK);
	assert_int_equal(u.id, id2);
	assert_int_equal(u.role, AUTH_OPERATOR);
	/* Names match regardless of case; the stored spelling comes back. */
	assert_int_equal(auth_user_by_name("GRACE.H", &u), DL_OK);
	assert_int_equal(u.id, id2);
	assert_string_equal(u.username, "grace.h");

	assert_int_equal(auth_user_get(id2 + 100, &u), DL_ERR_NOTFOUND);
	assert_int_equal(auth_user_by_name("nobody", &u), DL_ERR_NOTFOUND);

	/* The password is stored hashed only. */
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM users WHERE password_hash "
	    "LIKE 'scrypt$%' AND instr(password_hash, 'horse') = 0"), 2);
}

static void
test_user_create_refusals(void **state)
{
	long long id = -5;

	(void)state;
	make_user("ada", PW, AUTH_ADMIN);
	assert_int_equal(auth_user_create("ada", PW2, AUTH_OPERATOR, &id), DL_ERR_CONFLICT);
	assert_int_equal(auth_user_create("ADA", PW2, AUTH_OPERATOR, &id), DL_ERR_CONFLICT);
	assert_int_equal(auth_user_create("Ada", PW2, AUTH_OPERATOR, &id), DL_ERR_CONFLICT);
	assert_int_equal(auth_user_create("bad name", PW, AUTH_OPERATOR, &id), DL_ERR_INVALID);
	assert_int_equal(auth_user_create("", PW, AUTH_OPERATOR, &id), DL_ERR_INVALID);
	assert_int_equal(auth_user_create(NULL, PW, AUTH_OPERATOR, &id), DL_ERR_INVALID);
	assert_int_equal(auth_user_create("bob", "short", AUTH_OPERATOR, &id), DL_ERR_INVALID);
	assert_int_equal(auth_user_create("bob", NULL, AUTH_OPERATOR, &id), DL_ERR_INVALID);
	assert_int_equal(id, -5);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM users"), 1);
	/* id may be NULL. */
	assert_int_equal(auth_user_create("bob", PW, AUTH_OPERATOR, NULL), DL_OK);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM users"), 2);
}

struct collected {
	int calls;
	int stop_at;
	long long ids[8];
	char names[8][AUTH_USERNAME_MAX + 1];
};

static enum dl_err
collect(void *ud, const struct auth_user *u)
{
	struct collected *c = ud;

	if (c->calls < 8) {
		c->ids[c->calls] = u->id;
		snprintf(c->names[c->calls], sizeof(c->names[0]), "%s", u->username);
	}
	c->calls++;
	return c->calls == c->stop_at ? DL_ERR_FORBIDDEN : DL_OK;
}

static void
test_user_foreach(void **state)
{
	struct collected c;
	long long a, b, z;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(auth_user_foreach(collect, &c), DL_OK);
	assert_int_equal(c.calls, 0);

	/* Created out of alphabetical order: the order is by id. */
	z = make_user("zed", PW, AUTH_OPERATOR);
	a = make_user("amy", PW, AUTH_ADMIN);
	b = make_user("bob", PW, AUTH_OPERATOR);
	memset(&c, 0, sizeof(c));
	assert_int_equal(auth_user_foreach(collect, &c), DL_OK);
	assert_int_equal(c.calls, 3);
	assert_int_equal(c.ids[0], z);
	assert_int_equal(c.ids[1], a);
	assert_int_equal(c.ids[2], b);
	assert_string_equal(c.names[0], "zed");
	assert_string_equal(c.names[1], "amy");
	assert_string_equal(c.names[2], "bob");

	/* The first non-OK answer stops the walk and is returned. */
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	assert_int_equal(auth_user_foreach(collect, &c), DL_ERR_FORBIDDEN);
	assert_int_equal(c.calls, 2);
	/* And the statement is usable again at once. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(auth_user_foreach(collect, &c), DL_OK);
	assert_int_equal(c.calls, 3);
}

/* --- login ----------------------------------------------------------- */

static void
test_login_success(void **state)
{
	struct login l, l2;
	char csrf[AUTH_TOKEN_LEN + 1];
	unsigned char hash[32];
	sqlite3_stmt *st;
	struct auth_user u;
	long long id, now = (long long)time(NULL);

	(void)state;
	id = make_user("ada", PW, AUTH_ADMIN);
	assert_int_equal(login("ada", PW, ADDR, &l), DL_OK);
	assert_int_equal(l.retry_after, 0);
	assert_int_equal(l.user.id, id);
	assert_string_equal(l.user.username, "ada");
	assert_int_equal(l.user.role, AUTH_ADMIN);
	assert_true(is_b64url(l.token, AUTH_TOKEN_LEN));
	assert_true(is_b64url(l.csrf, AUTH_TOKEN_LEN));
	assert_int_equal(auth_csrf(l.token, csrf), DL_OK);
	assert_string_equal(l.csrf, csrf);
	assert_string_not_equal(l.csrf, l.token);

	/* Only the token's SHA-256 is stored, with the login's details. */
	secure_sha256(l.token, AUTH_TOKEN_LEN, hash);
	assert_int_equal(sqlite3_prepare_v2(db_conn(),
	    "SELECT user_id, token_hash, created_unix, seen_unix, expires_unix, "
	    "remote_addr, user_agent FROM sessions", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), id);
	assert_int_equal(sqlite3_column_bytes(st, 1), 32);
	assert_memory_equal(sqlite3_column_blob(st, 1), hash, 32);
	assert_true(llabs(sqlite3_column_int64(st, 2) - now) <= 2);
	assert_int_equal(sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 2));
	assert_int_equal(sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 2) + 43200);
	assert_string_equal((const char *)sqlite3_column_text(st, 5), ADDR);
	assert_string_equal((const char *)sqlite3_column_text(st, 6), UA);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);

	assert_int_equal(auth_session(l.token, &u), DL_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.username, "ada");

	/* Another login is another session, with another token; the name
	 * matches whatever its case. */
	assert_int_equal(login("ADA", PW, NULL, &l2), DL_OK);
	assert_string_not_equal(l.token, l2.token);
	assert_string_not_equal(l.csrf, l2.csrf);
	assert_int_equal(l2.user.id, id);
	assert_int_equal(count_sessions(), 2);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM sessions WHERE remote_addr IS NULL"), 1);
}

static void
test_login_session_max_from_config(void **state)
{
	struct login l;

	(void)state;
	set_config("DIALER_SESSION_MAX", "600");
	make_user("ada", PW, AUTH_ADMIN);
	assert_int_equal(login("ada", PW, ADDR, &l), DL_OK);
	assert_int_equal(tu_sql_int("SELECT expires_unix - created_unix FROM sessions"), 600);
}

static void
test_login_user_agent_truncated(void **state)
{
	char ua[400], token[AUTH_TOKEN_LEN + 1], csrf[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	long retry;

	(void)state;
	make_user("ada", PW, AUTH_ADMIN);
	memset(ua, 'u', sizeof(ua) - 1);
	ua[sizeof(ua) - 1] = '\0';
	assert_int_equal(auth_login("ada", PW, ADDR, ua, &u, token, csrf, &retry), DL_OK);
	assert_int_equal(tu_sql_int("SELECT length(user_agent) FROM sessions"), 200);
	assert_int_equal(auth_login("ada", PW, ADDR, NULL, &u, token, csrf, &retry), DL_OK);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM sessions WHERE user_agent IS NULL"), 1);
}

static void
test_login_failures(void **state)
{
	char longname[AUTH_USERNAME_MAX + 10];
	long long id;
	struct login l;
	int disabled = 1;

	(void)state;
	id = make_user("ada", PW, AUTH_ADMIN);
	make_user("bob", PW2, AUTH_OPERATOR);

	assert_int_equal(login("ada", PW2, ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(l.retry_after, 0);
	assert_int_equal(login("nobody", PW, ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(l.retry_after, 0);
	assert_int_equal(login("ada", "", ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(login(NULL, PW, ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(login("ada", NULL, ADDR, &l), DL_ERR_AUTH);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(login(longname, PW, ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(count_sessions(), 0);

	/* Failures are recorded under the lower-cased name and the address. */
	assert_int_equal(login("BOB", "wrong password", ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM login_failures WHERE kind = 'user' "
	    "AND key = 'bob'"), 1);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM login_failures WHERE kind = 'addr' "
	    "AND key = '" ADDR "'"), 4);

	/* A disabled user cannot log in, even with the right password. Keep
	 * another admin so disabling is allowed. */
	make_user("root", PW, AUTH_ADMIN);
	assert_int_equal(auth_user_update(id, NULL, &disabled, NULL), DL_OK);
	assert_int_equal(login("ada", PW, ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(count_sessions(), 0);
}

static void
test_throttle_per_user(void **state)
{
	struct login l;
	int i;

	(void)state;
	set_config("DIALER_LOGIN_MAX_PER_USER", "3");
	make_user("ada", PW, AUTH_ADMIN);
	make_user("bob", PW2, AUTH_OPERATOR);
	for (i = 0; i < 3; i++) {
		assert_int_equal(login("ada", "wrong password", ADDR, &l), DL_ERR_AUTH);
		assert_int_equal(l.retry_after, 0);
	}
	/* Now even the right password waits. */
	assert_int_equal(login("ada", PW, ADDR, &l), DL_ERR_THROTTLED);
	assert_true(l.retry_after > 0 && l.retry_after <= 900);
	/* The name is throttled whatever its case, from any address. */
	assert_int_equal(login("ADA", PW, "198.51.100.1", &l), DL_ERR_THROTTLED);
	assert_true(l.retry_after > 0 && l.retry_after <= 900);
	assert_int_equal(count_sessions(), 0);
	/* Throttled attempts are not failures of their own. */
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM login_failures WHERE kind = 'user'"), 3);
	/* Other users are not affected. */
	assert_int_equal(login("bob", PW2, ADDR, &l), DL_OK);
}

static void
test_throttle_window(void **state)
{
	struct login l;
	int i;

	(void)state;
	set_config("DIALER_LOGIN_MAX_PER_USER", "3");
	set_config("DIALER_LOGIN_WINDOW", "60");
	make_user("ada", PW, AUTH_ADMIN);
	for (i = 0; i < 3; i++)
		assert_int_equal(login("ada", "wrong password", NULL, &l), DL_ERR_AUTH);
	assert_int_equal(login("ada", PW, NULL, &l), DL_ERR_THROTTLED);
	assert_true(l.retry_after > 0 && l.retry_after <= 60);

	/* The oldest failure was 50 s ago: about 10 s to wait. */
	tu_sql_exec("UPDATE login_failures SET at_unix = at_unix - 50");
	assert_int_equal(login("ada", PW, NULL, &l), DL_ERR_THROTTLED);
	assert_true(l.retry_after >= 8 && l.retry_after <= 11);

	/* Older than the window: forgotten. */
	tu_sql_exec("UPDATE login_failures SET at_unix = at_unix - 11");
	assert_int_equal(login("ada", PW, NULL, &l), DL_OK);
}

static void
test_success_clears_user_failures(void **state)
{
	struct login l;

	(void)state;
	set_config("DIALER_LOGIN_MAX_PER_USER", "3");
	make_user("ada", PW, AUTH_ADMIN);
	assert_int_equal(login("ada", "wrong password", ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(login("ada", "wrong password", ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(login("Ada", PW, ADDR, &l), DL_OK);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM login_failures WHERE kind = 'user'"), 0);
	/* Two more failures are not three. */
	assert_int_equal(login("ada", "wrong password", ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(login("ada", "wrong password", ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(login("ada", PW, ADDR, &l), DL_OK);
}

static void
test_throttle_per_address(void **state)
{
	struct login l;

	(void)state;
	set_config("DIALER_LOGIN_MAX_PER_ADDR", "2");
	make_user("ada", PW, AUTH_ADMIN);
	assert_int_equal(login("x1", "wrong password", ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(login("x2", "wrong password", ADDR, &l), DL_ERR_AUTH);
	/* That address is throttled, whichever user it tries. */
	assert_int_equal(login("ada", PW, ADDR, &l), DL_ERR_THROTTLED);
	assert_true(l.retry_after > 0 && l.retry_after <= 900);
	/* Another address is not; nor is no address. */
	assert_int_equal(login("ada", PW, "198.51.100.1", &l), DL_OK);
	assert_int_equal(login("ada", PW, NULL, &l), DL_OK);
}

/* --- sessions -------------------------------------------------------- */

static void
test_session_unknown_and_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"short",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 42 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 44 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",  /* base64, not url */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		NULL
	};
	struct auth_user u;
	struct login l;
	char other[AUTH_TOKEN_LEN + 1];
	size_t i;

	(void)state;
	make_user("ada", PW, AUTH_ADMIN);
	assert_int_equal(login("ada", PW, ADDR, &l), DL_OK);
	assert_int_equal(auth_session(NULL, &u), DL_ERR_AUTH);
	for (i = 0; bad[i] != NULL; i++)
		if (auth_session(bad[i], &u) != DL_ERR_AUTH)
			fail_msg("accepted token \"%s\"", bad[i]);
	/* Well-formed but unknown: a one-character change. */
	memcpy(other, l.token, sizeof(other));
	other[10] = other[10] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_session(other, &u), DL_ERR_AUTH);
	/* The real one still works, and was not harmed by the probing. */
	assert_int_equal(auth_session(l.token, &u), DL_OK);
	assert_int_equal(count_sessions(), 1);
}

static void
test_session_idle_expiry(void **state)
{
	struct auth_user u;
	struct login l;
	long long now;

	(void)state;
	make_user("ada", PW, AUTH_ADMIN);
	assert_int_equal(login("ada", PW, ADDR, &l), DL_OK);

	/* Idle for less than DIALER_SESSION_IDLE (7200): fine, and seen again. */
	tu_sql_exec("UPDATE sessions SET seen_unix = seen_unix - 7000");
	now = (long long)time(NULL);
	assert_int_equal(auth_session(l.token, &u), DL_OK);
	assert_true(tu_sql_int("SELECT seen_unix FROM sessions") >= now);

	/* Idle for longer: refused and deleted. */
	tu_sql_exec("UPDATE sessions SET seen_unix = seen_unix - 7300");
	assert_int_equal(auth_session(l.token, &u), DL_ERR_AUTH);
	assert_int_equal(count_sessions(), 0);
	assert_int_equal(auth_session(l.token, &u), DL_ERR_AUTH);
}

static void
test_session_idle_from_config(void **state)
{
	struct auth_user u;
	struct login l;

	(void)state;
	set_config("DIALER_SESSION_IDLE", "300");
	make_user("ada", PW, AUTH_ADMIN);
	assert_int_equal(login("ada", PW, ADDR, &l), DL_OK);
	tu_sql_exec("UPDATE sessions SET seen_unix = seen_unix - 250");
	assert_int_equal(auth_session(l.token, &u), DL_OK);
	tu_sql_exec("UPDATE sessions SET seen_unix = seen_unix - 400");
	assert_int_equal(auth_session(l.token, &u), DL_ERR_AUTH);
	assert_int_equal(count_sessions(), 0);
}

static void
test_session_seen_granularity(void **state)
{
	struct auth_user u;
	struct login l;

	(void)state;
	make_user("ada", PW, AUTH_ADMIN);
	assert_int_equal(login("ada", PW, ADDR, &l), DL_OK);
	/* Seen 10 s ago: not rewritten (at most once a minute). */
	tu_sql_exec("UPDATE sessions SET seen_unix = seen_unix - 10");
	assert_int_equal(auth_session(l.token, &u), DL_OK);
	assert_int_equal(tu_sql_int("SELECT created_unix - seen_unix FROM sessions"), 10);
}

static void
test_session_absolute_expiry(void **state)
{
	struct auth_user u;
	struct login l, l2;

	(void)state;
	make_user("ada", PW, AUTH_ADMIN);
	assert_int_equal(login("ada", PW, ADDR, &l), DL_OK);
	assert_int_equal(login("ada", PW, ADDR, &l2), DL_OK);

	/* Active, but past its absolute end. */
	tu_sql_exec("UPDATE sessions SET expires_unix = CAST(strftime('%s','now') AS INTEGER) + 30");
	assert_int_equal(auth_session(l.token, &u), DL_OK);
	tu_sql_exec("UPDATE sessions SET expires_unix = CAST(strftime('%s','now') AS INTEGER) - 1");
	assert_int_equal(auth_session(l.token, &u), DL_ERR_AUTH);
	assert_int_equal(count_sessions(), 1);
	assert_int_equal(auth_session(l2.token, &u), DL_ERR_AUTH);
	assert_int_equal(count_sessions(), 0);
}

static void
test_login_prunes_expired_sessions(void **state)
{
	struct login l;
	long long id;

	(void)state;
	id = make_user("ada", PW, AUTH_ADMIN);
	tu_sql_exec_with("INSERT INTO sessions (user_id, token_hash, created_unix, "
	    "seen_unix, expires_unix) VALUES (?1, x'01', 1, 1, 2)", id, NULL);
	assert_int_equal(login("ada", PW, ADDR, &l), DL_OK);
	assert_int_equal(count_sessions(), 1);
	assert_int_equal(tu_sql_int("SELECT COUNT(*) FROM sessions WHERE token_hash = x'01'"), 0);
}

static void
test_session_disabled_user(void **state)
{
	struct auth_user u;
	struct login l;
	long long id;

	(void)state;
	id = make_user("bob", PW, AUTH_OPERATOR);
	assert_int_equal(login("bob", PW, ADDR, &l), DL_OK);
	/* Disabled behind auth's back: the session still dies on use. */
	tu_sql_exec_with("UPDATE users SET disabled = 1 WHERE id = ?1", id, NULL);
	assert_int_equal(auth_session(l.token, &u), DL_ERR_AUTH);
	assert_int_equal(count_sessions(), 0);
}

static void
test_logout(void **state)
{
	struct auth_user u;
	struct login l, l2;

	(void)state;
	make_user("ada", PW, AUTH_ADMIN);
	assert_int_equal(login("ada", PW, ADDR, &l), DL_OK);
	assert_int_equal(login("ada", PW, ADDR, &l2), DL_OK);
	assert_int_equal(auth_logout(l.token), DL_OK);
	assert_int_equal(auth_session(l.token, &u), DL_ERR_AUTH);
	/* Only that session ends. */
	assert_int_equal(auth_session(l2.token, &u), DL_OK);
	assert_int_equal(count_sessions(), 1);
	/* Already gone, malformed or absent: no error. */
	assert_int_equal(auth_logout(l.token), DL_OK);
	assert_int_equal(auth_logout("not a token"), DL_OK);
	assert_int_equal(auth_logout(""), DL_OK);
	assert_int_equal(auth_logout(NULL), DL_OK);
	assert_int_equal(count_sessions(), 1);
}

/* --- user updates ---------------------------------------------------- */

static void
test_update_role(void **state)
{
	enum auth_role admin = AUTH_ADMIN, op = AUTH_OPERATOR;
	struct auth_user u;
	struct login l;
	long long root, bob;

	(void)state;
	root = make_user("root", PW, AUTH_ADMIN);
	bob = make_user("bob", PW, AUTH_OPERATOR);
	assert_int_equal(login("bob", PW, ADDR, &l), DL_OK);

	assert_int_equal(auth_user_update(bob, &admin, NULL, NULL), DL_OK);
	assert_int_equal(auth_user_get(bob, &u), DL_OK);
	assert_int_equal(u.role, AUTH_ADMIN);
	/* A role change does not end sessions; the session sees the new role. */
	assert_int_equal(auth_session(l.token, &u), DL_OK);
	assert_int_equal(u.role, AUTH_ADMIN);

	/* Two admins: either may step down, but not both. */
	assert_int_equal(auth_user_update(root, &op, NULL, NULL), DL_OK);
	assert_int_equal(auth_user_update(bob, &op, NULL, NULL), DL_ERR_CONFLICT);
	assert_int_equal(auth_user_get(bob, &u), DL_OK);
	assert_int_equal(u.role, AUTH_ADMIN);
	/* Nothing to change is fine. */
	assert_int_equal(auth_user_update(bob, NULL, NULL, NULL), DL_OK);
	assert_int_equal(auth_user_update(bob, &admin, NULL, NULL), DL_OK);
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
}

static void
test_update_disable_ends_sessions(void **state)
{
	int yes = 1, no = 0;
	struct auth_user u;
	struct login l;
	long long bob;

	(void)state;
	make_user("root", PW, AUTH_ADMIN);
	bob = make_user("bob", PW, AUTH_OPERATOR);
	assert_int_equal(login("bob", PW, ADDR, &l), DL_OK);
	assert_int_equal(login("root", PW, ADDR, &l), DL_OK);
	assert_int_equal(login("bob", PW, ADDR, &l), DL_OK);
	assert_int_equal(count_sessions(), 3);

	assert_int_equal(auth_user_update(bob, NULL, &yes, NULL), DL_OK);
	assert_int_equal(auth_user_get(bob, &u), DL_OK);
	assert_int_equal(u.disabled, 1);
	/* Both of bob's sessions end at once; root's stays. */
	assert_int_equal(count_sessions(), 1);
	assert_int_equal(auth_session(l.token, &u), DL_ERR_AUTH);

	/* Enabled again: may log in again. */
	assert_int_equal(auth_user_update(bob, NULL, &no, NULL), DL_OK);
	assert_int_equal(login("bob", PW, ADDR, &l), DL_OK);
	assert_int_equal(auth_session(l.token, &u), DL_OK);
}

static void
test_update_password_ends_sessions(void **state)
{
	struct auth_user u;
	struct login l;
	long long bob;

	(void)state;
	make_user("root", PW, AUTH_ADMIN);
	bob = make_user("bob", PW, AUTH_OPERATOR);
	assert_int_equal(login("bob", PW, ADDR, &l), DL_OK);
	assert_int_equal(auth_user_update(bob, NULL, NULL, "short"), DL_ERR_INVALID);
	assert_int_equal(auth_session(l.token, &u), DL_OK);

	assert_int_equal(auth_user_update(bob, NULL, NULL, PW2), DL_OK);
	assert_int_equal(auth_session(l.token, &u), DL_ERR_AUTH);
	assert_int_equal(login("bob", PW, ADDR, &l), DL_ERR_AUTH);
	assert_int_equal(login("bob", PW2, ADDR, &l), DL_OK);
}

static void
test_update_last_admin(void **state)
{
	enum auth_role op = AUTH_OPERATOR;
	int yes = 1;
	struct auth_user u;
	struct login l;
	long long root, other;

	(void)state;
	root = make_user("root", PW, AUTH_ADMIN);
	make_user("bob", PW, AUTH_OPERATOR);
	assert_int_equal(login("root", PW, ADDR, &l), DL_OK);

	assert_int_equal(auth_user_update(root, &op, NULL, NULL), DL_ERR_CONFLICT);
	assert_int_equal(auth_user_update(root, NULL, &yes, NULL), DL_ERR_CONFLICT);
	assert_int_equal(auth_user_update(root, &op, &yes, NULL), DL_ERR_CONFLICT);
	/* A refused update changes nothing at all, password included. */
	assert_int_equal(auth_user_update(root, NULL, &yes, PW2), DL_ERR_CONFLICT);
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
	assert_int_equal(auth_user_get(root, &u), DL_OK);
	assert_int_equal(u.role, AUTH_ADMIN);
	assert_int_equal(u.disabled, 0);
	assert_int_equal(auth_session(l.token, &u), DL_OK);
	assert_int_equal(login("root", PW, ADDR, &l), DL_OK);

	/* A disabled admin does not count as one left. */
	other = make_user("other", PW, AUTH_ADMIN);
	assert_int_equal(auth_user_update(other, NULL, &yes, NULL), DL_OK);
	assert_int_equal(auth_user_update(root, &op, NULL, NULL), DL_ERR_CONFLICT);

	/* Unknown user. */
	assert_int_equal(auth_user_update(root + 1000, &op, NULL, NULL), DL_ERR_NOTFOUND);
	assert_int_equal(sqlite3_get_autocommit(db_conn()), 1);
}

/* --- CSRF and API key ------------------------------------------------ */

static void
test_csrf(void **state)
{
	static const char t1[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	static const char t2[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB";
	char c1[AUTH_TOKEN_LEN + 1], c1b[AUTH_TOKEN_LEN + 1], c2[AUTH_TOKEN_LEN + 1];
	char want[AUTH_TOKEN_LEN + 1];
	unsigned char mac[32];

	(void)state;
	assert_int_equal(auth_csrf(t1, c1), DL_OK);
	assert_int_equal(auth_csrf(t1, c1b), DL_OK);
	assert_int_equal(auth_csrf(t2, c2), DL_OK);
	assert_string_equal(c1, c1b);
	assert_string_not_equal(c1, c2);
	assert_true(is_b64url(c1, AUTH_TOKEN_LEN));

	/* base64url(HMAC-SHA256(token, "csrf")) */
	assert_int_equal(secure_hmac_sha256(t1, strlen(t1), "csrf", 4, mac), DL_OK);
	assert_int_equal(secure_b64url(mac, sizeof(mac), want, sizeof(want)), DL_OK);
	assert_string_equal(c1, want);

	assert_int_equal(auth_csrf_ok(t1, c1), 1);
	assert_int_equal(auth_csrf_ok(t2, c2), 1);
	assert_int_equal(auth_csrf_ok(t1, c2), 0);
	assert_int_equal(auth_csrf_ok(t2, c1), 0);
	assert_int_equal(auth_csrf_ok(t1, NULL), 0);
	assert_int_equal(auth_csrf_ok(t1, ""), 0);
	assert_int_equal(auth_csrf_ok(t1, t1), 0);
	c1b[AUTH_TOKEN_LEN - 1] = '\0';
	assert_int_equal(auth_csrf_ok(t1, c1b), 0);
	/* A malformed session token has no valid CSRF token. */
	assert_int_equal(auth_csrf_ok(NULL, c1), 0);
	assert_int_equal(auth_csrf_ok("short", c1), 0);
	assert_int_equal(auth_csrf(t1, c1), DL_OK);
	assert_int_equal(auth_csrf_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", c1), 0);
}

static void
test_api_key(void **state)
{
	struct fixture *fx = *state;
	char conf[160];

	(void)state;
	/* Unset: nothing matches. */
	assert_int_equal(auth_api_key_ok("anything"), 0);
	assert_int_equal(auth_api_key_ok(""), 0);
	assert_int_equal(auth_api_key_ok(NULL), 0);

	set_config("DIALER_API_KEY", "k3y-for-unit-tests-0123456789");
	assert_int_equal(auth_api_key_ok("k3y-for-unit-tests-0123456789"), 1);
	assert_int_equal(auth_api_key_ok("k3y-for-unit-tests-012345678"), 0);
	assert_int_equal(auth_api_key_ok("k3y-for-unit-tests-01234567890"), 0);
	assert_int_equal(auth_api_key_ok("K3Y-FOR-UNIT-TESTS-0123456789"), 0);
	assert_int_equal(auth_api_key_ok(""), 0);
	assert_int_equal(auth_api_key_ok(NULL), 0);

	/* Set but empty is unset. */
	set_config("DIALER_API_KEY", "");
	assert_int_equal(auth_api_key_ok(""), 0);

	/* From the file as well. */
	unsetenv("DIALER_API_KEY");
	tu_write_file(fx->db.dir, "api.conf", "DIALER_API_KEY=from-the-file\n", conf,
	    sizeof(conf));
	set_config("DIALER_CONFIG", conf);
	assert_int_equal(auth_api_key_ok("from-the-file"), 1);
	assert_int_equal(auth_api_key_ok("k3y-for-unit-tests-0123456789"), 0);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_roles),
		T(test_username_valid),
		T(test_password_problem),
		T(test_hash_and_check),
		T(test_check_reads_parameters),
		T(test_check_malformed),
		T(test_check_absurd_parameters),
		T(test_check_refuses_memory_bomb),
		T(test_user_create_and_get),
		T(test_user_create_refusals),
		T(test_user_foreach),
		T(test_login_success),
		T(test_login_session_max_from_config),
		T(test_login_user_agent_truncated),
		T(test_login_failures),
		T(test_throttle_per_user),
		T(test_throttle_window),
		T(test_success_clears_user_failures),
		T(test_throttle_per_address),
		T(test_session_unknown_and_malformed),
		T(test_session_idle_expiry),
		T(test_session_idle_from_config),
		T(test_session_seen_granularity),
		T(test_session_absolute_expiry),
		T(test_login_prunes_expired_sessions),
		T(test_session_disabled_user),
		T(test_logout),
		T(test_update_role),
		T(test_update_disable_ends_sessions),
		T(test_update_password_ends_sessions),
		T(test_update_last_admin),
		T(test_csrf),
		T(test_api_key),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
