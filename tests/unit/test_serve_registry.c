/* tests/unit/test_serve_registry.c: serve/registry hot swap. Reader threads acquire, predict and
 * release continuously while the main thread swaps the file between two models and reloads;
 * every prediction must be one of the two models' answers, never anything else (a freed or
 * half-loaded model), a corrupt file must be rejected and counted with the old model kept, and
 * everything is freed (ASan/LSan). Also the model-name rules and file identity used by --watch,
 * and reloads that must not hang (issue 13): a FIFO, a directory or a symlink loop at the path
 * fails at once; a huge file gives up at the deadline; closing the slot (server stop) ends a
 * reload in progress; concurrent reloads of one slot all succeed, one load at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gannet/gannet.h"
#include "model/model.h"
#include "serve/registry.h"
#include "util/clock.h"

static char dir[256];
static double answer[2]; /* prediction of "1 1:1" under model 0 and model 1 */

static void write_model(const char *path, float w1) {
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.format = GN_FORMAT_LIBSVM;
    spec.bits = 4;
    gn_model *m;
    assert_int_equal(gn__model_new(GN_KIND_LINEAR, GN_LOSS_SQUARED, &spec, 1, &m), GN_OK);
    m->w[1] = w1;
    assert_int_equal(gn__model_finalize(m), GN_OK);
    assert_int_equal(gn_model_save(m, path), GN_OK);
    gn_model_free(m);
}

typedef struct reader {
    gn__slot *slot;
    atomic_int *stop;
    long predictions, wrong;
} reader;

static void *read_loop(void *arg) {
    reader *r = arg;
    while (!atomic_load(r->stop)) {
        gn__served *v = gn__slot_acquire(r->slot);
        double y;
        if (gn_model_predict_line(v->model, "1 1:1", 5, &y) != GN_OK || (y != answer[0] && y != answer[1]))
            r->wrong++;
        r->predictions++;
        gn__served_release(v);
    }
    return NULL;
}

static void test_swap_under_load(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/gn-test-registry.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char live[300], a[300], b[300], bad[300];
    snprintf(live, sizeof live, "%s/live.model", dir);
    snprintf(a, sizeof a, "%s/a.model", dir);
    snprintf(b, sizeof b, "%s/b.model", dir);
    snprintf(bad, sizeof bad, "%s/bad.model", dir);
    write_model(a, 2.0f);
    write_model(b, 5.0f);
    answer[0] = 2.0;
    answer[1] = 5.0;
    write_model(live, 2.0f);

    gn__slot slot;
    assert_int_equal(gn__slot_init(&slot, "m", live), GN_OK);
    atomic_int stop;
    atomic_init(&stop, 0);
    reader rd[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        rd[i] = (reader){&slot, &stop, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, read_loop, &rd[i]), 0);
    }
    for (int k = 0; k < 40; k++) {
        write_model(live, k % 2 ? 2.0f : 5.0f); /* atomic rename over the live file */
        assert_int_equal(gn__slot_reload(&slot, gn__now() + 60, NULL), GN_OK);
        gn__served *v = gn__slot_acquire(&slot);
        double y;
        assert_int_equal(gn_model_predict_line(v->model, "1 1:1", 5, &y), GN_OK);
        assert_true(y == (k % 2 ? 2.0 : 5.0));
        gn__served_release(v);
    }
    /* a corrupt file: rejected, counted, the old model stays */
    FILE *f = fopen(live, "wb");
    assert_non_null(f);
    fputs("not a model", f);
    fclose(f);
    gn__served *before = gn__slot_acquire(&slot);
    assert_int_not_equal(gn__slot_reload(&slot, gn__now() + 60, NULL), GN_OK);
    gn__served *after = gn__slot_acquire(&slot);
    assert_ptr_equal(before, after);
    gn__served_release(before);
    gn__served_release(after);
    atomic_store(&stop, 1);
    long total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(rd[i].wrong, 0);
        total += rd[i].predictions;
    }
    assert_true(total > 0);
    assert_int_equal(atomic_load(&slot.stats.reload_ok), 40);
    assert_int_equal(atomic_load(&slot.stats.reload_fail), 1);
    gn__slot_destroy(&slot);
    unlink(live);
    unlink(a);
    unlink(b);
    unlink(bad);
    rmdir(dir);
}

