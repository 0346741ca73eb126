/* io/labels.c: the label dictionary (see labels.h): canonical class names, lookup, counts while
 * collecting, the binary positive-class rule, and the JSON form kept in model files and caches.
 * Collecting runs once per label in a label-only scan, so it keeps a hash table and a one-entry
 * cache of the last token; the per-example binary lookup compares with two names only. */
#include "io/labels.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash/hash.h"
#include "io/numparse.h"
#include "io/parser.h"
#include "util/error.h"
#include "util/utf8.h"

typedef struct label_class {
    char *name;          /* canonical text, NUL-terminated */
    size_t len;
    double num;          /* the value when is_num */
    int is_num;
    uint64_t count;
    size_t first_file;   /* where it was first seen (collecting) */
    uint64_t first_line; /* 1-based; 0 = unknown */
} label_class;

struct gn_labels {
    label_class *cls;
    size_t n, cap;
    uint32_t *table;     /* open addressing over class index + 1 (0 = empty); NULL while small */
    size_t tsize;        /* a power of two */
    /* collecting: the raw bytes of the last token added and its class (runs of one label) */
    char last[GN_LABEL_NAME_MAX + 1];
    size_t last_len;
    long last_cls;
    int binary, standard, strings, partial;
};

#define LINEAR_MAX 8 /* up to this many classes a lookup compares with each */

/* A reason into the caller's GN_WHY_MAX buffer, shortened when it does not fit. */
static GN_PRINTF(2, 3) void set_why(char *why, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, GN_WHY_MAX, fmt, ap);
    va_end(ap);
}

/* ---- tokens ------------------------------------------------------------------------------- */

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static void trim(const char **s, size_t *len) {
    while (*len && is_blank(**s)) { (*s)++; (*len)--; }
    while (*len && is_blank((*s)[*len - 1])) (*len)--;
}

/* 1 and *v when [s, s+len) is a whole number. */
static int as_number(const char *s, size_t len, double *v) {
    if (!len) return 0;
    char c = s[0];
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.')) return 0; /* quick "no" for words */
    const char *e = gn__parse_double(s, s + len, v);
    if (e != s + len) return 0;
    if (*v == 0) *v = 0.0; /* -0 is 0 */
    return 1;
}

/* The shortest "%.*g" text that reads back as v. */
static size_t number_text(double v, char *buf, size_t size) {
    int k = 0;
    for (int prec = 1; prec <= 17; prec++) {
        k = snprintf(buf, size, "%.*g", prec, v);
        double back;
        if (k > 0 && (size_t)k < size && gn__parse_double(buf, buf + k, &back) == buf + k && back == v) break;
    }
    /* %g writes 10 as 1e+01 at the shortest precision that reads back: a whole number below 1e15 is
     * written whole (10, 250, 1000000; but 1e+20) */
    if (k > 0 && v == floor(v) && fabs(v) < 1e15) {
        char whole[32];
        int w = snprintf(whole, sizeof whole, "%.0f", v + 0.0);
        if (w > 0 && (size_t)w < size) {
            memcpy(buf, whole, (size_t)w + 1);
            k = w;
        }
    }
    return k > 0 ? (size_t)k : 0;
}

int gn__label_canonical(const char *tok, size_t len, char *buf, size_t size) {
    trim(&tok, &len);
    if (!len || len > GN_LABEL_NAME_MAX || size < GN_LABEL_NAME_MAX + 1) return -1;
    double v;
    if (as_number(tok, len, &v)) {
        number_text(v, buf, size);
        return 0;
    }
    memcpy(buf, tok, len);
    buf[len] = '\0';
    return 0;
}

static int ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

static int equals_nocase(const char *s, size_t len, const char *word) {
    size_t wl = strlen(word);
    if (wl != len) return 0;
    for (size_t i = 0; i < len; i++)
        if (ascii_lower((unsigned char)s[i]) != word[i]) return 0;
    return 1;
}

/* Positive-like and negative-like words, pairwise opposites. */
static const char *const pos_words[] = {"true", "yes", "y", "t", "pos", "positive"};
static const char *const neg_words[] = {"false", "no", "n", "f", "neg", "negative"};
#define NWORDS (sizeof pos_words / sizeof *pos_words)

int gn__label_role(const char *tok, size_t len) {
    trim(&tok, &len);
    double v;
    if (as_number(tok, len, &v)) return v == 1.0 ? 1 : (v == 0.0 || v == -1.0) ? -1 : 0;
    for (size_t i = 0; i < NWORDS; i++) {
        if (equals_nocase(tok, len, pos_words[i])) return 1;
        if (equals_nocase(tok, len, neg_words[i])) return -1;
    }
    return 0;
}

