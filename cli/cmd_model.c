/* cli/cmd_model.c: the commands that use a saved model: `gannet predict`, `gannet eval` and
 * `gannet inspect`. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct model_cmd {
    const char *model_path, *out_path;
    const char **files;
    size_t nfiles;
    int json, skip_bad;
    gn_predict_output output; /* predict --output-type */
    size_t top_n;             /* its N (topk:N) */
    size_t top;
    size_t rank_k;        /* eval, mf models: the k of the ranking metrics */
    double relevant_min;  /* eval, mf models: a test row is relevant when its rating is >= this */
} model_cmd;

static void predict_help(void);
static void eval_help(void);

/* predict's output types: prob, class, probs, json, topk:N (1 <= N <= 10^6). */
static int is_output_type(const char *v) {
    if (!strcmp(v, "prob") || !strcmp(v, "class") || !strcmp(v, "probs") || !strcmp(v, "json")) return 1;
    if (strncmp(v, "topk:", 5) != 0 || v[5] < '0' || v[5] > '9') return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v + 5, &end, 10);
    return errno == 0 && *end == '\0' && n >= 1 && n <= 1000000;
}

static void set_output_type(model_cmd *mc, const char *v) {
    if (!strcmp(v, "prob")) mc->output = GN_PREDICT_PROB;
    else if (!strcmp(v, "class")) mc->output = GN_PREDICT_CLASS;
    else if (!strcmp(v, "probs")) mc->output = GN_PREDICT_PROBS;
    else if (!strcmp(v, "json")) mc->output = GN_PREDICT_JSON;
    else {
        mc->output = GN_PREDICT_TOPK;
        mc->top_n = (size_t)strtoull(v + 5, NULL, 10);
    }
}


/* Parses the flags common to predict/eval/inspect; returns -1 on error, 1 for --help. */
static int parse(const char *cmd, int argc, char **argv, model_cmd *mc, int want_data, void (*help)(void)) {
    memset(mc, 0, sizeof *mc);
    mc->top = 20;
    mc->rank_k = 10;
    mc->relevant_min = NAN;
    cli_args a;
    cli_args_init(&a, cmd, argc, argv);
    const char *f, *v;
    while ((f = cli_next(&a))) {
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            help();
            return 1;
        } else if (!strcmp(f, "-m") || !strcmp(f, "--model")) {
            if (!(mc->model_path = cli_value(&a, f))) return -1;
        } else if (want_data && (!strcmp(f, "-d") || !strcmp(f, "--data"))) {
            if (cli_collect_files(&a, &mc->files, &mc->nfiles) != 0) return -1;
        } else if (want_data && help == predict_help && !strcmp(f, "--output") &&
                   is_output_type(a.inline_value ? a.inline_value : a.i < a.argc ? a.argv[a.i] : "")) {
            /* predict --output class|probs|topk:N|json|prob: what to write (the spelling of
             * issue 14); any other value of --output is the output file, as -o */
            set_output_type(mc, cli_value(&a, f));
        } else if (want_data && (!strcmp(f, "-o") || !strcmp(f, "--output"))) {
            if (!(mc->out_path = cli_value(&a, f))) return -1;
        } else if (help == predict_help && !strcmp(f, "--output-type")) {
            if (!(v = cli_value(&a, f))) return -1;
            if (!is_output_type(v)) {
                cli_usage_error(cmd, "--output-type: expected prob, class, probs, topk:N or json, got '%s'", v);
                return -1;
            }
            set_output_type(mc, v);
        } else if (want_data && !strcmp(f, "--skip-bad")) {
            mc->skip_bad = 1;
        } else if (!strcmp(f, "--json")) {
            mc->json = 1;
        } else if (help == eval_help && !strcmp(f, "--k")) {
            unsigned long long k;
            if (!(v = cli_value(&a, f)) || cli_parse_u64(f, v, &k) != 0) return -1;
            if (k < 1 || k > 100000) {
                cli_usage_error(cmd, "--k: expected 1..100000, got %s", v);
                return -1;
            }
            mc->rank_k = (size_t)k;
        } else if (help == eval_help && !strcmp(f, "--relevant-min")) {
            if (!(v = cli_value(&a, f)) || cli_parse_double(f, v, &mc->relevant_min) != 0) return -1;
        } else if (!want_data && !strcmp(f, "--top")) {
            unsigned long long k;
            if (!(v = cli_value(&a, f)) || cli_parse_u64(f, v, &k) != 0) return -1;
            mc->top = (size_t)k;
        } else if (want_data && f[0] != '-' && !a.inline_value) { /* a data file without -d */
            const char **nf = realloc((void *)mc->files, (mc->nfiles + 1) * sizeof *mc->files);
            if (!nf) return -1;
            mc->files = nf;
            mc->files[mc->nfiles++] = f;
        } else {
            cli_usage_error(cmd, "unknown flag '%s'", f);
            return -1;
        }
    }
    if (!mc->model_path) {
        cli_usage_error(cmd, "no model: give -m MODEL");
        return -1;
    }
    if (want_data && !mc->nfiles) {
        cli_usage_error(cmd, "no data: give -d FILE... (or -d - for stdin)");
        return -1;
    }
    return 0;
}

