/* cli/cmd_serve.c: `gannet serve`: flag parsing, signal handling (SIGHUP reloads, on a thread
 * of its own; SIGTERM and SIGINT stop gracefully) and logging to stderr; the server itself is
 * gn_server (src/serve). */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "gannet/serve.h"

#define MAX_CLI_MODELS GN_SERVE_MAX_MODELS

static void serve_help(void) {
    printf("usage: gannet serve -m MODEL [-m NAME=PATH ...] [flags]\n"
           "       gannet serve --repository REPO [flags]\n\n"
           "Serves predictions over HTTP (see docs/serving.md). A model given as PATH is named after\n"
           "its file name without extension; an argument with '=' is NAME=PATH.\n\n"
           "  -m, --model [NAME=]PATH  a model to serve (repeatable)\n"
           "  --repository REPO        serve the current version of every model of a model\n"
           "                           repository (gannet publish) and follow publishes and\n"
           "                           rollbacks, new model names too (implies --watch;\n"
           "                           inotify, else polling)\n"
           "  --host ADDR              numeric address to bind (default 127.0.0.1; loopback only\n"
           "                           unless you ask for another)\n"
           "  --port N                 TCP port (default 8080; 0 = any free port, printed on stderr)\n"
           "  --threads N              worker threads (default: number of cores)\n"
           "  --max-body BYTES         largest request body, suffixes K, M, G (default 16M)\n"
           "  --max-batch N            most instances per predict request (default 100000)\n"
           "  --max-header BYTES       memory for request line + headers (default 32K)\n"
           "  --max-connections N      concurrent connections (default 1024)\n"
           "  --timeout MS             idle connection timeout, rounded up to seconds (default 30000)\n"
           "  --grace MS               on SIGTERM, how long to let requests in flight finish\n"
           "                           (default 10000)\n"
           "  --watch                  reload a model when its file changes\n"
           "  --watch-interval MS      how often --watch looks (default 1000)\n"
           "  --reload-timeout MS      a reload not done by then fails; the old model keeps serving\n"
           "                           (default 30000)\n"
           "  --access-log FILE        append one JSON line per request to FILE\n"
           "  --quiet                  log only warnings and errors\n" CLI_INDEX_HELP "\n"
           "Signals: SIGHUP reloads every model; SIGTERM/SIGINT stop accepting, finish requests in\n"
           "flight and exit 0.\n");
}

static void log_stderr(gn_log_level level, const char *msg, void *user) {
    int quiet = *(const int *)user;
    if (quiet && level < GN_LOG_WARN) return;
    static const char *const names[] = {"debug", "info", "warn", "error"};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s gannet serve [%s] %s\n", when, names[level <= GN_LOG_ERROR ? level : GN_LOG_ERROR], msg);
}

static int name_char_ok(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
}

/* Splits "NAME=PATH" or derives NAME from PATH's file name. An argument with '=' is NAME=PATH
 * (split at the first '='), unless the text before the '=' is no valid name and the whole
 * argument is an existing file: then it is a PATH that holds '='. Returns 0, -1 for an empty
 * name or path, -2 for an invalid NAME (the text before *path's '='). */
static int model_arg(const char *arg, char *name, size_t size, const char **path) {
    const char *eq = strchr(arg, '=');
    if (eq) {
        size_t n = (size_t)(eq - arg);
        int ok = n > 0 && n < size;
        for (size_t i = 0; ok && i < n; i++) ok = name_char_ok(arg[i]);
        struct stat st;
        if (ok || stat(arg, &st) != 0) {
            if (n >= size) n = size - 1;
            memcpy(name, arg, n);
            name[n] = '\0';
            *path = eq + 1;
            if (!ok) return n ? -2 : -1;
            return **path ? 0 : -1;
        }
    }
    *path = arg;
    const char *base = strrchr(arg, '/');
    base = base ? base + 1 : arg;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) n = (size_t)(dot - base);
    if (n == 0) return -1;
    if (n >= size) n = size - 1;
    for (size_t i = 0; i < n; i++) name[i] = name_char_ok(base[i]) ? base[i] : '_';
    name[n] = '\0';
    return 0;
}

