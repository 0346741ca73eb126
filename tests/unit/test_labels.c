/* test_labels.c: the label dictionary of io/labels.c (canonical names, lookup, counts, the
 * binary positive-class rule and its errors, the JSON form) and the label-only scan of
 * io/label_scan.c through gn__source_open (label runs, sorted files, stdin peeked and replayed, CSV
 * records with a byte order mark and a header sample, --shuffle chunk plans). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define GN_TEST_DIR_TAG "labels"
#include "test_util.h"

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/labels.h"
#include "io/parser.h"
#include "io/source.h"

/* A dictionary holding the given tokens, one occurrence each (token "x*3": three). */
static gn_labels *collect(const char *const *toks, size_t n) {
    gn_labels *l;
    char why[GN_WHY_MAX];
    assert_int_equal(gn__labels_new(&l), GN_OK);
    for (size_t i = 0; i < n; i++) {
        const char *t = toks[i], *star = strchr(t, '*');
        size_t len = star ? (size_t)(star - t) : strlen(t);
        int times = star ? atoi(star + 1) : 1;
        for (int k = 0; k < times; k++)
            assert_int_equal(gn__labels_add(l, t, len, 0, i + 1, why), GN_OK);
    }
    return l;
}

/* Resolves toks for a binary loss and checks the classes (neg, pos); NULL neg: expect failure
 * with st and a message containing pos. */
static void expect_binary(const char *const *toks, size_t n, const char *positive, int skip_bad, const char *neg,
                          const char *pos) {
    gn_labels *l = collect(toks, n);
    const char *paths[] = {"data.csv"};
    int st = gn__labels_resolve_binary(l, positive, skip_bad, 0, paths, 1);
    if (!neg) {
        if (st == GN_OK) fail_msg("resolved to '%s'/'%s', expected an error with '%s'", gn__labels_name(l, 0), gn__labels_name(l, 1), pos);
        if (!strstr(gn_last_error(), pos)) fail_msg("message '%s' lacks '%s'", gn_last_error(), pos);
    } else {
        if (st != GN_OK) fail_msg("expected '%s'/'%s': %s", neg, pos, gn_last_error());
        assert_int_equal(gn__labels_count(l), 2);
        assert_true(gn__labels_is_binary(l));
        assert_string_equal(gn__labels_name(l, 0), neg);
        assert_string_equal(gn__labels_name(l, 1), pos);
    }
    gn__labels_free(l);
}

#define N(a) (sizeof(a) / sizeof *(a))

