/* learn/objective.c: the in-memory CSR of the batch solvers and the multi-threaded,
 * deterministically reduced evaluation of the smooth loss and its gradient (see objective.h). */
#include "learn/objective.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "learn/loss.h"
#include "util/error.h"

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

int gn__bdata_remap(gn_bdata *d, const uint64_t *used, size_t nslots, uint32_t **slots_out, size_t *dim_out) {
    const size_t words = (nslots + 63) / 64;
    size_t dim = 0;
    for (size_t i = 0; i < words; i++) dim += (size_t)__builtin_popcountll(used[i]);
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
        d->index[k] = rank[s >> 6] + (uint32_t)__builtin_popcountll(below);
    }
    free(rank);
    *slots_out = slots;
    *dim_out = dim;
    return GN_OK;
}

/* ---- losses ----------------------------------------------------------------------------- */

#define POISSON_CAP 30.0

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

static inline double deriv_only(gn_loss loss, double s, double y) {
    switch (loss) {
    case GN_LOSS_SQUARED: return 2.0 * (s - y);
    case GN_LOSS_POISSON: return (s <= POISSON_CAP ? exp(s) : exp(POISSON_CAP)) - y;
    default: return -y / (1.0 + exp(y * s));
    }
}

/* ---- threaded evaluation ------------------------------------------------------------------ */

typedef enum job_kind { JOB_MARGINS, JOB_DIRECTION, JOB_LINE, JOB_GRADIENT, JOB_REDUCE, JOB_EXIT } job_kind;

struct gn_objective {
    const gn_bdata *d;
    size_t dim;
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

static void run_margins(gn_objective *o, uint32_t t, const double *w, double *z, int with_loss) {
    const gn_bdata *d = o->d;
    double f = 0.0;
    for (size_t e = o->lo[t]; e < o->lo[t + 1]; e++) {
        double s = 0.0;
        for (size_t k = d->start[e]; k < d->start[e + 1]; k++) s += w[d->index[k]] * (double)d->value[k];
        z[e] = s;
        if (with_loss && d->weight[e] != 0.0) {
            double dv;
            f += d->weight[e] * loss_and_deriv(o->loss, s, d->label[e], &dv);
        }
    }
    o->loss_part[t] = f;
}

/* Optionally q = X dir first; then loss and derivative along q at z + alpha q. */
static void run_line(gn_objective *o, uint32_t t, int compute_q) {
    const gn_bdata *d = o->d;
    const double *z = o->z;
    double *q = o->q;
    const double a = o->alpha;
    double f = 0.0, df = 0.0;
    for (size_t e = o->lo[t]; e < o->lo[t + 1]; e++) {
        if (compute_q) {
            double s = 0.0;
            for (size_t k = d->start[e]; k < d->start[e + 1]; k++) s += o->w[d->index[k]] * (double)d->value[k];
            q[e] = s;
        }
        const double wt = d->weight[e];
        if (wt == 0.0) continue;
        double dv;
        f += wt * loss_and_deriv(o->loss, z[e] + a * q[e], d->label[e], &dv);
        df += wt * dv * q[e];
    }
    o->loss_part[t] = f;
    o->dphi_part[t] = df;
}

static void run_gradient(gn_objective *o, uint32_t t) {
    const gn_bdata *d = o->d;
    double *g = t == 0 ? o->g : o->part + (size_t)(t - 1) * o->dim;
    memset(g, 0, o->dim * sizeof *g);
    double *z = o->z;
    const double a = o->alpha;
    double f = 0.0;
    for (size_t e = o->lo[t]; e < o->lo[t + 1]; e++) {
        if (a != 0.0) z[e] += a * o->q[e];
        const double wt = d->weight[e];
        if (wt == 0.0) continue;
        double dv;
        if (o->want_loss) f += wt * loss_and_deriv(o->loss, z[e], d->label[e], &dv);
        else dv = deriv_only(o->loss, z[e], d->label[e]);
        const double r = wt * dv;
        if (r == 0.0) continue;
        for (size_t k = d->start[e]; k < d->start[e + 1]; k++) g[d->index[k]] += r * (double)d->value[k];
    }
    o->loss_part[t] = f;
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
    case JOB_DIRECTION: run_line(o, t, 1); break;
    case JOB_LINE: run_line(o, t, 0); break;
    case JOB_GRADIENT: run_gradient(o, t); break;
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
    if (threads < 1) threads = 1;
    if (threads > 1024) threads = 1024;
    if (d->n < threads) threads = d->n > 0 ? (uint32_t)d->n : 1; /* at least one example each */
    gn_objective *o = calloc(1, sizeof *o);
    if (!o) return gn__fail(GN_ENOMEM, "out of memory");
    o->d = d;
    o->dim = dim;
    o->loss = loss;
    o->threads = threads;
    o->lo = malloc((threads + 1) * sizeof *o->lo);
    o->q = calloc(d->n ? d->n : 1, sizeof *o->q);
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

void gn__objective_gradient(gn_objective *o, double *z, double alpha, double *loss, double *g) {
    o->job = JOB_GRADIENT;
    o->z = z;
    o->alpha = alpha;
    o->g = g;
    o->want_loss = loss != NULL;
    run_all(o);
    if (loss) *loss = sum_parts(o->loss_part, o->threads);
    if (o->threads > 1) {
        if (o->dim < ((size_t)1 << 16)) { /* small: not worth waking the threads */
            run_reduce(o, 0, 1);
        } else {
            o->job = JOB_REDUCE;
            run_all(o);
        }
    }
}
