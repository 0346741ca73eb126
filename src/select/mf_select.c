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
 * another (each already uses the threads); under MPI they are dealt out to the ranks.
 *
 * With halving (successive halving) the candidates train in rounds of doubling epoch budgets
 * (round_budget): each round resumes the fold models of the configurations still in for more
 * epochs (learn/train_internal.h's gn__mf_fitter: the same model as one run of all the epochs,
 * bit for bit), scores them on the held-out rows, and keeps the better half by the mean of the
 * metric over the folds; the other configurations are dropped and their models freed. */
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

/* One candidate step: the configuration's model of this fold (*fit, made on the first step) trained
 * `epochs` more epochs on the fold's training rows, then scored on its test rows. */
static int run_step(const gn_select_options *o, const gn_train_options *train, const fold_data *d,
                    gn__mf_fitter **fit, uint32_t epochs, gn_metrics *out, double *seconds, uint64_t *table_bytes) {
    const double t0 = gn__now();
    if (!*fit) {
        gn_train_options t = *train;
        if (!t.threads) t.threads = o->threads;
        GN_TRY(gn__mf_fitter_new(&t, &d->train, d->nu, d->ni, 0, fit));
    }
    GN_TRY(gn__mf_fitter_run(*fit, &d->train, epochs, NULL, NULL, t0));
    const gn_mf *mf = gn__mf_fitter_model(*fit);
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
        *seconds += gn__now() - t0;
        *table_bytes = gn__mf_table_bytes(mf->rank, mf->nusers, mf->nitems, mf->nnz);
    }
    gn_metrics_acc_free(acc);
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

/* Progress: `pass` is the folds done (without halving) or the epochs reached (with it). */
static void report(const gn_select_options *o, gn_select_result *results, size_t n, uint32_t folds_done, uint32_t pass,
                   uint64_t test_rows, double t_start, size_t alive, const char *note) {
    if (!o->progress) return;
    long best = -1;
    double bv = NAN;
    const int hi = gn_select_metric_higher_better(o->metric);
    for (size_t i = 0; i < n; i++) { /* the mean of the folds done so far */
        double s = 0;
        if (results[i].dropped) continue;
        for (uint32_t f = 0; f < folds_done; f++) s += gn_select_metric_value(o->metric, &results[i].folds[f]);
        const double v = folds_done ? s / folds_done : NAN;
        if (!isnan(v) && (best < 0 || (hi ? v > bv : v < bv))) {
            best = (long)i;
            bv = v;
        }
    }
    gn_select_progress p;
    memset(&p, 0, sizeof p);
    p.pass = pass;
    p.examples = test_rows;
    p.seconds = gn__now() - t_start;
    p.configs_alive = alive;
    p.configs_total = n;
    p.best = best;
    p.best_value = bv;
    p.metric = o->metric;
    p.end_of_pass = 1;
    p.note = note;
    o->progress(&p, o->user);
}

/* The first halving is after at least emax / HALVING_FIRST epochs: after one or two ALS or SGD
 * epochs from random factors, the strongly regularised configurations lead (they have not
 * started to fit yet) and the ranking says little about the end (measured on generated rank-3
 * data: halving from 1 epoch missed the best rmse by 5-15 %). */
#define HALVING_FIRST 4u

/* Successive halving's epoch budgets: with `rounds` rounds, round r (0-based) trains every
 * configuration still in up to ceil(emax / 2^(rounds - 1 - r)) epochs (each at most its own),
 * and at least ceil(emax / HALVING_FIRST), so the budget doubles from round to round and the
 * last round reaches emax. */
static uint32_t round_budget(uint32_t emax, uint32_t rounds, uint32_t r) {
    const uint32_t shift = rounds - 1 - r, least = (emax + HALVING_FIRST - 1) / HALVING_FIRST;
    const uint64_t b = shift >= 32 ? 1 : ((uint64_t)emax + (1ull << shift) - 1) >> shift;
    return b > least ? (uint32_t)b : least ? least : 1;
}

static int better(gn_select_metric m, double a, double b) {
    if (isnan(b)) return !isnan(a);
    if (isnan(a)) return 0;
    return gn_select_metric_higher_better(m) ? a > b : a < b;
}

