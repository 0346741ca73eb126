/* select/select.c: the public model-selection calls — options, metric names, the memory estimate,
 * per-configuration summaries, gn_cv and gn_tune (which refits the best configuration with
 * gn_train). The shared-pass work itself is in select/runner.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/gannet.h"
#include "gannet/select.h"
#include "dist/dist.h"
#include "learn/loss.h"
#include "learn/train_internal.h"
#include "model/kind.h"
#include "model/loss_table.h"
#include "select/select_internal.h"
#include "util/error.h"
#include "util/mem.h"

static const char *const metric_names[] = {"auto", "auc", "logloss", "accuracy", "rmse", "mae",
                                            "macro_f1", "weighted_f1", "mlogloss", "top_k_accuracy",
                                            "ndcg@k", "precision@k", "recall@k", "map@k"};

const char *gn_select_metric_name(gn_select_metric m) {
    return (unsigned)m < sizeof metric_names / sizeof *metric_names ? metric_names[m] : "unknown";
}

int gn_select_metric_parse_at(const char *name, uint32_t *k) {
    *k = 0;
    if (!name) return -1;
    for (size_t i = 0; i < sizeof metric_names / sizeof *metric_names; i++)
        if (!strcmp(name, metric_names[i])) return (int)i;
    const char *at = strchr(name, '@');
    const size_t stem = at ? (size_t)(at - name) : strlen(name);
    for (int i = GN_METRIC_NDCG; i <= GN_METRIC_MAP_AT; i++) { /* ndcg, ndcg@10 */
        if (strncmp(name, metric_names[i], stem) != 0 || metric_names[i][stem] != '@') continue;
        if (!at) return i;
        char *end;
        unsigned long v = strtoul(at + 1, &end, 10);
        if (at[1] < '0' || at[1] > '9' || *end || v < 1 || v > 100000) return -1;
        *k = (uint32_t)v;
        return i;
    }
    return -1;
}

int gn_select_metric_parse(const char *name) {
    uint32_t k;
    return gn_select_metric_parse_at(name, &k);
}

double gn_select_metric_value(gn_select_metric m, const gn_metrics *mt) {
    switch (m) {
    case GN_METRIC_AUC: return mt->classification ? mt->auc : NAN;
    case GN_METRIC_LOGLOSS: return mt->classification ? mt->logloss : NAN;
    case GN_METRIC_ACCURACY: return mt->classification ? mt->accuracy : NAN;
    case GN_METRIC_RMSE: return mt->rmse;
    case GN_METRIC_MAE: return mt->mae;
    case GN_METRIC_MACRO_F1: return mt->classes ? mt->macro_f1 : NAN;
    case GN_METRIC_WEIGHTED_F1: return mt->classes ? mt->weighted_f1 : NAN;
    case GN_METRIC_MLOGLOSS: return mt->classification ? mt->logloss : NAN;
    case GN_METRIC_TOP_K: return mt->classes ? mt->top_k_accuracy : NAN;
    case GN_METRIC_NDCG: return mt->rank_k ? mt->ndcg_at_k : NAN;
    case GN_METRIC_PRECISION_AT: return mt->rank_k ? mt->precision_at_k : NAN;
    case GN_METRIC_RECALL_AT: return mt->rank_k ? mt->recall_at_k : NAN;
    case GN_METRIC_MAP_AT: return mt->rank_k ? mt->map_at_k : NAN;
    case GN_METRIC_AUTO: return mt->classes ? mt->logloss : mt->classification ? mt->auc : mt->rmse;
    }
    return NAN;
}

int gn_select_metric_higher_better(gn_select_metric m) {
    return m == GN_METRIC_AUC || m == GN_METRIC_ACCURACY || m == GN_METRIC_AUTO || m == GN_METRIC_MACRO_F1 ||
           m == GN_METRIC_WEIGHTED_F1 || m == GN_METRIC_TOP_K || m == GN_METRIC_NDCG || m == GN_METRIC_PRECISION_AT ||
           m == GN_METRIC_RECALL_AT || m == GN_METRIC_MAP_AT;
}

void gn_select_options_init(gn_select_options *o) {
    memset(o, 0, sizeof *o);
    o->k = 5;
    o->metric = GN_METRIC_AUTO;
    o->batch_size = 8192;
    o->cache_bytes = (uint64_t)1 << 30;
    o->split = GN_SELECT_SPLIT_HASH;
    o->rank_k = 10;
    o->relevant_min = NAN;
}

