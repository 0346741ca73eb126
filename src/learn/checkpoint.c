/* learn/checkpoint.c: writing and reading training checkpoints (format in checkpoint.h). */
#include "learn/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <xxhash.h>

#include "learn/train_internal.h"
#include "model/model.h"
#include "util/atomic_file.h"
#include "util/error.h"

#define CK_MAGIC "GNCKPT02" /* 02: per-thread scalar state of the learner's kind */
#define CK_HEADER_MAX ((uint32_t)16 << 20)

/* What must match between the run that saved and the run that resumes. */
static json_t *identity(const gn_train_options *o, const gn_data_spec *spec, const char *const *paths,
                        size_t npaths, uint32_t threads, gn_learner *l0) {
    json_t *j = json_object(), *files = json_array();
    json_t *train = gn__train_options_json(o);
    if (!j || !files || !train) {
        json_decref(j);
        json_decref(files);
        json_decref(train);
        return NULL;
    }
    json_object_del(train, "passes"); /* more passes may be asked for on resume */
    json_object_del(train, "early_stop");
    for (size_t i = 0; i < npaths; i++) json_array_append_new(files, json_string(paths[i]));
    json_object_set_new(j, "train", train);
    json_object_set_new(j, "spec", gn__spec_to_json(spec));
    json_object_set_new(j, "files", files);
    json_object_set_new(j, "cache", json_string(o->cache_path ? o->cache_path : ""));
    json_object_set_new(j, "threads", json_integer(threads));
    json_object_set_new(j, "deterministic", json_boolean(o->deterministic));
    if (o->shuffle) { /* "order": chunks and blocks are read in a seeded order (not so before) */
        json_t *sh = json_object();
        json_object_set_new(sh, "buffer", json_integer((json_int_t)(o->shuffle_buffer ? o->shuffle_buffer : 65536)));
        json_object_set_new(sh, "order", json_string("chunks"));
        json_object_set_new(j, "shuffle", sh);
    } else {
        json_object_set_new(j, "shuffle", json_integer(0));
    }
    json_object_set_new(j, "batch_size", json_integer(o->batch_size));
    const gn_kind_table tab = gn__learner_table(l0);
    size_t nscalars;
    gn__learner_scalars(l0, &nscalars);
    json_object_set_new(j, "slots", json_integer((json_int_t)tab.nslots));
    json_object_set_new(j, "stride", json_integer(tab.stride));
    json_object_set_new(j, "scalars", json_integer((json_int_t)nscalars));
    json_object_set_new(j, "weights", json_integer((json_int_t)gn__learner_weights_len(l0)));
    return j;
}

typedef struct wbuf {
    int fd;
    const char *path;
    XXH3_state_t *h;
    int st;
} wbuf;

static void put(wbuf *w, const void *p, size_t n) {
    if (w->st != GN_OK) return;
    XXH3_64bits_update(w->h, p, n);
    w->st = gn__write_all(w->fd, p, n, w->path);
}

static void put_u64(wbuf *w, uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 8);
}
static void put_f64(wbuf *w, double d) {
    uint64_t v;
    memcpy(&v, &d, 8);
    put_u64(w, v);
}
/* tables go out in host order: checkpoints are for resuming on the same machine kind */

static int shared_table(const gn_train_options *o, uint32_t threads) { return !o->deterministic || threads == 1; }

