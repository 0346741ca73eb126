/* test_label_runs.c: the sorted-label rule of io/label_runs.c. The expected number of runs is
 * 1 + (n - 1)(1 - sum p_k^2) per stream; a sorted input (in one stream or dealt to workers) is
 * flagged, random orders never are (400 of them, balanced and skewed), nor are inputs too small
 * to tell, with one class or with too many label values; merging workers and the MPI packing keep
 * the counts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hash/hash.h"
#include "io/label_runs.h"

static void feed(gn_label_runs *r, const uint64_t *ids, size_t n) {
    for (size_t i = 0; i < n; i++) gn__label_runs_add(r, ids[i]);
}

/* n labels, class 1 with probability p (else 0), in a random order from seed. */
static uint64_t *random_labels(size_t n, double p, uint64_t seed) {
    uint64_t *ids = malloc(n * sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < n; i++) ids[i] = (double)(gn__splitmix64(&seed) >> 11) * 0x1.0p-53 < p ? 11 : 22;
    return ids;
}

static int by_id(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_counts_and_expectation(void **state) {
    (void)state;
    gn_label_runs r;
    gn__label_runs_init(&r);
    const uint64_t ids[] = {1, 1, 2, 2, 2, 1, 3, 3};
    feed(&r, ids, 8);
    gn_label_runs_result res;
    gn__label_runs_judge(&r, &res);
    assert_int_equal(res.n, 8);
    assert_int_equal(res.runs, 4);
    assert_int_equal(res.segments, 1);
    assert_int_equal(res.classes, 3);
    /* shares 3/8, 3/8, 2/8: q = 1 - (9 + 9 + 4) / 64 = 42/64; E = 1 + 7 q */
    assert_true(fabs(res.expected_runs - (1.0 + 7.0 * 42.0 / 64.0)) < 1e-12);
    assert_true(fabs(res.mean_run - 2.0) < 1e-12);
    assert_false(res.applies); /* 7 pairs: far too few to tell */
    assert_false(res.sorted);
}

static void test_sorted_is_flagged(void **state) {
    (void)state;
    const size_t n = 3000;
    uint64_t *ids = random_labels(n, 0.23, 5);
    qsort(ids, n, sizeof *ids, by_id);
    gn_label_runs r;
    gn__label_runs_init(&r);
    feed(&r, ids, n);
    gn_label_runs_result res;
    gn__label_runs_judge(&r, &res);
    assert_int_equal(res.runs, 2);
    assert_true(res.applies);
    assert_true(res.sorted);
    char msg[512];
    gn__label_runs_message(&res, "use gannet train --shuffle", msg, sizeof msg);
    assert_non_null(strstr(msg, "labels come in long runs: 3000 examples in 2 runs"));
    assert_non_null(strstr(msg, "--shuffle"));
    /* blocks of 100 equal labels (a partly sorted export): still flagged */
    gn__label_runs_init(&r);
    for (size_t i = 0; i < n; i++) gn__label_runs_add(&r, (i / 100) % 4 == 0 ? 11 : 22);
    gn__label_runs_judge(&r, &res);
    assert_true(res.sorted);
    free(ids);
}

static void test_random_is_not_flagged(void **state) {
    (void)state;
    const double shares[] = {0.5, 0.23, 0.05};
    int applied = 0;
    for (size_t s = 0; s < 3; s++) {
        for (uint64_t seed = 0; seed < 400 / 3 + 1; seed++) {
            size_t n = 600 + (size_t)seed * 37;
            uint64_t *ids = random_labels(n, shares[s], seed * 7 + 1);
            gn_label_runs r;
            gn__label_runs_init(&r);
            feed(&r, ids, n);
            gn_label_runs_result res;
            gn__label_runs_judge(&r, &res);
            applied += res.applies;
            assert_false(res.sorted);
            free(ids);
        }
    }
    assert_true(applied > 300); /* most are large enough to judge */
}

static void test_no_verdict(void **state) {
    (void)state;
    gn_label_runs r;
    gn_label_runs_result res;
    /* one class */
    gn__label_runs_init(&r);
    for (int i = 0; i < 10000; i++) gn__label_runs_add(&r, 5);
    gn__label_runs_judge(&r, &res);
    assert_false(res.applies);
    assert_false(res.sorted);
    /* a rare class: E_changes = 2 (n-1) p (1-p) < 100 even though the sort is total */
    gn__label_runs_init(&r);
    for (int i = 0; i < 10000; i++) gn__label_runs_add(&r, i < 40 ? 1 : 2);
    gn__label_runs_judge(&r, &res);
    assert_false(res.applies);
    /* real-valued labels, sorted: more than GN_LABEL_RUNS_CLASSES values, no verdict */
    gn__label_runs_init(&r);
    for (int i = 0; i < 10000; i++) gn__label_runs_add(&r, (uint64_t)(i / 10));
    gn__label_runs_judge(&r, &res);
    assert_false(res.applies);
    assert_false(res.sorted);
    assert_true(res.expected_runs == 0);
    /* nothing at all */
    gn__label_runs_init(&r);
    gn__label_runs_judge(&r, &res);
    assert_false(res.applies);
}

/* Float labels as the trainer's batches hold them: -0 is 0, +1/-1 two classes. */
static void test_floats(void **state) {
    (void)state;
    float lab[2000];
    for (int i = 0; i < 2000; i++) lab[i] = i < 1000 ? -1.0f : 1.0f;
    gn_label_runs r;
    gn__label_runs_init(&r);
    gn__label_runs_add_floats(&r, lab, 2000);
    gn_label_runs_result res;
    gn__label_runs_judge(&r, &res);
    assert_int_equal(res.classes, 2);
    assert_int_equal(res.runs, 2);
    assert_true(res.sorted);
    const float z[2] = {0.0f, -0.0f};
    gn__label_runs_init(&r);
    gn__label_runs_add_floats(&r, z, 2);
    gn__label_runs_judge(&r, &res);
    assert_int_equal(res.runs, 1);
    assert_int_equal(res.classes, 1);
}

/* Workers: each reads a contiguous part of a sorted file (so each sees one class); their runs
 * add up per segment, and the rule uses the shares of all of them. A random file dealt to four
 * workers is not flagged. */
static void test_workers_and_mpi(void **state) {
    (void)state;
    const size_t n = 4000;
    uint64_t *ids = random_labels(n, 0.4, 9);
    qsort(ids, n, sizeof *ids, by_id);
    gn_label_runs w[4], all;
    gn__label_runs_init(&all);
    for (int t = 0; t < 4; t++) {
        gn__label_runs_init(&w[t]);
        feed(&w[t], ids + (size_t)t * n / 4, n / 4);
        gn__label_runs_merge(&all, &w[t]);
    }
    gn_label_runs_result res;
    gn__label_runs_judge(&all, &res);
    assert_int_equal(res.n, n);
    assert_int_equal(res.segments, 4);
    assert_int_equal(res.classes, 2);
    assert_true(res.runs <= 5);
    assert_true(res.sorted);
    /* packed for an MPI sum: two "ranks" holding halves */
    gn_label_runs a, b, back;
    gn__label_runs_init(&a);
    gn__label_runs_init(&b);
    gn__label_runs_merge(&a, &w[0]);
    gn__label_runs_merge(&a, &w[1]);
    gn__label_runs_merge(&b, &w[2]);
    gn__label_runs_merge(&b, &w[3]);
    uint64_t pa[GN_LABEL_RUNS_PACKED], pb[GN_LABEL_RUNS_PACKED];
    gn__label_runs_pack2(&a, 11, 22, pa);
    gn__label_runs_pack2(&b, 11, 22, pb);
    for (int k = 0; k < GN_LABEL_RUNS_PACKED; k++) pa[k] += pb[k];
    gn__label_runs_unpack2(&back, 11, 22, pa);
    gn_label_runs_result res2;
    gn__label_runs_judge(&back, &res2);
    assert_int_equal(res2.n, res.n);
    assert_int_equal(res2.runs, res.runs);
    assert_int_equal(res2.segments, res.segments);
    assert_true(fabs(res2.expected_runs - res.expected_runs) < 1e-9);
    assert_true(res2.sorted);
    /* a label that is neither id: no verdict after unpacking */
    gn__label_runs_add(&a, 33);
    gn__label_runs_pack2(&a, 11, 22, pa);
    gn__label_runs_unpack2(&back, 11, 22, pa);
    gn__label_runs_judge(&back, &res2);
    assert_false(res2.applies);
    free(ids);
    /* random order, four workers */
    ids = random_labels(n, 0.4, 10);
    gn__label_runs_init(&all);
    for (int t = 0; t < 4; t++) {
        gn__label_runs_init(&w[t]);
        feed(&w[t], ids + (size_t)t * n / 4, n / 4);
        gn__label_runs_merge(&all, &w[t]);
    }
    gn__label_runs_judge(&all, &res);
    assert_true(res.applies);
    assert_false(res.sorted);
    free(ids);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_expectation),
        cmocka_unit_test(test_sorted_is_flagged),
        cmocka_unit_test(test_random_is_not_flagged),
        cmocka_unit_test(test_no_verdict),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_workers_and_mpi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
