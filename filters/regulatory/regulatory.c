/* regulatory.c -- the built-in "regulatory" filter plugin: regulatory flags (antitrust, probes, fines, export controls): regulator and subject. */
#include "../detect.h"
#include "../engine_plugin.h"
#include "../squawk_filter.h"

struct regulatory_config {
    struct detect_config base;
};

static const struct squawk_config_entry regulatory_config_map[] = {
    /* what a story reports is in its headline: a headline trigger counts more and
     * body-only vocabulary needs more of it (bias) -- chosen on the dev sets, docs/EVAL.md */
    DETECT_CONFIG_ENTRIES_ENGINE(struct regulatory_config, "3.5", "1.0", "regulatory", "2.0", "600", "v2"),
    DETECT_CONFIG_DOUBLE(struct regulatory_config, regulator_weight, "1.5",
                         "evidence added when a regulator is named in the headline (half in the lead)"),
    /* a lone weak word in a headline ("sues", "court", "tariffs") names a topic, not an action */
    DETECT_CONFIG_DOUBLE(struct regulatory_config, head_min_weight, "1.05",
                         "headline rules lighter than this earn no headline_bonus"),
    /* legal vocabulary alone ("court", "lawsuit", "regulations") names a topic, not an action */
    DETECT_CONFIG_DOUBLE(struct regulatory_config, trigger_min_weight, "0.9",
                         "an alert needs a rule at least this heavy (or a regulator named up front)"),
    /* wire stories often carry the event in the first sentence under a bland headline */
    DETECT_CONFIG_DOUBLE(struct regulatory_config, lead_bonus, "2.0",
                         "added when, without a headline trigger, one lead sentence names an authority, a strong trigger and a company"),
    /* an oblique headline names the company its body's action calls "the group" -- docs/EVAL.md */
    DETECT_CONFIG_DOUBLE(struct regulatory_config, headline_subject, "1",
                         "without a subject near a trigger, the route vote of the one company the headline names"),
    /* "US Bancorp investors sue", "Japan Tobacco ...": a country word that begins a company's name
     * acts for nobody; hand d .923 -> .960, every other set unchanged (session 21) */
    DETECT_CONFIG_DOUBLE(struct regulatory_config, name_starts, "1",
                         "1: a hit starting inside a company's name, no slot holding it, counts for nothing"),
    DETECT_CONFIG_CALIBRATION(struct regulatory_config, "regulatory.calib.yml"),
    DETECT_CONFIG_MODEL(struct regulatory_config, "", "0"),
    {NULL, 0, NULL, NULL, 0},
};

static const struct squawk_engine_spec regulatory_spec = {
    .size = sizeof(struct squawk_engine_spec),
    .category = "regulatory",
    .role_a = "regulator",
    .role_b = "subject",
    .flags = SQUAWK_ENGINE_ROLES_BY_KIND,
};

/* The host's engine (ABI 1.2) with this spec; its settings are the config map's keys. */
static int regulatory_init(void **ctx, const void *config, const struct squawk_host *host, char *err, size_t errlen)
{
    return engine_plugin_init(ctx, &regulatory_spec, config, host, err, errlen);
}

SQUAWK_FILTER_DECLARE = {
    SQUAWK_FILTER_HEADER,
    .default_threshold = 21.07, /* calibrated: see docs/EVAL.md */
    .name = "regulatory",
    .version = "1.0.0",
    .description = "regulatory flags (antitrust, probes, fines, lawsuits, export controls): regulator and subject",
    .config = regulatory_config_map,
    .config_size = sizeof(struct regulatory_config),
    .init = regulatory_init,
    .process = engine_plugin_process,
    .destroy = engine_plugin_destroy,
};
