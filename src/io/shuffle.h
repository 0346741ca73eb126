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

#endif
