/* test_source_part.c: gn__source_open_part (io/source.c) and byte-range line readers
 * (io/linereader.c): for nparts 1..7 the parts together hold exactly the examples of a
 * sequential read, with identical keys, labels and features; over LIBSVM with comments and
 * blank lines, CSV with a header, CSV whose quoted fields hold newlines (so byte ranges begin
 * inside them), several files, and gzip (which goes whole to one part).
 * gn__source_open_shuffled (--shuffle) likewise, for every pass, and its order is shuffled,
 * changes with the pass and the seed, and is the same for the same seed, pass and nparts; over
 * quoted multi-line CSV records its chunks start at true record starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "gannet/gannet.h"
#include "io/linereader.h"
#include "io/source.h"

typedef struct rec {
    uint64_t key;
    float label;
    uint64_t fsum; /* a fingerprint of the example's features */
    size_t nnz;
} rec;

typedef struct recs {
    rec *r;
    size_t n, cap;
} recs;

static void add_batch(recs *rs, const gn_batch *b) {
    for (size_t i = 0; i < b->n; i++) {
        if (rs->n == rs->cap) {
            rs->cap = rs->cap ? rs->cap * 2 : 256;
            rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
            assert_non_null(rs->r);
        }
        rec *r = &rs->r[rs->n++];
        r->key = b->key[i];
        r->label = b->label[i];
        r->nnz = b->start[i + 1] - b->start[i];
        r->fsum = 1469598103934665603ull;
        for (size_t j = b->start[i]; j < b->start[i + 1]; j++) {
            uint32_t vb;
            memcpy(&vb, &b->value[j], 4);
            r->fsum = (r->fsum ^ b->index[j]) * 1099511628211ull;
            r->fsum = (r->fsum ^ vb) * 1099511628211ull;
        }
    }
}

static int by_key(const void *a, const void *b) {
    uint64_t x = ((const rec *)a)->key, y = ((const rec *)b)->key;
    return x < y ? -1 : x > y;
}

static void read_all(gn_source *s, recs *rs) {
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 7, 64), GN_OK);
    int st;
    while ((st = gn__source_next(s, &b, 7)) == GN_OK) add_batch(rs, &b);
    if (st != GN_EOF) fail_msg("source_next: %s", gn_last_error());
    gn__batch_free(&b);
}

static void check_parts(const gn_data_spec *spec, const char *const *paths, size_t npaths, size_t expect_n) {
    gn_source *s;
    recs whole = {0};
    assert_int_equal(gn__source_open(spec, NULL, paths, npaths, &s), GN_OK);
    read_all(s, &whole);
    gn__source_free(s);
    assert_int_equal(whole.n, expect_n);
    qsort(whole.r, whole.n, sizeof *whole.r, by_key);
    for (uint32_t nparts = 1; nparts <= 7; nparts++) {
        recs parts = {0};
        for (uint32_t p = 0; p < nparts; p++) {
            int st = gn__source_open_part(spec, NULL, paths, npaths, p, nparts, &s);
            if (st != GN_OK) fail_msg("open_part %u/%u: %s", p, nparts, gn_last_error());
            read_all(s, &parts);
            /* a second pass over the part gives the same again */
            if (p == nparts / 2) {
                recs again = {0};
                assert_int_equal(gn__source_rewind(s), GN_OK);
                read_all(s, &again);
                size_t before = parts.n - again.n;
                for (size_t i = 0; i < again.n; i++) assert_true(again.r[i].key == parts.r[before + i].key);
                free(again.r);
            }
            gn__source_free(s);
        }
        assert_int_equal(parts.n, whole.n);
        qsort(parts.r, parts.n, sizeof *parts.r, by_key);
        for (size_t i = 0; i < whole.n; i++) {
            assert_true(parts.r[i].key == whole.r[i].key);
            assert_true(parts.r[i].label == whole.r[i].label);
            assert_true(parts.r[i].nnz == whole.r[i].nnz);
            assert_true(parts.r[i].fsum == whole.r[i].fsum);
        }
        free(parts.r);
    }
    free(whole.r);
}

static void check_shuffled(const gn_data_spec *spec, const char *const *paths, size_t npaths, size_t expect_n,
                           size_t chunk_examples);

