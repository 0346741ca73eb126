/* util/cores.h: what a thread-count option of 0 ("all cores") resolves to, for every subsystem
 * that has one (training, batch solvers, model selection, the server). */
#ifndef GN_UTIL_CORES_H
#define GN_UTIL_CORES_H

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* How many processes a launcher (mpirun: Open MPI or MPICH) started on this machine; 1 if none. */
static inline long gn__local_ranks(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        char *end;
        long n = v && *v ? strtol(v, &end, 10) : 0;
        if (v && *v && !*end && n > 0) return n;
    }
    return 1;
}

/* t itself, or when t is 0 this process's share of the online cores (at least 1): all of them,
 * or under mpirun the cores divided by the ranks started on this machine, so that the ranks of a
 * node do not oversubscribe it. */
static inline uint32_t gn__threads_or_cores(uint32_t t) {
    if (t > 0) return t;
    long n = sysconf(_SC_NPROCESSORS_ONLN) / gn__local_ranks();
    return n > 0 ? (uint32_t)n : 1;
}

#endif
