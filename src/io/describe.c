/* io/describe.c: gn_describe, one streaming pass that profiles data as training reads it (see
 * gannet/describe.h). Lines come from a sequential gn_source, so format detection, the CSV
 * header rule, leading blank and comment lines, over-long lines and --skip-bad counting are
 * training's own. Then:
 * - CSV: the parser splits, unquotes and classifies every field (gn__parser_csv_*: missing,
 *   number, category, or a value that makes the line bad); a line is checked whole before any
 *   of it is counted, so a skipped bad line leaves no trace in the profile;
 * - LIBSVM and VW: the label token is taken as text here, and the rest of the line goes through
 *   a parser with no bias, 2^30 slots (so LIBSVM indices keep their identity and hashed names
 *   almost never collide) and labels not required: its errors are training's, and its example
 *   gives the features; VW namespaces come from a light scan of the same text.
 * Every count is bounded: see the caps in io/describe_internal.h and gannet/describe.h. The
 * JSON and the text are made by io/describe_report.c. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/gannet.h"
#include "hash/hash.h"
#include "io/batch.h"
#include "io/describe_internal.h"
#include "io/numparse.h"
#include "io/source.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/error.h"

#define WHY(...) snprintf(why, GN_WHY_MAX, __VA_ARGS__)

/* Seeds that keep the hashes of texts and of numbers apart. */
#define TEXT_SEED 0x6a09e667f3bcc909ull
#define NUM_SEED 0xbb67ae8584caa73bull

void gn_describe_options_init(gn_describe_options *o) {
    memset(o, 0, sizeof *o);
    o->top = 10;
    o->max_columns = 1024;
    o->threads = 0;
}

gn_status gn_describe_options_check(const gn_describe_options *o) {
    if (o->top < 1 || o->top > GN_DESCRIBE_TOP_MAX)
        return gn__fail(GN_EINVAL, "top must be in [1, %d] (got %u)", GN_DESCRIBE_TOP_MAX, (unsigned)o->top);
    if (o->threads > 1024) return gn__fail(GN_EINVAL, "threads must be in [0, 1024] (got %u)", (unsigned)o->threads);
    if (o->max_columns < 1 || o->max_columns > GN_DESCRIBE_COLUMNS_MAX)
        return gn__fail(GN_EINVAL, "max_columns must be in [1, %d] (got %u)", GN_DESCRIBE_COLUMNS_MAX,
                        (unsigned)o->max_columns);
    return GN_OK;
}

static inline uint64_t text_id(const char *s, size_t len) { return gn__hash64(s, len, TEXT_SEED); }

static inline uint64_t num_id(double d) {
    if (d == 0.0) d = 0.0; /* -0 and 0 are one value */
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return gn__mix64(bits ^ NUM_SEED);
}

/* Space-Saving capacity for a column's categories: 8 counters per value shown, 128 to 512 (a
 * column with at most that many distinct categories is counted exactly). */
static size_t top_capacity(const gn_describe_options *o) {
    size_t c = (size_t)o->top * 8;
    return c < 128 ? 128 : c > 512 ? 512 : c;
}

int gn__describe_warn(gn_describe_report *r, const char *msg) {
    char **w = realloc(r->warnings, (r->nwarnings + 1) * sizeof *w);
    if (!w) return gn__fail(GN_ENOMEM, "out of memory");
    r->warnings = w;
    if (!(w[r->nwarnings] = strdup(msg))) return gn__fail(GN_ENOMEM, "out of memory");
    r->nwarnings++;
    return GN_OK;
}

/* ---- the label, as text ---- */

static int add_label(gn_describe_report *r, const char *v, size_t vl) {
    uint64_t id = text_id(v, vl);
    gn__topk_add(r->label_values, id, v, vl);
    if (gn__hll_add(&r->label_distinct, id) != 0) return gn__fail(GN_ENOMEM, "out of memory");
    gn__label_runs_add(&r->runs, id);
    double d;
    if (gn__parse_double(v, v + vl, &d) == v + vl && isfinite(d)) {
        r->label_numbers++;
        gn__num_add(&r->label_num, d);
    }
    return GN_OK;
}

