/* io/source.c: reading a list of files (or one part of it) into batches (see source.h).
 * A source walks a list of pieces: whole files, or byte ranges of plain files for a part. The
 * format and the CSV columns are resolved from the first data line of the first file before any
 * part starts, so every part parses exactly as a sequential read would, and every example keeps
 * the key (file index << 40) ^ (byte offset of its line) whatever the split. Leading blank and
 * comment lines of every file are skipped; the first data line of each file goes through
 * gn__parser_first_line (the CSV header check, which may look at a sample of the records after
 * it: those are read ahead into a small queue and served from there, so none is lost, stdin
 * included). A CSV file whose separator is not a tab is read in record mode (a quoted field may
 * hold newlines); a byte range of such a file starts at the first record that starts in it,
 * found by following the quotes from the start of the file (io/linereader.c), once per part and
 * in the thread that reads the part. */
#include "io/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/linereader.h"
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

struct gn_source {
    gn_data_spec spec;
    char **paths;
    size_t npaths;
    piece *pieces;
    size_t npieces;
    size_t cur;              /* index of the open piece */
    gn_line_reader *reader;  /* NULL between pieces */
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
};

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

static int open_piece(gn_source *s) {
    gn__line_reader_free(s->reader);
    s->reader = NULL;
    s->need_open = 0;
    s->ready = 0;
    clear_ahead(s);
    piece *p = &s->pieces[s->cur];
    char qs = record_sep(s);
    const gn_data_spec *sp = s->parser ? gn__parser_spec(s->parser) : NULL;
    s->quoting_known = sp && (sp->format != GN_FORMAT_CSV || sp->sep != 0);
    if (p->ranged) {
        if (qs)
            GN_TRY(gn__line_reader_open_range_records(s->paths[p->file], s->spec.max_line, qs, p->begin, p->end,
                                                      &p->first, &s->reader));
        else
            GN_TRY(gn__line_reader_open_range(s->paths[p->file], s->spec.max_line, p->begin, p->end, &s->reader));
        s->at_file_start = p->begin <= p->data_start;
    } else {
        GN_TRY(gn__line_reader_open(s->paths[p->file], s->spec.max_line, &s->reader));
        if (qs) gn__line_reader_set_quoting(s->reader, qs);
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
    return gn__fail(GN_EPARSE, "%s: no data lines: cannot detect the format (give --format)",
                    s->paths[s->pieces[s->cur].file]);
}

/* Offset of the first data line of a plain file (its size if none), for range parts. */
static int find_data_start(const gn_source *s, size_t file, uint64_t *out) {
    gn_line_reader *r;
    GN_TRY(gn__line_reader_open(s->paths[file], s->spec.max_line, &r));
    char qs = record_sep(s);
    if (qs) gn__line_reader_set_quoting(r, qs);
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
    if (h < 0) return gn__fail(GN_EPARSE, "%s:%llu: %s", gn__line_reader_path(s->reader), (unsigned long long)first_lineno, why);
    if (h == 1) {
        s->ahead_pos = 1; /* the header: consumed */
        s->lines++;
    }
    return GN_OK;
}

int gn__source_resolve(gn_source *s) {
    if (s->need_open) {
        if (s->parser) return GN_OK; /* a part: its parser was resolved when it was opened */
        GN_TRY(open_piece(s));
    }
    if (!s->reader) return GN_OK;
    if (!s->parser) GN_TRY(detect(s));
    if (!s->at_file_start) return GN_OK;
    return file_start(s);
}

int gn__source_next_line(gn_source *s, const char **line_out, size_t *len_out, gn_source_line *where) {
    for (;;) {
        if (!s->ready) {
            if (s->need_open) GN_TRY(open_piece(s));
            if (!s->reader) return GN_EOF;
            if (!s->parser) GN_TRY(detect(s));
            if (s->at_file_start) GN_TRY(file_start(s));
            s->ready = 1;
        }
        const size_t file = s->pieces[s->cur].file;
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
                where->lineno = s->pieces[s->cur].ranged ? 0 : gn__line_reader_lineno(s->reader);
                *line_out = line;
                *len_out = len;
                return GN_OK;
            }
        }
        if (st == GN_EOF) {
            const piece *p = &s->pieces[s->cur];
            uint64_t done = gn__line_reader_bytes_read(s->reader);
            uint64_t fsz = gn__line_reader_file_size(s->reader);
            s->bytes_before += p->ranged ? piece_size(s, p, fsz) : done;
            gn__line_reader_free(s->reader);
            s->reader = NULL;
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
    return ((uint64_t)s->pieces[s->cur].file << 40) ^ gn__line_reader_offset(s->reader);
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
        const piece *p = &s->pieces[s->cur];
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
    clear_ahead(s);
    free(s->ahead);
    gn__parser_free(s->parser);
    if (s->paths)
        for (size_t i = 0; i < s->npaths; i++) free(s->paths[i]);
    free(s->paths);
    free(s->pieces);
    free(s);
}
