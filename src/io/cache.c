/* io/cache.c: writing, checking and reading the binary example cache (format in io/cache.h). */
#include "io/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <xxhash.h>
#include <zstd.h>

#include "io/labels.h"
#include "io/matrix.h"
#include "io/shuffle.h"
#include "io/source.h"
#include "io/text.h"
#include "model/model.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/json_safe.h"

#define CACHE_MAGIC "GNCACHE1"
#define CACHE_VERSION 3u /* 2: the idf weights as binary records after the header JSON; 3: "text_counts"
                          * (term counts that readers weigh, from a cache made in one pass) */
#define BLOCK_MAGIC 0x4b424e47u   /* "GNBK" */
#define TRAILER_MAGIC 0x4e454e47u /* "GNEN" */
#define BLOCK_HDR 28
#define TRAILER_LEN 40
#define BLOCK_RAW_TARGET ((size_t)256 << 10) /* a block is closed past this many raw bytes */
#define BLOCK_MAX ((uint32_t)1 << 30)         /* hard limit on a block's sizes when reading */
#define HEADER_MAX ((uint32_t)64 << 20)

enum { EX_LABEL_MASK = 3, EX_LABEL_F32 = 0, EX_LABEL_POS = 1, EX_LABEL_NEG = 2, EX_LABEL_ZERO = 3,
       EX_WEIGHT = 4, EX_ONES = 8 };

/* ---- little-endian helpers ---------------------------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const unsigned char *p) { return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static unsigned char *put_varint(unsigned char *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/* NULL when the varint runs past end or is longer than 10 bytes. */
static const unsigned char *get_varint(const unsigned char *p, const unsigned char *end, uint64_t *v) {
    uint64_t x = 0;
    for (int shift = 0; shift < 70 && p < end; shift += 7) {
        unsigned char c = *p++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return p;
        }
    }
    return NULL;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off, const char *path) {
    char *p = buf;
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return gn__fail(GN_EIO, "%s: read failed: %s", path, GN_ERRNO_TEXT(errno));
        if (r == 0) return gn__fail(GN_EFORMAT, "%s: truncated cache (delete it to rebuild)", path);
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return GN_OK;
}

/* ---- the header: what the cache was made from ---------------------------------------------- */

/* {"files":[{"path","size","mtime_ns"}...], "request": spec} for the current inputs. */
static json_t *source_json(const gn_data_spec *spec, const char *const *paths, size_t npaths) {
    json_t *o = json_object(), *files = json_array();
    int ok = o && files && gn__json_set(o, "request", gn__spec_to_json(spec));
    for (size_t i = 0; ok && i < npaths; i++) {
        json_t *f = json_object();
        struct stat sb;
        char real[PATH_MAX];
        const char *name = realpath(paths[i], real) ? real : paths[i];
        ok = json_array_append_new(files, f) == 0 && gn__json_set(f, "path", json_string(name)); /* files owns f */
        if (ok && strcmp(paths[i], "-") != 0 && stat(paths[i], &sb) == 0)
            ok = gn__json_set(f, "size", json_integer((json_int_t)sb.st_size)) &&
                 gn__json_set(f, "mtime_ns",
                         json_integer((json_int_t)sb.st_mtim.tv_sec * 1000000000 + (json_int_t)sb.st_mtim.tv_nsec));
    }
    if (ok) {
        ok = gn__json_set(o, "files", files);
        files = NULL;
    }
    json_decref(files);
    if (!ok) {
        json_decref(o);
        gn__fail(GN_ENOMEM, "out of memory");
        return NULL;
    }
    return o;
}

static char *dump(const json_t *j) { return gn__json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS); }

/* ---- writing ------------------------------------------------------------------------------- */

typedef struct block_writer {
    int fd;
    const char *path;
    unsigned char *raw;
    size_t raw_len, raw_cap;
    unsigned char *zbuf;
    size_t zcap;
    ZSTD_CCtx *zc;
    uint32_t nex;
    uint64_t prev_key;
    uint64_t blocks, examples;
} block_writer;

static int flush_block(block_writer *w) {
    if (w->nex == 0) return GN_OK;
    const unsigned char *payload = w->raw;
    size_t stored = w->raw_len;
    uint32_t flags = 0;
    size_t bound = ZSTD_compressBound(w->raw_len);
    if (bound > w->zcap) {
        unsigned char *z = realloc(w->zbuf, bound);
        if (!z) return gn__fail(GN_ENOMEM, "out of memory");
        w->zbuf = z;
        w->zcap = bound;
    }
    size_t zr = ZSTD_compressCCtx(w->zc, w->zbuf, w->zcap, w->raw, w->raw_len, 1);
    if (!ZSTD_isError(zr) && zr < w->raw_len - w->raw_len / 10) { /* pays: at least 10% smaller */
        payload = w->zbuf;
        stored = zr;
        flags = 1;
    }
    unsigned char hdr[BLOCK_HDR];
    put_u32(hdr, BLOCK_MAGIC);
    put_u32(hdr + 4, flags);
    put_u32(hdr + 8, (uint32_t)stored);
    put_u32(hdr + 12, (uint32_t)w->raw_len);
    put_u32(hdr + 16, w->nex);
    put_u64(hdr + 20, XXH3_64bits(payload, stored));
    GN_TRY(gn__write_all(w->fd, hdr, sizeof hdr, w->path));
    GN_TRY(gn__write_all(w->fd, payload, stored, w->path));
    w->blocks++;
    w->examples += w->nex;
    w->nex = 0;
    w->raw_len = 0;
    w->prev_key = 0;
    return GN_OK;
}

static int add_example(block_writer *w, const gn_batch *b, size_t i) {
    size_t n = b->start[i + 1] - b->start[i];
    size_t need = 1 + 10 + 10 + n * (5 + 4) + 8;
    if (w->raw_len + need > w->raw_cap) {
        size_t cap = w->raw_cap * 2;
        while (cap < w->raw_len + need) cap *= 2;
        if (cap > BLOCK_MAX) return gn__fail(GN_ELIMIT, "%s: an example is too large for the cache", w->path);
        unsigned char *r = realloc(w->raw, cap);
        if (!r) return gn__fail(GN_ENOMEM, "out of memory");
        w->raw = r;
        w->raw_cap = cap;
    }
    const uint32_t *idx = b->index + b->start[i];
    const float *val = b->value + b->start[i];
    unsigned char *p = w->raw + w->raw_len;
    unsigned flags = 0;
    float label = b->label[i], weight = b->weight[i];
    if (label == 1.0f) flags |= EX_LABEL_POS;
    else if (label == -1.0f) flags |= EX_LABEL_NEG;
    else if (label == 0.0f && !signbit(label)) flags |= EX_LABEL_ZERO;
    if (weight != 1.0f) flags |= EX_WEIGHT;
    int ones = 1;
    for (size_t j = 0; j < n && ones; j++) ones = val[j] == 1.0f;
    if (ones) flags |= EX_ONES;
    *p++ = (unsigned char)flags;
    p = put_varint(p, zigzag((int64_t)(b->key[i] - w->prev_key)));
    w->prev_key = b->key[i];
    p = put_varint(p, n);
    uint32_t prev = 0;
    for (size_t j = 0; j < n; j++) {
        p = put_varint(p, zigzag((int64_t)idx[j] - (int64_t)prev));
        prev = idx[j];
    }
    if ((flags & EX_LABEL_MASK) == EX_LABEL_F32) {
        memcpy(p, &label, 4);
        p += 4;
    }
    if (flags & EX_WEIGHT) {
        memcpy(p, &weight, 4);
        p += 4;
    }
    if (!ones) {
        memcpy(p, val, n * 4);
        p += n * 4;
    }
    w->raw_len = (size_t)(p - w->raw);
    w->nex++;
    if (w->raw_len >= BLOCK_RAW_TARGET) GN_TRY(flush_block(w));
    return GN_OK;
}

