/*
 * ctl_demo: `dialerctl seed-demo` — fills an empty database with a made-up
 * month of cold calling, for trying the reports (sql/reports.sql) and the
 * dial page on something that looks like a team's real month.
 *
 * What it makes: operators (random passwords, never shown), contact lists
 * of fictional North American numbers (555-0101..0199, parsed by lib/phone
 * like an import), and a month of working days of calls on the simulated
 * provider, played out operator by operator in time order so that no
 * contact is ever in two calls at once. Calls are written as lib/calls.c
 * and lib/callflow.c leave them (final statuses only, answered_at only for
 * answered calls, talk time only for connects), and each contact ends as
 * calls_log leaves it after its last logged call.
 *
 * Everything is one transaction, and the same --seed and --end give the
 * same rows (password hashes aside). It refuses a database that already
 * holds calls or contacts, so demo rows never mix with real ones. It owns
 * all it allocates and frees it before returning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "phone.h"
#include "secure.h"
#include "ctl.h"

#define DAY_S 86400LL
#define HOUR_S 3600LL
#define MAX_DAYS 120
#define MAX_OPERATORS 8
#define MAX_LISTS 6
#define MAX_LIST_SIZE 800 /* MAX_LISTS of them take under half the numbers below */
#define MAX_ATTEMPTS 4    /* dials of a contact nobody reached, then left alone */
#define MAX_FOLLOWUPS 3   /* call-backs of one contact */
#define RETRY_AFTER (20 * HOUR_S)
#define DEFAULT_SEED 1ULL
#define CALLER_ID "+14155550100" /* the team's own (fictional) number */

/* --- a reproducible random stream (splitmix64) ----------------------- */

struct rng {
	unsigned long long s;
};

