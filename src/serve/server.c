/* serve/server.c: the HTTP side of gn_server: libmicrohttpd setup (epoll thread pool, limits,
 * timeouts), request routing, body collection with a size cap, JSON responses, metrics and
 * access-log bookkeeping per request, reload, and graceful stop. Prediction itself is in
 * predict_req.c, model slots in registry.c, the file watcher in watch.c. */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"
#include "serve/access_log.h"
#include "serve/predict_req.h"
#include "serve/recommend_req.h"
#include "serve/server_internal.h"
#include "serve/strbuf.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/error.h"
#include "util/json_safe.h"
#include "util/utf8.h"

#define MAX_LOGGED_PATH 512

typedef enum route_kind {
    ROUTE_NONE = 0,
    ROUTE_HEALTH,
    ROUTE_READY,
    ROUTE_METRICS,
    ROUTE_LIST,
    ROUTE_MODEL,
    ROUTE_PREDICT,
    ROUTE_RELOAD,
    ROUTE_RECOMMEND
} route_kind;

/* Per-request state, created on the first handler call and freed in on_completed. */
typedef struct request {
    double t0;
    route_kind route;
    int slot;              /* model slot, -1 if none */
    int status;            /* HTTP status queued, 0 if none yet */
    gn__body_kind body_kind;
    int too_large;         /* body went past max_body: drained, answered 413 at the end */
    char *body;
    size_t len, cap, received;
    size_t instances, bytes_out;
    char method[16];
    char path[MAX_LOGGED_PATH];
    char model_version[24]; /* X-Gannet-Model-Version of a prediction ("" for none) */
} request;

void gn__server_log(gn_server *s, gn_log_level level, const char *fmt, ...) {
    if (!s->opt.log) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->opt.log(level, msg, s->opt.log_user);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap) {
    gn_server *s = cls;
    if (!s->opt.log) return;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
    s->opt.log(GN_LOG_WARN, msg, s->opt.log_user);
}

/* ---- responses ---- */

/* Queues body (malloc'ed; ownership passes to MHD) with the given status. */
static void respond(struct MHD_Connection *c, request *r, int status, const char *ctype, char *body, size_t len,
                    const char *allow) {
    if (r->status) { free(body); return; }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) { free(body); return; }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (r->model_version[0]) MHD_add_response_header(resp, "X-Gannet-Model-Version", r->model_version);
    if (MHD_queue_response(c, (unsigned)status, resp) == MHD_YES) {
        r->status = status;
        r->bytes_out = len;
    }
    MHD_destroy_response(resp);
}

static void respond_sb(struct MHD_Connection *c, request *r, int status, const char *ctype, gn__strbuf *b) {
    size_t len;
    char *p = gn__sb_take(b, &len);
    if (!p) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        p = malloc(sizeof oom);
        if (!p) return;
        memcpy(p, oom, sizeof oom);
        len = sizeof oom - 1;
        status = 500;
        ctype = "application/json";
    }
    respond(c, r, status, ctype, p, len, NULL);
}

static void respond_error_allow(struct MHD_Connection *c, request *r, int status, const char *allow,
                                const char *fmt, ...) GN_PRINTF(5, 6);
static void respond_error_allow(struct MHD_Connection *c, request *r, int status, const char *allow,
                                const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gn__strbuf b;
    gn__sb_init(&b);
    gn__sb_puts(&b, "{\"error\":");
    gn__sb_json_string(&b, msg);
    gn__sb_printf(&b, ",\"status\":%d}\n", status);
    size_t len;
    char *p = gn__sb_take(&b, &len);
    if (p) respond(c, r, status, "application/json", p, len, allow);
}
#define respond_error(c, r, status, ...) respond_error_allow(c, r, status, NULL, __VA_ARGS__)

