/* learn/time_split.c: gn_split_by_time (gannet/split.h): a CSV file cut into train and test by
 * time, the latest rows (of all, or of each group's, e.g. user's) being the test part. Two
 * passes over the file: the first reads each row's time (and group), picks the test rows by a
 * sort on (group, time, row); the second copies every line, in file order, to its side. Both
 * outputs are written to temporary names and renamed. Memory: 16 bytes a row plus the groups'
 * id dictionary. The CSV rules (fields, quoting, columns) are the mf reader's (io/triples.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gannet/split.h"
#include "io/linereader.h"
#include "io/triples.h"
#include "util/error.h"
#include "util/iddict.h"

typedef struct trow {
    double time;
    uint32_t group, row;
} trow;

static int by_group_time_row(const void *a, const void *b) {
    const trow *x = a, *y = b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int all_digits(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* Pass 1: the rows' times and groups; *header 1 when the first line named the columns. */
static int read_times(const char *path, const gn_data_spec *spec, const gn_time_split_options *o, char *sep_io,
                      gn_csv_fields *fs, gn_iddict *groups, trow **rows_out, size_t *n_out, int *header_out) {
    gn_line_reader *r;
    GN_TRY(gn__line_reader_open(path, spec->max_line, &r));
    const char *name = gn__line_reader_path(r);
    const int grouped = o->group_col && o->group_col[0];
    trow *rows = NULL;
    size_t n = 0, cap = 0;
    long ct = 0, cg = 0;
    int first = 1, st;
    const char *line;
    size_t len;
    while ((st = gn__line_reader_next(r, &line, &len)) == GN_OK) {
        const unsigned long long lineno = (unsigned long long)gn__line_reader_lineno(r);
        if (len == 0) continue;
        if (first && !*sep_io) *sep_io = memchr(line, '\t', len) ? '\t' : ','; /* as the mf reader */
        if ((st = gn__csv_fields_split(fs, line, len, *sep_io)) != GN_OK) {
            if (st == GN_ELIMIT) st = gn__fail(GN_EPARSE, "%s:%llu: too many fields", name, lineno);
            break;
        }
        if (first) {
            first = 0;
            int header = spec->header;
            if (header < 0) { /* auto: a column given by name, or a time column that is not a number */
                header = !all_digits(o->time_col) || (grouped && !all_digits(o->group_col));
                if (!header) {
                    const long c = strtol(o->time_col, NULL, 10) - 1;
                    size_t fl;
                    double v;
                    header = c < (long)gn__csv_fields_count(fs) &&
                             gn__csv_number(gn__csv_field(fs, (size_t)c, &fl), fl, &v) != 0;
                }
            }
            const gn_csv_fields *h = header ? fs : NULL;
            if ((st = gn__csv_column(name, "--time-col", o->time_col, h, &ct)) != GN_OK ||
                (grouped && (st = gn__csv_column(name, "--per", o->group_col, h, &cg)) != GN_OK))
                break;
            *header_out = header;
            if (header) continue;
        }
        const long need = ct > cg ? ct : cg;
        if ((long)gn__csv_fields_count(fs) <= need) {
            st = gn__fail(GN_EPARSE, "%s:%llu: %zu fields, but column %ld is needed", name, lineno,
                          gn__csv_fields_count(fs), need + 1);
            break;
        }
        size_t tl;
        const char *tf = gn__csv_field(fs, (size_t)ct, &tl);
        double t;
        if (gn__csv_number(tf, tl, &t) != 0) {
            st = gn__fail(GN_EPARSE, "%s:%llu: time '%.*s' is not a number", name, lineno, tl > 40 ? 40 : (int)tl, tf);
            break;
        }
        uint32_t g = 0;
        if (grouped) {
            size_t gl;
            const char *gf = gn__csv_field(fs, (size_t)cg, &gl);
            if (gn__iddict_add(groups, gf, gl, &g) != 0) {
                st = gn__fail(GN_EPARSE, "%s:%llu: out of memory, an id that is too long or too many ids", name, lineno);
                break;
            }
        }
        if (n == UINT32_MAX) {
            st = gn__fail(GN_ELIMIT, "%s:%llu: more than %u rows", name, lineno, UINT32_MAX);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            trow *nr = realloc(rows, cap * sizeof *nr);
            if (!nr) {
                st = gn__fail(GN_ENOMEM, "out of memory for %zu rows", cap);
                break;
            }
            rows = nr;
        }
        rows[n] = (trow){t, g, (uint32_t)n};
        n++;
    }
    if (st == GN_EOF) st = first ? gn__fail(GN_EINVAL, "%s: no rows", name) : GN_OK;
    gn__line_reader_free(r);
    if (st != GN_OK) {
        free(rows);
        return st;
    }
    *rows_out = rows;
    *n_out = n;
    return GN_OK;
}

/* Marks in test[] the latest round(fraction * m) rows of each group of m rows. */
static void pick_latest(trow *rows, size_t n, double fraction, unsigned char *test) {
    qsort(rows, n, sizeof *rows, by_group_time_row);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && rows[b].group == rows[a].group) b++;
        const size_t take = (size_t)floor(fraction * (double)(b - a) + 0.5);
        for (size_t e = b - take; e < b; e++) test[rows[e].row] = 1;
        a = b;
    }
}

