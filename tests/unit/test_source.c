/* test_source.c: reading input (io/linereader.c) and turning it into batches (io/source.c):
 * several files in order, gzip and zstd detected by their magic bytes, a big gzip file, truncated
 * and corrupt streams, line limits, --skip-bad counting, rewinding, stdin, and the
 * "file:line: reason" form of every error. Files are written into a fresh temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/linereader.h"
#include "io/source.h"

#define GN_TEST_DIR_TAG "source"
#include "test_util.h"

static void write_gzip(const char *path, const char *data, size_t len, const char *mode) {
    gzFile g = gzopen(path, mode);
    assert_non_null(g);
    size_t done = 0;
    while (done < len) {
        unsigned chunk = (unsigned)(len - done > (1u << 20) ? (1u << 20) : len - done);
        assert_int_equal(gzwrite(g, data + done, chunk), (int)chunk);
        done += chunk;
    }
    assert_int_equal(gzclose(g), Z_OK);
}

static void write_zstd(const char *path, const char *data, size_t len) {
    size_t cap = ZSTD_compressBound(len);
    char *out = malloc(cap);
    assert_non_null(out);
    size_t n = ZSTD_compress(out, cap, data, len, 3);
    assert_false(ZSTD_isError(n));
    write_bytes(path, out, n);
    free(out);
}

static long file_size(const char *path) {
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (long)sb.st_size;
}

static void libsvm_spec(gn_data_spec *s) {
    gn_data_spec_init(s);
    s->format = GN_FORMAT_LIBSVM;
    s->bits = 20;
}

/* Reads everything from a source into one batch (growing); returns the final status. */
static int drain(gn_source *src, gn_batch *all, size_t max) {
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 4, 16), GN_OK);
    int st;
    while ((st = gn__source_next(src, &b, max)) == GN_OK) {
        assert_true(b.n > 0 && b.n <= max);
        for (size_t e = 0; e < b.n; e++) {
            assert_int_equal(gn__batch_begin_example(all, b.label[e], b.weight[e], b.key[e]), GN_OK);
            size_t n = b.start[e + 1] - b.start[e];
            assert_int_equal(gn__batch_reserve_features(all, n), GN_OK);
            for (size_t i = b.start[e]; i < b.start[e + 1]; i++) gn__batch_push(all, b.index[i], b.value[i]);
            gn__batch_end_example(all);
        }
    }
    gn__batch_free(&b);
    return st;
}

/* Opens paths with spec s (which must succeed), then drains the source into all (initialised
 * here) in batches of at most max; returns the drain's status. The caller frees all and *src. */
static int open_drain(const gn_data_spec *s, const char *const *paths, size_t n, gn_source **src, gn_batch *all,
                      size_t max) {
    assert_int_equal(gn__source_open(s, NULL, paths, n, src), GN_OK);
    assert_int_equal(gn__batch_init(all, 4, 16), GN_OK);
    return drain(*src, all, max);
}

static void assert_batches_equal(const gn_batch *a, const gn_batch *b) {
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->nnz, b->nnz);
    assert_memory_equal(a->label, b->label, a->n * sizeof *a->label);
    assert_memory_equal(a->weight, b->weight, a->n * sizeof *a->weight);
    assert_memory_equal(a->key, b->key, a->n * sizeof *a->key);
    assert_memory_equal(a->start, b->start, (a->n + 1) * sizeof *a->start);
    assert_memory_equal(a->index, b->index, a->nnz * sizeof *a->index);
    assert_memory_equal(a->value, b->value, a->nnz * sizeof *a->value);
}

/* Rewinds src, drains it again into b (initialised here) and checks that b equals a. */
static void assert_rewind_same(gn_source *src, const gn_batch *a, gn_batch *b, size_t max) {
    assert_int_equal(gn__source_rewind(src), GN_OK);
    assert_int_equal(gn__batch_init(b, 4, 16), GN_OK);
    assert_int_equal(drain(src, b, max), GN_EOF);
    assert_batches_equal(a, b);
}

static void expect_msg(const char *needle) {
    if (!strstr(gn_last_error(), needle)) fail_msg("message '%s' lacks '%s'", gn_last_error(), needle);
}

/* ------------------------------------------------------------------ line reader */

static void test_linereader_lines(void **state) {
    (void)state;
    const char *p = tpath("lines.txt");
    write_text(p, "a\r\nbb\n\nlast\rx\r\nend");
    gn_line_reader *r;
    assert_int_equal(gn__line_reader_open(p, 1024, &r), GN_OK);
    const char *l;
    size_t n;
    const char *want[] = {"a", "bb", "", "last\rx", "end"};
    const uint64_t offs[] = {0, 3, 6, 7, 15};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
        assert_int_equal(n, strlen(want[i]));
        assert_memory_equal(l, want[i], n);
        assert_int_equal(gn__line_reader_lineno(r), i + 1);
        assert_int_equal(gn__line_reader_offset(r), offs[i]);
    }
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_EOF);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_EOF);
    assert_int_equal(gn__line_reader_file_size(r), 18);
    assert_int_equal(gn__line_reader_bytes_read(r), 18);
    assert_string_equal(gn__line_reader_path(r), p);
    gn__line_reader_free(r);

    /* an empty file has no lines */
    write_text(tpath("empty.txt"), "");
    assert_int_equal(gn__line_reader_open(tpath("empty.txt"), 1024, &r), GN_OK);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_EOF);
    gn__line_reader_free(r);

    /* missing file, directory, bad max_line */
    assert_int_equal(gn__line_reader_open(tpath("nope.txt"), 1024, &r), GN_EIO);
    expect_msg("nope.txt: cannot open");
    assert_int_equal(gn__line_reader_open(g_dir, 1024, &r), GN_EIO);
    expect_msg(g_dir);
    assert_int_equal(gn__line_reader_open(p, 0, &r), GN_EINVAL);
}

