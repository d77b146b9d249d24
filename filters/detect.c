/* detect.c -- the scoring engine the built-in plugins share; depends only on squawk_filter.h.
 *
 * Score (0-100) = 100 * calib(S - bias), where calib is the filter's calibration map
 * (calib.c, fitted by tools/calibrate.py so the score is a probability x 100; none:
 * the logistic curve) and the evidence sum S is
 *   sum over matched rules of weight * f * (1 + 0.25 * min(repeats, 3))   (negative rules count once)
 *   where f = 1 when the rule matched in the headline or the body's first lead_bytes, else tail_factor
 * + headline_bonus   when a positive trigger of weight >= head_min_weight is in the headline
 * + entity_bonus     for each role filled (role_a, role_b: at most two); one when no
 *                    role is filled but an entity is near an undirected trigger
 * + amount_bonus     when a money amount lies within `window` bytes of a trigger
 * + stage_bonus      when a stage cue (talks, agreed, ...) lies within `window` of a trigger
 * + regulator_weight when a regulator is named in the headline (half in the lead; regulatory only)
 * + sector_bonus     when an entity of the configured sectors is near a trigger (chips only)
 * No alert without a positive rule of weight >= trigger_min_weight (chips: words such as
 * "GPU" or "data centre" describe a story's subject, not an event).
 * Uncalibrated, S == bias scores 50 and each extra unit of evidence moves the score
 * along the logistic curve; the calibration is monotone, so a threshold still reads
 * as "how much evidence".
 *
 * Roles: for each trigger, the nearest entity before it and after it in the
 * same sentence vote by the rule's dir (forward: before = role_a, after =
 * role_b; backward: the reverse); rules without dir give a "near" vote; a rule
 * tag "role=<ticker>" votes for a named entity (a product names its maker).
 * An entity's role is its larger vote; relevance grows with its votes,
 * headline presence and mentions.
 *
 * Stages (detect_process runs them in order over one struct detect_run, whose
 * per-match, per-mention and per-entity arrays are sized for the article):
 *   1. gate              requires=sector / sector_object / party, veto and unveto -> skip_rule[], vetoed[]
 *   2. evidence_sum      rule weights, position factors, repeats, regulator, headline and lead bonus -> detect_sum
 *   3. accept_mentions   confirmed mentions, ambiguous ones next to a trigger, background marks -> ok[], accs[]
 *   4. role_votes        per trigger (at most DETECT_MAX_TRIGGERS): dir, kind, near and tag votes -> accs[]
 *   5. rank_entities     relevance and the role bonus; sector_party the sector bonus
 *   6. amounts_near      amounts near a trigger (one per value); stage_vote the stage from cues
 *   7. calibrated        the score from S
 *   8. run_report        entities, amounts, evidence (at most DETECT_MAX_EVIDENCE spans)
 * A limit that is reached is counted (detect_cap_count) and logged through host->log. */
#include "detect.h"
#include "token.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DETECT_MAX_TRIGGERS 512 /* triggers that cast role votes: bounds triggers x mentions */
#define DETECT_MAX_EVIDENCE 10  /* evidence spans per alert */
#define DETECT_STACK_BYTES 24576 /* an article's run fits here; larger ones take one heap block */
#define DETECT_STR_(x) #x
#define DETECT_STR(x) DETECT_STR_(x)
#define MEN_CONTEXT 2 /* ok[] bit: the mention names the company as context (rival, former employer, a word) */

/* A v1 rule's free-text tag as an enum, decided once when the pack opens so the
 * per-article loops compare small integers, not strings. */
static enum detect_tag tag_v1(const char *t)
{
    static const struct {
        const char *tag;
        enum detect_tag kind;
    } known[] = {{"veto", DETECT_TAG_VETO},
                 {"unveto", DETECT_TAG_UNVETO},
                 {"party", DETECT_TAG_PARTY},
                 {"authority", DETECT_TAG_AUTHORITY},
                 {"background", DETECT_TAG_BACKGROUND},
                 {"requires=party", DETECT_TAG_REQ_PARTY},
                 {"requires=sector", DETECT_TAG_REQ_SECTOR},
                 {"requires=sector_object", DETECT_TAG_REQ_SECTOR_OBJ}};
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        if (strcmp(t, known[k].tag) == 0) return known[k].kind;
    return !*t ? DETECT_TAG_NONE : strncmp(t, "sector=", 7) == 0 ? DETECT_TAG_SECTOR : DETECT_TAG_OTHER;
}

/* A v2 rule's typed fields as the same enum (one per rule, as a v1 tag). */
static enum detect_tag tag_v2(const struct squawk_trule *r)
{
    static const unsigned char marks[] = {DETECT_TAG_NONE, DETECT_TAG_PARTY, DETECT_TAG_AUTHORITY,
                                          DETECT_TAG_BACKGROUND, DETECT_TAG_BACKGROUND},
                               reqs[] = {DETECT_TAG_NONE, DETECT_TAG_REQ_PARTY, DETECT_TAG_REQ_SECTOR,
                                         DETECT_TAG_REQ_SECTOR_OBJ};
    if (r->veto) return DETECT_TAG_VETO;
    if (r->unveto) return DETECT_TAG_UNVETO;
    if (r->marks && r->marks < sizeof marks) return (enum detect_tag)marks[r->marks];
    if (r->requires && r->requires < sizeof reqs) return (enum detect_tag)reqs[r->requires];
    if (r->sector && *r->sector) return DETECT_TAG_SECTOR;
    return r->n_named ? DETECT_TAG_OTHER : DETECT_TAG_NONE;
}

/* The vote side of a role name: role_a 'a', role_b 'b', the further role 'x', another 'n' (near). */
static int role_side(const struct detect *d, const char *role, size_t len)
{
    const struct detect_spec *sp = &d->spec;
    return strlen(sp->role_a) == len && strncmp(role, sp->role_a, len) == 0   ? 'a'
           : strlen(sp->role_b) == len && strncmp(role, sp->role_b, len) == 0 ? 'b'
           : d->role_x && strlen(d->role_x) == len && strncmp(role, d->role_x, len) == 0 ? 'x' : 'n';
}

/* A v2 rule's fallback direction (1: the company before its words is role_a, -1: role_b), from
 * its first slot: the company before the words when the slot can open a match, else the one after.
 * The further role (role_x) stands on role_b's side. */
static signed char dir_v2(const struct detect *d, const struct squawk_trule *r)
{
    if (!r->n_slots) return 0;
    int side = role_side(d, r->slot_role[0], strlen(r->slot_role[0]));
    signed char dd = side == 'a' ? 1 : side == 'n' ? 0 : -1;
    int lead = SQUAWK_HAS(r, struct squawk_trule, slot_lead) ? r->slot_lead : 1;
    return lead ? dd : (signed char)-dd;
}

/* The pack's further role (role_x): the one role its slots and named roles use beside the spec's
 * two; two such roles are a load error, as the engine has one more side to report. */
static int further_role(struct detect *d, const struct squawk_trule *t, char *err, size_t errlen)
{
    for (uint32_t k = 0; k < t->n_slots + t->n_named; k++) {
        const char *role = k < t->n_slots ? t->slot_role[k] : t->named_role[k - t->n_slots];
        if (d->spec.roles_by_kind || role_side(d, role, strlen(role)) != 'n') continue;
        if (d->role_x) {
            snprintf(err, errlen, "rule pack %s: rule %s names role '%s' beside %s, %s and %s: one further role at most",
                     d->cfg.pack, t->id, role, d->spec.role_a, d->spec.role_b, d->role_x);
            return -1;
        }
        d->role_x = role;
    }
    return 0;
}

/* Opens the engine's pack and reads its rules into d->rules. */
static int open_rules(struct detect *d, const struct squawk_host *host, char *err, size_t errlen)
{
    const struct detect_config *cfg = &d->cfg;
    int v2 = cfg->engine && strcmp(cfg->engine, "v2") == 0;
    if (cfg->engine && *cfg->engine && !v2 && strcmp(cfg->engine, "v1") != 0) {
        snprintf(err, errlen, "config key 'engine' must be v1 or v2, not '%s'", cfg->engine);
        return -1;
    }
    if (v2 && host->size < offsetof(struct squawk_host, tpack_scan) + sizeof host->tpack_scan) {
        snprintf(err, errlen, "engine v2 needs filter ABI 1.1 (host services table of %u bytes)", host->size);
        return -1;
    }
    if (v2 ? host->tpack_open(host, cfg->pack, &d->tpack, err, errlen) : host->pack_open(host, cfg->pack, &d->pack, err, errlen))
        return -1;
    d->n_rules = v2 ? host->tpack_size(d->tpack) : host->pack_size(d->pack);
    if (d->n_rules > DETECT_MAX_RULES) {
        snprintf(err, errlen, "rule pack %s has more than %d rules", cfg->pack, DETECT_MAX_RULES);
        return -1;
    }
    for (uint32_t i = 0; v2 && i < d->n_rules; i++)
        if (further_role(d, host->tpack_rule(d->tpack, i), err, errlen)) return -1;
    for (uint32_t i = 0; i < d->n_rules; i++) {
        struct detect_rule *r = &d->rules[i];
        if (v2) {
            const struct squawk_trule *t = host->tpack_rule(d->tpack, i);
            double cap = SQUAWK_HAS(t, struct squawk_trule, caps_body) ? t->caps_body : 1.0;
            int xf = t->n_slots && role_side(d, t->slot_role[0], strlen(t->slot_role[0])) == 'x';
            *r = (struct detect_rule){t->id, t->weight, dir_v2(d, t), (unsigned char)xf, (unsigned char)tag_v2(t), NULL, t, cap};
        } else {
            const struct squawk_rule *t = host->pack_rule(d->pack, i);
            signed char dir = strcmp(t->dir, "forward") == 0 ? 1 : *t->dir ? -1 : 0;
            *r = (struct detect_rule){t->id, t->weight, dir, 0, (unsigned char)tag_v1(t->tag), t, NULL, 1.0};
        }
    }
    return 0;
}

int detect_init(struct detect *d, const struct detect_spec *spec, const struct detect_config *cfg,
                const struct squawk_host *host, const char *plugin, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->host = host;
    d->spec = *spec;
    d->cfg = *cfg;
    snprintf(d->name, sizeof d->name, "%s", plugin);
    if (host->size < offsetof(struct squawk_host, report_evidence) + sizeof host->report_evidence) {
        snprintf(err, errlen, "host services table too small (%u bytes)", host->size);
        return -1;
    }
    if (!cfg->pack || !*cfg->pack) {
        snprintf(err, errlen, "config key 'pack' is empty");
        return -1;
    }
    if (cfg->window <= 0 || cfg->max_entities <= 0) {
        snprintf(err, errlen, "config keys 'window' and 'max_entities' must be positive");
        return -1;
    }
    return open_rules(d, host, err, errlen);
}

/* The tag kind of a match's rule; none for an index outside the pack. */
static enum detect_tag tag_of(const struct detect *d, uint32_t rule)
{
    return rule < d->n_rules ? (enum detect_tag)d->rules[rule].tag : DETECT_TAG_NONE;
}

static int is_abbrev(const char *s, size_t dot)
{
    static const char *const ab[] = {"Inc", "Corp", "Co", "Ltd", "Mr", "Ms", "Mrs", "Dr", "St",
                                     "Jr", "No", "U.S", "U.K", "vs", "Bros", "Cos", "Mt", NULL};
    for (size_t k = 0; ab[k]; k++) {
        size_t n = strlen(ab[k]);
        if (dot >= n && strncmp(s + dot - n, ab[k], n) == 0 &&
            (dot == n || s[dot - n - 1] == ' ' || s[dot - n - 1] == '('))
            return 1;
    }
    /* single capital initial: "J. P." */
    return dot >= 1 && s[dot - 1] >= 'A' && s[dot - 1] <= 'Z' && (dot == 1 || s[dot - 2] == ' ' || s[dot - 2] == '.');
}

static int is_boundary(const char *s, size_t len, size_t i)
{
    char c = s[i];
    if (c == '\n') return 1;
    if (c != '.' && c != '?' && c != '!') return 0;
    if (i + 1 < len && s[i + 1] != ' ' && s[i + 1] != '\n') return 0;
    return c != '.' || !is_abbrev(s, i);
}

/* Bytes of closing punctuation at s[i] (a bracket, a quote, a typographic
 * closing quote), or 0. */
static size_t closer_at(const char *s, size_t len, size_t i)
{
    if (i >= len) return 0;
    if (s[i] == ')' || s[i] == ']' || s[i] == '"' || s[i] == '\'') return 1;
    if (i + 2 < len && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
        ((unsigned char)s[i + 2] == 0x99 || (unsigned char)s[i + 2] == 0x9d))
        return 3;
    return 0;
}

/* A sentence that is_boundary runs on ends between a and b: a full stop, question or
 * exclamation mark, then closing punctuation and a space ("... if I cashed out.) Noble
 * raised"). The route reads the aside as another sentence; the scores, fitted with
 * such sentences whole, do not. */
static int closed_aside_between(const char *s, uint32_t a, uint32_t b)
{
    for (uint32_t i = a; i + 1 < b; i++) {
        if (s[i] != '.' && s[i] != '?' && s[i] != '!') continue;
        size_t n = closer_at(s, b, i + 1);
        if (n && i + 1 + n < b && s[i + 1 + n] == ' ') return 1;
    }
    return 0;
}

static size_t sent_start(const char *s, size_t pos)
{
    size_t i = pos, lim = pos > 600 ? pos - 600 : 0, len = pos;
    while (i > lim) {
        if (is_boundary(s, len + 1, i - 1)) return i;
        i--;
    }
    return i;
}

static size_t sent_end(const char *s, size_t len, size_t pos)
{
    size_t lim = pos + 600 < len ? pos + 600 : len;
    for (size_t i = pos; i < lim; i++)
        if (is_boundary(s, len, i)) return i;
    return lim;
}

static uint32_t dist(uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
    if (a1 <= b0) return b0 - a1;
    if (b1 <= a0) return a0 - b1;
    return 0;
}

