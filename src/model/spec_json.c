/* model/spec_json.c: a gn_data_spec as a JSON object and back. The object is stored in model file
 * headers (and cache headers and checkpoints), so the reader is strict: every key must be present
 * with the right type, and unknown keys are rejected, because a spec field this gannet does not
 * know would change how input is parsed and silently ignoring it would give wrong predictions.
 *
 * Keys: format ("auto"|"libsvm"|"csv"|"vw"), bits (integer), bias, libsvm_hash, skip_bad
 * (booleans), label_kind ("binary"|"real"|"none"), sep (a string of zero or one ASCII character;
 * "" means detect), header (integer -1|0|1), label_col, categorical, numeric, ignore (strings),
 * max_line (integer, bytes), log_numeric (boolean, optional: absent means false), na_values
 * (string) and na_defaults (boolean), both optional: a spec written before they existed read
 * only empty fields as missing, so absent means "" and false, and such a model still parses its
 * input exactly as it was trained (new specs always carry both); positive (string, optional:
 * written only when set, absent means ""); classes (string, optional likewise: --classes as given;
 * label_kind "class" for multiclass losses); nclasses (integer, optional: the number of classes of
 * a multiclass model or cache);
 * and the text and interaction keys, each written only
 * when not at its default and absent meaning the default: text (string, ""), ngrams (integer,
 * 1), skips (integer, 0), tf ("count"|"binary"|"log", "count"), idf and normalize_rows (booleans,
 * false), interactions (string, ""); and the fields of kind ffm, written only when field_aware:
 * field_aware (boolean), fields (string, the request) and nfields (integer, resolved). A gannet that predates them refuses such a spec (unknown
 * key), as it must: it would parse the input differently. */
#include <string.h>

#include "io/labels.h"
#include "model/model.h"
#include "util/error.h"

static const char *label_kind_name(gn_label_kind kind) {
    switch (kind) {
    case GN_LABEL_BINARY: return "binary";
    case GN_LABEL_REAL: return "real";
    case GN_LABEL_NONE: return "none";
    case GN_LABEL_CLASS: return "class";
    }
    return "unknown";
}

static int label_kind_parse(const char *name) {
    if (strcmp(name, "binary") == 0) return GN_LABEL_BINARY;
    if (strcmp(name, "real") == 0) return GN_LABEL_REAL;
    if (strcmp(name, "none") == 0) return GN_LABEL_NONE;
    if (strcmp(name, "class") == 0) return GN_LABEL_CLASS;
    return -1;
}

static const char *tf_name(int tf) {
    switch (tf) {
    case GN_TF_BINARY: return "binary";
    case GN_TF_LOG: return "log";
    default: return "count";
    }
}

static int tf_parse(const char *name) {
    if (strcmp(name, "count") == 0) return GN_TF_COUNT;
    if (strcmp(name, "binary") == 0) return GN_TF_BINARY;
    if (strcmp(name, "log") == 0) return GN_TF_LOG;
    return -1;
}

/* Steals value into obj under key; returns 0 on failure (value is released either way). */
static int put(json_t *obj, const char *key, json_t *value) {
    if (!value) return 0;
    return json_object_set_new(obj, key, value) == 0;
}

