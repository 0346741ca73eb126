/* model/model_file.c: the binary model file (gn_model_save / gn_model_load), format version 1.
 * The layout, the JSON header keys and the versioning policy are specified in
 * docs/model-format.md; this file is its reference implementation.
 *
 * All integers are little-endian on disk and are written and read byte by byte, so the code is
 * the same on big-endian hosts. Saving is atomic (temp file in the same directory, fsync, rename,
 * directory fsync). Loading checks the fixed header, then the checksum over the whole file, and
 * only then interprets the JSON header and the weights; memory is bounded by the header plus the
 * nweights floats of the model, whatever the file claims. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "io/text.h"
#include "model/kind.h"
#include "model/model.h"
#include "util/atomic_file.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/json_safe.h"

#define MODEL_MAGIC "GANNETMD"
#define MODEL_FORMAT_VERSION 1u
#define MODEL_ENDIAN_MARK 0x01020304u
#define MODEL_FLAG_SPARSE 1u
#define MODEL_FLAG_IDF 2u  /* an idf section follows the weights (spec.idf; docs/model-format.md) */
#define MODEL_IDF_HEAD 16u /* the idf section: u64 documents, u64 records, then the records */
#define MODEL_FLAG_PAYLOAD 4u /* a kind payload section follows the weights (kind mf; docs/model-format.md) */
#define MODEL_PAYLOAD_HEAD 8u /* the payload section: u64 length, then the kind's bytes */
#define MODEL_FIXED_LEN 40u
#define MODEL_CHECKSUM_LEN 8u
#define MODEL_MIN_FILE_LEN (MODEL_FIXED_LEN + MODEL_CHECKSUM_LEN)
#define MODEL_MAX_HEADER_LEN ((uint32_t)16 << 20)
#define MODEL_MAX_NWEIGHTS (((uint64_t)1 << GN_MAX_BITS) * GN__MODEL_MAX_WEIGHTS_PER_SLOT)
/* I/O chunk; a multiple of 4, 8 and 12 so records never straddle two chunks. */
#define MODEL_CHUNK 12288u

/* ---- little-endian helpers ---- */

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint32_t float_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- layout ---- */

/* Sizes the fixed header declares; shared by the writer and the reader. */
typedef struct layout {
    uint32_t flags, header_len;
    uint64_t nweights, stored;
    unsigned index_len;      /* bytes per sparse index: 4, or 8 when nweights > 2^32 */
    uint64_t weights_len;    /* bytes of the weight section */
    uint64_t idf_records;    /* MODEL_FLAG_IDF: (slot, weight) records of the idf section */
    uint64_t idf_len;        /* bytes of the idf section (0 without the flag) */
    uint64_t payload_bytes;  /* MODEL_FLAG_PAYLOAD: the kind's bytes in the payload section */
    uint64_t payload_len;    /* bytes of the payload section, its head included (0 without the flag) */
    uint64_t file_len;       /* total, checksum included */
} layout;

static void layout_sizes(layout *l) {
    l->index_len = l->nweights <= ((uint64_t)1 << 32) ? 4u : 8u;
    l->weights_len = (l->flags & MODEL_FLAG_SPARSE) ? l->stored * (l->index_len + 4u) : l->nweights * 4u;
    l->idf_len = (l->flags & MODEL_FLAG_IDF) ? MODEL_IDF_HEAD + l->idf_records * 8u : 0;
    l->payload_len = (l->flags & MODEL_FLAG_PAYLOAD) ? MODEL_PAYLOAD_HEAD + l->payload_bytes : 0;
    l->file_len = MODEL_FIXED_LEN + (uint64_t)l->header_len + l->weights_len + l->idf_len + l->payload_len +
                  MODEL_CHECKSUM_LEN;
}

/* The idf records: the slots whose weight is not that of an unseen term (bits compared). */
static uint64_t idf_records(const gn_idf *t) {
    const float unseen = (float)gn__text_idf(t->docs, 0);
    uint64_t n = 0;
    for (size_t i = 0; i < (size_t)1 << t->bits; i++) n += float_bits(t->w[i]) != float_bits(unseen);
    return n;
}

static void encode_fixed(const layout *l, unsigned char fixed[MODEL_FIXED_LEN]) {
    memcpy(fixed, MODEL_MAGIC, 8);
    put_u32(fixed + 8, MODEL_FORMAT_VERSION);
    put_u32(fixed + 12, MODEL_ENDIAN_MARK);
    put_u32(fixed + 16, l->flags);
    put_u32(fixed + 20, l->header_len);
    put_u64(fixed + 24, l->nweights);
    put_u64(fixed + 32, l->stored);
}

/* ---- writer ---- */

/* Where serialized bytes go: always into the hash, and into f when there is one. */
typedef struct sink {
    FILE *f;
    const char *path;
    XXH3_state_t *hash;
} sink;

