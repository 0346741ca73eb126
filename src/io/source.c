/* io/source.c: reading a list of files (or one part of it) into batches (see source.h).
 * A source walks a list of pieces: whole files, or byte ranges of plain files for a part, or for
 * --shuffle chunks (byte ranges) of all the files in a seeded order, computed as it goes. The
 * format and the CSV columns are resolved from the first data line of the first file before any
 * part starts, so every part parses exactly as a sequential read would, and every example keeps
 * the key (file index << 40) ^ (byte offset of its line) whatever the split. Leading blank and
 * comment lines of every file are skipped; the first data line of each file goes through
 * gn__parser_first_line (the CSV header check, which may look at a sample of the records after
 * it: those are read ahead into a small queue and served from there, so none is lost, stdin
 * included). A CSV file whose separator is not a tab is read in record mode (a quoted field may
 * hold newlines); a byte range of such a file starts at the first record that starts in it,
 * found by following the quotes from the start of the file (io/linereader.c), once per part and
 * in the thread that reads the part. A --shuffle chunk of such a file starts at the record start
 * its chunk plan found for it: one sequential scan per file and run (gn__chunk_plan_new).
 *
 * The classes of a binary label (io/labels.h) are found once per run by the source that resolves
 * its own parser (gn__source_open without one): right after the first file's header check, a
 * label-only scan of the whole input (io/label_scan.c; stdin is peeked: the records in the
 * look-ahead queue, then its reader with a mark and a reset) puts them into the parser. Parts,
 * shuffled sources and chunk plans take a resolved parser (or resolve one such source), so every
 * thread and rank parses with the same classes and no part or chunk scans again. */
#include "io/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/labels.h"
#include "io/dirtree.h"
#include "io/linereader.h"
#include "io/text.h"
#include "io/shuffle.h"
#include "util/error.h"

typedef struct piece {
    size_t file;         /* index into paths: keys use it */
    uint64_t begin, end; /* byte range of line starts; whole file: 0, UINT64_MAX */
    uint64_t data_start; /* offset of the file's first data line (ranges only; else unused) */
    uint64_t first;      /* record mode ranges: offset of the first record, UINT64_MAX until found */
    int ranged;
} piece;

/* A record read ahead of parsing (the header check's sample), served before the reader's next. */
typedef struct ahead_rec {
    char *text;
    size_t len;
    uint64_t offset, lineno;
    int status;          /* GN_OK, or GN_ELIMIT / GN_EPARSE for a refused record (msg says why) */
    char *msg;
} ahead_rec;

/* --shuffle: what all the parts of a run share (gn__chunk_plan_new); read-only once made. */
struct gn_chunk_plan {
    gn_data_spec spec;      /* as given (the parts take skip_bad and label_kind from it) */
    gn_parser *parser;      /* resolved from the first data line of the first file */
    char **paths;
    size_t npaths;
    uint64_t chunk_bytes;
    uint64_t nchunks;       /* of all the files */
    uint64_t *first;        /* first[i]: the index of file i's first chunk; first[npaths] = nchunks */
    uint64_t *size;         /* per file */
    uint64_t *data_start;   /* per file: offset of its first data line (plain files) */
    unsigned char *whole;   /* per file: 1 if it cannot be split (compressed, not a regular file) */
    uint64_t *record_start; /* per chunk of a CSV file read in record mode: the offset of its first
                             * record (UINT64_MAX for other files); NULL when no file needs one */
};

/* --shuffle (gn__source_open_shuffled*): this part's share of the chunks, in a seeded order. */
typedef struct chunking {
    const gn_chunk_plan *plan;
    gn_chunk_plan *owned;   /* the plan, when this source made it for itself */
    uint64_t seed;          /* --seed: the order of pass p is gn__permute_key(seed, p) */
    uint64_t key;           /* this pass's */
    uint32_t part, nparts;  /* position g of the pass's order goes to part g mod nparts */
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
    int ready;               /* none of the next four needs doing: a line can be read at once */
    int need_open;           /* the piece at cur is opened by the first read (parts: in the reading thread) */
    int at_file_start;       /* still among the file's leading blank/comment lines */
    int quoting_known;       /* the open reader's record mode is decided */
    ahead_rec *ahead;        /* records read ahead: [ahead_pos, nahead) not served yet */
    size_t nahead, ahead_pos, ahead_cap;
    uint64_t last_key;       /* the record served (or refused) last, when it came from the queue */
    uint64_t last_lineno;    /* its line; UINT64_MAX: the last record came from the reader */
    uint64_t skipped, lines;
    uint64_t bytes_before;   /* bytes of the pieces already finished in this pass */
    uint64_t bytes_total;
    int has_stdin;
    chunking *chunks;        /* --shuffle: the pieces are chunks in a seeded order (else NULL) */
    int scan_idf;            /* the parser is our own and the spec asks for --idf: count the document
                              * frequencies once the labels are known (resolve_idf) */
    int scan_labels;         /* the parser is our own (none was given): find the classes of a binary
                              * label once the first file's columns are known (resolve_labels) */
};

static piece *cur_piece(gn_source *s) {
    return s->chunks ? &s->chunks->cur : &s->pieces[s->cur];
}

