/* squawk_filter.h -- the filter plugin ABI: the one header a squawk filter plugin includes. */
#ifndef SQUAWK_FILTER_H
#define SQUAWK_FILTER_H

#include <stddef.h>
#include <stdint.h>

/* Versions with the same major are ABI compatible. Every struct below only
 * grows at the end and carries its size; the host reads only the fields the
 * plugin's size (or abi_minor) covers, and plugins check host->size before
 * calling a service newer than the minor they were built for
 * (SQUAWK_HOST_HAS(h, field)). Arrays the host hands out are read with the
 * element size it reports (host->match_size, ...; SQUAWK_AT), so an element
 * struct can grow too; plugins built for 1.0 get the 1.0 layout.
 *
 * 1.1: SQUAWK_E_* codes; article url and tickers; token-pattern packs
 *      (tpack_open / tpack_size / tpack_rule / tpack_scan, struct squawk_trule
 *      and squawk_tslot); element sizes; article_entity / article_entity_find;
 *      descriptor default_threshold and config_entry_size (the host no longer
 *      reads a config key `threshold`).
 * 1.2: the scoring engine of the built-in filters (engine_open / engine_process /
 *      engine_close, struct squawk_engine_spec): a plugin is its pack, its
 *      roles and its config map; the host tokenises, matches and scores.
 *      The article's tokens (tokens, token_size, struct squawk_token). */
#define SQUAWK_FILTER_ABI_MAJOR 1
#define SQUAWK_FILTER_ABI_MINOR 2

/* What process() and the services return: 0 or one of these (the host's own
 * error table, core/error.h, uses the same numbers). A negative return from
 * process() is logged (rate-limited) and counted per filter in
 * squawk_filter_errors_total; the article is still done (its offset commits)
 * and the other filters still run on it -- a plugin's error never stalls a
 * partition. Whatever the plugin reported before failing is discarded. */
#define SQUAWK_E_NOMEM (-1)    /* out of memory */
#define SQUAWK_E_INVAL (-2)    /* invalid argument */
#define SQUAWK_E_IO (-3)       /* i/o error */
#define SQUAWK_E_NOTFOUND (-4) /* not found */
#define SQUAWK_E_AGAIN (-5)    /* resource temporarily unavailable */
#define SQUAWK_E_TIMEOUT (-6)  /* timed out */
#define SQUAWK_E_NOTIMPL (-7)  /* not implemented */

/* True when the struct *p (a host table, article or descriptor carrying
 * `size`) is large enough to hold field. */
#define SQUAWK_HAS(p, type, field) \
    ((p)->size >= offsetof(type, field) + sizeof(((type *)0)->field))
#define SQUAWK_HOST_HAS(h, field) SQUAWK_HAS(h, struct squawk_host, field)
#define SQUAWK_ARTICLE_HAS(a, field) SQUAWK_HAS(a, struct squawk_article, field)
/* The i-th element of an array whose element size is stride. */
#define SQUAWK_AT(type, base, i, stride) \
    ((const type *)(const void *)((const char *)(base) + (size_t)(i) * (size_t)(stride)))

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
    .size = sizeof(struct squawk_filter),                                             \
    .config_entry_size = sizeof(struct squawk_config_entry)

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
    /* 1.1: the feed's hints (SQUAWK_ARTICLE_HAS(a, n_tickers)) */
    const char *url;             /* "" when absent */
    const char *const *tickers;  /* n_tickers upper-case symbols as the feed sent them */
    size_t n_tickers;
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

/* A rule match: bytes [start, end) of field. Arrays of this and of
 * squawk_mention, _amount and _cue are read with the element sizes in the
 * host table (match_size, ...): `SQUAWK_AT(struct squawk_match, m, i, h->match_size)`. */
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
    uint32_t entity; /* index for host->article_entity() */
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

