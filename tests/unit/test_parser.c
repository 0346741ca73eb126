/* test_parser.c: the line parsers of io/parser.c (LIBSVM, CSV/TSV with column roles, VW text)
 * and format detection. Every parsed example is checked slot by slot: expected slots are
 * computed here from the hash functions of hash/hash.h, never copied from the parser's output. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gannet/gannet.h"
#include "hash/hash.h"
#include "io/batch.h"
#include "io/parser.h"

#define BITS 20u
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

static int parse_n(fixture *fx, const char *line, size_t len) {
    fx->why[0] = '\0';
    return gn__parser_line(fx->p, line, len, 7, &fx->b, fx->why);
}

/* Asserts that example e of b holds exactly the (slot, value) pairs given, in order. */
static void expect_features(const gn_batch *b, size_t e, size_t n, const uint32_t *slots, const float *vals) {
    assert_true(e < b->n);
    size_t s0 = b->start[e], s1 = b->start[e + 1];
    assert_int_equal(s1 - s0, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(b->index[s0 + i], slots[i]);
        assert_float_equal(b->value[s0 + i], vals[i], 1e-6 * (1.0 + (vals[i] < 0 ? -vals[i] : vals[i])));
    }
}

static void expect_error(fixture *fx, const char *line, const char *needle) {
    size_t n0 = fx->b.n, nnz0 = fx->b.nnz;
    assert_int_equal(parse(fx, line), GN_EPARSE);
    if (!strstr(fx->why, needle)) fail_msg("line '%s': reason '%s' lacks '%s'", line, fx->why, needle);
    assert_int_equal(fx->b.n, n0);     /* nothing appended */
    assert_int_equal(fx->b.nnz, nnz0); /* no stray features */
}

static uint32_t ns_feat(const char *ns, const char *f) {
    return gn__hash_feature(gn__hash_namespace(ns, strlen(ns)), f, strlen(f), MASK);
}
static uint32_t col_num(const char *col) { return gn__hash_feature(gn__hash_namespace(col, strlen(col)), "", 0, MASK); }
static uint32_t col_cat(const char *col, const char *v) {
    return gn__hash_category(gn__hash_namespace(col, strlen(col)), v, strlen(v), MASK);
}

/* ------------------------------------------------------------------ detection */

static void test_detect_format(void **state) {
    (void)state;
    char sep = 0;
    const char *l = "1 3:1 4:0.5";
    assert_int_equal(gn__detect_format(l, strlen(l), &sep), GN_FORMAT_LIBSVM);
    l = "-1 qid:3 3:1";
    assert_int_equal(gn__detect_format(l, strlen(l), &sep), GN_FORMAT_LIBSVM);
    l = "1 |f a b:2";
    assert_int_equal(gn__detect_format(l, strlen(l), &sep), GN_FORMAT_VW);
    sep = 0;
    l = "label,age,city";
    assert_int_equal(gn__detect_format(l, strlen(l), &sep), GN_FORMAT_CSV);
    assert_int_equal(sep, ',');
    l = "0\t12\tabc";
    assert_int_equal(gn__detect_format(l, strlen(l), &sep), GN_FORMAT_CSV);
    assert_int_equal(sep, '\t');
}

/* ------------------------------------------------------------------ LIBSVM */

static void test_libsvm_basic(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_LIBSVM);
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "+1 3:0.5 7:2 12:-1.25"), GN_OK);
    assert_int_equal(fx.b.n, 1);
    assert_float_equal(fx.b.label[0], 1.0f, 0);
    assert_float_equal(fx.b.weight[0], 1.0f, 0);
    assert_true(fx.b.key[0] == 7);
    expect_features(&fx.b, 0, 4, (uint32_t[]){0, 3, 7, 12}, (float[]){1, 0.5f, 2, -1.25f});

    /* -1 and 0 are the negative class, 1 the positive one */
    assert_int_equal(parse(&fx, "-1 1:1"), GN_OK);
    assert_int_equal(parse(&fx, "0 1:1"), GN_OK);
    assert_int_equal(parse(&fx, "1 1:1"), GN_OK);
    assert_int_equal(fx.b.n, 4);
    assert_float_equal(fx.b.label[1], -1.0f, 0);
    assert_float_equal(fx.b.label[2], -1.0f, 0);
    assert_float_equal(fx.b.label[3], 1.0f, 0);
    /* a label with no features is an example with only the bias */
    assert_int_equal(parse(&fx, "1"), GN_OK);
    expect_features(&fx.b, 4, 1, (uint32_t[]){0}, (float[]){1});
    /* explicit zeros are dropped */
    assert_int_equal(parse(&fx, "1 4:0 5:0.0 6:1"), GN_OK);
    expect_features(&fx.b, 5, 2, (uint32_t[]){0, 6}, (float[]){1, 1});
    fx_close(&fx);
}

static void test_libsvm_real_labels(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_LIBSVM);
    fixture fx;
    fx_open(&fx, &s);
    expect_error(&fx, "2.5 1:1", "not a binary label");
    expect_error(&fx, "0.5 1:1", "not a binary label");
    fx_close(&fx);

    s.label_kind = GN_LABEL_REAL;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "2.5 1:1"), GN_OK);
    assert_int_equal(parse(&fx, "-3.75e1 1:1"), GN_OK);
    assert_int_equal(parse(&fx, "0 1:1"), GN_OK);
    assert_float_equal(fx.b.label[0], 2.5f, 0);
    assert_float_equal(fx.b.label[1], -37.5f, 0);
    assert_float_equal(fx.b.label[2], 0.0f, 0); /* 0 stays 0 for regression */
    expect_error(&fx, "1e999 1:1", "label");
    fx_close(&fx);
}

