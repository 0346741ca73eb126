/* fuzz/fuzz_predict_line.c: libFuzzer target for gn_model_predict_line, the public one-line
 * prediction entry point (used by the server), on small models of each input format. Byte 0
 * picks the model; the rest is one line. Predictions must be finite (and in [0,1] for
 * logistic). */
#include <math.h>

#include "fuzz_common.h"
#include "gannet/gannet.h"
#include "model/model.h"

static gn_model *models[4];

static gn_model *make_model(gn_format format, gn_loss loss) {
    return fuzz_linear_model(format, loss, 12, 17, 0.25f, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!models[0]) {
        models[0] = make_model(GN_FORMAT_LIBSVM, GN_LOSS_LOGISTIC);
        models[1] = make_model(GN_FORMAT_CSV, GN_LOSS_LOGISTIC);
        models[2] = make_model(GN_FORMAT_VW, GN_LOSS_POISSON);
        models[3] = make_model(GN_FORMAT_VW, GN_LOSS_SQUARED);
    }
    if (size < 1) return 0;
    const gn_model *m = models[data[0] & 3];
    double y = NAN;
    int st = gn_model_predict_line(m, (const char *)data + 1, size - 1, &y);
    if (st == GN_OK) {
        FUZZ_ASSERT(!isnan(y));
        if (gn_model_get_loss(m) == GN_LOSS_LOGISTIC) FUZZ_ASSERT(y >= 0.0 && y <= 1.0);
    } else {
        FUZZ_ASSERT(gn_last_error()[0] != '\0');
    }
    return 0;
}
