/* tests/unit/test_mf.c: matrix factorization (kind mf: learn/mf_train.c, model/kinds/mf.c,
 * model/recommend.c). ALS and SGD recover a generated low-rank matrix (held-out RMSE near the
 * noise level, far below the bias-only answer); the model file round trip keeps every prediction
 * and both id dictionaries; recommend ranks a planted best item first and never returns seen or
 * excluded items; implicit ALS ranks held-out positives above random items (AUC); the id
 * dictionary keeps every id through its growths; rows in memory (gn_train_mf_rows) train the
 * model the CSV file of the same rows trains. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <xxhash.h>

#include "gannet/gannet.h"
#include "io/triples.h"
#include "learn/train_internal.h"
#include "model/mf.h"
#include "model/model.h"

static double unif(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static double gauss(uint64_t *s) {
    double u = unif(s) + 1e-12, v = unif(s);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

enum { NU = 300, NI = 200, TRUE_RANK = 3 };
#define NOISE 0.1

static char train_path[64], test_path[64];

/* ratings = 3 + b_u + b_i + p_u . q_i + noise, 25% of the cells observed (80% train, 20% test) */
static double gen_explicit(void) {
    uint64_t s = 42;
    static double P[NU][TRUE_RANK], Q[NI][TRUE_RANK], bu[NU], bi[NI];
    for (int u = 0; u < NU; u++) {
        bu[u] = 0.3 * gauss(&s);
        for (int f = 0; f < TRUE_RANK; f++) P[u][f] = 0.6 * gauss(&s);
    }
    for (int i = 0; i < NI; i++) {
        bi[i] = 0.3 * gauss(&s);
        for (int f = 0; f < TRUE_RANK; f++) Q[i][f] = 0.6 * gauss(&s);
    }
    strcpy(train_path, "/tmp/gn_test_mf_trainXXXXXX");
    strcpy(test_path, "/tmp/gn_test_mf_testXXXXXX");
    int a = mkstemp(train_path), b = mkstemp(test_path);
    assert_true(a >= 0 && b >= 0);
    FILE *tr = fdopen(a, "w"), *te = fdopen(b, "w");
    fprintf(tr, "user,item,rating,ts\n");
    fprintf(te, "user,item,rating,ts\n");
    double var = 0, mean = 0;
    size_t n = 0;
    for (int u = 0; u < NU; u++)
        for (int i = 0; i < NI; i++) {
            if (unif(&s) > 0.25) continue;
            double r = 3 + bu[u] + bi[i] + NOISE * gauss(&s);
            for (int f = 0; f < TRUE_RANK; f++) r += P[u][f] * Q[i][f];
            fprintf(unif(&s) < 0.8 ? tr : te, "user %d,\"item, %d\",%.6f,%d\n", u, i, r, u * 1000 + i);
            n++;
            double d = r - mean;
            mean += d / (double)n;
            var += d * (r - mean);
        }
    fclose(tr);
    fclose(te);
    return sqrt(var / (double)n);
}

static gn_model *train(gn_optimizer opt, uint32_t rank, double l2, uint32_t passes, int implicit, const char *path) {
    gn_train_options o;
    gn_data_spec spec;
    gn_train_options_init(&o);
    gn_data_spec_init(&spec);
    o.kind = GN_KIND_MF;
    o.optimizer = opt;
    o.fm_rank = rank;
    o.l2 = l2;
    o.passes = passes;
    o.mf_user = "user";
    o.mf_item = "item";
    o.mf_rating = implicit ? NULL : "rating";
    o.implicit = implicit;
    o.threads = 2;
    gn_model *m = NULL;
    const char *paths[] = {path};
    gn_train_summary sum;
    int st = gn_train(&o, &spec, paths, 1, NULL, NULL, &m, &sum);
    if (st != GN_OK) fprintf(stderr, "train: %s\n", gn_last_error());
    assert_int_equal(st, GN_OK);
    return m;
}

static double test_rmse(const gn_model *m) {
    gn_metrics met;
    uint64_t skipped = 0;
    const char *paths[] = {test_path};
    assert_int_equal(gn_evaluate(m, paths, 1, 0, &met, &skipped), GN_OK);
    assert_true(met.examples > 1000);
    return met.rmse;
}

static void test_als_recovers(void **state) {
    (void)state;
    const double sd = gen_explicit();
    gn_model *m = train(GN_OPT_ALS, TRUE_RANK, 0.02, 20, 0, train_path);
    const double rmse = test_rmse(m);
    fprintf(stderr, "als: test rmse %.4f (noise %.2f, rating sd %.3f)\n", rmse, NOISE, sd);
    assert_true(rmse < 2.0 * NOISE);
    assert_true(rmse < 0.25 * sd);
    gn_mf_info info;
    assert_int_equal(gn_model_mf_info(m, &info), GN_OK);
    assert_int_equal(info.users, NU);
    assert_true(info.items <= NI && info.items > NI - 5);
    gn_model_free(m);
}

