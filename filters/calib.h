/* calib.h -- a filter's score calibration file (rules/v2/<filter>.calib.yml, written by tools/calibrate.py). */
#ifndef FILTER_CALIB_H
#define FILTER_CALIB_H

#include <stddef.h>
#include "../core/visibility.h"
#include "detect.h"

/* The maps of one file: `rules` (x = the evidence logit S - bias) and
 * `model` (x = the logit of the rescoring model's probability); a map with
 * n == 0 is absent. */
struct calib {
    struct detect_calib rules, model;
    double *buf; /* the points of both maps */
};

#define CALIB_MAX_POINTS 256

/* Loads path; filter is the filter's name, which the file's `filter:` must
 * match. Errors are "path:line: reason" (SQ_E_RULES) or "path: cannot open"
 * (SQ_E_IO), SQ_E_NOMEM. */
SQ_API int calib_load(struct calib *c, const char *path, const char *filter, char *err, size_t errlen);
SQ_API void calib_free(struct calib *c);

#endif
