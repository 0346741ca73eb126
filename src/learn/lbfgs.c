/* learn/lbfgs.c: the batch solvers. L-BFGS (Nocedal 1980; two-loop recursion, --memory pairs,
 * initial matrix from the data: c X^T W X + l2 I when there are few features, a bound on the
 * Hessian for the logistic loss and exact for the squared, else its diagonal) for smooth objectives and OWL-QN (Andrew & Gao 2007:
 * pseudo-gradient, orthant-constrained direction and line search) for l1 > 0, minimising
 *     F(w) = sum_i weight_i * loss(x_i . w, y_i) + l1 * |w|_1 + l2/2 * |w|^2
 * over every weight, the bias slot 0 included (so l2 = 1/C matches `liblinear-train -s 0 -B 1 -c C`,
 * whose objective is C times ours). The data are read once into memory (objective.h); each rank
 * of an MPI job reads only its part of the input, and the loss and gradient are all-reduced every
 * iteration so every rank takes the same step (dist.h). Each iteration reports through the
 * progress callback (rank 0 only): pass = iteration, progressive_loss = F(w).
 * Stops when |grad| <= tol * |grad at the start| (the pseudo-gradient for OWL-QN), when F
 * decreases by less than 1e-4 * tol relative in an iteration, when the line search can make no
 * more progress (round-off), or after --max-iter iterations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "hash/hash.h"
#include "io/labels.h"
#include "io/cache.h"
#include "learn/class_weights.h"
#include "learn/loss.h"
#include "learn/learner.h"
#include "learn/objective.h"
#include "learn/split.h"
#include "learn/train_internal.h"
#include "model/kinds/linear.h"
#include "model/kinds/softmax.h"
#include "model/loss_table.h"
#include "model/model.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/error.h"

#define LS_MAX 40          /* function evaluations per line search */
#define C1 1e-4            /* sufficient decrease */
#define C2 0.9             /* curvature (L-BFGS) */
/* Line searches compute the gradient at their first trial step (sparing a pass when the step is
 * taken) only while the gradient fits in cache next to the direction: with more features, the
 * scatter into one and the gather from the other in the same pass evict each other, and separate
 * passes are faster (1M features: about 15%). */
#define FUSE_MAX_DIM ((size_t)1 << 16)

typedef struct solver {
    const gn_train_options *o;
    gn_objective *obj;
    size_t n_global;      /* examples on all ranks */
    size_t dim;           /* weights: dense features (union over ranks) x k */
    size_t k;             /* weights per feature, scores per example (softmax: the classes; else 1) */
    size_t m;             /* history pairs kept */
    double *w, *g, *z, *dir, *wn, *gn, *zn, *pg;
    double *s, *y, *rho, *alpha; /* history: m x dim, m x dim, m, m */
    double *hinv;         /* diagonal initial inverse Hessian (NULL: the identity) */
    double *colsq;        /* sum_i weight_i x_ij^2, summed over ranks (the data part of hinv) */
    double *chol;         /* dim x dim: lower Cholesky factor L of the dense initial Hessian B = L L^T
                           * (small dim only; NULL: the diagonal hinv), and dim doubles of scratch */
    double *xtx;          /* packed lower triangle of sum_i weight_i x_i x_i^T, summed over ranks (the
                           * data part of B, kept for the next solve of a path); NULL: not built */
    int dense_skip;       /* 1: B was found too dear to build for this data */
    size_t hist, head;    /* pairs stored; next slot to write */
    double f;             /* F(w) */
    double loss;          /* data part of F(w) */
    uint32_t iterations, evaluations;
    const char *stop;     /* why it stopped */
    int fuse;             /* line searches compute the gradient at their first trial step */
    double grad_at;       /* the step whose local data gradient sv->gn holds (NAN: none) */
    gn_progress_fn fn;
    void *user;
    double t0;
    uint32_t pass_offset; /* 1 when an online warm-start pass came first */
    int local;            /* this process alone: no sums over MPI ranks (model selection) */
    double gref;          /* > 0: the gradient norm the stopping test is relative to (else the start's) */
    double gstart;        /* the (pseudo-)gradient norm at the start */
} solver;

/* The loss the objective evaluates per example: o's, or for --oaa (kind oaa, loss softmax once
 * resolved) the binary loss each class's classifier minimises (objective.h). */
static gn_loss objective_loss(const gn_train_options *o) {
    return o->kind == GN_KIND_OAA ? o->oaa_loss : o->loss;
}

/* Sums buf over the ranks (every rank gets the same bits), unless the solve is local. */
static int sum_ranks(const solver *sv, double *buf, size_t n) {
    return sv->local ? GN_OK : gn__dist_allreduce_sum(buf, n);
}

static double dot(const double *a, const double *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static double l1norm(const double *a, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += fabs(a[i]);
    return s;
}

static double regulariser(const solver *sv, const double *w) {
    double r = 0.0;
    if (sv->o->l2 > 0) r += 0.5 * sv->o->l2 * dot(w, w, sv->dim);
    if (sv->o->l1 > 0) r += sv->o->l1 * l1norm(w, sv->dim);
    return r;
}

/* Moves the margins z by alpha along the last direction, then the data loss (if loss is not NULL)
 * and gradient there, summed over ranks; adds the l2 term to g. */
static int full_gradient(solver *sv, const double *w, double *z, double alpha, double *g, double *loss) {
    double local = 0.0;
    gn__objective_gradient(sv->obj, z, alpha, loss ? &local : NULL, g);
    g[sv->dim] = local; /* the buffer has one spare slot: loss rides along in the same reduction */
    GN_TRY(sum_ranks(sv, g, sv->dim + 1));
    if (loss) *loss = g[sv->dim];
    if (sv->o->l2 > 0)
        for (size_t j = 0; j < sv->dim; j++) g[j] += sv->o->l2 * w[j];
    sv->evaluations++;
    return GN_OK;
}

/* The same when this rank's data gradient at w is already in g (a fused line search step): the
 * reduction over ranks and the l2 term only, no pass over the data. */
static int reduce_gradient(solver *sv, const double *w, double *g) {
    g[sv->dim] = 0.0;
    GN_TRY(sum_ranks(sv, g, sv->dim + 1));
    if (sv->o->l2 > 0)
        for (size_t j = 0; j < sv->dim; j++) g[j] += sv->o->l2 * w[j];
    return GN_OK;
}

/* v = (L L^T)^-1 v for the lower triangular L (row-major, n x n). */
static void chol_solve(const double *L, double *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const double *li = L + i * n;
        double x = v[i];
        for (size_t k = 0; k < i; k++) x -= li[k] * v[k];
        v[i] = x / li[i];
    }
    for (size_t i = n; i-- > 0;) {
        double x = v[i];
        for (size_t k = i + 1; k < n; k++) x -= L[k * n + i] * v[k];
        v[i] = x / L[i * n + i];
    }
}

