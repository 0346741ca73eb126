/* io/pipeline.c: the reader thread and chunk queues of a shared input stream (see pipeline.h).
 * One mutex guards the queues (a lock per chunk of about a megabyte, not per line). */
#include "io/pipeline.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

typedef struct line_ref {
    size_t off, len;     /* in the chunk's text */
    uint64_t key, lineno;
    size_t file;
} line_ref;

typedef struct chunk {
    char *text;
    size_t used, cap;
    line_ref *lines;
    size_t nlines, lcap;
    size_t next;         /* next line to parse (worker side) */
    struct chunk *link;  /* free list */
} chunk;

typedef struct wqueue {
    chunk *q[GN_PIPELINE_DEPTH];
    size_t head, count;
    chunk *cur;          /* the chunk the worker is parsing */
    uint64_t skipped;
} wqueue;

struct gn_stream {
    gn_source *src;
    uint32_t nw;
    size_t chunk_bytes;
    chunk *chunks;       /* all of them */
    size_t nchunks;
    chunk *free_list;
    wqueue *wq;
    pthread_mutex_t mu;
    pthread_cond_t cond_free, cond_data;
    pthread_t reader;
    int running;         /* the reader thread exists (to be joined) */
    int done;            /* the reader finished the pass (or failed) */
    int stop;            /* asked to stop */
    int err;             /* the reader's error status, GN_OK if none */
    char errmsg[1024];
    uint64_t bytes_done; /* published by the reader */
};

static void reset_queues(gn_stream *s) {
    s->free_list = NULL;
    for (size_t i = 0; i < s->nchunks; i++) {
        s->chunks[i].link = s->free_list;
        s->free_list = &s->chunks[i];
    }
    for (uint32_t w = 0; w < s->nw; w++) {
        s->wq[w].head = s->wq[w].count = 0;
        s->wq[w].cur = NULL;
    }
    s->done = s->stop = 0;
    s->bytes_done = 0;
    s->err = GN_OK;
    s->errmsg[0] = '\0';
}

int gn__stream_new(gn_source *src, uint32_t nworkers, size_t chunk_bytes, gn_stream **out) {
    if (nworkers < 1) nworkers = 1;
    gn_stream *s = calloc(1, sizeof *s);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    s->src = src;
    s->nw = nworkers;
    s->chunk_bytes = chunk_bytes < 4096 ? 4096 : chunk_bytes;
    /* every worker can hold a full queue and parse one more, and the reader fills one */
    s->nchunks = (size_t)nworkers * (GN_PIPELINE_DEPTH + 1) + 1;
    s->chunks = calloc(s->nchunks, sizeof *s->chunks);
    s->wq = calloc(nworkers, sizeof *s->wq);
    if (!s->chunks || !s->wq) goto oom;
    for (size_t i = 0; i < s->nchunks; i++) {
        chunk *c = &s->chunks[i];
        c->cap = s->chunk_bytes + 4096;
        c->lcap = 4096;
        c->text = malloc(c->cap);
        c->lines = malloc(c->lcap * sizeof *c->lines);
        if (!c->text || !c->lines) goto oom;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond_free, NULL);
    pthread_cond_init(&s->cond_data, NULL);
    reset_queues(s);
    *out = s;
    return GN_OK;
oom:
    s->src = NULL; /* the caller keeps src on failure */
    if (s->chunks)
        for (size_t i = 0; i < s->nchunks; i++) {
            free(s->chunks[i].text);
            free(s->chunks[i].lines);
        }
    free(s->chunks);
    free(s->wq);
    free(s);
    return gn__fail(GN_ENOMEM, "out of memory for the input pipeline");
}

/* Reader side: waits for a free chunk; NULL when asked to stop. */
static chunk *take_free(gn_stream *s) {
    pthread_mutex_lock(&s->mu);
    while (!s->free_list && !s->stop) pthread_cond_wait(&s->cond_free, &s->mu);
    chunk *c = s->stop ? NULL : s->free_list;
    if (c) s->free_list = c->link;
    pthread_mutex_unlock(&s->mu);
    if (c) {
        c->used = c->nlines = c->next = 0;
    }
    return c;
}

