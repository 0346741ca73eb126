"""The in-memory paths of the estimators: fit(X, y) with passes='auto' (one online run, stopping by
scikit-learn's SGD rule on the progressive loss: no cache file, no refit) and linear prediction
through the model's column form (a matrix-vector product) instead of hashed batches."""
import tempfile

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn.base import clone as sklearn_clone

import gannet
from conftest import binary_data


def test_auto_passes_is_one_run_in_memory(monkeypatch):
    X, y = binary_data(n=800, d=10, seed=3)

    def no_files(*a, **k):
        raise AssertionError("fit with passes='auto' wrote a temporary file")
    monkeypatch.setattr(tempfile, "TemporaryDirectory", no_files)
    clf = gannet.LinearClassifier().fit(X, y)
    losses = clf.train_summary_["pass_losses"]
    assert clf.n_iter_ == len(losses) >= 2
    # the rule: every pass but the last improved on the best by tol; the last did not
    tol = gannet._estimators.AUTO_PASSES_TOL
    best = losses[0]
    for loss in losses[1:-1]:
        assert loss < best - tol
        best = min(best, loss)
    assert losses[-1] > best - tol
    # the same model as that many online passes over the rows, in order (partial_fit): one run
    chunks = gannet.LinearClassifier()
    for _ in range(clf.n_iter_):
        chunks.partial_fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), chunks.predict_proba(X))


@pytest.mark.parametrize("kind", ["dense", "csr", "weighted", "multiclass", "regressor"])
def test_rows_converted_once_train_as_the_arrays(monkeypatch, kind):
    """passes='auto' converts small data once (gn_online_rows) and reads large arrays in place each
    pass: the two give the same model, bit for bit."""
    X, y = binary_data(n=600, d=12, seed=7, sparse_frac=0.5)
    w = None
    est = gannet.LinearClassifier()
    if kind == "csr":
        X = sp.csr_matrix(X)
    elif kind == "weighted":
        w = np.random.default_rng(1).integers(0, 4, size=len(y)).astype(float)
    elif kind == "multiclass":
        y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    elif kind == "regressor":
        est, y = gannet.LinearRegressor(), X[:, 0] * 2 - X[:, 2]
    converted = sklearn_clone(est).fit(X, y, sample_weight=w)
    monkeypatch.setattr(gannet._estimators, "PREPARED_ROWS_MAX", 0)
    in_place = sklearn_clone(est).fit(X, y, sample_weight=w)
    assert converted.n_iter_ == in_place.n_iter_ >= 2
    assert converted.train_summary_["pass_losses"] == in_place.train_summary_["pass_losses"]
    out = "predict_proba" if hasattr(est, "predict_proba") else "predict"
    np.testing.assert_array_equal(getattr(converted, out)(X), getattr(in_place, out)(X))


