/* test_spec.c: gn_data_spec defaults and check reasons (io/spec.c), format names, and the strict
 * JSON form of a spec (model/spec_json.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gannet/gannet.h"
#include "model/model.h"

static void test_defaults_pass_check(void **state) {
    (void)state;
    gn_data_spec s;
    memset(&s, 0x5a, sizeof s);
    gn_data_spec_init(&s);
    assert_int_equal(s.format, GN_FORMAT_AUTO);
    assert_int_equal(s.bits, GN_DEFAULT_BITS);
    assert_int_equal(s.bias, 1);
    assert_int_equal(s.libsvm_hash, 0);
    assert_int_equal(s.label_kind, GN_LABEL_BINARY);
    assert_int_equal(s.sep, 0);
    assert_int_equal(s.header, -1);
    assert_string_equal(s.label_col, "1");
    assert_string_equal(s.categorical, "");
    assert_string_equal(s.numeric, "");
    assert_string_equal(s.ignore, "");
    assert_true(s.max_line == GN_DEFAULT_MAX_LINE);
    assert_int_equal(s.skip_bad, 0);
    assert_string_equal(s.na_values, "");
    assert_int_equal(s.na_defaults, 1);
    assert_int_equal(gn_data_spec_check(&s), GN_OK);
}

/* Each broken field gives GN_EINVAL and a reason that names it. */
static void test_check_reasons(void **state) {
    (void)state;
    gn_data_spec s;

    gn_data_spec_init(&s);
    s.bits = 31;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "bits must be in [1, 30] (got 31)");
    s.bits = 0;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "bits must be in [1, 30] (got 0)");
    s.bits = 1;
    assert_int_equal(gn_data_spec_check(&s), GN_OK);
    s.bits = 30;
    assert_int_equal(gn_data_spec_check(&s), GN_OK);

    gn_data_spec_init(&s);
    s.max_line = 1023;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "max_line must be in [1024, 1073741824] (got 1023)");
    s.max_line = 1024;
    assert_int_equal(gn_data_spec_check(&s), GN_OK);

    gn_data_spec_init(&s);
    s.header = 2;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "header: unknown value 2 (auto|true|false)");
    s.header = 0;
    assert_int_equal(gn_data_spec_check(&s), GN_OK);

    gn_data_spec_init(&s);
    s.sep = '\n';
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "sep must be"));
    assert_non_null(strstr(gn_last_error(), "0x0a"));
    s.sep = '"';
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "0x22"));
    s.sep = (char)0xe9;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    s.sep = '\t';
    assert_int_equal(gn_data_spec_check(&s), GN_OK);
    s.sep = ';';
    assert_int_equal(gn_data_spec_check(&s), GN_OK);

    gn_data_spec_init(&s);
    s.label_col[0] = '\0';
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "label must not be empty");

    gn_data_spec_init(&s);
    memset(s.label_col, 'x', sizeof s.label_col); /* no terminator inside the array */
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "label is longer than 127 bytes");

    gn_data_spec_init(&s);
    memset(s.categorical, 'c', sizeof s.categorical);
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "categorical is longer than 1023 bytes");

    gn_data_spec_init(&s);
    strcpy(s.numeric, "caf\xc3"); /* truncated UTF-8 sequence */
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "numeric is not valid UTF-8");
    strcpy(s.numeric, "caf\xc3\xa9,price"); /* "café,price" */
    assert_int_equal(gn_data_spec_check(&s), GN_OK);
    strcpy(s.ignore, "\xed\xa0\x80"); /* a UTF-16 surrogate */
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "ignore is not valid UTF-8");

    gn_data_spec_init(&s);
    s.format = (gn_format)7;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "format: unknown value 7 (auto|libsvm|csv|vw|dir|libfm|libffm)");

    gn_data_spec_init(&s);
    s.label_kind = (gn_label_kind)4;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "label_kind must be binary, real, none or class (got 4)");

    gn_data_spec_init(&s);
    s.bias = 2;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "bias must be 0 or 1 (got 2)");

    gn_data_spec_init(&s);
    s.na_defaults = 2;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "default_na must be 0 or 1 (got 2)");
    gn_data_spec_init(&s);
    memset(s.na_values, 'n', sizeof s.na_values);
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "na_values is longer than 255 bytes");
    strcpy(s.na_values, "\xff");
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "na_values is not valid UTF-8");

    gn_data_spec_init(&s);
    s.skip_bad = -1;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    assert_string_equal(gn_last_error(), "skip_bad must be 0 or 1 (got -1)");

    assert_int_equal(gn_data_spec_check(NULL), GN_EINVAL);
}

