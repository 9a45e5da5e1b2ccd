/*
 * One cgi-bin program's JSON field tables (see json_fields.h). The
 * Makefile names the program: JSON_FIELDS_SRC its source, JSON_FIELDS_MAIN
 * what its main becomes, JSON_FIELDS_<program> which list to define.
 */
#define main JSON_FIELDS_MAIN
#include JSON_FIELDS_SRC
#undef main

#include "json_fields.h"

int JSON_FIELDS_MAIN(void);

#define JSON_FIELDS_N(a) (sizeof(a) / sizeof((a)[0]))
#define JSON_FIELDS_ENTRY(name, table) { name, table, JSON_FIELDS_N(table) }

#if defined(JSON_FIELDS_auth_login)
const struct json_fields json_fields_auth_login[] = {
	JSON_FIELDS_ENTRY("auth_login", fields),
	{ NULL, NULL, 0 },
};
#elif defined(JSON_FIELDS_calls)
const struct json_fields json_fields_calls[] = {
	JSON_FIELDS_ENTRY("calls.create", create_fields),
	JSON_FIELDS_ENTRY("calls.mute", mute_fields),
	JSON_FIELDS_ENTRY("calls.hold", hold_fields),
	JSON_FIELDS_ENTRY("calls.log", log_fields),
	{ NULL, NULL, 0 },
};
#elif defined(JSON_FIELDS_cold_call)
const struct json_fields json_fields_cold_call[] = {
	JSON_FIELDS_ENTRY("cold_call.initiate", initiate_fields),
	JSON_FIELDS_ENTRY("cold_call.join", join_fields),
	JSON_FIELDS_ENTRY("cold_call.control", control_fields),
	{ "cold_call.end", &end_field, 1 },
	{ NULL, NULL, 0 },
};
#elif defined(JSON_FIELDS_dnc)
const struct json_fields json_fields_dnc[] = {
	JSON_FIELDS_ENTRY("dnc.add", add_fields),
	{ NULL, NULL, 0 },
};
#elif defined(JSON_FIELDS_queue)
const struct json_fields json_fields_queue[] = {
	JSON_FIELDS_ENTRY("queue.next", next_fields),
	{ NULL, NULL, 0 },
};
#elif defined(JSON_FIELDS_users)
const struct json_fields json_fields_users[] = {
	JSON_FIELDS_ENTRY("users.create", create_fields),
	JSON_FIELDS_ENTRY("users.update", update_fields),
	{ NULL, NULL, 0 },
};
#else
#error "json_fields.c: no program named"
#endif
