/* cli/cmd_cache.c: `gannet cache` — parses data files once into a binary cache (io/cache.h) that
 * `gannet train --cache` reads much faster than text. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gannet/cache.h"

static void help(void) {
    printf("usage: gannet cache -d DATA... -o FILE [data flags] [--loss L]\n\n"
           "Parses DATA (files in order) with the data flags and writes the hashed examples to FILE,\n"
           "atomically. `gannet train --cache FILE` with the same data and flags reads it instead of\n"
           "the text; a cache made from other files, changed files or other flags is rebuilt there.\n\n"
           "  -o, --output FILE       the cache file (required)\n"
           "  --loss L                the loss it will train (sets how labels are read; default logistic)\n"
           "  --check                 only check that FILE is a sound, current cache for DATA and flags\n"
           "  --json                  print a JSON summary on stdout\n");
    cli_print_param_help(stdout, CLI_DATA);
}

int cmd_cache(int argc, char **argv) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    const char **files = NULL;
    size_t nfiles = 0;
    const char *out = NULL;
    int json = 0, check = 0, rc = EXIT_USAGE;
    gn_loss loss = GN_LOSS_LOGISTIC;
    cli_args a;
    cli_args_init(&a, "cache", argc, argv);
    const char *f;
    while ((f = cli_next(&a))) {
        int r;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            help();
            rc = EXIT_OK;
            goto done;
        } else if (!strcmp(f, "-d") || !strcmp(f, "--data")) {
            if (cli_collect_files(&a, &files, &nfiles) != 0) goto done;
        } else if (!strcmp(f, "-o") || !strcmp(f, "--output")) {
            if (!(out = cli_value(&a, f))) goto done;
        } else if (!strcmp(f, "--loss")) {
            const char *v = cli_value(&a, f);
            if (!v) goto done;
            gn_train_options t;
            gn_train_options_init(&t);
            if (gn_train_options_set(&t, "loss", v) != GN_OK) {
                cli_usage_error("cache", "%s", gn_last_error());
                goto done;
            }
            loss = t.loss;
        } else if (!strcmp(f, "--json")) {
            json = 1;
        } else if (!strcmp(f, "--check")) {
            check = 1;
        } else if ((r = cli_param_flag(&a, f, CLI_DATA, NULL, &spec)) != 0) {
            if (r < 0) goto done;
        } else {
            cli_usage_error("cache", "unknown flag '%s'", f);
            goto done;
        }
    }
    if (!nfiles) { cli_usage_error("cache", "no data: give -d FILE..."); goto done; }
    if (!out) { cli_usage_error("cache", "no output: give -o FILE"); goto done; }
    {
        /* the cache must not replace a data file; with --check it is read, not written */
        gn_file_use *in = NULL;
        size_t nin = 0;
        const gn_file_use outs[2] = {{"-", NULL}, {out, "--output"}};
        if (cli_add_uses("cache", &in, &nin, "-d", files, nfiles) != 0 ||
            (check && cli_add_uses("cache", &in, &nin, "--output", &out, 1) != 0)) {
            free(in);
            rc = EXIT_FAIL;
            goto done;
        }
        rc = cli_check_outputs("cache", in, nin, outs, check ? 1 : 2);
        free(in);
        if (rc != EXIT_OK) goto done;
        rc = EXIT_USAGE;
    }
    /* labels are read as training with this loss reads them (the same rule as gn_train) */
    spec.label_kind = gn_loss_label_kind(loss);
    int st = gn_data_spec_check(&spec);
    if (st != GN_OK) {
        rc = cli_fail("cache", st);
        goto done;
    }
    if (check) {
        st = gn_cache_check(&spec, files, nfiles, out);
        if (st != GN_OK) {
            rc = st == GN_ESTALE ? (fprintf(stderr, "gannet cache: %s\n", gn_last_error()), EXIT_FAIL) : cli_fail("cache", st);
            goto done;
        }
        if (json) printf("{\"ok\":true}\n");
        else printf("%s: ok\n", out);
        rc = EXIT_OK;
        goto done;
    }
    gn_cache_info info;
    memset(&info, 0, sizeof info);
    if ((st = gn_cache_build(&spec, files, nfiles, out, &info)) != GN_OK) {
        rc = cli_fail("cache", st);
        goto done;
    }
    if (json) {
        printf("{\"examples\":%llu,\"skipped\":%llu,\"blocks\":%llu,\"bytes\":%llu}\n",
               (unsigned long long)info.examples, (unsigned long long)info.skipped, (unsigned long long)info.blocks,
               (unsigned long long)info.bytes);
    } else {
        printf("%s: %llu examples in %llu blocks, %llu bytes", out, (unsigned long long)info.examples,
               (unsigned long long)info.blocks, (unsigned long long)info.bytes);
        if (info.skipped) printf(" (%llu bad lines skipped)", (unsigned long long)info.skipped);
        printf("\n");
    }
    rc = EXIT_OK;
done:
    free((void *)files);
    return rc;
}
