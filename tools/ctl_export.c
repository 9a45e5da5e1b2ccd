/*
 * dialerctl export-calls / export-contacts: the CSV exports of
 * GET /api/v1/calls.csv and /api/v1/contacts.csv through the same
 * lib/export.c, byte for byte, to stdout or a file (--output: see
 * tools/ctl_out.c for how the file is written whole or not at all).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "day.h"
#include "export.h"
#include "ctl.h"

static int
day_arg(const char *opt, const char *value, const char **out)
{
	if (!day_valid(value)) {
		fprintf(stderr, "dialerctl: %s takes a UTC day written YYYY-MM-DD\n", opt);
		return 0;
	}
	*out = value;
	return 1;
}

int
ctl_export_calls(int argc, char **argv)
{
	struct export_calls_filter f = { NULL, NULL, 0 };
	const char *output = NULL, *operator = NULL;
	struct auth_user u;
	struct csvwrite w;
	struct ctl_out o;
	enum dl_err err;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) {
			if (!day_arg("--from", argv[++i], &f.from))
				return 2;
		} else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc) {
			if (!day_arg("--to", argv[++i], &f.to))
				return 2;
		} else if (strcmp(argv[i], "--operator") == 0 && i + 1 < argc)
			operator = argv[++i];
		else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
			output = argv[++i];
		else
			return -1;
	}
	if (f.from != NULL && f.to != NULL && strcmp(f.to, f.from) < 0) {
		fprintf(stderr, "dialerctl: --to %s is before --from %s\n", f.to, f.from);
		return 2;
	}
	if (!ctl_open_db())
		return 1;
	if (operator != NULL) {
		if ((err = auth_user_by_name(operator, &u)) != DL_OK) {
			fprintf(stderr, "dialerctl: %s\n", err == DL_ERR_NOTFOUND ?
			    "no such operator" : dl_strerror(err));
			return 1;
		}
		f.operator_id = u.id;
	}
	ctl_out_init(&o, output);
	if (!ctl_out_allowed(&o))
		return 1;
	csvwrite_init(&w, ctl_out_sink, &o);
	return ctl_out_close(&o, export_calls(&f, &w));
}

int
ctl_export_contacts(int argc, char **argv)
{
	const char *output = NULL;
	long long list_id = 0;
	struct csvwrite w;
	struct ctl_out o;
	enum dl_err err;
	char *end;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list-id") == 0 && i + 1 < argc) {
			errno = 0;
			list_id = strtoll(argv[++i], &end, 10);
			if (errno != 0 || end == argv[i] || *end != '\0' || list_id <= 0) {
				fprintf(stderr, "dialerctl: --list-id takes a list id\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
			output = argv[++i];
		else
			return -1;
	}
	if (list_id == 0)
		return -1;
	if (!ctl_open_db())
		return 1;
	ctl_out_init(&o, output);
	if (!ctl_out_allowed(&o))
		return 1;
	csvwrite_init(&w, ctl_out_sink, &o);
	if ((err = export_contacts(list_id, &w)) == DL_ERR_NOTFOUND)
		fprintf(stderr, "dialerctl: no such list (or it is archived)\n");
	return ctl_out_close(&o, err);
}
