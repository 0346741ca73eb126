/* test_fault.c: fault injection, SQLite style. This binary is linked with
 * -Wl,--wrap=malloc,calloc,realloc,strdup,strndup,posix_memalign,mmap,XXH3_createState (the
 * allocators libgannet calls) and --wrap=write,fwrite,fflush,fclose,fsync,close,rename,open (its
 * write path), see tests/CMakeLists.txt; jansson allocates through the same wrapped malloc
 * (json_set_alloc_funcs). Each operation runs again and again with the Nth call failing, for
 * N = 1, 2, ... until a run sees no failure:
 *   - allocation: the Nth allocation fails (once), or it and every later one fails (persistent);
 *     the operation must fail with GN_ENOMEM (the server's predict path: HTTP 500) or succeed
 *     with exactly the result of a run without faults; never crash. Under the ASan build a leak
 *     on any of these paths fails the test at exit.
 *   - I/O: the Nth write-path call fails with ENOSPC/EIO, or the Nth write is short, or it is
 *     short and every later call fails (the disk filled up); the operation must fail with an
 *     error, or succeed with the fault-free result, and the destination is never half written:
 *     it is absent, still the previous file, or the whole new file; no temporary file is left.
 * Operations: training (LIBSVM and CSV text, holdout and best weights, checkpoints, resume, a
 * cache), model save, model load, and the server's predict path (gn__predict_body: JSON and
 * text bodies). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define GN_TEST_DIR_TAG "fault"
#include "test_util.h"

#include "gannet/gannet.h"
#include "model/model.h"
#include "serve/predict_req.h"
#include "serve/recommend_req.h"
#include "serve/strbuf.h"
#include "util/json_safe.h"

/* ---- the fault switch ---- */

enum io_mode { IO_FAIL = 0, IO_SHORT = 1, IO_FULL = 2 };

static atomic_int g_armed_alloc, g_armed_io;
static atomic_long g_alloc_calls, g_alloc_fail_at, g_alloc_failed;
static atomic_int g_alloc_persistent;
static atomic_long g_io_calls, g_io_fail_at, g_io_faults;
static atomic_int g_io_mode;

/* Inside jansson's json_loadb allocations are not failed (they are not even counted) unless a
 * test asks for it: jansson 2.14's lexer ignores a failed growth of its token buffer, then
 * silently drops a character from the value or abort()s on assert(c == d) in lex_unget_unsave
 * (akheron/jansson#362, open upstream). util/json_safe.c catches the dropped character by parsing
 * until two parses agree (test_json_loadb_dropped_character); the abort cannot be helped from
 * outside jansson. */
static _Thread_local int g_in_json_load;
static atomic_int g_json_faults;

/* Recording (one run without faults): the call stack of every allocation, hashed, so that the
 * sanitizer build can fail each distinct allocation site once (see alloc_loop). */
static int g_recording;
static uint64_t *g_sites;
static size_t g_nsites, g_capsites;
void *__real_realloc(void *p, size_t n);

/* The caller of the wrapper (its return address, where the stack is found again: a sanitizer's
 * backtrace adds frames of its own) and the two frames above it. */
static void record_site(void *caller) {
    void *bt[10];
    int k = backtrace(bt, 10), j = 0;
    while (j < k && bt[j] != caller) j++;
    if (j == k) { /* not found: the caller alone */
        bt[0] = caller;
        j = 0;
        k = 1;
    }
    uint64_t h = XXH3_64bits(bt + j, (size_t)(k - j < 3 ? k - j : 3) * sizeof *bt);
    if (g_nsites == g_capsites) {
        size_t cap = g_capsites ? g_capsites * 2 : 4096;
        uint64_t *p = __real_realloc(g_sites, cap * sizeof *p);
        if (!p) return;
        g_sites = p;
        g_capsites = cap;
    }
    g_sites[g_nsites++] = h;
}

static int alloc_fault_at(void *caller) {
    if (!atomic_load(&g_armed_alloc)) return 0;
    if (g_in_json_load && !atomic_load(&g_json_faults)) return 0;
    if (g_recording) record_site(caller);
    const long n = atomic_fetch_add(&g_alloc_calls, 1) + 1, at = atomic_load(&g_alloc_fail_at);
    if (at > 0 && (n == at || (atomic_load(&g_alloc_persistent) && n > at))) {
        atomic_fetch_add(&g_alloc_failed, 1);
        return 1;
    }
    return 0;
}

/* What the Nth write-path call does: 0 (nothing), IO_FAIL (fail) or IO_SHORT (a short write,
 * for the calls that write; a failure for the others). */