static int sink_write(sink *s, const void *data, size_t len) {
    XXH3_64bits_update(s->hash, data, len);
    if (s->f && fwrite(data, 1, len, s->f) != len) {
        char eb[128];
        return gn__fail(GN_EIO, "%s: write failed: %s", s->path, gn__errno_text(errno, eb, sizeof eb));
    }
    return GN_OK;
}

/* The kind's payload_write callbacks: into the sink, or only counted. */
static int payload_put(void *ctx, const void *data, size_t len) { return sink_write(ctx, data, len); }
static int payload_count(void *ctx, const void *data, size_t len) {
    (void)data;
    *(uint64_t *)ctx += len;
    return GN_OK;
}

/* Writes everything but the checksum, which is then XXH3_64bits_digest(s->hash). The same bytes
 * feed gn__model_file_checksum, so a finalized model's version is its file's checksum. */
static int serialize(const gn_model *m, sink *s) {
    if (!m->w || m->weights_per_slot < 1 || m->spec.bits < 1 || m->spec.bits > GN_MAX_BITS ||
        m->nweights != ((size_t)1 << m->spec.bits) * m->weights_per_slot)
        return gn__fail(GN_EINVAL, "model: weight array does not match bits and weights_per_slot");

    layout l;
    memset(&l, 0, sizeof l);
    l.nweights = m->nweights;
    /* Stored = weights whose bits are not all zero, so -0.0f survives a sparse round trip. */
    for (size_t i = gn__next_stored(m->w, 0, m->nweights); i < m->nweights; i = gn__next_stored(m->w, i + 1, m->nweights)) {
        if (!isfinite(m->w[i])) return gn__fail(GN_EINVAL, "model: weight %zu is not finite", i);
        l.stored++;
    }
    l.index_len = l.nweights <= ((uint64_t)1 << 32) ? 4u : 8u;
    if (l.stored * (l.index_len + 4u) < l.nweights * 4u) l.flags |= MODEL_FLAG_SPARSE;
    else l.stored = l.nweights;
    if ((m->idf != NULL) != (m->spec.idf != 0) || (m->idf && m->idf->bits != m->spec.bits))
        return gn__fail(GN_EINVAL, "model: the idf table does not match the spec (idf %s, bits %u)",
                        m->spec.idf ? "on" : "off", (unsigned)m->spec.bits);
    if (m->idf) {
        l.flags |= MODEL_FLAG_IDF;
        l.idf_records = idf_records(m->idf);
    }
    if (m->ops && m->ops->payload_write) {
        if (!m->payload) return gn__fail(GN_EINVAL, "model: a %s model without its tables", m->ops->name);
        if (m->idf) return gn__fail(GN_EINVAL, "model: a %s model cannot hold idf weights", m->ops->name);
        l.flags |= MODEL_FLAG_PAYLOAD;
        GN_TRY(m->ops->payload_write(m, payload_count, &l.payload_bytes));
    }

    json_t *header;
    GN_TRY(gn__model_header_json(m, &header));
    char *text = gn__json_dumps(header, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(header);
    if (!text) return gn__fail(GN_ENOMEM, "model: out of memory writing the header");
    size_t text_len = strlen(text);
    if (text_len > MODEL_MAX_HEADER_LEN) {
        free(text);
        return gn__fail(GN_EINVAL, "model: metadata is %zu bytes, over the limit of %u", text_len,
                        (unsigned)MODEL_MAX_HEADER_LEN);
    }
    l.header_len = (uint32_t)text_len;
    layout_sizes(&l);

    unsigned char fixed[MODEL_FIXED_LEN];
    encode_fixed(&l, fixed);
    int rc = sink_write(s, fixed, sizeof fixed);
    if (rc == GN_OK) rc = sink_write(s, text, text_len);
    free(text);
    if (rc != GN_OK) return rc;

    unsigned char buf[MODEL_CHUNK];
    size_t used = 0;
    if (l.flags & MODEL_FLAG_SPARSE) {
        size_t rec = l.index_len + 4u;
        for (size_t i = gn__next_stored(m->w, 0, m->nweights); i < m->nweights;
             i = gn__next_stored(m->w, i + 1, m->nweights)) {
            const uint32_t bits = float_bits(m->w[i]);
            if (used + rec > sizeof buf) {
                GN_TRY(sink_write(s, buf, used));
                used = 0;
            }
            if (l.index_len == 4) put_u32(buf + used, (uint32_t)i);
            else put_u64(buf + used, (uint64_t)i);
            put_u32(buf + used + l.index_len, bits);
            used += rec;
        }
    } else {
        for (size_t i = 0; i < m->nweights; i++) {
            if (used + 4 > sizeof buf) {
                GN_TRY(sink_write(s, buf, used));
                used = 0;
            }
            put_u32(buf + used, float_bits(m->w[i]));
            used += 4;
        }
    }
    if (used) GN_TRY(sink_write(s, buf, used));
    if (m->idf) { /* the idf section */
        put_u64(buf, m->idf->docs);
        put_u64(buf + 8, l.idf_records);
        used = MODEL_IDF_HEAD;
        const uint32_t unseen = float_bits((float)gn__text_idf(m->idf->docs, 0));
        for (size_t i = 0; i < (size_t)1 << m->idf->bits; i++) {
            const uint32_t bits = float_bits(m->idf->w[i]);
            if (bits == unseen) continue;
            if (used + 8 > sizeof buf) {
                GN_TRY(sink_write(s, buf, used));
                used = 0;
            }
            put_u32(buf + used, (uint32_t)i);
            put_u32(buf + used + 4, bits);
            used += 8;
        }
        if (used) GN_TRY(sink_write(s, buf, used));
    }
    if (l.flags & MODEL_FLAG_PAYLOAD) { /* the payload section */
        put_u64(buf, l.payload_bytes);
        GN_TRY(sink_write(s, buf, MODEL_PAYLOAD_HEAD));
        GN_TRY(m->ops->payload_write(m, payload_put, s));
    }
    return GN_OK;
}

int gn__model_file_checksum(const gn_model *m, uint64_t *out) {
    if (!m || !out) return gn__fail(GN_EINVAL, "model: NULL argument");
    XXH3_state_t *hash = XXH3_createState();
    if (!hash) return gn__fail(GN_ENOMEM, "model: out of memory");
    XXH3_64bits_reset(hash);
    sink s = {NULL, "(checksum)", hash};
    int rc = serialize(m, &s);
    if (rc == GN_OK) *out = XXH3_64bits_digest(hash);
    XXH3_freeState(hash);
    return rc;
}

gn_status gn_model_save(const gn_model *model, const char *path) {
    if (!model || !path || !*path) return gn__fail(GN_EINVAL, "model save: NULL model or empty path");
    XXH3_state_t *hash = XXH3_createState();
    if (!hash) return gn__fail(GN_ENOMEM, "%s: out of memory", path);
    gn_atomic_file af;
    int rc = gn__atomic_create(&af, path);
    if (rc != GN_OK) {
        XXH3_freeState(hash);
        return rc;
    }
    char eb[128];
    FILE *f = fdopen(af.fd, "wb");
    if (!f) {
        rc = gn__fail(GN_EIO, "%s: fdopen failed: %s", path, gn__errno_text(errno, eb, sizeof eb));
        goto fail;
    }
    XXH3_64bits_reset(hash);
    sink s = {f, path, hash};
    rc = serialize(model, &s);
    if (rc != GN_OK) {
        if (rc != GN_EIO) gn__fail_prefix((gn_status)rc, "%s", path);
        goto fail;
    }
    unsigned char sum[MODEL_CHECKSUM_LEN];
    put_u64(sum, XXH3_64bits_digest(hash));
    if (fwrite(sum, 1, sizeof sum, f) != sizeof sum) {
        rc = gn__fail(GN_EIO, "%s: write failed: %s", path, gn__errno_text(errno, eb, sizeof eb));
        goto fail;
    }
    XXH3_freeState(hash);
    return gn__atomic_commit(&af, f);
fail:
    gn__atomic_discard(&af, f);
    XXH3_freeState(hash);
    return rc;
}

/* ---- reader ---- */

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* Fuzzing builds accept a wrong checksum so that the fuzzer reaches the header and weight
 * checks behind it (the same trick libpng uses for its CRCs). Never defined in real builds. */
#define CHECKSUM_ENFORCED 0
#else
#define CHECKSUM_ENFORCED 1
#endif

/* When a load must give up (gn__model_load_limited): checked between chunks, so a huge file
 * cannot keep a reload busy past its deadline. */
typedef struct load_limits {
    double start, deadline;   /* gn__now() seconds; deadline 0: none */
    const atomic_int *cancel; /* may be NULL */
} load_limits;

static int check_limits(const load_limits *lim, const char *path) {
    if (lim->cancel && atomic_load_explicit(lim->cancel, memory_order_relaxed))
        return gn__fail(GN_ELIMIT, "%s: load cancelled", path);
    if (lim->deadline > 0 && gn__now() > lim->deadline)
        return gn__fail(GN_ELIMIT, "%s: not read in the time allowed (gave up after %.1f s)", path,
                        gn__now() - lim->start);
    return GN_OK;
}

/* Reads exactly len bytes. A short read at EOF means the file shrank after it was measured. */
static int read_exact(FILE *f, const char *path, void *buf, size_t len) {
    if (fread(buf, 1, len, f) == len) return GN_OK;
    char eb[128];
    if (ferror(f)) return gn__fail(GN_EIO, "%s: read failed: %s", path, gn__errno_text(errno, eb, sizeof eb));
    return gn__fail(GN_EFORMAT, "%s: truncated while reading (did the file change?)", path);
}

/* Checks the fixed header (got bytes of it; the file has size bytes) and fills l. */
static int check_fixed(const char *path, const unsigned char *fixed, size_t got, uint64_t size, layout *l) {
    size_t magic_got = got < 8 ? got : 8;
    if (memcmp(fixed, MODEL_MAGIC, magic_got) != 0)
        return gn__fail(GN_EFORMAT, "%s: not a gannet model file (bad magic)", path);
    if (got >= 12) {
        uint32_t version = get_u32(fixed + 8);
        if (version > MODEL_FORMAT_VERSION)
            return gn__fail(GN_EVERSION, "%s: model format version %u is newer than this gannet supports (%u)", path,
                            (unsigned)version, MODEL_FORMAT_VERSION);
        if (version == 0) return gn__fail(GN_EFORMAT, "%s: invalid model format version 0", path);
    }
    if (got >= 16) {
        uint32_t mark = get_u32(fixed + 12);
        if (mark != MODEL_ENDIAN_MARK)
            return gn__fail(GN_EFORMAT, "%s: bad endianness mark 0x%08x (expected 0x%08x%s)", path, (unsigned)mark,
                            MODEL_ENDIAN_MARK, mark == 0x04030201u ? ": written big-endian" : "");
    }
    if (got < MODEL_FIXED_LEN)
        return gn__fail(GN_EFORMAT, "%s: truncated (expected at least %u bytes, got %llu)", path,
                        MODEL_MIN_FILE_LEN, (unsigned long long)size);
    memset(l, 0, sizeof *l);
    l->flags = get_u32(fixed + 16);
    l->header_len = get_u32(fixed + 20);
    l->nweights = get_u64(fixed + 24);
    l->stored = get_u64(fixed + 32);
    if (l->flags & ~(MODEL_FLAG_SPARSE | MODEL_FLAG_IDF | MODEL_FLAG_PAYLOAD))
        return gn__fail(GN_EFORMAT, "%s: unknown flags 0x%08x", path, (unsigned)l->flags);
    if (l->header_len > MODEL_MAX_HEADER_LEN)
        return gn__fail(GN_EFORMAT, "%s: header length %u is over the limit of %u bytes", path,
                        (unsigned)l->header_len, (unsigned)MODEL_MAX_HEADER_LEN);
    if (l->nweights < 2 || l->nweights > MODEL_MAX_NWEIGHTS)
        return gn__fail(GN_EFORMAT, "%s: implausible weight count %llu", path, (unsigned long long)l->nweights);
    if (!(l->flags & MODEL_FLAG_SPARSE) && l->stored != l->nweights)
        return gn__fail(GN_EFORMAT, "%s: dense weights but stored count %llu != weight count %llu", path,
                        (unsigned long long)l->stored, (unsigned long long)l->nweights);
    if (l->stored > l->nweights)
        return gn__fail(GN_EFORMAT, "%s: stored count %llu exceeds weight count %llu", path,
                        (unsigned long long)l->stored, (unsigned long long)l->nweights);
    if ((l->flags & MODEL_FLAG_IDF) && (l->flags & MODEL_FLAG_PAYLOAD))
        return gn__fail(GN_EFORMAT, "%s: flags 0x%08x: an idf section and a payload section together", path,
                        (unsigned)l->flags);
    layout_sizes(l);
    if (l->flags & MODEL_FLAG_PAYLOAD) {
        /* the payload's length is in its head: take it from the size, checked when it is read */
        if (size < l->file_len)
            return gn__fail(GN_EFORMAT, "%s: truncated (expected at least %llu bytes, got %llu)", path,
                            (unsigned long long)l->file_len, (unsigned long long)size);
        l->payload_bytes = size - l->file_len;
        layout_sizes(l);
    }
    if (l->flags & MODEL_FLAG_IDF) {
        /* the idf section's record count is in the section: take it from the size, which is
         * checked against the count when the section is read */
        if (size < l->file_len)
            return gn__fail(GN_EFORMAT, "%s: truncated (expected at least %llu bytes, got %llu)", path,
                            (unsigned long long)l->file_len, (unsigned long long)size);
        if ((size - l->file_len) % 8u != 0)
            return gn__fail(GN_EFORMAT, "%s: the idf section is not a whole number of records", path);
        l->idf_records = (size - l->file_len) / 8u;
        layout_sizes(l);
    }
    if (size < l->file_len)
        return gn__fail(GN_EFORMAT, "%s: truncated (expected %llu bytes, got %llu)", path,
                        (unsigned long long)l->file_len, (unsigned long long)size);
    if (size > l->file_len)
        return gn__fail(GN_EFORMAT, "%s: %llu bytes of trailing data after the checksum (expected %llu bytes, got %llu)",
                        path, (unsigned long long)(size - l->file_len), (unsigned long long)l->file_len,
                        (unsigned long long)size);
    return GN_OK;
}

/* Header keys, all required (see docs/model-format.md); the other keys are extra metadata. */
typedef struct header_fields {
    gn_model_kind kind;
    gn_loss loss;
    uint32_t bits, weights_per_slot;
    double quantile_tau;
    gn_data_spec spec;
    int64_t created;
    json_t *extra; /* owned; NULL when there are no extra keys */
    json_t *root;  /* the whole header (owned), for the kind's own keys */
} header_fields;

static int header_key(const char *path, json_t *root, const char *key, json_t **out) {
    *out = json_object_get(root, key);
    if (!*out) return gn__fail(GN_EFORMAT, "%s: header: missing key '%s'", path, key);
    return GN_OK;
}

static int header_uint(const char *path, json_t *root, const char *key, uint32_t lo, uint32_t hi, uint32_t *out) {
    json_t *v;
    GN_TRY(header_key(path, root, key, &v));
    if (!json_is_integer(v)) return gn__fail(GN_EFORMAT, "%s: header: key '%s' must be an integer", path, key);
    json_int_t x = json_integer_value(v);
    if (x < (json_int_t)lo || x > (json_int_t)hi)
        return gn__fail(GN_EFORMAT, "%s: header: key '%s' is out of range (%lld not in %u..%u)", path, key,
                        (long long)x, (unsigned)lo, (unsigned)hi);
    *out = (uint32_t)x;
    return GN_OK;
}

static int header_string(const char *path, json_t *root, const char *key, const char **out) {
    json_t *v;
    GN_TRY(header_key(path, root, key, &v));
    if (!json_is_string(v)) return gn__fail(GN_EFORMAT, "%s: header: key '%s' must be a string", path, key);
    *out = json_string_value(v);
    return GN_OK;
}

static int parse_header(const char *path, const char *text, size_t len, header_fields *h) {
    json_error_t jerr;
    int oom;
    json_t *root = gn__json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr, &oom);
    if (!root && oom) return gn__fail(GN_ENOMEM, "%s: out of memory reading the header", path);
    if (!root)
        return gn__fail(GN_EFORMAT, "%s: bad header JSON: %s (line %d, column %d)", path, jerr.text, jerr.line,
                        jerr.column);
    int rc = GN_OK;
    const char *s;
    json_t *v;
    memset(h, 0, sizeof *h);
    if (!json_is_object(root)) {
        rc = gn__fail(GN_EFORMAT, "%s: header: not a JSON object", path);
        goto done;
    }
    if ((rc = header_string(path, root, "kind", &s)) != GN_OK) goto done;
    const gn_kind *kind = gn__kind_by_name(s);
    if (!kind) {
        rc = gn__fail(GN_EUNSUPPORTED, "%s: model kind '%.64s' is not supported by this gannet", path, s);
        goto done;
    }
    h->kind = kind->id;
    h->root = json_incref(root);
    if ((rc = header_string(path, root, "loss", &s)) != GN_OK) goto done;
    int loss = gn_loss_parse(s);
    if (loss < 0) {
        rc = gn__fail(GN_EUNSUPPORTED, "%s: loss '%.64s' is not supported by this gannet", path, s);
        goto done;
    }
    h->loss = (gn_loss)loss;
    if ((rc = header_uint(path, root, "bits", 1, GN_MAX_BITS, &h->bits)) != GN_OK) goto done;
    if ((rc = header_uint(path, root, "weights_per_slot", 1, GN__MODEL_MAX_WEIGHTS_PER_SLOT,
                          &h->weights_per_slot)) != GN_OK)
        goto done;
    if ((rc = header_key(path, root, "quantile_tau", &v)) != GN_OK) goto done;
    if (!json_is_number(v)) {
        rc = gn__fail(GN_EFORMAT, "%s: header: key 'quantile_tau' must be a number", path);
        goto done;
    }
    h->quantile_tau = json_number_value(v);
    if (!(h->quantile_tau > 0 && h->quantile_tau < 1)) {
        rc = gn__fail(GN_EFORMAT, "%s: header: key 'quantile_tau' is out of range (%g not in (0, 1))", path,
                      h->quantile_tau);
        goto done;
    }
    if (kind->weights_per_slot && h->weights_per_slot != kind->weights_per_slot) {
        rc = gn__fail(GN_EFORMAT, "%s: header: key 'weights_per_slot' is %u, but a %s model has %u weight%s per slot",
                      path, (unsigned)h->weights_per_slot, kind->name, (unsigned)kind->weights_per_slot,
                      kind->weights_per_slot == 1 ? "" : "s");
        goto done;
    }
    if ((rc = header_key(path, root, "spec", &v)) != GN_OK) goto done;
    if (gn__spec_from_json(v, &h->spec) != GN_OK) {
        rc = gn__fail_prefix(GN_EFORMAT, "%s: header", path);
        goto done;
    }
    if (h->spec.bits != h->bits) {
        rc = gn__fail(GN_EFORMAT, "%s: header: bits %u differs from spec bits %u", path, (unsigned)h->bits,
                      (unsigned)h->spec.bits);
        goto done;
    }
    if ((rc = header_string(path, root, "created", &s)) != GN_OK) goto done;
    if (gn__parse_utc(s, &h->created) != GN_OK) {
        rc = gn__fail_prefix(GN_EFORMAT, "%s: header: key 'created'", path);
        goto done;
    }
    const char *key;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "nonzero") == 0 || strcmp(key, "version") == 0) {
            rc = gn__fail(GN_EFORMAT, "%s: header: key '%s' is reserved and may not be stored", path, key);
            goto done;
        }
        if (gn__model_reserved_key(key)) continue;
        if (!h->extra && !(h->extra = json_object())) goto nomem;
        if (json_object_set(h->extra, key, v) != 0) goto nomem;
    }
