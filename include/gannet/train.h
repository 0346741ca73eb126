/* gannet/train.h: training, prediction and evaluation over files.
 * gn_train_options is a plain struct: gn_train_options_init() fills defaults; gn_train() checks it
 * (gn_train_options_check gives the same reason up front). Training is single-model here;
 * model selection (cv, tune) is in gannet/select.h. All calls are reentrant: separate calls may
 * run on separate threads; one call uses opts->threads threads internally. */
#ifndef GANNET_TRAIN_H
#define GANNET_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "gannet/data.h"
#include "gannet/metrics.h"
#include "gannet/model.h"

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef enum gn_optimizer {
    GN_OPT_AUTO = 0,    /* FTRL-Proximal for logistic, AdaGrad for the other losses */
    GN_OPT_SGD = 1,
    GN_OPT_ADAGRAD = 2,
    GN_OPT_FTRL = 3,
    GN_OPT_LBFGS = 4,
    GN_OPT_OWLQN = 5,
    GN_OPT_ALS = 6      /* kind mf: alternating least squares */
} gn_optimizer;

const char *gn_optimizer_name(gn_optimizer opt);
int gn_optimizer_parse(const char *name); /* -1 if unknown */

typedef struct gn_train_options {
    gn_model_kind kind;      /* default GN_KIND_LINEAR */
    gn_loss loss;            /* default GN_LOSS_LOGISTIC */
    gn_optimizer optimizer;  /* default GN_OPT_AUTO */
    double lr;               /* learning rate (FTRL alpha); 0 = the optimizer's default */
    double l1, l2;           /* regularisation of sum_i loss_i + l1*|w|_1 + l2/2*|w|^2; l1 default
                                GN_L1_AUTO: 1 for normalized FTRL, else 0 */
    double ftrl_beta;        /* FTRL beta; default 1 */
    double power_t;          /* SGD step decay lr*(1/(1+t))^power_t; default 0.5 */
    double quantile_tau;     /* quantile loss level in (0,1); default 0.5 */
    int normalize;           /* 1 (default): online updates are per-feature normalized and so
                                insensitive to each column's scale (Ross, Mineiro and Langford
                                2013, as Vowpal Wabbit's default); 0: plain updates of version 0.1 */
    uint32_t passes;         /* passes over the data; 0 (default) = auto: see gn_train */
    double holdout;          /* fraction of examples held out for validation (0 = none) */
    uint32_t early_stop;     /* stop after this many passes without holdout improvement (0 = never) */
    uint32_t threads;        /* 0 = all cores */
    int deterministic;       /* same model on every run for a given thread count (per-thread shards averaged at pass ends) */
    uint64_t seed;           /* for holdout selection, shuffling and initialisation */
    uint32_t batch_size;     /* examples per parsed batch; default 1024 */
    /* batch solvers (L-BFGS / OWL-QN) */
    uint32_t lbfgs_memory;   /* history pairs; default 10 */
    double tol;              /* relative gradient norm to stop at; default 1e-6 */
    uint32_t max_iter;       /* default 500 */
    int warm_start_online;   /* 1: one online pass before the batch solver */
    /* classification: each example's importance weight times its class's weight (borrowed text
     * "a:2,b:1", classes by name, others 1; NULL or "": none), or balanced: n_samples /
     * (K * n_class) from the label scan's counts, as scikit-learn's class_weight='balanced' */
    const char *class_weights;
    int balanced;
    /* one-against-all (as Vowpal Wabbit's --oaa): K binary classifiers over loss (logistic or
     * hinge) in one model of kind oaa, predicting their sigmoids normalized to sum to 1. Once
     * resolved (by the library) loss reads softmax (K class probabilities), kind oaa, and
     * oaa_loss holds the binary loss. */
    int oaa;
    gn_loss oaa_loss;
    /* kind fm (factorization machine, Rendle 2010): rank latent factors per slot (1..255, default
     * 8), initialised uniformly in [-fm_init, fm_init] (seeded by seed; default 0.01) and
     * regularised by fm_l2 (default 0) */
    uint32_t fm_rank;
    double fm_init;
    double fm_l2;
    /* kinds fm and ffm: the latent factors' learning rate; lr drives the linear weights. 0 (the
     * default): 0.1 with adagrad, lr with sgd */
    double fm_lr;
    /* kind mf (matrix factorization of (user, item, rating) CSV rows; gannet/recommend.h): the
     * columns (header name or 1-based index; borrowed; rating may be NULL or "" with implicit:
     * every row is one interaction). fm_rank is the rank K (default 8 here too); l2 0 and lr 0
     * mean the mf defaults; passes 0: the solver's default number of epochs. optimizer auto or
     * als: alternating least squares; sgd: stochastic gradient descent. implicit: weighted ALS
     * (Hu, Koren and Volinsky 2008) with confidence 1 + alpha * rating. */
    const char *mf_user, *mf_item, *mf_rating;
    int implicit;
    double alpha;
    /* refuse to train (GN_ELIMIT, before allocating) when the model's tables would take more
     * bytes than this (0: no limit); kind mf */
    size_t max_memory;
    /* scale (online optimizers): cache, shuffling, checkpoints. Strings are borrowed. */
    const char *cache_path;  /* binary cache: made from the files when missing or stale, then read;
                                without files, the cache alone is the data */
    int shuffle;             /* 1: read plain files by chunks and the cache by blocks in a seeded
                                order per pass, and shuffle examples within a bounded buffer */
    uint32_t shuffle_buffer; /* examples in that buffer, 1..2^26 (default 65536) */
    const char *checkpoint_path;   /* save the run here (atomically) every ... */
    uint64_t checkpoint_examples;  /* ... this many examples, or */
    uint32_t checkpoint_seconds;   /* ... this many seconds (checked between batches) */
    const char *resume_path; /* continue the run saved in this checkpoint */
    /* Stop flag (default NULL: none). When *stop is nonzero, gn_train ends with GN_ECANCELED and no
     * model. Read on the calling thread only, between the batches it learns from (the first
     * worker's: right after each progress report, so at most about 0.5 s apart) and between batch
     * solver iterations; set it from the progress callback (which runs on that thread) or from a
     * signal handler. Not checked while a cache is being made, nor in MPI runs. */
    const volatile int *stop;
} gn_train_options;

