/* test_matrix.c: in-memory matrices (io/matrix.c, gannet/arrays.h). Every row of a dense matrix
 * (C and Fortran order) and of a CSR matrix (32- and 64-bit indices) becomes exactly the example the LIBSVM parser makes of the equivalent line "y
 * j+1:x ...", with and without the bias, hashed or not, with slots that wrap; bad descriptions
 * and values are errors naming what is wrong; a cache written from a matrix trains a model alone
 * (classes named, rows of weight 0 left out) whose gn_model_predict_matrix numbers equal its
 * predictions of the LIBSVM lines; an online run (gannet/online.h) learns a matrix in chunks
 * exactly as in one call, and refuses batch optimizers; rows converted once (gn_online_rows) learn
 * as the arrays do; multiclass runs and caches take the classes
 * in order with class-index labels; a set stop flag ends training with
 * GN_ECANCELED. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

#include <cmocka.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/matrix.h"
#include "io/parser.h"

#define ROWS 60
#define COLS 9

static double dense[ROWS][COLS];
static double labels[ROWS];

/* A matrix with zeros, tiny and large values, and one empty row. */
static void fill(void) {
    uint64_t s = 42;
    for (int i = 0; i < ROWS; i++) {
        labels[i] = (i % 3) ? 1.0 : -1.0;
        for (int j = 0; j < COLS; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            int r = (int)(s >> 59);
            dense[i][j] = r < 12 ? 0.0 : (double)(int64_t)(s >> 40) / 1048576.0 - 4096.0 + (r == 13 ? 1e-30 : 0);
            if (i == 7) dense[i][j] = 0.0;
        }
    }
}

/* The LIBSVM line of row i. */
static void line_of(int i, char *buf, size_t size) {
    size_t n = (size_t)snprintf(buf, size, "%g", labels[i]);
    for (int j = 0; j < COLS; j++)
        if (dense[i][j] != 0.0) n += (size_t)snprintf(buf + n, size - n, " %d:%.17g", j + 1, dense[i][j]);
}

static void spec_for(gn_data_spec *s, uint32_t bits, int bias, int hashed) {
    gn_data_spec_init(s);
    s->format = GN_FORMAT_LIBSVM;
    s->bits = bits;
    s->bias = bias;
    s->libsvm_hash = hashed;
    s->label_kind = GN_LABEL_REAL;
}

static void assert_same_batch(const gn_batch *a, const gn_batch *b) {
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->nnz, b->nnz);
    for (size_t i = 0; i <= a->n; i++) assert_int_equal(a->start[i], b->start[i]);
    for (size_t i = 0; i < a->n; i++) assert_true(a->label[i] == b->label[i]);
    for (size_t k = 0; k < a->nnz; k++) {
        assert_int_equal(a->index[k], b->index[k]);
        assert_memory_equal(&a->value[k], &b->value[k], sizeof(float));
    }
}

/* Parses the LIBSVM lines of all rows into b. */
static void parse_rows(const gn_data_spec *s, gn_batch *b) {
    gn_parser *p;
    assert_int_equal(gn__parser_new(s, &p), GN_OK);
    char line[4096], why[GN_WHY_MAX];
    for (int i = 0; i < ROWS; i++) {
        line_of(i, line, sizeof line);
        assert_int_equal(gn__parser_line(p, line, strlen(line), (uint64_t)i, b, why), GN_OK);
    }
    gn__parser_free(p);
}

