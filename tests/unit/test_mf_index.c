/* tests/unit/test_mf_index.c: the IVF item index of kind mf (model/mf_index.c, the search in
 * model/recommend.c) against the exact scan, on a generated clustered factor set. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "gannet/gannet.h"
#include "model/mf.h"
#include "model/model.h"

#define NITEMS 20000u
#define NUSERS 200u
#define RANK 16u
#define CLUSTERS 200u
#define SEEN 20u

static uint64_t rng = 42;
static double unif(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2.0 * log(unif())) * cos(6.283185307179586 * unif()); }

/* Items around CLUSTERS centres (as trained factors cluster), users near random centres, each
 * user with SEEN training items; explicit, with biases. */
static gn_model *clustered(int implicit) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.bits = 1;
    gn_model *m = NULL;
    assert_int_equal(gn__model_new(GN_KIND_MF, GN_LOSS_SQUARED, &spec, 1, &m), GN_OK);
    gn_mf *mf = NULL;
    assert_int_equal(gn__mf_new(RANK, NUSERS, NITEMS, (uint64_t)NUSERS * SEEN, &mf), GN_OK);
    float *centre = malloc(CLUSTERS * RANK * sizeof *centre);
    assert_non_null(centre);
    for (uint32_t j = 0; j < CLUSTERS * RANK; j++) centre[j] = (float)gauss();
    char id[32];
    uint32_t x;
    for (uint32_t i = 0; i < NITEMS; i++) {
        const uint32_t c = (uint32_t)(unif() * CLUSTERS) % CLUSTERS;
        for (uint32_t f = 0; f < RANK; f++) mf->Q[i * RANK + f] = centre[c * RANK + f] + 0.3f * (float)gauss();
        mf->ibias[i] = implicit ? 0.0f : 0.2f * (float)gauss();
        mf->pop[i] = (float)(i % 97);
        snprintf(id, sizeof id, "i%u", i);
        assert_int_equal(gn__iddict_add(mf->items, id, strlen(id), &x), 0);
    }
    for (uint32_t u = 0; u < NUSERS; u++) {
        const uint32_t c = (uint32_t)(unif() * CLUSTERS) % CLUSTERS;
        for (uint32_t f = 0; f < RANK; f++) mf->P[u * RANK + f] = centre[c * RANK + f] + 0.5f * (float)gauss();
        mf->ubias[u] = implicit ? 0.0f : 0.1f * (float)gauss();
        snprintf(id, sizeof id, "u%u", u);
        assert_int_equal(gn__iddict_add(mf->users, id, strlen(id), &x), 0);
        /* seen: SEEN ascending items spread over the catalogue */
        mf->seen_ptr[u + 1] = mf->seen_ptr[u] + SEEN;
        uint32_t at = (uint32_t)(unif() * 97);
        for (uint32_t s = 0; s < SEEN; s++, at += (uint32_t)(unif() * 900) + 1) mf->seen_idx[u * SEEN + s] = at;
    }
    free(centre);
    mf->mean = implicit ? 0 : 3.5;
    mf->implicit = implicit;
    strcpy(mf->user_col, "user");
    strcpy(mf->item_col, "item");
    m->payload = mf;
    assert_int_equal(gn__model_finalize(m), GN_OK);
    return m;
}

static void build_ivf(gn_model *m, uint32_t nprobe) {
    gn_mf_index_options io;
    gn_mf_index_options_init(&io);
    io.kind = GN_MF_INDEX_IVF;
    io.nprobe = nprobe;
    assert_int_equal(gn_model_mf_build_index(m, &io), GN_OK);
}

static size_t rec(const gn_model *m, const char *user, const gn_recommend_options *o, gn_recommend_item *out) {
    size_t n = 0;
    assert_int_equal(gn_model_recommend(m, user, 10, o, out, &n), GN_OK);
    return n;
}

static double recall_at_10(gn_model *m, const gn_recommend_options *base) {
    gn_recommend_item a[10], b[10];
    double hits = 0, total = 0;
    char u[32];
    for (uint32_t j = 0; j < NUSERS; j++) {
        snprintf(u, sizeof u, "u%u", j);
        gn_recommend_options ex = *base, ap = *base;
        ex.exact = 1;
        size_t na = rec(m, u, &ex, a), nb = rec(m, u, &ap, b);
        assert_int_equal(na, 10);
        assert_int_equal(nb, 10);
        for (size_t x = 0; x < na; x++)
            for (size_t y = 0; y < nb; y++) hits += strcmp(a[x].item, b[y].item) == 0;
        total += (double)na;
    }
    return hits / total;
}

static void test_recall(void **state) {
    (void)state;
    for (int implicit = 0; implicit <= 1; implicit++) {
        gn_model *m = clustered(implicit);
        build_ivf(m, 0);
        gn_mf_index_info info;
        assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
        assert_int_equal(info.kind, GN_MF_INDEX_IVF);
        assert_true(info.nlists >= 100 && info.nlists <= 200); /* about sqrt(20000) */
        assert_true(info.nprobe >= 1 && info.nprobe < info.nlists);
        assert_true(info.bytes >= (uint64_t)NITEMS * (RANK + 1) * 4);
        gn_recommend_options o;
        gn_recommend_options_init(&o);
        const double r = recall_at_10(m, &o);
        print_message("recall@10 %s at nprobe %u of %u lists: %.4f\n", implicit ? "implicit" : "explicit", info.nprobe,
                      info.nlists, r);
        assert_true(r >= 0.95);
        /* one list probed finds fewer: the probe count is what buys recall */
        o.nprobe = 1;
        const double r1 = recall_at_10(m, &o);
        assert_true(r1 < r);
        gn_model_free(m);
    }
}

