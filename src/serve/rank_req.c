/* serve/rank_req.c: the :recommend body of a feature model (serve/rank_req.h): the JSON read with
 * jansson into named features (borrowed from the tree), ranked by gn_model_rank_named. */
#include "serve/rank_req.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/recommend.h"
#include "model/model.h"
#include "serve/predict_req.h"
#include "serve/recommend_req.h"
#include "util/json_safe.h"

#define WHY(...) snprintf(why, why_size, __VA_ARGS__)

/* Every feature of the request, in three parallel arrays the gn_named_features point into. */
typedef struct pool {
    const char **names;
    double *values;
    const char **strs;
    size_t used, cap;
} pool;

/* A JSON feature object (or, for a candidate given as a string, {item_field: id}) into f. Returns
 * 0 or 400 / 413 with why set; nulls are dropped, as :predict drops them. */
static int to_features(const json_t *v, const char *item_field, const char *what, size_t i, pool *p,
                       gn_named_features *f, char *why, size_t why_size) {
    char at[48];
    if (strcmp(what, "context") == 0) snprintf(at, sizeof at, "context");
    else snprintf(at, sizeof at, "%s %zu", what, i);
    f->n = 0;
    f->names = p->names + p->used;
    f->values = p->values + p->used;
    f->strs = p->strs + p->used;
    if (json_is_string(v) && strcmp(what, "candidate") == 0) {
        p->names[p->used] = item_field;
        p->values[p->used] = 0.0;
        p->strs[p->used++] = json_string_value(v);
        f->n = 1;
        return 0;
    }
    if (!json_is_object(v)) {
        WHY("%s: must be an object of feature: value%s", at, strcmp(what, "candidate") ? "" : " or an item id (string)");
        return 400;
    }
    if (json_object_size(v) > GN__MAX_INSTANCE_FEATURES) {
        WHY("%s: more than %u features", at, GN__MAX_INSTANCE_FEATURES);
        return 413;
    }
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) {
        if (json_is_null(x)) continue;
        if (json_is_string(x)) {
            p->values[p->used] = 0.0;
            p->strs[p->used] = json_string_value(x);
        } else if (json_is_number(x)) {
            p->values[p->used] = json_number_value(x);
            p->strs[p->used] = NULL;
        } else {
            WHY("%s: feature '%.100s': value must be a number, a string or null", at, key);
            return 400;
        }
        p->names[p->used++] = key;
        f->n++;
    }
    return 0;
}

/* The candidate's item_field value as JSON, or nothing when it has none. */
static void put_item(gn__strbuf *out, const json_t *cand, const char *item_field) {
    const json_t *id = json_is_string(cand) ? cand : json_object_get(cand, item_field);
    if (json_is_string(id)) {
        gn__sb_puts(out, "\"item\":");
        gn__sb_json_string(out, json_string_value(id));
        gn__sb_puts(out, ",");
    } else if (json_is_integer(id)) {
        gn__sb_printf(out, "\"item\":%lld,", (long long)json_integer_value(id));
    } else if (json_is_real(id) && isfinite(json_real_value(id))) {
        gn__sb_printf(out, "\"item\":%.17g,", json_real_value(id));
    }
}

static void put_items(gn__strbuf *out, const gn_ranked *r, size_t n, const json_t *cands, const char *item_field) {
    char num[64];
    gn__sb_puts(out, "[");
    for (size_t j = 0; j < n; j++) {
        gn__sb_puts(out, j ? ",{" : "{");
        put_item(out, json_array_get(cands, r[j].index), item_field);
        gn__sb_printf(out, "\"index\":%zu,\"score\":", r[j].index);
        const int nl = isfinite(r[j].score) ? gn__format_prediction(r[j].score, num, sizeof num) : -1;
        if (nl > 0 && (size_t)nl < sizeof num) gn__sb_append(out, num, (size_t)nl);
        else gn__sb_puts(out, "null");
        gn__sb_puts(out, "}");
    }
    gn__sb_puts(out, "]");
}

