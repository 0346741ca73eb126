/* gannet/online.h: an online learning run kept open between calls (the Python package's
 * partial_fit; VW's and scikit-learn's incremental learning). gn_online_new starts a learner with
 * the options of gn_train (an online optimizer: sgd, adagrad, ftrl or auto); every
 * gn_online_learn_matrix call learns from its rows once, in order, on the calling thread,
 * continuing from the weights and optimizer state the earlier calls left; gn_online_model takes a
 * snapshot model at any time. passes, holdout, threads and the run parameters (cache, shuffle,
 * checkpoints) do not apply. A run is used by one thread at a time; separate runs are independent.
 * The state lives in memory only: a model file holds the weights, not the optimizer state, so a run
 * cannot be continued from a saved model. */
#ifndef GANNET_ONLINE_H
#define GANNET_ONLINE_H

#include "gannet/arrays.h"
#include "gannet/train.h"

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef struct gn_online gn_online;

/* spec: bits, bias and libsvm_hash of the rows (format LIBSVM or AUTO; the label kind follows
 * opts->loss). classes: for binary losses the two class names (negative, positive) the model will
 * report, required; NULL for the other losses. GN_EINVAL for a batch optimizer or bad options. */
gn_status gn_online_new(const gn_train_options *opts, const gn_data_spec *spec, const char *const *classes,
                        gn_online **out);
/* gn_online_new for every label kind, with the classes counted: binary losses take nclasses 2
 * names (negative, positive); multiclass losses (softmax, oaa) 2 to 256 names, class i being
 * classes[i] (the model's class i, its output column i), the labels y of gn_online_learn_matrix
 * then class indices 0..nclasses-1; other losses none (NULL, 0). Names are canonical label text
 * (io: "1.0" and "1" are one class): a repeated or invalid one is GN_EINVAL. */
gn_status gn_online_new_classes(const gn_train_options *opts, const gn_data_spec *spec, const char *const *classes,
                                size_t nclasses, gn_online **out);
/* Learns from every row of x once, in order (rows of weight 0 are left out). y and weight as in
 * gn_cache_write_matrix (binary labels +1/-1; multiclass labels the class index). On an error (a bad value names its row and column)
 * the rows before the block it is in may have been learned. */
gn_status gn_online_learn_matrix(gn_online *run, const gn_matrix *x, const double *y, const double *weight);
/* Rows converted once for many passes (the Python package's passes='auto' over arrays in memory):
 * gn_online_rows_new reads x, y and weight as gn_online_learn_matrix would (the same checks and
 * errors) into the learner's own form, a slot and a float per feature, which
 * gn_online_learn_rows then learns from once per call, as gn_online_learn_matrix(x, y, weight)
 * would, without reading the arrays again. The copy costs gn_online_rows_bytes(x) of memory
 * (at most; about 8 bytes per nonzero): worth it for data small enough that converting is a
 * good part of a pass, and not for large arrays, which gn_online_learn_matrix reads in place.
 * The rows belong to no run: any run whose spec has the same bits, bias and libsvm_hash, and whose
 * loss reads labels the same way (binary, class indices of as many classes, real), can learn from
 * them (GN_EINVAL otherwise). */
typedef struct gn_online_rows gn_online_rows;
uint64_t gn_online_rows_bytes(const gn_matrix *x);
gn_status gn_online_rows_new(const gn_online *run, const gn_matrix *x, const double *y, const double *weight,
                             gn_online_rows **out);
gn_status gn_online_learn_rows(gn_online *run, const gn_online_rows *rows);
void gn_online_rows_free(gn_online_rows *rows);
/* A model of the current weights, owned by the caller (the run goes on). */
gn_status gn_online_model(gn_online *run, gn_model **out);
/* Examples learned from so far. */
uint64_t gn_online_examples(const gn_online *run);
/* The progressive loss so far: the sum of each learned example's loss, scored before it was
 * learned from, times its weight (*loss_sum), and the sum of those weights (*weight_sum). A caller
 * passing over the same rows several times takes differences between passes: the mean loss of a
 * pass (the first pass's is an honest validation loss; a later pass's is a training loss, as
 * scikit-learn's SGD measures it for its tol stopping rule). */
void gn_online_loss(const gn_online *run, double *loss_sum, double *weight_sum);
void gn_online_free(gn_online *run);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
