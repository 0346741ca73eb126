/* io/matrix.h: rows of an in-memory gn_matrix (gannet/arrays.h) appended to a batch as the
 * LIBSVM parser would append the equivalent lines. */
#ifndef GN_IO_MATRIX_H
#define GN_IO_MATRIX_H

#include <stddef.h>

#include "gannet/arrays.h"
#include "io/batch.h"

/* Appends rows [from, from + n) of m to b with labels y[row] (NULL: 0) and weights w[row] (NULL:
 * 1). A row of weight 0 is left out (it is no example: a zero weight and a removed row train the
 * same model); the others get the keys *next_key, *next_key + 1, ... (the row's position among
 * the rows kept, for the holdout split). spec gives bits, bias and libsvm_hash. GN_EPARSE naming the row and column of
 * a value that is not finite or does not fit a float; GN_ENOMEM. m must have passed
 * gn_matrix_check. */
int gn__matrix_rows(const gn_data_spec *spec, const gn_matrix *m, size_t from, size_t n, const double *y,
                    const double *w, uint64_t *next_key, gn_batch *b);

/* Checks the targets of the rows: labels finite and within float range (binary: +1 or -1; class:
 * a whole number in [0, nclasses)), weights (NULL: none) finite and >= 0. GN_EINVAL naming the
 * row. */
int gn__matrix_check_targets(const gn_matrix *m, const double *y, const double *w, gn_label_kind kind,
                             size_t nclasses);
/* A resolved binary label dictionary (io/labels.h) from two class names, negative then positive:
 * the classes a model trained from a matrix reports. GN_EINVAL when a name is not a valid label
 * or both are the same label. */
struct gn_labels;
int gn__matrix_classes(const char *const *classes, struct gn_labels **out);
/* The label dictionary of a label kind from nclasses names: binary, 2 names as gn__matrix_classes;
 * class, 2..GN_LABELS_MAX_CLASSES names in class-index order (io/labels.h gn__labels_from_names);
 * other kinds, none (classes NULL, nclasses 0; *out NULL). GN_EINVAL otherwise. */
int gn__matrix_class_labels(gn_label_kind kind, const char *const *classes, size_t nclasses, struct gn_labels **out);

#endif
