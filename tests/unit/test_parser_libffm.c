/* test_parser_libffm.c: the libFM and libffm line formats of io/parser.c, field-aware hashing
 * (io/fields.h) of libffm, CSV and VW input, and detection of libffm lines. Expected slots are
 * computed here from the rules (LIBSVM slot of index + 1; the field's range), never copied from
 * the parser's output; bad lines give a reason and append nothing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gannet/gannet.h"
#include "hash/hash.h"
#include "io/batch.h"
#include "io/fields.h"
#include "io/parser.h"

#define BITS 12u
#define MASK ((1u << BITS) - 1u)

typedef struct fixture {
    gn_parser *p;
    gn_batch b;
    char why[GN_WHY_MAX];
} fixture;

static void spec_for(gn_data_spec *s, gn_format f) {
    gn_data_spec_init(s);
    s->format = f;
    s->bits = BITS;
}

static void fx_open(fixture *fx, const gn_data_spec *s) {
    memset(fx, 0, sizeof *fx);
    assert_int_equal(gn__parser_new(s, &fx->p), GN_OK);
    assert_int_equal(gn__batch_init(&fx->b, 4, 16), GN_OK);
}

static void fx_close(fixture *fx) {
    gn__parser_free(fx->p);
    gn__batch_free(&fx->b);
}

static int parse(fixture *fx, const char *line) {
    fx->why[0] = '\0';
    return gn__parser_line(fx->p, line, strlen(line), 7, &fx->b, fx->why);
}

/* Example e of b holds exactly these (slot, value) pairs, in any order (a batch sorts an
 * example's slots only when it merges repeated ones). */
static void expect_features(const gn_batch *b, size_t e, size_t n, const uint32_t *slots, const float *vals) {
    assert_true(e < b->n);
    size_t s0 = b->start[e], s1 = b->start[e + 1];
    assert_int_equal(s1 - s0, n);
    for (size_t i = 0; i < n; i++) {
        size_t j = s0;
        while (j < s1 && b->index[j] != slots[i]) j++;
        if (j == s1) fail_msg("example %zu lacks slot %u", e, (unsigned)slots[i]);
        assert_float_equal(b->value[j], vals[i], 1e-6);
    }
}

static void expect_error(fixture *fx, const char *line, const char *needle) {
    size_t n0 = fx->b.n, nnz0 = fx->b.nnz;
    assert_int_equal(parse(fx, line), GN_EPARSE);
    if (!strstr(fx->why, needle)) fail_msg("line '%s': reason '%s' lacks '%s'", line, fx->why, needle);
    assert_int_equal(fx->b.n, n0);
    assert_int_equal(fx->b.nnz, nnz0);
}

/* libFM: a real label, indices from 0 (index i in the slot of LIBSVM index i + 1). */
static void test_libfm(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_LIBFM);
    s.label_kind = GN_LABEL_REAL;
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "4.5 0:1 3:0.5 4095:2"), GN_OK);
    assert_float_equal(fx.b.label[0], 4.5, 1e-6);
    assert_int_equal(fx.b.n, 1);
    /* 4095 + 1 = 4096 wraps to slot 0, the bias's, so it goes to 1 (LIBSVM's rule) and merges
     * with index 0's feature */
    const uint32_t merged[] = {0, 1, 4};
    const float mv[] = {1, 3, 0.5f};
    expect_features(&fx.b, 0, 3, merged, mv);
    assert_int_equal(parse(&fx, "-1"), GN_OK); /* a label alone: the bias */
    expect_error(&fx, "1 0:x", "value 'x' is not a number");
    expect_error(&fx, "1 a:1", "expected index:value");
    expect_error(&fx, "y 0:1", "label 'y' is not a number");
    fx_close(&fx);
    /* binary labels as LIBSVM's: 1, -1 or 0 */
    spec_for(&s, GN_FORMAT_LIBFM);
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "0 2:1"), GN_OK);
    assert_float_equal(fx.b.label[0], -1.0, 0);
    expect_error(&fx, "0.5 2:1", "not a binary label");
    fx_close(&fx);
}