static void test_rows_read_as_the_parser_reads_lines(void **state) {
    (void)state;
    fill();
    static double fortran[COLS][ROWS];
    for (int i = 0; i < ROWS; i++)
        for (int j = 0; j < COLS; j++) fortran[j][i] = dense[i][j];
    /* CSR (features in the line's order: a row's order is kept, as a line's is) */
    static int32_t ptr32[ROWS + 1], idx32[ROWS * COLS];
    static int64_t ptr64[ROWS + 1], idx64[ROWS * COLS];
    static double data[ROWS * COLS];
    size_t nnz = 0;
    for (int i = 0; i < ROWS; i++) {
        ptr32[i] = (int32_t)nnz;
        ptr64[i] = (int64_t)nnz;
        for (int j = 0; j < COLS; j++)
            if (dense[i][j] != 0.0) {
                idx32[nnz] = j;
                idx64[nnz] = j;
                data[nnz++] = dense[i][j];
            }
    }
    ptr32[ROWS] = (int32_t)nnz;
    ptr64[ROWS] = (int64_t)nnz;
    const uint32_t bits_list[] = {3, 18};
    for (size_t bi = 0; bi < 2; bi++)
        for (int bias = 0; bias <= 1; bias++)
            for (int hashed = 0; hashed <= 1; hashed++) {
                gn_data_spec s;
                spec_for(&s, bits_list[bi], bias, hashed);
                gn_batch want, got;
                assert_int_equal(gn__batch_init(&want, 8, 64), GN_OK);
                assert_int_equal(gn__batch_init(&got, 8, 64), GN_OK);
                parse_rows(&s, &want);
                gn_matrix ms[4] = {
                    {GN_MATRIX_DENSE, ROWS, COLS, GN_F64, dense, COLS, 1, NULL, NULL, 0},
                    {GN_MATRIX_DENSE, ROWS, COLS, GN_F64, fortran, 1, ROWS, NULL, NULL, 0},
                    {GN_MATRIX_CSR, ROWS, COLS, GN_F64, data, 0, 0, ptr32, idx32, 32},
                    {GN_MATRIX_CSR, ROWS, COLS, GN_F64, data, 0, 0, ptr64, idx64, 64},
                };
                for (int k = 0; k < 4; k++) {
                    assert_int_equal(gn_matrix_check(&ms[k]), GN_OK);
                    gn__batch_clear(&got);
                    uint64_t key = 0;
                    /* in two pieces, as the readers go block by block */
                    assert_int_equal(gn__matrix_rows(&s, &ms[k], 0, 25, labels, NULL, &key, &got), GN_OK);
                    assert_int_equal(gn__matrix_rows(&s, &ms[k], 25, ROWS - 25, labels, NULL, &key, &got), GN_OK);
                    assert_int_equal(key, ROWS);
                    assert_same_batch(&want, &got);
                }
                gn__batch_free(&want);
                gn__batch_free(&got);
            }
}

static void test_bad_matrices_and_values(void **state) {
    (void)state;
    gn_data_spec s;
    spec_for(&s, 10, 1, 0);
    int32_t ptr[3] = {0, 2, 1}, idx[2] = {0, 5};
    double data[2] = {1, 2};
    gn_matrix m = {GN_MATRIX_CSR, 2, 4, GN_F64, data, 0, 0, ptr, idx, 32};
    assert_int_equal(gn_matrix_check(&m), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "indptr[2]"));
    ptr[2] = 2;
    assert_int_equal(gn_matrix_check(&m), GN_EINVAL); /* column 5 of 4 */
    assert_non_null(strstr(gn_last_error(), "column index 5"));
    idx[1] = 3;
    assert_int_equal(gn_matrix_check(&m), GN_OK);
    m.index_bits = 16;
    assert_int_equal(gn_matrix_check(&m), GN_EINVAL);
    m.index_bits = 32;

    double d[2][3] = {{1, 2, 3}, {4, NAN, 6}};
    gn_matrix dm = {GN_MATRIX_DENSE, 2, 3, GN_F64, d, 3, 1, NULL, NULL, 0};
    gn_batch b;
    assert_int_equal(gn__batch_init(&b, 4, 16), GN_OK);
    uint64_t key = 0;
    assert_int_equal(gn__matrix_rows(&s, &dm, 0, 2, NULL, NULL, &key, &b), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "row 1, column 1"));
    assert_int_equal(b.n, 1); /* the good row stays, the bad one is dropped */
    d[1][1] = 1e300;
    gn__batch_clear(&b);
    key = 0;
    assert_int_equal(gn__matrix_rows(&s, &dm, 0, 2, NULL, NULL, &key, &b), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "32-bit float"));
    /* the same refusals on CSR's fast path (32-bit indices, float64 values, unhashed) */
    int32_t cptr[3] = {0, 1, 3}, cidx[3] = {2, 0, 3};
    double cdata[3] = {1, 2, NAN};
    gn_matrix cm = {GN_MATRIX_CSR, 2, 4, GN_F64, cdata, 0, 0, cptr, cidx, 32};
    gn__batch_clear(&b);
    key = 0;
    assert_int_equal(gn__matrix_rows(&s, &cm, 0, 2, NULL, NULL, &key, &b), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "row 1, column 3"));
    assert_int_equal(b.n, 1);
    assert_int_equal(b.nnz, 2); /* row 0's bias and feature: none of the bad row's */
    cdata[2] = -1e300;
    gn__batch_clear(&b);
    assert_int_equal(gn__matrix_rows(&s, &cm, 0, 2, NULL, NULL, &key, &b), GN_EPARSE);
    assert_non_null(strstr(gn_last_error(), "32-bit float"));
    gn__batch_free(&b);
}

