/*
 * dialerctl export-calls / export-contacts: the CSV exports of
 * GET /api/v1/calls.csv and /api/v1/contacts.csv through the same
 * lib/export.c, byte for byte, to stdout or a file.
 *
 * A file named with --output is written as FILE.tmp-PID, created mode
 * 0600 (it holds names and phone numbers) and never through a link, and
 * renamed over FILE only when the export is whole: FILE is either left as
 * it was or replaced by the complete export, even when the command is
 * killed. The live database and its -wal/-shm are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "day.h"
#include "export.h"
#include "ctl.h"

/* Where the CSV goes: stdout, or `path`, opened on the first bytes so
 * that an export refused at once (no such list) leaves no file behind. */
struct out {
	const char *path; /* NULL: stdout */
	char tmp[4096];   /* path + ".tmp-PID", written until the export is whole */
	FILE *f;
	int sys_errno;    /* the first failed open/write's errno, else 0 */
};

static enum dl_err
file_sink(void *ctx, const void *data, size_t len)
{
	struct out *o = ctx;
	int fd;

	if (o->f == NULL) {
		if ((size_t)snprintf(o->tmp, sizeof(o->tmp), "%s.tmp-%ld", o->path,
		    (long)getpid()) >= sizeof(o->tmp)) {
			o->sys_errno = ENAMETOOLONG;
			return DL_ERR_IO;
		}
		if ((fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
			o->sys_errno = errno;
			return DL_ERR_IO;
		}
		if ((o->f = fdopen(fd, "wb")) == NULL) {
			o->sys_errno = errno;
			close(fd);
			return DL_ERR_IO;
		}
	}
	if (csvwrite_file_sink(o->f, data, len) != DL_OK) {
		o->sys_errno = errno;
		return DL_ERR_IO;
	}
	return DL_OK;
}

static void
out_init(struct out *o, const char *path)
{
	o->path = path != NULL && strcmp(path, "-") != 0 ? path : NULL;
	o->f = o->path == NULL ? stdout : NULL;
	o->tmp[0] = '\0';
	o->sys_errno = 0;
}

/* 1 when the named output may be written; else says why. */
static int
out_allowed(const struct out *o)
{
	int live;

	if (o->path == NULL)
		return 1;
	if ((live = db_is_live_file(o->path)) != 0) {
		fprintf(stderr, "dialerctl: %s\n", live < 0 ? "out of memory" :
		    "--output names the live database; write the export to another file");
		return 0;
	}
	return 1;
}

/* Flush and close; 1 (after saying why) when anything failed, and then a
 * named file is removed. `err` is the export's result; DL_ERR_NOTFOUND
 * has been explained by the caller. */
static int
out_close(struct out *o, enum dl_err err)
{
	int failed = err != DL_OK;

	if (o->f != NULL && (fflush(o->f) != 0 || ferror(o->f)) && !failed) {
		o->sys_errno = errno;
		failed = 1;
	}
	if (o->f != NULL && o->f != stdout && !failed && fsync(fileno(o->f)) != 0) {
		o->sys_errno = errno;
		failed = 1;
	}
	if (o->f != NULL && o->f != stdout && fclose(o->f) != 0 && !failed) {
		o->sys_errno = errno;
		failed = 1;
	}
	if (!failed && o->tmp[0] != '\0' && rename(o->tmp, o->path) != 0) {
		o->sys_errno = errno;
		failed = 1;
	}
	if (o->sys_errno != 0)
		fprintf(stderr, "dialerctl: %s: %s\n", o->path != NULL ? o->path : "stdout",
		    strerror(o->sys_errno));
	else if (failed && err != DL_ERR_NOTFOUND)
		fprintf(stderr, "dialerctl: the export failed (%s)\n", dl_strerror(err));
	if (failed && o->tmp[0] != '\0')
		unlink(o->tmp);
	return failed;
}

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
	struct out o;
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
	out_init(&o, output);
	if (!out_allowed(&o))
		return 1;
	csvwrite_init(&w, file_sink, &o);
	return out_close(&o, export_calls(&f, &w));
}

int
ctl_export_contacts(int argc, char **argv)
{
	const char *output = NULL;
	long long list_id = 0;
	struct csvwrite w;
	struct out o;
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
	out_init(&o, output);
	if (!out_allowed(&o))
		return 1;
	csvwrite_init(&w, file_sink, &o);
	if ((err = export_contacts(list_id, &w)) == DL_ERR_NOTFOUND)
		fprintf(stderr, "dialerctl: no such list (or it is archived)\n");
	return out_close(&o, err);
}
