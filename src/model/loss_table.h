/* model/loss_table.h: the one table of loss properties. Every question of the form "is this loss
 * binary", "which label kind does it read", "may the batch solvers take it", "what does the AUTO
 * optimizer or metric mean for it", and its link (score -> prediction) is answered here, so no
 * caller keeps its own copy of these rules. */
#ifndef GN_MODEL_LOSS_TABLE_H
#define GN_MODEL_LOSS_TABLE_H

#include "gannet/gannet.h"

/* softmax: a row's K scores become K probabilities together (gn__link_row). */
typedef enum gn__link_kind {
    GN__LINK_IDENTITY = 0,
    GN__LINK_LOGISTIC = 1,
    GN__LINK_EXP = 2,
    GN__LINK_SOFTMAX = 3
} gn__link_kind;

typedef struct gn__loss_info {
    gn_loss loss;
    const char *name;               /* as in --loss and the model file */
    gn_label_kind label_kind;       /* what the parser must read: binary classes, K classes or real numbers */
    int binary;                     /* 1: labels are two classes (+1/-1), predictions probabilities or margins */
    int smooth;                     /* 1: differentiable everywhere, so L-BFGS / OWL-QN may take it */
    gn__link_kind link;             /* prediction = link(raw score) */
    gn_optimizer default_optimizer; /* what GN_OPT_AUTO means */
    gn_select_metric default_metric;/* what GN_METRIC_AUTO means */
    gn_model_kind kind;             /* the model kind that computes it (softmax: K scores per example) */
    const char *help;               /* one line for --help */
} gn__loss_info;

/* The row of a loss; NULL for a value that is not a gn_loss. */
const gn__loss_info *gn__loss_info_of(gn_loss loss);
/* Number of losses and the i-th row (for listings: --help, the parameter table). */
size_t gn__loss_count(void);
const gn__loss_info *gn__loss_at(size_t i);
/* The label kind a loss reads (GN_LABEL_REAL for an unknown loss). */
gn_label_kind gn__label_kind_for(gn_loss loss);
/* The optimizer that runs: opt itself, or the loss's default for GN_OPT_AUTO. */
gn_optimizer gn__resolve_optimizer(gn_loss loss, gn_optimizer opt);
/* The learning rate an online optimizer uses when lr is 0 (FTRL's alpha 0.1, else 0.5). */
static inline double gn__default_lr(gn_optimizer opt) { return opt == GN_OPT_FTRL ? 0.1 : 0.5; }
/* 1 if opt is a batch solver (L-BFGS, OWL-QN). */
static inline int gn__optimizer_is_batch(gn_optimizer opt) { return opt == GN_OPT_LBFGS || opt == GN_OPT_OWLQN; }
/* The loss's prediction from a raw score: the one definition behind gn_model_link, evaluation
 * and model selection. */
double gn__link(gn_loss loss, double score);
/* The predictions of one example from its k raw scores, in place: the link of each score, or
 * for softmax the k class probabilities (computed stably, summing to 1). */
void gn__link_row(gn_loss loss, double *scores, size_t k);
/* The model kind a loss needs (linear for the one-score losses, softmax for softmax). */
gn_model_kind gn__kind_for_loss(gn_loss loss);

#endif
