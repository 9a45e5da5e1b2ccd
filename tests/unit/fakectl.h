/*
 * fakectl: talking to a fake provider's control endpoints (/_fake/...)
 * from a unit test, over libcurl. Shared by the tests of the providers
 * that run against tests/fake/fake_*.py. Include after cmocka.h.
 */
#ifndef DL_FAKECTL_H
#define DL_FAKECTL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#endif
