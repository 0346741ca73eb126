/* util/atomic_file.h: files that appear whole or not at all (models, caches, checkpoints).
 * The data goes to a fresh temp file next to the target (created with O_EXCL); committing
 * flushes and fsyncs it, renames it over the target and fsyncs the directory, so a crash leaves
 * the old file or the new one, never a half-written one. Failures are GN_EIO / GN_ENOMEM with a
 * message naming the target. While it exists the temp file is registered for gn_remove_temp_files
 * (gannet/files.h), which a signal handler calls; creating one first removes the temp files that
 * dead processes left next to the same target. */
#ifndef GN_UTIL_ATOMIC_FILE_H
#define GN_UTIL_ATOMIC_FILE_H

#include <stdio.h>

#include "gannet/gannet.h"

typedef struct gn_atomic_file {
    int fd;        /* open for writing; -1 once closed */
    char *tmp;     /* the temp file's path; NULL once renamed or removed */
    const char *path;
    int slot;      /* its entry in the table gn_remove_temp_files empties (-1: none) */
} gn_atomic_file;

/* Writes all n bytes to fd (retrying short writes and EINTR); GN_EIO naming path. */
int gn__write_all(int fd, const void *buf, size_t n, const char *path);
/* Creates "<path>.tmp.<pid>.<16 hex digits>" for writing through af->fd, after removing the
 * "<path>.tmp.<pid>.<hex>" files whose process no longer runs. */
int gn__atomic_create(gn_atomic_file *af, const char *path);
/* Makes the written data the file at path. f, if not NULL, is a stream opened on af->fd
 * (fdopen): it is flushed and closed here. On failure the temp file is removed. Either way af is
 * released. A failure of the last step, syncing the directory after the rename, is reported
 * although the new file is already in place (complete, but maybe not yet durable). */
int gn__atomic_commit(gn_atomic_file *af, FILE *f);
/* Gives up: closes (f or af->fd) and removes the temp file. Safe after a commit. */
void gn__atomic_discard(gn_atomic_file *af, FILE *f);

#endif
