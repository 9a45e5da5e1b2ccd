#include <stddef.h>

#include "err.h"

static const char *const names[DL_ERR__COUNT] = {
	[DL_OK] = "ok",
	[DL_ERR_NOMEM] = "nomem",
	[DL_ERR_INVALID] = "invalid",
	[DL_ERR_NOTFOUND] = "notfound",
	[DL_ERR_CONFLICT] = "conflict",
	[DL_ERR_TOOBIG] = "toobig",
	[DL_ERR_DB] = "db",
	[DL_ERR_BUSY] = "busy",
	[DL_ERR_IO] = "io",
	[DL_ERR_AUTH] = "auth",
	[DL_ERR_FORBIDDEN] = "forbidden",
	[DL_ERR_THROTTLED] = "throttled",
	[DL_ERR_CRYPTO] = "crypto",
	[DL_ERR_CONFIG] = "config",
	[DL_ERR_UNSUPPORTED] = "unsupported",
};

const char *
dl_strerror(enum dl_err err)
{
	if ((unsigned)err >= DL_ERR__COUNT || names[err] == NULL)
		return "unknown";
	return names[err];
}
