/* tests/unit/test_numparse.c: io/numparse against the C library's strtod, bit for bit: a table
 * of edge cases, 300,000 random tokens, prefixes cut at every length, locale independence, and
 * the u64 parser's bounds. Tokens are copied to exactly-sized heap buffers, so ASan reports any
 * read at or past `end`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/numparse.h"

/* A token alone in a heap block of exactly its length: no terminator, nothing after it. */
static const char *parse_exact(const char *text, size_t len, double *out, size_t *consumed) {
    char *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, text, len);
    const char *r = gn__parse_double(buf, buf + len, out);
    *consumed = r ? (size_t)(r - buf) : 0;
    free(buf);
    return r;
}

static uint64_t bits_of(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* Does the text start with something gn__parse_double deliberately refuses although strtod
 * takes it (leading space, inf/nan, hex)? */
static int strtod_only_syntax(const char *s) {
    if (*s == ' ' || (*s >= '\t' && *s <= '\r')) return 1;
    if (*s == '+' || *s == '-') s++;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return 1;
    return (*s | 0x20) == 'i' || (*s | 0x20) == 'n';
}

/* Checks one token of length len against strtod on a NUL-terminated copy. Returns 1 if we
 * accepted it. */
static int check_token_len(const char *text, size_t len) {
    char *z = malloc(len + 1);
    assert_non_null(z);
    memcpy(z, text, len);
    z[len] = '\0';
    char *zend;
    double want = strtod(z, &zend);
    size_t want_len = (size_t)(zend - z);

    double got = 12345.0;
    size_t got_len;
    const char *r = parse_exact(text, len, &got, &got_len);
    int accepted = r != NULL;
    if (want_len == 0 || isinf(want) || isnan(want) || strtod_only_syntax(z)) {
        if (r) {
            fail_msg("'%s': accepted (%.17g, %zu chars), strtod says %.17g after %zu chars", z,
                     got, got_len, want, want_len);
        }
    } else if (!r) {
        fail_msg("'%s': rejected, strtod gives %.17g after %zu chars", z, want, want_len);
    } else if (got_len != want_len || bits_of(got) != bits_of(want)) {
        fail_msg("'%s': got %a after %zu chars, strtod gives %a after %zu chars", z, got, got_len,
                 want, want_len);
    }
    free(z);
    return accepted;
}

static int check_token(const char *text) { return check_token_len(text, strlen(text)); }

static void test_table_against_strtod(void **state) {
    (void)state;
    static const char *const tokens[] = {
        "0", "1", "-1", "+1", "0.5", ".5", "5.", "-.5", "+.5", "-0", "-0.0", "+0", "0.0",
        "6.2699720e-02", "1E5", "1e5", "1e+5", "1e-5", "1.e5", ".5e1", "00000.00001",
        "0.1", "0.2", "0.3", "1.1", "3.141592653589793", "2.718281828459045",
        "1e22", "1e23", "1e-22", "1e-23", "9e22", "8.5e22", "123e25", "9007199254740992e22",
        "9007199254740993", "9007199254740992", "9007199254740991", "9007199254740994",
        "9007199254740995", "18014398509481985", "12345678901234567", "123456789012345678",
        "1234567890123456789", "12345678901234567890", "123456789012345678901",
        "0.12345678901234567", "0.1234567890123456789", "1.7976931348623157e308",
        "1.7976931348623158e308", "1.7976931348623159e308", "1e308", "1e309", "-1e309",
        "2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072014e-308",
        "4.9e-324", "4.9406564584124654e-324", "2.4703282292062327e-324",
        "2.4703282292062328e-324", "2.4703282292062327208828439643e-324", "5e-324", "3e-324",
        "2e-324", "1e-324", "1e-400", "-1e-400", "1e-99999999999999999999", "0e999999999",
        "1e99999999999999999999", "1e-308", "1e-307", "1e-323",
        "7.2057594037927933e16", "4503599627370496.5", "4503599627370497.5",
        "9007199254740993.0000000000000000000000000000001", "0.000000000000000000000000000001",
        "1000000000000000000000000000000", "100000000000000000000000.000000000000000000000001",
        "0000000000000000000000000000000000000001", "0.00000000000000000000000000000000000001e38",
        ("179769313486231580793728971405303415079934132710037826936173778980444968292764750946649"
         "01709217045630485655526544713770012700218218016345063710478393564163012451e-0"),
        "1e", "1e+", "1e-", "1E", "1ex", "1e+x", "-", "+", ".", "-.", "+.", "e5", "E5", ".e5",
        "1.5x", "1.5e3x", "12,5", "1..5", "--1", "+-1", "inf", "-inf", "nan", "infinity",
        "0x1p3", "0X10", "0x", "-0x1", "1x", " 1", "", "1e0000000000000000000000000001",
        "1.000000000000000000000000000000000000000000000000000000000000000000001",
        "0.9999999999999999999999999999999999999999999999999999999999999999999999",
        "5e-1", "25e-2", "125e-3", "9.999999999999999e22", "1.0e23", "8.98846567431158e307",
        "6.103515625e-05", "0.000061035156250000000000000000000000000000000000000000001",
    };
    int accepted = 0;
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) accepted += check_token(tokens[i]);
    assert_true(accepted > 80); /* the table is mostly numbers */
}