static char *temp_path(const char *suffix) {
    static int counter;
    char *p = malloc(256);
    assert_non_null(p);
    snprintf(p, 256, "/tmp/gn_test_part_%d_%d%s", (int)getpid(), counter++, suffix);
    return p;
}

/* LIBSVM lines of varied length, with a leading comment, blank lines and trailing comments. */
static char *write_libsvm(int n, int seed, int last_newline) {
    char *path = temp_path(".svm");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "# a comment first\n\n");
    unsigned r = (unsigned)seed * 2654435761u + 1;
    for (int i = 0; i < n; i++) {
        r = r * 1103515245u + 12345u;
        int nf = (int)(r >> 16) % 12;
        fprintf(f, "%s", (r >> 8) & 1 ? "+1" : "-1");
        for (int j = 0; j < nf; j++) fprintf(f, " %d:%d.%d", j * 7 + (int)(r % 5) + 1, i % 10, j);
        if (i % 17 == 3) fprintf(f, " # trailing");
        if (i % 23 == 5) fprintf(f, "\n");
        if (i < n - 1 || last_newline) fprintf(f, "\n");
    }
    fclose(f);
    return path;
}

static void test_libsvm_one_file(void **state) {
    (void)state;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    char *a = write_libsvm(300, 1, 1);
    const char *paths[] = {a};
    check_parts(&spec, paths, 1, 300);
    spec.format = GN_FORMAT_LIBSVM;
    check_parts(&spec, paths, 1, 300);
    unlink(a);
    free(a);
}

static void test_libsvm_no_final_newline_and_tiny(void **state) {
    (void)state;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    char *a = write_libsvm(250, 2, 0);
    char *t = write_libsvm(2, 3, 1); /* fewer lines than parts */
    const char *p1[] = {a};
    check_parts(&spec, p1, 1, 250);
    const char *p2[] = {t};
    check_parts(&spec, p2, 1, 2);
    unlink(a);
    unlink(t);
    free(a);
    free(t);
}

static void test_several_files(void **state) {
    (void)state;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    char *f[4];
    for (int i = 0; i < 4; i++) f[i] = write_libsvm(40 + 30 * i, 10 + i, 1);
    const char *paths[] = {f[0], f[1], f[2], f[3]};
    check_parts(&spec, paths, 4, 40 + 70 + 100 + 130);
    check_parts(&spec, paths, 2, 40 + 70);
    for (int i = 0; i < 4; i++) {
        unlink(f[i]);
        free(f[i]);
    }
}

static void test_csv_header(void **state) {
    (void)state;
    char *path = temp_path(".csv");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "y,age,city,score\n");
    for (int i = 0; i < 200; i++)
        fprintf(f, "%d,%d,%s,%d.%d\n", i % 3 == 0, 20 + i % 50, i % 4 ? "paris" : "rome", i, i % 7);
    fclose(f);
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    snprintf(spec.label_col, sizeof spec.label_col, "y");
    snprintf(spec.categorical, sizeof spec.categorical, "city");
    const char *paths[] = {path};
    check_parts(&spec, paths, 1, 200);
    unlink(path);
    free(path);
}

/* A CSV as exported by spreadsheets: BOM, CRLF, and most of its bytes inside quoted fields that
 * hold newlines and text that looks like records ("1,2,3"), so that most range boundaries fall
 * inside a quoted field; some records are long. With max_line 1024 and skip_bad, fields over
 * the limit and an unclosed quote are refused the same way whatever the split. */
static char *write_messy_csv(int n, int with_bad) {
    char *path = temp_path(".csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "\xEF\xBB\xBFy,\"free text\",n,city\r\n");
    unsigned r = 99;
    for (int i = 0; i < n; i++) {
        r = r * 1103515245u + 12345u;
        fprintf(f, "%d,\"", (r >> 9) & 1);
        int lines = (int)((r >> 12) % 6);
        if (i % 37 == 11) lines = 40;
        if (with_bad && i % 53 == 7) lines = 60; /* over 1024 bytes */
        for (int k = 0; k < lines; k++)
            fprintf(f, "%s line %d, \"\"quoted\"\" %s\n1,2,3\n", k % 2 ? "a" : "another", k, k % 3 ? "\r" : "");
        fprintf(f, "\",%d.%d,%s\r\n", i, (int)(r % 10), (r >> 20) % 3 ? "paris" : "\"new\nyork\"");
    }
    if (with_bad) fprintf(f, "1,\"never closed,2,x\r\n0,plain,3,rome\r\n");
    fclose(f);
    return path;
}

