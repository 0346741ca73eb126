#!/usr/bin/python3
"""bench/realdata_peers.py: the scikit-learn (and xgboost, when installed) peers of bench/realdata.sh.

usage: realdata_peers.py criteo TRAIN.tsv TEST.tsv
       realdata_peers.py imdb TRAIN.vw TEST.vw
       realdata_peers.py table TRAIN.csv TEST.csv LABEL_COLUMN

Needs Debian's python3-sklearn and python3-numpy (/usr/bin/python3). Fits on TRAIN, scores TEST
and prints one line per model: "NAME AUC LOGLOSS SECONDS" (SECONDS: fitting and scoring, loading
excluded), or "NAME skipped REASON". Deterministic (fixed seeds, single-threaded solvers).
  criteo: raw Kaggle TSV (label, 13 integer columns, 26 categorical); numeric columns mean-imputed
          and standardised (StandardScaler), categoricals one-hot (a missing value is its own
          category, unseen test values ignored); LogisticRegression at C = 0.01, 0.1, 1;
          xgboost's XGBClassifier on the raw numbers (missing as NaN) and the one-hot columns.
  imdb:   VW files "LABEL |w tok tok ..." as written by bench/imdb_to_vw.py; TfidfVectorizer +
          LogisticRegression(C=1), and the same tf-idf + SGDClassifier (log loss, one epoch).
  table:  a numeric CSV without header; LABEL_COLUMN (1-based) holds 0/1; the other columns
          standardised; LogisticRegression(C=1).
"""
import sys
import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

warnings.filterwarnings("ignore")


def report(name, y, p, seconds):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    print("%s %.6f %.6f %.2f" % (name, roc_auc_score(y, p), log_loss(y, p), seconds), flush=True)


def fit_score(name, model, Xtr, ytr, Xte, yte):
    t = time.perf_counter()
    model.fit(Xtr, ytr)
    p = model.predict_proba(Xte)[:, 1]
    report(name, yte, p, time.perf_counter() - t)


def read_criteo(path):
    y, num, cat = [], [], []
    with open(path, encoding="ascii") as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) != 40:
                sys.exit("%s: expected 40 tab-separated columns, found %d" % (path, len(c)))
            y.append(int(c[0]))
            num.append([float(v) if v else np.nan for v in c[1:14]])
            cat.append(c[14:40])
    return np.array(y), np.array(num), np.array(cat, dtype=object)


def criteo(train, test):
    ytr, ntr, ctr = read_criteo(train)
    yte, nte, cte = read_criteo(test)
    mean = np.nanmean(ntr, axis=0)
    fill = lambda a: np.where(np.isnan(a), mean, a)
    scaler = StandardScaler().fit(fill(ntr))
    onehot = OneHotEncoder(handle_unknown="ignore").fit(ctr)
    from scipy.sparse import csr_matrix, hstack
    Xtr = hstack([csr_matrix(scaler.transform(fill(ntr))), onehot.transform(ctr)]).tocsr()
    Xte = hstack([csr_matrix(scaler.transform(fill(nte))), onehot.transform(cte)]).tocsr()
    for C in (0.01, 0.1, 1.0):
        fit_score("sklearn-LogisticRegression-C=%g" % C,
                  LogisticRegression(C=C, max_iter=5000, solver="lbfgs"), Xtr, ytr, Xte, yte)
    try:
        import xgboost
    except ImportError:
        print("xgboost skipped not-installed (python3-xgboost)")
        return
    # trees need no scaling: raw numbers, NaN = missing (xgboost's default), and the one-hot columns
    Xtr = hstack([csr_matrix(ntr), onehot.transform(ctr)]).tocsr()
    Xte = hstack([csr_matrix(nte), onehot.transform(cte)]).tocsr()
    fit_score("xgboost-XGBClassifier-200-trees-depth-6",
              xgboost.XGBClassifier(n_estimators=200, max_depth=6, learning_rate=0.1,
                                    tree_method="hist", n_jobs=1, random_state=0),
              Xtr, ytr, Xte, yte)


def read_vw(path):
    y, docs = [], []
    with open(path, encoding="ascii") as f:
        for line in f:
            label, text = line.rstrip("\n").split(" |w ", 1)
            y.append(1 if float(label) > 0 else 0)
            docs.append(text)
    return np.array(y), docs


def imdb(train, test):
    from sklearn.feature_extraction.text import TfidfVectorizer
    ytr, dtr = read_vw(train)
    yte, dte = read_vw(test)
    t = time.perf_counter()
    vec = TfidfVectorizer(analyzer=str.split)
    Xtr = vec.fit_transform(dtr)
    Xte = vec.transform(dte)
    vectorize = time.perf_counter() - t   # counted in both models' seconds
    for name, model in (("sklearn-Tfidf+LogisticRegression-C=1", LogisticRegression(C=1.0, solver="liblinear")),
                        ("sklearn-Tfidf+SGDClassifier-log-1-epoch",
                         SGDClassifier(loss="log_loss", max_iter=1, tol=None, random_state=0))):
        t = time.perf_counter()
        model.fit(Xtr, ytr)
        report(name, yte, model.predict_proba(Xte)[:, 1], vectorize + time.perf_counter() - t)


def table(train, test, label_col):
    tr = np.loadtxt(train, delimiter=",")
    te = np.loadtxt(test, delimiter=",")
    j = int(label_col) - 1
    Xtr, ytr = np.delete(tr, j, axis=1), tr[:, j]
    Xte, yte = np.delete(te, j, axis=1), te[:, j]
    scaler = StandardScaler().fit(Xtr)
    fit_score("sklearn-StandardScaler+LogisticRegression-C=1", LogisticRegression(C=1.0, max_iter=5000),
              scaler.transform(Xtr), ytr, scaler.transform(Xte), yte)


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] not in ("criteo", "imdb", "table"):
        sys.exit(__doc__.split("\n\n")[1])
    {"criteo": criteo, "imdb": imdb, "table": table}[sys.argv[1]](*sys.argv[2:])
