/* gannet/cache.h: the binary example cache (`gannet cache`, `gannet train --cache`): examples
 * parsed and hashed once, read back much faster than text. A cache is tied to the files it was
 * made from (paths, sizes, modification times) and to the data spec; gn_train with
 * opts->cache_path remakes it when it does not match. Format and guarantees: src/io/cache.h. */
#ifndef GANNET_CACHE_H
#define GANNET_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef struct gn_cache_info {
    uint64_t examples, blocks, bytes, skipped;
} gn_cache_info;

/* Parses the files with spec and writes the cache to path atomically (temporary file, fsync,
 * rename). info may be NULL. */
gn_status gn_cache_build(const gn_data_spec *spec, const char *const *paths, size_t npaths, const char *path,
                   gn_cache_info *info);
/* GN_OK if path is a complete cache of exactly these files with this spec; GN_ESTALE if it is
 * missing or was made from other or changed files or flags; GN_EFORMAT / GN_ECHECKSUM /
 * GN_EVERSION if it is truncated or corrupt (every block's checksum is verified). */
gn_status gn_cache_check(const gn_data_spec *spec, const char *const *paths, size_t npaths, const char *path);
/* For a cache that is the data by itself (gn_train with opts->cache_path and no files): checks
 * that the data parameters named in names[0..nnames) (parameter-table names such as "bits",
 * "label"; those the caller was given, e.g. on the command line) have in spec a value that agrees
 * with the cache: the value asked for when it was made or the resolved one (format, sep and header
 * at auto agree with what was detected; skip_bad and max_line only matter for text and are not
 * checked). gn_train checks only the fields off their defaults, as it cannot tell a field given
 * at its default from one not given; this check can. GN_EINVAL naming the parameter when one
 * does not agree (or a name is not a data parameter); the errors of opening the cache otherwise.
 * Thread-safe. */
gn_status gn_cache_check_given(const char *path, const gn_data_spec *spec, const char *const *names, size_t nnames);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
