/* tests/unit/test_ffm.c: the field-aware factorization-machine kind (model/kinds/ffm.c) and the
 * field-aware slots it reads (io/fields.h). Its score against the naive pairwise sum; an ffm
 * whose vectors are the same for every field scores as the fm with those vectors; one SGD step
 * against finite differences of the loss in every weight; the header keys and the layouts it
 * refuses; and on a generated problem whose label comes from field-specific interactions, ffm's
 * held-out AUC clearly above fm's at the same rank. Softmax over K classes: each class's score is
 * the ffm formula over its own weights (rows {w[K], v[F][K][rank]}), one SGD step is the gradient
 * of -log p_y by finite differences, and the learner's table and the layouts it refuses grow with
 * K. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define GN_TEST_DIR_TAG "ffm"
#include "test_util.h"

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/fields.h"
#include "learn/loss.h"
#include "model/kind.h"
#include "model/model.h"

static double unif(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0;
}

enum { BITS = 8, NSLOTS = 1 << BITS, NF = 4 };

static void ffm_spec(gn_data_spec *spec, uint32_t bits, uint32_t nf) {
    gn_data_spec_init(spec);
    spec->format = GN_FORMAT_CSV;
    spec->bits = bits;
    spec->field_aware = 1;
    spec->nfields = nf;
}

static gn_model *new_model(gn_model_kind kind, uint32_t wps) {
    gn_data_spec spec;
    ffm_spec(&spec, BITS, NF);
    gn_model *m = NULL;
    assert_int_equal(gn__model_new(kind, GN_LOSS_LOGISTIC, &spec, wps, &m), GN_OK);
    return m;
}

/* The bias (when bias) and per field up to `per_field` distinct features of that field, random
 * values; slots increasing. */
static size_t random_row(uint64_t *rs, uint32_t *idx, float *val, int bias, size_t per_field) {
    const uint32_t span = gn__field_span(BITS, NF);
    size_t n = 0;
    if (bias) {
        idx[n] = 0;
        val[n++] = 1.0f;
    }
    for (uint32_t f = 0; f < NF; f++) {
        size_t got = 0;
        for (uint32_t s = 0; s < span && got < per_field; s++)
            if (unif(rs) < 0.1) {
                idx[n] = gn__field_slot(s, f, span);
                val[n++] = (float)(2.0 * unif(rs) - 1.0);
                got++;
            }
    }
    return n;
}

