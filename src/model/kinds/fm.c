/* model/kinds/fm.c: the factorization-machine model kind (Rendle, "Factorization Machines", 2010),
 * --kind fm --rank K, for the binary (logistic, hinge), regression (squared) and multiclass
 * (softmax over C classes) losses. A model has 1 + K weights per hash slot: the feature's linear
 * weight w, then its K latent factors v. An example's score is
 *
 *   sum_i w_i x_i + 1/2 sum_f [(sum_i v_if x_i)^2 - sum_i v_if^2 x_i^2]
 *
 * (the bias is the constant feature of slot 0, a feature like any other), computed in
 * O(K * features). Under softmax each class c has its own w and v, C scores from the same formula
 * (O(C * K * features)), and a slot holds C (1 + K) weights: {w_0..w_{C-1}, v_0[K] .. v_{C-1}[K]},
 * so that an example touches one contiguous row per feature.
 *
 * The online learners are SGD and AdaGrad for both parts (no FTRL: factors have no closed form);
 * the linear part learns as the linear kind's (normalized or not, l1, l2: see linear.c), the
 * factors plainly, from d score / d v_if = x_i (sum_j v_jf x_j - v_if x_i), with their own l2
 * (fm_l2) and learning rate (fm_lr; auto: 0.2 with adagrad, lr with sgd; with normalized updates
 * divided by the feature's scale s, s^2 with sgd: gn__ftab_rescale), each times the loss's
 * derivative in the score (softmax: p_c - [c == y] in class c's score). One table row per slot
 * keeps everything an example touches together (factor_table.h; C = 1 but for softmax):
 *
 *   optimizer  row
 *   sgd        {s, w[C], v[C][K]}
 *   adagrad    {s, w[C], g2[C], v[C][K], g2[C][K]}   (the factors' sums start at 1, as libffm's)
 *
 * s is the largest |x| seen (normalized updates; unused otherwise). Factors start uniform in
 * [-fm_init, fm_init], from a hash of (seed, slot, factor), so that every learner made with the
 * same options (threads, folds, resumes) starts from the same table. The model-file header key
 * fm_rank repeats K; a softmax model's C is its classes (the "labels" key and spec nclasses). */
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
/* most factors (classes x rank) and classes in a row */
#define FM_MAX_FACTORS (GN__MODEL_MAX_WEIGHTS_PER_SLOT - 1)
#define FM_MAX_OUTPUTS GN__FTAB_MAX_CLASSES

/* Checks a rank for nw outputs: nw (1 + rank) weights must fit a model's row. */
static int check_rank(uint32_t rank, uint32_t nw) {
    if (rank < 1 || rank > FM_MAX_RANK)
        return gn__fail(GN_EINVAL, "rank must be in [1, %u] (got %u)", (unsigned)FM_MAX_RANK, (unsigned)rank);
    if ((uint64_t)nw * (1 + rank) > GN__MODEL_MAX_WEIGHTS_PER_SLOT)
        return gn__fail(GN_EINVAL,
                        "kind fm: %u classes x (1 + rank %u) = %u weights per feature, more than the %u a model "
                        "holds: lower --rank (at most %u)",
                        (unsigned)nw, (unsigned)rank, (unsigned)(nw * (1 + rank)), GN__MODEL_MAX_WEIGHTS_PER_SLOT,
                        (unsigned)(GN__MODEL_MAX_WEIGHTS_PER_SLOT / nw - 1));
    return GN_OK;
}

/* ================================================================ the model */

static uint32_t fm_outputs(const gn_model *m) { return gn__ftab_model_outputs(m); }

/* Adds features [from, to) of a row to an example's running sums for nw outputs of k factors
 * (rows {w[nw], v[nw][k]}): lin[c] (sum w x), sq[c] (sum over f of (v_cf x)^2) and sum[c k + f]
 * (sum v_cf x). One loop for whole rows and for a context continued by candidates, so both add
 * in the same order and agree bit for bit. Inlined with nw = 1 for the one-output losses. */
