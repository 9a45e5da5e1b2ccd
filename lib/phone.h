/*
 * phone: telephone numbers, through Google's libphonenumber.
 *
 * The numbering rules are libphonenumber's; this module is a C face on its
 * C++ API (phone.cc, the only C++ in the tree) and adds nothing of its own
 * but the mapping of libphonenumber's outcomes onto reasons we can show.
 * No exception ever crosses into C.
 */
#ifndef DL_PHONE_H
#define DL_PHONE_H

#include <stddef.h>

enum phone_type {
	PHONE_TYPE_UNKNOWN = 0,
	PHONE_TYPE_FIXED_LINE,
	PHONE_TYPE_MOBILE,
	PHONE_TYPE_FIXED_LINE_OR_MOBILE,
	PHONE_TYPE_TOLL_FREE,
	PHONE_TYPE_PREMIUM_RATE,
	PHONE_TYPE_SHARED_COST,
	PHONE_TYPE_VOIP,
	PHONE_TYPE_PERSONAL_NUMBER,
	PHONE_TYPE_PAGER,
	PHONE_TYPE_UAN,
	PHONE_TYPE_VOICEMAIL
};

/* Why a number is not usable for calling. PHONE_OK means it is. */
enum phone_reason {
	PHONE_OK = 0,
	PHONE_EMPTY,                /* nothing but blanks */
	PHONE_NOT_A_NUMBER,         /* no digits libphonenumber can read */
	PHONE_INVALID_COUNTRY_CODE, /* no such country calling code, or no region to assume */
	PHONE_TOO_SHORT,
	PHONE_TOO_LONG,
	PHONE_INVALID,              /* parses, but no such number exists in that region */
	PHONE_NOT_DIALABLE,         /* valid but not callable as a cold call (premium rate, ...) */
	PHONE_INTERNAL              /* libphonenumber failed unexpectedly (out of memory) */
};

/* Everything a contact row and the dial page need. Sizes hold any number
 * libphonenumber formats: E.164 allows 15 digits, but libphonenumber
 * accepts some German numbers with 16 (17 bytes with the '+'). */
struct phone_info {
	char e164[20];          /* "+12025550143" */
	char national[48];      /* "(202) 555-0143" */
	char international[48]; /* "+1 202-555-0143" */
	char region[4];         /* ISO 3166-1 alpha-2, "US"; "001" for non-geographic */
	enum phone_type type;
};

/*
 * Parse `len` bytes of `text` (need not be NUL-terminated; any UTF-8 the
 * user typed) assuming `default_region` (ISO alpha-2, e.g. "US") for
 * numbers written without a country code. Fills *out only on PHONE_OK.
 * Thread-safe; keeps no state of its own.
 */
enum phone_reason phone_parse(const char *text, size_t len,
    const char *default_region, struct phone_info *out);

/*
 * The same, for bulk import: fills e164, national, region and type but
 * leaves `international` empty, saving a tenth of the call. Thread-safe,
 * so an importer may run it on several threads at once.
 */
enum phone_reason phone_parse_brief(const char *text, size_t len,
    const char *default_region, struct phone_info *out);

/*
 * Where a number is, for local presence: *area gets "+", the country code
 * and the geographic area code ("+1312" for +13125550143; "" for a number
 * without one, such as a UK mobile), *region the ISO code. `e164` must
 * parse on its own (a '+' number). PHONE_OK or why not.
 */
enum phone_reason phone_area(const char *e164, char *area, size_t areasz,
    char region[4]);

/* 1 if `region` is a region libphonenumber knows ("US", "GB", ...). */
int phone_region_supported(const char *region);

/* Stable machine code for a reason ("invalid_phone", "phone_too_short", ...). */
const char *phone_reason_code(enum phone_reason reason);
/* A sentence for a person ("The number is too short."). */
const char *phone_reason_message(enum phone_reason reason);
/* Lower-case name of a type ("mobile", "fixed_line", ...). */
const char *phone_type_name(enum phone_type type);

#endif