static void test_names_and_identity(void **state) {
    (void)state;
    assert_true(gn__model_name_ok("heart"));
    assert_true(gn__model_name_ok("ctr-v2.1_b"));
    assert_false(gn__model_name_ok(""));
    assert_false(gn__model_name_ok("a/b"));
    assert_false(gn__model_name_ok("a:predict"));
    assert_false(gn__model_name_ok("sp ace"));
    char longname[100];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_false(gn__model_name_ok(longname));
    gn__slot slot;
    assert_int_equal(gn__slot_init(&slot, "bad name", "/nonexistent"), GN_EINVAL);
    assert_int_not_equal(gn__slot_init(&slot, "ok", "/nonexistent/x.model"), GN_OK);

    char path[] = "/tmp/gn-test-ident.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    gn__file_id x, y;
    gn__file_identify(path, &x);
    gn__file_identify(path, &y);
    assert_true(x.exists);
    assert_true(gn__file_id_equal(&x, &y));
    FILE *f = fopen(path, "ab");
    fputs("more", f);
    fclose(f);
    gn__file_identify(path, &y);
    assert_false(gn__file_id_equal(&x, &y));
    unlink(path);
    gn__file_identify(path, &y);
    assert_false(y.exists);
}

/* A fresh directory with live.model (w1 = 2) loaded into *slot. */
static void setup_slot(gn__slot *slot, char *d, size_t dsize, char *live, size_t lsize) {
    snprintf(d, dsize, "/tmp/gn-test-registry.XXXXXX");
    assert_non_null(mkdtemp(d));
    snprintf(live, lsize, "%s/live.model", d);
    write_model(live, 2.0f);
    assert_int_equal(gn__slot_init(slot, "m", live), GN_OK);
}

/* Predicts "1 1:1" with the slot's current model. */
static double slot_answer(gn__slot *slot) {
    gn__served *v = gn__slot_acquire(slot);
    double y;
    assert_int_equal(gn_model_predict_line(v->model, "1 1:1", 5, &y), GN_OK);
    gn__served_release(v);
    return y;
}

/* A 4 GiB sparse file whose fixed header is plausible (a dense model of 2^30 weights, "{}" as
 * header): the loader must read all of it to find out the checksum is wrong (~20 s on a slow
 * disk), unless it gives up at its deadline. */
static void write_huge(const char *path) {
    unsigned char fixed[42] = "GANNETMD";
    const uint64_t n = (uint64_t)1 << 30;
    const uint32_t u32[4] = {1, 0x01020304u, 0, 2};
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 4; i++) fixed[8 + 4 * k + i] = (unsigned char)(u32[k] >> (8 * i));
    for (int i = 0; i < 8; i++) fixed[24 + i] = fixed[32 + i] = (unsigned char)(n >> (8 * i));
    fixed[40] = '{';
    fixed[41] = '}';
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(fixed, 1, sizeof fixed, f), sizeof fixed);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(truncate(path, (off_t)(sizeof fixed + 4 * n + 8)), 0);
}

static void cleanup_dir(const char *d) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

/* Issue 13: with a FIFO at the model path, each reload blocked a thread forever in open(). Now
 * every non-regular file is refused at once (SIGALRM, at its default action, kills a test that
 * blocks), the old model keeps serving and each failure is counted. */
static void test_reload_not_regular(void **state) {
    (void)state;
    char d[256], live[300], other[300];
    gn__slot slot;
    setup_slot(&slot, d, sizeof d, live, sizeof live);
    snprintf(other, sizeof other, "%s/other", d);
    alarm(20);
    assert_int_equal(unlink(live), 0);
    assert_int_equal(mkfifo(live, 0600), 0);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(gn__slot_reload(&slot, gn__now() + 60, NULL), GN_EIO);
        assert_non_null(strstr(gn_last_error(), "not a regular file (it is a FIFO)"));
        assert_non_null(strstr(gn_last_error(), live));
    }
    assert_int_equal(unlink(live), 0);
    assert_int_equal(mkdir(live, 0700), 0);
    assert_int_equal(gn__slot_reload(&slot, gn__now() + 60, NULL), GN_EIO);
    assert_non_null(strstr(gn_last_error(), "it is a directory"));
    assert_int_equal(rmdir(live), 0);
    assert_int_equal(symlink(other, live), 0);
    assert_int_equal(symlink(live, other), 0);
    assert_int_equal(gn__slot_reload(&slot, gn__now() + 60, NULL), GN_EIO);
    assert_non_null(strstr(gn_last_error(), "cannot open"));
    alarm(0);
    assert_true(slot_answer(&slot) == 2.0);
    assert_int_equal(atomic_load(&slot.stats.reload_fail), 5);
    assert_int_equal(atomic_load(&slot.stats.reload_ok), 0);
    /* a good file again: loads */
    assert_int_equal(unlink(live), 0);
    write_model(live, 5.0f);
    assert_int_equal(gn__slot_reload(&slot, gn__now() + 60, NULL), GN_OK);
    assert_true(slot_answer(&slot) == 5.0);
    gn__slot_destroy(&slot);
    cleanup_dir(d);
}