/* Do a comma list and the first wlen bytes of another share an item? */
static int sector_overlap_n(const char *have, const char *want, size_t wlen)
{
    for (const char *p = want, *stop = want + wlen; p < stop;) {
        const char *e = memchr(p, ',', (size_t)(stop - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(stop - p);
        const char *q = have;
        while (*q) {
            const char *f = strchr(q, ',');
            size_t m = f ? (size_t)(f - q) : strlen(q);
            if (m == n && n && strncmp(p, q, n) == 0) return 1;
            q += m + (f ? 1 : 0);
        }
        p += n + (e ? 1 : 0);
    }
    return 0;
}

/* Do two comma lists share an item? */
static int sector_overlap(const char *have, const char *want)
{
    return sector_overlap_n(have, want, strlen(want));
}

/* How strongly a company's sectors make it role_a (role_a_sectors): the number of groups
 * from its first one to the end, 0 = in none. */
static int side_rank(const char *groups, const char *have)
{
    int n = 0, first = -1;
    for (const char *g = groups; g && *g; n++) {
        const char *e = strchr(g, ';');
        size_t len = e ? (size_t)(e - g) : strlen(g);
        if (first < 0 && have && sector_overlap_n(have, g, len)) first = n;
        g += len + (e ? 1 : 0);
    }
    return first < 0 ? 0 : n - first;
}

/* ---- caps: a limit that is reached is counted and logged, never silent ---- */

/* Per plugin (detect.c is compiled into each .so); atomics: a pipeline may
 * share one plugin context between worker threads. */
static uint64_t detect_capped[DETECT_CAP_N];

static void cap_hit(const struct detect *d, enum detect_cap c)
{
    static const char *const what[DETECT_CAP_N] = {
        "triggers past " DETECT_STR(DETECT_MAX_TRIGGERS) " cast no role votes",
        "evidence past " DETECT_STR(DETECT_MAX_EVIDENCE) " spans not reported",
        "entity table full: votes dropped"};
    uint64_t n = __atomic_add_fetch(&detect_capped[c], 1, __ATOMIC_RELAXED);
    if (n & (n - 1)) return; /* log at 1, 2, 4, 8, ... hits: the host log is rate-limited too */
    char msg[160];
    snprintf(msg, sizeof msg, "cap reached %llu times: %s", (unsigned long long)n, what[c]);
    d->host->log(d->host, c == DETECT_CAP_EVIDENCE ? SQUAWK_LOG_INFO : SQUAWK_LOG_WARN, d->name, msg);
}

uint64_t detect_cap_count(enum detect_cap c)
{
    return c < DETECT_CAP_N ? __atomic_load_n(&detect_capped[c], __ATOMIC_RELAXED) : 0;
}

/* ---- one article's run: the inputs and the state the stages share ---- */

struct detect_acc {
    int32_t e;
    double va, vb, near; /* the evidence's votes (role and sector bonus): every name next to a trigger */
    double ra, rb, rn;   /* the route's votes (role, relevance, topic): context names and other clauses apart */
    double rx;           /* of rb: the votes for the further role (role_x) */
    int mentions, headline;
    int background; /* mentions right after a background phrase ("rival X", "former X") */
    int persons;    /* mentions that name whom a person or company belongs to ("Figma CEO Dylan Field",
                     * "Toyota supplier Denso"; in a headline only when it is in sentence case) */
    int words;      /* mentions of the name as a word ("Nvidia-backed", "the Uber of freight") */
    int head_plain; /* a headline mention that is none of these */
    int up;         /* mentions in the headline or the body's lead */
    int former;     /* of background: mentions as a person's former employer ("former Apple designer") */
    double head_side; /* route votes on a side for a context-free mention that opens the headline */
};

#define VETO_DATED 2 /* vetoed[]: by a span: clause veto alone, so a deal's stage cue may still read it */

struct detect_run {
    const struct detect *d;
    const struct squawk_host *h;
    const struct squawk_article *a;
    const struct squawk_match *ms;
    size_t n_ms;
    const struct squawk_tslot *slots; /* engine v2: hit i's filled slots are slots[slot_off[i] .. slot_off[i + 1]) */
    const uint32_t *slot_off;
    const struct squawk_mention *men;
    size_t n_men;
    size_t n_rules;
    unsigned char *skip_rule; /* [n_rules] requires=sector unmet */
    unsigned char *vetoed;    /* [n_ms] the match counts for nothing (VETO_DATED: only a span: clause veto says so) */
    unsigned char *lifted;    /* [n_ms] an unveto overlaps the match */
    unsigned char *ok;        /* [n_men] the mention names a party; | MEN_CONTEXT: named as context */
    int *count;               /* [n_rules] live matches per rule */
    double *best;             /* [n_rules] the rule's best position factor */
    unsigned char *in_head;   /* [n_rules] a live match of the rule is in the headline */
    struct detect_acc *accs;  /* [cap_acc] entities met, in order of first vote */
    size_t n_acc, cap_acc;
    double (*rank)[2];        /* [cap_acc] relevance, index into accs */
    struct detect_trace *trace; /* the rescoring hook, or NULL */
};

/* The evidence sum's parts that later stages read. */
struct detect_sum {
    double S;
    int pos_trigger, head_trigger;
    int head_negative; /* a live negative rule in the headline (it says what the article is) */
    int wire_lead;     /* wire_lead: the body's first sentence stands for a terse capitals headline */
    int reg_mention; /* the regulator named up front, or -1 */
    double reg_w;
    double body_cap; /* the smallest caps_body of the headline's matches: body-only rules' factor */
};

static double rule_weight(const struct detect_run *x, size_t i)
{
    return x->d->rules[x->ms[i].rule].weight;
}

/* Match i counts: its rule is in the pack, not gated off, not vetoed. */
static int live(const struct detect_run *x, size_t i)
{
    return x->ms[i].rule < x->n_rules && !x->skip_rule[x->ms[i].rule] && !x->vetoed[i];
}

static int is_trigger(const struct detect_run *x, size_t i)
{
    return live(x, i) && rule_weight(x, i) > 0;
}

static int is_kind(const struct squawk_entity *e, const char *kind)
{
    return e && e->kind && strcmp(e->kind, kind) == 0;
}

static int overlaps(const struct squawk_match *p, const struct squawk_match *q)
{
    return p->field == q->field && p->start < q->end && q->start < p->end;
}

/* In the headline or the body's lead: what the article reports. */
static int up_front(const struct detect *d, uint32_t field, uint32_t start)
{
    return field == SQUAWK_FIELD_HEADLINE || start < d->cfg.lead_bytes;
}

/* An ambiguous name counts only right next to match i, or anywhere in the headline i is in: a headline
 * is one short sentence, and how long its amount is written ("EUR13bn", "EUR13 billion") must not decide
 * whether "Apple" at its start is named. */
static int ambiguous_near(const struct detect_run *x, size_t i, const struct squawk_mention *m)
{
    const struct squawk_match *t = &x->ms[i];
    return m->ambiguous == 1 && m->field == t->field &&
           (t->field == SQUAWK_FIELD_HEADLINE || dist(t->start, t->end, m->start, m->end) <= (uint32_t)x->d->cfg.window / 4);
}

/* ---- stage 1: requires / party gating and veto resolution ---- */

/* requires=sector: a company of the configured sectors named up front, by the
 * gazetteer or by a rule tagged sector=<what> ("Modular Computer Systems Inc") */
static int gate_sector_present(const struct detect_run *x)
{
    const struct detect *d = x->d;
    if (d->cfg.sectors && *d->cfg.sectors)
        for (size_t j = 0; j < x->n_men; j++) {
            const struct squawk_mention *m = &x->men[j];
            const struct squawk_entity *e = x->h->article_entity(x->a, m->entity);
            if (m->confirmed && e && e->sectors && up_front(d, m->field, m->start) &&
                sector_overlap(e->sectors, d->cfg.sectors))
                return 1;
        }
    for (size_t i = 0; i < x->n_ms; i++)
        if (tag_of(d, x->ms[i].rule) == DETECT_TAG_SECTOR && up_front(d, x->ms[i].field, x->ms[i].start))
            return 1;
    return 0;
}

/* Engine v2: does match q lie inside a company slot that hit i filled, or end inside one? A veto
 * of the words of a name ("Micron Technology"), or one whose last word is the name's ("buy Air
 * Products", "buy Marathon Oil": goods words), then vetoes nothing: the pattern read them as the name. */
static int within_slot(const struct detect_run *x, size_t i, const struct squawk_match *q)
{
    for (uint32_t k = x->slots ? x->slot_off[i] : 0; x->slots && k < x->slot_off[i + 1]; k++)
        if (q->field == x->ms[i].field && q->end > x->slots[k].start && q->end <= x->slots[k].end) return 1;
    return 0;
}

static const struct squawk_mention *name_started_in(const struct detect_run *x, size_t i);

/* Does rule r run to the end of its sentence (span: sentence)? Its end is then the sentence's, not the
 * end of a name its words read ("is not considering a bid for BP"). */
static int runs_to_sentence_end(const struct detect *d, uint32_t r)
{
    const struct squawk_trule *t = r < d->n_rules ? d->rules[r].v2 : NULL;
    return t && SQUAWK_HAS(t, struct squawk_trule, span_sentence) && t->span_sentence;
}

/* Does veto rule v say its words report no event (span: clause)? */
static int states_no_event(const struct detect *d, uint32_t v)
{
    const struct squawk_trule *t = v < d->n_rules ? d->rules[v].v2 : NULL;
    return t && SQUAWK_HAS(t, struct squawk_trule, span_clause) && t->span_clause;
}

/* A rule tagged veto ("buy back its own shares", "supply agreement") says what
 * the words it covers mean: positive triggers overlapping it count for nothing
 * (a negative rule inside a veto, "tax" in "tax order", still says what the
 * story is). A rule tagged unveto lifts the vetoes it overlaps (with lifts:, only
 * those it names: "by the SEC" lifts a former boss's case, not a dated fine): in "sells oil
 * and gas stake" the goods word names the business being sold. One that starts
 * inside a company's name lifts only a veto ending in that name, the goods
 * reading of the name ("buys Marathon Oil stake"): in "trims Analog Devices
 * stake" the routine-trade veto is not about goods. */
/* Does the unveto rule u lift the veto rule v where they overlap: those its lifts: names, else every
 * veto of words -- not a span: sentence or span: clause veto, which says its sentence or clause reports no
 * event ("denies report it is exploring sale of its coffee business": the goods word's unveto reads a
 * business, the denial still stands). */
static int lifts_veto(const struct detect *d, uint32_t u, uint32_t v)
{
    const struct squawk_trule *t = u < d->n_rules ? d->rules[u].v2 : NULL;
    if (!t || !SQUAWK_HAS(t, struct squawk_trule, lifts) || !t->n_lifts)
        return !runs_to_sentence_end(d, v) && !states_no_event(d, v);
    for (uint32_t k = 0; k < t->n_lifts; k++)
        if (t->lifts[k] == v) return 1;
    return 0;
}

static void gate_vetoes(struct detect_run *x)
{
    const struct squawk_match *ms = x->ms;
    for (size_t u = 0; u < x->n_ms; u++) {
        if (tag_of(x->d, ms[u].rule) != DETECT_TAG_UNVETO) continue;
        const struct squawk_mention *nm = x->slots ? name_started_in(x, u) : NULL;
        for (size_t v = 0; v < x->n_ms; v++)
            if (overlaps(&ms[v], &ms[u]) && (!nm || (ms[v].end > nm->start && ms[v].end <= nm->end)) &&
                lifts_veto(x->d, ms[u].rule, ms[v].rule))
                x->lifted[v] = 1;
    }
    for (size_t v = 0; v < x->n_ms; v++) {
        if (tag_of(x->d, ms[v].rule) != DETECT_TAG_VETO || x->lifted[v]) continue;
        const int reads_names = !runs_to_sentence_end(x->d, ms[v].rule);
        for (size_t i = 0; i < x->n_ms; i++)
            if (i != v && overlaps(&ms[i], &ms[v]) && ms[i].rule < x->n_rules && rule_weight(x, i) > 0 &&
                !(reads_names && within_slot(x, i, &ms[v])))
                x->vetoed[i] = !states_no_event(x->d, ms[v].rule) ? 1 : x->vetoed[i] ? x->vetoed[i] : VETO_DATED;
    }
}

/* requires=sector_object ("invest in", "stake in"): the company named right
 * after the match in its sentence is of the configured sectors -- an
 * investment IN a chip maker is a chips deal, one BY a chip maker is not; only
 * the first company after it is the object ("To Invest $500 Million In Wayve -
 * NVIDIA ( NASDAQ:NVDA )": the feed's tag names no object) */
static int sector_object_named(const struct detect_run *x, size_t i)
{
    const struct detect *d = x->d;
    const struct squawk_match *t = &x->ms[i];
    size_t se = sent_end(x->a->text[t->field], x->a->len[t->field], t->end);
    const struct squawk_mention *first = NULL;
    for (size_t j = 0; j < x->n_men && d->cfg.sectors && *d->cfg.sectors; j++) {
        const struct squawk_mention *m = &x->men[j];
        if (m->confirmed && m->field == t->field && m->start >= t->end && m->end <= se &&
            m->start - t->end <= (uint32_t)d->cfg.window / 4 && (!first || m->start < first->start))
            first = m;
    }
    const struct squawk_entity *e = first ? x->h->article_entity(x->a, first->entity) : NULL;
    return e && e->sectors && sector_overlap(e->sectors, d->cfg.sectors);
}

/* Up front, or in the sentence [ss, se) of match i's field. */
static int up_front_or_in(const struct detect_run *x, size_t i, size_t ss, size_t se, uint32_t f, uint32_t st,
                          uint32_t en)
{
    return f == SQUAWK_FIELD_HEADLINE || st < (uint32_t)x->d->cfg.lead_bytes ||
           (f == x->ms[i].field && st >= ss && en <= se);
}

/* requires=party (probes, charges, court words): a company, an industry or a
 * market actor is named in the match's sentence, the headline or the lead, by
 * the gazetteer or by a rule tagged party -- a case against people alone (a
 * politician's grand jury) is no flag on a company */
static int party_named(const struct detect_run *x, size_t i)
{
    const struct squawk_match *t = &x->ms[i];
    const char *s = x->a->text[t->field];
    size_t ss = sent_start(s, t->start), se = sent_end(s, x->a->len[t->field], t->end);
    for (size_t j = 0; j < x->n_men; j++) {
        const struct squawk_mention *m = &x->men[j];
        const struct squawk_entity *e = x->h->article_entity(x->a, m->entity);
        if ((m->confirmed || ambiguous_near(x, i, m)) && is_kind(e, "company") &&
            up_front_or_in(x, i, ss, se, m->field, m->start, m->end))
            return 1;
    }
    for (size_t k = 0; k < x->n_ms; k++)
        if (!x->vetoed[k] && tag_of(x->d, x->ms[k].rule) == DETECT_TAG_PARTY &&
            up_front_or_in(x, i, ss, se, x->ms[k].field, x->ms[k].start, x->ms[k].end))
            return 1;
    return 0;
}

/* Engine v2: the company's name hit i starts inside when no slot of it holds that company, or NULL.
 * Then its first words are the name's, not the rule's: "US Bancorp investors sue" names no US action,
 * "Japan Tobacco" no act of Japan. */
static const struct squawk_mention *name_started_in(const struct detect_run *x, size_t i)
{
    const struct squawk_match *t = &x->ms[i];
    for (size_t j = 0; j < x->n_men; j++) {
        const struct squawk_mention *m = &x->men[j];
        if (m->field != t->field || t->start < m->start || t->start >= m->end || !m->confirmed ||
            !is_kind(x->h->article_entity(x->a, m->entity), "company"))
            continue;
        for (uint32_t k = x->slot_off[i]; k < x->slot_off[i + 1]; k++)
            if (x->slots[k].start <= m->start && m->end <= x->slots[k].end) return NULL;
        return m;
    }
    return NULL;
}

/* name_starts: hit i starts inside a company's name; name_inside: it lies wholly inside one */
static int in_name_vetoed(const struct detect_run *x, size_t i)
{
    const struct detect_config *c = &x->d->cfg;
    if (c->name_starts <= 0 && c->name_inside <= 0) return 0;
    const struct squawk_mention *m = name_started_in(x, i);
    return m && (c->name_starts > 0 || x->ms[i].end <= m->end);
}

static void gate(struct detect_run *x)
{
    int sector_present = gate_sector_present(x);
    for (size_t i = 0; x->slots && i < x->n_ms; i++) /* sector= rules read names */
        if (x->ms[i].rule < x->n_rules && rule_weight(x, i) > 0 && tag_of(x->d, x->ms[i].rule) != DETECT_TAG_SECTOR &&
            in_name_vetoed(x, i))
            x->vetoed[i] = 1;
    for (size_t i = 0; i < x->n_rules; i++)
        x->skip_rule[i] = !sector_present && x->d->rules[i].tag == DETECT_TAG_REQ_SECTOR;
    gate_vetoes(x);
    for (size_t i = 0; i < x->n_ms; i++)
        if (tag_of(x->d, x->ms[i].rule) == DETECT_TAG_REQ_SECTOR_OBJ && !sector_object_named(x, i))
            x->vetoed[i] = 1;
    /* in order: a party match vetoed above names no party */
    for (size_t i = 0; i < x->n_ms; i++)
        if (!x->vetoed[i] && tag_of(x->d, x->ms[i].rule) == DETECT_TAG_REQ_PARTY && !party_named(x, i))
            x->vetoed[i] = 1;
}

/* ---- stage 2: evidence sum ---- */

/* Live matches per rule, each rule's best position factor, and whether a
 * trigger can raise an alert (pos_trigger) or is in the headline. */
static void sum_tally(struct detect_run *x, struct detect_sum *s)
{
    const struct detect *d = x->d;
    for (size_t i = 0; i < x->n_ms; i++) {
        const struct squawk_match *t = &x->ms[i];
        if (!live(x, i)) continue;
        double w = rule_weight(x, i);
        x->count[t->rule]++;
        if (t->field == SQUAWK_FIELD_HEADLINE) {
            x->in_head[t->rule] = 1;
            /* a lifted veto says nothing of what the article is */
            double cap = d->rules[t->rule].caps_body;
            if (cap < s->body_cap && !x->lifted[i]) s->body_cap = cap;
        }
        /* what the article reports sits in the headline and lead; the rest
         * often mentions other deals in passing */
        double fac = up_front(d, t->field, t->start) ? 1.0 : d->cfg.tail_factor;
        if (fac > x->best[t->rule]) x->best[t->rule] = fac;
        if (w < 0 && t->field == SQUAWK_FIELD_HEADLINE) s->head_negative = 1;
        if (w <= 0) continue;
        /* a sector descriptor ("Super Micro Computer Inc") names a maker,
         * not an event: alone it raises nothing */
        if (tag_of(d, t->rule) != DETECT_TAG_SECTOR && w >= d->cfg.trigger_min_weight) s->pos_trigger = 1;
        if (t->field == SQUAWK_FIELD_HEADLINE && w >= d->cfg.head_min_weight) s->head_trigger = 1;
    }
}

/* Is mention m inside the words of a veto that stands? */
static int in_veto(const struct detect_run *x, const struct squawk_mention *m)
{
    for (size_t v = 0; v < x->n_ms; v++) {
        const struct squawk_match *q = &x->ms[v];
        if (q->field == m->field && q->start <= m->start && m->end <= q->end &&
            tag_of(x->d, q->rule) == DETECT_TAG_VETO && !x->lifted[v])
            return 1;
    }
    return 0;
}

/* A regulator named up front ("SEC charges ...") is evidence by itself:
 * regulator_weight in the headline, half in the lead; not one named only inside a standing veto's
 * words ("Google hires former DOJ antitrust chief": where the hire worked, no authority acting). */
static void sum_regulator(const struct detect_run *x, struct detect_sum *s)
{
    const struct detect_config *c = &x->d->cfg;
    s->reg_mention = -1;
    s->reg_w = 0;
    for (size_t j = 0; j < x->n_men && c->regulator_weight > 0; j++) {
        const struct squawk_mention *m = &x->men[j];
        if (!m->confirmed || !is_kind(x->h->article_entity(x->a, m->entity), "regulator")) continue;
        if (in_veto(x, m)) continue;
        double w = m->field == SQUAWK_FIELD_HEADLINE ? c->regulator_weight
                   : m->start < c->lead_bytes     ? c->regulator_weight / 2 : 0;
        if (w > s->reg_w) {
            s->reg_w = w;
            s->reg_mention = (int)j;
        }
    }
    if (s->reg_mention >= 0) s->pos_trigger = 1;
}

/* Is the body a standfirst that says what a plain headline only hints at: short, under a
 * headline with no negative rule (a stock tip's summary is no second headline)? */
static int standfirst(const struct detect_run *x, const struct detect_sum *s)
{
    return x->a->len[SQUAWK_FIELD_BODY] <= x->d->cfg.short_body && !s->head_negative;
}

/* Is the headline written in capitals, as a 1987 wire's is ("PELHAM SAVINGS <PLSB> IN DEFINITIVE PACT")?
 * Stricter than the gazetteer's caseless matching: hardly a lower-case letter. */
static int headline_caps(const struct squawk_article *a)
{
    return tok_shouting(a->text[SQUAWK_FIELD_HEADLINE], a->len[SQUAWK_FIELD_HEADLINE], 10, 11);
}

/* The end of a wire story's first sentence from b0: a full stop (not an abbreviation's), question or
 * exclamation mark, or an indented or blank line; a wire wraps its lines, so a single newline does not
 * end it (is_boundary's other rules). */
static size_t wire_sent_end(const char *b, size_t blen, size_t b0)
{
    size_t end = b0, lim = b0 + 600 < blen ? b0 + 600 : blen;
    for (; end < lim; end++) {
        if (b[end] != '\n') {
            if (is_boundary(b, blen, end)) break;
        } else if (end + 1 < blen && isspace((unsigned char)b[end + 1])) {
            break;
        }
    }
    return end;
}

/* wire_lead: a wire story tells under a terse capitals headline ("SAYS IT HAS AGREED TO BE ACQUIRED",
 * "IN DEFINITIVE PACT", "SETS MEETING") what happened in its body's first sentence ("... signed a
 * definitive agreement under which Trident Bancshares Inc will acquire it"): a live trigger of at
 * least head_min_weight there, with a company named in the headline or that sentence, make it the headline --
 * the headline bonus, and no body_only_factor. A headline with a trigger or a negative rule (results,
 * an offering) says what the article is itself; mixed-case headlines (today's feeds) never qualify. */
static int wire_lead_earned(const struct detect_run *x, const struct detect_sum *s, int caps)
{
    const struct detect *d = x->d;
    const char *b = x->a->text[SQUAWK_FIELD_BODY];
    size_t blen = x->a->len[SQUAWK_FIELD_BODY], b0 = 0;
    if (!caps || s->head_trigger || s->head_negative || !blen) return 0;
    while (b0 < blen && isspace((unsigned char)b[b0])) b0++;
    size_t end = wire_sent_end(b, blen, b0);
    int trig = 0, party = 0;
    for (size_t i = 0; i < x->n_ms && !trig; i++) {
        const struct squawk_match *t = &x->ms[i];
        trig = is_trigger(x, i) && t->field == SQUAWK_FIELD_BODY && t->start < end && rule_weight(x, i) >= d->cfg.head_min_weight &&
               (tag_of(d, t->rule) == DETECT_TAG_NONE || tag_of(d, t->rule) == DETECT_TAG_REQ_PARTY);
    }
    for (size_t j = 0; j < x->n_men && trig && !party; j++) {
        const struct squawk_mention *m = &x->men[j];
        party = (m->field == SQUAWK_FIELD_HEADLINE || (m->field == SQUAWK_FIELD_BODY && m->start < end)) && m->confirmed &&
                is_kind(x->h->article_entity(x->a, m->entity), "company");
    }
    return trig && party;
}

/* S += each matched rule's weight * factor * repeats (negative rules once). */
static void sum_rules(const struct detect_run *x, struct detect_sum *s)
{
    const struct detect_config *c = &x->d->cfg;
    /* a headline that names no event rarely reports one: triggers piled up in
     * the body only (results, offerings, commodity trade) count less -- unless the
     * body is a one-sentence standfirst, a second headline ("raises $2bn in ...") */
    double body_fac = !s->head_trigger && !s->wire_lead && x->a->len[SQUAWK_FIELD_HEADLINE] && c->body_only_factor > 0 &&
                              !standfirst(x, s)
                          ? c->body_only_factor : 1.0;
    for (size_t i = 0; i < x->n_rules; i++) {
        if (!x->count[i]) continue;
        double w = x->d->rules[i].weight;
        int extra = x->count[i] - 1 > 3 ? 3 : x->count[i] - 1;
        /* a headline that says what the article is (results, an opinion, a private settlement): the
         * deals, rulings and probes its body retells count s->body_cap times */
        double cap = x->in_head[i] ? 1.0 : s->body_cap;
        s->S += w > 0 ? w * x->best[i] * (1 + 0.25 * extra) * body_fac * cap : w;
    }
}

/* Lead sentence of body match i names an authority (a regulator of the
 * gazetteer, a rule tagged authority) and a company (of the gazetteer, a rule
 * tagged party other than the trigger's own words, "tariffs on"). */
static int lead_sentence_hit(const struct detect_run *x, size_t i)
{
    const struct squawk_match *t = &x->ms[i];
    const char *s = x->a->text[SQUAWK_FIELD_BODY];
    size_t ss = sent_start(s, t->start), se = sent_end(s, x->a->len[SQUAWK_FIELD_BODY], t->end);
    int auth = 0, party = 0;
    for (size_t j = 0; j < x->n_men; j++) {
        const struct squawk_mention *m = &x->men[j];
        const struct squawk_entity *e = x->h->article_entity(x->a, m->entity);
        if (m->field != SQUAWK_FIELD_BODY || m->start < ss || m->end > se || !(m->confirmed || ambiguous_near(x, i, m)))
            continue;
        if (is_kind(e, "regulator")) auth = 1;
        else if (is_kind(e, "company")) party = 1;
    }
    for (size_t k = 0; k < x->n_ms; k++) {
        const struct squawk_match *q = &x->ms[k];
        if (q->field != SQUAWK_FIELD_BODY || q->start < ss || q->end > se || x->vetoed[k]) continue;
        enum detect_tag tg = tag_of(x->d, q->rule);
        if (tg == DETECT_TAG_VETO) return 0; /* the sentence tells what the pack's vetoes exclude */
        if (tg == DETECT_TAG_AUTHORITY) auth = 1;
        else if (tg == DETECT_TAG_PARTY && !overlaps(q, t)) party = 1;
    }
    return auth && party;
}

/* A bland headline over a lead sentence that names an authority, a strong
 * trigger and a company ("The SEC charged Acme Corp with ...") reports the
 * event as plainly as a headline would. */
static int lead_bonus_earned(const struct detect_run *x)
{
    const struct detect *d = x->d;
    for (size_t i = 0; i < x->n_ms; i++) {
        const struct squawk_match *t = &x->ms[i];
        if (!live(x, i) || t->field != SQUAWK_FIELD_BODY || t->start >= (uint32_t)d->cfg.lead_bytes ||
            rule_weight(x, i) < d->cfg.head_min_weight ||
            (tag_of(d, t->rule) != DETECT_TAG_NONE && tag_of(d, t->rule) != DETECT_TAG_REQ_PARTY))
            continue;
        if (lead_sentence_hit(x, i)) return 1;
    }
    return 0;
}

/* The evidence sum before entities, amounts and stage; 0 in pos_trigger when
 * nothing can raise an alert. */
static void evidence_sum(struct detect_run *x, struct detect_sum *s)
{
    const struct detect_config *c = &x->d->cfg;
    s->body_cap = 1.0;
    sum_tally(x, s);
    sum_regulator(x, s);
    if (!s->pos_trigger) return;
    s->S = s->reg_w;
    int caps = c->wire_lead > 0 && headline_caps(x->a); /* the wire_lead rules read capitals headlines only */
    s->wire_lead = wire_lead_earned(x, s, caps);
    sum_rules(x, s);
    if (s->head_trigger || s->wire_lead) s->S += c->headline_bonus;
    /* wire_lead: a flash (a capitals headline with no body) is the whole story: its headline trigger is
     * the lead as well ("PITTSTON AGREES TO ACQUIRE WTC INTERNATIONAL IN EXCHANGE OF STOCK") */
    if (caps && s->head_trigger && !s->head_negative && !x->a->len[SQUAWK_FIELD_BODY]) s->S += c->headline_bonus;
    /* a headline that caps its body (a product, an opinion) caps the lead's bonus as much */
    if (!s->head_trigger && c->lead_bonus > 0 && lead_bonus_earned(x)) s->S += c->lead_bonus * s->body_cap;
}

/* ---- stage 3: entity acceptance ---- */

static struct detect_acc *acc_find(const struct detect_run *x, int32_t e)
{
    for (size_t i = 0; i < x->n_acc; i++)
        if (x->accs[i].e == e) return &x->accs[i];
    return NULL;
}

static struct detect_acc *acc_get(struct detect_run *x, int32_t e)
{
    struct detect_acc *ac = acc_find(x, e);
    if (ac) return ac;
    if (x->n_acc == x->cap_acc) { /* sized for every mention and trigger: never expected */
        cap_hit(x->d, DETECT_CAP_ENTITIES);
        return NULL;
    }
    x->accs[x->n_acc] = (struct detect_acc){.e = e};
    return &x->accs[x->n_acc++];
}

/* 1 when s[from, to) only continues a list of names ("Nvidia, Google's TPU
 * and "): a comma or and/or, at most six words, each capitalised or a
 * conjunction, no clause end. */
static int list_gap(const char *s, uint32_t from, uint32_t to)
{
    if (to < from || to - from > 60) return 0;
    int words = 0, sep = 0;
    for (uint32_t i = from; i < to;) {
        while (i < to && s[i] == ' ') i++;
        uint32_t w = i;
        while (i < to && s[i] != ' ') i++;
        if (w == i) break;
        uint32_t n = i - w;
        if (s[i - 1] == ',') sep = 1, n--;
        if (!n) continue; /* a comma set off by spaces: "Nvidia , Intel" */
        if (memchr(s + w, '.', n) || memchr(s + w, ';', n) || memchr(s + w, ':', n) || memchr(s + w, '(', n))
            return 0;
        int conj = (n == 3 && !strncmp(s + w, "and", 3)) || (n == 2 && !strncmp(s + w, "or", 2)) ||
                   (n == 1 && s[w] == '&');
        unsigned char c = (unsigned char)s[w];
        if (conj) sep = 1;
        else if (!(isupper(c) || isdigit(c) || c >= 0x80)) return 0;
        if (++words > 6) return 0;
    }
    return sep;
}

/* Length of the word at s[i] when it is one of ws (whole word; any case when fold), else 0. */
static size_t word_in_case(const char *s, size_t len, size_t i, const char *const *ws, int fold)
{
    for (size_t k = 0; ws[k]; k++) {
        size_t n = strlen(ws[k]);
        if (i + n <= len && (fold ? strncasecmp(s + i, ws[k], n) : strncmp(s + i, ws[k], n)) == 0 &&
            (i + n == len || !isalnum((unsigned char)s[i + n])))
            return n;
    }
    return 0;
}

static size_t word_in(const char *s, size_t len, size_t i, const char *const *ws)
{
    return word_in_case(s, len, i, ws, 0);
}

/* 1 when a capitalised word starts at s[i] ("Dylan", "AMD"). */
static int cap_word(const char *s, size_t len, size_t i)
{
    return i + 1 < len && isupper((unsigned char)s[i]) && isalpha((unsigned char)s[i + 1]);
}

/* A company's people by title (names_a_person, employer_of_owner); "chief executive" before "chief". */
static const char *const boss_title[] = {"co-founder", "cofounder", "founder", "CEO", "chief executive", "chief",
                                         "boss", "chairman", "chairwoman", "chair", NULL};

/* 1 when the mention ending at `end` only says whom a name belongs to: a title or a relation noun
 * (relations_only: a relation, in any case) and a name follow ("Figma co-founder and CEO Dylan Field",
 * "CrowdStrike chief George Kurtz", "Toyota supplier Denso", "OpenAI rival Anthropic", "Anthropic
 * challenger Mistral"): the one named acts, the company is context. */
static int names_a_person(const char *s, size_t len, size_t end, int relations_only)
{
    static const char *const relation[] = {"rival", "challenger", "competitor", "backer", "supplier", "customer", "client", NULL},
                             *const president[] = {"president", NULL};
    size_t i = end, n, titles = 0;
    while (i < len && s[i] == ' ' &&
           ((n = word_in_case(s, len, i + 1, relation, relations_only)) ||
            (!relations_only && ((n = word_in(s, len, i + 1, boss_title)) || (n = word_in(s, len, i + 1, president)))))) {
        i += 1 + n, titles++;
        if (word_in(s, len, i + 1, (const char *const[]){"and", NULL})) i += 4;
    }
    return titles && i + 1 < len && s[i] == ' ' && cap_word(s, len, i + 1);
}

/* After "Nvidia-backed": a company follows within four words -- a name or a company word
 * ("Nvidia-backed Nscale", "Nvidia-backed 'open' AI start-up", "the Nvidia-backed cloud provider"),
 * where the backer is an earlier investor; not a project ("Meta-backed data centre seeks $3bn": the
 * backer is a party). */
static int backs_a_company(const char *s, size_t len, size_t i)
{
    static const char *const firm[] = {"start-up", "startup", "company", "firm", "lab", "developer", "maker",
                                       "group", "unicorn", "rival", "provider", "operator", NULL};
    for (int words = 0; words < 4 && i < len && s[i] == ' '; words++) {
        i++;
        while (i < len && !isalnum((unsigned char)s[i]) && s[i] != ' ' && s[i] != ',' && s[i] != '.') i++; /* quotes */
        if (cap_word(s, len, i) || word_in(s, len, i, firm)) return 1;
        while (i < len && s[i] != ' ' && s[i] != ',' && s[i] != '.') i++;
    }
    return 0;
}

/* 1 when a given name stands right before the mention: a person named like a company ("Michael
 * Dell", "Walt Disney", "Bill Ford" are people; their companies are "Dell", "Disney", "Ford"). */
static int given_name_before(const char *s, size_t start)
{
    static const char *const given[] = {
        "Michael", "Walt", "Henry", "Bill", "William", "John", "James", "Robert", "David", "Richard",
        "Charles", "Thomas", "Joseph", "George", "Edward", "Steve", "Steven", "Stephen", "Mark", "Paul",
        "Peter", "Larry", "Jeff", "Jim", "Tom", "Bob", "Mike", "Dan", "Daniel", "Andrew", "Brian",
        "Kevin", "Jack", "Sam", "Tim", "Frank", "Howard", "Ben", "Will", "Elizabeth", "Mary", "Susan",
        "Jennifer", "Sarah", "Laura", "Anne", "Ann", "Lisa", "Karen", "Linda", "Barbara", "Margaret",
        "Jane", "Emma", "Julia", "Rupert", "Lachlan", "Ronald", "Harold", "Harry", "Ralph", "Ray", NULL};
    if (start < 2 || s[start - 1] != ' ') return 0;
    size_t w = start - 1;
    while (w > 0 && isalpha((unsigned char)s[w - 1])) w--;
    if (w > 0 && (isalnum((unsigned char)s[w - 1]) || s[w - 1] == '-' || s[w - 1] == '.')) return 0;
    for (size_t k = 0; given[k]; k++)
        if (strlen(given[k]) == start - 1 - w && memcmp(s + w, given[k], start - 1 - w) == 0) return 1;
    return 0;
}

/* 1 when "former" (or "ex-...") starts one of the two words before "from", "at" or "of" right
 * before the mention: "former researchers from Google DeepMind", "ex-engineers at Meta". Looser
 * than former_employer, so it counts like a name used as a word: context only when every mention
 * is ("founded by former engineers at DeepMind ... a deal with Google's venture arm": Google backs it). */
static int former_staff_of(const char *s, size_t start)
{
    static const char *const prep[] = {"from ", "at ", "of "};
    size_t p = 0;
    for (size_t k = 0; k < 3 && !p; k++) {
        size_t n = strlen(prep[k]);
        if (start > n && memcmp(s + start - n, prep[k], n) == 0 && s[start - n - 1] == ' ') p = start - n - 1;
    }
    for (int words = 0; p && words < 2; words++) { /* p: the space after a word */
        size_t w = p;
        while (w > 0 && s[w - 1] != ' ') w--;
        if (w == p) return 0;
        if ((p - w == 6 && !strncasecmp(s + w, "former", 6)) || (p - w > 3 && !strncasecmp(s + w, "ex-", 3))) return 1;
        p = w ? w - 1 : 0;
    }
    return 0;
}

/* 1 when the words around the mention make it a person's former employer ("Ex-Disney CEO", "a
 * former Google engineer", "Meta's former chief", "a Google vet", "OpenAI alumni", "Meta AI alumni"): the person acts, the company is
 * context, in every pack (the packs' background marks differ). */
static int former_employer(const char *s, size_t len, size_t start, size_t end)
{
    static const char *const alum[] = {"vet", "vets", "veteran", "veterans", "alum", "alums", "alumnus",
                                       "alumna", "alumni", "alumnae", NULL};
    if (start >= 3 && (s[start - 3] == 'e' || s[start - 3] == 'E') && s[start - 2] == 'x' && s[start - 1] == '-' &&
        (start == 3 || !isalnum((unsigned char)s[start - 4])))
        return 1;
    if (start >= 7 && (!strncmp(s + start - 7, "former ", 7) || !strncmp(s + start - 7, "Former ", 7)) &&
        (start == 7 || !isalnum((unsigned char)s[start - 8])))
        return 1;
    size_t i = end + tok_possessive(s, len, end); /* "Meta's former chief scientist", "Google's ex-CEO" */
    if (i > end && i + 1 < len && s[i] == ' ' &&
        (word_in(s, len, i + 1, (const char *const[]){"former", NULL}) || (i + 4 <= len && !memcmp(s + i + 1, "ex-", 3))))
        return 1;
    if (end + 1 >= len || s[end] != ' ') return 0;
    size_t w = end + 1;
    if (word_in(s, len, w, alum)) return 1;
    /* one capitalised word between, the unit or lab the person left: "Meta AI alumni", "Google Brain
     * veterans", "Microsoft Research alums" */
    if (!cap_word(s, len, w)) return 0;
    while (w < len && isalnum((unsigned char)s[w])) w++;
    return w + 1 < len && s[w] == ' ' && word_in_case(s, len, w + 1, alum, 1) != 0;
}

/* Where a person's possessive ends after the mention ending at `end`: a title, the person's name or
 * none, "'s" ("Tesla boss Elon Musk's", "Walmart heir's"); 0 when the words are not that. */
static size_t owner_possessive_end(const char *s, size_t len, size_t end)
{
    static const char *const heir[] = {"heir", "heiress", NULL};
    size_t i = end, w;
    if (!(i < len && s[i] == ' ' && ((w = word_in_case(s, len, i + 1, boss_title, 1)) || (w = word_in_case(s, len, i + 1, heir, 1)))))
        return 0;
    i += 1 + w;
    for (int names = 0; names < 3 && i + 1 < len && s[i] == ' ' && cap_word(s, len, i + 1); names++)
        for (i++; i < len && (isalpha((unsigned char)s[i]) || s[i] == '-' || s[i] == '.');) i++;
    size_t p = tok_possessive(s, len, i);
    return p ? i + p : 0;
}

/* After a person's possessive ending at i, their own business: another company's name right there
 * (`next`, its start, SIZE_MAX for none) or a business word within three words. Not "company" or
 * "firm", which may be the employer itself ("Nvidia CEO Jensen Huang's company"). */
static int owner_business_after(const char *s, size_t len, size_t i, size_t next)
{
    static const char *const own[] = {"start-up", "startup", "fund", "bank", "venture", "family", "foundation",
                                      "network", "platform", "lab", "newspaper", "vehicle", "empire", NULL};
    if (i + 1 == next) return 1;
    for (int words = 0; words < 3 && i + 1 < len && s[i] == ' '; words++) {
        if (word_in_case(s, len, i + 1, own, 1)) return 1;
        for (i++; i < len && s[i] != ' ';) i++;
    }
    return 0;
}

/* 1 when mention j is the company of a person whose own business follows ("Tesla boss Elon Musk's
 * X", "Amazon founder Jeff Bezos's Blue Origin", "Walmart heir's bank", "Oracle co-founder's
 * Paramount"): the company is context (GUIDE: background), as a former employer is. Not where the
 * field's next name is the same company's own unit ("SoftBank founder Son's Vision Fund"); a
 * regulator named next is no business ("Zuckerberg's testimony in FTC trial"). */
static int employer_of_owner(const struct detect_run *x, size_t j)
{
    const struct squawk_mention *m = &x->men[j], *n = j + 1 < x->n_men ? &x->men[j + 1] : NULL;
    const char *s = x->a->text[m->field];
    size_t len = x->a->len[m->field], i = owner_possessive_end(s, len, m->end);
    if (!i) return 0; /* the usual case: no title after the name, nothing more looked up */
    if (n && n->field != m->field) n = NULL;
    if (n && n->entity == m->entity) return 0;
    size_t next = n && !is_kind(x->h->article_entity(x->a, n->entity), "regulator") ? n->start : SIZE_MAX;
    return owner_business_after(s, len, i, next);
}

/* 1 when the mention is a name used as a word, not the company: a modifier glued to it
 * ("Nvidia-backed", "Google-owned") or a type of thing ("the Uber of freight", "a 'Netflix for
 * books'", "the Microsoft Office of AI": an article or an opening quote before it, "of"/"for"
 * after it or after one more capitalised word), or a person's name ("Michael Dell"). */
static int name_as_word(const char *s, size_t len, size_t start, size_t end)
{
    if (given_name_before(s, start)) return 1;
    static const char *const glued[] = {"-backed", "-funded", "-owned", "-controlled", "-supported", NULL};
    static const char *const quote[] = {"\xe2\x80\x98", "\xe2\x80\x9c", "'", "\"", NULL}; /* ‘ “ ' " */
    /* a technology, place or likeness, never a party ("Arm-based chip designer"); not "Nvidia-powered"
     * (the annotators' supplier) */
    static const char *const kind[] = {"-based", "-compatible", "-style", "-like", "-inspired", NULL};
    if (end < len && s[end] == '-') { /* any case: Title-Case headlines write "Nvidia-Backed" */
        size_t g = word_in_case(s, len, end, glued, 1);
        if (g) return backs_a_company(s, len, end + g);
        if (word_in_case(s, len, end, kind, 1)) return 1;
    }
    size_t b = start, q = 0;
    for (size_t k = 0; quote[k] && !q; k++) {
        size_t n = strlen(quote[k]);
        if (b >= n && memcmp(s + b - n, quote[k], n) == 0) q = n;
    }
    b -= q;
    static const char *const art[] = {"the ", "a ", "an "};
    int article = 0;
    for (size_t k = 0, n; !article && k < 3; k++) /* a whole word */
        article = b >= (n = strlen(art[k])) && memcmp(s + b - n, art[k], n) == 0 &&
                  (b == n || !isalnum((unsigned char)s[b - n - 1]));
    if (!article && !q) return 0;
    size_t i = end;
    if (i + 1 < len && s[i] == ' ' && cap_word(s, len, i + 1)) /* "the Microsoft Office of" */
        for (i++; i < len && isalnum((unsigned char)s[i]);) i++;
    if (!(i < len && s[i] == ' ' && word_in(s, len, i + 1, (const char *const[]){"of", "for", NULL}))) return 0;
    size_t w = i + (s[i + 1] == 'o' ? 3 : 4); /* the space after "of" / "for" */
    return w + 1 < len && s[w] == ' ' && isalpha((unsigned char)s[w + 1]);
}

/* 1 when the name ending at m_end is glued by a hyphen into the last word of a hit ending at t_end
 * ("for Nvidia-powered", "with AMD-accelerated"): the word is the name used as a modifier of the
 * goods after it, so a slotless mark ending in it names that company, as "ex-Google" does. */
static int glued_last_word(const char *s, uint32_t m_end, uint32_t t_end)
{
    if (m_end >= t_end || s[m_end] != '-') return 0;
    for (uint32_t i = m_end; i < t_end; i++)
        if (isspace((unsigned char)s[i])) return 0;
    return 1;
}

/* 1 when a background phrase ends just before the mention (or holds it), or
 * the mention continues a list that starts there: "rival Intel", "former
 * Google researchers", "to compete with Nvidia, Google and Microsoft"; a full
 * stop between the phrase and the mention ends it ("... in July. Acme owns"). */
static int in_background(const struct detect_run *x, const struct squawk_mention *m)
{
    for (size_t i = 0; i < x->n_ms; i++) {
        const struct squawk_match *t = &x->ms[i];
        if (t->field != m->field || tag_of(x->d, t->rule) != DETECT_TAG_BACKGROUND) continue;
        for (uint32_t k = x->slots ? x->slot_off[i] : 0; x->slots && k < x->slot_off[i + 1]; k++)
            if (x->slots[k].start <= m->start && m->end <= x->slots[k].end) return 1; /* the mark's own slot */
        if (t->start > m->start) continue;
        /* a slotless mark names the company after it (or glued into its last word, "ex-Google"):
         * the object inside "swipe Warner Bros. from Netflix" is the deal's, not context */
        int slotted = x->slots && x->slot_off[i + 1] > x->slot_off[i];
        const struct squawk_trule *v2 = t->rule < x->d->n_rules ? x->d->rules[t->rule].v2 : NULL;
        if (v2 && v2->marks == SQUAWK_MARKS_BACKGROUND_SLOTS) continue; /* its slots only: not "advised Acme" */
        if (!slotted && m->end < t->end && !glued_last_word(x->a->text[m->field], m->end, t->end)) continue;
        const char *s = x->a->text[m->field];
        /* right after the hit, but never past the end of its sentence: "... in July. Acme owns" */
        int near = m->start <= t->end + 2 && !(m->start > t->end && memchr(s + t->end, '.', m->start - t->end));
        if (near || list_gap(s, t->end, m->start)) return 1;
    }
    return 0;
}

/* Nothing but punctuation and spaces before byte `start`: the headline's
 * first words, where a name is the subject ("Paramount tries to buy ..."). */
static int leads_headline(const char *s, uint32_t start)
{
    for (uint32_t i = 0; i < start; i++)
        if (isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80) return 0;
    return 1;
}

/* Length of the run of capitalised words around [start, end) with nothing but single spaces
 * between them, counted to at most `cap` on each side. */
static int cap_run(const char *s, size_t len, size_t start, size_t end, int cap)
{
    int n = 1;
    for (size_t i = start; n <= cap && i >= 2 && s[i - 1] == ' ' && isalpha((unsigned char)s[i - 2]);) {
        size_t w = i - 1;
        while (w > 0 && isalpha((unsigned char)s[w - 1])) w--;
        if (!cap_word(s, len, w) || (w > 0 && s[w - 1] != ' ')) break;
        n++, i = w;
    }
    for (size_t i = end; n <= 2 * cap && i + 1 < len && s[i] == ' ' && cap_word(s, len, i + 1);) {
        size_t w = i + 1;
        while (w < len && isalpha((unsigned char)s[w])) w++;
        if (w < len && s[w] != ' ') break;
        n++, i = w;
    }
    return n;
}

/* A name inside a long run of capitalised words in the body is a site's menu or tag list
 * ("Tech Amazon Apple Facebook Google Microsoft Samsung Business Creators"), not prose: a label. */
static int in_menu(const struct detect_run *x, const struct squawk_mention *m)
{
    return m->field == SQUAWK_FIELD_BODY && cap_run(x->a->text[m->field], x->a->len[m->field], m->start, m->end, 8) >= 8;
}

/* A mention names a party when confirmed, or when ambiguous next to a trigger
 * or as the subject of a headline that holds one; regulators are never
 * investors or suppliers. */
static int mention_ok(const struct detect_run *x, size_t j)
{
    const struct squawk_mention *m = &x->men[j];
    const struct squawk_entity *e = x->h->article_entity(x->a, m->entity);
    if (!e || (x->d->spec.skip_regulators && e->kind && strcmp(e->kind, "regulator") == 0)) return 0;
    if (m->confirmed) return 1;
    if (m->ambiguous != 1) return 0;
    uint32_t win = (uint32_t)x->d->cfg.window;
    int lead = m->field == SQUAWK_FIELD_HEADLINE && leads_headline(x->a->text[m->field], m->start);
    for (size_t i = 0; i < x->n_ms; i++)
        if (x->ms[i].field == m->field && is_trigger(x, i) &&
            (lead || dist(x->ms[i].start, x->ms[i].end, m->start, m->end) <= win / 4))
            return 1;
    return 0;
}

/* Roles by kind (regulatory: every company an action names is its subject): an ambiguous name in
 * a list of three or more names with a company ("a letter to Google, Meta, Amazon and Microsoft")
 * is a company too. A deal's lists are mostly context ("hyperscalers such as ..."), and a pair
 * ("Nvidia and Apple") needs its own context. */
static void accept_listed(struct detect_run *x)
{
    for (size_t j = 0; x->d->spec.roles_by_kind && j < x->n_men;) {
        size_t e = j + 1; /* the list: men[j .. e) */
        int any = x->ok[j];
        while (e < x->n_men && x->men[e].field == x->men[j].field && x->men[e].start >= x->men[e - 1].end &&
               list_gap(x->a->text[x->men[j].field], x->men[e - 1].end, x->men[e].start))
            any |= x->ok[e++];
        for (size_t k = j; any && e - j >= 3 && k < e; k++)
            if (x->men[k].ambiguous == 1 && is_kind(x->h->article_entity(x->a, x->men[k].entity), "company"))
                x->ok[k] = 1;
        j = e;
    }
}

/* 1 when mention j only repeats the name before it as a ticker tag ("Acme Corp ( NYSE:ACME )",
 * "Acme (ACME)"): one naming, counted once. */
static int repeats_as_tag(const struct detect_run *x, size_t j)
{
    if (j == 0 || !x->ok[j - 1]) return 0;
    const struct squawk_mention *p = &x->men[j - 1], *m = &x->men[j];
    if (p->field != m->field || p->entity != m->entity || m->start < p->end || m->start - p->end > 16) return 0;
    const char *s = x->a->text[m->field];
    int paren = 0;
    for (uint32_t i = p->end; i < m->start; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '(' || c == ':') paren = 1;
        else if (!(c == ' ' || isupper(c))) return 0;
    }
    return paren;
}

/* The end of a headline's leading run of cashtags ("$PFE $BNTX $MRNA - Pfizer/BioNTech seek ..."): a
 * stock site's tags, 0 when the headline does not open with one. */
static size_t tag_run_end(const char *s, size_t len)
{
    size_t i = 0, end = 0;
    while (i < len && s[i] == '$') {
        while (i < len && s[i] != ' ') i++;
        end = i;
        while (i < len && s[i] == ' ') i++;
    }
    return end;
}

/* Is the entity named outside the headline's tag run (after it, or in the body)? */
static int named_past(const struct detect_run *x, uint32_t entity, size_t run_end)
{
    for (size_t k = 0; k < x->n_men; k++)
        if (x->men[k].entity == entity && (x->men[k].field != SQUAWK_FIELD_HEADLINE || x->men[k].start >= run_end))
            return 1;
    return 0;
}

/* 1 when mention j is only a tag of a headline's leading cashtag run that another tag of the run
 * names elsewhere ("$NVAX $BNTX $MRNA - Novavax vaccine wins FDA authorization": BNTX and MRNA are
 * the site's related tickers): no party. A run whose tags the text never names keeps them all.
 * end: the run's end (tag_run_end). */
static int run_tag_aside(const struct detect_run *x, size_t j, size_t end)
{
    const struct squawk_mention *m = &x->men[j];
    if (m->field != SQUAWK_FIELD_HEADLINE || m->end > end || named_past(x, m->entity, end)) return 0;
    for (size_t k = 0; k < x->n_men; k++)
        if (k != j && x->men[k].field == SQUAWK_FIELD_HEADLINE && x->men[k].end <= end &&
            x->men[k].entity != m->entity && named_past(x, x->men[k].entity, end))
            return 1;
    return 0;
}

/* A former employer's mark (former_employer: bg 1, former_staff_of: word 2) that the next name of a
 * list shares: "former engineers at DeepMind and OpenAI", "ex-Google, Meta and Apple staff". */
static int former_of_list(const struct detect_run *x, size_t j, int former_prev)
{
    if (j == 0 || !former_prev) return 0;
    const struct squawk_mention *p = &x->men[j - 1], *m = &x->men[j];
    if (p->field != m->field || m->start < p->end || !list_gap(x->a->text[m->field], p->end, m->start)) return 0;
    return former_prev;
}

static void accept_mentions(struct detect_run *x)
{
    for (size_t j = 0; j < x->n_men; j++) x->ok[j] = (unsigned char)mention_ok(x, j);
    accept_listed(x);
    int former_prev = 0; /* the mark former_of_list passes on from mention j - 1 */
    size_t run_end = tag_run_end(x->a->text[SQUAWK_FIELD_HEADLINE], x->a->len[SQUAWK_FIELD_HEADLINE]);
    for (size_t j = 0; j < x->n_men; j++) {
        const struct squawk_mention *m = &x->men[j];
        int listed = former_of_list(x, j, former_prev);
        former_prev = 0;
        if (!x->ok[j] || repeats_as_tag(x, j)) continue;
        struct detect_acc *ac = acc_get(x, (int32_t)m->entity);
        if (!ac) continue;
        const char *s = x->a->text[m->field];
        size_t len = x->a->len[m->field];
        int head = m->field == SQUAWK_FIELD_HEADLINE;
        int strict = x->d->cfg.route_clauses > 0;
        int fe = former_employer(s, len, m->start, m->end) || employer_of_owner(x, j) || listed == 1,
            fs = former_staff_of(s, m->start) || listed == 2;
        former_prev = fe ? 1 : fs ? 2 : 0;
        int bg = in_background(x, m) || fe,
            word = name_as_word(s, len, m->start, m->end) || in_menu(x, m) || fs || run_tag_aside(x, j, run_end);
        /* in a headline only a relation, in any case ("Apple Supplier Foxconn"): "Nvidia CEO Jensen Huang
         * unveils deal with Acme" speaks for Nvidia, and Title Case capitalises verbs ("Nvidia CEO Announces ...") */
        int person = !bg && !word && names_a_person(s, len, m->end, head);
        /* a context mention casts no role vote: the trigger's vote goes to the next name */
        if (strict && (bg || word || person)) x->ok[j] |= MEN_CONTEXT;
        ac->mentions++;
        ac->headline |= head;
        ac->up += up_front(x->d, m->field, m->start) && !bg && !word; /* named up front as a party */
        ac->head_plain |= head && !bg && !word && !person;
        ac->background += bg;
        ac->former += fe;
        ac->persons += person;
        ac->words += word;
    }
}

/* ---- stage 4: role votes per trigger ---- */

/* Which tallies a vote goes to: the evidence's (the role bonus: any name next to a trigger counts,
 * as the score was fitted) and the route's (who the alert is about). */
enum { TALLY_SCORE = 1, TALLY_ROUTE = 2, TALLY_BOTH = 3 };

/* side 'a' role_a, 'b' role_b, 'x' the further role (role_b's side, counted apart too), 'n' near;
 * ctx: a context mention's, which the route does not count. */
static void vote(struct detect_run *x, uint32_t entity, int side, double v, int tally, int ctx)
{
    struct detect_acc *ac = acc_get(x, (int32_t)entity);
    if (!ac) return;
    if (side == 'x') {
        if ((tally & TALLY_ROUTE) && !ctx) ac->rx += v;
        side = 'b';
    }
    if (tally & TALLY_SCORE) *(side == 'a' ? &ac->va : side == 'b' ? &ac->vb : &ac->near) += v;
    if ((tally & TALLY_ROUTE) && !ctx) *(side == 'a' ? &ac->ra : side == 'b' ? &ac->rb : &ac->rn) += v;
}

/* A name glued by a hyphen to another name before a bid noun ("KKR-Brookfield offer", "Sony-Apollo bid
 * for", "EQT-CPPIB consortium", "CVC-Blackstone takeover approach", "Bain-KKR rival offer"): the pair
 * bids together, so each is role_a (the investor). Every part of the hyphenated word is capitalised
 * ("Sony-backed bid" is the -backed compound's, "cost-cutting bid" names no bidder). */
static int pair_bid(const char *s, size_t len, size_t start, size_t end)
{
    int glued = (end + 1 < len && s[end] == '-' && isalnum((unsigned char)s[end + 1])) ||
                (start >= 2 && s[start - 1] == '-' && isalnum((unsigned char)s[start - 2]));
    if (!glued) return 0;
    size_t b = start, e = end;
    while (b > 0 && !isspace((unsigned char)s[b - 1])) b--;
    while (e < len && !isspace((unsigned char)s[e])) e++;
    for (size_t i = b; i < e; i++) /* each part opens with a capital or a digit */
        if ((i == b || s[i - 1] == '-') && !isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i])) return 0;
    static const char *const mods[] = {"joint", "rival", "takeover", "buyout", "counter", "improved", "sweetened", "revised",
                                       "higher", "cash", "all-cash", "fresh", "new", "possible", "potential", NULL};
    static const char *const nouns[] = {"bid", "bids", "offer", "offers", "consortium", "approach", "approaches",
                                        "proposal", "proposals", "buyout", NULL};
    size_t i = e;
    for (int k = 0; k < 4; k++) {
        while (i < len && s[i] == ' ') i++;
        size_t w = i;
        while (w < len && (isalnum((unsigned char)s[w]) || s[w] == '-')) w++;
        if (w == i) return 0;
        if (word_in_case(s, len, i, nouns, 1) == w - i) return 1; /* the whole word, "bid-rigging" is none */
        if (word_in_case(s, len, i, mods, 1) != w - i || k == 3) return 0;
        i = w;
    }
    return 0;
}

