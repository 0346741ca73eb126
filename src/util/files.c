/* util/files.c: gn_check_outputs (gannet/files.h): an output must not be one of the inputs, nor
 * another output, compared by device and inode before anything is written. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gannet/files.h"
#include "util/error.h"

/* What a path is on disk: an existing regular file (dev, ino), or for a missing output, the
 * directory it would be made in (dev, ino) and its name there. */
typedef struct file_id {
    int known;         /* 0: not a regular file, or it cannot be told (never conflicts) */
    int missing;       /* 1: the file does not exist; dev/ino are its directory's */
    dev_t dev;
    ino_t ino;
    const char *name;  /* missing: the last component of the path */
} file_id;

/* The last component of path, and the length of the directory part before it (0: "."). */
static const char *split_dir(const char *path, size_t *dir_len) {
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *dir_len = 0;
        return path;
    }
    *dir_len = slash == path ? 1 : (size_t)(slash - path);
    return slash + 1;
}

static file_id identify(const gn_file_use *u, int output) {
    file_id id = {0, 0, 0, 0, NULL};
    struct stat sb;
    if (!u->path || !u->path[0]) return id;
    if (!strcmp(u->path, "-")) {
        if (fstat(output ? STDOUT_FILENO : STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode)) {
            id.known = 1;
            id.dev = sb.st_dev;
            id.ino = sb.st_ino;
        }
        return id;
    }
    if (stat(u->path, &sb) == 0) {
        if (S_ISREG(sb.st_mode)) {
            id.known = 1;
            id.dev = sb.st_dev;
            id.ino = sb.st_ino;
        }
        return id;
    }
    if (!output || errno != ENOENT) return id;
    /* a new output: two of them are one file when they name one entry of one directory */
    size_t dl;
    const char *name = split_dir(u->path, &dl);
    if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") || dl >= 4096) return id;
    char dir[4096];
    if (dl == 0) strcpy(dir, ".");
    else {
        memcpy(dir, u->path, dl);
        dir[dl] = '\0';
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) return id;
    id.known = 1;
    id.missing = 1;
    id.dev = sb.st_dev;
    id.ino = sb.st_ino;
    id.name = name;
    return id;
}

static int same(const file_id *a, const file_id *b) {
    if (!a->known || !b->known || a->missing != b->missing) return 0;
    if (a->dev != b->dev || a->ino != b->ino) return 0;
    return !a->missing || !strcmp(a->name, b->name);
}

/* "--model d.svm", "d.svm" (no what), "stdout" / "stdin" (path "-"). */
static void describe(char *buf, size_t n, const gn_file_use *u, int output) {
    if (!strcmp(u->path, "-")) snprintf(buf, n, "%s", output ? "stdout" : "stdin");
    else if (u->what && u->what[0]) snprintf(buf, n, "%s %s", u->what, u->path);
    else snprintf(buf, n, "%s", u->path);
}

static gn_status conflict(const gn_file_use *out, const gn_file_use *other, int other_is_output) {
    char a[512], b[512];
    describe(a, sizeof a, out, 1);
    describe(b, sizeof b, other, other_is_output);
    if (other_is_output) return gn__fail(GN_EINVAL, "%s and %s are the same file: give each output its own file", b, a);
    return gn__fail(GN_EINVAL, "%s is the same file as the input %s: refusing to overwrite an input", a, b);
}

gn_status gn_check_outputs(const gn_file_use *inputs, size_t ninputs, const gn_file_use *outputs, size_t noutputs) {
    gn__clear_error();
    if ((ninputs && !inputs) || (noutputs && !outputs)) return gn__fail(GN_EINVAL, "check outputs: NULL list");
    for (size_t o = 0; o < noutputs; o++) {
        const file_id oid = identify(&outputs[o], 1);
        if (!oid.known) continue;
        for (size_t i = 0; i < ninputs; i++) {
            const file_id iid = identify(&inputs[i], 0);
            if (same(&oid, &iid)) return conflict(&outputs[o], &inputs[i], 0);
        }
        if (!strcmp(outputs[o].path, "-")) continue; /* stdout: against the inputs only */
        for (size_t p = 0; p < o; p++) {
            if (!outputs[p].path || !strcmp(outputs[p].path, "-")) continue;
            const file_id pid = identify(&outputs[p], 1);
            if (same(&oid, &pid)) return conflict(&outputs[o], &outputs[p], 1);
        }
    }
    return GN_OK;
}
