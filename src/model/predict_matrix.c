/* model/predict_matrix.c: predictions for the rows of an in-memory matrix (gannet/arrays.h),
 * read in blocks of rows into a small batch and scored as gn_model_predict_batch scores; and, for
 * linear models, the same numbers through their linear form over the columns (a matrix-vector
 * product). */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/arrays.h"
#include "io/parser.h"
#include "io/batch.h"
#include "io/matrix.h"
#include "model/loss_table.h"
#include "model/model.h"
#include "util/cores.h"
#include "util/error.h"

#define MATRIX_BLOCK_ROWS 1024

gn_status gn_model_predict_matrix(const gn_model *model, const gn_matrix *x, int raw_scores, double *out,
                                  size_t out_len) {
    if (!model || !out) return gn__fail(GN_EINVAL, "predict matrix: model and out are required");
    GN_TRY(gn_matrix_check(x));
    const gn_data_spec *spec = gn_model_get_spec(model);
    if (spec->format != GN_FORMAT_LIBSVM)
        return gn__fail(GN_EINVAL, "predict matrix: the model reads %s input; arrays need a model trained on "
                        "arrays or on LIBSVM data", gn_format_name(spec->format));
    const size_t outs = gn_model_outputs(model);
    if (outs && x->rows > out_len / outs)
        return gn__fail(GN_EINVAL, "predict matrix: out holds %zu numbers, %zu rows need %zu", out_len, x->rows,
                        x->rows * outs);
    gn_batch b;
    GN_TRY(gn__batch_init(&b, MATRIX_BLOCK_ROWS, MATRIX_BLOCK_ROWS * 16));
    int st = GN_OK;
    for (size_t from = 0; from < x->rows && st == GN_OK; from += MATRIX_BLOCK_ROWS) {
        size_t n = x->rows - from < MATRIX_BLOCK_ROWS ? x->rows - from : MATRIX_BLOCK_ROWS;
        gn__batch_clear(&b);
        uint64_t key = from;
        st = gn__matrix_rows(spec, x, from, n, NULL, NULL, &key, &b);
        if (st == GN_OK) {
            gn_rows rows = gn__batch_rows(&b); /* slots are below 2^bits by construction */
            if (raw_scores) gn__model_scores(model, &rows, out + from * outs);
            else gn__model_predictions(model, &rows, out + from * outs);
        }
    }
    gn__batch_free(&b);
    return st;
}

