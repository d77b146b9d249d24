/* detect.h -- the scoring engine the built-in plugins share; depends only on squawk_filter.h. */
#ifndef FILTER_DETECT_H
#define FILTER_DETECT_H

#include <stddef.h>
#include <stdint.h>
#include "squawk_filter.h"

/* Every built-in plugin's config struct starts with this, so one config map
 * prefix (DETECT_CONFIG_ENTRIES) serves all three. */
struct detect_config {
    double bias;           /* logistic midpoint: evidence sum that scores 50 */
    double headline_bonus; /* added once when a trigger is in the headline */
    double entity_bonus;   /* added per filled role (max two) */
    double amount_bonus;   /* added when a money amount is near a trigger */
    double stage_bonus;    /* added when a deal stage cue is near a trigger */
    int64_t window;        /* bytes around a trigger where entities/amounts/cues count */
    int64_t max_entities;  /* entities reported per alert */
    int64_t lead_bytes;    /* body matches past this offset are "in passing" */
    double tail_factor;    /* weight factor for matches in passing */
    const char *pack;      /* rule pack name: data_dir/rules/<pack>.yml */
    double regulator_weight; /* a regulator named in the headline (lead: half) is itself a trigger */
    const char *sectors;   /* comma list: an entity of these sectors near a trigger adds sector_bonus */
    double sector_bonus;
    double head_min_weight; /* chips: headline rules lighter than this earn no headline_bonus */
    double body_only_factor; /* invest: rule evidence factor when no trigger is in the headline (0 = 1) */
    double short_body;       /* a body of at most this many bytes is a standfirst: body_only_factor skips it (0: none) */
    double trigger_min_weight; /* chips: an alert needs a rule at least this heavy (0 = any); vocabulary alone is no event */
    double lead_bonus;     /* regulatory: no headline trigger, but a lead sentence names an authority, a strong trigger and a company (0 = off) */
    double wire_lead;      /* invest: 1 = under a capitals headline with no trigger and no negative rule, a body whose first sentence holds a trigger of head_min_weight and a company is read as the headline (0 = off) */
    /* Calibration: the file (calib.c; tools/calibrate.py fits it on the tuning
     * sets) beside the pack, "" = none; calib_slope != 0 instead scores
     * 100 * sigmoid(calib_slope * (S - bias) + calib_intercept) (Platt). With
     * neither the score is the raw evidence curve 100 * sigmoid(S - bias). */
    const char *calibration;
    double calib_slope;
    double calib_intercept;
    const char *engine;    /* "v1": rules/<pack>.yml (regexes); "v2": rules/v2/<pack>.yml (token patterns); NULL = v1 */
    /* The learned rescoring (rescore.c): a model file of squawk train
     * --filter beside the pack (or a path); "" = the rules' score */
    const char *model;
    /* The model scores only articles whose rules' score reaches model_gate
     * (the rules' own threshold): it confirms or drops their alerts and
     * never raises one they left below it. 0 = every article a rule fired on. */
    double model_gate;
    /* chips: a company named neither in the headline nor in the body's first lead_bytes takes no
     * party role (mentioned, no topic): a deal names its parties up front, and the companies
     * further down are its market, rivals and earlier deals. A mention as context ("challenge
     * Microsoft's lead", "Nvidia-backed") names no party up front. 0 = off. */
    double party_in_lead;
    /* invest: the route (roles, relevance, topics) passes over context names ("its rival X", a former
     * employer) to the next name, and takes no name past a clause break after a trigger (", which",
     * "after", a dash) or in an aside about the subject before it; the evidence (role and sector
     * bonus) still counts every name next to a trigger. 0 = off: the route is the evidence's votes. */
    double route_clauses;
    /* regulatory: where no company is the subject, the one company the headline names is, with
     * this route vote (topics only). 0 = off. */
    double headline_subject;
    /* invest: a company takes one side of a deal: another mention of a company that fills role_a in
     * the sentence fills no role_b ("Salesforce agrees to buy Informatica", where the gazetteer maps
     * the since-acquired Informatica to Salesforce), and a name glued to "-led" ("a CVC-led group")
     * is role_a. 0 = off (chips: "Amazon reserves capacity for AWS" names Amazon the customer of its
     * own cloud). */
    double one_side;
    /* regulatory: a hit that starts inside a company's name, with no slot holding the company, counts
     * for nothing ("US Bancorp investors sue": no act of the US). 0 = off (chips reads names: "Aligned
     * Data Centers raises"). */
    double name_starts;
    /* invest: a hit lying wholly inside a company's name, no slot holding it, counts for nothing: the
     * deal noun of a SPAC's name ("Digital World Acquisition Corp boomed") names no deal. Weaker than
     * name_starts, which would also drop "Berkshire Partners to invest in" (its first words in the name). */
    double name_inside;
    /* invest: the company that opens the headline and takes a side there from a trigger, no context
     * name, is a party however often the body names it as context -- its own earlier deals ("Cisco
     * to buy Splinter" over "follows Cisco's purchase of Splunk last year") or its feed ticker tag --
     * unless the text names it as a person's former employer. 0 = off. */
    double headline_party;
    /* chips: the company's side when the words give none ("OpenAI signs cloud deal with Amazon"):
     * groups of sectors split by ';', strongest first; of the companies no rule gave a side, those
     * of the strongest group any of them is in take role_a (the supplier), the rest role_b.
     * "" = off: every such company takes role_b. */
    const char *role_a_sectors;
};

