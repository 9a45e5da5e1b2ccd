/*
 * The field tables the cgi-bin programs validate JSON bodies with, for
 * fuzz_json_body: json_fields.c is compiled once per program with the
 * program itself included (its main renamed), so these are the handlers'
 * own tables, never copies. Each list ends with a NULL name.
 */
#ifndef DL_FUZZ_JSON_FIELDS_H
#define DL_FUZZ_JSON_FIELDS_H

#include <stddef.h>
#include "valid.h"

struct json_fields {
	const char *name;               /* "calls.create" */
	const struct valid_field *fields;
	size_t n;
};

extern const struct json_fields json_fields_auth_login[];
extern const struct json_fields json_fields_calls[];
extern const struct json_fields json_fields_cold_call[];
extern const struct json_fields json_fields_dnc[];
extern const struct json_fields json_fields_queue[];
extern const struct json_fields json_fields_users[];

#endif
