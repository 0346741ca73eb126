/* serve/access_log.c: JSON-lines access log (see access_log.h). */
#include "serve/access_log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serve/strbuf.h"

void gn__access_log_write(gn_server *s, const gn__access_entry *e) {
    if (!s->access_log) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    size_t wl = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + wl, sizeof when - wl, ".%03dZ", (int)(ts.tv_nsec / 1000000L % 1000));
    gn__strbuf b;
    gn__sb_init(&b);
    gn__sb_printf(&b, "{\"time\":\"%s\",\"remote\":", when);
    gn__sb_json_string(&b, e->remote);
    gn__sb_puts(&b, ",\"method\":");
    gn__sb_json_string(&b, e->method);
    gn__sb_puts(&b, ",\"path\":");
    gn__sb_json_string(&b, e->path);
    gn__sb_puts(&b, ",\"model\":");
    gn__sb_json_string(&b, e->model);
    gn__sb_printf(&b, ",\"status\":%d,\"bytes_in\":%zu,\"bytes_out\":%zu,\"instances\":%zu,\"ms\":%.3f}\n",
                  e->status, e->bytes_in, e->bytes_out, e->instances, e->seconds * 1e3);
    if (!gn__sb_failed(&b)) {
        pthread_mutex_lock(&s->log_mu);
        errno = 0;
        int ok = fwrite(b.p, 1, b.len, s->access_log) == b.len;
        ok = fflush(s->access_log) == 0 && ok;
        int err = errno;
        if (!ok) {
            /* Requests are still answered; the loss is reported once when it starts, counted in
             * /metrics, and reported again when writes succeed (a full disk that was cleared). */
            clearerr(s->access_log);
            atomic_fetch_add_explicit(&s->stats.access_log_errors, 1, memory_order_relaxed);
            s->access_log_lost++;
            if (!s->access_log_failing)
                gn__server_log(s, GN_LOG_ERROR,
                               "access log %s: write failed (%s); requests are still answered, their log "
                               "lines are lost until writes succeed (gannet_access_log_write_errors_total)",
                               s->access_log_path, err ? strerror(err) : "short write");
            s->access_log_failing = 1;
        } else if (s->access_log_failing) {
            gn__server_log(s, GN_LOG_WARN, "access log %s: writes succeed again, %llu line(s) were lost",
                           s->access_log_path, (unsigned long long)s->access_log_lost);
            s->access_log_failing = 0;
            s->access_log_lost = 0;
        }
        pthread_mutex_unlock(&s->log_mu);
    }
    gn__sb_free(&b);
}