static unsigned long long
rng_next(struct rng *r)
{
	unsigned long long z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* [0, 1) */
static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

/* [lo, hi] */
static long long
rng_range(struct rng *r, long long lo, long long hi)
{
	return lo + (long long)(rng_next(r) % (unsigned long long)(hi - lo + 1));
}

/* [lo, hi], mostly near lo: the cube of a uniform puts half the values in
 * the lowest eighth, which is how talk times look (many short, few long). */
static long
rng_skewed(struct rng *r, long lo, long hi)
{
	double u = rng_unit(r);

	return lo + (long)((double)(hi - lo) * u * u * u);
}

static int
rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

#define PICK(r, a) ((a)[rng_next(r) % (sizeof(a) / sizeof((a)[0]))])

/* --- what the demo is made of ------------------------------------------ */

static const char *const operator_names[MAX_OPERATORS] = {
	"avery", "blake", "casey", "devon", "emery", "finley", "harper", "jordan",
};

/* A list and the kind of company in it (NULL: any kind). */
static const struct {
	const char *name;
	const char *tails[4];
} lists[MAX_LISTS] = {
	{ "Trade show leads", { NULL } },
	{ "Logistics, Midwest", { "Logistics", "Freight", "Supply Co.", "Trucking" } },
	{ "Dental clinics", { "Dental", "Dental Care", "Family Dentistry", "Smiles" } },
	{ "Fintech startups", { "Payments", "Capital", "Ledger", "Pay" } },
	{ "Retail chains, West", { "Retail Group", "Outfitters", "Stores", "Market" } },
	{ "Webinar sign-ups", { NULL } },
};

static const char *const first_names[] = {
	"Aaron", "Abigail", "Adrian", "Alicia", "Andre", "Beatriz", "Brandon", "Carla",
	"Chen", "Claire", "Daniel", "Deborah", "Diego", "Elena", "Ethan", "Fatima",
	"Frank", "Gloria", "Grant", "Hannah", "Hector", "Irene", "Isaac", "Jasmine",
	"Jonas", "Julia", "Kevin", "Laura", "Leon", "Lucia", "Marcus", "Maya",
	"Nadia", "Nathan", "Olivia", "Omar", "Paula", "Priya", "Rafael", "Rachel",
	"Samuel", "Sofia", "Tomas", "Valerie", "Victor", "Wendy", "Xavier", "Yusuf",
};

static const char *const last_names[] = {
	"Abbott", "Alvarez", "Baker", "Brennan", "Castillo", "Chang", "Dawson", "Delgado",
	"Ellis", "Fischer", "Foster", "Garcia", "Gibson", "Hale", "Holloway", "Ibarra",
	"Jensen", "Kaur", "Keller", "Larsen", "Lindqvist", "Mahoney", "Medina", "Mercer",
	"Nakamura", "Novak", "Okafor", "Ortega", "Patel", "Quinn", "Ramos", "Reyes",
	"Sato", "Schultz", "Silva", "Sullivan", "Tanaka", "Torres", "Vance", "Walsh",
	"Weber", "Young", "Zhang", "Zimmerman",
};

static const char *const company_heads[] = {
	"Blue Heron", "Cedar Point", "Copperline", "Crescent", "Driftwood", "Evergreen",
	"Foxglove", "Granite Peak", "Harborview", "Ironwood", "Juniper", "Keystone",
	"Lakeshore", "Maple Ridge", "Northgate", "Oakmont", "Pinecrest", "Quarry Lane",
	"Redwood", "Silverleaf", "Stonebridge", "Summit", "Tidewater", "Westbrook",
};

static const char *const company_tails[] = {
	"Logistics", "Dental", "Analytics", "Supply Co.", "Health", "Freight",
	"Software", "Partners", "Retail Group", "Payments", "Foods", "Labs",
};

static const char *const titles[] = {
	"Owner", "Office Manager", "Operations Manager", "VP Sales", "CFO",
	"Head of IT", "Procurement Lead", "Practice Manager", "COO", "Founder",
	"Director of Finance", "Store Manager",
};

/* US and Canadian area codes under which libphonenumber accepts the
 * fiction range 555-01XX as an ordinary number. */
static const int area_codes[] = {
	201, 202, 203, 205, 206, 207, 212, 213, 214, 215, 216, 217, 224, 225, 231, 239,
	248, 251, 252, 253, 256, 262, 267, 281, 301, 302, 303, 304, 305, 310, 312, 313,
	314, 315, 316, 317, 319, 320, 321, 323, 330, 336, 347, 352, 360, 385, 401, 402,
	403, 404, 405, 406, 407, 408, 410, 412, 414, 415, 416, 417, 425, 469, 480, 503,
	504, 512, 513, 514, 515, 516, 517, 518, 520, 530, 541, 559, 561, 571, 602, 604,
	612, 614, 615, 617, 619, 626, 646, 650, 702, 703, 704, 713, 717, 718, 720, 801,
	808, 813, 816, 818, 858, 901, 904, 907, 916, 919, 949, 972,
};
#define N_AREAS (sizeof(area_codes) / sizeof(area_codes[0]))
#define N_SUFFIXES 99 /* 0101..0199; 0100 is our caller id's */

/* How a file might write the number (the import keeps it as phone_raw). */
static const char *const phone_spellings[] = {
	"(%d) 555-%04d", "%d-555-%04d", "%d.555.%04d", "+1 %d 555 %04d", "1-%d-555-%04d",
};

static const char *const notes_follow_up[] = {
	"Call back next week; wants pricing for %d seats",
	"Asked for an email first, then a call on Thursday",
	"In a meeting, call back after 3pm",
	"Interested; wants their ops lead on the next call",
	"Budget review ends this month, call then",
	"Liked the demo video, call back to book a walkthrough",
};

static const char *const notes_connected[] = {
	"Booked a demo for next Tuesday",
	"Good talk, sending a proposal for %d seats",
	"Qualified: %d locations, contract renews in Q1",
	"Referred us to their IT manager, intro sent",
	"Trial started today",
};

static const char *const notes_not_interested[] = {
	"Happy with their current vendor",
	"No budget this year",
	"Asked not to be called again",
	"Contract runs another %d months",
	"Too small for us: %d staff",
};

static const char *const notes_voicemail[] = {
	"Left a voicemail",
	"Left a voicemail, sent an email too",
	"Voicemail box full",
};

static const char *const notes_wrong_number[] = {
	"Number belongs to someone else",
	"Fax tone",
	"Contact left the company",
};

static const char *const notes_other[] = {
	"Line was noisy",
	"Receptionist said to try mornings",
};

enum outcome {
	OUT_NONE = -1, /* not logged */
	OUT_CONNECTED,
	OUT_VOICEMAIL,
	OUT_NO_ANSWER,
	OUT_NOT_INTERESTED,
	OUT_FOLLOW_UP,
	OUT_WRONG_NUMBER,
	OUT_BUSY,
};

static const char *const outcome_words[] = {
	"connected", "voicemail", "no_answer", "not_interested", "follow_up",
	"wrong_number", "busy",
};

struct operator {
	long long id;
	double gap_mult;       /* time between calls (looking the prospect up, notes) */
	double answer_mult;    /* how often prospects pick up for this operator */
	double talk_mult;      /* how long the conversations run */
	double absent;         /* chance of a day off */
	long long next;        /* when the next Dial is pressed */
	long long block_end;   /* end of the current stretch of dialing */
	long long pm_start, pm_end; /* the afternoon's stretch */
	int block;             /* 0 done for the day, 1 morning, 2 afternoon */
};

struct contact {
	long long id;
	int list;
	char e164[20];
	int dials;             /* calls made to the contact so far */
	int followups;         /* of them, call-backs after a follow_up */
	int done;              /* reached a conclusion: never called again */
	long long last_dial;   /* when the last call to the contact was made */
	long long due;         /* follow_up: when to call back; 0 none */
	enum outcome last_outcome; /* of the last logged call (calls_log) */
	long long last_called; /* that call's COALESCE(dialed_at, created_at) */
};

struct demo {
	struct rng rng;
	struct contact *contacts;
	int ncontacts;
	int fresh;             /* next contact never dialed (lists in order) */
	long long ncalls;
	long long counts[7];   /* logged outcomes, for the summary */
};

/* --- time -------------------------------------------------------------- */

static void
iso(long long unix_s, char out[24])
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}

