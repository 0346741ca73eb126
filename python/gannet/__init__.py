"""gannet: scikit-learn estimators over libgannet, a C11 library for large-scale linear models
(factorization machines, matrix factorization).

    import gannet
    clf = gannet.LinearClassifier(l2=1e-4).fit(X, y)      # X: numpy or scipy.sparse CSR
    clf.predict_proba(X_test)
    clf.save("model.gnm")                                 # `gannet serve` / `predict` read it
    clf = gannet.load("model.gnm")                        # models from `gannet train` too
    clf.fit_files(["train.svm"], format="libsvm")         # out of core, as the CLI trains
    gannet.tune(["train.svm"], grid={"l2": [1e-4, 1e-3]}, k=5)  # as `gannet tune --json`
    mf = gannet.MatrixFactorization(rank=16).fit(user_item_pairs, ratings)  # `--kind mf`
    mf.recommend("u42", k=10)                             # [(item, score), ...]

Keywords are the library's parameters (`gannet params`, gannet.params()); see python/README.md."""
from . import _gannet
from ._estimators import FMClassifier, FMRegressor, LinearClassifier, LinearRegressor, load
from ._mf import MatrixFactorization
from ._model import Model
from ._select import cv, tune

__version__ = _gannet.version()
__all__ = ["FMClassifier", "FMRegressor", "LinearClassifier", "LinearRegressor", "MatrixFactorization", "Model", "cv", "load", "params", "tune"]


def params():
    """The library's parameter table: a list of dicts (name, flag, type, group, default, choices,
    min, max, searchable, help), the same rows as `gannet params`."""
    return _gannet.params()