static void respond_json(struct MHD_Connection *c, request *r, int status, json_t *obj) {
    char *text = obj ? gn__json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!text) {
        respond_error(c, r, 500, "out of memory");
        return;
    }
    size_t n = strlen(text);
    /* room for the newline */
    char *p = malloc(n + 2);
    if (p) {
        memcpy(p, text, n);
        p[n] = '\n';
        p[n + 1] = '\0';
    }
    free(text);
    if (!p) { respond_error(c, r, 500, "out of memory"); return; }
    respond(c, r, status, "application/json", p, n + 1, NULL);
}

/* ---- handlers ---- */

static void iso_time(double t, char out[32]) {
    time_t sec = (time_t)t;
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *model_json(gn__slot *slot) {
    gn__served *v = gn__slot_acquire(slot);
    char when[32];
    iso_time(v->loaded_at, when);
    json_t *meta = json_loads(gn_model_metadata_json(v->model), 0, NULL);
    /* a path is whatever bytes the file system allows; JSON strings must be UTF-8 */
    char *path = gn__utf8_sanitize(slot->path);
    json_t *o = path ? json_pack("{s:s, s:s, s:s, s:s, s:f, s:o?}", "name", slot->name, "version",
                                 gn_model_version(v->model), "path", path, "loaded_at", when, "load_seconds",
                                 v->load_seconds, "metadata", meta)
                     : (json_decref(meta), NULL);
    free(path);
    gn_mf_index_info ix;
    if (o && gn_model_get_kind(v->model) == GN_KIND_MF && gn_model_mf_index_info(v->model, &ix) == GN_OK &&
        !gn__json_set(o, "index",
                      json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:I, s:f}", "kind",
                                ix.kind == GN_MF_INDEX_IVF ? "ivf" : ix.kind == GN_MF_INDEX_HNSW ? "hnsw" : "exact", "lists",
                                (int)ix.nlists, "nprobe", (int)ix.nprobe, "m", (int)ix.hnsw_m, "ef_construction",
                                (int)ix.ef_construction, "ef_search", (int)ix.ef_search, "bytes", (json_int_t)ix.bytes,
                                "build_seconds", ix.build_seconds))) {
        json_decref(o);
        o = NULL;
    }
    if (o && slot->repo) { /* served from a repository: which version, from which file */
        char *file = gn__utf8_sanitize(v->file);
        if (!file || !gn__json_set(o, "repository_version", json_integer(v->repo_version)) ||
            !gn__json_set(o, "file", json_string(file))) {
            json_decref(o);
            o = NULL;
        }
        free(file);
    }
    gn__served_release(v);
    return o;
}

