/* engine.c -- the scoring engine (detect.c), once in the host, behind the host table's engine_open/process/close (ABI 1.2).
 *
 * A plugin hands over a spec (category, two roles, flags, its own pack file)
 * and the config the host filled for it. The engine reads its settings from
 * that config by key name, through the plugin's own map, and parses them with
 * the engine's map below: no struct layout crosses the ABI, a plugin declares
 * only the keys a deployment may tune (with its own defaults), and every
 * other setting keeps the engine's default. */
#include "engine.h"

#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/error.h"
#include "calib.h"
#include "detect.h"
#include "host.h"
#include "rescore.h"

struct engine_cfg {
    struct detect_config base;
};

/* Every setting of struct detect_config. The optional ones default to what a
 * built-in plugin that does not declare them always had: off (0, ""). */
static const struct squawk_config_entry engine_map[] = {
    DETECT_CONFIG_ENTRIES_ENGINE(struct engine_cfg, "3.0", "1.0", "", "1.5", "600", "v2"),
    {"sectors", SQUAWK_CFG_STRING, "", "gazetteer sectors whose companies add sector_bonus",
     offsetof(struct engine_cfg, base.sectors)},
    DETECT_CONFIG_DOUBLE(struct engine_cfg, sector_bonus, "0", "added when a company of `sectors` takes a role"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, regulator_weight, "0", "evidence of a regulator named up front"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, head_min_weight, "0", "headline rules lighter earn no headline_bonus"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, body_only_factor, "0", "rule evidence factor without a headline trigger"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, short_body, "0", "bodies of at most this many bytes skip body_only_factor"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, trigger_min_weight, "0", "an alert needs a rule at least this heavy"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, lead_bonus, "0", "a lead sentence naming authority, trigger, company"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, wire_lead, "0", "1: a wire story's first sentence stands for its terse capitals headline"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, party_in_lead, "0", "1: a party is named in the headline or the lead"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, route_clauses, "0", "1: topics skip context names and other clauses"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, headline_subject, "0",
                         "without a subject, the route vote of the one company the headline names"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, one_side, "0", "1: a company filling role_a in a sentence takes no role_b there"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, name_starts, "0", "1: a hit starting inside a company's name, no slot holding it, counts for nothing"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, name_inside, "0", "1: a hit lying wholly inside a company's name, no slot holding it, counts for nothing"),
    DETECT_CONFIG_DOUBLE(struct engine_cfg, headline_party, "0",
                         "1: the company opening the headline with a side is a party, whatever context the body names it in"),
    {"role_a_sectors", SQUAWK_CFG_STRING, "", "sector groups (';', strongest first) whose companies take role_a when no rule gives a side",
     offsetof(struct engine_cfg, base.role_a_sectors)},
    DETECT_CONFIG_CALIBRATION(struct engine_cfg, ""),
    DETECT_CONFIG_MODEL(struct engine_cfg, "", "0"),
    {NULL, 0, NULL, NULL, 0},
};

static const struct squawk_filter engine_desc = {
    SQUAWK_FILTER_HEADER,
    .name = "engine",
    .config = engine_map,
    .config_size = sizeof(struct engine_cfg),
};

#define ENGINE_MAX_KEYS (sizeof engine_map / sizeof engine_map[0])

struct squawk_engine {
    struct detect d;
    rescore *rs; /* the learned rescoring, or NULL: the rules' score */
    struct calib cal; /* config key `calibration`: maps of the rules' and the model's scores */
    filter_plugin cfg; /* the engine's settings, parsed by engine_map; owns their strings */
    char *pack_path, *category, *role_a, *role_b;
};

const struct squawk_config_entry *filter_engine_key(const char *key)
{
    for (size_t i = 0; key && engine_map[i].key; i++)
        if (strcmp(engine_map[i].key, key) == 0) return &engine_map[i];
    return NULL;
}

