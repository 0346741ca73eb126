/* learn/learner.c: online linear learners (SGD, AdaGrad, FTRL-Proximal) over an interleaved
 * state table: slot i holds its weight followed by its optimizer state, so one update touches
 * one cache line. See learner.h for the contract. */
#include "learn/learner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash/hash.h"
#include "learn/loss.h"
#include "learn/split.h"
#include "model/model.h"
#include "util/error.h"
#include "util/mem.h"

struct gn_learner {
    gn_optimizer opt;
    gn_loss loss;
    gn_data_spec spec;
    double lr, l1, l2, beta, power_t, tau;
    uint32_t stride;       /* floats per slot: SGD 1, AdaGrad 2, FTRL 4 */
    size_t nslots;
    float *table;
    int owns_table;
    double t;              /* examples learned (SGD step decay) */
    uint64_t ho_mod, ho_lo, ho_hi, ho_seed;
    int ho_invert;
    gn_metrics_acc *eval;
    gn_learn_stats stats;
    double *scratch;       /* 2 x scratch_cap doubles for learn_ftrl */
    size_t scratch_cap;
};

int gn__learner_new(const gn_train_options *o, const gn_data_spec *spec, gn_learner **out) {
    gn_learner *l = calloc(1, sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory");
    l->opt = gn__resolve_optimizer(o->loss, o->optimizer);
    /* batch solvers keep weights only; their own state lives in learn/lbfgs.c */
    if (l->opt == GN_OPT_LBFGS || l->opt == GN_OPT_OWLQN) l->opt = GN_OPT_FTRL;
    l->loss = o->loss;
    l->spec = *spec;
    l->l1 = o->l1;
    l->l2 = o->l2;
    l->beta = o->ftrl_beta;
    l->power_t = o->power_t;
    l->tau = o->quantile_tau;
    switch (l->opt) {
    case GN_OPT_SGD: l->stride = 1; l->lr = o->lr > 0 ? o->lr : 0.5; break;
    case GN_OPT_ADAGRAD: l->stride = 2; l->lr = o->lr > 0 ? o->lr : 0.5; break;
    default: l->stride = 4; l->lr = o->lr > 0 ? o->lr : 0.1; break;
    }
    l->nslots = (size_t)1 << spec->bits;
    l->table = gn__table_alloc(l->nslots * l->stride * sizeof(float));
    if (!l->table) {
        size_t mib = (l->nslots * l->stride * sizeof(float)) >> 20;
        free(l);
        return gn__fail(GN_ENOMEM, "out of memory allocating a table of 2^%u slots (%zu MiB)", spec->bits, mib);
    }
    l->owns_table = 1;
    *out = l;
    return GN_OK;
}

void gn__learner_free(gn_learner *l) {
    if (!l) return;
    if (l->owns_table) gn__table_free(l->table, l->nslots * l->stride * sizeof(float));
    free(l->scratch);
    free(l);
}

int gn__learner_share(gn_learner *owner, gn_learner **out) {
    gn_learner *l = malloc(sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory");
    *l = *owner;
    l->owns_table = 0;
    l->scratch = NULL;
    l->scratch_cap = 0;
    l->eval = NULL;
    memset(&l->stats, 0, sizeof l->stats);
    *out = l;
    return GN_OK;
}

void gn__learner_set_heldout(gn_learner *l, uint64_t mod, uint64_t lo, uint64_t hi, uint64_t seed) {
    l->ho_mod = mod;
    l->ho_lo = lo;
    l->ho_hi = hi;
    l->ho_seed = seed;
}

void gn__learner_invert_heldout(gn_learner *l, int invert) { l->ho_invert = invert; }

void gn__learner_set_eval(gn_learner *l, gn_metrics_acc *acc) { l->eval = acc; }

gn_optimizer gn__learner_optimizer(const gn_learner *l) { return l->opt; }

double gn__learner_steps(const gn_learner *l) { return l->t; }
void gn__learner_set_steps(gn_learner *l, double steps) { l->t = steps; }

/* FTRL-Proximal closed form (McMahan et al. 2013, Algorithm 1) for one coordinate, given z and
 * r = sqrt(n). The learning loop has r at hand already; everything else goes through ftrl_weight. */
static inline double ftrl_weight_r(double z, double r, double inv_alpha, double beta, double l1, double l2) {
    if (fabs(z) <= l1) return 0.0;
    return -(z - (z < 0 ? -l1 : l1)) / ((beta + r) * inv_alpha + l2);
}

static inline float ftrl_weight(float z, float n, double alpha, double beta, double l1, double l2) {
    return (float)ftrl_weight_r(z, sqrt((double)n), 1.0 / alpha, beta, l1, l2);
}

double gn__learner_predict(const gn_learner *l, const uint32_t *idx, const float *val, size_t n) {
    const float *t = l->table;
    const uint32_t st = l->stride;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)t[(size_t)idx[i] * st] * (double)val[i];
    return s;
}

static inline int is_heldout(const gn_learner *l, uint64_t key) {
    if (!l->ho_mod) return 0;
    uint64_t r = gn__split_bucket(key, l->ho_seed, l->ho_mod);
    int in = r >= l->ho_lo && r < l->ho_hi;
    return l->ho_invert ? !in : in;
}

/* Grows the per-example scratch (weights and sqrt(n) of the example's slots, so that the update
 * pass does not recompute them). */
static int scratch_reserve(gn_learner *l, size_t n) {
    if (n <= l->scratch_cap) return GN_OK;
    size_t cap = l->scratch_cap ? l->scratch_cap : 256;
    while (cap < n) cap *= 2;
    double *s = realloc(l->scratch, cap * 2 * sizeof *s);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    l->scratch = s;
    l->scratch_cap = cap;
    return GN_OK;
}

static void learn_ftrl(gn_learner *l, const uint32_t *idx, const float *val, size_t n, double y, double wt) {
    float *t = l->table;
    const double inv_alpha = 1.0 / l->lr, beta = l->beta, l1 = l->l1, l2 = l->l2;
    double *wv = l->scratch, *sq = l->scratch + l->scratch_cap;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        float *c = t + (size_t)idx[i] * 4;
        const double r = sqrt((double)c[2]);
        const double w = ftrl_weight_r(c[1], r, inv_alpha, beta, l1, l2);
        c[0] = (float)w;
        wv[i] = (float)w;
        sq[i] = r;
        s += (double)(float)w * val[i];
    }
    double loss = gn__loss_value(l->loss, s, y, l->tau);
    l->stats.train_loss += wt * loss;
    l->stats.train_weight += wt;
    l->stats.train_examples++;
    double d = gn__loss_deriv(l->loss, s, y, l->tau) * wt;
    if (d == 0.0) return;
    for (size_t i = 0; i < n; i++) {
        float *c = t + (size_t)idx[i] * 4;
        const double g = d * val[i];
        const double n2 = (double)c[2] + g * g;
        const double sigma = (sqrt(n2) - sq[i]) * inv_alpha;
        c[1] = (float)(c[1] + g - sigma * wv[i]);
        c[2] = (float)n2;
    }
}

