/* io/dirtree.c: a --format dir tree listed once and read as a stream of "class<TAB>text" records
 * (the rules are in io/dirtree.h). A document is read whole into one buffer (the largest
 * document's size), checked, its line breaks turned into spaces, then handed out in pieces. */
#include "io/dirtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
    size_t cls;      /* index into classes */
    char *name;      /* the file's name in its class directory (owned) */
} doc;

struct gn_dir_tree {
    char *root;
    char **classes;
    size_t nclasses;
    doc *docs;
    size_t ndocs;
    uint64_t bytes;
    /* reading: the record of docs[next - 1] in rec[rec_pos, rec_len) */
    size_t next;
    char *rec;
    size_t rec_cap, rec_len, rec_pos;
    char *path;      /* scratch for a document's path */
    size_t path_cap;
    int *class_fd;   /* each class directory, opened on its first document (-1: not yet) */
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

/* Joins a/b[/c] into t->path. */
static const char *join(gn_dir_tree *t, const char *a, const char *b, const char *c) {
    size_t need = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
    if (need > t->path_cap) {
        char *p = realloc(t->path, need);
        if (!p) return NULL;
        t->path = p;
        t->path_cap = need;
    }
    if (c) snprintf(t->path, t->path_cap, "%s/%s/%s", a, b, c);
    else snprintf(t->path, t->path_cap, "%s/%s", a, b);
    return t->path;
}

void gn__dir_tree_free(gn_dir_tree *t) {
    if (!t) return;
    for (size_t i = 0; i < t->nclasses; i++) free(t->classes[i]);
    free(t->classes);
    for (size_t i = 0; i < t->ndocs; i++) free(t->docs[i].name);
    if (t->class_fd)
        for (size_t i = 0; i < t->nclasses; i++)
            if (t->class_fd[i] >= 0) close(t->class_fd[i]);
    free(t->class_fd);
    free(t->docs);
    free(t->root);
    free(t->rec);
    free(t->path);
    free(t);
}

/* Adds the documents of class c. */
static int list_class(gn_dir_tree *t, size_t c, size_t *cap) {
    char eb[128];
    const char *dir = join(t, t->root, t->classes[c], NULL);
    if (!dir) return gn__fail(GN_ENOMEM, "out of memory");
    DIR *d = opendir(dir);
    if (!d) return gn__fail(GN_EIO, "%s: cannot read the class directory: %s", dir, gn__errno_text(errno, eb, sizeof eb));
    int st = GN_OK;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        const char *path = join(t, t->root, t->classes[c], e->d_name);
        struct stat sb;
        if (!path) { st = gn__fail(GN_ENOMEM, "out of memory"); break; }
        if (fstatat(dirfd(d), e->d_name, &sb, 0) != 0) { /* relative: no walk of the whole path */
            st = gn__fail(GN_EIO, "%s: cannot read: %s", path, gn__errno_text(errno, eb, sizeof eb));
            break;
        }
        if (!S_ISREG(sb.st_mode)) continue; /* deeper levels and special files are not documents */
        if ((uint64_t)sb.st_size > GN_DIR_MAX_DOC) {
            st = gn__fail(GN_ELIMIT, "%s: a document of %llu bytes (at most 1 GiB)", path, (unsigned long long)sb.st_size);
            break;
        }
        if (t->ndocs == *cap) {
            size_t nc = *cap ? *cap * 2 : 1024;
            doc *nd = realloc(t->docs, nc * sizeof *nd);
            if (!nd) { st = gn__fail(GN_ENOMEM, "out of memory"); break; }
            t->docs = nd;
            *cap = nc;
        }
        doc *dd = &t->docs[t->ndocs];
        if (!(dd->name = strdup(e->d_name))) { st = gn__fail(GN_ENOMEM, "out of memory"); break; }
        dd->cls = c;
        /* the order: the hash of "class/name" (the class name seeds the hash of the name) */
        dd->order = gn__hash64(e->d_name, strlen(e->d_name), gn__hash64(t->classes[c], strlen(t->classes[c]), 0));
        t->ndocs++;
        t->bytes += (uint64_t)sb.st_size + strlen(t->classes[c]) + 2;
        errno = 0;
    }
    if (st == GN_OK && errno != 0)
        st = gn__fail(GN_EIO, "%s: cannot read the class directory: %s", dir, gn__errno_text(errno, eb, sizeof eb));
    closedir(d);
    return st;
}

/* Lists the classes of the tree at root and, when docs, their documents. */
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
    for (size_t c = 0; c < t->nclasses && st == GN_OK; c++) st = list_class(t, c, &dcap);
    if (st != GN_OK) goto fail;
    if (t->ndocs == 0) {
        st = gn__fail(GN_EIO, "%s: no documents in its class subdirectories (--format dir reads DIR/<class>/<doc>)",
                      t->root);
        goto fail;
    }
    qsort(t->docs, t->ndocs, sizeof *t->docs, by_order);
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