/* Lines of many lengths across the 1 MiB buffer edge come back intact, plain and compressed. */
static void test_linereader_buffer_edges(void **state) {
    (void)state;
    size_t cap = 5u << 20, len = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    unsigned x = 12345;
    int lines = 0;
    while (len < (3u << 20)) {
        x = x * 1103515245u + 12345u;
        size_t ll = (x >> 8) % 3000;
        if (lines % 97 == 0) ll = 150000 + (x >> 4) % 50000; /* some long ones */
        for (size_t i = 0; i < ll; i++) data[len + i] = (char)('a' + (i + (size_t)lines) % 26);
        len += ll;
        data[len++] = '\n';
        lines++;
    }
    const char *files[3] = {tpath("edges.txt"), tpath("edges.gzdata"), tpath("edges.zstdata")};
    write_bytes(files[0], data, len);
    write_gzip(files[1], data, len, "wb6");
    write_zstd(files[2], data, len);
    for (int k = 0; k < 3; k++) {
        gn_line_reader *r;
        assert_int_equal(gn__line_reader_open(files[k], 1 << 20, &r), GN_OK);
        const char *l;
        size_t n, pos = 0;
        int count = 0;
        while (gn__line_reader_next(r, &l, &n) == GN_OK) {
            assert_int_equal(gn__line_reader_offset(r), pos);
            assert_memory_equal(l, data + pos, n);
            assert_int_equal(data[pos + n], '\n');
            pos += n + 1;
            count++;
        }
        assert_int_equal(count, lines);
        assert_int_equal(pos, len);
        assert_int_equal(gn__line_reader_bytes_read(r), (uint64_t)file_size(files[k]));
        gn__line_reader_free(r);
    }
    free(data);
}

static void test_linereader_max_line(void **state) {
    (void)state;
    const char *p = tpath("long.txt");
    size_t big = 3000;
    char *text = malloc(big * 3 + 64);
    assert_non_null(text);
    size_t o = 0;
    o += (size_t)sprintf(text + o, "short\n");
    memset(text + o, 'x', 1024), o += 1024, text[o++] = '\n';        /* exactly max_line: fine */
    memset(text + o, 'y', 1025), o += 1025, text[o++] = '\n';        /* one over */
    memset(text + o, 'z', 1024), o += 1024, text[o++] = '\r', text[o++] = '\n'; /* max_line + CR: fine */
    memset(text + o, 'w', big), o += big, text[o++] = '\n';          /* far over */
    o += (size_t)sprintf(text + o, "after\n");
    write_bytes(p, text, o);
    free(text);
    gn_line_reader *r;
    assert_int_equal(gn__line_reader_open(p, 1024, &r), GN_OK);
    const char *l;
    size_t n;
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(n, 1024);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_ELIMIT);
    assert_int_equal(gn__line_reader_lineno(r), 3);
    expect_msg(":3: line longer than 1024 bytes");
    expect_msg("long.txt");
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK); /* goes on after the refused line */
    assert_int_equal(n, 1024);
    assert_int_equal(l[0], 'z');
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_ELIMIT);
    expect_msg(":5: line longer");
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(gn__line_reader_lineno(r), 6);
    assert_int_equal(n, 5);
    assert_memory_equal(l, "after", 5);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_EOF);
    gn__line_reader_free(r);
}

/* ------------------------------------------------------------------ record mode (CSV) */

/* A reference record splitter, byte by byte, written apart from the reader's memchr machine:
 * a '"' opens quotes only as a field's first byte, '""' inside is a quote, a '\n' outside ends
 * the record (a '\r' before it is dropped). Returns the number of records. */
static size_t ref_records(const char *d, size_t n, char sep, size_t *start, size_t *len, size_t cap) {
    size_t nr = 0, rs = 0;
    int st = 0, fs = 1; /* 0 out, 1 in, 2 in after a quote */
    for (size_t i = 0; i < n; i++) {
        char c = d[i];
        if (st == 2) {
            if (c == '"') { st = 1; continue; }
            st = 0;
            fs = 0;
        }
        if (st == 1) {
            if (c == '"') st = 2;
            continue;
        }
        if (c == '"' && fs) { st = 1; continue; }
        if (c == '\n') {
            assert_true(nr < cap);
            start[nr] = rs;
            len[nr] = i - rs - (i > rs && d[i - 1] == '\r');
            nr++;
            rs = i + 1;
            fs = 1;
            continue;
        }
        fs = c == sep;
    }
    if (rs < n) {
        assert_true(nr < cap);
        start[nr] = rs;
        len[nr++] = n - rs;
    }
    return nr;
}

static void test_records_basic(void **state) {
    (void)state;
    const char *p = tpath("rec.csv");
    /* BOM, CRLF everywhere, a quoted LF and a quoted CRLF, doubled quotes, a quote in the middle
     * of an unquoted field (an ordinary byte), a quoted separator */
    static const char text[] = "\xEF\xBB\xBFy,\"a\r\nb\",c\r\n"
                               "1,\"x\"\"\ny\",5'11\",q\r\n"
                               "0,\"p,q\",z\n"
                               "1,2,3";
    write_text(p, text);
    gn_line_reader *r;
    assert_int_equal(gn__line_reader_open(p, 1024, &r), GN_OK);
    gn__line_reader_set_quoting(r, ',');
    const char *l;
    size_t n;
    const char *want[] = {"y,\"a\r\nb\",c", "1,\"x\"\"\ny\",5'11\",q", "0,\"p,q\",z", "1,2,3"};
    const uint64_t line[] = {1, 3, 5, 6};
    const uint64_t off[] = {0, 15, 34, 44}; /* the first record starts at 0, its BOM included */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
        assert_int_equal(n, strlen(want[i]));
        assert_memory_equal(l, want[i], n);
        assert_int_equal(gn__line_reader_lineno(r), line[i]);
        assert_int_equal(gn__line_reader_offset(r), off[i]);
    }
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_EOF);
    gn__line_reader_free(r);

    /* a tab turns record mode off: quotes are ordinary bytes in a TSV */
    write_text(p, "\"a\tb\n\"c\n");
    assert_int_equal(gn__line_reader_open(p, 1024, &r), GN_OK);
    gn__line_reader_set_quoting(r, '\t');
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(n, 4);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(n, 2);
    gn__line_reader_free(r);

    /* unread, then switching to record mode: the line comes again as a whole record */
    write_text(p, "\"a\nb\",1\nc,2\n");
    assert_int_equal(gn__line_reader_open(p, 1024, &r), GN_OK);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(n, 2); /* plain lines: "a */
    gn__line_reader_set_quoting(r, ',');
    gn__line_reader_unread(r);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(n, 7);
    assert_memory_equal(l, "\"a\nb\",1", 7);
    assert_int_equal(gn__line_reader_lineno(r), 1);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(gn__line_reader_lineno(r), 3);
    assert_int_equal(gn__line_reader_offset(r), 8);
    gn__line_reader_free(r);
}

/* Reads up to max records, checking each against want/line/off when given; returns how many. */
static size_t read_records(gn_line_reader *r, size_t max, const char *const *want, const uint64_t *line,
                           const uint64_t *off) {
    const char *l;
    size_t n, i = 0;
    while (i < max && gn__line_reader_next(r, &l, &n) == GN_OK) {
        if (want) {
            assert_int_equal(n, strlen(want[i]));
            assert_memory_equal(l, want[i], n);
            assert_int_equal(gn__line_reader_lineno(r), line[i]);
            assert_int_equal(gn__line_reader_offset(r), off[i]);
        }
        i++;
    }
    return i;
}

