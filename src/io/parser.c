/* io/parser.c: the line parsers for LIBSVM/SVMlight, CSV/TSV with column roles, and Vowpal Wabbit
 * text, plus format detection. Each parser appends one hashed example to a gn_batch and explains
 * any rejection in a short reason; the caller adds file:line. Hot loops avoid allocation and
 * per-field library calls (numbers go through io/numparse). */
#include "io/parser.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hash/hash.h"
#include "io/labels.h"
#include "io/cross.h"
#include "io/fields.h"
#include "io/numparse.h"
#include "io/text.h"
#include "util/error.h"
#include "util/utf8.h"

enum col_role { ROLE_AUTO = 0, ROLE_LABEL, ROLE_NUMERIC, ROLE_CATEGORICAL, ROLE_IGNORE, ROLE_TEXT };

typedef struct csv_column {
    char *name;
    uint64_t seed;      /* namespace seed of the column name */
    uint32_t num_slot;  /* slot of the numeric feature "name" */
    unsigned char role;
    uint64_t xmask;     /* the interaction groups (io/cross.h) of the column: bit g-1 for group g */
    uint32_t field;     /* field-aware hashing (io/fields.h): the feature column's field */
} csv_column;

/* A column by name, for looking named inputs up (gn__parser_named). */
typedef struct col_by_name {
    const char *name; /* the column's own name */
    size_t col;
} col_by_name;

struct gn_parser {
    gn_data_spec spec;
    uint32_t mask;
    /* CSV state, resolved from the first line */
    int csv_ready;
    size_t ncols;
    csv_column *cols;
    size_t label_col; /* 0-based */
    /* scratch for field splitting and unquoting */
    const char **fstart;
    size_t *flen;
    size_t fcap;
    char *unquote;
    size_t unquote_cap;
    /* missing-value tokens (CSV/TSV; an empty field is always missing): NUL-separated in na_text */
    char *na_text;
    const char **na_tok;
    size_t *na_len;
    size_t nna, na_maxlen;
    unsigned char na_first[32]; /* bitmap of the tokens' first bytes: most values fail it at once */
    int na_numeric;             /* some token reads as a number: look tokens up before numbers */
    /* label dictionary (owned; NULL: the numeric rule, +1/-1 or 1/0) and how parse_label uses it */
    gn_labels *labels;
    int label_mode;
    /* named inputs of a CSV model: the columns sorted by name (built on first use), and per
     * column the number of the last input that named it, so one naming it twice is caught */
    col_by_name *named_index;
    uint32_t *named_seen;
    uint32_t named_gen;
    /* text features (io/text.h): the tokenizer's scratch, the options (idf borrowed, see
     * gn__parser_set_idf), and the VW namespaces that hold text (NUL-separated names) */
    gn_text text;
    gn_text_opts topts;
    gn_idf *idf;       /* a reference, or NULL */
    char *vw_text;
    size_t vw_ntext;
    uint64_t dir_seed; /* --format dir: the namespace "text" */
    /* interactions (io/cross.h): the compiled list, and whether crossed features go into the
     * example (prediction, caches) or the grouped features into the batch's x lists (training) */
    gn_cross *cross;
    int cross_inline;
    /* fields (io/fields.h; spec field_aware): slots per field, 0 when not field-aware; VW: the
     * namespaces of --fields in field order, NUL-separated */
    uint32_t field_span;
    char *field_ns;
};

enum { LABELS_NUMERIC = 0, /* no dictionary, or the standard classes: the numeric fast path */
       LABELS_DICT,        /* binary classes by name */
       LABELS_ANY,         /* prediction input of a model with named classes: any label text */
       LABELS_CLASS };     /* label kind class: the class index in the dictionary */

#define WHY(...) snprintf(why, GN_WHY_MAX, __VA_ARGS__)

static inline int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static const char *skip_space(const char *p, const char *end) {
    while (p < end && is_space(*p)) p++;
    return p;
}

/* Common checks for text formats with names: no NUL bytes, valid UTF-8. */
static int check_text(const char *line, size_t len, char *why) {
    if (memchr(line, '\0', len)) {
        WHY("line contains a NUL byte (binary data?)");
        return GN_EPARSE;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)line[i] >= 0x80) {
            size_t at = gn__utf8_invalid_at((const unsigned char *)line, len);
            if (at != len) {
                WHY("invalid UTF-8 byte 0x%02x at column %zu", (unsigned char)line[at], at + 1);
                return GN_EPARSE;
            }
            break;
        }
    }
    return GN_OK;
}

/* Parses a label token according to the label kind (and the dictionary, when there is one). */
static int parse_label(const gn_parser *p, const char *s, size_t len, float *out, char *why) {
    if (p->label_mode == LABELS_DICT) return gn__labels_binary_value(p->labels, s, len, out, why);
    if (p->label_mode == LABELS_CLASS) return gn__labels_class_value(p->labels, s, len, out, why);
    if (p->spec.label_kind == GN_LABEL_CLASS) { /* the classes are resolved before any line is parsed */
        WHY("no classes known for a multiclass label");
        return GN_EINTERNAL;
    }
    if (p->label_mode == LABELS_ANY) {
        *out = 0.0f;
        return GN_OK;
    }
    char buf[64];
    double v;
    const char *e = gn__parse_double(s, s + len, &v);
    if (!e || e != s + len) {
        if (p->labels && p->spec.label_kind == GN_LABEL_BINARY)
            return gn__labels_binary_value(p->labels, s, len, out, why); /* names the classes */
        WHY("label '%s' is not a number", gn__utf8_shown(s, len, buf, sizeof buf));
        return GN_EPARSE;
    }
    if (p->spec.label_kind == GN_LABEL_BINARY) {
        if (v == 1.0) *out = 1.0f;
        else if (v == -1.0 || v == 0.0) *out = -1.0f;
        else if (p->labels) {
            return gn__labels_binary_value(p->labels, s, len, out, why); /* names the classes */
        } else {
            WHY("label '%s' is not a binary label (+1/-1 or 1/0); use --loss squared for regression",
                gn__utf8_shown(s, len, buf, sizeof buf));
            return GN_EPARSE;
        }
        return GN_OK;
    }
    if (!isfinite(v) || fabs(v) > 3.4e38) {
        WHY("label '%s' is out of range", gn__utf8_shown(s, len, buf, sizeof buf));
        return GN_EPARSE;
    }
    *out = (float)v;
    return GN_OK;
}

/* ---------------------------------------------------------------- interactions */

static int find_column(const gn_parser *p, const char *spec, size_t *out);

/* The groups of a VW namespace (or --format dir's "text"): a one-character group name matches
 * the namespaces that start with it, a longer one the namespace of that name. */
static uint64_t ns_groups(const gn_parser *p, const char *ns, size_t len) {
    uint64_t m = 0;
    for (uint32_t g = 1; g <= p->cross->ngroups; g++) {
        const char *name = p->cross->name[g];
        size_t nl = strlen(name);
        if (nl == 1 ? (len >= 1 && ns[0] == name[0]) : (nl == len && memcmp(ns, name, len) == 0))
            m |= (uint64_t)1 << (g - 1);
    }
    return m;
}

/* Copies the features [from, nnz) of the example in progress to its x lists, once per group. */
static int note_groups(gn_batch *b, size_t from, uint64_t mask) {
    for (unsigned g = 1; mask && b->nnz > from; g++, mask >>= 1)
        if (mask & 1) GN_TRY(gn__batch_x_copy(b, from, (unsigned char)g));
    return GN_OK;
}

/* Field-aware hashing: moves the features [from, nnz) of the example in progress into field f's
 * slots (io/fields.h). */
static void field_remap(const gn_parser *p, gn_batch *b, size_t from, uint32_t f) {
    for (size_t i = from; i < b->nnz; i++) b->index[i] = gn__field_slot(b->index[i], f, p->field_span);
}

/* The field of VW namespace [ns, ns + len): its place in --fields, or -1. */
static long vw_field(const gn_parser *p, const char *ns, size_t len) {
    const char *t = p->field_ns;
    for (uint32_t f = 0; f < p->spec.nfields; f++) {
        size_t tl = strlen(t);
        if (tl == len && memcmp(t, ns, len) == 0) return (long)f;
        t += tl + 1;
    }
    return -1;
}

/* Before an example is closed: in inline mode its crossed features are appended to it and its
 * x lists dropped; otherwise the x lists stay for the learner. */
static int cross_finish(gn_parser *p, gn_batch *b) {
    if (!p->cross || !p->cross_inline) return GN_OK;
    const size_t x0 = b->xstart[b->n];
    const gn_cross_feats f = {b->xn - x0, b->xslot + x0, b->xval + x0, b->xgrp + x0};
    size_t room = gn__cross_count(p->cross, &f);
    GN_TRY(gn__batch_reserve_features(b, room));
    b->nnz += gn__cross_expand(p->cross, &f, p->mask, b->index + b->nnz, b->value + b->nnz);
    b->xn = x0;
    return GN_OK;
}

/* Resolves the interaction groups to CSV columns (names or 1-based numbers). */
static int cross_columns(gn_parser *p, char *why) {
    if (!p->cross) return GN_OK;
    for (size_t c = 0; c < p->ncols; c++) p->cols[c].xmask = 0;
    for (uint32_t g = 1; g <= p->cross->ngroups; g++) {
        const char *name = p->cross->name[g];
        size_t c;
        if (find_column(p, name, &c) != 0) {
            WHY("--interactions: no column named '%s'%s", name,
                p->spec.header ? "" : " (the data has no header: use 1-based column numbers)");
            return GN_EINVAL;
        }
        if (c == p->label_col) {
            WHY("--interactions: column '%s' is the label column", name);
            return GN_EINVAL;
        }
        p->cols[c].xmask |= (uint64_t)1 << (g - 1);
    }
    return GN_OK;
}