/* With every list probed the index answers exactly what the exact scan answers, scores too. */
static void test_all_lists_exact(void **state) {
    (void)state;
    gn_model *m = clustered(0);
    build_ivf(m, 0);
    gn_mf_index_info info;
    assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
    const char *excl[] = {"i5", "i77", "nope"};
    gn_recommend_item a[10], b[10];
    char u[32];
    for (int variant = 0; variant < 2; variant++)
        for (uint32_t j = 0; j < NUSERS; j += 7) {
            snprintf(u, sizeof u, "u%u", j);
            gn_recommend_options o;
            gn_recommend_options_init(&o);
            o.nprobe = info.nlists;
            if (variant) {
                o.exclude_seen = 1;
                o.exclude = excl;
                o.nexclude = 3;
            }
            gn_recommend_options ex = o;
            ex.exact = 1;
            size_t na = rec(m, u, &ex, a), nb = rec(m, u, &o, b);
            assert_int_equal(na, nb);
            for (size_t x = 0; x < na; x++) {
                assert_string_equal(a[x].item, b[x].item);
                assert_true(a[x].score == b[x].score);
            }
        }
    gn_model_free(m);
}

/* Exclusions and seen items never come back from the index; candidates are scored exactly. */
static void test_exclusions_candidates(void **state) {
    (void)state;
    gn_model *m = clustered(0);
    build_ivf(m, 0);
    const gn_mf *mf = gn__mf_of(m);
    gn_recommend_item a[10], b[10];
    char u[32];
    for (uint32_t j = 0; j < NUSERS; j += 5) {
        snprintf(u, sizeof u, "u%u", j);
        gn_recommend_options o;
        gn_recommend_options_init(&o);
        /* exclude the index's own top 3, and the seen items */
        size_t n0 = rec(m, u, &o, a);
        assert_int_equal(n0, 10);
        const char *excl[3] = {a[0].item, a[1].item, a[2].item};
        o.exclude = excl;
        o.nexclude = 3;
        o.exclude_seen = 1;
        size_t n = rec(m, u, &o, b);
        assert_int_equal(n, 10);
        for (size_t x = 0; x < n; x++) {
            for (int e = 0; e < 3; e++) assert_string_not_equal(b[x].item, excl[e]);
            const uint32_t i = (uint32_t)strtoul(b[x].item + 1, NULL, 10);
            assert_false(gn__mf_seen(mf, j, i));
        }
        /* candidates: only those, in the exact scan's order */
        const char *cand[] = {"i1", "i2", "i3", "i4000", "i19999", "i12345", "unknown"};
        gn_recommend_options c;
        gn_recommend_options_init(&c);
        c.candidates = cand;
        c.ncandidates = 7;
        gn_recommend_options ce = c;
        ce.exact = 1;
        size_t na = rec(m, u, &c, a), nb = rec(m, u, &ce, b);
        assert_int_equal(na, 6);
        assert_int_equal(nb, 6);
        for (size_t x = 0; x < na; x++) assert_string_equal(a[x].item, b[x].item);
    }
    /* an unknown user gets the exact fallback */
    gn_recommend_options o;
    gn_recommend_options_init(&o);
    size_t n = rec(m, "stranger", &o, a);
    o.exact = 1;
    assert_int_equal(rec(m, "stranger", &o, b), n);
    for (size_t x = 0; x < n; x++) assert_string_equal(a[x].item, b[x].item);
    gn_model_free(m);
}

static void test_auto_and_exact(void **state) {
    (void)state;
    gn_model *m = clustered(0);
    gn_mf_index_info info;
    gn_mf_index_options io;
    gn_mf_index_options_init(&io);
    io.auto_min_items = NITEMS + 1;
    assert_int_equal(gn_model_mf_build_index(m, &io), GN_OK); /* auto: below the threshold */
    assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
    assert_int_equal(info.kind, GN_MF_INDEX_EXACT);
    io.kind = GN_MF_INDEX_IVF;
    io.nlists = 50;
    io.nprobe = 7;
    assert_int_equal(gn_model_mf_build_index(m, &io), GN_OK);
    assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
    assert_int_equal(info.kind, GN_MF_INDEX_IVF);
    assert_int_equal(info.nlists, 50);
    assert_int_equal(info.nprobe, 7);
    io.kind = GN_MF_INDEX_EXACT;
    assert_int_equal(gn_model_mf_build_index(m, &io), GN_OK);
    assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
    assert_int_equal(info.kind, GN_MF_INDEX_EXACT);
    io.kind = 9;
    assert_int_equal(gn_model_mf_build_index(m, &io), GN_EINVAL);
    gn_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recall),
        cmocka_unit_test(test_all_lists_exact),
        cmocka_unit_test(test_exclusions_candidates),
        cmocka_unit_test(test_auto_and_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