static void learn_adagrad(gn_learner *l, const uint32_t *idx, const float *val, size_t n, double y, double wt) {
    float *t = l->table;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)t[(size_t)idx[i] * 2] * val[i];
    double loss = gn__loss_value(l->loss, s, y, l->tau);
    l->stats.train_loss += wt * loss;
    l->stats.train_weight += wt;
    l->stats.train_examples++;
    double d = gn__loss_deriv(l->loss, s, y, l->tau) * wt;
    const double lr = l->lr, l2 = l->l2, l1 = l->l1;
    for (size_t i = 0; i < n; i++) {
        float *c = t + (size_t)idx[i] * 2;
        double g = d * val[i] + l2 * c[0];
        if (g == 0.0) continue;
        double g2 = c[1] + g * g;
        c[1] = (float)g2;
        double w = c[0] - lr * g / sqrt(g2);
        if (l1 > 0) { /* truncated step toward zero */
            double shrink = lr * l1 / sqrt(g2);
            w = w > shrink ? w - shrink : (w < -shrink ? w + shrink : 0.0);
        }
        c[0] = (float)w;
    }
}

static void learn_sgd(gn_learner *l, const uint32_t *idx, const float *val, size_t n, double y, double wt) {
    float *t = l->table;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)t[idx[i]] * val[i];
    double loss = gn__loss_value(l->loss, s, y, l->tau);
    l->stats.train_loss += wt * loss;
    l->stats.train_weight += wt;
    l->stats.train_examples++;
    double d = gn__loss_deriv(l->loss, s, y, l->tau) * wt;
    double eta = l->lr * pow(1.0 / (1.0 + l->t), l->power_t);
    l->t += wt;
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
}

