/* util/mem.h: large zeroed tables (weights + optimizer state). Big tables are mmap'ed and
 * advised to use transparent huge pages where the OS allows, which cuts TLB misses on random
 * weight access at --bits 24+. */
#ifndef GN_UTIL_MEM_H
#define GN_UTIL_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Returns zeroed memory of `bytes` (64-byte aligned), or NULL. */
void *gn__table_alloc(size_t bytes);
void gn__table_free(void *p, size_t bytes);
/* Grows the heap block *p (holding `used` bytes, or NULL) to at least `bytes`, keeping its
 * contents; blocks of 1 to 32 MiB are placed for huge pages (see mem.c). The block is freed with
 * free() and may be grown again. Returns 0, or -1 (nothing changed) when out of memory. */
int gn__grow_block(void **p, size_t used, size_t bytes);
/* A size in bytes for messages, in the largest binary unit it fills: "512 bytes", "1.0 KiB",
 * "20.0 MiB", "2.5 GiB" (one decimal). Writes at most size bytes to buf and returns buf. */
const char *gn__bytes_text(uint64_t bytes, char *buf, size_t size);
/* A quarter of the machine's physical memory in bytes (1 GiB when unknown): the budget of
 * in-memory stores that fall back to streaming past it. */
uint64_t gn__memory_quarter(void);
/* Peak resident set size of this process in bytes (0 if unknown). */
size_t gn__peak_rss(void);

#endif
