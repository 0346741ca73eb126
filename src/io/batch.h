/* io/batch.h: a batch of parsed, hashed examples in CSR layout. One batch can be read by many
 * learners at once (model selection); it is never modified while they read it. */
#ifndef GN_IO_BATCH_H
#define GN_IO_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"

typedef struct gn_batch {
    size_t n, cap;        /* examples held / allocated */
    float *label;         /* as read (binary labels are mapped to +1/-1) */
    float *weight;        /* importance weight, 1 unless the format gives one */
    uint64_t *key;        /* stable identity of the example: (file index << 40) ^ byte offset of
                             its line; used for holdout and fold assignment */
    size_t *start;        /* n+1 offsets into index/value */
    uint32_t *index;      /* hashed slot, < 2^bits */
    float *value;
    size_t nnz, fcap;     /* features held / allocated */
    unsigned char *stamp; /* scratch filter for finding repeated slots (gn__batch_end_example) */
    unsigned char generation; /* the stamp of the example being closed */
    unsigned char keep_repeats; /* gn__batch_end_example leaves the features as pushed (a reader
                                 * that weighs them later, io/textstore.c) */
    /* Interactions (io/cross.h): a copy of the features of the crossed columns/namespaces, with
     * their group, for the learner to cross. NULL unless a parser with --interactions made them
     * (gn__batch_x_enable); example e's are [xstart[e], xstart[e + 1]). */
    size_t *xstart;
    uint32_t *xslot;
    float *xval;
    unsigned char *xgrp;
    size_t xn, xcap;
} gn_batch;

int gn__batch_init(gn_batch *b, size_t cap_examples, size_t cap_features);
/* The batch's examples as rows for scoring (a view: valid while b is unchanged). */
static inline gn_rows gn__batch_rows(const gn_batch *b) {
    gn_rows r = {b->n, b->start, b->index, b->value};
    return r;
}
/* The rows [from, from + n) of b as a view (scores of a part of a batch). */
static inline gn_rows gn__batch_rows_range(const gn_batch *b, size_t from, size_t n) {
    gn_rows r = {n, b->start + from, b->index, b->value};
    return r;
}
/* The examples [from, from + n) of b as a batch of their own for learning (a view: valid while b
 * is unchanged; not to be grown or cleared). */
static inline gn_batch gn__batch_view(const gn_batch *b, size_t from, size_t n) {
    gn_batch v = *b;
    v.n = v.cap = n;
    v.label += from;
    v.weight += from;
    v.key += from;
    v.start += from;
    if (v.xstart) v.xstart += from;
    v.stamp = NULL;
    return v;
}
void gn__batch_free(gn_batch *b);
void gn__batch_clear(gn_batch *b);
/* Makes room for `more` features; GN_ENOMEM on failure. */
int gn__batch_reserve_features(gn_batch *b, size_t more);
/* Begins a new example (grows arrays as needed); features are then appended with
 * gn__batch_push and the example is closed by gn__batch_end_example. */
int gn__batch_begin_example(gn_batch *b, float label, float weight, uint64_t key);
static inline void gn__batch_push(gn_batch *b, uint32_t index, float value) {
    b->index[b->nnz] = index;
    b->value[b->nnz] = value;
    b->nnz++;
}
/* Closes the example. A slot that occurs more than once in it (a repeated word, a hash collision)
 * is merged into one feature whose value is the sum (dropped when the sum is 0), so every learner
 * sees each slot once per example; the features are then in increasing slot order. Examples
 * whose slots are already strictly increasing (LIBSVM rows) are left exactly as they are. */
void gn__batch_end_example(gn_batch *b);
/* Sorts n (slot << 32 | payload) pairs by slot (the order of equal slots is unspecified). */
void gn__sort_packed(uint64_t *a, size_t n);
/* Starts the x lists (all examples so far have none). GN_ENOMEM. */
int gn__batch_x_enable(gn_batch *b);
/* Copies the features [from, b->nnz) of the example in progress to its x lists as group grp. */
int gn__batch_x_copy(gn_batch *b, size_t from, unsigned char grp);
/* Appends example i of src to dst (features, and x lists when src has them). GN_ENOMEM. */
int gn__batch_copy_example(gn_batch *dst, const gn_batch *src, size_t i);
/* Drops the example begun last (after a parse error). */
void gn__batch_abort_example(gn_batch *b);

#endif
