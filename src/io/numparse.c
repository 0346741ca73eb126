/* io/numparse.c: owns the parsing of decimal numbers in text data (labels, indices, feature
 * values). gn__parse_double is correctly rounded and bit-identical to strtod, in three tiers:
 * 1. Clinger's fast path: up to 2^53 times an exact power of ten, one IEEE operation;
 * 2. Eisel-Lemire (as in Go's strconv and fast_float): 19-digit mantissas such as "%.17g"
 *    output, with 10^-64..10^64, from 128-bit integer products; it declines the rare
 *    ambiguous cases;
 * 3. everything else is rewritten into a canonical digit string without a decimal point (so the
 *    locale's radix character cannot matter) and handed to the C library's strtod, which glibc
 *    rounds correctly. */
#include "io/numparse.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__FAST_MATH__)
#error "io/numparse.c needs exact IEEE arithmetic: do not build it with -ffast-math"
#endif


/* Significant digits the slow path keeps before replacing the rest by one sticky digit. Any
 * boundary between two rounding results (a double, a halfway point, the overflow threshold)
 * has at most 768 significant decimal digits, so 800 digits plus a sticky '1' round exactly as
 * the full string does. */
#define GN_SLOW_DIGITS 800
/* With at most GN_SLOW_DIGITS + 1 digits, a decimal exponent beyond this bound is an overflow
 * or an underflow to zero whatever the digits, so the exponent is clamped to it. */
#define GN_SLOW_EXP_CLAMP 99999
/* Explicit exponents saturate here while being read; far beyond any meaningful value. */
#define GN_EXP_SATURATE 1000000000

#define GN_MAX_EXACT_INT (UINT64_C(1) << 53) /* every integer up to 2^53 is a double */

#define exact_pow10 gn__exact_pow10
const double gn__exact_pow10[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static const uint64_t u64_pow10[16] = {
    UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000),
    UINT64_C(100000), UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000),
    UINT64_C(1000000000), UINT64_C(10000000000), UINT64_C(100000000000),
    UINT64_C(1000000000000), UINT64_C(10000000000000), UINT64_C(100000000000000),
    UINT64_C(1000000000000000),
};

/* Eisel-Lemire needs a 64x64->128-bit multiply; without one, tier 3 does the work. */
#if GN_NUMPARSE_FAST_PATH && defined(__SIZEOF_INT128__) && defined(__GNUC__)
#define GN_NUMPARSE_EISEL_LEMIRE 1
__extension__ typedef unsigned __int128 gn_u128;

#define GN_EL_MIN_EXP10 (-64)
#define GN_EL_MAX_EXP10 64

/* 10^q for q in [-64, 64] as a 128-bit mantissa {high, low} with its top bit set, truncated
 * (never rounded up), as the algorithm requires. Generated with Python's exact integers:
 *   q >= 0: m = 10**q shifted left (or right, truncating) to exactly 128 bits;
 *   q < 0:  d = 10**-q; m = (1 << (127 + d.bit_length())) // d. */
