"""A fitted estimator pickles through its model file's bytes and predicts the same numbers in a
fresh interpreter; clone gives an unfitted copy with the same parameters."""
import os
import pickle
import subprocess
import sys

import numpy as np
from sklearn.base import clone

import gannet
from conftest import binary_data


def test_pickle_in_a_fresh_interpreter(tmp_path):
    X, y = binary_data()
    names = np.array(["b", "a"], dtype=object)[y]
    clf = gannet.LinearClassifier(l2=1e-3, bits=20).fit(X, names)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "p.npy", clf.predict_proba(X))
    with open(tmp_path / "clf.pkl", "wb") as f:
        pickle.dump(clf, f)
    code = """
import pickle, sys, numpy as np
sys.path.insert(0, sys.argv[2])
with open(sys.argv[1] + '/clf.pkl', 'rb') as f:
    clf = pickle.load(f)
X = np.load(sys.argv[1] + '/X.npy')
assert np.array_equal(clf.predict_proba(X), np.load(sys.argv[1] + '/p.npy'))
assert list(clf.classes_) == ['a', 'b'] and clf.bits == 20 and clf.n_features_in_ == X.shape[1]
print('ok', clf.model_.version)
"""
    pkg = os.path.dirname(os.path.dirname(gannet.__file__))
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path), pkg], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ok", clf.model_.version]


def test_model_bytes_round_trip():
    X, y = binary_data()
    clf = gannet.LinearClassifier().fit(X, y)
    data = clf.model_.to_bytes()
    assert data[:2] and len(data) > 64
    again = gannet.Model.from_bytes(data)
    assert again.version == clf.model_.version
    np.testing.assert_array_equal(again.predict(X), clf.model_.predict(X))


def test_clone_is_unfitted_with_the_same_params():
    X, y = binary_data()
    clf = gannet.LinearClassifier(l2=0.5, optimizer="adagrad").fit(X, y)
    c = clone(clf)
    assert c.get_params() == clf.get_params()
    assert not hasattr(c, "model_")