/* mark/reset (the label scan peeking at stdin): the records read after a mark come again after
 * the reset, with the same text, line numbers and offsets; in record mode and after a byte order
 * mark, from the start or after an unread; past the budget a read is refused (GN_ELIMIT) without
 * failing the reader, and the reset still replays everything. */
static void test_linereader_mark_reset(void **state) {
    (void)state;
    const char *p = tpath("mark.csv");
    write_text(p, "\xEF\xBB\xBFy,\"a\r\nb\",c\r\n"
                  "1,\"x\"\"\ny\",q\r\n"
                  "0,\"p,q\",z\n"
                  "1,2,3");
    const char *want[] = {"y,\"a\r\nb\",c", "1,\"x\"\"\ny\",q", "0,\"p,q\",z", "1,2,3"};
    const uint64_t line[] = {1, 3, 5, 6};
    const uint64_t off[] = {0, 15, 28, 38};
    gn_line_reader *r;
    assert_int_equal(gn__line_reader_open(p, 1024, &r), GN_OK);
    gn__line_reader_set_quoting(r, ',');
    assert_int_equal(gn__line_reader_mark(r, 1 << 20), GN_OK); /* before the first read (and the BOM) */
    assert_int_equal(read_records(r, 2, want, line, off), 2);
    assert_true(gn__line_reader_marked_bytes(r) > 0);
    gn__line_reader_reset(r);
    assert_int_equal(gn__line_reader_marked_bytes(r), 0);
    assert_int_equal(read_records(r, 4, want, line, off), 4);
    gn__line_reader_free(r);
    /* after a record read and unread (what the source leaves when it has parsed nothing yet) */
    assert_int_equal(gn__line_reader_open(p, 1024, &r), GN_OK);
    gn__line_reader_set_quoting(r, ',');
    assert_int_equal(read_records(r, 2, want, line, off), 2);
    gn__line_reader_unread(r);
    assert_int_equal(gn__line_reader_mark(r, 1 << 20), GN_OK);
    assert_int_equal(read_records(r, 9, want + 1, line + 1, off + 1), 3);
    gn__line_reader_reset(r);
    assert_int_equal(read_records(r, 9, want + 1, line + 1, off + 1), 3);
    gn__line_reader_free(r);

    /* a budget smaller than the data: the peek stops, the replay does not */
    const char *big = tpath("mark_big.txt");
    FILE *f = fopen(big, "w");
    assert_non_null(f);
    const int nlines = 40000; /* about 3 MiB: more than the 1 MiB buffer and the budget */
    for (int i = 0; i < nlines; i++) fprintf(f, "%06d %070d\n", i, 0);
    fclose(f);
    assert_int_equal(gn__line_reader_open(big, 1024, &r), GN_OK);
    const char *l;
    size_t n;
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(gn__line_reader_mark(r, 64 << 10), GN_OK);
    int st;
    size_t peeked = 0;
    while ((st = gn__line_reader_next(r, &l, &n)) == GN_OK) peeked++;
    assert_int_equal(st, GN_ELIMIT);
    assert_true(peeked > 0 && peeked < (size_t)nlines - 1);
    assert_true(gn__line_reader_marked_bytes(r) <= ((size_t)1 << 20) + (64 << 10));
    gn__line_reader_reset(r);
    for (int i = 1; i < nlines; i++) {
        assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
        char head[8];
        snprintf(head, sizeof head, "%06d", i);
        assert_memory_equal(l, head, 6);
        assert_int_equal(gn__line_reader_lineno(r), (uint64_t)i + 1);
        assert_int_equal(gn__line_reader_offset(r), (uint64_t)i * 78);
    }
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_EOF);
    gn__line_reader_free(r);
}

/* A BOM is dropped in every format; a file that is only a BOM has no lines. */
static void test_bom_any_format(void **state) {
    (void)state;
    const char *p = tpath("bom.svm");
    write_text(p, "\xEF\xBB\xBF+1 3:1\n-1 4:2\n");
    gn_data_spec s;
    gn_data_spec_init(&s); /* format detected after the BOM */
    s.bits = 16;
    gn_source *src;
    gn_batch all;
    assert_int_equal(open_drain(&s, &p, 1, &src, &all, 10), GN_EOF);
    assert_int_equal(gn__source_spec(src)->format, GN_FORMAT_LIBSVM);
    assert_int_equal(all.n, 2);
    assert_true(all.key[0] == 0);
    assert_int_equal(all.index[all.start[0] + 1], 3);
    gn__batch_free(&all);
    gn__source_free(src);
    /* a tiny CSV with a BOM and no final newline: detection reads its line and reads it again */
    const char *c = tpath("bom.csv");
    write_text(c, "\xEF\xBB\xBFy,\"a\"\n1,\"x\ny\"");
    assert_int_equal(open_drain(&s, &c, 1, &src, &all, 10), GN_EOF);
    assert_int_equal(gn__source_spec(src)->header, 1);
    assert_int_equal(all.n, 1);
    assert_true(all.key[0] == 9);
    gn__batch_free(&all);
    gn__source_free(src);
    write_text(c, "\xEF\xBB\xBFi\x01");
    assert_int_equal(open_drain(&s, &c, 1, &src, &all, 10), GN_EOF); /* a header alone (the fuzzer's find) */
    assert_int_equal(all.n, 0);
    gn__batch_free(&all);
    gn__source_free(src);
    write_text(p, "\xEF\xBB\xBF");
    gn_line_reader *r;
    assert_int_equal(gn__line_reader_open(p, 1024, &r), GN_OK);
    const char *l;
    size_t n;
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_EOF);
    gn__line_reader_free(r);
}

/* An unclosed quote: at the end of the file it refuses that record only (naming the line where
 * it starts); in a long file it is bounded by max_line and reading goes on at a fixed point. */
