/* flow/yaml_tree.h: a YAML file read into a JSON tree (libyaml's event parser, jansson values):
 * mappings become objects, sequences arrays and every scalar a string (the reader of the tree
 * decides what a value means, so "no", "1e-3" and "010" stay as written). Each node remembers
 * its line for messages ("ctr.yaml:7: ..."). Limits: 1 MiB of text, nesting depth 32; anchors,
 * aliases and tags other than the standard ones are refused, duplicate keys too. */
#ifndef GN_FLOW_YAML_TREE_H
#define GN_FLOW_YAML_TREE_H

#include <jansson.h>
#include <stddef.h>

#define GN_YAML_MAX_BYTES ((size_t)1 << 20)
#define GN_YAML_MAX_DEPTH 32

typedef struct gn__yaml_line {
    const json_t *node;
    unsigned line; /* 1-based */
} gn__yaml_line;

typedef struct gn__yaml_tree {
    json_t *root;          /* an object, array or string; owned */
    char *path;            /* the file, for messages; owned */
    gn__yaml_line *lines;  /* one per node; owned */
    size_t nlines, cap;
} gn__yaml_tree;

/* Reads path (GN_EIO), or text of len bytes when text is not NULL (path then only names it).
 * GN_EPARSE "path:line: reason" on bad YAML, an empty document or a refused construct. */
int gn__yaml_load(const char *path, const char *text, size_t len, gn__yaml_tree *out);
/* The line of node (0 if unknown). */
unsigned gn__yaml_line_of(const gn__yaml_tree *t, const json_t *node);
void gn__yaml_free(gn__yaml_tree *t);

#endif
