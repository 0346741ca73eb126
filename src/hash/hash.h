/* hash/hash.h: feature hashing. Names are hashed with xxHash (XXH3, 64-bit) seeded by the hash of
 * their namespace (VW namespace or CSV column), then masked to the table size. */
#ifndef GN_HASH_HASH_H
#define GN_HASH_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Seed for a namespace/column name. */
uint64_t gn__hash_namespace(const char *name, size_t len);
/* Slot of a feature name within a namespace seed, in [1, 2^bits) (slot 0 is the bias). */
uint32_t gn__hash_feature(uint64_t ns_seed, const char *name, size_t len, uint32_t mask);
/* Slot of a categorical value of a column: hash of the value seeded by the column's seed mixed
 * with a constant so that numeric "col" and categorical "col=value" never coincide by design. */
uint32_t gn__hash_category(uint64_t col_seed, const char *value, size_t len, uint32_t mask);
/* General 64-bit hash of bytes (fold assignment, checksums of small things). */
uint64_t gn__hash64(const void *data, size_t len, uint64_t seed);
/* Mixes a 64-bit key (holdout and fold selection from an example key). */
uint64_t gn__mix64(uint64_t x);
/* The next number of the splitmix64 stream whose state is *state (a golden-gamma counter through
 * gn__mix64): shuffling and random search draw from it. */
static inline uint64_t gn__splitmix64(uint64_t *state) { return gn__mix64(*state += 0x9E3779B97F4A7C15ull); }

#endif
