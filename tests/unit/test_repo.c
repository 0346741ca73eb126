/* tests/unit/test_repo.c: the model repository (repo/repo.c): publish numbers versions from 1,
 * writes model.gnm + meta.json (caller keys merged, parent = the version current before) and
 * moves `current`; listing ignores what a killed publish leaves (hidden temp directories,
 * pointer temp files, a version directory without its model) and the next publish removes it;
 * rollback goes to the parent or --to, refuses a missing version or a model that does not load;
 * a bad pointer file is GN_EFORMAT; names are checked; the server-side pointer resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sys/stat.h>

#include "gannet/gannet.h"
#include "model/model.h"
#include "repo/repo_internal.h"

#define GN_TEST_DIR_TAG "repo"
#include "test_util.h"

static gn_model *make_model(float w1) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.format = GN_FORMAT_LIBSVM;
    spec.bits = 4;
    gn_model *m;
    assert_int_equal(gn__model_new(GN_KIND_LINEAR, GN_LOSS_LOGISTIC, &spec, 1, &m), GN_OK);
    m->w[1] = w1;
    assert_int_equal(gn__model_finalize(m), GN_OK);
    return m;
}

static int exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static void test_names(void **state) {
    (void)state;
    assert_true(gn_repo_name_ok("ctr"));
    assert_true(gn_repo_name_ok("a-b_c.1"));
    assert_false(gn_repo_name_ok(""));
    assert_false(gn_repo_name_ok(".hidden"));
    assert_false(gn_repo_name_ok("a/b"));
    assert_false(gn_repo_name_ok("a b"));
    char longname[80];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_false(gn_repo_name_ok(longname));
    gn_model *m = make_model(1);
    assert_int_equal(gn_repo_publish(tpath("r0"), "../x", m, NULL, 1, NULL), GN_EINVAL);
    assert_int_equal(gn_repo_publish(tpath("r0"), "ok", m, "[1,2]", 1, NULL), GN_EINVAL);
    assert_int_equal(gn_repo_publish(tpath("r0"), "ok", m, "{bad", 1, NULL), GN_EINVAL);
    assert_false(exists(tpath("r0/ok/1")));
    gn_model_free(m);
}

static void test_publish_list_rollback(void **state) {
    (void)state;
    const char *repo = tpath("r1");
    gn_model *a = make_model(1), *b = make_model(2);
    uint32_t v = 0, cur = 0;
    assert_int_equal(gn_repo_current(repo, "m", &cur), GN_OK);
    assert_int_equal(cur, 0);
    assert_int_equal(gn_repo_publish(repo, "m", a, "{\"metrics\":{\"auc\":0.75},\"run_id\":\"r1\"}", 1, &v), GN_OK);
    assert_int_equal(v, 1);
    assert_int_equal(gn_repo_publish(repo, "m", b, NULL, 1, &v), GN_OK);
    assert_int_equal(v, 2);
    assert_int_equal(gn_repo_publish(repo, "m", a, NULL, 0, &v), GN_OK); /* not made current */
    assert_int_equal(v, 3);
    assert_int_equal(gn_repo_current(repo, "m", &cur), GN_OK);
    assert_int_equal(cur, 2);

    uint32_t *vs;
    size_t n;
    assert_int_equal(gn_repo_versions(repo, "m", &vs, &n), GN_OK);
    assert_int_equal(n, 3);
    assert_int_equal(vs[0], 1);
    assert_int_equal(vs[2], 3);
    free(vs);

    char *meta;
    assert_int_equal(gn_repo_read_meta(repo, "m", 1, &meta), GN_OK);
    json_t *j = json_loads(meta, 0, NULL);
    free(meta);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "parent")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "run_id")), "r1");
    assert_true(json_real_value(json_object_get(json_object_get(j, "metrics"), "auc")) == 0.75);
    assert_string_equal(json_string_value(json_object_get(j, "model_version")), gn_model_version(a));
    json_decref(j);
    assert_int_equal(gn_repo_read_meta(repo, "m", 2, &meta), GN_OK);
    j = json_loads(meta, 0, NULL);
    free(meta);
    assert_int_equal(json_integer_value(json_object_get(j, "parent")), 1);
    json_decref(j);

    /* the published file is the model */
    char p[512];
    assert_int_equal(gn_repo_model_path(repo, "m", 2, p, sizeof p), GN_OK);
    gn_model *back;
    assert_int_equal(gn_model_load(p, &back), GN_OK);
    assert_string_equal(gn_model_version(back), gn_model_version(b));
    gn_model_free(back);

    /* rollback: to the parent of 2 (1); --to 3; --to a missing version fails and changes nothing */
    assert_int_equal(gn_repo_rollback(repo, "m", 0, &cur), GN_OK);
    assert_int_equal(cur, 1);
    assert_int_equal(gn_repo_rollback(repo, "m", 0, &cur), GN_EINVAL); /* 1 has no parent, none below */
    assert_int_equal(gn_repo_rollback(repo, "m", 3, &cur), GN_OK);
    assert_int_equal(cur, 3);
    assert_int_equal(gn_repo_rollback(repo, "m", 9, &cur), GN_EINVAL);
    assert_int_equal(gn_repo_current(repo, "m", &cur), GN_OK);
    assert_int_equal(cur, 3);
    /* a version whose model does not load is never made current */
    write_text(tpath("r1/m/2/model.gnm"), "not a model");
    assert_int_not_equal(gn_repo_rollback(repo, "m", 2, &cur), GN_OK);
    assert_int_equal(gn_repo_current(repo, "m", &cur), GN_OK);
    assert_int_equal(cur, 3);

    char **names;
    assert_int_equal(gn_repo_publish(repo, "other", a, NULL, 1, NULL), GN_OK);
    assert_int_equal(mkdir(tpath("r1/.hidden"), 0777), 0);
    assert_int_equal(gn_repo_names(repo, &names, &n), GN_OK);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "m");
    assert_string_equal(names[1], "other");
    gn_repo_names_free(names, n);
    gn_model_free(a);
    gn_model_free(b);
}

