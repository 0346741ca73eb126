/* model/predict_matrix.c: predictions for the rows of an in-memory matrix (gannet/arrays.h),
 * read in blocks of rows into a small batch and scored as gn_model_predict_batch scores. */
#include "gannet/arrays.h"
#include "io/batch.h"
#include "io/matrix.h"
#include "model/model.h"
#include "util/error.h"

#define MATRIX_BLOCK_ROWS 1024

gn_status gn_model_predict_matrix(const gn_model *model, const gn_matrix *x, int raw_scores, double *out,
                                  size_t out_len) {
    if (!model || !out) return gn__fail(GN_EINVAL, "predict matrix: model and out are required");
    GN_TRY(gn_matrix_check(x));
    const gn_data_spec *spec = gn_model_get_spec(model);
    if (spec->format != GN_FORMAT_LIBSVM)
        return gn__fail(GN_EINVAL, "predict matrix: the model reads %s input; arrays need a model trained on "
                        "arrays or on LIBSVM data", gn_format_name(spec->format));
    const size_t outs = gn_model_outputs(model);
    if (outs && x->rows > out_len / outs)
        return gn__fail(GN_EINVAL, "predict matrix: out holds %zu numbers, %zu rows need %zu", out_len, x->rows,
                        x->rows * outs);
    gn_batch b;
    GN_TRY(gn__batch_init(&b, MATRIX_BLOCK_ROWS, MATRIX_BLOCK_ROWS * 16));
    int st = GN_OK;
    for (size_t from = 0; from < x->rows && st == GN_OK; from += MATRIX_BLOCK_ROWS) {
        size_t n = x->rows - from < MATRIX_BLOCK_ROWS ? x->rows - from : MATRIX_BLOCK_ROWS;
        gn__batch_clear(&b);
        uint64_t key = from;
        st = gn__matrix_rows(spec, x, from, n, NULL, NULL, &key, &b);
        if (st == GN_OK) {
            gn_rows rows = gn__batch_rows(&b); /* slots are below 2^bits by construction */
            if (raw_scores) gn__model_scores(model, &rows, out + from * outs);
            else gn__model_predictions(model, &rows, out + from * outs);
        }
    }
    gn__batch_free(&b);
    return st;
}