/* The outputs (predict -o, stdout) must not be the model or a data file. EXIT_OK or the exit code
 * after the message. */
static int check_files(const char *cmd, const model_cmd *mc) {
    gn_file_use *in = NULL;
    size_t nin = 0;
    int rc = EXIT_FAIL;
    if (cli_add_uses(cmd, &in, &nin, "--model", &mc->model_path, 1) == 0 &&
        cli_add_uses(cmd, &in, &nin, "-d", mc->files, mc->nfiles) == 0) {
        const gn_file_use out = mc->out_path ? (gn_file_use){mc->out_path, "--output"} : (gn_file_use){"-", NULL};
        rc = cli_check_outputs(cmd, in, nin, &out, 1);
    }
    free(in);
    return rc;
}

static void predict_help(void) {
    printf("usage: gannet predict -m MODEL -d DATA... [-o OUT] [--output T] [--skip-bad]\n\n"
           "Writes one prediction per example line: a probability for logistic models, the rate for\n"
           "poisson, the score otherwise. The data is parsed as the model's training data was.\n"
           "  -o, --output FILE      write predictions there (default stdout)\n"
           "  --output T, --output-type T\n"
           "                         T = prob: the prediction (default); class: the name of the predicted\n"
           "                         class (classification models; positive when p >= 0.5, softmax:\n"
           "                         the most probable); probs: 'class:p' pairs of every class, in\n"
           "                         class order (logistic, softmax); topk:N: the N most probable\n"
           "                         such pairs, most probable first; json: {\"class\": ...,\n"
           "                         \"probabilities\": {...}} per line, as the server answers.\n"
           "                         A softmax model's prob output is its K probabilities, in class order\n"
           "  --skip-bad             skip bad lines and report their count on stderr\n");
}

int cmd_predict(int argc, char **argv) {
    model_cmd mc;
    int r = parse("predict", argc, argv, &mc, 1, predict_help);
    if (r != 0) {
        free((void *)mc.files);
        return r > 0 ? EXIT_OK : EXIT_USAGE;
    }
    gn_model *m = NULL;
    int st = GN_OK, rc = check_files("predict", &mc);
    if (rc != EXIT_OK) goto out;
    if ((st = gn_model_load(mc.model_path, &m)) != GN_OK) {
        rc = cli_fail("predict", st);
        goto out;
    }
    FILE *out = stdout;
    if (mc.out_path && !(out = fopen(mc.out_path, "w"))) {
        fprintf(stderr, "gannet predict: --output %s: cannot open for writing: %s\n", mc.out_path, strerror(errno));
        rc = EXIT_FAIL;
        goto out;
    }
    uint64_t n = 0, skipped = 0;
    st = gn_predict_files_top(m, mc.files, mc.nfiles, mc.skip_bad, mc.output, mc.top_n,
                             out, &n, &skipped);
    const int out_failed = st == GN_EIO && ferror(out);
    if (out_failed) { /* the output's own failure (a full disk): named, with the reason */
        if (out == stdout) fprintf(stderr, "gannet predict: stdout: %s\n", gn_last_error());
        else fprintf(stderr, "gannet predict: --output %s: %s\n", mc.out_path, gn_last_error());
        rc = EXIT_FAIL;
    } else if (st != GN_OK) {
        rc = cli_fail("predict", st);
    }
    if (out != stdout && out_failed) fclose(out); /* already reported */
    else if (out != stdout) {
        int closed = cli_close_output("predict", "--output", mc.out_path, out, 0);
        if (rc == EXIT_OK) rc = closed;
    }
    if (rc == EXIT_OK && skipped) fprintf(stderr, "gannet predict: skipped %llu bad lines\n", (unsigned long long)skipped);
out:
    gn_model_free(m);
    free((void *)mc.files);
    return rc;
}

