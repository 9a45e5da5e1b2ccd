/*
 * ctl_backup: `dialerctl backup FILE`, a consistent copy of the live
 * database taken while the app keeps serving (db_backup in lib/db.c does
 * the copying and checking; this file says what went wrong in words).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "db.h"
#include "ctl.h"

int
ctl_backup(int argc, char **argv)
{
	struct db_backup_info info;
	struct stat st;
	const char *file;
	enum dl_err err;

	if (argc != 2 || argv[1][0] == '\0' ||
	    (argv[1][0] == '-' && argv[1][1] != '\0'))
		return -1;
	file = argv[1];
	/* Before opening anything: a copy of a large database that cannot be
	 * put in place is a waste of the server's time. */
	if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "dialerctl: %s is a directory; name the backup file\n", file);
		return 1;
	}
	/* Not ctl_open_db: a mistyped DIALER_DB must not become a new, empty
	 * database that then replaces a good backup, and the copy is of the
	 * file as it is, not as this program would migrate it. */
	if (config_load() != DL_OK)
		return 1;
	err = db_open_existing(config_get("DIALER_DB"));
	if (err != DL_OK) {
		fprintf(stderr, "dialerctl: cannot open the database %s%s\n", config_get("DIALER_DB"),
		    err == DL_ERR_NOTFOUND ? " (no such database; check DIALER_DB)" : "");
		return 1;
	}
	err = db_backup(file, &info);
	if (err == DL_ERR_INVALID) {
		fprintf(stderr, "dialerctl: %s is the live database (DIALER_DB %s); "
		    "back up to another file\n", file, config_get("DIALER_DB"));
		return 1;
	}
	if (err != DL_OK) {
		fprintf(stderr, "dialerctl: backup to %s failed (%s)\n", file,
		    dl_strerror(err));
		return 1;
	}
	printf("backup %s: %lld pages, %lld bytes, schema version %d\n", file,
	    info.pages, info.bytes, info.schema_version);
	return 0;
}