static void test_canonical_names(void **state) {
    (void)state;
    char buf[GN_LABEL_NAME_MAX + 1];
    const char *ones[] = {"1", "+1", "1.0", "1e0", " 1 ", "1.", "\t+1.000\r"};
    for (size_t i = 0; i < N(ones); i++) {
        assert_int_equal(gn__label_canonical(ones[i], strlen(ones[i]), buf, sizeof buf), 0);
        assert_string_equal(buf, "1");
    }
    struct { const char *in, *out; } cases[] = {
        {"-0", "0"}, {"0.0", "0"}, {"-1", "-1"}, {"2.5", "2.5"}, {"0.1", "0.1"}, {"1e20", "1e+20"},
        {"yes", "yes"}, {"  Yes ", "Yes"}, {"<=50K", "<=50K"}, {"normal.", "normal."}, {"1a", "1a"},
        {"inf", "inf"}, {"0x10", "0x10"}, {"10", "10"}, {"1e1", "10"}, {"100.0", "100"}, {"-250", "-250"},
        {"1000000", "1000000"}, {"12345678", "12345678"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        assert_int_equal(gn__label_canonical(cases[i].in, strlen(cases[i].in), buf, sizeof buf), 0);
        assert_string_equal(buf, cases[i].out);
    }
    assert_int_equal(gn__label_canonical("  ", 2, buf, sizeof buf), -1);
    char longname[300];
    memset(longname, 'a', sizeof longname);
    assert_int_equal(gn__label_canonical(longname, sizeof longname, buf, sizeof buf), -1);
}

static void test_lookup_and_counts(void **state) {
    (void)state;
    const char *toks[] = {"+1", "1.0", "1", "-1", "yes", "Yes", " yes", "-0", "0"};
    gn_labels *l = collect(toks, N(toks));
    assert_int_equal(gn__labels_count(l), 5); /* 1, -1, yes, Yes, 0 */
    assert_string_equal(gn__labels_name(l, 0), "1");
    assert_int_equal(gn__labels_class_count(l, 0), 3);
    assert_int_equal(gn__labels_class_count(l, 2), 2); /* "yes" and " yes" */
    assert_int_equal(gn__labels_class_count(l, 4), 2); /* "-0" and "0" */
    assert_int_equal(gn__labels_find(l, "1e0", 3), 0);
    assert_int_equal(gn__labels_find(l, "Yes", 3), 3); /* case matters */
    assert_int_equal(gn__labels_find(l, "YES", 3), -1);
    assert_int_equal(gn__labels_find(l, "2", 1), -1);
    assert_true(gn__labels_has_strings(l));

    /* many classes: the hash table finds every one, numbers by value */
    gn_labels *m;
    char why[GN_WHY_MAX], tok[32];
    assert_int_equal(gn__labels_new(&m), GN_OK);
    for (int i = 0; i < 3000; i++) {
        int n = snprintf(tok, sizeof tok, i % 2 ? "c%d" : "%d", i);
        assert_int_equal(gn__labels_add(m, tok, (size_t)n, 0, 0, why), GN_OK);
    }
    assert_int_equal(gn__labels_count(m), 3000);
    for (int i = 0; i < 3000; i++) {
        int n = snprintf(tok, sizeof tok, i % 2 ? "c%d" : "%d.0", i);
        assert_int_equal(gn__labels_find(m, tok, (size_t)n), i);
    }
    gn_labels *c;
    assert_int_equal(gn__labels_clone(m, &c), GN_OK);
    assert_int_equal(gn__labels_find(c, "c2999", 5), 2999);
    gn__labels_free(c);
    gn__labels_free(m);
    gn__labels_free(l);
}

static void test_bad_labels_and_limit(void **state) {
    (void)state;
    gn_labels *l;
    char why[GN_WHY_MAX];
    assert_int_equal(gn__labels_new(&l), GN_OK);
    assert_int_equal(gn__labels_add(l, "   ", 3, 0, 0, why), GN_EPARSE);
    char longname[300];
    memset(longname, 'a', sizeof longname);
    assert_int_equal(gn__labels_add(l, longname, sizeof longname, 0, 0, why), GN_EPARSE);
    assert_non_null(strstr(why, "longer than 255"));
    assert_int_equal(gn__labels_add(l, "a\377b", 3, 0, 0, why), GN_EPARSE);
    assert_non_null(strstr(why, "UTF-8"));
    assert_int_equal(gn__labels_add(l, "a\001b", 3, 0, 0, why), GN_EPARSE);
    /* bounded memory: at most GN_LABELS_MAX distinct values */
    char tok[32];
    for (int i = 0; i < GN_LABELS_MAX; i++) {
        int n = snprintf(tok, sizeof tok, "v%d", i);
        assert_int_equal(gn__labels_add(l, tok, (size_t)n, 0, 0, why), GN_OK);
    }
    assert_int_equal(gn__labels_add(l, "one-more", 8, 0, 0, why), GN_ELIMIT);
    assert_non_null(strstr(why, "distinct labels"));
    assert_int_equal(gn__labels_add(l, "v7", 2, 0, 0, why), GN_OK); /* known ones still count */
    gn__labels_free(l);
}

static void test_role(void **state) {
    (void)state;
    const char *pos[] = {"1", "+1", "1.0", "true", "TRUE", "Yes", "y", "T", "pos", "Positive"};
    const char *neg[] = {"0", "-1", "-1.0", "false", "No", "n", "F", "NEG", "negative", "-0"};
    const char *none[] = {"2", "maybe", "<=50K", "yess", "", "1a", "0.5"};
    for (size_t i = 0; i < N(pos); i++) assert_int_equal(gn__label_role(pos[i], strlen(pos[i])), 1);
    for (size_t i = 0; i < N(neg); i++) assert_int_equal(gn__label_role(neg[i], strlen(neg[i])), -1);
    for (size_t i = 0; i < N(none); i++) assert_int_equal(gn__label_role(none[i], strlen(none[i])), 0);
}

static void test_positive_rule(void **state) {
    (void)state;
    /* exactly one positive-like value */
    expect_binary((const char *[]){"no", "yes"}, 2, NULL, 0, "no", "yes");
    expect_binary((const char *[]){"yes", "no"}, 2, NULL, 0, "no", "yes");
    expect_binary((const char *[]){"1", "2"}, 2, NULL, 0, "2", "1");
    expect_binary((const char *[]){"TRUE", "FALSE"}, 2, NULL, 0, "FALSE", "TRUE");
    expect_binary((const char *[]){"true", "0"}, 2, NULL, 0, "0", "true");
    /* else exactly one negative-like value: the other is positive */
    expect_binary((const char *[]){"0", "2"}, 2, NULL, 0, "0", "2");
    expect_binary((const char *[]){"spam", "no"}, 2, NULL, 0, "no", "spam");
    /* the standard classes */
    expect_binary((const char *[]){"+1", "-1"}, 2, NULL, 0, "-1", "1");
    expect_binary((const char *[]){"0", "1"}, 2, NULL, 0, "0", "1");
    /* --positive, canonicalised */
    expect_binary((const char *[]){"<=50K*3", ">50K"}, 2, ">50K", 0, "<=50K", ">50K");
    expect_binary((const char *[]){"1", "2"}, 2, "2.0", 0, "1", "2");
    expect_binary((const char *[]){"0", "1"}, 2, "0", 0, "1", "0");
    /* neither rule decides: an error listing the values with their counts */
    expect_binary((const char *[]){"<=50K*3", ">50K"}, 2, NULL, 0, NULL, "'<=50K' 3, '>50K' 1");
    expect_binary((const char *[]){"normal.", "smurf."}, 2, NULL, 0, NULL, "--positive");
    expect_binary((const char *[]){"true", "1"}, 2, NULL, 0, NULL, "cannot tell");
    expect_binary((const char *[]){"no", "0"}, 2, NULL, 0, NULL, "cannot tell");
    expect_binary((const char *[]){"a", "b"}, 2, "c", 0, NULL, "--positive 'c' is not one of the labels");
    expect_binary((const char *[]){"a", "b"}, 2, NULL, 0, NULL, "data.csv:2:"); /* where the second appears */
}

static void test_single_class(void **state) {
    (void)state;
    expect_binary((const char *[]){"yes*5"}, 1, NULL, 0, "no", "yes");
    expect_binary((const char *[]){"No"}, 1, NULL, 0, "No", "Yes");
    expect_binary((const char *[]){"TRUE"}, 1, NULL, 0, "FALSE", "TRUE");
    expect_binary((const char *[]){"+1"}, 1, NULL, 0, "-1", "1");
    expect_binary((const char *[]){"0"}, 1, NULL, 0, "0", "1");
    expect_binary((const char *[]){"-1"}, 1, NULL, 0, "-1", "1");
    expect_binary((const char *[]){"abc"}, 1, "abc", 0, "not abc", "abc");
    expect_binary((const char *[]){"abc"}, 1, "xyz", 0, "abc", "xyz");
    expect_binary((const char *[]){"abc*4"}, 1, NULL, 0, NULL, "only one label, 'abc' (4 examples)");
    expect_binary(NULL, 0, NULL, 0, "-1", "1"); /* nothing seen: the numeric rule */
}

static void test_more_than_two(void **state) {
    (void)state;
    /* 0 and -1 with 1 are the standard classes: 0 and -1 both negative, as gannet always read them */
    gn_labels *l = collect((const char *[]){"1*3", "0*2", "-1"}, 3);
    const char *paths[] = {"d.svm"};
    assert_int_equal(gn__labels_resolve_binary(l, NULL, 0, 0, paths, 1), GN_OK);
    assert_true(gn__labels_is_standard(l));
    assert_string_equal(gn__labels_name(l, 0), "-1");
    assert_int_equal(gn__labels_class_count(l, 0), 3);
    float y;
    char why[GN_WHY_MAX];
    assert_int_equal(gn__labels_binary_value(l, "0", 1, &y, why), GN_OK);
    assert_true(y == -1.0f);
    assert_int_equal(gn__labels_binary_value(l, "+1", 2, &y, why), GN_OK);
    assert_true(y == 1.0f);
    assert_int_equal(gn__labels_binary_value(l, "2", 1, &y, why), GN_EPARSE);
    assert_non_null(strstr(why, "label '2' is not one of the two classes '-1' and '1' (positive)"));
    gn__labels_free(l);

    /* a third value: the first two are the classes and its lines are bad (reported by the parse) */
    l = collect((const char *[]){"yes", "no*3", "maybe"}, 3);
    assert_int_equal(gn__labels_resolve_binary(l, NULL, 0, 0, paths, 1), GN_OK);
    assert_string_equal(gn__labels_name(l, 1), "yes");
    assert_int_equal(gn__labels_binary_value(l, "maybe", 5, &y, why), GN_EPARSE);
    assert_non_null(strstr(why, "label 'maybe' is not one of the two classes 'no' and 'yes' (positive)"));
    gn__labels_free(l);

    /* --skip-bad keeps the two most frequent, and the positive one */
    expect_binary((const char *[]){"a", "b*5", "c*3"}, 3, "c", 1, "b", "c");
    expect_binary((const char *[]){"maybe", "yes*5", "no*3"}, 3, NULL, 1, "no", "yes");
    /* regression targets: an error naming where the first one is */
    expect_binary((const char *[]){"2.5", "3.1", "4"}, 3, NULL, 0, NULL, "data.csv:1: label '2.5' is one of 3 distinct labels");
    expect_binary((const char *[]){"2.5", "3.1", "4"}, 3, NULL, 0, NULL, "--loss squared");
}

static void test_binary_values(void **state) {
    (void)state;
    gn_labels *l = collect((const char *[]){"<=50K", ">50K"}, 2);
    const char *paths[] = {"d"};
    assert_int_equal(gn__labels_resolve_binary(l, ">50K", 0, GN_LABELS_STREAM, paths, 1), GN_OK);
    assert_false(gn__labels_is_standard(l));
    assert_true(gn__labels_partial(l));
    float y = 0;
    char why[GN_WHY_MAX];
    assert_int_equal(gn__labels_binary_value(l, ">50K", 4, &y, why), GN_OK);
    assert_true(y == 1.0f);
    assert_int_equal(gn__labels_binary_value(l, " <=50K ", 7, &y, why), GN_OK);
    assert_true(y == -1.0f);
    assert_int_equal(gn__labels_binary_value(l, ">50K.", 5, &y, why), GN_EPARSE);
    assert_non_null(strstr(why, "'>50K.' is not one of the two classes '<=50K' and '>50K' (positive)"));
    assert_non_null(strstr(why, "stream")); /* partial: said so */
    gn__labels_free(l);

    /* numeric classes compare by value */
    l = collect((const char *[]){"1", "2"}, 2);
    assert_int_equal(gn__labels_resolve_binary(l, NULL, 0, 0, paths, 1), GN_OK);
    assert_int_equal(gn__labels_binary_value(l, "2.0", 3, &y, why), GN_OK);
    assert_true(y == -1.0f);
    assert_int_equal(gn__labels_binary_value(l, "+1", 2, &y, why), GN_OK);
    assert_true(y == 1.0f);
    assert_int_equal(gn__labels_binary_value(l, "3", 1, &y, why), GN_EPARSE);
    gn__labels_free(l);
}

static void test_json(void **state) {
    (void)state;
    gn_labels *l = collect((const char *[]){"no", "yes"}, 2);
    const char *paths[] = {"d"};
    assert_int_equal(gn__labels_resolve_binary(l, NULL, 0, 0, paths, 1), GN_OK);
    json_t *j = gn__labels_to_json(l);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"classes\":[\"no\",\"yes\"],\"positive\":\"yes\"}");
    free(text);
    gn_labels *back;
    assert_int_equal(gn__labels_from_json(j, &back), GN_OK);
    assert_true(gn__labels_is_binary(back));
    assert_string_equal(gn__labels_name(back, 1), "yes");
    float y;
    char why[GN_WHY_MAX];
    assert_int_equal(gn__labels_binary_value(back, "no", 2, &y, why), GN_OK);
    assert_true(y == -1.0f);
    gn__labels_free(back);
    json_decref(j);
    gn__labels_free(l);

    const char *bad[] = {
        "[]", "{\"classes\":[]}", "{\"classes\":[\"a\",\"b\"],\"positive\":\"a\"}",
        "{\"classes\":[\"1\",\"+1\"]}", "{\"classes\":[\"a\"],\"extra\":1}", "{\"classes\":[\"a\",3]}",
        "{\"classes\":[\"a\",\"b\",\"c\"],\"positive\":\"c\"}", "{\"classes\":[\"a\\u0000b\"]}",
    };
    for (size_t i = 0; i < N(bad); i++) {
        json_t *b = json_loads(bad[i], JSON_ALLOW_NUL, NULL);
        assert_non_null(b);
        gn_labels *x = NULL;
        if (gn__labels_from_json(b, &x) != GN_EFORMAT) fail_msg("accepted %s", bad[i]);
        json_decref(b);
    }
    /* a standard pair read back keeps the numeric rule (0 and -1 both negative) */
    json_t *s = json_loads("{\"classes\":[\"0\",\"1\"],\"positive\":\"1\"}", 0, NULL);
    assert_int_equal(gn__labels_from_json(s, &back), GN_OK);
    assert_true(gn__labels_is_standard(back));
    assert_int_equal(gn__labels_binary_value(back, "-1", 2, &y, why), GN_OK);
    assert_true(y == -1.0f);
    gn__labels_free(back);
    json_decref(s);
}

