/* io/source.c: reading a list of files (or one part of it) into batches (see source.h).
 * A source walks a list of pieces: whole files, or byte ranges of plain files for a part, or for
 * --shuffle chunks (byte ranges) of all the files in a seeded order, computed as it goes. The
 * format and the CSV columns are resolved from the first data line of the first file before any
 * part starts, so every part parses exactly as a sequential read would, and every example keeps
 * the key (file index << 40) ^ (byte offset of its line) whatever the split. Leading blank and
 * comment lines of every file are skipped; the first data line of each file goes through
 * gn__parser_first_line (the CSV header check). */
#include "io/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/linereader.h"
#include "io/shuffle.h"
#include "util/error.h"

typedef struct piece {
    size_t file;         /* index into paths: keys use it */
    uint64_t begin, end; /* byte range of line starts; whole file: 0, UINT64_MAX */
    uint64_t data_start; /* offset of the file's first data line (ranges only; else unused) */
    int ranged;
} piece;

/* --shuffle (gn__source_open_shuffled): the input cut into chunks, read in a seeded order. */
typedef struct chunking {
    uint64_t seed;          /* --seed: the order of pass p is gn__permute_key(seed, p) */
    uint64_t key;           /* this pass's */
    uint32_t part, nparts;  /* position g of the pass's order goes to part g mod nparts */
    uint64_t chunk_bytes;
    uint64_t nchunks;       /* of all parts together */
    uint64_t *first;        /* first[i]: the index of file i's first chunk; first[npaths] = nchunks */
    uint64_t *size;         /* per file */
    uint64_t *data_start;   /* per file: offset of its first data line (plain files) */
    unsigned char *whole;   /* per file: 1 if it cannot be split (compressed, not a regular file) */
    piece cur;              /* the piece open now */
} chunking;

struct gn_source {
    gn_data_spec spec;
    char **paths;
    size_t npaths;
    piece *pieces;
    size_t npieces;
    size_t cur;              /* index of the open piece */
    gn_line_reader *reader;  /* NULL between pieces */
    gn_line_reader *spare;   /* the last piece's reader: the next range takes its buffer */
    gn_parser *parser;       /* NULL until the format is known */
    int at_file_start;       /* still among the file's leading blank/comment lines */
    const char *pending;     /* a line read for detection, not yet parsed */
    size_t pending_len;
    uint64_t skipped, lines;
    uint64_t bytes_before;   /* bytes of the pieces already finished in this pass */
    uint64_t bytes_total;
    int has_stdin;
    chunking *chunks;        /* --shuffle: the pieces are chunks in a seeded order (else NULL) */
};

static const piece *cur_piece(const gn_source *s) {
    return s->chunks ? &s->chunks->cur : &s->pieces[s->cur];
}

static piece chunk_piece(const gn_source *s, size_t pos);

static int is_blank_or_comment(const char *line, size_t len) {
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    return i == len || line[i] == '#';
}

/* Puts the open reader aside (the next range reuses its buffer: --shuffle reads many chunks). */
static void drop_reader(gn_source *s) {
    if (!s->reader) return;
    gn__line_reader_free(s->spare);
    s->spare = s->reader;
    s->reader = NULL;
}

static int open_piece(gn_source *s) {
    drop_reader(s);
    if (s->chunks) s->chunks->cur = chunk_piece(s, s->cur);
    const piece *p = cur_piece(s);
    if (p->ranged) {
        gn_line_reader *old = s->spare;
        s->spare = NULL;
        GN_TRY(gn__line_reader_reopen_range(old, s->paths[p->file], s->spec.max_line, p->begin, p->end,
                                            &s->reader));
        s->at_file_start = p->begin <= p->data_start;
    } else {
        GN_TRY(gn__line_reader_open(s->paths[p->file], s->spec.max_line, &s->reader));
        s->at_file_start = 1;
    }
    return GN_OK;
}

static uint64_t piece_size(const gn_source *s, const piece *p, uint64_t file_size) {
    (void)s;
    if (!p->ranged) return file_size;
    uint64_t e = p->end < file_size ? p->end : file_size;
    return e > p->begin ? e - p->begin : 0;
}

/* Allocates s with a copy of the paths; checks they exist and sums the sizes of the pieces
 * later (sizes[] gets each file's size, 0 if unknown). */
