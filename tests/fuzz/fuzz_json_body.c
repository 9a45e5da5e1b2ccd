/*
 * JSON request bodies as the handlers take them: through lib/http's CGI
 * path (Content-Type, Content-Length, the body on stdin), app_json_body
 * (limit, media type, NUL and \u0000 refused, cJSON, an object only),
 * then every handler's own field table (json_fields.h) with valid_json,
 * and one of them, picked by the input, with app_valid answering 422.
 *
 * Checked: the answer is a well-formed CGI response whose body, for an
 * error, is our JSON envelope; valid_json fails only naming a field of its
 * table with a known reason and a UTF-8 message; and when it passes, every
 * field holds what its table asks for (present if required, of its type,
 * within its length, range or choices).
 *
 * The first input byte picks the table, the second the Content-Type and
 * whether Content-Length tells the truth; the rest is the body.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "fuzz_util.h"
#include "json_fields.h"
#include "valid.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct json_fields *const programs[] = {
	json_fields_auth_login, json_fields_calls, json_fields_cold_call,
	json_fields_dnc, json_fields_queue, json_fields_users,
};

/* Every table, flattened. */
static const struct json_fields *tables[32];
static size_t ntables;

static const char *const media[] = {
	"application/json", "application/json; charset=utf-8", "Application/JSON",
	"text/plain", NULL,
};

/* The table app_valid uses for this input. */
static const struct json_fields *picked;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;
	const struct json_fields *t;

	(void)argc, (void)argv;
	/* Small enough for fuzz inputs to cross it. */
	FUZZ_CHECK(setenv("DIALER_BODY_LIMIT", "2048", 1) == 0);
	fuzz_config();
	fuzz_cgi_init();
	for (i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		for (t = programs[i]; t->name != NULL; t++) {
			FUZZ_CHECK(ntables < sizeof(tables) / sizeof(tables[0]));
			tables[ntables++] = t;
		}
	fuzz_cgi_env_str("REQUEST_METHOD", "POST");
	fuzz_cgi_env_str("REQUEST_URI", "/api/v1/fuzz");
	return 0;
}

static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Every field of t as its table asks, on an object valid_json passed. */
static void
check_passed(const cJSON *obj, const struct json_fields *t)
{
	const struct valid_field *f;
	const char *const *c;
	const cJSON *v;
	size_t i;

	for (i = 0; i < t->n; i++) {
		f = &t->fields[i];
		v = cJSON_GetObjectItemCaseSensitive(obj, f->name);
		if (v == NULL || cJSON_IsNull(v)) {
			FUZZ_CHECK(!f->required);
			continue;
		}
		switch (f->type) {
		case VALID_STRING:
			FUZZ_CHECK(cJSON_IsString(v));
			FUZZ_CHECK(valid_utf8(v->valuestring, strlen(v->valuestring)));
			FUZZ_CHECK((long long)chars(v->valuestring) >= f->min);
			FUZZ_CHECK(f->max == 0 || (long long)chars(v->valuestring) <= f->max);
			FUZZ_CHECK(f->check == NULL || f->check(v->valuestring));
			break;
		case VALID_ENUM:
			FUZZ_CHECK(cJSON_IsString(v));
			for (c = f->choices; *c != NULL && strcmp(*c, v->valuestring) != 0; c++)
				;
			FUZZ_CHECK(*c != NULL);
			break;
		case VALID_INT:
			FUZZ_CHECK(cJSON_IsNumber(v) && floor(v->valuedouble) == v->valuedouble);
			FUZZ_CHECK(v->valuedouble >= (double)f->min && v->valuedouble <= (double)f->max);
			break;
		case VALID_BOOL:
			FUZZ_CHECK(cJSON_IsBool(v));
			break;
		}
	}
}

static void
check_failed(const struct json_fields *t, const struct valid_error *e)
{
	static const char *const reasons[] = {
		"required", "type", "range", "length", "choice", "utf8", "format", NULL,
	};
	size_t i;

	for (i = 0; i < t->n && e->field != t->fields[i].name; i++)
		;
	FUZZ_CHECK(i < t->n);
	for (i = 0; reasons[i] != NULL && strcmp(reasons[i], e->reason) != 0; i++)
		;
	FUZZ_CHECK(reasons[i] != NULL);
	FUZZ_CHECK(e->message[0] != '\0' && valid_utf8(e->message, strlen(e->message)));
}

static void
handle(struct http_req *req)
{
	struct valid_error e;
	cJSON *body;
	size_t i;

	if ((body = app_json_body(req)) == NULL)
		return;
	FUZZ_CHECK(cJSON_IsObject(body));
	for (i = 0; i < ntables; i++) {
		memset(&e, 0, sizeof(e));
		if (valid_json(body, tables[i]->fields, tables[i]->n, &e) == DL_OK)
			check_passed(body, tables[i]);
		else
			check_failed(tables[i], &e);
	}
	if (app_valid(req, body, picked->fields, picked->n))
		http_send_json(req, 200, body);
}

/* An error answer is {"error":{"code","message","details"}}. */
static void
check_envelope(const char *body)
{
	cJSON *j = cJSON_Parse(body);
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");

	FUZZ_CHECK(j != NULL);
	FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(err, "code")));
	FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(err, "message")));
	FUZZ_CHECK(cJSON_HasObjectItem(err, "details"));
	cJSON_Delete(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t table = fuzz_take_byte(&in), flags = fuzz_take_byte(&in);
	const char *answer, *body;
	char cl[32];
	size_t alen;
	int status;

	picked = tables[table % ntables];
	fuzz_cgi_env_str("CONTENT_TYPE", media[(flags & 0x7f) % 5]);
	/* A body shorter than announced. */
	snprintf(cl, sizeof(cl), "%zu", in.n + ((flags & 0x80) ? 7 : 0));
	fuzz_cgi_env_str("CONTENT_LENGTH", cl);
	fuzz_cgi_run(handle, in.p, in.n, &answer, &alen);
	fuzz_cgi_check_answer(answer, alen, &body);
	status = (int)strtol(answer + 8, NULL, 10);
	FUZZ_CHECK(status == 200 || status == 400 || status == 413 || status == 415 ||
	    status == 422);
	if (status != 200)
		check_envelope(body);
	return 0;
}
