/*
 * callerid: local presence — which of the team's numbers a call goes out
 * from. DIALER_CALLER_IDS lists them (E.164, comma-separated); the one
 * sharing the prospect's area code wins, else one in the prospect's
 * region, else the provider's own caller id setting.
 */
#ifndef DL_CALLERID_H
#define DL_CALLERID_H

#include "err.h"

enum callerid_match {
	CALLERID_AREA_CODE = 0, /* same country code and area code */
	CALLERID_REGION,        /* same region (ISO code) */
	CALLERID_DEFAULT,       /* the provider's caller id (TWILIO_CALLER_ID, ...) */
	CALLERID_NONE           /* nothing configured: the provider decides (the simulator) */
};

/*
 * The caller id for a call to `to` (E.164) through the provider named
 * `provider`: *out is E.164, or "" with CALLERID_NONE. DL_ERR_CONFIG when
 * DIALER_CALLER_IDS holds something that is not a valid number.
 */
enum dl_err callerid_pick(const char *to, const char *provider, char out[20],
    enum callerid_match *how);

/* "area_code", "region", "default", "none". */
const char *callerid_match_name(enum callerid_match how);

#endif
