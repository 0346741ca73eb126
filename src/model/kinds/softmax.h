/* model/kinds/softmax.h: what the batch solvers need of the softmax kind (kinds/softmax.c). */
#ifndef GN_MODEL_KINDS_SOFTMAX_H
#define GN_MODEL_KINDS_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"

/* Sets the weights of a softmax or oaa model of K classes (the same layout) from a dense
 * solution: feature j (slot slots[j], j < n) has the K weights w[j * K .. j * K + K), every other
 * slot zeros. */
int gn__softmax_model_set(gn_model *m, const uint32_t *slots, const double *w, size_t n);

#endif