/* ---- the parser hook (io/parser.c); kept here, next to the dictionary it uses --------------- */

/* A resolved binary dictionary for the two tokens (positive given). */
static gn_labels *binary_of(const char *a, const char *b, const char *positive) {
    gn_labels *l = collect((const char *[]){a, b}, 2);
    const char *paths[] = {"d"};
    assert_int_equal(gn__labels_resolve_binary(l, positive, 0, 0, paths, 1), GN_OK);
    return l;
}

static gn_parser *parser_for(gn_format f, gn_label_kind kind, gn_labels *l) {
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.format = f;
    s.bits = 10;
    s.label_kind = kind;
    gn_parser *p;
    assert_int_equal(gn__parser_new(&s, &p), GN_OK);
    gn__parser_set_labels(p, l);
    return p;
}

/* Parses one line; returns the status and the label (and importance weight) through out. */
static int parse1(gn_parser *p, const char *line, float *label, float *weight, char *why) {
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 2, 8), GN_OK);
    int st = gn__parser_line(p, line, strlen(line), 0, &b, why);
    if (st == GN_OK) {
        assert_int_equal(b.n, 1);
        *label = b.label[0];
        if (weight) *weight = b.weight[0];
    }
    gn__batch_free(&b);
    return st;
}

static void test_parser_labels(void **state) {
    (void)state;
    char why[GN_WHY_MAX];
    float y = 0, w = 0;
    /* LIBSVM */
    gn_parser *p = parser_for(GN_FORMAT_LIBSVM, GN_LABEL_BINARY, binary_of("no", "yes", NULL));
    assert_int_equal(parse1(p, "yes 1:1 3:2", &y, NULL, why), GN_OK);
    assert_true(y == 1.0f);
    assert_int_equal(parse1(p, "no 2:1 # comment", &y, NULL, why), GN_OK);
    assert_true(y == -1.0f);
    assert_int_equal(parse1(p, "maybe 2:1", &y, NULL, why), GN_EPARSE);
    assert_non_null(strstr(why, "label 'maybe' is not one of the two classes 'no' and 'yes' (positive)"));
    assert_int_equal(parse1(p, "1 2:1", &y, NULL, why), GN_EPARSE); /* numbers are not these classes */
    assert_int_equal(parse1(p, "2:1 3:1", &y, NULL, why), GN_EPARSE);
    assert_non_null(strstr(why, "missing label"));
    gn_parser *c;
    assert_int_equal(gn__parser_clone(p, &c), GN_OK);
    gn__parser_free(p);
    assert_int_equal(parse1(c, "yes 1:1", &y, NULL, why), GN_OK); /* the clone has its own copy */
    assert_true(y == 1.0f);
    gn__parser_free(c);

    /* VW: label, importance, tag */
    p = parser_for(GN_FORMAT_VW, GN_LABEL_BINARY, binary_of("normal.", "smurf.", "smurf."));
    assert_int_equal(parse1(p, "smurf. 2.5 'id7 |f a b:2", &y, &w, why), GN_OK);
    assert_true(y == 1.0f && w == 2.5f);
    assert_int_equal(parse1(p, "normal. |f a", &y, &w, why), GN_OK);
    assert_true(y == -1.0f && w == 1.0f);
    assert_int_equal(parse1(p, "neptune. |f a", &y, NULL, why), GN_EPARSE);
    gn__parser_free(p);

    /* the standard classes keep the numeric rule: 0 and -1 both negative, other numbers named */
    p = parser_for(GN_FORMAT_LIBSVM, GN_LABEL_BINARY, binary_of("0", "1", NULL));
    assert_int_equal(parse1(p, "-1 1:1", &y, NULL, why), GN_OK);
    assert_true(y == -1.0f);
    assert_int_equal(parse1(p, "+1 1:1", &y, NULL, why), GN_OK);
    assert_true(y == 1.0f);
    assert_int_equal(parse1(p, "2 1:1", &y, NULL, why), GN_EPARSE);
    assert_non_null(strstr(why, "not one of the two classes '0' and '1' (positive)"));
    assert_int_equal(parse1(p, "yes 1:1", &y, NULL, why), GN_EPARSE);
    assert_non_null(strstr(why, "not one of the two classes"));
    gn__parser_free(p);

    /* no dictionary: the numeric rule and its old messages */
    p = parser_for(GN_FORMAT_LIBSVM, GN_LABEL_BINARY, NULL);
    assert_int_equal(parse1(p, "2 1:1", &y, NULL, why), GN_EPARSE);
    assert_non_null(strstr(why, "not a binary label"));
    gn__parser_free(p);

    /* prediction input (label kind none) of a model with named classes: any label text */
    p = parser_for(GN_FORMAT_LIBSVM, GN_LABEL_NONE, binary_of("<=50K", ">50K", ">50K"));
    assert_int_equal(parse1(p, ">50K. 1:1", &y, NULL, why), GN_OK);
    assert_int_equal(parse1(p, "3:1", &y, NULL, why), GN_OK);
    gn__parser_free(p);
    p = parser_for(GN_FORMAT_LIBSVM, GN_LABEL_NONE, binary_of("-1", "1", NULL)); /* numbers: as before */
    assert_int_equal(parse1(p, "abc 1:1", &y, NULL, why), GN_EPARSE);
    gn__parser_free(p);

    /* CSV: quoted and padded labels */
    p = parser_for(GN_FORMAT_CSV, GN_LABEL_BINARY, NULL);
    assert_int_equal(gn__parser_first_line(p, "y,a", 3, why), 1); /* a header */
    gn__parser_set_labels(p, binary_of("no", "yes", NULL));
    assert_int_equal(parse1(p, "\"yes\",2", &y, NULL, why), GN_OK);
    assert_true(y == 1.0f);
    assert_int_equal(parse1(p, " no ,2", &y, NULL, why), GN_OK);
    assert_true(y == -1.0f);
    gn__parser_free(p);
}

