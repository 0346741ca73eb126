/* cli/main.c: the gannet command: dispatches to sub-commands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"train", cmd_train, "train a model on data files and save it"},
    {"predict", cmd_predict, "write one prediction per input line"},
    {"eval", cmd_eval, "evaluate a model on labelled data (logloss, AUC, accuracy, RMSE...)"},
    {"inspect", cmd_inspect, "show a model's metadata and largest weights"},
    {"cache", cmd_cache, "write a binary cache of data files for fast later passes"},
    {"describe", cmd_describe, "profile data as training reads it (columns, labels, sorted input)"},
    {"cv", cmd_cv, "k-fold cross-validation"},
    {"tune", cmd_tune, "hyperparameter search (grid, random, successive halving)"},
    {"serve", cmd_serve, "serve predictions over HTTP"},
    {"pipeline", cmd_pipeline, "run a pipeline file: describe, tune, train, eval, gate, publish (skips what is current)"},
    {"report", cmd_report, "write an HTML evaluation report (ROC, PR, calibration, ...) of a model on test data"},
    {"publish", cmd_publish, "publish a model as the next version in a model repository"},
    {"models", cmd_models, "list a model repository's models and versions (models list REPO)"},
    {"rollback", cmd_rollback, "make an earlier version of a repository's model current"},
    {"recommend", cmd_recommend, "the top k items for users of an mf model, or of posted candidates for a context (fm, ffm, linear)"},
    {"split", cmd_split, "cut a CSV file into train and test by time (the latest rows, of all or of each user)"},
    {"params", cmd_params, "list every training and data parameter (name, flag, default, range)"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: gannet <command> [flags]   (gannet <command> --help for its flags)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\ngannet %s\n", gn_version());
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return cli_close_stdout("help", EXIT_OK);
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("gannet %s\n", gn_version());
        return cli_close_stdout("version", EXIT_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        /* under mpirun/srun: start MPI (or refuse, when built without it) before any work */
        if (gn_dist_init() != GN_OK) {
            fprintf(stderr, "gannet %s: %s\n", argv[1], gn_last_error());
            return EXIT_FAIL;
        }
        cli_install_signal_cleanup(); /* SIGINT/SIGTERM leave no temp file behind */
        int rc = commands[i].run(argc - 2, argv + 2);
        /* a rank that failed on its own would leave the others waiting for it: stop the job */
        if (rc != EXIT_OK && gn_dist_size() > 1 && !gn_dist_failed_together()) gn_dist_abort(rc);
        gn_dist_finalize();
        return cli_close_stdout(argv[1], rc); /* results that did not reach stdout are a failure */
    }
    fprintf(stderr, "gannet: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