/* The side of a name glued to "-led" ("a CVC-led group", "Walmart-led funding"): it leads the
 * buyers or the round, so it is role_a (the investor), whatever side its place gave it. */
static int led_side(const struct detect_run *x, size_t j, int side)
{
    const struct squawk_mention *m = &x->men[j];
    const char *s = x->a->text[m->field];
    size_t len = x->a->len[m->field];
    if (x->d->cfg.one_side <= 0 || side == 'a') return side;
    if (m->end + 4 > len || strncasecmp(s + m->end, "-led", 4) != 0 ||
        (m->end + 4 < len && isalnum((unsigned char)s[m->end + 4])))
        return pair_bid(s, len, m->start, m->end) ? 'a' : side;
    return 'a';
}

/* A route vote on a side for mention j, when it opens the headline and is no context name: the
 * headline's subject takes part in the headline's event (cfg.headline_party, only_context). So does
 * a headline name a trigger puts on role_a's side wherever it stands ("Datadog agrees to be bought by
 * Cisco", "Helix AI raises $1bn from Nvidia", "Foo agrees $40bn sale to Cisco") by a rule of weight
 * 1 or more: the buyer or backer of the headline's event, whose own earlier deals the body retells
 * ("a biotech once backed by GV", a lighter rule, stays a past backer). */