static void test_sgd_recovers(void **state) {
    (void)state;
    const double sd = gen_explicit();
    gn_model *m = train(GN_OPT_SGD, TRUE_RANK, 0.01, 150, 0, train_path);
    const double rmse = test_rmse(m);
    fprintf(stderr, "sgd: test rmse %.4f (noise %.2f, rating sd %.3f)\n", rmse, NOISE, sd);
    assert_true(rmse < 3.0 * NOISE);
    assert_true(rmse < 0.35 * sd);
    gn_model_free(m);
}

static void test_save_load(void **state) {
    (void)state;
    gen_explicit();
    gn_model *m = train(GN_OPT_ALS, 4, 0, 5, 0, train_path);
    char path[] = "/tmp/gn_test_mf_modelXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(gn_model_save(m, path), GN_OK);
    gn_model *l = NULL;
    assert_int_equal(gn_model_load(path, &l), GN_OK);
    assert_string_equal(gn_model_version(m), gn_model_version(l));
    const gn_mf *a = gn__mf_of(m), *b = gn__mf_of(l);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->nusers, b->nusers);
    assert_int_equal(a->nitems, b->nitems);
    assert_int_equal(a->nnz, b->nnz);
    for (uint32_t u = 0; u < a->nusers; u++) {
        size_t la, lb;
        const char *na = gn__iddict_name(a->users, u, &la), *nb = gn__iddict_name(b->users, u, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(na, nb, la);
    }
    for (uint32_t i = 0; i < a->nitems; i++) {
        size_t la, lb;
        const char *na = gn__iddict_name(a->items, i, &la), *nb = gn__iddict_name(b->items, i, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(na, nb, la);
    }
    assert_memory_equal(a->seen_ptr, b->seen_ptr, (a->nusers + 1) * sizeof *a->seen_ptr);
    assert_memory_equal(a->seen_idx, b->seen_idx, a->nnz * sizeof *a->seen_idx);
    /* every prediction identical, by id (quoted item ids with commas survived the CSV reader) */
    assert_true(gn_model_mf_has_user(l, "user 7"));
    assert_true(gn_model_mf_has_item(l, "item, 7"));
    assert_false(gn_model_mf_has_item(l, "item 7"));
    char u[32], it[32];
    for (int k = 0; k < 200; k++) {
        snprintf(u, sizeof u, "user %d", k % NU);
        snprintf(it, sizeof it, "item, %d", (k * 7) % NI);
        double pa, pb;
        assert_int_equal(gn_model_mf_predict(m, u, it, &pa), GN_OK);
        assert_int_equal(gn_model_mf_predict(l, u, it, &pb), GN_OK);
        assert_true(pa == pb);
    }
    /* cold start: an unknown user gets mean + the item's bias, an unknown item mean + user bias */
    double p;
    assert_int_equal(gn_model_mf_predict(l, "nobody", "item, 3", &p), GN_OK);
    uint32_t i3 = gn__iddict_find(b->items, "item, 3", 7);
    assert_true(fabs(p - (b->mean + b->ibias[i3])) < 1e-9);
    assert_int_equal(gn_model_mf_predict(l, "nobody", "nothing", &p), GN_OK);
    assert_true(fabs(p - b->mean) < 1e-12);
    /* a flipped payload byte is refused (checksum) */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, -20, SEEK_END);
    int c = fgetc(f);
    fseek(f, -20, SEEK_END);
    fputc(c ^ 0x40, f);
    fclose(f);
    gn_model *bad = NULL;
    assert_int_equal(gn_model_load(path, &bad), GN_ECHECKSUM);
    unlink(path);
    gn_model_free(m);
    gn_model_free(l);
}

/* A hand-made model: user 0 has seen items 1 and 3; item 5 ("best") has the highest score. */
static gn_model *planted(void) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.bits = 1;
    gn_model *m = NULL;
    assert_int_equal(gn__model_new(GN_KIND_MF, GN_LOSS_SQUARED, &spec, 1, &m), GN_OK);
    gn_mf *mf = NULL;
    assert_int_equal(gn__mf_new(2, 2, 8, 2, &mf), GN_OK);
    const char *items[] = {"a", "b", "c", "d", "e", "best", "g", "h"};
    uint32_t x;
    for (int i = 0; i < 8; i++) assert_int_equal(gn__iddict_add(mf->items, items[i], strlen(items[i]), &x), 0);
    assert_int_equal(gn__iddict_add(mf->users, "u0", 2, &x), 0);
    assert_int_equal(gn__iddict_add(mf->users, "u1", 2, &x), 0);
    mf->mean = 3;
    mf->P[0] = 1;
    mf->P[1] = 0.5f;
    for (int i = 0; i < 8; i++) {
        mf->Q[2 * i] = 0.1f * (float)i;
        mf->Q[2 * i + 1] = 0;
        mf->pop[i] = (float)(8 - i);
    }
    mf->Q[2 * 5] = 2; /* best */
    mf->Q[2 * 3] = 5; /* seen by u0, would beat best */
    mf->Q[2 * 1] = 4; /* seen by u0 */
    mf->seen_ptr[0] = 0;
    mf->seen_ptr[1] = 2;
    mf->seen_ptr[2] = 2;
    mf->seen_idx[0] = 1;
    mf->seen_idx[1] = 3;
    strcpy(mf->user_col, "user");
    strcpy(mf->item_col, "item");
    m->payload = mf;
    assert_int_equal(gn__model_finalize(m), GN_OK);
    return m;
}

