/* tests/unit/test_fm.c: the factorization-machine kind (model/kinds/fm.c). Its O(K n) score
 * against the naive O(K n^2) pairwise sum; the learner's SGD step against finite differences of
 * the loss in every weight (linear and factors); an fm model whose factors are all zero scores
 * as the linear model with the same weights; the header key fm_rank. Softmax over K classes: each
 * class's score is the fm formula over its own weights (naive sum), one SGD step is the gradient
 * of -log p_y by finite differences, and with K = 2 a model whose class 0 is all zeros is the
 * logistic fm of class 1's weights (same probabilities, and one step moves class 1 exactly as the
 * logistic learner moves it). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define GN_TEST_DIR_TAG "fm"
#include "test_util.h"

#include "gannet/gannet.h"
#include "io/batch.h"
#include "learn/loss.h"
#include "model/kind.h"
#include "model/model.h"

static double unif(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0;
}

enum { BITS = 5, NSLOTS = 1 << BITS };

static gn_model *new_model(gn_model_kind kind, uint32_t wps) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.bits = BITS;
    gn_model *m = NULL;
    assert_int_equal(gn__model_new(kind, GN_LOSS_LOGISTIC, &spec, wps, &m), GN_OK);
    return m;
}

/* n distinct slots with random values */
static size_t random_row(uint64_t *rs, uint32_t *idx, float *val, size_t want) {
    size_t n = 0;
    for (uint32_t s = 0; s < NSLOTS && n < want; s++)
        if (unif(rs) < 0.4) {
            idx[n] = s;
            val[n++] = (float)(2.0 * unif(rs) - 1.0);
        }
    return n;
}

static double naive_score(const gn_model *m, const uint32_t *idx, const float *val, size_t n) {
    const size_t st = m->weights_per_slot, k = st - 1;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double)m->w[idx[i] * st] * val[i];
        for (size_t j = i + 1; j < n; j++) {
            double dot = 0.0;
            for (size_t f = 0; f < k; f++) dot += (double)m->w[idx[i] * st + 1 + f] * m->w[idx[j] * st + 1 + f];
            s += dot * val[i] * val[j];
        }
    }
    return s;
}

static double score1(const gn_model *m, const uint32_t *idx, const float *val, size_t n) {
    const size_t start[2] = {0, n};
    const gn_rows rows = {1, start, idx, val};
    double out = 0.0;
    gn__model_scores(m, &rows, &out);
    return out;
}

static void test_fm_score_naive(void **state) {
    (void)state;
    uint64_t rs = 11;
    const uint32_t ranks[] = {1, 3, 8, 17};
    for (size_t r = 0; r < 4; r++) {
        gn_model *m = new_model(GN_KIND_FM, 1 + ranks[r]);
        for (size_t i = 0; i < m->nweights; i++) m->w[i] = (float)(unif(&rs) - 0.5);
        for (int t = 0; t < 20; t++) {
            uint32_t idx[NSLOTS];
            float val[NSLOTS];
            const size_t n = random_row(&rs, idx, val, NSLOTS);
            const double want = naive_score(m, idx, val, n), got = score1(m, idx, val, n);
            assert_true(fabs(want - got) < 1e-9 * (1.0 + fabs(want)));
        }
        gn_model_free(m);
    }
}

/* Zero factors: the fm model scores as the linear model with its linear weights. */
static void test_fm_zero_factors_is_linear(void **state) {
    (void)state;
    uint64_t rs = 5;
    const uint32_t k = 4;
    gn_model *fm = new_model(GN_KIND_FM, 1 + k), *lin = new_model(GN_KIND_LINEAR, 1);
    for (size_t s = 0; s < NSLOTS; s++) lin->w[s] = fm->w[s * (1 + k)] = (float)(unif(&rs) - 0.5);
    for (int t = 0; t < 20; t++) {
        uint32_t idx[NSLOTS];
        float val[NSLOTS];
        const size_t n = random_row(&rs, idx, val, NSLOTS);
        assert_true(score1(fm, idx, val, n) == score1(lin, idx, val, n));
    }
    gn_model_free(fm);
    gn_model_free(lin);
}

