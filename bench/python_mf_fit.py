"""bench/python_mf_fit.py: gannet.MatrixFactorization.fit from arrays in memory (gn_train_mf_rows)
against the route it replaced, the same rows written to a temporary CSV file (Python's csv writer)
and trained from the file (as `gannet train --kind mf`), on N generated (user, item, rating) rows
with integer ids and with str ids. Interleaved rounds; prints the median of each and the ratio.
Both give the same model (python/tests/test_mf.py). Usage: /usr/bin/python3 bench/python_mf_fit.py
[N] [ROUNDS] (the package: python/, built in place, as for bench/python_predict.py)."""
import csv
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import numpy as np  # noqa: E402

import gannet  # noqa: E402
from gannet import _gannet  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 300000
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
rng = np.random.default_rng(0)
X = np.column_stack([rng.integers(0, n // 15, n), rng.integers(0, n // 60, n)])
y = rng.integers(1, 6, n).astype(float)
data = {"int ids": X, "str ids": X.astype(str).astype(object)}
KW = dict(rank=8, passes=3, threads=1, seed=1)


def through_csv(X, y):
    est = gannet.MatrixFactorization(**KW)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "r.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["user", "item", "rating"])
            w.writerows(zip((str(u) for u in X[:, 0].tolist()), (str(i) for i in X[:, 1].tolist()),
                            map(repr, y.tolist())))
        params = est._train_params(True)
        params.update(format="csv", sep=",", header="true")
        return _gannet.train(params, [path], None)


ts = {}
for _ in range(rounds):
    for name, XX in data.items():
        for route, f in (("in memory", lambda: gannet.MatrixFactorization(**KW).fit(XX, y)),
                         ("CSV file", lambda: through_csv(XX, y))):
            t0 = time.perf_counter()
            f()
            ts.setdefault((name, route), []).append(time.perf_counter() - t0)
print("%d rows, rank %d, %d ALS epochs, 1 thread; %d interleaved rounds" % (n, KW["rank"], KW["passes"], rounds))
print("| ids | in memory (median) | through a CSV file (median) | ratio |")
print("| --- | --- | --- | --- |")
for name in data:
    a, b = statistics.median(ts[(name, "in memory")]), statistics.median(ts[(name, "CSV file")])
    print("| %s | %.3f s | %.3f s | %.2fx |" % (name, a, b, b / a))
