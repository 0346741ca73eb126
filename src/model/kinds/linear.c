/* model/kinds/linear.c: the linear model kind. A model is one weight per hash slot; its score is
 * the dot product with the example. Its online learners are SGD, AdaGrad and FTRL-Proximal over
 * one table where each slot's weight and optimizer state sit next to each other, so an update
 * touches one cache line:
 *
 *   optimizer  plain (normalize off)   normalized (default)
 *   sgd        {w}                      {w, s}
 *   adagrad    {w, g2}                  {w, g2, s, -}
 *   ftrl       {w, z, n, -}             {w, z, n, 1/s}
 *
 * Normalized updates (Ross, Mineiro and Langford, "Normalized Online Learning", 2013; Vowpal
 * Wabbit's default) keep s, the largest |x| seen for each feature, and learn as if every feature
 * were divided by its s: a column's scale (ages, incomes, pixel counts) no longer changes what
 * the learner does, and no preprocessing is needed at prediction time because the table's w is
 * always the weight of the raw feature. When a feature shows a larger |x| than before, its weight
 * is rescaled so that past learning keeps its meaning. Regularisation applies to the normalized
 * weights w*s, so l1 and l2 are scale-free too. AdaGrad and SGD also scale the step by the
 * running ratio of examples to the normalized squared norm (VW's update multiplier), which makes
 * the default learning rate work for short and long examples alike; FTRL's per-coordinate rates
 * do not need it. FTRL, the default and the fast path, keeps 1/s (0: never seen) so that an
 * update multiplies instead of dividing. */
#include "model/kinds/linear.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/cross.h"
#include "learn/ftrl_vec.h"
#include "learn/loss.h"
#include "learn/train_internal.h"
#include "model/kind.h"
#include "model/model.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/racy.h"

/* ================================================================ the model */

static uint32_t linear_outputs(const gn_model *m) {
    (void)m;
    return 1;
}

static void linear_score_batch(const gn_model *m, const gn_rows *rows, double *out) {
    const float *w = m->w;
    for (size_t e = 0; e < rows->n; e++) {
        double s = 0.0;
        for (size_t i = rows->start[e]; i < rows->start[e + 1]; i++) s += (double)w[rows->index[i]] * (double)rows->value[i];
        out[e] = s;
    }
}

/* The context's sum once, each candidate's features added to it in the order score_batch adds a
 * joined row's: the same score, bit for bit. */
static void linear_score_context(const gn_model *m, const uint32_t *cidx, const float *cval, size_t cn,
                                 const gn_rows *cands, double *out) {
    const float *w = m->w;
    double c = 0.0;
    for (size_t i = 0; i < cn; i++) c += (double)w[cidx[i]] * (double)cval[i];
    for (size_t e = 0; e < cands->n; e++) {
        double s = c;
        for (size_t i = cands->start[e]; i < cands->start[e + 1]; i++)
            s += (double)w[cands->index[i]] * (double)cands->value[i];
        out[e] = s;
    }
}

static int linear_top_weights(const gn_model *m, size_t k, uint32_t *slots, float *values, size_t *n_out) {
    return gn__top_strided(m->w, m->nweights / m->weights_per_slot, m->weights_per_slot, k, slots, values, n_out);
}

int gn__linear_model_set(gn_model *m, const uint32_t *slots, const double *w, size_t n) {
    if (m->kind != GN_KIND_LINEAR) return gn__fail(GN_EINTERNAL, "not a linear model");
    memset(m->w, 0, m->nweights * sizeof *m->w);
    const size_t nslots = m->nweights;
    for (size_t j = 0; j < n; j++) {
        if (slots[j] >= nslots) return gn__fail(GN_EINTERNAL, "slot %u out of range", (unsigned)slots[j]);
        m->w[slots[j]] = (float)w[j];
    }
    return GN_OK;
}

