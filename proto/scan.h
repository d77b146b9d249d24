/* scan.h -- proto-internal: bounded pre-scans of outside bytes before any library parses them. */
#ifndef PROTO_SCAN_H
#define PROTO_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>
#include "article.h"

/* msgpack-c's unpacker keeps a fixed stack of this many containers and fails
 * beyond it, so no caller may allow more. */
#define PROTO_SCAN_MSGPACK_MAX_DEPTH 31

/* Fills zero fields of *in (or all, when in is NULL) with the defaults. */
void proto_scan_limits(const proto_limits *in, proto_limits *out);

/* Walks one msgpack value iteratively, checking truncation, depth, element
 * counts (against lim and against the bytes left, so a forged count cannot
 * make msgpack-c allocate gigabytes) and str/bin lengths. On success *used is
 * the length of the value. Names the top-level key in why when it can. */
int proto_scan_msgpack(const uint8_t *buf, size_t len, const proto_limits *lim, size_t *used,
                       char *why, size_t whylen);

/* Walks JSON text respecting strings: nesting depth (so jansson's recursive
 * parser never goes deep), UTF-8 of every string and raw NUL bytes. Syntax is
 * left to jansson. */
int proto_scan_json(const uint8_t *buf, size_t len, const proto_limits *lim, char *why,
                    size_t whylen);

/* Every key of m is a valid UTF-8 string without NUL, and none appears twice
 * (msgpack-c keeps duplicates). where names the map in messages ("the article"). */
int proto_scan_map_keys(const msgpack_object_map *m, const char *where, char *why, size_t whylen);

/* Length (2-4) of the valid UTF-8 sequence whose lead byte (>= 0x80) is p[0], with left bytes
 * from p on; 0 when it is not valid (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
size_t proto_utf8_seq(const unsigned char *p, size_t left);

/* snprintf into why when why is given; always returns err. */
int proto_scan_why(int err, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A field name safe to print in a log line: ASCII printable, at most 48 bytes. */
void proto_scan_name(const char *s, size_t len, char out[64]);

#endif
