/* learn/objective.c: the in-memory CSR of the batch solvers and the multi-threaded,
 * deterministically reduced evaluation of the smooth loss and its gradient (see objective.h). */
#include "learn/objective.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "learn/loss.h"
#include "util/error.h"
#include "util/mem.h"

/* ---- data ------------------------------------------------------------------------------- */

/* Grows array p to count elements; evaluates to nonzero on failure (p is then unchanged). */
#define RESIZE(p, count) ((tmp = realloc((p), (count) * sizeof *(p))) ? ((p) = tmp, 0) : 1)

static size_t doubled(size_t cap, size_t need) {
    size_t c = cap ? cap : 1024;
    while (c < need) c *= 2;
    return c;
}

int gn__bdata_append(gn_bdata *d, const gn_batch *b) {
    const size_t nnz = b->start[b->n] - b->start[0];
    void *tmp;
    if (d->n + b->n > d->cap_n || !d->start) {
        size_t c = doubled(d->cap_n, d->n + b->n);
        if (RESIZE(d->label, c) || RESIZE(d->weight, c) || RESIZE(d->key, c) || RESIZE(d->start, c + 1))
            return gn__fail(GN_ENOMEM, "out of memory holding %zu examples in memory for the batch solver",
                            d->n + b->n);
        d->cap_n = c;
        if (d->n == 0) d->start[0] = 0;
    }
    if (d->nnz + nnz > d->cap_nnz || !d->index) {
        size_t c = doubled(d->cap_nnz, d->nnz + nnz);
        if (RESIZE(d->index, c) || RESIZE(d->value, c))
            return gn__fail(GN_ENOMEM, "out of memory holding %zu features in memory for the batch solver",
                            d->nnz + nnz);
        d->cap_nnz = c;
    }
    memcpy(d->label + d->n, b->label, b->n * sizeof *b->label);
    memcpy(d->weight + d->n, b->weight, b->n * sizeof *b->weight);
    memcpy(d->key + d->n, b->key, b->n * sizeof *b->key);
    const size_t base = d->nnz - b->start[0];
    for (size_t e = 0; e < b->n; e++) d->start[d->n + e + 1] = b->start[e + 1] + base;
    memcpy(d->index + d->nnz, b->index + b->start[0], nnz * sizeof *b->index);
    memcpy(d->value + d->nnz, b->value + b->start[0], nnz * sizeof *b->value);
    d->n += b->n;
    d->nnz += nnz;
    return GN_OK;
}

int gn__bdata_reserve(gn_bdata *d, size_t n, size_t nnz) {
    if (n > d->cap_n || !d->start) {
        if (n < d->cap_n) n = d->cap_n;
        if (gn__grow_block((void **)&d->label, d->n * sizeof *d->label, n * sizeof *d->label) ||
            gn__grow_block((void **)&d->weight, d->n * sizeof *d->weight, n * sizeof *d->weight) ||
            gn__grow_block((void **)&d->key, d->n * sizeof *d->key, n * sizeof *d->key) ||
            gn__grow_block((void **)&d->start, (d->start ? d->n + 1 : 0) * sizeof *d->start, (n + 1) * sizeof *d->start))
            return -1;
        d->cap_n = n;
        if (d->n == 0) d->start[0] = 0;
    }
    if (nnz > d->cap_nnz || !d->index) {
        if (nnz < d->cap_nnz) nnz = d->cap_nnz;
        if (gn__grow_block((void **)&d->index, d->nnz * sizeof *d->index, nnz * sizeof *d->index) ||
            gn__grow_block((void **)&d->value, d->nnz * sizeof *d->value, nnz * sizeof *d->value))
            return -1;
        d->cap_nnz = nnz;
    }
    return 0;
}

void gn__bdata_free(gn_bdata *d) {
    if (!d) return;
    free(d->label);
    free(d->weight);
    free(d->key);
    free(d->start);
    free(d->index);
    free(d->value);
    memset(d, 0, sizeof *d);
}