static int io_fault(void) {
    if (!atomic_load(&g_armed_io)) return 0;
    const long n = atomic_fetch_add(&g_io_calls, 1) + 1, at = atomic_load(&g_io_fail_at);
    const int mode = atomic_load(&g_io_mode);
    if (at <= 0 || n < at) return 0;
    if (n == at) {
        atomic_fetch_add(&g_io_faults, 1);
        return mode == IO_FAIL ? IO_FAIL + 1 : IO_SHORT + 1;
    }
    if (mode == IO_FULL) {
        atomic_fetch_add(&g_io_faults, 1);
        return IO_FAIL + 1;
    }
    return 0;
}
/* in a wrapper: the allocation its caller asked for */
#define alloc_fault() alloc_fault_at(__builtin_return_address(0))
#define FAULT_FAIL (IO_FAIL + 1)
#define FAULT_SHORT (IO_SHORT + 1)

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_posix_memalign(void **p, size_t align, size_t n);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
XXH3_state_t *__real_XXH3_createState(void);
json_t *__real_json_loadb(const char *buffer, size_t len, size_t flags, json_error_t *err);
ssize_t __real_write(int fd, const void *buf, size_t n);
size_t __real_fwrite(const void *buf, size_t size, size_t n, FILE *f);
int __real_fflush(FILE *f);
int __real_fclose(FILE *f);
int __real_close(int fd);
int __real_rename(const char *from, const char *to);
int __real_open(const char *path, int flags, ...);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_posix_memalign(void **p, size_t align, size_t n);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
XXH3_state_t *__wrap_XXH3_createState(void);
json_t *__wrap_json_loadb(const char *buffer, size_t len, size_t flags, json_error_t *err);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
size_t __wrap_fwrite(const void *buf, size_t size, size_t n, FILE *f);
int __wrap_fflush(FILE *f);
int __wrap_fclose(FILE *f);
int __wrap_fsync(int fd);
int __wrap_close(int fd);
int __wrap_rename(const char *from, const char *to);
int __wrap_open(const char *path, int flags, ...);

