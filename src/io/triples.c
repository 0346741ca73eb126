/* io/triples.c: (user, item, rating) CSV rows for matrix factorization (io/triples.h). */
#include "io/triples.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/linereader.h"
#include "util/error.h"

#define MAX_FIELDS 4096

void gn__triples_free(gn_triples *t) {
    if (!t) return;
    free(t->user);
    free(t->item);
    free(t->rating);
    free(t->time);
    memset(t, 0, sizeof *t);
}

static int grow(gn_triples *t, int want_time) {
    size_t cap = t->cap ? t->cap * 2 : 65536;
    if (want_time) {
        double *tm = realloc(t->time, cap * sizeof *tm);
        if (!tm) return gn__fail(GN_ENOMEM, "out of memory for %zu ratings", cap);
        t->time = tm;
    }
    uint32_t *u = realloc(t->user, cap * sizeof *u);
    if (u) t->user = u;
    uint32_t *i = u ? realloc(t->item, cap * sizeof *i) : NULL;
    if (i) t->item = i;
    float *r = i ? realloc(t->rating, cap * sizeof *r) : NULL;
    if (!r) return gn__fail(GN_ENOMEM, "out of memory for %zu ratings", cap);
    t->rating = r;
    t->cap = cap;
    return GN_OK;
}

/* One CSV record split into fields; quoted fields ("a,b", "say ""hi""") are unquoted into buf. */
typedef struct gn__csv_fields {
    const char *f[MAX_FIELDS];
    size_t len[MAX_FIELDS];
    size_t n;
    char *buf;
    size_t cap;
} fields;

