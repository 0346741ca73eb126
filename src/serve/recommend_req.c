/* serve/recommend_req.c: the :recommend body (serve/recommend_req.h): kind mf here, feature
 * models in serve/rank_req.c. */
#include "serve/recommend_req.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/recommend.h"
#include "serve/rank_req.h"
#include "util/json_safe.h"

/* The strings of a JSON array (borrowed from it) into *out. 0, or -1 with why set. */
static int string_list(const json_t *a, const char *key, const char ***out, size_t *n, char *why, size_t ws) {
    *out = NULL;
    *n = 0;
    if (!a) return 0;
    if (!json_is_array(a)) {
        snprintf(why, ws, "'%s' must be an array of strings", key);
        return -1;
    }
    const size_t len = json_array_size(a);
    if (len > GN__RECOMMEND_MAX_LIST) {
        snprintf(why, ws, "'%s' has %zu ids; the limit is %u", key, len, GN__RECOMMEND_MAX_LIST);
        return -1;
    }
    if (!len) return 0;
    const char **v = malloc(len * sizeof *v);
    if (!v) {
        snprintf(why, ws, "out of memory");
        return -2;
    }
    for (size_t i = 0; i < len; i++) {
        const json_t *s = json_array_get(a, i);
        if (!json_is_string(s)) {
            free((void *)v);
            snprintf(why, ws, "'%s'[%zu] is not a string", key, i);
            return -1;
        }
        v[i] = json_string_value(s);
    }
    *out = v;
    *n = len;
    return 0;
}

static void put_items(gn__strbuf *out, const gn_recommend_item *it, size_t n) {
    gn__sb_puts(out, "[");
    for (size_t i = 0; i < n; i++) {
        gn__sb_puts(out, i ? ",{\"item\":" : "{\"item\":");
        gn__sb_json_string(out, it[i].item);
        gn__sb_printf(out, ",\"score\":%.9g}", it[i].score);
    }
    gn__sb_puts(out, "]");
}

