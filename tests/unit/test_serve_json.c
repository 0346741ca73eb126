/* tests/unit/test_serve_json.c: serve/json_instances (the streaming predict-body reader) and
 * serve/predict_req: accepted shapes, decoded names and strings, numbers bit-identical to
 * strtod, every rejection with its HTTP status, limits, and predictions from JSON equal to the
 * same rows as text. Bodies are copied to exactly-sized heap blocks so ASan catches any read
 * past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gannet/gannet.h"
#include "model/model.h"
#include "serve/json_instances.h"
#include "serve/predict_req.h"

#define MAXF 64

/* What the callback saw: instance count and, for the last instance, its features. */
typedef struct seen {
    size_t instances, lines;
    size_t n;
    char names[MAXF][64];
    double values[MAXF];
    char strs[MAXF][64];
    int is_str[MAXF];
    char line[128];
    int fail_at; /* instance index at which the callback answers 422; -1 never */
} seen;

static int collect(void *ctx, size_t index, size_t n, const char *const *names, const double *values,
                   const char *const *strs, const char *line, size_t line_len, char *why, size_t why_size) {
    seen *s = ctx;
    if ((int)index == s->fail_at) {
        snprintf(why, why_size, "stop at %zu", index);
        return 422;
    }
    s->instances++;
    if (line) {
        s->lines++;
        snprintf(s->line, sizeof s->line, "%.*s", (int)line_len, line);
        return 0;
    }
    s->n = n;
    for (size_t i = 0; i < n && i < MAXF; i++) {
        snprintf(s->names[i], sizeof s->names[i], "%s", names[i]);
        s->values[i] = values[i];
        s->is_str[i] = strs[i] != NULL;
        snprintf(s->strs[i], sizeof s->strs[i], "%s", strs[i] ? strs[i] : "");
    }
    return 0;
}

static int run_body(const char *text, size_t len, size_t max_batch, seen *s, char *why) {
    char *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, text, len);
    memset(s, 0, sizeof *s);
    s->fail_at = -1;
    int st = gn__json_instances(buf, len, max_batch, 8, collect, s, why, 256);
    free(buf);
    return st;
}
static int run(const char *text, seen *s, char *why) { return run_body(text, strlen(text), 100, s, why); }

static void test_accepts(void **state) {
    (void)state;
    seen s;
    char why[256];
    assert_int_equal(run(" { \"instances\" : [ {\"a\": 1.5, \"city\": \"paris\", \"gone\": null} ] } ", &s, why), 200);
    assert_int_equal(s.instances, 1);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[0], "a");
    assert_true(s.values[0] == 1.5 && !s.is_str[0]);
    assert_string_equal(s.names[1], "city");
    assert_true(s.is_str[1]);
    assert_string_equal(s.strs[1], "paris");

    assert_int_equal(run("{\"signature\":{\"x\":[1,[2,{}],\"y\",true,false,null,-0.5e-3]},\"instances\":[{},\"1:2 3:4\"]}",
                         &s, why), 200);
    assert_int_equal(s.instances, 2);
    assert_int_equal(s.lines, 1);
    assert_string_equal(s.line, "1:2 3:4");

    assert_int_equal(run("{\"instances\":[]}", &s, why), 200);
    assert_int_equal(s.instances, 0);

    /* escapes and UTF-8 in names and values */
    assert_int_equal(run("{\"instances\":[{\"caf\\u00e9\":\"\\\"q\\\\/\\n\",\"\xc3\xa9t\xc3\xa9\":\"\\ud83d\\ude00\"}]}", &s, why), 200);
    assert_string_equal(s.names[0], "caf\xc3\xa9");
    assert_string_equal(s.strs[0], "\"q\\/\n");
    assert_string_equal(s.names[1], "\xc3\xa9t\xc3\xa9");
    assert_string_equal(s.strs[1], "\xf0\x9f\x98\x80");
}

static void test_numbers_match_strtod(void **state) {
    (void)state;
    static const char *const nums[] = {"0", "-0", "1", "-1", "0.1", "0.725447196", "1e5", "1E-5", "-2.5e+3",
                                       "123456789012345678", "9007199254740993", "1.7976931348623157e308",
                                       "4.9e-324", "0.30000000000000004", "6.2699720e-02", "1e-400"};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"instances\":[{\"x\":%s}]}", nums[i]);
        seen s;
        char why[256];
        assert_int_equal(run(body, &s, why), 200);
        double want = strtod(nums[i], NULL);
        if (memcmp(&want, &s.values[0], sizeof want) != 0) fail_msg("%s: got %a, strtod %a", nums[i], s.values[0], want);
    }
}

typedef struct bad_case {
    const char *body;
    int status;
    const char *why_part;
} bad_case;