static void test_records_unclosed_quote(void **state) {
    (void)state;
    const char *p = tpath("open.csv");
    write_text(p, "a,b\n1,\"never\nclosed,2\n3,4\n");
    gn_line_reader *r;
    assert_int_equal(gn__line_reader_open(p, 1024, &r), GN_OK);
    gn__line_reader_set_quoting(r, ',');
    const char *l;
    size_t n;
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_EPARSE);
    expect_msg("open.csv:2: unterminated quoted field");
    assert_int_equal(gn__line_reader_offset(r), 4);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_EOF);
    gn__line_reader_free(r);

    /* 3000 lines after the quote: refused at max_line, not read to the end */
    size_t cap = 64 << 10, o = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    o += (size_t)sprintf(t + o, "h1,h2\n1,\"open\n");
    for (int i = 0; i < 3000; i++) o += (size_t)sprintf(t + o, "%d,x\n", i);
    write_bytes(p, t, o);
    assert_int_equal(gn__line_reader_open(p, 1024, &r), GN_OK);
    gn__line_reader_set_quoting(r, ',');
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_ELIMIT);
    expect_msg("open.csv:2: quoted field not closed within 1024 bytes");
    /* it goes on after the first '\n' at or after byte 1025 of the record (offset 6) */
    size_t from = 6 + 1025;
    const char *nl = memchr(t + from, '\n', o - from);
    assert_non_null(nl);
    assert_int_equal(gn__line_reader_next(r, &l, &n), GN_OK);
    assert_int_equal(gn__line_reader_offset(r), (uint64_t)(nl + 1 - t));
    /* and numbers its lines right: count the newlines before it */
    uint64_t lines = 1;
    for (const char *c = t; c < nl + 1; c++) lines += *c == '\n';
    assert_int_equal(gn__line_reader_lineno(r), lines);
    gn__line_reader_free(r);
    free(t);
}

/* Random CSV with quoted fields holding separators, quotes, LF and CRLF, across the 1 MiB buffer
 * edge, plain, gzip and zstd: the reader returns exactly the reference splitter's records. */
static void test_records_buffer_edges(void **state) {
    (void)state;
    size_t cap = 4u << 20, len = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    unsigned x = 777;
    while (len < (5u << 19)) {
        x = x * 1103515245u + 12345u;
        int nf = 1 + (int)((x >> 8) % 6);
        for (int f = 0; f < nf; f++) {
            x = x * 1103515245u + 12345u;
            if (f) data[len++] = ',';
            size_t fl = (x >> 10) % 40;
            if ((x >> 5) % 1999 == 0) fl = 100000 + (x >> 3) % 30000; /* some long fields */
            int quoted = (x >> 20) % 3 == 0;
            if (quoted) data[len++] = '"';
            for (size_t i = 0; i < fl; i++) {
                x = x * 1103515245u + 12345u;
                unsigned k = (x >> 16) % 60;
                if (quoted && k == 0) data[len++] = '"', data[len++] = '"';
                else if (quoted && k == 1) data[len++] = '\n';
                else if (quoted && k == 2) data[len++] = '\r', data[len++] = '\n';
                else if (quoted && k == 3) data[len++] = ',';
                else if (!quoted && k == 4 && i > 0) data[len++] = '"'; /* inside an unquoted field */
                else data[len++] = (char)('a' + k % 26);
            }
            if (quoted) data[len++] = '"';
        }
        if ((x >> 12) & 1) data[len++] = '\r';
        data[len++] = '\n';
    }
    size_t maxr = len / 2 + 1;
    size_t *rs = malloc(maxr * sizeof *rs), *rl = malloc(maxr * sizeof *rl);
    assert_non_null(rs);
    assert_non_null(rl);
    size_t nr = ref_records(data, len, ',', rs, rl, maxr);
    assert_true(nr > 1000);
    size_t multiline = 0, longest = 0;
    for (size_t i = 0; i < nr; i++) {
        multiline += memchr(data + rs[i], '\n', rl[i]) != NULL;
        if (rl[i] > longest) longest = rl[i];
    }
    assert_true(multiline > 100); /* the data has what the test is about */
    assert_true(longest > 100000);
    const char *files[3] = {tpath("redges.csv"), tpath("redges.gzdata"), tpath("redges.zstdata")};
    write_bytes(files[0], data, len);
    write_gzip(files[1], data, len, "wb6");
    write_zstd(files[2], data, len);
    for (int k = 0; k < 3; k++) {
        gn_line_reader *r;
        assert_int_equal(gn__line_reader_open(files[k], 1 << 20, &r), GN_OK);
        gn__line_reader_set_quoting(r, ',');
        const char *l;
        size_t n, i = 0;
        uint64_t lines = 1;
        while (gn__line_reader_next(r, &l, &n) == GN_OK) {
            assert_true(i < nr);
            assert_int_equal(gn__line_reader_offset(r), rs[i]);
            assert_int_equal(n, rl[i]);
            assert_memory_equal(l, data + rs[i], n);
            assert_int_equal(gn__line_reader_lineno(r), lines);
            for (size_t j = rs[i]; j < rs[i] + n; j++) lines += data[j] == '\n';
            lines++;
            i++;
        }
        assert_int_equal(i, nr);
        gn__line_reader_free(r);
    }
    free(rs);
    free(rl);
    free(data);
}

/* ------------------------------------------------------------------ source */

static void test_multi_file_order_and_formats(void **state) {
    (void)state;
    write_text(tpath("a.svm"), "1 1:1\n-1 2:2\n");
    write_text(tpath("b.svm"), "# comment\n\n1 3:3\n");
    const char *c = "-1 4:4\n1 5:5\n";
    write_gzip(tpath("c.data"), c, strlen(c), "wb"); /* no .gz in the name: magic bytes decide */
    const char *d = "1 6:6\n";
    write_zstd(tpath("d.txt"), d, strlen(d));
    const char *paths[] = {tpath("a.svm"), tpath("b.svm"), tpath("c.data"), tpath("d.txt")};
    gn_data_spec s;
    gn_data_spec_init(&s); /* format AUTO: detected from the first data line */
    s.bits = 20;
    gn_source *src;
    assert_int_equal(gn__source_open(&s, NULL, paths, 4, &src), GN_OK);
    gn_batch all;
    assert_int_equal(gn__batch_init(&all, 2, 16), GN_OK);
    assert_int_equal(drain(src, &all, 2), GN_EOF);
    assert_int_equal(gn__source_spec(src)->format, GN_FORMAT_LIBSVM);
    assert_int_equal(all.n, 6);
    const float labels[] = {1, -1, 1, -1, 1, 1};
    for (size_t e = 0; e < 6; e++) {
        assert_float_equal(all.label[e], labels[e], 0);
        assert_int_equal(all.start[e + 1] - all.start[e], 2);
        assert_int_equal(all.index[all.start[e]], 0);           /* bias */
        assert_int_equal(all.index[all.start[e] + 1], e + 1);   /* file order kept */
        assert_float_equal(all.value[all.start[e] + 1], (float)(e + 1), 0);
    }
    /* keys: file index << 40 ^ offset of the line in the (decompressed) file */
    assert_true(all.key[0] == 0 && all.key[1] == 6);
    assert_true(all.key[2] == (((uint64_t)1 << 40) ^ 11));
    assert_true(all.key[3] == ((uint64_t)2 << 40) && all.key[4] == (((uint64_t)2 << 40) ^ 7));
    assert_true(all.key[5] == ((uint64_t)3 << 40));
    assert_int_equal(gn__source_skipped(src), 0);
    assert_int_equal(gn__source_lines(src), 8);
    assert_int_equal(gn__source_next(src, &all, 2), GN_EOF); /* stays at the end */
    gn__source_free(src);
    gn__batch_free(&all);
}