static void test_format_names(void **state) {
    (void)state;
    const gn_format all[] = {GN_FORMAT_AUTO, GN_FORMAT_LIBSVM, GN_FORMAT_CSV, GN_FORMAT_VW};
    const char *names[] = {"auto", "libsvm", "csv", "vw"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(gn_format_name(all[i]), names[i]);
        assert_int_equal(gn_format_parse(names[i]), all[i]);
    }
    assert_int_equal(gn_format_parse("CSV"), -1);
    assert_int_equal(gn_format_parse(""), -1);
    assert_int_equal(gn_format_parse(NULL), -1);
    assert_string_equal(gn_format_name((gn_format)42), "unknown");
}

static void fill_unusual_spec(gn_data_spec *s) {
    gn_data_spec_init(s);
    s->format = GN_FORMAT_CSV;
    s->bits = 22;
    s->bias = 0;
    s->libsvm_hash = 1;
    s->label_kind = GN_LABEL_REAL;
    s->sep = '\t';
    s->header = 1;
    strcpy(s->label_col, "clicked");
    strcpy(s->categorical, "3-5,city");
    strcpy(s->numeric, "price,\"quoted\"\\back");
    strcpy(s->ignore, "id");
    s->max_line = 4096;
    s->skip_bad = 1;
    s->log_numeric = 1;
    strcpy(s->na_values, "-999,missing");
    s->na_defaults = 0;
}

static void assert_spec_equal(const gn_data_spec *a, const gn_data_spec *b) {
    assert_int_equal(a->format, b->format);
    assert_int_equal(a->bits, b->bits);
    assert_int_equal(a->bias, b->bias);
    assert_int_equal(a->libsvm_hash, b->libsvm_hash);
    assert_int_equal(a->label_kind, b->label_kind);
    assert_int_equal(a->sep, b->sep);
    assert_int_equal(a->header, b->header);
    assert_string_equal(a->label_col, b->label_col);
    assert_string_equal(a->categorical, b->categorical);
    assert_string_equal(a->numeric, b->numeric);
    assert_string_equal(a->ignore, b->ignore);
    assert_true(a->max_line == b->max_line);
    assert_int_equal(a->skip_bad, b->skip_bad);
    assert_int_equal(a->log_numeric, b->log_numeric);
    assert_string_equal(a->na_values, b->na_values);
    assert_int_equal(a->na_defaults, b->na_defaults);
}

static void test_json_round_trip(void **state) {
    (void)state;
    gn_data_spec in, back;
    fill_unusual_spec(&in);
    json_t *obj = gn__spec_to_json(&in);
    assert_non_null(obj);
    assert_string_equal(json_string_value(json_object_get(obj, "format")), "csv");
    assert_string_equal(json_string_value(json_object_get(obj, "sep")), "\t");
    assert_string_equal(json_string_value(json_object_get(obj, "label_kind")), "real");
    assert_true(json_is_false(json_object_get(obj, "bias")));
    assert_int_equal(json_object_size(obj), 16);
    assert_string_equal(json_string_value(json_object_get(obj, "na_values")), "-999,missing");
    assert_true(json_is_false(json_object_get(obj, "na_defaults")));
    /* Through text too, as it travels in a model file. */
    char *text = json_dumps(obj, JSON_COMPACT);
    assert_non_null(text);
    json_t *parsed = json_loads(text, 0, NULL);
    assert_non_null(parsed);
    memset(&back, 0x77, sizeof back);
    assert_int_equal(gn__spec_from_json(parsed, &back), GN_OK);
    assert_spec_equal(&in, &back);
    free(text);
    json_decref(parsed);
    json_decref(obj);

    /* Defaults (sep 0 = detect is the empty string). */
    gn_data_spec_init(&in);
    obj = gn__spec_to_json(&in);
    assert_string_equal(json_string_value(json_object_get(obj, "sep")), "");
    assert_int_equal(gn__spec_from_json(obj, &back), GN_OK);
    assert_spec_equal(&in, &back);
    assert_int_equal(back.na_defaults, 1);

    /* A spec written before the missing-value keys (an old model file) keeps the behaviour it
     * was trained with: only empty fields are missing. */
    json_object_del(obj, "na_values");
    json_object_del(obj, "na_defaults");
    json_object_del(obj, "log_numeric");
    assert_int_equal(gn__spec_from_json(obj, &back), GN_OK);
    assert_string_equal(back.na_values, "");
    assert_int_equal(back.na_defaults, 0);
    assert_int_equal(back.log_numeric, 0);
    json_decref(obj);
}