done:
    if (rc != GN_OK) {
        json_decref(h->extra);
        h->extra = NULL;
        json_decref(h->root);
        h->root = NULL;
    }
    json_decref(root);
    return rc;
nomem:
    rc = gn__fail(GN_ENOMEM, "%s: out of memory reading the header", path);
    goto done;
}

/* Reads the weight section (at the current position) into m->w, feeding the hash. */
static int read_weights(FILE *f, const char *path, const layout *l, gn_model *m, XXH3_state_t *hash,
                        const load_limits *lim) {
    unsigned char buf[MODEL_CHUNK];
    uint64_t left = l->weights_len;
    if (!(l->flags & MODEL_FLAG_SPARSE)) {
        size_t i = 0;
        while (left > 0) {
            size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
            GN_TRY(check_limits(lim, path));
            GN_TRY(read_exact(f, path, buf, n));
            XXH3_64bits_update(hash, buf, n);
            for (size_t off = 0; off < n; off += 4, i++) {
                float w = bits_float(get_u32(buf + off));
                if (!isfinite(w)) return gn__fail(GN_EFORMAT, "%s: weight %zu is not finite", path, i);
                m->w[i] = w;
            }
            left -= n;
        }
        return GN_OK;
    }
    size_t rec = l->index_len + 4u;
    uint64_t next_min = 0; /* indices must be strictly increasing */
    while (left > 0) {
        size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
        GN_TRY(check_limits(lim, path));
        GN_TRY(read_exact(f, path, buf, n));
        XXH3_64bits_update(hash, buf, n);
        for (size_t off = 0; off < n; off += rec) {
            uint64_t idx = l->index_len == 4 ? get_u32(buf + off) : get_u64(buf + off);
            float w = bits_float(get_u32(buf + off + l->index_len));
            if (idx >= l->nweights)
                return gn__fail(GN_EFORMAT, "%s: sparse weight index %llu out of range (%llu weights)", path,
                                (unsigned long long)idx, (unsigned long long)l->nweights);
            if (idx < next_min)
                return gn__fail(GN_EFORMAT, "%s: sparse weight indices not strictly increasing at %llu", path,
                                (unsigned long long)idx);
            if (!isfinite(w))
                return gn__fail(GN_EFORMAT, "%s: weight %llu is not finite", path, (unsigned long long)idx);
            m->w[idx] = w;
            next_min = idx + 1;
        }
        left -= n;
    }
    return GN_OK;
}

