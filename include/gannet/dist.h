/* gannet/dist.h: running under an MPI launcher (mpirun, mpiexec, srun). gn_dist_init() detects
 * the launch from the environment and starts MPI; gn_train() then trains data-parallel: every rank
 * reads its own part of the input and the ranks combine state with MPI all-reductions. Only rank 0
 * should write the model, progress and metrics. Without an MPI launch all calls act as one rank.
 * Call gn_dist_init() once at start-up (before threads) and gn_dist_finalize() once at exit; the
 * calls are not thread-safe. */
#ifndef GANNET_DIST_H
#define GANNET_DIST_H

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

/* Starts MPI when launched by an MPI launcher (idempotent). GN_OK; GN_EUNSUPPORTED when launched
 * with several ranks by a launcher but built without MPI (so N separate models are never trained
 * by accident); GN_EMPI if MPI cannot start or sees fewer ranks than the launcher started. */
gn_status gn_dist_init(void);
int gn_dist_rank(void);  /* 0 without MPI */
int gn_dist_size(void);  /* 1 without MPI */
/* 1 if the last failure was agreed by all ranks (each has the message, naming the failing rank,
 * and returns the same error), so nobody is left waiting and rank 0 alone needs to report it. */
int gn_dist_failed_together(void);
/* Stops every rank of the job with this exit code (MPI_Abort). A rank that fails on its own
 * (an error not agreed with the other ranks) must call this, or ranks waiting for it would hang.
 * This is the one call of the library that ends the process; it returns only without MPI. */
void gn_dist_abort(int exit_code);
/* Ends MPI (idempotent; no-op when MPI was not started). */
void gn_dist_finalize(void);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
