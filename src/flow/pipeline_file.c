/* flow/pipeline_file.c: reading and checking a pipeline file (gn_pipeline_load): its keys, the
 * parameters through the one parameter table (gannet/params.h), data patterns, the search space
 * and the gate's conditions. The file's format is docs/pipeline-file.md. */
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/pipeline_internal.h"
#include "gannet/repo.h"
#include "util/error.h"
#include "util/json_safe.h"

static int fail_at(const gn_pipeline *p, const json_t *node, gn_status st, const char *fmt, ...) GN_PRINTF(4, 5);
static int fail_at(const gn_pipeline *p, const json_t *node, gn_status st, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned line = node ? gn__yaml_line_of(&p->tree, node) : 0;
    if (line) return gn__fail(st, "%s:%u: %s", p->path, line, msg);
    return gn__fail(st, "%s: %s", p->path, msg);
}

static char *keep(gn_pipeline *p, char *s) {
    if (!s) return NULL;
    char **n = realloc(p->owned, (p->nowned + 1) * sizeof *n);
    if (!n) {
        free(s);
        return NULL;
    }
    p->owned = n;
    p->owned[p->nowned++] = s;
    return s;
}

/* A scalar as text, or a list of scalars joined with ','. NULL (error set) otherwise. */
static const char *value_text(gn_pipeline *p, const char *key, const json_t *v) {
    if (json_is_string(v)) return json_string_value(v);
    if (!json_is_array(v) || json_array_size(v) == 0) {
        fail_at(p, v, GN_EINVAL, "'%s': expected a value or a list of values", key);
        return NULL;
    }
    size_t n = 0, i;
    json_t *x;
    json_array_foreach(v, i, x) {
        if (!json_is_string(x)) {
            fail_at(p, x, GN_EINVAL, "'%s': a list of plain values expected", key);
            return NULL;
        }
        n += strlen(json_string_value(x)) + 1;
    }
    char *s = malloc(n);
    if (!s) {
        gn__fail(GN_ENOMEM, "out of memory");
        return NULL;
    }
    s[0] = '\0';
    json_array_foreach(v, i, x) {
        if (i) strcat(s, ",");
        strcat(s, json_string_value(x));
    }
    if (!keep(p, s)) gn__fail(GN_ENOMEM, "out of memory");
    return s;
}

/* Sets one parameter of the table from section `where`; groups: bit mask of allowed groups. */
static int set_param(gn_pipeline *p, const char *where, const char *key, const json_t *v, unsigned groups) {
    const gn_param_info *info = gn_param_find(key);
    if (!info || !(groups & (1u << info->group))) {
        if (info && info->group == GN_PARAM_DATA)
            return fail_at(p, v, GN_EINVAL, "%s: '%s' is a data parameter: put it under data", where, key);
        if (info) return fail_at(p, v, GN_EINVAL, "%s: '%s' is a training parameter: put it under train", where, key);
        return fail_at(p, v, GN_EINVAL, "%s: unknown key '%s' (see docs/pipeline-file.md and gannet params)", where, key);
    }
    const char *text = value_text(p, key, v);
    if (!text) return GN_EINVAL;
    if (gn_param_set(&p->train, &p->spec, info->name, text) != GN_OK)
        return fail_at(p, v, GN_EINVAL, "%s: %s", where, gn_last_error());
    return GN_OK;
}

static int join_path(const gn_pipeline *p, const char *rel, char **out) {
    size_t n = strlen(p->dir) + strlen(rel) + 2;
    char *s = malloc(n);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    if (rel[0] == '/' || !strcmp(rel, "-")) snprintf(s, n, "%s", rel);
    else snprintf(s, n, "%s/%s", p->dir, rel);
    *out = s;
    return GN_OK;
}

