/* test_cache.c: the binary cache (io/cache.c): every example comes back bit-for-bit (labels
 * +1/-1/0/real, importance weights, values 1 and others, keys) in the text's order, and for
 * nparts 1..5 the parts hold every example once; the header ties the cache to its files and
 * flags; every single-byte corruption of a cache file is an error (or harmless), never a crash
 * or a silently different example. A shuffled reader (--shuffle) gives every example once per
 * pass over its parts, in an order that changes with the pass and the seed, reproducibly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gannet/cache.h"
#include "gannet/gannet.h"
#include "io/cache.h"
#include "io/parser.h"
#include "io/source.h"
#include "io/text.h"

static char path_data[128], path_cache[128];

static int setup(void **state) {
    (void)state;
    snprintf(path_data, sizeof path_data, "/tmp/gn_test_cache_%d.vw", (int)getpid());
    snprintf(path_cache, sizeof path_cache, "/tmp/gn_test_cache_%d.cache", (int)getpid());
    FILE *f = fopen(path_data, "w");
    if (!f) return -1;
    /* VW text: real labels, importance weights, namespaces, values 1 and others */
    for (int i = 0; i < 3000; i++) {
        const char *labels[] = {"1", "-1", "0", "2.5", "-0.125"};
        fprintf(f, "%s", labels[i % 5]);
        if (i % 7 == 0) fprintf(f, " %d.5", i % 3 + 1);
        fprintf(f, " |a x%d y%d", i % 97, i % 13);
        if (i % 2) fprintf(f, " |b v:%d.25 w:-%d", i % 11, i % 5 + 1);
        if (i % 31 == 0) fprintf(f, " |c");
        fprintf(f, "\n");
    }
    fclose(f);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(path_data);
    unlink(path_cache);
    return 0;
}

static void spec_for(gn_data_spec *s) {
    gn_data_spec_init(s);
    s->format = GN_FORMAT_VW;
    s->bits = 12;
    s->label_kind = GN_LABEL_REAL;
}

/* Appends every example of b to acc (a batch used as a growing list). */
static void append(gn_batch *acc, const gn_batch *b) {
    for (size_t i = 0; i < b->n; i++) {
        size_t n = b->start[i + 1] - b->start[i];
        assert_int_equal(gn__batch_reserve_features(acc, n), GN_OK);
        assert_int_equal(gn__batch_begin_example(acc, b->label[i], b->weight[i], b->key[i]), GN_OK);
        for (size_t j = b->start[i]; j < b->start[i + 1]; j++) gn__batch_push(acc, b->index[j], b->value[j]);
        gn__batch_end_example(acc);
    }
}

static void read_source(gn_batch *acc) {
    gn_data_spec s;
    spec_for(&s);
    const char *paths[] = {path_data};
    gn_source *src;
    assert_int_equal(gn__source_open(&s, NULL, paths, 1, &src), GN_OK);
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 100, 1000), GN_OK);
    int st;
    while ((st = gn__source_next(src, &b, 100)) == GN_OK) append(acc, &b);
    assert_int_equal(st, GN_EOF);
    gn__batch_free(&b);
    gn__source_free(src);
}

static int read_cache_part(uint32_t part, uint32_t nparts, gn_batch *acc) {
    gn_cache_reader *r;
    int st = gn__cache_open_part(path_cache, part, nparts, &r);
    if (st != GN_OK) return st;
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 64, 1000), GN_OK);
    while ((st = gn__cache_next(r, &b, 64)) == GN_OK) append(acc, &b);
    gn__batch_free(&b);
    gn__cache_close(r);
    return st == GN_EOF ? GN_OK : st;
}

static int example_equal(const gn_batch *a, size_t i, const gn_batch *b, size_t j) {
    size_t n = a->start[i + 1] - a->start[i];
    if (n != b->start[j + 1] - b->start[j] || a->key[i] != b->key[j]) return 0;
    if (memcmp(&a->label[i], &b->label[j], 4) || memcmp(&a->weight[i], &b->weight[j], 4)) return 0;
    return !memcmp(a->index + a->start[i], b->index + b->start[j], n * 4) &&
           !memcmp(a->value + a->start[i], b->value + b->start[j], n * 4);
}

