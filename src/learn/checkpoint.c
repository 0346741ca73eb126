/* learn/checkpoint.c: writing and reading training checkpoints (format in checkpoint.h). */
#include "learn/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
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
#include "util/json_safe.h"

#define CK_MAGIC "GNCKPT03" /* 03: the data files' fingerprints; 02: per-thread scalar state */
#define CK_HEADER_MAX ((uint32_t)16 << 20)

/* What must match between the run that saved and the run that resumes (the data files'
 * fingerprints are checked apart, for a clearer message). NULL: out of memory. */
static json_t *identity(const gn_train_options *o, const gn_data_spec *spec, const char *const *paths,
                        size_t npaths, uint32_t threads, gn_learner *l0) {
    json_t *j = json_object(), *files = json_array(), *train = gn__train_options_json(o);
    int ok = j && files && train;
    if (ok) {
        json_object_del(train, "passes"); /* more passes may be asked for on resume */
        json_object_del(train, "early_stop");
    }
    for (size_t i = 0; ok && i < npaths; i++) ok = json_array_append_new(files, json_string(paths[i])) == 0;
    if (ok) {
        ok = gn__json_set(j, "train", train);
        train = NULL;
    }
    if (ok) {
        ok = gn__json_set(j, "files", files);
        files = NULL;
    }
    ok = ok && gn__json_set(j, "spec", gn__spec_to_json(spec)) &&
         gn__json_set(j, "cache", json_string(o->cache_path ? o->cache_path : "")) &&
         gn__json_set(j, "threads", json_integer(threads)) && gn__json_set(j, "deterministic", json_boolean(o->deterministic));
    if (ok && o->shuffle) { /* "order": chunks and blocks are read in a seeded order (not so before) */
        json_t *sh = json_object();
        ok = gn__json_set(j, "shuffle", sh) && gn__json_set(sh, "buffer", json_integer((json_int_t)o->shuffle_buffer)) &&
             gn__json_set(sh, "order", json_string("chunks"));
    } else if (ok) {
        ok = gn__json_set(j, "shuffle", json_integer(0));
    }
    if (ok) {
        const gn_kind_table tab = gn__learner_table(l0);
        size_t nscalars;
        gn__learner_scalars(l0, &nscalars);
        ok = gn__json_set(j, "batch_size", json_integer(o->batch_size)) &&
             gn__json_set(j, "slots", json_integer((json_int_t)tab.nslots)) &&
             gn__json_set(j, "stride", json_integer(tab.stride)) &&
             gn__json_set(j, "scalars", json_integer((json_int_t)nscalars)) &&
             gn__json_set(j, "weights", json_integer((json_int_t)gn__learner_weights_len(l0)));
    }
    json_decref(train); /* NULL once j owns it */
    json_decref(files);
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* ---- the data files' fingerprints ---- */

/* XXH3-64 of the file (all of it, or its size and sampled blocks; see checkpoint.h). */
static int hash_file(int fd, const char *path, uint64_t size, int sampled, unsigned char *buf, size_t cap,
                     uint64_t *out) {
    XXH3_state_t *h = XXH3_createState();
    if (!h) return gn__fail(GN_ENOMEM, "out of memory");
    XXH3_64bits_reset(h);
    int st = GN_OK;
    if (!sampled) {
        for (;;) {
            ssize_t got = read(fd, buf, cap);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) {
                st = gn__fail(GN_EIO, "%s: read failed: %s", path, GN_ERRNO_TEXT(errno));
                break;
            }
            if (got == 0) break;
            XXH3_64bits_update(h, buf, (size_t)got);
        }
    } else {
        unsigned char sz[8];
        for (int i = 0; i < 8; i++) sz[i] = (unsigned char)(size >> (8 * i));
        XXH3_64bits_update(h, sz, sizeof sz);
        const uint64_t block = cap < GN__CK_SAMPLE_BLOCK ? cap : GN__CK_SAMPLE_BLOCK;
        const uint64_t span = size > block ? size - block : 0; /* the last block ends at the last byte */
        for (uint64_t k = 0; k < GN__CK_SAMPLE_BLOCKS && st == GN_OK; k++) {
            uint64_t off = span / (GN__CK_SAMPLE_BLOCKS - 1) * k + span % (GN__CK_SAMPLE_BLOCKS - 1) * k /
                                                                        (GN__CK_SAMPLE_BLOCKS - 1);
            size_t want = (size_t)(size - off < block ? size - off : block), have = 0;
            while (have < want) {
                ssize_t got = pread(fd, buf + have, want - have, (off_t)(off + have));
                if (got < 0 && errno == EINTR) continue;
                if (got <= 0) {
                    st = got < 0 ? gn__fail(GN_EIO, "%s: read failed: %s", path, GN_ERRNO_TEXT(errno))
                                 : gn__fail(GN_EIO, "%s: the file shrank while it was read", path);
                    break;
                }
                have += (size_t)got;
            }
            XXH3_64bits_update(h, buf, have);
        }
    }
    if (st == GN_OK) *out = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    return st;
}