/* ================================================================ the learners */
/* The learning kernels below are GN_HOGWILD (util/racy.h): with Hogwild threads they read and
 * write one shared table without locks, by design; ThreadSanitizer checks everything else. */

enum { F_W = 0, ADA_G2 = 1, ADA_S = 2, FTRL_Z = 1, FTRL_N = 2, FTRL_S = 3, SGD_S = 1 };
enum { SC_STEPS = 0, SC_WEIGHT = 1, SC_NORM = 2, NSCALARS = 3 };

struct gn_kind_learner {
    gn_optimizer opt;
    gn_loss loss;
    gn_data_spec spec;
    double lr, l1, l2, beta, power_t, tau;
    int normalized;
    uint32_t stride;       /* floats per slot (table above) */
    size_t nslots;
    float *table;
    int owns_table;
    /* the table is far larger than the caches (over PREFETCH_TABLE_BYTES): learn_batch fetches the
     * next example's slots while it learns from this one. On a table of 64 MiB that halves a pass;
     * on one of 4 MiB it gains nothing, and where the slots in use fit in L1 (a9a: 124 columns)
     * it costs a sixth of the pass. */
    int prefetch;
    /* examples learned (SGD's step decay), their total weight and the sum of their normalized
     * squared norms (the update multiplier) */
    double sc[NSCALARS];
    float *scratch;        /* FTRL_SCRATCH x scratch_cap floats for the FTRL learners */
    size_t scratch_cap;
    /* interactions (io/cross.h): crossed in learn_batch from the batch's x lists into xidx/xval
     * after a copy of the example's own features; NULL when the spec has none */
    gn_cross *cross;
    gn_cross_buf xbuf;
};

#define PREFETCH_TABLE_BYTES ((size_t)8 << 20)

static uint32_t stride_of(gn_optimizer opt, int normalized) {
    switch (opt) {
    case GN_OPT_SGD: return normalized ? 2 : 1;
    case GN_OPT_ADAGRAD: return normalized ? 4 : 2;
    default: return 4;
    }
}

static uint64_t linear_learner_bytes(const gn_train_options *o, const gn_data_spec *spec) {
    const gn_optimizer opt = gn__resolve_optimizer(o->loss, o->optimizer);
    const uint32_t stride = gn__optimizer_is_batch(opt) ? 1 : stride_of(opt, o->normalize);
    return ((uint64_t)1 << spec->bits) * stride * sizeof(float);
}

static void linear_learner_free(gn_kind_learner *l);

