/* rowbatch: the batched import of a CSV with a phone column (see rowbatch.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "phonebatch.h"
#include "rowbatch.h"

#define BATCH_ROWS 512

enum slot_kind { SLOT_ROW, SLOT_ERROR };

/* A row, or a row's error found before phone parsing. Strings live in
 * the arena, referred to by offset (the arena may move). */
struct slot {
	long row;
	enum slot_kind kind;
	size_t off[CSVREAD_MAX_COLS], len[CSVREAD_MAX_COLS]; /* SLOT_ROW: the cells */
	size_t column, code, message; /* SLOT_ERROR; column SIZE_MAX: none */
	size_t item;                  /* SLOT_ROW: index in items */
};

struct rowbatch {
	const struct rowbatch_spec *spec;
	void *ud;
	struct csvread *reader;
	char region[4];
	int in_tx;
	long error_count, listed;
	cJSON *errors;

	struct slot slots[BATCH_ROWS];
	size_t nslots;
	struct phonebatch_item items[BATCH_ROWS];
	size_t nitems;
	char *arena;
	size_t alen, acap;
	enum dl_err failed; /* sticky: the first error stops the import */
};

static enum dl_err
arena_add(struct rowbatch *rb, const char *s, size_t len, size_t *off)
{
	if (len + 1 > rb->acap - rb->alen) {
		size_t cap = rb->acap ? rb->acap : 65536;
		char *grown;

		while (cap - rb->alen < len + 1)
			cap *= 2;
		if ((grown = realloc(rb->arena, cap)) == NULL)
			return DL_ERR_NOMEM;
		rb->arena = grown;
		rb->acap = cap;
	}
	memcpy(rb->arena + rb->alen, s, len);
	rb->arena[rb->alen + len] = '\0';
	*off = rb->alen;
	rb->alen += len + 1;
	return DL_OK;
}

static enum dl_err
report_error(struct rowbatch *rb, long row, const char *column, const char *code,
    const char *message)
{
	cJSON *e;

	rb->error_count++;
	if (rb->listed >= rb->spec->max_listed || rb->errors == NULL)
		return DL_OK;
	if ((e = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(e, "row", (double)row) == NULL ||
	    (column != NULL ? cJSON_AddStringToObject(e, "column", column) :
	    cJSON_AddNullToObject(e, "column")) == NULL ||
	    cJSON_AddStringToObject(e, "code", code) == NULL ||
	    cJSON_AddStringToObject(e, "message", message) == NULL ||
	    !cJSON_AddItemToArray(rb->errors, e)) {
		cJSON_Delete(e);
		return DL_ERR_NOMEM;
	}
	rb->listed++;
	return DL_OK;
}

/* No refusal yet: a callback sets code, and column and message with it. */
static void
reject_init(struct rowbatch_reject *why)
{
	why->column = NULL;
	why->code = NULL;
	why->message[0] = '\0';
}

static enum dl_err
store_slot(struct rowbatch *rb, const struct slot *sl)
{
	const char *a = rb->arena;
	const struct phonebatch_item *it;
	struct rowbatch_reject why;
	struct rowbatch_row r;
	enum dl_err err;
	size_t c;

	if (sl->kind == SLOT_ERROR)
		return report_error(rb, sl->row, sl->column == SIZE_MAX ? NULL : a + sl->column,
		    a + sl->code, a + sl->message);
	it = &rb->items[sl->item];
	if (it->why == PHONE_INTERNAL)
		return DL_ERR_NOMEM;
	if (it->why != PHONE_OK)
		return report_error(rb, sl->row, rb->spec->cols[rb->spec->phone_col].name,
		    phone_reason_code(it->why), phone_reason_message(it->why));
	r.row = sl->row;
	for (c = 0; c < rb->spec->ncols; c++) {
		r.field[c] = a + sl->off[c];
		r.len[c] = sl->len[c];
	}
	for (; c < CSVREAD_MAX_COLS; c++) {
		r.field[c] = "";
		r.len[c] = 0;
	}
	r.phone = &it->info;
	reject_init(&why);
	if ((err = rb->spec->store(rb->ud, &r, &why)) != DL_OK || why.code == NULL)
		return err;
	return report_error(rb, sl->row, why.column, why.code, why.message);
}

/* Parse the batch's phones, then hand its rows over in order. */
static enum dl_err
flush(struct rowbatch *rb)
{
	enum dl_err err = DL_OK;
	size_t i;

	if (rb->failed != DL_OK)
		return rb->failed;
	/* Items point into the arena, which stays put until the reset below. */
	for (i = 0; i < rb->nslots; i++) {
		const struct slot *sl = &rb->slots[i];

		if (sl->kind == SLOT_ROW)
			rb->items[sl->item].text = rb->arena + sl->off[rb->spec->phone_col];
	}
	if (rb->nitems > 0)
		err = phonebatch_parse(rb->items, rb->nitems, rb->region);
	for (i = 0; err == DL_OK && i < rb->nslots; i++)
		err = store_slot(rb, &rb->slots[i]);
	rb->nslots = rb->nitems = rb->alen = 0;
	return rb->failed = err;
}

/* The next free slot, after storing a full batch. */
static enum dl_err
next_slot(struct rowbatch *rb, long row, enum slot_kind kind, struct slot **out)
{
	if (rb->failed != DL_OK)
		return rb->failed;
	if (rb->nslots == BATCH_ROWS && flush(rb) != DL_OK)
		return rb->failed;
	*out = &rb->slots[rb->nslots];
	(*out)->row = row;
	(*out)->kind = kind;
	return DL_OK;
}

static enum dl_err
on_row_error(void *ud, long row, const char *column, const char *code, const char *message)
{
	struct rowbatch *rb = ud;
	struct slot *sl = NULL;
	enum dl_err err;

	if ((err = next_slot(rb, row, SLOT_ERROR, &sl)) != DL_OK)
		return err;
	sl->column = SIZE_MAX;
	if ((column != NULL && (err = arena_add(rb, column, strlen(column), &sl->column)) != DL_OK) ||
	    (err = arena_add(rb, code, strlen(code), &sl->code)) != DL_OK ||
	    (err = arena_add(rb, message, strlen(message), &sl->message)) != DL_OK)
		return rb->failed = err;
	rb->nslots++;
	return DL_OK;
}

static enum dl_err
on_record(void *ud, const struct csvread_record *rec)
{
	struct rowbatch *rb = ud;
	struct rowbatch_reject why;
	struct slot *sl = NULL;
	enum dl_err err;
	size_t c;

	reject_init(&why);
	rb->spec->check(rb->ud, rec, &why);
	if (why.code != NULL)
		return on_row_error(rb, rec->row, why.column, why.code, why.message);
	if ((err = next_slot(rb, rec->row, SLOT_ROW, &sl)) != DL_OK)
		return err;
	for (c = 0; c < rb->spec->ncols; c++) {
		sl->len[c] = rec->len[c];
		if ((err = arena_add(rb, rec->field[c], rec->len[c], &sl->off[c])) != DL_OK)
			return rb->failed = err;
	}
	sl->item = rb->nitems;
	rb->items[rb->nitems].len = rec->len[rb->spec->phone_col];
	rb->nitems++;
	rb->nslots++;
	return DL_OK;
}

static const struct csvread_callbacks callbacks = { on_record, on_row_error };

int
rowbatch_too_long(const char *column, const char *text, size_t len, long max,
    struct rowbatch_reject *why)
{
	size_t i;
	long n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80 && ++n > max)
			break;
	if (n <= max)
		return 0;
	why->column = column;
	why->code = "too_long";
	snprintf(why->message, sizeof(why->message), "The %s is longer than %ld characters.",
	    column, max);
	return 1;
}

