/* model/rank.c: ranking candidates that share a context with a feature model (fm, ffm, linear;
 * gannet/recommend.h). It owns the joined-row predictions (the kind's score_context, or rows
 * joined here for a kind without one) and the named-feature front end: the context parsed once
 * and each candidate alone, a hash collision between them or a model with interactions scored
 * through the merged instance instead, then the top k; and the text-line front end (libsvm,
 * libfm, libffm or vw lines, for models whose features only such lines express): a candidate is
 * the line `context candidate`, scored as the context's row once plus each candidate's row.
 * Reads a const model: thread-safe. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/recommend.h"
#include "io/batch.h"
#include "io/parser.h"
#include "model/kind.h"
#include "model/loss_table.h"
#include "model/model.h"
#include "util/error.h"

static int check_model(const gn_model *m) {
    if (!m) return gn__fail(GN_EINVAL, "rank: NULL model");
    if (m->kind == GN_KIND_MF)
        return gn__fail(GN_EINVAL, "rank: a model of kind mf ranks items by id (gn_model_recommend), not by features");
    const size_t outs = m->ops->outputs(m);
    if (outs != 1)
        return gn__fail(GN_EINVAL, "rank: a multiclass model (%zu outputs) has no single score to rank by", outs);
    return GN_OK;
}

/* Drops each candidate's bias from a batch of the context's row (row 0) then the candidates'
 * rows: slot 0, first in a row after the parser's sort; the context has it. */
static void drop_candidate_bias(gn_batch *b, int bias) {
    size_t w = b->start[1], from = b->start[1];
    for (size_t e = 1; e < b->n; e++) {
        const size_t to = b->start[e + 1];
        size_t s0 = from;
        if (bias && to > s0 && b->index[s0] == 0) s0++;
        b->start[e] = w;
        for (size_t i = s0; i < to; i++, w++) {
            b->index[w] = b->index[i];
            b->value[w] = b->value[i];
        }
        from = to;
    }
    b->start[b->n] = w;
}