static void build(void) {
    gn_data_spec s;
    spec_for(&s);
    const char *paths[] = {path_data};
    gn_cache_info info;
    assert_int_equal(gn_cache_build(&s, paths, 1, path_cache, &info), GN_OK);
    assert_int_equal(info.examples, 3000);
}

static void test_round_trip_in_order(void **state) {
    (void)state;
    build();
    gn_batch text, cache;
    assert_int_equal(gn__batch_init(&text, 16, 16), GN_OK);
    assert_int_equal(gn__batch_init(&cache, 16, 16), GN_OK);
    read_source(&text);
    assert_int_equal(read_cache_part(0, 1, &cache), GN_OK);
    assert_int_equal(text.n, 3000);
    assert_int_equal(cache.n, text.n);
    for (size_t i = 0; i < text.n; i++)
        if (!example_equal(&text, i, &cache, i)) fail_msg("example %zu differs", i);
    gn__batch_free(&text);
    gn__batch_free(&cache);
}

static int find_key(const gn_batch *b, uint64_t key) {
    for (size_t i = 0; i < b->n; i++)
        if (b->key[i] == key) return (int)i;
    return -1;
}

static void test_parts_cover_once(void **state) {
    (void)state;
    build();
    gn_batch text;
    assert_int_equal(gn__batch_init(&text, 16, 16), GN_OK);
    read_source(&text);
    for (uint32_t nparts = 1; nparts <= 5; nparts++) {
        gn_batch all;
        assert_int_equal(gn__batch_init(&all, 16, 16), GN_OK);
        for (uint32_t p = 0; p < nparts; p++) assert_int_equal(read_cache_part(p, nparts, &all), GN_OK);
        assert_int_equal(all.n, text.n);
        for (size_t i = 0; i < all.n; i += 37) {
            int j = find_key(&text, all.key[i]);
            assert_true(j >= 0);
            assert_true(example_equal(&all, i, &text, (size_t)j));
        }
        gn__batch_free(&all);
    }
    gn__batch_free(&text);
}

static void test_check_ties_to_source_and_flags(void **state) {
    (void)state;
    build();
    gn_data_spec s;
    spec_for(&s);
    const char *paths[] = {path_data};
    assert_int_equal(gn_cache_check(&s, paths, 1, path_cache), GN_OK);
    s.bits = 13;
    assert_int_equal(gn_cache_check(&s, paths, 1, path_cache), GN_ESTALE);
    spec_for(&s);
    const char *other[] = {"/dev/null"};
    assert_int_equal(gn_cache_check(&s, other, 1, path_cache), GN_ESTALE);
    const char *missing = "/tmp/gn_test_cache_missing.cache";
    assert_int_equal(gn_cache_check(&s, paths, 1, missing), GN_ESTALE);
}

/* Flips one byte at a time (every 7th position, and all of the first 300 and last 60 bytes):
 * gn_cache_check must fail each time, and reading must never crash. */