/* data.train / data.test: a path, a glob pattern, or a list of them; each pattern must match. */
static int resolve_files(gn_pipeline *p, const char *key, const json_t *v, char ***files, size_t *n) {
    size_t count = json_is_array(v) ? json_array_size(v) : 1;
    if (!json_is_string(v) && !(json_is_array(v) && count))
        return fail_at(p, v, GN_EINVAL, "data.%s: expected a file, a pattern or a list of them", key);
    for (size_t i = 0; i < count; i++) {
        const json_t *item = json_is_array(v) ? json_array_get(v, i) : v;
        if (!json_is_string(item)) return fail_at(p, item, GN_EINVAL, "data.%s: a file name expected", key);
        char *pat;
        GN_TRY(join_path(p, json_string_value(item), &pat));
        glob_t g;
        int rc = glob(pat, 0, NULL, &g);
        if (rc != 0) {
            int st = fail_at(p, item, GN_EINVAL, "data.%s: '%s' matches no file", key, json_string_value(item));
            free(pat);
            if (rc != GLOB_NOMATCH) globfree(&g);
            return st;
        }
        free(pat);
        char **nf = realloc(*files, (*n + g.gl_pathc) * sizeof *nf);
        if (!nf) {
            globfree(&g);
            return gn__fail(GN_ENOMEM, "out of memory");
        }
        *files = nf;
        for (size_t k = 0; k < g.gl_pathc; k++) {
            if (!((*files)[*n] = strdup(g.gl_pathv[k]))) {
                globfree(&g);
                return gn__fail(GN_ENOMEM, "out of memory");
            }
            (*n)++;
        }
        globfree(&g);
    }
    return GN_OK;
}

static int parse_u32(gn_pipeline *p, const char *what, const json_t *v, uint32_t lo, uint32_t hi, uint32_t *out);
static int parse_real(gn_pipeline *p, const char *what, const json_t *v, double *out);

/* data.split: {test: F, seed: S, by: random} or {test: F, by: time, time_col: COL, per: COL}:
 * the test part cut from the train files (flow/pipeline_split.c). */
static int read_split(gn_pipeline *p, const json_t *v) {
    if (!json_is_object(v)) return fail_at(p, v, GN_EINVAL, "data.split: expected a mapping {test: FRACTION, seed: N}");
    p->has_split = 1;
    p->split_seed = 1;
    p->split_test = 0;
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) {
        if (!strcmp(key, "test")) {
            GN_TRY(parse_real(p, "data.split.test", x, &p->split_test));
            if (!(p->split_test > 0 && p->split_test < 1))
                return fail_at(p, x, GN_EINVAL, "data.split.test: expected a fraction between 0 and 1 (exclusive)");
        } else if (!strcmp(key, "seed")) {
            uint32_t seed;
            GN_TRY(parse_u32(p, "data.split.seed", x, 0, UINT32_MAX, &seed));
            p->split_seed = seed;
        } else if (!strcmp(key, "by")) {
            const char *by = json_string_value(x);
            if (!by || (strcmp(by, "random") != 0 && strcmp(by, "time") != 0))
                return fail_at(p, x, GN_EINVAL, "data.split.by: 'random' (by the example key) or 'time' (the latest rows)");
            p->split_by_time = !strcmp(by, "time");
        } else if (!strcmp(key, "time_col") || !strcmp(key, "per")) {
            const char *col = json_string_value(x);
            if (!col || !*col) return fail_at(p, x, GN_EINVAL, "data.split.%s: a column name or 1-based index", key);
            if (!strcmp(key, "per")) p->split_per = col;
            else p->split_time_col = col;
        } else {
            return fail_at(p, x, GN_EINVAL, "data.split: unknown key '%s' (test, seed, by, time_col, per)", key);
        }
    }
    if (p->split_test <= 0) return fail_at(p, v, GN_EINVAL, "data.split: 'test' (the held-out fraction) is required");
    if (p->split_by_time && !p->split_time_col)
        return fail_at(p, v, GN_EINVAL, "data.split: by: time needs the column of times (time_col: COL)");
    if (!p->split_by_time && (p->split_time_col || p->split_per))
        return fail_at(p, v, GN_EINVAL, "data.split: time_col and per are for by: time");
    return GN_OK;
}