/* Reads the idf section (at the current position) into m->idf, feeding the hash. */
static int read_idf(FILE *f, const char *path, const layout *l, gn_model *m, XXH3_state_t *hash) {
    unsigned char head[MODEL_IDF_HEAD];
    GN_TRY(read_exact(f, path, head, sizeof head));
    XXH3_64bits_update(hash, head, sizeof head);
    const uint64_t docs = get_u64(head), n = get_u64(head + 8);
    if (n != l->idf_records)
        return gn__fail(GN_EFORMAT, "%s: the idf section says %llu records, the file holds %llu", path,
                        (unsigned long long)n, (unsigned long long)l->idf_records);
    gn_idf *t;
    GN_TRY(gn__idf_new(m->spec.bits, docs, &t));
    unsigned char buf[MODEL_CHUNK];
    uint64_t left = n * 8u, next_min = 0;
    const uint64_t nslots = (uint64_t)1 << m->spec.bits;
    int st = GN_OK;
    while (left > 0 && st == GN_OK) {
        size_t k = left < sizeof buf ? (size_t)left : sizeof buf;
        if ((st = read_exact(f, path, buf, k)) != GN_OK) break;
        XXH3_64bits_update(hash, buf, k);
        for (size_t off = 0; off < k; off += 8) {
            uint64_t slot = get_u32(buf + off);
            float w = bits_float(get_u32(buf + off + 4));
            if (slot >= nslots || slot < next_min || !isfinite(w)) {
                st = gn__fail(GN_EFORMAT, "%s: idf record for slot %llu is out of range, out of order or not finite",
                              path, (unsigned long long)slot);
                break;
            }
            t->w[slot] = w;
            next_min = slot + 1;
        }
        left -= k;
    }
    if (st != GN_OK) {
        gn__idf_unref(t);
        return st;
    }
    m->idf = t;
    return GN_OK;
}

