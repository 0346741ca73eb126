/* util/names.h: the one rule for names that become URL path segments and directory names (served
 * models, repository models): letters, digits, '_', '-' and '.', so no name can hold a '/' or
 * need escaping anywhere. */
#ifndef GN_UTIL_NAMES_H
#define GN_UTIL_NAMES_H

#include <stddef.h>
#include <string.h>

/* 1 when name is 1..max-1 bytes of [A-Za-z0-9_.-], else 0. */
static inline int gn__name_chars_ok(const char *name, size_t max) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= max) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.'))
            return 0;
    }
    return 1;
}

#endif
