/* io/matrix.c: in-memory matrices (dense with strides, CSR) read in place as LIBSVM rows: column
 * j is feature index j+1, mapped to a slot by the parser's rule (gn__libsvm_slot, or hashed from
 * its decimal text with libsvm_hash). One place for that rule on the array side. */
#include "io/matrix.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hash/hash.h"
#include "io/labels.h"
#include "io/parser.h"
#include "util/error.h"

gn_status gn_matrix_check(const gn_matrix *m) {
    if (!m) return gn__fail(GN_EINVAL, "matrix: NULL");
    if (m->dtype != GN_F64 && m->dtype != GN_F32) return gn__fail(GN_EINVAL, "matrix: unknown value type %d", (int)m->dtype);
    if (m->rows && m->cols && !m->values && m->layout == GN_MATRIX_DENSE)
        return gn__fail(GN_EINVAL, "matrix: no values");
    if (m->layout == GN_MATRIX_DENSE) return GN_OK;
    if (m->layout != GN_MATRIX_CSR) return gn__fail(GN_EINVAL, "matrix: unknown layout %d", (int)m->layout);
    if (m->index_bits != 32 && m->index_bits != 64)
        return gn__fail(GN_EINVAL, "matrix: index_bits must be 32 or 64 (got %d)", m->index_bits);
    if (!m->indptr) return gn__fail(GN_EINVAL, "matrix: no indptr");
    const int wide = m->index_bits == 64;
    int64_t prev = 0;
    for (size_t r = 0; r <= m->rows; r++) {
        int64_t p = wide ? ((const int64_t *)m->indptr)[r] : ((const int32_t *)m->indptr)[r];
        if ((r == 0 && p != 0) || p < prev)
            return gn__fail(GN_EINVAL, "matrix: indptr[%zu] = %lld breaks the CSR order (it must start at 0 and never decrease)",
                            r, (long long)p);
        prev = p;
    }
    if (prev > 0 && (!m->indices || !m->values)) return gn__fail(GN_EINVAL, "matrix: no indices or values");
    for (int64_t k = 0; k < prev; k++) {
        int64_t j = wide ? ((const int64_t *)m->indices)[k] : ((const int32_t *)m->indices)[k];
        if (j < 0 || (uint64_t)j >= m->cols)
            return gn__fail(GN_EINVAL, "matrix: column index %lld of nonzero %lld is outside [0, %zu)", (long long)j,
                            (long long)k, m->cols);
    }
    return GN_OK;
}

static inline double value_at(const gn_matrix *m, ptrdiff_t k) {
    return m->dtype == GN_F64 ? ((const double *)m->values)[k] : (double)((const float *)m->values)[k];
}

/* The slot of column j, as parse_libsvm maps the index token "j+1". */
static inline uint32_t column_slot(size_t j, uint32_t mask, int hashed) {
    if (!hashed) return gn__libsvm_slot((uint64_t)j + 1, mask);
    char tok[24];
    int len = snprintf(tok, sizeof tok, "%llu", (unsigned long long)j + 1);
    return gn__hash_feature(0, tok, (size_t)len, mask);
}

static int push_value(gn_batch *b, size_t row, size_t j, double v, uint32_t mask, int hashed) {
    if (v == 0.0) return GN_OK;
    if (!(fabs(v) <= FLT_MAX)) /* NaN, infinite or beyond a float, as the parser refuses */
        return gn__fail(GN_EPARSE, "row %zu, column %zu: value %g is not finite or out of range (32-bit float)", row,
                        j, v);
    gn__batch_push(b, column_slot(j, mask, hashed), (float)v);
    return GN_OK;
}

/* The features of CSR row r (nonzeros [lo, hi)) for int32 indices, float64 values and unhashed
 * slots, as push_value adds them. */
static int csr_row_i32_f64(gn_batch *b, size_t r, const gn_matrix *m, size_t lo, size_t hi, uint32_t mask) {
    const int32_t *restrict col = (const int32_t *)m->indices;
    const double *restrict val = (const double *)m->values;
    uint32_t *restrict idx = b->index;
    float *restrict out = b->value;
    size_t nnz = b->nnz;
    for (size_t k = lo; k < hi; k++) {
        const double v = val[k];
        if (v == 0.0) continue;
        if (!(fabs(v) <= FLT_MAX)) {
            b->nnz = nnz;
            return push_value(b, r, (size_t)col[k], v, mask, 0); /* its error */
        }
        idx[nnz] = gn__libsvm_slot((uint64_t)col[k] + 1, mask);
        out[nnz] = (float)v;
        nnz++;
    }
    b->nnz = nnz;
    return GN_OK;
}

