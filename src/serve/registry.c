/* serve/registry.c: model slots with refcounted hot swap (see registry.h). */
#include "serve/registry.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util/clock.h"
#include "util/error.h"

int gn__model_name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n >= GN_SERVE_MAX_NAME) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.'))
            return 0;
    }
    return 1;
}

void gn__file_identify(const char *path, gn__file_id *out) {
    struct stat st;
    memset(out, 0, sizeof *out);
    if (stat(path, &st) != 0) return;
    out->exists = 1;
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    out->size = st.st_size;
    out->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

int gn__file_id_equal(const gn__file_id *a, const gn__file_id *b) {
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns;
}

static double unix_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Loads path into a new served version with one reference (the slot's). */
static int load_served(const char *path, gn__served **out) {
    double t0 = gn__now();
    gn_model *m;
    GN_TRY(gn_model_load(path, &m));
    gn__served *v = calloc(1, sizeof *v);
    if (!v) {
        gn_model_free(m);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    v->model = m;
    atomic_init(&v->refs, 1);
    v->loaded_at = unix_now();
    v->load_seconds = gn__now() - t0;
    *out = v;
    return GN_OK;
}

int gn__slot_init(gn__slot *s, const char *name, const char *path) {
    memset(s, 0, sizeof *s);
    if (!gn__model_name_ok(name))
        return gn__fail(GN_EINVAL, "model name '%s': use 1-%u of A-Z a-z 0-9 _ - .", name, GN_SERVE_MAX_NAME - 1);
    memcpy(s->name, name, strlen(name) + 1);
    s->path = strdup(path);
    if (!s->path) return gn__fail(GN_ENOMEM, "out of memory");
    gn__file_identify(path, &s->seen);
    int st = load_served(path, &s->cur);
    if (st != GN_OK) {
        free(s->path);
        s->path = NULL;
        return st;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->reload_mu, NULL);
    return GN_OK;
}

void gn__slot_destroy(gn__slot *s) {
    if (!s->path) return;
    gn__served_release(s->cur);
    s->cur = NULL;
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->reload_mu);
    free(s->path);
    s->path = NULL;
}

gn__served *gn__slot_acquire(gn__slot *s) {
    pthread_mutex_lock(&s->mu);
    gn__served *v = s->cur;
    atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->mu);
    return v;
}

void gn__served_release(gn__served *v) {
    if (!v) return;
    /* acq_rel: the thread that frees must see every other holder's reads as finished. */
    if (atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) == 1) {
        gn_model_free(v->model);
        free(v);
    }
}

int gn__slot_reload(gn__slot *s) {
    pthread_mutex_lock(&s->reload_mu);
    gn__file_identify(s->path, &s->seen);
    gn__served *v;
    int st = load_served(s->path, &v);
    if (st != GN_OK) {
        atomic_fetch_add_explicit(&s->stats.reload_fail, 1, memory_order_relaxed);
        pthread_mutex_unlock(&s->reload_mu);
        return st;
    }
    pthread_mutex_lock(&s->mu);
    gn__served *old = s->cur;
    s->cur = v;
    pthread_mutex_unlock(&s->mu);
    gn__served_release(old);
    atomic_fetch_add_explicit(&s->stats.reload_ok, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->reload_mu);
    return GN_OK;
}
