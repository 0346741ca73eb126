/* cli/cmd_describe.c: `gannet describe` — profiles data files as training would read them
 * (gannet/describe.h) and prints the report as text or JSON. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void) {
    printf("usage: gannet describe -d DATA... [data flags] [--json] [--top K] [--max-columns N] [--threads N]\n\n"
           "Reads DATA (files in order; '-' is stdin) once, as `gannet train` would read it with the same\n"
           "data flags, and reports: per CSV column its role (label, numeric, categorical, ignored; inferred\n"
           "when not declared), missing share, distinct values, min/max/mean/std and top values; for LIBSVM\n"
           "and VW the features per example, distinct features and value range (VW: per namespace); the\n"
           "label's values and class balance; and whether the labels come in long runs (a sorted input,\n"
           "which an online pass learns poorly from: use gannet train --shuffle). Memory stays bounded.\n\n"
           "  -d, --data FILE...      input files in order; '-' is stdin; gzip/zstd detected by content\n"
           "  --json                  one JSON object on stdout (keys in docs/cli.md)\n"
           "  --top K                 most frequent values listed per column (default 10, at most 100)\n"
           "  --max-columns N         CSV columns profiled one by one (default 1024); the rest together\n"
           "  --threads N             parts of the input read at once (default 0: all cores)\n");
    cli_print_param_help(stdout, CLI_DATA);
}

int cmd_describe(int argc, char **argv) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    gn_describe_options opts;
    gn_describe_options_init(&opts);
    const char **files = NULL;
    size_t nfiles = 0;
    int json = 0, rc = EXIT_USAGE;
    gn_describe_report *rep = NULL;
    cli_args a;
    cli_args_init(&a, "describe", argc, argv);
    const char *f;
    while ((f = cli_next(&a))) {
        int r;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            help();
            rc = EXIT_OK;
            goto done;
        } else if (!strcmp(f, "-d") || !strcmp(f, "--data")) {
            if (cli_collect_files(&a, &files, &nfiles) != 0) goto done;
        } else if (!strcmp(f, "--json")) {
            json = 1;
        } else if (!strcmp(f, "--top") || !strcmp(f, "--max-columns") || !strcmp(f, "--threads")) {
            const char *v = cli_value(&a, f);
            unsigned n;
            if (!v || cli_parse_u32(f, v, &n) != 0) goto done;
            if (!strcmp(f, "--top")) opts.top = n;
            else if (!strcmp(f, "--max-columns")) opts.max_columns = n;
            else opts.threads = n;
        } else if ((r = cli_param_flag(&a, f, CLI_DATA, NULL, &spec)) != 0) {
            if (r < 0) goto done;
        } else {
            cli_usage_error("describe", "unknown flag '%s'", f);
            goto done;
        }
    }
    if (!nfiles) {
        cli_usage_error("describe", "no data: give -d FILE...");
        goto done;
    }
    gn_file_use *in = NULL;
    size_t nin = 0;
    if (cli_add_uses("describe", &in, &nin, "-d", files, nfiles) != 0) {
        rc = EXIT_FAIL;
        goto done;
    }
    rc = cli_check_outputs("describe", in, nin, &(gn_file_use){"-", NULL}, 1); /* stdout is no input */
    free(in);
    if (rc != EXIT_OK) goto done;
    rc = EXIT_USAGE;
    int st = gn_describe_options_check(&opts);
    if (st == GN_OK) st = gn_data_spec_check(&spec);
    if (st == GN_OK) st = gn_describe(&opts, &spec, files, nfiles, &rep);
    if (st != GN_OK) {
        rc = cli_fail("describe", st);
        goto done;
    }
    if (json) printf("%s\n", gn_describe_report_json(rep));
    else fputs(gn_describe_report_text(rep), stdout);
    rc = cli_close_output("describe", NULL, "stdout", stdout, 0);
done:
    gn_describe_report_free(rep);
    free((void *)files);
    return rc;
}
