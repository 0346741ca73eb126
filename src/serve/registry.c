/* serve/registry.c: model slots with refcounted hot swap and reloads with a deadline (see
 * registry.h). */
#include "serve/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "model/model.h"
#include "repo/repo_internal.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/names.h"

int gn__model_name_ok(const char *name) { return gn__name_chars_ok(name, GN_SERVE_MAX_NAME); }

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

/* Loads path into a new served version with one reference (the slot's). repo: path is a
 * repository's `current` pointer, and the version it names is loaded. A model of kind mf gets
 * its item index (ix) here, before anyone can see it: model and index are swapped in together. */
static int load_served(const char *path, int repo, const gn_mf_index_options *ix, double deadline,
                       const atomic_int *cancel, gn__served **out) {
    double t0 = gn__now();
    char file[4096];
    uint32_t version = 0;
    if (repo) GN_TRY(gn__repo_resolve_pointer(path, file, sizeof file, &version));
    else if (snprintf(file, sizeof file, "%s", path) >= (int)sizeof file)
        return gn__fail(GN_ELIMIT, "model path too long");
    gn_model *m;
    GN_TRY(gn__model_load_limited(file, deadline, cancel, &m));
    int st = gn_model_get_kind(m) == GN_KIND_MF ? gn_model_mf_build_index(m, ix) : GN_OK;
    if (st != GN_OK) {
        gn_model_free(m);
        return st;
    }
    gn__served *v = calloc(1, sizeof *v);
    if (!v || !(v->file = strdup(file))) {
        free(v);
        gn_model_free(m);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    v->repo_version = version;
    v->model = m;
    atomic_init(&v->refs, 1);
    v->loaded_at = unix_now();
    v->load_seconds = gn__now() - t0;
    *out = v;
    return GN_OK;
}

/* ---- load jobs ---- */

/* One reload's load. Referenced by its thread, by the reload that started it (until it has the
 * result or gives up), by the slot (as s->job, until the next load starts) and briefly by a
 * reload waiting for it to finish. The thread touches nothing but the job. */
struct gn__load_job {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* CLOCK_MONOTONIC; broadcast when done/finished change and on close */
    atomic_uint refs;
    atomic_int cancel;      /* makes the loader give up at its next read */
    char *path;             /* owned copy */
    double deadline;        /* gn__now() seconds */
    int identify;           /* 1: the thread records the file identity in seen before loading */
    int repo;               /* the slot's repo flag */
    gn_mf_index_options ix; /* the slot's item index options */
    /* written by the thread before it sets done, read by others only after */
    gn__file_id seen;
    gn__served *result;     /* the loaded model until it is swapped in (or freed with the job) */
    int status;
    char msg[1024];
    /* guarded by mu */
    int done;               /* the loader has returned */
    int abandoned;          /* the reload that started it stopped waiting: nobody wants the result */
    int finished;           /* the result was swapped in or dropped: the next load may start */
};

static void job_release(gn__load_job *j) {
    if (!j || atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) != 1) return;
    gn__served_release(j->result);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    free(j->path);
    free(j);
}

