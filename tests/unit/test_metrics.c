/* test_metrics.c: learn/metrics.c against values computed by hand (in the comments), ties,
 * weights, one-class data, merging, a brute-force AUC check and the JSON form. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gannet/gannet.h"

#define EPS 1e-12

/* cmocka 1.1 has no double comparison; NaN never passes. */
#define assert_double_equal(a, b, eps) assert_near_impl((a), (b), (eps), #a, __LINE__)
static void assert_near_impl(double a, double b, double eps, const char *what, int line) {
    if (!(fabs(a - b) <= eps)) fail_msg("line %d: %s = %.17g, expected %.17g (+- %g)", line, what, a, b, eps);
}

static gn_metrics_acc *new_acc(int classification) {
    gn_metrics_acc *acc = NULL;
    assert_int_equal(gn_metrics_acc_new(classification, &acc), GN_OK);
    assert_non_null(acc);
    return acc;
}

static void add(gn_metrics_acc *acc, double p, double y, double w, double loss) {
    assert_int_equal(gn_metrics_acc_add(acc, p, y, w, loss), GN_OK);
}

/* Five unit-weight examples (p, y):
 *   (0.9, 1) (0.8, 0) (0.6, 1) (0.3, 0) (0.4, 1)
 * AUC: positives {0.9, 0.6, 0.4} x negatives {0.8, 0.3} = 6 pairs; the positive is above in
 *   (0.9,0.8) (0.9,0.3) (0.6,0.3) (0.4,0.3) = 4 pairs -> 4/6 = 2/3.
 * Threshold 0.5 (p > 0.5 is positive): TP = {0.9, 0.6}, FP = {0.8}, TN = {0.3}, FN = {0.4}.
 *   accuracy = 3/5 = 0.6; precision = 2/3; recall = 2/3; F1 = 2/3.
 * logloss = -(ln 0.9 + ln 0.2 + ln 0.6 + ln 0.7 + ln 0.4) / 5
 *         = (0.1053605 + 1.6094379 + 0.5108256 + 0.3566749 + 0.9162907) / 5 = 0.6997179455.
 * errors p - y: -0.1, 0.8, -0.4, 0.3, -0.6
 *   RMSE = sqrt((0.01 + 0.64 + 0.16 + 0.09 + 0.36) / 5) = sqrt(0.252) = 0.5019960159
 *   MAE = (0.1 + 0.8 + 0.4 + 0.3 + 0.6) / 5 = 0.44
 * losses 1..5 -> mean_loss = 3. */
static void test_hand_computed_classification(void **state) {
    (void)state;
    gn_metrics_acc *acc = new_acc(1);
    add(acc, 0.9, 1, 1, 1);
    add(acc, 0.8, -1, 1, 2); /* -1 and 0 are both the negative class */
    add(acc, 0.6, 1, 1, 3);
    add(acc, 0.3, 0, 1, 4);
    add(acc, 0.4, 1, 1, 5);
    gn_metrics m;
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_int_equal(m.classification, 1);
    assert_int_equal(m.examples, 5);
    assert_double_equal(m.weight_sum, 5.0, EPS);
    assert_double_equal(m.auc, 2.0 / 3.0, EPS);
    assert_double_equal(m.accuracy, 0.6, EPS);
    assert_double_equal(m.precision, 2.0 / 3.0, EPS);
    assert_double_equal(m.recall, 2.0 / 3.0, EPS);
    assert_double_equal(m.f1, 2.0 / 3.0, EPS);
    assert_double_equal(m.logloss, 0.699717945534161, 1e-12);
    assert_double_equal(m.rmse, 0.5019960159204453, 1e-12);
    assert_double_equal(m.mae, 0.44, EPS);
    assert_double_equal(m.mean_loss, 3.0, EPS);

    /* The accumulator stays usable after a result: (0.1, 0) joins the negatives below every
     * positive -> AUC = (4 + 3) / 9 = 7/9. */
    add(acc, 0.1, 0, 1, 0);
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_int_equal(m.examples, 6);
    assert_double_equal(m.auc, 7.0 / 9.0, EPS);
    gn_metrics_acc_free(acc);
}

/* Ties count half. positives {0.5, 0.7}, negatives {0.5, 0.2}:
 *   (0.5,0.5) tie = 0.5, (0.5,0.2) = 1, (0.7,0.5) = 1, (0.7,0.2) = 1 -> 3.5 / 4 = 0.875.
 * All predictions equal -> every pair is a tie -> 0.5. */