/* d = -H v with the two-loop recursion over the stored pairs (H = gamma I without pairs). */
static void two_loop(solver *sv, const double *v, double *d) {
    const size_t n = sv->dim;
    for (size_t j = 0; j < n; j++) d[j] = -v[j];
    if (sv->hist == 0) {
        if (sv->chol) chol_solve(sv->chol, d, n);
        else if (sv->hinv)
            for (size_t j = 0; j < n; j++) d[j] *= sv->hinv[j];
        return;
    }
    for (size_t k = 0; k < sv->hist; k++) { /* newest to oldest */
        size_t i = (sv->head + sv->m - 1 - k) % sv->m;
        sv->alpha[i] = sv->rho[i] * dot(sv->s + i * n, d, n);
        const double *yi = sv->y + i * n;
        for (size_t j = 0; j < n; j++) d[j] -= sv->alpha[i] * yi[j];
    }
    size_t newest = (sv->head + sv->m - 1) % sv->m;
    const double *yn = sv->y + newest * n;
    if (sv->chol) { /* H0 = gamma B^-1 with gamma = s.y / y.B^-1.y */
        double *t = sv->chol + n * n;
        memcpy(t, yn, n * sizeof *t);
        chol_solve(sv->chol, t, n);
        const double gamma = 1.0 / (sv->rho[newest] * dot(yn, t, n));
        chol_solve(sv->chol, d, n);
        for (size_t j = 0; j < n; j++) d[j] *= gamma;
    } else if (sv->hinv) { /* H0 = gamma D^-1 with gamma = s.y / y.D^-1.y */
        double yhy = 0.0;
        for (size_t j = 0; j < n; j++) yhy += yn[j] * sv->hinv[j] * yn[j];
        const double gamma = 1.0 / (sv->rho[newest] * yhy);
        for (size_t j = 0; j < n; j++) d[j] *= gamma * sv->hinv[j];
    } else {
        const double gamma = 1.0 / (sv->rho[newest] * dot(yn, yn, n));
        for (size_t j = 0; j < n; j++) d[j] *= gamma;
    }
    for (size_t k = sv->hist; k-- > 0;) { /* oldest to newest */
        size_t i = (sv->head + sv->m - 1 - k) % sv->m;
        double b = sv->rho[i] * dot(sv->y + i * n, d, n);
        const double *si = sv->s + i * n;
        for (size_t j = 0; j < n; j++) d[j] += si[j] * (sv->alpha[i] - b);
    }
}

/* Stores s = wn - w, y = gn - g if the curvature s.y is safely positive. */
static void remember(solver *sv) {
    const size_t n = sv->dim;
    double *s = sv->s + sv->head * n, *y = sv->y + sv->head * n;
    for (size_t j = 0; j < n; j++) {
        s[j] = sv->wn[j] - sv->w[j];
        y[j] = sv->gn[j] - sv->g[j];
    }
    double sy = dot(s, y, n), yy = dot(y, y, n);
    if (!(sy > 1e-12 * yy) || !(yy > 0)) return; /* skip: keeps H positive definite */
    sv->rho[sv->head] = 1.0 / sy;
    sv->head = (sv->head + 1) % sv->m;
    if (sv->hist < sv->m) sv->hist++;
}

/* Reports the iteration to the progress callback; GN_ECANCELED when the caller's stop flag is then
 * set (one process only: ranks cannot stop one alone). */
static int report(solver *sv) {
    if (sv->fn && (sv->local || gn__dist_rank() == 0)) {
        gn_progress p;
        memset(&p, 0, sizeof p);
        p.pass = sv->iterations + sv->pass_offset;
        p.examples = sv->n_global;
        p.seconds = gn__now() - sv->t0;
        p.progressive_loss = sv->f;
        p.holdout_loss = NAN;
        p.end_of_pass = 1;
        sv->fn(&p, sv->user);
    }
    if (sv->o->stop && *sv->o->stop && (sv->local || gn__dist_size() == 1))
        return gn__fail(GN_ECANCELED, "training stopped: the caller's stop flag is set");
    return GN_OK;
}

/* phi(a) = F(w + a dir) and phi'(a). The first call of a line search (first = 1) also computes
 * the direction's margins q = X dir in the same pass, and with sv->fuse this rank's data gradient
 * at w + a dir into sv->gn (sv->grad_at = a): most line searches take their first step. */
static int line_eval(solver *sv, double a, int first, double *phi, double *dphi) {
    double buf[2];
    if (first && sv->fuse) {
        gn__objective_direction_gradient(sv->obj, sv->dir, sv->z, a, &buf[0], &buf[1], sv->gn);
        sv->grad_at = a;
    } else if (first) {
        gn__objective_direction(sv->obj, sv->dir, sv->z, a, &buf[0], &buf[1]);
    } else {
        gn__objective_line(sv->obj, sv->z, a, &buf[0], &buf[1]);
    }
    GN_TRY(sum_ranks(sv, buf, 2));
    const size_t n = sv->dim;
    double reg = 0.0, dreg = 0.0;
    if (sv->o->l2 > 0) {
        for (size_t j = 0; j < n; j++) {
            double wj = sv->w[j] + a * sv->dir[j];
            reg += wj * wj;
            dreg += wj * sv->dir[j];
        }
        reg *= 0.5 * sv->o->l2;
        dreg *= sv->o->l2;
    }
    *phi = buf[0] + reg;
    *dphi = buf[1] + dreg;
    sv->evaluations++;
    return GN_OK;
}

/* Cubic interpolation of the minimiser between a (fa, da) and b (fb, db), kept inside the
 * interval away from its ends; bisection when the cubic has no minimum there. */
