/* test_files.c: gn_check_outputs (util/files.c): an output that is an input, by the same path,
 * another spelling, a symlink or a hard link, is refused with both named; distinct files, new
 * outputs, missing inputs and non-regular files (/dev/null) pass; two outputs naming one file,
 * existing or new, are refused; stdout ("-") is compared with the inputs only; the library's own
 * writers (gn_cache_build, gn_train's cache and checkpoint) refuse too and leave the input whole. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gannet/gannet.h"

#define GN_TEST_DIR_TAG "files"
#include "test_util.h"

static const char data_text[] = "1 1:1 2:0.5\n-1 2:1 3:1\n1 1:1 3:0.25\n-1 2:1\n";

static void write_data(const char *path) { write_bytes(path, data_text, sizeof data_text - 1); }

/* Asserts that path still holds data_text. */
static void assert_data_intact(const char *path) {
    size_t n;
    char *got = read_all(path, &n);
    assert_int_equal(n, sizeof data_text - 1);
    assert_memory_equal(got, data_text, n);
    free(got);
}

static gn_status check1(const char *in, const char *in_what, const char *out, const char *out_what) {
    gn_file_use i = {in, in_what}, o = {out, out_what};
    return gn_check_outputs(&i, 1, &o, 1);
}

static void test_same_path_refused(void **state) {
    (void)state;
    const char *d = tpath("d.svm");
    write_data(d);
    assert_int_equal(check1(d, "-d", d, "--model"), GN_EINVAL);
    /* both are named, each with its flag */
    assert_non_null(strstr(gn_last_error(), "--model"));
    assert_non_null(strstr(gn_last_error(), "-d"));
    assert_non_null(strstr(gn_last_error(), "same file"));
    assert_non_null(strstr(gn_last_error(), d));
}

static void test_other_spellings_and_links_refused(void **state) {
    (void)state;
    const char *d = tpath("d2.svm");
    write_data(d);
    char dotted[512];
    snprintf(dotted, sizeof dotted, "%s/./d2.svm", g_dir);
    assert_int_equal(check1(d, "-d", dotted, "-o"), GN_EINVAL);
    const char *sym = tpath("sym.svm"), *hard = tpath("hard.svm");
    assert_int_equal(symlink(d, sym), 0);
    assert_int_equal(link(d, hard), 0);
    assert_int_equal(check1(d, "-d", sym, "-o"), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "sym.svm"));
    assert_int_equal(check1(sym, "-d", hard, "-o"), GN_EINVAL);
    assert_int_equal(check1(hard, "-d", d, "-o"), GN_EINVAL);
}

static void test_distinct_and_new_outputs_pass(void **state) {
    (void)state;
    const char *a = tpath("a.svm"), *b = tpath("b.svm");
    write_data(a);
    write_data(b);
    assert_int_equal(check1(a, "-d", b, "-o"), GN_OK);                      /* two existing files */
    assert_int_equal(check1(a, "-d", tpath("new.model"), "-m"), GN_OK);     /* a new output */
    assert_int_equal(check1(tpath("missing.svm"), "-d", a, "-m"), GN_OK);   /* a missing input: its read fails */
    assert_int_equal(check1("/dev/null", "-d", "/dev/null", "-o"), GN_OK); /* not regular files */
    assert_int_equal(gn_check_outputs(NULL, 0, NULL, 0), GN_OK);
    gn_file_use in[2] = {{a, "-d"}, {b, "-d"}};
    gn_file_use out[2] = {{tpath("m1"), "-m"}, {tpath("m2"), "--log-json"}};
    assert_int_equal(gn_check_outputs(in, 2, out, 2), GN_OK);
    out[1].path = b; /* the second output is the second input */
    assert_int_equal(gn_check_outputs(in, 2, out, 2), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "--log-json"));
}

