/* serve/watch.c: --watch: a thread that polls each model file's identity (device, inode, size,
 * mtime) and hot-reloads the model when it changes. A file that fails to load is not retried
 * until it changes again, so a corrupt file is counted once, not once per poll. */
#include <errno.h>
#include <time.h>

#include "serve/server_internal.h"

static void *watch_main(void *arg) {
    gn_server *s = arg;
    pthread_mutex_lock(&s->watch_mu);
    while (!s->watch_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        unsigned ms = s->opt.watch_interval_ms;
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!s->watch_stop) {
            int rc = pthread_cond_timedwait(&s->watch_cv, &s->watch_mu, &until);
            if (rc == ETIMEDOUT) break;
        }
        if (s->watch_stop) break;
        pthread_mutex_unlock(&s->watch_mu);
        for (size_t i = 0; i < s->nslots; i++) {
            gn__slot *slot = &s->slots[i];
            gn__file_id now;
            gn__file_identify(slot->path, &now);
            pthread_mutex_lock(&slot->mu);
            int changed = now.exists && !gn__file_id_equal(&now, &slot->seen);
            pthread_mutex_unlock(&slot->mu);
            if (changed) {
                gn__server_log(s, GN_LOG_INFO, "model '%s': %s changed, reloading", slot->name, slot->path);
                gn__server_reload_slot(s, i, &now);
            }
        }
        pthread_mutex_lock(&s->watch_mu);
    }
    pthread_mutex_unlock(&s->watch_mu);
    return NULL;
}

int gn__watch_start(gn_server *s) {
    s->watch_stop = 0;
    if (pthread_create(&s->watch_thread, NULL, watch_main, s) != 0)
        return gn__fail(GN_EIO, "cannot start the watch thread");
    s->watch_running = 1;
    return GN_OK;
}

void gn__watch_stop(gn_server *s) {
    if (!s->watch_running) return;
    pthread_mutex_lock(&s->watch_mu);
    s->watch_stop = 1;
    pthread_cond_signal(&s->watch_cv);
    pthread_mutex_unlock(&s->watch_mu);
    pthread_join(s->watch_thread, NULL);
    s->watch_running = 0;
}