static void test_ties(void **state) {
    (void)state;
    gn_metrics_acc *acc = new_acc(1);
    add(acc, 0.5, 1, 1, 0);
    add(acc, 0.7, 1, 1, 0);
    add(acc, 0.5, 0, 1, 0);
    add(acc, 0.2, 0, 1, 0);
    gn_metrics m;
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_double_equal(m.auc, 0.875, EPS);
    /* 0.5 is not above the threshold: TP {0.7}, FN {0.5 pos}, TN {0.5 neg, 0.2} -> 3/4. */
    assert_double_equal(m.accuracy, 0.75, EPS);
    assert_double_equal(m.precision, 1.0, EPS);
    assert_double_equal(m.recall, 0.5, EPS);
    assert_double_equal(m.f1, 2.0 / 3.0, EPS);
    gn_metrics_acc_free(acc);

    acc = new_acc(1);
    for (int i = 0; i < 10; i++) add(acc, 0.25, i % 3 == 0, 1, 0);
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_double_equal(m.auc, 0.5, EPS);
    gn_metrics_acc_free(acc);

    /* -0.0 and +0.0 are the same prediction: a tie, not an ordered pair. */
    acc = new_acc(1);
    add(acc, -0.0, 1, 1, 0);
    add(acc, 0.0, 0, 1, 0);
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_double_equal(m.auc, 0.5, EPS);
    gn_metrics_acc_free(acc);
}

/* Weighted: (p, y, w) = (0.7,1,2) (0.3,1,1) (0.5,0,3) (0.1,0,1). Positive weight 3, negative 4
 * -> 12 weighted pairs; ordered correctly: (0.7 vs 0.5) 2*3 = 6, (0.7 vs 0.1) 2*1 = 2,
 * (0.3 vs 0.1) 1*1 = 1 -> AUC = 9/12 = 0.75.
 * Threshold: TP w2, FN w1, TN w3 + w1 -> accuracy 6/7; precision 2/2 = 1; recall 2/3;
 * F1 = 2 * 1 * 2/3 / (5/3) = 0.8.
 * logloss = -(2 ln 0.7 + ln 0.3 + 3 ln 0.5 + ln 0.9) / 7. */
static void test_weights(void **state) {
    (void)state;
    gn_metrics_acc *acc = new_acc(1);
    add(acc, 0.7, 1, 2, 0);
    add(acc, 0.3, 1, 1, 0);
    add(acc, 0.5, 0, 3, 0);
    add(acc, 0.1, 0, 1, 0);
    add(acc, 0.99, 0, 0, 100); /* weight 0: counted as an example, changes nothing else */
    gn_metrics m;
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_int_equal(m.examples, 5);
    assert_double_equal(m.weight_sum, 7.0, EPS);
    assert_double_equal(m.auc, 0.75, EPS);
    assert_double_equal(m.accuracy, 6.0 / 7.0, EPS);
    assert_double_equal(m.precision, 1.0, EPS);
    assert_double_equal(m.recall, 2.0 / 3.0, EPS);
    assert_double_equal(m.f1, 0.8, EPS);
    assert_double_equal(m.logloss, -(2 * log(0.7) + log(0.3) + 3 * log(0.5) + log(0.9)) / 7.0, EPS);
    assert_double_equal(m.mean_loss, 0.0, EPS);
    gn_metrics_acc_free(acc);

    /* The same data with the weights spelled out as repeated unit examples. */
    acc = new_acc(1);
    add(acc, 0.7, 1, 1, 0);
    add(acc, 0.7, 1, 1, 0);
    add(acc, 0.3, 1, 1, 0);
    for (int i = 0; i < 3; i++) add(acc, 0.5, 0, 1, 0);
    add(acc, 0.1, 0, 1, 0);
    gn_metrics u;
    assert_int_equal(gn_metrics_acc_result(acc, &u), GN_OK);
    assert_double_equal(u.auc, m.auc, EPS);
    assert_double_equal(u.logloss, m.logloss, EPS);
    assert_double_equal(u.accuracy, m.accuracy, EPS);
    gn_metrics_acc_free(acc);
}

/* One class only: AUC is NaN; precision/recall/F1 are 0 when undefined; logloss is clipped so a
 * confident mistake stays finite: -ln(1e-15) = 34.538776394910684. */
