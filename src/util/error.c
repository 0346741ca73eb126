/* util/error.c: owns the thread-local last-error buffer, status names and the log hook. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GN_ERRBUF 1024

static _Thread_local char gn_errbuf[GN_ERRBUF];

/* The log hook is set once before work starts (documented in gannet.h). */
static gn_log_fn gn_log_hook;
static void *gn_log_user;

const char *gn_version(void) { return GN_VERSION_STRING; }

const char *gn_status_name(gn_status st) {
    switch (st) {
    case GN_OK: return "GN_OK";
    case GN_EINVAL: return "GN_EINVAL";
    case GN_ENOMEM: return "GN_ENOMEM";
    case GN_EIO: return "GN_EIO";
    case GN_EPARSE: return "GN_EPARSE";
    case GN_EFORMAT: return "GN_EFORMAT";
    case GN_ECHECKSUM: return "GN_ECHECKSUM";
    case GN_EVERSION: return "GN_EVERSION";
    case GN_EUNSUPPORTED: return "GN_EUNSUPPORTED";
    case GN_ELIMIT: return "GN_ELIMIT";
    case GN_EINTERNAL: return "GN_EINTERNAL";
    case GN_EMPI: return "GN_EMPI";
    case GN_ESTALE: return "GN_ESTALE";
    case GN_EOF: return "GN_EOF";
    case GN_ECANCELED: return "GN_ECANCELED";
    }
    return "GN_UNKNOWN";
}

const char *gn_last_error(void) { return gn_errbuf; }

void gn__clear_error(void) { gn_errbuf[0] = '\0'; }

gn_status gn__fail(gn_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(gn_errbuf, sizeof gn_errbuf, fmt, ap);
    va_end(ap);
    return st;
}

gn_status gn__fail_prefix(gn_status st, const char *fmt, ...) {
    char prefix[GN_ERRBUF / 2], old[GN_ERRBUF];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, gn_errbuf, sizeof old);
    size_t pl = strlen(prefix);
    memcpy(gn_errbuf, prefix, pl);
    gn_errbuf[pl] = ':';
    gn_errbuf[pl + 1] = ' ';
    size_t room = sizeof gn_errbuf - pl - 3;
    size_t ol = strnlen(old, room);
    memcpy(gn_errbuf + pl + 2, old, ol);
    gn_errbuf[pl + 2 + ol] = '\0';
    return st;
}

void gn_set_log_hook(gn_log_fn fn, void *user) {
    gn_log_hook = fn;
    gn_log_user = user;
}

int gn__log_enabled(void) { return gn_log_hook != NULL; }

void gn__log(gn_log_level level, const char *fmt, ...) {
    if (!gn_log_hook) return;
    char msg[GN_ERRBUF];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gn_log_hook(level, msg, gn_log_user);
}

/* The XSI strerror_r (the build asks for POSIX, not GNU): thread-safe, unlike strerror. */
const char *gn__errno_text(int err, char *buf, size_t size) {
    if (strerror_r(err, buf, size) != 0) snprintf(buf, size, "error %d", err);
    return buf;
}
