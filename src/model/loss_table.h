/* model/loss_table.h: the one table of loss properties. Every question of the form "is this loss
 * binary", "which label kind does it read", "may the batch solvers take it", "what does the AUTO
 * optimizer or metric mean for it", and its link (score -> prediction) is answered here, so no
 * caller keeps its own copy of these rules. */
#ifndef GN_MODEL_LOSS_TABLE_H
#define GN_MODEL_LOSS_TABLE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

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
/* exp(x) for x in [GN__EXP_FAST_MIN, 0] in plain arithmetic, with no call, table or branch, so
 * that a loop over many x compiles to vector instructions (model/predict_matrix.c): x = k ln2 + r
 * with k = round(x / ln2) (the 1.5 * 2^52 shift) and |r| <= ln2 / 2 (Cody and Waite's two-part
 * ln2, fdlibm's constants), exp(r) by its Taylor series to degree 13 (truncation below 5e-18),
 * times 2^k made from k's bits. Within 2 ulp of exp (the logistic link below: within 2 ulp of the
 * exact value, measured over [-720, 720]); a pure function of x with no fused multiply-add (gcc's
 * ISO C mode contracts none, clang is told so), so every caller, vector code of any width
 * included, gets the same bits. Below GN__EXP_FAST_MIN 2^k would not be a
 * normal number: callers use exp() there. */
#define GN__EXP_FAST_MIN (-708.0)
static inline double gn__exp_nonpositive(double x) {
#if defined(__clang__)
#pragma clang fp contract(off) /* no fused multiply-adds (clang's default on FMA targets): same bits on every target */
#endif
    const double shift = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    const double t = x * 1.44269504088896338700e+00 + shift;
    const double k = t - shift;
    const double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t bits; /* t's low bits hold k (two's complement): 2^k is (k + 1023) << 52 */
    memcpy(&bits, &t, sizeof bits);
    bits = (bits + 1023u) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* The logistic link, 1 / (1 + exp(-score)): the one definition (gn__link, and the matrix loops
 * of model/predict_matrix.c, which compute it for blocks of rows as vectors). exp of a
 * non-positive number only: no overflow for either sign of the score; 1 / (1 + exp(-s)) for
 * s >= 0, exp(s) / (1 + exp(s)) below, chosen without a branch (the sign of a row's score is as
 * good as random: a mispredicted branch costs more than the exp). */
static inline double gn__logistic(double score) {
    const double x = -fabs(score);
    const double e = x >= GN__EXP_FAST_MIN ? gn__exp_nonpositive(x) : exp(x);
    const double num = score >= 0.0 ? 1.0 : e;
    return num / (1.0 + e);
}

/* The loss's prediction from a raw score: the one definition behind gn_model_link, evaluation
 * and model selection. */
double gn__link(gn_loss loss, double score);
/* The predictions of one example from its k raw scores, in place: the link of each score, or
 * for softmax the k class probabilities (computed stably, summing to 1). */
void gn__link_row(gn_loss loss, double *scores, size_t k);
/* The model kind a loss needs (linear for the one-score losses, softmax for softmax). */
gn_model_kind gn__kind_for_loss(gn_loss loss);

#endif