/* Reads the payload section (at the current position), feeding the hash, and hands its bytes to
 * the kind. Memory: the section's bytes, which the file holds. */
static int read_payload(FILE *f, const char *path, const layout *l, gn_model *m, XXH3_state_t *hash,
                        const load_limits *lim) {
    unsigned char head[MODEL_PAYLOAD_HEAD];
    GN_TRY(read_exact(f, path, head, sizeof head));
    XXH3_64bits_update(hash, head, sizeof head);
    if (get_u64(head) != l->payload_bytes)
        return gn__fail(GN_EFORMAT, "%s: the payload section says %llu bytes, the file holds %llu", path,
                        (unsigned long long)get_u64(head), (unsigned long long)l->payload_bytes);
    if (l->payload_bytes > SIZE_MAX - 1) return gn__fail(GN_ENOMEM, "%s: payload too large", path);
    unsigned char *data = malloc(l->payload_bytes ? (size_t)l->payload_bytes : 1);
    if (!data) return gn__fail(GN_ENOMEM, "%s: out of memory for a %llu-byte payload", path,
                               (unsigned long long)l->payload_bytes);
    int st = GN_OK;
    for (uint64_t done = 0; done < l->payload_bytes && st == GN_OK;) {
        size_t n = l->payload_bytes - done < MODEL_CHUNK ? (size_t)(l->payload_bytes - done) : MODEL_CHUNK;
        if ((st = check_limits(lim, path)) != GN_OK || (st = read_exact(f, path, data + done, n)) != GN_OK) break;
        XXH3_64bits_update(hash, data + done, n);
        done += n;
    }
    if (st == GN_OK) st = m->ops->payload_read(m, data, (size_t)l->payload_bytes, path);
    free(data);
    return st;
}

