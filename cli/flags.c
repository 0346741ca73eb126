/* cli/flags.c: flag iteration and the data/training flags shared by train, cv and tune. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void cli_args_init(cli_args *a, const char *cmd, int argc, char **argv) {
    a->argc = argc;
    a->argv = argv;
    a->i = 0;
    a->inline_value = NULL;
    a->cmd = cmd;
}

static char flagbuf[256];

const char *cli_next(cli_args *a) {
    a->inline_value = NULL;
    if (a->i >= a->argc) return NULL;
    const char *s = a->argv[a->i++];
    if (s[0] == '-' && s[1] == '-') {
        const char *eq = strchr(s, '=');
        if (eq && (size_t)(eq - s) < sizeof flagbuf) {
            memcpy(flagbuf, s, (size_t)(eq - s));
            flagbuf[eq - s] = '\0';
            a->inline_value = eq + 1;
            return flagbuf;
        }
    }
    return s;
}

const char *cli_value(cli_args *a, const char *flag) {
    if (a->inline_value) return a->inline_value;
    if (a->i >= a->argc) {
        cli_usage_error(a->cmd, "%s needs a value", flag);
        return NULL;
    }
    return a->argv[a->i++];
}

int cli_collect_files(cli_args *a, const char ***files, size_t *n) {
    if (a->inline_value) {
        const char **f = realloc((void *)*files, (*n + 1) * sizeof **files);
        if (!f) return -1;
        f[(*n)++] = a->inline_value;
        *files = f;
        return 0;
    }
    int got = 0;
    while (a->i < a->argc) {
        const char *s = a->argv[a->i];
        if (s[0] == '-' && s[1] != '\0') break;
        const char **f = realloc((void *)*files, (*n + 1) * sizeof **files);
        if (!f) return -1;
        f[(*n)++] = s;
        *files = f;
        a->i++;
        got++;
    }
    if (!got) {
        cli_usage_error(a->cmd, "-d needs at least one file (or - for stdin)");
        return -1;
    }
    return 0;
}

int cli_parse_double(const char *flag, const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        fprintf(stderr, "gannet: %s: '%s' is not a number\n", flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_u64(const char *flag, const char *s, unsigned long long *out) {
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0') {
        fprintf(stderr, "gannet: %s: '%s' is not a non-negative integer\n", flag, s);
        return -1;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE) {
        fprintf(stderr, "gannet: %s: '%s' is not a non-negative integer\n", flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_u32(const char *flag, const char *s, unsigned *out) {
    unsigned long long v;
    if (cli_parse_u64(flag, s, &v) != 0) return -1;
    if (v > 0xFFFFFFFFull) {
        fprintf(stderr, "gannet: %s: '%s' is too large\n", flag, s);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

static int copy_str(const char *flag, char *dst, size_t size, const char *v) {
    if (strlen(v) >= size) {
        fprintf(stderr, "gannet: %s: value longer than %zu characters\n", flag, size - 1);
        return -1;
    }
    strcpy(dst, v);
    return 1;
}

const char cli_data_help[] =
    "Data flags:\n"
    "  -d, --data FILE...      input files in order; '-' is stdin; gzip/zstd detected by content\n"
    "  --format F              libsvm | csv | vw (default: detected from the first line)\n"
    "  --bits B                hash space of 2^B slots, 1..30 (default 18)\n"
    "  --no-bias               no constant feature\n"
    "  --libsvm-hash           hash LIBSVM indices instead of using index mod 2^B\n"
    "  --sep C                 CSV separator: ',' or 'tab' or any single character (default: detect)\n"
    "  --header, --no-header   CSV first line is / is not a header (default: detect)\n"
    "  --label COL             CSV label column, name or 1-based index (default 1)\n"
    "  --categorical COLS      CSV columns hashed as name=value, e.g. 15-40,city\n"
    "  --numeric COLS          CSV columns used as numbers (others: numeric if they parse)\n"
    "  --ignore COLS           CSV columns to skip\n"
    "  --na-values LIST        CSV values read as missing besides an empty field and the\n"
    "                          defaults NA,N/A,n/a,NaN,nan,null,NULL,None,?,#N/A (e.g. -999)\n"
    "  --no-default-na         only an empty field and --na-values are missing\n"
    "  --log-numeric           CSV numbers x enter as sign(x)*log(1+|x|) (for counts, prices)\n"
    "  --skip-bad              skip bad lines, count them and report the count (default: stop)\n"
    "  --max-line BYTES        longest accepted line (default 64 MiB)\n";

int cli_data_flag(cli_args *a, const char *flag, gn_data_spec *spec) {
    const char *v;
    if (!strcmp(flag, "--format")) {
        if (!(v = cli_value(a, flag))) return -1;
        int f = gn_format_parse(v);
        if (f < 0) {
            fprintf(stderr, "gannet: --format: unknown format '%s' (libsvm, csv, vw)\n", v);
            return -1;
        }
        spec->format = (gn_format)f;
        return 1;
    }
    if (!strcmp(flag, "--bits") || !strcmp(flag, "-b")) {
        unsigned b;
        if (!(v = cli_value(a, flag)) || cli_parse_u32(flag, v, &b) != 0) return -1;
        spec->bits = b;
        return 1;
    }
    if (!strcmp(flag, "--no-bias")) { spec->bias = 0; return 1; }
    if (!strcmp(flag, "--libsvm-hash")) { spec->libsvm_hash = 1; return 1; }
    if (!strcmp(flag, "--skip-bad")) { spec->skip_bad = 1; return 1; }
    if (!strcmp(flag, "--log-numeric")) { spec->log_numeric = 1; return 1; }
    if (!strcmp(flag, "--header")) { spec->header = 1; return 1; }
    if (!strcmp(flag, "--no-header")) { spec->header = 0; return 1; }
    if (!strcmp(flag, "--sep")) {
        if (!(v = cli_value(a, flag))) return -1;
        if (!strcmp(v, "tab") || !strcmp(v, "\\t")) spec->sep = '\t';
        else if (strlen(v) == 1) spec->sep = v[0];
        else {
            fprintf(stderr, "gannet: --sep: expected one character or 'tab', got '%s'\n", v);
            return -1;
        }
        return 1;
    }
    if (!strcmp(flag, "--label")) {
        if (!(v = cli_value(a, flag))) return -1;
        return copy_str(flag, spec->label_col, sizeof spec->label_col, v);
    }
    if (!strcmp(flag, "--categorical")) {
        if (!(v = cli_value(a, flag))) return -1;
        return copy_str(flag, spec->categorical, sizeof spec->categorical, v);
    }
    if (!strcmp(flag, "--numeric")) {
        if (!(v = cli_value(a, flag))) return -1;
        return copy_str(flag, spec->numeric, sizeof spec->numeric, v);
    }
    if (!strcmp(flag, "--ignore")) {
        if (!(v = cli_value(a, flag))) return -1;
        return copy_str(flag, spec->ignore, sizeof spec->ignore, v);
    }
    if (!strcmp(flag, "--na-values")) {
        if (!(v = cli_value(a, flag))) return -1;
        return copy_str(flag, spec->na_values, sizeof spec->na_values, v);
    }
    if (!strcmp(flag, "--no-default-na")) { spec->na_defaults = 0; return 1; }
    if (!strcmp(flag, "--max-line")) {
        unsigned long long n;
        if (!(v = cli_value(a, flag)) || cli_parse_u64(flag, v, &n) != 0) return -1;
        spec->max_line = (size_t)n;
        return 1;
    }
    return 0;
}

const char cli_train_help[] =
    "Training flags:\n"
    "  --loss L                logistic | squared | hinge | quantile | poisson (default logistic)\n"
    "  --optimizer O           ftrl | adagrad | sgd | lbfgs | owlqn (default: ftrl for logistic,\n"
    "                          adagrad otherwise)\n"
    "  --lr X                  learning rate (FTRL alpha); default 0.1 ftrl, 0.5 adagrad/sgd\n"
    "  --l1 X, --l2 X          regularisation of sum_i loss_i + l1*|w|_1 + l2/2*|w|^2\n"
    "                          (LIBLINEAR's C corresponds to --l2 1/C)\n"
    "  --ftrl-beta X           FTRL beta (default 1)\n"
    "  --power-t X             SGD step decay exponent (default 0.5)\n"
    "  --quantile-tau X        quantile loss level (default 0.5)\n"
    "  --passes N              passes over the data (default 1)\n"
    "  --holdout F             hold out this fraction of examples to measure loss (default 0)\n"
    "  --early-stop N          stop after N passes without holdout improvement (default 3)\n"
    "  --seed N                seed for holdout/fold selection (default 0)\n"
    "  --threads N             threads (default: all cores, shared by the mpirun ranks\n"
    "                          of a machine)\n"
    "  --deterministic         same model on every run for a given --threads\n"
    "  --batch-size N          examples per parsed batch in train (default 1024; cv and\n"
    "                          tune read in batches of 8192)\n"
    "  --memory M              L-BFGS history size (default 10)\n"
    "  --tol T                 L-BFGS/OWL-QN relative gradient tolerance (default 1e-6)\n"
    "  --max-iter N            L-BFGS/OWL-QN iteration limit (default 500)\n"
    "  --warm-start online     one online pass before the batch solver\n";

int cli_train_flag(cli_args *a, const char *flag, gn_train_options *o) {
    const char *v;
    double d;
    unsigned u;
    if (!strcmp(flag, "--loss")) {
        if (!(v = cli_value(a, flag))) return -1;
        int l = gn_loss_parse(v);
        if (l < 0) {
            fprintf(stderr, "gannet: --loss: unknown loss '%s' (logistic, squared, hinge, quantile, poisson)\n", v);
            return -1;
        }
        o->loss = (gn_loss)l;
        return 1;
    }
    if (!strcmp(flag, "--optimizer")) {
        if (!(v = cli_value(a, flag))) return -1;
        int opt = gn_optimizer_parse(v);
        if (opt < 0) {
            fprintf(stderr, "gannet: --optimizer: unknown optimizer '%s' (ftrl, adagrad, sgd, lbfgs, owlqn)\n", v);
            return -1;
        }
        o->optimizer = (gn_optimizer)opt;
        return 1;
    }
#define DOUBLE_FLAG(name, field)                                                        \
    if (!strcmp(flag, name)) {                                                          \
        if (!(v = cli_value(a, flag)) || cli_parse_double(flag, v, &d) != 0) return -1; \
        o->field = d;                                                                   \
        return 1;                                                                       \
    }
#define U32_FLAG(name, field)                                                         \
    if (!strcmp(flag, name)) {                                                        \
        if (!(v = cli_value(a, flag)) || cli_parse_u32(flag, v, &u) != 0) return -1; \
        o->field = u;                                                                 \
        return 1;                                                                     \
    }
    DOUBLE_FLAG("--lr", lr)
    DOUBLE_FLAG("--l1", l1)
    DOUBLE_FLAG("--l2", l2)
    DOUBLE_FLAG("--ftrl-beta", ftrl_beta)
    DOUBLE_FLAG("--power-t", power_t)
    DOUBLE_FLAG("--quantile-tau", quantile_tau)
    DOUBLE_FLAG("--holdout", holdout)
    DOUBLE_FLAG("--tol", tol)
    U32_FLAG("--passes", passes)
    U32_FLAG("--early-stop", early_stop)
    U32_FLAG("--threads", threads)
    U32_FLAG("--memory", lbfgs_memory)
    U32_FLAG("--max-iter", max_iter)
    U32_FLAG("--batch-size", batch_size)
#undef DOUBLE_FLAG
#undef U32_FLAG
    if (!strcmp(flag, "--seed")) {
        unsigned long long s;
        if (!(v = cli_value(a, flag)) || cli_parse_u64(flag, v, &s) != 0) return -1;
        o->seed = s;
        return 1;
    }
    if (!strcmp(flag, "--deterministic")) { o->deterministic = 1; return 1; }
    if (!strcmp(flag, "--warm-start")) {
        if (!(v = cli_value(a, flag))) return -1;
        if (strcmp(v, "online") != 0 && strcmp(v, "none") != 0) {
            fprintf(stderr, "gannet: --warm-start: expected 'online' or 'none', got '%s'\n", v);
            return -1;
        }
        o->warm_start_online = !strcmp(v, "online");
        return 1;
    }
    return 0;
}

int cli_fail(const char *cmd, int st) {
    const char *msg = gn_last_error()[0] ? gn_last_error() : gn_status_name((gn_status)st);
    if (gn_dist_size() > 1 && !gn_dist_failed_together()) /* MPI: this rank failed alone, say which */
        fprintf(stderr, "gannet %s: rank %d: %s\n", cmd, gn_dist_rank(), msg);
    else if (gn_dist_rank() == 0) /* one rank, or a failure all ranks agreed on: rank 0 reports it */
        fprintf(stderr, "gannet %s: %s\n", cmd, msg);
    /* Bad input (data or model file content, limits, options) is 2; I/O and the rest are 1. */
    return (st == GN_EPARSE || st == GN_EINVAL || st == GN_ELIMIT || st == GN_EFORMAT || st == GN_ECHECKSUM ||
            st == GN_EVERSION)
               ? EXIT_USAGE
               : EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "gannet %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see gannet %s --help)\n", cmd);
    return EXIT_USAGE;
}