static double naive_score(const gn_model *m, const uint32_t *idx, const float *val, size_t n) {
    const size_t st = m->weights_per_slot, k = (st - 1) / NF;
    const uint32_t span = gn__field_span(BITS, NF);
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double)m->w[idx[i] * st] * val[i];
        if (idx[i] == 0) continue;
        for (size_t j = i + 1; j < n; j++) {
            if (idx[j] == 0) continue;
            const size_t fi = (idx[i] - 1) / span, fj = (idx[j] - 1) / span;
            double dot = 0.0;
            for (size_t f = 0; f < k; f++)
                dot += (double)m->w[idx[i] * st + 1 + fj * k + f] * m->w[idx[j] * st + 1 + fi * k + f];
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

static void test_fields_slots(void **state) {
    (void)state;
    const uint32_t span = gn__field_span(BITS, NF);
    assert_int_equal(span, (NSLOTS - 1) / NF);
    for (uint32_t f = 0; f < NF; f++)
        for (uint32_t s = 0; s < 3 * NSLOTS; s += 7) {
            const uint32_t slot = gn__field_slot(s, f, span);
            assert_true(slot >= 1 && slot < NSLOTS);
            assert_int_equal(gn__slot_field(slot, span, NF), f);
        }
    assert_int_equal(gn__slot_field(0, span, NF), NF); /* the bias: no field */
    assert_int_equal(gn__field_span(2, 4), 0);        /* 3 slots cannot hold 4 fields */
}

static void test_ffm_score_naive(void **state) {
    (void)state;
    uint64_t rs = 11;
    const uint32_t ranks[] = {1, 3, 8};
    for (size_t r = 0; r < 3; r++) {
        gn_model *m = new_model(GN_KIND_FFM, 1 + NF * ranks[r]);
        for (size_t i = 0; i < m->nweights; i++) m->w[i] = (float)(unif(&rs) - 0.5);
        for (int t = 0; t < 20; t++) {
            uint32_t idx[NSLOTS];
            float val[NSLOTS];
            const size_t n = random_row(&rs, idx, val, t % 2, 1 + (size_t)t % 4);
            const double want = naive_score(m, idx, val, n), got = score1(m, idx, val, n);
            assert_true(fabs(want - got) < 1e-9 * (1.0 + fabs(want)));
        }
        gn_model_free(m);
    }
}

/* v_{i,f} = v_i for every field f: the ffm scores as the fm with factors v (the bias, which has no
 * field in ffm, has zero factors in the fm). */
static void test_ffm_same_factor_is_fm(void **state) {
    (void)state;
    uint64_t rs = 5;
    const uint32_t k = 3;
    gn_model *ffm = new_model(GN_KIND_FFM, 1 + NF * k), *fm = new_model(GN_KIND_FM, 1 + k);
    for (size_t s = 0; s < NSLOTS; s++) {
        const float w = (float)(unif(&rs) - 0.5);
        ffm->w[s * (1 + NF * k)] = fm->w[s * (1 + k)] = w;
        for (size_t f = 0; f < k; f++) {
            const float v = s == 0 ? 0.0f : (float)(unif(&rs) - 0.5);
            fm->w[s * (1 + k) + 1 + f] = v;
            for (size_t g = 0; g < NF; g++) ffm->w[s * (1 + NF * k) + 1 + g * k + f] = v;
        }
    }
    for (int t = 0; t < 40; t++) {
        uint32_t idx[NSLOTS];
        float val[NSLOTS];
        const size_t n = random_row(&rs, idx, val, 1, 1 + (size_t)t % 5);
        const double a = score1(ffm, idx, val, n), b = score1(fm, idx, val, n);
        assert_true(fabs(a - b) < 1e-9 * (1.0 + fabs(a)));
    }
    gn_model_free(ffm);
    gn_model_free(fm);
}

static gn_train_options ffm_options(gn_model_kind kind, gn_loss loss, uint32_t rank) {
    gn_train_options o;
    gn_train_options_init(&o);
    o.kind = kind;
    o.loss = loss;
    o.fm_rank = rank;
    o.seed = 7;
    return o;
}

/* One plain SGD step (lr eta, no decay, no regularisation) moves every weight by -eta times the
 * loss's gradient, checked against central differences of the loss through the model's score.
 * One feature per field: each vector is then met by one pair, so the per-pair steps are exactly
 * one gradient step. */
static void test_ffm_grad_fd(void **state) {
    (void)state;
    const gn_kind *kind = gn__kind_by_id(GN_KIND_FFM);
    assert_non_null(kind);
    const gn_loss losses[] = {GN_LOSS_LOGISTIC, GN_LOSS_SQUARED};
    const uint32_t k = 3, wps = 1 + NF * k;
    uint64_t rs = 3;
    for (size_t li = 0; li < 2; li++) {
        gn_train_options o = ffm_options(GN_KIND_FFM, losses[li], k);
        o.optimizer = GN_OPT_SGD;
        o.normalize = 0;
        o.power_t = 0;
        o.l1 = 0;
        o.lr = 0.05;
        o.fm_lr = 0; /* the factors step with lr too */
        o.fm_init = 0.3;
        gn_data_spec spec;
        ffm_spec(&spec, BITS, NF);
        gn_kind_learner *kl = NULL;
        assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_OK);
        const size_t len = kind->weights_len(kl);
        assert_int_equal(len, (size_t)NSLOTS * wps);
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
        const size_t n = random_row(&rs, idx, val, 1, 1);
        assert_int_equal(n, 1 + NF);
        for (size_t i = 0; i < n; i++) gn__batch_push(&b, idx[i], val[i]);
        gn__batch_end_example(&b);
        double progressive = 0.0;
        assert_int_equal(kind->learn_batch(kl, &b, NULL, &progressive), GN_OK);
        kind->get_weights(kl, after);

        gn_model *m = NULL;
        assert_int_equal(kind->to_model(kl, before, &m), GN_OK);
        assert_true(fabs(progressive - score1(m, idx, val, n)) < 1e-9); /* scored before learning */
        size_t moved = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t f = 0; f < wps; f++) {
                const size_t p = idx[i] * wps + f;
                const float keep = m->w[p];
                m->w[p] = keep + 1e-3f;
                const double up = gn__loss_value(o.loss, score1(m, idx, val, n), y, 0.5), hu = (double)m->w[p] - keep;
                m->w[p] = keep - 1e-3f;
                const double down = gn__loss_value(o.loss, score1(m, idx, val, n), y, 0.5), hd = (double)keep - m->w[p];
                m->w[p] = keep;
                const double fd = (up - down) / (hu + hd);
                const double step = ((double)before[p] - after[p]) / o.lr;
                assert_true(fabs(fd - step) < 2e-3);
                moved += step != 0.0;
            }
        assert_true(moved >= 1 + NF + NF * (NF - 1) * k); /* every w and every met vector */
        /* slots the example did not touch did not move */
        for (size_t s = 0; s < NSLOTS; s++) {
            int used = 0;
            for (size_t i = 0; i < n; i++) used |= idx[i] == s;
            if (!used)
                for (size_t f = 0; f < wps; f++) assert_true(before[s * wps + f] == after[s * wps + f]);
        }
        gn_model_free(m);
        gn__batch_free(&b);
        free(before);
        free(after);
        kind->learner_free(kl);
    }
}

