#!/usr/bin/env bash
# e2e: factorization machines on raw, unscaled numbers. With normalized updates (the default) the
# factors' start values and steps follow each feature's scale (model/kinds/factor_table.h), so:
# multiplying a numeric column by 1024 (exact in floats) leaves fm's and ffm's predictions
# unchanged, for AdaGrad and SGD; a binary label that depends on the product of two numeric
# columns of very different units (0-1000 and 0-0.01) is learned by fm with default flags (test
# AUC clearly above linear's); and scikit-learn's digits table (pixels 0-16, when installed)
# trains a softmax fm with the default --fm-lr to an accuracy at least linear softmax's.
. "$(dirname "$0")/lib.sh"

# gen N SEED SCALE: label,a,b,c,d rows; label = 1 when (a/500 - 1) * (b/0.005 - 1) > 0 (a in
# [0, 1000], b in [0, 0.01]), c a scale-SCALE noise column, d a categorical one; 3% flipped
gen() {
    awk -v n="$1" -v seed="$2" -v sc="$3" 'BEGIN { srand(seed); for (i = 0; i < n; i++) {
        a = 1000 * rand(); b = 0.01 * rand(); c = int(100 * rand()) * sc; d = int(5 * rand());
        y = ((a / 500 - 1) * (b / 0.005 - 1) > 0) ? 1 : 0; if (rand() < 0.03) y = 1 - y;
        printf "%d,%.6f,%.8f,%d,d%d\n", y, a, b, c, d } }'
}
gen 4000 1 1 > "$T/train.csv"
gen 2000 2 1 > "$T/test.csv"
gen 4000 1 1024 > "$T/train1024.csv"
gen 2000 2 1024 > "$T/test1024.csv"
D=(--no-header --label 1 --numeric 2-4 -b 14)

auc_of() { # auc_of MODEL: test AUC
    run_ok "$GANNET" eval -m "$1" -d "$T/test.csv" --json
    json_get "$T/out" .auc
}

run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" -m "$T/lin.model" --quiet
auc_lin=$(auc_of "$T/lin.model")
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm -m "$T/fm.model" --quiet
auc_fm=$(auc_of "$T/fm.model")
check "$auc_fm" '>' "$(awk -v a="$auc_lin" 'BEGIN { print a + 0.15 }')" \
    "fm with default flags learns a product of columns in different units (linear AUC $auc_lin)"
check "$auc_fm" '>' 0.85 "fm's test AUC on the product of raw columns"

# a column's unit does not change the predictions
for cfg in "--kind fm" "--kind fm --optimizer sgd" "--kind ffm" "--kind ffm --optimizer sgd"; do
    read -r -a extra <<< "$cfg"
    run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" "${extra[@]}" --passes 3 -m "$T/a.model" --quiet
    run_ok "$GANNET" train -d "$T/train1024.csv" "${D[@]}" "${extra[@]}" --passes 3 -m "$T/b.model" --quiet
    run_ok "$GANNET" predict -m "$T/a.model" -d "$T/test.csv" -o "$T/a.pred"
    run_ok "$GANNET" predict -m "$T/b.model" -d "$T/test1024.csv" -o "$T/b.pred"
    worst=$(paste "$T/a.pred" "$T/b.pred" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > w) w = d } END { print w + 0 }')
    check "$worst" '<' 1e-4 "$cfg: predictions do not depend on a column's unit (x1024)"
    cmp -s "$T/a.pred" "$T/b.pred" && same=1 || same=0
    spread=$(awk '{ if (NR == 1 || $1 < lo) lo = $1; if (NR == 1 || $1 > hi) hi = $1 } END { print hi - lo }' "$T/a.pred")
    check "$spread" '>' 0.02 "$cfg: the model predicts more than a constant (bit-identical: $same)"
done

DIGITS=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
if [ -r "$DIGITS" ]; then
    zcat "$DIGITS" | awk 'NR % 5 != 0' > "$T/dtr.csv"
    zcat "$DIGITS" | awk 'NR % 5 == 0' > "$T/dte.csv"
    acc() { run_ok "$GANNET" eval -m "$1" -d "$T/dte.csv" --json; json_get "$T/out" .accuracy; }
    run_ok "$GANNET" train -d "$T/dtr.csv" --label 65 --loss softmax --passes 10 -m "$T/dl.model" --quiet
    acc_l=$(acc "$T/dl.model")
    run_ok "$GANNET" train -d "$T/dtr.csv" --label 65 --loss softmax --kind fm --passes 10 -b 12 -m "$T/df.model" --quiet
    acc_f=$(acc "$T/df.model")
    check "$acc_f" '>=' "$acc_l" "digits (raw pixels 0-16): softmax fm with the default --fm-lr vs linear softmax"
    check "$acc_f" '>' 0.95 "digits: softmax fm accuracy"
else
    echo "note: $DIGITS not installed; digits case not run"
fi