/* The natural opposite of a class name (yes -> no, TRUE -> FALSE, Pos -> Neg, 1 -> 0), keeping
 * the case pattern; otherwise "not NAME". */
static void opposite_name(const char *name, char *buf, size_t size) {
    size_t len = strlen(name);
    double v;
    if (as_number(name, len, &v) && (v == 1.0 || v == 0.0 || v == -1.0)) {
        snprintf(buf, size, "%s", v == 1.0 ? "0" : "1");
        return;
    }
    for (size_t i = 0; i < NWORDS; i++) {
        const char *other = NULL;
        if (equals_nocase(name, len, pos_words[i])) other = neg_words[i];
        else if (equals_nocase(name, len, neg_words[i])) other = pos_words[i];
        if (!other) continue;
        int upper = 1, first_upper = name[0] >= 'A' && name[0] <= 'Z';
        for (size_t k = 0; k < len; k++) upper &= !(name[k] >= 'a' && name[k] <= 'z');
        size_t o = 0;
        for (; other[o] && o + 1 < size; o++) {
            char c = other[o];
            if (upper || (o == 0 && first_upper)) c = (char)(c - 'a' + 'A');
            buf[o] = c;
        }
        buf[o] = '\0';
        return;
    }
    snprintf(buf, size, "not %s", name);
}

/* Valid UTF-8 without control characters (names go into JSON and onto output lines). */
static int name_ok(const unsigned char *s, size_t len) {
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x80) {
            if (s[i] < 0x20 || s[i] == 0x7f) return 0;
            i++;
            continue;
        }
        size_t n = gn__utf8_seq_len(s + i, len - i);
        if (!n) return 0;
        i += n;
    }
    return 1;
}

/* ---- the table ---------------------------------------------------------------------------- */

static uint64_t key_hash(int is_num, double v, const char *s, size_t len) {
    if (is_num) {
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        return gn__mix64(bits ^ 0x6e756d6265720000ull);
    }
    return gn__hash64(s, len, 0x737472696e67ull);
}

static int same(const label_class *c, int is_num, double v, const char *s, size_t len) {
    if (c->is_num != is_num) return 0;
    return is_num ? c->num == v : (c->len == len && memcmp(c->name, s, len) == 0);
}

static long find_key(const gn_labels *l, int is_num, double v, const char *s, size_t len) {
    if (!l->table) {
        for (size_t i = 0; i < l->n; i++)
            if (same(&l->cls[i], is_num, v, s, len)) return (long)i;
        return -1;
    }
    size_t mask = l->tsize - 1, at = (size_t)key_hash(is_num, v, s, len) & mask;
    for (;;) {
        uint32_t e = l->table[at];
        if (!e) return -1;
        if (same(&l->cls[e - 1], is_num, v, s, len)) return (long)(e - 1);
        at = (at + 1) & mask;
    }
}

static void table_put(gn_labels *l, size_t i) {
    const label_class *c = &l->cls[i];
    size_t mask = l->tsize - 1, at = (size_t)key_hash(c->is_num, c->num, c->name, c->len) & mask;
    while (l->table[at]) at = (at + 1) & mask;
    l->table[at] = (uint32_t)(i + 1);
}

/* Keeps the table at most half full once there are more than LINEAR_MAX classes. */
static int table_fit(gn_labels *l, size_t n) {
    if (n <= LINEAR_MAX) return GN_OK;
    if (l->table && n * 2 <= l->tsize) return GN_OK;
    size_t ts = 64;
    while (ts < n * 2) ts *= 2;
    uint32_t *t = calloc(ts, sizeof *t);
    if (!t) return gn__fail(GN_ENOMEM, "out of memory");
    free(l->table);
    l->table = t;
    l->tsize = ts;
    for (size_t i = 0; i < l->n; i++) table_put(l, i);
    return GN_OK;
}

/* Appends a class (canonical name given); its index is l->n - 1. */
static int push_class(gn_labels *l, const char *name, size_t len, int is_num, double v) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 4;
        label_class *c = realloc(l->cls, nc * sizeof *c);
        if (!c) return gn__fail(GN_ENOMEM, "out of memory");
        l->cls = c;
        l->cap = nc;
    }
    char *copy = malloc(len + 1);
    if (!copy) return gn__fail(GN_ENOMEM, "out of memory");
    memcpy(copy, name, len);
    copy[len] = '\0';
    label_class *c = &l->cls[l->n];
    memset(c, 0, sizeof *c);
    c->name = copy;
    c->len = len;
    c->is_num = is_num;
    c->num = is_num ? v : 0.0;
    l->n++;
    l->strings |= !is_num;
    int st = table_fit(l, l->n);
    if (st != GN_OK) return st;
    if (l->table) table_put(l, l->n - 1);
    return GN_OK;
}