static void test_libsvm_comments_qid_exponents_crlf(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_LIBSVM);
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "# a comment line"), GN_EOF);
    assert_int_equal(parse(&fx, "   # indented comment"), GN_EOF);
    assert_int_equal(parse(&fx, ""), GN_EOF);
    assert_int_equal(parse(&fx, "  \t "), GN_EOF);
    assert_int_equal(fx.b.n, 0);
    assert_int_equal(fx.b.nnz, 0);

    assert_int_equal(parse(&fx, "1 2:1 5:3 # 9:9 trailing comment"), GN_OK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, 2, 5}, (float[]){1, 1, 3});
    assert_int_equal(parse(&fx, "-1 qid:17 2:1 4:2"), GN_OK);
    expect_features(&fx.b, 1, 3, (uint32_t[]){0, 2, 4}, (float[]){1, 1, 2});
    assert_int_equal(parse(&fx, "1 4:6.27e-02 5:1E+3 6:-2.5e-1 7:.5"), GN_OK);
    expect_features(&fx.b, 2, 5, (uint32_t[]){0, 4, 5, 6, 7}, (float[]){1, 6.27e-02f, 1000.0f, -0.25f, 0.5f});
    assert_float_equal(fx.b.value[fx.b.start[2] + 1], 6.27e-02f, 0); /* exactly the nearest float */
    /* a CR left by a CRLF line end (when a caller did not strip it) is whitespace */
    assert_int_equal(parse(&fx, "1 3:1.5\r"), GN_OK);
    expect_features(&fx.b, 3, 2, (uint32_t[]){0, 3}, (float[]){1, 1.5f});
    assert_int_equal(parse(&fx, "-1\t3:1\t\t8:2  "), GN_OK); /* tabs and runs of blanks */
    expect_features(&fx.b, 4, 3, (uint32_t[]){0, 3, 8}, (float[]){1, 1, 2});
    fx_close(&fx);
}

static void test_libsvm_errors(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_LIBSVM);
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "1 1:1"), GN_OK); /* errors after it must not disturb it */
    expect_error(&fx, "1 3:abc", "'abc' is not a number");
    expect_error(&fx, "1 2:1 3:abc", "3");
    expect_error(&fx, "1 0:1", "index 0");
    expect_error(&fx, "3:1 4:1", "missing label");
    expect_error(&fx, "hello world", "label");
    expect_error(&fx, "1 hello", "hello");
    expect_error(&fx, "1 3", "3");
    expect_error(&fx, "1 3:", "not a number");
    expect_error(&fx, "1 -3:1", "-3");
    expect_error(&fx, "1 3:1x", "1x");
    expect_error(&fx, "1 3:1:2", "3");
    expect_error(&fx, "1 3:nan", "nan");
    expect_error(&fx, "1 3:inf", "inf");
    expect_error(&fx, "1 3:1e999", "1e999");
    expect_error(&fx, "abc 3:1", "label 'abc' is not a number");
    expect_error(&fx, "1 99999999999999999999999:1", "9999");
    assert_int_equal(fx.b.n, 1);
    expect_features(&fx.b, 0, 2, (uint32_t[]){0, 1}, (float[]){1, 1});
    /* prediction input: the label may be absent */
    fx_close(&fx);
    s.label_kind = GN_LABEL_NONE;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "3:1 4:2"), GN_OK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, 3, 4}, (float[]){1, 1, 2});
    fx_close(&fx);
}

static void test_libsvm_index_mapping(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_LIBSVM);
    s.bits = 4; /* 16 slots */
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "1 3:1 17:2 20:3"), GN_OK);
    /* direct: index mod 2^bits */
    expect_features(&fx.b, 0, 4, (uint32_t[]){0, 3, 17 % 16, 20 % 16}, (float[]){1, 1, 2, 3});
    /* an index that is 0 mod 2^bits must not land in the bias slot */
    assert_int_equal(parse(&fx, "1 16:5 32:7"), GN_OK);
    for (size_t i = fx.b.start[1] + 1; i < fx.b.start[2]; i++) assert_int_not_equal(fx.b.index[i], 0);
    fx_close(&fx);

    s.bits = BITS;
    s.libsvm_hash = 1;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "1 3:1 123456:2"), GN_OK);
    uint32_t h3 = gn__hash_feature(0, "3", 1, MASK), hbig = gn__hash_feature(0, "123456", 6, MASK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, h3, hbig}, (float[]){1, 1, 2});
    fx_close(&fx);

    s.libsvm_hash = 0;
    s.bias = 0;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "1 3:1 9:2"), GN_OK);
    expect_features(&fx.b, 0, 2, (uint32_t[]){3, 9}, (float[]){1, 2});
    assert_int_equal(parse(&fx, "1"), GN_OK); /* no features at all */
    expect_features(&fx.b, 1, 0, NULL, NULL);
    fx_close(&fx);
}

/* ------------------------------------------------------------------ CSV / TSV */

/* Feeds the first line; returns what gn__parser_first_line returned. */
static int first(fixture *fx, const char *line) {
    fx->why[0] = '\0';
    return gn__parser_first_line(fx->p, line, strlen(line), fx->why);
}

static void test_csv_header_detected(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,age,city"), 1); /* header consumed */
    assert_int_equal(gn__parser_columns(fx.p), 3);
    assert_int_equal(gn__parser_spec(fx.p)->header, 1);
    assert_int_equal(gn__parser_spec(fx.p)->sep, ',');
    assert_int_equal(parse(&fx, "1,42.5,Paris"), GN_OK);
    assert_int_equal(parse(&fx, "0, 7 ,Rome"), GN_OK); /* blanks around unquoted fields are trimmed */
    assert_float_equal(fx.b.label[0], 1.0f, 0);
    assert_float_equal(fx.b.label[1], -1.0f, 0);
    /* auto columns: numbers are numeric "age" features, text is categorical "city=value" */
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, col_num("age"), col_cat("city", "Paris")}, (float[]){1, 42.5f, 1});
    expect_features(&fx.b, 1, 3, (uint32_t[]){0, col_num("age"), col_cat("city", "Rome")}, (float[]){1, 7, 1});
    assert_int_not_equal(col_cat("city", "Paris"), col_cat("city", "Rome"));
    assert_int_not_equal(col_cat("city", "Paris"), col_cat("town", "Paris"));
    /* empty field = missing; a field count mismatch or a missing label is an error */
    assert_int_equal(parse(&fx, "1,,Oslo"), GN_OK);
    expect_features(&fx.b, 2, 2, (uint32_t[]){0, col_cat("city", "Oslo")}, (float[]){1, 1});
    assert_int_equal(parse(&fx, "1,3,"), GN_OK);
    expect_features(&fx.b, 3, 2, (uint32_t[]){0, col_num("age")}, (float[]){1, 3});
    expect_error(&fx, "1,2", "expected 3 fields, got 2");
    expect_error(&fx, "1,2,x,y", "expected 3 fields, got 4");
    expect_error(&fx, ",2,x", "column 1 ('y'): missing label");
    expect_error(&fx, "NA,2,x", "column 1 ('y'): missing label");
    expect_error(&fx, "2,2,x", "not a binary label");
    assert_int_equal(parse(&fx, ""), GN_EOF);
    fx_close(&fx);
}

