/* select/space.c: search spaces for gn_tune — parsing a grid ('l2=1e-6,1e-5;lr=0.05,0.1') into its
 * cross product, and a random space ('l2=log(1e-8,1e-2);passes=int(1,5)') into N sampled
 * configurations. Values stay text: the caller turns (name, value) pairs into options. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/select.h"
#include "hash/hash.h"
#include "util/error.h"

typedef struct param {
    char *name;
    char **values;   /* distinct candidate values (grid) or all sampled values (random) */
    size_t nvalues, cap;
} param;

struct gn_search_space {
    param params[GN_SEARCH_MAX_PARAMS];
    size_t nparams;
    size_t nconfigs;
    size_t *choice; /* nconfigs x nparams indices into params[j].values */
};

void gn_search_space_free(gn_search_space *s) {
    if (!s) return;
    for (size_t j = 0; j < s->nparams; j++) {
        for (size_t k = 0; k < s->params[j].nvalues; k++) free(s->params[j].values[k]);
        free(s->params[j].values);
        free(s->params[j].name);
    }
    free(s->choice);
    free(s);
}

size_t gn_search_space_params(const gn_search_space *s) { return s->nparams; }
size_t gn_search_space_configs(const gn_search_space *s) { return s->nconfigs; }
const char *gn_search_space_name(const gn_search_space *s, size_t j) { return j < s->nparams ? s->params[j].name : NULL; }
const char *gn_search_space_value(const gn_search_space *s, size_t i, size_t j) {
    if (i >= s->nconfigs || j >= s->nparams) return NULL;
    return s->params[j].values[s->choice[i * s->nparams + j]];
}
size_t gn_search_space_distinct(const gn_search_space *s, size_t j) { return j < s->nparams ? s->params[j].nvalues : 0; }
const char *gn_search_space_distinct_value(const gn_search_space *s, size_t j, size_t k) {
    return j < s->nparams && k < s->params[j].nvalues ? s->params[j].values[k] : NULL;
}

static char *dup_range(const char *a, const char *b) {
    while (a < b && isspace((unsigned char)*a)) a++;
    while (b > a && isspace((unsigned char)b[-1])) b--;
    char *s = malloc((size_t)(b - a) + 1);
    if (!s) return NULL;
    memcpy(s, a, (size_t)(b - a));
    s[b - a] = '\0';
    return s;
}

static int add_value(param *p, char *v) {
    if (!v) return gn__fail(GN_ENOMEM, "out of memory");
    if (p->nvalues == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        char **nv = realloc(p->values, cap * sizeof *nv);
        if (!nv) {
            free(v);
            return gn__fail(GN_ENOMEM, "out of memory");
        }
        p->values = nv;
        p->cap = cap;
    }
    p->values[p->nvalues++] = v;
    return GN_OK;
}

/* Splits the comma list [a,b) into p's values; empty items are errors. */
static int parse_list(const char *what, const char *item, param *p, const char *a, const char *b) {
    const char *v = a;
    for (;;) {
        const char *e = v;
        while (e < b && *e != ',') e++;
        char *val = dup_range(v, e);
        if (!val) return gn__fail(GN_ENOMEM, "out of memory");
        if (!*val) {
            free(val);
            if (a == b || (e == b && v == a)) return gn__fail(GN_EINVAL, "%s: '%s' has an empty list of values", what, item);
            return gn__fail(GN_EINVAL, "%s: '%s' has an empty value in its list", what, item);
        }
        for (size_t k = 0; k < p->nvalues; k++)
            if (!strcmp(p->values[k], val)) {
                gn__fail(GN_EINVAL, "%s: '%s' lists the value '%s' twice", what, item, val);
                free(val);
                return GN_EINVAL;
            }
        if (p->nvalues >= GN_SEARCH_MAX_VALUES) {
            free(val);
            return gn__fail(GN_EINVAL, "%s: '%s' has more than %d values", what, item, GN_SEARCH_MAX_VALUES);
        }
        GN_TRY(add_value(p, val));
        if (e >= b) break;
        v = e + 1;
    }
    return GN_OK;
}

