/* util/error.h: internal helpers for the thread-local last-error message and the log hook. */
#ifndef GN_UTIL_ERROR_H
#define GN_UTIL_ERROR_H

#include <stddef.h>

#include "gannet/gannet.h"

#if defined(__GNUC__)
#define GN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GN_PRINTF(a, b)
#endif

/* Sets the thread-local message and returns st, so callers can `return gn__fail(...)`. */
gn_status gn__fail(gn_status st, const char *fmt, ...) GN_PRINTF(2, 3);
/* Prefixes the current message with "prefix: " (for adding context on the way up). */
gn_status gn__fail_prefix(gn_status st, const char *fmt, ...) GN_PRINTF(2, 3);
void gn__clear_error(void);
/* strerror that is safe on any thread: the text for err, written to buf (the XSI strerror_r: the
 * build defines _POSIX_C_SOURCE/_DEFAULT_SOURCE, not _GNU_SOURCE), which it returns. */
const char *gn__errno_text(int err, char *buf, size_t size);
/* The same with a buffer that lives until the end of the enclosing block: for one message. */
#define GN_ERRNO_TEXT(err) gn__errno_text((err), (char[128]){0}, 128)
void gn__log(gn_log_level level, const char *fmt, ...) GN_PRINTF(2, 3);
int gn__log_enabled(void);

#define GN_TRY(expr) do { gn_status gn_try_st_ = (expr); if (gn_try_st_ != GN_OK) return gn_try_st_; } while (0)

#endif
