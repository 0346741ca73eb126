/* io/label_runs.h: does a stream of labels come in long runs (an input sorted by label)?
 *
 * Feed it the labels in the order a learner sees them, as 64-bit ids (equal labels, equal ids),
 * in one or more independent streams (segments: a worker's part, an MPI rank's). It counts the
 * examples n, the segments S, the runs R of equal consecutive labels within each segment, and
 * the examples of each class (up to GN_LABEL_RUNS_CLASSES distinct labels).
 *
 * The rule. In a random order, two neighbours differ with probability q = 1 - sum_k p_k^2
 * (p_k: the class shares), so the n - S neighbouring pairs of the segments hold about
 * E_changes = (n - S) q label changes, i.e. E = S + (n - S) q runs (1 + (n - 1) q for one
 * stream). The labels "come in long runs" when
 *     changes = R - S  <  E_changes / 2    and    E_changes >= 100,
 * with at most GN_LABEL_RUNS_CLASSES distinct labels (else there is no verdict: a run test is
 * for class labels). For a random order the changes have a standard deviation of at most
 * sqrt(2 E_changes), so a random order passes the rule (false alarm) with a probability below
 * 2e-4, while a sorted input has changes = number of classes - 1. A label sequence with one
 * class, or too few examples for E_changes >= 100, gets no verdict.
 *
 * Used by `gannet describe` (io/describe.c, ids: hashes of the label texts) and by the online
 * training loop (learn/train.c, ids: the labels' float bits), which warn with
 * gn__label_runs_message. Plain struct, no allocation: one per worker, merged afterwards. */
#ifndef GN_IO_LABEL_RUNS_H
#define GN_IO_LABEL_RUNS_H

#include <stddef.h>
#include <stdint.h>

#define GN_LABEL_RUNS_CLASSES 64
#define GN_LABEL_RUNS_MIN_EXPECTED 100.0

typedef struct gn_label_runs {
    uint64_t n;          /* labels fed */
    uint64_t runs;       /* runs of equal labels, summed over segments */
    uint64_t segments;   /* segments with at least one label */
    uint64_t last;       /* the last label of the open segment */
    int open;            /* a segment is open (its first label is in) */
    int overflow;        /* more than GN_LABEL_RUNS_CLASSES distinct labels */
    size_t last_class;   /* the class of last */
    size_t nclasses;
    uint64_t class_id[GN_LABEL_RUNS_CLASSES];
    uint64_t class_n[GN_LABEL_RUNS_CLASSES];
} gn_label_runs;

void gn__label_runs_init(gn_label_runs *r);
/* The next label of the open segment (opens one if none is). */
void gn__label_runs_add(gn_label_runs *r, uint64_t id);
/* Float labels (as in a gn_batch): id = the float's bits, with -0 read as 0. */
void gn__label_runs_add_floats(gn_label_runs *r, const float *labels, size_t n);
/* Ends the open segment: the next label starts a new one (a new worker, file... whatever order
 * the learner does not see as continuing). */
void gn__label_runs_end_segment(gn_label_runs *r);
/* Adds the counts of `from` (its segments stay separate from `into`'s). */
void gn__label_runs_merge(gn_label_runs *into, const gn_label_runs *from);

/* The figures of the rule. */
typedef struct gn_label_runs_result {
    int applies;         /* 1 when there is a verdict (2+ classes, not too many, E_changes >= 100) */
    int sorted;          /* 1 when the labels come in long runs (the warning applies) */
    uint64_t n, runs, segments, classes;
    double expected_runs;     /* S + (n - S) q; 0 when classes are unknown (overflow) */
    double mean_run, expected_mean_run; /* n / runs, n / expected_runs */
} gn_label_runs_result;
void gn__label_runs_judge(const gn_label_runs *r, gn_label_runs_result *out);
/* The warning for a result with sorted set: "labels come in long runs: ..." with the advice,
 * `hint` (e.g. "use gannet train --shuffle") appended. Returns msg. */
const char *gn__label_runs_message(const gn_label_runs_result *res, const char *hint, char *msg, size_t size);

/* MPI: the counts packed into GN_LABEL_RUNS_PACKED counters for an element-wise sum across
 * ranks, for two known class ids (binary labels: the bits of -1.0f and +1.0f); labels of any
 * other id are counted as a third class "other" that makes the unpacked result overflow. */
#define GN_LABEL_RUNS_PACKED 6
void gn__label_runs_pack2(const gn_label_runs *r, uint64_t id0, uint64_t id1, uint64_t out[GN_LABEL_RUNS_PACKED]);
void gn__label_runs_unpack2(gn_label_runs *r, uint64_t id0, uint64_t id1, const uint64_t in[GN_LABEL_RUNS_PACKED]);

#endif