static const uint64_t el_pow10[GN_EL_MAX_EXP10 - GN_EL_MIN_EXP10 + 1][2] = {
    {UINT64_C(0xa87fea27a539e9a5), UINT64_C(0x3f2398d747b36224)},
    {UINT64_C(0xd29fe4b18e88640e), UINT64_C(0x8eec7f0d19a03aad)},
    {UINT64_C(0x83a3eeeef9153e89), UINT64_C(0x1953cf68300424ac)},
    {UINT64_C(0xa48ceaaab75a8e2b), UINT64_C(0x5fa8c3423c052dd7)},
    {UINT64_C(0xcdb02555653131b6), UINT64_C(0x3792f412cb06794d)},
    {UINT64_C(0x808e17555f3ebf11), UINT64_C(0xe2bbd88bbee40bd0)},
    {UINT64_C(0xa0b19d2ab70e6ed6), UINT64_C(0x5b6aceaeae9d0ec4)},
    {UINT64_C(0xc8de047564d20a8b), UINT64_C(0xf245825a5a445275)},
    {UINT64_C(0xfb158592be068d2e), UINT64_C(0xeed6e2f0f0d56712)},
    {UINT64_C(0x9ced737bb6c4183d), UINT64_C(0x55464dd69685606b)},
    {UINT64_C(0xc428d05aa4751e4c), UINT64_C(0xaa97e14c3c26b886)},
    {UINT64_C(0xf53304714d9265df), UINT64_C(0xd53dd99f4b3066a8)},
    {UINT64_C(0x993fe2c6d07b7fab), UINT64_C(0xe546a8038efe4029)},
    {UINT64_C(0xbf8fdb78849a5f96), UINT64_C(0xde98520472bdd033)},
    {UINT64_C(0xef73d256a5c0f77c), UINT64_C(0x963e66858f6d4440)},
    {UINT64_C(0x95a8637627989aad), UINT64_C(0xdde7001379a44aa8)},
    {UINT64_C(0xbb127c53b17ec159), UINT64_C(0x5560c018580d5d52)},
    {UINT64_C(0xe9d71b689dde71af), UINT64_C(0xaab8f01e6e10b4a6)},
    {UINT64_C(0x9226712162ab070d), UINT64_C(0xcab3961304ca70e8)},
    {UINT64_C(0xb6b00d69bb55c8d1), UINT64_C(0x3d607b97c5fd0d22)},
    {UINT64_C(0xe45c10c42a2b3b05), UINT64_C(0x8cb89a7db77c506a)},
    {UINT64_C(0x8eb98a7a9a5b04e3), UINT64_C(0x77f3608e92adb242)},
    {UINT64_C(0xb267ed1940f1c61c), UINT64_C(0x55f038b237591ed3)},
    {UINT64_C(0xdf01e85f912e37a3), UINT64_C(0x6b6c46dec52f6688)},
    {UINT64_C(0x8b61313bbabce2c6), UINT64_C(0x2323ac4b3b3da015)},
    {UINT64_C(0xae397d8aa96c1b77), UINT64_C(0xabec975e0a0d081a)},
    {UINT64_C(0xd9c7dced53c72255), UINT64_C(0x96e7bd358c904a21)},
    {UINT64_C(0x881cea14545c7575), UINT64_C(0x7e50d64177da2e54)},
    {UINT64_C(0xaa242499697392d2), UINT64_C(0xdde50bd1d5d0b9e9)},
    {UINT64_C(0xd4ad2dbfc3d07787), UINT64_C(0x955e4ec64b44e864)},
    {UINT64_C(0x84ec3c97da624ab4), UINT64_C(0xbd5af13bef0b113e)},
    {UINT64_C(0xa6274bbdd0fadd61), UINT64_C(0xecb1ad8aeacdd58e)},
    {UINT64_C(0xcfb11ead453994ba), UINT64_C(0x67de18eda5814af2)},
    {UINT64_C(0x81ceb32c4b43fcf4), UINT64_C(0x80eacf948770ced7)},
    {UINT64_C(0xa2425ff75e14fc31), UINT64_C(0xa1258379a94d028d)},
    {UINT64_C(0xcad2f7f5359a3b3e), UINT64_C(0x096ee45813a04330)},
    {UINT64_C(0xfd87b5f28300ca0d), UINT64_C(0x8bca9d6e188853fc)},
    {UINT64_C(0x9e74d1b791e07e48), UINT64_C(0x775ea264cf55347d)},
    {UINT64_C(0xc612062576589dda), UINT64_C(0x95364afe032a819d)},
    {UINT64_C(0xf79687aed3eec551), UINT64_C(0x3a83ddbd83f52204)},
    {UINT64_C(0x9abe14cd44753b52), UINT64_C(0xc4926a9672793542)},
    {UINT64_C(0xc16d9a0095928a27), UINT64_C(0x75b7053c0f178293)},
    {UINT64_C(0xf1c90080baf72cb1), UINT64_C(0x5324c68b12dd6338)},
    {UINT64_C(0x971da05074da7bee), UINT64_C(0xd3f6fc16ebca5e03)},
    {UINT64_C(0xbce5086492111aea), UINT64_C(0x88f4bb1ca6bcf584)},
    {UINT64_C(0xec1e4a7db69561a5), UINT64_C(0x2b31e9e3d06c32e5)},
    {UINT64_C(0x9392ee8e921d5d07), UINT64_C(0x3aff322e62439fcf)},
    {UINT64_C(0xb877aa3236a4b449), UINT64_C(0x09befeb9fad487c2)},
    {UINT64_C(0xe69594bec44de15b), UINT64_C(0x4c2ebe687989a9b3)},
    {UINT64_C(0x901d7cf73ab0acd9), UINT64_C(0x0f9d37014bf60a10)},
    {UINT64_C(0xb424dc35095cd80f), UINT64_C(0x538484c19ef38c94)},
    {UINT64_C(0xe12e13424bb40e13), UINT64_C(0x2865a5f206b06fb9)},
    {UINT64_C(0x8cbccc096f5088cb), UINT64_C(0xf93f87b7442e45d3)},
    {UINT64_C(0xafebff0bcb24aafe), UINT64_C(0xf78f69a51539d748)},
    {UINT64_C(0xdbe6fecebdedd5be), UINT64_C(0xb573440e5a884d1b)},
    {UINT64_C(0x89705f4136b4a597), UINT64_C(0x31680a88f8953030)},
    {UINT64_C(0xabcc77118461cefc), UINT64_C(0xfdc20d2b36ba7c3d)},
    {UINT64_C(0xd6bf94d5e57a42bc), UINT64_C(0x3d32907604691b4c)},
    {UINT64_C(0x8637bd05af6c69b5), UINT64_C(0xa63f9a49c2c1b10f)},
    {UINT64_C(0xa7c5ac471b478423), UINT64_C(0x0fcf80dc33721d53)},
    {UINT64_C(0xd1b71758e219652b), UINT64_C(0xd3c36113404ea4a8)},
    {UINT64_C(0x83126e978d4fdf3b), UINT64_C(0x645a1cac083126e9)},
    {UINT64_C(0xa3d70a3d70a3d70a), UINT64_C(0x3d70a3d70a3d70a3)},
    {UINT64_C(0xcccccccccccccccc), UINT64_C(0xcccccccccccccccc)},
    {UINT64_C(0x8000000000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xa000000000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xc800000000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xfa00000000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x9c40000000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xc350000000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xf424000000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x9896800000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xbebc200000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xee6b280000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x9502f90000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xba43b74000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xe8d4a51000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x9184e72a00000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xb5e620f480000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xe35fa931a0000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x8e1bc9bf04000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xb1a2bc2ec5000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xde0b6b3a76400000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x8ac7230489e80000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xad78ebc5ac620000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xd8d726b7177a8000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x878678326eac9000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xa968163f0a57b400), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xd3c21bcecceda100), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x84595161401484a0), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xa56fa5b99019a5c8), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xcecb8f27f4200f3a), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x813f3978f8940984), UINT64_C(0x4000000000000000)},
    {UINT64_C(0xa18f07d736b90be5), UINT64_C(0x5000000000000000)},
    {UINT64_C(0xc9f2c9cd04674ede), UINT64_C(0xa400000000000000)},
    {UINT64_C(0xfc6f7c4045812296), UINT64_C(0x4d00000000000000)},
    {UINT64_C(0x9dc5ada82b70b59d), UINT64_C(0xf020000000000000)},
    {UINT64_C(0xc5371912364ce305), UINT64_C(0x6c28000000000000)},
    {UINT64_C(0xf684df56c3e01bc6), UINT64_C(0xc732000000000000)},
    {UINT64_C(0x9a130b963a6c115c), UINT64_C(0x3c7f400000000000)},
    {UINT64_C(0xc097ce7bc90715b3), UINT64_C(0x4b9f100000000000)},
    {UINT64_C(0xf0bdc21abb48db20), UINT64_C(0x1e86d40000000000)},
    {UINT64_C(0x96769950b50d88f4), UINT64_C(0x1314448000000000)},
    {UINT64_C(0xbc143fa4e250eb31), UINT64_C(0x17d955a000000000)},
    {UINT64_C(0xeb194f8e1ae525fd), UINT64_C(0x5dcfab0800000000)},
    {UINT64_C(0x92efd1b8d0cf37be), UINT64_C(0x5aa1cae500000000)},
    {UINT64_C(0xb7abc627050305ad), UINT64_C(0xf14a3d9e40000000)},
    {UINT64_C(0xe596b7b0c643c719), UINT64_C(0x6d9ccd05d0000000)},
    {UINT64_C(0x8f7e32ce7bea5c6f), UINT64_C(0xe4820023a2000000)},
    {UINT64_C(0xb35dbf821ae4f38b), UINT64_C(0xdda2802c8a800000)},
    {UINT64_C(0xe0352f62a19e306e), UINT64_C(0xd50b2037ad200000)},
    {UINT64_C(0x8c213d9da502de45), UINT64_C(0x4526f422cc340000)},
    {UINT64_C(0xaf298d050e4395d6), UINT64_C(0x9670b12b7f410000)},
    {UINT64_C(0xdaf3f04651d47b4c), UINT64_C(0x3c0cdd765f114000)},
    {UINT64_C(0x88d8762bf324cd0f), UINT64_C(0xa5880a69fb6ac800)},
    {UINT64_C(0xab0e93b6efee0053), UINT64_C(0x8eea0d047a457a00)},
    {UINT64_C(0xd5d238a4abe98068), UINT64_C(0x72a4904598d6d880)},
    {UINT64_C(0x85a36366eb71f041), UINT64_C(0x47a6da2b7f864750)},
    {UINT64_C(0xa70c3c40a64e6c51), UINT64_C(0x999090b65f67d924)},
    {UINT64_C(0xd0cf4b50cfe20765), UINT64_C(0xfff4b4e3f741cf6d)},
    {UINT64_C(0x82818f1281ed449f), UINT64_C(0xbff8f10e7a8921a4)},
    {UINT64_C(0xa321f2d7226895c7), UINT64_C(0xaff72d52192b6a0d)},
    {UINT64_C(0xcbea6f8ceb02bb39), UINT64_C(0x9bf4f8a69f764490)},
    {UINT64_C(0xfee50b7025c36a08), UINT64_C(0x02f236d04753d5b4)},
    {UINT64_C(0x9f4f2726179a2245), UINT64_C(0x01d762422c946590)},
    {UINT64_C(0xc722f0ef9d80aad6), UINT64_C(0x424d3ad2b7b97ef5)},
    {UINT64_C(0xf8ebad2b84e0d58b), UINT64_C(0xd2e0898765a7deb2)},
    {UINT64_C(0x9b934c3b330c8577), UINT64_C(0x63cc55f49f88eb2f)},
    {UINT64_C(0xc2781f49ffcfa6d5), UINT64_C(0x3cbf6b71c76b25fb)},
};

