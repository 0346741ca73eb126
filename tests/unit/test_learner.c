/* test_learner.c: the online learners (learn/learner.c) and the training loop (gn_train) on
 * generated problems with a planted answer: each optimizer (SGD, AdaGrad, FTRL) with each loss
 * recovers the planted weights (regression) or reaches the Bayes rate (classification); FTRL's l1
 * gives exact zeros; runs are bit-for-bit deterministic; holdout selects the asked fraction and
 * learns nothing from it; averaging tables averages. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "learn/learner.h"
#include "model/model.h"

#define GN_TEST_DIR_TAG "learner"
#include "test_util.h"

/* ------------------------------------------------------------------ data generation */

typedef struct rng { uint64_t s; } rng;

static uint64_t rng_next(rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double rng_unif(rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }
static double rng_normal(rng *r) {
    double u = rng_unif(r), v = rng_unif(r);
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}
static double rng_laplace(rng *r) {
    double u = rng_unif(r) - 0.5;
    return (u < 0 ? 1.0 : -1.0) * log(1.0 - 2.0 * fabs(u) + 1e-300);
}
static int rng_poisson(rng *r, double lambda) { /* Knuth; lambda is small here */
    double l = exp(-lambda), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= rng_unif(r);
    } while (p > l);
    return k - 1;
}

#define NFEAT 16 /* planted features in slots 1..NFEAT; slot 0 is the bias */

typedef struct problem {
    double w[NFEAT + 1]; /* planted weights, w[0] the bias */
    gn_batch train, test;
    double *test_score;  /* planted score of each test example */
} problem;

/* Dense examples: bias + NFEAT features, x ~ U(-1,1). */
static double gen_example(rng *r, const problem *p, gn_batch *b, uint64_t key, float label_placeholder) {
    assert_int_equal(gn__batch_begin_example(b, label_placeholder, 1.0f, key), GN_OK);
    assert_int_equal(gn__batch_reserve_features(b, NFEAT + 1), GN_OK);
    gn__batch_push(b, 0, 1.0f);
    double s = p->w[0];
    for (uint32_t j = 1; j <= NFEAT; j++) {
        float x = (float)(2.0 * rng_unif(r) - 1.0);
        gn__batch_push(b, j, x);
        s += p->w[j] * x;
    }
    gn__batch_end_example(b);
    return s;
}

static double draw_label(rng *r, gn_loss loss, double s) {
    switch (loss) {
    case GN_LOSS_LOGISTIC:
    case GN_LOSS_HINGE: return rng_unif(r) < 1.0 / (1.0 + exp(-s)) ? 1.0 : -1.0;
    case GN_LOSS_SQUARED: return s + 0.1 * rng_normal(r);
    case GN_LOSS_QUANTILE: return s + 0.3 * rng_laplace(r);
    case GN_LOSS_POISSON: return rng_poisson(r, exp(s));
    case GN_LOSS_SOFTMAX: break; /* multiclass: test_softmax.c */
    }
    return 0;
}

static void make_problem(problem *p, gn_loss loss, size_t ntrain, size_t ntest, uint64_t seed) {
    rng r = {seed};
    memset(p, 0, sizeof *p);
    double scale = loss == GN_LOSS_POISSON ? 0.4 : (loss == GN_LOSS_LOGISTIC || loss == GN_LOSS_HINGE) ? 1.5 : 2.0;
    for (int j = 0; j <= NFEAT; j++) p->w[j] = scale * (2.0 * rng_unif(&r) - 1.0);
    p->w[0] = loss == GN_LOSS_POISSON ? 0.5 : 0.3;
    assert_int_equal(gn__batch_init(&p->train, 64, 1024), GN_OK);
    assert_int_equal(gn__batch_init(&p->test, 64, 1024), GN_OK);
    for (size_t i = 0; i < ntrain; i++) {
        double s = gen_example(&r, p, &p->train, rng_next(&r), 0);
        p->train.label[i] = (float)draw_label(&r, loss, s);
    }
    p->test_score = malloc(ntest * sizeof *p->test_score);
    assert_non_null(p->test_score);
    for (size_t i = 0; i < ntest; i++) {
        double s = gen_example(&r, p, &p->test, rng_next(&r), 0);
        p->test.label[i] = (float)draw_label(&r, loss, s);
        p->test_score[i] = s;
    }
}

static void free_problem(problem *p) {
    gn__batch_free(&p->train);
    gn__batch_free(&p->test);
    free(p->test_score);
}

