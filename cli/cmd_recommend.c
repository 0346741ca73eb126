/* cli/cmd_recommend.c: `gannet recommend`: the top k items of a user (or of every user of a file)
 * from a matrix-factorization model, through gn_model_recommend (gannet/recommend.h); with
 * --context or --contexts, a feature model's ranking of --candidates (cli/recommend_features.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void) {
    printf("usage: gannet recommend -m MODEL (--user U | --users FILE) [-k N] [--exclude-seen]\n"
           "                        [--exclude ITEM,...] [--candidates FILE] [--json]\n"
           "       gannet recommend -m MODEL (--context TEXT | --contexts FILE) --candidates FILE\n"
           "                        [-k N] [--item-field NAME | --lines] [--json]\n\n"
           "The k best items for a user of a matrix-factorization model (kind mf), best first, as\n"
           "'user<TAB>item:score item:score ...' lines (--json: {\"user\": U, \"known\": true,\n"
           "\"items\": [{\"item\": I, \"score\": S}, ...]} per line). A user the model does not know\n"
           "gets the fallback: the items with the best bias (ratings) or the most popular (implicit).\n"
           "With --context or --contexts, a feature model (fm, ffm, linear) ranks the candidates of\n"
           "--candidates for each context by its prediction of the context merged with the\n"
           "candidate: 'context<TAB>item:score ...' lines (--json: {\"context\": N, \"items\":\n"
           "[{\"item\": I, \"index\": N, \"score\": S}, ...]}). A context or candidate is a JSON\n"
           "object of feature: value, or name=value pairs ('user=u3 hour=7'; a value that reads as a\n"
           "number is one, else a category); a candidate line may be a bare item id, the value of\n"
           "--item-field.\n"
           "  -m, --model FILE     the model\n"
           "  --user U             one user\n"
           "  --users FILE         one user per line ('-': stdin)\n"
           "  -k N                 how many items (default 10)\n"
           "  --exclude-seen       leave out the items the user had in training\n"
           "  --exclude LIST       leave out these items (comma-separated)\n"
           "  --exclude-file FILE  leave out the items of FILE (one per line; ids with commas)\n"
           "  --candidates FILE    rank only these items (one per line); feature models: the\n"
           "                       candidates, one per line (required)\n"
           "  --context TEXT       feature models: one context ('a=1 b=x' or a JSON object)\n"
           "  --contexts FILE      feature models: one context per line ('-': stdin)\n"
           "  --item-field NAME    feature models: the feature a bare item id goes to (default item)\n"
"  --lines              feature models: the context(s) and candidates are text lines in the\n"
"                       model's input format without label (libsvm, libfm, libffm, vw: '|item\n"
"                       i7'); each candidate is scored as the line 'CONTEXT CANDIDATE'\n"
"  --json               JSON lines\n" CLI_INDEX_HELP);
}

/* Lines of a file (without '\n' / '\r'), empty ones dropped; *buf owns the text. */
static int read_lines(const char *path, char **buf, char ***lines, size_t *n) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    *buf = NULL;
    *lines = NULL;
    *n = 0;
    if (!f) {
        fprintf(stderr, "gannet recommend: %s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 0, len = 0;
    char chunk[65536];
    size_t got;
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
    if (!*buf && !(*buf = malloc(1))) return -1;
    (*buf)[len] = '\0';
    size_t lcap = 0;
    for (char *s = *buf; *s;) {
        char *e = strchr(s, '\n');
        if (e) *e = '\0';
        size_t l = strlen(s);
        if (l && s[l - 1] == '\r') s[--l] = '\0';
        if (l) {
            if (*n == lcap) {
                lcap = lcap ? lcap * 2 : 64;
                char **v = realloc(*lines, lcap * sizeof *v);
                if (!v) return -1;
                *lines = v;
            }
            (*lines)[(*n)++] = s;
        }
        if (!e) break;
        s = e + 1;
    }
    return 0;
nomem:
    if (f != stdin) fclose(f);
    return -1;
}

int cmd_recommend(int argc, char **argv) {
    const char *xfile = NULL;
    char *xbuf = NULL, **xlines = NULL;
    size_t nx = 0;
    const char *model_path = NULL, *user = NULL, *users_path = NULL, *cand_path = NULL, *excl_text = NULL;
    const char *context = NULL, *contexts_path = NULL, *item_field = NULL;
    int index_flags = 0;
    unsigned long long k = 10;
    int exclude_seen = 0, json = 0, lines = 0, rc = EXIT_USAGE;
    cli_args a;
    cli_args_init(&a, "recommend", argc, argv);
    gn_mf_index_options ix;
    gn_mf_index_options_init(&ix);
    int r;
    const char *f, *v;
    char *ubuf = NULL, *cbuf = NULL, *ebuf = NULL, **ulines = NULL, **clines = NULL;
    const char **excl = NULL;
    size_t nusers = 0, ncand = 0, nexcl = 0;
    gn_model *m = NULL;
    gn_recommend_item *items = NULL;
    while ((f = cli_next(&a))) {
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            help();
            return EXIT_OK;
        } else if (!strcmp(f, "-m") || !strcmp(f, "--model")) {
            if (!(model_path = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--user")) {
            if (!(user = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--users")) {
            if (!(users_path = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "-k") || !strcmp(f, "--k")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u64(f, v, &k) != 0) goto out;
            if (k < 1 || k > 100000) {
                cli_usage_error("recommend", "-k: expected 1..100000, got %s", v);
                goto out;
            }
        } else if (!strcmp(f, "--exclude-seen")) {
            exclude_seen = 1;
        } else if (!strcmp(f, "--exclude")) {
            if (!(excl_text = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--exclude-file")) {
            if (!(xfile = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--candidates")) {
            if (!(cand_path = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--json")) {
            json = 1;
        } else if (!strcmp(f, "--context")) {
            if (!(context = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--contexts")) {
            if (!(contexts_path = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--lines")) {
            lines = 1;
        } else if (!strcmp(f, "--item-field")) {
            if (!(item_field = cli_value(&a, f))) goto out;
            if (!*item_field) {
                cli_usage_error("recommend", "--item-field: expected a feature name");
                goto out;
            }
        } else if ((r = cli_index_flag(&a, "recommend", f, &ix)) != 0) {
            if (r < 0) goto out;
            index_flags = 1;
        } else {
            cli_usage_error("recommend", "unknown flag '%s'", f);
            goto out;
        }
    }
    if (!model_path) {
        cli_usage_error("recommend", "no model: give -m MODEL");
        goto out;
    }
    if (context || contexts_path) { /* a feature model ranks posted candidates */
        if (context && contexts_path) {
            cli_usage_error("recommend", "give one of --context TEXT or --contexts FILE");
            goto out;
        }
        if (user || users_path || exclude_seen || excl_text || xfile || index_flags) {
            cli_usage_error("recommend", "--context/--contexts (feature models) take --candidates, -k, --item-field "
                                         "and --json, not the --user/--users options of kind mf");
            goto out;
        }
        if (!cand_path) {
            cli_usage_error("recommend", "--context/--contexts: give --candidates FILE (one candidate per line)");
            goto out;
        }
        if (lines && item_field) {
            cli_usage_error("recommend", "--lines: a text-line candidate has no item id, so no --item-field");
            goto out;
        }
        return cli_recommend_features(model_path, context, contexts_path, cand_path, (size_t)k,
                                      item_field ? item_field : "item", json, lines);
    }
    if (lines) {
        cli_usage_error("recommend", "--lines goes with --context or --contexts (feature models)");
        goto out;
    }
    if (item_field) {
        cli_usage_error("recommend", "--item-field goes with --context or --contexts (feature models)");
        goto out;
    }
    if (!user == !users_path) {
        cli_usage_error("recommend", "give one of --user U or --users FILE (kind mf), or --context TEXT / --contexts "
                                     "FILE with --candidates FILE (kinds fm, ffm, linear)");
        goto out;
    }
    rc = EXIT_FAIL;
    if (excl_text) { /* comma-separated ids */
        if (!(ebuf = strdup(excl_text))) goto out;
        for (char *s = ebuf;;) {
            char *c = strchr(s, ',');
            if (c) *c = '\0';
            if (*s) {
                const char **e = realloc((void *)excl, (nexcl + 1) * sizeof *excl);
                if (!e) goto out;
                excl = e;
                excl[nexcl++] = s;
            }
            if (!c) break;
            s = c + 1;
        }
    }
    if (cand_path && read_lines(cand_path, &cbuf, &clines, &ncand) != 0) goto out;
    if (xfile) {
        if (read_lines(xfile, &xbuf, &xlines, &nx) != 0) goto out;
        const char **e = realloc((void *)excl, (nexcl + nx + 1) * sizeof *excl);
        if (!e) goto out;
        excl = e;
        for (size_t i = 0; i < nx; i++) excl[nexcl++] = xlines[i];
    }
    if (users_path && read_lines(users_path, &ubuf, &ulines, &nusers) != 0) goto out;
    int st;
    if ((st = gn_model_load(model_path, &m)) != GN_OK) {
        rc = cli_fail("recommend", st);
        goto out;
    }
    if (gn_model_get_kind(m) != GN_KIND_MF) {
        fprintf(stderr,
                "gannet recommend: %s: a model of kind %s; --user/--users need kind mf (train --kind mf); a feature "
                "model ranks --candidates for a --context\n",
                model_path, gn_model_kind_name(gn_model_get_kind(m)));
        goto out;
    }
    if ((st = gn_model_mf_build_index(m, &ix)) != GN_OK) {
        rc = cli_fail("recommend", st);
        goto out;
    }
    gn_mf_index_info info;
    if (gn_model_mf_index_info(m, &info) == GN_OK && info.kind == GN_MF_INDEX_IVF)
        fprintf(stderr, "gannet recommend: IVF index: %u lists, nprobe %u, %.1f MiB, built in %.2f s\n", info.nlists,
                info.nprobe, (double)info.bytes / 1048576.0, info.build_seconds);
    else if (gn_model_mf_index_info(m, &info) == GN_OK && info.kind == GN_MF_INDEX_HNSW)
        fprintf(stderr, "gannet recommend: HNSW index: M %u, ef_construction %u, ef_search %u, %.1f MiB, built in %.2f s"
                " (%u threads)\n", info.hnsw_m, info.ef_construction, info.ef_search, (double)info.bytes / 1048576.0,
                info.build_seconds, info.threads);
    gn_recommend_options o;
    gn_recommend_options_init(&o);
    o.exclude_seen = exclude_seen;
    o.exclude = excl;
    o.nexclude = nexcl;
    o.candidates = cand_path ? (const char *const *)clines : NULL;
    o.ncandidates = ncand;
    if (!(items = malloc((size_t)k * sizeof *items))) goto out;
    const size_t total = users_path ? nusers : 1;
    for (size_t j = 0; j < total; j++) {
        const char *u = users_path ? ulines[j] : user;
        size_t n;
        if ((st = gn_model_recommend(m, u, (size_t)k, &o, items, &n)) != GN_OK) {
            rc = cli_fail("recommend", st);
            goto out;
        }
        if (json) {
            printf("{\"user\":");
            cli_json_string(stdout, u);
            printf(",\"known\":%s,\"items\":[", gn_model_mf_has_user(m, u) ? "true" : "false");
            for (size_t i = 0; i < n; i++) {
                printf("%s{\"item\":", i ? "," : "");
                cli_json_string(stdout, items[i].item);
                printf(",\"score\":%.9g}", items[i].score);
            }
            printf("]}\n");
        } else {
            fputs(u, stdout);
            putchar('\t');
            for (size_t i = 0; i < n; i++) printf("%s%s:%.6g", i ? " " : "", items[i].item, items[i].score);
            putchar('\n');
        }
    }
    rc = EXIT_OK;
out:
    gn_model_free(m);
    free(items);
    free(ubuf);
    free(cbuf);
    free(ebuf);
    free(xbuf);
    free(xlines);
    free(ulines);
    free(clines);
    free((void *)excl);
    return rc;
}
