/* util/utf8.c: UTF-8 clean copies of byte strings (see utf8.h). */
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *gn__utf8_sanitize(const char *s) {
    static const char hex[] = "0123456789abcdef";
    size_t len = strlen(s);
    if (len > ((size_t)-1 - 1) / 4) return NULL;
    char *out = malloc(len * 4 + 1); /* each byte becomes at most 4 */
    if (!out) return NULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t seq = u[i] >= 0x80 ? gn__utf8_seq_len(u + i, len - i) : 1;
        if (seq) {
            memcpy(out + o, u + i, seq);
            o += seq;
            i += seq;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[u[i] >> 4];
            out[o++] = hex[u[i] & 15];
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

const char *gn__utf8_shown(const char *s, size_t len, char *buf, size_t size) {
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t seq = u[i] >= 0x80 ? gn__utf8_seq_len(u + i, len - i) : (u[i] >= 0x20 && u[i] != 0x7f);
        if (o + (seq ? seq : 4) + 4 >= size) break; /* room for "..." and the NUL */
        if (seq) {
            memcpy(buf + o, u + i, seq);
            o += seq;
            i += seq;
        } else {
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", u[i]);
            i++;
        }
        if (i > 40 && len > 48 && i < len) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
    }
    buf[o] = '\0';
    return buf;
}