static void test_recommend(void **state) {
    (void)state;
    gn_model *m = planted();
    gn_recommend_item out[8];
    size_t n;
    gn_recommend_options o;
    gn_recommend_options_init(&o);
    /* without exclusions the seen items lead */
    assert_int_equal(gn_model_recommend(m, "u0", 3, &o, out, &n), GN_OK);
    assert_int_equal(n, 3);
    assert_string_equal(out[0].item, "d");
    assert_string_equal(out[1].item, "b");
    assert_string_equal(out[2].item, "best");
    assert_true(out[0].score >= out[1].score && out[1].score >= out[2].score);
    assert_true(fabs(out[0].score - (3 + 5.0)) < 1e-6);
    /* exclude seen: the planted best first, and no seen item anywhere in the whole list */
    o.exclude_seen = 1;
    assert_int_equal(gn_model_recommend(m, "u0", 8, &o, out, &n), GN_OK);
    assert_int_equal(n, 6);
    assert_string_equal(out[0].item, "best");
    for (size_t j = 0; j < n; j++) assert_true(strcmp(out[j].item, "b") && strcmp(out[j].item, "d"));
    /* an exclude list too (unknown ids ignored) */
    const char *excl[] = {"best", "zzz", "h"};
    o.exclude = excl;
    o.nexclude = 3;
    assert_int_equal(gn_model_recommend(m, "u0", 8, &o, out, &n), GN_OK);
    assert_int_equal(n, 4);
    for (size_t j = 0; j < n; j++) assert_true(strcmp(out[j].item, "best") && strcmp(out[j].item, "h"));
    assert_string_equal(out[0].item, "g");
    /* candidates: only those are ranked */
    const char *cand[] = {"a", "c", "c", "unknown"};
    gn_recommend_options_init(&o);
    o.candidates = cand;
    o.ncandidates = 4;
    assert_int_equal(gn_model_recommend(m, "u0", 5, &o, out, &n), GN_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].item, "c");
    assert_string_equal(out[1].item, "a");
    /* an unknown user: mean + item bias (all zero here: ties in training order) */
    gn_recommend_options_init(&o);
    assert_int_equal(gn_model_recommend(m, "stranger", 2, &o, out, &n), GN_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].item, "a");
    assert_true(fabs(out[0].score - 3) < 1e-9);
    /* not an mf model */
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    gn_model *lin = NULL;
    assert_int_equal(gn__model_new(GN_KIND_LINEAR, GN_LOSS_LOGISTIC, &spec, 1, &lin), GN_OK);
    assert_int_equal(gn_model_recommend(lin, "u0", 2, &o, out, &n), GN_EINVAL);
    gn_model_free(lin);
    gn_model_free(m);
}

/* Implicit: 8 groups of users, each fond of its own 15 items; one held-out positive per user. */
static void test_implicit_auc(void **state) {
    (void)state;
    enum { U = 240, I = 120, G = 8, PER = I / G };
    uint64_t s = 7;
    char path[] = "/tmp/gn_test_mf_implXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "user,item\n");
    static int held[U];
    for (int u = 0; u < U; u++) {
        const int g = u % G;
        held[u] = -1;
        for (int j = 0; j < PER; j++) {
            const int i = g * PER + j;
            if (unif(&s) < 0.5) continue;
            if (held[u] < 0 && unif(&s) < 0.3) {
                held[u] = i;
                continue;
            }
            fprintf(f, "u%d,i%d\n", u, i);
        }
        if (unif(&s) < 0.3) fprintf(f, "u%d,i%d\n", u, (int)(unif(&s) * I)); /* noise */
    }
    fclose(f);
    gn_model *m = train(GN_OPT_AUTO, 8, 0, 10, 1, path);
    unlink(path);
    double wins = 0, pairs = 0;
    char un[16], pi[16], ri[16];
    for (int u = 0; u < U; u++) {
        if (held[u] < 0) continue;
        snprintf(un, sizeof un, "u%d", u);
        snprintf(pi, sizeof pi, "i%d", held[u]);
        double sp;
        assert_int_equal(gn_model_mf_predict(m, un, pi, &sp), GN_OK);
        for (int t = 0; t < 20; t++) {
            const int r = (int)(unif(&s) * I);
            if (r / PER == u % G) continue;
            snprintf(ri, sizeof ri, "i%d", r);
            double sr;
            assert_int_equal(gn_model_mf_predict(m, un, ri, &sr), GN_OK);
            wins += sp > sr ? 1.0 : sp == sr ? 0.5 : 0.0;
            pairs++;
        }
    }
    assert_true(pairs > 500);
    fprintf(stderr, "implicit: AUC %.4f over %.0f pairs\n", wins / pairs, pairs);
    assert_true(wins / pairs > 0.9);
    /* an unknown user gets the popular items */
    gn_recommend_item out[3];
    size_t n;
    assert_int_equal(gn_model_recommend(m, "newcomer", 3, NULL, out, &n), GN_OK);
    assert_int_equal(n, 3);
    assert_true(out[0].score >= out[1].score && out[1].score >= out[2].score && out[2].score >= 1);
    gn_model_free(m);
}

