/* learn/mf_train.c: training of the matrix-factorization kind (model/mf.h) from (user, item,
 * rating) CSV rows (io/triples.h):
 *
 * - explicit ratings, ALS (the default): alternating ridge regressions, each user's bias and
 *   factors [b_u, p_u] solved against the items' [1, q_i] and the targets r - mean - b_i, then
 *   the items' likewise. A row's normal equations (K+1 square) are built with cblas (ssyrk,
 *   sgemv) over blocks of gathered rows and solved by LAPACKE's Cholesky (sposv): O(K^2 n_u +
 *   K^3) per user. Factor regularisation is l2 * n_u (weighted-lambda, Zhou et al. 2008); the
 *   biases' is a constant (MF_BIAS_L2), as the alternating bias baseline.
 * - explicit ratings, SGD: the biased model of Koren, Bell and Volinsky (2009), epochs over a
 *   seeded shuffle of the ratings.
 * - implicit feedback (--implicit): weighted ALS (Hu, Koren and Volinsky 2008): preference 1 for
 *   each observed (user, item), confidence 1 + alpha * rating, and for every user
 *   (Y'Y + Y'(C_u - I)Y + l2 I) p_u = Y'C_u 1, Y'Y computed once per half-step, so the unobserved
 *   items are never visited one by one.
 *
 * The rows of one side are independent: opts->threads threads take them in chunks (ALS).
 *
 * Under MPI (ALS only), every rank reads the whole input and builds the same id dictionaries and
 * rows (the reading is deterministic), then solves its share of each side: rows [lo[r], lo[r+1])
 * split so that every rank has about the same work (ratings + a per-row solve cost); the solved
 * rows are exchanged with an all-gather (dist/dist.h), so every rank holds the whole model after
 * each half-step. Implicit: each rank's Gram matrix of its share, summed across ranks. A row's
 * solve depends only on the other side's factors, so the explicit model is the one-rank model
 * bit for bit; implicit differs only by the order of the Gram sums. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "io/triples.h"
#include "learn/train_internal.h"
#include "model/mf.h"
#include "model/model.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/error.h"
#include "util/mem.h"

/* Defaults (parameter value 0: these). Chosen on MovieLens (BENCHMARKS.md), not swept per data. */
#define MF_ALS_L2 0.2       /* x n_u: weighted-lambda ALS */
#define MF_BIAS_L2 3.0      /* the biases' ridge in ALS */
#define MF_ALS_EPOCHS 15u
#define MF_SGD_LR 0.007
#define MF_SGD_L2 0.05
#define MF_SGD_EPOCHS 30u   /* at least; small inputs get more, up to MF_SGD_UPDATES updates */
#define MF_SGD_MAX_EPOCHS 200u
#define MF_SGD_UPDATES 2400000.0
#define MF_IMPLICIT_L2 0.1
#define MF_IMPLICIT_EPOCHS 15u
#define MF_INIT 0.1         /* factors start uniform with this standard deviation */
#define ALS_BLOCK 256u      /* rows gathered per ssyrk call, at most; and at most ALS_BLOCK_FLOATS floats,
                               so that OpenBLAS runs each call on the calling thread (its own threads
                               start above a few thousand elements; ours already cover the rows) */
#define ALS_BLOCK_FLOATS 8192u
static uint32_t block_rows(uint32_t k1) {
    const uint32_t r = ALS_BLOCK_FLOATS / k1;
    return r < 8 ? 8 : r > ALS_BLOCK ? ALS_BLOCK : r;
}

int gn__mf_options_check(const gn_train_options *o) {
    if (o->optimizer != GN_OPT_AUTO && o->optimizer != GN_OPT_ALS && o->optimizer != GN_OPT_SGD)
        return gn__fail(GN_EINVAL, "kind mf takes optimizer als or sgd (auto: als), not %s", gn_optimizer_name(o->optimizer));
    if (o->implicit && o->optimizer == GN_OPT_SGD)
        return gn__fail(GN_EINVAL, "kind mf: --implicit is solved by weighted ALS (optimizer als), not sgd");
    if (!o->mf_user || !o->mf_user[0] || !o->mf_item || !o->mf_item[0])
        return gn__fail(GN_EINVAL, "kind mf needs the CSV columns of users and items: --user COL --item COL");
    if (!o->implicit && (!o->mf_rating || !o->mf_rating[0]))
        return gn__fail(GN_EINVAL, "kind mf needs the ratings column --rating COL (or --implicit)");
    if (strlen(o->mf_user) >= GN__MF_COL_MAX || strlen(o->mf_item) >= GN__MF_COL_MAX ||
        (o->mf_rating && strlen(o->mf_rating) >= GN__MF_COL_MAX))
        return gn__fail(GN_EINVAL, "kind mf: a column name is longer than %d bytes", GN__MF_COL_MAX - 1);
    if (o->oaa || o->holdout > 0 || o->shuffle || (o->cache_path && o->cache_path[0]) ||
        (o->checkpoint_path && o->checkpoint_path[0]) || (o->resume_path && o->resume_path[0]))
        return gn__fail(GN_EINVAL, "kind mf does not take --oaa, --holdout, --shuffle, --cache, --checkpoint or --resume");
    return GN_OK;
}

