/* serve/json_instances.c: the streaming predict-body reader (see json_instances.h). */
#include "serve/json_instances.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/numparse.h"
#include "util/error.h"
#include "util/utf8.h"

typedef struct js {
    const char *s, *p, *e;   /* body start, position, end */
    char *arena;             /* decoded strings; never longer than the body */
    size_t used;
    char *why;
    size_t why_size;
    /* features of the current instance */
    const char **names;
    double *values;
    const char **strs;
    uint32_t *hashes;
    size_t nf, cap;
    /* duplicate-name detection: open addressing over feature indices, stamped per instance so
     * it never needs clearing */
    uint32_t *slot_gen, *slot_idx;
    size_t slots;       /* power of two, 16 * cap (4 * cap past 1024 features) */
    uint32_t gen;
} js;

static int fail(js *j, int status, const char *fmt, ...) GN_PRINTF(3, 4);
static int fail(js *j, int status, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (status == 400 && j->p)
        snprintf(j->why, j->why_size, "invalid JSON at byte %zu: %s", (size_t)(j->p - j->s), msg);
    else
        snprintf(j->why, j->why_size, "%s", msg);
    return status;
}

/* Byte classes: bit 0 for the bytes a string holds as they are (0x20..0x7F but '"' and '\\'),
 * bit 1 for JSON whitespace. */
#define PLAIN 1
#define SPACE 2
static const unsigned char byte_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    3, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Skips whitespace; inline, as compact bodies (the common case) have none to skip. */
static inline void ws(js *j) {
    while (j->p < j->e && (byte_class[(unsigned char)*j->p] & SPACE)) j->p++;
}

