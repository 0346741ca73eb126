/* fuzz/fuzz_model_load.c: libFuzzer target for gn_model_load. The input is written to a temp
 * file and loaded; a model that loads is then used (metadata, top weights, a prediction; kind mf:
 * recommendations and predictions by id), and a save/load round trip that must reproduce the same version). Build with
 * -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION so wrong checksums are accepted and the fuzzer
 * reaches the header and weight checks behind them (fuzz/build.sh does). */
#include <math.h>

#include "fuzz_common.h"
#include "gannet/gannet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1u << 20)) return 0;
    const char *path = fuzz_temp_file(data, size);
    gn_model *m = NULL;
    int st = gn_model_load(path, &m);
    if (st != GN_OK) {
        FUZZ_ASSERT(m == NULL);
        FUZZ_ASSERT(gn_last_error()[0] != '\0');
        return 0;
    }
    FUZZ_ASSERT(gn_model_metadata_json(m)[0] == '{');
    FUZZ_ASSERT(strlen(gn_model_version(m)) == 16);
    uint32_t slots[8];
    float vals[8];
    size_t n = 0;
    FUZZ_ASSERT(gn_model_top_weights(m, 8, slots, vals, &n) == GN_OK && n <= 8);
    for (size_t i = 0; i < n; i++) FUZZ_ASSERT(isfinite(vals[i]) && slots[i] < ((uint32_t)1 << gn_model_get_bits(m)));
    double y;
    static const char *lines[] = {"1 1:1 2:0.5", "a,b,c,1", "1 |f a b:2 |g c"};
    for (int i = 0; i < 3; i++) (void)gn_model_predict_line(m, lines[i], strlen(lines[i]), &y);
    if (gn_model_get_kind(m) == GN_KIND_MF) { /* the payload's tables, by id: top k and one prediction */
        gn_recommend_item top[4];
        gn_recommend_options ro;
        gn_recommend_options_init(&ro);
        ro.exclude_seen = 1;
        static const char *users[] = {"ann", "bob", "nobody"};
        for (int i = 0; i < 3; i++) {
            FUZZ_ASSERT(gn_model_recommend(m, users[i], 4, &ro, top, &n) == GN_OK && n <= 4);
            for (size_t j = 0; j < n; j++) FUZZ_ASSERT(top[j].item && (j == 0 || top[j].score <= top[j - 1].score));
            FUZZ_ASSERT(gn_model_mf_predict(m, users[i], "x", &y) == GN_OK);
        }
    }
    /* Round trip: what loads saves and loads again to the same model version. */
    char out[80];
    snprintf(out, sizeof out, "%s.saved", path);
    if (gn_model_save(m, out) == GN_OK) {
        gn_model *m2 = NULL;
        FUZZ_ASSERT(gn_model_load(out, &m2) == GN_OK);
        FUZZ_ASSERT(gn_model_nonzero(m2) == gn_model_nonzero(m));
        gn_model_free(m2);
        unlink(out);
    }
    gn_model_free(m);
    return 0;
}
