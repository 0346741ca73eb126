/* util/hll.c: distinct counting (see hll.h). Exact mode is a linear-probing set of hashes that
 * doubles up to 2 * GN_HLL_EXACT_MAX slots; past GN_HLL_EXACT_MAX items every hash goes into the
 * registers and the set is freed. Register j (the top GN_HLL_P bits of a hash) keeps the largest
 * rank seen, the rank being 1 + the number of leading zeros of the remaining q = 64 - GN_HLL_P
 * bits (q + 1 when they are all zero). The count is Ertl's improved estimator ("New cardinality
 * estimation algorithms for HyperLogLog sketches", 2017, algorithm 6) over the histogram of the
 * registers. */
#include "util/hll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HLL_M ((size_t)1 << GN_HLL_P)
#define HLL_Q (64 - GN_HLL_P)

void gn__hll_init(gn_hll *h) { memset(h, 0, sizeof *h); }

void gn__hll_free(gn_hll *h) {
    if (!h) return;
    free(h->set);
    free(h->reg);
    memset(h, 0, sizeof *h);
}

static inline void reg_add(uint8_t *reg, uint64_t x) {
    size_t j = (size_t)(x >> HLL_Q);
    uint64_t w = x << GN_HLL_P; /* the q remaining bits, at the top */
    uint8_t rank = w ? (uint8_t)(__builtin_clzll(w) + 1) : (uint8_t)(HLL_Q + 1);
    if (rank > reg[j]) reg[j] = rank;
}

/* Inserts x (not 0) into a set of cap slots; returns 1 if it was new. */
static int set_insert(uint64_t *set, size_t cap, uint64_t x) {
    size_t i = (size_t)(x * 0x9E3779B97F4A7C15ull >> 32) & (cap - 1);
    while (set[i]) {
        if (set[i] == x) return 0;
        i = (i + 1) & (cap - 1);
    }
    set[i] = x;
    return 1;
}

static int set_has(const uint64_t *set, size_t cap, uint64_t x) {
    if (!cap) return 0;
    size_t i = (size_t)(x * 0x9E3779B97F4A7C15ull >> 32) & (cap - 1);
    while (set[i]) {
        if (set[i] == x) return 1;
        i = (i + 1) & (cap - 1);
    }
    return 0;
}

/* Leaves exact mode: every hash of the set into fresh registers. */
static int to_sketch(gn_hll *h) {
    uint8_t *reg = calloc(HLL_M, 1);
    if (!reg) return -1;
    for (size_t i = 0; i < h->set_cap; i++)
        if (h->set[i]) reg_add(reg, h->set[i]);
    if (h->has_zero) reg_add(reg, 0);
    free(h->set);
    h->set = NULL;
    h->set_cap = h->set_n = 0;
    h->reg = reg;
    return 0;
}

static int set_grow(gn_hll *h) {
    size_t cap = h->set_cap ? h->set_cap * 2 : 16;
    uint64_t *set = calloc(cap, sizeof *set);
    if (!set) return -1;
    for (size_t i = 0; i < h->set_cap; i++)
        if (h->set[i]) set_insert(set, cap, h->set[i]);
    free(h->set);
    h->set = set;
    h->set_cap = cap;
    return 0;
}

int gn__hll_add(gn_hll *h, uint64_t x) {
    if (h->reg) {
        reg_add(h->reg, x);
        return 0;
    }
    if (x == 0) {
        h->has_zero = 1;
        return 0;
    }
    if (h->set_n + 1 > h->set_cap / 2) { /* load at most 1/2 */
        if (set_has(h->set, h->set_cap, x)) return 0;
        if (h->set_n + (size_t)h->has_zero >= GN_HLL_EXACT_MAX) {
            if (to_sketch(h) != 0) return -1;
            reg_add(h->reg, x);
            return 0;
        }
        if (set_grow(h) != 0) return -1;
    }
    h->set_n += (size_t)set_insert(h->set, h->set_cap, x);
    return 0;
}

int gn__hll_merge(gn_hll *into, const gn_hll *from) {
    if (from->reg) {
        if (!into->reg && to_sketch(into) != 0) return -1;
        for (size_t j = 0; j < HLL_M; j++)
            if (from->reg[j] > into->reg[j]) into->reg[j] = from->reg[j];
        return 0;
    }
    if (from->has_zero && gn__hll_add(into, 0) != 0) return -1;
    for (size_t i = 0; i < from->set_cap; i++)
        if (from->set[i] && gn__hll_add(into, from->set[i]) != 0) return -1;
    return 0;
}

/* Ertl's sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for the registers still 0 (share x). */
static double hll_sigma(double x) {
    if (x == 1.0) return INFINITY;
    double y = 1.0, z = x, zp;
    do {
        x *= x;
        zp = z;
        z += x * y;
        y += y;
    } while (z != zp);
    return z;
}

/* Ertl's tau(x), for the registers at their largest value (share 1 - x). */
static double hll_tau(double x) {
    if (x == 0.0 || x == 1.0) return 0.0;
    double y = 1.0, z = 1.0 - x, zp;
    do {
        x = sqrt(x);
        zp = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != zp);
    return z / 3.0;
}

uint64_t gn__hll_count(const gn_hll *h, int *exact) {
    if (!h->reg) {
        if (exact) *exact = 1;
        return (uint64_t)h->set_n + (uint64_t)h->has_zero;
    }
    if (exact) *exact = 0;
    uint32_t hist[HLL_Q + 2];
    memset(hist, 0, sizeof hist);
    for (size_t j = 0; j < HLL_M; j++) hist[h->reg[j]]++;
    const double m = (double)HLL_M;
    double z = m * hll_tau(1.0 - hist[HLL_Q + 1] / m);
    for (int k = HLL_Q; k >= 1; k--) z = 0.5 * (z + hist[k]);
    z += m * hll_sigma(hist[0] / m);
    const double alpha_inf = 0.5 / log(2.0);
    return (uint64_t)llround(alpha_inf * m * m / z);
}

size_t gn__hll_bytes(const gn_hll *h) { return h->set_cap * sizeof *h->set + (h->reg ? HLL_M : 0); }
