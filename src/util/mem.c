/* util/mem.c: table allocation (mmap + transparent huge pages), growable arrays on huge pages,
 * and RSS readings: where gannet asks the kernel for huge pages. */
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define GN_MMAP_THRESHOLD ((size_t)2 << 20)

void *gn__table_alloc(size_t bytes) {
    if (bytes == 0) bytes = 64;
    if (bytes < GN_MMAP_THRESHOLD) {
        void *p = NULL;
        if (posix_memalign(&p, 64, bytes) != 0) return NULL;
        memset(p, 0, bytes);
        return p;
    }
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* advisory: ignored where THP is off */
#endif
    return p;
}

void gn__table_free(void *p, size_t bytes) {
    if (!p) return;
    if (bytes == 0) bytes = 64;
    if (bytes < GN_MMAP_THRESHOLD) free(p);
    else munmap(p, bytes);
}

/* Arrays of 1 to 32 MiB go in 2 MiB-aligned blocks that the kernel may back with huge pages:
 * filling them then costs one page fault per 2 MiB instead of one per 4 KiB, which on a virtual
 * machine is much of the cost of reading a small data set into memory (a9a: 2/3 of it). Larger
 * arrays keep ordinary pages: there the faults are a small part of the parsing time, and a few
 * hundred huge pages may cost more to find than they save (sporadic stalls of seconds were seen
 * with a 130 MB input). The memory is an ordinary heap block (realloc and free work on it). */
#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_MAX ((size_t)32 << 20)

int gn__grow_block(void **p, size_t used, size_t bytes) {
#if defined(MADV_HUGEPAGE)
    if (bytes >= HUGE_PAGE / 2 && bytes <= HUGE_MAX) { /* rounded up: at most one huge page more */
        const size_t size = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        void *q = NULL;
        if (posix_memalign(&q, HUGE_PAGE, size) == 0) {
            (void)madvise(q, size, MADV_HUGEPAGE); /* advice only: fine if refused */
            if (used) memcpy(q, *p, used);
            free(*p);
            *p = q;
            return 0;
        }
    }
#endif
    void *q = realloc(*p, bytes ? bytes : 1);
    if (!q) return -1;
    *p = q;
    return 0;
}

uint64_t gn__memory_quarter(void) {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return (uint64_t)1 << 30;
    return (uint64_t)pages * (uint64_t)page / 4;
}

size_t gn__peak_rss(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (size_t)ru.ru_maxrss * 1024;
}

const char *gn__bytes_text(uint64_t bytes, char *buf, size_t size) {
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) {
        snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
        return buf;
    }
    double v = (double)bytes / 1024.0;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof units / sizeof *units) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, size, "%.1f %s", v, units[u]);
    return buf;
}
