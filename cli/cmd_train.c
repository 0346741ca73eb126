/* cli/cmd_train.c: `gannet train` — flags to options, gn_train, save, optional test evaluation. */
#include <errno.h>
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
           "  -d, --data FILE...      input files in order; '-' is stdin; gzip/zstd detected by content\n"
           "  -m, --model FILE        where to save the model (required)\n"
           "  --test FILE...          evaluate on these files after training and print the metrics\n"
           "  --json                  print a JSON summary on stdout\n"
           "  --progress              progress line on stderr even when it is not a terminal\n"
           "  --quiet                 no progress line\n"
           "  --log-json FILE         append progress reports as JSON lines to FILE\n");
    cli_print_param_help(stdout, CLI_DATA | CLI_TRAIN | CLI_RUN);
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

/* Every file train writes (the model, --checkpoint, --log-json, a --cache made from -d, and
 * stdout) must not be one it reads (-d, --test, --resume, a --cache that is the data), nor
 * another output; --resume and --checkpoint may name one file (a run resumed goes on saving
 * there). EXIT_OK, or the exit code after the message. */
static int check_files(const char **files, size_t nfiles, const char **tests, size_t ntests, const char *model_path,
                       const char *log_path, const gn_train_options *o) {
    const char *cache = o->cache_path && o->cache_path[0] ? o->cache_path : NULL;
    const char *resume = o->resume_path && o->resume_path[0] ? o->resume_path : NULL;
    gn_file_use *in = NULL, out[5];
    size_t nin = 0, nout = 0;
    int rc = EXIT_FAIL;
    if (cli_add_uses("train", &in, &nin, "-d", files, nfiles) != 0 ||
        cli_add_uses("train", &in, &nin, "--test", tests, ntests) != 0 ||
        (cache && !nfiles && cli_add_uses("train", &in, &nin, "--cache", &cache, 1) != 0))
        goto done;
    out[nout++] = (gn_file_use){model_path, "--model"};
    if (cache && nfiles) out[nout++] = (gn_file_use){cache, "--cache"};
    if (log_path) out[nout++] = (gn_file_use){log_path, "--log-json"};
    const size_t ck_at = nout;
    if (o->checkpoint_path && o->checkpoint_path[0]) out[nout++] = (gn_file_use){o->checkpoint_path, "--checkpoint"};
    out[nout++] = (gn_file_use){"-", NULL};
    if ((rc = cli_check_outputs("train", in, nin, out, nout)) != 0) goto done;
    if (resume) { /* every output but the checkpoint */
        gn_file_use r = {resume, "--resume"}, rest[4];
        size_t nrest = 0;
        for (size_t i = 0; i < nout; i++)
            if (i != ck_at || !o->checkpoint_path || !o->checkpoint_path[0]) rest[nrest++] = out[i];
        if ((rc = cli_check_outputs("train", &r, 1, rest, nrest)) != 0) goto done;
    }
    rc = EXIT_OK;
done:
    free(in);
    return rc;
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
    /* the data flags given (by parameter name): a cache alone checks each of them, even one given
     * at its default value */
    const char *given[64];
    size_t ngiven = 0;
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
        } else if (!strcmp(f, "--json")) {
            json = 1;
        } else if (!strcmp(f, "--quiet") || !strcmp(f, "-q")) {
            quiet = 1;
        } else if (!strcmp(f, "--progress")) {
            force_progress = 1;
        } else if ((r = cli_param_flag(&a, f, CLI_DATA | CLI_TRAIN | CLI_RUN, &opts, &spec)) != 0) {
            if (r < 0) goto out;
            if (a.param->group == GN_PARAM_DATA) {
                size_t k = 0;
                while (k < ngiven && strcmp(given[k], a.param->name) != 0) k++;
                if (k == ngiven && ngiven < sizeof given / sizeof given[0]) given[ngiven++] = a.param->name;
            }
        } else if (f[0] != '-' && !a.inline_value) { /* a data file without -d */
            const char **nf = realloc((void *)files, (nfiles + 1) * sizeof *files);
            if (!nf) goto out;
            files = nf;
            files[nfiles++] = f;
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
    if (!nfiles && (st = gn_cache_check_given(opts.cache_path, &spec, given, ngiven)) != GN_OK) {
        rc = cli_fail("train", st);
        goto out;
    }
    if ((rc = check_files(files, nfiles, tests, ntests, model_path, log_path, &opts)) != EXIT_OK) goto out;
    rc = EXIT_USAGE;
    cli_progress cp;
    memset(&cp, 0, sizeof cp);
    const int rank0 = gn_dist_rank() == 0; /* under MPI only rank 0 reports and saves */
    cp.enabled = rank0 && !quiet && (force_progress || isatty(STDERR_FILENO));
    cp.log_path = log_path;
    if (log_path && rank0 && !(cp.log = fopen(log_path, "a"))) {
        fprintf(stderr, "gannet train: --log-json %s: cannot open: %s\n", log_path, strerror(errno));
        rc = EXIT_FAIL;
        goto out;
    }
    if (!quiet) gn_set_log_hook(log_to_stderr, NULL);
    gn_model *model = NULL;
    gn_train_summary sum;
    st = gn_train(&opts, &spec, files, nfiles, (cp.enabled || cp.log) ? cli_progress_cb : NULL, &cp, &model, &sum);
    /* a log that could not be written fails the run, after the model is saved: no work is lost */
    const int log_rc = cli_progress_done(&cp, "train");
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
        printf("\"iterations\":%u,\"ranks\":%d,\"nonzero\":%zu,\"auto_passes\":%s", sum.iterations, sum.ranks,
               gn_model_nonzero(model), sum.auto_passes ? "true" : "false");
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
        if (sum.auto_passes) printf(" (passes auto: the best number on a 10%% holdout)");
        printf("\n");
        if (!isnan(sum.progressive_loss)) printf("progressive loss  %.6f\n", sum.progressive_loss);
        if (!isnan(sum.holdout_loss)) printf("holdout loss      %.6f\n", sum.holdout_loss);
        if (!isnan(sum.objective)) printf("objective         %.9g (%u iterations)\n", sum.objective, sum.iterations);
        gn_mf_info mi;
        if (gn_model_mf_info(model, &mi) == GN_OK)
            printf("model saved to %s (%u users x %u items, rank %u%s)\n", model_path, mi.users, mi.items, mi.rank,
                   mi.implicit ? ", implicit" : "");
        else printf("model saved to %s (%zu non-zero weights)\n", model_path, gn_model_nonzero(model));
        if (have_test) {
            printf("test metrics:\n");
            cli_print_metrics_text(stdout, &m);
            if (test_skipped) printf("skipped    %llu bad lines\n", (unsigned long long)test_skipped);
        }
    }
    if (sum.skipped) fprintf(stderr, "gannet train: skipped %llu bad lines\n", (unsigned long long)sum.skipped);
    gn_model_free(model);
    rc = log_rc;
out:
    free((void *)files);
    free((void *)tests);
    return rc;
}
