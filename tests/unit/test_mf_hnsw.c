/* tests/unit/test_mf_hnsw.c: the HNSW item index of kind mf (model/mf_hnsw.c, the search in
 * model/recommend.c) against the exact scan, on a generated clustered factor set: recall, exact
 * scores, exclusions, k above the catalogue, tiny catalogues, one-thread determinism, builds on
 * 1, 2 and 4 threads, concurrent queries. */
#include <math.h>
#include <pthread.h>
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

#define NITEMS 6000u
#define NUSERS 150u
#define RANK 16u
#define CLUSTERS 100u
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
static gn_model *clustered_n(int implicit, uint32_t nitems) {
    rng = 42;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.bits = 1;
    gn_model *m = NULL;
    assert_int_equal(gn__model_new(GN_KIND_MF, GN_LOSS_SQUARED, &spec, 1, &m), GN_OK);
    gn_mf *mf = NULL;
    assert_int_equal(gn__mf_new(RANK, NUSERS, nitems, (uint64_t)NUSERS * SEEN, &mf), GN_OK);
    float *centre = malloc(CLUSTERS * RANK * sizeof *centre);
    assert_non_null(centre);
    for (uint32_t j = 0; j < CLUSTERS * RANK; j++) centre[j] = (float)gauss();
    char id[32];
    uint32_t x;
    for (uint32_t i = 0; i < nitems; i++) {
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
        uint32_t at = (uint32_t)(unif() * 97) % nitems;
        for (uint32_t s = 0; s < SEEN; s++, at += (uint32_t)(unif() * (double)(nitems / SEEN)) + 1) mf->seen_idx[u * SEEN + s] = at % nitems;
        for (uint32_t s = 1; s < SEEN; s++) /* ascending (a tiny catalogue wraps) */
            for (uint32_t t = s; t > 0 && mf->seen_idx[u * SEEN + t] < mf->seen_idx[u * SEEN + t - 1]; t--) {
                uint32_t tmp = mf->seen_idx[u * SEEN + t];
                mf->seen_idx[u * SEEN + t] = mf->seen_idx[u * SEEN + t - 1];
                mf->seen_idx[u * SEEN + t - 1] = tmp;
            }
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

static gn_model *clustered(int implicit) { return clustered_n(implicit, NITEMS); }

static void build_hnsw(gn_model *m, uint32_t threads, uint32_t ef_search) {
    gn_mf_index_options io;
    gn_mf_index_options_init(&io);
    io.kind = GN_MF_INDEX_HNSW;
    io.threads = threads;
    io.ef_search = ef_search;
    io.ef_construction = 64;
    assert_int_equal(gn_model_mf_build_index(m, &io), GN_OK);
}

static size_t rec_k(const gn_model *m, const char *user, size_t k, const gn_recommend_options *o, gn_recommend_item *out) {
    size_t n = 0;
    assert_int_equal(gn_model_recommend(m, user, k, o, out, &n), GN_OK);
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
        size_t na = rec_k(m, u, 10, &ex, a), nb = rec_k(m, u, 10, &ap, b);
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
        build_hnsw(m, 2, 0);
        gn_mf_index_info info;
        assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
        assert_int_equal(info.kind, GN_MF_INDEX_HNSW);
        assert_int_equal(info.hnsw_m, 16);
        assert_int_equal(info.ef_construction, 64);
        assert_true(info.bytes >= (uint64_t)NITEMS * (RANK + 2) * 4);
        gn_recommend_options o;
        gn_recommend_options_init(&o);
        o.exclude_seen = 1;
        const double r = recall_at_10(m, &o);
        print_message("hnsw recall@10 %s (ef from k): %.4f\n", implicit ? "implicit" : "explicit", r);
        assert_true(r >= 0.95);
        /* a beam of k finds fewer: the beam width is what buys recall */
        o.ef = 10;
        const double r1 = recall_at_10(m, &o);
        print_message("hnsw recall@10 at ef 10: %.4f\n", r1);
        assert_true(r1 <= r);
        gn_model_free(m);
    }
}

/* The items the index returns are scored as the exact scan scores them, bit for bit: where both
 * return an item, the scores are equal; with a beam of 2/3 of the catalogue nearly every answer
 * matches. */
static void test_exact_scores(void **state) {
    (void)state;
    gn_model *m = clustered_n(0, 1500);
    build_hnsw(m, 1, 0);
    const char *excl[] = {"i5", "i77", "nope"};
    gn_recommend_item a[20], b[20];
    char u[32];
    size_t same = 0, total = 0;
    for (int variant = 0; variant < 2; variant++)
        for (uint32_t j = 0; j < NUSERS; j += 3) {
            snprintf(u, sizeof u, "u%u", j);
            gn_recommend_options o;
            gn_recommend_options_init(&o);
            o.ef = 1000; /* below the catalogue's 1500 (from 1500 up the scan answers) */
            if (variant) {
                o.exclude_seen = 1;
                o.exclude = excl;
                o.nexclude = 3;
            }
            gn_recommend_options ex = o;
            ex.exact = 1;
            size_t na = rec_k(m, u, 20, &ex, a), nb = rec_k(m, u, 20, &o, b);
            assert_int_equal(na, 20);
            assert_int_equal(nb, 20);
            for (size_t x = 0; x < nb; x++)
                for (size_t y = 0; y < na; y++)
                    if (!strcmp(a[y].item, b[x].item)) assert_true(a[y].score == b[x].score);
            int all = 1;
            for (size_t x = 0; x < na; x++) all &= !strcmp(a[x].item, b[x].item);
            same += (size_t)all;
            total++;
        }
    print_message("hnsw at ef 1000 of 1500 items: %zu of %zu users answered exactly\n", same, total);
    assert_true(same >= total * 95 / 100);
    gn_model_free(m);
}

/* Exclusions and seen items never come back; an unknown user and candidates scan exactly. */
static void test_exclusions(void **state) {
    (void)state;
    gn_model *m = clustered(0);
    build_hnsw(m, 2, 0);
    const gn_mf *mf = gn__mf_of(m);
    gn_recommend_item a[10], b[10];
    char u[32];
    for (uint32_t j = 0; j < NUSERS; j += 5) {
        snprintf(u, sizeof u, "u%u", j);
        gn_recommend_options o;
        gn_recommend_options_init(&o);
        assert_int_equal(rec_k(m, u, 10, &o, a), 10);
        /* exclude the index's own top 5, and the seen items */
        const char *excl[5] = {a[0].item, a[1].item, a[2].item, a[3].item, a[4].item};
        o.exclude = excl;
        o.nexclude = 5;
        o.exclude_seen = 1;
        assert_int_equal(rec_k(m, u, 10, &o, b), 10);
        for (size_t x = 0; x < 10; x++) {
            for (int e = 0; e < 5; e++) assert_string_not_equal(b[x].item, excl[e]);
            const uint32_t i = (uint32_t)strtoul(b[x].item + 1, NULL, 10);
            assert_false(gn__mf_seen(mf, j, i));
        }
    }
    gn_recommend_options o;
    gn_recommend_options_init(&o);
    size_t n = rec_k(m, "stranger", 10, &o, a);
    o.exact = 1;
    assert_int_equal(rec_k(m, "stranger", 10, &o, b), n);
    for (size_t x = 0; x < n; x++) assert_string_equal(a[x].item, b[x].item);
    gn_model_free(m);
}

/* Tiny catalogues (1, 2, 5, 40 items) and k above the catalogue: every admissible item, in the
 * exact order. */
static void test_tiny_and_large_k(void **state) {
    (void)state;
    const uint32_t sizes[] = {1, 2, 5, 40};
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        gn_model *m = clustered_n(0, sizes[t]);
        build_hnsw(m, 0, 0);
        gn_mf_index_info info;
        assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
        assert_int_equal(info.kind, GN_MF_INDEX_HNSW);
        gn_recommend_item a[64], b[64];
        for (int seen = 0; seen <= 1; seen++) {
            gn_recommend_options o;
            gn_recommend_options_init(&o);
            o.exclude_seen = seen;
            gn_recommend_options ex = o;
            ex.exact = 1;
            size_t na = rec_k(m, "u3", 64, &ex, a), nb = rec_k(m, "u3", 64, &o, b);
            assert_int_equal(na, nb);
            if (!seen) assert_int_equal(nb, sizes[t]);
            for (size_t x = 0; x < na; x++) {
                assert_string_equal(a[x].item, b[x].item);
                assert_true(a[x].score == b[x].score);
            }
        }
        gn_model_free(m);
    }
}

