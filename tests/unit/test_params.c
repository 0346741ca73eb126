/* test_params.c: the parameter table (util/params.c): its defaults are the ones the init
 * functions fill, its choice lists are the library's names, every row can be set and read back
 * through its name, flag and alias, bad values are refused with the parameter's name, and sizes
 * take suffixes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gannet/gannet.h"

static void test_defaults_match_init(void **state) {
    (void)state;
    gn_train_options o;
    gn_data_spec s;
    gn_train_options_init(&o);
    gn_data_spec_init(&s);
    char buf[256];
    assert_true(gn_param_count() >= 30);
    for (size_t i = 0; i < gn_param_count(); i++) {
        const gn_param_info *p = gn_param_at(i);
        assert_int_equal(gn_param_get(&o, &s, p->name, buf, sizeof buf), GN_OK);
        if (strcmp(buf, p->default_text) != 0) fail_msg("%s: table default '%s', init gives '%s'", p->name, p->default_text, buf);
        assert_ptr_equal(gn_param_find(p->name), p);
        assert_ptr_equal(gn_param_find(p->flag), p);
        if (p->alias) assert_ptr_equal(gn_param_find(p->alias), p);
        assert_non_null(p->help);
        assert_true(strlen(p->help) > 5);
    }
    assert_null(gn_param_at(gn_param_count()));
    assert_int_equal(gn_param_check_train(&o), GN_OK);
    assert_int_equal(gn_param_check_data(&s), GN_OK);
}

/* The choice lists spell the library's own names, in enum order. */
static void test_choices_are_library_names(void **state) {
    (void)state;
    const gn_param_info *loss = gn_param_find("loss"), *opt = gn_param_find("optimizer"), *fmt = gn_param_find("format");
    char want[256] = "";
    for (int i = 0; strcmp(gn_loss_name((gn_loss)i), "unknown") != 0; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? "|" : "", gn_loss_name((gn_loss)i));
    assert_string_equal(loss->choices, want);
    want[0] = '\0';
    for (int i = 0; strcmp(gn_optimizer_name((gn_optimizer)i), "unknown") != 0; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? "|" : "", gn_optimizer_name((gn_optimizer)i));
    assert_string_equal(opt->choices, want);
    want[0] = '\0';
    for (int i = 0; strcmp(gn_format_name((gn_format)i), "unknown") != 0; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? "|" : "", gn_format_name((gn_format)i));
    assert_string_equal(fmt->choices, want);
}

static void test_set_by_name(void **state) {
    (void)state;
    gn_train_options o;
    gn_data_spec s;
    gn_train_options_init(&o);
    gn_data_spec_init(&s);
    assert_int_equal(gn_train_options_set(&o, "l2", "1e-3"), GN_OK);
    assert_true(o.l2 == 1e-3);
    assert_int_equal(gn_param_set(&o, &s, "--lbfgs-memory", "7"), GN_OK);
    assert_int_equal(o.lbfgs_memory, 7);
    assert_int_equal(gn_param_set(&o, &s, "--memory", "8"), GN_OK); /* the old flag */
    assert_int_equal(o.lbfgs_memory, 8);
    assert_int_equal(gn_param_set(&o, &s, "max-iter", "9"), GN_OK); /* '-' for '_' */
    assert_int_equal(o.max_iter, 9);
    assert_int_equal(gn_data_spec_set(&s, "-b", "20"), GN_OK);
    assert_int_equal(s.bits, 20);
    assert_int_equal(gn_param_set(&o, &s, "loss", "poisson"), GN_OK);
    assert_int_equal(o.loss, GN_LOSS_POISSON);
    assert_int_equal(gn_param_set(&o, &s, "optimizer", "owlqn"), GN_OK);
    assert_int_equal(o.optimizer, GN_OPT_OWLQN);
    assert_int_equal(gn_param_set(&o, &s, "bias", "false"), GN_OK);
    assert_int_equal(s.bias, 0);
    assert_int_equal(gn_param_set(&o, &s, "normalize", "off"), GN_OK);
    assert_int_equal(o.normalize, 0);
    assert_int_equal(gn_param_set(&o, &s, "header", "false"), GN_OK);
    assert_int_equal(s.header, 0);
    assert_int_equal(gn_param_set(&o, &s, "header", "auto"), GN_OK);
    assert_int_equal(s.header, -1);
    assert_int_equal(gn_param_set(&o, &s, "sep", "tab"), GN_OK);
    assert_int_equal(s.sep, '\t');
    assert_int_equal(gn_param_set(&o, &s, "label", "income"), GN_OK);
    assert_string_equal(s.label_col, "income");
    assert_int_equal(gn_param_set(&o, &s, "max_line", "1M"), GN_OK);
    assert_int_equal(s.max_line, 1048576);
    assert_int_equal(gn_param_set(&o, &s, "checkpoint_every", "30s"), GN_OK);
    assert_int_equal(o.checkpoint_seconds, 30);
    assert_int_equal(gn_param_set(&o, &s, "checkpoint_every", "5000"), GN_OK);
    assert_int_equal(o.checkpoint_examples, 5000);
    assert_int_equal(o.checkpoint_seconds, 0);
    assert_int_equal(gn_param_set(&o, &s, "shuffle_buffer", "1000"), GN_OK);
    assert_int_equal(o.shuffle, 1);
    assert_int_equal(gn_param_set(&o, &s, "seed", "18446744073709551615"), GN_OK);
    assert_true(o.seed == UINT64_MAX);
    const char *path = "/tmp/x.cache";
    assert_int_equal(gn_param_set(&o, &s, "cache", path), GN_OK);
    assert_ptr_equal(o.cache_path, path); /* borrowed */
    /* read back */
    char buf[64];
    assert_int_equal(gn_param_get(&o, &s, "max_line", buf, sizeof buf), GN_OK);
    assert_string_equal(buf, "1M");
    assert_int_equal(gn_param_get(&o, &s, "sep", buf, sizeof buf), GN_OK);
    assert_string_equal(buf, "tab");
    assert_int_equal(gn_param_get(&o, &s, "loss", buf, sizeof buf), GN_OK);
    assert_string_equal(buf, "poisson");
    assert_int_equal(gn_param_get(&o, &s, "l2", buf, 3), GN_ELIMIT);
    assert_int_equal(gn_param_check_train(&o), GN_OK);
    assert_int_equal(gn_param_check_data(&s), GN_OK);
}