static void test_csv_quoted_newlines(void **state) {
    (void)state;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    snprintf(spec.label_col, sizeof spec.label_col, "y");
    snprintf(spec.categorical, sizeof spec.categorical, "city");
    snprintf(spec.numeric, sizeof spec.numeric, "n");
    char *path = write_messy_csv(400, 0);
    const char *paths[] = {path};
    check_parts(&spec, paths, 1, 400);
    spec.format = GN_FORMAT_CSV;
    spec.sep = ',';
    check_parts(&spec, paths, 1, 400);
    unlink(path);
    free(path);

    /* over-long records and an unclosed quote at the end, skipped */
    path = write_messy_csv(300, 1);
    paths[0] = path;
    spec.max_line = 1024;
    spec.skip_bad = 1;
    gn_source *s;
    recs whole = {0};
    assert_int_equal(gn__source_open(&spec, NULL, paths, 1, &s), GN_OK);
    read_all(s, &whole);
    uint64_t skipped = gn__source_skipped(s);
    gn__source_free(s);
    assert_true(skipped >= 6); /* the test has what it is about */
    check_parts(&spec, paths, 1, whole.n);
    free(whole.r);
    unlink(path);
    free(path);
}

/* Leading comment lines are lines, whatever quotes they hold, for every reader of a file: a
 * comment with an odd number of '"' used to be a record start for parts (quotes followed from the
 * file start) but a line for the sequential read, so parts and the whole file read different
 * records (found by fuzz_source). Two files, so the second file's start is checked too. */
static char *write_commented_csv(int n, unsigned seed) {
    char *path = temp_path(".csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "# exported by \"tool\n#  a comment with one \" quote\n\n   # indented \"\n");
    fprintf(f, "y,text,n\n");
    unsigned r = seed;
    for (int i = 0; i < n; i++) {
        r = r * 1103515245u + 12345u;
        if (i % 5 == 0) fprintf(f, "%d,\"two\nlines, \"\"q\"\"\",%d\n", (r >> 9) & 1, i);
        else fprintf(f, "%d,plain %u,%d\n", (r >> 9) & 1, r % 97, i);
    }
    fclose(f);
    return path;
}

static void test_leading_comments_with_quotes(void **state) {
    (void)state;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    snprintf(spec.label_col, sizeof spec.label_col, "y");
    snprintf(spec.numeric, sizeof spec.numeric, "n");
    snprintf(spec.categorical, sizeof spec.categorical, "text");
    char *a = write_commented_csv(6000, 7), *b = write_commented_csv(4000, 11);
    const char *paths[] = {a, b};
    check_parts(&spec, paths, 2, 10000);
    check_shuffled(&spec, paths, 2, 10000, 64);
    spec.format = GN_FORMAT_CSV;
    spec.sep = ',';
    check_parts(&spec, paths, 2, 10000);
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

/* With skip_bad, the first data line of a CSV may not be skipped (it decides where records start;
 * skipping it made a sequential read and a read by parts disagree), and the error says why. */
static void test_first_csv_line_not_skipped(void **state) {
    (void)state;
    char *path = temp_path(".csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "# comment\n");
    for (int i = 0; i < 300; i++) fputc('x', f);
    fprintf(f, ",\"a\nb\"\n1,2\n0,3\n");
    fclose(f);
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.max_line = 128;
    spec.skip_bad = 1;
    const char *paths[] = {path};
    gn_source *s = NULL;
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 8, 64), GN_OK);
    for (int csv = 0; csv <= 1; csv++) { /* detected (the format is decided on it), or given */
        spec.format = csv ? GN_FORMAT_CSV : GN_FORMAT_AUTO;
        int st = gn__source_open(&spec, NULL, paths, 1, &s);
        if (st == GN_OK) {
            while ((st = gn__source_next(s, &b, 8)) == GN_OK) {}
            gn__source_free(s);
        }
        assert_int_equal(st, GN_ELIMIT);
        assert_non_null(strstr(gn_last_error(), ":2: line longer than 128 bytes"));
        if (csv && !strstr(gn_last_error(), "first data line of a CSV file cannot be skipped")) fail_msg("%s", gn_last_error());
    }
    int st;
    /* LIBSVM has no records across lines: its first line is skipped as any other */
    f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 300; i++) fputc('1', f);
    fprintf(f, "\n1 1:2\n-1 2:3\n");
    fclose(f);
    spec.format = GN_FORMAT_LIBSVM;
    assert_int_equal(gn__source_open(&spec, NULL, paths, 1, &s), GN_OK);
    size_t n = 0;
    while ((st = gn__source_next(s, &b, 8)) == GN_OK) n += b.n;
    assert_int_equal(st, GN_EOF);
    assert_int_equal(n, 2);
    assert_int_equal(gn__source_skipped(s), 1);
    gn__source_free(s);
    gn__batch_free(&b);
    unlink(path);
    free(path);
}

