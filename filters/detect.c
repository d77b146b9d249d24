/* detect.c -- the scoring engine the built-in plugins share; depends only on squawk_filter.h.
 *
 * Score (0-100) = 100 / (1 + exp(-(a * (S - bias) + b))) where a, b are the calibration
 * (calib_slope, calib_intercept: fitted so the score is a probability x 100) and the evidence sum S is
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
 * So S == bias scores 50; each extra unit of evidence moves the score along the
 * logistic curve, and thresholds read as "how much evidence".
 *
 * Roles: for each trigger, the nearest entity before it and after it in the
 * same sentence vote by the rule's dir (forward: before = role_a, after =
 * role_b; backward: the reverse); rules without dir give a "near" vote; a rule
 * tag "role=<ticker>" votes for a named entity (a product names its maker).
 * An entity's role is its larger vote; relevance grows with its votes,
 * headline presence and mentions. */
#include "detect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DETECT_MAX_ENTS 64
#define DETECT_MAX_TRIGGERS 512
#define DETECT_MAX_EVIDENCE 10
#define DETECT_MAX_VETO 2048 /* matches past this index are never vetoed */

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
    if (host->pack_open(host, cfg->pack, &d->pack, err, errlen) != 0) return -1;
    if (host->pack_size(d->pack) > DETECT_MAX_RULES) {
        snprintf(err, errlen, "rule pack %s has more than %d rules", cfg->pack, DETECT_MAX_RULES);
        return -1;
    }
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
    for (size_t i = 0; i < host->pack_size(d->pack); i++) {
        const char *t = host->pack_rule(d->pack, (uint32_t)i)->tag;
        d->tags[i] = !*t ? DETECT_TAG_NONE : strncmp(t, "sector=", 7) == 0 ? DETECT_TAG_SECTOR : DETECT_TAG_OTHER;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            if (strcmp(t, known[k].tag) == 0) d->tags[i] = (unsigned char)known[k].kind;
    }
    return 0;
}

/* The tag kind of a match's rule; none for an index outside the pack. */
static enum detect_tag tag_of(const struct detect *d, uint32_t rule)
{
    return rule < DETECT_MAX_RULES && rule < d->host->pack_size(d->pack) ? (enum detect_tag)d->tags[rule]
                                                                          : DETECT_TAG_NONE;
}

/* 1 when a background phrase ends just before the mention (or holds it):
 * "rival Intel", "former Google researchers", "to challenge AMD". */
static int in_background(const struct detect *d, const struct squawk_match *ms, size_t n_ms,
                         const struct squawk_mention *m)
{
    for (size_t i = 0; i < n_ms; i++)
        if (ms[i].field == m->field && tag_of(d, ms[i].rule) == DETECT_TAG_BACKGROUND &&
            ms[i].start <= m->start && m->start <= ms[i].end + 2)
            return 1;
    return 0;
}

struct acc {
    int32_t e;
    double va, vb, near;
    int mentions, headline;
    int background; /* mentions right after a background phrase ("rival X", "former X") */
};

static struct acc *acc_get(struct acc *v, size_t *n, int32_t e)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i].e == e) return &v[i];
    if (*n == DETECT_MAX_ENTS) return NULL;
    v[*n] = (struct acc){e, 0, 0, 0, 0, 0, 0};
    return &v[(*n)++];
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

