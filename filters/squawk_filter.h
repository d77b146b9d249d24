/* squawk_filter.h -- the filter plugin ABI (placeholder: the filters issue fills it in). */
#ifndef SQUAWK_FILTER_H
#define SQUAWK_FILTER_H
#define SQUAWK_FILTER_ABI_MAJOR 1
#define SQUAWK_FILTER_ABI_MINOR 0
#endif
