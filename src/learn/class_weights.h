/* learn/class_weights.h: per-class importance weights of a classification run (--class-weights
 * a:2,b:1, --balanced): resolved against the run's label dictionary into one factor per class
 * index, and applied to each example's importance weight before the learner or the batch solver
 * sees it. Binary losses: class 0 is the negative class (label -1), class 1 the positive (+1);
 * multiclass: the class index the parser gives as the label. */
#ifndef GN_LEARN_CLASS_WEIGHTS_H
#define GN_LEARN_CLASS_WEIGHTS_H

#include <jansson.h>
#include <stddef.h>

#include "gannet/gannet.h"

struct gn_labels;

/* GN_EINVAL (message set) when the options ask for class weights that no data can satisfy:
 * a --class-weights list that does not parse, a weight that is not a positive finite number,
 * a class named twice, class weights or --balanced with a regression loss, both together. */
int gn__class_weights_check(const gn_train_options *o);

/* 1 when the options ask for class weights. */
int gn__class_weights_wanted(const gn_train_options *o);

/* The factor of each class (labels' classes, in index order) into cw (room for n classes, n =
 * gn__labels_count(labels)). --balanced: n_samples / (K * n_class) over the classes the label
 * scan counted (a class never seen keeps 1). --class-weights: the named classes get their
 * weight, the others 1. GN_EINVAL naming the class for a name that is not a class. */
int gn__class_weights_resolve(const gn_train_options *o, const struct gn_labels *labels, double *cw, size_t n);

/* weight[e] *= cw[class of label[e]] for e < count; binary: label > 0 is class 1. */
void gn__class_weights_apply(const double *cw, size_t n, int binary, const float *label, float *weight, size_t count);

/* {"name": factor, ...} for the model metadata (a new reference; NULL on out of memory). */
json_t *gn__class_weights_json(const struct gn_labels *labels, const double *cw, size_t n);

#endif
