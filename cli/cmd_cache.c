/* cli/cmd_cache.c: placeholder until the command lands. */
#include "cli.h"

int cmd_cache(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "gannet: this command is not built yet\n");
    return EXIT_FAIL;
}
