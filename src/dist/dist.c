/* dist/dist.c: the MPI engine behind dist/dist.h and gannet/dist.h — detecting a launch by mpirun,
 * mpiexec or srun from the environment, starting and ending MPI, the reductions (reduce to rank 0
 * then broadcast, so every rank holds the same bits), and agreeing on failures so that an error
 * on any rank stops every rank with that rank's message. Built without MPI (GN_HAVE_MPI=0) it is
 * a single rank, and refuses to run when a launcher started several processes.
 * MPI is process-wide state, so this file keeps the one process-wide record of it. */
#include "dist/dist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/dist.h"
#include "util/error.h"

#ifndef GN_HAVE_MPI
#define GN_HAVE_MPI 0
#endif
#if GN_HAVE_MPI
#include <mpi.h>
#endif

#define DIST_MSG_MAX 1024

static struct {
    int started;          /* gn__dist_init ran successfully */
    int mpi;              /* MPI_Init was called by us */
    int finalized;
    int rank, size;
    int failed_together;
    uint64_t reductions, bytes;
} dist = {0, 0, 0, 0, 1, 0, 0, 0};

/* ---- launch detection (works with or without MPI) ------------------------------------------ */

static long env_long(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) return -1;
    char *end;
    long x = strtol(v, &end, 10);
    return *end ? -1 : x;
}

/* Whether a launcher started this process, how many processes it started (-1 if it does not
 * say) and which variable said so. Slurm's variables count only inside a job step (srun), not
 * in the batch script itself. */
static int launched(long *size, long *rank, const char **var) {
    static const char *const size_vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE",
                                            "MPI_LOCALNRANKS"};
    static const char *const rank_vars[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK"};
    *size = -1;
    *rank = -1;
    *var = NULL;
    for (size_t i = 0; i < sizeof size_vars / sizeof *size_vars && *size < 0; i++)
        if ((*size = env_long(size_vars[i])) >= 0) *var = size_vars[i];
    for (size_t i = 0; i < sizeof rank_vars / sizeof *rank_vars && *rank < 0; i++) {
        *rank = env_long(rank_vars[i]);
        if (*rank >= 0 && !*var) *var = rank_vars[i];
    }
    if (getenv("SLURM_STEP_ID") && env_long("SLURM_STEP_NUM_TASKS") > 1) {
        if (*size < 0) {
            *size = env_long("SLURM_STEP_NUM_TASKS");
            *var = "SLURM_STEP_NUM_TASKS";
        }
        if (*rank < 0) *rank = env_long("SLURM_PROCID");
    }
    return *var != NULL;
}

/* ---- MPI ------------------------------------------------------------------------------------ */

#if GN_HAVE_MPI
static int mpi_fail(int rc, const char *what) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) snprintf(msg, sizeof msg, "error %d", rc);
    return gn__fail(GN_EMPI, "rank %d: MPI %s failed: %s", dist.rank, what, msg);
}

#define CHUNK ((size_t)1 << 26) /* elements per call: MPI counts are int */

/* Sum (or op) to rank 0, then broadcast: every rank receives the very same bits. */
static int reduce_bcast(void *buf, size_t n, size_t elem, MPI_Datatype type, MPI_Op op) {
    char *p = buf;
    for (size_t off = 0; off < n; off += CHUNK) {
        int cnt = (int)(n - off < CHUNK ? n - off : CHUNK);
        void *at = p + off * elem;
        int rc = MPI_Reduce(dist.rank == 0 ? MPI_IN_PLACE : at, at, cnt, type, op, 0, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_fail(rc, "Reduce");
        if ((rc = MPI_Bcast(at, cnt, type, 0, MPI_COMM_WORLD)) != MPI_SUCCESS) return mpi_fail(rc, "Bcast");
    }
    return GN_OK;
}

/* For exact operations (integer sums, OR) an all-reduce is already identical everywhere. */
static int allreduce_exact(void *buf, size_t n, size_t elem, MPI_Datatype type, MPI_Op op) {
    char *p = buf;
    for (size_t off = 0; off < n; off += CHUNK) {
        int cnt = (int)(n - off < CHUNK ? n - off : CHUNK);
        int rc = MPI_Allreduce(MPI_IN_PLACE, p + off * elem, cnt, type, op, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_fail(rc, "Allreduce");
    }
    return GN_OK;
}
#endif

int gn__dist_init(void) {
    if (dist.started) return GN_OK;
    long size, rank;
    const char *var;
    int under_launcher = launched(&size, &rank, &var);
#if GN_HAVE_MPI
    if (!under_launcher) {
        dist.started = 1; /* a plain run: one rank, MPI never started */
        return GN_OK;
    }
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        int provided;
        int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS) return gn__fail(GN_EMPI, "MPI_Init failed (error %d) although %s is set", rc, var);
        dist.mpi = 1;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &dist.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &dist.size);
    if (size > 1 && dist.size != size) {
        int seen = dist.size;
        gn__dist_finalize();
        dist.rank = 0;
        dist.size = 1;
        return gn__fail(GN_EMPI,
                        "the launcher started %ld processes (%s=%ld) but MPI sees %d rank%s: every process would "
                        "train alone. Launch with a matching MPI (with srun: srun --mpi=pmix or --mpi=pmi2)",
                        size, var, size, seen, seen == 1 ? "" : "s");
    }
    dist.started = 1;
    return GN_OK;
#else
    if (under_launcher && (size > 1 || (size < 0 && rank > 0)))
        return gn__fail(GN_EUNSUPPORTED,
                        "launched by an MPI launcher as rank %ld of %ld (%s is set), but this gannet was built "
                        "without MPI: each process would train its own model. Rebuild with MPI "
                        "(apt-get install libopenmpi-dev; cmake -DGN_WITH_MPI=ON) or run without mpirun",
                        rank < 0 ? 0 : rank, size, var);
    dist.started = 1;
    return GN_OK;
#endif
}