int gn__learner_learn_batch(gn_learner *l, const gn_batch *b) {
    for (size_t e = 0; e < b->n; e++) {
        const size_t s0 = b->start[e], s1 = b->start[e + 1];
        const uint32_t *idx = b->index + s0;
        const float *val = b->value + s0;
        const size_t n = s1 - s0;
        const double y = b->label[e], wt = b->weight[e];
        if (is_heldout(l, b->key[e])) {
            double s = 0.0;
            if (l->opt == GN_OPT_FTRL) { /* weights may be stale: use the closed form */
                for (size_t i = 0; i < n; i++) {
                    const float *c = l->table + (size_t)idx[i] * 4;
                    s += (double)ftrl_weight(c[1], c[2], l->lr, l->beta, l->l1, l->l2) * val[i];
                }
            } else {
                s = gn__learner_predict(l, idx, val, n);
            }
            const double loss = gn__loss_value(l->loss, s, y, l->tau);
            l->stats.heldout_loss += wt * loss;
            if (l->eval) GN_TRY(gn_metrics_acc_add(l->eval, gn__link(l->loss, s), y, wt, loss));
            l->stats.heldout_weight += wt;
            l->stats.heldout_examples++;
            continue;
        }
        if (wt == 0.0) continue;
        if (e + 1 < b->n) { /* the table is far larger than the caches: fetch the next example's slots */
            const char *tb = (const char *)l->table;
            const size_t bytes = (size_t)l->stride * sizeof(float);
            for (size_t i = b->start[e + 1]; i < b->start[e + 2]; i++)
                __builtin_prefetch(tb + (size_t)b->index[i] * bytes, 1, 1);
        }
        switch (l->opt) {
        case GN_OPT_SGD: learn_sgd(l, idx, val, n, y, wt); break;
        case GN_OPT_ADAGRAD: learn_adagrad(l, idx, val, n, y, wt); break;
        default:
            GN_TRY(scratch_reserve(l, n));
            learn_ftrl(l, idx, val, n, y, wt);
            break;
        }
    }
    return GN_OK;
}

void gn__learner_take_stats(gn_learner *l, gn_learn_stats *out) {
    *out = l->stats;
    memset(&l->stats, 0, sizeof l->stats);
}

float *gn__learner_table(gn_learner *l, size_t *nslots, uint32_t *stride) {
    *nslots = l->nslots;
    *stride = l->stride;
    return l->table;
}

void gn__learner_average(gn_learner *const *ls, size_t n) {
    if (n < 2) return;
    const size_t total = ls[0]->nslots * ls[0]->stride;
    const float inv = 1.0f / (float)n;
    for (size_t i = 0; i < total; i++) {
        double sum = 0.0;
        for (size_t k = 0; k < n; k++) sum += ls[k]->table[i];
        float v = (float)(sum * inv);
        for (size_t k = 0; k < n; k++) ls[k]->table[i] = v;
    }
}

void gn__learner_sync_weights(gn_learner *l) {
    if (l->opt != GN_OPT_FTRL) return;
    float *t = l->table;
    for (size_t i = 0; i < l->nslots; i++) {
        float *c = t + i * 4;
        c[0] = ftrl_weight(c[1], c[2], l->lr, l->beta, l->l1, l->l2);
    }
}

void gn__learner_weights(gn_learner *l, float *dst) {
    gn__learner_sync_weights(l);
    for (size_t i = 0; i < l->nslots; i++) dst[i] = l->table[i * l->stride];
}

void gn__learner_set_weights(gn_learner *l, const float *src) {
    for (size_t i = 0; i < l->nslots; i++) l->table[i * l->stride] = src[i];
}

int gn__learner_to_model(gn_learner *l, gn_model **out) {
    gn_model *m;
    GN_TRY(gn__model_new(GN_KIND_LINEAR, l->loss, &l->spec, 1, &m));
    m->quantile_tau = l->tau;
    gn__learner_weights(l, m->w);
    *out = m;
    return GN_OK;
}
