/* model/model.h: the internal layout of gn_model, shared by the learners (which build models),
 * the model file reader/writer, prediction and the server. */
#ifndef GN_MODEL_MODEL_H
#define GN_MODEL_MODEL_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "gannet/gannet.h"
#include "model/loss_table.h"

/* The first i in [from, n) whose float w[i] has any bit set (n when none): runs of zeros, most of
 * a hashed model's slots, are skipped eight floats at a time. The model file stores exactly these
 * weights (sparse form), and its checksum, the nonzero count and the finiteness check visit only
 * them. */
static inline size_t gn__next_stored(const float *w, size_t from, size_t n) {
    size_t i = from;
    while (i < n && (i & 7)) { /* to a multiple of 8 */
        uint32_t u;
        memcpy(&u, &w[i], sizeof u);
        if (u) return i;
        i++;
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t q[4];
        memcpy(q, &w[i], sizeof q);
        if (q[0] | q[1] | q[2] | q[3]) break;
    }
    for (; i < n; i++) {
        uint32_t u;
        memcpy(&u, &w[i], sizeof u);
        if (u) return i;
    }
    return n;
}

struct gn_kind;

struct gn_model {
    gn_model_kind kind;
    const struct gn_kind *ops;  /* the kind's descriptor (model/kind.h): the only code that
                                   interprets w */
    gn_loss loss;
    gn_data_spec spec;          /* how input is parsed; spec.bits is the hash size */
    double quantile_tau;        /* for GN_LOSS_QUANTILE */
    gn_loss oaa_loss;           /* kind oaa: the binary loss of each class's classifier */
    uint32_t weights_per_slot;  /* 1 for linear models */
    size_t nweights;            /* (1 << spec.bits) * weights_per_slot */
    float *w;                   /* nweights floats, slot-major, as the kind lays them out; owned.
                                   model_file.c stores them as they are */
    json_t *extra;              /* free-form metadata object: "train" (flags), "data", "metrics";
                                   owned; may be NULL */
    int64_t created;            /* unix time the model was trained */
    char *meta_json;            /* full metadata text, built by gn__model_finalize; owned */
    char version[17];           /* checksum hex of the file it was loaded from / saved to */
    size_t nonzero;             /* weights != 0, counted by gn__model_finalize */
    int finalized;              /* 1 once gn__model_finalize has run (meta_json, version, nonzero set) */
    struct gn_idf *idf;         /* spec.idf: the idf weights of text features (io/text.h), a
                                   reference; stored in the model file after the weights */
    struct gn_kind_payload *payload; /* the kind's own tables when they are not hashed slots (kind
                                   mf: model/mf.h), owned; freed by the kind's payload_free */
};

/* Most weights one hash slot may carry (linear: 1; an ffm over Criteo's 39 fields at rank 8: 313;
 * a softmax model: its classes, GN_LABELS_MAX_CLASSES at most); bounds nweights in files. */
#define GN__MODEL_MAX_WEIGHTS_PER_SLOT 1024u

/* Allocates a zeroed model with the given kind, loss and spec (checked with gn_data_spec_check).
 * w is calloc'ed; created is now; quantile_tau 0.5; extra NULL. The model is not finalized. */
int gn__model_new(gn_model_kind kind, gn_loss loss, const gn_data_spec *spec,
                  uint32_t weights_per_slot, gn_model **out);
/* Must be called by whoever builds a model (the trainer) once w, extra, created and quantile_tau
 * are final and before the model is shared or saved: counts the non-zero weights, computes
 * version (the checksum gn_model_save will write, so it equals the saved file's checksum) and
 * builds meta_json. After it the model must not change: const readers on other threads rely on it.
 * May be called again (single-threaded) after a change. GN_EINVAL if extra is not an object or
 * uses a reserved key, the spec is invalid, or a weight is not finite; GN_ENOMEM. */
int gn__model_finalize(gn_model *m);
/* Like gn__model_finalize but with a known file checksum (used by the loader). */
int gn__model_finalize_as(gn_model *m, uint64_t checksum);
/* The model file header object: kind, loss, bits, quantile_tau, weights_per_slot, spec, created
 * and the keys of extra. New reference in *out. GN_EINVAL / GN_ENOMEM as gn__model_finalize. */