static int source_alloc(const gn_data_spec *spec, const gn_parser *parser, const char *const *paths,
                        size_t npaths, gn_source **out, uint64_t *sizes, int *unsplittable) {
    if (npaths == 0) return gn__fail(GN_EINVAL, "no input files");
    gn_source *s = calloc(1, sizeof *s);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    s->spec = parser ? *gn__parser_spec(parser) : *spec;
    if (parser) {
        s->spec.skip_bad = spec->skip_bad;
        s->spec.label_kind = spec->label_kind;
    }
    s->paths = calloc(npaths, sizeof *s->paths);
    if (!s->paths) { free(s); return gn__fail(GN_ENOMEM, "out of memory"); }
    s->npaths = npaths;
    int st = GN_OK;
    for (size_t i = 0; i < npaths; i++) {
        s->paths[i] = strdup(paths[i]);
        if (!s->paths[i]) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
        sizes[i] = 0;
        unsplittable[i] = 1;
        if (strcmp(paths[i], "-") == 0) {
            if (s->has_stdin) { st = gn__fail(GN_EINVAL, "stdin ('-') can be read only once"); goto fail; }
            s->has_stdin = 1;
            continue;
        }
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            st = gn__fail(GN_EIO, "%s: cannot open: %s", paths[i], GN_ERRNO_TEXT(errno));
            goto fail;
        }
        if (S_ISREG(sb.st_mode)) {
            sizes[i] = (uint64_t)sb.st_size;
            unsplittable[i] = 0;
        }
    }
    *out = s;
    return GN_OK;
fail:
    gn__source_free(s);
    return st;
}

/* bytes_total = sum of the pieces' sizes, or 0 if some size is unknown (stdin, a pipe). */
static void sum_sizes(gn_source *s, const uint64_t *sizes, const int *irregular) {
    s->bytes_total = 0;
    for (size_t i = 0; i < s->npieces; i++) {
        const piece *p = &s->pieces[i];
        if (irregular[p->file]) { s->bytes_total = 0; return; }
        s->bytes_total += piece_size(s, p, sizes[p->file]);
    }
}

int gn__source_open(const gn_data_spec *spec, const gn_parser *parser, const char *const *paths,
                    size_t npaths, gn_source **out) {
    gn_source *s = NULL;
    uint64_t *sizes = calloc(npaths ? npaths : 1, sizeof *sizes);
    int *unsplit = calloc(npaths ? npaths : 1, sizeof *unsplit);
    int st;
    if (!sizes || !unsplit) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
    if ((st = source_alloc(spec, parser, paths, npaths, &s, sizes, unsplit)) != GN_OK) goto fail;
    s->pieces = calloc(npaths, sizeof *s->pieces);
    if (!s->pieces) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
    for (size_t i = 0; i < npaths; i++) s->pieces[i] = (piece){i, 0, UINT64_MAX, 0, 0};
    s->npieces = npaths;
    sum_sizes(s, sizes, unsplit);
    if (parser) {
        gn_parser *c;
        if ((st = gn__parser_clone(parser, &c)) != GN_OK) goto fail;
        s->parser = c;
    } else if (s->spec.format != GN_FORMAT_AUTO) {
        if ((st = gn__parser_new(&s->spec, &s->parser)) != GN_OK) goto fail;
    }
    if ((st = open_piece(s)) != GN_OK) goto fail;
    free(sizes);
    free(unsplit);
    *out = s;
    return GN_OK;
fail:
    free(sizes);
    free(unsplit);
    gn__source_free(s);
    return st;
}

static uint64_t line_no(gn_source *s) { return gn__line_reader_abs_lineno(s->reader); }

/* Reads the first data line of the open file to decide the format, and creates the parser. */
static int detect(gn_source *s) {
    const char *line;
    size_t len;
    for (;;) {
        int st = gn__line_reader_next(s->reader, &line, &len);
        if (st == GN_EOF && s->cur + 1 < s->npieces) { /* an empty file: detect from the next */
            s->bytes_before += gn__line_reader_bytes_read(s->reader);
            s->cur++;
            GN_TRY(open_piece(s));
            continue;
        }
        if (st == GN_EOF) break;
        if (st != GN_OK) return st;
        if (is_blank_or_comment(line, len)) continue;
        char sep = 0;
        s->spec.format = gn__detect_format(line, len, &sep);
        if (s->spec.format == GN_FORMAT_CSV && s->spec.sep == 0) s->spec.sep = sep;
        s->pending = line;
        s->pending_len = len;
        return gn__parser_new(&s->spec, &s->parser);
    }
    return gn__fail(GN_EPARSE, "%s: no data lines: cannot detect the format (give --format)",
                    s->paths[cur_piece(s)->file]);
}

