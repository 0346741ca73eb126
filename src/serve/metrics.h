/* serve/metrics.h: the server's Prometheus counters (lock-free atomics, updated by the request
 * threads) and their rendering in the Prometheus text exposition format (version 0.0.4). */
#ifndef GN_SERVE_METRICS_H
#define GN_SERVE_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/strbuf.h"

/* HTTP statuses the server answers with, one counter each (anything else counts as "other"). */
enum { GN__NCODES = 11 };
extern const int gn__metric_codes[GN__NCODES - 1];
size_t gn__metric_code_index(int http_status);

/* Latency histogram buckets, in seconds (plus +Inf). */
enum { GN__NBUCKETS = 16 };
extern const double gn__metric_buckets[GN__NBUCKETS];

typedef struct gn__latency_hist {
    atomic_uint_fast64_t bucket[GN__NBUCKETS + 1]; /* non-cumulative; last is +Inf */
    atomic_uint_fast64_t sum_ns;
} gn__latency_hist;

void gn__latency_observe(gn__latency_hist *h, double seconds);

/* Per-model counters; zero-initialised. */
typedef struct gn__model_stats {
    atomic_uint_fast64_t requests[GN__NCODES]; /* predict requests by status */
    atomic_uint_fast64_t predictions;          /* instances predicted (200s only) */
    atomic_uint_fast64_t reload_ok, reload_fail;
    gn__latency_hist latency;                   /* predict requests, all statuses */
} gn__model_stats;

/* Server-wide counters. */
typedef struct gn__server_stats {
    atomic_uint_fast64_t requests[GN__NCODES]; /* every request by status */
    atomic_int_fast64_t in_flight;
    atomic_uint_fast64_t access_log_errors;    /* access-log lines that could not be written */
} gn__server_stats;

/* What the renderer needs to know about one model at scrape time. */
typedef struct gn__model_view {
    const char *name;
    const char *version;
    double loaded_at;     /* unix seconds */
    double load_seconds;  /* how long the current model took to load */
    uint64_t nonzero;
    const gn__model_stats *stats;
} gn__model_view;

void gn__metrics_render(gn__strbuf *out, const gn__server_stats *s, const gn__model_view *models, size_t n);

#endif
