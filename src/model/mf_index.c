/* model/mf_index.c: building the IVF index of a matrix-factorization model's items (see
 * model/mf_index.h). k-means (Lloyd) in the augmented
 * space, with the distances from cblas_sgemm over blocks of points: ||x - c||^2 ranks like
 * ||c||^2 / 2 - x . c, so each block is one matrix product plus a pass for the argmax. */
#include "model/mf_index.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/mf.h"
#include "util/clock.h"
#include "util/error.h"

#define ASSIGN_BLOCK 1024u

void gn__mf_index_free(gn__mf_index *ix) {
    if (!ix) return;
    free(ix->cent);
    free(ix->list_ptr);
    free(ix->ids);
    free(ix->rows);
    free(ix);
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void augmented_row(const gn_mf *mf, uint32_t i, uint32_t dim, float *dst) {
    memcpy(dst, mf->Q + (size_t)i * mf->rank, mf->rank * sizeof *dst);
    dst[mf->rank] = mf->ibias[i];
    for (uint32_t f = mf->rank + 1; f < dim; f++) dst[f] = 0.0f;
}

/* assign[j] = the nearest centroid of each of the n points X (n x dim). S: ASSIGN_BLOCK x L. */
static void assign_points(const float *X, size_t n, const float *C, const float *half_norm, uint32_t L, uint32_t dim,
                          float *S, uint32_t *assign) {
    for (size_t start = 0; start < n; start += ASSIGN_BLOCK) {
        const size_t m = n - start < ASSIGN_BLOCK ? n - start : ASSIGN_BLOCK;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)L, (int)dim, 1.0f, X + start * dim, (int)dim, C,
                    (int)dim, 0.0f, S, (int)L);
        for (size_t j = 0; j < m; j++) {
            const float *s = S + j * L;
            uint32_t best = 0;
            float bv = s[0] - half_norm[0];
            for (uint32_t l = 1; l < L; l++)
                if (s[l] - half_norm[l] > bv) {
                    bv = s[l] - half_norm[l];
                    best = l;
                }
            assign[start + j] = best;
        }
    }
}

static void half_norms(const float *C, uint32_t L, uint32_t dim, float *out) {
    for (uint32_t l = 0; l < L; l++) {
        float s = 0.0f;
        for (uint32_t f = 0; f < dim; f++) s += C[(size_t)l * dim + f] * C[(size_t)l * dim + f];
        out[l] = 0.5f * s;
    }
}

