/* test_topk.c: the Space-Saving top-k of util/topk.c. Exact counts while the distinct items fit;
 * on skewed (Zipf) data with far more distinct items than counters, the heavy items are held with
 * counts exact or within a small bound and in the right order, and skewed data whose distinct
 * items fit is counted exactly; on any stream every held count is an upper bound at
 * most its error above the truth, every item more frequent than total/capacity is held, and an
 * item is never held twice (the id index survives heavy churn); texts are cut, ties ordered;
 * merged summaries are exact when both are, and keep the guarantees when not. */
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
#include "util/topk.h"

static uint64_t id_of(uint64_t i) { return gn__mix64(i + 12345); }

static void add_item(gn_topk *t, uint64_t i) {
    char txt[32];
    int n = snprintf(txt, sizeof txt, "item%llu", (unsigned long long)i);
    gn__topk_add(t, id_of(i), txt, (size_t)n);
}

static gn_topk_item *items_of(const gn_topk *t, size_t *n) {
    gn_topk_item *it = malloc((gn__topk_size(t) + 1) * sizeof *it);
    assert_non_null(it);
    *n = gn__topk_items(t, it);
    assert_int_equal(*n, gn__topk_size(t));
    return it;
}

/* The index of item id among 0..nitems-1 (by search: ids are hashes). */
static uint64_t item_index(uint64_t id, uint64_t nitems) {
    for (uint64_t i = 0; i < nitems; i++)
        if (id_of(i) == id) return i;
    fail_msg("unknown id");
    return 0;
}

static void test_exact_when_small(void **state) {
    (void)state;
    gn_topk *t;
    assert_int_equal(gn__topk_new(16, 8, &t), 0);
    /* item i occurs i + 1 times, 16 items, in a scrambled order */
    uint64_t truth[16] = {0};
    uint64_t rng = 42;
    for (int left = 16 * 17 / 2; left > 0;) {
        uint64_t i = gn__splitmix64(&rng) % 16;
        if (truth[i] == i + 1) continue;
        truth[i]++;
        add_item(t, i);
        left--;
    }
    assert_int_equal(gn__topk_total(t), 136);
    size_t n;
    gn_topk_item *it = items_of(t, &n);
    assert_int_equal(n, 16);
    for (size_t k = 0; k < n; k++) {
        uint64_t i = item_index(it[k].id, 16);
        assert_int_equal(i, 15 - k); /* by decreasing count */
        assert_int_equal(it[k].count, truth[i]);
        assert_int_equal(it[k].error, 0);
    }
    /* texts are cut to 8 bytes and say so */
    assert_int_equal(it[0].text_len, 6);
    assert_memory_equal(it[0].text, "item15", 6);
    assert_false(it[0].text_cut);
    free(it);
    gn__topk_free(t);

    assert_int_equal(gn__topk_new(4, 4, &t), 0);
    gn__topk_add(t, 1, "abcdefgh", 8);
    gn__topk_add(t, 2, "b", 1);
    gn__topk_add(t, 3, "a", 1);
    it = items_of(t, &n);
    assert_int_equal(n, 3);
    /* equal counts: by text */
    assert_memory_equal(it[0].text, "a", 1);
    assert_memory_equal(it[1].text, "abcd", 4);
    assert_true(it[1].text_cut);
    assert_memory_equal(it[2].text, "b", 1);
    free(it);
    gn__topk_free(t);
    gn__topk_free(NULL);
    assert_int_equal(gn__topk_new(0, 8, &t), -1);
}

