/* io/describe_report.c: turns what gn_describe gathered into its warnings, its JSON (the keys are
 * documented in docs/cli.md, `gannet describe`) and its readable text. Every shown text (labels,
 * categories, names) is made safe first: valid UTF-8 is kept, other bytes become \xHH, and in the
 * text output control characters are escaped too, so a quoted newline cannot break a row. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/describe_internal.h"
#include "util/error.h"
#include "util/json_safe.h"
#include "util/utf8.h"

#define SAFE_MAX (GN_DESCRIBE_TEXT_MAX * 4 + 8)
#define JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12))

/* ---- safe texts ---- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes there are not one. */
static size_t utf8_seq(const unsigned char *s, size_t len) {
    return s[0] < 0x80 ? 1 : gn__utf8_seq_len(s, len);
}

/* s[0, len) as a NUL-terminated, valid UTF-8 string in buf (SAFE_MAX bytes): invalid bytes as
 * \xHH; for text output (escape_controls) also control characters as \n, \t, \r or \xHH. A text
 * that was cut (cut) loses a partial last character and ends in "...". */
static const char *safe(const char *s, size_t len, int cut, int escape_controls, char *buf) {
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0, i = 0;
    while (i < len && o + 8 < SAFE_MAX) {
        size_t n = utf8_seq(u + i, len - i);
        if (n == 0 && cut && len - i < 4 && u[i] >= 0xC0) break; /* a character cut in two */
        if (n == 1 && escape_controls && (u[i] < 0x20 || u[i] == 0x7f)) {
            if (u[i] == '\n') o += (size_t)snprintf(buf + o, SAFE_MAX - o, "\\n");
            else if (u[i] == '\t') o += (size_t)snprintf(buf + o, SAFE_MAX - o, "\\t");
            else if (u[i] == '\r') o += (size_t)snprintf(buf + o, SAFE_MAX - o, "\\r");
            else o += (size_t)snprintf(buf + o, SAFE_MAX - o, "\\x%02x", u[i]);
            i++;
        } else if (n == 0) {
            o += (size_t)snprintf(buf + o, SAFE_MAX - o, "\\x%02x", u[i]);
            i++;
        } else {
            memcpy(buf + o, s + i, n);
            o += n;
            i += n;
        }
    }
    if (cut || i < len) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* ---- a growing text ---- */

typedef struct text {
    char *p;
    size_t len, cap;
    int oom;
} text;

static void tprintf(text *t, const char *fmt, ...) GN_PRINTF(2, 3);
static void tprintf(text *t, const char *fmt, ...) {
    if (t->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = 1;
            return;
        }
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap < t->len + (size_t)n + 1) cap *= 2;
        char *q = realloc(t->p, cap);
        if (!q) {
            t->oom = 1;
            return;
        }
        t->p = q;
        t->cap = cap;
    }
}

/* ---- pieces ---- */

static const char *role_name(int role) {
    switch (role) {
    case GN_CSV_ROLE_LABEL: return "label";
    case GN_CSV_ROLE_NUMERIC: return "numeric";
    case GN_CSV_ROLE_CATEGORICAL: return "categorical";
    case GN_CSV_ROLE_IGNORE: return "ignored";
    case GN_CSV_ROLE_TEXT: return "text";
    default: return "auto";
    }
}

static const char *declared_name(int role) { return role == GN_CSV_ROLE_IGNORE ? "ignore" : role_name(role); }

/* The role training gives a column: a column with no role is numeric when none of its present
 * values is text. */
static int used_role(const gn__col_prof *c) {
    if (c->role != GN_CSV_ROLE_AUTO) return c->role;
    return c->texts ? GN_CSV_ROLE_CATEGORICAL : GN_CSV_ROLE_NUMERIC;
}

static double num_std(const gn__num_stats *s) { return s->n > 1 ? sqrt(s->m2 / (double)(s->n - 1)) : 0.0; }

static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }
static json_t *jint(uint64_t v) { return json_integer((json_int_t)v); }

static json_t *num_json(const gn__num_stats *s) {
    if (!s->n) return json_null();
    return json_pack("{s:o, s:o, s:o, s:o}", "min", jnum(s->min), "max", jnum(s->max), "mean", jnum(s->mean), "std",
                     jnum(num_std(s)));
}