/* The plain (un-normalized) updates unless a test asks for the normalized ones. */
static int g_normalize = 0;

static void options(gn_train_options *o, gn_optimizer opt, gn_loss loss, double lr) {
    gn_train_options_init(o);
    o->normalize = g_normalize;
    o->optimizer = opt;
    o->loss = loss;
    o->lr = lr;
    assert_int_equal(gn_train_options_check(o), GN_OK);
}

static void small_spec(gn_data_spec *s, unsigned bits) {
    gn_data_spec_init(s);
    s->format = GN_FORMAT_LIBSVM;
    s->bits = bits;
}

static gn_learner *train(const gn_train_options *o, const gn_batch *b, unsigned passes) {
    gn_data_spec s;
    small_spec(&s, 8);
    gn_learner *l;
    assert_int_equal(gn__learner_new(o, &s, &l), GN_OK);
    for (unsigned k = 0; k < passes; k++) assert_int_equal(gn__learner_learn_batch(l, b), GN_OK);
    return l;
}

/* Accuracy and AUC of scores against +-1 labels (AUC counts ties half). */
static void acc_auc(const double *score, const float *label, size_t n, double *acc, double *auc) {
    gn_metrics_acc *a;
    assert_int_equal(gn_metrics_acc_new(1, &a), GN_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(gn_metrics_acc_add(a, 1.0 / (1.0 + exp(-score[i])), label[i] > 0 ? 1.0 : 0.0, 1.0, 0.0), GN_OK);
    gn_metrics m;
    assert_int_equal(gn_metrics_acc_result(a, &m), GN_OK);
    gn_metrics_acc_free(a);
    *acc = m.accuracy;
    *auc = m.auc;
}

/* Asserts GN_OK, showing the library's message otherwise. */
#define EXPECT_OK(call)                                                                   \
    do {                                                                                  \
        int st_ = (call);                                                                 \
        if (st_ != GN_OK) fail_msg("%s: status %d: %s", #call, st_, gn_last_error());     \
    } while (0)

static const char *opt_name(gn_optimizer o) { return gn_optimizer_name(o); }

/* Trains opt x loss and checks the result against the planted model. */
static void check_converges(gn_optimizer opt, gn_loss loss, double lr, unsigned passes, double tol) {
    problem p;
    const size_t ntrain = 8000, ntest = 4000;
    make_problem(&p, loss, ntrain, ntest, 1000 + (uint64_t)loss * 17 + (uint64_t)opt);
    gn_train_options o;
    options(&o, opt, loss, lr);
    gn_learner *l = train(&o, &p.train, passes);
    assert_int_equal(gn__learner_optimizer(l), opt);
    float w[256];
    gn__learner_weights(l, w);
    if (loss == GN_LOSS_LOGISTIC || loss == GN_LOSS_HINGE) {
        double *sc = malloc(ntest * sizeof *sc);
        assert_non_null(sc);
        for (size_t i = 0; i < ntest; i++) {
            sc[i] = 0;
            for (size_t k = p.test.start[i]; k < p.test.start[i + 1]; k++) sc[i] += w[p.test.index[k]] * p.test.value[k];
        }
        double acc, auc, bacc, bauc;
        acc_auc(sc, p.test.label, ntest, &acc, &auc);
        acc_auc(p.test_score, p.test.label, ntest, &bacc, &bauc);
        if (acc < bacc - tol || auc < bauc - tol / 2)
            fail_msg("%s/%s: accuracy %.4f AUC %.4f vs Bayes %.4f / %.4f", opt_name(opt), gn_loss_name(loss), acc, auc,
                     bacc, bauc);
        if (loss == GN_LOSS_LOGISTIC) { /* a calibrated loss also finds the weights themselves */
            for (int j = 0; j <= NFEAT; j++)
                if (fabs(w[j] - p.w[j]) > 0.35 + 0.2 * fabs(p.w[j]))
                    fail_msg("%s/logistic: w[%d] = %.3f, planted %.3f", opt_name(opt), j, w[j], p.w[j]);
        }
        free(sc);
    } else {
        double worst = 0;
        int at = 0;
        for (int j = 0; j <= NFEAT; j++) {
            double e = fabs(w[j] - p.w[j]);
            if (e > worst) worst = e, at = j;
        }
        if (worst > tol)
            fail_msg("%s/%s: w[%d] = %.4f, planted %.4f (error %.4f > %.4f)", opt_name(opt), gn_loss_name(loss), at,
                     w[at], p.w[at], worst, tol);
    }
    /* the slots the data never touches stay exactly zero */
    for (int j = NFEAT + 1; j < 256; j++) assert_true(w[j] == 0.0f);
    gn__learner_free(l);
    free_problem(&p);
}

/* Every loss under one optimizer, at that optimizer's learning rate for each loss (lr[] in the
 * order of the table below); passes and tolerance depend on the loss only. */
static void check_converges_all(gn_optimizer opt, const double lr[5]) {
    static const struct {
        gn_loss loss;
        unsigned passes;
        double tol;
    } cases[5] = {{GN_LOSS_SQUARED, 10, 0.03},
                  {GN_LOSS_LOGISTIC, 10, 0.02},
                  {GN_LOSS_HINGE, 10, 0.02},
                  {GN_LOSS_QUANTILE, 20, 0.08},
                  {GN_LOSS_POISSON, 10, 0.08}};
    for (int i = 0; i < 5; i++) check_converges(opt, cases[i].loss, lr[i], cases[i].passes, cases[i].tol);
}

static void test_sgd_converges(void **state) {
    (void)state;
    check_converges_all(GN_OPT_SGD, (const double[5]){0.05, 0.5, 0.1, 0.2, 0.05});
}

static void test_adagrad_converges(void **state) {
    (void)state;
    check_converges_all(GN_OPT_ADAGRAD, (const double[5]){0.5, 0.5, 0.5, 0.5, 0.2});
}

static void test_ftrl_converges(void **state) {
    (void)state;
    check_converges_all(GN_OPT_FTRL, (const double[5]){0.5, 0.5, 0.5, 0.5, 0.2});
}

/* FTRL with l1: irrelevant features get weights of exactly 0, the planted ones do not. */
static void test_ftrl_l1_exact_zeros(void **state) {
    (void)state;
    rng r = {77};
    const int nrel = 8, nnoise = 100;
    double w[9];
    for (int j = 1; j <= nrel; j++) w[j] = (j & 1 ? 1.0 : -1.0) * (1.0 + rng_unif(&r));
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 64, 1024), GN_OK);
    for (int i = 0; i < 6000; i++) {
        assert_int_equal(gn__batch_begin_example(&b, 0, 1.0f, (uint64_t)i), GN_OK);
        assert_int_equal(gn__batch_reserve_features(&b, 1 + nrel + nnoise), GN_OK);
        gn__batch_push(&b, 0, 1.0f);
        double s = 0;
        for (int j = 1; j <= nrel + nnoise; j++) {
            if (rng_unif(&r) < 0.3) continue; /* sparse rows */
            float x = (float)(2.0 * rng_unif(&r) - 1.0);
            gn__batch_push(&b, (uint32_t)j, x);
            if (j <= nrel) s += w[j] * x;
        }
        gn__batch_end_example(&b);
        b.label[i] = rng_unif(&r) < 1.0 / (1.0 + exp(-s)) ? 1.0f : -1.0f;
    }
    gn_train_options o;
    options(&o, GN_OPT_FTRL, GN_LOSS_LOGISTIC, 0.3);
    float wl[256], w0[256];
    gn_learner *plain = train(&o, &b, 3);
    gn__learner_weights(plain, w0);
    o.l1 = 150.0; /* z of a noise feature is a random walk over 3 x 6000 rows */
    gn_learner *l = train(&o, &b, 3);
    gn__learner_weights(l, wl);
    int zeros = 0, plain_zeros = 0;
    for (int j = 1; j <= nrel; j++) {
        if (wl[j] == 0.0f || (wl[j] > 0) != (w[j] > 0)) fail_msg("planted w[%d] = %.3f learned as %.3f", j, w[j], wl[j]);
    }
    for (int j = nrel + 1; j <= nrel + nnoise; j++) {
        zeros += wl[j] == 0.0f;
        plain_zeros += w0[j] == 0.0f;
    }
    if (zeros < nnoise * 95 / 100) fail_msg("only %d of %d noise weights are exactly 0 with l1", zeros, nnoise);
    assert_int_equal(plain_zeros, 0); /* without l1 none is */
    /* the model built from it stores those zeros as zeros */
    gn_model *m;
    assert_int_equal(gn__learner_to_model(l, NULL, &m), GN_OK);
    assert_memory_equal(m->w, wl, sizeof wl);
    gn_model_free(m);
    gn__learner_free(l);
    gn__learner_free(plain);
    gn__batch_free(&b);
}

