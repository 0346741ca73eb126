/* fuzz/fuzz_source.c: libFuzzer target for the whole input path: a data file (plain, gzip or
 * zstd, detected from the content) read through the line reader, format detection and the
 * parsers by gn__source_open / gn__source_next, with --skip-bad on or off. Byte 0 picks the
 * options; the rest is the file. Errors must come with a message; nothing may crash or loop.
 * When one file reads without error, reading it as 2 and as 3 parts (gn__source_open_part:
 * byte ranges, CSV records that span lines) must give exactly the same example keys. */
#include "fuzz_common.h"
#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > (1u << 20)) return 0;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    uint8_t cfg = data[0];
    spec.skip_bad = cfg & 1;
    spec.max_line = (cfg & 2) ? 1024 : 4096;
    spec.bits = 10 + ((cfg >> 2) & 7);
    spec.label_kind = (gn_label_kind)((cfg >> 5) % 3);
    const char *path = fuzz_temp_file(data + 1, size - 1);
    const char *paths[2] = {path, path};
    gn_source *src = NULL;
    int st = gn__source_open(&spec, NULL, paths, (cfg & 0x80) ? 2 : 1, &src);
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
        FUZZ_ASSERT(b.n > 0 && b.n <= 8);
        for (size_t i = 0; i < b.nnz; i++) FUZZ_ASSERT(b.index[i] < ((uint32_t)1 << spec.bits));
        fuzz_add_keys(&whole, &b);
    }
    FUZZ_ASSERT(st == GN_OK || st == GN_EOF || gn_last_error()[0] != '\0');
    gn__source_free(src);
    if (st == GN_EOF && !(cfg & 0x80)) {
        if (whole.n) qsort(whole.k, whole.n, sizeof *whole.k, fuzz_by_key);
        fuzz_check_parts(&spec, path, 2, &whole, &b);
        fuzz_check_parts(&spec, path, 3, &whole, &b);
    }
    free(whole.k);
    gn__batch_free(&b);
    return 0;
}
