/* util/atomic_file.c: temp file, fsync, rename, directory fsync (see atomic_file.h). */
#include "util/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "gannet/files.h"
#include "util/error.h"

/* ---- the temp files in progress, for a signal handler ---------------------------------------
 * A process-wide table, as signals are process-wide: each atomic write registers its temp path
 * here while the file exists, and gn_remove_temp_files (async-signal-safe) unlinks them. A slot
 * is a small seqlock: the writer claims it (FREE -> BUSY), copies the path in, bumps gen and marks
 * it READY; releasing bumps gen before freeing it. The handler copies a READY slot's path and
 * uses the copy only if the slot was READY with the same gen before and after, so it never
 * unlinks a path half rewritten by another thread. The path bytes are atomics (relaxed) so that
 * this is no data race; every atomic here is lock-free (checked below), hence signal-safe. A path
 * too long for a slot, or a write while all slots are taken, is simply not registered: its temp
 * file is then removed by the next write to the same destination (remove_stale_temps). */
#define TEMP_SLOTS 16
#define TEMP_PATH_MAX 4096
enum { SLOT_FREE = 0, SLOT_BUSY = 1, SLOT_READY = 2 };

typedef struct temp_slot {
    atomic_int state;
    atomic_uint gen;
    _Atomic unsigned char path[TEMP_PATH_MAX];
} temp_slot;

_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_CHAR_LOCK_FREE == 2, "the temp-file table needs lock-free atomics");

static temp_slot temp_slots[TEMP_SLOTS];

/* The slot holding path now, or -1 when it could not be registered. */
static int temp_register(const char *path) {
    size_t n = strlen(path);
    if (n >= TEMP_PATH_MAX) return -1;
    for (int i = 0; i < TEMP_SLOTS; i++) {
        temp_slot *s = &temp_slots[i];
        int expect = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&s->state, &expect, SLOT_BUSY)) continue;
        for (size_t k = 0; k <= n; k++) atomic_store_explicit(&s->path[k], (unsigned char)path[k], memory_order_relaxed);
        atomic_fetch_add(&s->gen, 1);
        atomic_store(&s->state, SLOT_READY);
        return i;
    }
    return -1;
}

static void temp_release(int slot) {
    if (slot < 0) return;
    temp_slot *s = &temp_slots[slot];
    atomic_store(&s->state, SLOT_BUSY);
    atomic_fetch_add(&s->gen, 1);
    atomic_store(&s->state, SLOT_FREE);
}

void gn_remove_temp_files(void) {
    int saved = errno;
    for (int i = 0; i < TEMP_SLOTS; i++) {
        temp_slot *s = &temp_slots[i];
        unsigned gen = atomic_load(&s->gen);
        if (atomic_load(&s->state) != SLOT_READY) continue;
        char path[TEMP_PATH_MAX];
        size_t k = 0;
        while (k + 1 < sizeof path && (path[k] = (char)atomic_load_explicit(&s->path[k], memory_order_relaxed))) k++;
        path[k] = '\0';
        if (atomic_load(&s->state) != SLOT_READY || atomic_load(&s->gen) != gen) continue;
        unlink(path);
    }
    errno = saved;
}

/* ---- temp files left by dead processes ----------------------------------------------------- */

/* The pid of "<base>.tmp.<pid>.<16 hex digits>" (the names temp_name makes for base), else 0. */
static long temp_owner(const char *entry, const char *base, size_t base_len) {
    if (strncmp(entry, base, base_len) != 0 || strncmp(entry + base_len, ".tmp.", 5) != 0) return 0;
    const char *p = entry + base_len + 5;
    long pid = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (digits >= 10 || (pid = pid * 10 + (*p - '0')) > INT_MAX) return 0;
    }
    if (!digits || *p++ != '.') return 0;
    for (int k = 0; k < 16; k++, p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return *p ? 0 : pid;
}

/* Removes the temp files of path ("<path>.tmp.<pid>.<hex>") whose process no longer runs: what a
 * SIGKILL, a crash or a power cut during an earlier write left behind. kill(pid, 0) failing with
 * ESRCH says the pid is free; a live process (ours, or one of another user: EPERM) keeps its
 * file. Best effort: a directory that cannot be read is left alone. Caveat: a writer in another
 * PID namespace or on another host sharing the directory looks dead; its write then fails at the
 * rename (its data is not lost, it is simply not written). */
