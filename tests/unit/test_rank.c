/* tests/unit/test_rank.c: ranking candidates that share a context (model/rank.c and the kinds'
 * score_context): on random fm, ffm and linear models the shared-context prediction equals the
 * prediction of the joined row (fm and linear bit for bit, ffm within rounding, long rows
 * included); gn_model_rank_named equals ranking gn_model_predict_named of each merged instance,
 * a hash collision between context and candidate included; k, ties and errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gannet/gannet.h"
#include "io/fields.h"
#include "model/model.h"

static double unif(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0;
}

enum { BITS = 10, NSLOTS = 1 << BITS, NF = 4, RANK = 5, NCAND = 40 };

static gn_model *random_model(gn_model_kind kind, uint64_t *rs) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.bits = BITS;
    uint32_t wps = 1;
    if (kind == GN_KIND_FFM) {
        spec.format = GN_FORMAT_CSV;
        spec.field_aware = 1;
        spec.nfields = NF;
        wps = 1 + NF * RANK;
    } else {
        spec.format = GN_FORMAT_LIBSVM;
        if (kind == GN_KIND_FM) wps = 1 + RANK;
    }
    gn_model *m = NULL;
    assert_int_equal(gn__model_new(kind, GN_LOSS_LOGISTIC, &spec, wps, &m), GN_OK);
    for (size_t i = 0; i < m->nweights; i++) m->w[i] = (float)(unif(rs) - 0.5);
    return m;
}

/* n random features (slots >= 1, distinct within the row unless `repeat`), bias first when asked. */
static size_t random_row(uint64_t *rs, uint32_t *idx, float *val, size_t n, int bias) {
    size_t k = 0;
    if (bias) {
        idx[k] = 0;
        val[k++] = 1.0f;
    }
    for (size_t i = 0; i < n; i++) {
        idx[k] = 1 + (uint32_t)(unif(rs) * (NSLOTS - 1));
        val[k++] = (float)(2.0 * unif(rs) - 1.0);
    }
    return k;
}

/* predict_context vs predict_batch of the joined rows, for a context of cn and candidates of up
 * to dn features. */
static void check_kind(gn_model_kind kind, size_t cn, size_t dn, uint64_t seed) {
    uint64_t rs = seed;
    gn_model *m = random_model(kind, &rs);
    uint32_t *ci = malloc((cn + 1) * sizeof *ci), *di = malloc(NCAND * (dn + 1) * sizeof *di),
             *ji = malloc(NCAND * (cn + dn + 1) * sizeof *ji);
    float *cv = malloc((cn + 1) * sizeof *cv), *dv = malloc(NCAND * (dn + 1) * sizeof *dv),
          *jv = malloc(NCAND * (cn + dn + 1) * sizeof *jv);
    size_t ds[NCAND + 1], js[NCAND + 1];
    assert_non_null(ci);
    assert_non_null(di);
    assert_non_null(ji);
    assert_non_null(cv);
    assert_non_null(dv);
    assert_non_null(jv);
    const size_t cl = random_row(&rs, ci, cv, cn, 1);
    ds[0] = js[0] = 0;
    for (size_t c = 0; c < NCAND; c++) {
        const size_t n = (size_t)(unif(&rs) * (double)(dn + 1)); /* 0..dn features, empty ones too */
        const size_t got = random_row(&rs, di + ds[c], dv + ds[c], n, 0);
        ds[c + 1] = ds[c] + got;
        memcpy(ji + js[c], ci, cl * sizeof *ji);
        memcpy(jv + js[c], cv, cl * sizeof *jv);
        memcpy(ji + js[c] + cl, di + ds[c], got * sizeof *ji);
        memcpy(jv + js[c] + cl, dv + ds[c], got * sizeof *jv);
        js[c + 1] = js[c] + cl + got;
    }
    const size_t cs[2] = {0, cl};
    const gn_rows ctx = {1, cs, ci, cv}, cands = {NCAND, ds, di, dv}, joined = {NCAND, js, ji, jv};
    double fast[NCAND], full[NCAND];
    assert_int_equal(gn_model_predict_context(m, &ctx, &cands, fast, NCAND), GN_OK);
    assert_int_equal(gn_model_predict_batch(m, &joined, full, NCAND), GN_OK);
    int differ = 0;
    for (size_t c = 0; c < NCAND; c++) {
        if (kind == GN_KIND_FFM) {
            assert_true(fabs(fast[c] - full[c]) <= 1e-12);
        } else if (memcmp(&fast[c], &full[c], sizeof fast[c]) != 0) {
            fail_msg("kind %d candidate %zu: %.17g (shared context) != %.17g (joined row)", (int)kind, c, fast[c],
                     full[c]);
        }
        differ |= c && fast[c] != fast[0];
    }
    assert_true(differ); /* the candidates matter: a test that can fail */
    free(ci), free(di), free(ji), free(cv), free(dv), free(jv);
    gn_model_free(m);
}

