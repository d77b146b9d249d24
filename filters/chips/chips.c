/* chips.c -- the built-in "chips" filter plugin: chip and compute deals (supply, foundry, cloud capacity): supplier and customer. */
#include "../detect.h"
#include "../engine_plugin.h"
#include "../squawk_filter.h"

struct chips_config {
    struct detect_config base;
};

static const struct squawk_config_entry chips_config_map[] = {
    /* lead_bytes 400: a chip/computer company named this far in licenses generic deal words;
     * engine v2: rules/v2/chips.yml (token patterns), no F1 loss against rules/chips.yml on any dev set */
    /* tail_factor 0.5: past lead_bytes a rule counts half -- a long feature's passing mention of a deal
     * or of chips ("which run on Nvidia chips", an earlier contract) is no report of one; no labelled
     * set moves (md2 tune: four positives lower, all still above the threshold) */
    DETECT_CONFIG_ENTRIES_ENGINE(struct chips_config, "3.0", "0.5", "chips", "1.5", "400", "v2"),
    {"sectors", SQUAWK_CFG_STRING, "chip,semicap,memory,foundry,hardware,datacenter",
     "gazetteer sectors whose companies make a deal a chips deal",
     offsetof(struct chips_config, base.sectors)},
    DETECT_CONFIG_DOUBLE(struct chips_config, sector_bonus, "1.0",
                         "added when an entity of those sectors is near a trigger"),
    DETECT_CONFIG_DOUBLE(struct chips_config, head_min_weight, "1.0",
                         "a headline rule earns headline_bonus only with at least this weight (a chip's name is not a deal)"),
    DETECT_CONFIG_DOUBLE(struct chips_config, trigger_min_weight, "1.0",
                         "an alert needs a rule at least this heavy: chip vocabulary alone names no deal"),
    DETECT_CONFIG_DOUBLE(struct chips_config, party_in_lead, "1",
                         "1: a company named neither in the headline nor the lead takes no party role"),
    /* GUIDE: the chip maker, the foundry, the data-centre or cloud operator supplies; a chip maker
     * beside another is a partner, and partners in a chip venture are suppliers. md2 tune chips role
     * agreement .600 -> .822 (check .571 -> .714); no F1 moves, as topics do not depend on the role */
    {"role_a_sectors", SQUAWK_CFG_STRING, "semicap,foundry,memory,chip;datacenter;cloud;hardware",
     "sector groups (';', strongest first) whose companies are the supplier when no rule gives a side",
     offsetof(struct chips_config, base.role_a_sectors)},
    DETECT_CONFIG_CALIBRATION(struct chips_config, "chips.calib.yml"),
    DETECT_CONFIG_MODEL(struct chips_config, "", "0"),
    {NULL, 0, NULL, NULL, 0},
};

static const struct squawk_engine_spec chips_spec = {
    .size = sizeof(struct squawk_engine_spec),
    .category = "chips",
    .role_a = "supplier",
    .role_b = "customer",
    .flags = SQUAWK_ENGINE_SKIP_REGULATORS,
};

/* The host's engine (ABI 1.2) with this spec; its settings are the config map's keys. */
static int chips_init(void **ctx, const void *config, const struct squawk_host *host, char *err, size_t errlen)
{
    return engine_plugin_init(ctx, &chips_spec, config, host, err, errlen);
}

SQUAWK_FILTER_DECLARE = {
    SQUAWK_FILTER_HEADER,
    .default_threshold = 50.76, /* calibrated: see docs/EVAL.md */
    .name = "chips",
    .version = "1.0.0",
    .description = "chip and compute deals (supply, orders, foundry, cloud capacity): supplier and customer",
    .config = chips_config_map,
    .config_size = sizeof(struct chips_config),
    .init = chips_init,
    .process = engine_plugin_process,
    .destroy = engine_plugin_destroy,
};
