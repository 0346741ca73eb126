/* io/source.c: sequential multi-file reading into batches (see source.h). */
#include "io/source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/linereader.h"
#include "util/error.h"

struct gn_source {
    gn_data_spec spec;
    char **paths;
    size_t npaths;
    size_t cur;              /* index of the open file */
    gn_line_reader *reader;  /* NULL between files */
    gn_parser *parser;       /* NULL until the format is known */
    int at_file_start;       /* next line is the file's first */
    const char *pending;     /* a line read for detection, not yet parsed */
    size_t pending_len;
    uint64_t skipped, lines;
    uint64_t bytes_before;   /* bytes of the files already finished in this pass */
    uint64_t bytes_total;
    int has_stdin;
};

static int open_file(gn_source *s) {
    gn__line_reader_free(s->reader);
    s->reader = NULL;
    GN_TRY(gn__line_reader_open(s->paths[s->cur], s->spec.max_line, &s->reader));
    s->at_file_start = 1;
    return GN_OK;
}

int gn__source_open(const gn_data_spec *spec, const gn_parser *parser, const char *const *paths,
                    size_t npaths, gn_source **out) {
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
    int st = GN_OK, size_unknown = 0;
    for (size_t i = 0; i < npaths; i++) {
        s->paths[i] = strdup(paths[i]);
        if (!s->paths[i]) { st = gn__fail(GN_ENOMEM, "out of memory"); goto fail; }
        if (strcmp(paths[i], "-") == 0) {
            if (s->has_stdin) { st = gn__fail(GN_EINVAL, "stdin ('-') can be read only once"); goto fail; }
            s->has_stdin = 1;
            size_unknown = 1;
            continue;
        }
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            st = gn__fail(GN_EIO, "%s: cannot open: %s", paths[i], strerror(errno));
            goto fail;
        }
        if (S_ISREG(sb.st_mode)) s->bytes_total += (uint64_t)sb.st_size;
        else size_unknown = 1;
    }
    if (size_unknown) s->bytes_total = 0;
    if (parser) {
        gn_parser *c;
        if ((st = gn__parser_clone(parser, &c)) != GN_OK) goto fail;
        s->parser = c;
    } else if (s->spec.format != GN_FORMAT_AUTO) {
        if ((st = gn__parser_new(&s->spec, &s->parser)) != GN_OK) goto fail;
    }
    if ((st = open_file(s)) != GN_OK) goto fail;
    *out = s;
    return GN_OK;
fail:
    gn__source_free(s);
    return st;
}

/* Reads the first data line of the first file to decide the format, and creates the parser. */
static int detect(gn_source *s) {
    const char *line;
    size_t len;
    for (;;) {
        int st = gn__line_reader_next(s->reader, &line, &len);
        if (st == GN_EOF) break;
        if (st != GN_OK) return st;
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
        if (i == len || line[i] == '#') continue;
        char sep = 0;
        s->spec.format = gn__detect_format(line, len, &sep);
        if (s->spec.format == GN_FORMAT_CSV && s->spec.sep == 0) s->spec.sep = sep;
        s->pending = line;
        s->pending_len = len;
        return gn__parser_new(&s->spec, &s->parser);
    }
    return gn__fail(GN_EPARSE, "%s: no data lines: cannot detect the format (give --format)", s->paths[0]);
}

int gn__source_next(gn_source *s, gn_batch *b, size_t max) {
    gn__batch_clear(b);
    char why[GN_WHY_MAX];
    if (!s->parser && s->reader) GN_TRY(detect(s));
    while (b->n < max) {
        if (!s->reader) return b->n ? GN_OK : GN_EOF;
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
                s->bytes_before += gn__line_reader_bytes_read(s->reader);
                gn__line_reader_free(s->reader);
                s->reader = NULL;
                if (s->cur + 1 < s->npaths) {
                    s->cur++;
                    GN_TRY(open_file(s));
                }
                continue;
            }
            if (st != GN_OK) return st;
        }
        s->lines++;
        const char *path = gn__line_reader_path(s->reader);
        if (s->at_file_start) {
            s->at_file_start = 0;
            int h = gn__parser_first_line(s->parser, line, len, why);
            if (h < 0)
                return gn__fail(GN_EPARSE, "%s:%llu: %s", path,
                                (unsigned long long)gn__line_reader_lineno(s->reader), why);
            if (h == 1) continue;
        }
        uint64_t key = ((uint64_t)s->cur << 40) ^ gn__line_reader_offset(s->reader);
        st = gn__parser_line(s->parser, line, len, key, b, why);
        if (st == GN_OK || st == GN_EOF) continue;
        if (st == GN_EPARSE && s->spec.skip_bad) {
            s->skipped++;
            continue;
        }
        if (st == GN_ENOMEM) return gn__fail(GN_ENOMEM, "%s:%llu: out of memory", path,
                                             (unsigned long long)gn__line_reader_lineno(s->reader));
        return gn__fail(st == GN_EPARSE ? GN_EPARSE : st, "%s:%llu: %s", path,
                        (unsigned long long)gn__line_reader_lineno(s->reader), why);
    }
    return GN_OK;
}

int gn__source_rewind(gn_source *s) {
    if (s->has_stdin) return gn__fail(GN_EINVAL, "stdin cannot be read twice: use one pass, or a file");
    s->cur = 0;
    s->bytes_before = 0;
    s->pending = NULL;
    return open_file(s);
}

uint64_t gn__source_skipped(const gn_source *s) { return s->skipped; }
uint64_t gn__source_lines(const gn_source *s) { return s->lines; }
uint64_t gn__source_bytes_done(const gn_source *s) {
    return s->bytes_before + (s->reader ? gn__line_reader_bytes_read(s->reader) : 0);
}
uint64_t gn__source_bytes_total(const gn_source *s) { return s->bytes_total; }
const gn_data_spec *gn__source_spec(const gn_source *s) { return s->parser ? gn__parser_spec(s->parser) : &s->spec; }
gn_parser *gn__source_parser(gn_source *s) { return s->parser; }

void gn__source_free(gn_source *s) {
    if (!s) return;
    gn__line_reader_free(s->reader);
    gn__parser_free(s->parser);
    if (s->paths)
        for (size_t i = 0; i < s->npaths; i++) free(s->paths[i]);
    free(s->paths);
    free(s);
}
