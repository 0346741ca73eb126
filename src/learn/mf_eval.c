/* learn/mf_eval.c: prediction, rating metrics and ranking metrics of matrix-factorization models
 * (kind mf) over (user, item[, rating]) CSV files read with the model's columns. gn_predict_files*
 * and gn_evaluate* hand mf models over to the first two; gn_model_rank_eval is the third
 * (gannet/recommend.h). */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/recommend.h"
#include "io/triples.h"
#include "learn/mf_eval.h"
#include "model/mf.h"
#include "model/model.h"
#include "model/recommend_internal.h"
#include "util/cores.h"
#include "util/error.h"
#include "util/sorted.h"

static int read_rows(const gn_model *m, const char *const *paths, size_t npaths, int skip_bad, int rating_optional,
                     gn_triples *t) {
    const gn_mf *mf = gn__mf_of(m);
    if (!mf) return gn__fail(GN_EINVAL, "not a model of kind mf");
    gn_data_spec spec = m->spec;
    spec.skip_bad = skip_bad;
    const gn_triples_cols cols = {mf->user_col, mf->item_col, mf->rating_col, rating_optional, NULL};
    memset(t, 0, sizeof *t);
    int st = gn__triples_read(paths, npaths, &spec, &cols, mf->users, mf->items, 0, t);
    if (st != GN_OK) gn__triples_free(t);
    return st;
}

int gn__mf_predict_files(const gn_model *m, const char *const *paths, size_t npaths, int skip_bad, FILE *out,
                         uint64_t *predicted, uint64_t *skipped) {
    gn_triples t;
    GN_TRY(read_rows(m, paths, npaths, skip_bad, 1, &t));
    const gn_mf *mf = gn__mf_of(m);
    char buf[64];
    int st = GN_OK;
    for (size_t e = 0; e < t.n; e++) {
        gn__format_prediction(gn__mf_predict(mf, t.user[e], t.item[e]), buf, sizeof buf);
        if (fputs(buf, out) == EOF || fputc('\n', out) == EOF) {
            st = gn__fail(GN_EIO, "predict: write failed");
            break;
        }
    }
    if (predicted) *predicted = t.n;
    if (skipped) *skipped = t.skipped;
    gn__triples_free(&t);
    return st;
}

int gn__mf_evaluate(const gn_model *m, const char *const *paths, size_t npaths, int skip_bad, gn_metrics *out,
                    gn_metrics_acc **acc_out, uint64_t *skipped) {
    gn_triples t;
    GN_TRY(read_rows(m, paths, npaths, skip_bad, 0, &t));
    const gn_mf *mf = gn__mf_of(m);
    gn_metrics_acc *acc;
    int st = gn_metrics_acc_new(0, &acc);
    for (size_t e = 0; e < t.n && st == GN_OK; e++) {
        const double p = gn__mf_predict(mf, t.user[e], t.item[e]), y = t.rating[e];
        st = gn_metrics_acc_add(acc, p, y, 1.0, (p - y) * (p - y));
    }
    if (st == GN_OK) st = gn_metrics_acc_result(acc, out);
    if (st == GN_OK && skipped) *skipped = t.skipped;
    if (st == GN_OK && acc_out) *acc_out = acc;
    else gn_metrics_acc_free(acc);
    gn__triples_free(&t);
    return st;
}

void gn_rank_eval_options_init(gn_rank_eval_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->k = 10;
    o->relevant_min = NAN;
}

/* ---- ranking: users evaluated in parallel, each against its relevant test items ---- */

typedef struct rank_job {
    const gn_mf *mf;
    const uint32_t *users;      /* the evaluated users (index, or GN_IDDICT_NONE + position) */
    const uint64_t *rel_ptr;    /* relevant items of evaluated user j: rel[rel_ptr[j] ..] (sorted) */
    const uint32_t *rel;
    size_t nusers, k;
    atomic_size_t next;
    atomic_uchar *recommended;  /* items ever recommended (coverage) */
    double *per_user;           /* 4 per user: precision, recall, ndcg, map */
    atomic_int failed;
} rank_job;

static void *rank_worker(void *arg) {
    rank_job *j = arg;
    uint32_t *idx = malloc(j->k * sizeof *idx);
    float *sc = malloc(j->k * sizeof *sc);
    if (!idx || !sc) {
        atomic_store(&j->failed, 1);
        free(idx);
        free(sc);
        return NULL;
    }
    for (;;) {
        const size_t e = atomic_fetch_add(&j->next, 1);
        if (e >= j->nusers) break;
        const uint32_t *rel = j->rel + j->rel_ptr[e];
        const size_t nrel = (size_t)(j->rel_ptr[e + 1] - j->rel_ptr[e]);
        size_t n;
        gn__mf_topk(j->mf, j->users[e], j->k, 1, NULL, 0, NULL, 0, idx, sc, &n);
        double hits = 0, dcg = 0, ap = 0, idcg = 0;
        for (size_t r = 0; r < n; r++) {
            atomic_store_explicit(&j->recommended[idx[r]], 1, memory_order_relaxed);
            if (gn__sorted_u32_has(rel, nrel, idx[r])) {
                hits += 1;
                dcg += 1.0 / log2((double)r + 2.0);
                ap += hits / (double)(r + 1);
            }
        }
        const size_t ideal = nrel < j->k ? nrel : j->k;
        for (size_t r = 0; r < ideal; r++) idcg += 1.0 / log2((double)r + 2.0);
        double *pu = j->per_user + 4 * e;
        pu[0] = hits / (double)j->k;
        pu[1] = hits / (double)nrel;
        pu[2] = idcg > 0 ? dcg / idcg : 0;
        pu[3] = ideal ? ap / (double)ideal : 0;
    }
    free(idx);
    free(sc);
    return NULL;
}

