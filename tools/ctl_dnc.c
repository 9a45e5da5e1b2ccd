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

/* Where the CSV goes: stdout, or `path` through path.tmp-PID. */
struct out {
	const char *path; /* NULL: stdout */
	char tmp[4096];
	FILE *f;
	int sys_errno;    /* the first failed open/write's errno, else 0 */
};

static enum dl_err
out_sink(void *ctx, const void *data, size_t len)
{
	struct out *o = ctx;

	if (csvwrite_file_sink(o->f, data, len) != DL_OK) {
		o->sys_errno = errno;
		return DL_ERR_IO;
	}
	return DL_OK;
}

static int
out_open(struct out *o)
{
	int fd, live;

	if (o->path == NULL) {
		o->f = stdout;
		return 1;
	}
	if ((live = db_is_live_file(o->path)) != 0) {
		fprintf(stderr, "dialerctl: %s\n", live < 0 ? "out of memory" :
		    "--output names the live database; write the export to another file");
		return 0;
	}
	if ((size_t)snprintf(o->tmp, sizeof(o->tmp), "%s.tmp-%ld", o->path,
	    (long)getpid()) >= sizeof(o->tmp)) {
		fprintf(stderr, "dialerctl: %s: %s\n", o->path, strerror(ENAMETOOLONG));
		return 0;
	}
	if ((fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 ||
	    (o->f = fdopen(fd, "wb")) == NULL) {
		fprintf(stderr, "dialerctl: %s: %s\n", o->tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		return 0;
	}
	return 1;
}

/* Flush, sync and put in place; 1 after saying why when anything failed,
 * and then the temporary file is gone. */
static int
out_close(struct out *o, enum dl_err err)
{
	int failed = err != DL_OK;

	if ((fflush(o->f) != 0 || ferror(o->f)) && !failed) {
		o->sys_errno = errno;
		failed = 1;
	}
	if (o->f != stdout) {
		if (!failed && fsync(fileno(o->f)) != 0) {
			o->sys_errno = errno;
			failed = 1;
		}
		if (fclose(o->f) != 0 && !failed) {
			o->sys_errno = errno;
			failed = 1;
		}
		if (!failed && rename(o->tmp, o->path) != 0) {
			o->sys_errno = errno;
			failed = 1;
		}
		if (failed)
			unlink(o->tmp);
	}
	if (o->sys_errno != 0)
		fprintf(stderr, "dialerctl: %s: %s\n", o->path != NULL ? o->path : "stdout",
		    strerror(o->sys_errno));
	else if (failed)
		fprintf(stderr, "dialerctl: the export failed (%s)\n", dl_strerror(err));
	return failed;
}

int
ctl_dnc_export(int argc, char **argv)
{
	struct out o = { NULL, "", NULL, 0 };
	struct csvwrite w;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
			o.path = argv[++i];
		else
			return -1;
	}
	if (o.path != NULL && strcmp(o.path, "-") == 0)
		o.path = NULL;
	if (!ctl_open_db() || !out_open(&o))
		return 1;
	csvwrite_init(&w, out_sink, &o);
	return out_close(&o, dnc_export(&w));
}
