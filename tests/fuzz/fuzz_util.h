/*
 * Shared by the fuzz targets: the process's settings, an in-memory
 * database, splitting an input into fields, and running one request
 * through lib/http's CGI path the way a CGI server would (variables in the
 * environment, the body on stdin, the answer read back from stdout).
 *
 * Everything here is set up once per process and reused for every input:
 * nothing allocated per input may outlive it (LeakSanitizer counts that
 * as a crash). Failures of the harness itself abort with a message.
 */
#ifndef DL_FUZZ_UTIL_H
#define DL_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "http.h"

/* A broken property or harness: a crash libFuzzer keeps the input of. */
#define FUZZ_CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

/*
 * Settings for a fuzz process: no config file (an empty one), no log file,
 * no helper processes for phone parsing (forks would escape coverage and
 * the leak check), and whatever the target adds before calling.
 */
static inline void
fuzz_config(void)
{
	FUZZ_CHECK(setenv("DIALER_CONFIG", "/dev/null", 1) == 0);
	FUZZ_CHECK(setenv("DIALER_LOG", "/dev/null", 1) == 0);
	FUZZ_CHECK(setenv("DIALER_IMPORT_WORKERS", "0", 1) == 0);
	FUZZ_CHECK(config_load() == DL_OK);
}

/* A migrated database in memory, for the life of the process. */
static inline void
fuzz_db(void)
{
	FUZZ_CHECK(db_open(":memory:") == DL_OK);
}

static inline void
fuzz_sql(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db_conn(), sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "fuzz: %s: %s\n", sql, msg != NULL ? msg : "?");
		abort();
	}
}

