/* report/multiclass.h: the report's panels for a model with several outputs (softmax, oaa):
 * the metrics gn_evaluate_acc computes (so they are `gannet eval`'s numbers), the K x K
 * confusion matrix, per-class precision/recall/F1 and top-k accuracy. */
#ifndef GN_REPORT_MULTICLASS_H
#define GN_REPORT_MULTICLASS_H

#include <stdio.h>

#include "gannet/gannet.h"

typedef struct gn__report_mc {
    gn_metrics m;
    double *conf;      /* classes x classes weights, row = true class, column = predicted */
    uint64_t skipped;
} gn__report_mc;

/* Evaluates model on the test files. GN_EUNSUPPORTED when its metrics are not multiclass. */
int gn__report_mc_collect(const gn_model *model, const char *const *test, size_t ntest, int skip_bad,
                          gn__report_mc *out);
/* Writes the metrics table and the multiclass panels. */
void gn__report_mc_write(FILE *f, const gn_model *model, const gn__report_mc *mc);
void gn__report_mc_free(gn__report_mc *mc);

#endif
