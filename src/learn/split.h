/* learn/split.h: the one rule that splits examples into holdout / training and into
 * cross-validation folds. An example's bucket depends only on its stable key (file index and
 * byte offset of its line, see io/batch.h) and the seed, never on how the input was split
 * into parts or batches, so every reader (threads, MPI ranks, the cache, the batch solvers,
 * model selection) puts each example on the same side. */
#ifndef GN_LEARN_SPLIT_H
#define GN_LEARN_SPLIT_H

#include <stdint.h>

#include "hash/hash.h"

/* The holdout draws buckets out of this many: a fraction f takes buckets [0, f * 10^6). */
#define GN__HOLDOUT_BUCKETS 1000000u

/* The bucket of an example among mod: mix64(key ^ seed) mod mod. */
static inline uint64_t gn__split_bucket(uint64_t key, uint64_t seed, uint64_t mod) { return gn__mix64(key ^ seed) % mod; }
/* The last bucket (exclusive) that a holdout fraction in [0, 1) takes. */
static inline uint64_t gn__holdout_cut(double fraction) { return (uint64_t)(fraction * GN__HOLDOUT_BUCKETS); }
/* 1 if the example is in a holdout of this fraction. */
static inline int gn__split_is_holdout(uint64_t key, uint64_t seed, double fraction) {
    return gn__split_bucket(key, seed, GN__HOLDOUT_BUCKETS) < gn__holdout_cut(fraction);
}
/* The fold (0..k-1) of an example in k-fold cross-validation. */
static inline uint32_t gn__split_fold(uint64_t key, uint64_t seed, uint32_t k) {
    return (uint32_t)gn__split_bucket(key, seed, k);
}

#endif