gn_status gn_model_matrix_coef(const gn_model *model, size_t cols, double *coef, double *intercept) {
    if (!model || (cols && !coef) || !intercept) return gn__fail(GN_EINVAL, "matrix coef: model, coef and intercept are required");
    if (model->kind != GN_KIND_LINEAR || gn_model_outputs(model) != 1)
        return gn__fail(GN_EUNSUPPORTED, "matrix coef: a %s model is not linear in its columns",
                        gn_model_kind_name(model->kind));
    const gn_data_spec *spec = gn_model_get_spec(model);
    if (spec->format != GN_FORMAT_LIBSVM)
        return gn__fail(GN_EUNSUPPORTED, "matrix coef: the model reads %s input, not columns", gn_format_name(spec->format));
    /* one row per column holding its slot with value 1 (mapped as gn__matrix_rows maps a column,
     * without the bias), scored by the kind: the score is that slot's weight, exactly */
    gn_batch b;
    GN_TRY(gn__batch_init(&b, MATRIX_BLOCK_ROWS, MATRIX_BLOCK_ROWS * 2));
    const double one = 1.0;
    gn_data_spec nobias = *spec;
    nobias.bias = 0;
    int st = GN_OK;
    uint32_t prev_slot = 0;
    for (size_t from = 0; from < cols && st == GN_OK; from += MATRIX_BLOCK_ROWS) {
        size_t n = cols - from < MATRIX_BLOCK_ROWS ? cols - from : MATRIX_BLOCK_ROWS;
        gn__batch_clear(&b);
        for (size_t r = 0; r < n && st == GN_OK; r++) {
            uint64_t key = from + r;
            int64_t indptr[2] = {0, 1}, column = (int64_t)(from + r);
            const gn_matrix unit = {.layout = GN_MATRIX_CSR, .rows = 1, .cols = cols, .dtype = GN_F64, .values = &one,
                                    .indptr = indptr, .indices = &column, .index_bits = 64};
            st = gn__matrix_rows(&nobias, &unit, 0, 1, NULL, NULL, &key, &b);
        }
        if (st == GN_OK) {
            gn_rows rows = gn__batch_rows(&b);
            gn__model_scores(model, &rows, coef + from);
            /* each column a slot of its own, increasing with the column (after the bias's slot
             * 0): then a row's features reach the kind in column order, unmerged and unsorted,
             * and a matrix-vector product sums exactly what the kind sums */
            for (size_t r = 0; r < n && st == GN_OK; r++) {
                if (rows.start[r + 1] - rows.start[r] != 1) {
                    st = gn__fail(GN_EUNSUPPORTED, "matrix coef: column %zu has no slot", from + r);
                    break;
                }
                uint32_t slot = rows.index[rows.start[r]];
                if ((from + r == 0 && spec->bias && slot == 0) || (from + r > 0 && slot <= prev_slot))
                    st = gn__fail(GN_EUNSUPPORTED, "matrix coef: columns share slots or are hashed (bits %u)",
                                  (unsigned)spec->bits);
                prev_slot = slot;
            }
        }
    }
    *intercept = 0.0;
    if (st == GN_OK && spec->bias) { /* the bias slot alone: an empty row with the bias on */
        gn__batch_clear(&b);
        uint64_t key = 0;
        int64_t indptr[2] = {0, 0}, index = 0;
        const gn_matrix empty = {.layout = GN_MATRIX_CSR, .rows = 1, .cols = 1, .dtype = GN_F64, .values = &one,
                                 .indptr = indptr, .indices = &index, .index_bits = 64};
        st = gn__matrix_rows(spec, &empty, 0, 1, NULL, NULL, &key, &b);
        if (st == GN_OK) {
            gn_rows rows = gn__batch_rows(&b);
            gn__model_scores(model, &rows, intercept);
        }
    }
    gn__batch_free(&b);
    return st;
}

/* Raw scores of rows [from, from + n) of x through batches (gn_model_predict_matrix's way). */
static int predict_rows(const gn_model *model, const gn_matrix *x, size_t from, size_t n, int raw_scores, double *out) {
    gn_batch b;
    GN_TRY(gn__batch_init(&b, n, n * 16));
    uint64_t key = from;
    int st = gn__matrix_rows(gn_model_get_spec(model), x, from, n, NULL, NULL, &key, &b);
    if (st == GN_OK) {
        gn_rows rows = gn__batch_rows(&b);
        if (raw_scores) gn__model_scores(model, &rows, out);
        else gn__model_predictions(model, &rows, out);
    }
    gn__batch_free(&b);
    return st;
}

static int bad_value(size_t row, size_t col, double v) {
    return gn__fail(GN_EPARSE, "row %zu, column %zu: value %g is not finite or out of range (32-bit float)", row, col, v);
}

/* A CSR row the fast loop flagged, checked nonzero by nonzero as before: a column index out of
 * range fails as gn_matrix_check fails (it runs on the whole matrix, so its index errors come
 * first, as when it ran before any scoring), then a value not finite or beyond a float as
 * bad_value; columns out of order or repeated are scored through the batch path (which merges
 * and sorts such rows); else the sum overflowed and is summed again as the fast loop sums. */
static int odd_row(const gn_model *model, const gn_matrix *x, const double *coef, double start, size_t r, size_t lo,
                   size_t hi, double *s) {
    const int wide = x->index_bits == 64, f64 = x->dtype == GN_F64;
    int ordered = 1;
    int64_t last = -1;
    for (size_t k = lo; k < hi; k++) {
        const int64_t j = wide ? ((const int64_t *)x->indices)[k] : ((const int32_t *)x->indices)[k];
        if (j < 0 || (uint64_t)j >= x->cols) return gn_matrix_check(x);
        ordered &= j > last;
        last = j;
    }
    for (size_t k = lo; k < hi; k++) {
        const double v = f64 ? ((const double *)x->values)[k] : (double)((const float *)x->values)[k];
        const int64_t j = wide ? ((const int64_t *)x->indices)[k] : ((const int32_t *)x->indices)[k];
        if (v != 0.0 && !(fabs(v) <= FLT_MAX)) {
            GN_TRY(gn_matrix_check(x));
            return bad_value(r, (size_t)j, v);
        }
    }
    if (!ordered) return predict_rows(model, x, r, 1, 1, s);
    double sum = start;
    for (size_t k = lo; k < hi; k++) {
        const double v = f64 ? ((const double *)x->values)[k] : (double)((const float *)x->values)[k];
        const int64_t j = wide ? ((const int64_t *)x->indices)[k] : ((const int32_t *)x->indices)[k];
        sum += coef[j] * (double)(float)v;
    }
    *s = sum;
    return GN_OK;
}

