/*
 * dialerctl: the administrator's command line — create the database, add
 * users, set passwords, import a CSV through the same code as the HTTP
 * endpoint. Settings come from $DIALER_CONFIG and the environment, like
 * the FastCGI programs'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "contacts.h"
#include "db.h"
#include "secure.h"
#include "upload.h"
#include "ctl.h"

static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

int
ctl_open_db(void)
{
	const char *path;

	if (config_load() != DL_OK)
		return 0;
	path = config_get("DIALER_DB");
	if (db_open(path) != DL_OK) {
		fprintf(stderr, "dialerctl: cannot open the database %s\n", path);
		return 0;
	}
	return 1;
}

static int
read_line(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	size_t n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
	}
	if (fgets(buf, (int)size, stdin) == NULL)
		buf[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 1;
}

static int
get_password(char *pw, size_t size)
{
	char again[AUTH_PASSWORD_MAX + 2];
	const char *why;

	read_line("Password: ", pw, size);
	if ((why = auth_password_problem(pw)) != NULL) {
		fprintf(stderr, "dialerctl: %s\n", why);
		return 0;
	}
	if (isatty(STDIN_FILENO)) {
		read_line("Again: ", again, sizeof(again));
		if (strcmp(pw, again) != 0) {
			fprintf(stderr, "dialerctl: the passwords differ\n");
			return 0;
		}
	}
	return 1;
}

static int
cmd_add_user(int argc, char **argv)
{
	char pw[AUTH_PASSWORD_MAX + 2];
	enum auth_role role = AUTH_OPERATOR;
	const char *name = NULL;
	enum dl_err err;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--admin") == 0)
			role = AUTH_ADMIN;
		else if (name == NULL && argv[i][0] != '-')
			name = argv[i];
		else
			return -1;
	}
	if (name == NULL)
		return -1;
	if (!auth_username_valid(name)) {
		fprintf(stderr, "dialerctl: a username is 1 to 64 letters, digits or . _ @ -\n");
		return 1;
	}
	if (!ctl_open_db() || !get_password(pw, sizeof(pw)))
		return 1;
	err = auth_user_create(name, pw, role, NULL);
	if (err == DL_ERR_CONFLICT) {
		fprintf(stderr, "dialerctl: user %s exists\n", name);
		return 1;
	}
	if (err != DL_OK) {
		fprintf(stderr, "dialerctl: cannot add the user (%s)\n", dl_strerror(err));
		return 1;
	}
	printf("added %s %s\n", auth_role_name(role), name);
	return 0;
}

static int
cmd_passwd(int argc, char **argv)
{
	char pw[AUTH_PASSWORD_MAX + 2];
	struct auth_user u;
	enum dl_err err;

	if (argc != 2)
		return -1;
	if (!ctl_open_db())
		return 1;
	if (auth_user_by_name(argv[1], &u) != DL_OK) {
		fprintf(stderr, "dialerctl: no user %s\n", argv[1]);
		return 1;
	}
	if (!get_password(pw, sizeof(pw)))
		return 1;
	if ((err = auth_user_update(u.id, NULL, NULL, pw)) != DL_OK) {
		fprintf(stderr, "dialerctl: cannot set the password (%s)\n", dl_strerror(err));
		return 1;
	}
	printf("password set for %s\n", u.username);
	return 0;
}

static int
cmd_ensure_admin(int argc, char **argv)
{
	const char *given;
	char generated[32];
	unsigned char raw[15];
	struct auth_user u;
	enum auth_role admin = AUTH_ADMIN;
	int no = 0;
	enum dl_err err;

	(void)argv;
	if (argc != 1)
		return -1;
	if (!ctl_open_db())
		return 1;
	given = config_get("DIALER_ADMIN_PASSWORD");
	if (given != NULL && auth_password_problem(given) != NULL) {
		fprintf(stderr, "dialerctl: DIALER_ADMIN_PASSWORD: %s\n", auth_password_problem(given));
		return 1;
	}
	if (auth_user_by_name("admin", &u) == DL_OK) {
		if (given == NULL)
			return 0;
		err = auth_user_update(u.id, &admin, &no, given);
		if (err != DL_OK) {
			fprintf(stderr, "dialerctl: cannot update admin (%s)\n", dl_strerror(err));
			return 1;
		}
		return 0;
	}
	if (given == NULL) {
		if (secure_random(raw, sizeof(raw)) != DL_OK ||
		    secure_b64url(raw, sizeof(raw), generated, sizeof(generated)) != DL_OK)
			return 1;
		given = generated;
	}
	if ((err = auth_user_create("admin", given, AUTH_ADMIN, NULL)) != DL_OK) {
		fprintf(stderr, "dialerctl: cannot create admin (%s)\n", dl_strerror(err));
		return 1;
	}
	if (given == generated)
		printf("Created user 'admin' with password: %s\n"
		    "(shown once; change it with: dialerctl passwd admin)\n", generated);
	else
		printf("Created user 'admin' (password from DIALER_ADMIN_PASSWORD)\n");
	return 0;
}

static enum dl_err
import_feed(void *imp, const char *data, size_t len)
{
	return contacts_import_feed(imp, data, len);
}

static int
cmd_import(int argc, char **argv)
{
	enum { LIST, LIST_ID, REGION };
	static const char *const options[] = { "list", "list-id", "region", NULL };
	const char *opt[3] = { NULL, NULL, NULL }, *file, *slash, *msg;
	long long list_id = 0;
	struct contacts_import *imp;
	struct contacts_report rep;
	enum dl_err err;
	cJSON *json;
	char *end;

	if ((file = upload_args(argc, argv, options, opt)) == NULL)
		return -1;
	if (opt[LIST_ID] != NULL &&
	    ((list_id = strtoll(opt[LIST_ID], &end, 10)) <= 0 || *end != '\0')) {
		fprintf(stderr, "dialerctl: --list-id takes a list id\n");
		return 2;
	}
	if (!ctl_open_db())
		return 1;
	if (opt[LIST] == NULL) {
		slash = strrchr(file, '/');
		opt[LIST] = strcmp(file, "-") == 0 ? "stdin" : slash != NULL ? slash + 1 : file;
	}
	if (opt[REGION] == NULL)
		opt[REGION] = config_get("DIALER_DEFAULT_REGION");
	if ((err = contacts_import_begin(opt[LIST], list_id, 0, opt[REGION], &imp)) != DL_OK) {
		fprintf(stderr, "dialerctl: %s\n", err == DL_ERR_NOTFOUND ? "no such list" :
		    err == DL_ERR_INVALID ? "unknown region" : dl_strerror(err));
		return 1;
	}
	if ((err = upload_file(file, import_feed, imp)) == DL_OK)
		err = contacts_import_finish(imp, &rep);
	if (err != DL_OK && err != DL_ERR_CONFLICT) {
		contacts_import_file_error(imp, &msg);
		upload_file_failed(file, err, msg);
		contacts_import_abort(imp);
		return 1;
	}
	contacts_import_abort(imp);
	json = contacts_report_json(&rep);
	contacts_report_free(&rep);
	if (upload_print_report(json, err == DL_OK) != 0)
		return 1;
	if (err == DL_ERR_CONFLICT) {
		fprintf(stderr, "dialerctl: none of the rows could be imported; nothing stored\n");
		return 1;
	}
	return 0;
}

static int
cmd_init_db(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return -1;
	if (!ctl_open_db())
		return 1;
	printf("database %s at schema version %d\n", config_get("DIALER_DB"),
	    db_schema_version());
	return 0;
}

/*
 * Every command: its name, its line in the overview, its --help text, and
 * the function that runs it with argv[0] = the command's name. A function
 * returns the exit status, or -1 for a usage error (its help goes to stderr,
 * exit 2). Commands kept in other files (tools/ctl_*.c) declare theirs in ctl.h.
 */