static void test_one_class_and_clipping(void **state) {
    (void)state;
    gn_metrics_acc *acc = new_acc(1);
    add(acc, 0.0, 1, 1, 0);
    add(acc, 0.2, 1, 1, 0);
    gn_metrics m;
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_true(isnan(m.auc));
    assert_double_equal(m.precision, 0.0, 0.0); /* nothing predicted positive */
    assert_double_equal(m.recall, 0.0, 0.0);
    assert_double_equal(m.f1, 0.0, 0.0);
    assert_double_equal(m.accuracy, 0.0, 0.0);
    assert_double_equal(m.logloss, (34.538776394910684 - log(0.2)) / 2.0, 1e-9);
    gn_metrics_acc_free(acc);

    acc = new_acc(1);
    add(acc, 1.0, 0, 1, 0);
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_true(isnan(m.auc));
    assert_double_equal(m.recall, 0.0, 0.0); /* no positives */
    assert_double_equal(m.logloss, -log(1.0 - (1.0 - 1e-15)), 1e-12); /* 1 - 1e-15 rounds */
    gn_metrics_acc_free(acc);

    /* A positive with weight 0 does not make the class present. */
    acc = new_acc(1);
    add(acc, 0.4, 0, 1, 0);
    add(acc, 0.6, 1, 0, 0);
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_true(isnan(m.auc));
    gn_metrics_acc_free(acc);

    /* Empty: means are NaN. */
    acc = new_acc(1);
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_int_equal(m.examples, 0);
    assert_true(isnan(m.logloss) && isnan(m.auc) && isnan(m.rmse) && isnan(m.accuracy));
    gn_metrics_acc_free(acc);
}

/* Regression (p, label): (2.5, 3) (0, -0.5) (2, 2) (8, 7); errors -0.5, 0.5, 0, 1
 *   RMSE = sqrt((0.25 + 0.25 + 0 + 1) / 4) = sqrt(0.375) = 0.6123724357; MAE = 2 / 4 = 0.5. */
static void test_regression(void **state) {
    (void)state;
    gn_metrics_acc *acc = new_acc(0);
    add(acc, 2.5, 3, 1, 0.25);
    add(acc, 0.0, -0.5, 1, 0.25);
    add(acc, 2.0, 2, 1, 0.0);
    add(acc, 8.0, 7, 1, 1.0);
    gn_metrics m;
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_int_equal(m.classification, 0);
    assert_double_equal(m.rmse, 0.6123724356957945, 1e-12);
    assert_double_equal(m.mae, 0.5, EPS);
    assert_double_equal(m.mean_loss, 0.375, EPS);
    assert_true(isnan(m.auc));

    char buf[256];
    int n = gn_metrics_to_json(&m, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(buf));
    assert_string_equal(buf, "{\"examples\":4,\"rmse\":0.61237243569579447,\"mae\":0.5,\"mean_loss\":0.375}");
    gn_metrics_acc_free(acc);
}

static void test_merge_equals_one(void **state) {
    (void)state;
    gn_metrics_acc *one = new_acc(1), *a = new_acc(1), *b = new_acc(1);
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 3000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double p = (double)(x % 1000) / 1000.0, y = (x >> 20) % 3 == 0, w = (double)((x >> 30) % 4);
        double loss = (double)((x >> 40) % 100) / 10.0;
        add(one, p, y, w, loss);
        add(i % 2 ? a : b, p, y, w, loss);
    }
    assert_int_equal(gn_metrics_acc_merge(a, b), GN_OK);
    gn_metrics m1, m2;
    assert_int_equal(gn_metrics_acc_result(one, &m1), GN_OK);
    assert_int_equal(gn_metrics_acc_result(a, &m2), GN_OK);
    assert_int_equal(m1.examples, m2.examples);
    assert_double_equal(m1.weight_sum, m2.weight_sum, 1e-9);
    assert_double_equal(m1.auc, m2.auc, 1e-12);
    assert_double_equal(m1.logloss, m2.logloss, 1e-12);
    assert_double_equal(m1.accuracy, m2.accuracy, 1e-12);
    assert_double_equal(m1.precision, m2.precision, 1e-12);
    assert_double_equal(m1.recall, m2.recall, 1e-12);
    assert_double_equal(m1.f1, m2.f1, 1e-12);
    assert_double_equal(m1.rmse, m2.rmse, 1e-12);
    assert_double_equal(m1.mae, m2.mae, 1e-12);
    assert_double_equal(m1.mean_loss, m2.mean_loss, 1e-12);

    /* Merging an accumulator into itself doubles every weight: ratios stay the same. */
    assert_int_equal(gn_metrics_acc_merge(one, one), GN_OK);
    assert_int_equal(gn_metrics_acc_result(one, &m2), GN_OK);
    assert_int_equal(m2.examples, 2 * m1.examples);
    assert_double_equal(m2.auc, m1.auc, 1e-12);

    gn_metrics_acc *r = new_acc(0);
    assert_int_equal(gn_metrics_acc_merge(r, one), GN_EINVAL);
    gn_metrics_acc_free(r);
    gn_metrics_acc_free(one);
    gn_metrics_acc_free(a);
    gn_metrics_acc_free(b);
}

