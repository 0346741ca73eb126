/* learn/learner.h: an online learner = a model kind's learner (model/kind.h: its table, its
 * optimizer and its math) wrapped with what every kind shares: which examples are held out (the
 * split rule of learn/split.h), the per-pass progressive and held-out loss sums, and the
 * evaluation accumulator, all computed from the raw scores the kind returns for each batch. Many
 * learners can read the same batch (model selection); a learner is used by one thread at a time
 * (Hogwild threads share a table through gn__learner_share). Its table can be averaged with
 * others' (threads, MPI ranks). */
#ifndef GN_LEARN_LEARNER_H
#define GN_LEARN_LEARNER_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "model/kind.h"

typedef struct gn_learner gn_learner;

/* Per-pass running sums. */
typedef struct gn_learn_stats {
    double train_loss, train_weight;     /* progressive: scored before learning */
    double heldout_loss, heldout_weight; /* examples selected as held out (not learned from) */
    uint64_t train_examples, heldout_examples;
} gn_learn_stats;

/* opts must have passed gn_train_options_check; the kind is opts->kind, the optimizer AUTO is
 * resolved by the loss table. */
int gn__learner_new(const gn_train_options *opts, const gn_data_spec *spec, gn_learner **out);
void gn__learner_free(gn_learner *l);
/* A second learner over the same table (Hogwild): own stats, shared weights. Freed with
 * gn__learner_free; the table lives until the owner is freed. */
int gn__learner_share(gn_learner *owner, gn_learner **out);

/* Examples whose split bucket (learn/split.h) among mod lies in [lo, hi) are held out: scored,
 * not learned from. mod = 0 disables. Holdout: mod = GN__HOLDOUT_BUCKETS, [0, cut). Fold f of K:
 * mod = K, [f, f+1). */
void gn__learner_set_heldout(gn_learner *l, uint64_t mod, uint64_t lo, uint64_t hi, uint64_t seed);
/* If set, held-out examples' predictions are added to acc (prediction = link(score)). */
void gn__learner_set_eval(gn_learner *l, gn_metrics_acc *acc);

/* Each example learned from by gn__learner_learn_batch weighs its weight times cw[its class]
 * (learn/class_weights.h; n = 0: none). Copied; shared learners made after this inherit it. */
int gn__learner_set_class_weights(gn_learner *l, const double *cw, size_t n, int binary);
/* Learns from every example of b (except held out ones), updating the stats. Not thread-safe
 * per learner. */
int gn__learner_learn_batch(gn_learner *l, const gn_batch *b);
/* The kind's call itself: each example as mode[e] says (GN__EX_LEARN / SCORE / SKIP), raw scores
 * (gn__learner_outputs per example) into scores; no stats. */
int gn__learner_run(gn_learner *l, const gn_batch *b, const unsigned char *mode, double *scores);
/* GN_EINVAL "training diverged (a score is no longer finite) with lr X: ...", for a score that
 * is not finite. */
int gn__learner_fail_diverged(const gn_learner *l);
uint32_t gn__learner_outputs(const gn_learner *l);
/* Reads and resets the per-pass sums. */
void gn__learner_take_stats(gn_learner *l, gn_learn_stats *out);

/* The state table, for merging across threads/ranks and checkpoints. */
gn_kind_table gn__learner_table(gn_learner *l);
/* Averages the tables of n learners into each of them (weights and optimizer state). */
void gn__learner_average(gn_learner *const *ls, size_t n);
/* Makes every weight current after the table changed under it (FTRL keeps z, n). */
void gn__learner_sync_weights(gn_learner *l);
/* The model's parameters: gn__learner_weights_len floats (keep-best, warm starts). */
size_t gn__learner_weights_len(const gn_learner *l);
void gn__learner_weights(gn_learner *l, float *dst);
/* Overwrites the weights; optimizer state is left as is. */
void gn__learner_set_weights(gn_learner *l, const float *src);
/* The learner's scalar state besides its table (step counts, normalizer sums), for checkpoints:
 * *n doubles, read and written in place. */
double *gn__learner_scalars(gn_learner *l, size_t *n);
/* Builds a model from the current weights, or from `weights` when not NULL (the caller adds
 * metadata). */
int gn__learner_to_model(gn_learner *l, const float *weights, gn_model **out);
gn_optimizer gn__learner_optimizer(const gn_learner *l);

#endif
