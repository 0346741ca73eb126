"""Errors are Python exceptions with the library's message: ValueError for parameters and data,
OSError for files."""
import numpy as np
import pytest
import scipy.sparse as sp

import gannet
from conftest import binary_data


def test_bad_parameter_values():
    X, y = binary_data()
    with pytest.raises(ValueError, match="l2: must be >= 0"):
        gannet.LinearClassifier(l2=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="optimizer: unknown value 'newton'"):
        gannet.LinearClassifier(optimizer="newton").fit(X, y)
    with pytest.raises(ValueError, match="loss: 'squared' is not one of logistic|hinge"):
        gannet.LinearClassifier(loss="squared").fit(X, y)
    with pytest.raises(ValueError, match="bits"):
        gannet.LinearClassifier(bits=31).fit(X, y)


def test_bad_data():
    X, y = binary_data()
    Xbad = X.copy()
    Xbad[3, 2] = np.nan
    with pytest.raises(ValueError):
        gannet.LinearClassifier().fit(Xbad, y)
    with pytest.raises(ValueError, match="binary"):
        gannet.FMClassifier(loss="hinge").fit(X, np.arange(len(y)) % 3)  # 3 classes need softmax
    with pytest.raises(ValueError, match="1 class"):
        gannet.LinearClassifier().fit(X, np.zeros(len(y)))
    clf = gannet.LinearClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :5])
    # a value beyond a 32-bit float, in C, names row and column
    big = sp.csr_matrix(X)
    big.data[0] = 1e300
    with pytest.raises(ValueError, match=r"row 0, column \d+: value 1e\+300"):
        clf.model_.predict(big)


def test_weights_must_be_finite_and_nonnegative():
    X, y = binary_data()
    w = np.ones(len(y))
    w[7] = -1
    with pytest.raises(ValueError):
        gannet.LinearClassifier().fit(X, y, sample_weight=w)


def test_file_errors(tmp_path):
    with pytest.raises(OSError):
        gannet.load(tmp_path / "missing.gnm")
    (tmp_path / "junk.gnm").write_bytes(b"not a model at all\n" * 10)
    with pytest.raises(OSError, match="junk.gnm"):
        gannet.load(tmp_path / "junk.gnm")
    with pytest.raises(OSError, match="missing.svm"):
        gannet.LinearClassifier().fit_files(tmp_path / "missing.svm")
    bad = tmp_path / "bad.svm"
    bad.write_text("1 1:0.5\n-1 2:abc\n")
    with pytest.raises(ValueError, match="bad.svm:2"):
        gannet.LinearClassifier().fit_files(bad, format="libsvm")
    with pytest.raises(ValueError, match="not a data parameter"):
        gannet.LinearClassifier().fit_files(bad, l2=1.0)


def test_unfitted():
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        gannet.LinearRegressor().predict(np.zeros((2, 2)))


def test_predict_proba_only_for_logistic():
    X, y = binary_data()
    hinge = gannet.LinearClassifier(loss="hinge").fit(X, y)
    assert not hasattr(hinge, "predict_proba")
    with pytest.raises(AttributeError, match="logistic"):
        hinge.predict_proba(X)
    assert hasattr(gannet.LinearClassifier(), "predict_proba")
    lbfgs = gannet.LinearClassifier(optimizer="lbfgs", l2=1.0).fit(X, y)
    assert lbfgs.n_iter_ == lbfgs.train_summary_["iterations"] > 0
