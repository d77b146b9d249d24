/* calib.c -- a filter's score calibration file (rules/v2/<filter>.calib.yml, written by tools/calibrate.py).
 *
 *   filter: invest
 *   rules:              # x = S - bias -> probability p (score = 100 p)
 *     - [-3.0, 0.02]
 *     - [1.5, 0.70]
 *   model:              # x = logit of the rescoring model's probability -> p
 *     - [-1.0, 0.30]
 *     - [3.0, 0.97]
 *
 * Each map: 2 to CALIB_MAX_POINTS points, x increasing, p in (0, 1) never
 * decreasing, so a calibration keeps the order of the scores (a threshold
 * maps to one that makes the same decisions). Between points p is
 * interpolated in logit(p), beyond the ends along the end segments: two
 * points are Platt scaling. Every problem is "file:line: reason". */
#include "calib.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "yaml_doc.h"

/* One number of a point; 0 or -1 with err set. */
static int calib_num(yaml_node_t *n, double *v, const char *path, char *err, size_t errlen)
{
    const char *s = filter_yaml_str(n);
    char *end = NULL;
    errno = 0;
    *v = s ? strtod(s, &end) : 0;
    if (!s || end == s || *end || errno || !isfinite(*v)) {
        snprintf(err, errlen, "%s:%zu: '%s' is not a number", path, filter_yaml_line(n), s ? s : "(not a scalar)");
        return -1;
    }
    return 0;
}

/* Point i of map `key`: [x, p], checked against the point before it. */
static int calib_point(yaml_document_t *doc, yaml_node_t *pt, struct detect_calib *m, double *x, double *z,
                       const char *key, const char *path, char *err, size_t errlen)
{
    size_t line = filter_yaml_line(pt);
    if (pt->type != YAML_SEQUENCE_NODE || pt->data.sequence.items.top - pt->data.sequence.items.start != 2) {
        snprintf(err, errlen, "%s:%zu: %s: a point is [x, p]", path, line, key);
        return -1;
    }
    double v[2];
    for (int k = 0; k < 2; k++)
        if (calib_num(yaml_document_get_node(doc, pt->data.sequence.items.start[k]), &v[k], path, err, errlen))
            return -1;
    size_t i = m->n;
    if (!(v[1] > 0 && v[1] < 1)) {
        snprintf(err, errlen, "%s:%zu: %s: p %g is not a probability in (0, 1)", path, line, key, v[1]);
        return -1;
    }
    x[i] = v[0];
    z[i] = log(v[1] / (1 - v[1]));
    if (i && !(x[i] > x[i - 1])) {
        snprintf(err, errlen, "%s:%zu: %s: x %g does not increase (after %g)", path, line, key, x[i], x[i - 1]);
        return -1;
    }
    if (i && z[i] < z[i - 1]) {
        snprintf(err, errlen, "%s:%zu: %s: p %g is below the point before it: a calibration never decreases", path,
                 line, key, v[1]);
        return -1;
    }
    m->n++;
    return 0;
}

/* Map `key` from its sequence node into x, z (room for CALIB_MAX_POINTS). */
static int calib_map(yaml_document_t *doc, yaml_node_t *seq, struct detect_calib *m, double *x, double *z,
                     const char *key, const char *path, char *err, size_t errlen)
{
    size_t line = filter_yaml_line(seq);
    if (seq->type != YAML_SEQUENCE_NODE) {
        snprintf(err, errlen, "%s:%zu: %s: not a list of points [x, p]", path, line, key);
        return -1;
    }
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (n < 2 || n > CALIB_MAX_POINTS) {
        snprintf(err, errlen, "%s:%zu: %s: %zu points (2 to %d)", path, line, key, n, CALIB_MAX_POINTS);
        return -1;
    }
    m->n = 0;
    for (size_t i = 0; i < n; i++)
        if (calib_point(doc, yaml_document_get_node(doc, seq->data.sequence.items.start[i]), m, x, z, key, path,
                        err, errlen))
            return -1;
    m->x = x;
    m->z = z;
    return 0;
}

/* The root mapping's keys: filter, rules, model. */
static int calib_root(struct calib *c, yaml_document_t *doc, const char *path, const char *filter, char *err,
                      size_t errlen)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (root->type != YAML_MAPPING_NODE) {
        snprintf(err, errlen, "%s:%zu: not a mapping (filter, rules, model)", path, filter_yaml_line(root));
        return -1;
    }
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        const char *ks = filter_yaml_str(k);
        if (!ks || (strcmp(ks, "filter") && strcmp(ks, "rules") && strcmp(ks, "model"))) {
            snprintf(err, errlen, "%s:%zu: unknown key '%s' (filter, rules, model)", path, filter_yaml_line(k),
                     ks ? ks : "?");
            return -1;
        }
    }
    yaml_node_t *f = filter_yaml_get(doc, root, "filter");
    const char *fs = filter_yaml_str(f);
    if (!fs) {
        snprintf(err, errlen, "%s:%zu: no 'filter: %s' (the filter it calibrates)", path,
                 filter_yaml_line(f ? f : root), filter);
        return -1;
    }
    if (strcmp(fs, filter) != 0) {
        snprintf(err, errlen, "%s:%zu: filter: %s, not %s (the calibration of another filter)", path,
                 filter_yaml_line(f), fs, filter);
        return -1;
    }
    yaml_node_t *r = filter_yaml_get(doc, root, "rules"), *m = filter_yaml_get(doc, root, "model");
    if (!r && !m) {
        snprintf(err, errlen, "%s:%zu: neither rules nor model: nothing to calibrate", path, filter_yaml_line(root));
        return -1;
    }
    double *b = c->buf;
    if (r && calib_map(doc, r, &c->rules, b, b + CALIB_MAX_POINTS, "rules", path, err, errlen)) return -1;
    b += 2 * CALIB_MAX_POINTS;
    if (m && calib_map(doc, m, &c->model, b, b + CALIB_MAX_POINTS, "model", path, err, errlen)) return -1;
    return 0;
}

int calib_load(struct calib *c, const char *path, const char *filter, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    yaml_document_t doc;
    if (filter_yaml_load(&doc, path, err, errlen)) return strstr(err, "cannot open") ? SQ_E_IO : SQ_E_RULES;
    int rc = (c->buf = malloc(4 * CALIB_MAX_POINTS * sizeof *c->buf)) ? 0 : SQ_E_NOMEM;
    if (rc) snprintf(err, errlen, "%s: out of memory", path);
    else if (calib_root(c, &doc, path, filter, err, errlen)) rc = SQ_E_RULES;
    yaml_document_delete(&doc);
    if (rc) calib_free(c);
    return rc;
}

void calib_free(struct calib *c)
{
    free(c->buf);
    memset(c, 0, sizeof *c);
}
