/* model/kinds/mf.c: the matrix-factorization model kind (--kind mf). Its parameters are not
 * hashed slots: the model's weight array is a placeholder of two zeros (bits 1), and the tables
 * (model/mf.h) travel in the model file's payload section, after the weights:
 *
 *   users dictionary   nusers x (u32 length, bytes)
 *   items dictionary   nitems x (u32 length, bytes)
 *   ubias, ibias       nusers, nitems floats
 *   P, Q               nusers x rank, nitems x rank floats (row-major)
 *   pop                nitems floats
 *   seen_ptr           nusers + 1 u64 (0 first, nondecreasing, nnz last)
 *   seen_idx           nnz u32 (< nitems, strictly ascending within each user)
 *
 * all little-endian; the sizes come from the header key "mf" (rank, users, items, nnz, mean,
 * implicit, alpha and the CSV columns), and the section must hold exactly those bytes. Training
 * is learn/mf_train.c (ALS and SGD, not the online learners), so the learner hooks are NULL. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/kind.h"
#include "model/mf.h"
#include "model/model.h"
#include "util/error.h"
#include "util/mem.h"

uint64_t gn__mf_table_bytes(uint32_t rank, uint64_t nusers, uint64_t nitems, uint64_t nnz) {
    return 4ull * ((uint64_t)rank + 1) * (nusers + nitems) + 4ull * nitems + 8ull * (nusers + 1) + 4ull * nnz;
}

void gn__mf_free(gn_mf *mf) {
    if (!mf) return;
    free(mf->ubias);
    free(mf->ibias);
    free(mf->P);
    free(mf->Q);
    free(mf->pop);
    free(mf->seen_ptr);
    free(mf->seen_idx);
    gn__mf_index_free(mf->index);
    gn__mf_hnsw_free(mf->hnsw);
    gn__iddict_free(mf->users);
    gn__iddict_free(mf->items);
    free(mf);
}

int gn__mf_new(uint32_t rank, uint32_t nusers, uint32_t nitems, uint64_t nnz, gn_mf **out) {
    if (rank < 1 || rank > GN__MF_MAX_RANK) return gn__fail(GN_EINVAL, "mf: rank must be in 1..%u", GN__MF_MAX_RANK);
    gn_mf *mf = calloc(1, sizeof *mf);
    if (!mf) return gn__fail(GN_ENOMEM, "mf: out of memory");
    mf->rank = rank;
    mf->nusers = nusers;
    mf->nitems = nitems;
    mf->nnz = nnz;
    const size_t nu = nusers ? nusers : 1, ni = nitems ? nitems : 1;
    mf->ubias = calloc(nu, sizeof(float));
    mf->ibias = calloc(ni, sizeof(float));
    mf->P = calloc(nu * (size_t)rank, sizeof(float));
    mf->Q = calloc(ni * (size_t)rank, sizeof(float));
    mf->pop = calloc(ni, sizeof(float));
    mf->seen_ptr = calloc((size_t)nusers + 1, sizeof(uint64_t));
    mf->seen_idx = malloc((nnz ? (size_t)nnz : 1) * sizeof(uint32_t));
    mf->users = gn__iddict_new();
    mf->items = gn__iddict_new();
    if (!mf->ubias || !mf->ibias || !mf->P || !mf->Q || !mf->pop || !mf->seen_ptr || !mf->seen_idx || !mf->users ||
        !mf->items) {
        gn__mf_free(mf);
        char b[32];
        return gn__fail(GN_ENOMEM, "mf: out of memory for the tables (%s)",
                        gn__bytes_text(gn__mf_table_bytes(rank, nusers, nitems, nnz), b, sizeof b));
    }
    *out = mf;
    return GN_OK;
}

const gn_mf *gn__mf_of(const gn_model *m) { return m && m->kind == GN_KIND_MF ? m->payload : NULL; }

double gn__mf_predict(const gn_mf *mf, uint32_t u, uint32_t i) {
    const int ku = u != GN_IDDICT_NONE && u < mf->nusers, ki = i != GN_IDDICT_NONE && i < mf->nitems;
    if (mf->implicit) {
        if (!ki) return 0.0;
        if (!ku) return mf->pop[i];
    }
    double s = mf->mean;
    if (ku) s += mf->ubias[u];
    if (ki) s += mf->ibias[i];
    if (ku && ki) {
        const float *p = mf->P + (size_t)u * mf->rank, *q = mf->Q + (size_t)i * mf->rank;
        float dot = 0.0f;
        for (uint32_t f = 0; f < mf->rank; f++) dot += p[f] * q[f];
        s += dot;
    }
    return s;
}

int gn__mf_seen(const gn_mf *mf, uint32_t u, uint32_t i) {
    if (u >= mf->nusers) return 0;
    size_t lo = (size_t)mf->seen_ptr[u], hi = (size_t)mf->seen_ptr[u + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mf->seen_idx[mid] < i) lo = mid + 1;
        else hi = mid;
    }
    return lo < mf->seen_ptr[u + 1] && mf->seen_idx[lo] == i;
}

/* ================================================================ the kind */