static inline __attribute__((always_inline)) void fm_accumulate(const gn_model *m, const uint32_t *idx,
                                                                const float *val, size_t from, size_t to, size_t nw,
                                                                double *lin, double *sq, double *sum) {
    const size_t st = m->weights_per_slot, k = (st - nw) / nw;
    for (size_t i = from; i < to; i++) {
        const float *r = m->w + (size_t)idx[i] * st;
        const double x = val[i];
        for (size_t c = 0; c < nw; c++) lin[c] += (double)r[c] * x;
        const float *v = r + nw;
        for (size_t c = 0; c < nw; c++)
            for (size_t f = 0; f < k; f++) {
                const double vx = (double)v[c * k + f] * x;
                sum[c * k + f] += vx;
                sq[c] += vx * vx;
            }
    }
}

static inline __attribute__((always_inline)) void fm_finish(size_t nw, size_t k, const double *lin,
                                                            const double *sq, const double *sum, double *s) {
    for (size_t c = 0; c < nw; c++) {
        double pair = 0.0;
        for (size_t f = 0; f < k; f++) pair += sum[c * k + f] * sum[c * k + f];
        s[c] = lin[c] + 0.5 * (pair - sq[c]);
    }
}

/* An example's nw scores into s; sum is scratch of nw * k doubles. */
static inline __attribute__((always_inline)) void fm_score_row(const gn_model *m, const gn_rows *rows, size_t e,
                                                               size_t nw, double *sum, double *s) {
    const size_t k = (m->weights_per_slot - nw) / nw;
    double lin[FM_MAX_OUTPUTS], sq[FM_MAX_OUTPUTS];
    for (size_t c = 0; c < nw; c++) lin[c] = sq[c] = 0.0;
    for (size_t f = 0; f < nw * k; f++) sum[f] = 0.0;
    fm_accumulate(m, rows->index, rows->value, rows->start[e], rows->start[e + 1], nw, lin, sq, sum);
    fm_finish(nw, k, lin, sq, sum, s);
}

/* The FM trick for candidates sharing a context (one-output models: rank.c refuses multiclass
 * ones): the context's lin, sq and factor sums once (O(K x context features)), then per
 * candidate only its own features (O(K x its features)), continuing from a copy of the
 * context's sums: each score equals fm_score_batch's for the joined row, bit for bit. */
static void fm_score_context(const gn_model *m, const uint32_t *cidx, const float *cval, size_t cn,
                             const gn_rows *cands, double *out) {
    const size_t k = m->weights_per_slot - 1;
    double csum[FM_MAX_RANK], sum[FM_MAX_RANK], clin = 0.0, csq = 0.0;
    for (size_t f = 0; f < k; f++) csum[f] = 0.0;
    fm_accumulate(m, cidx, cval, 0, cn, 1, &clin, &csq, csum);
    for (size_t e = 0; e < cands->n; e++) {
        double lin = clin, sq = csq;
        memcpy(sum, csum, k * sizeof *sum);
        fm_accumulate(m, cands->index, cands->value, cands->start[e], cands->start[e + 1], 1, &lin, &sq, sum);
        fm_finish(1, k, &lin, &sq, sum, out + e);
    }
}

static void fm_score_batch(const gn_model *m, const gn_rows *rows, double *out) {
    const size_t nw = gn__ftab_model_outputs(m);
    double sum[FM_MAX_FACTORS];
    for (size_t e = 0; e < rows->n; e++) {
        if (nw == 1) fm_score_row(m, rows, e, 1, sum, out + e);
        else fm_score_row(m, rows, e, nw, sum, out + e * nw);
    }
}

static const char *const fm_header_keys[] = {"fm_rank", NULL};

static int fm_header_write(const gn_model *m, json_t *hdr) {
    const uint32_t nw = gn__ftab_model_outputs(m);
    return json_object_set_new(hdr, "fm_rank", json_integer((json_int_t)(m->weights_per_slot / nw) - 1)) == 0
               ? GN_OK
               : gn__fail(GN_ENOMEM, "out of memory");
}