static void test_fm_equals_joined(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) check_kind(GN_KIND_FM, 12, 6, seed);
    check_kind(GN_KIND_FM, 0, 3, 9); /* the bias alone as context */
}

static void test_linear_equals_joined(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) check_kind(GN_KIND_LINEAR, 20, 5, seed);
}

static void test_ffm_equals_joined(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) check_kind(GN_KIND_FFM, 10, 6, seed);
    check_kind(GN_KIND_FFM, 600, 4, 11); /* a context longer than the kind's stack of fields */
    check_kind(GN_KIND_FFM, 3, 520, 12); /* candidates longer too */
}

static void test_predict_context_errors(void **state) {
    (void)state;
    uint64_t rs = 3;
    gn_model *m = random_model(GN_KIND_FM, &rs);
    uint32_t idx[2] = {0, NSLOTS};
    float val[2] = {1.0f, 1.0f};
    size_t s2[3] = {0, 1, 1}, s1[2] = {0, 2};
    double out[2];
    const gn_rows two = {2, s2, idx, val}, bad = {1, s1, idx, val}, ok = {1, s2, idx, val};
    assert_int_equal(gn_model_predict_context(m, &two, &ok, out, 2), GN_EINVAL); /* two contexts */
    assert_int_equal(gn_model_predict_context(m, &ok, &bad, out, 2), GN_EINVAL); /* slot out of range */
    assert_non_null(strstr(gn_last_error(), "outside"));
    assert_int_equal(gn_model_predict_context(m, &ok, &two, out, 1), GN_EINVAL); /* out too short */
    assert_int_equal(gn_model_predict_context(m, &ok, &two, out, 2), GN_OK);
    gn_model_free(m);
}

/* ---- named features: a LIBSVM fm model (feature names are indices; index i and i + 2^BITS
 * share a slot) ---- */

static void test_rank_named_equals_predict_named(void **state) {
    (void)state;
    uint64_t rs = 7;
    gn_model *m = random_model(GN_KIND_FM, &rs);
    enum { CN = 6, DN = 3, N = 30 };
    char nb[(CN + N * DN) * 16];
    const char *names[CN + N * DN];
    double values[CN + N * DN];
    size_t used = 0;
    for (size_t i = 0; i < CN + N * DN; i++) {
        /* distinct indices; candidate 4's first feature collides with context feature 0 */
        unsigned idx = 1 + (unsigned)i * 7;
        if (i == CN + 4 * DN) idx = 1 + NSLOTS;
        snprintf(nb + used, 16, "%u", idx);
        names[i] = nb + used;
        used += strlen(nb + used) + 1;
        values[i] = 2.0 * unif(&rs) - 1.0;
    }
    gn_named_features ctx = {CN, names, values, NULL}, cands[N];
    for (size_t c = 0; c < N; c++) {
        cands[c].n = c % 5 == 3 ? 0 : DN; /* some candidates without features: the context alone */
        cands[c].names = names + CN + c * DN;
        cands[c].values = values + CN + c * DN;
        cands[c].strs = NULL;
    }
    double want[N];
    for (size_t c = 0; c < N; c++) {
        const char *mn[CN + DN];
        double mv[CN + DN];
        memcpy(mn, names, CN * sizeof *mn);
        memcpy(mv, values, CN * sizeof *mv);
        memcpy(mn + CN, cands[c].names, cands[c].n * sizeof *mn);
        memcpy(mv + CN, cands[c].values, cands[c].n * sizeof *mv);
        assert_int_equal(gn_model_predict_named(m, CN + cands[c].n, mn, mv, NULL, &want[c]), GN_OK);
    }
    gn_ranked r[N];
    size_t n = 0;
    assert_int_equal(gn_model_rank_named(m, &ctx, cands, N, N, r, &n), GN_OK);
    assert_int_equal(n, N);
    for (size_t j = 0; j < N; j++) {
        assert_true(fabs(r[j].score - want[r[j].index]) <= 1e-12);
        if (j) {
            assert_true(r[j - 1].score >= r[j].score);
            if (r[j - 1].score == r[j].score) assert_true(r[j - 1].index < r[j].index); /* ties: earlier first */
        }
    }
    /* the empty candidates tie exactly: the earlier one first */
    /* k: the best k, as the full ranking's head */
    gn_ranked top[4];
    assert_int_equal(gn_model_rank_named(m, &ctx, cands, N, 4, top, &n), GN_OK);
    assert_int_equal(n, 4);
    for (size_t j = 0; j < 4; j++) assert_int_equal(top[j].index, r[j].index);
    /* k above the candidates: all of them */
    assert_int_equal(gn_model_rank_named(m, &ctx, cands, 3, 4, top, &n), GN_OK);
    assert_int_equal(n, 3);
    gn_model_free(m);
}

