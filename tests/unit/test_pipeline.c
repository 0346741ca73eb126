/* test_pipeline.c: the input side of multi-threaded training — the bounded shuffle buffer
 * (io/shuffle.c): every example comes out exactly once per pass with its features intact, the
 * order depends only on seed and pass, examples never leave their buffer-full (bounded memory),
 * and an error from the input comes through; and the seeded permutation of chunks and blocks
 * (gn__permute_index): a bijection for every size, not the identity, other for another key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gannet/gannet.h"
#include "io/shuffle.h"

/* A fake input: examples 0..n-1; example i has key i, label i and i%5 features (i, i+1, ...). */
typedef struct fake {
    size_t n, next, fail_at;
} fake;

static int fake_next(void *ctx, gn_batch *b, size_t max) {
    fake *f = ctx;
    gn__batch_clear(b);
    if (f->fail_at && f->next >= f->fail_at) return GN_EPARSE;
    while (b->n < max && f->next < f->n) {
        size_t i = f->next++;
        if (gn__batch_reserve_features(b, 5) != GN_OK) return GN_ENOMEM;
        if (gn__batch_begin_example(b, (float)i, 1.0f, i) != GN_OK) return GN_ENOMEM;
        for (size_t j = 0; j < i % 5; j++) gn__batch_push(b, (uint32_t)(i + j), (float)j);
        gn__batch_end_example(b);
    }
    return b->n ? GN_OK : GN_EOF;
}

/* Runs one pass; writes the keys in output order to keys[]; returns how many. */
static size_t one_pass(gn_shuffler *s, fake *f, uint32_t pass, uint64_t *keys) {
    f->next = 0;
    gn__shuffler_reset(s, pass);
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 8, 8), GN_OK);
    size_t k = 0;
    int st;
    while ((st = gn__shuffler_next(s, fake_next, f, &b, 33)) == GN_OK) {
        assert_true(b.n <= 33);
        for (size_t i = 0; i < b.n; i++) {
            uint64_t key = b.key[i];
            assert_true(b.label[i] == (float)key);
            assert_int_equal(b.start[i + 1] - b.start[i], key % 5);
            for (size_t j = b.start[i]; j < b.start[i + 1]; j++) {
                assert_int_equal(b.index[j], key + (j - b.start[i]));
                assert_true(b.value[j] == (float)(j - b.start[i]));
            }
            keys[k++] = key;
        }
    }
    assert_int_equal(st, GN_EOF);
    gn__batch_free(&b);
    return k;
}

static void test_each_once_bounded_and_seeded(void **state) {
    (void)state;
    const size_t n = 2500, cap = 300;
    fake f = {n, 0, 0};
    gn_shuffler *s, *s2, *s3;
    assert_int_equal(gn__shuffler_new(cap, 42, &s), GN_OK);
    assert_int_equal(gn__shuffler_new(cap, 42, &s2), GN_OK);
    assert_int_equal(gn__shuffler_new(cap, 43, &s3), GN_OK);
    uint64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    char *seen = calloc(n, 1);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(seen);
    assert_int_equal(one_pass(s, &f, 1, a), n);
    size_t moved = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(a[i] < n);
        assert_false(seen[a[i]]);
        seen[a[i]] = 1;
        /* bounded: an example leaves in the buffer-full it was read into */
        assert_int_equal(a[i] / cap, i / cap);
        moved += a[i] != i;
    }
    assert_true(moved > n / 2); /* it does shuffle */
    assert_int_equal(one_pass(s2, &f, 1, b), n);
    assert_memory_equal(a, b, n * sizeof *a); /* same seed and pass: same order */
    assert_int_equal(one_pass(s2, &f, 2, b), n);
    assert_memory_not_equal(a, b, n * sizeof *a); /* another pass: another order */
    assert_int_equal(one_pass(s, &f, 2, c), n);
    assert_memory_equal(b, c, n * sizeof *b); /* the pass order is reproducible (resume) */
    assert_int_equal(one_pass(s3, &f, 1, c), n);
    assert_memory_not_equal(a, c, n * sizeof *a); /* another seed: another order */
    gn__shuffler_free(s);
    gn__shuffler_free(s2);
    gn__shuffler_free(s3);
    free(a);
    free(b);
    free(c);
    free(seen);
}

static void test_input_error_comes_through(void **state) {
    (void)state;
    fake f = {1000, 0, 500};
    gn_shuffler *s;
    assert_int_equal(gn__shuffler_new(100, 1, &s), GN_OK);
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 8, 8), GN_OK);
    int st;
    size_t got = 0;
    while ((st = gn__shuffler_next(s, fake_next, &f, &b, 50)) == GN_OK) got += b.n;
    assert_int_equal(st, GN_EPARSE);
    assert_true(got <= 500);
    gn__batch_free(&b);
    gn__shuffler_free(s);
    gn__shuffler_free(NULL);
}

static void test_empty_input_and_tiny_buffer(void **state) {
    (void)state;
    fake f = {0, 0, 0};
    gn_shuffler *s;
    assert_int_equal(gn__shuffler_new(1, 7, &s), GN_OK);
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 8, 8), GN_OK);
    assert_int_equal(gn__shuffler_next(s, fake_next, &f, &b, 10), GN_EOF);
    fake g = {10, 0, 0};
    uint64_t keys[10];
    assert_int_equal(one_pass(s, &g, 1, keys), 10);
    for (size_t i = 0; i < 10; i++) assert_int_equal(keys[i], i); /* a buffer of 1 keeps the order */
    gn__batch_free(&b);
    gn__shuffler_free(s);
}

static void test_permute_index_is_a_permutation(void **state) {
    (void)state;
    const uint64_t sizes[] = {1, 2, 3, 5, 16, 17, 100, 1000, 4097, 65537};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        uint64_t n = sizes[si];
        char *seen = calloc(n, 1);
        uint64_t *pos = malloc(n * sizeof *pos);
        assert_non_null(seen);
        assert_non_null(pos);
        for (uint32_t pass = 1; pass <= 3; pass++) {
            uint64_t key = gn__permute_key(7, pass);
            memset(seen, 0, n);
            uint64_t fixed = 0, same_as_before = 0;
            for (uint64_t i = 0; i < n; i++) {
                uint64_t p = gn__permute_index(i, n, key);
                assert_true(p < n);
                if (seen[p]) fail_msg("n=%llu pass %u: position %llu twice", (unsigned long long)n, pass,
                                      (unsigned long long)p);
                seen[p] = 1;
                fixed += p == i;
                if (pass > 1) same_as_before += pos[i] == p;
                pos[i] = p;
                assert_true(gn__permute_index(i, n, key) == p); /* a function of (i, n, key) only */
            }
            if (n >= 100) {
                /* a random permutation fixes about one point and agrees with another in about one */
                if (fixed > n / 10) fail_msg("n=%llu: %llu fixed points", (unsigned long long)n, (unsigned long long)fixed);
                if (pass > 1 && same_as_before > n / 10)
                    fail_msg("n=%llu: pass %u is too close to the pass before", (unsigned long long)n, pass);
            }
        }
        free(seen);
        free(pos);
    }
    /* the key depends on the seed and the pass */
    assert_true(gn__permute_key(1, 1) != gn__permute_key(2, 1));
    assert_true(gn__permute_key(1, 1) != gn__permute_key(1, 2));
    assert_true(gn__permute_key(1, 1) == gn__permute_key(1, 1));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_once_bounded_and_seeded),
        cmocka_unit_test(test_input_error_comes_through),
        cmocka_unit_test(test_permute_index_is_a_permutation),
        cmocka_unit_test(test_empty_input_and_tiny_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
