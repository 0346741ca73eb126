/* util/json_safe.c: jansson dump and load that report running out of memory (see json_safe.h). */
#include "util/json_safe.h"

#include <stdlib.h>
#include <string.h>

typedef struct out {
    char *p;
    size_t len, cap;
    int failed;
} out;

static int append(const char *buf, size_t n, void *data) {
    out *o = data;
    if (o->failed) return -1;
    if (n >= o->cap - o->len) {
        size_t cap = o->cap ? o->cap : 256;
        while (n >= cap - o->len) {
            if (cap > (size_t)-1 / 2) {
                o->failed = 1;
                return -1;
            }
            cap *= 2;
        }
        char *p = realloc(o->p, cap);
        if (!p) {
            o->failed = 1;
            return -1;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, buf, n);
    o->len += n;
    o->p[o->len] = '\0';
    return 0;
}

char *gn__json_dumps(const json_t *j, size_t flags) {
    out o = {NULL, 0, 0, 0};
    if (!j || json_dump_callback(j, append, &o, flags) != 0 || o.failed || !o.p) {
        free(o.p);
        return NULL;
    }
    return o.p;
}

json_t *gn__json_loadb(const char *text, size_t len, size_t flags, json_error_t *err, int *oom) {
    *oom = 0;
    json_t *got[3] = {NULL, NULL, NULL};
    int failed = 0;
    for (int i = 0; i < 3; i++) {
        if (!(got[i] = json_loadb(text, len, flags, err))) {
            failed++;
            continue;
        }
        for (int k = 0; k < i; k++)
            if (got[k] && json_equal(got[k], got[i])) { /* two parses agree */
                json_t *j = got[k];
                got[k] = NULL;
                for (int m = 0; m <= i; m++) json_decref(got[m]);
                return j;
            }
    }
    for (int m = 0; m < 3; m++) json_decref(got[m]);
    /* Three parses and no two alike: a text the parser refuses every time is at fault if memory
     * is there (the parser's buffers are about as large as the text); otherwise memory ran out. */
    void *probe = failed == 3 && json_error_code(err) != json_error_out_of_memory ? malloc(2 * len + 4096) : NULL;
    *oom = probe == NULL;
    free(probe);
    return NULL;
}
