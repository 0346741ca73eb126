/* util/utf8.h: UTF-8 validation shared by every writer of JSON text (the server's JSON bodies and
 * access log, its JSON instances reader, model listings) and by error messages that quote input. */
#ifndef GN_UTIL_UTF8_H
#define GN_UTIL_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence of 2..4 bytes at p, of which at most avail bytes may be read
 * (no overlong forms, surrogates or code points past U+10FFFF), or 0 (ASCII bytes too). A
 * NUL-terminated p may pass avail = 4: a cut sequence stops at the NUL. */
static inline size_t gn__utf8_seq_len(const unsigned char *p, size_t avail) {
    unsigned c = p[0], cp, min;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; }
    else return 0;
    if (avail < n) return 0;
    cp = c & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

/* Offset of the first byte of s[0, n) that is not part of valid UTF-8, or n when all of it is. */
static inline size_t gn__utf8_invalid_at(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = gn__utf8_seq_len(s + i, n - i);
        if (!k) return i;
        i += k;
    }
    return n;
}

/* A copy of the NUL-terminated s (malloc'ed) that is valid UTF-8: each byte of s that is not
 * part of valid UTF-8 becomes the text "\xHH", as the server's JSON writer shows such bytes.
 * NULL when memory ran out. */
char *gn__utf8_sanitize(const char *s);

/* s[0..len) for an error message, NUL-terminated in buf (size >= 16): valid UTF-8 kept whole,
 * control characters and bytes not part of valid UTF-8 shown as "\xHH", cut with "..." after
 * about 40 bytes. Returns buf. */
const char *gn__utf8_shown(const char *s, size_t len, char *buf, size_t size);

#endif