/* The cache must not replace one of the files it is made from (gannet/files.h). */
static int check_output(const char *out_path, const char *const *paths, size_t npaths) {
    gn_file_use *in = malloc((npaths ? npaths : 1) * sizeof *in);
    if (!in) return gn__fail(GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < npaths; i++) in[i] = (gn_file_use){paths[i], "data"};
    int st = gn_check_outputs(in, npaths, &(gn_file_use){out_path, "cache"}, 1);
    free(in);
    return st;
}

/* Where write_cache takes its examples: fills b (cleared first) with up to max examples;
 * GN_EOF at the end, then *skipped is the number of bad lines skipped. */
typedef int (*cache_feed)(void *user, gn_batch *b, size_t max, uint64_t *skipped);
/* A header known only once every example is read (the idf records of a cache made in one pass):
 * completes hdr and sets *extra (malloc'ed, or NULL) and *extra_len. */
typedef int (*cache_late_header)(void *user, json_t *hdr, unsigned char **extra, size_t *extra_len);

/* Writes the magic, the version, the header JSON (then a NUL and extra when extra is not NULL:
 * the idf records) and the header's checksum to fd. */
static int write_head(int fd, const char *out_path, const json_t *hdr, const unsigned char *extra, size_t extra_len) {
    char *hdr_text = dump(hdr);
    if (!hdr_text) return gn__fail(GN_ENOMEM, "out of memory");
    int st = GN_OK;
    const size_t jl = strlen(hdr_text), hl = jl + (extra ? 1 + extra_len : 0);
    unsigned char head[16], sum[8];
    XXH3_state_t *hs = NULL;
    if (hl > HEADER_MAX) {
        st = gn__fail(GN_ELIMIT, "%s: a cache header of %zu bytes (at most %u; --idf with many bits?)", out_path, hl,
                      (unsigned)HEADER_MAX);
        goto done;
    }
    memcpy(head, CACHE_MAGIC, 8);
    put_u32(head + 8, CACHE_VERSION);
    put_u32(head + 12, (uint32_t)hl);
    if (!(hs = XXH3_createState())) { st = gn__fail(GN_ENOMEM, "out of memory"); goto done; }
    XXH3_64bits_reset(hs);
    XXH3_64bits_update(hs, hdr_text, extra ? jl + 1 : jl); /* with its NUL when a section follows */
    if (extra) XXH3_64bits_update(hs, extra, extra_len);
    put_u64(sum, XXH3_64bits_digest(hs));
    if ((st = gn__write_all(fd, head, 16, out_path)) != GN_OK) goto done;
    if ((st = gn__write_all(fd, hdr_text, extra ? jl + 1 : jl, out_path)) != GN_OK) goto done;
    if (extra && (st = gn__write_all(fd, extra, extra_len, out_path)) != GN_OK) goto done;
    st = gn__write_all(fd, sum, 8, out_path);
done:
    XXH3_freeState(hs);
    free(hdr_text);
    return st;
}

/* Appends the len bytes of the file at src to fd (the blocks of a cache whose header came last). */
static int copy_file(const char *src, uint64_t len, int fd, const char *out_path) {
    char eb[128];
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return gn__fail(GN_EIO, "%s: cannot read back: %s", src, gn__errno_text(errno, eb, sizeof eb));
    const size_t cap = (size_t)1 << 20;
    char *buf = malloc(cap);
    int st = buf ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    for (uint64_t off = 0; st == GN_OK && off < len;) {
        const size_t want = len - off < cap ? (size_t)(len - off) : cap;
        ssize_t got = pread(in, buf, want, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            st = gn__fail(GN_EIO, "%s: read failed: %s", src, got < 0 ? gn__errno_text(errno, eb, sizeof eb) : "short file");
            break;
        }
        st = gn__write_all(fd, buf, (size_t)got, out_path);
        off += (uint64_t)got;
    }
    free(buf);
    close(in);
    return st;
}

/* Writes the cache with header hdr and the examples of feed to out_path atomically. */
/* extra: the binary section that follows the header JSON and a NUL inside the header's bytes
 * (the idf records), or NULL. late: when not NULL, the header is completed by it after the last
 * example (hdr is then changed): the blocks go to a second temp file first, copied after the
 * header. */
static int write_cache(const char *out_path, json_t *hdr, const unsigned char *extra, size_t extra_len,
                       cache_feed feed, void *user, cache_late_header late, gn_cache_info *info) {
    gn_atomic_file af = {-1, NULL, out_path, -1}, blocks = {-1, NULL, out_path, -1};
    block_writer w;
    memset(&w, 0, sizeof w);
    w.fd = -1;
    w.path = out_path;
    gn_batch b;
    memset(&b, 0, sizeof b);
    uint64_t skipped = 0, blocks_len = 0;
    unsigned char *late_extra = NULL;
    size_t late_len = 0;
    int st;
    if ((st = gn__atomic_create(&af, out_path)) != GN_OK) goto done;
    if (late && (st = gn__atomic_create(&blocks, out_path)) != GN_OK) goto done;
    w.fd = late ? blocks.fd : af.fd;
    w.raw_cap = BLOCK_RAW_TARGET * 2;
    w.raw = malloc(w.raw_cap);
    w.zc = ZSTD_createCCtx();
    if (!w.raw || !w.zc) { st = gn__fail(GN_ENOMEM, "out of memory"); goto done; }
    if (!late && (st = write_head(af.fd, out_path, hdr, extra, extra_len)) != GN_OK) goto done;
    if ((st = gn__batch_init(&b, 4096, 4096 * 32)) != GN_OK) goto done;
    while ((st = feed(user, &b, 4096, &skipped)) == GN_OK)
        for (size_t i = 0; i < b.n; i++)
            if ((st = add_example(&w, &b, i)) != GN_OK) goto done;
    if (st != GN_EOF) goto done;
    if ((st = flush_block(&w)) != GN_OK) goto done;
    if (late) {
        struct stat bs;
        if (fstat(blocks.fd, &bs) != 0) {
            st = gn__fail(GN_EIO, "%s: cannot stat the blocks' temp file", out_path);
            goto done;
        }
        blocks_len = (uint64_t)bs.st_size;
        if ((st = late(user, hdr, &late_extra, &late_len)) != GN_OK) goto done;
        if ((st = write_head(af.fd, out_path, hdr, late_extra, late_len)) != GN_OK) goto done;
        if ((st = copy_file(blocks.tmp, blocks_len, af.fd, out_path)) != GN_OK) goto done;
    }
    {
        unsigned char tr[TRAILER_LEN];
        put_u32(tr, TRAILER_MAGIC);
        put_u32(tr + 4, 0);
        put_u64(tr + 8, w.blocks);
        put_u64(tr + 16, w.examples);
        put_u64(tr + 24, skipped);
        put_u64(tr + 32, XXH3_64bits(tr, 32));
        if ((st = gn__write_all(af.fd, tr, sizeof tr, out_path)) != GN_OK) goto done;
    }
    struct stat sb;
    if (fstat(af.fd, &sb) == 0 && info) info->bytes = (uint64_t)sb.st_size;
    if ((st = gn__atomic_commit(&af, NULL)) != GN_OK) goto done;
    if (info) {
        info->examples = w.examples;
        info->blocks = w.blocks;
        info->skipped = skipped;
    }
    st = GN_OK;
done:
    gn__atomic_discard(&af, NULL); /* nothing left to do after a commit */
    gn__atomic_discard(&blocks, NULL);
    free(late_extra);
    free(w.raw);
    free(w.zbuf);
    ZSTD_freeCCtx(w.zc);
    gn__batch_free(&b);
    return st;
}

