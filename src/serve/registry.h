/* serve/registry.h: the served models. Each name has a slot holding a refcounted pointer to the
 * loaded model. A request acquires a reference (a short mutex-guarded increment), predicts with
 * it and releases it; a reload loads the new file outside any lock, swaps the pointer under the
 * slot mutex and drops the slot's reference to the old one, which is freed by whichever thread
 * releases it last. So requests in flight finish on the old model and none ever sees a freed or
 * half-loaded one.
 *
 * A reload never blocks past its deadline, whatever the file is: the load runs on a thread of
 * its own (a load job) that the caller waits for until the deadline, and the loader itself gives
 * up once the deadline passes (between reads). A caller that stops waiting leaves the job to
 * finish and discard its result on its own; the job never touches the slot, so a server can be
 * stopped and freed while a load is stuck in the kernel (a stalled network file system). Loads
 * of one slot run one at a time, in the order they were asked for; a reload waits (within its
 * own deadline) for the one before it. No lock is held across file I/O. */
#ifndef GN_SERVE_REGISTRY_H
#define GN_SERVE_REGISTRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "gannet/gannet.h"
#include "gannet/recommend.h"
#include "gannet/serve.h"
#include "serve/metrics.h"

/* One loaded model version. Immutable after load except for refs. */
typedef struct gn__served {
    gn_model *model;
    atomic_uint refs;
    double loaded_at;    /* unix seconds */
    double load_seconds;
    uint32_t repo_version;  /* the repository version it was loaded as; 0: not from a repository */
    char *file;             /* the model file it was loaded from; owned */
} gn__served;

/* File identity used by --watch to notice a replaced or rewritten file. */
typedef struct gn__file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    int exists;
} gn__file_id;

/* One reload's load (registry.c). */
typedef struct gn__load_job gn__load_job;

typedef struct gn__slot {
    char name[GN_SERVE_MAX_NAME];
    char *path;                /* owned */
    pthread_mutex_t mu;        /* guards cur, job and seen; never held across file I/O */
    gn__served *cur;           /* never NULL once added */
    gn__load_job *job;         /* the latest reload's load (a reference), NULL before the first */
    gn__file_id seen;          /* the file as it was at the last load attempt */
    atomic_int closing;        /* set by gn__slot_close: reloads fail at once */
    int repo;                  /* 1: path is a repository's `current` pointer (gannet/repo.h):
                                  every load reads it and loads the version it names */
    gn_mf_index_options ix;    /* kind mf: every load builds this item index before the swap */
    gn__model_stats stats;
} gn__slot;

/* 1 if name is a valid model name. */
int gn__model_name_ok(const char *name);
/* Initialises the slot and loads its first model (no deadline: the caller is starting up). On
 * failure the slot is left destroyed. */
int gn__slot_init(gn__slot *s, const char *name, const char *path);
/* The same; repo 1: path is a repository model's `current` pointer file. */
int gn__slot_init_as(gn__slot *s, const char *name, const char *path, int repo);
/* The same; ix: the item index of mf models (NULL: the defaults, auto). */
int gn__slot_init_ix(gn__slot *s, const char *name, const char *path, int repo, const gn_mf_index_options *ix);
/* Frees the slot. A load still running keeps only its own job and discards its result. */
void gn__slot_destroy(gn__slot *s);
/* A counted reference to the current model; pair with gn__served_release. Never NULL. */
gn__served *gn__slot_acquire(gn__slot *s);
void gn__served_release(gn__served *v);

/* Reloads the slot's file and swaps it in, giving up at deadline (gn__now() seconds): then the
 * old model keeps serving and GN_ELIMIT says why. observed: the file identity the caller saw
 * (the watcher), recorded as seen at once; NULL: the load records it. Counts success/failure in
 * the slot's stats; on failure the loader's status and message are returned. Thread-safe. */
int gn__slot_reload(gn__slot *s, double deadline, const gn__file_id *observed);
/* gn__slot_reload in two halves, so that several slots can load at once under one deadline:
 * start (waits for the slot's previous load, then starts this one; on failure counts it and
 * sets *job NULL) and wait (waits for it, swaps, counts; consumes the job). */
int gn__slot_reload_start(gn__slot *s, double deadline, const gn__file_id *observed, gn__load_job **job);
int gn__slot_reload_wait(gn__slot *s, gn__load_job *job);
/* Shutdown: reloads waiting on this slot fail at once, its running load is told to give up, and
 * later reloads fail. Thread-safe. */
void gn__slot_close(gn__slot *s);

/* Reads the identity of the file at path (exists = 0 if it cannot be stat'ed). */
void gn__file_identify(const char *path, gn__file_id *out);
int gn__file_id_equal(const gn__file_id *a, const gn__file_id *b);

#endif