/* ---- random numbers (splitmix64), so a seed gives the same model ---- */

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s) { return (double)(splitmix(s) >> 11) * 0x1.0p-53; }

static void init_factors(float *x, size_t n, uint64_t *rng) {
    const double a = MF_INIT * sqrt(3.0); /* uniform [-a, a] has standard deviation MF_INIT */
    for (size_t j = 0; j < n; j++) x[j] = (float)((2.0 * uniform01(rng) - 1.0) * a);
}

/* ---- compressed rows ---- */

typedef struct csr {
    uint64_t *ptr;  /* rows + 1 */
    uint32_t *idx;  /* the other side's index */
    float *val;     /* the rating */
} csr;

static void csr_free(csr *c) {
    free(c->ptr);
    free(c->idx);
    free(c->val);
}

/* Rows `rows` of (row[k], col[k], val[k]), k < n, by a counting sort: stable, so a CSR built
 * from another CSR's rows in order has each row's columns ascending. */
static int csr_build(csr *c, uint32_t rows, const uint32_t *row, const uint32_t *col, const float *val, size_t n) {
    c->ptr = calloc((size_t)rows + 1, sizeof *c->ptr);
    c->idx = malloc((n ? n : 1) * sizeof *c->idx);
    c->val = malloc((n ? n : 1) * sizeof *c->val);
    if (!c->ptr || !c->idx || !c->val) return gn__fail(GN_ENOMEM, "mf: out of memory for %zu ratings", n);
    for (size_t k = 0; k < n; k++) c->ptr[row[k] + 1]++;
    for (uint32_t r = 0; r < rows; r++) c->ptr[r + 1] += c->ptr[r];
    uint64_t *next = malloc(((size_t)rows + 1) * sizeof *next);
    if (!next) return gn__fail(GN_ENOMEM, "mf: out of memory");
    memcpy(next, c->ptr, ((size_t)rows + 1) * sizeof *next);
    for (size_t k = 0; k < n; k++) {
        const uint64_t at = next[row[k]]++;
        c->idx[at] = col[k];
        c->val[at] = val[k];
    }
    free(next);
    return GN_OK;
}

/* ---- ALS: one side's rows solved against the other side ---- */

typedef struct als_job {
    const csr *rows;          /* this side's observations */
    uint32_t lo, n;           /* the rows to solve: [lo, n) (under MPI, this rank's share) */
    float *X, *xb;            /* this side's factors and biases (written) */
    const float *Y, *yb;      /* the other side's */
    uint32_t k;
    double mean, l2, bias_l2, alpha;
    int implicit;
    const float *YtY;         /* implicit: the other side's Gram matrix, k x k */
    atomic_uint next;         /* the next chunk of rows */
    atomic_int failed;        /* a solve found its matrix not positive definite */
} als_job;

#define ALS_CHUNK 16u

/* Solves A x = b in place (b becomes x) for the n x n symmetric positive definite A whose upper
 * triangle is filled, row-major: that is the lower triangle column-major, so LAPACK's Cholesky
 * (sposv) takes it as it is, without LAPACKE's transposes and NaN scans. 0, or LAPACK's info. */
static int spd_solve(float *A, float *b, uint32_t n) {
    return LAPACKE_sposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, 1, A, (lapack_int)n, b, (lapack_int)n);
}

/* Explicit: [b, x] of one row from A = sum y y' + reg, y = [1, q], b = sum (r - mean - b_other) y. */
static void solve_explicit(als_job *j, uint32_t r, float *G, float *t, float *A, float *b) {
    const uint32_t k = j->k, k1 = k + 1;
    const uint64_t lo = j->rows->ptr[r], hi = j->rows->ptr[r + 1];
    float *x = j->X + (size_t)r * k;
    if (hi == lo) {
        j->xb[r] = 0.0f;
        memset(x, 0, k * sizeof *x);
        return;
    }
    memset(A, 0, (size_t)k1 * k1 * sizeof *A);
    memset(b, 0, k1 * sizeof *b);
    const uint32_t blk = block_rows(k + 1);
    for (uint64_t at = lo; at < hi; at += blk) {
        const uint32_t m = (uint32_t)(hi - at < blk ? hi - at : blk);
        for (uint32_t e = 0; e < m; e++) {
            const uint32_t o = j->rows->idx[at + e];
            float *g = G + (size_t)e * k1;
            g[0] = 1.0f;
            memcpy(g + 1, j->Y + (size_t)o * k, k * sizeof *g);
            t[e] = (float)(j->rows->val[at + e] - j->mean - j->yb[o]);
        }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)k1, (int)m, 1.0f, G, (int)k1, 1.0f, A, (int)k1);
        cblas_sgemv(CblasRowMajor, CblasTrans, (int)m, (int)k1, 1.0f, G, (int)k1, t, 1, 1.0f, b, 1);
    }
    const double n = (double)(hi - lo);
    A[0] += (float)(j->bias_l2 + 1e-6);
    for (uint32_t f = 1; f < k1; f++) A[(size_t)f * k1 + f] += (float)(j->l2 * n + 1e-6);
    if (spd_solve(A, b, k1) != 0) {
        atomic_store(&j->failed, 1);
        return;
    }
    j->xb[r] = b[0];
    memcpy(x, b + 1, k * sizeof *x);
}