gn_status gn_select_options_check(const gn_select_options *o) {
    if (o->k < 2 || o->k > GN_SELECT_MAX_FOLDS)
        return gn__fail(GN_EINVAL, "-k must be between 2 and %d (got %u)", GN_SELECT_MAX_FOLDS, o->k);
    if ((unsigned)o->metric > GN_METRIC_MAP_AT) return gn__fail(GN_EINVAL, "unknown metric %d", (int)o->metric);
    if (o->split != GN_SELECT_SPLIT_HASH && o->split != GN_SELECT_SPLIT_TIME)
        return gn__fail(GN_EINVAL, "unknown fold split %d", (int)o->split);
    if (o->split == GN_SELECT_SPLIT_TIME && (!o->time_col || !o->time_col[0]))
        return gn__fail(GN_EINVAL, "--split-by time needs the column of times: --time-col COL");
    if (o->rank_k < 1 || o->rank_k > 100000)
        return gn__fail(GN_EINVAL, "the K of the ranking metrics must be in 1..100000 (got %u)", o->rank_k);
    if (o->threads > 1024) return gn__fail(GN_EINVAL, "threads must be at most 1024 (got %u)", o->threads);
    if (o->batch_size < 1 || o->batch_size > (1u << 20)) return gn__fail(GN_EINVAL, "batch size must be in [1, 2^20]");
    return GN_OK;
}

uint64_t gn_select_memory(const gn_select_config *configs, size_t n, uint32_t k) {
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const gn_kind *kind = gn__kind_by_id(configs[i].train.kind);
        if (kind && kind->learner_bytes) total += kind->learner_bytes(&configs[i].train, &configs[i].spec) * k;
    }
    return total;
}

int gn__select_check_configs(const gn_select_config *configs, size_t n) {
    if (n == 0) return gn__fail(GN_EINVAL, "no configurations to try");
    if (n > GN_SELECT_MAX_CONFIGS) return gn__fail(GN_EINVAL, "more than %d configurations", GN_SELECT_MAX_CONFIGS);
    for (size_t i = 0; i < n; i++) {
        const gn_train_options *t = &configs[i].train;
        int st = gn_train_options_check(t);
        if (st == GN_OK) st = gn_data_spec_check(&configs[i].spec);
        if (st != GN_OK) return n > 1 ? (int)gn__fail_prefix(st, "configuration %zu", i + 1) : st;
        if (gn__optimizer_is_batch(t->optimizer) && t->warm_start_online)
            return gn__fail(GN_EINVAL, "warm_start online is not supported by cv/tune: they start each "
                                             "batch solve from the previous configuration's solution instead");
        if (t->holdout > 0)
            return gn__fail(GN_EINVAL, "holdout cannot be used with cv/tune: the folds are the held-out data");
        if ((t->kind == GN_KIND_MF) != (configs[0].train.kind == GN_KIND_MF))
            return gn__fail(GN_EINVAL, "a search cannot mix kind mf with other kinds (kind is not searchable)");
    }
    return GN_OK;
}

/* Applies f to every double field of gn_metrics (the ones means and stds are taken of). */
#define GN_METRIC_FIELDS(X) X(weight_sum) X(logloss) X(auc) X(accuracy) X(precision) X(recall) X(f1) X(rmse) X(mae) X(mean_loss) \
    X(top_k_accuracy) X(macro_f1) X(micro_f1) X(weighted_f1) X(precision_at_k) X(recall_at_k) X(ndcg_at_k) X(map_at_k) X(coverage)

void gn__select_summarise(gn_select_result *r) {
    const uint32_t k = r->k;
    gn_metrics *mean = &r->mean, *sd = &r->std;
    memset(mean, 0, sizeof *mean);
    memset(sd, 0, sizeof *sd);
    mean->classification = sd->classification = k ? r->folds[0].classification : 0;
    mean->classes = sd->classes = k ? r->folds[0].classes : 0;
    mean->top_k = sd->top_k = k ? r->folds[0].top_k : 0;
    mean->rank_k = sd->rank_k = k ? r->folds[0].rank_k : 0;
    double ex = 0, ru = 0;
    for (uint32_t f = 0; f < k; f++) {
        ex += (double)r->folds[f].examples;
        ru += (double)r->folds[f].ranked_users;
    }
    mean->examples = k ? (uint64_t)llround(ex / k) : 0;
    mean->ranked_users = k ? (uint64_t)llround(ru / k) : 0;
#define MEAN_STD(field)                                                          \
    {                                                                            \
        double s = 0, s2 = 0;                                                    \
        for (uint32_t f = 0; f < k; f++) s += r->folds[f].field;                 \
        double m = k ? s / k : NAN;                                              \
        for (uint32_t f = 0; f < k; f++) s2 += (r->folds[f].field - m) * (r->folds[f].field - m); \
        mean->field = m;                                                         \
        sd->field = k ? sqrt(s2 / k) : NAN;                                      \
    }
    GN_METRIC_FIELDS(MEAN_STD)
#undef MEAN_STD
}

/* Online configurations share passes (select/runner.c); batch-solver ones are solved on data held
 * in memory (select/batch_select.c). A search that mixes both runs each part in turn. */