static int fm_header_read(gn_model *m, const json_t *hdr, const char *path) {
    uint32_t nw = 1;
    GN_TRY(gn__ftab_model_check_outputs(m, "fm", path, &nw));
    const json_t *r = json_object_get(hdr, "fm_rank");
    if (!json_is_integer(r) || json_integer_value(r) < 1 || json_integer_value(r) > FM_MAX_RANK)
        return gn__fail(GN_EFORMAT, "%s: header: an fm model needs fm_rank, an integer in [1, %u]", path,
                        (unsigned)FM_MAX_RANK);
    const json_int_t want = (json_int_t)nw * (json_integer_value(r) + 1);
    if ((json_int_t)m->weights_per_slot != want)
        return gn__fail(GN_EFORMAT, "%s: header: fm_rank %lld%s needs %lld weights per slot, not %u", path,
                        (long long)json_integer_value(r), nw > 1 ? " over the model's classes" : "", (long long)want,
                        (unsigned)m->weights_per_slot);
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
    uint32_t rank;
    double sum[FM_MAX_FACTORS]; /* per example: sum_i v_icf x_i of each class c and factor f */
    double g[FM_MAX_OUTPUTS];   /* per example: the loss's gradient in each score */
};
_Static_assert(offsetof(struct gn_kind_learner, ft) == 0, "factor_table.h views the learner as its gn__ftab");

/* The optimizer an fm learner runs: sgd, or adagrad (also for auto; others are refused by
 * gn_train_options_check). */
static gn_optimizer fm_opt(const gn_train_options *o) { return o->optimizer == GN_OPT_SGD ? GN_OPT_SGD : GN_OPT_ADAGRAD; }

static uint64_t fm_learner_bytes(const gn_train_options *o, const gn_data_spec *spec) {
    const uint32_t k = o->fm_rank >= 1 && o->fm_rank <= FM_MAX_RANK ? o->fm_rank : 1;
    const uint32_t nw = o->loss != GN_LOSS_SOFTMAX ? 1 : spec->nclasses >= 2 ? spec->nclasses : 2;
    return ((uint64_t)1 << spec->bits) * gn__ftab_stride(fm_opt(o), nw, nw * k) * sizeof(float);
}

