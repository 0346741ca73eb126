/* flow/yaml_tree.c: YAML text to a JSON tree with line numbers (see yaml_tree.h). */
#include "flow/yaml_tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/error.h"

typedef struct reader {
    yaml_parser_t parser;
    gn__yaml_tree *tree;
} reader;

static int note_line(reader *r, const json_t *node, unsigned line) {
    gn__yaml_tree *t = r->tree;
    if (t->nlines == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        gn__yaml_line *nl = realloc(t->lines, nc * sizeof *nl);
        if (!nl) return gn__fail(GN_ENOMEM, "out of memory");
        t->lines = nl;
        t->cap = nc;
    }
    t->lines[t->nlines++] = (gn__yaml_line){node, line};
    return GN_OK;
}

static int next_event(reader *r, yaml_event_t *ev) {
    if (!yaml_parser_parse(&r->parser, ev)) {
        const yaml_parser_t *p = &r->parser;
        return gn__fail(GN_EPARSE, "%s:%zu: %s%s%s", r->tree->path, p->problem_mark.line + 1,
                        p->problem ? p->problem : "bad YAML", p->context ? " " : "", p->context ? p->context : "");
    }
    return GN_OK;
}

static int refused_tag(const yaml_char_t *tag) {
    if (!tag) return 0;
    const char *t = (const char *)tag;
    return strncmp(t, "tag:yaml.org,2002:", 18) != 0;
}

/* Reads the node that starts with ev (consumed) into *out. */
static int read_node(reader *r, yaml_event_t *ev, int depth, json_t **out) {
    unsigned line = (unsigned)ev->start_mark.line + 1;
    const char *path = r->tree->path;
    if (depth > GN_YAML_MAX_DEPTH) {
        yaml_event_delete(ev);
        return gn__fail(GN_ELIMIT, "%s:%u: nested deeper than %d levels", path, line, GN_YAML_MAX_DEPTH);
    }
    json_t *node = NULL;
    int st = GN_OK;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        st = gn__fail(GN_EPARSE, "%s:%u: aliases (*name) are not supported in pipeline files", path, line);
        break;
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor || refused_tag(ev->data.scalar.tag)) {
            st = gn__fail(GN_EPARSE, "%s:%u: anchors and custom tags are not supported", path, line);
            break;
        }
        node = json_stringn((const char *)ev->data.scalar.value, ev->data.scalar.length);
        if (!node) st = gn__fail(GN_EPARSE, "%s:%u: a value that is not UTF-8 text", path, line);
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int map = ev->type == YAML_MAPPING_START_EVENT;
        const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        const yaml_char_t *tag = map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
        if (anchor || refused_tag(tag)) {
            st = gn__fail(GN_EPARSE, "%s:%u: anchors and custom tags are not supported", path, line);
            break;
        }
        node = map ? json_object() : json_array();
        if (!node) {
            st = gn__fail(GN_ENOMEM, "out of memory");
            break;
        }
        for (;;) {
            yaml_event_t e;
            if ((st = next_event(r, &e)) != GN_OK) break;
            if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&e);
                break;
            }
            if (!map) {
                json_t *item;
                if ((st = read_node(r, &e, depth + 1, &item)) != GN_OK) break;
                if (json_array_append_new(node, item) != 0) {
                    st = gn__fail(GN_ENOMEM, "out of memory");
                    break;
                }
                continue;
            }
            unsigned kline = (unsigned)e.start_mark.line + 1;
            if (e.type != YAML_SCALAR_EVENT) {
                yaml_event_delete(&e);
                st = gn__fail(GN_EPARSE, "%s:%u: a mapping key must be plain text", path, kline);
                break;
            }
            char *key = strndup((const char *)e.data.scalar.value, e.data.scalar.length);
            yaml_event_delete(&e);
            if (!key) {
                st = gn__fail(GN_ENOMEM, "out of memory");
                break;
            }
            if (json_object_get(node, key)) {
                st = gn__fail(GN_EPARSE, "%s:%u: key '%s' given twice", path, kline, key);
                free(key);
                break;
            }
            json_t *value;
            if ((st = next_event(r, &e)) == GN_OK) st = read_node(r, &e, depth + 1, &value);
            if (st == GN_OK && json_object_set_new(node, key, value) != 0)
                st = gn__fail(GN_EPARSE, "%s:%u: key '%s' is not UTF-8 text", path, kline, key);
            free(key);
            if (st != GN_OK) break;
        }
        break;
    }
    default:
        st = gn__fail(GN_EPARSE, "%s:%u: unexpected YAML event", path, line);
        break;
    }
    yaml_event_delete(ev);
    if (st == GN_OK) st = note_line(r, node, line);
    if (st != GN_OK) {
        json_decref(node);
        return st;
    }
    *out = node;
    return GN_OK;
}