/* ---- since ABI 1.1: token-pattern packs (detection engine v2, filters/rules/v2/<pack>.yml) ---- */
/* SQUAWK_MARKS_BACKGROUND_SLOTS (since 1.2, appended): context is the companies the hit's slots hold, not the
 * one after the hit ("Goldman Sachs advised Acme": Goldman, not its client) */
enum squawk_marks { SQUAWK_MARKS_NONE, SQUAWK_MARKS_PARTY, SQUAWK_MARKS_AUTHORITY, SQUAWK_MARKS_BACKGROUND,
                    SQUAWK_MARKS_BACKGROUND_SLOTS };
enum squawk_requires { SQUAWK_REQ_NONE, SQUAWK_REQ_PARTY, SQUAWK_REQ_SECTOR, SQUAWK_REQ_SECTOR_OBJECT };

/* One rule of a token-pattern pack: typed fields instead of a free-text tag. */
struct squawk_trule {
    uint32_t size;
    const char *id, *comment;
    double weight;
    int field;                      /* SQUAWK_FIELD_* or -1 for any */
    uint8_t veto, unveto;           /* 0/1 */
    uint8_t marks, requires;        /* enum squawk_marks, enum squawk_requires */
    const char *sector;             /* a hit names a company of this sector, or "" */
    uint32_t n_slots;               /* company slots, in pattern order */
    const char *const *slot_role;   /* [n_slots] the role each slot fills */
    uint32_t n_named;               /* roles: {role: entity} -- a hit names this entity in this role */
    const char *const *named_role, *const *named_entity;
    /* since 1.2 (SQUAWK_HAS(rule, struct squawk_trule, slot_sector)): [n_slots] the sectors a slot's
     * company must have one of ("chip,memory", {COMPANY[chip,memory]:target}), or NULL: any company;
     * the array is NULL when no slot names a sector. The host reports no hit whose sector slot holds
     * a company of another sector (or one found by form only, which has no sectors). A list starting
     * with '!' ("!chip,memory", {COMPANY[!chip,memory]:target}) asks for a company with sectors, none
     * of these, named in a field not written in capitals. */
    const char *const *slot_sector;
    /* since 1.2 (SQUAWK_HAS(rule, struct squawk_trule, caps_body)): a headline rule that says what the
     * article is (an earnings report, an opinion piece, a private settlement): where it matches, the
     * positive evidence of rules matched only in the body is scaled by this factor, in [0, 1); 1: none */
    double caps_body;
    /* since 1.2 (SQUAWK_HAS(rule, struct squawk_trule, slot_lead)): 1 when the first slot can open a
     * match, so its company stands before the rule's words ("{COMPANY:target}? acquired by"); 0 when
     * the rule's words come first ("offer for {COMPANY:target}") */
    uint8_t slot_lead;
    /* since 1.2 (SQUAWK_HAS(rule, struct squawk_trule, lifts)): an unveto's `lifts:` -- the vetoes it
     * lifts where it overlaps them, as indices of the pack's rules (tpack_rule(pack, i); the YAML names
     * them by id, "reg.veto_former_boss_case"); n_lifts 0: every veto it overlaps, as before the key existed */
    uint32_t n_lifts;
    const uint32_t *lifts;
    /* since 1.2 (SQUAWK_HAS(rule, struct squawk_trule, span_sentence)): 1 when the rule's hits run on to the
     * end of their sentence (`span: sentence`), so a hit's end is where its sentence ends, not where its
     * own words do (a company named at the sentence's end is no name the rule's words read) */
    uint8_t span_sentence;
    /* since 1.2 (SQUAWK_HAS(rule, struct squawk_trule, span_clause)): 1 for `span: clause`: the hit is its
     * own words, as `span: match`, and like a sentence veto it says they report no event, so an unveto
     * lifts it only by naming it in `lifts:` ("sold its chip unit to Globex last year": the goods word's
     * unveto reads a business, the date still stands) */
    uint8_t span_clause;
};