/* The gzip head once overflowed a 256 KiB raw buffer: a file well over that, poorly compressible.
 * Every row must come back, with the exact values. */
static void test_big_gzip(void **state) {
    (void)state;
    const int rows = 100000;
    size_t cap = (size_t)rows * 80, len = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    unsigned long long x = 88172645463325252ull;
    double sum = 0;
    for (int i = 0; i < rows; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned idx = (unsigned)(x % 900000) + 1, v = (unsigned)((x >> 20) % 1000000);
        len += (size_t)snprintf(data + len, cap - len, "%d %u:0.%06u %u:1\n", (i & 1) ? 1 : -1, idx, v, idx + 1);
        sum += (double)(float)(v / 1e6);
    }
    const char *p = tpath("big.bin");
    write_gzip(p, data, len, "wb1");
    assert_true(file_size(p) > (256 << 10) + (128 << 10));
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 20;
    gn_source *src;
    assert_int_equal(gn__source_open(&s, NULL, &p, 1, &src), GN_OK);
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 1024, 4096), GN_OK);
    int st, n = 0;
    double got = 0;
    while ((st = gn__source_next(src, &b, 1000)) == GN_OK) {
        for (size_t e = 0; e < b.n; e++, n++) {
            assert_float_equal(b.label[e], (n & 1) ? 1.0f : -1.0f, 0);
            /* bias, idx:v (v may be 0 and dropped), idx+1:1 */
            size_t k = b.start[e + 1] - b.start[e];
            if (k == 3) got += b.value[b.start[e] + 1];
        }
        assert_true(gn__source_bytes_done(src) <= gn__source_bytes_total(src));
    }
    assert_int_equal(st, GN_EOF);
    assert_int_equal(n, rows);
    assert_float_equal(got, sum, 1e-6 * sum);
    assert_true(gn__source_bytes_total(src) == (uint64_t)file_size(p));
    gn__source_free(src);
    gn__batch_free(&b);
    free(data);
}

/* A gzip or zstd stream cut short, or with flipped bytes, is an error that names the file. */
static void test_truncated_and_corrupt(void **state) {
    (void)state;
    size_t cap = 400000, len = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    for (int i = 0; len + 64 < cap; i++) len += (size_t)snprintf(data + len, cap - len, "1 %d:%d.%d\n", i % 5000 + 1, i, i % 7);
    write_gzip(tpath("full.gzdata"), data, len, "wb");
    write_zstd(tpath("full.zstdata"), data, len);
    const char *names[2] = {"full.gzdata", "full.zstdata"};
    const char *kinds[2] = {"gzip", "zstd"};
    for (int k = 0; k < 2; k++) {
        size_t clen;
        char *comp = read_all(tpath(names[k]), &clen);
        /* cut at several places, including inside the header and just before the end */
        const size_t cuts[] = {clen / 2, clen - 1, clen - 4, 12};
        for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
            const char *p = tpath(k ? "cut.zst" : "cut.gz");
            write_bytes(p, comp, cuts[c]);
            gn_data_spec s;
            libsvm_spec(&s);
            gn_source *src;
            assert_int_equal(gn__source_open(&s, NULL, &p, 1, &src), GN_OK);
            gn_batch all;
            assert_int_equal(gn__batch_init(&all, 16, 64), GN_OK);
            int st = drain(src, &all, 512);
            if (st != GN_EFORMAT) fail_msg("%s cut at %zu of %zu: status %d (%s)", kinds[k], cuts[c], clen, st, gn_last_error());
            expect_msg(p);
            expect_msg(kinds[k]);
            assert_true(all.n < 1 + len / 8); /* never more rows than the file had */
            /* the error is sticky */
            gn_batch b;
            assert_int_equal(gn__batch_init(&b, 4, 16), GN_OK);
            assert_int_equal(gn__source_next(src, &b, 4), GN_EFORMAT);
            gn__batch_free(&b);
            gn__batch_free(&all);
            gn__source_free(src);
        }
        /* flipped bytes in the middle of the stream */
        for (size_t i = clen / 3; i < clen / 3 + 64; i++) comp[i] ^= 0x5a;
        const char *p = tpath(k ? "bad.zst" : "bad.gz");
        write_bytes(p, comp, clen);
        gn_data_spec s;
        libsvm_spec(&s);
        gn_source *src;
        assert_int_equal(gn__source_open(&s, NULL, &p, 1, &src), GN_OK);
        gn_batch all;
        assert_int_equal(gn__batch_init(&all, 16, 64), GN_OK);
        int st = drain(src, &all, 512);
        /* corrupt data is detected by the stream itself, or at worst yields a bad line */
        if (st != GN_EFORMAT && st != GN_EPARSE) fail_msg("%s corrupt: status %d (%s)", kinds[k], st, gn_last_error());
        expect_msg(p);
        gn__batch_free(&all);
        gn__source_free(src);
        free(comp);
    }
    free(data);
}