/* One plain SGD step (lr eta, no decay, no regularisation) moves every weight by -eta times the
 * loss's gradient: checked against central differences of the loss through the model's score. */
static void test_fm_grad_fd(void **state) {
    (void)state;
    const gn_kind *kind = gn__kind_by_id(GN_KIND_FM);
    assert_non_null(kind);
    const gn_loss losses[] = {GN_LOSS_LOGISTIC, GN_LOSS_SQUARED};
    uint64_t rs = 3;
    for (size_t li = 0; li < 2; li++) {
        gn_train_options o;
        gn_train_options_init(&o);
        o.kind = GN_KIND_FM;
        o.loss = losses[li];
        o.optimizer = GN_OPT_SGD;
        o.normalize = 0;
        o.power_t = 0;
        o.l1 = 0;
        o.lr = 0.05;
        o.fm_lr = 0; /* the factors step with lr too */
        o.fm_rank = 3;
        o.fm_init = 0.3;
        o.seed = 7;
        gn_data_spec spec;
        gn_data_spec_init(&spec);
        spec.bits = BITS;
        gn_kind_learner *kl = NULL;
        assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_OK);
        const size_t len = kind->weights_len(kl);
        assert_int_equal(len, (size_t)NSLOTS * 4);
        float *before = malloc(len * sizeof *before), *after = malloc(len * sizeof *after);
        assert_non_null(before);
        assert_non_null(after);
        for (size_t i = 0; i < len; i++) before[i] = (float)(unif(&rs) - 0.5);
        kind->set_weights(kl, before);

        gn_batch b;
        assert_int_equal(gn__batch_init(&b, 1, NSLOTS), GN_OK);
        const float y = losses[li] == GN_LOSS_SQUARED ? 0.7f : 1.0f;
        assert_int_equal(gn__batch_begin_example(&b, y, 1.0f, 0), GN_OK);
        uint32_t idx[NSLOTS];
        float val[NSLOTS];
        const size_t n = random_row(&rs, idx, val, 8);
        assert_true(n >= 3);
        for (size_t i = 0; i < n; i++) gn__batch_push(&b, idx[i], val[i]);
        gn__batch_end_example(&b);
        double progressive = 0.0;
        assert_int_equal(kind->learn_batch(kl, &b, NULL, &progressive), GN_OK);
        kind->get_weights(kl, after);

        gn_model *m = NULL;
        assert_int_equal(kind->to_model(kl, before, &m), GN_OK);
        assert_true(fabs(progressive - score1(m, idx, val, n)) < 1e-9); /* scored before learning */
        for (size_t i = 0; i < n; i++)
            for (size_t f = 0; f < 4; f++) {
                const size_t p = idx[i] * 4 + f;
                const float keep = m->w[p];
                m->w[p] = keep + 1e-3f;
                const double up = gn__loss_value(o.loss, score1(m, idx, val, n), y, 0.5), hu = (double)m->w[p] - keep;
                m->w[p] = keep - 1e-3f;
                const double down = gn__loss_value(o.loss, score1(m, idx, val, n), y, 0.5), hd = (double)keep - m->w[p];
                m->w[p] = keep;
                const double fd = (up - down) / (hu + hd);
                const double step = ((double)before[p] - after[p]) / o.lr;
                assert_true(fabs(fd - step) < 2e-3);
            }
        /* slots the example did not touch did not move */
        for (size_t s = 0; s < NSLOTS; s++) {
            int used = 0;
            for (size_t i = 0; i < n; i++) used |= idx[i] == s;
            if (!used)
                for (size_t f = 0; f < 4; f++) assert_true(before[s * 4 + f] == after[s * 4 + f]);
        }
        gn_model_free(m);
        gn__batch_free(&b);
        free(before);
        free(after);
        kind->learner_free(kl);
    }
}