int gn__model_header_json(const gn_model *m, json_t **out);
/* 1 if key is one of the header/metadata keys gannet itself writes (extra may not use them). */
int gn__model_reserved_key(const char *key);
/* gn_model_load with limits, for loads that must not hold their caller up (the server's
 * reloads): the load fails with GN_ELIMIT once gn__now() passes deadline (0: no deadline) or
 * *cancel (may be NULL) becomes non-zero, checked between reads of at most 12 KiB. */
int gn__model_load_limited(const char *path, double deadline, const atomic_int *cancel, gn_model **out);
/* The XXH3-64 checksum of the exact bytes gn_model_save writes for m (model_file.c). */
int gn__model_file_checksum(const gn_model *m, uint64_t *out);
/* ISO-8601 UTC ("2024-05-01T12:00:00Z") <-> unix time; the parser accepts exactly that form. */
int gn__format_utc(int64_t t, char out[32]);
int gn__parse_utc(const char *text, int64_t *out);
/* Raw scores of every row (gn_model_outputs per row) through the model's kind; rows must be in
 * range (the library's parsers guarantee it). Thread-safe. */
void gn__model_scores(const gn_model *m, const gn_rows *rows, double *out);
/* The predictions of every row: the scores through the loss's link (gn_model_predict_batch
 * without its checks). */
void gn__model_predictions(const gn_model *m, const gn_rows *rows, double *out);
/* The k largest |base[s * stride]| over s < nslots as (slot, value) pairs, strongest first (ties:
 * smaller slot first); zero and NaN values are never reported. For the kinds' top_weights. */
int gn__top_strided(const float *base, size_t nslots, size_t stride, size_t k, uint32_t *slots, float *values,
                    size_t *n_out);
/* A parser for the spec (and CSV columns) stored in m, with label kind `kind` (model/predict.c). */
struct gn_parser;
int gn__model_parser(const gn_model *m, gn_label_kind kind, struct gn_parser **out);
/* The "labels" header key (model/classes.c): check_labels validates it (the loader calls it);
 * attach_labels gives a parser the model's classes (none: the numeric rule). */
int gn__model_check_labels(const gn_model *m);
int gn__model_attach_labels(const gn_model *m, struct gn_parser *p);
/* GN_EINVAL (with the reason) unless m is a classifier (binary, or multiclass with one prediction
 * per class); the class name of a binary prediction (logistic: positive when p >= 0.5; hinge:
 * when the score is >= 0), owned by m. */
int gn__model_check_class_output(const gn_model *m);
const char *gn__model_class_of(const gn_model *m, double prediction);
/* 1 if m predicts one probability per class (softmax), 0 otherwise. */
int gn__model_multiclass(const gn_model *m);
/* The class of one example's predictions (gn_model_outputs numbers): the most probable (ties: the
 * lower index) for a multiclass model, else as gn__model_class_of. Owned by m. */
const char *gn__model_class_of_row(const gn_model *m, const double *pred);
/* How gn__format_classes writes one example's class probabilities: "class:p" pairs separated by
 * spaces (every class in class order, or the top_n most probable, most probable first), or the
 * JSON object {"class": NAME, "probabilities": {NAME: p, ...}} of the server. */
enum { GN__CLASSES_PAIRS = 0, GN__CLASSES_JSON = 1 };
/* Writes the class probabilities of one example's predictions into buf (as snprintf: returns the
 * length needed; buf NUL-terminated when size > 0). Binary logistic models give their two
 * classes; GN_EINVAL (-1 returned, message set) for a model without class probabilities (hinge,
 * regression). top_n 0: all classes. */
int gn__format_classes(const gn_model *m, const double *pred, int form, size_t top_n, char *buf, size_t size);
/* Writes a prediction as "%.9g" would (the one text form of `gannet predict` and the server;
 * model/prediction_text.c). Returns the length, like snprintf. */
int gn__format_prediction(double v, char *buf, size_t size);

/* Spec <-> JSON (used in the model header, cache headers and checkpoints). */
json_t *gn__spec_to_json(const gn_data_spec *spec);
int gn__spec_from_json(const json_t *obj, gn_data_spec *spec);

#endif
