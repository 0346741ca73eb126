/* serve/watch.c: --watch: a thread that looks at each model file's identity (device, inode,
 * size, mtime) and hot-reloads the model when it changes. It looks every watch interval and, on
 * Linux, also as soon as inotify reports a change in a model file's directory (a write, a rename
 * over it: how atomic saves and a repository's `current` pointer are replaced); without inotify
 * (or when a watch cannot be added) polling alone finds the change. A file that fails to load is
 * not retried until it changes again, so a corrupt file is counted once, not once per look.
 * With --repository it also watches the repository directory and serves a model name published
 * after the start (repo_models.c). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "serve/server_internal.h"
#include "util/clock.h"
#include "util/error.h"

/* Reloads every slot whose file changed since it was last seen, then (--repository) serves
 * the model names published since the last look. */
static void scan_slots(gn_server *s, int inotify_fd) {
    gn__server_repo_scan(s, inotify_fd);
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
}

/* An inotify descriptor watching the directory of every model file, or -1 (then: polling). */
static int inotify_open(gn_server *s) {
#ifdef __linux__
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return -1;
    int watched = 0;
    for (size_t i = 0; i < s->nslots; i++) {
        char dir[4096];
        const char *path = s->slots[i].path, *slash = strrchr(path, '/');
        if (slash) snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
        else snprintf(dir, sizeof dir, ".");
        if (inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB) >= 0)
            watched++;
    }
    /* the repository itself: a model name published after the start (repo_models.c) */
    if (s->repo && inotify_add_watch(fd, s->repo, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) >= 0) watched++;
    if (!watched) {
        close(fd);
        return -1;
    }
    return fd;
#else
    (void)s;
    return -1;
#endif
}

/* Waits up to ms for inotify events; 1 when some came (all read), else 0. */
static int inotify_wait(int fd, int ms) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0 || !(p.revents & POLLIN)) return 0;
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    return 1;
}

/* With watch_mu held: sleeps on watch_cv until gn__now() reaches until or the watcher is told
 * to stop. */
static void sleep_until(gn_server *s, double until_s) {
    double left = until_s - gn__now();
    if (left <= 0) return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    time_t sec = (time_t)left;
    until.tv_sec += sec;
    until.tv_nsec += (long)((left - (double)sec) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!s->watch_stop)
        if (pthread_cond_timedwait(&s->watch_cv, &s->watch_mu, &until) == ETIMEDOUT) break;
}

/* How long one inotify wait lasts at most: how soon the watcher sees that it must stop. */
#define INOTIFY_SLICE_MS 100

static void *watch_main(void *arg) {
    gn_server *s = arg;
    int ifd = inotify_open(s);
    double interval = s->opt.watch_interval_ms / 1000.0;
    double next_scan = gn__now() + interval;
    pthread_mutex_lock(&s->watch_mu);
    while (!s->watch_stop) {
        int event = 0;
        if (ifd >= 0) {
            double left_ms = (next_scan - gn__now()) * 1000.0;
            int ms = left_ms < 0 ? 0 : left_ms > INOTIFY_SLICE_MS ? INOTIFY_SLICE_MS : (int)left_ms + 1;
            pthread_mutex_unlock(&s->watch_mu);
            event = inotify_wait(ifd, ms);
            pthread_mutex_lock(&s->watch_mu);
        } else {
            sleep_until(s, next_scan);
        }
        if (s->watch_stop) break;
        if (!event && gn__now() < next_scan) continue;
        next_scan = gn__now() + interval;
        pthread_mutex_unlock(&s->watch_mu);
        scan_slots(s, ifd);
        pthread_mutex_lock(&s->watch_mu);
    }
    pthread_mutex_unlock(&s->watch_mu);
    if (ifd >= 0) close(ifd);
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