static const piece *cur_piece_c(const gn_source *s) {
    return s->chunks ? &s->chunks->cur : &s->pieces[s->cur];
}

static piece chunk_piece(const gn_source *s, size_t pos);

static int is_blank_or_comment(const char *line, size_t len) {
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    return i == len || line[i] == '#';
}

static void clear_ahead(gn_source *s) {
    for (size_t i = 0; i < s->nahead; i++) {
        free(s->ahead[i].text);
        free(s->ahead[i].msg);
    }
    s->nahead = s->ahead_pos = 0;
}

/* The separator of a CSV read in record mode (quotes may hold newlines); 0 for other formats, a
 * TSV, or while the separator is not known yet. */
static char record_sep(const gn_source *s) {
    const gn_data_spec *sp = s->parser ? gn__parser_spec(s->parser) : &s->spec;
    return sp->format == GN_FORMAT_CSV && sp->sep != '\t' ? sp->sep : 0;
}

/* Whether the open file may be a CSV read in record mode (its format or separator may be
 * unknown yet). */
static int may_be_records(const gn_source *s) {
    const gn_data_spec *sp = s->parser ? gn__parser_spec(s->parser) : &s->spec;
    if (sp->format == GN_FORMAT_LIBSVM || sp->format == GN_FORMAT_VW || sp->format == GN_FORMAT_LIBFM ||
        sp->format == GN_FORMAT_LIBFFM)
        return 0;
    return sp->sep != '\t';
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
    s->need_open = 0;
    s->ready = 0;
    clear_ahead(s);
    if (s->chunks) s->chunks->cur = chunk_piece(s, s->cur);
    piece *p = cur_piece(s);
    char qs = record_sep(s);
    const gn_data_spec *sp = s->parser ? gn__parser_spec(s->parser) : NULL;
    if (p->ranged) {
        /* a range starts at a record (or at the file's first data line, found line by line) */
        s->quoting_known = sp && (sp->format != GN_FORMAT_CSV || sp->sep != 0);
        gn_line_reader *old = s->spare; /* taken over (or freed) by the open */
        s->spare = NULL;
        if (qs)
            GN_TRY(gn__line_reader_reopen_range_records(old, s->paths[p->file], s->spec.max_line, qs, p->data_start,
                                                        p->begin, p->end, &p->first, &s->reader));
        else
            GN_TRY(gn__line_reader_reopen_range(old, s->paths[p->file], s->spec.max_line, p->begin, p->end,
                                                &s->reader));
        s->at_file_start = p->begin <= p->data_start;
    } else {
        /* line mode until the first data line: leading blank and comment lines are lines, whatever
         * quotes they hold (file_start then switches a CSV to record mode), as every other reader
         * of the file sees them (find_data_start, io/label_scan.c) */
        s->quoting_known = 0;
        if (s->spec.format == GN_FORMAT_DIR) /* a directory tree: one record per document */
            GN_TRY(gn__line_reader_open_tree(s->paths[p->file], s->spec.max_line, &s->reader));
        else
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
    s->last_key = UINT64_MAX;
    s->last_lineno = UINT64_MAX;
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
    for (size_t i = 0; i < npaths; i++) s->pieces[i] = (piece){i, 0, UINT64_MAX, 0, UINT64_MAX, 0};
    s->npieces = npaths;
    sum_sizes(s, sizes, unsplit);
    if (parser) {
        gn_parser *c;
        if ((st = gn__parser_clone(parser, &c)) != GN_OK) goto fail;
        s->parser = c;
    } else if (s->spec.format != GN_FORMAT_AUTO) {
        if ((st = gn__parser_new(&s->spec, &s->parser)) != GN_OK) goto fail;
    }
    s->scan_labels = parser == NULL;
    s->scan_idf = parser == NULL;
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

/* The line of the record served last, for messages. */
static uint64_t line_no(gn_source *s) {
    return s->last_lineno != UINT64_MAX ? s->last_lineno : gn__line_reader_abs_lineno(s->reader);
}

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
        gn__line_reader_unread(s->reader); /* the file start reads it again */
        return gn__parser_new(&s->spec, &s->parser);
    }
    return gn__fail(GN_EPARSE, "%s: no data lines: cannot detect the format (give the format)",
                    s->paths[cur_piece(s)->file]);
}