int gn__dist_rank(void) { return dist.rank; }
int gn__dist_size(void) { return dist.size; }
int gn__dist_failed_together(void) { return dist.failed_together; }

void gn__dist_stats(uint64_t *reductions, uint64_t *bytes) {
    *reductions = dist.reductions;
    *bytes = dist.bytes;
}

int gn__dist_agree(int status) {
    if (dist.size <= 1) {
        if (status != GN_OK) dist.failed_together = 1; /* one rank: nobody waits */
        return status;
    }
#if GN_HAVE_MPI
    int mine = status != GN_OK ? dist.rank : dist.size, first = dist.size;
    int rc = MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, "Allreduce (agree)");
    if (first == dist.size) return GN_OK;
    struct {
        int status;
        char msg[DIST_MSG_MAX];
    } pkt;
    memset(&pkt, 0, sizeof pkt);
    if (dist.rank == first) {
        pkt.status = status;
        const char *msg = gn_last_error()[0] ? gn_last_error() : gn_status_name((gn_status)status);
        snprintf(pkt.msg, sizeof pkt.msg, "%s", msg);
    }
    if ((rc = MPI_Bcast(&pkt, (int)sizeof pkt, MPI_BYTE, first, MPI_COMM_WORLD)) != MPI_SUCCESS)
        return mpi_fail(rc, "Bcast (agree)");
    pkt.msg[DIST_MSG_MAX - 1] = '\0';
    dist.failed_together = 1;
    return gn__fail((gn_status)pkt.status, "rank %d: %s", first, pkt.msg);
#else
    return status;
#endif
}

/* The reductions' common start: with one rank there is nothing to do; otherwise count the call. */
static int reduction_counted(size_t bytes) {
    if (dist.size <= 1) return 0;
    dist.reductions++;
    dist.bytes += bytes;
    return 1;
}

#if GN_HAVE_MPI
#define REDUCE(fn, buf, n, type, op) fn(buf, n, sizeof *(buf), type, op)
#else
#define REDUCE(fn, buf, n, type, op) GN_OK /* dist.size is always 1 without MPI */
#endif

int gn__dist_allreduce_sum(double *buf, size_t n) {
    if (!reduction_counted(n * sizeof *buf)) return GN_OK;
    return REDUCE(reduce_bcast, buf, n, MPI_DOUBLE, MPI_SUM);
}

int gn__dist_allreduce_sum_float(float *buf, size_t n) {
    if (!reduction_counted(n * sizeof *buf)) return GN_OK;
    return REDUCE(reduce_bcast, buf, n, MPI_FLOAT, MPI_SUM);
}

int gn__dist_allreduce_sum_u64(uint64_t *buf, size_t n) {
    if (!reduction_counted(n * sizeof *buf)) return GN_OK;
    return REDUCE(allreduce_exact, buf, n, MPI_UINT64_T, MPI_SUM);
}

int gn__dist_allreduce_or(uint64_t *buf, size_t n) {
    if (!reduction_counted(n * sizeof *buf)) return GN_OK;
    return REDUCE(allreduce_exact, buf, n, MPI_UINT64_T, MPI_BOR);
}

int gn__dist_allgather_rows_float(float *buf, size_t width, const uint64_t *lo) {
    if (!reduction_counted((size_t)(lo[dist.rank + 1] - lo[dist.rank]) * width * sizeof *buf)) return GN_OK;
#if GN_HAVE_MPI
    if (width == 0 || width > INT_MAX || lo[dist.size] > INT_MAX)
        return gn__fail(GN_ELIMIT, "rank %d: gathering %llu rows of %zu floats: more than MPI's int counts hold",
                        dist.rank, (unsigned long long)lo[dist.size], width);
    int *counts = malloc(2 * (size_t)dist.size * sizeof *counts);
    if (!counts) return gn__fail(GN_ENOMEM, "rank %d: out of memory", dist.rank);
    int *displs = counts + dist.size;
    for (int r = 0; r < dist.size; r++) {
        counts[r] = (int)(lo[r + 1] - lo[r]);
        displs[r] = (int)lo[r];
    }
    MPI_Datatype row;
    int rc = MPI_Type_contiguous((int)width, MPI_FLOAT, &row);
    if (rc == MPI_SUCCESS && (rc = MPI_Type_commit(&row)) == MPI_SUCCESS) {
        rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, row, MPI_COMM_WORLD);
        MPI_Type_free(&row);
    }
    free(counts);
    return rc == MPI_SUCCESS ? GN_OK : mpi_fail(rc, "Allgatherv");
#else
    (void)buf;
    return GN_OK; /* dist.size is always 1 without MPI */
#endif
}

void gn__dist_finalize(void) {
#if GN_HAVE_MPI
    if (dist.mpi && !dist.finalized) {
        int fin = 0;
        MPI_Finalized(&fin);
        if (!fin) MPI_Finalize();
        dist.finalized = 1;
    }
#endif
}

void gn__dist_abort(int code) {
#if GN_HAVE_MPI
    if (dist.mpi && !dist.finalized && dist.size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#else
    (void)code;
#endif
}

/* ---- public wrappers (gannet/dist.h) -------------------------------------------------------- */

gn_status gn_dist_init(void) { return gn__dist_init(); }
int gn_dist_rank(void) { return gn__dist_rank(); }
int gn_dist_size(void) { return gn__dist_size(); }
int gn_dist_failed_together(void) { return gn__dist_failed_together(); }
void gn_dist_abort(int exit_code) { gn__dist_abort(exit_code); }
void gn_dist_finalize(void) { gn__dist_finalize(); }
