"""gannet.cv and gannet.tune stream files through the C pipeline and return what `gannet cv
--json` and `gannet tune --json` print (all but the seconds, which are timings)."""
import json

import numpy as np
import pytest

import gannet
from conftest import binary_data, run_cli, write_libsvm


def _strip(d):
    """Without the timings."""
    if isinstance(d, dict):
        return {k: _strip(v) for k, v in d.items() if k != "seconds"}
    if isinstance(d, list):
        return [_strip(v) for v in d]
    return d


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("select") / "t.svm"
    X, y = binary_data(n=900, d=8, seed=11, sparse_frac=0.3)
    write_libsvm(path, X, np.where(y == 1, 1, -1))
    return path


def test_cv_equals_the_cli(data, gannet_cli):
    cli = json.loads(run_cli(gannet_cli, "cv", "-d", data, "-k", "3", "--threads", "1", "--l2", "0.01",
                             "--passes", "2", "--json", "-q").stdout)
    py = gannet.cv([data], k=3, threads=1, l2=0.01, passes=2)
    assert _strip(py) == _strip(cli)
    assert len(py["folds"]) == 3 and 0.6 < py["mean"]["auc"] <= 1.0


def test_tune_equals_the_cli(data, gannet_cli):
    cli = json.loads(run_cli(gannet_cli, "tune", "-d", data, "-k", "3", "--threads", "1", "--grid",
                             "l2=0.001,1;lr=0.1,0.5", "--json", "-q").stdout)
    py = gannet.tune(data, grid={"l2": [0.001, 1], "lr": [0.1, 0.5]}, k=3, threads=1)
    assert _strip(py) == _strip(cli)
    assert len(py["results"]) == 4 and py["metric"] == "auc"
    aucs = [r["mean"]["auc"] for r in py["results"]]
    assert py["best"] == int(np.argmax(aucs)) and len(set(aucs)) > 1
    cli = json.loads(run_cli(gannet_cli, "tune", "-d", data, "-k", "2", "--threads", "1", "--space",
                             "l2=log(1e-4,1)", "--random", "3", "--seed", "5", "--metric", "logloss",
                             "--json", "-q").stdout)
    py = gannet.tune([data], space="l2=log(1e-4,1)", n_iter=3, k=2, threads=1, seed=5, metric="logloss")
    assert _strip(py) == _strip(cli)


def test_select_refusals(data):
    with pytest.raises(ValueError, match="cannot be searched|unknown parameter"):
        gannet.tune(data, grid="threads=1,2")
    with pytest.raises(ValueError, match="not a training or data parameter"):
        gannet.cv(data, cache="x")
    with pytest.raises(OSError):
        gannet.cv(str(data) + ".missing")


def test_tune_mf_halving_equals_the_cli(tmp_path, gannet_cli):
    """kind mf: halving=True is passed through to gannet tune --halving."""
    rnd = np.random.default_rng(3)
    P, Q = rnd.normal(size=(50, 2)), rnd.normal(size=(30, 2))
    path = tmp_path / "r.csv"
    with open(path, "w") as f:
        f.write("user,item,rating\n")
        for u in range(50):
            for i in range(30):
                if rnd.random() < 0.4:
                    f.write("u%d,i%d,%.3f\n" % (u, i, 3 + P[u] @ Q[i] + rnd.normal(scale=0.2)))
    flags = ["--kind", "mf", "--user", "user", "--item", "item", "--rating", "rating", "--passes", "8"]
    cli = json.loads(run_cli(gannet_cli, "tune", "-d", path, "-k", "3", "--threads", "1", *flags, "--grid",
                             "l2=0.03,0.3,3", "--halving", "--json", "-q").stdout)
    py = gannet.tune(path, grid={"l2": [0.03, 0.3, 3]}, k=3, threads=1, halving=True, kind="mf", user="user",
                     item="item", rating="rating", passes=8)
    assert _strip(py) == _strip(cli)
    assert any(r["dropped"] for r in py["results"]) and sum(r["passes"] for r in py["results"]) < 3 * 8
