/* learn/bload.c: reading the batch solvers' data into memory once, one thread per sub-part of
 * this rank's part of the input, concatenated in input order (see gn__bdata_read in objective.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/objective.h"
#include "util/error.h"

/* Reads every batch of src into d. */
static int read_all(gn_source *src, uint32_t batch, gn_bdata *d) {
    gn_batch b;
    GN_TRY(gn__batch_init(&b, batch, (size_t)batch * 64));
    int st;
    while ((st = gn__source_next(src, &b, batch)) == GN_OK)
        if ((st = gn__bdata_append(d, &b)) != GN_OK) break;
    gn__batch_free(&b);
    return st == GN_EOF ? GN_OK : st;
}

typedef struct reader {
    const gn_data_spec *spec;
    const char *const *paths;
    size_t npaths;
    uint32_t part, nparts, batch;
    gn_bdata data;
    uint64_t skipped;
    int status;
    char msg[1024]; /* the error message lives in the reading thread: copied here */
} reader;

static void *read_part(void *arg) {
    reader *r = arg;
    gn_source *s = NULL;
    r->status = gn__source_open_part(r->spec, NULL, r->paths, r->npaths, r->part, r->nparts, &s);
    if (r->status == GN_OK) r->status = read_all(s, r->batch, &r->data);
    if (s) r->skipped = gn__source_skipped(s);
    if (r->status != GN_OK) snprintf(r->msg, sizeof r->msg, "%s", gn_last_error());
    gn__source_free(s);
    return NULL;
}

int gn__bdata_read(gn_source *src, const gn_data_spec *spec, const char *const *paths, size_t npaths,
                   uint32_t part, uint32_t nparts, uint32_t threads, uint32_t batch, gn_bdata *d,
                   uint64_t *skipped) {
    int has_stdin = 0;
    for (size_t i = 0; i < npaths; i++) has_stdin |= strcmp(paths[i], "-") == 0;
    if (threads < 1 || has_stdin) threads = 1;
    if (threads > 64) threads = 64;
    *skipped = 0;
    if (nparts == 1 && threads == 1) {
        int st = read_all(src, batch, d);
        *skipped = gn__source_skipped(src);
        return st;
    }
    reader *rs = calloc(threads, sizeof *rs);
    pthread_t *tid = calloc(threads, sizeof *tid);
    int *started = calloc(threads, sizeof *started);
    if (!rs || !tid || !started) {
        free(rs);
        free(tid);
        free(started);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    for (uint32_t t = 0; t < threads; t++) {
        rs[t] = (reader){spec, paths, npaths, part * threads + t, nparts * threads, batch, {0}, 0, GN_OK, ""};
        started[t] = t > 0 && pthread_create(&tid[t], NULL, read_part, &rs[t]) == 0;
    }
    read_part(&rs[0]);
    for (uint32_t t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else read_part(&rs[t]); /* could not start a thread: read it here */
    }
    int st = GN_OK;
    for (uint32_t t = 0; t < threads && st == GN_OK; t++) /* the first failing part, in input order */
        if (rs[t].status != GN_OK) st = gn__fail(rs[t].status, "%s", rs[t].msg);
    for (uint32_t t = 0; t < threads; t++) {
        *skipped += rs[t].skipped;
        if (st == GN_OK && rs[t].data.n > 0) {
            if (d->n == 0) { /* take the first non-empty part as it is */
                gn__bdata_free(d);
                *d = rs[t].data;
                memset(&rs[t].data, 0, sizeof rs[t].data);
            } else {
                gn_batch view;
                gn__bdata_view(&rs[t].data, &view);
                st = gn__bdata_append(d, &view);
            }
        }
        gn__bdata_free(&rs[t].data);
    }
    free(rs);
    free(tid);
    free(started);
    return st;
}
