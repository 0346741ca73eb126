/* util/mem.c: table allocation (mmap + transparent huge pages) and RSS readings. */
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

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

size_t gn__peak_rss(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (size_t)ru.ru_maxrss * 1024;
}