static void test_specific_values(void **state) {
    (void)state;
    double v;
    size_t n;
    assert_non_null(parse_exact("1.5x", 4, &v, &n));
    assert_int_equal(n, 3);
    assert_true(v == 1.5);
    assert_non_null(parse_exact("1e", 2, &v, &n)); /* stops before the 'e', like strtod */
    assert_int_equal(n, 1);
    assert_non_null(parse_exact("7e+", 3, &v, &n));
    assert_int_equal(n, 1);
    assert_true(v == 7.0);
    assert_non_null(parse_exact("-0.0", 4, &v, &n));
    assert_true(v == 0.0 && signbit(v));
    assert_non_null(parse_exact("-0e-99999", 9, &v, &n));
    assert_true(v == 0.0 && signbit(v));
    assert_non_null(parse_exact("-1e-400", 7, &v, &n)); /* underflow: -0, like strtod */
    assert_true(v == 0.0 && signbit(v));
    assert_null(parse_exact("1e400", 5, &v, &n)); /* overflow is not a number */
    assert_null(parse_exact("-", 1, &v, &n));
    assert_null(parse_exact(".", 1, &v, &n));
    assert_null(parse_exact("e5", 2, &v, &n));
    assert_null(parse_exact("", 0, &v, &n));
    assert_null(parse_exact("nan", 3, &v, &n));
    assert_null(parse_exact("0x10", 4, &v, &n));
    assert_non_null(parse_exact("4.9e-324", 8, &v, &n));
    assert_true(v == 4.9406564584124654e-324);
    assert_non_null(parse_exact("9007199254740993", 16, &v, &n)); /* halfway: to even */
    assert_true(v == 9007199254740992.0);
    /* Untouched output when rejected. */
    v = 42.0;
    assert_null(parse_exact("+", 1, &v, &n));
    assert_true(v == 42.0);
}

/* 1000 zeros then a 1: the slow path keeps only 800 digits but must stay exact. */
static void test_long_tokens(void **state) {
    (void)state;
    size_t cap = 5000;
    char *s = malloc(cap);
    assert_non_null(s);

    strcpy(s, "0.");
    memset(s + 2, '0', 1000);
    strcpy(s + 1002, "1");
    assert_true(check_token(s)); /* 1e-1001: underflows to 0 */
    strcpy(s + 1002, "1e1000");
    assert_true(check_token(s)); /* 1e-1 */
    double v;
    size_t n;
    assert_non_null(parse_exact(s, strlen(s), &v, &n));
    assert_true(v == 0.1);

    memset(s, '0', 1000);
    strcpy(s + 1000, "1");
    assert_true(check_token(s));

    /* Halfway between two doubles, then a nonzero digit far beyond the 800 kept: it must still
     * round up (the sticky digit), where truncation would round to even. */
    strcpy(s, "9007199254740993");
    memset(s + 16, '0', 2000);
    strcpy(s + 2016, "1e-2001");
    assert_true(check_token(s));
    assert_non_null(parse_exact(s, strlen(s), &v, &n));
    assert_true(v == 9007199254740994.0);

    strcpy(s, "9007199254740993.");
    memset(s + 17, '0', 2000);
    strcpy(s + 2017, "1");
    assert_true(check_token(s));
    assert_non_null(parse_exact(s, strlen(s), &v, &n));
    assert_true(v == 9007199254740994.0);
    s[2017] = '0'; /* all zeros: exactly halfway, ties to even */
    assert_true(check_token(s));
    assert_non_null(parse_exact(s, strlen(s), &v, &n));
    assert_true(v == 9007199254740992.0);

    /* Half the smallest subnormal, 2^-1075, written out exactly and padded to 1001 digits:
     * exactly halfway rounds to even (0); a '1' in the last digit, past the 800 digits the
     * slow path keeps, must round up to 2^-1074. */
    char half[1100];
    int hl = snprintf(half, sizeof half, "%.1000Le", 0x1p-1075L);
    assert_true(hl > 1000 && half[1001] == '0' && half[1002] == 'e');
    assert_true(check_token(half));
    assert_non_null(parse_exact(half, (size_t)hl, &v, &n));
    assert_true(v == 0.0 && !signbit(v));
    half[1001] = '1';
    assert_true(check_token(half));
    assert_non_null(parse_exact(half, (size_t)hl, &v, &n));
    assert_true(v == 0x1p-1074);
    /* The same around DBL_MAX's overflow threshold, 2^1024 - 2^970: halfway overflows. */
    hl = snprintf(half, sizeof half, "%.900Le", 0x1.fffffffffffff8p1023L);
    assert_true(hl > 900 && half[901] == '0' && half[902] == 'e');
    assert_false(check_token(half));
    int k = 901; /* minus one unit in the last digit: just below the threshold */
    while (half[k] == '0') half[k--] = '9';
    half[k]--;
    assert_true(check_token(half));
    assert_non_null(parse_exact(half, (size_t)hl, &v, &n));
    assert_true(v == 0x1.fffffffffffffp1023);
    for (size_t i = 0; i < 4000; i++) s[i] = (char)('0' + (i * 7 + 3) % 10);
    s[4000] = '\0';
    assert_false(check_token(s)); /* 4000 digits: overflows, rejected */
    s[0] = '.';
    assert_true(check_token(s));
    s[300] = '\0';
    assert_true(check_token(s));
    free(s);
}