/* ---- CSV ---- */

typedef struct csv_state {
    gn_parser *p;            /* the source's (not owned) */
    unsigned char *cls;      /* per column: GN_CSV_* of the record being checked */
    double *num;             /* per column: its number */
} csv_state;

static int csv_setup(gn_describe_report *r, csv_state *cs, gn_parser *p) {
    cs->p = p;
    r->ncols = gn__parser_columns(p);
    r->label_col = gn__parser_csv_label(p);
    r->nprof = r->ncols < r->opts.max_columns ? r->ncols : r->opts.max_columns;
    cs->cls = malloc(r->ncols ? r->ncols : 1);
    cs->num = malloc((r->ncols ? r->ncols : 1) * sizeof *cs->num);
    r->cols = calloc(r->nprof ? r->nprof : 1, sizeof *r->cols);
    r->col_names = calloc(r->nprof ? r->nprof : 1, sizeof *r->col_names);
    if (!cs->cls || !cs->num || !r->cols || !r->col_names) return gn__fail(GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->nprof; i++) {
        r->cols[i].role = gn__parser_csv_role(p, i);
        gn__hll_init(&r->cols[i].distinct);
        if (!(r->col_names[i] = strdup(gn__parser_csv_name(p, i)))) return gn__fail(GN_ENOMEM, "out of memory");
    }
    return GN_OK;
}

static void csv_free(csv_state *cs) {
    free(cs->cls);
    free(cs->num);
}

/* One record: GN_OK (counted), GN_EOF (blank), GN_EPARSE (why), GN_ENOMEM. */
static int csv_record(gn_describe_report *r, csv_state *cs, const char *line, size_t len, char *why) {
    gn_parser *p = cs->p;
    int st = gn__parser_csv_split(p, line, len, why);
    if (st != GN_OK) return st;
    /* check the whole record first: a bad one is skipped whole, as training skips it */
    const size_t lc = r->label_col;
    size_t vl;
    const char *v;
    if (lc != (size_t)-1) {
        if (!(v = gn__parser_csv_field(p, lc, &vl))) return GN_ENOMEM;
        if (gn__parser_csv_missing(p, v, vl)) {
            char ref[96];
            WHY("%s: missing label", gn__parser_csv_column_ref(p, lc, ref, sizeof ref));
            return GN_EPARSE;
        }
    }
    for (size_t i = 0; i < r->ncols; i++) {
        int role = i < r->nprof ? r->cols[i].role : gn__parser_csv_role(p, i);
        if (role == GN_CSV_ROLE_LABEL || role == GN_CSV_ROLE_IGNORE) {
            cs->cls[i] = GN_CSV_MISSING;
            continue;
        }
        if (!(v = gn__parser_csv_field(p, i, &vl))) return GN_ENOMEM;
        int c = gn__parser_csv_value(p, i, v, vl, &cs->num[i], why);
        if (c < 0) return GN_EPARSE;
        cs->cls[i] = (unsigned char)c;
    }
    /* count it */
    if (lc != (size_t)-1) {
        if (!(v = gn__parser_csv_field(p, lc, &vl))) return GN_ENOMEM;
        GN_TRY(add_label(r, v, vl));
    }
    for (size_t i = 0; i < r->ncols; i++) {
        if (i >= r->nprof) {
            int role = gn__parser_csv_role(p, i);
            if (role == GN_CSV_ROLE_LABEL || role == GN_CSV_ROLE_IGNORE) continue;
            if (cs->cls[i] == GN_CSV_MISSING) r->rest_missing++;
            else r->rest_present++;
            continue;
        }
        gn__col_prof *c = &r->cols[i];
        if (c->role == GN_CSV_ROLE_LABEL || c->role == GN_CSV_ROLE_IGNORE) continue;
        switch (cs->cls[i]) {
        case GN_CSV_MISSING:
            c->missing++;
            break;
        case GN_CSV_NUMBER:
            c->numbers++;
            gn__num_add(&c->num, cs->num[i]);
            uint64_t nid = num_id(cs->num[i]);
            if (nid != c->last_id && gn__hll_add(&c->distinct, nid) != 0) return GN_ENOMEM;
            c->last_id = nid;
            break;
        default: {
            c->texts++;
            if (!(v = gn__parser_csv_field(p, i, &vl))) return GN_ENOMEM;
            uint64_t id = text_id(v, vl);
            if (id != c->last_id && gn__hll_add(&c->distinct, id) != 0) return GN_ENOMEM;
            c->last_id = id;
            if (!c->top && gn__topk_new(top_capacity(&r->opts), GN_DESCRIBE_TEXT_MAX, &c->top) != 0) return GN_ENOMEM;
            gn__topk_add(c->top, id, v, vl);
            break;
        }
        }
    }
    return GN_OK;
}

