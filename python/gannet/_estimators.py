"""scikit-learn estimators over libgannet: LinearClassifier (binary: logistic, hinge; more than 2
classes: softmax), LinearRegressor (squared, quantile, poisson), FMClassifier and FMRegressor
(kind fm). Their keywords are the library's training parameters (gannet/params.h), so
`LinearClassifier(l2=1e-3, passes=5)` trains what `gannet train --l2 1e-3 --passes 5` trains.

fit(X, y) with passes='auto' (the default) is one online run over the arrays in memory, stopped on
the progressive loss (_fit_auto_passes); with other settings the rows are streamed from the arrays
in place into a compressed binary cache in a temporary directory (gn_cache_write_matrix: no copy
of the matrix in memory), gn_train reads that cache with the GIL released (multi-threaded as
`threads` says, several passes as `passes` says), and the cache is deleted. More than 2 classes
train the softmax kind the same ways (labels: the class indices; gn_online_new_classes,
gn_cache_write_matrix_classes). DataFrames with text columns go through a temporary CSV file
(_frame.py). fit_files(paths, ...) trains on files through the same C pipeline as the CLI, out of
core. Prediction reads the arrays in place: linear models through their column form (a
matrix-vector product), other kinds in blocks of rows (gn_model_predict_matrix).

Column j of X is LIBSVM feature index j+1: a model trained here and `gannet predict` on the
equivalent LIBSVM file give the same numbers, and models trained by the CLI on LIBSVM data
predict arrays here.

Hooks for the model kinds of other issues: _KIND names the model kind a class trains (FM classes
set "fm"). MatrixFactorization (kind mf, _mf.py) is an estimator of its own: its X is ids, not
features; load() hands mf models to it."""
import os
import tempfile
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from . import _frame, _gannet, _params
from ._arrays import as_matrix
from ._model import Model

_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))
_ACCEPT = dict(accept_sparse="csr", dtype=(np.float64, np.float32), order=None, accept_large_sparse=True)


def _fast_csr(X):
    """True for a scipy CSR matrix that _gannet reads in place as it is (float32/float64 values,
    int32/int64 indices of one width): prediction skips scikit-learn's input validation for it."""
    if getattr(X, "format", None) != "csr" or not sp.issparse(X):
        return False
    d, i, p = X.data.dtype, X.indices.dtype, X.indptr.dtype
    return d in _FLOATS and d.isnative and i == p and i in (np.int32, np.int64) and X.ndim == 2


def _two_numeric_classes(y):
    """(classes, index of each label in classes) as np.unique(y, return_inverse=True) gives them,
    for a validated numeric y (finite: _validate_data checked) of exactly two distinct integral
    values, the case check_classification_targets calls 'binary'; None for anything else, which
    then takes the general path (and its errors). Linear time, where np.unique sorts (0.5 ms of
    a9a's 11 ms fit)."""
    if not isinstance(y, np.ndarray) or y.ndim != 1 or y.dtype.kind not in "biuf" or len(y) < 2:
        return None
    first = y[0]
    other = y != first
    i = int(other.argmax())
    if not other[i]:
        return None
    second = y[i]
    if not (y[other] == second).all():
        return None
    if y.dtype.kind == "f" and (first != np.floor(first) or second != np.floor(second)):
        return None  # not class labels: check_classification_targets raises
    high = max(first, second)
    return np.array([min(first, second), high], dtype=y.dtype), (y == high).astype(np.intp)


def _make_init(params):
    """An explicit __init__(self, *, name=default, ...) as scikit-learn's get_params reads it."""
    args = ", ".join("%s=%r" % (name, default) for name, default in params)
    body = "".join("    self.%s = %s\n" % (name, name) for name, _ in params) or "    pass\n"
    ns = {}
    exec("def __init__(self, *, %s):\n%s" % (args, body), ns)  # noqa: S102 - names from the table
    return ns["__init__"]


