/* tpat.h -- token-pattern rule packs (detection engine v2): lexicons, macros, rules with company slots, compiled once, matched per article. */
#ifndef FILTER_TPAT_H
#define FILTER_TPAT_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"
#include "squawk_filter.h"
#include "token.h"

typedef struct tpat_pack tpat_pack;

/* The most rules one pack may hold (the matcher keeps a rule id in 16 bits); more is a load error. */
#define TPAT_MAX_RULES 65535

/* Load problems, one "file:line: reason" per entry; a load that fails has at least one. */
typedef struct tpat_diag {
    char **v;
    size_t n, cap;
} tpat_diag;

SQ_API void tpat_diag_free(tpat_diag *d);

enum tpat_field { TPAT_FIELD_ANY, TPAT_FIELD_HEADLINE, TPAT_FIELD_BODY };
enum tpat_scope { TPAT_SCOPE_SENTENCE, TPAT_SCOPE_FIELD };
enum tpat_span { TPAT_SPAN_MATCH, TPAT_SPAN_SENTENCE, TPAT_SPAN_CLAUSE };
enum tpat_marks { TPAT_MARKS_NONE, TPAT_MARKS_PARTY, TPAT_MARKS_AUTHORITY, TPAT_MARKS_BACKGROUND, TPAT_MARKS_BACKGROUND_SLOTS };
enum tpat_requires { TPAT_REQ_NONE, TPAT_REQ_PARTY, TPAT_REQ_SECTOR, TPAT_REQ_SECTOR_OBJECT };

/* A rule's typed fields, as loaded (see filters/README.md, "Token-pattern packs"). */
struct tpat_rule {
    const char *id, *comment, *pattern;
    size_t line;
    double weight;
    uint8_t field, scope, span, marks, requires; /* the enums above */
    uint8_t veto, unveto;
    uint8_t whole_words;   /* word_parts: false -- words never match the last part of a hyphenated word */
    const char *sector;    /* names a company of this sector ("" when not) */
    uint32_t n_slots;      /* company slots in the pattern */
    const uint16_t *slot_role; /* role index per slot */
    const char *const *slot_sector; /* per slot: the sectors its company must have one of ("chip,memory"),
                                     * none of ("!chip,memory"), or NULL for any company; NULL when no slot
                                     * requires one */
    uint32_t n_named;      /* roles: {role: entity}: the match names this entity in this role */
    const uint16_t *named_role;
    const char *const *named_entity;
    double caps_body;      /* caps_body: F -- a headline hit scales the body's positive evidence by F (1: none) */
    uint8_t slot_lead;     /* the first slot can open a match ("{COMPANY:target}? acquired by"): its company
                            * stands before the rule's words; 0: it follows them ("offer for {COMPANY:target}") */
    uint32_t n_lifts;      /* lifts: [ids] -- an unveto lifts only these vetoes (0: every veto it overlaps) */
    const uint32_t *lifts; /* their rule indices, resolved once the pack is read */
};

/* Loads a pack; on failure returns SQ_E_RULES (SQ_E_IO for an unreadable file) and
 * appends every problem found to diag (diag may be NULL). */
SQ_API int tpat_load(tpat_pack **out, const char *path, tpat_diag *diag);
/* The same from memory; name stands for the file in messages. */
SQ_API int tpat_load_buf(tpat_pack **out, const char *name, const char *buf, size_t len, tpat_diag *diag);
SQ_API void tpat_destroy(tpat_pack *p);
SQ_API const char *tpat_name(const tpat_pack *p);
SQ_API size_t tpat_size(const tpat_pack *p);
SQ_API const struct tpat_rule *tpat_rule_at(const tpat_pack *p, uint32_t i);
SQ_API size_t tpat_n_roles(const tpat_pack *p);
SQ_API const char *tpat_role_name(const tpat_pack *p, uint32_t role);
SQ_API size_t tpat_n_lexicons(const tpat_pack *p);
/* Rule index by id, or -1. */
SQ_API int32_t tpat_find(const tpat_pack *p, const char *id);

/* How a company mention was recognised. */
enum tpat_source {
    TPAT_SRC_GAZETTEER,
    TPAT_SRC_SUFFIX,
    TPAT_SRC_CASHTAG,
    TPAT_SRC_TICKER,
    TPAT_SRC_DESCRIPTOR,
    TPAT_SRC_COMPOUND, /* after "Nvidia-backed", "London-based" (companies: compounds) */
    TPAT_SRC_UNIT,     /* "Alphabet's Waymo unit" (companies: units) */
    TPAT_SRC_SHORT     /* a company found by form, named again ("Nscale" or "Nscale Ltd" after "Nscale Ltd") */
};

