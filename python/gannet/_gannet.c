/* python/gannet/_gannet.c: the CPython extension over libgannet (gannet/gannet.h), compiled together
 * with the library's sources (python/setup.py). It owns the crossing between Python objects and
 * the C calls: options by name (the parameter table), arrays read in place through the buffer
 * protocol (no numpy C API: any 2-D strided buffer of float32/float64, or CSR as three 1-D
 * buffers), the model handle, status -> exception, and the GIL, which is released around every
 * call that trains, predicts, loads or saves. The estimators are in Python (gannet/_estimators.py). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/gannet.h"

/* ---- errors ------------------------------------------------------------------------------------ */

/* Raises the exception a status calls for, with the library's message. Returns NULL. */
static PyObject *raise_status(gn_status st) {
    const char *msg = gn_last_error();
    if (!msg || !msg[0]) msg = gn_status_name(st);
    PyObject *type = PyExc_ValueError; /* bad parameters and bad data */
    switch (st) {
    case GN_EIO: case GN_EFORMAT: case GN_ECHECKSUM: case GN_EVERSION: case GN_ESTALE: type = PyExc_OSError; break;
    case GN_ENOMEM: type = PyExc_MemoryError; break;
    case GN_EUNSUPPORTED: type = PyExc_NotImplementedError; break;
    case GN_EINTERNAL: case GN_EMPI: type = PyExc_RuntimeError; break;
    case GN_ECANCELED: type = PyExc_KeyboardInterrupt; break;
    default: break;
    }
    PyErr_SetString(type, msg);
    return NULL;
}

/* ---- the model handle -------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    gn_model *model;
    /* a linear model's form over matrix columns (gn_model_matrix_coef), made on the first
     * prediction from a matrix with that many columns and kept (the model is immutable); linear
     * 0 once the model proved not linear */
    double *coef;
    size_t coef_cols;
    double intercept;
    int linear;
} ModelObject;

static PyTypeObject ModelType;

static PyObject *wrap_model(gn_model *m) {
    ModelObject *o = PyObject_New(ModelObject, &ModelType);
    if (!o) {
        gn_model_free(m);
        return NULL;
    }
    o->model = m;
    o->coef = NULL;
    o->coef_cols = 0;
    o->intercept = 0.0;
    o->linear = 1;
    return (PyObject *)o;
}

static void model_dealloc(ModelObject *self) {
    gn_model_free(self->model);
    free(self->coef);
    PyObject_Free(self);
}

static PyObject *model_save(ModelObject *self, PyObject *args) {
    PyObject *path_obj;
    if (!PyArg_ParseTuple(args, "O&:save", PyUnicode_FSConverter, &path_obj)) return NULL;
    gn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = gn_model_save(self->model, PyBytes_AS_STRING(path_obj));
    Py_END_ALLOW_THREADS
    Py_DECREF(path_obj);
    if (st != GN_OK) return raise_status(st);
    Py_RETURN_NONE;
}

/* ---- matrices through the buffer protocol ------------------------------------------------------ */

typedef struct {
    gn_matrix m;
    Py_buffer views[3];
    int nviews;
} matrix_arg;

static void matrix_release(matrix_arg *a) {
    for (int i = 0; i < a->nviews; i++) PyBuffer_Release(&a->views[i]);
    a->nviews = 0;
}

/* The element type of a buffer format: 'd', 'f', 'i' (int32), 'q' (int64), or 0. */
static char format_kind(const Py_buffer *v) {
    const char *f = v->format ? v->format : "B";
    if (*f == '<' || *f == '=' || *f == '@') f++;
    if (f[0] && f[1]) return 0;
    switch (f[0]) {
    case 'd': return v->itemsize == 8 ? 'd' : 0;
    case 'f': return v->itemsize == 4 ? 'f' : 0;
    case 'i': case 'l': case 'q':
        return v->itemsize == 4 ? 'i' : v->itemsize == 8 ? 'q' : 0;
    default: return 0;
    }
}

/* A dense 2-D array (any strides), or ("csr", indptr, indices, data, n_cols) with 1-D contiguous
 * parts. The caller releases with matrix_release. */
static int matrix_from(PyObject *obj, matrix_arg *a) {
    memset(a, 0, sizeof *a);
    if (PyTuple_Check(obj)) {
        PyObject *indptr, *indices, *data;
        const char *tag;
        Py_ssize_t cols;
        if (!PyArg_ParseTuple(obj, "sOOOn:matrix", &tag, &indptr, &indices, &data, &cols)) return -1;
        if (strcmp(tag, "csr") != 0 || cols < 0) {
            PyErr_SetString(PyExc_ValueError, "matrix: expected ('csr', indptr, indices, data, n_cols)");
            return -1;
        }
        PyObject *parts[3] = {indptr, indices, data};
        for (int i = 0; i < 3; i++) {
            if (PyObject_GetBuffer(parts[i], &a->views[i], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
                matrix_release(a);
                return -1;
            }
            a->nviews++;
        }
        char ki = format_kind(&a->views[0]), kj = format_kind(&a->views[1]), kd = format_kind(&a->views[2]);
        if (ki != kj || (ki != 'i' && ki != 'q') || (kd != 'd' && kd != 'f')) {
            PyErr_SetString(PyExc_ValueError, "matrix: CSR indptr and indices must both be int32 or both int64, "
                                              "data float32 or float64");
            matrix_release(a);
            return -1;
        }
        Py_ssize_t nptr = a->views[0].len / a->views[0].itemsize;
        Py_ssize_t nnz = a->views[1].len / a->views[1].itemsize;
        if (nptr < 1 || a->views[2].len / a->views[2].itemsize != nnz) {
            PyErr_SetString(PyExc_ValueError, "matrix: CSR indptr is empty or indices and data differ in length");
            matrix_release(a);
            return -1;
        }
        a->m.layout = GN_MATRIX_CSR;
        a->m.rows = (size_t)nptr - 1;
        a->m.cols = (size_t)cols;
        a->m.dtype = kd == 'd' ? GN_F64 : GN_F32;
        a->m.values = a->views[2].buf;
        a->m.indptr = a->views[0].buf;
        a->m.indices = a->views[1].buf;
        a->m.index_bits = ki == 'i' ? 32 : 64;
        /* the last offset must not pass the nonzeros held */
        int64_t last = ki == 'i' ? ((const int32_t *)a->m.indptr)[a->m.rows] : ((const int64_t *)a->m.indptr)[a->m.rows];
        if (last > nnz) {
            PyErr_SetString(PyExc_ValueError, "matrix: CSR indptr points past the end of indices");
            matrix_release(a);
            return -1;
        }
        return 0;
    }
    if (PyObject_GetBuffer(obj, &a->views[0], PyBUF_STRIDES | PyBUF_FORMAT) != 0) return -1;
    a->nviews = 1;
    Py_buffer *v = &a->views[0];
    char k = format_kind(v);
    if (v->ndim != 2 || (k != 'd' && k != 'f') || v->strides[0] % v->itemsize || v->strides[1] % v->itemsize) {
        PyErr_SetString(PyExc_ValueError, "matrix: expected a 2-D float32 or float64 array");
        matrix_release(a);
        return -1;
    }
    a->m.layout = GN_MATRIX_DENSE;
    a->m.rows = (size_t)v->shape[0];
    a->m.cols = (size_t)v->shape[1];
    a->m.dtype = k == 'd' ? GN_F64 : GN_F32;
    a->m.values = v->buf;
    a->m.row_stride = v->strides[0] / v->itemsize;
    a->m.col_stride = v->strides[1] / v->itemsize;
    return 0;
}

/* A contiguous float64 vector of n numbers (or None when allow_none: view->buf NULL). */
static int vector_from(PyObject *obj, size_t n, const char *what, int writable, Py_buffer *view) {
    memset(view, 0, sizeof *view);
    if (obj == Py_None) return 0;
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) != 0) return -1;
    if (format_kind(view) != 'd' || (size_t)(view->len / 8) < n) {
        PyErr_Format(PyExc_ValueError, "%s: expected a float64 vector of %zu numbers", what, n);
        PyBuffer_Release(view);
        view->buf = NULL;
        return -1;
    }
    return 0;
}