/* Every prefix of some tokens, each at the very end of its buffer. */
static void test_prefixes(void **state) {
    (void)state;
    static const char *const tokens[] = {
        "-123.456e-7", "+.5E+3", "6.2699720e-02", "1.7976931348623157e308",
        "2.2250738585072011e-308", "12345678901234567890.12345e-10", "0.0001e5",
    };
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        size_t len = strlen(tokens[i]);
        for (size_t k = 0; k <= len; k++) check_token_len(tokens[i], k);
    }
}

/* splitmix64: deterministic random tokens. */
static uint64_t rng_state = 0x5eed2024u;
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static unsigned rnd_below(unsigned n) { return (unsigned)(rnd() % n); }

static double random_double(void) {
    switch (rnd_below(4)) {
    case 0: { /* any finite bit pattern: subnormals and huge values too */
        double d;
        do {
            uint64_t u = rnd();
            memcpy(&d, &u, sizeof d);
        } while (!isfinite(d));
        return d;
    }
    case 1: return (double)rnd_below(1000000) / 10000.0; /* typical feature values */
    case 2: return ldexp((double)(rnd() >> 11), (int)rnd_below(200) - 150);
    default: return (double)(int64_t)rnd() / 1e6;
    }
}

static size_t random_digit_token(char *s, size_t cap) {
    size_t n = 0;
    unsigned r = rnd_below(8);
    if (r == 0) s[n++] = '-';
    else if (r == 1) s[n++] = '+';
    unsigned style = rnd_below(4); /* 0 any digits, 1 mostly zeros, 2 mostly nines, 3 short */
    unsigned int_len = style == 3 ? rnd_below(4) : rnd_below(30);
    unsigned frac_len = style == 3 ? rnd_below(5) : rnd_below(30);
    if (rnd_below(10) == 0) int_len += rnd_below(300);
    for (unsigned i = 0; i < int_len && n < cap - 40; i++) {
        unsigned d = rnd_below(10);
        if (style == 1 && rnd_below(8)) d = 0;
        if (style == 2 && rnd_below(8)) d = 9;
        s[n++] = (char)('0' + d);
    }
    if (frac_len || rnd_below(4) == 0) s[n++] = '.';
    for (unsigned i = 0; i < frac_len && n < cap - 40; i++) {
        unsigned d = rnd_below(10);
        if (style == 1 && rnd_below(8)) d = 0;
        if (style == 2 && rnd_below(8)) d = 9;
        s[n++] = (char)('0' + d);
    }
    if (rnd_below(2)) {
        s[n++] = rnd_below(2) ? 'e' : 'E';
        unsigned sg = rnd_below(3);
        if (sg == 1) s[n++] = '-';
        else if (sg == 2) s[n++] = '+';
        int e = rnd_below(3) == 0 ? (int)rnd_below(30) : (int)rnd_below(700);
        if (rnd_below(50) == 0) e = (int)rnd_below(100000);
        n += (size_t)snprintf(s + n, cap - n, rnd_below(10) == 0 ? "%05d" : "%d", e);
    }
    if (rnd_below(20) == 0) s[n++] = "x,: e."[rnd_below(6)]; /* trailing junk */
    s[n] = '\0';
    return n;
}

/* The inline fast paths used by the parsers give exactly what the full functions give (same
 * value bits, same end pointer, same rejection), on data-like tokens and on random ones. */
static void check_fast_equals_full(const char *s, size_t len) {
    double a = 12345.0, b = 12345.0;
    const char *ea = gn__parse_double(s, s + len, &a);
    const char *eb = gn__parse_double_fast(s, s + len, &b);
    assert_ptr_equal(ea, eb);
    if (ea) assert_memory_equal(&a, &b, sizeof a);
    uint64_t u = 7, v = 7;
    ea = gn__parse_u64(s, s + len, &u);
    eb = gn__parse_u64_fast(s, s + len, &v);
    assert_ptr_equal(ea, eb);
    if (ea) assert_true(u == v);
}

