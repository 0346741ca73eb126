/* test_text.c: io/text.c: the tokenizer (ASCII lowercasing, UTF-8 sequences never split, Latin-1
 * folding, punctuation-only and empty documents, a 1 MB document), n-grams and skip-grams
 * (counts of distinct terms), term weighting (count, binary, log), idf and unit L2 norms; a
 * document long enough for the radix sort; idf tables as cache records. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gannet/gannet.h"
#include "hash/hash.h"
#include "io/batch.h"
#include "io/text.h"

/* The tokens of s joined by '|'. */
static void tokens(const char *s, char *out, size_t size) {
    gn_text t;
    gn__text_init(&t);
    size_t pos = 0, o = 0, len = strlen(s), n;
    out[0] = '\0';
    while ((n = gn__text_next_token(&t, s, len, &pos)) > 0) {
        assert_true(n != (size_t)-1);
        assert_true(o + n + 2 < size);
        if (o) out[o++] = '|';
        memcpy(out + o, t.tok, n);
        o += n;
        out[o] = '\0';
    }
    assert_true(pos <= len);
    gn__text_free(&t);
}

static void test_ascii(void **state) {
    (void)state;
    char buf[256];
    tokens("Hello, World! It's 2024-05-01.", buf, sizeof buf);
    assert_string_equal(buf, "hello|world|it|s|2024|05|01");
    tokens("  MiXeD_case\ttabs\nnewline  ", buf, sizeof buf);
    assert_string_equal(buf, "mixed|case|tabs|newline");
}

static void test_utf8(void **state) {
    (void)state;
    char buf[256];
    /* multibyte letters stay whole; Latin-1 capitals fold; CJK is one run; curly quotes, the
     * em dash and the non-breaking space separate */
    tokens("Caf\xc3\xa9 \xc3\x89T\xc3\x89 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e don\xe2\x80\x99t a\xe2\x80\x94" "b c\xc2\xa0" "d",
           buf, sizeof buf);
    assert_string_equal(buf, "caf\xc3\xa9|\xc3\xa9t\xc3\xa9|\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e|don|t|a|b|c|d");
    /* a 4-byte sequence (emoji) at the very end is kept whole, not cut */
    tokens("ok\xf0\x9f\x98\x80", buf, sizeof buf);
    assert_string_equal(buf, "ok\xf0\x9f\x98\x80");
    /* a sequence cut short by the end of the document is not read past */
    const char cut[] = {'a', ' ', (char)0xe6, (char)0x97};
    gn_text t;
    gn__text_init(&t);
    size_t pos = 0;
    assert_int_equal(gn__text_next_token(&t, cut, sizeof cut, &pos), 1);
    assert_int_equal(gn__text_next_token(&t, cut, sizeof cut, &pos), 2);
    assert_int_equal(pos, sizeof cut);
    assert_int_equal(gn__text_next_token(&t, cut, sizeof cut, &pos), 0);
    gn__text_free(&t);
}

static void test_empty_and_punctuation(void **state) {
    (void)state;
    char buf[64];
    tokens("", buf, sizeof buf);
    assert_string_equal(buf, "");
    tokens("!!! ... --- ,,, ??? \xe2\x80\x94 \xc2\xbf", buf, sizeof buf);
    assert_string_equal(buf, "");
    /* no features either, and the batch is left as it was */
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 1, 16), GN_OK);
    assert_int_equal(gn__batch_begin_example(&b, 1, 1, 0), GN_OK);
    gn_text t;
    gn__text_init(&t);
    gn_text_opts o = {2, 1, GN_TF_COUNT, 1, (1u << 18) - 1, NULL, 0};
    assert_int_equal(gn__text_features(&t, &o, 0, "", 0, &b), GN_OK);
    assert_int_equal(gn__text_features(&t, &o, 0, ".,;:!?", 6, &b), GN_OK);
    assert_int_equal(b.nnz, 0);
    gn__text_free(&t);
    gn__batch_free(&b);
}