static const struct ctl_command commands[] = {
	{ "init-db", "init-db",
	  "create or upgrade the database at DIALER_DB",
	  "usage: dialerctl init-db\nCreate the database at DIALER_DB, or apply pending migrations.\n",
	  cmd_init_db },
	{ "add-user", "add-user NAME [--admin]",
	  "add an operator (or admin); password from stdin",
	  "usage: dialerctl add-user NAME [--admin]\nAdd a user (operator unless --admin). "
	  "The password (8-1024 characters) is read from the terminal or stdin.\n",
	  cmd_add_user },
	{ "passwd", "passwd NAME",
	  "set NAME's password (from stdin); ends their sessions",
	  "usage: dialerctl passwd NAME\nSet NAME's password (from the terminal or stdin) "
	  "and end all of NAME's sessions.\n",
	  cmd_passwd },
	{ "ensure-admin", "ensure-admin",
	  "make sure user 'admin' exists: password from DIALER_ADMIN_PASSWORD\n"
	  "(also reset to it if set), else generated and printed once",
	  "usage: dialerctl ensure-admin\nCreate user 'admin' if missing. Its password is "
	  "DIALER_ADMIN_PASSWORD when set (an existing admin's password is reset to it), else a "
	  "generated one printed once.\n",
	  cmd_ensure_admin },
	{ "import", "import FILE [--list NAME] [--list-id ID] [--region CC]",
	  "import a contact CSV ('-' for stdin); prints the same JSON report\n"
	  "as POST /api/v1/contacts/import",
	  "usage: dialerctl import FILE [--list NAME] [--list-id ID] [--region CC]\n"
	  "Import a contact CSV (FILE '-' reads stdin) into a new list (named NAME, default the file "
	  "name) or into list ID. CC is the region assumed for numbers without a country code "
	  "(default DIALER_DEFAULT_REGION). Prints the JSON report; exits 1 if the file is refused.\n",
	  cmd_import },
	/* Commands kept in tools/ctl_*.c. */
	{ "backup", "backup FILE",
	  "copy the live database to FILE while the app serves (restore:\n"
	  "stop, copy over DIALER_DB, delete its -wal and -shm, start)",
	  "usage: dialerctl backup FILE\nCopy DIALER_DB to FILE as one consistent snapshot, "
	  "safely while the app serves and writes: into FILE.tmp-PID, checked (integrity_check, "
	  "schema version), synced, then renamed over FILE. FILE is never half-written and never "
	  "the live database. DIALER_DB is copied as it is: never created, never migrated. Prints "
	  "the pages, bytes and schema version written.\n",
	  ctl_backup },
	{ "seed-demo", "seed-demo [--days N] [--seed S] [--end DAY] [--operators N] [--lists N]",
	  "fill an empty database with a made-up month of calls (for the reports)",
	  "usage: dialerctl seed-demo [--days N] [--seed S] [--end DAY] [--operators N] [--lists N]\n"
	  "Fill the database at DIALER_DB, which must hold no calls or contacts, with N working "
	  "days (default 20) of calls ending on DAY (YYYY-MM-DD, default yesterday, UTC) by N "
	  "operators (default 5, at most 8) from N lists (default 4, at most 6) of fictional "
	  "numbers, on the simulated provider. The same S (default 1) and DAY give the same rows. "
	  "Operators get random passwords that are never shown (dialerctl passwd sets one). "
	  "One transaction; exits 1 without storing anything if the database is not empty.\n",
	  ctl_seed_demo },
	{ "export-calls", "export-calls [--from DAY] [--to DAY] [--operator NAME] [--output FILE]",
	  "the call log as CSV, the bytes of GET /api/v1/calls.csv",
	  "usage: dialerctl export-calls [--from DAY] [--to DAY] [--operator NAME] [--output FILE]\n"
	  "Write the calls made from DAY to DAY (UTC, YYYY-MM-DD, both inclusive; default the "
	  "whole log), of one operator if given, as CSV: one row per call of the v_calls view, "
	  "oldest first, the same bytes as GET /api/v1/calls.csv. To stdout, or to FILE: written "
	  "as FILE.tmp-PID (mode 0600) and renamed over FILE only when whole; the live database "
	  "is refused.\n",
	  ctl_export_calls },
	{ "export-contacts", "export-contacts --list-id ID [--output FILE]",
	  "list ID's contacts as CSV, the bytes of GET /api/v1/contacts.csv",
	  "usage: dialerctl export-contacts --list-id ID [--output FILE]\n"
	  "Write list ID's contacts as CSV, the same bytes as GET /api/v1/contacts.csv?list_id=ID. "
	  "To stdout, or to FILE: written as FILE.tmp-PID (mode 0600) and renamed over FILE only "
	  "when whole; the live database is refused. Exits 1 "
	  "if there is no such list or it is archived.\n",
	  ctl_export_contacts },
	{ "dnc-import", "dnc-import FILE [--reason TEXT]",
	  "add a CSV's numbers to the do-not-call list; prints the same JSON\n"
	  "report as POST /api/v1/dnc/import",
	  "usage: dialerctl dnc-import FILE [--reason TEXT]\n"
	  "Add the numbers of a CSV (FILE '-' reads stdin) to the do-not-call list, through the "
	  "code of POST /api/v1/dnc/import: a phone column (required; national numbers are read "
	  "as DIALER_DEFAULT_REGION's) and a reason column (optional; TEXT, at most 200 "
	  "characters, stands in for an empty one). A number already listed keeps its first "
	  "entry and counts as already_listed; bad rows are reported by row number and skipped. "
	  "One transaction. Prints the JSON report; exits 1, storing nothing, if the file is "
	  "refused (empty, no phone column, no rows).\n",
	  ctl_dnc_import },
	{ "dnc-export", "dnc-export [--output FILE]",
	  "the do-not-call list as CSV, the bytes of GET /api/v1/dnc.csv",
	  "usage: dialerctl dnc-export [--output FILE]\n"
	  "Write the do-not-call list as CSV (phone,reason,source,added_by,added_at; oldest "
	  "first; added_by is the username), the same bytes as GET /api/v1/dnc.csv. To stdout, "
	  "or to FILE: written as FILE.tmp-PID (mode 0600) and renamed over FILE only when "
	  "whole; the live database is refused.\n",
	  ctl_dnc_export },
};