int gn__matrix_rows(const gn_data_spec *spec, const gn_matrix *m, size_t from, size_t n, const double *y,
                    const double *w, uint64_t *next_key, gn_batch *b) {
    const uint32_t mask = gn__slot_mask(spec->bits);
    const int hashed = spec->libsvm_hash;
    const int wide = m->index_bits == 64;
    for (size_t r = from; r < from + n; r++) {
        if (w && w[r] == 0.0) continue;
        size_t lo = 0, hi = m->cols;
        if (m->layout == GN_MATRIX_CSR) {
            lo = (size_t)(wide ? ((const int64_t *)m->indptr)[r] : ((const int32_t *)m->indptr)[r]);
            hi = (size_t)(wide ? ((const int64_t *)m->indptr)[r + 1] : ((const int32_t *)m->indptr)[r + 1]);
        }
        GN_TRY(gn__batch_begin_example(b, y ? (float)y[r] : 0.0f, w ? (float)w[r] : 1.0f, *next_key));
        GN_TRY(gn__batch_reserve_features(b, hi - lo + 1));
        if (spec->bias) gn__batch_push(b, 0, 1.0f);
        int st = GN_OK;
        if (m->layout == GN_MATRIX_CSR && !hashed && !wide && m->dtype == GN_F64) {
            st = csr_row_i32_f64(b, r, m, lo, hi, mask); /* scipy's usual CSR: the fast path */
        } else if (m->layout == GN_MATRIX_CSR) {
            for (size_t k = lo; k < hi && st == GN_OK; k++) {
                size_t j = (size_t)(wide ? ((const int64_t *)m->indices)[k] : ((const int32_t *)m->indices)[k]);
                st = push_value(b, r, j, value_at(m, (ptrdiff_t)k), mask, hashed);
            }
        } else {
            const ptrdiff_t base = (ptrdiff_t)r * m->row_stride;
            for (size_t j = 0; j < m->cols && st == GN_OK; j++)
                st = push_value(b, r, j, value_at(m, base + (ptrdiff_t)j * m->col_stride), mask, hashed);
        }
        if (st != GN_OK) {
            gn__batch_abort_example(b);
            return st;
        }
        gn__batch_end_example(b);
        (*next_key)++;
    }
    return GN_OK;
}

int gn__matrix_check_targets(const gn_matrix *m, const double *y, const double *w, gn_label_kind kind,
                             size_t nclasses) {
    const int binary = kind == GN_LABEL_BINARY;
    for (size_t r = 0; r < m->rows; r++) {
        if (binary && y[r] != 1.0 && y[r] != -1.0)
            return gn__fail(GN_EINVAL, "row %zu: binary label %g is not +1 or -1", r, y[r]);
        if (kind == GN_LABEL_CLASS && !(y[r] >= 0 && y[r] < (double)nclasses && y[r] == floor(y[r])))
            return gn__fail(GN_EINVAL, "row %zu: class label %g is not a class index 0..%zu", r, y[r],
                            nclasses ? nclasses - 1 : 0);
        if (!(fabs(y[r]) <= FLT_MAX)) return gn__fail(GN_EINVAL, "row %zu: label %g is out of range", r, y[r]);
        if (w && !(w[r] >= 0 && w[r] <= FLT_MAX))
            return gn__fail(GN_EINVAL, "row %zu: weight %g is not a finite number >= 0", r, w[r]);
    }
    return GN_OK;
}

int gn__matrix_class_labels(gn_label_kind kind, const char *const *classes, size_t nclasses, gn_labels **out) {
    *out = NULL;
    if (kind == GN_LABEL_BINARY) {
        if (!classes || nclasses != 2) return gn__fail(GN_EINVAL, "binary labels need two class names");
        return gn__matrix_classes(classes, out);
    }
    if (kind == GN_LABEL_CLASS) {
        if (!classes) return gn__fail(GN_EINVAL, "class labels need the class names");
        return gn__labels_from_names(classes, nclasses, out);
    }
    if (classes || nclasses) return gn__fail(GN_EINVAL, "class names go with binary and class labels, and only with them");
    return GN_OK;
}

int gn__matrix_classes(const char *const *classes, gn_labels **out) {
    if (!classes || !classes[0] || !classes[1]) return gn__fail(GN_EINVAL, "binary labels need two class names");
    gn_labels *l;
    GN_TRY(gn__labels_new(&l));
    char why[GN_WHY_MAX];
    int st = GN_OK;
    for (int c = 0; c < 2 && st == GN_OK; c++) {
        st = gn__labels_add(l, classes[c], strlen(classes[c]), 0, 0, why);
        if (st != GN_OK && st != GN_ENOMEM) st = gn__fail(st, "class %d: %s", c, why);
    }
    if (st == GN_OK && gn__labels_count(l) != 2)
        st = gn__fail(GN_EINVAL, "the two classes '%s' and '%s' are the same label", classes[0], classes[1]);
    if (st == GN_OK) st = gn__labels_resolve_binary(l, gn__labels_name(l, 1), 0, 0, NULL, 0);
    if (st != GN_OK) {
        gn__labels_free(l);
        return st;
    }
    *out = l;
    return GN_OK;
}