void gn__bdata_view(const gn_bdata *d, gn_batch *v) {
    memset(v, 0, sizeof *v);
    v->n = v->cap = d->n;
    v->label = d->label;
    v->weight = d->weight;
    v->key = d->key;
    v->start = d->start;
    v->index = d->index;
    v->value = d->value;
    v->nnz = v->fcap = d->nnz;
}

void gn__bdata_mark_used(const gn_bdata *d, uint64_t *used, size_t nslots) {
    for (size_t k = 0; k < d->nnz; k++) {
        uint32_t s = d->index[k];
        if (s < nslots) used[s >> 6] |= (uint64_t)1 << (s & 63);
    }
}

/* Bits set in x, without a call (__builtin_popcountll is a library call unless the target has a
 * popcount instruction, and the remap below counts once per feature held). */
static inline uint32_t popcount64(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((x * 0x0101010101010101ull) >> 56);
}

/* The number of bits set in used[] (nslots bits). */
static size_t count_used(const uint64_t *used, size_t nslots) {
    size_t dim = 0;
    for (size_t i = 0; i < (nslots + 63) / 64; i++) dim += (size_t)__builtin_popcountll(used[i]);
    return dim;
}

int gn__bdata_count_features(const gn_bdata *d, size_t nslots, size_t *dim) {
    uint64_t *used = calloc((nslots + 63) / 64, sizeof *used);
    if (!used) return gn__fail(GN_ENOMEM, "out of memory");
    gn__bdata_mark_used(d, used, nslots);
    *dim = count_used(used, nslots);
    free(used);
    return GN_OK;
}

int gn__bdata_remap(gn_bdata *d, const uint64_t *used, size_t nslots, uint32_t **slots_out, size_t *dim_out) {
    const size_t words = (nslots + 63) / 64;
    const size_t dim = count_used(used, nslots);
    uint32_t *rank = malloc((words + 1) * sizeof *rank); /* dense ids before each word */
    uint32_t *slots = malloc((dim ? dim : 1) * sizeof *slots);
    if (!rank || !slots) {
        free(rank);
        free(slots);
        return gn__fail(GN_ENOMEM, "out of memory renumbering %zu features", dim);
    }
    size_t r = 0;
    for (size_t i = 0; i < words; i++) {
        rank[i] = (uint32_t)r;
        uint64_t bits = used[i];
        while (bits) {
            slots[r++] = (uint32_t)(i * 64 + (size_t)__builtin_ctzll(bits));
            bits &= bits - 1;
        }
    }
    for (size_t k = 0; k < d->nnz; k++) {
        uint32_t s = d->index[k];
        uint64_t below = used[s >> 6] & (((uint64_t)1 << (s & 63)) - 1);
        d->index[k] = rank[s >> 6] + popcount64(below);
    }
    free(rank);
    *slots_out = slots;
    *dim_out = dim;
    return GN_OK;
}

/* ---- losses ----------------------------------------------------------------------------- */

#define POISSON_CAP 30.0
#define BLOCK 256 /* examples per stage of a pass (see the comment above row_dot) */

/* Loss at score s for label y and its derivative in s, with one exp() for the logistic loss. */
static inline double loss_and_deriv(gn_loss loss, double s, double y, double *deriv) {
    switch (loss) {
    case GN_LOSS_SQUARED:
        *deriv = 2.0 * (s - y);
        return (s - y) * (s - y);
    case GN_LOSS_POISSON:
        if (s <= POISSON_CAP) {
            double e = exp(s);
            *deriv = e - y;
            return e - y * s;
        } else {
            double e = exp(POISSON_CAP);
            *deriv = e - y;
            return e * (1.0 + (s - POISSON_CAP)) - y * s;
        }
    default: {
        const double m = y * s;
        if (m >= 0) {
            const double e = exp(-m);
            *deriv = -y * e / (1.0 + e);
            return log1p(e);
        } else {
            const double e = exp(m);
            *deriv = -y / (1.0 + e);
            return -m + log1p(e);
        }
    }
    }
}