static void test_bad_options(void **state) {
    (void)state;
    gn_train_options o;
    gn_train_options_init(&o);
    o.kind = GN_KIND_MF;
    o.mf_user = "user";
    assert_int_equal(gn_train_options_check(&o), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "--item"));
    o.mf_item = "item";
    assert_int_equal(gn_train_options_check(&o), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "--rating"));
    o.mf_rating = "rating";
    assert_int_equal(gn_train_options_check(&o), GN_OK);
    o.optimizer = GN_OPT_LBFGS;
    assert_int_equal(gn_train_options_check(&o), GN_EINVAL);
    /* --max-memory refuses before allocating the tables */
    gen_explicit();
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    o.optimizer = GN_OPT_AUTO;
    o.max_memory = 1000;
    gn_model *m = NULL;
    const char *paths[] = {train_path};
    assert_int_equal(gn_train(&o, &spec, paths, 1, NULL, NULL, &m, NULL), GN_ELIMIT);
    assert_non_null(strstr(gn_last_error(), "--max-memory"));
    assert_null(m);
}

/* A header whose sizes the payload cannot hold is refused before anything is allocated for them
 * (the checksum recomputed, so the file is otherwise valid); the untouched file loads. */
static void test_payload_bounds(void **state) {
    (void)state;
    gn_model *m = planted();
    char path[] = "/tmp/gn_test_mf_boundsXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(gn_model_save(m, path), GN_OK);
    gn_model_free(m);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 48 && n < sizeof buf);
    const char *keys[] = {"\"users\":2", "\"items\":8", "\"rank\":2"};
    const char *big[] = {"\"users\":9", "\"items\":9", "\"rank\":9"};
    for (int k = 0; k < 3; k++) {
        static unsigned char mod[1 << 16];
        memcpy(mod, buf, n);
        unsigned char *at = NULL;
        for (size_t i = 40; i + strlen(keys[k]) < n && !at; i++)
            if (!memcmp(mod + i, keys[k], strlen(keys[k]))) at = mod + i;
        assert_non_null(at);
        memcpy(at, big[k], strlen(big[k]));
        const uint64_t sum = XXH3_64bits(mod, n - 8);
        for (int b = 0; b < 8; b++) mod[n - 8 + b] = (unsigned char)(sum >> (8 * b));
        f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(mod, 1, n, f), n);
        fclose(f);
        gn_model *l = NULL;
        assert_int_equal(gn_model_load(path, &l), GN_EFORMAT);
        assert_non_null(strstr(gn_last_error(), "payload"));
        assert_null(l);
    }
    f = fopen(path, "wb");
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
    gn_model *l = NULL;
    assert_int_equal(gn_model_load(path, &l), GN_OK);
    gn_model_free(l);
    unlink(path);
}

/* The id dictionary through many growths: every id keeps its index, names and lengths. */
static void test_iddict(void **state) {
    (void)state;
    gn_iddict *d = gn__iddict_new();
    assert_non_null(d);
    char buf[32];
    for (uint32_t i = 0; i < 100000; i++) {
        int n = snprintf(buf, sizeof buf, "id-%u", i * 7919u);
        uint32_t x;
        assert_int_equal(gn__iddict_add(d, buf, (size_t)n, &x), 0);
        assert_int_equal(x, i);
        assert_int_equal(gn__iddict_add(d, buf, (size_t)n, &x), 0); /* again: the same index */
        assert_int_equal(x, i);
    }
    assert_int_equal(gn__iddict_size(d), 100000);
    for (uint32_t i = 0; i < 100000; i += 13) {
        int n = snprintf(buf, sizeof buf, "id-%u", i * 7919u);
        assert_int_equal(gn__iddict_find(d, buf, (size_t)n), i);
        size_t len;
        const char *s = gn__iddict_name(d, i, &len);
        assert_int_equal(len, (size_t)n);
        assert_memory_equal(s, buf, len);
    }
    assert_int_equal(gn__iddict_find(d, "id-1", 4), GN_IDDICT_NONE);
    assert_int_equal(gn__iddict_find(d, "", 0), GN_IDDICT_NONE);
    uint32_t x;
    assert_int_equal(gn__iddict_add(d, "with\0nul", 8, &x), 0); /* bytes, not C strings */
    assert_int_equal(gn__iddict_find(d, "with\0nul", 8), x);
    assert_int_equal(gn__iddict_find(d, "with", 4), GN_IDDICT_NONE);
    gn__iddict_free(d);
}