def test_fit_on_csr_checks_what_validation_checks():
    """fit skips scikit-learn's passes over a CSR matrix (the C conversion checks values and
    columns): the same refusals still come, naming what is wrong, and the fitted attributes are
    the same as after _validate_data."""
    X, y = binary_data(n=200, d=6, seed=8, sparse_frac=0.5)
    Xs = sp.csr_matrix(X)
    clf = gannet.LinearClassifier().fit(Xs, y)
    assert clf.n_features_in_ == 6 and not hasattr(clf, "feature_names_in_")
    np.testing.assert_array_equal(clf.predict_proba(X), gannet.LinearClassifier().fit(X, y).predict_proba(X))
    bad = Xs.copy()
    bad.data[5] = np.nan
    row = int(np.searchsorted(bad.indptr, 5, side="right")) - 1
    with pytest.raises(ValueError, match="row %d, column %d" % (row, bad.indices[5])):
        gannet.LinearClassifier().fit(bad, y)
    bad.data[5] = 1e300  # beyond a float
    with pytest.raises(ValueError, match="32-bit float"):
        gannet.LinearClassifier().fit(bad, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        gannet.LinearClassifier().fit(Xs, y[:-1])
    yn = y.astype(float)
    yn[3] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        gannet.LinearRegressor().fit(Xs, yn)
    reg = gannet.LinearRegressor().fit(Xs, y.astype(int))  # integer targets: as floats
    assert reg.n_features_in_ == 6 and np.isfinite(reg.predict(Xs)).all()


def test_auto_passes_patience_and_fallback():
    X, y = binary_data(n=300, d=6, seed=4)
    never = gannet.LinearClassifier(early_stop=0).fit(X, y)
    assert never.n_iter_ == gannet._gannet.AUTO_PASSES_MAX  # small data: the cap, 100 passes
    # early_stop at its default (3) is a patience of 1 here; given, it is the patience
    patient = gannet.LinearClassifier(early_stop=5).fit(X, y)
    assert patient.n_iter_ >= gannet.LinearClassifier().fit(X, y).n_iter_ + 4
    # a holdout needs gn_train: the cache path, choosing passes there
    held = gannet.LinearClassifier(holdout=0.2, threads=1).fit(X, y)
    assert "pass_losses" not in held.train_summary_


def _models():
    X, y = binary_data(n=500, d=9, seed=5, sparse_frac=0.4)
    yield gannet.LinearClassifier(passes=2, threads=1).fit(X, y)
    yield gannet.LinearClassifier(passes=2, threads=1, bias=False).fit(X, y)
    yield gannet.LinearClassifier(passes=2, threads=1, bits=3).fit(X, y)          # columns share slots
    yield gannet.LinearClassifier(passes=2, threads=1, libsvm_hash=True).fit(X, y)
    yield gannet.LinearRegressor(passes=2, threads=1, loss="poisson").fit(X, np.abs(X[:, 0]) * 3)


@pytest.mark.parametrize("est", list(_models()))
def test_linear_prediction_equals_batches(est):
    X, _ = binary_data(n=300, d=9, seed=6, sparse_frac=0.5)
    X[0, :] = 0.0
    X[1, 2] = 1e-40  # rounds to 0 as a float: the batch path adds nothing for it either
    inputs = [X, np.asfortranarray(X), X.astype(np.float32), X[:, ::1][::2], sp.csr_matrix(X),
              sp.csr_matrix(X.astype(np.float32))]
    big = sp.csr_matrix(X)
    big.indptr, big.indices = big.indptr.astype(np.int64), big.indices.astype(np.int64)
    inputs.append(big)
    shuffled = sp.csr_matrix(X)  # columns out of order within rows, and one repeated
    for i in range(shuffled.shape[0]):
        lo, hi = shuffled.indptr[i], shuffled.indptr[i + 1]
        shuffled.indices[lo:hi] = shuffled.indices[lo:hi][::-1].copy()
        shuffled.data[lo:hi] = shuffled.data[lo:hi][::-1].copy()
    shuffled.indices[shuffled.indptr[3]] = shuffled.indices[shuffled.indptr[3] + 1]
    shuffled.has_sorted_indices = False
    inputs.append(shuffled)
    for x in inputs:
        for raw in (False, True):
            matrix, n = gannet._arrays.as_matrix(x)
            fast, slow = np.empty(n), np.empty(n)
            est.model_._h.predict(matrix, fast, raw)
            est.model_._h.predict(matrix, slow, raw, True)
            np.testing.assert_array_equal(fast, slow)
    assert not np.array_equal(est.model_.decision_function(X[:5]), np.zeros(5))
    spec = est.model_.spec
    linear = spec["libsvm_hash"] == "false" and est.model_.bits > 3
    assert (est.model_.linear_form(9) is not None) == linear  # else the batch path: nothing to compare


def test_linear_form_is_the_score():
    est = next(_models())
    X, _ = binary_data(n=50, d=9, seed=8)
    coef, intercept = est.model_.linear_form(9)
    np.testing.assert_allclose(est.model_.decision_function(X), X @ coef + intercept, rtol=1e-6)
    assert intercept != 0.0 and np.count_nonzero(coef) == 9
    np.testing.assert_array_equal(est.coef_.ravel(), coef)


def test_linear_prediction_refuses_what_batches_refuse():
    est = next(_models())
    X, _ = binary_data(n=20, d=9, seed=7)
    X[4, 3] = 1e300
    with pytest.raises(ValueError, match="row 4, column 3"):
        est.model_.predict(X)
    # a matrix of another width than the first one predicted: its own column form
    wide = np.zeros((2, 12))
    wide[:, :9] = X[:2]
    wide[:, 10] = 5.0
    matrix, n = gannet._arrays.as_matrix(wide)
    fast, slow = np.empty(n), np.empty(n)
    est.model_._h.predict(matrix, fast, False)
    est.model_._h.predict(matrix, slow, False, True)
    np.testing.assert_array_equal(fast, slow)


def test_csr_prediction_checks_what_gn_matrix_check_checks():
    """The CSR loop checks indices, offsets and values as it reads them (no pass before): the
    same errors as before, and for a value just above the float range too."""
    est = next(_models())
    X = sp.csr_matrix(binary_data(n=20, d=9, seed=7)[0])
    for bad, match in [(np.nan, "row 4, column 3"), (np.inf, "row 4, column 3"),
                       (float(np.finfo(np.float32).max) * (1 + 1e-9), "row 4, column 3")]:
        Y = X.copy()
        Y.data[Y.indptr[4] + 3] = bad
        with pytest.raises(ValueError, match=match):
            est.predict_proba(Y)
    indices = X.indices.copy()
    indices[X.indptr[5] + 2] = 9  # column 9 of a 9-column matrix
    out = np.empty(20)
    with pytest.raises(ValueError, match="outside"):
        est.model_._h.predict(("csr", X.indptr, indices, X.data, 9), out, False)
    indptr = X.indptr.copy()
    indptr[6] = indptr[5] - 1  # offsets that decrease
    with pytest.raises(ValueError, match="CSR order"):
        est.model_._h.predict(("csr", indptr, X.indices, X.data, 9), out, False)
    with pytest.raises(ValueError, match="9 features"):
        est.predict_proba(sp.csr_matrix(np.zeros((2, 8))))


def test_predict_is_the_probability_cut():
    X, y = binary_data(n=400, d=9, seed=9, sparse_frac=0.3)
    est = gannet.LinearClassifier(passes=2, threads=1).fit(X, y)
    X[0, :] = 0.0  # the bias alone
    Xs = sp.csr_matrix(X)
    for x in (X, Xs):
        p = est.predict_proba(x)[:, 1]
        np.testing.assert_array_equal(est.predict(x), est.classes_[(p >= 0.5).astype(int)])


def test_large_inputs_split_over_threads_predict_the_same():
    """A matrix of more than 256k nonzeros (dense: cells) is scored by several threads (each a
    part of the rows, on a machine with more than one core): the numbers are the batch path's bit
    for bit, the binary predict_proba pairs are [1 - p, p] of them, and an error in a late row is
    reported as on one thread (the first bad row, by row and column)."""
    est = next(_models())
    rng = np.random.default_rng(11)
    X = sp.random(60000, 9, density=0.6, format="csr", random_state=12, dtype=np.float64)
    X.data = rng.normal(size=X.nnz)
    assert X.nnz > 2 * 128 * 1024
    for x in (X, X.toarray(), X.astype(np.float32)):
        matrix, n = gannet._arrays.as_matrix(x)
        fast, slow = np.empty(n), np.empty(n)
        est.model_._h.predict(matrix, fast, False)
        est.model_._h.predict(matrix, slow, False, True)
        np.testing.assert_array_equal(fast, slow)
        pairs = est.predict_proba(x)
        np.testing.assert_array_equal(pairs[:, 1], fast)
        np.testing.assert_array_equal(pairs[:, 0], 1.0 - fast)
    for rows in ((59990,), (10000, 59990)):
        Y = X.copy()
        for r in rows:
            Y.data[Y.indptr[r]] = np.nan
        col = Y.indices[Y.indptr[rows[0]]]
        with pytest.raises(ValueError, match="row %d, column %d" % (rows[0], col)):
            est.predict_proba(Y)
