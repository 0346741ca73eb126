/* learn/learner.c: the kind-agnostic part of an online learner (see learner.h): holdout
 * selection, loss sums and evaluation from the scores the kind's learn_batch returns; everything
 * about tables and updates is the kind's (src/model/kinds/). */
#include "learn/learner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn/class_weights.h"
#include "learn/loss.h"
#include "learn/score_eval.h"
#include "learn/split.h"
#include "learn/train_internal.h"
#include "model/model.h"
#include "util/error.h"

struct gn_learner {
    const gn_kind *kind;
    gn_kind_learner *kl;
    gn_loss loss;
    gn_optimizer opt;
    double tau, lr;        /* lr: the resolved rate, for messages */
    uint32_t outputs;
    uint64_t ho_mod, ho_lo, ho_hi, ho_seed;
    gn_metrics_acc *eval;
    gn_learn_stats stats;
    unsigned char *mode;   /* per example of the batch being learned */
    double *scores;        /* outputs per example */
    float *weights;        /* with class weights: the batch's weights times its classes' */
    size_t cap;
    double *cw;            /* class weights (learn/class_weights.h), ncw of them; NULL: none */
    size_t ncw;
    int cw_binary;
};

static int alloc_learner(gn_learner **out, const gn_kind *kind, const gn_train_options *o) {
    gn_learner *l = calloc(1, sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory");
    l->kind = kind;
    l->loss = o->loss;
    l->opt = gn__resolve_optimizer(o->loss, o->optimizer);
    l->tau = o->quantile_tau;
    l->lr = o->lr;
    *out = l;
    return GN_OK;
}

int gn__learner_new(const gn_train_options *o, const gn_data_spec *spec, gn_learner **out) {
    const gn_kind *kind = gn__kind_by_id(o->kind);
    if (!kind) return gn__fail(GN_EINVAL, "kind %d is not known to this gannet", (int)o->kind);
    if (!kind->learner_new) /* mf: gn_train's own solvers (learn/mf_train.c) */
        return gn__fail(GN_EUNSUPPORTED, "kind %s is trained by gannet train alone (not cv, tune or online learners)",
                        kind->name);
    /* interactions are crossed inside the kind's learning loop (io/cross.h): only the linear,
     * softmax and oaa kinds do so yet, and another would silently learn without the crosses */
    if (spec->interactions[0] && o->kind != GN_KIND_LINEAR && o->kind != GN_KIND_SOFTMAX && o->kind != GN_KIND_OAA)
        return gn__fail(GN_EUNSUPPORTED,
                        "--interactions: the %s kind does not cross features yet (linear, softmax and oaa only)",
                        kind->name);
    gn_learner *l = NULL;
    GN_TRY(alloc_learner(&l, kind, o));
    int st = kind->learner_new(o, spec, &l->kl);
    if (st != GN_OK) {
        free(l);
        return st;
    }
    l->outputs = kind->learner_outputs(l->kl);
    *out = l;
    return GN_OK;
}

void gn__learner_free(gn_learner *l) {
    if (!l) return;
    if (l->kl) l->kind->learner_free(l->kl);
    free(l->mode);
    free(l->scores);
    free(l->weights);
    free(l->cw);
    free(l);
}

int gn__learner_set_class_weights(gn_learner *l, const double *cw, size_t n, int binary) {
    double *c = NULL;
    if (n) {
        c = malloc(n * sizeof *c);
        if (!c) return gn__fail(GN_ENOMEM, "out of memory");
        memcpy(c, cw, n * sizeof *c);
    }
    free(l->cw);
    l->cw = c;
    l->ncw = n;
    l->cw_binary = binary;
    l->cap = 0; /* reserve() makes room for the weights too */
    return GN_OK;
}

int gn__learner_share(gn_learner *owner, gn_learner **out) {
    gn_learner *l = malloc(sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory");
    *l = *owner;
    l->kl = NULL;
    l->eval = NULL;
    l->mode = NULL;
    l->scores = NULL;
    l->weights = NULL;
    l->cap = 0;
    l->cw = NULL;
    l->ncw = 0;
    memset(&l->stats, 0, sizeof l->stats);
    int st = owner->kind->learner_share(owner->kl, &l->kl);
    if (st == GN_OK) st = gn__learner_set_class_weights(l, owner->cw, owner->ncw, owner->cw_binary);
    if (st != GN_OK) {
        if (l->kl) owner->kind->learner_free(l->kl);
        free(l);
        return st;
    }
    *out = l;
    return GN_OK;
}

void gn__learner_set_heldout(gn_learner *l, uint64_t mod, uint64_t lo, uint64_t hi, uint64_t seed) {
    l->ho_mod = mod;
    l->ho_lo = lo;
    l->ho_hi = hi;
    l->ho_seed = seed;
}

void gn__learner_set_eval(gn_learner *l, gn_metrics_acc *acc) { l->eval = acc; }

static int reserve(gn_learner *l, size_t n) {
    if (n <= l->cap) return GN_OK;
    size_t cap = l->cap ? l->cap : 1024;
    while (cap < n) cap *= 2;
    unsigned char *m = realloc(l->mode, cap);
    if (!m) return gn__fail(GN_ENOMEM, "out of memory");
    l->mode = m;
    double *s = realloc(l->scores, cap * l->outputs * sizeof *s);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    l->scores = s;
    if (l->ncw) {
        float *w = realloc(l->weights, cap * sizeof *w);
        if (!w) return gn__fail(GN_ENOMEM, "out of memory");
        l->weights = w;
    }
    l->cap = cap;
    return GN_OK;
}

int gn__learner_fail_diverged(const gn_learner *l) {
    return gn__fail_diverged(l->lr, l->opt, "a score is no longer finite");
}

int gn__learner_run(gn_learner *l, const gn_batch *b, const unsigned char *mode, double *scores) {
    return l->kind->learn_batch(l->kl, b, mode, scores);
}

uint32_t gn__learner_outputs(const gn_learner *l) { return l->outputs; }

int gn__learner_learn_batch(gn_learner *l, const gn_batch *b_in) {
    GN_TRY(reserve(l, b_in->n));
    gn_batch view;
    const gn_batch *b = b_in;
    if (l->ncw) { /* the same examples, each weighed by its class */
        view = *b_in;
        memcpy(l->weights, b_in->weight, b_in->n * sizeof *l->weights);
        gn__class_weights_apply(l->cw, l->ncw, l->cw_binary, b_in->label, l->weights, b_in->n);
        view.weight = l->weights;
        b = &view;
    }
    for (size_t e = 0; e < b->n; e++) {
        int held = 0;
        if (l->ho_mod) {
            const uint64_t r = gn__split_bucket(b->key[e], l->ho_seed, l->ho_mod);
            held = r >= l->ho_lo && r < l->ho_hi;
        }
        l->mode[e] = held ? GN__EX_SCORE : GN__EX_LEARN;
    }
    GN_TRY(l->kind->learn_batch(l->kl, b, l->mode, l->scores));
    const size_t k = l->outputs;
    for (size_t e = 0; e < b->n; e++) {
        double *row = l->scores + e * k;
        const double s = row[0], y = b->label[e];
        if (l->mode[e] == GN__EX_SCORE) {
            /* held out: measured with the example's own weight (class weights shape learning,
             * not the measure) */
            const double wt = b_in->weight[e];
            const double loss = gn__loss_row(l->loss, row, k, y, l->tau);
            l->stats.heldout_loss += wt * loss;
            l->stats.heldout_weight += wt;
            l->stats.heldout_examples++;
            if (l->eval && !isfinite(loss)) return gn__learner_fail_diverged(l);
            if (l->eval) GN_TRY(gn__metrics_add_scores(l->eval, l->loss, l->tau, row, k, y, wt, NULL));
        } else if (b->weight[e] != 0.0) {
            const double wt = b->weight[e];
            l->stats.train_loss += wt * (k == 1 ? gn__loss_value(l->loss, s, y, l->tau) : gn__loss_row(l->loss, row, k, y, l->tau));
            l->stats.train_weight += wt;
            l->stats.train_examples++;
        }
    }
    return GN_OK;
}

void gn__learner_take_stats(gn_learner *l, gn_learn_stats *out) {
    *out = l->stats;
    memset(&l->stats, 0, sizeof l->stats);
}

gn_kind_table gn__learner_table(gn_learner *l) { return l->kind->table(l->kl); }

void gn__learner_average(gn_learner *const *ls, size_t n) {
    if (n < 2) return;
    gn_kind_table t0 = gn__learner_table(ls[0]);
    const size_t total = t0.nslots * t0.stride;
    const float inv = 1.0f / (float)n;
    float **tab = malloc(n * sizeof *tab);
    if (!tab) return; /* cannot happen in practice: then the tables stay apart this pass */
    for (size_t k = 0; k < n; k++) tab[k] = gn__learner_table(ls[k]).data;
    for (size_t i = 0; i < total; i++) {
        double sum = 0.0;
        for (size_t k = 0; k < n; k++) sum += tab[k][i];
        float v = (float)(sum * inv);
        for (size_t k = 0; k < n; k++) tab[k][i] = v;
    }
    free(tab);
}

void gn__learner_sync_weights(gn_learner *l) { l->kind->sync(l->kl); }
size_t gn__learner_weights_len(const gn_learner *l) { return l->kind->weights_len(l->kl); }
void gn__learner_weights(gn_learner *l, float *dst) { l->kind->get_weights(l->kl, dst); }
void gn__learner_set_weights(gn_learner *l, const float *src) { l->kind->set_weights(l->kl, src); }
double *gn__learner_scalars(gn_learner *l, size_t *n) { return l->kind->scalars(l->kl, n); }
int gn__learner_to_model(gn_learner *l, const float *weights, gn_model **out) {
    return l->kind->to_model(l->kl, weights, out);
}
gn_optimizer gn__learner_optimizer(const gn_learner *l) { return l->kind->optimizer(l->kl); }