/* gn_train_mf_rows: the rows in memory give the model gn_train gives for the CSV file of the same
 * rows (tables and dictionaries bit for bit), text ids and integer ids alike; bad rows are
 * refused with their row. */
static void expect_same_model(const gn_model *a, const gn_model *b) {
    const gn_mf *x = gn__mf_of(a), *y = gn__mf_of(b);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(x->nusers, y->nusers);
    assert_int_equal(x->nitems, y->nitems);
    assert_int_equal(x->nnz, y->nnz);
    assert_true(x->mean == y->mean);
    const size_t k = x->rank;
    assert_memory_equal(x->P, y->P, x->nusers * k * sizeof(float));
    assert_memory_equal(x->Q, y->Q, x->nitems * k * sizeof(float));
    assert_memory_equal(x->ubias, y->ubias, x->nusers * sizeof(float));
    assert_memory_equal(x->ibias, y->ibias, x->nitems * sizeof(float));
    for (uint32_t u = 0; u < x->nusers; u++) {
        size_t la, lb;
        const char *na = gn__iddict_name(x->users, u, &la), *nb = gn__iddict_name(y->users, u, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(na, nb, la);
    }
    for (uint32_t i = 0; i < x->nitems; i++) {
        size_t la, lb;
        const char *na = gn__iddict_name(x->items, i, &la), *nb = gn__iddict_name(y->items, i, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(na, nb, la);
    }
}

enum { ROWS_N = 900 };

static void test_rows_in_memory(void **state) {
    (void)state;
    static char utext[ROWS_N][32], itext[ROWS_N][32];
    static const char *ucol[ROWS_N], *icol[ROWS_N];
    static int64_t uint_ids[ROWS_N];
    static double rating[ROWS_N];
    uint64_t s = 7;
    strcpy(train_path, "/tmp/gn_test_mf_rowsXXXXXX");
    int fd = mkstemp(train_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "user,item,rating\n");
    for (size_t r = 0; r < ROWS_N; r++) {
        uint_ids[r] = (int64_t)(unif(&s) * 60) - 5; /* negative ids too */
        snprintf(utext[r], sizeof utext[r], "%lld", (long long)uint_ids[r]);
        snprintf(itext[r], sizeof itext[r], "item, %d", (int)(unif(&s) * 40));
        ucol[r] = utext[r];
        icol[r] = itext[r];
        rating[r] = 1.0 + 4.0 * unif(&s);
        fprintf(f, "%s,\"%s\",%.17g\n", utext[r], itext[r], rating[r]);
    }
    fclose(f);
    const gn_id_column users_text = {ucol, NULL, NULL}, users_int = {NULL, NULL, uint_ids}, items = {icol, NULL, NULL};
    for (int c = 0; c < 3; c++) { /* ALS, SGD, implicit ALS with confidences */
        gn_train_options o;
        gn_data_spec spec;
        gn_train_options_init(&o);
        gn_data_spec_init(&spec);
        o.kind = GN_KIND_MF;
        o.optimizer = c == 1 ? GN_OPT_SGD : GN_OPT_ALS;
        o.implicit = c == 2;
        o.fm_rank = 3;
        o.passes = 5;
        o.threads = 1;
        o.seed = 11;
        o.mf_user = "user";
        o.mf_item = "item";
        o.mf_rating = "rating";
        gn_model *file = NULL, *text = NULL, *ints = NULL;
        const char *paths[] = {train_path};
        assert_int_equal(gn_train(&o, &spec, paths, 1, NULL, NULL, &file, NULL), GN_OK);
        gn_train_summary sum;
        assert_int_equal(gn_train_mf_rows(&o, &users_text, &items, rating, ROWS_N, NULL, NULL, &text, &sum), GN_OK);
        assert_int_equal(sum.passes, 5);
        o.mf_user = o.mf_item = o.mf_rating = NULL; /* the defaults: the same names */
        assert_int_equal(gn_train_mf_rows(&o, &users_int, &items, rating, ROWS_N, NULL, NULL, &ints, NULL), GN_OK);
        expect_same_model(file, text);
        expect_same_model(file, ints);
        gn_model_free(file);
        gn_model_free(text);
        gn_model_free(ints);
    }
    /* errors name the row */
    gn_train_options o;
    gn_train_options_init(&o);
    gn_model *m = NULL;
    const char *bad_u[] = {"a", "", "c"}, *ok_i[] = {"x", "y", "z"};
    const size_t lens[] = {1, 3, 1};
    const char *nul_u[] = {"a", "b\0c", "c"};
    const double ok_r[] = {1, 2, 3}, nan_r[] = {1, NAN, 3}, big_r[] = {1, 2, 1e300};
    const gn_id_column cu_bad = {bad_u, NULL, NULL}, cu_nul = {nul_u, lens, NULL}, ci = {ok_i, NULL, NULL};
    assert_int_equal(gn_train_mf_rows(&o, &cu_bad, &ci, ok_r, 3, NULL, NULL, &m, NULL), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "row 1: empty user id"));
    assert_int_equal(gn_train_mf_rows(&o, &cu_nul, &ci, ok_r, 3, NULL, NULL, &m, NULL), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "row 1: the user id holds a NUL"));
    assert_int_equal(gn_train_mf_rows(&o, &ci, &ci, nan_r, 3, NULL, NULL, &m, NULL), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "row 1: rating"));
    assert_int_equal(gn_train_mf_rows(&o, &ci, &ci, big_r, 3, NULL, NULL, &m, NULL), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "row 2: rating"));
    assert_int_equal(gn_train_mf_rows(&o, &ci, &ci, NULL, 3, NULL, NULL, &m, NULL), GN_EINVAL); /* not implicit */
    assert_int_equal(gn_train_mf_rows(&o, &ci, &ci, ok_r, 0, NULL, NULL, &m, NULL), GN_EINVAL);
    o.fm_rank = 100000; /* options checked as gn_train checks them */
    assert_int_equal(gn_train_mf_rows(&o, &ci, &ci, ok_r, 3, NULL, NULL, &m, NULL), GN_EINVAL);
    assert_null(m);
}

