/* io/cross.h: feature interactions (--interactions "a*b,c*d*e", VW's --quadratic/--cubic).
 * Each name of the list is a group: a CSV column (header name or 1-based number) or, for VW
 * input, a namespace (a one-character name means every namespace starting with that character,
 * as VW's -q does; a longer name, the namespace of that name). A term crosses 2 or 3 groups: for
 * every feature of each, one crossed feature whose slot hashes the features' slots (and the
 * term) and whose value is the product of their values. A group crossed with itself pairs each
 * feature with the ones after it (no squares, no pair twice).
 *
 * Training never stores crossed features: the parser keeps a copy of the grouped features of
 * each example (gn_batch's x lists, a few per example) and the learner crosses them in its inner
 * loop (gn__cross_expand). Prediction parsers (a model's) and cache writers append the crossed
 * features to the example instead (gn__parser_set_cross_inline), so scoring needs nothing
 * special and a cache holds what the learner would have crossed. */
#ifndef GN_IO_CROSS_H
#define GN_IO_CROSS_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"

#define GN_CROSS_MAX_TERMS 64
#define GN_CROSS_MAX_GROUPS 64

typedef struct gn_cross {
    uint32_t nterms, ngroups;
    unsigned char order[GN_CROSS_MAX_TERMS];  /* 2 or 3 */
    unsigned char g[GN_CROSS_MAX_TERMS][3];   /* group ids, 1..ngroups */
    char text[GN_COLSPEC_MAX];                /* the names, NUL-terminated in place */
    const char *name[GN_CROSS_MAX_GROUPS + 1]; /* name[g] of group g (1-based) */
} gn_cross;

/* Compiles an interactions list; 0 terms for "". GN_EINVAL with the reason in why (GN_WHY-sized
 * buffer of 256 bytes) for a malformed list. */
int gn__cross_compile(const char *list, gn_cross *out, char *why);

/* The grouped features of one example: n features, slot, value and group id each. */
typedef struct gn_cross_feats {
    size_t n;
    const uint32_t *slot;
    const float *value;
    const unsigned char *grp;
} gn_cross_feats;

/* How many crossed features the example's grouped features give (an upper bound for
 * gn__cross_expand's room). */
size_t gn__cross_count(const gn_cross *c, const gn_cross_feats *f);
/* Writes the crossed features into idx/val (room for gn__cross_count); returns how many (zero
 * products are left out). */
size_t gn__cross_expand(const gn_cross *c, const gn_cross_feats *f, uint32_t mask, uint32_t *idx, float *val);

/* The features of example e of batch b followed by its crossed features, in buf (grown as
 * needed; the learner owns it and frees idx and val): *idx, *val and *n point at it on return.
 * For the learners' inner loops; GN_ENOMEM with the message set. */
typedef struct gn_cross_buf {
    uint32_t *idx;
    float *val;
    size_t cap;
} gn_cross_buf;
struct gn_batch;
int gn__cross_example(const gn_cross *c, const struct gn_batch *b, size_t e, uint32_t mask, gn_cross_buf *buf,
                      const uint32_t **idx, const float **val, size_t *n);
void gn__cross_buf_free(gn_cross_buf *buf);

#endif