static void drop_classes(gn_labels *l) {
    for (size_t i = 0; i < l->n; i++) free(l->cls[i].name);
    l->n = 0;
    free(l->table);
    l->table = NULL;
    l->tsize = 0;
    l->last_cls = -1;
    l->last_len = 0;
    l->strings = 0;
}

/* ---- lifecycle and lookup ------------------------------------------------------------------ */

int gn__labels_new(gn_labels **out) {
    gn_labels *l = calloc(1, sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory");
    l->last_cls = -1;
    *out = l;
    return GN_OK;
}

void gn__labels_free(gn_labels *l) {
    if (!l) return;
    drop_classes(l);
    free(l->cls);
    free(l);
}

int gn__labels_clone(const gn_labels *l, gn_labels **out) {
    gn_labels *c = NULL;
    GN_TRY(gn__labels_new(&c));
    for (size_t i = 0; i < l->n; i++) {
        const label_class *k = &l->cls[i];
        int st = push_class(c, k->name, k->len, k->is_num, k->num);
        if (st != GN_OK) {
            gn__labels_free(c);
            return st;
        }
        c->cls[i].count = k->count;
        c->cls[i].first_file = k->first_file;
        c->cls[i].first_line = k->first_line;
    }
    c->binary = l->binary;
    c->standard = l->standard;
    c->partial = l->partial;
    *out = c;
    return GN_OK;
}

size_t gn__labels_count(const gn_labels *l) { return l ? l->n : 0; }
const char *gn__labels_name(const gn_labels *l, size_t i) { return l && i < l->n ? l->cls[i].name : NULL; }
uint64_t gn__labels_class_count(const gn_labels *l, size_t i) { return l && i < l->n ? l->cls[i].count : 0; }
int gn__labels_is_binary(const gn_labels *l) { return l && l->binary; }
int gn__labels_is_standard(const gn_labels *l) { return l && l->standard; }
int gn__labels_has_strings(const gn_labels *l) { return l && l->strings; }
int gn__labels_partial(const gn_labels *l) { return l && l->partial; }

long gn__labels_find(const gn_labels *l, const char *tok, size_t len) {
    trim(&tok, &len);
    double v = 0;
    int is_num = as_number(tok, len, &v);
    return find_key(l, is_num, v, tok, len);
}

int gn__labels_add(gn_labels *l, const char *tok, size_t len, size_t file, uint64_t line, char *why) {
    char buf[64];
    if (l->last_cls >= 0 && len == l->last_len && memcmp(tok, l->last, len) == 0) {
        l->cls[l->last_cls].count++;
        return GN_OK;
    }
    const char *s = tok;
    size_t n = len;
    trim(&s, &n);
    if (!n) {
        set_why(why, "empty label");
        return GN_EPARSE;
    }
    double v = 0;
    int is_num = as_number(s, n, &v);
    long i = find_key(l, is_num, v, s, n);
    if (i < 0) {
        if (l->n >= GN_LABELS_MAX) {
            set_why(why, "more than %d distinct labels (at '%s'): is the label column right? (for regression: "
                    "--loss squared)", GN_LABELS_MAX, gn__utf8_shown(s, n, buf, sizeof buf));
            return GN_ELIMIT;
        }
        char name[GN_LABEL_NAME_MAX + 32];
        size_t nl = n;
        if (is_num) {
            nl = number_text(v, name, sizeof name);
        } else {
            if (n > GN_LABEL_NAME_MAX) {
                set_why(why, "label '%s' is longer than %d bytes", gn__utf8_shown(s, n, buf, sizeof buf),
                         GN_LABEL_NAME_MAX);
                return GN_EPARSE;
            }
            if (!name_ok((const unsigned char *)s, n)) {
                set_why(why, "label '%s' is not valid UTF-8 text (or has control characters)",
                         gn__utf8_shown(s, n, buf, sizeof buf));
                return GN_EPARSE;
            }
            memcpy(name, s, n);
        }
        int st = push_class(l, name, nl, is_num, v);
        if (st != GN_OK) {
            set_why(why, "%s", gn_last_error());
            return st;
        }
        i = (long)l->n - 1;
        l->cls[i].first_file = file;
        l->cls[i].first_line = line;
    }
    l->cls[i].count++;
    if (len <= GN_LABEL_NAME_MAX) {
        memcpy(l->last, tok, len);
        l->last_len = len;
        l->last_cls = i;
    }
    return GN_OK;
}

/* ---- the binary rule ----------------------------------------------------------------------- */

/* "'a' 120, 'b' 80, ..." (most frequent first, at most 8). */
static void list_counts(const gn_labels *l, char *buf, size_t size) {
    size_t o = 0, shown_n = 0;
    unsigned char *done = calloc(l->n ? l->n : 1, 1);
    buf[0] = '\0';
    for (size_t k = 0; k < l->n && shown_n < 8; k++) {
        long best = -1;
        for (size_t i = 0; i < l->n; i++)
            if (!(done && done[i]) && (best < 0 || l->cls[i].count > l->cls[best].count)) best = (long)i;
        if (best < 0) break;
        if (done) done[best] = 1;
        char nb[64];
        int w = snprintf(buf + o, o < size ? size - o : 0, "%s'%s' %llu", shown_n ? ", " : "",
                         gn__utf8_shown(l->cls[best].name, l->cls[best].len, nb, sizeof nb),
                         (unsigned long long)l->cls[best].count);
        if (w < 0 || o + (size_t)w >= size) break;
        o += (size_t)w;
        shown_n++;
        if (!done) break;
    }
    if (shown_n < l->n && o + 8 < size) snprintf(buf + o, size - o, ", ...");
    free(done);
}

static const char *where(const gn_labels *l, const label_class *c, const char *const *paths, size_t npaths,
                         char *buf, size_t size) {
    const char *path = c->first_file < npaths ? paths[c->first_file] : "input";
    if (strcmp(path, "-") == 0) path = "<stdin>";
    (void)l;
    if (c->first_line) snprintf(buf, size, "%s:%llu", path, (unsigned long long)c->first_line);
    else snprintf(buf, size, "%s", path);
    return buf;
}

/* Replaces the classes by [neg, pos] (names canonical), keeping the counts given. */
static int set_binary(gn_labels *l, const char *neg, uint64_t neg_count, const char *pos, uint64_t pos_count) {
    char nb[GN_LABEL_NAME_MAX + 32], pb[GN_LABEL_NAME_MAX + 32];
    snprintf(nb, sizeof nb, "%s", neg);
    snprintf(pb, sizeof pb, "%s", pos);
    drop_classes(l);
    double v;
    size_t nl = strlen(nb), pl = strlen(pb);
    int nnum = as_number(nb, nl, &v);
    GN_TRY(push_class(l, nb, nl, nnum, v));
    int pnum = as_number(pb, pl, &v);
    GN_TRY(push_class(l, pb, pl, pnum, v));
    l->cls[0].count = neg_count;
    l->cls[1].count = pos_count;
    l->binary = 1;
    l->standard = l->cls[1].is_num && l->cls[1].num == 1.0 && l->cls[0].is_num &&
                  (l->cls[0].num == 0.0 || l->cls[0].num == -1.0);
    return GN_OK;
}

/* Removes class i, keeping the order of the others. */
static int remove_class(gn_labels *l, size_t i) {
    free(l->cls[i].name);
    memmove(&l->cls[i], &l->cls[i + 1], (l->n - i - 1) * sizeof *l->cls);
    l->n--;
    l->last_cls = -1;
    l->last_len = 0;
    l->strings = 0;
    for (size_t k = 0; k < l->n; k++) l->strings |= !l->cls[k].is_num;
    if (l->table) {
        memset(l->table, 0, l->tsize * sizeof *l->table);
        for (size_t k = 0; k < l->n; k++) table_put(l, k);
    }
    return GN_OK;
}

static long find_name(const gn_labels *l, const char *canon) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->cls[i].name, canon) == 0) return (long)i;
    return -1;
}