static void test_label_token(void **state) {
    (void)state;
    char why[GN_WHY_MAX];
    const char *tok;
    size_t tl;
    struct { gn_format f; const char *line; int r; const char *tok; } cases[] = {
        {GN_FORMAT_LIBSVM, "yes 1:1", 1, "yes"},
        {GN_FORMAT_LIBSVM, "  >50K#c 1:1", 1, ">50K"},
        {GN_FORMAT_LIBSVM, "+1	3:1", 1, "+1"},
        {GN_FORMAT_LIBSVM, "1:1 2:2", 0, NULL},
        {GN_FORMAT_LIBSVM, "# only a comment", 0, NULL},
        {GN_FORMAT_LIBSVM, "   ", 0, NULL},
        {GN_FORMAT_VW, "yes 2 'tag |f a", 1, "yes"},
        {GN_FORMAT_VW, " 'tag no |f a", 1, "no"},
        {GN_FORMAT_VW, "|f a", 0, NULL},
        {GN_FORMAT_VW, "no bar here", -1, NULL},
        {GN_FORMAT_CSV, "1,\"b c\"", 1, "b c"},
        {GN_FORMAT_CSV, "1,", 0, NULL},
        {GN_FORMAT_CSV, "1, NA", 0, NULL}, /* a missing value: the parse reports a missing label */
        {GN_FORMAT_CSV, "1,2,3", -1, NULL},
    };
    for (size_t i = 0; i < N(cases); i++) {
        gn_data_spec s;
        gn_data_spec_init(&s);
        s.format = cases[i].f;
        snprintf(s.label_col, sizeof s.label_col, "2");
        gn_parser *p;
        assert_int_equal(gn__parser_new(&s, &p), GN_OK);
        if (cases[i].f == GN_FORMAT_CSV) assert_int_equal(gn__parser_first_line(p, "a,b", 3, why), 1);
        int r = gn__parser_label_token(p, cases[i].line, strlen(cases[i].line), &tok, &tl, why);
        if (r != cases[i].r) fail_msg("'%s': %d, expected %d", cases[i].line, r, cases[i].r);
        if (r == 1 && (tl != strlen(cases[i].tok) || memcmp(tok, cases[i].tok, tl) != 0))
            fail_msg("'%s': token '%.*s', expected '%s'", cases[i].line, (int)tl, tok, cases[i].tok);
        gn__parser_free(p);
    }
}

