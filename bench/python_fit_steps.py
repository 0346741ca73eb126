"""bench/python_fit_steps.py: where LinearClassifier().fit's time goes on a9a as scipy CSR, step by
step, as _estimators.py runs them for passes='auto': scikit-learn-side validation and labels, the
run's set-up, converting the rows once (Online.prepare), each pass (Online.learn_rows), the model
snapshot (Online.model). Rounds after one untimed warm-up fit (the first fit of a process pays
the page faults of fresh memory); prints the median of each step and of the total. Usage:
/usr/bin/python3 bench/python_fit_steps.py [ROUNDS] (the package: python/, built in place, as for
bench/python_predict.py; a9a from ../shared/data or GN_SHARED_DATA)."""
import gzip
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import numpy as np  # noqa: E402
from sklearn.datasets import load_svmlight_file  # noqa: E402

import gannet  # noqa: E402
from gannet import _estimators as E  # noqa: E402
from gannet import _gannet  # noqa: E402

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
data = os.environ.get("GN_SHARED_DATA", os.path.join(HERE, "..", "..", "shared", "data"))
with gzip.open(os.path.join(data, "a9a", "a9a.gz")) as f:
    X, y = load_svmlight_file(f, n_features=123)


def one_fit():
    """The steps of LinearClassifier().fit(X, y) with passes='auto'; their times in ms."""
    t = {}
    est = gannet.LinearClassifier()
    t0 = time.perf_counter()
    Xv, yv = est._validate_fit(X, y)
    classes, y_index = E._two_numeric_classes(yv)
    y_sign = np.where(y_index == 1, 1.0, -1.0)
    t1 = time.perf_counter()
    params = est._train_params()
    matrix, _ = E.as_matrix(Xv)
    online = _gannet.Online(params, (str(classes[0]), str(classes[1])))
    t2 = time.perf_counter()
    rows = online.prepare(matrix, y_sign, None, E.PREPARED_ROWS_MAX)
    t3 = time.perf_counter()
    passes = []
    for _ in range(3):  # a9a's passes='auto' stops after 3
        a = time.perf_counter()
        online.learn_rows(rows)
        passes.append(time.perf_counter() - a)
    t4 = time.perf_counter()
    online.model()
    t5 = time.perf_counter()
    t["validation and labels"] = t1 - t0
    t["set-up"] = t2 - t1
    t["convert rows once"] = t3 - t2
    for i, p in enumerate(passes):
        t["pass %d" % (i + 1)] = p
    t["model snapshot"] = t5 - t4
    t["total"] = t5 - t0
    return {k: v * 1000 for k, v in t.items()}


one_fit()
runs = [one_fit() for _ in range(rounds)]
print("a9a, LinearClassifier().fit steps, median of %d fits (ms):" % rounds)
for step in runs[0]:
    print("  %-22s %7.3f" % (step, statistics.median(r[step] for r in runs)))