/* "YYYY-MM-DD" -> Unix seconds at 00:00 UTC; 0 when not a real day. */
static long long
parse_day(const char *s)
{
	struct tm tm;
	char back[11];
	time_t t;
	int i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)strtol(s, NULL, 10) - 1900;
	tm.tm_mon = (int)strtol(s + 5, NULL, 10) - 1;
	tm.tm_mday = (int)strtol(s + 8, NULL, 10);
	if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    strftime(back, sizeof(back), "%Y-%m-%d", &tm) != 10 || memcmp(back, s, 10) != 0)
		return 0; /* 2026-02-30 normalizes to another day */
	return (long long)t;
}

static int
weekday(long long day)
{
	time_t t = (time_t)day;
	struct tm tm;

	return gmtime_r(&t, &tm) != NULL ? tm.tm_wday : 0;
}

/* --- rows ---------------------------------------------------------------- */

static enum dl_err
bind_time(sqlite3_stmt *st, int idx, long long unix_s)
{
	char buf[24];

	if (unix_s <= 0)
		return sqlite3_bind_null(st, idx) == SQLITE_OK ? DL_OK : DL_ERR_DB;
	iso(unix_s, buf);
	return db_bind_text(st, idx, buf) == SQLITE_OK ? DL_OK : DL_ERR_NOMEM;
}

static const char sql_nonempty[] =
    "SELECT (SELECT COUNT(*) FROM calls) + (SELECT COUNT(*) FROM contacts)";
static const char sql_user_backdate[] =
    "UPDATE users SET created_at = ?2, updated_at = ?2 WHERE id = ?1";
static const char sql_list[] =
    "INSERT INTO contact_lists (name, created_at, contact_count) VALUES (?1, ?2, ?3)";
static const char sql_contact[] =
    "INSERT INTO contacts (list_id, source_row, name, company, title, phone_e164, "
    "phone_raw, phone_national, region, phone_type, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char sql_call[] =
    "INSERT INTO calls (contact_id, operator_id, provider, conference_name, call_sid, "
    "to_phone, from_phone, status, failure_reason, outcome, notes, created_at, "
    "dialed_at, answered_at, ended_at, duration_s, updated_at, dial_claimed_at) "
    "VALUES (?1, ?2, 'sim', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?12)";
static const char sql_contact_after[] =
    "UPDATE contacts SET status = 'called', last_outcome = ?2, last_called_at = ?3, "
    "attempts = (SELECT count(*) FROM calls WHERE contact_id = ?1 AND outcome IS NOT NULL) "
    "WHERE id = ?1";

static enum dl_err
step(sqlite3_stmt *st)
{
	return st == NULL ? DL_ERR_DB : db_exec_stmt(st);
}

static enum dl_err
add_operators(struct demo *d, struct operator *ops, int n, long long since)
{
	unsigned char raw[18];
	char pw[32];
	sqlite3_stmt *st;
	enum dl_err err;
	int i;

	for (i = 0; i < n; i++) {
		struct operator *o = &ops[i];

		/* Nobody is meant to log in as a demo operator: the password is
		 * thrown away (dialerctl passwd sets one). */
		if ((err = secure_random(raw, sizeof(raw))) != DL_OK ||
		    (err = secure_b64url(raw, sizeof(raw), pw, sizeof(pw))) != DL_OK)
			return err;
		err = auth_user_create(operator_names[i], pw, AUTH_OPERATOR, &o->id);
		if (err == DL_ERR_CONFLICT)
			fprintf(stderr, "dialerctl: user %s exists already\n", operator_names[i]);
		if (err != DL_OK)
			return err;
		if ((st = db_stmt(sql_user_backdate)) == NULL)
			return DL_ERR_DB;
		if (sqlite3_bind_int64(st, 1, o->id) != SQLITE_OK)
			return DL_ERR_DB;
		if ((err = bind_time(st, 2, since - (n - i) * DAY_S)) != DL_OK ||
		    (err = step(st)) != DL_OK)
			return err;
		o->gap_mult = 0.75 + 0.6 * rng_unit(&d->rng);
		o->answer_mult = 0.8 + 0.4 * rng_unit(&d->rng);
		o->talk_mult = 0.8 + 0.5 * rng_unit(&d->rng);
		o->absent = i == n - 1 ? 0.15 : 0.04;
	}
	return DL_OK;
}

