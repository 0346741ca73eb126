"""A CSR matrix is read in place: fitting (through the cache, and passes='auto' in memory) and
predicting a large generated one raises the
process's peak memory by far less than the matrix itself (a copy would add all of it). Peak RSS
is VmHWM, reset through /proc/self/clear_refs (Linux); the run is a child process so that the
numbers are its own. The GIL is released while C works: a Python thread keeps counting."""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import gannet

CHILD = r"""
import sys, numpy as np, scipy.sparse as sp
sys.path.insert(0, sys.argv[1])
import gannet

def hwm():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) * 1024
def rss():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024

rows, per_row, cols = 400_000, 24, 5000
rng = np.random.default_rng(0)
indices = rng.integers(0, cols, size=rows * per_row, dtype=np.int32)
data = rng.random(rows * per_row)
indptr = np.arange(0, rows * per_row + 1, per_row, dtype=np.int32)
X = sp.csr_matrix((data, indices, indptr), shape=(rows, cols))
y = (rng.random(rows) < 0.5).astype(np.int8)
matrix = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
clf = gannet.LinearClassifier(passes=1, threads=1)
clf.fit(X[:1000], y[:1000])  # warm up: imports and first allocations
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')
base = rss()
clf.fit(X, y)
p = clf.predict_proba(X)
auto = gannet.LinearClassifier(threads=1, bits=13)  # passes auto: the in-memory run,
auto.fit(X, y)                                                   # every pass over the arrays in place
assert auto.n_iter_ >= 2 and 'pass_losses' in auto.train_summary_
p2 = auto.predict_proba(X)
grew = hwm() - base
print(matrix, grew, p.nbytes)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc/self/clear_refs")
@pytest.mark.skipif(os.environ.get("GANNET_SANITIZED") == "1",
                    reason="under ASan, redzones and the quarantine change the memory used")
def test_csr_is_not_copied():
    pkg = os.path.dirname(os.path.dirname(gannet.__file__))
    r = subprocess.run([sys.executable, "-c", CHILD, pkg], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    matrix, grew, out = map(int, r.stdout.split())
    assert matrix > 100 << 20
    # the outputs (probabilities of two fits: 2 columns, plus the positive column) and the library's batches,
    # weights and cache writer; a copy of the matrix alone would be `matrix` bytes more
    assert grew < 0.35 * matrix + 3 * out, "peak grew by %d bytes for a %d-byte matrix" % (grew, matrix)


def test_gil_released_during_fit(tmp_path):
    """The counter runs only while the GIL is free; the measured span is one C call (training on
    a cache written first), so a held GIL would leave it near zero."""
    from gannet import _gannet
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60_000, 40))
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    params = {"passes": "4", "threads": "1"}
    cache = str(tmp_path / "c.gncache")
    _gannet.write_cache(cache, params, X, y, None, ("0", "1"))
    count = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        before = count[0]
        t0 = time.perf_counter()
        model, summary = _gannet.train(params, None, cache)
        elapsed = time.perf_counter() - t0
        during = count[0] - before
    finally:
        stop.set()
        t.join()
    assert summary["passes"] == 4 and model.outputs == 1
    assert elapsed > 0.05
    assert during > 50_000, (during, elapsed)
