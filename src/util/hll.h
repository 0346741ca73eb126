/* util/hll.h: a distinct-value counter in bounded memory. Exact while small (a set of up to
 * GN_HLL_EXACT_MAX 64-bit hashes), then a HyperLogLog sketch of 2^GN_HLL_P one-byte registers
 * (16 KiB, standard error 1.04 / 2^(GN_HLL_P/2) = 0.8%) read with Ertl's improved estimator,
 * which needs no bias tables and is unbiased from 0 to far beyond 10^9. Items come in as 64-bit
 * hashes: the caller hashes them well (XXH3, splitmix64); equal hashes count once. A counter is
 * used by one thread at a time; counters can be merged (the union). */
#ifndef GN_UTIL_HLL_H
#define GN_UTIL_HLL_H

#include <stddef.h>
#include <stdint.h>

#define GN_HLL_P 14
#define GN_HLL_EXACT_MAX 1024

typedef struct gn_hll {
    uint64_t *set;      /* exact mode: open addressing over the hashes (0 marks an empty slot) */
    size_t set_cap;     /* slots (a power of two), 0 before the first item */
    size_t set_n;       /* hashes held */
    int has_zero;       /* the hash 0 was seen (it cannot be stored in the set) */
    uint8_t *reg;       /* sketch mode: 2^GN_HLL_P registers; NULL while exact */
} gn_hll;

/* An empty counter (no allocation until the first item). */
void gn__hll_init(gn_hll *h);
void gn__hll_free(gn_hll *h);
/* Counts the item whose hash is x. Returns 0, or -1 when out of memory (the counter then stays
 * as it was, minus this item). */
int gn__hll_add(gn_hll *h, uint64_t x);
/* Adds every item of `from` to `into` (the union). Returns 0 or -1 (out of memory). */
int gn__hll_merge(gn_hll *into, const gn_hll *from);
/* The number of distinct items: exact (*exact = 1) while in exact mode, else the estimate. */
uint64_t gn__hll_count(const gn_hll *h, int *exact);
/* Bytes held (for memory bounds). */
size_t gn__hll_bytes(const gn_hll *h);

#endif
