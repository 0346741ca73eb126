/* model/kinds/linear.h: what the linear kind offers besides its gn_kind descriptor: the batch
 * solvers (learn/lbfgs.c, select/batch_select.c), which are linear-only, build their models
 * through it rather than writing a model's weights themselves. */
#ifndef GN_MODEL_KINDS_LINEAR_H
#define GN_MODEL_KINDS_LINEAR_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"

/* Sets a linear model's weights: slot slots[j] gets w[j] (j < n), every other slot 0. */
int gn__linear_model_set(gn_model *m, const uint32_t *slots, const double *w, size_t n);

#endif