int gn__rank_body(const gn_model *m, const char *body, size_t len, size_t max_batch, gn__strbuf *out, size_t *count,
                  char *why, size_t why_size) {
    *count = 0;
    if (gn_model_outputs(m) != 1) {
        WHY("the model is multiclass (%zu outputs): :recommend ranks by one score", gn_model_outputs(m));
        return 400;
    }
    json_error_t jerr;
    int oom = 0;
    json_t *root = gn__json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr, &oom);
    if (!root) {
        if (oom) {
            WHY("out of memory");
            return 500;
        }
        WHY("bad JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
        return 400;
    }
    int status = 400;
    pool p = {0};
    gn_named_features *feats = NULL;
    gn_ranked *ranked = NULL;
    if (!json_is_object(root)) {
        WHY("the body must be a JSON object");
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "context") && strcmp(key, "contexts") && strcmp(key, "candidates") && strcmp(key, "k") &&
            strcmp(key, "item_field")) {
            if (!strcmp(key, "user") || !strcmp(key, "users"))
                WHY("'%s': a model of kind %s ranks posted candidates for a context: give 'context' and 'candidates' "
                    "(docs/recommend.md)",
                    key, gn_model_kind_name(gn_model_get_kind(m)));
            else
                WHY("unknown key '%.64s' (context, contexts, candidates, k, item_field)", key);
            goto done;
        }
    }
    const json_t *ctx = json_object_get(root, "context"), *ctxs = json_object_get(root, "contexts"),
                 *cands = json_object_get(root, "candidates"), *k = json_object_get(root, "k"),
                 *item = json_object_get(root, "item_field");
    if (ctx && ctxs) {
        WHY("give 'context' (an object) or 'contexts' (an array of objects), not both");
        goto done;
    }
    if (ctxs && !json_is_array(ctxs)) {
        WHY("'contexts' must be an array of objects");
        goto done;
    }
    if (!cands) {
        WHY("'candidates' is missing: an array of feature objects or item ids to rank");
        goto done;
    }
    if (!json_is_array(cands)) {
        WHY("'candidates' must be an array of feature objects or item ids");
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
    const size_t ncand = json_array_size(cands), nctx = ctxs ? json_array_size(ctxs) : 1;
    if (ncand > max_batch || nctx > max_batch) {
        WHY("%zu %s; the limit is %zu per request (--max-batch)", ncand > max_batch ? ncand : nctx,
            ncand > max_batch ? "candidates" : "contexts", max_batch);
        status = 413;
        goto done;
    }
    if (ncand && nctx > GN__RECOMMEND_MAX_LIST / ncand) {
        WHY("%zu contexts x %zu candidates; the limit is %u scores per request", nctx, ncand, GN__RECOMMEND_MAX_LIST);
        status = 413;
        goto done;
    }
    /* room for every feature: the contexts' and the candidates' */
    size_t total = 0;
    for (size_t c = 0; c < ncand; c++) {
        const json_t *x = json_array_get(cands, c);
        total += json_is_object(x) ? json_object_size(x) : 1;
    }
    for (size_t j = 0; j < nctx; j++) {
        const json_t *x = ctxs ? json_array_get(ctxs, j) : ctx;
        total += json_is_object(x) ? json_object_size(x) : 0;
    }
    p.cap = total + 1;
    p.names = malloc(p.cap * sizeof *p.names);
    p.values = malloc(p.cap * sizeof *p.values);
    p.strs = malloc(p.cap * sizeof *p.strs);
    feats = malloc((ncand + nctx) * sizeof *feats);
    ranked = malloc(kk * sizeof *ranked);
    if (!p.names || !p.values || !p.strs || !feats || !ranked) {
        WHY("out of memory");
        status = 500;
        goto done;
    }
    for (size_t c = 0; c < ncand; c++)
        if ((status = to_features(json_array_get(cands, c), item_field, "candidate", c, &p, &feats[c], why, why_size)))
            goto done;
    for (size_t j = 0; j < nctx; j++) {
        const json_t *x = ctxs ? json_array_get(ctxs, j) : ctx;
        gn_named_features *f = &feats[ncand + j];
        if (!x) { /* no context: the candidates alone */
            f->n = 0;
            f->names = p.names;
            f->values = p.values;
            f->strs = NULL;
        } else if ((status = to_features(x, item_field, ctxs ? "contexts" : "context", j, &p, f, why, why_size))) {
            goto done;
        }
    }
    status = 400;
    if (ctxs) gn__sb_puts(out, "\"results\":[");
    for (size_t j = 0; j < nctx; j++) {
        size_t n = 0;
        const gn_status st = gn_model_rank_named(m, &feats[ncand + j], feats, ncand, kk, ranked, &n);
        if (st != GN_OK) {
            if (ctxs) WHY("contexts %zu: %s", j, gn_last_error());
            else WHY("%s", gn_last_error());
            status = st == GN_ENOMEM ? 500 : st == GN_EUNSUPPORTED ? 500 : 400;
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
    *count = nctx * ncand;
    status = 200;
done:
    free((void *)p.names);
    free(p.values);
    free((void *)p.strs);
    free(feats);
    free(ranked);
    json_decref(root);
    return status;
}
