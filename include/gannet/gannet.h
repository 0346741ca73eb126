/* gannet.h: the one public header users include. Version macros, status codes, the thread-local
 * last-error message, the logging hook, and the public headers for data, models, training,
 * evaluation, data profiling and the guards around output files.
 *
 * Conventions for every gn_ call:
 * - calls return gn_status; GN_OK (0) is success, anything else an error whose readable message
 *   is then in gn_last_error() (thread-local, valid until the next failing call on this thread);
 * - results come back through trailing out-parameters, which are untouched on failure;
 * - gn_x_free(NULL) is a no-op; an object returned through **out is owned by the caller;
 * - the library never prints to stdout, never exits and never aborts. */
#ifndef GANNET_GANNET_H
#define GANNET_GANNET_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

#define GN_VERSION_MAJOR 0
#define GN_VERSION_MINOR 1
#define GN_VERSION_PATCH 0
#define GN_VERSION_STRING "0.1.0"

/* Runtime version, e.g. "0.1.0". */
const char *gn_version(void);
/* A short name for a status, e.g. "GN_EPARSE". Never NULL. */
const char *gn_status_name(gn_status st);
/* The message of the last failing call on this thread ("" if none). Thread-safe. */
const char *gn_last_error(void);

/* Log levels and hook: the library reports progress and warnings only through this callback.
 * Default: no logging. The hook is process-wide; set it before starting work. */
typedef enum gn_log_level { GN_LOG_DEBUG = 0, GN_LOG_INFO = 1, GN_LOG_WARN = 2, GN_LOG_ERROR = 3 } gn_log_level;
typedef void (*gn_log_fn)(gn_log_level level, const char *msg, void *user);
void gn_set_log_hook(gn_log_fn fn, void *user);

GN_API_END
#ifdef __cplusplus
}
#endif

#include "gannet/data.h"
#include "gannet/model.h"
#include "gannet/metrics.h"
#include "gannet/train.h"
#include "gannet/params.h"
#include "gannet/dist.h"
#include "gannet/select.h"
#include "gannet/cache.h"
#include "gannet/serve.h"
#include "gannet/describe.h"
#include "gannet/files.h"
#include "gannet/repo.h"
#include "gannet/pipeline.h"
#include "gannet/report.h"
#include "gannet/arrays.h"
#include "gannet/online.h"
#include "gannet/recommend.h"
#include "gannet/split.h"

#endif