/* The linear form of a model over cols columns into a new *coef (gn_model_matrix_coef): 0, -1 if
 * the model is not linear in its columns (or reads no LIBSVM input), -2 out of memory, -3 if the
 * matrix is too wide for a vector of its columns (the batch path then: no memory per column). */
#define LINEAR_FORM_MAX_COLS ((size_t)1 << 24)
static int linear_form(const gn_model *model, size_t cols, double **coef, double *intercept) {
    if (cols > LINEAR_FORM_MAX_COLS) return -3;
    double *c = malloc((cols ? cols : 1) * sizeof *c);
    if (!c) return -2;
    gn_status st = gn_model_matrix_coef(model, cols, c, intercept);
    if (st != GN_OK) {
        free(c);
        return st == GN_ENOMEM ? -2 : -1;
    }
    *coef = c;
    return 0;
}

/* model.predict(X, out, raw, batch, pairs): fills the float64 vector out (rows * outputs). With
 * pairs (a model of one output, not raw), out holds 2 * rows numbers: row r's [1 - p, p], as
 * scikit-learn's predict_proba gives a binary model's (made here, in place: no second array). */
static PyObject *model_predict(ModelObject *self, PyObject *args) {
    PyObject *x_obj, *out_obj;
    int raw = 0, batch = 0, pairs = 0;
    if (!PyArg_ParseTuple(args, "OO|ppp:predict", &x_obj, &out_obj, &raw, &batch, &pairs)) return NULL;
    if (pairs && (raw || gn_model_outputs(self->model) != 1)) {
        PyErr_SetString(PyExc_ValueError, "predict: pairs need probabilities of a model with one output");
        return NULL;
    }
    matrix_arg a;
    if (matrix_from(x_obj, &a) != 0) return NULL;
    Py_buffer out;
    size_t need = a.m.rows * (pairs ? 2 : gn_model_outputs(self->model));
    if (vector_from(out_obj, need, "out", 1, &out) != 0 || !out.buf) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "out: required");
        matrix_release(&a);
        return NULL;
    }
    /* linear models: the column form (O(columns), under the GIL), kept for the first column
     * count seen and made afresh for a call with another (the kept one is never replaced, as
     * another thread may be predicting with it); then a matrix-vector product, same numbers */
    double *tmp = NULL, intercept = 0.0;
    const double *coef = NULL;
    if (!batch && self->linear && !self->coef) { /* batch: the caller asks for the batch path (tests) */
        int r = linear_form(self->model, a.m.cols, &self->coef, &self->intercept);
        if (r == 0) self->coef_cols = a.m.cols;
        else if (r == -1) self->linear = 0; /* not linear in its columns: the batch path */
        else if (r == -2) goto nomem;
    }
    if (!batch && self->linear) {
        if (self->coef && self->coef_cols == a.m.cols) {
            coef = self->coef;
            intercept = self->intercept;
        } else if (linear_form(self->model, a.m.cols, &tmp, &intercept) == -2) {
            goto nomem;
        } else {
            coef = tmp;
        }
    }
    gn_status st;
    const int logistic = gn_model_get_loss(self->model) == GN_LOSS_LOGISTIC;
    Py_BEGIN_ALLOW_THREADS
    if (coef && pairs && logistic) /* [1 - p, p] written by the scoring loop itself */
        st = gn_model_predict_matrix_linear_pairs(self->model, &a.m, coef, a.m.cols, intercept, out.buf,
                                                  (size_t)(out.len / 8));
    else if (coef)
        st = gn_model_predict_matrix_linear(self->model, &a.m, coef, a.m.cols, intercept, raw, out.buf,
                                            (size_t)(out.len / 8));
    else
        st = gn_model_predict_matrix(self->model, &a.m, raw, out.buf, (size_t)(out.len / 8));
    if (st == GN_OK && pairs && !(coef && logistic)) { /* p of row r is at r: from the last row back, [1 - p, p] at 2r */
        double *o = out.buf;
        for (size_t r = a.m.rows; r-- > 0;) {
            const double p = o[r];
            o[2 * r + 1] = p;
            o[2 * r] = 1.0 - p;
        }
    }
    Py_END_ALLOW_THREADS
    free(tmp);
    PyBuffer_Release(&out);
    matrix_release(&a);
    if (st != GN_OK) return raise_status(st);
    Py_RETURN_NONE;
nomem:
    PyBuffer_Release(&out);
    matrix_release(&a);
    return PyErr_NoMemory();
}

/* model.linear_form(out): the weights of the columns into the float64 vector out (its length is
 * the column count) and returns the intercept; None when the model is not linear in its columns
 * (another kind, hashed or shared slots: gn_model_matrix_coef). */
static PyObject *model_linear_form(ModelObject *self, PyObject *args) {
    PyObject *out_obj;
    if (!PyArg_ParseTuple(args, "O:linear_form", &out_obj)) return NULL;
    Py_buffer out;
    if (vector_from(out_obj, 0, "out", 1, &out) != 0) return NULL;
    if (!out.buf) {
        PyErr_SetString(PyExc_ValueError, "out: required");
        return NULL;
    }
    double intercept = 0.0;
    gn_status st = gn_model_matrix_coef(self->model, (size_t)(out.len / 8), out.buf, &intercept);
    PyBuffer_Release(&out);
    if (st == GN_EUNSUPPORTED) Py_RETURN_NONE;
    if (st != GN_OK) return raise_status(st);
    return PyFloat_FromDouble(intercept);
}

/* model.predict_columns(names, columns, out): a table's rows by column name, as the CSV reader
 * reads them (gn_model_predict_named, the server's path): columns[c] is a float64 vector (a
 * numeric column; NaN = missing) or a list of str or None (None = missing; "" and the missing-value
 * tokens are missing as in a CSV file). One output per row into out. */
static PyObject *model_predict_columns(ModelObject *self, PyObject *args) {
    PyObject *names_obj, *cols_obj, *out_obj;
    if (!PyArg_ParseTuple(args, "O!O!O:predict_columns", &PyList_Type, &names_obj, &PyList_Type, &cols_obj, &out_obj))
        return NULL;
    Py_ssize_t nc = PyList_GET_SIZE(names_obj);
    if (PyList_GET_SIZE(cols_obj) != nc) {
        PyErr_SetString(PyExc_ValueError, "predict_columns: as many names as columns");
        return NULL;
    }
    if (gn_model_outputs(self->model) != 1) {
        PyErr_SetString(PyExc_NotImplementedError, "predict_columns: models with one output per row only");
        return NULL;
    }
    const char **names = calloc((size_t)nc + 1, sizeof *names), **strs = calloc((size_t)nc + 1, sizeof *strs);
    const char **row_names = calloc((size_t)nc + 1, sizeof *row_names);
    double *values = calloc((size_t)nc + 1, sizeof *values);
    Py_buffer *num = calloc((size_t)nc + 1, sizeof *num);
    Py_buffer out;
    memset(&out, 0, sizeof out);
    PyObject *result = NULL;
    Py_ssize_t rows = -1;
    if (!names || !strs || !row_names || !values || !num) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t c = 0; c < nc; c++) {
        names[c] = PyUnicode_AsUTF8(PyList_GET_ITEM(names_obj, c));
        if (!names[c]) goto done;
        PyObject *col = PyList_GET_ITEM(cols_obj, c);
        Py_ssize_t n;
        if (PyList_Check(col)) {
            n = PyList_GET_SIZE(col);
        } else {
            if (vector_from(col, 0, "column", 0, &num[c]) != 0) goto done;
            n = num[c].len / 8;
        }
        if (rows >= 0 && n != rows) {
            PyErr_SetString(PyExc_ValueError, "predict_columns: columns differ in length");
            goto done;
        }
        rows = n;
    }
    if (rows < 0) rows = 0;
    if (vector_from(out_obj, (size_t)rows, "out", 1, &out) != 0) goto done;
    for (Py_ssize_t r = 0; r < rows; r++) {
        size_t k = 0;
        for (Py_ssize_t c = 0; c < nc; c++) {
            PyObject *col = PyList_GET_ITEM(cols_obj, c);
            if (!PyList_Check(col)) {
                double v = ((const double *)num[c].buf)[r];
                if (v != v) continue; /* NaN: missing */
                row_names[k] = names[c];
                values[k] = v;
                strs[k++] = NULL;
                continue;
            }
            PyObject *item = PyList_GET_ITEM(col, r);
            if (item == Py_None) continue;
            const char *text = PyUnicode_AsUTF8(item);
            if (!text) goto done;
            row_names[k] = names[c];
            values[k] = 0.0;
            strs[k++] = text;
        }
        gn_status st = gn_model_predict_named(self->model, k, row_names, values, strs, (double *)out.buf + r);
        if (st != GN_OK) {
            raise_status(st);
            goto done;
        }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    if (out.buf) PyBuffer_Release(&out);
    for (Py_ssize_t c = 0; num && c < nc; c++)
        if (num[c].buf) PyBuffer_Release(&num[c]);
    free(names);
    free(strs);
    free(row_names);
    free(values);
    free(num);
    return result;
}