/* Parses "name" of an item into p->name: optional leading dashes, then [A-Za-z0-9_-]+. */
static int parse_name(const char *what, const char *item, param *p, const char *a, const char *b) {
    while (a < b && isspace((unsigned char)*a)) a++;
    while (b > a && isspace((unsigned char)b[-1])) b--;
    while (a < b && *a == '-') a++;
    if (a == b) return gn__fail(GN_EINVAL, "%s: '%s' has no flag name before '='", what, item);
    for (const char *c = a; c < b; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
            return gn__fail(GN_EINVAL, "%s: '%s': '%.*s' is not a flag name", what, item, (int)(b - a), a);
    if (!(p->name = dup_range(a, b))) return gn__fail(GN_ENOMEM, "out of memory");
    for (char *c = p->name; *c; c++)
        if (*c == '_') *c = '-';
    return GN_OK;
}

typedef enum dist_kind { DIST_LIST, DIST_LOG, DIST_UNIFORM, DIST_INT } dist_kind;

typedef struct dist {
    dist_kind kind;
    double lo, hi;
} dist;

static int parse_number(const char *what, const char *item, const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end && isspace((unsigned char)*end)) end++;
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return gn__fail(GN_EINVAL, "%s: '%s': '%s' is not a number", what, item, s);
    *out = v;
    return GN_OK;
}

/* Parses one "name=..." item. For the random form, fills d (DIST_LIST for plain lists and
 * choice(...)); the bounds are checked here. */
static int parse_item(const char *what, const char *item, int random, param *p, dist *d) {
    const char *eq = strchr(item, '=');
    if (!eq) return gn__fail(GN_EINVAL, "%s: '%s' is not of the form name=values", what, item);
    GN_TRY(parse_name(what, item, p, item, eq));
    const char *v = eq + 1, *end = item + strlen(item);
    while (v < end && isspace((unsigned char)*v)) v++;
    d->kind = DIST_LIST;
    if (random) {
        const char *paren = strchr(v, '(');
        if (paren) {
            size_t fl = (size_t)(paren - v);
            const char *close = end;
            while (close > paren && isspace((unsigned char)close[-1])) close--;
            if (close <= paren + 1 || close[-1] != ')')
                return gn__fail(GN_EINVAL, "%s: '%s': missing ')'", what, item);
            close--;
            if (fl == 6 && !strncmp(v, "choice", 6)) return parse_list(what, item, p, paren + 1, close);
            if (fl == 3 && !strncmp(v, "log", 3)) d->kind = DIST_LOG;
            else if (fl == 7 && !strncmp(v, "uniform", 7)) d->kind = DIST_UNIFORM;
            else if (fl == 3 && !strncmp(v, "int", 3)) d->kind = DIST_INT;
            else
                return gn__fail(GN_EINVAL, "%s: '%s': unknown distribution '%.*s' (log, uniform, int, choice)", what,
                                item, (int)fl, v);
            param tmp = {0};
            int st = parse_list(what, item, &tmp, paren + 1, close);
            if (st == GN_OK && tmp.nvalues != 2)
                st = gn__fail(GN_EINVAL, "%s: '%s': %.*s needs two bounds (a,b)", what, item, (int)fl, v);
            if (st == GN_OK) st = parse_number(what, item, tmp.values[0], &d->lo);
            if (st == GN_OK) st = parse_number(what, item, tmp.values[1], &d->hi);
            for (size_t k = 0; k < tmp.nvalues; k++) free(tmp.values[k]);
            free(tmp.values);
            if (st != GN_OK) return st;
            if (d->kind == DIST_LOG && !(d->lo > 0 && d->lo < d->hi))
                return gn__fail(GN_EINVAL, "%s: '%s': log(a,b) needs 0 < a < b", what, item);
            if (d->kind == DIST_UNIFORM && !(d->lo < d->hi))
                return gn__fail(GN_EINVAL, "%s: '%s': uniform(a,b) needs a < b", what, item);
            if (d->kind == DIST_INT && (d->lo != floor(d->lo) || d->hi != floor(d->hi) || d->lo > d->hi ||
                                        fabs(d->lo) > 1e15 || fabs(d->hi) > 1e15))
                return gn__fail(GN_EINVAL, "%s: '%s': int(a,b) needs integers a <= b", what, item);
            return GN_OK;
        }
    }
    return parse_list(what, item, p, v, end);
}

