"""MatrixFactorization: the kind mf (`gannet train --kind mf`, docs/recommend.md) as a scikit-learn
estimator. fit(X, y) takes X of two columns, user and item ids (strings or integers; a numpy array,
a list of pairs or a DataFrame), and y the ratings (None with implicit=True: each row counts 1).

Training goes through a temporary CSV file (the library trains kind mf from CSV files only; no
in-memory path exists yet): the ids are written with Python's csv writer (fields with the
separator, quotes or line breaks quoted, quotes doubled) and read back by the CSV reader, which
undoes exactly that quoting. What the reader cannot give back unchanged is refused before training
with a ValueError: an empty id, spaces at either end (the reader trims them), a line break, a NUL,
more than 4096 bytes. So the model's dictionaries hold the ids' exact text, and `gannet recommend`
on a saved model answers with the same strings.

Ids are compared as text: an integer id 42 is "42" (a float id 42.0 would be "42.0": give
integers as integers). recommend() gives items back as int when every item id given to fit was an
integer, as str otherwise (and for models from gannet.load, which keep text only).

Prediction (gn_model_mf_predict) and recommend (gn_model_recommend) run with the GIL released."""
import csv
import numbers
import os
import tempfile

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from . import _frame, _gannet, _params
from ._model import Model

# The keywords: parameters of the table that kind mf reads (docs/recommend.md), with its defaults.
MF_PARAMS = ("rank", "optimizer", "l2", "lr", "passes", "implicit", "alpha", "threads", "seed", "max_memory")
_MAX_ID_BYTES = 4096
_COLUMNS = ("user", "item", "rating")


def _id_texts(col, what):
    """The ids of one column as str (integers in decimal), checked to survive the CSV round trip;
    (texts, all integers)."""
    a = np.asarray(col)
    if a.dtype.kind in "iu":
        return [str(v) for v in a.tolist()], True
    if a.dtype.kind == "b":
        raise ValueError("%s ids: expected strings or integers, got booleans" % what)
    out, ints = [], True
    for v in a.tolist():
        if isinstance(v, (numbers.Integral,)) and not isinstance(v, bool):
            out.append(str(int(v)))
            continue
        ints = False
        if isinstance(v, float) and v.is_integer():
            raise ValueError("%s ids: %r is a float; give integer ids as integers (ids are compared as text)" % (what, v))
        out.append(v if isinstance(v, str) else str(v))
    return out, ints


def _check_ids(texts, what):
    """ValueError for an id the CSV reader would not give back unchanged."""
    for t in texts:
        if not t or t != t.strip() or "\n" in t or "\r" in t or "\0" in t or len(t.encode("utf-8")) > _MAX_ID_BYTES:
            raise ValueError("%s id %r cannot be used: ids must be non-empty, without spaces at either end, line "
                             "breaks or NUL, and at most %d bytes" % (what, t[:80], _MAX_ID_BYTES))


def _pairs(X):
    """(users, items, user ids all integers, item ids all integers, column names or None) of X:
    a DataFrame of two columns, or anything numpy reads as n x 2."""
    names = None
    if _frame.is_frame(X):
        if X.shape[1] != 2:
            raise ValueError("X: expected 2 columns (user, item), got %d" % X.shape[1])
        names = [str(c) for c in X.columns]
        cols = [X.iloc[:, 0].to_numpy(), X.iloc[:, 1].to_numpy()]
    else:
        a = np.asarray(X, dtype=object) if not isinstance(X, np.ndarray) else X
        if a.ndim != 2 or a.shape[1] != 2:
            raise ValueError("X: expected an (n, 2) array of (user, item) ids, got shape %r" % (a.shape,))
        cols = [a[:, 0], a[:, 1]]
        if a.dtype == object:  # keep the integer ids of a list of pairs integers
            cols = [np.array(c.tolist()) if all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                                 for v in c.tolist()) and len(c) else c for c in cols]
    users, uint = _id_texts(cols[0], "user")
    items, iint = _id_texts(cols[1], "item")
    return users, items, uint, iint, names