static void test_cache_trains_alone_and_predicts_as_lines(void **state) {
    (void)state;
    fill();
    char cache[128], model_path[128];
    snprintf(cache, sizeof cache, "/tmp/gn_test_matrix_%d.cache", (int)getpid());
    snprintf(model_path, sizeof model_path, "/tmp/gn_test_matrix_%d.gnm", (int)getpid());
    gn_data_spec s;
    spec_for(&s, 12, 1, 0);
    s.label_kind = GN_LABEL_BINARY;
    gn_matrix m = {GN_MATRIX_DENSE, ROWS, COLS, GN_F64, dense, COLS, 1, NULL, NULL, 0};
    const char *classes[2] = {"no", "yes"};
    double w[ROWS];
    size_t kept = 0;
    for (int i = 0; i < ROWS; i++) {
        w[i] = i % 10 == 3 ? 0.0 : 1.0 + i % 2;
        kept += w[i] != 0.0;
    }
    /* labels must be +1/-1, and the classes given with binary labels only */
    double bad[ROWS];
    memcpy(bad, labels, sizeof bad);
    bad[5] = 0.5;
    assert_int_equal(gn_cache_write_matrix(cache, &s, &m, bad, NULL, classes), GN_EINVAL);
    assert_int_equal(gn_cache_write_matrix(cache, &s, &m, labels, NULL, NULL), GN_EINVAL);
    const char *same[2] = {"1", "1.0"};
    assert_int_equal(gn_cache_write_matrix(cache, &s, &m, labels, NULL, same), GN_EINVAL);
    assert_int_equal(gn_cache_write_matrix(cache, &s, &m, labels, w, classes), GN_OK);

    gn_train_options o;
    gn_train_options_init(&o);
    o.passes = 1;
    o.threads = 1;
    o.cache_path = cache;
    gn_data_spec ts;
    gn_data_spec_init(&ts);
    gn_model *model = NULL;
    gn_train_summary sum;
    /* the stop flag, set: no model, GN_ECANCELED (online and batch solver alike) */
    volatile int stop = 1;
    o.stop = &stop;
    assert_int_equal(gn_train(&o, &ts, NULL, 0, NULL, NULL, &model, &sum), GN_ECANCELED);
    assert_null(model);
    o.optimizer = GN_OPT_LBFGS;
    assert_int_equal(gn_train(&o, &ts, NULL, 0, NULL, NULL, &model, &sum), GN_ECANCELED);
    assert_null(model);
    assert_string_equal(gn_status_name(GN_ECANCELED), "GN_ECANCELED");
    o.optimizer = GN_OPT_AUTO;
    o.stop = NULL;
    assert_int_equal(gn_train(&o, &ts, NULL, 0, NULL, NULL, &model, &sum), GN_OK);
    assert_int_equal(sum.examples, kept);
    size_t nc = 0;
    assert_int_equal(gn_model_classes(model, &nc), GN_OK);
    assert_int_equal(nc, 2);
    assert_string_equal(gn_model_class_name(model, 0), "no");
    assert_string_equal(gn_model_class_name(model, 1), "yes");
    assert_int_equal(gn_model_save(model, model_path), GN_OK);

    double pred[ROWS], raw[ROWS];
    assert_int_equal(gn_model_predict_matrix(model, &m, 0, pred, ROWS), GN_OK);
    assert_int_equal(gn_model_predict_matrix(model, &m, 1, raw, ROWS), GN_OK);
    assert_int_equal(gn_model_predict_matrix(model, &m, 0, pred, ROWS - 1), GN_EINVAL); /* out too short */
    char line[4096];
    int differ = 0;
    for (int i = 0; i < ROWS; i++) {
        line_of(i, line, sizeof line);
        double p;
        assert_int_equal(gn_model_predict_line(model, line, strlen(line), &p), GN_OK);
        assert_true(p == pred[i]);
        assert_true(gn_model_link(model, raw[i]) == pred[i]);
        differ += pred[i] != pred[0];
    }
    assert_true(differ > 0);
    gn_model_free(model);
    unlink(cache);
    unlink(model_path);
}

/* The linear form of a linear model: exact coefficients, the batch path's numbers bit for bit
 * (dense and CSR, 32- and 64-bit indices, a row with its columns out of order), refused when
 * columns share slots or are hashed; the progressive loss of an online run. */
