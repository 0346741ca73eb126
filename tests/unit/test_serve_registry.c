/* tests/unit/test_serve_registry.c: serve/registry hot swap. Reader threads acquire, predict and
 * release continuously while the main thread swaps the file between two models and reloads;
 * every prediction must be one of the two models' answers, never anything else (a freed or
 * half-loaded model), a corrupt file must be rejected and counted with the old model kept, and
 * everything is freed (ASan/LSan). Also the model-name rules and file identity used by --watch. */
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
#include <unistd.h>

#include "gannet/gannet.h"
#include "model/model.h"
#include "serve/registry.h"

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
        assert_int_equal(gn__slot_reload(&slot), GN_OK);
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
    assert_int_not_equal(gn__slot_reload(&slot), GN_OK);
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swap_under_load),
        cmocka_unit_test(test_names_and_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