/* Applies one edit to a valid spec object and expects GN_EFORMAT with the given message part;
 * the output spec must be left untouched. */
static void expect_bad(const char *key, json_t *value, const char *message_part) {
    gn_data_spec in, out, untouched;
    fill_unusual_spec(&in);
    json_t *obj = gn__spec_to_json(&in);
    assert_non_null(obj);
    if (value) json_object_set_new(obj, key, value);
    else json_object_del(obj, key);
    memset(&out, 0x33, sizeof out);
    memcpy(&untouched, &out, sizeof out);
    assert_int_equal(gn__spec_from_json(obj, &out), GN_EFORMAT);
    if (!strstr(gn_last_error(), message_part)) fail_msg("message '%s' lacks '%s'", gn_last_error(), message_part);
    assert_memory_equal(&out, &untouched, sizeof out);
    json_decref(obj);
}

static void test_json_strict(void **state) {
    (void)state;
    const char *keys[] = {"format", "bits", "bias", "libsvm_hash", "label_kind", "sep", "header",
                          "label_col", "categorical", "numeric", "ignore", "max_line", "skip_bad"};
    char want[64];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        snprintf(want, sizeof want, "spec: missing key '%s'", keys[i]);
        expect_bad(keys[i], NULL, want);
        /* An array is the wrong type for every key. */
        snprintf(want, sizeof want, "key '%s'", keys[i]);
        expect_bad(keys[i], json_array(), want);
    }
    expect_bad("bits", json_string("18"), "spec: key 'bits' must be an integer");
    expect_bad("bits", json_real(18.0), "spec: key 'bits' must be an integer");
    expect_bad("bits", json_integer(31), "spec: key 'bits' is out of range (31 not in 1..30)");
    expect_bad("bias", json_integer(1), "spec: key 'bias' must be a boolean");
    expect_bad("header", json_integer(-2), "spec: key 'header' is out of range");
    expect_bad("format", json_string("parquet"), "spec: key 'format' has unknown value 'parquet'");
    expect_bad("label_kind", json_string("multiclass"), "spec: key 'label_kind' has unknown value");
    expect_bad("sep", json_string(",;"), "spec: key 'sep' must be a string of at most one character");
    expect_bad("sep", json_string("\""), "spec: sep must be");
    expect_bad("max_line", json_integer(-5), "spec: key 'max_line' is out of range");
    expect_bad("max_line", json_integer(100), "spec: max_line must be in [1024, 1073741824]");
    expect_bad("label_col", json_string(""), "spec: label must not be empty");
    char long_col[200];
    memset(long_col, 'a', sizeof long_col - 1);
    long_col[sizeof long_col - 1] = '\0';
    expect_bad("label_col", json_string(long_col), "spec: key 'label_col' is longer than 127 bytes");
    expect_bad("label_col", json_stringn("a\0b", 3), "spec: key 'label_col' contains a NUL character");
    expect_bad("colour", json_string("blue"), "spec: unknown key 'colour'");
    expect_bad("na_values", json_integer(3), "spec: key 'na_values' must be a string");
    expect_bad("na_defaults", json_string("yes"), "spec: key 'na_defaults' must be a boolean");
    char long_na[300];
    memset(long_na, 'n', sizeof long_na - 1);
    long_na[sizeof long_na - 1] = '\0';
    expect_bad("na_values", json_string(long_na), "spec: key 'na_values' is longer than 255 bytes");

    gn_data_spec out;
    json_t *arr = json_array();
    assert_int_equal(gn__spec_from_json(arr, &out), GN_EFORMAT);
    assert_string_equal(gn_last_error(), "spec: must be a JSON object");
    json_decref(arr);
    assert_int_equal(gn__spec_from_json(NULL, &out), GN_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_pass_check),
        cmocka_unit_test(test_check_reasons),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_strict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
