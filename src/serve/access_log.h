/* serve/access_log.h: the optional JSON-lines access log, one object per answered request. */
#ifndef GN_SERVE_ACCESS_LOG_H
#define GN_SERVE_ACCESS_LOG_H

#include <stddef.h>

#include "serve/server_internal.h"

typedef struct gn__access_entry {
    const char *remote;   /* client address text, may be "" */
    const char *method;
    const char *path;
    const char *model;    /* "" if the request named none */
    int status;           /* 0: no response was sent (client went away) */
    size_t bytes_in, bytes_out, instances;
    double seconds;
} gn__access_entry;

/* Appends one line (thread-safe; flushed so `tail -f` sees it). No-op without a log file. */
void gn__access_log_write(gn_server *s, const gn__access_entry *e);

#endif