enum dl_err
rowbatch_new(const struct rowbatch_spec *spec, const char *region, void *ud,
    struct rowbatch **out)
{
	struct rowbatch *rb;
	enum dl_err err;

	*out = NULL;
	if (region == NULL || strlen(region) > 3 || !phone_region_supported(region))
		return DL_ERR_INVALID;
	if ((rb = calloc(1, sizeof(*rb))) == NULL)
		return DL_ERR_NOMEM;
	rb->spec = spec;
	rb->ud = ud;
	snprintf(rb->region, sizeof(rb->region), "%s", region);
	if ((rb->errors = cJSON_CreateArray()) == NULL ||
	    (rb->reader = csvread_new(spec->cols, spec->ncols, &callbacks, rb)) == NULL) {
		rowbatch_free(rb);
		return DL_ERR_NOMEM;
	}
	if ((err = db_begin()) != DL_OK) {
		rowbatch_free(rb);
		return err;
	}
	rb->in_tx = 1;
	*out = rb;
	return DL_OK;
}

enum dl_err
rowbatch_feed(struct rowbatch *rb, const void *data, size_t len)
{
	return csvread_feed(rb->reader, data, len);
}

enum dl_err
rowbatch_finish(struct rowbatch *rb)
{
	enum dl_err err = csvread_finish(rb->reader);

	return err != DL_OK ? err : flush(rb);
}

enum dl_err
rowbatch_commit(struct rowbatch *rb)
{
	enum dl_err err = db_commit();

	if (err == DL_OK)
		rb->in_tx = 0;
	return err;
}

const char *
rowbatch_file_error(const struct rowbatch *rb, const char **message)
{
	const char *code = rb != NULL ? csvread_file_error_code(rb->reader) : NULL;

	if (message != NULL)
		*message = code != NULL ? csvread_file_error_message(rb->reader) : NULL;
	return code;
}

long
rowbatch_error_count(const struct rowbatch *rb)
{
	return rb->error_count;
}

cJSON *
rowbatch_take_errors(struct rowbatch *rb)
{
	cJSON *errors = rb->errors;

	rb->errors = NULL;
	return errors;
}

int
rowbatch_errors_json(cJSON *report, cJSON **errors, long error_count)
{
	if ((*errors == NULL && (*errors = cJSON_CreateArray()) == NULL) ||
	    !cJSON_AddItemToObject(report, "errors", *errors))
		return 0;
	*errors = NULL;
	return cJSON_AddNumberToObject(report, "error_count", (double)error_count) != NULL;
}

void
rowbatch_free(struct rowbatch *rb)
{
	if (rb == NULL)
		return;
	if (rb->in_tx)
		db_rollback();
	csvread_free(rb->reader);
	cJSON_Delete(rb->errors);
	free(rb->arena);
	free(rb);
}