/* floor(q * log2(10)), without right-shifting a negative number. */
static inline int64_t floor_log2_pow10(int64_t q) {
    int64_t t = q * 217706; /* 217706 / 2^16 ~ log2(10): exact floors for |q| < 643 */
    return t >= 0 ? t >> 16 : -((-t + 65535) >> 16);
}

/* man * 10^q rounded to nearest-even, for man != 0 and exact. Returns false where it cannot
 * decide (halfway ambiguity, out of table range, subnormal or overflowing results). */
static bool eisel_lemire(uint64_t man, int64_t q, bool negative, double *out) {
    if (q < GN_EL_MIN_EXP10 || q > GN_EL_MAX_EXP10) return false;
    const uint64_t *pow = el_pow10[q - GN_EL_MIN_EXP10];
    int lz = __builtin_clzll(man);
    man <<= lz;
    uint64_t exp2 = (uint64_t)(floor_log2_pow10(q) + 64 + 1023) - (uint64_t)lz;

    gn_u128 x = (gn_u128)man * pow[0];
    uint64_t x_hi = (uint64_t)(x >> 64), x_lo = (uint64_t)x;
    if ((x_hi & 0x1FF) == 0x1FF && x_lo + man < man) {
        /* The truncated high half may be off: bring in the low 64 bits of the power. */
        gn_u128 y = (gn_u128)man * pow[1];
        uint64_t y_hi = (uint64_t)(y >> 64), y_lo = (uint64_t)y;
        uint64_t merged_hi = x_hi, merged_lo = x_lo + y_hi;
        if (merged_lo < x_lo) merged_hi++;
        if ((merged_hi & 0x1FF) == 0x1FF && merged_lo + 1 == 0 && y_lo + man < man) return false;
        x_hi = merged_hi;
        x_lo = merged_lo;
    }
    uint64_t msb = x_hi >> 63;
    uint64_t bits = x_hi >> (msb + 9); /* 54 bits: the mantissa plus a rounding bit */
    exp2 -= 1 ^ msb;
    if (x_lo == 0 && (x_hi & 0x1FF) == 0 && (bits & 3) == 1) return false; /* maybe halfway */
    bits += bits & 1;
    bits >>= 1;
    if (bits >> 53) { /* rounding carried into a new bit */
        bits >>= 1;
        exp2++;
    }
    if (exp2 - 1 >= 0x7FF - 1) return false; /* subnormal, zero or infinite: leave to strtod */
    bits = exp2 << 52 | (bits & ((UINT64_C(1) << 52) - 1));
    if (negative) bits |= UINT64_C(1) << 63;
    memcpy(out, &bits, sizeof *out);
    return true;
}
#else
#define GN_NUMPARSE_EISEL_LEMIRE 0
#endif