/* The header carries fm_rank; the loader checks it against weights_per_slot. */
static void test_fm_header(void **state) {
    (void)state;
    gn_model *m = new_model(GN_KIND_FM, 6);
    json_t *hdr = json_object();
    assert_int_equal(m->ops->header_write(m, hdr), GN_OK);
    assert_int_equal(json_integer_value(json_object_get(hdr, "fm_rank")), 5);
    assert_int_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    json_object_set_new(hdr, "fm_rank", json_integer(4));
    assert_int_not_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    json_object_set_new(hdr, "fm_rank", json_integer(0));
    assert_int_not_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    json_decref(hdr);
    gn_model_free(m);
}

/* Factors start from the seed: the same seed the same table, another seed another (without
 * normalized updates every row starts at once). */
static void test_fm_init_seeded(void **state) {
    (void)state;
    const gn_kind *kind = gn__kind_by_id(GN_KIND_FM);
    gn_train_options o;
    gn_train_options_init(&o);
    o.kind = GN_KIND_FM;
    o.fm_rank = 2;
    o.normalize = 0;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.bits = BITS;
    float w[3][NSLOTS * 3];
    for (int r = 0; r < 3; r++) {
        o.seed = r == 2 ? 9 : 1;
        gn_kind_learner *kl = NULL;
        assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_OK);
        kind->get_weights(kl, w[r]);
        kind->learner_free(kl);
    }
    assert_memory_equal(w[0], w[1], sizeof w[0]);
    assert_memory_not_equal(w[0], w[2], sizeof w[0]);
    for (size_t i = 0; i < NSLOTS * 3; i++) {
        if (i % 3 == 0) assert_true(w[0][i] == 0.0f); /* linear weights start at 0 */
        else assert_true(fabsf(w[0][i]) <= 0.01f && w[0][i] != 0.0f);
    }
}

/* With normalized updates (the default) a row's factors start when it first sees a value: the
 * seeded start values divided by |x| (v x as at scale 1), the same from either learner; rows no
 * example touched stay zero. */
static void test_fm_init_lazy(void **state) {
    (void)state;
    const gn_kind *kind = gn__kind_by_id(GN_KIND_FM);
    gn_train_options o;
    gn_train_options_init(&o);
    o.kind = GN_KIND_FM;
    o.fm_rank = 2;
    o.seed = 1;
    o.normalize = 1;
    o.lr = 1e-30; /* steps too small to move a float: the table holds the start values */
    o.fm_lr = 1e-30;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.bits = BITS;
    float eager[NSLOTS * 3], lazy[NSLOTS * 3];
    gn_kind_learner *kl = NULL;
    o.normalize = 0;
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_OK);
    kind->get_weights(kl, eager);
    kind->learner_free(kl);
    o.normalize = 1;
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_OK);
    kind->get_weights(kl, lazy);
    for (size_t i = 0; i < NSLOTS * 3; i++) assert_true(lazy[i] == 0.0f);
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 1, NSLOTS), GN_OK);
    assert_int_equal(gn__batch_begin_example(&b, 1.0f, 1.0f, 0), GN_OK);
    gn__batch_push(&b, 3, 4.0f);
    gn__batch_push(&b, 5, -0.5f);
    gn__batch_end_example(&b);
    double progressive = 0.0;
    assert_int_equal(kind->learn_batch(kl, &b, NULL, &progressive), GN_OK);
    kind->get_weights(kl, lazy);
    for (size_t slot = 0; slot < NSLOTS; slot++)
        for (size_t f = 1; f < 3; f++) {
            const float got = lazy[slot * 3 + f];
            if (slot == 3) assert_float_equal(got, eager[slot * 3 + f] / 4.0f, 1e-9);
            else if (slot == 5) assert_float_equal(got, eager[slot * 3 + f] / 0.5f, 1e-9);
            else assert_true(got == 0.0f);
        }
    gn__batch_free(&b);
    kind->learner_free(kl);
}

/* ---------------------------------------------------------------- softmax */

