/* io/text.c: the text tokenizer and the hashed, weighted n-gram features of a document (the rules
 * are in io/text.h). One pass over the bytes finds the tokens (a table for ASCII, a few byte
 * tests for multibyte sequences) and hashes each once; n-grams combine the token hashes, so a
 * document costs one XXH3 per token and one mix per n-gram. The terms are then sorted by slot
 * and merged, weighted and pushed into the batch. No allocation once the scratch has grown to the
 * largest document. */
#include "io/text.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hash/hash.h"
#include "util/error.h"

/* ASCII: the lowercase form of a word character, 0 for a separator. */
static const unsigned char ascii_word[128] = {
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4', ['5'] = '5', ['6'] = '6', ['7'] = '7',
    ['8'] = '8', ['9'] = '9',
    ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g', ['h'] = 'h',
    ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n', ['o'] = 'o', ['p'] = 'p',
    ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x',
    ['y'] = 'y', ['z'] = 'z',
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f', ['G'] = 'g', ['H'] = 'h',
    ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o', ['P'] = 'p',
    ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't', ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x',
    ['Y'] = 'y', ['Z'] = 'z',
};

void gn__text_init(gn_text *t) { memset(t, 0, sizeof *t); }

void gn__text_free(gn_text *t) {
    if (!t) return;
    free(t->hash);
    free(t->tok);
    free(t->packed);
    free(t->spans);
    memset(t, 0, sizeof *t);
}

static int grow_u64(uint64_t **a, size_t *cap, size_t need) {
    if (need <= *cap) return GN_OK;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    uint64_t *n = realloc(*a, c * sizeof *n);
    if (!n) return GN_ENOMEM;
    *a = n;
    *cap = c;
    return GN_OK;
}

static int reserve_tok(gn_text *t, size_t need) {
    if (need <= t->tok_cap) return GN_OK;
    size_t c = t->tok_cap ? t->tok_cap : 256;
    while (c < need) c *= 2;
    char *n = realloc(t->tok, c);
    if (!n) return GN_ENOMEM;
    t->tok = n;
    t->tok_cap = c;
    return GN_OK;
}

/* Bytes of the UTF-8 sequence led by c (1 for a stray continuation byte), cut at `left`. */
static inline size_t seq_len(unsigned char c, size_t left) {
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return n < left ? n : left;
}

/* 1 if the multibyte sequence u[0, n) separates tokens (Latin-1 and General Punctuation). */
static inline int seq_is_separator(const unsigned char *u, size_t n) {
    if (n == 2 && u[0] == 0xC2) return u[1] >= 0xA0; /* U+00A0..U+00BF: nbsp, quotes, signs */
    if (n == 2 && u[0] == 0xC3) return u[1] == 0x97 || u[1] == 0xB7; /* multiplication, division */
    if (n == 3 && u[0] == 0xE2) return u[1] == 0x80 || (u[1] == 0x81 && u[2] <= 0xAF); /* U+2000..U+206F */
    return 0;
}

/* Scans the token at or after *pos into out (room for len - *pos bytes); returns its length. */
static size_t scan_token(const char *s, size_t len, size_t *pos, char *out) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = *pos, o = 0;
    while (i < len) {
        const unsigned char c = u[i];
        if (c < 0x80) {
            const unsigned char w = ascii_word[c];
            if (w) {
                out[o++] = (char)w;
                i++;
                continue;
            }
            i++;
            if (o) break;
            continue;
        }
        const size_t n = seq_len(c, len - i);
        if (seq_is_separator(u + i, n)) {
            i += n;
            if (o) break;
            continue;
        }
        memcpy(out + o, u + i, n);
        if (n == 2 && c == 0xC3 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9E) out[o + 1] = (char)(u[i + 1] + 0x20);
        o += n;
        i += n;
    }
    *pos = i;
    return o;
}

size_t gn__text_next_token(gn_text *t, const char *s, size_t len, size_t *pos) {
    if (*pos >= len) return 0;
    if (reserve_tok(t, len - *pos + 1) != GN_OK) return (size_t)-1;
    return scan_token(s, len, pos, t->tok);
}

