/* test_select.c: select/space.c (grid and random spaces, their errors) and the fold rule of
 * select/runner.c (every example in exactly one fold, the same folds the learner holds out), and
 * gn_cv / gn_tune through the library on a small generated file. */
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
#include "io/source.h"
#include "learn/learner.h"
#include "select/select_internal.h"
#include "util/cores.h"

static gn_search_space *grid_ok(const char *text) {
    gn_search_space *s = NULL;
    int st = gn_search_parse_grid(text, &s);
    if (st != GN_OK) fail_msg("grid '%s': %s", text, gn_last_error());
    return s;
}

static void test_grid_cross_product(void **state) {
    (void)state;
    gn_search_space *s = grid_ok(" l2=1e-6, 1e-5 ;--lr=0.05,0.1,0.5; bits=18;");
    assert_int_equal(gn_search_space_params(s), 3);
    assert_int_equal(gn_search_space_configs(s), 6);
    assert_string_equal(gn_search_space_name(s, 0), "l2");
    assert_string_equal(gn_search_space_name(s, 1), "lr");
    /* the last parameter varies fastest, like nested loops in the written order */
    assert_string_equal(gn_search_space_value(s, 0, 0), "1e-6");
    assert_string_equal(gn_search_space_value(s, 0, 1), "0.05");
    assert_string_equal(gn_search_space_value(s, 1, 1), "0.1");
    assert_string_equal(gn_search_space_value(s, 3, 0), "1e-5");
    assert_string_equal(gn_search_space_value(s, 5, 1), "0.5");
    assert_string_equal(gn_search_space_value(s, 5, 2), "18");
    /* every combination appears exactly once */
    for (size_t i = 0; i < 6; i++)
        for (size_t j = i + 1; j < 6; j++)
            assert_false(!strcmp(gn_search_space_value(s, i, 0), gn_search_space_value(s, j, 0)) &&
                         !strcmp(gn_search_space_value(s, i, 1), gn_search_space_value(s, j, 1)));
    assert_null(gn_search_space_value(s, 6, 0));
    gn_search_space_free(s);
    s = grid_ok("early_stop=1,2");
    assert_string_equal(gn_search_space_name(s, 0), "early-stop");
    gn_search_space_free(s);
    gn_search_space_free(NULL);
}

static void expect_grid_error(const char *text, const char *needle) {
    gn_search_space *s = NULL;
    assert_int_equal(gn_search_parse_grid(text, &s), GN_EINVAL);
    assert_null(s);
    if (!strstr(gn_last_error(), needle)) fail_msg("grid '%s': error '%s' lacks '%s'", text, gn_last_error(), needle);
}

static void test_grid_errors(void **state) {
    (void)state;
    expect_grid_error("l2=", "empty list");
    expect_grid_error("l2=   ;lr=1", "empty list");
    expect_grid_error("l2=1,,2", "empty value");
    expect_grid_error("l2=1,", "empty value");
    expect_grid_error("l2", "name=values");
    expect_grid_error("=1,2", "no flag name");
    expect_grid_error("l 2=1", "not a flag name");
    expect_grid_error("l2=1;l2=2", "second time");
    expect_grid_error("l2=1,1", "twice");
    expect_grid_error("", "no parameters");
    expect_grid_error(" ; ; ", "no parameters");
    /* 1000 x 1000 > the configuration limit */
    char *big = malloc(20000);
    assert_non_null(big);
    char *p = big;
    for (int v = 0; v < 2; v++) {
        p += sprintf(p, "%s=", v ? ";b" : "a");
        for (int i = 0; i < 1000; i++) p += sprintf(p, "%s%d", i ? "," : "", i);
    }
    expect_grid_error(big, "configurations");
    free(big);
}