/* Do two comma lists share an item? */
static int sector_overlap(const char *have, const char *want)
{
    const char *p = want;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
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

static int cmp_rel(const void *x, const void *y)
{
    const double *a = x, *b = y;
    return a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0;
}

int detect_process(struct detect *d, const struct squawk_article *a, struct squawk_report *r)
{
    const struct squawk_host *h = d->host;
    const struct squawk_match *ms;
    size_t n_ms;
    int rc = h->pack_scan(d->pack, a, &ms, &n_ms);
    if (rc || n_ms == 0) return rc;

    const struct squawk_mention *men;
    size_t n_men;
    rc = h->mentions(a, &men, &n_men);
    if (rc) return rc;
    /* rules tagged requires=sector count only when a company of the
     * configured sectors is named in the headline or lead */
    int sector_present = 0;
    if (d->cfg.sectors && *d->cfg.sectors)
        for (size_t j = 0; j < n_men && !sector_present; j++) {
            const struct squawk_entity *e = h->entity(h, men[j].entity);
            if (men[j].confirmed && e && e->sectors &&
                (men[j].field == SQUAWK_FIELD_HEADLINE || men[j].start < d->cfg.lead_bytes) &&
                sector_overlap(e->sectors, d->cfg.sectors))
                sector_present = 1;
        }
    /* a rule tagged sector=<what> names a sector company the gazetteer cannot
     * know ("Modular Computer Systems Inc"): up front, it counts as one */
    for (size_t i = 0; i < n_ms && !sector_present; i++)
        if (tag_of(d, ms[i].rule) == DETECT_TAG_SECTOR &&
            (ms[i].field == SQUAWK_FIELD_HEADLINE || ms[i].start < d->cfg.lead_bytes))
            sector_present = 1;
    int skip_rule[DETECT_MAX_RULES] = {0};
    for (size_t i = 0; i < h->pack_size(d->pack) && i < DETECT_MAX_RULES; i++)
        if (!sector_present && d->tags[i] == DETECT_TAG_REQ_SECTOR)
            skip_rule[i] = 1;
    /* a rule tagged veto ("buy back its own shares", "supply agreement")
     * says what the words it covers mean: triggers overlapping it count for nothing */
    unsigned char vetoed[DETECT_MAX_VETO] = {0};
    /* a rule tagged unveto lifts the vetoes it overlaps: in "sells oil and
     * gas stake" the goods word names the business being sold */
    unsigned char lifted[DETECT_MAX_VETO] = {0};
    for (size_t u = 0; u < n_ms; u++) {
        if (tag_of(d, ms[u].rule) != DETECT_TAG_UNVETO)
            continue;
        for (size_t v = 0; v < n_ms && v < DETECT_MAX_VETO; v++)
            if (ms[v].field == ms[u].field && ms[v].start < ms[u].end && ms[u].start < ms[v].end)
                lifted[v] = 1;
    }
    for (size_t v = 0; v < n_ms; v++) {
        if (tag_of(d, ms[v].rule) != DETECT_TAG_VETO ||
            (v < DETECT_MAX_VETO && lifted[v]))
            continue;
        /* only positive triggers: a negative rule overlapping a veto
         * ("tax" inside "tax order") still says what the story is */
        for (size_t i = 0; i < n_ms && i < DETECT_MAX_VETO; i++)
            if (i != v && ms[i].field == ms[v].field && ms[i].start < ms[v].end && ms[v].start < ms[i].end &&
                ms[i].rule < h->pack_size(d->pack) && h->pack_rule(d->pack, ms[i].rule)->weight > 0)
                vetoed[i] = 1;
    }
    /* a rule tagged requires=sector_object ("invest in", "stake in") counts
     * only when a company of the configured sectors is its object, named
     * right after it in the same sentence: an investment IN a chip maker is a
     * chips deal, one BY a chip maker is not */
    for (size_t i = 0; i < n_ms && i < DETECT_MAX_VETO; i++) {
        if (tag_of(d, ms[i].rule) != DETECT_TAG_REQ_SECTOR_OBJ)
            continue;
        const char *s = a->text[ms[i].field];
        size_t se = sent_end(s, a->len[ms[i].field], ms[i].end);
        int obj = 0;
        for (size_t j = 0; j < n_men && !obj && d->cfg.sectors && *d->cfg.sectors; j++) {
            const struct squawk_entity *e = h->entity(h, men[j].entity);
            if (men[j].confirmed && e && e->sectors && men[j].field == ms[i].field &&
                men[j].start >= ms[i].end && men[j].end <= se &&
                men[j].start - ms[i].end <= (uint32_t)d->cfg.window / 4 &&
                sector_overlap(e->sectors, d->cfg.sectors))
                obj = 1;
        }
        if (!obj) vetoed[i] = 1;
    }
    /* a rule tagged requires=party (probes, charges, court words) counts only
     * when a company, an industry or a market actor is named in its sentence,
     * the headline or the lead -- by the gazetteer or by a rule tagged party:
     * a case against people alone (a politician's grand jury) is no flag on a company */
    for (size_t i = 0; i < n_ms && i < DETECT_MAX_VETO; i++) {
        if (vetoed[i] || tag_of(d, ms[i].rule) != DETECT_TAG_REQ_PARTY)
            continue;
        const char *s = a->text[ms[i].field];
        size_t ss = sent_start(s, ms[i].start), se = sent_end(s, a->len[ms[i].field], ms[i].end);
#define UP_FRONT_OR_NEAR(f, st, en) \
    ((f) == SQUAWK_FIELD_HEADLINE || (st) < (uint32_t)d->cfg.lead_bytes || \
     ((f) == ms[i].field && (st) >= ss && (en) <= se))
        int party = 0;
        for (size_t j = 0; j < n_men && !party; j++) {
            const struct squawk_entity *e = h->entity(h, men[j].entity);
            /* an ambiguous name ("Progressive magazine") counts only right next to the match */
            int near = men[j].ambiguous == 1 && men[j].field == ms[i].field &&
                       dist(ms[i].start, ms[i].end, men[j].start, men[j].end) <= (uint32_t)d->cfg.window / 4;
            if ((men[j].confirmed || near) && e && e->kind && strcmp(e->kind, "company") == 0 &&
                UP_FRONT_OR_NEAR(men[j].field, men[j].start, men[j].end))
                party = 1;
        }
        for (size_t k = 0; k < n_ms && !party; k++)
            if (!(k < DETECT_MAX_VETO && vetoed[k]) && tag_of(d, ms[k].rule) == DETECT_TAG_PARTY &&
                UP_FRONT_OR_NEAR(ms[k].field, ms[k].start, ms[k].end))
                party = 1;
#undef UP_FRONT_OR_NEAR
        if (!party) vetoed[i] = 1;
    }
#define VETOED(i) ((i) < DETECT_MAX_VETO && vetoed[i])

    /* 1. rule evidence */
    size_t n_rules = h->pack_size(d->pack);
    int count[DETECT_MAX_RULES] = {0};
    double best[DETECT_MAX_RULES] = {0};
    int pos_trigger = 0, head_trigger = 0;
    for (size_t i = 0; i < n_ms; i++) {
        const struct squawk_rule *ru = h->pack_rule(d->pack, ms[i].rule);
        if (ms[i].rule >= n_rules || skip_rule[ms[i].rule] || VETOED(i)) continue;
        count[ms[i].rule]++;
        /* what the article reports sits in the headline and lead; the rest
         * often mentions other deals in passing */
        double fac = ms[i].field == SQUAWK_FIELD_HEADLINE || ms[i].start < d->cfg.lead_bytes
                         ? 1.0 : d->cfg.tail_factor;
        if (fac > best[ms[i].rule]) best[ms[i].rule] = fac;
        if (ru->weight > 0) {
            /* a sector descriptor ("Super Micro Computer Inc") names a maker,
             * not an event: alone it raises nothing */
            if (tag_of(d, ms[i].rule) != DETECT_TAG_SECTOR && ru->weight >= d->cfg.trigger_min_weight) pos_trigger = 1;
            if (ms[i].field == SQUAWK_FIELD_HEADLINE && ru->weight >= d->cfg.head_min_weight)
                head_trigger = 1;
        }
    }
    /* a regulator named up front ("SEC charges ...") is evidence by itself */
    int reg_mention = -1;
    double reg_w = 0;
    for (size_t j = 0; j < n_men && d->cfg.regulator_weight > 0; j++) {
        const struct squawk_entity *e = h->entity(h, men[j].entity);
        if (!men[j].confirmed || !e || !e->kind || strcmp(e->kind, "regulator") != 0) continue;
        double w = men[j].field == SQUAWK_FIELD_HEADLINE ? d->cfg.regulator_weight
                   : men[j].start < d->cfg.lead_bytes ? d->cfg.regulator_weight / 2 : 0;
        if (w > reg_w) {
            reg_w = w;
            reg_mention = (int)j;
        }
    }
    if (reg_mention >= 0) pos_trigger = 1;
    if (!pos_trigger) return 0;
    double S = reg_w;
    /* a headline that names no event rarely reports one: triggers piled up in
     * the body only (results, offerings, commodity trade) count less */
    double body_fac = !head_trigger && a->len[SQUAWK_FIELD_HEADLINE] && d->cfg.body_only_factor > 0
                          ? d->cfg.body_only_factor : 1.0;
    for (size_t i = 0; i < n_rules; i++) {
        if (!count[i]) continue;
        double w = h->pack_rule(d->pack, (uint32_t)i)->weight;
        int extra = count[i] - 1 > 3 ? 3 : count[i] - 1;
        S += w > 0 ? w * best[i] * (1 + 0.25 * extra) * body_fac : w;
    }
    if (head_trigger) S += d->cfg.headline_bonus;
    /* a bland headline over a lead sentence that names an authority, a strong
     * trigger and a company ("The SEC charged Acme Corp with ...") reports the
     * event as plainly as a headline would: authorities are regulators of the
     * gazetteer or rules tagged authority, companies its companies or rules tagged party */
    if (!head_trigger && d->cfg.lead_bonus > 0) {
        int lead_hit = 0;
        for (size_t i = 0; i < n_ms && !lead_hit; i++) {
            const struct squawk_rule *ru = h->pack_rule(d->pack, ms[i].rule);
            if (ms[i].rule >= n_rules || skip_rule[ms[i].rule] || VETOED(i) || ms[i].field != SQUAWK_FIELD_BODY ||
                ms[i].start >= (uint32_t)d->cfg.lead_bytes || ru->weight < d->cfg.head_min_weight || tag_of(d, ms[i].rule) != DETECT_TAG_NONE)
                continue;
            const char *s = a->text[SQUAWK_FIELD_BODY];
            size_t ss = sent_start(s, ms[i].start), se = sent_end(s, a->len[SQUAWK_FIELD_BODY], ms[i].end);
            int auth = 0, party = 0;
            for (size_t j = 0; j < n_men; j++) {
                const struct squawk_entity *e = h->entity(h, men[j].entity);
                if (men[j].field != SQUAWK_FIELD_BODY || men[j].start < ss || men[j].end > se || !e || !e->kind ||
                    !(men[j].confirmed || (men[j].ambiguous == 1 &&
                                           dist(ms[i].start, ms[i].end, men[j].start, men[j].end) <= (uint32_t)d->cfg.window / 4)))
                    continue;
                if (strcmp(e->kind, "regulator") == 0) auth = 1;
                else if (strcmp(e->kind, "company") == 0) party = 1;
            }
            for (size_t k = 0; k < n_ms; k++) {
                if (ms[k].field != SQUAWK_FIELD_BODY || ms[k].start < ss || ms[k].end > se || VETOED(k)) continue;
                enum detect_tag tg = tag_of(d, ms[k].rule);
                if (tg == DETECT_TAG_AUTHORITY) auth = 1;
                /* the trigger's own words ("tariffs on") name no party */
                else if (tg == DETECT_TAG_PARTY && !(ms[k].start < ms[i].end && ms[i].start < ms[k].end))
                    party = 1;
            }
            lead_hit = auth && party;
        }
        if (lead_hit) S += d->cfg.lead_bonus;
    }

    /* 2. entities near triggers */
    uint32_t win = (uint32_t)d->cfg.window;
    struct acc accs[DETECT_MAX_ENTS];
    size_t n_acc = 0;
    unsigned char ok[4096];
    if (n_men > sizeof ok) n_men = sizeof ok;
    for (size_t j = 0; j < n_men; j++) {
        const struct squawk_mention *m = &men[j];
        const struct squawk_entity *e = h->entity(h, m->entity);
        ok[j] = m->confirmed;
        if (!e || (d->spec.skip_regulators && e->kind && strcmp(e->kind, "regulator") == 0)) {
            ok[j] = 0;
            continue;
        }
        if (!ok[j] && m->ambiguous == 1) /* an ambiguous name counts next to a trigger */
            for (size_t i = 0; i < n_ms && !ok[j]; i++)
                if (ms[i].field == m->field && h->pack_rule(d->pack, ms[i].rule)->weight > 0 && !skip_rule[ms[i].rule] && !VETOED(i) &&
                    dist(ms[i].start, ms[i].end, m->start, m->end) <= win / 4)
                    ok[j] = 1;
        if (!ok[j]) continue;
        struct acc *ac = acc_get(accs, &n_acc, (int32_t)m->entity);
        if (!ac) continue;
        ac->mentions++;
        if (m->field == SQUAWK_FIELD_HEADLINE) ac->headline = 1;
        ac->background += in_background(d, ms, n_ms, m);
    }
    size_t n_trig = 0;
    for (size_t i = 0; i < n_ms && n_trig < DETECT_MAX_TRIGGERS; i++) {
        const struct squawk_match *t = &ms[i];
        const struct squawk_rule *ru = h->pack_rule(d->pack, t->rule);
        if (ru->weight <= 0 || skip_rule[t->rule] || VETOED(i)) continue;
        n_trig++;
        double w = ru->weight;
        const char *s = a->text[t->field];
        size_t len = a->len[t->field];
        size_t ss = sent_start(s, t->start), se = sent_end(s, len, t->start);
        int before = -1, after = -1;
        for (size_t j = 0; j < n_men; j++) {
            const struct squawk_mention *m = &men[j];
            if (!ok[j] || m->field != t->field || m->start < ss || m->end > se) continue;
            if (dist(t->start, t->end, m->start, m->end) > win) continue;
            if (m->end <= t->start) before = (int)j; /* sorted: the last one is the nearest */
            else if (m->start >= t->start && after < 0 &&
                     !(before >= 0 && men[before].entity == m->entity))
                after = (int)j;
            if (d->spec.roles_by_kind) {
                const struct squawk_entity *e = h->entity(h, m->entity);
                struct acc *ac = acc_get(accs, &n_acc, (int32_t)m->entity);
                if (!ac) continue;
                double v = w / (1.0 + dist(t->start, t->end, m->start, m->end) / 100.0);
                if (e && e->kind && strcmp(e->kind, "regulator") == 0) ac->va += v;
                else ac->vb += v;
            } else if (!*ru->dir) {
                struct acc *ac = acc_get(accs, &n_acc, (int32_t)m->entity);
                if (ac) ac->near += 0.5 * w;
            }
        }
        if (!d->spec.roles_by_kind && *ru->dir) {
            int fwd = strcmp(ru->dir, "forward") == 0;
            if (before >= 0) {
                struct acc *ac = acc_get(accs, &n_acc, (int32_t)men[before].entity);
                if (ac) *(fwd ? &ac->va : &ac->vb) += w;
            }
            if (after >= 0) {
                struct acc *ac = acc_get(accs, &n_acc, (int32_t)men[after].entity);
                if (ac) *(fwd ? &ac->vb : &ac->va) += w;
            }
        }
        const char *eq = *ru->tag ? strchr(ru->tag, '=') : NULL;
        if (eq) {
            size_t kl = (size_t)(eq - ru->tag);
            int32_t e = h->entity_find(h, eq + 1);
            struct acc *ac = e >= 0 ? acc_get(accs, &n_acc, e) : NULL;
            if (ac) {
                if (strlen(d->spec.role_a) == kl && strncmp(ru->tag, d->spec.role_a, kl) == 0)
                    ac->va += w;
                else if (strlen(d->spec.role_b) == kl && strncmp(ru->tag, d->spec.role_b, kl) == 0)
                    ac->vb += w;
                else
                    ac->near += w;
            }
        }
    }

    if (reg_mention >= 0) {
        struct acc *ac = acc_get(accs, &n_acc, (int32_t)men[reg_mention].entity);
        if (ac) ac->va += reg_w;
    }

    /* 3. entity relevance, roles and the role bonus */
    double rank[DETECT_MAX_ENTS][2];
    size_t n_rank = 0;
    int has_a = 0, has_b = 0;
    for (size_t i = 0; i < n_acc; i++) {
        struct acc *ac = &accs[i];
        double votes = ac->va + ac->vb + ac->near;
        if (votes <= 0 && !ac->headline) continue;
        double x = votes + (ac->headline ? 1.0 : 0) + 0.2 * (ac->mentions > 10 ? 10 : ac->mentions);
        rank[n_rank][0] = 100.0 * (1.0 - exp(-x / 4.0));
        rank[n_rank][1] = (double)i;
        n_rank++;
        if (ac->va > ac->vb) has_a = 1;
        else if (ac->vb > 0) has_b = 1;
    }
    qsort(rank, n_rank, sizeof rank[0], cmp_rel);
    int has_near = 0;
    for (size_t i = 0; i < n_acc; i++)
        if (accs[i].near > 0) has_near = 1;
    /* a named party next to an undirected trigger ("chip deal with AMD") is
     * worth one role */
    S += d->cfg.entity_bonus * (has_a + has_b ? has_a + has_b : has_near);

    /* a deal about a chip or computer maker is a chips deal */
    if (d->cfg.sector_bonus != 0 && d->cfg.sectors && *d->cfg.sectors) {
        int hit = 0;
        for (size_t i = 0; i < n_acc && !hit; i++) {
            if (accs[i].va + accs[i].vb + accs[i].near <= 0) continue;
            const struct squawk_entity *e = h->entity(h, (uint32_t)accs[i].e);
            if (e && e->sectors && sector_overlap(e->sectors, d->cfg.sectors)) hit = 1;
        }
        if (hit) S += d->cfg.sector_bonus;
    }

    /* 4. amounts near triggers */
    const struct squawk_amount *am;
    size_t n_am;
    rc = h->amounts(a, &am, &n_am);
    if (rc) return rc;
    int am_near[8];
    size_t n_am_near = 0;
    for (size_t k = 0; k < n_am && n_am_near < 8; k++) {
        int near = 0;
        for (size_t i = 0; i < n_ms && !near; i++)
            if (ms[i].field == am[k].field && h->pack_rule(d->pack, ms[i].rule)->weight > 0 && !skip_rule[ms[i].rule] && !VETOED(i) &&
                dist(ms[i].start, ms[i].end, am[k].start, am[k].end) <= win)
                near = 1;
        if (!near) continue;
        int dup = 0;
        for (size_t q = 0; q < n_am_near; q++)
            if (am[am_near[q]].usd == am[k].usd) dup = 1;
        if (!dup) am_near[n_am_near++] = (int)k;
    }
    if (n_am_near) S += d->cfg.amount_bonus;

    /* 5. stage: cues near triggers vote; any firm stage beats a rumour */
    const struct squawk_cue *cu;
    size_t n_cu;
    rc = h->cues(a, &cu, &n_cu);
    if (rc) return rc;
    double tally[SQUAWK_STAGE_N] = {0};
    int first_cue[SQUAWK_STAGE_N];
    for (int s = 0; s < SQUAWK_STAGE_N; s++) first_cue[s] = -1;
    for (size_t k = 0; k < n_cu; k++) {
        int near = cu[k].field == SQUAWK_FIELD_HEADLINE && head_trigger;
        for (size_t i = 0; i < n_ms && !near; i++)
            if (ms[i].field == cu[k].field && h->pack_rule(d->pack, ms[i].rule)->weight > 0 && !skip_rule[ms[i].rule] && !VETOED(i) &&
                dist(ms[i].start, ms[i].end, cu[k].start, cu[k].end) <= win)
                near = 1;
        if (!near || cu[k].stage <= 0 || cu[k].stage >= SQUAWK_STAGE_N) continue;
        tally[cu[k].stage] += cu[k].field == SQUAWK_FIELD_HEADLINE ? 2 : 1;
        if (first_cue[cu[k].stage] < 0) first_cue[cu[k].stage] = (int)k;
    }
    int stage = SQUAWK_STAGE_NONE;
    for (int s = SQUAWK_STAGE_TALKS; s < SQUAWK_STAGE_N; s++)
        if (tally[s] > 0 && (stage == SQUAWK_STAGE_NONE || tally[s] > tally[stage])) stage = s;
    if (stage == SQUAWK_STAGE_NONE && tally[SQUAWK_STAGE_RUMOUR] > 0) stage = SQUAWK_STAGE_RUMOUR;
    if (stage != SQUAWK_STAGE_NONE) S += d->cfg.stage_bonus;

    /* 6. report */
    double z = S - d->cfg.bias;
    if (d->cfg.calib_slope != 0) z = d->cfg.calib_slope * z + d->cfg.calib_intercept;
    double score = 100.0 / (1.0 + exp(-z));
    rc = h->report_begin(r, d->spec.category, score, stage);
    if (rc) return rc;
    for (size_t i = 0; i < n_rank && (int64_t)i < d->cfg.max_entities; i++) {
        struct acc *ac = &accs[(size_t)rank[i][1]];
        const struct squawk_entity *e = h->entity(h, (uint32_t)ac->e);
        if (!e) continue;
        const char *role;
        if (d->spec.roles_by_kind)
            role = e->kind && strcmp(e->kind, "regulator") == 0 ? d->spec.role_a : d->spec.role_b;
        else
            role = ac->va > ac->vb ? d->spec.role_a : d->spec.role_b;
        /* named mostly as context: no topic of its own */
        if (ac->background * 2 >= ac->mentions && ac->background) role = "mentioned";
        rc = h->report_entity(r, e->name, e->ticker, role, rank[i][0]);
        if (rc) return rc;
    }
    for (size_t q = 0; q < n_am_near; q++) {
        const struct squawk_amount *x = &am[am_near[q]];
        char text[64];
        size_t l = x->end - x->start < sizeof text - 1 ? x->end - x->start : sizeof text - 1;
        memcpy(text, a->text[x->field] + x->start, l);
        text[l] = '\0';
        rc = h->report_amount(r, x->usd, text);
        if (rc) return rc;
    }
    /* evidence: the headline's triggers first, then each rule's first body match */
    size_t n_ev = 0;
    unsigned char shown[DETECT_MAX_RULES][2];
    memset(shown, 0, sizeof shown);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n_ms && n_ev < DETECT_MAX_EVIDENCE; i++) {
            const struct squawk_match *t = &ms[i];
            if ((int)t->field != (pass == 0 ? SQUAWK_FIELD_HEADLINE : SQUAWK_FIELD_BODY)) continue;
            if (t->rule >= n_rules || shown[t->rule][pass] || skip_rule[t->rule] || VETOED(i)) continue;
            /* party, authority and background words ("company", "regulators", "rival") only shape other rules */
            if (tag_of(d, t->rule) == DETECT_TAG_PARTY || tag_of(d, t->rule) == DETECT_TAG_AUTHORITY ||
                tag_of(d, t->rule) == DETECT_TAG_BACKGROUND)
                continue;
            shown[t->rule][pass] = 1;
            rc = h->report_evidence(r, h->pack_rule(d->pack, t->rule)->id, (int)t->field, t->start,
                                    t->end);
            if (rc) return rc;
            n_ev++;
        }
    if (reg_mention >= 0 && n_ev < DETECT_MAX_EVIDENCE) {
        rc = h->report_evidence(r, "regulator.named", (int)men[reg_mention].field,
                                men[reg_mention].start, men[reg_mention].end);
        if (rc) return rc;
    }
    if (stage != SQUAWK_STAGE_NONE && first_cue[stage] >= 0) {
        const struct squawk_cue *c = &cu[first_cue[stage]];
        rc = h->report_evidence(r, c->rule, (int)c->field, c->start, c->end);
    }
    return rc;
}
