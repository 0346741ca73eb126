/* util/json_safe.h: jansson's dump and load with out-of-memory told apart from everything else
 * (found by tests/unit/test_fault.c). jansson 2.14 loses allocation failures in two places:
 * - json_dumps ignores the status of writing an object's key (dump.c, both the sorted and the
 *   insertion-order loop), so when its buffer cannot grow right there it returns text without
 *   that key, e.g. {"bits":10,":"2026-..."}, as a success;
 * - json_loadb reports a failed allocation in its lexer as a syntax error ("string or '}'
 *   expected") or with no message at all, and a character its lexer fails to keep is dropped
 *   from the value, so a parse can succeed with a wrong string or number ("10:5:06Z").
 * These wrappers give NULL for any failure of the dump, and say whether a failed load was out of
 * memory. */
#ifndef GN_UTIL_JSON_SAFE_H
#define GN_UTIL_JSON_SAFE_H

#include <jansson.h>
#include <stddef.h>

/* Sets key of obj to value, a new reference (NULL when making it failed): 1, or 0 when value is
 * NULL or the set failed. value is consumed either way (jansson drops it on failure). */
static inline int gn__json_set(json_t *obj, const char *key, json_t *value) {
    return value && json_object_set_new(obj, key, value) == 0;
}

/* The JSON text of j with jansson's flags (malloc'ed, NUL-terminated, free with free()), or NULL
 * when j cannot be encoded or memory ran out. */
char *gn__json_dumps(const json_t *j, size_t flags);

/* json_loadb(text, len, flags, err), checked: the text is parsed until two parses agree (a parse
 * that lost a character to a failed allocation differs from one that did not), at most three
 * times. NULL when no two agree; *oom then says whether memory ran out: 0 when every parse
 * refused the text and a block the size of the parse can be allocated now (err describes the
 * text's fault), else 1. */
json_t *gn__json_loadb(const char *text, size_t len, size_t flags, json_error_t *err, int *oom);

#endif