/* ---- LIBSVM and VW ---- */

typedef struct sparse_state {
    gn_parser *p;        /* features only (owned) */
    gn_batch b;
    int vw;
    char *scratch;       /* a line whose label is not a number, shown to the parser with 0 */
    size_t scratch_cap;
} sparse_state;

static inline int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* The namespace with this name, made on first sight; NULL past the cap. */
static gn__ns_prof *find_ns(gn_describe_report *r, const char *name, size_t len) {
    uint64_t id = gn__hash_namespace(name, len);
    for (size_t i = 0; i < r->nns; i++)
        if (r->ns[i].id == id) return &r->ns[i];
    if (r->nns == GN_DESCRIBE_NAMESPACES) return NULL;
    gn__ns_prof *n = &r->ns[r->nns++];
    memset(n, 0, sizeof *n);
    n->id = id;
    n->name_cut = len > sizeof n->name;
    n->name_len = len > sizeof n->name ? sizeof n->name : len;
    memcpy(n->name, name, n->name_len);
    n->last_example = UINT64_MAX;
    gn__hll_init(&n->distinct);
    return n;
}

/* The namespaces of a VW line's feature part [s, end) (already accepted by the parser): examples
 * using each, its features (non-zero values) and distinct feature names. */
static int vw_namespaces(gn_describe_report *r, const char *s, const char *end) {
    gn__ns_prof *ns = NULL;
    uint64_t seed = 0;
    const uint64_t example = r->examples;
    while (s < end) {
        if (*s == '|') {
            const char *name = ++s;
            while (s < end && !is_space(*s) && *s != ':' && *s != '|') s++;
            ns = find_ns(r, name, (size_t)(s - name));
            seed = gn__hash_namespace(name, (size_t)(s - name));
            if (ns && ns->last_example != example) {
                ns->last_example = example;
                ns->examples++;
            }
            while (s < end && !is_space(*s) && *s != '|') s++; /* a :scale */
            continue;
        }
        if (is_space(*s)) {
            s++;
            continue;
        }
        const char *f = s;
        while (s < end && !is_space(*s) && *s != ':' && *s != '|') s++;
        const char *fe = s;
        double v = 1.0;
        if (s < end && *s == ':') {
            const char *ve = gn__parse_double(s + 1, end, &v);
            s = ve ? ve : s + 1;
            while (s < end && !is_space(*s) && *s != '|') s++;
        }
        if (fe == f || v == 0.0) continue;
        if (!ns) {
            r->ns_rest_features++;
            continue;
        }
        ns->features++;
        if (gn__hll_add(&ns->distinct, gn__hash64(f, (size_t)(fe - f), seed)) != 0) return GN_ENOMEM;
    }
    return GN_OK;
}

/* The label token of a LIBSVM line (the first token, unless it is a feature) or of a VW line
 * (the first token before the first '|' that is not a 'tag). GN_OK, GN_EOF (a blank or comment
 * line), GN_EPARSE (no label, why filled; training refuses such a line too), or GN_EINVAL for a
 * VW line with no '|' (the parser names that error). *bar: VW, where the features start. */