#define DETECT_CONFIG_ENTRIES(T, BIAS, TAIL, PACK) DETECT_CONFIG_ENTRIES_HB(T, BIAS, TAIL, PACK, "1.5")

/* The same, with the plugin's own headline_bonus default. */
#define DETECT_CONFIG_ENTRIES_HB(T, BIAS, TAIL, PACK, HB) DETECT_CONFIG_ENTRIES_LEAD(T, BIAS, TAIL, PACK, HB, "600")
/* The same, with the plugin's own headline_bonus and lead_bytes defaults. */
#define DETECT_CONFIG_ENTRIES_LEAD(T, BIAS, TAIL, PACK, HB, LEAD)                                    \
    DETECT_CONFIG_ENTRIES_ENGINE(T, BIAS, TAIL, PACK, HB, LEAD, "v1")
/* The same, with the plugin's own rule engine default ("v1" or "v2"). */
#define DETECT_CONFIG_ENTRIES_ENGINE(T, BIAS, TAIL, PACK, HB, LEAD, ENGINE)                          \
    {"engine", SQUAWK_CFG_STRING, ENGINE,                                                      \
     "rule engine: v1 (rules/<pack>.yml, regexes) or v2 (rules/v2/<pack>.yml, token patterns)", \
     offsetof(T, base.engine)},                                                                \
    {"bias", SQUAWK_CFG_DOUBLE, BIAS, "evidence sum that scores 50 (logistic midpoint)",       \
     offsetof(T, base.bias)},                                                                  \
    {"headline_bonus", SQUAWK_CFG_DOUBLE, HB, "added when a trigger is in the headline",        \
     offsetof(T, base.headline_bonus)},                                                        \
    {"entity_bonus", SQUAWK_CFG_DOUBLE, "1.0", "added per filled role (max two)",              \
     offsetof(T, base.entity_bonus)},                                                          \
    {"amount_bonus", SQUAWK_CFG_DOUBLE, "1.0", "added when an amount is near a trigger",       \
     offsetof(T, base.amount_bonus)},                                                          \
    {"stage_bonus", SQUAWK_CFG_DOUBLE, "0.5", "added when a stage cue is near a trigger",      \
     offsetof(T, base.stage_bonus)},                                                           \
    {"window", SQUAWK_CFG_INT, "200", "bytes around a trigger where entities/amounts count",   \
     offsetof(T, base.window)},                                                                \
    {"max_entities", SQUAWK_CFG_INT, "6", "entities reported per alert",                       \
     offsetof(T, base.max_entities)},                                                          \
    {"lead_bytes", SQUAWK_CFG_INT, LEAD, "body bytes that count as the lead",                 \
     offsetof(T, base.lead_bytes)},                                                            \
    {"tail_factor", SQUAWK_CFG_DOUBLE, TAIL, "weight factor for matches after the lead",      \
     offsetof(T, base.tail_factor)},                                                           \
    {"pack", SQUAWK_CFG_STRING, PACK, "rule pack (data_dir/rules/<pack>.yml)",                 \
     offsetof(T, base.pack)}

