/* model/kinds/factor_table.h: the learner table shared by the factorization kinds (fm.c, ffm.c),
 * internal to them. It owns the table's layout, one row per hash slot:
 *
 *   optimizer  row
 *   sgd        {s, w, v[nfac]}
 *   adagrad    {s, w, g2, v[nfac], g2[nfac]}
 *
 * (nfac: fm's rank K, ffm's fields x rank), its allocation and seeded factor start, the optimizer
 * scalars (steps, weight and norm sums), the learn_batch loop (example modes, prefetching the next
 * example's rows), and the table / scalars / weights / model views the trainer asks for (the
 * model's rows are {w, v[nfac]}), and the linear weight's per-row steps (normalized rescale,
 * AdaGrad and SGD steps on w), which both kinds take alike. Scoring and the factors' learning
 * stay in each kind; each kind's learner has a gn__ftab as its first member and calls these
 * helpers with it. */
#ifndef GN_MODEL_KINDS_FACTOR_TABLE_H
#define GN_MODEL_KINDS_FACTOR_TABLE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "learn/train_internal.h"
#include "model/kind.h"
#include "model/model.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/racy.h"

enum { GN__FTAB_S = 0, GN__FTAB_W = 1, GN__FTAB_G2 = 2 }; /* a row's floats before its factors */
enum { GN__FTAB_STEPS = 0, GN__FTAB_WEIGHT = 1, GN__FTAB_NORM = 2, GN__FTAB_NSCALARS = 3 };

typedef struct gn__ftab {
    gn_optimizer opt; /* sgd or adagrad */
    uint32_t nfac;    /* factors per row */
    uint32_t vbase;   /* the row's first factor */
    uint32_t stride;  /* floats per row (table above) */
    size_t nslots;
    float *table;
    int owns_table;
    double sc[GN__FTAB_NSCALARS];
} gn__ftab;

static inline uint32_t gn__ftab_vbase(gn_optimizer opt) { return opt == GN_OPT_ADAGRAD ? 3 : 2; }
static inline uint32_t gn__ftab_stride(gn_optimizer opt, uint32_t nfac) {
    return gn__ftab_vbase(opt) + nfac * (opt == GN_OPT_ADAGRAD ? 2 : 1);
}

