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

int
ctl_dnc_import(int argc, char **argv)
{
	const char *file = NULL, *reason = NULL, *code, *msg;
	struct dnc_import *imp;
	struct dnc_report rep;
	char buf[65536];
	cJSON *json;
	char *text;
	size_t got;
	FILE *in;
	enum dl_err err;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			reason = argv[++i];
		else if (file == NULL && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
			file = argv[i];
		else
			return -1;
	}
	if (file == NULL)
		return -1;
	if (!dnc_reason_ok(reason)) {
		fprintf(stderr, "dialerctl: --reason takes UTF-8 text of at most %d characters\n",
		    DNC_REASON_MAX);
		return 2;
	}
	if (!ctl_open_db())
		return 1;
	if ((in = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb")) == NULL) {
		fprintf(stderr, "dialerctl: %s: %s\n", file, strerror(errno));
		return 1;
	}
	if ((err = dnc_import_begin(config_get("DIALER_DEFAULT_REGION"), 0, reason, &imp)) != DL_OK) {
		fprintf(stderr, "dialerctl: %s\n", err == DL_ERR_INVALID ?
		    "DIALER_DEFAULT_REGION is not a region libphonenumber knows" : dl_strerror(err));
		if (in != stdin)
			fclose(in);
		return 1;
	}
	while (err == DL_OK && (got = fread(buf, 1, sizeof(buf), in)) > 0)
		err = dnc_import_feed(imp, buf, got);
	if (err == DL_OK && ferror(in))
		err = DL_ERR_IO;
	if (in != stdin)
		fclose(in);
	if (err == DL_OK)
		err = dnc_import_finish(imp, &rep);
	if (err != DL_OK) {
		code = dnc_import_file_error(imp, &msg);
		fprintf(stderr, "dialerctl: %s: %s; nothing was stored\n", file,
		    code != NULL ? msg : err == DL_ERR_IO ? strerror(errno) : dl_strerror(err));
		dnc_import_abort(imp);
		return 1;
	}
	dnc_import_abort(imp);
	if ((json = dnc_report_json(&rep)) == NULL || (text = cJSON_Print(json)) == NULL) {
		fprintf(stderr, "dialerctl: out of memory (the rows were stored)\n");
		cJSON_Delete(json);
		dnc_report_free(&rep);
		return 1;
	}
	printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(json);
	dnc_report_free(&rep);
	return 0;
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