static inline long long
fuzz_sql_int(const char *sql)
{
	sqlite3_stmt *st;
	long long v;

	FUZZ_CHECK(sqlite3_prepare_v2(db_conn(), sql, -1, &st, NULL) == SQLITE_OK);
	FUZZ_CHECK(sqlite3_step(st) == SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The input as a cursor: fuzz_take_line hands out the bytes up to the next
 * '\n' (or the end), fuzz_take_byte one byte (0 at the end). */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t
fuzz_take_byte(struct fuzz_in *in)
{
	uint8_t b;

	if (in->n == 0)
		return 0;
	b = *in->p++;
	in->n--;
	return b;
}

static inline const char *
fuzz_take_line(struct fuzz_in *in, size_t *len)
{
	const uint8_t *nl = memchr(in->p, '\n', in->n);
	const char *s = (const char *)in->p;

	*len = nl != NULL ? (size_t)(nl - in->p) : in->n;
	in->p += *len + (nl != NULL);
	in->n -= *len + (nl != NULL);
	return s;
}

/* --- one request through the CGI path ------------------------------- */

/* Longest variable value taken from an input. */
#define FUZZ_CGI_VALUE_MAX 16384
#define FUZZ_CGI_VARS 24

struct fuzz_cgi_slot {
	const char *name;
	char *buf; /* "NAME=value", handed to putenv once and rewritten */
	int set;
};

static struct fuzz_cgi_slot fuzz_cgi_slots[FUZZ_CGI_VARS];
static FILE *fuzz_cgi_in, *fuzz_cgi_out;
static char *fuzz_cgi_answer;
static size_t fuzz_cgi_answer_cap;

/* Put stdin and stdout on files of our own. Before anything asks libfcgi
 * whether this is CGI: it decides once, from what fd 0 is. */
static inline void
fuzz_cgi_init(void)
{
	FUZZ_CHECK((fuzz_cgi_in = tmpfile()) != NULL);
	FUZZ_CHECK((fuzz_cgi_out = tmpfile()) != NULL);
	FUZZ_CHECK(dup2(fileno(fuzz_cgi_in), STDIN_FILENO) == STDIN_FILENO);
	FUZZ_CHECK(dup2(fileno(fuzz_cgi_out), STDOUT_FILENO) == STDOUT_FILENO);
}

/*
 * Set variable `name` to value[0..len) (cut at a NUL: the environment
 * cannot hold one), or unset it when value is NULL. putenv() with a buffer
 * kept per name: setenv() would keep a copy of every value ever set.
 */
static inline void
fuzz_cgi_env(const char *name, const char *value, size_t len)
{
	struct fuzz_cgi_slot *s = NULL;
	size_t i, nlen = strlen(name);
	const char *nul;

	for (i = 0; i < FUZZ_CGI_VARS && fuzz_cgi_slots[i].name != NULL; i++)
		if (strcmp(fuzz_cgi_slots[i].name, name) == 0)
			break;
	FUZZ_CHECK(i < FUZZ_CGI_VARS);
	s = &fuzz_cgi_slots[i];
	if (s->name == NULL) {
		s->name = name;
		FUZZ_CHECK((s->buf = malloc(nlen + 1 + FUZZ_CGI_VALUE_MAX + 1)) != NULL);
	}
	if (value == NULL) {
		if (s->set)
			FUZZ_CHECK(unsetenv(name) == 0);
		s->set = 0;
		return;
	}
	if ((nul = memchr(value, '\0', len)) != NULL)
		len = (size_t)(nul - value);
	if (len > FUZZ_CGI_VALUE_MAX)
		len = FUZZ_CGI_VALUE_MAX;
	memcpy(s->buf, name, nlen);
	s->buf[nlen] = '=';
	memcpy(s->buf + nlen + 1, value, len);
	s->buf[nlen + 1 + len] = '\0';
	FUZZ_CHECK(putenv(s->buf) == 0);
	s->set = 1;
}

static inline void
fuzz_cgi_env_str(const char *name, const char *value)
{
	fuzz_cgi_env(name, value, value != NULL ? strlen(value) : 0);
}

/* Serve one request with `body` on stdin; the answer (NUL-terminated,
 * owned here until the next run) goes to *answer. */
static inline void
fuzz_cgi_run(http_handler handler, const void *body, size_t len, const char **answer,
    size_t *answer_len)
{
	long end;

	FUZZ_CHECK(ftruncate(fileno(fuzz_cgi_in), 0) == 0);
	FUZZ_CHECK(len == 0 || pwrite(fileno(fuzz_cgi_in), body, len, 0) == (ssize_t)len);
	FUZZ_CHECK(fseek(stdin, 0, SEEK_SET) == 0);
	clearerr(stdin);
	FUZZ_CHECK(fflush(stdout) == 0);
	FUZZ_CHECK(ftruncate(fileno(fuzz_cgi_out), 0) == 0);
	FUZZ_CHECK(fseek(stdout, 0, SEEK_SET) == 0);
	FUZZ_CHECK(http_serve(handler) == 0);
	FUZZ_CHECK(fflush(stdout) == 0);
	FUZZ_CHECK((end = ftell(stdout)) >= 0);
	if ((size_t)end + 1 > fuzz_cgi_answer_cap) {
		free(fuzz_cgi_answer);
		fuzz_cgi_answer_cap = (size_t)end + 1;
		FUZZ_CHECK((fuzz_cgi_answer = malloc(fuzz_cgi_answer_cap)) != NULL);
	}
	FUZZ_CHECK(pread(fileno(fuzz_cgi_out), fuzz_cgi_answer, (size_t)end, 0) == end);
	fuzz_cgi_answer[end] = '\0';
	*answer = fuzz_cgi_answer;
	*answer_len = (size_t)end;
}

/*
 * The answer must be a CGI response: "Status: NNN ..." first, then header
 * lines "Name: value" ending in CRLF with no other CR or LF in them (a
 * value with a line break would let input forge headers), a blank line,
 * the body. *body gets where the body starts.
 */
static inline void
fuzz_cgi_check_answer(const char *a, size_t len, const char **body)
{
	const char *line = a, *end = a + len, *eol;
	size_t name;

	FUZZ_CHECK(strncmp(a, "Status: ", 8) == 0);
	for (;;) {
		eol = memchr(line, '\n', (size_t)(end - line));
		FUZZ_CHECK(eol != NULL && eol > line && eol[-1] == '\r');
		if (eol - line == 1)
			break;
		name = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-");
		FUZZ_CHECK(name > 0 && line[name] == ':' && line[name + 1] == ' ');
		FUZZ_CHECK(memchr(line, '\r', (size_t)(eol - 1 - line)) == NULL);
		line = eol + 1;
	}
	*body = eol + 1;
}

/* The value of header `name` in the answer's head, or NULL; *len its length. */
static inline const char *
fuzz_cgi_answer_header(const char *a, const char *name, size_t *len)
{
	size_t n = strlen(name);
	const char *line = a, *eol;

	while ((eol = strstr(line, "\r\n")) != NULL && eol != line) {
		if ((size_t)(eol - line) > n + 1 && strncmp(line, name, n) == 0 &&
		    line[n] == ':' && line[n + 1] == ' ') {
			*len = (size_t)(eol - line) - n - 2;
			return line + n + 2;
		}
		line = eol + 2;
	}
	return NULL;
}

#endif