/* One contact: a person, a company and a fictional number no other
 * contact has (`used` marks numbers taken, area x suffix). */
static enum dl_err
add_contact(struct demo *d, long long list_id, int list, int row, long long at,
    unsigned char *used)
{
	struct contact *c = &d->contacts[d->ncontacts];
	char name[80], company[80], raw[32];
	struct phone_info pi;
	enum phone_reason why;
	sqlite3_stmt *st;
	enum dl_err err;
	int rc;
	size_t slot;
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		slot = (size_t)rng_next(&d->rng) % (N_AREAS * N_SUFFIXES);
		if (used[slot])
			continue;
		used[slot] = 1;
		snprintf(raw, sizeof(raw), PICK(&d->rng, phone_spellings),
		    area_codes[slot / N_SUFFIXES], 101 + (int)(slot % N_SUFFIXES));
		why = phone_parse(raw, strlen(raw), "US", &pi);
		if (why == PHONE_INTERNAL)
			return DL_ERR_NOMEM;
		if (why == PHONE_OK)
			break;
	}
	if (tries == 1000)
		return DL_ERR_TOOBIG; /* numbers ran out */
	snprintf(name, sizeof(name), "%s %s", PICK(&d->rng, first_names),
	    PICK(&d->rng, last_names));
	snprintf(company, sizeof(company), "%s %s", PICK(&d->rng, company_heads),
	    lists[list].tails[0] != NULL ? PICK(&d->rng, lists[list].tails) :
	    PICK(&d->rng, company_tails));
	if ((st = db_stmt(sql_contact)) == NULL)
		return DL_ERR_DB;
	/* SQLITE_OK is 0: any failed bind (a text copy) leaves rc non-zero. */
	rc = sqlite3_bind_int64(st, 1, list_id) | sqlite3_bind_int(st, 2, row) |
	    db_bind_text(st, 3, name) | db_bind_text(st, 4, company) |
	    /* Files often lack a title for some rows. */
	    db_bind_text(st, 5, rng_chance(&d->rng, 0.8) ? PICK(&d->rng, titles) : NULL) |
	    db_bind_text(st, 6, pi.e164) | db_bind_text(st, 7, raw) |
	    db_bind_text(st, 8, pi.national) | db_bind_text(st, 9, pi.region) |
	    db_bind_text(st, 10, phone_type_name(pi.type));
	if (rc != SQLITE_OK)
		return DL_ERR_NOMEM;
	if ((err = bind_time(st, 11, at)) != DL_OK || (err = step(st)) != DL_OK)
		return err;
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_last_insert_rowid(db_conn());
	c->list = list;
	c->last_outcome = OUT_NONE;
	memcpy(c->e164, pi.e164, sizeof(c->e164));
	d->ncontacts++;
	return DL_OK;
}

static enum dl_err
add_lists(struct demo *d, int nlists, int days, long long since)
{
	unsigned char *used;
	sqlite3_stmt *st;
	enum dl_err err = DL_OK;
	long long list_id, at;
	int sizes[MAX_LISTS], total = 0, i, j;

	/* A few hundred a list for the default month; more days, more contacts,
	 * so that the last list is still being worked at the end. */
	for (i = 0; i < nlists; i++) {
		sizes[i] = (int)rng_range(&d->rng, 450, 650) * (days < 10 ? 10 : days) / 20;
		if (sizes[i] > MAX_LIST_SIZE)
			sizes[i] = MAX_LIST_SIZE;
		total += sizes[i];
	}
	if ((d->contacts = calloc((size_t)total, sizeof(*d->contacts))) == NULL ||
	    (used = calloc(N_AREAS * N_SUFFIXES, 1)) == NULL)
		return DL_ERR_NOMEM;
	/* Uploaded on the working day before the first day of calls. */
	do
		since -= DAY_S;
	while (weekday(since) == 0 || weekday(since) == 6);
	for (i = 0; i < nlists && err == DL_OK; i++) {
		at = since + 14 * HOUR_S + i * 25 * 60;
		if ((st = db_stmt(sql_list)) == NULL) {
			err = DL_ERR_DB;
			break;
		}
		if ((db_bind_text(st, 1, lists[i].name) | sqlite3_bind_int(st, 3, sizes[i])) !=
		    SQLITE_OK) {
			err = DL_ERR_NOMEM;
			break;
		}
		if ((err = bind_time(st, 2, at)) != DL_OK || (err = step(st)) != DL_OK)
			break;
		list_id = sqlite3_last_insert_rowid(db_conn());
		for (j = 0; j < sizes[i] && err == DL_OK; j++)
			err = add_contact(d, list_id, i, j + 2, at, used);
	}
	free(used);
	return err;
}

