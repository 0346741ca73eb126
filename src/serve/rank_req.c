/* serve/rank_req.c: the :recommend body of a feature model (serve/rank_req.h): the candidates read
 * by the streaming reader (serve/json_instances.h: no tree for 1,000 objects), the other members
 * (context, k, item_field) with jansson, then ranked by gn_model_rank_named; or, when the context
 * is a string (a text line in the model's format), the candidates' strings are text lines too,
 * ranked by gn_model_rank_lines. */
#include "serve/rank_req.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/recommend.h"
#include "model/model.h"
#include "serve/json_instances.h"
#include "serve/predict_req.h"
#include "serve/recommend_req.h"
#include "util/json_safe.h"

#define WHY(...) snprintf(why, why_size, __VA_ARGS__)

/* The candidates as read by the streaming reader (serve/json_instances.h), copied out of its
 * arena: every feature's name and string as offsets into one text buffer (pointers once all
 * are read), an item id (a string candidate) as a feature without a name (item_field, known at
 * the end). The other members' JSON text, for jansson. */
typedef struct req {
    char *text;            /* names and strings, NUL-terminated */
    size_t text_len, text_cap;
    size_t *name_at, *str_at; /* per feature: offsets into text; SIZE_MAX: item_field / a number */
    double *values;
    size_t nf, fcap;
    size_t *first;         /* per candidate: its first feature (first[n] = nf) */
    size_t n, ncap;
    const char *member[4]; /* the JSON of context, contexts, k, item_field */
    size_t member_len[4];
} req;

static const char *const member_names[4] = {"context", "contexts", "k", "item_field"};

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static size_t put_text(req *r, const char *s, size_t len) {
    if (grow((void **)&r->text, &r->text_cap, r->text_len + len + 1, 1)) return SIZE_MAX;
    const size_t at = r->text_len;
    memcpy(r->text + at, s, len);
    r->text[at + len] = '\0';
    r->text_len += len + 1;
    return at;
}

static int add_feature(req *r, size_t name_at, double v, size_t str_at) {
    size_t cap = r->fcap;
    if (grow((void **)&r->name_at, &cap, r->nf + 1, sizeof *r->name_at)) return -1;
    cap = r->fcap;
    if (grow((void **)&r->str_at, &cap, r->nf + 1, sizeof *r->str_at)) return -1;
    cap = r->fcap;
    if (grow((void **)&r->values, &cap, r->nf + 1, sizeof *r->values)) return -1;
    r->fcap = cap;
    r->name_at[r->nf] = name_at;
    r->str_at[r->nf] = str_at;
    r->values[r->nf++] = v;
    return 0;
}

static int on_candidate(void *ctx, size_t index, size_t n, const char *const *names, const double *values,
                        const char *const *strs, const char *line, size_t line_len, char *why, size_t why_size) {
    req *r = ctx;
    (void)index;
    if (grow((void **)&r->first, &r->ncap, r->n + 2, sizeof *r->first)) goto nomem;
    r->first[r->n++] = r->nf;
    if (line) { /* an item id */
        const size_t at = put_text(r, line, line_len);
        if (at == SIZE_MAX || add_feature(r, SIZE_MAX, 0.0, at)) goto nomem;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const size_t na = put_text(r, names[i], strlen(names[i]));
        const size_t sa = strs && strs[i] ? put_text(r, strs[i], strlen(strs[i])) : SIZE_MAX - 1;
        if (na == SIZE_MAX || sa == SIZE_MAX || add_feature(r, na, values[i], sa)) goto nomem;
    }
    return 0;
nomem:
    WHY("out of memory");
    return 500;
}

static int on_member(void *ctx, const char *key, const char *value, size_t len, char *why, size_t why_size) {
    req *r = ctx;
    for (int i = 0; i < 4; i++)
        if (!strcmp(key, member_names[i])) {
            if (r->member[i]) {
                WHY("'%s' given twice", key);
                return 400;
            }
            r->member[i] = value;
            r->member_len[i] = len;
            return 0;
        }
    if (!strcmp(key, "user") || !strcmp(key, "users"))
        WHY("'%s': a feature model ranks posted candidates for a context: give 'context' and 'candidates' "
            "(docs/recommend.md)",
            key);
    else
        WHY("unknown key '%.64s' (context, contexts, candidates, k, item_field)", key);
    return 400;
}

/* One context's JSON object into f (its names and strings borrowed from the jansson object).
 * 0, or 400 / 413 / 500 with why. */