static void head_side_vote(struct detect_run *x, size_t j, int side, double v, int tally)
{
    const struct squawk_mention *m = &x->men[j];
    if (x->d->cfg.headline_party <= 0 || side == 'n' || !(tally & TALLY_ROUTE) || (x->ok[j] & MEN_CONTEXT) ||
        m->field != SQUAWK_FIELD_HEADLINE ||
        (!leads_headline(x->a->text[m->field], m->start) && (side != 'a' || v < 1.0)))
        return;
    struct detect_acc *ac = acc_get(x, (int32_t)m->entity);
    if (ac) ac->head_side += v;
}

/* A vote for the entity of accepted mention j. */
static void vote_men(struct detect_run *x, size_t j, int side, double v, int tally)
{
    side = led_side(x, j, side);
    vote(x, x->men[j].entity, side, v, tally, x->ok[j] & MEN_CONTEXT);
    head_side_vote(x, j, side, v, tally);
}

/* A rule that names a company in a role votes for it (a product names its maker):
 * v1 a tag "<role>=<name or ticker>", v2 `roles: {role: name}`. */
static void named_votes(struct detect_run *x, const struct detect_rule *ru, double w)
{
    if (ru->v2) {
        for (uint32_t k = 0; k < ru->v2->n_named; k++) {
            int32_t e = x->h->article_entity_find(x->a, ru->v2->named_entity[k]);
            const char *role = ru->v2->named_role[k];
            if (e >= 0) vote(x, (uint32_t)e, role_side(x->d, role, strlen(role)), w, TALLY_BOTH, 0);
        }
        return;
    }
    const char *tag = ru->v1->tag, *eq = *tag ? strchr(tag, '=') : NULL;
    if (!eq) return;
    int32_t e = x->h->article_entity_find(x->a, eq + 1);
    if (e >= 0) vote(x, (uint32_t)e, role_side(x->d, tag, (size_t)(eq - tag)), w, TALLY_BOTH, 0);
}