static void eval_help(void) {
    printf("usage: gannet eval -m MODEL -d DATA... [--json] [--skip-bad]\n\n"
           "Evaluates on labelled data: examples, logloss, AUC (exact), accuracy, precision, recall, F1\n"
           "for classification; RMSE and MAE for regression. Multiclass (softmax) models: accuracy,\n"
           "top-k accuracy, multiclass logloss, macro/micro/weighted F1 and the confusion matrix (rows:\n"
           "true class, columns: predicted). --json prints one JSON object (with \"confusion\" and\n"
           "\"class_names\" for multiclass models).\n"
           "Matrix factorization (kind mf) models: RMSE and MAE on the ratings, and the ranking metrics\n"
           "precision@k, recall@k, ndcg@k, map@k and catalogue coverage of each test user's top k with\n"
           "the user's training items excluded (relevant: the user's test items).\n"
           "  --k N                  the k of the ranking metrics (default 10)\n"
           "  --relevant-min X       only test rows rated >= X are relevant (e.g. 4)\n");
}

int cmd_eval(int argc, char **argv) {
    model_cmd mc;
    int r = parse("eval", argc, argv, &mc, 1, eval_help);
    if (r != 0) {
        free((void *)mc.files);
        return r > 0 ? EXIT_OK : EXIT_USAGE;
    }
    gn_model *m = NULL;
    int st = GN_OK, rc = check_files("eval", &mc);
    if (rc != EXIT_OK) goto out;
    if ((st = gn_model_load(mc.model_path, &m)) != GN_OK) {
        rc = cli_fail("eval", st);
        goto out;
    }
    gn_metrics met;
    uint64_t skipped = 0;
    gn_metrics_acc *acc = NULL;
    if ((st = gn_evaluate_acc(m, mc.files, mc.nfiles, mc.skip_bad, &met, &acc, &skipped)) != GN_OK) {
        rc = cli_fail("eval", st);
        goto out;
    }
    double *conf = met.classes ? malloc((size_t)met.classes * met.classes * sizeof *conf) : NULL;
    if (met.classes && (!conf || gn_metrics_acc_confusion(acc, conf, met.classes) != GN_OK)) {
        free(conf);
        conf = NULL;
    }
    gn_metrics_acc_free(acc);
    gn_rank_metrics rk;
    const int ranked = gn_model_get_kind(m) == GN_KIND_MF;
    if (ranked) {
        gn_rank_eval_options ro;
        gn_rank_eval_options_init(&ro);
        ro.k = mc.rank_k;
        ro.relevant_min = mc.relevant_min;
        ro.skip_bad = mc.skip_bad;
        if ((st = gn_model_rank_eval(m, mc.files, mc.nfiles, &ro, &rk)) != GN_OK) {
            free(conf);
            rc = cli_fail("eval", st);
            goto out;
        }
    }
    if (mc.json && ranked) {
        char buf[1024];
        gn_metrics_to_json(&met, buf, sizeof buf);
        buf[strlen(buf) - 1] = '\0';
        printf("%s,\"k\":%zu,\"ranked_users\":%llu,\"unknown_users\":%llu,\"precision@%zu\":%.17g,\"recall@%zu\":%.17g,"
               "\"ndcg@%zu\":%.17g,\"map@%zu\":%.17g,\"coverage\":%.17g}\n",
               buf, rk.k, (unsigned long long)rk.users, (unsigned long long)rk.unknown_users, rk.k, rk.precision, rk.k,
               rk.recall, rk.k, rk.ndcg, rk.k, rk.map, rk.coverage);
    } else if (mc.json) {
        char buf[1024];
        gn_metrics_to_json(&met, buf, sizeof buf);
        if (conf) { /* the object with the classes and the confusion matrix added */
            buf[strlen(buf) - 1] = '\0';
            printf("%s,\"class_names\":[", buf);
            for (size_t i = 0; i < met.classes; i++) {
                printf("%s", i ? "," : "");
                cli_json_string(stdout, gn_model_class_name(m, i));
            }
            printf("],\"confusion\":[");
            for (size_t i = 0; i < met.classes; i++) {
                printf("%s[", i ? "," : "");
                for (size_t j = 0; j < met.classes; j++) printf("%s%.17g", j ? "," : "", conf[i * met.classes + j]);
                printf("]");
            }
            printf("]}\n");
        } else {
            printf("%s\n", buf);
        }
    } else {
        cli_print_metrics_text(stdout, &met);
        if (conf) cli_print_confusion(stdout, m, conf, met.classes);
        if (ranked)
            printf("ranked users %llu (unknown %llu)\nprecision@%zu %.6f\nrecall@%zu    %.6f\nndcg@%zu      %.6f\n"
                   "map@%zu       %.6f\ncoverage     %.6f\n",
                   (unsigned long long)rk.users, (unsigned long long)rk.unknown_users, rk.k, rk.precision, rk.k, rk.recall,
                   rk.k, rk.ndcg, rk.k, rk.map, rk.coverage);
    }
    free(conf);
    if (skipped) fprintf(stderr, "gannet eval: skipped %llu bad lines\n", (unsigned long long)skipped);
out:
    gn_model_free(m);
    free((void *)mc.files);
    return rc;
}