/* Reader side: hands c to worker w, waiting while its queue is full. 0 if asked to stop. */
static int deliver(gn_stream *s, uint32_t w, chunk *c) {
    pthread_mutex_lock(&s->mu);
    wqueue *q = &s->wq[w];
    while (q->count == GN_PIPELINE_DEPTH && !s->stop) pthread_cond_wait(&s->cond_free, &s->mu);
    int ok = !s->stop;
    if (ok) {
        q->q[(q->head + q->count) % GN_PIPELINE_DEPTH] = c;
        q->count++;
        __atomic_store_n(&s->bytes_done, gn__source_bytes_done(s->src), __ATOMIC_RELAXED);
        pthread_cond_broadcast(&s->cond_data);
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static int add_line(chunk *c, const char *line, size_t len, const gn_source_line *at) {
    if (c->used + len > c->cap) {
        size_t cap = c->cap * 2;
        while (cap < c->used + len) cap *= 2;
        char *t = realloc(c->text, cap);
        if (!t) return gn__fail(GN_ENOMEM, "out of memory for a line of %zu bytes", len);
        c->text = t;
        c->cap = cap;
    }
    if (c->nlines == c->lcap) {
        line_ref *l = realloc(c->lines, c->lcap * 2 * sizeof *l);
        if (!l) return gn__fail(GN_ENOMEM, "out of memory");
        c->lines = l;
        c->lcap *= 2;
    }
    memcpy(c->text + c->used, line, len);
    c->lines[c->nlines++] = (line_ref){c->used, len, at->key, at->lineno, at->file};
    c->used += len;
    return GN_OK;
}

static void *reader_main(void *arg) {
    gn_stream *s = arg;
    uint64_t n = 0; /* chunks dealt so far in this pass */
    int st = GN_OK;
    chunk *c = NULL;
    for (;;) {
        if (!c && !(c = take_free(s))) break; /* stopped */
        const char *line;
        size_t len;
        gn_source_line at;
        st = gn__source_next_line(s->src, &line, &len, &at);
        if (st == GN_EOF) {
            st = GN_OK;
            if (c->nlines > 0) {
                if (!deliver(s, (uint32_t)(n++ % s->nw), c)) break;
            } else {
                pthread_mutex_lock(&s->mu);
                c->link = s->free_list;
                s->free_list = c;
                pthread_mutex_unlock(&s->mu);
            }
            c = NULL;
            break;
        }
        if (st != GN_OK) break;
        if ((st = add_line(c, line, len, &at)) != GN_OK) break;
        if (c->used >= s->chunk_bytes) {
            if (!deliver(s, (uint32_t)(n++ % s->nw), c)) {
                c = NULL;
                break;
            }
            c = NULL;
        }
    }
    pthread_mutex_lock(&s->mu);
    if (c) { /* not delivered (error or stop) */
        c->link = s->free_list;
        s->free_list = c;
    }
    if (st != GN_OK) {
        s->err = st;
        snprintf(s->errmsg, sizeof s->errmsg, "%s", gn_last_error());
    }
    __atomic_store_n(&s->bytes_done, gn__source_bytes_done(s->src), __ATOMIC_RELAXED);
    s->done = 1;
    pthread_cond_broadcast(&s->cond_data);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int gn__stream_start(gn_stream *s, int rewind) {
    gn__stream_stop(s);
    if (rewind) GN_TRY(gn__source_rewind(s->src));
    reset_queues(s);
    if (pthread_create(&s->reader, NULL, reader_main, s) != 0)
        return gn__fail(GN_EINTERNAL, "cannot start the input reader thread");
    s->running = 1;
    return GN_OK;
}

void gn__stream_abort(gn_stream *s) {
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_broadcast(&s->cond_free);
    pthread_cond_broadcast(&s->cond_data);
    pthread_mutex_unlock(&s->mu);
}

void gn__stream_stop(gn_stream *s) {
    if (!s->running) return;
    gn__stream_abort(s);
    pthread_join(s->reader, NULL);
    s->running = 0;
}

/* Worker side: the next chunk of worker w, or NULL at its end (*st says GN_EOF or the error). */
static chunk *take_chunk(gn_stream *s, uint32_t w, int *st) {
    wqueue *q = &s->wq[w];
    pthread_mutex_lock(&s->mu);
    if (q->cur) { /* the previous one is done: recycle it */
        q->cur->link = s->free_list;
        s->free_list = q->cur;
        q->cur = NULL;
        pthread_cond_broadcast(&s->cond_free);
    }
    while (q->count == 0 && !s->done && !s->stop) pthread_cond_wait(&s->cond_data, &s->mu);
    chunk *c = NULL;
    if (q->count > 0) {
        c = q->q[q->head];
        q->head = (q->head + 1) % GN_PIPELINE_DEPTH;
        q->count--;
        q->cur = c;
        pthread_cond_broadcast(&s->cond_free);
    } else if (s->err != GN_OK) {
        *st = gn__fail((gn_status)s->err, "%s", s->errmsg);
    } else { /* the end, or stopped (the worker that stopped it reports why) */
        *st = GN_EOF;
    }
    pthread_mutex_unlock(&s->mu);
    return c;
}

int gn__stream_next(gn_stream *s, uint32_t w, gn_parser *p, gn_batch *b, size_t max) {
    gn__batch_clear(b);
    wqueue *q = &s->wq[w];
    char why[GN_WHY_MAX];
    int skip_bad = gn__source_spec(s->src)->skip_bad;
    while (b->n < max) {
        chunk *c = q->cur;
        if (!c || c->next >= c->nlines) {
            int st = GN_OK;
            if (!(c = take_chunk(s, w, &st))) {
                if (st == GN_EOF) return b->n ? GN_OK : GN_EOF;
                return st;
            }
            continue;
        }
        const line_ref *l = &c->lines[c->next++];
        int st = gn__parser_line(p, c->text + l->off, l->len, l->key, b, why);
        if (st == GN_OK || st == GN_EOF) continue;
        if (st == GN_EPARSE && skip_bad) {
            q->skipped++;
            continue;
        }
        const char *path = gn__source_path(s->src, l->file);
        if (st == GN_ENOMEM) return gn__fail(GN_ENOMEM, "%s:%llu: out of memory", path, (unsigned long long)l->lineno);
        return gn__fail(st == GN_EPARSE ? GN_EPARSE : st, "%s:%llu: %s", path, (unsigned long long)l->lineno, why);
    }
    return GN_OK;
}

gn_source *gn__stream_source(gn_stream *s) { return s->src; }

uint64_t gn__stream_bytes_done(const gn_stream *s) {
    return __atomic_load_n(&s->bytes_done, __ATOMIC_RELAXED);
}

uint64_t gn__stream_skipped(const gn_stream *s) {
    uint64_t n = gn__source_skipped(s->src);
    for (uint32_t w = 0; w < s->nw; w++) n += s->wq[w].skipped;
    return n;
}

void gn__stream_free(gn_stream *s) {
    if (!s) return;
    gn__stream_stop(s);
    for (size_t i = 0; i < s->nchunks; i++) {
        free(s->chunks[i].text);
        free(s->chunks[i].lines);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond_free);
    pthread_cond_destroy(&s->cond_data);
    gn__source_free(s->src);
    free(s->chunks);
    free(s->wq);
    free(s);
}