static int is_std_num(const label_class *c) {
    return c->is_num && (c->num == 1.0 || c->num == 0.0 || c->num == -1.0);
}

/* Which of two classes is positive by the default rule (0 or 1), or -1 when it cannot tell. */
static int pair_positive(const label_class *a, const label_class *b) {
    int ra = gn__label_role(a->name, a->len), rb = gn__label_role(b->name, b->len);
    if ((ra > 0) != (rb > 0)) return ra > 0 ? 0 : 1;
    if ((ra < 0) != (rb < 0)) return ra < 0 ? 1 : 0;
    return -1;
}

/* Keeps classes keep[0..k) (in that order), dropping the others. */
static int keep_only(gn_labels *l, const long *keep, size_t k) {
    label_class tmp[2];
    for (size_t j = 0; j < k; j++) {
        tmp[j] = l->cls[keep[j]];
        tmp[j].name = strdup(l->cls[keep[j]].name);
        if (!tmp[j].name) {
            for (size_t q = 0; q < j; q++) free(tmp[q].name);
            return gn__fail(GN_ENOMEM, "out of memory");
        }
    }
    drop_classes(l);
    for (size_t j = 0; j < k; j++) {
        int st = push_class(l, tmp[j].name, tmp[j].len, tmp[j].is_num, tmp[j].num);
        if (st == GN_OK) {
            l->cls[j].count = tmp[j].count;
            l->cls[j].first_file = tmp[j].first_file;
            l->cls[j].first_line = tmp[j].first_line;
        }
        for (size_t q = j; st != GN_OK && q < k; q++) free(tmp[q].name);
        if (st != GN_OK) return st;
        free(tmp[j].name);
    }
    return GN_OK;
}

