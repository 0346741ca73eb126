"""partial_fit is online continuation: learning a data set in chunks is exactly learning it in one
call, which is exactly `gannet train --passes 1 --threads 1` on the equivalent LIBSVM file (one
pass, the same rows in the same order). A model from fit/load/pickle cannot be continued (no
optimizer state in model files): partial_fit then starts a new run and warns."""
import pickle

import numpy as np
import pytest

import gannet
from conftest import binary_data, run_cli, write_libsvm


def test_chunks_equal_one_call_equal_the_cli(tmp_path, gannet_cli):
    X, y = binary_data(n=2500, sparse_frac=0.3)
    names = np.array(["neg", "pos"], dtype=object)[y]
    whole = gannet.LinearClassifier(l2=0.01).partial_fit(X, names)
    chunks = gannet.LinearClassifier(l2=0.01)
    for i in range(0, len(y), 333):
        chunks.partial_fit(X[i:i + 333], names[i:i + 333], classes=["neg", "pos"])
    np.testing.assert_array_equal(whole.decision_function(X), chunks.decision_function(X))
    assert list(chunks.classes_) == ["neg", "pos"] and chunks.model_.classes == ["neg", "pos"]
    write_libsvm(tmp_path / "t.svm", X, names)
    run_cli(gannet_cli, "train", "-d", tmp_path / "t.svm", "-m", tmp_path / "cli.gnm", "--passes", "1",
            "--threads", "1", "--l2", "0.01", "--positive", "pos")
    cli = gannet.load(tmp_path / "cli.gnm")
    np.testing.assert_array_equal(cli.decision_function(X), whole.decision_function(X))
    assert chunks.model_.info["data"]["examples"] == len(y)


def test_regressor_and_weights():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3000, 6))
    y = X @ np.arange(1, 7) + 1.0
    reg = gannet.LinearRegressor(optimizer="sgd", lr=0.05)
    before = None
    for i in range(0, 3000, 1000):
        reg.partial_fit(X[i:i + 1000], y[i:i + 1000])
        err = np.mean((reg.predict(X) - y) ** 2)
        assert before is None or err < before  # each chunk continues, it does not start over
        before = err
    # weight 0 rows are left out: the same as not giving them
    a = gannet.LinearRegressor().partial_fit(X[:500], y[:500])
    w = np.r_[np.ones(500), np.zeros(200)]
    b = gannet.LinearRegressor().partial_fit(np.vstack([X[:500], X[500:700]]), np.r_[y[:500], -y[500:700]],
                                             sample_weight=w)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_new_run_after_fit_or_pickle_warns():
    X, y = binary_data()
    fresh = gannet.LinearClassifier().partial_fit(X, y)
    fitted = gannet.LinearClassifier().fit(X, y)
    with pytest.warns(UserWarning, match="optimizer state is not kept"):
        fitted.partial_fit(X, y)
    np.testing.assert_array_equal(fitted.decision_function(X), fresh.decision_function(X))
    again = pickle.loads(pickle.dumps(fresh))
    np.testing.assert_array_equal(again.predict_proba(X), fresh.predict_proba(X))
    with pytest.warns(UserWarning, match="new online run"):
        again.partial_fit(X, y)
    np.testing.assert_array_equal(again.decision_function(X), fresh.decision_function(X))


def test_refusals():
    X, y = binary_data()
    online = gannet.LinearClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="not one of the classes"):
        online.partial_fit(X[:10], np.full(10, 7))
    with pytest.raises(ValueError, match="classes"):
        online.partial_fit(X[:10], y[:10], classes=["a", "b"])
    with pytest.raises(ValueError, match="features"):
        online.partial_fit(X[:, :3], y)
    with pytest.raises(ValueError, match="online optimizer"):
        gannet.LinearClassifier(optimizer="lbfgs").partial_fit(X, y)
