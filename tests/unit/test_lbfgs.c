/* tests/unit/test_lbfgs.c: the batch solvers' pieces — the in-memory CSR and its renumbering,
 * the threaded loss/gradient against finite differences and across thread counts, and
 * gn_train --optimizer lbfgs against the closed-form ridge-regression optimum. */
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
#include "learn/objective.h"
#include "model/model.h"

/* A deterministic pseudo-random sparse data set over slots {0 (bias), 3, 7, 8, 100, 1000}. */
static void make_data(gn_bdata *d, size_t n, gn_loss loss) {
    static const uint32_t slots[] = {0, 3, 7, 8, 100, 1000};
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 16, 64), GN_OK);
    uint64_t s = 42;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(s >> 11) / 9007199254740992.0;
        float y = loss == GN_LOSS_LOGISTIC ? (u < 0.4 ? 1.0f : -1.0f) : (float)(3 * u);
        assert_int_equal(gn__batch_begin_example(&b, y, i % 7 == 0 ? 2.0f : 1.0f, i), GN_OK);
        assert_int_equal(gn__batch_reserve_features(&b, 6), GN_OK);
        for (size_t k = 0; k < 6; k++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            if (k > 0 && (s >> 60) < 6) continue; /* sparse: skip some */
            gn__batch_push(&b, slots[k], k == 0 ? 1.0f : (float)((double)(s >> 40) / 16777216.0 - 0.3));
        }
        gn__batch_end_example(&b);
        if (b.n == 16 || i + 1 == n) {
            assert_int_equal(gn__bdata_append(d, &b), GN_OK);
            gn__batch_clear(&b);
        }
    }
    gn__batch_free(&b);
}

static void test_remap(void **state) {
    (void)state;
    gn_bdata d;
    memset(&d, 0, sizeof d);
    make_data(&d, 100, GN_LOSS_LOGISTIC);
    assert_int_equal(d.n, 100);
    const size_t nslots = 1024;
    uint64_t used[16] = {0};
    gn__bdata_mark_used(&d, used, nslots);
    uint32_t *slots;
    size_t dim;
    assert_int_equal(gn__bdata_remap(&d, used, nslots, &slots, &dim), GN_OK);
    assert_int_equal(dim, 6);
    static const uint32_t want[] = {0, 3, 7, 8, 100, 1000};
    for (size_t j = 0; j < dim; j++) assert_int_equal(slots[j], want[j]);
    for (size_t k = 0; k < d.nnz; k++) assert_true(d.index[k] < dim);
    assert_int_equal(d.index[d.start[0]], 0); /* the bias stays first */
    free(slots);
    gn__bdata_free(&d);
}

/* make_data's n rows, remapped to the dim slots they use (1024 hashed slots); *slots to free. */
static void make_remapped(gn_bdata *d, size_t n, gn_loss loss, uint32_t **slots, size_t *dim) {
    memset(d, 0, sizeof *d);
    make_data(d, n, loss);
    uint64_t used[16] = {0};
    gn__bdata_mark_used(d, used, 1024);
    assert_int_equal(gn__bdata_remap(d, used, 1024, slots, dim), GN_OK);
}

/* F(w) = data loss + 0 regularisation; gradient checked by central differences. */
static void check_gradient(gn_loss loss, uint32_t threads) {
    gn_bdata d;
    uint32_t *slots;
    size_t dim;
    make_remapped(&d, 500, loss, &slots, &dim);
    gn_objective *o;
    assert_int_equal(gn__objective_new(&d, dim, loss, threads, &o), GN_OK);
    double w[6] = {0.1, -0.2, 0.3, 0.05, -0.4, 0.2}, g[6], z[500], f;
    gn__objective_margins(o, w, z, NULL);
    gn__objective_gradient(o, z, 0.0, &f, g);
    for (size_t j = 0; j < dim; j++) {
        double h = 1e-5, wp[6], wm[6], fp, fm, zz[500];
        memcpy(wp, w, sizeof w);
        memcpy(wm, w, sizeof w);
        wp[j] += h;
        wm[j] -= h;
        gn__objective_margins(o, wp, zz, &fp);
        gn__objective_margins(o, wm, zz, &fm);
        double fd = (fp - fm) / (2 * h);
        assert_true(fabs(fd - g[j]) <= 1e-5 * (1 + fabs(g[j])));
    }
    /* the line function agrees with margins at the moved point */
    double dir[6] = {1, 0.5, -0.5, 0.25, 0, -1}, lf, ldf, w2[6], f2;
    gn__objective_direction(o, dir, z, 0.3, &lf, &ldf);
    for (size_t j = 0; j < 6; j++) w2[j] = w[j] + 0.3 * dir[j];
    gn__objective_margins(o, w2, z, &f2);
    assert_true(fabs(lf - f2) <= 1e-9 * fabs(f2));
    gn__objective_free(o);
    free(slots);
    gn__bdata_free(&d);
}

static void test_gradient_logistic(void **state) {
    (void)state;
    check_gradient(GN_LOSS_LOGISTIC, 1);
    check_gradient(GN_LOSS_LOGISTIC, 3);
}
static void test_gradient_squared(void **state) {
    (void)state;
    check_gradient(GN_LOSS_SQUARED, 2);
}
static void test_gradient_poisson(void **state) {
    (void)state;
    check_gradient(GN_LOSS_POISSON, 4);
}

