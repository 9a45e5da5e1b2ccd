/*
 * migrations: sql/NNN_*.sql compiled into the programs by
 * tools/embed-sql.sh, so a binary never depends on where sql/ lives.
 */
#ifndef DL_MIGRATIONS_H
#define DL_MIGRATIONS_H

#include <stddef.h>

struct migration {
	int version;      /* NNN of the file name */
	const char *name; /* file name without .sql */
	const char *set_version; /* "PRAGMA user_version = NNN": a PRAGMA binds no parameter */
	const char *sql;  /* the whole file */
};

/* In ascending version order, without gaps (the build checks). */
extern const struct migration db_migrations[];
extern const size_t db_nmigrations;

#endif