static int linear_learner_new(const gn_train_options *o, const gn_data_spec *spec, gn_kind_learner **out) {
    gn_kind_learner *l = calloc(1, sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory");
    l->opt = gn__resolve_optimizer(o->loss, o->optimizer);
    /* batch solvers keep weights only; their own state lives in learn/lbfgs.c */
    if (gn__optimizer_is_batch(l->opt)) l->opt = GN_OPT_FTRL;
    l->loss = o->loss;
    l->spec = *spec;
    gn_train_options resolved = *o; /* callers pass resolved options; l1 auto is resolved the one way anyway */
    gn__train_options_resolve(&resolved);
    l->l1 = resolved.l1;
    l->l2 = o->l2;
    l->beta = o->ftrl_beta;
    l->power_t = o->power_t;
    l->tau = o->quantile_tau;
    l->normalized = o->normalize;
    l->lr = o->lr > 0 ? o->lr : gn__default_lr(l->opt);
    l->stride = stride_of(l->opt, l->normalized);
    l->nslots = (size_t)1 << spec->bits;
    l->table = gn__table_alloc(l->nslots * l->stride * sizeof(float));
    if (!l->table) {
        size_t mib = (l->nslots * l->stride * sizeof(float)) >> 20;
        free(l);
        return gn__fail(GN_ENOMEM, "out of memory allocating a table of 2^%u slots (%zu MiB)", spec->bits, mib);
    }
    l->owns_table = 1;
    l->prefetch = l->nslots * l->stride * sizeof(float) > PREFETCH_TABLE_BYTES;
    if (spec->interactions[0]) {
        char why[256];
        int st = GN_ENOMEM;
        if ((l->cross = malloc(sizeof *l->cross)) != NULL) st = gn__cross_compile(spec->interactions, l->cross, why);
        if (st != GN_OK) {
            linear_learner_free(l);
            return st == GN_EINVAL ? gn__fail(GN_EINVAL, "%s", why) : gn__fail(GN_ENOMEM, "out of memory");
        }
    }
    *out = l;
    return GN_OK;
}

static void linear_learner_free(gn_kind_learner *l) {
    if (!l) return;
    if (l->owns_table) gn__table_free(l->table, l->nslots * l->stride * sizeof(float));
    free(l->scratch);
    if (l->owns_table) free(l->cross); /* shared learners borrow the owner's */
    gn__cross_buf_free(&l->xbuf);
    free(l);
}

static int linear_learner_share(gn_kind_learner *owner, gn_kind_learner **out) {
    gn_kind_learner *l = malloc(sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory");
    *l = *owner;
    l->owns_table = 0;
    l->scratch = NULL;
    l->scratch_cap = 0;
    memset(&l->xbuf, 0, sizeof l->xbuf);
    memset(l->sc, 0, sizeof l->sc);
    *out = l;
    return GN_OK;
}

/* Grows the per-example scratch of the FTRL learners (learn_ftrl_any's arrays: z, n, sqrt(n), the
 * weights, the normalized values and the new sqrt(n) of the example's slots, each padded to whole
 * vectors). */
#define FTRL_SCRATCH 6
static int scratch_reserve(gn_kind_learner *l, size_t n) {
    n = gn__ftrl_padded(n);
    if (n <= l->scratch_cap) return GN_OK;
    size_t cap = l->scratch_cap ? l->scratch_cap : 256;
    while (cap < n) cap *= 2;
    float *s = realloc(l->scratch, cap * FTRL_SCRATCH * sizeof *s);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    l->scratch = s;
    l->scratch_cap = cap;
    return GN_OK;
}

/* FTRL-Proximal closed form (McMahan et al. 2013, Algorithm 1) for one coordinate, given z and
 * r = sqrt(n), in double (the model's weights, held-out scores); the learning step computes it
 * four features at a time in float (learn/ftrl_vec.h). */
static GN_HOGWILD inline double ftrl_weight_r(double z, double r, double inv_alpha, double beta, double l1, double l2) {
    /* without a branch: whether |z| <= l1 is a coin toss per feature when l1 > 0, and a
     * mispredicted branch costs more than the division */
    const double a = fabs(z) - l1;
    const double shrunk = 0.5 * (a + fabs(a)); /* max(a, 0), exactly: fmax is a call, ?: a branch */
    return -copysign(shrunk, z) / ((beta + r) * inv_alpha + l2) + 0.0; /* + 0.0: never -0 */
}

/* The weight of the raw feature in slot c from FTRL's state. */
static GN_HOGWILD inline double ftrl_raw_weight(const gn_kind_learner *l, const float *c) {
    double v = ftrl_weight_r(c[FTRL_Z], sqrt((double)c[FTRL_N]), 1.0 / l->lr, l->beta, l->l1, l->l2);
    if (!l->normalized) return v;
    return v * c[FTRL_S];
}

/* The score of an example with the current weights (nothing learned). */
static GN_HOGWILD double score_current(const gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n) {
    const float *t = l->table;
    const uint32_t st = l->stride;
    double s = 0.0;
    if (l->opt == GN_OPT_FTRL) { /* the w column may be stale: use the closed form */
        for (size_t i = 0; i < n; i++) s += (double)(float)ftrl_raw_weight(l, t + (size_t)idx[i] * st) * val[i];
    } else {
        for (size_t i = 0; i < n; i++) s += (double)t[(size_t)idx[i] * st] * (double)val[i];
    }
    return s;
}

/* Counts an example in the running sums behind the update multiplier; returns the multiplier's
 * square sqrt-free form total weight / sum of normalized squared norms (1 before any data). */
static GN_HOGWILD inline double note_norm(gn_kind_learner *l, double wt, double norm) {
    l->sc[SC_WEIGHT] += wt;
    l->sc[SC_NORM] += wt * norm;
    return l->sc[SC_NORM] > 0 ? l->sc[SC_WEIGHT] / l->sc[SC_NORM] : 1.0;
}

/* One FTRL step on an example, vectorised (learn/ftrl_vec.h): the example's z, n (and normalized
 * values) are gathered into the scratch, the closed-form weights of all its features computed at
 * once, and the step likewise, then written back. Normalized (the default): z, n and the
 * closed-form weight v live in the space of x/s, and the score is sum v x/s; plain: s = 1. The
 * table's w column is not written here (the model's weights come from linear_sync). With
 * interactions a slot may appear twice in an example: then each feature's step reads and writes
 * the table as it stands (the batch merges the repeats of the example's own features). */
static GN_HOGWILD inline double learn_ftrl_any(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n,
                                               double y, double wt, const int normalized, const int unique) {
    float *t = l->table;
    const size_t cap = l->scratch_cap;
    float *zs = l->scratch, *ns = zs + cap, *rs = ns + cap, *vs = rs + cap, *xs = vs + cap, *r2 = xs + cap;
    const double inv_alpha = 1.0 / l->lr;
    const gn_ftrl_consts k = {(float)inv_alpha, (float)l->beta, (float)l->l1, (float)l->l2};
    for (size_t i = 0; i < n; i++) {
        float *c = t + (size_t)idx[i] * 4;
        const float x = val[i];
        if (normalized) {
            const float ax = fabsf(x);
            float inv_s = c[FTRL_S];
            /* a larger |x| than seen, or the first sight (a value of 0, never from the parsers,
             * leaves the slot unseen): the only division */
            if (ax * inv_s > 1.0f || (inv_s == 0.0f && ax > 0.0f)) c[FTRL_S] = inv_s = (float)(1.0 / ax);
            xs[i] = x * inv_s;
        } else {
            xs[i] = x;
        }
        zs[i] = c[FTRL_Z];
        ns[i] = c[FTRL_N];
    }
    gn__ftrl_pad(zs, ns, xs, n);
    const double s = gn__ftrl_weights(&k, zs, ns, xs, rs, vs, n);
    const double d = gn__loss_deriv(l->loss, s, y, l->tau) * wt;
    if (d == 0.0) return s;
    if (unique) {
        gn__ftrl_step(&k, (float)d, xs, rs, vs, zs, ns, n);
        for (size_t i = 0; i < n; i++) {
            float *c = t + (size_t)idx[i] * 4;
            c[FTRL_Z] = zs[i];
            c[FTRL_N] = ns[i];
        }
        return s;
    }
    for (size_t i = 0; i < n; i++) {
        float *c = t + (size_t)idx[i] * 4;
        const double g = d * xs[i];
        ns[i] = c[FTRL_N] = (float)((double)c[FTRL_N] + g * g);
    }
    gn__ftrl_sqrt(ns, r2, n);
    for (size_t i = 0; i < n; i++) {
        float *c = t + (size_t)idx[i] * 4;
        const double g = d * xs[i];
        const double sigma = ((double)r2[i] - rs[i]) * inv_alpha;
        c[FTRL_Z] = (float)(c[FTRL_Z] + g - sigma * vs[i]);
    }
    return s;
}

static GN_HOGWILD double learn_ftrl(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n, double y,
                                    double wt) {
    return l->cross ? learn_ftrl_any(l, idx, val, n, y, wt, 0, 0) : learn_ftrl_any(l, idx, val, n, y, wt, 0, 1);
}

static GN_HOGWILD double learn_ftrl_normalized(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n,
                                               double y, double wt) {
    return l->cross ? learn_ftrl_any(l, idx, val, n, y, wt, 1, 0) : learn_ftrl_any(l, idx, val, n, y, wt, 1, 1);
}

static GN_HOGWILD double learn_adagrad(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n,
                                       double y, double wt) {
    float *t = l->table;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)t[(size_t)idx[i] * 2] * val[i];
    double d = gn__loss_deriv(l->loss, s, y, l->tau) * wt;
    const double lr = l->lr, l2 = l->l2, l1 = l->l1;
    for (size_t i = 0; i < n; i++) {
        float *c = t + (size_t)idx[i] * 2;
        double g = d * val[i] + l2 * c[F_W];
        if (g == 0.0) continue;
        double g2 = c[ADA_G2] + g * g;
        c[ADA_G2] = (float)g2;
        double w = c[F_W] - lr * g / sqrt(g2);
        if (l1 > 0) { /* truncated step toward zero */
            double shrink = lr * l1 / sqrt(g2);
            w = w > shrink ? w - shrink : (w < -shrink ? w + shrink : 0.0);
        }
        c[F_W] = (float)w;
    }
    return s;
}

/* AdaGrad as VW's default learner (adaptive, normalized): the step of feature i is
 * lr * sqrt(N/T)^-1 * g_i / (s_i * sqrt(G_i)), with g_i the gradient of the raw weight. */
static GN_HOGWILD double learn_adagrad_normalized(gn_kind_learner *l, const uint32_t *idx, const float *val,
                                                  size_t n, double y,
                                       double wt) {
    float *t = l->table;
    double s = 0.0, norm = 0.0;
    for (size_t i = 0; i < n; i++) {
        float *c = t + (size_t)idx[i] * 4;
        const double x = val[i], ax = fabs(x);
        if (ax > c[ADA_S]) {
            if (c[ADA_S] > 0) c[F_W] = (float)(c[F_W] * (c[ADA_S] / ax)); /* as if always seen at this scale */
            c[ADA_S] = (float)ax;
        }
        const double xs = c[ADA_S] > 0 ? x / c[ADA_S] : 0.0;
        norm += xs * xs;
        s += (double)c[F_W] * x;
    }
    const double mult = sqrt(note_norm(l, wt, norm));
    double d = gn__loss_deriv(l->loss, s, y, l->tau) * wt;
    const double lr = l->lr * mult, l2 = l->l2, l1 = l->l1;
    for (size_t i = 0; i < n; i++) {
        float *c = t + (size_t)idx[i] * 4;
        const double sc = c[ADA_S];
        if (sc == 0) continue; /* only zero values seen so far: nothing to learn */
        double g = d * val[i] + l2 * sc * sc * c[F_W]; /* l2/2 (w s)^2 */
        if (g == 0.0) continue;
        double g2 = c[ADA_G2] + g * g;
        c[ADA_G2] = (float)g2;
        const double step = lr / (sc * sqrt(g2));
        double w = c[F_W] - step * g;
        if (l1 > 0) { /* l1 |w s|: truncated step toward zero */
            double shrink = step * l1 * sc;
            w = w > shrink ? w - shrink : (w < -shrink ? w + shrink : 0.0);
        }
        c[F_W] = (float)w;
    }
    return s;
}

static GN_HOGWILD double learn_sgd(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n,
                                   double y, double wt) {
    float *t = l->table;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)t[idx[i]] * val[i];
    double d = gn__loss_deriv(l->loss, s, y, l->tau) * wt;
    double eta = l->lr * pow(1.0 / (1.0 + l->sc[SC_STEPS]), l->power_t);
    l->sc[SC_STEPS] += wt;
    const double l2 = l->l2, l1 = l->l1;
    for (size_t i = 0; i < n; i++) {
        float *c = t + idx[i];
        double w = c[0] - eta * (d * val[i] + l2 * c[0]);
        if (l1 > 0) {
            double shrink = eta * l1;
            w = w > shrink ? w - shrink : (w < -shrink ? w + shrink : 0.0);
        }
        c[0] = (float)w;
    }
    return s;
}