/* Losses (if lv is not NULL) and derivatives of the scores s[0..n) of examples [e0, e0+n) with
 * non-zero weight. Zero-weight examples get a derivative of 0, and a loss value that callers
 * must ignore (0, or for the logistic loss whatever the block computed). The same numbers as
 * loss_and_deriv, to the bit; for the logistic loss the exps and the logs run as separate loops,
 * which the processor overlaps far better than one example's exp-then-log chain at a time. */
static void block_losses(gn_loss loss, const gn_bdata *d, size_t e0, size_t n, const double *s, double *lv,
                         double *dv) {
    const float *label = d->label + e0, *weight = d->weight + e0;
    if (loss != GN_LOSS_LOGISTIC) {
        for (size_t i = 0; i < n; i++) {
            if (weight[i] == 0.0f) {
                dv[i] = 0.0;
                if (lv) lv[i] = 0.0;
                continue;
            }
            double l = loss_and_deriv(loss, s[i], label[i], &dv[i]);
            if (lv) lv[i] = l;
        }
        return;
    }
    double e[BLOCK];
    for (size_t i = 0; i < n; i++) e[i] = exp(-fabs((double)label[i] * s[i]));
    if (lv)
        for (size_t i = 0; i < n; i++) lv[i] = log1p(e[i]);
    for (size_t i = 0; i < n; i++) {
        const double y = label[i], m = y * s[i];
        if (weight[i] == 0.0f) {
            dv[i] = 0.0;
            continue;
        }
        dv[i] = (m >= 0 ? -y * e[i] : -y) / (1.0 + e[i]);
        if (lv && m < 0) lv[i] = -m + lv[i];
    }
}

/* ---- threaded evaluation ------------------------------------------------------------------ */

typedef enum job_kind {
    JOB_MARGINS,
    JOB_DIRECTION,
    JOB_DIRECTION_GRADIENT,
    JOB_LINE,
    JOB_GRADIENT,
    JOB_STEP,
    JOB_REDUCE,
    JOB_EXIT
} job_kind;

struct gn_objective {
    const gn_bdata *d;
    size_t dim;          /* weights: features * k */
    size_t k;            /* scores per example (softmax: the classes) */
    gn_loss loss;
    uint32_t threads;
    size_t *lo;          /* threads+1 example bounds, balanced by features */
    double *q;           /* X dir, one per example */
    double *part;        /* (threads-1) * dim partial gradients of threads 1.. */
    double *loss_part, *dphi_part; /* one per thread */
    double weight_sum;
    /* arguments of the running job */
    job_kind job;
    const double *w;
    double *z;
    double alpha;
    int want_loss;
    double *g;
    /* the pool: threads 1..T-1 wait for a new generation, run their share, report done */
    pthread_t *tid;
    struct worker *wk;
    uint32_t started;    /* worker threads running */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    uint64_t generation;
    uint32_t finished;
    int sync_ok;
};

typedef struct worker {
    gn_objective *o;
    uint32_t t;
} worker;

static double *thread_gradient(gn_objective *o, uint32_t t) {
    return t == 0 ? o->g : o->part + (size_t)(t - 1) * o->dim;
}

/* The passes below go through a thread's examples in blocks of BLOCK, one stage at a time (the
 * margins, then the losses, then the gradient's scatter): the examples of a stage do not depend
 * on each other, so the processor overlaps them, where one example at a time would wait on each
 * one's chain of sparse dot product, exp and log. The sums keep the example order. */
static inline double row_dot(const gn_bdata *d, size_t e, const double *w) {
    double s = 0.0;
    for (size_t k = d->start[e]; k < d->start[e + 1]; k++) s += w[d->index[k]] * (double)d->value[k];
    return s;
}