int gn__labels_resolve_binary(gn_labels *l, const char *positive, int skip_bad, int how,
                              const char *const *paths, size_t npaths) {
    const int partial = (how & GN_LABELS_STREAM) != 0;
    char pcanon[GN_LABEL_NAME_MAX + 32], other[GN_LABEL_NAME_MAX + 32], list[512], at[512], nb[64];
    const char *P = NULL;
    const char *from = partial ? " in the first lines of the stream (read only once)" : "";
    l->partial = partial;
    if (positive && positive[0]) {
        if (gn__label_canonical(positive, strlen(positive), pcanon, sizeof pcanon) != 0)
            return gn__fail(GN_EINVAL, "--positive: '%s' is empty or longer than %d bytes",
                            gn__utf8_shown(positive, strlen(positive), nb, sizeof nb), GN_LABEL_NAME_MAX);
        P = pcanon;
    }
    const int p_is_one = P && strcmp(P, "1") == 0;

    /* 1 with both 0 and -1: the standard classes, where 0 and -1 are one (negative) class */
    long i1 = find_name(l, "1"), i0 = find_name(l, "0"), im = find_name(l, "-1");
    if ((!P || p_is_one) && i1 >= 0 && i0 >= 0 && im >= 0) {
        l->cls[im].count += l->cls[i0].count;
        l->cls[i0].count = 0;
        label_class *a = &l->cls[i0], *b = &l->cls[im];
        if (a->first_file < b->first_file || (a->first_file == b->first_file && a->first_line < b->first_line)) {
            b->first_file = a->first_file;
            b->first_line = a->first_line;
        }
        GN_TRY(remove_class(l, (size_t)i0));
    }

    /* only standard numbers (1, 0, -1): the old numeric rule, even with one class */
    int all_std = 1;
    for (size_t i = 0; i < l->n; i++) all_std &= is_std_num(&l->cls[i]);
    if (all_std && l->n <= 2 && (!P || p_is_one)) {
        uint64_t pc = 0, ncount = 0;
        const char *neg = "0";
        for (size_t i = 0; i < l->n; i++) {
            if (l->cls[i].num == 1.0) pc += l->cls[i].count;
            else ncount += l->cls[i].count;
            if (l->cls[i].num == -1.0) neg = "-1";
        }
        if (l->n == 0 || (l->n == 1 && l->cls[0].num == 1.0)) neg = "-1";
        return set_binary(l, neg, ncount, "1", pc);
    }

    if (l->n > 2) {
        /* Two of them are the classes; lines with the others are bad lines, reported (or skipped
         * with skip_bad) in input order by the parse. Without skip_bad: the first two to appear
         * (so the first line with a third label is the error); with it: the two most frequent.
         * The positive one is always kept. */
        long keep[2] = {-1, -1};
        size_t k = 0;
        long ip = P ? find_name(l, P) : -1;
        if (P && ip < 0) {
            list_counts(l, list, sizeof list);
            return gn__fail(GN_EINVAL, "--positive '%s' is not one of the labels%s: %s", P, from, list);
        }
        if (ip >= 0) keep[k++] = ip;
        while (k < 2) {
            long best = -1;
            for (size_t i = 0; i < l->n; i++) {
                if ((long)i == keep[0]) continue;
                if (best < 0 || (skip_bad && l->cls[i].count > l->cls[best].count)) best = (long)i;
            }
            keep[k++] = best;
        }
        if (keep[0] > keep[1]) { /* appearance order */
            long t = keep[0];
            keep[0] = keep[1];
            keep[1] = t;
        }
        if (!P && pair_positive(&l->cls[keep[0]], &l->cls[keep[1]]) < 0) {
            const label_class *c = &l->cls[0];
            list_counts(l, list, sizeof list);
            return gn__fail(GN_EPARSE,
                            "%s: label '%s' is one of %s%zu distinct labels%s (%s), but a binary loss (logistic, "
                            "hinge) needs two, one of them positive: use --loss squared for regression, or "
                            "--positive VALUE",
                            where(l, c, paths, npaths, at, sizeof at), gn__utf8_shown(c->name, c->len, nb, sizeof nb),
                            how & GN_LABELS_FIRST ? "at least " : "", l->n, from, list);
        }
        GN_TRY(keep_only(l, keep, 2));
    }

    if (l->n == 2) {
        const label_class *a = &l->cls[0], *b = &l->cls[1];
        int pi;
        if (P) {
            long ip = find_name(l, P);
            if (ip < 0) {
                list_counts(l, list, sizeof list);
                return gn__fail(GN_EINVAL, "--positive '%s' is not one of the labels%s: %s", P, from, list);
            }
            pi = (int)ip;
        } else {
            pi = pair_positive(a, b);
            if (pi < 0) {
                list_counts(l, list, sizeof list);
                char nb2[64];
                return gn__fail(GN_EINVAL,
                                "%s: cannot tell which label is the positive class, '%s' (first here) or '%s'%s "
                                "(labels: %s): give --positive VALUE",
                                where(l, b, paths, npaths, at, sizeof at), gn__utf8_shown(b->name, b->len, nb, sizeof nb),
                                gn__utf8_shown(a->name, a->len, nb2, sizeof nb2), from, list);
            }
        }
        return set_binary(l, l->cls[!pi].name, l->cls[!pi].count, l->cls[pi].name, l->cls[pi].count);
    }

    if (l->n == 1) {
        const label_class *v = &l->cls[0];
        char name[GN_LABEL_NAME_MAX + 32];
        snprintf(name, sizeof name, "%s", v->name);
        uint64_t count = v->count;
        if (P) {
            if (strcmp(P, name) == 0) {
                opposite_name(name, other, sizeof other);
                return set_binary(l, other, 0, name, count);
            }
            return set_binary(l, name, count, P, 0);
        }
        int r = gn__label_role(v->name, v->len);
        opposite_name(name, other, sizeof other);
        if (r > 0) return set_binary(l, other, 0, name, count);
        if (r < 0) return set_binary(l, name, count, other, 0);
        return gn__fail(GN_EINVAL,
                        "only one label, '%s' (%llu examples)%s: give --positive VALUE to say whether it is the "
                        "positive class",
                        gn__utf8_shown(v->name, v->len, nb, sizeof nb), (unsigned long long)count, from);
    }

    /* no labels at all (P given: the standard case was taken otherwise) */
    opposite_name(P, other, sizeof other);
    return set_binary(l, other, 0, P, 0);
}

