/* model/predict.c: prediction from one text line or from named features, parsed with the spec
 * (and CSV columns) stored in the model. Thread-safe on a const model: each call parses into its
 * own small batch with its own parser. */
#include <stdlib.h>
#include <string.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/parser.h"
#include "model/model.h"
#include "util/error.h"

int gn__model_parser(const gn_model *m, gn_label_kind kind, gn_parser **out) {
    gn_data_spec spec = m->spec;
    spec.label_kind = kind;
    gn_parser *p;
    GN_TRY(gn__parser_new(&spec, &p));
    const json_t *cols = m->extra ? json_object_get(m->extra, "columns") : NULL;
    int st = cols ? gn__parser_load_columns(p, cols) : GN_OK;
    if (st == GN_OK) st = gn__model_attach_labels(m, p);
    if (st == GN_OK) gn__parser_set_idf(p, m->idf);
    gn__parser_set_cross_inline(p, 1); /* scored by the model: the crossed features in the example */
    if (st != GN_OK) {
        gn__parser_free(p);
        return st;
    }
    *out = p;
    return GN_OK;
}

/* The prediction of the one example in b (its first output). */
static int score_batch_one(const gn_model *m, const gn_batch *b, double *out) {
    if (b->n != 1) return gn__fail(GN_EPARSE, "no example on the line");
    const size_t outs = gn_model_outputs(m);
    double one[1], *pred = outs == 1 ? one : malloc(outs * sizeof *pred);
    if (!pred) return gn__fail(GN_ENOMEM, "out of memory");
    const gn_rows rows = gn__batch_rows(b);
    gn__model_predictions(m, &rows, pred);
    *out = pred[0];
    if (pred != one) free(pred);
    return GN_OK;
}

gn_status gn_model_predict_line(const gn_model *m, const char *line, size_t len, double *out) {
    gn_parser *p;
    GN_TRY(gn__model_parser(m, GN_LABEL_NONE, &p));
    gn_batch b;
    int st = gn__batch_init(&b, 1, 64);
    if (st != GN_OK) {
        gn__parser_free(p);
        return st;
    }
    char why[GN_WHY_MAX];
    if (m->spec.format == GN_FORMAT_CSV && gn__parser_columns(p) == 0) {
        st = gn__fail(GN_EUNSUPPORTED, "this CSV model has no stored columns");
        goto done;
    }
    st = gn__parser_line(p, line, len, 0, &b, why);
    if (st == GN_EOF) st = gn__fail(GN_EPARSE, "empty line");
    else if (st != GN_OK) st = gn__fail(st, "%s", why);
    else st = score_batch_one(m, &b, out);
done:
    gn__batch_free(&b);
    gn__parser_free(p);
    return st;
}

gn_status gn_model_predict_named(const gn_model *m, size_t n, const char *const *names, const double *values,
                           const char *const *strs, double *out) {
    gn_parser *p;
    GN_TRY(gn__model_parser(m, GN_LABEL_NONE, &p));
    gn_batch b;
    int st = gn__batch_init(&b, 1, n + 2);
    if (st != GN_OK) {
        gn__parser_free(p);
        return st;
    }
    char why[GN_WHY_MAX];
    st = gn__parser_named(p, n, names, values, strs, &b, why);
    if (st != GN_OK) st = gn__fail(st, "%s", why);
    else st = score_batch_one(m, &b, out);
    gn__batch_free(&b);
    gn__parser_free(p);
    return st;
}