static int read_data(gn_pipeline *p, const json_t *data) {
    if (!json_is_object(data)) return fail_at(p, data, GN_EINVAL, "data: expected a mapping (train, test, format, ...)");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)data, key, v) {
        if (!strcmp(key, "train")) GN_TRY(resolve_files(p, key, v, &p->train_files, &p->ntrain));
        else if (!strcmp(key, "test")) GN_TRY(resolve_files(p, key, v, &p->test_files, &p->ntest));
        else if (!strcmp(key, "split")) GN_TRY(read_split(p, v));
        else GN_TRY(set_param(p, "data", key, v, 1u << GN_PARAM_DATA));
    }
    if (!p->ntrain) return fail_at(p, data, GN_EINVAL, "data: no train files (data: {train: [FILE...]})");
    if (p->ntest && p->has_split)
        return fail_at(p, data, GN_EINVAL, "data: give test files or a split rule (data.split), not both");
    if (!p->ntest && !p->has_split)
        return fail_at(p, data, GN_EINVAL,
                       "data: no test files (data: {test: [FILE...]} or data: {split: {test: 0.2}}): eval and the gate need them");
    return GN_OK;
}

static int read_params(gn_pipeline *p, const char *section, const json_t *v) {
    if (!json_is_object(v)) return fail_at(p, v, GN_EINVAL, "%s: expected a mapping of parameters", section);
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) {
        GN_TRY(set_param(p, section, key, x, (1u << GN_PARAM_TRAIN) | (1u << GN_PARAM_RUN)));
    }
    return GN_OK;
}

static int parse_u32(gn_pipeline *p, const char *what, const json_t *v, uint32_t lo, uint32_t hi, uint32_t *out) {
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    unsigned long x = s ? strtoul(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || x < lo || x > hi)
        return fail_at(p, v, GN_EINVAL, "%s: expected a whole number in %u..%u", what, lo, hi);
    *out = (uint32_t)x;
    return GN_OK;
}

static int parse_real(gn_pipeline *p, const char *what, const json_t *v, double *out) {
    const char *s = json_string_value(v);
    char *end;
    double x = s ? strtod(s, &end) : NAN;
    if (!s || !*s || *end || !isfinite(x)) return fail_at(p, v, GN_EINVAL, "%s: expected a number", what);
    *out = x;
    return GN_OK;
}

/* tune.grid as a mapping {l2: [0.1, 1], lr: 0.1} or as text 'l2=0.1,1;lr=0.1'. */
static int grid_text(gn_pipeline *p, const json_t *g, char **out) {
    if (json_is_string(g)) {
        *out = strdup(json_string_value(g));
        return *out ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    }
    if (!json_is_object(g) || !json_object_size(g))
        return fail_at(p, g, GN_EINVAL, "tune.grid: expected {param: [values...], ...}");
    size_t n = 1;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)g, key, v) {
        const char *t = value_text(p, key, v);
        if (!t) return GN_EINVAL;
        n += strlen(key) + strlen(t) + 2;
    }
    char *s = malloc(n);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    s[0] = '\0';
    int first = 1;
    json_object_foreach((json_t *)g, key, v) {
        if (!first) strcat(s, ";");
        first = 0;
        strcat(s, key);
        strcat(s, "=");
        strcat(s, value_text(p, key, v));
    }
    *out = s;
    return GN_OK;
}