/* libffm without fields (kinds other than ffm): the index alone decides the slot. */
static void test_libffm_plain(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_LIBFFM);
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "1 0:5:1 7:9:0.25 # comment"), GN_OK);
    const uint32_t sl[] = {0, 6, 10};
    const float v[] = {1, 1, 0.25f};
    expect_features(&fx.b, 0, 3, sl, v);
    assert_int_equal(parse(&fx, "   "), GN_EOF);
    expect_error(&fx, "1 0:5", "expected field:index:value");
    expect_error(&fx, "1 0:5:", "value '' is not a number");
    expect_error(&fx, "1 0:5:1x", "value '1x' is not a number");
    expect_error(&fx, "1 -1:5:1", "expected field:index:value");
    expect_error(&fx, "1 0:5:1e39", "out of range");
    expect_error(&fx, "0:5:1", "missing label");
    fx_close(&fx);
}

/* libffm, field-aware: field f's features in its range; fields past --fields refused. */
static void test_libffm_fields(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_LIBFFM);
    s.field_aware = 1;
    gn_parser *p = NULL;
    assert_int_equal(gn__parser_new(&s, &p), GN_EINVAL); /* no --fields */
    assert_non_null(strstr(gn_last_error(), "--fields N"));
    strcpy(s.fields, "0");
    assert_int_equal(gn__parser_new(&s, &p), GN_EINVAL);
    strcpy(s.fields, "3");
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(gn__parser_spec(fx.p)->nfields, 3);
    const uint32_t span = gn__field_span(BITS, 3);
    assert_int_equal(parse(&fx, "1 0:5:1 2:5:2 1:3000:1"), GN_OK);
    const uint32_t a = gn__field_slot(6, 0, span), b = gn__field_slot(6, 2, span), c = gn__field_slot(3001, 1, span);
    assert_true(a < c && c < b);
    const uint32_t sl[] = {0, a, c, b};
    const float v[] = {1, 1, 1, 2};
    expect_features(&fx.b, 0, 4, sl, v);
    expect_error(&fx, "1 0:5:1 3:1:1", "field 3, but the data has 3 fields");
    fx_close(&fx);
    /* a model that says 4 fields against --fields 3 */
    s.nfields = 4;
    assert_int_equal(gn__parser_new(&s, &p), GN_EINVAL);
    /* too many fields for the slots */
    spec_for(&s, GN_FORMAT_LIBFFM);
    s.field_aware = 1;
    s.bits = 2;
    strcpy(s.fields, "3");
    assert_int_equal(gn__parser_new(&s, &p), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "raise --bits"));
}

