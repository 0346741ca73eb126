/* model/kinds/factor_table.h: the learner table shared by the factorization kinds (fm.c, ffm.c),
 * internal to them. It owns the table's layout, one row per hash slot:
 *
 *   optimizer  row
 *   sgd        {s, w[nw], v[nfac]}
 *   adagrad    {s, w[nw], g2[nw], v[nfac], g2[nfac]}
 *
 * nw is the number of outputs: 1 for the binary and regression losses, K for softmax over K
 * classes (one linear weight per class); nfac is fm's rank (times K), ffm's fields x rank (times
 * K). It owns the allocation and seeded factor start, the optimizer scalars (steps, weight and
 * norm sums), the learn_batch loop (example modes, prefetching the next example's rows), the
 * table / scalars / weights / model views the trainer asks for (the model's rows are
 * {w[nw], v[nfac]}), the linear weights' per-row steps (normalized rescale, AdaGrad and SGD steps
 * on a w), which both kinds take alike, and the loss gradient in the nw scores. Scoring and the
 * factors' learning stay in each kind; each kind's learner has a gn__ftab as its first member and
 * calls these helpers with it. */
#ifndef GN_MODEL_KINDS_FACTOR_TABLE_H
#define GN_MODEL_KINDS_FACTOR_TABLE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "learn/loss.h"
#include "learn/train_internal.h"
#include "model/kind.h"
#include "model/model.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/racy.h"

#define GN__FTAB_MAX_CLASSES 128u /* most softmax classes of an fm/ffm model (per-example stack arrays) */

enum { GN__FTAB_S = 0, GN__FTAB_W = 1 }; /* a row's scale, then its nw linear weights (then AdaGrad's nw sums) */
enum { GN__FTAB_STEPS = 0, GN__FTAB_WEIGHT = 1, GN__FTAB_NORM = 2, GN__FTAB_NSCALARS = 3 };

typedef struct gn__ftab {
    gn_optimizer opt; /* sgd or adagrad */
    uint32_t nw;      /* outputs: linear weights per row (1, or K classes) */
    uint32_t nfac;    /* factors per row */
    uint32_t vbase;   /* the row's first factor */
    uint32_t stride;  /* floats per row (table above) */
    size_t nslots;
    float *table;
    int owns_table;
    int lazy;         /* factors start when their row first sees a value (normalized updates) */
    int g2_ones;      /* AdaGrad: the factors' squared-gradient sums start at 1 */
    double init;      /* start values uniform in [-init, init] ... */
    uint64_t seed;    /* ... from a hash of (seed, slot, factor) */
    double sc[GN__FTAB_NSCALARS];
} gn__ftab;

static inline uint32_t gn__ftab_vbase(gn_optimizer opt, uint32_t nw) {
    return 1 + nw * (opt == GN_OPT_ADAGRAD ? 2 : 1);
}
static inline uint32_t gn__ftab_stride(gn_optimizer opt, uint32_t nw, uint32_t nfac) {
    return gn__ftab_vbase(opt, nw) + nfac * (opt == GN_OPT_ADAGRAD ? 2 : 1);
}

