#!/usr/bin/env bash
# bench/fm.sh: factorization machines (issue 15), all with default flags.
#  (a) quality on a generated frappe-like context-aware click set (bench/gen_ctr.py frappe: user,
#      item and 8 context fields with frappe's sizes, one-hot; clicks from a planted user x item
#      rank-8 interaction plus context effects; NTRAIN train rows, NTEST test rows): test AUC of
#      gannet's logistic regression (libFM file), the same with the full user x item cross
#      (--interactions user*item on the CSV form), --kind fm (libFM file), --kind ffm (libffm
#      file, --fields 10), scikit-learn's LogisticRegression on the one-hot matrix, and the
#      Bayes-optimal AUC of the planted probabilities (the ceiling);
#  (b) speed on a generated CTR set with 10 categorical fields (bench/gen_ctr.py ctr10): one
#      pass, examples/s of linear, fm and ffm with --threads 1 and 2, and fm/ffm as a fraction of
#      linear's: of the whole process (reading, parsing, making the table, learning, saving the
#      model: ffm's is 85 MB) and of the pass alone (train's "trained on N examples in X s").
# Data under BENCH_DATA (default /tmp/gannet-fm-bench), made once.
#   usage: bench/fm.sh   env: NTRAIN (200000), NTEST (50000), NSPEED (300000), RUNS (3), PARTS ("a b")
BENCH_DATA=${BENCH_DATA:-/tmp/gannet-fm-bench}
source "$(dirname "$0")/common.sh"
NTRAIN=${NTRAIN:-200000}
NTEST=${NTEST:-50000}
NSPEED=${NSPEED:-300000}
RUNS=${RUNS:-3}
PARTS=${PARTS:-a b}
build_gannet
FR=$BENCH_DATA/fr$NTRAIN
SP=$BENCH_DATA/ctr10_$NSPEED
[ -s "$FR.test.p" ] || { echo "generating $FR.*" >&2; $PY "$GN_SRC/bench/gen_ctr.py" frappe "$FR" "$NTRAIN" "$NTEST" 1; }
[ -s "$SP.test.p" ] || { echo "generating $SP.*" >&2; $PY "$GN_SRC/bench/gen_ctr.py" ctr10 "$SP" "$NSPEED" 1000 2; }
M=$(mktemp -d)
trap 'rm -rf "$M"' EXIT

auc() { "$GANNET" eval -m "$1" -d "$2" --json | $PY -c 'import json, sys; print("%.4f" % json.load(sys.stdin)["auc"])'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }

if [[ $PARTS == *a* ]]; then
echo "== (a) frappe-like: $NTRAIN train / $NTEST test rows, 10 one-hot fields; test AUC, default flags"
printf '%-44s %8s %8s\n' "model" "AUC" "train s"
row() { printf '%-44s %8s %8.2f\n' "$1" "$2" "$3"; }
t=$(secs "$GANNET" train -d "$FR.train.libfm" --format libfm -m "$M/lin.model" --quiet)
row "gannet logistic (libfm)" "$(auc "$M/lin.model" "$FR.test.libfm")" "$t"
t=$(secs "$GANNET" train -d "$FR.train.csv" --interactions 'user*item' -m "$M/cross.model" --quiet)
row "gannet logistic --interactions user*item" "$(auc "$M/cross.model" "$FR.test.csv")" "$t"
t=$(secs "$GANNET" train -d "$FR.train.libfm" --format libfm --kind fm -m "$M/fm.model" --quiet)
row "gannet --kind fm (rank 8)" "$(auc "$M/fm.model" "$FR.test.libfm")" "$t"
t=$(secs "$GANNET" train -d "$FR.train.libffm" --kind ffm --fields 10 -m "$M/ffm.model" --quiet)
row "gannet --kind ffm --fields 10 (rank 8)" "$(auc "$M/ffm.model" "$FR.test.libffm")" "$t"
t=$(secs "$GANNET" train -d "$FR.train.csv" --kind ffm -m "$M/ffmc.model" --quiet)
row "gannet --kind ffm (CSV columns)" "$(auc "$M/ffmc.model" "$FR.test.csv")" "$t"
$PY - "$FR" <<'EOF'
import sys, time
import numpy as np
from sklearn.datasets import load_svmlight_files
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
fr = sys.argv[1]
Xtr, ytr, Xte, yte = load_svmlight_files([fr + ".train.libfm", fr + ".test.libfm"], zero_based=True)
t0 = time.time()
clf = LogisticRegression(max_iter=1000).fit(Xtr, ytr)
t = time.time() - t0
print("%-44s %8.4f %8.2f" % ("sklearn LogisticRegression (one-hot, C=1)", roc_auc_score(yte, clf.decision_function(Xte)), t))
p = np.loadtxt(fr + ".test.p")
print("%-44s %8.4f %8s" % ("Bayes-optimal (planted probabilities)", roc_auc_score(yte, p), "-"))
EOF
fi

[[ $PARTS == *b* ]] || exit 0
echo
echo "== (b) speed: $NSPEED rows x 10 categorical fields, one pass, median of $RUNS runs (whole process)"
printf '%-28s %8s %12s %10s %14s %10s\n' "model" "threads" "examples/s" "/ linear" "pass ex/s" "/ linear"
for th in 1 2; do
    base=""
    pbase=""
    for cfg in "linear|$SP.train.libfm|--format libfm" "fm|$SP.train.libfm|--format libfm --kind fm" \
        "ffm|$SP.train.libffm|--kind ffm --fields 10"; do
        IFS='|' read -r name file flags <<<"$cfg"
        ts=()
        ps=()
        for _ in $(seq "$RUNS"); do
            t0=$(date +%s.%N)
            # shellcheck disable=SC2086
            "$GANNET" train -d "$file" $flags --passes 1 --threads "$th" -m "$M/s.model" > "$M/log" 2>&1 ||
                { cat "$M/log" >&2; exit 1; }
            t1=$(date +%s.%N)
            ts+=("$(echo "$t1 - $t0" | bc)")
            ps+=("$(sed -n 's/^trained on .* in 1 pass (\([0-9.]*\) s).*/\1/p' "$M/log")")
        done
        med=$(printf '%s\n' "${ts[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
        pmed=$(printf '%s\n' "${ps[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
        eps=$(echo "$NSPEED / $med" | bc)
        peps=$(echo "$NSPEED / $pmed" | bc)
        [ -n "$base" ] || base=$eps
        [ -n "$pbase" ] || pbase=$peps
        printf '%-28s %8s %12s %10.3f %14s %10.3f\n' "$name" "$th" "$eps" "$(echo "$eps / $base" | bc -l)" \
            "$peps" "$(echo "$peps / $pbase" | bc -l)"
    done
done
