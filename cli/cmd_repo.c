/* cli/cmd_repo.c: the model repository commands: `gannet publish`, `gannet models list` and
 * `gannet rollback` (the repository itself is gannet/repo.h). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void publish_help(void) {
    printf("usage: gannet publish -m MODEL --repository REPO --name NAME [--meta JSON] [--no-current]\n\n"
           "Publishes MODEL as the next version of REPO/NAME (REPO/NAME/VERSION/model.gnm + meta.json)\n"
           "and makes it current, atomically (docs/pipeline-file.md, The model repository).\n\n"
           "  -m, --model PATH     the model file (it must load)\n"
           "  --repository REPO    the repository directory (created if missing)\n"
           "  --name NAME          the model's name: 1-63 of A-Z a-z 0-9 _ - .\n"
           "  --meta JSON          a JSON object merged into meta.json (metrics, params, ...)\n"
           "  --no-current         write the version but leave `current` as it is\n"
           "Prints the new version number.\n");
}

int cmd_publish(int argc, char **argv) {
    const char *model_path = NULL, *repo = NULL, *name = NULL, *meta = NULL, *f;
    int make_current = 1;
    cli_args a;
    cli_args_init(&a, "publish", argc, argv);
    while ((f = cli_next(&a))) {
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            publish_help();
            return EXIT_OK;
        } else if (!strcmp(f, "-m") || !strcmp(f, "--model")) {
            if (!(model_path = cli_value(&a, f))) return EXIT_USAGE;
        } else if (!strcmp(f, "--repository")) {
            if (!(repo = cli_value(&a, f))) return EXIT_USAGE;
        } else if (!strcmp(f, "--name")) {
            if (!(name = cli_value(&a, f))) return EXIT_USAGE;
        } else if (!strcmp(f, "--meta")) {
            if (!(meta = cli_value(&a, f))) return EXIT_USAGE;
        } else if (!strcmp(f, "--no-current")) {
            make_current = 0;
        } else {
            return cli_usage_error("publish", "unknown flag '%s'", f);
        }
    }
    if (!model_path || !repo || !name) return cli_usage_error("publish", "need -m MODEL, --repository REPO and --name NAME");
    if (!gn_repo_name_ok(name)) return cli_usage_error("publish", "--name '%s': use 1-63 of A-Z a-z 0-9 _ - . (not starting with '.')", name);
    gn_model *m;
    int st = gn_model_load(model_path, &m);
    if (st != GN_OK) return cli_fail("publish", st);
    uint32_t v = 0;
    st = gn_repo_publish(repo, name, m, meta, make_current, &v);
    gn_model_free(m);
    if (st == GN_EINVAL) return cli_usage_error("publish", "%s", gn_last_error());
    if (st != GN_OK) return cli_fail("publish", st);
    printf("%u\n", v);
    fprintf(stderr, "gannet publish: %s/%s version %u%s\n", repo, name, v, make_current ? " (current)" : "");
    return EXIT_OK;
}

/* One model's listing as JSON: name, current, versions with their meta. */
static json_t *model_listing(const char *repo, const char *name) {
    uint32_t cur = 0, *vs = NULL;
    size_t nv = 0;
    if (gn_repo_current(repo, name, &cur) != GN_OK || gn_repo_versions(repo, name, &vs, &nv) != GN_OK) return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < nv; i++) {
        char *text = NULL;
        json_t *meta = NULL;
        if (gn_repo_read_meta(repo, name, vs[i], &text) == GN_OK) meta = json_loads(text, 0, NULL);
        free(text);
        json_array_append_new(arr, json_pack("{s:I, s:b, s:o*}", "version", (json_int_t)vs[i], "current",
                                             vs[i] == cur, "meta", meta));
    }
    free(vs);
    return json_pack("{s:s, s:I, s:o*}", "name", name, "current", (json_int_t)cur, "versions", arr);
}

static void print_metric(json_t *meta, const char *key) {
    json_t *m = json_object_get(json_object_get(meta, "metrics"), key);
    if (json_is_number(m)) printf(" %s=%.6g", key, json_number_value(m));
}