static void test_rejects(void **state) {
    (void)state;
    static const bad_case cases[] = {
        {"", 400, "empty body"},
        {"   ", 400, "empty body"},
        {"[]", 400, "\"instances\" array"},
        {"{}", 400, "\"instances\" array"},
        {"{\"instances\":{}}", 400, "must be an array"},
        {"{\"instances\":[1]}", 400, "instance 0"},
        {"{\"instances\":[{\"a\":true}]}", 400, "value must be"},
        {"{\"instances\":[{\"a\":[1]}]}", 400, "value must be"},
        {"{\"instances\":[{\"a\":{}}]}", 400, "value must be"},
        {"{\"instances\":[{\"a\":1,\"a\":2}]}", 400, "given twice"},
        {"{\"instances\":[{\"a\":1}],\"instances\":[]}", 400, "given twice"},
        {"{\"instances\":[{\"a\":1}]", 400, "expected"},
        {"{\"instances\":[{\"a\":1}]} x", 400, "after the JSON"},
        {"{\"instances\":[{\"a\":01}]}", 400, "expected"},
        {"{\"instances\":[{\"a\":1.}]}", 400, "digits expected"},
        {"{\"instances\":[{\"a\":1e}]}", 400, "exponent"},
        {"{\"instances\":[{\"a\":+1}]}", 400, "unexpected"},
        {"{\"instances\":[{\"a\":1e999}]}", 400, "out of range"},
        {"{\"instances\":[{\"a\":NaN}]}", 400, "unexpected"},
        {"{\"instances\":[{\"a\":\"x\ty\"}]}", 400, "control character"},
        {"{\"instances\":[{\"a\":\"\\x\"}]}", 400, "bad escape"},
        {"{\"instances\":[{\"a\":\"\\u12\"}]}", 400, "escape"},
        {"{\"instances\":[{\"a\":\"\\u0000\"}]}", 400, "not allowed"},
        {"{\"instances\":[{\"a\":\"\\udc00\"}]}", 400, "surrogate"},
        {"{\"instances\":[{\"a\":\"\\ud800x\"}]}", 400, "surrogate"},
        {"{\"instances\":[{\"a\":\"\xff\"}]}", 400, "UTF-8"},
        {"{\"instances\":[{\"a\":\"\xc0\xaf\"}]}", 400, "UTF-8"},       /* overlong */
        {"{\"instances\":[{\"a\":\"\xed\xa0\x80\"}]}", 400, "UTF-8"},   /* encoded surrogate */
        {"{\"instances\":[{\"a\":\"abc", 400, "unterminated"},
        {"{\"instances\":[{a:1}]}", 400, "feature name"},
        {"{\"instances\":[{\"a\":1,}]}", 400, "feature name"},
        {"{\"instances\":[{\"a\":1},]}", 400, "instance"},
        {"{\"x\":tru,\"instances\":[]}", 400, "unexpected"},
        {"{\"instances\":[{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,\"7\":7,\"8\":8,\"9\":9}]}", 413, "features"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        seen s;
        char why[256] = "";
        int st = run(cases[i].body, &s, why);
        if (st != cases[i].status || !strstr(why, cases[i].why_part))
            fail_msg("case %zu '%s': status %d why '%s'; want %d with '%s'", i, cases[i].body, st, why,
                     cases[i].status, cases[i].why_part);
    }
}

static void test_limits(void **state) {
    (void)state;
    seen s;
    char why[256];
    const char *three = "{\"instances\":[{},{},{}]}";
    assert_int_equal(run_body(three, strlen(three), 3, &s, why), 200);
    assert_int_equal(run_body(three, strlen(three), 2, &s, why), 413);
    assert_non_null(strstr(why, "--max-batch"));
    /* nesting in ignored members is bounded, not recursed without end */
    size_t depth = 100000;
    char *deep = malloc(depth * 2 + 64);
    assert_non_null(deep);
    size_t k = (size_t)sprintf(deep, "{\"x\":");
    for (size_t i = 0; i < depth; i++) deep[k++] = '[';
    for (size_t i = 0; i < depth; i++) deep[k++] = ']';
    k += (size_t)sprintf(deep + k, ",\"instances\":[]}");
    assert_int_equal(run_body(deep, k, 10, &s, why), 400);
    assert_non_null(strstr(why, "nesting"));
    free(deep);
    /* the callback's status stops the reader */
    char *buf = strdup(three);
    memset(&s, 0, sizeof s);
    s.fail_at = 1;
    assert_int_equal(gn__json_instances(buf, strlen(buf), 10, 8, collect, &s, why, sizeof why), 422);
    assert_string_equal(why, "stop at 1");
    assert_int_equal(s.instances, 1);
    free(buf);
    /* every prefix of a valid body is rejected cleanly (no over-read: ASan) */
    const char *full = "{\"meta\":[1,{\"k\":\"v\\u00e9\"}],\"instances\":[{\"a\":-1.5e3,\"b\":\"x\",\"c\":null},\"1:2\"]}";
    for (size_t n = 0; n < strlen(full); n++) assert_int_equal(run_body(full, n, 10, &s, why), 400);
    assert_int_equal(run_body(full, strlen(full), 10, &s, why), 200);
}

/* predict_req: JSON objects and text lines of a LIBSVM model give the same predictions. */
static void test_predict_json_equals_text(void **state) {
    (void)state;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.format = GN_FORMAT_LIBSVM;
    spec.bits = 8;
    gn_model *m;
    assert_int_equal(gn__model_new(GN_KIND_LINEAR, GN_LOSS_LOGISTIC, &spec, 1, &m), GN_OK);
    for (size_t i = 0; i < m->nweights; i++) m->w[i] = (float)((int)(i % 7) - 3) * 0.25f;
    assert_int_equal(gn__model_finalize(m), GN_OK);
    const char *json = "{\"instances\":[{\"1\":0.5,\"3\":-2},{\"2\":1e-1},{}]}";
    const char *text = "+1 1:0.5 3:-2\n0 2:1e-1\n1\n";
    gn__strbuf a, b;
    gn__sb_init(&a);
    gn__sb_init(&b);
    size_t na = 0, nb = 0;
    char why[256];
    assert_int_equal(gn__predict_body(m, GN__BODY_JSON, json, strlen(json), 10, &a, &na, why, sizeof why), 200);
    assert_int_equal(gn__predict_body(m, GN__BODY_TEXT, text, strlen(text), 10, &b, &nb, why, sizeof why), 200);
    assert_int_equal(na, 3);
    assert_int_equal(nb, 3);
    assert_string_equal(a.p, b.p);
    /* the first value by hand: sigmoid(w0 + 0.5 w1 - 2 w3) with w_i = ((i % 7) - 3) / 4 */
    double s = -0.75 + 0.5 * -0.5 - 2 * 0.0;
    char want[64];
    snprintf(want, sizeof want, "%.9g,", 1.0 / (1.0 + exp(-s)));
    assert_memory_equal(a.p, want, strlen(want));
    gn__sb_free(&a);
    gn__sb_init(&a);
    assert_int_equal(gn__predict_body(m, GN__BODY_JSON, "{\"instances\":[{\"x\":1}]}", 22, 10, &a, &na, why, sizeof why), 400);
    assert_non_null(strstr(why, "instance 0"));
    assert_int_equal(gn__predict_body(m, GN__BODY_TEXT, "1 1:1\n1 2:2\n", 12, 1, &a, &na, why, sizeof why), 413);
    gn__sb_free(&a);
    gn__sb_free(&b);
    gn_model_free(m);
}

/* A LIBSVM model of 2^bits slots with small non-zero weights. */
static gn_model *libsvm_model(unsigned bits) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.format = GN_FORMAT_LIBSVM;
    spec.bits = bits;
    gn_model *m;
    assert_int_equal(gn__model_new(GN_KIND_LINEAR, GN_LOSS_LOGISTIC, &spec, 1, &m), GN_OK);
    for (size_t i = 0; i < m->nweights; i++) m->w[i] = (float)((int)(i % 7) - 3) * 0.25f;
    assert_int_equal(gn__model_finalize(m), GN_OK);
    return m;
}

