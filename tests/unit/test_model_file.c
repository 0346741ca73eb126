/* test_model_file.c: the binary model file (model/model_file.c): save/load round trips (dense
 * and sparse), and every kind of damage a file can suffer (wrong magic, newer version, truncation
 * at many offsets, flipped bits, trailing bytes, empty and missing files) giving the right status
 * and a message that names the file; atomic saving (no temp file left, no clobbering on failure);
 * paths that are not regular files (a FIFO with no writer, a directory, a symlink loop) refused
 * at once, never blocking; loads with a deadline or a cancel flag giving up with GN_ELIMIT. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <xxhash.h>

#include "gannet/gannet.h"
#include "model/model.h"
#include "util/clock.h"

#define GN_TEST_DIR_TAG "model"
#include "test_util.h"

/* Entries of g_dir other than . and .., and how many of them contain ".tmp." */
static int count_dir(int *temps) {
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    int n = 0;
    *temps = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        n++;
        if (strstr(e->d_name, ".tmp.")) (*temps)++;
    }
    closedir(d);
    return n;
}

/* A model with a CSV spec, metadata and weights; dense when most weights are set. */
static gn_model *make_model(unsigned bits, int dense, gn_loss loss) {
    gn_data_spec s;
    gn_data_spec_init(&s);
    s.format = GN_FORMAT_CSV;
    s.bits = bits;
    s.sep = '\t';
    s.header = 1;
    strcpy(s.label_col, "clicked");
    strcpy(s.categorical, "15-40,city");
    strcpy(s.ignore, "3");
    s.label_kind = GN_LABEL_BINARY;
    gn_model *m;
    assert_int_equal(gn__model_new(GN_KIND_LINEAR, loss, &s, 1, &m), GN_OK);
    unsigned x = 2463534242u;
    for (size_t i = 0; i < m->nweights; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        if (dense || x % 50 == 0) {
            uint32_t u = x & 0x807fffffu; /* random sign and mantissa */
            u |= (uint32_t)(110 + x % 30) << 23; /* exponent: finite, varied */
            float f;
            memcpy(&f, &u, sizeof f);
            m->w[i] = f;
        }
    }
    m->w[1] = -0.0f;   /* a signed zero must survive */
    m->w[2] = 1e-40f;  /* and a subnormal */
    m->quantile_tau = 0.3;
    m->created = 1700000000;
    m->extra = json_pack("{s:{s:s,s:f}, s:{s:i}}", "train", "optimizer", "ftrl", "l2", 0.25, "data", "examples", 1234);
    assert_non_null(m->extra);
    assert_int_equal(gn__model_finalize(m), GN_OK);
    return m;
}

