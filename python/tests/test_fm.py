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
