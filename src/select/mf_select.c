/* select/mf_select.c: model selection for kind mf (matrix factorization), the third engine beside
 * the online runner (select/runner.c) and the batch solvers (select/batch_select.c). The
 * (user, item, rating[, time]) rows are read once (io/triples.h); each row goes to a fold, by
 * the hash of its row number (mix64(row ^ seed) mod k, learn/split.h) or, with
 * GN_SELECT_SPLIT_TIME, by forward chaining on the time column (gannet/select.h). For each fold
 * the training rows get their own dense user and item indices, so a fold's model knows only the
 * ids of its training rows, as a model trained on a separate training file would; held-out rows
 * whose user or item the fold never saw are answered by the model's cold-start fallbacks, and
 * the ranking metrics skip unknown items (learn/mf_eval.c). Every (configuration x fold) model
 * is trained by the mf trainer on the rows in memory (gn__mf_fit, with all the threads) and
 * scored on the held-out rows: rmse and mae, then precision/recall/ndcg/map@K and coverage of
 * each held-out user's top K with the user's training items excluded. Candidates run one after
 * another (each already uses the threads); under MPI they are dealt out to the ranks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "gannet/recommend.h"
#include "io/triples.h"
#include "learn/mf_eval.h"
#include "learn/split.h"
#include "learn/train_internal.h"
#include "model/mf.h"
#include "select/select_internal.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/iddict.h"

typedef struct time_row {
    double time;
    size_t row;
} time_row;

static int by_time_row(const void *a, const void *b) {
    const time_row *x = a, *y = b;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

int gn__select_time_blocks(const double *time, size_t n, uint32_t k, uint32_t *block) {
    time_row *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return gn__fail(GN_ENOMEM, "out of memory for %zu rows", n);
    for (size_t e = 0; e < n; e++) order[e] = (time_row){time[e], e};
    qsort(order, n, sizeof *order, by_time_row);
    /* position p of the sorted rows is in block floor(p (k + 1) / n): sizes differ by at most 1 */
    for (size_t p = 0; p < n; p++)
        block[order[p].row] = (uint32_t)((double)p * (k + 1) / (double)n);
    free(order);
    return GN_OK;
}

/* Fold f's sides: hashed folds train on every other fold; time blocks on the blocks before f+1. */
static int in_train(gn_select_split split, uint32_t block, uint32_t f) {
    return split == GN_SELECT_SPLIT_TIME ? block <= f : block != f;
}
static int in_test(gn_select_split split, uint32_t block, uint32_t f) {
    return split == GN_SELECT_SPLIT_TIME ? block == f + 1 : block == f;
}

typedef struct fold_data {
    gn_triples train, test; /* train: the fold's own indices; test: the same, or GN_IDDICT_NONE */
    uint32_t nu, ni;        /* users and items of the training rows */
} fold_data;

static void fold_free(fold_data *d) {
    gn__triples_free(&d->train);
    gn__triples_free(&d->test);
}

static int alloc_rows(gn_triples *t, size_t n) {
    memset(t, 0, sizeof *t);
    t->user = malloc((n ? n : 1) * sizeof *t->user);
    t->item = malloc((n ? n : 1) * sizeof *t->item);
    t->rating = malloc((n ? n : 1) * sizeof *t->rating);
    t->cap = n;
    return t->user && t->item && t->rating ? GN_OK : gn__fail(GN_ENOMEM, "out of memory for %zu ratings", n);
}

/* The rows of fold f, re-indexed: ids are numbered in the order their first training row comes. */
static int fold_build(const gn_triples *all, uint32_t nu_all, uint32_t ni_all, const uint32_t *block,
                      gn_select_split split, uint32_t f, fold_data *d) {
    memset(d, 0, sizeof *d);
    size_t ntrain = 0, ntest = 0;
    for (size_t e = 0; e < all->n; e++) {
        ntrain += in_train(split, block[e], f);
        ntest += in_test(split, block[e], f);
    }
    uint32_t *umap = malloc(((size_t)nu_all + 1) * sizeof *umap), *imap = malloc(((size_t)ni_all + 1) * sizeof *imap);
    int st = umap && imap ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    if (st == GN_OK) st = alloc_rows(&d->train, ntrain);
    if (st == GN_OK) st = alloc_rows(&d->test, ntest);
    if (st == GN_OK) {
        for (uint32_t u = 0; u < nu_all; u++) umap[u] = GN_IDDICT_NONE;
        for (uint32_t i = 0; i < ni_all; i++) imap[i] = GN_IDDICT_NONE;
        for (size_t e = 0; e < all->n; e++) {
            if (!in_train(split, block[e], f)) continue;
            const uint32_t u = all->user[e], i = all->item[e];
            if (umap[u] == GN_IDDICT_NONE) umap[u] = d->nu++;
            if (imap[i] == GN_IDDICT_NONE) imap[i] = d->ni++;
            d->train.user[d->train.n] = umap[u];
            d->train.item[d->train.n] = imap[i];
            d->train.rating[d->train.n++] = all->rating[e];
        }
        for (size_t e = 0; e < all->n; e++) {
            if (!in_test(split, block[e], f)) continue;
            d->test.user[d->test.n] = umap[all->user[e]];
            d->test.item[d->test.n] = imap[all->item[e]];
            d->test.rating[d->test.n++] = all->rating[e];
        }
    }
    free(umap);
    free(imap);
    if (st != GN_OK) fold_free(d);
    return st;
}