/* Zipf(1.1) over 100000 items, 10^6 draws, 128 counters (as describe keeps for a top 10). */
static void test_skewed(void **state) {
    (void)state;
    const uint64_t nitems = 100000, draws = 1000000;
    const size_t cap = 128;
    double *cdf = malloc(nitems * sizeof *cdf);
    uint32_t *truth = calloc(nitems, sizeof *truth);
    assert_non_null(cdf);
    assert_non_null(truth);
    double z = 0;
    for (uint64_t i = 0; i < nitems; i++) z += 1.0 / pow((double)(i + 1), 1.1);
    double acc = 0;
    for (uint64_t i = 0; i < nitems; i++) cdf[i] = (acc += 1.0 / pow((double)(i + 1), 1.1) / z);
    gn_topk *t;
    assert_int_equal(gn__topk_new(cap, 16, &t), 0);
    uint64_t rng = 7;
    for (uint64_t d = 0; d < draws; d++) {
        double u = (double)(gn__splitmix64(&rng) >> 11) * 0x1.0p-53;
        size_t lo = 0, hi = nitems - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cdf[mid] < u) lo = mid + 1;
            else hi = mid;
        }
        truth[lo]++;
        add_item(t, lo);
    }
    size_t n;
    gn_topk_item *it = items_of(t, &n);
    assert_int_equal(n, cap);
    /* the 10 heaviest: held, in order, their counts exact or off by a tiny bound (an item seen
     * first once every counter was taken starts at the smallest count) */
    for (size_t k = 0; k < 10; k++) {
        uint64_t i = item_index(it[k].id, 200);
        printf("  #%zu: item %llu, count %llu (true %u), error bound %llu\n", k + 1, (unsigned long long)i,
               (unsigned long long)it[k].count, truth[i], (unsigned long long)it[k].error);
        assert_int_equal(i, k);
        assert_true(it[k].error <= draws / 10000);
        if (it[k].error == 0) assert_int_equal(it[k].count, truth[i]);
    }
    assert_int_equal(it[0].error, 0);
    assert_int_equal(it[0].count, truth[0]);
    /* the guarantees, for every held item, and no id twice */
    for (size_t k = 0; k < n; k++) {
        uint64_t i = item_index(it[k].id, nitems);
        assert_true(it[k].count >= truth[i]);
        assert_true(it[k].count - it[k].error <= truth[i]);
        for (size_t m = k + 1; m < n; m++) assert_true(it[k].id != it[m].id);
    }
    for (uint64_t i = 0; i < nitems; i++) {
        if ((double)truth[i] <= (double)draws / (double)cap) continue;
        int held = 0;
        for (size_t k = 0; k < n; k++) held |= it[k].id == id_of(i);
        assert_true(held);
    }
    free(it);
    gn__topk_free(t);
    free(cdf);
    free(truth);
}

/* Skewed data whose distinct items fit the counters (as a categorical column's values usually
 * do): every count exact, in order. */
static void test_skewed_exact(void **state) {
    (void)state;
    const uint64_t nitems = 100, draws = 200000;
    uint32_t truth[100] = {0};
    gn_topk *t;
    assert_int_equal(gn__topk_new(128, 16, &t), 0);
    uint64_t rng = 3;
    for (uint64_t d = 0; d < draws; d++) {
        /* geometric-like skew: item i with probability about 2^-(i+1), the rest uniform */
        uint64_t r = gn__splitmix64(&rng);
        uint64_t i = (uint64_t)__builtin_ctzll(r | (1ull << 40));
        if (i >= 20) i = 20 + r % (nitems - 20);
        truth[i]++;
        add_item(t, i);
    }
    size_t n;
    gn_topk_item *it = items_of(t, &n);
    uint64_t distinct = 0;
    for (uint64_t i = 0; i < nitems; i++) distinct += truth[i] > 0;
    assert_int_equal(n, distinct);
    for (size_t k = 0; k < n; k++) {
        uint64_t i = item_index(it[k].id, nitems);
        assert_int_equal(it[k].error, 0);
        assert_int_equal(it[k].count, truth[i]);
        if (k > 0) assert_true(it[k].count <= it[k - 1].count);
        if (k < 10) assert_int_equal(i, k);
    }
    free(it);
    gn__topk_free(t);
}

/* Every item new (the worst churn for the index), then a few items again: each is found, not
 * held twice. */
