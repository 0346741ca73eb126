#!/usr/bin/env bash
# bench/netrecords.sh: network records with 23 attack classes (issue 14), the cyber-threat case.
# No such data is in ../shared/data, so bench/gen-netrecords.py generates a KDD Cup 99-like set
# (23 classes with KDD's skew, 3 categorical and 8 numeric columns; the rarest classes have 1-5
# test rows) into $BENCH_DATA/netrecords once. Reports test accuracy and macro-F1 (which the rare
# classes decide) of softmax and of one-against-all (--oaa, logistic), each with and without
# --balanced, all with the same flags, and the training seconds.
#   usage: bench/netrecords.sh [TRAIN_ROWS] [TEST_ROWS] [PASSES]   (defaults 200000 50000 3)
source "$(dirname "$0")/common.sh"
NTR=${1:-200000}
NTE=${2:-50000}
PASSES=${3:-3}
build_gannet
D=$BENCH_DATA/netrecords
mkdir -p "$D"
TR=$D/train_$NTR.csv
TE=$D/test_$NTE.csv
[ -s "$TR" ] && [ -s "$TE" ] || "$PY" "$GN_SRC/bench/gen-netrecords.py" "$NTR" "$NTE" "$TR" "$TE" 2> "$D/counts.txt"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
FLAGS=(--label attack --categorical protocol,service,flag --log-numeric --passes "$PASSES" --threads 1)
echo "# bench/netrecords.sh $NTR $NTE $PASSES (commit $(git -C "$GN_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'),"
echo "#   $(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)); flags: ${FLAGS[*]}"
printf "%-28s %9s %9s %9s\n" "23 classes" accuracy macro-F1 seconds
for model in "--loss softmax" "--oaa --loss logistic"; do
    for bal in "" "--balanced"; do
        s=$(date +%s.%N)
        # shellcheck disable=SC2086
        "$GANNET" train -d "$TR" "${FLAGS[@]}" $model $bal -m "$OUT/m.model" -q >/dev/null 2>&1
        e=$(date +%s.%N)
        "$GANNET" eval -m "$OUT/m.model" -d "$TE" > "$OUT/eval.txt"
        printf "%-28s %9.4f %9.4f %9.2f\n" "$model $bal" "$(awk '$1 == "accuracy" {print $2}' "$OUT/eval.txt")" \
            "$(awk '$1 == "macro" && $2 == "f1" {print $3}' "$OUT/eval.txt")" "$(echo "$e - $s" | bc)"
    done
done