static int feed_source(void *user, gn_batch *b, size_t max, uint64_t *skipped) {
    gn_source *src = user;
    int st = gn__source_next(src, b, max);
    *skipped = gn__source_skipped(src);
    return st;
}

/* A cache made in one pass (--idf over a --format dir tree): the parser emits term counts, the
 * feed counts each slot's documents as the blocks are written, and the header, written last, holds
 * the idf weights from those frequencies and "text_counts": readers weigh the counts (io/text.h:
 * gn__text_weigh), which gives the bits that parsing with the weights gives. The documents are
 * read and tokenized once instead of twice (a first pass for the frequencies, as a source without
 * a cache does). Other inputs with --idf (CSV or VW text beside other features, interactions)
 * take the two passes: there an example is not one document. */
typedef struct counting_feed {
    gn_source *src;
    uint32_t bits;
    uint32_t *df; /* 2^bits document frequencies */
    uint64_t docs;
} counting_feed;

static int feed_counting(void *user, gn_batch *b, size_t max, uint64_t *skipped) {
    counting_feed *f = user;
    int st = feed_source(f->src, b, max, skipped);
    if (st != GN_OK) return st;
    f->docs += b->n;
    for (size_t i = 0; i < b->nnz; i++) /* an example's slots are distinct (the parser merges repeats) */
        if (f->df[b->index[i]] != UINT32_MAX) f->df[b->index[i]]++;
    return GN_OK;
}

static int late_idf(void *user, json_t *hdr, unsigned char **extra, size_t *extra_len) {
    counting_feed *f = user;
    gn_idf *t;
    GN_TRY(gn__idf_from_df(f->bits, f->docs, f->df, &t));
    int st = gn__idf_records(t, extra, extra_len) == GN_OK ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    if (st == GN_OK && !(gn__json_set(hdr, "idf", json_pack("{s:I, s:I}", "docs", (json_int_t)t->docs, "records",
                                                            (json_int_t)(*extra_len / 8))) &&
                         gn__json_set(hdr, "text_counts", json_true())))
        st = gn__fail(GN_ENOMEM, "out of memory");
    gn__idf_unref(t);
    return st;
}

int gn__cache_one_pass_idf(const gn_data_spec *spec) {
    return spec->idf && spec->format == GN_FORMAT_DIR && !spec->interactions[0];
}

int gn__cache_build(const char *out_path, const gn_data_spec *spec, const char *const *paths, size_t npaths,
                    gn_cache_info *info) {
    gn_source *src = NULL;
    json_t *hdr = NULL;
    unsigned char *idf_rec = NULL;
    size_t idf_len = 0;
    counting_feed cf = {NULL, 0, NULL, 0};
    const int one_pass = gn__cache_one_pass_idf(spec);
    int st;
    if ((st = check_output(out_path, paths, npaths)) != GN_OK) goto done;
    if ((st = gn__source_open(spec, NULL, paths, npaths, &src)) != GN_OK) goto done;
    if (one_pass) gn__source_defer_idf(src);
    if ((st = gn__source_resolve(src)) != GN_OK) goto done;
    /* interactions: the cache holds the crossed features (io/cross.h) */
    if (gn__source_parser(src)) gn__parser_set_cross_inline(gn__source_parser(src), 1);
    if (!(hdr = source_json(spec, paths, npaths))) { st = GN_ENOMEM; goto done; }
    const gn_parser *parser = gn__source_parser(src);
    int ok = gn__json_set(hdr, "version", json_integer(CACHE_VERSION)) &&
             gn__json_set(hdr, "spec", gn__spec_to_json(gn__source_spec(src))) &&
             gn__json_set(hdr, "columns",
                     parser && gn__parser_columns(parser) ? gn__parser_columns_json(parser) : json_null());
    /* the classes of binary labels: a model trained from the cache alone needs them */
    const gn_labels *labels = parser ? gn__parser_labels(parser) : NULL;
    if (ok && labels) ok = gn__json_set(hdr, "labels", gn__labels_to_json(labels));
    /* --idf: the weights the cached values carry, for a model trained from the cache: their count
     * in the JSON, the records (binary: a JSON string of them was slow to parse) after it */
    const gn_idf *idf = parser ? gn__parser_idf(parser) : NULL;
    if (ok && idf) {
        ok = gn__idf_records(idf, &idf_rec, &idf_len) == GN_OK &&
             gn__json_set(hdr, "idf", json_pack("{s:I, s:I}", "docs", (json_int_t)idf->docs, "records",
                                                (json_int_t)(idf_len / 8)));
    }
    if (!ok) { st = gn__fail(GN_ENOMEM, "out of memory"); goto done; }
    if (one_pass && parser) {
        cf.src = src;
        cf.bits = gn__source_spec(src)->bits;
        if (!(cf.df = calloc((size_t)1 << cf.bits, sizeof *cf.df))) {
            st = gn__fail(GN_ENOMEM, "out of memory for document frequencies of 2^%u slots", (unsigned)cf.bits);
            goto done;
        }
        gn__parser_set_text_counts(gn__source_parser(src), 1);
        st = write_cache(out_path, hdr, NULL, 0, feed_counting, &cf, late_idf, info);
    } else {
        st = write_cache(out_path, hdr, idf_rec, idf_len, feed_source, src, NULL, info);
    }
done:
    free(cf.df);
    free(idf_rec);
    json_decref(hdr);
    gn__source_free(src);
    return st;
}

/* ---- writing from an in-memory matrix (gannet/arrays.h) ------------------------------------- */

typedef struct matrix_feed {
    const gn_data_spec *spec;
    const gn_matrix *x;
    const double *y, *w;
    size_t next;
    uint64_t key;
} matrix_feed;

static int feed_matrix(void *user, gn_batch *b, size_t max, uint64_t *skipped) {
    matrix_feed *f = user;
    *skipped = 0;
    gn__batch_clear(b);
    if (f->next >= f->x->rows) return GN_EOF;
    size_t n = f->x->rows - f->next < max ? f->x->rows - f->next : max;
    GN_TRY(gn__matrix_rows(f->spec, f->x, f->next, n, f->y, f->w, &f->key, b));
    f->next += n;
    return GN_OK;
}

gn_status gn_cache_write_matrix(const char *path, const gn_data_spec *spec, const gn_matrix *x, const double *y,
                                const double *weight, const char *const *classes) {
    if (spec && spec->label_kind == GN_LABEL_CLASS)
        return gn__fail(GN_EINVAL, "cache from a matrix: class labels need gn_cache_write_matrix_classes");
    return gn_cache_write_matrix_classes(path, spec, x, y, weight, classes, classes ? 2 : 0);
}