/* gn_update_mf_rows: the base stays as it was; old ids keep their rows, new ones come after;
 * the new rows join the seen lists and the popularity; the epochs fit the new rows (their error
 * falls); an implicit model's new users and items are folded in (solved by weighted ALS, the known
 * factors fixed); an explicit model without ratings and no rows are refused. */
static double rows_rmse(const gn_mf *mf, const uint32_t *u, const uint32_t *i, const double *r, size_t n) {
    double s = 0;
    for (size_t e = 0; e < n; e++) {
        const double d = r[e] - gn__mf_predict(mf, u[e], i[e]);
        s += d * d;
    }
    return sqrt(s / (double)n);
}

static void test_update_rows(void **state) {
    (void)state;
    enum { N1 = 600, N2 = 400, NUSR = 50, NITM = 30 };
    static char ut[N1 + N2][16], it[N1 + N2][16];
    static const char *uc[N1 + N2], *ic[N1 + N2];
    static double r[N1 + N2];
    double pu[NUSR + 20][2], qi[NITM + 10][2];
    uint64_t s = 21;
    for (int u = 0; u < NUSR + 20; u++) pu[u][0] = unif(&s) * 2 - 1, pu[u][1] = unif(&s) * 2 - 1;
    for (int i = 0; i < NITM + 10; i++) qi[i][0] = unif(&s) * 2 - 1, qi[i][1] = unif(&s) * 2 - 1;
    for (size_t e = 0; e < N1 + N2; e++) { /* the second batch: 20 new users and 10 new items too */
        const int u = (int)(unif(&s) * (e < N1 ? NUSR : NUSR + 20)), i = (int)(unif(&s) * (e < N1 ? NITM : NITM + 10));
        snprintf(ut[e], sizeof ut[e], "u%d", u);
        snprintf(it[e], sizeof it[e], "i%d", i);
        uc[e] = ut[e];
        ic[e] = it[e];
        r[e] = 3 + 1.5 * (pu[u][0] * qi[i][0] + pu[u][1] * qi[i][1]);
    }
    gn_train_options o;
    gn_train_options_init(&o);
    o.kind = GN_KIND_MF;
    o.fm_rank = 2;
    o.threads = 1;
    o.seed = 3;
    const gn_id_column u1 = {uc, NULL, NULL}, i1 = {ic, NULL, NULL};
    const gn_id_column u2 = {uc + N1, NULL, NULL}, i2 = {ic + N1, NULL, NULL};
    gn_model *base = NULL, *up = NULL, *up5 = NULL;
    assert_int_equal(gn_train_mf_rows(&o, &u1, &i1, r, N1, NULL, NULL, &base, NULL), GN_OK);
    const gn_mf *b = gn__mf_of(base);
    float *p0 = malloc(b->nusers * b->rank * sizeof(float));
    memcpy(p0, b->P, b->nusers * b->rank * sizeof(float));
    const uint32_t bu = b->nusers, bi = b->nitems;
    const uint64_t bnnz = b->nnz;
    gn_train_options uo;
    gn_train_options_init(&uo);
    gn_train_summary sum;
    assert_int_equal(gn_update_mf_rows(base, &uo, &u2, &i2, r + N1, N2, NULL, NULL, &up, &sum), GN_OK);
    assert_int_equal(sum.passes, 1);
    uo.passes = 30;
    assert_int_equal(gn_update_mf_rows(base, &uo, &u2, &i2, r + N1, N2, NULL, NULL, &up5, NULL), GN_OK);
    /* the base is untouched */
    assert_int_equal(b->nusers, bu);
    assert_int_equal(b->nnz, bnnz);
    assert_memory_equal(b->P, p0, bu * b->rank * sizeof(float));
    const gn_mf *m = gn__mf_of(up5);
    assert_true(m->nusers > bu && m->nitems > bi);
    assert_int_equal(m->rank, b->rank);
    assert_true(m->mean == b->mean);
    uint32_t xu[N2], xi[N2];
    for (size_t e = 0; e < N2; e++) {
        xu[e] = gn__iddict_find(m->users, uc[N1 + e], strlen(uc[N1 + e]));
        xi[e] = gn__iddict_find(m->items, ic[N1 + e], strlen(ic[N1 + e]));
        assert_true(xu[e] != GN_IDDICT_NONE && xi[e] != GN_IDDICT_NONE);
        assert_true(gn__mf_seen(m, xu[e], xi[e])); /* joined the seen lists */
    }
    for (uint32_t u = 0; u < bu; u++) { /* old ids keep their index, and their seen items */
        size_t la, lb;
        const char *na = gn__iddict_name(b->users, u, &la), *nb = gn__iddict_name(m->users, u, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(na, nb, la);
        for (uint64_t a = b->seen_ptr[u]; a < b->seen_ptr[u + 1]; a++) assert_true(gn__mf_seen(m, u, b->seen_idx[a]));
        for (uint64_t a = m->seen_ptr[u] + 1; a < m->seen_ptr[u + 1]; a++)
            assert_true(m->seen_idx[a - 1] < m->seen_idx[a]); /* ascending, once */
    }
    double pop = 0, bpop = 0;
    for (uint32_t i = 0; i < m->nitems; i++) pop += m->pop[i];
    for (uint32_t i = 0; i < bi; i++) bpop += b->pop[i];
    assert_true(pop == bpop + N2);
    /* the epochs fit the new rows: the base (unknown ids: fallbacks) < 1 epoch < 30 epochs */
    uint32_t bxu[N2], bxi[N2];
    for (size_t e = 0; e < N2; e++) {
        bxu[e] = gn__iddict_find(b->users, uc[N1 + e], strlen(uc[N1 + e]));
        bxi[e] = gn__iddict_find(b->items, ic[N1 + e], strlen(ic[N1 + e]));
    }
    const double e0 = rows_rmse(b, bxu, bxi, r + N1, N2), e1 = rows_rmse(gn__mf_of(up), xu, xi, r + N1, N2),
                 e30 = rows_rmse(m, xu, xi, r + N1, N2);
    assert_true(e1 < e0);
    assert_true(e30 < 0.8 * e1);
    /* saved and loaded, the updated model is whole */
    char path[] = "/tmp/gn_test_mf_updXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(gn_model_save(up5, path), GN_OK);
    gn_model *back = NULL;
    assert_int_equal(gn_model_load(path, &back), GN_OK);
    unlink(path);
    expect_same_model(up5, back);
    gn_model_free(back);
    /* an implicit base: fold-in. The new users' and items' factors are solved (no longer their
     * random start), the known ones stay as they were bit for bit; NULL ratings count 1 each */
    gn_model *imp = NULL, *imp_up = NULL, *bad = NULL;
    o.implicit = 1;
    o.mf_rating = NULL;
    assert_int_equal(gn_train_mf_rows(&o, &u1, &i1, NULL, N1, NULL, NULL, &imp, NULL), GN_OK);
    const gn_mf *ib = gn__mf_of(imp);
    uo.passes = 0; /* fold-in's default: 3 alternations */
    assert_int_equal(gn_update_mf_rows(imp, &uo, &u2, &i2, NULL, N2, NULL, NULL, &imp_up, &sum), GN_OK);
    const gn_mf *iu = gn__mf_of(imp_up);
    assert_true(iu->implicit && iu->alpha == ib->alpha);
    assert_int_equal(sum.passes, 3);
    assert_true(iu->nusers > ib->nusers && iu->nitems > ib->nitems);
    assert_memory_equal(iu->P, ib->P, (size_t)ib->nusers * ib->rank * sizeof(float));
    assert_memory_equal(iu->Q, ib->Q, (size_t)ib->nitems * ib->rank * sizeof(float));
    gn_model *imp_again = NULL; /* the same rows, factors drawn from another seed: fold-in converges to one answer */
    uo.seed = 99;
    uo.passes = 20;
    assert_int_equal(gn_update_mf_rows(imp, &uo, &u2, &i2, NULL, N2, NULL, NULL, &imp_again, NULL), GN_OK);
    const gn_mf *ia = gn__mf_of(imp_again);
    double diff = 0, norm = 0;
    for (size_t j = (size_t)ib->nusers * ib->rank; j < (size_t)iu->nusers * iu->rank; j++) {
        diff += fabs((double)ia->P[j] - iu->P[j]);
        norm += fabs((double)iu->P[j]);
    }
    assert_true(norm > 0 && diff < 0.05 * norm);
    /* the new users' preference for the items they clicked is fitted (near 1; their random start
     * gives about 0) and beats the preference for the others (the clicks are random here: rank 2
     * cannot tell them apart by much) */
    double own = 0, other = 0;
    size_t nown = 0, nother = 0;
    for (size_t e = N1; e < N1 + N2; e++) {
        const uint32_t u = gn__iddict_find(iu->users, uc[e], strlen(uc[e]));
        if (u < ib->nusers) continue;
        for (uint32_t i = 0; i < iu->nitems; i++) {
            if (gn__mf_seen(iu, u, i)) own += gn__mf_predict(iu, u, i), nown++;
            else other += gn__mf_predict(iu, u, i), nother++;
        }
    }
    assert_true(nown > 0 && nother > 0 && own / nown > 0.5 && own / nown > other / nother + 0.05);
    /* refused: an explicit base without ratings, no rows */
    assert_int_equal(gn_update_mf_rows(base, &uo, &u2, &i2, NULL, N2, NULL, NULL, &bad, NULL), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "ratings"));
    assert_int_equal(gn_update_mf_rows(base, &uo, &u2, &i2, r + N1, 0, NULL, NULL, &bad, NULL), GN_EINVAL);
    assert_null(bad);
    free(p0);
    gn_model_free(imp);
    gn_model_free(imp_up);
    gn_model_free(imp_again);
    gn_model_free(base);
    gn_model_free(up);
    gn_model_free(up5);
}