/* Raw scores of the CSR rows of x, one function per value type and index width (no branch on
 * them per nonzero). Summed as linear_score_batch sums a row: 0, the bias, the nonzeros in
 * order (a zero adds +-0.0, which leaves the sum as it is: the same number as the batch path,
 * which skips it). The checks cost one compare per nonzero: the column is in range and above the
 * row's previous one (one unsigned compare), and the row's largest |value| and its sum are
 * finite (NaN makes the sum NaN). A row failing them is looked at again by odd_row. */
#define CSR_SCORES(NAME, VT, IT)                                                                               \
    static int NAME(const gn_model *model, const gn_matrix *x, const double *coef, int bias, double intercept, \
                    size_t from, size_t to, double *out) {                                                     \
        const IT *indptr = x->indptr, *indices = x->indices;                                                   \
        const VT *values = x->values;                                                                          \
        const size_t rows = x->rows;                                                                           \
        const int64_t cols = (int64_t)x->cols;                                                                 \
        const double start = bias ? 0.0 + intercept : 0.0;                                                     \
        const int64_t nnz = (int64_t)indptr[rows];                                                             \
        for (size_t r = from; r < to; r++) {                                                                   \
            double s = start, amax = 0.0;                                                                      \
            const int64_t plo = (int64_t)indptr[r], phi = (int64_t)indptr[r + 1];                              \
            if (phi < plo || phi > nnz) return gn_matrix_check(x); /* indptr decreases: its error */           \
            const size_t lo = (size_t)plo, hi = (size_t)phi;                                                   \
            int64_t last = -1;                                                                                 \
            int odd = 0;                                                                                       \
            for (size_t k = lo; k < hi; k++) {                                                                 \
                const double v = (double)values[k], av = fabs(v);                                              \
                const int64_t j = (int64_t)indices[k];                                                         \
                if ((uint64_t)(j - last - 1) >= (uint64_t)(cols - 1 - last)) { /* j <= last or j >= cols */   \
                    odd = 1;                                                                                   \
                    break;                                                                                     \
                }                                                                                              \
                last = j;                                                                                      \
                amax = av > amax ? av : amax;                                                                  \
                s += coef[j] * (double)(float)v;                                                               \
            }                                                                                                  \
            out[r - from] = s; /* s's address is never taken: it stays in a register */                    \
            if (odd || !(amax <= FLT_MAX) || !(fabs(s) <= DBL_MAX))                                            \
                GN_TRY(odd_row(model, x, coef, start, r, lo, hi, &out[r - from]));                             \
        }                                                                                                      \
        return GN_OK;                                                                                          \
    }
CSR_SCORES(csr_scores_f64_i64, double, int64_t)
CSR_SCORES(csr_scores_f64_i32, double, int32_t)
CSR_SCORES(csr_scores_f32_i64, float, int64_t)
CSR_SCORES(csr_scores_f32_i32, float, int32_t)

/* Raw scores of rows [from, to) of x (checked as gn_model_predict_matrix_linear's start checks
 * them) into out[0 .. to - from). Errors set the calling thread's message. */
