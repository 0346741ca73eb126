/* tests/unit/test_oaa_batch.c: one-against-all for the batch solvers (--oaa --optimizer lbfgs |
 * owlqn). The objective of K binary logistic losses per example (learn/objective.c) against its
 * definition and its gradient against finite differences; K = 2 trained by gn_train equals the
 * binary logistic L-BFGS model of labels [class == 1] (the same problem, solved jointly); the
 * option checks (hinge is not smooth). */
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
#include "learn/train_internal.h"
#include "model/model.h"
#include "objective_check.h"

static double unif(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static double log1pexp(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* n random sparse examples over nfeat dense features, labels the class indices 0..k-1, example
 * weights in [0.5, 1.5) (and one of zero weight). */
static void make_data(gn_bdata *d, gn_batch *b, size_t n, size_t nfeat, size_t k, uint64_t seed) {
    assert_int_equal(gn__batch_init(b, n, n * nfeat), GN_OK);
    uint64_t rs = seed;
    for (size_t e = 0; e < n; e++) {
        const float wt = e == 3 ? 0.0f : (float)(0.5 + unif(&rs));
        assert_int_equal(gn__batch_begin_example(b, (float)(e % k), wt, e), GN_OK);
        gn__batch_push(b, 0, 1.0f); /* bias */
        for (uint32_t j = 1; j < nfeat; j++)
            if (unif(&rs) < 0.6) gn__batch_push(b, j, (float)(2.0 * unif(&rs) - 1.0));
        gn__batch_end_example(b);
    }
    memset(d, 0, sizeof *d);
    assert_int_equal(gn__bdata_append(d, b), GN_OK);
}

/* The loss is sum_e weight_e sum_c log(1 + exp(-y_ec s_ec)) with y_ec = [c == class] ? 1 : -1;
 * its gradient matches central differences; the line functions agree with it (1 and 2 threads). */
static void test_objective_oaa_grad_fd(void **state) {
    (void)state;
    enum { K = 4, NF = 6, N = 40 };
    gn_batch b;
    gn_bdata d;
    make_data(&d, &b, N, NF, K, 99);
    uint64_t rs = 5;
    for (uint32_t threads = 1; threads <= 2; threads++) {
        gn_objective *o;
        assert_int_equal(gn__objective_new_k(&d, NF, K, GN_LOSS_LOGISTIC, threads, &o), GN_OK);
        double w[NF * K], g[NF * K + 1], z[N * K];
        for (size_t i = 0; i < NF * K; i++) w[i] = 2.0 * unif(&rs) - 1.0;
        double f;
        gn__objective_margins(o, w, z, NULL);
        gn__objective_gradient(o, z, 0.0, &f, g);
        /* the definition, computed here from the CSR */
        double want = 0.0;
        for (size_t e = 0; e < d.n; e++) {
            for (size_t c = 0; c < K; c++) {
                double s = 0.0;
                for (size_t i = d.start[e]; i < d.start[e + 1]; i++) s += w[d.index[i] * K + c] * d.value[i];
                const double y = (size_t)d.label[e] == c ? 1.0 : -1.0;
                want += d.weight[e] * log1pexp(-y * s);
            }
        }
        assert_true(fabs(f - want) < 1e-10 * (1 + fabs(want)));
        expect_gradient_matches_differences(o, w, z, g, NF * K);
        /* along a direction: the loss at alpha equals the loss at w + alpha dir, its derivative at
         * 0 is g . dir, and the fused gradient at alpha equals a fresh one there */
        double dir[NF * K], w2[NF * K], g2[NF * K + 1], g3[NF * K + 1], z2[N * K], loss, dphi, gd = 0, f2;
        for (size_t i = 0; i < NF * K; i++) {
            dir[i] = unif(&rs) - 0.5;
            gd += g[i] * dir[i];
            w2[i] = w[i] + 0.3 * dir[i];
        }
        gn__objective_margins(o, w, z, NULL);
        gn__objective_direction(o, dir, z, 0.0, &loss, &dphi);
        assert_true(fabs(loss - f) < 1e-9 * (1 + fabs(f)));
        assert_true(fabs(dphi - gd) < 1e-9 * (1 + fabs(gd)));
        gn__objective_direction_gradient(o, dir, z, 0.3, &loss, &dphi, g2);
        gn__objective_margins(o, w2, z2, NULL);
        gn__objective_gradient(o, z2, 0.0, &f2, g3);
        assert_true(fabs(loss - f2) < 1e-9 * (1 + fabs(f2)));
        for (size_t i = 0; i < NF * K; i++) assert_true(fabs(g2[i] - g3[i]) < 1e-9 * (1 + fabs(g3[i])));
        gn__objective_free(o);
    }
    gn__bdata_free(&d);
    gn__batch_free(&b);
}

/* A loss other than softmax or logistic has no K-score objective. */
static void test_objective_oaa_refuses_other_losses(void **state) {
    (void)state;
    gn_batch b;
    gn_bdata d;
    make_data(&d, &b, 10, 3, 3, 1);
    gn_objective *o = NULL;
    assert_int_equal(gn__objective_new_k(&d, 3, 3, GN_LOSS_SQUARED, 1, &o), GN_EINTERNAL);
    assert_null(o);
    gn__bdata_free(&d);
    gn__batch_free(&b);
}

/* Writes a CSV of n rows "class,x1,x2,x3" with classes no and yes (no first, so that it is oaa's
 * class 0, and yes the binary positive class); returns its path (static). */
static const char *write_two_classes(size_t n) {
    static char path[] = "/tmp/gn_test_oaa_batch_XXXXXX";
    strcpy(path, "/tmp/gn_test_oaa_batch_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    uint64_t rs = 11;
    for (size_t i = 0; i < n; i++) {
        const double x1 = 2 * unif(&rs) - 1, x2 = 2 * unif(&rs) - 1, x3 = unif(&rs);
        const int pos = i > 0 && 1.5 * x1 - x2 + 0.5 * (unif(&rs) - 0.5) > 0.1; /* noisy: a finite optimum */
        fprintf(f, "%s,%.4f,%.4f,%.4f\n", pos ? "yes" : "no", x1, x2, x3);
    }
    fclose(f);
    return path;
}

static gn_model *train_on(const char *path, int oaa, gn_optimizer opt, double l1) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.format = GN_FORMAT_CSV;
    spec.header = 0;
    gn_train_options o;
    gn_train_options_init(&o);
    o.oaa = oaa;
    o.optimizer = opt;
    o.l2 = 0.5;
    o.l1 = l1;
    o.tol = 1e-10;
    o.max_iter = 1000;
    o.threads = 1;
    const char *paths[] = {path};
    gn_model *m = NULL;
    gn_train_summary sum;
    int st = gn_train(&o, &spec, paths, 1, NULL, NULL, &m, &sum);
    if (st != GN_OK) print_error("gn_train: %s\n", gn_last_error());
    assert_int_equal(st, GN_OK);
    return m;
}

/* K = 2: class yes's classifier of the oaa model is the binary logistic model of labels [class == yes]
 * (the oaa objective is the sum of the two classes' binary objectives, separable), for L-BFGS and
 * for OWL-QN with l1; class a's is its mirror image (-w, the same problem with labels flipped). */
static void test_k2_equals_binary(void **state) {
    (void)state;
    const char *path = write_two_classes(300);
    const double l1s[] = {0.0, 2.0};
    for (size_t t = 0; t < 2; t++) {
        const gn_optimizer opt = l1s[t] > 0 ? GN_OPT_OWLQN : GN_OPT_LBFGS;
        gn_model *bin = train_on(path, 0, opt, l1s[t]);
        gn_model *oaa = train_on(path, 1, opt, l1s[t]);
        assert_int_equal(oaa->kind, GN_KIND_OAA);
        assert_int_equal(oaa->oaa_loss, GN_LOSS_LOGISTIC);
        assert_int_equal(oaa->weights_per_slot, 2);
        assert_int_equal(bin->kind, GN_KIND_LINEAR);
        assert_int_equal(oaa->nweights, 2 * bin->nweights);
        assert_string_equal(gn_model_class_name(oaa, 1), "yes");
        assert_string_equal(gn_model_class_name(bin, 1), "yes");
        size_t nonzero = 0, zeros = 0;
        for (size_t j = 0; j < bin->nweights; j++) {
            const double wb = bin->w[j], w1 = oaa->w[2 * j + 1], w0 = oaa->w[2 * j];
            assert_true(fabs(w1 - wb) <= 1e-3 * (1 + fabs(wb)));
            assert_true(fabs(w0 + wb) <= 1e-3 * (1 + fabs(wb)));
            nonzero += wb != 0;
            zeros += wb == 0 && w1 == 0 && w0 == 0;
        }
        assert_true(nonzero >= 3); /* bias, x1, x2 */
        if (l1s[t] > 0) assert_true(zeros > 0);
        gn_model_free(bin);
        gn_model_free(oaa);
    }
    unlink(path);
}

/* --oaa takes the batch solvers with loss logistic only (hinge is not smooth), resolved or not. */
static void test_options_checked(void **state) {
    (void)state;
    gn_train_options o;
    gn_train_options_init(&o);
    o.oaa = 1;
    o.optimizer = GN_OPT_LBFGS;
    assert_int_equal(gn_train_options_check(&o), GN_OK);
    o.optimizer = GN_OPT_OWLQN;
    o.l1 = 1;
    assert_int_equal(gn_train_options_check(&o), GN_OK);
    o.loss = GN_LOSS_HINGE;
    assert_int_equal(gn_train_options_check(&o), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "hinge"));
    gn__train_options_resolve(&o);
    assert_int_equal(gn_train_options_check(&o), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "oaa with optimizer owlqn needs loss logistic"));
    o.optimizer = GN_OPT_ADAGRAD; /* online: hinge is fine */
    assert_int_equal(gn_train_options_check(&o), GN_OK);
    gn_train_options_init(&o);
    o.oaa = 1;
    o.optimizer = GN_OPT_LBFGS;
    o.l1 = 1;
    assert_int_equal(gn_train_options_check(&o), GN_EINVAL); /* lbfgs has no l1: owlqn */
    assert_non_null(strstr(gn_last_error(), "owlqn"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objective_oaa_grad_fd),
        cmocka_unit_test(test_objective_oaa_refuses_other_losses),
        cmocka_unit_test(test_k2_equals_binary),
        cmocka_unit_test(test_options_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