/* The same data and options give the same weights, bit for bit, for every optimizer. */
static void test_deterministic(void **state) {
    (void)state;
    problem p;
    make_problem(&p, GN_LOSS_LOGISTIC, 3000, 10, 5);
    const gn_optimizer opts[] = {GN_OPT_SGD, GN_OPT_ADAGRAD, GN_OPT_FTRL};
    for (size_t k = 0; k < 3; k++) {
        gn_train_options o;
        options(&o, opts[k], GN_LOSS_LOGISTIC, 0);
        o.l1 = 0.01;
        o.l2 = 0.01;
        gn_learner *a = train(&o, &p.train, 3), *b = train(&o, &p.train, 3);
        const gn_kind_table tka = gn__learner_table(a), tkb = gn__learner_table(b);
        size_t na = tka.nslots, nb = tkb.nslots;
        uint32_t sa = tka.stride, sb = tkb.stride;
        float *ta = tka.data, *tb = tkb.data;
        assert_int_equal(na, nb);
        assert_int_equal(sa, sb);
        assert_memory_equal(ta, tb, na * sa * sizeof(float)); /* weights and optimizer state */
        int nonzero = 0;
        for (size_t i = 0; i < na * sa; i++) nonzero += ta[i] != 0.0f;
        assert_true(nonzero > NFEAT);
        gn__learner_free(a);
        gn__learner_free(b);
    }
    free_problem(&p);
}