void gn__labels_describe(const gn_labels *l, char *buf, size_t size) {
    char a[64], b[64];
    if (l->n == 2 && l->binary)
        snprintf(buf, size, "'%s' and '%s' (positive)", gn__utf8_shown(l->cls[0].name, l->cls[0].len, a, sizeof a),
                 gn__utf8_shown(l->cls[1].name, l->cls[1].len, b, sizeof b));
    else
        list_counts(l, buf, size);
}

int gn__labels_binary_value(const gn_labels *l, const char *tok, size_t len, float *y, char *why) {
    const char *s = tok;
    size_t n = len;
    trim(&s, &n);
    double v = 0;
    int is_num = as_number(s, n, &v);
    if (l->standard && is_num) {
        if (v == 1.0) { *y = 1.0f; return GN_OK; }
        if (v == 0.0 || v == -1.0) { *y = -1.0f; return GN_OK; }
    } else if (!l->standard && l->n == 2) {
        if (same(&l->cls[1], is_num, v, s, n)) { *y = 1.0f; return GN_OK; }
        if (same(&l->cls[0], is_num, v, s, n)) { *y = -1.0f; return GN_OK; }
    }
    char nb[64], classes[200];
    gn__labels_describe(l, classes, sizeof classes);
    set_why(why, "label '%s' is not one of the two classes %s%s", gn__utf8_shown(s, n, nb, sizeof nb), classes,
            l->partial ? " (taken from the first lines of the stream, which is read only once)"
            : is_num && !l->strings ? "; use --loss squared for regression" : "");
    return GN_EPARSE;
}

/* ---- multiclass ---------------------------------------------------------------------------- */