/* ---- the scan, through a source ---------------------------------------------------------- */

static int drain(gn_source *src, gn_batch *all, double *label_sum) {
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 64, 256), GN_OK);
    int st;
    *label_sum = 0;
    size_t n = 0;
    while ((st = gn__source_next(src, &b, 64)) == GN_OK) {
        for (size_t i = 0; i < b.n; i++) *label_sum += b.label[i];
        n += b.n;
    }
    all->n = n;
    gn__batch_free(&b);
    return st;
}

static void test_scan_label_run(void **state) {
    (void)state;
    /* 20,000 lines of one class, then the other: the first-lines scan alone would see one */
    const char *p = tpath("run.svm");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    for (int i = 0; i < 20000; i++) fprintf(f, "no %d:1\n", i % 7 + 1);
    for (int i = 0; i < 3; i++) fprintf(f, "yes %d:1\n", i + 1);
    fclose(f);
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 10;
    gn_source *src;
    assert_int_equal(gn__source_open(&s, NULL, &p, 1, &src), GN_OK);
    assert_int_equal(gn__source_resolve(src), GN_OK);
    const gn_labels *l = gn__parser_labels(gn__source_parser(src));
    assert_non_null(l);
    assert_string_equal(gn__labels_name(l, 0), "no");
    assert_string_equal(gn__labels_name(l, 1), "yes");
    assert_int_equal(gn__labels_class_count(l, 0), 20000);
    gn_batch all;
    double sum;
    assert_int_equal(drain(src, &all, &sum), GN_EOF);
    assert_int_equal(all.n, 20003);
    assert_true(sum == 3.0 - 20000.0);
    /* a clone carries the classes: parts parse alike */
    gn_parser *c;
    assert_int_equal(gn__parser_clone(gn__source_parser(src), &c), GN_OK);
    assert_string_equal(gn__labels_name(gn__parser_labels(c), 1), "yes");
    gn__parser_free(c);
    gn__source_free(src);

    /* standard labels: the first-lines scan is enough, and a later third value is a bad line */
    const char *q = tpath("std.svm");
    f = fopen(q, "w");
    assert_non_null(f);
    for (int i = 0; i < 12000; i++) fprintf(f, "%s 1:1\n", i % 2 ? "+1" : "-1");
    fprintf(f, "7 1:1\n");
    fclose(f);
    assert_int_equal(gn__source_open(&s, NULL, &q, 1, &src), GN_OK);
    assert_int_equal(gn__source_resolve(src), GN_OK);
    l = gn__parser_labels(gn__source_parser(src));
    assert_true(gn__labels_is_standard(l));
    assert_int_equal(gn__labels_class_count(l, 0) + gn__labels_class_count(l, 1), GN_LABELS_SCAN_FIRST);
    assert_int_equal(drain(src, &all, &sum), GN_EPARSE);
    char want[512];
    snprintf(want, sizeof want, "%s:12001: label '7' is not one of the two classes '-1' and '1' (positive)", q);
    if (!strstr(gn_last_error(), want)) fail_msg("'%s' lacks '%s'", gn_last_error(), want);
    gn__source_free(src);
}