/* Implicit: (Y'Y + sum (c - 1) y y' + l2 I) x = sum c y, c = 1 + alpha * r. */
static void solve_implicit(als_job *j, uint32_t r, float *G, float *t, float *A, float *b) {
    const uint32_t k = j->k;
    const uint64_t lo = j->rows->ptr[r], hi = j->rows->ptr[r + 1];
    float *x = j->X + (size_t)r * k;
    if (hi == lo) {
        memset(x, 0, k * sizeof *x);
        return;
    }
    memcpy(A, j->YtY, (size_t)k * k * sizeof *A);
    memset(b, 0, k * sizeof *b);
    const uint32_t blk = block_rows(k + 1);
    for (uint64_t at = lo; at < hi; at += blk) {
        const uint32_t m = (uint32_t)(hi - at < blk ? hi - at : blk);
        for (uint32_t e = 0; e < m; e++) {
            const uint32_t o = j->rows->idx[at + e];
            memcpy(G + (size_t)e * k, j->Y + (size_t)o * k, k * sizeof *G);
            t[e] = (float)(1.0 + j->alpha * j->rows->val[at + e]);
        }
        cblas_sgemv(CblasRowMajor, CblasTrans, (int)m, (int)k, 1.0f, G, (int)k, t, 1, 1.0f, b, 1);
        for (uint32_t e = 0; e < m; e++) {
            const float s = sqrtf(t[e] - 1.0f > 0.0f ? t[e] - 1.0f : 0.0f);
            cblas_sscal((int)k, s, G + (size_t)e * k, 1);
        }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)k, (int)m, 1.0f, G, (int)k, 1.0f, A, (int)k);
    }
    for (uint32_t f = 0; f < k; f++) A[(size_t)f * k + f] += (float)(j->l2 + 1e-6);
    if (spd_solve(A, b, k) != 0) {
        atomic_store(&j->failed, 1);
        return;
    }
    memcpy(x, b, k * sizeof *x);
}

static void *als_worker(void *arg) {
    als_job *j = arg;
    const size_t k1 = (size_t)j->k + 1;
    float *G = malloc(block_rows((uint32_t)k1) * k1 * sizeof *G), *t = malloc(ALS_BLOCK * sizeof *t),
          *A = malloc(k1 * k1 * sizeof *A), *b = malloc(k1 * sizeof *b);
    if (!G || !t || !A || !b) {
        atomic_store(&j->failed, 2);
    } else {
        for (;;) {
            const uint32_t c = atomic_fetch_add(&j->next, ALS_CHUNK);
            if (c >= j->n) break;
            const uint32_t end = j->n - c < ALS_CHUNK ? j->n : c + ALS_CHUNK;
            for (uint32_t r = c; r < end; r++) {
                if (j->implicit) solve_implicit(j, r, G, t, A, b);
                else solve_explicit(j, r, G, t, A, b);
            }
        }
    }
    free(G);
    free(t);
    free(A);
    free(b);
    return NULL;
}

/* Solves every row of one side with `threads` threads (the calling one among them). */
static int als_half(als_job *j, uint32_t threads) {
    atomic_store(&j->next, j->lo);
    atomic_store(&j->failed, 0);
    if (threads > (j->n - j->lo) / ALS_CHUNK + 1) threads = (j->n - j->lo) / ALS_CHUNK + 1;
    pthread_t tid[256];
    uint32_t started = 0;
    for (uint32_t i = 1; i < threads && i < 256; i++)
        if (pthread_create(&tid[started], NULL, als_worker, j) == 0) started++;
    als_worker(j);
    for (uint32_t i = 0; i < started; i++) pthread_join(tid[i], NULL);
    if (atomic_load(&j->failed) == 2) return gn__fail(GN_ENOMEM, "mf: out of memory in an ALS step");
    if (atomic_load(&j->failed)) return gn__fail(GN_EINVAL, "mf: an ALS step met a matrix that is not positive definite "
                                                 "(a value too large? try a larger --l2)");
    return GN_OK;
}

/* Y'Y (k x k, upper triangle filled, row-major) of n rows. */
static void gram(const float *Y, uint32_t n, uint32_t k, float *out) {
    memset(out, 0, (size_t)k * k * sizeof *out);
    if (n) cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)k, (int)n, 1.0f, Y, (int)k, 0.0f, out, (int)k);
}

/* Splits rows [0, n) of c over `size` ranks: lo[0] = 0 <= lo[1] <= ... <= lo[size] = n, each
 * share about the same cost, k^2 per rating (the Gram update) plus k^3 / 3 per row (Cholesky)
 * in units of k^2: so a few heavy rows of a power-law catalogue do not all land on one rank. */
static void partition(const csr *c, uint32_t n, uint32_t k, int size, uint64_t *lo) {
    const double per_row = (double)k / 3.0 + 1.0;
    const double total = (double)c->ptr[n] + per_row * n;
    lo[0] = 0;
    for (int p = 1; p < size; p++) {
        const double want = total * p / size;
        uint64_t a = lo[p - 1], b = n; /* the first row r >= a with cost(r) >= want */
        while (a < b) {
            const uint64_t mid = a + (b - a) / 2;
            if ((double)c->ptr[mid] + per_row * (double)mid < want) a = mid + 1;
            else b = mid;
        }
        lo[p] = a;
    }
    lo[size] = n;
}