/* ---- kind mf: predictions by id and recommendations (gannet/recommend.h) ----------------------- */

/* A str's UTF-8 text (borrowed from the str, which the caller keeps alive), NULL with an
 * exception set when it is not a str or holds a NUL (ids are NUL-terminated in the library). */
static const char *id_text(PyObject *s, const char *what) {
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "%s: expected str ids, got %.80s", what, Py_TYPE(s)->tp_name);
        return NULL;
    }
    Py_ssize_t len;
    const char *t = PyUnicode_AsUTF8AndSize(s, &len);
    if (t && strlen(t) != (size_t)len) {
        PyErr_Format(PyExc_ValueError, "%s: an id holds a NUL character", what);
        return NULL;
    }
    return t;
}

/* The texts of a list of str (borrowed from the list's items) in a new array; NULL with an
 * exception set. An empty list gives a valid array of one slot. */
static const char **id_texts(PyObject *list, const char *what, size_t *n) {
    if (!PyList_Check(list)) {
        PyErr_Format(PyExc_TypeError, "%s: expected a list of str", what);
        return NULL;
    }
    *n = (size_t)PyList_GET_SIZE(list);
    const char **out = malloc((*n ? *n : 1) * sizeof *out);
    if (!out) {
        PyErr_NoMemory();
        return NULL;
    }
    for (size_t i = 0; i < *n; i++)
        if (!(out[i] = id_text(PyList_GET_ITEM(list, (Py_ssize_t)i), what))) {
            free(out);
            return NULL;
        }
    return out;
}

/* model.mf_predict(users, items, out): gn_model_mf_predict for each (users[i], items[i]) (lists
 * of str) into the float64 vector out, with the GIL released. */
static PyObject *model_mf_predict(ModelObject *self, PyObject *args) {
    PyObject *users_obj, *items_obj, *out_obj;
    if (!PyArg_ParseTuple(args, "O!O!O:mf_predict", &PyList_Type, &users_obj, &PyList_Type, &items_obj, &out_obj))
        return NULL;
    size_t nu = 0, ni = 0;
    const char **users = id_texts(users_obj, "users", &nu);
    const char **items = users ? id_texts(items_obj, "items", &ni) : NULL;
    PyObject *result = NULL;
    Py_buffer out;
    memset(&out, 0, sizeof out);
    if (!users || !items) goto done;
    if (nu != ni) {
        PyErr_SetString(PyExc_ValueError, "mf_predict: as many users as items");
        goto done;
    }
    if (vector_from(out_obj, nu, "out", 1, &out) != 0) goto done;
    if (!out.buf) {
        PyErr_SetString(PyExc_ValueError, "out: required");
        goto done;
    }
    gn_status st = GN_OK;
    Py_BEGIN_ALLOW_THREADS
    for (size_t i = 0; i < nu && st == GN_OK; i++) st = gn_model_mf_predict(self->model, users[i], items[i], (double *)out.buf + i);
    Py_END_ALLOW_THREADS
    if (st != GN_OK) {
        raise_status(st);
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    if (out.buf) PyBuffer_Release(&out);
    free(users);
    free(items);
    return result;
}

/* model.recommend(user, k, exclude_seen, exclude, candidates) -> [(item, score), ...], best first
 * (gn_model_recommend with the GIL released); exclude and candidates: lists of str or None. */
static PyObject *model_recommend(ModelObject *self, PyObject *args) {
    PyObject *user_obj, *exclude_obj, *cand_obj;
    Py_ssize_t k;
    int exclude_seen;
    if (!PyArg_ParseTuple(args, "OnpOO:recommend", &user_obj, &k, &exclude_seen, &exclude_obj, &cand_obj)) return NULL;
    if (k < 0) return PyErr_Format(PyExc_ValueError, "k: expected a count >= 0, got %zd", k);
    gn_mf_info info;
    gn_status st = gn_model_mf_info(self->model, &info);
    if (st != GN_OK) return raise_status(st);
    const char *user = id_text(user_obj, "user");
    if (!user) return NULL;
    gn_recommend_options o;
    gn_recommend_options_init(&o);
    o.exclude_seen = exclude_seen;
    const char **exclude = NULL, **cand = NULL;
    gn_recommend_item *out = NULL;
    PyObject *result = NULL;
    if (exclude_obj != Py_None) {
        if (!(exclude = id_texts(exclude_obj, "exclude", &o.nexclude))) goto done;
        o.exclude = exclude;
    }
    if (cand_obj != Py_None) {
        if (!(cand = id_texts(cand_obj, "candidates", &o.ncandidates))) goto done;
        o.candidates = cand;
    }
    size_t want = (size_t)k < info.items ? (size_t)k : info.items, n = 0;
    if (!(out = malloc((want ? want : 1) * sizeof *out))) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    st = want ? gn_model_recommend(self->model, user, want, &o, out, &n) : GN_OK;
    Py_END_ALLOW_THREADS
    if (st != GN_OK) {
        raise_status(st);
        goto done;
    }
    result = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; result && i < n; i++) {
        PyObject *t = Py_BuildValue("(Nd)", PyUnicode_DecodeUTF8(out[i].item, (Py_ssize_t)strlen(out[i].item),
                                                                 "surrogateescape"), out[i].score);
        if (!t) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, (Py_ssize_t)i, t);
    }
done:
    free(exclude);
    free(cand);
    free(out);
    return result;
}

/* model.mf_info() -> dict (gn_model_mf_info): rank, users, items, interactions, implicit, mean. */
static PyObject *model_mf_info(ModelObject *self, PyObject *unused) {
    gn_mf_info info;
    gn_status st = gn_model_mf_info(self->model, &info);
    if (st != GN_OK) return raise_status(st);
    return Py_BuildValue("{s:I,s:I,s:I,s:K,s:O,s:d}", "rank", info.rank, "users", info.users, "items", info.items,
                         "interactions", (unsigned long long)info.interactions, "implicit",
                         info.implicit ? Py_True : Py_False, "mean", info.mean);
}

/* model.mf_has(user, item): (known user, known item); either may be None. */
static PyObject *model_mf_has(ModelObject *self, PyObject *args) {
    PyObject *u, *i;
    if (!PyArg_ParseTuple(args, "OO:mf_has", &u, &i)) return NULL;
    const char *ut = u == Py_None ? NULL : id_text(u, "user"), *it = i == Py_None ? NULL : id_text(i, "item");
    if ((u != Py_None && !ut) || (i != Py_None && !it)) return NULL;
    return Py_BuildValue("(OO)", ut && gn_model_mf_has_user(self->model, ut) ? Py_True : Py_False,
                         it && gn_model_mf_has_item(self->model, it) ? Py_True : Py_False);
}

/* model.predict_files(paths, out_path, classes): `gannet predict` over files; returns the count. */
static PyObject *model_predict_files(ModelObject *self, PyObject *args);

static PyObject *model_classes(ModelObject *self, PyObject *unused) {
    size_t n = 0;
    gn_status st = gn_model_classes(self->model, &n);
    if (st != GN_OK) return raise_status(st);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *s = PyUnicode_FromString(gn_model_class_name(self->model, i));
        if (!s) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, s);
    }
    return list;
}