/* Holdout selection: about the asked fraction, stable per key, and never learned from. */
static void test_holdout_selection(void **state) {
    (void)state;
    problem p;
    const size_t n = 20000;
    make_problem(&p, GN_LOSS_LOGISTIC, n, 10, 9);
    gn_train_options o;
    options(&o, GN_OPT_FTRL, GN_LOSS_LOGISTIC, 0);
    gn_data_spec s;
    small_spec(&s, 8);
    const double fractions[] = {0.1, 0.25, 0.5};
    for (size_t f = 0; f < 3; f++) {
        gn_learner *l;
        assert_int_equal(gn__learner_new(&o, &s, &l), GN_OK);
        gn__learner_set_heldout(l, 1000000, 0, (uint64_t)(fractions[f] * 1e6), 42);
        gn_metrics_acc *acc;
        assert_int_equal(gn_metrics_acc_new(1, &acc), GN_OK);
        gn__learner_set_eval(l, acc);
        assert_int_equal(gn__learner_learn_batch(l, &p.train), GN_OK);
        gn_learn_stats st;
        gn__learner_take_stats(l, &st);
        double frac = (double)st.heldout_examples / (double)n;
        /* binomial sd at n=20000 is at most 0.0036: allow 5 sd */
        if (fabs(frac - fractions[f]) > 0.018) fail_msg("holdout %.2f selected %.4f", fractions[f], frac);
        assert_int_equal(st.heldout_examples + st.train_examples, n);
        assert_true(st.heldout_weight == (double)st.heldout_examples);
        assert_true(st.heldout_loss > 0 && st.train_loss > 0);
        gn_metrics m;
        assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
        assert_int_equal(m.examples, st.heldout_examples);
        gn__learner_take_stats(l, &st); /* the sums were reset */
        assert_int_equal(st.train_examples, 0);
        assert_int_equal(st.heldout_examples, 0);

        /* learning with a holdout == learning from only the other examples */
        gn_batch kept;
        assert_int_equal(gn__batch_init(&kept, 64, 1024), GN_OK);
        gn_learner *probe;
        assert_int_equal(gn__learner_new(&o, &s, &probe), GN_OK);
        gn__learner_set_heldout(probe, 1000000, 0, (uint64_t)(fractions[f] * 1e6), 42);
        for (size_t e = 0; e < n; e++) {
            /* find out whether e is held out by feeding it alone to a fresh-stats probe */
            gn_batch one = p.train;
            one.n = 1;
            one.label = p.train.label + e;
            one.weight = p.train.weight + e;
            one.key = p.train.key + e;
            one.start = p.train.start + e;
            assert_int_equal(gn__learner_learn_batch(probe, &one), GN_OK);
            gn_learn_stats ps;
            gn__learner_take_stats(probe, &ps);
            if (ps.heldout_examples) continue;
            assert_int_equal(gn__batch_begin_example(&kept, p.train.label[e], p.train.weight[e], p.train.key[e]), GN_OK);
            assert_int_equal(gn__batch_reserve_features(&kept, NFEAT + 1), GN_OK);
            for (size_t k = p.train.start[e]; k < p.train.start[e + 1]; k++) gn__batch_push(&kept, p.train.index[k], p.train.value[k]);
            gn__batch_end_example(&kept);
        }
        gn_learner *plain;
        assert_int_equal(gn__learner_new(&o, &s, &plain), GN_OK);
        assert_int_equal(gn__learner_learn_batch(plain, &kept), GN_OK);
        float wa[256], wb[256];
        gn__learner_weights(l, wa);
        gn__learner_weights(plain, wb);
        assert_memory_equal(wa, wb, sizeof wa);
        gn__learner_free(plain);
        gn__learner_free(probe);
        gn__batch_free(&kept);
        gn_metrics_acc_free(acc);
        gn__learner_free(l);
    }
    free_problem(&p);
}

