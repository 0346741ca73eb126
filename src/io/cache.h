/* io/cache.h: the binary cache of parsed, hashed examples (`gannet cache`, `train --cache`).
 *
 * File layout (little-endian):
 *   "GNCACHE1" | u32 version (3) | u32 header_len | header | u64 XXH3(header)
 *   header: the header JSON; with --idf, then a NUL and the idf records (io/text.h:
 *            gn__idf_records; their number in the JSON's "idf": {"docs", "records"}).
 *            "text_counts": true (--idf over a --format dir tree, made in one pass): the values
 *            are term counts, weighed by the readers as they decode (io/text.h: gn__text_weigh)
 *   blocks:  u32 "GNBK" | u32 flags (1 = zstd) | u32 stored_len | u32 raw_len | u32 examples |
 *            u64 XXH3(stored payload) | payload
 *   trailer: u32 "GNEN" | u32 0 | u64 blocks | u64 examples | u64 XXH3(the 24 bytes before it)
 * The header ties the cache to its source (each file's path, size and mtime) and to the data
 * spec (as requested and as resolved) and holds the CSV columns and the classes of binary labels
 * ("labels", as in model files: the cache can train alone). A block's payload is a run of
 * examples: a flags byte (label +1/-1/other, weight, values all 1), the key as a zigzag delta
 * varint, the feature count, indices as zigzag delta varints (in their original order, so that a
 * model trained from the cache is bit-identical to one trained from the text), then the label,
 * weight and values as floats when not implied by the flags. Payloads are zstd-compressed when
 * that saves at least 10%.
 * Written to a temporary file, fsync'ed and renamed into place: a cache is complete or absent.
 * A truncated file (no trailer), a checksum mismatch, or a header that does not match the
 * source and flags is never used: GN_ESTALE / GN_ECHECKSUM / GN_EFORMAT with a message. */
#ifndef GN_IO_CACHE_H
#define GN_IO_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/cache.h"
#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/parser.h"

typedef struct gn_cache_reader gn_cache_reader;

/* Parses paths with spec (sequentially) and writes the cache to out_path atomically. */
int gn__cache_build(const char *out_path, const gn_data_spec *spec, const char *const *paths, size_t npaths,
                    gn_cache_info *info);
/* 1 if a cache of spec is made in one tokenizing pass that also counts the document frequencies
 * (--idf over --format dir trees, without interactions); other --idf inputs count them in a pass
 * of their own first. */
int gn__cache_one_pass_idf(const gn_data_spec *spec);
/* GN_OK if out_path is a complete cache made from exactly these files (same sizes and mtimes)
 * with this spec; GN_ESTALE (reason in the message) if it is missing or was made from other
 * files or flags; GN_EFORMAT / GN_ECHECKSUM if it is truncated or corrupt. */
int gn__cache_check(const char *path, const gn_data_spec *spec, const char *const *paths, size_t npaths);
/* For `train --cache`: builds the cache when missing, stale or damaged (logging why), then
 * returns the resolved spec and a parser holding the CSV columns (owned by the caller). */
int gn__cache_ensure(const char *path, const gn_data_spec *spec, const char *const *paths, size_t npaths,
                     size_t batch_size, gn_data_spec *resolved, gn_parser **parser);

/* For `train --cache FILE` without data files: the cache is the data. It cannot be rebuilt, so
 * a missing (GN_EIO), truncated or corrupt cache is an error that says -d DATA makes it. The
 * data flags in spec must agree with the cache (GN_EINVAL naming the field otherwise): every
 * field other than its default equals the cache's as requested or as resolved, and the label
 * kind (from the loss) equals the cache's; skip_bad and max_line are not checked (they only
 * matter when text is parsed). Returns the resolved spec, a parser holding the CSV columns
 * (owned by the caller) and the source files recorded in the cache (*files: *nfiles paths in
 * one allocation that the caller frees with free()). Blocks are checked as they are read. */
int gn__cache_open_alone(const char *path, const gn_data_spec *spec, gn_data_spec *resolved, gn_parser **parser,
                         char ***files, size_t *nfiles);

/* Opens part `part` of `nparts` of a cache (blocks dealt out in turn). Checks the header and
 * the trailer; each block's checksum is checked as it is read. */
int gn__cache_open_part(const char *path, uint32_t part, uint32_t nparts, gn_cache_reader **out);
/* For --shuffle: like gn__cache_open_part, but each pass reads the blocks in a seeded random
 * order: all the blocks are permuted with gn__permute_index (seeded by seed and the pass) and
 * position g goes to part g mod nparts, so the parts hold every example exactly once per pass and
 * the order depends only on seed, the pass, nparts and the cache. When a block holds more than
 * buffer_examples/32 examples, several blocks (at most 32) are read at once, taking one example
 * from each in turn, so that a buffer-full of buffer_examples mixes about 32 blocks. Memory: one
 * decompressed block per way read at once, and 8 bytes per block of the cache. Opens at pass 1. */
int gn__cache_open_shuffled(const char *path, uint32_t part, uint32_t nparts, uint64_t seed, size_t buffer_examples,
                            gn_cache_reader **out);
/* The number of blocks read at once (1 unless shuffled), for tests. */
size_t gn__cache_ways(const gn_cache_reader *r);
/* Like gn__source_next: up to max examples into b (cleared first); GN_EOF at the end. */
int gn__cache_next(gn_cache_reader *r, gn_batch *b, size_t max);
/* Starts the pass again (the same order). */
int gn__cache_rewind(gn_cache_reader *r);
/* Starts pass `pass` (1-based): a shuffled reader takes that pass's order; any other rewinds. */
int gn__cache_rewind_pass(gn_cache_reader *r, uint32_t pass);
uint64_t gn__cache_bytes_done(const gn_cache_reader *r);
uint64_t gn__cache_bytes_total(const gn_cache_reader *r);
void gn__cache_close(gn_cache_reader *r);

#endif
