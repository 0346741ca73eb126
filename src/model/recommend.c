/* model/recommend.c: top-k recommendation and predictions by id for kind mf (gannet/recommend.h).
 * Scoring every item is a matrix-vector product of the item factors (contiguous rows) with the
 * user's factors, done over blocks of items into a small buffer (scan_block); a model with an
 * index (IVF, model/mf_index.h, or HNSW, model/mf_hnsw.h) is searched through it instead, its
 * candidates rescored exactly (exact_rescore); a min-heap of k
 * keeps the best, and an item is checked against the exclusions only when it would enter the
 * heap. Everything reads the model: thread-safe. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/recommend.h"
#include "model/mf.h"
#include "model/mf_index.h"
#include "model/model.h"
#include "model/recommend_internal.h"
#include "util/cores.h"
#include "util/error.h"
#include "util/sorted.h"

/* Items per sgemv: at most 512, and at most 8192 floats of factors, so OpenBLAS computes each
 * product on the calling thread (a server worker) instead of starting threads of its own. */
#define SCAN_BLOCK 512u
#define SCAN_FLOATS 8192u

void gn_recommend_options_init(gn_recommend_options *o) {
    if (o) memset(o, 0, sizeof *o);
}

/* ---- the heap: root = the worst kept (lowest score; ties: the larger index) ---- */

static int worse(float sa, uint32_t ia, float sb, uint32_t ib) { return sa < sb || (sa == sb && ia > ib); }

static void sift_down(uint32_t *idx, float *sc, size_t n, size_t at) {
    for (;;) {
        size_t l = 2 * at + 1, r = l + 1, w = at;
        if (l < n && worse(sc[l], idx[l], sc[w], idx[w])) w = l;
        if (r < n && worse(sc[r], idx[r], sc[w], idx[w])) w = r;
        if (w == at) return;
        float ts = sc[w];
        uint32_t ti = idx[w];
        sc[w] = sc[at];
        idx[w] = idx[at];
        sc[at] = ts;
        idx[at] = ti;
        at = w;
    }
}

static void heap_offer(uint32_t *idx, float *sc, size_t k, size_t *n, uint32_t i, float s) {
    if (*n < k) {
        size_t at = (*n)++;
        idx[at] = i;
        sc[at] = s;
        while (at > 0) { /* sift up */
            size_t p = (at - 1) / 2;
            if (!worse(sc[at], idx[at], sc[p], idx[p])) break;
            float ts = sc[p];
            uint32_t ti = idx[p];
            sc[p] = sc[at];
            idx[p] = idx[at];
            sc[at] = ts;
            idx[at] = ti;
            at = p;
        }
        return;
    }
    idx[0] = i;
    sc[0] = s;
    sift_down(idx, sc, k, 0);
}

/* Would item i enter a heap whose root is (rs, ri) when full? Then the exclusions decide. */
static int excluded(const gn_mf *mf, uint32_t u, int exclude_seen, const uint32_t *excl, size_t nexcl, uint32_t i) {
    if (nexcl && gn__sorted_u32_has(excl, nexcl, i)) return 1;
    return exclude_seen && u != GN_IDDICT_NONE && gn__mf_seen(mf, u, i);
}

/* q . every row of a block of m item rows of K floats (m * K <= SCAN_FLOATS, or m <= 8): OpenBLAS's
 * sgemv. Measured against a hand-vectorised loop (gcc vector extensions, 8 rows at a time, an
 * AVX2+FMA clone): sgemv was twice as fast with the rows in cache and as fast streaming them
 * from memory (docs/recommend.md), so it stays. */
static void scan_block(const float *Q, uint32_t m, uint32_t K, const float *q, float *out) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)K, 1.0f, Q, (int)K, q, 1, 0.0f, out, 1);
}

/* Items per block of the exact scan; the rerank recomputes whole blocks with it. */
static uint32_t scan_items(uint32_t K) {
    return SCAN_FLOATS / K < 8 ? 8 : SCAN_FLOATS / K > SCAN_BLOCK ? SCAN_BLOCK : SCAN_FLOATS / K;
}

