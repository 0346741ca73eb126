"""Arrays in every layout read as the same rows: dense C/Fortran order, float32, strided slices,
CSR with int32/int64 indices, unsorted and repeated column indices, CSC; zero weights; coef_."""
import numpy as np
import scipy.sparse as sp

import gannet
from conftest import binary_data


def fitted(**kw):
    X, y = binary_data(sparse_frac=0.5)
    return gannet.LinearClassifier(**kw).fit(X, y), X, y


def test_layouts_predict_the_same():
    clf, X, _ = fitted()
    ref = clf.decision_function(X)
    X32 = X.astype(np.float32)
    ref32 = clf.decision_function(np.ascontiguousarray(X32))
    assert not np.array_equal(ref, np.zeros_like(ref))
    np.testing.assert_array_equal(clf.decision_function(np.asfortranarray(X)), ref)
    np.testing.assert_array_equal(clf.decision_function(sp.csr_matrix(X)), ref)
    np.testing.assert_array_equal(clf.decision_function(sp.csc_matrix(X)), ref)
    np.testing.assert_array_equal(clf.decision_function(np.asfortranarray(X32)), ref32)
    # a strided view (every other row, columns reversed then reversed back) is read in place
    big = np.zeros((2 * X.shape[0], X.shape[1] * 2))
    big[::2, ::2] = X
    np.testing.assert_array_equal(clf.decision_function(big[::2, ::2]), ref)
    c = sp.csr_matrix(X)
    c64 = c.copy()  # scipy's constructor narrows the indices; set them after
    c64.indices, c64.indptr = c.indices.astype(np.int64), c.indptr.astype(np.int64)
    assert c64.indices.dtype == np.int64
    np.testing.assert_array_equal(clf.decision_function(c64), ref)


def test_unsorted_and_repeated_indices_sum_as_the_parser_does():
    clf, X, _ = fitted()
    c = sp.csr_matrix(X)
    row = c[0]
    # row 0 written with its columns reversed and its first value split into two halves
    idx = row.indices[::-1].copy()
    val = row.data[::-1].copy()
    idx = np.append(idx, idx[-1])
    val[-1] /= 2
    val = np.append(val, val[-1])
    odd = sp.csr_matrix((val, idx, np.array([0, len(idx)])), shape=(1, X.shape[1]))
    assert not odd.has_canonical_format
    np.testing.assert_allclose(clf.decision_function(odd), clf.decision_function(X[:1]), rtol=1e-6)


def test_zero_weight_rows_are_left_out():
    X, y = binary_data()
    Xz = np.vstack([X, X[:50] * 3 + 1])
    yz = np.concatenate([y, 1 - y[:50]])
    wz = np.concatenate([np.ones(len(y)), np.zeros(50)])
    a = gannet.LinearClassifier(threads=1).fit(X, y)
    b = gannet.LinearClassifier(threads=1).fit(Xz, yz, sample_weight=wz)
    np.testing.assert_array_equal(a.decision_function(X), b.decision_function(X))
    c = gannet.LinearClassifier(threads=1).fit(Xz, yz)
    assert not np.array_equal(a.decision_function(X), c.decision_function(X))


def test_coef_and_intercept_are_the_linear_model():
    X, y = binary_data()
    clf = gannet.LinearClassifier(l1=0.0).fit(X, y)
    assert clf.coef_.shape == (1, X.shape[1]) and clf.intercept_.shape == (1,)
    np.testing.assert_allclose(X @ clf.coef_[0] + clf.intercept_[0], clf.decision_function(X), atol=1e-5)
    reg = gannet.LinearRegressor().fit(X, X @ np.arange(X.shape[1]) + 2.0)
    assert reg.coef_.shape == (X.shape[1],)
    np.testing.assert_allclose(X @ reg.coef_ + reg.intercept_, reg.predict(X), atol=1e-4)
    assert np.corrcoef(reg.coef_, np.arange(X.shape[1]))[0, 1] > 0.99


def test_feature_names_from_dataframe_like_checks():
    X, y = binary_data()
    clf = gannet.LinearClassifier().fit(X, y)
    assert clf.n_features_in_ == X.shape[1]
    assert not hasattr(clf, "feature_names_in_")


def test_string_labels():
    X, y = binary_data()
    names = np.array(["no", "yes"], dtype=object)[y]
    clf = gannet.LinearClassifier().fit(X, names)
    assert list(clf.classes_) == ["no", "yes"]
    assert set(clf.predict(X)) <= {"no", "yes"}
    assert clf.model_.classes == ["no", "yes"]
    assert clf.score(X, names) > 0.85
    # the positive class is classes_[1]: the probabilities follow it
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict(X), np.where(proba[:, 1] >= 0.5, "yes", "no"))


def test_regression_losses():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 5))
    rate = np.exp(X @ np.array([0.3, -0.2, 0.1, 0.0, 0.2]))
    counts = rng.poisson(rate).astype(float)
    reg = gannet.LinearRegressor(loss="poisson").fit(X, counts)
    pred = reg.predict(X)
    assert (pred > 0).all()
    np.testing.assert_allclose(np.log(pred), reg.model_.decision_function(X), rtol=1e-9)
    q = gannet.LinearRegressor(loss="quantile", quantile_tau=0.9).fit(X, counts)
    assert np.mean(counts <= q.predict(X)) > 0.7
