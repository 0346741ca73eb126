/* io/label_scan.c: the label-only scan that finds the classes of the input before learning (see
 * io/labels.h). Files are read with their own line readers (CSV in record mode, as the source
 * reads them; a byte order mark is dropped by the reader), so the source that asked is left where
 * it was; stdin, which cannot be read twice, is peeked through the source's own reader with a
 * mark and a reset, after the records the source holds in its look-ahead queue. A multiclass
 * label (label kind class) takes its classes from --classes without a scan, or from a scan of
 * every record (gn__labels_resolve_classes). */
#include <stdlib.h>
#include <string.h>

#include "io/dirtree.h"
#include "io/labels.h"
#include "io/linereader.h"
#include "io/parser.h"
#include "util/error.h"

typedef struct scan {
    gn_parser *p;
    const gn_label_scan_input *in;
    gn_labels *l;
    uint64_t records, limit;
    int skip_bad;
    int partial;   /* some of stdin was not seen */
    int cut;       /* stopped at the record limit */
} scan;

static int is_blank_or_comment(const char *line, size_t len) {
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    return i == len || line[i] == '#';
}

/* Counts the label of one data line. */
static int count_line(scan *sc, size_t file, uint64_t lineno, const char *line, size_t len) {
    char why[GN_WHY_MAX];
    const char *tok;
    size_t tl;
    int r = gn__parser_label_token(sc->p, line, len, &tok, &tl, why);
    if (r == -2) return gn__fail(GN_ENOMEM, "out of memory");
    if (r <= 0) return GN_OK; /* no label, or a bad line the real parse will report */
    int st = gn__labels_add(sc->l, tok, tl, file, lineno, why);
    if (st == GN_EPARSE && sc->skip_bad) return GN_OK;
    if (st != GN_OK) {
        const char *path = strcmp(sc->in->paths[file], "-") == 0 ? "<stdin>" : sc->in->paths[file];
        return gn__fail(st, "%s:%llu: %s", path, (unsigned long long)lineno, why);
    }
    sc->records++;
    if (sc->records >= sc->limit) sc->cut = 1;
    return GN_OK;
}

/* A --format dir tree: its labels are its class directories, one per document in reading order
 * (the records' line numbers), so the tree is listed, not read. */
static int scan_tree(scan *sc, size_t file) {
    gn_dir_tree *t;
    GN_TRY(gn__dir_tree_open_names(sc->in->paths[file], &t)); /* no stat per document */
    const char *const *names;
    gn__dir_tree_classes(t, &names);
    const size_t ndocs = gn__dir_tree_docs(t);
    int st = GN_OK;
    for (size_t i = 0; i < ndocs && !sc->cut && st == GN_OK; i++) {
        const char *name = names[gn__dir_tree_doc_class(t, i)];
        char why[GN_WHY_MAX];
        st = gn__labels_add(sc->l, name, strlen(name), file, (uint64_t)i + 1, why);
        if (st == GN_EPARSE && sc->skip_bad) {
            st = GN_OK;
            continue;
        }
        if (st != GN_OK) {
            st = gn__fail(st, "%s:%llu: %s", sc->in->paths[file], (unsigned long long)i + 1, why);
            break;
        }
        if (++sc->records >= sc->limit) sc->cut = 1;
    }
    gn__dir_tree_free(t);
    return st;
}

static int scan_file(scan *sc, size_t file) {
    const gn_data_spec *spec = gn__parser_spec(sc->p);
    gn_line_reader *r;
    if (spec->format == GN_FORMAT_DIR) return scan_tree(sc, file);
    GN_TRY(gn__line_reader_open(sc->in->paths[file], spec->max_line, &r));
    /* a CSV is read as the source reads it: leading blank and comment lines line by line, then
     * records whose quoted fields may hold newlines */
    const char qs = spec->format == GN_FORMAT_CSV && spec->sep != '\t' ? spec->sep : 0;
    int at_start = 1, records = 0, st = GN_OK;
    const char *line;
    size_t len;
    while (!sc->cut) {
        st = gn__line_reader_next(r, &line, &len);
        if (st == GN_ELIMIT || st == GN_EPARSE) { /* over-long, an unclosed quote: the real parse reports it */
            if (at_start && qs) gn__line_reader_set_quoting(r, qs);
            records = 1;
            at_start = 0;
            continue;
        }
        if (st != GN_OK) break;
        if (at_start) {
            if (is_blank_or_comment(line, len)) continue;
            if (qs && !records) { /* the first data line: read it again as a record */
                gn__line_reader_unread(r);
                gn__line_reader_set_quoting(r, qs);
                records = 1;
                continue;
            }
            at_start = 0;
            if (spec->format == GN_FORMAT_CSV && spec->header == 1) continue; /* the header */
        }
        if ((st = count_line(sc, file, gn__line_reader_lineno(r), line, len)) != GN_OK) break;
    }
    if (sc->cut) st = GN_OK;
    gn__line_reader_free(r);
    return st == GN_EOF ? GN_OK : st;
}