static void test_random_space(void **state) {
    (void)state;
    gn_search_space *s = NULL;
    const char *text = "l2=log(1e-8,1e-2);lr=uniform(0.01,1);passes=int(1,5);optimizer=choice(ftrl,sgd);bits=16,18";
    int st = gn_search_parse_random(text, 200, 3, &s);
    if (st != GN_OK) fail_msg("%s", gn_last_error());
    assert_int_equal(gn_search_space_configs(s), 200);
    int seen_pass[6] = {0}, seen_opt[2] = {0};
    for (size_t i = 0; i < 200; i++) {
        double l2 = atof(gn_search_space_value(s, i, 0)), lr = atof(gn_search_space_value(s, i, 1));
        assert_true(l2 >= 1e-8 * 0.999999 && l2 <= 1e-2 * 1.000001);
        assert_true(lr >= 0.01 && lr <= 1.0);
        int passes = atoi(gn_search_space_value(s, i, 2));
        assert_true(passes >= 1 && passes <= 5);
        seen_pass[passes]++;
        const char *opt = gn_search_space_value(s, i, 3);
        assert_true(!strcmp(opt, "ftrl") || !strcmp(opt, "sgd"));
        seen_opt[!strcmp(opt, "sgd")]++;
    }
    for (int p = 1; p <= 5; p++) assert_true(seen_pass[p] > 10);
    assert_true(seen_opt[0] > 50 && seen_opt[1] > 50);
    /* log-uniform: about half the draws below the geometric middle 1e-5 */
    int below = 0;
    for (size_t i = 0; i < 200; i++) below += atof(gn_search_space_value(s, i, 0)) < 1e-5;
    assert_true(below > 60 && below < 140);
    /* the same seed draws the same configurations; another seed others */
    gn_search_space *s2 = NULL, *s3 = NULL;
    assert_int_equal(gn_search_parse_random(text, 200, 3, &s2), GN_OK);
    assert_int_equal(gn_search_parse_random(text, 200, 4, &s3), GN_OK);
    int differ = 0;
    for (size_t i = 0; i < 200; i++) {
        assert_string_equal(gn_search_space_value(s, i, 0), gn_search_space_value(s2, i, 0));
        differ += strcmp(gn_search_space_value(s, i, 0), gn_search_space_value(s3, i, 0)) != 0;
    }
    assert_true(differ > 150);
    gn_search_space_free(s);
    gn_search_space_free(s2);
    gn_search_space_free(s3);
}

static void expect_random_error(const char *text, uint32_t n, const char *needle) {
    gn_search_space *s = NULL;
    assert_int_equal(gn_search_parse_random(text, n, 0, &s), GN_EINVAL);
    assert_null(s);
    if (!strstr(gn_last_error(), needle)) fail_msg("space '%s': error '%s' lacks '%s'", text, gn_last_error(), needle);
}

static void test_random_errors(void **state) {
    (void)state;
    expect_random_error("l2=log(0,1)", 5, "0 < a < b");
    expect_random_error("l2=log(1,0.5)", 5, "0 < a < b");
    expect_random_error("lr=uniform(2,1)", 5, "a < b");
    expect_random_error("passes=int(1.5,3)", 5, "integers");
    expect_random_error("passes=int(5,3)", 5, "integers");
    expect_random_error("l2=gauss(0,1)", 5, "unknown distribution");
    expect_random_error("l2=log(1e-3)", 5, "two bounds");
    expect_random_error("l2=log(1e-3,abc)", 5, "not a number");
    expect_random_error("l2=log(1e-3,1", 5, "missing ')'");
    expect_random_error("optimizer=choice()", 5, "empty list");
    expect_random_error("l2=log(1e-3,1)", 0, "number of configurations");
}

/* Writes n LIBSVM lines with varying lengths (so keys are irregular byte offsets). */
static char *write_data(size_t n) {
    char *path = malloc(32);
    assert_non_null(path);
    strcpy(path, "/tmp/gn_test_selectXXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    uint64_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int y = (x >> 33) % 3 == 0 ? 1 : -1;
        fprintf(f, "%d 1:%.3f %u:1", y, (double)((x >> 20) % 1000) / 1000.0, (unsigned)(2 + (x >> 40) % 50));
        if (y > 0) fprintf(f, " 60:1");
        fputc('\n', f);
    }
    fclose(f);
    return path;
}

