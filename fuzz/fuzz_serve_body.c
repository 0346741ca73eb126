/* fuzz/fuzz_serve_body.c: libFuzzer target for the server's request-body handling
 * (serve/predict_req.c + serve/json_instances.c): a predict body, JSON or text/plain, against
 * small models of each input format. Byte 0 picks the model and the body kind; the rest is the
 * body. The answer must be 200 with exactly `count` finite-or-null predictions, or a 400/413
 * with a reason; never a crash, an over-read (ASan) or a leak. A byte 0 of 0xF0 and up sends the
 * body to :recommend instead (serve/rank_req.c: a context and candidates for these feature
 * models): 200 with an "items" or "results" answer, or 400/413 with a reason. */
#include <math.h>

#include "fuzz_common.h"
#include "gannet/gannet.h"
#include "model/model.h"
#include "serve/predict_req.h"
#include "serve/recommend_req.h"

static gn_model *models[3];

static gn_model *make_model(gn_format format, gn_loss loss) {
    json_t *extra = NULL;
    if (format == GN_FORMAT_CSV) { /* the columns a CSV model stores for serving named input */
        extra = json_pack("{s:[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}]}", "columns", "name", "y", "role", "label",
                          "name", "c2", "role", "numeric", "name", "c3", "role", "categorical", "name", "c4", "role",
                          "categorical");
        if (!extra) abort();
    }
    return fuzz_linear_model(format, loss, 10, 13, 0.5f, extra);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!models[0]) {
        models[0] = make_model(GN_FORMAT_LIBSVM, GN_LOSS_LOGISTIC);
        models[1] = make_model(GN_FORMAT_CSV, GN_LOSS_LOGISTIC);
        models[2] = make_model(GN_FORMAT_VW, GN_LOSS_POISSON);
    }
    if (size < 1) return 0;
    const gn_model *m = models[(data[0] & 3) % 3];
    gn__body_kind kind = (data[0] & 4) ? GN__BODY_TEXT : GN__BODY_JSON;
    /* an exactly-sized copy, so ASan sees any read past the end */
    size_t n = size - 1;
    char *body = malloc(n ? n : 1);
    if (!body) return 0;
    memcpy(body, data + 1, n);
    gn__strbuf out;
    gn__sb_init(&out);
    size_t count = 0;
    char why[512] = "";
    if (data[0] >= 0xF0) {
        const int rs = gn__recommend_body(m, body, n, 64, &out, &count, why, sizeof why);
        if (rs == 200) FUZZ_ASSERT(out.len >= 8 && (!memcmp(out.p, "\"items\":", 8) || !memcmp(out.p, "\"results", 8)));
        else FUZZ_ASSERT((rs == 400 || rs == 413) && why[0] != '\0');
        gn__sb_free(&out);
        free(body);
        return 0;
    }
    int st = gn__predict_body(m, kind, body, n, 64, &out, &count, why, sizeof why);
    if (st == 200) {
        size_t commas = 0;
        for (size_t i = 0; i < out.len; i++) commas += out.p[i] == ',';
        FUZZ_ASSERT(count == 0 ? out.len == 0 : commas + 1 == count);
        FUZZ_ASSERT(count <= 64);
    } else {
        FUZZ_ASSERT(st == 400 || st == 413);
        FUZZ_ASSERT(why[0] != '\0');
    }
    gn__sb_free(&out);
    free(body);
    return 0;
}