static void test_gzip_whole_to_one_part(void **state) {
    (void)state;
    char *plain = write_libsvm(120, 5, 1);
    char *gz = temp_path(".svm.gz");
    FILE *in = fopen(plain, "r");
    gzFile out = gzopen(gz, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(gzwrite(out, buf, (unsigned)got), (int)got);
    fclose(in);
    gzclose(out);
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    const char *p1[] = {gz};
    check_parts(&spec, p1, 1, 120);
    char *other = write_libsvm(90, 6, 1);
    const char *p2[] = {other, gz};
    check_parts(&spec, p2, 2, 90 + 120);
    unlink(plain);
    unlink(gz);
    unlink(other);
    free(plain);
    free(gz);
    free(other);
}

/* A parse error in a later part names the line number within the whole file. */
static void test_error_names_whole_file_line(void **state) {
    (void)state;
    char *path = temp_path(".svm");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 100; i++) fprintf(f, "%s\n", i == 90 ? "+1 3:abc" : "+1 3:1 4:2");
    fclose(f);
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    const char *paths[] = {path};
    gn_source *s;
    assert_int_equal(gn__source_open_part(&spec, NULL, paths, 1, 3, 4, &s), GN_OK);
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 16, 64), GN_OK);
    int st;
    while ((st = gn__source_next(s, &b, 16)) == GN_OK) {
    }
    assert_int_equal(st, GN_EPARSE);
    char want[300];
    snprintf(want, sizeof want, "%s:91:", path);
    if (!strstr(gn_last_error(), want)) fail_msg("message '%s' lacks '%s'", gn_last_error(), want);
    gn__batch_free(&b);
    gn__source_free(s);
    unlink(path);
    free(path);
}

/* Lines the reader refuses (over max_line; a CSV quote never closed) in a later part are named
 * by their line within the whole file too. */
static void test_reader_errors_name_whole_file_line(void **state) {
    (void)state;
    char *path = temp_path(".csv");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "y,a,b\n");
    for (int i = 0; i < 100; i++) fprintf(f, "%d,\"x\ny\",%d\n", i % 2, i);
    fprintf(f, "1,\"never closed,3\n0,1,2\n");
    fclose(f);
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    const char *paths[] = {path};
    gn_source *s;
    assert_int_equal(gn__source_open_part(&spec, NULL, paths, 1, 1, 2, &s), GN_OK);
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 16, 64), GN_OK);
    int st;
    while ((st = gn__source_next(s, &b, 16)) == GN_OK) {
    }
    assert_int_equal(st, GN_EPARSE);
    char want[300];
    snprintf(want, sizeof want, "%s:202: unterminated quoted field", path);
    if (!strstr(gn_last_error(), want)) fail_msg("message '%s' lacks '%s'", gn_last_error(), want);
    gn__source_free(s);

    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 1000; i++) fprintf(f, "+1 1:%d\n", i);
    fprintf(f, "+1 1:");
    for (int i = 0; i < 2000; i++) fputc('1', f);
    fprintf(f, "\n+1 2:1\n");
    fclose(f);
    spec.max_line = 1024;
    assert_int_equal(gn__source_open_part(&spec, NULL, paths, 1, 1, 2, &s), GN_OK);
    while ((st = gn__source_next(s, &b, 16)) == GN_OK) {
    }
    assert_int_equal(st, GN_ELIMIT);
    snprintf(want, sizeof want, "%s:1001: line longer than 1024 bytes", path);
    if (!strstr(gn_last_error(), want)) fail_msg("message '%s' lacks '%s'", gn_last_error(), want);
    gn__source_free(s);
    gn__batch_free(&b);
    unlink(path);
    free(path);
}