/* A uniform number in [-1, 1) from (seed, i) (splitmix64). */
static inline double gn__ftab_noise(uint64_t seed, uint64_t i) {
    uint64_t z = seed + 0x9e3779b97f4a7c15ull * (i + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* Starts row i's factors: uniform in [-init, init] from (seed, slot, factor), times `scale`; with
 * g2_ones (adagrad only), their squared-gradient sums at 1. */
static GN_HOGWILD inline void gn__ftab_start_row(const gn__ftab *t, size_t i, double scale) {
    float *v = t->table + i * t->stride + t->vbase;
    const size_t nfac = t->nfac;
    for (size_t f = 0; f < nfac; f++) v[f] = (float)(t->init * scale * gn__ftab_noise(t->seed, (uint64_t)i * nfac + f));
    if (t->g2_ones && t->opt == GN_OPT_ADAGRAD)
        for (size_t f = 0; f < nfac; f++) v[nfac + f] = 1.0f;
}

/* Allocates 2^bits rows and starts the factors uniform in [-init, init] from (seed, slot, factor);
 * with `g2_ones` (adagrad only), the factors' squared-gradient sums start at 1. With `lazy`
 * (normalized updates, whose rows keep a scale), a row's factors start only when it first sees a
 * non-zero value (gn__ftab_rescale): rows no example touches stay zero, so they cost no memory
 * (the table's pages are never written), add nothing to a score, and a model file stores only
 * the features seen (sparse). Returns the bytes it tried to allocate, and 0 in t->table when that
 * failed (the kind reports it). */
static inline size_t gn__ftab_alloc(gn__ftab *t, gn_optimizer opt, uint32_t nw, uint32_t nfac, unsigned bits,
                                    double init, uint64_t seed, int g2_ones, int lazy) {
    t->opt = opt;
    t->nw = nw;
    t->nfac = nfac;
    t->vbase = gn__ftab_vbase(opt, nw);
    t->stride = gn__ftab_stride(opt, nw, nfac);
    t->nslots = (size_t)1 << bits;
    const size_t bytes = t->nslots * t->stride * sizeof(float);
    t->table = gn__table_alloc(bytes);
    if (!t->table) return bytes;
    t->owns_table = 1;
    t->lazy = lazy;
    t->g2_ones = g2_ones;
    t->init = init;
    t->seed = seed;
    if (!lazy)
        for (size_t i = 0; i < t->nslots; i++) gn__ftab_start_row(t, i, 1.0);
    return bytes;
}

static inline void gn__ftab_free(gn__ftab *t) {
    if (t->owns_table) gn__table_free(t->table, t->nslots * t->stride * sizeof(float));
}

/* A copy's view of its owner's table: shared rows, its own scalars. */
static inline void gn__ftab_share(gn__ftab *t) {
    t->owns_table = 0;
    memset(t->sc, 0, sizeof t->sc);
}

/* Adds an example of weight wt and normalized squared norm `norm`; returns the normalized
 * updates' multiplier (weight sum / norm sum). */
static GN_HOGWILD inline double gn__ftab_note_norm(gn__ftab *t, double wt, double norm) {
    t->sc[GN__FTAB_WEIGHT] += wt;
    t->sc[GN__FTAB_NORM] += wt * norm;
    return t->sc[GN__FTAB_NORM] > 0 ? t->sc[GN__FTAB_WEIGHT] / t->sc[GN__FTAB_NORM] : 1.0;
}

static GN_HOGWILD inline double gn__ftab_shrink_l1(double w, double shrink) {
    return w > shrink ? w - shrink : (w < -shrink ? w + shrink : 0.0);
}

/* The linear part of a row c, learning from a value x (normalized updates, as linear.c's). */

/* Raises the row's scale s to |x|, rescaling its weights as if they had always been seen at that
 * scale: the nw linear weights as linear.c's, and the factors by s_old / |x| (by 1 / |x| when the
 * row first sees a non-zero value, so that the start values, drawn for values of size 1, give
 * the same v x whatever the column's unit). With the factor steps divided by s (AdaGrad; s^2 with
 * SGD), v_i x_i and so the scores do not depend on a column's scale: a factorization machine
 * trains on raw numbers (pixels 0-16, prices, counts) with the default fm_lr, as the linear part
 * does. Returns (x / s)^2, the value's part of the example's normalized squared norm. */
static GN_HOGWILD inline double gn__ftab_rescale(const gn__ftab *t, float *c, double x) {
    const double ax = fabs(x), s0 = c[GN__FTAB_S];
    if (ax > s0) {
        if (s0 > 0) { /* as if always seen at this scale */
            const double r = s0 / ax, m = t->opt == GN_OPT_SGD ? r * r : r;
            for (size_t j = 0; j < t->nw; j++) c[GN__FTAB_W + j] = (float)(c[GN__FTAB_W + j] * m);
        }
        const double rv = s0 > 0 ? s0 / ax : (ax >= 1e-30 ? 1.0 / ax : 1.0);
        float *v = c + t->vbase;
        int fresh = s0 == 0 && t->lazy; /* a lazy row's first value: start it, unless set */
        for (size_t f = 0; fresh && f < t->nfac; f++) fresh = v[f] == 0.0f;
        if (fresh) gn__ftab_start_row(t, (size_t)(c - t->table) / t->stride, rv);
        else if (s0 > 0 || !t->lazy) /* a lazy row set before (a model, another rank) keeps its units */
            for (size_t f = 0; rv != 1.0 && f < t->nfac; f++) v[f] = (float)(v[f] * rv);
        c[GN__FTAB_S] = (float)ax;
    }
    const double xs = c[GN__FTAB_S] > 0 ? x / c[GN__FTAB_S] : 0.0;
    return xs * xs;
}

/* An AdaGrad step on the weight *w (its squared-gradient sum *g2) from its gradient g at scale sc
 * (lr: the normalized rate). */
static GN_HOGWILD inline void gn__ftab_ada_w(float *w, float *g2, double g, double lr, double sc, double l1) {
    if (g == 0.0) return;
    const double s2 = *g2 + g * g;
    *g2 = (float)s2;
    const double step = lr / (sc * sqrt(s2));
    double v = *w - step * g;
    if (l1 > 0) v = gn__ftab_shrink_l1(v, step * l1 * sc);
    *w = (float)v;
}

/* An SGD step of size eta on the weight *w, for loss derivative d and value x at scale sc. */
static GN_HOGWILD inline void gn__ftab_sgd_w(float *w, double d, double x, double sc, double eta, double l1,
                                             double l2) {
    double v = *w - eta * (d * x / (sc * sc) + l2 * *w);
    if (l1 > 0) v = gn__ftab_shrink_l1(v, eta * l1 / sc);
    *w = (float)v;
}

/* The gradient of an example's loss in its nw scores s, times wt, into g: softmax's
 * (p_k - [k == y], y the class index) when the loss is softmax, else the loss's derivative in its
 * one score. */
static GN_HOGWILD inline void gn__ftab_grad(gn_loss loss, const double *s, size_t nw, double y, double wt, double *g) {
    if (loss == GN_LOSS_SOFTMAX) (void)gn__softmax_grad(s, nw, (size_t)y, wt, g);
    else g[0] = gn__loss_deriv(loss, s[0], y, 0.5) * wt;
}

/* The kind's parts of learn_batch: `prepare` (may be NULL) readies an example (ffm: its fields),
 * `score` scores it into s (nw scores; learn 0, norm NULL), `learn` scores it into s and takes
 * one step (y: the label, or the class index under softmax). */
typedef int (*gn__ftab_prepare_fn)(gn_kind_learner *l, const uint32_t *idx, size_t n);
typedef void (*gn__ftab_score_fn)(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n, int learn,
                                  double *norm, double *s);
typedef void (*gn__ftab_learn_fn)(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n, double y,
                                  double wt, double *s);

/* learn_batch over a table: each example by its mode, fetching the next example's rows while
 * learning from this one. Called with constant functions, it inlines into the kind's. */
static GN_HOGWILD inline int gn__ftab_learn_batch(gn_kind_learner *l, const gn__ftab *t, gn_loss loss,
                                                  const gn_batch *b, const unsigned char *mode, double *scores,
                                                  gn__ftab_prepare_fn prepare, gn__ftab_score_fn score,
                                                  gn__ftab_learn_fn learn) {
    const size_t nw = t->nw;
    for (size_t e = 0; e < b->n; e++) {
        const unsigned char m = mode ? mode[e] : GN__EX_LEARN;
        if (m == GN__EX_SKIP) continue;
        const size_t s0 = b->start[e], n = b->start[e + 1] - s0;
        const uint32_t *idx = b->index + s0;
        const float *val = b->value + s0;
        const double wt = b->weight[e];
        if (prepare) GN_TRY(prepare(l, idx, n));
        if (m == GN__EX_SCORE || wt == 0.0) {
            score(l, idx, val, n, 0, NULL, scores + e * nw);
            continue;
        }
        const double y = b->label[e];
        if (loss == GN_LOSS_SOFTMAX && !(y >= 0 && y < (double)nw)) /* the parser gives class indices */
            return gn__fail(GN_EINTERNAL, "softmax: label %g is not a class index below %zu", y, nw);
        if (e + 1 < b->n) { /* fetch the next example's rows */
            const char *tb = (const char *)t->table;
            const size_t bytes = (size_t)t->stride * sizeof(float);
            for (size_t i = b->start[e + 1]; i < b->start[e + 2]; i++)
                __builtin_prefetch(tb + (size_t)b->index[i] * bytes, 1, 1);
        }
        learn(l, idx, val, n, y, wt, scores + e * nw);
    }
    return GN_OK;
}

/* The trainer's views (kind.h), which a kind puts in its gn_kind as they are: they take the
 * learner, whose first member must be its gn__ftab (each kind asserts so), as that table. */
static inline gn__ftab *gn__ftab_of(gn_kind_learner *l) { return (gn__ftab *)(void *)l; }
static inline const gn__ftab *gn__ftab_of_const(const gn_kind_learner *l) { return (const gn__ftab *)(const void *)l; }

static inline gn_kind_table gn__ftab_table(gn_kind_learner *l) {
    const gn__ftab *t = gn__ftab_of(l);
    /* class 0's squared-gradient sum counts the row's updates: every class of a row learns
     * whenever its feature occurs */
    gn_kind_table kt = {t->table, t->nslots, t->stride, t->opt == GN_OPT_ADAGRAD ? (int)(GN__FTAB_W + t->nw) : -1};
    return kt;
}

static inline double *gn__ftab_scalars(gn_kind_learner *l, size_t *n) {
    *n = GN__FTAB_NSCALARS;
    return gn__ftab_of(l)->sc;
}

static inline size_t gn__ftab_weights_len(const gn_kind_learner *l) {
    const gn__ftab *t = gn__ftab_of_const(l);
    return t->nslots * ((size_t)t->nw + t->nfac);
}

static inline void gn__ftab_get_weights(gn_kind_learner *l, float *dst) {
    const gn__ftab *t = gn__ftab_of(l);
    const size_t nw = t->nw, mw = nw + t->nfac;
    for (size_t i = 0; i < t->nslots; i++) {
        const float *c = t->table + i * t->stride;
        memcpy(dst + i * mw, c + GN__FTAB_W, nw * sizeof *dst);
        memcpy(dst + i * mw + nw, c + t->vbase, t->nfac * sizeof *dst);
    }
}

static inline void gn__ftab_set_weights(gn_kind_learner *l, const float *src) {
    gn__ftab *t = gn__ftab_of(l);
    const size_t nw = t->nw, mw = nw + t->nfac;
    for (size_t i = 0; i < t->nslots; i++) {
        float *c = t->table + i * t->stride;
        memcpy(c + GN__FTAB_W, src + i * mw, nw * sizeof *src);
        memcpy(c + t->vbase, src + i * mw + nw, t->nfac * sizeof *src);
    }
}

/* ---- outputs: what both kinds do alike for the binary, regression and softmax losses ---- */

/* The outputs (nw) a learner of kind `kind` makes for these options: 1 for logistic, hinge and
 * squared, the data's K classes for softmax (2 to GN_LABELS_MAX_CLASSES); GN_EINVAL for other
 * losses. Before the classes are known (learner_bytes) softmax counts 2. */
static inline int gn__ftab_outputs_for(const gn_train_options *o, const gn_data_spec *spec, const char *kind,
                                       uint32_t *nw) {
    if (o->loss == GN_LOSS_SOFTMAX) {
        if (spec->nclasses < 2 || spec->nclasses > GN__FTAB_MAX_CLASSES)
            return gn__fail(GN_EINVAL, "kind %s with loss softmax needs 2 to %u classes (the data has %u)", kind,
                            GN__FTAB_MAX_CLASSES, (unsigned)spec->nclasses);
        *nw = spec->nclasses;
        return GN_OK;
    }
    if (o->loss != GN_LOSS_LOGISTIC && o->loss != GN_LOSS_HINGE && o->loss != GN_LOSS_SQUARED)
        return gn__fail(GN_EINVAL, "kind %s takes loss logistic, hinge, squared or softmax, not %s", kind,
                        gn_loss_name(o->loss));
    *nw = 1;
    return GN_OK;
}

/* A model's outputs: its K classes under softmax (spec.nclasses, which header_read checks against
 * the model's classes), else 1. */
static inline uint32_t gn__ftab_model_outputs(const gn_model *m) {
    return m->loss == GN_LOSS_SOFTMAX && m->spec.nclasses ? m->spec.nclasses : 1;
}

/* header_read's check of a model's loss and outputs: logistic, hinge or squared (1 output), or
 * softmax over the model's K >= 2 classes (its "labels"), which spec.nclasses must repeat (set
 * when absent) and weights_per_slot must be a multiple of. *nw: the outputs. */
static inline int gn__ftab_model_check_outputs(gn_model *m, const char *kind, const char *path, uint32_t *nw) {
    if (m->loss == GN_LOSS_SOFTMAX) {
        size_t n = 0;
        GN_TRY(gn_model_classes(m, &n));
        if (n < 2 || n > GN__FTAB_MAX_CLASSES)
            return gn__fail(GN_EFORMAT, "%s: header: a softmax %s model needs 2 to %u classes, not %zu", path, kind,
                            GN__FTAB_MAX_CLASSES, n);
        if (m->spec.nclasses && m->spec.nclasses != n)
            return gn__fail(GN_EFORMAT, "%s: header: spec nclasses %u, but the model has %zu classes", path,
                            (unsigned)m->spec.nclasses, n);
        if (m->weights_per_slot % n)
            return gn__fail(GN_EFORMAT, "%s: header: %u weights per slot are not a multiple of the %zu classes", path,
                            (unsigned)m->weights_per_slot, n);
        m->spec.nclasses = (uint32_t)n;
        *nw = (uint32_t)n;
        return GN_OK;
    }
    if (m->loss != GN_LOSS_LOGISTIC && m->loss != GN_LOSS_HINGE && m->loss != GN_LOSS_SQUARED)
        return gn__fail(GN_EFORMAT, "%s: header: an %s model needs loss logistic, hinge, squared or softmax, not %s",
                        path, kind, gn_loss_name(m->loss));
    *nw = 1;
    return GN_OK;
}

/* (slot, weight) pairs, strongest first, ties by smaller slot (as gn__top_strided ranks them). */
typedef struct gn__ftab_top {
    uint32_t slot;
    float value;
} gn__ftab_top;

static inline int gn__ftab_top_cmp(const void *pa, const void *pb) {
    const gn__ftab_top *a = pa, *b = pb;
    const float x = fabsf(a->value), y = fabsf(b->value);
    if (x != y) return x > y ? -1 : 1;
    return (a->slot > b->slot) - (a->slot < b->slot);
}

/* The k linear weights largest in magnitude (the factors have no single meaning), strongest first:
 * with one output, slots as they are; with K, as the softmax kind reports them, slot * K + class. */
static inline int gn__ftab_top_weights(const gn_model *m, size_t k, uint32_t *slots, float *values, size_t *n_out) {
    const size_t nw = gn__ftab_model_outputs(m), st = m->weights_per_slot, nslots = m->nweights / st;
    if (nw == 1) return gn__top_strided(m->w, nslots, st, k, slots, values, n_out);
    if (k > nslots) k = nslots; /* each class's strongest k, then the strongest k of those */
    gn__ftab_top *all = k ? malloc(nw * k * sizeof *all) : NULL;
    if (k && !all) return gn__fail(GN_ENOMEM, "out of memory");
    size_t total = 0;
    for (size_t c = 0; c < nw && k; c++) {
        size_t got = 0;
        int rc = gn__top_strided(m->w + c, nslots, st, k, slots, values, &got);
        if (rc != GN_OK) {
            free(all);
            return rc;
        }
        for (size_t i = 0; i < got; i++, total++) {
            all[total].slot = (uint32_t)(slots[i] * nw + c);
            all[total].value = values[i];
        }
    }
    if (total) qsort(all, total, sizeof *all, gn__ftab_top_cmp);
    const size_t n = total < k ? total : k;
    for (size_t i = 0; i < n; i++) {
        slots[i] = all[i].slot;
        values[i] = all[i].value;
    }
    *n_out = n;
    free(all);
    return GN_OK;
}

static inline gn_optimizer gn__ftab_optimizer(const gn_kind_learner *l) { return gn__ftab_of_const(l)->opt; }

/* Every weight is current (no lazy updates): sync has nothing to do; nw outputs. */
static inline void gn__ftab_sync(gn_kind_learner *l) { (void)l; }
static inline uint32_t gn__ftab_outputs(const gn_kind_learner *l) { return gn__ftab_of_const(l)->nw; }

/* The model of a kind `id` with rows {w[nw], v[nfac]}: from `weights` (weights_len floats) if
 * given, else from the table. */
static inline int gn__ftab_to_model(gn_kind_learner *l, gn_model_kind id, gn_loss loss, const gn_data_spec *spec,
                                    const float *weights, gn_model **out) {
    gn_model *m;
    GN_TRY(gn__model_new(id, loss, spec, gn__ftab_of(l)->nw + gn__ftab_of(l)->nfac, &m));
    if (weights) memcpy(m->w, weights, gn__ftab_weights_len(l) * sizeof *m->w);
    else gn__ftab_get_weights(l, m->w);
    *out = m;
    return GN_OK;
}

#endif