/* The header carries ffm_rank and ffm_fields; the loader checks them against weights_per_slot
 * and the spec's fields. */
static void test_ffm_header(void **state) {
    (void)state;
    gn_model *m = new_model(GN_KIND_FFM, 1 + NF * 5);
    json_t *hdr = json_object();
    assert_int_equal(m->ops->header_write(m, hdr), GN_OK);
    assert_int_equal(json_integer_value(json_object_get(hdr, "ffm_rank")), 5);
    assert_int_equal(json_integer_value(json_object_get(hdr, "ffm_fields")), NF);
    assert_int_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    json_object_set_new(hdr, "ffm_rank", json_integer(4));
    assert_int_not_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    json_object_set_new(hdr, "ffm_rank", json_integer(5));
    json_object_set_new(hdr, "ffm_fields", json_integer(NF + 1));
    assert_int_not_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    json_object_del(hdr, "ffm_fields");
    assert_int_not_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    json_decref(hdr);
    gn_model_free(m);
}

/* Layouts a model cannot hold, and data without fields, are refused with the reason. */
static void test_ffm_refuses(void **state) {
    (void)state;
    const gn_kind *kind = gn__kind_by_id(GN_KIND_FFM);
    gn_kind_learner *kl = NULL;
    gn_data_spec spec;
    ffm_spec(&spec, 12, 64);
    gn_train_options o = ffm_options(GN_KIND_FFM, GN_LOSS_LOGISTIC, 20); /* 64 x 20 > 1023 factors */
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "lower --rank"));
    o.fm_rank = 3;
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_OK);
    kind->learner_free(kl);
    spec.field_aware = 0;
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "needs fields"));
    o.loss = GN_LOSS_POISSON;
    ffm_spec(&spec, 12, 4);
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_EINVAL);
    /* memory: the table the learner takes, reported before it is made */
    o.loss = GN_LOSS_LOGISTIC;
    o.optimizer = GN_OPT_ADAGRAD;
    assert_int_equal(kind->learner_bytes(&o, &spec), ((uint64_t)1 << 12) * (3 + 2 * 4 * 3) * sizeof(float));
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_OK);
    const gn_kind_table t = kind->table(kl);
    assert_int_equal((uint64_t)t.nslots * t.stride * sizeof(float), kind->learner_bytes(&o, &spec));
    kind->learner_free(kl);
}