static void inspect_help(void) {
    printf("usage: gannet inspect -m MODEL [--top K] [--json]\n\n"
           "Shows the model's metadata and its K largest weights by magnitude (default 20).\n");
}

int cmd_inspect(int argc, char **argv) {
    model_cmd mc;
    int r = parse("inspect", argc, argv, &mc, 0, inspect_help);
    if (r != 0) return r > 0 ? EXIT_OK : EXIT_USAGE;
    gn_model *m = NULL;
    int rc = check_files("inspect", &mc), st;
    if (rc != EXIT_OK) return rc;
    if ((st = gn_model_load(mc.model_path, &m)) != GN_OK) return cli_fail("inspect", st);
    size_t k = mc.top, n = 0;
    uint32_t *slots = malloc((k ? k : 1) * sizeof *slots);
    float *vals = malloc((k ? k : 1) * sizeof *vals);
    if (!slots || !vals || (st = gn_model_top_weights(m, k, slots, vals, &n)) != GN_OK) {
        rc = slots && vals ? cli_fail("inspect", st) : EXIT_FAIL;
        goto out;
    }
    if (mc.json) {
        printf("{\"metadata\":%s,\"top_weights\":[", gn_model_metadata_json(m));
        for (size_t i = 0; i < n; i++) printf("%s{\"slot\":%u,\"weight\":%.9g}", i ? "," : "", slots[i], vals[i]);
        printf("]}\n");
    } else {
        printf("model      %s\n", mc.model_path);
        printf("kind       %s\n", gn_model_kind_name(gn_model_get_kind(m)));
        printf("loss       %s\n", gn_loss_name(gn_model_get_loss(m)));
        printf("format     %s\n", gn_format_name(gn_model_get_spec(m)->format));
        printf("bits       %u\n", gn_model_get_bits(m));
        size_t nclasses = 0;
        if (gn_model_classes(m, &nclasses) == GN_OK && nclasses == 2)
            printf("classes    %s, %s (positive)\n", gn_model_class_name(m, 0), gn_model_class_name(m, 1));
        printf("non-zero   %zu\n", gn_model_nonzero(m));
        printf("version    %s\n", gn_model_version(m));
        printf("metadata   %s\n", gn_model_metadata_json(m));
        printf("top %zu weights (slot: weight; slot 0 is the bias):\n", n);
        for (size_t i = 0; i < n; i++) printf("  %10u: %+.6g\n", slots[i], vals[i]);
    }
out:
    free(slots);
    free(vals);
    gn_model_free(m);
    return rc;
}