/* l1 = GN_L1_AUTO: 1 for FTRL with normalize (a sparse model, and better on text), 0 otherwise. */
#define GN_L1_AUTO (-1.0)

void gn_train_options_init(gn_train_options *opts);
gn_status gn_train_options_check(const gn_train_options *opts);

/* What training reports while it runs (through gn_progress_fn) and at the end. */
typedef struct gn_progress {
    uint32_t pass;            /* 1-based */
    uint64_t examples;        /* examples learned from in this run (all passes) */
    double seconds;           /* since training started */
    uint64_t bytes_done, bytes_total; /* of the input in this pass; total 0 if unknown (stdin) */
    double progressive_loss;  /* mean loss of this pass so far, each example scored before learning */
    double holdout_loss;      /* mean loss on the holdout after the last finished pass; NaN if none */
    int end_of_pass;          /* 1 on the report made at the end of each pass */
} gn_progress;
typedef void (*gn_progress_fn)(const gn_progress *p, void *user);

typedef struct gn_train_summary {
    uint64_t examples;        /* examples learned from (all passes) */
    uint64_t skipped;         /* bad lines skipped (with skip_bad) */
    uint32_t passes;          /* passes done */
    double seconds;
    double progressive_loss;  /* of the last pass */
    double holdout_loss;      /* best holdout loss; NaN if no holdout */
    double objective;         /* final regularised objective (batch solvers); NaN for online */
    uint32_t iterations;      /* batch solver iterations; 0 for online */
    int ranks;                /* MPI ranks that trained (1 without MPI) */
    uint32_t best_pass;       /* the pass with the best holdout loss (0 without a holdout) */
    int auto_passes;          /* 1: passes was auto and the input small, so the number of passes
                                 was chosen on a holdout and the model refit on all the data */
} gn_train_summary;

