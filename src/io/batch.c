/* io/batch.c: growth and bookkeeping of gn_batch, and the merge of repeated slots within an
 * example. */
#include "io/batch.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

int gn__batch_init(gn_batch *b, size_t cap_examples, size_t cap_features) {
    memset(b, 0, sizeof *b);
    if (cap_examples < 1) cap_examples = 1;
    if (cap_features < 16) cap_features = 16;
    b->label = malloc(cap_examples * sizeof *b->label);
    b->weight = malloc(cap_examples * sizeof *b->weight);
    b->key = malloc(cap_examples * sizeof *b->key);
    b->start = malloc((cap_examples + 1) * sizeof *b->start);
    b->index = malloc(cap_features * sizeof *b->index);
    b->value = malloc(cap_features * sizeof *b->value);
    if (!b->label || !b->weight || !b->key || !b->start || !b->index || !b->value) {
        gn__batch_free(b);
        return gn__fail(GN_ENOMEM, "out of memory allocating a batch");
    }
    b->cap = cap_examples;
    b->fcap = cap_features;
    b->start[0] = 0;
    return GN_OK;
}

void gn__batch_free(gn_batch *b) {
    if (!b) return;
    free(b->label);
    free(b->weight);
    free(b->key);
    free(b->start);
    free(b->index);
    free(b->value);
    free(b->stamp);
    free(b->xstart);
    free(b->xslot);
    free(b->xval);
    free(b->xgrp);
    memset(b, 0, sizeof *b);
}

void gn__batch_clear(gn_batch *b) {
    b->n = 0;
    b->nnz = 0;
    b->start[0] = 0;
    b->xn = 0;
    if (b->xstart) b->xstart[0] = 0;
}

int gn__batch_reserve_features(gn_batch *b, size_t more) {
    if (b->nnz + more <= b->fcap) return GN_OK;
    size_t cap = b->fcap * 2;
    while (cap < b->nnz + more) cap *= 2;
    uint32_t *idx = realloc(b->index, cap * sizeof *idx);
    if (!idx) return gn__fail(GN_ENOMEM, "out of memory growing a batch to %zu features", cap);
    b->index = idx;
    float *val = realloc(b->value, cap * sizeof *val);
    if (!val) return gn__fail(GN_ENOMEM, "out of memory growing a batch to %zu features", cap);
    b->value = val;
    b->fcap = cap;
    return GN_OK;
}