static void test_bad_lines_and_skip_bad(void **state) {
    (void)state;
    const char *p = tpath("bad.svm");
    write_text(p, "1 1:1\n-1 2:x\n1 3:1\n1 0:4\n\n1 5:5\n");
    const char *p2 = tpath("good.svm");
    write_text(p2, "1 7:1\nzzz\n");
    const char *paths[] = {p, p2};
    gn_data_spec s;
    libsvm_spec(&s);
    gn_source *src;
    gn_batch all;
    /* default: stop at the first bad line with "file:line: reason" */
    assert_int_equal(open_drain(&s, paths, 2, &src, &all, 100), GN_EPARSE);
    char want[512];
    snprintf(want, sizeof want, "%s:2: feature 2: value 'x' is not a number", p);
    assert_string_equal(gn_last_error(), want);
    gn__batch_free(&all);
    gn__source_free(src);

    /* skip_bad: count and go on, in every file */
    s.skip_bad = 1;
    assert_int_equal(open_drain(&s, paths, 2, &src, &all, 100), GN_EOF);
    assert_int_equal(all.n, 4);
    assert_int_equal(gn__source_skipped(src), 3);
    assert_int_equal(all.index[all.start[1] + 1], 3);
    assert_int_equal(all.index[all.start[2] + 1], 5);
    assert_int_equal(all.index[all.start[3] + 1], 7);
    gn__batch_free(&all);
    gn__source_free(src);

    /* an over-long line: an error naming file and line, or skipped and counted with skip_bad */
    const char *pl = tpath("longline.svm");
    char *text = malloc(5000);
    assert_non_null(text);
    size_t o = (size_t)sprintf(text, "1 1:1\n1");
    for (int i = 0; i < 400; i++) o += (size_t)sprintf(text + o, " %d:1", i + 2);
    o += (size_t)sprintf(text + o, "\n-1 3:1\n");
    write_bytes(pl, text, o);
    free(text);
    s.max_line = 1024;
    s.skip_bad = 0;
    assert_int_equal(open_drain(&s, &pl, 1, &src, &all, 100), GN_ELIMIT);
    snprintf(want, sizeof want, "%s:2: line longer than 1024 bytes", pl);
    assert_string_equal(gn_last_error(), want);
    gn__batch_free(&all);
    gn__source_free(src);
    s.skip_bad = 1;
    assert_int_equal(open_drain(&s, &pl, 1, &src, &all, 100), GN_EOF);
    assert_int_equal(all.n, 2);
    assert_int_equal(gn__source_skipped(src), 1);
    assert_float_equal(all.label[1], -1.0f, 0);
    gn__batch_free(&all);
    gn__source_free(src);
}

static void test_rewind_same_batches(void **state) {
    (void)state;
    char text[8192];
    size_t o = 0;
    for (int i = 0; i < 200; i++) o += (size_t)snprintf(text + o, sizeof text - o, "%d %d:%d.5 %d:1\n", i % 3 ? 1 : -1, i + 1, i, 2 * i + 3);
    write_text(tpath("r1.svm"), text);
    const char *z = "1 9:9\n-1 8:8\n";
    write_gzip(tpath("r2.gz"), z, strlen(z), "wb");
    const char *paths[] = {tpath("r1.svm"), tpath("r2.gz")};
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 12;
    gn_source *src;
    gn_batch a, b;
    assert_int_equal(open_drain(&s, paths, 2, &src, &a, 7), GN_EOF);
    assert_int_equal(a.n, 202);
    assert_rewind_same(src, &a, &b, 7);
    /* rewinding in the middle of a pass also starts over */
    gn__batch_clear(&b);
    gn_batch part;
    assert_int_equal(gn__batch_init(&part, 4, 16), GN_OK);
    assert_int_equal(gn__source_next(src, &part, 7), GN_EOF);
    assert_int_equal(gn__source_rewind(src), GN_OK);
    assert_int_equal(gn__source_next(src, &part, 5), GN_OK);
    assert_int_equal(gn__source_rewind(src), GN_OK);
    assert_int_equal(drain(src, &b, 7), GN_EOF);
    assert_batches_equal(&a, &b);
    gn__batch_free(&part);
    gn__batch_free(&a);
    gn__batch_free(&b);
    gn__source_free(src);
}

static void test_csv_files_headers(void **state) {
    (void)state;
    write_text(tpath("h1.csv"), "y,a,b\r\n1,2,x\r\n0,3,y\r\n");
    write_text(tpath("h2.csv"), "y,a,b\n1,4,z\n");
    write_text(tpath("h3.csv"), "y,a,c\n1,4,z\n");
    const char *paths[] = {tpath("h1.csv"), tpath("h2.csv"), tpath("h3.csv")};
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 16;
    gn_source *src;
    gn_batch all;
    assert_int_equal(open_drain(&s, paths, 2, &src, &all, 10), GN_EOF);
    assert_int_equal(gn__source_spec(src)->format, GN_FORMAT_CSV);
    assert_int_equal(gn__source_spec(src)->header, 1);
    assert_int_equal(all.n, 3); /* each file's header is consumed */
    assert_float_equal(all.label[1], -1.0f, 0);
    gn__batch_free(&all);
    gn__source_free(src);
    /* a later file whose header differs is an error naming it */
    const char *paths2[] = {tpath("h1.csv"), tpath("h3.csv")};
    assert_int_equal(open_drain(&s, paths2, 2, &src, &all, 10), GN_EPARSE);
    char want[400];
    snprintf(want, sizeof want, "%s:1: header column 3 differs", tpath("h3.csv"));
    expect_msg(want);
    gn__batch_free(&all);
    gn__source_free(src);
}

static void test_open_errors(void **state) {
    (void)state;
    gn_data_spec s;
    libsvm_spec(&s);
    gn_source *src = NULL;
    const char *missing[] = {tpath("a.svm"), tpath("missing.svm")};
    write_text(tpath("a.svm"), "1 1:1\n");
    assert_int_equal(gn__source_open(&s, NULL, missing, 2, &src), GN_EIO);
    expect_msg("missing.svm: cannot open");
    assert_null(src);
    const char *twice[] = {"-", "-"};
    assert_int_equal(gn__source_open(&s, NULL, twice, 2, &src), GN_EINVAL);
    expect_msg("stdin");
    assert_int_equal(gn__source_open(&s, NULL, twice, 0, &src), GN_EINVAL);
    /* no data lines: the format cannot be detected */
    write_text(tpath("comments.txt"), "# nothing\n\n");
    const char *p = tpath("comments.txt");
    gn_data_spec_init(&s);
    assert_int_equal(gn__source_open(&s, NULL, &p, 1, &src), GN_OK);
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 4, 16), GN_OK);
    assert_int_equal(gn__source_next(src, &b, 4), GN_EPARSE);
    expect_msg("no data lines");
    expect_msg(p);
    gn__source_free(src);
    /* with a format given, an empty file is simply empty */
    libsvm_spec(&s);
    assert_int_equal(gn__source_open(&s, NULL, &p, 1, &src), GN_OK);
    assert_int_equal(gn__source_next(src, &b, 4), GN_EOF);
    gn__source_free(src);
    gn__batch_free(&b);
}

