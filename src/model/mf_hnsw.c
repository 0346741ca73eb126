/* model/mf_hnsw.c: building and searching the HNSW graph of a matrix-factorization model's items
 * (see model/mf_hnsw.h for the lifted rows that turn inner products into distances).
 *
 * As hnswlib does it: each node draws a top level from -ln(U) / ln(M); it is inserted by a
 * greedy descent from the entry point to its level, then on each of its levels a beam search of
 * ef_construction finds candidates, the neighbour heuristic (keep a candidate only if it is
 * closer to the node than to every neighbour kept so far) picks at most M (2 M on level 0), and
 * the links are made both ways (a full neighbour list is re-pruned with the same heuristic).
 * Threads insert nodes concurrently: a node's link lists are changed only under its lock (a byte
 * that a waiter spins on and yields after a few tries, since a plain spinlock burns whole time
 * slices on a loaded machine when its holder is descheduled) and no thread ever holds two; they
 * are read without it, word by word with atomic loads (a list being re-pruned may be read half
 * old, half new: every word is still a node id, and the beam only loses a little); the entry
 * point is guarded by a mutex, held through the (rare) insertion of a node above the top level. A query visits nodes through a small hash set, so it needs O(visited)
 * memory, not O(items); its scratch comes from a pool kept in the index, so a warm server
 * allocates nothing per query. */
#include "model/mf_hnsw.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "model/mf.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/error.h"
#include "util/mem.h"

#define MAX_LEVEL 31

/* ---- the dot product of two rows of dim floats (dim a multiple of 8) ---- */

typedef float v8f __attribute__((vector_size(32)));

/* Two copies of one kernel: AVX2 + FMA where the CPU has them (chosen once per index, stored in
 * it, so build and search of one graph compute the same floats), and the baseline. */
#define DOT_BODY                                                                                     \
    v8f acc0 = {0, 0, 0, 0, 0, 0, 0, 0}, acc1 = acc0, x, y;                                          \
    uint32_t f = 0;                                                                                  \
    for (; f + 16 <= dim; f += 16) {                                                                 \
        memcpy(&x, a + f, sizeof x);                                                                 \
        memcpy(&y, b + f, sizeof y);                                                                 \
        acc0 += x * y;                                                                               \
        memcpy(&x, a + f + 8, sizeof x);                                                             \
        memcpy(&y, b + f + 8, sizeof y);                                                             \
        acc1 += x * y;                                                                               \
    }                                                                                                \
    if (f < dim) {                                                                                   \
        memcpy(&x, a + f, sizeof x);                                                                 \
        memcpy(&y, b + f, sizeof y);                                                                 \
        acc0 += x * y;                                                                               \
    }                                                                                                \
    acc0 += acc1;                                                                                    \
    return ((acc0[0] + acc0[4]) + (acc0[1] + acc0[5])) + ((acc0[2] + acc0[6]) + (acc0[3] + acc0[7]));

__attribute__((target("avx2,fma"))) static float dot_avx2(const float *a, const float *b, uint32_t dim) { DOT_BODY }
static float dot_base(const float *a, const float *b, uint32_t dim) { DOT_BODY }

static inline float dot_of(const gn__mf_hnsw *h, const float *a, const float *b) {
    return h->avx2 ? dot_avx2(a, b, h->dim) : dot_base(a, b, h->dim);
}

static inline const float *row(const gn__mf_hnsw *h, uint32_t i) {
    return (const float *)(const void *)(h->node + (size_t)i * h->stride + h->row_off);
}

static inline uint32_t *links(const gn__mf_hnsw *h, uint32_t i, int lev) {
    return lev == 0 ? (uint32_t *)(void *)(h->node + (size_t)i * h->stride)
                    : h->upper + h->upper_at[i] + (size_t)(lev - 1) * (h->M + 1);
}

/* ---- heaps of (key, id): root = the smallest key (ties: the larger id) ---- */

typedef struct pair {
    float key;
    uint32_t id;
} pair;

static inline int below(pair a, pair b) { return a.key < b.key || (a.key == b.key && a.id > b.id); }

static void heap_push(pair *h, size_t *n, pair p) {
    size_t at = (*n)++;
    while (at > 0) {
        size_t up = (at - 1) / 2;
        if (!below(p, h[up])) break;
        h[at] = h[up];
        at = up;
    }
    h[at] = p;
}

