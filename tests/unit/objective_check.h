/* objective_check.h: the finite-difference check of a batch objective's gradient
 * (learn/objective.h), shared by the unit tests of its losses (test_softmax.c, test_oaa_batch.c).
 * Include after <cmocka.h> and its prerequisites, and <math.h>. */
#ifndef GN_TEST_OBJECTIVE_CHECK_H
#define GN_TEST_OBJECTIVE_CHECK_H

#include <stddef.h>

#include "learn/objective.h"

/* Each of the n coordinates of g (the objective's gradient at w, with margins z) equals the
 * central difference of the loss over a step of 1e-6, to 1e-5 relative. w is restored. */
static inline void expect_gradient_matches_differences(gn_objective *o, double *w, double *z, const double *g,
                                                      size_t n) {
    for (size_t i = 0; i < n; i++) {
        const double h = 1e-6, keep = w[i];
        double up, down;
        w[i] = keep + h;
        gn__objective_margins(o, w, z, &up);
        w[i] = keep - h;
        gn__objective_margins(o, w, z, &down);
        w[i] = keep;
        assert_true(fabs((up - down) / (2 * h) - g[i]) < 1e-5 * (1 + fabs(g[i])));
    }
}

#endif