static void test_linear_form_predicts_as_batches(void **state) {
    (void)state;
    fill();
    gn_train_options o;
    gn_train_options_init(&o);
    const char *classes[2] = {"-1", "1"};
    gn_matrix all = {GN_MATRIX_DENSE, ROWS, COLS, GN_F64, dense, COLS, 1, NULL, NULL, 0};
    /* CSR of the same rows, row 5's nonzeros reversed */
    static double vals[ROWS * COLS];
    static int64_t idx64[ROWS * COLS], ptr64[ROWS + 1];
    static int32_t idx32[ROWS * COLS], ptr32[ROWS + 1];
    size_t nnz = 0;
    for (int i = 0; i < ROWS; i++) {
        ptr64[i] = ptr32[i] = (int32_t)nnz;
        size_t first = nnz;
        for (int j = 0; j < COLS; j++)
            if (dense[i][j] != 0.0) { vals[nnz] = dense[i][j]; idx64[nnz] = idx32[nnz] = j; nnz++; }
        for (size_t a = first, b = nnz; i == 5 && a + 1 < b; a++, b--) {
            double v = vals[a]; vals[a] = vals[b - 1]; vals[b - 1] = v;
            int64_t t = idx64[a]; idx64[a] = idx32[a] = (int32_t)idx64[b - 1]; idx64[b - 1] = idx32[b - 1] = (int32_t)t;
        }
    }
    ptr64[ROWS] = ptr32[ROWS] = (int32_t)nnz;
    gn_matrix csr64 = {GN_MATRIX_CSR, ROWS, COLS, GN_F64, vals, 0, 0, ptr64, idx64, 64};
    gn_matrix csr32 = {GN_MATRIX_CSR, ROWS, COLS, GN_F64, vals, 0, 0, ptr32, idx32, 32};
    for (int bias = 0; bias <= 1; bias++) {
        gn_data_spec s;
        spec_for(&s, 14, bias, 0);
        gn_online *run = NULL;
        assert_int_equal(gn_online_new(&o, &s, classes, &run), GN_OK);
        assert_int_equal(gn_online_learn_matrix(run, &all, labels, NULL), GN_OK);
        double loss = 0, weight = 0;
        gn_online_loss(run, &loss, &weight);
        assert_true(weight == ROWS - 0.0 && loss > 0 && loss < ROWS);
        gn_model *m = NULL;
        assert_int_equal(gn_online_model(run, &m), GN_OK);
        double coef[COLS], intercept = -1;
        assert_int_equal(gn_model_matrix_coef(m, COLS, coef, &intercept), GN_OK);
        assert_true(bias ? intercept != 0.0 : intercept == 0.0);
        const gn_matrix *xs[3] = {&all, &csr64, &csr32};
        for (int k = 0; k < 3; k++)
            for (int raw = 0; raw <= 1; raw++) {
                double want[ROWS], got[ROWS];
                assert_int_equal(gn_model_predict_matrix(m, xs[k], raw, want, ROWS), GN_OK);
                assert_int_equal(gn_model_predict_matrix_linear(m, xs[k], coef, COLS, intercept, raw, got, ROWS), GN_OK);
                assert_memory_equal(want, got, sizeof want);
            }
        assert_int_equal(gn_model_predict_matrix_linear(m, &all, coef, COLS - 1, intercept, 0, coef, ROWS), GN_EINVAL);
        gn_model_free(m);
        gn_online_free(run);
    }
    for (int hashed = 0; hashed <= 1; hashed++) { /* 2 bits: 9 columns share 4 slots; or hashed */
        gn_data_spec s;
        spec_for(&s, hashed ? 14 : 2, 1, hashed);
        gn_online *run = NULL;
        gn_model *m = NULL;
        assert_int_equal(gn_online_new(&o, &s, classes, &run), GN_OK);
        assert_int_equal(gn_online_learn_matrix(run, &all, labels, NULL), GN_OK);
        assert_int_equal(gn_online_model(run, &m), GN_OK);
        double coef[COLS], intercept;
        assert_int_equal(gn_model_matrix_coef(m, COLS, coef, &intercept), GN_EUNSUPPORTED);
        gn_model_free(m);
        gn_online_free(run);
    }
}

/* The logistic link of the matrix loops (blocks of rows, vector instructions: the widest the CPU
 * has) gives the bits of the batch path's link, row by row, for scores across the whole range
 * (beyond +-708 too, where the vector exp does not reach), in a last partial block too; the pairs
 * are [1 - p, p]; p is within 4 ulp of the exact value; pairs need a logistic model. */