static inline bool is_digit(char c) { return (unsigned char)(c - '0') < 10; }

/* The slow path: [digits, digits_end) holds the mantissa digits with at most one '.', the value
 * is that mantissa times 10^exp_explicit. Writes "[-]DDDD...e[-]NNN" (no decimal point, so the
 * locale's radix character cannot matter) into a stack buffer and calls strtod on it. */
static bool parse_slow(const char *digits, const char *digits_end, int64_t exp_explicit,
                       bool negative, double *out) {
    char buf[1 + GN_SLOW_DIGITS + 1 + 2 + 8 + 1];
    size_t pos = 0, taken = 0;
    int64_t exp10 = exp_explicit;
    bool after_point = false, sticky = false;

    if (negative) buf[pos++] = '-';
    for (const char *c = digits; c < digits_end; c++) {
        if (*c == '.') {
            after_point = true;
        } else if (taken == 0 && *c == '0') {
            exp10 -= after_point; /* leading zero: only its place value matters */
        } else if (taken < GN_SLOW_DIGITS) {
            buf[pos++] = *c;
            taken++;
            exp10 -= after_point;
        } else {
            exp10 += !after_point; /* dropped digit: shifts the kept ones if before the point */
            sticky |= *c != '0';
        }
    }
    if (taken == 0) { /* unreachable: zero is handled by the caller; kept for safety */
        *out = negative ? -0.0 : 0.0;
        return true;
    }
    if (sticky) { /* a nonzero tail: one '1' one place below the kept digits stands for it */
        buf[pos++] = '1';
        exp10--;
    }
    if (exp10 > GN_SLOW_EXP_CLAMP) exp10 = GN_SLOW_EXP_CLAMP;
    if (exp10 < -GN_SLOW_EXP_CLAMP) exp10 = -GN_SLOW_EXP_CLAMP;
    buf[pos++] = 'e';
    if (exp10 < 0) {
        buf[pos++] = '-';
        exp10 = -exp10;
    }
    char rev[8];
    int nrev = 0;
    do {
        rev[nrev++] = (char)('0' + exp10 % 10);
        exp10 /= 10;
    } while (exp10 > 0);
    while (nrev > 0) buf[pos++] = rev[--nrev];
    buf[pos] = '\0';

    int saved_errno = errno; /* strtod reports ERANGE; callers should not see it */
    double v = strtod(buf, NULL);
    errno = saved_errno;
    if (isinf(v)) return false; /* overflow: not a usable number */
    *out = v;
    return true;
}