static void test_churn(void **state) {
    (void)state;
    gn_topk *t;
    assert_int_equal(gn__topk_new(8, 16, &t), 0);
    for (uint64_t i = 0; i < 100000; i++) add_item(t, i);
    assert_int_equal(gn__topk_size(t), 8);
    size_t n;
    gn_topk_item *it = items_of(t, &n);
    uint64_t held[8];
    for (size_t k = 0; k < n; k++) held[k] = item_index(it[k].id, 100000);
    free(it);
    for (int rep = 0; rep < 5; rep++)
        for (size_t k = 0; k < 8; k++) add_item(t, held[k]);
    it = items_of(t, &n);
    assert_int_equal(n, 8);
    for (size_t k = 0; k < n; k++)
        for (size_t m = k + 1; m < n; m++) assert_true(it[k].id != it[m].id);
    uint64_t total = 0;
    for (size_t k = 0; k < n; k++) total += it[k].count;
    assert_int_equal(total, gn__topk_total(t)); /* Space-Saving: the counts sum to the stream length */
    free(it);
    gn__topk_free(t);
}

/* Merging: two small streams give the exact counts of both; two skewed streams whose summaries
 * overflow keep the guarantees (count >= truth >= count - error; the heavy item first, exact). */
static void test_merge(void **state) {
    (void)state;
    gn_topk *a, *b;
    assert_int_equal(gn__topk_new(64, 16, &a), 0);
    assert_int_equal(gn__topk_new(64, 16, &b), 0);
    uint32_t truth[40] = {0};
    for (uint64_t i = 0; i < 30; i++)
        for (uint64_t k = 0; k <= i; k++) add_item(a, i), truth[i]++;
    for (uint64_t i = 10; i < 40; i++)
        for (uint64_t k = 0; k < 2; k++) add_item(b, i), truth[i]++;
    assert_int_equal(gn__topk_merge(a, b), 0);
    assert_int_equal(gn__topk_total(a), 30 * 31 / 2 + 60);
    size_t n;
    gn_topk_item *it = items_of(a, &n);
    assert_int_equal(n, 40);
    for (size_t k = 0; k < n; k++) {
        uint64_t i = item_index(it[k].id, 40);
        assert_int_equal(it[k].count, truth[i]);
        assert_int_equal(it[k].error, 0);
        char txt[16];
        snprintf(txt, sizeof txt, "item%llu", (unsigned long long)i);
        assert_int_equal(it[k].text_len, strlen(txt));
        assert_memory_equal(it[k].text, txt, it[k].text_len);
    }
    free(it);
    /* the merged summary goes on counting */
    add_item(a, 39);
    add_item(a, 1000);
    it = items_of(a, &n);
    assert_int_equal(n, 41);
    free(it);
    gn__topk_free(a);
    gn__topk_free(b);

    /* overflowing summaries: a skewed stream over 5000 items (item i with probability about
     * ((i+1)^(1/3) - i^(1/3)) / 5000^(1/3)), in two halves */
    const uint64_t nitems = 5000;
    uint32_t *tr = calloc(nitems, sizeof *tr);
    assert_non_null(tr);
    assert_int_equal(gn__topk_new(64, 16, &a), 0);
    assert_int_equal(gn__topk_new(64, 16, &b), 0);
    uint64_t rng = 5;
    for (int d = 0; d < 200000; d++) {
        double u = (double)(gn__splitmix64(&rng) >> 11) * 0x1.0p-53;
        uint64_t i = (uint64_t)(pow(u, 3.0) * (double)nitems); /* skewed toward small i */
        tr[i]++;
        add_item(d < 100000 ? a : b, i);
    }
    assert_int_equal(gn__topk_merge(a, b), 0);
    it = items_of(a, &n);
    assert_int_equal(n, 64);
    for (size_t k = 0; k < n; k++) {
        uint64_t i = item_index(it[k].id, nitems);
        assert_true(it[k].count >= tr[i]);
        assert_true(it[k].count - it[k].error <= tr[i]);
        for (size_t m = k + 1; m < n; m++) assert_true(it[k].id != it[m].id);
    }
    /* the one heavy item (6% of the stream, far above total / capacity) is first and exact */
    assert_int_equal(item_index(it[0].id, nitems), 0);
    assert_int_equal(it[0].error, 0);
    assert_int_equal(it[0].count, tr[0]);
    free(it);
    free(tr);
    gn__topk_free(a);
    gn__topk_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_when_small),
        cmocka_unit_test(test_skewed),
        cmocka_unit_test(test_skewed_exact),
        cmocka_unit_test(test_churn),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
