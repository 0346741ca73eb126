/* tests/unit/test_fm.c: the factorization-machine kind (model/kinds/fm.c). Its O(K n) score
 * against the naive O(K n^2) pairwise sum; the learner's SGD step against finite differences of
 * the loss in every weight (linear and factors); an fm model whose factors are all zero scores
 * as the linear model with the same weights; the header key fm_rank. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

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

/* Factors start from the seed: the same seed the same table, another seed another. */
static void test_fm_init_seeded(void **state) {
    (void)state;
    const gn_kind *kind = gn__kind_by_id(GN_KIND_FM);
    gn_train_options o;
    gn_train_options_init(&o);
    o.kind = GN_KIND_FM;
    o.fm_rank = 2;
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fm_score_naive),
        cmocka_unit_test(test_fm_zero_factors_is_linear),
        cmocka_unit_test(test_fm_grad_fd),
        cmocka_unit_test(test_fm_header),
        cmocka_unit_test(test_fm_init_seeded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
