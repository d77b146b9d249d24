/* test_filter_plugin_nosym.c -- a bad plugin for test_filters: exports no squawk_filter_v1. */
#include "../filters/squawk_filter.h"

SQUAWK_FILTER_EXPORT int squawk_not_a_filter = 1;