/* Splits text on ';' and parses each non-empty item into s->params. */
static int parse_items(const char *what, const char *text, int random, gn_search_space *s, dist *dists) {
    if (!text) return gn__fail(GN_EINVAL, "%s: no text", what);
    size_t len = strlen(text);
    if (len > GN_SEARCH_MAX_TEXT) return gn__fail(GN_EINVAL, "%s: longer than %d characters", what, GN_SEARCH_MAX_TEXT);
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, ';');
        if (!e) e = text + len;
        char *item = dup_range(p, e);
        if (!item) return gn__fail(GN_ENOMEM, "out of memory");
        if (*item) {
            if (s->nparams >= GN_SEARCH_MAX_PARAMS) {
                free(item);
                return gn__fail(GN_EINVAL, "%s: more than %d parameters", what, GN_SEARCH_MAX_PARAMS);
            }
            param *pa = &s->params[s->nparams];
            memset(pa, 0, sizeof *pa);
            s->nparams++; /* so that free() sees partial state */
            int st = parse_item(what, item, random, pa, &dists[s->nparams - 1]);
            if (st == GN_OK)
                for (size_t j = 0; j + 1 < s->nparams; j++)
                    if (!strcmp(s->params[j].name, pa->name)) {
                        st = gn__fail(GN_EINVAL, "%s: '%s' names the flag '%s' a second time", what, item, pa->name);
                        break;
                    }
            free(item);
            if (st != GN_OK) return st;
        } else {
            free(item);
        }
        p = *e ? e + 1 : e;
    }
    if (s->nparams == 0) return gn__fail(GN_EINVAL, "%s: no parameters (expected name=values;...)", what);
    return GN_OK;
}

gn_status gn_search_parse_grid(const char *text, gn_search_space **out) {
    gn__clear_error();
    gn_search_space *s = calloc(1, sizeof *s);
    dist dists[GN_SEARCH_MAX_PARAMS];
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    int st = parse_items("--grid", text, 0, s, dists);
    if (st != GN_OK) goto fail;
    size_t n = 1;
    for (size_t j = 0; j < s->nparams; j++) {
        if (n > GN_SELECT_MAX_CONFIGS / s->params[j].nvalues) {
            st = gn__fail(GN_EINVAL, "--grid: more than %d configurations", GN_SELECT_MAX_CONFIGS);
            goto fail;
        }
        n *= s->params[j].nvalues;
    }
    if (!(s->choice = malloc(n * s->nparams * sizeof *s->choice))) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto fail;
    }
    /* Mixed radix, the last parameter varying fastest (like nested loops in the written order). */
    for (size_t i = 0; i < n; i++) {
        size_t r = i;
        for (size_t j = s->nparams; j-- > 0;) {
            s->choice[i * s->nparams + j] = r % s->params[j].nvalues;
            r /= s->params[j].nvalues;
        }
    }
    s->nconfigs = n;
    *out = s;
    return GN_OK;
fail:
    gn_search_space_free(s);
    return st;
}

static double next_uniform(uint64_t *state) { /* [0,1) from splitmix64 */
    return (double)(gn__splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
}

gn_status gn_search_parse_random(const char *text, uint32_t n, uint64_t seed, gn_search_space **out) {
    gn__clear_error();
    if (n < 1 || n > GN_SELECT_MAX_CONFIGS)
        return gn__fail(GN_EINVAL, "--random: the number of configurations must be in [1, %d] (got %u)",
                        GN_SELECT_MAX_CONFIGS, n);
    gn_search_space *s = calloc(1, sizeof *s);
    dist dists[GN_SEARCH_MAX_PARAMS];
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    int st = parse_items("--space", text, 1, s, dists);
    if (st != GN_OK) goto fail;
    if (!(s->choice = malloc((size_t)n * s->nparams * sizeof *s->choice))) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto fail;
    }
    uint64_t rng = seed ^ 0x5eedull;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < s->nparams; j++) {
            param *p = &s->params[j];
            double u = next_uniform(&rng);
            if (dists[j].kind == DIST_LIST) {
                size_t k = (size_t)(u * (double)p->nvalues);
                s->choice[i * s->nparams + j] = k < p->nvalues ? k : p->nvalues - 1;
                continue;
            }
            char buf[64];
            if (dists[j].kind == DIST_LOG) {
                double v = exp(log(dists[j].lo) + u * (log(dists[j].hi) - log(dists[j].lo)));
                snprintf(buf, sizeof buf, "%.6g", v);
            } else if (dists[j].kind == DIST_UNIFORM) {
                snprintf(buf, sizeof buf, "%.6g", dists[j].lo + u * (dists[j].hi - dists[j].lo));
            } else {
                double v = dists[j].lo + floor(u * (dists[j].hi - dists[j].lo + 1));
                if (v > dists[j].hi) v = dists[j].hi;
                snprintf(buf, sizeof buf, "%.0f", v);
            }
            /* reuse an equal value already drawn so that distinct values stay distinct */
            size_t k = 0;
            while (k < p->nvalues && strcmp(p->values[k], buf) != 0) k++;
            if (k == p->nvalues) {
                char *v = malloc(strlen(buf) + 1);
                if (v) strcpy(v, buf);
                if ((st = add_value(p, v)) != GN_OK) goto fail;
            }
            s->choice[i * s->nparams + j] = k;
        }
    }
    s->nconfigs = n;
    *out = s;
    return GN_OK;
fail:
    gn_search_space_free(s);
    return st;
}
