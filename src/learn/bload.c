/* learn/bload.c: reading the batch solvers' data into memory once, one thread per sub-part of
 * this rank's part of the input, concatenated in input order (see gn__bdata_read in objective.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "learn/objective.h"
#include "util/error.h"
#include "util/mem.h"

/* Capacity hints from the input's size: a LIBSVM feature takes 4 bytes or more ("1:1 "), a line
 * 16 or more in practice. Reserving them up front spares the copies (and, worse, the page faults)
 * of growing the arrays by doubling; the pages past what is read are never touched. The hint is
 * for one of `threads` sub-parts of this rank's 1/nparts of the input, and that share is capped
 * first, so that all the reservations of gn__bdata_read together (part 0 reserves for every
 * sub-part, the others for their own) stay below half the physical memory; the arrays still
 * grow as needed when the input is denser (or compressed). */
static void size_hint(const char *const *paths, size_t npaths, uint32_t nparts, uint32_t threads, size_t *n,
                      size_t *nnz) {
    unsigned long long bytes = 0;
    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISREG(st.st_mode))
            bytes += (unsigned long long)st.st_size;
    }
    bytes /= nparts ? nparts : 1;
    const unsigned long long cap = gn__memory_quarter();
    /* bytes/4 features of 8 bytes, bytes/16 examples of 24 bytes: 3.5 bytes per input byte, so
     * at most 0.22 of the memory for the rank's share, and as much again for the sub-parts */
    if (bytes > cap / 4) bytes = cap / 4;
    bytes /= threads ? threads : 1;
    *n = (size_t)(bytes / 16);
    *nnz = (size_t)(bytes / 4);
}

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
    const gn_parser *parser; /* the whole input's, resolved: the parts need not detect it again */
    const char *const *paths;
    size_t npaths;
    uint32_t part, nparts, batch;
    gn_bdata data;
    uint64_t skipped;
    int status;
    size_t hint_n, hint_nnz; /* capacity to reserve first */
    char msg[1024]; /* the error message lives in the reading thread: copied here */
} reader;

static void *read_part(void *arg) {
    reader *r = arg;
    gn_source *s = NULL;
    r->status = gn__source_open_part(r->spec, r->parser, r->paths, r->npaths, r->part, r->nparts, &s);
    if (r->status == GN_OK && r->hint_nnz > 0) (void)gn__bdata_reserve(&r->data, r->hint_n, r->hint_nnz);
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
    size_t hint_n, hint_nnz;
    size_hint(paths, npaths, nparts, threads, &hint_n, &hint_nnz);
    if (nparts == 1 && threads == 1) {
        if (hint_nnz > 0) (void)gn__bdata_reserve(d, hint_n, hint_nnz); /* a hint only */
        int st = read_all(src, batch, d);
        *skipped = gn__source_skipped(src);
        return st;
    }
    const gn_parser *parser = gn__source_parser(src); /* NULL if not resolved: each part detects it */
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
        /* part 0 reserves room for all the parts: the others are then appended without moving it */
        rs[t] = (reader){spec, parser, paths, npaths, part * threads + t, nparts * threads, batch, {0}, 0, GN_OK,
                         t == 0 ? hint_n * threads : hint_n, t == 0 ? hint_nnz * threads : hint_nnz, ""};
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

int gn__bdata_split(const gn_bdata *d, const uint8_t *to_b, gn_bdata *a, gn_bdata *b) {
    size_t nb = 0, nnzb = 0; /* reserve both sides exactly: no doubling next to the original */
    for (size_t e = 0; e < d->n; e++)
        if (to_b[e]) {
            nb++;
            nnzb += d->start[e + 1] - d->start[e];
        }
    if (gn__bdata_reserve(a, a->n + d->n - nb, a->nnz + d->nnz - nnzb) != 0 ||
        gn__bdata_reserve(b, b->n + nb, b->nnz + nnzb) != 0)
        return gn__fail(GN_ENOMEM, "out of memory splitting %zu examples", d->n);
    for (size_t e = 0; e < d->n; e++) {
        gn_batch one; /* a one-example view of example e */
        memset(&one, 0, sizeof one);
        one.n = one.cap = 1;
        one.label = d->label + e;
        one.weight = d->weight + e;
        one.key = d->key + e;
        one.start = d->start + e;
        one.index = d->index;
        one.value = d->value;
        GN_TRY(gn__bdata_append(to_b[e] ? b : a, &one));
    }
    return GN_OK;
}

/* Poisson needs counts; the key of an example is (file index << 40) ^ byte offset of its line. */
int gn__bdata_check_labels(const gn_bdata *d, gn_loss loss, const char *const *paths, size_t npaths) {
    if (loss != GN_LOSS_POISSON) return GN_OK;
    for (size_t i = 0; i < d->n; i++) {
        if (d->label[i] >= 0) continue;
        const uint64_t file = d->key[i] >> 40;
        return gn__fail(GN_EPARSE, "%s: the line at byte %llu has label %g: poisson loss needs labels >= 0",
                        file < npaths ? paths[file] : "input", (unsigned long long)(d->key[i] & ((1ull << 40) - 1)),
                        (double)d->label[i]);
    }
    return GN_OK;
}
