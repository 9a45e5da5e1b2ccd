/*
 * Where the import's time goes, without HTTP or SQLite: the same csvread
 * and phone_parse the importer uses, on a file read into memory first and
 * fed in 64 KiB pieces as the endpoint does.
 *
 *   split csv FILE     CSV only (records counted)
 *   split phone FILE   CSV + the importer's checks + phone_parse per record
 *
 * Prints one line: "mode=... records=N ok=N ms=T first_parse_ms=F".
 * Built by bench/import.sh against build/libdialer.a.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csvread.h"
#include "phone.h"

struct state {
	int phone;
	long records, ok, rowerr;
	double first_ms;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static enum dl_err
on_record(void *ud, const struct csvread_record *rec)
{
	struct state *s = ud;
	struct phone_info info;
	double t0;

	s->records++;
	if (!s->phone || rec->len[CSVREAD_NAME] == 0 || rec->len[CSVREAD_COMPANY] == 0)
		return DL_OK;
	t0 = s->first_ms < 0 ? now_ms() : 0;
	if (phone_parse(rec->field[CSVREAD_PHONE], rec->len[CSVREAD_PHONE], "US",
	    &info) == PHONE_OK)
		s->ok++;
	if (s->first_ms < 0)
		s->first_ms = now_ms() - t0;
	return DL_OK;
}

static enum dl_err
on_error(void *ud, long row, const char *column, const char *code, const char *message)
{
	struct state *s = ud;

	(void)row, (void)column, (void)code, (void)message;
	s->rowerr++;
	return DL_OK;
}

int
main(int argc, char **argv)
{
	static const struct csvread_callbacks cb = { on_record, on_error };
	struct state s = { 0, 0, 0, 0, -1 };
	struct csvread *r;
	FILE *f;
	char *buf;
	long size, off;
	double t0, t1;

	if (argc != 3 || (strcmp(argv[1], "csv") != 0 && strcmp(argv[1], "phone") != 0)) {
		fprintf(stderr, "usage: split csv|phone FILE\n");
		return 2;
	}
	s.phone = strcmp(argv[1], "phone") == 0;
	if ((f = fopen(argv[2], "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)size + 1)) == NULL ||
	    fread(buf, 1, (size_t)size, f) != (size_t)size) {
		perror(argv[2]);
		return 1;
	}
	fclose(f);
	t0 = now_ms();
	if ((r = csvread_new(csvread_contact_columns, CSVREAD_CONTACT_NCOLS,
	    &cb, &s)) == NULL)
		return 1;
	for (off = 0; off < size; off += 65536) {
		long n = size - off < 65536 ? size - off : 65536;

		if (csvread_feed(r, buf + off, (size_t)n) != DL_OK) {
			fprintf(stderr, "split: feed failed\n");
			return 1;
		}
	}
	if (csvread_finish(r) != DL_OK) {
		fprintf(stderr, "split: finish failed\n");
		return 1;
	}
	t1 = now_ms();
	csvread_free(r);
	printf("mode=%s records=%ld ok=%ld rowerr=%ld ms=%.1f first_parse_ms=%.2f\n",
	    argv[1], s.records, s.ok, s.rowerr, t1 - t0, s.first_ms < 0 ? 0 : s.first_ms);
	free(buf);
	return 0;
}