/* The calibration keys with a plugin's file (FILE, "" = none: tools/calibrate.py writes it). */
#define DETECT_CONFIG_CALIBRATION(T, FILE)                                                      \
    {"calibration", SQUAWK_CFG_STRING, FILE,                                                   \
     "score calibration file (tools/calibrate.py) beside the pack, or a path; \"\" = none",     \
     offsetof(T, base.calibration)},                                                           \
    {"calib_slope", SQUAWK_CFG_DOUBLE, "0",                                                    \
     "Platt calibration on the evidence logit instead of the file's rules map (0 = off)",      \
     offsetof(T, base.calib_slope)},                                                           \
    {"calib_intercept", SQUAWK_CFG_DOUBLE, "0", "Platt calibration: intercept (see calib_slope)", \
     offsetof(T, base.calib_intercept)}
/* The learned rescoring's model key with a plugin's shipped model (DEF, "" = none). */
#define DETECT_CONFIG_MODEL(T, DEF, GATE)                                                       \
    {"model", SQUAWK_CFG_STRING, DEF,                                                          \
     "learned rescoring: model file (squawk train --filter) beside the pack, or a path; \"\" = rules only", \
     offsetof(T, base.model)},                                                                 \
    {"model_gate", SQUAWK_CFG_DOUBLE, GATE,                                                    \
     "learned rescoring: the rules' score an article needs before the model scores it (0 = any rule)", \
     offsetof(T, base.model_gate)}
/* One more double key of struct detect_config in a plugin's config map T
 * (a struct whose first member is `base`): the key is the field's name. */
#define DETECT_CONFIG_DOUBLE(T, KEY, DEF, DOC) {#KEY, SQUAWK_CFG_DOUBLE, DEF, DOC, offsetof(T, base.KEY)}

/* What differs between detectors. */
struct detect_spec {
    const char *category;
    const char *role_a, *role_b;  /* forward rule: entity before = a, after = b */
    int roles_by_kind;            /* regulatory: regulator kind -> a, company -> b */
    int skip_regulators;          /* regulators are never investors/suppliers */
};

#define DETECT_MAX_RULES 512 /* rules per pack */

/* What a rule's tag asks of the engine, decided once when the pack opens so
 * the per-article loops compare small integers, not strings. */
enum detect_tag {
    DETECT_TAG_NONE,          /* no tag: a plain trigger or negative */
    DETECT_TAG_VETO,          /* veto: overlapped triggers count for nothing */
    DETECT_TAG_UNVETO,        /* unveto: lifts the vetoes it overlaps */
    DETECT_TAG_PARTY,         /* party: names a company/industry for requires=party */
    DETECT_TAG_AUTHORITY,     /* authority: names an authority for lead_bonus */
    DETECT_TAG_REQ_PARTY,     /* requires=party */
    DETECT_TAG_REQ_SECTOR,    /* requires=sector */
    DETECT_TAG_REQ_SECTOR_OBJ, /* requires=sector_object */
    DETECT_TAG_SECTOR,        /* sector=<what>: names a sector company */
    DETECT_TAG_BACKGROUND,    /* background: the company named right after is context (a rival, a former employer) */
    DETECT_TAG_OTHER          /* role=<ticker> and the like: read where used */
};