static void handle_list(gn_server *s, struct MHD_Connection *c, request *r) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < s->nslots; i++) {
        json_t *m = model_json(&s->slots[i]);
        if (!m || json_array_append_new(arr, m) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    respond_json(c, r, 200, arr ? json_pack("{s:o}", "models", arr) : NULL);
}

static void handle_metrics(gn_server *s, struct MHD_Connection *c, request *r) {
    gn__served *cur[GN_SERVE_MAX_MODELS];
    gn__model_view views[GN_SERVE_MAX_MODELS];
    for (size_t i = 0; i < s->nslots; i++) {
        cur[i] = gn__slot_acquire(&s->slots[i]);
        views[i].name = s->slots[i].name;
        views[i].version = gn_model_version(cur[i]->model);
        views[i].loaded_at = cur[i]->loaded_at;
        views[i].load_seconds = cur[i]->load_seconds;
        views[i].nonzero = gn_model_nonzero(cur[i]->model);
        views[i].stats = &s->slots[i].stats;
    }
    gn__strbuf b;
    gn__sb_init(&b);
    gn__metrics_render(&b, &s->stats, views, s->nslots);
    for (size_t i = 0; i < s->nslots; i++) gn__served_release(cur[i]);
    respond_sb(c, r, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
}

/* Ends a model answer begun in b: on status 200, the "model" object (name, version, repository
 * version) closes the JSON and it is sent with n instances counted; otherwise the error `why`.
 * Releases v and b either way. */
static void finish_model_answer(struct MHD_Connection *c, request *r, gn__slot *slot, gn__served *v,
                                gn__strbuf *b, int status, size_t n, const char *why) {
    if (status == 200) {
        gn__sb_printf(b, "\"model\":{\"name\":\"%s\",\"version\":\"%s\"", slot->name, gn_model_version(v->model));
        if (slot->repo) gn__sb_printf(b, ",\"repository_version\":%u", v->repo_version);
        gn__sb_puts(b, "}}\n");
        if (slot->repo) snprintf(r->model_version, sizeof r->model_version, "%u", v->repo_version);
        else snprintf(r->model_version, sizeof r->model_version, "%s", gn_model_version(v->model));
        gn__served_release(v);
        r->instances = n;
        respond_sb(c, r, 200, "application/json", b);
        return;
    }
    gn__served_release(v);
    gn__sb_free(b);
    respond_error(c, r, status, "%s", why);
}

static void handle_predict(gn_server *s, struct MHD_Connection *c, request *r) {
    gn__slot *slot = &s->slots[r->slot];
    gn__served *v = gn__slot_acquire(slot);
    gn__strbuf b;
    gn__sb_init(&b);
    gn__sb_puts(&b, "{\"predictions\":[");
    char why[1024];
    size_t n = 0;
    int status = gn__predict_body(v->model, r->body_kind, r->body ? r->body : "", r->len, s->opt.max_batch, &b,
                                  &n, why, sizeof why);
    if (status == 200) gn__sb_puts(&b, "],");
    finish_model_answer(c, r, slot, v, &b, status, n, why);
}

/* POST /v1/models/{name}:recommend (serve/recommend_req.h); counted with the model's predictions. */
static void handle_recommend(gn_server *s, struct MHD_Connection *c, request *r) {
    gn__slot *slot = &s->slots[r->slot];
    gn__served *v = gn__slot_acquire(slot);
    gn__strbuf b;
    gn__sb_init(&b);
    gn__sb_puts(&b, "{");
    char why[1024];
    size_t n = 0;
    int status = gn__recommend_body(v->model, r->body ? r->body : "", r->len, s->opt.max_batch, &b, &n, why, sizeof why);
    if (status == 200) gn__sb_puts(&b, ",");
    finish_model_answer(c, r, slot, v, &b, status, n, why);
}

static void handle_reload(gn_server *s, struct MHD_Connection *c, request *r) {
    gn__slot *slot = &s->slots[r->slot];
    int st = gn__server_reload_slot(s, (size_t)r->slot, NULL);
    gn__served *v = gn__slot_acquire(slot);
    if (st == GN_OK) {
        respond_json(c, r, 200,
                     json_pack("{s:b, s:{s:s, s:s}}", "reloaded", 1, "model", "name", slot->name, "version",
                               gn_model_version(v->model)));
    } else {
        respond_error(c, r, 500, "reload of '%s' failed: %s; still serving version %s", slot->name, gn_last_error(),
                      gn_model_version(v->model));
    }
    gn__served_release(v);
}

/* ---- routing ---- */

static int find_slot(gn_server *s, const char *name, size_t len) {
    for (size_t i = 0; i < s->nslots; i++)
        if (strlen(s->slots[i].name) == len && memcmp(s->slots[i].name, name, len) == 0) return (int)i;
    return -1;
}

/* 1 if the Content-Type value ct names media type mt (parameters such as charset ignored). */
static int media_type_is(const char *ct, const char *mt) {
    while (*ct == ' ' || *ct == '\t') ct++;
    size_t n = strlen(mt);
    if (strncasecmp(ct, mt, n) != 0) return 0;
    char c = ct[n];
    return c == '\0' || c == ';' || c == ' ' || c == '\t';
}

static int is_get(const char *m) { return !strcmp(m, MHD_HTTP_METHOD_GET) || !strcmp(m, MHD_HTTP_METHOD_HEAD); }

/* Decides the route; answers at once (and returns 1) when the request is already complete (GET)
 * or already wrong. Returns 0 when the body must be collected first. */
static int route(gn_server *s, struct MHD_Connection *c, request *r, const char *url, const char *method) {
    static const char prefix[] = "/v1/models/";
    const size_t plen = sizeof prefix - 1;
    route_kind kind = ROUTE_NONE;
    if (!strcmp(url, "/healthz")) kind = ROUTE_HEALTH;
    else if (!strcmp(url, "/readyz")) kind = ROUTE_READY;
    else if (!strcmp(url, "/metrics")) kind = ROUTE_METRICS;
    else if (!strcmp(url, "/v1/models")) kind = ROUTE_LIST;
    else if (!strncmp(url, prefix, plen)) {
        const char *name = url + plen;
        const char *colon = strchr(name, ':');
        size_t nlen = colon ? (size_t)(colon - name) : strlen(name);
        if (!colon) kind = ROUTE_MODEL;
        else if (!strcmp(colon, ":predict")) kind = ROUTE_PREDICT;
        else if (!strcmp(colon, ":reload")) kind = ROUTE_RELOAD;
        else if (!strcmp(colon, ":recommend")) kind = ROUTE_RECOMMEND;
        if (kind != ROUTE_NONE) {
            r->slot = find_slot(s, name, nlen);
            if (r->slot < 0) {
                r->route = kind;
                respond_error(c, r, 404, "model '%.*s' not found", (int)(nlen > 100 ? 100 : nlen), name);
                return 1;
            }
        }
    }
    r->route = kind;
    if (kind == ROUTE_NONE) {
        respond_error(c, r, 404, "no such endpoint; see docs/serving.md");
        return 1;
    }
    if (kind == ROUTE_PREDICT || kind == ROUTE_RELOAD || kind == ROUTE_RECOMMEND) {
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
            respond_error_allow(c, r, 405, "POST", "method %s not allowed here; use POST", r->method);
            return 1;
        }
        if (kind == ROUTE_RECOMMEND) {
            const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
            if (ct && !media_type_is(ct, "application/json")) {
                respond_error(c, r, 415, "content type '%.100s' not supported; use application/json", ct);
                return 1;
            }
        }
        if (kind == ROUTE_PREDICT) {
            const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
            if (!ct || media_type_is(ct, "application/json")) r->body_kind = GN__BODY_JSON;
            else if (media_type_is(ct, "text/plain")) r->body_kind = GN__BODY_TEXT;
            else {
                respond_error(c, r, 415, "content type '%.100s' not supported; use application/json or text/plain",
                              ct);
                return 1;
            }
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            unsigned long long v = strtoull(cl, &end, 10);
            if (end != cl && v > s->opt.max_body) {
                respond_error(c, r, 413, "body of %llu bytes; the limit is %zu (--max-body)", v, s->opt.max_body);
                return 1;
            }
            /* size the buffer once: no reallocation while the body arrives */
            if (end != cl && v > 0 && (r->body = malloc((size_t)v + 1)) != NULL) r->cap = (size_t)v + 1;
        }
        return 0;
    }
    if (!is_get(method)) {
        respond_error_allow(c, r, 405, "GET, HEAD", "method %s not allowed here; use GET", r->method);
        return 1;
    }
    switch (kind) {
    case ROUTE_HEALTH: respond_json(c, r, 200, json_pack("{s:s}", "status", "ok")); break;
    case ROUTE_READY:
        if (atomic_load(&s->stopping)) respond_json(c, r, 503, json_pack("{s:s}", "status", "stopping"));
        else respond_json(c, r, 200, json_pack("{s:s, s:I}", "status", "ready", "models", (json_int_t)s->nslots));
        break;
    case ROUTE_METRICS: handle_metrics(s, c, r); break;
    case ROUTE_LIST: handle_list(s, c, r); break;
    case ROUTE_MODEL: respond_json(c, r, 200, model_json(&s->slots[r->slot])); break;
    default: respond_error(c, r, 500, "unrouted request"); break;
    }
    return 1;
}

static int collect(gn_server *s, request *r, const char *data, size_t n) {
    r->received += n;
    if (r->too_large) return 0;
    if (r->len + n > s->opt.max_body) {
        r->too_large = 1;
        free(r->body);
        r->body = NULL;
        r->len = r->cap = 0;
        return 0;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1) cap *= 2;
        char *p = realloc(r->body, cap);
        if (!p) return -1;
        r->body = p;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return 0;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* libmicrohttpd's unescaper, except for %00: decodes %HH in the path and the query, but leaves
 * "%00" as it is. Decoded, a NUL would end the path for every C string comparison, so
 * ":reload%00x" was routed as ":reload"; kept, such a path matches no route (404). */
static size_t unescape_url(void *cls, struct MHD_Connection *c, char *s) {
    (void)cls;
    (void)c;
    char *w = s;
    for (const char *r = s; *r;) {
        int hi, lo;
        if (r[0] == '%' && (hi = hex_digit(r[1])) >= 0 && (lo = hex_digit(r[2])) >= 0 && (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    gn_server *s = cls;
    request *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        r->t0 = gn__now();
        r->slot = -1;
        snprintf(r->method, sizeof r->method, "%s", method);
        snprintf(r->path, sizeof r->path, "%s", url);
        *con_cls = r;
        atomic_fetch_add_explicit(&s->stats.in_flight, 1, memory_order_relaxed);
        route(s, c, r, url, method);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->status) return MHD_YES; /* already answered: drain */
        if (collect(s, r, upload, n) != 0) respond_error(c, r, 500, "out of memory");
        return MHD_YES;
    }
    if (r->status) return MHD_YES;
    if (r->too_large) {
        respond_error(c, r, 413, "body larger than %zu bytes (--max-body)", s->opt.max_body);
    } else if (r->route == ROUTE_PREDICT) {
        handle_predict(s, c, r);
    } else if (r->route == ROUTE_RELOAD) {
        handle_reload(s, c, r);
    } else if (r->route == ROUTE_RECOMMEND) {
        handle_recommend(s, c, r);
    }
    if (!r->status) return MHD_NO; /* could not queue anything: close the connection */
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    gn_server *s = cls;
    request *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    double dt = gn__now() - r->t0;
    if (r->status) {
        size_t ci = gn__metric_code_index(r->status);
        atomic_fetch_add_explicit(&s->stats.requests[ci], 1, memory_order_relaxed);
        if ((r->route == ROUTE_PREDICT || r->route == ROUTE_RECOMMEND) && r->slot >= 0) {
            gn__model_stats *ms = &s->slots[r->slot].stats;
            atomic_fetch_add_explicit(&ms->requests[ci], 1, memory_order_relaxed);
            if (r->status == 200) atomic_fetch_add_explicit(&ms->predictions, r->instances, memory_order_relaxed);
            gn__latency_observe(&ms->latency, dt);
        }
    }
    if (s->access_log) {
        char remote[INET6_ADDRSTRLEN] = "";
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
            const struct sockaddr *sa = ci->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, remote, sizeof remote);
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, remote,
                          sizeof remote);
        }
        gn__access_entry e = {remote, r->method, r->path, r->slot >= 0 ? s->slots[r->slot].name : "",
                              toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->status : 0,
                              r->received, r->bytes_out, r->instances, dt};
        gn__access_log_write(s, &e);
    }
    free(r->body);
    free(r);
    atomic_fetch_sub_explicit(&s->stats.in_flight, 1, memory_order_relaxed);
}