/* --- who to call next ---------------------------------------------------- */

/* Call-backs first (the longest waiting), then now and then someone not
 * reached before (the longest untouched), else the next fresh contact of
 * the lists in order; the same prospect is never rung twice within a day. */
static struct contact *
next_contact(struct demo *d, long long now)
{
	struct contact *due = NULL, *retry = NULL, *c;
	int i;

	for (i = 0; i < d->fresh; i++) {
		c = &d->contacts[i];
		if (c->done || now - c->last_dial < RETRY_AFTER)
			continue;
		if (c->due > 0) {
			if (c->due <= now && (due == NULL || c->due < due->due))
				due = c;
		} else if (c->dials < MAX_ATTEMPTS &&
		    (retry == NULL || c->last_dial < retry->last_dial))
			retry = c;
	}
	if (due != NULL)
		return due;
	if (retry != NULL && (d->fresh >= d->ncontacts || rng_chance(&d->rng, 0.6)))
		return retry;
	if (d->fresh < d->ncontacts)
		return &d->contacts[d->fresh++];
	return NULL;
}

/* --- one call -------------------------------------------------------------- */

struct call_row {
	const char *status;
	const char *failure;
	enum outcome outcome;
	char notes[160];
	long long created, dialed, answered, ended, logged;
	long duration;         /* -1: unknown (NULL) */
};

static void
write_notes(struct demo *d, struct call_row *r)
{
	static const double want[] = { 0.85, 0.25, 0.02, 0.45, 0.95, 0.6, 0.02 };
	const char *fmt;

	r->notes[0] = '\0';
	if (r->outcome == OUT_NONE || !rng_chance(&d->rng, want[r->outcome]))
		return;
	switch (r->outcome) {
	case OUT_CONNECTED:      fmt = PICK(&d->rng, notes_connected); break;
	case OUT_VOICEMAIL:      fmt = PICK(&d->rng, notes_voicemail); break;
	case OUT_NOT_INTERESTED: fmt = PICK(&d->rng, notes_not_interested); break;
	case OUT_FOLLOW_UP:      fmt = PICK(&d->rng, notes_follow_up); break;
	case OUT_WRONG_NUMBER:   fmt = PICK(&d->rng, notes_wrong_number); break;
	default:                 fmt = PICK(&d->rng, notes_other); break;
	}
	/* Every format takes one small number or ignores it. */
	snprintf(r->notes, sizeof(r->notes), fmt, (int)rng_range(&d->rng, 2, 12));
}

/* What an answered call turned out to be, and how long it ran. */
static void
answered(struct demo *d, const struct operator *o, int callback, struct call_row *r)
{
	double u = rng_unit(&d->rng);
	long talk;

	if (callback)
		r->outcome = u < 0.30 ? OUT_CONNECTED : u < 0.50 ? OUT_VOICEMAIL :
		    u < 0.65 ? OUT_FOLLOW_UP : u < 0.96 ? OUT_NOT_INTERESTED : OUT_NONE;
	else
		r->outcome = u < 0.13 ? OUT_CONNECTED : u < 0.49 ? OUT_VOICEMAIL :
		    u < 0.74 ? OUT_NOT_INTERESTED : u < 0.89 ? OUT_FOLLOW_UP :
		    u < 0.96 ? OUT_WRONG_NUMBER : OUT_NONE;
	switch (r->outcome) {
	case OUT_CONNECTED:      talk = rng_skewed(&d->rng, 60, 1500); break;
	case OUT_VOICEMAIL:      talk = rng_skewed(&d->rng, 14, 50); break;
	case OUT_NOT_INTERESTED: talk = rng_skewed(&d->rng, 8, 200); break;
	case OUT_FOLLOW_UP:      talk = rng_skewed(&d->rng, 35, 600); break;
	case OUT_WRONG_NUMBER:   talk = rng_skewed(&d->rng, 4, 30); break;
	default:                 talk = rng_skewed(&d->rng, 10, 300); break;
	}
	r->status = "completed";
	r->duration = (long)((double)talk * o->talk_mult) + 1;
	r->answered = r->dialed + rng_range(&d->rng, 6, 25);
	r->ended = r->answered + r->duration;
}