static void test_bad_part(void **state) {
    (void)state;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    const char *paths[] = {"/nonexistent"};
    gn_source *s;
    assert_int_equal(gn__source_open_part(&spec, NULL, paths, 1, 2, 2, &s), GN_EINVAL);
    assert_int_equal(gn__source_open_part(&spec, NULL, paths, 1, 0, 0, &s), GN_EINVAL);
    assert_int_equal(gn__source_open_part(&spec, NULL, paths, 1, 0, 2, &s), GN_EIO);
}

/* The lines (offset and text) of [begin, end) of path, read by r (freed). */
static size_t range_lines(gn_line_reader *r, uint64_t *offs, size_t max) {
    const char *line;
    size_t len, n = 0;
    while (gn__line_reader_next(r, &line, &len) == GN_OK) {
        assert_true(n < max);
        offs[n++] = gn__line_reader_offset(r) * 131 + len;
    }
    gn__line_reader_free(r);
    return n;
}

/* gn__line_reader_reopen_range reads a range exactly as open_range does, whatever reader it
 * takes over (same file, another file, a gzip reader, NULL), and frees it even on failure. */
static void test_reopen_range(void **state) {
    (void)state;
    char *a = write_libsvm(3000, 41, 1), *b = write_libsvm(2000, 42, 0);
    char *gz = temp_path(".gz");
    gzFile out = gzopen(gz, "wb");
    assert_non_null(out);
    gzprintf(out, "+1 1:1\n");
    gzclose(out);
    static uint64_t want[4000], got[4000];
    const uint64_t cuts[][2] = {{0, 5000}, {5000, 20000}, {20000, UINT64_MAX}, {7, 8}, {0, UINT64_MAX}};
    gn_line_reader *old = NULL;
    for (size_t k = 0; k < 2 * sizeof cuts / sizeof *cuts; k++) {
        const char *path = k % 3 == 2 ? b : a;
        uint64_t begin = cuts[k % 5][0], end = cuts[k % 5][1];
        gn_line_reader *r;
        assert_int_equal(gn__line_reader_open_range(path, 1 << 20, begin, end, &r), GN_OK);
        size_t nw = range_lines(r, want, 4000);
        if (k == 4) { /* a gzip reader is not plain: freed, not reused */
            gn__line_reader_free(old);
            assert_int_equal(gn__line_reader_open(gz, 1 << 20, &old), GN_OK);
        }
        assert_int_equal(gn__line_reader_reopen_range(old, path, 1 << 20, begin, end, &r), GN_OK);
        const char *line;
        size_t len, ng = 0;
        while (gn__line_reader_next(r, &line, &len) == GN_OK) {
            assert_true(ng < 4000);
            got[ng++] = gn__line_reader_offset(r) * 131 + len;
        }
        assert_int_equal(ng, nw);
        assert_memory_equal(got, want, nw * sizeof *want);
        old = r; /* the next range takes it over */
    }
    gn_line_reader *r = NULL;
    assert_int_equal(gn__line_reader_reopen_range(old, "/nonexistent/x", 1 << 20, 0, 10, &r), GN_EIO);
    assert_null(r);
    assert_int_equal(gn__line_reader_reopen_range(NULL, gz, 1 << 20, 0, 10, &r), GN_EINVAL); /* compressed */
    unlink(a);
    unlink(b);
    unlink(gz);
    free(a);
    free(b);
    free(gz);
}

/* ---- --shuffle: chunks in a seeded order ---- */

/* Reads pass `pass` of every part of a shuffled source (opened with seed) into rs, part after
 * part, the parts sharing one chunk plan as training's workers do (part 0 makes its own, which
 * must read the same); part 0's source is rewound to the pass twice, which must give the same
 * order. */
