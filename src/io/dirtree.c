/* io/dirtree.c: a --format dir tree listed once and read as a stream of "class<TAB>text" records
 * (the rules are in io/dirtree.h). A document is read whole into one buffer (the largest
 * document's size), checked, its line breaks turned into spaces, then handed out in pieces.
 * Reading ahead: helper threads (gn__dir_tree_set_readers) open, read and check the next documents
 * into a ring of record buffers, document i into slot i mod the ring's size, while the caller
 * takes the records out in order; so the stream is the same bytes whatever the number of
 * helpers, and the caller's thread (tokenizing, in the parsers) waits on no system call. */
#include "io/dirtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash/hash.h"
#include "util/error.h"
#include "util/utf8.h"

#define GN_DIR_MAX_DOC ((size_t)1 << 30) /* a document above 1 GiB is refused */

typedef struct doc {
    uint64_t order;  /* hash of "class/name": the reading order */
    uint64_t size;   /* its size when listed (a read is sized by it; 0: not known) */
    size_t cls;      /* index into classes */
    char *name;      /* the file's name in its class directory (owned) */
} doc;

/* A record buffer and the scratch of whoever fills it (the caller, or one helper). */
typedef struct recbuf {
    char *rec;
    size_t cap, len;
    char *path;      /* a document's path, for messages */
    size_t path_cap;
} recbuf;

#define RING_PER_READER 32 /* documents read ahead per helper */
#define READERS_MAX 16

/* One document read ahead: its record, or why it could not be read. */
typedef struct slot {
    recbuf b;
    size_t doc;      /* the document it holds (or is being filled with) */
    int state;       /* SLOT_FREE, SLOT_BUSY (a helper fills it), SLOT_READY */
    int st;          /* GN_OK, or the failure: message in msg */
    char msg[512];
} slot;

enum { SLOT_FREE, SLOT_BUSY, SLOT_READY };

struct gn_dir_tree {
    char *root;
    char **classes;
    size_t nclasses;
    doc *docs;
    size_t ndocs;
    uint64_t bytes;
    /* reading: the record of docs[next - 1] in cur[rec_pos, rec_len) */
    size_t next;
    const char *cur;
    size_t rec_len, rec_pos;
    recbuf own;      /* the caller's buffer (no helpers) and its path scratch (listing) */
    int *class_fd;   /* each class directory, opened on the first read (-1: not yet) */
    /* helpers (nreaders > 0 once started): docs[i] goes to ring[i % nring] */
    uint32_t want_readers;
    uint32_t nreaders;
    pthread_t th[READERS_MAX];
    slot *ring;
    size_t nring;
    size_t fill_next;    /* the next document a helper takes */
    size_t held;         /* the slot the caller reads from (1 + index), 0: none */
    int stop;
    int caller_waits;    /* the caller waits for a record; helpers waiting for a free slot */
    uint32_t helpers_wait;
    pthread_mutex_t mu;
    pthread_cond_t cond_ready, cond_free;
};

#define CLASS_FDS_MAX 64 /* more classes than this: documents are opened by their whole path (a
                          * tree holds one descriptor per class, and several trees may be open) */

static int by_order(const void *a, const void *b) {
    const doc *x = a, *y = b;
    if (x->order != y->order) return x->order < y->order ? -1 : 1;
    if (x->cls != y->cls) return x->cls < y->cls ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* 1 if s is UTF-8 without NUL, tab, CR or LF (a class name). */
static int plain_name(const char *s) {
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        if (*u == '\t' || *u == '\n' || *u == '\r') return 0;
        if (*u < 0x80) { u++; continue; }
        size_t n = *u >= 0xF0 && *u <= 0xF4 ? 3 : *u >= 0xE0 && *u <= 0xEF ? 2 : *u >= 0xC2 && *u <= 0xDF ? 1 : 0;
        if (!n) return 0;
        for (size_t k = 1; k <= n; k++)
            if ((u[k] & 0xC0) != 0x80) return 0;
        u += n + 1;
    }
    return 1;
}

/* Joins a/b[/c] into rb->path. */
static const char *join_in(recbuf *rb, const char *a, const char *b, const char *c) {
    size_t need = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
    if (need > rb->path_cap) {
        char *p = realloc(rb->path, need);
        if (!p) return NULL;
        rb->path = p;
        rb->path_cap = need;
    }
    if (c) snprintf(rb->path, rb->path_cap, "%s/%s/%s", a, b, c);
    else snprintf(rb->path, rb->path_cap, "%s/%s", a, b);
    return rb->path;
}

static const char *join(gn_dir_tree *t, const char *a, const char *b, const char *c) {
    return join_in(&t->own, a, b, c);
}

