/* model/kinds/fm.c: the factorization-machine model kind (Rendle, "Factorization Machines", 2010),
 * --kind fm --rank K, for the binary (logistic, hinge) and regression (squared) losses. A model
 * has 1 + K weights per hash slot: the feature's linear weight w, then its K latent factors v.
 * An example's score is
 *
 *   sum_i w_i x_i + 1/2 sum_f [(sum_i v_if x_i)^2 - sum_i v_if^2 x_i^2]
 *
 * (the bias is the constant feature of slot 0, a feature like any other), computed in
 * O(K * features). The online learners are SGD and AdaGrad for both parts (no FTRL: factors have
 * no closed form); the linear part learns as the linear kind's (normalized or not, l1, l2: see
 * linear.c), the factors plainly, from d score / d v_if = x_i (sum_j v_jf x_j - v_if x_i), with
 * their own l2 (fm_l2) and learning rate (fm_lr; auto: 0.1 with adagrad, lr with sgd). One
 * table row per slot keeps everything an example touches together:
 *
 *   optimizer  row
 *   sgd        {s, w, v_1..v_K}
 *   adagrad    {s, w, g2, v_1..v_K, g2_1..g2_K}
 *
 * s is the largest |x| seen (normalized updates; unused otherwise). Factors start uniform in
 * [-fm_init, fm_init], from a hash of (seed, slot, factor), so that every learner made with the
 * same options (threads, folds, resumes) starts from the same table. The model-file header key
 * fm_rank repeats K. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "learn/loss.h"
#include "learn/train_internal.h"
#include "model/kind.h"
#include "model/kinds/factor_table.h"
#include "model/model.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/racy.h"

#define FM_MAX_RANK (GN__MODEL_MAX_WEIGHTS_PER_SLOT - 1)

/* ================================================================ the model */

static uint32_t fm_outputs(const gn_model *m) {
    (void)m;
    return 1;
}

/* Adds features [from, to) of a row to an example's running sums: lin (sum w x), sq (sum over f
 * of (v_f x)^2) and sum[f] (sum v_f x). One loop for whole rows and for a context continued by
 * candidates, so both add in the same order and agree bit for bit. */
static inline void fm_accumulate(const gn_model *m, const uint32_t *idx, const float *val, size_t from, size_t to,
                                 double *lin, double *sq, double *sum) {
    const size_t st = m->weights_per_slot, k = st - 1;
    double l = *lin, q = *sq;
    for (size_t i = from; i < to; i++) {
        const float *r = m->w + (size_t)idx[i] * st;
        const double x = val[i];
        l += (double)r[0] * x;
        for (size_t f = 0; f < k; f++) {
            const double vx = (double)r[1 + f] * x;
            sum[f] += vx;
            q += vx * vx;
        }
    }
    *lin = l;
    *sq = q;
}

static inline double fm_finish(size_t k, double lin, double sq, const double *sum) {
    double pair = 0.0;
    for (size_t f = 0; f < k; f++) pair += sum[f] * sum[f];
    return lin + 0.5 * (pair - sq);
}

static void fm_score_batch(const gn_model *m, const gn_rows *rows, double *out) {
    const size_t k = m->weights_per_slot - 1;
    double sum[FM_MAX_RANK];
    for (size_t e = 0; e < rows->n; e++) {
        double lin = 0.0, sq = 0.0;
        for (size_t f = 0; f < k; f++) sum[f] = 0.0;
        fm_accumulate(m, rows->index, rows->value, rows->start[e], rows->start[e + 1], &lin, &sq, sum);
        out[e] = fm_finish(k, lin, sq, sum);
    }
}

/* The FM trick for candidates sharing a context: the context's lin, sq and factor sums once
 * (O(K x context features)), then per candidate only its own features (O(K x its features)),
 * continuing from a copy of the context's sums: each score equals fm_score_batch's for the
 * joined row, bit for bit. */
