#!/usr/bin/env bash
# bench/fm_softmax_digits.sh: factorization machines over K classes (--kind fm --loss softmax) on
# scikit-learn's bundled digits table (1797 rows of 64 pixel columns, 0-16; 10 classes), rows 1-4
# of every 5 to train, the 5th to test. Test accuracy and training time (median of RUNS) of
# gannet's linear softmax and softmax fm (rank 8 and 16), all with default flags (the factors
# follow each pixel's scale, docs/factorization.md), and scikit-learn's multinomial
# LogisticRegression (default C = 1), with fm's time as a ratio of linear's. Skips when the
# table is not installed. (ffm cannot take digits: 10 classes x (1 + 64 fields x rank) floats per
# slot exceed the 256 a model row holds.)
#   usage: bench/fm_softmax_digits.sh   env: RUNS (3)
BENCH_DATA=${BENCH_DATA:-/tmp/gannet-digits-bench}
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-3}
DIGITS=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
[ -r "$DIGITS" ] || { echo "skip: $DIGITS is not installed"; exit 0; }
build_gannet
M=$(mktemp -d)
trap 'rm -rf "$M"' EXIT
zcat "$DIGITS" | awk 'NR % 5 != 0' > "$M/train.csv"
zcat "$DIGITS" | awk 'NR % 5 == 0' > "$M/test.csv"

secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
acc() { "$GANNET" eval -m "$1" -d "$M/test.csv" --json | $PY -c 'import json, sys; print("%.4f" % json.load(sys.stdin)["accuracy"])'; }

echo "== digits: $(wc -l < "$M/train.csv") train / $(wc -l < "$M/test.csv") test rows, 10 classes; median of $RUNS runs"
printf '%-52s %8s %8s %8s\n' "model" "accuracy" "train s" "x linear"
lin_t=""
for cfg in "linear softmax (defaults)|--loss softmax" \
    "fm softmax rank 8 (defaults)|--loss softmax --kind fm" \
    "fm softmax rank 16|--loss softmax --kind fm --rank 16"; do
    name=${cfg%%|*}
    read -r -a flags <<< "${cfg#*|}"
    t=$(for _ in $(seq "$RUNS"); do secs "$GANNET" train -d "$M/train.csv" --label 65 "${flags[@]}" -m "$M/m.model" --quiet; done | median)
    [ -n "$lin_t" ] || lin_t=$t
    printf '%-52s %8s %8.2f %8.2f\n' "gannet $name" "$(acc "$M/m.model")" "$t" "$(echo "$t / $lin_t" | bc -l)"
done
$PY - "$M/train.csv" "$M/test.csv" "$RUNS" <<'PY'
import sys, time, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
warnings.simplefilter("ignore")
tr = np.loadtxt(sys.argv[1], delimiter=","); te = np.loadtxt(sys.argv[2], delimiter=",")
ts = []
for _ in range(int(sys.argv[3])):
    t0 = time.time(); m = LogisticRegression(max_iter=5000).fit(tr[:, :64], tr[:, 64]); ts.append(time.time() - t0)
print("%-52s %8.4f %8.2f" % ("scikit-learn LogisticRegression (multinomial, C=1)", m.score(te[:, :64], te[:, 64]), sorted(ts)[len(ts) // 2]))
PY