/* One candidate: the configuration trained on the fold's training rows, scored on its test rows. */
static int run_candidate(const gn_select_options *o, const gn_train_options *train, const fold_data *d,
                         gn_metrics *out, double *seconds, uint32_t *passes, uint64_t *table_bytes) {
    const double t0 = gn__now();
    gn_train_options t = *train;
    if (!t.threads) t.threads = o->threads;
    gn_mf *mf = NULL;
    gn_train_options ro;
    GN_TRY(gn__mf_fit(&t, &d->train, d->nu, d->ni, 0, NULL, NULL, t0, &mf, &ro, NULL));
    gn_metrics_acc *acc = NULL;
    int st = gn_metrics_acc_new(0, &acc);
    for (size_t e = 0; e < d->test.n && st == GN_OK; e++) {
        const double p = gn__mf_predict(mf, d->test.user[e], d->test.item[e]), y = d->test.rating[e];
        st = gn_metrics_acc_add(acc, p, y, 1.0, (p - y) * (p - y));
    }
    if (st == GN_OK) st = gn_metrics_acc_result(acc, out);
    gn_rank_eval_options ro_rank;
    gn_rank_eval_options_init(&ro_rank);
    ro_rank.k = o->rank_k;
    ro_rank.relevant_min = o->relevant_min;
    ro_rank.threads = o->threads;
    gn_rank_metrics rk;
    if (st == GN_OK) st = gn__mf_rank_eval_rows(mf, &d->test, &ro_rank, &rk);
    if (st == GN_OK) {
        out->rank_k = o->rank_k;
        out->ranked_users = rk.users;
        out->precision_at_k = rk.precision;
        out->recall_at_k = rk.recall;
        out->ndcg_at_k = rk.ndcg;
        out->map_at_k = rk.map;
        out->coverage = rk.coverage;
        *seconds = gn__now() - t0;
        *passes = ro.passes;
        *table_bytes = gn__mf_table_bytes(mf->rank, mf->nusers, mf->nitems, mf->nnz);
    }
    gn_metrics_acc_free(acc);
    gn__mf_free(mf);
    return st;
}

/* Every configuration must read the same rows: the same columns and CSV settings. */
static int check_same_rows(const gn_select_config *configs, size_t n) {
    for (size_t i = 1; i < n; i++) {
        const gn_train_options *a = &configs[0].train, *b = &configs[i].train;
        const char *ar = a->mf_rating ? a->mf_rating : "", *br = b->mf_rating ? b->mf_rating : "";
        if (strcmp(a->mf_user, b->mf_user) || strcmp(a->mf_item, b->mf_item) || strcmp(ar, br) ||
            !gn__select_same_spec(&configs[0].spec, &configs[i].spec))
            return gn__fail(GN_EINVAL, "configuration %zu: kind mf configurations must read the same rows (the same "
                            "--user, --item, --rating and CSV flags)", i + 1);
    }
    return GN_OK;
}

static void report(const gn_select_options *o, gn_select_result *results, size_t n, uint32_t folds_done,
                   uint64_t test_rows, double t_start) {
    if (!o->progress) return;
    long best = -1;
    double bv = NAN;
    const int hi = gn_select_metric_higher_better(o->metric);
    for (size_t i = 0; i < n; i++) { /* the mean of the folds done so far */
        double s = 0;
        for (uint32_t f = 0; f < folds_done; f++) s += gn_select_metric_value(o->metric, &results[i].folds[f]);
        const double v = folds_done ? s / folds_done : NAN;
        if (!isnan(v) && (best < 0 || (hi ? v > bv : v < bv))) {
            best = (long)i;
            bv = v;
        }
    }
    gn_select_progress p;
    memset(&p, 0, sizeof p);
    p.pass = folds_done; /* here: folds done */
    p.examples = test_rows;
    p.seconds = gn__now() - t_start;
    p.configs_alive = p.configs_total = n;
    p.best = best;
    p.best_value = bv;
    p.metric = o->metric;
    p.end_of_pass = 1;
    o->progress(&p, o->user);
}