static void read_shuffled(const gn_data_spec *spec, const char *const *paths, size_t npaths, uint32_t nparts,
                          uint64_t seed, uint32_t pass, size_t chunk_examples, recs *rs) {
    gn_chunk_plan *plan;
    if (gn__chunk_plan_new(spec, NULL, paths, npaths, chunk_examples, &plan) != GN_OK) fail_msg("plan: %s", gn_last_error());
    for (uint32_t p = 0; p < nparts; p++) {
        gn_source *s;
        int st = p == 0 ? gn__source_open_shuffled(spec, paths, npaths, p, nparts, seed, chunk_examples, &s)
                        : gn__source_open_shuffled_plan(plan, p, nparts, seed, &s);
        if (st != GN_OK) fail_msg("open_shuffled %u/%u: %s", p, nparts, gn_last_error());
        if (pass != 1) assert_int_equal(gn__source_rewind_pass(s, pass), GN_OK);
        size_t before = rs->n;
        read_all(s, rs);
        if (p == 0) { /* again: the same order (resume re-reads a pass) */
            recs again = {0};
            assert_int_equal(gn__source_rewind_pass(s, pass), GN_OK);
            read_all(s, &again);
            assert_int_equal(again.n, rs->n - before);
            for (size_t i = 0; i < again.n; i++) assert_true(again.r[i].key == rs->r[before + i].key);
            free(again.r);
        }
        gn__source_free(s);
    }
    gn__chunk_plan_free(plan);
}

static void assert_same_set(recs *got, const recs *whole) {
    assert_int_equal(got->n, whole->n);
    qsort(got->r, got->n, sizeof *got->r, by_key);
    for (size_t i = 0; i < whole->n; i++) {
        assert_true(got->r[i].key == whole->r[i].key);
        assert_true(got->r[i].label == whole->r[i].label);
        assert_true(got->r[i].nnz == whole->r[i].nnz);
        assert_true(got->r[i].fsum == whole->r[i].fsum);
    }
}

static size_t keys_in_order(const recs *rs) {
    size_t n = 0;
    for (size_t i = 1; i < rs->n; i++) n += rs->r[i].key > rs->r[i - 1].key;
    return n;
}

static int same_order(const recs *a, const recs *b) {
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->r[i].key != b->r[i].key) return 0;
    return 1;
}

/* The parts of every pass hold exactly the examples of a sequential read; the order is shuffled
 * (by chunks: most neighbours stay in key order), differs between passes and seeds, and is the
 * same for the same seed and pass. */
static void check_shuffled(const gn_data_spec *spec, const char *const *paths, size_t npaths, size_t expect_n,
                           size_t chunk_examples) {
    gn_source *s;
    recs whole = {0};
    assert_int_equal(gn__source_open(spec, NULL, paths, npaths, &s), GN_OK);
    read_all(s, &whole);
    gn__source_free(s);
    assert_int_equal(whole.n, expect_n);
    qsort(whole.r, whole.n, sizeof *whole.r, by_key);
    static const uint32_t part_counts[] = {1, 2, 3, 5};
    for (size_t pc = 0; pc < sizeof part_counts / sizeof *part_counts; pc++) {
        const uint32_t nparts = part_counts[pc];
        recs p1 = {0}, p1b = {0}, p2 = {0}, other = {0};
        read_shuffled(spec, paths, npaths, nparts, 42, 1, chunk_examples, &p1);
        read_shuffled(spec, paths, npaths, nparts, 42, 1, chunk_examples, &p1b);
        read_shuffled(spec, paths, npaths, nparts, 42, 2, chunk_examples, &p2);
        read_shuffled(spec, paths, npaths, nparts, 43, 1, chunk_examples, &other);
        assert_true(same_order(&p1, &p1b));   /* deterministic */
        assert_false(same_order(&p1, &p2));   /* another pass, another order */
        assert_false(same_order(&p1, &other)); /* another seed, another order */
        size_t in_order = keys_in_order(&p1);
        if (in_order == p1.n - 1) fail_msg("nparts %u: pass 1 is in file order", nparts);
        assert_same_set(&p1, &whole);
        assert_same_set(&p1b, &whole);
        assert_same_set(&p2, &whole);
        assert_same_set(&other, &whole);
        free(p1.r);
        free(p1b.r);
        free(p2.r);
        free(other.r);
    }
    free(whole.r);
}

