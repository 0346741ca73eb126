"""LinearClassifier with more than 2 classes trains the softmax kind (`gannet train --loss
softmax`): string classes, predict_proba with K columns in classes_ order, score; the model file
predicts in the CLI as in Python."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

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
    with pytest.raises(ValueError, match="sample_weight"):
        gannet.LinearClassifier().fit(X, y, sample_weight=np.ones(30))
    with pytest.raises(ValueError, match="exactly 2"):
        gannet.FMClassifier().fit(X, y)
    with pytest.raises(ValueError, match="softmax"):
        gannet.LinearClassifier(loss="hinge").fit(X, y)