/* The features of one document. */
static size_t features(const char *s, const gn_text_opts *o, gn_batch *b) {
    gn__batch_clear(b);
    assert_int_equal(gn__batch_begin_example(b, 1, 1, 0), GN_OK);
    gn_text t;
    gn__text_init(&t);
    assert_int_equal(gn__text_features(&t, o, gn__hash_namespace("text", 4), s, strlen(s), b), GN_OK);
    gn__text_free(&t);
    gn__batch_end_example(b);
    return b->start[1] - b->start[0];
}

static void test_ngrams_and_weights(void **state) {
    (void)state;
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 1, 16), GN_OK);
    const uint32_t mask = (1u << 24) - 1;
    gn_text_opts o = {1, 0, GN_TF_COUNT, 0, mask, NULL, 0};
    /* "a b a b a": unigrams a (3), b (2) */
    assert_int_equal(features("a b a b a", &o, &b), 2);
    float lo = fminf(b.value[0], b.value[1]), hi = fmaxf(b.value[0], b.value[1]);
    assert_true(lo == 2.0f && hi == 3.0f);
    /* + bigrams "a b" (2), "b a" (2): order matters */
    o.ngrams = 2;
    assert_int_equal(features("a b a b a", &o, &b), 4);
    /* 1-skip bigrams add "a a" (2) and "b b" (1); the trigram "a b a" etc. need ngrams 3 */
    o.skips = 1;
    assert_int_equal(features("a b a b a", &o, &b), 6);
    /* distinct words: n unigrams, n-1 bigrams, n-2 one-skip bigrams */
    assert_int_equal(features("w1 w2 w3 w4 w5 w6", &o, &b), 6 + 5 + 4);
    o.ngrams = 3;
    o.skips = 0;
    assert_int_equal(features("w1 w2 w3 w4 w5 w6", &o, &b), 6 + 5 + 4);
    /* binary and log weights */
    o.ngrams = 1;
    o.tf = GN_TF_BINARY;
    assert_int_equal(features("x x x y", &o, &b), 2);
    assert_true(b.value[0] == 1.0f && b.value[1] == 1.0f);
    o.tf = GN_TF_LOG;
    assert_int_equal(features("x x x y", &o, &b), 2);
    lo = fminf(b.value[0], b.value[1]);
    hi = fmaxf(b.value[0], b.value[1]);
    assert_true(lo == 1.0f && fabsf(hi - (float)(1.0 + log(3.0))) < 1e-6f);
    /* idf and unit norm: (3*i_x, 1*i_y) / norm */
    float *idf = malloc(((size_t)mask + 1) * sizeof *idf);
    assert_non_null(idf);
    for (size_t i = 0; i <= mask; i++) idf[i] = 2.0f;
    o.tf = GN_TF_COUNT;
    o.idf = idf;
    o.normalize = 1;
    assert_int_equal(features("x x x y", &o, &b), 2);
    double n2 = 0;
    for (size_t i = 0; i < 2; i++) n2 += (double)b.value[i] * b.value[i];
    assert_true(fabs(n2 - 1.0) < 1e-6);
    lo = fminf(b.value[0], b.value[1]);
    hi = fmaxf(b.value[0], b.value[1]);
    assert_true(fabs(hi / lo - 3.0) < 1e-5);
    free(idf);
    /* smoothed idf as scikit-learn's */
    assert_true(fabs(gn__text_idf(4, 1) - (log(5.0 / 2.0) + 1.0)) < 1e-12);
    assert_true(fabs(gn__text_idf(4, 4) - 1.0) < 1e-12);
    gn__batch_free(&b);
}