int gn__checkpoint_save(const char *path, const gn_train_options *o, const gn_data_spec *spec,
                        const char *const *paths, size_t npaths, uint32_t threads, gn_learner *const *ls,
                        const gn_checkpoint_state *cs) {
    json_t *id = identity(o, spec, paths, npaths, threads, ls[0]);
    char *text = id ? json_dumps(id, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(id);
    if (!text) return gn__fail(GN_ENOMEM, "out of memory");
    wbuf w = {-1, path, XXH3_createState(), GN_OK};
    if (!w.h) {
        free(text);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    XXH3_64bits_reset(w.h);
    gn_atomic_file af;
    w.st = gn__atomic_create(&af, path);
    if (w.st == GN_OK) {
        w.fd = af.fd;
        uint32_t hl = (uint32_t)strlen(text);
        unsigned char h4[4] = {(unsigned char)hl, (unsigned char)(hl >> 8), (unsigned char)(hl >> 16),
                               (unsigned char)(hl >> 24)};
        put(&w, CK_MAGIC, 8);
        put(&w, h4, 4);
        put(&w, text, hl);
        put_u64(&w, cs->pass);
        put_u64(&w, cs->batches_done);
        put_u64(&w, cs->total_examples);
        put_u64(&w, cs->pass_examples);
        put_u64(&w, cs->pass_heldout);
        put_f64(&w, cs->loss_sum);
        put_f64(&w, cs->loss_w);
        put_f64(&w, cs->ho_sum);
        put_f64(&w, cs->ho_w);
        put_f64(&w, cs->best_holdout);
        put_f64(&w, cs->last_holdout);
        put_u64(&w, cs->since_best);
        uint32_t ntab = shared_table(o, threads) ? 1 : threads;
        for (uint32_t t = 0; t < threads; t++) {
            size_t ns;
            const double *sc = gn__learner_scalars(ls[t], &ns);
            for (size_t i = 0; i < ns; i++) put_f64(&w, sc[i]);
        }
        for (uint32_t t = 0; t < ntab; t++) {
            const gn_kind_table tab = gn__learner_table(ls[t]);
            put(&w, tab.data, tab.nslots * tab.stride * sizeof *tab.data);
        }
        const size_t nweights = gn__learner_weights_len(ls[0]);
        put_u64(&w, cs->best ? 1 : 0);
        if (cs->best) put(&w, cs->best, nweights * sizeof *cs->best);
        uint64_t sum = XXH3_64bits_digest(w.h);
        put_u64(&w, sum);
        if (w.st == GN_OK) w.st = gn__atomic_commit(&af, NULL);
        else gn__atomic_discard(&af, NULL);
    }
    free(text);
    XXH3_freeState(w.h);
    return w.st;
}

typedef struct rbuf {
    const unsigned char *p, *end;
    int ok;
} rbuf;

static void get(rbuf *r, void *dst, size_t n) {
    if (!r->ok || (size_t)(r->end - r->p) < n) {
        r->ok = 0;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p, n);
    r->p += n;
}
static uint64_t get_u64(rbuf *r) {
    unsigned char b[8];
    get(r, b, 8);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | b[i];
    return v;
}
static double get_f64(rbuf *r) {
    uint64_t v = get_u64(r);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

int gn__checkpoint_load(const char *path, const gn_train_options *o, const gn_data_spec *spec,
                        const char *const *paths, size_t npaths, uint32_t threads, gn_learner *const *ls,
                        gn_checkpoint_state *cs) {
    FILE *f = fopen(path, "rb");
    if (!f) return gn__fail(GN_EIO, "resume %s: cannot open: %s", path, GN_ERRNO_TEXT(errno));
    unsigned char *data = NULL;
    size_t len = 0, cap = 0;
    int st = GN_OK;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : (1u << 20);
            unsigned char *d = realloc(data, cap);
            if (!d) {
                st = gn__fail(GN_ENOMEM, "out of memory reading %s", path);
                break;
            }
            data = d;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (st == GN_OK && ferror(f)) st = gn__fail(GN_EIO, "%s: read error", path);
    fclose(f);
    json_t *hdr = NULL, *mine = NULL;
    char *a = NULL;
    if (st != GN_OK) goto done;
    if (len >= 8 && memcmp(data, "GNCKPT01", 8) == 0) {
        st = gn__fail(GN_ESTALE, "%s: a checkpoint of an older gannet (format 01), which this one cannot resume: "
                                 "start the run again", path);
        goto done;
    }
    if (len < 8 + 4 + 8 || memcmp(data, CK_MAGIC, 8) != 0) {
        st = gn__fail(GN_EFORMAT, "%s: not a gannet checkpoint (or truncated)", path);
        goto done;
    }
    uint64_t sum = 0;
    for (int i = 7; i >= 0; i--) sum = sum << 8 | data[len - 8 + (size_t)i];
    if (XXH3_64bits(data, len - 8) != sum) {
        st = gn__fail(GN_ECHECKSUM, "%s: checkpoint checksum mismatch: the file is corrupt", path);
        goto done;
    }
    uint32_t hl = (uint32_t)data[8] | (uint32_t)data[9] << 8 | (uint32_t)data[10] << 16 | (uint32_t)data[11] << 24;
    if (hl > CK_HEADER_MAX || 12 + (size_t)hl > len - 8) {
        st = gn__fail(GN_EFORMAT, "%s: corrupt checkpoint header", path);
        goto done;
    }
    json_error_t jerr;
    hdr = json_loadb((const char *)data + 12, hl, 0, &jerr);
    mine = identity(o, spec, paths, npaths, threads, ls[0]);
    if (!hdr || !mine) {
        st = gn__fail(GN_EFORMAT, "%s: corrupt checkpoint header", path);
        goto done;
    }
    if (!json_equal(hdr, mine)) {
        const char *keys[] = {"files", "threads", "deterministic", "spec", "train", "cache", "shuffle", "batch_size", "stride"};
        const char *which = "options";
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            if (!json_equal(json_object_get(hdr, keys[i]), json_object_get(mine, keys[i]))) {
                which = keys[i];
                break;
            }
        a = json_dumps(json_object_get(hdr, which), JSON_COMPACT | JSON_SORT_KEYS);
        st = gn__fail(GN_ESTALE, "resume %s: the checkpoint was made with other %s (%s): resume with the same "
                                 "files, --threads and flags", path, which, a ? a : "?");
        goto done;
    }
    rbuf r = {data + 12 + hl, data + len - 8, 1};
    memset(cs, 0, sizeof *cs);
    cs->pass = (uint32_t)get_u64(&r);
    cs->batches_done = get_u64(&r);
    cs->total_examples = get_u64(&r);
    cs->pass_examples = get_u64(&r);
    cs->pass_heldout = get_u64(&r);
    cs->loss_sum = get_f64(&r);
    cs->loss_w = get_f64(&r);
    cs->ho_sum = get_f64(&r);
    cs->ho_w = get_f64(&r);
    cs->best_holdout = get_f64(&r);
    cs->last_holdout = get_f64(&r);
    cs->since_best = (uint32_t)get_u64(&r);
    uint32_t ntab = shared_table(o, threads) ? 1 : threads;
    for (uint32_t t = 0; t < threads; t++) {
        size_t ns;
        double *sc = gn__learner_scalars(ls[t], &ns);
        for (size_t i = 0; i < ns; i++) sc[i] = get_f64(&r);
    }
    for (uint32_t t = 0; t < ntab; t++) {
        const gn_kind_table tab = gn__learner_table(ls[t]);
        get(&r, tab.data, tab.nslots * tab.stride * sizeof *tab.data);
    }
    if (get_u64(&r)) {
        const size_t nweights = gn__learner_weights_len(ls[0]);
        if (!(cs->best = malloc(nweights * sizeof *cs->best))) {
            st = gn__fail(GN_ENOMEM, "out of memory");
            goto done;
        }
        get(&r, cs->best, nweights * sizeof *cs->best);
    }
    if (!r.ok || r.p != r.end || cs->pass < 1) {
        free(cs->best);
        cs->best = NULL;
        st = gn__fail(GN_EFORMAT, "%s: corrupt checkpoint (wrong size)", path);
    }
done:
    free(a);
    json_decref(hdr);
    json_decref(mine);
    free(data);
    return st;
}