static void round_trip(unsigned bits, int dense) {
    gn_model *m = make_model(bits, dense, GN_LOSS_QUANTILE);
    const char *p = tpath(dense ? "dense.gnm" : "sparse.gnm");
    assert_int_equal(gn_model_save(m, p), GN_OK);
    gn_model *r = NULL;
    assert_int_equal(gn_model_load(p, &r), GN_OK);
    assert_non_null(r);
    assert_int_equal(gn_model_get_kind(r), GN_KIND_LINEAR);
    assert_int_equal(gn_model_get_loss(r), GN_LOSS_QUANTILE);
    assert_int_equal(gn_model_get_bits(r), bits);
    assert_true(r->nweights == m->nweights);
    assert_memory_equal(r->w, m->w, m->nweights * sizeof(float)); /* bit-identical, -0.0 included */
    const gn_data_spec *a = gn_model_get_spec(m), *b = gn_model_get_spec(r);
    assert_int_equal(b->format, a->format);
    assert_int_equal(b->bits, a->bits);
    assert_int_equal(b->bias, a->bias);
    assert_int_equal(b->sep, '\t');
    assert_int_equal(b->header, 1);
    assert_string_equal(b->label_col, "clicked");
    assert_string_equal(b->categorical, "15-40,city");
    assert_string_equal(b->ignore, "3");
    assert_true(r->quantile_tau == 0.3);
    assert_true(r->created == 1700000000);
    assert_int_equal(gn_model_nonzero(r), gn_model_nonzero(m));
    assert_string_equal(gn_model_metadata_json(r), gn_model_metadata_json(m));
    json_t *meta = json_loads(gn_model_metadata_json(r), 0, NULL);
    assert_non_null(meta);
    assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "train"), "optimizer")), "ftrl");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(meta, "data"), "examples")), 1234);
    assert_string_equal(json_string_value(json_object_get(meta, "version")), gn_model_version(r));
    json_decref(meta);
    /* version = checksum: the same on the saved and the loaded model, and the file's last 8 bytes */
    assert_string_equal(gn_model_version(r), gn_model_version(m));
    size_t len;
    unsigned char *bytes = read_all(p, &len);
    uint64_t sum = 0;
    for (int i = 7; i >= 0; i--) sum = (sum << 8) | bytes[len - 8 + (size_t)i];
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)sum);
    assert_string_equal(gn_model_version(r), hex);
    assert_memory_equal(bytes, "GANNETMD", 8);
    /* sparse files are smaller than the dense 4 bytes per weight */
    if (!dense) assert_true(len < m->nweights * 4 / 4);
    else assert_true(len >= m->nweights * 4);
    free(bytes);
    /* saving the loaded model again gives the same bytes */
    const char *p2 = tpath("again.gnm");
    assert_int_equal(gn_model_save(r, p2), GN_OK);
    size_t len2;
    unsigned char *b1 = read_all(p, &len), *b2 = read_all(p2, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(b1, b2, len);
    free(b1);
    free(b2);
    gn_model_free(r);
    gn_model_free(m);
}

static void test_round_trip_dense(void **state) {
    (void)state;
    round_trip(12, 1);
}

static void test_round_trip_sparse(void **state) {
    (void)state;
    round_trip(16, 0);
}

/* A changed weight changes the version. */
static void test_version_tracks_content(void **state) {
    (void)state;
    gn_model *m = make_model(8, 0, GN_LOSS_LOGISTIC);
    char v1[17];
    strcpy(v1, gn_model_version(m));
    m->w[5] += 1.0f;
    assert_int_equal(gn__model_finalize(m), GN_OK);
    assert_string_not_equal(gn_model_version(m), v1);
    gn_model_free(m);
}

/* Writes bytes to a file, loads it and checks the status and that the message names the file. */
static void expect_load(const char *name, const unsigned char *bytes, size_t len, int status, const char *needle) {
    const char *p = tpath(name);
    write_bytes(p, bytes, len);
    gn_model *m = NULL;
    int st = gn_model_load(p, &m);
    if (st != status) fail_msg("%s (%zu bytes): status %d, want %d (%s)", name, len, st, status, gn_last_error());
    assert_null(m);
    if (!strstr(gn_last_error(), p)) fail_msg("%s: message '%s' does not name the file", name, gn_last_error());
    if (needle && !strstr(gn_last_error(), needle)) fail_msg("%s: message '%s' lacks '%s'", name, gn_last_error(), needle);
}