/* CSV: each feature column (not the label, not ignored) is a field, in column order. */
static void test_csv_fields(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    s.header = 0;
    s.sep = ',';
    strcpy(s.ignore, "3");
    s.field_aware = 1;
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(gn__parser_first_line(fx.p, "1,u1,x,a7", 9, fx.why), 0);
    assert_int_equal(gn__parser_spec(fx.p)->nfields, 2);
    const uint32_t span = gn__field_span(BITS, 2);
    assert_int_equal(parse(&fx, "1,u1,x,a7"), GN_OK);
    const uint32_t u = gn__field_slot(gn__hash_category(gn__hash_namespace("2", 1), "u1", 2, MASK), 0, span);
    const uint32_t a = gn__field_slot(gn__hash_category(gn__hash_namespace("4", 1), "a7", 2, MASK), 1, span);
    const uint32_t sl[] = {0, u < a ? u : a, u < a ? a : u};
    const float v[] = {1, 1, 1};
    expect_features(&fx.b, 0, 3, sl, v);
    assert_int_equal(gn__slot_field(u, span, 2), 0);
    assert_int_equal(gn__slot_field(a, span, 2), 1);
    /* a clone (other threads) and a parser from the saved columns (a model's) hash alike */
    gn_parser *c = NULL, *m = NULL;
    assert_int_equal(gn__parser_clone(fx.p, &c), GN_OK);
    json_t *cols = gn__parser_columns_json(fx.p);
    assert_non_null(cols);
    assert_int_equal(gn__parser_new(gn__parser_spec(fx.p), &m), GN_OK);
    assert_int_equal(gn__parser_load_columns(m, cols), GN_OK);
    json_decref(cols);
    assert_int_equal(gn__parser_line(c, "0,u1,x,a7", 9, 8, &fx.b, fx.why), GN_OK);
    assert_int_equal(gn__parser_line(m, "0,u1,x,a7", 9, 9, &fx.b, fx.why), GN_OK);
    expect_features(&fx.b, 1, 3, sl, v);
    expect_features(&fx.b, 2, 3, sl, v);
    gn__parser_free(c);
    gn__parser_free(m);
    fx_close(&fx);
    strcpy(s.fields, "2");
    gn_parser *p = NULL;
    assert_int_equal(gn__parser_new(&s, &p), GN_EINVAL); /* CSV takes no --fields */
}

/* VW: the namespaces of --fields are the fields, in that order; others are refused. */
static void test_vw_fields(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_VW);
    s.field_aware = 1;
    gn_parser *p = NULL;
    assert_int_equal(gn__parser_new(&s, &p), GN_EINVAL);
    strcpy(s.fields, "u,u");
    assert_int_equal(gn__parser_new(&s, &p), GN_EINVAL);
    strcpy(s.fields, "u,ad");
    fixture fx;
    fx_open(&fx, &s);
    const uint32_t span = gn__field_span(BITS, 2);
    assert_int_equal(parse(&fx, "1 |ad x |u y:2"), GN_OK);
    const uint32_t x = gn__field_slot(gn__hash_feature(gn__hash_namespace("ad", 2), "x", 1, MASK), 1, span);
    const uint32_t y = gn__field_slot(gn__hash_feature(gn__hash_namespace("u", 1), "y", 1, MASK), 0, span);
    const uint32_t sl[] = {0, y, x};
    const float v[] = {1, 2, 1};
    expect_features(&fx.b, 0, 3, sl, v);
    expect_error(&fx, "1 |u y |c z", "namespace 'c' is not one of --fields");
    expect_error(&fx, "1 | y", "the unnamed namespace has no field");
    fx_close(&fx);
}

static void test_detect_libffm(void **state) {
    (void)state;
    const char *lines[] = {"1 0:3:1 1:4:1", "1 3:1 4:1", "1 |a x"};
    const gn_format want[] = {GN_FORMAT_LIBFFM, GN_FORMAT_LIBSVM, GN_FORMAT_VW};
    for (int i = 0; i < 3; i++) assert_int_equal(gn__detect_format(lines[i], strlen(lines[i]), NULL), want[i]);
    assert_int_equal(gn_format_parse("libfm"), GN_FORMAT_LIBFM);
    assert_int_equal(gn_format_parse("libffm"), GN_FORMAT_LIBFFM);
    assert_string_equal(gn_format_name(GN_FORMAT_LIBFFM), "libffm");
    /* field-aware specs need fields somewhere */
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_LIBSVM);
    s.field_aware = 1;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    s.format = GN_FORMAT_LIBFM;
    assert_int_equal(gn_data_spec_check(&s), GN_EINVAL);
    s.format = GN_FORMAT_LIBFFM;
    assert_int_equal(gn_data_spec_check(&s), GN_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libfm),
        cmocka_unit_test(test_libffm_plain),
        cmocka_unit_test(test_libffm_fields),
        cmocka_unit_test(test_csv_fields),
        cmocka_unit_test(test_vw_fields),
        cmocka_unit_test(test_detect_libffm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
