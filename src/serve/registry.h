/* serve/registry.h: the served models. Each name has a slot holding a refcounted pointer to the
 * loaded model. A request acquires a reference (a short mutex-guarded increment), predicts with
 * it and releases it; a reload loads the new file outside any lock, swaps the pointer under the
 * slot mutex and drops the slot's reference to the old one, which is freed by whichever thread
 * releases it last. So requests in flight finish on the old model and none ever sees a freed or
 * half-loaded one. */
#ifndef GN_SERVE_REGISTRY_H
#define GN_SERVE_REGISTRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "gannet/gannet.h"
#include "gannet/serve.h"
#include "serve/metrics.h"

/* One loaded model version. Immutable after load except for refs. */
typedef struct gn__served {
    gn_model *model;
    atomic_uint refs;
    double loaded_at;    /* unix seconds */
    double load_seconds;
} gn__served;

/* File identity used by --watch to notice a replaced or rewritten file. */
typedef struct gn__file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    int exists;
} gn__file_id;

typedef struct gn__slot {
    char name[GN_SERVE_MAX_NAME];
    char *path;                /* owned */
    pthread_mutex_t mu;        /* guards cur */
    pthread_mutex_t reload_mu; /* one reload of this slot at a time; guards seen */
    gn__served *cur;           /* never NULL once added */
    gn__file_id seen;          /* the file as it was at the last load attempt */
    gn__model_stats stats;
} gn__slot;

/* 1 if name is a valid model name. */
int gn__model_name_ok(const char *name);
/* Initialises the slot and loads its first model. On failure the slot is left destroyed. */
int gn__slot_init(gn__slot *s, const char *name, const char *path);
void gn__slot_destroy(gn__slot *s);
/* A counted reference to the current model; pair with gn__served_release. Never NULL. */
gn__served *gn__slot_acquire(gn__slot *s);
void gn__served_release(gn__served *v);
/* Loads the slot's file again and swaps it in; counts success/failure in the slot's stats.
 * On failure the old model stays and the loader's status/message is returned. */
int gn__slot_reload(gn__slot *s);
/* Reads the identity of the file at path (exists = 0 if it cannot be stat'ed). */
void gn__file_identify(const char *path, gn__file_id *out);
int gn__file_id_equal(const gn__file_id *a, const gn__file_id *b);

#endif
