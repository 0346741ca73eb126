/* learn/learner.h: an online learner = a model kind (linear) + an optimizer (SGD, AdaGrad,
 * FTRL-Proximal) over one table where each slot's weight and optimizer state sit next to each
 * other. Many learners can read the same batch (model selection); a learner is used by one
 * thread at a time (Hogwild threads share a table through gn__learner_share). Its table can be
 * averaged with others' (threads, MPI ranks). */
#ifndef GN_LEARN_LEARNER_H
#define GN_LEARN_LEARNER_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "io/batch.h"

typedef struct gn_learner gn_learner;

/* Per-pass running sums. */
typedef struct gn_learn_stats {
    double train_loss, train_weight;     /* progressive: scored before learning */
    double heldout_loss, heldout_weight; /* examples selected as held out (not learned from) */
    uint64_t train_examples, heldout_examples;
} gn_learn_stats;

/* opts must have passed gn_train_options_check; optimizer AUTO is resolved here. */
int gn__learner_new(const gn_train_options *opts, const gn_data_spec *spec, gn_learner **out);
void gn__learner_free(gn_learner *l);
/* A second learner over the same table (Hogwild): own stats, shared weights. Freed with
 * gn__learner_free; the table lives until the owner is freed. */
int gn__learner_share(gn_learner *owner, gn_learner **out);

/* Examples whose mix(key ^ seed) % mod lies in [lo, hi) are held out: scored, not learned from.
 * mod = 0 disables. Holdout: mod=1000000, [0, fraction*1e6). Fold f of K: mod=K, [f, f+1). */
void gn__learner_set_heldout(gn_learner *l, uint64_t mod, uint64_t lo, uint64_t hi, uint64_t seed);
/* Inverse selection: learn ONLY from examples outside [lo,hi) — the default — or (invert=1) only
 * from those inside, scoring the rest. */
void gn__learner_invert_heldout(gn_learner *l, int invert);
/* If set, held-out examples' predictions are added to acc (prediction = link(score)). */
void gn__learner_set_eval(gn_learner *l, gn_metrics_acc *acc);

/* Learns from every example of b (except held out ones). Not thread-safe per learner. */
int gn__learner_learn_batch(gn_learner *l, const gn_batch *b);
/* Reads and resets the per-pass sums. */
void gn__learner_take_stats(gn_learner *l, gn_learn_stats *out);

/* The state table, for merging across threads/ranks: nslots slots of `stride` floats. */
float *gn__learner_table(gn_learner *l, size_t *nslots, uint32_t *stride);
/* Averages the tables of n learners into each of them (weights and optimizer state). */
void gn__learner_average(gn_learner *const *ls, size_t n);
/* Sets every slot's weight to its current optimum (FTRL keeps z, n), so w can be read. */
void gn__learner_sync_weights(gn_learner *l);
/* Copies the weights into dst (2^bits floats). */
void gn__learner_weights(gn_learner *l, float *dst);
/* Overwrites the weights (for warm starts and "keep best"); optimizer state is left as is. */
void gn__learner_set_weights(gn_learner *l, const float *src);
/* The learner's own scalar state besides its table (SGD's step count), for checkpoints. */
double gn__learner_steps(const gn_learner *l);
void gn__learner_set_steps(gn_learner *l, double steps);
/* Builds a model from the current weights (the caller adds metadata). */
int gn__learner_to_model(gn_learner *l, gn_model **out);
gn_optimizer gn__learner_optimizer(const gn_learner *l);
double gn__learner_predict(const gn_learner *l, const uint32_t *idx, const float *val, size_t n);

#endif