/* Play one call from the Dial press at `now`: its statuses, times and the
 * operator's outcome, the way the provider and the page would leave it. */
static void
play(struct demo *d, const struct operator *o, int callback, long long now,
    struct call_row *r)
{
	double p_answer = (callback ? 0.55 : 0.30) * o->answer_mult;
	double u = rng_unit(&d->rng);

	memset(r, 0, sizeof(*r));
	r->created = now;
	r->dialed = now + rng_range(&d->rng, 2, 6);
	r->duration = 0;
	r->outcome = OUT_NONE;
	if (u < 0.03) {
		/* Nothing reached the prospect: no leg, no talk time. */
		double w = rng_unit(&d->rng);

		r->status = "failed";
		r->duration = -1;
		r->dialed = 0;
		if (w < 0.4) {
			r->failure = "operator_not_connected";
			r->ended = now + 20;
		} else if (w < 0.7) {
			r->failure = "provider_error";
			r->ended = now + rng_range(&d->rng, 1, 4);
		} else {
			r->failure = "unreachable_number";
			r->ended = now + rng_range(&d->rng, 1, 4);
			if (rng_chance(&d->rng, 0.7))
				r->outcome = OUT_WRONG_NUMBER;
		}
	} else if (u < 0.09) {
		r->status = "busy";
		r->ended = r->dialed + rng_range(&d->rng, 2, 6);
		r->outcome = rng_chance(&d->rng, 0.9) ? OUT_BUSY : OUT_NONE;
	} else if (u < 0.09 + p_answer) {
		answered(d, o, callback, r);
	} else if (u < 0.13 + p_answer) {
		/* The operator hung up while it rang. */
		r->status = "canceled";
		r->duration = -1;
		r->ended = r->dialed + rng_range(&d->rng, 4, 20);
		r->outcome = rng_chance(&d->rng, 0.6) ? OUT_NO_ANSWER : OUT_NONE;
	} else {
		r->status = "no-answer";
		r->ended = r->dialed + rng_range(&d->rng, 25, 45);
		r->outcome = rng_chance(&d->rng, 0.92) ? OUT_NO_ANSWER : OUT_NONE;
	}
	write_notes(d, r);
	/* Writing notes takes a while; a bare outcome is two clicks. */
	r->logged = r->outcome == OUT_NONE ? 0 : r->ended +
	    (r->notes[0] != '\0' ? rng_range(&d->rng, 20, 90) : rng_range(&d->rng, 3, 12));
}

static enum dl_err
record(struct demo *d, const struct operator *o, struct contact *c,
    const struct call_row *r)
{
	unsigned char raw[28];
	char hex[57], name[32], sid[40];
	sqlite3_stmt *st;
	enum dl_err err;
	int rc;
	int i;

	for (i = 0; i < (int)sizeof(raw); i++)
		raw[i] = (unsigned char)rng_next(&d->rng);
	if ((err = secure_hex(raw, sizeof(raw), hex, sizeof(hex))) != DL_OK)
		return err;
	snprintf(name, sizeof(name), "cd-%.24s", hex);
	snprintf(sid, sizeof(sid), "SIM%.32s", hex + 24);
	if ((st = db_stmt(sql_call)) == NULL)
		return DL_ERR_DB;
	rc = sqlite3_bind_int64(st, 1, c->id) | sqlite3_bind_int64(st, 2, o->id) |
	    db_bind_text(st, 3, name) | db_bind_text(st, 4, r->dialed > 0 ? sid : NULL) |
	    db_bind_text(st, 5, c->e164) | db_bind_text(st, 6, CALLER_ID) |
	    db_bind_text(st, 7, r->status) | db_bind_text(st, 8, r->failure) |
	    db_bind_text(st, 9, r->outcome == OUT_NONE ? NULL : outcome_words[r->outcome]) |
	    db_bind_text(st, 10, r->notes[0] != '\0' ? r->notes : NULL) |
	    (r->duration >= 0 ? sqlite3_bind_int64(st, 15, r->duration) : SQLITE_OK);
	if (rc != SQLITE_OK)
		return DL_ERR_NOMEM;
	if ((err = bind_time(st, 11, r->created)) != DL_OK ||
	    (err = bind_time(st, 12, r->dialed)) != DL_OK ||
	    (err = bind_time(st, 13, r->answered)) != DL_OK ||
	    (err = bind_time(st, 14, r->ended)) != DL_OK ||
	    (err = bind_time(st, 16, r->logged > 0 ? r->logged : r->ended)) != DL_OK ||
	    (err = step(st)) != DL_OK)
		return err;
	d->ncalls++;
	if (r->outcome != OUT_NONE) {
		/* As calls_log leaves the contact. */
		c->last_outcome = r->outcome;
		c->last_called = r->dialed > 0 ? r->dialed : r->created;
		d->counts[r->outcome]++;
	}
	return DL_OK;
}