static int run_all(const gn_select_options *o, const gn_select_config *configs, size_t n, const char *const *paths,
                   size_t npaths, gn_select_result *results) {
    if (configs[0].train.kind == GN_KIND_MF) return gn__select_mf_run(o, configs, n, paths, npaths, results);
    size_t nbatch = 0;
    for (size_t i = 0; i < n; i++) nbatch += gn__optimizer_is_batch(configs[i].train.optimizer);
    if (nbatch == 0) return gn__select_run(o, configs, n, paths, npaths, results);
    if (nbatch == n) return gn__select_batch_run(o, configs, n, paths, npaths, results);
    gn_select_config *sub = malloc(n * sizeof *sub);
    gn_select_result *subres = malloc(n * sizeof *subres);
    size_t *idx = malloc(n * sizeof *idx);
    int st = sub && subres && idx ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    for (int batch = 0; batch < 2 && st == GN_OK; batch++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (gn__optimizer_is_batch(configs[i].train.optimizer) == batch) {
                idx[m] = i;
                sub[m++] = configs[i];
            }
        st = batch ? gn__select_batch_run(o, sub, m, paths, npaths, subres)
                   : gn__select_run(o, sub, m, paths, npaths, subres);
        for (size_t j = 0; j < m && st == GN_OK; j++) results[idx[j]] = subres[j];
    }
    free(sub);
    free(subres);
    free(idx);
    return st;
}

gn_status gn_tune(const gn_select_options *opts, const gn_select_config *configs, size_t n, const char *const *paths,
            size_t npaths, gn_select_result *results, size_t *best, gn_model **refit) {
    gn__clear_error();
    if (!opts || !configs || !paths || !npaths || !results) return gn__fail(GN_EINVAL, "gn_tune: NULL argument");
    GN_TRY(gn_select_options_check(opts));
    GN_TRY(gn__select_check_configs(configs, n));
    GN_TRY(gn__dist_init()); /* under mpirun the candidates are dealt out to the ranks */
    uint64_t need = gn_select_memory(configs, n, opts->k);
    if (opts->max_memory && need > opts->max_memory)
        return gn__fail(GN_ELIMIT,
                        "model selection needs about %s for %zu candidate models (%zu configuration%s x %u folds), "
                        "more than --max-memory %s: use fewer configurations, folds or --bits",
                        gn__bytes_text(need, (char[32]){0}, 32), n * opts->k, n, n == 1 ? "" : "s", opts->k,
                        gn__bytes_text(opts->max_memory, (char[32]){0}, 32));
    const int mf = configs[0].train.kind == GN_KIND_MF;
    if (!mf && opts->split != GN_SELECT_SPLIT_HASH)
        return gn__fail(GN_EINVAL, "--split-by time is for kind mf (rating rows); other kinds' folds are hashed");
    gn_select_options o = *opts;
    if (o.metric == GN_METRIC_AUTO && mf) o.metric = configs[0].train.implicit ? GN_METRIC_NDCG : GN_METRIC_RMSE;
    if (o.metric == GN_METRIC_AUTO)
        o.metric = gn_select_metric_default(configs[0].train.oaa ? GN_LOSS_SOFTMAX : configs[0].train.loss);
    if (!mf && o.metric >= GN_METRIC_NDCG)
        return gn__fail(GN_EINVAL, "--metric %s ranks users' items: it is for kind mf", gn_select_metric_name(o.metric));
    /* resolved copies: passes auto is one pass here (search passes explicitly), l1 auto its value,
     * and the refit trains exactly what was evaluated */
    gn_select_config *rc = malloc(n * sizeof *rc);
    if (!rc) return gn__fail(GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        rc[i] = configs[i];
        if (mf) continue; /* mf resolves its own defaults (epochs by solver, learn/mf_train.c) */
        gn__train_options_resolve(&rc[i].train);
        if (rc[i].train.passes == 0) rc[i].train.passes = 1;
    }
    configs = rc;
    int st = run_all(&o, configs, n, paths, npaths, results);
    if (st != GN_OK) {
        free(rc);
        return st;
    }
    long b = -1;
    double bv = NAN;
    const int hi = gn_select_metric_higher_better(o.metric);
    for (size_t i = 0; i < n; i++) {
        if (results[i].dropped) continue;
        double v = gn_select_metric_value(o.metric, &results[i].mean);
        if (isnan(v)) continue;
        if (b < 0 || (hi ? v > bv : v < bv)) {
            b = (long)i;
            bv = v;
        }
    }
    if (b < 0 && n == 1) b = 0; /* cv: report the metrics even if this one is undefined */
    if (b < 0) st = gn__fail(GN_EINVAL, "no configuration has a defined %s", gn_select_metric_name(o.metric));
    if (st == GN_OK && best) *best = (size_t)b;
    if (st == GN_OK && refit) st = gn_train(&configs[b].train, &configs[b].spec, paths, npaths, NULL, NULL, refit, NULL);
    free(rc);
    return st;
}

gn_status gn_cv(const gn_select_options *opts, const gn_train_options *train, const gn_data_spec *spec,
          const char *const *paths, size_t npaths, gn_select_result *out) {
    gn__clear_error();
    if (!opts || !train || !spec || !paths || !npaths || !out) return gn__fail(GN_EINVAL, "gn_cv: NULL argument");
    gn_select_config c;
    c.train = *train;
    c.spec = *spec;
    gn_select_options o = *opts;
    o.halving = 0;
    size_t best;
    return gn_tune(&o, &c, 1, paths, npaths, out, &best, NULL);
}
