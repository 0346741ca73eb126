#!/usr/bin/env bash
# test_real_tables.sh: a raw table as exports make them (tests/e2e/gen_raw_table.py: numbers
# spanning six orders of magnitude, string labels <=50K / >50K, missing values as empty, NA and
# ?, quoted fields with commas and doubled quotes, an id column, rows sorted by label) trains with
# default flags to within 0.005 AUC of the best L-BFGS optimum on the same columns: on the sorted
# file with --shuffle, and on the file in generation order. The plain updates of gannet 0.1
# (--no-normalize, one pass) stay far below, so the test can tell the two apart.
. "$(dirname "$0")/lib.sh"
G=$GANNET
python3 "$GN_SRC/tests/e2e/gen_raw_table.py" --rows 40000 --seed 3 >"$T/all.csv" || fail "gen_raw_table.py failed"
awk 'NR == 1 { print > "'"$T"'/train.csv"; print > "'"$T"'/test.csv"; next }
     NR % 4 == 0 { print > "'"$T"'/test.csv"; next } { print > "'"$T"'/train.csv" }' "$T/all.csv"
# sorted by label, as a sorted export gives (the label is the last field, never quoted)
{ head -1 "$T/train.csv"; tail -n +2 "$T/train.csv" | awk -F, '{ print ($NF == ">50K") "\t" $0 }' |
    sort -s -t"$(printf '\t')" -k1,1 | cut -f2-; } >"$T/sorted.csv"
[ "$(wc -l <"$T/sorted.csv")" = "$(wc -l <"$T/train.csv")" ] || fail "sorting lost rows"
FLAGS=(--label income --ignore id --positive '>50K')

auc() { # model -> test AUC
    run_ok "$G" eval -m "$1" -d "$T/test.csv" --json
    json_get "$T/out" .auc
}
best=0
for l2 in 0.01 0.1 1 10; do
    run_ok "$G" train -d "$T/train.csv" -m "$T/lbfgs.gnm" "${FLAGS[@]}" --optimizer lbfgs --l2 "$l2" --quiet
    a=$(auc "$T/lbfgs.gnm")
    best=$(python3 -c "print(max($best, $a))")
done
ok "L-BFGS optimum on the same columns: AUC $best"

run_ok "$G" train -d "$T/sorted.csv" -m "$T/def_sorted.gnm" "${FLAGS[@]}" --shuffle --quiet
a_sorted=$(auc "$T/def_sorted.gnm")
run_ok "$G" train -d "$T/train.csv" -m "$T/def.gnm" "${FLAGS[@]}" --quiet
a_def=$(auc "$T/def.gnm")
run_ok "$G" train -d "$T/train.csv" -m "$T/plain.gnm" "${FLAGS[@]}" --no-normalize --passes 1 --quiet
a_plain=$(auc "$T/plain.gnm")
echo "default flags: sorted + --shuffle $a_sorted, generation order $a_def; plain updates, one pass $a_plain"
python3 -c "import sys; sys.exit(0 if $a_sorted >= $best - 0.005 else 1)" ||
    fail "sorted input with --shuffle: AUC $a_sorted, more than 0.005 below the L-BFGS optimum $best"
python3 -c "import sys; sys.exit(0 if $a_def >= $best - 0.005 else 1)" ||
    fail "default flags: AUC $a_def, more than 0.005 below the L-BFGS optimum $best"
python3 -c "import sys; sys.exit(0 if $a_plain < $best - 0.02 else 1)" ||
    fail "the plain updates reach $a_plain: this table no longer tells scale-free learning apart"
ok "default flags reach the L-BFGS optimum within 0.005 AUC (sorted + --shuffle, and in order)"

# the model names its classes and predicts them
run_ok "$G" predict -m "$T/def.gnm" -d "$T/test.csv" --output-type class -o "$T/classes.txt"
grep -qx '>50K' "$T/classes.txt" && grep -qx '<=50K' "$T/classes.txt" || fail "predicted classes are not the table's labels"
[ "$(wc -l <"$T/classes.txt")" = "$(($(wc -l <"$T/test.csv") - 1))" ] || fail "one predicted class per test row"
ok "predict --output-type class gives <=50K / >50K"
