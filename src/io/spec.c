/* io/spec.c: the gn_data_spec defaults and validation, and the format names (gannet/data.h).
 * The JSON form of a spec (stored in model files) is in model/spec_json.c. */
#include <string.h>

#include "gannet/gannet.h"
#include "io/cross.h"
#include "util/error.h"
#include "util/utf8.h"

void gn_data_spec_init(gn_data_spec *spec) {
    if (!spec) return;
    memset(spec, 0, sizeof *spec);
    spec->format = GN_FORMAT_AUTO;
    spec->bits = GN_DEFAULT_BITS;
    spec->bias = 1;
    spec->libsvm_hash = 0;
    spec->label_kind = GN_LABEL_BINARY;
    spec->sep = 0;
    spec->header = -1;
    memcpy(spec->label_col, "1", 2);
    spec->max_line = GN_DEFAULT_MAX_LINE;
    spec->skip_bad = 0;
    spec->log_numeric = 0;
    spec->na_values[0] = '\0';
    spec->na_defaults = 1;
    spec->ngrams = 1;
    spec->skips = 0;
    spec->tf = GN_TF_COUNT;
}

/* A fixed-size string field must be NUL-terminated inside its array. */
static int field_terminated(const char *field, size_t size) { return memchr(field, '\0', size) != NULL; }

/* 1 if s is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF). Specs are
 * stored as JSON inside model files, and JSON text must be UTF-8. */
static int valid_utf8(const char *text) {
    const size_t n = strlen(text);
    return gn__utf8_invalid_at((const unsigned char *)text, n) == n;
}

/* Checks one column field: terminated inside its array and valid UTF-8. */
static int check_text_field(const char *name, const char *field, size_t size) {
    if (!field_terminated(field, size)) return gn__fail(GN_EINVAL, "%s is longer than %zu bytes", name, size - 1);
    if (!valid_utf8(field)) return gn__fail(GN_EINVAL, "%s is not valid UTF-8", name);
    return GN_OK;
}

gn_status gn_data_spec_check(const gn_data_spec *spec) {
    if (!spec) return gn__fail(GN_EINVAL, "data spec is NULL");
    /* ranges, flags and choices come from the parameter table (util/params.c) */
    GN_TRY(gn_param_check_data(spec));
    if ((int)spec->label_kind < GN_LABEL_BINARY || (int)spec->label_kind > GN_LABEL_CLASS)
        return gn__fail(GN_EINVAL, "label_kind must be binary, real, none or class (got %d)", (int)spec->label_kind);
    if (spec->sep == '\n' || spec->sep == '\r' || spec->sep == '"' || (unsigned char)spec->sep >= 0x80)
        return gn__fail(GN_EINVAL,
                        "sep must be an ASCII character other than newline, carriage return and double quote "
                        "(got 0x%02x)",
                        (unsigned)(unsigned char)spec->sep);
    GN_TRY(check_text_field("label", spec->label_col, sizeof spec->label_col));
    if (spec->label_col[0] == '\0') return gn__fail(GN_EINVAL, "label must not be empty");
    GN_TRY(check_text_field("categorical", spec->categorical, sizeof spec->categorical));
    GN_TRY(check_text_field("numeric", spec->numeric, sizeof spec->numeric));
    GN_TRY(check_text_field("ignore", spec->ignore, sizeof spec->ignore));
    GN_TRY(check_text_field("na_values", spec->na_values, sizeof spec->na_values));
    GN_TRY(check_text_field("positive", spec->positive, sizeof spec->positive));
    GN_TRY(check_text_field("classes", spec->classes, sizeof spec->classes));
    GN_TRY(check_text_field("text", spec->text, sizeof spec->text));
    GN_TRY(check_text_field("interactions", spec->interactions, sizeof spec->interactions));
    GN_TRY(check_text_field("fields", spec->fields, sizeof spec->fields));
    const int libsvm_like = spec->format == GN_FORMAT_LIBSVM || spec->format == GN_FORMAT_LIBFM ||
                            spec->format == GN_FORMAT_LIBFFM;
    if (libsvm_like && spec->text[0])
        return gn__fail(GN_EINVAL, "text: %s input has no text columns (use CSV/TSV, VW or --format dir)",
                        gn_format_name(spec->format));
    if (libsvm_like && spec->interactions[0])
        return gn__fail(GN_EINVAL, "interactions: %s input has no namespaces (use CSV/TSV or VW)",
                        gn_format_name(spec->format));
    if (spec->nfields > GN_MAX_FIELDS)
        return gn__fail(GN_EINVAL, "nfields must be at most %d (got %u)", GN_MAX_FIELDS, (unsigned)spec->nfields);
    if (spec->field_aware && (spec->format == GN_FORMAT_LIBSVM || spec->format == GN_FORMAT_LIBFM ||
                              spec->format == GN_FORMAT_DIR))
        return gn__fail(GN_EINVAL, "kind ffm needs fields: the columns of a CSV/TSV file, VW namespaces (--fields) "
                                   "or --format libffm; %s rows have none",
                        gn_format_name(spec->format));
    if (spec->interactions[0]) {
        gn_cross c;
        char why[256];
        if (gn__cross_compile(spec->interactions, &c, why) != GN_OK) return gn__fail(GN_EINVAL, "%s", why);
    }
    return GN_OK;
}

const char *gn_format_name(gn_format f) {
    switch (f) {
    case GN_FORMAT_AUTO: return "auto";
    case GN_FORMAT_DIR: return "dir";
    case GN_FORMAT_LIBSVM: return "libsvm";
    case GN_FORMAT_CSV: return "csv";
    case GN_FORMAT_VW: return "vw";
    case GN_FORMAT_LIBFM: return "libfm";
    case GN_FORMAT_LIBFFM: return "libffm";
    }
    return "unknown";
}

int gn_format_parse(const char *name) {
    if (!name) return -1;
    if (strcmp(name, "auto") == 0) return GN_FORMAT_AUTO;
    if (strcmp(name, "dir") == 0) return GN_FORMAT_DIR;
    if (strcmp(name, "libsvm") == 0) return GN_FORMAT_LIBSVM;
    if (strcmp(name, "csv") == 0) return GN_FORMAT_CSV;
    if (strcmp(name, "vw") == 0) return GN_FORMAT_VW;
    if (strcmp(name, "libfm") == 0) return GN_FORMAT_LIBFM;
    if (strcmp(name, "libffm") == 0) return GN_FORMAT_LIBFFM;
    return -1;
}
