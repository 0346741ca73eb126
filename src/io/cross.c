/* io/cross.c: compiling an interactions list and crossing an example's grouped features (the rules
 * are in io/cross.h). The grouped features of an example are few (a handful of columns), so a
 * term is crossed by scanning them once per group it names: no allocation, no sorting. */
#include "io/cross.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash/hash.h"
#include "io/batch.h"
#include "util/error.h"

#define WHY(...) snprintf(why, 256, __VA_ARGS__)

int gn__cross_compile(const char *list, gn_cross *out, char *why) {
    memset(out, 0, sizeof *out);
    size_t len = strlen(list);
    if (len >= sizeof out->text) {
        WHY("--interactions: longer than %zu bytes", sizeof out->text - 1);
        return GN_EINVAL;
    }
    memcpy(out->text, list, len + 1);
    char *s = out->text;
    while (*s) {
        char *term_end = strchr(s, ',');
        if (term_end) *term_end = '\0';
        unsigned char ids[4];
        unsigned k = 0;
        char *name = s;
        for (;;) {
            char *star = strchr(name, '*');
            if (star) *star = '\0';
            while (*name == ' ') name++;
            size_t nl = strlen(name);
            while (nl && name[nl - 1] == ' ') name[--nl] = '\0';
            if (nl == 0) {
                WHY("--interactions: an empty name in a term (expected a*b or a*b*c)");
                return GN_EINVAL;
            }
            if (k == 3) {
                WHY("--interactions: a term crosses at most 3 names ('%.60s*...')", s);
                return GN_EINVAL;
            }
            unsigned g = 1;
            while (g <= out->ngroups && strcmp(out->name[g], name) != 0) g++;
            if (g > out->ngroups) {
                if (out->ngroups == GN_CROSS_MAX_GROUPS) {
                    WHY("--interactions: more than %d distinct names", GN_CROSS_MAX_GROUPS);
                    return GN_EINVAL;
                }
                out->name[++out->ngroups] = name;
            }
            ids[k++] = (unsigned char)g;
            if (!star) break;
            name = star + 1;
        }
        if (k < 2) {
            WHY("--interactions: '%.60s' crosses nothing (expected a*b or a*b*c)", s);
            return GN_EINVAL;
        }
        if (out->nterms == GN_CROSS_MAX_TERMS) {
            WHY("--interactions: more than %d terms", GN_CROSS_MAX_TERMS);
            return GN_EINVAL;
        }
        out->order[out->nterms] = (unsigned char)k;
        memcpy(out->g[out->nterms], ids, k);
        out->nterms++;
        if (!term_end) break;
        s = term_end + 1;
        if (!*s) {
            WHY("--interactions: a trailing ','");
            return GN_EINVAL;
        }
    }
    return GN_OK;
}

static inline uint32_t to_slot(uint64_t h, uint32_t mask) {
    uint32_t s = (uint32_t)(h ^ (h >> 32)) & mask;
    return s ? s : 1;
}

/* The slot of the cross of slots a, b (and c) in term t. */
static inline uint32_t cross_slot(uint32_t t, uint32_t a, uint32_t b, uint32_t c, uint32_t mask) {
    uint64_t h = gn__mix64(((uint64_t)a << 32 | b) ^ (0x9E3779B97F4A7C15ull * (t + 1)));
    if (c != UINT32_MAX) h = gn__mix64(h ^ c);
    return to_slot(h, mask);
}

size_t gn__cross_count(const gn_cross *c, const gn_cross_feats *f) {
    size_t cnt[GN_CROSS_MAX_GROUPS + 1] = {0};
    for (size_t i = 0; i < f->n; i++) cnt[f->grp[i]]++;
    size_t total = 0;
    for (uint32_t t = 0; t < c->nterms; t++) {
        size_t p = 1;
        for (unsigned k = 0; k < c->order[t]; k++) p *= cnt[c->g[t][k]];
        total += p;
    }
    return total;
}

size_t gn__cross_expand(const gn_cross *c, const gn_cross_feats *f, uint32_t mask, uint32_t *idx, float *val) {
    size_t o = 0;
    const size_t n = f->n;
    for (uint32_t t = 0; t < c->nterms; t++) {
        const unsigned char ga = c->g[t][0], gb = c->g[t][1], gc = c->order[t] == 3 ? c->g[t][2] : 0;
        for (size_t i = 0; i < n; i++) {
            if (f->grp[i] != ga) continue;
            /* a group crossed with itself: only the features after this one */
            for (size_t j = gb == ga ? i + 1 : 0; j < n; j++) {
                if (f->grp[j] != gb) continue;
                const float vab = f->value[i] * f->value[j];
                if (!gc) {
                    if (vab != 0.0f) {
                        idx[o] = cross_slot(t, f->slot[i], f->slot[j], UINT32_MAX, mask);
                        val[o++] = vab;
                    }
                    continue;
                }
                for (size_t k = gc == gb ? j + 1 : gc == ga ? i + 1 : 0; k < n; k++) {
                    if (f->grp[k] != gc) continue;
                    const float v = vab * f->value[k];
                    if (v == 0.0f) continue;
                    idx[o] = cross_slot(t, f->slot[i], f->slot[j], f->slot[k], mask);
                    val[o++] = v;
                }
            }
        }
    }
    return o;
}

int gn__cross_example(const gn_cross *c, const gn_batch *b, size_t e, uint32_t mask, gn_cross_buf *buf,
                      const uint32_t **idx, const float **val, size_t *n) {
    const size_t x0 = b->xstart[e];
    const gn_cross_feats f = {b->xstart[e + 1] - x0, b->xslot + x0, b->xval + x0, b->xgrp + x0};
    const size_t own = *n, need = own + gn__cross_count(c, &f);
    if (need > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 256;
        while (cap < need) cap *= 2;
        uint32_t *xi = realloc(buf->idx, cap * sizeof *xi);
        if (!xi) return gn__fail(GN_ENOMEM, "out of memory");
        buf->idx = xi;
        float *xv = realloc(buf->val, cap * sizeof *xv);
        if (!xv) return gn__fail(GN_ENOMEM, "out of memory");
        buf->val = xv;
        buf->cap = cap;
    }
    memcpy(buf->idx, *idx, own * sizeof *buf->idx);
    memcpy(buf->val, *val, own * sizeof *buf->val);
    *n = own + gn__cross_expand(c, &f, mask, buf->idx + own, buf->val + own);
    *idx = buf->idx;
    *val = buf->val;
    return GN_OK;
}

void gn__cross_buf_free(gn_cross_buf *buf) {
    free(buf->idx);
    free(buf->val);
    memset(buf, 0, sizeof *buf);
}
