/*
 * phone: the C face of libphonenumber. See phone.h.
 *
 * All numbering knowledge stays in libphonenumber; this file only converts
 * between C and C++ and maps outcomes onto enum phone_reason. Every entry
 * point catches everything, because an exception unwinding into C frames is
 * undefined behaviour.
 */
/* phone.h is plain C; the guard keeps its declarations' C linkage. */
extern "C" {
#include "phone.h"
}

#include <cstring>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

/*
 * Anything longer is not a phone number anyone typed on purpose, and
 * refusing it early keeps a hostile upload from making libphonenumber run
 * its regular expressions over large cells.
 */
const size_t kMaxInput = 64;

/*
 * The CGI programs answer on stdout, so a library message there would
 * corrupt the HTTP response. libphonenumber 8.12 already starts with a
 * NullLogger, but older releases defaulted to a StdoutLogger; installing
 * our own costs one allocation per process and removes the dependence on
 * the version. The function-local static makes this happen exactly once
 * and before any thread can use the instance through us.
 */
PhoneNumberUtil &
util()
{
	static PhoneNumberUtil *const instance = [] {
		PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
		/* SetLogger takes ownership (it deletes the previous one). */
		u->SetLogger(new NullLogger());
		return u;
	}();
	return *instance;
}

/*
 * Blanks around a CSV cell or a form field are common and mean nothing.
 * U+00A0 is included because spreadsheets produce it; we only trim, and
 * leave everything in between to libphonenumber.
 */
size_t
blank_at(const unsigned char *p, size_t n)
{
	if (n >= 1 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\n' ||
	    p[0] == '\r' || p[0] == '\v' || p[0] == '\f'))
		return 1;
	if (n >= 2 && p[0] == 0xC2 && p[1] == 0xA0)
		return 2;
	return 0;
}

size_t
blank_before(const unsigned char *p, size_t n)
{
	if (n >= 1 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
	    p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == '\v' ||
	    p[n - 1] == '\f'))
		return 1;
	if (n >= 2 && p[n - 2] == 0xC2 && p[n - 1] == 0xA0)
		return 2;
	return 0;
}

enum phone_reason
from_parse_error(PhoneNumberUtil::ErrorType e)
{
	switch (e) {
	case PhoneNumberUtil::NO_PARSING_ERROR:
		return PHONE_OK;
	case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
		return PHONE_INVALID_COUNTRY_CODE;
	case PhoneNumberUtil::NOT_A_NUMBER:
		return PHONE_NOT_A_NUMBER;
	case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
	case PhoneNumberUtil::TOO_SHORT_NSN:
		return PHONE_TOO_SHORT;
	case PhoneNumberUtil::TOO_LONG_NSN:
		return PHONE_TOO_LONG;
	}
	/* A newer libphonenumber may add kinds; they all mean "unreadable". */
	return PHONE_NOT_A_NUMBER;
}

/* Only asked once the number proved invalid, to tell the user why. */
enum phone_reason
from_possibility(PhoneNumberUtil::ValidationResult v)
{
	switch (v) {
	case PhoneNumberUtil::IS_POSSIBLE:
	case PhoneNumberUtil::INVALID_LENGTH:
		return PHONE_INVALID;
	case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
		/*
		 * A subscriber number without its area code ("555-0143" in
		 * the US): it is the missing digits that make it unusable.
		 */
		return PHONE_TOO_SHORT;
	case PhoneNumberUtil::INVALID_COUNTRY_CODE:
		return PHONE_INVALID_COUNTRY_CODE;
	case PhoneNumberUtil::TOO_SHORT:
		return PHONE_TOO_SHORT;
	case PhoneNumberUtil::TOO_LONG:
		return PHONE_TOO_LONG;
	}
	return PHONE_INVALID;
}

