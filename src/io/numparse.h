/* io/numparse.h: exact, fast parsing of the numbers in text data (labels, indices, values).
 * No locale, no allocation, no NUL terminator needed: each call parses [p, end). */
#ifndef GN_IO_NUMPARSE_H
#define GN_IO_NUMPARSE_H

#include <float.h>
#include <stdint.h>

/* Clinger's fast path is exact only when each double operation rounds once, to double (not on
 * x87's extended precision, for one): otherwise every number takes the exact slow path. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0 && FLT_RADIX == 2 && DBL_MANT_DIG == 53
#define GN_NUMPARSE_FAST_PATH 1
#else
#define GN_NUMPARSE_FAST_PATH 0
#endif

/* Parses a decimal floating-point number: optional sign, digits with an optional '.', optional
 * exponent (e/E, sign, digits), and "inf"/"nan" are rejected. The result is correctly rounded
 * (bit-identical to strtod on the same text). Returns a pointer just past the number, or NULL
 * if [p, end) does not start with a number. Leading whitespace is not skipped.
 * Like strtod, an 'e' without exponent digits ends the number before the 'e' ("1e" reads 1 and
 * returns a pointer to the 'e'). Unlike strtod: hex floats ("0x...") and values that overflow
 * to infinity return NULL; underflow gives 0 or a subnormal, as strtod does. *out is written
 * only on success. Thread-safe; independent of the locale. */
const char *gn__parse_double(const char *p, const char *end, double *out);

/* Parses an unsigned decimal integer (no sign). Returns a pointer past it, or NULL if there is
 * no digit or the value exceeds UINT64_MAX. */
const char *gn__parse_u64(const char *p, const char *end, uint64_t *out);

/* Eight bytes at a time (SWAR), for little-endian machines (GN_SWAR is 0 elsewhere and
 * callers keep their byte loops). A word w holds the 8 bytes at p (memcpy), first byte lowest.
 * gn__swar_digit_count: how many of them, from the first, are ASCII digits (0..8).
 * gn__swar_digit_value: the value of the first n (1..8) of them, which must be digits. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
#define GN_SWAR 1
static inline uint64_t gn__load8(const char *p) {
    uint64_t w;
    __builtin_memcpy(&w, p, 8);
    return w;
}

static inline int gn__swar_digit_count(uint64_t w) {
    uint64_t x = w ^ UINT64_C(0x3030303030303030); /* digits become 0..9 */
    /* bit 7 of a byte set where it is not 0..9; a carry can set it spuriously only above a byte
     * that is truly set, so the lowest set byte is exact */
    uint64_t non = (x | (x + UINT64_C(0x7676767676767676))) & UINT64_C(0x8080808080808080);
    return non ? __builtin_ctzll(non) >> 3 : 8;
}

static inline uint32_t gn__swar_digit_value(uint64_t w, int n) {
    uint64_t x = (w ^ UINT64_C(0x3030303030303030)) << (8 * (8 - n)); /* later bytes out, zeros in front */
    x = x * 10 + (x >> 8);                                                /* pairs of digits */
    x = (((x & UINT64_C(0x000000FF000000FF)) * (100 + (UINT64_C(1000000) << 32))) +
         (((x >> 16) & UINT64_C(0x000000FF000000FF)) * (1 + (UINT64_C(10000) << 32)))) >> 32;
    return (uint32_t)x;
}
#else
#define GN_SWAR 0
#endif

/* Reads the digits at q (maybe none) into *m (m * 10 + digit each; wraps past 19 digits, which
 * callers do not use: they count the digits and take a slow path beyond their limit) and returns
 * the end. Eight bytes at a time where the text has them, so the short runs of digits in data
 * files (indices, values, under 8 digits) take one step, without a per-digit loop exit to
 * mispredict. */
static inline const char *gn__read_digits(const char *q, const char *e, uint64_t *m) {
#if GN_SWAR
    static const uint64_t pow10_u64[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    while (e - q >= 8) {
        uint64_t w = gn__load8(q);
        int n = gn__swar_digit_count(w);
        if (n == 0) return q;
        *m = *m * pow10_u64[n] + gn__swar_digit_value(w, n);
        q += n;
        if (n < 8) return q;
    }
#endif
    while (q < e && (unsigned char)(*q - '0') <= 9) *m = *m * 10 + (uint64_t)(*q++ - '0');
    return q;
}

/* Inline fast paths for the common shapes in data files ("0.8581", "-3", "12345"): the same
 * results as the functions above (which they fall back to for anything else), only quicker. */
extern const double gn__exact_pow10[23];

/* The value of the decimal with digits m (at most 15 digits, so m < 10^15 < 2^53) of which the
 * last frac are after the point: m and 10^frac are exact doubles, so one correctly rounded
 * division gives the strtod result (Clinger). Only where GN_NUMPARSE_FAST_PATH holds. */
static inline double gn__small_decimal(uint64_t m, int frac, int neg) {
    double v = frac ? (double)m / gn__exact_pow10[frac] : (double)m;
    return neg ? -v : v;
}

static inline const char *gn__parse_double_fast(const char *p, const char *end, double *out) {
    const char *s = p;
    int neg = 0;
    if (s < end && *s == '-') {
        neg = 1;
        s++;
    }
    uint64_t m = 0;
    const char *d0 = s;
    while (s < end && (unsigned char)(*s - '0') < 10) m = m * 10 + (uint64_t)(*s++ - '0');
    int ndig = (int)(s - d0), frac = 0;
    if (s < end && *s == '.') {
        const char *f0 = ++s;
        while (s < end && (unsigned char)(*s - '0') < 10) m = m * 10 + (uint64_t)(*s++ - '0');
        frac = (int)(s - f0);
        ndig += frac;
    }
    if (!GN_NUMPARSE_FAST_PATH || ndig == 0 || ndig > 15 ||
        (s < end && (*s == 'e' || *s == 'E' || *s == 'x' || *s == 'X')))
        return gn__parse_double(p, end, out);
    *out = gn__small_decimal(m, frac, neg);
    return s;
}

static inline const char *gn__parse_u64_fast(const char *p, const char *end, uint64_t *out) {
    const char *s = p;
    uint64_t v = 0;
    while (s < end && (unsigned char)(*s - '0') < 10 && s - p < 19) v = v * 10 + (uint64_t)(*s++ - '0');
    if (s == p || (s < end && (unsigned char)(*s - '0') < 10)) return gn__parse_u64(p, end, out);
    *out = v;
    return s;
}


#endif