static int read_text(const char *path, char **text, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return gn__fail(GN_EIO, "%s: %s", path, GN_ERRNO_TEXT(errno));
    char *buf = malloc(GN_YAML_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    size_t n = fread(buf, 1, GN_YAML_MAX_BYTES + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err || n > GN_YAML_MAX_BYTES) {
        free(buf);
        return err ? gn__fail(GN_EIO, "%s: read failed", path) : gn__fail(GN_ELIMIT, "%s: larger than 1 MiB", path);
    }
    *text = buf;
    *len = n;
    return GN_OK;
}

int gn__yaml_load(const char *path, const char *text, size_t len, gn__yaml_tree *out) {
    memset(out, 0, sizeof *out);
    if (!(out->path = strdup(path ? path : "<yaml>"))) return gn__fail(GN_ENOMEM, "out of memory");
    char *owned = NULL;
    int st = GN_OK;
    if (!text) {
        if ((st = read_text(path, &owned, &len)) != GN_OK) goto fail;
        text = owned;
    } else if (len > GN_YAML_MAX_BYTES) {
        st = gn__fail(GN_ELIMIT, "%s: larger than 1 MiB", out->path);
        goto fail;
    }
    reader r;
    r.tree = out;
    if (!yaml_parser_initialize(&r.parser)) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto fail;
    }
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    yaml_event_t ev;
    int phase = 0; /* 0: before the document, 1: read it, 2: done */
    while (st == GN_OK && phase < 2 && (st = next_event(&r, &ev)) == GN_OK) {
        switch (ev.type) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            yaml_event_delete(&ev);
            break;
        case YAML_DOCUMENT_START_EVENT:
            yaml_event_delete(&ev);
            if (phase == 1) st = gn__fail(GN_EPARSE, "%s:%zu: one YAML document only", out->path, r.parser.mark.line + 1);
            break;
        case YAML_STREAM_END_EVENT:
            yaml_event_delete(&ev);
            phase = 2;
            break;
        default:
            if (phase == 1) {
                yaml_event_delete(&ev);
                st = gn__fail(GN_EPARSE, "%s: one YAML document only", out->path);
            } else {
                st = read_node(&r, &ev, 1, &out->root);
                phase = 1;
            }
        }
    }
    yaml_parser_delete(&r.parser);
    if (st == GN_OK && !out->root) st = gn__fail(GN_EPARSE, "%s: empty file", out->path);
    if (st != GN_OK) goto fail;
    free(owned);
    return GN_OK;
fail:
    free(owned);
    gn__yaml_free(out);
    return st;
}

unsigned gn__yaml_line_of(const gn__yaml_tree *t, const json_t *node) {
    for (size_t i = 0; i < t->nlines; i++)
        if (t->lines[i].node == node) return t->lines[i].line;
    return 0;
}

void gn__yaml_free(gn__yaml_tree *t) {
    json_decref(t->root);
    free(t->path);
    free(t->lines);
    memset(t, 0, sizeof *t);
}
