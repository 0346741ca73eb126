/* dist/dist.h: data-parallel training across MPI ranks (Open MPI / MPICH). Without MPI (or when
 * not launched by mpirun) every call acts as a single rank: size 1, rank 0, no-op reductions.
 * The training loop calls these hooks; it never talks to MPI directly. */
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
/* Averages the learner's weights + optimizer state across ranks (weighted, as in Agarwal et al.
 * 2014), in place on every rank. No-op with one rank. */
int gn__dist_average_learner(struct gn_learner *l);

#endif
