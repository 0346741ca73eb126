/* cli/cmd_params.c: `gannet params` — lists the library's parameter table (gannet/params.h): the
 * name every interface uses (flags, tune grids, Python keywords, pipeline files), the flag, the
 * type, the default, the range and the help, as text, JSON or the Markdown table of docs/cli.md. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *const type_names[] = {"bool", "int", "real", "size", "choice", "text"};
static const char *const group_names[] = {"data", "train", "run"};

static void help(void) {
    printf("usage: gannet params [--json | --markdown]\n\n"
           "Lists every training and data parameter: its name (as tune grids, Python keywords and\n"
           "pipeline files spell it), its flag, type, default, range and help.\n\n"
           "  --json          one JSON array of objects\n"
           "  --markdown      the table of docs/cli.md\n");
}

/* The range or choices of a parameter as text ("" when it has none). */
static void range_of(const gn_param_info *p, char *buf, size_t n) {
    buf[0] = '\0';
    if (p->type == GN_PARAM_CHOICE) snprintf(buf, n, "%s", p->choices);
    else if (p->type == GN_PARAM_INT || p->type == GN_PARAM_REAL || p->type == GN_PARAM_SIZE) {
        if (p->max >= 1e299 || p->max >= 18446744073709551615.0) snprintf(buf, n, "%s %.10g", p->min_open ? ">" : ">=", p->min);
        else snprintf(buf, n, "%c%.10g, %.10g%c", p->min_open ? '(' : '[', p->min, p->max, p->max_open ? ')' : ']');
    }
}

static void markdown_cell(const char *s) {
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", stdout);
        else putchar(*s);
    }
}

int cmd_params(int argc, char **argv) {
    int json = 0, markdown = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help();
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--markdown")) {
            markdown = 1;
        } else {
            return cli_usage_error("params", "unknown flag '%s'", argv[i]);
        }
    }
    char range[160];
    if (json) {
        putchar('[');
        for (size_t i = 0; i < gn_param_count(); i++) {
            const gn_param_info *p = gn_param_at(i);
            range_of(p, range, sizeof range);
            printf("%s{\"name\":", i ? "," : "");
            cli_json_string(stdout, p->name);
            printf(",\"flag\":");
            cli_json_string(stdout, p->flag);
            printf(",\"alias\":");
            if (p->alias) cli_json_string(stdout, p->alias);
            else fputs("null", stdout);
            printf(",\"type\":\"%s\",\"group\":\"%s\",\"default\":", type_names[p->type], group_names[p->group]);
            cli_json_string(stdout, p->default_text);
            printf(",\"range\":");
            cli_json_string(stdout, range);
            printf(",\"searchable\":%s,\"help\":", p->searchable ? "true" : "false");
            cli_json_string(stdout, p->help);
            putchar('}');
        }
        puts("]");
    } else if (markdown) {
        puts("| name | flag | type | default | range | tune | help |");
        puts("|---|---|---|---|---|---|---|");
        for (size_t i = 0; i < gn_param_count(); i++) {
            const gn_param_info *p = gn_param_at(i);
            range_of(p, range, sizeof range);
            printf("| `%s` | `%s`", p->name, p->flag);
            if (p->alias) printf(", `%s`", p->alias);
            printf(" | %s (%s) | ", type_names[p->type], group_names[p->group]);
            if (p->default_text[0]) {
                putchar('`');
                markdown_cell(p->default_text);
                putchar('`');
            }
            printf(" | ");
            markdown_cell(range);
            printf(" | %s | ", p->searchable ? "yes" : "");
            markdown_cell(p->help);
            puts(" |");
        }
    } else {
        printf("%-18s %-20s %-7s %-10s %s\n", "name", "flag", "type", "default", "help");
        for (size_t i = 0; i < gn_param_count(); i++) {
            const gn_param_info *p = gn_param_at(i);
            printf("%-18s %-20s %-7s %-10s %s\n", p->name, p->flag, type_names[p->type],
                   p->default_text[0] ? p->default_text : "-", p->help);
        }
    }
    return cli_close_output("params", NULL, "stdout", stdout, 0);
}