static void test_corruption(void **state) {
    (void)state;
    for (int dense = 0; dense <= 1; dense++) {
        gn_model *m = make_model(10, dense, GN_LOSS_LOGISTIC);
        char p[400]; /* tpath's buffers are reused by expect_load */
        snprintf(p, sizeof p, "%s", tpath("good.gnm"));
        assert_int_equal(gn_model_save(m, p), GN_OK);
        gn_model_free(m);
        size_t len;
        unsigned char *good = read_all(p, &len);
        unsigned char *bad = malloc(len + 16);
        assert_non_null(bad);
        uint32_t header_len = (uint32_t)good[20] | (uint32_t)good[21] << 8 | (uint32_t)good[22] << 16 | (uint32_t)good[23] << 24;
        assert_true(40 + header_len + 8 < len);

        /* wrong magic */
        memcpy(bad, good, len);
        bad[0] = 'X';
        expect_load("magic.gnm", bad, len, GN_EFORMAT, "not a gannet model");
        /* a text file */
        expect_load("text.gnm", (const unsigned char *)"1 2:3\n", 6, GN_EFORMAT, "not a gannet model");
        /* newer format version */
        memcpy(bad, good, len);
        bad[8] = 2;
        expect_load("version.gnm", bad, len, GN_EVERSION, "version 2");
        memcpy(bad, good, len);
        bad[11] = 0x80;
        expect_load("version2.gnm", bad, len, GN_EVERSION, "newer");
        /* byte-swapped endianness mark */
        memcpy(bad, good, len);
        bad[12] = 1, bad[13] = 2, bad[14] = 3, bad[15] = 4;
        expect_load("endian.gnm", bad, len, GN_EFORMAT, "endianness");
        /* empty file */
        expect_load("empty.gnm", good, 0, GN_EFORMAT, "truncated");
        /* truncated at many offsets: inside the magic, the fixed header, the JSON, the weights and
         * the checksum */
        const size_t cuts[] = {1, 7, 8, 11, 12, 20, 39, 40, 41, 40 + header_len / 2, 40 + header_len,
                               40 + header_len + 1, (len + 40 + header_len) / 2, len - 9, len - 8, len - 1};
        for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
            char name[64];
            snprintf(name, sizeof name, "cut%zu.gnm", cuts[c]);
            expect_load(name, good, cuts[c], GN_EFORMAT, "truncated");
        }
        /* trailing bytes */
        memcpy(bad, good, len);
        memset(bad + len, 0, 16);
        expect_load("trailing.gnm", bad, len + 3, GN_EFORMAT, "trailing");
        /* one flipped bit: in the JSON header, in the weights, in the checksum itself */
        const size_t flips[] = {40 + 1, 40 + header_len / 2, 40 + header_len - 1, 40 + header_len,
                                40 + header_len + 5, len - 9, len - 8, len - 1};
        for (size_t f = 0; f < sizeof flips / sizeof *flips; f++) {
            for (int bit = 0; bit < 8; bit += 7) {
                memcpy(bad, good, len);
                bad[flips[f]] ^= (unsigned char)(1u << bit);
                char name[64];
                snprintf(name, sizeof name, "flip%zu_%d.gnm", flips[f], bit);
                expect_load(name, bad, len, GN_ECHECKSUM, "checksum");
            }
        }
        /* a flipped bit in a size field of the fixed header: caught before the checksum */
        memcpy(bad, good, len);
        bad[20] ^= 1;
        expect_load("hdrlen.gnm", bad, len, GN_EFORMAT, NULL);
        memcpy(bad, good, len);
        bad[16] ^= 2;
        expect_load("flags.gnm", bad, len, GN_EFORMAT, "flags");
        /* nothing left behind by loading: the good file still loads */
        gn_model *ok = NULL;
        assert_int_equal(gn_model_load(p, &ok), GN_OK);
        gn_model_free(ok);
        free(bad);
        free(good);
    }
    /* missing file and a directory */
    gn_model *m = NULL;
    const char *missing = tpath("no-such-model.gnm");
    assert_int_equal(gn_model_load(missing, &m), GN_EIO);
    assert_non_null(strstr(gn_last_error(), missing));
    assert_null(m);
    assert_int_equal(gn_model_load(g_dir, &m), GN_EIO);
    assert_non_null(strstr(gn_last_error(), g_dir));
    assert_null(m);
}

/* Rewrites the checksum so that damage behind it reaches the structural checks. */
static void resum(unsigned char *bytes, size_t len) {
    uint64_t h = XXH3_64bits(bytes, len - 8);
    for (int i = 0; i < 8; i++) bytes[len - 8 + (size_t)i] = (unsigned char)(h >> (8 * i));
}

