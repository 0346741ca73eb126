"""Arrays as the C extension reads them, in place: a dense float32/float64 2-D array with any
strides (C or Fortran order, slices), or scipy CSR as ("csr", indptr, indices, data, n_cols).
Only what cannot be read in place is converted: other dtypes to float64, CSC/COO/... to CSR,
and CSR indptr/indices of different integer widths to int64 (scipy's CSR has equal widths)."""
import numpy as np

try:
    import scipy.sparse as sp
except ImportError:  # pragma: no cover - scipy is a dependency, but keep dense arrays working
    sp = None

FLOATS = (np.float64, np.float32)


def as_matrix(X):
    """(what _gannet reads, number of rows)."""
    if sp is not None and sp.issparse(X):
        if X.format != "csr":
            X = X.tocsr()
        if X.dtype not in FLOATS or not X.dtype.isnative:
            X = X.astype(np.float64)
        indptr, indices = X.indptr, X.indices
        if indptr.dtype != indices.dtype or indptr.dtype not in (np.int32, np.int64):
            indptr, indices = indptr.astype(np.int64), indices.astype(np.int64)
        return ("csr", indptr, indices, X.data, X.shape[1]), X.shape[0]
    X = np.asarray(X)
    if X.dtype not in FLOATS or not X.dtype.isnative:
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise ValueError("expected a 2-D array, got %d dimensions" % X.ndim)
    return X, X.shape[0]
