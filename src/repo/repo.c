/* repo/repo.c: the model repository (gannet/repo.h): listing versions, the `current` pointer,
 * atomic publish and rollback. */
#include "gannet/repo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "repo/repo_internal.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/json_safe.h"
#include "util/names.h"

#define REPO_PATH_MAX 4096
#define META_MAX ((size_t)16 << 20)

int gn_repo_name_ok(const char *name) {
    /* a repository name is also a directory: no hidden ones */
    return gn__name_chars_ok(name, GN_REPO_MAX_NAME) && name[0] != '.';
}

/* snprintf into buf of REPO_PATH_MAX; GN_ELIMIT when the path does not fit. */
static int make_path(char *buf, const char *fmt, ...) GN_PRINTF(2, 3);
static int make_path(char *buf, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, REPO_PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= REPO_PATH_MAX) return gn__fail(GN_ELIMIT, "repository path too long");
    return GN_OK;
}

static int check_args(const char *repo, const char *name) {
    if (!repo || !*repo) return gn__fail(GN_EINVAL, "repository: empty path");
    if (!gn_repo_name_ok(name))
        return gn__fail(GN_EINVAL, "model name '%s': use 1-%u of A-Z a-z 0-9 _ - . (not starting with '.')",
                        name ? name : "", GN_REPO_MAX_NAME - 1);
    return GN_OK;
}

/* A version directory name: decimal digits, no leading zero, 1..GN_REPO_MAX_VERSIONS. */
static uint32_t parse_version(const char *s) {
    if (!*s || *s == '0' || strlen(s) > 9) return 0;
    unsigned long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    return v <= GN_REPO_MAX_VERSIONS ? (uint32_t)v : 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

gn_status gn_repo_versions(const char *repo, const char *name, uint32_t **versions, size_t *n) {
    GN_TRY(check_args(repo, name));
    char dir[REPO_PATH_MAX];
    GN_TRY(make_path(dir, "%s/%s", repo, name));
    *versions = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return GN_OK;
        return gn__fail(GN_EIO, "%s: %s", dir, GN_ERRNO_TEXT(errno));
    }
    uint32_t *v = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint32_t ver = parse_version(e->d_name);
        if (!ver) continue;
        char p[REPO_PATH_MAX];
        struct stat st;
        if (make_path(p, "%s/%s/model.gnm", dir, e->d_name) != GN_OK || stat(p, &st) != 0) continue;
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 16;
            uint32_t *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                free(v);
                closedir(d);
                return gn__fail(GN_ENOMEM, "out of memory");
            }
            v = nv;
            cap = nc;
        }
        v[cnt++] = ver;
    }
    closedir(d);
    if (cnt) qsort(v, cnt, sizeof *v, cmp_u32);
    *versions = v;
    *n = cnt;
    return GN_OK;
}

/* Reads the pointer file p: *version 0 when it does not exist. */
static int read_pointer(const char *p, uint32_t *version) {
    *version = 0;
    /* O_NONBLOCK: a FIFO put there does not block the reader (a server's reload) */
    int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        int err = errno;
        if (fd >= 0) close(fd);
        if (err == ENOENT) return GN_OK;
        return gn__fail(GN_EIO, "%s: %s", p, GN_ERRNO_TEXT(err));
    }
    char buf[32];
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    int err = ferror(f);
    fclose(f);
    if (err) return gn__fail(GN_EIO, "%s: read failed", p);
    buf[got] = '\0';
    if (got && buf[got - 1] == '\n') buf[--got] = '\0';
    uint32_t v = parse_version(buf);
    if (!v) return gn__fail(GN_EFORMAT, "%s: not a version number: '%.20s'", p, buf);
    *version = v;
    return GN_OK;
}

gn_status gn_repo_current(const char *repo, const char *name, uint32_t *version) {
    GN_TRY(check_args(repo, name));
    char p[REPO_PATH_MAX];
    GN_TRY(make_path(p, "%s/%s/current", repo, name));
    return read_pointer(p, version);
}

