/* learn/predict_files.c: gn_predict_files and gn_evaluate — stream files through a model. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/mf_eval.h"
#include "gannet/gannet.h"
#include "io/source.h"
#include "learn/loss.h"
#include "learn/score_eval.h"
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
    return gn_predict_files_top(m, paths, npaths, skip_bad, what, 1, out, predicted, skipped);
}

/* One example's class probabilities as text (gn__format_classes) into *line, grown as needed. */
static int class_text(const gn_model *m, const double *pred, int form, size_t top_n, char **line, size_t *cap) {
    int n = gn__format_classes(m, pred, form, top_n, *line, *cap);
    if (n < 0) return GN_EINVAL;
    if ((size_t)n >= *cap) {
        char *t = realloc(*line, (size_t)n + 1);
        if (!t) return gn__fail(GN_ENOMEM, "out of memory");
        *line = t;
        *cap = (size_t)n + 1;
        gn__format_classes(m, pred, form, top_n, *line, *cap);
    }
    return GN_OK;
}

gn_status gn_predict_files_top(const gn_model *m, const char *const *paths, size_t npaths, int skip_bad,
                               gn_predict_output what, size_t top_n, FILE *out, uint64_t *predicted,
                               uint64_t *skipped) {
    gn__clear_error();
    if (m && m->kind == GN_KIND_MF) {
        if (what != GN_PREDICT_PROB) return gn__fail(GN_EINVAL, "a mf model predicts ratings: no classes to output");
        return gn__mf_predict_files(m, paths, npaths, skip_bad, out, predicted, skipped);
    }
    if ((unsigned)what > GN_PREDICT_JSON) return gn__fail(GN_EINVAL, "unknown prediction output %d", (int)what);
    if (what == GN_PREDICT_TOPK && top_n < 1) return gn__fail(GN_EINVAL, "topk needs N >= 1");
    if (what != GN_PREDICT_PROB) GN_TRY(gn__model_check_class_output(m));
    if (what >= GN_PREDICT_PROBS) { /* the model must have class probabilities: try a made-up row */
        double zero[GN__MODEL_MAX_WEIGHTS_PER_SLOT] = {0};
        char probe[8];
        if (gn__format_classes(m, zero, GN__CLASSES_PAIRS, 0, probe, sizeof probe) < 0) return GN_EINVAL;
    }
    const int form = what == GN_PREDICT_JSON ? GN__CLASSES_JSON : GN__CLASSES_PAIRS;
    const size_t tn = what == GN_PREDICT_TOPK ? top_n : 0;
    char *line = NULL;
    size_t line_cap = 0;
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
            char sep = (e + 1) % outs ? ' ' : '\n';
            if (what == GN_PREDICT_CLASS || what >= GN_PREDICT_PROBS) { /* one line per example */
                if (e % outs) continue;
                sep = '\n';
                if (what == GN_PREDICT_CLASS) {
                    text = gn__model_class_of_row(m, pred + e);
                } else {
                    if ((st = class_text(m, pred + e, form, tn, &line, &line_cap)) != GN_OK) goto done;
                    text = line;
                }
            } else {
                gn__format_prediction(pred[e], buf, sizeof buf);
            }
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
    free(line);
    free(pred);
    gn__batch_free(&b);
    gn__source_free(src);
    return st;
}

gn_status gn_evaluate(const gn_model *m, const char *const *paths, size_t npaths, int skip_bad, gn_metrics *out,
                      uint64_t *skipped) {
    return gn_evaluate_acc(m, paths, npaths, skip_bad, out, NULL, skipped);
}

gn_status gn_evaluate_acc(const gn_model *m, const char *const *paths, size_t npaths, int skip_bad, gn_metrics *out,
                          gn_metrics_acc **acc_out, uint64_t *skipped) {
    gn__clear_error();
    if (m && m->kind == GN_KIND_MF) return gn__mf_evaluate(m, paths, npaths, skip_bad, out, acc_out, skipped);
    const gn_label_kind kind = gn__label_kind_for(m->loss);
    const size_t outs = gn_model_outputs(m);
    gn_source *src;
    GN_TRY(open_for_model(m, kind, skip_bad, paths, npaths, &src));
    gn_metrics_acc *acc = NULL;
    gn_batch b;
    memset(&b, 0, sizeof b);
    double *scores = malloc(GN_PREDICT_BATCH * outs * sizeof *scores);
    int st = scores ? gn__metrics_acc_for(m->loss, outs, &acc) : (int)gn__fail(GN_ENOMEM, "out of memory");
    if (st != GN_OK) goto done;
    if ((st = gn__batch_init(&b, GN_PREDICT_BATCH, GN_PREDICT_BATCH * 32)) != GN_OK) goto done;
    while ((st = gn__source_next(src, &b, GN_PREDICT_BATCH)) == GN_OK) {
        const gn_rows rows = gn__batch_rows(&b);
        gn__model_scores(m, &rows, scores);
        for (size_t e = 0; e < b.n; e++)
            if ((st = gn__metrics_add_scores(acc, m->loss, m->quantile_tau, scores + e * outs, outs, b.label[e],
                                             b.weight[e], NULL)) != GN_OK)
                goto done;
    }
    if (st != GN_EOF) goto done;
    st = gn_metrics_acc_result(acc, out);
    if (st == GN_OK && out->examples == 0) st = gn__fail(GN_EPARSE, "%s: no examples to evaluate", paths[0]);
    if (st == GN_OK && skipped) *skipped = gn__source_skipped(src);
    if (st == GN_OK && acc_out) {
        *acc_out = acc;
        acc = NULL;
    }
done:
    free(scores);
    gn_metrics_acc_free(acc);
    gn__batch_free(&b);
    gn__source_free(src);
    return st;
}
