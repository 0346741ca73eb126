/* test_batch.c: io/batch.c: repeated slots within an example are merged (values summed, zero
 * sums dropped, slots sorted), examples with strictly increasing slots are left untouched, and
 * the merge agrees with a naive reference on random examples of every length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gannet/gannet.h"
#include "io/batch.h"

static void add_example(gn_batch *b, const uint32_t *idx, const float *val, size_t n) {
    assert_int_equal(gn__batch_begin_example(b, 1.0f, 1.0f, 0), GN_OK);
    assert_int_equal(gn__batch_reserve_features(b, n), GN_OK);
    for (size_t i = 0; i < n; i++) gn__batch_push(b, idx[i], val[i]);
    gn__batch_end_example(b);
}

static void test_repeats_merged(void **state) {
    (void)state;
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 4, 16), GN_OK);
    /* "| the movie the end the": the word 'the' (slot 7) three times */
    const uint32_t idx[] = {0, 7, 3, 7, 9, 7};
    const float val[] = {1, 1, 1, 1, 1, 1};
    add_example(&b, idx, val, 6);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.start[1] - b.start[0], 4);
    const uint32_t want_idx[] = {0, 3, 7, 9};
    const float want_val[] = {1, 1, 3, 1};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(b.index[i], want_idx[i]);
        assert_true(b.value[i] == want_val[i]);
    }
    /* values that cancel drop the slot */
    const uint32_t idx2[] = {5, 2, 5};
    const float val2[] = {2.5f, 1, -2.5f};
    add_example(&b, idx2, val2, 3);
    assert_int_equal(b.start[2] - b.start[1], 1);
    assert_int_equal(b.index[b.start[1]], 2);
    gn__batch_free(&b);
}

static void test_increasing_untouched(void **state) {
    (void)state;
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 4, 16), GN_OK);
    const uint32_t idx[] = {0, 3, 8, 100};
    const float val[] = {1, -0.0f, 2, 3};
    add_example(&b, idx, val, 4);
    assert_int_equal(b.start[1], 4);
    assert_memory_equal(b.index, idx, sizeof idx);
    assert_memory_equal(b.value, val, sizeof val);
    /* distinct but unsorted slots keep their order too (the filter proves them distinct) */
    const uint32_t idx2[] = {50, 3, 1000};
    const float val2[] = {1, 2, 3};
    add_example(&b, idx2, val2, 3);
    assert_memory_equal(b.index + 4, idx2, sizeof idx2);
    gn__batch_free(&b);
}

static uint64_t rng_state = 42;
static uint32_t rnd(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

static void test_random_against_reference(void **state) {
    (void)state;
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 1, 16), GN_OK);
    uint32_t idx[600];
    float val[600];
    for (int round = 0; round < 3000; round++) {
        size_t n = rnd() % (round < 2000 ? 40 : 600);
        uint32_t range = 1 + rnd() % (round % 3 == 0 ? 8 : 100000);
        for (size_t i = 0; i < n; i++) {
            idx[i] = rnd() % range;
            val[i] = (float)(rnd() % 5) - 2.0f;
        }
        gn__batch_clear(&b);
        add_example(&b, idx, val, n);
        /* reference: dense sums over the distinct slots, in increasing slot order */
        size_t got = b.start[1];
        int dup = 0;
        for (size_t i = 0; i < n && !dup; i++)
            for (size_t j = i + 1; j < n; j++)
                if (idx[i] == idx[j]) { dup = 1; break; }
        if (got == n && memcmp(b.index, idx, n * sizeof *idx) == 0 && memcmp(b.value, val, n * sizeof *val) == 0) {
            assert_false(dup); /* untouched is right only when every slot is distinct */
            continue;
        }
        /* merged (repeats, or a filter collision): sorted, summed, zero sums dropped */
        for (size_t k = 1; k < got; k++) assert_true(b.index[k] > b.index[k - 1]);
        size_t want = 0;
        for (size_t i = 0; i < n; i++) {
            int first = 1;
            for (size_t j = 0; j < i; j++) first &= idx[j] != idx[i];
            if (!first) continue;
            double s = 0;
            for (size_t j = i; j < n; j++) if (idx[j] == idx[i]) s += val[j];
            if (s == 0) continue;
            want++;
            size_t k = 0;
            while (k < got && b.index[k] != idx[i]) k++;
            assert_true(k < got);
            assert_true(b.value[k] == (float)s);
        }
        assert_int_equal(got, want);
    }
    gn__batch_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repeats_merged),
        cmocka_unit_test(test_increasing_untouched),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