static void test_every_corruption_is_detected(void **state) {
    (void)state;
    build();
    FILE *f = fopen(path_cache, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *orig = malloc((size_t)size);
    assert_non_null(orig);
    assert_int_equal(fread(orig, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    gn_data_spec s;
    spec_for(&s);
    const char *paths[] = {path_data};
    int tried = 0;
    for (long pos = 0; pos < size; pos++) {
        if (!(pos < 300 || pos >= size - 60 || pos % 7 == 0)) continue;
        orig[pos] ^= 0x41;
        f = fopen(path_cache, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(orig, 1, (size_t)size, f), (size_t)size);
        fclose(f);
        int st = gn_cache_check(&s, paths, 1, path_cache);
        if (st == GN_OK) fail_msg("a flipped byte at %ld was not detected", pos);
        gn_batch all;
        assert_int_equal(gn__batch_init(&all, 16, 16), GN_OK);
        (void)read_cache_part(0, 2, &all); /* must not crash */
        gn__batch_clear(&all);
        gn_cache_reader *r; /* a shuffled reader too, on every 4th flip (time under sanitizers) */
        if (tried % 4 == 0 && gn__cache_open_shuffled(path_cache, 0, 1, 5, 10, &r) == GN_OK) {
            gn_batch b;
            assert_int_equal(gn__batch_init(&b, 64, 1000), GN_OK);
            while (gn__cache_next(r, &b, 64) == GN_OK) {
            }
            gn__batch_free(&b);
            gn__cache_close(r);
        }
        gn__batch_free(&all);
        orig[pos] ^= 0x41;
        tried++;
    }
    assert_true(tried > 100);
    /* truncated at several lengths */
    for (long len = 0; len < size; len += size / 13 + 1) {
        f = fopen(path_cache, "wb");
        assert_int_equal(fwrite(orig, 1, (size_t)len, f), (size_t)len);
        fclose(f);
        assert_int_not_equal(gn_cache_check(&s, paths, 1, path_cache), GN_OK);
    }
    free(orig);
}

/* ---- a cache alone (train --cache without files) ---- */

static void test_open_alone(void **state) {
    (void)state;
    build();
    gn_data_spec given, resolved;
    gn_parser *p = NULL;
    char **files = NULL;
    size_t nfiles = 0;
    /* no data flags at all (defaults), the loss's label kind: the cache's spec */
    gn_data_spec_init(&given);
    given.label_kind = GN_LABEL_REAL;
    assert_int_equal(gn__cache_open_alone(path_cache, &given, &resolved, &p, &files, &nfiles), GN_OK);
    assert_int_equal(resolved.bits, 12);
    assert_int_equal(resolved.format, GN_FORMAT_VW);
    assert_int_equal(nfiles, 1);
    char real[4096];
    assert_non_null(realpath(path_data, real));
    assert_string_equal(files[0], real);
    gn__parser_free(p);
    free(files);
    /* flags that agree (and parse-only ones) are fine */
    given.bits = 12;
    given.format = GN_FORMAT_VW;
    given.skip_bad = 1;
    given.max_line = 4096;
    assert_int_equal(gn__cache_open_alone(path_cache, &given, &resolved, &p, &files, &nfiles), GN_OK);
    assert_int_equal(resolved.skip_bad, 1);
    gn__parser_free(p);
    free(files);
    /* a contradiction names the field; nothing is returned */
    given.bits = 13;
    p = NULL;
    files = NULL;
    assert_int_equal(gn__cache_open_alone(path_cache, &given, &resolved, &p, &files, &nfiles), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "bits is 13 here and 12 in the cache"));
    assert_null(p);
    assert_null(files);
    given.bits = 12;
    given.bias = 0;
    assert_int_equal(gn__cache_open_alone(path_cache, &given, &resolved, &p, &files, &nfiles), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "bias"));
    given.bias = 1;
    given.label_kind = GN_LABEL_BINARY;
    assert_int_equal(gn__cache_open_alone(path_cache, &given, &resolved, &p, &files, &nfiles), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "real labels"));
    /* missing: an I/O error that says how to make it */
    given.label_kind = GN_LABEL_REAL;
    assert_int_equal(gn__cache_open_alone("/tmp/gn_test_cache_missing.cache", &given, &resolved, &p, &files, &nfiles),
                     GN_EIO);
    assert_non_null(strstr(gn_last_error(), "give -d DATA"));
}

/* gn_cache_check_given: the named data parameters are checked even at their default value */
static void test_check_given(void **state) {
    (void)state;
    build();
    gn_data_spec spec;
    gn_data_spec_init(&spec); /* bits 18: the default, and not the cache's 12 */
    assert_int_equal(gn_cache_check_given(path_cache, &spec, NULL, 0), GN_OK);
    const char *bits[] = {"bits"};
    assert_int_equal(gn_cache_check_given(path_cache, &spec, bits, 1), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "bits is 18 here and 12 in the cache"));
    spec.bits = 12;
    assert_int_equal(gn_cache_check_given(path_cache, &spec, bits, 1), GN_OK);
    /* detection (format auto) agrees with what was detected; parse-only fields are not checked */
    const char *some[] = {"format", "sep", "header", "max_line", "skip_bad", "bits"};
    spec.max_line = 10;
    assert_int_equal(gn_cache_check_given(path_cache, &spec, some, 6), GN_OK);
    spec.format = GN_FORMAT_VW;
    assert_int_equal(gn_cache_check_given(path_cache, &spec, some, 6), GN_OK);
    spec.format = GN_FORMAT_LIBSVM;
    assert_int_equal(gn_cache_check_given(path_cache, &spec, some, 6), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "format"));
    /* the parameter's name, not the spec key; only data parameters */
    const char *label[] = {"label"};
    snprintf(spec.label_col, sizeof spec.label_col, "7");
    assert_int_equal(gn_cache_check_given(path_cache, &spec, label, 1), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "label is \"7\" here"));
    const char *l2[] = {"l2"};
    assert_int_equal(gn_cache_check_given(path_cache, &spec, l2, 1), GN_EINVAL);
    assert_int_equal(gn_cache_check_given("/tmp/gn_test_cache_missing.cache", &spec, bits, 1), GN_EIO);
}