static double cubic_step(double a, double fa, double da, double b, double fb, double db) {
    double d1 = da + db - 3.0 * (fa - fb) / (a - b);
    double disc = d1 * d1 - da * db;
    double lo = a < b ? a : b, hi = a < b ? b : a, x;
    if (disc >= 0) {
        double d2 = (b > a ? 1.0 : -1.0) * sqrt(disc);
        x = b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2);
        if (!isfinite(x)) x = 0.5 * (a + b);
    } else {
        x = 0.5 * (a + b);
    }
    double margin = 0.1 * (hi - lo);
    if (x < lo + margin) x = lo + margin;
    if (x > hi - margin) x = hi - margin;
    return x;
}

/* Strong Wolfe line search (Nocedal & Wright, Algorithms 3.5 and 3.6, cubic interpolation).
 * Near the optimum, differences of F fall under round-off; then a step is also accepted under
 * Hager & Zhang's approximate Wolfe conditions, which rely on derivatives only.
 * *step = 0 when no acceptable step was found. */
static int line_search(solver *sv, double f0, double d0, double a, double *step, double *fstep) {
    const double eps_f = 1e-12 * fabs(f0);
    double a_prev = 0.0, f_prev = f0, d_prev = d0;
    double lo = 0, flo = f0, dlo = d0, hi = 0, fhi = 0, dhi = 0;
    int zoom = 0, evals = 0;
    *step = 0.0;
    while (evals < LS_MAX) {
        double fa, da;
        GN_TRY(line_eval(sv, a, evals == 0, &fa, &da));
        evals++;
        if (!isfinite(fa) || !isfinite(da)) fa = da = INFINITY; /* overflow: treated as too far */
        int approx_wolfe = fa <= f0 + eps_f && da >= C2 * d0 && da <= (2 * C1 - 1) * d0;
        if (approx_wolfe) {
            *step = a;
            *fstep = fa;
            return GN_OK;
        }
        if (!zoom) {
            if (fa > f0 + C1 * a * d0 || (evals > 1 && fa >= f_prev)) {
                zoom = 1;
                lo = a_prev, flo = f_prev, dlo = d_prev;
                hi = a, fhi = fa, dhi = da;
            } else if (fabs(da) <= -C2 * d0) {
                *step = a;
                *fstep = fa;
                return GN_OK;
            } else if (da >= 0) {
                zoom = 1;
                lo = a, flo = fa, dlo = da;
                hi = a_prev, fhi = f_prev, dhi = d_prev;
            } else { /* still going down: go further */
                a_prev = a, f_prev = fa, d_prev = da;
                a *= 2;
                continue;
            }
        } else {
            if (fa > f0 + C1 * a * d0 || fa >= flo) {
                hi = a, fhi = fa, dhi = da;
            } else {
                if (fabs(da) <= -C2 * d0) {
                    *step = a;
                    *fstep = fa;
                    return GN_OK;
                }
                if (da * (hi - lo) >= 0) hi = lo, fhi = flo, dhi = dlo;
                lo = a, flo = fa, dlo = da;
            }
        }
        if (fabs(hi - lo) <= 1e-16 * fmax(fabs(lo), fabs(hi))) break;
        a = isfinite(fhi) ? cubic_step(lo, flo, dlo, hi, fhi, dhi) : 0.5 * (lo + hi);
    }
    if (zoom && lo > 0 && flo < f0) { /* best point with a decrease */
        *step = lo;
        *fstep = flo;
    } else if (!zoom && a_prev > 0) { /* still decreasing at the last extrapolation */
        *step = a_prev;
        *fstep = f_prev;
    }
    return GN_OK;
}

/* The stopping tests after an accepted step (sv->f is the new objective, fprev the old one):
 * the (pseudo-)gradient norm gnorm relative to its start norm g0, then the objective's change.
 * Sets sv->stop and returns 1 when the solver should stop. */
static int converged(solver *sv, double gnorm, double g0, double fprev, const char *grad_reason) {
    if (gnorm <= sv->o->tol * g0) {
        sv->stop = grad_reason;
        return 1;
    }
    if (fprev - sv->f <= 1e-4 * sv->o->tol * fabs(sv->f)) {
        sv->stop = "relative objective change below 1e-4 * --tol";
        return 1;
    }
    return 0;
}

static int solve_lbfgs(solver *sv) {
    const size_t n = sv->dim;
    GN_TRY(full_gradient(sv, sv->w, sv->z, 0.0, sv->g, &sv->loss));
    sv->f = sv->loss + regulariser(sv, sv->w);
    sv->gstart = sqrt(dot(sv->g, sv->g, n));
    const double g0 = sv->gref > 0 ? sv->gref : sv->gstart;
    sv->fuse = n <= FUSE_MAX_DIM;
    sv->grad_at = NAN;
    GN_TRY(report(sv));
    if (sv->gstart == 0.0) {
        sv->stop = "gradient is zero at the start";
        return GN_OK;
    }
    if (sv->gref > 0 && sv->gstart <= sv->o->tol * g0) {
        sv->stop = "a warm start already within --tol";
        return GN_OK;
    }
    while (sv->iterations < sv->o->max_iter) {
        two_loop(sv, sv->g, sv->dir);
        double d0 = dot(sv->dir, sv->g, n);
        if (!(d0 < 0)) { /* not a descent direction: drop the history */
            sv->hist = 0;
            two_loop(sv, sv->g, sv->dir);
            d0 = dot(sv->dir, sv->g, n);
        }
        double a0 = sv->hist == 0 && !sv->hinv ? fmin(1.0, 1.0 / sqrt(dot(sv->g, sv->g, n))) : 1.0;
        double step, fstep = sv->f;
        sv->grad_at = NAN;
        GN_TRY(line_search(sv, sv->f, d0, a0, &step, &fstep));
        if (step == 0.0) {
            if (sv->hist > 0) { /* retry once along the steepest descent */
                sv->hist = 0;
                continue;
            }
            sv->stop = "line search made no progress (round-off)";
            break;
        }
        for (size_t j = 0; j < n; j++) sv->wn[j] = sv->w[j] + step * sv->dir[j];
        /* F at the step is known from the line search: the gradient pass skips the loss, and is
         * not needed at all when the line search computed the gradient at this step */
        if (step == sv->grad_at) {
            gn__objective_step(sv->obj, sv->z, step);
            GN_TRY(reduce_gradient(sv, sv->wn, sv->gn));
        } else {
            GN_TRY(full_gradient(sv, sv->wn, sv->z, step, sv->gn, NULL));
        }
        sv->grad_at = NAN;
        /* keep fusing while the first trial step is the one taken (nearly always for L-BFGS) */
        sv->fuse = step == a0 && n <= FUSE_MAX_DIM;
        double fn = fstep, loss = fstep - regulariser(sv, sv->wn);
        remember(sv);
        double fprev = sv->f;
        double *t;
        t = sv->w, sv->w = sv->wn, sv->wn = t;
        t = sv->g, sv->g = sv->gn, sv->gn = t;
        sv->f = fn;
        sv->loss = loss;
        sv->iterations++;
        GN_TRY(report(sv));
        if (converged(sv, sqrt(dot(sv->g, sv->g, n)), g0, fprev, "relative gradient norm below --tol")) break;
    }
    if (!sv->stop) sv->stop = "--max-iter reached";
    return GN_OK;
}