class _GannetEstimator(BaseEstimator):
    _KIND = "linear"
    _LOSSES = ()           # losses this estimator accepts
    _LABEL_KIND = None     # "binary" or "real"

    # ---- parameters ------------------------------------------------------------------------
    def _train_params(self, extra=None):
        values = {name: getattr(self, name) for name, _ in _params.estimator_params()}
        params = _params.to_params(values)
        if self.loss not in self._LOSSES:
            raise ValueError("loss: %r is not one of %s for %s" % (self.loss, "|".join(self._LOSSES),
                                                                   type(self).__name__))
        params["kind"] = self._KIND
        if extra:
            params.update(_params.to_params(extra))
        return params

    # ---- training --------------------------------------------------------------------------
    def _fit_arrays(self, X, y, sample_weight, classes, extra=None):
        self._online = None  # fit starts over: a partial_fit run is not continued
        params = self._train_params(extra)
        matrix, n = as_matrix(X)
        w = None if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if _auto_passes_in_memory(params):
            return self._fit_auto_passes(params, X, matrix, y, w, classes)
        with tempfile.TemporaryDirectory(prefix="gannet-fit-") as d:
            cache = os.path.join(d, "fit.gncache")
            _gannet.write_cache(cache, params, matrix, y, w, classes)
            handle, summary = _gannet.train(params, None, cache)
        self._set_model(Model(handle), summary)
        return self

    def _fit_auto_passes(self, params, X, matrix, y, w, classes):
        """passes='auto' from arrays: one online run over the rows in memory (no cache file, no
        refit), pass after pass, stopping by scikit-learn's SGD rule (tol, n_iter_no_change): a
        pass counts as no improvement when its mean progressive loss (each example scored before
        it is learned from: an honest validation loss in the first pass, the training loss SGD
        measures in later ones) is not AUTO_PASSES_TOL below the best pass's. It stops at the first
        such pass: with per-feature adaptive steps (FTRL, AdaGrad) that loss falls smoothly, so one
        flat pass means convergence (SGD's patience of 5 absorbs its noisier epochs); early_stop,
        when given, is the patience instead (0: never). At most the CLI's passes=auto cap:
        max(10, AUTO_PASSES_UPDATES / features of a pass), and AUTO_PASSES_MAX."""
        features = _features_per_pass(X, params)
        cap = min(_gannet.AUTO_PASSES_MAX, max(10, _gannet.AUTO_PASSES_UPDATES // max(1, features)))
        patience = int(self.early_stop) if "early_stop" in params else 1
        online = _gannet.Online(params, classes)
        # small data is converted once (converting would be a third of every pass); large arrays
        # are read in place each pass (no copy of X)
        rows = online.prepare(matrix, y, w, PREPARED_ROWS_MAX)
        best, since, done = np.inf, 0, (0.0, 0.0)
        losses = []
        for _ in range(cap):
            if rows is not None:
                online.learn_rows(rows)
            else:
                online.learn(matrix, y, w)
            total = online.loss
            weight = total[1] - done[1]
            loss = (total[0] - done[0]) / weight if weight > 0 else 0.0
            done = total
            losses.append(loss)
            since = since + 1 if loss > best - AUTO_PASSES_TOL else 0
            best = min(best, loss)
            if patience and since >= patience:
                break
        self._set_model(Model(online.model()), {"passes": len(losses), "examples": online.examples,
                                                "progressive_loss": losses[-1], "pass_losses": losses,
                                                "auto_passes": 1})
        return self

    def fit_files(self, paths, format="auto", **data_flags):
        """Trains on data files (LIBSVM, CSV/TSV, VW; gzip/zstd; "-" is stdin) streamed through the
        C pipeline as `gannet train -d PATH ...` would, with this estimator's parameters and the
        data flags (label=, categorical=, sep=, header=, skip_bad=, ...; names of `gannet params`).
        Memory stays bounded by the batch size, not the data size."""
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        flags = dict(data_flags)
        flags["format"] = format
        for name in flags:
            p = _params.BY_NAME.get(name)
            if p is None or p["group"] != "data":
                raise ValueError("fit_files: '%s' is not a data parameter (see `gannet params`)" % name)
        params = self._train_params(flags)
        self._online = None  # a partial_fit run is not continued
        handle, summary = _gannet.train(params, [os.fspath(p) for p in paths], None)
        self._set_model(Model(handle), summary)
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(self, attr):
                delattr(self, attr)
        return self

    def _learn_online(self, X, y, sample_weight, classes, extra=None):
        """partial_fit's step: one pass over these rows, continuing the run of the earlier
        partial_fit calls (weights and optimizer state kept in C between calls)."""
        online = getattr(self, "_online", None)
        if online is None:
            online = _gannet.Online(self._train_params(extra), classes)
        matrix, _ = as_matrix(X)
        w = None if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
        online.learn(matrix, np.ascontiguousarray(y, dtype=np.float64), w)
        self._online = online
        self._set_model(Model(online.model()), {"passes": 1, "examples": online.examples})
        return self

    def _first_partial_fit(self):
        """True when partial_fit starts a run. A model from fit(), fit_files(), load() or a pickle
        cannot be continued (model files keep the weights, not the optimizer state): partial_fit
        then starts a new online run, with a warning that the old model is replaced."""
        if getattr(self, "_online", None) is not None:
            return False
        if hasattr(self, "model_"):
            warnings.warn("partial_fit starts a new online run: this model comes from fit(), fit_files(), "
                          "gannet.load() or a pickle, whose optimizer state is not kept (model files hold the "
                          "weights only), so it cannot be continued and is replaced", UserWarning, stacklevel=3)
            for attr in ("model_", "classes_", "n_features_in_", "feature_names_in_"):
                if attr in self.__dict__:
                    delattr(self, attr)
        return True

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_online", None)  # C state: pickles keep the model only (see partial_fit)
        return state

    def _set_model(self, model, summary=None):
        self.model_ = model
        self._column_order = None  # softmax fit sets it: the model's classes in classes_ order
        self.train_summary_ = summary or {}
        # passes over the data (online), or solver iterations (lbfgs, owlqn)
        summary = self.train_summary_
        self.n_iter_ = int(summary.get("iterations") or summary.get("passes") or 0) or None
        if self._LABEL_KIND == "binary":
            self.classes_ = np.array(model.classes, dtype=object)  # fit/partial_fit put theirs back

    # ---- the model -------------------------------------------------------------------------
    @property
    def info(self):
        """The model's metadata, as `gannet inspect --json` prints it."""
        check_is_fitted(self, "model_")
        return self.model_.info

    def save(self, path):
        """Writes the model file (atomically): `gannet serve`, `predict` and `inspect` read it."""
        check_is_fitted(self, "model_")
        self.model_.save(path)

    def _check_X(self, X):
        check_is_fitted(self, "model_")
        if _fast_csr(X) and "feature_names_in_" not in self.__dict__:
            # what _validate_data checks of such a matrix, without its passes over the arrays:
            # finiteness and the column indices are checked by the C loop that reads them
            n = self.__dict__.get("n_features_in_")
            if n is not None and X.shape[1] != n:
                raise ValueError("X has %d features, but %s is expecting %d features as input."
                                 % (X.shape[1], type(self).__name__, n))
            if X.shape[0] < 1 or X.shape[1] < 1:
                return self._validate_data(X, reset=False, **_ACCEPT)  # its error message
            return X
        return self._validate_data(X, reset=False, **_ACCEPT)

    def _validate_fit(self, X, y, y_numeric=False):
        """fit's _validate_data(X, y), without its passes over a CSR matrix that _gannet reads as
        it is (_fast_csr): the C loop that converts the rows checks finiteness and the column
        indices (errors naming row and column). A numeric y of matching length is checked here as
        scikit-learn would (finite); anything else takes _validate_data and its messages."""
        if (_fast_csr(X) and "feature_names_in_" not in self.__dict__ and isinstance(y, np.ndarray) and y.ndim == 1
                and y.dtype.kind in "biuf" and len(y) == X.shape[0] >= 1 and X.shape[1] >= 1
                and (y.dtype.kind != "f" or np.isfinite(y).all())):
            self._check_n_features(X, reset=True)
            self._check_feature_names(X, reset=True)
            return X, (y.astype(np.float64) if y_numeric and y.dtype.kind != "f" else y)
        return self._validate_data(X, y, y_numeric=y_numeric, **_ACCEPT)

    def _frame_predictions(self, X):
        """Predictions of a DataFrame read by column name as the CSV reader reads a file (models
        trained from CSV data: a frame with text columns, `gannet train` on a CSV file); None
        for other inputs and models."""
        check_is_fitted(self, "model_")
        if not _frame.is_frame(X) or self.model_.spec.get("format") != "csv":
            return None
        expected = getattr(self, "feature_names_in_", None)
        names, cols = _frame.columns(X)
        if expected is not None and list(expected) != names:
            raise ValueError("the DataFrame's columns %r differ from those fit had %r" % (names, list(expected)))
        out = np.empty(X.shape[0], dtype=np.float64)
        self.model_._h.predict_columns(names, cols, out)
        return out

    def _fit_frame(self, X, y, sample_weight):
        """fit(X, y) for a DataFrame with text columns: through a CSV file (gannet/_frame.py)."""
        if sample_weight is not None:
            raise ValueError("sample_weight with a DataFrame of text columns is not supported yet")
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != X.shape[0]:
            raise ValueError("y must be one label per row of X (%d rows, y of shape %r)" % (X.shape[0], y.shape))
        self._online = None
        return _frame.fit_frame(self, X, y)

    def _weights_by_column(self):
        """coef_ and intercept_ when every column has a slot of its own (Model.linear_form)."""
        check_is_fitted(self, "model_")
        n = getattr(self, "n_features_in_", None)
        form = None if n is None else self.model_.linear_form(n)
        if form is None:
            raise AttributeError("coef_ is defined when each column has a slot of its own: a linear model fit on "
                                 "arrays with n_features_in_ < 2^bits - 1 and libsvm_hash off")
        return form

    # Online learning is order-dependent: scikit-learn's zero-weight check shuffles the rows, so
    # the data without the zero-weight rows comes in another order (SGDClassifier marks it so too).
    _XFAIL = {"check_sample_weights_invariance": "zero sample_weight is not equivalent to removing samples: "
              "online learning depends on the order of the rows, which the check shuffles"}

    def _more_tags(self):
        return {"allow_nan": False, "requires_y": True, "_xfail_checks": dict(self._XFAIL)}


class LinearClassifier(ClassifierMixin, _GannetEstimator):
    """A binary linear classifier (logistic regression by default, or a hinge-loss SVM) trained
    by libgannet. Keywords: the training parameters of `gannet params` (loss, optimizer, lr, l1,
    l2, passes, holdout, threads, ...), with the library's defaults. classes_[1] is the positive
    class. More than 2 classes (or loss='softmax') train the softmax kind: classes_ sorted,
    predict_proba with one column per class."""
    _LOSSES = ("logistic", "hinge", "softmax")
    _LABEL_KIND = "binary"

    def fit(self, X, y, sample_weight=None):
        if _frame.is_frame(X) and _frame.needs_csv(X):
            check_classification_targets(y)
            classes = np.unique(y)
            if len(classes) != 2:
                raise ValueError("%s needs samples of exactly 2 classes with a DataFrame of text columns; got %d"
                                 % (type(self).__name__, len(classes)))
            self._fit_frame(X, y, sample_weight)
            self.classes_ = np.array([_class_of(name, classes) for name in self.model_.classes], dtype=classes.dtype)
            return self
        X, y = self._validate_fit(X, y)
        two = _two_numeric_classes(y)
        if two is not None:
            classes, y_index = two
        else:
            check_classification_targets(y)
            classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) > 2 or self.loss == "softmax":
            return self._fit_multiclass(X, y_index, classes, sample_weight)
        if len(classes) != 2:
            raise ValueError("%s needs samples of at least 2 classes; got %d class%s (%s)"
                             % (type(self).__name__, len(classes), "" if len(classes) == 1 else "es",
                                ", ".join(map(str, classes[:5]))))
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        y_sign = np.where(y_index == 1, 1.0, -1.0)
        self._fit_arrays(X, y_sign, sample_weight, (str(classes[0]), str(classes[1])))
        self.classes_ = classes
        return self

    def _fit_multiclass(self, X, y_index, classes, sample_weight):
        """More than 2 classes (or loss='softmax'): the softmax kind (`gannet train --loss
        softmax`), K weights per slot, trained from the arrays in memory as binary fits are (an
        online run, or the binary cache for gn_train) with the class index of each row as its
        label: the model's class i is classes_[i] (named by _class_names)."""
        if self.loss not in ("logistic", "softmax"):
            raise ValueError("loss %r is binary; more than 2 classes train with loss='softmax'" % self.loss)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        self._fit_arrays(X, y_index.astype(np.float64), sample_weight, _class_names(classes), extra={"loss": "softmax"})
        self.classes_ = classes
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Online continuation: learns from these rows once, in order, continuing from the weights
        and optimizer state of the earlier partial_fit calls (as SGDClassifier.partial_fit). The
        first call needs `classes` (every class, as scikit-learn asks) unless y holds them all:
        2 classes train the binary model of `loss`, more (or loss='softmax') the softmax kind,
        classes_ sorted as np.unique sorts them. A model from fit(), load() or a pickle cannot be
        continued (model files keep no optimizer state): partial_fit then starts a new run, with a
        UserWarning."""
        first = self._first_partial_fit()
        X, y = self._validate_data(X, y, reset=first, **_ACCEPT)
        check_classification_targets(y)
        if first:
            cls = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            multi = len(cls) > 2 or self.loss == "softmax"
            if len(cls) < 2:
                raise ValueError("%s needs at least 2 classes; got %d class%s (%s)"
                                 % (type(self).__name__, len(cls), "" if len(cls) == 1 else "es",
                                    ", ".join(map(str, cls[:5]))))
            if multi and self.loss not in ("logistic", "softmax"):
                raise ValueError("loss %r is binary; more than 2 classes train with loss='softmax'" % self.loss)
            self._multiclass = multi
            self.classes_ = cls
        elif classes is not None and np.unique(np.asarray(classes)).tolist() != self.classes_.tolist():
            raise ValueError("classes %r differ from those of the first partial_fit call %r"
                             % (list(classes), list(self.classes_)))
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ValueError("y holds %r, which is not one of the classes %r" % (y[unknown][0], list(self.classes_)))
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        classes_ = self.classes_
        if getattr(self, "_multiclass", False):
            y_index = np.searchsorted(classes_, y).astype(np.float64)
            self._learn_online(X, y_index, sample_weight, _class_names(classes_), extra={"loss": "softmax"})
        else:
            y_sign = np.where(y == classes_[1], 1.0, -1.0)
            self._learn_online(X, y_sign, sample_weight, (str(classes_[0]), str(classes_[1])))
        self.classes_ = classes_
        return self

    def _positive(self, X):
        """The library's prediction: probability of classes_[1] (logistic) or the margin; for
        softmax the K class probabilities, in classes_ order."""
        p = self._frame_predictions(X)
        if p is not None:
            return p
        X = self._check_X(X)
        return self._in_class_order(self.model_.predict(X))

    def _in_class_order(self, out):
        """K columns of a softmax model in classes_ order (fit sorts the classes as
        np.unique does; a model loaded from a file keeps its own order)."""
        order = getattr(self, "_column_order", None)
        if out.ndim == 2 and order is not None:
            return out[:, order]
        return out

    def decision_function(self, X):
        """Raw scores (log-odds for logistic); > 0 leans to classes_[1]."""
        p = self._frame_predictions(X)
        if p is not None:  # the library predicts probabilities by name: their log-odds
            return np.log(p) - np.log1p(-p) if self.model_.loss == "logistic" else p
        X = self._check_X(X)
        return self._in_class_order(self.model_.decision_function(X))

    def _has_proba(self):
        """predict_proba exists for the logistic and softmax losses (hasattr says so, as in
        scikit-learn)."""
        loss = self.model_.loss if hasattr(self, "model_") else self.loss
        if loss not in ("logistic", "softmax"):
            raise AttributeError("predict_proba needs loss='logistic' (this is %r)" % loss)
        return True

    @available_if(_has_proba)
    def predict_proba(self, X):
        """[P(classes_[0]), P(classes_[1])] per row (logistic), or the K class probabilities in
        classes_ order (softmax)."""
        check_is_fitted(self, "model_")
        if self.model_.outputs == 1 and not _frame.is_frame(X):  # [1 - p, p] made in C, in one array
            return self.model_.predict_pairs(self._check_X(X))
        p = self._positive(X)
        if p.ndim == 2:
            return p
        out = np.empty((p.shape[0], 2))
        out[:, 1] = p
        np.subtract(1.0, p, out=out[:, 0])
        return out

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """classes_[1] when P >= 0.5 (logistic) or the margin >= 0 (hinge), as `gannet predict
        --output class` decides."""
        check_is_fitted(self, "model_")
        if self.model_.loss == "logistic" and not _frame.is_frame(X):
            # P >= 0.5 is the raw score >= 0 (no exp per row), but for scores in (-1e-6, 0),
            # whose probability may round to 0.5: those rows are decided by their probability
            X = self._check_X(X)
            score = self.model_.decision_function(X)
            positive = score >= 0.0
            edge = np.flatnonzero((score < 0.0) & (score > -1e-6))
            if edge.size:
                positive[edge] = self.model_.predict(X[edge]) >= 0.5
            return self.classes_[positive.astype(np.intp)]
        pred = self._positive(X)
        if pred.ndim == 2:
            return self.classes_[np.argmax(pred, axis=1)]
        cut = 0.5 if self.model_.loss == "logistic" else 0.0
        return self.classes_[(pred >= cut).astype(np.intp)]

    @property
    def coef_(self):
        coef, _ = self._weights_by_column()
        return coef.reshape(1, -1)

    @property
    def intercept_(self):
        _, b = self._weights_by_column()
        return np.array([b])

    def _more_tags(self):
        if self._KIND != "linear":
            return {"binary_only": True}  # fm: binary
        return {"binary_only": False, "_xfail_checks": dict(self._XFAIL)}


class LinearRegressor(RegressorMixin, _GannetEstimator):
    """A linear regressor (squared loss by default; quantile, poisson) trained by libgannet.
    Keywords: the training parameters of `gannet params`."""
    _LOSSES = ("squared", "quantile", "poisson")
    _LABEL_KIND = "real"

    def fit(self, X, y, sample_weight=None):
        if _frame.is_frame(X) and _frame.needs_csv(X):
            return self._fit_frame(X, y, sample_weight)
        X, y = self._validate_fit(X, y, y_numeric=True)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        return self._fit_arrays(X, y, sample_weight, None)

    def partial_fit(self, X, y, sample_weight=None):
        """Online continuation: learns from these rows once, in order, continuing from the weights
        and optimizer state of the earlier partial_fit calls (as SGDRegressor.partial_fit). A model
        from fit(), load() or a pickle cannot be continued: partial_fit then starts a new run, with
        a UserWarning."""
        first = self._first_partial_fit()
        X, y = self._validate_data(X, y, y_numeric=True, reset=first, **_ACCEPT)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        return self._learn_online(X, y, sample_weight, None)

    def predict(self, X):
        """The value the loss defines (exp(score) for poisson); raw scores (the log-rate for
        poisson) are model_.decision_function(X): scikit-learn's regressors have no
        decision_function."""
        p = self._frame_predictions(X)
        if p is not None:
            return p
        X = self._check_X(X)
        return self.model_.predict(X)

    @property
    def coef_(self):
        coef, _ = self._weights_by_column()
        return coef

    @property
    def intercept_(self):
        _, b = self._weights_by_column()
        return float(b)


# passes='auto' from arrays stops when a pass's mean progressive loss is not AUTO_PASSES_TOL below
# the best pass's, early_stop passes in a row: scikit-learn's SGD rule (tol=1e-3, absolute).
AUTO_PASSES_TOL = 1e-3
# passes='auto' converts the rows once when that copy takes at most this many bytes (about 8 per
# nonzero: 4 million nonzeros), and reads larger arrays in place every pass
PREPARED_ROWS_MAX = 32 << 20
# Parameters whose use needs gn_train (several threads, a holdout, shuffling, batch solvers, class
# weights, one-against-all): with any of them, fit(X, y) writes a cache and calls gn_train.
_NEEDS_TRAIN = ("passes", "holdout", "shuffle", "shuffle_buffer", "class_weights", "balanced", "oaa", "warm_start")


def _auto_passes_in_memory(params):
    """True when fit(X, y) trains in memory on the calling thread (passes auto, an online
    optimizer, threads 0 or 1, none of _NEEDS_TRAIN)."""
    if any(name in params for name in _NEEDS_TRAIN):
        return False
    if params.get("optimizer") in ("lbfgs", "owlqn"):
        return False
    return params.get("threads", "0") in ("0", "1")


def _features_per_pass(X, params):
    """Features read in one pass over X (nonzeros, plus the bias per row), for the passes cap."""
    nnz = X.nnz if hasattr(X, "nnz") else int(np.count_nonzero(X))
    return nnz + (X.shape[0] if params.get("bias", "true") == "true" else 0)


def _class_names(classes):
    """The names a multiclass model gives classes (sorted as np.unique sorts them; the model's
    class i is classes[i]): their text when each is one LIBSVM label token (one word without ':'
    or '#', so that `gannet predict` reads it back) and no two read as the same label (the library
    reads "1" and "1.0" as one class); else "0".."K-1"."""
    names = [str(c) for c in classes]
    if any(not t or any(ch.isspace() for ch in t) or ":" in t or "#" in t for t in names):
        return [str(i) for i in range(len(names))]
    keys = set()
    for t in names:
        try:
            key = ("number", float(t))
        except ValueError:
            key = ("text", t)
        if key in keys or (key[0] == "number" and key[1] != key[1]):
            return [str(i) for i in range(len(names))]
        keys.add(key)
    return names


def _class_of(name, classes):
    """The label of y that the model's class name (its canonical text) stands for."""
    for c in classes:
        if str(c) == name:
            return c
    for c in classes:
        try:
            if float(c) == float(name):
                return c
        except (TypeError, ValueError):
            pass
    raise ValueError("the model's class %r is none of y's labels %r" % (name, list(classes)))


def _defaults(cls):
    out = []
    for name, default in _params.estimator_params():
        if name == "loss":
            default = cls._LOSSES[0]
        out.append((name, default))
    return out


class FMClassifier(LinearClassifier):
    """A factorization machine classifier (Rendle 2010; `gannet train --kind fm`): a linear model
    plus pairwise interactions through `rank` latent factors per slot (initialised in
    [-fm_init, fm_init] from `seed`, regularised by fm_l2). Keywords, inputs and outputs as
    LinearClassifier's: more than 2 classes (or loss='softmax') train a softmax fm (`--kind fm
    --loss softmax`: each class its own linear weights and factors); no coef_ (the model is not
    linear in its columns)."""
    _KIND = "fm"
    _LOSSES = ("logistic", "hinge", "softmax")


class FMRegressor(LinearRegressor):
    """A factorization machine regressor (`gannet train --kind fm`, squared loss by default);
    see FMClassifier."""
    _KIND = "fm"


for _cls in (LinearClassifier, LinearRegressor, FMClassifier, FMRegressor):
    _cls.__init__ = _make_init(_defaults(_cls))


def load(path):
    """Reads a model file (from `gannet train`, the server or save()) as a fitted estimator:
    LinearClassifier (FMClassifier for kind fm) for binary losses (classes_ = the class names
    stored in the file), LinearRegressor (FMRegressor) otherwise, MatrixFactorization for kind mf.
    Its .model_ is the gannet.Model."""
    model = Model.load(path)
    if model.kind == "mf":
        from ._mf import from_model
        return from_model(model)
    kind = _gannet.loss_label_kind(model.loss)
    classes = (FMClassifier, FMRegressor) if model.kind == "fm" else (LinearClassifier, LinearRegressor)
    classify = kind == "binary" or model.loss == "softmax"  # softmax (and oaa) models: K classes
    est = classes[0](loss=model.loss) if classify else classes[1](loss=model.loss)
    est._set_model(model)
    return est