static void test_leftovers_of_a_killed_publish(void **state) {
    (void)state;
    const char *repo = tpath("r2");
    gn_model *a = make_model(1);
    assert_int_equal(gn_repo_publish(repo, "m", a, NULL, 1, NULL), GN_OK);
    /* what a publisher killed at various moments leaves */
    assert_int_equal(mkdir(tpath("r2/m/.tmp-2-99999"), 0777), 0);
    write_text(tpath("r2/m/.tmp-2-99999/model.gnm"), "half");
    write_text(tpath("r2/m/current.tmp.99999.0123456789abcdef"), "2\n");
    assert_int_equal(mkdir(tpath("r2/m/2"), 0777), 0); /* no model in it: not a version */
    uint32_t *vs, cur;
    size_t n;
    assert_int_equal(gn_repo_versions(repo, "m", &vs, &n), GN_OK);
    assert_int_equal(n, 1);
    free(vs);
    assert_int_equal(gn_repo_current(repo, "m", &cur), GN_OK);
    assert_int_equal(cur, 1);
    uint32_t v;
    assert_int_equal(gn_repo_publish(repo, "m", a, NULL, 1, &v), GN_OK);
    assert_int_equal(v, 3); /* the number of the empty directory is not reused */
    assert_false(exists(tpath("r2/m/.tmp-2-99999")));
    gn_model_free(a);
}

static void test_bad_pointer_and_resolve(void **state) {
    (void)state;
    const char *repo = tpath("r3");
    gn_model *a = make_model(1);
    assert_int_equal(gn_repo_publish(repo, "m", a, NULL, 1, NULL), GN_OK);
    char file[512];
    uint32_t v = 0;
    assert_int_equal(gn__repo_resolve_pointer(tpath("r3/m/current"), file, sizeof file, &v), GN_OK);
    assert_int_equal(v, 1);
    assert_string_equal(file, tpath("r3/m/1/model.gnm"));
    write_text(tpath("r3/m/current"), "x1\n");
    assert_int_equal(gn_repo_current(repo, "m", &v), GN_EFORMAT);
    assert_int_equal(gn__repo_resolve_pointer(tpath("r3/m/current"), file, sizeof file, &v), GN_EFORMAT);
    write_text(tpath("r3/m/current"), "007\n");
    assert_int_equal(gn_repo_current(repo, "m", &v), GN_EFORMAT);
    unlink(tpath("r3/m/current"));
    assert_int_equal(gn__repo_resolve_pointer(tpath("r3/m/current"), file, sizeof file, &v), GN_EIO);
    assert_int_equal(gn_repo_names(tpath("missing"), NULL, NULL), GN_EIO);
    gn_model_free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_publish_list_rollback),
        cmocka_unit_test(test_leftovers_of_a_killed_publish),
        cmocka_unit_test(test_bad_pointer_and_resolve),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
