/* zkey.c -- CURVE key files as squawk keygen writes them: read, validate, and refuse a secret others can read. */
#define _GNU_SOURCE /* O_CLOEXEC */
#include "zkey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "../core/error.h"

/* The mode is checked on the open descriptor, so a file swapped after the
 * check cannot slip through. */
static int read_first_line(int fd, const char *path, int secret, char *line, size_t cap,
                           char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return SQ_E_CONFIG;
    }
    if (secret && (st.st_mode & 077)) {
        snprintf(err, errlen,
                 "%s: mode %04o lets others read the CURVE secret key; chmod 600 it (or run "
                 "squawk keygen again)",
                 path, (unsigned)(st.st_mode & 07777));
        return SQ_E_CONFIG;
    }
    ssize_t n = read(fd, line, cap - 1);
    if (n < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SQ_E_IO;
    }
    line[n] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    return 0;
}

int sink_zkey_read(const char *path, int secret, char out[41], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SQ_E_CONFIG;
    }
    char line[128];
    int rc = read_first_line(fd, path, secret, line, sizeof line, err, errlen);
    close(fd);
    if (rc) return rc;
    size_t len = strlen(line);
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t')) line[--len] = '\0';
    uint8_t raw[32];
    if (len != 40 || !zmq_z85_decode(raw, line)) {
        memset(line, 0, sizeof line);
        /* Never echo the content: it may be a secret, if a mangled one. */
        snprintf(err, errlen,
                 "%s: not a CURVE %s key (the first line must be 40 Z85 characters, as squawk "
                 "keygen writes; it has %zu)",
                 path, secret ? "secret" : "public", len);
        return SQ_E_CONFIG;
    }
    memcpy(out, line, 41);
    memset(line, 0, sizeof line);
    memset(raw, 0, sizeof raw);
    return 0;
}

int sink_zkey_match(const char *secret_key, const char *public_key)
{
    char derived[41];
    if (zmq_curve_public(derived, secret_key) != 0 || strcmp(derived, public_key) != 0)
        return SQ_E_CONFIG;
    return 0;
}
