"""Models cross between Python and the CLI: Python fit -> save -> `gannet predict` on the
equivalent LIBSVM file gives Python's numbers; `gannet train` -> gannet.load -> predict gives the
CLI's; fit_files trains what `gannet train` trains on the same files and flags."""
import os

import numpy as np
import scipy.sparse as sp

import gannet
from conftest import binary_data, run_cli, write_libsvm


def read_numbers(path):
    with open(path) as f:
        return np.array([float(line) for line in f])


def test_python_fit_then_cli_predict(tmp_path, gannet_cli):
    X, y = binary_data(sparse_frac=0.3)
    X[:, 3] *= 1e-3  # values far from 1 and many digits
    clf = gannet.LinearClassifier(l2=1e-3).fit(sp.csr_matrix(X), y)
    model = tmp_path / "m.gnm"
    clf.save(model)
    data = tmp_path / "x.svm"
    write_libsvm(data, X, y)
    run_cli(gannet_cli, "predict", "-m", model, "-d", data, "-o", tmp_path / "p.txt")
    cli = read_numbers(tmp_path / "p.txt")
    py = clf.predict_proba(X)[:, 1]
    # the CLI prints %.9g: equal to that precision
    np.testing.assert_allclose(cli, py, rtol=5e-9, atol=1e-12)
    run_cli(gannet_cli, "predict", "-m", model, "-d", data, "--output-type", "class", "-o", tmp_path / "c.txt")
    with open(tmp_path / "c.txt") as f:
        classes = np.array([int(line) for line in f])
    np.testing.assert_array_equal(classes, clf.predict(X))
    # and `gannet inspect` reads it
    r = run_cli(gannet_cli, "inspect", "-m", model)
    assert "logistic" in r.stdout


def test_string_classes_reach_the_cli(tmp_path, gannet_cli):
    X, y = binary_data()
    names = np.array(["<=50K", ">50K"], dtype=object)[y]
    clf = gannet.LinearClassifier().fit(X, names)
    clf.save(tmp_path / "m.gnm")
    write_libsvm(tmp_path / "x.svm", X, names)
    run_cli(gannet_cli, "predict", "-m", tmp_path / "m.gnm", "-d", tmp_path / "x.svm", "--output-type", "class",
            "-o", tmp_path / "c.txt")
    with open(tmp_path / "c.txt") as f:
        cli = [line.strip() for line in f]
    assert cli == list(clf.predict(X))


def test_cli_train_then_python_load(tmp_path, gannet_cli):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 8))
    y = X @ rng.normal(size=8) + 0.5
    write_libsvm(tmp_path / "r.svm", X, y)
    run_cli(gannet_cli, "train", "-d", tmp_path / "r.svm", "-m", tmp_path / "r.gnm", "--loss", "squared")
    reg = gannet.load(tmp_path / "r.gnm")
    assert isinstance(reg, gannet.LinearRegressor) and reg.loss == "squared"
    run_cli(gannet_cli, "predict", "-m", tmp_path / "r.gnm", "-d", tmp_path / "r.svm", "-o", tmp_path / "p.txt")
    np.testing.assert_allclose(reg.predict(X), read_numbers(tmp_path / "p.txt"), rtol=5e-9, atol=1e-7)
    # a classifier: class names from the file
    Xc, yc = binary_data()
    write_libsvm(tmp_path / "c.svm", Xc, np.where(yc == 1, "spam", "ham"))
    run_cli(gannet_cli, "train", "-d", tmp_path / "c.svm", "-m", tmp_path / "c.gnm", "--positive", "spam")
    clf = gannet.load(tmp_path / "c.gnm")
    assert list(clf.classes_) == ["ham", "spam"]
    run_cli(gannet_cli, "predict", "-m", tmp_path / "c.gnm", "-d", tmp_path / "c.svm", "-o", tmp_path / "q.txt")
    np.testing.assert_allclose(clf.predict_proba(Xc)[:, 1], read_numbers(tmp_path / "q.txt"), rtol=5e-9)
    assert clf.info["loss"] == "logistic" and clf.model_.version == clf.info["version"]


def test_fit_files_trains_what_the_cli_trains(tmp_path, gannet_cli):
    X, y = binary_data(n=800)
    write_libsvm(tmp_path / "t.svm", X, y)
    run_cli(gannet_cli, "train", "-d", tmp_path / "t.svm", "-m", tmp_path / "cli.gnm", "--l2", "0.01",
            "--passes", "4", "--threads", "1")
    est = gannet.LinearClassifier(l2=0.01, passes=4, threads=1).fit_files([tmp_path / "t.svm"], format="libsvm")
    cli = gannet.load(tmp_path / "cli.gnm")
    np.testing.assert_array_equal(est.predict_proba(X), cli.predict_proba(X))
    assert est.info["data"]["files"] == cli.info["data"]["files"]
    # Model.predict_files streams as `gannet predict` does
    n = est.model_.predict_files(tmp_path / "t.svm", tmp_path / "p.txt")
    assert n == len(y)
    np.testing.assert_allclose(read_numbers(tmp_path / "p.txt"), est.predict_proba(X)[:, 1], rtol=5e-9)


def test_fit_files_csv_with_data_flags(tmp_path):
    path = tmp_path / "t.csv"
    rng = np.random.default_rng(5)
    with open(path, "w") as f:
        f.write("id,city,x,label\n")
        for i in range(300):
            x = rng.normal()
            f.write("%d,%s,%.6f,%s\n" % (i, "ab"[i % 2], x, "yes" if x > 0 else "no"))
    est = gannet.LinearClassifier().fit_files(path, label="label", categorical="city", ignore="id")
    assert list(est.classes_) == ["no", "yes"]
    assert est.model_.spec["format"] == "csv"
    assert os.path.getsize(path) > 0


def test_lbfgs_on_arrays_is_the_cli_model(tmp_path, gannet_cli):
    """The batch solvers read the matrix's cache alone: the same model as `gannet train
    --optimizer lbfgs` on the equivalent LIBSVM file (the same examples in the same order)."""
    X, y = binary_data(n=500, sparse_frac=0.2)
    write_libsvm(tmp_path / "t.svm", X, y)
    run_cli(gannet_cli, "train", "-d", tmp_path / "t.svm", "-m", tmp_path / "cli.gnm", "--optimizer", "lbfgs",
            "--l2", "0.1", "--threads", "1")
    est = gannet.LinearClassifier(optimizer="lbfgs", l2=0.1, threads=1).fit(X, y)
    cli = gannet.load(tmp_path / "cli.gnm")
    np.testing.assert_array_equal(est.decision_function(X), cli.decision_function(X))
    assert est.info["train"]["optimizer"] == "lbfgs" and est.n_iter_ > 0