static void test_scan_regression_targets(void **state) {
    (void)state;
    /* real-valued targets with a binary loss: the first records decide, without a full scan */
    const char *p = tpath("reg.svm");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    for (int i = 0; i < 12000; i++) fprintf(f, "%d.5 1:1\n", i + 2);
    fclose(f);
    gn_data_spec s;
    gn_data_spec_init(&s);
    gn_source *src;
    assert_int_equal(gn__source_open(&s, NULL, &p, 1, &src), GN_OK);
    assert_int_equal(gn__source_resolve(src), GN_EPARSE);
    char want[512];
    snprintf(want, sizeof want, "%s:1: label '2.5' is one of at least %d distinct labels", p, GN_LABELS_SCAN_FIRST);
    if (!strstr(gn_last_error(), want)) fail_msg("'%s' lacks '%s'", gn_last_error(), want);
    assert_non_null(strstr(gn_last_error(), "--loss squared"));
    gn__source_free(src);
}

static void test_scan_csv_and_parts(void **state) {
    (void)state;
    /* a CSV sorted by label, in two files with headers; --positive by name */
    const char *a = tpath("a.csv"), *b = tpath("b.csv");
    FILE *f = fopen(a, "w");
    fprintf(f, "x,income\n");
    for (int i = 0; i < 15000; i++) fprintf(f, "%d,<=50K\n", i % 3);
    fclose(f);
    f = fopen(b, "w");
    fprintf(f, "x,income\n");
    for (int i = 0; i < 100; i++) fprintf(f, "%d,\">50K\"\n", i % 3);
    fclose(f);
    const char *paths[] = {a, b};
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 10;
    s.format = GN_FORMAT_CSV;
    s.header = 1;
    snprintf(s.label_col, sizeof s.label_col, "income");
    gn_source *src;
    assert_int_equal(gn__source_open(&s, NULL, paths, 2, &src), GN_OK);
    assert_int_equal(gn__source_resolve(src), GN_EINVAL); /* which one is positive? */
    assert_non_null(strstr(gn_last_error(), "'<=50K' 15000, '>50K' 100"));
    gn__source_free(src);
    snprintf(s.positive, sizeof s.positive, ">50K");
    /* every part of the input reads the same classes, whichever part it is */
    for (uint32_t part = 0; part < 3; part++) {
        assert_int_equal(gn__source_open_part(&s, NULL, paths, 2, part, 3, &src), GN_OK);
        assert_int_equal(gn__source_resolve(src), GN_OK);
        const gn_labels *l = gn__parser_labels(gn__source_parser(src));
        assert_string_equal(gn__labels_name(l, 0), "<=50K");
        assert_string_equal(gn__labels_name(l, 1), ">50K");
        gn__source_free(src);
    }
    assert_int_equal(gn__source_open(&s, NULL, paths, 2, &src), GN_OK);
    gn_batch all;
    double sum;
    assert_int_equal(drain(src, &all, &sum), GN_EOF); /* no resolve call: the first read does it */
    assert_int_equal(all.n, 15100);
    assert_true(sum == 100.0 - 15000.0);
    gn__source_free(src);
}

