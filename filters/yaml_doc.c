/* yaml_doc.c -- tiny read-only helpers over a libyaml document tree (rules and gazetteer). */
#include "yaml_doc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int filter_yaml_load(yaml_document_t *doc, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    int ok = yaml_parser_load(&p, doc);
    if (!ok) {
        snprintf(err, errlen, "%s:%zu: %s %s", path, (size_t)p.problem_mark.line + 1,
                 p.problem ? p.problem : "YAML error", p.context ? p.context : "");
    } else if (!yaml_document_get_root_node(doc)) {
        snprintf(err, errlen, "%s: empty document", path);
        yaml_document_delete(doc);
        ok = 0;
    }
    yaml_parser_delete(&p);
    fclose(f);
    return ok ? 0 : -1;
}

yaml_node_t *filter_yaml_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        const char *ks = filter_yaml_str(k);
        if (ks && strcmp(ks, key) == 0) return yaml_document_get_node(doc, pr->value);
    }
    return NULL;
}

const char *filter_yaml_str(yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE) return NULL;
    return (const char *)n->data.scalar.value;
}

size_t filter_yaml_line(yaml_node_t *n)
{
    return n ? (size_t)n->start_mark.line + 1 : 0;
}