static void test_csv_no_header(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    fixture fx;
    /* detection: the label field of the first line is a number, so it is data */
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "1,0.5,abc"), 0);
    assert_int_equal(gn__parser_spec(fx.p)->header, 0);
    assert_int_equal(parse(&fx, "1,0.5,abc"), GN_OK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, col_num("2"), col_cat("3", "abc")}, (float[]){1, 0.5f, 1});
    fx_close(&fx);

    /* forced off: a non-numeric first line is then a (bad) data line, not a header */
    s.header = 0;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,a,b"), 0);
    expect_error(&fx, "y,a,b", "label 'y' is not a number");
    fx_close(&fx);

    /* forced on: a numeric first line is consumed as the header */
    s.header = 1;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "1,2,3"), 1);
    assert_int_equal(parse(&fx, "1,5,6"), GN_OK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, col_num("2"), col_num("3")}, (float[]){1, 5, 6});
    fx_close(&fx);
}

static void test_csv_label_by_name_and_index(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    strcpy(s.label_col, "clicked");
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "a,b,clicked"), 1);
    assert_int_equal(parse(&fx, "3,4,1"), GN_OK);
    assert_int_equal(parse(&fx, "3,4,0"), GN_OK);
    assert_float_equal(fx.b.label[0], 1.0f, 0);
    assert_float_equal(fx.b.label[1], -1.0f, 0);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, col_num("a"), col_num("b")}, (float[]){1, 3, 4});
    fx_close(&fx);

    strcpy(s.label_col, "3");
    s.label_kind = GN_LABEL_REAL;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "1,2,7.5"), 0);
    assert_int_equal(parse(&fx, "1,2,7.5"), GN_OK);
    assert_float_equal(fx.b.label[0], 7.5f, 0);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, col_num("1"), col_num("2")}, (float[]){1, 1, 2});
    fx_close(&fx);

    strcpy(s.label_col, "nope");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "a,b,c"), -1);
    assert_non_null(strstr(fx.why, "no column 'nope'"));
    fx_close(&fx);
    strcpy(s.label_col, "9");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "1,2,3"), -1);
    assert_non_null(strstr(fx.why, "no column '9'"));
    fx_close(&fx);
}

static void test_csv_roles_and_ranges(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    s.header = 0;
    s.label_kind = GN_LABEL_REAL;
    strcpy(s.categorical, "15-40");
    strcpy(s.numeric, "2-3");
    strcpy(s.ignore, "41");
    /* 41 columns: label, 2..14 numbers, 15..40 numbers that must be taken as categories, 41 junk */
    char line[1024];
    size_t o = 0;
    o += (size_t)snprintf(line + o, sizeof line - o, "1.5");
    for (int c = 2; c <= 40; c++) o += (size_t)snprintf(line + o, sizeof line - o, ",%d", c * 10);
    o += (size_t)snprintf(line + o, sizeof line - o, ",junk");
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, line), 0);
    assert_int_equal(gn__parser_columns(fx.p), 41);
    assert_int_equal(parse(&fx, line), GN_OK);
    uint32_t slots[40];
    float vals[40];
    size_t n = 0;
    slots[n] = 0, vals[n++] = 1;
    char name[8], val[8];
    for (int c = 2; c <= 14; c++) {
        snprintf(name, sizeof name, "%d", c);
        slots[n] = col_num(name), vals[n++] = (float)(c * 10);
    }
    for (int c = 15; c <= 40; c++) {
        snprintf(name, sizeof name, "%d", c);
        snprintf(val, sizeof val, "%d", c * 10);
        slots[n] = col_cat(name, val), vals[n++] = 1;
    }
    expect_features(&fx.b, 0, n, slots, vals);
    /* --numeric columns must hold numbers (or be empty) */
    char bad[1024];
    memcpy(bad, line, sizeof bad);
    bad[4] = 'x'; /* "1.5,20,..." -> "1.5,x0,..." */
    expect_error(&fx, bad, "column 2: value 'x0' is not a number");
    fx_close(&fx);

    /* named role lists with a header, and bad lists */
    spec_for(&s, GN_FORMAT_CSV);
    strcpy(s.categorical, "zip");
    strcpy(s.ignore, "id");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,id,zip,x"), 1);
    assert_int_equal(parse(&fx, "1,12345,75001,2"), GN_OK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, col_cat("zip", "75001"), col_num("x")}, (float[]){1, 1, 2});
    fx_close(&fx);
    strcpy(s.categorical, "nothere");
    s.ignore[0] = '\0';
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,id,zip,x"), -1);
    assert_non_null(strstr(fx.why, "no column named 'nothere'"));
    fx_close(&fx);
    strcpy(s.categorical, "2-9");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,id,zip,x"), -1);
    assert_non_null(strstr(fx.why, "outside 1-4"));
    fx_close(&fx);
    strcpy(s.categorical, "1");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,id,zip,x"), -1);
    assert_non_null(strstr(fx.why, "label column"));
    fx_close(&fx);
}

