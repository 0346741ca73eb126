"""MatrixFactorization: the kind mf (`gannet train --kind mf`, docs/recommend.md) as a scikit-learn
estimator. fit(X, y) takes X of two columns, user and item ids (strings or integers; a numpy array,
a list of pairs or a DataFrame), and y the ratings (None with implicit=True: each row counts 1).

Training runs in memory (gn_train_mf_rows, with the GIL released): the ids go to the library as
they are (integer columns as an int64 vector, which the library reads as decimal text; other
columns as str), mapped to dense indices in the order they first appear, the ratings as float64
rounded to float, exactly as the CSV reader reads the same rows from a file: the model is the one
`gannet train --kind mf` trains on that file (tested). Ids are kept byte for byte (1 to 4096 bytes
of UTF-8, no NUL: the library refuses others with the row, as ValueError).

Ids are compared as text: an integer id 42 is "42" (a float id 42.0 would be "42.0": give
integers as integers). recommend() gives items back as int when every item id given to fit was an
integer, as str otherwise (and for models from gannet.load, which keep text only).

Prediction (gn_model_mf_predict) and recommend (gn_model_recommend) run with the GIL released."""
import numbers

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from . import _frame, _gannet, _params
from ._model import Model

# The keywords: parameters of the table that kind mf reads (docs/recommend.md), with its defaults.
MF_PARAMS = ("rank", "optimizer", "l2", "lr", "passes", "implicit", "alpha", "threads", "seed", "max_memory")


def _id_texts(col, what):
    """The ids of one column as str (integers in decimal); (texts, all integers)."""
    a = np.asarray(col)
    if a.dtype.kind in "iu":
        return [str(v) for v in a.tolist()], True
    if a.dtype.kind == "b":
        raise ValueError("%s ids: expected strings or integers, got booleans" % what)
    values = a.tolist()
    if a.dtype.kind == "U" or all(type(v) is str for v in values):  # the common case, without a test per id below
        return values, not values
    out, ints = [], True
    for v in values:
        if type(v) is str:
            out.append(v)
            ints = False
            continue
        if isinstance(v, (numbers.Integral,)) and not isinstance(v, bool):
            out.append(str(int(v)))
            continue
        ints = False
        if isinstance(v, float) and v.is_integer():
            raise ValueError("%s ids: %r is a float; give integer ids as integers (ids are compared as text)" % (what, v))
        out.append(v if isinstance(v, str) else str(v))
    return out, ints


def _id_column(col, what):
    """One column of ids as train_mf takes it: a contiguous int64 vector for integer ids (the
    library writes them in decimal), else a tuple of str; (column, all integers)."""
    a = np.asarray(col)
    if a.dtype.kind == "i" or (a.dtype.kind == "u" and (a.size == 0 or a.max() <= np.iinfo(np.int64).max)):
        return np.ascontiguousarray(a, dtype=np.int64), True
    texts, ints = _id_texts(a, what)
    return tuple(texts), ints


def _pairs(X, as_columns=False):
    """(users, items, user ids all integers, item ids all integers, column names or None) of X:
    a DataFrame of two columns, or anything numpy reads as n x 2; as_columns: (the two columns as
    arrays, column names or None)."""
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
    if as_columns:
        return cols, names
    users, uint = _id_texts(cols[0], "user")
    items, iint = _id_texts(cols[1], "item")
    return users, items, uint, iint, names


def _rows(X, y):
    """The rows of fit/partial_fit as train_mf takes them: (users, items, item ids all integers,
    y as a float64 vector or None, column names or None); ValueError for a y of another length,
    ratings that are not finite, or no rows."""
    cols, names = _pairs(X, as_columns=True)
    n = len(cols[0])
    if y is not None:
        y = np.ascontiguousarray(y, dtype=np.float64)
        if y.ndim != 1 or len(y) != n:
            raise ValueError("y must be one rating per row of X (%d rows, y of shape %r)" % (n, y.shape))
        if not np.isfinite(y).all():
            raise ValueError("y: ratings must be finite numbers")
    if not n:
        raise ValueError("X: no rows (kind mf needs at least one rating)")
    users, _ = _id_column(cols[0], "user")
    items, iint = _id_column(cols[1], "item")
    return users, items, iint, y, names


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
        params.update(kind="mf", user="user", item="item")  # the columns `gannet eval` reads a CSV file by
        if rating:
            params["rating"] = "rating"
        return params

    def fit(self, X, y=None):
        """Trains on the (user, item) rows of X with ratings y (None: implicit feedback, each row
        counting 1; needs implicit=True), in memory (see the module's comment)."""
        if y is None and not self.implicit:
            raise ValueError("y (the ratings) is required unless implicit=True")
        users, items, iint, y, names = _rows(X, y)
        handle, summary = _gannet.train_mf(self._train_params(y is not None), users, items, y)
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

    def partial_fit(self, X, y=None):
        """Trains further on more (user, item) rows of X with ratings y (gn_update_mf_rows): ids
        fit has not seen are added (factors drawn as training draws them, biases 0) and the rows
        join the users' seen items. Explicit ratings: then `passes` SGD epochs (1 when passes is
        'auto') over these rows alone, at lr and l2 as SGD reads them (0: SGD's defaults), whatever
        optimizer fit used. Implicit feedback (y None: each row counts 1): fold-in, the new users'
        and new items' factors solved by weighted ALS from their rows with every other factor
        fixed (`passes` alternations, 3 when 'auto'); known users and items keep their factors
        (the model keeps which items a user saw, not the values: fit again to solve them anew).
        Before any fit it is fit(X, y)."""
        if not hasattr(self, "model_"):
            return self.fit(X, y)
        if y is None and not self.model_._h.mf_info()["implicit"]:
            raise ValueError("y (the ratings) is required by partial_fit of an explicit model")
        users, items, iint, y, _ = _rows(X, y)
        handle, summary = _gannet.train_mf(self._train_params(y is not None), users, items, y, self.model_._h)
        self.model_ = Model(handle)
        self.train_summary_ = summary
        self._int_items = bool(getattr(self, "_int_items", False)) and iint
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