struct tpat_company {
    uint32_t tok_start, tok_end; /* tokens [start, end) */
    int32_t entity;              /* the gazetteer mention's entity, or -1 for a company found by form */
    uint8_t source;              /* enum tpat_source */
};

struct tpat_slot {
    uint16_t role;
    uint16_t index;   /* the slot's place in the pattern (tpat_rule.slot_role, slot_sector) */
    uint32_t company; /* index into tpat_result.companies */
};

struct tpat_hit {
    uint32_t rule;
    uint32_t field, sent;
    uint32_t tok_start, tok_end; /* tokens [start, end) */
    uint32_t start, end;         /* bytes of the field; span: sentence runs end to the sentence's end */
    uint32_t slot, n_slots;      /* tpat_result.slots[slot .. slot + n_slots) */
};

/* The matches of one article; reused across articles. */
typedef struct tpat_result {
    struct tpat_hit *hits;
    size_t n_hits, cap_hits;
    struct tpat_slot *slots;
    size_t n_slots, cap_slots;
    struct tpat_company *companies;
    size_t n_companies, cap_companies;
    uint64_t max_steps; /* matcher steps per article; 0 = TPAT_DEFAULT_STEPS */
    uint64_t steps;     /* used by the last match */
    size_t n_limited;   /* (rule, sentence) pairs not finished because max_steps ran out */
    void *scratch;      /* the matcher's per-token arrays */
    uint8_t gate;       /* in: 1 -- where no rule of positive weight matches, match nothing else (no hits) */
    /* in: where set, a slot whose rule asks for sectors ({COMPANY[chip]:role}) takes only a company this
     * accepts, tested while matching, so a later alternative of the rule is tried when it refuses */
    int (*slot_ok)(void *ctx, uint32_t rule, uint32_t slot, const struct tpat_company *c);
    void *slot_ctx;
} tpat_result;

#define TPAT_DEFAULT_STEPS (UINT64_C(1) << 26)

/* A host's vocabulary: the words of every pack added to it, so that an article's tokens are
 * looked up once for all packs (tpat_vocab.c). Add packs before matching articles with it. */
typedef struct tpat_vocab tpat_vocab;

/* Per token of one article: its word id in a vocabulary, the id of its form without an
 * abbreviation's period, and of a hyphenated word's last part (-1: none); reused across articles. */
typedef struct tpat_ids {
    const tpat_vocab *v;
    int32_t *word, *abbr, *tail;
    size_t n, cap;
} tpat_ids;

SQ_API int tpat_vocab_create(tpat_vocab **out);
SQ_API void tpat_vocab_destroy(tpat_vocab *v);
SQ_API size_t tpat_vocab_size(const tpat_vocab *v);
/* Adds the pack's words and gives the pack its map (a pack belongs to the vocabulary it was added
 * to last). 0 or SQ_E_NOMEM. */
SQ_API int tpat_vocab_add(tpat_vocab *v, tpat_pack *p);
/* The ids of d's tokens; 0 or SQ_E_NOMEM. */
SQ_API int tpat_vocab_ids(const tpat_vocab *v, const tok_doc *d, tpat_ids *ids);
SQ_API void tpat_ids_free(tpat_ids *ids);

SQ_API void tpat_result_init(tpat_result *r);
SQ_API void tpat_result_free(tpat_result *r);
/* Matches every rule over the tokens of one article. text[] is what d was made from;
 * men are gazetteer mentions (byte spans, may be NULL): confirmed ones and ambiguous
 * ones not read as common nouns fill company slots, and win over companies found by
 * form. Hits come sorted by (field, token start, rule). 0 or SQ_E_NOMEM. */
SQ_API int tpat_match(const tpat_pack *p, const tok_doc *d, const char *const text[2],
                      const struct squawk_mention *men, size_t n_men, tpat_result *r);
/* The same with d's ids in the vocabulary p was added to (ids of another vocabulary, or NULL:
 * the pack looks the tokens up itself). The same matches. */
SQ_API int tpat_match_ids(const tpat_pack *p, const tok_doc *d, const tpat_ids *ids, const char *const text[2],
                          const struct squawk_mention *men, size_t n_men, tpat_result *r);

#endif