/* A softmax fm model of nc classes, rank k (loss softmax, spec nclasses, "labels" c0..). */
static gn_model *softmax_model(uint32_t nc, uint32_t k) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.bits = BITS;
    spec.label_kind = GN_LABEL_CLASS;
    spec.nclasses = nc;
    gn_model *m = NULL;
    assert_int_equal(gn__model_new(GN_KIND_FM, GN_LOSS_SOFTMAX, &spec, nc * (1 + k), &m), GN_OK);
    json_t *cl = json_array();
    for (uint32_t c = 0; c < nc; c++) {
        char name[16];
        snprintf(name, sizeof name, "c%u", (unsigned)c);
        json_array_append_new(cl, json_string(name));
    }
    m->extra = json_pack("{s:{s:o}}", "labels", "classes", cl);
    assert_non_null(m->extra);
    return m;
}

/* Class c's score of a softmax model, naively: rows {w[nc], v[nc][k]}. */
static double naive_class_score(const gn_model *m, size_t nc, size_t c, const uint32_t *idx, const float *val,
                                size_t n) {
    const size_t st = m->weights_per_slot, k = st / nc - 1;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double)m->w[idx[i] * st + c] * val[i];
        for (size_t j = i + 1; j < n; j++) {
            double dot = 0.0;
            for (size_t f = 0; f < k; f++)
                dot += (double)m->w[idx[i] * st + nc + c * k + f] * m->w[idx[j] * st + nc + c * k + f];
            s += dot * val[i] * val[j];
        }
    }
    return s;
}

static void scores_of(const gn_model *m, const uint32_t *idx, const float *val, size_t n, double *out) {
    const size_t start[2] = {0, n};
    const gn_rows rows = {1, start, idx, val};
    gn__model_scores(m, &rows, out);
}

static void test_fm_softmax_score_naive(void **state) {
    (void)state;
    uint64_t rs = 21;
    const uint32_t ncs[] = {2, 3, 5}, ks[] = {1, 4, 7};
    for (size_t t = 0; t < 3; t++) {
        gn_model *m = softmax_model(ncs[t], ks[t]);
        assert_int_equal(gn_model_outputs(m), ncs[t]);
        for (size_t i = 0; i < m->nweights; i++) m->w[i] = (float)(unif(&rs) - 0.5);
        for (int r = 0; r < 10; r++) {
            uint32_t idx[NSLOTS];
            float val[NSLOTS];
            double got[5];
            const size_t n = random_row(&rs, idx, val, NSLOTS);
            scores_of(m, idx, val, n, got);
            for (size_t c = 0; c < ncs[t]; c++) {
                const double want = naive_class_score(m, ncs[t], c, idx, val, n);
                assert_true(fabs(want - got[c]) < 1e-9 * (1.0 + fabs(want)));
            }
        }
        gn_model_free(m);
    }
}

static gn_train_options plain_sgd(gn_loss loss, uint32_t k) {
    gn_train_options o;
    gn_train_options_init(&o);
    o.kind = GN_KIND_FM;
    o.loss = loss;
    o.optimizer = GN_OPT_SGD;
    o.normalize = 0;
    o.power_t = 0;
    o.l1 = 0;
    o.lr = 0.05;
    o.fm_lr = 0; /* the factors step with lr too */
    o.fm_rank = k;
    o.fm_init = 0.3;
    o.seed = 7;
    return o;
}

/* One plain SGD step of a 3-class softmax fm is -lr times the gradient of -log p_y in every weight
 * (central differences through the model's scores); untouched slots stay. */