static void test_one_megabyte(void **state) {
    (void)state;
    const size_t len = (size_t)1 << 20;
    char *doc = malloc(len + 1);
    assert_non_null(doc);
    /* words of 1..9 letters from a small vocabulary, separated by mixed punctuation, with a
     * multibyte letter every so often */
    uint64_t rng = 7;
    size_t o = 0, words = 0;
    while (o + 16 < len) {
        size_t wl = 1 + gn__splitmix64(&rng) % 9;
        for (size_t k = 0; k < wl; k++) doc[o++] = (char)('a' + gn__splitmix64(&rng) % 4);
        if (gn__splitmix64(&rng) % 10 == 0) {
            doc[o++] = (char)0xc3;
            doc[o++] = (char)0xa9;
        }
        doc[o++] = " ,.;\n"[gn__splitmix64(&rng) % 5];
        words++;
    }
    while (o < len) doc[o++] = ' ';
    doc[len] = '\0';
    gn_text t;
    gn__text_init(&t);
    size_t pos = 0, n, count = 0;
    while ((n = gn__text_next_token(&t, doc, len, &pos)) > 0) count++;
    assert_int_equal(count, words);
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 1, 16), GN_OK);
    assert_int_equal(gn__batch_begin_example(&b, 1, 1, 0), GN_OK);
    gn_text_opts opts = {2, 0, GN_TF_LOG, 1, (1u << 20) - 1, NULL, 0};
    assert_int_equal(gn__text_features(&t, &opts, 0, doc, len, &b), GN_OK);
    gn__batch_end_example(&b);
    /* distinct slots, increasing, unit norm */
    double n2 = 0;
    for (size_t i = b.start[0]; i < b.start[1]; i++) {
        if (i > b.start[0]) assert_true(b.index[i] > b.index[i - 1]);
        n2 += (double)b.value[i] * b.value[i];
    }
    assert_true(b.start[1] > 1000);
    assert_true(fabs(n2 - 1.0) < 1e-4);
    gn__batch_free(&b);
    gn__text_free(&t);
    free(doc);
}

/* A document long enough for the radix sort of its terms (>= 128): 150 distinct words, each three
 * times in a scrambled order, counted as 3 each (tf count, no idf, no norm), slots increasing, at
 * bits 12 (two radix digits) and 20 (three). */
static void test_long_document_counts(void **state) {
    (void)state;
    char doc[150 * 3 * 8 + 1];
    size_t o = 0;
    for (unsigned r = 0; r < 450; r++) {
        const unsigned w = (r * 97u) % 150u; /* 97 is prime to 150: every word 3 times, scrambled */
        o += (size_t)snprintf(doc + o, sizeof doc - o, "w%u ", w);
    }
    for (unsigned bits = 12; bits <= 20; bits += 8) {
        gn_text t;
        gn__text_init(&t);
        gn_batch b;
        assert_int_equal(gn__batch_init(&b, 1, 16), GN_OK);
        assert_int_equal(gn__batch_begin_example(&b, 1, 1, 0), GN_OK);
        gn_text_opts opts = {1, 0, GN_TF_COUNT, 0, (1u << bits) - 1, NULL, 0};
        assert_int_equal(gn__text_features(&t, &opts, 0, doc, o, &b), GN_OK);
        gn__batch_end_example(&b);
        size_t n = b.start[1] - b.start[0];
        double total = 0;
        for (size_t i = b.start[0]; i < b.start[1]; i++) {
            if (i > b.start[0]) assert_true(b.index[i] > b.index[i - 1]);
            total += b.value[i];
        }
        assert_true(n <= 150 && n >= 140); /* a few hash collisions at 12 bits at most */
        assert_true(fabs(total - 450.0) < 1e-9);
        if (bits == 20) assert_int_equal(n, 150);
        gn__batch_free(&b);
        gn__text_free(&t);
    }
}

/* Term counts weighed afterwards (a cache made in one pass stores counts, its readers weigh them)
 * give the very bits of weighing while parsing: tf count, log and binary, with and without idf and
 * normalisation, unigrams to trigrams, a document with repeated words. */