static int score_rows(const gn_model *model, const gn_matrix *x, const double *coef, double intercept, size_t from,
                      size_t to, double *out) {
    const int f64 = x->dtype == GN_F64, wide = x->index_bits == 64;
    const int bias = gn_model_get_spec(model)->bias;
    if (x->layout == GN_MATRIX_CSR) {
        if (f64 && wide) return csr_scores_f64_i64(model, x, coef, bias, intercept, from, to, out);
        if (f64) return csr_scores_f64_i32(model, x, coef, bias, intercept, from, to, out);
        if (wide) return csr_scores_f32_i64(model, x, coef, bias, intercept, from, to, out);
        return csr_scores_f32_i32(model, x, coef, bias, intercept, from, to, out);
    }
    for (size_t r = from; r < to; r++) {
        double s = 0.0; /* as linear_score_batch sums a row: 0, the bias, the nonzeros in order */
        if (bias) s += intercept;
        const ptrdiff_t base = (ptrdiff_t)r * x->row_stride;
        for (size_t j = 0; j < x->cols; j++) {
            ptrdiff_t k = base + (ptrdiff_t)j * x->col_stride;
            double v = f64 ? ((const double *)x->values)[k] : (double)((const float *)x->values)[k];
            if (v == 0.0) continue;
            if (!(fabs(v) <= FLT_MAX)) return bad_value(r, j, v);
            s += coef[j] * (double)(float)v;
        }
        out[r - from] = s;
    }
    return GN_OK;
}

/* What linear_rows writes per row: the raw score, the loss's prediction, or [1 - p, p] (two
 * numbers per row, a logistic model's probabilities as scikit-learn's predict_proba gives them). */
enum { OUT_SCORES = 0, OUT_PREDICTIONS = 1, OUT_PAIRS = 2 };
#define LINK_BLOCK 512 /* rows scored into a buffer on the stack, then linked together */

/* p[i] = gn__logistic(s[i]) for the LINK_BLOCK numbers of s. A loop of a constant count over
 * straight-line arithmetic (gn__exp_nonpositive), which compilers turn into vector instructions
 * (gcc's -O2 too: no remainder loop is needed); on x86-64 compiled three times, for SSE2 (the
 * baseline), AVX2 and AVX-512, the widest the CPU has chosen at run time (a9a's 16281 rows: the
 * link costs about a quarter of what exp() per row costs with AVX-512). The same bits in each
 * (no fused multiply-adds: loss_table.h). A score beyond -GN__EXP_FAST_MIN in magnitude (rare),
 * or NaN, gives a meaningless number in the vector loop (no clamp: a select before the
 * arithmetic keeps gcc from vectorizing it; the arithmetic cannot fault) and is computed again
 * one by one. The same bits as gn__logistic. */
#define LOGISTIC_BLOCK_LOOP(s, p)                                        \
    for (size_t i = 0; i < LINK_BLOCK; i++) {                            \
        const double e = gn__exp_nonpositive(-fabs((s)[i]));             \
        const double num = (s)[i] >= 0.0 ? 1.0 : e;                      \
        (p)[i] = num / (1.0 + e);                                        \
    }
static void logistic_block_base(const double *restrict s, double *restrict p) { LOGISTIC_BLOCK_LOOP(s, p) }
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LOGISTIC_DISPATCH 1
__attribute__((target("avx2"))) static void logistic_block_avx2(const double *restrict s, double *restrict p) {
    LOGISTIC_BLOCK_LOOP(s, p)
}
__attribute__((target("avx512f"))) static void logistic_block_avx512(const double *restrict s, double *restrict p) {
    LOGISTIC_BLOCK_LOOP(s, p)
}
#endif

static void logistic_block(const double *restrict s, double *restrict p) {
#ifdef LOGISTIC_DISPATCH
    if (__builtin_cpu_supports("avx512f")) logistic_block_avx512(s, p);
    else if (__builtin_cpu_supports("avx2")) logistic_block_avx2(s, p);
    else logistic_block_base(s, p);
#else
    logistic_block_base(s, p);
#endif
    int slow = 0;
    for (size_t i = 0; i < LINK_BLOCK; i++) slow |= !(-fabs(s[i]) >= GN__EXP_FAST_MIN);
    if (slow)
        for (size_t i = 0; i < LINK_BLOCK; i++)
            if (!(-fabs(s[i]) >= GN__EXP_FAST_MIN)) p[i] = gn__logistic(s[i]);
}

