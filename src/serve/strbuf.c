/* serve/strbuf.c: the growable response buffer (see strbuf.h). */
#include "serve/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

void gn__sb_init(gn__strbuf *b) { memset(b, 0, sizeof *b); }

void gn__sb_free(gn__strbuf *b) {
    free(b->p);
    gn__sb_init(b);
}

static int reserve(gn__strbuf *b, size_t more) {
    if (b->oom) return -1;
    if (b->len + more + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1) {
        if (cap > ((size_t)-1) / 2) { b->oom = 1; return -1; }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) { b->oom = 1; return -1; }
    b->p = p;
    b->cap = cap;
    return 0;
}

void gn__sb_append(gn__strbuf *b, const char *s, size_t n) {
    if (reserve(b, n) != 0) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void gn__sb_puts(gn__strbuf *b, const char *s) { gn__sb_append(b, s, strlen(s)); }

void gn__sb_printf(gn__strbuf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) { b->oom = 1; return; }
    if ((size_t)n < sizeof small) { gn__sb_append(b, small, (size_t)n); return; }
    if (reserve(b, (size_t)n) != 0) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void gn__sb_json_string(gn__strbuf *b, const char *s) {
    static const char hex[] = "0123456789abcdef";
    gn__sb_append(b, "\"", 1);
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0;
    for (size_t i = 0;;) {
        unsigned char c = u[i];
        if (c != '\0' && c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            run++;
            i++;
            continue;
        }
        size_t seq = c >= 0x80 ? gn__utf8_seq_len(u + i, 4) : 0;
        if (seq) { /* valid UTF-8 stays as it is */
            run += seq;
            i += seq;
            continue;
        }
        gn__sb_append(b, (const char *)u + i - run, run);
        run = 0;
        if (c == '\0') break;
        i++;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\') { esc[1] = (char)c; gn__sb_append(b, esc, 2); }
        else if (c == '\n') gn__sb_append(b, "\\n", 2);
        else if (c == '\t') gn__sb_append(b, "\\t", 2);
        else if (c == '\r') gn__sb_append(b, "\\r", 2);
        else if (c >= 0x80) { /* not UTF-8: shown as the text \xHH, so the output stays valid */
            char x[5] = {'\\', '\\', 'x', hex[c >> 4], hex[c & 15]};
            gn__sb_append(b, x, 5);
        } else gn__sb_append(b, esc, 6);
    }
    gn__sb_append(b, "\"", 1);
}

char *gn__sb_take(gn__strbuf *b, size_t *len) {
    if (b->oom) { gn__sb_free(b); return NULL; }
    if (!b->p && reserve(b, 0) != 0) return NULL;
    if (b->len == 0) b->p[0] = '\0';
    char *p = b->p;
    if (len) *len = b->len;
    gn__sb_init(b);
    return p;
}
