/* cli/recommend_features.c: `gannet recommend` for feature models (kinds fm, ffm, linear): the
 * candidates of a file ranked for a context (--context) or for every context of a file
 * (--contexts), through gn_model_rank_named (gannet/recommend.h). Here only the reading of
 * contexts and candidates, one per line: a JSON object of feature: value, or name=value pairs
 * separated by blanks (a value that reads as a number is one, else a category), or (candidates)
 * a bare item id, the feature --item-field; or, with --lines, text lines in the model's input
 * format, ranked through gn_model_rank_lines. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct feats {
    gn_named_features f;
    const char **names;
    double *values;
    const char **strs;
    char *text;   /* the name=value copy the names and strings point into */
    json_t *json; /* the JSON object they point into */
    const char *label; /* how the output names a candidate: its item_field value, or NULL */
} feats;

static void feats_free(feats *x) {
    free((void *)x->names);
    free(x->values);
    free((void *)x->strs);
    free(x->text);
    json_decref(x->json);
}

static int grow(feats *x, size_t n) {
    const char **nm = realloc((void *)x->names, n * sizeof *nm);
    if (nm) x->names = nm;
    double *v = realloc(x->values, n * sizeof *v);
    if (v) x->values = v;
    const char **s = realloc((void *)x->strs, n * sizeof *s);
    if (s) x->strs = s;
    return nm && v && s ? 0 : -1;
}

static int add(feats *x, const char *name, double v, const char *str) {
    if (grow(x, x->f.n + 1) != 0) return -1;
    x->names[x->f.n] = name;
    x->values[x->f.n] = v;
    x->strs[x->f.n] = str;
    x->f.n++;
    return 0;
}

/* One context or candidate from its text; where: "--context", "FILE:LINE". 0, or -1 with the
 * reason printed. */
