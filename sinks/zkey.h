/* zkey.h -- CURVE key files as squawk keygen writes them: read, validate, and refuse a secret others can read. */
#ifndef SINK_ZKEY_H
#define SINK_ZKEY_H

#include <stddef.h>
#include "../core/visibility.h"

/* Reads the first line of path into out: 40 Z85 characters that decode to a
 * 32-byte key. With secret set the file must not be readable, writable or
 * executable by group or others (mode & 077 == 0), as ssh demands of its
 * private keys. Returns 0, or SQ_E_CONFIG / SQ_E_IO with "<path>: <reason>"
 * in err. */
SQ_API int sink_zkey_read(const char *path, int secret, char out[41], char *err, size_t errlen);

/* 0 when public_key is the public half of secret_key, else SQ_E_CONFIG. */
SQ_API int sink_zkey_match(const char *secret_key, const char *public_key);

#endif