typedef struct pair {
    uint32_t user, item;
} pair;

static int cmp_pair(const void *a, const void *b) {
    const pair *x = a, *y = b;
    if (x->user != y->user) return x->user < y->user ? -1 : 1;
    return x->item < y->item ? -1 : x->item > y->item;
}

int gn__mf_rank_eval_rows(const gn_mf *mf, const gn_triples *tp, const gn_rank_eval_options *o, gn_rank_metrics *out) {
    const gn_triples t = *tp;
    /* relevant pairs: known items, not seen in training, rating over the threshold; unknown
     * users keep distinct negative-free keys (numbered after the known ones) */
    pair *pr = malloc((t.n ? t.n : 1) * sizeof *pr);
    int st = pr ? GN_OK : gn__fail(GN_ENOMEM, "rank eval: out of memory");
    size_t np = 0;
    for (size_t e = 0; e < t.n && st == GN_OK; e++) {
        const uint32_t u = t.user[e], i = t.item[e];
        if (i == GN_IDDICT_NONE) continue;
        if (!isnan(o->relevant_min) && !isnan(t.rating[e]) && t.rating[e] < o->relevant_min) continue;
        if (u != GN_IDDICT_NONE && gn__mf_seen(mf, u, i)) continue;
        pr[np++] = (pair){u, i};
    }
    /* unknown users cannot be told apart (no dictionary entry): their rows are evaluated as one
     * anonymous user per row, answered by the fallback */
    if (pr) qsort(pr, np, sizeof *pr, cmp_pair);
    size_t nu = 0;
    uint32_t *users = malloc((np ? np : 1) * sizeof *users);
    uint64_t *rel_ptr = malloc((np + 1) * sizeof *rel_ptr);
    uint32_t *rel = malloc((np ? np : 1) * sizeof *rel);
    if (st == GN_OK && (!users || !rel_ptr || !rel)) st = gn__fail(GN_ENOMEM, "rank eval: out of memory");
    size_t nrel = 0;
    uint64_t unknown = 0;
    for (size_t a = 0; a < np && st == GN_OK; a++) {
        const int anon = pr[a].user == GN_IDDICT_NONE;
        if (a == 0 || anon || pr[a].user != pr[a - 1].user) {
            users[nu] = pr[a].user;
            rel_ptr[nu++] = nrel;
            unknown += anon;
        }
        if (nrel == rel_ptr[nu - 1] || rel[nrel - 1] != pr[a].item) rel[nrel++] = pr[a].item;
    }
    if (rel_ptr) rel_ptr[nu] = nrel;
    rank_job j;
    memset(&j, 0, sizeof j);
    j.mf = mf;
    j.users = users;
    j.rel_ptr = rel_ptr;
    j.rel = rel;
    j.nusers = nu;
    j.k = o->k;
    j.recommended = calloc(mf->nitems ? mf->nitems : 1, sizeof *j.recommended);
    j.per_user = malloc((nu ? nu : 1) * 4 * sizeof *j.per_user);
    if (st == GN_OK && (!j.recommended || !j.per_user)) st = gn__fail(GN_ENOMEM, "rank eval: out of memory");
    if (st == GN_OK) {
        uint32_t threads = gn__threads_or_cores(o->threads);
        if (threads > 64) threads = 64;
        pthread_t tid[64];
        uint32_t started = 0;
        for (uint32_t i = 1; i < threads && i < nu; i++)
            if (pthread_create(&tid[started], NULL, rank_worker, &j) == 0) started++;
        rank_worker(&j);
        for (uint32_t i = 0; i < started; i++) pthread_join(tid[i], NULL);
        if (atomic_load(&j.failed)) st = gn__fail(GN_ENOMEM, "rank eval: out of memory");
    }
    if (st == GN_OK) {
        memset(out, 0, sizeof *out);
        out->k = o->k;
        out->users = nu;
        out->unknown_users = unknown;
        out->skipped = t.skipped;
        double s[4] = {0, 0, 0, 0};
        for (size_t e = 0; e < nu; e++)
            for (int q = 0; q < 4; q++) s[q] += j.per_user[4 * e + q];
        const double d = nu ? (double)nu : NAN;
        out->precision = s[0] / d;
        out->recall = s[1] / d;
        out->ndcg = s[2] / d;
        out->map = s[3] / d;
        size_t covered = 0;
        for (uint32_t i = 0; i < mf->nitems; i++) covered += j.recommended[i] != 0;
        out->coverage = mf->nitems ? (double)covered / mf->nitems : 0;
    }
    free((void *)j.recommended);
    free(j.per_user);
    free(users);
    free(rel_ptr);
    free(rel);
    free(pr);
    return st;
}

gn_status gn_model_rank_eval(const gn_model *m, const char *const *paths, size_t npaths, const gn_rank_eval_options *o,
                             gn_rank_metrics *out) {
    gn__clear_error();
    if (!m || !out || (!paths && npaths)) return gn__fail(GN_EINVAL, "rank eval: NULL argument");
    const gn_mf *mf = gn__mf_of(m);
    if (!mf) return gn__fail(GN_EINVAL, "rank eval: the model is not of kind mf (matrix factorization)");
    gn_rank_eval_options def;
    gn_rank_eval_options_init(&def);
    if (!o) o = &def;
    if (o->k < 1 || o->k > 100000) return gn__fail(GN_EINVAL, "rank eval: k must be in 1..100000 (got %zu)", o->k);
    gn_triples t;
    GN_TRY(read_rows(m, paths, npaths, o->skip_bad, 1, &t));
    int st = gn__mf_rank_eval_rows(mf, &t, o, out);
    gn__triples_free(&t);
    return st;
}