static void test_folds_cover_once(void **state) {
    (void)state;
    const size_t n = 5000;
    const uint32_t k = 7;
    const uint64_t seed = 99;
    char *path = write_data(n);
    const char *paths[1] = {path};
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    gn_train_options opts;
    gn_train_options_init(&opts);
    gn_source *src = NULL;
    assert_int_equal(gn__source_open(&spec, NULL, paths, 1, &src), GN_OK);
    gn_learner *ls[7];
    gn_learn_stats stats[7];
    memset(stats, 0, sizeof stats);
    for (uint32_t f = 0; f < k; f++) {
        assert_int_equal(gn__learner_new(&opts, gn__source_spec(src), &ls[f]), GN_OK);
        gn__learner_set_heldout(ls[f], k, f, f + 1, seed);
    }
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 256, 4096), GN_OK);
    size_t per_fold[7] = {0}, total = 0;
    int st;
    while ((st = gn__source_next(src, &b, 256)) == GN_OK) {
        for (size_t e = 0; e < b.n; e++) {
            uint32_t f = gn__split_fold(b.key[e], seed, k);
            assert_true(f < k);
            per_fold[f]++;
            total++;
        }
        for (uint32_t f = 0; f < k; f++) {
            gn_learn_stats s;
            assert_int_equal(gn__learner_learn_batch(ls[f], &b), GN_OK);
            gn__learner_take_stats(ls[f], &s);
            stats[f].heldout_examples += s.heldout_examples;
            stats[f].train_examples += s.train_examples;
        }
    }
    assert_int_equal(st, GN_EOF);
    assert_int_equal(total, n);
    size_t sum = 0;
    for (uint32_t f = 0; f < k; f++) {
        /* the learner holds out exactly the examples of its fold and learns from all others */
        assert_int_equal(stats[f].heldout_examples, per_fold[f]);
        assert_int_equal(stats[f].train_examples, n - per_fold[f]);
        /* roughly balanced: n/k = 714 */
        assert_true(per_fold[f] > 600 && per_fold[f] < 830);
        sum += per_fold[f];
        gn__learner_free(ls[f]);
    }
    assert_int_equal(sum, n);

    /* gn_cv reports the same fold sizes */
    gn_select_options so;
    gn_select_options_init(&so);
    so.k = k;
    so.seed = seed;
    so.threads = 3;
    so.batch_size = 300; /* batches that do not divide the data */
    gn_select_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    opts.seed = seed;
    st = gn_cv(&so, &opts, &spec, paths, 1, r);
    if (st != GN_OK) fail_msg("gn_cv: %s", gn_last_error());
    assert_int_equal(r->k, k);
    for (uint32_t f = 0; f < k; f++) assert_int_equal(r->folds[f].examples, per_fold[f]);
    assert_true(r->mean.auc > 0.5 && r->mean.auc <= 1.0);
    assert_true(r->std.auc >= 0);
    /* without a cache (every pass parses again) the metrics are identical */
    gn_select_result *r2 = calloc(1, sizeof *r2);
    assert_non_null(r2);
    so.cache_bytes = 0;
    so.threads = 1;
    assert_int_equal(gn_cv(&so, &opts, &spec, paths, 1, r2), GN_OK);
    for (uint32_t f = 0; f < k; f++) {
        assert_true(r->folds[f].logloss == r2->folds[f].logloss);
        assert_true(r->folds[f].auc == r2->folds[f].auc);
    }
    free(r);
    free(r2);
    gn__batch_free(&b);
    gn__source_free(src);
    unlink(path);
    free(path);
}