/* One half-step under MPI or not: this rank's rows of j's side solved, then every rank's rows
 * gathered onto every rank (biases too, for explicit ratings). */
static int als_half_dist(als_job *j, const uint64_t *lo, int rank, int size, uint32_t threads) {
    j->lo = (uint32_t)lo[rank];
    j->n = (uint32_t)lo[rank + 1];
    if (size == 1) return als_half(j, threads); /* one process (or one candidate of model selection) */
    GN_TRY(gn__dist_agree(als_half(j, threads)));
    GN_TRY(gn__dist_allgather_rows_float(j->X, j->k, lo));
    if (!j->implicit) GN_TRY(gn__dist_allgather_rows_float(j->xb, 1, lo));
    return GN_OK;
}

/* Implicit: Y'Y of the other side, each rank's share summed across ranks. */
static int gram_dist(const float *Y, const uint64_t *lo, int rank, int size, uint32_t k, float *out) {
    gram(Y + lo[rank] * k, (uint32_t)(lo[rank + 1] - lo[rank]), k, out);
    return size == 1 ? GN_OK : gn__dist_allreduce_sum_float(out, (size_t)k * k);
}

/* ---- SGD (explicit ratings) ---- */

/* Epochs first+1 .. first+epochs; order holds the ratings' order of the epoch before (identity
 * at the start) and is shuffled again for each epoch. */
static int sgd_train(gn_mf *mf, const gn_triples *t, const gn_train_options *o, double lr, double l2, uint32_t first,
                     uint32_t epochs, uint32_t *order, uint64_t *rng, gn_progress_fn progress, void *user, double t0,
                     double *train_mse) {
    const size_t n = t->n, k = mf->rank;
    const float mean = (float)mf->mean;
    double sse = 0.0;
    for (uint32_t ep = first; ep < first + epochs; ep++) {
        for (size_t e = n; e > 1; e--) { /* Fisher-Yates, seeded */
            size_t s = (size_t)(splitmix(rng) % e);
            uint32_t tmp = order[e - 1];
            order[e - 1] = order[s];
            order[s] = tmp;
        }
        const float a = (float)lr, reg = (float)l2;
        sse = 0.0;
        for (size_t e = 0; e < n; e++) {
            const uint32_t x = order[e], u = t->user[x], i = t->item[x];
            float *p = mf->P + (size_t)u * k, *q = mf->Q + (size_t)i * k;
            float dot = 0.0f;
            for (size_t f = 0; f < k; f++) dot += p[f] * q[f];
            const float err = t->rating[x] - (mean + mf->ubias[u] + mf->ibias[i] + dot);
            sse += (double)err * err;
            mf->ubias[u] += a * (err - reg * mf->ubias[u]);
            mf->ibias[i] += a * (err - reg * mf->ibias[i]);
            for (size_t f = 0; f < k; f++) {
                const float pf = p[f], qf = q[f];
                p[f] += a * (err * qf - reg * pf);
                q[f] += a * (err * pf - reg * qf);
            }
        }
        if (!isfinite(sse)) {
            char what[64];
            snprintf(what, sizeof what, "a non-finite error in epoch %u", ep + 1);
            return gn__fail_diverged(lr, GN_OPT_SGD, what);
        }
        if (progress) {
            gn_progress pr = {ep + 1, (uint64_t)n * (ep + 1), gn__now() - t0, 0, 0, sse / (double)(n ? n : 1), NAN, 1};
            progress(&pr, user);
        }
        if (o->stop && *o->stop) return gn__fail(GN_ECANCELED, "training stopped");
    }
    *train_mse = sse / (double)(n ? n : 1);
    return GN_OK;
}

void gn__mf_init_factors(float *x, size_t n, uint64_t *rng) { init_factors(x, n, rng); }

int gn__mf_sgd_epochs(gn_mf *mf, const gn_triples *t, const gn_train_options *o, gn_progress_fn progress, void *user,
                      double t0, double *mse) {
    uint32_t *order = malloc((t->n ? t->n : 1) * sizeof *order);
    if (!order) return gn__fail(GN_ENOMEM, "mf: out of memory");
    for (size_t e = 0; e < t->n; e++) order[e] = (uint32_t)e;
    uint64_t rng = o->seed ^ 0x7570u;
    const int st = sgd_train(mf, t, o, o->lr > 0 ? o->lr : MF_SGD_LR, o->l2 > 0 ? o->l2 : MF_SGD_L2, 0,
                             o->passes ? o->passes : 1, order, &rng, progress, user, t0, mse);
    free(order);
    return st;
}

/* Mean squared error of the model on the training rows (explicit), or the mean squared error of
 * the preference 1 on the observed pairs (implicit). */
static double train_mse(const gn_mf *mf, const gn_triples *t) {
    double s = 0.0;
    for (size_t e = 0; e < t->n; e++) {
        const double target = mf->implicit ? 1.0 : t->rating[e];
        const double err = target - gn__mf_predict(mf, t->user[e], t->item[e]);
        s += err * err;
    }
    return t->n ? s / (double)t->n : NAN;
}

