/* learn/checkpoint.h: saving and restoring an online training run (`--checkpoint`, `--resume`):
 * the learners' tables (weights + optimizer state, one per worker in deterministic mode, one
 * shared table otherwise), each worker's scalar state (the kind's step counts and normalizer
 * sums), the best weights kept for early stopping, and the input position (pass and batches done
 * per worker) with the running sums of the pass.
 * File: "GNCKPT03" | u32 header_len | header JSON | binary state | u64 XXH3 of all before it.
 * The header ties the checkpoint to the options, spec, files and thread count, and to what the
 * data files held (gn__data_fingerprint); a mismatch is GN_ESTALE naming the item, with the value
 * in the checkpoint and in this run. Written to a temporary file, fsync'ed and renamed: a
 * checkpoint is complete or absent, so a kill -9 at any moment leaves the previous one usable. */
#ifndef GN_LEARN_CHECKPOINT_H
#define GN_LEARN_CHECKPOINT_H

#include <jansson.h>
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

/* Files of at most this many bytes are hashed whole; larger ones in sampled blocks. */
#define GN__CK_HASH_ALL_MAX ((uint64_t)1 << 30)
#define GN__CK_SAMPLE_BLOCKS 1024u
#define GN__CK_SAMPLE_BLOCK ((size_t)64 << 10)

/* What the data files hold, made once per run: a JSON array with, per file, {"path", "size",
 * "mtime_ns", "xxh3" (16 hex digits), "hashed": "all" | "sampled"}: XXH3-64 of the whole file
 * when it has at most hash_all_max bytes, else of its size and GN__CK_SAMPLE_BLOCKS blocks of
 * GN__CK_SAMPLE_BLOCK bytes spread evenly from its first byte to its last. stdin ("-") and
 * other files that are not regular are recorded as {"path", "hashed": "none"}. GN_EIO naming a
 * file that cannot be read; GN_ENOMEM. */
int gn__data_fingerprint(const char *const *paths, size_t npaths, uint64_t hash_all_max, json_t **out);
/* GN_OK when the files of fingerprint `now` hold what they held at `then` (same paths, in
 * order), by the rules of gn__checkpoint_load; else GN_ESTALE naming the checkpoint at path, the
 * file and what changed (GN_EFORMAT: `then` is malformed). */
int gn__data_fingerprint_check(const char *path, const json_t *then, const json_t *now);

/* data: the run's gn__data_fingerprint. */
int gn__checkpoint_save(const char *path, const gn_train_options *o, const gn_data_spec *spec,
                        const char *const *paths, size_t npaths, const json_t *data, uint32_t threads,
                        gn_learner *const *ls, const gn_checkpoint_state *cs);
/* Restores the tables into ls (already created with the same options) and fills *cs. Refuses
 * (GN_ESTALE) a checkpoint made with other options, files or threads, or whose data files
 * changed since: another size, another hash, or, for a file hashed in sampled blocks only,
 * another modification time (its content cannot be verified in full). A whole-file hash that
 * matches accepts a file whose modification time alone changed (copied, touched). */
int gn__checkpoint_load(const char *path, const gn_train_options *o, const gn_data_spec *spec,
                        const char *const *paths, size_t npaths, const json_t *data, uint32_t threads,
                        gn_learner *const *ls, gn_checkpoint_state *cs);

#endif