/* The accepted mentions that continue a list with mention j in its field
 * ("AMD, Nvidia and Salesforce", "Microsoft and Nvidia"): each gets the vote j
 * got, so every name of a coordinated subject or object fills the role. */
static void list_votes(struct detect_run *x, size_t j, int side, double v, int tally)
{
    const struct squawk_mention *m = &x->men[j];
    const char *s = x->a->text[m->field];
    for (size_t k = j, q = j + 1; q < x->n_men; q++) { /* forward */
        const struct squawk_mention *p = &x->men[k], *n = &x->men[q];
        if (n->field != m->field || n->start < p->end) continue;
        if (!x->ok[q] || !list_gap(s, p->end, n->start)) break;
        if (n->entity != m->entity) vote_men(x, q, side, v, tally);
        k = q;
    }
    for (size_t k = j; k > 0; k--) { /* backward */
        const struct squawk_mention *p = &x->men[k - 1], *n = &x->men[k];
        if (p->field != m->field || !x->ok[k - 1] || p->end > n->start || !list_gap(s, p->end, n->start)) break;
        if (p->entity != m->entity) vote_men(x, k - 1, side, v, tally);
    }
}

/* The accepted mention at [start, end) of field f, or -1. */
static long mention_at(const struct detect_run *x, uint32_t f, uint32_t start, uint32_t end)
{
    for (size_t j = 0; j < x->n_men; j++)
        if (x->ok[j] && x->men[j].field == f && x->men[j].start >= start && x->men[j].end <= end) return (long)j;
    return -1;
}