/* Offset of the first data line of a plain file (its size if none), for range parts. */
static int find_data_start(const gn_source *s, size_t file, uint64_t *out) {
    gn_line_reader *r;
    GN_TRY(gn__line_reader_open(s->paths[file], s->spec.max_line, &r));
    const char *line;
    size_t len;
    int st;
    *out = UINT64_MAX;
    while ((st = gn__line_reader_next(r, &line, &len)) == GN_OK || st == GN_ELIMIT) {
        if (st == GN_ELIMIT || !is_blank_or_comment(line, len)) {
            *out = st == GN_OK ? gn__line_reader_offset(r) : 0;
            break;
        }
    }
    gn__line_reader_free(r);
    if (st != GN_OK && st != GN_EOF && st != GN_ELIMIT) return st;
    return GN_OK;
}

int gn__source_open_part(const gn_data_spec *spec, const gn_parser *parser, const char *const *paths,
                         size_t npaths, uint32_t part, uint32_t nparts, gn_source **out) {
    if (nparts == 0 || part >= nparts)
        return gn__fail(GN_EINVAL, "part %u of %u does not exist", (unsigned)part, (unsigned)nparts);
    if (nparts == 1) return gn__source_open(spec, parser, paths, npaths, out);
    gn_source *s = NULL, *probe = NULL;
    uint64_t *sizes = calloc(npaths ? npaths : 1, sizeof *sizes);
    int *unsplit = calloc(npaths ? npaths : 1, sizeof *unsplit);
    int *irregular = calloc(npaths ? npaths : 1, sizeof *irregular);
    int st;
    if (!sizes || !unsplit || !irregular) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
    if ((st = source_alloc(spec, parser, paths, npaths, &s, sizes, unsplit)) != GN_OK) goto fail;
    memcpy(irregular, unsplit, npaths * sizeof *irregular);

    /* The parser: the given one, one from an explicit LIBSVM/VW spec, or resolved from the first
     * data line of the first file (format detection, CSV columns and header). */
    if (parser) {
        if ((st = gn__parser_clone(parser, &s->parser)) != GN_OK) goto fail;
    } else if (s->spec.format == GN_FORMAT_LIBSVM || s->spec.format == GN_FORMAT_VW) {
        if ((st = gn__parser_new(&s->spec, &s->parser)) != GN_OK) goto fail;
    } else {
        if (strcmp(paths[0], "-") == 0) {
            st = gn__fail(GN_EINVAL, "stdin ('-') as the first input cannot be split into parts: "
                                     "give --format libsvm/vw, or use one thread");
            goto fail;
        }
        if ((st = gn__source_open(spec, NULL, paths, 1, &probe)) != GN_OK) goto fail;
        if ((st = gn__source_resolve(probe)) != GN_OK) goto fail;
        if ((st = gn__parser_clone(probe->parser, &s->parser)) != GN_OK) goto fail;
        s->spec = *gn__parser_spec(s->parser);
        s->spec.skip_bad = spec->skip_bad;
        s->spec.label_kind = spec->label_kind;
        gn__source_free(probe);
        probe = NULL;
    }

    s->pieces = calloc(npaths + nparts + 1, sizeof *s->pieces);
    if (!s->pieces) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
    if (npaths >= nparts) {
        /* whole files dealt out in turn */
        for (size_t i = part; i < npaths; i += nparts) s->pieces[s->npieces++] = (piece){i, 0, UINT64_MAX, 0, 0};
    } else {
        /* files that cannot be split go whole to parts in turn; the bytes of the plain files,
         * taken as one run, are cut into nparts equal ranges */
        uint64_t total = 0;
        size_t nunsplit = 0;
        for (size_t i = 0; i < npaths; i++) {
            int compressed = 0;
            if (!unsplit[i] && sizes[i] >= 2) {
                unsigned char head[4] = {0};
                int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
                if (fd < 0) { st = gn__fail(GN_EIO, "%s: cannot open: %s", paths[i], GN_ERRNO_TEXT(errno)); goto fail; }
                ssize_t got = pread(fd, head, 4, 0);
                close(fd);
                compressed = (got >= 2 && head[0] == 0x1f && head[1] == 0x8b) ||
                             (got >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd);
            }
            if (unsplit[i] || compressed || sizes[i] == 0) {
                if (nunsplit++ % nparts == part) s->pieces[s->npieces++] = (piece){i, 0, UINT64_MAX, 0, 0};
                unsplit[i] = 1;
            } else {
                total += sizes[i];
            }
        }
        uint64_t lo = total / nparts * part + total % nparts * part / nparts;
        uint64_t hi = total / nparts * (part + 1) + total % nparts * (part + 1) / nparts;
        uint64_t at = 0;
        piece *tmp = s->pieces + s->npieces; /* ranges, merged into file order below */
        size_t nr = 0;
        for (size_t i = 0; i < npaths && at < hi; i++) {
            if (unsplit[i]) continue;
            uint64_t fb = at, fe = at + sizes[i];
            at = fe;
            if (fe <= lo || fb >= hi) continue;
            uint64_t b = lo > fb ? lo - fb : 0;
            uint64_t e = hi < fe ? hi - fb : UINT64_MAX; /* the last range runs to the file's end */
            piece pc = {i, b, e, 0, 1};
            if ((st = find_data_start(s, i, &pc.data_start)) != GN_OK) goto fail;
            tmp[nr++] = pc;
        }
        /* put all pieces in file order (insertion sort: few pieces) */
        s->npieces += nr;
        for (size_t i = 1; i < s->npieces; i++) {
            piece x = s->pieces[i];
            size_t j = i;
            while (j > 0 && s->pieces[j - 1].file > x.file) { s->pieces[j] = s->pieces[j - 1]; j--; }
            s->pieces[j] = x;
        }
    }
    sum_sizes(s, sizes, irregular);
    if (s->npieces > 0 && (st = open_piece(s)) != GN_OK) goto fail;
    free(sizes);
    free(unsplit);
    free(irregular);
    *out = s;
    return GN_OK;
fail:
    free(sizes);
    free(unsplit);
    free(irregular);
    gn__source_free(probe);
    gn__source_free(s);
    return st;
}

