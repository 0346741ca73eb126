/* learn/online.c: an online run kept open between calls (gannet/online.h): one learner, fed the
 * rows of in-memory matrices in blocks on the caller's thread, or rows converted once for many
 * passes (gn_online_rows), with model snapshots on demand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/labels.h"
#include "io/matrix.h"
#include "io/parser.h"
#include "learn/learner.h"
#include "learn/train_internal.h"
#include "model/loss_table.h"
#include "model/model.h"
#include "util/clock.h"
#include "util/error.h"

#define ONLINE_BLOCK_ROWS 1024

struct gn_online {
    gn_train_options opts;   /* resolved; path fields cleared (not used) */
    gn_data_spec spec;       /* LIBSVM, label kind from the loss */
    gn_learner *learner;
    gn_parser *parser;       /* holds the classes, for the model's metadata */
    gn_batch batch;
    gn_train_summary sum;
    double loss_sum, loss_w;
    uint32_t calls;
    double t0;
};

gn_status gn_online_new(const gn_train_options *opts, const gn_data_spec *spec, const char *const *classes,
                        gn_online **out) {
    return gn_online_new_classes(opts, spec, classes, classes ? 2 : 0, out);
}

gn_status gn_online_new_classes(const gn_train_options *opts, const gn_data_spec *spec, const char *const *classes,
                                size_t nclasses, gn_online **out) {
    gn__clear_error();
    if (!opts || !spec || !out) return gn__fail(GN_EINVAL, "online: options, spec and out are required");
    GN_TRY(gn_train_options_check(opts));
    gn_train_options o = *opts;
    gn__train_options_resolve(&o);
    if (gn__optimizer_is_batch(gn__resolve_optimizer(o.loss, o.optimizer)))
        return gn__fail(GN_EINVAL, "online learning needs an online optimizer (sgd, adagrad, ftrl), not %s",
                        gn_optimizer_name(o.optimizer));
    o.cache_path = o.checkpoint_path = o.resume_path = NULL;
    o.stop = NULL;
    o.holdout = 0;
    if (spec->format != GN_FORMAT_LIBSVM && spec->format != GN_FORMAT_AUTO)
        return gn__fail(GN_EINVAL, "online: format must be libsvm (got %s)", gn_format_name(spec->format));
    gn_data_spec s = *spec;
    s.format = GN_FORMAT_LIBSVM;
    s.label_kind = gn__label_kind_for(o.loss);
    GN_TRY(gn_data_spec_check(&s));
    const int named = s.label_kind == GN_LABEL_BINARY || s.label_kind == GN_LABEL_CLASS;
    if (named != (classes != NULL))
        return gn__fail(GN_EINVAL, "online: class names go with binary and multiclass losses, and only with them");
    gn_labels *labels = NULL;
    GN_TRY(gn__matrix_class_labels(s.label_kind, classes, nclasses, &labels));
    if (s.label_kind == GN_LABEL_CLASS) s.nclasses = (uint32_t)nclasses; /* the softmax learner's K */
    gn_online *r = calloc(1, sizeof *r);
    if (!r) {
        gn__labels_free(labels);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    r->opts = o;
    r->spec = s;
    r->t0 = gn__now();
    r->sum.holdout_loss = NAN;
    r->sum.objective = NAN;
    r->sum.ranks = 1;
    int st = gn__learner_new(&r->opts, &r->spec, &r->learner);
    if (st == GN_OK) st = gn__parser_new(&r->spec, &r->parser);
    if (st == GN_OK && labels) {
        gn__parser_set_labels(r->parser, labels); /* owns it now */
        labels = NULL;
    }
    gn__labels_free(labels);
    if (st == GN_OK) st = gn__batch_init(&r->batch, ONLINE_BLOCK_ROWS, ONLINE_BLOCK_ROWS * 16);
    if (st != GN_OK) {
        gn_online_free(r);
        return st;
    }
    *out = r;
    return GN_OK;
}

/* Learns from one block of converted rows and counts its progressive loss. */
static gn_status learn_block(gn_online *r, const gn_batch *b) {
    GN_TRY(gn__learner_learn_batch(r->learner, b));
    gn_learn_stats ls;
    gn__learner_take_stats(r->learner, &ls);
    if (!isfinite(ls.train_loss))
        return gn__fail_diverged(r->opts.lr, gn__learner_optimizer(r->learner), "the loss is no longer finite");
    r->loss_sum += ls.train_loss;
    r->loss_w += ls.train_weight;
    r->sum.examples += ls.train_examples;
    return GN_OK;
}

gn_status gn_online_learn_matrix(gn_online *r, const gn_matrix *x, const double *y, const double *weight) {
    gn__clear_error();
    if (!r || !y) return gn__fail(GN_EINVAL, "online: run and labels are required");
    GN_TRY(gn_matrix_check(x));
    GN_TRY(gn__matrix_check_targets(x, y, weight, r->spec.label_kind, r->spec.nclasses));
    uint64_t key = r->sum.examples;
    for (size_t from = 0; from < x->rows; from += ONLINE_BLOCK_ROWS) {
        size_t n = x->rows - from < ONLINE_BLOCK_ROWS ? x->rows - from : ONLINE_BLOCK_ROWS;
        gn__batch_clear(&r->batch);
        GN_TRY(gn__matrix_rows(&r->spec, x, from, n, y, weight, &key, &r->batch));
        GN_TRY(learn_block(r, &r->batch));
    }
    r->calls++;
    return GN_OK;
}

/* ---- rows converted once (several passes over the same arrays) ---- */

struct gn_online_rows {
    gn_batch all;       /* every row, as gn__matrix_rows reads it under the run's spec */
    /* of that spec: a run learning from them must read rows, and labels, the same way */
    uint32_t bits, bias, libsvm_hash, label_kind, nclasses;
};

uint64_t gn_online_rows_bytes(const gn_matrix *x) {
    if (!x) return 0;
    uint64_t nnz = x->layout == GN_MATRIX_CSR && x->indptr
                       ? (uint64_t)(x->index_bits == 64 ? ((const int64_t *)x->indptr)[x->rows]
                                                        : ((const int32_t *)x->indptr)[x->rows])
                       : (uint64_t)x->rows * x->cols;
    /* a slot and a value per nonzero and per row's bias; per row a label, weight, key and start */
    return (nnz + x->rows) * (sizeof(uint32_t) + sizeof(float)) +
           (uint64_t)x->rows * (2 * sizeof(float) + sizeof(uint64_t) + sizeof(size_t));
}

gn_status gn_online_rows_new(const gn_online *r, const gn_matrix *x, const double *y, const double *weight,
                             gn_online_rows **out) {
    gn__clear_error();
    if (!r || !y || !out) return gn__fail(GN_EINVAL, "online: run, labels and out are required");
    *out = NULL;
    GN_TRY(gn_matrix_check(x));
    GN_TRY(gn__matrix_check_targets(x, y, weight, r->spec.label_kind, r->spec.nclasses));
    gn_online_rows *rows = calloc(1, sizeof *rows);
    if (!rows) return gn__fail(GN_ENOMEM, "out of memory");
    const uint64_t bytes = gn_online_rows_bytes(x);
    const size_t features = (size_t)(bytes / (sizeof(uint32_t) + sizeof(float)));
    int st = gn__batch_init(&rows->all, x->rows, features < 16 ? 16 : features);
    uint64_t key = 0;
    if (st == GN_OK) st = gn__matrix_rows(&r->spec, x, 0, x->rows, y, weight, &key, &rows->all);
    if (st != GN_OK) {
        gn_online_rows_free(rows);
        if (st == GN_ENOMEM)
            return gn__fail(GN_ENOMEM, "out of memory converting %zu rows (%llu bytes)", x->rows,
                            (unsigned long long)bytes);
        return st;
    }
    rows->bits = r->spec.bits;
    rows->bias = (uint32_t)r->spec.bias;
    rows->libsvm_hash = (uint32_t)r->spec.libsvm_hash;
    rows->label_kind = (uint32_t)r->spec.label_kind;
    rows->nclasses = r->spec.nclasses;
    *out = rows;
    return GN_OK;
}

gn_status gn_online_learn_rows(gn_online *r, const gn_online_rows *rows) {
    gn__clear_error();
    if (!r || !rows) return gn__fail(GN_EINVAL, "online: run and rows are required");
    if (rows->bits != r->spec.bits || rows->bias != (uint32_t)r->spec.bias ||
        rows->libsvm_hash != (uint32_t)r->spec.libsvm_hash || rows->label_kind != (uint32_t)r->spec.label_kind ||
        rows->nclasses != r->spec.nclasses)
        return gn__fail(GN_EINVAL, "online: these rows were converted for a run with other bits, bias, libsvm_hash "
                                   "or labels");
    const gn_batch *all = &rows->all;
    for (size_t from = 0; from < all->n; from += ONLINE_BLOCK_ROWS) {
        const size_t n = all->n - from < ONLINE_BLOCK_ROWS ? all->n - from : ONLINE_BLOCK_ROWS;
        const gn_batch view = gn__batch_view(all, from, n);
        GN_TRY(learn_block(r, &view));
    }
    r->calls++;
    return GN_OK;
}

void gn_online_rows_free(gn_online_rows *rows) {
    if (!rows) return;
    gn__batch_free(&rows->all);
    free(rows);
}

gn_status gn_online_model(gn_online *r, gn_model **out) {
    gn__clear_error();
    if (!r || !out) return gn__fail(GN_EINVAL, "online: run and out are required");
    gn_train_summary sum = r->sum;
    sum.passes = r->calls;
    sum.progressive_loss = r->loss_w > 0 ? r->loss_sum / r->loss_w : NAN;
    sum.seconds = gn__now() - r->t0;
    gn_model *m = NULL;
    GN_TRY(gn__learner_to_model(r->learner, NULL, &m));
    const char *source = "(online: arrays given to gn_online_learn_matrix)";
    int st = gn__attach_metadata(m, &r->opts, &source, 1, &sum, r->parser);
    if (st == GN_OK) st = gn__model_finalize(m); /* refuses a weight that is not finite */
    if (st == GN_EINVAL) { /* which, from learning, means divergence: say so */
        for (size_t i = 0; i < m->nweights; i++)
            if (!isfinite(m->w[i])) {
                st = gn__fail_diverged(r->opts.lr, gn__learner_optimizer(r->learner), "a weight is no longer finite");
                break;
            }
    }
    if (st != GN_OK) {
        gn_model_free(m);
        return st;
    }
    *out = m;
    return GN_OK;
}

uint64_t gn_online_examples(const gn_online *r) { return r ? r->sum.examples : 0; }

void gn_online_loss(const gn_online *r, double *loss_sum, double *weight_sum) {
    if (loss_sum) *loss_sum = r ? r->loss_sum : 0.0;
    if (weight_sum) *weight_sum = r ? r->loss_w : 0.0;
}

void gn_online_free(gn_online *r) {
    if (!r) return;
    gn__learner_free(r->learner);
    gn__parser_free(r->parser);
    gn__batch_free(&r->batch);
    free(r);
}
