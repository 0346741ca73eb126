/* gannet/arrays.h: examples from in-memory matrices (the Python package's seam), read in place.
 * A gn_matrix describes caller-owned numbers without copying them: a dense matrix with any row
 * and column strides (C or Fortran order, a slice), or compressed sparse rows (scipy's CSR) with
 * 32- or 64-bit indices. Either way column j is the LIBSVM feature index j+1: a row reads exactly
 * as the LIBSVM line "label j+1:x[j] ..." would with the same spec (features in the row's order,
 * zeros add no feature, slot index mod 2^bits or hashed with libsvm_hash, the bias in slot 0,
 * repeated columns summed), so a
 * model trained from a matrix and one trained from the equivalent LIBSVM file read the same
 * features, and `gannet predict` on that file gives the numbers gn_model_predict_matrix gives.
 * Values must be finite and fit a 32-bit float (GN_EPARSE naming row and column otherwise). All
 * calls are reentrant; the matrix is only read. */
#ifndef GANNET_ARRAYS_H
#define GANNET_ARRAYS_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/data.h"
#include "gannet/model.h"

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef enum gn_matrix_layout { GN_MATRIX_DENSE = 0, GN_MATRIX_CSR = 1 } gn_matrix_layout;
typedef enum gn_value_type { GN_F64 = 0, GN_F32 = 1 } gn_value_type;

typedef struct gn_matrix {
    gn_matrix_layout layout;
    size_t rows, cols;
    gn_value_type dtype;         /* of values */
    const void *values;          /* dense: element (i, j) at values[i*row_stride + j*col_stride];
                                    CSR: the nonzeros (data), indptr[rows] of them */
    ptrdiff_t row_stride, col_stride; /* dense only, in elements (not bytes) */
    const void *indptr;          /* CSR: rows + 1 offsets, non-decreasing, indptr[0] = 0 */
    const void *indices;         /* CSR: column of each nonzero, < cols */
    int index_bits;              /* CSR: 32 or 64 (indptr and indices alike) */
} gn_matrix;

/* Checks the description (layout, strides, index width) and, for CSR, that indptr is
 * non-decreasing from 0 and every column index is below cols: GN_EINVAL with the reason. */
gn_status gn_matrix_check(const gn_matrix *m);

/* Writes a binary cache (gannet/cache.h) of the rows of x, for gn_train with opts->cache_path
 * and no files: the cache is then the whole data set, streamed row block by row block (the
 * matrix is not copied). spec: format must be GN_FORMAT_LIBSVM or AUTO (stored as LIBSVM), with
 * label_kind GN_LABEL_BINARY or GN_LABEL_REAL as the loss needs. y: one label per row; binary
 * labels are +1 (class `classes[1]`, the positive one) or -1 (class `classes[0]`), and classes
 * (2 names, the labels the model will report) is required then and must be NULL otherwise.
 * weight: one importance weight per row (>= 0), or NULL for 1; a row of weight 0 is left out, so
 * that it trains the model the data without it trains (row positions among the rows kept decide
 * the holdout split). Written atomically. */
gn_status gn_cache_write_matrix(const char *path, const gn_data_spec *spec, const gn_matrix *x, const double *y,
                                const double *weight, const char *const *classes);
/* gn_cache_write_matrix for every label kind, with the classes counted: label_kind
 * GN_LABEL_CLASS (multiclass losses) takes 2 to 256 class names, class i being classes[i], and
 * labels y that are class indices 0..nclasses-1; binary labels 2 names as above; real labels
 * none (NULL, 0). */
gn_status gn_cache_write_matrix_classes(const char *path, const gn_data_spec *spec, const gn_matrix *x,
                                        const double *y, const double *weight, const char *const *classes,
                                        size_t nclasses);

/* Predictions for every row of x: gn_model_outputs() numbers per row into out (out_len >= rows
 * * outputs), as gn_model_predict_batch gives them, or with raw_scores the scores before the
 * loss's link (gn_model_link turns one into the other). The model must read LIBSVM input (a model
 * trained from a matrix or a LIBSVM file); x is read in blocks of rows, not copied. Thread-safe. */
gn_status gn_model_predict_matrix(const gn_model *model, const gn_matrix *x, int raw_scores, double *out,
                                  size_t out_len);

/* The linear form of a linear model (kind linear, one output, LIBSVM input) over the columns of
 * a matrix: coef[j] for j < cols, the weight column j's slot holds, and *intercept, the bias
 * slot's weight (0 without a bias). Read through the kind's scoring of one-feature rows, so
 * exact. GN_EUNSUPPORTED for other kinds (their scores are not linear in the columns). O(cols);
 * a caller predicting many matrices keeps the result (the model is immutable). Thread-safe. */
gn_status gn_model_matrix_coef(const gn_model *model, size_t cols, double *coef, double *intercept);

/* gn_model_predict_matrix for a linear model through its linear form (gn_model_matrix_coef for
 * x->cols columns, given by the caller): a sparse (or dense) matrix-vector product, with no
 * batches. Bit for bit the numbers gn_model_predict_matrix gives: values are rounded to 32-bit
 * floats and summed in the same order (the intercept first), and a value that is not finite or
 * beyond a float is GN_EPARSE naming its row and column. ncoef: entries of coef (>= x->cols).
 * Thread-safe. */
gn_status gn_model_predict_matrix_linear(const gn_model *model, const gn_matrix *x, const double *coef, size_t ncoef,
                                         double intercept, int raw_scores, double *out, size_t out_len);

/* gn_model_predict_matrix_linear of a logistic model written as probability pairs: out[2r] =
 * 1 - p and out[2r + 1] = p for row r (out_len >= 2 * rows), p bit for bit the prediction above
 * (scikit-learn's predict_proba of a binary classifier, made in one pass into one array).
 * GN_EINVAL for a model whose loss is not logistic. Thread-safe. */
gn_status gn_model_predict_matrix_linear_pairs(const gn_model *model, const gn_matrix *x, const double *coef,
                                               size_t ncoef, double intercept, double *out, size_t out_len);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
