#!/usr/bin/env bash
# test_breast_cancer.sh: scikit-learn's bundled breast_cancer table (Debian's python3-sklearn;
# 569 rows, 30 unscaled columns from 1e-3 to 4e3): gannet with default flags comes within 0.005
# AUC of scikit-learn's LogisticRegression on standardized columns, on a fixed split (every 3rd
# row is test). Skips when scikit-learn is not installed.
. "$(dirname "$0")/lib.sh"
G=$GANNET
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import sklearn, numpy' 2>/dev/null || skip "scikit-learn is not installed (python3-sklearn)"
CSV=$("$PY" -c 'import os, sklearn; print(os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data", "breast_cancer.csv"))')
[ -r "$CSV" ] || skip "no breast_cancer.csv in scikit-learn"
# the first line (569,30,malignant,benign) is not a header; the label (target 0/1) is the last column
tail -n +2 "$CSV" | awk 'NR % 3 == 0 { print > "'"$T"'/test.csv"; next } { print > "'"$T"'/train.csv" }'
run_ok "$G" train -d "$T/train.csv" -m "$T/bc.gnm" --label 31 --quiet
run_ok "$G" eval -m "$T/bc.gnm" -d "$T/test.csv" --json
ours=$(json_get "$T/out" .auc)
theirs=$("$PY" - "$T/train.csv" "$T/test.csv" <<'PY'
import sys, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler
tr, te = (np.loadtxt(p, delimiter=",") for p in sys.argv[1:3])
sc = StandardScaler().fit(tr[:, :-1])
m = LogisticRegression(max_iter=10000).fit(sc.transform(tr[:, :-1]), tr[:, -1])
print(roc_auc_score(te[:, -1], m.decision_function(sc.transform(te[:, :-1]))))
PY
) || fail "scikit-learn failed"
echo "gannet default flags AUC $ours, scikit-learn LogisticRegression (standardized) $theirs"
python3 -c "import sys; sys.exit(0 if $ours >= $theirs - 0.005 else 1)" ||
    fail "default flags: AUC $ours, more than 0.005 below scikit-learn's $theirs"
ok "breast_cancer: default flags within 0.005 AUC of LogisticRegression on standardized columns"
