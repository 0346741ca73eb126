#!/usr/bin/env bash
# bench/oaa_batch.sh: one-against-all with the batch solvers (issue 14) against softmax L-BFGS and
# the online learners, on scikit-learn's digits (1437 train / 360 test rows, 10 classes) and on
# bench/netrecords.sh's generated network records (23 skewed classes; generated once into
# $BENCH_DATA/netrecords). Prints test accuracy, macro-F1 and the median training seconds of
# REPS runs for each model, all with --threads 1.
#   usage: bench/oaa_batch.sh [REPS] [NET_TRAIN_ROWS] [NET_TEST_ROWS]   (defaults 3 50000 20000)
source "$(dirname "$0")/common.sh"
REPS=${1:-3}
NTR=${2:-50000}
NTE=${3:-20000}
build_gannet
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# run NAME TRAIN TEST FLAGS...: trains REPS times, evaluates the last model, prints a row
run() {
    local name=$1 tr=$2 te=$3
    shift 3
    local times=()
    for _ in $(seq "$REPS"); do
        local s e
        s=$(date +%s.%N)
        "$GANNET" train -d "$tr" "$@" --threads 1 -m "$OUT/m.model" -q >/dev/null 2>"$OUT/err" || { cat "$OUT/err"; return; }
        e=$(date +%s.%N)
        times+=("$(echo "$e - $s" | bc)")
    done
    "$GANNET" eval -m "$OUT/m.model" -d "$te" > "$OUT/eval.txt"
    printf "%-40s %9.4f %9.4f %9.2f\n" "$name" "$(awk '$1 == "accuracy" {print $2}' "$OUT/eval.txt")" \
        "$(awk '$1 == "macro" && $2 == "f1" {print $3}' "$OUT/eval.txt")" \
        "$(printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
}

echo "# bench/oaa_batch.sh $REPS $NTR $NTE (commit $(git -C "$GN_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'),"
echo "#   $(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)); median seconds of $REPS"

SK=$("$PY" -c 'import sklearn, os; print(os.path.dirname(sklearn.__file__))' 2>/dev/null || true)
DIGITS=$SK/datasets/data/digits.csv.gz
if [ -n "$SK" ] && [ -r "$DIGITS" ]; then
    zcat "$DIGITS" | awk 'NR % 5 != 0' > "$OUT/dtrain.csv"
    zcat "$DIGITS" | awk 'NR % 5 == 0' > "$OUT/dtest.csv"
    printf "%-40s %9s %9s %9s\n" "digits (10 classes)" accuracy macro-F1 seconds
    F=(--label 65)
    run "softmax lbfgs --l2 100" "$OUT/dtrain.csv" "$OUT/dtest.csv" "${F[@]}" --loss softmax --optimizer lbfgs --l2 100
    run "oaa lbfgs --l2 100" "$OUT/dtrain.csv" "$OUT/dtest.csv" "${F[@]}" --oaa --optimizer lbfgs --l2 100
    run "oaa owlqn --l1 10" "$OUT/dtrain.csv" "$OUT/dtest.csv" "${F[@]}" --oaa --optimizer owlqn --l1 10
    run "oaa online (ftrl, auto passes)" "$OUT/dtrain.csv" "$OUT/dtest.csv" "${F[@]}" --oaa
    run "softmax online (ftrl, auto passes)" "$OUT/dtrain.csv" "$OUT/dtest.csv" "${F[@]}" --loss softmax
else
    echo "# digits: scikit-learn's table not found, skipped"
fi

D=$BENCH_DATA/netrecords
mkdir -p "$D"
TR=$D/train_$NTR.csv
TE=$D/test_$NTE.csv
[ -s "$TR" ] && [ -s "$TE" ] || "$PY" "$GN_SRC/bench/gen-netrecords.py" "$NTR" "$NTE" "$TR" "$TE" 2> "$D/counts.txt"
printf "%-40s %9s %9s %9s\n" "netrecords (23 classes)" accuracy macro-F1 seconds
N=(--label attack --categorical protocol,service,flag --log-numeric)
run "softmax lbfgs --l2 1" "$TR" "$TE" "${N[@]}" --loss softmax --optimizer lbfgs --l2 1
run "oaa lbfgs --l2 1" "$TR" "$TE" "${N[@]}" --oaa --optimizer lbfgs --l2 1
run "oaa lbfgs --l2 1 --balanced" "$TR" "$TE" "${N[@]}" --oaa --optimizer lbfgs --l2 1 --balanced
run "oaa online (ftrl, 3 passes)" "$TR" "$TE" "${N[@]}" --oaa --passes 3
run "softmax online (ftrl, 3 passes)" "$TR" "$TE" "${N[@]}" --loss softmax --passes 3
