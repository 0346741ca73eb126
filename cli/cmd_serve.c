/* cli/cmd_serve.c: placeholder until the command lands. */
#include "cli.h"

int cmd_serve(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "gannet: this command is not built yet\n");
    return EXIT_FAIL;
}
