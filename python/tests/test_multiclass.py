"""LinearClassifier with more than 2 classes trains the softmax kind (`gannet train --loss
softmax`): string classes, predict_proba with K columns in classes_ order, score; the model file
predicts in the CLI as in Python. fit and partial_fit train it from the arrays in memory
(gn_online_new_classes, gn_cache_write_matrix_classes) with sample_weight: chunks learn what fit
learns, rows of weight 0 are rows left out, predict_proba sums to 1 and is the CLI's."""
import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, load_wine

import gannet
from conftest import run_cli, write_libsvm


def test_softmax_on_digits_with_string_classes(tmp_path, gannet_cli):
    d = load_digits()
    X = d.data / 16.0
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    y = names[d.target]
    clf = gannet.LinearClassifier(threads=1, passes=5).fit(X[:1200], y[:1200])
    assert clf.model_.kind == "softmax" and clf.model_.outputs == 10
    assert list(clf.classes_) == sorted(names)
    p = clf.predict_proba(X[1200:])
    assert p.shape == (len(X) - 1200, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-9)
    assert clf.score(X[1200:], y[1200:]) > 0.85
    np.testing.assert_array_equal(clf.predict(X[1200:]), clf.classes_[np.argmax(p, axis=1)])
    # the model file: the CLI prints the same class names for the equivalent LIBSVM rows
    clf.save(tmp_path / "m.gnm")
    write_libsvm(tmp_path / "t.svm", X[1200:], np.zeros(len(X) - 1200, dtype=int))
    out = run_cli(gannet_cli, "predict", "-d", tmp_path / "t.svm", "-m", tmp_path / "m.gnm", "--output-type", "class")
    np.testing.assert_array_equal(np.array(out.stdout.split()), clf.predict(X[1200:]))
    cli_p = np.loadtxt(run_cli(gannet_cli, "predict", "-d", tmp_path / "t.svm", "-m", tmp_path / "m.gnm").stdout.splitlines())
    loaded = gannet.load(tmp_path / "m.gnm")
    np.testing.assert_allclose(loaded.predict_proba(X[1200:]), cli_p, rtol=1e-8, atol=1e-9)
    col = {c: i for i, c in enumerate(clf.classes_)}
    reorder = [col[c] for c in loaded.classes_]
    np.testing.assert_array_equal(loaded.predict_proba(X[1200:]), p[:, reorder])


def test_multiclass_refusals():
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = np.arange(30) % 3
    with pytest.raises(ValueError, match="at least 2"):
        gannet.FMClassifier().fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="softmax"):
        gannet.LinearClassifier(loss="hinge").fit(X, y)
    with pytest.raises(ValueError, match="softmax"):
        gannet.LinearClassifier(loss="hinge").partial_fit(X, y)
    with pytest.raises(ValueError, match="softmax"):
        gannet.FMClassifier(loss="hinge").partial_fit(X, y)
    online = gannet.LinearClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="not one of the classes"):
        online.partial_fit(X[:5], np.full(5, 3))
    with pytest.raises(ValueError, match="differ"):
        online.partial_fit(X[:5], y[:5], classes=[0, 1, 2, 3])


def _scaled(load, seed=0):
    d = load()
    X = d.data / np.maximum(np.abs(d.data).max(axis=0), 1e-12)
    p = np.random.default_rng(seed).permutation(len(d.target))
    return X[p], d.target[p]


def test_partial_fit_in_chunks_is_fit_in_memory(monkeypatch):
    """fit (passes auto, in memory) is one online run over the rows, pass after pass, with no
    temporary file: partial_fit over chunks of the same rows for as many passes learns exactly
    that model."""
    import tempfile

    def no_files(*a, **k):
        raise AssertionError("a multiclass fit or partial_fit wrote a temporary file")
    monkeypatch.setattr(tempfile, "TemporaryDirectory", no_files)
    X, y = _scaled(load_wine)
    names = np.array(["red", "white", "rose"], dtype=object)[y]
    full = gannet.LinearClassifier(bits=12).fit(X, names)
    assert full.model_.kind == "softmax" and 2 <= full.n_iter_ < 200
    assert list(full.classes_) == ["red", "rose", "white"]
    chunks = gannet.LinearClassifier(bits=12)
    for _ in range(full.n_iter_):
        for i in range(0, len(y), 40):
            chunks.partial_fit(X[i:i + 40], names[i:i + 40], classes=["white", "rose", "red"])
    assert list(chunks.classes_) == ["red", "rose", "white"] and chunks.model_.classes == ["red", "rose", "white"]
    np.testing.assert_array_equal(chunks.decision_function(X), full.decision_function(X))
    np.testing.assert_array_equal(chunks.predict(X), full.predict(X))
    assert full.score(X, names) > 0.9