int gn__dir_tree_open(const char *root, gn_dir_tree **out) { return open_tree(root, 1, out); }

int gn__dir_tree_open_classes(const char *root, gn_dir_tree **out) { return open_tree(root, 0, out); }

/* Reads document i into t->rec as its record. */
static int load_record(gn_dir_tree *t, size_t i) {
    char eb[128];
    const doc *dd = &t->docs[i];
    const char *cls = t->classes[dd->cls];
    const char *path = join(t, t->root, cls, dd->name);
    if (!path) return gn__fail(GN_ENOMEM, "out of memory");
    int fd;
    if (t->class_fd) { /* relative to the class directory: no walk of the whole path per document */
        if (t->class_fd[dd->cls] < 0) {
            const char *dir = join(t, t->root, cls, NULL);
            if (!dir) return gn__fail(GN_ENOMEM, "out of memory");
            t->class_fd[dd->cls] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (t->class_fd[dd->cls] < 0)
                return gn__fail(GN_EIO, "%s: cannot open: %s", dir, gn__errno_text(errno, eb, sizeof eb));
            path = join(t, t->root, cls, dd->name);
            if (!path) return gn__fail(GN_ENOMEM, "out of memory");
        }
        fd = openat(t->class_fd[dd->cls], dd->name, O_RDONLY | O_CLOEXEC);
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) return gn__fail(GN_EIO, "%s: cannot open: %s", path, gn__errno_text(errno, eb, sizeof eb));
    const size_t cl = strlen(cls);
    size_t len = 0;
    int st = GN_OK;
    for (;;) {
        if (t->rec_cap - len < 4096 + 2 + (len == 0 ? cl + 1 : 0)) {
            size_t nc = t->rec_cap ? t->rec_cap * 2 : 65536;
            while (nc - len < 4096 + cl + 3) nc *= 2;
            if (nc > GN_DIR_MAX_DOC + cl + 4096) {
                st = gn__fail(GN_ELIMIT, "%s: larger than 1 GiB", path);
                break;
            }
            char *r = realloc(t->rec, nc);
            if (!r) { st = gn__fail(GN_ENOMEM, "%s: out of memory", path); break; }
            t->rec = r;
            t->rec_cap = nc;
        }
        if (len == 0) {
            memcpy(t->rec, cls, cl);
            t->rec[cl] = '\t';
            len = cl + 1;
        }
        ssize_t got;
        do got = read(fd, t->rec + len, t->rec_cap - len - 1);
        while (got < 0 && errno == EINTR);
        if (got < 0) {
            st = gn__fail(GN_EIO, "%s: read error: %s", path, gn__errno_text(errno, eb, sizeof eb));
            break;
        }
        if (got == 0) break;
        len += (size_t)got;
    }
    close(fd);
    if (st != GN_OK) return st;
    unsigned char *body = (unsigned char *)t->rec + cl + 1;
    size_t blen = len - cl - 1;
    if (blen >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF) body[0] = body[1] = body[2] = ' '; /* BOM */
    for (size_t k = 0; k < blen; k++) {
        if (body[k] == '\n' || body[k] == '\r') body[k] = ' ';
        else if (body[k] == 0) return gn__fail(GN_EFORMAT, "%s: a NUL byte at byte %zu (not a text file?)", path, k + 1);
    }
    size_t bad = gn__utf8_invalid_at(body, blen);
    if (bad < blen)
        return gn__fail(GN_EFORMAT, "%s: invalid UTF-8 byte 0x%02x at byte %zu (documents must be UTF-8 text)", path,
                        body[bad], bad + 1);
    t->rec[len++] = '\n';
    t->rec_len = len;
    t->rec_pos = 0;
    return GN_OK;
}

ssize_t gn__dir_tree_read(gn_dir_tree *t, char *dst, size_t cap) {
    size_t o = 0;
    while (o < cap) {
        if (t->rec_pos == t->rec_len) {
            if (t->next == t->ndocs) break;
            if (load_record(t, t->next++) != GN_OK) return -1;
        }
        size_t n = t->rec_len - t->rec_pos;
        if (n > cap - o) n = cap - o;
        memcpy(dst + o, t->rec + t->rec_pos, n);
        t->rec_pos += n;
        o += n;
    }
    return (ssize_t)o;
}

uint64_t gn__dir_tree_bytes(const gn_dir_tree *t) { return t->bytes; }
size_t gn__dir_tree_docs(const gn_dir_tree *t) { return t->ndocs; }

size_t gn__dir_tree_classes(const gn_dir_tree *t, const char *const **names) {
    *names = (const char *const *)t->classes;
    return t->nclasses;
}

size_t gn__dir_tree_doc_class(const gn_dir_tree *t, size_t i) { return t->docs[i].cls; }