/* What the call means for calling the contact again. */
static void
conclude(struct demo *d, struct contact *c, const struct call_row *r, int callback)
{
	c->dials++;
	c->followups += callback;
	c->last_dial = r->created;
	c->due = 0;
	switch (r->outcome) {
	case OUT_CONNECTED:
	case OUT_NOT_INTERESTED:
	case OUT_WRONG_NUMBER:
		c->done = 1;
		break;
	case OUT_FOLLOW_UP:
		if (c->followups >= MAX_FOLLOWUPS)
			c->done = 1;
		else
			c->due = r->created + rng_range(&d->rng, 2, 6) * DAY_S;
		break;
	default:
		/* Not reached: a call-back that was not answered is tried again
		 * as one. */
		if (callback && c->followups < MAX_FOLLOWUPS)
			c->due = r->created + rng_range(&d->rng, 1, 3) * DAY_S;
		break;
	}
}

/* --- a working day ---------------------------------------------------------- */

static long long
around(struct demo *d, long long day, int hour, int minute, int spread_min)
{
	return day + hour * HOUR_S + (minute + rng_range(&d->rng, -spread_min, spread_min)) * 60;
}

static enum dl_err
work_day(struct demo *d, struct operator *ops, int nops, long long day)
{
	struct call_row r;
	struct contact *c;
	struct operator *o;
	enum dl_err err;
	int i, callback;

	for (i = 0; i < nops; i++) {
		o = &ops[i];
		o->block = rng_chance(&d->rng, o->absent) ? 0 : 1;
		o->next = around(d, day, 9, 15, 25);
		o->block_end = around(d, day, 11, 45, 20);
		o->pm_start = around(d, day, 13, 30, 20);
		o->pm_end = around(d, day, 16, 15, 30);
	}
	for (;;) {
		o = NULL;
		for (i = 0; i < nops; i++)
			if (ops[i].block > 0 && (o == NULL || ops[i].next < o->next))
				o = &ops[i];
		if (o == NULL)
			return DL_OK;
		if (o->next >= o->block_end) {
			o->block = o->block == 1 ? 2 : 0;
			o->next = o->pm_start;
			o->block_end = o->pm_end;
			continue;
		}
		if ((c = next_contact(d, o->next)) == NULL) {
			o->block = 0; /* nobody left to call today */
			continue;
		}
		callback = c->due > 0;
		play(d, o, callback, o->next, &r);
		if ((err = record(d, o, c, &r)) != DL_OK)
			return err;
		conclude(d, c, &r, callback);
		/* Looking up the next prospect, and now and then a break. */
		o->next = (r.logged > 0 ? r.logged : r.ended) +
		    (long long)((double)rng_range(&d->rng, 120, 420) * o->gap_mult);
		if (rng_chance(&d->rng, 0.03))
			o->next += rng_range(&d->rng, 5, 20) * 60;
	}
}

static enum dl_err
finish_contacts(struct demo *d)
{
	sqlite3_stmt *st;
	enum dl_err err;
	int i;

	for (i = 0; i < d->ncontacts; i++) {
		struct contact *c = &d->contacts[i];

		if (c->last_outcome == OUT_NONE)
			continue;
		if ((st = db_stmt(sql_contact_after)) == NULL)
			return DL_ERR_DB;
		if ((sqlite3_bind_int64(st, 1, c->id) |
		    db_bind_text(st, 2, outcome_words[c->last_outcome])) != SQLITE_OK)
			return DL_ERR_NOMEM;
		if ((err = bind_time(st, 3, c->last_called)) != DL_OK || (err = step(st)) != DL_OK)
			return err;
	}
	return DL_OK;
}

/* --- the command ------------------------------------------------------------ */

struct seed_args {
	int days, nops, nlists;
	unsigned long long seed;
	long long end;         /* the last day, 00:00 UTC */
};

static int
num_arg(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "dialerctl: %s takes a number from %ld to %ld\n", opt, lo, hi);
		return 0;
	}
	*out = v;
	return 1;
}

