/* invest.c -- the built-in "invest" filter plugin: investment events (M&A, stakes, funding rounds): investor and target. */
#include <stddef.h>
#include "../detect.h"
#include "../engine_plugin.h"
#include "../squawk_filter.h"

struct invest_config {
    struct detect_config base;
};

static const struct squawk_config_entry invest_config_map[] = {
    DETECT_CONFIG_ENTRIES_ENGINE(struct invest_config, "3.0", "0.5", "invest", "1.5", "600", "v2"),
    DETECT_CONFIG_DOUBLE(struct invest_config, body_only_factor, "0.6",
                         "rule evidence factor when no trigger is in the headline"),
    /* FT and The Information items carry a one-sentence standfirst (median ~120 bytes) that says
     * what the headline hints at; pool26 tune invest .812 -> .849, labels-modern-dev .936 -> .951,
     * hand c-check .891 -> .900, md2 and the other checks unchanged (300 and 450 cost md2 check) */
    DETECT_CONFIG_DOUBLE(struct invest_config, short_body, "200",
                         "bodies of at most this many bytes (a standfirst) skip body_only_factor"),
    /* weak vocabulary ("investor", "valuation") in a headline names no event:
     * it earns no headline bonus and leaves the body-only factor on */
    DETECT_CONFIG_DOUBLE(struct invest_config, head_min_weight, "1.3",
                         "headline rules lighter than this earn no headline_bonus"),
    /* who the alert is about: md2 tune invest routing .812 -> .874 with the pack's context marks */
    DETECT_CONFIG_DOUBLE(struct invest_config, route_clauses, "1",
                         "1: topics pass over context names (a rival, a former employer) and names in another clause"),
    /* roles only (no F1 moves): hand h invest roles .917 -> .958, p .795 -> .801, pooltw check .761 -> .783 */
    DETECT_CONFIG_DOUBLE(struct invest_config, one_side, "1",
                         "1: a company filling the investor's slot in a sentence takes no target or seller role there"),
    /* an oblique headline names the company the body calls "the South Korean developer" ("What Tencent
     * sees in Krafton's next decade"): routing hand g .743 -> .761, labels-modern-dev .873 -> .882,
     * md2 tune .894 -> .887 (a comparison headline), checks pooltw2 .711 -> .719, j .781 -> .788 */
    /* the company opening the headline with a side stays a party where the body retells its own earlier
     * deals or tags it ("Cisco to buy Splinter" over "Cisco bought Splunk last year"): handwritten-t
     * routing .879 -> .883 (with its probes t-1124..t-1135), p .885 -> .888; every real-news set unchanged */
    DETECT_CONFIG_DOUBLE(struct invest_config, headline_party, "1",
                         "1: the company opening the headline with a side there is a party, whatever context the body names it in"),
    DETECT_CONFIG_DOUBLE(struct invest_config, headline_subject, "1",
                         "without a target, the route vote of the one company the headline names that no trigger reached"),
    /* a 1987 wire story under a terse capitals headline ("PELHAM SAVINGS <PLSB> IN DEFINITIVE PACT", "SETS
     * MEETING") tells its deal in the body's first sentence: that sentence is read as the headline */
    DETECT_CONFIG_DOUBLE(struct invest_config, wire_lead, "1",
                         "1: under a capitals headline with no trigger or negative rule, a first sentence with a trigger and a company is the headline"),
    /* a SPAC's "Acquisition", "Zico Investment Holdings", "Overseas Private Placement Corp": words of a
     * name are no deal (probes t-2265..t-2272; every check set unchanged) */
    DETECT_CONFIG_DOUBLE(struct invest_config, name_inside, "1",
                         "1: a hit lying wholly inside a company's name, no slot holding it, counts for nothing"),
    DETECT_CONFIG_CALIBRATION(struct invest_config, "invest.calib.yml"),
    /* the rules' own threshold (their alerts with model ""): the model
     * confirms or drops those alerts and raises none below it. Out of fold
     * on the tuning sets (tools/rescore_cv.py) md2 .817 -> .845, labels-dev
     * .895 -> .880, labels-modern-dev .881 -> .892; a short headline with one
     * weak rule ("costs of customer acquisition") no longer reaches 50+ */
    DETECT_CONFIG_MODEL(struct invest_config, "invest.lm", "26.19"),
    {NULL, 0, NULL, NULL, 0},
};

static const struct squawk_engine_spec invest_spec = {
    .size = sizeof(struct squawk_engine_spec),
    .category = "invest",
    .role_a = "investor",
    .role_b = "target",
    .flags = SQUAWK_ENGINE_SKIP_REGULATORS,
};

/* The host's engine (ABI 1.2) with this spec; its settings are the config map's keys. */
static int invest_init(void **ctx, const void *config, const struct squawk_host *host, char *err, size_t errlen)
{
    return engine_plugin_init(ctx, &invest_spec, config, host, err, errlen);
}

SQUAWK_FILTER_DECLARE = {
    SQUAWK_FILTER_HEADER,
    /* with the model (invest.lm): chosen out of fold through model_gate (tools/rescore_cv.py
     * --threshold; pooled over the tuning sets .881 at 34.3, .873 at each fold model's own CV
     * threshold, which make models prints, .354 now): not 100 x that printed threshold, which is
     * picked over every article, not only those past the gate (docs/EVAL.md, round 6 invest).
     * Rules alone (model "") 26.19 */
    .default_threshold = 34.3,
    .name = "invest",
    .version = "1.0.0",
    .description = "investment events (M&A, stakes, funding rounds): investor and target",
    .config = invest_config_map,
    .config_size = sizeof(struct invest_config),
    .init = invest_init,
    .process = engine_plugin_process,
    .destroy = engine_plugin_destroy,
};
