/* model/mf_index.h: the inner-product index of a matrix-factorization model's items (IVF), built
 * when a model is loaded for serving (model/mf_index.c) and searched by model/recommend.c.
 *
 * Items are clustered by k-means into lists; each list holds its items' rows contiguously, in
 * ascending item order, each row augmented with the item's bias:
 *
 *   row(i) = [Q[i] (rank floats), ibias[i], 0 ... 0]   (dim floats, dim = rank + 1 rounded up to 8)
 *
 * so that [P[u], 1, 0 ...] . row(i) = ibias[i] + P[u] . Q[i], the part of the explicit score
 * that depends on the item (mean + ubias[u] is the same for every item); implicit models have
 * zero biases. A query scores the centroids, scans the best nprobe lists exactly, and reranks
 * its candidates with the exact scan's own arithmetic (model/recommend.c). The index is immutable once built and
 * belongs to the model's tables (gn_mf.index): it is freed, and swapped on reload, with them. */
#ifndef GN_MODEL_MF_INDEX_H
#define GN_MODEL_MF_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct gn_kind_payload;

typedef struct gn__mf_index {
    uint32_t nlists, dim, nitems;
    uint32_t nprobe;       /* the default lists probed per query */
    float *cent;           /* nlists x dim: the lists' centroids (augmented like the rows) */
    uint32_t *list_ptr;    /* nlists + 1: list l is ids/rows [list_ptr[l], list_ptr[l + 1]) */
    uint32_t *ids;         /* nitems: the item index of each row */
    float *rows;           /* nitems x dim */
    uint64_t bytes;        /* memory held by the arrays above */
    double build_seconds;
} gn__mf_index;

/* Builds the index of mf's items into *out: nlists lists (0: about sqrt(items)), k-means on a
 * seeded sample of at most 64 items per list, iters iterations. nprobe: the default for queries
 * (0: a tenth of the lists, at least 1). GN_EINVAL without items, GN_ENOMEM. */
int gn__mf_index_build(const struct gn_kind_payload *mf, uint32_t nlists, uint32_t nprobe, uint32_t iters,
                       uint64_t seed, gn__mf_index **out);
void gn__mf_index_free(gn__mf_index *ix);

#endif