/* A uniform number in [-1, 1) from (seed, i) (splitmix64). */
static inline double gn__ftab_noise(uint64_t seed, uint64_t i) {
    uint64_t z = seed + 0x9e3779b97f4a7c15ull * (i + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* Allocates 2^bits rows and starts the factors uniform in [-init, init] from (seed, slot, factor);
 * with `g2_ones` (adagrad only), the factors' squared-gradient sums start at 1. Returns the bytes
 * it tried to allocate, and 0 in t->table when that failed (the kind reports it). */
static inline size_t gn__ftab_alloc(gn__ftab *t, gn_optimizer opt, uint32_t nfac, unsigned bits, double init,
                                    uint64_t seed, int g2_ones) {
    t->opt = opt;
    t->nfac = nfac;
    t->vbase = gn__ftab_vbase(opt);
    t->stride = gn__ftab_stride(opt, nfac);
    t->nslots = (size_t)1 << bits;
    const size_t bytes = t->nslots * t->stride * sizeof(float);
    t->table = gn__table_alloc(bytes);
    if (!t->table) return bytes;
    t->owns_table = 1;
    for (size_t i = 0; i < t->nslots; i++) {
        float *v = t->table + i * t->stride + t->vbase;
        for (size_t f = 0; f < nfac; f++) v[f] = (float)(init * gn__ftab_noise(seed, (uint64_t)i * nfac + f));
        if (g2_ones && opt == GN_OPT_ADAGRAD)
            for (size_t f = 0; f < nfac; f++) v[nfac + f] = 1.0f;
    }
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

/* Raises the row's scale s to |x| (rescaling w as if it had always been seen at that scale);
 * returns (x / s)^2, the value's part of the example's normalized squared norm. */
static GN_HOGWILD inline double gn__ftab_rescale(float *c, double x, gn_optimizer opt) {
    const double ax = fabs(x);
    if (ax > c[GN__FTAB_S]) {
        if (c[GN__FTAB_S] > 0) { /* as if always seen at this scale */
            const double r = c[GN__FTAB_S] / ax;
            c[GN__FTAB_W] = (float)(c[GN__FTAB_W] * (opt == GN_OPT_SGD ? r * r : r));
        }
        c[GN__FTAB_S] = (float)ax;
    }
    const double xs = c[GN__FTAB_S] > 0 ? x / c[GN__FTAB_S] : 0.0;
    return xs * xs;
}

/* An AdaGrad step on w from its gradient g at scale sc (lr: the normalized rate). */
static GN_HOGWILD inline void gn__ftab_ada_w(float *c, double g, double lr, double sc, double l1) {
    if (g == 0.0) return;
    const double g2 = c[GN__FTAB_G2] + g * g;
    c[GN__FTAB_G2] = (float)g2;
    const double step = lr / (sc * sqrt(g2));
    double w = c[GN__FTAB_W] - step * g;
    if (l1 > 0) w = gn__ftab_shrink_l1(w, step * l1 * sc);
    c[GN__FTAB_W] = (float)w;
}

/* An SGD step of size eta on w, for loss derivative d and value x at scale sc. */
static GN_HOGWILD inline void gn__ftab_sgd_w(float *c, double d, double x, double sc, double eta, double l1,
                                             double l2) {
    double w = c[GN__FTAB_W] - eta * (d * x / (sc * sc) + l2 * c[GN__FTAB_W]);
    if (l1 > 0) w = gn__ftab_shrink_l1(w, eta * l1 / sc);
    c[GN__FTAB_W] = (float)w;
}

/* The kind's parts of learn_batch: `prepare` (may be NULL) readies an example (ffm: its fields),
 * `score` scores it (learn 0, norm NULL), `learn` scores it and takes one step. */
typedef int (*gn__ftab_prepare_fn)(gn_kind_learner *l, const uint32_t *idx, size_t n);
typedef double (*gn__ftab_score_fn)(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n, int learn,
                                    double *norm);
typedef double (*gn__ftab_learn_fn)(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n, double y,
                                    double wt);

/* learn_batch over a table: each example by its mode, fetching the next example's rows while
 * learning from this one. Called with constant functions, it inlines into the kind's. */
static GN_HOGWILD inline int gn__ftab_learn_batch(gn_kind_learner *l, const gn__ftab *t, const gn_batch *b,
                                                  const unsigned char *mode, double *scores,
                                                  gn__ftab_prepare_fn prepare, gn__ftab_score_fn score,
                                                  gn__ftab_learn_fn learn) {
    for (size_t e = 0; e < b->n; e++) {
        const unsigned char m = mode ? mode[e] : GN__EX_LEARN;
        if (m == GN__EX_SKIP) continue;
        const size_t s0 = b->start[e], n = b->start[e + 1] - s0;
        const uint32_t *idx = b->index + s0;
        const float *val = b->value + s0;
        const double wt = b->weight[e];
        if (prepare) GN_TRY(prepare(l, idx, n));
        if (m == GN__EX_SCORE || wt == 0.0) {
            scores[e] = score(l, idx, val, n, 0, NULL);
            continue;
        }
        if (e + 1 < b->n) { /* fetch the next example's rows */
            const char *tb = (const char *)t->table;
            const size_t bytes = (size_t)t->stride * sizeof(float);
            for (size_t i = b->start[e + 1]; i < b->start[e + 2]; i++)
                __builtin_prefetch(tb + (size_t)b->index[i] * bytes, 1, 1);
        }
        scores[e] = learn(l, idx, val, n, b->label[e], wt);
    }
    return GN_OK;
}

/* The trainer's views (kind.h), which a kind puts in its gn_kind as they are: they take the
 * learner, whose first member must be its gn__ftab (each kind asserts so), as that table. */
static inline gn__ftab *gn__ftab_of(gn_kind_learner *l) { return (gn__ftab *)(void *)l; }
static inline const gn__ftab *gn__ftab_of_const(const gn_kind_learner *l) { return (const gn__ftab *)(const void *)l; }

static inline gn_kind_table gn__ftab_table(gn_kind_learner *l) {
    const gn__ftab *t = gn__ftab_of(l);
    gn_kind_table kt = {t->table, t->nslots, t->stride, t->opt == GN_OPT_ADAGRAD ? GN__FTAB_G2 : -1};
    return kt;
}

static inline double *gn__ftab_scalars(gn_kind_learner *l, size_t *n) {
    *n = GN__FTAB_NSCALARS;
    return gn__ftab_of(l)->sc;
}

static inline size_t gn__ftab_weights_len(const gn_kind_learner *l) {
    const gn__ftab *t = gn__ftab_of_const(l);
    return t->nslots * (1 + (size_t)t->nfac);
}

static inline void gn__ftab_get_weights(gn_kind_learner *l, float *dst) {
    const gn__ftab *t = gn__ftab_of(l);
    const size_t mw = 1 + (size_t)t->nfac;
    for (size_t i = 0; i < t->nslots; i++) {
        const float *c = t->table + i * t->stride;
        dst[i * mw] = c[GN__FTAB_W];
        memcpy(dst + i * mw + 1, c + t->vbase, t->nfac * sizeof *dst);
    }
}

static inline void gn__ftab_set_weights(gn_kind_learner *l, const float *src) {
    gn__ftab *t = gn__ftab_of(l);
    const size_t mw = 1 + (size_t)t->nfac;
    for (size_t i = 0; i < t->nslots; i++) {
        float *c = t->table + i * t->stride;
        c[GN__FTAB_W] = src[i * mw];
        memcpy(c + t->vbase, src + i * mw + 1, t->nfac * sizeof *src);
    }
}

static inline gn_optimizer gn__ftab_optimizer(const gn_kind_learner *l) { return gn__ftab_of_const(l)->opt; }

/* Every weight is current (no lazy updates): sync has nothing to do; one output. */
static inline void gn__ftab_sync(gn_kind_learner *l) { (void)l; }
static inline uint32_t gn__ftab_outputs(const gn_kind_learner *l) {
    (void)l;
    return 1;
}

/* The model of a kind `id` with rows {w, v[nfac]}: from `weights` (weights_len floats) if given,
 * else from the table. */
static inline int gn__ftab_to_model(gn_kind_learner *l, gn_model_kind id, gn_loss loss, const gn_data_spec *spec,
                                    const float *weights, gn_model **out) {
    gn_model *m;
    GN_TRY(gn__model_new(id, loss, spec, 1 + gn__ftab_of(l)->nfac, &m));
    if (weights) memcpy(m->w, weights, gn__ftab_weights_len(l) * sizeof *m->w);
    else gn__ftab_get_weights(l, m->w);
    *out = m;
    return GN_OK;
}

#endif
