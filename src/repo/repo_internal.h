/* repo/repo_internal.h: repository pieces the server uses (serve/registry.c). */
#ifndef GN_REPO_REPO_INTERNAL_H
#define GN_REPO_REPO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/repo.h"

/* pointer: a model's `current` file (REPO/NAME/current). Reads the version it names and writes
 * REPO/NAME/VERSION/model.gnm into model_path. GN_EIO (no pointer), GN_EFORMAT (not a version),
 * GN_ELIMIT (path too long). */
int gn__repo_resolve_pointer(const char *pointer, char *model_path, size_t size, uint32_t *version);

#endif
