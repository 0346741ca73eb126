/* serve/strbuf.h: a growable byte buffer for building HTTP response bodies (JSON and Prometheus
 * text). Allocation failure is sticky: later appends are no-ops and sb_failed() reports it, so
 * a builder checks once at the end. */
#ifndef GN_SERVE_STRBUF_H
#define GN_SERVE_STRBUF_H

#include <stddef.h>

#include "util/error.h"

typedef struct gn__strbuf {
    char *p;     /* NUL-terminated when len > 0; owned */
    size_t len, cap;
    int oom;
} gn__strbuf;

void gn__sb_init(gn__strbuf *b);
void gn__sb_free(gn__strbuf *b);
void gn__sb_append(gn__strbuf *b, const char *s, size_t n);
void gn__sb_puts(gn__strbuf *b, const char *s);
void gn__sb_printf(gn__strbuf *b, const char *fmt, ...) GN_PRINTF(2, 3);
/* Appends s as a quoted JSON string: quotes, backslashes and control bytes escaped, valid UTF-8
 * kept, and every byte that is not part of valid UTF-8 written as the text "\xHH", so the
 * output is valid JSON and valid UTF-8 whatever s holds (a client's path, say). */
void gn__sb_json_string(gn__strbuf *b, const char *s);
static inline int gn__sb_failed(const gn__strbuf *b) { return b->oom; }
/* Hands the bytes to the caller (malloc'ed, NUL-terminated, free with free()); the buffer is
 * left empty. NULL if an allocation failed. */
char *gn__sb_take(gn__strbuf *b, size_t *len);

#endif
