"""pandas DataFrames as the CSV reader reads a CSV file of the same table. Training writes the
frame (and the labels as one more column) to a temporary CSV file with pandas' own writer
(numbers in round-trip form, missing values as empty fields) and trains on it through the C
pipeline, as `gannet train -d FILE --label NAME` would: so each column is hashed exactly as the
CSV reader hashes it (namespace = the column name; numbers one feature per column, other values a
feature per value; empty fields and the missing-value tokens add nothing; roles detected as the
reader detects them). Prediction hands the columns to the library by name
(gn_model_predict_named, the server's path, which reads each value as the CSV reader reads a
field): numeric columns as float64 (NaN missing), the others as text (None missing). pandas is
optional: without it nothing here is used."""
import math
import os
import tempfile

import numpy as np


def is_frame(X):
    """True for a pandas DataFrame (without importing pandas when it is not loaded)."""
    pd = _pandas()
    return pd is not None and isinstance(X, pd.DataFrame)


def _pandas():
    import sys
    return sys.modules.get("pandas")


def _numeric(series):
    pd = _pandas()
    t = pd.api.types
    return t.is_numeric_dtype(series.dtype) and not t.is_bool_dtype(series.dtype)


def needs_csv(X):
    """True when a frame has a column that is not numbers (strings, categories, objects, bools):
    the CSV reader's hashing then applies. All-numeric frames are arrays (column j = index j+1)."""
    return any(not _numeric(X[c]) for c in X.columns)


def names(X):
    cols = [str(c) for c in X.columns]
    if len(set(cols)) != len(cols):
        raise ValueError("DataFrame column names must be distinct (the CSV reader hashes by name)")
    return cols


def label_name(cols):
    """A name for the label column that no feature column has."""
    name = "label"
    while name in cols:
        name = "_" + name
    return name


def train_csv(X, y, directory):
    """Writes X with y as its last column to a CSV file in directory: (path, label column)."""
    cols = names(X)
    label = label_name(cols)
    frame = X.copy()
    frame.columns = cols
    frame[label] = np.asarray(y)
    path = os.path.join(directory, "frame.csv")
    frame.to_csv(path, index=False)
    return path, label


def columns(X):
    """(names, columns) for Model.predict_columns."""
    cols = names(X)
    out = []
    for c in X.columns:
        s = X[c]
        if _numeric(s):
            out.append(np.ascontiguousarray(s.to_numpy(dtype=np.float64, na_value=np.nan)))
        else:
            out.append([None if _missing(v) else str(v) for v in s.tolist()])
    return cols, out


def _missing(v):
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    pd = _pandas()
    return v is pd.NA or v is pd.NaT


def fit_frame(est, X, y):
    """Trains est on the frame through a temporary CSV file (see the module's comment)."""
    with tempfile.TemporaryDirectory(prefix="gannet-frame-") as d:
        path, label = train_csv(X, y, d)
        est.fit_files([path], format="csv", label=label)
    est.n_features_in_ = X.shape[1]
    est.feature_names_in_ = np.array(names(X), dtype=object)
    return est
