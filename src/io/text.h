/* io/text.h: text features. A document (a CSV field, a VW text namespace, a file of a --format
 * dir tree) is split into lowercase tokens, its word n-grams and skip-grams are hashed into the
 * namespace's slots, and the terms are weighted (tf, idf) and optionally scaled to unit L2 norm,
 * as scikit-learn's TfidfVectorizer does.
 *
 * Tokens: maximal runs of word characters. ASCII letters and digits are word characters
 * (letters folded to lowercase); every byte of a multibyte UTF-8 sequence is one too, so a
 * sequence is never split, except for the sequences of Latin-1 punctuation (U+00A0..U+00BF, plus
 * U+00D7 and U+00F7) and of General Punctuation (U+2000..U+206F: dashes, curly quotes, ellipsis),
 * which separate tokens; Latin-1 capitals U+00C0..U+00DE fold to their small letters. Every other
 * ASCII byte separates tokens. The input must be valid UTF-8 (the parsers check it).
 *
 * N-grams: for n = 1..ngrams, the tokens at positions p0 < p1 < ... < p(n-1) where the gaps
 * (p(j+1) - p(j) - 1) add up to at most skips (k-skip-n-grams; skips 0: contiguous n-grams). */
#ifndef GN_IO_TEXT_H
#define GN_IO_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "io/batch.h"

/* How a document becomes features (from the spec; idf borrowed, may be NULL). */
typedef struct gn_text_opts {
    uint32_t ngrams, skips; /* as in gn_data_spec */
    int tf;                 /* gn_tf */
    int normalize;          /* unit L2 norm over the document's features */
    uint32_t mask;          /* 2^bits - 1 */
    const float *idf;       /* 2^bits weights, or NULL (no idf) */
    int counts;             /* emit each term's count, unweighted (tf, idf and normalize not
                             * applied: a cache made in one pass, io/cache.c, stores these) */
} gn_text_opts;

/* Scratch of one tokenizer (one thread). */
typedef struct gn_text {
    uint64_t *hash;  /* the document's token hashes */
    size_t cap;
    char *tok;       /* one lowercased token */
    size_t tok_cap;
    uint64_t *packed; /* the document's (slot << 32 | count) terms, then as much room to sort them */
    size_t packed_cap;
    /* when record_spans: each document's features as [spans[2k], spans[2k + 1]) in the batch's
     * feature arrays, in the order pushed (the caller clears nspans; io/textstore.c) */
    int record_spans;
    size_t *spans;
    size_t nspans, spans_cap;
} gn_text;

void gn__text_init(gn_text *t);
void gn__text_free(gn_text *t);

/* The next token of s[*pos, len): returns its length (0 when there is none) with its bytes,
 * lowercased, in t->tok, and *pos past it. GN_ENOMEM as (size_t)-1. */
size_t gn__text_next_token(gn_text *t, const char *s, size_t len, size_t *pos);

/* Appends the features of the document s[0, len) in the namespace `seed` to the example in
 * progress in b: one feature per distinct slot (repeats merged and weighted by o->tf), times
 * o->idf[slot] when set, scaled to unit norm when o->normalize; nothing for a document without
 * tokens. GN_OK or GN_ENOMEM. */
int gn__text_features(gn_text *t, const gn_text_opts *o, uint64_t seed, const char *s, size_t len, gn_batch *b);

/* Weighs a document's terms in place as gn__text_features does: on entry value[i] is the count
 * of slot[i] (slots distinct, in the order gn__text_features emits them), on return the weight
 * (o->tf of the count, times o->idf[slot] when set, scaled to unit norm when o->normalize), with
 * the terms whose weight rounds to 0 removed; returns how many remain. The same arithmetic in the
 * same order, so weighing stored counts gives the very bits of parsing with the weights. Counts
 * are exact as floats up to 2^24 (a term repeated more often in one document is rounded). */
size_t gn__text_weigh(const gn_text_opts *o, uint32_t *slot, float *value, size_t n);

/* The idf weights of a hash space, shared (reference-counted) by the parsers of a run and the
 * model trained there: w[slot] = gn__text_idf(docs, df of slot) for the 2^bits slots. Read-only
 * once made, so any thread may read it. */
typedef struct gn_idf {
    _Atomic unsigned refs;
    uint32_t bits;
    uint64_t docs; /* the documents (examples) counted */
    float *w;
} gn_idf;

/* A table of 2^bits slots all at the weight of an unseen term, gn__text_idf(docs, 0). */
int gn__idf_new(uint32_t bits, uint64_t docs, gn_idf **out);
/* From document frequencies (df of 2^bits slots, n documents). */
int gn__idf_from_df(uint32_t bits, uint64_t docs, const uint32_t *df, gn_idf **out);
gn_idf *gn__idf_ref(gn_idf *t);   /* NULL-safe */
void gn__idf_unref(gn_idf *t);    /* NULL-safe; frees with the last reference */

/* An idf table as records for cache files: the (u32 slot, f32 weight) little-endian pairs of the
 * slots not at the unseen weight, in increasing slot order (*out: *len bytes, malloc'ed, the
 * caller frees; GN_ENOMEM); and back, with the documents counted (GN_EFORMAT with a message for
 * a length that is not a multiple of 8, a slot out of range or out of order, a weight that is
 * not finite). */
int gn__idf_records(const gn_idf *t, unsigned char **out, size_t *len);
int gn__idf_from_records(uint32_t bits, uint64_t docs, const unsigned char *r, size_t len, gn_idf **out);

/* The smoothed idf of a term seen in df of n documents: ln((1+n)/(1+df)) + 1. */
double gn__text_idf(uint64_t n, uint64_t df);

#endif