const char *gn__parse_double(const char *p, const char *end, double *out) {
    bool negative = false;
    if (p < end && (*p == '-' || *p == '+')) {
        negative = *p == '-';
        p++;
    }
    /* Hex floats ("0x1p3") are not data; reject them rather than stop after the "0". */
    if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) return NULL;

    const char *digits = p;
    uint64_t mant = 0;     /* the first 19 significant digits */
    int ndigits = 0;       /* significant digits in mant (leading zeros do not count) */
    int64_t exp10 = 0;     /* value = mant * 10^exp10 (before the explicit exponent) */
    bool inexact = false;  /* a nonzero digit did not fit into mant */

    const char *int_start = p;
    while (p < end && is_digit(*p)) {
        unsigned d = (unsigned)(*p - '0');
        if (ndigits < 19) {
            mant = mant * 10 + d;
            ndigits += mant != 0;
        } else {
            exp10++;
            inexact |= d != 0;
        }
        p++;
    }
    bool any_digit = p != int_start;
    if (p < end && *p == '.') {
        p++;
        const char *frac_start = p;
        while (p < end && is_digit(*p)) {
            unsigned d = (unsigned)(*p - '0');
            if (ndigits < 19) {
                mant = mant * 10 + d;
                ndigits += mant != 0;
                exp10--;
            } else {
                inexact |= d != 0;
            }
            p++;
        }
        any_digit |= p != frac_start;
    }
    if (!any_digit) return NULL; /* "", "-", ".", "+.", "e5", "inf", "nan" */
    const char *digits_end = p;

    int64_t exp_explicit = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        /* Like strtod: an 'e' not followed by digits is not part of the number. */
        const char *q = p + 1;
        bool exp_negative = false;
        if (q < end && (*q == '-' || *q == '+')) {
            exp_negative = *q == '-';
            q++;
        }
        if (q < end && is_digit(*q)) {
            while (q < end && is_digit(*q)) {
                if (exp_explicit < GN_EXP_SATURATE) exp_explicit = exp_explicit * 10 + (*q - '0');
                q++;
            }
            if (exp_negative) exp_explicit = -exp_explicit;
            p = q;
        }
    }

    if (mant == 0) { /* all digits zero: +-0 whatever the exponent */
        *out = negative ? -0.0 : 0.0;
        return p;
    }