json_t *gn__spec_to_json(const gn_data_spec *spec) {
    if (!spec) return NULL;
    json_t *obj = json_object();
    if (!obj) return NULL;
    char sep[2] = {spec->sep, '\0'};
    int ok = put(obj, "format", json_string(gn_format_name(spec->format))) &&
             put(obj, "bits", json_integer((json_int_t)spec->bits)) &&
             put(obj, "bias", json_boolean(spec->bias)) &&
             put(obj, "libsvm_hash", json_boolean(spec->libsvm_hash)) &&
             put(obj, "label_kind", json_string(label_kind_name(spec->label_kind))) &&
             put(obj, "sep", json_string(sep)) &&
             put(obj, "header", json_integer(spec->header)) &&
             put(obj, "label_col", json_string(spec->label_col)) &&
             put(obj, "categorical", json_string(spec->categorical)) &&
             put(obj, "numeric", json_string(spec->numeric)) &&
             put(obj, "ignore", json_string(spec->ignore)) &&
             put(obj, "max_line", json_integer((json_int_t)spec->max_line)) &&
             put(obj, "skip_bad", json_boolean(spec->skip_bad)) &&
             put(obj, "log_numeric", json_boolean(spec->log_numeric)) &&
             put(obj, "na_values", json_string(spec->na_values)) &&
             put(obj, "na_defaults", json_boolean(spec->na_defaults));
    /* only when set, so that specs without it read as before (and in older gannets) */
    if (ok && spec->positive[0]) ok = put(obj, "positive", json_string(spec->positive));
    if (ok && spec->classes[0]) ok = put(obj, "classes", json_string(spec->classes));
    if (ok && spec->nclasses) ok = put(obj, "nclasses", json_integer(spec->nclasses));
    if (ok && spec->text[0]) ok = put(obj, "text", json_string(spec->text));
    if (ok && spec->ngrams != 1) ok = put(obj, "ngrams", json_integer((json_int_t)spec->ngrams));
    if (ok && spec->skips) ok = put(obj, "skips", json_integer((json_int_t)spec->skips));
    if (ok && spec->tf != GN_TF_COUNT) ok = put(obj, "tf", json_string(tf_name(spec->tf)));
    if (ok && spec->idf) ok = put(obj, "idf", json_boolean(1));
    if (ok && spec->normalize_rows) ok = put(obj, "normalize_rows", json_boolean(1));
    if (ok && spec->interactions[0]) ok = put(obj, "interactions", json_string(spec->interactions));
    if (ok && spec->field_aware)
        ok = put(obj, "field_aware", json_boolean(1)) && put(obj, "fields", json_string(spec->fields)) &&
             put(obj, "nfields", json_integer((json_int_t)spec->nfields));
    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static const char *const spec_keys[] = {"format", "bits", "bias", "libsvm_hash", "label_kind",
                                        "sep", "header", "label_col", "categorical", "numeric",
                                        "ignore", "max_line", "skip_bad", "log_numeric", "na_values",
                                        "na_defaults", "positive", "classes", "nclasses", "text", "ngrams",
                                        "skips", "tf", "idf", "normalize_rows", "interactions",
                                        "field_aware", "fields", "nfields"};

static int get_key(const json_t *obj, const char *key, json_t **out) {
    *out = json_object_get(obj, key);
    if (!*out) return gn__fail(GN_EFORMAT, "spec: missing key '%s'", key);
    return GN_OK;
}

static int get_integer(const json_t *obj, const char *key, json_int_t lo, json_int_t hi, json_int_t *out) {
    json_t *v;
    GN_TRY(get_key(obj, key, &v));
    if (!json_is_integer(v)) return gn__fail(GN_EFORMAT, "spec: key '%s' must be an integer", key);
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return gn__fail(GN_EFORMAT, "spec: key '%s' is out of range (%lld not in %lld..%lld)", key, (long long)x,
                        (long long)lo, (long long)hi);
    *out = x;
    return GN_OK;
}

static int get_bool(const json_t *obj, const char *key, int *out) {
    json_t *v;
    GN_TRY(get_key(obj, key, &v));
    if (!json_is_boolean(v)) return gn__fail(GN_EFORMAT, "spec: key '%s' must be a boolean", key);
    *out = json_is_true(v) ? 1 : 0;
    return GN_OK;
}

/* Copies a string value into a fixed-size field (with its NUL). */
static int get_text(const json_t *obj, const char *key, char *field, size_t size) {
    json_t *v;
    GN_TRY(get_key(obj, key, &v));
    if (!json_is_string(v)) return gn__fail(GN_EFORMAT, "spec: key '%s' must be a string", key);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len) return gn__fail(GN_EFORMAT, "spec: key '%s' contains a NUL character", key);
    if (len >= size) return gn__fail(GN_EFORMAT, "spec: key '%s' is longer than %zu bytes", key, size - 1);
    memcpy(field, s, len + 1);
    return GN_OK;
}