static void expect_bad(gn_train_options *o, gn_data_spec *s, const char *name, const char *value, const char *msg) {
    gn_train_options before = *o;
    assert_int_equal(gn_param_set(o, s, name, value), GN_EINVAL);
    if (!strstr(gn_last_error(), msg)) fail_msg("%s=%s: message '%s' lacks '%s'", name, value, gn_last_error(), msg);
    assert_memory_equal(&before, o, sizeof before); /* untouched on failure */
}

static void test_bad_values(void **state) {
    (void)state;
    gn_train_options o;
    gn_data_spec s;
    gn_train_options_init(&o);
    gn_data_spec_init(&s);
    expect_bad(&o, &s, "l2", "-1", "l2: must be >= 0 (got -1)");
    expect_bad(&o, &s, "l2", "abc", "l2: 'abc' is not a number");
    expect_bad(&o, &s, "l2", "inf", "l2: 'inf' is not a number");
    expect_bad(&o, &s, "quantile_tau", "1", "quantile_tau: must be in (0, 1)");
    expect_bad(&o, &s, "holdout", "1", "holdout: must be in [0, 1)");
    expect_bad(&o, &s, "passes", "100001", "passes: expected auto or a number of passes in [1, 100000]");
    expect_bad(&o, &s, "passes", "-3", "passes: expected auto or a number of passes");
    expect_bad(&o, &s, "l1", "-0.5", "l1: expected auto or a number >= 0");
    expect_bad(&o, &s, "bits", "31", "bits: must be in [1, 30]");
    expect_bad(&o, &s, "loss", "cubic", "loss: unknown value 'cubic' (logistic|squared|hinge|quantile|poisson|softmax)");
    expect_bad(&o, &s, "normalize", "maybe", "normalize: expected true or false");
    expect_bad(&o, &s, "max_line", "12Q", "max_line: '12Q' is not a size");
    expect_bad(&o, &s, "max_line", "100", "max_line: must be in [1024, 1073741824] bytes");
    expect_bad(&o, &s, "sep", "ab", "sep: expected one character");
    expect_bad(&o, &s, "checkpoint_every", "0", "checkpoint_every: must be at least 1");
    expect_bad(&o, &s, "checkpoint_every", "10m", "checkpoint_every: expected N (examples) or Ns (seconds)");
    expect_bad(&o, &s, "nosuch", "1", "unknown parameter 'nosuch'");
    /* a limit the docs leave out (1e300: finite) is named when a value passes it */
    expect_bad(&o, &s, "lr", "1e308", "lr: must be >= 0 and <= 1e+300 (got 1e308)");
    /* the shuffle buffer's range comes from the table; a refused value does not turn shuffling on */
    expect_bad(&o, &s, "shuffle_buffer", "0", "shuffle_buffer: must be in [1, 67108864] (got 0)");
    expect_bad(&o, &s, "shuffle_buffer", "67108865", "shuffle_buffer: must be in [1, 67108864]");
    gn_train_options zero = o;
    zero.shuffle_buffer = 0;
    assert_int_equal(gn_train_options_check(&zero), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "shuffle_buffer must be in [1, 67108864] (got 0)"));
    char big[2000];
    memset(big, 'c', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(gn_data_spec_set(&s, "categorical", big), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "categorical: longer than 1023 characters"));
    /* a training parameter needs the options, a data parameter the spec */
    assert_int_equal(gn_data_spec_set(&s, "l2", "1"), GN_EINVAL);
    assert_int_equal(gn_train_options_set(&o, "bits", "20"), GN_EINVAL);
    /* the checks read the same ranges */
    o.l2 = -2;
    assert_int_equal(gn_train_options_check(&o), GN_EINVAL);
    assert_string_equal(gn_last_error(), "l2 must be >= 0 (got -2)");
}

static void test_sizes(void **state) {
    (void)state;
    uint64_t v;
    struct { const char *text; uint64_t want; } ok[] = {
        {"0", 0}, {"4096", 4096}, {"512K", 512 << 10}, {"64M", 64ull << 20}, {"2G", 2ull << 30}, {"1T", 1ull << 40},
        {"1.5K", 1536}, {"2GB", 2ull << 30}, {"2GiB", 2ull << 30}, {"3k", 3072}, {"1m", 1 << 20}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(gn_parse_size(ok[i].text, &v), GN_OK);
        assert_true(v == ok[i].want);
    }
    const char *bad[] = {"", "K", "-1", "1X", "1.2.3", "1 G", "abc", "1e30"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(gn_parse_size(bad[i], &v), GN_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_match_init), cmocka_unit_test(test_choices_are_library_names),
        cmocka_unit_test(test_set_by_name),         cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
