/* cli/cmd_split.c: `gannet split --by time` — a CSV file cut into train and test files, the
 * latest rows (of all, or of each user's) being the test part (gannet/split.h). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void) {
    printf("usage: gannet split --by time --time-col COL [--per COL] [--test F] DATA --train-out FILE --test-out FILE\n"
           "                    [--json] [data flags]\n\n"
           "Cuts the CSV file DATA into a train and a test file by time, as recommenders are judged: the\n"
           "latest fraction F of the rows is the test part, or with --per COL (e.g. the user column) the\n"
           "latest round(F x n) of each user's n rows. Rows keep their file order in both files and the\n"
           "header line goes to both; rows with equal times count in file order (the later row is later).\n"
           "DATA is read twice (not stdin); gzip/zstd are read; the outputs are written to temporary names\n"
           "and renamed, so a failed split leaves neither.\n\n"
           "  --by time               the only rule here (random splits: --holdout, cv, a pipeline's data.split)\n"
           "  --time-col COL          the column of times, header name or 1-based index: numbers (Unix seconds)\n"
           "  --per COL               the latest rows of each value of COL (default: of all rows)\n"
           "  --test F                the test fraction, in (0, 1) (default 0.2)\n"
           "  --train-out FILE, --test-out FILE   the two outputs (required)\n"
           "  --json                  print {\"train\": N, \"test\": N} (rows written)\n");
    cli_print_param_help(stdout, CLI_DATA);
}

int cmd_split(int argc, char **argv) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    gn_time_split_options o = {NULL, NULL, 0.2};
    const char *data = NULL, *out[2] = {NULL, NULL}, *by = "time";
    int json = 0, rc = EXIT_USAGE;
    cli_args a;
    cli_args_init(&a, "split", argc, argv);
    const char *f;
    while ((f = cli_next(&a))) {
        int r;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            help();
            return EXIT_OK;
        } else if (!strcmp(f, "--by")) {
            if (!(by = cli_value(&a, f))) return rc;
        } else if (!strcmp(f, "--time-col")) {
            if (!(o.time_col = cli_value(&a, f))) return rc;
        } else if (!strcmp(f, "--per")) {
            if (!(o.group_col = cli_value(&a, f))) return rc;
        } else if (!strcmp(f, "--test")) {
            const char *v = cli_value(&a, f);
            if (!v || cli_parse_double(f, v, &o.test) != 0) return rc;
        } else if (!strcmp(f, "--train-out")) {
            if (!(out[0] = cli_value(&a, f))) return rc;
        } else if (!strcmp(f, "--test-out")) {
            if (!(out[1] = cli_value(&a, f))) return rc;
        } else if (!strcmp(f, "--json")) {
            json = 1;
        } else if (f[0] != '-' || !strcmp(f, "-")) {
            if (data) return cli_usage_error("split", "one input file only (got '%s' and '%s')", data, f);
            data = f;
        } else if ((r = cli_param_flag(&a, f, CLI_DATA, NULL, &spec)) != 0) {
            if (r < 0) return rc;
        } else {
            return cli_usage_error("split", "unknown flag '%s'", f);
        }
    }
    if (strcmp(by, "time") != 0)
        return cli_usage_error("split", "--by %s: only 'time' (random splits: train --holdout, cv, a pipeline's data.split)", by);
    if (!o.time_col) return cli_usage_error("split", "give the column of times: --time-col COL");
    if (!data) return cli_usage_error("split", "no input: give DATA");
    if (!out[0] || !out[1]) return cli_usage_error("split", "give both outputs: --train-out FILE --test-out FILE");
    const gn_file_use in = {data, "DATA"}, outs[2] = {{out[0], "--train-out"}, {out[1], "--test-out"}};
    if ((rc = cli_check_outputs("split", &in, 1, outs, 2)) != EXIT_OK) return rc;
    uint64_t n[2] = {0, 0};
    int st = gn_data_spec_check(&spec);
    if (st == GN_OK) st = gn_split_by_time(data, &spec, &o, out[0], out[1], &n[0], &n[1]);
    if (st != GN_OK) return cli_fail("split", st);
    if (json) printf("{\"train\":%llu,\"test\":%llu}\n", (unsigned long long)n[0], (unsigned long long)n[1]);
    else printf("split %s: %llu train rows to %s, %llu test rows (the latest%s) to %s\n", data,
                (unsigned long long)n[0], out[0], (unsigned long long)n[1], o.group_col ? " of each group" : "", out[1]);
    return EXIT_OK;
}
