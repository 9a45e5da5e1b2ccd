/*
 * dialerctl dnc-import / dnc-export: the do-not-call list's CSV import
 * and export through lib/dnc.c, the code of POST /api/v1/dnc/import and
 * GET /api/v1/dnc.csv: the same report, the same bytes.
 *
 * An export named with --output is written as FILE.tmp-PID, created mode
 * 0600 and never through a link, and renamed over FILE only when whole:
 * FILE is either left as it was or replaced by the complete list. The
 * live database and its -wal/-shm are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "dnc.h"
#include "ctl.h"
#include "upload.h"

static enum dl_err
feed(void *imp, const char *data, size_t len)
{
	return dnc_import_feed(imp, data, len);
}

int
ctl_dnc_import(int argc, char **argv)
{
	static const char *const options[] = { "reason", NULL };
	const char *file, *reason = NULL, *msg;
	struct dnc_import *imp;
	struct dnc_report rep;
	cJSON *json;
	enum dl_err err;

	if ((file = upload_args(argc, argv, options, &reason)) == NULL)
		return -1;
	if (!dnc_reason_ok(reason)) {
		fprintf(stderr, "dialerctl: --reason takes UTF-8 text of at most %d characters\n",
		    DNC_REASON_MAX);
		return 2;
	}
	if (!ctl_open_db())
		return 1;
	if ((err = dnc_import_begin(config_get("DIALER_DEFAULT_REGION"), 0, reason, &imp)) != DL_OK) {
		fprintf(stderr, "dialerctl: %s\n", err == DL_ERR_INVALID ?
		    "DIALER_DEFAULT_REGION is not a region libphonenumber knows" : dl_strerror(err));
		return 1;
	}
	if ((err = upload_file(file, feed, imp)) == DL_OK &&
	    (err = dnc_import_finish(imp, &rep)) == DL_OK) {
		dnc_import_abort(imp);
		json = dnc_report_json(&rep);
		dnc_report_free(&rep);
		return upload_print_report(json, 1);
	}
	dnc_import_file_error(imp, &msg);
	upload_file_failed(file, err, msg);
	dnc_import_abort(imp);
	return 1;
}

int
ctl_dnc_export(int argc, char **argv)
{
	const char *path = NULL;
	struct ctl_out o;
	struct csvwrite w;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
			path = argv[++i];
		else
			return -1;
	}
	ctl_out_init(&o, path);
	if (!ctl_open_db() || !ctl_out_allowed(&o))
		return 1;
	csvwrite_init(&w, ctl_out_sink, &o);
	return ctl_out_close(&o, dnc_export(&w));
}
