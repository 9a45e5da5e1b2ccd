/* jsonw: hand-written JSON must parse back to what was written. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonw.h"

static char *
finish(struct jsonw *w)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(jsonw_finish(w, &out, &len), DL_OK);
	assert_int_equal(strlen(out), len);
	return out;
}

static void
test_nesting_and_commas(void **state)
{
	struct jsonw w;
	char *text;

	(void)state;
	jsonw_init(&w);
	jsonw_object_begin(&w);
	jsonw_key(&w, "items");
	jsonw_array_begin(&w);
	jsonw_object_begin(&w);
	jsonw_key(&w, "id");
	jsonw_int(&w, 1);
	jsonw_key(&w, "title");
	jsonw_cstr(&w, NULL);
	jsonw_object_end(&w);
	jsonw_object_begin(&w);
	jsonw_object_end(&w);
	jsonw_array_begin(&w);
	jsonw_array_end(&w);
	jsonw_int(&w, -9223372036854775807LL - 1);
	jsonw_array_end(&w);
	jsonw_key(&w, "total");
	jsonw_int(&w, 2);
	jsonw_object_end(&w);
	text = finish(&w);
	assert_string_equal(text, "{\"items\":[{\"id\":1,\"title\":null},{},[],"
	    "-9223372036854775808],\"total\":2}");
	free(text);
}

static void
test_escaping_round_trips(void **state)
{
	/* Every control character, quotes, backslashes, and UTF-8 passed through. */
	char in[64 + 32];
	struct jsonw w;
	cJSON *parsed;
	char *text;
	size_t n = 0;
	int c;

	(void)state;
	for (c = 1; c < 0x20; c++)
		in[n++] = (char)c;
	memcpy(in + n, "\"\\/ é 😀 </script>", strlen("\"\\/ é 😀 </script>"));
	n += strlen("\"\\/ é 😀 </script>");
	in[n] = '\0';
	jsonw_init(&w);
	jsonw_object_begin(&w);
	jsonw_key(&w, "k\"ey");
	jsonw_string(&w, in, n);
	jsonw_object_end(&w);
	text = finish(&w);
	parsed = cJSON_Parse(text);
	assert_non_null(parsed);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(parsed, "k\"ey")->valuestring, in);
	assert_non_null(strstr(text, "\\u001f"));
	assert_non_null(strstr(text, "\\n"));
	cJSON_Delete(parsed);
	free(text);
}

static void
test_large_output_grows(void **state)
{
	struct jsonw w;
	cJSON *parsed;
	char *text;
	int i;

	(void)state;
	jsonw_init(&w);
	jsonw_array_begin(&w);
	for (i = 0; i < 20000; i++)
		jsonw_cstr(&w, "contact name, with a comma");
	jsonw_array_end(&w);
	text = finish(&w);
	parsed = cJSON_Parse(text);
	assert_int_equal(cJSON_GetArraySize(parsed), 20000);
	cJSON_Delete(parsed);
	free(text);
}

static void
test_too_deep_fails_cleanly(void **state)
{
	struct jsonw w;
	char *out = NULL;
	size_t len;
	int i;

	(void)state;
	jsonw_init(&w);
	for (i = 0; i < JSONW_DEPTH + 1; i++)
		jsonw_array_begin(&w);
	assert_int_equal(jsonw_finish(&w, &out, &len), DL_ERR_NOMEM);
	assert_null(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting_and_commas),
		cmocka_unit_test(test_escaping_round_trips),
		cmocka_unit_test(test_large_output_grows),
		cmocka_unit_test(test_too_deep_fails_cleanly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
