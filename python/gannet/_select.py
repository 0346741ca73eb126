"""Model selection from Python: gannet.cv and gannet.tune stream data files through the C
pipeline (gannet/select.h: every fold and configuration learns in one shared pass over the
files, memory bounded by the model tables), as `gannet cv` and `gannet tune` do, and return what
their `--json` prints, as Python dicts (metrics by name, parameters as JSON reads them)."""
import json
import math
import os

from . import _gannet, _params


def _paths(paths):
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return [os.fspath(p) for p in paths]


def _flags(format, params):
    """{name: text} of the training and data parameters (`gannet params`), defaults left out."""
    for name in params:
        p = _params.BY_NAME.get(name)
        if p is None or p["group"] not in ("train", "data"):
            raise ValueError("'%s' is not a training or data parameter (see `gannet params`)" % name)
    flags = _params.to_params(dict(params))
    if format != "auto":
        flags["format"] = format
    return flags


def _result(r, names=()):
    """A configuration's row as `--json` prints it."""
    return {"params": {name: _json_value(text) for name, text in names},
            "folds": [json.loads(f) for f in r["folds"]], "mean": json.loads(r["mean"]),
            "std": json.loads(r["std"]), "seconds": r["seconds"], "passes": r["passes"], "dropped": r["dropped"]}


def _json_value(text):
    """A searched value as the CLI's JSON writes it: a number when it reads as one, else text."""
    try:
        d = float(text)
    except ValueError:
        return text
    if not math.isfinite(d) or text.strip() != text:
        return text
    s = "%.15g" % d
    if float(s) != d:
        s = "%.17g" % d
    return json.loads(s)


def cv(paths, k=5, format="auto", **params):
    """k-fold cross-validation of one configuration over data files, as `gannet cv -d PATHS -k K
    --json [flags]`: {"params": {}, "folds": [metrics...], "mean": metrics, "std": metrics,
    "seconds", "passes", "dropped"}; metrics are dicts (examples, logloss, auc, accuracy, rmse,
    mae...). params: training and data parameters of `gannet params` (l2=, passes=, label=,
    threads=, seed=...)."""
    return _result(_gannet.cv(_flags(format, params), _paths(paths), int(k)))


def tune(paths, grid=None, space=None, n_iter=None, k=5, metric="auto", halving=False, max_memory=0,
         format="auto", **params):
    """Cross-validates every configuration of a grid ("l2=1e-4,1e-3;lr=0.1,0.5", or a dict
    name -> list of values) or n_iter configurations drawn from a space ("l2=log(1e-6,1e-2);
    passes=int(1,5)") in one shared stream of passes over the files, as `gannet tune --json`:
    {"metric": name, "best": index, "results": [rows as cv returns them, with "params"]}. The
    other keywords are `gannet tune`'s (metric, halving, max_memory in bytes) and the fixed
    training and data parameters; kind="mf" (with user=, item=, rating=) searches matrix
    factorization by rmse (ndcg@10 with implicit=True) or metric="ndcg@K" etc., and halving=True
    there halves over epoch budgets (docs/model-selection.md)."""
    if (grid is None) == (space is None):
        raise ValueError("tune: give grid or space (with n_iter)")
    if isinstance(grid, dict):
        grid = ";".join("%s=%s" % (name, ",".join(_params.to_text(name, v) for v in values))
                        for name, values in grid.items())
    if space is not None and not n_iter:
        raise ValueError("tune: space needs n_iter (how many configurations to draw)")
    metric_name, best, rows = _gannet.tune(_flags(format, params), _paths(paths), int(k), grid, space,
                                           int(n_iter or 0), None if metric == "auto" else metric, bool(halving),
                                           int(max_memory))
    return {"metric": metric_name, "best": best, "results": [_result(r, names) for names, r in rows]}
