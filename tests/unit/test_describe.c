/* test_describe.c: the library side of `gannet describe` (io/describe.c) and the raw CSV access
 * it uses (gn__parser_csv_*): options are checked; a report's accessors (JSON that parses, text,
 * warnings, the sorted flag) agree; every value is read as training reads it (the parser's own
 * features for the same line are the proof); errors name file:line and leave *out alone. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/parser.h"

#define GN_TEST_DIR_TAG "describe"
#include "test_util.h"

static void test_options(void **state) {
    (void)state;
    gn_describe_options o;
    gn_describe_options_init(&o);
    assert_int_equal(o.top, 10);
    assert_int_equal(o.max_columns, 1024);
    assert_int_equal(o.threads, 0);
    assert_int_equal(gn_describe_options_check(&o), GN_OK);
    o.top = 0;
    assert_int_equal(gn_describe_options_check(&o), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "top"));
    o.top = GN_DESCRIBE_TOP_MAX + 1;
    assert_int_equal(gn_describe_options_check(&o), GN_EINVAL);
    gn_describe_options_init(&o);
    o.max_columns = 0;
    assert_int_equal(gn_describe_options_check(&o), GN_EINVAL);
    gn_describe_report_free(NULL);
}

static void test_report(void **state) {
    (void)state;
    /* 400 rows sorted by label; x numeric, c categorical with a missing token and one 'NA' */
    FILE *f = fopen(tpath("t.csv"), "w");
    assert_non_null(f);
    fprintf(f, "y,x,c\n");
    for (int i = 0; i < 400; i++) fprintf(f, "%s,%d,%s\n", i < 300 ? "no" : "yes", i % 50, i % 4 == 0 ? "NA" : (i % 4 == 1 ? "a" : "b"));
    fclose(f);
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    const char *paths[] = {tpath("t.csv")};
    gn_describe_options o;
    gn_describe_options_init(&o);
    o.threads = 1;
    gn_describe_report *r = NULL;
    assert_int_equal(gn_describe(&o, &spec, paths, 1, &r), GN_OK);
    assert_non_null(r);
    assert_true(gn_describe_report_sorted(r));
    assert_int_equal(gn_describe_report_warnings(r), 1);
    assert_non_null(strstr(gn_describe_report_warning(r, 0), "labels come in long runs: 400 examples in 2 runs"));
    assert_null(gn_describe_report_warning(r, 1));
    assert_non_null(strstr(gn_describe_report_text(r), "labels come in long runs"));
    json_error_t err;
    json_t *j = json_loads(gn_describe_report_json(r), 0, &err);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "examples")), 400);
    const json_t *x = json_array_get(json_object_get(j, "columns"), 1);
    assert_string_equal(json_string_value(json_object_get(x, "role")), "numeric");
    assert_true(json_real_value(json_object_get(x, "max")) == 49.0);
    assert_int_equal(json_integer_value(json_object_get(x, "distinct")), 50);
    const json_t *c = json_array_get(json_object_get(j, "columns"), 2);
    assert_string_equal(json_string_value(json_object_get(c, "role")), "categorical");
    assert_int_equal(json_integer_value(json_object_get(c, "missing")), 100);
    assert_int_equal(json_integer_value(json_object_get(c, "distinct")), 2);
    const json_t *lab = json_object_get(j, "label");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(lab, "values"), 0), "value")), "no");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(lab, "values"), 0), "count")), 300);
    json_decref(j);
    gn_describe_report_free(r);

    /* a bad line: the error names it, *out is untouched */
    f = fopen(tpath("bad.csv"), "w");
    assert_non_null(f);
    fprintf(f, "y,x\n1,2\n0,3,4\n");
    fclose(f);
    const char *bad[] = {tpath("bad.csv")};
    r = (gn_describe_report *)0x1;
    assert_int_equal(gn_describe(NULL, &spec, bad, 1, &r), GN_EPARSE);
    assert_true(r == (gn_describe_report *)0x1);
    assert_non_null(strstr(gn_last_error(), "bad.csv:3: expected 2 fields, got 3"));
}

/* gn__parser_csv_value reads every value as parse_csv does: a line of one value per column is
 * parsed both ways and the features must agree (a number: its numeric feature; text: one
 * category; missing: nothing; -1: the line is refused). */
static void test_csv_value_matches_parser(void **state) {
    (void)state;
    const char *values[] = {"1.5", "", "NA", "?", "abc", "-999", "1e39", "0", "null", "n/a", "7"};
    const int roles_n = 3;
    for (int na_extra = 0; na_extra < 2; na_extra++) {
        for (int rl = 0; rl < roles_n; rl++) {
            for (size_t k = 0; k < sizeof values / sizeof *values; k++) {
                gn_data_spec s;
                gn_data_spec_init(&s);
                s.format = GN_FORMAT_CSV;
                s.sep = ',';
                s.header = 1;
                s.bias = 0;
                if (na_extra) snprintf(s.na_values, sizeof s.na_values, "-999");
                if (rl == 1) snprintf(s.numeric, sizeof s.numeric, "x");
                if (rl == 2) snprintf(s.categorical, sizeof s.categorical, "x");
                gn_parser *p;
                assert_int_equal(gn__parser_new(&s, &p), GN_OK);
                char why[GN_WHY_MAX];
                assert_int_equal(gn__parser_first_line(p, "y,x", 3, why), 1);
                char line[64];
                int n = snprintf(line, sizeof line, "1,%s", values[k]);
                gn_batch b;
                assert_int_equal(gn__batch_init(&b, 2, 8), GN_OK);
                int pst = gn__parser_line(p, line, (size_t)n, 0, &b, why);
                assert_int_equal(gn__parser_csv_split(p, line, (size_t)n, why), GN_OK);
                size_t vl;
                const char *v = gn__parser_csv_field(p, 1, &vl);
                double d = 0;
                int cls = gn__parser_csv_value(p, 1, v, vl, &d, why);
                if (cls < 0) {
                    assert_int_equal(pst, GN_EPARSE);
                } else {
                    assert_int_equal(pst, GN_OK);
                    size_t nf = b.start[1] - b.start[0];
                    if (cls == GN_CSV_MISSING) assert_int_equal(nf, 0);
                    if (cls == GN_CSV_TEXT) assert_int_equal(nf, 1);
                    if (cls == GN_CSV_NUMBER) {
                        assert_int_equal(nf, d == 0 ? 0 : 1);
                        if (nf) assert_true(b.value[0] == (float)d);
                    }
                    if (rl == 2) assert_true(cls != GN_CSV_NUMBER);
                }
                gn__batch_free(&b);
                gn__parser_free(p);
            }
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_csv_value_matches_parser),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