/* --threads 0 means all cores, or under mpirun this rank's share of the machine's cores. */
static void test_threads_default(void **state) {
    (void)state;
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsetenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    unsetenv("MPI_LOCALNRANKS");
    assert_int_equal(gn__threads_or_cores(0), cores);
    assert_int_equal(gn__threads_or_cores(3), 3);
    char v[32];
    snprintf(v, sizeof v, "%ld", cores);
    setenv("OMPI_COMM_WORLD_LOCAL_SIZE", v, 1);
    assert_int_equal(gn__threads_or_cores(0), 1);
    assert_int_equal(gn__threads_or_cores(3), 3); /* an explicit count is kept */
    snprintf(v, sizeof v, "%ld", 4 * cores);    /* more ranks than cores: still one thread */
    setenv("OMPI_COMM_WORLD_LOCAL_SIZE", v, 1);
    assert_int_equal(gn__threads_or_cores(0), 1);
    setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "two", 1); /* not a number: ignored */
    assert_int_equal(gn__threads_or_cores(0), cores);
    unsetenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    snprintf(v, sizeof v, "%ld", cores);
    setenv("MPI_LOCALNRANKS", v, 1); /* MPICH's name */
    assert_int_equal(gn__threads_or_cores(0), 1);
    unsetenv("MPI_LOCALNRANKS");
}

static void test_tune_options(void **state) {
    (void)state;
    char *path = write_data(400);
    const char *paths[1] = {path};
    gn_select_options so;
    gn_select_options_init(&so);
    so.k = 3;
    gn_select_config cfg[2];
    for (int i = 0; i < 2; i++) {
        gn_data_spec_init(&cfg[i].spec);
        gn_train_options_init(&cfg[i].train);
        cfg[i].train.threads = 1; /* the refit: one thread (Hogwild races are by design, not ours) */
    }
    cfg[1].spec.bits = 12;
    cfg[1].train.optimizer = GN_OPT_SGD;
    /* memory: 3 folds x (2^18 x 4 floats (ftrl) + 2^12 x 2 floats (normalized sgd: w, s)) */
    assert_int_equal(gn_select_memory(cfg, 2, 3), 3ull * (((1ull << 18) * 16) + (1ull << 12) * 8));
    gn_select_result res[2];
    size_t best = 9;
    so.max_memory = 1 << 20;
    assert_int_equal(gn_tune(&so, cfg, 2, paths, 1, res, &best, NULL), GN_ELIMIT);
    assert_non_null(strstr(gn_last_error(), "--max-memory"));
    so.max_memory = 0;
    so.k = 1;
    assert_int_equal(gn_tune(&so, cfg, 2, paths, 1, res, &best, NULL), GN_EINVAL);
    so.k = 3;
    cfg[0].train.holdout = 0.1;
    assert_int_equal(gn_tune(&so, cfg, 2, paths, 1, res, &best, NULL), GN_EINVAL);
    cfg[0].train.holdout = 0;
    gn_model *m = NULL;
    int st = gn_tune(&so, cfg, 2, paths, 1, res, &best, &m);
    if (st != GN_OK) fail_msg("gn_tune: %s", gn_last_error());
    assert_true(best < 2);
    assert_non_null(m);
    assert_int_equal(gn_model_get_bits(m), cfg[best].spec.bits);
    gn_model_free(m);
    assert_int_equal(gn_select_metric_parse("logloss"), GN_METRIC_LOGLOSS);
    assert_int_equal(gn_select_metric_parse("nope"), -1);
    assert_false(gn_select_metric_higher_better(GN_METRIC_LOGLOSS));
    assert_true(gn_select_metric_higher_better(GN_METRIC_AUC));
    unlink(path);
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_cross_product), cmocka_unit_test(test_grid_errors),
        cmocka_unit_test(test_random_space),       cmocka_unit_test(test_random_errors),
        cmocka_unit_test(test_folds_cover_once),   cmocka_unit_test(test_tune_options),
        cmocka_unit_test(test_threads_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
