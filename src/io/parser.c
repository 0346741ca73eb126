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

#include "hash/hash.h"
#include "io/labels.h"
#include "io/numparse.h"
#include "util/error.h"

enum col_role { ROLE_AUTO = 0, ROLE_LABEL, ROLE_NUMERIC, ROLE_CATEGORICAL, ROLE_IGNORE };

typedef struct csv_column {
    char *name;
    uint64_t seed;      /* namespace seed of the column name */
    uint32_t num_slot;  /* slot of the numeric feature "name" */
    unsigned char role;
} csv_column;

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
    /* label dictionary (owned; NULL: the numeric rule, +1/-1 or 1/0) and how parse_label uses it */
    gn_labels *labels;
    int label_mode;
};

enum { LABELS_NUMERIC = 0, /* no dictionary, or the standard classes: the numeric fast path */
       LABELS_DICT,        /* binary classes by name */
       LABELS_ANY };       /* prediction input of a model with named classes: any label text */

#define WHY(...) snprintf(why, GN_WHY_MAX, __VA_ARGS__)

/* Shows a token in an error message, shortened and with non-printable bytes escaped. */
static const char *show(const char *s, size_t len, char *buf, size_t size) {
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < size; i++) { /* room for "\\xHH", "..." and NUL */
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) buf[o++] = (char)c;
        else o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        if (i == 40 && len > 48) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
    }
    buf[o] = '\0';
    return buf;
}

static inline int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static const char *skip_space(const char *p, const char *end) {
    while (p < end && is_space(*p)) p++;
    return p;
}

/* Validates UTF-8 (only called on lines that have bytes >= 0x80). Returns the offset of the first
 * bad byte or (size_t)-1 if valid. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t n;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
        else return i;
        if (i + n >= len) return i;
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return (size_t)-1;
}

/* Common checks for text formats with names: no NUL bytes, valid UTF-8. */
static int check_text(const char *line, size_t len, char *why) {
    if (memchr(line, '\0', len)) {
        WHY("line contains a NUL byte (binary data?)");
        return GN_EPARSE;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)line[i] >= 0x80) {
            size_t at = utf8_invalid_at((const unsigned char *)line, len);
            if (at != (size_t)-1) {
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
        WHY("label '%s' is not a number", show(s, len, buf, sizeof buf));
        return GN_EPARSE;
    }
    if (p->spec.label_kind == GN_LABEL_BINARY) {
        if (v == 1.0) *out = 1.0f;
        else if (v == -1.0 || v == 0.0) *out = -1.0f;
        else if (p->labels) {
            return gn__labels_binary_value(p->labels, s, len, out, why); /* names the classes */
        } else {
            WHY("label '%s' is not a binary label (+1/-1 or 1/0); use --loss squared for regression",
                show(s, len, buf, sizeof buf));
            return GN_EPARSE;
        }
        return GN_OK;
    }
    if (!isfinite(v) || fabs(v) > 3.4e38) {
        WHY("label '%s' is out of range", show(s, len, buf, sizeof buf));
        return GN_EPARSE;
    }
    *out = (float)v;
    return GN_OK;
}

