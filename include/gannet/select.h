/* gannet/select.h: model selection — k-fold cross-validation (gn_cv) and hyperparameter search
 * (gn_tune) where ONE pass over the data feeds every (configuration x fold) candidate model.
 *
 * Each parsed batch is read once and handed to all candidates, spread over worker threads, while
 * the next batch is parsed. Folds are assigned by a hash of each example's stable key (file and
 * byte offset of its line, see the model of gn_train's holdout): fold(key) = mix64(key ^ seed) % k.
 * The fold-f model of a configuration learns from every example outside fold f, in file order,
 * exactly as `gannet train` would on those examples with the same flags (one thread); once it has
 * done its passes it scores fold f with its final weights, so its metrics equal those of a
 * separate train + eval run on the same split. Candidates whose data specs differ (--bits, format
 * flags) read their own parsed stream, so that hashing gives the same slots as gn_train.
 *
 * Search spaces are text: a grid 'l2=1e-6,1e-5;lr=0.05,0.1;bits=18,20' (the cross product) or a
 * random space 'l2=log(1e-8,1e-2);lr=uniform(0.01,1);passes=int(1,5);optimizer=choice(ftrl,sgd)'
 * sampled N times. Names are training/data flags without the dashes; the library only parses the
 * text and produces (name, value) pairs — the caller turns them into options (the CLI runs its
 * own flag parser on them, so any train flag can be searched).
 *
 * Ownership: objects returned through **out belong to the caller and are freed with their
 * gn_x_free (NULL is a no-op). Calls are reentrant; one call uses opts->threads threads. */
#ifndef GANNET_SELECT_H
#define GANNET_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/data.h"
#include "gannet/metrics.h"
#include "gannet/model.h"
#include "gannet/train.h"

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

#define GN_SELECT_MAX_FOLDS 100
#define GN_SELECT_MAX_CONFIGS 100000
#define GN_SEARCH_MAX_PARAMS 32
#define GN_SEARCH_MAX_VALUES 1000
#define GN_SEARCH_MAX_TEXT 65536

/* ---- search spaces ---- */

typedef struct gn_search_space gn_search_space;

/* Parses a grid 'name=v1,v2;name2=v3,...'. Values are kept as text. GN_EINVAL with a reason
 * ("--grid: 'l2=' has an empty list of values") on bad syntax, empty lists, duplicate names,
 * or more than GN_SELECT_MAX_CONFIGS combinations. */
gn_status gn_search_parse_grid(const char *text, gn_search_space **out);
/* Parses a random space 'name=log(a,b);name2=uniform(a,b);name3=int(a,b);name4=choice(x,y)' or
 * plain lists 'name=v1,v2' (sampled uniformly), and draws n configurations with seed. log needs
 * 0 < a < b, uniform a < b, int integers a <= b. */
gn_status gn_search_parse_random(const char *text, uint32_t n, uint64_t seed, gn_search_space **out);
void gn_search_space_free(gn_search_space *s);
size_t gn_search_space_params(const gn_search_space *s);
size_t gn_search_space_configs(const gn_search_space *s);
/* Name of parameter j (as written, without leading dashes). */
const char *gn_search_space_name(const gn_search_space *s, size_t j);
/* Value of parameter j in configuration i, as text ("%.6g" for sampled reals). */
const char *gn_search_space_value(const gn_search_space *s, size_t i, size_t j);
/* All distinct values of parameter j (for validating them once): count and k-th. */
size_t gn_search_space_distinct(const gn_search_space *s, size_t j);
const char *gn_search_space_distinct_value(const gn_search_space *s, size_t j, size_t k);

/* ---- running candidates ---- */

typedef enum gn_select_metric {
    GN_METRIC_AUTO = 0, /* auc for logistic/hinge, logloss for softmax, rmse otherwise */
    GN_METRIC_AUC = 1,
    GN_METRIC_LOGLOSS = 2,
    GN_METRIC_ACCURACY = 3,
    GN_METRIC_RMSE = 4,
    GN_METRIC_MAE = 5,
    /* multiclass (softmax) models; logloss and accuracy above are their multiclass forms */
    GN_METRIC_MACRO_F1 = 6,
    GN_METRIC_WEIGHTED_F1 = 7,
    GN_METRIC_MLOGLOSS = 8, /* the same number as logloss, by its multiclass name */
    GN_METRIC_TOP_K = 9,    /* top_k_accuracy */
    /* matrix-factorization (kind mf) rankings: each held-out user's top K (gn_select_options
     * rank_k) with the user's training items excluded; named ndcg@K, precision@K, ... */
    GN_METRIC_NDCG = 10,
    GN_METRIC_PRECISION_AT = 11,
    GN_METRIC_RECALL_AT = 12,
    GN_METRIC_MAP_AT = 13
} gn_select_metric;

