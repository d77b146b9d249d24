/* yaml_doc.h -- tiny read-only helpers over a libyaml document tree (rules and gazetteer). */
#ifndef FILTER_YAML_DOC_H
#define FILTER_YAML_DOC_H

#include <stddef.h>
#include "../core/visibility.h"
#include <yaml.h>

/* Loads a whole file; on failure writes "<path>:<line>: <problem>" to err. */
SQ_API int filter_yaml_load(yaml_document_t *doc, const char *path, char *err, size_t errlen);
/* Value node of key in a mapping node, or NULL. */
SQ_API yaml_node_t *filter_yaml_get(yaml_document_t *doc, yaml_node_t *map, const char *key);
/* Scalar text of a node, or NULL when it is not a scalar. */
SQ_API const char *filter_yaml_str(yaml_node_t *n);
/* 1-based source line of a node, for messages. */
SQ_API size_t filter_yaml_line(yaml_node_t *n);

#endif