/* One build thread: the same graph, so the same answers, every time. */
static void test_deterministic(void **state) {
    (void)state;
    gn_model *m1 = clustered(0), *m2 = clustered(0);
    build_hnsw(m1, 1, 12);
    build_hnsw(m2, 1, 12);
    gn_recommend_item a[10], b[10];
    char u[32];
    for (uint32_t j = 0; j < NUSERS; j++) {
        snprintf(u, sizeof u, "u%u", j);
        gn_recommend_options o;
        gn_recommend_options_init(&o);
        size_t na = rec_k(m1, u, 10, &o, a), nb = rec_k(m2, u, 10, &o, b);
        assert_int_equal(na, nb);
        for (size_t x = 0; x < na; x++) assert_string_equal(a[x].item, b[x].item);
    }
    gn_model_free(m1);
    gn_model_free(m2);
}

/* A build on 2 and on 4 threads (insertions interleaved, so a different graph) reaches the recall
 * of the one-thread build, within a small tolerance, and above the same floor; the query scratch
 * pool hands each of several querying threads its own beam. Run under TSan (GN_TSAN) for races. */
typedef struct query_job {
    gn_model *m;
    double recall;
} query_job;

static void *query_thread(void *arg) {
    query_job *j = arg;
    gn_recommend_options o;
    gn_recommend_options_init(&o);
    o.exclude_seen = 1;
    j->recall = recall_at_10(j->m, &o);
    return NULL;
}