/* Reads paths (stdin first) with spec s, with fd 0 taken from file `in`. */
static int with_stdin(const char *in, gn_data_spec *s, const char *const *paths, size_t n, size_t *count,
                      double *sum, char *msg, size_t msg_size) {
    int fd = open(in, O_RDONLY);
    assert_true(fd >= 0);
    int saved = dup(0);
    assert_int_equal(dup2(fd, 0), 0);
    gn_source *src = NULL;
    int st = gn__source_open(s, NULL, paths, n, &src);
    gn_batch all;
    all.n = 0;
    if (st == GN_OK) st = drain(src, &all, sum);
    snprintf(msg, msg_size, "%s", gn_last_error());
    *count = all.n;
    gn__source_free(src);
    if (saved >= 0) {
        dup2(saved, 0);
        close(saved);
    } else {
        close(0);
    }
    close(fd);
    return st;
}

static void test_scan_stdin(void **state) {
    (void)state;
    /* stdin is peeked: every line is still read once, in order, with its line number */
    const char *p = tpath("in.vw");
    FILE *f = fopen(p, "w");
    for (int i = 0; i < 15000; i++) fprintf(f, "normal. |f a:%d\n", i % 5);
    for (int i = 0; i < 10; i++) fprintf(f, "smurf. |f b\n");
    fclose(f);
    const char *paths[] = {"-"};
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 10;
    snprintf(s.positive, sizeof s.positive, "smurf.");
    size_t n;
    double sum;
    char msg[512];
    assert_int_equal(with_stdin(p, &s, paths, 1, &n, &sum, msg, sizeof msg), GN_EOF);
    assert_int_equal(n, 15010);
    assert_true(sum == 10.0 - 15000.0);

    /* a class seen only past what can be peeked: a clear error naming the line */
    const char *q = tpath("late.vw");
    f = fopen(q, "w");
    char pad[1000];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    size_t lines = GN_LABELS_PEEK_BYTES / 1000 + 10;
    for (size_t i = 0; i < lines; i++) fprintf(f, "yes |f %s\n", pad);
    fprintf(f, "maybe |f a\n");
    fclose(f);
    s.positive[0] = '\0';
    assert_int_equal(with_stdin(q, &s, paths, 1, &n, &sum, msg, sizeof msg), GN_EPARSE);
    char want[128];
    snprintf(want, sizeof want, "<stdin>:%zu: label 'maybe' is not one of the two classes 'no' and 'yes'", lines + 1);
    if (!strstr(msg, want)) fail_msg("'%s' lacks '%s'", msg, want);
    assert_non_null(strstr(msg, "read only once"));
    assert_int_equal(n, lines / 64 * 64); /* the batches before the bad line */
}

/* Writes a CSV with a byte order mark, CRLF line ends, a header, quoted labels ("no" for the
 * first n_no records, then "yes" for n_yes) and a quoted field over two lines in every 40th. */
static void write_quoted_csv(const char *path, int n_no, int n_yes) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "\xEF\xBB\xBF" "answer,note,x\r\n");
    for (int i = 0; i < n_no + n_yes; i++)
        fprintf(f, "\"%s\",%s,%d\r\n", i < n_no ? "no" : "yes", i % 40 ? "plain" : "\"two\r\nlines\"", i % 5);
    fclose(f);
}