int gn__spec_from_json(const json_t *obj, gn_data_spec *spec) {
    if (!obj || !spec) return gn__fail(GN_EINVAL, "spec: NULL argument");
    if (!json_is_object(obj)) return gn__fail(GN_EFORMAT, "spec: must be a JSON object");
    const char *key;
    json_t *value;
    /* json_object_foreach takes a non-const object but only reads it. */
    json_object_foreach((json_t *)obj, key, value) {
        size_t i = 0;
        while (i < sizeof spec_keys / sizeof spec_keys[0] && strcmp(spec_keys[i], key) != 0) i++;
        if (i == sizeof spec_keys / sizeof spec_keys[0])
            return gn__fail(GN_EFORMAT, "spec: unknown key '%s'", key);
    }

    gn_data_spec s;
    memset(&s, 0, sizeof s);
    json_t *v;
    json_int_t x;
    char name[16];

    GN_TRY(get_text(obj, "format", name, sizeof name));
    int format = gn_format_parse(name);
    if (format < 0) return gn__fail(GN_EFORMAT, "spec: key 'format' has unknown value '%s'", name);
    s.format = (gn_format)format;
    GN_TRY(get_integer(obj, "bits", 1, GN_MAX_BITS, &x));
    s.bits = (uint32_t)x;
    GN_TRY(get_bool(obj, "bias", &s.bias));
    GN_TRY(get_bool(obj, "libsvm_hash", &s.libsvm_hash));
    GN_TRY(get_text(obj, "label_kind", name, sizeof name));
    int kind = label_kind_parse(name);
    if (kind < 0) return gn__fail(GN_EFORMAT, "spec: key 'label_kind' has unknown value '%s'", name);
    s.label_kind = (gn_label_kind)kind;
    GN_TRY(get_key(obj, "sep", &v));
    if (!json_is_string(v) || json_string_length(v) > 1)
        return gn__fail(GN_EFORMAT, "spec: key 'sep' must be a string of at most one character");
    s.sep = json_string_value(v)[0];
    GN_TRY(get_integer(obj, "header", -1, 1, &x));
    s.header = (int)x;
    GN_TRY(get_text(obj, "label_col", s.label_col, sizeof s.label_col));
    GN_TRY(get_text(obj, "categorical", s.categorical, sizeof s.categorical));
    GN_TRY(get_text(obj, "numeric", s.numeric, sizeof s.numeric));
    GN_TRY(get_text(obj, "ignore", s.ignore, sizeof s.ignore));
    /* The upper bound only keeps the value inside size_t; gn_data_spec_check applies the real one. */
    json_int_t max_line_hi = (SIZE_MAX < (uint64_t)INT64_MAX) ? (json_int_t)SIZE_MAX : (json_int_t)INT64_MAX;
    GN_TRY(get_integer(obj, "max_line", 0, max_line_hi, &x));
    s.max_line = (size_t)x;
    GN_TRY(get_bool(obj, "skip_bad", &s.skip_bad));
    if (json_object_get(obj, "log_numeric")) GN_TRY(get_bool(obj, "log_numeric", &s.log_numeric)); /* added in format 1.1: optional */
    /* missing-value tokens: optional, absent = the behaviour before them (empty fields only) */
    if (json_object_get(obj, "na_values")) GN_TRY(get_text(obj, "na_values", s.na_values, sizeof s.na_values));
    s.na_defaults = 0;
    if (json_object_get(obj, "na_defaults")) GN_TRY(get_bool(obj, "na_defaults", &s.na_defaults));
    if (json_object_get(obj, "positive")) GN_TRY(get_text(obj, "positive", s.positive, sizeof s.positive)); /* optional */
    if (json_object_get(obj, "classes")) GN_TRY(get_text(obj, "classes", s.classes, sizeof s.classes)); /* optional */
    const json_t *nc = json_object_get(obj, "nclasses"); /* optional */
    if (nc && (!json_is_integer(nc) || json_integer_value(nc) < 2 || json_integer_value(nc) > GN_LABELS_MAX_CLASSES))
        return gn__fail(GN_EFORMAT, "spec: key 'nclasses' must be an integer in [2, %d]", GN_LABELS_MAX_CLASSES);
    if (nc) s.nclasses = (uint32_t)json_integer_value(nc);
    /* text and interactions: optional, absent = the default */
    if (json_object_get(obj, "text")) GN_TRY(get_text(obj, "text", s.text, sizeof s.text));
    s.ngrams = 1;
    if (json_object_get(obj, "ngrams")) {
        GN_TRY(get_integer(obj, "ngrams", 1, GN_MAX_NGRAMS, &x));
        s.ngrams = (uint32_t)x;
    }
    if (json_object_get(obj, "skips")) {
        GN_TRY(get_integer(obj, "skips", 0, GN_MAX_SKIPS, &x));
        s.skips = (uint32_t)x;
    }
    if (json_object_get(obj, "tf")) {
        GN_TRY(get_text(obj, "tf", name, sizeof name));
        int tf = tf_parse(name);
        if (tf < 0) return gn__fail(GN_EFORMAT, "spec: key 'tf' has unknown value '%s'", name);
        s.tf = tf;
    }
    if (json_object_get(obj, "idf")) GN_TRY(get_bool(obj, "idf", &s.idf));
    if (json_object_get(obj, "normalize_rows")) GN_TRY(get_bool(obj, "normalize_rows", &s.normalize_rows));
    if (json_object_get(obj, "interactions"))
        GN_TRY(get_text(obj, "interactions", s.interactions, sizeof s.interactions));
    if (json_object_get(obj, "field_aware")) { /* kind ffm: all three */
        GN_TRY(get_bool(obj, "field_aware", &s.field_aware));
        GN_TRY(get_text(obj, "fields", s.fields, sizeof s.fields));
        GN_TRY(get_integer(obj, "nfields", 0, GN_MAX_FIELDS, &x));
        s.nfields = (uint32_t)x;
    }

    if (gn_data_spec_check(&s) != GN_OK) return gn__fail_prefix(GN_EFORMAT, "spec");
    *spec = s;
    return GN_OK;
}