int cmd_models(int argc, char **argv) {
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        printf("usage: gannet models list REPO [--json]\n\n"
               "Lists every model of the repository, its versions (created, metrics) and the current one.\n");
        return argc < 1 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[0], "list") != 0) return cli_usage_error("models", "unknown sub-command '%s' (list)", argv[0]);
    const char *repo = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("models", "unknown flag '%s'", argv[i]);
        else if (!repo) repo = argv[i];
        else return cli_usage_error("models", "one repository only");
    }
    if (!repo) return cli_usage_error("models", "list: need REPO");
    char **names;
    size_t n;
    int st = gn_repo_names(repo, &names, &n);
    if (st != GN_OK) return cli_fail("models", st);
    json_t *all = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *m = model_listing(repo, names[i]);
        if (!m) {
            gn_repo_names_free(names, n);
            json_decref(all);
            return cli_fail("models", GN_EIO);
        }
        json_array_append_new(all, m);
    }
    gn_repo_names_free(names, n);
    if (json) {
        json_t *o = json_pack("{s:s, s:o}", "repository", repo, "models", all);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!text) return cli_fail("models", GN_ENOMEM);
        printf("%s\n", text);
        free(text);
        return EXIT_OK;
    }
    size_t i;
    json_t *m;
    json_array_foreach(all, i, m) {
        printf("%s  current %lld\n", json_string_value(json_object_get(m, "name")),
               (long long)json_integer_value(json_object_get(m, "current")));
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(m, "versions"), k, v) {
            json_t *meta = json_object_get(v, "meta");
            printf("  %c %4lld  %s  parent %lld", json_is_true(json_object_get(v, "current")) ? '*' : ' ',
                   (long long)json_integer_value(json_object_get(v, "version")),
                   json_string_value(json_object_get(meta, "created")) ? json_string_value(json_object_get(meta, "created")) : "?",
                   (long long)json_integer_value(json_object_get(meta, "parent")));
            print_metric(meta, "auc");
            print_metric(meta, "logloss");
            print_metric(meta, "rmse");
            printf("\n");
        }
    }
    json_decref(all);
    return EXIT_OK;
}

int cmd_rollback(int argc, char **argv) {
    const char *target = NULL, *f, *v;
    unsigned to = 0;
    cli_args a;
    cli_args_init(&a, "rollback", argc, argv);
    while ((f = cli_next(&a))) {
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            printf("usage: gannet rollback REPO/NAME [--to VERSION]\n\n"
                   "Makes VERSION current (default: the parent of the current version). The version's\n"
                   "model must load. Prints the version now current.\n");
            return EXIT_OK;
        } else if (!strcmp(f, "--to")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &to) != 0) return EXIT_USAGE;
            if (!to) return cli_usage_error("rollback", "--to: versions start at 1");
        } else if (f[0] == '-' && f[1]) {
            return cli_usage_error("rollback", "unknown flag '%s'", f);
        } else if (!target) {
            target = f;
        } else {
            return cli_usage_error("rollback", "one REPO/NAME only");
        }
    }
    if (!target) return cli_usage_error("rollback", "need REPO/NAME");
    size_t len = strlen(target);
    while (len > 1 && target[len - 1] == '/') len--;
    char *repo = strndup(target, len);
    if (!repo) return cli_fail("rollback", GN_ENOMEM);
    char *slash = strrchr(repo, '/');
    if (!slash || slash == repo) {
        free(repo);
        return cli_usage_error("rollback", "'%s': expected REPO/NAME", target);
    }
    *slash = '\0';
    uint32_t now = 0;
    int st = gn_repo_rollback(repo, slash + 1, to, &now);
    free(repo);
    if (st == GN_EINVAL) return cli_usage_error("rollback", "%s", gn_last_error());
    if (st != GN_OK) return cli_fail("rollback", st);
    printf("%u\n", now);
    fprintf(stderr, "gannet rollback: %s: version %u is current\n", target, now);
    return EXIT_OK;
}