/* SIGHUP reloads run on a thread of their own, so the main thread is always in sigwait and
 * SIGTERM stops the server at once even while a reload waits on a slow file (gn_server_stop
 * makes that reload give up). SIGHUPs that arrive during a reload make one more reload. */
typedef struct hup_reloader {
    gn_server *server;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending, quit; /* guarded by mu */
} hup_reloader;

static void *hup_main(void *arg) {
    hup_reloader *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->pending && !h->quit) pthread_cond_wait(&h->cv, &h->mu);
        if (h->quit) break;
        h->pending = 0;
        pthread_mutex_unlock(&h->mu);
        gn_server_reload(h->server, NULL); /* failures are logged and counted by the server */
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static void hup_signal(hup_reloader *h, int quit) {
    pthread_mutex_lock(&h->mu);
    if (quit) h->quit = 1;
    else h->pending = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

int cmd_serve(int argc, char **argv) {
    gn_server_options o;
    gn_server_options_init(&o);
    static int quiet = 0;
    const char *model_args[MAX_CLI_MODELS], *repo = NULL;
    size_t nmodels = 0;
    unsigned grace_ms = 10000;
    cli_args a;
    cli_args_init(&a, "serve", argc, argv);
    const char *f, *v;
    unsigned long long u;
    int r;
    while ((f = cli_next(&a))) {
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            serve_help();
            return EXIT_OK;
        } else if (!strcmp(f, "-m") || !strcmp(f, "--model")) {
            if (!(v = cli_value(&a, f))) return EXIT_USAGE;
            if (nmodels >= MAX_CLI_MODELS) return cli_usage_error("serve", "at most %u models", MAX_CLI_MODELS);
            model_args[nmodels++] = v;
        } else if (!strcmp(f, "--repository")) {
            if (!(repo = cli_value(&a, f))) return EXIT_USAGE;
            o.watch = 1;
        } else if (!strcmp(f, "--host")) {
            if (!(o.host = cli_value(&a, f))) return EXIT_USAGE;
        } else if (!strcmp(f, "--port")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &o.port) != 0) return EXIT_USAGE;
        } else if (!strcmp(f, "--threads")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &o.threads) != 0) return EXIT_USAGE;
        } else if (!strcmp(f, "--max-body")) {
            if (!(v = cli_value(&a, f)) || cli_parse_size(f, v, &u) != 0) return EXIT_USAGE;
            o.max_body = (size_t)u;
        } else if (!strcmp(f, "--max-batch")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u64(f, v, &u) != 0) return EXIT_USAGE;
            o.max_batch = (size_t)u;
        } else if (!strcmp(f, "--max-header")) {
            if (!(v = cli_value(&a, f)) || cli_parse_size(f, v, &u) != 0) return EXIT_USAGE;
            o.max_header = (size_t)u;
        } else if (!strcmp(f, "--max-connections")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &o.max_connections) != 0) return EXIT_USAGE;
        } else if (!strcmp(f, "--timeout")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &o.timeout_ms) != 0) return EXIT_USAGE;
        } else if (!strcmp(f, "--grace")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &grace_ms) != 0) return EXIT_USAGE;
        } else if (!strcmp(f, "--watch")) {
            o.watch = 1;
        } else if (!strcmp(f, "--watch-interval")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &o.watch_interval_ms) != 0) return EXIT_USAGE;
        } else if (!strcmp(f, "--reload-timeout")) {
            if (!(v = cli_value(&a, f)) || cli_parse_u32(f, v, &o.reload_timeout_ms) != 0) return EXIT_USAGE;
        } else if (!strcmp(f, "--access-log")) {
            if (!(o.access_log = cli_value(&a, f))) return EXIT_USAGE;
        } else if (!strcmp(f, "--quiet")) {
            quiet = 1;
        } else if ((r = cli_index_flag(&a, "serve", f, &o.mf_index)) != 0) {
            if (r < 0) return EXIT_USAGE;
        } else {
            return cli_usage_error("serve", "unknown flag '%s'", f);
        }
    }
    if (!nmodels && !repo) return cli_usage_error("serve", "no model: give -m MODEL, -m NAME=PATH or --repository REPO");
    o.log = log_stderr;
    o.log_user = &quiet;
    if (gn_server_options_check(&o) != GN_OK) return cli_usage_error("serve", "%s", gn_last_error());
    if (o.access_log) { /* the access log is never appended to a model file */
        gn_file_use models[MAX_CLI_MODELS];
        for (size_t i = 0; i < nmodels; i++) {
            char name[GN_SERVE_MAX_NAME];
            const char *path = model_args[i];
            model_arg(model_args[i], name, sizeof name, &path); /* a bad one is refused below */
            models[i] = (gn_file_use){path, "--model"};
        }
        int rc = cli_check_outputs("serve", models, nmodels, &(gn_file_use){o.access_log, "--access-log"}, 1);
        if (rc != EXIT_OK) return rc;
    }

    /* Block the signals we handle before any server thread exists, so every thread inherits the
     * mask and they are delivered only to sigwait below. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Request bodies and batches are short-lived buffers of up to --max-body bytes. By default
     * glibc serves big ones with fresh mmaps, so every request pays page faults on memory it just
     * gave back; keeping them in the heap (and not trimming it eagerly) makes large batches ~2x
     * faster. RSS stays bounded by the peak of concurrent requests. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);

    gn_server *s;
    int st = gn_server_new(&o, &s);
    if (st != GN_OK) return cli_fail("serve", st);
    for (size_t i = 0; i < nmodels; i++) {
        char name[GN_SERVE_MAX_NAME];
        const char *path;
        int rc = model_arg(model_args[i], name, sizeof name, &path);
        if (rc == -2) {
            gn_server_free(s);
            return cli_usage_error("serve",
                                   "-m '%s': bad model name '%.*s': use 1-%u of A-Z a-z 0-9 _ - . (a path "
                                   "with '=' in it must be named: -m NAME=PATH)",
                                   model_args[i], (int)(path - 1 - model_args[i]), model_args[i],
                                   GN_SERVE_MAX_NAME - 1);
        }
        if (rc != 0) {
            gn_server_free(s);
            return cli_usage_error("serve", "-m '%s': expected PATH or NAME=PATH", model_args[i]);
        }
        if ((st = gn_server_add_model(s, name, path)) != GN_OK) {
            gn_server_free(s);
            return cli_fail("serve", st);
        }
    }
    if (repo && (st = gn_server_add_repository(s, repo)) != GN_OK) {
        gn_server_free(s);
        return cli_fail("serve", st);
    }
    if ((st = gn_server_start(s)) != GN_OK) {
        gn_server_free(s);
        return cli_fail("serve", st);
    }
    hup_reloader hup = {s, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    pthread_t hup_thread;
    int hup_running = pthread_create(&hup_thread, NULL, hup_main, &hup) == 0;
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
            log_stderr(GN_LOG_INFO, "SIGHUP: reloading every model", &quiet);
            if (hup_running) hup_signal(&hup, 0);
            else gn_server_reload(s, NULL); /* no thread: reload here */
            continue;
        }
        log_stderr(GN_LOG_INFO, sig == SIGTERM ? "SIGTERM: stopping" : "SIGINT: stopping", &quiet);
        break;
    }
    gn_server_stop(s, grace_ms); /* a SIGHUP reload in progress gives up here */
    if (hup_running) {
        hup_signal(&hup, 1);
        pthread_join(hup_thread, NULL);
    }
    gn_server_free(s);
    return EXIT_OK;
}