static void test_counts_then_weigh(void **state) {
    (void)state;
    const char *doc = "the cat saw the other cat; the dog saw a cat and the cat ran, ran, ran away "
                      "from the dog who saw it all: cat cat dog";
    const uint32_t bits = 10, mask = (1u << bits) - 1;
    float idf[1u << 10];
    for (uint32_t i = 0; i <= mask; i++) idf[i] = (float)(1.0 + (double)((i * 2654435761u) % 1000u) / 250.0);
    for (int tf = GN_TF_BINARY; tf <= GN_TF_LOG; tf++)
        for (int with_idf = 0; with_idf < 2; with_idf++)
            for (int norm = 0; norm < 2; norm++)
                for (uint32_t ng = 1; ng <= 3; ng++) {
                    gn_text t;
                    gn__text_init(&t);
                    gn_batch direct, counted;
                    assert_int_equal(gn__batch_init(&direct, 1, 16), GN_OK);
                    assert_int_equal(gn__batch_init(&counted, 1, 16), GN_OK);
                    gn_text_opts o = {ng, 0, tf, norm, mask, with_idf ? idf : NULL, 0};
                    assert_int_equal(gn__batch_begin_example(&direct, 1, 1, 0), GN_OK);
                    assert_int_equal(gn__text_features(&t, &o, 7, doc, strlen(doc), &direct), GN_OK);
                    gn__batch_end_example(&direct);
                    o.counts = 1;
                    assert_int_equal(gn__batch_begin_example(&counted, 1, 1, 0), GN_OK);
                    assert_int_equal(gn__text_features(&t, &o, 7, doc, strlen(doc), &counted), GN_OK);
                    gn__batch_end_example(&counted);
                    int repeated = 0; /* counts: whole numbers, some above 1 ("cat", "the") */
                    for (size_t i = 0; i < counted.nnz; i++) {
                        assert_true(counted.value[i] >= 1.0f && counted.value[i] == floorf(counted.value[i]));
                        repeated |= counted.value[i] > 1.0f;
                    }
                    assert_true(repeated);
                    size_t n = gn__text_weigh(&o, counted.index, counted.value, counted.nnz);
                    assert_int_equal(n, direct.nnz);
                    assert_memory_equal(counted.index, direct.index, n * sizeof *counted.index);
                    assert_memory_equal(counted.value, direct.value, n * sizeof *counted.value);
                    gn__batch_free(&direct);
                    gn__batch_free(&counted);
                    gn__text_free(&t);
                }
}

/* idf tables as records (cache files): a round trip keeps every weight; bad records refused. */
static void test_idf_records(void **state) {
    (void)state;
    uint32_t df[1u << 10];
    memset(df, 0, sizeof df);
    df[3] = 5;
    df[700] = 1;
    df[1023] = 99;
    gn_idf *t, *back;
    assert_int_equal(gn__idf_from_df(10, 100, df, &t), GN_OK);
    unsigned char *r;
    size_t len;
    assert_int_equal(gn__idf_records(t, &r, &len), GN_OK);
    assert_int_equal(len, 3 * 8);
    assert_int_equal(gn__idf_from_records(10, 100, r, len, &back), GN_OK);
    assert_memory_equal(t->w, back->w, sizeof(float) << 10);
    gn_idf *none = NULL;
    assert_int_equal(gn__idf_from_records(9, 100, r, len, &none), GN_EFORMAT); /* slot 700 >= 2^9 */
    assert_int_equal(gn__idf_from_records(10, 100, r, len - 1, &none), GN_EFORMAT);
    unsigned char swapped[16];
    memcpy(swapped, r + 8, 8);
    memcpy(swapped + 8, r, 8);
    assert_int_equal(gn__idf_from_records(10, 100, swapped, 16, &none), GN_EFORMAT); /* out of order */
    assert_null(none);
    free(r);
    gn__idf_unref(back);
    gn__idf_unref(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_empty_and_punctuation),
        cmocka_unit_test(test_ngrams_and_weights),
        cmocka_unit_test(test_one_megabyte),
        cmocka_unit_test(test_long_document_counts),
        cmocka_unit_test(test_counts_then_weigh),
        cmocka_unit_test(test_idf_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