/* g += r_e x_e over the block's examples [e0, e1) (r indexed from e0). */
static inline void scatter(const gn_bdata *d, size_t e0, size_t e1, const double *r, double *g) {
    for (size_t e = e0; e < e1; e++) {
        const double re = r[e - e0];
        if (re == 0.0) continue;
        for (size_t k = d->start[e]; k < d->start[e + 1]; k++) g[d->index[k]] += re * (double)d->value[k];
    }
}

/* ---- k scores per example (softmax) -------------------------------------------------------- */

#define KMAX 256 /* most scores per example (GN_LABELS_MAX_CLASSES) */

/* out[c] = sum_i w[idx_i * k + c] x_i. */
static inline void row_dot_k(const gn_bdata *d, size_t e, const double *w, size_t k, double *out) {
    for (size_t c = 0; c < k; c++) out[c] = 0.0;
    for (size_t i = d->start[e]; i < d->start[e + 1]; i++) {
        const double *r = w + (size_t)d->index[i] * k;
        const double x = d->value[i];
        for (size_t c = 0; c < k; c++) out[c] += r[c] * x;
    }
}

/* g[idx_i * k + c] += r[c] x_i. */
static inline void scatter_k(const gn_bdata *d, size_t e, const double *r, size_t k, double *g) {
    for (size_t i = d->start[e]; i < d->start[e + 1]; i++) {
        double *row = g + (size_t)d->index[i] * k;
        const double x = d->value[i];
        for (size_t c = 0; c < k; c++) row[c] += r[c] * x;
    }
}

static inline size_t class_of(const gn_bdata *d, size_t e, size_t k) {
    const double y = d->label[e];
    return y >= 0 && y < (double)k ? (size_t)y : 0;
}

/* One example's loss at its k scores s and (into dv) its gradient in them times wt: softmax's, or
 * with a binary loss (logistic: --oaa) the sum of the k binary losses of class c's classifier at
 * label [c == y] ? +1 : -1. The oaa sum is separable (class c's loss depends on class c's weights
 * alone), so one objective over all k weight vectors is k independent problems solved in one pass. */
static inline double row_loss_grad(gn_loss loss, const double *s, size_t k, size_t y, double wt, double *dv) {
    if (loss == GN_LOSS_SOFTMAX) return gn__softmax_grad(s, k, y, wt, dv);
    double f = 0.0;
    for (size_t c = 0; c < k; c++) {
        f += loss_and_deriv(loss, s[c], c == y ? 1.0 : -1.0, &dv[c]);
        dv[c] *= wt;
    }
    return f;
}

/* The same loss alone. */
static inline double row_loss(gn_loss loss, const double *s, size_t k, size_t y) {
    if (loss == GN_LOSS_SOFTMAX) return gn__loss_row(loss, s, k, (double)y, 0.5);
    double f = 0.0, dv;
    for (size_t c = 0; c < k; c++) f += loss_and_deriv(loss, s[c], c == y ? 1.0 : -1.0, &dv);
    return f;
}

static void run_margins_k(gn_objective *o, uint32_t t, const double *w, double *z, int with_loss) {
    const gn_bdata *d = o->d;
    const size_t k = o->k;
    double f = 0.0;
    for (size_t e = o->lo[t]; e < o->lo[t + 1]; e++) {
        row_dot_k(d, e, w, k, z + e * k);
        if (with_loss && d->weight[e] != 0.0f) f += d->weight[e] * row_loss(o->loss, z + e * k, k, class_of(d, e, k));
    }
    o->loss_part[t] = f;
}