int gn__mf_index_build(const gn_mf *mf, uint32_t nlists, uint32_t nprobe, uint32_t iters, uint64_t seed,
                       gn__mf_index **out) {
    *out = NULL;
    const double t0 = gn__now();
    const uint32_t n = mf->nitems;
    if (n == 0) return gn__fail(GN_EINVAL, "mf index: the model has no items");
    if (nlists == 0) nlists = (uint32_t)lround(sqrt((double)n));
    if (nlists < 1) nlists = 1;
    if (nlists > n) nlists = n;
    if (nprobe == 0) nprobe = (nlists + 9) / 10;
    if (nprobe > nlists) nprobe = nlists;
    const uint32_t dim = (mf->rank + 1 + 7) & ~7u, L = nlists;
    const size_t ns = (uint64_t)64 * L < n ? (size_t)64 * L : n;
    gn__mf_index *ix = calloc(1, sizeof *ix);
    uint32_t *perm = malloc((size_t)n * sizeof *perm), *assign = malloc((size_t)n * sizeof *assign);
    uint32_t *count = calloc(L, sizeof *count);
    float *X = malloc(ns * dim * sizeof *X), *S = malloc((size_t)ASSIGN_BLOCK * L * sizeof *S);
    float *hn = malloc((size_t)L * sizeof *hn), *sum = malloc((size_t)L * dim * sizeof *sum);
    int st = GN_OK;
    if (ix) {
        ix->cent = malloc((size_t)L * dim * sizeof *ix->cent);
        ix->list_ptr = calloc((size_t)L + 1, sizeof *ix->list_ptr);
        ix->ids = malloc((size_t)n * sizeof *ix->ids);
        ix->rows = malloc((size_t)n * dim * sizeof *ix->rows);
    }
    if (!ix || !perm || !assign || !count || !X || !S || !hn || !sum || !ix->cent || !ix->list_ptr || !ix->ids ||
        !ix->rows) {
        st = gn__fail(GN_ENOMEM, "mf index: out of memory for %u items x %u lists", n, L);
        goto done;
    }
    ix->nlists = L;
    ix->dim = dim;
    ix->nitems = n;
    ix->nprobe = nprobe;
    /* the sample: the first ns of a seeded shuffle; the first L of it seed the centroids */
    uint64_t rng = seed;
    for (uint32_t i = 0; i < n; i++) perm[i] = i;
    for (size_t i = 0; i < ns; i++) {
        size_t j = i + (size_t)(splitmix(&rng) % (uint64_t)(n - i));
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t j = 0; j < ns; j++) augmented_row(mf, perm[j], dim, X + j * dim);
    memcpy(ix->cent, X, (size_t)L * dim * sizeof *X);
    for (uint32_t it = 0; it < iters; it++) {
        half_norms(ix->cent, L, dim, hn);
        assign_points(X, ns, ix->cent, hn, L, dim, S, assign);
        memset(sum, 0, (size_t)L * dim * sizeof *sum);
        memset(count, 0, (size_t)L * sizeof *count);
        for (size_t j = 0; j < ns; j++) {
            float *c = sum + (size_t)assign[j] * dim;
            const float *x = X + j * dim;
            for (uint32_t f = 0; f < dim; f++) c[f] += x[f];
            count[assign[j]]++;
        }
        for (uint32_t l = 0; l < L; l++) {
            float *c = ix->cent + (size_t)l * dim;
            if (count[l]) {
                for (uint32_t f = 0; f < dim; f++) c[f] = sum[(size_t)l * dim + f] / (float)count[l];
            } else { /* an empty list restarts at a random sample point */
                memcpy(c, X + (size_t)(splitmix(&rng) % ns) * dim, dim * sizeof *c);
            }
        }
    }
    /* every item into its list, rows copied in list order (ascending items within a list) */
    half_norms(ix->cent, L, dim, hn);
    float *chunk = X; /* reused: ns >= min(n, 64) rows; assign ASSIGN_BLOCK-sized pieces */
    const size_t cap = ns < ASSIGN_BLOCK ? ns : ASSIGN_BLOCK;
    for (uint32_t start = 0; start < n; start += (uint32_t)cap) {
        const size_t m = n - start < cap ? n - start : cap;
        for (size_t j = 0; j < m; j++) augmented_row(mf, start + (uint32_t)j, dim, chunk + j * dim);
        assign_points(chunk, m, ix->cent, hn, L, dim, S, assign + start);
    }
    memset(count, 0, (size_t)L * sizeof *count);
    for (uint32_t i = 0; i < n; i++) count[assign[i]]++;
    for (uint32_t l = 0; l < L; l++) ix->list_ptr[l + 1] = ix->list_ptr[l] + count[l];
    memcpy(count, ix->list_ptr, (size_t)L * sizeof *count); /* next free position of each list */
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t at = count[assign[i]]++;
        ix->ids[at] = i;
        augmented_row(mf, i, dim, ix->rows + (size_t)at * dim);
    }
    ix->bytes = sizeof *ix + (uint64_t)L * dim * 4 + ((uint64_t)L + 1) * 4 + (uint64_t)n * 4 + (uint64_t)n * dim * 4;
    ix->build_seconds = gn__now() - t0;
done:
    free(perm);
    free(assign);
    free(count);
    free(X);
    free(S);
    free(hn);
    free(sum);
    if (st != GN_OK) gn__mf_index_free(ix);
    else *out = ix;
    return st;
}