/* ---- --shuffle: chunks in a seeded order ---------------------------------------------------- */

#define CHUNK_MIN_BYTES ((uint64_t)16 << 10)  /* a chunk costs an open and a seek: not smaller */
#define CHUNK_MAX_COUNT ((uint64_t)1 << 32)   /* chunks of the whole input, at most */
#define ESTIMATE_LINES 4096                   /* data lines sampled for the bytes per example */

/* For the regular file i: whether it is compressed (then it is read whole), else the offset of
 * its first data line. One small read answers both in the usual case, a file whose first line is
 * data (a header counts); leading blank or comment lines need find_data_start. */
static int probe_file(const gn_source *s, size_t i, chunking *k) {
    char head[4096];
    int fd = open(s->paths[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) return gn__fail(GN_EIO, "%s: cannot open: %s", s->paths[i], GN_ERRNO_TEXT(errno));
    ssize_t got = pread(fd, head, sizeof head, 0);
    int err = errno;
    close(fd);
    if (got < 0) return gn__fail(GN_EIO, "%s: read error: %s", s->paths[i], GN_ERRNO_TEXT(err));
    const unsigned char *h = (const unsigned char *)head;
    if ((got >= 2 && h[0] == 0x1f && h[1] == 0x8b) || (got >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)) {
        k->whole[i] = 1;
        return GN_OK;
    }
    size_t n = 0;
    while (n < (size_t)got && head[n] != '\n') n++;
    if (!is_blank_or_comment(head, n)) { /* (a partial first line that shows data is data too) */
        k->data_start[i] = 0;
        return GN_OK;
    }
    return find_data_start(s, i, &k->data_start[i]);
}

/* The piece of chunk c (an index into all the chunks, in file order). */
static piece chunk_of(const gn_source *s, uint64_t c) {
    const chunking *k = s->chunks;
    size_t lo = 0, hi = s->npaths; /* the file lo with first[lo] <= c < first[lo + 1] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->first[mid] <= c) lo = mid;
        else hi = mid;
    }
    if (k->whole[lo]) return (piece){lo, 0, UINT64_MAX, 0, 0};
    uint64_t j = c - k->first[lo];
    uint64_t end = c + 1 == k->first[lo + 1] ? UINT64_MAX : (j + 1) * k->chunk_bytes;
    return (piece){lo, j * k->chunk_bytes, end, k->data_start[lo], 1};
}

/* The piece at position pos of this part's share of the pass: its position pos * nparts + part
 * in the pass's permutation of all the chunks. */
static piece chunk_piece(const gn_source *s, size_t pos) {
    const chunking *k = s->chunks;
    uint64_t g = (uint64_t)pos * k->nparts + k->part;
    return chunk_of(s, gn__permute_index(g, k->nchunks, k->key));
}

/* Sets up pass `pass`: this part's chunks, their size; then starts from the first. */
static int chunks_start_pass(gn_source *s, uint32_t pass) {
    chunking *k = s->chunks;
    k->key = gn__permute_key(k->seed, pass);
    s->npieces = k->nchunks > k->part ? (size_t)((k->nchunks - k->part - 1) / k->nparts + 1) : 0;
    s->bytes_total = 0;
    for (size_t i = 0; i < s->npieces; i++) {
        piece p = chunk_piece(s, i);
        if (k->whole[p.file] && k->size[p.file] == 0) { /* not a regular file: size unknown */
            s->bytes_total = 0;
            break;
        }
        s->bytes_total += piece_size(s, &p, k->size[p.file]);
    }
    s->cur = 0;
    s->bytes_before = 0;
    s->pending = NULL;
    drop_reader(s);
    return s->npieces > 0 ? open_piece(s) : GN_OK;
}

/* Bytes per data line, from up to ESTIMATE_LINES data lines of the first plain file with data
 * (the same for every part and rank); 0 if there is none. */
static int estimate_line_bytes(const gn_source *s, uint64_t *out) {
    const chunking *k = s->chunks;
    *out = 0;
    for (size_t i = 0; i < s->npaths; i++) {
        if (k->whole[i] || k->data_start[i] >= k->size[i]) continue;
        gn_line_reader *r;
        GN_TRY(gn__line_reader_open_range(s->paths[i], s->spec.max_line, k->data_start[i], UINT64_MAX, &r));
        const char *line;
        size_t len;
        uint64_t n = 0, first = UINT64_MAX, last_end = 0;
        int st;
        while (n < ESTIMATE_LINES && ((st = gn__line_reader_next(r, &line, &len)) == GN_OK || st == GN_ELIMIT)) {
            if (st != GN_OK) continue;
            uint64_t off = gn__line_reader_offset(r);
            if (first == UINT64_MAX) first = off;
            last_end = off + len + 1;
            n++;
        }
        gn__line_reader_free(r);
        if (n > 0) {
            *out = (last_end - first + n - 1) / n;
            return GN_OK;
        }
    }
    return GN_OK;
}

int gn__source_open_shuffled(const gn_data_spec *spec, const char *const *paths, size_t npaths, uint32_t part,
                             uint32_t nparts, uint64_t seed, size_t chunk_examples, gn_source **out) {
    if (nparts == 0 || part >= nparts)
        return gn__fail(GN_EINVAL, "part %u of %u does not exist", (unsigned)part, (unsigned)nparts);
    gn_source *s;
    GN_TRY(gn__source_open(spec, NULL, paths, npaths, &s));
    int st;
    chunking *k = NULL;
    if (s->has_stdin) {
        st = gn__fail(GN_EINVAL, "stdin ('-') cannot be read in a shuffled order: give files");
        goto fail;
    }
    if ((st = gn__source_resolve(s)) != GN_OK) goto fail;
    if (!(k = s->chunks = calloc(1, sizeof *k))) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
    k->seed = seed;
    k->part = part;
    k->nparts = nparts;
    k->first = calloc(npaths + 1, sizeof *k->first);
    k->size = calloc(npaths, sizeof *k->size);
    k->data_start = calloc(npaths, sizeof *k->data_start);
    k->whole = calloc(npaths, sizeof *k->whole);
    if (!k->first || !k->size || !k->data_start || !k->whole) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
    uint64_t plain_bytes = 0;
    for (size_t i = 0; i < npaths; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            st = gn__fail(GN_EIO, "%s: cannot open: %s", paths[i], GN_ERRNO_TEXT(errno));
            goto fail;
        }
        k->size[i] = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
        k->whole[i] = !S_ISREG(sb.st_mode);
        if (k->whole[i] || k->size[i] == 0) continue;
        if ((st = probe_file(s, i, k)) != GN_OK) goto fail;
        if (!k->whole[i]) plain_bytes += k->size[i];
    }
    /* a buffer-full should mix many chunks from all over the input: a chunk is about
     * chunk_examples examples' worth of bytes */
    uint64_t line_bytes;
    if ((st = estimate_line_bytes(s, &line_bytes)) != GN_OK) goto fail;
    k->chunk_bytes = line_bytes * (chunk_examples ? chunk_examples : 1);
    if (k->chunk_bytes < CHUNK_MIN_BYTES) k->chunk_bytes = CHUNK_MIN_BYTES;
    if (plain_bytes / k->chunk_bytes >= CHUNK_MAX_COUNT) k->chunk_bytes = plain_bytes / (CHUNK_MAX_COUNT - 1) + 1;
    for (size_t i = 0; i < npaths; i++) {
        uint64_t n = k->whole[i] ? 1 : (k->size[i] + k->chunk_bytes - 1) / k->chunk_bytes;
        k->first[i + 1] = k->first[i] + n;
    }
    k->nchunks = k->first[npaths];
    if ((st = chunks_start_pass(s, 1)) != GN_OK) goto fail;
    *out = s;
    return GN_OK;
fail:
    gn__source_free(s);
    return st;
}

int gn__source_rewind_pass(gn_source *s, uint32_t pass) {
    if (!s->chunks) return gn__source_rewind(s);
    return chunks_start_pass(s, pass);
}

uint64_t gn__source_chunk_bytes(const gn_source *s) { return s->chunks ? s->chunks->chunk_bytes : 0; }

int gn__source_resolve(gn_source *s) {
    if (!s->reader) return GN_OK;
    if (!s->parser) GN_TRY(detect(s));
    if (!s->at_file_start) return GN_OK;
    char why[GN_WHY_MAX];
    const char *line;
    size_t len;
    while (!s->pending) {
        int st = gn__line_reader_next(s->reader, &line, &len);
        if (st == GN_EOF) return GN_OK;
        if (st != GN_OK) return st;
        if (is_blank_or_comment(line, len)) continue;
        s->pending = line;
        s->pending_len = len;
    }
    s->at_file_start = 0;
    int h = gn__parser_first_line(s->parser, s->pending, s->pending_len, why);
    if (h < 0)
        return gn__fail(GN_EPARSE, "%s:%llu: %s", gn__line_reader_path(s->reader),
                        (unsigned long long)line_no(s), why);
    if (h == 1) s->pending = NULL; /* a header: consumed */
    return GN_OK;
}

int gn__source_next_line(gn_source *s, const char **line_out, size_t *len_out, gn_source_line *where) {
    char why[GN_WHY_MAX];
    if (!s->parser && s->reader) GN_TRY(detect(s));
    for (;;) {
        if (!s->reader) return GN_EOF;
        const char *line;
        size_t len;
        int st;
        if (s->pending) {
            line = s->pending;
            len = s->pending_len;
            s->pending = NULL;
        } else {
            st = gn__line_reader_next(s->reader, &line, &len);
            if (st == GN_EOF) {
                const piece *p = cur_piece(s);
                uint64_t done = gn__line_reader_bytes_read(s->reader);
                uint64_t fsz = gn__line_reader_file_size(s->reader);
                s->bytes_before += p->ranged ? piece_size(s, p, fsz) : done;
                drop_reader(s);
                if (s->cur + 1 < s->npieces) {
                    s->cur++;
                    GN_TRY(open_piece(s));
                }
                continue;
            }
            if (st == GN_ELIMIT && s->spec.skip_bad) {
                s->lines++;
                s->skipped++;
                s->at_file_start = 0;
                continue;
            }
            if (st != GN_OK) return st;
        }
        s->lines++;
        if (s->at_file_start) {
            if (is_blank_or_comment(line, len)) continue;
            s->at_file_start = 0;
            int h = gn__parser_first_line(s->parser, line, len, why);
            if (h < 0)
                return gn__fail(GN_EPARSE, "%s:%llu: %s", gn__line_reader_path(s->reader),
                                (unsigned long long)line_no(s), why);
            if (h == 1) continue;
        }
        where->file = cur_piece(s)->file;
        where->key = ((uint64_t)where->file << 40) ^ gn__line_reader_offset(s->reader);
        where->lineno = cur_piece(s)->ranged ? 0 : gn__line_reader_lineno(s->reader);
        *line_out = line;
        *len_out = len;
        return GN_OK;
    }
}

int gn__source_next(gn_source *s, gn_batch *b, size_t max) {
    gn__batch_clear(b);
    char why[GN_WHY_MAX];
    while (b->n < max) {
        const char *line;
        size_t len;
        gn_source_line at;
        int st = gn__source_next_line(s, &line, &len, &at);
        if (st == GN_EOF) return b->n ? GN_OK : GN_EOF;
        if (st != GN_OK) return st;
        st = gn__parser_line(s->parser, line, len, at.key, b, why);
        if (st == GN_OK || st == GN_EOF) continue;
        if (st == GN_EPARSE && s->spec.skip_bad) {
            s->skipped++;
            continue;
        }
        const char *path = gn__line_reader_path(s->reader);
        if (st == GN_ENOMEM)
            return gn__fail(GN_ENOMEM, "%s:%llu: out of memory", path, (unsigned long long)line_no(s));
        return gn__fail(st == GN_EPARSE ? GN_EPARSE : st, "%s:%llu: %s", path,
                        (unsigned long long)line_no(s), why);
    }
    return GN_OK;
}

uint64_t gn__source_last_key(const gn_source *s) {
    if (!s->reader) return UINT64_MAX;
    return ((uint64_t)cur_piece(s)->file << 40) ^ gn__line_reader_offset(s->reader);
}

const char *gn__source_path(const gn_source *s, size_t file) {
    return file < s->npaths ? (strcmp(s->paths[file], "-") == 0 ? "<stdin>" : s->paths[file]) : "?";
}

int gn__source_splittable(const gn_source *s) {
    for (size_t i = 0; i < s->npaths; i++) {
        if (strcmp(s->paths[i], "-") == 0) return 0;
        int fd = open(s->paths[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) return 0;
        unsigned char head[4] = {0};
        struct stat sb;
        ssize_t got = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? pread(fd, head, 4, 0) : -1;
        close(fd);
        if (got < 0) return 0;
        if ((got >= 2 && head[0] == 0x1f && head[1] == 0x8b) ||
            (got >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd))
            return 0;
    }
    return 1;
}

int gn__source_rewind(gn_source *s) {
    if (s->has_stdin) return gn__fail(GN_EINVAL, "stdin cannot be read twice: use one pass, or a file");
    s->cur = 0;
    s->bytes_before = 0;
    s->pending = NULL;
    if (s->npieces == 0) return GN_OK;
    return open_piece(s);
}

uint64_t gn__source_skipped(const gn_source *s) { return s->skipped; }
uint64_t gn__source_lines(const gn_source *s) { return s->lines; }
uint64_t gn__source_bytes_done(const gn_source *s) {
    uint64_t cur = 0;
    if (s->reader) {
        const piece *p = cur_piece(s);
        uint64_t r = gn__line_reader_bytes_read(s->reader);
        if (p->ranged) {
            uint64_t sz = piece_size(s, p, gn__line_reader_file_size(s->reader));
            cur = r > p->begin ? r - p->begin : 0;
            if (cur > sz) cur = sz;
        } else {
            cur = r;
        }
    }
    return s->bytes_before + cur;
}
uint64_t gn__source_bytes_total(const gn_source *s) { return s->bytes_total; }
const gn_data_spec *gn__source_spec(const gn_source *s) { return s->parser ? gn__parser_spec(s->parser) : &s->spec; }
gn_parser *gn__source_parser(gn_source *s) { return s->parser; }

void gn__source_free(gn_source *s) {
    if (!s) return;
    gn__line_reader_free(s->reader);
    gn__line_reader_free(s->spare);
    gn__parser_free(s->parser);
    if (s->paths)
        for (size_t i = 0; i < s->npaths; i++) free(s->paths[i]);
    free(s->paths);
    free(s->pieces);
    if (s->chunks) {
        free(s->chunks->first);
        free(s->chunks->size);
        free(s->chunks->data_start);
        free(s->chunks->whole);
        free(s->chunks);
    }
    free(s);
}