static void run_line_k(gn_objective *o, uint32_t t, int compute_q, double *g) {
    const gn_bdata *d = o->d;
    const size_t k = o->k;
    const double a = o->alpha;
    double f = 0.0, df = 0.0, sc[KMAX], dv[KMAX];
    if (g) memset(g, 0, o->dim * sizeof *g);
    for (size_t e = o->lo[t]; e < o->lo[t + 1]; e++) {
        double *q = o->q + e * k;
        if (compute_q) row_dot_k(d, e, o->w, k, q);
        const double wt = d->weight[e];
        if (wt == 0.0) continue;
        const double *z = o->z + e * k;
        for (size_t c = 0; c < k; c++) sc[c] = z[c] + a * q[c];
        f += wt * row_loss_grad(o->loss, sc, k, class_of(d, e, k), wt, dv);
        for (size_t c = 0; c < k; c++) df += dv[c] * q[c];
        if (g) scatter_k(d, e, dv, k, g);
    }
    o->loss_part[t] = f;
    o->dphi_part[t] = df;
}

static void run_gradient_k(gn_objective *o, uint32_t t) {
    const gn_bdata *d = o->d;
    const size_t k = o->k;
    double *g = thread_gradient(o, t);
    memset(g, 0, o->dim * sizeof *g);
    const double a = o->alpha;
    double f = 0.0, dv[KMAX];
    for (size_t e = o->lo[t]; e < o->lo[t + 1]; e++) {
        double *z = o->z + e * k;
        if (a != 0.0)
            for (size_t c = 0; c < k; c++) z[c] += a * o->q[e * k + c];
        const double wt = d->weight[e];
        if (wt == 0.0) continue;
        const double lv = row_loss_grad(o->loss, z, k, class_of(d, e, k), wt, dv);
        if (o->want_loss) f += wt * lv;
        scatter_k(d, e, dv, k, g);
    }
    o->loss_part[t] = f;
}

static void run_margins(gn_objective *o, uint32_t t, const double *w, double *z, int with_loss) {
    if (o->k > 1) {
        run_margins_k(o, t, w, z, with_loss);
        return;
    }
    const gn_bdata *d = o->d;
    double f = 0.0, lv[BLOCK], dv[BLOCK];
    for (size_t e0 = o->lo[t]; e0 < o->lo[t + 1]; e0 += BLOCK) {
        const size_t e1 = e0 + BLOCK < o->lo[t + 1] ? e0 + BLOCK : o->lo[t + 1];
        for (size_t e = e0; e < e1; e++) z[e] = row_dot(d, e, w);
        if (!with_loss) continue;
        block_losses(o->loss, d, e0, e1 - e0, z + e0, lv, dv);
        for (size_t e = e0; e < e1; e++)
            if (d->weight[e] != 0.0f) f += d->weight[e] * lv[e - e0];
    }
    o->loss_part[t] = f;
}

/* Optionally q = X dir first; then loss and derivative along q at z + alpha q, and with g (this
 * thread's gradient buffer, not NULL) also the gradient there: the rows are still in cache, and
 * if the line search takes this step, the gradient pass after it is spared. */
static void run_line(gn_objective *o, uint32_t t, int compute_q, double *g) {
    if (o->k > 1) {
        run_line_k(o, t, compute_q, g);
        return;
    }
    const gn_bdata *d = o->d;
    const double *z = o->z;
    double *q = o->q;
    const double a = o->alpha;
    double f = 0.0, df = 0.0, sc[BLOCK], lv[BLOCK], dv[BLOCK];
    if (g) memset(g, 0, o->dim * sizeof *g);
    for (size_t e0 = o->lo[t]; e0 < o->lo[t + 1]; e0 += BLOCK) {
        const size_t e1 = e0 + BLOCK < o->lo[t + 1] ? e0 + BLOCK : o->lo[t + 1];
        if (compute_q)
            for (size_t e = e0; e < e1; e++) q[e] = row_dot(d, e, o->w);
        for (size_t e = e0; e < e1; e++) sc[e - e0] = z[e] + a * q[e];
        block_losses(o->loss, d, e0, e1 - e0, sc, lv, dv);
        for (size_t e = e0; e < e1; e++) {
            const double wt = d->weight[e];
            if (wt == 0.0) continue;
            f += wt * lv[e - e0];
            df += wt * dv[e - e0] * q[e];
            dv[e - e0] *= wt;
        }
        if (g) scatter(d, e0, e1, dv, g);
    }
    o->loss_part[t] = f;
    o->dphi_part[t] = df;
}

