/* model/mf_hnsw.h: the HNSW graph index of a matrix-factorization model's items (Malkov and
 * Yashunin, "Efficient and robust approximate nearest neighbor search using Hierarchical
 * Navigable Small World graphs", 2016), built in memory when a model is loaded for serving
 * (model/mf_hnsw.c) and searched by model/recommend.c.
 *
 * Maximum inner product search is turned into nearest-neighbour search by the standard lift
 * (Bachrach et al., 2014): each item's augmented row x_i = [Q[i], ibias[i]] gets one more
 * coordinate, sqrt(PHI^2 - |x_i|^2) with PHI the largest |x_i|, so every stored row has norm
 * PHI and the L2 distance between two rows ranks like minus their dot product. A query
 * [P[u], 1, 0] has 0 in the lifted coordinate, so its L2 distance to row i ranks like minus
 * ibias[i] + P[u] . Q[i], the item-dependent part of the explicit score (implicit models have
 * zero biases). Building and searching therefore only ever compare dot products ("sims").
 *
 *   row(i) = [Q[i] (rank floats), ibias[i], lift_i, 0 ... 0]   (dim floats, rank + 2 rounded up to 8)
 *
 * The graph is immutable once built and belongs to the model's tables (gn_mf.hnsw), freed and
 * swapped on reload with them; searches only read it (thread-safe; the pool of their scratch
 * has its own lock). */
#ifndef GN_MODEL_MF_HNSW_H
#define GN_MODEL_MF_HNSW_H

#include <stddef.h>
#include <stdint.h>

struct gn_kind_payload;
struct gn__hnsw_pool;

typedef struct gn__mf_hnsw {
    uint32_t n, dim;
    uint32_t M, M0;             /* links per node on upper levels / on level 0 (2 M) */
    uint32_t ef_construction;
    uint32_t ef_search;         /* the default beam width of a query (0: derived from k) */
    /* Node i's level-0 links, [count, neighbours...] (M0 + 1 uint32, padded to 32 bytes), then
     * its lifted row (dim floats), in one block of `stride` bytes at node + i * stride: a node's
     * links and row share a page and usually adjacent cache lines, and the whole table lies on
     * transparent huge pages (util/mem.h), which the random walks of the build and the search
     * need far fewer TLB misses on than on 4 KiB pages. */
    unsigned char *node;
    size_t stride, row_off, node_bytes;
    uint8_t *level;             /* n: each node's top level */
    uint64_t *upper_at;         /* n: offset of the node's upper links in upper (levels 1..level) */
    uint32_t *upper;            /* per node with level L >= 1: L x (M + 1), [count, neighbours...] */
    uint32_t entry;             /* the node of the top level */
    int max_level;
    uint64_t bytes;             /* memory held by the arrays above */
    double build_seconds;
    uint32_t build_threads;
    int avx2;                   /* 1: the AVX2 + FMA dot product */
    /* Query scratch (beam heaps, visited set) kept between searches: a search pops one from
     * this stack (or allocates one) and pushes it back, so a warm server allocates nothing per
     * query. The pool's own mutex is held only to pop or push; the graph stays read-only. */
    struct gn__hnsw_pool *pool;
} gn__mf_hnsw;

/* Builds the graph of mf's items into *out with `threads` threads (0: all cores; 1: the graph is
 * a function of the model and seed alone). M: links per node (0: 16), ef_construction (0: 100),
 * ef_search: the default query beam (0: derived from k per query, see gn__mf_hnsw_ef). GN_EINVAL
 * without items, GN_ENOMEM (nothing kept). */
int gn__mf_hnsw_build(const struct gn_kind_payload *mf, uint32_t M, uint32_t ef_construction, uint32_t ef_search,
                      uint32_t threads, uint64_t seed, gn__mf_hnsw **out);
void gn__mf_hnsw_free(gn__mf_hnsw *h);

/* The beam width a query for k items uses: ef (a request's) or the index's default, or when both
 * are 0, max(64, 2 k) (max(128, 2 k) from 500,000 items); never below k. */
size_t gn__mf_hnsw_ef(const gn__mf_hnsw *h, uint32_t ef, size_t k);

/* Returns 1 if item i must not be returned (exclusions); called only for items that would
 * enter the results. */
typedef int (*gn__mf_hnsw_skip)(const void *ctx, uint32_t i);

/* The (up to) ef admissible items with the largest q . row, best first, into ids/sims (room for
 * ef each); q has dim floats with q[rank + 1] = 0. Excluded items are still walked through (they
 * connect the graph) but never returned. GN_ENOMEM. Thread-safe. */
int gn__mf_hnsw_search(const gn__mf_hnsw *h, const float *q, size_t ef, gn__mf_hnsw_skip skip, const void *ctx,
                       uint32_t *ids, float *sims, size_t *n_out);

#endif