/* ---- public API ---- */

void gn_server_options_init(gn_server_options *o) {
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 8080;
    o->threads = 0;
    o->max_body = GN_SERVE_DEFAULT_MAX_BODY;
    o->max_batch = GN_SERVE_DEFAULT_MAX_BATCH;
    o->max_header = 32 * 1024;
    o->max_connections = 1024;
    o->timeout_ms = 30000;
    o->watch_interval_ms = 1000;
    o->reload_timeout_ms = 30000;
    gn_mf_index_options_init(&o->mf_index);
}

gn_status gn_server_options_check(const gn_server_options *o) {
    if (!o->host || !o->host[0]) return gn__fail(GN_EINVAL, "host: must not be empty");
    if (o->port > 65535) return gn__fail(GN_EINVAL, "port %u: must be 0..65535", o->port);
    if (o->threads > 1024) return gn__fail(GN_EINVAL, "threads %u: at most 1024", o->threads);
    if (o->max_body < 1) return gn__fail(GN_EINVAL, "max body: must be at least 1 byte");
    if (o->max_batch < 1) return gn__fail(GN_EINVAL, "max batch: must be at least 1");
    if (o->max_header < 4096 || o->max_header > ((size_t)64 << 20))
        return gn__fail(GN_EINVAL, "max header: must be 4 KiB..64 MiB");
    if (o->max_connections < 1 || o->max_connections > 1000000)
        return gn__fail(GN_EINVAL, "max connections: must be 1..1000000");
    if (o->timeout_ms < 1 || o->timeout_ms > 86400000u)
        return gn__fail(GN_EINVAL, "timeout: must be 1 ms..24 h");
    if (o->watch && (o->watch_interval_ms < 10 || o->watch_interval_ms > 3600000u))
        return gn__fail(GN_EINVAL, "watch interval: must be 10 ms..1 h");
    if (o->reload_timeout_ms < 1 || o->reload_timeout_ms > 86400000u)
        return gn__fail(GN_EINVAL, "reload timeout: must be 1 ms..24 h");
    return GN_OK;
}

