/* learn/checkpoint.h: saving and restoring an online training run (`--checkpoint`, `--resume`):
 * the learners' tables (weights + optimizer state, one per worker in deterministic mode, one
 * shared table otherwise), each worker's scalar state (the kind's step counts and normalizer
 * sums), the best weights kept for early stopping, and the input position (pass and batches done
 * per worker) with the running sums of the pass.
 * File: "GNCKPT02" | u32 header_len | header JSON | binary state | u64 XXH3 of all before it.
 * The header ties the checkpoint to the options, spec, files and thread count; a mismatch is
 * GN_ESTALE with the reason. Written to a temporary file, fsync'ed and renamed: a checkpoint is
 * complete or absent, so a kill -9 at any moment leaves the previous one usable. */
#ifndef GN_LEARN_CHECKPOINT_H
#define GN_LEARN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "learn/learner.h"

typedef struct gn_checkpoint_state {
    uint32_t pass;             /* the pass to continue (1-based) */
    uint64_t batches_done;     /* batches each worker already learned from in that pass */
    uint64_t total_examples;   /* examples of the finished passes */
    uint64_t pass_examples, pass_heldout;
    double loss_sum, loss_w, ho_sum, ho_w;
    double best_holdout, last_holdout;
    uint32_t since_best;
    float *best;               /* best weights (gn__learner_weights_len floats) or NULL; load allocates it */
} gn_checkpoint_state;

int gn__checkpoint_save(const char *path, const gn_train_options *o, const gn_data_spec *spec,
                        const char *const *paths, size_t npaths, uint32_t threads, gn_learner *const *ls,
                        const gn_checkpoint_state *cs);
/* Restores the tables into ls (already created with the same options) and fills *cs. */
int gn__checkpoint_load(const char *path, const gn_train_options *o, const gn_data_spec *spec,
                        const char *const *paths, size_t npaths, uint32_t threads, gn_learner *const *ls,
                        gn_checkpoint_state *cs);

#endif