/* A filled company slot of a hit: the company's bytes in the hit's field and its role. */
struct squawk_tslot {
    const char *role;
    int32_t entity; /* index for host->article_entity(), or -1 for a company recognised by form only */
    uint32_t start, end;
};

/* ---- since ABI 1.2: the article's tokens, the ones token-pattern packs match ---- */
enum squawk_case {
    SQUAWK_CASE_LOWER, /* "acquires" */
    SQUAWK_CASE_TITLE, /* "Nvidia" */
    SQUAWK_CASE_UPPER, /* "IBM", "U.S." */
    SQUAWK_CASE_MIXED, /* "iPhone", "H100" */
    SQUAWK_CASE_DIGIT, /* "10", "1,200.5" */
    SQUAWK_CASE_PUNCT, /* ".", "$", "-" */
    SQUAWK_CASE_OTHER  /* letters without case */
};
#define SQUAWK_TOK_NUMBER 0x1u     /* digits, with , and . between them */
#define SQUAWK_TOK_CURRENCY 0x2u   /* "$", "US$", the euro sign */
#define SQUAWK_TOK_ABBREV 0x4u     /* "U.S.", "Inc.": the period is part of the token */
#define SQUAWK_TOK_CASHTAG 0x8u    /* "$TSLA" */
#define SQUAWK_TOK_TICKER 0x10u    /* "<ACME>" (a Reuters tag) */
#define SQUAWK_TOK_HYPHEN 0x20u    /* "start-up" */
#define SQUAWK_TOK_SENT_START 0x40u /* first token of its sentence */
#define SQUAWK_TOK_SCALE 0x80u     /* "bn" of "10bn" */

/* One token: bytes [start, end) of field. Read arrays of it with host->token_size (SQUAWK_AT). */
struct squawk_token {
    uint32_t field, start, end;
    uint32_t sentence; /* index in the article, the headline's sentences first */
    const char *norm;  /* lower case, folded (fullwidth, zero-width, curly quotes), NUL-terminated */
    uint16_t flags;    /* SQUAWK_TOK_* */
    uint8_t cls;       /* enum squawk_case */
};

/* ---- since ABI 1.2: the scoring engine (what the built-in filters run), configured by a plugin ----
 * The engine scans the pack (tokens, pattern hits and their filled company
 * slots), gates and sums the evidence, votes the companies into roles, finds
 * amounts and the deal stage near triggers, calibrates the score and reports.
 * Its settings are config keys the plugin declares in its own config map,
 * found by name (bias, headline_bonus, window, lead_bytes, calib_slope, ...:
 * filters/README.md lists them with their types); a key the map does not
 * declare keeps the engine's default. */
#define SQUAWK_ENGINE_ROLES_BY_KIND 1u   /* a regulator of the gazetteer is role_a, a company role_b */
#define SQUAWK_ENGINE_SKIP_REGULATORS 2u /* a regulator never takes a role (investors, suppliers) */

struct squawk_engine_spec {
    uint32_t size;             /* sizeof(struct squawk_engine_spec) */
    const void *config;        /* the config init() received: the host finds the plugin and its config map by it */
    const char *category;      /* of the alerts; NULL: the filter's name */
    const char *role_a, *role_b; /* the two sides: a pattern's slot roles, and a trigger's nearest
                                  * company before it (role_a) and after it (role_b) when no slot names them */
    uint32_t flags;            /* SQUAWK_ENGINE_* */
    /* The plugin's own token-pattern pack: a path relative to the directory of
     * the plugin's .so ("earnings.yml": next to it), or absolute. A non-empty
     * config key `pack` wins: a pack name of data_dir/rules/v2/, or a path. */
    const char *pack;
};

