/*
 * fakectl: a fake provider (tests/fake/fake_*.py) for a unit test —
 * starting and stopping it, and talking to its control endpoints
 * (/_fake/...) over libcurl. Shared by the tests of the providers.
 * Include after cmocka.h.
 */
#ifndef DL_FAKECTL_H
#define DL_FAKECTL_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>

struct fakectl_resp {
	char *s;
	size_t len;
};

static size_t
fakectl_write(char *p, size_t size, size_t n, void *arg)
{
	struct fakectl_resp *r = arg;
	char *s = realloc(r->s, r->len + size * n + 1);

	if (s == NULL)
		return 0;
	memcpy(s + r->len, p, size * n);
	r->len += size * n;
	s[r->len] = '\0';
	r->s = s;
	return size * n;
}

/* GET (json NULL) or POST json to root + path; the parsed answer, for
 * cJSON_Delete. Fails the test on anything but a 2xx JSON answer. */
static cJSON *
fakectl(const char *root, const char *path, const char *json)
{
	struct fakectl_resp r = { NULL, 0 };
	struct curl_slist *hdr = NULL;
	char url[512];
	long status = 0;
	CURL *h;
	cJSON *j;

	assert_true((size_t)snprintf(url, sizeof(url), "%s%s", root, path) < sizeof(url));
	h = curl_easy_init();
	assert_non_null(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fakectl_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
	if (json != NULL) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	}
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (status < 200 || status >= 300)
		fprintf(stderr, "fakectl %s: %ld %s\n", path, status, r.s ? r.s : "");
	assert_true(status >= 200 && status < 300);
	assert_non_null(r.s);
	j = cJSON_Parse(r.s);
	free(r.s);
	assert_non_null(j);
	return j;
}

/*
 * Start `script` (Debian's python3, which sees python3-twilio and
 * python3-cryptography) with `args` (NULL-terminated, without
 * --ready-file), and wait up to 10 s for it to write its port to `ready`.
 * The port, or -1 when it did not come up; *pid gets the process.
 */
static int
fakectl_start(const char *script, const char *const *args, const char *ready, pid_t *pid)
{
	const char *argv[32];
	int port = 0, i, n = 0;

	argv[n++] = "python3";
	argv[n++] = script;
	for (i = 0; args[i] != NULL && n < 28; i++)
		argv[n++] = args[i];
	argv[n++] = "--ready-file";
	argv[n++] = ready;
	argv[n] = NULL;
	if ((*pid = fork()) < 0)
		return -1;
	if (*pid == 0) {
		execv("/usr/bin/python3", (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 200 && port == 0; i++) {
		FILE *f = fopen(ready, "r");
		struct timespec ts = { 0, 50 * 1000000L };

		if (f != NULL) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (port == 0) {
			if (waitpid(*pid, NULL, WNOHANG) == *pid) {
				*pid = -1;
				return -1;
			}
			nanosleep(&ts, NULL);
		}
	}
	return port > 0 ? port : -1;
}

static void
fakectl_stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		*pid = -1;
	}
}

/* How many recorded API requests used `method` on a path ending in
 * `suffix`; the last such request object goes to *last (owned by *all,
 * for cJSON_Delete). */
static int
fakectl_count(const char *root, const char *method, const char *suffix, cJSON **all,
    const cJSON **last)
{
	const cJSON *r;
	int n = 0;
	size_t sl = strlen(suffix);

	*all = fakectl(root, "/_fake/requests", NULL);
	assert_true(cJSON_IsArray(*all));
	if (last != NULL)
		*last = NULL;
	cJSON_ArrayForEach(r, *all) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "method");
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "path");
		size_t pl;

		if (!cJSON_IsString(m) || !cJSON_IsString(p) || strcmp(m->valuestring, method) != 0)
			continue;
		pl = strlen(p->valuestring);
		if (pl < sl || strcmp(p->valuestring + pl - sl, suffix) != 0)
			continue;
		n++;
		if (last != NULL)
			*last = r;
	}
	return n;
}

#endif
