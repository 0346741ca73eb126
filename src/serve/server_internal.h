/* serve/server_internal.h: the gn_server struct, shared by the HTTP glue (server.c), the file
 * watcher (watch.c) and the access log (access_log.c). */
#ifndef GN_SERVE_SERVER_INTERNAL_H
#define GN_SERVE_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "gannet/serve.h"
#include "serve/metrics.h"
#include "serve/registry.h"

struct MHD_Daemon;

struct gn_server {
    gn_server_options opt;
    char *host;                 /* owned copies of option strings */
    char *access_log_path;
    gn__slot slots[GN_SERVE_MAX_MODELS];
    /* Slots [0, nslots) are complete. Before the start only the caller adds; after it only the
     * watcher does (a repository model published later, repo_models.c), filling slots[nslots]
     * first and then storing nslots, so request threads never see a half-made slot. */
    atomic_size_t nslots;
    char *repo;                 /* --repository REPO (owned) or NULL */
    int repo_full_logged;       /* watcher only: "too many models" was logged */
    gn__server_stats stats;
    struct MHD_Daemon *daemon;
    int listen_fd;              /* returned by MHD_quiesce_daemon; -1 otherwise */
    unsigned port;
    atomic_int stopping;        /* readyz answers 503 once set */
    int started, stopped;
    FILE *access_log;
    pthread_mutex_t log_mu;     /* serialises access-log lines */
    int access_log_failing;     /* guarded by log_mu: the last write failed (reported once) */
    uint64_t access_log_lost;   /* guarded by log_mu: lines lost since writes started failing */
    /* watch thread */
    pthread_t watch_thread;
    int watch_running;
    pthread_mutex_t watch_mu;
    pthread_cond_t watch_cv;
    int watch_stop;             /* guarded by watch_mu */
};

/* Logs through opt.log (no-op when unset). */
void gn__server_log(gn_server *s, gn_log_level level, const char *fmt, ...) GN_PRINTF(3, 4);
/* Reloads slot i within the reload timeout, logging the result; observed as gn__slot_reload. */
int gn__server_reload_slot(gn_server *s, size_t i, const gn__file_id *observed);
/* gn_server_add_model; repo 1: path is a repository model's `current` pointer (registry.h). */
int gn__server_add(gn_server *s, const char *name, const char *path, int repo);
/* Adds a slot for name whether or not the server has started (the watcher, repo_models.c). */
int gn__server_add_slot(gn_server *s, const char *name, const char *path, int repo);
/* Watcher: serves each model of s->repo that has a current version and no slot yet (up to
 * GN_SERVE_MAX_MODELS: more are logged once and skipped). inotify_fd >= 0: also watches each
 * new model's directory, and that of a name with no current pointer yet. */
void gn__server_repo_scan(gn_server *s, int inotify_fd);
/* Watch thread start/stop (watch.c). */
int gn__watch_start(gn_server *s);
void gn__watch_stop(gn_server *s);

#endif