static gn__load_job *job_new(const char *path, double deadline, int identify) {
    gn__load_job *j = calloc(1, sizeof *j);
    if (!j || !(j->path = strdup(path))) {
        free(j);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int bad = pthread_cond_init(&j->cv, &ca) != 0;
    pthread_condattr_destroy(&ca);
    if (bad || pthread_mutex_init(&j->mu, NULL) != 0) {
        if (!bad) pthread_cond_destroy(&j->cv);
        free(j->path);
        free(j);
        return NULL;
    }
    atomic_init(&j->refs, 1);
    atomic_init(&j->cancel, 0);
    j->deadline = deadline;
    j->identify = identify;
    return j;
}

static void *job_main(void *arg) {
    gn__load_job *j = arg;
    if (j->identify) gn__file_identify(j->path, &j->seen);
    gn__served *v = NULL;
    int st = load_served(j->path, j->repo, &j->ix, j->deadline, &j->cancel, &v);
    pthread_mutex_lock(&j->mu);
    j->status = st;
    if (st != GN_OK) snprintf(j->msg, sizeof j->msg, "%s", gn_last_error());
    j->result = v;
    if (j->abandoned) {
        gn__served_release(j->result);
        j->result = NULL;
        j->finished = 1;
    }
    j->done = 1;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    job_release(j);
    return NULL;
}

/* With j->mu held: sleeps on j->cv for a while. Returns 0 (without sleeping) once the deadline
 * has passed or the slot is closing, so callers loop `while (!cond && wait_job(...))`. */
static int wait_job(gn__load_job *j, double deadline, const atomic_int *closing) {
    double now = gn__now();
    if (atomic_load(closing) || now >= deadline) return 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double left = deadline - now;
    time_t sec = (time_t)left;
    ts.tv_sec += sec;
    ts.tv_nsec += (long)((left - (double)sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&j->cv, &j->mu, &ts);
    return 1;
}

static int count_failure(gn__slot *s, int st) {
    atomic_fetch_add_explicit(&s->stats.reload_fail, 1, memory_order_relaxed);
    return st;
}

int gn__slot_init(gn__slot *s, const char *name, const char *path) { return gn__slot_init_as(s, name, path, 0); }

int gn__slot_init_as(gn__slot *s, const char *name, const char *path, int repo) {
    return gn__slot_init_ix(s, name, path, repo, NULL);
}

int gn__slot_init_ix(gn__slot *s, const char *name, const char *path, int repo, const gn_mf_index_options *ix) {
    memset(s, 0, sizeof *s);
    s->repo = repo;
    if (ix) s->ix = *ix;
    else gn_mf_index_options_init(&s->ix);
    if (!gn__model_name_ok(name))
        return gn__fail(GN_EINVAL, "model name '%s': use 1-%u of A-Z a-z 0-9 _ - .", name, GN_SERVE_MAX_NAME - 1);
    memcpy(s->name, name, strlen(name) + 1);
    s->path = strdup(path);
    if (!s->path) return gn__fail(GN_ENOMEM, "out of memory");
    gn__file_identify(path, &s->seen);
    int st = load_served(path, repo, &s->ix, 0, NULL, &s->cur);
    if (st != GN_OK) {
        free(s->path);
        s->path = NULL;
        return st;
    }
    pthread_mutex_init(&s->mu, NULL);
    atomic_init(&s->closing, 0);
    return GN_OK;
}

void gn__slot_destroy(gn__slot *s) {
    if (!s->path) return;
    gn__slot_close(s);
    if (s->job) {
        atomic_store(&s->job->cancel, 1);
        job_release(s->job);
        s->job = NULL;
    }
    gn__served_release(s->cur);
    s->cur = NULL;
    pthread_mutex_destroy(&s->mu);
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
        free(v->file);
        free(v);
    }
}

int gn__slot_reload_start(gn__slot *s, double deadline, const gn__file_id *observed, gn__load_job **out) {
    *out = NULL;
    pthread_mutex_lock(&s->mu);
    /* one load per slot at a time: wait for the previous one to be swapped in or dropped */
    for (;;) {
        gn__load_job *prev = s->job;
        if (atomic_load(&s->closing)) {
            pthread_mutex_unlock(&s->mu);
            return count_failure(s, gn__fail(GN_EINVAL, "%s: not reloaded: the server is stopping", s->path));
        }
        if (!prev) break;
        pthread_mutex_lock(&prev->mu);
        if (prev->finished) {
            pthread_mutex_unlock(&prev->mu);
            s->job = NULL;
            job_release(prev);
            break;
        }
        atomic_fetch_add_explicit(&prev->refs, 1, memory_order_relaxed);
        pthread_mutex_unlock(&s->mu);
        while (!prev->finished && wait_job(prev, deadline, &s->closing)) {
        }
        int finished = prev->finished;
        pthread_mutex_unlock(&prev->mu);
        job_release(prev);
        if (!finished && !atomic_load(&s->closing)) {
            if (observed) { /* the watcher: not again until the file changes again */
                pthread_mutex_lock(&s->mu);
                s->seen = *observed;
                pthread_mutex_unlock(&s->mu);
            }
            return count_failure(s, gn__fail(GN_ELIMIT,
                                             "%s: not reloaded: an earlier reload of it is still reading it past the "
                                             "reload timeout (a stalled file system?)",
                                             s->path));
        }
        pthread_mutex_lock(&s->mu);
    }
    gn__load_job *j = job_new(s->path, deadline, observed == NULL);
    if (j) {
        j->repo = s->repo;
        j->ix = s->ix;
    }
    if (!j) {
        pthread_mutex_unlock(&s->mu);
        return count_failure(s, gn__fail(GN_ENOMEM, "%s: not reloaded: out of memory", s->path));
    }
    if (observed) s->seen = *observed;
    atomic_store(&j->refs, 3); /* the slot's, the thread's and the caller's */
    s->job = j;
    pthread_mutex_unlock(&s->mu);

    pthread_attr_t attr;
    pthread_t th;
    int rc = pthread_attr_init(&attr);
    if (rc == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&th, &attr, job_main, j);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0) {
        /* no thread: the job is done, with this error, and the wait reports it */
        pthread_mutex_lock(&j->mu);
        j->status = GN_EIO;
        snprintf(j->msg, sizeof j->msg, "%s: not reloaded: cannot start a loader thread", s->path);
        j->done = 1;
        pthread_mutex_unlock(&j->mu);
        job_release(j); /* the thread's */
    }
    *out = j;
    return GN_OK;
}

