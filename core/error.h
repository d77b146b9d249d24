/* error.h -- the one table of squawk error codes, names and messages. */
#ifndef SQ_ERROR_H
#define SQ_ERROR_H

#include "visibility.h"

/* X-macro, libuv style: every module's failures live here so names and
 * messages never drift. Codes are negative; 0 is success. Append only. */
#define SQ_ERRNO_MAP(XX)                                                     \
    XX(NOMEM, -1, "out of memory")                                           \
    XX(INVAL, -2, "invalid argument")                                        \
    XX(IO, -3, "i/o error")                                                  \
    XX(NOTFOUND, -4, "not found")                                            \
    XX(AGAIN, -5, "resource temporarily unavailable")                        \
    XX(TIMEOUT, -6, "timed out")                                             \
    XX(NOTIMPL, -7, "not built yet")                                         \
    /* proto: article and alert decoding */                                  \
    XX(EMPTY, -20, "message is empty")                                       \
    XX(BAD_FORMAT, -21, "message is neither a msgpack map nor a JSON object") \
    XX(TRUNCATED, -22, "msgpack data is truncated")                          \
    XX(TRAILING, -23, "trailing bytes after the document")                   \
    XX(NOT_MAP, -24, "msgpack value is not a map")                           \
    XX(NOT_OBJECT, -25, "JSON value is not an object")                       \
    XX(BAD_JSON, -26, "JSON syntax error")                                   \
    XX(TOO_BIG, -27, "message exceeds max_article_bytes")                    \
    XX(TOO_DEEP, -28, "nesting exceeds the depth limit")                     \
    XX(FIELD_TOO_LONG, -29, "a field exceeds its size limit")                \
    XX(TOO_MANY, -30, "an array or map has too many elements")              \
    XX(NO_ID, -31, "required field id is missing")                           \
    XX(NO_HEADLINE, -32, "required field headline is missing")               \
    XX(WRONG_TYPE, -33, "a field has the wrong type")                        \
    XX(BAD_UTF8, -34, "a string is not valid UTF-8")                         \
    XX(NUL_BYTE, -35, "a string contains a NUL byte")                        \
    XX(DUP_KEY, -36, "a key appears twice")                                  \
    XX(BAD_KEY, -37, "a map key is not a string")                            \
    XX(BAD_TIME, -38, "published is not RFC 3339 or epoch milliseconds")     \
    XX(EMPTY_FIELD, -39, "a required field is empty")                        \
    XX(BAD_VERSION, -40, "alert schema version is not supported")           \
    XX(BAD_MSGPACK, -41, "msgpack data is malformed")                        \
    XX(MISSING, -42, "a required field is missing")                          \
    /* plugins and rules */                                                  \
    XX(PLUGIN_OPEN, -60, "plugin cannot be opened")                          \
    XX(PLUGIN_NOSYM, -61, "plugin has no entry symbol")                      \
    XX(PLUGIN_ABI, -62, "plugin was built for another ABI major")            \
    XX(PLUGIN_INIT, -63, "plugin init failed")                               \
    XX(PLUGIN_CONFIG, -64, "plugin config is invalid")                       \
    XX(PLUGIN_PERM, -65, "plugin file or directory is writable by others")   \
    XX(RULES, -66, "rule pack is invalid")                                   \
    XX(HS_COMPILE, -67, "Hyperscan cannot compile a pattern")                \
    XX(GAZETTEER, -68, "gazetteer is invalid")                               \
    /* config and runtime */                                                 \
    XX(CONFIG, -80, "configuration is invalid")                              \
    XX(KAFKA, -81, "Kafka error")                                            \
    XX(ZMQ, -82, "ZeroMQ error")                                             \
    XX(HTTP, -83, "HTTP server error")                                       \
    XX(SINK_FULL, -84, "sink queue is full")                                 \
    XX(DENIED, -85, "access denied")

typedef enum {
#define SQ_ERR_ENUM(name, code, msg) SQ_E_##name = code,
    SQ_ERRNO_MAP(SQ_ERR_ENUM)
#undef SQ_ERR_ENUM
    SQ_E_OK_ = 0
} sq_errno;

/* "TRUNCATED" for SQ_E_TRUNCATED; "UNKNOWN" for anything else. */
SQ_API const char *sq_err_name(int err);
/* Human-readable message for err. */
SQ_API const char *sq_strerror(int err);

#endif