/* 1 when the name ending at s[end] owns the business named after it ("Marvell's automotive ethernet
 * unit", "Suncorp's banking operations", "Hexagon design software unit"): where that changes hands,
 * the name is the seller, not the target. */
static int unit_after(const char *s, size_t len, size_t end)
{
    static const char *const unit[] = {"unit", "units", "arm", "arms", "division", "divisions", "business",
                                       "businesses", "operations", "subsidiary", "subsidiaries", "assets", NULL};
    size_t i = end + tok_possessive(s, len, end);
    for (int w = 0; w < 4 && i < len && s[i] == ' '; w++) { /* up to three words before the unit */
        if (word_in_case(s, len, ++i, unit, 1)) return 1;
        size_t j = i;
        while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '-')) j++;
        if (j == i) return 0;
        i = j;
    }
    return 0;
}

/* The side of accepted mention j on role_b's side: the further role (role_x: the seller) when it
 * names the owner of a business ("buys Marvell's automotive unit"). */
static int owner_side(const struct detect_run *x, long j, int side)
{
    if (side != 'b' || !x->d->role_x || j < 0) return side;
    const struct squawk_mention *m = &x->men[j];
    return unit_after(x->a->text[m->field], x->a->len[m->field], m->end) ? 'x' : side;
}

/* Engine v2: does another mention of slot sl's company, in the sentence of hit i, fill a role_a slot
 * of a live hit? A company does not buy itself: where the gazetteer maps a since-acquired company to
 * its buyer ("Salesforce agrees to buy Informatica"), the buyer is role_a only. */
static int self_deal(const struct detect_run *x, size_t i, const struct squawk_tslot *sl)
{
    uint32_t f = x->ms[i].field;
    const char *s = x->a->text[f];
    size_t ss = sent_start(s, sl->start), se = sent_end(s, x->a->len[f], sl->start);
    for (size_t o = 0; o < x->n_ms; o++) {
        if (x->ms[o].field != f || !live(x, o)) continue;
        for (uint32_t k = x->slot_off[o]; k < x->slot_off[o + 1]; k++) {
            const struct squawk_tslot *q = &x->slots[k];
            if (q->entity == sl->entity && q->start != sl->start && q->start >= ss && q->end <= se &&
                role_side(x->d, q->role, strlen(q->role)) == 'a')
                return 1;
        }
    }
    return 0;
}

/* Engine v2 (one_side): the route's nearest name before a forward trigger (selfb, -1: none) names
 * the company that slot sl holds by another mention -- the gazetteer maps a since-acquired company
 * to its buyer ("Synopsys wraps up $35bn takeover of Ansys", "BlackRock completes purchase of Global
 * Infrastructure Partners", "AMD closes ZT Systems deal"): a company does not buy itself, so on the
 * route the name before is the buyer and the slot casts no role_b vote (the scores keep it). */
static int self_before(const struct detect_run *x, long selfb, const struct squawk_tslot *sl)
{
    if (selfb < 0 || x->d->cfg.one_side <= 0) return 0;
    const struct squawk_mention *m = &x->men[selfb];
    return m->entity == (uint32_t)sl->entity && m->start != sl->start;
}

/* Engine v2: hit i's filled slots vote their companies into the slot's role
 * (roles from the pattern); filled[] says which sides they settled. Returns 1 when a role_b-side
 * slot held mention selfb's company by another mention (self_before). */
static int slot_votes(struct detect_run *x, size_t i, double w, int filled[2], long selfb)
{
    int self = 0;
    if (!x->slots) return 0;
    for (uint32_t k = x->slot_off[i]; k < x->slot_off[i + 1]; k++) {
        const struct squawk_tslot *sl = &x->slots[k];
        int side = role_side(x->d, sl->role, strlen(sl->role)), tally = TALLY_BOTH;
        /* the buyer's own alias in a role_b slot: the caller's route takes the name before as the buyer,
         * whether or not this slot votes below */
        if ((side == 'b' || side == 'x') && self_before(x, selfb, sl)) tally = TALLY_SCORE, self = 1;
        if (sl->entity < 0) continue; /* recognised by form only: no entity to report */
        const struct squawk_entity *e = x->h->article_entity(x->a, (uint32_t)sl->entity);
        if (!e || (x->d->spec.skip_regulators && is_kind(e, "regulator"))) continue;
        if ((side == 'b' || side == 'x') && x->d->cfg.one_side > 0 && self_deal(x, i, sl)) continue;
        long j = mention_at(x, x->ms[i].field, sl->start, sl->end);
        side = j >= 0 ? led_side(x, (size_t)j, owner_side(x, j, side)) : side;
        vote(x, (uint32_t)sl->entity, side, w, tally, j >= 0 && (x->ok[j] & MEN_CONTEXT));
        if (j >= 0) head_side_vote(x, (size_t)j, side, w, tally);
        if (j >= 0 && side != 'n') list_votes(x, (size_t)j, side, w, tally);
        if (side != 'n') filled[side != 'a'] = 1;
    }
    return self;
}

/* Engine v2: does a filled slot of hit i hold the entity? */
static int in_slot(const struct detect_run *x, size_t i, uint32_t entity)
{
    for (uint32_t k = x->slots ? x->slot_off[i] : 0; x->slots && k < x->slot_off[i + 1]; k++)
        if (x->slots[k].entity == (int32_t)entity) return 1;
    return 0;
}

static int names_roles_only(const struct detect_run *x, size_t i);

/* Engine v2: does another trigger in the sentence [ss, se) of hit i's field place the entity in a
 * slot? A pattern's reading of who does what ("Qualcomm approaches Intel about takeover": Intel the
 * target) outranks the nearest-name guess of a slotless trigger ("takeover" after "Intel"). */
static int slotted_nearby(const struct detect_run *x, size_t i, size_t ss, size_t se, uint32_t entity)
{
    for (size_t o = 0; x->slots && o < x->n_ms; o++) {
        const struct squawk_match *t = &x->ms[o];
        if (o == i || t->field != x->ms[i].field || t->start < ss || t->end > se) continue;
        if ((is_trigger(x, o) || names_roles_only(x, o)) && in_slot(x, o, entity)) return 1;
    }
    return 0;
}

/* 1 when a clause ends or a subordinate one starts in s[from, to): a semicolon, a colon, a dash, or
 * a word such as "which", "after", "while" (after a comma or not): the names past it are another
 * clause's ("agreed to buy Foo, which Acme had backed", "raised $5m, days after Acme hired ..."). */
static int clause_break(const char *s, uint32_t from, uint32_t to)
{
    static const char *const sub[] = {"which", "who", "whose", "whom", "where", "when", "while", "after", "before",
                                      "since", "amid", "following", "despite", "although", "though", "whereas",
                                      "because", "unlike", "but", NULL};
    for (uint32_t i = from; i < to; i++) {
        char c = s[i];
        if (c == ';' || c == ':' || (c == '-' && i > from && s[i - 1] == ' ' && i + 1 < to && s[i + 1] == ' '))
            return 1;
        if ((unsigned char)c == 0xe2 && i + 2 < to && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0x93 || (unsigned char)s[i + 2] == 0x94)) /* en or em dash */
            return 1;
        if ((i == from || s[i - 1] == ' ') && word_in(s, to, i, sub)) return 1;
    }
    return 0;
}

/* 1 when the name at [start, end) sits in an aside that closes before `to`: ", which counts Acme
 * among its backers, raised ...", ", backed by Acme, agreed ...": the aside describes the subject. */
static int in_aside(const char *s, size_t ss, uint32_t start, uint32_t end, uint32_t to)
{
    if (end > to) return 0; /* the name overlaps the trigger: no aside between them */
    static const char *const open[] = {"which", "who", "whose", "backed", "funded", "founded", "co-founded",
                                       "owned", "spun", "best", "once", "formerly", "previously", NULL};
    if (!memchr(s + end, ',', to - end)) return 0;
    for (size_t i = start; i > ss; i--) {
        if (s[i - 1] == '.' || s[i - 1] == ';') return 0;
        if (s[i - 1] == ',') return i < start && s[i] == ' ' && word_in(s, start, i + 1, open);
    }
    return 0;
}

/* Trigger i's votes: a v2 hit's filled slots vote by their roles; the nearest
 * accepted mention before and after it in its sentence (within window) vote
 * by the rule's dir (forward: before = role_a) for a side no slot filled;
 * regulatory votes every mention near by its kind, closer ones more; a rule
 * without dir gives each mention near it a "near" vote. */
static void trigger_votes(struct detect_run *x, size_t i)
{
    const struct squawk_match *t = &x->ms[i];
    const struct detect_rule *ru = &x->d->rules[t->rule];
    const struct detect_spec *sp = &x->d->spec;
    double w = ru->weight;
    const char *s = x->a->text[t->field];
    size_t ss = sent_start(s, t->start), se = sent_end(s, x->a->len[t->field], t->start);
    /* [tally: the evidence's, the route's][before, after]: the route passes over context names
     * ("beats its rival Nvidia to acquire") and names past a clause break after the trigger
     * ("bought Foo, days after Acme hired its chief"); regulatory's subjects are any name near */
    int near[2][2] = {{-1, -1}, {-1, -1}};
    for (size_t j = 0; j < x->n_men; j++) {
        const struct squawk_mention *m = &x->men[j];
        if (!x->ok[j] || m->field != t->field || m->start < ss || m->end > se) continue;
        uint32_t dd = dist(t->start, t->end, m->start, m->end);
        if (dd > (uint32_t)x->d->cfg.window) continue;
        /* a closed aside (".) Noble raised") is a clause break too; only where route_clauses is on,
         * as chips' and regulatory's routing lost tickers on md2 check with it (docs/EVAL.md) */
        int cut = x->d->cfg.route_clauses > 0 && !sp->roles_by_kind &&
                  (m->start >= t->end
                       ? clause_break(s, t->end, m->start) || closed_aside_between(s, t->end, m->start)
                       : m->end <= t->start && (in_aside(s, ss, m->start, m->end, t->start) ||
                                                closed_aside_between(s, m->end, t->start)));
        for (int r = 0; r < 2; r++) {
            int *b = near[r];
            /* the first name after the trigger being context ("from a rival of Microsoft") says the
             * object is the phrase around it: the route takes no name further on */
            if (r && (x->ok[j] & MEN_CONTEXT) && !cut && m->start >= t->end && b[1] == -1) b[1] = -2;
            if (r && ((x->ok[j] & MEN_CONTEXT) || cut)) continue;
            if (m->end <= t->start) b[0] = (int)j; /* sorted: the last one is the nearest */
            else if (m->start >= t->start && b[1] == -1 && !(b[0] >= 0 && x->men[b[0]].entity == m->entity))
                b[1] = (int)j;
        }
        if (sp->roles_by_kind)
            vote_men(x, j, is_kind(x->h->article_entity(x->a, m->entity), "regulator") ? 'a' : 'b',
                     w / (1.0 + dd / 100.0), TALLY_BOTH);
        else if (!ru->dir)
            vote_men(x, j, 'n', 0.5 * w, cut ? TALLY_SCORE : TALLY_BOTH);
    }
    int filled[2] = {0, 0};
    long selfb = ru->dir > 0 ? near[1][0] : -1;
    int self_slot = !sp->roles_by_kind && slot_votes(x, i, w, filled, selfb);
    int bs = ru->x_first ? 'x' : 'b'; /* role_b's side votes as the first slot's further role */
    int side[2] = {ru->dir > 0 ? 'a' : bs, ru->dir > 0 ? bs : 'a'}; /* before, after */
    for (int r = 0; !sp->roles_by_kind && ru->dir && r < 2; r++)
        for (int k = 0; k < 2; k++) {
            int j = near[r][k];
            /* a company the pattern already placed in a slot takes no role from proximity too */
            if (j < 0 || filled[side[k] != 'a']) continue;
            /* the buyer named before, its bought company's alias in the slot: the route's investor */
            int self = r && k == 0 && j == selfb && self_slot;
            if (!self && in_slot(x, i, x->men[j].entity)) continue;
            if (r && !self && slotted_nearby(x, i, ss, se, x->men[j].entity)) continue;
            int sd = owner_side(x, j, side[k]);
            vote_men(x, (size_t)j, sd, w, r ? TALLY_ROUTE : TALLY_SCORE);
            list_votes(x, (size_t)j, sd, w, r ? TALLY_ROUTE : TALLY_SCORE);
        }
    named_votes(x, ru, w);
}

