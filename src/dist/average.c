/* dist/average.c: merging an online learner's table across MPI ranks at the end of a pass
 * (Agarwal, Chapelle, Dudik, Langford, JMLR 2014, section 3: weighted model averaging, as
 * Vowpal Wabbit does it). When the learner's table has a per-slot update count (the kind says
 * which field: AdaGrad's g2, FTRL's n), every field of a slot is averaged with rank r's share
 * count_r / sum_r count_r as its weight, so a rank that saw a feature often counts more than one
 * that barely saw it; slots that no rank updated keep the plain mean. Without counts (SGD):
 * plain mean. Two float reductions: the per-slot
 * totals, then the table (sizes in docs/distributed.md).
 * Tried and dropped (on a planted-model set, 2-4 ranks, 3 passes): summing the ranks' n deltas
 * since the last merge (learning rates as on one machine) lost 0.001-0.003 AUC more than
 * averaging, and summing z and n deltas diverged at 4 ranks. */
#include <stdlib.h>

#include "dist/dist.h"
#include "learn/learner.h"
#include "util/error.h"

int gn__dist_average_learner(struct gn_learner *l) {
    const int size = gn__dist_size();
    if (size <= 1) return GN_OK;
    gn_kind_table tab = gn__learner_table(l);
    const size_t nslots = tab.nslots;
    const uint32_t stride = tab.stride;
    float *t = tab.data;
    gn__learner_sync_weights(l); /* FTRL: make w current before it is averaged */
    if (tab.count_field < 0 || (uint32_t)tab.count_field >= stride) { /* no per-slot counts: plain mean */
        GN_TRY(gn__dist_allreduce_sum_float(t, nslots * stride));
        const float inv = 1.0f / (float)size;
        for (size_t i = 0; i < nslots * stride; i++) t[i] *= inv;
        return GN_OK;
    }
    float *total = malloc((nslots ? nslots : 1) * sizeof *total);
    if (!total) return gn__fail(GN_ENOMEM, "out of memory averaging a table of %zu slots across ranks", nslots);
    const size_t acc = (size_t)tab.count_field; /* the g2 / n field */
    for (size_t i = 0; i < nslots; i++) total[i] = t[i * stride + acc];
    int st = gn__dist_allreduce_sum_float(total, nslots);
    if (st != GN_OK) {
        free(total);
        return st;
    }
    for (size_t i = 0; i < nslots; i++) {
        float *c = t + i * stride;
        const float share = total[i] > 0 ? c[acc] / total[i] : 1.0f / (float)size;
        for (uint32_t k = 0; k < stride; k++) c[k] *= share;
    }
    free(total);
    GN_TRY(gn__dist_allreduce_sum_float(t, nslots * stride));
    gn__learner_sync_weights(l); /* FTRL: w from the merged z, n */
    return GN_OK;
}
