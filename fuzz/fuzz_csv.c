/* fuzz/fuzz_csv.c: libFuzzer target for the CSV reader as exported tables reach it: RFC 4180
 * records (quoted separators, quotes and newlines inside quoted fields), a UTF-8 BOM, CRLF,
 * missing-value tokens, header detection, column roles by index or name, label dictionaries.
 * Byte 0 picks separator, header rule, --skip-bad, label kind and log-numeric; byte 1 the bits;
 * then three '\n'-terminated fields give the label column, the categorical columns and the NA
 * tokens; the rest is the file. Invariants: an error comes with a message; every slot is inside
 * the hash space and every value finite; a file that reads without error gives exactly the same
 * example keys when read as 2 and as 3 parts (records that span lines never split). */
#include <math.h>

#include "fuzz_common.h"
#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/source.h"

static void check_batch(const gn_data_spec *spec, const gn_batch *b) {
    FUZZ_ASSERT(b->n > 0 && b->n <= 8);
    for (size_t i = 0; i < b->nnz; i++) {
        FUZZ_ASSERT(b->index[i] < ((uint32_t)1 << spec->bits));
        FUZZ_ASSERT(isfinite(b->value[i]));
    }
    for (size_t e = 0; e < b->n; e++) FUZZ_ASSERT(b->start[e] <= b->start[e + 1] && b->start[e + 1] <= b->nnz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || size > (1u << 20)) return 0;
    fuzz_input in = {data, size};
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.format = GN_FORMAT_CSV;
    const uint8_t cfg = fuzz_byte(&in);
    static const char seps[4] = {',', '\t', ';', 0};
    spec.sep = seps[cfg & 3];
    spec.header = (int)((cfg >> 2) % 3) - 1;
    spec.skip_bad = (cfg >> 4) & 1;
    spec.label_kind = (gn_label_kind)((cfg >> 5) % 3);
    spec.log_numeric = (cfg >> 7) & 1;
    const uint8_t bits = fuzz_byte(&in);
    spec.bits = 8 + (bits & 7);
    spec.na_defaults = (bits >> 3) & 1;
    spec.max_line = (bits & 0x10) ? 256 : 4096;
    fuzz_field(&in, spec.label_col, sizeof spec.label_col);
    if (!spec.label_col[0]) strcpy(spec.label_col, "1");
    fuzz_field(&in, spec.categorical, 64);
    fuzz_field(&in, spec.na_values, 64);
    if (gn_data_spec_check(&spec) != GN_OK) {
        FUZZ_ASSERT(gn_last_error()[0] != '\0');
        return 0;
    }
    const char *path = fuzz_temp_file(in.p, in.n);
    gn_source *src = NULL;
    int st = gn__source_open(&spec, NULL, &path, 1, &src);
    if (st != GN_OK) {
        FUZZ_ASSERT(gn_last_error()[0] != '\0');
        return 0;
    }
    gn_batch b;
    if (gn__batch_init(&b, 8, 64) != GN_OK) abort();
    keys whole = {0};
    for (int iter = 0; iter < 1000000; iter++) {
        st = gn__source_next(src, &b, 8);
        if (st != GN_OK) break;
        check_batch(&spec, &b);
        fuzz_add_keys(&whole, &b);
    }
    FUZZ_ASSERT(st == GN_OK || st == GN_EOF || gn_last_error()[0] != '\0');
    gn__source_free(src);
    if (st == GN_EOF) {
        if (whole.n) qsort(whole.k, whole.n, sizeof *whole.k, fuzz_by_key);
        fuzz_check_parts(&spec, path, 2, &whole, &b);
        fuzz_check_parts(&spec, path, 3, &whole, &b);
    }
    free(whole.k);
    gn__batch_free(&b);
    return 0;
}
