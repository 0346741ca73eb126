/* bench/gen-mf-model.c: a generated mf model file for bench/recommend_serve.sh, written through
 * the library's internals (link with libgannet.a): USERS x ITEMS at RANK, explicit, with
 * biases. Factors are drawn the way trained ones come out, clustered: TOPICS centres, each item
 * a centre plus noise (noise 0.6 of the centre's spread), each user near a random centre; item
 * biases N(0, 0.3), user biases N(0, 0.2); every user has 10 training items.
 *   usage: gen-mf-model USERS ITEMS RANK TOPICS SEED OUT.model */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/gannet.h"
#include "model/mf.h"
#include "model/model.h"

static uint64_t s;
static double u01(void) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return ((double)((z ^ (z >> 31)) >> 11) + 0.5) * 0x1.0p-53;
}
static float gauss(void) { return (float)(sqrt(-2.0 * log(u01())) * cos(6.283185307179586 * u01())); }

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: gen-mf-model USERS ITEMS RANK TOPICS SEED OUT.model\n");
        return 2;
    }
    const uint32_t nu = (uint32_t)atol(argv[1]), ni = (uint32_t)atol(argv[2]), K = (uint32_t)atol(argv[3]),
                   T = (uint32_t)atol(argv[4]);
    s = (uint64_t)atoll(argv[5]);
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.bits = 1;
    gn_model *m = NULL;
    gn_mf *mf = NULL;
    const uint32_t seen = 10;
    if (gn__model_new(GN_KIND_MF, GN_LOSS_SQUARED, &spec, 1, &m) != GN_OK ||
        gn__mf_new(K, nu, ni, (uint64_t)nu * seen, &mf) != GN_OK) {
        fprintf(stderr, "gen-mf-model: %s\n", gn_last_error());
        return 1;
    }
    const float scale = 1.0f / sqrtf((float)K);
    float *c = malloc((size_t)T * K * sizeof *c);
    if (!c) return 1;
    for (size_t j = 0; j < (size_t)T * K; j++) c[j] = gauss() * scale;
    char id[32];
    uint32_t x;
    for (uint32_t i = 0; i < ni; i++) {
        const uint32_t t = (uint32_t)(u01() * T) % T;
        for (uint32_t f = 0; f < K; f++) mf->Q[(size_t)i * K + f] = c[(size_t)t * K + f] + 0.6f * scale * gauss();
        mf->ibias[i] = 0.3f * gauss();
        mf->pop[i] = 1;
        int n = snprintf(id, sizeof id, "i%u", i);
        if (gn__iddict_add(mf->items, id, (size_t)n, &x) != 0) return 1;
    }
    for (uint32_t u = 0; u < nu; u++) {
        const uint32_t t = (uint32_t)(u01() * T) % T;
        for (uint32_t f = 0; f < K; f++) mf->P[(size_t)u * K + f] = 2.0f * (c[(size_t)t * K + f] + 0.6f * scale * gauss());
        mf->ubias[u] = 0.2f * gauss();
        int n = snprintf(id, sizeof id, "u%u", u);
        if (gn__iddict_add(mf->users, id, (size_t)n, &x) != 0) return 1;
        mf->seen_ptr[u + 1] = mf->seen_ptr[u] + seen;
        uint32_t at = (uint32_t)(u01() * (ni / seen));
        for (uint32_t j = 0; j < seen; j++, at += ni / seen) mf->seen_idx[(size_t)u * seen + j] = at % ni;
        /* ascending: at wraps at most once only if ni % seen; keep it simple and sorted */
        for (uint32_t j = 1; j < seen; j++)
            for (uint32_t k = j; k > 0 && mf->seen_idx[(size_t)u * seen + k] < mf->seen_idx[(size_t)u * seen + k - 1]; k--) {
                uint32_t tmp = mf->seen_idx[(size_t)u * seen + k];
                mf->seen_idx[(size_t)u * seen + k] = mf->seen_idx[(size_t)u * seen + k - 1];
                mf->seen_idx[(size_t)u * seen + k - 1] = tmp;
            }
    }
    free(c);
    mf->mean = 3.5;
    strcpy(mf->user_col, "user");
    strcpy(mf->item_col, "item");
    strcpy(mf->rating_col, "rating");
    m->payload = mf;
    if (gn__model_finalize(m) != GN_OK || gn_model_save(m, argv[6]) != GN_OK) {
        fprintf(stderr, "gen-mf-model: %s\n", gn_last_error());
        return 1;
    }
    gn_model_free(m);
    return 0;
}