int gn__parser_begin(const gn_parser *p, gn_batch *b, float label, float weight, uint64_t key, size_t room) {
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
        WHY("missing label: the line starts with feature '%s'", show(s, (size_t)(t - s), buf, sizeof buf));
        return GN_EPARSE;
    }
    /* a LIBSVM row has at most one feature per 2 bytes */
    int st = gn__parser_begin(p, b, label, 1.0f, key, (size_t)(end - s) / 2 + 1);
    if (st != GN_OK) return st;
    const uint32_t mask = p->mask;
    const int hashed = p->spec.libsvm_hash;
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
                WHY("feature index '%s' is not a non-negative integer", show(tok, (size_t)(te - tok), buf, sizeof buf));
            } else if (colon && (colon >= end || is_space(*colon))) {
                WHY("feature '%s' has no ':value'", show(tok, (size_t)(te - tok), buf, sizeof buf));
            } else {
                WHY("expected index:value, got '%s'", show(tok, (size_t)(te - tok), buf, sizeof buf));
            }
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        if (idx == 0) {
            WHY("feature index 0 (LIBSVM indices start at 1)");
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
                show(vs, (size_t)(te - vs), buf, sizeof buf));
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
            slot = gn__libsvm_slot(idx, mask);
        }
        gn__batch_push(b, slot, (float)v);
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
                WHY("importance weight '%s' is not a number", show(q, (size_t)(te - q), buf, sizeof buf));
                return GN_EPARSE;
            }
            if (!(w >= 0) || !(w <= FLT_MAX)) { /* also keeps (float)w finite */
                WHY("importance weight '%s' must be a non-negative number up to 3.4e38", show(q, (size_t)(te - q), buf, sizeof buf));
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
    s = bar;
    while (s < end) {
        if (*s == '|') {
            /* namespace: |name[:scale] directly after the bar, or none */
            s++;
            const char *ns = s;
            while (s < end && !is_space(*s) && *s != ':' && *s != '|') s++;
            seed = gn__hash_namespace(ns, (size_t)(s - ns));
            ns_scale = 1.0f;
            if (s < end && *s == ':') {
                double v;
                const char *ve = gn__parse_double(s + 1, end, &v);
                if (!ve || (ve < end && !is_space(*ve))) {
                    WHY("namespace scale after '|%s' is not a number", show(ns, (size_t)(s - ns), buf, sizeof buf));
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
                WHY("feature '%s': value '%s' is not a number", show(f, (size_t)(fe - f), buf, 32),
                    show(s + 1, (size_t)(te - s - 1), buf + 32, 32));
                gn__batch_abort_example(b);
                return GN_EPARSE;
            }
            s = ve;
        }
        if (fe == f || v == 0.0) continue;
        if (!(fabs(v * ns_scale) <= FLT_MAX)) {
            WHY("feature '%s': value %g is out of range (32-bit float)", show(f, (size_t)(fe - f), buf, 32), v * ns_scale);
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        gn__batch_push(b, gn__hash_feature(seed, f, (size_t)(fe - f), mask), (float)(v * ns_scale));
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
}

/* Sets up the CSV columns from the first line (names from the header, or 1-based numbers). */
static int csv_setup(gn_parser *p, const char *line, size_t len, char *why) {
    long n = split_fields(p, line, len, why);
    if (n == -2) return GN_ENOMEM;
    if (n < 0) return GN_EPARSE;
    p->ncols = (size_t)n;
    p->cols = calloc(p->ncols, sizeof *p->cols);
    if (!p->cols) return GN_ENOMEM;
    /* header detection: a header's label field is not a number */
    size_t label_idx = 0;
    {
        uint64_t c;
        size_t l = strlen(p->spec.label_col);
        const char *e = gn__parse_u64(p->spec.label_col, p->spec.label_col + l, &c);
        int label_by_name = (e != p->spec.label_col + l);
        if (!label_by_name && c >= 1 && c <= p->ncols) label_idx = (size_t)(c - 1);
        if (p->spec.header < 0) {
            if (label_by_name) {
                p->spec.header = 1;
            } else {
                size_t vl;
                const char *v = field_value(p, p->fstart[label_idx], p->flen[label_idx], &vl);
                double d;
                p->spec.header = !(v && vl && gn__parse_double(v, v + vl, &d) == v + vl);
            }
        }
    }
    for (size_t i = 0; i < p->ncols; i++) {
        char num[24];
        const char *name;
        size_t nl;
        if (p->spec.header) {
            name = field_value(p, p->fstart[i], p->flen[i], &nl);
            if (!name) return GN_ENOMEM;
        } else {
            nl = (size_t)snprintf(num, sizeof num, "%zu", i + 1);
            name = num;
        }
        p->cols[i].name = malloc(nl + 1);
        if (!p->cols[i].name) return GN_ENOMEM;
        memcpy(p->cols[i].name, name, nl);
        p->cols[i].name[nl] = '\0';
        p->cols[i].seed = gn__hash_namespace(name, nl);
        p->cols[i].num_slot = gn__hash_feature(p->cols[i].seed, "", 0, p->mask);
    }
    if (find_column(p, p->spec.label_col, &p->label_col) != 0) {
        if (p->spec.label_kind == GN_LABEL_NONE) {
            p->label_col = (size_t)-1;
        } else {
            WHY("--label: no column '%s' among the %zu columns", p->spec.label_col, p->ncols);
            return GN_EINVAL;
        }
    } else {
        p->cols[p->label_col].role = ROLE_LABEL;
    }
    int st;
    if ((st = apply_colspec(p, p->spec.ignore, ROLE_IGNORE, "ignore", why)) != GN_OK) return st;
    if ((st = apply_colspec(p, p->spec.numeric, ROLE_NUMERIC, "numeric", why)) != GN_OK) return st;
    if ((st = apply_colspec(p, p->spec.categorical, ROLE_CATEGORICAL, "categorical", why)) != GN_OK) return st;
    p->csv_ready = 1;
    return GN_OK;
}

static int csv_feature(gn_parser *p, const csv_column *c, const char *v, size_t vl, gn_batch *b, char *why) {
    char buf[64];
    if (vl == 0) return GN_OK; /* missing */
    if (c->role == ROLE_CATEGORICAL) {
        gn__batch_push(b, gn__hash_category(c->seed, v, vl, p->mask), 1.0f);
        return GN_OK;
    }
    double d;
    const char *e = gn__parse_double(v, v + vl, &d);
    if (e == v + vl) {
        if (p->spec.log_numeric) d = d < 0 ? -log1p(-d) : log1p(d);
        if (!(fabs(d) <= FLT_MAX)) {
            WHY("column '%s': value %g is out of range (32-bit float)", c->name, d);
            return GN_EPARSE;
        }
        if (d != 0.0) gn__batch_push(b, c->num_slot, (float)d);
        return GN_OK;
    }
    if (c->role == ROLE_NUMERIC) {
        WHY("column '%s': value '%s' is not a number", c->name, show(v, vl, buf, sizeof buf));
        return GN_EPARSE;
    }
    gn__batch_push(b, gn__hash_category(c->seed, v, vl, p->mask), 1.0f);
    return GN_OK;
}

static int parse_csv(gn_parser *p, const char *line, size_t len, uint64_t key, gn_batch *b, char *why) {
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
    float label = 0.0f;
    if (p->label_col != (size_t)-1) {
        size_t vl;
        const char *v = field_value(p, p->fstart[p->label_col], p->flen[p->label_col], &vl);
        if (!v) return GN_ENOMEM;
        if (vl == 0) {
            if (p->spec.label_kind != GN_LABEL_NONE) {
                WHY("missing label in column '%s'", p->cols[p->label_col].name);
                return GN_EPARSE;
            }
        } else {
            st = parse_label(p, v, vl, &label, why);
            if (st != GN_OK && p->spec.label_kind != GN_LABEL_NONE) return st;
        }
    }
    st = gn__parser_begin(p, b, label, 1.0f, key, p->ncols);
    if (st != GN_OK) return st;
    for (size_t i = 0; i < p->ncols; i++) {
        const csv_column *c = &p->cols[i];
        if (c->role == ROLE_LABEL || c->role == ROLE_IGNORE) continue;
        size_t vl;
        const char *v = field_value(p, p->fstart[i], p->flen[i], &vl);
        if (!v) {
            gn__batch_abort_example(b);
            return GN_ENOMEM;
        }
        st = csv_feature(p, c, v, vl, b, why);
        if (st != GN_OK) {
            gn__batch_abort_example(b);
            return st;
        }
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
    if (c && c < end && *c == ':' && !memchr(line, ',', len)) return GN_FORMAT_LIBSVM;
    if (sep) *sep = memchr(line, '\t', len) ? '\t' : ',';
    return GN_FORMAT_CSV;
}

int gn__parser_new(const gn_data_spec *spec, gn_parser **out) {
    if (spec->format == GN_FORMAT_AUTO) return gn__fail(GN_EINTERNAL, "parser needs a resolved format");
    gn_parser *p = calloc(1, sizeof *p);
    if (!p) return gn__fail(GN_ENOMEM, "out of memory");
    p->spec = *spec;
    p->mask = gn__slot_mask(spec->bits);
    p->label_col = (size_t)-1;
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

int gn__parser_first_line(gn_parser *p, const char *line, size_t len, char *why) {
    if (p->spec.format != GN_FORMAT_CSV) return 0;
    if (!p->csv_ready) {
        if (p->spec.sep == 0) p->spec.sep = memchr(line, '\t', len) ? '\t' : ',';
        int st = check_text(line, len, why);
        if (st != GN_OK) return -1;
        st = csv_setup(p, line, len, why);
        if (st == GN_ENOMEM) { WHY("out of memory"); return -1; }
        if (st != GN_OK) return -1;
        return p->spec.header ? 1 : 0;
    }
    if (!p->spec.header) return 0;
    /* later files: their header must name the same columns */
    long n = split_fields(p, line, len, why);
    if (n < 0) return -1;
    if ((size_t)n != p->ncols) {
        WHY("header has %ld columns, the first file's has %zu", n, p->ncols);
        return -1;
    }
    for (size_t i = 0; i < p->ncols; i++) {
        size_t vl;
        const char *v = field_value(p, p->fstart[i], p->flen[i], &vl);
        if (!v || strlen(p->cols[i].name) != vl || memcmp(v, p->cols[i].name, vl) != 0) {
            WHY("header column %zu differs from the first file's ('%s')", i + 1, p->cols[i].name);
            return -1;
        }
    }
    return 1;
}

int gn__parser_line(gn_parser *p, const char *line, size_t len, uint64_t key, gn_batch *b, char *why) {
    switch (p->spec.format) {
    case GN_FORMAT_LIBSVM: return parse_libsvm(p, line, len, key, b, why);
    case GN_FORMAT_VW: return parse_vw(p, line, len, key, b, why);
    case GN_FORMAT_CSV: return parse_csv(p, line, len, key, b, why);
    default: WHY("unknown format"); return GN_EINTERNAL;
    }
}

const gn_data_spec *gn__parser_spec(const gn_parser *p) { return &p->spec; }

void gn__parser_set_labels(gn_parser *p, gn_labels *labels) {
    gn__labels_free(p->labels);
    p->labels = labels;
    p->label_mode = LABELS_NUMERIC;
    if (!labels) return;
    if (p->spec.label_kind == GN_LABEL_BINARY && !gn__labels_is_standard(labels)) p->label_mode = LABELS_DICT;
    else if (p->spec.label_kind == GN_LABEL_NONE && gn__labels_has_strings(labels)) p->label_mode = LABELS_ANY;
}

const gn_labels *gn__parser_labels(const gn_parser *p) { return p->labels; }

int gn__parser_label_token(gn_parser *p, const char *line, size_t len, const char **tok, size_t *tok_len,
                           char *why) {
    const char *end = line + len, *s, *t;
    switch (p->spec.format) {
    case GN_FORMAT_LIBSVM:
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
    case GN_FORMAT_CSV: {
        if (len == 0 || !p->csv_ready || p->label_col == (size_t)-1) return 0;
        long n = split_fields(p, line, len, why);
        if (n == -2) {
            WHY("out of memory");
            return -1;
        }
        if (n < 0 || (size_t)n != p->ncols) return n == 1 && p->flen[0] == 0 ? 0 : -1;
        size_t vl;
        const char *v = field_value(p, p->fstart[p->label_col], p->flen[p->label_col], &vl);
        if (!v) {
            WHY("out of memory");
            return -1;
        }
        if (vl == 0) return 0;
        *tok = v;
        *tok_len = vl;
        return 1;
    }
    default:
        return 0;
    }
}

size_t gn__parser_columns(const gn_parser *p) { return p->ncols; }

int gn__parser_named(gn_parser *p, size_t n, const char *const *names, const double *values,
                     const char *const *strs, gn_batch *b, char *why) {
    int st = gn__parser_begin(p, b, 0.0f, 1.0f, 0, n);
    if (st != GN_OK) return st;
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        size_t nl = strlen(name);
        if (strs && strs[i]) {
            const char *v = strs[i];
            size_t vl = strlen(v);
            if (p->spec.format == GN_FORMAT_CSV) {
                /* as in a CSV file: text that is a number is a number unless the column is
                 * categorical */
                double d;
                size_t c = 0;
                while (c < p->ncols && strcmp(p->cols[c].name, name) != 0) c++;
                int categorical = c < p->ncols && p->cols[c].role == ROLE_CATEGORICAL;
                if (!categorical && vl > 0 && gn__parse_double(v, v + vl, &d) == v + vl) {
                    if (p->spec.log_numeric) d = d < 0 ? -log1p(-d) : log1p(d);
                    if (d != 0.0)
                        gn__batch_push(b, gn__hash_feature(gn__hash_namespace(name, nl), "", 0, p->mask), (float)d);
                    continue;
                }
                if (vl == 0) continue; /* empty = missing, as in a file */
                gn__batch_push(b, gn__hash_category(gn__hash_namespace(name, nl), v, vl, p->mask), 1.0f);
            } else if (p->spec.format == GN_FORMAT_VW) {
                /* "ns^feature" with a string value is the feature "feature=value"? VW has no string
                 * values: treat the string as the feature name inside namespace `name`. */
                gn__batch_push(b, gn__hash_feature(gn__hash_namespace(name, nl), v, vl, p->mask), 1.0f);
            } else {
                WHY("feature '%s': LIBSVM models take numeric values only", name);
                gn__batch_abort_example(b);
                return GN_EPARSE;
            }
            continue;
        }
        double v = values[i];
        if (!isfinite(v)) {
            WHY("feature '%s': value is not a finite number", name);
            gn__batch_abort_example(b);
            return GN_EPARSE;
        }
        if (v == 0.0) continue;
        uint32_t slot;
        if (p->spec.format == GN_FORMAT_LIBSVM) {
            uint64_t idx;
            const char *e = gn__parse_u64(name, name + nl, &idx);
            if (e != name + nl || idx == 0) {
                WHY("feature '%s': LIBSVM models take feature names that are indices >= 1", name);
                gn__batch_abort_example(b);
                return GN_EPARSE;
            }
            if (p->spec.libsvm_hash) {
                slot = gn__hash_feature(0, name, nl, p->mask); /* never 0, the bias's slot */
            } else {
                slot = gn__libsvm_slot(idx, p->mask);
            }
        } else if (p->spec.format == GN_FORMAT_VW) {
            const char *caret = strchr(name, '^');
            if (caret) slot = gn__hash_feature(gn__hash_namespace(name, (size_t)(caret - name)), caret + 1,
                                               strlen(caret + 1), p->mask);
            else slot = gn__hash_feature(gn__hash_namespace("", 0), name, nl, p->mask);
        } else {
            size_t c;
            int found = 0;
            for (c = 0; c < p->ncols; c++)
                if (strcmp(p->cols[c].name, name) == 0) { found = 1; break; }
            if (found && p->cols[c].role == ROLE_CATEGORICAL) {
                /* a categorical column given as a JSON number: use its integer text */
                char txt[40];
                int tl = (v == floor(v) && fabs(v) < 1e15) ? snprintf(txt, sizeof txt, "%.0f", v)
                                                            : snprintf(txt, sizeof txt, "%.17g", v);
                gn__batch_push(b, gn__hash_category(p->cols[c].seed, txt, (size_t)tl, p->mask), 1.0f);
                continue;
            }
            slot = gn__hash_feature(gn__hash_namespace(name, nl), "", 0, p->mask);
            if (p->spec.log_numeric) v = v < 0 ? -log1p(-v) : log1p(v);
        }
        gn__batch_push(b, slot, (float)v);
    }
    gn__batch_end_example(b);
    return GN_OK;
}

static const char *const role_names[] = {"auto", "label", "numeric", "categorical", "ignore"};

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
    p->csv_ready = 1;
    return GN_OK;
}
