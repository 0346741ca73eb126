"""gannet.Model: a trained model (the file `gannet train` writes and `gannet serve` loads), with
prediction from arrays, metadata as `gannet inspect` shows it, and pickling through the model
file's bytes. Arrays are handed to the C library in place (see _arrays.as_matrix)."""
import json
import os
import tempfile

import numpy as np

from . import _gannet
from ._arrays import as_matrix


class Model:
    """A trained gannet model. Immutable; prediction is thread-safe and releases the GIL."""

    def __init__(self, handle):
        self._h = handle

    # ---- files and bytes -------------------------------------------------------------------
    @classmethod
    def load(cls, path):
        """Reads a model file written by `gannet train`, the server or Model.save (OSError if it
        is missing, truncated or corrupt)."""
        return cls(_gannet.load(os.fspath(path)))

    def save(self, path):
        """Writes the model file atomically; `gannet serve`, `predict` and `inspect` read it."""
        self._h.save(os.fspath(path))

    def to_bytes(self):
        """The model file's bytes (what save writes)."""
        with tempfile.TemporaryDirectory(prefix="gannet-") as d:
            p = os.path.join(d, "model.gnm")
            self._h.save(p)
            with open(p, "rb") as f:
                return f.read()

    @classmethod
    def from_bytes(cls, data):
        """A model from the bytes of a model file (checked as a file is: magic, version, checksum)."""
        with tempfile.TemporaryDirectory(prefix="gannet-") as d:
            p = os.path.join(d, "model.gnm")
            with open(p, "wb") as f:
                f.write(data)
            return cls(_gannet.load(p))

    def __reduce__(self):
        return (Model.from_bytes, (self.to_bytes(),))

    # ---- what it is ------------------------------------------------------------------------
    @property
    def info(self):
        """Metadata (kind, loss, spec, training flags, data and metrics summary) as a dict: the
        JSON `gannet inspect --json` prints."""
        return json.loads(self._h.metadata)

    kind = property(lambda self: self._h.kind, doc="the model kind ('linear')")
    loss = property(lambda self: self._h.loss, doc="the loss it was trained with")
    bits = property(lambda self: self._h.bits, doc="hash bits (2^bits weight slots)")
    outputs = property(lambda self: self._h.outputs, doc="numbers predicted per row")
    version = property(lambda self: self._h.version, doc="content identifier (16 hex digits)")
    nonzero = property(lambda self: self._h.nonzero, doc="number of nonzero weights")

    @property
    def classes(self):
        """Class names (binary: [negative, positive]); [] for regression."""
        return self._h.classes()

    @property
    def spec(self):
        """The data parameters its input is read with (name -> text)."""
        return self._h.spec()

    def weights(self):
        """Nonzero weights as (slots, values) arrays, strongest first."""
        pairs = self._h.weights()
        if not pairs:
            return np.zeros(0, np.int64), np.zeros(0)
        a = np.array(pairs)
        return a[:, 0].astype(np.int64), a[:, 1]

    def linear_form(self, n_columns):
        """(coef, intercept) with which the raw score of a row x of n_columns columns is
        intercept + coef @ x, when each column has a slot of its own (a linear model on LIBSVM
        input, n_columns < 2^bits, libsvm_hash off); None otherwise."""
        coef = np.zeros(n_columns)
        intercept = self._h.linear_form(coef)
        return None if intercept is None else (coef, intercept)

    # ---- prediction ------------------------------------------------------------------------
    def _run(self, X, raw):
        matrix, n = as_matrix(X)
        out = np.empty(n * self.outputs, dtype=np.float64)
        self._h.predict(matrix, out, raw)
        return out if self.outputs == 1 else out.reshape(n, self.outputs)

    def predict_pairs(self, X):
        """For a model of one output: [1 - p, p] per row, p as predict gives it (a binary
        model's predict_proba), made in C in one array."""
        matrix, n = as_matrix(X)
        out = np.empty((n, 2), dtype=np.float64)
        self._h.predict(matrix, out.reshape(-1), False, False, True)
        return out

    def predict(self, X):
        """What the loss defines per row (probability of the positive class, rate, value), as
        `gannet predict` prints for the equivalent LIBSVM rows (column j = index j+1)."""
        return self._run(X, False)

    def decision_function(self, X):
        """Raw scores before the loss's link."""
        return self._run(X, True)

    def predict_files(self, paths, out_path, classes=False):
        """`gannet predict` over files (streamed in C): one line per example into out_path;
        returns the number of predictions."""
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        return self._h.predict_files([os.fspath(p) for p in paths], os.fspath(out_path), bool(classes))

    def __repr__(self):
        return "<gannet.Model %s/%s bits=%d version=%s>" % (self.kind, self.loss, self.bits, self.version)