/* The halving step after a round with budget `budget`: among the configurations that trained in
 * it (trained[i]), if some still have epochs to go, the better half (rounded up) by the mean
 * held-out metric of their folds stays; the rest are dropped (their fold models freed). */
static void halve(const gn_select_options *o, gn_select_result *results, size_t n, uint32_t k, const int *trained,
                  const uint32_t *epochs, const uint32_t *done, gn__mf_fitter **fit, uint32_t budget, char *note,
                  size_t note_size, size_t *idx) {
    size_t m = 0, more = 0;
    for (size_t i = 0; i < n; i++) {
        if (!trained[i]) continue;
        idx[m++] = i;
        for (uint32_t f = 0; f < k; f++)
            if (done[i * k + f] < epochs[i * k + f]) {
                more++;
                break;
            }
    }
    if (!more || m < 2) return;
    for (size_t i = 0; i < m; i++) { /* selection sort, best first (ties: the earlier configuration) */
        size_t b = i;
        for (size_t j = i + 1; j < m; j++) {
            const double vj = gn_select_metric_value(o->metric, &results[idx[j]].mean),
                         vb = gn_select_metric_value(o->metric, &results[idx[b]].mean);
            if (better(o->metric, vj, vb) || (!better(o->metric, vb, vj) && idx[j] < idx[b])) b = j;
        }
        const size_t t = idx[i];
        idx[i] = idx[b];
        idx[b] = t;
    }
    const size_t keep = (m + 1) / 2;
    for (size_t j = keep; j < m; j++) {
        const size_t i = idx[j];
        results[i].dropped = 1;
        for (uint32_t f = 0; f < k; f++) {
            gn__mf_fitter_free(fit[i * k + f]);
            fit[i * k + f] = NULL;
        }
    }
    snprintf(note, note_size, "halving after %u epoch%s: kept %zu of %zu configurations", budget,
             budget == 1 ? "" : "s", keep, m);
}