/* ---- softmax over K classes ---- */

static gn_model *softmax_model(uint32_t nc, uint32_t k) {
    gn_data_spec spec;
    ffm_spec(&spec, BITS, NF);
    spec.label_kind = GN_LABEL_CLASS;
    spec.nclasses = nc;
    gn_model *m = NULL;
    assert_int_equal(gn__model_new(GN_KIND_FFM, GN_LOSS_SOFTMAX, &spec, nc * (1 + NF * k), &m), GN_OK);
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

/* Class c's score, naively: v_{i,field,c} at nc + (field * nc + c) * k of slot i's row. */
static double naive_class_score(const gn_model *m, size_t nc, size_t c, const uint32_t *idx, const float *val,
                                size_t n) {
    const size_t st = m->weights_per_slot, k = (st / nc - 1) / NF;
    const uint32_t span = gn__field_span(BITS, NF);
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double)m->w[idx[i] * st + c] * val[i];
        if (idx[i] == 0) continue;
        for (size_t j = i + 1; j < n; j++) {
            if (idx[j] == 0) continue;
            const size_t fi = (idx[i] - 1) / span, fj = (idx[j] - 1) / span;
            double dot = 0.0;
            for (size_t f = 0; f < k; f++)
                dot += (double)m->w[idx[i] * st + nc + (fj * nc + c) * k + f] *
                       m->w[idx[j] * st + nc + (fi * nc + c) * k + f];
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

static void test_ffm_softmax_score_naive(void **state) {
    (void)state;
    uint64_t rs = 23;
    const uint32_t ncs[] = {2, 3, 4}, ks[] = {1, 3, 5};
    for (size_t t = 0; t < 3; t++) {
        gn_model *m = softmax_model(ncs[t], ks[t]);
        assert_int_equal(gn_model_outputs(m), ncs[t]);
        for (size_t i = 0; i < m->nweights; i++) m->w[i] = (float)(unif(&rs) - 0.5);
        for (int r = 0; r < 10; r++) {
            uint32_t idx[NSLOTS];
            float val[NSLOTS];
            double got[4];
            const size_t n = random_row(&rs, idx, val, r & 1, 3);
            scores_of(m, idx, val, n, got);
            for (size_t c = 0; c < ncs[t]; c++) {
                const double want = naive_class_score(m, ncs[t], c, idx, val, n);
                assert_true(fabs(want - got[c]) < 1e-9 * (1.0 + fabs(want)));
            }
        }
        gn_model_free(m);
    }
}

/* One plain SGD step of a 3-class softmax ffm is -lr times the gradient of -log p_y in every weight
 * (one feature per field, as test_ffm_grad_fd); untouched slots stay. */
static void test_ffm_softmax_grad_fd(void **state) {
    (void)state;
    const gn_kind *kind = gn__kind_by_id(GN_KIND_FFM);
    const uint32_t nc = 3, k = 2, wps = nc * (1 + NF * k);
    uint64_t rs = 29;
    for (size_t y = 0; y < nc; y++) {
        gn_train_options o = ffm_options(GN_KIND_FFM, GN_LOSS_SOFTMAX, k);
        o.optimizer = GN_OPT_SGD;
        o.normalize = 0;
        o.power_t = 0;
        o.l1 = 0;
        o.lr = 0.05;
        o.fm_lr = 0;
        o.fm_init = 0.3;
        gn_data_spec spec;
        ffm_spec(&spec, BITS, NF);
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
        const size_t n = random_row(&rs, idx, val, 1, 1);
        assert_int_equal(n, 1 + NF);
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
        /* every class's w of every feature, and every class's vectors each pair meets */
        assert_int_equal(moved, nc * (1 + NF + NF * (NF - 1) * k));
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

/* Softmax: the header's ffm_rank is the rank; the table and the limit grow with the classes. */
static void test_ffm_softmax_layout(void **state) {
    (void)state;
    gn_model *m = softmax_model(3, 5);
    json_t *hdr = json_object();
    assert_int_equal(m->ops->header_write(m, hdr), GN_OK);
    assert_int_equal(json_integer_value(json_object_get(hdr, "ffm_rank")), 5);
    assert_int_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    json_object_set_new(hdr, "ffm_rank", json_integer(15));
    assert_int_not_equal(m->ops->header_read(m, hdr, "x.model"), GN_OK);
    json_decref(hdr);
    gn_model_free(m);

    const gn_kind *kind = gn__kind_by_id(GN_KIND_FFM);
    gn_kind_learner *kl = NULL;
    gn_data_spec spec;
    ffm_spec(&spec, 10, NF);
    spec.label_kind = GN_LABEL_CLASS;
    spec.nclasses = 5;
    gn_train_options o = ffm_options(GN_KIND_FFM, GN_LOSS_SOFTMAX, 52); /* 5 x (1 + 4 x 52) > 1024 */
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "5 classes"));
    o.fm_rank = 3;
    o.optimizer = GN_OPT_ADAGRAD;
    assert_int_equal(kind->learner_bytes(&o, &spec), ((uint64_t)1 << 10) * (1 + 2 * 5 + 2 * 5 * NF * 3) * sizeof(float));
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_OK);
    const gn_kind_table t = kind->table(kl);
    assert_int_equal((uint64_t)t.nslots * t.stride * sizeof(float), kind->learner_bytes(&o, &spec));
    assert_int_equal(kind->learner_outputs(kl), 5);
    kind->learner_free(kl);
}

/* ---- ffm beats fm where interactions depend on the field pair ---- */

enum { GF = 4, GV = 25, NTRAIN = 30000, NTEST = 5000 };

/* Each field pair (f, g) has its own +-1 attributes a_fg of f's values and b_fg of g's: the
 * label's log-odds are the sum over pairs of a_fg(x_f) b_fg(x_g), so a value of f meets every
 * other field through a different attribute (user x ad one way, user x context another). */
typedef struct problem {
    signed char a[GF][GF][GV];
} problem;

static void make_batch(const problem *pr, uint64_t *rs, size_t n, gn_batch *b) {
    const uint32_t span = gn__field_span(14, GF);
    assert_int_equal(gn__batch_init(b, n, n * (GF + 1)), GN_OK);
    for (size_t e = 0; e < n; e++) {
        uint32_t x[GF];
        for (uint32_t f = 0; f < GF; f++) x[f] = (uint32_t)(unif(rs) * GV);
        double s = 0.0;
        for (uint32_t f = 0; f < GF; f++)
            for (uint32_t g = f + 1; g < GF; g++) s += 1.2 * pr->a[f][g][x[f]] * pr->a[g][f][x[g]];
        const float y = unif(rs) < 1.0 / (1.0 + exp(-s)) ? 1.0f : -1.0f;
        assert_int_equal(gn__batch_begin_example(b, y, 1.0f, e), GN_OK);
        gn__batch_push(b, 0, 1.0f);
        for (uint32_t f = 0; f < GF; f++) gn__batch_push(b, gn__field_slot(x[f], f, span), 1.0f);
        gn__batch_end_example(b);
    }
}

typedef struct scored {
    double s;
    float y;
} scored;

static int by_score(const void *a, const void *b) {
    const double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return x < y ? -1 : x > y;
}

static double auc_of(scored *v, size_t n) {
    qsort(v, n, sizeof *v, by_score);
    double pos = 0, neg = 0, rank_sum = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].y > 0) {
            pos++;
            rank_sum += (double)i + 1;
        } else {
            neg++;
        }
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