/* Floyd's pop: the hole at the root goes down to a leaf along the better children, then the
 * last element rises from there; about half the comparisons of the textbook sift-down (the last
 * element usually belongs near the bottom), and the order (a strict one) is the same. */
static pair heap_pop(pair *h, size_t *n) {
    const pair top = h[0], last = h[--*n];
    const size_t m = *n;
    if (!m) return top;
    size_t at = 0;
    for (;;) {
        const size_t l = 2 * at + 1;
        if (l >= m) break;
        const size_t w = l + 1 < m && below(h[l + 1], h[l]) ? l + 1 : l;
        h[at] = h[w];
        at = w;
    }
    while (at > 0) {
        const size_t up = (at - 1) / 2;
        if (!below(last, h[up])) break;
        h[at] = h[up];
        at = up;
    }
    h[at] = last;
    return top;
}

/* ---- the visited set: an epoch-tagged array (build: one per thread) or a hash set (query) ---- */

typedef struct visited {
    uint32_t *tag, epoch; /* array mode: tag[i] == epoch once visited */
    size_t ntag;          /* array mode: its length */
    uint32_t *slot;       /* hash mode: i + 1 per used slot */
    size_t cap, used;
} visited;

static int hash_grow(visited *v) {
    const size_t cap = v->cap ? 2 * v->cap : 4096;
    uint32_t *s = calloc(cap, sizeof *s);
    if (!s) return -1;
    for (size_t j = 0; j < v->cap; j++) {
        if (!v->slot[j]) continue;
        size_t at = ((v->slot[j] - 1) * 0x9E3779B1u) & (cap - 1);
        while (s[at]) at = (at + 1) & (cap - 1);
        s[at] = v->slot[j];
    }
    free(v->slot);
    v->slot = s;
    v->cap = cap;
    return 0;
}

/* 1: i is new (now marked), 0: seen before, -1: out of memory */
static int visit(visited *v, uint32_t i) {
    if (v->tag) {
        if (v->tag[i] == v->epoch) return 0;
        v->tag[i] = v->epoch;
        return 1;
    }
    if (2 * (v->used + 1) > v->cap && hash_grow(v) != 0) return -1;
    size_t at = (i * 0x9E3779B1u) & (v->cap - 1);
    while (v->slot[at]) {
        if (v->slot[at] == i + 1) return 0;
        at = (at + 1) & (v->cap - 1);
    }
    v->slot[at] = i + 1;
    v->used++;
    return 1;
}

static void visited_reset(visited *v) {
    if (v->tag) {
        if (++v->epoch == 0) { /* wrapped: clear the tags */
            memset(v->tag, 0, v->ntag * sizeof *v->tag);
            v->epoch = 1;
        }
    } else if (v->used) {
        memset(v->slot, 0, v->cap * sizeof *v->slot);
        v->used = 0;
    }
}

/* ---- one beam search on one level ---- */

typedef struct gn__hnsw_scratch {
    struct gn__hnsw_scratch *next; /* in the index's pool */
    size_t ef;            /* the beam the buffers have room for */
    pair *out;            /* queries: the results drained best first; room for ef + 1 */
    visited vis;
    pair *cand;           /* min-heap on -sim: the best unexpanded node at the root */
    size_t ccap;
    pair *res;            /* min-heap on sim: the worst kept result at the root; room for ef + 1 */
    size_t rcap, nres;
    uint32_t *nb;         /* a copy of one link list (build: read under the node's lock) */
    int building;         /* 0: the graph is immutable (queries) */
} scratch;

typedef struct gn__hnsw_pool {
    pthread_mutex_t mu;
    scratch *top;
} pool;

static int scratch_init(scratch *s, const gn__mf_hnsw *h, size_t ef, uint32_t *tags, int building) {
    memset(s, 0, sizeof *s);
    s->vis.tag = tags;
    s->vis.ntag = tags ? h->n : 0;
    s->ccap = ef * 4 < 256 ? 256 : ef * 4;
    s->rcap = ef + 1;
    s->cand = malloc(s->ccap * sizeof *s->cand);
    s->res = malloc(s->rcap * sizeof *s->res);
    s->nb = malloc(((size_t)h->M0 + 1) * sizeof *s->nb);
    s->building = building;
    s->ef = ef;
    return s->cand && s->res && s->nb ? 0 : -1;
}

static void scratch_free(scratch *s) {
    free(s->cand);
    free(s->res);
    free(s->nb);
    free(s->out);
    free(s->vis.slot);
}

