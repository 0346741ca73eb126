/* learn/loss.h: the loss functions on a raw score s and a label y, and their derivative in s.
 * Binary losses (logistic, hinge) take y in {-1,+1}. Squared loss is (s-y)^2 (as in VW and
 * LIBLINEAR), quantile is the pinball loss at tau, poisson is exp(s) - y*s (the score is the log
 * of the rate). */
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
    }
    return 0.0;
}


#endif
