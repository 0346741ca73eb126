"""Shared fixtures for the gannet package's tests. The package is imported from GANNET_PYTHON
(a directory holding an in-place build, as tests/e2e/test_python.sh makes) or from python/ of
this checkout; the CLI from GANNET (default build/bin/gannet); CLI tests skip without it."""
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.environ.get("GANNET_PYTHON") or os.path.dirname(HERE))


@pytest.fixture(scope="session")
def gannet_cli():
    path = os.environ.get("GANNET") or os.path.join(ROOT, "build", "bin", "gannet")
    if not os.access(path, os.X_OK):
        pytest.skip("no gannet binary at %s (set GANNET)" % path)
    return path


def run_cli(cli, *args):
    r = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, "gannet %s: %s" % (" ".join(map(str, args)), r.stderr)
    return r


def write_libsvm(path, X, y):
    """The LIBSVM file equivalent to the rows of X (dense or CSR): column j is index j+1; values
    written with 17 digits, so the CLI reads the doubles Python holds."""
    import scipy.sparse as sp
    X = sp.csr_matrix(X)
    with open(path, "w") as f:
        for i in range(X.shape[0]):
            lo, hi = X.indptr[i], X.indptr[i + 1]
            feats = " ".join("%d:%.17g" % (j + 1, v) for j, v in zip(X.indices[lo:hi], X.data[lo:hi]))
            f.write("%s %s\n" % (y[i], feats))


def binary_data(n=600, d=12, seed=0, sparse_frac=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if sparse_frac:
        X[rng.random((n, d)) < sparse_frac] = 0.0
    w = rng.normal(size=d)
    y = (X @ w + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y