/* The link list of node i at lev: a pointer into the graph, or (while building) a copy read
 * without the node's lock (see the file comment): the count with acquire (it is stored with
 * release after the words it covers), the words relaxed. */
static const uint32_t *read_links(const gn__mf_hnsw *h, scratch *s, uint32_t i, int lev) {
    const uint32_t *l = links(h, i, lev);
    if (!s->building) return l;
    uint32_t cnt = __atomic_load_n(&l[0], __ATOMIC_ACQUIRE);
    const uint32_t cap = lev ? h->M : h->M0;
    if (cnt > cap) cnt = cap;
    s->nb[0] = cnt;
    for (uint32_t j = 1; j <= cnt; j++) s->nb[j] = __atomic_load_n(&l[j], __ATOMIC_RELAXED);
    return s->nb;
}

/* The per-node lock of the build: test, test-and-set, a yield every 64 failed tries. */
static void node_lock(unsigned char *l) {
    unsigned tries = 0;
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(l, __ATOMIC_RELAXED))
            if (++tries % 64 == 0) sched_yield();
}

static void node_unlock(unsigned char *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

/* Stores list words (under the node's lock) for lock-free readers: the words, then the count. */
static void store_links(uint32_t *l, const uint32_t *ids, uint32_t cnt, uint32_t from) {
    for (uint32_t j = from; j < cnt; j++) __atomic_store_n(&l[1 + j], ids[j - from], __ATOMIC_RELAXED);
    __atomic_store_n(&l[0], cnt, __ATOMIC_RELEASE);
}

/* The greedy descent: from (cur, cs) on level `from` down to level `to` + 1, one best step at a
 * time; returns the node reached, its sim in *cs. */
static uint32_t descend(const gn__mf_hnsw *h, scratch *s, const float *q, uint32_t cur, float *cs, int from, int to) {
    for (int lev = from; lev > to; lev--) {
        for (int changed = 1; changed;) {
            changed = 0;
            const uint32_t *l = read_links(h, s, cur, lev), cnt = l[0], *nb = l + 1;
            for (uint32_t j = 0; j < cnt; j++) {
                const float v = dot_of(h, q, row(h, nb[j]));
                if (v > *cs || (v == *cs && nb[j] < cur)) {
                    *cs = v;
                    cur = nb[j];
                    changed = 1;
                }
            }
        }
    }
    return cur;
}

/* Beam search of width ef on level lev from ep: s->res (a heap of s->nres) holds the best
 * admissible nodes found. 0, or -1 out of memory. */
static int search_level(const gn__mf_hnsw *h, scratch *s, const float *q, uint32_t ep, float es, size_t ef, int lev,
                        gn__mf_hnsw_skip skip, const void *ctx) {
    size_t nc = 0;
    s->nres = 0;
    visited_reset(&s->vis);
    if (visit(&s->vis, ep) < 0) return -1;
    heap_push(s->cand, &nc, (pair){-es, ep});
    if (!skip || !skip(ctx, ep)) heap_push(s->res, &s->nres, (pair){es, ep});
    while (nc) {
        const pair c = s->cand[0];
        if (s->nres == ef && -c.key < s->res[0].key) break;
        heap_pop(s->cand, &nc);
        /* the unvisited neighbours first, their rows prefetched, then their products: the
         * rows' cache misses overlap instead of coming one after another */
        const uint32_t *l = read_links(h, s, c.id, lev);
        uint32_t fresh_ids[2 * 64], nf = 0;
        for (uint32_t j = 0; j < l[0]; j++) {
            const int fresh = visit(&s->vis, l[1 + j]);
            if (fresh < 0) return -1;
            if (!fresh) continue;
            const char *r = (const char *)row(h, l[1 + j]);
            for (size_t off = 0; off < h->dim * sizeof(float); off += 64) __builtin_prefetch(r + off);
            fresh_ids[nf++] = l[1 + j];
        }
        for (uint32_t j = 0; j < nf; j++) {
            const uint32_t e = fresh_ids[j];
            const float v = dot_of(h, q, row(h, e));
            if (s->nres < ef || v > s->res[0].key) {
                if (nc == s->ccap) {
                    pair *g = realloc(s->cand, 2 * s->ccap * sizeof *g);
                    if (!g) return -1;
                    s->cand = g;
                    s->ccap *= 2;
                }
                heap_push(s->cand, &nc, (pair){-v, e});
                if (!skip || !skip(ctx, e)) {
                    heap_push(s->res, &s->nres, (pair){v, e});
                    if (s->nres > ef) heap_pop(s->res, &s->nres);
                }
            }
        }
        if (nc) __builtin_prefetch(links(h, s->cand[0].id, lev));
    }
    return 0;
}

/* s->res emptied into out, best first; returns the count. */
static size_t drain_best_first(scratch *s, pair *out) {
    size_t n = s->nres;
    while (s->nres) out[s->nres - 1] = heap_pop(s->res, &s->nres);
    return n;
}

/* The neighbour heuristic: of c (n candidates sorted best first by sim to the base node), keep
 * each one whose sim to the base beats its sim to every one kept before; at most mmax. */
static size_t select_neighbours(const gn__mf_hnsw *h, const pair *c, size_t n, size_t mmax, uint32_t *out) {
    size_t kept = 0;
    for (size_t j = 0; j < n && kept < mmax; j++) {
        int good = 1;
        const float *x = row(h, c[j].id);
        for (size_t r = 0; r < kept && good; r++)
            if (dot_of(h, x, row(h, out[r])) > c[j].key) good = 0;
        if (good) out[kept++] = c[j].id;
    }
    return kept;
}

static int cmp_pair_desc(const void *a, const void *b) {
    const pair *x = a, *y = b;
    return below(*y, *x) ? -1 : below(*x, *y) ? 1 : 0;
}

/* ---- building ---- */

typedef struct builder {
    gn__mf_hnsw *h;
    unsigned char *locks; /* n: node_lock */
    pthread_mutex_t top; /* guards h->entry and h->max_level */
    atomic_uint_fast32_t next;
    atomic_int failed;
} builder;

/* Links node c at level lev to the chosen ids both ways. w: room for M0 + 1 pairs. */
static void connect(builder *b, uint32_t c, int lev, const uint32_t *chosen, size_t nch, pair *w) {
    gn__mf_hnsw *h = b->h;
    const uint32_t cap = lev ? h->M : h->M0;
    uint32_t *lc = links(h, c, lev);
    node_lock(&b->locks[c]);
    store_links(lc, chosen, (uint32_t)nch, 0);
    node_unlock(&b->locks[c]);
    for (size_t j = 0; j < nch; j++) {
        const uint32_t o = chosen[j];
        uint32_t *lo = links(h, o, lev);
        node_lock(&b->locks[o]);
        const uint32_t cnt = __atomic_load_n(&lo[0], __ATOMIC_RELAXED); /* only lock holders store it */
        if (cnt < cap) {
            store_links(lo, &c, cnt + 1, cnt);
        } else { /* full: re-prune its list with the newcomer */
            const float *xo = row(h, o);
            size_t n = 0;
            for (uint32_t t = 0; t < cnt; t++) {
                const uint32_t e = __atomic_load_n(&lo[1 + t], __ATOMIC_RELAXED);
                w[n++] = (pair){dot_of(h, xo, row(h, e)), e};
            }
            w[n++] = (pair){dot_of(h, xo, row(h, c)), c};
            qsort(w, n, sizeof *w, cmp_pair_desc);
            uint32_t keep[2 * 64 + 1];
            store_links(lo, keep, (uint32_t)select_neighbours(h, w, n, cap, keep), 0);
        }
        node_unlock(&b->locks[o]);
    }
}

static int insert(builder *b, scratch *s, uint32_t c, pair *w, uint32_t *chosen) {
    gn__mf_hnsw *h = b->h;
    const int lc = h->level[c];
    pthread_mutex_lock(&b->top);
    const int top = h->max_level;
    const uint32_t ep0 = h->entry;
    const int raise = lc > top;
    if (!raise) pthread_mutex_unlock(&b->top);
    const float *q = row(h, c);
    float es = dot_of(h, q, row(h, ep0));
    uint32_t ep = descend(h, s, q, ep0, &es, top, lc);
    for (int lev = lc < top ? lc : top; lev >= 0; lev--) {
        if (search_level(h, s, q, ep, es, h->ef_construction, lev, NULL, NULL) != 0) {
            if (raise) pthread_mutex_unlock(&b->top);
            return -1;
        }
        const size_t n = drain_best_first(s, w);
        ep = w[0].id;
        es = w[0].key;
        const size_t nch = select_neighbours(h, w, n, h->M, chosen);
        connect(b, c, lev, chosen, nch, w);
    }
    if (raise) {
        h->entry = c;
        h->max_level = lc;
        pthread_mutex_unlock(&b->top);
    }
    return 0;
}

static void *build_worker(void *arg) {
    builder *b = arg;
    gn__mf_hnsw *h = b->h;
    scratch s;
    memset(&s, 0, sizeof s);
    uint32_t *tags = calloc(h->n, sizeof *tags);
    pair *w = malloc(((size_t)h->ef_construction + h->M0 + 2) * sizeof *w);
    uint32_t *chosen = malloc(((size_t)h->M0 + 1) * sizeof *chosen);
    if (!tags || !w || !chosen || scratch_init(&s, h, h->ef_construction, tags, 1) != 0) {
        scratch_free(&s);
        atomic_store(&b->failed, 1);
        free(tags), free(w), free(chosen);
        return NULL;
    }
    for (;;) {
        if (atomic_load(&b->failed)) break;
        const uint32_t c = (uint32_t)atomic_fetch_add(&b->next, 1);
        if (c >= h->n) break;
        if (insert(b, &s, c, w, chosen) != 0) atomic_store(&b->failed, 1);
    }
    scratch_free(&s);
    free(tags), free(w), free(chosen);
    return NULL;
}

static uint64_t splitmix(uint64_t *st) {
    uint64_t z = (*st += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void gn__mf_hnsw_free(gn__mf_hnsw *h) {
    if (!h) return;
    if (h->pool) {
        while (h->pool->top) {
            scratch *s = h->pool->top;
            h->pool->top = s->next;
            scratch_free(s);
            free(s);
        }
        pthread_mutex_destroy(&h->pool->mu);
        free(h->pool);
    }
    gn__table_free(h->node, h->node_bytes);
    free(h->level);
    free(h->upper_at);
    free(h->upper);
    free(h);
}

/* The lifted rows (model/mf_hnsw.h). */
static void fill_rows(const gn_mf *mf, gn__mf_hnsw *h) {
    const uint32_t K = mf->rank;
    double phi2 = 0;
    for (uint32_t i = 0; i < h->n; i++) {
        float *x = (float *)(void *)(h->node + (size_t)i * h->stride + h->row_off); /* zeroed */
        memcpy(x, mf->Q + (size_t)i * K, K * sizeof *x);
        x[K] = mf->ibias[i];
        double s = 0;
        for (uint32_t f = 0; f <= K; f++) s += (double)x[f] * x[f];
        x[K + 1] = (float)s; /* the squared norm, for now */
        if (s > phi2) phi2 = s;
    }
    for (uint32_t i = 0; i < h->n; i++) {
        float *x = (float *)(void *)(h->node + (size_t)i * h->stride + h->row_off);
        const double d = phi2 - x[K + 1];
        x[K + 1] = (float)sqrt(d > 0 ? d : 0);
    }
}

int gn__mf_hnsw_build(const gn_mf *mf, uint32_t M, uint32_t ef_construction, uint32_t ef_search, uint32_t threads,
                      uint64_t seed, gn__mf_hnsw **out) {
    *out = NULL;
    const double t0 = gn__now();
    const uint32_t n = mf->nitems;
    if (n == 0) return gn__fail(GN_EINVAL, "mf hnsw: the model has no items");
    if (M == 0) M = 16;
    if (M < 2 || M > 64) return gn__fail(GN_EINVAL, "mf hnsw: M %u is not in 2..64", M);
    if (ef_construction == 0) ef_construction = 100;
    if (ef_construction < M) ef_construction = M;
    threads = gn__threads_or_cores(threads);
    if (threads > 64) threads = 64;
    if (threads > n / 64 + 1) threads = n / 64 + 1;
    gn__mf_hnsw *h = calloc(1, sizeof *h);
    if (!h) return gn__fail(GN_ENOMEM, "mf hnsw: out of memory");
    if (!(h->pool = calloc(1, sizeof *h->pool))) {
        free(h);
        return gn__fail(GN_ENOMEM, "mf hnsw: out of memory");
    }
    pthread_mutex_init(&h->pool->mu, NULL);
    h->n = n;
    h->dim = (mf->rank + 2 + 7) & ~7u;
    h->M = M;
    h->M0 = 2 * M;
    h->ef_construction = ef_construction;
    h->ef_search = ef_search;
    h->build_threads = threads;
    __builtin_cpu_init();
    h->avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    h->row_off = (((size_t)h->M0 + 1) * sizeof(uint32_t) + 31) & ~(size_t)31;
    h->stride = h->row_off + (size_t)h->dim * sizeof(float);
    h->node_bytes = (size_t)n * h->stride;
    h->node = gn__table_alloc(h->node_bytes);
    h->level = malloc(n);
    h->upper_at = malloc((size_t)n * sizeof *h->upper_at);
    unsigned char *locks = calloc(n, 1);
    if (!h->node || !h->level || !h->upper_at || !locks) goto oom;
    /* levels, then the upper lists' offsets */
    uint64_t rng = seed, total = 0;
    const double ml = 1.0 / log((double)M);
    for (uint32_t i = 0; i < n; i++) {
        const double u = ((double)(splitmix(&rng) >> 11) + 0.5) * 0x1.0p-53;
        const double lv = -log(u) * ml;
        h->level[i] = (uint8_t)(lv > MAX_LEVEL ? MAX_LEVEL : (int)lv);
        h->upper_at[i] = total;
        total += (uint64_t)h->level[i] * (M + 1);
    }
    h->upper = calloc(total ? total : 1, sizeof *h->upper);
    if (!h->upper) goto oom;
    fill_rows(mf, h);
    builder b;
    b.h = h;
    b.locks = locks;
    pthread_mutex_init(&b.top, NULL);
    atomic_init(&b.next, 1);
    atomic_init(&b.failed, 0);
    h->entry = 0;
    h->max_level = h->level[0];
    pthread_t tid[64];
    uint32_t started = 0;
    for (uint32_t t = 1; t < threads; t++) {
        if (pthread_create(&tid[started], NULL, build_worker, &b) != 0) break;
        started++;
    }
    build_worker(&b);
    for (uint32_t t = 0; t < started; t++) pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&b.top);
    free(locks);
    locks = NULL;
    if (atomic_load(&b.failed)) goto oom;
    h->bytes = sizeof *h + (uint64_t)h->node_bytes + n + (uint64_t)n * 8 + total * 4;
    h->build_seconds = gn__now() - t0;
    *out = h;
    return GN_OK;
oom:
    free(locks);
    gn__mf_hnsw_free(h);
    return gn__fail(GN_ENOMEM, "mf hnsw: out of memory for %u items", n);
}

size_t gn__mf_hnsw_ef(const gn__mf_hnsw *h, uint32_t ef, size_t k) {
    size_t e = ef ? ef : h->ef_search;
    /* measured on clustered rank-64 factors (BENCHMARKS.md): recall@10 0.994 at 64 for 100k
     * items, but 0.865 at 64 and 0.970 at 128 for 1M items */
    const size_t floor = h->n >= 500000 ? 128 : 64;
    if (!e) e = 2 * k > floor ? 2 * k : floor;
    return e < k ? k : e;
}

int gn__mf_hnsw_search(const gn__mf_hnsw *h, const float *q, size_t ef, gn__mf_hnsw_skip skip, const void *ctx,
                       uint32_t *ids, float *sims, size_t *n_out) {
    *n_out = 0;
    if (ef == 0) return GN_OK;
    pthread_mutex_lock(&h->pool->mu);
    scratch *s = h->pool->top;
    if (s) h->pool->top = s->next;
    pthread_mutex_unlock(&h->pool->mu);
    if (s && s->ef < ef) { /* too small for this beam: a new one */
        scratch_free(s);
        free(s);
        s = NULL;
    }
    if (!s) {
        s = malloc(sizeof *s);
        if (!s || scratch_init(s, h, ef, NULL, 0) != 0 || !(s->out = malloc((ef + 1) * sizeof *s->out)) ||
            hash_grow(&s->vis) != 0) {
            if (s) scratch_free(s);
            free(s);
            return gn__fail(GN_ENOMEM, "recommend: out of memory");
        }
    }
    float es = dot_of(h, q, row(h, h->entry));
    const uint32_t ep = descend(h, s, q, h->entry, &es, h->max_level, 0);
    int st = GN_OK;
    if (search_level(h, s, q, ep, es, ef, 0, skip, ctx) != 0) {
        st = gn__fail(GN_ENOMEM, "recommend: out of memory");
    } else {
        const size_t n = drain_best_first(s, s->out);
        for (size_t j = 0; j < n; j++) {
            ids[j] = s->out[j].id;
            sims[j] = s->out[j].key;
        }
        *n_out = n;
    }
    pthread_mutex_lock(&h->pool->mu);
    s->next = h->pool->top;
    h->pool->top = s;
    pthread_mutex_unlock(&h->pool->mu);
    return st;
}
