/* cli/cmd_select.c: `gannet cv` (k-fold cross-validation of one configuration) and `gannet tune`
 * (grid or random search over any train/data flag, with successive halving), both over the
 * library's one-pass model selection (gannet/select.h). Each configuration of a search is built
 * by running the ordinary train/data flag parsers on its (flag, value) pairs. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct select_cmd {
    const char *name;                /* "cv" or "tune" */
    gn_data_spec spec;
    gn_train_options train;
    gn_select_options sel;
    const char **files;
    size_t nfiles;
    const char *grid, *space, *model_path, *results_path;
    unsigned random_n;
    int json, quiet, force_progress;
} select_cmd;

static void help(const char *name) {
    if (!strcmp(name, "cv"))
        printf("usage: gannet cv -d DATA... [-k K] [train and data flags] [--json]\n\n"
               "K-fold cross-validation: fold f's model learns from every example outside fold f, in file\n"
               "order, then scores fold f; all K models share each pass over the data. Folds are assigned\n"
               "by a hash of each example's position (file, byte offset) with --seed. Prints each fold's\n"
               "metrics and their mean and standard deviation. With --optimizer lbfgs|owlqn each fold's\n"
               "model is solved to its optimum on the data held in memory. Under mpirun the folds are\n"
               "dealt out to the ranks.\n\n");
    else
        printf("usage: gannet tune -d DATA... [-k K] (--grid GRID | --random N --space SPACE) [flags]\n\n"
               "Hyperparameter search: every (configuration x fold) model is trained in the same passes\n"
               "over the data, spread over the threads. With --optimizer lbfgs|owlqn each fold's\n"
               "configurations are solved as an l2 path, strongest first, warm-starting each other.\n"
               "Under mpirun the candidates are dealt out to the ranks.\n"
               "  --grid 'l2=1e-6,1e-5;lr=0.05,0.1;bits=18,20'   all combinations; any train/data flag\n"
               "  --random N --space 'l2=log(1e-8,1e-2);lr=uniform(0.01,1);passes=int(1,5);\n"
               "                      optimizer=choice(ftrl,adagrad)'   N sampled configurations (--seed)\n"
               "  --metric M          auc | logloss | accuracy | rmse | mae | macro_f1 | weighted_f1 | mlogloss |\n"
               "                      top_k_accuracy (default auc; logloss for softmax, rmse for regression);\n"
               "                      kind mf: rmse | mae | ndcg@K | precision@K | recall@K | map@K (default\n"
               "                      rmse; ndcg@10 with --implicit)\n"
               "  -m, --model FILE    retrain the best configuration on all the data and save it there\n"
               "  --results FILE      one row per configuration: FILE.csv or FILE.json\n"
               "  --halving           after each pass drop the worse half of the configurations (kind mf:\n"
               "                      after epoch budgets doubling up to --passes, resuming the models)\n\n");
    printf("Selection flags:\n"
           "  -k, --folds K       folds (default 5)\n"
           "  --seed N            seed of the fold assignment (and of --random)\n"
           "  --threads N         worker threads (default: all cores, shared by the\n"
           "                      mpirun ranks of a machine)\n"
           "  --json              print JSON on stdout\n"
           "  --max-memory BYTES  fail up front if the candidate models (batch solvers: and\n"
           "                      the data held in memory) need more (suffix K, M, G)\n"
           "  --progress, --quiet progress on stderr even when it is not a terminal / never\n"
           "Kind mf (--kind mf --user COL --item COL [--rating COL | --implicit]; docs/recommend.md):\n"
           "each fold's model is trained by ALS/SGD on the other rating rows and scored by rmse, mae\n"
           "and each held-out user's top K (training items excluded): precision/recall/ndcg/map@K.\n"
           "  --metric M          cv: the K of the ranking metrics from ndcg@K etc. (default 10)\n"
           "  --split-by hash|time  folds by a hash of each row (default) or, with time, forward\n"
           "                      chaining: rows sorted by --time-col cut into K+1 blocks, fold f\n"
           "                      trains on blocks 1..f and tests on block f+1\n"
           "  --time-col COL      the column of times (name or 1-based index) for --split-by time\n"
           "  --relevant-min X    only held-out rows rated >= X are relevant to the ranking metrics\n");
    cli_print_param_help(stdout, CLI_DATA | CLI_TRAIN);
}

