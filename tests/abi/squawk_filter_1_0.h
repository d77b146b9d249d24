/* squawk_filter_1_0.h -- the filter plugin ABI exactly as released in 1.0, frozen: test plugins built against it prove 1.0 plugins still load. */
#ifndef SQUAWK_FILTER_H
#define SQUAWK_FILTER_H

#include <stddef.h>
#include <stdint.h>

/* Versions with the same major are ABI compatible. Every struct below only
 * grows at the end and carries its size; the host reads only the fields the
 * plugin's size (or abi_minor) covers, and plugins check host->size before
 * calling a service newer than the minor they were built for. */
#define SQUAWK_FILTER_ABI_MAJOR 1
#define SQUAWK_FILTER_ABI_MINOR 0

/* The one exported symbol: its name carries the major, so a plugin built for
 * another major is refused by dlsym() before any field is read. */
#define SQUAWK_FILTER_SYMBOL_(m) squawk_filter_v##m
#define SQUAWK_FILTER_SYMBOL_X_(m) SQUAWK_FILTER_SYMBOL_(m)
#define SQUAWK_FILTER_SYMBOL SQUAWK_FILTER_SYMBOL_X_(SQUAWK_FILTER_ABI_MAJOR)
#define SQUAWK_FILTER_STR_(x) #x
#define SQUAWK_FILTER_STR_X_(x) SQUAWK_FILTER_STR_(x)
#define SQUAWK_FILTER_SYMBOL_NAME SQUAWK_FILTER_STR_X_(SQUAWK_FILTER_SYMBOL)

#if defined(__GNUC__)
#define SQUAWK_FILTER_EXPORT __attribute__((visibility("default")))
#else
#define SQUAWK_FILTER_EXPORT
#endif

/* Declares the descriptor: `SQUAWK_FILTER_DECLARE = { SQUAWK_FILTER_HEADER, .name = ... };` */
#define SQUAWK_FILTER_DECLARE \
    SQUAWK_FILTER_EXPORT const struct squawk_filter SQUAWK_FILTER_SYMBOL
#define SQUAWK_FILTER_HEADER                                                          \
    .abi_major = SQUAWK_FILTER_ABI_MAJOR, .abi_minor = SQUAWK_FILTER_ABI_MINOR,       \
    .size = sizeof(struct squawk_filter)

/* ---- config map: the host checks keys and types and fills the plugin's struct ---- */
enum squawk_cfg_type {
    SQUAWK_CFG_BOOL = 0,   /* int: 0/1; accepts true/false/yes/no/on/off/1/0 */
    SQUAWK_CFG_INT = 1,    /* int64_t */
    SQUAWK_CFG_DOUBLE = 2, /* double */
    SQUAWK_CFG_STRING = 3  /* const char *, owned by the host until destroy */
};

struct squawk_config_entry {
    const char *key;         /* NULL key ends the map */
    int type;                /* enum squawk_cfg_type */
    const char *def;         /* default, written as the user would write it */
    const char *description; /* one line */
    size_t offset;           /* offsetof() into the plugin's config struct */
};

/* ---- what plugins read ---- */
enum squawk_field { SQUAWK_FIELD_HEADLINE = 0, SQUAWK_FIELD_BODY = 1, SQUAWK_FIELD_N = 2 };

enum squawk_stage {
    SQUAWK_STAGE_NONE = 0,
    SQUAWK_STAGE_RUMOUR,
    SQUAWK_STAGE_TALKS,
    SQUAWK_STAGE_AGREED,
    SQUAWK_STAGE_COMPLETED,
    SQUAWK_STAGE_BLOCKED,
    SQUAWK_STAGE_N
};

enum squawk_log_level { SQUAWK_LOG_DEBUG = 0, SQUAWK_LOG_INFO, SQUAWK_LOG_WARN, SQUAWK_LOG_ERROR };

struct squawk_article {
    uint32_t size;
    const char *id;
    const char *text[SQUAWK_FIELD_N]; /* headline, body: NUL-terminated UTF-8 */
    size_t len[SQUAWK_FIELD_N];
    const char *source;
    const char *lang;
    int64_t published_ms; /* INT64_MIN when unknown */
};

/* One rule of a pack (filters/rules/<pack>.yml). */
struct squawk_rule {
    uint32_t size;
    const char *id;
    double weight;
    int field;           /* SQUAWK_FIELD_* or -1 for any */
    const char *comment;
    const char *dir;     /* optional direction hint: "forward", "backward" or "" */
    const char *tag;     /* optional free text the plugin interprets, or "" */
};