static int expect(js *j, char c) {
    ws(j);
    if (j->p >= j->e) return fail(j, 400, "'%c' expected, got the end of the body", c);
    if (*j->p != c) return fail(j, 400, "'%c' expected", c);
    j->p++;
    return 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_u4(js *j, unsigned *out) {
    if (j->e - j->p < 4) return fail(j, 400, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(j->p[i]);
        if (h < 0) return fail(j, 400, "bad \\u escape");
        v = v * 16 + (unsigned)h;
    }
    j->p += 4;
    *out = v;
    return 0;
}

/* Bytes the arena holds beyond the body's length. Every decoded string is followed by its NUL
 * and 7 more zero bytes (later strings may overwrite them), so a string can be read 8 bytes at a
 * time from its start without reading past the arena or reading bytes never written; and
 * read_string and read_name may store 8 and 16 bytes at a time. */
#define ARENA_PAD 16

#if GN_SWAR
/* How many of the 8 bytes of w, from the first, are plain string bytes (byte_class PLAIN). */
static inline int plain_count(uint64_t w) {
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    /* bit 7 of a byte set where it is < 0x20, '"', '\\' or >= 0x80; borrows can set it
     * spuriously only above a byte that is truly set, so the lowest set byte is exact */
    uint64_t bad = (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | w) & high;
    return bad ? __builtin_ctzll(bad) >> 3 : 8;
}
#endif

/* Decodes the string at p (which is '"') into the arena; *out is NUL-terminated. */
static int read_string(js *j, const char **out, size_t *out_len) {
    j->p++;
    char *d = j->arena + j->used, *d0 = d;
    for (;;) {
        /* plain bytes are copied as they are scanned: the strings here are short (feature names,
         * categories), where one pass beats a scan plus a memcpy call */
        const char *p = j->p, *e = j->e;
#if GN_SWAR
        /* eight bytes at a time: copy them all, keep the plain ones (the arena has room) */
        while (e - p >= 8) {
            uint64_t w = gn__load8(p);
            int n = plain_count(w);
            memcpy(d, &w, 8);
            d += n;
            p += n;
            if (n < 8) break;
        }
#endif
        while (p < e && (byte_class[(unsigned char)*p] & PLAIN)) *d++ = *p++;
        j->p = p;
        if (j->p >= j->e) return fail(j, 400, "unterminated string");
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') { j->p++; break; }
        if (c < 0x20) return fail(j, 400, "control character in a string");
        if (c >= 0x80) {
            size_t n = gn__utf8_seq_len((const unsigned char *)j->p, (size_t)(j->e - j->p));
            if (!n) return fail(j, 400, "invalid UTF-8 in a string");
            memcpy(d, j->p, n);
            d += n;
            j->p += n;
            continue;
        }
        /* backslash */
        j->p++;
        if (j->p >= j->e) return fail(j, 400, "unterminated string");
        char esc = *j->p++;
        switch (esc) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '/': *d++ = '/'; break;
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case 'u': {
            unsigned cp;
            if (read_u4(j, &cp)) return 400;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(j, 400, "lone low surrogate in \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (j->e - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
                    return fail(j, 400, "high surrogate without its low half");
                j->p += 2;
                if (read_u4(j, &lo)) return 400;
                if (lo < 0xDC00 || lo > 0xDFFF) return fail(j, 400, "bad surrogate pair");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp == 0) return fail(j, 400, "\\u0000 is not allowed");
            /* a \uXXXX escape is 6 bytes, its UTF-8 at most 3; a pair is 12 bytes, UTF-8 4 */
            if (cp < 0x80) *d++ = (char)cp;
            else if (cp < 0x800) { *d++ = (char)(0xC0 | (cp >> 6)); *d++ = (char)(0x80 | (cp & 0x3F)); }
            else if (cp < 0x10000) {
                *d++ = (char)(0xE0 | (cp >> 12));
                *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *d++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *d++ = (char)(0xF0 | (cp >> 18));
                *d++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *d++ = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: return fail(j, 400, "bad escape '\\%c'", esc);
        }
    }
    /* the NUL and 7 more zeros: see ARENA_PAD */
    memset(d, 0, 8);
    *out = d0;
    *out_len = (size_t)(d - d0);
    j->used += (size_t)(d - d0) + 1;
    return 0;
}

/* Validates the JSON number at j->p and converts it in the same pass: the digits are gathered
 * while the grammar is checked, and the common shape (at most 15 digits, no exponent) is
 * converted at once exactly as gn__parse_double_fast does (one correctly rounded IEEE
 * operation); anything else goes to gn__parse_double over the validated text. Either way the
 * result is bit-identical to strtod. */
static int read_number(js *j, double *out) {
    const char *q = j->p, *e = j->e;
    int neg = 0;
    if (q < e && *q == '-') {
        neg = 1;
        q++;
    }
    if (q >= e || (unsigned char)(*q - '0') > 9) return fail(j, 400, "bad number");
    const char *d0 = q;
    uint64_t m = 0; /* wraps past 19 digits; used only for <= 15 */
    if (*q == '0') q++;
    else q = gn__read_digits(q, e, &m);
    int ndig = (int)(q - d0), frac = 0;
    if (q < e && *q == '.') {
        const char *f0 = ++q;
        if (q >= e || (unsigned char)(*q - '0') > 9) return fail(j, 400, "bad number: digits expected after '.'");
        q = gn__read_digits(q, e, &m);
        frac = (int)(q - f0);
        ndig += frac;
    }
    int expo = 0;
    if (q < e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < e && (*q == '+' || *q == '-')) q++;
        if (q >= e || (unsigned char)(*q - '0') > 9) return fail(j, 400, "bad number: exponent digits expected");
        while (q < e && (unsigned char)(*q - '0') <= 9) q++;
        expo = 1;
    }
    if (!GN_NUMPARSE_FAST_PATH || expo || ndig > 15) {
        const char *end = gn__parse_double(j->p, q, out);
        if (end != q) return fail(j, 400, "number out of range");
    } else {
        *out = gn__small_decimal(m, frac, neg);
    }
    j->p = q;
    return 0;
}

static int literal(js *j, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(j->e - j->p) < n || memcmp(j->p, word, n) != 0) return fail(j, 400, "unexpected character");
    j->p += n;
    return 0;
}