gn_status gn_cache_write_matrix_classes(const char *path, const gn_data_spec *spec, const gn_matrix *x,
                                        const double *y, const double *weight, const char *const *classes,
                                        size_t nclasses) {
    GN_TRY(gn_matrix_check(x));
    if (!path || !spec || !y) return gn__fail(GN_EINVAL, "cache from a matrix: path, spec and labels are required");
    if (spec->format != GN_FORMAT_LIBSVM && spec->format != GN_FORMAT_AUTO)
        return gn__fail(GN_EINVAL, "cache from a matrix: format must be libsvm (got %s)", gn_format_name(spec->format));
    const gn_label_kind kind = spec->label_kind;
    if (kind != GN_LABEL_BINARY && kind != GN_LABEL_REAL && kind != GN_LABEL_CLASS)
        return gn__fail(GN_EINVAL, "cache from a matrix: the label kind must be binary, real or class");
    if ((kind != GN_LABEL_REAL) != (classes != NULL))
        return gn__fail(GN_EINVAL, "cache from a matrix: class names go with binary and class labels, and only with them");
    gn_data_spec resolved = *spec;
    resolved.format = GN_FORMAT_LIBSVM;
    resolved.nclasses = kind == GN_LABEL_CLASS ? (uint32_t)nclasses : 0;
    GN_TRY(gn_data_spec_check(&resolved));
    gn_labels *labels = NULL;
    GN_TRY(gn__matrix_class_labels(kind, classes, nclasses, &labels));
    int st0 = gn__matrix_check_targets(x, y, weight, kind, nclasses);
    if (st0 != GN_OK) {
        gn__labels_free(labels);
        return st0;
    }
    /* the "file" the model will name as its data: no such path exists, so nothing stats it */
    char source[96];
    snprintf(source, sizeof source, "(array of %zu rows, %zu columns)", x->rows, x->cols);
    const char *sources[1] = {source};
    json_t *hdr = source_json(&resolved, sources, 1);
    int ok = hdr && gn__json_set(hdr, "version", json_integer(CACHE_VERSION)) &&
             gn__json_set(hdr, "spec", gn__spec_to_json(&resolved)) && gn__json_set(hdr, "columns", json_null()) &&
             (!labels || gn__json_set(hdr, "labels", gn__labels_to_json(labels)));
    gn__labels_free(labels);
    int st = ok ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    matrix_feed f = {&resolved, x, y, weight, 0, 0};
    if (st == GN_OK) st = write_cache(path, hdr, NULL, 0, feed_matrix, &f, NULL, NULL);
    json_decref(hdr);
    return st;
}

/* ---- opening and checking -------------------------------------------------------------------- */

/* A block being read: its examples are decoded one at a time. */
typedef struct block_cursor {
    unsigned char *raw;            /* the block's payload, decompressed */
    size_t raw_cap;
    const unsigned char *pos, *end;
    uint32_t left;                 /* examples left in the block */
    uint64_t prev_key;
    uint64_t block;                /* 1-based position in this part's order (for messages) */
} block_cursor;

#define SHUFFLE_BLOCKS 32 /* --shuffle: blocks a buffer-full should mix */

struct gn_cache_reader {
    char *path;
    int fd;
    json_t *hdr;
    unsigned char *section;        /* the bytes after the header JSON's NUL (the idf records), owned */
    size_t section_len;
    uint64_t data_start, data_end; /* blocks lie in [data_start, data_end) */
    uint64_t nblocks, nexamples, skipped;
    uint64_t *offs;                /* this part's blocks; shuffled: every block, then data_end */
    size_t noffs;
    uint64_t nmine, next_block;    /* this part's blocks in a pass; position of the next one */
    uint64_t bytes_total, bytes_done;
    unsigned char *stored;         /* a compressed block as stored */
    size_t stored_cap;
    block_cursor *ways;            /* blocks read at once, example by example in turn */
    size_t nways, active, turn;    /* cursors, those with blocks left, the one to read next */
    int shuffled;                  /* --shuffle: blocks in the order of gn__permute_index */
    uint64_t seed, key;            /* --seed and this pass's permutation key */
    uint32_t part, nparts;
    uint64_t nslots;               /* 2^bits: every index must be below it */
    ZSTD_DCtx *zd;
    /* "text_counts": the values are term counts, weighed as they are decoded (gn__text_weigh)
     * with the spec's tf and normalisation and the header's idf weights (owned reference) */
    int weigh;
    gn_text_opts topts;
    gn_idf *idf;
};

/* Reads and checks the header and the trailer. */
static int open_file(const char *path, gn_cache_reader **out) {
    gn_cache_reader *r = calloc(1, sizeof *r);
    if (!r) return gn__fail(GN_ENOMEM, "out of memory");
    r->fd = -1;
    int st;
    char *text = NULL;
    if (!(r->path = strdup(path))) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        st = gn__fail(errno == ENOENT ? GN_ESTALE : GN_EIO, "%s: cannot open: %s", path, GN_ERRNO_TEXT(errno));
        goto fail;
    }
    struct stat sb;
    if (fstat(r->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = gn__fail(GN_EIO, "%s: not a regular file", path);
        goto fail;
    }
    uint64_t size = (uint64_t)sb.st_size;
    unsigned char head[16];
    if (size < 16 + 8 + TRAILER_LEN) {
        st = gn__fail(GN_EFORMAT, "%s: not a gannet cache, or truncated (%llu bytes)", path, (unsigned long long)size);
        goto fail;
    }
    if ((st = read_at(r->fd, head, 16, 0, path)) != GN_OK) goto fail;
    if (memcmp(head, CACHE_MAGIC, 8) != 0) { st = gn__fail(GN_EFORMAT, "%s: not a gannet cache", path); goto fail; }
    if (get_u32(head + 8) != CACHE_VERSION) {
        st = gn__fail(GN_EVERSION, "%s: cache format version %u is not supported (this gannet reads %u): rebuild it",
                      path, get_u32(head + 8), CACHE_VERSION);
        goto fail;
    }
    uint32_t hl = get_u32(head + 12);
    if (hl > HEADER_MAX || 16 + (uint64_t)hl + 8 + TRAILER_LEN > size) {
        st = gn__fail(GN_EFORMAT, "%s: corrupt or truncated cache header", path);
        goto fail;
    }
    if (!(text = malloc((size_t)hl + 8))) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
    if ((st = read_at(r->fd, text, (size_t)hl + 8, 16, path)) != GN_OK) goto fail;
    if (XXH3_64bits(text, hl) != get_u64((unsigned char *)text + hl)) {
        st = gn__fail(GN_ECHECKSUM, "%s: cache header checksum mismatch: the file is corrupt", path);
        goto fail;
    }
    json_error_t jerr;
    int oom;
    const char *nul = memchr(text, '\0', hl); /* a binary section follows the JSON */
    const size_t jl = nul ? (size_t)(nul - text) : hl;
    if (nul) {
        r->section_len = hl - jl - 1;
        if (!(r->section = malloc(r->section_len ? r->section_len : 1))) {
            st = gn__fail(GN_ENOMEM, "out of memory");
            goto fail;
        }
        memcpy(r->section, text + jl + 1, r->section_len);
    }
    r->hdr = gn__json_loadb(text, jl, 0, &jerr, &oom);
    if (!r->hdr && oom) { st = gn__fail(GN_ENOMEM, "%s: out of memory reading the cache header", path); goto fail; }
    if (!r->hdr || !json_is_object(r->hdr)) { st = gn__fail(GN_EFORMAT, "%s: corrupt cache header", path); goto fail; }
    r->data_start = 16 + (uint64_t)hl + 8;
    json_t *bits = json_object_get(json_object_get(r->hdr, "spec"), "bits");
    if (!json_is_integer(bits) || json_integer_value(bits) < 1 || json_integer_value(bits) > GN_MAX_BITS) {
        st = gn__fail(GN_EFORMAT, "%s: corrupt cache header (no valid spec.bits)", path);
        goto fail;
    }
    r->nslots = (uint64_t)1 << json_integer_value(bits);
    unsigned char tr[TRAILER_LEN];
    if ((st = read_at(r->fd, tr, TRAILER_LEN, size - TRAILER_LEN, path)) != GN_OK) goto fail;
    if (get_u32(tr) != TRAILER_MAGIC || XXH3_64bits(tr, 32) != get_u64(tr + 32)) {
        st = gn__fail(GN_EFORMAT, "%s: truncated or corrupt cache (no valid end record): delete it to rebuild", path);
        goto fail;
    }
    r->nblocks = get_u64(tr + 8);
    r->nexamples = get_u64(tr + 16);
    r->skipped = get_u64(tr + 24);
    r->data_end = size - TRAILER_LEN;
    free(text);
    *out = r;
    return GN_OK;
fail:
    free(text);
    gn__cache_close(r);
    return st;
}