/* A rule as the stages read it, from either engine's pack. */
struct detect_rule {
    const char *id;
    double weight;
    signed char dir;   /* +1 forward: the company before is role_a, after role_b; -1 backward; 0 near votes */
    unsigned char x_first; /* v2: the first slot is the pack's further role: its side's proximity vote is that role */
    unsigned char tag; /* enum detect_tag */
    const struct squawk_rule *v1;  /* the regex pack's rule (engine v1), else NULL */
    const struct squawk_trule *v2; /* the token-pattern pack's rule (engine v2), else NULL */
    double caps_body;  /* a headline hit scales the positive evidence of body-only rules by this (1: none) */
};

/* A monotone calibration map (calib.c reads it from a file): points (x[i],
 * z[i] = logit of p) with x increasing and z never decreasing; between them
 * z is interpolated, beyond them the end segments go on (two points: Platt). */
struct detect_calib {
    size_t n; /* 0: no map */
    const double *x, *z;
};

/* The probability at x (n == 0: sigmoid(x)). */
double detect_calib_apply(const struct detect_calib *m, double x);

struct detect {
    const struct squawk_host *host;
    struct squawk_pack *pack;   /* engine v1 */
    struct squawk_tpack *tpack; /* engine v2 */
    size_t n_rules;
    struct detect_rule rules[DETECT_MAX_RULES];
    struct detect_config cfg;
    struct detect_spec spec;
    struct detect_calib calib; /* the rules' map (the engine sets it after detect_init), n 0: none */
    /* A v2 pack's role beside role_a and role_b (invest: seller), or NULL: a company in it is on
     * role_b's side (the deal's other party) for the evidence and the route, and takes its name
     * when most of its role_b votes are for it. */
    const char *role_x;
    char name[32];
};

/* Limits that, when reached, are counted (per plugin .so) and logged through host->log. */
enum detect_cap {
    DETECT_CAP_TRIGGERS, /* an article with more triggers than cast role votes */
    DETECT_CAP_EVIDENCE, /* an alert with more evidence spans than it reports */
    DETECT_CAP_ENTITIES, /* the entity table is full (sized so it never is) */
    DETECT_CAP_N
};

/* How often cap c was reached since the plugin was loaded. */
uint64_t detect_cap_count(enum detect_cap c);

int detect_init(struct detect *d, const struct detect_spec *spec, const struct detect_config *cfg,
                const struct squawk_host *host, const char *plugin, char *err, size_t errlen);
int detect_process(struct detect *d, const struct squawk_article *a, struct squawk_report *r);

/* What the engine saw in one article (detect_process_trace), for the learned
 * rescoring stage (rescore.c): its matches and their fate, the evidence sum
 * and its parts. Valid only inside the score hook. */
enum detect_fate { DETECT_LIVE, DETECT_VETOED, DETECT_GATED };
struct detect_trace {
    /* set by the caller: called once per article (no match: a trace of none), with the
     * evidence complete: rules_score is what the engine would report, or -1
     * when no trigger fired; returns the score to report (negative: nothing) */
    double (*score)(void *u, const struct detect_trace *t, double rules_score);
    void *u;
    /* filled by the engine */
    const struct detect *d;
    const struct squawk_match *ms;
    size_t n_ms;
    const unsigned char *vetoed, *skip_rule;
    double S;                 /* the evidence sum (0 when no trigger fired) */
    int pos_trigger, head_trigger;
    int roles;                /* roles filled (0..2) */
    int amount;               /* an amount near a trigger */
    int stage;                /* SQUAWK_STAGE_* */
};

/* detect_process with t's score hook deciding the score (t NULL: the rules'). */
int detect_process_trace(struct detect *d, const struct squawk_article *a, struct squawk_report *r,
                         struct detect_trace *t);
/* Match i of the trace: its rule's id (NULL: not a rule of the pack), field and fate. */
const char *detect_trace_match(const struct detect_trace *t, size_t i, uint32_t *field, int *fate);

#endif