/* The n rows whose side index a[e] is at least `first`, as (a, b, rating) into row, col, val;
 * their count. */
static size_t rows_from(const uint32_t *a, const uint32_t *b, const float *rating, size_t n, uint32_t first,
                        uint32_t *row, uint32_t *col, float *val) {
    size_t m = 0;
    for (size_t e = 0; e < n; e++)
        if (a[e] >= first) {
            row[m] = a[e];
            col[m] = b[e];
            val[m++] = rating[e];
        }
    return m;
}

/* Implicit fold-in (gn_update_mf_rows on an implicit model): the factors of the users from
 * first_user on and of the items from first_item on, those the base model had not seen, are
 * solved by weighted ALS from their rows in t with every other factor fixed, the way a training
 * half-step solves a row (solve_implicit, the base's alpha, l2 as given or the implicit default);
 * o->passes alternations (0: GN__MF_FOLDIN_EPOCHS), as a new user's rows may name new items.
 * *mse: the preference's training MSE over t. */
int gn__mf_implicit_foldin(gn_mf *mf, const gn_triples *t, uint32_t first_user, uint32_t first_item,
                           const gn_train_options *o, double *mse) {
    const uint32_t k = mf->rank, nu = mf->nusers, ni = mf->nitems;
    const uint32_t epochs = o->passes ? o->passes : GN__MF_FOLDIN_EPOCHS;
    const size_t n = t->n ? t->n : 1;
    uint32_t *row = malloc(n * sizeof *row), *col = malloc(n * sizeof *col);
    float *val = malloc(n * sizeof *val), *gramm = malloc((size_t)k * k * sizeof *gramm);
    csr byu = {NULL, NULL, NULL}, byi = {NULL, NULL, NULL};
    int st = row && col && val && gramm ? GN_OK : gn__fail(GN_ENOMEM, "mf update: out of memory");
    if (st == GN_OK) /* the new users' rows, by user; then the new items' rows, by item */
        st = csr_build(&byu, nu, row, col, val, rows_from(t->user, t->item, t->rating, t->n, first_user, row, col, val));
    if (st == GN_OK)
        st = csr_build(&byi, ni, row, col, val, rows_from(t->item, t->user, t->rating, t->n, first_item, row, col, val));
    const double l2 = o->l2 > 0 ? o->l2 : MF_IMPLICIT_L2;
    als_job ju = {.rows = &byu, .lo = first_user, .n = nu, .X = mf->P, .xb = mf->ubias, .Y = mf->Q, .yb = mf->ibias,
                  .k = k, .mean = mf->mean, .l2 = l2, .bias_l2 = MF_BIAS_L2, .alpha = mf->alpha, .implicit = 1,
                  .YtY = gramm};
    als_job ji = ju;
    ji.rows = &byi;
    ji.lo = first_item;
    ji.n = ni;
    ji.X = mf->Q;
    ji.xb = mf->ibias;
    ji.Y = mf->P;
    ji.yb = mf->ubias;
    const uint32_t threads = gn__threads_or_cores(o->threads);
    for (uint32_t ep = 0; st == GN_OK && ep < epochs; ep++) {
        if (first_user < nu) {
            gram(mf->Q, ni, k, gramm);
            st = als_half(&ju, threads);
        }
        if (st == GN_OK && first_item < ni) {
            gram(mf->P, nu, k, gramm);
            st = als_half(&ji, threads);
        }
        if (st == GN_OK && o->stop && *o->stop) st = gn__fail(GN_ECANCELED, "training stopped");
    }
    if (st == GN_OK) *mse = train_mse(mf, t);
    free(row);
    free(col);
    free(val);
    free(gramm);
    csr_free(&byu);
    csr_free(&byi);
    return st;
}

/* The options as training uses them: rank, epochs, l2 and lr filled from the defaults (a small
 * input gets more SGD epochs). Resolving twice changes nothing. */
static void resolve(const gn_train_options *o, size_t nratings, gn_train_options *ro) {
    *ro = *o;
    if (ro->optimizer == GN_OPT_AUTO) ro->optimizer = GN_OPT_ALS;
    const int sgd = ro->optimizer == GN_OPT_SGD;
    uint32_t epochs = ro->passes ? ro->passes : ro->implicit ? MF_IMPLICIT_EPOCHS : sgd ? MF_SGD_EPOCHS : MF_ALS_EPOCHS;
    if (sgd && !o->passes && nratings && MF_SGD_UPDATES / (double)nratings > epochs) /* small inputs: more epochs */
        epochs = MF_SGD_UPDATES / (double)nratings > MF_SGD_MAX_EPOCHS ? MF_SGD_MAX_EPOCHS
                                                                        : (uint32_t)(MF_SGD_UPDATES / (double)nratings);
    ro->l2 = ro->l2 > 0 ? ro->l2 : ro->implicit ? MF_IMPLICIT_L2 : sgd ? MF_SGD_L2 : MF_ALS_L2;
    ro->lr = sgd ? (ro->lr > 0 ? ro->lr : MF_SGD_LR) : 0;
    ro->passes = epochs;
    ro->l1 = 0;
    ro->fm_rank = ro->fm_rank ? ro->fm_rank : 8;
}