/* OWL-QN pseudo-gradient of F at w (g is the smooth part's gradient). */
static void pseudo_gradient(const double *w, const double *g, double l1, double *pg, size_t n) {
    for (size_t j = 0; j < n; j++) {
        if (w[j] > 0) pg[j] = g[j] + l1;
        else if (w[j] < 0) pg[j] = g[j] - l1;
        else if (g[j] + l1 < 0) pg[j] = g[j] + l1;
        else if (g[j] - l1 > 0) pg[j] = g[j] - l1;
        else pg[j] = 0.0;
    }
}

static int solve_owlqn(solver *sv) {
    const size_t n = sv->dim;
    const double l1 = sv->o->l1;
    GN_TRY(full_gradient(sv, sv->w, sv->z, 0.0, sv->g, &sv->loss));
    sv->f = sv->loss + regulariser(sv, sv->w);
    pseudo_gradient(sv->w, sv->g, l1, sv->pg, n);
    sv->gstart = sqrt(dot(sv->pg, sv->pg, n));
    const double pg0 = sv->gref > 0 ? sv->gref : sv->gstart;
    GN_TRY(report(sv));
    if (sv->gstart == 0.0) {
        sv->stop = "pseudo-gradient is zero at the start";
        return GN_OK;
    }
    if (sv->gref > 0 && sv->gstart <= sv->o->tol * pg0) {
        sv->stop = "a warm start already within --tol";
        return GN_OK;
    }
    while (sv->iterations < sv->o->max_iter) {
        two_loop(sv, sv->pg, sv->dir);
        size_t moving = 0;
        for (size_t j = 0; j < n; j++) { /* keep only components that descend along -pg */
            if (sv->dir[j] * sv->pg[j] >= 0) sv->dir[j] = 0.0;
            else moving++;
        }
        if (moving == 0) {
            if (sv->hist > 0) {
                sv->hist = 0;
                continue;
            }
            sv->stop = "no descent direction";
            break;
        }
        /* orthant of the step: the sign of w, or of -pg where w is zero */
        double a = sv->hist == 0 && !sv->hinv ? fmin(1.0, 1.0 / sqrt(dot(sv->pg, sv->pg, n))) : 1.0;
        int accepted = 0;
        double fn = sv->f, loss = 0.0;
        for (int ls = 0; ls < LS_MAX; ls++) {
            for (size_t j = 0; j < n; j++) {
                double xi = sv->w[j] != 0 ? (sv->w[j] > 0 ? 1.0 : -1.0) : (sv->pg[j] > 0 ? -1.0 : 1.0);
                double v = sv->w[j] + a * sv->dir[j];
                sv->wn[j] = v * xi > 0 ? v : 0.0;
            }
            double buf[1];
            gn__objective_margins(sv->obj, sv->wn, sv->zn, &buf[0]);
            GN_TRY(sum_ranks(sv, buf, 1));
            sv->evaluations++;
            loss = buf[0];
            fn = loss + regulariser(sv, sv->wn);
            double decrease = 0.0;
            for (size_t j = 0; j < n; j++) decrease += sv->pg[j] * (sv->wn[j] - sv->w[j]);
            if (isfinite(fn) && fn <= sv->f + C1 * decrease) {
                accepted = 1;
                break;
            }
            a *= 0.5;
        }
        if (!accepted) {
            if (sv->hist > 0) {
                sv->hist = 0;
                continue;
            }
            sv->stop = "line search made no progress (round-off)";
            break;
        }
        GN_TRY(full_gradient(sv, sv->wn, sv->zn, 0.0, sv->gn, NULL));
        remember(sv); /* y from the smooth part's gradients (Andrew & Gao) */
        double fprev = sv->f, *t;
        t = sv->w, sv->w = sv->wn, sv->wn = t;
        t = sv->g, sv->g = sv->gn, sv->gn = t;
        t = sv->z, sv->z = sv->zn, sv->zn = t;
        sv->f = fn;
        sv->loss = loss;
        pseudo_gradient(sv->w, sv->g, l1, sv->pg, n);
        sv->iterations++;
        GN_TRY(report(sv));
        if (converged(sv, sqrt(dot(sv->pg, sv->pg, n)), pg0, fprev,
                      "relative pseudo-gradient norm below --tol"))
            break;
    }
    if (!sv->stop) sv->stop = "--max-iter reached";
    return GN_OK;
}

static void solver_free(solver *sv) {
    free(sv->w);
    free(sv->g);
    free(sv->z);
    free(sv->dir);
    free(sv->wn);
    free(sv->gn);
    free(sv->zn);
    free(sv->pg);
    free(sv->s);
    free(sv->y);
    free(sv->rho);
    free(sv->alpha);
    free(sv->hinv);
    free(sv->colsq);
    free(sv->chol);
    free(sv->xtx);
}

/* The history of m (s, y) pairs; any earlier one is dropped. */
static int history_alloc(solver *sv, size_t m) {
    const size_t d = sv->dim ? sv->dim : 1;
    free(sv->s);
    free(sv->y);
    free(sv->rho);
    free(sv->alpha);
    sv->hist = sv->head = 0;
    sv->s = calloc(m * d, sizeof *sv->s);
    sv->y = calloc(m * d, sizeof *sv->y);
    sv->rho = calloc(m, sizeof *sv->rho);
    sv->alpha = calloc(m, sizeof *sv->alpha);
    const int ok = sv->s && sv->y && sv->rho && sv->alpha;
    sv->m = ok ? m : 0; /* a failed allocation is tried again by the next solve */
    return ok ? GN_OK : GN_ENOMEM;
}