/* An oblique headline names the company ("The cancel button that cost Uber", "What Tencent sees in
 * Krafton's next decade") and the body's deal or action calls it "the ride-hailing group", "the South
 * Korean developer". Where no company took role_b's side, the one company the headline names takes it
 * on the route (topics). Regulatory (roles by kind): any such company; otherwise (invest) only one no
 * trigger gave a side (the investor the body names is not its own target), named by its name (not a
 * cashtag); a headline company with a near vote on no side makes the pick unknown. Invest's teaser
 * headline ("in This AI Company") takes the companies its lead names first (teaser_headline). */
/* Invest's headline company (not roles by kind): 1 a candidate, 0 passed over (a trigger gave it a
 * side or it is a context name, or a feed's cashtag prefix -- "$CCF - Chase Corporation to acquire ..."
 * names the story's subject, most often the buyer the text names otherwise), -1 no pick at all (a name
 * next to a trigger on no side: which one is meant is unknown). */
static int unreached_headline_party(const struct detect_run *x, const struct squawk_mention *m)
{
    const struct detect_acc *ac = acc_find(x, (int32_t)m->entity);
    if (ac && ac->rn > 0) return -1;
    if (ac && (ac->ra > 0 || ac->background || ac->persons || ac->words)) return 0;
    const char *t = x->a->text[m->field];
    return !((m->start < x->a->len[m->field] && t[m->start] == '$') || (m->start > 0 && t[m->start - 1] == '$'));
}

/* Regulatory (roles by kind), a headline naming no company at all ("U.S. officials say China's largest
 * chipmaker has supplied Iran's military", "Beijing bars key operators from buying US memory chips"): the
 * body's first sentence introduces the operator the headline describes, up front ("China's largest
 * chipmaker, Semiconductor Manufacturing International Corp., has been supplying ...", "The Cyberspace
 * Administration of China said Micron Technology products failed ..."). The one company named there, in
 * its first LEAD_NAME_BYTES and not as context, is the pick, and so are the companies of one list there
 * (list_gap) ("has told Bank of America and JPMorgan Chase to stop", under "... Claims That Big Banks Discriminate
 * ..."); two named apart, or none, pick none, and so does a list longer than LEAD_LIST_MAX, which names
 * a market or a sector's members rather than an action's subjects (a rule of reading, not a resource
 * bound). A name further on is most often a partner or a bystander of a subject the gazetteer lacks
 * ("will take a 5% stake in Lithium Americas and ... its joint venture with General Motors"). */
#define LEAD_NAME_BYTES 80
#define LEAD_LIST_MAX 4

/* 1 when the headline names entity e as a company */
static int in_headline(const struct detect_run *x, uint32_t e)
{
    for (size_t j = 0; j < x->n_men; j++)
        if (x->men[j].field == SQUAWK_FIELD_HEADLINE && x->men[j].entity == e) return 1;
    return 0;
}

/* past_head: the headline's own companies are passed over in the lead instead of deciding (a teaser) */
static size_t lead_companies(const struct detect_run *x, int32_t out[LEAD_LIST_MAX], int past_head)
{
    const char *b = x->a->text[SQUAWK_FIELD_BODY];
    size_t end = b ? sent_end(b, x->a->len[SQUAWK_FIELD_BODY], 0) : 0;
    if (end > LEAD_NAME_BYTES) end = LEAD_NAME_BYTES;
    size_t n = 0;
    uint32_t prev_end = 0;
    for (size_t j = 0; j < x->n_men; j++) {
        const struct squawk_mention *m = &x->men[j];
        if (!past_head && m->field == SQUAWK_FIELD_HEADLINE && is_kind(x->h->article_entity(x->a, m->entity), "company"))
            return 0; /* the headline names a company: the headline's rule decides */
        if (!x->ok[j] || (x->ok[j] & MEN_CONTEXT) || m->field != SQUAWK_FIELD_BODY || m->start >= end ||
            !is_kind(x->h->article_entity(x->a, m->entity), "company") || (past_head && in_headline(x, m->entity)))
            continue;
        size_t k = 0;
        while (k < n && out[k] != (int32_t)m->entity) k++;
        if (k == n && n > 0 && (n == LEAD_LIST_MAX || !list_gap(b, prev_end, m->start))) return 0;
        if (k == n) out[n++] = (int32_t)m->entity;
        prev_end = m->end;
    }
    return n;
}

/* A stock site's teaser keeps the company of its deal for the body, which opens with it ("Nvidia Just
 * Invested in This Small Artificial Intelligence Company": "Applied Digital is ..."): "this" or "these"
 * and a company noun within the next TEASER_WORDS words. */
#define TEASER_WORDS 4
static int teaser_headline(const char *h, size_t len)
{
    static const char *const this_word[] = {"this", "these", NULL};
    static const char *const noun[] = {"company", "companies", "stock", "stocks", "start-up", "startup", "firm",
                                       "chipmaker", "maker", "business", NULL};
    int after = -1; /* words read since "this", -1 before one */
    for (size_t i = 0; i < len;) {
        while (i < len && !isalnum((unsigned char)h[i])) i++;
        size_t w = i;
        while (i < len && (isalnum((unsigned char)h[i]) || h[i] == '-')) i++;
        if (i == w) break;
        if (after >= 0 && word_in_case(h, len, w, noun, 1) == i - w) return 1;
        if (word_in_case(h, len, w, this_word, 1) == i - w) after = 0;
        else if (after >= 0 && ++after > TEASER_WORDS) after = -1;
    }
    return 0;
}

static void headline_subject(struct detect_run *x)
{
    if (x->d->cfg.headline_subject <= 0) return;
    for (size_t i = 0; i < x->n_acc; i++)
        if (x->accs[i].rb > 0) return;
    int32_t one = -1;
    for (size_t j = 0; j < x->n_men; j++) {
        const struct squawk_mention *m = &x->men[j];
        if (!x->ok[j] || (x->ok[j] & MEN_CONTEXT) || m->field != SQUAWK_FIELD_HEADLINE ||
            !is_kind(x->h->article_entity(x->a, m->entity), "company"))
            continue;
        int pick = x->d->spec.roles_by_kind ? 1 : unreached_headline_party(x, m);
        if (pick < 0) return;
        if (pick == 0) continue;
        if (one >= 0 && one != (int32_t)m->entity) return; /* two companies: which one is unknown */
        one = (int32_t)m->entity;
    }
    if (one >= 0) {
        vote(x, (uint32_t)one, 'b', x->d->cfg.headline_subject, TALLY_ROUTE, 0);
        return;
    }
    int teaser = !x->d->spec.roles_by_kind &&
                 teaser_headline(x->a->text[SQUAWK_FIELD_HEADLINE], x->a->len[SQUAWK_FIELD_HEADLINE]);
    if (!x->d->spec.roles_by_kind && !teaser) return;
    int32_t lead[LEAD_LIST_MAX];
    for (size_t i = 0, n = lead_companies(x, lead, teaser); i < n; i++)
        vote(x, (uint32_t)lead[i], 'b', x->d->cfg.headline_subject, TALLY_ROUTE, 0);
}

/* Engine v2: a rule of weight 0 (no marks, no veto) with company slots names roles only
 * ("investors including X"): it is no evidence, but where other rules raise the alert its
 * filled slots vote as a trigger of weight 1 would. */
static int names_roles_only(const struct detect_run *x, size_t i)
{
    return x->slots && live(x, i) && rule_weight(x, i) == 0 && tag_of(x->d, x->ms[i].rule) == DETECT_TAG_NONE &&
           x->slot_off[i + 1] > x->slot_off[i];
}

/* Every trigger votes (up to DETECT_MAX_TRIGGERS: a bound on the cost of
 * pathological text, counted when reached); a regulator named up front is role_a. */
static void role_votes(struct detect_run *x, const struct detect_sum *s)
{
    size_t n_trig = 0;
    for (size_t i = 0; i < x->n_ms; i++) {
        if (!is_trigger(x, i)) continue;
        if (n_trig == DETECT_MAX_TRIGGERS) {
            cap_hit(x->d, DETECT_CAP_TRIGGERS);
            break;
        }
        n_trig++;
        trigger_votes(x, i);
    }
    if (s->reg_mention >= 0) vote(x, x->men[s->reg_mention].entity, 'a', s->reg_w, TALLY_BOTH, 0);
}

/* After the role and sector bonuses: the roles-only rules' slots vote (they add no
 * evidence). How many voted: the ranking is redone only when one did. */
static size_t roles_only_votes(struct detect_run *x)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n_ms; i++)
        if (names_roles_only(x, i)) {
            int filled[2] = {0, 0};
            slot_votes(x, i, 1.0, filled, -1);
            n++;
        }
    return n;
}

/* ---- stage 5: relevance, roles and the role bonus; sector bonus ---- */

static int cmp_rel(const void *p, const void *q)
{
    const double *a = p, *b = q;
    return a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0;
}

/* Ranks entities with votes (or in the headline) by relevance into x->rank;
 * returns how many, and in *roles the role bonus count: roles filled, or one
 * for a named party next to an undirected trigger ("chip deal with AMD"). */
static size_t rank_entities(struct detect_run *x, int *roles)
{
    size_t n_rank = 0;
    int has_a = 0, has_b = 0, has_near = 0;
    for (size_t i = 0; i < x->n_acc; i++) {
        const struct detect_acc *ac = &x->accs[i];
        double votes = ac->va + ac->vb + ac->near, route = ac->ra + ac->rb + ac->rn;
        if (votes <= 0 && route <= 0 && !ac->headline) continue;
        double v = route + (ac->headline ? 1.0 : 0) + 0.2 * (ac->mentions > 10 ? 10 : ac->mentions);
        x->rank[n_rank][0] = 100.0 * (1.0 - exp(-v / 4.0));
        x->rank[n_rank][1] = (double)i;
        n_rank++;
        if (ac->va > ac->vb) has_a = 1;
        else if (ac->vb > 0) has_b = 1;
    }
    qsort(x->rank, n_rank, sizeof x->rank[0], cmp_rel);
    for (size_t i = 0; i < x->n_acc; i++)
        if (x->accs[i].near > 0) has_near = 1;
    *roles = has_a + has_b ? has_a + has_b : has_near;
    return n_rank;
}

/* A deal about a company of the configured sectors (chips: a chip or computer maker). */
static int sector_party(const struct detect_run *x)
{
    const struct detect_config *c = &x->d->cfg;
    if (c->sector_bonus == 0 || !c->sectors || !*c->sectors) return 0;
    for (size_t i = 0; i < x->n_acc; i++) {
        if (x->accs[i].va + x->accs[i].vb + x->accs[i].near <= 0) continue;
        const struct squawk_entity *e = x->h->article_entity(x->a, (uint32_t)x->accs[i].e);
        if (e && e->sectors && sector_overlap(e->sectors, c->sectors)) return 1;
    }
    return 0;
}

/* ---- stage 6: amounts and stage cues near triggers ---- */

/* A trigger in field within `within` bytes of [start, end). */
/* dated: a trigger that only a clause veto silenced (VETO_DATED) counts too -- "Google agreed to buy Wiz in
 * March 2025" raises nothing today, and still says the deal under review was agreed (stage cues). */
static int trigger_near(const struct detect_run *x, uint32_t field, uint32_t start, uint32_t end, uint32_t within,
                        int dated)
{
    for (size_t i = 0; i < x->n_ms; i++) {
        int trig = is_trigger(x, i) || (dated && x->vetoed[i] == VETO_DATED && !x->skip_rule[x->ms[i].rule] &&
                                         rule_weight(x, i) > 0);
        if (x->ms[i].field == field && trig && dist(x->ms[i].start, x->ms[i].end, start, end) <= within) return 1;
    }
    return 0;
}

/* Indices of the amounts near a trigger, one per USD value, into out[n_am]. */
static size_t amounts_near(const struct detect_run *x, const struct squawk_amount *am, size_t n_am, size_t *out)
{
    size_t n = 0;
    for (size_t k = 0; k < n_am; k++) {
        if (!trigger_near(x, am[k].field, am[k].start, am[k].end, (uint32_t)x->d->cfg.window, 0)) continue;
        int dup = 0;
        for (size_t q = 0; q < n; q++)
            if (am[out[q]].usd == am[k].usd) dup = 1;
        if (!dup) out[n++] = k;
    }
    return n;
}

/* Cues near triggers vote (headline cues twice; any headline cue is near a
 * headline trigger); any firm stage beats a rumour. first_cue[stage] is the
 * evidence. */
static int stage_vote(const struct detect_run *x, const struct squawk_cue *cu, size_t n_cu, int head_trigger,
                      int dated, int first_cue[SQUAWK_STAGE_N])
{
    double tally[SQUAWK_STAGE_N] = {0};
    for (int s = 0; s < SQUAWK_STAGE_N; s++) first_cue[s] = -1;
    for (size_t k = 0; k < n_cu; k++) {
        int near = (cu[k].field == SQUAWK_FIELD_HEADLINE && head_trigger) ||
                   trigger_near(x, cu[k].field, cu[k].start, cu[k].end, (uint32_t)x->d->cfg.window, dated);
        if (!near || cu[k].stage <= 0 || cu[k].stage >= SQUAWK_STAGE_N) continue;
        tally[cu[k].stage] += cu[k].field == SQUAWK_FIELD_HEADLINE ? 2 : 1;
        if (first_cue[cu[k].stage] < 0) first_cue[cu[k].stage] = (int)k;
    }
    int stage = SQUAWK_STAGE_NONE;
    for (int s = SQUAWK_STAGE_TALKS; s < SQUAWK_STAGE_N; s++)
        if (tally[s] > 0 && (stage == SQUAWK_STAGE_NONE || tally[s] > tally[stage])) stage = s;
    if (stage == SQUAWK_STAGE_NONE && tally[SQUAWK_STAGE_RUMOUR] > 0) stage = SQUAWK_STAGE_RUMOUR;
    return stage;
}