/* A training in progress (learn/train_internal.h): the model, the options as resolved, the random
 * state and SGD's order of the ratings, so that training resumed for more epochs goes on exactly
 * as one run of all the epochs would. */
struct gn__mf_fitter {
    gn_train_options ro;
    gn_mf *mf;
    uint64_t rng;
    uint32_t *order;  /* SGD: the ratings in the order of the last epoch (shuffled again each epoch) */
    uint32_t done;    /* epochs trained */
    int dist;
    double mse;       /* training MSE after the last epoch (NaN before any) */
};

uint32_t gn__mf_epochs(const gn_train_options *o, size_t nratings) {
    gn_train_options ro;
    resolve(o, nratings, &ro);
    return ro.passes;
}

/* Both CSRs of the rows: by item, then by user from the item rows in order (so each user's
 * items are ascending). */
static int build_csrs(const gn_triples *t, uint32_t nu, uint32_t ni, csr *byu, csr *byi) {
    memset(byu, 0, sizeof *byu);
    memset(byi, 0, sizeof *byi);
    GN_TRY(csr_build(byi, ni, t->item, t->user, t->rating, t->n));
    uint32_t *iu = malloc((t->n ? t->n : 1) * sizeof *iu);
    if (!iu) return gn__fail(GN_ENOMEM, "mf: out of memory");
    for (uint32_t i = 0; i < ni; i++)
        for (uint64_t a = byi->ptr[i]; a < byi->ptr[i + 1]; a++) iu[a] = i;
    const int st = csr_build(byu, nu, byi->idx, iu, byi->val, t->n);
    free(iu);
    return st;
}

void gn__mf_fitter_free(gn__mf_fitter *f) {
    if (!f) return;
    gn__mf_free(f->mf);
    free(f->order);
    free(f);
}

int gn__mf_fitter_new(const gn_train_options *o, const gn_triples *tp, uint32_t nu, uint32_t ni, int dist,
                      gn__mf_fitter **out) {
    const gn_triples t = *tp;
    gn__mf_fitter *fit = calloc(1, sizeof *fit);
    if (!fit) return gn__fail(GN_ENOMEM, "mf: out of memory");
    resolve(o, t.n, &fit->ro);
    fit->dist = dist;
    fit->mse = NAN;
    const gn_train_options *ro = &fit->ro;
    const uint32_t k = ro->fm_rank;
    csr byu, byi;
    int st = build_csrs(&t, nu, ni, &byu, &byi);
    if (st != GN_OK) goto done;
    /* seen lists: each user's distinct items */
    uint64_t nnz = 0;
    for (uint32_t u = 0; u < nu; u++)
        for (uint64_t a = byu.ptr[u]; a < byu.ptr[u + 1]; a++) nnz += a == byu.ptr[u] || byu.idx[a] != byu.idx[a - 1];
    if ((st = gn__mf_new(k, nu, ni, nnz, &fit->mf)) != GN_OK) goto done;
    gn_mf *mf = fit->mf;
    mf->implicit = ro->implicit;
    mf->alpha = ro->implicit ? ro->alpha : 0.0;
    snprintf(mf->user_col, sizeof mf->user_col, "%s", ro->mf_user);
    snprintf(mf->item_col, sizeof mf->item_col, "%s", ro->mf_item);
    snprintf(mf->rating_col, sizeof mf->rating_col, "%s", ro->mf_rating ? ro->mf_rating : "");
    {
        uint64_t at = 0;
        for (uint32_t u = 0; u < nu; u++) {
            mf->seen_ptr[u] = at;
            for (uint64_t a = byu.ptr[u]; a < byu.ptr[u + 1]; a++)
                if (a == byu.ptr[u] || byu.idx[a] != byu.idx[a - 1]) mf->seen_idx[at++] = byu.idx[a];
        }
        mf->seen_ptr[nu] = at;
    }
    for (uint32_t i = 0; i < ni; i++) mf->pop[i] = (float)(byi.ptr[i + 1] - byi.ptr[i]);
    if (!ro->implicit) {
        double s = 0.0;
        for (size_t e = 0; e < t.n; e++) s += t.rating[e];
        mf->mean = t.n ? s / (double)t.n : 0.0;
    }
    fit->rng = ro->seed ^ 0x6D66u;
    init_factors(mf->Q, (size_t)ni * k, &fit->rng);
    if (ro->optimizer == GN_OPT_SGD) {
        init_factors(mf->P, (size_t)nu * k, &fit->rng);
        if (!(fit->order = malloc((t.n ? t.n : 1) * sizeof *fit->order))) {
            st = gn__fail(GN_ENOMEM, "mf: out of memory");
            goto done;
        }
        for (size_t e = 0; e < t.n; e++) fit->order[e] = (uint32_t)e;
    }
done:
    csr_free(&byu);
    csr_free(&byi);
    if (st != GN_OK) gn__mf_fitter_free(fit);
    else *out = fit;
    return st;
}