static void test_csv_quotes_and_tsv(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,\"name, full\",q"), 1);
    assert_int_equal(parse(&fx, "1,\"hello, world\",\"say \"\"hi\"\"\""), GN_OK);
    expect_features(&fx.b, 0, 3,
                    (uint32_t[]){0, col_cat("name, full", "hello, world"), col_cat("q", "say \"hi\"")},
                    (float[]){1, 1, 1});
    assert_int_equal(parse(&fx, "\"1\",\"2.5\",\"\""), GN_OK); /* quoted number; quoted empty = missing */
    expect_features(&fx.b, 1, 2, (uint32_t[]){0, col_num("name, full")}, (float[]){1, 2.5f});
    expect_error(&fx, "1,\"open,x", "unterminated quoted field");
    expect_error(&fx, "1,\"a\"b,x", "text after the closing quote");
    fx_close(&fx);

    /* TSV: the separator comes from the first line when not given */
    spec_for(&s, GN_FORMAT_CSV);
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y\tcity name\tn"), 1);
    assert_int_equal(gn__parser_spec(fx.p)->sep, '\t');
    assert_int_equal(parse(&fx, "0\tNew York, NY\t3"), GN_OK); /* commas are data in TSV */
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, col_cat("city name", "New York, NY"), col_num("n")},
                    (float[]){1, 1, 3});
    fx_close(&fx);

    /* an explicit separator */
    spec_for(&s, GN_FORMAT_CSV);
    s.sep = ';';
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y;a,b"), 1);
    assert_int_equal(gn__parser_columns(fx.p), 2);
    assert_int_equal(parse(&fx, "1;x,y"), GN_OK);
    expect_features(&fx.b, 0, 2, (uint32_t[]){0, col_cat("a,b", "x,y")}, (float[]){1, 1});
    fx_close(&fx);
}

static void test_csv_bad_bytes(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,a"), 1);
    assert_int_equal(parse(&fx, "1,caf\xc3\xa9"), GN_OK); /* valid UTF-8 */
    expect_features(&fx.b, 0, 2, (uint32_t[]){0, col_cat("a", "caf\xc3\xa9")}, (float[]){1, 1});
    expect_error(&fx, "1,caf\xe9", "invalid UTF-8 byte 0xe9 at column 6");
    expect_error(&fx, "1,\xff\xfe", "invalid UTF-8");
    expect_error(&fx, "1,\xc0\xaf", "invalid UTF-8"); /* overlong encoding of '/' */
    expect_error(&fx, "1,\xed\xa0\x80", "invalid UTF-8"); /* a UTF-16 surrogate */
    expect_error(&fx, "1,\xe2\x82", "invalid UTF-8"); /* cut short */
    static const char nul[] = "1,a\0b";
    size_t n0 = fx.b.n;
    assert_int_equal(parse_n(&fx, nul, sizeof nul - 1), GN_EPARSE);
    assert_non_null(strstr(fx.why, "NUL"));
    assert_int_equal(fx.b.n, n0);
    fx_close(&fx);

    /* the header line is checked too */
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,\xff"), -1);
    assert_non_null(strstr(fx.why, "UTF-8"));
    fx_close(&fx);
}

static void test_csv_clone_and_columns_json(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    strcpy(s.categorical, "c");
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,n,c"), 1);
    gn_parser *clone;
    assert_int_equal(gn__parser_clone(fx.p, &clone), GN_OK);
    assert_int_equal(gn__parser_line(clone, "1,2,3", 5, 0, &fx.b, fx.why), GN_OK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, col_num("n"), col_cat("c", "3")}, (float[]){1, 2, 1});
    json_t *cols = gn__parser_columns_json(fx.p);
    assert_non_null(cols);
    assert_int_equal(json_array_size(cols), 3);
    gn_parser *restored;
    assert_int_equal(gn__parser_new(gn__parser_spec(fx.p), &restored), GN_OK); /* the resolved spec, as a model stores it */
    assert_int_equal(gn__parser_load_columns(restored, cols), GN_OK);
    json_decref(cols);
    assert_int_equal(gn__parser_line(restored, "0,2,3", 5, 0, &fx.b, fx.why), GN_OK);
    expect_features(&fx.b, 1, 3, (uint32_t[]){0, col_num("n"), col_cat("c", "3")}, (float[]){1, 2, 1});
    assert_float_equal(fx.b.label[1], -1.0f, 0);
    gn__parser_free(restored);
    gn__parser_free(clone);
    fx_close(&fx);
}

/* Missing values: an empty field and the default tokens, quoted or not, add no feature in
 * numeric, categorical and auto columns alike (a missing category is not a category);
 * --na-values adds tokens, also number-like ones; na_defaults 0 keeps only those; a --numeric
 * column with any other text is still an error naming the column. */