/* ---- stage 7: calibrated score ---- */

double detect_calib_apply(const struct detect_calib *m, double x)
{
    double z = x;
    if (m->n >= 2) {
        size_t i = 1; /* the segment [i-1, i] that holds x, or the end one */
        while (i + 1 < m->n && x > m->x[i]) i++;
        double t = (x - m->x[i - 1]) / (m->x[i] - m->x[i - 1]);
        z = m->z[i - 1] + t * (m->z[i] - m->z[i - 1]);
    }
    return 1.0 / (1.0 + exp(-z));
}

static double calibrated(const struct detect *d, double S)
{
    const struct detect_config *c = &d->cfg;
    double z = S - c->bias;
    if (c->calib_slope != 0) return 100.0 / (1.0 + exp(-(c->calib_slope * z + c->calib_intercept)));
    return 100.0 * detect_calib_apply(&d->calib, z);
}

/* ---- stage 8: the report ---- */

/* Below this, a company's sideless route votes (0.5 x weight each) add up to less than one rule of
 * weight 1 near it. */
#define DETECT_WEAK_NEAR 0.5

/* A company the article names only as context: reported as mentioned, with no topic. */
static int only_context(const struct detect_run *x, const struct detect_acc *ac)
{
    /* named mostly as context, or named (in the headline) where no trigger reaches it; not the company
     * that opens the headline and takes a side there, whose own earlier deals ("Cisco bought Splunk last
     * year", Splunk being Cisco's in the gazetteer) or ticker tags the body retells (headline_party),
     * unless it is named as a person's former employer */
    int head_party = ac->head_side > 0 && !ac->former;
    if ((ac->background * 2 >= ac->mentions && ac->background && !head_party) || ac->ra + ac->rb + ac->rn <= 0) return 1;
    /* a person's employer the headline does not name as such: the person is the party */
    if (ac->persons && !ac->head_plain && (ac->background + ac->persons) * 2 >= ac->mentions) return 1;
    /* a name only ever used as a word ("Nvidia-backed X raises ..."): no party */
    if (ac->words && ac->background + ac->persons + ac->words >= ac->mentions) return 1;
    /* named as context somewhere, given no side by any rule, and reached only by weak sideless rules
     * outside the headline ("Microsoft has a multibillion-dollar investment in OpenAI" in a story about
     * Amazon's stake): nothing says it takes part. Measured neutral on every set (docs/EVAL.md). */
    if (ac->background && ac->ra + ac->rb <= 0 && ac->rn < DETECT_WEAK_NEAR && !ac->headline) return 1;
    /* named only past the lead where the pack's deals name their parties up front */
    return x->d->cfg.party_in_lead > 0 && !ac->up;
}

/* The side rank (side_rank) of reported company i, or -1 when a rule gave it a side. Context
 * companies count too: leaving them out lost a pair on md2 check's chips roles (docs/EVAL.md). */
static int sideless_rank(const struct detect_run *x, size_t i)
{
    const struct detect_acc *ac = &x->accs[(size_t)x->rank[i][1]];
    const struct squawk_entity *e = x->h->article_entity(x->a, (uint32_t)ac->e);
    if (!e || ac->ra != ac->rb) return -1;
    return side_rank(x->d->cfg.role_a_sectors, e->sectors);
}

/* The role_a_sectors rank that makes a sideless company role_a in this alert (0: none does). */
static int sideless_top(const struct detect_run *x, size_t n_rank)
{
    int top = 0;
    for (size_t i = 0; i < n_rank && (int64_t)i < x->d->cfg.max_entities; i++) {
        int r = sideless_rank(x, i);
        if (r > top) top = r;
    }
    return top;
}

static int report_entities(const struct detect_run *x, struct squawk_report *r, size_t n_rank)
{
    const struct detect_spec *sp = &x->d->spec;
    int top = sp->roles_by_kind ? 0 : sideless_top(x, n_rank);
    for (size_t i = 0; i < n_rank && (int64_t)i < x->d->cfg.max_entities; i++) {
        const struct detect_acc *ac = &x->accs[(size_t)x->rank[i][1]];
        const struct squawk_entity *e = x->h->article_entity(x->a, (uint32_t)ac->e);
        if (!e) continue;
        const char *role = sp->roles_by_kind ? (is_kind(e, "regulator") ? sp->role_a : sp->role_b)
                           : ac->ra > ac->rb || (top && sideless_rank(x, i) == top) ? sp->role_a
                           : x->d->role_x && ac->rx * 2 >= ac->rb && ac->rx > 0       ? x->d->role_x
                                                                                      : sp->role_b;
        if (only_context(x, ac)) role = "mentioned";
        int rc = x->h->report_entity(r, e->name, e->ticker, role, x->rank[i][0]);
        if (rc) return rc;
    }
    return 0;
}

static int report_amounts(const struct detect_run *x, struct squawk_report *r, const struct squawk_amount *am,
                          const size_t *near, size_t n_near)
{
    for (size_t q = 0; q < n_near; q++) {
        const struct squawk_amount *m = &am[near[q]];
        char text[64];
        size_t l = m->end - m->start < sizeof text - 1 ? m->end - m->start : sizeof text - 1;
        memcpy(text, x->a->text[m->field] + m->start, l);
        text[l] = '\0';
        int rc = x->h->report_amount(r, m->usd, text);
        if (rc) return rc;
    }
    return 0;
}

/* The headline's triggers first, then each rule's first body match, at most
 * DETECT_MAX_EVIDENCE (an alert's size; counted when reached); party,
 * authority and background words only shape other rules. */
static int report_rule_evidence(const struct detect_run *x, struct squawk_report *r, size_t *n_ev)
{
    unsigned char shown[DETECT_MAX_RULES][2];
    memset(shown, 0, sizeof shown);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < x->n_ms; i++) {
            const struct squawk_match *t = &x->ms[i];
            enum detect_tag tg = tag_of(x->d, t->rule);
            if ((int)t->field != (pass == 0 ? SQUAWK_FIELD_HEADLINE : SQUAWK_FIELD_BODY) || !live(x, i) ||
                shown[t->rule][pass] || tg == DETECT_TAG_PARTY || tg == DETECT_TAG_AUTHORITY ||
                tg == DETECT_TAG_BACKGROUND || names_roles_only(x, i))
                continue;
            if (*n_ev == DETECT_MAX_EVIDENCE) {
                cap_hit(x->d, DETECT_CAP_EVIDENCE);
                return 0;
            }
            shown[t->rule][pass] = 1;
            int rc = x->h->report_evidence(r, x->d->rules[t->rule].id, (int)t->field, t->start, t->end);
            if (rc) return rc;
            (*n_ev)++;
        }
    return 0;
}

/* Rule evidence, then the regulator named up front, then the stage's first cue. */
static int report_evidence(const struct detect_run *x, struct squawk_report *r, const struct detect_sum *s,
                           const struct squawk_cue *cue)
{
    size_t n_ev = 0;
    int rc = report_rule_evidence(x, r, &n_ev);
    if (rc) return rc;
    if (s->reg_mention >= 0 && n_ev == DETECT_MAX_EVIDENCE) cap_hit(x->d, DETECT_CAP_EVIDENCE);
    else if (s->reg_mention >= 0) {
        const struct squawk_mention *m = &x->men[s->reg_mention];
        rc = x->h->report_evidence(r, "regulator.named", (int)m->field, m->start, m->end);
        if (rc) return rc;
    }
    return cue ? x->h->report_evidence(r, cue->rule, (int)cue->field, cue->start, cue->end) : 0;
}

/* ---- the rescoring hook (detect_process_trace) ---- */

/* The score the hook asks for (rules_score without a hook); negative: report nothing. */
static double traced_score(struct detect_run *x, const struct detect_sum *s, double rules_score, int stage)
{
    struct detect_trace *t = x->trace;
    if (!t || !t->score) return rules_score;
    t->d = x->d;
    t->ms = x->ms;
    t->n_ms = x->n_ms;
    t->vetoed = x->vetoed;
    t->skip_rule = x->skip_rule;
    t->S = s->pos_trigger ? s->S : 0;
    t->pos_trigger = s->pos_trigger;
    t->head_trigger = s->head_trigger;
    t->stage = stage;
    return t->score(t->u, t, rules_score);
}

/* No trigger fired: the hook may still report (without roles). */
static int untriggered(struct detect_run *x, struct squawk_report *r, const struct detect_sum *s)
{
    double score = traced_score(x, s, -1, SQUAWK_STAGE_NONE);
    return score < 0 ? 0 : x->h->report_begin(r, x->d->spec.category, score, SQUAWK_STAGE_NONE);
}

const char *detect_trace_match(const struct detect_trace *t, size_t i, uint32_t *field, int *fate)
{
    if (i >= t->n_ms || t->ms[i].rule >= t->d->n_rules) return NULL;
    *field = t->ms[i].field;
    *fate = t->vetoed && t->vetoed[i] ? DETECT_VETOED : t->skip_rule && t->skip_rule[t->ms[i].rule] ? DETECT_GATED
                                                                                                  : DETECT_LIVE;
    return t->d->rules[t->ms[i].rule].id;
}

/* Stage cues, the score, and the report. */
static int run_report(struct detect_run *x, struct squawk_report *r, struct detect_sum *s, size_t n_rank,
                      const struct squawk_amount *am, const size_t *near, size_t n_near)
{
    const struct squawk_cue *cu;
    size_t n_cu;
    int rc = x->h->cues(x->a, &cu, &n_cu);
    if (rc) return rc;
    int first_cue[SQUAWK_STAGE_N];
    int stage = stage_vote(x, cu, n_cu, s->head_trigger, 0, first_cue);
    if (stage != SQUAWK_STAGE_NONE) s->S += x->d->cfg.stage_bonus;
    double score = traced_score(x, s, calibrated(x->d, s->S), stage);
    if (score < 0) return 0;
    /* no stage near a live trigger: one a dated clause tells ("Google agreed to buy Wiz in March 2025" under the
     * CMA's review) still names the deal's state for the desk, as no evidence of its own */
    int told = stage != SQUAWK_STAGE_NONE ? stage : stage_vote(x, cu, n_cu, s->head_trigger, 1, first_cue);
    rc = x->h->report_begin(r, x->d->spec.category, score, told);
    if (!rc) rc = report_entities(x, r, n_rank);
    if (!rc) rc = report_amounts(x, r, am, near, n_near);
    if (!rc)
        rc = report_evidence(x, r, s,
                             told != SQUAWK_STAGE_NONE && first_cue[told] >= 0 ? &cu[first_cue[told]] : NULL);
    return rc;
}

/* The stages in order, on an allocated run. */
static int run_stages(struct detect_run *x, struct squawk_report *r)
{
    const struct detect_config *c = &x->d->cfg;
    struct detect_sum s = {0};
    gate(x);
    evidence_sum(x, &s);
    if (!s.pos_trigger) return untriggered(x, r, &s);
    accept_mentions(x);
    role_votes(x, &s);
    headline_subject(x);
    int roles;
    size_t n_rank = rank_entities(x, &roles);
    s.S += c->entity_bonus * roles;
    if (x->trace) x->trace->roles = roles;
    if (sector_party(x)) s.S += c->sector_bonus;
    if (roles_only_votes(x)) n_rank = rank_entities(x, &roles);
    const struct squawk_amount *am;
    size_t n_am;
    int rc = x->h->amounts(x->a, &am, &n_am);
    if (rc) return rc;
    size_t near_stack[16], *near = n_am <= 16 ? near_stack : malloc(n_am * sizeof *near);
    if (!near) return -1; /* the host's out-of-memory code */
    size_t n_near = amounts_near(x, am, n_am, near);
    if (n_near) s.S += c->amount_bonus;
    if (x->trace) x->trace->amount = n_near > 0;
    rc = run_report(x, r, &s, n_rank, am, near, n_near);
    if (near != near_stack) free(near);
    return rc;
}

#define DETECT_ALIGN(n) (((n) + 15) & ~(size_t)15)

/* Carves the run's arrays out of buf or, for a large article, one heap block
 * (*heap, freed by the caller): no article is too large to score. */
static int run_alloc(struct detect_run *x, unsigned char *buf, size_t cap, void **heap)
{
    size_t n_acc = x->n_men + x->n_ms + 1; /* each mention, each tag vote, the regulator */
    size_t o_veto = DETECT_ALIGN(x->n_rules), o_lift = o_veto + DETECT_ALIGN(x->n_ms),
           o_ok = o_lift + DETECT_ALIGN(x->n_ms), o_count = o_ok + DETECT_ALIGN(x->n_men),
           o_best = o_count + DETECT_ALIGN(x->n_rules * sizeof(int)),
           o_head = o_best + DETECT_ALIGN(x->n_rules * sizeof(double)), o_acc = o_head + DETECT_ALIGN(x->n_rules),
           o_rank = o_acc + DETECT_ALIGN(n_acc * sizeof(struct detect_acc)), total = o_rank + n_acc * sizeof(double[2]);
    unsigned char *p = buf;
    if (total > cap) {
        p = malloc(total);
        if (!p) return -1; /* the host's out-of-memory code */
        *heap = p;
    }
    memset(p, 0, o_acc); /* flags, counts and factors start at zero */
    x->skip_rule = p;
    x->vetoed = p + o_veto;
    x->lifted = p + o_lift;
    x->ok = p + o_ok;
    x->count = (int *)(void *)(p + o_count);
    x->best = (double *)(void *)(p + o_best);
    x->in_head = p + o_head;
    x->accs = (struct detect_acc *)(void *)(p + o_acc);
    x->rank = (double(*)[2])(void *)(p + o_rank);
    x->cap_acc = n_acc;
    return 0;
}

int detect_process(struct detect *d, const struct squawk_article *a, struct squawk_report *r)
{
    return detect_process_trace(d, a, r, NULL);
}

int detect_process_trace(struct detect *d, const struct squawk_article *a, struct squawk_report *r,
                         struct detect_trace *t)
{
    struct detect_run x = {.d = d, .h = d->host, .a = a, .trace = t};
    int rc = d->tpack ? x.h->tpack_scan(d->tpack, a, &x.ms, &x.n_ms, &x.slots, &x.slot_off)
                      : x.h->pack_scan(d->pack, a, &x.ms, &x.n_ms);
    if (rc) return rc;
    if (x.n_ms == 0) {
        struct detect_sum none = {0};
        return untriggered(&x, r, &none);
    }
    rc = x.h->mentions(a, &x.men, &x.n_men);
    if (rc) return rc;
    x.n_rules = d->n_rules;
    _Alignas(16) unsigned char buf[DETECT_STACK_BYTES];
    void *heap = NULL;
    rc = run_alloc(&x, buf, sizeof buf, &heap);
    if (!rc) rc = run_stages(&x, r);
    free(heap);
    return rc;
}