static int solver_alloc(solver *sv, size_t n_local) {
    const size_t d = sv->dim ? sv->dim : 1, m = sv->m, ne = n_local ? n_local : 1;
    sv->w = calloc(d + 1, sizeof *sv->w);
    sv->g = calloc(d + 1, sizeof *sv->g);
    sv->wn = calloc(d + 1, sizeof *sv->wn);
    sv->gn = calloc(d + 1, sizeof *sv->gn);
    sv->dir = calloc(d, sizeof *sv->dir);
    sv->pg = calloc(d, sizeof *sv->pg);
    sv->z = calloc(ne, sizeof *sv->z);
    sv->zn = calloc(ne, sizeof *sv->zn);
    if (!sv->w || !sv->g || !sv->wn || !sv->gn || !sv->dir || !sv->pg || !sv->z || !sv->zn ||
        history_alloc(sv, m) != GN_OK)
        return gn__fail(GN_ENOMEM, "out of memory for L-BFGS state (%zu features, lbfgs_memory %zu: %zu MiB)", sv->dim, m,
                        ((2 * m + 6) * d * sizeof(double)) >> 20);
    return GN_OK;
}

/* One online pass over the in-memory data (averaged across ranks) to start from. */
static int warm_start(const gn_train_options *o, const gn_data_spec *spec, const gn_bdata *data, float *w0,
                      double *prog_loss) {
    gn_learner *l;
    gn_train_options oo = *o;
    oo.optimizer = GN_OPT_AUTO;
    GN_TRY(gn__learner_new(&oo, spec, &l));
    gn_batch view;
    gn__bdata_view(data, &view);
    int st = gn__learner_learn_batch(l, &view);
    gn_learn_stats ls;
    gn__learner_take_stats(l, &ls);
    double buf[2] = {ls.train_loss, ls.train_weight};
    if (st == GN_OK) st = gn__dist_agree(st);
    if (st == GN_OK) st = gn__dist_allreduce_sum(buf, 2);
    if (st == GN_OK) st = gn__dist_average_learner(l);
    if (st == GN_OK) gn__learner_weights(l, w0);
    *prog_loss = buf[1] > 0 ? buf[0] / buf[1] : NAN;
    gn__learner_free(l);
    return st;
}

/* Adds the solver's and the job's figures to the model's metrics. */
static void add_metrics(gn_model *m, const solver *sv, size_t dim) {
    json_t *metrics = m->extra ? json_object_get(m->extra, "metrics") : NULL;
    if (!metrics) return;
    uint64_t red, bytes;
    gn__dist_stats(&red, &bytes);
    json_object_set_new(metrics, "iterations", json_integer(sv->iterations));
    json_object_set_new(metrics, "evaluations", json_integer(sv->evaluations));
    json_object_set_new(metrics, "stop", json_string(sv->stop ? sv->stop : ""));
    json_object_set_new(metrics, "features", json_integer((json_int_t)dim));
    json_object_set_new(metrics, "ranks", json_integer(gn__dist_size()));
    json_object_set_new(metrics, "allreduce_calls", json_integer((json_int_t)red));
    json_object_set_new(metrics, "allreduce_bytes", json_integer((json_int_t)bytes));
}

/* The scale c of the data part of the initial Hessian: the bound on the loss's second derivative
 * for the logistic loss (1/4), its exact value for the squared loss (2), a plain 1 for poisson
 * (whose curvature exp(z) has no bound). */
static double curvature(gn_loss loss) {
    /* softmax: 1/2 bounds its Hessian in the scores (Boehning 1992) */
    return loss == GN_LOSS_LOGISTIC ? 0.25 : loss == GN_LOSS_SQUARED ? 2.0 : loss == GN_LOSS_SOFTMAX ? 0.5 : 1.0;
}

/* The diagonal preconditioner: D_j = c * sum_i weight_i x_ij^2 + l2, with c a bound on the
 * loss's curvature (logistic 1/4, squared 2, poisson 1), summed over ranks; hinv = 1/D. Features
 * seen in very different numbers of examples make the Hessian badly scaled, which this corrects
 * in L-BFGS's initial matrix (H0 = gamma D^-1). */
static int preconditioner(solver *sv, const gn_bdata *d, const gn_train_options *o) {
    const size_t kk = sv->k ? sv->k : 1, nf = sv->dim / kk; /* every class of a feature shares its D */
    if (!sv->colsq) { /* the data part, once for the data (a path of solves reuses it) */
        double *h = calloc(nf + 1, sizeof *h);
        if (!h) return gn__fail(GN_ENOMEM, "out of memory");
        for (size_t e = 0; e < d->n; e++) {
            const double wt = d->weight[e];
            for (size_t k = d->start[e]; k < d->start[e + 1]; k++)
                h[d->index[k]] += wt * (double)d->value[k] * d->value[k];
        }
        int st = sum_ranks(sv, h, nf);
        if (st != GN_OK) {
            free(h);
            return st;
        }
        sv->colsq = h;
    }
    if (!sv->hinv && !(sv->hinv = calloc(sv->dim + 1, sizeof *sv->hinv))) return gn__fail(GN_ENOMEM, "out of memory");
    const double c = curvature(objective_loss(o));
    for (size_t j = 0; j < sv->dim; j++) {
        double dj = c * sv->colsq[j / kk] + o->l2;
        sv->hinv[j] = dj > 0 ? 1.0 / dj : 1.0;
    }
    return GN_OK;
}

#define DENSE_MAX_DIM 1024

/* sv->xtx: the packed lower triangle (row i at i(i+1)/2) of sum_i weight_i x_i x_i^T, summed over
 * ranks, built once per data set and kept for every later solve on it; or sv->dense_skip when
 * building it would cost more than it saves. */
