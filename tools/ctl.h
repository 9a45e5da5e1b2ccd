/*
 * ctl: what dialerctl's command files (tools/dialerctl.c, tools/ctl_*.c)
 * share. A command's function gets argv[0] = its own name and returns the
 * process exit status, or -1 for a usage error (dialerctl then prints the
 * command's help to stderr and exits 2).
 */
#ifndef DL_CTL_H
#define DL_CTL_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct ctl_command {
	const char *name;     /* as typed: "init-db" */
	const char *synopsis; /* "import FILE [--list NAME]": the overview's first line */
	const char *summary;  /* the overview's description ('\n' between lines) */
	const char *help;     /* whole --help text */
	int (*run)(int argc, char **argv);
};

/* Load the settings and open (and migrate) DIALER_DB; prints why not and
 * returns 0 when it cannot. dialerctl's main closes it. */
int ctl_open_db(void);

/* tools/ctl_out.c: where an export's CSV goes — stdout, or `path`
 * through path.tmp-PID, created on the first bytes (so an export refused
 * at once leaves no file) and renamed into place when whole. */
struct ctl_out {
	const char *path; /* NULL: stdout */
	char tmp[4096];   /* path + ".tmp-PID", written until the export is whole */
	FILE *f;
	int sys_errno;    /* the first failed open/write's errno, else 0 */
};

/* `path` NULL or "-": stdout. */
void ctl_out_init(struct ctl_out *o, const char *path);
/* 1 when the named output may be written (not the live database); else
 * says why. */
int ctl_out_allowed(const struct ctl_out *o);
/* A csvwrite sink; ctx is the struct ctl_out. */
enum dl_err ctl_out_sink(void *ctx, const void *data, size_t len);
/* Flush, sync and put in place; 1 (after saying why) when anything failed,
 * and then the temporary file is removed. `err` is the export's result;
 * DL_ERR_NOTFOUND has been explained by the caller. */
int ctl_out_close(struct ctl_out *o, enum dl_err err);

/* tools/ctl_backup.c: backup FILE. */
int ctl_backup(int argc, char **argv);

/* seed-demo (tools/ctl_demo.c): a made-up month of calls in an empty database. */
int ctl_seed_demo(int argc, char **argv);

/* tools/ctl_export.c: the CSV exports of /api/v1/calls.csv and contacts.csv. */
int ctl_export_calls(int argc, char **argv);
int ctl_export_contacts(int argc, char **argv);

/* tools/ctl_dnc.c: the do-not-call list's CSV import and export. */
int ctl_dnc_import(int argc, char **argv);
int ctl_dnc_export(int argc, char **argv);

#endif
