/* util/sorted.h: membership tests on ascending arrays of indices (the item lists of matrix
 * factorization: a user's seen items, exclusions, relevant test items). */
#ifndef GN_UTIL_SORTED_H
#define GN_UTIL_SORTED_H

#include <stddef.h>
#include <stdint.h>

/* 1 if x is one of v[0..n) (ascending), by binary search; 0 otherwise. */
static inline int gn__sorted_u32_has(const uint32_t *v, size_t n, uint32_t x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == x;
}

#endif
