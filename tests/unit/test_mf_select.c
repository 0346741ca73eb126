/* test_mf_select.c: select/mf_select.c, model selection for kind mf: the forward-chaining time
 * blocks (sizes within one of each other, non-decreasing in time, ties in row order), the
 * ranking metric names (ndcg@K and friends), their JSON keys, and gn_cv / gn_tune on a small
 * generated rating file (finite metrics, the best configuration is the best mean, time folds
 * need their column, kind mf refuses classification metrics; halving drops the worst
 * configuration, trains fewer epochs and is refused when every configuration has 1 epoch). */
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
#include "select/select_internal.h"

static void test_time_blocks(void **state) {
    (void)state;
    enum { N = 103, K = 4 };
    double time[N];
    uint32_t block[N];
    /* times out of file order, with runs of ties */
    for (size_t e = 0; e < N; e++) time[e] = (double)((e * 37) % 17);
    assert_int_equal(gn__select_time_blocks(time, N, K, block), GN_OK);
    size_t size[K + 1] = {0};
    for (size_t e = 0; e < N; e++) {
        assert_true(block[e] <= K);
        size[block[e]]++;
    }
    for (int b = 0; b <= K; b++) assert_true(size[b] == N / (K + 1) || size[b] == N / (K + 1) + 1);
    for (size_t a = 0; a < N; a++)
        for (size_t b = 0; b < N; b++) {
            if (time[a] < time[b]) assert_true(block[a] <= block[b]); /* earlier rows never in a later block */
            if (time[a] == time[b] && a < b) assert_true(block[a] <= block[b]); /* ties: file order */
        }
    /* k + 1 rows: one per block, in time order */
    double t3[3] = {30, 10, 20};
    uint32_t b3[3];
    assert_int_equal(gn__select_time_blocks(t3, 3, 2, b3), GN_OK);
    assert_int_equal(b3[0], 2);
    assert_int_equal(b3[1], 0);
    assert_int_equal(b3[2], 1);
}

static void test_metric_names(void **state) {
    (void)state;
    uint32_t k = 99;
    assert_int_equal(gn_select_metric_parse_at("ndcg@10", &k), GN_METRIC_NDCG);
    assert_int_equal(k, 10);
    assert_int_equal(gn_select_metric_parse_at("precision@5", &k), GN_METRIC_PRECISION_AT);
    assert_int_equal(k, 5);
    assert_int_equal(gn_select_metric_parse_at("recall@20", &k), GN_METRIC_RECALL_AT);
    assert_int_equal(gn_select_metric_parse_at("map@1", &k), GN_METRIC_MAP_AT);
    assert_int_equal(k, 1);
    assert_int_equal(gn_select_metric_parse_at("ndcg", &k), GN_METRIC_NDCG);
    assert_int_equal(k, 0);
    assert_int_equal(gn_select_metric_parse_at("rmse", &k), GN_METRIC_RMSE);
    assert_int_equal(k, 0);
    assert_int_equal(gn_select_metric_parse("ndcg@3"), GN_METRIC_NDCG);
    const char *bad[] = {"ndcg@0", "ndcg@", "ndcg@x", "ndcg@100001", "ndcg@-1", "nd@10", "auc@10", "ndcgx@10", "@10"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (gn_select_metric_parse_at(bad[i], &k) != -1) fail_msg("'%s' parsed", bad[i]);
    assert_true(gn_select_metric_higher_better(GN_METRIC_NDCG));
    assert_true(gn_select_metric_higher_better(GN_METRIC_MAP_AT));
    gn_metrics m;
    memset(&m, 0, sizeof m);
    m.rmse = 1;
    assert_true(isnan(gn_select_metric_value(GN_METRIC_NDCG, &m))); /* not a ranking fold */
    m.rank_k = 7;
    m.ndcg_at_k = 0.25;
    m.recall_at_k = 0.5;
    assert_true(gn_select_metric_value(GN_METRIC_NDCG, &m) == 0.25);
    assert_true(gn_select_metric_value(GN_METRIC_RECALL_AT, &m) == 0.5);
    char buf[2048];
    gn_metrics_to_json(&m, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"ndcg@7\":0.25"));
    assert_non_null(strstr(buf, "\"recall@7\":0.5"));
    assert_non_null(strstr(buf, "\"k\":7"));
    m.rank_k = 0;
    gn_metrics_to_json(&m, buf, sizeof buf);
    assert_null(strstr(buf, "ndcg"));
}