static int read_tune(gn_pipeline *p, const json_t *t, int cv) {
    const char *section = cv ? "cv" : "tune";
    if (!json_is_object(t)) return fail_at(p, t, GN_EINVAL, "%s: expected a mapping", section);
    if (p->tune != TUNE_NONE) return fail_at(p, t, GN_EINVAL, "give tune or cv, not both");
    p->tune = cv ? TUNE_CV : TUNE_GRID;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)t, key, v) {
        if (!strcmp(key, "folds") || !strcmp(key, "k")) {
            GN_TRY(parse_u32(p, "folds", v, 2, GN_SELECT_MAX_FOLDS, &p->sel.k));
        } else if (!strcmp(key, "metric")) {
            uint32_t at = 0;
            int m = json_is_string(v) ? gn_select_metric_parse_at(json_string_value(v), &at) : -1;
            if (m < 0)
                return fail_at(p, v, GN_EINVAL, "%s.metric: one of auc, logloss, accuracy, rmse, mae (kind mf: ndcg@K, "
                               "precision@K, recall@K, map@K)", section);
            p->sel.metric = (gn_select_metric)m;
            if (at) p->sel.rank_k = at;
        } else if (!strcmp(key, "split_by")) { /* kind mf: hashed or forward-chaining time folds */
            const char *by = json_string_value(v);
            if (!by || (strcmp(by, "hash") && strcmp(by, "time")))
                return fail_at(p, v, GN_EINVAL, "%s.split_by: hash or time", section);
            p->sel.split = !strcmp(by, "time") ? GN_SELECT_SPLIT_TIME : GN_SELECT_SPLIT_HASH;
        } else if (!strcmp(key, "time_col")) {
            if (!json_is_string(v) || !*json_string_value(v))
                return fail_at(p, v, GN_EINVAL, "%s.time_col: a column name or 1-based index", section);
            p->sel.time_col = json_string_value(v);
        } else if (!strcmp(key, "seed")) {
            uint32_t s;
            GN_TRY(parse_u32(p, "seed", v, 0, UINT32_MAX, &s));
            p->sel.seed = s;
        } else if (!cv && !strcmp(key, "grid")) {
            if (p->space_text) return fail_at(p, v, GN_EINVAL, "tune: give grid or random, not both");
            GN_TRY(grid_text(p, v, &p->space_text));
        } else if (!cv && !strcmp(key, "random")) {
            if (p->space_text) return fail_at(p, v, GN_EINVAL, "tune: give grid or random, not both");
            if (!json_is_string(v))
                return fail_at(p, v, GN_EINVAL, "tune.random: a space text 'l2=log(1e-6,1);lr=uniform(0.01,1)'");
            if (!(p->space_text = strdup(json_string_value(v)))) return gn__fail(GN_ENOMEM, "out of memory");
            p->tune = TUNE_RANDOM;
        } else if (!cv && !strcmp(key, "n")) {
            GN_TRY(parse_u32(p, "tune.n", v, 1, GN_SELECT_MAX_CONFIGS, &p->random_n));
        } else if (!cv && !strcmp(key, "halving")) {
            const char *s = json_string_value(v);
            if (!s || (strcmp(s, "true") && strcmp(s, "false")))
                return fail_at(p, v, GN_EINVAL, "tune.halving: true or false");
            p->sel.halving = !strcmp(s, "true");
        } else {
            return fail_at(p, v, GN_EINVAL, "%s: unknown key '%s' (folds, metric, seed, split_by, time_col%s)", section, key,
                           cv ? "" : ", grid, random, n, halving");
        }
    }
    if (!cv && !p->space_text) return fail_at(p, t, GN_EINVAL, "tune: no grid (tune: {grid: {l2: [0.1, 1]}})");
    if (p->tune == TUNE_RANDOM && !p->random_n) p->random_n = 10;
    /* the space must parse now, not in the middle of a run */
    gn_search_space *sp;
    int st = p->tune == TUNE_GRID ? gn_search_parse_grid(p->space_text, &sp)
           : p->tune == TUNE_RANDOM ? gn_search_parse_random(p->space_text, p->random_n, p->sel.seed, &sp)
                                    : GN_OK;
    if (st != GN_OK) return fail_at(p, t, (gn_status)st, "%s", gn_last_error());
    if (p->tune == TUNE_GRID || p->tune == TUNE_RANDOM) {
        for (size_t j = 0; j < gn_search_space_params(sp) && st == GN_OK; j++) {
            const gn_param_info *info = gn_param_find(gn_search_space_name(sp, j));
            if (!info || !info->searchable)
                st = fail_at(p, t, GN_EINVAL, "tune: '%s' cannot be searched (see gannet params)", gn_search_space_name(sp, j));
            for (size_t k = 0; st == GN_OK && k < gn_search_space_distinct(sp, j); k++) {
                gn_train_options o = p->train;
                gn_data_spec s = p->spec;
                if (gn_param_set(&o, &s, info->name, gn_search_space_distinct_value(sp, j, k)) != GN_OK)
                    st = fail_at(p, t, GN_EINVAL, "tune: %s", gn_last_error());
            }
        }
        gn_search_space_free(sp);
    }
    return st;
}

