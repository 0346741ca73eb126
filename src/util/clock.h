/* util/clock.h: monotonic time in seconds. */
#ifndef GN_UTIL_CLOCK_H
#define GN_UTIL_CLOCK_H

#include <time.h>

static inline double gn__now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