static int cmp_u32(const void *a, const void *b) {
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The context's cn slots, sorted, into a new array *out (the caller frees it). */
static int sorted_slots(const uint32_t *idx, size_t cn, uint32_t **out) {
    uint32_t *sorted = malloc((cn + 1) * sizeof *sorted);
    if (!sorted) return gn__fail(GN_ENOMEM, "rank: out of memory");
    memcpy(sorted, idx, cn * sizeof *sorted);
    qsort(sorted, cn, sizeof *sorted, cmp_u32);
    *out = sorted;
    return GN_OK;
}

/* Whether candidate c's row (of cand) has a slot of the context's (sorted, cn slots). */
static int shares_slot(const uint32_t *sorted, size_t cn, const gn_rows *cand, size_t c) {
    for (size_t i = cand->start[c]; i < cand->start[c + 1]; i++)
        if (bsearch(&cand->index[i], sorted, cn, sizeof *sorted, cmp_u32)) return 1;
    return 0;
}

/* Raw scores of each candidate joined to the context (cn features). */
static int score_joined(const gn_model *m, const uint32_t *cidx, const float *cval, size_t cn, const gn_rows *cands,
                        double *out) {
    if (m->ops->score_context) {
        m->ops->score_context(m, cidx, cval, cn, cands, out);
        return GN_OK;
    }
    size_t longest = 0;
    for (size_t e = 0; e < cands->n; e++)
        if (cands->start[e + 1] - cands->start[e] > longest) longest = cands->start[e + 1] - cands->start[e];
    uint32_t *ji = malloc((cn + longest + 1) * sizeof *ji);
    float *jv = malloc((cn + longest + 1) * sizeof *jv);
    if (!ji || !jv) {
        free(ji);
        free(jv);
        return gn__fail(GN_ENOMEM, "rank: out of memory");
    }
    if (cn) {
        memcpy(ji, cidx, cn * sizeof *ji);
        memcpy(jv, cval, cn * sizeof *jv);
    }
    for (size_t e = 0; e < cands->n; e++) {
        const size_t s0 = cands->start[e], dn = cands->start[e + 1] - s0;
        if (dn) {
            memcpy(ji + cn, cands->index + s0, dn * sizeof *ji);
            memcpy(jv + cn, cands->value + s0, dn * sizeof *jv);
        }
        const size_t st[2] = {0, cn + dn};
        const gn_rows one = {1, st, ji, jv};
        m->ops->score_batch(m, &one, out + e);
    }
    free(ji);
    free(jv);
    return GN_OK;
}

static int check_rows(const gn_model *m, const gn_rows *rows, const char *what) {
    if (rows->n == 0) return GN_OK;
    if (!rows->start || rows->start[0] > rows->start[rows->n] ||
        (rows->start[rows->n] > rows->start[0] && (!rows->index || !rows->value)))
        return gn__fail(GN_EINVAL, "predict context: %s: bad row offsets", what);
    const uint64_t slots = (uint64_t)1 << m->spec.bits;
    for (size_t r = 0; r < rows->n; r++) {
        if (rows->start[r + 1] < rows->start[r])
            return gn__fail(GN_EINVAL, "predict context: %s row %zu: offsets decrease", what, r);
        for (size_t i = rows->start[r]; i < rows->start[r + 1]; i++)
            if (rows->index[i] >= slots)
                return gn__fail(GN_EINVAL, "predict context: %s row %zu: slot %u is outside the model's 2^%u slots",
                                what, r, (unsigned)rows->index[i], (unsigned)m->spec.bits);
    }
    return GN_OK;
}

gn_status gn_model_predict_context(const gn_model *m, const gn_rows *context, const gn_rows *candidates, double *out,
                                   size_t out_len) {
    if (!m || !context || !candidates || (candidates->n && !out))
        return gn__fail(GN_EINVAL, "predict context: NULL argument");
    GN_TRY(check_model(m));
    if (context->n != 1) return gn__fail(GN_EINVAL, "predict context: one context row expected, got %zu", context->n);
    if (candidates->n > out_len)
        return gn__fail(GN_EINVAL, "predict context: out has room for %zu numbers, %zu candidates need as many",
                        out_len, candidates->n);
    GN_TRY(check_rows(m, context, "context"));
    GN_TRY(check_rows(m, candidates, "candidate"));
    if (candidates->n == 0) return GN_OK;
    const size_t c0 = context->start[0], cn = context->start[1] - c0;
    GN_TRY(score_joined(m, context->index + c0, context->value + c0, cn, candidates, out));
    for (size_t e = 0; e < candidates->n; e++) out[e] = gn__link(m->loss, out[e]);
    return GN_OK;
}

/* ---- named features ---- */

/* The context's names, for refusing a candidate that names one of them again: open addressing
 * over FNV-1a hashes, a power of two at least twice the names. */
typedef struct name_set {
    const char *const *names;
    size_t *slot; /* index + 1; 0 empty */
    size_t mask;
} name_set;

static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int name_set_init(name_set *ns, const gn_named_features *f) {
    size_t cap = 16;
    while (cap < 2 * f->n) cap *= 2;
    ns->names = f->names;
    ns->mask = cap - 1;
    if (!(ns->slot = calloc(cap, sizeof *ns->slot))) return gn__fail(GN_ENOMEM, "rank: out of memory");
    for (size_t i = 0; i < f->n; i++) {
        size_t h = (size_t)fnv(f->names[i]) & ns->mask;
        while (ns->slot[h] && strcmp(ns->names[ns->slot[h] - 1], f->names[i])) h = (h + 1) & ns->mask;
        ns->slot[h] = i + 1; /* a repeat in the context itself is left to the parser to refuse */
    }
    return GN_OK;
}

static int name_set_has(const name_set *ns, const char *name) {
    for (size_t h = (size_t)fnv(name) & ns->mask; ns->slot[h]; h = (h + 1) & ns->mask)
        if (!strcmp(ns->names[ns->slot[h] - 1], name)) return 1;
    return 0;
}

/* Checks a named-feature list's pointers. */
static int check_named(const gn_named_features *f, const char *what, size_t i) {
    if (f->n && (!f->names || !f->values)) return gn__fail(GN_EINVAL, "rank: %s %zu: NULL names or values", what, i);
    for (size_t j = 0; j < f->n; j++)
        if (!f->names[j]) return gn__fail(GN_EINVAL, "rank: %s %zu: feature %zu has a NULL name", what, i, j);
    return GN_OK;
}

static int parse_named(gn_parser *p, const gn_named_features *f, gn_batch *b, const char *what, size_t i) {
    char why[GN_WHY_MAX];
    const int st = gn__parser_named(p, f->n, f->names, f->values, f->strs, b, why);
    if (st == GN_ENOMEM) return gn__fail(GN_ENOMEM, "rank: out of memory");
    if (st != GN_OK) {
        if (!strcmp(what, "context")) return gn__fail(GN_EPARSE, "context: %s", why);
        return gn__fail(GN_EPARSE, "%s %zu: %s", what, i, why);
    }
    return GN_OK;
}

/* Scores every candidate: the context parsed once and each candidate alone (bias dropped); a
 * candidate sharing a slot with the context (a hash collision) is rescored through the merged
 * row, as one instance holding both would be. */
static int score_apart(const gn_model *m, gn_parser *p, const gn_named_features *ctx, const gn_named_features *cands,
                       size_t ncand, double *score) {
    gn_batch b, one;
    uint32_t *sorted = NULL;
    int st = gn__batch_init(&b, ncand + 1, 16 * (ncand + 1));
    if (st != GN_OK) return gn__fail(GN_ENOMEM, "rank: out of memory");
    if ((st = gn__batch_init(&one, 1, 64)) != GN_OK) {
        gn__batch_free(&b);
        return gn__fail(GN_ENOMEM, "rank: out of memory");
    }
    if ((st = parse_named(p, ctx, &b, "context", 0)) != GN_OK) goto done;
    for (size_t c = 0; c < ncand && st == GN_OK; c++) st = parse_named(p, &cands[c], &b, "candidate", c);
    if (st != GN_OK) goto done;
    drop_candidate_bias(&b, gn__parser_spec(p)->bias);
    const size_t cn = b.start[1] - b.start[0];
    const gn_rows cand = {ncand, b.start + 1, b.index, b.value};
    if ((st = score_joined(m, b.index, b.value, cn, &cand, score)) != GN_OK) goto done;
    /* collisions: the context's slots sorted, each candidate's looked up */
    if ((st = sorted_slots(b.index, cn, &sorted)) != GN_OK) goto done;
    for (size_t c = 0; c < ncand; c++) {
        if (!shares_slot(sorted, cn, &cand, c)) continue;
        gn__batch_clear(&one);
        const size_t dn = cand.start[c + 1] - cand.start[c];
        if ((st = gn__batch_begin_example(&one, 0.0f, 1.0f, 0)) != GN_OK ||
            (st = gn__batch_reserve_features(&one, cn + dn)) != GN_OK) {
            st = gn__fail(GN_ENOMEM, "rank: out of memory");
            goto done;
        }
        for (size_t i = 0; i < cn; i++) gn__batch_push(&one, b.index[i], b.value[i]);
        for (size_t i = cand.start[c]; i < cand.start[c + 1]; i++) gn__batch_push(&one, b.index[i], b.value[i]);
        gn__batch_end_example(&one);
        const gn_rows r = gn__batch_rows(&one);
        m->ops->score_batch(m, &r, score + c);
    }
done:
    free(sorted);
    gn__batch_free(&one);
    gn__batch_free(&b);
    return st;
}

/* Scores every candidate as the whole merged instance (a model with interactions: the parser
 * crosses context features with candidate features). */
static int score_merged(const gn_model *m, gn_parser *p, const gn_named_features *ctx, const gn_named_features *cands,
                        size_t ncand, double *score) {
    gn_batch b;
    if (gn__batch_init(&b, ncand + 1, 16 * (ncand + 1)) != GN_OK) return gn__fail(GN_ENOMEM, "rank: out of memory");
    int st = parse_named(p, ctx, &b, "context", 0); /* a bad context is named as such */
    size_t longest = 0;
    for (size_t c = 0; c < ncand; c++)
        if (cands[c].n > longest) longest = cands[c].n;
    const size_t cap = ctx->n + longest + 1;
    const char **names = malloc(cap * sizeof *names), **strs = malloc(cap * sizeof *strs);
    double *values = malloc(cap * sizeof *values);
    if (st == GN_OK && (!names || !strs || !values)) st = gn__fail(GN_ENOMEM, "rank: out of memory");
    if (st == GN_OK) {
        gn__batch_clear(&b);
        for (size_t i = 0; i < ctx->n; i++) {
            names[i] = ctx->names[i];
            values[i] = ctx->values[i];
            strs[i] = ctx->strs ? ctx->strs[i] : NULL;
        }
    }
    for (size_t c = 0; c < ncand && st == GN_OK; c++) {
        const gn_named_features *d = &cands[c];
        for (size_t i = 0; i < d->n; i++) {
            names[ctx->n + i] = d->names[i];
            values[ctx->n + i] = d->values[i];
            strs[ctx->n + i] = d->strs ? d->strs[i] : NULL;
        }
        const gn_named_features merged = {ctx->n + d->n, names, values, strs};
        st = parse_named(p, &merged, &b, "candidate", c);
    }
    if (st == GN_OK) {
        const gn_rows r = gn__batch_rows(&b);
        m->ops->score_batch(m, &r, score);
    }
    free((void *)names);
    free((void *)strs);
    free(values);
    gn__batch_free(&b);
    return st;
}

/* Best first: the higher score, then the earlier candidate; NaN after every number. */
static int cmp_ranked(const void *a, const void *b) {
    const gn_ranked *x = a, *y = b;
    const int xn = isnan(x->score), yn = isnan(y->score);
    if (xn != yn) return xn - yn;
    if (!xn && x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The k best of ncand raw scores (k cut to ncand): each through the model's link, sorted as
 * cmp_ranked sorts (all: ncand entries of scratch), the head copied into out. */
static void take_top(const gn_model *m, const double *score, size_t ncand, gn_ranked *all, size_t k, gn_ranked *out,
                     size_t *n_out) {
    for (size_t c = 0; c < ncand; c++) {
        all[c].index = c;
        all[c].score = gn__link(m->loss, score[c]);
    }
    qsort(all, ncand, sizeof *all, cmp_ranked);
    if (k > ncand) k = ncand;
    memcpy(out, all, k * sizeof *out);
    *n_out = k;
}

gn_status gn_model_rank_named(const gn_model *m, const gn_named_features *context, const gn_named_features *candidates,
                              size_t ncand, size_t k, gn_ranked *out, size_t *n_out) {
    if (!context || (ncand && !candidates) || (k && !out) || !n_out) return gn__fail(GN_EINVAL, "rank: NULL argument");
    *n_out = 0;
    GN_TRY(check_model(m));
    GN_TRY(check_named(context, "context", 0));
    for (size_t c = 0; c < ncand; c++) GN_TRY(check_named(&candidates[c], "candidate", c));
    if (k == 0 || ncand == 0) return GN_OK;
    gn_parser *p;
    GN_TRY(gn__model_parser(m, GN_LABEL_NONE, &p));
    name_set ns = {0};
    double *score = NULL;
    gn_ranked *all = NULL;
    int st = GN_OK;
    if (m->spec.format == GN_FORMAT_CSV && gn__parser_columns(p) == 0) {
        st = gn__fail(GN_EUNSUPPORTED, "this CSV model has no stored columns");
        goto done;
    }
    if ((st = name_set_init(&ns, context)) != GN_OK) goto done;
    for (size_t c = 0; c < ncand; c++)
        for (size_t i = 0; i < candidates[c].n; i++)
            if (name_set_has(&ns, candidates[c].names[i])) {
                st = gn__fail(GN_EPARSE, "candidate %zu: feature '%.100s' is also in the context", c,
                              candidates[c].names[i]);
                goto done;
            }
    score = malloc(ncand * sizeof *score);
    all = malloc(ncand * sizeof *all);
    if (!score || !all) {
        st = gn__fail(GN_ENOMEM, "rank: out of memory");
        goto done;
    }
    st = gn__parser_has_cross(p) ? score_merged(m, p, context, candidates, ncand, score)
                                 : score_apart(m, p, context, candidates, ncand, score);
    if (st != GN_OK) goto done;
    take_top(m, score, ncand, all, k, out, n_out);
done:
    free(ns.slot);
    free(score);
    free(all);
    gn__parser_free(p);
    return st;
}

/* ---- text lines ---- */

static int parse_line_into(gn_parser *p, const char *line, size_t len, gn_batch *b, const char *what, size_t i);

/* A context or candidate line: no line break, no label (the joined line must read as features
 * only). A line whose label scan fails is parsed alone into scratch for the parser's reason. */
static int check_line(gn_parser *p, const char *line, const char *what, size_t i, gn_batch *scratch) {
    char where[48], why[GN_WHY_MAX] = "";
    if (!strcmp(what, "context")) snprintf(where, sizeof where, "context");
    else snprintf(where, sizeof where, "%s %zu", what, i);
    if (!line) return gn__fail(GN_EINVAL, "rank: %s: NULL line", where);
    const size_t len = strlen(line);
    if (memchr(line, '\n', len) || memchr(line, '\r', len))
        return gn__fail(GN_EPARSE, "%s: a line break inside the line (one line each)", where);
    const char *tok;
    size_t tl;
    const int has = gn__parser_label_token(p, line, len, &tok, &tl, why);
    if (has == -2) return gn__fail(GN_ENOMEM, "rank: out of memory");
    if (has == -1) {
        gn__batch_clear(scratch);
        const int st = parse_line_into(p, line, len, scratch, what, i);
        if (st != GN_OK) return st;
        return gn__fail(GN_EPARSE, "%s: %s", where, why[0] ? why : "not a line of the model's format");
    }
    if (has == 1)
        return gn__fail(GN_EPARSE, "%s: the line starts with a label or tag ('%.*s'): give the features only, as "
                        ":predict's lines without their label", where, (int)(tl < 64 ? tl : 64), tok);
    return GN_OK;
}

/* Parses one line into b as an example; empty (blank or comment) lines are an error. */
static int parse_line_into(gn_parser *p, const char *line, size_t len, gn_batch *b, const char *what, size_t i) {
    char why[GN_WHY_MAX];
    const size_t before = b->n;
    const int st = gn__parser_line(p, line, len, 0, b, why);
    if (st == GN_ENOMEM) return gn__fail(GN_ENOMEM, "rank: out of memory");
    if (st == GN_EOF || (st == GN_OK && b->n == before)) {
        if (!strcmp(what, "context")) return gn__fail(GN_EPARSE, "context: an empty line");
        return gn__fail(GN_EPARSE, "%s %zu: an empty line", what, i);
    }
    if (st != GN_OK) {
        if (!strcmp(what, "context")) return gn__fail(GN_EPARSE, "context: %s", why);
        return gn__fail(GN_EPARSE, "%s %zu: %s", what, i, why);
    }
    return GN_OK;
}

/* The line `context candidate` into b (buf: scratch, grown as needed). */
static int parse_joined(gn_parser *p, const char *ctx, size_t cl, const char *cand, char **buf, size_t *cap,
                        gn_batch *b, size_t i) {
    const size_t dl = strlen(cand), need = cl + dl + 2;
    if (need > *cap) {
        char *q = realloc(*buf, need);
        if (!q) return gn__fail(GN_ENOMEM, "rank: out of memory");
        *buf = q;
        *cap = need;
    }
    memcpy(*buf, ctx, cl);
    (*buf)[cl] = ' ';
    memcpy(*buf + cl + 1, cand, dl + 1);
    return parse_line_into(p, *buf, cl + 1 + dl, b, "candidate", i);
}

static int text_format(gn_format f) {
    return f == GN_FORMAT_LIBSVM || f == GN_FORMAT_LIBFM || f == GN_FORMAT_LIBFFM || f == GN_FORMAT_VW;
}

gn_status gn_model_rank_lines(const gn_model *m, const char *context, const char *const *candidates, size_t ncand,
                              size_t k, gn_ranked *out, size_t *n_out) {
    if (!context || (ncand && !candidates) || (k && !out) || !n_out) return gn__fail(GN_EINVAL, "rank: NULL argument");
    *n_out = 0;
    GN_TRY(check_model(m));
    if (!text_format(m->spec.format))
        return gn__fail(GN_EUNSUPPORTED, "rank: text-line contexts and candidates need a model trained on libsvm, "
                        "libfm, libffm or vw lines; this one reads %s: give them as feature objects",
                        gn_format_name(m->spec.format));
    gn_parser *p;
    GN_TRY(gn__model_parser(m, GN_LABEL_NONE, &p));
    double *score = NULL;
    gn_ranked *all = NULL;
    uint32_t *sorted = NULL;
    char *joined = NULL;
    size_t jcap = 0;
    gn_batch b, one;
    int binit = 0, oinit = 0;
    int st = GN_OK;
    if (gn__batch_init(&one, 1, 64) != GN_OK) {
        st = gn__fail(GN_ENOMEM, "rank: out of memory");
        goto done;
    }
    oinit = 1;
    st = check_line(p, context, "context", 0, &one);
    for (size_t c = 0; c < ncand && st == GN_OK; c++) st = check_line(p, candidates[c], "candidate", c, &one);
    if (st != GN_OK || k == 0 || ncand == 0) goto done;
    if (!(score = malloc(ncand * sizeof *score)) || !(all = malloc(ncand * sizeof *all)) ||
        gn__batch_init(&b, ncand + 1, 16 * (ncand + 1)) != GN_OK) {
        st = gn__fail(GN_ENOMEM, "rank: out of memory");
        goto done;
    }
    binit = 1;
    const size_t cl = strlen(context);
    if (gn__parser_has_cross(p)) {
        /* interactions cross context and candidate: each joined line whole, once every line has
         * parsed alone (a candidate that is no line of its own must not slip into the context's
         * last namespace) */
        gn__batch_clear(&one);
        st = parse_line_into(p, context, cl, &one, "context", 0);
        for (size_t c = 0; c < ncand && st == GN_OK; c++) {
            gn__batch_clear(&one);
            st = parse_line_into(p, candidates[c], strlen(candidates[c]), &one, "candidate", c);
        }
        for (size_t c = 0; c < ncand && st == GN_OK; c++)
            st = parse_joined(p, context, cl, candidates[c], &joined, &jcap, &b, c);
        if (st != GN_OK) goto done;
        const gn_rows r = gn__batch_rows(&b);
        m->ops->score_batch(m, &r, score);
    } else { /* the context's row once, each candidate's row without its bias */
        if ((st = parse_line_into(p, context, cl, &b, "context", 0)) != GN_OK) goto done;
        for (size_t c = 0; c < ncand && st == GN_OK; c++)
            st = parse_line_into(p, candidates[c], strlen(candidates[c]), &b, "candidate", c);
        if (st != GN_OK) goto done;
        drop_candidate_bias(&b, gn__parser_spec(p)->bias);
        const size_t cn = b.start[1] - b.start[0];
        const gn_rows cand = {ncand, b.start + 1, b.index, b.value};
        if ((st = score_joined(m, b.index, b.value, cn, &cand, score)) != GN_OK) goto done;
        /* a candidate sharing a slot with the context: the joined line parsed whole, so that the
         * parser treats the repeat as it would in :predict */
        if ((st = sorted_slots(b.index, cn, &sorted)) != GN_OK) goto done;
        for (size_t c = 0; c < ncand && st == GN_OK; c++) {
            if (!shares_slot(sorted, cn, &cand, c)) continue;
            gn__batch_clear(&one);
            if ((st = parse_joined(p, context, cl, candidates[c], &joined, &jcap, &one, c)) != GN_OK) break;
            const gn_rows r = gn__batch_rows(&one);
            m->ops->score_batch(m, &r, score + c);
        }
        if (st != GN_OK) goto done;
    }
    take_top(m, score, ncand, all, k, out, n_out);
done:
    if (binit) gn__batch_free(&b);
    if (oinit) gn__batch_free(&one);
    free(sorted);
    free(joined);
    free(score);
    free(all);
    gn__parser_free(p);
    return st;
}