int gn__parser_begin(const gn_parser *p, gn_batch *b, float label, float weight, uint64_t key, size_t room) {
    if (p->cross && !b->xstart) GN_TRY(gn__batch_x_enable(b));
    GN_TRY(gn__batch_begin_example(b, label, weight, key));
    GN_TRY(gn__batch_reserve_features(b, room + 1));
    if (p->spec.bias) gn__batch_push(b, 0, 1.0f);
    return GN_OK;
}

/* ---------------------------------------------------------------- LIBSVM */

static int parse_libsvm(gn_parser *p, const char *line, size_t len, uint64_t key, gn_batch *b, char *why) {
    const char *end = line + len;
    const char *hash = memchr(line, '#', len);
    if (hash) end = hash;
    const char *s = skip_space(line, end);
    if (s == end) return GN_EOF;
    char buf[64];

    /* label (optional when labels are not needed and the first token is a feature) */
    const char *t = s;
    while (t < end && !is_space(*t)) t++;
    float label = 0.0f;
    int has_label = memchr(s, ':', (size_t)(t - s)) == NULL;
    if (has_label) {
        /* Even when labels are not needed, a first token that is no number is bad input
         * (e.g. a stray word), not a label to ignore: predicting it would silently misread. */
        int st = parse_label(p, s, (size_t)(t - s), &label, why);
        if (st != GN_OK) return st;
        s = t;
    } else if (p->spec.label_kind != GN_LABEL_NONE) {
        WHY("missing label: the line starts with feature '%s'", gn__utf8_shown(s, (size_t)(t - s), buf, sizeof buf));
        return GN_EPARSE;
    }
    /* a LIBSVM row has at most one feature per 2 bytes */
    int st = gn__parser_begin(p, b, label, 1.0f, key, (size_t)(end - s) / 2 + 1);
    if (st != GN_OK) return st;
    const uint32_t mask = p->mask;
    const int hashed = p->spec.libsvm_hash;
    const int zero_based = p->spec.format == GN_FORMAT_LIBFM; /* libFM: indices from 0 */
    for (;;) {
        while (s < end && is_space(*s)) s++;
        if (s >= end) break;
        const char *tok = s;
        uint64_t idx;
        const char *colon = gn__parse_u64_fast(s, end, &idx);
        if (!colon || colon >= end || *colon != ':') {
            const char *te = tok;
            while (te < end && !is_space(*te)) te++;
            if ((size_t)(te - tok) > 4 && memcmp(tok, "qid:", 4) == 0) { s = te; continue; }
            if (colon && colon < end && *colon != ':' && !is_space(*colon)) {
                WHY("feature index '%s' is not a non-negative integer", gn__utf8_shown(tok, (size_t)(te - tok), buf, sizeof buf));
            } else if (colon && (colon >= end || is_space(*colon))) {
                WHY("feature '%s' has no ':value'", gn__utf8_shown(tok, (size_t)(te - tok), buf, sizeof buf));
            } else {
                WHY("expected index:value, got '%s'", gn__utf8_shown(tok, (size_t)(te - tok), buf, sizeof buf));
            }
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        if (idx == 0 && !zero_based) {
            WHY("feature index 0 (LIBSVM indices start at 1; --format libfm reads indices from 0)");
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        double v;
        const char *vs = colon + 1;
        const char *ve = gn__parse_double_fast(vs, end, &v);
        if (!ve || (ve < end && !is_space(*ve))) {
            const char *te = vs;
            while (te < end && !is_space(*te)) te++;
            WHY("feature %llu: value '%s' is not a number", (unsigned long long)idx,
                gn__utf8_shown(vs, (size_t)(te - vs), buf, sizeof buf));
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        s = ve;
        if (v == 0.0) continue;
        if (!(fabs(v) <= FLT_MAX)) { /* (float)v would be infinite (undefined behaviour) */
            WHY("feature %llu: value %g is out of range (32-bit float)", (unsigned long long)idx, v);
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        uint32_t slot;
        if (hashed) {
            slot = gn__hash_feature(0, tok, (size_t)(colon - tok), mask);
        } else {
            slot = gn__libsvm_slot(idx + (uint64_t)zero_based, mask);
        }
        gn__batch_push(b, slot, (float)v);
    }
    gn__batch_end_example(b);
    return GN_OK;
}

/* ---------------------------------------------------------------- libffm */

/* libffm's "label field:idx:val ..." (fields and indices from 0). Index idx goes to the slot of
 * LIBSVM index idx + 1; field-aware (kind ffm), into its field's slots, else the field is not
 * used (libffm's indices are one numbering across fields, as in its tools). */
static int parse_libffm(gn_parser *p, const char *line, size_t len, uint64_t key, gn_batch *b, char *why) {
    const char *end = line + len;
    const char *hash = memchr(line, '#', len);
    if (hash) end = hash;
    const char *s = skip_space(line, end);
    if (s == end) return GN_EOF;
    char buf[64];
    const char *t = s;
    while (t < end && !is_space(*t)) t++;
    float label = 0.0f;
    if (!memchr(s, ':', (size_t)(t - s))) {
        int st = parse_label(p, s, (size_t)(t - s), &label, why);
        if (st != GN_OK) return st;
        s = t;
    } else if (p->spec.label_kind != GN_LABEL_NONE) {
        WHY("missing label: the line starts with feature '%s'", gn__utf8_shown(s, (size_t)(t - s), buf, sizeof buf));
        return GN_EPARSE;
    }
    /* a libffm feature takes at least 6 bytes with its blank */
    int st = gn__parser_begin(p, b, label, 1.0f, key, (size_t)(end - s) / 6 + 1);
    if (st != GN_OK) return st;
    const uint32_t mask = p->mask, span = p->field_span;
    for (;;) {
        s = skip_space(s, end);
        if (s >= end) break;
        const char *tok = s, *te = s;
        while (te < end && !is_space(*te)) te++;
        uint64_t field, idx;
        const char *c1 = gn__parse_u64_fast(s, te, &field);
        const char *c2 = c1 && c1 < te && *c1 == ':' ? gn__parse_u64_fast(c1 + 1, te, &idx) : NULL;
        if (!c2 || c2 >= te || *c2 != ':') {
            WHY("expected field:index:value (non-negative integers and a number), got '%s'",
                gn__utf8_shown(tok, (size_t)(te - tok), buf, sizeof buf));
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        double v;
        const char *ve = gn__parse_double_fast(c2 + 1, te, &v);
        if (!ve || ve != te) {
            WHY("feature '%s': value '%s' is not a number", gn__utf8_shown(tok, (size_t)(c2 - tok), buf, 32),
                gn__utf8_shown(c2 + 1, (size_t)(te - c2 - 1), buf + 32, 32));
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        s = te;
        if (span && field >= p->spec.nfields) {
            WHY("feature '%s': field %llu, but the data has %u fields (--fields: 0..%u)",
                gn__utf8_shown(tok, (size_t)(te - tok), buf, sizeof buf), (unsigned long long)field,
                (unsigned)p->spec.nfields, (unsigned)p->spec.nfields - 1);
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        if (v == 0.0) continue;
        if (!(fabs(v) <= FLT_MAX)) {
            WHY("feature '%s': value %g is out of range (32-bit float)",
                gn__utf8_shown(tok, (size_t)(c2 - tok), buf, sizeof buf), v);
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        uint32_t slot = gn__libsvm_slot(idx + 1, mask);
        if (span) slot = gn__field_slot(slot, (uint32_t)field, span);
        gn__batch_push(b, slot, (float)v);
    }
    gn__batch_end_example(b);
    return GN_OK;
}

/* ---------------------------------------------------------------- text */

/* 1 if the VW namespace [ns, ns + len) is one of --text's. */
static int vw_is_text(const gn_parser *p, const char *ns, size_t len) {
    const char *t = p->vw_text;
    for (size_t i = 0; i < p->vw_ntext; i++) {
        size_t tl = strlen(t);
        if (tl == len && memcmp(t, ns, len) == 0) return 1;
        t += tl + 1;
    }
    return 0;
}

/* The names of --text for VW input, NUL-separated in p->vw_text. */
static int vw_text_setup(gn_parser *p) {
    size_t n = strlen(p->spec.text);
    if (n == 0) return GN_OK;
    p->vw_text = malloc(n + 1);
    if (!p->vw_text) return GN_ENOMEM;
    size_t o = 0;
    const char *s = p->spec.text;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        while (len && *s == ' ') s++, len--;
        while (len && s[len - 1] == ' ') len--;
        if (len) {
            memcpy(p->vw_text + o, s, len);
            p->vw_text[o + len] = '\0';
            o += len + 1;
            p->vw_ntext++;
        }
        if (!e) break;
        s = e + 1;
    }
    return GN_OK;
}

/* --format dir: "class<TAB>document" (io/dirtree.c makes these lines from the files). */
static int parse_dir(gn_parser *p, const char *line, size_t len, uint64_t key, gn_batch *b, char *why) {
    if (len == 0) return GN_EOF;
    int st = check_text(line, len, why);
    if (st != GN_OK) return st;
    const char *tab = memchr(line, '\t', len), *doc = tab ? tab + 1 : line;
    float label = 0.0f;
    if (tab) {
        st = parse_label(p, line, (size_t)(tab - line), &label, why);
        if (st != GN_OK && p->spec.label_kind != GN_LABEL_NONE) return st;
    } else if (p->spec.label_kind != GN_LABEL_NONE) {
        WHY("no class before the document (a --format dir record is class<TAB>text)");
        return GN_EPARSE;
    } /* prediction input (the server's text lines): the line is the document */
    st = gn__parser_begin(p, b, label, 1.0f, key, 0);
    if (st != GN_OK) return st;
    const size_t k0 = b->nnz;
    st = gn__text_features(&p->text, &p->topts, p->dir_seed, doc, (size_t)(line + len - doc), b);
    if (st == GN_OK && p->cross) st = note_groups(b, k0, ns_groups(p, "text", 4));
    if (st == GN_OK) st = cross_finish(p, b);
    if (st != GN_OK) {
        gn__batch_abort_example(b);
        return st;
    }
    gn__batch_end_example(b);
    return GN_OK;
}

/* ---------------------------------------------------------------- VW text */

static int parse_vw(gn_parser *p, const char *line, size_t len, uint64_t key, gn_batch *b, char *why) {
    const char *end = line + len;
    const char *s = skip_space(line, end);
    if (s == end) return GN_EOF;
    int st = check_text(line, len, why);
    if (st != GN_OK) return st;
    char buf[64];
    const char *bar = memchr(s, '|', (size_t)(end - s));
    if (!bar) {
        WHY("no '|' namespace marker in a VW line");
        return GN_EPARSE;
    }
    /* label section: label [importance] ['tag] */
    float label = 0.0f, weight = 1.0f;
    const char *q = s;
    int ntok = 0;
    while (q < bar) {
        q = skip_space(q, bar);
        if (q >= bar) break;
        const char *te = q;
        while (te < bar && !is_space(*te)) te++;
        if (*q == '\'') { q = te; continue; } /* tag */
        if (ntok == 0) {
            st = parse_label(p, q, (size_t)(te - q), &label, why);
            if (st != GN_OK) return st;
        } else if (ntok == 1) {
            double w;
            const char *we = gn__parse_double(q, te, &w);
            if (!we || we != te) {
                /* VW treats a trailing non-number as the tag */
                if (te == bar) { q = te; continue; }
                WHY("importance weight '%s' is not a number", gn__utf8_shown(q, (size_t)(te - q), buf, sizeof buf));
                return GN_EPARSE;
            }
            if (!(w >= 0) || !(w <= FLT_MAX)) { /* also keeps (float)w finite */
                WHY("importance weight '%s' must be a non-negative number up to 3.4e38", gn__utf8_shown(q, (size_t)(te - q), buf, sizeof buf));
                return GN_EPARSE;
            }
            weight = (float)w;
        }
        ntok++;
        q = te;
    }
    if (ntok == 0 && p->spec.label_kind != GN_LABEL_NONE) {
        WHY("missing label before '|'");
        return GN_EPARSE;
    }
    st = gn__parser_begin(p, b, label, weight, key, (size_t)(end - bar) / 2 + 1);
    if (st != GN_OK) return st;
    const uint32_t mask = p->mask;
    uint64_t seed = gn__hash_namespace("", 0);
    float ns_scale = 1.0f;
    size_t ns_from = b->nnz; /* interactions: the namespace's first feature and its groups */
    uint64_t ns_mask = 0;
    size_t fld_from = b->nnz; /* field-aware: the namespace's first feature and its field */
    uint32_t fld = 0;
    s = bar;
    while (s < end) {
        if (*s == '|') {
            /* namespace: |name[:scale] directly after the bar, or none */
            s++;
            const char *ns = s;
            while (s < end && !is_space(*s) && *s != ':' && *s != '|') s++;
            seed = gn__hash_namespace(ns, (size_t)(s - ns));
            if (p->field_span) {
                field_remap(p, b, fld_from, fld);
                long f = vw_field(p, ns, (size_t)(s - ns));
                if (f < 0) {
                    if (s == ns) WHY("the unnamed namespace has no field (kind ffm: name the namespaces and list them in --fields)");
                    else WHY("namespace '%s' is not one of --fields (kind ffm: each namespace listed there is a field)",
                             gn__utf8_shown(ns, (size_t)(s - ns), buf, sizeof buf));
                    gn__batch_abort_example(b);
                    return GN_EPARSE;
                }
                fld = (uint32_t)f;
                fld_from = b->nnz;
            }
            if (p->cross) {
                if (ns_mask && (st = note_groups(b, ns_from, ns_mask)) != GN_OK) {
                    gn__batch_abort_example(b);
                    return st;
                }
                ns_from = b->nnz;
                ns_mask = ns_groups(p, ns, (size_t)(s - ns));
            }
            ns_scale = 1.0f;
            if (p->vw_ntext && vw_is_text(p, ns, (size_t)(s - ns))) {
                /* a text namespace: everything up to the next '|' is one document */
                const char *te = memchr(s, '|', (size_t)(end - s));
                if (!te) te = end;
                st = gn__text_features(&p->text, &p->topts, seed, s, (size_t)(te - s), b);
                if (st != GN_OK) {
                    gn__batch_abort_example(b);
                    return st;
                }
                s = te;
                continue;
            }
            if (s < end && *s == ':') {
                double v;
                const char *ve = gn__parse_double(s + 1, end, &v);
                if (!ve || (ve < end && !is_space(*ve))) {
                    WHY("namespace scale after '|%s' is not a number", gn__utf8_shown(ns, (size_t)(s - ns), buf, sizeof buf));
                    gn__batch_abort_example(b);
                    return GN_EPARSE;
                }
                if (!(fabs(v) <= FLT_MAX)) {
                    WHY("namespace scale %g is out of range (32-bit float)", v);
                    gn__batch_abort_example(b);
                    return GN_EPARSE;
                }
                ns_scale = (float)v;
                s = ve;
            }
            continue;
        }
        if (is_space(*s)) { s++; continue; }
        const char *f = s;
        while (s < end && !is_space(*s) && *s != ':' && *s != '|') s++;
        const char *fe = s;
        double v = 1.0;
        if (s < end && *s == ':') {
            const char *ve = gn__parse_double(s + 1, end, &v);
            if (!ve || (ve < end && !is_space(*ve) && *ve != '|')) {
                const char *te = s + 1;
                while (te < end && !is_space(*te)) te++;
                WHY("feature '%s': value '%s' is not a number", gn__utf8_shown(f, (size_t)(fe - f), buf, 32),
                    gn__utf8_shown(s + 1, (size_t)(te - s - 1), buf + 32, 32));
                gn__batch_abort_example(b);
                return GN_EPARSE;
            }
            s = ve;
        }
        if (fe == f || v == 0.0) continue;
        if (!(fabs(v * ns_scale) <= FLT_MAX)) {
            WHY("feature '%s': value %g is out of range (32-bit float)", gn__utf8_shown(f, (size_t)(fe - f), buf, 32), v * ns_scale);
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        gn__batch_push(b, gn__hash_feature(seed, f, (size_t)(fe - f), mask), (float)(v * ns_scale));
    }
    if (p->field_span) field_remap(p, b, fld_from, fld);
    if (p->cross) {
        if (ns_mask) st = note_groups(b, ns_from, ns_mask);
        if (st == GN_OK) st = cross_finish(p, b);
        if (st != GN_OK) {
            gn__batch_abort_example(b);
            return st;
        }
    }
    gn__batch_end_example(b);
    return GN_OK;
}

/* ---------------------------------------------------------------- CSV / TSV */

/* Splits a CSV line into fields (RFC 4180 quotes for ','; TSV fields are taken verbatim).
 * Returns the number of fields or -1 with why set. Quoted fields keep their quotes here; the
 * value is unquoted on use. */
static long split_fields(gn_parser *p, const char *line, size_t len, char *why) {
    const char sep = p->spec.sep;
    const char *s = line, *end = line + len;
    size_t n = 0;
    for (;;) {
        if (n == p->fcap) {
            size_t cap = p->fcap ? p->fcap * 2 : 64;
            const char **fs = realloc(p->fstart, cap * sizeof *fs);
            if (!fs) return -2;
            p->fstart = fs;
            size_t *fl = realloc(p->flen, cap * sizeof *fl);
            if (!fl) return -2;
            p->flen = fl;
            p->fcap = cap;
        }
        const char *f = s;
        if (sep != '\t' && s < end && *s == '"') {
            s++;
            for (;;) {
                const char *qq = memchr(s, '"', (size_t)(end - s));
                if (!qq) {
                    WHY("field %zu: unterminated quoted field", n + 1);
                    return -1;
                }
                s = qq + 1;
                if (s < end && *s == '"') { s++; continue; }
                break;
            }
            if (s < end && *s != sep) {
                WHY("field %zu: text after the closing quote", n + 1);
                return -1;
            }
        } else {
            const char *e = memchr(s, sep, (size_t)(end - s));
            s = e ? e : end;
        }
        p->fstart[n] = f;
        p->flen[n] = (size_t)(s - f);
        n++;
        if (s >= end) break;
        s++; /* skip sep */
    }
    return (long)n;
}

/* Returns the field's value with quotes removed (may point into the scratch buffer). */
static const char *field_value(gn_parser *p, const char *f, size_t len, size_t *out_len) {
    if (len >= 2 && f[0] == '"' && p->spec.sep != '\t') {
        if (p->unquote_cap < len) {
            char *u = realloc(p->unquote, len);
            if (!u) return NULL;
            p->unquote = u;
            p->unquote_cap = len;
        }
        size_t o = 0;
        for (size_t i = 1; i + 1 < len; i++) {
            if (f[i] == '\r' && f[i + 1] == '\n') continue; /* CRLF inside quotes reads as LF */
            p->unquote[o++] = f[i];
            if (f[i] == '"') i++; /* "" -> " */
        }
        *out_len = o;
        return p->unquote;
    }
    /* trim surrounding spaces of unquoted fields */
    while (len && (f[0] == ' ')) { f++; len--; }
    while (len && (f[len - 1] == ' ' || f[len - 1] == '\r')) len--;
    *out_len = len;
    return f;
}

/* 1 if the value (unquoted and trimmed) is missing: empty, or one of the missing-value tokens. */
static int is_na_token(const gn_parser *p, const char *v, size_t vl) {
    unsigned char c0 = (unsigned char)v[0];
    if (!(p->na_first[c0 >> 3] & (1u << (c0 & 7)))) return 0;
    for (size_t i = 0; i < p->nna; i++)
        if (p->na_len[i] == vl && memcmp(p->na_tok[i], v, vl) == 0) return 1;
    return 0;
}

static inline int is_missing(const gn_parser *p, const char *v, size_t vl) {
    if (vl - 1 >= p->na_maxlen) return vl == 0; /* most values: longer than every token */
    return is_na_token(p, v, vl);
}

static int is_number(const char *v, size_t vl) {
    double d;
    return vl > 0 && gn__parse_double(v, v + vl, &d) == v + vl;
}

/* Builds the token table from spec.na_defaults and spec.na_values (comma-separated, each token
 * trimmed of blanks, empty ones ignored). */
static int na_setup(gn_parser *p) {
    const char *defs = p->spec.na_defaults ? GN_NA_DEFAULTS : "";
    size_t dl = strlen(defs), vl = strlen(p->spec.na_values);
    p->na_text = malloc(dl + vl + 2);
    if (!p->na_text) return GN_ENOMEM;
    memcpy(p->na_text, defs, dl);
    p->na_text[dl] = ',';
    memcpy(p->na_text + dl + 1, p->spec.na_values, vl + 1);
    size_t cap = 1;
    for (const char *c = p->na_text; *c; c++) cap += *c == ',';
    p->na_tok = malloc(cap * sizeof *p->na_tok);
    p->na_len = malloc(cap * sizeof *p->na_len);
    if (!p->na_tok || !p->na_len) return GN_ENOMEM;
    char *t = p->na_text;
    for (;;) {
        char *e = strchr(t, ',');
        if (e) *e = '\0';
        size_t tl = strlen(t);
        while (tl && (*t == ' ' || *t == '\t')) t++, tl--;
        while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t')) tl--;
        if (tl) {
            p->na_tok[p->nna] = t;
            p->na_len[p->nna++] = tl;
            if (tl > p->na_maxlen) p->na_maxlen = tl;
            unsigned char c0 = (unsigned char)t[0];
            p->na_first[c0 >> 3] |= (unsigned char)(1u << (c0 & 7));
            if (is_number(t, tl)) p->na_numeric = 1;
        }
        if (!e) break;
        t = e + 1;
    }
    return GN_OK;
}

/* "column 3 ('age')" with a header, "column 3" without: how messages name a column. */
static const char *col_ref(const gn_parser *p, size_t i, char *buf, size_t size) {
    char nb[64];
    if (p->spec.header == 1 && p->cols && i < p->ncols)
        snprintf(buf, size, "column %zu ('%s')", i + 1, gn__utf8_shown(p->cols[i].name, strlen(p->cols[i].name), nb, sizeof nb));
    else
        snprintf(buf, size, "column %zu", i + 1);
    return buf;
}

/* Resolves a column list like "3,5,15-40,city" into role assignments. */
static int apply_colspec(gn_parser *p, const char *list, unsigned char role, const char *flag, char *why) {
    const char *s = list;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        while (len && *s == ' ') { s++; len--; }
        while (len && s[len - 1] == ' ') len--;
        if (len) {
            uint64_t a, bnd;
            const char *ae = gn__parse_u64(s, s + len, &a);
            int done = 0;
            if (ae == s + len) {
                bnd = a;
                done = 1;
            } else if (ae && *ae == '-') {
                const char *be = gn__parse_u64(ae + 1, s + len, &bnd);
                if (be == s + len) done = 1;
            }
            if (done) {
                if (a < 1 || bnd < a || bnd > p->ncols) {
                    WHY("--%s: column range '%.*s' is outside 1-%zu", flag, (int)len, s, p->ncols);
                    return GN_EINVAL;
                }
                for (uint64_t c = a; c <= bnd; c++) {
                    if (c - 1 == p->label_col) {
                        WHY("--%s: column %llu is the label column", flag, (unsigned long long)c);
                        return GN_EINVAL;
                    }
                    p->cols[c - 1].role = role;
                }
            } else {
                size_t c;
                for (c = 0; c < p->ncols; c++)
                    if (strlen(p->cols[c].name) == len && memcmp(p->cols[c].name, s, len) == 0) break;
                if (c == p->ncols) {
                    WHY("--%s: no column named '%.*s'%s", flag, (int)len, s,
                        p->spec.header ? "" : " (the data has no header: use 1-based column numbers)");
                    return GN_EINVAL;
                }
                if (c == p->label_col) {
                    WHY("--%s: column '%.*s' is the label column", flag, (int)len, s);
                    return GN_EINVAL;
                }
                p->cols[c].role = role;
            }
        }
        if (!e) break;
        s = e + 1;
    }
    return GN_OK;
}

static int find_column(const gn_parser *p, const char *spec, size_t *out) {
    uint64_t c;
    size_t len = strlen(spec);
    const char *e = gn__parse_u64(spec, spec + len, &c);
    if (e == spec + len) {
        if (c < 1 || c > p->ncols) return -1;
        *out = (size_t)(c - 1);
        return 0;
    }
    for (size_t i = 0; i < p->ncols; i++)
        if (strcmp(p->cols[i].name, spec) == 0) { *out = i; return 0; }
    return -1;
}

static void free_columns(gn_parser *p) {
    for (size_t i = 0; i < p->ncols; i++) free(p->cols[i].name);
    free(p->cols);
    p->cols = NULL;
    p->ncols = 0;
    free(p->named_index);
    free(p->named_seen);
    p->named_index = NULL;
    p->named_seen = NULL;
    p->named_gen = 0;
}

static int by_string(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The header rule (spec.header = -1), from the first line's values (first[i]) and a sample of the
 * records after it. A column is "numeric in the sample" when it has a value there and every
 * value is a number or missing. The first line is a header when
 *   - a numeric-in-the-sample column has a first-line value that is not a number (nor missing);
 *   - else it is data when such a column has a number there;
 *   - else (no numeric column tells) a header when the other columns' first-line values are all
 *     present, distinct, and none of them occurs as a value of its column in the sample.
 * With no usable sample (a one-record input): a header when no first-line value is a number and
 * one is present. So a label column of strings ("yes"/"no", "<=50K") cannot make a data line
 * look like a header. Returns 1 (header), 0 (data) or GN_ENOMEM (negated). */
static int detect_header(gn_parser *p, char **first, const char *const *sample, const size_t *slen,
                         size_t nsample, char *why) {
    size_t nc = p->ncols;
    unsigned char *fl = calloc(nc ? nc : 1, 4); /* per column: numeric? text seen? value seen? any? */
    char **sorted = malloc((nc ? nc : 1) * sizeof *sorted);
    if (!fl || !sorted) {
        free(fl);
        free(sorted);
        return -GN_ENOMEM;
    }
    size_t used = 0;
    for (size_t r = 0; r < nsample; r++) {
        long k = split_fields(p, sample[r], slen[r], why);
        if (k == -2) {
            free(fl);
            free(sorted);
            return -GN_ENOMEM;
        }
        if (k < 0 || (size_t)k != nc) continue; /* a bad record says nothing; parsing reports it */
        used++;
        for (size_t c = 0; c < nc; c++) {
            size_t vl;
            const char *v = field_value(p, p->fstart[c], p->flen[c], &vl);
            if (!v) {
                free(fl);
                free(sorted);
                return -GN_ENOMEM;
            }
            if (is_missing(p, v, vl)) continue;
            fl[4 * c + 3] = 1;
            if (!is_number(v, vl)) fl[4 * c + 1] = 1;
            if (strlen(first[c]) == vl && memcmp(first[c], v, vl) == 0) fl[4 * c + 2] = 1;
        }
    }
    int header;
    if (used == 0) {
        int num = 0, present = 0;
        for (size_t c = 0; c < nc; c++) {
            size_t l = strlen(first[c]);
            if (is_missing(p, first[c], l)) continue;
            present = 1;
            num |= is_number(first[c], l);
        }
        header = present && !num;
    } else {
        int text_in_num = 0, num_in_num = 0;
        for (size_t c = 0; c < nc; c++) {
            size_t l = strlen(first[c]);
            if (!fl[4 * c + 3] || fl[4 * c + 1] || is_missing(p, first[c], l)) continue;
            if (is_number(first[c], l)) num_in_num = 1;
            else text_in_num = 1;
        }
        if (text_in_num) {
            header = 1;
        } else if (num_in_num) {
            header = 0;
        } else {
            size_t n = 0;
            header = 1;
            for (size_t c = 0; c < nc && header; c++) {
                if (fl[4 * c + 3] && !fl[4 * c + 1]) continue; /* numeric in the sample, empty here */
                if (is_missing(p, first[c], strlen(first[c])) || fl[4 * c + 2]) header = 0;
                sorted[n++] = first[c];
            }
            if (n == 0) header = 0;
            qsort(sorted, n, sizeof *sorted, by_string);
            for (size_t i = 1; i < n && header; i++)
                if (strcmp(sorted[i - 1], sorted[i]) == 0) header = 0;
        }
    }
    free(fl);
    free(sorted);
    return header;
}

/* Field-aware hashing of CSV (kind ffm): each feature column is a field, in column order. */
static int csv_fields(gn_parser *p, char *why) {
    if (!p->spec.field_aware) return GN_OK;
    uint32_t n = 0;
    for (size_t c = 0; c < p->ncols; c++)
        if (p->cols[c].role != ROLE_LABEL && p->cols[c].role != ROLE_IGNORE) p->cols[c].field = n++;
    if (n == 0 || n > GN_MAX_FIELDS) {
        WHY("kind ffm: each feature column is a field, and the data has %u (1 to %d are allowed; --ignore some)",
            (unsigned)n, GN_MAX_FIELDS);
        return GN_EINVAL;
    }
    if (p->spec.nfields && p->spec.nfields != n) {
        WHY("the model has %u fields (feature columns), the data %u", (unsigned)p->spec.nfields, (unsigned)n);
        return GN_EINVAL;
    }
    const uint32_t span = gn__field_span(p->spec.bits, n);
    if (span < 2) {
        WHY("kind ffm: %u fields do not fit in 2^%u slots (raise --bits)", (unsigned)n, (unsigned)p->spec.bits);
        return GN_EINVAL;
    }
    p->spec.nfields = n;
    p->field_span = span;
    return GN_OK;
}

/* Sets up the CSV columns from the first line (names from the header, or 1-based numbers). */
static int csv_setup(gn_parser *p, const char *line, size_t len, const char *const *sample, const size_t *slen,
                     size_t nsample, char *why) {
    long n = split_fields(p, line, len, why);
    if (n == -2) return GN_ENOMEM;
    if (n < 0) return GN_EPARSE;
    p->cols = calloc((size_t)n, sizeof *p->cols);
    if (!p->cols) return GN_ENOMEM;
    p->ncols = (size_t)n; /* only now: free_columns walks ncols entries of cols */
    /* the first line's values, unquoted: the header's names, or data */
    char **first = calloc(p->ncols, sizeof *first);
    if (!first) return GN_ENOMEM;
    int st = GN_OK;
    for (size_t i = 0; i < p->ncols; i++) {
        size_t vl;
        const char *v = field_value(p, p->fstart[i], p->flen[i], &vl);
        if (!v || !(first[i] = malloc(vl + 1))) {
            st = GN_ENOMEM;
            goto done;
        }
        memcpy(first[i], v, vl);
        first[i][vl] = '\0';
    }
    if (p->spec.header < 0) {
        uint64_t c;
        size_t l = strlen(p->spec.label_col);
        int label_by_name = gn__parse_u64(p->spec.label_col, p->spec.label_col + l, &c) != p->spec.label_col + l;
        int h = label_by_name ? 1 : detect_header(p, first, sample, slen, nsample, why);
        if (h < 0) {
            st = -h;
            goto done;
        }
        p->spec.header = h;
    }
    for (size_t i = 0; i < p->ncols; i++) {
        char num[24];
        const char *name = first[i];
        if (!p->spec.header) {
            snprintf(num, sizeof num, "%zu", i + 1);
            name = num;
        }
        size_t nl = strlen(name);
        p->cols[i].name = malloc(nl + 1);
        if (!p->cols[i].name) {
            st = GN_ENOMEM;
            goto done;
        }
        memcpy(p->cols[i].name, name, nl + 1);
        p->cols[i].seed = gn__hash_namespace(name, nl);
        p->cols[i].num_slot = gn__hash_feature(p->cols[i].seed, "", 0, p->mask);
    }
    if (find_column(p, p->spec.label_col, &p->label_col) != 0) {
        if (p->spec.label_kind == GN_LABEL_NONE) {
            p->label_col = (size_t)-1;
        } else {
            WHY("--label: no column '%s' among the %zu columns", p->spec.label_col, p->ncols);
            st = GN_EINVAL;
            goto done;
        }
    } else {
        p->cols[p->label_col].role = ROLE_LABEL;
    }
    if ((st = apply_colspec(p, p->spec.ignore, ROLE_IGNORE, "ignore", why)) != GN_OK) goto done;
    if ((st = apply_colspec(p, p->spec.numeric, ROLE_NUMERIC, "numeric", why)) != GN_OK) goto done;
    if ((st = apply_colspec(p, p->spec.categorical, ROLE_CATEGORICAL, "categorical", why)) != GN_OK) goto done;
    if ((st = apply_colspec(p, p->spec.text, ROLE_TEXT, "text", why)) != GN_OK) goto done;
    if ((st = cross_columns(p, why)) != GN_OK) goto done;
    if ((st = csv_fields(p, why)) != GN_OK) goto done;
    p->csv_ready = 1;
done:
    for (size_t i = 0; i < p->ncols; i++) free(first[i]);
    free(first);
    return st;
}

/* Appends column c's feature for value v (unquoted, trimmed). maybe_na: 0 when vl rules out every
 * missing-value token (the caller's quick length test), so most values skip the token lookup;
 * 2 when, besides, some token reads as a number and must be looked up before numbers. */
static int csv_feature(gn_parser *p, const csv_column *c, const char *v, size_t vl, int maybe_na, gn_batch *b,
                       char *why) {
    char buf[64], ref[96];
    if (vl == 0) return GN_OK; /* missing */
    if (c->role == ROLE_TEXT) {
        if (maybe_na && is_na_token(p, v, vl)) return GN_OK;
        if (gn__text_features(&p->text, &p->topts, c->seed, v, vl, b) != GN_OK) {
            WHY("out of memory");
            return GN_ENOMEM;
        }
        return GN_OK;
    }
    if (c->role == ROLE_CATEGORICAL) {
        if (maybe_na && is_na_token(p, v, vl)) return GN_OK; /* a missing category adds nothing */
        gn__batch_push(b, gn__hash_category(c->seed, v, vl, p->mask), 1.0f);
        return GN_OK;
    }
    if (maybe_na == 2 && is_na_token(p, v, vl)) return GN_OK;
    double d;
    const char *e = gn__parse_double(v, v + vl, &d);
    if (e == v + vl) {
        if (p->spec.log_numeric) d = d < 0 ? -log1p(-d) : log1p(d);
        if (!(fabs(d) <= FLT_MAX)) {
            WHY("%s: value %g is out of range (32-bit float)", col_ref(p, (size_t)(c - p->cols), ref, sizeof ref), d);
            return GN_EPARSE;
        }
        if (d != 0.0) gn__batch_push(b, c->num_slot, (float)d);
        return GN_OK;
    }
    if (maybe_na && is_na_token(p, v, vl)) return GN_OK;
    if (c->role == ROLE_NUMERIC) {
        WHY("%s: value '%s' is not a number", col_ref(p, (size_t)(c - p->cols), ref, sizeof ref),
            gn__utf8_shown(v, vl, buf, sizeof buf));
        return GN_EPARSE;
    }
    gn__batch_push(b, gn__hash_category(c->seed, v, vl, p->mask), 1.0f);
    return GN_OK;
}

/* Checks a data record and splits it into p->ncols fields: GN_OK, GN_EOF (a blank record),
 * GN_EPARSE (why filled), GN_ENOMEM or GN_EINTERNAL. */
static int csv_split_record(gn_parser *p, const char *line, size_t len, char *why) {
    if (len == 0) return GN_EOF;
    int st = check_text(line, len, why);
    if (st != GN_OK) return st;
    if (!p->csv_ready) {
        WHY("internal: CSV columns not set up");
        return GN_EINTERNAL;
    }
    long n = split_fields(p, line, len, why);
    if (n == -2) return GN_ENOMEM;
    if (n < 0) return GN_EPARSE;
    if ((size_t)n != p->ncols) {
        if (n == 1 && p->flen[0] == 0) return GN_EOF;
        WHY("expected %zu fields, got %ld", p->ncols, n);
        return GN_EPARSE;
    }
    return GN_OK;
}

static int parse_csv(gn_parser *p, const char *line, size_t len, uint64_t key, gn_batch *b, char *why) {
    int st = csv_split_record(p, line, len, why);
    if (st != GN_OK) return st;
    float label = 0.0f;
    if (p->label_col != (size_t)-1) {
        size_t vl;
        const char *v = field_value(p, p->fstart[p->label_col], p->flen[p->label_col], &vl);
        if (!v) return GN_ENOMEM;
        if (is_missing(p, v, vl)) {
            if (p->spec.label_kind != GN_LABEL_NONE) {
                char ref[96];
                WHY("%s: missing label", col_ref(p, p->label_col, ref, sizeof ref));
                return GN_EPARSE;
            }
        } else {
            st = parse_label(p, v, vl, &label, why);
            if (st != GN_OK && p->spec.label_kind != GN_LABEL_NONE) return st;
        }
    }
    st = gn__parser_begin(p, b, label, 1.0f, key, p->ncols);
    if (st != GN_OK) return st;
    const size_t na_maxlen = p->na_maxlen;
    const int na_check = p->na_numeric ? 2 : 1;
    for (size_t i = 0; i < p->ncols; i++) {
        const csv_column *c = &p->cols[i];
        if (c->role == ROLE_LABEL || c->role == ROLE_IGNORE) continue;
        size_t vl;
        const char *v = field_value(p, p->fstart[i], p->flen[i], &vl);
        if (!v) {
            gn__batch_abort_example(b);
            return GN_ENOMEM;
        }
        const size_t k0 = b->nnz;
        st = csv_feature(p, c, v, vl, vl <= na_maxlen ? na_check : 0, b, why);
        if (st == GN_OK && p->field_span) field_remap(p, b, k0, c->field);
        if (st == GN_OK && c->xmask) st = note_groups(b, k0, c->xmask);
        if (st != GN_OK) {
            gn__batch_abort_example(b);
            return st;
        }
    }
    if (p->cross && (st = cross_finish(p, b)) != GN_OK) {
        gn__batch_abort_example(b);
        return st;
    }
    gn__batch_end_example(b);
    return GN_OK;
}

/* ---------------------------------------------------------------- public */

gn_format gn__detect_format(const char *line, size_t len, char *sep) {
    if (memchr(line, '|', len)) return GN_FORMAT_VW;
    const char *end = line + len, *s = skip_space(line, end);
    while (s < end && !is_space(*s)) s++;
    s = skip_space(s, end);
    if (end - s > 4 && memcmp(s, "qid:", 4) == 0) { /* SVMlight ranking data: look past qid */
        while (s < end && !is_space(*s)) s++;
        s = skip_space(s, end);
    }
    uint64_t idx;
    const char *c = gn__parse_u64(s, end, &idx);
    if (c && c < end && *c == ':' && !memchr(line, ',', len)) {
        /* libffm: field:index:value */
        const char *c2 = gn__parse_u64(c + 1, end, &idx);
        return c2 && c2 < end && *c2 == ':' ? GN_FORMAT_LIBFFM : GN_FORMAT_LIBSVM;
    }
    if (sep) *sep = memchr(line, '\t', len) ? '\t' : ',';
    return GN_FORMAT_CSV;
}

/* Field-aware hashing (spec field_aware, kind ffm): the fields of VW (the namespaces named in
 * --fields) and libffm (--fields N) input; CSV's are its feature columns (csv_fields). */
static int fields_setup(gn_parser *p) {
    gn_data_spec *sp = &p->spec;
    if (!sp->field_aware) return GN_OK;
    uint32_t n = 0;
    switch (sp->format) {
    case GN_FORMAT_CSV:
        if (sp->fields[0])
            return gn__fail(GN_EINVAL, "--fields: each feature column of a CSV/TSV file is a field (leave --fields "
                                       "out; --ignore columns to drop them)");
        return GN_OK; /* from the first line */
    case GN_FORMAT_LIBFFM: {
        uint64_t v;
        const char *e = sp->fields[0] ? gn__parse_u64(sp->fields, sp->fields + strlen(sp->fields), &v) : NULL;
        if (!e || *e || v < 1 || v > GN_MAX_FIELDS)
            return gn__fail(GN_EINVAL, "kind ffm on libffm data needs --fields N, the number of fields (1 to %d; "
                                       "fields are numbered from 0)%s%s%s",
                            GN_MAX_FIELDS, sp->fields[0] ? ", not '" : "", sp->fields, sp->fields[0] ? "'" : "");
        n = (uint32_t)v;
        break;
    }
    case GN_FORMAT_VW: {
        size_t len = strlen(sp->fields);
        if (len == 0)
            return gn__fail(GN_EINVAL, "kind ffm on VW data needs --fields NS,NS,...: the namespaces, each a field");
        if (!(p->field_ns = malloc(len + 1))) return gn__fail(GN_ENOMEM, "out of memory");
        memcpy(p->field_ns, sp->fields, len + 1);
        n = 1;
        for (size_t i = 0; i < len; i++)
            if (p->field_ns[i] == ',') {
                p->field_ns[i] = '\0';
                n++;
            }
        const char *a = p->field_ns;
        for (uint32_t i = 0; i < n; i++, a += strlen(a) + 1) {
            const char *bn = a + strlen(a) + 1;
            if (!*a) return gn__fail(GN_EINVAL, "--fields: an empty namespace name in '%s'", sp->fields);
            for (uint32_t j = i + 1; j < n; j++, bn += strlen(bn) + 1)
                if (strcmp(a, bn) == 0) return gn__fail(GN_EINVAL, "--fields: namespace '%s' is named twice", a);
        }
        if (n > GN_MAX_FIELDS) return gn__fail(GN_EINVAL, "--fields: %u namespaces, at most %d", (unsigned)n, GN_MAX_FIELDS);
        break;
    }
    default:
        return gn__fail(GN_EINVAL, "kind ffm needs fields: the columns of a CSV/TSV file, VW namespaces (--fields) "
                                   "or --format libffm; %s rows have none", gn_format_name(sp->format));
    }
    if (sp->nfields && sp->nfields != n)
        return gn__fail(GN_EINVAL, "the model has %u fields, --fields gives %u", (unsigned)sp->nfields, (unsigned)n);
    const uint32_t span = gn__field_span(sp->bits, n);
    if (span < 2) return gn__fail(GN_EINVAL, "kind ffm: %u fields do not fit in 2^%u slots (raise --bits)", (unsigned)n,
                                  (unsigned)sp->bits);
    sp->nfields = n;
    p->field_span = span;
    return GN_OK;
}

int gn__parser_new(const gn_data_spec *spec, gn_parser **out) {
    if (spec->format == GN_FORMAT_AUTO) return gn__fail(GN_EINTERNAL, "parser needs a resolved format");
    gn_parser *p = calloc(1, sizeof *p);
    if (!p) return gn__fail(GN_ENOMEM, "out of memory");
    p->spec = *spec;
    p->mask = gn__slot_mask(spec->bits);
    p->label_col = (size_t)-1;
    gn__text_init(&p->text);
    p->topts.ngrams = spec->ngrams;
    p->topts.skips = spec->skips;
    p->topts.tf = spec->tf;
    p->topts.normalize = spec->normalize_rows;
    p->topts.mask = p->mask;
    p->dir_seed = gn__hash_namespace("text", 4);
    if (spec->interactions[0]) {
        char why[256];
        if (!(p->cross = malloc(sizeof *p->cross))) {
            gn__parser_free(p);
            return gn__fail(GN_ENOMEM, "out of memory");
        }
        if (gn__cross_compile(spec->interactions, p->cross, why) != GN_OK) {
            gn__parser_free(p);
            return gn__fail(GN_EINVAL, "%s", why);
        }
    }
    if (na_setup(p) != GN_OK || (spec->format == GN_FORMAT_VW && vw_text_setup(p) != GN_OK)) {
        gn__parser_free(p);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    int st = fields_setup(p);
    if (st != GN_OK) {
        gn__parser_free(p);
        return st;
    }
    *out = p;
    return GN_OK;
}

void gn__parser_free(gn_parser *p) {
    if (!p) return;
    gn__labels_free(p->labels);
    free_columns(p);
    free(p->fstart);
    free(p->flen);
    free(p->unquote);
    free(p->na_text);
    free(p->na_tok);
    free(p->na_len);
    free(p->vw_text);
    free(p->field_ns);
    free(p->cross);
    gn__text_free(&p->text);
    gn__idf_unref(p->idf);
    free(p);
}

int gn__parser_clone(const gn_parser *p, gn_parser **out) {
    gn_parser *c;
    GN_TRY(gn__parser_new(&p->spec, &c));
    c->label_col = p->label_col;
    if (p->ncols) {
        c->cols = calloc(p->ncols, sizeof *c->cols);
        if (!c->cols) { gn__parser_free(c); return gn__fail(GN_ENOMEM, "out of memory"); }
        c->ncols = p->ncols;
        for (size_t i = 0; i < p->ncols; i++) {
            c->cols[i] = p->cols[i];
            c->cols[i].name = strdup(p->cols[i].name);
            if (!c->cols[i].name) { gn__parser_free(c); return gn__fail(GN_ENOMEM, "out of memory"); }
        }
    }
    c->csv_ready = p->csv_ready;
    c->cross_inline = p->cross_inline;
    c->spec.nfields = p->spec.nfields; /* CSV: resolved with the columns */
    c->field_span = p->field_span;
    gn__parser_set_idf(c, p->idf);
    c->topts.counts = p->topts.counts;
    if (p->labels) {
        gn_labels *l;
        int st = gn__labels_clone(p->labels, &l);
        if (st != GN_OK) {
            gn__parser_free(c);
            return st;
        }
        gn__parser_set_labels(c, l);
    }
    *out = c;
    return GN_OK;
}

char gn__parser_resolve_sep(gn_parser *p, const char *line, size_t len) {
    if (p->spec.format != GN_FORMAT_CSV) return 0;
    if (p->spec.sep == 0) p->spec.sep = memchr(line, '\t', len) ? '\t' : ',';
    return p->spec.sep;
}

int gn__parser_needs_sample(const gn_parser *p) {
    if (p->spec.format != GN_FORMAT_CSV || p->csv_ready || p->spec.header >= 0) return 0;
    uint64_t c;
    size_t l = strlen(p->spec.label_col);
    return gn__parse_u64(p->spec.label_col, p->spec.label_col + l, &c) == p->spec.label_col + l;
}

int gn__parser_first_line(gn_parser *p, const char *line, size_t len, char *why) {
    return gn__parser_first_line_sampled(p, line, len, NULL, NULL, 0, why);
}

int gn__parser_first_line_sampled(gn_parser *p, const char *line, size_t len, const char *const *sample,
                                  const size_t *slen, size_t nsample, char *why) {
    if (p->spec.format != GN_FORMAT_CSV) return 0;
    if (!p->csv_ready) {
        if (p->spec.sep == 0) p->spec.sep = memchr(line, '\t', len) ? '\t' : ',';
        int st = check_text(line, len, why);
        if (st != GN_OK) return -1;
        st = csv_setup(p, line, len, sample, slen, nsample, why);
        if (st == GN_ENOMEM) { WHY("out of memory"); return -2; }
        if (st != GN_OK) return -1;
        return p->spec.header ? 1 : 0;
    }
    if (!p->spec.header) return 0;
    /* later files: their header must name the same columns */
    long n = split_fields(p, line, len, why);
    if (n == -2) {
        WHY("out of memory");
        return -2;
    }
    if (n < 0) return -1;
    if ((size_t)n != p->ncols) {
        WHY("header has %ld columns, the first file's has %zu", n, p->ncols);
        return -1;
    }
    for (size_t i = 0; i < p->ncols; i++) {
        size_t vl;
        const char *v = field_value(p, p->fstart[i], p->flen[i], &vl);
        if (!v) {
            WHY("out of memory");
            return -2;
        }
        if (strlen(p->cols[i].name) != vl || memcmp(v, p->cols[i].name, vl) != 0) {
            WHY("header column %zu differs from the first file's ('%s')", i + 1, p->cols[i].name);
            return -1;
        }
    }
    return 1;
}

int gn__parser_line(gn_parser *p, const char *line, size_t len, uint64_t key, gn_batch *b, char *why) {
    switch (p->spec.format) {
    case GN_FORMAT_LIBSVM: return parse_libsvm(p, line, len, key, b, why);
    case GN_FORMAT_LIBFM: return parse_libsvm(p, line, len, key, b, why);
    case GN_FORMAT_LIBFFM: return parse_libffm(p, line, len, key, b, why);
    case GN_FORMAT_VW: return parse_vw(p, line, len, key, b, why);
    case GN_FORMAT_CSV: return parse_csv(p, line, len, key, b, why);
    case GN_FORMAT_DIR: return parse_dir(p, line, len, key, b, why);
    default: WHY("unknown format"); return GN_EINTERNAL;
    }
}

const gn_data_spec *gn__parser_spec(const gn_parser *p) { return &p->spec; }

void gn__parser_set_idf(gn_parser *p, gn_idf *t) {
    gn_idf *old = p->idf;
    p->idf = gn__idf_ref(t);
    p->topts.idf = t ? t->w : NULL;
    gn__idf_unref(old);
}

gn_idf *gn__parser_idf(const gn_parser *p) { return p->idf; }

void gn__parser_set_text_counts(gn_parser *p, int on) { p->topts.counts = on; }

void gn__parser_record_text_spans(gn_parser *p, int on) { p->text.record_spans = on; }

const size_t *gn__parser_text_spans(const gn_parser *p, size_t *n) {
    *n = p->text.nspans / 2;
    return p->text.spans;
}

void gn__parser_clear_text_spans(gn_parser *p) { p->text.nspans = 0; }

int gn__parser_has_cross(const gn_parser *p) { return p->cross != NULL; }

void gn__parser_set_cross_inline(gn_parser *p, int on) { p->cross_inline = on; }

void gn__parser_set_labels(gn_parser *p, gn_labels *labels) {
    gn__labels_free(p->labels);
    p->labels = labels;
    p->label_mode = LABELS_NUMERIC;
    if (!labels) return;
    if (p->spec.label_kind == GN_LABEL_BINARY && !gn__labels_is_standard(labels)) p->label_mode = LABELS_DICT;
    else if (p->spec.label_kind == GN_LABEL_NONE && gn__labels_has_strings(labels)) p->label_mode = LABELS_ANY;
    else if (p->spec.label_kind == GN_LABEL_CLASS) {
        p->label_mode = LABELS_CLASS;
        p->spec.nclasses = (uint32_t)gn__labels_count(labels);
    }
}

const gn_labels *gn__parser_labels(const gn_parser *p) { return p->labels; }

int gn__parser_label_token(gn_parser *p, const char *line, size_t len, const char **tok, size_t *tok_len,
                           char *why) {
    const char *end = line + len, *s, *t;
    switch (p->spec.format) {
    case GN_FORMAT_LIBSVM:
    case GN_FORMAT_LIBFM:
    case GN_FORMAT_LIBFFM:
        s = skip_space(line, end);
        if (s == end || *s == '#') return 0;
        t = s;
        while (t < end && !is_space(*t) && *t != '#') t++;
        if (memchr(s, ':', (size_t)(t - s))) return 0; /* a feature: no label */
        *tok = s;
        *tok_len = (size_t)(t - s);
        return 1;
    case GN_FORMAT_VW: {
        const char *bar = memchr(line, '|', len);
        if (!bar) return skip_space(line, end) == end ? 0 : -1;
        for (s = skip_space(line, bar); s < bar; s = skip_space(t, bar)) {
            t = s;
            while (t < bar && !is_space(*t)) t++;
            if (*s == '\'') continue; /* a tag */
            *tok = s;
            *tok_len = (size_t)(t - s);
            return 1;
        }
        return 0;
    }
    case GN_FORMAT_DIR: {
        const char *tab = memchr(line, '\t', len);
        if (!tab || tab == line) return 0;
        *tok = line;
        *tok_len = (size_t)(tab - line);
        return 1;
    }
    case GN_FORMAT_CSV: {
        if (len == 0 || !p->csv_ready || p->label_col == (size_t)-1) return 0;
        long n = split_fields(p, line, len, why);
        if (n == -2) {
            WHY("out of memory");
            return -2;
        }
        if (n < 0 || (size_t)n != p->ncols) return n == 1 && p->flen[0] == 0 ? 0 : -1;
        size_t vl;
        const char *v = field_value(p, p->fstart[p->label_col], p->flen[p->label_col], &vl);
        if (!v) {
            WHY("out of memory");
            return -2;
        }
        if (is_missing(p, v, vl)) return 0; /* the parse reports a missing label */
        *tok = v;
        *tok_len = vl;
        return 1;
    }
    default:
        return 0;
    }
}

size_t gn__parser_columns(const gn_parser *p) { return p->ncols; }

static int cmp_col_by_name(const void *a, const void *b) {
    return strcmp(((const col_by_name *)a)->name, ((const col_by_name *)b)->name);
}

/* Builds the name index of the CSV columns for named inputs, once. */
static int named_setup(gn_parser *p) {
    if (p->named_index) return GN_OK;
    size_t n = p->ncols ? p->ncols : 1;
    p->named_index = malloc(n * sizeof *p->named_index);
    p->named_seen = calloc(n, sizeof *p->named_seen);
    if (!p->named_index || !p->named_seen) {
        free(p->named_index);
        free(p->named_seen);
        p->named_index = NULL;
        p->named_seen = NULL;
        return GN_ENOMEM;
    }
    for (size_t i = 0; i < p->ncols; i++) p->named_index[i] = (col_by_name){p->cols[i].name, i};
    qsort(p->named_index, p->ncols, sizeof *p->named_index, cmp_col_by_name);
    p->named_gen = 0;
    return GN_OK;
}

/* The CSV column a named input means: the column of that header name, else the column of that
 * 1-based number (as --label, --categorical... take them). 0 when there is none. */
static int named_column(const gn_parser *p, const char *name, size_t nl, size_t *col) {
    const col_by_name key = {name, 0};
    const col_by_name *hit = p->ncols ? bsearch(&key, p->named_index, p->ncols, sizeof key, cmp_col_by_name) : NULL;
    if (hit) {
        *col = hit->col;
        return 1;
    }
    uint64_t c;
    if (nl && (unsigned char)(name[0] - '0') < 10 && gn__parse_u64(name, name + nl, &c) == name + nl && c >= 1 &&
        c <= p->ncols) {
        *col = (size_t)(c - 1);
        return 1;
    }
    return 0;
}

/* Why a name is no column: a close name when one differs only in case, else the columns. */
static void unknown_column(const gn_parser *p, const char *name, size_t nl, char *why) {
    char nb[64], list[112];
    gn__utf8_shown(name, nl, nb, sizeof nb);
    for (size_t i = 0; i < p->ncols; i++) {
        if (strcasecmp(p->cols[i].name, name) == 0) {
            char cb[64];
            WHY("feature '%s': no such column (did you mean '%s'?)", nb,
                gn__utf8_shown(p->cols[i].name, strlen(p->cols[i].name), cb, sizeof cb));
            return;
        }
    }
    size_t o = 0;
    list[0] = '\0';
    for (size_t i = 0; i < p->ncols; i++) {
        char cb[64];
        gn__utf8_shown(p->cols[i].name, strlen(p->cols[i].name), cb, sizeof cb);
        if (o + strlen(cb) + 8 >= sizeof list) { /* room for ", ..." */
            snprintf(list + o, sizeof list - o, ", ...");
            break;
        }
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", cb);
    }
    WHY("feature '%s': no such column; the model's columns are %s (or their numbers, from 1)", nb, list);
}

/* One named input of a CSV model: exactly what the column's field would add in a file. */
static int named_csv_feature(gn_parser *p, const char *name, size_t nl, double v, const char *str, gn_batch *b,
                             char *why, size_t *col);

/* One named input of a CSV model, and its interaction groups. */
static int named_csv(gn_parser *p, const char *name, size_t nl, double v, const char *str, gn_batch *b, char *why) {
    const size_t k0 = b->nnz;
    size_t c = (size_t)-1;
    int st = named_csv_feature(p, name, nl, v, str, b, why, &c);
    if (st == GN_OK && c != (size_t)-1 && p->field_span) field_remap(p, b, k0, p->cols[c].field);
    if (st == GN_OK && c != (size_t)-1 && p->cols[c].xmask) st = note_groups(b, k0, p->cols[c].xmask);
    return st;
}

static int named_csv_feature(gn_parser *p, const char *name, size_t nl, double v, const char *str, gn_batch *b,
                             char *why, size_t *col) {
    size_t c;
    char ref[96];
    if (!named_column(p, name, nl, &c)) {
        unknown_column(p, name, nl, why);
        return GN_EPARSE;
    }
    if (p->named_seen[c] == p->named_gen) {
        WHY("%s given twice", col_ref(p, c, ref, sizeof ref));
        return GN_EPARSE;
    }
    p->named_seen[c] = p->named_gen;
    *col = c;
    const csv_column *cc = &p->cols[c];
    if (cc->role == ROLE_LABEL || cc->role == ROLE_IGNORE) return GN_OK; /* as in a file: adds nothing */
    if (str) {
        size_t vl = strlen(str);
        return csv_feature(p, cc, str, vl, vl <= p->na_maxlen ? (p->na_numeric ? 2 : 1) : 0, b, why);
    }
    if (cc->role == ROLE_CATEGORICAL) {
        /* a categorical column given as a JSON number: use its integer text */
        char txt[40];
        int tl = (v == floor(v) && fabs(v) < 1e15) ? snprintf(txt, sizeof txt, "%.0f", v)
                                                    : snprintf(txt, sizeof txt, "%.17g", v);
        gn__batch_push(b, gn__hash_category(cc->seed, txt, (size_t)tl, p->mask), 1.0f);
        return GN_OK;
    }
    if (p->spec.log_numeric) v = v < 0 ? -log1p(-v) : log1p(v);
    if (!(fabs(v) <= FLT_MAX)) {
        WHY("%s: value %g is out of range (32-bit float)", col_ref(p, c, ref, sizeof ref), v);
        return GN_EPARSE;
    }
    if (v != 0.0) gn__batch_push(b, cc->num_slot, (float)v);
    return GN_OK;
}

int gn__parser_named(gn_parser *p, size_t n, const char *const *names, const double *values,
                     const char *const *strs, gn_batch *b, char *why) {
    const int csv = p->spec.format == GN_FORMAT_CSV;
    if (!csv && (p->field_span || p->spec.format == GN_FORMAT_LIBFFM)) {
        WHY("named inputs are for CSV, LIBSVM, libFM and VW models; send this %s model data lines",
            gn_format_name(p->spec.format));
        return GN_EPARSE;
    }
    if (csv) {
        if (!p->csv_ready || p->ncols == 0) {
            WHY("this CSV model has no stored columns");
            return GN_EPARSE;
        }
        if (named_setup(p) != GN_OK) return GN_ENOMEM;
        if (++p->named_gen == 0) { /* wrapped: forget every stamp */
            memset(p->named_seen, 0, p->ncols * sizeof *p->named_seen);
            p->named_gen = 1;
        }
    }
    int st = gn__parser_begin(p, b, 0.0f, 1.0f, 0, n);
    if (st != GN_OK) return st;
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        size_t nl = strlen(name);
        const char *str = strs ? strs[i] : NULL;
        double v = values[i];
        if (!str && !isfinite(v)) {
            WHY("feature '%s': value is not a finite number", name);
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        if (csv) {
            if ((st = named_csv(p, name, nl, v, str, b, why)) != GN_OK) {
                gn__batch_abort_example(b);
                return st;
            }
            continue;
        }
        if (str && p->spec.format == GN_FORMAT_DIR) {
            if (strcmp(name, "text") != 0) {
                WHY("feature '%s': a --format dir model takes one input, \"text\" (the document)", name);
                gn__batch_abort_example(b);
                return GN_EPARSE;
            }
            if ((st = gn__text_features(&p->text, &p->topts, p->dir_seed, str, strlen(str), b)) != GN_OK) {
                gn__batch_abort_example(b);
                return st;
            }
            continue;
        }
        if (str) {
            if (p->spec.format == GN_FORMAT_VW && p->vw_ntext && vw_is_text(p, name, nl)) { /* a text namespace */
                if ((st = gn__text_features(&p->text, &p->topts, gn__hash_namespace(name, nl), str, strlen(str), b)) !=
                    GN_OK) {
                    gn__batch_abort_example(b);
                    return st;
                }
                continue;
            }
            if (p->spec.format == GN_FORMAT_VW) {
                /* "ns^feature" with a string value is the feature "feature=value"? VW has no string
                 * values: treat the string as the feature name inside namespace `name`. */
                gn__batch_push(b, gn__hash_feature(gn__hash_namespace(name, nl), str, strlen(str), p->mask), 1.0f);
                continue;
            }
            WHY("feature '%s': LIBSVM models take numeric values only", name);
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        if (!(fabs(v) <= FLT_MAX)) { /* (float)v would be infinite (undefined behaviour) */
            WHY("feature '%s': value %g is out of range (32-bit float)", name, v);
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        if (v == 0.0) continue;
        uint32_t slot;
        if (p->spec.format == GN_FORMAT_LIBSVM || p->spec.format == GN_FORMAT_LIBFM) {
            const int zero_based = p->spec.format == GN_FORMAT_LIBFM;
            uint64_t idx;
            const char *e = gn__parse_u64(name, name + nl, &idx);
            if (e != name + nl || (idx == 0 && !zero_based)) {
                WHY("feature '%s': %s models take feature names that are indices >= %d", name,
                    zero_based ? "libFM" : "LIBSVM", zero_based ? 0 : 1);
                gn__batch_abort_example(b);
                return GN_EPARSE;
            }
            if (zero_based) {
                slot = gn__libsvm_slot(idx + 1, p->mask);
            } else if (p->spec.libsvm_hash) {
                slot = gn__hash_feature(0, name, nl, p->mask); /* never 0, the bias's slot */
            } else {
                slot = gn__libsvm_slot(idx, p->mask);
            }
        } else {
            const char *caret = strchr(name, '^');
            if (caret) slot = gn__hash_feature(gn__hash_namespace(name, (size_t)(caret - name)), caret + 1,
                                               strlen(caret + 1), p->mask);
            else slot = gn__hash_feature(gn__hash_namespace("", 0), name, nl, p->mask);
        }
        gn__batch_push(b, slot, (float)v);
        if (p->cross && p->spec.format == GN_FORMAT_VW) { /* "ns^feature": the namespace's groups */
            const char *caret = strchr(name, '^');
            uint64_t m = ns_groups(p, caret ? name : "", caret ? (size_t)(caret - name) : 0);
            if (m && (st = note_groups(b, b->nnz - 1, m)) != GN_OK) {
                gn__batch_abort_example(b);
                return st;
            }
        }
    }
    if (p->cross && (st = cross_finish(p, b)) != GN_OK) {
        gn__batch_abort_example(b);
        return st;
    }
    gn__batch_end_example(b);
    return GN_OK;
}

static const char *const role_names[] = {"auto", "label", "numeric", "categorical", "ignore", "text"};

json_t *gn__parser_columns_json(const gn_parser *p) {
    if (!p->ncols) return NULL;
    json_t *arr = json_array();
    if (!arr) return NULL;
    for (size_t i = 0; i < p->ncols; i++) {
        json_t *c = json_pack("{s:s, s:s}", "name", p->cols[i].name, "role", role_names[p->cols[i].role]);
        if (!c || json_array_append_new(arr, c) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

int gn__parser_load_columns(gn_parser *p, const json_t *cols) {
    if (!json_is_array(cols)) return gn__fail(GN_EFORMAT, "columns: not an array");
    size_t n = json_array_size(cols);
    free_columns(p);
    p->cols = calloc(n ? n : 1, sizeof *p->cols);
    if (!p->cols) return gn__fail(GN_ENOMEM, "out of memory");
    p->ncols = n;
    p->label_col = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(cols, i);
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *role = json_string_value(json_object_get(c, "role"));
        if (!name || !role) return gn__fail(GN_EFORMAT, "columns[%zu]: needs string name and role", i);
        p->cols[i].name = strdup(name);
        if (!p->cols[i].name) return gn__fail(GN_ENOMEM, "out of memory");
        p->cols[i].seed = gn__hash_namespace(name, strlen(name));
        p->cols[i].num_slot = gn__hash_feature(p->cols[i].seed, "", 0, p->mask);
        unsigned r;
        for (r = 0; r < sizeof role_names / sizeof *role_names; r++)
            if (strcmp(role_names[r], role) == 0) break;
        if (r == sizeof role_names / sizeof *role_names) return gn__fail(GN_EFORMAT, "columns[%zu]: unknown role '%s'", i, role);
        p->cols[i].role = (unsigned char)r;
        if (r == ROLE_LABEL) p->label_col = i;
    }
    char why[GN_WHY_MAX];
    if (cross_columns(p, why) != GN_OK) return gn__fail(GN_EFORMAT, "%s", why);
    if (csv_fields(p, why) != GN_OK) return gn__fail(GN_EFORMAT, "%s", why);
    p->csv_ready = 1;
    return GN_OK;
}

/* ---------------------------------------------------------------- raw CSV fields (describe) */

_Static_assert((int)ROLE_AUTO == (int)GN_CSV_ROLE_AUTO && (int)ROLE_LABEL == (int)GN_CSV_ROLE_LABEL &&
                   (int)ROLE_NUMERIC == (int)GN_CSV_ROLE_NUMERIC && (int)ROLE_CATEGORICAL == (int)GN_CSV_ROLE_CATEGORICAL &&
                   (int)ROLE_IGNORE == (int)GN_CSV_ROLE_IGNORE && (int)ROLE_TEXT == (int)GN_CSV_ROLE_TEXT,
               "parser.h's column roles are the parser's own");

int gn__parser_csv_split(gn_parser *p, const char *line, size_t len, char *why) {
    if (p->spec.format != GN_FORMAT_CSV) {
        WHY("internal: not a CSV parser");
        return GN_EINTERNAL;
    }
    return csv_split_record(p, line, len, why);
}

const char *gn__parser_csv_field(gn_parser *p, size_t col, size_t *len) {
    return field_value(p, p->fstart[col], p->flen[col], len);
}

int gn__parser_csv_missing(const gn_parser *p, const char *v, size_t vl) { return is_missing(p, v, vl); }

/* As csv_feature reads a value, without adding the feature. */
int gn__parser_csv_value(const gn_parser *p, size_t col, const char *v, size_t vl, double *num, char *why) {
    char buf[64], ref[96];
    const csv_column *c = &p->cols[col];
    if (vl == 0) return GN_CSV_MISSING;
    const int maybe_na = vl <= p->na_maxlen;
    if (c->role == ROLE_CATEGORICAL || c->role == ROLE_TEXT) return maybe_na && is_na_token(p, v, vl) ? GN_CSV_MISSING : GN_CSV_TEXT;
    if (maybe_na && p->na_numeric && is_na_token(p, v, vl)) return GN_CSV_MISSING;
    double d;
    const char *e = gn__parse_double(v, v + vl, &d);
    if (e == v + vl) {
        double t = d;
        if (p->spec.log_numeric) t = t < 0 ? -log1p(-t) : log1p(t);
        if (!(fabs(t) <= FLT_MAX)) {
            WHY("%s: value %g is out of range (32-bit float)", col_ref(p, col, ref, sizeof ref), t);
            return -1;
        }
        *num = d;
        return GN_CSV_NUMBER;
    }
    if (maybe_na && is_na_token(p, v, vl)) return GN_CSV_MISSING;
    if (c->role == ROLE_NUMERIC) {
        WHY("%s: value '%s' is not a number", col_ref(p, col, ref, sizeof ref), gn__utf8_shown(v, vl, buf, sizeof buf));
        return -1;
    }
    return GN_CSV_TEXT;
}

int gn__parser_csv_role(const gn_parser *p, size_t col) { return p->cols[col].role; }

const char *gn__parser_csv_name(const gn_parser *p, size_t col) { return p->cols[col].name; }

size_t gn__parser_csv_label(const gn_parser *p) { return p->label_col; }

const char *gn__parser_csv_column_ref(const gn_parser *p, size_t col, char *buf, size_t size) {
    return col_ref(p, col, buf, size);
}