double gn__text_idf(uint64_t n, uint64_t df) { return log((1.0 + (double)n) / (1.0 + (double)df)) + 1.0; }

static inline uint32_t to_slot(uint64_t h, uint32_t mask) {
    uint32_t s = (uint32_t)(h ^ (h >> 32)) & mask;
    return s ? s : 1; /* slot 0 is the bias; as hash/hash.c, so a unigram is the VW feature */
}

/* The hash of an n-gram extended by the token of hash h (order matters: "a b" != "b a"). */
static inline uint64_t gram_next(uint64_t g, uint64_t h) { return gn__mix64(g + 0x9E3779B97F4A7C15ull) ^ h; }

/* Emits every n-gram that starts with the gram g (of `have` tokens, the last at position last):
 * extends it by the tokens after last within the remaining skip budget. */
static size_t extend(const uint64_t *hash, size_t ntok, uint64_t g, size_t last, uint32_t have, uint32_t ngrams,
                     uint32_t budget, uint32_t mask, uint64_t *out) {
    size_t o = 0;
    for (uint32_t gap = 0; gap <= budget; gap++) {
        const size_t p = last + 1 + gap;
        if (p >= ntok) break;
        const uint64_t g2 = gram_next(g, hash[p]);
        out[o++] = (uint64_t)to_slot(gn__mix64(g2), mask) << 32;
        if (have + 1 < ngrams) o += extend(hash, ntok, g2, p, have + 1, ngrams, budget - gap, mask, out + o);
    }
    return o;
}

/* Grams per token at most: sum over n of the ways to place n-1 more tokens with <= skips gaps. */
static size_t grams_per_token(uint32_t ngrams, uint32_t skips) {
    /* count(have, budget) = 1 + sum_gap count(have+1, budget-gap) while have < ngrams */
    size_t table[GN_MAX_NGRAMS + 1][GN_MAX_SKIPS + 1];
    for (uint32_t b = 0; b <= skips; b++) table[ngrams][b] = 1;
    for (uint32_t h = ngrams; h-- > 1;) {
        for (uint32_t b = 0; b <= skips; b++) {
            size_t c = 1;
            for (uint32_t gap = 0; gap <= b; gap++) c += table[h + 1][b - gap];
            table[h][b] = c;
        }
    }
    return table[1][skips];
}

/* Sorts n terms (slot << 32, low half 0 as made above) by slot, slots below mask + 1: least
 * significant digit first, 8 bits a pass, through tmp (room for n), when there are enough of them
 * for the counting to pay (a document of a few hundred words: 3 linear passes where quicksort
 * compares n log n times with a branch it mispredicts half of the time). Returns the sorted array
 * (a or tmp). */
static uint64_t *sort_terms(uint64_t *a, uint64_t *tmp, size_t n, uint32_t mask) {
    if (n < 128) {
        gn__sort_packed(a, n);
        return a;
    }
    unsigned digits = 0;
    for (uint32_t m = mask; m; m >>= 8) digits++;
    uint32_t count[4][256];
    memset(count, 0, sizeof count[0] * digits);
    for (size_t i = 0; i < n; i++) {
        const uint32_t slot = (uint32_t)(a[i] >> 32);
        for (unsigned d = 0; d < digits; d++) count[d][(slot >> (8 * d)) & 255]++;
    }
    uint64_t *src = a, *dst = tmp;
    for (unsigned d = 0; d < digits; d++) {
        uint32_t *c = count[d], sum = 0;
        if (c[(uint32_t)(src[0] >> (32 + 8 * d)) & 255] == n) continue; /* one value of this digit: in order */
        for (unsigned k = 0; k < 256; k++) {
            const uint32_t x = c[k];
            c[k] = sum;
            sum += x;
        }
        for (size_t i = 0; i < n; i++) dst[c[(uint32_t)(src[i] >> (32 + 8 * d)) & 255]++] = src[i];
        uint64_t *x = src;
        src = dst;
        dst = x;
    }
    return src;
}