static void test_csv_missing_values(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    strcpy(s.categorical, "city");
    strcpy(s.numeric, "age");
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,age,city,x"), 1);
    const char *missing[] = {"", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "?", "#N/A", "\"NA\"", " NA "};
    for (size_t i = 0; i < sizeof missing / sizeof *missing; i++) {
        char line[64];
        snprintf(line, sizeof line, "1,%s,%s,%s", missing[i], missing[i], missing[i]);
        size_t e = fx.b.n;
        if (parse(&fx, line) != GN_OK) fail_msg("line '%s': %s", line, fx.why);
        expect_features(&fx.b, e, 1, (uint32_t[]){0}, (float[]){1}); /* the bias alone */
    }
    /* not missing: other spellings are values (a category, or an error in a numeric column) */
    assert_int_equal(parse(&fx, "1,3,na,Na"), GN_OK);
    expect_features(&fx.b, fx.b.n - 1, 4, (uint32_t[]){0, col_num("age"), col_cat("city", "na"), col_cat("x", "Na")},
                    (float[]){1, 3, 1, 1});
    expect_error(&fx, "1,abc,x,1", "column 2 ('age'): value 'abc' is not a number");
    assert_int_equal(parse(&fx, "1,-999,x,"), GN_OK); /* without --na-values, -999 is a number */
    expect_features(&fx.b, fx.b.n - 1, 3, (uint32_t[]){0, col_num("age"), col_cat("city", "x")}, (float[]){1, -999, 1});
    fx_close(&fx);

    /* extra tokens, a number among them: -999 is missing even in numeric columns */
    strcpy(s.na_values, " -999 ,missing,");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,age,city,x"), 1);
    assert_int_equal(parse(&fx, "1,-999,missing,-999"), GN_OK);
    expect_features(&fx.b, 0, 1, (uint32_t[]){0}, (float[]){1});
    assert_int_equal(parse(&fx, "1,NA,-9990,?"), GN_OK); /* the defaults still apply */
    expect_features(&fx.b, 1, 2, (uint32_t[]){0, col_cat("city", "-9990")}, (float[]){1, 1});
    fx_close(&fx);

    /* defaults off: "NA" is a value again ('?' a category, "NA" in a numeric column an error) */
    s.na_defaults = 0;
    strcpy(s.na_values, "-999");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,age,city,x"), 1);
    assert_int_equal(parse(&fx, "1,,NA,?"), GN_OK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, col_cat("city", "NA"), col_cat("x", "?")}, (float[]){1, 1, 1});
    expect_error(&fx, "1,NA,a,b", "column 2 ('age'): value 'NA' is not a number");
    assert_int_equal(parse(&fx, "1,-999,a,-999"), GN_OK);
    expect_features(&fx.b, 1, 2, (uint32_t[]){0, col_cat("city", "a")}, (float[]){1, 1});
    fx_close(&fx);

    /* without a header, messages name the column by number */
    spec_for(&s, GN_FORMAT_CSV);
    s.header = 0;
    strcpy(s.numeric, "3");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "1,2,3"), 0);
    expect_error(&fx, "1,2,x", "column 3: value 'x' is not a number");
    expect_error(&fx, "1,2", "expected 3 fields, got 2");
    fx_close(&fx);

    /* named inputs (the server): a missing-value string adds nothing, as in a file */
    spec_for(&s, GN_FORMAT_CSV);
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,age,city"), 1);
    const char *names[] = {"age", "city"};
    const double vals[] = {0, 0};
    const char *strs[] = {"NA", "?"};
    assert_int_equal(gn__parser_named(fx.p, 2, names, vals, strs, &fx.b, fx.why), GN_OK);
    expect_features(&fx.b, 0, 1, (uint32_t[]){0}, (float[]){1});
    fx_close(&fx);
}

/* Quoted fields may hold newlines (a record from the reader's record mode); CRLF inside quotes
 * reads as LF, so a file saved with CRLF gives the same features as with LF. */
static void test_csv_multiline_fields(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,\"the\r\nnote\""), 1);
    assert_string_equal(gn__parser_spec(fx.p)->sep == ',' ? "," : "?", ",");
    assert_int_equal(parse(&fx, "1,\"a\r\nb, \"\"c\"\"\""), GN_OK);
    assert_int_equal(parse(&fx, "1,\"a\nb, \"\"c\"\"\""), GN_OK);
    expect_features(&fx.b, 0, 2, (uint32_t[]){0, col_cat("the\nnote", "a\nb, \"c\"")}, (float[]){1, 1});
    expect_features(&fx.b, 1, 2, (uint32_t[]){0, col_cat("the\nnote", "a\nb, \"c\"")}, (float[]){1, 1});
    fx_close(&fx);
}

/* Feeds a first line and a sample; returns what gn__parser_first_line_sampled returned. */
static int first_sampled(fixture *fx, const char *line, const char *const *sample, size_t n) {
    size_t len[32];
    for (size_t i = 0; i < n; i++) len[i] = strlen(sample[i]);
    fx->why[0] = '\0';
    return gn__parser_first_line_sampled(fx->p, line, strlen(line), sample, len, n, fx->why);
}

/* The header rule with a sample: a label column of strings cannot make data look like a header,
 * and a header is found by the numeric columns under it, or by names that are no values. */
static void test_csv_header_rule(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    s.label_kind = GN_LABEL_NONE;
    fixture fx;
    static const struct {
        const char *first;
        const char *sample[4];
        size_t n;
        int header;
    } cases[] = {
        /* string labels, numeric column: data, then a header */
        {"yes,39,paris", {"no,50,rome", "yes,41,paris"}, 2, 0},
        {"<=50K,39,State-gov", {">50K,50,Private"}, 1, 0},
        {"income,age,workclass", {"<=50K,39,State-gov", ">50K,50,Private"}, 2, 1},
        /* pandas' index column: an empty name over numbers; the text names decide */
        {",city,job", {"0,paris,x", "1,rome,y"}, 2, 1},
        {",2,3", {"0,5,6", "1,7,8"}, 2, 0},
        /* only text: names that are no values of their column, distinct, present */
        {"outlook,play", {"sunny,no", "rain,yes", "overcast,yes"}, 3, 1},
        {"sunny,no", {"rain,yes", "sunny,yes"}, 2, 0},
        {"a,a", {"x,y", "z,w"}, 2, 0},
        {"a,", {"x,y", "z,w"}, 2, 0},
        /* missing values do not count as text or numbers */
        {"y,n", {"1,NA", "0,?", "1,3"}, 3, 1},
        {"1,NA", {"0,2", "1,3"}, 2, 0},
        /* records with another field count are ignored; none left: the one-line rule */
        {"y,n", {"1", "1,2,3"}, 2, 1},
        {"yes,2", {"1"}, 1, 0},
        {"", {"1"}, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fx_open(&fx, &s);
        int h = first_sampled(&fx, cases[i].first, cases[i].sample, cases[i].n);
        if (h != cases[i].header) fail_msg("case %zu ('%s'): got %d (%s)", i, cases[i].first, h, fx.why);
        fx_close(&fx);
    }
    /* --header / --no-header win over the rule; a label by name means a header */
    s.header = 0;
    fx_open(&fx, &s);
    assert_int_equal(first_sampled(&fx, "income,age", (const char *[]){"x,1"}, 1), 0);
    fx_close(&fx);
    s.header = -1;
    strcpy(s.label_col, "income");
    fx_open(&fx, &s);
    assert_int_equal(gn__parser_needs_sample(fx.p), 0);
    assert_int_equal(first(&fx, "income,1"), 1);
    fx_close(&fx);
    strcpy(s.label_col, "1");
    fx_open(&fx, &s);
    assert_int_equal(gn__parser_needs_sample(fx.p), 1);
    fx_close(&fx);
}

/* --ignore by name, index and range, with and without a header. */
static void test_csv_ignore(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_CSV);
    strcpy(s.ignore, "id,4-5,7");
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,id,a,b,c,d,e"), 1);
    assert_int_equal(parse(&fx, "1,77,2,3,4,5,6"), GN_OK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, col_num("a"), col_num("d")}, (float[]){1, 2, 5});
    fx_close(&fx);
    spec_for(&s, GN_FORMAT_CSV);
    s.header = 0;
    strcpy(s.ignore, "2,4-5,7");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "1,77,2,3,4,5,6"), 0);
    assert_int_equal(parse(&fx, "1,77,2,3,4,5,6"), GN_OK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, col_num("3"), col_num("6")}, (float[]){1, 2, 5});
    fx_close(&fx);
    strcpy(s.ignore, "id");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "1,77,2"), -1);
    assert_non_null(strstr(fx.why, "--ignore: no column named 'id' (the data has no header"));
    fx_close(&fx);
}