static const char *file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    return "of an unknown type";
}

/* Opens path for reading only if it is a regular file. The open is non-blocking, so a FIFO
 * with no writer (or a device) is refused instead of blocking the caller forever; the flag is
 * cleared once fstat has said "regular file". */
static int open_regular(const char *path, FILE **out, struct stat *st) {
    char eb[128];
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return gn__fail(GN_EIO, "%s: cannot open: %s", path, gn__errno_text(errno, eb, sizeof eb));
    int flags;
    if (fstat(fd, st) != 0) {
        int err = errno;
        close(fd);
        return gn__fail(GN_EIO, "%s: stat failed: %s", path, gn__errno_text(err, eb, sizeof eb));
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return gn__fail(GN_EIO, "%s: not a regular file (it is %s)", path, file_kind(st->st_mode));
    }
    if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int err = errno;
        close(fd);
        return gn__fail(GN_EIO, "%s: fcntl failed: %s", path, gn__errno_text(err, eb, sizeof eb));
    }
    if (!(*out = fdopen(fd, "rb"))) {
        int err = errno;
        close(fd);
        return gn__fail(GN_EIO, "%s: fdopen failed: %s", path, gn__errno_text(err, eb, sizeof eb));
    }
    return GN_OK;
}

gn_status gn_model_load(const char *path, gn_model **out) { return gn__model_load_limited(path, 0, NULL, out); }