/* Offset of the first data line of a plain file (its size if none), for range parts. */
static int find_data_start(const gn_source *s, size_t file, uint64_t *out) {
    gn_line_reader *r;
    GN_TRY(gn__line_reader_open(s->paths[file], s->spec.max_line, &r)); /* line mode: see open_piece */
    const char *line;
    size_t len;
    int st;
    *out = UINT64_MAX;
    while ((st = gn__line_reader_next(r, &line, &len)) == GN_OK || st == GN_ELIMIT || st == GN_EPARSE) {
        if (st != GN_OK || !is_blank_or_comment(line, len)) {
            *out = gn__line_reader_offset(r);
            break;
        }
    }
    gn__line_reader_free(r);
    if (st != GN_OK && st != GN_EOF && st != GN_ELIMIT && st != GN_EPARSE) return st;
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
     * data line of the first file (format detection, CSV columns and header) and, for a binary
     * label, the classes from the whole input (callers that open many parts pass a resolved
     * parser instead: train.c resolves the input once). */
    /* binary and multiclass labels: the classes are read first */
    const int binary = s->spec.label_kind == GN_LABEL_BINARY || s->spec.label_kind == GN_LABEL_CLASS;
    if (parser) {
        if ((st = gn__parser_clone(parser, &s->parser)) != GN_OK) goto fail;
    } else if (!binary && (s->spec.format == GN_FORMAT_LIBSVM || s->spec.format == GN_FORMAT_VW ||
                           s->spec.format == GN_FORMAT_LIBFM || s->spec.format == GN_FORMAT_LIBFFM)) {
        if ((st = gn__parser_new(&s->spec, &s->parser)) != GN_OK) goto fail;
    } else {
        if (binary && s->has_stdin) {
            st = gn__fail(GN_EINVAL, "stdin ('-') cannot be split into parts when the classes of its labels must "
                                     "be read first: give files, or use one thread and one rank");
            goto fail;
        }
        if (strcmp(paths[0], "-") == 0) {
            st = gn__fail(GN_EINVAL, "stdin ('-') as the first input cannot be split into parts: "
                                     "give --format libsvm/vw, or use one thread");
            goto fail;
        }
        if ((st = gn__source_open(spec, NULL, paths, binary ? npaths : 1, &probe)) != GN_OK) goto fail;
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
        for (size_t i = part; i < npaths; i += nparts) s->pieces[s->npieces++] = (piece){i, 0, UINT64_MAX, 0, UINT64_MAX, 0};
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
                if (nunsplit++ % nparts == part) s->pieces[s->npieces++] = (piece){i, 0, UINT64_MAX, 0, UINT64_MAX, 0};
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
            piece pc = {i, b, e, 0, UINT64_MAX, 1};
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
    /* opened by the first read, so that the search for a range's first record (record mode)
     * runs in the thread that reads the part, in parallel with the other parts */
    s->need_open = s->npieces > 0;
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
#define CHUNK_MIN_COUNT ((uint64_t)256)       /* chunks of the whole input, at least (when 16 KiB allows) */
#define ESTIMATE_LINES 4096                   /* data records sampled for the bytes per example */

/* For the regular file i: whether it is compressed (then it is read whole), else the offset of
 * its first data line. One small read answers both in the usual case, a file whose first line is
 * data (a header counts); leading blank or comment lines need find_data_start (line by line). */
static int probe_file(const gn_source *probe, gn_chunk_plan *k, size_t i) {
    char head[4096];
    const char *path = k->paths[i];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return gn__fail(GN_EIO, "%s: cannot open: %s", path, GN_ERRNO_TEXT(errno));
    ssize_t got = pread(fd, head, sizeof head, 0);
    int err = errno;
    close(fd);
    if (got < 0) return gn__fail(GN_EIO, "%s: read error: %s", path, GN_ERRNO_TEXT(err));
    const unsigned char *h = (const unsigned char *)head;
    if ((got >= 2 && h[0] == 0x1f && h[1] == 0x8b) || (got >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)) {
        k->whole[i] = 1;
        return GN_OK;
    }
    size_t at = got >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* a byte order mark */
    size_t n = at;
    while (n < (size_t)got && head[n] != '\n') n++;
    if (!is_blank_or_comment(head + at, n - at)) { /* (a partial first line that shows data is data too) */
        k->data_start[i] = 0;
        return GN_OK;
    }
    return find_data_start(probe, i, &k->data_start[i]);
}

/* The separator of a CSV read in record mode under the resolved parser, else 0. */
static char plan_record_sep(const gn_chunk_plan *k) {
    const gn_data_spec *sp = gn__parser_spec(k->parser);
    return sp->format == GN_FORMAT_CSV && sp->sep != '\t' ? sp->sep : 0;
}

/* The piece of chunk c (an index into all the chunks, in file order). */
static piece chunk_of(const gn_chunk_plan *k, uint64_t c) {
    size_t lo = 0, hi = k->npaths; /* the file lo with first[lo] <= c < first[lo + 1] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->first[mid] <= c) lo = mid;
        else hi = mid;
    }
    if (k->whole[lo]) return (piece){lo, 0, UINT64_MAX, 0, UINT64_MAX, 0};
    uint64_t j = c - k->first[lo];
    uint64_t end = c + 1 == k->first[lo + 1] ? UINT64_MAX : (j + 1) * k->chunk_bytes;
    uint64_t rec = k->record_start ? k->record_start[c] : UINT64_MAX;
    return (piece){lo, j * k->chunk_bytes, end, k->data_start[lo], rec, 1};
}

/* The piece at position pos of this part's share of the pass: its position pos * nparts + part
 * in the pass's permutation of all the chunks. */
static piece chunk_piece(const gn_source *s, size_t pos) {
    const chunking *c = s->chunks;
    uint64_t g = (uint64_t)pos * c->nparts + c->part;
    return chunk_of(c->plan, gn__permute_index(g, c->plan->nchunks, c->key));
}

/* Sets up pass `pass`: this part's chunks, their size; then starts from the first. */
static int chunks_start_pass(gn_source *s, uint32_t pass) {
    chunking *c = s->chunks;
    const gn_chunk_plan *k = c->plan;
    c->key = gn__permute_key(c->seed, pass);
    s->npieces = k->nchunks > c->part ? (size_t)((k->nchunks - c->part - 1) / c->nparts + 1) : 0;
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
    s->last_lineno = UINT64_MAX;
    drop_reader(s);
    clear_ahead(s);
    s->ready = 0;
    return s->npieces > 0 ? open_piece(s) : GN_OK;
}

/* Bytes per data record, from up to ESTIMATE_LINES records of the first plain file with data
 * (the same for every part and rank); 0 if there is none. */
static int estimate_line_bytes(const gn_chunk_plan *k, uint64_t *out) {
    const char qs = plan_record_sep(k);
    *out = 0;
    for (size_t i = 0; i < k->npaths; i++) {
        if (k->whole[i] || k->data_start[i] >= k->size[i]) continue;
        gn_line_reader *r;
        uint64_t from = k->data_start[i]; /* a record start */
        if (qs)
            GN_TRY(gn__line_reader_open_range_records(k->paths[i], k->spec.max_line, qs, from, from, UINT64_MAX, &from, &r));
        else
            GN_TRY(gn__line_reader_open_range(k->paths[i], k->spec.max_line, from, UINT64_MAX, &r));
        const char *line;
        size_t len;
        uint64_t n = 0, first = UINT64_MAX, last_end = 0;
        int st;
        while (n < ESTIMATE_LINES &&
               ((st = gn__line_reader_next(r, &line, &len)) == GN_OK || st == GN_ELIMIT || st == GN_EPARSE)) {
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

/* Record mode: the first record of every chunk of every CSV file, one sequential scan per file
 * (gn__line_reader_record_starts), so that opening a chunk is a seek whatever the order. */
static int find_record_starts(gn_chunk_plan *k) {
    const char qs = plan_record_sep(k);
    if (!qs) return GN_OK;
    k->record_start = malloc((size_t)k->nchunks * sizeof *k->record_start);
    if (!k->record_start) return gn__fail(GN_ENOMEM, "out of memory for the chunk starts of shuffle");
    for (size_t i = 0; i < k->npaths; i++) {
        uint64_t *at = k->record_start + k->first[i];
        uint64_t n = k->first[i + 1] - k->first[i];
        if (k->whole[i]) {
            at[0] = UINT64_MAX;
            continue;
        }
        for (uint64_t j = 0; j < n; j++) at[j] = j * k->chunk_bytes;
        if (n > 1)
            GN_TRY(gn__line_reader_record_starts(k->paths[i], k->spec.max_line, qs, k->data_start[i], at + 1, (size_t)(n - 1)));
    }
    return GN_OK;
}

void gn__chunk_plan_free(gn_chunk_plan *k) {
    if (!k) return;
    gn__parser_free(k->parser);
    if (k->paths)
        for (size_t i = 0; i < k->npaths; i++) free(k->paths[i]);
    free(k->paths);
    free(k->first);
    free(k->size);
    free(k->data_start);
    free(k->whole);
    free(k->record_start);
    free(k);
}

int gn__chunk_plan_new(const gn_data_spec *spec, const gn_parser *parser, const char *const *paths, size_t npaths,
                       size_t chunk_examples, gn_chunk_plan **out) {
    gn_source *probe = NULL;
    gn_chunk_plan *k = calloc(1, sizeof *k);
    int st;
    if (!k) return gn__fail(GN_ENOMEM, "out of memory");
    /* the format, the CSV columns and the header, from the first data line of the first file, and
     * the classes of a binary label (a scan of all the files); or the given resolved parser */
    if ((st = gn__source_open(spec, parser, paths, npaths, &probe)) != GN_OK) goto fail;
    if (probe->has_stdin) {
        st = gn__fail(GN_EINVAL, "stdin ('-') cannot be read in a shuffled order: give files");
        goto fail;
    }
    if ((st = gn__source_resolve(probe)) != GN_OK) goto fail;
    if ((st = gn__parser_clone(probe->parser, &k->parser)) != GN_OK) goto fail;
    k->spec = *spec;
    k->npaths = npaths;
    k->paths = calloc(npaths, sizeof *k->paths);
    k->first = calloc(npaths + 1, sizeof *k->first);
    k->size = calloc(npaths, sizeof *k->size);
    k->data_start = calloc(npaths, sizeof *k->data_start);
    k->whole = calloc(npaths, sizeof *k->whole);
    if (!k->paths || !k->first || !k->size || !k->data_start || !k->whole) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto fail;
    }
    uint64_t plain_bytes = 0;
    for (size_t i = 0; i < npaths; i++) {
        if (!(k->paths[i] = strdup(paths[i]))) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            st = gn__fail(GN_EIO, "%s: cannot open: %s", paths[i], GN_ERRNO_TEXT(errno));
            goto fail;
        }
        k->size[i] = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
        k->whole[i] = !S_ISREG(sb.st_mode);
        if (k->whole[i] || k->size[i] == 0) continue;
        if ((st = probe_file(probe, k, i)) != GN_OK) goto fail;
        if (!k->whole[i]) plain_bytes += k->size[i];
    }
    /* a buffer-full should mix many chunks from all over the input: a chunk is about
     * chunk_examples examples' worth of bytes; and every reading part (thread, rank) should get
     * many chunks, or on a sorted file one part could see one class for a whole pass: at least
     * CHUNK_MIN_COUNT chunks in all */
    uint64_t line_bytes;
    if ((st = estimate_line_bytes(k, &line_bytes)) != GN_OK) goto fail;
    k->chunk_bytes = line_bytes * (chunk_examples ? chunk_examples : 1);
    if (plain_bytes / CHUNK_MIN_COUNT < k->chunk_bytes) k->chunk_bytes = plain_bytes / CHUNK_MIN_COUNT;
    if (k->chunk_bytes < CHUNK_MIN_BYTES) k->chunk_bytes = CHUNK_MIN_BYTES;
    if (plain_bytes / k->chunk_bytes >= CHUNK_MAX_COUNT) k->chunk_bytes = plain_bytes / (CHUNK_MAX_COUNT - 1) + 1;
    for (size_t i = 0; i < npaths; i++) {
        uint64_t n = k->whole[i] ? 1 : (k->size[i] + k->chunk_bytes - 1) / k->chunk_bytes;
        k->first[i + 1] = k->first[i] + n;
    }
    k->nchunks = k->first[npaths];
    if ((st = find_record_starts(k)) != GN_OK) goto fail;
    gn__source_free(probe);
    *out = k;
    return GN_OK;
fail:
    gn__source_free(probe);
    gn__chunk_plan_free(k);
    return st;
}

uint64_t gn__chunk_plan_chunk_bytes(const gn_chunk_plan *k) { return k ? k->chunk_bytes : 0; }

int gn__source_open_shuffled_plan(const gn_chunk_plan *k, uint32_t part, uint32_t nparts, uint64_t seed,
                                  gn_source **out) {
    if (!k) return gn__fail(GN_EINVAL, "no chunk plan");
    if (nparts == 0 || part >= nparts)
        return gn__fail(GN_EINVAL, "part %u of %u does not exist", (unsigned)part, (unsigned)nparts);
    gn_source *s = NULL;
    uint64_t *sizes = calloc(k->npaths, sizeof *sizes);
    int *unsplit = calloc(k->npaths, sizeof *unsplit);
    int st;
    if (!sizes || !unsplit) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
    if ((st = source_alloc(&k->spec, k->parser, (const char *const *)k->paths, k->npaths, &s, sizes, unsplit)) != GN_OK)
        goto fail;
    if ((st = gn__parser_clone(k->parser, &s->parser)) != GN_OK) goto fail;
    s->spec = *gn__parser_spec(s->parser); /* its own copy, not the plan's */
    s->spec.skip_bad = k->spec.skip_bad;
    s->spec.label_kind = k->spec.label_kind;
    if (!(s->chunks = calloc(1, sizeof *s->chunks))) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
    s->chunks->plan = k;
    s->chunks->seed = seed;
    s->chunks->part = part;
    s->chunks->nparts = nparts;
    if ((st = chunks_start_pass(s, 1)) != GN_OK) goto fail;
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

int gn__source_open_shuffled(const gn_data_spec *spec, const char *const *paths, size_t npaths, uint32_t part,
                             uint32_t nparts, uint64_t seed, size_t chunk_examples, gn_source **out) {
    if (nparts == 0 || part >= nparts)
        return gn__fail(GN_EINVAL, "part %u of %u does not exist", (unsigned)part, (unsigned)nparts);
    gn_chunk_plan *k;
    GN_TRY(gn__chunk_plan_new(spec, NULL, paths, npaths, chunk_examples, &k));
    int st = gn__source_open_shuffled_plan(k, part, nparts, seed, out);
    if (st != GN_OK) {
        gn__chunk_plan_free(k);
        return st;
    }
    (*out)->chunks->owned = k;
    return GN_OK;
}

int gn__source_rewind_pass(gn_source *s, uint32_t pass) {
    if (!s->chunks) return gn__source_rewind(s);
    return chunks_start_pass(s, pass);
}

uint64_t gn__source_chunk_bytes(const gn_source *s) { return s->chunks ? s->chunks->plan->chunk_bytes : 0; }

/* Appends a copy of a record (or a refused one: text NULL, msg set) to the look-ahead queue. */
static int push_ahead(gn_source *s, const char *text, size_t len, uint64_t offset, uint64_t lineno, int status) {
    if (s->nahead == s->ahead_cap) {
        size_t cap = s->ahead_cap ? s->ahead_cap * 2 : 8;
        ahead_rec *a = realloc(s->ahead, cap * sizeof *a);
        if (!a) return gn__fail(GN_ENOMEM, "out of memory");
        s->ahead = a;
        s->ahead_cap = cap;
    }
    ahead_rec *a = &s->ahead[s->nahead];
    memset(a, 0, sizeof *a);
    a->offset = offset;
    a->lineno = lineno;
    a->status = status;
    if (status == GN_OK) {
        a->text = malloc(len ? len : 1);
        if (!a->text) return gn__fail(GN_ENOMEM, "out of memory");
        memcpy(a->text, text, len);
        a->len = len;
    } else {
        a->msg = strdup(gn_last_error());
        if (!a->msg) return gn__fail(GN_ENOMEM, "out of memory");
    }
    s->nahead++;
    return GN_OK;
}

/* The first data record of a file: the header check (see file start in the comment at the top).
 * Reads the sample for it when the parser wants one; leaves the data records read on the way in
 * the queue (or, without a sample, the first one unread in the reader). */
static int file_start(gn_source *s) {
    char why[GN_WHY_MAX];
    const char *line;
    size_t len;
    for (;;) {
        int st = gn__line_reader_next(s->reader, &line, &len);
        if (st == GN_EOF) {
            s->at_file_start = 0;
            return GN_OK;
        }
        if (st == GN_ELIMIT || st == GN_EPARSE) s->last_lineno = UINT64_MAX;
        if ((st == GN_ELIMIT || st == GN_EPARSE) && s->spec.skip_bad && may_be_records(s)) {
            /* where a CSV's records start is decided from its first data line on, in record mode
             * (quotes may hold newlines); skipping that line would leave this read and a read by
             * parts (threads, ranks) with different records, so it is an error even here */
            char msg[GN_WHY_MAX];
            snprintf(msg, sizeof msg, "%s", gn_last_error());
            return gn__fail(st, "%s (the first data line of a CSV file cannot be skipped with skip_bad: it is the "
                                "header, or where its records start)", msg);
        }
        if ((st == GN_ELIMIT || st == GN_EPARSE) && s->spec.skip_bad) {
            s->lines++;
            s->skipped++;
            s->at_file_start = 0;
            return GN_OK;
        }
        if (st != GN_OK) return st;
        s->lines++;
        if (is_blank_or_comment(line, len)) continue;
        if (!s->quoting_known) {
            /* a CSV whose separator was not known: now it is, from this line */
            s->quoting_known = 1;
            char sep = gn__parser_resolve_sep(s->parser, line, len);
            if (sep && sep != '\t') {
                gn__line_reader_set_quoting(s->reader, sep);
                gn__line_reader_unread(s->reader);
                s->lines--;
                continue; /* read it again as a record */
            }
        }
        break;
    }
    s->at_file_start = 0;
    s->last_lineno = UINT64_MAX;
    if (!gn__parser_needs_sample(s->parser)) {
        int h = gn__parser_first_line(s->parser, line, len, why);
        if (h == -2) return gn__fail(GN_ENOMEM, "%s: out of memory", gn__line_reader_path(s->reader));
        if (h < 0) return gn__fail(GN_EPARSE, "%s:%llu: %s", gn__line_reader_path(s->reader), (unsigned long long)line_no(s), why);
        if (h == 0) {
            gn__line_reader_unread(s->reader); /* data: served by the next read */
            s->lines--;
        }
        return GN_OK;
    }
    /* the first record, then a sample of the records after it, all kept in the queue */
    uint64_t first_lineno = gn__line_reader_abs_lineno(s->reader);
    GN_TRY(push_ahead(s, line, len, gn__line_reader_offset(s->reader), first_lineno, GN_OK));
    s->lines--;
    size_t nsample = 0, bytes = 0;
    while (nsample < GN_HEADER_SAMPLE && bytes < GN_HEADER_SAMPLE_BYTES) {
        int st = gn__line_reader_next(s->reader, &line, &len);
        if (st == GN_OK) {
            GN_TRY(push_ahead(s, line, len, gn__line_reader_offset(s->reader), gn__line_reader_abs_lineno(s->reader), GN_OK));
            if (!is_blank_or_comment(line, len)) nsample++;
            bytes += len;
        } else if (st == GN_ELIMIT || st == GN_EPARSE) {
            GN_TRY(push_ahead(s, NULL, 0, gn__line_reader_offset(s->reader), gn__line_reader_abs_lineno(s->reader), st));
            break;
        } else {
            break; /* the end, or a failure the reader repeats when it is read again */
        }
    }
    const char **sample = malloc((nsample ? nsample : 1) * sizeof *sample);
    size_t *slen = malloc((nsample ? nsample : 1) * sizeof *slen);
    if (!sample || !slen) {
        free(sample);
        free(slen);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 1; i < s->nahead; i++) {
        const ahead_rec *a = &s->ahead[i];
        if (a->status != GN_OK || is_blank_or_comment(a->text, a->len)) continue;
        sample[n] = a->text;
        slen[n++] = a->len;
    }
    int h = gn__parser_first_line_sampled(s->parser, s->ahead[0].text, s->ahead[0].len, sample, slen, n, why);
    free(sample);
    free(slen);
    if (h == -2) return gn__fail(GN_ENOMEM, "%s: out of memory", gn__line_reader_path(s->reader));
    if (h < 0) return gn__fail(GN_EPARSE, "%s:%llu: %s", gn__line_reader_path(s->reader), (unsigned long long)first_lineno, why);
    if (h == 1) {
        s->ahead_pos = 1; /* the header: consumed */
        s->lines++;
    }
    return GN_OK;
}

/* The classes of a binary label (see the top of the file): a label-only scan of the whole input,
 * once the first file's header check has run (the CSV columns are known), into the parser that
 * every part and thread clones. Runs once per source (again after a failure, which so repeats
 * itself), and only in a source that resolves its own parser; stdin, open now, is peeked and left
 * as it was. */
/* Training on --format dir trees: the trees together must have two classes at least (one class
 * directory is a mistake the label scan would otherwise take for a one-class problem). */
static int check_tree_classes(const gn_source *s) {
    char first[256] = "";
    int seen = 0;
    for (size_t i = 0; i < s->npaths; i++) {
        gn_dir_tree *t;
        GN_TRY(gn__dir_tree_open_classes(s->paths[i], &t)); /* the names only: no document listed */
        const char *const *names;
        size_t n = gn__dir_tree_classes(t, &names);
        int two = n > 1 || (n == 1 && seen && strncmp(first, names[0], sizeof first - 1) != 0);
        if (!seen && n) {
            snprintf(first, sizeof first, "%s", names[0]);
            seen = 1;
        }
        gn__dir_tree_free(t);
        if (two) return GN_OK;
    }
    return gn__fail(GN_EINVAL, "%s: one class subdirectory ('%s'): training needs two classes or more (--format dir "
                               "reads DIR/<class>/<doc>)", s->paths[s->npaths - 1], first);
}

static int resolve_labels(gn_source *s) {
    if (!s->scan_labels || !s->parser) return GN_OK;
    const gn_data_spec *sp = gn__parser_spec(s->parser);
    if (sp->format == GN_FORMAT_DIR && sp->label_kind != GN_LABEL_NONE) GN_TRY(check_tree_classes(s));
    if ((sp->label_kind != GN_LABEL_BINARY && sp->label_kind != GN_LABEL_CLASS) || gn__parser_labels(s->parser)) {
        s->scan_labels = 0;
        return GN_OK;
    }
    if (sp->format == GN_FORMAT_CSV && gn__parser_columns(s->parser) == 0)
        return GN_OK; /* no data record yet: the columns (and then the scan) come with a later file */
    gn_label_scan_input in;
    memset(&in, 0, sizeof in);
    in.paths = (const char *const *)s->paths;
    in.npaths = s->npaths;
    const char **text = NULL;
    size_t *len = NULL;
    uint64_t *line = NULL;
    if (s->reader && strcmp(s->paths[cur_piece(s)->file], "-") == 0) {
        /* stdin: the records in the look-ahead queue (the header sample), then the reader's */
        in.live = s->reader;
        in.live_file = cur_piece(s)->file;
        size_t n = s->nahead - s->ahead_pos;
        if (n) {
            text = malloc(n * sizeof *text);
            len = malloc(n * sizeof *len);
            line = malloc(n * sizeof *line);
            if (!text || !len || !line) {
                free(text);
                free(len);
                free(line);
                return gn__fail(GN_ENOMEM, "out of memory");
            }
            for (size_t i = s->ahead_pos; i < s->nahead; i++) {
                const ahead_rec *a = &s->ahead[i];
                if (a->status != GN_OK) continue; /* refused: parsing reports it */
                text[in.npending] = a->text;
                len[in.npending] = a->len;
                line[in.npending++] = a->lineno;
            }
        }
        in.pending = text;
        in.pending_len = len;
        in.pending_line = line;
    }
    gn_labels *labels = NULL;
    int st = gn__labels_scan(s->parser, &in, &labels);
    free(text);
    free(len);
    free(line);
    if (st != GN_OK) return st; /* scan_labels stays: every later read fails alike */
    gn__parser_set_labels(s->parser, labels);
    s->scan_labels = 0;
    return GN_OK;
}

/* --idf: the document frequencies of the hash slots over the whole input, counted by a first
 * pass that parses every example (a source over the same files with a clone of the resolved
 * parser), made into the parser's idf table, which every part and thread then shares. An example
 * is a document: a slot counts once per example (the parsers merge repeats). Runs once per
 * source that resolves its own parser. */
static int resolve_idf(gn_source *s) {
    if (!s->scan_idf || !s->parser) return GN_OK;
    const gn_data_spec *sp = gn__parser_spec(s->parser);
    if (!sp->idf || gn__parser_idf(s->parser)) {
        s->scan_idf = 0;
        return GN_OK;
    }
    if (sp->format == GN_FORMAT_CSV && gn__parser_columns(s->parser) == 0) return GN_OK;
    if (s->has_stdin)
        return gn__fail(GN_EINVAL, "--idf counts document frequencies in a first pass over the data, which "
                                   "stdin ('-') cannot give: read from files");
    const size_t nslots = (size_t)1 << sp->bits;
    uint32_t *df = calloc(nslots, sizeof *df);
    if (!df) return gn__fail(GN_ENOMEM, "out of memory for document frequencies of 2^%u slots", (unsigned)sp->bits);
    gn_source *sub = NULL;
    gn_batch b;
    int st = gn__batch_init(&b, 1024, 1 << 16);
    if (st != GN_OK) {
        free(df);
        return st;
    }
    uint64_t docs = 0;
    st = gn__source_open(&s->spec, s->parser, (const char *const *)s->paths, s->npaths, &sub);
    while (st == GN_OK && (st = gn__source_next(sub, &b, 1024)) == GN_OK) {
        docs += b.n;
        for (size_t i = 0; i < b.nnz; i++)
            if (df[b.index[i]] != UINT32_MAX) df[b.index[i]]++;
    }
    gn__source_free(sub);
    gn__batch_free(&b);
    if (st == GN_EOF) {
        gn_idf *t;
        st = gn__idf_from_df(sp->bits, docs, df, &t);
        if (st == GN_OK) {
            gn__parser_set_idf(s->parser, t);
            gn__idf_unref(t);
            s->scan_idf = 0;
        }
    }
    free(df);
    return st;
}

void gn__source_defer_idf(gn_source *s) { s->scan_idf = 0; }

int gn__source_resolve(gn_source *s) {
    if (s->need_open) {
        if (s->parser) return GN_OK; /* a part: its parser was resolved when it was opened */
        GN_TRY(open_piece(s));
    }
    if (!s->reader) return GN_OK;
    if (!s->parser) GN_TRY(detect(s));
    if (s->at_file_start) GN_TRY(file_start(s));
    GN_TRY(resolve_labels(s));
    return resolve_idf(s);
}

int gn__source_next_line(gn_source *s, const char **line_out, size_t *len_out, gn_source_line *where) {
    for (;;) {
        if (!s->ready) {
            if (s->need_open) GN_TRY(open_piece(s));
            if (!s->reader) return GN_EOF;
            if (!s->parser) GN_TRY(detect(s));
            if (s->at_file_start) GN_TRY(file_start(s));
            if (s->scan_labels) GN_TRY(resolve_labels(s));
            if (s->scan_idf) GN_TRY(resolve_idf(s));
            s->ready = 1;
        }
        const size_t file = cur_piece(s)->file;
        int st;
        if (s->ahead_pos < s->nahead) { /* records read ahead come first */
            const ahead_rec *a = &s->ahead[s->ahead_pos++];
            s->last_key = ((uint64_t)file << 40) ^ a->offset;
            s->last_lineno = a->lineno;
            st = a->status;
            if (st == GN_OK) {
                s->lines++;
                where->file = file;
                where->key = s->last_key;
                where->lineno = a->lineno;
                *line_out = a->text;
                *len_out = a->len;
                return GN_OK;
            }
            gn__fail(st, "%s", a->msg);
        } else {
            if (s->nahead) { /* the queue is drained */
                clear_ahead(s);
                s->last_lineno = UINT64_MAX;
            }
            const char *line;
            size_t len;
            st = gn__line_reader_next(s->reader, &line, &len);
            if (st == GN_OK) {
                s->lines++;
                where->file = file;
                where->key = ((uint64_t)file << 40) ^ gn__line_reader_offset(s->reader);
                where->lineno = cur_piece(s)->ranged ? 0 : gn__line_reader_lineno(s->reader);
                *line_out = line;
                *len_out = len;
                return GN_OK;
            }
        }
        if (st == GN_EOF) {
            const piece *p = cur_piece(s);
            uint64_t done = gn__line_reader_bytes_read(s->reader);
            uint64_t fsz = gn__line_reader_file_size(s->reader);
            s->bytes_before += p->ranged ? piece_size(s, p, fsz) : done;
            drop_reader(s);
            s->ready = 0;
            clear_ahead(s);
            s->last_lineno = UINT64_MAX;
            if (s->cur + 1 < s->npieces) {
                s->cur++;
                GN_TRY(open_piece(s));
            }
            continue;
        }
        if ((st == GN_ELIMIT || st == GN_EPARSE) && s->spec.skip_bad) {
            s->lines++;
            s->skipped++;
            continue;
        }
        return st;
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
    if (s->last_lineno != UINT64_MAX) return s->last_key; /* from the queue */
    return ((uint64_t)cur_piece_c(s)->file << 40) ^ gn__line_reader_offset(s->reader);
}

uint64_t gn__source_last_lineno(gn_source *s) { return s->reader || s->last_lineno != UINT64_MAX ? line_no(s) : 0; }

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
    s->last_lineno = UINT64_MAX;
    if (s->npieces == 0) return GN_OK;
    return open_piece(s);
}

uint64_t gn__source_skipped(const gn_source *s) { return s->skipped; }
uint64_t gn__source_lines(const gn_source *s) { return s->lines; }
uint64_t gn__source_bytes_done(const gn_source *s) {
    uint64_t cur = 0;
    if (s->reader) {
        const piece *p = cur_piece_c(s);
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
    clear_ahead(s);
    free(s->ahead);
    gn__parser_free(s->parser);
    if (s->paths)
        for (size_t i = 0; i < s->npaths; i++) free(s->paths[i]);
    free(s->paths);
    free(s->pieces);
    if (s->chunks) {
        gn__chunk_plan_free(s->chunks->owned);
        free(s->chunks);
    }
    free(s);
}
