/* test_hll.c: the distinct counter of util/hll.c: exact up to GN_HLL_EXACT_MAX items (whatever
 * the repeats), then a HyperLogLog estimate within 2.5% (about 3 standard errors at 2^14
 * registers) from 10^2 to 10^6 distinct items, no drift over many seeds, and merges (exact with
 * exact, exact with sketch, sketch with sketch) that count the union. */
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
#include "util/hll.h"

/* The hash of item i of stream `seed` (different streams share no item unless seed is equal). */
static uint64_t item(uint64_t seed, uint64_t i) { return gn__mix64(i * 0x9E3779B97F4A7C15ull + seed * 0xD1B54A32D192ED03ull + 1); }

static double rel_err(uint64_t est, uint64_t truth) { return fabs((double)est - (double)truth) / (double)truth; }

static void test_exact_while_small(void **state) {
    (void)state;
    gn_hll h;
    gn__hll_init(&h);
    int exact = 0;
    assert_int_equal(gn__hll_count(&h, &exact), 0);
    assert_true(exact);
    /* every item three times, interleaved */
    for (int rep = 0; rep < 3; rep++)
        for (uint64_t i = 0; i < GN_HLL_EXACT_MAX; i++) assert_int_equal(gn__hll_add(&h, item(1, i)), 0);
    assert_int_equal(gn__hll_count(&h, &exact), GN_HLL_EXACT_MAX);
    assert_true(exact);
    /* the hash 0 is an item like any other */
    assert_int_equal(gn__hll_add(&h, 0), 0);
    assert_int_equal(gn__hll_add(&h, 0), 0);
    assert_int_equal(gn__hll_count(&h, &exact), GN_HLL_EXACT_MAX + 1);
    assert_true(exact);
    /* one more item: a sketch, still close */
    assert_int_equal(gn__hll_add(&h, item(1, GN_HLL_EXACT_MAX)), 0);
    uint64_t c = gn__hll_count(&h, &exact);
    assert_false(exact);
    assert_true(rel_err(c, GN_HLL_EXACT_MAX + 2) < 0.02);
    assert_true(gn__hll_bytes(&h) == ((size_t)1 << GN_HLL_P));
    gn__hll_free(&h);
    gn__hll_free(&h); /* twice is harmless */
}

static void test_error_bound(void **state) {
    (void)state;
    const uint64_t sizes[] = {100, 1000, 3000, 10000, 30000, 100000, 300000, 1000000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        gn_hll h;
        gn__hll_init(&h);
        for (uint64_t i = 0; i < sizes[k]; i++) assert_int_equal(gn__hll_add(&h, item(7 + k, i)), 0);
        /* repeats change nothing */
        for (uint64_t i = 0; i < sizes[k] / 2; i++) assert_int_equal(gn__hll_add(&h, item(7 + k, i)), 0);
        int exact;
        uint64_t c = gn__hll_count(&h, &exact);
        double e = rel_err(c, sizes[k]);
        printf("  %7llu distinct: estimate %llu (%s), error %.3f%%\n", (unsigned long long)sizes[k],
               (unsigned long long)c, exact ? "exact" : "sketch", 100 * e);
        if (sizes[k] <= GN_HLL_EXACT_MAX) {
            assert_true(exact);
            assert_int_equal(c, sizes[k]);
        } else {
            assert_false(exact);
            assert_true(e < 0.025);
        }
        gn__hll_free(&h);
    }
}

/* Over many streams the estimate is unbiased (mean error well under the standard error) and its
 * spread is the theory's 1.04 / 2^(P/2). */
static void test_no_bias(void **state) {
    (void)state;
    const int runs = 40;
    const uint64_t n = 20000; /* inside the range where plain HyperLogLog needs bias tables */
    double sum = 0, sum2 = 0;
    for (int r = 0; r < runs; r++) {
        gn_hll h;
        gn__hll_init(&h);
        for (uint64_t i = 0; i < n; i++) gn__hll_add(&h, item(1000 + (uint64_t)r, i));
        double e = ((double)gn__hll_count(&h, NULL) - (double)n) / (double)n;
        sum += e;
        sum2 += e * e;
        gn__hll_free(&h);
    }
    double mean = sum / runs, sd = sqrt(sum2 / runs - mean * mean);
    double se = 1.04 / sqrt((double)(1u << GN_HLL_P));
    printf("  mean error %.4f%%, sd %.4f%% (theory %.4f%%)\n", 100 * mean, 100 * sd, 100 * se);
    assert_true(fabs(mean) < 3 * se / sqrt((double)runs) + 0.001);
    assert_true(sd < 1.6 * se);
}

static void test_merge(void **state) {
    (void)state;
    /* exact + exact, still small: exact union */
    gn_hll a, b;
    gn__hll_init(&a);
    gn__hll_init(&b);
    for (uint64_t i = 0; i < 300; i++) gn__hll_add(&a, item(3, i));
    for (uint64_t i = 200; i < 600; i++) gn__hll_add(&b, item(3, i));
    assert_int_equal(gn__hll_merge(&a, &b), 0);
    int exact;
    assert_int_equal(gn__hll_count(&a, &exact), 600);
    assert_true(exact);
    /* exact + exact past the limit: a sketch of the union */
    for (uint64_t i = 600; i < 1000; i++) gn__hll_add(&b, item(3, i));
    assert_int_equal(gn__hll_merge(&a, &b), 0);
    assert_int_equal(gn__hll_count(&a, &exact), 1000);
    gn_hll c;
    gn__hll_init(&c);
    for (uint64_t i = 900; i < 1500; i++) gn__hll_add(&c, item(3, i));
    assert_int_equal(gn__hll_merge(&a, &c), 0);
    uint64_t u = gn__hll_count(&a, &exact);
    assert_false(exact);
    assert_true(rel_err(u, 1500) < 0.025);
    gn__hll_free(&a);
    gn__hll_free(&b);
    gn__hll_free(&c);
    /* sketch + sketch and sketch into exact: 200k and 300k with 100k in common: 400k */
    gn__hll_init(&a);
    gn__hll_init(&b);
    gn__hll_init(&c);
    for (uint64_t i = 0; i < 200000; i++) gn__hll_add(&a, item(4, i));
    for (uint64_t i = 100000; i < 400000; i++) gn__hll_add(&b, item(4, i));
    for (uint64_t i = 0; i < 10; i++) gn__hll_add(&c, item(5, i));
    assert_int_equal(gn__hll_merge(&a, &b), 0);
    assert_true(rel_err(gn__hll_count(&a, NULL), 400000) < 0.025);
    assert_int_equal(gn__hll_merge(&c, &a), 0); /* an exact counter takes a sketch */
    assert_true(rel_err(gn__hll_count(&c, &exact), 400010) < 0.025);
    assert_false(exact);
    /* merging a counter with itself changes nothing */
    uint64_t before = gn__hll_count(&a, NULL);
    assert_int_equal(gn__hll_merge(&a, &a), 0);
    assert_int_equal(gn__hll_count(&a, NULL), before);
    gn__hll_free(&a);
    gn__hll_free(&b);
    gn__hll_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_while_small),
        cmocka_unit_test(test_error_bound),
        cmocka_unit_test(test_no_bias),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
