/* test_atomic_file.c: util/atomic_file.c beyond the model file's round trips: the table of temp
 * files in progress that gn_remove_temp_files empties (every open temp file is removed, its write
 * then fails and leaves no target; slots are given back after commit and discard, so many writes
 * in a row stay covered; a SIGTERM handler that calls it leaves no temp file and still dies of
 * the signal), and the removal of the temp files that dead processes left next to a target (only
 * "<target>.tmp.<dead pid>.<16 hex>" regular files; live pids, other names and other targets stay). */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "gannet/gannet.h"
#include "util/atomic_file.h"

#define GN_TEST_DIR_TAG "atomic"
#include "test_util.h"

/* Entries of g_dir whose name contains ".tmp." */
static int count_temps(void) {
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    closedir(d);
    return n;
}

static int exists(const char *path) {
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static void test_remove_open_temps(void **state) {
    (void)state;
    gn_atomic_file a, b;
    char target_a[384], target_b[384];
    snprintf(target_a, sizeof target_a, "%s", tpath("a.bin"));
    snprintf(target_b, sizeof target_b, "%s", tpath("b.bin"));
    assert_int_equal(gn__atomic_create(&a, target_a), GN_OK);
    assert_int_equal(gn__atomic_create(&b, target_b), GN_OK);
    assert_int_equal(gn__write_all(a.fd, "hello", 5, target_a), GN_OK);
    assert_int_equal(count_temps(), 2);
    gn_remove_temp_files();
    assert_int_equal(count_temps(), 0);
    /* the interrupted writes fail and leave no target */
    assert_int_equal(gn__atomic_commit(&a, NULL), GN_EIO);
    assert_false(exists(target_a));
    gn__atomic_discard(&b, NULL);
    assert_false(exists(target_b));
    /* with nothing in progress it removes nothing */
    write_bytes(tpath("keep.bin"), "x", 1);
    gn_remove_temp_files();
    assert_true(exists(tpath("keep.bin")));
}

/* Slots come back after commit and discard: after many writes a new one is still covered. */
static void test_slots_are_released(void **state) {
    (void)state;
    char target[384];
    snprintf(target, sizeof target, "%s", tpath("many.bin"));
    for (int i = 0; i < 100; i++) {
        gn_atomic_file af;
        assert_int_equal(gn__atomic_create(&af, target), GN_OK);
        if (i % 2) {
            assert_int_equal(gn__atomic_commit(&af, NULL), GN_OK);
        } else {
            gn__atomic_discard(&af, NULL);
        }
    }
    assert_true(exists(target));
    gn_atomic_file af;
    assert_int_equal(gn__atomic_create(&af, target), GN_OK);
    assert_int_equal(count_temps(), 1);
    gn_remove_temp_files();
    assert_int_equal(count_temps(), 0);
    gn__atomic_discard(&af, NULL);
    assert_true(exists(target)); /* the committed file stays */
}

static void on_term(int sig) {
    gn_remove_temp_files();
    raise(sig);
}

/* A SIGTERM handler as the CLI installs one: the temp file goes, the exit status stays. */
static void test_signal_handler_removes_temp(void **state) {
    (void)state;
    char target[384];
    snprintf(target, sizeof target, "%s", tpath("signalled.bin"));
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_term;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        gn_atomic_file af;
        if (gn__atomic_create(&af, target) != GN_OK) _exit(3);
        if (gn__write_all(af.fd, "partial", 7, target) != GN_OK) _exit(4);
        raise(SIGTERM);
        _exit(5); /* not reached */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);
    assert_int_equal(count_temps(), 0);
    assert_false(exists(target));
}

/* The pid of a process that has exited and been reaped. */
static pid_t dead_pid(void) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    return pid;
}

static void test_stale_temps_of_dead_processes(void **state) {
    (void)state;
    const long dead = (long)dead_pid(), alive = (long)getppid();
    char name[128], removed[2][384], kept[8][384];
    int nkept = 0;
    snprintf(name, sizeof name, "t.bin.tmp.%ld.0123456789abcdef", dead);
    snprintf(removed[0], sizeof removed[0], "%s", tpath(name));
    snprintf(name, sizeof name, "t.bin.tmp.%ld.fedcba9876543210", dead);
    snprintf(removed[1], sizeof removed[1], "%s", tpath(name));
    const char *kept_fmt[] = {
        "t.bin.tmp.%ld.0123456789abcdef",  /* a live process (alive) */
        "t.bin.tmp.%ld.0123",              /* not 16 hex digits */
        "t.bin.tmp.%ld.0123456789abcdefx", /* something after them */
        "t.bin.tmp.%ld.0123456789ABCDEF",  /* not the lowercase gannet writes */
        "u.bin.tmp.%ld.0123456789abcdef",  /* another target */
        "t.binx.tmp.%ld.0123456789abcdef", /* another target that starts alike */
        "t.bin.tmp.x%ld.0123456789abcdef", /* not a pid */
    };
    for (size_t i = 0; i < sizeof kept_fmt / sizeof *kept_fmt; i++) {
        snprintf(name, sizeof name, kept_fmt[i], i == 0 ? alive : dead);
        snprintf(kept[nkept], sizeof kept[nkept], "%s", tpath(name));
        write_bytes(kept[nkept++], "k", 1);
    }
    snprintf(name, sizeof name, "t.bin.tmp.%ld.00000000000000aa", dead); /* not a regular file */
    snprintf(kept[nkept], sizeof kept[nkept], "%s", tpath(name));
    assert_int_equal(mkdir(kept[nkept++], 0700), 0);
    write_bytes(removed[0], "stale", 5);
    write_bytes(removed[1], "stale", 5);

    char target[384];
    snprintf(target, sizeof target, "%s", tpath("t.bin"));
    gn_atomic_file af;
    assert_int_equal(gn__atomic_create(&af, target), GN_OK);
    assert_int_equal(gn__write_all(af.fd, "new", 3, target), GN_OK);
    assert_int_equal(gn__atomic_commit(&af, NULL), GN_OK);
    assert_false(exists(removed[0]));
    assert_false(exists(removed[1]));
    for (int i = 0; i < nkept; i++) {
        if (!exists(kept[i])) fail_msg("%s was removed", kept[i]);
    }
    rmdir(kept[nkept - 1]);
    for (int i = 0; i < nkept - 1; i++) unlink(kept[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remove_open_temps),
        cmocka_unit_test(test_slots_are_released),
        cmocka_unit_test(test_signal_handler_removes_temp),
        cmocka_unit_test(test_stale_temps_of_dead_processes),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