static void test_logistic_link_blocks(void **state) {
    (void)state;
    fill();
    gn_train_options o;
    gn_train_options_init(&o);
    const char *classes[2] = {"-1", "1"};
    gn_matrix all = {GN_MATRIX_DENSE, ROWS, COLS, GN_F64, dense, COLS, 1, NULL, NULL, 0};
    gn_data_spec s;
    spec_for(&s, 14, 0, 0);
    gn_online *run = NULL;
    gn_model *m = NULL;
    assert_int_equal(gn_online_new(&o, &s, classes, &run), GN_OK);
    assert_int_equal(gn_online_learn_matrix(run, &all, labels, NULL), GN_OK);
    assert_int_equal(gn_online_model(run, &m), GN_OK);
    double coef[COLS], intercept;
    assert_int_equal(gn_model_matrix_coef(m, COLS, coef, &intercept), GN_OK);
    int col = 0;
    for (int j = 1; j < COLS; j++)
        if (fabs(coef[j]) > fabs(coef[col])) col = j;
    assert_true(coef[col] != 0.0);
    enum { N = 1300 }; /* two full blocks of 512 and a partial one */
    static double vals[N], want[N], got[N], pairs[2 * N];
    static int64_t idx[N], ptr[N + 1];
    for (int i = 0; i <= N; i++) ptr[i] = i;
    for (int i = 0; i < N; i++) {
        idx[i] = col;
        vals[i] = (i - N / 2) * 1.3 / coef[col]; /* scores from about -845 to 845 */
    }
    vals[7] = 0.0;
    gn_matrix x = {GN_MATRIX_CSR, N, COLS, GN_F64, vals, 0, 0, ptr, idx, 64};
    assert_int_equal(gn_model_predict_matrix(m, &x, 0, want, N), GN_OK);
    assert_int_equal(gn_model_predict_matrix_linear(m, &x, coef, COLS, intercept, 0, got, N), GN_OK);
    assert_memory_equal(want, got, sizeof want);
    assert_int_equal(gn_model_predict_matrix_linear_pairs(m, &x, coef, COLS, intercept, pairs, 2 * N), GN_OK);
    double raw[N];
    assert_int_equal(gn_model_predict_matrix_linear(m, &x, coef, COLS, intercept, 1, raw, N), GN_OK);
    int beyond = 0;
    for (int i = 0; i < N; i++) {
        assert_true(pairs[2 * i + 1] == want[i]);
        assert_true(pairs[2 * i] == 1.0 - want[i]);
        beyond += fabs(raw[i]) > 708.0;
        const long double e = expl(-fabsl((long double)raw[i]));
        const double exact = (double)((raw[i] >= 0 ? 1.0L : e) / (1.0L + e));
        if (exact > 0.0) assert_true(fabs(want[i] - exact) <= 4.0 * (nextafter(exact, INFINITY) - exact));
        else assert_true(want[i] < 1e-300);
    }
    assert_true(beyond > 100);
    assert_int_equal(gn_model_predict_matrix_linear_pairs(m, &x, coef, COLS, intercept, pairs, 2 * N - 1), GN_EINVAL);
    gn_model_free(m);
    gn_online_free(run);
    /* a squared-loss model has no probabilities */
    o.loss = GN_LOSS_SQUARED;
    spec_for(&s, 14, 0, 0);
    assert_int_equal(gn_online_new(&o, &s, NULL, &run), GN_OK);
    assert_int_equal(gn_online_learn_matrix(run, &all, labels, NULL), GN_OK);
    assert_int_equal(gn_online_model(run, &m), GN_OK);
    assert_int_equal(gn_model_matrix_coef(m, COLS, coef, &intercept), GN_OK);
    assert_int_equal(gn_model_predict_matrix_linear_pairs(m, &x, coef, COLS, intercept, pairs, 2 * N), GN_EINVAL);
    gn_model_free(m);
    gn_online_free(run);
}

static void test_online_chunks_equal_one_call(void **state) {
    (void)state;
    fill();
    gn_train_options o;
    gn_train_options_init(&o);
    gn_data_spec s;
    spec_for(&s, 14, 1, 0);
    const char *classes[2] = {"-1", "1"};
    gn_matrix all = {GN_MATRIX_DENSE, ROWS, COLS, GN_F64, dense, COLS, 1, NULL, NULL, 0};
    gn_online *one = NULL, *chunks = NULL;
    assert_int_equal(gn_online_new(&o, &s, NULL, &one), GN_EINVAL); /* logistic needs the classes */
    assert_int_equal(gn_online_new(&o, &s, classes, &one), GN_OK);
    assert_int_equal(gn_online_new(&o, &s, classes, &chunks), GN_OK);
    assert_int_equal(gn_online_learn_matrix(one, &all, labels, NULL), GN_OK);
    for (size_t from = 0; from < ROWS; from += 7) {
        size_t n = ROWS - from < 7 ? ROWS - from : 7;
        gn_matrix part = {GN_MATRIX_DENSE, n, COLS, GN_F64, dense[from], COLS, 1, NULL, NULL, 0};
        assert_int_equal(gn_online_learn_matrix(chunks, &part, labels + from, NULL), GN_OK);
    }
    assert_int_equal(gn_online_examples(chunks), ROWS);
    gn_model *a = NULL, *b = NULL;
    assert_int_equal(gn_online_model(one, &a), GN_OK);
    assert_int_equal(gn_online_model(chunks, &b), GN_OK);
    double pa[ROWS], pb[ROWS];
    assert_int_equal(gn_model_predict_matrix(a, &all, 1, pa, ROWS), GN_OK);
    assert_int_equal(gn_model_predict_matrix(b, &all, 1, pb, ROWS), GN_OK);
    assert_memory_equal(pa, pb, sizeof pa);
    int nonzero = 0;
    for (int i = 0; i < ROWS; i++) nonzero += pa[i] != 0.0;
    assert_true(nonzero > 0);
    double bad[ROWS];
    memcpy(bad, labels, sizeof bad);
    bad[3] = 2.0;
    assert_int_equal(gn_online_learn_matrix(one, &all, bad, NULL), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "row 3"));
    gn_model_free(a);
    gn_model_free(b);
    gn_online_free(one);
    gn_online_free(chunks);
    o.optimizer = GN_OPT_LBFGS;
    assert_int_equal(gn_online_new(&o, &s, classes, &one), GN_EINVAL);
    gn_online_free(NULL);
}

