/* test_checkpoint.c: the data files' fingerprints that tie a checkpoint to what its data files
 * held (learn/checkpoint.c, gn__data_fingerprint and its check): a file hashed whole resumes
 * after a new modification time with the same bytes and is refused after any change of its
 * bytes; a file too large to hash whole (here: a threshold of 1000 bytes) is hashed in sampled
 * blocks and refused after a new modification time too, since unsampled bytes may have changed;
 * stdin is recorded and never refused; a missing file is an I/O error. The end-to-end cases
 * (truncate, rewrite labels, touch, a cache alone) are in tests/e2e/test_resume_data.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define GN_TEST_DIR_TAG "checkpoint"
#include "test_util.h"

#include "gannet/gannet.h"
#include "learn/checkpoint.h"

/* n bytes of text lines, byte i depending on i and salt */
static void write_lines(const char *path, size_t n, unsigned salt) {
    char *buf = malloc(n);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++) buf[i] = (i + 1) % 40 == 0 ? '\n' : (char)('a' + (i * 7 + salt) % 26);
    write_bytes(path, buf, n);
    free(buf);
}

/* Sets the modification time of path to sec seconds after the epoch. */
static void set_mtime(const char *path, long sec) {
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* Flips the byte at off, keeping the size and the modification time. */
static void flip_byte(const char *path, long off, long mtime) {
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    int c = fgetc(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    fputc(c == 'x' ? 'y' : 'x', f);
    fclose(f);
    set_mtime(path, mtime);
}

static json_t *print_of(const char *path, uint64_t all_max) {
    json_t *j = NULL;
    assert_int_equal(gn__data_fingerprint(&path, 1, all_max, &j), GN_OK);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 1);
    return j;
}

static const char *hashed(const json_t *j) { return json_string_value(json_object_get(json_array_get(j, 0), "hashed")); }

static void test_whole_file(void **state) {
    (void)state;
    const char *p = tpath("whole.txt");
    write_lines(p, 100000, 1);
    set_mtime(p, 1000000000);
    json_t *then = print_of(p, GN__CK_HASH_ALL_MAX);
    assert_string_equal(hashed(then), "all");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(then, 0), "size")), 100000);

    /* the same bytes with a new modification time: accepted */
    set_mtime(p, 1200000000);
    json_t *now = print_of(p, GN__CK_HASH_ALL_MAX);
    assert_int_equal(gn__data_fingerprint_check("ck", then, now), GN_OK);
    json_decref(now);

    /* one byte in the middle, same size, same time: refused, naming the file */
    flip_byte(p, 54321, 1000000000);
    now = print_of(p, GN__CK_HASH_ALL_MAX);
    assert_int_equal(gn__data_fingerprint_check("ck", then, now), GN_ESTALE);
    assert_non_null(strstr(gn_last_error(), "whole.txt changed since the checkpoint: same size"));
    json_decref(now);

    /* truncated */
    write_lines(p, 99000, 1);
    now = print_of(p, GN__CK_HASH_ALL_MAX);
    assert_int_equal(gn__data_fingerprint_check("ck", then, now), GN_ESTALE);
    assert_non_null(strstr(gn_last_error(), "it had 100000 bytes and has 99000 now"));
    json_decref(now);
    json_decref(then);
}

static void test_sampled_file(void **state) {
    (void)state;
    const char *p = tpath("big.txt");
    write_lines(p, 300000, 2);
    set_mtime(p, 1000000000);
    json_t *then = print_of(p, 1000);
    assert_string_equal(hashed(then), "sampled");
    json_t *same = print_of(p, 1000);
    assert_int_equal(gn__data_fingerprint_check("ck", then, same), GN_OK);
    json_decref(same);

    /* a new modification time: the sampled blocks match, but the rest cannot be verified */
    set_mtime(p, 1200000000);
    json_t *now = print_of(p, 1000);
    assert_int_equal(gn__data_fingerprint_check("ck", then, now), GN_ESTALE);
    assert_non_null(strstr(gn_last_error(), "too large to verify in full"));
    json_decref(now);

    /* the first and the last byte are always sampled */
    flip_byte(p, 0, 1000000000);
    now = print_of(p, 1000);
    assert_int_equal(gn__data_fingerprint_check("ck", then, now), GN_ESTALE);
    assert_non_null(strstr(gn_last_error(), "other content"));
    json_decref(now);
    write_lines(p, 300000, 2); /* the original again, then its last byte but one */
    set_mtime(p, 1000000000);
    flip_byte(p, 300000 - 2, 1000000000);
    now = print_of(p, 1000);
    assert_int_equal(gn__data_fingerprint_check("ck", then, now), GN_ESTALE);
    json_decref(now);
    json_decref(then);
}

static void test_stdin_and_missing(void **state) {
    (void)state;
    const char *paths[] = {"-"};
    json_t *a = NULL, *b = NULL;
    assert_int_equal(gn__data_fingerprint(paths, 1, GN__CK_HASH_ALL_MAX, &a), GN_OK);
    assert_string_equal(hashed(a), "none");
    assert_int_equal(gn__data_fingerprint(paths, 1, GN__CK_HASH_ALL_MAX, &b), GN_OK);
    assert_int_equal(gn__data_fingerprint_check("ck", a, b), GN_OK);
    json_decref(a);
    json_decref(b);
    const char *missing = tpath("no-such-file");
    json_t *c = (json_t *)1;
    assert_int_equal(gn__data_fingerprint(&missing, 1, GN__CK_HASH_ALL_MAX, &c), GN_EIO);
    assert_null(c);
    assert_non_null(strstr(gn_last_error(), "no-such-file: cannot open"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_file),
        cmocka_unit_test(test_sampled_file),
        cmocka_unit_test(test_stdin_and_missing),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