static void test_two_outputs_one_file(void **state) {
    (void)state;
    const char *a = tpath("in.svm");
    write_data(a);
    gn_file_use in = {a, "-d"};
    /* a new file, spelled two ways */
    char dotted[512];
    snprintf(dotted, sizeof dotted, "%s/./best.json", g_dir);
    gn_file_use out[2] = {{tpath("best.json"), "--model"}, {dotted, "--results"}};
    assert_int_equal(gn_check_outputs(&in, 1, out, 2), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "--model"));
    assert_non_null(strstr(gn_last_error(), "--results"));
    /* an existing one */
    write_data(tpath("best.json"));
    assert_int_equal(gn_check_outputs(&in, 1, out, 2), GN_EINVAL);
    /* different names in one directory are different files */
    out[1].path = tpath("results.json");
    assert_int_equal(gn_check_outputs(&in, 1, out, 2), GN_OK);
}

/* Stdout (and stdin) as "-": compared through fd 1 (0) when they are regular files. */
static void test_stdout_and_stdin(void **state) {
    (void)state;
    const char *d = tpath("stdio.svm");
    write_data(d);
    fflush(stdout);
    int saved_out = dup(STDOUT_FILENO), saved_in = dup(STDIN_FILENO);
    assert_true(saved_out >= 0 && saved_in >= 0);
    int fd = open(d, O_RDWR | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    gn_status st_out = check1(d, "-d", "-", NULL);
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", gn_last_error());
    /* stdout against another output: never (--log-json /dev/stdout with stdout in a file) */
    gn_file_use outs[2] = {{"-", NULL}, {d, "--log-json"}};
    gn_status st_outs = gn_check_outputs(NULL, 0, outs, 2);
    assert_int_equal(dup2(saved_out, STDOUT_FILENO), STDOUT_FILENO);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    gn_status st_in = check1("-", "-d", d, "--model");
    char msg_in[1024];
    snprintf(msg_in, sizeof msg_in, "%s", gn_last_error());
    assert_int_equal(dup2(saved_in, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    close(saved_out);
    close(saved_in);
    assert_int_equal(st_out, GN_EINVAL);
    assert_non_null(strstr(msg, "stdout"));
    assert_int_equal(st_outs, GN_OK);
    assert_int_equal(st_in, GN_EINVAL);
    assert_non_null(strstr(msg_in, "stdin"));
    assert_data_intact(d);
}

/* The library's own writers refuse to replace their inputs. */
static void test_library_writers_refuse(void **state) {
    (void)state;
    const char *d = tpath("lib.svm");
    write_data(d);
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    const char *paths[] = {d};
    assert_int_equal(gn_cache_build(&spec, paths, 1, d, NULL), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "cache"));
    assert_data_intact(d);

    gn_train_options o;
    gn_train_options_init(&o);
    o.passes = 1;
    o.threads = 1;
    gn_model *m = NULL;
    o.cache_path = d; /* a cache made from the data, over the data */
    assert_int_equal(gn_train(&o, &spec, paths, 1, NULL, NULL, &m, NULL), GN_EINVAL);
    assert_null(m);
    assert_data_intact(d);
    o.cache_path = NULL;
    o.checkpoint_path = d;
    o.checkpoint_examples = 1;
    assert_int_equal(gn_train(&o, &spec, paths, 1, NULL, NULL, &m, NULL), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "checkpoint"));
    assert_null(m);
    assert_data_intact(d);
    /* resuming from the checkpoint the run saves to is fine */
    o.checkpoint_path = tpath("run.ck");
    o.resume_path = NULL;
    assert_int_equal(gn_train(&o, &spec, paths, 1, NULL, NULL, &m, NULL), GN_OK);
    gn_model_free(m);
    m = NULL;
    o.resume_path = o.checkpoint_path;
    assert_int_equal(gn_train(&o, &spec, paths, 1, NULL, NULL, &m, NULL), GN_OK);
    gn_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_path_refused),
        cmocka_unit_test(test_other_spellings_and_links_refused),
        cmocka_unit_test(test_distinct_and_new_outputs_pass),
        cmocka_unit_test(test_two_outputs_one_file),
        cmocka_unit_test(test_stdout_and_stdin),
        cmocka_unit_test(test_library_writers_refuse),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