struct squawk_pack;   /* a compiled rule pack, shared by every plugin that opens it */
struct squawk_tpack;  /* a compiled token-pattern pack, shared likewise */
struct squawk_report; /* what one process() call raises */
struct squawk_engine; /* a configured scoring engine (1.2) */

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
    /* 1.0: the entity of a mention, through the article the calling thread
     * is processing. Use article_entity (1.1), which names the article. */
    const struct squawk_entity *(*entity)(const struct squawk_host *h, uint32_t i);
    /* 1.0: entity index by exact name or ticker, or -1; see article_entity_find. */
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

    /* ---- 1.1 (check size: SQUAWK_HOST_HAS) ---- */
    /* Token-pattern packs.
     * Opens (compiles once, then shares) data_dir/rules/v2/<pack>.yml, or a path with a '/'. */
    int (*tpack_open)(const struct squawk_host *h, const char *pack, struct squawk_tpack **out, char *err,
                      size_t errlen);
    size_t (*tpack_size)(const struct squawk_tpack *p);
    const struct squawk_trule *(*tpack_rule)(const struct squawk_tpack *p, uint32_t i);
    /* The pack's hits in the article as matches (byte spans from tokens), sorted by (field, start);
     * hit i's filled slots are slots[slot_off[i] .. slot_off[i + 1]). The article is tokenised
     * once for every pack and plugin; results live until process() returns. */
    int (*tpack_scan)(struct squawk_tpack *p, const struct squawk_article *a, const struct squawk_match **out,
                      size_t *n, const struct squawk_tslot **slots, const uint32_t **slot_off);
    /* Element sizes of the arrays mentions(), amounts(), cues(),
     * pack_scan() and tpack_scan() return: step by these (SQUAWK_AT), never by sizeof. */
    uint32_t match_size, mention_size, amount_size, cue_size;
    /* The entity of index i (squawk_mention.entity) for this article: indices
     * past the gazetteer are the article's anonymous companies ("<ACME>",
     * "$ACME", "Acme Widgets Inc"), valid until process() returns. NULL when
     * out of range. */
    const struct squawk_entity *(*article_entity)(const struct squawk_article *a, uint32_t i);
    /* Entity index by exact name or ticker (the gazetteer's, then the
     * article's anonymous companies once mentions() ran), or -1. */
    int32_t (*article_entity_find)(const struct squawk_article *a, const char *name_or_ticker);

    /* ---- 1.2 (check size: SQUAWK_HOST_HAS(h, engine_close)) ---- */
    /* The scoring engine, configured by spec and the plugin's config (call it
     * from init(); the engine lives until engine_close, from destroy()). On
     * failure err names the pack file, the key or the reason. */
    int (*engine_open)(const struct squawk_host *h, const struct squawk_engine_spec *spec,
                       struct squawk_engine **out, char *err, size_t errlen);
    /* Scores the article and reports into r when a trigger fired (nothing
     * begun otherwise): call it from process(). Thread-safe like process(). */
    int (*engine_process)(struct squawk_engine *e, const struct squawk_article *a, struct squawk_report *r);
    void (*engine_close)(struct squawk_engine *e);
    /* The article's tokens in order (headline, then body), made once per
     * article for every plugin and pack; valid until process() returns. */
    int (*tokens)(const struct squawk_article *a, const struct squawk_token **out, size_t *n);
    uint32_t token_size; /* step through tokens() by it */
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
    /* Return 0, or a SQUAWK_E_* code: logged and counted, never fatal to the
     * host, and the article is done all the same (see SQUAWK_E_NOMEM). */
    int (*process)(void *ctx, const struct squawk_article *a, struct squawk_report *r);
    void (*destroy)(void *ctx);

    /* ---- 1.1 ---- */
    /* The score at/above which a report becomes an alert, 0-100, unless the
     * deployment sets `threshold:` for the filter. A plugin that filters its
     * own reports leaves it 0. (1.0 plugins: the host reads their config key
     * `threshold`, else 50.) */
    double default_threshold;
    /* sizeof(struct squawk_config_entry) as the plugin was built: the host
     * steps through config[] by it (SQUAWK_FILTER_HEADER sets it). */
    uint32_t config_entry_size;
};

#endif
