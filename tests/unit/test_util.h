/* test_util.h: helpers shared by the unit tests that work on files: a fresh temp directory per
 * test group (g_dir, made by setup_dir and removed by remove_dir, to pass to
 * cmocka_run_group_tests), paths inside it, and whole-file reads and writes that assert on
 * failure. Define GN_TEST_DIR_TAG (a string) before including to name the directory
 * /tmp/gn_test_<tag>_XXXXXX. Include after <cmocka.h> and its prerequisites. */
#ifndef GN_TEST_UTIL_H
#define GN_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GN_TEST_DIR_TAG
#define GN_TEST_DIR_TAG "unit"
#endif

static char g_dir[256];

static inline int setup_dir(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/gn_test_" GN_TEST_DIR_TAG "_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static inline int remove_dir(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* g_dir/name, in one of 8 rotating buffers: up to 8 results may be in use at once. */
static inline const char *tpath(const char *name) {
    static char buf[8][384];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

/* The whole file, in a malloc'd buffer with one spare byte; its size in *len. */
static inline void *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static inline void write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static inline void write_text(const char *path, const char *text) { write_bytes(path, text, strlen(text)); }

#endif