static int skip_value(js *j, int depth) {
    ws(j);
    if (j->p >= j->e) return fail(j, 400, "a value expected, got the end of the body");
    if (depth > GN__JSON_MAX_DEPTH) return fail(j, 400, "nesting deeper than %d", GN__JSON_MAX_DEPTH);
    const char *str;
    size_t sl;
    double v;
    switch (*j->p) {
    case '"': {
        size_t mark = j->used;
        int st = read_string(j, &str, &sl);
        j->used = mark; /* skipped: reuse the arena space */
        return st;
    }
    case 't': return literal(j, "true");
    case 'f': return literal(j, "false");
    case 'n': return literal(j, "null");
    case '[':
        j->p++;
        ws(j);
        if (j->p < j->e && *j->p == ']') { j->p++; return 0; }
        for (;;) {
            if (skip_value(j, depth + 1)) return 400;
            ws(j);
            if (j->p < j->e && *j->p == ',') { j->p++; continue; }
            return expect(j, ']');
        }
    case '{':
        j->p++;
        ws(j);
        if (j->p < j->e && *j->p == '}') { j->p++; return 0; }
        for (;;) {
            ws(j);
            if (j->p >= j->e || *j->p != '"') return fail(j, 400, "a member name (string) expected");
            size_t mark = j->used;
            if (read_string(j, &str, &sl)) return 400;
            j->used = mark;
            if (expect(j, ':') || skip_value(j, depth + 1)) return 400;
            ws(j);
            if (j->p < j->e && *j->p == ',') { j->p++; continue; }
            return expect(j, '}');
        }
    default: return read_number(j, &v);
    }
}

/* Hash of a decoded feature name (in the arena: see ARENA_PAD), for duplicate detection only
 * (never stored): eight bytes per multiply, where a byte-wise hash would chain a multiply per
 * byte. A name of n < 8 bytes whose bytes are the low n bytes of w (the rest zero) hashes to
 * hash_short(w, n). */
#define HASH_K UINT64_C(0x9E3779B97F4A7C15)
static inline uint32_t hash_short(uint64_t w, size_t n) {
    return (uint32_t)((((uint64_t)n * HASH_K) ^ w) * HASH_K >> 32);
}

static uint32_t hash_name(const char *s, size_t n) {
#if !GN_SWAR /* the word trick below keeps the name's bytes on little-endian machines only */
    uint32_t f = 2166136261u;
    for (size_t i = 0; i < n; i++) f = (f ^ (unsigned char)s[i]) * 16777619u;
    return f;
#else
    uint64_t w;
    if (n < 8) {
        memcpy(&w, s, 8);
        return hash_short(w & ((UINT64_C(1) << (8 * n)) - 1), n);
    }
    uint64_t h = (uint64_t)n * HASH_K;
    for (;; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        if (n < 8) {
            h = (h ^ (w & ((UINT64_C(1) << (8 * n)) - 1))) * HASH_K; /* the name's last bytes only */
            break;
        }
        h = (h ^ w) * HASH_K;
        h ^= h >> 29;
    }
    return (uint32_t)(h >> 32);
#endif
}

/* read_string for a feature name, with its hash_name. Names of up to 7 plain bytes (the common
 * case) are decoded straight from one 8-byte word, which also gives the hash: no loop, and no
 * reading back of bytes just stored. */
static int read_name(js *j, const char **out, size_t *out_len, uint32_t *hash) {
#if GN_SWAR
    if (j->e - j->p >= 9) {
        uint64_t w = gn__load8(j->p + 1);
        int n = plain_count(w);
        if (n < 8 && j->p[1 + n] == '"') {
            char *d = j->arena + j->used;
            uint64_t wn = n ? w & (~UINT64_C(0) >> (8 * (8 - n))) : 0, zero = 0;
            memcpy(d, &wn, 8); /* the name, its NUL and zeros up to d[8] */
            memcpy(d + 8, &zero, 8); /* ... and up to d[n + 7] (ARENA_PAD) */
            *out = d;
            *out_len = (size_t)n;
            *hash = hash_short(wn, (size_t)n);
            j->used += (size_t)n + 1;
            j->p += n + 2;
            return 0;
        }
    }
#endif
    if (read_string(j, out, out_len)) return 400;
    *hash = hash_name(*out, *out_len);
    return 0;
}

