"""FMClassifier and FMRegressor: `gannet train --kind fm` from arrays. Pairwise interactions
learn what a linear model cannot (XOR of two signs); the model file round-trips to the CLI."""
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import gannet
from conftest import run_cli, write_libsvm


def _xor(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X, y


def test_fm_learns_interactions_a_linear_model_cannot():
    X, y = _xor()
    Xt, yt = _xor(seed=1)
    fm = gannet.FMClassifier(rank=4, passes=10, threads=1, seed=3).fit(X, y)
    lin = gannet.LinearClassifier(passes=10, threads=1).fit(X, y)
    assert fm.model_.kind == "fm" and fm.model_.info["kind"] == "fm"
    auc_fm = roc_auc_score(yt, fm.predict_proba(Xt)[:, 1])
    auc_lin = roc_auc_score(yt, lin.predict_proba(Xt)[:, 1])
    assert auc_fm > 0.8 and auc_lin < 0.6, (auc_fm, auc_lin)
    with pytest.raises(AttributeError):
        fm.coef_
    default = gannet.FMClassifier(threads=1).fit(X, y)  # passes auto: the in-memory run works for fm too
    assert default.n_iter_ >= 2 and roc_auc_score(yt, default.predict_proba(Xt)[:, 1]) > 0.8


def test_fm_round_trip_with_the_cli(tmp_path, gannet_cli):
    X, y = _xor(n=500)
    reg = gannet.FMRegressor(rank=3, passes=3, threads=1).fit(X, X[:, 0] * X[:, 1])
    reg.save(tmp_path / "fm.gnm")
    write_libsvm(tmp_path / "t.svm", X, np.zeros(len(X)))
    cli = np.loadtxt(run_cli(gannet_cli, "predict", "-d", tmp_path / "t.svm", "-m", tmp_path / "fm.gnm").stdout.split())
    np.testing.assert_allclose(reg.predict(X), cli, rtol=1e-8, atol=1e-12)
    loaded = gannet.load(tmp_path / "fm.gnm")
    assert isinstance(loaded, gannet.FMRegressor)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    assert np.corrcoef(reg.predict(X), X[:, 0] * X[:, 1])[0, 1] > 0.5


def _three_class_product(n, seed):
    """Class (a mod 3) * (b mod 3) mod 3 of two integer columns a, b in 0..5 (raw, unscaled): a
    product no linear model of the columns represents."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 6, n), rng.integers(0, 6, n)
    X = np.column_stack([np.eye(6)[a], np.eye(6)[b], rng.normal(size=n)])
    return X, np.array(["k%d" % v for v in (a % 3) * (b % 3) % 3])


def test_fm_classifier_multiclass_is_a_softmax_fm(tmp_path):
    X, y = _three_class_product(3000, 0)
    Xt, yt = _three_class_product(1000, 1)
    fm = gannet.FMClassifier(threads=1, seed=2).fit(X, y)
    lin = gannet.LinearClassifier(threads=1).fit(X, y)
    assert fm.model_.kind == "fm" and fm.model_.loss == "softmax"
    assert list(fm.classes_) == ["k0", "k1", "k2"]
    p = fm.predict_proba(Xt)
    assert p.shape == (1000, 3) and np.abs(p.sum(axis=1) - 1).max() < 1e-9
    np.testing.assert_array_equal(fm.predict(Xt), fm.classes_[p.argmax(axis=1)])
    acc_fm, acc_lin = fm.score(Xt, yt), lin.score(Xt, yt)
    assert acc_fm > 0.95 and acc_fm > acc_lin + 0.1, (acc_fm, acc_lin)
    # online in chunks, string classes given up front
    on = gannet.FMClassifier(threads=1, seed=2)
    for lo in range(0, 3000, 1000):
        on.partial_fit(X[lo:lo + 1000], y[lo:lo + 1000], classes=["k0", "k1", "k2"])
    assert on.model_.loss == "softmax" and on.score(Xt, yt) > 0.6
    # the model file loads back as an FMClassifier with the same probabilities
    fm.save(tmp_path / "fm3.gnm")
    back = gannet.load(tmp_path / "fm3.gnm")
    assert isinstance(back, gannet.FMClassifier)
    np.testing.assert_array_equal(back.predict_proba(Xt), p)