static int context_features(const json_t *v, const char *at, gn_named_features *f, const char ***names,
                            double **values, const char ***strs, char *why, size_t why_size) {
    if (!json_is_object(v)) {
        WHY("%s: must be an object of feature: value, or a text line (a string)", at);
        return 400;
    }
    const size_t n = json_object_size(v);
    if (n > GN__MAX_INSTANCE_FEATURES) {
        WHY("%s: more than %u features", at, GN__MAX_INSTANCE_FEATURES);
        return 413;
    }
    *names = malloc((n + 1) * sizeof **names);
    *values = malloc((n + 1) * sizeof **values);
    *strs = malloc((n + 1) * sizeof **strs);
    if (!*names || !*values || !*strs) {
        WHY("out of memory");
        return 500;
    }
    f->n = 0;
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) {
        if (json_is_null(x)) continue; /* as :predict: a missing value */
        if (json_is_string(x)) {
            (*values)[f->n] = 0.0;
            (*strs)[f->n] = json_string_value(x);
        } else if (json_is_number(x)) {
            (*values)[f->n] = json_number_value(x);
            (*strs)[f->n] = NULL;
        } else {
            WHY("%s: feature '%.100s': value must be a number, a string or null", at, key);
            return 400;
        }
        (*names)[f->n++] = key;
    }
    f->names = *names;
    f->values = *values;
    f->strs = *strs;
    return 0;
}

/* The candidate's item_field value as JSON ("item":V,), or nothing when it has none. */
static void put_item(gn__strbuf *out, const gn_named_features *c, const char *item_field) {
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->names[i], item_field)) continue;
        if (c->strs[i]) {
            gn__sb_puts(out, "\"item\":");
            gn__sb_json_string(out, c->strs[i]);
            gn__sb_puts(out, ",");
        } else if (isfinite(c->values[i])) {
            gn__sb_printf(out, "\"item\":%.17g,", c->values[i]);
        }
        return;
    }
}

static void put_items(gn__strbuf *out, const gn_ranked *r, size_t n, const gn_named_features *cands,
                      const char *item_field) {
    char num[64];
    gn__sb_puts(out, "[");
    for (size_t j = 0; j < n; j++) {
        gn__sb_puts(out, j ? ",{" : "{");
        if (cands) put_item(out, &cands[r[j].index], item_field);
        gn__sb_printf(out, "\"index\":%zu,\"score\":", r[j].index);
        const int nl = isfinite(r[j].score) ? gn__format_prediction(r[j].score, num, sizeof num) : -1;
        if (nl > 0 && (size_t)nl < sizeof num) gn__sb_append(out, num, (size_t)nl);
        else gn__sb_puts(out, "null");
        gn__sb_puts(out, "}");
    }
    gn__sb_puts(out, "]");
}

/* why with its first `from` replaced by `to`. */
static void replace_words(char *why, size_t why_size, const char *from, const char *to) {
    char *at = strstr(why, from), t[1024];
    if (!at) return;
    snprintf(t, sizeof t, "%.*s%s%s", (int)(at - why), why, to, at + strlen(from));
    snprintf(why, why_size, "%s", t);
}

/* A small member's JSON text parsed (NULL with why and *status set when it is not JSON). */
static json_t *load_member(const char *text, size_t len, const char *key, int *status, char *why, size_t why_size) {
    json_error_t jerr;
    int oom = 0;
    json_t *v = gn__json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr, &oom);
    if (!v) {
        *status = oom ? 500 : 400;
        if (oom) WHY("out of memory");
        else WHY("'%s': %s", key, jerr.text);
    }
    return v;
}

/* The text-line form: the context (or each of contexts) a line in the model's input format, each
 * candidate a string holding a line, ranked by gn_model_rank_lines. 200, or 400 / 500 with why. */