static int parse_feats(const char *text, int candidate, const char *item_field, const char *where, feats *x) {
    memset(x, 0, sizeof *x);
    while (*text == ' ' || *text == '\t') text++;
    if (*text == '{') {
        json_error_t err;
        if (!(x->json = json_loads(text, JSON_REJECT_DUPLICATES, &err)) || !json_is_object(x->json)) {
            fprintf(stderr, "gannet recommend: %s: %s\n", where, x->json ? "not a JSON object" : err.text);
            return -1;
        }
        const char *key;
        json_t *v;
        json_object_foreach(x->json, key, v) {
            int r = 0;
            if (json_is_null(v)) continue;
            if (json_is_string(v)) r = add(x, key, 0.0, json_string_value(v));
            else if (json_is_number(v)) r = add(x, key, json_number_value(v), NULL);
            else {
                fprintf(stderr, "gannet recommend: %s: feature '%s': value must be a number, a string or null\n", where,
                        key);
                return -1;
            }
            if (r) goto nomem;
        }
    } else if (strchr(text, '=') || !candidate) {
        if (!(x->text = strdup(text))) goto nomem;
        for (char *s = strtok(x->text, " \t"); s; s = strtok(NULL, " \t")) {
            char *eq = strchr(s, '=');
            if (!eq || eq == s) {
                fprintf(stderr, "gannet recommend: %s: '%s' is not name=value\n", where, s);
                return -1;
            }
            *eq = '\0';
            const char *val = eq + 1;
            char *end;
            errno = 0;
            const double d = strtod(val, &end);
            const int number = *val && *end == '\0' && errno == 0 && isfinite(d);
            if (add(x, s, number ? d : 0.0, number ? NULL : val)) goto nomem;
        }
    } else { /* a bare item id */
        if (!(x->text = strdup(text))) goto nomem;
        char *e = x->text + strlen(x->text);
        while (e > x->text && (e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
        if (add(x, item_field, 0.0, x->text)) goto nomem;
    }
    x->f.names = x->names;
    x->f.values = x->values;
    x->f.strs = x->strs;
    for (size_t i = 0; i < x->f.n; i++)
        if (!strcmp(x->names[i], item_field) && x->strs[i]) x->label = x->strs[i];
    return 0;
nomem:
    fprintf(stderr, "gannet recommend: out of memory\n");
    return -1;
}

/* Non-empty lines of a file ('-': stdin), '\r' and '\n' cut; *buf owns the text. */
static int read_lines(const char *path, char **buf, char ***lines, size_t **lineno, size_t *n) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    *buf = NULL;
    *lines = NULL;
    *lineno = NULL;
    *n = 0;
    if (!f) {
        fprintf(stderr, "gannet recommend: %s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 0, len = 0, got;
    char chunk[65536];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *b = realloc(*buf, cap);
            if (!b) goto nomem;
            *buf = b;
        }
        memcpy(*buf + len, chunk, got);
        len += got;
    }
    if (f != stdin) fclose(f);
    f = NULL;
    if (!*buf && !(*buf = malloc(1))) goto nomem;
    (*buf)[len] = '\0';
    size_t lcap = 0, no = 0;
    for (char *s = *buf; *s;) {
        char *e = strchr(s, '\n');
        if (e) *e = '\0';
        no++;
        size_t l = strlen(s);
        if (l && s[l - 1] == '\r') s[--l] = '\0';
        if (l) {
            if (*n == lcap) {
                lcap = lcap ? lcap * 2 : 64;
                char **v = realloc(*lines, lcap * sizeof *v);
                size_t *w = realloc(*lineno, lcap * sizeof *w);
                if (v) *lines = v;
                if (w) *lineno = w;
                if (!v || !w) goto nomem;
            }
            (*lines)[*n] = s;
            (*lineno)[(*n)++] = no;
        }
        if (!e) break;
        s = e + 1;
    }
    return 0;
nomem:
    if (f && f != stdin) fclose(f);
    fprintf(stderr, "gannet recommend: out of memory reading %s\n", path);
    return -1;
}

/* --lines: each context's ranking of the candidate lines; text output names a candidate #N. */
static int rank_lines(const gn_model *m, const char *context, const char *contexts_path, char **xlines,
                      const size_t *xno, size_t nctx, const char *cand_path, char **clines, const size_t *cno,
                      size_t ncand, size_t k, int json) {
    gn_ranked *ranked = malloc(k * sizeof *ranked);
    if (!ranked) {
        fprintf(stderr, "gannet recommend: out of memory\n");
        return EXIT_FAIL;
    }
    for (size_t j = 0; j < nctx; j++) {
        const char *ctext = contexts_path ? xlines[j] : context;
        size_t n;
        const gn_status st = gn_model_rank_lines(m, ctext, (const char *const *)clines, ncand, k, ranked, &n);
        if (st != GN_OK) {
            /* "candidate 3: ..." names the 0-based position: give the file's line instead */
            const char *e = gn_last_error();
            size_t c;
            int used = 0;
            if (sscanf(e, "candidate %zu: %n", &c, &used) == 1 && used > 0 && c < ncand)
                fprintf(stderr, "gannet recommend: %s:%zu: %s\n", cand_path, cno[c], e + used);
            else if (contexts_path)
                fprintf(stderr, "gannet recommend: %s:%zu: %s\n", contexts_path, xno[j], e);
            else fprintf(stderr, "gannet recommend: %s\n", e);
            free(ranked);
            return st == GN_EUNSUPPORTED || st == GN_EPARSE ? EXIT_USAGE : EXIT_FAIL;
        }
        if (json) {
            printf("{\"context\":%zu,\"items\":[", j);
            for (size_t i = 0; i < n; i++)
                printf("%s{\"index\":%zu,\"score\":%.9g}", i ? "," : "", ranked[i].index, ranked[i].score);
            printf("]}\n");
        } else {
            fputs(ctext, stdout);
            putchar('\t');
            for (size_t i = 0; i < n; i++) printf("%s#%zu:%.6g", i ? " " : "", ranked[i].index, ranked[i].score);
            putchar('\n');
        }
    }
    free(ranked);
    return EXIT_OK;
}

int cli_recommend_features(const char *model_path, const char *context, const char *contexts_path,
                           const char *cand_path, size_t k, const char *item_field, int json, int lines) {
    int rc = EXIT_FAIL;
    gn_model *m = NULL;
    char *cbuf = NULL, *xbuf = NULL, **clines = NULL, **xlines = NULL;
    size_t *cno = NULL, *xno = NULL, ncand = 0, nctx = 0;
    feats *cands = NULL, *ctxs = NULL;
    gn_named_features *cf = NULL;
    gn_ranked *ranked = NULL;
    if (read_lines(cand_path, &cbuf, &clines, &cno, &ncand) != 0) goto out;
    if (contexts_path && read_lines(contexts_path, &xbuf, &xlines, &xno, &nctx) != 0) goto out;
    if (!contexts_path) nctx = 1;
    int st;
    if ((st = gn_model_load(model_path, &m)) != GN_OK) {
        rc = cli_fail("recommend", st);
        goto out;
    }
    if (gn_model_get_kind(m) == GN_KIND_MF) {
        fprintf(stderr, "gannet recommend: %s: a model of kind mf ranks items for --user or --users, not --context\n",
                model_path);
        goto out;
    }
    if (lines) {
        rc = rank_lines(m, context, contexts_path, xlines, xno, nctx, cand_path, clines, cno, ncand, k, json);
        goto out;
    }
    cands = calloc(ncand ? ncand : 1, sizeof *cands);
    ctxs = calloc(nctx, sizeof *ctxs);
    cf = malloc((ncand ? ncand : 1) * sizeof *cf);
    ranked = malloc(k * sizeof *ranked);
    if (!cands || !ctxs || !cf || !ranked) {
        fprintf(stderr, "gannet recommend: out of memory\n");
        goto out;
    }
    char where[512];
    for (size_t c = 0; c < ncand; c++) {
        snprintf(where, sizeof where, "%s:%zu", cand_path, cno[c]);
        if (parse_feats(clines[c], 1, item_field, where, &cands[c]) != 0) goto out;
        cf[c] = cands[c].f;
    }
    for (size_t j = 0; j < nctx; j++) {
        if (contexts_path) snprintf(where, sizeof where, "%s:%zu", contexts_path, xno[j]);
        else snprintf(where, sizeof where, "--context");
        if (parse_feats(contexts_path ? xlines[j] : context, 0, item_field, where, &ctxs[j]) != 0) goto out;
    }
    for (size_t j = 0; j < nctx; j++) {
        size_t n;
        if ((st = gn_model_rank_named(m, &ctxs[j].f, cf, ncand, k, ranked, &n)) != GN_OK) {
            if (contexts_path) fprintf(stderr, "gannet recommend: %s:%zu: %s\n", contexts_path, xno[j], gn_last_error());
            else fprintf(stderr, "gannet recommend: %s\n", gn_last_error());
            goto out;
        }
        const char *ctext = contexts_path ? xlines[j] : context;
        if (json) {
            printf("{\"context\":%zu,\"items\":[", j);
            for (size_t i = 0; i < n; i++) {
                const feats *c = &cands[ranked[i].index];
                printf("%s{", i ? "," : "");
                if (c->label) {
                    printf("\"item\":");
                    cli_json_string(stdout, c->label);
                    printf(",");
                }
                printf("\"index\":%zu,\"score\":%.9g}", ranked[i].index, ranked[i].score);
            }
            printf("]}\n");
        } else {
            fputs(ctext, stdout);
            putchar('\t');
            for (size_t i = 0; i < n; i++) {
                const feats *c = &cands[ranked[i].index];
                if (c->label) printf("%s%s:%.6g", i ? " " : "", c->label, ranked[i].score);
                else printf("%s#%zu:%.6g", i ? " " : "", ranked[i].index, ranked[i].score);
            }
            putchar('\n');
        }
    }
    rc = EXIT_OK;
out:
    for (size_t c = 0; cands && c < ncand; c++) feats_free(&cands[c]);
    for (size_t j = 0; ctxs && j < nctx; j++) feats_free(&ctxs[j]);
    free(cands);
    free(ctxs);
    free(cf);
    free(ranked);
    free(cbuf);
    free(xbuf);
    free(clines);
    free(xlines);
    free(cno);
    free(xno);
    gn_model_free(m);
    return rc;
}