static int fm_learner_new(const gn_train_options *o, const gn_data_spec *spec, gn_kind_learner **out) {
    uint32_t nw = 1;
    GN_TRY(gn__ftab_outputs_for(o, spec, "fm", &nw));
    GN_TRY(check_rank(o->fm_rank, nw));
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
    l->fm_lr = o->fm_lr > 0 ? o->fm_lr : opt == GN_OPT_ADAGRAD ? 0.2 : l->lr;
    l->rank = o->fm_rank;
    const size_t bytes = gn__ftab_alloc(&l->ft, opt, nw, nw * o->fm_rank, spec->bits, o->fm_init, o->seed, 1, o->normalize);
    if (!l->ft.table) {
        free(l);
        return gn__fail(GN_ENOMEM, "out of memory allocating a table of 2^%u slots x %u outputs x rank %u (%zu MiB)",
                        spec->bits, (unsigned)nw, (unsigned)o->fm_rank, bytes >> 20);
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

/* The nw scores of an example with the current table into s, leaving sum_i v_icf x_i in l->sum;
 * with `learn`, first updates each feature's scale s (normalized) and returns the example's
 * normalized squared norm in *norm. Inlined with nw = 1 for the one-output losses. */
static GN_HOGWILD inline __attribute__((always_inline)) void score_k(gn_kind_learner *l, const uint32_t *idx,
                                                                    const float *val, size_t n, int learn,
                                                                    double *norm, double *s, size_t nw) {
    const size_t k = l->rank, nfac = nw * k, st = l->ft.stride, vb = l->ft.vbase;
    /* local sums (not s or the learner's arrays, which the compiler must assume alias sum): with
     * nw = 1 they live in registers */
    double lin[FM_MAX_OUTPUTS], sq[FM_MAX_OUTPUTS];
    double *sum = l->sum, nm = 0.0;
    for (size_t c = 0; c < nw; c++) lin[c] = sq[c] = 0.0;
    for (size_t f = 0; f < nfac; f++) sum[f] = 0.0;
    for (size_t i = 0; i < n; i++) {
        float *row = l->ft.table + (size_t)idx[i] * st;
        const double x = val[i];
        if (learn && l->normalized) nm += gn__ftab_rescale(&l->ft, row, x);
        for (size_t c = 0; c < nw; c++) lin[c] += (double)row[R_W + c] * x;
        const float *v = row + vb;
        for (size_t c = 0; c < nw; c++)
            for (size_t f = 0; f < k; f++) {
                const double vx = (double)v[c * k + f] * x;
                sum[c * k + f] += vx;
                sq[c] += vx * vx;
            }
    }
    for (size_t c = 0; c < nw; c++) {
        double pair = 0.0;
        for (size_t f = 0; f < k; f++) pair += sum[c * k + f] * sum[c * k + f];
        s[c] = lin[c] + 0.5 * (pair - sq[c]);
    }
    if (norm) *norm = nm;
}

static GN_HOGWILD void score_row(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n, int learn,
                                 double *norm, double *s) {
    if (l->ft.nw == 1) score_k(l, idx, val, n, learn, norm, s, 1);
    else score_k(l, idx, val, n, learn, norm, s, l->ft.nw);
}

/* One example: scores it into s, then one step of the optimizer on both parts, each class c's
 * weights from the loss's gradient g_c in its score. */
static GN_HOGWILD inline __attribute__((always_inline)) void learn_k(gn_kind_learner *l, const uint32_t *idx,
                                                                    const float *val, size_t n, double y, double wt,
                                                                    double *s, size_t nw) {
    double norm = 0.0;
    score_k(l, idx, val, n, 1, &norm, s, nw);
    double *g = l->g;
    gn__ftab_grad(l->loss, s, nw, y, wt, g);
    const size_t k = l->rank, nfac = l->ft.nfac, st = l->ft.stride, vb = l->ft.vbase;
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
            for (size_t j = 0; j < nw; j++)
                gn__ftab_ada_w(c + R_W + j, c + R_W + nw + j, g[j] * x + l2 * sc * sc * c[R_W + j], lr, sc, l1);
            float *v = c + vb, *vg = v + nfac;
            const double iv = 1.0 / sc, rate = vlr * iv; /* v ~ 1 / s: see gn__ftab_rescale */
            for (size_t j = 0; j < nw; j++) {
                const double dx = g[j] * x;
                for (size_t f = j * k; f < j * k + k; f++) {
                    const double gv = (dx * (sum[f] - (double)v[f] * x) + fl2 * v[f]) * iv;
                    if (gv == 0.0) continue;
                    const double g2 = vg[f] + gv * gv;
                    vg[f] = (float)g2;
                    v[f] = (float)(v[f] - rate * gv / sqrt(g2));
                }
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
            for (size_t j = 0; j < nw; j++) gn__ftab_sgd_w(c + R_W + j, g[j], x, sc, eta, l1, l2);
            float *v = c + vb;
            const double rate = veta / (sc * sc);
            for (size_t j = 0; j < nw; j++) {
                const double dx = g[j] * x;
                for (size_t f = j * k; f < j * k + k; f++)
                    v[f] = (float)(v[f] - rate * (dx * (sum[f] - (double)v[f] * x) + fl2 * v[f]));
            }
        }
    }
}

static GN_HOGWILD void learn_one(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n, double y,
                                 double wt, double *s) {
    if (l->ft.nw == 1) learn_k(l, idx, val, n, y, wt, s, 1);
    else learn_k(l, idx, val, n, y, wt, s, l->ft.nw);
}

static GN_HOGWILD int fm_learn_batch(gn_kind_learner *l, const gn_batch *b, const unsigned char *mode,
                                     double *scores) {
    return gn__ftab_learn_batch(l, &l->ft, l->loss, b, mode, scores, NULL, score_row, learn_one);
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
    .top_weights = gn__ftab_top_weights,
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