static void run_gradient(gn_objective *o, uint32_t t) {
    if (o->k > 1) {
        run_gradient_k(o, t);
        return;
    }
    const gn_bdata *d = o->d;
    double *g = thread_gradient(o, t);
    memset(g, 0, o->dim * sizeof *g);
    double *z = o->z;
    const double a = o->alpha;
    double f = 0.0, lv[BLOCK], dv[BLOCK];
    for (size_t e0 = o->lo[t]; e0 < o->lo[t + 1]; e0 += BLOCK) {
        const size_t e1 = e0 + BLOCK < o->lo[t + 1] ? e0 + BLOCK : o->lo[t + 1];
        if (a != 0.0)
            for (size_t e = e0; e < e1; e++) z[e] += a * o->q[e];
        block_losses(o->loss, d, e0, e1 - e0, z + e0, o->want_loss ? lv : NULL, dv);
        for (size_t e = e0; e < e1; e++) {
            const double wt = d->weight[e];
            if (wt == 0.0) continue;
            if (o->want_loss) f += wt * lv[e - e0];
            dv[e - e0] *= wt;
        }
        scatter(d, e0, e1, dv, g);
    }
    o->loss_part[t] = f;
}

static void run_step(gn_objective *o, uint32_t t) {
    double *z = o->z;
    const double a = o->alpha;
    for (size_t e = o->lo[t] * o->k; e < o->lo[t + 1] * o->k; e++) z[e] += a * o->q[e];
}

/* g[j] = g0[j] + g1[j] + ... + g_{T-1}[j], always in thread order, over this thread's range of
 * coordinates. */
static void run_reduce(gn_objective *o, uint32_t t, uint32_t parts) {
    const size_t j0 = o->dim * t / parts, j1 = o->dim * (t + 1) / parts;
    for (uint32_t u = 1; u < o->threads; u++) {
        const double *p = o->part + (size_t)(u - 1) * o->dim;
        for (size_t j = j0; j < j1; j++) o->g[j] += p[j];
    }
}

static void run_job(gn_objective *o, uint32_t t) {
    switch (o->job) {
    case JOB_MARGINS: run_margins(o, t, o->w, o->z, o->want_loss); break;
    case JOB_DIRECTION: run_line(o, t, 1, NULL); break;
    case JOB_DIRECTION_GRADIENT: run_line(o, t, 1, thread_gradient(o, t)); break;
    case JOB_LINE: run_line(o, t, 0, NULL); break;
    case JOB_GRADIENT: run_gradient(o, t); break;
    case JOB_STEP: run_step(o, t); break;
    case JOB_REDUCE: run_reduce(o, t, o->threads); break;
    case JOB_EXIT: break;
    }
}

static void *worker_main(void *arg) {
    worker *wk = arg;
    gn_objective *o = wk->o;
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&o->mu);
        while (o->generation == seen) pthread_cond_wait(&o->go, &o->mu);
        seen = o->generation;
        job_kind job = o->job;
        pthread_mutex_unlock(&o->mu);
        if (job == JOB_EXIT) break;
        run_job(o, wk->t);
        pthread_mutex_lock(&o->mu);
        if (++o->finished == o->started) pthread_cond_signal(&o->done);
        pthread_mutex_unlock(&o->mu);
    }
    return NULL;
}

/* Runs the current job on every thread share (the caller runs share 0, and the shares of any
 * worker that could not be started: same result, only slower). */
