/* hash/hash.c: feature hashing on top of Debian's libxxhash (XXH3). */
#include "hash/hash.h"

#include <xxhash.h>

#define GN_CATEGORY_SALT 0x9E3779B97F4A7C15ull

uint64_t gn__hash_namespace(const char *name, size_t len) { return XXH3_64bits(name, len); }

static inline uint32_t to_slot(uint64_t h, uint32_t mask) {
    uint32_t s = (uint32_t)(h ^ (h >> 32)) & mask;
    return s ? s : 1; /* slot 0 is reserved for the bias */
}

uint32_t gn__hash_feature(uint64_t ns_seed, const char *name, size_t len, uint32_t mask) {
    return to_slot(XXH3_64bits_withSeed(name, len, ns_seed), mask);
}

uint32_t gn__hash_category(uint64_t col_seed, const char *value, size_t len, uint32_t mask) {
    return to_slot(XXH3_64bits_withSeed(value, len, col_seed ^ GN_CATEGORY_SALT), mask);
}

uint64_t gn__hash64(const void *data, size_t len, uint64_t seed) { return XXH3_64bits_withSeed(data, len, seed); }

uint64_t gn__mix64(uint64_t x) { /* splitmix64 finaliser */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}