static int class_order(const void *pa, const void *pb) {
    const label_class *a = pa, *b = pb;
    if (a->is_num != b->is_num) return a->is_num ? -1 : 1; /* numbers first */
    if (a->is_num) return (a->num > b->num) - (a->num < b->num);
    const size_t n = a->len < b->len ? a->len : b->len;
    const int c = memcmp(a->name, b->name, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Rebuilds the lookup after the classes moved. */
static void reindex(gn_labels *l) {
    l->last_cls = -1;
    l->last_len = 0;
    if (l->table) {
        memset(l->table, 0, l->tsize * sizeof *l->table);
        for (size_t k = 0; k < l->n; k++) table_put(l, k);
    }
}

int gn__labels_resolve_classes(gn_labels *l, int how, const char *const *paths, size_t npaths) {
    char at[512], nb[64], list[512];
    const char *stream = (how & GN_LABELS_STREAM) ? " (from the first lines of the stream, which is read only once)" : "";
    if (l->n == 0) return gn__fail(GN_EPARSE, "no labels in the input: a multiclass loss needs labelled examples");
    if (l->n == 1)
        return gn__fail(GN_EINVAL, "every label of the input is '%s' (first at %s)%s: a multiclass loss needs at "
                                   "least 2 classes",
                        gn__utf8_shown(l->cls[0].name, l->cls[0].len, nb, sizeof nb),
                        where(l, &l->cls[0], paths, npaths, at, sizeof at), stream);
    if (l->n > GN_LABELS_MAX_CLASSES) {
        list_counts(l, list, sizeof list);
        return gn__fail(GN_EINVAL, "the input has %zu classes, more than the %d a multiclass model takes (%s; the "
                                   "%zuth first at %s): is the label column right?",
                        l->n, GN_LABELS_MAX_CLASSES, list, (size_t)GN_LABELS_MAX_CLASSES + 1,
                        where(l, &l->cls[GN_LABELS_MAX_CLASSES], paths, npaths, at, sizeof at));
    }
    qsort(l->cls, l->n, sizeof *l->cls, class_order);
    reindex(l);
    l->binary = l->standard = 0;
    l->partial = (how & GN_LABELS_STREAM) != 0;
    return GN_OK;
}

int gn__labels_from_list(const char *list, gn_labels **out) {
    gn_labels *l = NULL;
    GN_TRY(gn__labels_new(&l));
    char why[GN_WHY_MAX];
    int st = GN_OK;
    size_t field = 0;
    for (const char *s = list;; field++) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        const size_t before = l->n;
        st = gn__labels_add(l, s, len, 0, 0, why);
        l->last_cls = -1; /* no run shortcut: a repeat must be seen as one */
        l->last_len = 0;
        if (st != GN_OK) {
            st = gn__fail(GN_EINVAL, "classes: class %zu: %s", field + 1, why);
            break;
        }
        if (l->n == before) {
            char nb[64];
            const char *t = s;
            size_t tl = len;
            trim(&t, &tl);
            st = gn__fail(GN_EINVAL, "classes: class %zu ('%s') repeats an earlier one", field + 1, gn__utf8_shown(t, tl, nb, sizeof nb));
            break;
        }
        if (l->n > GN_LABELS_MAX_CLASSES) {
            st = gn__fail(GN_EINVAL, "classes: more than %d classes", GN_LABELS_MAX_CLASSES);
            break;
        }
        if (!comma) break;
        s = comma + 1;
    }
    if (st == GN_OK && l->n < 2) st = gn__fail(GN_EINVAL, "classes: a multiclass loss needs at least 2 classes (got '%s')", list);
    if (st != GN_OK) {
        gn__labels_free(l);
        return st;
    }
    for (size_t i = 0; i < l->n; i++) l->cls[i].count = 0;
    *out = l;
    return GN_OK;
}

int gn__labels_from_names(const char *const *names, size_t n, gn_labels **out) {
    if (!names || n < 2 || n > GN_LABELS_MAX_CLASSES)
        return gn__fail(GN_EINVAL, "classes: a multiclass loss needs 2 to %d classes (got %zu)", GN_LABELS_MAX_CLASSES, n);
    gn_labels *l = NULL;
    GN_TRY(gn__labels_new(&l));
    char why[GN_WHY_MAX];
    int st = GN_OK;
    for (size_t i = 0; i < n && st == GN_OK; i++) {
        const size_t before = l->n;
        if (!names[i]) st = gn__fail(GN_EINVAL, "classes: class %zu has no name", i + 1);
        else if ((st = gn__labels_add(l, names[i], strlen(names[i]), 0, 0, why)) != GN_OK) {
            if (st != GN_ENOMEM) st = gn__fail(GN_EINVAL, "classes: class %zu: %s", i + 1, why);
        }
        else if (l->n == before) {
            char nb[64];
            st = gn__fail(GN_EINVAL, "classes: class %zu ('%s') repeats an earlier one", i + 1,
                          gn__utf8_shown(names[i], strlen(names[i]), nb, sizeof nb));
        }
        l->last_cls = -1; /* no run shortcut: a repeat must be seen as one */
        l->last_len = 0;
    }
    if (st != GN_OK) {
        gn__labels_free(l);
        return st;
    }
    for (size_t i = 0; i < l->n; i++) l->cls[i].count = 0;
    *out = l;
    return GN_OK;
}

int gn__labels_class_value(const gn_labels *l, const char *tok, size_t len, float *y, char *why) {
    const char *s = tok;
    size_t n = len;
    trim(&s, &n);
    double v = 0;
    const int is_num = as_number(s, n, &v);
    const long i = find_key(l, is_num, v, s, n);
    if (i >= 0) {
        *y = (float)i;
        return GN_OK;
    }
    char nb[64], names[200];
    size_t o = 0;
    names[0] = '\0';
    for (size_t k = 0; k < l->n; k++) {
        char cb[64];
        int w = snprintf(names + o, sizeof names - o, "%s'%s'", k ? ", " : "", gn__utf8_shown(l->cls[k].name, l->cls[k].len, cb, sizeof cb));
        if (w < 0 || o + (size_t)w >= sizeof names - 8) {
            snprintf(names + o, sizeof names - o, ", ...");
            break;
        }
        o += (size_t)w;
    }
    set_why(why, "label '%s' is not one of the %zu classes (%s)%s", n ? gn__utf8_shown(s, n, nb, sizeof nb) : "", l->n, names,
            l->partial ? " (taken from the first lines of the stream, which is read only once)" : "");
    return GN_EPARSE;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

json_t *gn__labels_to_json(const gn_labels *l) {
    json_t *o = json_object(), *arr = json_array();
    if (!o || !arr) {
        json_decref(o);
        json_decref(arr);
        return NULL;
    }
    for (size_t i = 0; i < l->n; i++) {
        if (json_array_append_new(arr, json_stringn(l->cls[i].name, l->cls[i].len)) != 0) {
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }
    if (json_object_set_new(o, "classes", arr) != 0 ||
        (l->binary && l->n == 2 && json_object_set_new(o, "positive", json_string(l->cls[1].name)) != 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int gn__labels_from_json(const json_t *j, gn_labels **out) {
    if (!json_is_object(j)) return gn__fail(GN_EFORMAT, "labels: must be an object");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)j, key, value) {
        if (strcmp(key, "classes") != 0 && strcmp(key, "positive") != 0)
            return gn__fail(GN_EFORMAT, "labels: unknown key '%s'", key);
    }
    const json_t *arr = json_object_get(j, "classes");
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n < 1 || n > GN_LABELS_MAX)
        return gn__fail(GN_EFORMAT, "labels: 'classes' must be an array of 1 to %d names", GN_LABELS_MAX);
    gn_labels *l = NULL;
    GN_TRY(gn__labels_new(&l));
    int st = GN_OK;
    char why[GN_WHY_MAX];
    for (size_t i = 0; i < n && st == GN_OK; i++) {
        const json_t *s = json_array_get(arr, i);
        if (!json_is_string(s) || json_string_length(s) != strlen(json_string_value(s))) {
            st = gn__fail(GN_EFORMAT, "labels: class %zu is not a string", i + 1);
            break;
        }
        size_t before = l->n;
        st = gn__labels_add(l, json_string_value(s), json_string_length(s), 0, 0, why);
        if (st == GN_EPARSE || st == GN_ELIMIT) st = gn__fail(GN_EFORMAT, "labels: class %zu: %s", i + 1, why);
        else if (st == GN_OK && l->n == before) st = gn__fail(GN_EFORMAT, "labels: class %zu repeats an earlier one", i + 1);
    }
    for (size_t i = 0; i < l->n; i++) l->cls[i].count = 0;
    const json_t *pos = json_object_get(j, "positive");
    if (st == GN_OK && pos) {
        if (!json_is_string(pos) || l->n != 2 || gn__labels_find(l, json_string_value(pos), json_string_length(pos)) != 1)
            st = gn__fail(GN_EFORMAT, "labels: 'positive' must name the second of two classes");
        else {
            l->binary = 1;
            l->standard = l->cls[1].is_num && l->cls[1].num == 1.0 && l->cls[0].is_num &&
                          (l->cls[0].num == 0.0 || l->cls[0].num == -1.0);
        }
    }
    l->last_cls = -1;
    l->last_len = 0;
    if (st != GN_OK) {
        gn__labels_free(l);
        return st;
    }
    *out = l;
    return GN_OK;
}