static int grow_features(js *j) {
    size_t cap = j->cap ? j->cap * 2 : 64;
    const char **names = realloc((void *)j->names, cap * sizeof *names);
    if (names) j->names = names;
    double *values = realloc(j->values, cap * sizeof *values);
    if (values) j->values = values;
    const char **strs = realloc((void *)j->strs, cap * sizeof *strs);
    if (strs) j->strs = strs;
    uint32_t *hashes = realloc(j->hashes, cap * sizeof *hashes);
    if (hashes) j->hashes = hashes;
    if (!names || !values || !strs || !hashes) return fail(j, 500, "out of memory");
    j->cap = cap;
    /* sparse (at most 1/16 full) while small, so probes rarely meet a taken slot; 1/4 for huge
     * instances, to bound the memory */
    size_t slots = (cap <= 1024 ? 16 : 4) * cap;
    uint32_t *sg = calloc(slots, sizeof *sg), *si = calloc(slots, sizeof *si);
    if (!sg || !si) {
        free(sg);
        free(si);
        return fail(j, 500, "out of memory");
    }
    /* re-insert the features of the current instance into the bigger table */
    for (size_t i = 0; i < j->nf; i++) {
        size_t k = j->hashes[i] & (slots - 1);
        while (sg[k] == j->gen) k = (k + 1) & (slots - 1);
        sg[k] = j->gen;
        si[k] = (uint32_t)i;
    }
    free(j->slot_gen);
    free(j->slot_idx);
    j->slot_gen = sg;
    j->slot_idx = si;
    j->slots = slots;
    return 0;
}

/* 1 if name (hash h) is already a feature of the current instance; else records it as feature
 * number j->nf. Needs room (j->nf < j->cap). */
static int seen_name(js *j, const char *name, uint32_t h) {
    size_t mask = j->slots - 1, k = h & mask;
    while (j->slot_gen[k] == j->gen) {
        uint32_t i = j->slot_idx[k];
        if (j->hashes[i] == h && strcmp(j->names[i], name) == 0) return 1;
        k = (k + 1) & mask;
    }
    j->slot_gen[k] = j->gen;
    j->slot_idx[k] = (uint32_t)j->nf;
    return 0;
}

static int read_instance_object(js *j, size_t index, size_t max_features) {
    j->p++; /* '{' */
    j->nf = 0;
    j->gen++; /* a new instance: forget the names of the last one */
    ws(j);
    if (j->p < j->e && *j->p == '}') { j->p++; return 0; }
    for (;;) {
        ws(j);
        if (j->p >= j->e || *j->p != '"') return fail(j, 400, "instance %zu: a feature name (string) expected", index);
        const char *name;
        size_t nl;
        uint32_t h;
        if (read_name(j, &name, &nl, &h)) return 400;
        if (j->p < j->e && *j->p == ':') j->p++; /* compact bodies: no whitespace to skip */
        else if (expect(j, ':')) return 400;
        ws(j);
        if (j->p >= j->e) return fail(j, 400, "a value expected, got the end of the body");
        if (j->nf >= max_features)
            return fail(j, 413, "instance %zu: more than %zu features", index, max_features);
        if (j->nf == j->cap && grow_features(j)) return 500;
        char c = *j->p;
        if (c != 'n') { /* null values are dropped, not recorded */
            j->names[j->nf] = name;
            j->hashes[j->nf] = h;
            if (seen_name(j, name, h))
                return fail(j, 400, "instance %zu: feature '%.100s' given twice", index, name);
        }
        if (c == '"') {
            const char *str;
            size_t sl;
            if (read_string(j, &str, &sl)) return 400;
            j->values[j->nf] = 0.0;
            j->strs[j->nf] = str;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            if (read_number(j, &j->values[j->nf])) return 400;
            j->strs[j->nf] = NULL;
        } else if (c == 'n') {
            if (literal(j, "null")) return 400;
            goto next; /* a missing value, like an empty CSV field */
        } else if (c == 't' || c == 'f' || c == '[' || c == '{') {
            return fail(j, 400, "instance %zu: feature '%.100s': value must be a number, a string or null", index,
                        name);
        } else {
            return fail(j, 400, "unexpected character");
        }
        j->nf++;
    next:
        ws(j);
        if (j->p < j->e && *j->p == ',') { j->p++; continue; }
        return expect(j, '}');
    }
}

