/* fuzz/fuzz_parser.c: libFuzzer target for the line parsers (LIBSVM, CSV/TSV, VW, libFM, libffm)
 * through the internal parser API. Input: byte 0 picks the format and flags, byte 1 the bits,
 * byte 2 the separator and, in its high nibble, the formats added later (0xA libFM, 0xB libffm,
 * 0xC byte 0's format field-aware as kind ffm reads it, 0xD libffm field-aware); then four
 * '\n'-terminated fields give --label, --categorical, --numeric and --ignore; the rest is data,
 * split into lines. Checks that every parsed feature slot is inside the hash space and every
 * value finite. */
#include <math.h>

#include "fuzz_common.h"
#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/fields.h"
#include "io/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input in = {data, size};
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    uint8_t cfg = fuzz_byte(&in);
    static const gn_format formats[4] = {GN_FORMAT_LIBSVM, GN_FORMAT_CSV, GN_FORMAT_VW, GN_FORMAT_CSV};
    spec.format = formats[cfg & 3];
    spec.header = (int)((cfg >> 2) % 3) - 1;
    spec.bias = (cfg >> 4) & 1;
    spec.libsvm_hash = (cfg >> 5) & 1;
    spec.label_kind = (gn_label_kind)((cfg >> 6) % 3);
    spec.bits = (uint32_t)(fuzz_byte(&in) % GN_MAX_BITS) + 1;
    uint8_t sep = fuzz_byte(&in);
    spec.sep = (sep & 1) ? '\t' : (sep & 2) ? ',' : (sep & 4) ? ';' : 0;
    spec.log_numeric = (sep >> 3) & 1;
    switch (sep >> 4) {
    case 0xA: spec.format = GN_FORMAT_LIBFM; break;
    case 0xB: spec.format = GN_FORMAT_LIBFFM; break;
    case 0xC: spec.field_aware = 1; break;
    case 0xD: spec.format = GN_FORMAT_LIBFFM; spec.field_aware = 1; break;
    default: break;
    }
    if (spec.field_aware) strcpy(spec.fields, spec.format == GN_FORMAT_VW ? "a,b,c" : spec.format == GN_FORMAT_LIBFFM ? "3" : "");
    fuzz_field(&in, spec.label_col, sizeof spec.label_col);
    if (!spec.label_col[0]) strcpy(spec.label_col, "1");
    fuzz_field(&in, spec.categorical, 64);
    fuzz_field(&in, spec.numeric, 64);
    fuzz_field(&in, spec.ignore, 64);
    if (gn_data_spec_check(&spec) != GN_OK) return 0;
    if (spec.format == GN_FORMAT_CSV && spec.sep == 0) spec.sep = ',';

    gn_parser *p = NULL;
    if (gn__parser_new(&spec, &p) != GN_OK) return 0;
    gn_batch b;
    if (gn__batch_init(&b, 16, 64) != GN_OK) {
        gn__parser_free(p);
        return 0;
    }
    char why[GN_WHY_MAX];
    const uint32_t nslots = (uint32_t)1 << spec.bits;
    int first = 1;
    const char *s = (const char *)in.p, *end = s + in.n;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
        char dsep;
        (void)gn__detect_format(s, len, &dsep);
        if (first) {
            first = 0;
            int h = gn__parser_first_line(p, s, len, why);
            if (h < 0) break;
            if (h == 1) goto next;
        }
        size_t before = b.n;
        int st = gn__parser_line(p, s, len, 0, &b, why);
        FUZZ_ASSERT(st == GN_OK || st == GN_EOF || st == GN_EPARSE || st == GN_ENOMEM || st == GN_ELIMIT);
        if (st == GN_OK) {
            FUZZ_ASSERT(b.n == before + 1);
            const gn_data_spec *rs = gn__parser_spec(p);
            const uint32_t span = rs->field_aware ? gn__field_span(rs->bits, rs->nfields) : 0;
            for (size_t i = b.start[before]; i < b.start[b.n]; i++) {
                FUZZ_ASSERT(b.index[i] < nslots);
                /* field-aware: a feature's slot is inside a field's range, only the bias at 0 */
                if (span) FUZZ_ASSERT(b.index[i] > 0 ? gn__slot_field(b.index[i], span, rs->nfields) < rs->nfields
                                                     : spec.bias && i == b.start[before]);
                FUZZ_ASSERT(isfinite(b.value[i]));
            }
            FUZZ_ASSERT(isfinite(b.label[before]) && isfinite(b.weight[before]));
        } else {
            FUZZ_ASSERT(b.n == before);
            if (st == GN_EPARSE) FUZZ_ASSERT(memchr(why, '\0', sizeof why) != NULL && why[0] != '\0');
        }
        if (b.n >= 16) gn__batch_clear(&b);
    next:
        if (!nl) break;
        s = nl + 1;
    }
    gn__batch_free(&b);
    gn__parser_free(p);
    return 0;
}