static void test_fast_paths(void **state) {
    (void)state;
    static const char *const fixed[] = {"0.8581", "-0.5", "-0", "0", "1.", ".5", "-.5", "+1", "1e5",
                                        "1.5E-3", "0x10", "123456789012345", "1234567890123456",
                                        "0.000000000000001", "0.0000000000000001234", "-", ".", "",
                                        "18446744073709551615", "18446744073709551616",
                                        "9999999999999999999", "00000000000000000001", "7:1", "3 4",
                                        "2.5x", "4e", "1234567.8901234"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) check_fast_equals_full(fixed[i], strlen(fixed[i]));
    char s[2048];
    for (int i = 0; i < 200000; i++) {
        size_t len;
        if (i % 2) {
            len = random_digit_token(s, sizeof s);
        } else {
            int digits = 1 + (int)rnd_below(8);
            len = (size_t)snprintf(s, sizeof s, "%s%u.%0*u", rnd_below(4) ? "" : "-", (unsigned)rnd_below(1000),
                                   digits, (unsigned)rnd_below(100000000) % (unsigned)pow(10, digits));
        }
        check_fast_equals_full(s, len);
    }
}

static void test_random_against_strtod(void **state) {
    (void)state;
    static const char *const formats[] = {"%.17g", "%.4g", "%g", "%e", "%.16e", "%.20g", "%.0f"};
    char s[2048];
    long accepted = 0, total = 0;
    for (int i = 0; i < 300000; i++) {
        size_t len;
        if (i % 3 == 2) {
            len = random_digit_token(s, sizeof s);
        } else {
            double d = random_double();
            const char *fmt = formats[rnd_below(sizeof formats / sizeof formats[0])];
            if (fmt[2] == '0' && fmt[3] == 'f' && fabs(d) > 1e30) fmt = "%g";
            len = (size_t)snprintf(s, sizeof s, fmt, d);
        }
        accepted += check_token_len(s, len);
        total++;
    }
    print_message("random tokens: %ld checked, %ld accepted as numbers\n", total, accepted);
    assert_true(accepted > total * 9 / 10);
}

/* The parser must not follow LC_NUMERIC: with a ',' radix locale the answer stays the same. */
static void test_locale_independent(void **state) {
    (void)state;
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE"};
    const char *set = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !set; i++)
        set = setlocale(LC_NUMERIC, names[i]);
    if (!set) skip(); /* no such locale installed */
    double v;
    size_t n;
    const char *tok = "0.12345678901234567890123"; /* slow path */
    assert_non_null(parse_exact(tok, strlen(tok), &v, &n));
    setlocale(LC_NUMERIC, "C");
    assert_int_equal(n, strlen(tok));
    assert_true(v == strtod(tok, NULL));
}

static void test_u64(void **state) {
    (void)state;
    struct {
        const char *text;
        int ok;
        uint64_t value;
        size_t used;
    } cases[] = {
        {"0", 1, 0, 1},
        {"7", 1, 7, 1},
        {"0007", 1, 7, 4},
        {"123:4", 1, 123, 3},
        {"4294967296", 1, 4294967296u, 10},
        {"18446744073709551615", 1, UINT64_MAX, 20},
        {"018446744073709551615", 1, UINT64_MAX, 21},
        {"18446744073709551616", 0, 0, 0},
        {"18446744073709551620", 0, 0, 0},
        {"99999999999999999999", 0, 0, 0},
        {"184467440737095516150", 0, 0, 0},
        {"", 0, 0, 0},
        {"-1", 0, 0, 0},
        {"+1", 0, 0, 0},
        {" 1", 0, 0, 0},
        {"x", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].text);
        char *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        memcpy(buf, cases[i].text, len);
        uint64_t v = 99;
        const char *r = gn__parse_u64(buf, buf + len, &v);
        if (cases[i].ok) {
            assert_non_null(r);
            assert_int_equal(r - buf, cases[i].used);
            assert_true(v == cases[i].value);
        } else {
            assert_null(r);
            assert_true(v == 99); /* untouched */
        }
        free(buf);
    }
    /* end cuts the digits short */
    const char *s = "12345";
    uint64_t v;
    assert_ptr_equal(gn__parse_u64(s, s + 2, &v), s + 2);
    assert_true(v == 12);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_against_strtod),
        cmocka_unit_test(test_specific_values),
        cmocka_unit_test(test_long_tokens),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_random_against_strtod),
        cmocka_unit_test(test_locale_independent),
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_fast_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