gn_status gn_server_new(const gn_server_options *o, gn_server **out) {
    gn__clear_error();
    GN_TRY(gn_server_options_check(o));
    gn_server *s = calloc(1, sizeof *s);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    s->opt = *o;
    s->host = strdup(o->host);
    s->access_log_path = o->access_log ? strdup(o->access_log) : NULL;
    if (!s->host || (o->access_log && !s->access_log_path)) {
        free(s->host);
        free(s->access_log_path);
        free(s);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    s->opt.host = s->host;
    s->opt.access_log = s->access_log_path;
    s->listen_fd = -1;
    atomic_init(&s->stopping, 0);
    pthread_mutex_init(&s->log_mu, NULL);
    pthread_mutex_init(&s->watch_mu, NULL);
    pthread_cond_init(&s->watch_cv, NULL);
    *out = s;
    return GN_OK;
}

gn_status gn_server_add_model(gn_server *s, const char *name, const char *path) {
    return gn__server_add(s, name, path, 0);
}

int gn__server_add(gn_server *s, const char *name, const char *path, int repo) {
    gn__clear_error();
    if (s->started) return gn__fail(GN_EINVAL, "models must be added before the server starts");
    return gn__server_add_slot(s, name, path, repo);
}

/* ", IVF index: L lists, nprobe P, X MiB, built in S s" (or the HNSW line) for a mf model with an
 * index; "" else. */
static const char *index_note(const gn_model *m, char *buf, size_t size) {
    gn_mf_index_info ix;
    buf[0] = '\0';
    if (gn_model_get_kind(m) == GN_KIND_MF && gn_model_mf_index_info(m, &ix) == GN_OK && ix.kind == GN_MF_INDEX_IVF)
        snprintf(buf, size, ", IVF index: %u lists, nprobe %u, %.1f MiB, built in %.2f s", ix.nlists, ix.nprobe,
                 (double)ix.bytes / 1048576.0, ix.build_seconds);
    else if (gn_model_get_kind(m) == GN_KIND_MF && gn_model_mf_index_info(m, &ix) == GN_OK && ix.kind == GN_MF_INDEX_HNSW)
        snprintf(buf, size, ", HNSW index: M %u, ef_construction %u, ef_search %u, %.1f MiB, built in %.2f s", ix.hnsw_m,
                 ix.ef_construction, ix.ef_search, (double)ix.bytes / 1048576.0, ix.build_seconds);
    return buf;
}

int gn__server_add_slot(gn_server *s, const char *name, const char *path, int repo) {
    if (s->nslots >= GN_SERVE_MAX_MODELS) return gn__fail(GN_ELIMIT, "at most %u models", GN_SERVE_MAX_MODELS);
    if (find_slot(s, name, strlen(name)) >= 0) return gn__fail(GN_EINVAL, "model name '%s' given twice", name);
    const size_t n = s->nslots;
    GN_TRY(gn__slot_init_ix(&s->slots[n], name, path, repo, &s->opt.mf_index));
    gn__served *v = s->slots[n].cur;
    char note[160];
    gn__server_log(s, GN_LOG_INFO, "model '%s': loaded %s (version %s, %.3f s%s)", name, v->file,
                   gn_model_version(v->model), v->load_seconds, index_note(v->model, note, sizeof note));
    atomic_store(&s->nslots, n + 1); /* publishes the complete slot to request threads */
    return GN_OK;
}

static double reload_deadline(const gn_server *s) { return gn__now() + s->opt.reload_timeout_ms / 1000.0; }

/* Logs how a reload of slot i ended (st from gn__slot_reload*). */
static void log_reload(gn_server *s, size_t i, int st) {
    gn__slot *slot = &s->slots[i];
    if (st == GN_OK) {
        gn__served *v = gn__slot_acquire(slot);
        char note[160];
        gn__server_log(s, GN_LOG_INFO, "model '%s': reloaded %s (version %s, %.3f s%s)", slot->name, v->file,
                       gn_model_version(v->model), v->load_seconds, index_note(v->model, note, sizeof note));
        gn__served_release(v);
    } else {
        gn__server_log(s, GN_LOG_ERROR, "model '%s': reload rejected, old model keeps serving: %s", slot->name,
                       gn_last_error());
    }
}

int gn__server_reload_slot(gn_server *s, size_t i, const gn__file_id *observed) {
    int st = gn__slot_reload(&s->slots[i], reload_deadline(s), observed);
    log_reload(s, i, st);
    return st;
}

gn_status gn_server_reload(gn_server *s, const char *name) {
    gn__clear_error();
    if (name) {
        int i = find_slot(s, name, strlen(name));
        if (i < 0) return gn__fail(GN_EINVAL, "no model named '%s'", name);
        return gn__server_reload_slot(s, (size_t)i, NULL);
    }
    /* every model at once, under one deadline: n slow files take one timeout, not n */
    double deadline = reload_deadline(s);
    gn__load_job *jobs[GN_SERVE_MAX_MODELS];
    int st[GN_SERVE_MAX_MODELS];
    char msg[1024] = "";
    for (size_t i = 0; i < s->nslots; i++) {
        st[i] = gn__slot_reload_start(&s->slots[i], deadline, NULL, &jobs[i]);
        if (st[i] != GN_OK) log_reload(s, i, st[i]);
    }
    int first = GN_OK;
    for (size_t i = 0; i < s->nslots; i++) {
        if (st[i] == GN_OK) {
            st[i] = gn__slot_reload_wait(&s->slots[i], jobs[i]);
            log_reload(s, i, st[i]);
        }
        if (st[i] != GN_OK && first == GN_OK) {
            first = st[i];
            snprintf(msg, sizeof msg, "%s", gn_last_error());
        }
    }
    if (first != GN_OK) gn__fail(first, "%s", msg);
    return first;
}

static int resolve_host(const char *host, unsigned port, struct sockaddr_storage *ss, int *v6) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res) return gn__fail(GN_EINVAL, "host '%s': not a numeric IPv4/IPv6 address", host);
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    if (*v6) ((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons((uint16_t)port);
    else ((struct sockaddr_in *)(void *)ss)->sin_port = htons((uint16_t)port);
    return GN_OK;
}

gn_status gn_server_start(gn_server *s) {
    gn__clear_error();
    if (s->started) return gn__fail(GN_EINVAL, "server already started");
    if (s->nslots == 0) return gn__fail(GN_EINVAL, "no models to serve");
    struct sockaddr_storage ss;
    int v6 = 0;
    GN_TRY(resolve_host(s->host, s->opt.port, &ss, &v6));
    if (s->access_log_path) {
        s->access_log = fopen(s->access_log_path, "a");
        if (!s->access_log) return gn__fail(GN_EIO, "%s: cannot open the access log for appending", s->access_log_path);
    }
    unsigned threads = gn__threads_or_cores(s->opt.threads);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (v6) flags |= MHD_USE_IPv6;
    unsigned timeout_s = (s->opt.timeout_ms + 999) / 1000;
    s->daemon = MHD_start_daemon(flags, (uint16_t)s->opt.port, NULL, NULL, on_request, s,
                                 MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_THREAD_POOL_SIZE, threads,
                                 MHD_OPTION_CONNECTION_LIMIT, s->opt.max_connections,
                                 MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->opt.max_header,
                                 MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_UNESCAPE_CALLBACK, unescape_url, NULL,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        if (s->access_log) { fclose(s->access_log); s->access_log = NULL; }
        return gn__fail(GN_EIO, "cannot listen on %s port %u (in use, or not permitted)", s->host, s->opt.port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : s->opt.port;
    s->started = 1;
    if (s->opt.watch) {
        int st = gn__watch_start(s);
        if (st != GN_OK) {
            gn_server_stop(s, 0);
            return st;
        }
    }
    gn__server_log(s, GN_LOG_INFO, "serving %zu model(s) on http://%s%s%s:%u/ with %u threads", s->nslots,
                   v6 ? "[" : "", s->host, v6 ? "]" : "", s->port, threads);
    return GN_OK;
}

unsigned gn_server_port(const gn_server *s) { return s->started ? s->port : 0; }

void gn_server_stop(gn_server *s, unsigned grace_ms) {
    if (!s || !s->started || s->stopped) return;
    atomic_store(&s->stopping, 1);
    /* reloads waiting for a load give up now (their requests then finish within the grace) */
    for (size_t i = 0; i < s->nslots; i++) gn__slot_close(&s->slots[i]);
    gn__watch_stop(s);
    for (size_t i = 0; i < s->nslots; i++) gn__slot_close(&s->slots[i]); /* any the watcher added */
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    s->listen_fd = fd == MHD_INVALID_SOCKET ? -1 : (int)fd;
    double deadline = gn__now() + grace_ms / 1000.0;
    while (atomic_load_explicit(&s->stats.in_flight, memory_order_relaxed) > 0 && gn__now() < deadline) {
        struct timespec ts = {0, 2000000L};
        nanosleep(&ts, NULL);
    }
    int64_t left = (int64_t)atomic_load(&s->stats.in_flight);
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    if (s->listen_fd >= 0) close(s->listen_fd);
    s->listen_fd = -1;
    s->stopped = 1;
    if (s->access_log) fflush(s->access_log);
    if (left > 0) gn__server_log(s, GN_LOG_WARN, "stopped with %lld request(s) unfinished after %u ms",
                                 (long long)left, grace_ms);
    else gn__server_log(s, GN_LOG_INFO, "stopped");
}

void gn_server_free(gn_server *s) {
    if (!s) return;
    gn_server_stop(s, 0);
    for (size_t i = 0; i < s->nslots; i++) gn__slot_destroy(&s->slots[i]);
    if (s->access_log) fclose(s->access_log);
    pthread_mutex_destroy(&s->log_mu);
    pthread_mutex_destroy(&s->watch_mu);
    pthread_cond_destroy(&s->watch_cv);
    free(s->host);
    free(s->access_log_path);
    free(s->repo);
    free(s);
}
