/* learn/score_eval.h: one example's raw scores -> its loss and its entry in a metrics
 * accumulator, for every loss: one score (binary and regression losses) or K (softmax, whose
 * accumulator is multiclass). Training's holdout, model selection and gn_evaluate all go through
 * here, so they agree on what a prediction and its loss are. */
#ifndef GN_LEARN_SCORE_EVAL_H
#define GN_LEARN_SCORE_EVAL_H

#include <stddef.h>

#include "gannet/gannet.h"

/* The accumulator that fits a loss whose models make k numbers per example. */
int gn__metrics_acc_for(gn_loss loss, size_t k, gn_metrics_acc **out);
/* Adds one example: its k raw scores (overwritten with its predictions), label, weight; *loss
 * (may be NULL) receives its loss. GN_EINVAL (from the accumulator) for a score that is not
 * finite. */
int gn__metrics_add_scores(gn_metrics_acc *acc, gn_loss loss, double tau, double *scores, size_t k, double y,
                           double wt, double *loss_out);

#endif