/* Peeks at stdin through the source's reader: the lines come again after the reset. */
static int scan_live(scan *sc, size_t file, size_t budget) {
    const gn_label_scan_input *in = sc->in;
    gn_line_reader *r = in->live;
    int st = GN_OK;
    for (size_t i = 0; i < in->npending && !sc->cut; i++)
        if ((st = count_line(sc, file, in->pending_line[i], in->pending[i], in->pending_len[i])) != GN_OK) return st;
    GN_TRY(gn__line_reader_mark(r, budget));
    const char *line;
    size_t len;
    while (!sc->cut) {
        if (gn__line_reader_marked_bytes(r) >= budget) {
            sc->partial = 1;
            break;
        }
        st = gn__line_reader_next(r, &line, &len);
        if (st == GN_EOF) { st = GN_OK; break; }
        if (st != GN_OK) { /* an over-long line, the budget, a read error: the source reports it later */
            sc->partial = 1;
            st = GN_OK;
            break;
        }
        if ((st = count_line(sc, file, gn__line_reader_lineno(r), line, len)) != GN_OK) break;
    }
    gn__line_reader_reset(r);
    return st;
}

static int scan_input(scan *sc, size_t budget) {
    const gn_label_scan_input *in = sc->in;
    for (size_t i = 0; i < in->npaths && !sc->cut; i++) {
        if (strcmp(in->paths[i], "-") == 0) {
            if (in->live && in->live_file == i) GN_TRY(scan_live(sc, i, budget));
            else sc->partial = 1; /* not open yet: it cannot be read twice */
        } else {
            GN_TRY(scan_file(sc, i));
        }
    }
    return GN_OK;
}

/* The first records hold the standard numeric classes, both of them, and nothing else. */
static int standard_pair(const gn_labels *l, const char *positive) {
    if (positive && positive[0]) {
        char canon[GN_LABEL_NAME_MAX + 1];
        if (gn__label_canonical(positive, strlen(positive), canon, sizeof canon) != 0 || strcmp(canon, "1") != 0)
            return 0;
    }
    int pos = 0, neg = 0;
    for (size_t i = 0; i < gn__labels_count(l); i++) {
        const char *name = gn__labels_name(l, i);
        if (strcmp(name, "1") == 0) pos = 1;
        else if (strcmp(name, "0") == 0 || strcmp(name, "-1") == 0) neg = 1;
        else return 0;
    }
    return pos && neg;
}

int gn__labels_scan(gn_parser *p, const gn_label_scan_input *in, gn_labels **out) {
    const gn_data_spec *spec = gn__parser_spec(p);
    scan sc;
    memset(&sc, 0, sizeof sc);
    sc.p = p;
    sc.in = in;
    sc.skip_bad = spec->skip_bad;
    sc.limit = GN_LABELS_SCAN_FIRST;
    if (spec->label_kind == GN_LABEL_CLASS) { /* multiclass: --classes, or every record's label */
        if (spec->classes[0]) return gn__labels_from_list(spec->classes, out);
        sc.limit = UINT64_MAX;
        GN_TRY(gn__labels_new(&sc.l));
        int st = scan_input(&sc, GN_LABELS_PEEK_BYTES);
        if (st == GN_OK)
            st = gn__labels_resolve_classes(sc.l, sc.partial ? GN_LABELS_STREAM : 0, in->paths, in->npaths);
        if (st != GN_OK) {
            gn__labels_free(sc.l);
            return st;
        }
        *out = sc.l;
        return GN_OK;
    }
    GN_TRY(gn__labels_new(&sc.l));
    int st = scan_input(&sc, GN_LABELS_PEEK_BYTES);
    if (st == GN_OK && sc.cut && !spec->positive[0] && !spec->skip_bad && gn__labels_count(sc.l) > 2 &&
        strcmp(gn__labels_name(sc.l, 0), "0") != 0 && strcmp(gn__labels_name(sc.l, 1), "0") != 0) {
        /* the first two labels are the classes whatever follows (unless one is a 0 that a later
         * 1 and -1 would merge away): when they cannot be told apart (regression targets, say)
         * the error is sure, without reading everything */
        gn_labels *c;
        st = gn__labels_clone(sc.l, &c);
        if (st == GN_OK) {
            st = gn__labels_resolve_binary(c, NULL, 0, GN_LABELS_FIRST | (sc.partial ? GN_LABELS_STREAM : 0),
                                           in->paths, in->npaths);
            gn__labels_free(c);
        }
    }
    if (st == GN_OK && sc.cut && !standard_pair(sc.l, spec->positive)) {
        /* not the common case: every record's label, from the start */
        gn__labels_free(sc.l);
        sc.l = NULL;
        sc.records = 0;
        sc.cut = 0;
        sc.partial = 0;
        sc.limit = UINT64_MAX;
        st = gn__labels_new(&sc.l);
        if (st == GN_OK) st = scan_input(&sc, GN_LABELS_PEEK_BYTES);
    }
    if (st == GN_OK)
        st = gn__labels_resolve_binary(sc.l, spec->positive, spec->skip_bad, sc.partial ? GN_LABELS_STREAM : 0,
                                       in->paths, in->npaths);
    if (st != GN_OK) {
        gn__labels_free(sc.l);
        return st;
    }
    *out = sc.l;
    return GN_OK;
}
