/* tests/unit/test_yaml_tree.c: the pipeline file's YAML reader (flow/yaml_tree.c): block and
 * flow style into objects, arrays and strings kept as written; line numbers of nodes; refused
 * constructs (aliases, anchors, custom tags, duplicate keys, several documents, too deep, an
 * empty file) and bad YAML name file:line. Also the pipeline file checks (flow/pipeline_file.c):
 * unknown keys and bad values name their line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "flow/yaml_tree.h"
#include "gannet/gannet.h"

#define GN_TEST_DIR_TAG "yaml"
#include "test_util.h"

static int load(const char *text, gn__yaml_tree *t) { return gn__yaml_load("p.yaml", text, strlen(text), t); }

static void test_issue_example(void **state) {
    (void)state;
    const char *text = "name: ctr\n"
                       "data: {train: [day-*.tsv.gz], test: [day-7.tsv.gz], format: csv, label: click}\n"
                       "tune: {folds: 5, grid: {l2: [0.1, 1, 10], lr: [0.05, 0.1]}, metric: auc}\n"
                       "train: {passes: 3}\n"
                       "gate: {auc: \">= 0.74\", not_worse_than_current_by: 0.002}\n"
                       "publish: {repository: models/}\n";
    gn__yaml_tree t;
    assert_int_equal(load(text, &t), GN_OK);
    assert_true(json_is_object(t.root));
    assert_string_equal(json_string_value(json_object_get(t.root, "name")), "ctr");
    json_t *grid = json_object_get(json_object_get(t.root, "tune"), "grid");
    assert_int_equal(json_array_size(json_object_get(grid, "l2")), 3);
    assert_string_equal(json_string_value(json_array_get(json_object_get(grid, "l2"), 0)), "0.1");
    json_t *gate = json_object_get(t.root, "gate");
    assert_string_equal(json_string_value(json_object_get(gate, "auc")), ">= 0.74");
    assert_string_equal(json_string_value(json_object_get(gate, "not_worse_than_current_by")), "0.002");
    assert_int_equal(gn__yaml_line_of(&t, gate), 5);
    assert_int_equal(gn__yaml_line_of(&t, json_object_get(json_object_get(t.root, "train"), "passes")), 4);
    gn__yaml_free(&t);
}

static void test_block_style(void **state) {
    (void)state;
    const char *text = "# a comment\nname: x\ndata:\n  train:\n    - a.svm\n    - b.svm\n  label: \"010\"\nflag: no\n";
    gn__yaml_tree t;
    assert_int_equal(load(text, &t), GN_OK);
    json_t *train = json_object_get(json_object_get(t.root, "data"), "train");
    assert_int_equal(json_array_size(train), 2);
    assert_string_equal(json_string_value(json_array_get(train, 1)), "b.svm");
    assert_int_equal(gn__yaml_line_of(&t, json_array_get(train, 1)), 6);
    /* scalars stay as written: no YAML 1.1 booleans or octal */
    assert_string_equal(json_string_value(json_object_get(json_object_get(t.root, "data"), "label")), "010");
    assert_string_equal(json_string_value(json_object_get(t.root, "flag")), "no");
    gn__yaml_free(&t);
}

static void expect_refused(const char *text, int st, const char *msg_part) {
    gn__yaml_tree t;
    assert_int_equal(load(text, &t), st);
    if (!strstr(gn_last_error(), msg_part)) fail_msg("message '%s' lacks '%s'", gn_last_error(), msg_part);
    assert_null(t.root);
}

static void test_refused(void **state) {
    (void)state;
    expect_refused("a: &x 1\nb: *x\n", GN_EPARSE, "p.yaml:1:");
    expect_refused("a: 1\nb: *x\n", GN_EPARSE, "p.yaml:2:");
    expect_refused("a: !custom 1\n", GN_EPARSE, "tags");
    expect_refused("a: 1\na: 2\n", GN_EPARSE, "p.yaml:2: key 'a' given twice");
    expect_refused("a: 1\n---\nb: 2\n", GN_EPARSE, "one YAML document");
    expect_refused("", GN_EPARSE, "empty");
    expect_refused("a: [1, 2\n", GN_EPARSE, "p.yaml:");
    expect_refused("a:\n  - b\n c: d\n", GN_EPARSE, "p.yaml:");
    expect_refused("? [1]\n: 2\n", GN_EPARSE, "plain text");
    char deep[200] = "";
    for (int i = 0; i < 40; i++) strcat(deep, "[");
    for (int i = 0; i < 40; i++) strcat(deep, "]");
    expect_refused(deep, GN_ELIMIT, "deeper");
}

static void test_pipeline_file_checks(void **state) {
    (void)state;
    write_text(tpath("d.svm"), "1 1:1\n-1 2:1\n");
    struct {
        const char *text, *msg;
    } cases[] = {
        {"name: p\ndata: {train: d.svm, test: d.svm}\ntune: {grid: {l2: [0.1]}}\nbogus: 1\n", "p.yaml:4: unknown key 'bogus'"},
        {"name: p\ndata: {train: d.svm, test: d.svm, l2: 1}\n", "p.yaml:2: data: 'l2' is a training parameter"},
        {"name: p\ndata: {train: d.svm, test: d.svm}\ntrain: {l2: -1}\n", "p.yaml:3: train: l2"},
        {"name: p\ndata: {train: none-*.svm, test: d.svm}\n", "matches no file"},
        {"name: p\ndata: {train: d.svm, test: d.svm}\ngate:\n  auc: about 0.7\n", "p.yaml:4: gate.auc"},
        {"name: p\ndata: {train: d.svm, test: d.svm}\ntune: {grid: {nope: [1]}}\n", "p.yaml:3: tune"},
        {"name: ../p\ndata: {train: d.svm, test: d.svm}\n", "p.yaml:1: name"},
        {"name: p\ndata: {train: d.svm}\n", "no test files"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_text(tpath("p.yaml"), cases[i].text);
        gn_pipeline *p = NULL;
        assert_int_not_equal(gn_pipeline_load(tpath("p.yaml"), &p), GN_OK);
        assert_null(p);
        if (!strstr(gn_last_error(), cases[i].msg)) fail_msg("case %zu: '%s' lacks '%s'", i, gn_last_error(), cases[i].msg);
    }
    write_text(tpath("p.yaml"), "name: p\ndata: {train: d.svm, test: [d.svm]}\ntune: {folds: 2, grid: {l2: [0.1, 1]}}\n"
                                "gate: {auc: 0.5}\npublish: {repository: models/}\n");
    gn_pipeline *p;
    assert_int_equal(gn_pipeline_load(tpath("p.yaml"), &p), GN_OK);
    assert_string_equal(gn_pipeline_name(p), "p");
    assert_non_null(strstr(gn_pipeline_state_dir(p), ".gannet-pipeline/p"));
    gn_pipeline_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_example),
        cmocka_unit_test(test_block_style),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_pipeline_file_checks),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