static int read_instances(js *j, const char *key_name, size_t max_batch, size_t max_features, gn__instance_fn fn,
                          void *ctx) {
    ws(j);
    if (j->p >= j->e || *j->p != '[') return fail(j, 400, "\"%s\" must be an array", key_name);
    j->p++;
    ws(j);
    if (j->p < j->e && *j->p == ']') { j->p++; return 0; }
    for (size_t index = 0;; index++) {
        if (index >= max_batch)
            return fail(j, 413, "more than %zu instances in one request (--max-batch)", max_batch);
        ws(j);
        if (j->p >= j->e) return fail(j, 400, "an instance expected, got the end of the body");
        int st;
        size_t mark = j->used;
        if (*j->p == '{') {
            if ((st = read_instance_object(j, index, max_features))) return st;
            st = fn(ctx, index, j->nf, j->names, j->values, j->strs, NULL, 0, j->why, j->why_size);
        } else if (*j->p == '"') {
            const char *line;
            size_t ll;
            if (read_string(j, &line, &ll)) return 400;
            st = fn(ctx, index, 0, NULL, NULL, NULL, line, ll, j->why, j->why_size);
        } else {
            return fail(j, 400, "instance %zu: must be an object of feature: value, or a text line", index);
        }
        if (st) return st;
        j->used = mark; /* the instance is parsed into the batch: its strings are no longer needed */
        ws(j);
        if (j->p < j->e && *j->p == ',') { j->p++; continue; }
        return expect(j, ']');
    }
}

int gn__json_instances(const char *body, size_t len, size_t max_batch, size_t max_features, gn__instance_fn fn,
                       void *ctx, char *why, size_t why_size) {
    return gn__json_instances_at(body, len, "instances", max_batch, max_features, fn, NULL, ctx, NULL, why, why_size);
}

int gn__json_instances_at(const char *body, size_t len, const char *key_name, size_t max_batch, size_t max_features,
                          gn__instance_fn fn, gn__member_fn other, void *ctx, int *found, char *why, size_t why_size) {
    const size_t key_len = strlen(key_name);
    js j;
    memset(&j, 0, sizeof j);
    j.s = j.p = body;
    j.e = body + len;
    j.why = why;
    j.why_size = why_size;
    j.arena = malloc(len + ARENA_PAD);
    if (!j.arena) return fail(&j, 500, "out of memory");
    int st = 0, seen = 0;
    ws(&j);
    if (j.p >= j.e || *j.p != '{') {
        st = j.p >= j.e ? fail(&j, 400, "empty body") : 0;
        if (!st) {
            j.p = NULL;
            st = fail(&j, 400, "the body must be a JSON object with an \"instances\" array");
        }
        goto done;
    }
    j.p++;
    ws(&j);
    if (j.p < j.e && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            ws(&j);
            if (j.p >= j.e || *j.p != '"') { st = fail(&j, 400, "a member name (string) expected"); goto done; }
            const char *key;
            size_t kl;
            size_t mark = j.used;
            if ((st = read_string(&j, &key, &kl)) || (st = expect(&j, ':'))) goto done;
            if (kl == key_len && memcmp(key, key_name, kl) == 0) {
                if (seen) { st = fail(&j, 400, "\"%s\" given twice", key_name); goto done; }
                seen = 1;
                j.used = mark;
                if ((st = read_instances(&j, key_name, max_batch, max_features, fn, ctx))) goto done;
            } else {
                ws(&j);
                const char *v0 = j.p;
                if ((st = skip_value(&j, 1))) goto done;
                /* the key is still in the arena: skip_value reuses only what it used itself */
                if (other && (st = other(ctx, key, v0, (size_t)(j.p - v0), why, why_size))) goto done;
                j.used = mark;
            }
            ws(&j);
            if (j.p < j.e && *j.p == ',') { j.p++; continue; }
            if ((st = expect(&j, '}'))) goto done;
            break;
        }
    }
    ws(&j);
    if (j.p != j.e) { st = fail(&j, 400, "unexpected data after the JSON object"); goto done; }
    if (!seen && other) {
        st = 0; /* the caller's rules say whether the array may be missing */
    } else if (!seen) {
        j.p = NULL;
        st = fail(&j, 400, "the body must be a JSON object with an \"%s\" array", key_name);
    }
done:
    if (found) *found = seen;
    free(j.arena);
    free((void *)j.names);
    free(j.values);
    free((void *)j.strs);
    free(j.hashes);
    free(j.slot_gen);
    free(j.slot_idx);
    return st ? st : 200;
}