enum phone_type
from_number_type(PhoneNumberUtil::PhoneNumberType t)
{
	switch (t) {
	case PhoneNumberUtil::FIXED_LINE:
		return PHONE_TYPE_FIXED_LINE;
	case PhoneNumberUtil::MOBILE:
		return PHONE_TYPE_MOBILE;
	case PhoneNumberUtil::FIXED_LINE_OR_MOBILE:
		return PHONE_TYPE_FIXED_LINE_OR_MOBILE;
	case PhoneNumberUtil::TOLL_FREE:
		return PHONE_TYPE_TOLL_FREE;
	case PhoneNumberUtil::PREMIUM_RATE:
		return PHONE_TYPE_PREMIUM_RATE;
	case PhoneNumberUtil::SHARED_COST:
		return PHONE_TYPE_SHARED_COST;
	case PhoneNumberUtil::VOIP:
		return PHONE_TYPE_VOIP;
	case PhoneNumberUtil::PERSONAL_NUMBER:
		return PHONE_TYPE_PERSONAL_NUMBER;
	case PhoneNumberUtil::PAGER:
		return PHONE_TYPE_PAGER;
	case PhoneNumberUtil::UAN:
		return PHONE_TYPE_UAN;
	case PhoneNumberUtil::VOICEMAIL:
		return PHONE_TYPE_VOICEMAIL;
	case PhoneNumberUtil::UNKNOWN:
		return PHONE_TYPE_UNKNOWN;
	}
	return PHONE_TYPE_UNKNOWN;
}

/* Refuses rather than truncates: a cut-off number would dial someone else. */
bool
copy_out(char *dst, size_t cap, const std::string &src)
{
	if (src.size() >= cap)
		return false;
	std::memcpy(dst, src.data(), src.size());
	dst[src.size()] = '\0';
	return true;
}

enum phone_reason
parse(const char *text, size_t len, const char *default_region,
    struct phone_info *out, bool international)
{
	const unsigned char *p = reinterpret_cast<const unsigned char *>(text);
	size_t k;

	while ((k = blank_at(p, len)) != 0) {
		p += k;
		len -= k;
	}
	while ((k = blank_before(p, len)) != 0)
		len -= k;
	if (len == 0)
		return PHONE_EMPTY;
	if (len > kMaxInput)
		return PHONE_TOO_LONG;

	const PhoneNumberUtil &pnu = util();
	/* "ZZ" is libphonenumber's "unknown region": only +CC numbers parse. */
	const std::string region(default_region != nullptr ?
	    default_region : "ZZ");
	const std::string input(reinterpret_cast<const char *>(p), len);
	PhoneNumber number;

	enum phone_reason r = from_parse_error(pnu.Parse(input, region,
	    &number));
	if (r != PHONE_OK)
		return r;
	/*
	 * GetNumberType is documented to give UNKNOWN exactly when the number
	 * is invalid, and IsValidNumber is built from the same region lookup
	 * and pattern match; asking both would add about 5 us to a 20 us call
	 * and learn nothing new.
	 */
	const PhoneNumberUtil::PhoneNumberType t = pnu.GetNumberType(number);
	if (t == PhoneNumberUtil::UNKNOWN)
		return from_possibility(pnu.IsPossibleNumberWithReason(number));

	const enum phone_type type = from_number_type(t);
	/* Premium rate bills the caller; a dialer must never ring one. */
	if (type == PHONE_TYPE_PREMIUM_RATE)
		return PHONE_NOT_DIALABLE;
	if (out == nullptr)
		return PHONE_OK;

	struct phone_info info;
	std::memset(&info, 0, sizeof info);
	info.type = type;

	/* Reused for all four strings so its capacity is allocated once. */
	std::string s;
	pnu.Format(number, PhoneNumberUtil::E164, &s);
	if (!copy_out(info.e164, sizeof info.e164, s))
		return PHONE_TOO_LONG;
	/*
	 * National and international keep an extension (" ext. 12") so the
	 * caller can ask for it; only an absurdly long extension can fail to
	 * fit, and that is reported as too long rather than cut.
	 */
	pnu.Format(number, PhoneNumberUtil::NATIONAL, &s);
	if (!copy_out(info.national, sizeof info.national, s))
		return PHONE_TOO_LONG;
	if (international) {
		pnu.Format(number, PhoneNumberUtil::INTERNATIONAL, &s);
		if (!copy_out(info.international, sizeof info.international, s))
			return PHONE_TOO_LONG;
	}
	pnu.GetRegionCodeForNumber(number, &s);
	if (!copy_out(info.region, sizeof info.region, s))
		return PHONE_INTERNAL;

	*out = info;
	return PHONE_OK;
}

/* The one way into parse(): C callers must never see an exception. */
enum phone_reason
guarded(const char *text, size_t len, const char *default_region,
    struct phone_info *out, bool international)
{
	if (text == nullptr)
		return PHONE_EMPTY;
	try {
		return parse(text, len, default_region, out, international);
	} catch (...) {
		return PHONE_INTERNAL;
	}
}

} // namespace

extern "C" enum phone_reason
phone_parse(const char *text, size_t len, const char *default_region,
    struct phone_info *out)
{
	return guarded(text, len, default_region, out, true);
}

