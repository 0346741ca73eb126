/* cli/cmd_select.c: placeholder until the command lands. */
#include "cli.h"

int cmd_cv(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "gannet: this command is not built yet\n");
    return EXIT_FAIL;
}

int cmd_tune(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "gannet: this command is not built yet\n");
    return EXIT_FAIL;
}