/* SGD on normalized features (VW's --normalized without --adaptive): the step of feature i is
 * eta_t * (T/N) * g_i / s_i^2. */
static GN_HOGWILD double learn_sgd_normalized(gn_kind_learner *l, const uint32_t *idx, const float *val,
                                              size_t n, double y,
                                   double wt) {
    float *t = l->table;
    double s = 0.0, norm = 0.0;
    for (size_t i = 0; i < n; i++) {
        float *c = t + (size_t)idx[i] * 2;
        const double x = val[i], ax = fabs(x);
        if (ax > c[SGD_S]) {
            if (c[SGD_S] > 0) {
                const double r = c[SGD_S] / ax;
                c[F_W] = (float)(c[F_W] * r * r);
            }
            c[SGD_S] = (float)ax;
        }
        const double xs = c[SGD_S] > 0 ? x / c[SGD_S] : 0.0;
        norm += xs * xs;
        s += (double)c[F_W] * x;
    }
    const double mult = note_norm(l, wt, norm);
    double d = gn__loss_deriv(l->loss, s, y, l->tau) * wt;
    const double eta = l->lr * pow(1.0 / (1.0 + l->sc[SC_STEPS]), l->power_t) * mult;
    l->sc[SC_STEPS] += wt;
    const double l2 = l->l2, l1 = l->l1;
    for (size_t i = 0; i < n; i++) {
        float *c = t + (size_t)idx[i] * 2;
        const double sc = c[SGD_S];
        if (sc == 0) continue; /* only zero values seen so far: nothing to learn */
        double w = c[F_W] - eta * (d * val[i] / (sc * sc) + l2 * c[F_W]);
        if (l1 > 0) {
            double shrink = eta * l1 / sc;
            w = w > shrink ? w - shrink : (w < -shrink ? w + shrink : 0.0);
        }
        c[F_W] = (float)w;
    }
    return s;
}