static void remove_stale_temps(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t base_len = strlen(base), dir_len = slash ? (slash == path ? 1 : (size_t)(slash - path)) : 0;
    if (!base_len || dir_len + base_len + 64 > TEMP_PATH_MAX) return;
    char dir[TEMP_PATH_MAX];
    if (!dir_len) strcpy(dir, ".");
    else {
        memcpy(dir, path, dir_len);
        dir[dir_len] = '\0';
    }
    DIR *d = opendir(dir);
    if (!d) return;
    const long self = (long)getpid();
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid = temp_owner(e->d_name, base, base_len);
        if (pid <= 0 || pid == self) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char full[TEMP_PATH_MAX + 256];
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(full, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        if (unlink(full) == 0)
            gn__log(GN_LOG_INFO, "removed %s, a temporary file left by process %ld, which no longer runs", full, pid);
    }
    closedir(d);
}

/* "<path>.tmp.<pid>.<16 hex digits>"; the random part mixes the clock, the pid, a stack address
 * and the attempt number (O_EXCL makes a collision harmless: the caller just tries again). */
static void temp_name(char *out, size_t size, const char *path, unsigned attempt) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t mix[5] = {(uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec, (uint64_t)getpid(), (uint64_t)(uintptr_t)&ts,
                       attempt};
    unsigned long long r = (unsigned long long)XXH3_64bits(mix, sizeof mix);
    snprintf(out, size, "%s.tmp.%ld.%016llx", path, (long)getpid(), r);
}

int gn__write_all(int fd, const void *buf, size_t n, const char *path) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            char eb[128];
            return gn__fail(GN_EIO, "%s: write failed: %s", path, gn__errno_text(errno, eb, sizeof eb));
        }
        p += w;
        n -= (size_t)w;
    }
    return GN_OK;
}

int gn__atomic_create(gn_atomic_file *af, const char *path) {
    char eb[128];
    af->fd = -1;
    af->slot = -1;
    af->path = path;
    size_t size = strlen(path) + 64;
    if (!(af->tmp = malloc(size))) return gn__fail(GN_ENOMEM, "%s: out of memory", path);
    remove_stale_temps(path);
    for (unsigned attempt = 0; af->fd < 0 && attempt < 16; attempt++) {
        temp_name(af->tmp, size, path, attempt);
        /* registered before it exists, so that no signal finds it created and unregistered */
        af->slot = temp_register(af->tmp);
        af->fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (af->fd < 0) {
            int err = errno;
            temp_release(af->slot);
            af->slot = -1;
            errno = err;
            if (err != EEXIST) break;
        }
    }
    if (af->fd < 0) {
        int err = errno;
        free(af->tmp);
        af->tmp = NULL;
        return gn__fail(GN_EIO, "%s: cannot create temporary file: %s", path, gn__errno_text(err, eb, sizeof eb));
    }
    return GN_OK;
}

/* fsyncs the directory holding path so that the rename itself is durable. */
static int sync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash) dir = strdup(".");
    else if (slash == path) dir = strdup("/");
    else dir = strndup(path, (size_t)(slash - path));
    if (!dir) return gn__fail(GN_ENOMEM, "%s: out of memory", path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    char eb[128];
    if (fd < 0) return gn__fail(GN_EIO, "%s: cannot open its directory: %s", path, gn__errno_text(errno, eb, sizeof eb));
    /* Some file systems cannot fsync a directory (EINVAL); the rename is then as durable as
     * they make it. */
    if (fsync(fd) != 0 && errno != EINVAL) {
        int err = errno;
        close(fd);
        return gn__fail(GN_EIO, "%s: directory fsync failed: %s", path, gn__errno_text(err, eb, sizeof eb));
    }
    close(fd);
    return GN_OK;
}

static int fail_errno(gn_atomic_file *af, FILE *f, const char *what) {
    char eb[128];
    int err = errno;
    gn__fail(GN_EIO, "%s: %s failed: %s", af->path, what, gn__errno_text(err, eb, sizeof eb));
    gn__atomic_discard(af, f);
    return GN_EIO;
}

int gn__atomic_commit(gn_atomic_file *af, FILE *f) {
    if (f && fflush(f) != 0) return fail_errno(af, f, "write");
    if (fsync(af->fd) != 0) return fail_errno(af, f, "fsync");
    int closed = f ? fclose(f) : close(af->fd);
    af->fd = -1;
    if (closed != 0) return fail_errno(af, NULL, "close");
    if (rename(af->tmp, af->path) != 0) return fail_errno(af, NULL, "rename");
    temp_release(af->slot); /* the temp file is now the target */
    af->slot = -1;
    free(af->tmp);
    af->tmp = NULL;
    return sync_parent_dir(af->path);
}

void gn__atomic_discard(gn_atomic_file *af, FILE *f) {
    if (f) fclose(f);
    else if (af->fd >= 0) close(af->fd);
    af->fd = -1;
    if (af->tmp) {
        unlink(af->tmp);
        temp_release(af->slot);
        af->slot = -1;
        free(af->tmp);
        af->tmp = NULL;
    }
}