static void test_fm_softmax_grad_fd(void **state) {
    (void)state;
    const gn_kind *kind = gn__kind_by_id(GN_KIND_FM);
    const uint32_t nc = 3, k = 2, wps = nc * (1 + k);
    uint64_t rs = 13;
    for (size_t y = 0; y < nc; y++) {
        gn_train_options o = plain_sgd(GN_LOSS_SOFTMAX, k);
        gn_data_spec spec;
        gn_data_spec_init(&spec);
        spec.bits = BITS;
        spec.label_kind = GN_LABEL_CLASS;
        spec.nclasses = nc;
        gn_kind_learner *kl = NULL;
        assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_OK);
        assert_int_equal(kind->learner_outputs(kl), nc);
        const size_t len = kind->weights_len(kl);
        assert_int_equal(len, (size_t)NSLOTS * wps);
        float *before = malloc(len * sizeof *before), *after = malloc(len * sizeof *after);
        assert_non_null(before);
        assert_non_null(after);
        for (size_t i = 0; i < len; i++) before[i] = (float)(unif(&rs) - 0.5);
        kind->set_weights(kl, before);

        gn_batch b;
        assert_int_equal(gn__batch_init(&b, 1, NSLOTS), GN_OK);
        assert_int_equal(gn__batch_begin_example(&b, (float)y, 1.0f, 0), GN_OK);
        uint32_t idx[NSLOTS];
        float val[NSLOTS];
        const size_t n = random_row(&rs, idx, val, 8);
        assert_true(n >= 3);
        for (size_t i = 0; i < n; i++) gn__batch_push(&b, idx[i], val[i]);
        gn__batch_end_example(&b);
        double progressive[3], s[3];
        assert_int_equal(kind->learn_batch(kl, &b, NULL, progressive), GN_OK);
        kind->get_weights(kl, after);

        gn_model *m = NULL;
        assert_int_equal(kind->to_model(kl, before, &m), GN_OK);
        assert_int_equal(m->weights_per_slot, wps);
        scores_of(m, idx, val, n, s);
        for (size_t c = 0; c < nc; c++) assert_true(fabs(progressive[c] - s[c]) < 1e-9); /* before learning */
        size_t moved = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t f = 0; f < wps; f++) {
                const size_t p = idx[i] * wps + f;
                const float keep = m->w[p];
                m->w[p] = keep + 1e-3f;
                scores_of(m, idx, val, n, s);
                const double up = gn__loss_row(GN_LOSS_SOFTMAX, s, nc, (double)y, 0.5), hu = (double)m->w[p] - keep;
                m->w[p] = keep - 1e-3f;
                scores_of(m, idx, val, n, s);
                const double down = gn__loss_row(GN_LOSS_SOFTMAX, s, nc, (double)y, 0.5), hd = (double)keep - m->w[p];
                m->w[p] = keep;
                const double fd = (up - down) / (hu + hd);
                const double step = ((double)before[p] - after[p]) / o.lr;
                assert_true(fabs(fd - step) < 2e-3);
                moved += step != 0.0;
            }
        assert_int_equal(moved, n * wps); /* every class's w and factors of every feature */
        for (size_t sl = 0; sl < NSLOTS; sl++) {
            int used = 0;
            for (size_t i = 0; i < n; i++) used |= idx[i] == sl;
            if (!used) assert_memory_equal(before + sl * wps, after + sl * wps, wps * sizeof *before);
        }
        gn_model_free(m);
        gn__batch_free(&b);
        free(before);
        free(after);
        kind->learner_free(kl);
    }
}

/* K = 2 with class 0 all zeros: p_1 = sigmoid(s_1), the logistic fm of class 1's weights; and one
 * SGD step moves class 1 exactly as the logistic learner moves its model (g_1 = p_1 - [y = 1] is
 * logistic's derivative at label +-1), class 0's factors stay zero (their gradient has the factor
 * sum of class 0, zero) and its linear weights step opposite to class 1's. */
