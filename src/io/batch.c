/* io/batch.c: growth and bookkeeping of gn_batch. */
#include "io/batch.h"

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
    memset(b, 0, sizeof *b);
}

void gn__batch_clear(gn_batch *b) {
    b->n = 0;
    b->nnz = 0;
    b->start[0] = 0;
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
    b->cap = cap;
    return GN_OK;
}

int gn__batch_begin_example(gn_batch *b, float label, float weight, uint64_t key) {
    if (b->n == b->cap) GN_TRY(grow_examples(b));
    b->label[b->n] = label;
    b->weight[b->n] = weight;
    b->key[b->n] = key;
    b->start[b->n] = b->nnz;
    return GN_OK;
}

void gn__batch_end_example(gn_batch *b) {
    b->n++;
    b->start[b->n] = b->nnz;
}

void gn__batch_abort_example(gn_batch *b) { b->nnz = b->start[b->n]; }