static GN_HOGWILD int linear_learn_batch(gn_kind_learner *l, const gn_batch *b, const unsigned char *mode,
                                         double *scores) {
    const int ftrl = l->opt == GN_OPT_FTRL;
    for (size_t e = 0; e < b->n; e++) {
        const unsigned char m = mode ? mode[e] : GN__EX_LEARN;
        if (m == GN__EX_SKIP) continue;
        const size_t s0 = b->start[e], s1 = b->start[e + 1];
        const uint32_t *idx = b->index + s0;
        const float *val = b->value + s0;
        size_t n = s1 - s0;
        if (l->cross && b->xstart)
            GN_TRY(gn__cross_example(l->cross, b, e, (uint32_t)(l->nslots - 1), &l->xbuf, &idx, &val, &n));
        const double wt = b->weight[e];
        if (m == GN__EX_SCORE || wt == 0.0) {
            scores[e] = score_current(l, idx, val, n);
            continue;
        }
        if (l->prefetch && e + 1 < b->n) { /* fetch the next example's slots */
            const char *tb = (const char *)l->table;
            const size_t bytes = (size_t)l->stride * sizeof(float);
            for (size_t i = b->start[e + 1]; i < b->start[e + 2]; i++)
                __builtin_prefetch(tb + (size_t)b->index[i] * bytes, 1, 1);
        }
        if (ftrl) GN_TRY(scratch_reserve(l, n));
        const double y = b->label[e];
        switch (l->opt) {
        case GN_OPT_SGD:
            scores[e] = l->normalized ? learn_sgd_normalized(l, idx, val, n, y, wt) : learn_sgd(l, idx, val, n, y, wt);
            break;
        case GN_OPT_ADAGRAD:
            scores[e] = l->normalized ? learn_adagrad_normalized(l, idx, val, n, y, wt)
                                      : learn_adagrad(l, idx, val, n, y, wt);
            break;
        default:
            scores[e] = l->normalized ? learn_ftrl_normalized(l, idx, val, n, y, wt) : learn_ftrl(l, idx, val, n, y, wt);
            break;
        }
    }
    return GN_OK;
}

