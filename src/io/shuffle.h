/* io/shuffle.h: `--shuffle`: examples are read into a bounded buffer (cap examples), put in a
 * seeded random order and handed out; then the next buffer-full. Memory is bounded by cap; the
 * order depends only on the seed, the pass and the input, never on timing. */
#ifndef GN_IO_SHUFFLE_H
#define GN_IO_SHUFFLE_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "io/batch.h"

typedef struct gn_shuffler gn_shuffler;
/* Reads up to max examples into b (cleared first); GN_OK or GN_EOF or an error. */
typedef int (*gn_batch_fn)(void *ctx, gn_batch *b, size_t max);

int gn__shuffler_new(size_t cap, uint64_t seed, gn_shuffler **out);
/* Empties the buffer and seeds the order of `pass` (call at every pass start). */
void gn__shuffler_reset(gn_shuffler *s, uint32_t pass);
/* Like gn__source_next, drawing from `next(ctx, ...)` through the buffer. */
int gn__shuffler_next(gn_shuffler *s, gn_batch_fn next, void *ctx, gn_batch *b, size_t max);
void gn__shuffler_free(gn_shuffler *s);

/* The position of item i in a seeded random permutation of [0, n) (i < n): a bijection, so the
 * items i = 0..n-1 map to every position exactly once. O(1) memory (a Feistel network on the
 * next even power of two, walked until it lands below n), so a huge input needs no table: the
 * source's chunks and the cache's blocks are read in the order i -> gn__permute_index(i, n, key),
 * with key drawn from --seed and the pass. */
uint64_t gn__permute_index(uint64_t i, uint64_t n, uint64_t key);
/* The key of pass `pass` for gn__permute_index: the same for every part, rank and run. */
uint64_t gn__permute_key(uint64_t seed, uint32_t pass);

#endif
