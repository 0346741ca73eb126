/* gannet/serve.h: the HTTP prediction server (libmicrohttpd, epoll thread pool). A gn_server
 * holds named models, answers predict/list/health/metrics requests (docs/serving.md), and
 * hot-swaps a model atomically on reload: requests in flight finish on the model they started
 * with, which is freed when the last of them ends. A file that does not load is rejected and
 * counted; the old model keeps serving.
 *
 * Lifecycle: gn_server_options_init -> set fields -> gn_server_new -> gn_server_add_model (once
 * per model, before start) -> gn_server_start -> ... gn_server_reload ... -> gn_server_stop ->
 * gn_server_free. The library never prints; log lines go to options.log (may be NULL).
 * Thread-safety: gn_server_reload, gn_server_port, gn_server_stop may be called from any thread
 * once started; add_model/start/free from one controlling thread. */
#ifndef GANNET_SERVE_H
#define GANNET_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "gannet/recommend.h"

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef struct gn_server gn_server;

#define GN_SERVE_DEFAULT_MAX_BODY ((size_t)16 << 20)
#define GN_SERVE_DEFAULT_MAX_BATCH 100000u
#define GN_SERVE_MAX_MODELS 64u
#define GN_SERVE_MAX_NAME 64u

typedef struct gn_server_options {
    const char *host;            /* address to bind; default "127.0.0.1" (IPv4 or IPv6 literal) */
    unsigned port;               /* TCP port; 0 = any free port (see gn_server_port); default 8080 */
    unsigned threads;            /* worker threads of the epoll pool; 0 = number of cores */
    size_t max_body;             /* largest request body in bytes (413 beyond); default 16 MiB */
    size_t max_batch;            /* most instances/lines per predict request (413 beyond) */
    size_t max_header;           /* per-connection memory for the request line and headers;
                                    default 32 KiB (larger headers get 431) */
    unsigned max_connections;    /* concurrent connections; default 1024 */
    unsigned timeout_ms;         /* idle connection timeout, rounded up to whole seconds;
                                    default 30000 */
    int watch;                   /* 1: poll model files and reload when one changes */
    unsigned watch_interval_ms;  /* polling period for watch; default 1000 */
    const char *access_log;      /* path of a JSON-lines access log (appended); NULL = none */
    gn_log_fn log;               /* server log lines (start, reloads, failures); NULL = none */
    void *log_user;
    unsigned reload_timeout_ms;  /* a reload not done by then fails and the old model keeps
                                    serving; default 30000 */
    gn_mf_index_options mf_index; /* kind mf: the item index each load builds before the model
                                     is served (gannet/recommend.h); default auto */
} gn_server_options;

void gn_server_options_init(gn_server_options *o);
/* GN_OK or GN_EINVAL with the reason in gn_last_error(). */
gn_status gn_server_options_check(const gn_server_options *o);

/* Creates a stopped server (options are copied). */
gn_status gn_server_new(const gn_server_options *o, gn_server **out);
/* Loads the model at path and registers it as name ([A-Za-z0-9_.-], 1..63 chars, unique).
 * Only before gn_server_start. Errors: GN_EINVAL (name), GN_ELIMIT (too many models) or the
 * loader's status with its message. */
gn_status gn_server_add_model(gn_server *s, const char *name, const char *path);
/* Adds every model of a model repository (gannet/repo.h) that has a current version, named as
 * in the repository, and follows each one's `current` pointer: with options.watch, a changed
 * pointer (publish, rollback) is noticed (inotify, else by polling) and the version it names is
 * swapped in as a reload is; gn_server_reload re-reads the pointers too. Responses name the
 * version served (X-Gannet-Model-Version, /v1/models). Only before gn_server_start. GN_EIO when
 * the repository cannot be read, GN_EINVAL when it holds no model with a current version. */
gn_status gn_server_add_repository(gn_server *s, const char *repo);
/* Binds and starts serving (and the watch thread if asked). GN_EIO if the address cannot be
 * bound, GN_EINVAL without models. */
gn_status gn_server_start(gn_server *s);
/* The bound port (useful with port 0); 0 before start. */
unsigned gn_server_port(const gn_server *s);
/* Reloads the named model (NULL: every model, loaded side by side) from its file, within
 * reload_timeout_ms whatever the file is (a FIFO, a huge file, a stalled file system). GN_OK if
 * every reload succeeded; otherwise the status of the first failure (GN_ELIMIT: out of time),
 * with the old model still serving. */
gn_status gn_server_reload(gn_server *s, const char *name);
/* Graceful stop: stops accepting connections, waits up to grace_ms for requests in flight to
 * finish, then closes everything. Idempotent. */
void gn_server_stop(gn_server *s, unsigned grace_ms);
/* Stops if needed and frees everything; NULL is a no-op. */
void gn_server_free(gn_server *s);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