/* Replaces the first `from` in the JSON header by `to` (same length) and fixes the checksum. */
static void edit_header(unsigned char *bytes, size_t len, const char *from, const char *to) {
    assert_int_equal(strlen(from), strlen(to));
    size_t n = strlen(from);
    unsigned char *at = NULL;
    for (size_t i = 40; !at && i + n <= len; i++)
        if (memcmp(bytes + i, from, n) == 0) at = bytes + i;
    if (!at) fail_msg("'%s' not in the header", from);
    memcpy(at, to, strlen(to));
    resum(bytes, len);
}

/* Damage with a valid checksum (a buggy or hostile writer) is still refused, never trusted. */
static void test_consistent_checksum_bad_content(void **state) {
    (void)state;
    gn_model *m = make_model(10, 0, GN_LOSS_LOGISTIC);
    char p[400];
    snprintf(p, sizeof p, "%s", tpath("sparse10.gnm"));
    assert_int_equal(gn_model_save(m, p), GN_OK);
    gn_model_free(m);
    size_t len;
    unsigned char *good = read_all(p, &len), *bad = malloc(len);
    assert_non_null(bad);
    uint32_t header_len = (uint32_t)good[20] | (uint32_t)good[21] << 8 | (uint32_t)good[22] << 16 | (uint32_t)good[23] << 24;
    size_t w0 = 40 + header_len; /* first sparse record: u32 index, u32 weight bits */
    assert_true(good[16] & 1);   /* sparse */
    assert_true(len - 8 - w0 >= 16);

    memcpy(bad, good, len);
    resum(bad, len); /* the identity: re-summing unchanged bytes still loads */
    char q[400];
    snprintf(q, sizeof q, "%s", tpath("identity.gnm"));
    write_bytes(q, bad, len);
    gn_model *r = NULL;
    assert_int_equal(gn_model_load(q, &r), GN_OK);
    gn_model_free(r);

    /* header edits: each from the good bytes, checksum fixed */
    static const struct {
        const char *name, *from, *to;
        int status;
        const char *needle;
    } edits[] = {
        {"bits.gnm", "\"bits\":10", "\"bits\":11", GN_EFORMAT, "bits"},
        {"kind.gnm", "\"kind\":\"linear\"", "\"kind\":\"lineaz\"", GN_EUNSUPPORTED, "lineaz"},
        {"loss.gnm", "\"loss\":\"logistic\"", "\"loss\":\"logistix\"", GN_EUNSUPPORTED, "logistix"},
        {"json.gnm", "{", "[", GN_EFORMAT, "JSON"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(bad, good, len);
        edit_header(bad, len, edits[i].from, edits[i].to);
        expect_load(edits[i].name, bad, len, edits[i].status, edits[i].needle);
    }
    /* sparse records out of order, out of range, not finite */
    memcpy(bad, good, len);
    unsigned char rec[8];
    memcpy(rec, bad + w0, 8);
    memcpy(bad + w0, bad + w0 + 8, 8);
    memcpy(bad + w0 + 8, rec, 8);
    resum(bad, len);
    expect_load("order.gnm", bad, len, GN_EFORMAT, "increasing");
    memcpy(bad, good, len);
    bad[w0 + 8] = 0xff, bad[w0 + 9] = 0xff, bad[w0 + 10] = 0xff, bad[w0 + 11] = 0x7f;
    resum(bad, len);
    expect_load("range.gnm", bad, len, GN_EFORMAT, "out of range");
    memcpy(bad, good, len);
    bad[w0 + 4] = 0x00, bad[w0 + 5] = 0x00, bad[w0 + 6] = 0xc0, bad[w0 + 7] = 0x7f; /* NaN */
    resum(bad, len);
    expect_load("nan.gnm", bad, len, GN_EFORMAT, "not finite");
    free(bad);
    free(good);
}

static void test_atomic_save(void **state) {
    (void)state;
    const char *sub = tpath("atomic");
    assert_int_equal(mkdir(sub, 0755), 0);
    char path[512], other[512];
    snprintf(path, sizeof path, "%s/model.gnm", sub);
    snprintf(other, sizeof other, "%s/dir.gnm", sub);
    char keep_g_dir[256];
    strcpy(keep_g_dir, g_dir);
    strcpy(g_dir, sub); /* count_dir looks here */

    gn_model *m1 = make_model(10, 1, GN_LOSS_LOGISTIC), *m2 = make_model(10, 1, GN_LOSS_SQUARED);
    assert_int_equal(gn_model_save(m1, path), GN_OK);
    int temps;
    assert_int_equal(count_dir(&temps), 1);
    assert_int_equal(temps, 0);
    size_t len1;
    unsigned char *before = read_all(path, &len1);

    /* the target is a directory: an error naming it, and no temp file left */
    assert_int_equal(mkdir(other, 0755), 0);
    assert_int_equal(gn_model_save(m1, other), GN_EIO);
    assert_non_null(strstr(gn_last_error(), other));
    assert_int_equal(count_dir(&temps), 2);
    assert_int_equal(temps, 0);

    /* a model that cannot be serialized (a NaN weight) leaves the old file as it was */
    m2->w[7] = NAN;
    assert_int_equal(gn_model_save(m2, path), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), path));
    m2->w[7] = 1.0f;

    /* a write that fails half way (file size limit) leaves the old file as it was */
    void (*old)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
    small = rl;
    small.rlim_cur = 1000;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    int st = gn_model_save(m2, path);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", gn_last_error());
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
    signal(SIGXFSZ, old);
    assert_int_equal(st, GN_EIO);
    assert_non_null(strstr(msg, path));
    assert_int_equal(count_dir(&temps), 2);
    assert_int_equal(temps, 0);
    size_t len2;
    unsigned char *after = read_all(path, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(before, after, len1);
    free(after);

    /* an unwritable directory (not testable as root, which may write anyway) */
    if (geteuid() != 0) {
        assert_int_equal(chmod(sub, 0555), 0);
        st = gn_model_save(m2, path);
        chmod(sub, 0755);
        assert_int_equal(st, GN_EIO);
        after = read_all(path, &len2);
        assert_memory_equal(before, after, len1);
        free(after);
    }

    /* a successful save replaces the file */
    assert_int_equal(gn__model_finalize(m2), GN_OK);
    assert_int_equal(gn_model_save(m2, path), GN_OK);
    gn_model *r;
    assert_int_equal(gn_model_load(path, &r), GN_OK);
    assert_int_equal(gn_model_get_loss(r), GN_LOSS_SQUARED);
    assert_string_equal(gn_model_version(r), gn_model_version(m2));
    gn_model_free(r);
    assert_int_equal(count_dir(&temps), 2);
    assert_int_equal(temps, 0);

    /* a file in a directory that does not exist */
    char nodir[600];
    snprintf(nodir, sizeof nodir, "%s/nope/model.gnm", sub);
    assert_int_equal(gn_model_save(m1, nodir), GN_EIO);
    assert_non_null(strstr(gn_last_error(), nodir));

    strcpy(g_dir, keep_g_dir);
    free(before);
    gn_model_free(m1);
    gn_model_free(m2);
}