int gn__model_load_limited(const char *path, double deadline, const atomic_int *cancel, gn_model **out) {
    if (!path || !out) return gn__fail(GN_EINVAL, "model load: NULL argument");
    char eb[128];
    const load_limits lim = {gn__now(), deadline, cancel};
    FILE *f;
    struct stat st;
    GN_TRY(open_regular(path, &f, &st));
    char *text = NULL;
    XXH3_state_t *hash = NULL;
    gn_model *m = NULL;
    header_fields h;
    memset(&h, 0, sizeof h);
    int rc;

    uint64_t size = (uint64_t)st.st_size;
    unsigned char fixed[MODEL_FIXED_LEN];
    size_t got = size < MODEL_FIXED_LEN ? (size_t)size : MODEL_FIXED_LEN;
    layout l;
    if ((rc = read_exact(f, path, fixed, got)) != GN_OK) goto done;
    if ((rc = check_fixed(path, fixed, got, size, &l)) != GN_OK) goto done;

    /* Pass 1: the checksum over every byte, before anything after the fixed header is trusted. */
    hash = XXH3_createState();
    text = malloc((size_t)l.header_len + 1);
    if (!hash || !text) {
        rc = gn__fail(GN_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    XXH3_64bits_reset(hash);
    XXH3_64bits_update(hash, fixed, sizeof fixed);
    if ((rc = read_exact(f, path, text, l.header_len)) != GN_OK) goto done;
    text[l.header_len] = '\0';
    XXH3_64bits_update(hash, text, l.header_len);
    unsigned char buf[MODEL_CHUNK];
    for (uint64_t left = l.weights_len + l.idf_len + l.payload_len; left > 0;) {
        size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
        if ((rc = check_limits(&lim, path)) != GN_OK) goto done;
        if ((rc = read_exact(f, path, buf, n)) != GN_OK) goto done;
        XXH3_64bits_update(hash, buf, n);
        left -= n;
    }
    unsigned char sum_bytes[MODEL_CHECKSUM_LEN];
    if ((rc = read_exact(f, path, sum_bytes, sizeof sum_bytes)) != GN_OK) goto done;
    uint64_t stored_sum = get_u64(sum_bytes), actual_sum = XXH3_64bits_digest(hash);
    if (stored_sum != actual_sum && CHECKSUM_ENFORCED) {
        rc = gn__fail(GN_ECHECKSUM, "%s: checksum mismatch (file says %016llx, contents hash to %016llx): corrupt file",
                      path, (unsigned long long)stored_sum, (unsigned long long)actual_sum);
        goto done;
    }

    /* The bytes are what was written: interpret the header, then read the weights again. */
    if ((rc = parse_header(path, text, l.header_len, &h)) != GN_OK) goto done;
    if ((uint64_t)(((size_t)1 << h.bits) * h.weights_per_slot) != l.nweights) {
        rc = gn__fail(GN_EFORMAT, "%s: weight count %llu != 2^%u x %u weights per slot", path,
                      (unsigned long long)l.nweights, (unsigned)h.bits, (unsigned)h.weights_per_slot);
        goto done;
    }
    if ((rc = gn__model_new(h.kind, h.loss, &h.spec, h.weights_per_slot, &m)) != GN_OK) {
        gn__fail_prefix((gn_status)rc, "%s", path);
        goto done;
    }
    m->quantile_tau = h.quantile_tau;
    m->created = h.created;
    m->extra = h.extra;
    h.extra = NULL;
    if ((rc = gn__model_check_labels(m)) != GN_OK) {
        gn__fail_prefix((gn_status)rc, "%s", path);
        goto done;
    }
    if (m->ops->header_read && (rc = m->ops->header_read(m, h.root, path)) != GN_OK) goto done;

    /* Pass 2 hashes again, so a file rewritten between the passes cannot slip through. */
    if (fseeko(f, (off_t)(MODEL_FIXED_LEN + l.header_len), SEEK_SET) != 0) {
        rc = gn__fail(GN_EIO, "%s: seek failed: %s", path, gn__errno_text(errno, eb, sizeof eb));
        goto done;
    }
    XXH3_64bits_reset(hash);
    XXH3_64bits_update(hash, fixed, sizeof fixed);
    XXH3_64bits_update(hash, text, l.header_len);
    if ((rc = read_weights(f, path, &l, m, hash, &lim)) != GN_OK) goto done;
    if (((l.flags & MODEL_FLAG_IDF) != 0) != (m->spec.idf != 0)) {
        rc = gn__fail(GN_EFORMAT, "%s: the spec %s idf weights but the file %s an idf section", path,
                      m->spec.idf ? "asks for" : "has no", (l.flags & MODEL_FLAG_IDF) ? "has" : "lacks");
        goto done;
    }
    if ((l.flags & MODEL_FLAG_IDF) && (rc = read_idf(f, path, &l, m, hash)) != GN_OK) goto done;
    if (((l.flags & MODEL_FLAG_PAYLOAD) != 0) != (m->ops->payload_read != NULL)) {
        rc = gn__fail(GN_EFORMAT, "%s: a %s model %s a payload section, but the file %s one", path, m->ops->name,
                      m->ops->payload_read ? "needs" : "has no", (l.flags & MODEL_FLAG_PAYLOAD) ? "has" : "lacks");
        goto done;
    }
    if ((l.flags & MODEL_FLAG_PAYLOAD) && (rc = read_payload(f, path, &l, m, hash, &lim)) != GN_OK) goto done;
    if (XXH3_64bits_digest(hash) != actual_sum) {
        rc = gn__fail(GN_ECHECKSUM, "%s: the file changed while it was being read", path);
        goto done;
    }
    if ((rc = gn__model_finalize_as(m, stored_sum)) != GN_OK) {
        gn__fail_prefix((gn_status)rc, "%s", path);
        goto done;
    }
    *out = m;
    m = NULL;
done:
    json_decref(h.extra);
    json_decref(h.root);
    gn_model_free(m);
    XXH3_freeState(hash);
    free(text);
    fclose(f);
    return rc;
}