int gn__text_features(gn_text *t, const gn_text_opts *o, uint64_t seed, const char *s, size_t len, gn_batch *b) {
    if (len == 0) return GN_OK;
    if (reserve_tok(t, len + 1) != GN_OK) return GN_ENOMEM;
    /* tokens -> hashes */
    size_t ntok = 0, pos = 0;
    for (;;) {
        const size_t tl = scan_token(s, len, &pos, t->tok);
        if (tl == 0) break;
        if (ntok == t->cap && grow_u64(&t->hash, &t->cap, ntok + 1) != GN_OK) return GN_ENOMEM;
        t->hash[ntok++] = gn__hash64(t->tok, tl, seed);
    }
    if (ntok == 0) return GN_OK;
    const uint32_t ngrams = o->ngrams ? (o->ngrams > GN_MAX_NGRAMS ? GN_MAX_NGRAMS : o->ngrams) : 1;
    const uint32_t skips = ngrams > 1 ? (o->skips > GN_MAX_SKIPS ? GN_MAX_SKIPS : o->skips) : 0;
    const size_t per = grams_per_token(ngrams, skips);
    if (ntok > SIZE_MAX / 16 / per) return GN_ENOMEM;
    /* the terms, then as much room again for sorting them */
    if (grow_u64(&t->packed, &t->packed_cap, 2 * ntok * per) != GN_OK) return GN_ENOMEM;
    /* terms as slot << 32 (the count comes from merging) */
    uint64_t *terms = t->packed;
    size_t nt = 0;
    const uint32_t mask = o->mask;
    for (size_t i = 0; i < ntok; i++) {
        terms[nt++] = (uint64_t)to_slot(t->hash[i], mask) << 32;
        if (ngrams > 1) nt += extend(t->hash, ntok, t->hash[i], i, 1, ngrams, skips, mask, terms + nt);
    }
    terms = sort_terms(terms, t->packed + ntok * per, nt, mask);
    /* merge: one (slot, count) per distinct slot, into b; then the weights (unless the counts are
     * wanted: a cache made in one pass stores them, and its readers weigh them, gn__text_weigh) */
    if (gn__batch_reserve_features(b, nt) != GN_OK) return GN_ENOMEM;
    const size_t k0 = b->nnz;
    for (size_t i = 0; i < nt;) {
        const uint32_t slot = (uint32_t)(terms[i] >> 32);
        size_t j = i + 1;
        while (j < nt && (uint32_t)(terms[j] >> 32) == slot) j++;
        gn__batch_push(b, slot, (float)(j - i));
        i = j;
    }
    if (!o->counts) b->nnz = k0 + gn__text_weigh(o, b->index + k0, b->value + k0, b->nnz - k0);
    if (t->record_spans) {
        if (t->nspans + 2 > t->spans_cap) {
            const size_t c = t->spans_cap ? t->spans_cap * 2 : 256;
            size_t *n = realloc(t->spans, c * sizeof *n);
            if (!n) return GN_ENOMEM;
            t->spans = n;
            t->spans_cap = c;
        }
        t->spans[t->nspans++] = k0;
        t->spans[t->nspans++] = b->nnz;
    }
    return GN_OK;
}

size_t gn__text_weigh(const gn_text_opts *o, uint32_t *slot, float *value, size_t n) {
    double norm2 = 0.0;
    const float *idf = o->idf;
    if (idf) /* the idf table is far larger than the caches: fetch the first terms' weights */
        for (size_t i = 0; i < n && i < 64; i += 4) __builtin_prefetch(idf + slot[i], 0, 0);
    for (size_t i = 0; i < n; i++) {
        if (idf && i + 64 < n) __builtin_prefetch(idf + slot[i + 64], 0, 0);
        const double c = (double)value[i];
        /* log tf: most terms occur once, and 1 + ln(1) is exactly 1 (no call) */
        double v = o->tf == GN_TF_BINARY ? 1.0 : o->tf == GN_TF_LOG ? (c == 1.0 ? 1.0 : 1.0 + log(c)) : c;
        if (idf) v *= idf[slot[i]];
        norm2 += v * v;
        value[i] = (float)v;
    }
    const double scale = o->normalize && norm2 > 0 ? 1.0 / sqrt(norm2) : 1.0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const float v = (float)((double)value[i] * scale);
        if (v == 0.0f) continue;
        slot[m] = slot[i];
        value[m++] = v;
    }
    return m;
}

