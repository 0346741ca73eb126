"""The library's parameter table (include/gannet/params.h) seen from Python: the estimators'
keyword names, their defaults and the conversion of Python values to the text gn_param_set reads.
One table drives the CLI flags and these keywords, so a keyword means what the flag means."""
from . import _gannet

TABLE = _gannet.params()
BY_NAME = {p["name"]: p for p in TABLE}

# Data parameters that apply to arrays (column j is LIBSVM index j+1); the rest (CSV columns,
# separators, line limits) only concern files: fit_files(**data_flags) takes them.
ARRAY_DATA = ("bits", "bias", "libsvm_hash")
# Run parameters that make sense for an in-memory fit (the cache and checkpoints are internal).
ARRAY_RUN = ("shuffle", "shuffle_buffer")
# Set by the estimator itself, never a keyword.
FIXED = ("kind",)


def default_value(p):
    """The table's default as a Python value: True/False, an int, a float, or the text ('auto')."""
    text = p["default"]
    if p["type"] == "bool":
        return text == "true"
    if p["type"] in ("int", "real"):
        try:
            return int(text) if p["type"] == "int" else float(text)
        except ValueError:
            return text  # "auto"
    if p["type"] == "text" and text in ("", "-"):
        return None
    return text


_ESTIMATOR_PARAMS = None


def estimator_params():
    """(name, default) of every keyword of the array estimators, in the table's order."""
    global _ESTIMATOR_PARAMS
    if _ESTIMATOR_PARAMS is None:
        _ESTIMATOR_PARAMS = tuple(_estimator_params())
    return _ESTIMATOR_PARAMS


def _estimator_params():
    out = []
    for p in TABLE:
        if p["name"] in FIXED:
            continue
        if p["group"] == "train" or p["name"] in ARRAY_DATA or p["name"] in ARRAY_RUN:
            out.append((p["name"], default_value(p)))
    return out


def to_text(name, value):
    """A keyword's value as the text gn_param_set parses (ValueError names the keyword). A choice
    with a 'none' value takes False for it (scikit-learn sets warm_start=False in its checks)."""
    p = BY_NAME.get(name)
    if p is not None and p["type"] == "choice" and value is False and "none" in p["choices"].split("|"):
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    try:  # numpy scalars
        import numpy as np
        if isinstance(value, np.bool_):
            return "true" if value else "false"
        if isinstance(value, np.integer):
            return str(int(value))
        if isinstance(value, np.floating):
            return repr(float(value))
    except ImportError:  # pragma: no cover
        pass
    raise ValueError("%s: expected a number, a bool or text, got %r" % (name, value))


def to_params(values):
    """{name: text} of the values other than the table's default (None is the default too): a
    keyword left at its default is not given at all, as a flag left off the command line (some
    parameters imply others when given: shuffle_buffer implies shuffle)."""
    out = {}
    for name, value in values.items():
        p = BY_NAME.get(name)
        if p is None:
            raise ValueError("unknown parameter '%s'" % name)
        if value is None:
            continue
        text = to_text(name, value)
        if text == _default_text(name, p):
            continue
        out[name] = text
    return out


_DEFAULT_TEXT = {}


def _default_text(name, p):
    """to_text of the table's default (None when the default is None), computed once per name."""
    if name not in _DEFAULT_TEXT:
        default = default_value(p)
        _DEFAULT_TEXT[name] = None if default is None else to_text(name, default)
    return _DEFAULT_TEXT[name]