int gn__data_fingerprint(const char *const *paths, size_t npaths, uint64_t hash_all_max, json_t **out) {
    *out = NULL;
    const size_t cap = (size_t)1 << 20;
    json_t *arr = json_array();
    unsigned char *buf = malloc(cap);
    if (!arr || !buf) {
        json_decref(arr);
        free(buf);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    int st = GN_OK;
    for (size_t i = 0; i < npaths && st == GN_OK; i++) {
        json_t *e = json_object();
        if (json_array_append_new(arr, e) != 0 || !gn__json_set(e, "path", json_string(paths[i]))) { /* arr owns e */
            st = gn__fail(GN_ENOMEM, "out of memory");
            break;
        }
        struct stat sb;
        int fd = strcmp(paths[i], "-") == 0 ? -1 : open(paths[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0 && strcmp(paths[i], "-") != 0) {
            st = gn__fail(GN_EIO, "%s: cannot open: %s", paths[i], GN_ERRNO_TEXT(errno));
            break;
        }
        if (fd >= 0 && fstat(fd, &sb) != 0) {
            st = gn__fail(GN_EIO, "%s: cannot stat: %s", paths[i], GN_ERRNO_TEXT(errno));
            close(fd);
            break;
        }
        if (fd < 0 || !S_ISREG(sb.st_mode)) { /* stdin, a pipe: read once, nothing to compare later */
            if (fd >= 0) close(fd);
            if (!gn__json_set(e, "hashed", json_string("none"))) st = gn__fail(GN_ENOMEM, "out of memory");
            continue;
        }
        const uint64_t size = (uint64_t)sb.st_size;
        const int sampled = size > hash_all_max;
        uint64_t h = 0;
        st = hash_file(fd, paths[i], size, sampled, buf, cap, &h);
        close(fd);
        if (st != GN_OK) break;
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
        if (!gn__json_set(e, "size", json_integer((json_int_t)size)) ||
            !gn__json_set(e, "mtime_ns", json_integer((json_int_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec)) ||
            !gn__json_set(e, "xxh3", json_string(hex)) || !gn__json_set(e, "hashed", json_string(sampled ? "sampled" : "all")))
            st = gn__fail(GN_ENOMEM, "out of memory");
    }
    free(buf);
    if (st != GN_OK) {
        json_decref(arr);
        return st;
    }
    *out = arr;
    return GN_OK;
}

static json_int_t int_of(const json_t *e, const char *key) { return json_integer_value(json_object_get(e, key)); }
static const char *str_of(const json_t *e, const char *key) {
    const char *s = json_string_value(json_object_get(e, key));
    return s ? s : "";
}

int gn__data_fingerprint_check(const char *path, const json_t *then, const json_t *now) {
    if (!json_is_array(then) || !json_is_array(now) || json_array_size(then) != json_array_size(now))
        return gn__fail(GN_EFORMAT, "%s: corrupt checkpoint header (data files)", path);
    for (size_t i = 0; i < json_array_size(now); i++) {
        const json_t *a = json_array_get(then, i), *b = json_array_get(now, i);
        const char *file = str_of(b, "path");
        if (strcmp(str_of(a, "hashed"), "none") == 0 && strcmp(str_of(b, "hashed"), "none") == 0) continue;
        if (strcmp(str_of(a, "hashed"), "none") == 0 || strcmp(str_of(b, "hashed"), "none") == 0)
            return gn__fail(GN_ESTALE, "resume %s: data file %s was %s when the checkpoint was made and is %s now: "
                                       "resume with the same data", path, file,
                            strcmp(str_of(a, "hashed"), "none") == 0 ? "not a regular file" : "a regular file",
                            strcmp(str_of(b, "hashed"), "none") == 0 ? "not" : "one");
        const json_int_t sa = int_of(a, "size"), sb = int_of(b, "size");
        if (sa != sb)
            return gn__fail(GN_ESTALE, "resume %s: data file %s changed since the checkpoint: it had %lld bytes and "
                                       "has %lld now (%s): resume with the data the run started with", path, file,
                            (long long)sa, (long long)sb, sb < sa ? "truncated or rewritten" : "appended to or rewritten");
        const int mtime_same = int_of(a, "mtime_ns") == int_of(b, "mtime_ns");
        if (strcmp(str_of(a, "xxh3"), str_of(b, "xxh3")) != 0 || strcmp(str_of(a, "hashed"), str_of(b, "hashed")) != 0)
            return gn__fail(GN_ESTALE, "resume %s: data file %s changed since the checkpoint: same size (%lld bytes) "
                                       "but other content (XXH3 %s, now %s)%s: resume with the data the run started with",
                            path, file, (long long)sb, str_of(a, "xxh3"), str_of(b, "xxh3"),
                            mtime_same ? "" : ", and it was modified");
        if (!mtime_same && strcmp(str_of(b, "hashed"), "sampled") == 0)
            return gn__fail(GN_ESTALE, "resume %s: data file %s was modified since the checkpoint (its modification "
                                       "time changed; same size), and at %lld bytes it is too large to verify in full "
                                       "(sampled blocks match): resume with the unmodified file, or start the run again",
                            path, file, (long long)sb);
        if (!mtime_same)
            gn__log(GN_LOG_INFO, "resume %s: data file %s has a new modification time but the same content (XXH3 of "
                                 "all %lld bytes): resuming", path, file, (long long)sb);
    }
    return GN_OK;
}

/* The first place where a and b differ: its dotted path (top-level keys of "train" and "spec"
 * are parameter names, written bare) in key, and the two values. 0 when they are equal. */
static int first_difference(const json_t *a, const json_t *b, char *key, size_t key_size, const json_t **va,
                            const json_t **vb) {
    if (json_equal(a, b)) return 0;
    if (json_is_object(a) && json_is_object(b)) {
        /* the keys of both, in sorted order, so the report does not depend on insertion order */
        const char *best = NULL, *k;
        const json_t *v;
        json_object_foreach((json_t *)a, k, v)
            if (!json_equal(v, json_object_get(b, k)) && (!best || strcmp(k, best) < 0)) best = k;
        json_object_foreach((json_t *)b, k, v)
            if (!json_equal(v, json_object_get(a, k)) && (!best || strcmp(k, best) < 0)) best = k;
        if (best) {
            size_t len = strlen(key);
            snprintf(key + len, key_size - len, "%s%s", len ? "." : "", best);
            const json_t *x = json_object_get(a, best), *y = json_object_get(b, best);
            if (x && y && json_is_object(x) && json_is_object(y)) return first_difference(x, y, key, key_size, va, vb);
            *va = x;
            *vb = y;
            return 1;
        }
    }
    *va = a;
    *vb = b;
    return 1;
}

/* "value" as compact JSON (or "none"), at most 200 characters. */
static void value_text(const json_t *v, char *buf, size_t size) {
    char *t = v ? gn__json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    snprintf(buf, size, "%.200s%s", v ? (t ? t : "?") : "none", t && strlen(t) > 200 ? "..." : "");
    free(t);
}

typedef struct wbuf {
    int fd;
    const char *path;
    XXH3_state_t *h;
    int st;
    unsigned char buf[8192]; /* the small fields go out together, not in a write each */
    size_t used;
} wbuf;

static void flush(wbuf *w) {
    if (w->st == GN_OK && w->used) w->st = gn__write_all(w->fd, w->buf, w->used, w->path);
    w->used = 0;
}

static void put(wbuf *w, const void *p, size_t n) {
    if (w->st != GN_OK) return;
    XXH3_64bits_update(w->h, p, n);
    if (n <= sizeof w->buf - w->used) {
        memcpy(w->buf + w->used, p, n);
        w->used += n;
        return;
    }
    flush(w);
    if (n < sizeof w->buf) {
        memcpy(w->buf, p, n);
        w->used = n;
    } else if (w->st == GN_OK) {
        w->st = gn__write_all(w->fd, p, n, w->path);
    }
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
                        const char *const *paths, size_t npaths, const json_t *data, uint32_t threads,
                        gn_learner *const *ls, const gn_checkpoint_state *cs) {
    json_t *id = identity(o, spec, paths, npaths, threads, ls[0]);
    char *text = NULL;
    if (id && gn__json_set(id, "data", json_deep_copy(data))) text = gn__json_dumps(id, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(id);
    if (!text) return gn__fail(GN_ENOMEM, "out of memory");
    wbuf w = {-1, path, XXH3_createState(), GN_OK, {0}, 0};
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
        flush(&w);
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
                        const char *const *paths, size_t npaths, const json_t *files_now, uint32_t threads,
                        gn_learner *const *ls, gn_checkpoint_state *cs) {
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
    json_t *hdr = NULL, *mine = NULL, *files_then = NULL;
    if (st != GN_OK) goto done;
    if (len >= 8 && (memcmp(data, "GNCKPT01", 8) == 0 || memcmp(data, "GNCKPT02", 8) == 0)) {
        st = gn__fail(GN_ESTALE, "%s: a checkpoint of an older gannet (format %.2s), which this one cannot resume "
                                 "(it does not record what the data files held): start the run again",
                      path, (const char *)data + 6);
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
    int oom;
    hdr = gn__json_loadb((const char *)data + 12, hl, 0, &jerr, &oom);
    if (!hdr && oom) {
        st = gn__fail(GN_ENOMEM, "out of memory reading %s", path);
        goto done;
    }
    if (!hdr || !json_is_object(hdr) || !(files_then = json_incref(json_object_get(hdr, "data")))) {
        st = gn__fail(GN_EFORMAT, "%s: corrupt checkpoint header", path);
        goto done;
    }
    json_object_del(hdr, "data"); /* compared apart, below */
    if (!(mine = identity(o, spec, paths, npaths, threads, ls[0]))) {
        st = gn__fail(GN_ENOMEM, "out of memory");
        goto done;
    }
    char key[160] = "";
    const json_t *va = NULL, *vb = NULL;
    /* what the user chose first (the table sizes follow from the spec and options) */
    static const char *const order[] = {"files", "threads", "deterministic", "spec", "train", "cache", "shuffle",
                                        "batch_size"};
    int differs = 0;
    for (size_t i = 0; i < sizeof order / sizeof *order && !differs; i++) {
        const json_t *x = json_object_get(hdr, order[i]), *y = json_object_get(mine, order[i]);
        if (json_equal(x, y)) continue;
        snprintf(key, sizeof key, "%s", order[i]);
        if (x && y && json_is_object(x) && json_is_object(y)) {
            differs = first_difference(x, y, key, sizeof key, &va, &vb);
        } else {
            va = x;
            vb = y;
            differs = 1;
        }
    }
    if (differs || first_difference(hdr, mine, key, sizeof key, &va, &vb)) {
        /* options and spec fields are parameter names: "l2", not "train.l2" */
        const char *name = strncmp(key, "train.", 6) == 0 ? key + 6 : strncmp(key, "spec.", 5) == 0 ? key + 5 : key;
        char a[256], b[256];
        value_text(va, a, sizeof a);
        value_text(vb, b, sizeof b);
        st = gn__fail(GN_ESTALE, "resume %s: the checkpoint was made with other %s (%s there, %s in this run): "
                                 "resume with the same files, --threads and flags", path, name, a, b);
        goto done;
    }
    if ((st = gn__data_fingerprint_check(path, files_then, files_now)) != GN_OK) goto done;
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
    json_decref(files_then);
    json_decref(hdr);
    json_decref(mine);
    free(data);
    return st;
}