static uint32_t mf_outputs(const gn_model *m) {
    (void)m;
    return 1;
}

/* Hashed rows carry no user or item: every row gets the global answer (the mean rating). The
 * kind's real predictions go through ids (gannet/recommend.h, learn/mf_eval.c). */
static void mf_score_batch(const gn_model *m, const gn_rows *rows, double *out) {
    const gn_mf *mf = m->payload;
    for (size_t e = 0; e < rows->n; e++) out[e] = mf ? mf->mean : 0.0;
}

static int mf_top_weights(const gn_model *m, size_t k, uint32_t *slots, float *values, size_t *n_out) {
    (void)m;
    (void)k;
    (void)slots;
    (void)values;
    *n_out = 0;
    return GN_OK;
}

static const char *const mf_header_keys[] = {"mf", NULL};

static int mf_header_write(const gn_model *m, json_t *hdr) {
    const gn_mf *mf = m->payload;
    if (!mf) return gn__fail(GN_EINVAL, "mf: a model without its tables");
    json_t *o = json_object();
    int ok = o && json_object_set_new(o, "rank", json_integer(mf->rank)) == 0 &&
             json_object_set_new(o, "users", json_integer(mf->nusers)) == 0 &&
             json_object_set_new(o, "items", json_integer(mf->nitems)) == 0 &&
             json_object_set_new(o, "nnz", json_integer((json_int_t)mf->nnz)) == 0 &&
             json_object_set_new(o, "mean", json_real(mf->mean)) == 0 &&
             json_object_set_new(o, "implicit", json_boolean(mf->implicit)) == 0 &&
             json_object_set_new(o, "alpha", json_real(mf->alpha)) == 0 &&
             json_object_set_new(o, "user_col", json_string(mf->user_col)) == 0 &&
             json_object_set_new(o, "item_col", json_string(mf->item_col)) == 0 &&
             json_object_set_new(o, "rating_col", json_string(mf->rating_col)) == 0;
    if (!ok || json_object_set_new(hdr, "mf", o) != 0) {
        if (!ok) json_decref(o);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    return GN_OK;
}

static int get_int(const json_t *o, const char *key, json_int_t lo, json_int_t hi, json_int_t *out) {
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) return -1;
    *out = json_integer_value(v);
    return 0;
}

static int get_col(const json_t *o, const char *key, char *dst) {
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || strlen(json_string_value(v)) >= GN__MF_COL_MAX) return -1;
    strcpy(dst, json_string_value(v));
    return 0;
}

static int mf_header_read(gn_model *m, const json_t *hdr, const char *path) {
    const json_t *o = json_object_get(hdr, "mf");
    json_int_t rank, nu, ni, nnz;
    const json_t *mean = json_object_get(o, "mean"), *alpha = json_object_get(o, "alpha"),
                 *imp = json_object_get(o, "implicit");
    char ucol[GN__MF_COL_MAX], icol[GN__MF_COL_MAX], rcol[GN__MF_COL_MAX];
    if (!json_is_object(o) || get_int(o, "rank", 1, GN__MF_MAX_RANK, &rank) || get_int(o, "users", 0, INT32_MAX, &nu) ||
        get_int(o, "items", 0, INT32_MAX, &ni) || get_int(o, "nnz", 0, INT64_MAX, &nnz) || !json_is_number(mean) ||
        !isfinite(json_number_value(mean)) || !json_is_number(alpha) || !isfinite(json_number_value(alpha)) ||
        !json_is_boolean(imp) || get_col(o, "user_col", ucol) || get_col(o, "item_col", icol) ||
        get_col(o, "rating_col", rcol))
        return gn__fail(GN_EFORMAT, "%s: header: key 'mf' is missing or malformed", path);
    /* the tables are allocated once the payload's size has been checked against these */
    gn_mf *mf = calloc(1, sizeof *mf);
    if (!mf) return gn__fail(GN_ENOMEM, "%s: out of memory", path);
    mf->rank = (uint32_t)rank;
    mf->nusers = (uint32_t)nu;
    mf->nitems = (uint32_t)ni;
    mf->nnz = (uint64_t)nnz;
    mf->mean = json_number_value(mean);
    mf->alpha = json_number_value(alpha);
    mf->implicit = json_is_true(imp);
    memcpy(mf->user_col, ucol, sizeof ucol);
    memcpy(mf->item_col, icol, sizeof icol);
    memcpy(mf->rating_col, rcol, sizeof rcol);
    if (m->payload) gn__mf_free(m->payload);
    m->payload = mf;
    return GN_OK;
}

