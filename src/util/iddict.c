/* util/iddict.c: string ids to dense indices (util/iddict.h). */
#include "util/iddict.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct gn_iddict {
    char *arena;          /* ids, each followed by a NUL */
    size_t arena_len, arena_cap;
    uint64_t *off;        /* off[i]: where id i starts in the arena; off[n]: the end */
    size_t n, off_cap;
    uint64_t *table;      /* open addressing: (hash >> 32) << 32 | (index + 1); 0 empty. The hash's
                             high half is compared before the arena is touched */
    size_t table_cap;     /* a power of two */
};

gn_iddict *gn__iddict_new(void) {
    gn_iddict *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->table_cap = 1024;
    d->off_cap = 512;
    d->arena_cap = 8192;
    d->table = calloc(d->table_cap, sizeof *d->table);
    d->off = malloc(d->off_cap * sizeof *d->off);
    d->arena = malloc(d->arena_cap);
    if (!d->table || !d->off || !d->arena) {
        gn__iddict_free(d);
        return NULL;
    }
    d->off[0] = 0;
    return d;
}

void gn__iddict_free(gn_iddict *d) {
    if (!d) return;
    free(d->arena);
    free(d->off);
    free(d->table);
    free(d);
}

size_t gn__iddict_size(const gn_iddict *d) { return d->n; }

const char *gn__iddict_name(const gn_iddict *d, uint32_t i, size_t *len) {
    *len = (size_t)(d->off[i + 1] - d->off[i] - 1);
    return d->arena + d->off[i];
}

size_t gn__iddict_bytes(const gn_iddict *d) {
    return d->arena_cap + d->off_cap * sizeof *d->off + d->table_cap * sizeof *d->table;
}

static int same(const gn_iddict *d, uint32_t i, const char *s, size_t len) {
    return d->off[i + 1] - d->off[i] - 1 == len && memcmp(d->arena + d->off[i], s, len) == 0;
}

static uint32_t find_hashed(const gn_iddict *d, const char *s, size_t len, uint64_t hash) {
    const size_t mask = d->table_cap - 1;
    const uint64_t tag = hash & 0xFFFFFFFF00000000ull;
    for (size_t h = (size_t)hash & mask;; h = (h + 1) & mask) {
        const uint64_t e = d->table[h];
        if (!e) return GN_IDDICT_NONE;
        const uint32_t i = (uint32_t)e - 1;
        if ((e & 0xFFFFFFFF00000000ull) == tag && same(d, i, s, len)) return i;
    }
}

uint32_t gn__iddict_find(const gn_iddict *d, const char *s, size_t len) {
    return find_hashed(d, s, len, XXH3_64bits(s, len));
}

static int grow_table(gn_iddict *d) {
    const size_t cap = d->table_cap * 2, mask = cap - 1;
    uint64_t *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t k = 0; k < d->table_cap; k++) { /* the stored tags hold the hash's high half only */
        const uint64_t e = d->table[k];
        if (!e) continue;
        const uint32_t i = (uint32_t)e - 1;
        const uint64_t hash = XXH3_64bits(d->arena + d->off[i], (size_t)(d->off[i + 1] - d->off[i] - 1));
        size_t h = (size_t)hash & mask;
        while (t[h]) h = (h + 1) & mask;
        t[h] = e;
    }
    free(d->table);
    d->table = t;
    d->table_cap = cap;
    return 0;
}

int gn__iddict_add(gn_iddict *d, const char *s, size_t len, uint32_t *index) {
    const uint64_t hash = XXH3_64bits(s, len);
    uint32_t found = find_hashed(d, s, len, hash);
    if (found != GN_IDDICT_NONE) {
        *index = found;
        return 0;
    }
    if (len > GN_IDDICT_MAX_LEN || d->n >= GN_IDDICT_MAX_IDS - 1) return -2;
    if ((d->n + 1) * 2 > d->table_cap && grow_table(d) != 0) return -1;
    if (d->n + 2 > d->off_cap) {
        uint64_t *o = realloc(d->off, d->off_cap * 2 * sizeof *o);
        if (!o) return -1;
        d->off = o;
        d->off_cap *= 2;
    }
    if (d->arena_len + len + 1 > d->arena_cap) {
        size_t cap = d->arena_cap * 2;
        while (cap < d->arena_len + len + 1) cap *= 2;
        char *a = realloc(d->arena, cap);
        if (!a) return -1;
        d->arena = a;
        d->arena_cap = cap;
    }
    memcpy(d->arena + d->arena_len, s, len);
    d->arena[d->arena_len + len] = '\0';
    d->arena_len += len + 1;
    d->off[d->n + 1] = d->arena_len;
    const size_t mask = d->table_cap - 1;
    size_t h = (size_t)hash & mask;
    while (d->table[h]) h = (h + 1) & mask;
    d->table[h] = (hash & 0xFFFFFFFF00000000ull) | ((uint64_t)d->n + 1);
    *index = (uint32_t)d->n++;
    return 0;
}