static int label_token(int vw, const char *line, size_t len, const char **tok, size_t *tl, const char **bar,
                       char *why) {
    const char *end = line + len, *s = line;
    if (!vw) {
        const char *hash = memchr(line, '#', len);
        if (hash) end = hash;
    }
    while (s < end && is_space(*s)) s++;
    if (s == end) return GN_EOF;
    if (!vw) {
        const char *t = s;
        while (t < end && !is_space(*t)) t++;
        if (memchr(s, ':', (size_t)(t - s))) {
            WHY("missing label: the line starts with feature '%.*s'", (int)((t - s) > 40 ? 40 : (t - s)), s);
            return GN_EPARSE;
        }
        *tok = s;
        *tl = (size_t)(t - s);
        return GN_OK;
    }
    const char *b = memchr(s, '|', (size_t)(end - s));
    if (!b) return GN_EINVAL;
    *bar = b;
    for (const char *q = s; q < b;) {
        while (q < b && is_space(*q)) q++;
        if (q >= b) break;
        const char *te = q;
        while (te < b && !is_space(*te)) te++;
        if (*q != '\'') {
            *tok = q;
            *tl = (size_t)(te - q);
            return GN_OK;
        }
        q = te;
    }
    WHY("missing label before '|'");
    return GN_EPARSE;
}

static int sparse_record(gn_describe_report *r, sparse_state *ss, const char *line, size_t len, uint64_t key,
                         char *why) {
    const char *tok = NULL, *bar = NULL;
    size_t tl = 0;
    int st = label_token(ss->vw, line, len, &tok, &tl, &bar, why);
    if (st == GN_EOF || st == GN_EPARSE) return st;
    gn__batch_clear(&ss->b);
    if (st == GN_EINVAL) { /* VW without '|': the parser's error */
        st = gn__parser_line(ss->p, line, len, key, &ss->b, why);
        if (st != GN_OK) return st;
        WHY("internal: a VW line without '|' was accepted");
        return GN_EINTERNAL;
    }
    /* The parser (labels not required) checks the line as training does; a label that is no
     * number, which training may read through its label dictionary, is shown to it as 0. */
    double d;
    const char *pl = line;
    size_t plen = len;
    if (gn__parse_double(tok, tok + tl, &d) != tok + tl) {
        size_t head = (size_t)(tok - line), tail = len - head - tl;
        if (ss->scratch_cap < head + 1 + tail) {
            char *sc = realloc(ss->scratch, head + 1 + tail);
            if (!sc) return GN_ENOMEM;
            ss->scratch = sc;
            ss->scratch_cap = head + 1 + tail;
        }
        memcpy(ss->scratch, line, head);
        ss->scratch[head] = '0';
        memcpy(ss->scratch + head + 1, tok + tl, tail);
        pl = ss->scratch;
        plen = head + 1 + tail;
    }
    st = gn__parser_line(ss->p, pl, plen, key, &ss->b, why);
    if (st == GN_EOF) { /* a line with a label is an example */
        WHY("internal: a labelled line read as blank");
        return GN_EINTERNAL;
    }
    if (st != GN_OK) return st;
    /* counted from here on */
    GN_TRY(add_label(r, tok, tl));
    const gn_batch *b = &ss->b;
    uint64_t nf = (uint64_t)(b->start[1] - b->start[0]);
    for (size_t k = b->start[0]; k < b->start[1]; k++) {
        double v = b->value[k];
        if (!r->have_value || v < r->value_min) r->value_min = v;
        if (!r->have_value || v > r->value_max) r->value_max = v;
        r->have_value = 1;
        if (gn__hll_add(&r->features, gn__mix64(b->index[k] ^ NUM_SEED)) != 0) return GN_ENOMEM;
    }
    r->nnz += nf;
    if (r->examples == 0 || nf < r->per_min) r->per_min = nf;
    if (nf > r->per_max) r->per_max = nf;
    if (ss->vw) GN_TRY(vw_namespaces(r, bar, line + len));
    return GN_OK;
}