/* model.weights(): the nonzero weights as a list of (slot, value), strongest first. */
static PyObject *model_weights(ModelObject *self, PyObject *unused) {
    size_t k = gn_model_nonzero(self->model), n = 0;
    uint32_t *slots = malloc((k ? k : 1) * sizeof *slots);
    float *values = malloc((k ? k : 1) * sizeof *values);
    if (!slots || !values) {
        free(slots);
        free(values);
        return PyErr_NoMemory();
    }
    gn_status st = gn_model_top_weights(self->model, k, slots, values, &n);
    PyObject *list = st == GN_OK ? PyList_New((Py_ssize_t)n) : NULL;
    for (size_t i = 0; list && i < n; i++) {
        PyObject *t = Py_BuildValue("(kd)", (unsigned long)slots[i], (double)values[i]);
        if (!t) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    free(slots);
    free(values);
    if (st != GN_OK) return raise_status(st);
    return list;
}

/* model.spec(): the data parameters the model reads its input with, name -> text. */
static PyObject *model_spec(ModelObject *self, PyObject *unused) {
    PyObject *d = PyDict_New();
    const gn_data_spec *spec = gn_model_get_spec(self->model);
    char buf[2048];
    for (size_t i = 0; d && i < gn_param_count(); i++) {
        const gn_param_info *p = gn_param_at(i);
        if (p->group != GN_PARAM_DATA) continue;
        if (gn_param_get(NULL, spec, p->name, buf, sizeof buf) != GN_OK) continue;
        PyObject *v = PyUnicode_DecodeUTF8(buf, (Py_ssize_t)strlen(buf), "replace");
        if (!v || PyDict_SetItemString(d, p->name, v) != 0) Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

static PyObject *model_get_metadata(ModelObject *self, void *unused) {
    return PyUnicode_FromString(gn_model_metadata_json(self->model));
}
static PyObject *model_get_version(ModelObject *self, void *unused) {
    return PyUnicode_FromString(gn_model_version(self->model));
}
static PyObject *model_get_kind(ModelObject *self, void *unused) {
    return PyUnicode_FromString(gn_model_kind_name(gn_model_get_kind(self->model)));
}
static PyObject *model_get_loss(ModelObject *self, void *unused) {
    return PyUnicode_FromString(gn_loss_name(gn_model_get_loss(self->model)));
}
static PyObject *model_get_bits(ModelObject *self, void *unused) {
    return PyLong_FromUnsignedLong(gn_model_get_bits(self->model));
}
static PyObject *model_get_outputs(ModelObject *self, void *unused) {
    return PyLong_FromSize_t(gn_model_outputs(self->model));
}
static PyObject *model_get_nonzero(ModelObject *self, void *unused) {
    return PyLong_FromSize_t(gn_model_nonzero(self->model));
}

static PyMethodDef model_methods[] = {
    {"save", (PyCFunction)model_save, METH_VARARGS, "save(path): writes the model file atomically"},
    {"predict", (PyCFunction)model_predict, METH_VARARGS,
     "predict(X, out, raw=False, batch=False): predictions (or raw scores) of the rows of X into the float64 vector "
     "out; linear models through their column form unless batch (the hashed batches of other kinds)"},
    {"predict_files", (PyCFunction)model_predict_files, METH_VARARGS,
     "predict_files(paths, out_path, classes=False): `gannet predict` over files into out_path; returns the count"},
    {"predict_columns", (PyCFunction)model_predict_columns, METH_VARARGS,
     "predict_columns(names, columns, out): rows of a table by column name, as the CSV reader reads them"},
    {"linear_form", (PyCFunction)model_linear_form, METH_VARARGS,
     "linear_form(out): column weights into the float64 vector out; the intercept, or None if not linear in columns"},
    {"classes", (PyCFunction)model_classes, METH_NOARGS, "classes(): the class names (binary: negative, positive)"},
    {"weights", (PyCFunction)model_weights, METH_NOARGS, "weights(): nonzero weights as (slot, value) pairs"},
    {"spec", (PyCFunction)model_spec, METH_NOARGS, "spec(): the data parameters of the model's input"},
    {"mf_predict", (PyCFunction)model_mf_predict, METH_VARARGS,
     "mf_predict(users, items, out): kind mf's prediction of each (user, item) pair into the float64 vector out"},
    {"recommend", (PyCFunction)model_recommend, METH_VARARGS,
     "recommend(user, k, exclude_seen, exclude, candidates) -> [(item, score), ...] (kind mf), best first"},
    {"mf_info", (PyCFunction)model_mf_info, METH_NOARGS, "mf_info() -> dict: rank, users, items, interactions, ..."},
    {"mf_has", (PyCFunction)model_mf_has, METH_VARARGS, "mf_has(user, item) -> (bool, bool): ids the model knows"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef model_getset[] = {
    {"metadata", (getter)model_get_metadata, NULL, "metadata as JSON text (what `gannet inspect` shows)", NULL},
    {"version", (getter)model_get_version, NULL, "content identifier (16 hex digits)", NULL},
    {"kind", (getter)model_get_kind, NULL, "model kind", NULL},
    {"loss", (getter)model_get_loss, NULL, "loss", NULL},
    {"bits", (getter)model_get_bits, NULL, "hash bits", NULL},
    {"outputs", (getter)model_get_outputs, NULL, "numbers predicted per row", NULL},
    {"nonzero", (getter)model_get_nonzero, NULL, "nonzero weights", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject ModelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "gannet._gannet.Model",
    .tp_basicsize = sizeof(ModelObject),
    .tp_dealloc = (destructor)model_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A trained gannet model (immutable; thread-safe prediction).",
    .tp_methods = model_methods,
    .tp_getset = model_getset,
};

/* ---- paths and options ------------------------------------------------------------------------- */

typedef struct {
    PyObject **objs; /* bytes from PyUnicode_FSConverter */
    const char **paths;
    size_t n;
} path_list;

static void paths_free(path_list *pl) {
    for (size_t i = 0; i < pl->n; i++) Py_XDECREF(pl->objs[i]);
    free(pl->objs);
    free(pl->paths);
    memset(pl, 0, sizeof *pl);
}

static int paths_from(PyObject *seq_obj, path_list *pl) {
    memset(pl, 0, sizeof *pl);
    if (seq_obj == Py_None) return 0;
    PyObject *seq = PySequence_Fast(seq_obj, "paths: expected a list of paths");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    pl->objs = calloc((size_t)n + 1, sizeof *pl->objs);
    pl->paths = calloc((size_t)n + 1, sizeof *pl->paths);
    if (!pl->objs || !pl->paths) {
        Py_DECREF(seq);
        paths_free(pl);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyUnicode_FSConverter(PySequence_Fast_GET_ITEM(seq, i), &pl->objs[i])) {
            Py_DECREF(seq);
            paths_free(pl);
            return -1;
        }
        pl->n++;
        pl->paths[i] = PyBytes_AS_STRING(pl->objs[i]);
    }
    Py_DECREF(seq);
    return 0;
}

static PyObject *model_predict_files(ModelObject *self, PyObject *args) {
    PyObject *paths_obj, *out_obj;
    int classes = 0;
    if (!PyArg_ParseTuple(args, "OO&|p:predict_files", &paths_obj, PyUnicode_FSConverter, &out_obj, &classes))
        return NULL;
    path_list pl;
    if (paths_from(paths_obj, &pl) != 0) {
        Py_DECREF(out_obj);
        return NULL;
    }
    uint64_t predicted = 0, skipped = 0;
    gn_status st = GN_OK;
    int open_errno = 0;
    Py_BEGIN_ALLOW_THREADS
    FILE *f = fopen(PyBytes_AS_STRING(out_obj), "w");
    if (!f) {
        open_errno = errno;
    } else {
        st = gn_predict_files_as(self->model, pl.paths, pl.n, 0, classes ? GN_PREDICT_CLASS : GN_PREDICT_PROB, f,
                                 &predicted, &skipped);
        if (fclose(f) != 0 && st == GN_OK) open_errno = errno;
    }
    Py_END_ALLOW_THREADS
    paths_free(&pl);
    if (open_errno) {
        errno = open_errno;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, out_obj);
        Py_DECREF(out_obj);
        return NULL;
    }
    Py_DECREF(out_obj);
    if (st != GN_OK) return raise_status(st);
    return PyLong_FromUnsignedLongLong(predicted);
}

/* Options from a dict name -> text (values borrowed from the dict, which outlives the options). */
static int options_from(PyObject *params, gn_train_options *o, gn_data_spec *spec) {
    gn_train_options_init(o);
    gn_data_spec_init(spec);
    if (params == Py_None) return 0;
    if (!PyDict_Check(params)) {
        PyErr_SetString(PyExc_TypeError, "params: expected a dict of name -> text");
        return -1;
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(params, &pos, &key, &value)) {
        const char *k = PyUnicode_AsUTF8(key), *v = PyUnicode_AsUTF8(value);
        if (!k || !v) return -1;
        gn_status st = gn_param_set(o, spec, k, v);
        if (st != GN_OK) {
            raise_status(st);
            return -1;
        }
    }
    return 0;
}

static PyObject *summary_dict(const gn_train_summary *s) {
    return Py_BuildValue("{s:K,s:K,s:I,s:d,s:d,s:d,s:d,s:I,s:I,s:O}", "examples", (unsigned long long)s->examples,
                         "skipped", (unsigned long long)s->skipped, "passes", s->passes, "seconds", s->seconds,
                         "progressive_loss", s->progressive_loss, "holdout_loss", s->holdout_loss, "objective",
                         s->objective, "iterations", s->iterations, "best_pass", s->best_pass, "auto_passes",
                         s->auto_passes ? Py_True : Py_False);
}

/* Ctrl-C during training: the library calls the progress callback on the calling thread (its
 * first worker, about every 0.5 s, and at pass ends / solver iterations). The callback takes the
 * GIL, runs Python's pending signal handlers (PyErr_CheckSignals: a SIGINT becomes
 * KeyboardInterrupt) and, when one raised, keeps the exception and sets the stop flag the library
 * reads on that thread; gn_train then returns GN_ECANCELED and the exception is raised. */
typedef struct {
    volatile int stop;
    PyObject *type, *value, *tb; /* the exception a signal handler raised */
} train_ctx;

static void on_progress(const gn_progress *p, void *user) {
    train_ctx *c = user;
    PyGILState_STATE g = PyGILState_Ensure();
    if (!c->stop && PyErr_CheckSignals() != 0) {
        PyErr_Fetch(&c->type, &c->value, &c->tb);
        c->stop = 1;
    }
    PyGILState_Release(g);
}

/* What a training call returns to Python: (Model, summary dict); or the exception a signal
 * handler raised during it (KeyboardInterrupt: that is the error), or the library's error. m is
 * owned (freed on every error path). */
static PyObject *train_result(gn_status st, gn_model *m, const gn_train_summary *sum, train_ctx *ctx) {
    if (ctx->type) {
        gn_model_free(m);
        PyErr_Restore(ctx->type, ctx->value, ctx->tb);
        return NULL;
    }
    if (st != GN_OK) return raise_status(st);
    PyObject *model = wrap_model(m);
    if (!model) return NULL;
    PyObject *sd = summary_dict(sum);
    if (!sd) {
        Py_DECREF(model);
        return NULL;
    }
    return Py_BuildValue("(NN)", model, sd);
}

/* train(params, paths, cache): gn_train on files (paths) or on a cache alone (paths None);
 * returns (model, summary dict). */
static PyObject *py_train(PyObject *mod, PyObject *args) {
    PyObject *params, *paths_obj, *cache_obj;
    if (!PyArg_ParseTuple(args, "OOO:train", &params, &paths_obj, &cache_obj)) return NULL;
    gn_train_options o;
    gn_data_spec spec;
    if (options_from(params, &o, &spec) != 0) return NULL;
    PyObject *cache_bytes = NULL;
    if (cache_obj != Py_None) {
        if (!PyUnicode_FSConverter(cache_obj, &cache_bytes)) return NULL;
        o.cache_path = PyBytes_AS_STRING(cache_bytes);
    }
    path_list pl;
    if (paths_from(paths_obj, &pl) != 0) {
        Py_XDECREF(cache_bytes);
        return NULL;
    }
    gn_model *m = NULL;
    gn_train_summary sum;
    memset(&sum, 0, sizeof sum);
    gn_status st;
    train_ctx ctx = {0, NULL, NULL, NULL};
    o.stop = &ctx.stop;
    Py_BEGIN_ALLOW_THREADS
    st = gn_train(&o, &spec, pl.n ? pl.paths : NULL, pl.n, on_progress, &ctx, &m, &sum);
    Py_END_ALLOW_THREADS
    paths_free(&pl);
    Py_XDECREF(cache_bytes);
    return train_result(st, m, &sum, &ctx);
}

/* One column of ids for train_mf: a contiguous int64 vector (read as decimal text by the library)
 * or a tuple of str (their UTF-8, borrowed from the tuple's items: the caller keeps the tuple). */
typedef struct {
    Py_buffer ints;
    const char **text;
    size_t *len;
    size_t n;
} id_arg;

static void id_arg_release(id_arg *a) {
    if (a->ints.buf) PyBuffer_Release(&a->ints);
    free(a->text);
    free(a->len);
    memset(a, 0, sizeof *a);
}

static int id_arg_from(PyObject *obj, const char *what, id_arg *a, gn_id_column *col) {
    memset(a, 0, sizeof *a);
    memset(col, 0, sizeof *col);
    if (PyTuple_Check(obj)) {
        a->n = (size_t)PyTuple_GET_SIZE(obj);
        a->text = malloc((a->n ? a->n : 1) * sizeof *a->text);
        a->len = malloc((a->n ? a->n : 1) * sizeof *a->len);
        if (!a->text || !a->len) {
            id_arg_release(a);
            PyErr_NoMemory();
            return -1;
        }
        for (size_t i = 0; i < a->n; i++) {
            PyObject *s = PyTuple_GET_ITEM(obj, (Py_ssize_t)i);
            Py_ssize_t len;
            const char *t = PyUnicode_Check(s) ? PyUnicode_AsUTF8AndSize(s, &len) : NULL;
            if (!t) {
                if (!PyErr_Occurred())
                    PyErr_Format(PyExc_TypeError, "%s: expected str ids, got %.80s", what, Py_TYPE(s)->tp_name);
                id_arg_release(a);
                return -1;
            }
            a->text[i] = t;
            a->len[i] = (size_t)len;
        }
        col->text = a->text;
        col->len = a->len;
        return 0;
    }
    if (PyObject_GetBuffer(obj, &a->ints, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) return -1;
    if (a->ints.ndim != 1 || format_kind(&a->ints) != 'q') {
        PyErr_Format(PyExc_ValueError, "%s: expected a tuple of str or a 1-D int64 vector", what);
        id_arg_release(a);
        return -1;
    }
    a->n = (size_t)(a->ints.len / 8);
    col->ints = a->ints.buf;
    return 0;
}

/* train_mf(params, users, items, ratings, base=None): gn_train_mf_rows on the rows in memory (or,
 * with a base model, gn_update_mf_rows: the base trained further on them; users and
 * items: tuples of str or int64 vectors; ratings: a float64 vector or None), with the GIL
 * released; returns (model, summary dict). */
static PyObject *py_train_mf(PyObject *mod, PyObject *args) {
    PyObject *params, *users_obj, *items_obj, *ratings_obj, *base_obj = Py_None;
    if (!PyArg_ParseTuple(args, "OOOO|O:train_mf", &params, &users_obj, &items_obj, &ratings_obj, &base_obj))
        return NULL;
    if (base_obj != Py_None && !PyObject_TypeCheck(base_obj, &ModelType)) {
        PyErr_SetString(PyExc_TypeError, "train_mf: base must be a Model or None");
        return NULL;
    }
    const gn_model *base = base_obj == Py_None ? NULL : ((ModelObject *)base_obj)->model;
    gn_train_options o;
    gn_data_spec spec;
    if (options_from(params, &o, &spec) != 0) return NULL;
    id_arg ua, ia;
    gn_id_column uc, ic;
    Py_buffer rb;
    memset(&rb, 0, sizeof rb);
    if (id_arg_from(users_obj, "users", &ua, &uc) != 0) return NULL;
    if (id_arg_from(items_obj, "items", &ia, &ic) != 0) {
        id_arg_release(&ua);
        return NULL;
    }
    PyObject *result = NULL;
    if (ua.n != ia.n) {
        PyErr_Format(PyExc_ValueError, "train_mf: %zu users but %zu items", ua.n, ia.n);
        goto done;
    }
    if (vector_from(ratings_obj, ua.n, "ratings", 0, &rb) != 0) goto done;
    if (rb.buf && (size_t)(rb.len / 8) != ua.n) {
        PyErr_Format(PyExc_ValueError, "train_mf: %zu rows but %zu ratings", ua.n, (size_t)(rb.len / 8));
        goto done;
    }
    gn_model *m = NULL;
    gn_train_summary sum;
    memset(&sum, 0, sizeof sum);
    gn_status st;
    train_ctx ctx = {0, NULL, NULL, NULL};
    o.stop = &ctx.stop;
    Py_BEGIN_ALLOW_THREADS
    st = base ? gn_update_mf_rows(base, &o, &uc, &ic, rb.buf, ua.n, on_progress, &ctx, &m, &sum)
              : gn_train_mf_rows(&o, &uc, &ic, rb.buf, ua.n, on_progress, &ctx, &m, &sum);
    Py_END_ALLOW_THREADS
    result = train_result(st, m, &sum, &ctx);
done:
    if (rb.buf) PyBuffer_Release(&rb);
    id_arg_release(&ua);
    id_arg_release(&ia);
    return result;
}

/* Class names from classes (a tuple or list of str, at most CLASS_NAMES_MAX), into names (borrowed
 * from the strings, valid while classes lives); *n = 0 for None. 0, or -1 with an exception. */
#define CLASS_NAMES_MAX 256
static int class_names_from(PyObject *classes, const char **names, size_t *n) {
    *n = 0;
    if (classes == Py_None) return 0;
    if (!PyTuple_Check(classes) && !PyList_Check(classes)) {
        PyErr_SetString(PyExc_TypeError, "classes: a tuple or list of str");
        return -1;
    }
    Py_ssize_t k = PySequence_Fast_GET_SIZE(classes);
    if (k > CLASS_NAMES_MAX) {
        PyErr_Format(PyExc_ValueError, "classes: at most %d classes (got %zd)", CLASS_NAMES_MAX, k);
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(classes, i);
        if (!PyUnicode_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "classes: a tuple or list of str");
            return -1;
        }
        if (!(names[i] = PyUnicode_AsUTF8(item))) return -1;
    }
    *n = (size_t)k;
    return 0;
}

/* write_cache(path, params, X, y, w, classes): gn_cache_write_matrix with the data parameters of
 * params and the label kind of its loss; classes: (negative, positive) names, the K names of a
 * multiclass loss in class-index order (y: class indices), or None. */
static PyObject *py_write_cache(PyObject *mod, PyObject *args) {
    PyObject *path_obj, *params, *x_obj, *y_obj, *w_obj, *classes_obj;
    if (!PyArg_ParseTuple(args, "O&OOOOO:write_cache", PyUnicode_FSConverter, &path_obj, &params, &x_obj, &y_obj,
                          &w_obj, &classes_obj))
        return NULL;
    gn_train_options o;
    gn_data_spec spec;
    matrix_arg a;
    Py_buffer yv, wv;
    memset(&yv, 0, sizeof yv);
    memset(&wv, 0, sizeof wv);
    PyObject *result = NULL;
    const char *names[CLASS_NAMES_MAX];
    size_t nnames = 0;
    if (options_from(params, &o, &spec) != 0) {
        Py_DECREF(path_obj);
        return NULL;
    }
    /* the label kind of the loss (softmax and one-against-all: class indices) */
    spec.label_kind = o.oaa ? GN_LABEL_CLASS : gn_loss_label_kind(o.loss);
    if (class_names_from(classes_obj, names, &nnames) != 0) {
        Py_DECREF(path_obj);
        return NULL;
    }
    if (matrix_from(x_obj, &a) != 0) {
        Py_DECREF(path_obj);
        return NULL;
    }
    if (vector_from(y_obj, a.m.rows, "y", 0, &yv) != 0 || vector_from(w_obj, a.m.rows, "sample_weight", 0, &wv) != 0)
        goto done;
    if (!yv.buf) {
        PyErr_SetString(PyExc_ValueError, "y: required");
        goto done;
    }
    gn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = gn_cache_write_matrix_classes(PyBytes_AS_STRING(path_obj), &spec, &a.m, yv.buf, wv.buf,
                                       classes_obj == Py_None ? NULL : names, nnames);
    Py_END_ALLOW_THREADS
    if (st != GN_OK) {
        raise_status(st);
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    if (yv.buf) PyBuffer_Release(&yv);
    if (wv.buf) PyBuffer_Release(&wv);
    matrix_release(&a);
    Py_DECREF(path_obj);
    return result;
}

/* ---- an online run (partial_fit) --------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    gn_online *run;
    int busy; /* a call is learning or snapshotting with the GIL released (set and read under it) */
} OnlineObject;

/* A run is used by one thread at a time: a second thread gets RuntimeError, not a data race. */
static int online_enter(OnlineObject *self) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "this online run is in use by another thread");
        return -1;
    }
    self->busy = 1;
    return 0;
}

/* Online(params, classes): gn_online_new_classes with the options of params and the class names:
 * (negative, positive) for binary losses, the K names in class-index order for softmax, None
 * otherwise. */
static PyObject *online_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    PyObject *params, *classes_obj;
    if (!PyArg_ParseTuple(args, "OO:Online", &params, &classes_obj)) return NULL;
    gn_train_options o;
    gn_data_spec spec;
    if (options_from(params, &o, &spec) != 0) return NULL;
    const char *names[CLASS_NAMES_MAX];
    size_t nnames = 0;
    if (class_names_from(classes_obj, names, &nnames) != 0) return NULL;
    gn_online *run = NULL;
    gn_status st = gn_online_new_classes(&o, &spec, classes_obj == Py_None ? NULL : names, nnames, &run);
    if (st != GN_OK) return raise_status(st);
    OnlineObject *self = (OnlineObject *)type->tp_alloc(type, 0);
    if (!self) {
        gn_online_free(run);
        return NULL;
    }
    self->run = run;
    return (PyObject *)self;
}

