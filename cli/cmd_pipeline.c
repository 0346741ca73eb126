/* cli/cmd_pipeline.c: `gannet pipeline run|status FILE.yaml` (gannet/pipeline.h) and
 * `gannet report` (gannet/report.h). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void pipeline_help(FILE *out) {
    fprintf(out, "usage: gannet pipeline run FILE.yaml [--force] [--threads N]\n"
                 "       gannet pipeline status FILE.yaml [--json]\n\n"
                 "run: describe, tune (or cv), train, eval, gate and publish as FILE.yaml says\n"
                 "(docs/pipeline-file.md); a step whose inputs have not changed since its last run is\n"
                 "skipped. Exit 0 when published or nothing changed, 1 when the gate refused the model or a\n"
                 "step failed, 2 for a bad pipeline file or bad data.\n"
                 "  --force        run every step\n"
                 "  --threads N    threads for each step (default: all cores)\n"
                 "status: the past runs of FILE.yaml from their run records.\n");
}

static void log_stderr(gn_log_level level, const char *msg, void *user) {
    (void)level;
    (void)user;
    fprintf(stderr, "gannet pipeline: %s\n", msg);
}

static int pipeline_run(int argc, char **argv) {
    const char *file = NULL, *f, *v;
    gn_pipeline_options o;
    gn_pipeline_options_init(&o);
    cli_args a;
    cli_args_init(&a, "pipeline", argc, argv);
    while ((f = cli_next(&a))) {
        if (!strcmp(f, "--force")) o.force = 1;
        else if (!strcmp(f, "--threads")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &o.threads) != 0) return EXIT_USAGE;
        } else if (f[0] == '-' && f[1]) return cli_usage_error("pipeline", "unknown flag '%s'", f);
        else if (!file) file = f;
        else return cli_usage_error("pipeline", "one pipeline file only");
    }
    if (!file) return cli_usage_error("pipeline", "run: need FILE.yaml");
    gn_pipeline *p;
    int st = gn_pipeline_load(file, &p);
    if (st == GN_EINVAL || st == GN_EPARSE || st == GN_ELIMIT) return cli_usage_error("pipeline", "%s", gn_last_error());
    if (st != GN_OK) return cli_fail("pipeline", st);
    o.log = log_stderr;
    gn_pipeline_result r;
    st = gn_pipeline_run(p, &o, &r);
    gn_pipeline_free(p);
    if (st != GN_OK) {
        if (r.record_path[0]) fprintf(stderr, "gannet pipeline: run record %s\n", r.record_path);
        return cli_fail("pipeline", st);
    }
    fprintf(stderr, "gannet pipeline: run record %s\n", r.record_path);
    if (r.report_path[0]) fprintf(stderr, "gannet pipeline: report %s\n", r.report_path);
    switch (r.outcome) {
    case GN_PIPELINE_PUBLISHED:
        fprintf(stderr, "gannet pipeline: published version %u (%zu steps run, %zu skipped, %.2f s)\n", r.version,
                r.steps_run, r.steps_skipped, r.seconds);
        return EXIT_OK;
    case GN_PIPELINE_UNCHANGED:
        fprintf(stderr, "gannet pipeline: nothing to do: version %u is this model (%zu steps run, %zu skipped, %.2f s)\n",
                r.version, r.steps_run, r.steps_skipped, r.seconds);
        return EXIT_OK;
    case GN_PIPELINE_NO_PUBLISH:
        fprintf(stderr, "gannet pipeline: gate passed; no publish section (%.2f s)\n", r.seconds);
        return EXIT_OK;
    case GN_PIPELINE_GATE_FAILED:
        fprintf(stderr, "gannet pipeline: nothing published: %s\n", r.reason);
        return EXIT_FAIL;
    default:
        fprintf(stderr, "gannet pipeline: failed: %s\n", r.reason);
        return EXIT_FAIL;
    }
}

static int pipeline_status(int argc, char **argv) {
    const char *file = NULL;
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("pipeline", "unknown flag '%s'", argv[i]);
        else if (!file) file = argv[i];
        else return cli_usage_error("pipeline", "one pipeline file only");
    }
    if (!file) return cli_usage_error("pipeline", "status: need FILE.yaml");
    char *text;
    int st = gn_pipeline_runs_json(file, &text);
    if (st == GN_EINVAL || st == GN_EPARSE) return cli_usage_error("pipeline", "%s", gn_last_error());
    if (st != GN_OK) return cli_fail("pipeline", st);
    if (json) {
        printf("%s\n", text);
        free(text);
        return EXIT_OK;
    }
    json_t *runs = json_loads(text, 0, NULL);
    free(text);
    size_t i;
    json_t *r;
    printf("%-26s %-12s %8s %5s %5s %8s %s\n", "run", "status", "seconds", "ran", "skip", "version", "metrics / reason");
    json_array_foreach(runs, i, r) {
        size_t ran = 0, skipped = 0, k;
        json_t *s;
        json_array_foreach(json_object_get(r, "steps"), k, s) {
            const char *st2 = json_string_value(json_object_get(s, "status"));
            if (st2 && !strcmp(st2, "ran")) ran++;
            else if (st2 && !strcmp(st2, "skipped")) skipped++;
        }
        json_t *m = json_object_get(r, "metrics");
        const char *reason = json_string_value(json_object_get(r, "reason"));
        printf("%-26s %-12s %8.2f %5zu %5zu %8lld ", json_string_value(json_object_get(r, "run_id")),
               json_string_value(json_object_get(r, "status")), json_number_value(json_object_get(r, "seconds")), ran,
               skipped, (long long)json_integer_value(json_object_get(r, "version")));
        if (reason && *reason) printf("%s", reason);
        else if (json_is_number(json_object_get(m, "auc")))
            printf("auc=%.6g logloss=%.6g", json_number_value(json_object_get(m, "auc")),
                   json_number_value(json_object_get(m, "logloss")));
        else if (json_is_number(json_object_get(m, "rmse")))
            printf("rmse=%.6g", json_number_value(json_object_get(m, "rmse")));
        printf("\n");
    }
    json_decref(runs);
    return EXIT_OK;
}

int cmd_pipeline(int argc, char **argv) {
    if (argc < 1) {
        pipeline_help(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        pipeline_help(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[0], "run")) return pipeline_run(argc - 1, argv + 1);
    if (!strcmp(argv[0], "status")) return pipeline_status(argc - 1, argv + 1);
    return cli_usage_error("pipeline", "unknown sub-command '%s' (run, status)", argv[0]);
}

int cmd_report(int argc, char **argv) {
    const char *model_path = NULL, *out = "report.html", *f, *v;
    const char **files = NULL;
    size_t nfiles = 0;
    gn_report_options o;
    gn_report_options_init(&o);
    cli_args a;
    cli_args_init(&a, "report", argc, argv);
    while ((f = cli_next(&a))) {
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            printf("usage: gannet report -m MODEL -d TEST... [-o report.html] [--threshold P] [--skip-bad]\n\n"
                   "Writes one self-contained HTML page (inline SVG, nothing fetched): metrics, ROC and\n"
                   "precision-recall curves, calibration, score histograms by class, gain and lift, the\n"
                   "confusion matrix at the threshold (default 0.5); residual plots for regression; the\n"
                   "largest weights.\n");
            free(files);
            return EXIT_OK;
        } else if (!strcmp(f, "-m") || !strcmp(f, "--model")) {
            if (!(model_path = cli_value(&a, f))) goto usage;
        } else if (!strcmp(f, "-d") || !strcmp(f, "--data")) {
            if (cli_collect_files(&a, &files, &nfiles) != 0) goto usage;
        } else if (!strcmp(f, "-o") || !strcmp(f, "--output")) {
            if (!(out = cli_value(&a, f))) goto usage;
        } else if (!strcmp(f, "--threshold")) {
            if (!(v = cli_value(&a, f)) || cli_parse_double(f, v, &o.threshold) != 0) goto usage;
        } else if (!strcmp(f, "--skip-bad")) {
            o.skip_bad = 1;
        } else {
            free(files);
            return cli_usage_error("report", "unknown flag '%s'", f);
        }
    }
    if (!model_path || !nfiles) {
        free(files);
        return cli_usage_error("report", "need -m MODEL and -d TEST");
    }
    gn_file_use in[65], outs[1] = {{out, "-o"}};
    size_t nin = 0;
    in[nin++] = (gn_file_use){model_path, "--model"};
    for (size_t i = 0; i < nfiles && nin < 65; i++) in[nin++] = (gn_file_use){files[i], "-d"};
    int rc = cli_check_outputs("report", in, nin, outs, 1);
    if (rc != EXIT_OK) {
        free(files);
        return rc;
    }
    gn_model *m;
    int st = gn_model_load(model_path, &m);
    if (st != GN_OK) {
        free(files);
        return cli_fail("report", st);
    }
    gn_metrics met;
    st = gn_report_write(m, files, nfiles, &o, out, &met);
    gn_model_free(m);
    free(files);
    if (st != GN_OK) return cli_fail("report", st);
    fprintf(stderr, "gannet report: %s (%llu examples)\n", out, (unsigned long long)met.examples);
    return EXIT_OK;
usage:
    free(files);
    return EXIT_USAGE;
}