static int grow_examples(gn_batch *b) {
    size_t cap = b->cap * 2;
    float *l = realloc(b->label, cap * sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory growing a batch");
    b->label = l;
    float *w = realloc(b->weight, cap * sizeof *w);
    if (!w) return gn__fail(GN_ENOMEM, "out of memory growing a batch");
    b->weight = w;
    uint64_t *k = realloc(b->key, cap * sizeof *k);
    if (!k) return gn__fail(GN_ENOMEM, "out of memory growing a batch");
    b->key = k;
    size_t *s = realloc(b->start, (cap + 1) * sizeof *s);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory growing a batch");
    b->start = s;
    if (b->xstart) {
        size_t *x = realloc(b->xstart, (cap + 1) * sizeof *x);
        if (!x) return gn__fail(GN_ENOMEM, "out of memory growing a batch");
        b->xstart = x;
    }
    b->cap = cap;
    return GN_OK;
}

int gn__batch_begin_example(gn_batch *b, float label, float weight, uint64_t key) {
    if (b->n == b->cap) GN_TRY(grow_examples(b));
    b->label[b->n] = label;
    b->weight[b->n] = weight;
    b->key[b->n] = key;
    b->start[b->n] = b->nnz;
    if (b->xstart) b->xstart[b->n] = b->xn;
    return GN_OK;
}

int gn__batch_x_enable(gn_batch *b) {
    if (b->xstart) return GN_OK;
    b->xstart = calloc(b->cap + 1, sizeof *b->xstart);
    if (!b->xstart) return gn__fail(GN_ENOMEM, "out of memory");
    b->xn = 0;
    return GN_OK;
}

int gn__batch_x_copy(gn_batch *b, size_t from, unsigned char grp) {
    const size_t n = b->nnz - from;
    if (b->xn + n > b->xcap) {
        size_t cap = b->xcap ? b->xcap * 2 : 256;
        while (cap < b->xn + n) cap *= 2;
        uint32_t *sl = realloc(b->xslot, cap * sizeof *sl);
        if (!sl) return gn__fail(GN_ENOMEM, "out of memory");
        b->xslot = sl;
        float *v = realloc(b->xval, cap * sizeof *v);
        if (!v) return gn__fail(GN_ENOMEM, "out of memory");
        b->xval = v;
        unsigned char *g = realloc(b->xgrp, cap);
        if (!g) return gn__fail(GN_ENOMEM, "out of memory");
        b->xgrp = g;
        b->xcap = cap;
    }
    memcpy(b->xslot + b->xn, b->index + from, n * sizeof *b->xslot);
    memcpy(b->xval + b->xn, b->value + from, n * sizeof *b->xval);
    memset(b->xgrp + b->xn, grp, n);
    b->xn += n;
    return GN_OK;
}

/* Entries of the filter that tells, without sorting, that an example's slots are all distinct. */
#define STAMP_SLOTS 65536u

/* Sorts n (slot, value) pairs by slot: insertion sort for short runs, else quicksort (median of
 * three) on the pairs packed as slot << 32 | value bits. */
void gn__sort_packed(uint64_t *a, size_t n) {
    while (n > 24) {
        uint64_t x = a[0], y = a[n / 2], z = a[n - 1];
        uint64_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        size_t i = 0, j = n - 1;
        for (;;) {
            while ((a[i] >> 32) < (pivot >> 32)) i++;
            while ((a[j] >> 32) > (pivot >> 32)) j--;
            if (i >= j) break;
            uint64_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        /* recurse into the smaller side, loop on the larger (bounded stack) */
        if (j + 1 < n - j - 1) {
            gn__sort_packed(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            gn__sort_packed(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (size_t i = 1; i < n; i++) {
        uint64_t v = a[i];
        size_t k = i;
        while (k > 0 && (a[k - 1] >> 32) > (v >> 32)) {
            a[k] = a[k - 1];
            k--;
        }
        a[k] = v;
    }
}

/* 1 if some slot of the example [s0, s1) may occur twice (exact: 0 means all distinct). Slots in
 * increasing order (LIBSVM rows) need one comparison each. Otherwise each slot stamps its entry of
 * a 64 KiB filter with the example's generation (one pass, no branch, nothing to clear: the filter
 * is wiped once every 255 examples), and only a stamp already there (about n^2 / 2^17 of the
 * examples with n features, plus the real repeats) pays for a sort. */
static int may_repeat(gn_batch *b, size_t s0, size_t s1) {
    const uint32_t *restrict idx = b->index;
    size_t i = s0 + 1;
    while (i < s1 && idx[i] > idx[i - 1]) i++;
    if (i == s1) return 0;
    if (!b->stamp && !(b->stamp = calloc(STAMP_SLOTS, 1))) return 1; /* sort instead */
    if (++b->generation == 0) {
        memset(b->stamp, 0, STAMP_SLOTS);
        b->generation = 1;
    }
    unsigned char *restrict stamp = b->stamp;
    const unsigned char g = b->generation;
    int hit = 0;
    for (i = s0; i < s1; i++) {
        unsigned char *e = stamp + (idx[i] & (STAMP_SLOTS - 1));
        hit |= *e == g;
        *e = g;
    }
    return hit;
}

/* Sorts the example's features by slot and merges repeated slots (values summed). */
static void merge_repeats(gn_batch *b, size_t s0) {
    const size_t n = b->nnz - s0;
    uint32_t *idx = b->index + s0;
    float *val = b->value + s0;
    uint64_t small[64];
    uint64_t *p = n <= 64 ? small : malloc(n * sizeof *p);
    if (!p) { /* no memory for the fast way: merge in place in O(n^2) */
        size_t out = 0;
        for (size_t i = 0; i < n; i++) {
            size_t k = 0;
            while (k < out && idx[k] != idx[i]) k++;
            if (k < out) val[k] += val[i];
            else { idx[out] = idx[i]; val[out] = val[i]; out++; }
        }
        b->nnz = s0 + out;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &val[i], sizeof u);
        p[i] = (uint64_t)idx[i] << 32 | u;
    }
    gn__sort_packed(p, n);
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        const uint32_t slot = (uint32_t)(p[i] >> 32);
        double sum = 0.0; /* in input order within a slot would differ only by rounding */
        for (; i < n && (uint32_t)(p[i] >> 32) == slot; i++) {
            uint32_t u = (uint32_t)p[i];
            float f;
            memcpy(&f, &u, sizeof f);
            sum += f;
        }
        if (sum == 0.0) continue;
        if (sum > FLT_MAX) sum = FLT_MAX; /* two values each in float range may sum beyond it */
        if (sum < -FLT_MAX) sum = -FLT_MAX;
        idx[out] = slot;
        val[out] = (float)sum;
        out++;
    }
    b->nnz = s0 + out;
    if (p != small) free(p);
}

void gn__batch_end_example(gn_batch *b) {
    const size_t s0 = b->start[b->n];
    if (!b->keep_repeats && b->nnz - s0 > 1 && may_repeat(b, s0, b->nnz)) merge_repeats(b, s0);
    b->n++;
    b->start[b->n] = b->nnz;
    if (b->xstart) b->xstart[b->n] = b->xn;
}

void gn__batch_abort_example(gn_batch *b) {
    b->nnz = b->start[b->n];
    if (b->xstart) b->xn = b->xstart[b->n];
}

int gn__batch_copy_example(gn_batch *dst, const gn_batch *src, size_t i) {
    const size_t n = src->start[i + 1] - src->start[i];
    GN_TRY(gn__batch_reserve_features(dst, n));
    if (src->xstart && !dst->xstart) GN_TRY(gn__batch_x_enable(dst));
    GN_TRY(gn__batch_begin_example(dst, src->label[i], src->weight[i], src->key[i]));
    memcpy(dst->index + dst->nnz, src->index + src->start[i], n * sizeof *dst->index);
    memcpy(dst->value + dst->nnz, src->value + src->start[i], n * sizeof *dst->value);
    dst->nnz += n;
    if (src->xstart) { /* the x lists: copied as a group-0 block, then their groups */
        const size_t x0 = src->xstart[i], xn = src->xstart[i + 1] - x0, at = dst->nnz;
        if (xn) {
            /* reuse x_copy through the feature arrays' spare room */
            GN_TRY(gn__batch_reserve_features(dst, xn));
            memcpy(dst->index + at, src->xslot + x0, xn * sizeof *dst->index);
            memcpy(dst->value + at, src->xval + x0, xn * sizeof *dst->value);
            dst->nnz += xn;
            size_t start = dst->xn;
            int st = gn__batch_x_copy(dst, at, 0);
            dst->nnz = at;
            GN_TRY(st);
            memcpy(dst->xgrp + start, src->xgrp + x0, xn);
        }
    }
    gn__batch_end_example(dst);
    return GN_OK;
}