/* The same threads give the same bits; different thread counts agree closely. */
static void test_thread_determinism(void **state) {
    (void)state;
    gn_bdata d;
    uint32_t *slots;
    size_t dim;
    make_remapped(&d, 2000, GN_LOSS_LOGISTIC, &slots, &dim);
    double w[6] = {0.3, -0.1, 0.2, 0.5, -0.3, 0.1};
    double *z = malloc(d.n * sizeof *z);
    double ref[6], fref = 0;
    for (uint32_t t = 1; t <= 5; t++) {
        for (int rep = 0; rep < 2; rep++) {
            gn_objective *o;
            assert_int_equal(gn__objective_new(&d, dim, GN_LOSS_LOGISTIC, t, &o), GN_OK);
            double g[6], f;
            gn__objective_margins(o, w, z, NULL);
            gn__objective_gradient(o, z, 0.0, &f, g);
            if (t == 1 && rep == 0) {
                memcpy(ref, g, sizeof g);
                fref = f;
            } else {
                assert_true(fabs(f - fref) <= 1e-12 * fabs(fref));
                for (size_t j = 0; j < dim; j++) assert_true(fabs(g[j] - ref[j]) <= 1e-10 * (1 + fabs(ref[j])));
            }
            gn__objective_free(o);
        }
    }
    free(z);
    free(slots);
    gn__bdata_free(&d);
}

/* Ridge regression: sum (x.w - y)^2 + l2/2 |w|^2 has w* = (2 X'X + l2 I)^-1 2 X'y. */
static void test_train_ridge_closed_form(void **state) {
    (void)state;
    char path[] = "/tmp/gn_test_lbfgs_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    double X[60][3], Y[60];
    uint64_t s = 7;
    for (int i = 0; i < 60; i++) {
        X[i][0] = 1.0; /* bias */
        for (int k = 1; k < 3; k++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            X[i][k] = (double)((s >> 40) % 1000) / 250.0 - 2.0; /* exact in float */
        }
        Y[i] = (double)(i % 9) - 3.0;
        fprintf(f, "%g 1:%g 2:%g\n", Y[i], X[i][1], X[i][2]);
    }
    fclose(f);
    const double l2 = 3.0;
    double A[3][4] = {{0}};
    for (int i = 0; i < 60; i++)
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) A[r][c] += 2 * X[i][r] * X[i][c];
            A[r][3] += 2 * X[i][r] * Y[i];
        }
    for (int r = 0; r < 3; r++) A[r][r] += l2;
    for (int p = 0; p < 3; p++) /* Gauss-Jordan (A is positive definite) */
        for (int r = 0; r < 3; r++) {
            if (r == p) continue;
            double m = A[r][p] / A[p][p];
            for (int c = 0; c < 4; c++) A[r][c] -= m * A[p][c];
        }
    double wstar[3];
    for (int r = 0; r < 3; r++) wstar[r] = A[r][3] / A[r][r];

    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.format = GN_FORMAT_LIBSVM;
    gn_train_options o;
    gn_train_options_init(&o);
    o.loss = GN_LOSS_SQUARED;
    o.optimizer = GN_OPT_LBFGS;
    o.l2 = l2;
    o.tol = 1e-9;
    o.threads = 2;
    const char *paths[] = {path};
    gn_model *m = NULL;
    gn_train_summary sum;
    int st = gn_train(&o, &spec, paths, 1, NULL, NULL, &m, &sum);
    unlink(path);
    assert_int_equal(st, GN_OK);
    assert_int_equal(sum.examples, 60);
    assert_int_equal(sum.ranks, 1);
    assert_true(sum.iterations > 0);
    for (int j = 0; j < 3; j++) assert_true(fabs(m->w[j] - wstar[j]) <= 1e-4 * (1 + fabs(wstar[j])));
    /* the reported objective is F at the optimum */
    double fstar = 0.5 * l2 * (wstar[0] * wstar[0] + wstar[1] * wstar[1] + wstar[2] * wstar[2]);
    for (int i = 0; i < 60; i++) {
        double r = X[i][0] * wstar[0] + X[i][1] * wstar[1] + X[i][2] * wstar[2] - Y[i];
        fstar += r * r;
    }
    assert_true(fabs(sum.objective - fstar) <= 1e-7 * fstar);
    gn_model_free(m);
}

static void test_train_options_checked(void **state) {
    (void)state;
    gn_train_options o;
    gn_train_options_init(&o);
    o.optimizer = GN_OPT_LBFGS;
    o.l1 = 1;
    assert_int_equal(gn_train_options_check(&o), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "owlqn"));
    o.optimizer = GN_OPT_OWLQN;
    assert_int_equal(gn_train_options_check(&o), GN_OK);
    o.loss = GN_LOSS_HINGE;
    assert_int_equal(gn_train_options_check(&o), GN_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remap),
        cmocka_unit_test(test_gradient_logistic),
        cmocka_unit_test(test_gradient_squared),
        cmocka_unit_test(test_gradient_poisson),
        cmocka_unit_test(test_thread_determinism),
        cmocka_unit_test(test_train_ridge_closed_form),
        cmocka_unit_test(test_train_options_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