/* stdin ("-") is read once, in order with the files around it, and cannot be rewound. */
static void test_stdin(void **state) {
    (void)state;
    const char *p = tpath("stdin.svm");
    write_text(p, "1 2:1\n-1 3:1\n");
    write_text(tpath("after.svm"), "1 4:1\n");
    FILE *in = fopen(p, "rb");
    assert_non_null(in);
    int saved = dup(0); /* -1 if stdin was closed: it is closed again afterwards */
    assert_int_equal(dup2(fileno(in), 0), 0);
    const char *paths[] = {"-", tpath("after.svm")};
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 16;
    gn_source *src;
    int st = gn__source_open(&s, NULL, paths, 2, &src);
    gn_batch all;
    assert_int_equal(gn__batch_init(&all, 4, 16), GN_OK);
    int drained = st == GN_OK ? drain(src, &all, 10) : st;
    int rewound = st == GN_OK ? gn__source_rewind(src) : st;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", gn_last_error());
    uint64_t total = st == GN_OK ? gn__source_bytes_total(src) : 1;
    if (saved >= 0) {
        dup2(saved, 0);
        close(saved);
    } else {
        close(0);
    }
    fclose(in);
    assert_int_equal(st, GN_OK);
    assert_int_equal(drained, GN_EOF);
    assert_int_equal(all.n, 3);
    assert_int_equal(all.index[all.start[0] + 1], 2);
    assert_int_equal(all.index[all.start[2] + 1], 4);
    assert_int_equal(total, 0); /* unknown size */
    assert_int_equal(rewound, GN_EINVAL);
    assert_non_null(strstr(msg, "stdin"));
    gn__batch_free(&all);
    gn__source_free(src);
}

/* The fixture: CRLF line ends, comments, qid tokens and exponent values, format detected. */
static void test_fixture_ranking_crlf(void **state) {
    (void)state;
    const char *p = GN_TEST_DATA_DIR "/ranking_crlf.svm";
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 10;
    gn_source *src;
    gn_batch all;
    assert_int_equal(open_drain(&s, &p, 1, &src, &all, 3), GN_EOF);
    assert_int_equal(gn__source_spec(src)->format, GN_FORMAT_LIBSVM); /* not CSV despite "qid:" */
    assert_int_equal(all.n, 4);
    const float labels[] = {1, -1, -1, 1};
    const size_t nf[] = {3, 3, 3, 2};
    const uint32_t idx[4][3] = {{0, 1, 3}, {0, 2, 7}, {0, 1, 4}, {0, 7, 0}};
    const float val[4][3] = {{1, 6.27e-02f, 15.0f}, {1, -0.25f, 1}, {1, 1, 3.125f}, {1, 1e-3f, 0}};
    for (size_t e = 0; e < 4; e++) {
        assert_float_equal(all.label[e], labels[e], 0);
        assert_int_equal(all.start[e + 1] - all.start[e], nf[e]);
        for (size_t k = 0; k < nf[e]; k++) {
            assert_int_equal(all.index[all.start[e] + k], idx[e][k]);
            assert_float_equal(all.value[all.start[e] + k], val[e][k], 0);
        }
    }
    gn__batch_free(&all);
    gn__source_free(src);
}

/* CSV with headers over two passes, and VW found by detection. */
static void test_csv_rewind_and_vw_detect(void **state) {
    (void)state;
    write_text(tpath("rw1.csv"), "y,a,b\n1,2,x\n0,3,y\n");
    write_text(tpath("rw2.csv"), "y,a,b\n1,4,z\n");
    const char *paths[] = {tpath("rw1.csv"), tpath("rw2.csv")};
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 16;
    gn_source *src;
    gn_batch a, b;
    assert_int_equal(open_drain(&s, paths, 2, &src, &a, 2), GN_EOF);
    assert_int_equal(a.n, 3);
    assert_rewind_same(src, &a, &b, 2);
    gn__source_free(src);
    gn__batch_free(&a);
    gn__batch_free(&b);

    write_text(tpath("v.vw"), "1 2 'a |u x y:2\n-1 |u z\n");
    const char *vp = tpath("v.vw");
    assert_int_equal(open_drain(&s, &vp, 1, &src, &a, 8), GN_EOF);
    assert_int_equal(gn__source_spec(src)->format, GN_FORMAT_VW);
    assert_int_equal(a.n, 2);
    assert_float_equal(a.weight[0], 2.0f, 0);
    assert_float_equal(a.label[1], -1.0f, 0);
    assert_int_equal(a.start[1], 3);
    gn__source_free(src);
    gn__batch_free(&a);
}

/* Concatenated gzip members (cat a.gz b.gz) and zstd frames read as one stream. */
static void test_multi_member_streams(void **state) {
    (void)state;
    const char *a = "1 1:1\n-1 2:1\n", *b = "1 3:1\n";
    write_gzip(tpath("m1.gz"), a, strlen(a), "wb");
    write_gzip(tpath("m2.gz"), b, strlen(b), "wb");
    write_zstd(tpath("m1.zst"), a, strlen(a));
    write_zstd(tpath("m2.zst"), b, strlen(b));
    const char *pairs[2][3] = {{"m1.gz", "m2.gz", "mm.gz"}, {"m1.zst", "m2.zst", "mm.zst"}};
    for (int k = 0; k < 2; k++) {
        size_t l1, l2;
        char *c1 = read_all(tpath(pairs[k][0]), &l1), *c2 = read_all(tpath(pairs[k][1]), &l2);
        char *cat = malloc(l1 + l2);
        assert_non_null(cat);
        memcpy(cat, c1, l1);
        memcpy(cat + l1, c2, l2);
        const char *p = tpath(pairs[k][2]);
        write_bytes(p, cat, l1 + l2);
        gn_line_reader *r;
        assert_int_equal(gn__line_reader_open(p, 1024, &r), GN_OK);
        const char *line;
        size_t n;
        const char *want[] = {"1 1:1", "-1 2:1", "1 3:1"};
        for (int i = 0; i < 3; i++) {
            assert_int_equal(gn__line_reader_next(r, &line, &n), GN_OK);
            assert_int_equal(n, strlen(want[i]));
            assert_memory_equal(line, want[i], n);
        }
        assert_int_equal(gn__line_reader_next(r, &line, &n), GN_EOF);
        gn__line_reader_free(r);
        free(cat);
        free(c1);
        free(c2);
    }
}

/* With the format detected, an empty first file does not stop the files after it. */
static void test_empty_first_file(void **state) {
    (void)state;
    write_text(tpath("e0.svm"), "");
    write_text(tpath("e1.svm"), "1 5:1\n");
    const char *paths[] = {tpath("e0.svm"), tpath("e1.svm")};
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 10;
    gn_source *src;
    gn_batch all;
    int st = open_drain(&s, paths, 2, &src, &all, 4);
    if (st != GN_EOF) fail_msg("status %d: %s", st, gn_last_error());
    assert_int_equal(all.n, 1);
    assert_int_equal(all.index[1], 5);
    gn__batch_free(&all);
    gn__source_free(src);
}

/* A CSV as spreadsheets and databases write it: BOM, CRLF, a quoted header name, quoted fields
 * with separators, doubled quotes and newlines. Every record is one example whose key is the
 * offset of its first byte; an error names the line where its record starts; plain, gzip (read
 * through the same source) and a second pass agree. */