void cli_print_metrics_text(FILE *out, const gn_metrics *m) {
    fprintf(out, "examples   %llu\n", (unsigned long long)m->examples);
    if (m->classification) {
        fprintf(out, "logloss    %.6f\n", m->logloss);
        fprintf(out, "auc        %.6f\n", m->auc);
        fprintf(out, "accuracy   %.6f\n", m->accuracy);
        fprintf(out, "precision  %.6f\n", m->precision);
        fprintf(out, "recall     %.6f\n", m->recall);
        fprintf(out, "f1         %.6f\n", m->f1);
    } else {
        fprintf(out, "rmse       %.6f\n", m->rmse);
        fprintf(out, "mae        %.6f\n", m->mae);
    }
}

static void human_bytes(double b, char *buf, size_t n) {
    const char *u[] = {"B", "KB", "MB", "GB", "TB"};
    int i = 0;
    while (b >= 1000 && i < 4) { b /= 1000; i++; }
    snprintf(buf, n, "%.1f %s", b, u[i]);
}

void cli_progress_cb(const gn_progress *p, void *user) {
    cli_progress *cp = user;
    double rate = p->seconds > 0 ? (double)p->examples / p->seconds : 0;
    if (cp->log) {
        fprintf(cp->log,
                "{\"pass\":%u,\"examples\":%llu,\"seconds\":%.3f,\"examples_per_s\":%.0f,\"bytes_done\":%llu,"
                "\"bytes_total\":%llu,\"progressive_loss\":%.9g,\"holdout_loss\":",
                p->pass, (unsigned long long)p->examples, p->seconds, rate, (unsigned long long)p->bytes_done,
                (unsigned long long)p->bytes_total, p->progressive_loss);
        if (isnan(p->holdout_loss)) fputs("null", cp->log);
        else fprintf(cp->log, "%.9g", p->holdout_loss);
        fprintf(cp->log, ",\"end_of_pass\":%s}\n", p->end_of_pass ? "true" : "false");
        fflush(cp->log);
    }
    if (!cp->enabled) return;
    /* the loss of the examples since the last report, from the pass means */
    if (p->pass != cp->last_pass) {
        cp->last_pass = p->pass;
        cp->pass_first_examples = cp->last_examples;
        cp->last_loss_sum = 0;
    }
    double n_pass = (double)(p->examples - cp->pass_first_examples);
    double sum = isnan(p->progressive_loss) ? 0 : p->progressive_loss * n_pass;
    double n_new = (double)(p->examples - cp->last_examples);
    double current = n_new > 0 ? (sum - cp->last_loss_sum) / n_new : p->progressive_loss;
    cp->last_examples = p->examples;
    cp->last_loss_sum = sum;
    char done[32], mbs[32];
    human_bytes((double)p->bytes_done, done, sizeof done);
    human_bytes(p->seconds > 0 ? (double)p->bytes_done / p->seconds : 0, mbs, sizeof mbs);
    char eta[48] = "";
    if (p->bytes_total > 0 && p->bytes_done > 0 && !p->end_of_pass) {
        double frac = (double)p->bytes_done / (double)p->bytes_total;
        double left = p->seconds * (1 - frac) / frac; /* for this pass */
        snprintf(eta, sizeof eta, " %5.1f%% ETA %.0fs", 100 * frac, left);
    }
    fprintf(stderr, "\rpass %u  %llu ex  %.0f ex/s  %s (%s/s)  loss %.5f (current %.5f)", p->pass,
            (unsigned long long)p->examples, rate, done, mbs, p->progressive_loss, current);
    if (!isnan(p->holdout_loss)) fprintf(stderr, "  holdout %.5f", p->holdout_loss);
    fprintf(stderr, "%s\033[K", eta);
    if (p->end_of_pass) fputc('\n', stderr);
    fflush(stderr);
}

void cli_progress_done(cli_progress *cp) {
    if (cp->log) fclose(cp->log);
    cp->log = NULL;
}

void cli_json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}