int gn__repo_resolve_pointer(const char *pointer, char *model_path, size_t size, uint32_t *version) {
    uint32_t v;
    GN_TRY(read_pointer(pointer, &v));
    if (!v) return gn__fail(GN_EIO, "%s: no current version", pointer);
    const char *slash = strrchr(pointer, '/');
    int dir_len = slash ? (int)(slash - pointer) : 1;
    int n = snprintf(model_path, size, "%.*s/%u/model.gnm", dir_len, slash ? pointer : ".", v);
    if (n < 0 || (size_t)n >= size) return gn__fail(GN_ELIMIT, "%s: path too long", pointer);
    *version = v;
    return GN_OK;
}

gn_status gn_repo_model_path(const char *repo, const char *name, uint32_t version, char *buf, size_t size) {
    GN_TRY(check_args(repo, name));
    int n = snprintf(buf, size, "%s/%s/%u/model.gnm", repo, name, version);
    if (n < 0 || (size_t)n >= size) return gn__fail(GN_ELIMIT, "repository path too long");
    return GN_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void gn_repo_names_free(char **names, size_t n) {
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

gn_status gn_repo_names(const char *repo, char ***names, size_t *n) {
    if (!repo || !*repo) return gn__fail(GN_EINVAL, "repository: empty path");
    DIR *d = opendir(repo);
    if (!d) return gn__fail(GN_EIO, "repository %s: %s", repo, GN_ERRNO_TEXT(errno));
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!gn_repo_name_ok(e->d_name)) continue;
        char p[REPO_PATH_MAX];
        struct stat st;
        if (make_path(p, "%s/%s", repo, e->d_name) != GN_OK || stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 8;
            char **nv = realloc(v, nc * sizeof *nv);
            if (!nv) goto oom;
            v = nv;
            cap = nc;
        }
        if (!(v[cnt] = strdup(e->d_name))) goto oom;
        cnt++;
    }
    closedir(d);
    if (cnt) qsort(v, cnt, sizeof *v, cmp_str);
    *names = v;
    *n = cnt;
    return GN_OK;
oom:
    closedir(d);
    gn_repo_names_free(v, cnt);
    return gn__fail(GN_ENOMEM, "out of memory");
}

gn_status gn_repo_read_meta(const char *repo, const char *name, uint32_t version, char **json) {
    GN_TRY(check_args(repo, name));
    char p[REPO_PATH_MAX];
    GN_TRY(make_path(p, "%s/%s/%u/meta.json", repo, name, version));
    FILE *f = fopen(p, "rb");
    if (!f) return gn__fail(GN_EIO, "%s: %s", p, GN_ERRNO_TEXT(errno));
    char *buf = malloc(META_MAX + 1);
    if (!buf) {
        fclose(f);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    size_t got = fread(buf, 1, META_MAX + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err || got > META_MAX) {
        free(buf);
        return gn__fail(err ? GN_EIO : GN_ELIMIT, "%s: %s", p, err ? "read failed" : "larger than 16 MiB");
    }
    buf[got] = '\0';
    *json = buf;
    return GN_OK;
}

/* ---- writing ---- */

static int fsync_path(const char *path, int dir) {
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return gn__fail(GN_EIO, "%s: %s", path, GN_ERRNO_TEXT(errno));
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    if (rc != 0 && err != EINVAL) return gn__fail(GN_EIO, "%s: fsync failed: %s", path, GN_ERRNO_TEXT(err));
    return GN_OK;
}

static int mkdir_if_missing(const char *path) {
    if (mkdir(path, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            return gn__fail(GN_EIO, "%s: exists and is not a directory", path);
        return GN_OK;
    }
    return gn__fail(GN_EIO, "cannot create %s: %s", path, GN_ERRNO_TEXT(errno));
}

/* Writes text atomically as path (temp file, fsync, rename, directory fsync). */
static int write_text_atomic(const char *path, const char *text) {
    gn_atomic_file af;
    GN_TRY(gn__atomic_create(&af, path));
    int rc = gn__write_all(af.fd, text, strlen(text), path);
    if (rc != GN_OK) {
        gn__atomic_discard(&af, NULL);
        return rc;
    }
    return gn__atomic_commit(&af, NULL);
}

static int write_current(const char *repo, const char *name, uint32_t version) {
    char p[REPO_PATH_MAX], text[32];
    GN_TRY(make_path(p, "%s/%s/current", repo, name));
    snprintf(text, sizeof text, "%u\n", version);
    return write_text_atomic(p, text);
}

/* Removes a directory and the plain files in it (a dead publisher's temp version). */
static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char p[REPO_PATH_MAX];
            if (make_path(p, "%s/%s", dir, e->d_name) == GN_OK) unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* With the name's lock held: any .tmp-* directory belongs to a publisher that died. */
static void remove_stale_temp_dirs(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, ".tmp-", 5) != 0) continue;
        char p[REPO_PATH_MAX];
        if (make_path(p, "%s/%s", dir, e->d_name) == GN_OK) remove_tree(p);
    }
    closedir(d);
}