/* A config value as the user would write it, so the engine's map parses it by its own type. */
static const char *value_text(const struct squawk_config_entry *pe, const void *config, char *buf, size_t len)
{
    const char *at = (const char *)config + pe->offset;
    int b;
    int64_t i;
    double d;
    const char *s;
    switch (pe->type) {
    case SQUAWK_CFG_BOOL: memcpy(&b, at, sizeof b); return b ? "true" : "false";
    case SQUAWK_CFG_INT: memcpy(&i, at, sizeof i); snprintf(buf, len, "%lld", (long long)i); return buf;
    case SQUAWK_CFG_DOUBLE: memcpy(&d, at, sizeof d); snprintf(buf, len, "%.17g", d); return buf;
    case SQUAWK_CFG_STRING: memcpy(&s, at, sizeof s); return s ? s : "";
    default: return NULL;
    }
}

/* The engine's settings: its defaults, then each of its keys the plugin's map declares. */
static int engine_settings(struct squawk_engine *e, const filter_plugin *p, char *err, size_t errlen)
{
    const char *kv[2 * ENGINE_MAX_KEYS];
    char num[ENGINE_MAX_KEYS][32];
    size_t n = 0;
    for (size_t i = 0; filter_loader_entry(p->desc, i) && filter_loader_entry(p->desc, i)->key; i++) {
        const struct squawk_config_entry *pe = filter_loader_entry(p->desc, i);
        const char *v = filter_engine_key(pe->key) && n < ENGINE_MAX_KEYS
                            ? value_text(pe, p->config, num[n], sizeof num[n]) : NULL;
        if (!v) continue; /* the plugin's own key */
        kv[2 * n] = pe->key;
        kv[2 * n + 1] = v;
        n++;
    }
    return filter_loader_fill(&e->cfg, &engine_desc, p->path, kv, n, err, errlen);
}

/* spec->pack relative to the directory of the plugin's .so (absolute as is). */
static int pack_beside(struct squawk_engine *e, const filter_plugin *p, const char *pack, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", p->path);
    const char *d = pack[0] == '/' ? "" : dirname(dir);
    size_t len = strlen(d) + strlen(pack) + 2;
    if (!(e->pack_path = malloc(len))) return SQ_E_NOMEM;
    snprintf(e->pack_path, len, "%s%s%s", d, *d ? "/" : "", pack);
    if (len > PATH_MAX) {
        snprintf(err, errlen, "pack path too long: %.200s...", e->pack_path);
        return SQ_E_INVAL;
    }
    return 0;
}

/* The spec's fields, checked and copied: the engine may outlive the spec. */
static int take_spec(struct squawk_engine *e, const filter_plugin *p, const struct squawk_engine_spec *spec,
                     struct detect_spec *ds, char *err, size_t errlen)
{
    if (!spec || !SQUAWK_HAS(spec, struct squawk_engine_spec, pack)) {
        snprintf(err, errlen, "engine_open: spec is missing or older than ABI 1.2 (size %u)", spec ? spec->size : 0);
        return SQ_E_INVAL;
    }
    if (!spec->role_a || !*spec->role_a || !spec->role_b || !*spec->role_b) {
        snprintf(err, errlen, "engine_open: spec needs role_a and role_b");
        return SQ_E_INVAL;
    }
    e->category = strdup(spec->category && *spec->category ? spec->category : p->desc->name);
    e->role_a = strdup(spec->role_a);
    e->role_b = strdup(spec->role_b);
    if (!e->category || !e->role_a || !e->role_b) return SQ_E_NOMEM;
    *ds = (struct detect_spec){e->category, e->role_a, e->role_b, !!(spec->flags & SQUAWK_ENGINE_ROLES_BY_KIND),
                               !!(spec->flags & SQUAWK_ENGINE_SKIP_REGULATORS)};
    return 0;
}

/* data_dir/rules/v2: the built-ins' token-pattern packs, models and calibrations. */
static void v2_dir(const struct squawk_host *h, char *dir, size_t size)
{
    snprintf(dir, size, "%s/rules/v2", filter_host_services_data_dir(h));
}