static void run_all(gn_objective *o) {
    if (o->started > 0) {
        pthread_mutex_lock(&o->mu);
        o->finished = 0;
        o->generation++;
        pthread_cond_broadcast(&o->go);
        pthread_mutex_unlock(&o->mu);
    }
    run_job(o, 0);
    for (uint32_t t = o->started + 1; t < o->threads; t++) run_job(o, t);
    if (o->started > 0) {
        pthread_mutex_lock(&o->mu);
        while (o->finished < o->started) pthread_cond_wait(&o->done, &o->mu);
        pthread_mutex_unlock(&o->mu);
    }
}

int gn__objective_new(const gn_bdata *d, size_t dim, gn_loss loss, uint32_t threads, gn_objective **out) {
    return gn__objective_new_k(d, dim, 1, loss, threads, out);
}

int gn__objective_new_k(const gn_bdata *d, size_t nfeat, size_t k, gn_loss loss, uint32_t threads,
                        gn_objective **out) {
    if (k < 1 || k > KMAX || (k > 1 && loss != GN_LOSS_SOFTMAX && loss != GN_LOSS_LOGISTIC))
        return gn__fail(GN_EINTERNAL, "objective: %zu scores per example for loss %s", k, gn_loss_name(loss));
    const size_t dim = nfeat * k;
    if (threads < 1) threads = 1;
    if (threads > 1024) threads = 1024;
    if (d->n < threads) threads = d->n > 0 ? (uint32_t)d->n : 1; /* at least one example each */
    gn_objective *o = calloc(1, sizeof *o);
    if (!o) return gn__fail(GN_ENOMEM, "out of memory");
    o->d = d;
    o->dim = dim;
    o->k = k;
    o->loss = loss;
    o->threads = threads;
    o->lo = malloc((threads + 1) * sizeof *o->lo);
    o->q = calloc(d->n ? d->n * k : 1, sizeof *o->q);
    o->loss_part = calloc(threads, sizeof *o->loss_part);
    o->dphi_part = calloc(threads, sizeof *o->dphi_part);
    o->part = threads > 1 ? malloc((size_t)(threads - 1) * (dim ? dim : 1) * sizeof *o->part) : NULL;
    o->tid = malloc(threads * sizeof *o->tid);
    o->wk = malloc(threads * sizeof *o->wk);
    if (!o->lo || !o->q || !o->loss_part || !o->dphi_part || (threads > 1 && !o->part) || !o->tid || !o->wk) {
        gn__objective_free(o);
        return gn__fail(GN_ENOMEM, "out of memory for the batch solver's buffers (%u threads x %zu features)",
                        threads, dim);
    }
    /* shard bounds: thread t starts at the first example at or after t/T of the features */
    o->lo[0] = 0;
    size_t e = 0;
    for (uint32_t t = 1; t < threads; t++) {
        const size_t target = d->nnz / threads * t + d->nnz % threads * t / threads;
        while (e < d->n && d->start[e] < target) e++;
        o->lo[t] = e;
    }
    o->lo[threads] = d->n;
    for (size_t i = 0; i < d->n; i++) o->weight_sum += d->weight[i];
    if (threads > 1) {
        if (pthread_mutex_init(&o->mu, NULL) == 0) {
            if (pthread_cond_init(&o->go, NULL) == 0) {
                if (pthread_cond_init(&o->done, NULL) == 0) o->sync_ok = 3;
                else pthread_cond_destroy(&o->go);
            } else {
                pthread_mutex_destroy(&o->mu);
            }
        }
        worker *wk = o->wk;
        /* worker t runs share t; if some cannot start, the caller runs the rest itself */
        for (uint32_t t = 1; o->sync_ok && t < threads; t++) {
            wk[t].o = o;
            wk[t].t = t;
            if (pthread_create(&o->tid[t], NULL, worker_main, &wk[t]) != 0) break;
            o->started++;
        }
    }
    *out = o;
    return GN_OK;
}