static void fm_score_context(const gn_model *m, const uint32_t *cidx, const float *cval, size_t cn,
                             const gn_rows *cands, double *out) {
    const size_t k = m->weights_per_slot - 1;
    double csum[FM_MAX_RANK], sum[FM_MAX_RANK], clin = 0.0, csq = 0.0;
    for (size_t f = 0; f < k; f++) csum[f] = 0.0;
    fm_accumulate(m, cidx, cval, 0, cn, &clin, &csq, csum);
    for (size_t e = 0; e < cands->n; e++) {
        double lin = clin, sq = csq;
        memcpy(sum, csum, k * sizeof *sum);
        fm_accumulate(m, cands->index, cands->value, cands->start[e], cands->start[e + 1], &lin, &sq, sum);
        out[e] = fm_finish(k, lin, sq, sum);
    }
}

static int fm_top_weights(const gn_model *m, size_t k, uint32_t *slots, float *values, size_t *n_out) {
    /* the linear weights (the factors have no single meaning) */
    return gn__top_strided(m->w, m->nweights / m->weights_per_slot, m->weights_per_slot, k, slots, values, n_out);
}

static const char *const fm_header_keys[] = {"fm_rank", NULL};

static int fm_header_write(const gn_model *m, json_t *hdr) {
    return json_object_set_new(hdr, "fm_rank", json_integer((json_int_t)m->weights_per_slot - 1)) == 0
               ? GN_OK
               : gn__fail(GN_ENOMEM, "out of memory");
}

static int fm_header_read(gn_model *m, const json_t *hdr, const char *path) {
    const json_t *r = json_object_get(hdr, "fm_rank");
    if (!json_is_integer(r) || json_integer_value(r) < 1 || json_integer_value(r) > FM_MAX_RANK)
        return gn__fail(GN_EFORMAT, "%s: header: an fm model needs fm_rank, an integer in [1, %u]", path,
                        (unsigned)FM_MAX_RANK);
    if ((json_int_t)m->weights_per_slot != json_integer_value(r) + 1)
        return gn__fail(GN_EFORMAT, "%s: header: fm_rank %lld needs %lld weights per slot, not %u", path,
                        (long long)json_integer_value(r), (long long)json_integer_value(r) + 1,
                        (unsigned)m->weights_per_slot);
    if (m->loss != GN_LOSS_LOGISTIC && m->loss != GN_LOSS_HINGE && m->loss != GN_LOSS_SQUARED)
        return gn__fail(GN_EFORMAT, "%s: header: an fm model needs loss logistic, hinge or squared, not %s", path,
                        gn_loss_name(m->loss));
    return GN_OK;
}

/* ================================================================ the learners */

enum { R_S = GN__FTAB_S, R_W = GN__FTAB_W, SC_STEPS = GN__FTAB_STEPS };

struct gn_kind_learner {
    gn__ftab ft; /* the table (factor_table.h): nfac is the rank */
    gn_loss loss;
    gn_data_spec spec;
    double lr, l1, l2, power_t, fm_l2, fm_lr;
    int normalized;
    double sum[FM_MAX_RANK]; /* per example: sum_i v_if x_i */
};
_Static_assert(offsetof(struct gn_kind_learner, ft) == 0, "factor_table.h views the learner as its gn__ftab");

/* The optimizer an fm learner runs: sgd, or adagrad (also for auto; others are refused by
 * gn_train_options_check). */
static gn_optimizer fm_opt(const gn_train_options *o) { return o->optimizer == GN_OPT_SGD ? GN_OPT_SGD : GN_OPT_ADAGRAD; }

static uint64_t fm_learner_bytes(const gn_train_options *o, const gn_data_spec *spec) {
    const uint32_t k = o->fm_rank >= 1 && o->fm_rank <= FM_MAX_RANK ? o->fm_rank : 1;
    return ((uint64_t)1 << spec->bits) * gn__ftab_stride(fm_opt(o), k) * sizeof(float);
}