/* ------------------------------------------------------------------ VW */

static void test_vw_basic(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_VW);
    fixture fx;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "1 |user age:32 premium |item premium price:9.5"), GN_OK);
    assert_float_equal(fx.b.label[0], 1.0f, 0);
    assert_float_equal(fx.b.weight[0], 1.0f, 0);
    expect_features(&fx.b, 0, 5,
                    (uint32_t[]){0, ns_feat("user", "age"), ns_feat("user", "premium"), ns_feat("item", "premium"),
                                 ns_feat("item", "price")},
                    (float[]){1, 32, 1, 1, 9.5f});
    /* the same feature name in two namespaces goes to two slots */
    assert_int_not_equal(ns_feat("user", "premium"), ns_feat("item", "premium"));

    /* importance weight and tag */
    assert_int_equal(parse(&fx, "-1 0.25 'ex42 |f a"), GN_OK);
    assert_float_equal(fx.b.label[1], -1.0f, 0);
    assert_float_equal(fx.b.weight[1], 0.25f, 0);
    expect_features(&fx.b, 1, 2, (uint32_t[]){0, ns_feat("f", "a")}, (float[]){1, 1});
    assert_int_equal(parse(&fx, "0 'tag_only |f a"), GN_OK);
    assert_float_equal(fx.b.label[2], -1.0f, 0);
    assert_float_equal(fx.b.weight[2], 1.0f, 0);
    assert_int_equal(parse(&fx, "1 3 bare_tag|f a"), GN_OK); /* a tag may touch the bar */
    assert_float_equal(fx.b.weight[3], 3.0f, 0);
    expect_features(&fx.b, 3, 2, (uint32_t[]){0, ns_feat("f", "a")}, (float[]){1, 1});

    /* the default (empty) namespace, a namespace scale, values in exponent form, zeros dropped */
    assert_int_equal(parse(&fx, "1 | a b:2e-1 c:0 |s:2 x:3"), GN_OK);
    expect_features(&fx.b, 4, 4, (uint32_t[]){0, ns_feat("", "a"), ns_feat("", "b"), ns_feat("s", "x")},
                    (float[]){1, 1, 0.2f, 6});
    /* UTF-8 feature names are fine */
    assert_int_equal(parse(&fx, "1 |w caf\xc3\xa9"), GN_OK);
    expect_features(&fx.b, 5, 2, (uint32_t[]){0, ns_feat("w", "caf\xc3\xa9")}, (float[]){1, 1});
    assert_int_equal(parse(&fx, "   "), GN_EOF);
    assert_int_equal(fx.b.n, 6);
    fx_close(&fx);
}

static void test_vw_labels_and_errors(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_VW);
    fixture fx;
    fx_open(&fx, &s);
    expect_error(&fx, "|f a b", "missing label");
    expect_error(&fx, "1 f a b", "no '|'");
    expect_error(&fx, "1 |f a:abc", "value 'abc' is not a number");
    expect_error(&fx, "1 -2 |f a", "non-negative");
    expect_error(&fx, "1 x y |f a", "importance weight 'x'");
    expect_error(&fx, "3 |f a", "not a binary label");
    expect_error(&fx, "yes |f a", "label 'yes' is not a number");
    expect_error(&fx, "1 |f:z a", "namespace scale");
    expect_error(&fx, "1 |f caf\xe9", "invalid UTF-8");
    static const char nul[] = "1 |f a\0b";
    assert_int_equal(parse_n(&fx, nul, sizeof nul - 1), GN_EPARSE);
    assert_int_equal(fx.b.n, 0);
    assert_int_equal(fx.b.nnz, 0);
    fx_close(&fx);

    s.label_kind = GN_LABEL_REAL;
    s.bias = 0;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "3.25 2 |f a:2"), GN_OK);
    assert_float_equal(fx.b.label[0], 3.25f, 0);
    assert_float_equal(fx.b.weight[0], 2.0f, 0);
    expect_features(&fx.b, 0, 1, (uint32_t[]){ns_feat("f", "a")}, (float[]){2});
    fx_close(&fx);

    s.label_kind = GN_LABEL_NONE;
    fx_open(&fx, &s);
    assert_int_equal(parse(&fx, "|f a"), GN_OK);
    assert_float_equal(fx.b.label[0], 0.0f, 0);
    fx_close(&fx);
}