static void test_threaded_build(void **state) {
    (void)state;
    double r[3];
    const uint32_t threads[3] = {1, 2, 4};
    for (int t = 0; t < 3; t++) {
        gn_model *m = clustered(0);
        build_hnsw(m, threads[t], 0);
        gn_mf_index_info info;
        assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
        assert_int_equal(info.threads, threads[t]);
        gn_recommend_options o;
        gn_recommend_options_init(&o);
        o.exclude_seen = 1;
        r[t] = recall_at_10(m, &o);
        print_message("hnsw recall@10, %u build threads: %.4f\n", threads[t], r[t]);
        assert_true(r[t] >= 0.95);
        if (t) assert_true(fabs(r[t] - r[0]) <= 0.02);
        if (t == 2) { /* concurrent queries on one index give the recall of one query at a time */
            pthread_t tid[3];
            query_job jobs[3];
            for (int q = 0; q < 3; q++) {
                jobs[q].m = m;
                assert_int_equal(pthread_create(&tid[q], NULL, query_thread, &jobs[q]), 0);
            }
            for (int q = 0; q < 3; q++) {
                pthread_join(tid[q], NULL);
                assert_true(jobs[q].recall == r[t]);
            }
        }
        gn_model_free(m);
    }
}

/* auto: exact below auto_min_items, HNSW up to auto_max_hnsw_items, IVF above; a bad M refused
 * with the old index kept. */
static void test_auto_and_options(void **state) {
    (void)state;
    gn_model *m = clustered(0);
    gn_mf_index_info info;
    gn_mf_index_options io;
    gn_mf_index_options_init(&io);
    io.auto_min_items = NITEMS + 1;
    assert_int_equal(gn_model_mf_build_index(m, &io), GN_OK);
    assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
    assert_int_equal(info.kind, GN_MF_INDEX_EXACT);
    io.auto_min_items = NITEMS;
    io.hnsw_m = 8;
    io.ef_search = 40;
    assert_int_equal(gn_model_mf_build_index(m, &io), GN_OK);
    assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
    assert_int_equal(info.kind, GN_MF_INDEX_HNSW);
    assert_int_equal(info.hnsw_m, 8);
    assert_int_equal(info.ef_search, 40);
    io.auto_max_hnsw_items = NITEMS - 1; /* above the HNSW range: IVF */
    io.hnsw_m = 0;
    assert_int_equal(gn_model_mf_build_index(m, &io), GN_OK);
    assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
    assert_int_equal(info.kind, GN_MF_INDEX_IVF);
    io.kind = GN_MF_INDEX_HNSW;
    io.hnsw_m = 1000;
    assert_int_equal(gn_model_mf_build_index(m, &io), GN_EINVAL);
    assert_int_equal(gn_model_mf_index_info(m, &info), GN_OK);
    assert_int_equal(info.kind, GN_MF_INDEX_IVF); /* the old index kept */
    gn_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recall),           cmocka_unit_test(test_exact_scores),
        cmocka_unit_test(test_exclusions),       cmocka_unit_test(test_tiny_and_large_k),
        cmocka_unit_test(test_deterministic),    cmocka_unit_test(test_auto_and_options),
        cmocka_unit_test(test_threaded_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