/* A FIFO with no writer used to block the loader in open() forever (issue 13: one :reload per
 * server worker took the whole server down). SIGALRM, left at its default action, kills the test
 * if the load blocks. */
static void test_not_a_regular_file(void **state) {
    (void)state;
    const char *fifo = tpath("fifo.gnm"), *dir = tpath("dir.gnm"), *l1 = tpath("loop1.gnm"),
               *l2 = tpath("loop2.gnm");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(symlink(l2, l1), 0);
    assert_int_equal(symlink(l1, l2), 0);
    alarm(10);
    gn_model *m = NULL;
    assert_int_equal(gn_model_load(fifo, &m), GN_EIO);
    assert_non_null(strstr(gn_last_error(), fifo));
    assert_non_null(strstr(gn_last_error(), "not a regular file (it is a FIFO)"));
    assert_int_equal(gn_model_load(dir, &m), GN_EIO);
    assert_non_null(strstr(gn_last_error(), "not a regular file (it is a directory)"));
    assert_int_equal(gn_model_load(l1, &m), GN_EIO);
    assert_non_null(strstr(gn_last_error(), l1));
    assert_non_null(strstr(gn_last_error(), "cannot open"));
    assert_int_equal(gn_model_load("/dev/zero", &m), GN_EIO);
    assert_non_null(strstr(gn_last_error(), "it is a device"));
    alarm(0);
    assert_null(m);
    unlink(fifo);
    rmdir(dir);
    unlink(l1);
    unlink(l2);
}