static void recbuf_free(recbuf *rb) {
    free(rb->rec);
    free(rb->path);
}

static void stop_readers(gn_dir_tree *t);

void gn__dir_tree_free(gn_dir_tree *t) {
    if (!t) return;
    stop_readers(t);
    for (size_t i = 0; i < t->nclasses; i++) free(t->classes[i]);
    free(t->classes);
    for (size_t i = 0; i < t->ndocs; i++) free(t->docs[i].name);
    if (t->class_fd)
        for (size_t i = 0; i < t->nclasses; i++)
            if (t->class_fd[i] >= 0) close(t->class_fd[i]);
    free(t->class_fd);
    free(t->docs);
    free(t->root);
    recbuf_free(&t->own);
    free(t);
}

/* Adds the documents of class c; with sizes, each one's size (a stat per document), otherwise a
 * stat only where the directory entry does not tell a regular file from the rest. */
static int list_class(gn_dir_tree *t, size_t c, int sizes, size_t *cap) {
    char eb[128];
    const char *dir = join(t, t->root, t->classes[c], NULL);
    if (!dir) return gn__fail(GN_ENOMEM, "out of memory");
    DIR *d = opendir(dir);
    if (!d) return gn__fail(GN_EIO, "%s: cannot read the class directory: %s", dir, gn__errno_text(errno, eb, sizeof eb));
    int st = GN_OK;
    struct dirent *e;
    const uint64_t cseed = gn__hash64(t->classes[c], strlen(t->classes[c]), 0);
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        uint64_t size = 0;
#ifdef DT_REG
        const int known = !sizes && e->d_type != DT_UNKNOWN && e->d_type != DT_LNK;
        if (known && e->d_type != DT_REG) continue;
#else
        const int known = 0;
#endif
        if (!known) {
            struct stat sb;
            if (fstatat(dirfd(d), e->d_name, &sb, 0) != 0) { /* relative: no walk of the whole path */
                const int en = errno;
                const char *path = join(t, t->root, t->classes[c], e->d_name);
                st = gn__fail(GN_EIO, "%s: cannot read: %s", path ? path : e->d_name, gn__errno_text(en, eb, sizeof eb));
                break;
            }
            if (!S_ISREG(sb.st_mode)) continue; /* deeper levels and special files are not documents */
            size = (uint64_t)sb.st_size;
            if (size > GN_DIR_MAX_DOC) {
                const char *path = join(t, t->root, t->classes[c], e->d_name);
                st = gn__fail(GN_ELIMIT, "%s: a document of %llu bytes (at most 1 GiB)", path ? path : e->d_name,
                              (unsigned long long)size);
                break;
            }
        }
        if (t->ndocs == *cap) {
            size_t nc = *cap ? *cap * 2 : 1024;
            doc *nd = realloc(t->docs, nc * sizeof *nd);
            if (!nd) { st = gn__fail(GN_ENOMEM, "out of memory"); break; }
            t->docs = nd;
            *cap = nc;
        }
        doc *dd = &t->docs[t->ndocs];
        const size_t nl = strlen(e->d_name);
        if (!(dd->name = malloc(nl + 1))) { st = gn__fail(GN_ENOMEM, "out of memory"); break; }
        memcpy(dd->name, e->d_name, nl + 1);
        dd->cls = c;
        dd->size = size;
        /* the order: the hash of "class/name" (the class name seeds the hash of the name) */
        dd->order = gn__hash64(e->d_name, nl, cseed);
        t->ndocs++;
        t->bytes += size + strlen(t->classes[c]) + 2;
        errno = 0;
    }
    if (st == GN_OK && errno != 0)
        st = gn__fail(GN_EIO, "%s: cannot read the class directory: %s", dir, gn__errno_text(errno, eb, sizeof eb));
    closedir(d);
    return st;
}