/* 1 parsed, 0 bad value (message printed), -1 usage error. */
static int
parse_args(int argc, char **argv, struct seed_args *a)
{
	long v;
	int i;

	a->days = 20;
	a->nops = 5;
	a->nlists = 4;
	a->seed = DEFAULT_SEED;
	a->end = ((long long)time(NULL) / DAY_S - 1) * DAY_S;
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (val == NULL)
			return -1;
		i++;
		if (strcmp(opt, "--days") == 0) {
			if (!num_arg(opt, val, 1, MAX_DAYS, &v))
				return 0;
			a->days = (int)v;
		} else if (strcmp(opt, "--operators") == 0) {
			if (!num_arg(opt, val, 1, MAX_OPERATORS, &v))
				return 0;
			a->nops = (int)v;
		} else if (strcmp(opt, "--lists") == 0) {
			if (!num_arg(opt, val, 1, MAX_LISTS, &v))
				return 0;
			a->nlists = (int)v;
		} else if (strcmp(opt, "--seed") == 0) {
			char *end;

			errno = 0;
			a->seed = strtoull(val, &end, 10);
			if (*val < '0' || *val > '9' || *end != '\0' || errno != 0) {
				fprintf(stderr, "dialerctl: --seed takes a whole number\n");
				return 0;
			}
		} else if (strcmp(opt, "--end") == 0) {
			if ((a->end = parse_day(val)) == 0) {
				fprintf(stderr, "dialerctl: --end takes a day, YYYY-MM-DD\n");
				return 0;
			}
		} else
			return -1;
	}
	return 1;
}

static enum dl_err
seed(struct demo *d, const struct seed_args *a, long long *first)
{
	struct operator ops[MAX_OPERATORS];
	long long days[MAX_DAYS], day;
	int n = 0, i;
	enum dl_err err;

	/* The working days (Monday to Friday) up to and including the end. */
	for (day = a->end; n < a->days; day -= DAY_S)
		if (weekday(day) != 0 && weekday(day) != 6)
			days[a->days - 1 - n++] = day;
	*first = days[0];
	memset(ops, 0, sizeof(ops));
	if ((err = add_operators(d, ops, a->nops, days[0])) != DL_OK ||
	    (err = add_lists(d, a->nlists, a->days, days[0])) != DL_OK)
		return err;
	for (i = 0; i < a->days; i++)
		if ((err = work_day(d, ops, a->nops, days[i])) != DL_OK)
			return err;
	return finish_contacts(d);
}

int
ctl_seed_demo(int argc, char **argv)
{
	struct seed_args a;
	struct demo d;
	sqlite3_stmt *st;
	long long first = 0, have;
	char from[24], to[24];
	enum dl_err err;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) <= 0)
		return rc < 0 ? -1 : 2;
	if (!ctl_open_db())
		return 1;
	if ((err = db_begin()) != DL_OK) {
		fprintf(stderr, "dialerctl: cannot write the database (%s)\n", dl_strerror(err));
		return 1;
	}
	if ((st = db_stmt(sql_nonempty)) == NULL || sqlite3_step(st) != SQLITE_ROW) {
		if (st != NULL)
			sqlite3_reset(st);
		db_rollback();
		fprintf(stderr, "dialerctl: cannot read the database\n");
		return 1;
	}
	have = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (have > 0) {
		db_rollback();
		fprintf(stderr, "dialerctl: %s already holds calls or contacts; seed-demo only "
		    "fills an empty database (try DIALER_DB=var/demo.db)\n", config_get("DIALER_DB"));
		return 1;
	}
	memset(&d, 0, sizeof(d));
	d.rng.s = a.seed;
	err = seed(&d, &a, &first);
	free(d.contacts);
	if (err == DL_OK)
		err = db_commit();
	if (err != DL_OK) {
		db_rollback();
		fprintf(stderr, "dialerctl: seeding failed (%s); nothing stored\n", dl_strerror(err));
		return 1;
	}
	iso(first, from);
	iso(a.end, to);
	printf("seeded %s (seed %llu): %d operators, %d lists, %d contacts, %lld calls "
	    "on %d working days, %.10s to %.10s\n", config_get("DIALER_DB"), a.seed, a.nops,
	    a.nlists, d.ncontacts, d.ncalls, a.days, from, to);
	printf("logged outcomes: connected %lld, voicemail %lld, no_answer %lld, "
	    "not_interested %lld, follow_up %lld, wrong_number %lld, busy %lld\n",
	    d.counts[OUT_CONNECTED], d.counts[OUT_VOICEMAIL], d.counts[OUT_NO_ANSWER],
	    d.counts[OUT_NOT_INTERESTED], d.counts[OUT_FOLLOW_UP], d.counts[OUT_WRONG_NUMBER],
	    d.counts[OUT_BUSY]);
	printf("operators' passwords are random and not shown; give one a password with "
	    "dialerctl passwd NAME\n");
	return 0;
}