static int build_xtx(solver *sv, const gn_bdata *d) {
    const size_t n = sv->dim;
    double cost = 0.0; /* multiply-adds to build it (summed over ranks, as the features held) */
    for (size_t e = 0; e < d->n; e++) {
        const double len = (double)(d->start[e + 1] - d->start[e]);
        cost += 0.5 * len * (len + 1);
    }
    double buf[2] = {cost, (double)d->nnz};
    GN_TRY(sum_ranks(sv, buf, 2));
    /* building it no dearer than about 16 passes over the data (a9a: 8), the factorisation no
     * dearer than 8 (it saves tens to hundreds of passes where it helps) */
    if (buf[0] > 16.0 * buf[1] + 1e6 || (double)n * n * n / 6 > 8.0 * buf[1] + 1e7) {
        sv->dense_skip = 1;
        return GN_OK;
    }
    const size_t np = n * (n + 1) / 2;
    double *p = calloc(np, sizeof *p);
    if (!p) return gn__fail(GN_ENOMEM, "out of memory");
    for (size_t e = 0; e < d->n; e++) {
        const double wt = d->weight[e];
        if (wt == 0.0) continue;
        const size_t k0 = d->start[e], k1 = d->start[e + 1];
        size_t k = k0 + 1;
        while (k < k1 && d->index[k - 1] < d->index[k]) k++;
        if (k >= k1) { /* features in increasing order (as LIBSVM lists them): no swaps, no repeats */
            for (k = k0; k < k1; k++) {
                const size_t a = d->index[k];
                const double va = wt * (double)d->value[k];
                double *pa = p + a * (a + 1) / 2;
                for (size_t l = k0; l <= k; l++) pa[d->index[l]] += va * (double)d->value[l];
            }
            continue;
        }
        for (k = k0; k < k1; k++) {
            const size_t a = d->index[k];
            const double va = wt * (double)d->value[k];
            for (size_t l = k0; l <= k; l++) {
                size_t b = d->index[l], i = a, j = b;
                double v = va * (double)d->value[l];
                if (i < j) i = b, j = a;
                else if (i == j && l < k) v *= 2.0; /* two features in one slot */
                p[i * (i + 1) / 2 + j] += v;
            }
        }
    }
    int st = sum_ranks(sv, p, np);
    if (st != GN_OK) {
        free(p);
        return st;
    }
    sv->xtx = p;
    return GN_OK;
}

/* The dense initial Hessian for few features: B = c * sum_i weight_i x_i x_i^T + l2 I (c as in
 * preconditioner(): for the logistic loss B bounds the Hessian everywhere, Boehning 1992), summed
 * over ranks and Cholesky-factored into sv->chol. It captures the correlations between features
 * (one-hot groups, the bias) that a diagonal cannot, which cuts the iterations several-fold on
 * data like a9a. Used only when it is cheap: few features, and building it costs no more than a
 * few passes over the data. Leaves sv->chol NULL (the diagonal stays in use) otherwise. */
static int dense_preconditioner(solver *sv, const gn_bdata *d, const gn_train_options *o) {
    const size_t n = sv->dim;
    free(sv->chol); /* from an earlier solve of a path, with another l2 */
    sv->chol = NULL;
    if (n == 0 || n > DENSE_MAX_DIM || o->l1 > 0 || sv->k > 1) return GN_OK; /* softmax: the diagonal */
    if (!sv->xtx && !sv->dense_skip) GN_TRY(build_xtx(sv, d));
    if (!sv->xtx) return GN_OK;
    const double *p = sv->xtx;
    double *L = calloc(n * n + n, sizeof *L);
    if (!L) return gn__fail(GN_ENOMEM, "out of memory");
    const double c = curvature(objective_loss(o));
    double maxdiag = 0.0;
    for (size_t i = 0; i < n; i++) maxdiag = fmax(maxdiag, p[i * (i + 1) / 2 + i]);
    const double ridge = o->l2 > 0 ? o->l2 : 1e-10 * c * maxdiag + 1e-300;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) L[i * n + j] = c * p[i * (i + 1) / 2 + j];
        L[i * n + i] = c * p[i * (i + 1) / 2 + i] + ridge;
    }
    /* Cholesky, in place (row-major lower triangle) */
    for (size_t j = 0; j < n; j++) {
        double *lj = L + j * n;
        double djj = lj[j];
        for (size_t k = 0; k < j; k++) djj -= lj[k] * lj[k];
        if (!(djj > 1e-14 * (L[j * n + j] + ridge))) { /* not safely positive definite */
            free(L);
            return GN_OK;
        }
        lj[j] = sqrt(djj);
        for (size_t i = j + 1; i < n; i++) {
            double *li = L + i * n;
            double x = li[j];
            for (size_t k = 0; k < j; k++) x -= li[k] * lj[k];
            li[j] = x / lj[j];
        }
    }
    sv->chol = L;
    return GN_OK;
}

/* Moves the examples selected as held out (learn/split.h, as the online learners) from d to held. */
static int split_holdout(gn_bdata *d, double fraction, uint64_t seed, gn_bdata *held) {
    uint8_t *out = malloc(d->n ? d->n : 1);
    if (!out) return gn__fail(GN_ENOMEM, "out of memory");
    for (size_t e = 0; e < d->n; e++) out[e] = (uint8_t)gn__split_is_holdout(d->key[e], seed, fraction);
    gn_bdata keep;
    memset(&keep, 0, sizeof keep);
    int st = gn__bdata_split(d, out, &keep, held);
    free(out);
    if (st != GN_OK) {
        gn__bdata_free(&keep); /* gn__bdata_split leaves what it copied */
        return st;
    }
    gn__bdata_free(d);
    *d = keep;
    return GN_OK;
}

/* Mean loss of the model on the held-out examples of all ranks (NaN if there are none). */
static int holdout_loss(const gn_model *m, const gn_bdata *held, gn_loss loss, double tau, double *out) {
    double buf[2] = {0, 0};
    const size_t k = gn_model_outputs(m);
    double *scores = malloc((held->n ? held->n : 1) * k * sizeof *scores);
    if (!scores) return gn__fail(GN_ENOMEM, "out of memory scoring the holdout");
    const gn_rows rows = gn__bdata_rows(held);
    gn__model_scores(m, &rows, scores);
    for (size_t e = 0; e < held->n; e++) {
        buf[0] += held->weight[e] * gn__loss_row(loss, scores + e * k, k, held->label[e], tau);
        buf[1] += held->weight[e];
    }
    free(scores);
    GN_TRY(gn__dist_allreduce_sum(buf, 2));
    *out = buf[1] > 0 ? buf[0] / buf[1] : NAN;
    return GN_OK;
}

/* What depends only on the data (d's indices dense ids in [0, sv->dim)): the state arrays, with
 * --memory m pairs of history, and the objective with its threads. */
