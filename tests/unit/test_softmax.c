/* tests/unit/test_softmax.c: the softmax loss and its batch objective. Gradients against finite
 * differences (the loss in the scores, and the objective in the weights), the K-class metrics
 * and the probability link. */
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
#include "learn/objective.h"
#include "model/loss_table.h"
#include "objective_check.h"

static double unif(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* d(-log p_y)/ds_j = p_j - [j == y], checked by central differences, for several K and labels. */
static void test_softmax_grad_fd(void **state) {
    (void)state;
    uint64_t rs = 7;
    for (size_t k = 2; k <= 7; k++) {
        double s[7], g[7];
        for (size_t y = 0; y < k; y++) {
            for (size_t j = 0; j < k; j++) s[j] = 6.0 * unif(&rs) - 3.0;
            const double wt = 0.5 + unif(&rs);
            const double lv = gn__softmax_grad(s, k, y, wt, g);
            assert_true(fabs(lv - gn__loss_row(GN_LOSS_SOFTMAX, s, k, (double)y, 0.5)) < 1e-12);
            double gsum = 0;
            for (size_t j = 0; j < k; j++) {
                const double h = 1e-6, keep = s[j];
                s[j] = keep + h;
                const double up = gn__loss_row(GN_LOSS_SOFTMAX, s, k, (double)y, 0.5);
                s[j] = keep - h;
                const double down = gn__loss_row(GN_LOSS_SOFTMAX, s, k, (double)y, 0.5);
                s[j] = keep;
                const double fd = wt * (up - down) / (2 * h);
                assert_true(fabs(fd - g[j]) < 1e-6);
                gsum += g[j];
            }
            assert_true(fabs(gsum) < 1e-12); /* probabilities sum to one */
        }
    }
}

/* Large scores do not overflow: the loss stays finite and the link gives probabilities. */
static void test_softmax_stable(void **state) {
    (void)state;
    double s[3] = {1000.0, -1000.0, 999.0}, g[3];
    const double lv = gn__softmax_grad(s, 3, 1, 1.0, g);
    assert_true(isfinite(lv) && lv > 1999.0 && lv < 2001.0);
    gn__link_row(GN_LOSS_SOFTMAX, s, 3);
    assert_true(fabs(s[0] + s[1] + s[2] - 1.0) < 1e-12);
    assert_true(s[0] > s[2] && s[1] < 1e-300 + 1e-12);
}

/* The batch objective's gradient in the weights (w[feature * k + class]) against finite
 * differences of its loss, on random sparse examples with weights. */
static void test_objective_grad_fd(void **state) {
    (void)state;
    const size_t k = 4, nfeat = 6, n = 40;
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, n, n * nfeat), GN_OK);
    uint64_t rs = 99;
    for (size_t e = 0; e < n; e++) {
        assert_int_equal(gn__batch_begin_example(&b, (float)(e % k), (float)(0.5 + unif(&rs)), e), GN_OK);
        for (uint32_t j = 0; j < nfeat; j++)
            if (unif(&rs) < 0.6) gn__batch_push(&b, j, (float)(2.0 * unif(&rs) - 1.0));
        gn__batch_end_example(&b);
    }
    gn_bdata d;
    memset(&d, 0, sizeof d);
    assert_int_equal(gn__bdata_append(&d, &b), GN_OK);
    for (uint32_t threads = 1; threads <= 2; threads++) {
        gn_objective *o;
        assert_int_equal(gn__objective_new_k(&d, nfeat, k, GN_LOSS_SOFTMAX, threads, &o), GN_OK);
        double w[24], g[25], z[160];
        for (size_t i = 0; i < nfeat * k; i++) w[i] = unif(&rs) - 0.5;
        double f;
        gn__objective_margins(o, w, z, NULL);
        gn__objective_gradient(o, z, 0.0, &f, g);
        expect_gradient_matches_differences(o, w, z, g, nfeat * k);
        /* the line derivative along a direction equals g . dir */
        double dir[24], loss, dphi, gd = 0;
        for (size_t i = 0; i < nfeat * k; i++) {
            dir[i] = unif(&rs) - 0.5;
            gd += g[i] * dir[i];
        }
        gn__objective_margins(o, w, z, NULL);
        gn__objective_direction(o, dir, z, 0.0, &loss, &dphi);
        assert_true(fabs(loss - f) < 1e-9 * (1 + fabs(f)));
        assert_true(fabs(dphi - gd) < 1e-9 * (1 + fabs(gd)));
        gn__objective_free(o);
    }
    gn__bdata_free(&d);
    gn__batch_free(&b);
}

/* The multiclass accumulator: accuracy, top-k, macro F1 and the confusion matrix on a hand-made
 * case. */
static void test_multiclass_metrics(void **state) {
    (void)state;
    gn_metrics_acc *acc;
    assert_int_equal(gn_metrics_acc_new_multiclass(3, &acc), GN_OK);
    const double p[4][3] = {{0.7, 0.2, 0.1}, {0.1, 0.8, 0.1}, {0.5, 0.4, 0.1}, {0.2, 0.3, 0.5}};
    const uint32_t y[4] = {0, 1, 1, 2};
    for (int i = 0; i < 4; i++) assert_int_equal(gn_metrics_acc_add_probs(acc, p[i], 3, y[i], 1.0, 0.0), GN_OK);
    assert_int_not_equal(gn_metrics_acc_add_probs(acc, p[0], 3, 3, 1.0, 0.0), GN_OK); /* class out of range */
    gn_metrics m;
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_int_equal(m.classes, 3);
    assert_true(fabs(m.accuracy - 0.75) < 1e-12);
    assert_int_equal(m.top_k, 2);
    assert_true(fabs(m.top_k_accuracy - 1.0) < 1e-12);
    /* class 0: P 1/2 R 1 F 2/3; class 1: P 1 R 1/2 F 2/3; class 2: F 1 */
    assert_true(fabs(m.macro_f1 - (2.0 / 3 + 2.0 / 3 + 1.0) / 3) < 1e-12);
    assert_true(fabs(m.weighted_f1 - (2.0 / 3 + 2 * 2.0 / 3 + 1.0) / 4) < 1e-12);
    const double ll = -(log(0.7) + log(0.8) + log(0.4) + log(0.5)) / 4;
    assert_true(fabs(m.logloss - ll) < 1e-12);
    double conf[9];
    assert_int_equal(gn_metrics_acc_confusion(acc, conf, 3), GN_OK);
    assert_true(conf[0] == 1 && conf[1 * 3 + 0] == 1 && conf[1 * 3 + 1] == 1 && conf[2 * 3 + 2] == 1 && conf[2] == 0);
    char buf[1024];
    assert_true(gn_metrics_to_json(&m, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"macro_f1\":"));
    gn_metrics_acc_free(acc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_grad_fd),
        cmocka_unit_test(test_softmax_stable),
        cmocka_unit_test(test_objective_grad_fd),
        cmocka_unit_test(test_multiclass_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
