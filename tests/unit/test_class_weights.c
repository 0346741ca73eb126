/* Unit tests for learn/class_weights.c: option checks, resolving names and --balanced against a
 * label dictionary, and scaling example weights (binary and multiclass). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gannet/gannet.h"
#include "io/labels.h"
#include "learn/class_weights.h"

static gn_train_options opts(gn_loss loss, const char *cw, int balanced) {
    gn_train_options o;
    gn_train_options_init(&o);
    o.loss = loss;
    o.class_weights = cw;
    o.balanced = balanced;
    return o;
}

static void test_check(void **state) {
    (void)state;
    gn_train_options o = opts(GN_LOSS_SOFTMAX, "a:2,b:0.5", 0);
    assert_int_equal(gn__class_weights_check(&o), GN_OK);
    assert_true(gn__class_weights_wanted(&o));
    const char *bad[] = {"a:0", "a:-1", "a:inf", "a:nan", "a:x", "a", ":2", "a:2,", "a:1e400"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o = opts(GN_LOSS_LOGISTIC, bad[i], 0);
        assert_int_equal(gn__class_weights_check(&o), GN_EINVAL);
        assert_non_null(strstr(gn_last_error(), "class_weights"));
    }
    o = opts(GN_LOSS_SQUARED, NULL, 1);
    assert_int_equal(gn__class_weights_check(&o), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "classification loss"));
    o = opts(GN_LOSS_HINGE, "a:2", 1);
    assert_int_equal(gn__class_weights_check(&o), GN_EINVAL);
    o = opts(GN_LOSS_HINGE, NULL, 0);
    assert_false(gn__class_weights_wanted(&o));
}

static gn_labels *three(void) {
    gn_labels *l = NULL;
    char why[256];
    assert_int_equal(gn__labels_new(&l), GN_OK);
    const char *seq[] = {"a", "a", "a", "a", "a", "a", "b", "b", "b", "c"}; /* 6, 3, 1 */
    for (size_t i = 0; i < 10; i++) assert_int_equal(gn__labels_add(l, seq[i], strlen(seq[i]), 0, i + 1, why), GN_OK);
    assert_int_equal(gn__labels_resolve_classes(l, 0, NULL, 0), GN_OK);
    return l;
}

static void test_resolve_and_apply(void **state) {
    (void)state;
    gn_labels *l = three();
    double cw[3];
    gn_train_options o = opts(GN_LOSS_SOFTMAX, NULL, 1);
    assert_int_equal(gn__class_weights_resolve(&o, l, cw, 3), GN_OK);
    assert_true(fabs(cw[0] - 10.0 / 18) < 1e-12 && fabs(cw[1] - 10.0 / 9) < 1e-12 && fabs(cw[2] - 10.0 / 3) < 1e-12);
    o = opts(GN_LOSS_SOFTMAX, " c : 4 ,a:2", 0);
    assert_int_equal(gn__class_weights_resolve(&o, l, cw, 3), GN_OK);
    assert_true(cw[0] == 2 && cw[1] == 1 && cw[2] == 4);
    o = opts(GN_LOSS_SOFTMAX, "z:2", 0);
    assert_int_equal(gn__class_weights_resolve(&o, l, cw, 3), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "'z' is not a class"));
    o = opts(GN_LOSS_SOFTMAX, "a:2,a:3", 0);
    assert_int_equal(gn__class_weights_resolve(&o, l, cw, 3), GN_EINVAL);
    /* multiclass: the label is the class index; binary: > 0 is class 1 */
    const double f[3] = {2, 1, 4};
    float label[4] = {0, 2, 1, 7}, weight[4] = {1, 0.5f, 1, 1};
    gn__class_weights_apply(f, 3, 0, label, weight, 4);
    assert_true(weight[0] == 2 && weight[1] == 2 && weight[2] == 1 && weight[3] == 1);
    float bl[3] = {-1, 1, -1}, bw[3] = {1, 1, 3};
    const double fb[2] = {0.5, 3};
    gn__class_weights_apply(fb, 2, 1, bl, bw, 3);
    assert_true(bw[0] == 0.5f && bw[1] == 3 && bw[2] == 1.5f);
    json_t *j = gn__class_weights_json(l, f, 3);
    assert_non_null(j);
    assert_true(json_real_value(json_object_get(j, "c")) == 4);
    json_decref(j);
    gn__labels_free(l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_resolve_and_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
