/* dist/dist.h: data-parallel training across MPI ranks (Open MPI / MPICH). Without MPI (or when
 * not launched by an MPI launcher) every call acts as a single rank: size 1, rank 0, no-op
 * reductions. The training loop calls these hooks; it never talks to MPI directly.
 * Every reduction here is collective: all ranks must call it, in the same order, with the same n.
 * Sums are reduced to rank 0 and broadcast, so every rank gets bit-identical results (and so takes
 * identical decisions: no rank can leave a loop that another stays in). */
#ifndef GN_DIST_DIST_H
#define GN_DIST_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"

struct gn_learner;

/* Initialises MPI if the process was launched by an MPI launcher (idempotent). GN_EUNSUPPORTED
 * with a clear message when launched by mpirun but built without MPI. */
int gn__dist_init(void);
int gn__dist_rank(void);   /* 0 without MPI */
int gn__dist_size(void);   /* 1 without MPI */
/* Every rank passes its status; all ranks get GN_OK only if every rank was OK, otherwise the
 * first failing rank's status (its message is made available on every rank). */
int gn__dist_agree(int status);
/* Element-wise sum across ranks, in place. */
int gn__dist_allreduce_sum(double *buf, size_t n);
/* Element-wise sum of floats (optimizer tables), in place. */
int gn__dist_allreduce_sum_float(float *buf, size_t n);
/* Element-wise sum of counters across ranks, in place. */
int gn__dist_allreduce_sum_u64(uint64_t *buf, size_t n);
/* Element-wise bitwise OR across ranks, in place (feature-presence bitmaps). */
int gn__dist_allreduce_or(uint64_t *buf, size_t n);
/* Every rank holds rows [lo[r], lo[r+1]) of a table of rows of `width` floats (lo has size + 1
 * entries, the same on every rank); afterwards every rank holds every row (MPI_Allgatherv, in
 * place: the bits each rank computed, no arithmetic). No-op with one rank. */
int gn__dist_allgather_rows_float(float *buf, size_t width, const uint64_t *lo);
/* Averages the learner's weights + optimizer state across ranks (weighted, as in Agarwal et al.
 * 2014), in place on every rank. No-op with one rank. */
int gn__dist_average_learner(struct gn_learner *l);

/* Reductions done by this process so far and the payload bytes each rank contributed. */
void gn__dist_stats(uint64_t *reductions, uint64_t *bytes);
/* 1 once gn__dist_agree has returned a failure: every rank knows, so none is left waiting. */
int gn__dist_failed_together(void);
/* Ends MPI (idempotent; no-op when MPI was not started). */
void gn__dist_finalize(void);
/* Stops every rank of the job (MPI_Abort) with this exit code; returns only without MPI. */
void gn__dist_abort(int code);

#endif