/* ---- --shuffle ---- */

static char path_big[128], path_big_cache[128];
static uint64_t big_blocks;

/* A LIBSVM file big enough for a few dozen blocks, and its cache. Returns the example count. */
static size_t build_big(void) {
    snprintf(path_big, sizeof path_big, "/tmp/gn_test_cache_big_%d.svm", (int)getpid());
    snprintf(path_big_cache, sizeof path_big_cache, "/tmp/gn_test_cache_big_%d.cache", (int)getpid());
    FILE *f = fopen(path_big, "w");
    assert_non_null(f);
    const size_t n = 40000;
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s", i % 3 ? "+1" : "-1");
        for (size_t j = 0; j < 20; j++) fprintf(f, " %zu:0.%zu", 1 + j * 50 + (i * 7 + j) % 50, 1 + (i + j) % 97);
        fprintf(f, "\n");
    }
    fclose(f);
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 16;
    const char *paths[] = {path_big};
    gn_cache_info info;
    assert_int_equal(gn_cache_build(&s, paths, 1, path_big_cache, &info), GN_OK);
    assert_int_equal(info.examples, n);
    assert_true(info.blocks >= 16);
    big_blocks = info.blocks;
    return n;
}

/* Reads pass `pass` of every part of the shuffled cache, part after part, into acc. Returns the
 * ways of part 0. */
static size_t read_shuffled(uint32_t nparts, uint64_t seed, uint32_t pass, size_t buffer, gn_batch *acc) {
    size_t ways = 0;
    for (uint32_t p = 0; p < nparts; p++) {
        gn_cache_reader *r;
        int st = gn__cache_open_shuffled(path_big_cache, p, nparts, seed, buffer, &r);
        if (st != GN_OK) fail_msg("open_shuffled: %s", gn_last_error());
        if (p == 0) ways = gn__cache_ways(r);
        if (pass != 1) assert_int_equal(gn__cache_rewind_pass(r, pass), GN_OK);
        assert_true(gn__cache_bytes_total(r) > 0);
        gn_batch b;
        assert_int_equal(gn__batch_init(&b, 64, 1000), GN_OK);
        while ((st = gn__cache_next(r, &b, 100)) == GN_OK) append(acc, &b);
        assert_int_equal(st, GN_EOF);
        assert_int_equal(gn__cache_next(r, &b, 100), GN_EOF); /* and again */
        assert_true(gn__cache_bytes_done(r) == gn__cache_bytes_total(r));
        gn__batch_free(&b);
        gn__cache_close(r);
    }
    return ways;
}

/* Every example of text exactly once in got, bit for bit. text is in key order. */
static void assert_each_once(const gn_batch *got, const gn_batch *text) {
    assert_int_equal(got->n, text->n);
    char *seen = calloc(text->n, 1);
    assert_non_null(seen);
    for (size_t i = 0; i < got->n; i++) {
        size_t lo = 0, hi = text->n;
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (text->key[mid] <= got->key[i]) lo = mid;
            else hi = mid;
        }
        assert_true(text->key[lo] == got->key[i]);
        assert_false(seen[lo]);
        seen[lo] = 1;
        if (!example_equal(got, i, text, lo)) fail_msg("example with key %llu differs", (unsigned long long)got->key[i]);
    }
    free(seen);
}

static int same_keys(const gn_batch *a, const gn_batch *b) {
    return a->n == b->n && memcmp(a->key, b->key, a->n * sizeof *a->key) == 0;
}