static void test_fm_softmax_k2_is_logistic(void **state) {
    (void)state;
    const gn_kind *kind = gn__kind_by_id(GN_KIND_FM);
    const uint32_t k = 3, bw = 1 + k, sw = 2 * (1 + k);
    uint64_t rs = 17;
    for (int label = 0; label < 2; label++) {
        gn_train_options ob = plain_sgd(GN_LOSS_LOGISTIC, k), os = plain_sgd(GN_LOSS_SOFTMAX, k);
        gn_data_spec sb, ss;
        gn_data_spec_init(&sb);
        sb.bits = BITS;
        ss = sb;
        ss.label_kind = GN_LABEL_CLASS;
        ss.nclasses = 2;
        gn_kind_learner *lb = NULL, *ls = NULL;
        assert_int_equal(kind->learner_new(&ob, &sb, &lb), GN_OK);
        assert_int_equal(kind->learner_new(&os, &ss, &ls), GN_OK);
        float *wb = malloc(NSLOTS * bw * sizeof *wb), *ws = calloc(NSLOTS * sw, sizeof *ws);
        float *ab = malloc(NSLOTS * bw * sizeof *ab), *as = malloc(NSLOTS * sw * sizeof *as);
        assert_true(wb && ws && ab && as);
        for (size_t i = 0; i < NSLOTS * bw; i++) wb[i] = (float)(unif(&rs) - 0.5);
        for (size_t sl = 0; sl < NSLOTS; sl++) { /* {w0, w1, v0[k], v1[k]}: class 1 is the binary row */
            ws[sl * sw + 1] = wb[sl * bw];
            for (size_t f = 0; f < k; f++) ws[sl * sw + 2 + k + f] = wb[sl * bw + 1 + f];
        }
        kind->set_weights(lb, wb);
        kind->set_weights(ls, ws);
        gn_model *mb = NULL, *ms = NULL;
        assert_int_equal(kind->to_model(lb, NULL, &mb), GN_OK);
        assert_int_equal(kind->to_model(ls, NULL, &ms), GN_OK);
        uint32_t idx[NSLOTS];
        float val[NSLOTS];
        const size_t n = random_row(&rs, idx, val, 10);
        double pb, ps[2];
        const size_t start[2] = {0, n};
        const gn_rows rows = {1, start, idx, val};
        gn__model_predictions(mb, &rows, &pb);
        gn__model_predictions(ms, &rows, ps);
        assert_true(fabs(pb - ps[1]) < 1e-12 && fabs(1.0 - ps[0] - ps[1]) < 1e-12);

        gn_batch b1, b2;
        assert_int_equal(gn__batch_init(&b1, 1, NSLOTS), GN_OK);
        assert_int_equal(gn__batch_init(&b2, 1, NSLOTS), GN_OK);
        assert_int_equal(gn__batch_begin_example(&b1, label ? 1.0f : -1.0f, 1.0f, 0), GN_OK);
        assert_int_equal(gn__batch_begin_example(&b2, (float)label, 1.0f, 0), GN_OK);
        for (size_t i = 0; i < n; i++) {
            gn__batch_push(&b1, idx[i], val[i]);
            gn__batch_push(&b2, idx[i], val[i]);
        }
        gn__batch_end_example(&b1);
        gn__batch_end_example(&b2);
        double sb1, ss2[2];
        assert_int_equal(kind->learn_batch(lb, &b1, NULL, &sb1), GN_OK);
        assert_int_equal(kind->learn_batch(ls, &b2, NULL, ss2), GN_OK);
        assert_true(ss2[0] == 0.0 && fabs(sb1 - ss2[1]) < 1e-12);
        kind->get_weights(lb, ab);
        kind->get_weights(ls, as);
        size_t moved = 0;
        for (size_t sl = 0; sl < NSLOTS; sl++) {
            const float *rb = ab + sl * bw, *rsm = as + sl * sw;
            assert_true(fabsf(rsm[1] - rb[0]) < 1e-6f);
            assert_true(fabsf(rsm[0] + (rb[0] - wb[sl * bw])) < 1e-6f); /* class 0: the opposite step */
            for (size_t f = 0; f < k; f++) {
                assert_true(rsm[2 + f] == 0.0f);
                assert_true(fabsf(rsm[2 + k + f] - rb[1 + f]) < 1e-6f);
            }
            moved += rb[0] != wb[sl * bw];
        }
        assert_int_equal(moved, n);
        gn__batch_free(&b1);
        gn__batch_free(&b2);
        gn_model_free(mb);
        gn_model_free(ms);
        free(wb);
        free(ws);
        free(ab);
        free(as);
        kind->learner_free(lb);
        kind->learner_free(ls);
    }
}

