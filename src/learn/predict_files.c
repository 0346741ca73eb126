/* learn/predict_files.c: gn_predict_files and gn_evaluate — stream files through a model. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/gannet.h"
#include "io/source.h"
#include "learn/loss.h"
#include "learn/train_internal.h"
#include "model/model.h"
#include "util/error.h"


#define GN_PREDICT_BATCH 4096

static int open_for_model(const gn_model *m, gn_label_kind kind, int skip_bad, const char *const *paths,
                          size_t npaths, gn_source **out) {
    gn_parser *p;
    GN_TRY(gn__model_parser(m, kind, &p));
    gn_data_spec spec = m->spec;
    spec.label_kind = kind;
    spec.skip_bad = skip_bad;
    int st = gn__source_open(&spec, p, paths, npaths, out);
    gn__parser_free(p);
    return st;
}

gn_status gn_predict_files(const gn_model *m, const char *const *paths, size_t npaths, int skip_bad, FILE *out,
                     uint64_t *predicted, uint64_t *skipped) {
    return gn_predict_files_as(m, paths, npaths, skip_bad, GN_PREDICT_PROB, out, predicted, skipped);
}

gn_status gn_predict_files_as(const gn_model *m, const char *const *paths, size_t npaths, int skip_bad,
                              gn_predict_output what, FILE *out, uint64_t *predicted, uint64_t *skipped) {
    gn__clear_error();
    if (what != GN_PREDICT_PROB && what != GN_PREDICT_CLASS) return gn__fail(GN_EINVAL, "unknown prediction output %d", (int)what);
    if (what == GN_PREDICT_CLASS) GN_TRY(gn__model_check_class_output(m));
    gn_source *src;
    GN_TRY(open_for_model(m, GN_LABEL_NONE, skip_bad, paths, npaths, &src));
    gn_batch b;
    const size_t outs = gn_model_outputs(m);
    double *pred = malloc(GN_PREDICT_BATCH * outs * sizeof *pred);
    int st = pred ? gn__batch_init(&b, GN_PREDICT_BATCH, GN_PREDICT_BATCH * 32) : (int)gn__fail(GN_ENOMEM, "out of memory");
    if (st != GN_OK) {
        free(pred);
        gn__source_free(src);
        return st;
    }
    uint64_t count = 0;
    char buf[64];
    while ((st = gn__source_next(src, &b, GN_PREDICT_BATCH)) == GN_OK) {
        const gn_rows rows = gn__batch_rows(&b);
        gn__model_predictions(m, &rows, pred);
        for (size_t e = 0; e < b.n * outs; e++) {
            const char *text = buf;
            if (what == GN_PREDICT_CLASS) text = gn__model_class_of(m, pred[e]); /* one output: checked */
            else gn__format_prediction(pred[e], buf, sizeof buf);
            const char sep = (e + 1) % outs ? ' ' : '\n';
            if (fputs(text, out) == EOF || fputc(sep, out) == EOF) {
                st = gn__fail(GN_EIO, "writing predictions failed: %s", GN_ERRNO_TEXT(errno));
                goto done;
            }
        }
        count += b.n;
    }
    if (st == GN_EOF) st = GN_OK;
    if (st == GN_OK && fflush(out) != 0) st = gn__fail(GN_EIO, "writing predictions failed: %s", GN_ERRNO_TEXT(errno));
    if (st == GN_OK) {
        if (predicted) *predicted = count;
        if (skipped) *skipped = gn__source_skipped(src);
    }
done:
    free(pred);
    gn__batch_free(&b);
    gn__source_free(src);
    return st;
}

gn_status gn_evaluate(const gn_model *m, const char *const *paths, size_t npaths, int skip_bad, gn_metrics *out,
                uint64_t *skipped) {
    gn__clear_error();
    const gn_label_kind kind = gn__label_kind_for(m->loss);
    gn_source *src;
    GN_TRY(open_for_model(m, kind, skip_bad, paths, npaths, &src));
    gn_metrics_acc *acc = NULL;
    gn_batch b;
    memset(&b, 0, sizeof b);
    double *scores = malloc(GN_PREDICT_BATCH * gn_model_outputs(m) * sizeof *scores);
    int st = scores ? (int)gn_metrics_acc_new(kind == GN_LABEL_BINARY, &acc) : (int)gn__fail(GN_ENOMEM, "out of memory");
    if (st != GN_OK) goto done;
    if ((st = gn__batch_init(&b, GN_PREDICT_BATCH, GN_PREDICT_BATCH * 32)) != GN_OK) goto done;
    while ((st = gn__source_next(src, &b, GN_PREDICT_BATCH)) == GN_OK) {
        const gn_rows rows = gn__batch_rows(&b);
        gn__model_scores(m, &rows, scores);
        for (size_t e = 0; e < b.n; e++) {
            double s = scores[e];
            double y = b.label[e];
            double loss = gn__loss_value(m->loss, s, y, m->quantile_tau);
            if ((st = gn_metrics_acc_add(acc, gn_model_link(m, s), y, b.weight[e], loss)) != GN_OK) goto done;
        }
    }
    if (st != GN_EOF) goto done;
    st = gn_metrics_acc_result(acc, out);
    if (st == GN_OK && out->examples == 0) st = gn__fail(GN_EPARSE, "%s: no examples to evaluate", paths[0]);
    if (st == GN_OK && skipped) *skipped = gn__source_skipped(src);
done:
    free(scores);
    gn_metrics_acc_free(acc);
    gn__batch_free(&b);
    gn__source_free(src);
    return st;
}