class MatrixFactorization(RegressorMixin, BaseEstimator):
    """Matrix factorization of (user, item, rating) data: `gannet train --kind mf`. Explicit
    ratings by ALS (default) or SGD, implicit feedback (implicit=True) by weighted ALS. Keywords
    are the CLI's flags (`gannet params`): rank (latent factors), optimizer ('auto'/'als'/'sgd'),
    l2 (0: the solver's default), lr (SGD), passes ('auto': the solver's default), implicit,
    alpha (confidence 1 + alpha * rating), threads (0: all cores), seed, max_memory (bytes; 0: no
    limit).

    predict(X) gives the model's rating (explicit) or preference (implicit) of each (user, item)
    row; score is R^2 of predict (RegressorMixin); recommend(user, k) the k best items."""

    def __init__(self, *, rank=8, optimizer="auto", l2=0.0, lr=0.0, passes="auto", implicit=False, alpha=10.0,
                 threads=0, seed=0, max_memory=0):
        self.rank = rank
        self.optimizer = optimizer
        self.l2 = l2
        self.lr = lr
        self.passes = passes
        self.implicit = implicit
        self.alpha = alpha
        self.threads = threads
        self.seed = seed
        self.max_memory = max_memory

    def _train_params(self, rating):
        params = _params.to_params({name: getattr(self, name) for name in MF_PARAMS})
        params.update(kind="mf", format="csv", sep=",", header="true", user="user", item="item")
        if rating:
            params["rating"] = "rating"
        return params

    def fit(self, X, y=None):
        """Trains on the (user, item) rows of X with ratings y (None: implicit feedback, each row
        counting 1; needs implicit=True). Through a temporary CSV file (see the module's comment)."""
        users, items, _, iint, names = _pairs(X)
        _check_ids(users, "user")
        _check_ids(items, "item")
        if y is None:
            if not self.implicit:
                raise ValueError("y (the ratings) is required unless implicit=True")
        else:
            y = np.asarray(y, dtype=np.float64)
            if y.ndim != 1 or len(y) != len(users):
                raise ValueError("y must be one rating per row of X (%d rows, y of shape %r)" % (len(users), y.shape))
            if not np.all(np.isfinite(y)):
                raise ValueError("y: ratings must be finite numbers")
        if not users:
            raise ValueError("X: no rows (kind mf needs at least one rating)")
        params = self._train_params(y is not None)
        with tempfile.TemporaryDirectory(prefix="gannet-mf-") as d:
            path = os.path.join(d, "ratings.csv")
            with open(path, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f, lineterminator="\n")
                if y is None:
                    w.writerow(_COLUMNS[:2])
                    w.writerows(zip(users, items))
                else:
                    w.writerow(_COLUMNS)
                    w.writerows(zip(users, items, map(repr, y.tolist())))
            handle, summary = _gannet.train(params, [path], None)
        self.model_ = Model(handle)
        self.train_summary_ = summary
        self.n_iter_ = int(summary.get("passes") or 0) or None
        self.n_features_in_ = 2
        self._int_items = iint
        if names is not None:
            self.feature_names_in_ = np.array(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    # ---- the model -------------------------------------------------------------------------
    @property
    def info(self):
        """The model's metadata, as `gannet inspect --json` prints it."""
        check_is_fitted(self, "model_")
        return self.model_.info

    @property
    def mf_info_(self):
        """{rank, users, items, interactions, implicit, mean} (gn_model_mf_info)."""
        check_is_fitted(self, "model_")
        return self.model_._h.mf_info()

    def save(self, path):
        """Writes the model file (atomically): `gannet recommend`, `predict` and `serve` read it."""
        check_is_fitted(self, "model_")
        self.model_.save(path)

    def known(self, user=None, item=None):
        """(user known, item known): whether fit saw these ids."""
        check_is_fitted(self, "model_")
        u = None if user is None else _id_texts([user], "user")[0][0]
        i = None if item is None else _id_texts([item], "item")[0][0]
        return self.model_._h.mf_has(u, i)

    # ---- prediction ------------------------------------------------------------------------
    def predict(self, X):
        """The predicted rating (explicit) or preference (implicit) of each (user, item) row of X,
        with the cold-start rules of docs/recommend.md for ids fit did not see."""
        check_is_fitted(self, "model_")
        users, items, _, _, _ = _pairs(X)
        out = np.empty(len(users), dtype=np.float64)
        if users:
            self.model_._h.mf_predict(users, items, out)
        return out

    def recommend(self, user, k=10, exclude_seen=True, exclude=None, candidates=None):
        """The k best items for user, best first, as [(item, score), ...] (gn_model_recommend, as
        `gannet recommend` and the server's :recommend answer): exclude_seen leaves out the
        user's training items, exclude the items given, candidates (when given) ranks only those.
        An unknown user gets the items' fallback (explicit: mean + item bias; implicit: the most
        popular)."""
        check_is_fitted(self, "model_")
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 0:
            raise ValueError("k: expected an integer >= 0, got %r" % (k,))
        u = _id_texts([user], "user")[0][0]
        ex = None if exclude is None else _id_texts(list(exclude), "item")[0]
        cand = None if candidates is None else _id_texts(list(candidates), "item")[0]
        pairs = self.model_._h.recommend(u, int(k), bool(exclude_seen), ex, cand)
        if getattr(self, "_int_items", False):
            return [(int(item), score) for item, score in pairs]
        return pairs


def from_model(model):
    """A fitted MatrixFactorization around a gannet.Model of kind mf (gannet.load)."""
    info = model._h.mf_info()
    est = MatrixFactorization(rank=int(info["rank"]), implicit=bool(info["implicit"]))
    est.model_ = model
    est.train_summary_ = {}
    est.n_iter_ = None
    est.n_features_in_ = 2
    est._int_items = False
    return est