/* 40 users in 2 taste groups x 20 items, ratings 5 inside the group, 1 outside; times ascending. */
static char *write_ratings(void) {
    char *path = strdup("/tmp/gn_test_mf_select_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "user,item,rating,ts\n");
    unsigned x = 1, t = 0;
    for (int u = 0; u < 40; u++)
        for (int i = 0; i < 20; i++) {
            x = x * 1103515245u + 12345u;
            if ((x >> 16) % 100 < 50) continue;
            fprintf(f, "u%d,i%d,%d,%u\n", u, i, (i / 10 == u % 2) ? 5 : 1, t++);
        }
    fclose(f);
    return path;
}

static void test_cv_tune(void **state) {
    (void)state;
    char *path = write_ratings();
    const char *paths[] = {path};
    gn_select_options so;
    gn_select_options_init(&so);
    so.k = 3;
    so.threads = 2;
    gn_select_config cfg[3];
    for (int i = 0; i < 3; i++) {
        gn_train_options_init(&cfg[i].train);
        gn_data_spec_init(&cfg[i].spec);
        cfg[i].train.kind = GN_KIND_MF;
        cfg[i].train.mf_user = "user";
        cfg[i].train.mf_item = "item";
        cfg[i].train.mf_rating = "rating";
        cfg[i].train.fm_rank = 2;
    }
    cfg[0].train.l2 = 0.01;
    cfg[1].train.l2 = 1.0;
    cfg[2].train.l2 = 30.0; /* far too strong: the worst */
    gn_select_result res[3];
    int st = gn_cv(&so, &cfg[0].train, &cfg[0].spec, paths, 1, &res[0]);
    if (st != GN_OK) fail_msg("gn_cv: %s", gn_last_error());
    assert_int_equal(res[0].k, 3);
    assert_true(isfinite(res[0].mean.rmse) && res[0].mean.rmse < 1.0);
    assert_int_equal(res[0].mean.rank_k, 10);
    assert_true(isfinite(res[0].mean.ndcg_at_k) && res[0].mean.ndcg_at_k > 0);
    uint64_t held = 0;
    for (uint32_t f = 0; f < 3; f++) held += res[0].folds[f].examples;
    assert_true(held > 300); /* every row held out once (about half of 800 kept) */
    size_t best = 9;
    so.metric = GN_METRIC_NDCG;
    so.rank_k = 5;
    st = gn_tune(&so, cfg, 3, paths, 1, res, &best, NULL);
    if (st != GN_OK) fail_msg("gn_tune: %s", gn_last_error());
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(res[i].mean.rank_k, 5);
        assert_true(res[best].mean.ndcg_at_k >= res[i].mean.ndcg_at_k);
    }
    assert_true(best != 2);
    /* time folds need their column; then each test fold is one of the 4 blocks */
    so.split = GN_SELECT_SPLIT_TIME;
    assert_int_equal(gn_cv(&so, &cfg[0].train, &cfg[0].spec, paths, 1, &res[0]), GN_EINVAL);
    so.time_col = "ts";
    st = gn_cv(&so, &cfg[0].train, &cfg[0].spec, paths, 1, &res[0]);
    if (st != GN_OK) fail_msg("gn_cv time: %s", gn_last_error());
    for (uint32_t f = 1; f < 3; f++) {
        const int64_t d = (int64_t)res[0].folds[f].examples - (int64_t)res[0].folds[0].examples;
        assert_true(d >= -1 && d <= 1);
    }
    so.time_col = "rating_nope";
    assert_int_not_equal(gn_cv(&so, &cfg[0].train, &cfg[0].spec, paths, 1, &res[0]), GN_OK);
    assert_non_null(strstr(gn_last_error(), "rating_nope"));
    /* mf is scored by rating and ranking metrics */
    so.split = GN_SELECT_SPLIT_HASH;
    so.metric = GN_METRIC_AUC;
    assert_int_equal(gn_tune(&so, cfg, 3, paths, 1, res, &best, NULL), GN_EINVAL);
    /* halving (8 epochs: budgets 2, 4, 8): l2 = 30 is dropped after 2 epochs, the others go on */
    so.metric = GN_METRIC_RMSE;
    so.halving = 1;
    for (int i = 0; i < 3; i++) cfg[i].train.passes = 8;
    st = gn_tune(&so, cfg, 3, paths, 1, res, &best, NULL);
    if (st != GN_OK) fail_msg("gn_tune --halving: %s", gn_last_error());
    assert_int_equal(res[2].dropped, 1);
    assert_int_equal(res[2].passes, 2);
    assert_int_equal(res[best].dropped, 0);
    assert_int_equal(res[best].passes, 8);
    assert_true(best != 2);
    for (int i = 0; i < 3; i++) cfg[i].train.passes = 1; /* nothing to cut short */
    assert_int_equal(gn_tune(&so, cfg, 3, paths, 1, res, &best, NULL), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "--halving"));
    unlink(path);
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_blocks),
        cmocka_unit_test(test_metric_names),
        cmocka_unit_test(test_cv_tune),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