/* Lists the classes of the tree at root and, when docs, their documents (2: with their sizes). */
static int open_tree(const char *root, int docs, gn_dir_tree **out) {
    char eb[128];
    gn_dir_tree *t = calloc(1, sizeof *t);
    if (!t || !(t->root = strdup(root))) {
        free(t);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    size_t rl = strlen(t->root);
    while (rl > 1 && t->root[rl - 1] == '/') t->root[--rl] = '\0';
    int st = GN_OK;
    DIR *d = opendir(root);
    if (!d) {
        st = gn__fail(GN_EIO, "%s: --format dir needs a directory DIR/<class>/<doc>: %s", root,
                      gn__errno_text(errno, eb, sizeof eb));
        goto fail;
    }
    size_t ccap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        const char *path = join(t, t->root, e->d_name, NULL);
        struct stat sb;
        if (!path) { st = gn__fail(GN_ENOMEM, "out of memory"); break; }
        if (stat(path, &sb) != 0) {
            st = gn__fail(GN_EIO, "%s: cannot read: %s", path, gn__errno_text(errno, eb, sizeof eb));
            break;
        }
        if (!S_ISDIR(sb.st_mode)) continue; /* README, vocabulary files: not a class */
        if (!plain_name(e->d_name)) {
            st = gn__fail(GN_EINVAL, "%s: a class name must be UTF-8 without tabs or line breaks", path);
            break;
        }
        if (t->nclasses == ccap) {
            size_t nc = ccap ? ccap * 2 : 16;
            char **ncl = realloc(t->classes, nc * sizeof *ncl);
            if (!ncl) { st = gn__fail(GN_ENOMEM, "out of memory"); break; }
            t->classes = ncl;
            ccap = nc;
        }
        if (!(t->classes[t->nclasses] = strdup(e->d_name))) { st = gn__fail(GN_ENOMEM, "out of memory"); break; }
        t->nclasses++;
    }
    closedir(d);
    if (st != GN_OK) goto fail;
    if (t->nclasses == 0) {
        st = gn__fail(GN_EIO, "%s: no class subdirectories (--format dir reads DIR/<class>/<doc>)", t->root);
        goto fail;
    }
    qsort(t->classes, t->nclasses, sizeof *t->classes, by_name);
    if (!docs) {
        *out = t;
        return GN_OK;
    }
    size_t dcap = 0;
    for (size_t c = 0; c < t->nclasses && st == GN_OK; c++) st = list_class(t, c, docs == 2, &dcap);
    if (st != GN_OK) goto fail;
    if (t->ndocs == 0) {
        st = gn__fail(GN_EIO, "%s: no documents in its class subdirectories (--format dir reads DIR/<class>/<doc>)",
                      t->root);
        goto fail;
    }
    qsort(t->docs, t->ndocs, sizeof *t->docs, by_order);
    if (docs == 2) t->want_readers = gn__dir_tree_default_readers();
    if (t->nclasses <= CLASS_FDS_MAX) {
        if (!(t->class_fd = malloc(t->nclasses * sizeof *t->class_fd))) {
            st = gn__fail(GN_ENOMEM, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < t->nclasses; i++) t->class_fd[i] = -1;
    }
    *out = t;
    return GN_OK;
fail:
    gn__dir_tree_free(t);
    return st;
}

int gn__dir_tree_open(const char *root, gn_dir_tree **out) { return open_tree(root, 2, out); }

int gn__dir_tree_open_names(const char *root, gn_dir_tree **out) { return open_tree(root, 1, out); }

int gn__dir_tree_open_classes(const char *root, gn_dir_tree **out) { return open_tree(root, 0, out); }

/* Reads document i into rb as its record "class<TAB>text<LF>" (rb->len bytes). The class
 * directories' descriptors must be open (open_class_fds) when helpers call it. */
static int load_record(gn_dir_tree *t, recbuf *rb, size_t i) {
    char eb[128];
    const doc *dd = &t->docs[i];
    const char *cls = t->classes[dd->cls];
    int fd;
    if (t->class_fd && t->class_fd[dd->cls] >= 0) /* relative: no walk of the whole path per document */
        fd = openat(t->class_fd[dd->cls], dd->name, O_RDONLY | O_CLOEXEC);
    else
        fd = open(join_in(rb, t->root, cls, dd->name) ? rb->path : "", O_RDONLY | O_CLOEXEC);
#define PATH (join_in(rb, t->root, cls, dd->name) ? rb->path : dd->name)
    if (fd < 0) {
        const int en = errno;
        return gn__fail(GN_EIO, "%s: cannot open: %s", PATH, gn__errno_text(en, eb, sizeof eb));
    }
    const size_t cl = strlen(cls);
    size_t len = 0;
    int st = GN_OK;
    /* room for the listed size and a byte more, so one read sees the whole file and its end */
    const size_t want = cl + 1 + (size_t)dd->size + 2 + 4096;
    for (;;) {
        const size_t need = len + 4096 + cl + 3 > want ? len + 4096 + cl + 3 : want;
        if (rb->cap < need) {
            if (need > GN_DIR_MAX_DOC + cl + 8192 + 4096) {
                st = gn__fail(GN_ELIMIT, "%s: larger than 1 GiB", PATH);
                break;
            }
            size_t nc = rb->cap ? rb->cap : 65536;
            while (nc < need) nc *= 2;
            char *r = realloc(rb->rec, nc);
            if (!r) { st = gn__fail(GN_ENOMEM, "%s: out of memory", PATH); break; }
            rb->rec = r;
            rb->cap = nc;
        }
        if (len == 0) {
            memcpy(rb->rec, cls, cl);
            rb->rec[cl] = '\t';
            len = cl + 1;
        }
        const size_t ask = rb->cap - len - 1;
        ssize_t got;
        do got = read(fd, rb->rec + len, ask);
        while (got < 0 && errno == EINTR);
        if (got < 0) {
            const int en = errno;
            st = gn__fail(GN_EIO, "%s: read error: %s", PATH, gn__errno_text(en, eb, sizeof eb));
            break;
        }
        if (got == 0) break;
        len += (size_t)got;
        if (len - cl - 1 > GN_DIR_MAX_DOC) {
            st = gn__fail(GN_ELIMIT, "%s: larger than 1 GiB", PATH);
            break;
        }
        /* a short read of a regular file past its listed size is its end: no read to see 0 */
        if ((size_t)got < ask && dd->size > 0 && len - cl - 1 >= dd->size) break;
    }
    close(fd);
    if (st != GN_OK) return st;
    unsigned char *body = (unsigned char *)rb->rec + cl + 1;
    size_t blen = len - cl - 1;
    if (blen >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF) body[0] = body[1] = body[2] = ' '; /* BOM */
    for (size_t k = 0; k < blen; k++) {
        if (body[k] == '\n' || body[k] == '\r') body[k] = ' ';
        else if (body[k] == 0) return gn__fail(GN_EFORMAT, "%s: a NUL byte at byte %zu (not a text file?)", PATH, k + 1);
    }
    size_t bad = gn__utf8_invalid_at(body, blen);
    if (bad < blen)
        return gn__fail(GN_EFORMAT, "%s: invalid UTF-8 byte 0x%02x at byte %zu (documents must be UTF-8 text)", PATH,
                        body[bad], bad + 1);
#undef PATH
    rb->rec[len++] = '\n';
    rb->len = len;
    return GN_OK;
}

/* Opens the class directories (once), so that documents open relative to them. */
static int open_class_fds(gn_dir_tree *t) {
    char eb[128];
    if (!t->class_fd) return GN_OK;
    for (size_t c = 0; c < t->nclasses; c++) {
        if (t->class_fd[c] >= 0) continue;
        const char *dir = join(t, t->root, t->classes[c], NULL);
        if (!dir) return gn__fail(GN_ENOMEM, "out of memory");
        t->class_fd[c] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t->class_fd[c] < 0) return gn__fail(GN_EIO, "%s: cannot open: %s", dir, gn__errno_text(errno, eb, sizeof eb));
    }
    return GN_OK;
}