/* gn__learner_average puts the element-wise mean of all tables into each of them. */
static void test_average(void **state) {
    (void)state;
    const gn_optimizer opts[] = {GN_OPT_SGD, GN_OPT_ADAGRAD, GN_OPT_FTRL};
    for (size_t k = 0; k < 3; k++) {
        gn_train_options o;
        options(&o, opts[k], GN_LOSS_LOGISTIC, 0);
        gn_learner *ls[3];
        float *copy[3];
        size_t ns = 0;
        uint32_t stride = 0;
        for (int i = 0; i < 3; i++) {
            problem p;
            make_problem(&p, GN_LOSS_LOGISTIC, 500 + 300 * (size_t)i, 1, 100 + (uint64_t)i);
            ls[i] = train(&o, &p.train, 1);
            free_problem(&p);
            const gn_kind_table tk = gn__learner_table(ls[i]);
            float *t = tk.data;
            ns = tk.nslots;
            stride = tk.stride;
            copy[i] = malloc(ns * stride * sizeof(float));
            assert_non_null(copy[i]);
            memcpy(copy[i], t, ns * stride * sizeof(float));
        }
        assert_memory_not_equal(copy[0], copy[1], ns * stride * sizeof(float));
        gn__learner_average(ls, 3);
        for (int i = 0; i < 3; i++) {
            float *t = gn__learner_table(ls[i]).data;
            for (size_t j = 0; j < ns * stride; j++) {
                double want = ((double)copy[0][j] + copy[1][j] + copy[2][j]) / 3.0;
                if (fabs(t[j] - want) > 1e-6 * fabs(want) + 1e-30)
                    fail_msg("%s: table[%zu] = %.9g, mean %.9g", gn_optimizer_name(opts[k]), j, t[j], want);
            }
        }
        /* after averaging every learner predicts the same */
        float wa[256], wb[256];
        gn__learner_weights(ls[0], wa);
        gn__learner_weights(ls[2], wb);
        assert_memory_equal(wa, wb, sizeof wa);
        /* averaging one table is a no-op */
        memcpy(copy[0], gn__learner_table(ls[0]).data, ns * stride * sizeof(float));
        gn__learner_average(ls, 1);
        assert_memory_equal(copy[0], gn__learner_table(ls[0]).data, ns * stride * sizeof(float));
        for (int i = 0; i < 3; i++) {
            free(copy[i]);
            gn__learner_free(ls[i]);
        }
    }
}

/* A shared learner (Hogwild) writes into its owner's table and keeps its own stats. */
static void test_share(void **state) {
    (void)state;
    problem p;
    make_problem(&p, GN_LOSS_SQUARED, 1000, 1, 3);
    gn_train_options o;
    options(&o, GN_OPT_ADAGRAD, GN_LOSS_SQUARED, 0.5);
    gn_learner *owner = train(&o, &p.train, 0), *other;
    assert_int_equal(gn__learner_share(owner, &other), GN_OK);
    assert_int_equal(gn__learner_learn_batch(other, &p.train), GN_OK);
    gn_learn_stats so, st;
    gn__learner_take_stats(owner, &so);
    gn__learner_take_stats(other, &st);
    assert_int_equal(so.train_examples, 0);
    assert_int_equal(st.train_examples, 1000);
    float w[256];
    gn__learner_weights(owner, w);
    assert_true(fabs(w[1] - p.w[1]) < 0.2);
    gn__learner_free(other);
    gn__learner_free(owner);
    free_problem(&p);
}