/* ---- the pass ---- */

static void report_free_state(gn_describe_report *r) {
    gn__topk_free(r->label_values);
    r->label_values = NULL;
    gn__hll_free(&r->label_distinct);
    for (size_t i = 0; r->cols && i < r->nprof; i++) {
        gn__hll_free(&r->cols[i].distinct);
        gn__topk_free(r->cols[i].top);
    }
    free(r->cols);
    r->cols = NULL;
    gn__hll_free(&r->features);
    for (size_t i = 0; i < r->nns; i++) gn__hll_free(&r->ns[i].distinct);
    free(r->ns);
    r->ns = NULL;
    r->nns = 0;
}

void gn_describe_report_free(gn_describe_report *r) {
    if (!r) return;
    report_free_state(r);
    for (size_t i = 0; r->col_names && i < r->nprof; i++) free(r->col_names[i]);
    free(r->col_names);
    for (size_t i = 0; r->paths && i < r->npaths; i++) free(r->paths[i]);
    free(r->paths);
    for (size_t i = 0; i < r->nwarnings; i++) free(r->warnings[i]);
    free(r->warnings);
    free(r->json);
    free(r->text);
    free(r);
}

/* An empty report for a part of the input (the state only). */
static int report_new(const gn_describe_options *o, gn_describe_report **out) {
    gn_describe_report *r = calloc(1, sizeof *r);
    if (!r) return gn__fail(GN_ENOMEM, "out of memory");
    r->opts = *o;
    r->label_col = (size_t)-1;
    gn__hll_init(&r->label_distinct);
    gn__hll_init(&r->features);
    gn__label_runs_init(&r->runs);
    if (gn__topk_new(GN_DESCRIBE_LABEL_VALUES, GN_DESCRIBE_TEXT_MAX, &r->label_values) != 0) {
        gn_describe_report_free(r);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    *out = r;
    return GN_OK;
}

/* What the parts share: the earliest bad line found so far (by key: the parts are in input
 * order), so that a part past it stops, and the first bad line of the input is the one named. */
typedef struct shared_err {
    _Atomic uint64_t key;
} shared_err;

/* One part of the input: its own source, parser and profile. */
typedef struct part_job {
    gn_describe_report *r;
    const gn_data_spec *spec;
    const char *const *paths;
    size_t npaths;
    uint32_t part, nparts;
    shared_err *err;
    int st;               /* its result */
    int failed_on_line;   /* st is about the line of err_key */
    uint64_t err_key;
    char msg[1024];
} part_job;

static void lower_err_key(shared_err *e, uint64_t key) {
    uint64_t cur = atomic_load(&e->key);
    while (key < cur && !atomic_compare_exchange_weak(&e->key, &cur, key)) {
    }
}

static int describe_part(part_job *job) {
    gn_describe_report *r = job->r;
    gn_source *src = NULL;
    csv_state cs;
    sparse_state ss;
    memset(&cs, 0, sizeof cs);
    memset(&ss, 0, sizeof ss);
    char why[GN_WHY_MAX];
    gn_data_spec spec = *job->spec;
    /* labels are read as text here; the kind only decides whether a --label naming no column
     * is an error, which it is when training. Real, not binary: a binary label would have the
     * source find its classes first (io/label_scan.c), which a profile neither needs nor may
     * fail on (regression targets, a third value) */
    spec.label_kind = GN_LABEL_REAL;
    int st = gn__source_open_part(&spec, NULL, job->paths, job->npaths, job->part, job->nparts, &src);
    if (st == GN_OK) st = gn__source_resolve(src);
    if (st != GN_OK) goto done;
    r->spec = *gn__source_spec(src);
    r->spec.label_kind = job->spec->label_kind;
    const gn_format fmt = r->spec.format;
    if (fmt == GN_FORMAT_CSV) {
        if ((st = csv_setup(r, &cs, gn__source_parser(src))) != GN_OK) goto done;
    } else {
        gn_data_spec fs = r->spec;
        fs.bits = GN_MAX_BITS;
        fs.bias = 0;
        fs.label_kind = GN_LABEL_NONE;
        if ((st = gn__parser_new(&fs, &ss.p)) != GN_OK) goto done;
        if ((st = gn__batch_init(&ss.b, 1, 64)) != GN_OK) goto done;
        ss.vw = fmt == GN_FORMAT_VW;
        if (ss.vw && !(r->ns = calloc(GN_DESCRIBE_NAMESPACES, sizeof *r->ns))) {
            st = gn__fail(GN_ENOMEM, "out of memory");
            goto done;
        }
    }
    uint64_t bad = 0;
    for (;;) {
        const char *line;
        size_t len;
        gn_source_line at;
        st = gn__source_next_line(src, &line, &len, &at);
        if (st == GN_EOF) break;
        if (st != GN_OK) { /* an over-long line or an unclosed quote without skip_bad, or I/O */
            job->failed_on_line = 1;
            job->err_key = gn__source_last_key(src);
            lower_err_key(job->err, job->err_key);
            goto done;
        }
        if (at.key > atomic_load(&job->err->key)) break; /* an earlier part failed before here */
        why[0] = '\0';
        st = fmt == GN_FORMAT_CSV ? csv_record(r, &cs, line, len, why) : sparse_record(r, &ss, line, len, at.key, why);
        if (st == GN_OK) {
            r->examples++;
            continue;
        }
        if (st == GN_EOF) continue;
        if (st == GN_EPARSE && spec.skip_bad) {
            bad++;
            continue;
        }
        const char *path = gn__source_path(src, at.file);
        unsigned long long lineno = (unsigned long long)gn__source_last_lineno(src);
        if (st == GN_ENOMEM) st = gn__fail(GN_ENOMEM, "%s:%llu: out of memory", path, lineno);
        else st = gn__fail(st, "%s:%llu: %s", path, lineno, why);
        job->failed_on_line = 1;
        job->err_key = at.key;
        lower_err_key(job->err, at.key);
        goto done;
    }
    st = GN_OK;
    r->skipped = bad + gn__source_skipped(src);
    r->bytes = gn__source_bytes_done(src);
done:
    csv_free(&cs);
    gn__parser_free(ss.p);
    gn__batch_free(&ss.b);
    free(ss.scratch);
    gn__source_free(src);
    if (st != GN_OK && !job->failed_on_line) lower_err_key(job->err, 0); /* stop every part now */
    return st;
}

static void *part_main(void *arg) {
    part_job *job = arg;
    job->st = describe_part(job);
    if (job->st != GN_OK) snprintf(job->msg, sizeof job->msg, "%s", gn_last_error());
    return NULL;
}

/* ---- merging the parts ---- */

static void num_merge(gn__num_stats *a, const gn__num_stats *b) {
    if (!b->n) return;
    if (!a->n) {
        *a = *b;
        return;
    }
    double n = (double)(a->n + b->n), d = b->mean - a->mean;
    a->m2 += b->m2 + d * d * (double)a->n * (double)b->n / n;
    a->mean += d * (double)b->n / n;
    if (b->min < a->min) a->min = b->min;
    if (b->max > a->max) a->max = b->max;
    a->n += b->n;
}

static int topk_merge(gn_topk **into, const gn_topk *from, size_t capacity) {
    if (!from) return GN_OK;
    if (!*into && gn__topk_new(capacity, GN_DESCRIBE_TEXT_MAX, into) != 0) return gn__fail(GN_ENOMEM, "out of memory");
    return gn__topk_merge(*into, from) == 0 ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
}

static int hll_merge(gn_hll *into, const gn_hll *from) {
    return gn__hll_merge(into, from) == 0 ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
}

/* Adds part b's profile to a's (both parts of the same input, so the same columns). */
static int merge_parts(gn_describe_report *a, const gn_describe_report *b) {
    if (a->ncols != b->ncols || a->nprof != b->nprof) return gn__fail(GN_EINTERNAL, "describe: parts disagree on the columns");
    const uint64_t a_examples = a->examples;
    a->examples += b->examples;
    a->skipped += b->skipped;
    a->bytes += b->bytes;
    a->label_numbers += b->label_numbers;
    num_merge(&a->label_num, &b->label_num);
    GN_TRY(hll_merge(&a->label_distinct, &b->label_distinct));
    GN_TRY(topk_merge(&a->label_values, b->label_values, GN_DESCRIBE_LABEL_VALUES));
    gn__label_runs_merge(&a->runs, &b->runs);
    for (size_t i = 0; i < a->nprof; i++) {
        gn__col_prof *x = &a->cols[i];
        const gn__col_prof *y = &b->cols[i];
        x->missing += y->missing;
        x->numbers += y->numbers;
        x->texts += y->texts;
        num_merge(&x->num, &y->num);
        GN_TRY(hll_merge(&x->distinct, &y->distinct));
        GN_TRY(topk_merge(&x->top, y->top, top_capacity(&a->opts)));
    }
    a->rest_missing += b->rest_missing;
    a->rest_present += b->rest_present;
    if (b->examples) {
        if (!a_examples || b->per_min < a->per_min) a->per_min = b->per_min;
        if (b->per_max > a->per_max) a->per_max = b->per_max;
    }
    a->nnz += b->nnz;
    if (b->have_value) {
        if (!a->have_value || b->value_min < a->value_min) a->value_min = b->value_min;
        if (!a->have_value || b->value_max > a->value_max) a->value_max = b->value_max;
        a->have_value = 1;
    }
    GN_TRY(hll_merge(&a->features, &b->features));
    a->ns_rest_features += b->ns_rest_features;
    for (size_t i = 0; i < b->nns; i++) {
        const gn__ns_prof *y = &b->ns[i];
        gn__ns_prof *x = NULL;
        for (size_t k = 0; k < a->nns && !x; k++)
            if (a->ns[k].id == y->id) x = &a->ns[k];
        if (!x && a->ns && a->nns < GN_DESCRIBE_NAMESPACES) {
            x = &a->ns[a->nns++];
            *x = *y;
            gn__hll_init(&x->distinct);
            x->examples = x->features = 0;
        }
        if (!x) {
            a->ns_rest_features += y->features;
            continue;
        }
        x->examples += y->examples;
        x->features += y->features;
        GN_TRY(hll_merge(&x->distinct, &y->distinct));
    }
    return GN_OK;
}

/* The most memory a part's column profiles may take (each part has its own), and what one column
 * may take at worst: a HyperLogLog sketch and a full Space-Saving table of texts. */
#define PROFILES_BUDGET ((size_t)512 << 20)
#define COLUMN_WORST ((size_t)(1 << GN_HLL_P) + 512 * (GN_DESCRIBE_TEXT_MAX + 96))

/* The parts to read: all cores (or opts->threads) for plain files that can be split, else 1; for
 * a table so wide that the parts' column profiles could pass PROFILES_BUDGET, fewer. */
static uint32_t part_count(const gn_describe_options *o, const gn_data_spec *spec, const char *const *paths,
                           size_t npaths) {
    uint32_t t = gn__threads_or_cores(o->threads);
    if (t > 64) t = 64;
    if (t <= 1) return 1;
    for (size_t i = 0; i < npaths; i++)
        if (strcmp(paths[i], "-") == 0) return 1;
    gn_source *src = NULL;
    int ok = gn__source_open(spec, NULL, paths, npaths, &src) == GN_OK && gn__source_splittable(src) &&
             gn__source_resolve(src) == GN_OK;
    if (ok && gn__source_parser(src)) {
        size_t cols = gn__parser_columns(gn__source_parser(src));
        if (cols > o->max_columns) cols = o->max_columns;
        size_t most = cols ? PROFILES_BUDGET / (cols * COLUMN_WORST) : t;
        if (most < t) t = most ? (uint32_t)most : 1;
    }
    gn__source_free(src);
    gn__clear_error();
    return ok ? t : 1;
}

gn_status gn_describe(const gn_describe_options *opts, const gn_data_spec *spec, const char *const *paths, size_t npaths,
                gn_describe_report **out) {
    gn__clear_error();
    gn_describe_options o;
    if (opts) o = *opts;
    else gn_describe_options_init(&o);
    GN_TRY(gn_describe_options_check(&o));
    GN_TRY(gn_data_spec_check(spec));
    if (npaths == 0) return gn__fail(GN_EINVAL, "no input files");
    const uint32_t T = part_count(&o, spec, paths, npaths);
    part_job *jobs = calloc(T, sizeof *jobs);
    pthread_t *tids = calloc(T, sizeof *tids);
    shared_err err;
    atomic_init(&err.key, UINT64_MAX);
    gn_describe_report *r = NULL;
    int st = GN_OK;
    if (!jobs || !tids) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t t = 0; t < T; t++) {
        jobs[t] = (part_job){NULL, spec, paths, npaths, t, T, &err, GN_OK, 0, UINT64_MAX, ""};
        if ((st = report_new(&o, &jobs[t].r)) != GN_OK) goto done;
    }
    double t0 = gn__now();
    uint32_t started = 1;
    for (; started < T; started++)
        if (pthread_create(&tids[started], NULL, part_main, &jobs[started]) != 0) {
            lower_err_key(&err, 0);
            break;
        }
    part_main(&jobs[0]);
    for (uint32_t t = 1; t < started; t++) pthread_join(tids[t], NULL);
    if (started < T) {
        st = gn__fail(GN_EINTERNAL, "cannot start a describe thread");
        goto done;
    }
    /* the failure earliest in the input (a bad line), else any */
    const part_job *bad = NULL;
    for (uint32_t t = 0; t < T; t++) {
        const part_job *j = &jobs[t];
        if (j->st == GN_OK) continue;
        if (!bad || (j->failed_on_line && (!bad->failed_on_line || j->err_key < bad->err_key))) bad = j;
    }
    if (bad) {
        st = gn__fail(bad->st, "%s", bad->msg);
        goto done;
    }
    r = jobs[0].r;
    jobs[0].r = NULL;
    for (uint32_t t = 1; t < T; t++)
        if ((st = merge_parts(r, jobs[t].r)) != GN_OK) goto done;
    r->seconds = gn__now() - t0;
    if (r->examples == 0) {
        st = gn__fail(GN_EPARSE, "%s: no examples in the input%s", strcmp(paths[0], "-") ? paths[0] : "<stdin>",
                      r->skipped ? " (every data line was bad)" : "");
        goto done;
    }
    if (!(r->paths = calloc(npaths, sizeof *r->paths))) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto done;
    }
    r->npaths = npaths;
    for (size_t i = 0; i < npaths; i++)
        if (!(r->paths[i] = strdup(paths[i]))) {
            st = gn__fail(GN_ENOMEM, "out of memory");
            goto done;
        }
    r->threads = T;
    gn__label_runs_judge(&r->runs, &r->order);
    if ((st = gn__describe_render(r)) != GN_OK) goto done;
    report_free_state(r);
done:
    for (uint32_t t = 0; jobs && t < T; t++) gn_describe_report_free(jobs[t].r);
    free(jobs);
    free(tids);
    if (st != GN_OK) {
        gn_describe_report_free(r);
        return st;
    }
    *out = r;
    return GN_OK;
}

const char *gn_describe_report_json(const gn_describe_report *r) { return r->json; }
const char *gn_describe_report_text(const gn_describe_report *r) { return r->text; }
size_t gn_describe_report_warnings(const gn_describe_report *r) { return r->nwarnings; }
const char *gn_describe_report_warning(const gn_describe_report *r, size_t i) {
    return i < r->nwarnings ? r->warnings[i] : NULL;
}
int gn_describe_report_sorted(const gn_describe_report *r) { return r->order.sorted; }