/* ---- helpers reading ahead ------------------------------------------------------------------ */

/* A helper: takes the next document whose slot is free, fills the slot, marks it ready. */
static void *reader_main(void *arg) {
    gn_dir_tree *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!t->stop && t->fill_next < t->ndocs && t->ring[t->fill_next % t->nring].state != SLOT_FREE) {
            t->helpers_wait++;
            pthread_cond_wait(&t->cond_free, &t->mu);
            t->helpers_wait--;
        }
        if (t->stop || t->fill_next >= t->ndocs) break;
        const size_t i = t->fill_next++;
        slot *sl = &t->ring[i % t->nring];
        sl->state = SLOT_BUSY;
        sl->doc = i;
        pthread_mutex_unlock(&t->mu);
        int st = load_record(t, &sl->b, i);
        if (st != GN_OK) snprintf(sl->msg, sizeof sl->msg, "%s", gn_last_error());
        pthread_mutex_lock(&t->mu);
        sl->st = st;
        sl->state = SLOT_READY;
        if (t->caller_waits) pthread_cond_signal(&t->cond_ready); /* one waiter: the caller */
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

static void stop_readers(gn_dir_tree *t) {
    if (t->nreaders) {
        pthread_mutex_lock(&t->mu);
        t->stop = 1;
        pthread_cond_broadcast(&t->cond_free);
        pthread_mutex_unlock(&t->mu);
        for (uint32_t k = 0; k < t->nreaders; k++) pthread_join(t->th[k], NULL);
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cond_ready);
        pthread_cond_destroy(&t->cond_free);
        t->nreaders = 0;
    }
    if (t->ring)
        for (size_t k = 0; k < t->nring; k++) recbuf_free(&t->ring[k].b);
    free(t->ring);
    t->ring = NULL;
    t->nring = 0;
}

/* Starts want_readers helpers at document t->next (0 started, and reading in line, when there are
 * too few documents to share or a thread cannot be made). */
