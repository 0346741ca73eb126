/* fuzz/fuzz_common.h: small helpers shared by the libFuzzer targets: a byte reader over the fuzz
 * input and a private temp file to hand file-based APIs their input. */
#ifndef GN_FUZZ_COMMON_H
#define GN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A crash the fuzzer reports: an invariant of the library did not hold. */
#define FUZZ_ASSERT(cond) do { if (!(cond)) { fprintf(stderr, "fuzz assertion failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); abort(); } } while (0)

typedef struct fuzz_input {
    const uint8_t *p;
    size_t n;
} fuzz_input;

static inline uint8_t fuzz_byte(fuzz_input *in) {
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}

/* Copies bytes up to (not including) the next '\n' into dst (NUL-terminated, at most size-1). */
static inline void fuzz_field(fuzz_input *in, char *dst, size_t size) {
    size_t k = 0;
    while (in->n && *in->p != '\n') {
        if (k + 1 < size && *in->p != '\0') dst[k++] = (char)*in->p;
        in->p++;
        in->n--;
    }
    if (in->n) { in->p++; in->n--; }
    dst[k] = '\0';
}

/* Writes data to a per-process temp file and returns its path (static storage). */
static inline const char *fuzz_temp_file(const uint8_t *data, size_t n) {
    static char path[64];
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/gn-fuzz-%ld", dir && strlen(dir) < 32 ? dir : "/tmp", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (n && fwrite(data, 1, n, f) != n) abort();
    if (fclose(f) != 0) abort();
    return path;
}

#endif