/* The model of config key `model`, beside the token-pattern packs
 * (data_dir/rules/v2) unless a path. Its features are engine v2's evidence
 * (rule ids of the v2 pack): engine v1 scores by its rules and says so. */
static int engine_model(struct squawk_engine *e, const struct squawk_host *h, const struct engine_cfg *c, char *err,
                        size_t errlen)
{
    if (!c->base.model || !*c->base.model) return 0;
    if (!(c->base.model_gate >= 0 && c->base.model_gate <= 100)) {
        snprintf(err, errlen, "model_gate: %g is not a score (0 to 100)", c->base.model_gate);
        return SQ_E_CONFIG;
    }
    if (!c->base.engine || strcmp(c->base.engine, "v2") != 0) {
        h->log(h, SQUAWK_LOG_INFO, e->d.name, "engine v1: the rules' score (a model reads engine v2's evidence)");
        return 0;
    }
    char dir[PATH_MAX];
    v2_dir(h, dir, sizeof dir);
    int rc = rescore_open(&e->rs, dir, c->base.model, e->category, err, errlen);
    char msg[700];
    if (!rc && rescore_stale(e->rs, h, e->d.tpack, c->base.model, msg, sizeof msg))
        h->log(h, SQUAWK_LOG_WARN, e->d.name, msg);
    return rc;
}

/* Where the file of config key `calibration` is: a path as is; a name beside
 * the pack (a pack named without a path is data_dir/rules/v2/NAME.yml). A
 * pack of one's own without that file keeps the built-in's calibration of
 * data_dir/rules/v2/, as before calibration files existed. */
static int calibration_path(const struct squawk_host *h, const struct engine_cfg *c, char *path, size_t size)
{
    const char *f = c->base.calibration;
    char dir[PATH_MAX];
    if (strchr(f, '/')) return (size_t)snprintf(path, size, "%s", f) >= size ? SQ_E_INVAL : 0;
    if (strchr(c->base.pack, '/')) { /* beside a pack of one's own, if there */
        snprintf(dir, sizeof dir, "%s", c->base.pack);
        if ((size_t)snprintf(path, size, "%s/%s", dirname(dir), f) < size && access(path, F_OK) == 0) return 0;
    }
    v2_dir(h, dir, sizeof dir);
    return (size_t)snprintf(path, size, "%s/%s", dir, f) >= size ? SQ_E_INVAL : 0;
}

static int engine_calibration(struct squawk_engine *e, const struct squawk_host *h, const struct engine_cfg *c,
                              char *err, size_t errlen)
{
    if (!c->base.calibration || !*c->base.calibration) return 0;
    char path[PATH_MAX];
    if (calibration_path(h, c, path, sizeof path)) {
        snprintf(err, errlen, "calibration path too long: %.200s...", c->base.calibration);
        return SQ_E_INVAL;
    }
    int rc = calib_load(&e->cal, path, e->category, err, errlen);
    size_t o = strlen(err);
    if (rc == SQ_E_IO && o < errlen)
        snprintf(err + o, errlen - o, " (config key calibration: a file beside the pack, or \"\" for none)");
    e->d.calib = e->cal.rules;
    return rc;
}

static int engine_setup(struct squawk_engine *e, const struct squawk_host *h, const filter_plugin *p,
                        const struct squawk_engine_spec *spec, char *err, size_t errlen)
{
    struct detect_spec ds;
    int rc = take_spec(e, p, spec, &ds, err, errlen);
    if (!rc) rc = engine_settings(e, p, err, errlen);
    if (rc) return rc;
    struct engine_cfg *c = e->cfg.config;
    if (!*c->base.pack) { /* no config key `pack`: the plugin's own file */
        if (!spec->pack || !*spec->pack) {
            snprintf(err, errlen, "engine_open: no pack (spec.pack, or config key 'pack')");
            return SQ_E_INVAL;
        }
        if ((rc = pack_beside(e, p, spec->pack, err, errlen))) return rc;
        c->base.pack = e->pack_path;
    }
    if (detect_init(&e->d, &ds, &c->base, h, p->desc->name, err, errlen)) return SQ_E_INVAL;
    if (e->d.tpack) filter_host_tpack_gate(e->d.tpack);
    if ((rc = engine_calibration(e, h, c, err, errlen))) return rc;
    return engine_model(e, h, c, err, errlen);
}