/* The radix-sorted AUC against an O(n^2) count over weighted pairs, with many ties and negative
 * scores (hinge-style raw predictions). */
static void test_auc_brute_force(void **state) {
    (void)state;
    enum { N = 1500 };
    static float p[N];
    static int y[N];
    static double w[N];
    gn_metrics_acc *acc = new_acc(1);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (float)((int)(x % 201) - 100) / 37.0f;
        y[i] = (x >> 32) % 5 < 2;
        w[i] = (double)((x >> 40) % 3) + 0.5;
        add(acc, p[i], y[i], w[i], 0);
    }
    double num = 0, pw = 0, nw = 0;
    for (int i = 0; i < N; i++) {
        if (y[i]) pw += w[i];
        else nw += w[i];
        if (!y[i]) continue;
        for (int j = 0; j < N; j++) {
            if (y[j]) continue;
            if (p[i] > p[j]) num += w[i] * w[j];
            else if (p[i] == p[j]) num += 0.5 * w[i] * w[j];
        }
    }
    gn_metrics m;
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_double_equal(m.auc, num / (pw * nw), 1e-12);
    gn_metrics_acc_free(acc);
}

static void test_bad_input(void **state) {
    (void)state;
    gn_metrics_acc *acc = new_acc(1);
    assert_int_equal(gn_metrics_acc_add(acc, NAN, 1, 1, 0), GN_EINVAL);
    assert_int_equal(gn_metrics_acc_add(acc, 0.5, INFINITY, 1, 0), GN_EINVAL);
    assert_int_equal(gn_metrics_acc_add(acc, 0.5, 1, -1, 0), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "weight"));
    assert_int_equal(gn_metrics_acc_add(acc, 0.5, 1, NAN, 0), GN_EINVAL);
    gn_metrics m;
    assert_int_equal(gn_metrics_acc_result(acc, &m), GN_OK);
    assert_int_equal(m.examples, 0); /* nothing was added */
    gn_metrics_acc_free(acc);
    gn_metrics_acc_free(NULL);
    assert_int_equal(gn_metrics_acc_new(1, NULL), GN_EINVAL);
}

static void test_json_classification(void **state) {
    (void)state;
    gn_metrics m;
    memset(&m, 0, sizeof m);
    m.examples = 12;
    m.classification = 1;
    m.logloss = 0.5;
    m.auc = NAN;
    m.accuracy = 0.75;
    m.precision = 0.1;
    m.recall = 1.0;
    m.f1 = 2.0 / 11.0;
    m.rmse = 0.25;
    m.mae = 0.125;
    m.mean_loss = INFINITY;
    char buf[512];
    int n = gn_metrics_to_json(&m, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(buf));
    assert_string_equal(buf, "{\"examples\":12,\"logloss\":0.5,\"auc\":null,\"accuracy\":0.75,"
                             "\"precision\":0.10000000000000001,\"recall\":1,\"f1\":0.18181818181818182,"
                             "\"rmse\":0.25,\"mae\":0.125,\"mean_loss\":null}");
    /* Valid JSON whose numbers read back exactly (%.17g). */
    json_t *obj = json_loads(buf, 0, NULL);
    assert_non_null(obj);
    assert_true(json_number_value(json_object_get(obj, "f1")) == m.f1);
    assert_true(json_is_null(json_object_get(obj, "auc")));
    json_decref(obj);

    /* snprintf semantics: the needed length comes back and a short buffer is still terminated. */
    assert_int_equal(gn_metrics_to_json(&m, NULL, 0), n);
    char small[10];
    assert_int_equal(gn_metrics_to_json(&m, small, sizeof small), n);
    assert_string_equal(small, "{\"example");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed_classification),
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_one_class_and_clipping),
        cmocka_unit_test(test_regression),
        cmocka_unit_test(test_merge_equals_one),
        cmocka_unit_test(test_auc_brute_force),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_json_classification),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