static void test_shuffled_blocks(void **state) {
    (void)state;
    size_t n = build_big();
    gn_batch text;
    assert_int_equal(gn__batch_init(&text, 16, 16), GN_OK);
    {
        gn_cache_reader *r;
        assert_int_equal(gn__cache_open_part(path_big_cache, 0, 1, &r), GN_OK);
        gn_batch b;
        assert_int_equal(gn__batch_init(&b, 64, 1000), GN_OK);
        int st;
        while ((st = gn__cache_next(r, &b, 100)) == GN_OK) append(&text, &b);
        assert_int_equal(st, GN_EOF);
        gn__batch_free(&b);
        gn__cache_close(r);
    }
    assert_int_equal(text.n, n);
    for (size_t i = 1; i < n; i++) assert_true(text.key[i] > text.key[i - 1]);
    /* a buffer of 1M examples spans every block: blocks are read one at a time; a buffer of 100
     * is less than a block: 32 blocks (or all of the part's) are read at once */
    for (size_t buffer = 100; buffer <= (1u << 20); buffer <<= 14) {
        for (uint32_t nparts = 1; nparts <= 3; nparts += 2) {
            gn_batch p1, p1b, p2, other;
            assert_int_equal(gn__batch_init(&p1, 16, 16), GN_OK);
            assert_int_equal(gn__batch_init(&p1b, 16, 16), GN_OK);
            assert_int_equal(gn__batch_init(&p2, 16, 16), GN_OK);
            assert_int_equal(gn__batch_init(&other, 16, 16), GN_OK);
            size_t ways = read_shuffled(nparts, 42, 1, buffer, &p1);
            uint64_t mine = (big_blocks + nparts - 1) / nparts; /* part 0's blocks */
            assert_int_equal(ways, buffer == 100 ? (mine < 32 ? mine : 32) : 1);
            read_shuffled(nparts, 42, 2, buffer, &p2);
            assert_false(same_keys(&p1, &p2));
            if (nparts == 1) { /* (fewer reads: time under sanitizers) */
                read_shuffled(nparts, 42, 1, buffer, &p1b);
                read_shuffled(nparts, 43, 1, buffer, &other);
                assert_true(same_keys(&p1, &p1b));
                assert_false(same_keys(&p1, &other));
                assert_each_once(&other, &text);
            }
            size_t down = 0; /* key decreases: at block borders only, unless blocks interleave */
            for (size_t i = 1; i < p1.n; i++) down += p1.key[i] < p1.key[i - 1];
            assert_true(down > 0);
            if (ways > 1) assert_true(down > p1.n / 4);
            else assert_true(down < 64);
            assert_each_once(&p1, &text);
            assert_each_once(&p2, &text);
            gn__batch_free(&p1);
            gn__batch_free(&p1b);
            gn__batch_free(&p2);
            gn__batch_free(&other);
        }
    }
    gn__batch_free(&text);
    unlink(path_big);
    unlink(path_big_cache);
}

/* --idf over a --format dir tree: the cache is made in one tokenizing pass (term counts, the
 * document frequencies counted as it is written, weighed by its readers); every example read from
 * it equals, bit for bit, the example a source parses with the idf of a first pass, and the idf
 * table it stores (what a model trained from it keeps) equals that first pass's. */