void gn__objective_free(gn_objective *o) {
    if (!o) return;
    if (o->started > 0) {
        pthread_mutex_lock(&o->mu);
        o->job = JOB_EXIT;
        o->generation++;
        pthread_cond_broadcast(&o->go);
        pthread_mutex_unlock(&o->mu);
        for (uint32_t t = 1; t <= o->started; t++) pthread_join(o->tid[t], NULL);
    }
    if (o->sync_ok) {
        pthread_cond_destroy(&o->done);
        pthread_cond_destroy(&o->go);
        pthread_mutex_destroy(&o->mu);
    }
    free(o->tid);
    free(o->wk);
    free(o->lo);
    free(o->q);
    free(o->part);
    free(o->loss_part);
    free(o->dphi_part);
    free(o);
}

double gn__objective_weight_sum(const gn_objective *o) { return o->weight_sum; }

static double sum_parts(const double *p, uint32_t n) {
    double s = 0.0;
    for (uint32_t t = 0; t < n; t++) s += p[t];
    return s;
}

void gn__objective_margins(gn_objective *o, const double *w, double *z, double *loss) {
    o->job = JOB_MARGINS;
    o->w = w;
    o->z = z;
    o->want_loss = loss != NULL;
    run_all(o);
    if (loss) *loss = sum_parts(o->loss_part, o->threads);
}

void gn__objective_direction(gn_objective *o, const double *dir, const double *z, double alpha, double *loss,
                             double *dphi) {
    o->job = JOB_DIRECTION;
    o->w = dir;
    o->z = (double *)z; /* read only in this job */
    o->alpha = alpha;
    run_all(o);
    *loss = sum_parts(o->loss_part, o->threads);
    *dphi = sum_parts(o->dphi_part, o->threads);
}

void gn__objective_line(gn_objective *o, const double *z, double alpha, double *loss, double *dphi) {
    o->job = JOB_LINE;
    o->z = (double *)z; /* read only in this job */
    o->alpha = alpha;
    run_all(o);
    *loss = sum_parts(o->loss_part, o->threads);
    *dphi = sum_parts(o->dphi_part, o->threads);
}

/* Sums the threads' gradient buffers into o->g (thread order). */
static void reduce_gradient(gn_objective *o) {
    if (o->threads > 1) {
        if (o->dim < ((size_t)1 << 16)) { /* small: not worth waking the threads */
            run_reduce(o, 0, 1);
        } else {
            o->job = JOB_REDUCE;
            run_all(o);
        }
    }
}

void gn__objective_gradient(gn_objective *o, double *z, double alpha, double *loss, double *g) {
    o->job = JOB_GRADIENT;
    o->z = z;
    o->alpha = alpha;
    o->g = g;
    o->want_loss = loss != NULL;
    run_all(o);
    if (loss) *loss = sum_parts(o->loss_part, o->threads);
    reduce_gradient(o);
}

void gn__objective_direction_gradient(gn_objective *o, const double *dir, const double *z, double alpha,
                                      double *loss, double *dphi, double *g) {
    o->job = JOB_DIRECTION_GRADIENT;
    o->w = dir;
    o->z = (double *)z; /* read only in this job */
    o->alpha = alpha;
    o->g = g;
    run_all(o);
    *loss = sum_parts(o->loss_part, o->threads);
    *dphi = sum_parts(o->dphi_part, o->threads);
    reduce_gradient(o);
}

void gn__objective_step(gn_objective *o, double *z, double alpha) {
    if (alpha == 0.0) return;
    o->job = JOB_STEP;
    o->z = z;
    o->alpha = alpha;
    if (o->d->n < ((size_t)1 << 16)) { /* small: not worth waking the threads */
        for (uint32_t t = 0; t < o->threads; t++) run_step(o, t);
    } else {
        run_all(o);
    }
}
