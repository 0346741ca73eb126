/* cli/cli.h: shared pieces of the gannet command: the sub-command entry points, flag parsing
 * helpers for data and training flags (reused by train, cv, tune), error reporting and exit
 * codes. The CLI only parses flags and calls libgannet. */
#ifndef GN_CLI_H
#define GN_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "gannet/gannet.h"

/* Exit codes: 0 success, 1 runtime failure, 2 usage error or bad input. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_cache(int argc, char **argv);  /* cli/cmd_cache.c */
int cmd_cv(int argc, char **argv);     /* cli/cmd_select.c */
int cmd_tune(int argc, char **argv);   /* cli/cmd_select.c */
int cmd_serve(int argc, char **argv);  /* cli/cmd_serve.c */
int cmd_params(int argc, char **argv); /* cli/cmd_params.c */
int cmd_recommend(int argc, char **argv); /* cli/cmd_recommend.c */
/* `gannet recommend` for feature models (cli/recommend_features.c): the candidates of cand_path
 * ranked for context (a line's text) or for each line of contexts_path; lines 1: contexts and
 * candidates are text lines in the model's input format (gn_model_rank_lines). Returns an exit
 * code. */
int cli_recommend_features(const char *model_path, const char *context, const char *contexts_path,
                           const char *cand_path, size_t k, const char *item_field, int json, int lines);
int cmd_split(int argc, char **argv);     /* cli/cmd_split.c */
int cmd_describe(int argc, char **argv); /* cli/cmd_describe.c */
int cmd_publish(int argc, char **argv);  /* cli/cmd_repo.c */
int cmd_models(int argc, char **argv);   /* cli/cmd_repo.c */
int cmd_rollback(int argc, char **argv); /* cli/cmd_repo.c */
int cmd_pipeline(int argc, char **argv); /* cli/cmd_pipeline.c */
int cmd_report(int argc, char **argv);   /* cli/cmd_pipeline.c */

/* Iterates over argv. Flags are --name VALUE or --name=VALUE; "-" alone is a value (stdin). */
typedef struct cli_args {
    int argc;
    char **argv;
    int i;              /* current position */
    const char *inline_value; /* value given as --name=VALUE */
    const char *cmd;    /* for messages */
    const gn_param_info *param; /* the parameter the last cli_param_flag returning 1 set */
} cli_args;

void cli_args_init(cli_args *a, const char *cmd, int argc, char **argv);
/* Next flag name (with leading dashes) or positional argument; NULL at the end. */
const char *cli_next(cli_args *a);
/* The value of the current flag; prints an error and returns NULL if missing. */
const char *cli_value(cli_args *a, const char *flag);
/* Collects values after -d until the next flag (a word starting with '-' other than "-"). */
int cli_collect_files(cli_args *a, const char ***files, size_t *n);

int cli_parse_double(const char *flag, const char *s, double *out);
int cli_parse_u32(const char *flag, const char *s, unsigned *out);
int cli_parse_u64(const char *flag, const char *s, unsigned long long *out);
/* A byte size with an optional K/M/G/T suffix (gn_parse_size). */
int cli_parse_size(const char *flag, const char *s, unsigned long long *out);

/* Groups of parameter flags a command takes (bits of gn_param_group). */
#define CLI_DATA (1u << GN_PARAM_DATA)
#define CLI_TRAIN (1u << GN_PARAM_TRAIN)
#define CLI_RUN (1u << GN_PARAM_RUN)
/* A flag of the library's parameter table (gannet/params.h) in one of these groups: --name VALUE,
 * --name=VALUE, a bare --name for true and --no-name for false. Returns 1 if `flag` was one (its
 * value consumed and set; a->param names it), 0 if not, -1 on error (printed). */
int cli_param_flag(cli_args *a, const char *flag, unsigned groups, gn_train_options *o, gn_data_spec *spec);
/* The help of those groups' flags, generated from the parameter table. */
void cli_print_param_help(FILE *out, unsigned groups);

