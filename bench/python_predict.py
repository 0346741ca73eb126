"""bench/python_predict.py: predict_proba (and decision_function) of gannet.LinearClassifier()
against SGDClassifier(loss="log_loss") and LogisticRegression() on a9a.t as scipy CSR, each model
trained on a9a at its defaults. The calls are interleaved (each round times every estimator once,
ROUNDS rounds), so that the load of a shared machine falls on all of them alike; prints the
median and best call of each and the rows/s ratios.
Usage: /usr/bin/python3 bench/python_predict.py [ROUNDS] (the package: python/, built in place
by bench/python.sh or `cd python && /usr/bin/python3 setup.py build_ext --inplace`)."""
import gzip
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from sklearn.datasets import load_svmlight_file  # noqa: E402
from sklearn.linear_model import LogisticRegression, SGDClassifier  # noqa: E402

import gannet  # noqa: E402

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
a9a = os.path.join(os.environ.get("GN_SHARED_DATA", os.path.join(HERE, "..", "..", "shared", "data")), "a9a")
with gzip.open(os.path.join(a9a, "a9a.gz")) as f:
    X, y = load_svmlight_file(f, n_features=123)
with gzip.open(os.path.join(a9a, "a9a.t.gz")) as f:
    Xt, yt = load_svmlight_file(f, n_features=123)
g = gannet.LinearClassifier().fit(X, y)
s = SGDClassifier(loss="log_loss", random_state=0).fit(X, y)
lr = LogisticRegression(max_iter=1000).fit(X, y)
fns = {"gannet predict_proba": lambda: g.predict_proba(Xt), "SGDClassifier predict_proba": lambda: s.predict_proba(Xt),
       "LogisticRegression predict_proba": lambda: lr.predict_proba(Xt),
       "gannet decision_function": lambda: g.decision_function(Xt),
       "SGDClassifier decision_function": lambda: s.decision_function(Xt)}
ts = {k: [] for k in fns}
for f in fns.values():
    f()
for _ in range(rounds):
    for k, f in fns.items():
        t0 = time.perf_counter()
        f()
        ts[k].append(time.perf_counter() - t0)
n = Xt.shape[0]
print("a9a.t: %d rows, %d nonzeros; %d interleaved rounds" % (n, Xt.nnz, rounds))
print("| call | median | rows/s (median) | best | rows/s (best) |")
print("| --- | --- | --- | --- | --- |")
for k, v in ts.items():
    med, best = statistics.median(v), min(v)
    print("| %s | %.3f ms | %s | %.3f ms | %s |" % (k, med * 1e3, format(int(n / med), ","), best * 1e3,
                                                  format(int(n / best), ",")))
med = {k: statistics.median(v) for k, v in ts.items()}
best = {k: min(v) for k, v in ts.items()}
for peer in ("SGDClassifier", "LogisticRegression"):
    print("predict_proba rows/s, gannet / %s: median %.2fx, best %.2fx"
          % (peer, med[peer + " predict_proba"] / med["gannet predict_proba"],
             best[peer + " predict_proba"] / best["gannet predict_proba"]))