/* Rows [from, to) of x: out[r] (or out[2r], out[2r + 1] for OUT_PAIRS) for each row r. */
static int linear_rows(const gn_model *model, const gn_matrix *x, const double *coef, double intercept, int what,
                       size_t from, size_t to, double *out) {
    const gn__loss_info *li = gn__loss_info_of(model->loss);
    const int logistic = li && li->link == GN__LINK_LOGISTIC;
    if (what == OUT_SCORES || (what == OUT_PREDICTIONS && !logistic)) {
        GN_TRY(score_rows(model, x, coef, intercept, from, to, out + from));
        if (what == OUT_PREDICTIONS)
            for (size_t r = from; r < to; r++) out[r] = gn__link(model->loss, out[r]);
        return GN_OK;
    }
    double score[LINK_BLOCK], p[LINK_BLOCK];
    for (size_t b = from; b < to; b += LINK_BLOCK) {
        const size_t n = to - b < LINK_BLOCK ? to - b : LINK_BLOCK;
        GN_TRY(score_rows(model, x, coef, intercept, b, b + n, score));
        for (size_t i = n; i < LINK_BLOCK; i++) score[i] = 0.0; /* a last, partial block */
        logistic_block(score, p);
        if (what == OUT_PAIRS) {
            double *o = out + 2 * b;
            for (size_t i = 0; i < n; i++) {
                o[2 * i] = 1.0 - p[i];
                o[2 * i + 1] = p[i];
            }
        } else {
            memcpy(out + b, p, n * sizeof *p);
        }
    }
    return GN_OK;
}

/* Threads for a large matrix: rows are split into parts of about equal work (nonzeros for CSR,
 * cells for dense), one thread each, when there are at least 2 * LINEAR_THREAD_WORK of it; at
 * most the online cores, and LINEAR_THREADS_MAX. Below that a thread costs more to start than it
 * saves (a9a's test set, 226k nonzeros, takes about 0.2 ms on one core). A part that fails makes
 * the whole call run again on the calling thread, which then reports the first error in row
 * order with its message (messages are per thread). */
#define LINEAR_THREAD_WORK ((size_t)128 * 1024)
#define LINEAR_THREADS_MAX 16

typedef struct linear_part {
    const gn_model *model;
    const gn_matrix *x;
    const double *coef;
    double intercept;
    int what;
    size_t from, to;
    double *out;
    int status;
} linear_part;

static void *linear_part_main(void *arg) {
    linear_part *p = arg;
    p->status = linear_rows(p->model, p->x, p->coef, p->intercept, p->what, p->from, p->to, p->out);
    return NULL;
}

static size_t csr_offset(const gn_matrix *x, size_t r) {
    return x->index_bits == 64 ? (size_t)((const int64_t *)x->indptr)[r] : (size_t)((const int32_t *)x->indptr)[r];
}

/* The parts' first rows: rows split so that each part holds about work / parts of the work. */
static void split_rows(const gn_matrix *x, size_t work, size_t parts, size_t *first) {
    first[0] = 0;
    for (size_t t = 1; t < parts; t++) {
        if (x->layout != GN_MATRIX_CSR) {
            first[t] = x->rows * t / parts;
            continue;
        }
        const size_t want = work / parts * t; /* the first row whose start reaches it: binary search */
        size_t lo = first[t - 1], hi = x->rows;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (csr_offset(x, mid) < want) lo = mid + 1;
            else hi = mid;
        }
        first[t] = lo;
    }
    first[parts] = x->rows;
}

static size_t linear_threads(const gn_matrix *x, size_t *work) {
    size_t w = x->layout == GN_MATRIX_CSR ? csr_offset(x, x->rows) : x->rows * x->cols;
    if (x->layout == GN_MATRIX_CSR && w < x->rows) w = x->rows; /* empty rows cost something too */
    *work = w;
    size_t t = w / LINEAR_THREAD_WORK;
    if (t < 2) return 1;
    const size_t cores = gn__threads_or_cores(0);
    if (t > cores) t = cores;
    if (t > LINEAR_THREADS_MAX) t = LINEAR_THREADS_MAX;
    if (t > x->rows) t = x->rows;
    return t < 2 ? 1 : t;
}