/* The item index flags of recommend and serve (kind mf): --index auto|exact|ivf|hnsw, --nprobe N,
 * --nlists N, --hnsw-m N, --ef-construction N, --ef-search N. Returns 1 if `flag` was one (set in o), 0 if not, -1 on error (printed). */
int cli_index_flag(cli_args *a, const char *cmd, const char *flag, gn_mf_index_options *o);
#define CLI_INDEX_HELP                                                                                  \
    "  --index auto|exact|ivf|hnsw  kind mf: the item index built at load (auto: HNSW from 20000 items to 150000 per core, IVF above)\n" \
    "  --nprobe N               IVF lists probed per query (default: a tenth of the lists)\n"          \
    "  --nlists N               IVF lists (default: about sqrt(items))\n"                              \
    "  --hnsw-m N               HNSW links per item (default 16)\n"                                     \
    "  --ef-construction N      HNSW build beam (default 100)\n"                                        \
    "  --ef-search N            HNSW query beam (default max(64, 2 k); 128 from 500k items)\n"

/* Prints "gannet CMD: <gn_last_error()>" and returns the exit code for st. */
int cli_fail(const char *cmd, int st);
/* Writes s as a JSON string literal (quoted, escaped). */
void cli_json_string(FILE *out, const char *s);
/* Prints "gannet CMD: msg" and returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...);
void cli_print_metrics_text(FILE *out, const gn_metrics *m);
/* A multiclass confusion matrix (k x k weights, row = true class) as a table with class names. */
void cli_print_confusion(FILE *out, const gn_model *m, const double *conf, size_t k);

/* ---- output files: never an input, every write checked ---- */
/* Appends {paths[i], what} for i < npaths to the list *v of *n file uses; -1 when out of memory
 * (printed). */
int cli_add_uses(const char *cmd, gn_file_use **v, size_t *n, const char *what, const char *const *paths,
                 size_t npaths);
/* Before anything is written: 0 when no output is the same file as an input or another output
 * (gn_check_outputs), else prints "gannet CMD: <both named>" and returns EXIT_USAGE. */
int cli_check_outputs(const char *cmd, const gn_file_use *in, size_t nin, const gn_file_use *out, size_t nout);
/* Flushes and closes an output stream the command opened (stdout: flushes only); 0, or prints
 * "gannet CMD: WHAT PATH: write failed: <strerror>" and returns EXIT_FAIL. err_seen: an errno
 * noted at an earlier failed write of this stream (0: none). */
int cli_close_output(const char *cmd, const char *what, const char *path, FILE *f, int err_seen);
/* At the end of every command: flushes and closes stdout; a failed write (a full disk, /dev/full)
 * turns rc EXIT_OK into EXIT_FAIL after "gannet CMD: stdout: write failed: <strerror>" (a command
 * that failed keeps its code and message). */
int cli_close_stdout(const char *cmd, int rc);
/* SIGINT, SIGTERM and SIGHUP remove the temp files of atomic writes in progress
 * (gn_remove_temp_files), then kill the process with the signal's default action, so the exit
 * status stays 128 + the signal. */
void cli_install_signal_cleanup(void);

/* Progress line on stderr (only when stderr is a terminal, unless forced). */
typedef struct cli_progress {
    int enabled;
    int json_lines;     /* reserved: JSON progress to a file */
    FILE *log;          /* --log-json FILE: one JSON object per report */
    const char *log_path;
    int log_errno;      /* the first failed write to log (errno; then no more lines are written) */
    /* for the loss since the last report ("current" loss, as VW's "since last") */
    uint32_t last_pass;
    uint64_t last_examples, pass_first_examples;
    double last_loss_sum;
} cli_progress;
void cli_progress_cb(const gn_progress *p, void *user);
/* Closes the log: 0, or EXIT_FAIL after "gannet CMD: --log-json PATH: write failed: <strerror>"
 * when a line or the close failed. */
int cli_progress_done(cli_progress *cp, const char *cmd);

#endif