/* A rule match: bytes [start, end) of field. */
struct squawk_match {
    uint32_t rule;
    uint32_t field;
    uint32_t start, end;
};

struct squawk_entity {
    uint32_t size;
    const char *name;
    const char *ticker;  /* NULL for unlisted companies and regulators */
    const char *kind;    /* "company" or "regulator" */
    const char *sectors; /* comma-separated */
    const char *country;
};

/* A gazetteer mention. Ambiguous aliases ("Apple") are reported with
 * confirmed=0 unless company context was found; plugins may accept them when
 * one of their trigger rules matched close by. */
struct squawk_mention {
    uint32_t entity; /* index for host->entity() */
    uint32_t field;
    uint32_t start, end;
    uint8_t ambiguous; /* 0 no, 1 ambiguous alias, 2 ambiguous and read as a common noun ("the Amazon") */
    uint8_t confirmed;
};

struct squawk_amount {
    double usd;     /* converted with fixed rates, see filters/amount.c */
    uint32_t field;
    uint32_t start, end;
};

struct squawk_cue {
    int stage; /* enum squawk_stage */
    uint32_t field;
    uint32_t start, end;
    const char *rule;
};

struct squawk_pack;   /* a compiled rule pack, shared by every plugin that opens it */
struct squawk_report; /* what one process() call raises */

/* ---- the services table the host hands to init() ----
 * Valid until destroy(); services that are not tied to an article, pack or
 * report take the table itself as their first argument. */
struct squawk_host {
    uint16_t abi_major, abi_minor;
    uint32_t size;
    void (*log)(const struct squawk_host *h, int level, const char *plugin, const char *msg);

    /* Opens (compiles once, then shares) data_dir/rules/<pack>.yml. */
    int (*pack_open)(const struct squawk_host *h, const char *pack, struct squawk_pack **out, char *err, size_t errlen);
    size_t (*pack_size)(const struct squawk_pack *p);
    const struct squawk_rule *(*pack_rule)(const struct squawk_pack *p, uint32_t i);
    /* Matches of the pack in the article, sorted by (field, start). Scanned
     * once per article; results live until process() returns. */
    int (*pack_scan)(struct squawk_pack *p, const struct squawk_article *a,
                     const struct squawk_match **out, size_t *n);

    /* Gazetteer mentions / amounts / stage cues, sorted by (field, start). */
    int (*mentions)(const struct squawk_article *a, const struct squawk_mention **out, size_t *n);
    /* Indices past the gazetteer are the article's anonymous companies ("<ACME>", "$ACME", "Acme Widgets Inc"), valid until process() returns. */
    const struct squawk_entity *(*entity)(const struct squawk_host *h, uint32_t i);
    /* Entity index by exact name or ticker, or -1. */
    int32_t (*entity_find)(const struct squawk_host *h, const char *name_or_ticker);
    int (*amounts)(const struct squawk_article *a, const struct squawk_amount **out, size_t *n);
    int (*cues)(const struct squawk_article *a, const struct squawk_cue **out, size_t *n);
    const char *(*stage_name)(int stage);

    /* Reporting: begin once, then add; an un-begun report raises nothing. */
    int (*report_begin)(struct squawk_report *r, const char *category, double score, int stage);
    int (*report_entity)(struct squawk_report *r, const char *name, const char *ticker,
                         const char *role, double relevance);
    int (*report_amount)(struct squawk_report *r, double usd, const char *text);
    int (*report_evidence)(struct squawk_report *r, const char *rule, int field, uint32_t start,
                           uint32_t end);
};

/* ---- the descriptor a plugin exports as squawk_filter_v1 ---- */
struct squawk_filter {
    uint16_t abi_major, abi_minor;
    uint32_t size;
    const char *name;        /* also the default alert category */
    const char *version;
    const char *description;
    const struct squawk_config_entry *config; /* NULL-key terminated, may be NULL */
    size_t config_size;                      /* bytes of the plugin's config struct */
    /* config points to the host-filled struct (valid until destroy). Return 0,
     * or non-zero with a message in err. *ctx is the plugin's own state. */
    int (*init)(void **ctx, const void *config, const struct squawk_host *host, char *err,
                size_t errlen);
    /* Return 0; negative is logged and counted, never fatal to the host. */
    int (*process)(void *ctx, const struct squawk_article *a, struct squawk_report *r);
    void (*destroy)(void *ctx);
};

#endif