static int fm_learner_new(const gn_train_options *o, const gn_data_spec *spec, gn_kind_learner **out) {
    if (o->loss != GN_LOSS_LOGISTIC && o->loss != GN_LOSS_HINGE && o->loss != GN_LOSS_SQUARED)
        return gn__fail(GN_EINVAL, "kind fm takes loss logistic, hinge or squared, not %s", gn_loss_name(o->loss));
    if (o->fm_rank < 1 || o->fm_rank > FM_MAX_RANK)
        return gn__fail(GN_EINVAL, "rank must be in [1, %u] (got %u)", (unsigned)FM_MAX_RANK, (unsigned)o->fm_rank);
    if (o->optimizer != GN_OPT_AUTO && o->optimizer != GN_OPT_SGD && o->optimizer != GN_OPT_ADAGRAD)
        return gn__fail(GN_EINVAL, "kind fm takes optimizer sgd or adagrad, not %s", gn_optimizer_name(o->optimizer));
    if (!(o->fm_init >= 0) || !isfinite(o->fm_init))
        return gn__fail(GN_EINVAL, "fm_init must be >= 0 (got %g)", o->fm_init);
    gn_kind_learner *l = calloc(1, sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory");
    const gn_optimizer opt = fm_opt(o);
    l->loss = o->loss;
    l->spec = *spec;
    gn_train_options resolved = *o;
    gn__train_options_resolve(&resolved);
    l->l1 = resolved.l1;
    l->l2 = o->l2;
    l->fm_l2 = o->fm_l2;
    l->power_t = o->power_t;
    l->normalized = o->normalize;
    l->lr = o->lr > 0 ? o->lr : gn__default_lr(opt);
    l->fm_lr = o->fm_lr > 0 ? o->fm_lr : opt == GN_OPT_ADAGRAD ? 0.1 : l->lr;
    const size_t bytes = gn__ftab_alloc(&l->ft, opt, o->fm_rank, spec->bits, o->fm_init, o->seed, 0);
    if (!l->ft.table) {
        free(l);
        return gn__fail(GN_ENOMEM, "out of memory allocating a table of 2^%u slots x rank %u (%zu MiB)", spec->bits,
                        (unsigned)o->fm_rank, bytes >> 20);
    }
    *out = l;
    return GN_OK;
}

static void fm_learner_free(gn_kind_learner *l) {
    if (!l) return;
    gn__ftab_free(&l->ft);
    free(l);
}

static int fm_learner_share(gn_kind_learner *owner, gn_kind_learner **out) {
    gn_kind_learner *l = malloc(sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory");
    *l = *owner;
    gn__ftab_share(&l->ft);
    *out = l;
    return GN_OK;
}

/* The score of an example with the current table, leaving sum_i v_if x_i in l->sum; with
 * `learn`, first updates each feature's scale s (normalized) and returns the example's normalized
 * squared norm in *norm. */
static GN_HOGWILD double score_row(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n, int learn,
                                   double *norm) {
    const size_t k = l->ft.nfac, st = l->ft.stride, vb = l->ft.vbase;
    double *sum = l->sum, lin = 0.0, sq = 0.0, nm = 0.0;
    for (size_t f = 0; f < k; f++) sum[f] = 0.0;
    for (size_t i = 0; i < n; i++) {
        float *c = l->ft.table + (size_t)idx[i] * st;
        const double x = val[i];
        if (learn && l->normalized) nm += gn__ftab_rescale(c, x, l->ft.opt);
        lin += (double)c[R_W] * x;
        const float *v = c + vb;
        for (size_t f = 0; f < k; f++) {
            const double vx = (double)v[f] * x;
            sum[f] += vx;
            sq += vx * vx;
        }
    }
    double pair = 0.0;
    for (size_t f = 0; f < k; f++) pair += sum[f] * sum[f];
    if (norm) *norm = nm;
    return lin + 0.5 * (pair - sq);
}

/* One example: scores it, then one step of the optimizer on both parts. */
static GN_HOGWILD double learn_one(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n, double y,
                                   double wt) {
    double norm = 0.0;
    const double s = score_row(l, idx, val, n, 1, &norm);
    const double d = gn__loss_deriv(l->loss, s, y, 0.5) * wt;
    const size_t k = l->ft.nfac, st = l->ft.stride, vb = l->ft.vbase;
    const double *sum = l->sum;
    const double l1 = l->l1, l2 = l->l2, fl2 = l->fm_l2;
    if (l->ft.opt == GN_OPT_ADAGRAD) {
        const double mult = l->normalized ? sqrt(gn__ftab_note_norm(&l->ft, wt, norm)) : 1.0;
        const double lr = l->lr * mult, vlr = l->fm_lr;
        for (size_t i = 0; i < n; i++) {
            float *c = l->ft.table + (size_t)idx[i] * st;
            const double x = val[i];
            const double sc = l->normalized ? c[R_S] : 1.0;
            if (sc == 0) continue; /* only zero values seen so far: nothing to learn */
            gn__ftab_ada_w(c, d * x + l2 * sc * sc * c[R_W], lr, sc, l1);
            float *v = c + vb, *vg = v + k;
            for (size_t f = 0; f < k; f++) {
                const double gv = d * x * (sum[f] - (double)v[f] * x) + fl2 * v[f];
                if (gv == 0.0) continue;
                const double g2 = vg[f] + gv * gv;
                vg[f] = (float)g2;
                v[f] = (float)(v[f] - vlr * gv / sqrt(g2));
            }
        }
    } else {
        const double mult = l->normalized ? gn__ftab_note_norm(&l->ft, wt, norm) : 1.0;
        const double decay = pow(1.0 / (1.0 + l->ft.sc[SC_STEPS]), l->power_t);
        const double eta = l->lr * decay * mult, veta = l->fm_lr * decay;
        l->ft.sc[SC_STEPS] += wt;
        for (size_t i = 0; i < n; i++) {
            float *c = l->ft.table + (size_t)idx[i] * st;
            const double x = val[i];
            const double sc = l->normalized ? c[R_S] : 1.0;
            if (sc == 0) continue;
            gn__ftab_sgd_w(c, d, x, sc, eta, l1, l2);
            float *v = c + vb;
            for (size_t f = 0; f < k; f++)
                v[f] = (float)(v[f] - veta * (d * x * (sum[f] - (double)v[f] * x) + fl2 * v[f]));
        }
    }
    return s;
}

static GN_HOGWILD int fm_learn_batch(gn_kind_learner *l, const gn_batch *b, const unsigned char *mode,
                                     double *scores) {
    return gn__ftab_learn_batch(l, &l->ft, b, mode, scores, NULL, score_row, learn_one);
}

static int fm_to_model(gn_kind_learner *l, const float *weights, gn_model **out) {
    return gn__ftab_to_model(l, GN_KIND_FM, l->loss, &l->spec, weights, out);
}

const gn_kind gn__kind_fm = {
    .name = "fm",
    .id = GN_KIND_FM,
    .weights_per_slot = 0, /* 1 + rank: header_read checks it */
    .outputs = fm_outputs,
    .score_batch = fm_score_batch,
    .score_context = fm_score_context,
    .header_keys = fm_header_keys,
    .header_write = fm_header_write,
    .header_read = fm_header_read,
    .top_weights = fm_top_weights,
    .learner_bytes = fm_learner_bytes,
    .learner_new = fm_learner_new,
    .learner_share = fm_learner_share,
    .learner_free = fm_learner_free,
    .learn_batch = fm_learn_batch,
    .learner_outputs = gn__ftab_outputs,
    .table = gn__ftab_table,
    .sync = gn__ftab_sync,
    .scalars = gn__ftab_scalars,
    .weights_len = gn__ftab_weights_len,
    .get_weights = gn__ftab_get_weights,
    .set_weights = gn__ftab_set_weights,
    .to_model = fm_to_model,
    .optimizer = gn__ftab_optimizer,
};