static double heldout_auc(gn_model_kind kindid, const gn_batch *train, const gn_batch *test) {
    const gn_kind *kind = gn__kind_by_id(kindid);
    gn_train_options o = ffm_options(kindid, GN_LOSS_LOGISTIC, 4);
    gn_data_spec spec;
    ffm_spec(&spec, 14, GF);
    gn_kind_learner *kl = NULL;
    assert_int_equal(kind->learner_new(&o, &spec, &kl), GN_OK);
    double *scores = malloc(train->n * sizeof *scores);
    assert_non_null(scores);
    for (int pass = 0; pass < 5; pass++) assert_int_equal(kind->learn_batch(kl, train, NULL, scores), GN_OK);
    gn_model *m = NULL;
    assert_int_equal(kind->to_model(kl, NULL, &m), GN_OK);
    double *ts = malloc(test->n * sizeof *ts);
    scored *v = malloc(test->n * sizeof *v);
    assert_non_null(ts);
    assert_non_null(v);
    const gn_rows rows = gn__batch_rows(test);
    gn__model_scores(m, &rows, ts);
    for (size_t e = 0; e < test->n; e++) v[e] = (scored){ts[e], test->label[e]};
    const double auc = auc_of(v, test->n);
    free(v);
    free(ts);
    free(scores);
    gn_model_free(m);
    kind->learner_free(kl);
    return auc;
}