static void test_scan_csv_records(void **state) {
    (void)state;
    /* the scan reads CSV as the source does: records, after a byte order mark and the header
     * (detected from a sample read ahead); the second class only after the first 10,000 */
    const char *p = tpath("quoted.csv");
    write_quoted_csv(p, 12000, 50);
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 10;
    gn_source *src;
    assert_int_equal(gn__source_open(&s, NULL, &p, 1, &src), GN_OK);
    assert_int_equal(gn__source_resolve(src), GN_OK);
    const gn_labels *l = gn__parser_labels(gn__source_parser(src));
    assert_non_null(l);
    assert_string_equal(gn__labels_name(l, 0), "no");
    assert_string_equal(gn__labels_name(l, 1), "yes");
    assert_int_equal(gn__labels_class_count(l, 0), 12000);
    assert_int_equal(gn__labels_class_count(l, 1), 50);
    gn_batch all;
    double sum;
    assert_int_equal(drain(src, &all, &sum), GN_EOF);
    assert_int_equal(all.n, 12050);
    assert_true(sum == 50.0 - 12000.0);
    gn__source_free(src);

    /* the same from stdin: the records of the header sample (queued), then the reader, peeked */
    const char *paths[] = {"-"};
    size_t n;
    char msg[512];
    assert_int_equal(with_stdin(p, &s, paths, 1, &n, &sum, msg, sizeof msg), GN_EOF);
    assert_int_equal(n, 12050);
    assert_true(sum == 50.0 - 12000.0);
    /* a few records: all of them sit in the header sample's queue */
    const char *q = tpath("short.csv");
    write_quoted_csv(q, 3, 2);
    assert_int_equal(with_stdin(q, &s, paths, 1, &n, &sum, msg, sizeof msg), GN_EOF);
    assert_int_equal(n, 5);
    assert_true(sum == 2.0 - 3.0);
}

static void test_scan_chunk_plan(void **state) {
    (void)state;
    /* --shuffle: a chunk plan made without a parser finds the classes of all the files; one made
     * with a resolved parser reads with that parser's classes and does not scan again */
    const char *a = tpath("plan_a.svm"), *b = tpath("plan_b.svm");
    FILE *f = fopen(a, "w");
    assert_non_null(f);
    for (int i = 0; i < 3000; i++) fprintf(f, "%s %d:1\n", i < 2990 ? "no" : "yes", i % 7 + 1);
    fclose(f);
    f = fopen(b, "w");
    assert_non_null(f);
    for (int i = 0; i < 3000; i++) fprintf(f, "%s %d:1\n", i % 2 ? "maybe" : "yes", i % 7 + 1);
    fclose(f);
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 10;
    gn_chunk_plan *plan;
    assert_int_equal(gn__chunk_plan_new(&s, NULL, &a, 1, 16, &plan), GN_OK);
    size_t total = 0;
    double sum_all = 0;
    for (uint32_t part = 0; part < 3; part++) {
        gn_source *src;
        assert_int_equal(gn__source_open_shuffled_plan(plan, part, 3, 7, &src), GN_OK);
        const gn_labels *l = gn__parser_labels(gn__source_parser(src));
        assert_non_null(l);
        assert_string_equal(gn__labels_name(l, 1), "yes");
        gn_batch all;
        double sum;
        assert_int_equal(drain(src, &all, &sum), GN_EOF);
        total += all.n;
        sum_all += sum;
        gn__source_free(src);
    }
    assert_int_equal(total, 3000);
    assert_true(sum_all == 10.0 - 2990.0);
    gn__chunk_plan_free(plan);

    /* file a's parser (no/yes) over file b: its 'maybe' is no class, as the given parser says */
    gn_source *whole;
    assert_int_equal(gn__source_open(&s, NULL, &a, 1, &whole), GN_OK);
    assert_int_equal(gn__source_resolve(whole), GN_OK);
    assert_int_equal(gn__chunk_plan_new(&s, gn__source_parser(whole), &b, 1, 16, &plan), GN_OK);
    gn__source_free(whole);
    gn_source *src;
    assert_int_equal(gn__source_open_shuffled_plan(plan, 0, 1, 7, &src), GN_OK);
    gn_batch all;
    double sum;
    assert_int_equal(drain(src, &all, &sum), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "label 'maybe' is not one of the two classes 'no' and 'yes'"));
    gn__source_free(src);
    gn__chunk_plan_free(plan);
    /* without it, the plan finds b's own classes (maybe/yes: yes is positive) */
    assert_int_equal(gn__chunk_plan_new(&s, NULL, &b, 1, 16, &plan), GN_OK);
    assert_int_equal(gn__source_open_shuffled_plan(plan, 0, 1, 7, &src), GN_OK);
    assert_string_equal(gn__labels_name(gn__parser_labels(gn__source_parser(src)), 0), "maybe");
    assert_int_equal(drain(src, &all, &sum), GN_EOF);
    assert_int_equal(all.n, 3000);
    assert_true(sum == 0.0);
    gn__source_free(src);
    gn__chunk_plan_free(plan);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_names),
        cmocka_unit_test(test_lookup_and_counts),
        cmocka_unit_test(test_bad_labels_and_limit),
        cmocka_unit_test(test_role),
        cmocka_unit_test(test_positive_rule),
        cmocka_unit_test(test_single_class),
        cmocka_unit_test(test_more_than_two),
        cmocka_unit_test(test_binary_values),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_parser_labels),
        cmocka_unit_test(test_label_token),
        cmocka_unit_test(test_scan_label_run),
        cmocka_unit_test(test_scan_regression_targets),
        cmocka_unit_test(test_scan_csv_and_parts),
        cmocka_unit_test(test_scan_stdin),
        cmocka_unit_test(test_scan_csv_records),
        cmocka_unit_test(test_scan_chunk_plan),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