static int rank_lines(const gn_model *m, const json_t *ctx, const json_t *ctxs, size_t nctx, const req *r, size_t k,
                      gn__strbuf *out, char *why, size_t why_size) {
    const char **lines = malloc((r->n + 1) * sizeof *lines);
    gn_ranked *ranked = malloc(k * sizeof *ranked);
    int status = 500;
    if (!lines || !ranked) {
        WHY("out of memory");
        goto done;
    }
    status = 400;
    for (size_t c = 0; c < r->n; c++) {
        const size_t f0 = r->first[c], f1 = c + 1 < r->n ? r->first[c + 1] : r->nf;
        if (f1 - f0 != 1 || r->name_at[f0] != SIZE_MAX) {
            WHY("candidate %zu: with a text-line context each candidate is a text line (a string), not an object", c);
            goto done;
        }
        lines[c] = r->text + r->str_at[f0];
    }
    if (ctxs) gn__sb_puts(out, "\"results\":[");
    for (size_t j = 0; j < nctx; j++) {
        const json_t *x = ctxs ? json_array_get(ctxs, j) : ctx;
        size_t n = 0;
        const gn_status st = gn_model_rank_lines(m, json_string_value(x), lines, r->n, k, ranked, &n);
        if (st != GN_OK) {
            if (ctxs) WHY("contexts %zu: %s", j, gn_last_error());
            else WHY("%s", gn_last_error());
            status = st == GN_ENOMEM ? 500 : 400;
            goto done;
        }
        if (ctxs) gn__sb_puts(out, j ? ",{\"items\":" : "{\"items\":");
        else gn__sb_puts(out, "\"items\":");
        put_items(out, ranked, n, NULL, NULL);
        if (ctxs) gn__sb_puts(out, "}");
    }
    if (ctxs) gn__sb_puts(out, "]");
    status = 200;
    if (gn__sb_failed(out)) {
        WHY("out of memory");
        status = 500;
    }
done:
    free((void *)lines);
    free(ranked);
    return status;
}