int gn__select_mf_run(const gn_select_options *o, const gn_select_config *configs, size_t n,
                      const char *const *paths, size_t npaths, gn_select_result *results) {
    const double t_start = gn__now();
    const uint32_t k = o->k;
    const int time_split = o->split == GN_SELECT_SPLIT_TIME;
    if (o->halving) return gn__fail(GN_EINVAL, "--halving is not available for kind mf (each fold is trained whole)");
    if (o->metric != GN_METRIC_RMSE && o->metric != GN_METRIC_MAE && o->metric < GN_METRIC_NDCG)
        return gn__fail(GN_EINVAL, "--metric %s: kind mf is scored by rmse, mae, ndcg@K, precision@K, recall@K or map@K",
                        gn_select_metric_name(o->metric));
    GN_TRY(check_same_rows(configs, n));
    gn_data_spec spec = configs[0].spec;
    spec.format = GN_FORMAT_CSV;
    GN_TRY(gn_data_spec_check(&spec));
    const gn_train_options *t0 = &configs[0].train;
    const gn_triples_cols cols = {t0->mf_user, t0->mf_item, t0->mf_rating, 0, time_split ? o->time_col : NULL};
    gn_triples all;
    memset(&all, 0, sizeof all);
    gn_iddict *users = gn__iddict_new(), *items = gn__iddict_new();
    uint32_t *block = NULL;
    double *seconds = NULL;
    gn_metrics **slots = NULL;
    int *mine = NULL;
    fold_data d;
    memset(&d, 0, sizeof d);
    int st = users && items ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    /* every rank reads the same rows (and so numbers the ids the same); one failing stops all */
    if (st == GN_OK) st = gn__dist_agree(gn__triples_read(paths, npaths, &spec, &cols, users, items, 1, &all));
    if (st == GN_OK && all.n < (size_t)k + time_split)
        st = gn__fail(GN_EINVAL, "kind mf: %zu rating rows are too few for %u %sfolds", all.n, k, time_split ? "time " : "");
    if (st == GN_OK && !(block = malloc(all.n * sizeof *block))) st = gn__fail(GN_ENOMEM, "out of memory");
    if (st == GN_OK && time_split) st = gn__select_time_blocks(all.time, all.n, k, block);
    else if (st == GN_OK)
        for (size_t e = 0; e < all.n; e++) block[e] = gn__split_fold((uint64_t)e, o->seed, k);
    const size_t ncand = n * k;
    if (st == GN_OK && (!(seconds = calloc(ncand, sizeof *seconds)) || !(slots = malloc(ncand * sizeof *slots)) ||
                        !(mine = calloc(ncand, sizeof *mine))))
        st = gn__fail(GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && st == GN_OK; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].k = k;
    }
    const uint32_t nu_all = users ? (uint32_t)gn__iddict_size(users) : 0, ni_all = items ? (uint32_t)gn__iddict_size(items) : 0;
    for (uint32_t f = 0; f < k && st == GN_OK; f++) {
        if ((st = fold_build(&all, nu_all, ni_all, block, o->split, f, &d)) != GN_OK) break;
        if (d.train.n == 0 || d.test.n == 0) {
            st = gn__fail(GN_EINVAL, "kind mf: fold %u has %zu training and %zu held-out rows (too few rows for %u folds)",
                          f + 1, d.train.n, d.test.n, k);
            break;
        }
        for (size_t i = 0; i < n && st == GN_OK; i++) {
            const size_t c = i * k + f;
            slots[c] = &results[i].folds[f];
            if (!(mine[c] = gn__select_mine(c))) continue;
            uint32_t passes = 0;
            uint64_t bytes = 0;
            st = run_candidate(o, &configs[i].train, &d, &results[i].folds[f], &seconds[c], &passes, &bytes);
            if (st != GN_OK && n > 1) st = gn__fail_prefix(st, "configuration %zu, fold %u", i + 1, f + 1);
            results[i].passes = passes;
            if (bytes > results[i].table_bytes) results[i].table_bytes = bytes;
        }
        const uint64_t test_rows = d.test.n;
        fold_free(&d);
        if (gn__dist_size() == 1) report(o, results, n, f + 1, test_rows, t_start);
    }
    st = gn__dist_agree(st);
    if (st == GN_OK) st = gn__select_share_metrics(slots, mine, ncand);
    if (st == GN_OK && gn__dist_size() > 1) st = gn__dist_allreduce_sum(seconds, ncand);
    for (size_t i = 0; i < n && st == GN_OK; i++) {
        for (uint32_t f = 0; f < k; f++) results[i].seconds += seconds[i * k + f];
        gn__select_summarise(&results[i]);
    }
    fold_free(&d);
    free(block);
    free(seconds);
    free(slots);
    free(mine);
    gn__triples_free(&all);
    gn__iddict_free(users);
    gn__iddict_free(items);
    return st;
}