static int setup_on(solver *sv, const gn_bdata *d, gn_loss loss, uint32_t threads, size_t m) {
    sv->m = m;
    if (!sv->k) sv->k = 1;
    GN_TRY(solver_alloc(sv, d->n * sv->k));
    /* no more threads than there is work to share: a pass over fewer than 2^18 features (about
     * 0.3 ms) costs less than waking a thread for it, on a busy machine especially */
    uint32_t eval_threads = threads;
    if (d->nnz < (size_t)threads << 18) eval_threads = d->nnz >> 18 > 0 ? (uint32_t)(d->nnz >> 18) : 1;
    return gn__objective_new_k(d, sv->dim / sv->k, sv->k, loss, eval_threads, &sv->obj);
}

/* One solve of sv->o's problem on a set-up solver, from start (dense; NULL: zero). Leaves the
 * solution in sv->w and F(w), recomputed from exact margins (the solver moves margins
 * incrementally), in sv->f. */
static int solve_from(solver *sv, const gn_bdata *d, const double *start) {
    const gn_train_options *o = sv->o;
    if (o->lbfgs_memory != sv->m && history_alloc(sv, o->lbfgs_memory) != GN_OK)
        return gn__fail(GN_ENOMEM, "out of memory for the L-BFGS history (lbfgs_memory %u)", o->lbfgs_memory);
    sv->hist = sv->head = 0;
    sv->iterations = sv->evaluations = 0;
    sv->stop = NULL;
    GN_TRY(preconditioner(sv, d, o));
    GN_TRY(dense_preconditioner(sv, d, o));
    size_t nz = 0;
    while (start && nz < sv->dim && start[nz] == 0.0) nz++;
    if (start && nz < sv->dim) {
        memcpy(sv->w, start, sv->dim * sizeof *sv->w);
        gn__objective_margins(sv->obj, sv->w, sv->z, NULL);
    } else { /* w = 0: the margins z are 0 */
        memset(sv->w, 0, sv->dim * sizeof *sv->w);
        memset(sv->z, 0, d->n * sv->k * sizeof *sv->z);
    }
    GN_TRY(o->optimizer == GN_OPT_OWLQN ? solve_owlqn(sv) : solve_lbfgs(sv));
    double buf[1];
    gn__objective_margins(sv->obj, sv->w, sv->z, &buf[0]);
    GN_TRY(sum_ranks(sv, buf, 1));
    sv->f = buf[0] + regulariser(sv, sv->w);
    return GN_OK;
}

struct gn_batch_path {
    solver sv;
    const gn_bdata *d;
    gn_loss loss; /* the objective's (objective_loss) */
};

int gn__batch_path_new(const gn_bdata *d, size_t nfeat, size_t k, gn_loss loss, uint32_t threads,
                       uint32_t memory, gn_batch_path **out) {
    gn_batch_path *p = calloc(1, sizeof *p);
    if (!p) return gn__fail(GN_ENOMEM, "out of memory");
    p->d = d;
    p->loss = loss;
    p->sv.k = k ? k : 1;
    p->sv.dim = nfeat * p->sv.k;
    p->sv.n_global = d->n;
    p->sv.local = 1;
    int st = setup_on(&p->sv, d, loss, gn__threads_or_cores(threads), memory);
    if (st != GN_OK) {
        gn__batch_path_free(p);
        return st;
    }
    *out = p;
    return GN_OK;
}

void gn__batch_path_free(gn_batch_path *p) {
    if (!p) return;
    gn__objective_free(p->sv.obj);
    solver_free(&p->sv);
    free(p);
}

int gn__batch_path_solve(gn_batch_path *p, const gn_train_options *o, double gref, double *w, gn_batch_fit *out) {
    if (objective_loss(o) != p->loss) return gn__fail(GN_EINVAL, "a solver path holds one loss");
    solver *sv = &p->sv;
    sv->o = o;
    sv->gref = gref;
    sv->t0 = gn__now();
    GN_TRY(solve_from(sv, p->d, w));
    memcpy(w, sv->w, sv->dim * sizeof *w);
    out->objective = sv->f;
    out->grad0 = sv->gstart;
    out->iterations = sv->iterations;
    out->evaluations = sv->evaluations;
    return GN_OK;
}

/* A cache that is the data by itself (no src): this rank's part of its blocks into d, with the
 * cache's resolved spec and parser (classes, CSV columns) and the files it was made from. */
static int read_cache_alone(const gn_train_options *o, const gn_data_spec *spec, uint32_t part, uint32_t nparts,
                            gn_data_spec *resolved, gn_parser **parser, char ***files, size_t *nfiles,
                            gn_bdata *d) {
    GN_TRY(gn__cache_open_alone(o->cache_path, spec, resolved, parser, files, nfiles));
    gn_cache_reader *r = NULL;
    gn_batch b;
    int st = gn__batch_init(&b, o->batch_size, (size_t)o->batch_size * 64);
    if (st == GN_OK) st = gn__cache_open_part(o->cache_path, part, nparts, &r);
    while (st == GN_OK && (st = gn__cache_next(r, &b, o->batch_size)) == GN_OK) st = gn__bdata_append(d, &b);
    if (st == GN_EOF) st = GN_OK;
    gn__cache_close(r);
    gn__batch_free(&b);
    return st;
}