@pytest.mark.parametrize("load,passes", [(load_iris, 60), (load_digits, 5)], ids=["iris", "digits"])
def test_partial_fit_accuracy_close_to_fit(load, passes):
    """partial_fit over chunks, for a few passes (iris, 150 rows, needs more: fit's own run takes
    about 95), predicts held-out rows about as well as fit."""
    X, y = _scaled(load, seed=1)
    cut = int(0.75 * len(y))
    fit_acc = gannet.LinearClassifier(bits=12).fit(X[:cut], y[:cut]).score(X[cut:], y[cut:])
    online = gannet.LinearClassifier(bits=12)
    classes = np.unique(y)
    for _ in range(passes):
        for i in range(0, cut, 64):
            online.partial_fit(X[i:min(i + 64, cut)], y[i:min(i + 64, cut)], classes=classes)
    acc = online.score(X[cut:], y[cut:])
    assert fit_acc > 0.85
    assert acc >= fit_acc - 0.05, (acc, fit_acc)


@pytest.mark.parametrize("how", ["fit", "cache", "partial_fit"])
def test_sample_weight_zero_is_dropping_the_rows(how):
    """A row of weight 0 is left out of training: the model is bit for bit the one trained
    without it (rows in the same order; the cache path on one thread)."""
    X, y = _scaled(load_iris, seed=2)
    w = np.ones(len(y))
    w[::4] = 0.0
    keep = w > 0

    def train(Xs, ys, ws):
        if how == "partial_fit":
            return gannet.LinearClassifier().partial_fit(Xs, ys, classes=[0, 1, 2], sample_weight=ws)
        est = gannet.LinearClassifier(passes=3, threads=1) if how == "cache" else gannet.LinearClassifier()
        return est.fit(Xs, ys, sample_weight=ws)

    weighted, dropped = train(X, y, w), train(X[keep], y[keep], None)
    np.testing.assert_array_equal(weighted.predict_proba(X), dropped.predict_proba(X))
    assert weighted.model_.info["data"]["examples"] == dropped.model_.info["data"]["examples"]


def test_sample_weight_changes_the_model():
    X, y = _scaled(load_wine, seed=3)
    plain = gannet.LinearClassifier(passes=2, threads=1).fit(X, y)
    w = np.where(y == 2, 5.0, 1.0)
    heavy = gannet.LinearClassifier(passes=2, threads=1).fit(X, y, sample_weight=w)
    # class 2 weighs more: it gets more probability on every class's rows, on average
    assert heavy.predict_proba(X)[:, 2].mean() > plain.predict_proba(X)[:, 2].mean() + 0.01
    online = gannet.LinearClassifier().partial_fit(X, y, sample_weight=w)
    assert online.predict_proba(X)[:, 2].mean() > gannet.LinearClassifier().partial_fit(X, y).predict_proba(X)[:, 2].mean()


@pytest.mark.parametrize("multiclass", [False, True], ids=["binary", "softmax"])
def test_predict_proba_sums_to_one_and_is_the_clis(tmp_path, gannet_cli, multiclass):
    X, y = _scaled(load_wine, seed=4)
    if not multiclass:
        y = (y == 1).astype(int)
    clf = gannet.LinearClassifier()
    for i in range(0, len(y), 50):
        clf.partial_fit(X[i:i + 50], y[i:i + 50], classes=np.unique(y))
    p = clf.predict_proba(X)
    assert p.shape == (len(y), len(np.unique(y)))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all(p > 0) and np.all(p < 1)
    clf.save(tmp_path / "m.gnm")
    write_libsvm(tmp_path / "t.svm", X, y)
    lines = run_cli(gannet_cli, "predict", "-d", tmp_path / "t.svm", "-m", tmp_path / "m.gnm").stdout.splitlines()
    cli = np.loadtxt(lines).reshape(len(y), -1)
    np.testing.assert_allclose(p if multiclass else p[:, 1:], cli, rtol=1e-8, atol=1e-12)
