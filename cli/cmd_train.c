/* cli/cmd_train.c: `gannet train` — flags to options, gn_train, save, optional test evaluation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void help(void) {
    printf("usage: gannet train -d DATA... -m MODEL [flags]\n"
           "       gannet train --cache FILE -m MODEL [flags]\n\n"
           "Trains a model on DATA (files in order), or on a cache alone, and saves it atomically to\n"
           "MODEL.\n\n"
           "  -m, --model FILE        where to save the model (required)\n"
           "  --test FILE...          evaluate on these files after training and print the metrics\n"
           "  --json                  print a JSON summary on stdout\n"
           "  --progress              progress line on stderr even when it is not a terminal\n"
           "  --quiet                 no progress line\n"
           "  --log-json FILE         append progress reports as JSON lines to FILE\n"
           "  --cache FILE            read examples from this binary cache; it is made from DATA first\n"
           "                          when missing or stale (see gannet cache); without -d the cache\n"
           "                          is the data, and data flags given must agree with it\n"
           "  --shuffle               read plain files in chunks and caches in blocks in a random\n"
           "                          order (seeded by --seed, new each pass), and shuffle examples\n"
           "                          within a bounded buffer; gzip/zstd/stdin: the buffer only\n"
           "  --shuffle-buffer N      examples in that buffer (default 65536)\n"
           "  --checkpoint FILE       save the run to FILE (atomically) as it goes, every\n"
           "                          --checkpoint-every (which it needs)\n"
           "  --checkpoint-every N    N examples, or Ns seconds (e.g. 30s), between checkpoints\n"
           "  --resume FILE           continue the run saved in FILE (same data and flags)\n\n");
    fputs(cli_data_help, stdout);
    putchar('\n');
    fputs(cli_train_help, stdout);
}

/* Warnings from the library (e.g. a stale cache being rebuilt) go to stderr. */
static void log_to_stderr(gn_log_level level, const char *msg, void *user) {
    (void)user;
    if (level >= GN_LOG_INFO) fprintf(stderr, "gannet train: %s\n", msg);
}

static void json_num(FILE *f, const char *key, double v, int comma) {
    if (isnan(v)) fprintf(f, "\"%s\":null", key);
    else fprintf(f, "\"%s\":%.17g", key, v);
    if (comma) fputc(',', f);
}