/* Normalized learners are scale-free: multiplying feature j by c multiplies its learned weight by
 * 1/c and leaves every prediction as it was (up to float rounding), whatever the optimizer; the
 * plain updates are not. Scales from 1e-4 to 1e4, as raw table columns have. */
static void test_normalized_scale_free(void **state) {
    (void)state;
    problem p;
    make_problem(&p, GN_LOSS_LOGISTIC, 4000, 500, 77);
    static const double scale[NFEAT + 1] = {1, 1e4, 1e-4, 3e2, 1, 7e-3, 1, 1, 1e3, 1, 5e-2, 2, 40, 1e-3, 1, 9e3, 0.5};
    gn_batch scaled_train, scaled_test;
    const gn_batch *src[2] = {&p.train, &p.test};
    gn_batch *dst[2] = {&scaled_train, &scaled_test};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(gn__batch_init(dst[k], src[k]->n, src[k]->nnz + 1), GN_OK);
        for (size_t e = 0; e < src[k]->n; e++) {
            assert_int_equal(gn__batch_begin_example(dst[k], src[k]->label[e], src[k]->weight[e], src[k]->key[e]), GN_OK);
            assert_int_equal(gn__batch_reserve_features(dst[k], src[k]->start[e + 1] - src[k]->start[e]), GN_OK);
            for (size_t i = src[k]->start[e]; i < src[k]->start[e + 1]; i++)
                gn__batch_push(dst[k], src[k]->index[i], (float)(src[k]->value[i] * scale[src[k]->index[i]]));
            gn__batch_end_example(dst[k]);
        }
    }
    const gn_optimizer opts[] = {GN_OPT_SGD, GN_OPT_ADAGRAD, GN_OPT_FTRL};
    for (int normalize = 1; normalize >= 0; normalize--) {
        for (size_t k = 0; k < 3; k++) {
            gn_train_options o;
            g_normalize = normalize;
            options(&o, opts[k], GN_LOSS_LOGISTIC, 0);
            g_normalize = 0;
            gn_learner *a = train(&o, &p.train, 2), *b = train(&o, &scaled_train, 2);
            gn_model *ma, *mb;
            assert_int_equal(gn__learner_to_model(a, NULL, &ma), GN_OK);
            assert_int_equal(gn__learner_to_model(b, NULL, &mb), GN_OK);
            double pa[500], pb[500], worst = 0;
            gn_rows ra = gn__batch_rows(&p.test), rb = gn__batch_rows(&scaled_test);
            assert_int_equal(gn_model_predict_batch(ma, &ra, pa, 500), GN_OK);
            assert_int_equal(gn_model_predict_batch(mb, &rb, pb, 500), GN_OK);
            for (size_t e = 0; e < 500; e++) worst = fmax(worst, fabs(pa[e] - pb[e]));
            if (normalize && worst > 2e-4)
                fail_msg("normalized %s: predictions move by %g when columns are rescaled", opt_name(opts[k]), worst);
            if (!normalize && worst < 0.05)
                fail_msg("plain %s: rescaling barely matters (%g): the test data does not tell", opt_name(opts[k]), worst);
            gn_model_free(ma);
            gn_model_free(mb);
            gn__learner_free(a);
            gn__learner_free(b);
        }
    }
    gn__batch_free(&scaled_train);
    gn__batch_free(&scaled_test);
    free_problem(&p);
}

/* A feature whose value is 0 (the parsers drop them, a caller's batch may not) is ignored by the
 * normalized learners rather than turned into 0/0. */
static void test_normalized_zero_values(void **state) {
    (void)state;
    const gn_optimizer opts[] = {GN_OPT_SGD, GN_OPT_ADAGRAD, GN_OPT_FTRL};
    for (size_t k = 0; k < 3; k++) {
        gn_batch b;
        assert_int_equal(gn__batch_init(&b, 8, 64), GN_OK);
        for (int e = 0; e < 50; e++) {
            assert_int_equal(gn__batch_begin_example(&b, e % 2 ? 1.0f : -1.0f, 1.0f, (uint64_t)e), GN_OK);
            assert_int_equal(gn__batch_reserve_features(&b, 3), GN_OK);
            gn__batch_push(&b, 0, 1.0f);
            gn__batch_push(&b, 3, 0.0f); /* never anything but 0 */
            gn__batch_push(&b, 5, e % 2 ? 2.0f : -1.0f);
            gn__batch_end_example(&b);
        }
        gn_train_options o;
        g_normalize = 1;
        options(&o, opts[k], GN_LOSS_LOGISTIC, 0);
        g_normalize = 0;
        gn_learner *l = train(&o, &b, 2);
        float w[256];
        gn__learner_weights(l, w);
        for (int j = 0; j < 256; j++) assert_true(isfinite(w[j]));
        assert_true(w[3] == 0.0f);
        assert_true(w[5] > 0.0f);
        gn__learner_free(l);
        gn__batch_free(&b);
    }
}