static void test_shuffled_libsvm(void **state) {
    (void)state;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    char *a = write_libsvm(20000, 21, 0); /* about 40 chunks of the 16 KiB minimum */
    const char *paths[] = {a};
    check_shuffled(&spec, paths, 1, 20000, 1);
    /* the chunk size follows the example count asked for, from the bytes per line */
    gn_source *s;
    assert_int_equal(gn__source_open_shuffled(&spec, paths, 1, 0, 1, 1, 1, &s), GN_OK);
    assert_int_equal(gn__source_chunk_bytes(s), 16 << 10);
    gn__source_free(s);
    FILE *f = fopen(a, "r");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    uint64_t size = (uint64_t)ftell(f);
    fclose(f);
    /* however many examples are asked for, the input is cut into at least 256 chunks when 16 KiB
     * allows, so every reading part gets many of them (a sorted file must not give one part one
     * class); this file is small: 16 KiB chunks */
    assert_int_equal(gn__source_open_shuffled(&spec, paths, 1, 0, 1, 1, 10000, &s), GN_OK);
    uint64_t cb = gn__source_chunk_bytes(s);
    if (cb > (size / 256 > (16 << 10) ? size / 256 : (16 << 10)))
        fail_msg("chunk of %llu bytes for a file of %llu bytes: fewer than 256 chunks", (unsigned long long)cb,
                 (unsigned long long)size);
    gn__source_free(s);
    unlink(a);
    free(a);
}

/* CSV with a header (read by the chunk at the file start only); several files, one gzip (read
 * whole, as one chunk) and one empty. */
static void test_shuffled_csv_and_files(void **state) {
    (void)state;
    char *path = temp_path(".csv");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "y,age,city,score\n");
    for (int i = 0; i < 6000; i++)
        fprintf(f, "%d,%d,%s,%d.%d\n", i % 3 == 0, 20 + i % 50, i % 4 ? "paris" : "rome", i, i % 7);
    fclose(f);
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    snprintf(spec.label_col, sizeof spec.label_col, "y");
    snprintf(spec.categorical, sizeof spec.categorical, "city");
    const char *paths[] = {path};
    check_shuffled(&spec, paths, 1, 6000, 1);
    unlink(path);
    free(path);

    char *a = write_libsvm(9000, 31, 1), *b = write_libsvm(7000, 32, 1), *e = temp_path(".svm");
    char *gz = temp_path(".svm.gz");
    f = fopen(e, "w");
    assert_non_null(f);
    fclose(f);
    gzFile out = gzopen(gz, "wb");
    assert_non_null(out);
    for (int i = 0; i < 500; i++) gzprintf(out, "%s 1:%d 2:0.5\n", i % 2 ? "+1" : "-1", i);
    gzclose(out);
    gn_data_spec_init(&spec);
    const char *p4[] = {a, e, gz, b};
    check_shuffled(&spec, p4, 4, 9000 + 500 + 7000, 1);
    unlink(a);
    unlink(b);
    unlink(e);
    unlink(gz);
    free(a);
    free(b);
    free(e);
    free(gz);
}

/* The first line start at or after `at` (plain lines), by the rule of a byte-range line reader. */
static uint64_t next_line_start(const char *data, size_t size, uint64_t at) {
    if (at == 0) return 0;
    const char *nl = at - 1 < size ? memchr(data + at - 1, '\n', size - (at - 1)) : NULL;
    return nl ? (uint64_t)(nl + 1 - data) : size;
}

/* gn__line_reader_record_starts (one sequential scan) finds for every offset the record start that
 * following the quotes from the file start finds (gn__line_reader_open_range_records): at, before
 * and inside quoted fields, over the BOM, around over-long records and an unclosed quote, past
 * the end. Most offsets of this file fall inside quoted fields, so plain line starts would differ. */