int filter_engine_open(const struct squawk_host *h, const filter_plugin *p, const struct squawk_engine_spec *spec,
                       struct squawk_engine **out, char *err, size_t errlen)
{
    *out = NULL;
    struct squawk_engine *e = calloc(1, sizeof *e);
    if (!e) return SQ_E_NOMEM;
    int rc = engine_setup(e, h, p, spec, err, errlen);
    if (rc == SQ_E_NOMEM) snprintf(err, errlen, "engine_open: out of memory");
    if (rc) {
        filter_engine_close(e);
        return rc;
    }
    *out = e;
    return 0;
}

/* One article's rescoring: the engine, the article, the first error. */
struct engine_call {
    struct squawk_engine *e;
    const struct squawk_article *a;
    int rc;
};

/* A live rule of negative weight (the guide's NOT cases, written by hand) matched. */
static int negative_fired(const struct detect_trace *t)
{
    for (size_t i = 0; i < t->n_ms; i++) {
        uint32_t field;
        int fate;
        if (detect_trace_match(t, i, &field, &fate) && fate == DETECT_LIVE && t->d->rules[t->ms[i].rule].weight < 0)
            return 1;
    }
    return 0;
}

/* The score hook (detect_trace): the model's probability x 100 where the
 * rules fired. Where none fired the model stays silent and is not even run:
 * alone it raised no alert out of fold on modern_dev_2 TUNE that the rules
 * missed, and it would cost every article a report. Where one fired it
 * decides, roles or not: dropping its alerts without a party (a private
 * company, an industry) cut out-of-fold F1 .766 -> .714 (tools/rescore_cv.py),
 * within the bound a negative rule sets, and only past model_gate (the
 * rules' score it needs: invest's is the rules' own threshold). */
static double engine_rescored(void *u, const struct detect_trace *t, double rules_score)
{
    struct engine_call *c = u;
    const struct squawk_host *h = c->e->d.host;
    if ((c->rc = rescore_sink(h, c->a, t)) != 0) return -1;
    if (!c->e->rs || rules_score < 0) return rules_score;
    const struct engine_cfg *cfg = c->e->cfg.config;
    if (rules_score < cfg->base.model_gate) return rules_score;
    double p;
    if ((c->rc = rescore_probability(c->e->rs, h, c->a, t, &p)) != 0) return -1;
    /* the model's own Platt fit is on every article of its training sets; its
     * scores here are those past the gate, which the file's map calibrates */
    if (c->e->cal.model.n && p > 0 && p < 1) p = detect_calib_apply(&c->e->cal.model, log(p / (1 - p)));
    /* the model may lower the rules' score, but not raise it past a
     * negative rule: those say what the guide excludes (bond sales,
     * buybacks, stock tips, explainers), and a few hundred labelled
     * articles teach a model too little of it (out of fold on the tuning
     * sets: same F1, tests/rules cases the model broke 19 -> 6) */
    if (100 * p > rules_score && negative_fired(t)) return rules_score;
    return 100 * p;
}

int filter_engine_process(struct squawk_engine *e, const struct squawk_article *a, struct squawk_report *r)
{
    if (!e->rs && !rescore_sink_set()) return detect_process(&e->d, a, r);
    struct engine_call c = {e, a, 0};
    struct detect_trace t = {.score = engine_rescored, .u = &c};
    int rc = detect_process_trace(&e->d, a, r, &t);
    return rc ? rc : c.rc;
}

void filter_engine_close(struct squawk_engine *e)
{
    if (!e) return;
    filter_loader_close(&e->cfg);
    rescore_close(e->rs);
    calib_free(&e->cal);
    free(e->pack_path);
    free(e->category);
    free(e->role_a);
    free(e->role_b);
    free(e);
}
