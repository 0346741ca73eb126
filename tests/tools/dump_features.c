/* dump_features.c: a test helper (not installed) that prints the hashed features of each example
 * as training parses them: "label<TAB>slot:value slot:value ..." (slots increasing, values %.9g).
 * Usage: dump_features [--flag value | --flag]... FILE...; the flags are data parameters
 * (gannet params), set as the CLI sets them. The e2e tests compare text features with
 * scikit-learn's through it. */
#include <stdio.h>
#include <string.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/source.h"

int main(int argc, char **argv) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    const char *paths[64];
    size_t npaths = 0;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0) {
            const char *flag = argv[i];
            const gn_param_info *p = gn_param_find(flag);
            const char *v = "true";
            if (!p && strncmp(flag, "--no-", 5) == 0) { /* --no-bias */
                flag += 5;
                v = "false";
            } else if (p && p->type != GN_PARAM_BOOL) {
                if (i + 1 >= argc) return fprintf(stderr, "%s needs a value\n", flag), 2;
                v = argv[++i];
            }
            if (gn_data_spec_set(&spec, flag, v) != GN_OK) return fprintf(stderr, "%s\n", gn_last_error()), 2;
        } else if (npaths < 64) {
            paths[npaths++] = argv[i];
        }
    }
    gn_source *s;
    if (gn__source_open(&spec, NULL, paths, npaths, &s) != GN_OK) return fprintf(stderr, "%s\n", gn_last_error()), 1;
    gn_batch b;
    if (gn__batch_init(&b, 256, 4096) != GN_OK) return 1;
    int st;
    while ((st = gn__source_next(s, &b, 256)) == GN_OK) {
        for (size_t e = 0; e < b.n; e++) {
            printf("%g\t", (double)b.label[e]);
            for (size_t i = b.start[e]; i < b.start[e + 1]; i++)
                printf("%s%u:%.9g", i > b.start[e] ? " " : "", (unsigned)b.index[i], (double)b.value[i]);
            printf("\n");
        }
    }
    gn__batch_free(&b);
    gn__source_free(s);
    if (st != GN_EOF) return fprintf(stderr, "%s\n", gn_last_error()), 1;
    return 0;
}