/* How cv/tune cut the data into folds. */
typedef enum gn_select_split {
    GN_SELECT_SPLIT_HASH = 0, /* by a hash of each example's key (the header comment above) */
    GN_SELECT_SPLIT_TIME = 1  /* kind mf only: forward chaining by a time column. The rows, sorted
                                 by time (ties: file order), are cut into k + 1 blocks of nearly
                                 equal size; fold f (1..k) trains on blocks 1..f and tests on
                                 block f + 1, so no fold trains on a row later than its test rows */
} gn_select_split;

/* The metric's name; ranking metrics without their K ("ndcg@k"). */
const char *gn_select_metric_name(gn_select_metric m);
/* What GN_METRIC_AUTO means for a loss: auc for binary losses, logloss for softmax, rmse for
 * regression. */
gn_select_metric gn_select_metric_default(gn_loss loss);
int gn_select_metric_parse(const char *name); /* -1 if unknown */
/* As gn_select_metric_parse, and ranking metrics also as NAME@K (ndcg@10, precision@5, recall@20,
 * map@10; K in 1..100000): *k gets K, or 0 when none was written. */
int gn_select_metric_parse_at(const char *name, uint32_t *k);
/* The value of metric m in *mt, and whether larger is better. */
double gn_select_metric_value(gn_select_metric m, const gn_metrics *mt);
int gn_select_metric_higher_better(gn_select_metric m);

/* What model selection reports while it runs. */
typedef struct gn_select_progress {
    uint32_t pass;            /* 1-based data pass */
    uint64_t examples;        /* examples read in this pass */
    double seconds;           /* since the start */
    uint64_t bytes_done, bytes_total;
    size_t configs_alive;     /* configurations still training or scoring */
    size_t configs_total;
    long best;                /* index of the best configuration so far (-1 if none yet) */
    double best_value;        /* its mean metric (NaN if none) */
    gn_select_metric metric;
    int end_of_pass;
    const char *note;         /* a one-off message (memory estimate, halving), else NULL */
} gn_select_progress;
typedef void (*gn_select_progress_fn)(const gn_select_progress *p, void *user);

typedef struct gn_select_options {
    uint32_t k;                 /* folds, 2..GN_SELECT_MAX_FOLDS; default 5 */
    uint64_t seed;              /* fold assignment seed; default 0 */
    gn_select_metric metric;    /* what tune ranks by; default AUTO */
    int halving;                /* 1: after each pass drop the worse half (by held-out progressive metric) */
    uint64_t max_memory;        /* bytes for all candidate tables; 0 = no limit */
    uint32_t threads;           /* worker threads; 0 = all cores */
    uint32_t batch_size;        /* examples per shared batch; default 8192 */
    uint64_t cache_bytes;       /* keep parsed batches in memory up to this size for later passes
                                   (0 = never); default 1 GiB */
    gn_select_progress_fn progress; /* may be NULL */
    void *user;
    /* kind mf (select/mf_select.c) */
    gn_select_split split;      /* default GN_SELECT_SPLIT_HASH */
    const char *time_col;       /* GN_SELECT_SPLIT_TIME: the CSV column of times (name or 1-based
                                   index; finite numbers); owned by the caller */
    uint32_t rank_k;            /* the K of the ranking metrics; default 10 */
    double relevant_min;        /* held-out rows rated below this are not relevant; default NaN:
                                   every held-out row is */
} gn_select_options;

void gn_select_options_init(gn_select_options *o);
gn_status gn_select_options_check(const gn_select_options *o);

/* One configuration: training options and data spec (a caller-built copy per configuration). */
typedef struct gn_select_config {
    gn_train_options train;
    gn_data_spec spec;
} gn_select_config;

typedef struct gn_select_result {
    uint32_t k;
    gn_metrics folds[GN_SELECT_MAX_FOLDS]; /* k entries */
    gn_metrics mean, std;      /* over folds, field by field (std: population, k in the divisor) */
    double seconds;            /* worker time spent training and scoring this configuration's k models */
    uint32_t passes;           /* passes trained (fewer than asked if dropped by halving) */
    int dropped;               /* 1: eliminated by halving; its metrics are the held-out
                                  progressive ones of its last pass, not a final score */
    uint64_t table_bytes;      /* memory of one of its k models */
} gn_select_result;

/* Bytes the candidate tables of these configurations will take (configs x k x table). */
uint64_t gn_select_memory(const gn_select_config *configs, size_t n, uint32_t k);

/* k-fold cross-validation of one configuration. */
gn_status gn_cv(const gn_select_options *opts, const gn_train_options *train, const gn_data_spec *spec,
          const char *const *paths, size_t npaths, gn_select_result *out);

/* Cross-validates every configuration in one shared stream of passes; results[i] (n entries,
 * caller-allocated) for configs[i]; *best is the index of the best by opts->metric among the
 * configurations not dropped. If refit is not NULL, the best configuration is retrained on all
 * the data with gn_train and returned there (caller frees). */
gn_status gn_tune(const gn_select_options *opts, const gn_select_config *configs, size_t n,
            const char *const *paths, size_t npaths, gn_select_result *results, size_t *best,
            gn_model **refit);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