/* Named inputs (gn_model_predict_named) land in the same slots as the same data in text form. */
static void test_named_inputs(void **state) {
    (void)state;
    gn_data_spec s;
    fixture fx;
    /* LIBSVM: decimal indices */
    spec_for(&s, GN_FORMAT_LIBSVM);
    fx_open(&fx, &s);
    const char *ln[] = {"3", "17"};
    const double lv[] = {0.5, 2};
    assert_int_equal(gn__parser_named(fx.p, 2, ln, lv, NULL, &fx.b, fx.why), GN_OK);
    assert_int_equal(parse(&fx, "1 3:0.5 17:2"), GN_OK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, 3, 17}, (float[]){1, 0.5f, 2});
    expect_features(&fx.b, 1, 3, (uint32_t[]){0, 3, 17}, (float[]){1, 0.5f, 2});
    const char *bad[] = {"abc"};
    assert_int_equal(gn__parser_named(fx.p, 1, bad, lv, NULL, &fx.b, fx.why), GN_EPARSE);
    assert_non_null(strstr(fx.why, "abc"));
    const char *zero[] = {"0"};
    assert_int_equal(gn__parser_named(fx.p, 1, zero, lv, NULL, &fx.b, fx.why), GN_EPARSE);
    const double nan_v[] = {NAN};
    assert_int_equal(gn__parser_named(fx.p, 1, ln, nan_v, NULL, &fx.b, fx.why), GN_EPARSE);
    assert_int_equal(fx.b.n, 2);
    assert_int_equal(fx.b.nnz, 6);
    fx_close(&fx);

    /* VW: "ns^feature" */
    spec_for(&s, GN_FORMAT_VW);
    fx_open(&fx, &s);
    const char *vn[] = {"user^age", "plain"};
    const double vv[] = {32, 1};
    assert_int_equal(gn__parser_named(fx.p, 2, vn, vv, NULL, &fx.b, fx.why), GN_OK);
    assert_int_equal(parse(&fx, "1 |user age:32 | plain"), GN_OK);
    expect_features(&fx.b, 0, 3, (uint32_t[]){0, ns_feat("user", "age"), ns_feat("", "plain")}, (float[]){1, 32, 1});
    expect_features(&fx.b, 1, 3, (uint32_t[]){0, ns_feat("user", "age"), ns_feat("", "plain")}, (float[]){1, 32, 1});
    fx_close(&fx);

    /* CSV: column names, numeric or categorical values */
    spec_for(&s, GN_FORMAT_CSV);
    strcpy(s.categorical, "zip");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,age,city,zip"), 1);
    const char *cn[] = {"age", "city", "zip"};
    const double cv[] = {40, 0, 75001};
    const char *cs[] = {NULL, "Paris", NULL};
    assert_int_equal(gn__parser_named(fx.p, 3, cn, cv, cs, &fx.b, fx.why), GN_OK);
    assert_int_equal(parse(&fx, "1,40,Paris,75001"), GN_OK);
    uint32_t want[] = {0, col_num("age"), col_cat("city", "Paris"), col_cat("zip", "75001")};
    expect_features(&fx.b, 0, 4, want, (float[]){1, 40, 1, 1});
    expect_features(&fx.b, 1, 4, want, (float[]){1, 40, 1, 1});
    fx_close(&fx);
}

/* Examples e1 and e2 of b hold the same features. */
static void expect_same_example(const gn_batch *b, size_t e1, size_t e2) {
    size_t a0 = b->start[e1], a1 = b->start[e1 + 1], b0 = b->start[e2], b1 = b->start[e2 + 1];
    assert_int_equal(a1 - a0, b1 - b0);
    assert_memory_equal(b->index + a0, b->index + b0, (a1 - a0) * sizeof *b->index);
    assert_memory_equal(b->value + a0, b->value + b0, (a1 - a0) * sizeof *b->value);
}

/* gn__parser_named on one instance, expecting GN_EPARSE with `why_part` in the reason and
 * nothing appended. */
static void expect_named_error(fixture *fx, size_t n, const char *const *names, const double *vals,
                               const char *const *strs, const char *why_part) {
    size_t before = fx->b.n, nnz = fx->b.nnz;
    fx->why[0] = '\0';
    assert_int_equal(gn__parser_named(fx->p, n, names, vals, strs, &fx->b, fx->why), GN_EPARSE);
    if (!strstr(fx->why, why_part)) fail_msg("why '%s' lacks '%s'", fx->why, why_part);
    assert_int_equal(fx->b.n, before);
    assert_int_equal(fx->b.nnz, nnz);
}

/* Named inputs of a CSV model (issue 13): a column by header name or by 1-based number, exactly
 * as its field in a line; the label and ignored columns add nothing; a name that is no column,
 * a column named twice and a value out of the float range are errors naming them, with the
 * same words as for a text line. Before, unknown names were dropped silently (a bias-only
 * prediction) and 1e300 became an infinite feature. */