int cmd_train(int argc, char **argv) {
    gn_data_spec spec;
    gn_train_options opts;
    gn_data_spec_init(&spec);
    gn_train_options_init(&opts);
    const char **files = NULL, **tests = NULL;
    size_t nfiles = 0, ntests = 0;
    const char *model_path = NULL, *log_path = NULL;
    int json = 0, quiet = 0, force_progress = 0, rc = EXIT_USAGE;
    cli_args a;
    cli_args_init(&a, "train", argc, argv);
    const char *f;
    while ((f = cli_next(&a))) {
        int r;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            help();
            rc = EXIT_OK;
            goto out;
        } else if (!strcmp(f, "-d") || !strcmp(f, "--data")) {
            if (cli_collect_files(&a, &files, &nfiles) != 0) goto out;
        } else if (!strcmp(f, "--test")) {
            if (cli_collect_files(&a, &tests, &ntests) != 0) goto out;
        } else if (!strcmp(f, "-m") || !strcmp(f, "--model")) {
            if (!(model_path = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--log-json")) {
            if (!(log_path = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--cache")) {
            if (!(opts.cache_path = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--shuffle")) {
            opts.shuffle = 1;
        } else if (!strcmp(f, "--shuffle-buffer")) {
            const char *v;
            unsigned u;
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &u) != 0) goto out;
            opts.shuffle = 1;
            opts.shuffle_buffer = u;
        } else if (!strcmp(f, "--checkpoint")) {
            if (!(opts.checkpoint_path = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--checkpoint-every")) {
            const char *v;
            if (!(v = cli_value(&a, f))) goto out;
            size_t vl = strlen(v);
            char num[32];
            int secs = vl > 1 && v[vl - 1] == 's';
            if (vl == 0 || vl >= sizeof num) { cli_usage_error("train", "--checkpoint-every: expected N or Ns, got '%s'", v); goto out; }
            memcpy(num, v, vl + 1);
            if (secs) num[vl - 1] = '\0';
            unsigned long long n;
            if (cli_parse_u64(f, num, &n) != 0) goto out;
            if (n == 0) { cli_usage_error("train", "--checkpoint-every must be at least 1"); goto out; }
            if (secs) {
                if (n > 100000000ull) { cli_usage_error("train", "--checkpoint-every: too many seconds"); goto out; }
                opts.checkpoint_seconds = (uint32_t)n;
            } else {
                opts.checkpoint_examples = n;
            }
        } else if (!strcmp(f, "--resume")) {
            if (!(opts.resume_path = cli_value(&a, f))) goto out;
        } else if (!strcmp(f, "--json")) {
            json = 1;
        } else if (!strcmp(f, "--quiet") || !strcmp(f, "-q")) {
            quiet = 1;
        } else if (!strcmp(f, "--progress")) {
            force_progress = 1;
        } else if ((r = cli_data_flag(&a, f, &spec)) != 0 || (r = cli_train_flag(&a, f, &opts)) != 0) {
            if (r < 0) goto out;
        } else {
            cli_usage_error("train", "unknown flag '%s'", f);
            goto out;
        }
    }
    if (!nfiles && !opts.cache_path) { cli_usage_error("train", "no data: give -d FILE... or --cache FILE"); goto out; }
    if (!model_path) { cli_usage_error("train", "no model path: give -m MODEL"); goto out; }
    int st;
    if ((st = gn_data_spec_check(&spec)) != GN_OK || (st = gn_train_options_check(&opts)) != GN_OK) {
        rc = cli_fail("train", st);
        goto out;
    }
    cli_progress cp;
    memset(&cp, 0, sizeof cp);
    const int rank0 = gn_dist_rank() == 0; /* under MPI only rank 0 reports and saves */
    cp.enabled = rank0 && !quiet && (force_progress || isatty(STDERR_FILENO));
    if (log_path && rank0 && !(cp.log = fopen(log_path, "a"))) {
        fprintf(stderr, "gannet train: --log-json %s: cannot open\n", log_path);
        rc = EXIT_FAIL;
        goto out;
    }
    if (!quiet) gn_set_log_hook(log_to_stderr, NULL);
    gn_model *model = NULL;
    gn_train_summary sum;
    st = gn_train(&opts, &spec, files, nfiles, (cp.enabled || cp.log) ? cli_progress_cb : NULL, &cp, &model, &sum);
    cli_progress_done(&cp);
    if (st != GN_OK) {
        rc = cli_fail("train", st);
        goto out;
    }
    if (!rank0) {
        gn_model_free(model);
        rc = EXIT_OK;
        goto out;
    }
    if ((st = gn_model_save(model, model_path)) != GN_OK) {
        rc = cli_fail("train", st);
        gn_model_free(model);
        goto out;
    }
    gn_metrics m;
    int have_test = 0;
    uint64_t test_skipped = 0;
    if (ntests) {
        if ((st = gn_evaluate(model, tests, ntests, spec.skip_bad, &m, &test_skipped)) != GN_OK) {
            rc = cli_fail("train", st);
            gn_model_free(model);
            goto out;
        }
        have_test = 1;
    }
    if (json) {
        printf("{\"model\":");
        cli_json_string(stdout, model_path);
        printf(",\"version\":\"%s\",\"examples\":%llu,\"skipped\":%llu,\"passes\":%u,",
               gn_model_version(model), (unsigned long long)sum.examples, (unsigned long long)sum.skipped, sum.passes);
        json_num(stdout, "seconds", sum.seconds, 1);
        json_num(stdout, "progressive_loss", sum.progressive_loss, 1);
        json_num(stdout, "holdout_loss", sum.holdout_loss, 1);
        json_num(stdout, "objective", sum.objective, 1);
        printf("\"iterations\":%u,\"ranks\":%d,\"nonzero\":%zu", sum.iterations, sum.ranks, gn_model_nonzero(model));
        if (have_test) {
            char buf[1024];
            gn_metrics_to_json(&m, buf, sizeof buf);
            printf(",\"test\":%s", buf);
        }
        printf("}\n");
    } else {
        printf("trained on %llu examples in %u pass%s (%.2f s)", (unsigned long long)sum.examples, sum.passes,
               sum.passes == 1 ? "" : "es", sum.seconds);
        if (sum.skipped) printf(", skipped %llu bad lines", (unsigned long long)sum.skipped);
        printf("\n");
        if (!isnan(sum.progressive_loss)) printf("progressive loss  %.6f\n", sum.progressive_loss);
        if (!isnan(sum.holdout_loss)) printf("holdout loss      %.6f\n", sum.holdout_loss);
        if (!isnan(sum.objective)) printf("objective         %.9g (%u iterations)\n", sum.objective, sum.iterations);
        printf("model saved to %s (%zu non-zero weights)\n", model_path, gn_model_nonzero(model));
        if (have_test) {
            printf("test metrics:\n");
            cli_print_metrics_text(stdout, &m);
            if (test_skipped) printf("skipped    %llu bad lines\n", (unsigned long long)test_skipped);
        }
    }
    if (sum.skipped) fprintf(stderr, "gannet train: skipped %llu bad lines\n", (unsigned long long)sum.skipped);
    gn_model_free(model);
    rc = EXIT_OK;
out:
    free((void *)files);
    free((void *)tests);
    return rc;
}