/* ------------------------------------------------------------------ gn_train on files */

/* Writes a LIBSVM file from the planted model: sparse rows over indices 1..nfeat. */
static void write_libsvm(const char *path, const double *w, int nfeat, size_t rows, gn_loss loss, uint64_t seed,
                         double *bayes_acc) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    rng r = {seed};
    size_t correct = 0;
    for (size_t i = 0; i < rows; i++) {
        char line[4096];
        size_t o = 0;
        double s = w[0];
        for (int j = 1; j <= nfeat; j++) {
            if (rng_unif(&r) < 0.5) continue;
            double x = 2.0 * rng_unif(&r) - 1.0;
            char num[32];
            snprintf(num, sizeof num, "%.6e", x); /* exponent notation, as rcv1 has */
            s += w[j] * strtod(num, NULL);
            o += (size_t)snprintf(line + o, sizeof line - o, " %d:%s", j, num);
        }
        double y = draw_label(&r, loss, s);
        if (loss == GN_LOSS_LOGISTIC) {
            correct += (s > 0) == (y > 0);
            fprintf(f, "%s%s\n", y > 0 ? "+1" : "-1", line);
        } else {
            fprintf(f, "%.9g%s\n", y, line);
        }
    }
    assert_int_equal(fclose(f), 0);
    if (bayes_acc) *bayes_acc = (double)correct / (double)rows;
}

static void test_gn_train_logistic_file(void **state) {
    (void)state;
    rng r = {2024};
    double w[31];
    for (int j = 0; j <= 30; j++) w[j] = 3.0 * (2.0 * rng_unif(&r) - 1.0);
    char trainp[400], testp[400];
    snprintf(trainp, sizeof trainp, "%s/train.svm", g_dir);
    snprintf(testp, sizeof testp, "%s/test.svm", g_dir);
    double bayes;
    write_libsvm(trainp, w, 30, 20000, GN_LOSS_LOGISTIC, 1, NULL);
    write_libsvm(testp, w, 30, 5000, GN_LOSS_LOGISTIC, 2, &bayes);

    gn_train_options o;
    gn_train_options_init(&o);
    o.passes = 3;
    o.threads = 1; /* the single-threaded learner; threads are tested with the pipeline */
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 12;
    const char *paths[] = {trainp};
    gn_model *m = NULL, *m2 = NULL;
    gn_train_summary sum;
    EXPECT_OK(gn_train(&o, &s, paths, 1, NULL, NULL, &m, &sum));
    assert_int_equal(sum.examples, 3 * 20000);
    assert_int_equal(sum.passes, 3);
    assert_int_equal(sum.skipped, 0);
    assert_true(sum.progressive_loss > 0.1 && sum.progressive_loss < 0.69);
    assert_true(isnan(sum.holdout_loss));
    assert_int_equal(gn_model_get_loss(m), GN_LOSS_LOGISTIC);
    assert_int_equal(gn_model_get_spec(m)->format, GN_FORMAT_LIBSVM);
    /* LIBSVM indices map to their own slots: the planted weights can be read back */
    for (int j = 1; j <= 30; j++)
        if (fabs(m->w[j] - w[j]) > 0.3 + 0.15 * fabs(w[j])) fail_msg("w[%d] = %.3f, planted %.3f", j, m->w[j], w[j]);
    gn_metrics met;
    uint64_t skipped = 1;
    const char *tpaths[] = {testp};
    EXPECT_OK(gn_evaluate(m, tpaths, 1, 0, &met, &skipped));
    assert_int_equal(met.examples, 5000);
    assert_int_equal(skipped, 0);
    if (met.accuracy < bayes - 0.02) fail_msg("test accuracy %.4f, Bayes %.4f", met.accuracy, bayes);
    assert_true(met.auc > 0.85);

    /* deterministic single-threaded: the same weights again, bit for bit */
    EXPECT_OK(gn_train(&o, &s, paths, 1, NULL, NULL, &m2, NULL));
    assert_memory_equal(m->w, m2->w, m->nweights * sizeof(float));
    gn_model_free(m2);
    /* and with several threads when asked to be deterministic */
    gn_model *m3 = NULL;
    o.threads = 2;
    o.deterministic = 1;
    EXPECT_OK(gn_train(&o, &s, paths, 1, NULL, NULL, &m2, NULL));
    EXPECT_OK(gn_train(&o, &s, paths, 1, NULL, NULL, &m3, NULL));
    assert_memory_equal(m3->w, m2->w, m->nweights * sizeof(float));
    gn_metrics met2; /* and it learned the problem too */
    EXPECT_OK(gn_evaluate(m2, tpaths, 1, 0, &met2, &skipped));
    if (met2.accuracy < bayes - 0.02 || met2.logloss > met.logloss + 0.02)
        fail_msg("2 threads: accuracy %.4f logloss %.4f (1 thread %.4f / %.4f)", met2.accuracy, met2.logloss, met.accuracy, met.logloss);
    gn_model_free(m2);
    gn_model_free(m3);
    o.threads = 1;
    o.deterministic = 0;

    /* a holdout: about 10% of the examples are not learned from, and its loss is reported */
    o.holdout = 0.1;
    o.passes = 2;
    m2 = NULL;
    EXPECT_OK(gn_train(&o, &s, paths, 1, NULL, NULL, &m2, &sum));
    assert_true(sum.examples > 2 * 17600 && sum.examples < 2 * 18400);
    assert_true(sum.holdout_loss > 0.1 && sum.holdout_loss < 0.69);
    gn_model_free(m2);
    gn_model_free(m);
}