/* "  >= 0.74", "<0.3" or a bare number (>= for metrics where higher is better, else <=). */
static int read_cond(gn_pipeline *p, const char *metric, const json_t *v) {
    static const char *const known[] = {"auc", "logloss", "accuracy", "precision", "recall", "f1", "rmse", "mae"};
    int ok = 0;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) ok |= !strcmp(metric, known[i]);
    if (!ok)
        return fail_at(p, v, GN_EINVAL,
                       "gate: unknown key '%s' (a metric: auc, logloss, accuracy, precision, recall, f1, rmse, mae; "
                       "or not_worse_than_current_by)",
                       metric);
    if (p->nconds == GN_PIPELINE_MAX_CONDS) return fail_at(p, v, GN_ELIMIT, "gate: too many conditions");
    const char *s = json_string_value(v);
    if (!s) return fail_at(p, v, GN_EINVAL, "gate.%s: expected a condition such as \">= 0.74\"", metric);
    gate_cond *c = &p->conds[p->nconds];
    while (*s == ' ') s++;
    size_t oplen = (s[0] == '>' || s[0] == '<') ? (s[1] == '=' ? 2 : 1) : 0;
    if (oplen) memcpy(c->op, s, oplen);
    else {
        int higher = strcmp(metric, "logloss") && strcmp(metric, "rmse") && strcmp(metric, "mae");
        memcpy(c->op, higher ? ">=" : "<=", 2);
        oplen = 0;
    }
    s += oplen;
    while (*s == ' ') s++;
    char *end;
    double x = strtod(s, &end);
    while (*end == ' ') end++;
    if (!*s || *end || !isfinite(x))
        return fail_at(p, v, GN_EINVAL, "gate.%s: expected a condition such as \">= 0.74\" (got '%s')", metric,
                       json_string_value(v));
    snprintf(c->metric, sizeof c->metric, "%s", metric);
    c->threshold = x;
    c->line = gn__yaml_line_of(&p->tree, v);
    p->nconds++;
    return GN_OK;
}

static int read_gate(gn_pipeline *p, const json_t *g) {
    if (!json_is_object(g)) return fail_at(p, g, GN_EINVAL, "gate: expected a mapping ({auc: \">= 0.74\"})");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)g, key, v) {
        if (!strcmp(key, "not_worse_than_current_by")) {
            GN_TRY(parse_real(p, "gate.not_worse_than_current_by", v, &p->not_worse_by));
            if (p->not_worse_by < 0) return fail_at(p, v, GN_EINVAL, "gate.not_worse_than_current_by: must be >= 0");
            p->has_not_worse = 1;
        } else {
            GN_TRY(read_cond(p, key, v));
        }
    }
    return GN_OK;
}

static int read_publish(gn_pipeline *p, const json_t *v) {
    if (!json_is_object(v)) return fail_at(p, v, GN_EINVAL, "publish: expected a mapping ({repository: models/})");
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) {
        if (!json_is_string(x)) return fail_at(p, x, GN_EINVAL, "publish.%s: expected text", key);
        if (!strcmp(key, "repository")) {
            GN_TRY(join_path(p, json_string_value(x), &p->repository));
            size_t n = strlen(p->repository);
            while (n > 1 && p->repository[n - 1] == '/') p->repository[--n] = '\0';
        } else if (!strcmp(key, "name")) {
            if (!gn_repo_name_ok(json_string_value(x)))
                return fail_at(p, x, GN_EINVAL, "publish.name: use 1-63 of A-Z a-z 0-9 _ - . (not starting with '.')");
            free(p->publish_name);
            if (!(p->publish_name = strdup(json_string_value(x)))) return gn__fail(GN_ENOMEM, "out of memory");
        } else {
            return fail_at(p, x, GN_EINVAL, "publish: unknown key '%s' (repository, name)", key);
        }
    }
    if (!p->repository) return fail_at(p, v, GN_EINVAL, "publish: no repository");
    return GN_OK;
}