/* Returns 0 to go on, 1 after --help, -1 on a usage error (already printed). */
static int parse(select_cmd *c, int argc, char **argv) {
    gn_data_spec_init(&c->spec);
    gn_train_options_init(&c->train);
    gn_select_options_init(&c->sel);
    cli_args a;
    cli_args_init(&a, c->name, argc, argv);
    const int tune = !strcmp(c->name, "tune");
    const char *f, *v;
    unsigned u;
    while ((f = cli_next(&a))) {
        int r;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            help(c->name);
            return 1;
        } else if (!strcmp(f, "-d") || !strcmp(f, "--data")) {
            if (cli_collect_files(&a, &c->files, &c->nfiles) != 0) return -1;
        } else if (!strcmp(f, "-k") || !strcmp(f, "--folds")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &u) != 0) return -1;
            c->sel.k = u;
        } else if (!strcmp(f, "--threads")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &u) != 0) return -1;
            c->sel.threads = u;
            c->train.threads = u;
        } else if (!strcmp(f, "--json")) {
            c->json = 1;
        } else if (!strcmp(f, "--quiet") || !strcmp(f, "-q")) {
            c->quiet = 1;
        } else if (!strcmp(f, "--progress")) {
            c->force_progress = 1;
        } else if (!strcmp(f, "--max-memory")) {
            unsigned long long bytes;
            if (!(v = cli_value(&a, f)) || cli_parse_size(f, v, &bytes) != 0) return -1;
            c->sel.max_memory = bytes;
        } else if (tune && !strcmp(f, "--grid")) {
            if (!(c->grid = cli_value(&a, f))) return -1;
        } else if (tune && !strcmp(f, "--space")) {
            if (!(c->space = cli_value(&a, f))) return -1;
        } else if (tune && !strcmp(f, "--random")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &c->random_n) != 0) return -1;
        } else if (!strcmp(f, "--metric")) { /* cv: what it sets is the K of the ranking metrics */
            if (!(v = cli_value(&a, f))) return -1;
            uint32_t at = 0;
            int m = gn_select_metric_parse_at(v, &at);
            if (m < 0) {
                cli_usage_error(c->name, "--metric: unknown metric '%s' (auc, logloss, accuracy, rmse, mae, macro_f1, "
                                "weighted_f1, mlogloss, top_k_accuracy; kind mf: ndcg@K, precision@K, recall@K, map@K)", v);
                return -1;
            }
            c->sel.metric = (gn_select_metric)m;
            if (at) c->sel.rank_k = at;
        } else if (!strcmp(f, "--split-by")) {
            if (!(v = cli_value(&a, f))) return -1;
            if (!strcmp(v, "time")) c->sel.split = GN_SELECT_SPLIT_TIME;
            else if (!strcmp(v, "hash")) c->sel.split = GN_SELECT_SPLIT_HASH;
            else {
                cli_usage_error(c->name, "--split-by %s: expected hash or time", v);
                return -1;
            }
        } else if (!strcmp(f, "--time-col")) {
            if (!(c->sel.time_col = cli_value(&a, f))) return -1;
        } else if (!strcmp(f, "--relevant-min")) {
            if (!(v = cli_value(&a, f)) || cli_parse_double(f, v, &c->sel.relevant_min) != 0) return -1;
        } else if (tune && !strcmp(f, "--halving")) {
            c->sel.halving = 1;
        } else if (tune && (!strcmp(f, "-m") || !strcmp(f, "--model"))) {
            if (!(c->model_path = cli_value(&a, f))) return -1;
        } else if (tune && !strcmp(f, "--results")) {
            if (!(c->results_path = cli_value(&a, f))) return -1;
        } else if ((r = cli_param_flag(&a, f, CLI_DATA | CLI_TRAIN, &c->train, &c->spec)) != 0) {
            if (r < 0) return -1;
        } else {
            cli_usage_error(c->name, "unknown flag '%s'", f);
            return -1;
        }
    }
    c->sel.seed = c->train.seed;
    if (c->sel.time_col && c->sel.split != GN_SELECT_SPLIT_TIME) {
        cli_usage_error(c->name, "--time-col is for --split-by time");
        return -1;
    }
    if (!c->nfiles) {
        cli_usage_error(c->name, "no data: give -d FILE...");
        return -1;
    }
    if (tune) {
        size_t rl = c->results_path ? strlen(c->results_path) : 0;
        if (c->results_path && !(rl >= 4 && !strcmp(c->results_path + rl - 4, ".csv")) &&
            !(rl >= 5 && !strcmp(c->results_path + rl - 5, ".json"))) {
            cli_usage_error(c->name, "--results %s: the name must end in .csv or .json", c->results_path);
            return -1;
        }
        if (!c->grid && !c->space) {
            cli_usage_error(c->name, "nothing to search: give --grid GRID or --random N --space SPACE");
            return -1;
        }
        if (c->grid && (c->space || c->random_n)) {
            cli_usage_error(c->name, "give either --grid or --random N --space, not both");
            return -1;
        }
        if (c->space && !c->random_n) {
            cli_usage_error(c->name, "--space needs --random N (how many configurations to draw)");
            return -1;
        }
        if (c->random_n && !c->space) {
            cli_usage_error(c->name, "--random N needs --space SPACE");
            return -1;
        }
    }
    return 0;
}