static void test_ffm_beats_fm(void **state) {
    (void)state;
    uint64_t rs = 2026;
    problem pr;
    for (int f = 0; f < GF; f++)
        for (int g = 0; g < GF; g++)
            for (int v = 0; v < GV; v++) pr.a[f][g][v] = unif(&rs) < 0.5 ? -1 : 1;
    gn_batch train, test;
    make_batch(&pr, &rs, NTRAIN, &train);
    make_batch(&pr, &rs, NTEST, &test);
    const double fm = heldout_auc(GN_KIND_FM, &train, &test), ffm = heldout_auc(GN_KIND_FFM, &train, &test);
    print_message("held-out AUC at rank 4: fm %.4f, ffm %.4f\n", fm, ffm);
    assert_true(ffm > 0.75);
    assert_true(ffm > fm + 0.03);
    gn__batch_free(&train);
    gn__batch_free(&test);
}

/* save > load gives the same model: its layout, every weight's bits, its version and its scores. */
static void test_ffm_softmax_save_load(void **state) {
    (void)state;
    uint64_t rs = 31;
    gn_model *m = softmax_model(3, 2), *back = NULL;
    for (size_t i = 0; i < m->nweights; i++) m->w[i] = (float)(unif(&rs) - 0.5);
    assert_int_equal(gn__model_finalize(m), GN_OK);
    assert_int_equal(gn_model_save(m, tpath("s.model")), GN_OK);
    assert_int_equal(gn_model_load(tpath("s.model"), &back), GN_OK);
    assert_int_equal(gn_model_get_kind(back), GN_KIND_FFM);
    assert_int_equal(back->weights_per_slot, m->weights_per_slot);
    assert_int_equal(gn_model_outputs(back), gn_model_outputs(m));
    assert_int_equal(back->nweights, m->nweights);
    assert_memory_equal(back->w, m->w, m->nweights * sizeof *m->w);
    assert_string_equal(gn_model_version(back), gn_model_version(m));
    for (int r = 0; r < 5; r++) {
        uint32_t idx[NSLOTS];
        float val[NSLOTS];
        double a[4], b[4];
        const size_t n = random_row(&rs, idx, val, 1, 3);
        scores_of(m, idx, val, n, a);
        scores_of(back, idx, val, n, b);
        assert_memory_equal(a, b, gn_model_outputs(m) * sizeof *a);
    }
    gn_model_free(m);
    gn_model_free(back);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_slots),
        cmocka_unit_test(test_ffm_score_naive),
        cmocka_unit_test(test_ffm_same_factor_is_fm),
        cmocka_unit_test(test_ffm_grad_fd),
        cmocka_unit_test(test_ffm_header),
        cmocka_unit_test(test_ffm_refuses),
        cmocka_unit_test(test_ffm_softmax_score_naive),
        cmocka_unit_test(test_ffm_softmax_grad_fd),
        cmocka_unit_test(test_ffm_softmax_save_load),
        cmocka_unit_test(test_ffm_softmax_layout),
        cmocka_unit_test(test_ffm_beats_fm),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