/* Rows converted once (gn_online_rows) learn exactly as the arrays do, pass after pass: dense and
 * CSR (the fast path and 64-bit indices), with weights (rows of weight 0 left out); a run with
 * other bits refuses them; bad labels are refused when converting. */
static void test_online_rows_learn_as_the_arrays(void **state) {
    (void)state;
    fill();
    static int32_t ptr32[ROWS + 1], idx32[ROWS * COLS];
    static int64_t ptr64[ROWS + 1], idx64[ROWS * COLS];
    static double data[ROWS * COLS], weight[ROWS];
    size_t nnz = 0;
    for (int i = 0; i < ROWS; i++) {
        ptr32[i] = (int32_t)nnz;
        ptr64[i] = (int64_t)nnz;
        weight[i] = i % 5 == 0 ? 0.0 : 0.5 + (i % 3);
        for (int j = 0; j < COLS; j++)
            if (dense[i][j] != 0.0) {
                idx32[nnz] = idx64[nnz] = j;
                data[nnz++] = dense[i][j] / 4096.0;
            }
    }
    ptr32[ROWS] = (int32_t)nnz;
    ptr64[ROWS] = (int64_t)nnz;
    const gn_matrix ms[3] = {
        {GN_MATRIX_DENSE, ROWS, COLS, GN_F64, dense, COLS, 1, NULL, NULL, 0},
        {GN_MATRIX_CSR, ROWS, COLS, GN_F64, data, 0, 0, ptr32, idx32, 32},
        {GN_MATRIX_CSR, ROWS, COLS, GN_F64, data, 0, 0, ptr64, idx64, 64},
    };
    const char *classes[2] = {"-1", "1"};
    gn_train_options o;
    gn_train_options_init(&o);
    gn_data_spec s;
    spec_for(&s, 12, 1, 0);
    for (int k = 0; k < 3; k++)
        for (int weighted = 0; weighted <= 1; weighted++) {
            const double *w = weighted ? weight : NULL;
            gn_online *direct = NULL, *converted = NULL;
            gn_online_rows *rows = NULL;
            assert_int_equal(gn_online_new(&o, &s, classes, &direct), GN_OK);
            assert_int_equal(gn_online_new(&o, &s, classes, &converted), GN_OK);
            assert_int_equal(gn_online_rows_new(converted, &ms[k], labels, w, &rows), GN_OK);
            for (int pass = 0; pass < 3; pass++) {
                assert_int_equal(gn_online_learn_matrix(direct, &ms[k], labels, w), GN_OK);
                assert_int_equal(gn_online_learn_rows(converted, rows), GN_OK);
                double la, wa, lb, wb;
                gn_online_loss(direct, &la, &wa);
                gn_online_loss(converted, &lb, &wb);
                assert_true(la == lb && wa == wb && la > 0);
            }
            assert_int_equal(gn_online_examples(converted), gn_online_examples(direct));
            assert_int_equal(gn_online_examples(direct), 3 * (weighted ? ROWS - ROWS / 5 : ROWS));
            gn_model *a = NULL, *b = NULL;
            assert_int_equal(gn_online_model(direct, &a), GN_OK);
            assert_int_equal(gn_online_model(converted, &b), GN_OK);
            double pa[ROWS], pb[ROWS];
            assert_int_equal(gn_model_predict_matrix(a, &ms[0], 1, pa, ROWS), GN_OK);
            assert_int_equal(gn_model_predict_matrix(b, &ms[0], 1, pb, ROWS), GN_OK);
            assert_memory_equal(pa, pb, sizeof pa);
            gn_model_free(a);
            gn_model_free(b);
            gn_online_free(direct);
            gn_online_free(converted);
            gn_online_rows_free(rows);
        }
    /* rows read under one spec are refused by a run with another */
    gn_online *run = NULL, *other = NULL;
    gn_online_rows *rows = NULL;
    assert_int_equal(gn_online_new(&o, &s, classes, &run), GN_OK);
    assert_true(gn_online_rows_bytes(&ms[1]) >= (nnz + ROWS) * 8);
    assert_int_equal(gn_online_rows_new(run, &ms[1], labels, NULL, &rows), GN_OK);
    spec_for(&s, 13, 1, 0);
    assert_int_equal(gn_online_new(&o, &s, classes, &other), GN_OK);
    assert_int_equal(gn_online_learn_rows(other, rows), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "bits"));
    gn_online_free(other);
    other = NULL;
    spec_for(&s, 12, 1, 0); /* the same spec, another loss: labels read otherwise */
    o.loss = GN_LOSS_SQUARED;
    assert_int_equal(gn_online_new(&o, &s, NULL, &other), GN_OK);
    assert_int_equal(gn_online_learn_rows(other, rows), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "labels"));
    gn_online_rows_free(rows);
    rows = NULL;
    double bad[ROWS];
    memcpy(bad, labels, sizeof bad);
    bad[4] = 0.0; /* binary labels are +1 and -1 */
    assert_int_equal(gn_online_rows_new(run, &ms[1], bad, NULL, &rows), GN_EINVAL);
    assert_null(rows);
    assert_non_null(strstr(gn_last_error(), "row 4"));
    gn_online_free(run);
    gn_online_free(other);
    gn_online_rows_free(NULL);
}

