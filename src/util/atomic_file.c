/* util/atomic_file.c: temp file, fsync, rename, directory fsync (see atomic_file.h). */
#include "util/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "util/error.h"

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
    af->path = path;
    size_t size = strlen(path) + 64;
    if (!(af->tmp = malloc(size))) return gn__fail(GN_ENOMEM, "%s: out of memory", path);
    for (unsigned attempt = 0; af->fd < 0 && attempt < 16; attempt++) {
        temp_name(af->tmp, size, path, attempt);
        af->fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (af->fd < 0 && errno != EEXIST) break;
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
    free(af->tmp); /* the temp file is now the target */
    af->tmp = NULL;
    return sync_parent_dir(af->path);
}

void gn__atomic_discard(gn_atomic_file *af, FILE *f) {
    if (f) fclose(f);
    else if (af->fd >= 0) close(af->fd);
    af->fd = -1;
    if (af->tmp) {
        unlink(af->tmp);
        free(af->tmp);
        af->tmp = NULL;
    }
}