static int linear_rows_threaded(const gn_model *model, const gn_matrix *x, const double *coef, double intercept,
                                int what, double *out) {
    size_t work;
    const size_t parts = linear_threads(x, &work);
    if (parts > 1) {
        size_t first[LINEAR_THREADS_MAX + 1];
        linear_part part[LINEAR_THREADS_MAX];
        pthread_t tid[LINEAR_THREADS_MAX];
        split_rows(x, work, parts, first);
        size_t started = 0;
        for (size_t t = 1; t < parts; t++) { /* part 0 runs on this thread */
            part[t] = (linear_part){model, x, coef, intercept, what, first[t], first[t + 1], out, GN_OK};
            if (pthread_create(&tid[t], NULL, linear_part_main, &part[t]) != 0) break;
            started = t;
        }
        /* what no thread took (none could start, or some): on this thread, after part 0 */
        int st = linear_rows(model, x, coef, intercept, what, 0, first[1], out);
        if (st == GN_OK && started + 1 < parts)
            st = linear_rows(model, x, coef, intercept, what, first[started + 1], x->rows, out);
        for (size_t t = 1; t <= started; t++) {
            pthread_join(tid[t], NULL);
            if (part[t].status != GN_OK && st == GN_OK) st = part[t].status;
        }
        if (st == GN_OK) return GN_OK;
        if (st == GN_ENOMEM) return gn__fail(GN_ENOMEM, "out of memory");
        /* an error: once more on this thread, for the first one in row order and its message */
    }
    return linear_rows(model, x, coef, intercept, what, 0, x->rows, out);
}

static int predict_linear(const gn_model *model, const gn_matrix *x, const double *coef, size_t ncoef,
                          double intercept, int what, double *out, size_t out_len) {
    if (!model || !out || (ncoef && !coef)) return gn__fail(GN_EINVAL, "predict matrix: model, coef and out are required");
    if (x && x->layout == GN_MATRIX_CSR && (x->dtype == GN_F64 || x->dtype == GN_F32) &&
        (x->index_bits == 32 || x->index_bits == 64) && x->indptr) {
        /* the rest of gn_matrix_check is done row by row in the scoring loop: indptr starting at
         * 0 here, each row's end neither before its start nor past indptr[rows] (so the offsets
         * never decrease and every read stays within the nonzeros), the column indices */
        const int64_t first = x->index_bits == 64 ? ((const int64_t *)x->indptr)[0] : ((const int32_t *)x->indptr)[0];
        const int64_t nnz = x->index_bits == 64 ? ((const int64_t *)x->indptr)[x->rows]
                                                : ((const int32_t *)x->indptr)[x->rows];
        if (first != 0 || nnz < 0 || (nnz > 0 && (!x->indices || !x->values))) GN_TRY(gn_matrix_check(x));
    } else {
        GN_TRY(gn_matrix_check(x));
    }
    if (x->cols > ncoef)
        return gn__fail(GN_EINVAL, "predict matrix: %zu columns, but coef holds %zu", x->cols, ncoef);
    if (model->kind != GN_KIND_LINEAR || gn_model_outputs(model) != 1)
        return gn__fail(GN_EUNSUPPORTED, "predict matrix: a %s model is not linear in its columns",
                        gn_model_kind_name(model->kind));
    const gn__loss_info *li = gn__loss_info_of(model->loss);
    if (what == OUT_PAIRS && !(li && li->link == GN__LINK_LOGISTIC))
        return gn__fail(GN_EINVAL, "predict matrix: probability pairs need a logistic model (this one's loss is %s)",
                        gn_loss_name(model->loss));
    const size_t per_row = what == OUT_PAIRS ? 2 : 1;
    if (x->rows > out_len / per_row)
        return gn__fail(GN_EINVAL, "predict matrix: out holds %zu numbers, %zu rows need %zu", out_len, x->rows,
                        x->rows * per_row);
    return linear_rows_threaded(model, x, coef, intercept, what, out);
}

gn_status gn_model_predict_matrix_linear(const gn_model *model, const gn_matrix *x, const double *coef, size_t ncoef,
                                         double intercept, int raw_scores, double *out, size_t out_len) {
    return predict_linear(model, x, coef, ncoef, intercept, raw_scores ? OUT_SCORES : OUT_PREDICTIONS, out, out_len);
}

gn_status gn_model_predict_matrix_linear_pairs(const gn_model *model, const gn_matrix *x, const double *coef,
                                               size_t ncoef, double intercept, double *out, size_t out_len) {
    return predict_linear(model, x, coef, ncoef, intercept, OUT_PAIRS, out, out_len);
}