int gn__recommend_body(const gn_model *m, const char *body, size_t len, size_t max_batch, gn__strbuf *out,
                       size_t *count, char *why, size_t why_size) {
    *count = 0;
    if (gn_model_get_kind(m) != GN_KIND_MF) /* a feature model ranks posted candidates */
        return gn__rank_body(m, body, len, max_batch, out, count, why, why_size);
    json_error_t jerr;
    int oom = 0;
    json_t *root = gn__json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr, &oom);
    if (!root) {
        if (oom) {
            snprintf(why, why_size, "out of memory");
            return 500;
        }
        snprintf(why, why_size, "bad JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
        return 400;
    }
    int status = 400;
    const char **excl = NULL, **cand = NULL, **users = NULL;
    size_t nexcl = 0, ncand = 0, nusers = 0;
    gn_recommend_item *items = NULL;
    if (!json_is_object(root)) {
        snprintf(why, why_size, "the body must be a JSON object");
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "user") && strcmp(key, "users") && strcmp(key, "k") && strcmp(key, "exclude_seen") &&
            strcmp(key, "exclude") && strcmp(key, "candidates") && strcmp(key, "nprobe") && strcmp(key, "exact") &&
            strcmp(key, "ef")) {
            if (!strcmp(key, "context") || !strcmp(key, "contexts"))
                snprintf(why, why_size, "'%s': a model of kind mf ranks items for a 'user' or 'users'; posted candidates "
                                        "for a context are for feature models (fm, ffm, linear)", key);
            else
                snprintf(why, why_size,
                         "unknown key '%.64s' (user, users, k, exclude_seen, exclude, candidates, nprobe, ef, exact)", key);
            goto done;
        }
    }
    const json_t *user = json_object_get(root, "user"), *ulist = json_object_get(root, "users"),
                 *k = json_object_get(root, "k"), *seen = json_object_get(root, "exclude_seen");
    if (!user == !ulist) {
        snprintf(why, why_size, "give one of 'user' (a string) or 'users' (an array of strings)");
        goto done;
    }
    if (user && !json_is_string(user)) {
        snprintf(why, why_size, "'user' must be a string");
        goto done;
    }
    size_t kk = 10;
    if (k) {
        if (!json_is_integer(k) || json_integer_value(k) < 1 || json_integer_value(k) > GN__RECOMMEND_MAX_K) {
            snprintf(why, why_size, "'k' must be an integer in 1..%u", GN__RECOMMEND_MAX_K);
            goto done;
        }
        kk = (size_t)json_integer_value(k);
    }
    if (seen && !json_is_boolean(seen)) {
        snprintf(why, why_size, "'exclude_seen' must be true or false");
        goto done;
    }
    const json_t *nprobe = json_object_get(root, "nprobe"), *exact = json_object_get(root, "exact");
    if (nprobe && (!json_is_integer(nprobe) || json_integer_value(nprobe) < 1 || json_integer_value(nprobe) > UINT32_MAX)) {
        snprintf(why, why_size, "'nprobe' must be a positive integer (index lists to probe)");
        goto done;
    }
    const json_t *ef = json_object_get(root, "ef");
    if (ef && (!json_is_integer(ef) || json_integer_value(ef) < 1 || json_integer_value(ef) > 100000)) {
        snprintf(why, why_size, "'ef' must be an integer in 1..100000 (the HNSW index's search beam)");
        goto done;
    }
    if (exact && !json_is_boolean(exact)) {
        snprintf(why, why_size, "'exact' must be true or false");
        goto done;
    }
    int r;
    if ((r = string_list(json_object_get(root, "exclude"), "exclude", &excl, &nexcl, why, why_size)) != 0 ||
        (r = string_list(json_object_get(root, "candidates"), "candidates", &cand, &ncand, why, why_size)) != 0 ||
        (r = string_list(ulist, "users", &users, &nusers, why, why_size)) != 0) {
        if (r == -2) status = 500;
        goto done;
    }
    if (ulist && nusers > max_batch) {
        snprintf(why, why_size, "%zu users; the limit is %zu per request (--max-batch)", nusers, max_batch);
        status = 413;
        goto done;
    }
    if (!(items = malloc(kk * sizeof *items))) {
        snprintf(why, why_size, "out of memory");
        status = 500;
        goto done;
    }
    gn_recommend_options o;
    gn_recommend_options_init(&o);
    o.exclude_seen = seen && json_is_true(seen);
    o.exact = exact && json_is_true(exact);
    o.nprobe = nprobe ? (uint32_t)json_integer_value(nprobe) : 0;
    o.ef = ef ? (uint32_t)json_integer_value(ef) : 0;
    o.exclude = excl;
    o.nexclude = nexcl;
    o.candidates = json_object_get(root, "candidates") ? cand : NULL;
    o.ncandidates = ncand;
    static const char *const none[] = {""};
    if (o.candidates == NULL && json_object_get(root, "candidates")) o.candidates = none; /* [] : nothing */
    const size_t total = ulist ? nusers : 1;
    if (ulist) gn__sb_puts(out, "\"results\":[");
    for (size_t j = 0; j < total; j++) {
        const char *u = ulist ? users[j] : json_string_value(user);
        size_t n;
        if (gn_model_recommend(m, u, kk, &o, items, &n) != GN_OK) {
            snprintf(why, why_size, "%s", gn_last_error());
            status = 500;
            goto done;
        }
        const char *known = gn_model_mf_has_user(m, u) ? "true" : "false";
        if (ulist) {
            gn__sb_puts(out, j ? ",{\"user\":" : "{\"user\":");
            gn__sb_json_string(out, u);
            gn__sb_printf(out, ",\"known\":%s,\"items\":", known);
            put_items(out, items, n);
            gn__sb_puts(out, "}");
        } else {
            gn__sb_puts(out, "\"items\":");
            put_items(out, items, n);
            gn__sb_printf(out, ",\"known\":%s", known);
        }
    }
    if (ulist) gn__sb_puts(out, "]");
    if (gn__sb_failed(out)) {
        snprintf(why, why_size, "out of memory");
        status = 500;
        goto done;
    }
    *count = total;
    status = 200;
done:
    free(items);
    free((void *)excl);
    free((void *)cand);
    free((void *)users);
    json_decref(root);
    return status;
}