int gn__mf_fitter_run(gn__mf_fitter *fit, const gn_triples *tp, uint32_t epochs, gn_progress_fn progress, void *user,
                      double t0) {
    const gn_triples t = *tp;
    const gn_train_options *ro = &fit->ro;
    gn_mf *mf = fit->mf;
    const int rank = fit->dist ? gn__dist_rank() : 0, size = fit->dist ? gn__dist_size() : 1;
    const uint32_t k = ro->fm_rank, nu = mf->nusers, ni = mf->nitems, first = fit->done;
    if (epochs == 0) return GN_OK;
    if (ro->optimizer == GN_OPT_SGD) {
        GN_TRY(sgd_train(mf, &t, ro, ro->lr, ro->l2, first, epochs, fit->order, &fit->rng, progress, user, t0, &fit->mse));
        fit->done += epochs;
        return GN_OK;
    }
    csr byu, byi;
    int st = build_csrs(&t, nu, ni, &byu, &byi);
    const uint32_t threads = gn__threads_or_cores(ro->threads);
    float *gramm = ro->implicit ? malloc((size_t)k * k * sizeof *gramm) : NULL;
    uint64_t *ulo = malloc(2 * ((size_t)size + 1) * sizeof *ulo), *ilo = ulo ? ulo + size + 1 : NULL;
    if (st == GN_OK && ((ro->implicit && !gramm) || !ulo)) st = gn__fail(GN_ENOMEM, "mf: out of memory");
    if (st == GN_OK) {
        als_job ju = {.rows = &byu, .n = nu, .X = mf->P, .xb = mf->ubias, .Y = mf->Q, .yb = mf->ibias, .k = k,
                      .mean = mf->mean, .l2 = ro->l2, .bias_l2 = MF_BIAS_L2, .alpha = ro->alpha,
                      .implicit = ro->implicit, .YtY = gramm};
        als_job ji = ju;
        ji.rows = &byi;
        ji.n = ni;
        ji.X = mf->Q;
        ji.xb = mf->ibias;
        ji.Y = mf->P;
        ji.yb = mf->ubias;
        partition(&byu, nu, k, size, ulo);
        partition(&byi, ni, k, size, ilo);
        for (uint32_t ep = first; ep < first + epochs && st == GN_OK; ep++) {
            if (ro->implicit && (st = gram_dist(mf->Q, ilo, rank, size, k, gramm)) != GN_OK) break;
            if ((st = als_half_dist(&ju, ulo, rank, size, threads)) != GN_OK) break;
            if (ro->implicit && (st = gram_dist(mf->P, ulo, rank, size, k, gramm)) != GN_OK) break;
            if ((st = als_half_dist(&ji, ilo, rank, size, threads)) != GN_OK) break;
            fit->done = ep + 1;
            if (progress) {
                gn_progress pr = {ep + 1, (uint64_t)t.n * (ep + 1), gn__now() - t0, 0, 0, NAN, NAN, 1};
                progress(&pr, user);
            }
            /* under MPI a stop request on one rank would leave the others waiting: not honoured */
            if (size == 1 && ro->stop && *ro->stop) st = gn__fail(GN_ECANCELED, "training stopped");
        }
    }
    free(gramm);
    free(ulo);
    csr_free(&byu);
    csr_free(&byi);
    if (st == GN_OK && rank == 0) fit->mse = train_mse(mf, &t); /* only rank 0 reports */
    return st;
}

const gn_mf *gn__mf_fitter_model(const gn__mf_fitter *fit) { return fit->mf; }
uint32_t gn__mf_fitter_done(const gn__mf_fitter *fit) { return fit->done; }

int gn__mf_fit(const gn_train_options *o, const gn_triples *tp, uint32_t nu, uint32_t ni, int dist,
               gn_progress_fn progress, void *user, double t0, gn_mf **out, gn_train_options *ro_out, double *mse_out) {
    gn__mf_fitter *fit = NULL;
    GN_TRY(gn__mf_fitter_new(o, tp, nu, ni, dist, &fit));
    const int st = gn__mf_fitter_run(fit, tp, fit->ro.passes, progress, user, t0);
    if (st == GN_OK) {
        *out = fit->mf;
        fit->mf = NULL;
        if (ro_out) *ro_out = fit->ro;
        if (mse_out) *mse_out = fit->mse;
    }
    gn__mf_fitter_free(fit);
    return st;
}