int gn__train_batch_solver(const gn_train_options *o, gn_source *src, const gn_data_spec *alone_spec,
                           gn_progress_fn fn, void *user, gn_model **out, gn_train_summary *sum,
                           const char *const *paths, size_t npaths) {
    solver sv;
    memset(&sv, 0, sizeof sv);
    sv.o = o;
    sv.fn = fn;
    sv.user = user;
    sv.t0 = gn__now();
    gn_bdata data, held;
    memset(&data, 0, sizeof data);
    memset(&held, 0, sizeof held);
    uint64_t *used = NULL;
    uint32_t *slots = NULL;
    float *w0 = NULL;
    double *start = NULL;
    gn_model *m = NULL;
    int st = gn__dist_init();
    if (st != GN_OK) return st;
    const int rank = gn__dist_rank(), size = gn__dist_size();
    /* Every rank reads only its own part (T threads, each a sub-part); a failure on any rank
     * (missing file, bad line) is agreed on before anyone goes on, so no rank waits for one that
     * has given up. The whole input's source gives the resolved spec and parser. */
    uint64_t skipped = 0;
    const uint32_t threads = gn__threads_or_cores(o->threads);
    gn_data_spec cache_spec;
    gn_parser *cache_parser = NULL;
    char **cache_files = NULL;
    if (!src) { /* the cache alone is the data (gn_train checked that it was given) */
        st = read_cache_alone(o, alone_spec, (uint32_t)rank, (uint32_t)size, &cache_spec, &cache_parser,
                              &cache_files, &npaths, &data);
        paths = (const char *const *)cache_files;
    } else {
        st = gn__source_resolve(src);
        /* interactions: the batch solvers keep the data in memory with its crossed features */
        if (st == GN_OK && gn__source_parser(src)) gn__parser_set_cross_inline(gn__source_parser(src), 1);
        if (st == GN_OK)
            st = gn__bdata_read(src, gn__source_spec(src), paths, npaths, (uint32_t)rank, (uint32_t)size, threads,
                                o->batch_size, &data, &skipped);
    }
    if (st == GN_OK) st = gn__bdata_check_labels(&data, o->loss, paths, npaths);
    if (st == GN_OK && gn__class_weights_wanted(o)) { /* each example weighs its class's weight */
        const gn_labels *lab = gn__parser_labels(gn__source_parser(src));
        const size_t k = lab ? gn__labels_count(lab) : 0;
        double *cw = malloc((k ? k : 1) * sizeof *cw);
        if (!cw) st = gn__fail(GN_ENOMEM, "out of memory");
        else st = gn__class_weights_resolve(o, lab, cw, k);
        if (st == GN_OK)
            gn__class_weights_apply(cw, k, gn__label_kind_for(o->loss) == GN_LABEL_BINARY, data.label, data.weight, data.n);
        free(cw);
    }
    if (st == GN_OK && o->holdout > 0) st = split_holdout(&data, o->holdout, o->seed, &held);
    if ((st = gn__dist_agree(st)) != GN_OK) goto done;
    const gn_data_spec *spec = src ? gn__source_spec(src) : &cache_spec;
    const size_t nslots = (size_t)1 << spec->bits;
    const int multi = gn__kind_for_loss(o->loss) == GN_KIND_SOFTMAX; /* softmax or oaa: K scores */
    if (multi && (spec->nclasses < 2 || spec->nclasses > GN_LABELS_MAX_CLASSES)) {
        st = gn__fail(GN_EINVAL, "%s needs 2 to %d classes (the data has %u)",
                      o->kind == GN_KIND_OAA ? "oaa" : "softmax", GN_LABELS_MAX_CLASSES, (unsigned)spec->nclasses);
        goto done;
    }
    const size_t k = multi ? spec->nclasses : 1;
    sv.k = k;
    uint64_t counts[2] = {data.n, skipped};
    if ((st = gn__dist_allreduce_sum_u64(counts, 2)) != GN_OK) goto done;
    sv.n_global = counts[0];
    sum->examples = counts[0];
    sum->skipped = counts[1];
    sum->ranks = size;
    if (counts[0] == 0) {
        st = gn__fail(GN_EPARSE, "%s: no examples in the input", npaths ? paths[0] : "input");
        goto done;
    }
    if (o->warm_start_online) {
        if (!(w0 = malloc(nslots * k * sizeof *w0))) {
            st = gn__fail(GN_ENOMEM, "out of memory");
            goto done;
        }
        double pl;
        if ((st = warm_start(o, spec, &data, w0, &pl)) != GN_OK) goto done;
        sum->progressive_loss = pl;
        sv.pass_offset = 1;
    }
    /* Dense renumbering of the slots that occur on any rank (the same on every rank). */
    const size_t words = (nslots + 63) / 64;
    if (!(used = calloc(words, sizeof *used))) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto done;
    }
    gn__bdata_mark_used(&data, used, nslots);
    if ((st = gn__dist_allreduce_or(used, words)) != GN_OK) goto done;
    size_t nfeat = 0;
    if ((st = gn__bdata_remap(&data, used, nslots, &slots, &nfeat)) != GN_OK) goto done;
    sv.dim = nfeat * k;
    if (w0) { /* the online pass's weights, in the dense numbering */
        if (!(start = malloc((sv.dim ? sv.dim : 1) * sizeof *start))) {
            st = gn__fail(GN_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t j = 0; j < nfeat; j++)
            for (size_t c = 0; c < k; c++) start[j * k + c] = w0[(size_t)slots[j] * k + c];
    }
    if ((st = setup_on(&sv, &data, objective_loss(o), threads, o->lbfgs_memory)) != GN_OK) goto done;
    if ((st = solve_from(&sv, &data, start)) != GN_OK) goto done;
    sum->objective = sv.f;
    sum->iterations = sv.iterations;
    sum->passes = sv.evaluations + (o->warm_start_online ? 1 : 0);
    sum->seconds = gn__now() - sv.t0;
    const gn_model_kind kind = !multi ? GN_KIND_LINEAR : o->kind == GN_KIND_OAA ? GN_KIND_OAA : GN_KIND_SOFTMAX;
    if ((st = gn__model_new(kind, o->loss, spec, (uint32_t)k, &m)) != GN_OK) goto done;
    m->quantile_tau = o->quantile_tau;
    if (o->kind == GN_KIND_OAA) m->oaa_loss = o->oaa_loss;
    st = multi ? gn__softmax_model_set(m, slots, sv.w, nfeat) : gn__linear_model_set(m, slots, sv.w, nfeat);
    if (st != GN_OK) goto done;
    if (o->holdout > 0 && (st = holdout_loss(m, &held, o->loss, o->quantile_tau, &sum->holdout_loss)) != GN_OK)
        goto done;
    if ((st = gn__attach_metadata(m, o, paths, npaths, sum, src ? gn__source_parser(src) : cache_parser)) != GN_OK)
        goto done;
    add_metrics(m, &sv, nfeat);
    if ((st = gn__model_finalize(m)) != GN_OK) goto done;
    *out = m;
    m = NULL;
done:
    gn_model_free(m);
    gn__objective_free(sv.obj);
    solver_free(&sv);
    free(slots);
    free(used);
    free(w0);
    free(start);
    gn__parser_free(cache_parser);
    free(cache_files);
    gn__bdata_free(&data);
    gn__bdata_free(&held);
    return st;
}
