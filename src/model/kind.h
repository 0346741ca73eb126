/* model/kind.h: the model-kind seam. A kind (linear; softmax, fm, mf next) is one file in
 * src/model/kinds/ that fills a gn_kind descriptor, plus one line in kinds/registry.c. The
 * descriptor owns the kind's table layout and math: how a model scores a batch, which model-file
 * header keys it adds, and how its online learner learns from a batch and exposes its state for
 * averaging and checkpoints. Every call takes a whole batch: the per-feature loops live inside
 * the kind, next to its table. Nothing outside kinds/ interprets a model's parameter array or a
 * learner's table (docs/architecture.md). */
#ifndef GN_MODEL_KIND_H
#define GN_MODEL_KIND_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "io/batch.h"

/* What a learner does with each example of a batch (gn_kind.learn_batch). */
enum {
    GN__EX_LEARN = 0, /* score it (progressive: before learning), then learn from it */
    GN__EX_SCORE = 1, /* score it with the current weights; do not learn */
    GN__EX_SKIP = 2   /* neither (its scores are left as they are) */
};

/* A kind's online learning state (its table and optimizer), opaque outside the kind. */
typedef struct gn_kind_learner gn_kind_learner;

/* A learner's state for averaging (threads, MPI ranks) and checkpoints: nslots slots of stride
 * floats. count_field is the float of a slot that counts its updates (averaging weights each
 * copy of a slot by it), or -1 when there is none (a plain mean). */
typedef struct gn_kind_table {
    float *data;
    size_t nslots;
    uint32_t stride;
    int count_field;
} gn_kind_table;

typedef struct gn_kind {
    const char *name;  /* the model file's "kind" */
    gn_model_kind id;
    /* Floats per hash slot in every model of this kind (linear: 1); 0 when it varies with the
     * model (header_read then checks it). A model file that says otherwise is refused. */
    uint32_t weights_per_slot;

    /* ---- models ---- */
    /* Numbers predicted per example. */
    uint32_t (*outputs)(const gn_model *m);
    /* Raw scores of every row: outputs(m) doubles per row, row after row. Thread-safe. */
    void (*score_batch)(const gn_model *m, const gn_rows *rows, double *out);
    /* Optional, for kinds of one output (NULL: model/rank.c joins the rows and calls
     * score_batch): the raw score of each candidate row of cands joined to one context row (cn
     * features cidx/cval): out[c] = score_batch's score of the row holding the context's features
     * and then candidate c's, with the context's share of the sum computed once. Thread-safe. */
    void (*score_context)(const gn_model *m, const uint32_t *cidx, const float *cval, size_t cn, const gn_rows *cands,
                          double *out);
    /* The kind's own model-file header keys (NULL-terminated; NULL: none), which it adds to a
     * header and reads back; no other metadata may use them. */
    const char *const *header_keys;
    int (*header_write)(const gn_model *m, json_t *hdr);
    int (*header_read)(gn_model *m, const json_t *hdr, const char *path);
    /* Kind-owned payload, for kinds whose parameters are not hashed slots (mf: id dictionaries,
     * factor tables): m->payload, stored in the model file's payload section after the weights
     * (docs/model-format.md). NULL when the kind has none. payload_write hands the section's bytes
     * to put in pieces (in the same order on every call: the file writer calls it twice, once to
     * count); payload_read parses the whole section (len bytes, checksum already verified) into m
     * after header_read; payload_free releases m->payload (gn_model_free). */
    int (*payload_write)(const gn_model *m, int (*put)(void *ctx, const void *data, size_t len), void *ctx);
    int (*payload_read)(gn_model *m, const unsigned char *data, size_t len, const char *path);
    void (*payload_free)(gn_model *m);
    /* Up to k (slot, weight) pairs largest in magnitude, sorted (gannet inspect). */
    int (*top_weights)(const gn_model *m, size_t k, uint32_t *slots, float *values, size_t *n_out);

    /* ---- online learners ---- */
    /* Bytes of the table a learner with these options would take (batch solvers: one weight
     * array), for memory checks before anything is allocated. */
    uint64_t (*learner_bytes)(const gn_train_options *o, const gn_data_spec *spec);
    int (*learner_new)(const gn_train_options *o, const gn_data_spec *spec, gn_kind_learner **out);
    /* A second learner over the same table (Hogwild threads): its own scalars, shared table. */
    int (*learner_share)(gn_kind_learner *owner, gn_kind_learner **out);
    void (*learner_free)(gn_kind_learner *l);
    /* For each example e of b in order, as mode[e] says (GN__EX_*): writes its raw scores
     * (outputs per example, at scores + e * outputs) and learns from it. */
    int (*learn_batch)(gn_kind_learner *l, const gn_batch *b, const unsigned char *mode, double *scores);
    /* Numbers predicted per example by this learner's models. */
    uint32_t (*learner_outputs)(const gn_kind_learner *l);
    gn_kind_table (*table)(gn_kind_learner *l);
    /* After the table was averaged or loaded: makes every weight current (FTRL: from z and n). */
    void (*sync)(gn_kind_learner *l);
    /* The learner's scalar state besides the table (step counts, normalizer sums), for
     * checkpoints: *n doubles it reads and writes in place. */
    double *(*scalars)(gn_kind_learner *l, size_t *n);
    /* The model's parameters: weights_len floats, copied out or in (keep-best, warm starts). */
    size_t (*weights_len)(const gn_kind_learner *l);
    void (*get_weights)(gn_kind_learner *l, float *dst);
    void (*set_weights)(gn_kind_learner *l, const float *src);
    /* A new model (kind, loss, spec, parameters) from the learner's weights, or from `weights`
     * (weights_len floats) when not NULL. */
    int (*to_model)(gn_kind_learner *l, const float *weights, gn_model **out);
    /* The optimizer that runs (GN_OPT_AUTO resolved). */
    gn_optimizer (*optimizer)(const gn_kind_learner *l);
} gn_kind;

/* The registry (kinds/registry.c). NULL when this build has no such kind. */
const gn_kind *gn__kind_by_id(gn_model_kind id);
const gn_kind *gn__kind_by_name(const char *name);
size_t gn__kind_count(void);
const gn_kind *gn__kind_at(size_t i);

#endif
