/* gannet/files.h: guards around the files a program reads and writes. gn_check_outputs refuses,
 * before anything is written, an output that is one of the inputs (`train -d d.svm -m d.svm`
 * would replace the data with a model); gn_remove_temp_files lets a signal handler remove the
 * temporary files of the atomic writes in progress (model saves, caches, checkpoints). */
#ifndef GANNET_FILES_H
#define GANNET_FILES_H

#include <stddef.h>

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

/* One file a program reads or writes. path "-" is stdin for an input and stdout for an output.
 * what names it in messages, e.g. a flag ("--model", "-d"); may be NULL. Both are borrowed. */
typedef struct gn_file_use {
    const char *path;
    const char *what;
} gn_file_use;

/* GN_EINVAL, with a message naming both, when an output is the same file as an input, or two
 * outputs are one file; GN_OK otherwise. Files are compared by device and inode, so a symlink or
 * a hard link to an input, or another spelling of its path, is that input; an output that does not
 * exist yet is compared with the other outputs by its directory and name. Only regular files
 * count: two uses of /dev/null, a terminal that is both stdin and stdout, a pipe, a directory or
 * a missing input never conflict (opening them reports what is wrong). Stdout ("-") is compared
 * with the inputs only (--log-json /dev/stdout with stdout redirected to a file is one file on
 * purpose). Call it before opening any output. Thread-safe; reads the file system only. */
gn_status gn_check_outputs(const gn_file_use *inputs, size_t ninputs, const gn_file_use *outputs, size_t noutputs);

/* Removes the temporary file of every atomic write (model save, cache, checkpoint) this process
 * has in progress. Async-signal-safe: meant for a SIGINT/SIGTERM handler, which then re-raises the
 * signal with its default action. A write whose temp file was removed fails (GN_EIO) if the
 * process goes on. The temp file of a process killed outright (SIGKILL, a crash) is removed by
 * the next atomic write to the same destination: "DEST.tmp.PID.HEX" files whose PID no longer
 * runs. */
void gn_remove_temp_files(void);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