static int check_header(gn_cache_reader *r, const gn_data_spec *spec, const char *const *paths, size_t npaths) {
    json_t *now = source_json(spec, paths, npaths);
    if (!now) return GN_ENOMEM;
    int st = GN_OK;
    char *a = dump(json_object_get(now, "request")), *b = dump(json_object_get(r->hdr, "request"));
    if (!a || (!b && json_object_get(r->hdr, "request"))) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto done;
    }
    if (!b || strcmp(a, b) != 0) {
        st = gn__fail(GN_ESTALE, "%s: the cache was made with other data flags (%s)", r->path, b ? b : "?");
        goto done;
    }
    json_t *fa = json_object_get(now, "files"), *fb = json_object_get(r->hdr, "files");
    if (!json_is_array(fb) || json_array_size(fa) != json_array_size(fb)) {
        st = gn__fail(GN_ESTALE, "%s: the cache was made from other files", r->path);
        goto done;
    }
    for (size_t i = 0; i < json_array_size(fa); i++) {
        json_t *x = json_array_get(fa, i), *y = json_array_get(fb, i);
        if (!json_equal(json_object_get(x, "path"), json_object_get(y, "path"))) {
            st = gn__fail(GN_ESTALE, "%s: the cache was made from other files (file %zu was %s)", r->path, i + 1,
                          json_string_value(json_object_get(y, "path")) ? json_string_value(json_object_get(y, "path")) : "?");
            goto done;
        }
        if (!json_equal(json_object_get(x, "size"), json_object_get(y, "size")) ||
            !json_equal(json_object_get(x, "mtime_ns"), json_object_get(y, "mtime_ns"))) {
            st = gn__fail(GN_ESTALE, "%s: %s changed since the cache was made (size or modification time)", r->path,
                          paths[i]);
            goto done;
        }
    }
done:
    free(a);
    free(b);
    json_decref(now);
    return st;
}

int gn__cache_check(const char *path, const gn_data_spec *spec, const char *const *paths, size_t npaths) {
    gn_cache_reader *r;
    GN_TRY(open_file(path, &r));
    int st = check_header(r, spec, paths, npaths);
    gn__cache_close(r);
    return st;
}

/* The resolved spec and a parser holding the CSV columns and the classes of binary labels, from
 * the header of an open cache. */
static int header_spec(gn_cache_reader *r, gn_data_spec *resolved, gn_parser **parser) {
    gn_data_spec s;
    int st = gn__spec_from_json(json_object_get(r->hdr, "spec"), &s);
    gn_parser *p = NULL;
    if (st == GN_OK) st = gn__parser_new(&s, &p);
    json_t *cols = json_object_get(r->hdr, "columns");
    if (st == GN_OK && json_is_array(cols)) st = gn__parser_load_columns(p, cols);
    const json_t *lj = json_object_get(r->hdr, "labels");
    if (st == GN_OK && lj) {
        gn_labels *labels;
        st = gn__labels_from_json(lj, &labels);
        if (st == GN_OK) gn__parser_set_labels(p, labels);
    }
    const json_t *ij = json_object_get(r->hdr, "idf");
    if (st == GN_OK && s.idf && !ij) st = gn__fail(GN_EFORMAT, "the spec asks for idf weights, the cache has none");
    if (st == GN_OK && ij) {
        gn_idf *t = NULL;
        const json_t *dj = json_object_get(ij, "docs"), *nj = json_object_get(ij, "records");
        if (!json_is_integer(dj) || json_integer_value(dj) < 0 || !json_is_integer(nj) || !r->section ||
            (uint64_t)json_integer_value(nj) * 8u != r->section_len)
            st = gn__fail(GN_EFORMAT, "idf: needs integer docs and records, and that many records after the JSON");
        else st = gn__idf_from_records(s.bits, (uint64_t)json_integer_value(dj), r->section, r->section_len, &t);
        if (st == GN_OK) {
            gn__parser_set_idf(p, t);
            gn__idf_unref(t);
        }
    }
    if (st != GN_OK) {
        gn__parser_free(p);
        return gn__fail_prefix(st, "%s: cache header", r->path);
    }
    *resolved = s;
    *parser = p;
    return GN_OK;
}

int gn__cache_ensure(const char *path, const gn_data_spec *spec, const char *const *paths, size_t npaths,
                     size_t batch_size, gn_data_spec *resolved, gn_parser **parser) {
    (void)batch_size;
    for (size_t i = 0; i < npaths; i++)
        if (strcmp(paths[i], "-") == 0) return gn__fail(GN_EINVAL, "a cache cannot be made from stdin: give files");
    gn_cache_reader *r = NULL;
    int st = open_file(path, &r);
    if (st == GN_OK) st = check_header(r, spec, paths, npaths);
    if (st != GN_OK) {
        if (st != GN_ESTALE && st != GN_EFORMAT && st != GN_ECHECKSUM && st != GN_EVERSION) {
            gn__cache_close(r);
            return st;
        }
        if (access(path, F_OK) == 0) gn__log(GN_LOG_WARN, "rebuilding the cache: %s", gn_last_error());
        else gn__log(GN_LOG_INFO, "%s: creating the cache", path);
        gn__cache_close(r);
        r = NULL;
        GN_TRY(gn__cache_build(path, spec, paths, npaths, NULL));
        GN_TRY(open_file(path, &r));
        if ((st = check_header(r, spec, paths, npaths)) != GN_OK) {
            gn__cache_close(r);
            return st;
        }
    }
    st = header_spec(r, resolved, parser);
    gn__cache_close(r);
    if (st == GN_OK) resolved->skip_bad = spec->skip_bad;
    return st;
}

/* Keys of a spec that only matter while text is parsed: never checked against a cache. */
static int parse_only_key(const char *key) { return !strcmp(key, "skip_bad") || !strcmp(key, "max_line"); }

/* The positive class of the cache's binary labels ("labels" in its header), or NULL. */
static const char *cache_positive(const gn_cache_reader *r) {
    return json_string_value(json_object_get(json_object_get(r->hdr, "labels"), "positive"));
}

/* --positive VALUE agrees with a cache whose positive class is VALUE (in canonical form), whether
 * it was named so when the cache was made or chosen by the default rule. */
static int positive_agrees(const gn_cache_reader *r, const json_t *value) {
    const char *pos = cache_positive(r), *v = json_string_value(value);
    char canon[GN_LABEL_NAME_MAX + 1];
    return pos && v && gn__label_canonical(v, strlen(v), canon, sizeof canon) == 0 && !strcmp(canon, pos);
}

/* Whether the value `value` given for spec key `key` agrees with the cache's: equal to the value
 * requested when it was made or to the resolved one (--format csv agrees with a cache whose format
 * was detected as csv); a value that asks for detection (format, sep, header at auto) agrees with
 * whatever was detected. */
static int agrees_with_cache(const gn_cache_reader *r, const char *key, const json_t *value, const json_t *dflt) {
    const json_t *req = json_object_get(r->hdr, "request"), *res = json_object_get(r->hdr, "spec");
    if (json_equal(value, json_object_get(req, key)) || json_equal(value, json_object_get(res, key))) return 1;
    if (!strcmp(key, "positive")) return positive_agrees(r, value);
    int detect = !strcmp(key, "format") || !strcmp(key, "sep") || !strcmp(key, "header");
    return detect && json_equal(value, json_object_get(dflt, key));
}