static void test_record_starts(void **state) {
    (void)state;
    for (int bad = 0; bad <= 1; bad++) {
        char *path = write_messy_csv(bad ? 300 : 400, bad);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static char data[1 << 20];
        size_t size = fread(data, 1, sizeof data, f);
        fclose(f);
        assert_true(size > 20000 && size < sizeof data);
        const size_t max_line = bad ? 1024 : 1 << 20;
        enum { N = 300 };
        static uint64_t at[N + 4], want[N + 4];
        size_t n = 0;
        for (uint64_t o = 0; o <= size + 10 && n < N; o += 1 + (o * 7919) % 977) at[n++] = o;
        at[n++] = size - 1;
        at[n++] = size;
        at[n++] = size + 5;
        size_t differ = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t first = UINT64_MAX;
            gn_line_reader *r;
            assert_int_equal(gn__line_reader_open_range_records(path, max_line, ',', 0, at[i], UINT64_MAX, &first, &r), GN_OK);
            gn__line_reader_free(r);
            want[i] = first < size ? first : size;
            differ += at[i] < size && want[i] != next_line_start(data, size, at[i]);
        }
        assert_int_equal(gn__line_reader_record_starts(path, max_line, ',', 0, at, n), GN_OK);
        for (size_t i = 0; i < n; i++)
            if (at[i] != want[i]) fail_msg("bad %d: target %zu: %llu, want %llu", bad, i, (unsigned long long)at[i],
                                           (unsigned long long)want[i]);
        if (differ < n / 3) fail_msg("only %zu of %zu offsets fall inside quoted fields", differ, n);
        unlink(path);
        free(path);
    }
}

/* --shuffle over a CSV whose quoted fields hold newlines: most chunk boundaries fall inside quoted
 * fields, yet every pass of every part count reads every record exactly once, with its key and
 * features (the chunks start at the record starts of the plan's one scan); also with over-long
 * records and an unclosed quote skipped. */
static void test_shuffled_csv_quoted_newlines(void **state) {
    (void)state;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    snprintf(spec.label_col, sizeof spec.label_col, "y");
    snprintf(spec.categorical, sizeof spec.categorical, "city");
    snprintf(spec.numeric, sizeof spec.numeric, "n");
    char *path = write_messy_csv(3000, 0);
    const char *paths[] = {path};
    gn_chunk_plan *plan;
    assert_int_equal(gn__chunk_plan_new(&spec, NULL, paths, 1, 1, &plan), GN_OK);
    assert_int_equal(gn__chunk_plan_chunk_bytes(plan), 16 << 10);
    gn__chunk_plan_free(plan);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    assert_true(ftell(f) > 12 * (16 << 10)); /* many chunks */
    fclose(f);
    check_shuffled(&spec, paths, 1, 3000, 1);
    unlink(path);
    free(path);

    path = write_messy_csv(2000, 1);
    paths[0] = path;
    spec.max_line = 1024;
    spec.skip_bad = 1;
    gn_source *s;
    recs whole = {0};
    assert_int_equal(gn__source_open(&spec, NULL, paths, 1, &s), GN_OK);
    read_all(s, &whole);
    assert_true(gn__source_skipped(s) >= 30);
    gn__source_free(s);
    check_shuffled(&spec, paths, 1, whole.n, 1);
    free(whole.r);
    unlink(path);
    free(path);
}

static void test_shuffled_refuses_stdin(void **state) {
    (void)state;
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.format = GN_FORMAT_LIBSVM;
    const char *paths[] = {"-"};
    gn_source *s;
    assert_int_equal(gn__source_open_shuffled(&spec, paths, 1, 0, 1, 1, 100, &s), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "stdin"));
    assert_int_equal(gn__source_open_shuffled(&spec, paths, 1, 1, 1, 1, 100, &s), GN_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libsvm_one_file),
        cmocka_unit_test(test_libsvm_no_final_newline_and_tiny),
        cmocka_unit_test(test_several_files),
        cmocka_unit_test(test_csv_header),
        cmocka_unit_test(test_csv_quoted_newlines),
        cmocka_unit_test(test_leading_comments_with_quotes),
        cmocka_unit_test(test_first_csv_line_not_skipped),
        cmocka_unit_test(test_gzip_whole_to_one_part),
        cmocka_unit_test(test_error_names_whole_file_line),
        cmocka_unit_test(test_reader_errors_name_whole_file_line),
        cmocka_unit_test(test_bad_part),
        cmocka_unit_test(test_reopen_range),
        cmocka_unit_test(test_shuffled_libsvm),
        cmocka_unit_test(test_shuffled_csv_and_files),
        cmocka_unit_test(test_record_starts),
        cmocka_unit_test(test_shuffled_csv_quoted_newlines),
        cmocka_unit_test(test_shuffled_refuses_stdin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