static void test_one_pass_idf_tree(void **state) {
    (void)state;
    char root[128], dir[192], file[256], cache[160];
    snprintf(root, sizeof root, "/tmp/gn_test_cache_%d_tree", (int)getpid());
    snprintf(cache, sizeof cache, "/tmp/gn_test_cache_%d_tree.cache", (int)getpid());
    const char *classes[] = {"alpha", "beta", "gamma"};
    const char *words[] = {"cat", "dog", "ran", "the", "saw", "über", "naïve", "away", "bird", "sky", "x1", "q"};
    assert_int_equal(mkdir(root, 0700), 0);
    uint64_t rng = 42;
    for (int c = 0; c < 3; c++) {
        snprintf(dir, sizeof dir, "%s/%s", root, classes[c]);
        assert_int_equal(mkdir(dir, 0700), 0);
        for (int d = 0; d < 40; d++) {
            snprintf(file, sizeof file, "%s/doc%d.txt", dir, d);
            FILE *f = fopen(file, "w");
            assert_non_null(f);
            const int n = 3 + d % 17;
            for (int w = 0; w < n; w++) { /* class-skewed words, some repeated in a document */
                rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                fprintf(f, "%s%s", words[(rng >> 33) % (w % 3 ? 12 : 4 + 2 * (unsigned)c)], w % 5 == 4 ? "\n" : " ");
            }
            fclose(f);
        }
    }
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.format = GN_FORMAT_DIR;
    s.bits = 14;
    s.label_kind = GN_LABEL_CLASS;
    s.ngrams = 2;
    s.tf = GN_TF_LOG;
    s.idf = 1;
    s.normalize_rows = 1;
    const char *paths[] = {root};
    /* two passes: a source finds the document frequencies first, then parses with the weights */
    gn_source *src;
    assert_int_equal(gn__source_open(&s, NULL, paths, 1, &src), GN_OK);
    gn_batch text, cached, b;
    assert_int_equal(gn__batch_init(&text, 16, 16), GN_OK);
    assert_int_equal(gn__batch_init(&cached, 16, 16), GN_OK);
    assert_int_equal(gn__batch_init(&b, 100, 1000), GN_OK);
    int st;
    while ((st = gn__source_next(src, &b, 50)) == GN_OK) append(&text, &b);
    assert_int_equal(st, GN_EOF);
    const gn_idf *two = gn__parser_idf(gn__source_parser(src));
    assert_non_null(two);
    assert_int_equal(two->docs, 120);
    /* one pass: the cache */
    gn_cache_info info;
    assert_int_equal(gn_cache_build(&s, paths, 1, cache, &info), GN_OK);
    assert_int_equal(info.examples, 120);
    gn_cache_reader *r;
    assert_int_equal(gn__cache_open_part(cache, 0, 1, &r), GN_OK);
    while ((st = gn__cache_next(r, &b, 64)) == GN_OK) append(&cached, &b);
    assert_int_equal(st, GN_EOF);
    gn__cache_close(r);
    assert_int_equal(cached.n, text.n);
    int weighed = 0;
    for (size_t i = 0; i < text.n; i++) {
        if (!example_equal(&text, i, &cached, i)) fail_msg("example %zu differs", i);
        for (size_t j = text.start[i]; j < text.start[i + 1]; j++) weighed |= text.value[j] != 1.0f && text.index[j] != 0;
    }
    assert_true(weighed); /* the values are weights, not the stored counts */
    gn_data_spec given, resolved;
    gn_data_spec_init(&given);
    given.label_kind = GN_LABEL_CLASS; /* as softmax asks */
    gn_parser *p = NULL;
    char **files = NULL;
    size_t nfiles = 0;
    st = gn__cache_open_alone(cache, &given, &resolved, &p, &files, &nfiles);
    if (st != GN_OK) fail_msg("%s", gn_last_error());
    const gn_idf *one = gn__parser_idf(p);
    assert_non_null(one);
    assert_int_equal(one->docs, two->docs);
    assert_memory_equal(one->w, two->w, sizeof(float) << s.bits);
    gn__parser_free(p);
    free(files);
    gn__source_free(src);
    gn__batch_free(&text);
    gn__batch_free(&cached);
    gn__batch_free(&b);
    unlink(cache);
    for (int c = 0; c < 3; c++) {
        for (int d = 0; d < 40; d++) {
            snprintf(file, sizeof file, "%s/%s/doc%d.txt", root, classes[c], d);
            unlink(file);
        }
        snprintf(dir, sizeof dir, "%s/%s", root, classes[c]);
        rmdir(dir);
    }
    rmdir(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_in_order),
        cmocka_unit_test(test_parts_cover_once),
        cmocka_unit_test(test_check_ties_to_source_and_flags),
        cmocka_unit_test(test_every_corruption_is_detected),
        cmocka_unit_test(test_open_alone),
        cmocka_unit_test(test_check_given),
        cmocka_unit_test(test_shuffled_blocks),
        cmocka_unit_test(test_one_pass_idf_tree),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
