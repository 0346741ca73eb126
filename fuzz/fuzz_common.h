/* fuzz/fuzz_common.h: small helpers shared by the libFuzzer targets: a byte reader over the fuzz
 * input, a private temp file to hand file-based APIs their input, the check that a file read by
 * parts gives the examples of the whole read, and a small synthetic linear model. */
#ifndef GN_FUZZ_COMMON_H
#define GN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/batch.h"
#include "io/source.h"
#include "model/model.h"

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

/* A finalized linear model for format/loss with 2^bits slots and deterministic weights
 * w[i] = ((i % wmod) - wmod / 2) * wscale. CSV models read ',' with no header and treat columns
 * 3-4 as categorical. extra (owned by the model; may be NULL) is set before finalizing. Aborts on
 * any failure. */
static inline gn_model *fuzz_linear_model(gn_format format, gn_loss loss, unsigned bits, int wmod, float wscale,
                                          json_t *extra) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.format = format;
    spec.bits = bits;
    spec.label_kind = GN_LABEL_NONE;
    if (format == GN_FORMAT_CSV) {
        spec.sep = ',';
        spec.header = 0;
        strcpy(spec.categorical, "3-4");
    }
    gn_model *m = NULL;
    if (gn__model_new(GN_KIND_LINEAR, loss, &spec, 1, &m) != GN_OK) abort();
    for (size_t i = 0; i < m->nweights; i++) m->w[i] = (float)((int)(i % (size_t)wmod) - wmod / 2) * wscale;
    m->extra = extra;
    if (gn__model_finalize(m) != GN_OK) abort();
    return m;
}

/* The example keys read from a source, to compare whole and part-wise reads (fuzz_source,
 * fuzz_csv). */
typedef struct keys {
    uint64_t *k;
    size_t n, cap;
} keys;

static inline void fuzz_add_keys(keys *ks, const gn_batch *b) {
    for (size_t i = 0; i < b->n; i++) {
        if (ks->n == ks->cap) {
            ks->cap = ks->cap ? ks->cap * 2 : 64;
            ks->k = realloc(ks->k, ks->cap * sizeof *ks->k);
            if (!ks->k) abort();
        }
        ks->k[ks->n++] = b->key[i];
    }
}

static inline int fuzz_by_key(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Reads parts 0..nparts-1 of path and checks their keys against the sequential read's. */
static inline void fuzz_check_parts(const gn_data_spec *spec, const char *path, uint32_t nparts, keys *whole, gn_batch *b) {
    keys got = {0};
    for (uint32_t part = 0; part < nparts; part++) {
        gn_source *src = NULL;
        int st = gn__source_open_part(spec, NULL, &path, 1, part, nparts, &src);
        FUZZ_ASSERT(st == GN_OK);
        while ((st = gn__source_next(src, b, 8)) == GN_OK) fuzz_add_keys(&got, b);
        FUZZ_ASSERT(st == GN_EOF);
        gn__source_free(src);
    }
    FUZZ_ASSERT(got.n == whole->n);
    if (got.n) qsort(got.k, got.n, sizeof *got.k, fuzz_by_key);
    for (size_t i = 0; i < got.n; i++) FUZZ_ASSERT(got.k[i] == whole->k[i]);
    free(got.k);
}

#endif
