/* util/iddict.h: a dictionary of string ids (user and item names of matrix factorization) mapped
 * to dense indices 0, 1, 2, ... in the order they were first added. The strings live in one
 * arena; lookups hash with XXH3 into an open-addressing table of indices. Lookups on a dictionary
 * nobody adds to are thread-safe. */
#ifndef GN_UTIL_IDDICT_H
#define GN_UTIL_IDDICT_H

#include <stddef.h>
#include <stdint.h>

typedef struct gn_iddict gn_iddict;

#define GN_IDDICT_NONE UINT32_MAX
#define GN_IDDICT_MAX_LEN 4096u /* longest id, bytes */
#define GN_IDDICT_MAX_IDS ((uint32_t)1 << 31)

gn_iddict *gn__iddict_new(void); /* NULL when out of memory */
void gn__iddict_free(gn_iddict *d);
/* The index of s[0, len), added when new. 0, -1 out of memory, -2 when len is over
 * GN_IDDICT_MAX_LEN or the dictionary is full. */
int gn__iddict_add(gn_iddict *d, const char *s, size_t len, uint32_t *index);
/* The index of s[0, len), or GN_IDDICT_NONE. */
uint32_t gn__iddict_find(const gn_iddict *d, const char *s, size_t len);
size_t gn__iddict_size(const gn_iddict *d);
/* The id of index i (< size), NUL-terminated (an id may hold a NUL: *len is its length). */
const char *gn__iddict_name(const gn_iddict *d, uint32_t i, size_t *len);
/* Bytes the dictionary holds (arena, offsets, table). */
size_t gn__iddict_bytes(const gn_iddict *d);

#endif
