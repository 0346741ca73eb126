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
    /* multiclass accumulators (gn_metrics_acc_new_multiclass) only; classes is 0 otherwise. There
     * classification is 1, logloss is the multiclass log loss (-log of the true class's
     * probability, clipped at 1e-15), accuracy is top-1, precision/recall/f1 are macro averages
     * over the classes, auc, rmse and mae are NaN. */
    uint32_t classes;       /* K */
    uint32_t top_k;         /* the k of top_k_accuracy: min(5, K - 1) */
    double top_k_accuracy;  /* weight of examples whose class is among the top_k most probable */
    double macro_f1;        /* unweighted mean of the per-class F1 */
    double micro_f1;        /* F1 of all decisions pooled (= accuracy for single-label data) */
    double weighted_f1;     /* mean of the per-class F1 weighted by each class's true weight */
    /* ranking metrics of a matrix-factorization (kind mf) fold under model selection; rank_k is 0
     * otherwise. The means over the fold's ranked users of gn_rank_metrics (gannet/recommend.h):
     * each user's top rank_k with the user's training items excluded, against the user's
     * held-out items. */
    uint32_t rank_k;
    uint64_t ranked_users;
    double precision_at_k, recall_at_k, ndcg_at_k, map_at_k, coverage;
} gn_metrics;

/* classification: labels are binary (> 0 is positive) and predictions are probabilities. */
gn_status gn_metrics_acc_new(int classification, gn_metrics_acc **out);
void gn_metrics_acc_free(gn_metrics_acc *acc);
/* A multiclass accumulator over k classes (2 <= k <= GN_METRICS_MAX_CLASSES): examples are
 * added with gn_metrics_acc_add_probs; it keeps a k x k confusion matrix. */
#define GN_METRICS_MAX_CLASSES 4096
gn_status gn_metrics_acc_new_multiclass(uint32_t k, gn_metrics_acc **out);
/* Adds one example of a multiclass accumulator: the k class probabilities, the true class index
 * (< k), its weight and the model's loss on it. */
gn_status gn_metrics_acc_add_probs(gn_metrics_acc *acc, const double *probs, size_t k, uint32_t label, double weight,
                                   double loss);
/* The confusion matrix so far: k*k weights, row = true class, column = predicted class (the most
 * probable; ties: the lower index). GN_EINVAL unless acc is multiclass with k classes. */
gn_status gn_metrics_acc_confusion(const gn_metrics_acc *acc, double *out, size_t k);
/* Adds one example; loss is the model's loss on it (for mean_loss). */
gn_status gn_metrics_acc_add(gn_metrics_acc *acc, double prediction, double label, double weight, double loss);
gn_status gn_metrics_acc_merge(gn_metrics_acc *into, const gn_metrics_acc *from);
/* Computes the metrics so far (sorts internally for AUC; the accumulator stays usable). */
gn_status gn_metrics_acc_result(gn_metrics_acc *acc, gn_metrics *out);
/* Writes the metrics as one JSON object (keys as the struct fields; the ranking ones, when rank_k
 * is set, as `gannet eval` names them: "k", "ranked_users", "precision@K", "recall@K",
 * "ndcg@K", "map@K", "coverage") into buf. Returns chars
 * needed, like snprintf. */
int gn_metrics_to_json(const gn_metrics *m, char *buf, size_t size);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