/* Applies one searched (name, value) pair through the parameter table. 0 or -1 (printed). */
static int apply_param(select_cmd *c, const char *what, const char *name, const char *value, gn_data_spec *spec,
                       gn_train_options *train) {
    const gn_param_info *p = gn_param_find(name);
    if (!p || p->group == GN_PARAM_RUN) {
        cli_usage_error(c->name, "%s: unknown parameter '%s' (any searchable train or data parameter: l1, l2, lr, "
                        "bits, passes, optimizer...; see gannet params)", what, name);
        return -1;
    }
    if (!p->searchable) {
        cli_usage_error(c->name, "%s: '%s' cannot be searched (it is the same for every configuration)", what, name);
        return -1;
    }
    if (gn_param_set(train, spec, p->name, value) != GN_OK) {
        cli_usage_error(c->name, "%s: %s", what, gn_last_error());
        return -1;
    }
    return 0;
}

/* Writes a value as a JSON number when it is one, else as a JSON string. */
static void json_value(FILE *out, const char *v) {
    char *end;
    double d = strtod(v, &end);
    if (end != v && *end == '\0' && isfinite(d)) {
        char buf[40];
        snprintf(buf, sizeof buf, "%.15g", d); /* 15 digits when they read back exactly, else 17 */
        if (strtod(buf, NULL) != d) snprintf(buf, sizeof buf, "%.17g", d);
        fputs(buf, out);
        return;
    }
    fputc('"', out);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if ((unsigned char)*p < 0x20) fprintf(out, "\\u%04x", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

static void json_metrics(FILE *out, const gn_metrics *m) {
    char buf[2048];
    gn_metrics_to_json(m, buf, sizeof buf);
    fputs(buf, out);
}

static void json_row(FILE *out, const gn_search_space *sp, size_t i, const gn_select_result *r) {
    fputs("{\"params\":{", out);
    for (size_t j = 0; sp && j < gn_search_space_params(sp); j++) {
        fprintf(out, "%s\"%s\":", j ? "," : "", gn_search_space_name(sp, j));
        json_value(out, gn_search_space_value(sp, i, j));
    }
    fputs("},\"folds\":[", out);
    for (uint32_t f = 0; f < r->k; f++) {
        if (f) fputc(',', out);
        json_metrics(out, &r->folds[f]);
    }
    fputs("],\"mean\":", out);
    json_metrics(out, &r->mean);
    fputs(",\"std\":", out);
    json_metrics(out, &r->std);
    fprintf(out, ",\"seconds\":%.6g,\"passes\":%u,\"dropped\":%s}", r->seconds, r->passes, r->dropped ? "true" : "false");
}

/* Kind mf: rating and ranking metrics of each fold. */
static void print_rank_fold_table(FILE *out, const gn_select_result *r) {
    const unsigned K = r->mean.rank_k;
    char h[4][24];
    snprintf(h[0], sizeof h[0], "prec@%u", K);
    snprintf(h[1], sizeof h[1], "recall@%u", K);
    snprintf(h[2], sizeof h[2], "ndcg@%u", K);
    snprintf(h[3], sizeof h[3], "map@%u", K);
    fprintf(out, "%-6s %10s %8s %10s %10s %10s %10s %10s %10s %10s\n", "fold", "examples", "users", "rmse", "mae", h[0],
            h[1], h[2], h[3], "coverage");
    for (uint32_t f = 0; f < r->k + 2; f++) {
        const gn_metrics *m = f < r->k ? &r->folds[f] : f == r->k ? &r->mean : &r->std;
        char label[16];
        if (f < r->k) snprintf(label, sizeof label, "%u", f + 1);
        else snprintf(label, sizeof label, "%s", f == r->k ? "mean" : "std");
        fprintf(out, "%-6s %10llu %8llu %10.6f %10.6f %10.6f %10.6f %10.6f %10.6f %10.6f\n", label,
                (unsigned long long)m->examples, (unsigned long long)m->ranked_users, m->rmse, m->mae, m->precision_at_k,
                m->recall_at_k, m->ndcg_at_k, m->map_at_k, m->coverage);
    }
}

static void print_fold_table(FILE *out, const gn_select_result *r) {
    if (r->mean.rank_k) {
        print_rank_fold_table(out, r);
        return;
    }
    const int cls = r->mean.classification;
    if (cls) fprintf(out, "%-6s %10s %10s %10s %10s %10s %10s\n", "fold", "examples", "logloss", "auc", "accuracy", "rmse", "mae");
    else fprintf(out, "%-6s %10s %10s %10s %10s\n", "fold", "examples", "rmse", "mae", "mean_loss");
    for (uint32_t f = 0; f < r->k + 2; f++) {
        const gn_metrics *m = f < r->k ? &r->folds[f] : f == r->k ? &r->mean : &r->std;
        char label[16];
        if (f < r->k) snprintf(label, sizeof label, "%u", f + 1);
        else snprintf(label, sizeof label, "%s", f == r->k ? "mean" : "std");
        if (cls)
            fprintf(out, "%-6s %10llu %10.6f %10.6f %10.6f %10.6f %10.6f\n", label, (unsigned long long)m->examples,
                    m->logloss, m->auc, m->accuracy, m->rmse, m->mae);
        else
            fprintf(out, "%-6s %10llu %10.6f %10.6f %10.6f\n", label, (unsigned long long)m->examples, m->rmse, m->mae,
                    m->mean_loss);
    }
}

typedef struct progress_ctx {
    int enabled;
    const char *cmd;
    const gn_search_space *space;
} progress_ctx;

static void progress_cb(const gn_select_progress *p, void *user) {
    progress_ctx *pc = user;
    if (p->note) {
        if (pc->enabled) fprintf(stderr, "\r\033[K");
        fprintf(stderr, "gannet %s: %s\n", pc->cmd, p->note);
    }
    if (!pc->enabled) return;
    fprintf(stderr, "\rpass %u  %llu ex  %.1f s  configurations alive %zu/%zu", p->pass,
            (unsigned long long)p->examples, p->seconds, p->configs_alive, p->configs_total);
    if (p->best >= 0) {
        fprintf(stderr, "  best %s %.5f (", gn_select_metric_name(p->metric), p->best_value);
        if (pc->space && gn_search_space_params(pc->space)) {
            for (size_t j = 0; j < gn_search_space_params(pc->space); j++)
                fprintf(stderr, "%s%s=%s", j ? " " : "", gn_search_space_name(pc->space, j),
                        gn_search_space_value(pc->space, (size_t)p->best, j));
        } else {
            fprintf(stderr, "#%ld", p->best + 1);
        }
        fputc(')', stderr);
    }
    fprintf(stderr, "\033[K");
    if (p->end_of_pass) fputc('\n', stderr);
    fflush(stderr);
}

static void memory_note(const char *cmd, size_t nconfigs, uint32_t k, uint64_t bytes) {
    /* in the largest unit the size fills, as the library's --max-memory messages */
    const char *unit = "KiB";
    double v = (double)bytes / 1024.0;
    if (v >= 1024.0 * 1024.0) {
        v /= 1024.0 * 1024.0;
        unit = "GiB";
    } else if (v >= 1024.0) {
        v /= 1024.0;
        unit = "MiB";
    }
    fprintf(stderr, "gannet %s: %zu candidate models (%zu configuration%s x %u folds), about %.1f %s of model tables\n",
            cmd, nconfigs * k, nconfigs, nconfigs == 1 ? "" : "s", k, v, unit);
}

/* What cv and tune write (stdout, tune's --model and --results) must not be a data file, nor each
 * other. EXIT_OK or the exit code after the message. */
static int check_files(const select_cmd *c) {
    gn_file_use *in = NULL, out[3];
    size_t nin = 0, nout = 0;
    out[nout++] = (gn_file_use){"-", NULL};
    if (c->model_path) out[nout++] = (gn_file_use){c->model_path, "--model"};
    if (c->results_path) out[nout++] = (gn_file_use){c->results_path, "--results"};
    int rc = cli_add_uses(c->name, &in, &nin, "-d", c->files, c->nfiles) != 0 ? EXIT_FAIL
                                                                               : cli_check_outputs(c->name, in, nin, out, nout);
    free(in);
    return rc;
}

int cmd_cv(int argc, char **argv) {
    select_cmd c;
    memset(&c, 0, sizeof c);
    c.name = "cv";
    int r = parse(&c, argc, argv), rc = EXIT_USAGE, st;
    if (r != 0) {
        free((void *)c.files);
        return r > 0 ? EXIT_OK : EXIT_USAGE;
    }
    gn_select_result *res = NULL;
    if ((rc = check_files(&c)) != EXIT_OK) goto out;
    rc = EXIT_USAGE;
    res = calloc(1, sizeof *res);
    if (!res) {
        fprintf(stderr, "gannet cv: out of memory\n");
        rc = EXIT_FAIL;
        goto out;
    }
    const int rank0 = gn_dist_rank() == 0; /* under MPI only rank 0 reports */
    progress_ctx pc = {rank0 && !c.quiet && (c.force_progress || isatty(STDERR_FILENO)), "cv", NULL};
    c.sel.progress = rank0 ? progress_cb : NULL;
    c.sel.user = &pc;
    gn_select_config cfg = {c.train, c.spec};
    if ((st = gn_select_options_check(&c.sel)) != GN_OK || (st = gn_train_options_check(&c.train)) != GN_OK ||
        (st = gn_data_spec_check(&c.spec)) != GN_OK) {
        rc = cli_fail("cv", st);
        goto out;
    }
    const uint64_t need = gn_select_memory(&cfg, 1, c.sel.k); /* 0: not estimated (kind mf) */
    if (rank0 && !c.quiet && c.train.holdout == 0 && need) memory_note("cv", 1, c.sel.k, need);
    if ((st = gn_cv(&c.sel, &c.train, &c.spec, c.files, c.nfiles, res)) != GN_OK) {
        rc = cli_fail("cv", st);
        goto out;
    }
    if (rank0 && c.json) {
        json_row(stdout, NULL, 0, res);
        fputc('\n', stdout);
    } else if (rank0) {
        print_fold_table(stdout, res);
        if (c.sel.split == GN_SELECT_SPLIT_TIME)
            printf("%u forward-chaining time folds (by %s), %.2f s of training\n", res->k, c.sel.time_col, res->seconds);
        else printf("%u-fold cross-validation, %.2f s of training\n", res->k, res->seconds);
    }
    rc = EXIT_OK;
out:
    free(res);
    free((void *)c.files);
    return rc;
}

static int write_results(const char *path, const gn_search_space *sp, const gn_select_result *res, size_t n) {
    size_t len = strlen(path);
    int csv = len >= 4 && !strcmp(path + len - 4, ".csv");
    int js = len >= 5 && !strcmp(path + len - 5, ".json");
    if (!csv && !js) {
        fprintf(stderr, "gannet tune: --results %s: the name must end in .csv or .json\n", path);
        return EXIT_USAGE;
    }
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "gannet tune: --results %s: cannot open for writing: %s\n", path, strerror(errno));
        return EXIT_FAIL;
    }
    if (js) {
        fputs("[\n", out);
        for (size_t i = 0; i < n; i++) {
            json_row(out, sp, i, &res[i]);
            fputs(i + 1 < n ? ",\n" : "\n", out);
        }
        fputs("]\n", out);
    } else {
        /* the columns: classification's or regression's metrics, and kind mf's ranking ones */
        static const char *const names[] = {"logloss", "auc", "accuracy", "rmse", "mae",
                                            "precision@k", "recall@k", "ndcg@k", "map@k", "coverage"};
        const int cls = res[0].mean.classification, ranked = res[0].mean.rank_k != 0;
        const size_t m0 = cls ? 0 : 3, m1 = ranked ? 10 : 5;
        char name[10][32];
        for (size_t m = 0; m < 10; m++) {
            const char *at = strchr(names[m], '@');
            if (at && ranked) snprintf(name[m], sizeof name[m], "%.*s%u", (int)(at - names[m] + 1), names[m], res[0].mean.rank_k);
            else snprintf(name[m], sizeof name[m], "%s", names[m]);
        }
        for (size_t j = 0; j < gn_search_space_params(sp); j++) fprintf(out, "%s,", gn_search_space_name(sp, j));
        for (size_t m = m0; m < m1; m++) fprintf(out, "mean_%s,std_%s,", name[m], name[m]);
        for (uint32_t f = 0; f < res[0].k; f++)
            for (size_t m = m0; m < m1; m++) fprintf(out, "fold%u_%s,", f + 1, name[m]);
        fputs("seconds,passes,dropped\n", out);
        for (size_t i = 0; i < n; i++) {
            const gn_select_result *r = &res[i];
            for (size_t j = 0; j < gn_search_space_params(sp); j++) {
                const char *v = gn_search_space_value(sp, i, j);
                if (strpbrk(v, ",\"\n")) {
                    fputc('"', out);
                    for (const char *p = v; *p; p++) {
                        if (*p == '"') fputc('"', out);
                        fputc(*p, out);
                    }
                    fputs("\",", out);
                } else {
                    fprintf(out, "%s,", v);
                }
            }
#define METRIC_PTRS(mt) {&(mt).logloss, &(mt).auc, &(mt).accuracy, &(mt).rmse, &(mt).mae, &(mt).precision_at_k, \
                         &(mt).recall_at_k, &(mt).ndcg_at_k, &(mt).map_at_k, &(mt).coverage}
            const double *mv[] = METRIC_PTRS(r->mean), *sv[] = METRIC_PTRS(r->std);
            for (size_t m = m0; m < m1; m++) fprintf(out, "%.9g,%.9g,", *mv[m], *sv[m]);
            for (uint32_t f = 0; f < r->k; f++) {
                const double *fv[] = METRIC_PTRS(r->folds[f]);
                for (size_t m = m0; m < m1; m++) fprintf(out, "%.9g,", *fv[m]);
            }
#undef METRIC_PTRS
            fprintf(out, "%.6g,%u,%d\n", r->seconds, r->passes, r->dropped);
        }
    }
    return cli_close_output("tune", "--results", path, out, 0);
}