static int contradiction(const gn_cache_reader *r, const char *name, const char *key, const json_t *value) {
    const json_t *res = json_object_get(r->hdr, "spec");
    const json_t *theirs = json_object_get(res, key);
    json_t *pos = NULL; /* --positive: the cache's positive class, however it was chosen */
    if (!strcmp(key, "positive") && !theirs && cache_positive(r)) theirs = pos = json_string(cache_positive(r));
    char *a = gn__json_dumps(value, JSON_ENCODE_ANY), *b = theirs ? gn__json_dumps(theirs, JSON_ENCODE_ANY) : NULL;
    json_decref(pos);
    gn__fail(GN_EINVAL, "%s: the data flags contradict the cache: %s is %s here and %s in the cache "
                        "(without -d the cache is the data: leave the flag out, or give -d DATA to "
                        "make the cache again)", r->path, name, a ? a : "?", b ? b : "?");
    free(a);
    free(b);
    return GN_EINVAL;
}

/* The data flags given with a cache alone must agree with it: each spec field set to other than
 * its default must agree with the cache's (agrees_with_cache); the label kind (from --loss) must
 * equal the cache's. A field at its default value cannot be told here from one not given: the
 * cache's holds (gn_cache_check_given checks the fields a caller knows were given). */
static int check_alone_spec(gn_cache_reader *r, const gn_data_spec *spec) {
    gn_data_spec def;
    gn_data_spec_init(&def);
    def.label_kind = spec->label_kind;
    json_t *given = gn__spec_to_json(spec), *dflt = gn__spec_to_json(&def);
    json_t *res = json_object_get(r->hdr, "spec");
    int st = GN_OK;
    if (!given || !dflt) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto done;
    }
    if (!json_equal(json_object_get(given, "label_kind"), json_object_get(res, "label_kind"))) {
        const char *kind = json_string_value(json_object_get(res, "label_kind"));
        const char *want = json_string_value(json_object_get(given, "label_kind"));
        st = gn__fail(GN_EINVAL, "%s: the cache holds %s labels and this loss needs %s labels: make it again "
                                 "with -d DATA and this --loss", r->path, kind ? kind : "other", want ? want : "other");
        goto done;
    }
    const char *key;
    json_t *value;
    json_object_foreach(given, key, value) {
        if (parse_only_key(key) || json_equal(value, json_object_get(dflt, key))) continue;
        if (agrees_with_cache(r, key, value, dflt)) continue;
        st = contradiction(r, !strcmp(key, "label_col") ? "label" : !strcmp(key, "na_defaults") ? "default_na" : key,
                           key, value);
        goto done;
    }
done:
    json_decref(given);
    json_decref(dflt);
    return st;
}

/* The source paths recorded in the header, as one allocation: the pointers, then the strings. */
static int header_files(gn_cache_reader *r, char ***files, size_t *nfiles) {
    json_t *fs = json_object_get(r->hdr, "files");
    size_t n = json_array_size(fs), bytes = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = json_string_value(json_object_get(json_array_get(fs, i), "path"));
        if (!p) return gn__fail(GN_EFORMAT, "%s: corrupt cache header (files)", r->path);
        bytes += strlen(p) + 1;
    }
    if (n == 0) return gn__fail(GN_EFORMAT, "%s: corrupt cache header (no files)", r->path);
    char **out = malloc(n * sizeof *out + bytes);
    if (!out) return gn__fail(GN_ENOMEM, "out of memory");
    char *at = (char *)(out + n);
    for (size_t i = 0; i < n; i++) {
        const char *p = json_string_value(json_object_get(json_array_get(fs, i), "path"));
        size_t len = strlen(p) + 1;
        memcpy(at, p, len);
        out[i] = at;
        at += len;
    }
    *files = out;
    *nfiles = n;
    return GN_OK;
}

/* open_file for a cache that is the data: nothing can remake it, so any failure is final. */
static int open_alone_file(const char *path, gn_cache_reader **r) {
    int st = open_file(path, r);
    if (st != GN_OK) {
        char why[1024];
        snprintf(why, sizeof why, "%s", gn_last_error());
        return gn__fail(st == GN_ESTALE ? GN_EIO : st, "%s (without -d DATA the cache is the data: give -d DATA "
                        "to make it)", why);
    }
    return GN_OK;
}

/* The spec key of a data parameter (parameter names and spec keys differ for two; messages name
 * the parameter, as the flags do). */
static const char *spec_key_of(const char *param) {
    if (!strcmp(param, "label")) return "label_col";
    if (!strcmp(param, "default_na")) return "na_defaults";
    return param;
}

gn_status gn_cache_check_given(const char *path, const gn_data_spec *spec, const char *const *names, size_t nnames) {
    if (!path || !spec || (nnames && !names)) return gn__fail(GN_EINVAL, "cache check: path and spec are required");
    for (size_t i = 0; i < nnames; i++) {
        const gn_param_info *p = names[i] ? gn_param_find(names[i]) : NULL;
        if (!p || p->group != GN_PARAM_DATA)
            return gn__fail(GN_EINVAL, "cache check: '%s' is not a data parameter", names[i] ? names[i] : "(null)");
    }
    gn_cache_reader *r = NULL;
    GN_TRY(open_alone_file(path, &r));
    gn_data_spec def;
    gn_data_spec_init(&def);
    json_t *given = gn__spec_to_json(spec), *dflt = gn__spec_to_json(&def);
    int st = given && dflt ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < nnames && st == GN_OK; i++) {
        const gn_param_info *p = gn_param_find(names[i]);
        const char *key = spec_key_of(p->name);
        if (parse_only_key(key)) continue;
        const json_t *value = json_object_get(given, key);
        if (!value) continue; /* not stored in the cache */
        if (!agrees_with_cache(r, key, value, dflt)) st = contradiction(r, p->name, key, value);
    }
    json_decref(given);
    json_decref(dflt);
    gn__cache_close(r);
    return st;
}

int gn__cache_open_alone(const char *path, const gn_data_spec *spec, gn_data_spec *resolved, gn_parser **parser,
                         char ***files, size_t *nfiles) {
    gn_cache_reader *r = NULL;
    GN_TRY(open_alone_file(path, &r));
    int st;
    char **names = NULL;
    size_t nnames = 0;
    st = check_alone_spec(r, spec);
    if (st == GN_OK) st = header_files(r, &names, &nnames);
    if (st == GN_OK) st = header_spec(r, resolved, parser);
    gn__cache_close(r);
    if (st != GN_OK) { /* nothing is returned */
        free(names);
        return st;
    }
    resolved->skip_bad = spec->skip_bad;
    *files = names;
    *nfiles = nnames;
    return GN_OK;
}

/* ---- reading ------------------------------------------------------------------------------- */

/* Walks the block headers once: checks them against the end record and keeps the offsets of this
 * part's blocks (every block's, and the data end after them, when `all`). */
static int find_blocks(gn_cache_reader *r, uint32_t part, uint32_t nparts, int all) {
    const char *path = r->path;
    if (r->nblocks > (r->data_end - r->data_start) / BLOCK_HDR)
        return gn__fail(GN_EFORMAT, "%s: corrupt cache: the end record counts %llu blocks", path,
                        (unsigned long long)r->nblocks);
    r->offs = malloc((all ? r->nblocks + 1 : r->nblocks / nparts + 1) * sizeof *r->offs);
    if (!r->offs) return gn__fail(GN_ENOMEM, "out of memory");
    uint64_t off = r->data_start, k = 0, ex = 0;
    while (off < r->data_end) {
        unsigned char h[BLOCK_HDR];
        int st;
        if (off + BLOCK_HDR > r->data_end || (st = read_at(r->fd, h, BLOCK_HDR, off, path)) != GN_OK ||
            get_u32(h) != BLOCK_MAGIC)
            return gn__fail(GN_EFORMAT, "%s: corrupt cache: bad block header at byte %llu", path, (unsigned long long)off);
        uint64_t stored = get_u32(h + 8);
        if (k >= r->nblocks || stored > BLOCK_MAX || off + BLOCK_HDR + stored > r->data_end)
            return gn__fail(GN_EFORMAT, "%s: corrupt cache: block %llu runs past the end", path, (unsigned long long)k + 1);
        if (all) {
            r->offs[r->noffs++] = off;
        } else if (k % nparts == part) {
            r->offs[r->noffs++] = off;
            r->bytes_total += BLOCK_HDR + stored;
        }
        ex += get_u32(h + 16);
        off += BLOCK_HDR + stored;
        k++;
    }
    if (k != r->nblocks || ex != r->nexamples)
        return gn__fail(GN_EFORMAT, "%s: corrupt cache: %llu blocks / %llu examples, the end record says %llu / %llu",
                        path, (unsigned long long)k, (unsigned long long)ex, (unsigned long long)r->nblocks,
                        (unsigned long long)r->nexamples);
    if (all) r->offs[r->noffs] = r->data_end;
    return GN_OK;
}

