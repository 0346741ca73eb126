/* gannet/repo.h: a model repository on disk, in the layout TF Serving uses:
 *
 *     REPO/NAME/VERSION/model.gnm    the model file (VERSION: 1, 2, 3, ... never reused)
 *     REPO/NAME/VERSION/meta.json    metrics, parameters, data checksums, parent version, run
 *                                    record id, creation time (docs/pipeline-file.md)
 *     REPO/NAME/current              the served version: its number and a newline
 *
 * Publishing is atomic: the version is written whole into a hidden temp directory
 * (REPO/NAME/.tmp-...), every file and the directory fsync'ed, then renamed to its number; only
 * then is the `current` pointer replaced (temp file, fsync, rename, directory fsync). A process
 * killed at any moment leaves the old `current` with a complete version behind it; the leftovers
 * of a killed publish (hidden temp directories, pointer temp files) are ignored by readers and
 * removed by the next publish. Publishers of one NAME are serialised by an advisory lock
 * (REPO/NAME/.lock, flock), which the kernel drops when a publisher dies.
 *
 * Names are 1..63 of [A-Za-z0-9_.-], not starting with '.'. Every call returns gn_status with
 * the reason in gn_last_error(); strings and arrays returned through out-parameters are owned by
 * the caller (free with free() / gn_repo_names_free). Calls are thread-safe and process-safe
 * (they hold no state between calls). */
#ifndef GANNET_REPO_H
#define GANNET_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/model.h"
#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

#define GN_REPO_MAX_NAME 64u
#define GN_REPO_MAX_VERSIONS 100000u

/* 1 if name is a valid model name in a repository. */
int gn_repo_name_ok(const char *name);

/* Publishes model as the next version of REPO/NAME (creating REPO and NAME as needed) and, when
 * make_current is 1, makes it current. meta_json: NULL or a JSON object text whose keys are
 * merged into meta.json (metrics, params, data, run_id...); the library sets "name", "version",
 * "parent" (the version current before, 0 when none), "created" (ISO 8601 UTC),
 * "created_unix", "model_version" (the model's checksum) and "kind"/"loss". *version_out (may
 * be NULL): the new version. Errors: GN_EINVAL (bad name, meta not an object), GN_EIO. */
gn_status gn_repo_publish(const char *repo, const char *name, const gn_model *model, const char *meta_json,
                          int make_current, uint32_t *version_out);

/* The current version of REPO/NAME: *version is 0 when there is none yet (no `current` file).
 * GN_EFORMAT when the pointer file holds anything but a version number. */
gn_status gn_repo_current(const char *repo, const char *name, uint32_t *version);

/* The versions present (complete version directories), ascending; *versions is NULL when there
 * are none (n 0); free with free(). */
gn_status gn_repo_versions(const char *repo, const char *name, uint32_t **versions, size_t *n);

/* The model names in REPO (directories with a valid name), sorted; free with gn_repo_names_free.
 * A missing REPO is GN_EIO. */
gn_status gn_repo_names(const char *repo, char ***names, size_t *n);
void gn_repo_names_free(char **names, size_t n);

/* The path of REPO/NAME/VERSION/model.gnm into buf (GN_ELIMIT when it does not fit). */
gn_status gn_repo_model_path(const char *repo, const char *name, uint32_t version, char *buf, size_t size);

/* meta.json of a version, as text (free with free()). */
gn_status gn_repo_read_meta(const char *repo, const char *name, uint32_t version, char **json);

/* Makes version `to` current (its model must load; GN_EINVAL if it is absent). to == 0: the
 * parent of the current version when it is still present, else the highest version below the
 * current one (GN_EINVAL when there is none). *now (may be NULL): the version made current. */
gn_status gn_repo_rollback(const char *repo, const char *name, uint32_t to, uint32_t *now);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
