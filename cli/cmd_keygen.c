/* cmd_keygen.c -- squawk keygen: writes a CURVE key pair (Z85) to PREFIX.key and PREFIX.pub, mode 0600. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "commands.h"

static const char usage[] =
    "usage: squawk keygen [--out PREFIX] [--force]\n"
    "\n"
    "Writes a CURVE key pair for ZeroMQ: PREFIX.key holds the secret key and\n"
    "PREFIX.pub the public key, both Z85 (40 chars) and mode 0600.\n"
    "  --out PREFIX   path prefix (default: squawk)\n"
    "  --force        overwrite existing files\n";

static int write_key(const char *path, const char *z85, int force)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
    int fd = open(path, flags, 0600);
    if (fd < 0) {
        fprintf(stderr, "squawk keygen: %s: %s%s\n", path, strerror(errno),
                errno == EEXIST ? " (use --force to overwrite)" : "");
        return -1;
    }
    /* open()'s mode is ignored for an existing file; a secret must not stay readable. */
    if (fchmod(fd, 0600) != 0) {
        fprintf(stderr, "squawk keygen: chmod %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    char line[64];
    int len = snprintf(line, sizeof line, "%s\n", z85);
    if (write(fd, line, (size_t)len) != len || fsync(fd) != 0) {
        fprintf(stderr, "squawk keygen: write %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return close(fd);
}

int cmd_keygen(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    const char *prefix = "squawk";
    int force = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            prefix = argv[++i];
        else if (strncmp(argv[i], "--out=", 6) == 0)
            prefix = argv[i] + 6;
        else if (strcmp(argv[i], "--force") == 0)
            force = 1;
        else {
            fprintf(stderr, "squawk keygen: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        }
    }
    if (!zmq_has("curve")) {
        fprintf(stderr, "squawk keygen: libzmq was built without CURVE\n");
        return 1;
    }
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0) {
        fprintf(stderr, "squawk keygen: %s\n", zmq_strerror(errno));
        return 1;
    }
    char kpath[4096], ppath[4096];
    if (snprintf(kpath, sizeof kpath, "%s.key", prefix) >= (int)sizeof kpath ||
        snprintf(ppath, sizeof ppath, "%s.pub", prefix) >= (int)sizeof ppath) {
        fprintf(stderr, "squawk keygen: prefix too long\n");
        return 2;
    }
    if (write_key(kpath, sec, force) != 0) return 1;
    if (write_key(ppath, pub, force) != 0) {
        unlink(kpath);
        return 1;
    }
    memset(sec, 0, sizeof sec);
    printf("%s\n", pub);
    fprintf(stderr, "squawk keygen: wrote %s (secret) and %s (public)\n", kpath, ppath);
    return 0;
}