/* Multiclass from a matrix (gn_online_new_classes, gn_cache_write_matrix_classes): class indices
 * as labels, the classes in the order given (not sorted), chunks learn exactly as one call, rows
 * of weight 0 train exactly as rows left out, the cache trains (one pass, one thread) the model
 * the online run makes, and bad classes and labels are refused. */
static void test_multiclass_online_and_cache(void **state) {
    (void)state;
    fill();
    gn_train_options o;
    gn_train_options_init(&o);
    o.loss = GN_LOSS_SOFTMAX;
    gn_data_spec s;
    spec_for(&s, 14, 1, 0);
    const char *classes[3] = {"zeta", "alpha", "7"};
    double y[ROWS], w[ROWS];
    size_t kept = 0;
    for (int i = 0; i < ROWS; i++) {
        y[i] = (double)((i * 7) % 3);
        w[i] = i % 9 == 4 ? 0.0 : 1.0;
        kept += w[i] != 0.0;
    }
    gn_matrix all = {GN_MATRIX_DENSE, ROWS, COLS, GN_F64, dense, COLS, 1, NULL, NULL, 0};
    gn_online *one = NULL, *chunks = NULL, *dropped = NULL;
    /* refusals: no classes, one class, a repeat, too many names for binary */
    assert_int_equal(gn_online_new_classes(&o, &s, NULL, 0, &one), GN_EINVAL);
    assert_int_equal(gn_online_new_classes(&o, &s, classes, 1, &one), GN_EINVAL);
    const char *repeat[3] = {"a", "1", "1.0"};
    assert_int_equal(gn_online_new_classes(&o, &s, repeat, 3, &one), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "repeats"));
    assert_null(one);
    assert_int_equal(gn_online_new_classes(&o, &s, classes, 3, &one), GN_OK);
    assert_int_equal(gn_online_new_classes(&o, &s, classes, 3, &chunks), GN_OK);
    assert_int_equal(gn_online_new_classes(&o, &s, classes, 3, &dropped), GN_OK);
    double bad[ROWS];
    memcpy(bad, y, sizeof bad);
    bad[4] = 3.0; /* K = 3: indices 0..2 */
    assert_int_equal(gn_online_learn_matrix(one, &all, bad, NULL), GN_EINVAL);
    assert_non_null(strstr(gn_last_error(), "row 4"));
    bad[4] = 0.5;
    assert_int_equal(gn_online_learn_matrix(one, &all, bad, NULL), GN_EINVAL);
    assert_int_equal(gn_online_examples(one), 0);
    assert_int_equal(gn_online_learn_matrix(one, &all, y, w), GN_OK);
    for (size_t from = 0; from < ROWS; from += 11) {
        size_t n = ROWS - from < 11 ? ROWS - from : 11;
        gn_matrix part = {GN_MATRIX_DENSE, n, COLS, GN_F64, dense[from], COLS, 1, NULL, NULL, 0};
        assert_int_equal(gn_online_learn_matrix(chunks, &part, y + from, w + from), GN_OK);
    }
    /* the rows of weight 0 left out */
    static double kept_rows[ROWS][COLS];
    double kept_y[ROWS];
    size_t k = 0;
    for (int i = 0; i < ROWS; i++)
        if (w[i] != 0.0) {
            memcpy(kept_rows[k], dense[i], sizeof dense[i]);
            kept_y[k++] = y[i];
        }
    gn_matrix sub = {GN_MATRIX_DENSE, k, COLS, GN_F64, kept_rows, COLS, 1, NULL, NULL, 0};
    assert_int_equal(gn_online_learn_matrix(dropped, &sub, kept_y, NULL), GN_OK);
    assert_int_equal(gn_online_examples(one), kept);
    gn_model *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    assert_int_equal(gn_online_model(one, &a), GN_OK);
    assert_int_equal(gn_online_model(chunks, &b), GN_OK);
    assert_int_equal(gn_online_model(dropped, &c), GN_OK);
    assert_int_equal(gn_model_outputs(a), 3);
    size_t nc = 0;
    assert_int_equal(gn_model_classes(a, &nc), GN_OK);
    assert_int_equal(nc, 3);
    for (size_t i = 0; i < 3; i++) assert_string_equal(gn_model_class_name(a, i), classes[i]);
    static double pa[ROWS * 3], pb[ROWS * 3], pc[ROWS * 3], pd[ROWS * 3];
    assert_int_equal(gn_model_predict_matrix(a, &all, 0, pa, ROWS * 3), GN_OK);
    assert_int_equal(gn_model_predict_matrix(b, &all, 0, pb, ROWS * 3), GN_OK);
    assert_int_equal(gn_model_predict_matrix(c, &all, 0, pc, ROWS * 3), GN_OK);
    assert_memory_equal(pa, pb, sizeof pa);
    assert_memory_equal(pa, pc, sizeof pa);
    int right = 0;
    for (int i = 0; i < ROWS; i++) {
        double sum = pa[3 * i] + pa[3 * i + 1] + pa[3 * i + 2];
        assert_true(fabs(sum - 1.0) < 1e-9);
        size_t best = 0;
        for (size_t j = 1; j < 3; j++)
            if (pa[3 * i + j] > pa[3 * i + best]) best = j;
        right += (double)best == y[i];
    }
    assert_true(right > ROWS / 3); /* learned something: better than one class's share */

    /* the cache of the same rows: gn_train with one pass on one thread makes the same model */
    char cache[] = "/tmp/gn_test_mc_cacheXXXXXX";
    int fd = mkstemp(cache);
    assert_true(fd >= 0);
    close(fd);
    gn_data_spec cs;
    spec_for(&cs, 14, 1, 0);
    cs.label_kind = GN_LABEL_CLASS;
    assert_int_equal(gn_cache_write_matrix(cache, &cs, &all, y, w, classes), GN_EINVAL); /* K unknown */
    assert_int_equal(gn_cache_write_matrix_classes(cache, &cs, &all, bad, w, classes, 3), GN_EINVAL);
    assert_int_equal(gn_cache_write_matrix_classes(cache, &cs, &all, y, w, classes, 3), GN_OK);
    gn_train_options to = o;
    to.passes = 1;
    to.threads = 1;
    to.cache_path = cache;
    gn_data_spec ts;
    gn_data_spec_init(&ts);
    gn_train_summary sum;
    assert_int_equal(gn_train(&to, &ts, NULL, 0, NULL, NULL, &d, &sum), GN_OK);
    assert_int_equal(sum.examples, kept);
    for (size_t i = 0; i < 3; i++) assert_string_equal(gn_model_class_name(d, i), classes[i]);
    assert_int_equal(gn_model_predict_matrix(d, &all, 0, pd, ROWS * 3), GN_OK);
    assert_memory_equal(pa, pd, sizeof pa);
    unlink(cache);
    gn_model_free(a);
    gn_model_free(b);
    gn_model_free(c);
    gn_model_free(d);
    gn_online_free(one);
    gn_online_free(chunks);
    gn_online_free(dropped);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_read_as_the_parser_reads_lines),
        cmocka_unit_test(test_bad_matrices_and_values),
        cmocka_unit_test(test_multiclass_online_and_cache),
        cmocka_unit_test(test_cache_trains_alone_and_predicts_as_lines),
        cmocka_unit_test(test_online_chunks_equal_one_call),
        cmocka_unit_test(test_online_rows_learn_as_the_arrays),
        cmocka_unit_test(test_linear_form_predicts_as_batches),
        cmocka_unit_test(test_logistic_link_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