static void test_rank_named_errors(void **state) {
    (void)state;
    uint64_t rs = 5;
    gn_model *m = random_model(GN_KIND_FM, &rs);
    const char *cn[] = {"3", "9"}, *dn[] = {"4", "9"}, *bad[] = {"x"};
    const double v[] = {1.0, 2.0};
    gn_named_features ctx = {2, cn, v, NULL}, cands[2] = {{1, dn, v, NULL}, {2, dn, v, NULL}};
    gn_ranked r[2];
    size_t n = 7;
    assert_int_equal(gn_model_rank_named(m, &ctx, cands, 2, 2, r, &n), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "candidate 1: feature '9' is also in the context"));
    assert_int_equal(n, 0);
    cands[1].names = bad;
    cands[1].n = 1;
    assert_int_equal(gn_model_rank_named(m, &ctx, cands, 2, 2, r, &n), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "candidate 1:"));
    ctx.names = bad;
    ctx.n = 1;
    assert_int_equal(gn_model_rank_named(m, &ctx, cands, 1, 2, r, &n), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "context:"));
    assert_int_equal(gn_model_rank_named(m, &ctx, cands, 1, 2, NULL, &n), GN_EINVAL);
    assert_int_equal(gn_model_rank_named(NULL, &ctx, cands, 1, 2, r, &n), GN_EINVAL);
    gn_model_free(m);
}

/* ---- text lines: the LIBSVM fm model ranking "idx:val ..." lines ---- */

static void test_rank_lines_equals_predict_line(void **state) {
    (void)state;
    uint64_t rs = 11;
    gn_model *m = random_model(GN_KIND_FM, &rs);
    enum { N = 12 };
    char ctx[128], cand[N][128], joined[300];
    snprintf(ctx, sizeof ctx, "3:%.3f 17:%.3f 40:1", unif(&rs), unif(&rs));
    for (size_t c = 0; c < N; c++) {
        /* candidate 2 repeats a context feature, candidate 5 collides with one (40 + 2^BITS) */
        snprintf(cand[c], sizeof cand[c], "%zu:%.3f %zu:1%s", 50 + 3 * c, unif(&rs), 51 + 3 * c,
                 c == 2 ? " 17:0.5" : c == 5 ? " 1064:0.25" : "");
    }
    const char *lines[N];
    double want[N];
    for (size_t c = 0; c < N; c++) {
        lines[c] = cand[c];
        snprintf(joined, sizeof joined, "%s %s", ctx, cand[c]);
        assert_int_equal(gn_model_predict_line(m, joined, strlen(joined), &want[c]), GN_OK);
    }
    gn_ranked r[N];
    size_t n = 0;
    assert_int_equal(gn_model_rank_lines(m, ctx, lines, N, N, r, &n), GN_OK);
    assert_int_equal(n, N);
    for (size_t j = 0; j < N; j++) {
        assert_true(fabs(r[j].score - want[r[j].index]) <= 1e-6);
        if (j) assert_true(r[j - 1].score >= r[j].score);
    }
    gn_ranked top[3];
    assert_int_equal(gn_model_rank_lines(m, ctx, lines, N, 3, top, &n), GN_OK);
    assert_int_equal(n, 3);
    for (size_t j = 0; j < 3; j++) assert_int_equal(top[j].index, r[j].index);
    /* errors name the line: a label, an empty line, a bad token, a line break */
    const char *bad1[] = {"5:1", "1 6:1"}, *bad2[] = {"5:1", " "}, *bad3[] = {"5:1", "6:x"}, *bad4[] = {"5:1\n6:1"};
    assert_int_equal(gn_model_rank_lines(m, ctx, bad1, 2, 2, r, &n), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "candidate 1: the line starts with a label"));
    assert_int_equal(gn_model_rank_lines(m, ctx, bad2, 2, 2, r, &n), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "candidate 1: an empty line"));
    assert_int_equal(gn_model_rank_lines(m, ctx, bad3, 2, 2, r, &n), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "candidate 1: "));
    assert_int_equal(gn_model_rank_lines(m, ctx, bad4, 1, 2, r, &n), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "line break"));
    assert_int_equal(gn_model_rank_lines(m, "1 3:1", lines, N, 2, r, &n), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "context: "));
    assert_int_equal(gn_model_rank_lines(m, NULL, lines, N, 2, r, &n), GN_EINVAL);
    gn_model_free(m);
    /* a CSV model has no lines to join */
    m = random_model(GN_KIND_FFM, &rs);
    assert_int_equal(gn_model_rank_lines(m, "a", lines, 1, 1, r, &n), GN_EUNSUPPORTED);
    assert_non_null(strstr(gn_last_error(), "libffm or vw lines"));
    gn_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fm_equals_joined),
        cmocka_unit_test(test_linear_equals_joined),
        cmocka_unit_test(test_ffm_equals_joined),
        cmocka_unit_test(test_predict_context_errors),
        cmocka_unit_test(test_rank_named_equals_predict_named),
        cmocka_unit_test(test_rank_named_errors),
        cmocka_unit_test(test_rank_lines_equals_predict_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