/* Opens and locks REPO/NAME/.lock (exclusive, blocking); the fd, or -1 with the error set. */
static int lock_name(const char *dir) {
    char p[REPO_PATH_MAX];
    if (make_path(p, "%s/.lock", dir) != GN_OK) return -1;
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        gn__fail(GN_EIO, "%s: %s", p, GN_ERRNO_TEXT(errno));
        return -1;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        gn__fail(GN_EIO, "%s: cannot lock: %s", p, GN_ERRNO_TEXT(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* The meta.json text of a new version: the caller's keys, then the library's. */
static int build_meta(const char *name, uint32_t version, uint32_t parent, const gn_model *model, const char *extra,
                      char **out) {
    json_t *o;
    if (extra && *extra) {
        json_error_t jerr;
        int oom = 0;
        o = gn__json_loadb(extra, strlen(extra), 0, &jerr, &oom);
        if (!o) return oom ? gn__fail(GN_ENOMEM, "out of memory") : gn__fail(GN_EINVAL, "meta: %s", jerr.text);
        if (!json_is_object(o)) {
            json_decref(o);
            return gn__fail(GN_EINVAL, "meta: not a JSON object");
        }
    } else if (!(o = json_object())) {
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    time_t now = time(NULL);
    struct tm tm;
    char when[32];
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int ok = gn__json_set(o, "name", json_string(name)) && gn__json_set(o, "version", json_integer(version)) &&
             gn__json_set(o, "parent", json_integer(parent)) && gn__json_set(o, "created", json_string(when)) &&
             gn__json_set(o, "created_unix", json_integer((json_int_t)now)) &&
             gn__json_set(o, "model_version", json_string(gn_model_version(model))) &&
             gn__json_set(o, "kind", json_string(gn_model_kind_name(gn_model_get_kind(model)))) &&
             gn__json_set(o, "loss", json_string(gn_loss_name(gn_model_get_loss(model))));
    char *text = ok ? gn__json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (!text) return gn__fail(GN_ENOMEM, "out of memory");
    size_t n = strlen(text);
    char *t2 = realloc(text, n + 2);
    if (!t2) {
        free(text);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    t2[n] = '\n';
    t2[n + 1] = '\0';
    *out = t2;
    return GN_OK;
}

static int publish_locked(const char *repo, const char *name, const char *dir, const gn_model *model,
                          const char *meta_json, int make_current, uint32_t *version_out) {
    remove_stale_temp_dirs(dir);
    uint32_t *vs;
    size_t nv;
    GN_TRY(gn_repo_versions(repo, name, &vs, &nv));
    uint32_t next = nv ? vs[nv - 1] + 1 : 1;
    free(vs);
    /* a version directory left without its model (a hand-made one) still holds its number */
    for (;;) {
        char p[REPO_PATH_MAX];
        struct stat st;
        GN_TRY(make_path(p, "%s/%u", dir, next));
        if (stat(p, &st) != 0) break;
        next++;
    }
    if (next > GN_REPO_MAX_VERSIONS) return gn__fail(GN_ELIMIT, "%s: at most %u versions", dir, GN_REPO_MAX_VERSIONS);
    uint32_t parent;
    GN_TRY(gn_repo_current(repo, name, &parent));
    char *meta = NULL;
    GN_TRY(build_meta(name, next, parent, model, meta_json, &meta));
    char tmp[REPO_PATH_MAX], p[REPO_PATH_MAX], final[REPO_PATH_MAX];
    int rc = make_path(tmp, "%s/.tmp-%u-%ld", dir, next, (long)getpid());
    if (rc == GN_OK) rc = make_path(final, "%s/%u", dir, next);
    if (rc != GN_OK) {
        free(meta);
        return rc;
    }
    if (mkdir(tmp, 0777) != 0) {
        rc = gn__fail(GN_EIO, "cannot create %s: %s", tmp, GN_ERRNO_TEXT(errno));
        free(meta);
        return rc;
    }
    if ((rc = make_path(p, "%s/model.gnm", tmp)) == GN_OK && (rc = gn_model_save(model, p)) == GN_OK &&
        (rc = make_path(p, "%s/meta.json", tmp)) == GN_OK && (rc = write_text_atomic(p, meta)) == GN_OK &&
        (rc = fsync_path(tmp, 1)) == GN_OK) {
        if (rename(tmp, final) != 0) rc = gn__fail(GN_EIO, "cannot rename %s to %s: %s", tmp, final, GN_ERRNO_TEXT(errno));
    }
    free(meta);
    if (rc != GN_OK) {
        remove_tree(tmp);
        return rc;
    }
    GN_TRY(fsync_path(dir, 1));
    if (make_current) GN_TRY(write_current(repo, name, next));
    if (version_out) *version_out = next;
    return GN_OK;
}

gn_status gn_repo_publish(const char *repo, const char *name, const gn_model *model, const char *meta_json,
                          int make_current, uint32_t *version_out) {
    GN_TRY(check_args(repo, name));
    if (!model) return gn__fail(GN_EINVAL, "publish: no model");
    char dir[REPO_PATH_MAX];
    GN_TRY(mkdir_if_missing(repo));
    GN_TRY(make_path(dir, "%s/%s", repo, name));
    GN_TRY(mkdir_if_missing(dir));
    int lock = lock_name(dir);
    if (lock < 0) return GN_EIO;
    int rc = publish_locked(repo, name, dir, model, meta_json, make_current, version_out);
    close(lock); /* drops the lock */
    return rc;
}

gn_status gn_repo_rollback(const char *repo, const char *name, uint32_t to, uint32_t *now) {
    GN_TRY(check_args(repo, name));
    char dir[REPO_PATH_MAX];
    GN_TRY(make_path(dir, "%s/%s", repo, name));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return gn__fail(GN_EINVAL, "%s: no such model in the repository", dir);
    int lock = lock_name(dir);
    if (lock < 0) return GN_EIO;
    uint32_t *vs = NULL, cur = 0;
    size_t nv = 0;
    int rc = gn_repo_versions(repo, name, &vs, &nv);
    if (rc == GN_OK) rc = gn_repo_current(repo, name, &cur);
    if (rc == GN_OK && to == 0) {
        /* the parent of the current version if present, else the highest one below it */
        char *meta = NULL;
        if (cur && gn_repo_read_meta(repo, name, cur, &meta) == GN_OK) {
            json_t *m = json_loads(meta, 0, NULL);
            json_t *par = m ? json_object_get(m, "parent") : NULL;
            uint32_t pv = json_is_integer(par) ? (uint32_t)json_integer_value(par) : 0;
            for (size_t i = 0; pv && i < nv; i++)
                if (vs[i] == pv && pv != cur) to = pv;
            json_decref(m);
            free(meta);
        }
        for (size_t i = 0; !to && i < nv; i++)
            if (vs[nv - 1 - i] < cur) to = vs[nv - 1 - i];
        if (!to)
            rc = gn__fail(GN_EINVAL, "%s: no version to roll back to (current: %u; versions: %zu)", dir, cur, nv);
    }
    if (rc == GN_OK) {
        int found = 0;
        for (size_t i = 0; i < nv; i++) found |= vs[i] == to;
        if (!found) rc = gn__fail(GN_EINVAL, "%s: no version %u", dir, to);
    }
    if (rc == GN_OK) {
        char p[REPO_PATH_MAX];
        gn_model *m = NULL;
        rc = make_path(p, "%s/%u/model.gnm", dir, to);
        if (rc == GN_OK) rc = gn_model_load(p, &m); /* never point at a model that does not load */
        gn_model_free(m);
    }
    if (rc == GN_OK) rc = write_current(repo, name, to);
    if (rc == GN_OK && now) *now = to;
    free(vs);
    close(lock);
    return rc;
}