/* gn__model_load_limited gives up with GN_ELIMIT once its deadline has passed or its cancel flag
 * is set, and loads normally otherwise. */
static void test_load_limits(void **state) {
    (void)state;
    gn_model *m = make_model(16, 1, GN_LOSS_LOGISTIC), *r = NULL;
    const char *p = tpath("limits.gnm");
    assert_int_equal(gn_model_save(m, p), GN_OK);
    atomic_int cancel;
    atomic_init(&cancel, 0);
    assert_int_equal(gn__model_load_limited(p, gn__now() + 60, &cancel, &r), GN_OK);
    assert_string_equal(gn_model_version(r), gn_model_version(m));
    gn_model_free(r);
    r = NULL;
    assert_int_equal(gn__model_load_limited(p, gn__now() - 1, NULL, &r), GN_ELIMIT);
    assert_null(r);
    assert_non_null(strstr(gn_last_error(), p));
    assert_non_null(strstr(gn_last_error(), "not read in the time allowed"));
    atomic_store(&cancel, 1);
    assert_int_equal(gn__model_load_limited(p, 0, &cancel, &r), GN_ELIMIT);
    assert_null(r);
    assert_non_null(strstr(gn_last_error(), "cancelled"));
    gn_model_free(m);
    unlink(p);
}

/* A model the loader would refuse is not saved either: quantile_tau outside (0, 1), a linear
 * model with other than one weight per slot (the loader's side: tests/e2e/test_train_checks.sh). */
static void test_save_refuses_bad_header(void **state) {
    (void)state;
    gn_model *m = make_model(8, 0, GN_LOSS_QUANTILE);
    const char *p = tpath("bad_header.gnm");
    const double taus[] = {-1.0, 0.0, 1.0, 2.5};
    for (size_t i = 0; i < sizeof taus / sizeof *taus; i++) {
        m->quantile_tau = taus[i];
        assert_int_equal(gn_model_save(m, p), GN_EINVAL);
        assert_non_null(strstr(gn_last_error(), "quantile_tau must be in (0, 1)"));
        assert_int_equal(access(p, F_OK), -1);
    }
    m->quantile_tau = 0.5;
    gn_model *two;
    assert_int_equal(gn__model_new(GN_KIND_LINEAR, GN_LOSS_LOGISTIC, gn_model_get_spec(m), 2, &two), GN_OK);
    assert_int_equal(gn_model_save(two, p), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "a linear model has 1 weight per slot (got 2)"));
    assert_int_equal(access(p, F_OK), -1);
    gn_model_free(two);
    gn_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_a_regular_file),
        cmocka_unit_test(test_load_limits),
        cmocka_unit_test(test_save_refuses_bad_header),
        cmocka_unit_test(test_round_trip_dense),
        cmocka_unit_test(test_round_trip_sparse),
        cmocka_unit_test(test_version_tracks_content),
        cmocka_unit_test(test_corruption),
        cmocka_unit_test(test_consistent_checksum_bad_content),
        cmocka_unit_test(test_atomic_save),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