/* predict_req on body, expecting status with why_part in the reason. */
static void expect_predict(const gn_model *m, gn__body_kind kind, const char *body, size_t len, int status,
                           const char *why_part) {
    gn__strbuf out;
    gn__sb_init(&out);
    size_t n = 0;
    char why[256] = "";
    int st = gn__predict_body(m, kind, body, len, 10, &out, &n, why, sizeof why);
    gn__sb_free(&out);
    if (st != status || !strstr(why, why_part))
        fail_msg("body '%.60s': status %d why '%s'; want %d with '%s'", body, st, why, status, why_part);
}

/* Issue 13: a number beyond the 32-bit float range is a 400 naming it, in JSON as in text (JSON
 * 1e300 used to predict null, 3.5e38 to predict 1); and the 100,000-feature limit of a JSON
 * object holds for a text line too (a text body, or a string instance in JSON). */
static void test_predict_ranges_and_limits(void **state) {
    (void)state;
    gn_model *m = libsvm_model(18);
    const char *text = "1 1:1e300\n";
    expect_predict(m, GN__BODY_TEXT, text, strlen(text), 400,
                   "line 1: feature 1: value 1e+300 is out of range (32-bit float)");
    const char *j1 = "{\"instances\":[{\"2\":1},{\"1\":1e300}]}";
    expect_predict(m, GN__BODY_JSON, j1, strlen(j1), 400,
                   "instance 1: feature '1': value 1e+300 is out of range (32-bit float)");
    const char *j2 = "{\"instances\":[{\"1\":3.5e38}]}";
    expect_predict(m, GN__BODY_JSON, j2, strlen(j2), 400, "value 3.5e+38 is out of range (32-bit float)");
    const char *j3 = "{\"instances\":[{\"1\":-3.5e38,\"2\":\"x\"}]}";
    expect_predict(m, GN__BODY_JSON, j3, strlen(j3), 400, "out of range (32-bit float)");
    const char *j4 = "{\"instances\":[\"1 7:1e39\"]}";
    expect_predict(m, GN__BODY_JSON, j4, strlen(j4), 400, "instance 0: feature 7: value 1e+39 is out of range");
    const char *ok = "{\"instances\":[{\"1\":3.4e38}]}";
    expect_predict(m, GN__BODY_JSON, ok, strlen(ok), 200, "");

    /* GN__MAX_INSTANCE_FEATURES features pass; one more is a 413, whichever the form */
    const size_t max = GN__MAX_INSTANCE_FEATURES;
    size_t cap = (max + 1) * 12 + 64, k = 0;
    char *line = malloc(cap), *json = malloc(cap + 32);
    assert_non_null(line);
    assert_non_null(json);
    k += (size_t)sprintf(line, "1");
    for (size_t i = 1; i <= max; i++) k += (size_t)sprintf(line + k, " %zu:1", i);
    expect_predict(m, GN__BODY_TEXT, line, k, 200, "");
    k += (size_t)sprintf(line + k, " %zu:1", max + 1);
    expect_predict(m, GN__BODY_TEXT, line, k, 413, "line 1: more than 100000 features");
    size_t jl = (size_t)sprintf(json, "{\"instances\":[\"%s\"]}", line);
    expect_predict(m, GN__BODY_JSON, json, jl, 413, "instance 0: more than 100000 features");
    jl = (size_t)sprintf(json, "{\"instances\":[{");
    for (size_t i = 1; i <= max + 1; i++) jl += (size_t)sprintf(json + jl, "%s\"%zu\":1", i > 1 ? "," : "", i);
    jl += (size_t)sprintf(json + jl, "}]}");
    expect_predict(m, GN__BODY_JSON, json, jl, 413, "instance 0: more than 100000 features");
    free(line);
    free(json);
    gn_model_free(m);
}