int gn__select_mf_run(const gn_select_options *o, const gn_select_config *configs, size_t n,
                      const char *const *paths, size_t npaths, gn_select_result *results) {
    const double t_start = gn__now();
    const uint32_t k = o->k;
    const int time_split = o->split == GN_SELECT_SPLIT_TIME;
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
    uint32_t *block = NULL, *epochs = NULL, *done = NULL;
    double *seconds = NULL;
    gn_metrics **slots = NULL;
    int *mine = NULL, *smine = NULL, *trained = NULL;
    gn__mf_fitter **fit = NULL;
    size_t *idx = NULL;
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
                        !(mine = calloc(ncand, sizeof *mine)) ||
                        !(smine = calloc(ncand, sizeof *smine)) || !(epochs = calloc(ncand, sizeof *epochs)) ||
                        !(done = calloc(ncand, sizeof *done)) || !(fit = calloc(ncand, sizeof *fit)) ||
                        !(trained = calloc(n, sizeof *trained)) || !(idx = calloc(n, sizeof *idx))))
        st = gn__fail(GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && st == GN_OK; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].k = k;
    }
    /* each candidate's epochs (SGD's default depends on the fold's training rows), and the most */
    uint32_t emax = 0;
    for (uint32_t f = 0; f < k && st == GN_OK; f++) {
        size_t ntrain = 0;
        for (size_t e = 0; e < all.n; e++) ntrain += in_train(o->split, block[e], f);
        for (size_t i = 0; i < n; i++) {
            const size_t c = i * k + f;
            epochs[c] = gn__mf_epochs(&configs[i].train, ntrain);
            if (epochs[c] > emax) emax = epochs[c];
            mine[c] = gn__select_mine(c);
        }
    }
    /* one round without halving; with it, one more round than halvings of n down to 1 */
    uint32_t rounds = 1;
    if (o->halving)
        while (((size_t)1 << (rounds - 1)) < n && rounds < 32) rounds++;
    if (st == GN_OK && o->halving && emax < 2)
        st = gn__fail(GN_EINVAL, "--halving: every configuration trains 1 epoch, so there is nothing to cut short "
                      "(give --passes or a passes= grid of 2 or more epochs)");
    const uint32_t nu_all = users ? (uint32_t)gn__iddict_size(users) : 0, ni_all = items ? (uint32_t)gn__iddict_size(items) : 0;
    uint32_t prev_budget = 0;
    for (uint32_t r = 0; r < rounds && st == GN_OK; r++) {
        const uint32_t budget = o->halving ? round_budget(emax, rounds, r) : emax;
        if (budget == prev_budget) continue; /* few epochs: rounds whose budget would not grow are skipped */
        prev_budget = budget;
        size_t alive = 0, ntrained = 0;
        for (size_t i = 0; i < n; i++) {
            alive += !results[i].dropped;
            trained[i] = 0;
            for (uint32_t f = 0; f < k && !results[i].dropped; f++) trained[i] |= done[i * k + f] < epochs[i * k + f];
            ntrained += trained[i];
        }
        if (!ntrained) break;
        for (uint32_t f = 0; f < k && st == GN_OK; f++) {
            if ((st = fold_build(&all, nu_all, ni_all, block, o->split, f, &d)) != GN_OK) break;
            if (d.train.n == 0 || d.test.n == 0) {
                st = gn__fail(GN_EINVAL, "kind mf: fold %u has %zu training and %zu held-out rows (too few rows for %u folds)",
                              f + 1, d.train.n, d.test.n, k);
                break;
            }
            for (size_t i = 0; i < n && st == GN_OK; i++) {
                const size_t c = i * k + f;
                const uint32_t target = epochs[c] < budget ? epochs[c] : budget;
                if (!trained[i] || done[c] >= target) continue;
                if (mine[c]) {
                    uint64_t bytes = 0;
                    st = run_step(o, &configs[i].train, &d, &fit[c], target - done[c], &results[i].folds[f], &seconds[c],
                                  &bytes);
                    if (st != GN_OK && n > 1) st = gn__fail_prefix(st, "configuration %zu, fold %u", i + 1, f + 1);
                    if (bytes > results[i].table_bytes) results[i].table_bytes = bytes;
                    if (target == epochs[c]) { /* done: the model is not needed any more */
                        gn__mf_fitter_free(fit[c]);
                        fit[c] = NULL;
                    }
                }
                done[c] = target;
                results[i].passes = target;
            }
            const uint64_t test_rows = d.test.n;
            fold_free(&d);
            if (!o->halving && gn__dist_size() == 1) report(o, results, n, f + 1, f + 1, test_rows, t_start, alive, NULL);
        }
        /* every rank gets the fold metrics of the configurations that trained in this round */
        st = gn__dist_agree(st);
        size_t nshare = 0;
        for (size_t i = 0; i < n; i++)
            for (uint32_t f = 0; f < k && trained[i]; f++) {
                slots[nshare] = &results[i].folds[f];
                smine[nshare++] = mine[i * k + f];
            }
        if (st == GN_OK) st = gn__select_share_metrics(slots, smine, nshare);
        for (size_t i = 0; i < n && st == GN_OK; i++)
            if (trained[i]) gn__select_summarise(&results[i]);
        char note[128] = "";
        if (st == GN_OK && o->halving)
            halve(o, results, n, k, trained, epochs, done, fit, budget, note, sizeof note, idx);
        if (st == GN_OK && o->halving) {
            size_t left = 0;
            for (size_t i = 0; i < n; i++) left += !results[i].dropped;
            report(o, results, n, k, budget, 0, t_start, left, note[0] ? note : NULL);
        }
    }
    if (st == GN_OK && gn__dist_size() > 1) st = gn__dist_allreduce_sum(seconds, ncand);
    for (size_t i = 0; i < n && st == GN_OK; i++) {
        for (uint32_t f = 0; f < k; f++) results[i].seconds += seconds[i * k + f];
        gn__select_summarise(&results[i]);
    }
    for (size_t c = 0; fit && c < ncand; c++) gn__mf_fitter_free(fit[c]);
    fold_free(&d);
    free(block);
    free(seconds);
    free(slots);
    free(mine);
    free(smine);
    free(epochs);
    free(done);
    free(fit);
    free(trained);
    free(idx);
    gn__triples_free(&all);
    gn__iddict_free(users);
    gn__iddict_free(items);
    return st;
}