/* ---------------------------------------------------------------- idf tables */

int gn__idf_new(uint32_t bits, uint64_t docs, gn_idf **out) {
    if (bits < 1 || bits > GN_MAX_BITS) return gn__fail(GN_EINVAL, "idf: bits %u out of range", (unsigned)bits);
    gn_idf *t = calloc(1, sizeof *t);
    const size_t n = (size_t)1 << bits;
    if (!t || !(t->w = malloc(n * sizeof *t->w))) {
        free(t);
        return gn__fail(GN_ENOMEM, "out of memory for the idf table of 2^%u slots", (unsigned)bits);
    }
    atomic_init(&t->refs, 1u);
    t->bits = bits;
    t->docs = docs;
    const float unseen = (float)gn__text_idf(docs, 0);
    for (size_t i = 0; i < n; i++) t->w[i] = unseen;
    *out = t;
    return GN_OK;
}

int gn__idf_from_df(uint32_t bits, uint64_t docs, const uint32_t *df, gn_idf **out) {
    gn_idf *t;
    GN_TRY(gn__idf_new(bits, docs, &t));
    const size_t n = (size_t)1 << bits;
    for (size_t i = 0; i < n; i++)
        if (df[i]) t->w[i] = (float)gn__text_idf(docs, df[i]);
    *out = t;
    return GN_OK;
}

gn_idf *gn__idf_ref(gn_idf *t) {
    if (t) atomic_fetch_add(&t->refs, 1u);
    return t;
}

void gn__idf_unref(gn_idf *t) {
    if (!t || atomic_fetch_sub(&t->refs, 1u) != 1u) return;
    free(t->w);
    free(t);
}

/* ---------------------------------------------------------------- idf tables as records */

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

int gn__idf_records(const gn_idf *t, unsigned char **out, size_t *len) {
    const uint32_t unseen = f32_bits((float)gn__text_idf(t->docs, 0));
    const size_t nslots = (size_t)1 << t->bits;
    size_t n = 0;
    for (size_t i = 0; i < nslots; i++) n += f32_bits(t->w[i]) != unseen;
    unsigned char *r = malloc(n ? n * 8 : 1);
    if (!r) return GN_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < nslots; i++) {
        const uint32_t v = f32_bits(t->w[i]);
        if (v == unseen) continue;
        for (int k = 0; k < 4; k++) r[o + (size_t)k] = (unsigned char)(i >> (8 * k));
        for (int k = 0; k < 4; k++) r[o + 4 + (size_t)k] = (unsigned char)(v >> (8 * k));
        o += 8;
    }
    *out = r;
    *len = o;
    return GN_OK;
}

int gn__idf_from_records(uint32_t bits, uint64_t docs, const unsigned char *r, size_t len, gn_idf **out) {
    if (len % 8) return gn__fail(GN_EFORMAT, "idf: records are not a whole number of 8 bytes");
    gn_idf *t;
    GN_TRY(gn__idf_new(bits, docs, &t));
    const size_t nslots = (size_t)1 << bits;
    size_t next_min = 0;
    for (size_t o = 0; o < len; o += 8) {
        const uint32_t slot = (uint32_t)r[o] | (uint32_t)r[o + 1] << 8 | (uint32_t)r[o + 2] << 16 | (uint32_t)r[o + 3] << 24;
        const uint32_t wb = (uint32_t)r[o + 4] | (uint32_t)r[o + 5] << 8 | (uint32_t)r[o + 6] << 16 | (uint32_t)r[o + 7] << 24;
        float w;
        memcpy(&w, &wb, sizeof w);
        if (slot >= nslots || slot < next_min || !isfinite(w)) {
            gn__idf_unref(t);
            return gn__fail(GN_EFORMAT, "idf: record for slot %u out of range, out of order or not finite", slot);
        }
        t->w[slot] = w;
        next_min = (size_t)slot + 1;
    }
    *out = t;
    return GN_OK;
}
