/* io/shuffle.c: the bounded shuffle buffer (see shuffle.h): fill, permute (Fisher-Yates with a
 * splitmix64 stream), hand out in that order. */
#include "io/shuffle.h"

#include <stdlib.h>
#include <string.h>

#include "hash/hash.h"
#include "util/error.h"

struct gn_shuffler {
    size_t cap;
    uint64_t seed, rng;
    gn_batch buf, tmp;
    size_t *order;
    size_t next;   /* position in order of the next example to hand out */
    int eof;       /* the input is exhausted */
};


int gn__shuffler_new(size_t cap, uint64_t seed, gn_shuffler **out) {
    if (cap < 1) cap = 1;
    gn_shuffler *s = calloc(1, sizeof *s);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    s->cap = cap;
    s->seed = seed;
    s->order = malloc(cap * sizeof *s->order);
    int st = GN_OK;
    if (!s->order) st = gn__fail(GN_ENOMEM, "out of memory for a shuffle buffer of %zu examples", cap);
    if (st == GN_OK) st = gn__batch_init(&s->buf, cap, cap * 16);
    if (st == GN_OK) st = gn__batch_init(&s->tmp, 1024, 1024 * 16);
    if (st != GN_OK) {
        gn__shuffler_free(s);
        return st;
    }
    gn__shuffler_reset(s, 1);
    *out = s;
    return GN_OK;
}

void gn__shuffler_reset(gn_shuffler *s, uint32_t pass) {
    s->rng = s->seed ^ ((uint64_t)pass * 0xD1B54A32D192ED03ull);
    gn__batch_clear(&s->buf);
    s->next = 0;
    s->eof = 0;
}

/* Reads the next buffer-full and shuffles its order. */
static int refill(gn_shuffler *s, gn_batch_fn next, void *ctx) {
    gn_batch *buf = &s->buf;
    gn__batch_clear(buf);
    s->next = 0;
    while (!s->eof && buf->n < s->cap) {
        size_t want = s->cap - buf->n;
        int st = next(ctx, &s->tmp, want < 1024 ? want : 1024);
        if (st == GN_EOF) {
            s->eof = 1;
            break;
        }
        if (st != GN_OK) return st;
        const gn_batch *t = &s->tmp;
        GN_TRY(gn__batch_reserve_features(buf, t->nnz));
        for (size_t i = 0; i < t->n; i++) GN_TRY(gn__batch_copy_example(buf, t, i));
    }
    for (size_t i = 0; i < buf->n; i++) s->order[i] = i;
    for (size_t i = buf->n; i > 1; i--) {
        size_t j = (size_t)(gn__splitmix64(&s->rng) % i);
        size_t x = s->order[i - 1];
        s->order[i - 1] = s->order[j];
        s->order[j] = x;
    }
    return GN_OK;
}

int gn__shuffler_next(gn_shuffler *s, gn_batch_fn next, void *ctx, gn_batch *b, size_t max) {
    gn__batch_clear(b);
    if (s->next >= s->buf.n) {
        if (s->eof) return GN_EOF;
        GN_TRY(refill(s, next, ctx));
        if (s->buf.n == 0) return GN_EOF;
    }
    const gn_batch *buf = &s->buf;
    while (b->n < max && s->next < buf->n) {
        GN_TRY(gn__batch_copy_example(b, buf, s->order[s->next++]));
    }
    return GN_OK;
}

uint64_t gn__permute_index(uint64_t i, uint64_t n, uint64_t key) {
    if (n <= 1) return 0;
    int half = 1; /* the domain is 2^(2*half) >= n: at most 4n, so the walk is short */
    while (half < 32 && ((uint64_t)1 << (2 * half)) < n) half++;
    const uint64_t mask = ((uint64_t)1 << half) - 1;
    uint64_t x = i;
    do { /* cycle walking: x < n is reached again, because the cycle through i holds i */
        uint64_t l = x >> half, r = x & mask;
        for (uint64_t round = 0; round < 4; round++) {
            uint64_t f = gn__mix64(r ^ key ^ (round * 0x9E3779B97F4A7C15ull)) & mask;
            uint64_t nl = r;
            r = l ^ f;
            l = nl;
        }
        x = (l << half) | r;
    } while (x >= n);
    return x;
}

uint64_t gn__permute_key(uint64_t seed, uint32_t pass) {
    return gn__mix64(seed ^ 0x6368756E6B73ull /* "chunks" */) ^ gn__mix64((uint64_t)pass + 1);
}

void gn__shuffler_free(gn_shuffler *s) {
    if (!s) return;
    gn__batch_free(&s->buf);
    gn__batch_free(&s->tmp);
    free(s->order);
    free(s);
}