/* A softmax model's header: fm_rank is the rank, not the row's width; the loader checks the
 * classes against the row and the spec. */
static void test_fm_softmax_header(void **state) {
    (void)state;
    gn_model *m = softmax_model(3, 4);
    json_t *hdr = json_object();
    assert_int_equal(m->ops->header_write(m, hdr), GN_OK);
    assert_int_equal(json_integer_value(json_object_get(hdr, "fm_rank")), 4);
    assert_int_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    json_object_set_new(hdr, "fm_rank", json_integer(3));
    assert_int_not_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    json_object_set_new(hdr, "fm_rank", json_integer(4));
    m->spec.nclasses = 4; /* the spec disagrees with the classes */
    assert_int_not_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    m->spec.nclasses = 0; /* absent: taken from the classes */
    assert_int_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    assert_int_equal(m->spec.nclasses, 3);
    json_decref(hdr);
    gn_model_free(m);
}

/* Classes whose rows a model cannot hold are refused with the reason. */
static void test_fm_softmax_refuses(void **state) {
    (void)state;
    const gn_kind *kind = gn__kind_by_id(GN_KIND_FM);
    gn_train_options o = plain_sgd(GN_LOSS_SOFTMAX, 110);
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.bits = BITS;
    spec.label_kind = GN_LABEL_CLASS;
    spec.nclasses = 10; /* 10 x 111 > 1024 */
    gn_kind_learner *kl = NULL;
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "lower --rank (at most 101)"));
    spec.nclasses = 0; /* classes not resolved */
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_EINVAL);
    assert_null(kl);
}

/* save > load gives the same model: its layout, every weight's bits, its version and its scores. */
static void test_fm_softmax_save_load(void **state) {
    (void)state;
    uint64_t rs = 31;
    gn_model *m = softmax_model(4, 3), *back = NULL;
    for (size_t i = 0; i < m->nweights; i++) m->w[i] = (float)(unif(&rs) - 0.5);
    assert_int_equal(gn__model_finalize(m), GN_OK);
    assert_int_equal(gn_model_save(m, tpath("s.model")), GN_OK);
    assert_int_equal(gn_model_load(tpath("s.model"), &back), GN_OK);
    assert_int_equal(gn_model_get_kind(back), GN_KIND_FM);
    assert_int_equal(back->weights_per_slot, m->weights_per_slot);
    assert_int_equal(gn_model_outputs(back), gn_model_outputs(m));
    assert_int_equal(back->nweights, m->nweights);
    assert_memory_equal(back->w, m->w, m->nweights * sizeof *m->w);
    assert_string_equal(gn_model_version(back), gn_model_version(m));
    for (int r = 0; r < 5; r++) {
        uint32_t idx[NSLOTS];
        float val[NSLOTS];
        double a[4], b[4];
        const size_t n = random_row(&rs, idx, val, NSLOTS);
        scores_of(m, idx, val, n, a);
        scores_of(back, idx, val, n, b);
        assert_memory_equal(a, b, gn_model_outputs(m) * sizeof *a);
    }
    gn_model_free(m);
    gn_model_free(back);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fm_score_naive),
        cmocka_unit_test(test_fm_zero_factors_is_linear),
        cmocka_unit_test(test_fm_grad_fd),
        cmocka_unit_test(test_fm_header),
        cmocka_unit_test(test_fm_init_seeded),
        cmocka_unit_test(test_fm_init_lazy),
        cmocka_unit_test(test_fm_softmax_score_naive),
        cmocka_unit_test(test_fm_softmax_grad_fd),
        cmocka_unit_test(test_fm_softmax_save_load),
        cmocka_unit_test(test_fm_softmax_k2_is_logistic),
        cmocka_unit_test(test_fm_softmax_header),
        cmocka_unit_test(test_fm_softmax_refuses),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