/* Gives the reader `ways` block cursors, all empty. */
static int make_ways(gn_cache_reader *r, size_t ways) {
    r->ways = calloc(ways, sizeof *r->ways);
    if (!r->ways) return gn__fail(GN_ENOMEM, "out of memory");
    r->nways = r->active = ways;
    return GN_OK;
}

/* For a cache of term counts ("text_counts" in the header): the weights its readers apply. */
static int weigh_setup(gn_cache_reader *r) {
    if (!json_is_true(json_object_get(r->hdr, "text_counts"))) return GN_OK;
    gn_data_spec s;
    gn_parser *p = NULL;
    int st = header_spec(r, &s, &p);
    if (st == GN_OK && !gn__parser_idf(p))
        st = gn__fail(GN_EFORMAT, "%s: cache header: term counts without idf weights", r->path);
    if (st == GN_OK) {
        r->idf = gn__idf_ref(gn__parser_idf(p));
        r->weigh = 1;
        r->topts.ngrams = s.ngrams;
        r->topts.skips = s.skips;
        r->topts.tf = s.tf;
        r->topts.normalize = s.normalize_rows;
        r->topts.mask = (uint32_t)(r->nslots - 1);
        r->topts.idf = r->idf->w;
    }
    gn__parser_free(p);
    return st;
}

int gn__cache_open_part(const char *path, uint32_t part, uint32_t nparts, gn_cache_reader **out) {
    if (nparts == 0 || part >= nparts) return gn__fail(GN_EINVAL, "cache part %u of %u does not exist", part, nparts);
    gn_cache_reader *r;
    GN_TRY(open_file(path, &r));
    int st;
    if (!(r->zd = ZSTD_createDCtx())) st = gn__fail(GN_ENOMEM, "out of memory");
    else if ((st = weigh_setup(r)) == GN_OK && (st = find_blocks(r, part, nparts, 0)) == GN_OK) st = make_ways(r, 1);
    if (st != GN_OK) {
        gn__cache_close(r);
        return st;
    }
    r->nmine = r->noffs;
    *out = r;
    return GN_OK;
}

/* The offset of the block at position j of this part's order. */
static uint64_t block_at(const gn_cache_reader *r, uint64_t j) {
    if (!r->shuffled) return r->offs[j];
    return r->offs[gn__permute_index(j * r->nparts + r->part, r->nblocks, r->key)];
}

int gn__cache_rewind_pass(gn_cache_reader *r, uint32_t pass) {
    if (r->shuffled) {
        r->key = gn__permute_key(r->seed, pass);
        r->bytes_total = 0;
        for (uint64_t j = 0; j < r->nmine; j++) {
            uint64_t c = gn__permute_index(j * r->nparts + r->part, r->nblocks, r->key);
            r->bytes_total += r->offs[c + 1] - r->offs[c];
        }
    }
    return gn__cache_rewind(r);
}

int gn__cache_open_shuffled(const char *path, uint32_t part, uint32_t nparts, uint64_t seed, size_t buffer_examples,
                            gn_cache_reader **out) {
    if (nparts == 0 || part >= nparts) return gn__fail(GN_EINVAL, "cache part %u of %u does not exist", part, nparts);
    gn_cache_reader *r;
    GN_TRY(open_file(path, &r));
    int st;
    if (!(r->zd = ZSTD_createDCtx())) st = gn__fail(GN_ENOMEM, "out of memory");
    else if ((st = weigh_setup(r)) == GN_OK) st = find_blocks(r, part, nparts, 1);
    if (st != GN_OK) {
        gn__cache_close(r);
        return st;
    }
    r->shuffled = 1;
    r->seed = seed;
    r->part = part;
    r->nparts = nparts;
    r->nmine = r->nblocks > part ? (r->nblocks - part - 1) / nparts + 1 : 0;
    /* A buffer-full should mix examples of about 32 blocks. Read one after another, it spans
     * buffer/E blocks of E examples; interleaving w blocks example by example adds w - 1. */
    uint64_t per_block = r->nblocks ? (r->nexamples + r->nblocks - 1) / r->nblocks : 1;
    uint64_t spanned = buffer_examples / (per_block ? per_block : 1);
    size_t ways = spanned >= SHUFFLE_BLOCKS ? 1 : (size_t)(SHUFFLE_BLOCKS - spanned);
    if (ways > r->nmine) ways = r->nmine ? (size_t)r->nmine : 1;
    if ((st = make_ways(r, ways)) != GN_OK || (st = gn__cache_rewind_pass(r, 1)) != GN_OK) {
        gn__cache_close(r);
        return st;
    }
    *out = r;
    return GN_OK;
}

size_t gn__cache_ways(const gn_cache_reader *r) { return r->nways; }

/* Grows a block buffer to hold need bytes; at least a block's usual size plus a quarter, so that
 * the blocks that follow (about BLOCK_RAW_TARGET each, a little more or less) rarely grow it. */
static int grow(unsigned char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return GN_OK;
    if (need < BLOCK_RAW_TARGET + BLOCK_RAW_TARGET / 4) need = BLOCK_RAW_TARGET + BLOCK_RAW_TARGET / 4;
    unsigned char *p = realloc(*buf, need);
    if (!p) return gn__fail(GN_ENOMEM, "out of memory reading the cache");
    *buf = p;
    *cap = need;
    return GN_OK;
}

/* Reads, checks and decompresses the next block of this part into cursor c. */
static int load_block(gn_cache_reader *r, block_cursor *c) {
    uint64_t off = block_at(r, r->next_block++);
    unsigned char h[BLOCK_HDR];
    GN_TRY(read_at(r->fd, h, BLOCK_HDR, off, r->path));
    uint32_t flags = get_u32(h + 4), stored = get_u32(h + 8), raw = get_u32(h + 12), nex = get_u32(h + 16);
    if (get_u32(h) != BLOCK_MAGIC || stored > BLOCK_MAX || raw > BLOCK_MAX || flags > 1)
        return gn__fail(GN_EFORMAT, "%s: corrupt cache: bad block header at byte %llu", r->path, (unsigned long long)off);
    if (!(flags & 1) && raw != stored) return gn__fail(GN_EFORMAT, "%s: corrupt cache: bad block sizes", r->path);
    /* a plain payload is read straight into the cursor's buffer */
    unsigned char **dst = flags & 1 ? &r->stored : &c->raw;
    size_t *dst_cap = flags & 1 ? &r->stored_cap : &c->raw_cap;
    GN_TRY(grow(dst, dst_cap, stored ? stored : 1));
    GN_TRY(read_at(r->fd, *dst, stored, off + BLOCK_HDR, r->path));
    if (XXH3_64bits(*dst, stored) != get_u64(h + 20))
        return gn__fail(GN_ECHECKSUM, "%s: corrupt cache: checksum mismatch in the block at byte %llu "
                                      "(delete the file to rebuild it)", r->path, (unsigned long long)off);
    if (flags & 1) {
        GN_TRY(grow(&c->raw, &c->raw_cap, raw ? raw : 1));
        size_t got = ZSTD_decompressDCtx(r->zd, c->raw, raw, r->stored, stored);
        if (ZSTD_isError(got) || got != raw)
            return gn__fail(GN_EFORMAT, "%s: corrupt cache: block at byte %llu does not decompress", r->path,
                            (unsigned long long)off);
    }
    c->pos = c->raw;
    c->end = c->pos + raw;
    c->left = nex;
    c->prev_key = 0;
    c->block = r->next_block;
    r->bytes_done += BLOCK_HDR + stored;
    return GN_OK;
}