/* How long past the deadline a reload waits for its loader: a loader that is reading checks
 * the deadline itself and says where it stopped, which beats "still loading". */
#define LOADER_MARGIN_S 0.1

int gn__slot_reload_wait(gn__slot *s, gn__load_job *j) {
    pthread_mutex_lock(&j->mu);
    while (!j->done && wait_job(j, j->deadline + LOADER_MARGIN_S, &s->closing)) {
    }
    if (!j->done) {
        /* give up: the loader stops at its next read (or whenever the kernel lets it) and drops
         * its result itself */
        j->abandoned = 1;
        atomic_store(&j->cancel, 1);
        pthread_mutex_unlock(&j->mu);
        int closing = atomic_load(&s->closing);
        job_release(j);
        if (closing) return count_failure(s, gn__fail(GN_EINVAL, "%s: not reloaded: the server is stopping", s->path));
        return count_failure(s, gn__fail(GN_ELIMIT, "%s: not reloaded: still loading at the reload timeout (a "
                                                    "stalled file system?)",
                                         s->path));
    }
    pthread_mutex_unlock(&j->mu);
    /* done: status, msg, seen and result no longer change */
    int st = j->status;
    gn__served *old = NULL;
    pthread_mutex_lock(&s->mu);
    if (j->identify) s->seen = j->seen;
    if (st == GN_OK) {
        old = s->cur;
        s->cur = j->result;
        j->result = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&j->mu);
    j->finished = 1;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (st == GN_OK) {
        gn__served_release(old);
        atomic_fetch_add_explicit(&s->stats.reload_ok, 1, memory_order_relaxed);
    } else if (atomic_load(&s->closing)) {
        count_failure(s, gn__fail(GN_EINVAL, "%s: not reloaded: the server is stopping", s->path));
        st = GN_EINVAL;
    } else {
        count_failure(s, gn__fail((gn_status)st, "%s", j->msg));
    }
    job_release(j);
    return st;
}

int gn__slot_reload(gn__slot *s, double deadline, const gn__file_id *observed) {
    gn__load_job *j;
    GN_TRY(gn__slot_reload_start(s, deadline, observed, &j));
    return gn__slot_reload_wait(s, j);
}

void gn__slot_close(gn__slot *s) {
    if (!s->path) return;
    atomic_store(&s->closing, 1);
    pthread_mutex_lock(&s->mu);
    gn__load_job *j = s->job;
    if (j) {
        atomic_store(&j->cancel, 1);
        /* wake whoever waits on it; closing is set first, so none can miss it */
        pthread_mutex_lock(&j->mu);
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
    }
    pthread_mutex_unlock(&s->mu);
}
