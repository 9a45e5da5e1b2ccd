/*
 * health: is this server fit to take traffic? What a load balancer's
 * probe (GET /api/v1/health) asks: the configuration reads, the database
 * opens and answers (SELECT 1 and a read of a real table), its schema is
 * the one this program was built for, and the default provider has its
 * settings (the factory's own check, as POST /api/v1/calls makes it).
 * Nothing here calls a provider over the network, so a probe stays fast.
 *
 * The report is the caller's, filled in place; it holds no pointers.
 */
#ifndef DL_HEALTH_H
#define DL_HEALTH_H

#include "err.h"

enum health_state {
	HEALTH_OK,
	HEALTH_FAIL,
	HEALTH_SKIPPED  /* not checked: something it needs failed first */
};

enum health_check_id {
	HEALTH_CONFIG,
	HEALTH_DATABASE,
	HEALTH_MIGRATIONS,
	HEALTH_PROVIDER,
	HEALTH__COUNT
};

struct health_report {
	enum health_state state[HEALTH__COUNT];
	/* Why a check failed, a short stable word ("cannot_open",
	 * "database_newer", "missing_settings", ...); "" when it passed. */
	const char *reason[HEALTH__COUNT];
	int schema_version;      /* of the database, -1 when unknown */
	int latest_version;      /* the newest migration this program knows */
	char provider[32];       /* the configured default provider's name */
	int simulated;           /* it is the simulator */
	char missing[256];       /* missing provider settings, for the log */
};

/* "config", "database", "migrations", "provider". */
const char *health_check_name(enum health_check_id id);

/* Run every check into *r. DL_OK when all pass; otherwise
 * DL_ERR_CONFIG for configuration or provider settings, DL_ERR_DB for the
 * database or its schema (the first failing check decides). */
enum dl_err health_check(struct health_report *r);

#endif