static void mf_payload_free(gn_model *m) {
    gn__mf_free(m->payload);
    m->payload = NULL;
}

/* ---- payload write: little-endian, in chunks ---- */

typedef struct out_buf {
    unsigned char b[8192];
    size_t used;
    int (*put)(void *ctx, const void *data, size_t len);
    void *ctx;
} out_buf;

static int flush(out_buf *o) {
    int st = o->used ? o->put(o->ctx, o->b, o->used) : GN_OK;
    o->used = 0;
    return st;
}

static int put_bytes(out_buf *o, const void *data, size_t len) {
    const unsigned char *p = data;
    while (len) {
        if (o->used == sizeof o->b) GN_TRY(flush(o));
        size_t n = sizeof o->b - o->used < len ? sizeof o->b - o->used : len;
        memcpy(o->b + o->used, p, n);
        o->used += n;
        p += n;
        len -= n;
    }
    return GN_OK;
}

static int put_u32(out_buf *o, uint32_t v) {
    unsigned char b[4];
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
    return put_bytes(o, b, 4);
}

static int put_u64(out_buf *o, uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    return put_bytes(o, b, 8);
}

static int put_floats(out_buf *o, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) return gn__fail(GN_EINVAL, "mf: a table value is not finite");
        uint32_t u;
        memcpy(&u, &v[i], 4);
        GN_TRY(put_u32(o, u));
    }
    return GN_OK;
}

static int put_dict(out_buf *o, const gn_iddict *d, size_t n) {
    if (gn__iddict_size(d) != n) return gn__fail(GN_EINVAL, "mf: the id dictionary does not match the tables");
    for (uint32_t i = 0; i < n; i++) {
        size_t len;
        const char *s = gn__iddict_name(d, i, &len);
        GN_TRY(put_u32(o, (uint32_t)len));
        GN_TRY(put_bytes(o, s, len));
    }
    return GN_OK;
}

static int mf_payload_write(const gn_model *m, int (*put)(void *ctx, const void *data, size_t len), void *ctx) {
    const gn_mf *mf = m->payload;
    if (!mf || !mf->users || !mf->P) return gn__fail(GN_EINVAL, "mf: a model without its tables");
    out_buf *o = malloc(sizeof *o);
    if (!o) return gn__fail(GN_ENOMEM, "out of memory");
    o->used = 0;
    o->put = put;
    o->ctx = ctx;
    const size_t nu = mf->nusers, ni = mf->nitems, k = mf->rank;
    int st = put_dict(o, mf->users, nu);
    if (st == GN_OK) st = put_dict(o, mf->items, ni);
    if (st == GN_OK) st = put_floats(o, mf->ubias, nu);
    if (st == GN_OK) st = put_floats(o, mf->ibias, ni);
    if (st == GN_OK) st = put_floats(o, mf->P, nu * k);
    if (st == GN_OK) st = put_floats(o, mf->Q, ni * k);
    if (st == GN_OK) st = put_floats(o, mf->pop, ni);
    for (size_t u = 0; u <= nu && st == GN_OK; u++) st = put_u64(o, mf->seen_ptr[u]);
    for (uint64_t j = 0; j < mf->nnz && st == GN_OK; j++) st = put_u32(o, mf->seen_idx[j]);
    if (st == GN_OK) st = flush(o);
    free(o);
    return st;
}

/* ---- payload read ---- */

typedef struct in_buf {
    const unsigned char *p, *end;
} in_buf;

static int take(in_buf *in, size_t n, const unsigned char **out) {
    if ((size_t)(in->end - in->p) < n) return -1;
    *out = in->p;
    in->p += n;
    return 0;
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int take_floats(in_buf *in, float *dst, size_t n) {
    const unsigned char *p;
    if (n > (size_t)(in->end - in->p) / 4 || take(in, n * 4, &p)) return -1;
    for (size_t i = 0; i < n; i++) {
        uint32_t u = le32(p + 4 * i);
        memcpy(&dst[i], &u, 4);
        if (!isfinite(dst[i])) return -2;
    }
    return 0;
}

static int take_dict(in_buf *in, gn_iddict *d, size_t n, const char *path, const char *what) {
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p, *s;
        if (take(in, 4, &p)) return gn__fail(GN_EFORMAT, "%s: payload: the %s dictionary is truncated", path, what);
        uint32_t len = le32(p);
        if (take(in, len, &s)) return gn__fail(GN_EFORMAT, "%s: payload: the %s dictionary is truncated", path, what);
        uint32_t idx;
        int r = gn__iddict_add(d, (const char *)s, len, &idx);
        if (r == -1) return gn__fail(GN_ENOMEM, "%s: out of memory", path);
        if (r != 0 || idx != i)
            return gn__fail(GN_EFORMAT, "%s: payload: %s id %zu is too long or repeated", path, what, i);
    }
    return GN_OK;
}