static int teardown(void **state) {
    (void)state;
    if (train_path[0]) unlink(train_path);
    if (test_path[0]) unlink(test_path);
    return 0;
}

/* Training resumed in steps (gn__mf_fitter, used by tune --halving) gives the model of one run of
 * all the epochs, bit for bit: ALS, implicit ALS and SGD. */
static void test_fitter_resumes(void **state) {
    (void)state;
    enum { FU = 40, FI = 25 };
    uint32_t user[600], item[600];
    float rating[600];
    gn_triples t;
    memset(&t, 0, sizeof t);
    t.user = user;
    t.item = item;
    t.rating = rating;
    for (uint32_t u = 0; u < FU; u++)
        for (uint32_t i = 0; i < FI; i++)
            if ((u * 7 + i * 3) % 5 < 3 && t.n < 600) {
                user[t.n] = u;
                item[t.n] = i;
                rating[t.n++] = (float)(1 + (u % 3 == i % 3 ? 3 : 0) + 0.1 * (double)((u + i) % 4));
            }
    for (int mode = 0; mode < 3; mode++) {
        gn_train_options o;
        gn_train_options_init(&o);
        o.kind = GN_KIND_MF;
        o.mf_user = "u";
        o.mf_item = "i";
        o.mf_rating = mode == 1 ? NULL : "r";
        o.implicit = mode == 1;
        o.optimizer = mode == 2 ? GN_OPT_SGD : GN_OPT_ALS;
        o.fm_rank = 3;
        o.passes = 7;
        o.threads = 2;
        gn_mf *whole = NULL;
        assert_int_equal(gn__mf_fit(&o, &t, FU, FI, 0, NULL, NULL, 0, &whole, NULL, NULL), GN_OK);
        gn__mf_fitter *fit = NULL;
        assert_int_equal(gn__mf_fitter_new(&o, &t, FU, FI, 0, &fit), GN_OK);
        assert_int_equal(gn__mf_fitter_done(fit), 0);
        assert_int_equal(gn__mf_epochs(&o, t.n), 7);
        const uint32_t steps[] = {2, 1, 4};
        for (int s = 0; s < 3; s++) assert_int_equal(gn__mf_fitter_run(fit, &t, steps[s], NULL, NULL, 0), GN_OK);
        assert_int_equal(gn__mf_fitter_done(fit), 7);
        const gn_mf *m = gn__mf_fitter_model(fit);
        assert_memory_equal(m->P, whole->P, (size_t)FU * 3 * sizeof *m->P);
        assert_memory_equal(m->Q, whole->Q, (size_t)FI * 3 * sizeof *m->Q);
        assert_memory_equal(m->ubias, whole->ubias, FU * sizeof *m->ubias);
        assert_memory_equal(m->ibias, whole->ibias, FI * sizeof *m->ibias);
        /* and a run of fewer epochs is a different model (the check above can fail) */
        gn_train_options o3 = o;
        o3.passes = 3;
        gn_mf *three = NULL;
        assert_int_equal(gn__mf_fit(&o3, &t, FU, FI, 0, NULL, NULL, 0, &three, NULL, NULL), GN_OK);
        assert_true(memcmp(three->Q, whole->Q, (size_t)FI * 3 * sizeof *m->Q) != 0);
        gn__mf_free(three);
        gn__mf_fitter_free(fit);
        gn__mf_free(whole);
    }
    gn__mf_fitter_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_als_recovers, teardown), cmocka_unit_test_teardown(test_sgd_recovers, teardown),
        cmocka_unit_test_teardown(test_save_load, teardown),   cmocka_unit_test(test_recommend),
        cmocka_unit_test(test_implicit_auc),                   cmocka_unit_test_teardown(test_bad_options, teardown),
        cmocka_unit_test(test_iddict),                         cmocka_unit_test(test_payload_bounds),
        cmocka_unit_test(test_fitter_resumes),
        cmocka_unit_test_teardown(test_rows_in_memory, teardown),
        cmocka_unit_test(test_update_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