static inline float item_score(const gn_mf *mf, uint32_t u, float base, float dot, uint32_t i) {
    if (mf->implicit) return u == GN_IDDICT_NONE ? mf->pop[i] : dot;
    return base + mf->ibias[i] + dot;
}

/* heap -> best first: pop the worst to the end */
static void heap_sort(uint32_t *idx, float *sc, size_t n) {
    for (size_t left = n; left > 1; left--) {
        float ts = sc[0];
        uint32_t ti = idx[0];
        sc[0] = sc[left - 1];
        idx[0] = idx[left - 1];
        sc[left - 1] = ts;
        idx[left - 1] = ti;
        sift_down(idx, sc, left - 1, 0);
    }
}

void gn__mf_topk(const gn_mf *mf, uint32_t u, size_t k, int exclude_seen, const uint32_t *excl, size_t nexcl,
                 const uint32_t *cand, size_t ncand, uint32_t *out_idx, float *out_score, size_t *n_out) {
    size_t n = 0;
    const uint32_t K = mf->rank;
    const int known = u != GN_IDDICT_NONE && u < mf->nusers;
    if (!known) u = GN_IDDICT_NONE;
    const float base = (float)(mf->mean + (known ? mf->ubias[u] : 0.0f));
    const float *p = known ? mf->P + (size_t)u * K : NULL;
    if (k == 0) {
        *n_out = 0;
        return;
    }
    if (cand) {
        for (size_t c = 0; c < ncand; c++) {
            const uint32_t i = cand[c];
            float dot = 0.0f;
            if (p) {
                const float *q = mf->Q + (size_t)i * K;
                for (uint32_t f = 0; f < K; f++) dot += p[f] * q[f];
            }
            const float s = item_score(mf, u, base, dot, i);
            if (n == k && !worse(out_score[0], out_idx[0], s, i)) continue;
            if (excluded(mf, u, exclude_seen, excl, nexcl, i)) continue;
            heap_offer(out_idx, out_score, k, &n, i, s);
        }
    } else {
        float buf[SCAN_BLOCK];
        const uint32_t blk = scan_items(K);
        for (uint32_t start = 0; start < mf->nitems; start += blk) {
            const uint32_t m = mf->nitems - start < blk ? mf->nitems - start : blk;
            if (p) scan_block(mf->Q + (size_t)start * K, m, K, p, buf);
            else memset(buf, 0, m * sizeof *buf);
            for (uint32_t j = 0; j < m; j++) {
                const uint32_t i = start + j;
                const float s = item_score(mf, u, base, buf[j], i);
                if (n == k && !worse(out_score[0], out_idx[0], s, i)) continue;
                if (excluded(mf, u, exclude_seen, excl, nexcl, i)) continue;
                heap_offer(out_idx, out_score, k, &n, i, s);
            }
        }
    }
    heap_sort(out_idx, out_score, n);
    *n_out = n;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The exact scan's score of each of the n candidates ids (ascending, distinct) of known user
 * u into out, bit for bit: sgemv of the 4 rows (aligned from the start of the scan's block)
 * holding the candidate, which OpenBLAS computes as it computes them inside the whole block
 * (tests/unit/test_mf_index.c and test_mf_hnsw.c check the equality); a candidate among the last
 * rows of a block that do not fill 4 gets its whole block recomputed, as the scan did it.
 * buf: SCAN_BLOCK floats. Reading 4 rows instead of a block of 128 (rank 64) is what keeps the
 * rerank cheap. */
#define RESCORE_ROWS 4u
static void exact_rescore(const gn_mf *mf, uint32_t u, const uint32_t *ids, size_t n, float *out, float *buf) {
    const uint32_t K = mf->rank, blk = scan_items(K);
    const float *p = mf->P + (size_t)u * K;
    const float base = (float)(mf->mean + mf->ubias[u]);
    uint32_t lo = 1, hi = 0; /* buf holds the products of rows [lo, hi) */
    for (size_t c = 0; c < n; c++) {
        const uint32_t i = ids[c];
        if (i < lo || i >= hi) {
            const uint32_t start = i / blk * blk, m = mf->nitems - start < blk ? mf->nitems - start : blk;
            const uint32_t g = start + (i - start) / RESCORE_ROWS * RESCORE_ROWS;
            if (g + RESCORE_ROWS <= start + m) lo = g, hi = g + RESCORE_ROWS;
            else lo = start, hi = start + m;
            scan_block(mf->Q + (size_t)lo * K, hi - lo, K, p, buf);
        }
        out[c] = item_score(mf, u, base, buf[i - lo], i);
    }
}

/* The IVF search (model/mf_index.h) for a known user u: the best nprobe lists by centroid score,
 * every item of them scored with the augmented rows into a heap of k + RERANK_EXTRA (exclusions
 * checked on entry), then those rescored as the exact scan scores them into the top k. Fewer than
 * k candidates (small lists, many exclusions): the exact scan answers instead. */
#define RERANK_EXTRA 16u

static int topk_ivf(const gn_mf *mf, const gn__mf_index *ix, uint32_t u, size_t k, uint32_t nprobe, int exclude_seen,
                    const uint32_t *excl, size_t nexcl, uint32_t *out_idx, float *out_score, size_t *n_out) {
    const uint32_t K = mf->rank, dim = ix->dim;
    if (nprobe == 0) nprobe = ix->nprobe;
    if (nprobe > ix->nlists) nprobe = ix->nlists;
    const size_t k2 = k + RERANK_EXTRA;
    float *q = malloc(dim * sizeof *q), *lsc = malloc((size_t)nprobe * sizeof *lsc), *csc = malloc(k2 * sizeof *csc);
    float *buf = malloc(SCAN_BLOCK * sizeof *buf);
    uint32_t *lid = malloc((size_t)nprobe * sizeof *lid), *cid = malloc(k2 * sizeof *cid);
    if (!q || !lsc || !csc || !buf || !lid || !cid) {
        free(q), free(lsc), free(csc), free(buf), free(lid), free(cid);
        return gn__fail(GN_ENOMEM, "recommend: out of memory");
    }
    const float *p = mf->P + (size_t)u * K;
    memcpy(q, p, K * sizeof *q);
    q[K] = 1.0f;
    for (uint32_t f = K + 1; f < dim; f++) q[f] = 0.0f;
    size_t nl = 0, nc = 0;
    const uint32_t bl = scan_items(dim);
    for (uint32_t start = 0; start < ix->nlists; start += bl) {
        const uint32_t m = ix->nlists - start < bl ? ix->nlists - start : bl;
        scan_block(ix->cent + (size_t)start * dim, m, dim, q, buf);
        for (uint32_t j = 0; j < m; j++)
            if (nl < nprobe || worse(lsc[0], lid[0], buf[j], start + j)) heap_offer(lid, lsc, nprobe, &nl, start + j, buf[j]);
    }
    for (size_t l = 0; l < nl; l++) {
        const uint32_t lo = ix->list_ptr[lid[l]], hi = ix->list_ptr[lid[l] + 1];
        for (uint32_t start = lo; start < hi; start += bl) {
            const uint32_t m = hi - start < bl ? hi - start : bl;
            scan_block(ix->rows + (size_t)start * dim, m, dim, q, buf);
            for (uint32_t j = 0; j < m; j++) {
                const uint32_t i = ix->ids[start + j];
                if (nc == k2 && !worse(csc[0], cid[0], buf[j], i)) continue;
                if (excluded(mf, u, exclude_seen, excl, nexcl, i)) continue;
                heap_offer(cid, csc, k2, &nc, i, buf[j]);
            }
        }
    }
    if (nc < k) { /* the probed lists held too few items (after the exclusions): scan exactly */
        free(q), free(lsc), free(csc), free(buf), free(lid), free(cid);
        gn__mf_topk(mf, u, k, exclude_seen, excl, nexcl, NULL, 0, out_idx, out_score, n_out);
        return GN_OK;
    }
    /* rerank: each candidate's score as the exact scan computes it, bit for bit */
    qsort(cid, nc, sizeof *cid, cmp_u32);
    exact_rescore(mf, u, cid, nc, csc, buf);
    size_t n = 0;
    for (size_t c = 0; c < nc; c++) {
        if (n == k && !worse(out_score[0], out_idx[0], csc[c], cid[c])) continue;
        heap_offer(out_idx, out_score, k, &n, cid[c], csc[c]);
    }
    heap_sort(out_idx, out_score, n);
    *n_out = n;
    free(q), free(lsc), free(csc), free(buf), free(lid), free(cid);
    return GN_OK;
}

typedef struct skip_ctx {
    const gn_mf *mf;
    uint32_t u;
    int exclude_seen;
    const uint32_t *excl;
    size_t nexcl;
} skip_ctx;

static int skip_item(const void *ctx, uint32_t i) {
    const skip_ctx *x = ctx;
    return excluded(x->mf, x->u, x->exclude_seen, x->excl, x->nexcl, i);
}

/* The HNSW search (model/mf_hnsw.h) for a known user u: a beam of ef over the graph collects the
 * ef best admissible items by the lifted rows' dot product (the item-dependent part of the
 * score), the best k + RERANK_EXTRA of them are rescored exactly (exact_rescore) into the top k.
 * Fewer than k admissible items reached, or a beam as wide as the catalogue: the exact scan
 * answers instead. */
static int topk_hnsw(const gn_mf *mf, const gn__mf_hnsw *h, uint32_t u, size_t k, uint32_t ef_req, int exclude_seen,
                     const uint32_t *excl, size_t nexcl, uint32_t *out_idx, float *out_score, size_t *n_out) {
    const uint32_t K = mf->rank;
    const size_t ef = gn__mf_hnsw_ef(h, ef_req, k);
    if (ef >= h->n) { /* a beam over the whole catalogue: the scan is cheaper, and exact (the graph
                         need not reach every item: pruning can leave one without in-links) */
        gn__mf_topk(mf, u, k, exclude_seen, excl, nexcl, NULL, 0, out_idx, out_score, n_out);
        return GN_OK;
    }
    float *q = calloc(h->dim, sizeof *q), *sims = malloc(ef * sizeof *sims), *buf = malloc(SCAN_BLOCK * sizeof *buf);
    uint32_t *ids = malloc(ef * sizeof *ids);
    int st = GN_OK;
    if (!q || !sims || !buf || !ids) {
        st = gn__fail(GN_ENOMEM, "recommend: out of memory");
        goto done;
    }
    memcpy(q, mf->P + (size_t)u * K, K * sizeof *q);
    q[K] = 1.0f;
    const skip_ctx sc = {mf, u, exclude_seen, excl, nexcl};
    size_t nc = 0;
    if ((st = gn__mf_hnsw_search(h, q, ef, skip_item, &sc, ids, sims, &nc)) != GN_OK) goto done;
    if (nc < k) {
        gn__mf_topk(mf, u, k, exclude_seen, excl, nexcl, NULL, 0, out_idx, out_score, n_out);
        goto done;
    }
    if (nc > k + RERANK_EXTRA) nc = k + RERANK_EXTRA;
    qsort(ids, nc, sizeof *ids, cmp_u32);
    exact_rescore(mf, u, ids, nc, sims, buf);
    size_t n = 0;
    for (size_t c = 0; c < nc; c++) {
        if (n == k && !worse(out_score[0], out_idx[0], sims[c], ids[c])) continue;
        heap_offer(out_idx, out_score, k, &n, ids[c], sims[c]);
    }
    heap_sort(out_idx, out_score, n);
    *n_out = n;
done:
    free(q), free(sims), free(buf), free(ids);
    return st;
}

/* Known ids of names, sorted and without repeats; *n their count. */
static int map_ids(const gn_iddict *d, const char *const *names, size_t nn, uint32_t **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!nn) return GN_OK;
    uint32_t *v = malloc(nn * sizeof *v);
    if (!v) return gn__fail(GN_ENOMEM, "recommend: out of memory");
    size_t m = 0;
    for (size_t j = 0; j < nn; j++) {
        if (!names[j]) continue;
        uint32_t i = gn__iddict_find(d, names[j], strlen(names[j]));
        if (i != GN_IDDICT_NONE) v[m++] = i;
    }
    qsort(v, m, sizeof *v, cmp_u32);
    size_t w = 0;
    for (size_t j = 0; j < m; j++)
        if (w == 0 || v[w - 1] != v[j]) v[w++] = v[j];
    *out = v;
    *n = w;
    return GN_OK;
}

static int need_mf(const gn_model *m, const gn_mf **out) {
    const gn_mf *mf = gn__mf_of(m);
    if (!mf) return gn__fail(GN_EINVAL, "recommend: the model is not of kind mf (matrix factorization)");
    *out = mf;
    return GN_OK;
}

gn_status gn_model_recommend(const gn_model *m, const char *user, size_t k, const gn_recommend_options *opt,
                             gn_recommend_item *out, size_t *n_out) {
    const gn_mf *mf = NULL;
    if (!user || (!out && k) || !n_out) return gn__fail(GN_EINVAL, "recommend: NULL argument");
    GN_TRY(need_mf(m, &mf));
    gn_recommend_options none;
    gn_recommend_options_init(&none);
    if (!opt) opt = &none;
    if (k > mf->nitems) k = mf->nitems;
    *n_out = 0;
    uint32_t *excl = NULL, *cand = NULL, *idx = NULL;
    float *sc = NULL;
    size_t nexcl = 0, ncand = 0;
    int st = map_ids(mf->items, opt->exclude, opt->nexclude, &excl, &nexcl);
    if (st == GN_OK && opt->candidates) st = map_ids(mf->items, opt->candidates, opt->ncandidates, &cand, &ncand);
    if (st == GN_OK && k) {
        idx = malloc(k * sizeof *idx);
        sc = malloc(k * sizeof *sc);
        if (!idx || !sc) st = gn__fail(GN_ENOMEM, "recommend: out of memory");
    }
    if (st == GN_OK && k) {
        const uint32_t u = gn__iddict_find(mf->users, user, strlen(user));
        size_t n = 0;
        /* candidates given but none known: nothing to rank */
        const int indexed = !opt->exact && !opt->candidates && u != GN_IDDICT_NONE && u < mf->nusers;
        if (indexed && mf->hnsw) {
            st = topk_hnsw(mf, mf->hnsw, u, k, opt->ef, opt->exclude_seen, excl, nexcl, idx, sc, &n);
        } else if (indexed && mf->index) {
            st = topk_ivf(mf, mf->index, u, k, opt->nprobe, opt->exclude_seen, excl, nexcl, idx, sc, &n);
        } else if (!opt->candidates || ncand) {
            static const uint32_t empty = 0;
            gn__mf_topk(mf, u, k, opt->exclude_seen, excl, nexcl, opt->candidates ? (cand ? cand : &empty) : NULL, ncand,
                        idx, sc, &n);
        }
        for (size_t j = 0; j < n; j++) {
            size_t len;
            out[j].item = gn__iddict_name(mf->items, idx[j], &len);
            out[j].score = sc[j];
        }
        *n_out = n;
    }
    free(excl);
    free(cand);
    free(idx);
    free(sc);
    return st;
}

int gn_model_mf_has_user(const gn_model *m, const char *user) {
    const gn_mf *mf = gn__mf_of(m);
    return mf && user && gn__iddict_find(mf->users, user, strlen(user)) != GN_IDDICT_NONE;
}

int gn_model_mf_has_item(const gn_model *m, const char *item) {
    const gn_mf *mf = gn__mf_of(m);
    return mf && item && gn__iddict_find(mf->items, item, strlen(item)) != GN_IDDICT_NONE;
}

gn_status gn_model_mf_predict(const gn_model *m, const char *user, const char *item, double *out) {
    const gn_mf *mf = NULL;
    if (!user || !item || !out) return gn__fail(GN_EINVAL, "mf predict: NULL argument");
    GN_TRY(need_mf(m, &mf));
    *out = gn__mf_predict(mf, gn__iddict_find(mf->users, user, strlen(user)), gn__iddict_find(mf->items, item, strlen(item)));
    return GN_OK;
}

void gn_mf_index_options_init(gn_mf_index_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->auto_min_items = 20000;
    o->auto_max_hnsw_items = 0; /* derived from the build's cores and the rank */
    o->iters = 8;
    o->seed = 1;
}

/* The largest catalogue `auto` gives an HNSW graph when auto_max_hnsw_items is 0: 150,000 items
 * per build core at rank 64 (fewer at higher ranks, more at lower), i.e. a build of about 15 s
 * of CPU per core (about 100 µs per item at rank 64 with the defaults, BENCHMARKS.md), which
 * keeps it, on free cores, within half of the server's default 30 s reload timeout: 300,000
 * items on 2 cores, 1.2M on 8. */
static uint64_t auto_hnsw_limit(const gn_mf *mf, uint32_t threads) {
    const uint64_t cores = gn__threads_or_cores(threads), rank = mf->rank < 16 ? 16 : mf->rank;
    return 150000u * cores * 64 / rank;
}

gn_status gn_model_mf_build_index(gn_model *m, const gn_mf_index_options *o) {
    const gn_mf *cmf = NULL;
    GN_TRY(need_mf(m, &cmf));
    gn_mf *mf = m->payload;
    gn_mf_index_options d;
    gn_mf_index_options_init(&d);
    if (!o) o = &d;
    if (o->kind != GN_MF_INDEX_AUTO && o->kind != GN_MF_INDEX_EXACT && o->kind != GN_MF_INDEX_IVF &&
        o->kind != GN_MF_INDEX_HNSW)
        return gn__fail(GN_EINVAL, "mf index: kind %d is not auto, exact, ivf or hnsw", o->kind);
    int kind = o->kind;
    if (kind == GN_MF_INDEX_AUTO) {
        const uint64_t max_hnsw = o->auto_max_hnsw_items ? o->auto_max_hnsw_items : auto_hnsw_limit(mf, o->threads);
        kind = mf->nitems < o->auto_min_items ? GN_MF_INDEX_EXACT
               : mf->nitems <= max_hnsw       ? GN_MF_INDEX_HNSW
                                              : GN_MF_INDEX_IVF;
    }
    if (kind == GN_MF_INDEX_EXACT || mf->nitems == 0) {
        gn__mf_index_free(mf->index);
        gn__mf_hnsw_free(mf->hnsw);
        mf->index = NULL;
        mf->hnsw = NULL;
        return GN_OK;
    }
    gn__mf_index *ix = NULL;
    gn__mf_hnsw *h = NULL;
    if (kind == GN_MF_INDEX_IVF) GN_TRY(gn__mf_index_build(mf, o->nlists, o->nprobe, o->iters ? o->iters : 8, o->seed, &ix));
    else GN_TRY(gn__mf_hnsw_build(mf, o->hnsw_m, o->ef_construction, o->ef_search, o->threads, o->seed, &h));
    gn__mf_index_free(mf->index);
    gn__mf_hnsw_free(mf->hnsw);
    mf->index = ix;
    mf->hnsw = h;
    return GN_OK;
}

gn_status gn_model_mf_index_info(const gn_model *m, gn_mf_index_info *out) {
    const gn_mf *mf = NULL;
    if (!out) return gn__fail(GN_EINVAL, "mf index info: NULL argument");
    GN_TRY(need_mf(m, &mf));
    memset(out, 0, sizeof *out);
    out->kind = mf->index ? GN_MF_INDEX_IVF : mf->hnsw ? GN_MF_INDEX_HNSW : GN_MF_INDEX_EXACT;
    if (mf->index) {
        out->nlists = mf->index->nlists;
        out->nprobe = mf->index->nprobe;
        out->bytes = mf->index->bytes;
        out->build_seconds = mf->index->build_seconds;
    }
    if (mf->hnsw) {
        out->hnsw_m = mf->hnsw->M;
        out->ef_construction = mf->hnsw->ef_construction;
        out->ef_search = mf->hnsw->ef_search;
        out->threads = mf->hnsw->build_threads;
        out->bytes = mf->hnsw->bytes;
        out->build_seconds = mf->hnsw->build_seconds;
    }
    return GN_OK;
}

gn_status gn_model_mf_info(const gn_model *m, gn_mf_info *out) {
    const gn_mf *mf = NULL;
    if (!out) return gn__fail(GN_EINVAL, "mf info: NULL argument");
    GN_TRY(need_mf(m, &mf));
    out->rank = mf->rank;
    out->users = mf->nusers;
    out->items = mf->nitems;
    out->interactions = mf->nnz;
    out->implicit = mf->implicit;
    out->mean = mf->mean;
    return GN_OK;
}