static int split(fields *fs, const char *line, size_t len, char sep) {
    if (len + 1 > fs->cap) {
        char *b = realloc(fs->buf, len + 1);
        if (!b) return gn__fail(GN_ENOMEM, "out of memory");
        fs->buf = b;
        fs->cap = len + 1;
    }
    size_t i = 0, out = 0;
    fs->n = 0;
    for (;;) {
        if (fs->n == MAX_FIELDS) return GN_ELIMIT;
        if (i < len && line[i] == '"' && sep != '\t') {
            const size_t start = out;
            i++;
            while (i < len) {
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        fs->buf[out++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                fs->buf[out++] = line[i++];
            }
            while (i < len && line[i] != sep) fs->buf[out++] = line[i++]; /* text after the quote */
            fs->f[fs->n] = fs->buf + start;
            fs->len[fs->n++] = out - start;
        } else {
            const size_t start = i;
            while (i < len && line[i] != sep) i++;
            fs->f[fs->n] = line + start;
            fs->len[fs->n++] = i - start;
        }
        if (i >= len) break;
        i++; /* the separator */
    }
    /* trim spaces around unquoted fields */
    for (size_t k = 0; k < fs->n; k++) {
        while (fs->len[k] && isspace((unsigned char)fs->f[k][0])) fs->f[k]++, fs->len[k]--;
        while (fs->len[k] && isspace((unsigned char)fs->f[k][fs->len[k] - 1])) fs->len[k]--;
    }
    return GN_OK;
}

static int all_digits(const char *s) {
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* A finite number in f[0, len), else -1. */
static int parse_number(const char *f, size_t len, double *out) {
    char tmp[64];
    if (len == 0 || len >= sizeof tmp) return -1;
    memcpy(tmp, f, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (*end || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

enum { COL_NONE = -1 };

/* The 0-based column of ref (a 1-based index, or a header name when there is a header). */
static int resolve(const char *path, const char *flag, const char *ref, const fields *header, int optional, long *col) {
    if (all_digits(ref)) {
        long v = strtol(ref, NULL, 10);
        if (v < 1 || v > MAX_FIELDS) return gn__fail(GN_EINVAL, "%s: column %s is out of range (1..%d)", flag, ref, MAX_FIELDS);
        *col = v - 1;
        return GN_OK;
    }
    if (!header) {
        if (optional) {
            *col = COL_NONE;
            return GN_OK;
        }
        return gn__fail(GN_EPARSE, "%s:1: %s '%s' names a column, but the file has no header line", path, flag, ref);
    }
    for (size_t k = 0; k < header->n; k++)
        if (header->len[k] == strlen(ref) && memcmp(header->f[k], ref, header->len[k]) == 0) {
            *col = (long)k;
            return GN_OK;
        }
    if (optional) {
        *col = COL_NONE;
        return GN_OK;
    }
    char names[256] = "";
    size_t used = 0;
    for (size_t k = 0; k < header->n && used + 4 < sizeof names; k++) {
        int w = snprintf(names + used, sizeof names - used, "%s%.*s", k ? ", " : "", (int)header->len[k], header->f[k]);
        if (w < 0) break;
        used += (size_t)w;
        if (used >= sizeof names) used = sizeof names - 1;
    }
    return gn__fail(GN_EPARSE, "%s:1: %s: no column '%s' in the header (%s)", path, flag, ref, names);
}

static int read_file(const char *path, const gn_data_spec *spec, const gn_triples_cols *cols, gn_iddict *users,
                     gn_iddict *items, int add_ids, gn_triples *t, fields *fs) {
    gn_line_reader *r;
    GN_TRY(gn__line_reader_open(path, spec->max_line, &r));
    const char *name = gn__line_reader_path(r);
    const int want_rating = cols->rating && cols->rating[0];
    const int want_time = cols->time && cols->time[0];
    long cu = 0, ci = 0, cr = COL_NONE, ct = COL_NONE;
    int first = 1, st = GN_OK;
    char sep = spec->sep;
    const char *line;
    size_t len;
    while ((st = gn__line_reader_next(r, &line, &len)) == GN_OK) {
        const uint64_t lineno = gn__line_reader_lineno(r);
        if (len == 0) continue;
        if (first) {
            if (!sep) sep = memchr(line, '\t', len) ? '\t' : ',';
        }
        if ((st = split(fs, line, len, sep)) != GN_OK) {
            if (st == GN_ELIMIT) st = gn__fail(GN_EPARSE, "%s:%llu: more than %d fields", name, (unsigned long long)lineno, MAX_FIELDS);
            break;
        }
        if (first) {
            first = 0;
            int header = spec->header;
            if (header < 0) { /* auto: column names, or a rating that is not a number */
                header = !all_digits(cols->user) || !all_digits(cols->item) || (want_rating && !all_digits(cols->rating)) ||
                         (want_time && !all_digits(cols->time));
                if (!header && want_rating) {
                    long c = strtol(cols->rating, NULL, 10) - 1;
                    double v;
                    header = c < (long)fs->n && parse_number(fs->f[c], fs->len[c], &v) != 0;
                }
            }
            const fields *h = header ? fs : NULL;
            if ((st = resolve(name, "--user", cols->user, h, 0, &cu)) != GN_OK ||
                (st = resolve(name, "--item", cols->item, h, 0, &ci)) != GN_OK ||
                (want_rating && (st = resolve(name, "--rating", cols->rating, h, cols->rating_optional, &cr)) != GN_OK) ||
                (want_time && (st = resolve(name, "--time-col", cols->time, h, 0, &ct)) != GN_OK))
                break;
            if (header) continue;
        }
        const long ids = ct > (cu > ci ? cu : ci) ? ct : (cu > ci ? cu : ci); /* the columns a row must have */
        const long need = ids > cr ? ids : cr;
        double rating = want_rating ? NAN : 1.0, time = 0.0;
        const char *why = NULL;
        char whybuf[160];
        if ((long)fs->n <= need && !(cr == need && cols->rating_optional && (long)fs->n > ids)) {
            snprintf(whybuf, sizeof whybuf, "%zu field%s, but column %ld is needed", fs->n, fs->n == 1 ? "" : "s", need + 1);
            why = whybuf;
        } else if (cr != COL_NONE && cr < (long)fs->n && parse_number(fs->f[cr], fs->len[cr], &rating) != 0) {
            snprintf(whybuf, sizeof whybuf, "rating '%.*s' is not a number", fs->len[cr] > 40 ? 40 : (int)fs->len[cr],
                     fs->f[cr]);
            why = whybuf;
        } else if (ct != COL_NONE && parse_number(fs->f[ct], fs->len[ct], &time) != 0) {
            snprintf(whybuf, sizeof whybuf, "time '%.*s' is not a number", fs->len[ct] > 40 ? 40 : (int)fs->len[ct],
                     fs->f[ct]);
            why = whybuf;
        } else if (fs->len[cu] == 0 || fs->len[ci] == 0) {
            why = fs->len[cu] == 0 ? "empty user id" : "empty item id";
        }
        if (why) {
            if (spec->skip_bad) {
                t->skipped++;
                continue;
            }
            st = gn__fail(GN_EPARSE, "%s:%llu: %s", name, (unsigned long long)lineno, why);
            break;
        }
        if (t->n == t->cap && (st = grow(t, want_time)) != GN_OK) break;
        uint32_t u, i;
        if (add_ids) {
            int a = gn__iddict_add(users, fs->f[cu], fs->len[cu], &u);
            int b = a ? a : gn__iddict_add(items, fs->f[ci], fs->len[ci], &i);
            if (a || b) {
                st = (a ? a : b) == -1 ? gn__fail(GN_ENOMEM, "out of memory for the ids")
                                       : gn__fail(GN_EPARSE, "%s:%llu: id longer than %u bytes, or too many ids", name,
                                                  (unsigned long long)lineno, GN_IDDICT_MAX_LEN);
                break;
            }
        } else {
            u = gn__iddict_find(users, fs->f[cu], fs->len[cu]);
            i = gn__iddict_find(items, fs->f[ci], fs->len[ci]);
        }
        t->user[t->n] = u;
        t->item[t->n] = i;
        t->rating[t->n] = (float)rating;
        if (want_time) t->time[t->n] = time;
        t->n++;
    }
    if (st == GN_EOF) st = GN_OK;
    gn__line_reader_free(r);
    return st;
}

gn_csv_fields *gn__csv_fields_new(void) { return calloc(1, sizeof(fields)); }
void gn__csv_fields_free(gn_csv_fields *fs) {
    if (!fs) return;
    free(fs->buf);
    free(fs);
}
int gn__csv_fields_split(gn_csv_fields *fs, const char *line, size_t len, char sep) { return split(fs, line, len, sep); }
size_t gn__csv_fields_count(const gn_csv_fields *fs) { return fs->n; }
const char *gn__csv_field(const gn_csv_fields *fs, size_t k, size_t *len) {
    *len = fs->len[k];
    return fs->f[k];
}
int gn__csv_column(const char *path, const char *flag, const char *ref, const gn_csv_fields *header, long *col) {
    return resolve(path, flag, ref, header, 0, col);
}
int gn__csv_number(const char *f, size_t len, double *out) { return parse_number(f, len, out); }

int gn__triples_read(const char *const *paths, size_t npaths, const gn_data_spec *spec, const gn_triples_cols *cols,
                     gn_iddict *users, gn_iddict *items, int add_ids, gn_triples *t) {
    if (!cols->user || !cols->user[0] || !cols->item || !cols->item[0])
        return gn__fail(GN_EINVAL, "kind mf needs --user COL and --item COL");
    fields *fs = calloc(1, sizeof *fs);
    if (!fs) return gn__fail(GN_ENOMEM, "out of memory");
    int st = GN_OK;
    for (size_t p = 0; p < npaths && st == GN_OK; p++) st = read_file(paths[p], spec, cols, users, items, add_ids, t, fs);
    free(fs->buf);
    free(fs);
    return st;
}