/* gn__sb_json_string (error bodies, the access log): valid UTF-8 is kept, control bytes,
 * quotes and backslashes are escaped, and bytes that are not UTF-8 become the text \xHH, so the
 * output is valid JSON whose string reads back as expected (issue 13: a path with %ff was
 * echoed raw, giving invalid JSON). */
static void test_json_string_escaping(void **state) {
    (void)state;
    static const struct {
        const char *in, *json, *decoded;
    } cases[] = {
        {"plain", "\"plain\"", "plain"},
        {"q\"b\\n\nt\t\x01", "\"q\\\"b\\\\n\\nt\\t\\u0001\"", "q\"b\\n\nt\t\x01"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6\"",
         "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6"},
        {"m\xff\xfe", "\"m\\\\xff\\\\xfe\"", "m\\xff\\xfe"},
        {"cut \xe2\x82", "\"cut \\\\xe2\\\\x82\"", "cut \\xe2\\x82"},          /* a sequence cut short */
        {"\xc0\xaf", "\"\\\\xc0\\\\xaf\"", "\\xc0\\xaf"},                        /* overlong '/' */
        {"\xed\xa0\x80", "\"\\\\xed\\\\xa0\\\\x80\"", "\\xed\\xa0\\x80"},        /* a surrogate */
        {"\xf4\x90\x80\x80", "\"\\\\xf4\\\\x90\\\\x80\\\\x80\"", "\\xf4\\x90\\x80\\x80"}, /* > U+10FFFF */
        {"\xc3\xa9\xff\xc3\xa9", "\"\xc3\xa9\\\\xff\xc3\xa9\"", "\xc3\xa9\\xff\xc3\xa9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gn__strbuf b;
        gn__sb_init(&b);
        gn__sb_json_string(&b, cases[i].in);
        if (strcmp(b.p, cases[i].json) != 0) fail_msg("case %zu: got %s, want %s", i, b.p, cases[i].json);
        json_error_t err;
        json_t *v = json_loads(b.p, JSON_DECODE_ANY, &err);
        if (!v) fail_msg("case %zu: %s is not valid JSON: %s", i, b.p, err.text);
        assert_string_equal(json_string_value(v), cases[i].decoded);
        json_decref(v);
        gn__sb_free(&b);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_numbers_match_strtod),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_predict_json_equals_text),
        cmocka_unit_test(test_predict_ranges_and_limits),
        cmocka_unit_test(test_json_string_escaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