/* The held items of a Space-Saving table, sorted (NULL when empty or out of memory: *n = 0). */
static gn_topk_item *top_items(const gn_topk *t, size_t *n) {
    *n = 0;
    if (!t || !gn__topk_size(t)) return NULL;
    gn_topk_item *items = malloc(gn__topk_size(t) * sizeof *items);
    if (items) *n = gn__topk_items(t, items);
    return items;
}

/* [{"value", "count", "share", "exact"}...] of the first k items; share of `of`. */
static json_t *values_json(const gn_topk_item *items, size_t k, uint64_t of) {
    json_t *a = json_array();
    char buf[SAFE_MAX];
    for (size_t i = 0; a && i < k; i++) {
        const gn_topk_item *it = &items[i];
        json_t *v = json_pack("{s:s, s:o, s:o, s:b}", "value", safe(it->text, it->text_len, it->text_cut, 0, buf), "count",
                              jint(it->count), "share", jnum(of ? (double)it->count / (double)of : NAN), "exact",
                              it->error == 0);
        if (!v || json_array_append_new(a, v) != 0) {
            json_decref(v);
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* How many label values to list: all when they are classes (few), else the top ones. */
static size_t label_listed(const gn_describe_report *r, size_t held) {
    if (held <= GN_LABEL_RUNS_CLASSES) return held;
    return held < r->opts.top ? held : r->opts.top;
}

static const char *label_kind(const gn_describe_report *r, uint64_t distinct) {
    if (distinct <= GN_LABEL_RUNS_CLASSES) return "classes";
    return r->label_numbers == r->examples ? "numeric" : "text";
}

/* ---- warnings ---- */

static int make_warnings(gn_describe_report *r) {
    char msg[1024], buf[SAFE_MAX];
    if (r->order.sorted) {
        gn__label_runs_message(&r->order, "use gannet train --shuffle", msg, sizeof msg);
        GN_TRY(gn__describe_warn(r, msg));
    }
    for (size_t i = 0; i < r->nprof; i++) {
        const gn__col_prof *c = &r->cols[i];
        const char *name = safe(r->col_names[i], strlen(r->col_names[i]), 0, 1, buf);
        if (c->role == GN_CSV_ROLE_LABEL || c->role == GN_CSV_ROLE_IGNORE) continue;
        if (c->role == GN_CSV_ROLE_AUTO && c->numbers && c->texts) {
            gn_topk_item first;
            memset(&first, 0, sizeof first);
            size_t n;
            gn_topk_item *items = top_items(c->top, &n);
            if (n) first = items[0];
            char tb[SAFE_MAX];
            snprintf(msg, sizeof msg,
                     "column %zu ('%s') holds numbers and text (%llu numbers, %llu texts, e.g. '%s'): training "
                     "reads its numbers as one numeric feature and each text as a category; declare it --numeric "
                     "(with --na-values for the texts that mean missing) or --categorical",
                     i + 1, name, (unsigned long long)c->numbers, (unsigned long long)c->texts,
                     n ? safe(first.text, first.text_len, first.text_cut, 1, tb) : "");
            free(items);
            GN_TRY(gn__describe_warn(r, msg));
        }
        if (c->missing == r->examples) {
            snprintf(msg, sizeof msg, "column %zu ('%s') has no values: every one is missing", i + 1, name);
            GN_TRY(gn__describe_warn(r, msg));
        }
    }
    if (r->nprof < r->ncols) {
        snprintf(msg, sizeof msg,
                 "only the first %zu of %zu columns are profiled one by one (max_columns); the other %zu are "
                 "counted together",
                 r->nprof, r->ncols, r->ncols - r->nprof);
        GN_TRY(gn__describe_warn(r, msg));
    }
    return GN_OK;
}

/* ---- JSON ---- */

static json_t *column_json(const gn_describe_report *r, size_t i) {
    const gn__col_prof *c = &r->cols[i];
    char buf[SAFE_MAX];
    const int counted = c->role != GN_CSV_ROLE_LABEL && c->role != GN_CSV_ROLE_IGNORE;
    int exact = 1;
    uint64_t distinct = counted ? gn__hll_count(&c->distinct, &exact) : 0;
    json_t *top = NULL;
    gn_topk_item *items = NULL;
    size_t n = 0;
    if (counted && used_role(c) == GN_CSV_ROLE_CATEGORICAL) {
        items = top_items(c->top, &n);
        top = values_json(items, n < r->opts.top ? n : r->opts.top, c->texts);
        free(items);
        if (!top) return NULL;
    } else {
        top = json_array();
    }
    if (!counted)
        return json_pack("{s:o, s:s, s:s, s:s, s:b, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:o}",
                         "index", jint(i + 1), "name", safe(r->col_names[i], strlen(r->col_names[i]), 0, 0, buf),
                         "role", role_name(c->role), "declared", declared_name(c->role), "inferred", 0, "present",
                         "missing", "missing_share", "numbers", "texts", "distinct", "distinct_exact", "min", "max",
                         "mean", "std", "top", top);
    const uint64_t present = c->numbers + c->texts;
    return json_pack("{s:o, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o}", "index",
                     jint(i + 1), "name", safe(r->col_names[i], strlen(r->col_names[i]), 0, 0, buf), "role",
                     role_name(used_role(c)), "declared", declared_name(c->role), "inferred",
                     c->role == GN_CSV_ROLE_AUTO, "present", jint(present), "missing", jint(c->missing),
                     "missing_share", jnum((double)c->missing / (double)r->examples), "numbers", jint(c->numbers),
                     "texts", jint(c->texts), "distinct", jint(distinct), "distinct_exact", exact, "min",
                     c->num.n ? jnum(c->num.min) : json_null(), "max", c->num.n ? jnum(c->num.max) : json_null(),
                     "mean", c->num.n ? jnum(c->num.mean) : json_null(), "std",
                     c->num.n ? jnum(num_std(&c->num)) : json_null(), "top", top);
}

static json_t *label_json(const gn_describe_report *r) {
    int exact = 1;
    uint64_t distinct = gn__hll_count(&r->label_distinct, &exact);
    size_t n;
    gn_topk_item *items = top_items(r->label_values, &n);
    size_t k = label_listed(r, n);
    json_t *values = values_json(items, k, r->examples);
    int complete = exact && k == n && distinct == n;
    free(items);
    if (!values) return NULL;
    char buf[SAFE_MAX];
    json_t *column = json_null(), *index = json_null();
    if (r->spec.format == GN_FORMAT_CSV && r->label_col != (size_t)-1) {
        index = jint(r->label_col + 1);
        column = r->label_col < r->nprof
                     ? json_string(safe(r->col_names[r->label_col], strlen(r->col_names[r->label_col]), 0, 0, buf))
                     : json_null();
    }
    return json_pack("{s:o, s:o, s:s, s:o, s:b, s:o, s:o, s:b, s:o}", "column", column, "index", index, "kind",
                     label_kind(r, distinct), "distinct", jint(distinct), "distinct_exact", exact, "numbers",
                     jint(r->label_numbers), "values", values, "values_complete", complete, "numeric",
                     r->label_numbers == r->examples ? num_json(&r->label_num) : json_null());
}

static json_t *order_json(const gn_describe_report *r) {
    const gn_label_runs_result *o = &r->order;
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b}", "runs", jint(o->runs), "segments", jint(o->segments),
                     "expected_runs", o->expected_runs > 0 ? jnum(o->expected_runs) : json_null(), "mean_run",
                     jnum(o->mean_run), "expected_mean_run",
                     o->expected_mean_run > 0 ? jnum(o->expected_mean_run) : json_null(), "classes",
                     jint(o->classes), "applies", o->applies, "sorted", o->sorted);
}

static json_t *features_json(const gn_describe_report *r) {
    int exact = 1;
    uint64_t distinct = gn__hll_count(&r->features, &exact);
    return json_pack("{s:o, s:{s:o, s:o, s:o}, s:o, s:b, s:o, s:o}", "total", jint(r->nnz), "per_example", "min",
                     jint(r->per_min), "mean", jnum((double)r->nnz / (double)r->examples), "max", jint(r->per_max),
                     "distinct", jint(distinct), "distinct_exact", exact, "value_min",
                     r->have_value ? jnum(r->value_min) : json_null(), "value_max",
                     r->have_value ? jnum(r->value_max) : json_null());
}

static json_t *namespaces_json(const gn_describe_report *r) {
    json_t *a = json_array();
    char buf[SAFE_MAX];
    for (size_t i = 0; a && i < r->nns; i++) {
        const gn__ns_prof *n = &r->ns[i];
        int exact = 1;
        uint64_t distinct = gn__hll_count(&n->distinct, &exact);
        json_t *v = json_pack("{s:s, s:o, s:o, s:o, s:o, s:b}", "name", safe(n->name, n->name_len, n->name_cut, 0, buf),
                              "examples", jint(n->examples), "features", jint(n->features), "features_per_example",
                              jnum(n->examples ? (double)n->features / (double)n->examples : 0.0), "distinct",
                              jint(distinct), "distinct_exact", exact);
        if (!v || json_array_append_new(a, v) != 0) {
            json_decref(v);
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *report_json(const gn_describe_report *r) {
    json_t *files = json_array(), *warnings = json_array(), *columns = NULL, *rest = NULL, *feat = NULL, *ns = NULL;
    char buf[SAFE_MAX];
    if (!files || !warnings) goto fail;
    for (size_t i = 0; i < r->npaths; i++)
        if (json_array_append_new(files, json_string(safe(r->paths[i], strlen(r->paths[i]), 0, 0, buf))) != 0) goto fail;
    for (size_t i = 0; i < r->nwarnings; i++)
        if (json_array_append_new(warnings, json_string(r->warnings[i])) != 0) goto fail;
    const int csv = r->spec.format == GN_FORMAT_CSV;
    if (csv) {
        if (!(columns = json_array())) goto fail;
        for (size_t i = 0; i < r->nprof; i++) {
            json_t *c = column_json(r, i);
            if (!c || json_array_append_new(columns, c) != 0) goto fail;
        }
        uint64_t cells = r->rest_missing + r->rest_present;
        rest = json_pack("{s:o, s:o, s:o}", "columns", jint(r->ncols - r->nprof), "missing", jint(r->rest_missing),
                         "missing_share", cells ? jnum((double)r->rest_missing / (double)cells) : json_null());
        if (!rest) goto fail;
    } else {
        if (!(feat = features_json(r))) goto fail;
        if (r->spec.format == GN_FORMAT_VW && !(ns = namespaces_json(r))) goto fail;
    }
    json_t *label = label_json(r), *order = order_json(r);
    if (!label || !order) {
        json_decref(label);
        json_decref(order);
        goto fail;
    }
    char sep[2] = {r->spec.sep, 0};
    json_t *j = json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                          "files", files, "format", gn_format_name(r->spec.format), "separator",
                          csv ? json_string(sep) : json_null(), "header",
                          csv ? json_boolean(r->spec.header == 1) : json_null(), "examples", jint(r->examples),
                          "skipped", jint(r->skipped), "bytes", jint(r->bytes), "seconds", jnum(r->seconds),
                          "threads", jint(r->threads), "label",
                          label, "order", order, "columns_total", csv ? jint(r->ncols) : json_null(),
                          "columns_profiled", csv ? jint(r->nprof) : json_null(), "columns",
                          columns ? columns : json_null(), "unprofiled", rest ? rest : json_null(), "features",
                          feat ? feat : json_null(), "namespaces", ns ? ns : json_null(), "warnings", warnings);
    return j; /* json_pack with "o" took every reference, also on failure */
fail:
    json_decref(files);
    json_decref(warnings);
    json_decref(columns);
    json_decref(rest);
    json_decref(feat);
    json_decref(ns);
    return NULL;
}

/* ---- text ---- */

static void fmt_count(char *buf, size_t size, uint64_t v, int exact) {
    snprintf(buf, size, "%s%llu", exact ? "" : "~", (unsigned long long)v);
}

static void text_label(const gn_describe_report *r, text *t) {
    char buf[SAFE_MAX], cnt[32];
    int exact = 1;
    uint64_t distinct = gn__hll_count(&r->label_distinct, &exact);
    fmt_count(cnt, sizeof cnt, distinct, exact);
    if (r->spec.format == GN_FORMAT_CSV && r->label_col != (size_t)-1) {
        const char *name = r->label_col < r->nprof ? r->col_names[r->label_col] : "";
        tprintf(t, "label     column %zu%s%s%s: %s distinct value%s\n", r->label_col + 1, name[0] ? " '" : "",
                name[0] ? safe(name, strlen(name), 0, 1, buf) : "", name[0] ? "'" : "", cnt, distinct == 1 ? "" : "s");
    } else {
        tprintf(t, "label     %s distinct value%s\n", cnt, distinct == 1 ? "" : "s");
    }
    size_t n;
    gn_topk_item *items = top_items(r->label_values, &n);
    size_t k = label_listed(r, n);
    for (size_t i = 0; i < k; i++) {
        const gn_topk_item *it = &items[i];
        tprintf(t, "  %-24s %s%12llu  %6.2f%%\n", safe(it->text, it->text_len, it->text_cut, 1, buf),
                it->error ? "~" : " ", (unsigned long long)it->count, 100.0 * (double)it->count / (double)r->examples);
    }
    if (k < n || (!exact || distinct > n)) tprintf(t, "  (the %zu most frequent of %s)\n", k, cnt);
    free(items);
    if (r->label_numbers == r->examples && distinct > GN_LABEL_RUNS_CLASSES)
        tprintf(t, "  numeric: min %.6g  max %.6g  mean %.6g  std %.6g\n", r->label_num.min, r->label_num.max,
                r->label_num.mean, num_std(&r->label_num));
    const gn_label_runs_result *o = &r->order;
    if (o->expected_runs > 0)
        tprintf(t, "order     %llu runs of equal labels (mean run %.2f); a random order gives about %.0f (mean run %.2f)%s\n",
                (unsigned long long)o->runs, o->mean_run, o->expected_runs, o->expected_mean_run,
                o->sorted ? ": SORTED" : "");
    else
        tprintf(t, "order     %llu runs of equal labels (no run test: too many label values)\n", (unsigned long long)o->runs);
}

/* The summary cell of a column: its numbers, or its top categories (cut at about 90 bytes). */
static void text_summary(const gn_describe_report *r, const gn__col_prof *c, text *t) {
    char buf[SAFE_MAX];
    if (used_role(c) == GN_CSV_ROLE_NUMERIC) {
        if (c->num.n)
            tprintf(t, "min %.6g  max %.6g  mean %.6g  std %.6g", c->num.min, c->num.max, c->num.mean, num_std(&c->num));
        return;
    }
    size_t n;
    gn_topk_item *items = top_items(c->top, &n);
    size_t k = n < r->opts.top ? n : r->opts.top, width = 0;
    for (size_t i = 0; i < k; i++) {
        const gn_topk_item *it = &items[i];
        char cell[SAFE_MAX + 48];
        int w = snprintf(cell, sizeof cell, "%s%s %s%llu (%.1f%%)", i ? ", " : "",
                         safe(it->text, it->text_len, it->text_cut, 1, buf), it->error ? "~" : "",
                         (unsigned long long)it->count, 100.0 * (double)it->count / (double)(c->texts ? c->texts : 1));
        if (i > 0 && width + (size_t)w > 90) {
            tprintf(t, ", ...");
            break;
        }
        tprintf(t, "%s", cell);
        width += (size_t)w;
    }
    free(items);
    if (c->numbers) tprintf(t, "%s%llu numbers", k ? "; " : "", (unsigned long long)c->numbers);
}

static void text_columns(const gn_describe_report *r, text *t) {
    size_t wname = 6;
    char buf[SAFE_MAX], cnt[32];
    for (size_t i = 0; i < r->nprof; i++) {
        size_t l = strlen(safe(r->col_names[i], strlen(r->col_names[i]), 0, 1, buf));
        if (l > wname) wname = l;
    }
    if (wname > 24) wname = 24;
    tprintf(t, "\n%5s  %-*s  %-23s %8s %9s  %s\n", "#", (int)wname, "column", "role", "missing", "distinct", "summary");
    for (size_t i = 0; i < r->nprof; i++) {
        const gn__col_prof *c = &r->cols[i];
        char role[32];
        int u = used_role(c);
        snprintf(role, sizeof role, "%s%s", role_name(u), c->role == GN_CSV_ROLE_AUTO ? " (inferred)" : "");
        const char *name = safe(r->col_names[i], strlen(r->col_names[i]), 0, 1, buf);
        if (c->role == GN_CSV_ROLE_LABEL || c->role == GN_CSV_ROLE_IGNORE) {
            tprintf(t, "%5zu  %-*.*s  %s\n", i + 1, (int)wname, (int)wname, name, role);
            continue;
        }
        int exact = 1;
        uint64_t d = gn__hll_count(&c->distinct, &exact);
        fmt_count(cnt, sizeof cnt, d, exact);
        tprintf(t, "%5zu  %-*.*s  %-23s %7.2f%% %9s  ", i + 1, (int)wname, (int)wname, name, role,
                100.0 * (double)c->missing / (double)r->examples, cnt);
        text_summary(r, c, t);
        tprintf(t, "\n");
    }
    if (r->nprof < r->ncols) {
        uint64_t cells = r->rest_missing + r->rest_present;
        tprintf(t, "%5s  %zu more columns (not profiled one by one): %.2f%% missing\n", "...", r->ncols - r->nprof,
                cells ? 100.0 * (double)r->rest_missing / (double)cells : 0.0);
    }
}

static void text_sparse(const gn_describe_report *r, text *t) {
    char cnt[32], buf[SAFE_MAX];
    int exact = 1;
    uint64_t d = gn__hll_count(&r->features, &exact);
    fmt_count(cnt, sizeof cnt, d, exact);
    tprintf(t, "features  per example: min %llu  mean %.2f  max %llu; %s distinct; values in [%.6g, %.6g]\n",
            (unsigned long long)r->per_min, (double)r->nnz / (double)r->examples, (unsigned long long)r->per_max, cnt,
            r->have_value ? r->value_min : 0.0, r->have_value ? r->value_max : 0.0);
    if (r->spec.format != GN_FORMAT_VW) return;
    tprintf(t, "\n%-20s %12s %12s %10s %10s\n", "namespace", "examples", "features", "per ex.", "distinct");
    for (size_t i = 0; i < r->nns; i++) {
        const gn__ns_prof *n = &r->ns[i];
        uint64_t nd = gn__hll_count(&n->distinct, &exact);
        fmt_count(cnt, sizeof cnt, nd, exact);
        tprintf(t, "%-20s %12llu %12llu %10.2f %10s\n", n->name_len ? safe(n->name, n->name_len, n->name_cut, 1, buf) : "(none)",
                (unsigned long long)n->examples, (unsigned long long)n->features,
                n->examples ? (double)n->features / (double)n->examples : 0.0, cnt);
    }
    if (r->ns_rest_features)
        tprintf(t, "(and %llu features in namespaces past the first %d)\n", (unsigned long long)r->ns_rest_features,
                GN_DESCRIBE_NAMESPACES);
}

static char *report_text(const gn_describe_report *r) {
    text t = {0};
    char buf[SAFE_MAX];
    tprintf(&t, "data      ");
    for (size_t i = 0; i < r->npaths; i++)
        tprintf(&t, "%s%s", i ? ", " : "", safe(r->paths[i], strlen(r->paths[i]), 0, 1, buf));
    tprintf(&t, " (%s", gn_format_name(r->spec.format));
    if (r->spec.format == GN_FORMAT_CSV)
        tprintf(&t, ", separator %s, %s", r->spec.sep == '\t' ? "tab" : (char[4]){'\'', r->spec.sep, '\'', 0},
                r->spec.header == 1 ? "header" : "no header");
    tprintf(&t, ")\n          %llu examples, %llu bad lines skipped, %.1f MB read in %.2f s\n",
            (unsigned long long)r->examples, (unsigned long long)r->skipped, (double)r->bytes / 1e6, r->seconds);
    text_label(r, &t);
    if (r->spec.format == GN_FORMAT_CSV) text_columns(r, &t);
    else text_sparse(r, &t);
    if (r->nwarnings) {
        tprintf(&t, "\nwarnings:\n");
        for (size_t i = 0; i < r->nwarnings; i++) tprintf(&t, "  - %s\n", r->warnings[i]);
    }
    if (t.oom) {
        free(t.p);
        return NULL;
    }
    return t.p;
}

int gn__describe_render(gn_describe_report *r) {
    GN_TRY(make_warnings(r));
    json_t *j = report_json(r);
    if (!j) return gn__fail(GN_ENOMEM, "out of memory (describe report)");
    r->json = gn__json_dumps(j, JSON_FLAGS);
    json_decref(j);
    if (!r->json) return gn__fail(GN_ENOMEM, "out of memory (describe report)");
    if (!(r->text = report_text(r))) return gn__fail(GN_ENOMEM, "out of memory (describe report)");
    return GN_OK;
}