static void test_gn_train_squared_file(void **state) {
    (void)state;
    rng r = {99};
    double w[11];
    for (int j = 0; j <= 10; j++) w[j] = 2.0 * (2.0 * rng_unif(&r) - 1.0);
    char p[400];
    snprintf(p, sizeof p, "%s/reg.svm", g_dir);
    write_libsvm(p, w, 10, 10000, GN_LOSS_SQUARED, 3, NULL);
    const gn_optimizer opts[] = {GN_OPT_SGD, GN_OPT_ADAGRAD, GN_OPT_FTRL};
    const double lrs[] = {0.1, 0.1, 0.1}; /* large adaptive steps leave the last iterate noisy */
    for (int k = 0; k < 3; k++) {
        gn_train_options o;
        gn_train_options_init(&o);
        o.loss = GN_LOSS_SQUARED;
        o.optimizer = opts[k];
        o.lr = lrs[k];
        o.passes = 5;
        o.threads = 1;
        gn_data_spec s;
        gn_data_spec_init(&s);
        s.bits = 10;
        const char *paths[] = {p};
        gn_model *m = NULL;
        EXPECT_OK(gn_train(&o, &s, paths, 1, NULL, NULL, &m, NULL));
        for (int j = 0; j <= 10; j++)
            if (fabs(m->w[j] - w[j]) > 0.03)
                fail_msg("%s: w[%d] = %.4f, planted %.4f", gn_optimizer_name(opts[k]), j, m->w[j], w[j]);
        gn_model_free(m);
    }
    /* real labels are an error for a classification loss, with file:line */
    gn_train_options o;
    gn_train_options_init(&o);
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 10;
    const char *paths[] = {p};
    gn_model *m = NULL;
    assert_int_equal(gn_train(&o, &s, paths, 1, NULL, NULL, &m, NULL), GN_EPARSE);
    assert_null(m);
    char want[420];
    snprintf(want, sizeof want, "%s:1: label", p);
    assert_non_null(strstr(gn_last_error(), want));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_converges),
        cmocka_unit_test(test_adagrad_converges),
        cmocka_unit_test(test_ftrl_converges),
        cmocka_unit_test(test_ftrl_l1_exact_zeros),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_holdout_selection),
        cmocka_unit_test(test_average),
        cmocka_unit_test(test_share),
        cmocka_unit_test(test_normalized_scale_free),
        cmocka_unit_test(test_normalized_zero_values),
        cmocka_unit_test(test_gn_train_logistic_file),
        cmocka_unit_test(test_gn_train_squared_file),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