static int read_file(gn_pipeline *p) {
    const json_t *root = p->tree.root;
    if (!json_is_object(root)) return fail_at(p, root, GN_EINVAL, "expected a mapping (name, data, tune, train, gate, publish)");
    const json_t *name = json_object_get(root, "name");
    if (!json_is_string(name) || !gn_repo_name_ok(json_string_value(name)))
        return fail_at(p, name, GN_EINVAL, "name: 1-63 of A-Z a-z 0-9 _ - . (not starting with '.') is required");
    if (!(p->name = strdup(json_string_value(name)))) return gn__fail(GN_ENOMEM, "out of memory");
    const json_t *data = json_object_get(root, "data");
    if (!data) return fail_at(p, root, GN_EINVAL, "no data section (data: {train: ..., test: ...})");
    /* model and train first: data flags such as the label kind follow the loss */
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)root, key, v) {
        if (!strcmp(key, "model") || !strcmp(key, "train")) GN_TRY(read_params(p, key, v));
    }
    GN_TRY(read_data(p, data));
    json_object_foreach((json_t *)root, key, v) {
        if (!strcmp(key, "name") || !strcmp(key, "data") || !strcmp(key, "model") || !strcmp(key, "train")) continue;
        if (!strcmp(key, "tune")) GN_TRY(read_tune(p, v, 0));
        else if (!strcmp(key, "cv")) GN_TRY(read_tune(p, v, 1));
        else if (!strcmp(key, "gate")) GN_TRY(read_gate(p, v));
        else if (!strcmp(key, "publish")) GN_TRY(read_publish(p, v));
        else if (!strcmp(key, "report")) {
            const char *s = json_string_value(v);
            if (!s || (strcmp(s, "true") && strcmp(s, "false"))) return fail_at(p, v, GN_EINVAL, "report: true or false");
            p->report = !strcmp(s, "true");
        } else {
            return fail_at(p, v, GN_EINVAL,
                           "unknown key '%s' (name, data, model, tune, cv, train, gate, publish, report)", key);
        }
    }
    if (p->repository && !p->publish_name && !(p->publish_name = strdup(p->name)))
        return gn__fail(GN_ENOMEM, "out of memory");
    p->spec.label_kind = gn_loss_label_kind(p->train.loss);
    if (gn_train_options_check(&p->train) != GN_OK) return fail_at(p, NULL, GN_EINVAL, "%s", gn_last_error());
    if (gn_data_spec_check(&p->spec) != GN_OK) return fail_at(p, NULL, GN_EINVAL, "%s", gn_last_error());
    return GN_OK;
}

gn_status gn_pipeline_load(const char *path, gn_pipeline **out) {
    gn__clear_error();
    if (!path || !out) return gn__fail(GN_EINVAL, "pipeline: NULL argument");
    gn_pipeline *p = calloc(1, sizeof *p);
    if (!p) return gn__fail(GN_ENOMEM, "out of memory");
    gn_train_options_init(&p->train);
    gn_data_spec_init(&p->spec);
    gn_select_options_init(&p->sel);
    p->report = 1;
    int st;
    if (!(p->path = strdup(path))) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto fail;
    }
    const char *slash = strrchr(path, '/');
    p->dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!p->dir) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto fail;
    }
    if ((st = gn__yaml_load(path, NULL, 0, &p->tree)) != GN_OK) goto fail;
    if ((st = read_file(p)) != GN_OK) goto fail;
    size_t n = strlen(p->dir) + strlen(p->name) + 32;
    if (!(p->state_dir = malloc(n))) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto fail;
    }
    snprintf(p->state_dir, n, "%s/.gannet-pipeline/%s", p->dir, p->name);
    *out = p;
    return GN_OK;
fail:
    gn_pipeline_free(p);
    return st;
}

void gn_pipeline_free(gn_pipeline *p) {
    if (!p) return;
    for (size_t i = 0; i < p->ntrain; i++) free(p->train_files[i]);
    for (size_t i = 0; i < p->ntest; i++) free(p->test_files[i]);
    for (size_t i = 0; i < p->nowned; i++) free(p->owned[i]);
    free(p->train_files);
    free(p->test_files);
    free(p->owned);
    gn__yaml_free(&p->tree);
    free(p->space_text);
    free(p->repository);
    free(p->publish_name);
    free(p->state_dir);
    free(p->name);
    free(p->dir);
    free(p->path);
    free(p);
}

const char *gn_pipeline_name(const gn_pipeline *p) { return p->name; }
const char *gn_pipeline_state_dir(const gn_pipeline *p) { return p->state_dir; }

char *gn__pipeline_section_text(const gn_pipeline *p, const char *section) {
    const json_t *v = json_object_get(p->tree.root, section);
    if (!v) return strdup("");
    return gn__json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
}