static void
print_usage(FILE *out)
{
	size_t i;
	const char *p, *nl;

	fputs("usage: dialerctl COMMAND [ARGS]\n\ncommands:\n", out);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		fprintf(out, "  %s\n", commands[i].synopsis);
		for (p = commands[i].summary; *p != '\0'; p = *nl ? nl + 1 : nl) {
			nl = strchr(p, '\n');
			if (nl == NULL)
				nl = p + strlen(p);
			fprintf(out, "      %.*s\n", (int)(nl - p), p);
		}
	}
	fputs("\nEvery command takes --help. The database is DIALER_DB (default var/dialer.db).\n"
	    "A password is read from the terminal (asked twice) or as one line of stdin.\n", out);
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const struct ctl_command *c = NULL;
	size_t i;
	int rc;

	if (cmd == NULL || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		print_usage(cmd == NULL ? stderr : stdout);
		return cmd == NULL ? 2 : 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			c = &commands[i];
	if (c == NULL) {
		fprintf(stderr, "dialerctl: unknown command %s\n\n", cmd);
		print_usage(stderr);
		return 2;
	}
	if (wants_help(argc - 1, argv + 1)) {
		fputs(c->help, stdout);
		return 0;
	}
	rc = c->run(argc - 1, argv + 1);
	if (rc < 0) {
		fputs(c->help, stderr);
		rc = 2;
	}
	db_close();
	config_reset();
	return rc;
}