/* passes = auto: inputs up to GN_AUTO_PASSES_BYTES get several passes, at most GN_AUTO_PASSES_MAX
 * and at most max(10, GN_AUTO_PASSES_UPDATES / features in a pass). */
#define GN_AUTO_PASSES_BYTES ((uint64_t)256 << 20)
#define GN_AUTO_PASSES_MAX 100u
#define GN_AUTO_PASSES_UPDATES ((uint64_t)1 << 23) /* feature updates */

/* Trains on the files in order ("-" is stdin). spec->label_kind is set from the loss.
 * passes = 0 (auto), online optimizers: when every input is a regular file (or a cache) and they
 * total at most GN_AUTO_PASSES_BYTES, the number of passes is chosen as Vowpal Wabbit's --passes
 * with a holdout would: passes holding out 10% of the examples, early stopping after early_stop
 * passes without improvement, at most max(10, GN_AUTO_PASSES_UPDATES / features of a pass) passes (and
 * GN_AUTO_PASSES_MAX); then the model is trained again on all the data for the best number of
 * passes. With a holdout of the caller's, that holdout is used and the best pass's weights are
 * kept, without the refit. Larger inputs, stdin, checkpoints and resumes: one pass.
 * With opts->cache_path and npaths == 0 (paths may then be NULL), the cache alone is the data:
 * it must exist, and the fields of spec other than their defaults must agree with the spec it
 * was made with (GN_EINVAL naming the field otherwise; skip_bad and max_line are not checked).
 * On success *out is a new model owned by the caller. progress may be NULL. */
gn_status gn_train(const gn_train_options *opts, const gn_data_spec *spec, const char *const *paths,
             size_t npaths, gn_progress_fn progress, void *user, gn_model **out,
             gn_train_summary *summary);

/* Writes one prediction per input line to out ("%.9g\n"). */
gn_status gn_predict_files(const gn_model *model, const char *const *paths, size_t npaths, int skip_bad,
                     FILE *out, uint64_t *predicted, uint64_t *skipped);

/* What gn_predict_files_as writes per line: the prediction ("%.9g": probability, rate or score;
 * a multiclass model's K class probabilities separated by spaces, in class order), or the name of
 * the predicted class (gn_model_class_name; logistic: positive when p >= 0.5, hinge: when the
 * score is >= 0, softmax: the most probable). GN_PREDICT_CLASS on a regression model is
 * GN_EINVAL. GN_PREDICT_PROBS: "class:p" pairs separated by spaces, every class in class order
 * (logistic and softmax models); GN_PREDICT_TOPK: the top_n most probable such pairs, most
 * probable first; GN_PREDICT_JSON: {"class": NAME, "probabilities": {NAME: p, ...}}, as the
 * server answers. */
typedef enum gn_predict_output {
    GN_PREDICT_PROB = 0,
    GN_PREDICT_CLASS = 1,
    GN_PREDICT_PROBS = 2,
    GN_PREDICT_TOPK = 3,
    GN_PREDICT_JSON = 4
} gn_predict_output;
gn_status gn_predict_files_as(const gn_model *model, const char *const *paths, size_t npaths, int skip_bad,
                              gn_predict_output what, FILE *out, uint64_t *predicted, uint64_t *skipped);
/* gn_predict_files_as with the N of GN_PREDICT_TOPK (>= 1; ignored by the other outputs). */
gn_status gn_predict_files_top(const gn_model *model, const char *const *paths, size_t npaths, int skip_bad,
                               gn_predict_output what, size_t top_n, FILE *out, uint64_t *predicted,
                               uint64_t *skipped);

/* Evaluates the model on labelled files. */
gn_status gn_evaluate(const gn_model *model, const char *const *paths, size_t npaths, int skip_bad,
                gn_metrics *out, uint64_t *skipped);
/* gn_evaluate that also hands back its accumulator (*acc, owned by the caller: free it with
 * gn_metrics_acc_free), e.g. for a multiclass model's confusion matrix (gn_metrics_acc_confusion). */
gn_status gn_evaluate_acc(const gn_model *model, const char *const *paths, size_t npaths, int skip_bad,
                          gn_metrics *out, gn_metrics_acc **acc, uint64_t *skipped);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