int gn__rank_body(const gn_model *m, const char *body, size_t len, size_t max_batch, gn__strbuf *out, size_t *count,
                  char *why, size_t why_size) {
    *count = 0;
    if (gn_model_outputs(m) != 1) {
        WHY("the model is multiclass (%zu outputs): :recommend ranks by one score", gn_model_outputs(m));
        return 400;
    }
    req r;
    memset(&r, 0, sizeof r);
    int found = 0, status = gn__json_instances_at(body, len, "candidates", max_batch, GN__MAX_INSTANCE_FEATURES,
                                                  on_candidate, on_member, &r, &found, why, why_size);
    json_t *ctx = NULL, *ctxs = NULL, *k = NULL, *item = NULL;
    gn_named_features *cands = NULL;
    const char **names = NULL, **strs = NULL, **cnames = NULL, **cstrs = NULL;
    double *cvalues = NULL;
    gn_ranked *ranked = NULL;
    size_t nctx = 1;
    if (status != 200) {
        replace_words(why, why_size, " instances in one request", " candidates in one request");
        char *inst = strstr(why, "instance "); /* the reader's words for a candidate */
        if (inst) {
            char t[1024];
            const char *line = strstr(inst, "a text line");
            const int pre = (int)(inst - why);
            if (line)
                snprintf(t, sizeof t, "%.*scandidate %.*san item id (string)", pre, why, (int)(line - inst - 9), inst + 9);
            else snprintf(t, sizeof t, "%.*scandidate %s", pre, why, inst + 9);
            snprintf(why, why_size, "%s", t);
        }
        goto done;
    }
    status = 400;
    if (!found) {
        WHY("'candidates' is missing: an array of feature objects or item ids to rank");
        goto done;
    }
    if ((r.member[0] && !(ctx = load_member(r.member[0], r.member_len[0], "context", &status, why, why_size))) ||
        (r.member[1] && !(ctxs = load_member(r.member[1], r.member_len[1], "contexts", &status, why, why_size))) ||
        (r.member[2] && !(k = load_member(r.member[2], r.member_len[2], "k", &status, why, why_size))) ||
        (r.member[3] && !(item = load_member(r.member[3], r.member_len[3], "item_field", &status, why, why_size))))
        goto done;
    status = 400;
    if (ctx && ctxs) {
        WHY("give 'context' or 'contexts' (an array), not both");
        goto done;
    }
    if (ctxs && !json_is_array(ctxs)) {
        WHY("'contexts' must be an array of objects (or of text lines)");
        goto done;
    }
    size_t kk = 10;
    if (k) {
        if (!json_is_integer(k) || json_integer_value(k) < 1 || json_integer_value(k) > GN__RECOMMEND_MAX_K) {
            WHY("'k' must be an integer in 1..%u", GN__RECOMMEND_MAX_K);
            goto done;
        }
        kk = (size_t)json_integer_value(k);
    }
    if (item && (!json_is_string(item) || !json_string_length(item))) {
        WHY("'item_field' must be a non-empty string (the feature an item id goes to)");
        goto done;
    }
    const char *item_field = item ? json_string_value(item) : "item";
    nctx = ctxs ? json_array_size(ctxs) : 1;
    if (nctx > max_batch) {
        WHY("%zu contexts; the limit is %zu per request (--max-batch)", nctx, max_batch);
        status = 413;
        goto done;
    }
    if (r.n && nctx > GN__RECOMMEND_MAX_LIST / r.n) {
        WHY("%zu contexts x %zu candidates; the limit is %u scores per request", nctx, r.n, GN__RECOMMEND_MAX_LIST);
        status = 413;
        goto done;
    }
    /* a context given as a text line: the candidates are text lines too */
    int lines = ctx ? json_is_string(ctx) : 0;
    for (size_t j = 0; ctxs && j < nctx; j++) {
        const int sj = json_is_string(json_array_get(ctxs, j));
        if (j && sj != lines) {
            WHY("'contexts': give all text lines (strings) or all objects, not both");
            goto done;
        }
        lines = sj;
    }
    if (lines && item) {
        WHY("'item_field' does not apply to text-line candidates (a line has no item id)");
        goto done;
    }
    if (lines) {
        status = rank_lines(m, ctx, ctxs, nctx, &r, kk, out, why, why_size);
        if (status == 200) *count = nctx * r.n;
        goto done;
    }
    /* the candidates as named features: the offsets made pointers */
    cands = malloc((r.n + 1) * sizeof *cands);
    names = malloc((r.nf + 1) * sizeof *names);
    strs = malloc((r.nf + 1) * sizeof *strs);
    ranked = malloc(kk * sizeof *ranked);
    if (!cands || !names || !strs || !ranked) {
        WHY("out of memory");
        status = 500;
        goto done;
    }
    for (size_t i = 0; i < r.nf; i++) {
        names[i] = r.name_at[i] == SIZE_MAX ? item_field : r.text + r.name_at[i];
        strs[i] = r.str_at[i] >= SIZE_MAX - 1 ? NULL : r.text + r.str_at[i];
    }
    if (r.n) r.first[r.n] = r.nf;
    for (size_t c = 0; c < r.n; c++) {
        cands[c].n = r.first[c + 1] - r.first[c];
        cands[c].names = names + r.first[c];
        cands[c].values = r.values + r.first[c];
        cands[c].strs = strs + r.first[c];
    }
    if (ctxs) gn__sb_puts(out, "\"results\":[");
    for (size_t j = 0; j < nctx; j++) {
        const json_t *x = ctxs ? json_array_get(ctxs, j) : ctx;
        gn_named_features f = {0, NULL, NULL, NULL};
        char at[48];
        if (ctxs) snprintf(at, sizeof at, "contexts %zu", j);
        else snprintf(at, sizeof at, "context");
        free((void *)cnames), free(cvalues), free((void *)cstrs);
        cnames = NULL, cvalues = NULL, cstrs = NULL;
        if (x && (status = context_features(x, at, &f, &cnames, &cvalues, &cstrs, why, why_size))) goto done;
        size_t n = 0;
        const gn_status st = gn_model_rank_named(m, &f, cands, r.n, kk, ranked, &n);
        if (st != GN_OK) {
            if (ctxs) WHY("contexts %zu: %s", j, gn_last_error());
            else WHY("%s", gn_last_error());
            status = st == GN_ENOMEM || st == GN_EUNSUPPORTED ? 500 : 400;
            goto done;
        }
        if (ctxs) gn__sb_puts(out, j ? ",{\"items\":" : "{\"items\":");
        else gn__sb_puts(out, "\"items\":");
        put_items(out, ranked, n, cands, item_field);
        if (ctxs) gn__sb_puts(out, "}");
    }
    if (ctxs) gn__sb_puts(out, "]");
    if (gn__sb_failed(out)) {
        WHY("out of memory");
        status = 500;
        goto done;
    }
    *count = nctx * r.n;
    status = 200;
done:
    json_decref(ctx);
    json_decref(ctxs);
    json_decref(k);
    json_decref(item);
    free(cands);
    free((void *)names);
    free((void *)strs);
    free((void *)cnames);
    free(cvalues);
    free((void *)cstrs);
    free(ranked);
    free(r.text);
    free(r.name_at);
    free(r.str_at);
    free(r.values);
    free(r.first);
    return status;
}