/* A huge file: the reload gives up at its deadline with GN_ELIMIT, the old model serving. */
static void test_reload_deadline(void **state) {
    (void)state;
    char d[256], live[300];
    gn__slot slot;
    setup_slot(&slot, d, sizeof d, live, sizeof live);
    write_huge(live);
    double t0 = gn__now();
    assert_int_equal(gn__slot_reload(&slot, t0 + 0.2, NULL), GN_ELIMIT);
    double took = gn__now() - t0;
    assert_non_null(strstr(gn_last_error(), live));
    assert_true(took < 3.0);
    assert_true(slot_answer(&slot) == 2.0);
    assert_int_equal(atomic_load(&slot.stats.reload_fail), 1);
    /* the next reload is not held up by the one that gave up */
    write_model(live, 5.0f);
    assert_int_equal(gn__slot_reload(&slot, gn__now() + 60, NULL), GN_OK);
    assert_true(slot_answer(&slot) == 5.0);
    gn__slot_destroy(&slot);
    cleanup_dir(d);
}

typedef struct reloader {
    gn__slot *slot;
    double deadline;
    int status;
    double took;
    char msg[512];
} reloader;

static void *reload_once(void *arg) {
    reloader *r = arg;
    double t0 = gn__now();
    r->status = gn__slot_reload(r->slot, r->deadline, NULL);
    r->took = gn__now() - t0;
    snprintf(r->msg, sizeof r->msg, "%s", gn_last_error());
    return NULL;
}

/* Server stop: a reload still loading (60 s allowed) ends at once, and later ones fail. */
static void test_reload_close(void **state) {
    (void)state;
    char d[256], live[300];
    gn__slot slot;
    setup_slot(&slot, d, sizeof d, live, sizeof live);
    write_huge(live);
    reloader r = {&slot, gn__now() + 60, -1, 0, ""};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, reload_once, &r), 0);
    struct timespec ts = {0, 200000000L};
    nanosleep(&ts, NULL);
    gn__slot_close(&slot);
    pthread_join(th, NULL);
    assert_int_not_equal(r.status, GN_OK);
    assert_true(r.took < 5.0);
    assert_non_null(strstr(r.msg, "stopping"));
    assert_int_not_equal(gn__slot_reload(&slot, gn__now() + 60, NULL), GN_OK);
    assert_non_null(strstr(gn_last_error(), "stopping"));
    assert_true(slot_answer(&slot) == 2.0);
    gn__slot_destroy(&slot);
    cleanup_dir(d);
}

/* Reloads from several threads at once: each loads in its turn and succeeds. */
static void test_concurrent_reloads(void **state) {
    (void)state;
    char d[256], live[300];
    gn__slot slot;
    setup_slot(&slot, d, sizeof d, live, sizeof live);
    reloader r[6];
    pthread_t th[6];
    for (int round = 0; round < 5; round++) {
        write_model(live, round % 2 ? 2.0f : 5.0f);
        for (int i = 0; i < 6; i++) {
            r[i] = (reloader){&slot, gn__now() + 60, -1, 0, ""};
            assert_int_equal(pthread_create(&th[i], NULL, reload_once, &r[i]), 0);
        }
        for (int i = 0; i < 6; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(r[i].status, GN_OK);
        }
        assert_true(slot_answer(&slot) == (round % 2 ? 2.0 : 5.0));
    }
    assert_int_equal(atomic_load(&slot.stats.reload_ok), 30);
    assert_int_equal(atomic_load(&slot.stats.reload_fail), 0);
    gn__slot_destroy(&slot);
    cleanup_dir(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload_not_regular),
        cmocka_unit_test(test_reload_deadline),
        cmocka_unit_test(test_reload_close),
        cmocka_unit_test(test_concurrent_reloads),
        cmocka_unit_test(test_swap_under_load),
        cmocka_unit_test(test_names_and_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