extern "C" enum phone_reason
phone_parse_brief(const char *text, size_t len, const char *default_region,
    struct phone_info *out)
{
	return guarded(text, len, default_region, out, false);
}

extern "C" enum phone_reason
phone_area(const char *e164, char *area, size_t areasz, char region[4])
{
	if (e164 == nullptr || area == nullptr || region == nullptr)
		return PHONE_EMPTY;
	try {
		const PhoneNumberUtil &pnu = util();
		PhoneNumber number;
		enum phone_reason r = from_parse_error(pnu.Parse(e164, "ZZ", &number));

		if (r != PHONE_OK)
			return r;
		if (!pnu.IsValidNumber(number))
			return PHONE_INVALID;
		std::string nsn, s;
		pnu.GetNationalSignificantNumber(number, &nsn);
		const int n = pnu.GetLengthOfGeographicalAreaCode(number);
		if (n > 0 && static_cast<size_t>(n) <= nsn.size())
			s = "+" + std::to_string(number.country_code()) +
			    nsn.substr(0, static_cast<size_t>(n));
		if (!copy_out(area, areasz, s))
			return PHONE_TOO_LONG;
		pnu.GetRegionCodeForNumber(number, &s);
		if (!copy_out(region, 4, s))
			return PHONE_INTERNAL;
		return PHONE_OK;
	} catch (...) {
		return PHONE_INTERNAL;
	}
}

extern "C" int
phone_region_supported(const char *region)
{
	if (region == nullptr)
		return 0;
	try {
		/*
		 * 0 for anything without metadata, including "001": that is
		 * a label for non-geographic numbers, not a region one can
		 * assume when parsing.
		 */
		return util().GetCountryCodeForRegion(region) != 0;
	} catch (...) {
		return 0;
	}
}

extern "C" const char *
phone_reason_code(enum phone_reason reason)
{
	switch (reason) {
	case PHONE_OK:
		return "ok";
	case PHONE_EMPTY:
		return "phone_empty";
	case PHONE_NOT_A_NUMBER:
		return "phone_not_a_number";
	case PHONE_INVALID_COUNTRY_CODE:
		return "phone_invalid_country_code";
	case PHONE_TOO_SHORT:
		return "phone_too_short";
	case PHONE_TOO_LONG:
		return "phone_too_long";
	case PHONE_INVALID:
		return "invalid_phone";
	case PHONE_NOT_DIALABLE:
		return "phone_not_dialable";
	case PHONE_INTERNAL:
		return "phone_internal";
	}
	return "phone_unknown";
}

extern "C" const char *
phone_reason_message(enum phone_reason reason)
{
	switch (reason) {
	case PHONE_OK:
		return "The number is valid.";
	case PHONE_EMPTY:
		return "No phone number was given.";
	case PHONE_NOT_A_NUMBER:
		return "This does not look like a phone number.";
	case PHONE_INVALID_COUNTRY_CODE:
		return "The country code is missing or unknown; "
		    "write the number with + and its country code.";
	case PHONE_TOO_SHORT:
		return "The number is too short.";
	case PHONE_TOO_LONG:
		return "The number is too long.";
	case PHONE_INVALID:
		return "No such number exists in that country.";
	case PHONE_NOT_DIALABLE:
		return "This number may not be called (premium rate).";
	case PHONE_INTERNAL:
		return "The number could not be checked because of an "
		    "internal error.";
	}
	return "The number could not be checked.";
}

extern "C" const char *
phone_type_name(enum phone_type type)
{
	switch (type) {
	case PHONE_TYPE_UNKNOWN:
		return "unknown";
	case PHONE_TYPE_FIXED_LINE:
		return "fixed_line";
	case PHONE_TYPE_MOBILE:
		return "mobile";
	case PHONE_TYPE_FIXED_LINE_OR_MOBILE:
		return "fixed_line_or_mobile";
	case PHONE_TYPE_TOLL_FREE:
		return "toll_free";
	case PHONE_TYPE_PREMIUM_RATE:
		return "premium_rate";
	case PHONE_TYPE_SHARED_COST:
		return "shared_cost";
	case PHONE_TYPE_VOIP:
		return "voip";
	case PHONE_TYPE_PERSONAL_NUMBER:
		return "personal_number";
	case PHONE_TYPE_PAGER:
		return "pager";
	case PHONE_TYPE_UAN:
		return "uan";
	case PHONE_TYPE_VOICEMAIL:
		return "voicemail";
	}
	return "unknown";
}