int cmd_tune(int argc, char **argv) {
    select_cmd c;
    memset(&c, 0, sizeof c);
    c.name = "tune";
    int r = parse(&c, argc, argv), rc = EXIT_USAGE, st;
    gn_search_space *sp = NULL;
    gn_select_config *cfgs = NULL;
    gn_select_result *res = NULL;
    gn_model *model = NULL;
    if (r != 0) {
        free((void *)c.files);
        return r > 0 ? EXIT_OK : EXIT_USAGE;
    }
    if ((rc = check_files(&c)) != EXIT_OK) goto out;
    rc = EXIT_USAGE;
    const char *what = c.grid ? "--grid" : "--space";
    st = c.grid ? gn_search_parse_grid(c.grid, &sp) : gn_search_parse_random(c.space, c.random_n, c.train.seed, &sp);
    if (st != GN_OK) {
        rc = cli_fail("tune", st);
        goto out;
    }
    const size_t n = gn_search_space_configs(sp), np = gn_search_space_params(sp);
    /* Every value of every flag once, so that a bad one is named before any work starts. */
    for (size_t j = 0; j < np; j++)
        for (size_t k = 0; k < gn_search_space_distinct(sp, j); k++) {
            gn_data_spec s = c.spec;
            gn_train_options t = c.train;
            if (apply_param(&c, what, gn_search_space_name(sp, j), gn_search_space_distinct_value(sp, j, k), &s, &t) != 0)
                goto out;
        }
    if (!(cfgs = calloc(n, sizeof *cfgs)) || !(res = calloc(n, sizeof *res))) {
        fprintf(stderr, "gannet tune: out of memory for %zu configurations\n", n);
        rc = EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        cfgs[i].spec = c.spec;
        cfgs[i].train = c.train;
        for (size_t j = 0; j < np; j++)
            if (apply_param(&c, what, gn_search_space_name(sp, j), gn_search_space_value(sp, i, j), &cfgs[i].spec,
                            &cfgs[i].train) != 0)
                goto out;
        if ((st = gn_train_options_check(&cfgs[i].train)) != GN_OK || (st = gn_data_spec_check(&cfgs[i].spec)) != GN_OK) {
            fprintf(stderr, "gannet tune: %s: configuration", what);
            for (size_t j = 0; j < np; j++)
                fprintf(stderr, " %s=%s", gn_search_space_name(sp, j), gn_search_space_value(sp, i, j));
            fprintf(stderr, ": %s\n", gn_last_error());
            rc = EXIT_USAGE;
            goto out;
        }
    }
    if (c.sel.metric == GN_METRIC_AUTO && c.train.kind == GN_KIND_MF)
        c.sel.metric = c.train.implicit ? GN_METRIC_NDCG : GN_METRIC_RMSE; /* as gn_tune decides */
    if (c.sel.metric == GN_METRIC_AUTO) c.sel.metric = gn_select_metric_default(c.train.oaa ? GN_LOSS_SOFTMAX : c.train.loss);
    const int rank0 = gn_dist_rank() == 0; /* under MPI only rank 0 reports and writes */
    progress_ctx pc = {rank0 && !c.quiet && (c.force_progress || isatty(STDERR_FILENO)), "tune", sp};
    c.sel.progress = rank0 ? progress_cb : NULL;
    c.sel.user = &pc;
    if ((st = gn_select_options_check(&c.sel)) != GN_OK) {
        rc = cli_fail("tune", st);
        goto out;
    }
    uint64_t need = gn_select_memory(cfgs, n, c.sel.k);
    if (rank0 && !c.quiet && need) memory_note("tune", n, c.sel.k, need); /* 0: not estimated (kind mf) */
    size_t best = 0;
    if ((st = gn_tune(&c.sel, cfgs, n, c.files, c.nfiles, res, &best, c.model_path ? &model : NULL)) != GN_OK) {
        rc = cli_fail("tune", st);
        goto out;
    }
    if (!rank0) {
        rc = EXIT_OK;
        goto out;
    }
    if (c.model_path && (st = gn_model_save(model, c.model_path)) != GN_OK) {
        rc = cli_fail("tune", st);
        goto out;
    }
    if (c.results_path && (rc = write_results(c.results_path, sp, res, n)) != EXIT_OK) goto out;
    char mlabel[40]; /* ranking metrics with their K: ndcg@10 */
    const char *mname = gn_select_metric_name(c.sel.metric);
    if (c.sel.metric >= GN_METRIC_NDCG) {
        snprintf(mlabel, sizeof mlabel, "%.*s%u", (int)(strchr(mname, '@') - mname + 1), mname, c.sel.rank_k);
        mname = mlabel;
    }
    if (c.json) {
        printf("{\"metric\":\"%s\",\"best\":%zu,", mname, best);
        if (c.model_path) printf("\"model\":\"%s\",", c.model_path);
        printf("\"results\":[");
        for (size_t i = 0; i < n; i++) {
            if (i) putchar(',');
            json_row(stdout, sp, i, &res[i]);
        }
        printf("]}\n");
    } else {
        printf("%-4s %12s %10s %8s %6s  %s\n", "#", mname, "std", "seconds", "passes", "parameters");
        for (size_t i = 0; i < n; i++) {
            printf("%-4zu %12.6f %10.6f %8.2f %6u  ", i + 1, gn_select_metric_value(c.sel.metric, &res[i].mean),
                   gn_select_metric_value(c.sel.metric, &res[i].std), res[i].seconds, res[i].passes);
            for (size_t j = 0; j < np; j++) printf("%s%s=%s", j ? " " : "", gn_search_space_name(sp, j), gn_search_space_value(sp, i, j));
            printf("%s%s\n", res[i].dropped ? "  (dropped by halving)" : "", i == best ? "  <- best" : "");
        }
        printf("best: ");
        for (size_t j = 0; j < np; j++) printf("%s%s=%s", j ? " " : "", gn_search_space_name(sp, j), gn_search_space_value(sp, best, j));
        printf("  %s %.6f +- %.6f (%u-fold)\n", mname, gn_select_metric_value(c.sel.metric, &res[best].mean),
               gn_select_metric_value(c.sel.metric, &res[best].std), c.sel.k);
        if (c.model_path) printf("best configuration retrained on all the data and saved to %s\n", c.model_path);
    }
    rc = EXIT_OK;
out:
    gn_model_free(model);
    gn_search_space_free(sp);
    free(cfgs);
    free(res);
    free((void *)c.files);
    return rc;
}
