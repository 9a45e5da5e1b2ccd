/*
 * The CSV a dialerctl export writes (export-calls, export-contacts,
 * dnc-export): stdout, or a file named with --output, written as
 * FILE.tmp-PID (created mode 0600 on the first bytes, never through a
 * link) and renamed over FILE only when the export is whole, so FILE is
 * either left as it was or replaced by the complete export, even when the
 * command is killed. The live database and its -wal/-shm are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "csvwrite.h"
#include "ctl.h"
#include "db.h"

enum dl_err
ctl_out_sink(void *ctx, const void *data, size_t len)
{
	struct ctl_out *o = ctx;
	int fd;

	if (o->f == NULL) {
		if ((size_t)snprintf(o->tmp, sizeof(o->tmp), "%s.tmp-%ld", o->path,
		    (long)getpid()) >= sizeof(o->tmp)) {
			o->sys_errno = ENAMETOOLONG;
			return DL_ERR_IO;
		}
		if ((fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
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

void
ctl_out_init(struct ctl_out *o, const char *path)
{
	o->path = path != NULL && strcmp(path, "-") != 0 ? path : NULL;
	o->f = o->path == NULL ? stdout : NULL;
	o->tmp[0] = '\0';
	o->sys_errno = 0;
}

int
ctl_out_allowed(const struct ctl_out *o)
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

int
ctl_out_close(struct ctl_out *o, enum dl_err err)
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
