/* gannet/metrics.h: evaluation metrics over (prediction, label, weight) triples.
 * An accumulator is single-threaded; merge accumulators from threads with gn_metrics_merge. AUC is
 * exact (the accumulator keeps the predictions), everything else is streaming. */
#ifndef GANNET_METRICS_H
#define GANNET_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef struct gn_metrics_acc gn_metrics_acc;

typedef struct gn_metrics {
    uint64_t examples;
    double weight_sum;
    int classification; /* 1: the fields below marked (c) are set; 0: those marked (r) */
    double logloss;     /* (c) mean negative log-likelihood, probabilities clipped to [1e-15, 1-1e-15] */
    double auc;         /* (c) exact ROC AUC with ties counted half; NaN when one class is absent */
    double accuracy;    /* (c) at threshold 0.5 */
    double precision, recall, f1; /* (c) for the positive class */
    double rmse, mae;   /* (r); also computed for classification on probabilities */
    double mean_loss;   /* mean training loss of the model's own loss function */
} gn_metrics;

/* classification: labels are binary (> 0 is positive) and predictions are probabilities. */
gn_status gn_metrics_acc_new(int classification, gn_metrics_acc **out);
void gn_metrics_acc_free(gn_metrics_acc *acc);
/* Adds one example; loss is the model's loss on it (for mean_loss). */
gn_status gn_metrics_acc_add(gn_metrics_acc *acc, double prediction, double label, double weight, double loss);
gn_status gn_metrics_acc_merge(gn_metrics_acc *into, const gn_metrics_acc *from);
/* Computes the metrics so far (sorts internally for AUC; the accumulator stays usable). */
gn_status gn_metrics_acc_result(gn_metrics_acc *acc, gn_metrics *out);
/* Writes the metrics as one JSON object (keys as the struct fields) into buf. Returns chars
 * needed, like snprintf. */
int gn_metrics_to_json(const gn_metrics *m, char *buf, size_t size);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