static int close_out(FILE *f, const char *tmp, const char *path, int st) {
    const int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    if ((fclose(f) != 0 || bad) && st == GN_OK) st = gn__fail(GN_EIO, "%s: write failed", tmp);
    if (st == GN_OK && rename(tmp, path) != 0) st = gn__fail(GN_EIO, "%s: cannot rename to %s", tmp, path);
    if (st != GN_OK) unlink(tmp);
    return st;
}

/* Pass 2: every line to its side, the header (if any) to both. */
static int write_sides(const char *path, const gn_data_spec *spec, int header, const unsigned char *test, size_t n,
                       const char *const out[2], uint64_t count[2]) {
    char tmp[2][4096];
    FILE *f[2] = {NULL, NULL};
    int st = GN_OK;
    for (int k = 0; k < 2 && st == GN_OK; k++) {
        if (snprintf(tmp[k], sizeof tmp[k], "%s.%ld.tmp", out[k], (long)getpid()) >= (int)sizeof tmp[k])
            st = gn__fail(GN_ELIMIT, "%s: path too long", out[k]);
        else if (!(f[k] = fopen(tmp[k], "w")))
            st = gn__fail(GN_EIO, "%s: cannot create", tmp[k]);
    }
    gn_line_reader *r = NULL;
    if (st == GN_OK) st = gn__line_reader_open(path, spec->max_line, &r);
    const char *line;
    size_t len, row = 0;
    int first = 1;
    while (st == GN_OK && (st = gn__line_reader_next(r, &line, &len)) == GN_OK) {
        if (len == 0) continue;
        if (first && header) {
            first = 0;
            for (int k = 0; k < 2; k++)
                if (fwrite(line, 1, len, f[k]) != len || fputc('\n', f[k]) == EOF) st = gn__fail(GN_EIO, "%s: write failed", tmp[k]);
            continue;
        }
        first = 0;
        if (row >= n) {
            st = gn__fail(GN_EIO, "%s: the file changed while it was split (more rows the second time)", path);
            break;
        }
        const int k = test[row++];
        if (fwrite(line, 1, len, f[k]) != len || fputc('\n', f[k]) == EOF) st = gn__fail(GN_EIO, "%s: write failed", tmp[k]);
        count[k]++;
    }
    if (st == GN_EOF) st = row == n ? GN_OK : gn__fail(GN_EIO, "%s: the file changed while it was split", path);
    gn__line_reader_free(r);
    int renamed[2] = {0, 0};
    for (int k = 0; k < 2; k++)
        if (f[k]) renamed[k] = (st = close_out(f[k], tmp[k], out[k], st)) == GN_OK;
    if (st != GN_OK) /* both or neither: a first side already renamed is removed */
        for (int k = 0; k < 2; k++)
            if (renamed[k]) unlink(out[k]);
    return st;
}

gn_status gn_split_by_time(const char *path, const gn_data_spec *spec, const gn_time_split_options *o,
                           const char *train_out, const char *test_out, uint64_t *ntrain, uint64_t *ntest) {
    gn__clear_error();
    if (!path || !spec || !o || !train_out || !test_out) return gn__fail(GN_EINVAL, "split: NULL argument");
    if (!strcmp(path, "-")) return gn__fail(GN_EINVAL, "split: the input is read twice, so it cannot be stdin");
    if (!o->time_col || !o->time_col[0]) return gn__fail(GN_EINVAL, "split --by time needs the time column (--time-col COL)");
    if (!(o->test > 0 && o->test < 1)) return gn__fail(GN_EINVAL, "split: --test %g: expected a fraction in (0, 1)", o->test);
    if (!strcmp(train_out, test_out) || !strcmp(path, train_out) || !strcmp(path, test_out))
        return gn__fail(GN_EINVAL, "split: the input and the two outputs must be three different files");
    char sep = spec->sep;
    gn_csv_fields *fs = gn__csv_fields_new();
    gn_iddict *groups = gn__iddict_new();
    trow *rows = NULL;
    unsigned char *test = NULL;
    size_t n = 0;
    int header = 0, st = fs && groups ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    if (st == GN_OK) st = read_times(path, spec, o, &sep, fs, groups, &rows, &n, &header);
    if (st == GN_OK && !(test = calloc(n ? n : 1, 1))) st = gn__fail(GN_ENOMEM, "out of memory");
    uint64_t count[2] = {0, 0};
    if (st == GN_OK) {
        pick_latest(rows, n, o->test, test);
        const char *const out[2] = {train_out, test_out};
        st = write_sides(path, spec, header, test, n, out, count);
    }
    if (st == GN_OK) {
        if (ntrain) *ntrain = count[0];
        if (ntest) *ntest = count[1];
    }
    free(rows);
    free(test);
    gn__iddict_free(groups);
    gn__csv_fields_free(fs);
    return st;
}