static uint32_t linear_learner_outputs(const gn_kind_learner *l) {
    (void)l;
    return 1;
}

static gn_kind_table linear_table(gn_kind_learner *l) {
    gn_kind_table t = {l->table, l->nslots, l->stride, -1};
    if (l->opt == GN_OPT_FTRL) t.count_field = FTRL_N;
    else if (l->opt == GN_OPT_ADAGRAD) t.count_field = ADA_G2;
    return t;
}

static void linear_sync(gn_kind_learner *l) {
    if (l->opt != GN_OPT_FTRL) return;
    float *t = l->table;
    for (size_t i = 0; i < l->nslots; i++) {
        float *c = t + i * 4;
        /* a slot never updated (z = n = 0) has weight 0, exactly: most of a large table */
        c[F_W] = c[FTRL_N] == 0.0f && c[FTRL_Z] == 0.0f ? 0.0f : (float)ftrl_raw_weight(l, c);
    }
}

static double *linear_scalars(gn_kind_learner *l, size_t *n) {
    *n = NSCALARS;
    return l->sc;
}

static size_t linear_weights_len(const gn_kind_learner *l) { return l->nslots; }

static void linear_get_weights(gn_kind_learner *l, float *dst) {
    if (l->opt != GN_OPT_FTRL) {
        for (size_t i = 0; i < l->nslots; i++) dst[i] = l->table[i * l->stride];
        return;
    }
    float *t = l->table;
    for (size_t i = 0; i < l->nslots; i++) { /* linear_sync and the copy in one pass */
        float *c = t + i * 4;
        dst[i] = c[F_W] = c[FTRL_N] == 0.0f && c[FTRL_Z] == 0.0f ? 0.0f : (float)ftrl_raw_weight(l, c);
    }
}