static void test_csv_multiline_records(void **state) {
    (void)state;
    static const char text[] = "\xEF\xBB\xBFy,\"the note\",n\r\n"
                               "1,\"two\r\nlines, and \"\"quotes\"\"\",3\r\n"
                               "0,plain,4\r\n"
                               "1,\"\n\n\",5\r\n"
                               "0,x,abc\r\n";
    const char *p = tpath("multi.csv");
    write_text(p, text);
    write_gzip(tpath("multi.csv.gz"), text, sizeof text - 1, "wb");
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 16;
    strcpy(s.numeric, "n");
    gn_source *src;
    gn_batch all;
    assert_int_equal(open_drain(&s, &p, 1, &src, &all, 1), GN_EPARSE);
    char want[400];
    snprintf(want, sizeof want, "%s:8: column 3 ('n'): value 'abc' is not a number", p);
    expect_msg(want);
    assert_int_equal(all.n, 3);
    const uint64_t keys[] = {19, 53, 64};
    for (int i = 0; i < 3; i++) assert_true(all.key[i] == keys[i]);
    assert_int_equal(gn__source_spec(src)->header, 1);
    gn__batch_free(&all);
    gn__source_free(src);

    /* the same through gzip, and without the bad record: the same examples */
    s.skip_bad = 1;
    const char *gz = tpath("multi.csv.gz");
    gn_batch zall, again;
    assert_int_equal(open_drain(&s, &gz, 1, &src, &zall, 2), GN_EOF);
    assert_int_equal(gn__source_skipped(src), 1);
    assert_rewind_same(src, &zall, &again, 3);
    gn__source_free(src);
    assert_int_equal(open_drain(&s, &p, 1, &src, &all, 10), GN_EOF);
    assert_batches_equal(&all, &zall);
    gn__batch_free(&all);
    gn__batch_free(&zall);
    gn__batch_free(&again);
    gn__source_free(src);
}

/* Header detection reads a sample of records ahead and serves them afterwards: with a label of
 * strings no data record is lost, with a header it is consumed; from a file and from stdin. */
static void test_csv_header_sample(void **state) {
    (void)state;
    const char *nohdr = tpath("nohdr.csv"), *hdr = tpath("hdr.csv");
    write_text(nohdr, "yes,39,paris\nno,50,\"rome\nnorth\"\nyes,NA,?\n");
    write_text(hdr, "answer,age,city\nyes,39,paris\nno,50,rome\n");
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.bits = 16;
    s.label_kind = GN_LABEL_NONE; /* string labels are not this test's business */
    gn_source *src;
    gn_batch all;
    assert_int_equal(open_drain(&s, &nohdr, 1, &src, &all, 10), GN_EOF);
    assert_int_equal(gn__source_spec(src)->header, 0);
    assert_int_equal(all.n, 3);
    assert_true(all.key[0] == 0 && all.key[1] == 13 && all.key[2] == 32);
    /* column 1 is the label; yes,39,paris: bias, 2, 3=paris; yes,NA,? : the bias alone */
    assert_int_equal(all.start[1] - all.start[0], 3);
    assert_int_equal(all.start[3] - all.start[2], 1);
    gn_batch again;
    assert_rewind_same(src, &all, &again, 1);
    gn__batch_free(&again);
    gn__batch_free(&all);
    gn__source_free(src);
    assert_int_equal(open_drain(&s, &hdr, 1, &src, &all, 1), GN_EOF);
    assert_int_equal(gn__source_spec(src)->header, 1);
    assert_int_equal(all.n, 2);
    assert_true(all.key[0] == 16);
    gn__batch_free(&all);
    gn__source_free(src);

    /* stdin: the sampled records are not lost either */
    FILE *in = fopen(nohdr, "rb");
    assert_non_null(in);
    int saved = dup(0);
    assert_int_equal(dup2(fileno(in), 0), 0);
    const char *dash = "-";
    int st = gn__source_open(&s, NULL, &dash, 1, &src);
    assert_int_equal(gn__batch_init(&all, 4, 16), GN_OK);
    int drained = st == GN_OK ? drain(src, &all, 10) : st;
    if (saved >= 0) {
        dup2(saved, 0);
        close(saved);
    } else {
        close(0);
    }
    fclose(in);
    assert_int_equal(st, GN_OK);
    assert_int_equal(drained, GN_EOF);
    assert_int_equal(all.n, 3);
    assert_true(all.key[2] == 32);
    gn__batch_free(&all);
    gn__source_free(src);

    /* a bad record inside the sample is reported when its turn comes, with its own line */
    write_text(nohdr, "yes,39,paris\nno,50\nyes,1,x\n");
    strcpy(s.numeric, "2");
    assert_int_equal(open_drain(&s, &nohdr, 1, &src, &all, 1), GN_EPARSE);
    char want[400];
    snprintf(want, sizeof want, "%s:2: expected 3 fields, got 2", nohdr);
    expect_msg(want);
    assert_int_equal(all.n, 1);
    gn__batch_free(&all);
    gn__source_free(src);
    /* an unclosed quote in the sample, skipped with skip_bad: the records before it stay */
    write_text(nohdr, "yes,39,paris\nno,50,\"rome\nyes,1,x\n");
    s.skip_bad = 1;
    assert_int_equal(open_drain(&s, &nohdr, 1, &src, &all, 10), GN_EOF);
    assert_int_equal(all.n, 1);
    assert_int_equal(gn__source_skipped(src), 1);
    gn__batch_free(&all);
    gn__source_free(src);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linereader_lines),
        cmocka_unit_test(test_linereader_buffer_edges),
        cmocka_unit_test(test_linereader_max_line),
        cmocka_unit_test(test_records_basic),
        cmocka_unit_test(test_bom_any_format),
        cmocka_unit_test(test_linereader_mark_reset),
        cmocka_unit_test(test_records_unclosed_quote),
        cmocka_unit_test(test_records_buffer_edges),
        cmocka_unit_test(test_multi_file_order_and_formats),
        cmocka_unit_test(test_big_gzip),
        cmocka_unit_test(test_truncated_and_corrupt),
        cmocka_unit_test(test_bad_lines_and_skip_bad),
        cmocka_unit_test(test_rewind_same_batches),
        cmocka_unit_test(test_csv_files_headers),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_fixture_ranking_crlf),
        cmocka_unit_test(test_csv_rewind_and_vw_detect),
        cmocka_unit_test(test_multi_member_streams),
        cmocka_unit_test(test_empty_first_file),
        cmocka_unit_test(test_csv_multiline_records),
        cmocka_unit_test(test_csv_header_sample),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