int gn__mf_train(const gn_train_options *o, const gn_data_spec *spec_in, const char *const *paths, size_t npaths,
                 gn_progress_fn progress, void *user, gn_model **out, gn_train_summary *summary) {
    const double t0 = gn__now();
    if (!out) return gn__fail(GN_EINVAL, "train: NULL output");
    if (npaths == 0) return gn__fail(GN_EINVAL, "kind mf reads CSV files (-d FILE ...), not a cache");
    gn_data_spec spec = *spec_in;
    spec.format = GN_FORMAT_CSV;
    GN_TRY(gn_data_spec_check(&spec));
    GN_TRY(gn__dist_init());
    const int size = gn__dist_size();
    if (size > 1 && o->optimizer == GN_OPT_SGD)
        return gn__dist_agree(gn__fail(GN_EUNSUPPORTED, "kind mf under MPI (%d ranks) trains by ALS (explicit or "
                                       "--implicit); --optimizer sgd runs on one rank", size));
    gn_triples t;
    memset(&t, 0, sizeof t);
    gn_iddict *users = gn__iddict_new(), *items = gn__iddict_new();
    int st;
    if (!users || !items) {
        gn__iddict_free(users);
        gn__iddict_free(items);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    const gn_triples_cols cols = {o->mf_user, o->mf_item, o->mf_rating, 0, NULL};
    /* every rank reads the whole input (same rows, same dictionaries); one failing stops all */
    st = gn__dist_agree(gn__triples_read(paths, npaths, &spec, &cols, users, items, 1, &t));
    if (st == GN_OK)
        st = gn__mf_train_triples(o, &spec, &t, users, items, 1, paths, npaths, progress, user, t0, out, summary);
    else {
        gn__iddict_free(users);
        gn__iddict_free(items);
    }
    gn__triples_free(&t);
    return st;
}

int gn__mf_train_triples(const gn_train_options *o, const gn_data_spec *spec, const gn_triples *tp, gn_iddict *users,
                         gn_iddict *items, int dist, const char *const *paths, size_t npaths, gn_progress_fn progress,
                         void *user, double t0, gn_model **out, gn_train_summary *summary) {
    const gn_triples t = *tp;
    const int rank = dist ? gn__dist_rank() : 0, size = dist ? gn__dist_size() : 1;
    gn_mf *mf = NULL;
    gn_model *m = NULL;
    int st;
    if (t.n == 0) {
        st = gn__fail(GN_EINVAL, "kind mf: no ratings in the input");
        goto done;
    }
    const uint32_t nu = (uint32_t)gn__iddict_size(users), ni = (uint32_t)gn__iddict_size(items);
    const double t_read = gn__now() - t0;
    gn_train_options ro;
    resolve(o, t.n, &ro);
    const uint32_t k = ro.fm_rank, epochs = ro.passes;
    const int sgd = ro.optimizer == GN_OPT_SGD;
    /* memory: the model's tables, then what training holds besides them (both CSRs, the rows) */
    const uint64_t tables = gn__mf_table_bytes(k, nu, ni, t.n) + gn__iddict_bytes(users) + gn__iddict_bytes(items);
    const uint64_t extra = 2 * (8ull * t.n + 8ull * ((uint64_t)nu + ni + 2)) + (sgd ? 4ull * t.n : 0);
    char b1[32], b2[32], b3[32];
    if (rank == 0)
        gn__log(GN_LOG_INFO, "mf: %u users x %u items x rank %u: the model's tables take %s (training %s more)%s", nu,
                ni, k, gn__bytes_text(tables, b1, sizeof b1), gn__bytes_text(extra, b2, sizeof b2),
                size > 1 ? " on every rank (each holds all ratings and the whole model)" : "");
    if (ro.max_memory && tables + extra > ro.max_memory) {
        st = gn__fail(GN_ELIMIT, "kind mf: %u users x %u items x rank %u need %s (model %s, training %s), more than "
                      "--max-memory %s", nu, ni, k, gn__bytes_text(tables + extra, b1, sizeof b1),
                      gn__bytes_text(tables, b2, sizeof b2), gn__bytes_text(extra, b3, sizeof b3),
                      gn__bytes_text(ro.max_memory, (char[32]){0}, 32));
        goto done;
    }
    double mse = NAN;
    const double t_solve = gn__now();
    if ((st = gn__mf_fit(&ro, &t, nu, ni, dist, progress, user, t0, &mf, &ro, &mse)) != GN_OK) goto done;
    gn__iddict_free(mf->users);
    gn__iddict_free(mf->items);
    mf->users = users;
    mf->items = items;
    users = items = NULL;
    {
        const double solve = gn__now() - t_solve;
        if (rank == 0)
            gn__log(GN_LOG_INFO, "mf: read %zu ratings in %.2f s; %u %s epochs in %.2f s (%.3f s each, %d rank%s)", t.n,
                    t_read, epochs, sgd ? "SGD" : ro.implicit ? "implicit ALS" : "ALS", solve, solve / epochs, size,
                    size == 1 ? "" : "s");
    }
    gn_train_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.examples = (uint64_t)t.n * epochs;
    sum.skipped = t.skipped;
    sum.passes = epochs;
    sum.seconds = gn__now() - t0;
    sum.progressive_loss = mse;
    sum.holdout_loss = NAN;
    sum.objective = NAN;
    sum.ranks = size;
    gn_data_spec ms = *spec;
    ms.bits = 1;
    ms.label_kind = GN_LABEL_REAL;
    if ((st = gn__model_new(GN_KIND_MF, GN_LOSS_SQUARED, &ms, 1, &m)) != GN_OK) goto done;
    m->payload = mf;
    mf = NULL;
    if ((st = gn__attach_metadata(m, &ro, paths, npaths, &sum, NULL)) != GN_OK) goto done;
    if ((st = gn__model_finalize(m)) != GN_OK) goto done;
    sum.seconds = gn__now() - t0;
    if (summary) *summary = sum;
    *out = m;
    m = NULL;
done:
    gn_model_free(m);
    gn__mf_free(mf);
    gn__iddict_free(users);
    gn__iddict_free(items);
    return st;
}