static void test_named_csv_columns(void **state) {
    (void)state;
    gn_data_spec s;
    fixture fx;
    spec_for(&s, GN_FORMAT_CSV);
    strcpy(s.categorical, "city");
    strcpy(s.ignore, "id");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,id,age,city,income"), 1);
    assert_int_equal(parse(&fx, "1,7,40,Paris,58.5"), GN_OK); /* example 0 */
    const char *n1[] = {"y", "id", "age", "city", "income"};
    const double v1[] = {1, 7, 40, 0, 0};
    const char *s1[] = {NULL, NULL, NULL, "Paris", "58.5"};
    assert_int_equal(gn__parser_named(fx.p, 5, n1, v1, s1, &fx.b, fx.why), GN_OK);
    expect_same_example(&fx.b, 0, 1);
    const char *n2[] = {"3", "4", "5"};
    const double v2[] = {40, 0, 58.5};
    const char *s2[] = {NULL, "Paris", NULL};
    assert_int_equal(gn__parser_named(fx.p, 3, n2, v2, s2, &fx.b, fx.why), GN_OK);
    expect_same_example(&fx.b, 0, 2);
    const double one[] = {1, 2};
    expect_named_error(&fx, 1, (const char *[]){"Age"}, one, NULL, "feature 'Age': no such column (did you mean 'age'?)");
    expect_named_error(&fx, 1, (const char *[]){"nocol"}, one, NULL,
                       "feature 'nocol': no such column; the model's columns are y, id, age, city, income");
    expect_named_error(&fx, 1, (const char *[]){"6"}, one, NULL, "feature '6': no such column");
    expect_named_error(&fx, 1, (const char *[]){"0"}, one, NULL, "feature '0': no such column");
    expect_named_error(&fx, 2, (const char *[]){"age", "3"}, one, NULL, "column 3 ('age') given twice");
    /* the stamp is per instance: the next one may name the column again */
    assert_int_equal(gn__parser_named(fx.p, 1, (const char *[]){"3"}, one, NULL, &fx.b, fx.why), GN_OK);
    /* out of the float range: the text line's own words */
    assert_int_equal(parse(&fx, "1,7,1e300,Paris,1"), GN_EPARSE);
    char text_why[GN_WHY_MAX];
    snprintf(text_why, sizeof text_why, "%s", fx.why);
    assert_string_equal(text_why, "column 3 ('age'): value 1e+300 is out of range (32-bit float)");
    expect_named_error(&fx, 1, (const char *[]){"age"}, (const double[]){1e300}, NULL, text_why);
    expect_named_error(&fx, 1, (const char *[]){"income"}, one, (const char *[]){"3.5e38"},
                       "column 5 ('income'): value 3.5e+38 is out of range (32-bit float)");
    expect_named_error(&fx, 1, (const char *[]){"5"}, (const double[]){-3.5e38}, NULL, "out of range (32-bit float)");
    assert_int_equal(gn__parser_named(fx.p, 1, (const char *[]){"age"}, (const double[]){3.4e38}, NULL, &fx.b, fx.why),
                     GN_OK);
    fx_close(&fx);

    /* --log-numeric: the logarithm is what must fit, for lines and named inputs alike */
    spec_for(&s, GN_FORMAT_CSV);
    s.log_numeric = 1;
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,age"), 1);
    assert_int_equal(parse(&fx, "1,1e300"), GN_OK);
    assert_int_equal(gn__parser_named(fx.p, 1, (const char *[]){"age"}, (const double[]){1e300}, NULL, &fx.b, fx.why),
                     GN_OK);
    expect_same_example(&fx.b, 0, 1);
    fx_close(&fx);

    /* a --numeric column refuses text, as in a file */
    spec_for(&s, GN_FORMAT_CSV);
    strcpy(s.numeric, "age");
    fx_open(&fx, &s);
    assert_int_equal(first(&fx, "y,age"), 1);
    expect_named_error(&fx, 1, (const char *[]){"age"}, one, (const char *[]){"old"},
                       "column 2 ('age'): value 'old' is not a number");
    fx_close(&fx);

    /* LIBSVM and VW: the float range too */
    spec_for(&s, GN_FORMAT_LIBSVM);
    fx_open(&fx, &s);
    expect_named_error(&fx, 1, (const char *[]){"1"}, (const double[]){1e300}, NULL,
                       "feature '1': value 1e+300 is out of range (32-bit float)");
    expect_named_error(&fx, 1, (const char *[]){"1"}, (const double[]){3.5e38}, NULL, "out of range (32-bit float)");
    fx_close(&fx);
    spec_for(&s, GN_FORMAT_VW);
    fx_open(&fx, &s);
    expect_named_error(&fx, 1, (const char *[]){"u^age"}, (const double[]){-1e39}, NULL,
                       "feature 'u^age': value -1e+39 is out of range (32-bit float)");
    fx_close(&fx);
}

/* Many lines into one small batch: the batch grows and keeps every example intact. */
static void test_batch_growth(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, GN_FORMAT_LIBSVM);
    fixture fx;
    fx_open(&fx, &s);
    char line[4096];
    for (int e = 0; e < 300; e++) {
        size_t o = (size_t)snprintf(line, sizeof line, "%d", e % 2 ? 1 : -1);
        for (int f = 1; f <= (e % 37) + 1; f++) o += (size_t)snprintf(line + o, sizeof line - o, " %d:%d", f * 3, e + f);
        assert_int_equal(parse(&fx, line), GN_OK);
    }
    assert_int_equal(fx.b.n, 300);
    for (size_t e = 0; e < 300; e++) {
        size_t n = fx.b.start[e + 1] - fx.b.start[e];
        assert_int_equal(n, (e % 37) + 2);
        assert_int_equal(fx.b.index[fx.b.start[e]], 0);
        for (size_t f = 1; f < n; f++) {
            assert_int_equal(fx.b.index[fx.b.start[e] + f], f * 3);
            assert_float_equal(fx.b.value[fx.b.start[e] + f], (float)(e + f), 0);
        }
    }
    fx_close(&fx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_format),
        cmocka_unit_test(test_libsvm_basic),
        cmocka_unit_test(test_libsvm_real_labels),
        cmocka_unit_test(test_libsvm_comments_qid_exponents_crlf),
        cmocka_unit_test(test_libsvm_errors),
        cmocka_unit_test(test_libsvm_index_mapping),
        cmocka_unit_test(test_csv_header_detected),
        cmocka_unit_test(test_csv_no_header),
        cmocka_unit_test(test_csv_label_by_name_and_index),
        cmocka_unit_test(test_csv_roles_and_ranges),
        cmocka_unit_test(test_csv_quotes_and_tsv),
        cmocka_unit_test(test_csv_bad_bytes),
        cmocka_unit_test(test_csv_clone_and_columns_json),
        cmocka_unit_test(test_csv_missing_values),
        cmocka_unit_test(test_csv_multiline_fields),
        cmocka_unit_test(test_csv_header_rule),
        cmocka_unit_test(test_csv_ignore),
        cmocka_unit_test(test_vw_basic),
        cmocka_unit_test(test_vw_labels_and_errors),
        cmocka_unit_test(test_named_inputs),
        cmocka_unit_test(test_named_csv_columns),
        cmocka_unit_test(test_batch_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