void *__wrap_malloc(size_t n) {
    if (alloc_fault()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b) {
    if (alloc_fault()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n) {
    if (alloc_fault()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_realloc(p, n);
}
char *__wrap_strdup(const char *s) {
    if (alloc_fault()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_strdup(s);
}
char *__wrap_strndup(const char *s, size_t n) {
    if (alloc_fault()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_strndup(s, n);
}
int __wrap_posix_memalign(void **p, size_t align, size_t n) {
    if (alloc_fault()) return ENOMEM;
    return __real_posix_memalign(p, align, n);
}
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    if ((flags & MAP_ANONYMOUS) && alloc_fault()) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return __real_mmap(addr, len, prot, flags, fd, off);
}
XXH3_state_t *__wrap_XXH3_createState(void) { return alloc_fault() ? NULL : __real_XXH3_createState(); }
json_t *__wrap_json_loadb(const char *buffer, size_t len, size_t flags, json_error_t *err) {
    g_in_json_load++;
    json_t *j = __real_json_loadb(buffer, len, flags, err);
    g_in_json_load--;
    return j;
}

ssize_t __wrap_write(int fd, const void *buf, size_t n) {
    switch (io_fault()) {
    case FAULT_FAIL: errno = ENOSPC; return -1;
    case FAULT_SHORT: return __real_write(fd, buf, n > 1 ? n / 2 : n);
    default: return __real_write(fd, buf, n);
    }
}
size_t __wrap_fwrite(const void *buf, size_t size, size_t n, FILE *f) {
    switch (io_fault()) {
    case FAULT_FAIL: errno = ENOSPC; return 0;
    case FAULT_SHORT: {
        size_t done = __real_fwrite(buf, size, n / 2, f);
        errno = ENOSPC;
        return done;
    }
    default: return __real_fwrite(buf, size, n, f);
    }
}
int __wrap_fflush(FILE *f) {
    if (io_fault()) {
        errno = ENOSPC;
        return EOF;
    }
    return __real_fflush(f);
}
int __wrap_fclose(FILE *f) {
    const int fault = io_fault(); /* the stream is closed either way, as fclose does */
    int r = __real_fclose(f);
    if (fault) {
        errno = ENOSPC;
        return EOF;
    }
    return r;
}
int __wrap_fsync(int fd) {
    if (io_fault()) {
        errno = EIO;
        return -1;
    }
    (void)fd; /* durability is not under test: skipping the real fsync keeps the loops fast */
    return 0;
}
int __wrap_close(int fd) {
    const int fault = io_fault(); /* the descriptor is released either way (POSIX on Linux) */
    int r = __real_close(fd);
    if (fault) {
        errno = EIO;
        return -1;
    }
    return r;
}
int __wrap_rename(const char *from, const char *to) {
    if (io_fault()) {
        errno = EIO;
        return -1;
    }
    return __real_rename(from, to);
}
int __wrap_open(const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
        if (io_fault()) {
            errno = ENOSPC;
            return -1;
        }
    }
    return __real_open(path, flags, mode);
}

/* ---- helpers ---- */

static char g_svm[512], g_csv[512];

static int setup(void **state) {
    (void)state;
    /* a memory file system when there is one: thousands of runs create and remove files */
    snprintf(g_dir, sizeof g_dir, "%s/gn_test_fault_XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(g_dir)) return -1;
    snprintf(g_svm, sizeof g_svm, "%s", tpath("d.svm"));
    snprintf(g_csv, sizeof g_csv, "%s", tpath("d.csv"));
    size_t cap = 1 << 16, len = 0;
    char *svm = malloc(cap), *csv = malloc(cap);
    if (!svm || !csv) return -1;
    unsigned x = 12345;
    len = 0;
    size_t clen = (size_t)snprintf(csv, cap, "y,city,age,score\n");
    for (int i = 0; i < 240; i++) {
        x = x * 1103515245u + 12345u;
        int a = (int)(x >> 16) % 7, b = (int)(x >> 8) % 5;
        int y = (a + b + i) % 3 == 0 ? 1 : -1;
        len += (size_t)snprintf(svm + len, cap - len, "%+d 1:%d.%d %d:1 %d:0.5%s\n", y, a, b, 2 + a, 9 + b,
                                i % 5 == 0 ? " 17:2" : "");
        static const char *const cities[] = {"oslo", "rome", "lima", "\"a,b\""};
        clen += (size_t)snprintf(csv + clen, cap - clen, "%s,%s,%d,%d.%d\n", y > 0 ? "yes" : "no", cities[(x >> 4) % 4],
                                 20 + a * 5, b, a);
    }
    write_text(g_svm, svm);
    write_text(g_csv, csv);
    free(svm);
    free(csv);
    return 0;
}

/* Files in g_dir whose name contains ".tmp." (atomic writes' temporary files). */
static int count_temps(void) {
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

/* The model's metadata without what changes from run to run (time, seconds, the version). */
static json_t *stable_metadata(const gn_model *m) {
    json_error_t err;
    json_t *j = json_loads(gn_model_metadata_json(m), 0, &err);
    if (!j) fail_msg("metadata is not JSON (%s): %.300s", err.text, gn_model_metadata_json(m));
    json_object_del(j, "created");
    json_object_del(j, "version");
    json_object_del(json_object_get(j, "metrics"), "seconds");
    return j;
}

/* a and b hold the same weights (bit for bit), spec and metadata. */
static void assert_same_model(const gn_model *a, const gn_model *b) {
    assert_true(a->nweights == b->nweights);
    assert_memory_equal(a->w, b->w, a->nweights * sizeof *a->w);
    json_t *ja = stable_metadata(a), *jb = stable_metadata(b);
    if (!json_equal(ja, jb)) {
        const char *key;
        json_t *v;
        json_object_foreach(ja, key, v) {
            if (json_equal(v, json_object_get(jb, key))) continue;
            char *ta = json_dumps(v, JSON_SORT_KEYS | JSON_ENCODE_ANY);
            char *tb = json_dumps(json_object_get(jb, key), JSON_SORT_KEYS | JSON_ENCODE_ANY);
            fail_msg("metadata differs at '%s' (after allocation %ld / write-path call %ld):\n%.700s\n%.700s", key,
                     atomic_load(&g_alloc_fail_at), atomic_load(&g_io_fail_at), ta ? ta : "?", tb ? tb : "(none)");
        }
        fail_msg("metadata differs: keys missing");
    }
    json_decref(ja);
    json_decref(jb);
}

/* ---- the operations: each returns a status and leaves what it made in *out (or NULL) ---- */

typedef struct op {
    const char *name;
    int (*run)(const struct op *op, gn_model **out);
    const char *dest;     /* the file it writes (checked after a failure), or NULL */
    int dest_kind;        /* 0 model, 1 checkpoint, 2 cache */
    const char *csv;      /* train: CSV instead of LIBSVM */
    int checkpoint, resume, cache, holdout;
} op;

static void train_options(const op *o, gn_train_options *t, gn_data_spec *s) {
    gn_train_options_init(t);
    gn_data_spec_init(s);
    s->bits = 10;
    t->threads = 1;
    t->passes = 2;
    if (o->holdout) {
        t->holdout = 0.25;
        t->early_stop = 1;
    }
    if (o->csv) {
        assert_int_equal(gn_data_spec_set(s, "categorical", "city"), GN_OK);
        assert_int_equal(gn_data_spec_set(s, "label", "y"), GN_OK);
    }
    if (o->checkpoint) {
        t->checkpoint_path = tpath("run.ck");
        t->checkpoint_examples = 200;
    }
    if (o->resume) t->resume_path = tpath("resume.ck");
    if (o->cache) t->cache_path = tpath("d.cache");
}

static int run_train(const op *o, gn_model **out) {
    gn_train_options t;
    gn_data_spec s;
    train_options(o, &t, &s);
    const char *path = o->csv ? g_csv : g_svm;
    return gn_train(&t, &s, &path, 1, NULL, NULL, out, NULL);
}

static gn_model *g_model; /* trained once, for save and predict */

static int run_save(const op *o, gn_model **out) {
    *out = NULL;
    return gn_model_save(g_model, o->dest);
}

static int run_load(const op *o, gn_model **out) {
    (void)o;
    return gn_model_load(tpath("load.gnm"), out);
}

/* ---- the loops ---- */

/* The destination after a failed write: absent, the previous file, or a whole new one. */
static void check_dest(const op *o, const unsigned char *before, size_t before_len) {
    if (!o->dest) return;
    if (access(o->dest, F_OK) != 0) {
        assert_null(before); /* it existed: a failed write must not remove it */
        return;
    }
    size_t len;
    unsigned char *now = read_all(o->dest, &len);
    if (before && len == before_len && memcmp(now, before, len) == 0) {
        free(now);
        return;
    }
    /* a new file: complete, checksum included */
    switch (o->dest_kind) {
    case 0: {
        gn_model *m = NULL;
        assert_int_equal(gn_model_load(o->dest, &m), GN_OK);
        assert_same_model(m, g_model);
        gn_model_free(m);
        break;
    }
    case 1: {
        assert_true(len > 20);
        assert_memory_equal(now, "GNCKPT03", 8);
        uint64_t sum = 0;
        for (int i = 7; i >= 0; i--) sum = sum << 8 | now[len - 8 + (size_t)i];
        assert_true(XXH3_64bits(now, len - 8) == sum);
        break;
    }
    default: {
        gn_data_spec s;
        gn_data_spec_init(&s);
        s.bits = 10;
        s.label_kind = GN_LABEL_BINARY;
        const char *path = g_svm;
        if (gn_cache_check(&s, &path, 1, o->dest) != GN_OK) fail_msg("%s: the cache left is not whole: %s", o->name, gn_last_error());
    }
    }
    free(now);
}

/* Which allocations to fail. The plain build fails every one in turn. The sanitizer build, where
 * a run costs a hundred times more (every 1 MiB read buffer is a fresh mapping), fails the first
 * allocation of each distinct call stack (the caller and two frames above it) once over all the
 * operations: a few hundred runs in all, each still checked for leaks. GN_FAULT_ALL=1 or
 * GN_FAULT_SITES=1 choose either way. */
static int by_site(void) {
    if (getenv("GN_FAULT_ALL")) return 0;
    if (getenv("GN_FAULT_SITES")) return 1;
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#else
    return 0;
#endif
#else
    return 0;
#endif
}

/* The call stacks already failed by an earlier operation (the later ones share most of them). */
static uint64_t *g_tested;
static size_t g_ntested;

/* The allocations (1-based) that open a call stack not seen before in a run of o nor failed for an
 * earlier operation, then one past the last allocation (the run without a fault); *n the count
 * before that. */
static long *plan_sites(const op *o, size_t *n) {
    g_nsites = 0;
    g_recording = 1;
    atomic_store(&g_alloc_calls, 0);
    atomic_store(&g_alloc_fail_at, 0);
    gn_model *m = NULL;
    if (o->dest) unlink(o->dest);
    atomic_store(&g_armed_alloc, 1);
    assert_int_equal(o->run(o, &m), GN_OK);
    atomic_store(&g_armed_alloc, 0);
    g_recording = 0;
    gn_model_free(m);
    long *plan = malloc((g_nsites + 1) * sizeof *plan);
    uint64_t *tested = realloc(g_tested, (g_ntested + g_nsites + 1) * sizeof *tested);
    assert_non_null(plan);
    assert_non_null(tested);
    g_tested = tested;
    *n = 0;
    for (size_t i = 0; i < g_nsites; i++) {
        size_t k = 0;
        while (k < g_ntested && g_tested[k] != g_sites[i]) k++;
        if (k < g_ntested) continue;
        g_tested[g_ntested++] = g_sites[i];
        plan[(*n)++] = (long)i + 1;
    }
    plan[*n] = (long)g_nsites + 1;
    return plan;
}

/* Runs o once without faults (the reference), then with the Nth allocation failing for N = 1, 2,
 * ... (once, then persistent) until a run sees no failure. Returns the number of runs. */
static long alloc_loop(const op *o) {
    gn_model *ref = NULL;
    if (o->dest) unlink(o->dest);
    assert_int_equal(o->run(o, &ref), GN_OK);
    size_t nplan = 0;
    long *plan = by_site() ? plan_sites(o, &nplan) : NULL;
    long runs = 0;
    for (int persistent = 0; persistent <= 1; persistent++) {
        for (long i = 1;; i++) {
            const long n = plan ? plan[i - 1 < (long)nplan ? i - 1 : (long)nplan] : i;
            assert_true(n < 200000);
            if (o->dest) unlink(o->dest);
            atomic_store(&g_alloc_calls, 0);
            atomic_store(&g_alloc_failed, 0);
            atomic_store(&g_alloc_fail_at, n);
            atomic_store(&g_alloc_persistent, persistent);
            gn_model *m = NULL;
            atomic_store(&g_armed_alloc, 1);
            int st = o->run(o, &m);
            atomic_store(&g_armed_alloc, 0);
            runs++;
            const long failed = atomic_load(&g_alloc_failed);
            if (st == GN_OK) {
                if (ref) {
                    if (!m) fail_msg("%s: allocation %ld failed: success without a model", o->name, n);
                    assert_same_model(m, ref);
                }
                gn_model_free(m);
                if (failed == 0) break; /* every allocation of the operation was passed */
                continue;
            }
            assert_null(m);
            if (failed == 0) fail_msg("%s: failed with no fault injected: %s", o->name, gn_last_error());
            if (st != GN_ENOMEM)
                fail_msg("%s: allocation %ld failed (%s): status %s, not GN_ENOMEM: %s", o->name, n,
                         persistent ? "and every later one" : "once", gn_status_name((gn_status)st), gn_last_error());
            if (gn_last_error()[0] == '\0') fail_msg("%s: allocation %ld failed: no message", o->name, n);
            assert_int_equal(count_temps(), 0);
            check_dest(o, NULL, 0);
        }
    }
    gn_model_free(ref);
    if (getenv("GN_FAULT_VERBOSE")) print_message("  %s: %ld runs%s\n", o->name, runs, plan ? " (by call site)" : "");
    free(plan);
    return runs;
}

/* The same with the Nth write-path call failing, short, or short and the disk full after it. */
static long io_loop(const op *o, const char *prev) {
    gn_model *ref = NULL;
    if (o->dest) unlink(o->dest);
    assert_int_equal(o->run(o, &ref), GN_OK);
    long runs = 0;
    for (int mode = IO_FAIL; mode <= IO_FULL; mode++) {
        for (long n = 1;; n++) {
            assert_true(n < 100000);
            unsigned char *before = NULL;
            size_t before_len = 0;
            if (o->dest) {
                unlink(o->dest);
                if (prev) { /* a previous file at the destination must survive a failed write */
                    size_t len;
                    void *p = read_all(prev, &len);
                    write_bytes(o->dest, p, len);
                    before = p;
                    before_len = len;
                }
            }
            atomic_store(&g_io_calls, 0);
            atomic_store(&g_io_faults, 0);
            atomic_store(&g_io_fail_at, n);
            atomic_store(&g_io_mode, mode);
            gn_model *m = NULL;
            atomic_store(&g_armed_io, 1);
            int st = o->run(o, &m);
            atomic_store(&g_armed_io, 0);
            runs++;
            const long faults = atomic_load(&g_io_faults);
            assert_int_equal(count_temps(), 0);
            if (st == GN_OK) {
                /* a success after a fault (a short write retried, a failed close of a directory
                 * opened to sync it) must leave the whole file */
                if (ref) assert_same_model(m, ref);
                gn_model_free(m);
                if (o->dest && access(o->dest, F_OK) != 0) fail_msg("%s: success without %s", o->name, o->dest);
                check_dest(o, NULL, 0);
                free(before);
                if (faults == 0) break;
                continue;
            }
            assert_null(m);
            if (faults == 0) fail_msg("%s: failed with no fault injected: %s", o->name, gn_last_error());
            if (st != GN_EIO) fail_msg("%s: write-path call %ld failed (mode %d): status %s, not GN_EIO: %s", o->name, n,
                                       mode, gn_status_name((gn_status)st), gn_last_error());
            check_dest(o, before, before_len);
            free(before);
        }
    }
    gn_model_free(ref);
    return runs;
}

/* ---- the tests ---- */

static const op op_train_svm = {"train libsvm", run_train, NULL, 0, NULL, 0, 0, 0, 1};
static const op op_train_csv = {"train csv", run_train, NULL, 0, "csv", 0, 0, 0, 0};
static const op op_train_ck = {"train with checkpoints", run_train, NULL, 1, NULL, 1, 0, 0, 0};
static const op op_train_cache = {"train making a cache", run_train, NULL, 2, NULL, 0, 0, 1, 0};
static const op op_resume = {"resume", run_train, NULL, 0, NULL, 0, 1, 0, 0};

/* A checkpoint to resume from, written without faults. */
static void make_resume_checkpoint(void) {
    gn_train_options t;
    gn_data_spec s;
    op o = op_train_ck;
    train_options(&o, &t, &s);
    t.checkpoint_path = tpath("resume.ck");
    t.passes = 2;
    const char *path = g_svm;
    gn_model *m = NULL;
    assert_int_equal(gn_train(&t, &s, &path, 1, NULL, NULL, &m, NULL), GN_OK);
    gn_model_free(m);
}

static void test_alloc_train(void **state) {
    (void)state;
    long runs = alloc_loop(&op_train_svm) + alloc_loop(&op_train_csv);
    op ck = op_train_ck;
    ck.dest = tpath("run.ck");
    runs += alloc_loop(&ck);
    make_resume_checkpoint();
    runs += alloc_loop(&op_resume);
    op cache = op_train_cache;
    cache.dest = tpath("d.cache");
    runs += alloc_loop(&cache);
    print_message("allocation faults, training: %ld runs\n", runs);
}

static void train_model(void) {
    if (g_model) return;
    gn_model *m = NULL;
    assert_int_equal(run_train(&op_train_csv, &m), GN_OK);
    g_model = m;
}

static void test_alloc_model_file(void **state) {
    (void)state;
    train_model();
    op save = {"model save", run_save, tpath("save.gnm"), 0, NULL, 0, 0, 0, 0};
    long runs = alloc_loop(&save);
    assert_int_equal(gn_model_save(g_model, tpath("load.gnm")), GN_OK);
    op load = {"model load", run_load, NULL, 0, NULL, 0, 0, 0, 0};
    runs += alloc_loop(&load);
    print_message("allocation faults, model save and load: %ld runs\n", runs);
}

/* The server's predict path: HTTP 200 with the fault-free predictions, or 500 (out of memory). */
static void test_alloc_predict_body(void **state) {
    (void)state;
    train_model();
    static const char json[] = "{\"instances\":[{\"city\":\"oslo\",\"age\":25,\"score\":1.5},"
                               "{\"city\":\"new\",\"age\":null},\"no,rome,30,2.0\",{}]}";
    static const char text[] = "yes,lima,40,0.5\nno,oslo,20,4.0\n";
    const struct {
        gn__body_kind kind;
        const char *body;
    } cases[] = {{GN__BODY_JSON, json}, {GN__BODY_TEXT, text}};
    long runs = 0;
    for (size_t c = 0; c < 2; c++) {
        gn__strbuf ref;
        gn__sb_init(&ref);
        size_t nref = 0;
        char why[256];
        assert_int_equal(gn__predict_body(g_model, cases[c].kind, cases[c].body, strlen(cases[c].body), 100, &ref, &nref,
                                          why, sizeof why),
                         200);
        for (int persistent = 0; persistent <= 1; persistent++)
            for (long n = 1;; n++) {
                gn__strbuf out;
                gn__sb_init(&out);
                size_t count = 0;
                atomic_store(&g_alloc_calls, 0);
                atomic_store(&g_alloc_failed, 0);
                atomic_store(&g_alloc_fail_at, n);
                atomic_store(&g_alloc_persistent, persistent);
                atomic_store(&g_armed_alloc, 1);
                int http = gn__predict_body(g_model, cases[c].kind, cases[c].body, strlen(cases[c].body), 100, &out,
                                            &count, why, sizeof why);
                atomic_store(&g_armed_alloc, 0);
                runs++;
                const long failed = atomic_load(&g_alloc_failed);
                if (http == 200 && !gn__sb_failed(&out)) {
                    assert_int_equal(count, nref);
                    assert_int_equal(out.len, ref.len);
                    assert_memory_equal(out.p, ref.p, ref.len);
                } else if (http == 200) {
                    /* the body builder failed: the server answers 500 (its own check) */
                } else if (http != 500) {
                    fail_msg("predict body %zu: allocation %ld failed: HTTP %d (%s), not 500", c, n, http, why);
                }
                gn__sb_free(&out);
                if (failed == 0) {
                    assert_int_equal(http, 200);
                    break;
                }
            }
        gn__sb_free(&ref);
    }
    print_message("allocation faults, predict bodies: %ld runs\n", runs);
}

/* The server's :recommend path for a feature model (serve/rank_req.c, gn_model_rank_named):
 * HTTP 200 with the fault-free answer, or 500 (out of memory). */
static void test_alloc_rank_body(void **state) {
    (void)state;
    train_model();
    static const char body[] = "{\"context\":{\"age\":25},\"candidates\":[{\"city\":\"oslo\",\"score\":1.5},"
                               "\"rome\",{\"city\":\"new\",\"score\":null}],\"k\":2,\"item_field\":\"city\"}";
    static const char batch[] = "{\"contexts\":[{\"age\":25},{}],\"candidates\":[\"oslo\",{\"score\":2}],"
                                "\"item_field\":\"city\"}";
    const char *cases[] = {body, batch};
    long runs = 0;
    for (size_t c = 0; c < 2; c++) {
        gn__strbuf ref;
        gn__sb_init(&ref);
        size_t nref = 0;
        char why[256];
        assert_int_equal(gn__recommend_body(g_model, cases[c], strlen(cases[c]), 100, &ref, &nref, why, sizeof why), 200);
        for (int persistent = 0; persistent <= 1; persistent++)
            for (long n = 1;; n++) {
                gn__strbuf out;
                gn__sb_init(&out);
                size_t count = 0;
                atomic_store(&g_alloc_calls, 0);
                atomic_store(&g_alloc_failed, 0);
                atomic_store(&g_alloc_fail_at, n);
                atomic_store(&g_alloc_persistent, persistent);
                atomic_store(&g_armed_alloc, 1);
                int http = gn__recommend_body(g_model, cases[c], strlen(cases[c]), 100, &out, &count, why, sizeof why);
                atomic_store(&g_armed_alloc, 0);
                runs++;
                const long failed = atomic_load(&g_alloc_failed);
                if (http == 200 && !gn__sb_failed(&out)) {
                    assert_int_equal(count, nref);
                    assert_int_equal(out.len, ref.len);
                    assert_memory_equal(out.p, ref.p, ref.len);
                } else if (http != 200 && http != 500) {
                    fail_msg("rank body %zu: allocation %ld failed: HTTP %d (%s), not 500", c, n, http, why);
                }
                gn__sb_free(&out);
                if (failed == 0) {
                    assert_int_equal(http, 200);
                    break;
                }
            }
        gn__sb_free(&ref);
    }
    print_message("allocation faults, rank bodies: %ld runs\n", runs);
}

/* The text-line form of :recommend (serve/rank_req.c, gn_model_rank_lines) on a LIBSVM model, one
 * context and the batch form, a candidate repeating a context feature included: HTTP 200 with
 * the fault-free answer, or 500 (out of memory). */
static void test_alloc_rank_lines_body(void **state) {
    (void)state;
    gn_model *m = NULL;
    assert_int_equal(run_train(&op_train_svm, &m), GN_OK);
    static const char body[] = "{\"context\":\"1:2.5 3:1\",\"candidates\":[\"9:1 11:0.5\",\"10:1 3:1\",\"12:0.5\"],\"k\":2}";
    static const char batch[] = "{\"contexts\":[\"1:2.5\",\"4:1 9:1\"],\"candidates\":[\"9:1\",\"10:0.5\"]}";
    const char *cases[] = {body, batch};
    long runs = 0;
    for (size_t c = 0; c < 2; c++) {
        gn__strbuf ref;
        gn__sb_init(&ref);
        size_t nref = 0;
        char why[256];
        assert_int_equal(gn__recommend_body(m, cases[c], strlen(cases[c]), 100, &ref, &nref, why, sizeof why), 200);
        for (int persistent = 0; persistent <= 1; persistent++)
            for (long n = 1;; n++) {
                gn__strbuf out;
                gn__sb_init(&out);
                size_t count = 0;
                atomic_store(&g_alloc_calls, 0);
                atomic_store(&g_alloc_failed, 0);
                atomic_store(&g_alloc_fail_at, n);
                atomic_store(&g_alloc_persistent, persistent);
                atomic_store(&g_armed_alloc, 1);
                int http = gn__recommend_body(m, cases[c], strlen(cases[c]), 100, &out, &count, why, sizeof why);
                atomic_store(&g_armed_alloc, 0);
                runs++;
                const long failed = atomic_load(&g_alloc_failed);
                if (http == 200 && !gn__sb_failed(&out)) {
                    assert_int_equal(count, nref);
                    assert_int_equal(out.len, ref.len);
                    assert_memory_equal(out.p, ref.p, ref.len);
                } else if (http != 200 && http != 500) {
                    fail_msg("rank lines body %zu: allocation %ld failed: HTTP %d (%s), not 500", c, n, http, why);
                }
                gn__sb_free(&out);
                if (failed == 0) {
                    assert_int_equal(http, 200);
                    break;
                }
            }
        gn__sb_free(&ref);
    }
    gn_model_free(m);
    print_message("allocation faults, rank line bodies: %ld runs\n", runs);
}

static void test_io_model_save(void **state) {
    (void)state;
    train_model();
    op save = {"model save", run_save, tpath("io.gnm"), 0, NULL, 0, 0, 0, 0};
    long runs = io_loop(&save, NULL);
    /* over an existing, different model: it survives every failure */
    gn_model *other = NULL;
    assert_int_equal(run_train(&op_train_svm, &other), GN_OK);
    assert_int_equal(gn_model_save(other, tpath("other.gnm")), GN_OK);
    gn_model_free(other);
    runs += io_loop(&save, tpath("other.gnm"));
    print_message("I/O faults, model save: %ld runs\n", runs);
}

static void test_io_train(void **state) {
    (void)state;
    op ck = op_train_ck;
    ck.dest = tpath("run.ck");
    long runs = io_loop(&ck, NULL);
    op cache = op_train_cache;
    cache.dest = tpath("d.cache");
    runs += io_loop(&cache, NULL);
    print_message("I/O faults, checkpoints and cache: %ld runs\n", runs);
}

/* util/json_safe.c's load under allocation faults inside jansson's parser, on a document of
 * strings only (no number or keyword, whose failed token save makes jansson 2.14 abort): the
 * value that comes back is the document's, or NULL with out of memory, never a value with a
 * character missing (which plain json_loadb gives: counted and shown). */
static void test_json_loadb_dropped_character(void **state) {
    (void)state;
    static const char doc[] = "{\"name\":\"a rather long string value 0123456789\",\"list\":[\"another long "
                              "string value abcdefghijklmnop\",\"x\"],\"created\":\"2026-12-02T10:12:21Z\"}";
    json_error_t err;
    json_t *ref = json_loads(doc, 0, &err);
    assert_non_null(ref);
    long runs = 0, wrong_plain = 0;
    atomic_store(&g_json_faults, 1);
    for (int plain = 0; plain <= 1; plain++)
        for (int persistent = 0; persistent <= 1; persistent++)
            for (long n = 1;; n++) {
                assert_true(n < 10000);
                atomic_store(&g_alloc_calls, 0);
                atomic_store(&g_alloc_failed, 0);
                atomic_store(&g_alloc_fail_at, n);
                atomic_store(&g_alloc_persistent, persistent);
                int oom = 0;
                atomic_store(&g_armed_alloc, 1);
                json_t *j = plain ? json_loadb(doc, strlen(doc), 0, &err) : gn__json_loadb(doc, strlen(doc), 0, &err, &oom);
                atomic_store(&g_armed_alloc, 0);
                runs++;
                const long failed = atomic_load(&g_alloc_failed);
                if (j && !json_equal(j, ref)) {
                    if (!plain) fail_msg("gn__json_loadb: allocation %ld failed: a wrong value came back", n);
                    wrong_plain++;
                }
                if (!j && !plain && !oom) fail_msg("gn__json_loadb: allocation %ld failed: not reported as out of memory", n);
                json_decref(j);
                if (failed == 0) {
                    assert_non_null(j);
                    break;
                }
            }
    atomic_store(&g_json_faults, 0);
    json_decref(ref);
    print_message("json loads under allocation faults: %ld runs; plain json_loadb returned a wrong value %ld times\n",
                  runs, wrong_plain);
}

static int teardown(void **state) {
    free(g_sites);
    free(g_tested);
    gn_model_free(g_model);
    g_model = NULL;
    return remove_dir(state);
}

int main(void) {
    /* jansson allocates through the wrapped malloc too */
    json_set_alloc_funcs(malloc, free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_train),
        cmocka_unit_test(test_alloc_model_file),
        cmocka_unit_test(test_alloc_predict_body),
        cmocka_unit_test(test_alloc_rank_body),
        cmocka_unit_test(test_alloc_rank_lines_body),
        cmocka_unit_test(test_io_model_save),
        cmocka_unit_test(test_io_train),
        cmocka_unit_test(test_json_loadb_dropped_character),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