static int corrupt(gn_cache_reader *r, const block_cursor *c) {
    return gn__fail(GN_EFORMAT, "%s: corrupt cache: an example in block %llu of this part is malformed", r->path,
                    (unsigned long long)c->block);
}

/* Decodes the example at c->pos into b. */
static int decode_example(gn_cache_reader *r, block_cursor *c, gn_batch *b) {
    const unsigned char *p = c->pos, *end = c->end;
    if (p >= end) return corrupt(r, c);
    unsigned flags = *p++;
    uint64_t kd, n;
    if (!(p = get_varint(p, end, &kd)) || !(p = get_varint(p, end, &n))) return corrupt(r, c);
    if (n > (uint64_t)(end - p)) return corrupt(r, c);
    uint64_t key = c->prev_key + (uint64_t)unzigzag(kd);
    c->prev_key = key;
    GN_TRY(gn__batch_reserve_features(b, (size_t)n));
    uint32_t *idx = b->index + b->nnz;
    int64_t prev = 0;
    for (uint64_t j = 0; j < n; j++) {
        uint64_t d;
        if (end - p >= 4) { /* fast path: up to 4 bytes (28 bits), no bounds check per byte */
            uint32_t b0 = p[0];
            if (b0 < 0x80) {
                d = b0;
                p += 1;
            } else if (p[1] < 0x80) {
                d = (b0 & 0x7f) | (uint32_t)p[1] << 7;
                p += 2;
            } else if (p[2] < 0x80) {
                d = (b0 & 0x7f) | (uint32_t)(p[1] & 0x7f) << 7 | (uint32_t)p[2] << 14;
                p += 3;
            } else if (p[3] < 0x80) {
                d = (b0 & 0x7f) | (uint32_t)(p[1] & 0x7f) << 7 | (uint32_t)(p[2] & 0x7f) << 14 |
                    (uint32_t)p[3] << 21;
                p += 4;
            } else if (!(p = get_varint(p, end, &d))) {
                return corrupt(r, c);
            }
        } else if (!(p = get_varint(p, end, &d))) {
            return corrupt(r, c);
        }
        prev += unzigzag(d);
        if ((uint64_t)prev >= r->nslots) return corrupt(r, c); /* also catches prev < 0 */
        idx[j] = (uint32_t)prev;
    }
    float label, weight = 1.0f;
    switch (flags & EX_LABEL_MASK) {
    case EX_LABEL_POS: label = 1.0f; break;
    case EX_LABEL_NEG: label = -1.0f; break;
    case EX_LABEL_ZERO: label = 0.0f; break;
    default:
        if (end - p < 4) return corrupt(r, c);
        memcpy(&label, p, 4);
        p += 4;
    }
    if (flags & EX_WEIGHT) {
        if (end - p < 4) return corrupt(r, c);
        memcpy(&weight, p, 4);
        p += 4;
    }
    float *val = b->value + b->nnz;
    if (flags & EX_ONES) {
        for (uint64_t j = 0; j < n; j++) val[j] = 1.0f;
    } else {
        if ((uint64_t)(end - p) < n * 4) return corrupt(r, c);
        memcpy(val, p, (size_t)n * 4);
        p += n * 4;
    }
    if (flags & ~15u) return corrupt(r, c);
    if (r->weigh) { /* counts -> weights; slot 0, first when present, is the bias (no term hashes there) */
        const size_t bias = n > 0 && idx[0] == 0;
        n = bias + gn__text_weigh(&r->topts, idx + bias, val + bias, (size_t)n - bias);
    }
    GN_TRY(gn__batch_begin_example(b, label, weight, key));
    b->nnz += (size_t)n;
    gn__batch_end_example(b);
    c->pos = p;
    c->left--;
    return GN_OK;
}

/* Examples come from the active cursors in turn (one cursor, block after block, unless shuffled);
 * a cursor whose block ends takes the part's next block, or drops out when there is none. */
int gn__cache_next(gn_cache_reader *r, gn_batch *b, size_t max) {
    gn__batch_clear(b);
    while (b->n < max) {
        if (r->active == 0) return b->n ? GN_OK : GN_EOF;
        block_cursor *c = &r->ways[r->turn];
        if (c->left == 0) {
            if (c->pos != c->end) return corrupt(r, c);
            if (r->next_block < r->nmine) {
                GN_TRY(load_block(r, c));
                continue;
            }
            /* no block left for this cursor: the last active one takes its place */
            r->active--;
            block_cursor t = r->ways[r->turn];
            r->ways[r->turn] = r->ways[r->active];
            r->ways[r->active] = t;
            if (r->turn >= r->active) r->turn = 0;
            continue;
        }
        GN_TRY(decode_example(r, c, b));
        if (++r->turn >= r->active) r->turn = 0;
    }
    return GN_OK;
}

int gn__cache_rewind(gn_cache_reader *r) {
    r->next_block = 0;
    for (size_t i = 0; i < r->nways; i++) {
        r->ways[i].left = 0;
        r->ways[i].pos = r->ways[i].end = NULL;
    }
    r->active = r->nways;
    r->turn = 0;
    r->bytes_done = 0;
    return GN_OK;
}

uint64_t gn__cache_bytes_done(const gn_cache_reader *r) { return r->bytes_done; }
uint64_t gn__cache_bytes_total(const gn_cache_reader *r) { return r->bytes_total; }

void gn__cache_close(gn_cache_reader *r) {
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    json_decref(r->hdr);
    free(r->section);
    free(r->path);
    free(r->offs);
    free(r->stored);
    for (size_t i = 0; i < r->nways; i++) free(r->ways[i].raw);
    free(r->ways);
    ZSTD_freeDCtx(r->zd);
    gn__idf_unref(r->idf);
    free(r);
}

/* ---- public API (gannet/cache.h) ------------------------------------------------------------ */

gn_status gn_cache_build(const gn_data_spec *spec, const char *const *paths, size_t npaths, const char *path,
                   gn_cache_info *info) {
    gn__clear_error();
    if (!spec || !paths || !path) return gn__fail(GN_EINVAL, "cache: spec, paths and path are required");
    GN_TRY(gn_data_spec_check(spec));
    return gn__cache_build(path, spec, paths, npaths, info);
}

gn_status gn_cache_check(const gn_data_spec *spec, const char *const *paths, size_t npaths, const char *path) {
    gn__clear_error();
    if (!spec || !paths || !path) return gn__fail(GN_EINVAL, "cache: spec, paths and path are required");
    GN_TRY(gn__cache_check(path, spec, paths, npaths));
    /* read every block: checksums and structure */
    gn_cache_reader *r;
    GN_TRY(gn__cache_open_part(path, 0, 1, &r));
    gn_batch b;
    int st = gn__batch_init(&b, 4096, 4096 * 16);
    while (st == GN_OK) st = gn__cache_next(r, &b, 4096);
    gn__batch_free(&b);
    gn__cache_close(r);
    return st == GN_EOF ? GN_OK : st;
}