#if GN_NUMPARSE_FAST_PATH
    if (!inexact && mant <= GN_MAX_EXACT_INT) {
        int64_t e = exp10 + exp_explicit;
        double v;
        if (e >= 0 && e <= 22) {
            v = (double)mant * exact_pow10[e];
        } else if (e < 0 && e >= -22) {
            v = (double)mant / exact_pow10[-e];
        } else if (e > 22 && e <= 22 + 15 && mant <= GN_MAX_EXACT_INT / u64_pow10[e - 22]) {
            /* "123e25": shift the surplus power into the integer, which stays exact. */
            v = (double)(mant * u64_pow10[e - 22]) * exact_pow10[22];
        } else {
            goto not_clinger;
        }
        *out = negative ? -v : v;
        return p;
    }
not_clinger:
#if GN_NUMPARSE_EISEL_LEMIRE
    if (!inexact) {
        if (eisel_lemire(mant, exp10 + exp_explicit, negative, out)) return p;
    } else {
        /* More than 19 digits: the value lies in [mant, mant + 1) * 10^e; if both ends round
         * to the same double, so does everything between them. */
        double lo, hi;
        if (eisel_lemire(mant, exp10 + exp_explicit, negative, &lo) &&
            eisel_lemire(mant + 1, exp10 + exp_explicit, negative, &hi) && lo == hi) {
            *out = lo;
            return p;
        }
    }
#endif
#else
    (void)inexact;
    (void)exp10;
#endif
    if (!parse_slow(digits, digits_end, exp_explicit, negative, out)) return NULL;
    return p;
}

const char *gn__parse_u64(const char *p, const char *end, uint64_t *out) {
    const char *start = p;
    uint64_t v = 0;
    while (p < end && is_digit(*p)) {
        unsigned d = (unsigned)(*p - '0');
        if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10)) return NULL;
        v = v * 10 + d;
        p++;
    }
    if (p == start) return NULL;
    *out = v;
    return p;
}
