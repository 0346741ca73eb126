/* learn/loss.h: the loss functions on a raw score s and a label y, and their derivative in s.
 * Binary losses (logistic, hinge) take y in {-1,+1}. Squared loss is (s-y)^2 (as in VW and
 * LIBLINEAR), quantile is the pinball loss at tau, poisson is exp(s) - y*s (the score is the log
 * of the rate). Softmax takes a row of K scores and the class index y: gn__loss_row and
 * gn__softmax_grad (one score alone means nothing to it: gn__loss_value returns 0). */
#ifndef GN_LEARN_LOSS_H
#define GN_LEARN_LOSS_H

#include <math.h>

#include "gannet/gannet.h"

/* log(1+exp(x)) without overflow. */
static inline double gn__log1pexp(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

static inline double gn__loss_value(gn_loss loss, double s, double y, double tau) {
    switch (loss) {
    case GN_LOSS_LOGISTIC: return gn__log1pexp(-y * s);
    case GN_LOSS_SQUARED: return (s - y) * (s - y);
    case GN_LOSS_HINGE: return y * s < 1.0 ? 1.0 - y * s : 0.0;
    case GN_LOSS_QUANTILE: {
        double r = y - s;
        return r >= 0 ? tau * r : (tau - 1.0) * r;
    }
    case GN_LOSS_POISSON: {
        double sc = s > 30.0 ? 30.0 : s;
        return exp(sc) - y * s;
    }
    case GN_LOSS_SOFTMAX: break;
    }
    return 0.0;
}

static inline double gn__loss_deriv(gn_loss loss, double s, double y, double tau) {
    switch (loss) {
    case GN_LOSS_LOGISTIC: return -y / (1.0 + exp(y * s));
    case GN_LOSS_SQUARED: return 2.0 * (s - y);
    case GN_LOSS_HINGE: return y * s < 1.0 ? -y : 0.0;
    case GN_LOSS_QUANTILE: return (y - s) > 0 ? -tau : (1.0 - tau);
    case GN_LOSS_POISSON: {
        double sc = s > 30.0 ? 30.0 : s;
        return exp(sc) - y;
    }
    case GN_LOSS_SOFTMAX: break;
    }
    return 0.0;
}

/* log sum_k exp(s_k), stably. */
static inline double gn__logsumexp(const double *s, size_t k) {
    double mx = s[0];
    for (size_t j = 1; j < k; j++)
        if (s[j] > mx) mx = s[j];
    double sum = 0.0;
    for (size_t j = 0; j < k; j++) sum += exp(s[j] - mx);
    return mx + log(sum);
}

/* The loss of one example from its k raw scores: softmax's -log p_y = logsumexp(s) - s_y (y the
 * class index), else the scalar loss of s[0]. */
static inline double gn__loss_row(gn_loss loss, const double *s, size_t k, double y, double tau) {
    if (loss != GN_LOSS_SOFTMAX) return gn__loss_value(loss, s[0], y, tau);
    const size_t c = y >= 0 && y < (double)k ? (size_t)y : 0;
    return gn__logsumexp(s, k) - s[c];
}

/* Softmax's gradient in the scores, g_j = (p_j - [j == y]) * wt, into g (k doubles); returns the
 * loss -log p_y. */
static inline double gn__softmax_grad(const double *s, size_t k, size_t y, double wt, double *g) {
    double mx = s[0];
    for (size_t j = 1; j < k; j++)
        if (s[j] > mx) mx = s[j];
    double sum = 0.0;
    for (size_t j = 0; j < k; j++) sum += (g[j] = exp(s[j] - mx));
    const double inv = 1.0 / sum;
    for (size_t j = 0; j < k; j++) g[j] = (g[j] * inv - (j == y)) * wt;
    return mx + log(sum) - s[y];
}


#endif