static void online_dealloc(OnlineObject *self) {
    gn_online_free(self->run);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The arguments (X, y, w) of learn and prepare, read in place; released by rows_args_release. */
typedef struct {
    matrix_arg a;
    Py_buffer y, w;
} rows_args;

static void rows_args_release(rows_args *r) {
    if (r->y.buf) PyBuffer_Release(&r->y);
    if (r->w.buf) PyBuffer_Release(&r->w);
    matrix_release(&r->a);
}

static int rows_args_from(PyObject *x_obj, PyObject *y_obj, PyObject *w_obj, rows_args *r) {
    memset(&r->y, 0, sizeof r->y);
    memset(&r->w, 0, sizeof r->w);
    if (matrix_from(x_obj, &r->a) != 0) return -1;
    if (vector_from(y_obj, r->a.m.rows, "y", 0, &r->y) != 0) goto fail;
    if (!r->y.buf) {
        PyErr_SetString(PyExc_ValueError, "y: required");
        goto fail;
    }
    if (vector_from(w_obj, r->a.m.rows, "sample_weight", 0, &r->w) != 0) goto fail;
    return 0;
fail:
    rows_args_release(r);
    return -1;
}

/* learn(X, y, w): one pass over the rows, in order, with the GIL released. */
static PyObject *online_learn(OnlineObject *self, PyObject *args) {
    PyObject *x_obj, *y_obj, *w_obj;
    if (!PyArg_ParseTuple(args, "OOO:learn", &x_obj, &y_obj, &w_obj)) return NULL;
    rows_args r;
    if (rows_args_from(x_obj, y_obj, w_obj, &r) != 0) return NULL;
    if (online_enter(self) != 0) {
        rows_args_release(&r);
        return NULL;
    }
    gn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = gn_online_learn_matrix(self->run, &r.a.m, r.y.buf, r.w.buf);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    rows_args_release(&r);
    if (st != GN_OK) return raise_status(st);
    Py_RETURN_NONE;
}

/* Rows converted once (gn_online_rows): what prepare returns and learn_rows takes. */
typedef struct {
    PyObject_HEAD
    gn_online_rows *rows;
} RowsObject;

static void rows_dealloc(RowsObject *self) {
    gn_online_rows_free(self->rows);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject RowsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "gannet._gannet.OnlineRows",
    .tp_basicsize = sizeof(RowsObject),
    .tp_dealloc = (destructor)rows_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Rows converted once for several passes of an online run (Online.prepare).",
};

/* prepare(X, y, w, max_bytes): the rows converted once (gn_online_rows_new), or None when the copy
 * would take more than max_bytes (then learn reads the arrays in place each pass). */
static PyObject *online_prepare(OnlineObject *self, PyObject *args) {
    PyObject *x_obj, *y_obj, *w_obj;
    unsigned long long max_bytes;
    if (!PyArg_ParseTuple(args, "OOOK:prepare", &x_obj, &y_obj, &w_obj, &max_bytes)) return NULL;
    rows_args r;
    if (rows_args_from(x_obj, y_obj, w_obj, &r) != 0) return NULL;
    if (gn_online_rows_bytes(&r.a.m) > max_bytes) {
        rows_args_release(&r);
        Py_RETURN_NONE;
    }
    gn_online_rows *rows = NULL;
    gn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = gn_online_rows_new(self->run, &r.a.m, r.y.buf, r.w.buf, &rows);
    Py_END_ALLOW_THREADS
    rows_args_release(&r);
    if (st != GN_OK) return raise_status(st);
    RowsObject *o = PyObject_New(RowsObject, &RowsType);
    if (!o) {
        gn_online_rows_free(rows);
        return NULL;
    }
    o->rows = rows;
    return (PyObject *)o;
}

/* learn_rows(rows): one pass over rows from prepare, in order, with the GIL released. */
static PyObject *online_learn_rows(OnlineObject *self, PyObject *args) {
    RowsObject *rows;
    if (!PyArg_ParseTuple(args, "O!:learn_rows", &RowsType, &rows)) return NULL;
    if (online_enter(self) != 0) return NULL;
    Py_INCREF(rows); /* kept alive while the GIL is released */
    gn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = gn_online_learn_rows(self->run, rows->rows);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    Py_DECREF(rows);
    if (st != GN_OK) return raise_status(st);
    Py_RETURN_NONE;
}

static PyObject *online_model(OnlineObject *self, PyObject *unused) {
    gn_model *m = NULL;
    gn_status st;
    if (online_enter(self) != 0) return NULL;
    Py_BEGIN_ALLOW_THREADS
    st = gn_online_model(self->run, &m);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    if (st != GN_OK) return raise_status(st);
    return wrap_model(m);
}

static PyObject *online_get_examples(OnlineObject *self, void *unused) {
    return PyLong_FromUnsignedLongLong(gn_online_examples(self->run));
}
static PyObject *online_get_loss(OnlineObject *self, void *unused) {
    double loss = 0.0, weight = 0.0;
    gn_online_loss(self->run, &loss, &weight);
    return Py_BuildValue("(dd)", loss, weight);
}

static PyMethodDef online_methods[] = {
    {"learn", (PyCFunction)online_learn, METH_VARARGS, "learn(X, y, w): learns from the rows once, in order"},
    {"prepare", (PyCFunction)online_prepare, METH_VARARGS,
     "prepare(X, y, w, max_bytes): the rows converted once for learn_rows, or None above max_bytes"},
    {"learn_rows", (PyCFunction)online_learn_rows, METH_VARARGS,
     "learn_rows(rows): learns from rows of prepare once, in order"},
    {"model", (PyCFunction)online_model, METH_NOARGS, "model(): a snapshot Model of the current weights"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef online_getset[] = {
    {"examples", (getter)online_get_examples, NULL, "examples learned from", NULL},
    {"loss", (getter)online_get_loss, NULL,
     "(loss_sum, weight_sum): the progressive loss so far (each example scored before learning)", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject OnlineType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "gannet._gannet.Online",
    .tp_basicsize = sizeof(OnlineObject),
    .tp_dealloc = (destructor)online_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An online learning run kept open between calls (partial_fit). Not picklable.",
    .tp_methods = online_methods,
    .tp_getset = online_getset,
    .tp_new = online_new,
};

static PyObject *py_load(PyObject *mod, PyObject *args) {
    PyObject *path_obj;
    if (!PyArg_ParseTuple(args, "O&:load", PyUnicode_FSConverter, &path_obj)) return NULL;
    gn_model *m = NULL;
    gn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = gn_model_load(PyBytes_AS_STRING(path_obj), &m);
    Py_END_ALLOW_THREADS
    Py_DECREF(path_obj);
    if (st != GN_OK) return raise_status(st);
    return wrap_model(m);
}

/* params(): the parameter table as a list of dicts. */
static PyObject *py_params(PyObject *mod, PyObject *unused) {
    static const char *types[] = {"bool", "int", "real", "size", "choice", "text"};
    static const char *groups[] = {"data", "train", "run"};
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < gn_param_count(); i++) {
        const gn_param_info *p = gn_param_at(i);
        PyObject *d = Py_BuildValue("{s:s,s:s,s:s,s:s,s:s,s:z,s:d,s:d,s:O,s:s}", "name", p->name, "flag", p->flag, "type",
                                    types[p->type], "group", groups[p->group], "default", p->default_text, "choices",
                                    p->choices, "min", p->min, "max", p->max, "searchable",
                                    p->searchable ? Py_True : Py_False, "help", p->help);
        if (!d || PyList_Append(list, d) != 0) Py_CLEAR(list);
        Py_XDECREF(d);
    }
    return list;
}

static PyObject *py_loss_label_kind(PyObject *mod, PyObject *args) {
    const char *name;
    if (!PyArg_ParseTuple(args, "s:loss_label_kind", &name)) return NULL;
    int loss = gn_loss_parse(name);
    if (loss < 0) return PyErr_Format(PyExc_ValueError, "loss: unknown value '%s'", name);
    return PyUnicode_FromString(gn_loss_label_kind((gn_loss)loss) == GN_LABEL_BINARY ? "binary" : "real");
}

static PyObject *py_version(PyObject *mod, PyObject *unused) { return PyUnicode_FromString(gn_version()); }


/* ---- model selection (cv, tune): gannet/select.h over files ------------------------------------ */

/* One configuration's result: {"folds": [metrics JSON text...], "mean": text, "std": text,
 * "seconds", "passes", "dropped"} (the texts are gn_metrics_to_json's, as `--json` prints them). */
static PyObject *select_result_dict(const gn_select_result *r) {
    char buf[1024];
    PyObject *folds = PyList_New(0);
    for (uint32_t f = 0; folds && f < r->k; f++) {
        gn_metrics_to_json(&r->folds[f], buf, sizeof buf);
        PyObject *t = PyUnicode_FromString(buf);
        if (!t || PyList_Append(folds, t) != 0) Py_CLEAR(folds);
        Py_XDECREF(t);
    }
    if (!folds) return NULL;
    char mean[1024], std[1024];
    gn_metrics_to_json(&r->mean, mean, sizeof mean);
    gn_metrics_to_json(&r->std, std, sizeof std);
    return Py_BuildValue("{s:N,s:s,s:s,s:d,s:I,s:O}", "folds", folds, "mean", mean, "std", std, "seconds", r->seconds,
                         "passes", r->passes, "dropped", r->dropped ? Py_True : Py_False);
}

/* Select options as the CLI sets them: folds, threads (for selection and training alike), seed
 * (the training seed), metric, halving, max_memory. */
static int select_options_from(gn_select_options *so, const gn_train_options *t, unsigned k, const char *metric,
                               int halving, unsigned long long max_memory) {
    gn_select_options_init(so);
    so->k = k;
    so->threads = t->threads;
    so->seed = t->seed;
    so->halving = halving;
    so->max_memory = max_memory;
    if (metric && metric[0]) {
        uint32_t at = 0;
        int m = gn_select_metric_parse_at(metric, &at);
        if (m < 0) {
            PyErr_Format(PyExc_ValueError, "metric: unknown metric '%s' (auc, logloss, accuracy, rmse, mae, macro_f1, "
                                           "weighted_f1, mlogloss, top_k_accuracy; kind mf: ndcg@K, precision@K, "
                                           "recall@K, map@K)", metric);
            return -1;
        }
        so->metric = (gn_select_metric)m;
        if (at) so->rank_k = at;
    }
    gn_status st = gn_select_options_check(so);
    if (st != GN_OK) {
        raise_status(st);
        return -1;
    }
    return 0;
}

/* cv(params, paths, k) -> result dict: `gannet cv -d PATHS -k K [params]`. */
static PyObject *py_cv(PyObject *mod, PyObject *args) {
    PyObject *params, *paths_obj;
    unsigned k;
    if (!PyArg_ParseTuple(args, "OOI:cv", &params, &paths_obj, &k)) return NULL;
    gn_train_options o;
    gn_data_spec spec;
    gn_select_options so;
    if (options_from(params, &o, &spec) != 0 || select_options_from(&so, &o, k, NULL, 0, 0) != 0) return NULL;
    path_list pl;
    if (paths_from(paths_obj, &pl) != 0) return NULL;
    gn_select_result *res = calloc(1, sizeof *res);
    if (!res) {
        paths_free(&pl);
        return PyErr_NoMemory();
    }
    gn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = gn_train_options_check(&o);
    if (st == GN_OK) st = gn_data_spec_check(&spec);
    if (st == GN_OK) st = gn_cv(&so, &o, &spec, pl.paths, pl.n, res);
    Py_END_ALLOW_THREADS
    paths_free(&pl);
    PyObject *out = st == GN_OK ? select_result_dict(res) : raise_status(st);
    free(res);
    return out;
}

/* Sets one searched parameter as `gannet tune` does (searchable train or data parameters). */
static int apply_searched(const char *name, const char *value, gn_train_options *t, gn_data_spec *s) {
    const gn_param_info *p = gn_param_find(name);
    if (!p || p->group == GN_PARAM_RUN) {
        PyErr_Format(PyExc_ValueError, "unknown parameter '%s' (any searchable train or data parameter: l1, l2, lr, "
                                       "bits, passes, optimizer...; see gannet params)", name);
        return -1;
    }
    if (!p->searchable) {
        PyErr_Format(PyExc_ValueError, "'%s' cannot be searched (it is the same for every configuration)", name);
        return -1;
    }
    gn_status st = gn_param_set(t, s, p->name, value);
    if (st != GN_OK) {
        raise_status(st);
        return -1;
    }
    return 0;
}

/* tune(params, paths, k, grid, space, n_random, metric, halving, max_memory) -> (metric name,
 * best index, [(params [(name, text)...], result dict)...]): `gannet tune --grid G` or
 * `--space S --random N`. */
static PyObject *py_tune(PyObject *mod, PyObject *args) {
    PyObject *params, *paths_obj;
    unsigned k, n_random;
    const char *grid, *space, *metric;
    int halving;
    unsigned long long max_memory;
    if (!PyArg_ParseTuple(args, "OOIzzIzpK:tune", &params, &paths_obj, &k, &grid, &space, &n_random, &metric, &halving,
                          &max_memory))
        return NULL;
    gn_train_options o;
    gn_data_spec spec;
    gn_select_options so;
    if (options_from(params, &o, &spec) != 0 || select_options_from(&so, &o, k, metric, halving, max_memory) != 0)
        return NULL;
    gn_search_space *sp = NULL;
    gn_status st = grid ? gn_search_parse_grid(grid, &sp) : gn_search_parse_random(space ? space : "", n_random, o.seed, &sp);
    if (st != GN_OK) return raise_status(st);
    const size_t n = gn_search_space_configs(sp), np = gn_search_space_params(sp);
    gn_select_config *cfgs = calloc(n ? n : 1, sizeof *cfgs);
    gn_select_result *res = calloc(n ? n : 1, sizeof *res);
    PyObject *out = NULL, *rows = NULL;
    path_list pl;
    memset(&pl, 0, sizeof pl);
    if (!cfgs || !res) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        cfgs[i].train = o;
        cfgs[i].spec = spec;
        for (size_t j = 0; j < np; j++)
            if (apply_searched(gn_search_space_name(sp, j), gn_search_space_value(sp, i, j), &cfgs[i].train,
                               &cfgs[i].spec) != 0)
                goto done;
        if ((st = gn_train_options_check(&cfgs[i].train)) != GN_OK || (st = gn_data_spec_check(&cfgs[i].spec)) != GN_OK) {
            raise_status(st);
            goto done;
        }
    }
    if (so.metric == GN_METRIC_AUTO && o.kind == GN_KIND_MF) /* as gannet tune decides */
        so.metric = o.implicit ? GN_METRIC_NDCG : GN_METRIC_RMSE;
    if (so.metric == GN_METRIC_AUTO) so.metric = gn_select_metric_default(o.oaa ? GN_LOSS_SOFTMAX : o.loss);
    if (paths_from(paths_obj, &pl) != 0) goto done;
    size_t best = 0;
    Py_BEGIN_ALLOW_THREADS
    st = gn_tune(&so, cfgs, n, pl.paths, pl.n, res, &best, NULL);
    Py_END_ALLOW_THREADS
    if (st != GN_OK) {
        raise_status(st);
        goto done;
    }
    rows = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; rows && i < n; i++) {
        PyObject *ps = PyList_New((Py_ssize_t)np);
        for (size_t j = 0; ps && j < np; j++) {
            PyObject *t = Py_BuildValue("(ss)", gn_search_space_name(sp, j), gn_search_space_value(sp, i, j));
            if (!t) Py_CLEAR(ps);
            else PyList_SET_ITEM(ps, (Py_ssize_t)j, t);
        }
        PyObject *r = ps ? select_result_dict(&res[i]) : NULL;
        PyObject *row = r ? Py_BuildValue("(NN)", ps, r) : NULL;
        if (!row) {
            Py_XDECREF(ps);
            Py_CLEAR(rows);
            break;
        }
        PyList_SET_ITEM(rows, (Py_ssize_t)i, row);
    }
    char mlabel[40]; /* ranking metrics with their K, as gannet tune --json: ndcg@10 */
    const char *mname = gn_select_metric_name(so.metric);
    if (so.metric >= GN_METRIC_NDCG) {
        snprintf(mlabel, sizeof mlabel, "%.*s%u", (int)(strchr(mname, '@') - mname + 1), mname, so.rank_k);
        mname = mlabel;
    }
    if (rows) out = Py_BuildValue("(snN)", mname, (Py_ssize_t)best, rows);
done:
    paths_free(&pl);
    gn_search_space_free(sp);
    free(cfgs);
    free(res);
    return out;
}

static PyMethodDef module_methods[] = {
    {"train", py_train, METH_VARARGS, "train(params, paths, cache) -> (Model, summary)"},
    {"train_mf", py_train_mf, METH_VARARGS, "train_mf(params, users, items, ratings, base=None) -> (Model, summary); base: train it further (partial_fit)"},
    {"cv", py_cv, METH_VARARGS, "cv(params, paths, k) -> result dict (`gannet cv`)"},
    {"tune", py_tune, METH_VARARGS,
     "tune(params, paths, k, grid, space, n_random, metric, halving, max_memory) -> (metric, best, rows)"},
    {"write_cache", py_write_cache, METH_VARARGS, "write_cache(path, params, X, y, w, classes)"},
    {"load", py_load, METH_VARARGS, "load(path) -> Model"},
    {"params", py_params, METH_NOARGS, "the parameter table"},
    {"loss_label_kind", py_loss_label_kind, METH_VARARGS, "'binary' or 'real'"},
    {"version", py_version, METH_NOARGS, "libgannet's version"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "gannet._gannet",
                                        "CPython extension over libgannet", -1, module_methods,
                                        NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__gannet(void) {
    if (PyType_Ready(&ModelType) < 0 || PyType_Ready(&OnlineType) < 0 || PyType_Ready(&RowsType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    Py_INCREF(&ModelType);
    if (PyModule_AddObject(m, "Model", (PyObject *)&ModelType) < 0) {
        Py_DECREF(&ModelType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&OnlineType);
    if (PyModule_AddObject(m, "Online", (PyObject *)&OnlineType) < 0) {
        Py_DECREF(&OnlineType);
        Py_DECREF(m);
        return NULL;
    }
    /* passes = auto's limits (gannet/train.h), which the estimators' in-memory fit follows too */
    if (PyModule_AddIntConstant(m, "AUTO_PASSES_MAX", GN_AUTO_PASSES_MAX) < 0 ||
        PyModule_AddObject(m, "AUTO_PASSES_UPDATES", PyLong_FromUnsignedLongLong(GN_AUTO_PASSES_UPDATES)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
