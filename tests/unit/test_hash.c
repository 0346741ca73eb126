/* test_hash.c: feature hashing (hash/hash.c): XXH3 underneath, determinism, namespace and
 * category separation, slot 0 kept for the bias at every table size, and a roughly uniform
 * spread over 2^bits slots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <xxhash.h>

#include "gannet/gannet.h"
#include "hash/hash.h"

static uint32_t mask_of(unsigned bits) { return (uint32_t)(((uint64_t)1 << bits) - 1); }

static void test_deterministic_and_xxh3(void **state) {
    (void)state;
    /* the namespace seed is plain XXH3-64 (other tools can recompute slots from the docs) */
    assert_true(gn__hash_namespace("user", 4) == XXH3_64bits("user", 4));
    assert_true(gn__hash_namespace("", 0) == XXH3_64bits("", 0));
    assert_true(gn__hash64("abc", 3, 99) == XXH3_64bits_withSeed("abc", 3, 99));
    uint64_t seed = gn__hash_namespace("user", 4);
    uint32_t m = mask_of(18);
    uint64_t h = XXH3_64bits_withSeed("age", 3, seed);
    uint32_t expect = (uint32_t)(h ^ (h >> 32)) & m;
    if (expect == 0) expect = 1;
    assert_int_equal(gn__hash_feature(seed, "age", 3, m), expect);
    /* the same input always gives the same slot; only len bytes are read */
    assert_int_equal(gn__hash_feature(seed, "age", 3, m), gn__hash_feature(seed, "ageXYZ", 3, m));
    char buf[16] = "feature";
    uint32_t a = gn__hash_category(seed, buf, 7, m);
    buf[7] = '!';
    assert_int_equal(gn__hash_category(seed, buf, 7, m), a);
}

/* Count of names i in [0, n) whose slot in namespace A equals their slot in namespace B. */
static void test_namespace_separation(void **state) {
    (void)state;
    const uint32_t m = mask_of(24);
    uint64_t a = gn__hash_namespace("a", 1), b = gn__hash_namespace("b", 1), ab = gn__hash_namespace("ab", 2);
    assert_true(a != b && a != ab);
    int same_ns = 0, same_cat = 0, same_concat = 0;
    char name[32];
    for (int i = 0; i < 20000; i++) {
        int len = snprintf(name, sizeof name, "f%d", i);
        uint32_t fa = gn__hash_feature(a, name, (size_t)len, m);
        same_ns += fa == gn__hash_feature(b, name, (size_t)len, m);
        /* numeric "col" (feature) and categorical "col=value" never share a slot by design */
        same_cat += fa == gn__hash_category(a, name, (size_t)len, m);
        /* ns "a" + "bX" must differ from ns "ab" + "X": the namespace is a seed, not a prefix */
        if (len > 1) same_concat += gn__hash_feature(a, name, (size_t)len, m) == gn__hash_feature(ab, name + 1, (size_t)len - 1, m);
    }
    /* with 2^24 slots, chance collisions among 20000 pairs: expected ~0.001 */
    assert_true(same_ns <= 2);
    assert_true(same_cat <= 2);
    assert_true(same_concat <= 2);
}

static void test_slot_zero_reserved_all_bits(void **state) {
    (void)state;
    char name[32];
    for (unsigned bits = 1; bits <= GN_MAX_BITS; bits++) {
        const uint32_t m = mask_of(bits);
        uint64_t seed = gn__hash_namespace("ns", 2);
        uint32_t maxseen = 0;
        for (int i = 0; i < 4000; i++) {
            int len = snprintf(name, sizeof name, "%d", i);
            uint32_t f = gn__hash_feature(seed, name, (size_t)len, m);
            uint32_t c = gn__hash_category(seed, name, (size_t)len, m);
            if (f == 0 || c == 0 || f > m || c > m) fail_msg("bits %u: slot %u / %u out of [1, 2^bits)", bits, f, c);
            if (f > maxseen) maxseen = f;
        }
        if (bits == 1) assert_int_equal(maxseen, 1); /* the only non-bias slot */
        /* the high slots are used too (the mask keeps the top bit) */
        if (bits >= 2 && bits <= 8) assert_int_equal(maxseen, m);
        if (bits > 8) assert_true(maxseen > m - m / 64);
    }
}

/* Pearson chi-square of the slot counts against uniform over slots 1..2^bits-1 (slot 1 also
 * takes what would have hashed to 0, so it expects twice the others). */
static double chi_square(unsigned bits, int per_slot, int category) {
    const uint32_t nslots = 1u << bits, m = nslots - 1;
    const long n = (long)per_slot * nslots;
    uint32_t *count = calloc(nslots, sizeof *count);
    assert_non_null(count);
    uint64_t seed = gn__hash_namespace("col", 3);
    char name[32];
    for (long i = 0; i < n; i++) {
        int len = snprintf(name, sizeof name, "v%ld", i);
        uint32_t s = category ? gn__hash_category(seed, name, (size_t)len, m) : gn__hash_feature(seed, name, (size_t)len, m);
        count[s]++;
    }
    assert_int_equal(count[0], 0);
    double chi = 0, e = (double)n / nslots;
    for (uint32_t s = 1; s < nslots; s++) {
        double ex = s == 1 ? 2 * e : e;
        chi += (count[s] - ex) * (count[s] - ex) / ex;
    }
    free(count);
    return chi;
}

static void test_uniform_spread(void **state) {
    (void)state;
    const unsigned bits_list[] = {4, 10, 16};
    for (size_t k = 0; k < sizeof bits_list / sizeof *bits_list; k++) {
        unsigned bits = bits_list[k];
        double df = (double)((1u << bits) - 2);
        for (int cat = 0; cat <= 1; cat++) {
            double chi = chi_square(bits, bits == 16 ? 8 : 200, cat);
            /* chi-square with df degrees of freedom: mean df, sd sqrt(2 df); allow 6 sd */
            double bound = df + 6 * sqrt(2 * df);
            if (chi > bound) fail_msg("bits %u %s: chi-square %.1f over %.1f", bits, cat ? "category" : "feature", chi, bound);
        }
    }
}

static void test_mix64(void **state) {
    (void)state;
    /* splitmix64's finaliser: a bijection; consecutive keys scatter over the whole range */
    uint64_t prev = gn__mix64(1);
    int low_half = 0;
    for (uint64_t k = 2; k < 10002; k++) {
        uint64_t h = gn__mix64(k);
        assert_true(h != prev);
        prev = h;
        low_half += h < (UINT64_MAX / 2);
    }
    assert_true(low_half > 4700 && low_half < 5300);
    /* splitmix64's published first output for seed 0 is mix(0 + golden gamma) */
    assert_true(gn__mix64(0x9e3779b97f4a7c15ull) == 0xe220a8397b1dcdafull);
    assert_true(gn__hash64("x", 1, 1) != gn__hash64("x", 1, 2));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic_and_xxh3),
        cmocka_unit_test(test_namespace_separation),
        cmocka_unit_test(test_slot_zero_reserved_all_bits),
        cmocka_unit_test(test_uniform_spread),
        cmocka_unit_test(test_mix64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
