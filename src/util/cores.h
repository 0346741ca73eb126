/* util/cores.h: what a thread-count option of 0 ("all cores") resolves to, for every subsystem
 * that has one (training, batch solvers, model selection, the server). */
#ifndef GN_UTIL_CORES_H
#define GN_UTIL_CORES_H

#include <stdint.h>
#include <unistd.h>

/* t itself, or the number of online cores (at least 1) when t is 0. */
static inline uint32_t gn__threads_or_cores(uint32_t t) {
    if (t > 0) return t;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
}

#endif