static void linear_set_weights(gn_kind_learner *l, const float *src) {
    for (size_t i = 0; i < l->nslots; i++) l->table[i * l->stride] = src[i];
}

static int linear_to_model(gn_kind_learner *l, const float *weights, gn_model **out) {
    gn_model *m;
    GN_TRY(gn__model_new(GN_KIND_LINEAR, l->loss, &l->spec, 1, &m));
    m->quantile_tau = l->tau;
    if (weights) memcpy(m->w, weights, l->nslots * sizeof *m->w);
    else linear_get_weights(l, m->w);
    *out = m;
    return GN_OK;
}

static gn_optimizer linear_optimizer(const gn_kind_learner *l) { return l->opt; }

const gn_kind gn__kind_linear = {
    .name = "linear",
    .id = GN_KIND_LINEAR,
    .weights_per_slot = 1,
    .outputs = linear_outputs,
    .score_batch = linear_score_batch,
    .score_context = linear_score_context,
    .header_keys = NULL,
    .header_write = NULL,
    .header_read = NULL,
    .top_weights = linear_top_weights,
    .learner_bytes = linear_learner_bytes,
    .learner_new = linear_learner_new,
    .learner_share = linear_learner_share,
    .learner_free = linear_learner_free,
    .learn_batch = linear_learn_batch,
    .learner_outputs = linear_learner_outputs,
    .table = linear_table,
    .sync = linear_sync,
    .scalars = linear_scalars,
    .weights_len = linear_weights_len,
    .get_weights = linear_get_weights,
    .set_weights = linear_set_weights,
    .to_model = linear_to_model,
    .optimizer = linear_optimizer,
};
