/* test_utf8.c: util/utf8: sequence lengths (valid 2..4-byte forms; overlong forms, surrogates,
 * code points past U+10FFFF, stray continuation bytes and cut sequences refused), the UTF-8 clean
 * copy of arbitrary bytes, and the quoted form of input in error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/utf8.h"

static size_t seq(const char *s, size_t avail) { return gn__utf8_seq_len((const unsigned char *)s, avail); }

static void test_sequence_lengths(void **state) {
    (void)state;
    assert_int_equal(seq("\xc3\xa9", 2), 2);             /* é */
    assert_int_equal(seq("\xe2\x82\xac", 3), 3);         /* € */
    assert_int_equal(seq("\xf0\x9f\x98\x80", 4), 4);     /* U+1F600 */
    assert_int_equal(seq("a", 1), 0);                    /* ASCII is not a multibyte sequence */
    assert_int_equal(seq("\xc0\xaf", 2), 0);             /* overlong '/' */
    assert_int_equal(seq("\xe0\x80\xaf", 3), 0);         /* overlong, 3 bytes */
    assert_int_equal(seq("\xed\xa0\x80", 3), 0);         /* surrogate U+D800 */
    assert_int_equal(seq("\xf4\x90\x80\x80", 4), 0);     /* U+110000 */
    assert_int_equal(seq("\x80", 1), 0);                 /* stray continuation */
    assert_int_equal(seq("\xe2\x82\xac", 2), 0);         /* cut by avail */
    assert_int_equal(seq("\xe2\x82", 4), 0);             /* cut by the NUL */
}

static void test_sanitize(void **state) {
    (void)state;
    char *s = gn__utf8_sanitize("ok \xc3\xa9 \xff\xfe/\xe2\x82");
    assert_non_null(s);
    assert_string_equal(s, "ok \xc3\xa9 \\xff\\xfe/\\xe2\\x82");
    free(s);
    s = gn__utf8_sanitize("");
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
}

static void test_shown(void **state) {
    (void)state;
    char buf[128];
    assert_string_equal(gn__utf8_shown("caf\xc3\xa9\t\xff", 7, buf, sizeof buf), "caf\xc3\xa9\\x09\\xff");
    /* long input is cut after about 40 bytes, never inside a UTF-8 sequence */
    char lng[200];
    for (int i = 0; i < 100; i++) memcpy(lng + 2 * i, "\xc3\xa9", 2);
    const char *out = gn__utf8_shown(lng, 200, buf, sizeof buf);
    size_t n = strlen(out);
    assert_true(n >= 40 && n < 60);
    assert_memory_equal(out + n - 3, "...", 3);
    for (size_t i = 0; i + 3 < n; i += 2) assert_memory_equal(out + i, "\xc3\xa9", 2);
    /* a small buffer is never overrun */
    char small[16];
    out = gn__utf8_shown("\xff\xff\xff\xff\xff\xff\xff\xff", 8, small, sizeof small);
    assert_true(strlen(out) < sizeof small);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence_lengths),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_shown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