static int mf_payload_read(gn_model *m, const unsigned char *data, size_t len, const char *path) {
    gn_mf *hdr = m->payload;
    if (!hdr) return gn__fail(GN_EFORMAT, "%s: a mf model without its header key", path);
    /* the header's sizes must fit in the section before anything is allocated for them: memory
     * stays bounded by the file's size whatever the header claims */
    const uint64_t nids = (uint64_t)hdr->nusers + hdr->nitems;
    if (hdr->nnz > len / 4 || 4 * nids > len ||
        gn__mf_table_bytes(hdr->rank, hdr->nusers, hdr->nitems, hdr->nnz) + 4 * nids > len)
        return gn__fail(GN_EFORMAT, "%s: payload: %zu bytes cannot hold %u users x %u items x rank %u (%llu seen)", path,
                        len, hdr->nusers, hdr->nitems, hdr->rank, (unsigned long long)hdr->nnz);
    gn_mf *mf;
    GN_TRY(gn__mf_new(hdr->rank, hdr->nusers, hdr->nitems, hdr->nnz, &mf));
    mf->mean = hdr->mean;
    mf->alpha = hdr->alpha;
    mf->implicit = hdr->implicit;
    memcpy(mf->user_col, hdr->user_col, sizeof mf->user_col);
    memcpy(mf->item_col, hdr->item_col, sizeof mf->item_col);
    memcpy(mf->rating_col, hdr->rating_col, sizeof mf->rating_col);
    in_buf in = {data, data + len};
    const size_t nu = mf->nusers, ni = mf->nitems, k = mf->rank;
    int st = take_dict(&in, mf->users, nu, path, "user");
    if (st == GN_OK) st = take_dict(&in, mf->items, ni, path, "item");
    if (st == GN_OK) {
        int r = take_floats(&in, mf->ubias, nu);
        if (!r) r = take_floats(&in, mf->ibias, ni);
        if (!r) r = take_floats(&in, mf->P, nu * k);
        if (!r) r = take_floats(&in, mf->Q, ni * k);
        if (!r) r = take_floats(&in, mf->pop, ni);
        if (r) st = gn__fail(GN_EFORMAT, "%s: payload: %s", path, r == -1 ? "truncated tables" : "a value is not finite");
    }
    const unsigned char *p = NULL;
    if (st == GN_OK && ((nu + 1) > (size_t)(in.end - in.p) / 8 || take(&in, (nu + 1) * 8, &p)))
        st = gn__fail(GN_EFORMAT, "%s: payload: truncated seen lists", path);
    for (size_t u = 0; u <= nu && st == GN_OK; u++) {
        mf->seen_ptr[u] = (uint64_t)le32(p + 8 * u) | (uint64_t)le32(p + 8 * u + 4) << 32;
        if ((u == 0 && mf->seen_ptr[0] != 0) || (u > 0 && mf->seen_ptr[u] < mf->seen_ptr[u - 1]) ||
            mf->seen_ptr[u] > mf->nnz || (u == nu && mf->seen_ptr[u] != mf->nnz))
            st = gn__fail(GN_EFORMAT, "%s: payload: the seen list offsets are out of order", path);
    }
    if (st == GN_OK && (mf->nnz > (uint64_t)(in.end - in.p) / 4 || take(&in, (size_t)mf->nnz * 4, &p)))
        st = gn__fail(GN_EFORMAT, "%s: payload: truncated seen lists", path);
    for (size_t u = 0; u < nu && st == GN_OK; u++)
        for (uint64_t j = mf->seen_ptr[u]; j < mf->seen_ptr[u + 1]; j++) {
            mf->seen_idx[j] = le32(p + 4 * j);
            if (mf->seen_idx[j] >= ni || (j > mf->seen_ptr[u] && mf->seen_idx[j] <= mf->seen_idx[j - 1])) {
                st = gn__fail(GN_EFORMAT, "%s: payload: a seen item is out of range or out of order", path);
                break;
            }
        }
    if (st == GN_OK && in.p != in.end)
        st = gn__fail(GN_EFORMAT, "%s: payload: %zu bytes left over", path, (size_t)(in.end - in.p));
    if (st != GN_OK) {
        gn__mf_free(mf);
        return st;
    }
    gn__mf_free(hdr);
    m->payload = mf;
    return GN_OK;
}

const gn_kind gn__kind_mf = {
    .name = "mf",
    .id = GN_KIND_MF,
    .weights_per_slot = 1,
    .outputs = mf_outputs,
    .score_batch = mf_score_batch,
    .header_keys = mf_header_keys,
    .header_write = mf_header_write,
    .header_read = mf_header_read,
    .payload_write = mf_payload_write,
    .payload_read = mf_payload_read,
    .payload_free = mf_payload_free,
    .top_weights = mf_top_weights,
};
