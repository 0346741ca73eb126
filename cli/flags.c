/* cli/flags.c: flag iteration and the data/training flags shared by train, cv and tune. */
#include <errno.h>
#include <math.h>
#include <signal.h>
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
    a->param = NULL;
}

static char flagbuf[256];

static int is_ns_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

const char *cli_next(cli_args *a) {
    a->inline_value = NULL;
    if (a->i >= a->argc) return NULL;
    const char *s = a->argv[a->i++];
    /* Vowpal Wabbit's spelling -q AB (two namespace letters) is --quadratic AB; a -q without
     * such a value is --quiet */
    if (!strcmp(s, "-q") && a->i < a->argc && strlen(a->argv[a->i]) == 2 && is_ns_letter(a->argv[a->i][0]) &&
        is_ns_letter(a->argv[a->i][1]))
        return "--quadratic";
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

int cli_parse_size(const char *flag, const char *s, unsigned long long *out) {
    uint64_t v;
    if (gn_parse_size(s, &v) != GN_OK) {
        fprintf(stderr, "gannet: %s: %s\n", flag, gn_last_error());
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

/* ---- flags from the library's parameter table ---- */

static int group_allowed(const gn_param_info *p, unsigned groups) { return (groups >> p->group) & 1u; }

/* "--no-x" for a BOOL (or true/false choice) parameter "--x": the parameter, else NULL. */
static const gn_param_info *negated(const char *flag) {
    if (strncmp(flag, "--no-", 5) != 0) return NULL;
    char pos[128];
    if (snprintf(pos, sizeof pos, "--%s", flag + 5) >= (int)sizeof pos) return NULL;
    const gn_param_info *p = gn_param_find(pos);
    if (!p || strcmp(p->flag, pos) != 0) return NULL;
    return p->type == GN_PARAM_BOOL || (p->type == GN_PARAM_CHOICE && strstr(p->choices, "false")) ? p : NULL;
}

int cli_param_flag(cli_args *a, const char *flag, unsigned groups, gn_train_options *o, gn_data_spec *spec) {
    if (flag[0] != '-') return 0;
    const gn_param_info *p = NULL;
    const char *value = NULL;
    const gn_param_info *neg = negated(flag);
    if (neg) {
        p = neg;
        if (a->inline_value) {
            cli_usage_error(a->cmd, "%s takes no value", flag);
            return -1;
        }
        value = "false";
    } else {
        /* only exact spellings on the command line: --max-line or -b, not max_line */
        for (size_t i = 0; i < gn_param_count(); i++) {
            const gn_param_info *q = gn_param_at(i);
            if (!strcmp(flag, q->flag) || (q->alias && !strcmp(flag, q->alias))) { p = q; break; }
        }
        if (!p) return 0;
    }
    if (!group_allowed(p, groups)) return 0;
    if (!value) {
        int bare_bool = p->type == GN_PARAM_BOOL || (p->type == GN_PARAM_CHOICE && strstr(p->choices, "true"));
        if (bare_bool && !a->inline_value) value = "true";
        else if (!(value = cli_value(a, flag))) return -1;
    }
    if (gn_param_set(o, spec, p->name, value) != GN_OK) {
        fprintf(stderr, "gannet %s: %s\n", a->cmd, gn_last_error());
        return -1;
    }
    a->param = p;
    return 1;
}

/* The left column of a parameter's help line: "--bits B, -b B", "--no-bias". */
static void param_usage(const gn_param_info *p, char *buf, size_t n) {
    if (p->type == GN_PARAM_BOOL) {
        if (!strcmp(p->default_text, "true")) snprintf(buf, n, "--no-%s", p->flag + 2);
        else snprintf(buf, n, "%s", p->flag);
        return;
    }
    if (p->type == GN_PARAM_CHOICE && strstr(p->choices, "false")) {
        snprintf(buf, n, "%s, --no-%s", p->flag, p->flag + 2);
        return;
    }
    const char *mv = p->metavar ? p->metavar : "X";
    if (p->alias) snprintf(buf, n, "%s %s, %s %s", p->flag, mv, p->alias, mv);
    else snprintf(buf, n, "%s %s", p->flag, mv);
}

/* The help text of a parameter with its choices and default. */
static void param_help_text(const gn_param_info *p, char *buf, size_t n) {
    int k = snprintf(buf, n, "%s", p->help);
    if (k < 0 || (size_t)k >= n) return;
    if (p->type == GN_PARAM_BOOL) return;
    const int bounded = (p->type == GN_PARAM_INT || p->type == GN_PARAM_REAL) && p->max < 1e15;
    if (p->type == GN_PARAM_CHOICE && !strstr(p->choices, "false"))
        snprintf(buf + k, n - (size_t)k, " (%s; default %s)", p->choices, p->default_text);
    else if (bounded)
        snprintf(buf + k, n - (size_t)k, " (%c%.10g, %.10g%c; default %s)", p->min_open ? '(' : '[', p->min, p->max,
                 p->max_open ? ')' : ']', p->default_text);
    else if (p->default_text[0])
        snprintf(buf + k, n - (size_t)k, " (default %s)", p->default_text);
}

/* Writes "  LEFT  text" with the text wrapped at 100 columns under a 26-column indent. */
static void help_line(FILE *out, const char *left, const char *text) {
    const int indent = 26, width = 100;
    int col = fprintf(out, "  %s", left);
    if (col + 2 > indent) {
        fputc('\n', out);
        col = 0;
    }
    fprintf(out, "%*s", indent - col, "");
    col = indent;
    const char *s = text;
    while (*s) {
        const char *e = s;
        while (*e && *e != ' ') e++;
        int wl = (int)(e - s);
        if (col > indent && col + 1 + wl > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fwrite(s, 1, (size_t)wl, out);
        col += wl;
        s = *e ? e + 1 : e;
    }
    fputc('\n', out);
}

void cli_print_param_help(FILE *out, unsigned groups) {
    static const char *const titles[] = {"Data flags", "Training flags", "Run flags (train only)"};
    for (int g = GN_PARAM_DATA; g <= GN_PARAM_RUN; g++) {
        if (!((groups >> g) & 1u)) continue;
        fprintf(out, "\n%s:\n", titles[g]);
        for (size_t i = 0; i < gn_param_count(); i++) {
            const gn_param_info *p = gn_param_at(i);
            if ((int)p->group != g) continue;
            char left[96], text[512];
            param_usage(p, left, sizeof left);
            param_help_text(p, text, sizeof text);
            help_line(out, left, text);
        }
    }
}

int cli_fail(const char *cmd, int st) {
    const char *msg = gn_last_error()[0] ? gn_last_error() : gn_status_name((gn_status)st);
    if (gn_dist_size() > 1 && !gn_dist_failed_together()) /* MPI: this rank failed alone, say which */
        fprintf(stderr, "gannet %s: rank %d: %s\n", cmd, gn_dist_rank(), msg);
    else if (gn_dist_rank() == 0) /* one rank, or a failure all ranks agreed on: rank 0 reports it */
        fprintf(stderr, "gannet %s: %s\n", cmd, msg);
    /* Bad input (data or model file content, limits, options, something this build cannot do) is 2;
     * I/O and the rest are 1. */
    return (st == GN_EPARSE || st == GN_EINVAL || st == GN_ELIMIT || st == GN_EFORMAT || st == GN_ECHECKSUM ||
            st == GN_EVERSION || st == GN_EUNSUPPORTED)
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
    if (m->classes) { /* multiclass */
        fprintf(out, "classes    %u\n", (unsigned)m->classes);
        fprintf(out, "accuracy   %.6f\n", m->accuracy);
        fprintf(out, "top%u acc   %.6f\n", (unsigned)m->top_k, m->top_k_accuracy);
        fprintf(out, "logloss    %.6f\n", m->logloss);
        fprintf(out, "macro f1   %.6f\n", m->macro_f1);
        fprintf(out, "micro f1   %.6f\n", m->micro_f1);
        fprintf(out, "weighted f1 %.6f\n", m->weighted_f1);
    } else if (m->classification) {
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

void cli_print_confusion(FILE *out, const gn_model *m, const double *conf, size_t k) {
    int width = 6;
    for (size_t i = 0; i < k; i++) {
        const char *name = gn_model_class_name(m, i);
        int len = name ? (int)strlen(name) : 1;
        if (len + 1 > width) width = len + 1 > 16 ? 16 : len + 1;
        for (size_t j = 0; j < k; j++) {
            char num[32];
            int n = snprintf(num, sizeof num, "%.10g", conf[i * k + j]);
            if (n + 1 > width) width = n + 1;
        }
    }
    fprintf(out, "confusion (rows: true class, columns: predicted)\n%*s", width, "");
    for (size_t j = 0; j < k; j++) fprintf(out, " %*.*s", width, width, gn_model_class_name(m, j));
    fputc('\n', out);
    for (size_t i = 0; i < k; i++) {
        fprintf(out, "%*.*s", width, width, gn_model_class_name(m, i));
        for (size_t j = 0; j < k; j++) fprintf(out, " %*.10g", width, conf[i * k + j]);
        fputc('\n', out);
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
    if (cp->log && !cp->log_errno) {
        errno = 0;
        fprintf(cp->log,
                "{\"pass\":%u,\"examples\":%llu,\"seconds\":%.3f,\"examples_per_s\":%.0f,\"bytes_done\":%llu,"
                "\"bytes_total\":%llu,\"progressive_loss\":%.9g,\"holdout_loss\":",
                p->pass, (unsigned long long)p->examples, p->seconds, rate, (unsigned long long)p->bytes_done,
                (unsigned long long)p->bytes_total, p->progressive_loss);
        if (isnan(p->holdout_loss)) fputs("null", cp->log);
        else fprintf(cp->log, "%.9g", p->holdout_loss);
        fprintf(cp->log, ",\"end_of_pass\":%s}\n", p->end_of_pass ? "true" : "false");
        /* a line that cannot be written (full disk) is noted and ends the log: train exits 1 */
        if (fflush(cp->log) != 0 || ferror(cp->log)) cp->log_errno = errno ? errno : EIO;
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

int cli_progress_done(cli_progress *cp, const char *cmd) {
    if (!cp->log) return EXIT_OK;
    int rc = cli_close_output(cmd, "--log-json", cp->log_path, cp->log, cp->log_errno);
    cp->log = NULL;
    return rc;
}

int cli_add_uses(const char *cmd, gn_file_use **v, size_t *n, const char *what, const char *const *paths,
                 size_t npaths) {
    if (!npaths) return 0;
    gn_file_use *grown = realloc(*v, (*n + npaths) * sizeof *grown);
    if (!grown) {
        fprintf(stderr, "gannet %s: out of memory\n", cmd);
        return -1;
    }
    for (size_t i = 0; i < npaths; i++) grown[*n + i] = (gn_file_use){paths[i], what};
    *v = grown;
    *n += npaths;
    return 0;
}

int cli_check_outputs(const char *cmd, const gn_file_use *in, size_t nin, const gn_file_use *out, size_t nout) {
    int st = gn_check_outputs(in, nin, out, nout);
    return st == GN_OK ? 0 : cli_fail(cmd, st);
}

/* The errno of flushing (and, close_too, closing) f; -1 when only the stream's error flag says
 * that an earlier write failed (glibc drops a buffer it could not write, so a flush with nothing
 * new to write succeeds and the reason is gone); 0 when all went out. */
static int finish_stream(FILE *f, int close_too) {
    int err = 0;
    errno = 0;
    if (fflush(f) != 0) err = errno ? errno : -1;
    if (ferror(f) && !err) err = -1;
    errno = 0;
    /* NFS may report a failure only here; EBADF with nothing left to write is a stdout that was
     * closed (>&-) by a caller that wants no output, not a lost result */
    if (close_too && fclose(f) != 0 && !err && errno != EBADF) err = errno ? errno : -1;
    return err;
}

static const char *write_error_text(int err) { return err > 0 ? strerror(err) : "an earlier write did not complete"; }

int cli_close_output(const char *cmd, const char *what, const char *path, FILE *f, int err_seen) {
    int err = finish_stream(f, f != stdout);
    if (err_seen) err = err_seen;
    if (!err) return EXIT_OK;
    if (what && what[0]) fprintf(stderr, "gannet %s: %s %s: write failed: %s\n", cmd, what, path, write_error_text(err));
    else fprintf(stderr, "gannet %s: %s: write failed: %s\n", cmd, path, write_error_text(err));
    return EXIT_FAIL;
}

int cli_close_stdout(const char *cmd, int rc) {
    int err = finish_stream(stdout, 1);
    if (!err || rc != EXIT_OK) return rc; /* a command that failed has said why already */
    fprintf(stderr, "gannet %s: stdout: write failed: %s\n", cmd, write_error_text(err));
    return EXIT_FAIL;
}

static void on_fatal_signal(int sig) {
    gn_remove_temp_files();
    raise(sig); /* SA_RESETHAND made the action the default: it kills once this handler returns */
}

void cli_install_signal_cleanup(void) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaddset(&sa.sa_mask, sigs[i]);
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old;
        /* a signal the caller ignores (nohup, a background job's SIGINT) stays ignored */
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[i], &sa, NULL);
    }
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

int cli_index_flag(cli_args *a, const char *cmd, const char *flag, gn_mf_index_options *o) {
    const char *v;
    if (!strcmp(flag, "--index")) {
        if (!(v = cli_value(a, flag))) return -1;
        if (!strcmp(v, "auto")) o->kind = GN_MF_INDEX_AUTO;
        else if (!strcmp(v, "exact")) o->kind = GN_MF_INDEX_EXACT;
        else if (!strcmp(v, "ivf")) o->kind = GN_MF_INDEX_IVF;
        else if (!strcmp(v, "hnsw")) o->kind = GN_MF_INDEX_HNSW;
        else {
            cli_usage_error(cmd, "--index: expected auto, exact, ivf or hnsw, got '%s'", v);
            return -1;
        }
        return 1;
    }
    unsigned *dst = !strcmp(flag, "--nprobe")            ? &o->nprobe
                    : !strcmp(flag, "--nlists")          ? &o->nlists
                    : !strcmp(flag, "--hnsw-m")          ? &o->hnsw_m
                    : !strcmp(flag, "--ef-construction") ? &o->ef_construction
                    : !strcmp(flag, "--ef-search")       ? &o->ef_search
                                                         : NULL;
    if (!dst) return 0;
    if (!(v = cli_value(a, flag)) || cli_parse_u32(flag, v, dst) != 0) return -1;
    if (*dst < 1) {
        cli_usage_error(cmd, "%s: expected a positive integer, got %s", flag, v);
        return -1;
    }
    if (dst == &o->hnsw_m && (*dst < 2 || *dst > 64)) {
        cli_usage_error(cmd, "--hnsw-m: expected 2..64, got %s", v);
        return -1;
    }
    return 1;
}