static int start_readers(gn_dir_tree *t) {
    uint32_t n = t->want_readers > READERS_MAX ? READERS_MAX : t->want_readers;
    if (n == 0 || t->ndocs - t->next < 2) return GN_OK;
    GN_TRY(open_class_fds(t));
    t->nring = (size_t)n * RING_PER_READER;
    if (!(t->ring = calloc(t->nring, sizeof *t->ring))) return gn__fail(GN_ENOMEM, "out of memory");
    t->fill_next = t->next;
    t->held = 0;
    t->stop = 0;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cond_ready, NULL);
    pthread_cond_init(&t->cond_free, NULL);
    for (uint32_t k = 0; k < n; k++) {
        if (pthread_create(&t->th[k], NULL, reader_main, t) != 0) break;
        t->nreaders++;
    }
    if (t->nreaders == 0) { /* no thread: read in line */
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cond_ready);
        pthread_cond_destroy(&t->cond_free);
        free(t->ring);
        t->ring = NULL;
        t->nring = 0;
        t->want_readers = 0;
    }
    return GN_OK;
}

/* Makes docs[t->next] the current record (t->cur, t->rec_len) and advances t->next. */
static int next_record(gn_dir_tree *t) {
    if (t->want_readers && !t->nreaders && !t->ring) GN_TRY(start_readers(t));
    if (!t->nreaders) {
        if (!t->class_fd || t->class_fd[t->docs[t->next].cls] < 0) GN_TRY(open_class_fds(t));
        GN_TRY(load_record(t, &t->own, t->next));
        t->next++;
        t->cur = t->own.rec;
        t->rec_len = t->own.len;
        t->rec_pos = 0;
        return GN_OK;
    }
    slot *sl = &t->ring[t->next % t->nring];
    pthread_mutex_lock(&t->mu);
    if (t->held) { /* the record read out before: its slot is free again */
        t->ring[t->held - 1].state = SLOT_FREE;
        t->held = 0;
        /* helpers that found the ring full resume once half of it is free: a wake-up per half
         * ring, not per document (each one a futex call, and a switch on a busy machine) */
        if (t->helpers_wait && t->nring - (t->fill_next - t->next) >= t->nring / 2)
            pthread_cond_broadcast(&t->cond_free);
    }
    while (!(sl->state == SLOT_READY && sl->doc == t->next)) {
        if (t->helpers_wait) pthread_cond_broadcast(&t->cond_free);
        t->caller_waits = 1;
        pthread_cond_wait(&t->cond_ready, &t->mu);
        t->caller_waits = 0;
    }
    pthread_mutex_unlock(&t->mu);
    if (sl->st != GN_OK) return gn__fail(sl->st, "%s", sl->msg); /* the slot stays: every later read fails alike */
    t->held = (size_t)(sl - t->ring) + 1;
    t->next++;
    t->cur = sl->b.rec;
    t->rec_len = sl->b.len;
    t->rec_pos = 0;
    return GN_OK;
}

ssize_t gn__dir_tree_read(gn_dir_tree *t, char *dst, size_t cap) {
    size_t o = 0;
    while (o < cap) {
        if (t->rec_pos == t->rec_len) {
            if (t->next == t->ndocs) break;
            if (next_record(t) != GN_OK) return -1;
        }
        size_t n = t->rec_len - t->rec_pos;
        if (n > cap - o) n = cap - o;
        memcpy(dst + o, t->cur + t->rec_pos, n);
        t->rec_pos += n;
        o += n;
    }
    return (ssize_t)o;
}

void gn__dir_tree_set_readers(gn_dir_tree *t, uint32_t n) {
    if (!t->nreaders && !t->ring) t->want_readers = n > READERS_MAX ? READERS_MAX : n;
}

uint32_t gn__dir_tree_default_readers(void) {
    const char *e = getenv("GN_DIR_READERS");
    if (e && *e) {
        char *end;
        unsigned long v = strtoul(e, &end, 10);
        if (*end == '\0') return v > READERS_MAX ? READERS_MAX : (uint32_t)v;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores >= 4 ? 2 : cores >= 2 ? 1 : 0;
}

uint64_t gn__dir_tree_bytes(const gn_dir_tree *t) { return t->bytes; }
size_t gn__dir_tree_docs(const gn_dir_tree *t) { return t->ndocs; }

size_t gn__dir_tree_classes(const gn_dir_tree *t, const char *const **names) {
    *names = (const char *const *)t->classes;
    return t->nclasses;
}

size_t gn__dir_tree_doc_class(const gn_dir_tree *t, size_t i) { return t->docs[i].cls; }
