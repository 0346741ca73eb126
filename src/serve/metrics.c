/* serve/metrics.c: counter updates and the Prometheus text rendering (see metrics.h). Metric
 * names follow Prometheus conventions: *_total counters, *_seconds units, base units only. */
#include "serve/metrics.h"

const int gn__metric_codes[GN__NCODES - 1] = {200, 400, 404, 405, 408, 413, 415, 431, 500, 503};

const double gn__metric_buckets[GN__NBUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};

size_t gn__metric_code_index(int http_status) {
    for (size_t i = 0; i < GN__NCODES - 1; i++)
        if (gn__metric_codes[i] == http_status) return i;
    return GN__NCODES - 1;
}

static const char *code_label(size_t i, char buf[16]) {
    if (i == GN__NCODES - 1) return "other";
    int n = gn__metric_codes[i];
    buf[0] = (char)('0' + n / 100);
    buf[1] = (char)('0' + n / 10 % 10);
    buf[2] = (char)('0' + n % 10);
    buf[3] = '\0';
    return buf;
}

void gn__latency_observe(gn__latency_hist *h, double seconds) {
    size_t i = 0;
    while (i < GN__NBUCKETS && seconds > gn__metric_buckets[i]) i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    double ns = seconds * 1e9;
    atomic_fetch_add_explicit(&h->sum_ns, ns > 0 ? (uint_fast64_t)ns : 0, memory_order_relaxed);
}

static uint64_t ld(const atomic_uint_fast64_t *a) {
    return (uint64_t)atomic_load_explicit((atomic_uint_fast64_t *)a, memory_order_relaxed);
}

void gn__metrics_render(gn__strbuf *o, const gn__server_stats *s, const gn__model_view *m, size_t n) {
    char cb[16];
    gn__sb_puts(o, "# HELP gannet_http_requests_total HTTP requests answered, by status code.\n"
                   "# TYPE gannet_http_requests_total counter\n");
    for (size_t i = 0; i < GN__NCODES; i++)
        gn__sb_printf(o, "gannet_http_requests_total{code=\"%s\"} %llu\n", code_label(i, cb),
                      (unsigned long long)ld(&s->requests[i]));
    gn__sb_printf(o, "# HELP gannet_http_requests_in_flight Requests being processed now.\n"
                     "# TYPE gannet_http_requests_in_flight gauge\n"
                     "gannet_http_requests_in_flight %lld\n",
                  (long long)atomic_load_explicit((atomic_int_fast64_t *)&s->in_flight, memory_order_relaxed));

    gn__sb_printf(o, "# HELP gannet_access_log_write_errors_total Access-log lines lost to failed writes.\n"
                     "# TYPE gannet_access_log_write_errors_total counter\n"
                     "gannet_access_log_write_errors_total %llu\n",
                  (unsigned long long)ld(&s->access_log_errors));

    gn__sb_puts(o, "# HELP gannet_predict_requests_total Predict requests, by model and status code.\n"
                   "# TYPE gannet_predict_requests_total counter\n");
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < GN__NCODES; i++) {
            uint64_t v = ld(&m[k].stats->requests[i]);
            if (v || i == 0)
                gn__sb_printf(o, "gannet_predict_requests_total{model=\"%s\",code=\"%s\"} %llu\n", m[k].name,
                              code_label(i, cb), (unsigned long long)v);
        }
    gn__sb_puts(o, "# HELP gannet_predictions_total Instances predicted, by model.\n"
                   "# TYPE gannet_predictions_total counter\n");
    for (size_t k = 0; k < n; k++)
        gn__sb_printf(o, "gannet_predictions_total{model=\"%s\"} %llu\n", m[k].name,
                      (unsigned long long)ld(&m[k].stats->predictions));

    gn__sb_puts(o, "# HELP gannet_predict_duration_seconds Predict request latency, by model.\n"
                   "# TYPE gannet_predict_duration_seconds histogram\n");
    for (size_t k = 0; k < n; k++) {
        const gn__latency_hist *h = &m[k].stats->latency;
        uint64_t cum = 0;
        for (size_t i = 0; i < GN__NBUCKETS; i++) {
            cum += ld(&h->bucket[i]);
            gn__sb_printf(o, "gannet_predict_duration_seconds_bucket{model=\"%s\",le=\"%g\"} %llu\n", m[k].name,
                          gn__metric_buckets[i], (unsigned long long)cum);
        }
        cum += ld(&h->bucket[GN__NBUCKETS]);
        gn__sb_printf(o, "gannet_predict_duration_seconds_bucket{model=\"%s\",le=\"+Inf\"} %llu\n", m[k].name,
                      (unsigned long long)cum);
        gn__sb_printf(o, "gannet_predict_duration_seconds_sum{model=\"%s\"} %.9f\n", m[k].name,
                      (double)ld(&h->sum_ns) * 1e-9);
        gn__sb_printf(o, "gannet_predict_duration_seconds_count{model=\"%s\"} %llu\n", m[k].name,
                      (unsigned long long)cum);
    }

    gn__sb_puts(o, "# HELP gannet_model_info The model version being served (value 1).\n"
                   "# TYPE gannet_model_info gauge\n");
    for (size_t k = 0; k < n; k++)
        gn__sb_printf(o, "gannet_model_info{model=\"%s\",version=\"%s\"} 1\n", m[k].name, m[k].version);
    gn__sb_puts(o, "# HELP gannet_model_loaded_timestamp_seconds When the model being served was loaded.\n"
                   "# TYPE gannet_model_loaded_timestamp_seconds gauge\n");
    for (size_t k = 0; k < n; k++)
        gn__sb_printf(o, "gannet_model_loaded_timestamp_seconds{model=\"%s\"} %.3f\n", m[k].name, m[k].loaded_at);
    gn__sb_puts(o, "# HELP gannet_model_load_duration_seconds How long loading the served model took.\n"
                   "# TYPE gannet_model_load_duration_seconds gauge\n");
    for (size_t k = 0; k < n; k++)
        gn__sb_printf(o, "gannet_model_load_duration_seconds{model=\"%s\"} %.6f\n", m[k].name, m[k].load_seconds);
    gn__sb_puts(o, "# HELP gannet_model_nonzero_weights Non-zero weights of the served model.\n"
                   "# TYPE gannet_model_nonzero_weights gauge\n");
    for (size_t k = 0; k < n; k++)
        gn__sb_printf(o, "gannet_model_nonzero_weights{model=\"%s\"} %llu\n", m[k].name,
                      (unsigned long long)m[k].nonzero);
    gn__sb_puts(o, "# HELP gannet_model_reloads_total Model reload attempts, by result.\n"
                   "# TYPE gannet_model_reloads_total counter\n");
    for (size_t k = 0; k < n; k++) {
        gn__sb_printf(o, "gannet_model_reloads_total{model=\"%s\",result=\"success\"} %llu\n", m[k].name,
                      (unsigned long long)ld(&m[k].stats->reload_ok));
        gn__sb_printf(o, "gannet_model_reloads_total{model=\"%s\",result=\"failure\"} %llu\n", m[k].name,
                      (unsigned long long)ld(&m[k].stats->reload_fail));
    }
}
