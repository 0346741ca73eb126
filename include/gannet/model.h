/* gannet/model.h: trained models. A gn_model is immutable once built or loaded: every call that
 * takes a const gn_model * is thread-safe (the server predicts from many threads at once).
 * Model files are versioned, checksummed and written atomically; see docs/model-format.md. */
#ifndef GANNET_MODEL_H
#define GANNET_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/data.h"

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef struct gn_model gn_model;

/* linear: one weight per slot, one score per example; softmax: K weights per slot (one per class),
 * K scores per example (multinomial logistic regression, --loss softmax). */
typedef enum gn_model_kind { GN_KIND_LINEAR = 1, GN_KIND_SOFTMAX = 2, GN_KIND_OAA = 3, GN_KIND_FM = 4,
                              GN_KIND_FFM = 5, /* field-aware factorization machine */
                              GN_KIND_MF = 6 /* matrix factorization (gannet/recommend.h) */ } gn_model_kind;

typedef enum gn_loss {
    GN_LOSS_LOGISTIC = 0,
    GN_LOSS_SQUARED = 1,
    GN_LOSS_HINGE = 2,
    GN_LOSS_QUANTILE = 3,
    GN_LOSS_POISSON = 4,
    GN_LOSS_SOFTMAX = 5  /* multinomial log loss over K classes (the softmax kind) */
} gn_loss;

const char *gn_loss_name(gn_loss loss);
int gn_loss_parse(const char *name); /* -1 if unknown */
/* What a loss reads: two classes (logistic, hinge), K classes (softmax) or real numbers. */
gn_label_kind gn_loss_label_kind(gn_loss loss);
const char *gn_model_kind_name(gn_model_kind kind);

/* Loads a model file. Rejects wrong magic, newer versions, truncation and checksum mismatch
 * with GN_EFORMAT / GN_EVERSION / GN_ECHECKSUM and a message naming the file; a path that is not
 * a regular file (a FIFO, a directory, a device) with GN_EIO, without blocking on it. */
gn_status gn_model_load(const char *path, gn_model **out);
/* Writes atomically (temp file in the same directory, fsync, rename). */
gn_status gn_model_save(const gn_model *model, const char *path);
void gn_model_free(gn_model *model);

gn_model_kind gn_model_get_kind(const gn_model *model);
gn_loss gn_model_get_loss(const gn_model *model);
uint32_t gn_model_get_bits(const gn_model *model);
/* The data spec the model was trained with; prediction input is parsed with it. */
const gn_data_spec *gn_model_get_spec(const gn_model *model);
/* Number of non-zero weights. */
size_t gn_model_nonzero(const gn_model *model);
/* Metadata (kind, loss, spec, training flags, data and metrics summary, creation time) as a
 * JSON object text. The string is owned by the model. */
const char *gn_model_metadata_json(const gn_model *model);
/* A content identifier: the file checksum as 16 hex digits (changes whenever the model does). */
const char *gn_model_version(const gn_model *model);

/* Prediction on one text line in the model's input format (the label, if any, is ignored).
 * *out is the prediction: a probability for logistic, exp(score) for poisson, the raw score
 * otherwise. Thread-safe. GN_EPARSE with the reason on bad input. */
gn_status gn_model_predict_line(const gn_model *model, const char *line, size_t len, double *out);
/* Prediction from named features: names[i] with either a numeric value (strs[i] == NULL) or a
 * categorical string value strs[i]. Names are CSV column names or 1-based column numbers (an
 * unknown name, or a column named twice, is GN_EPARSE naming it; the label and ignored columns
 * add nothing), "ns^feature" for VW data, or decimal indices for LIBSVM data. A numeric value
 * must fit a 32-bit float, as in text input. Thread-safe. */
gn_status gn_model_predict_named(const gn_model *model, size_t n, const char *const *names,
                           const double *values, const char *const *strs, double *out);
/* The classes of a classification model: the labels it was trained on (e.g. "no" and "yes";
 * numbers in canonical form, "1" for "+1"). Binary models have 2: class 0 is the negative one,
 * class 1 the positive one, whose probability logistic predictions are. Regression models have
 * none (*n = 0). Models written before classes were stored report "-1" and "1". Thread-safe. */
gn_status gn_model_classes(const gn_model *model, size_t *n);
/* The name of class i, owned by the model (valid while it lives); NULL if i is out of range. */
const char *gn_model_class_name(const gn_model *model, size_t i);
/* Turns a raw linear score into the prediction the loss defines (sigmoid, exp or identity). */
double gn_model_link(const gn_model *model, double score);

/* A batch of examples in compressed sparse rows, as the library's parsers produce them: row r has
 * the features start[r] .. start[r+1]-1, each a hashed slot (< 2^bits of the model) and a value.
 * The caller owns the arrays. */
typedef struct gn_rows {
    size_t n;              /* rows */
    const size_t *start;   /* n + 1 offsets into index and value; start[0] is 0 */
    const uint32_t *index; /* slots */
    const float *value;
} gn_rows;

/* Numbers a model predicts per example (1 for binary classifiers and regressors). */
size_t gn_model_outputs(const gn_model *model);
/* Predictions of a whole batch: gn_model_outputs() numbers per row, row after row, into out
 * (out_len >= rows->n * outputs), each the prediction the loss defines (as gn_model_link).
 * GN_EINVAL if a slot is out of range or out is too short. Thread-safe. This is the one way to
 * a model's weights: prediction, evaluation, the server and model selection all use it. */
gn_status gn_model_predict_batch(const gn_model *model, const gn_rows *rows, double *out, size_t out_len);

/* The k weights largest in magnitude (slot, value), sorted by decreasing |value|. *n_out is the
 * number written (<= k). */
gn_status gn_model_top_weights(const gn_model *model, size_t k, uint32_t *slots, float *values, size_t *n_out);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
