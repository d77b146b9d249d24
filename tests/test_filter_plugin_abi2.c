/* test_filter_plugin_abi2.c -- a bad plugin for test_filters: built for filter ABI major 2. */
#include <stddef.h>
#include "../filters/squawk_filter.h"

static int p_process(void *ctx, const struct squawk_article *a, struct squawk_report *r)
{
    return 0;
}

/* What a future SDK would emit: the symbol and the header both say 2. */
SQUAWK_FILTER_EXPORT const struct squawk_filter squawk_filter_v2 = {
    .abi_major = 2,
    .abi_minor = 0,
    .size = sizeof(struct squawk_filter),
    .name = "abi2",
    .version = "2.0.0",
    .process = p_process,
};
