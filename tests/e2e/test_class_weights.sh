#!/usr/bin/env bash
# e2e: class weights (--class-weights NAME:W,..., --balanced). On a generated skewed 3-class
# problem (80/15/5%), --balanced raises the minority class's recall and the macro recall over
# unweighted softmax training; the weights are recorded in the model. Binary losses (logistic,
# hinge) take them too: with L-BFGS, weight 2 for a class equals duplicating its examples
# (same objective, same predictions), and --balanced raises the positive class's recall.
# Bad input: an unknown class, a non-positive or non-finite weight, --balanced with a
# regression loss, both flags together: a clear message and exit 2.
. "$(dirname "$0")/lib.sh"

awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++) { r = rand(); k = r < 0.8 ? 0 : (r < 0.95 ? 1 : 2);
    x = k + 1.2 * (rand() + rand() - 1); y = rand(); print "c" k "," x "," y } }' > "$T/skew.csv"

# minority recall (class c2: the confusion matrix's last row) and macro recall of a model on the data
recalls() {
    run_ok "$GANNET" eval -m "$1" -d "$T/skew.csv" --json
    cp "$T/out" "$T/eval.json"
    minority=$(json_get "$T/eval.json" '.confusion[2][2]')
    row=$(( $(json_get "$T/eval.json" '.confusion[2][0]') + $(json_get "$T/eval.json" '.confusion[2][1]') + minority ))
    awk -v a="$minority" -v b="$row" 'BEGIN { printf "%.6f\n", a / b }'
}
run_ok "$GANNET" train -d "$T/skew.csv" --no-header --loss softmax --passes 5 -m "$T/plain.model" --quiet
r_plain=$(recalls "$T/plain.model")
macro_plain=$(json_get "$T/eval.json" .recall)
run_ok "$GANNET" train -d "$T/skew.csv" --no-header --loss softmax --passes 5 --balanced -m "$T/bal.model" --quiet
r_bal=$(recalls "$T/bal.model")
macro_bal=$(json_get "$T/eval.json" .recall)
check "$r_bal" '>' "$(awk -v r="$r_plain" 'BEGIN { print r + 0.05 }')" "--balanced raises the minority class's recall"
check "$macro_bal" '>' "$macro_plain" "--balanced raises the macro recall"
# the weights are n / (K * n_class), recorded in the model
run_ok "$GANNET" inspect -m "$T/bal.model" --json
n2=$(grep -c '^c2,' "$T/skew.csv")
want=$(awk -v n2="$n2" 'BEGIN { printf "%.4f\n", 3000 / (3 * n2) }')
got=$(json_get "$T/out" '.metadata.class_weights.c2')
check "$(awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; print (d < 0 ? -d : d) }')" '<' 1e-3 \
    "balanced weight of c2 is n/(K n_c2) = $want"
[ "$(json_get "$T/out" '.metadata.train.balanced')" = true ] || fail "balanced recorded in the train options"
# --class-weights by name, recorded
run_ok "$GANNET" train -d "$T/skew.csv" --no-header --loss softmax --passes 5 --class-weights c2:6,c1:2 -m "$T/cw.model" --quiet
r_cw=$(recalls "$T/cw.model")
check "$r_cw" '>' "$r_plain" "--class-weights c2:6 raises c2's recall"
run_ok "$GANNET" inspect -m "$T/cw.model" --json
check "$(json_get "$T/out" '.metadata.class_weights.c2')" == 6 "class weight of c2 recorded"
check "$(json_get "$T/out" '.metadata.class_weights.c0')" == 1 "classes not named weigh 1"

# ---- binary: weight 2 equals duplicating the class's examples (L-BFGS) ----
awk -F, '{ print ($1 == "c0" ? "no" : "yes") "," $2 "," $3 }' "$T/skew.csv" > "$T/bin.csv"
awk -F, '{ print; if ($1 == "yes") print }' "$T/bin.csv" > "$T/dup.csv"
run_ok "$GANNET" train -d "$T/bin.csv" --no-header --optimizer lbfgs --l2 1 --tol 1e-10 --class-weights yes:2 -m "$T/w2.model" --quiet
run_ok "$GANNET" train -d "$T/dup.csv" --no-header --optimizer lbfgs --l2 1 --tol 1e-10 -m "$T/dup.model" --quiet
run_ok "$GANNET" train -d "$T/bin.csv" --no-header --optimizer lbfgs --l2 1 --tol 1e-10 -m "$T/un.model" --quiet
for m in w2 dup un; do run_ok "$GANNET" predict -m "$T/$m.model" -d "$T/bin.csv" -o "$T/$m.pred"; done
maxdiff() { paste "$1" "$2" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d } END { printf "%.9f\n", m + 0 }'; }
check "$(maxdiff "$T/w2.pred" "$T/dup.pred")" '<' 1e-4 "yes:2 predicts as duplicating the yes examples"
check "$(maxdiff "$T/w2.pred" "$T/un.pred")" '>' 0.01 "yes:2 differs from unweighted"
# hinge (online) with --balanced: the rare positive class is found more often
run_ok "$GANNET" train -d "$T/bin.csv" --no-header --loss hinge --passes 5 -m "$T/h.model" --quiet
run_ok "$GANNET" eval -m "$T/h.model" -d "$T/bin.csv" --json
rh=$(json_get "$T/out" .recall)
run_ok "$GANNET" train -d "$T/bin.csv" --no-header --loss hinge --passes 5 --balanced -m "$T/hb.model" --quiet
run_ok "$GANNET" eval -m "$T/hb.model" -d "$T/bin.csv" --json
check "$(json_get "$T/out" .recall)" '>' "$rh" "hinge --balanced raises the positive class's recall"
# cv takes them (online and batch)
run_ok "$GANNET" cv -d "$T/skew.csv" --no-header --loss softmax --balanced -k 3 --json
json_valid "$T/out"
run_ok "$GANNET" cv -d "$T/bin.csv" --no-header --optimizer lbfgs --class-weights yes:3 -k 3 --json
json_valid "$T/out"

# ---- bad input ----
run "$GANNET" train -d "$T/skew.csv" --no-header --loss softmax --class-weights c9:2 -m "$T/bad.model" --quiet
expect_rc 2 "unknown class"
expect_err "'c9' is not a class of the data.*'c0', 'c1', 'c2'" "unknown class named with the classes"
for bad in c1:0 c1:-1 c1:inf c1:nan c1:x c1; do
    run "$GANNET" train -d "$T/skew.csv" --no-header --loss softmax --class-weights "$bad" -m "$T/bad.model" --quiet
    expect_rc 2 "bad weight $bad"
    expect_err "class_weights: " "bad weight $bad explained"
done
run "$GANNET" train -d "$T/skew.csv" --no-header --loss softmax --class-weights c1:2,c1:3 -m "$T/bad.model" --quiet
expect_rc 2 "class named twice"
run "$GANNET" train -d "$T/skew.csv" --no-header --label 2 --loss squared --balanced -m "$T/bad.model" --quiet
expect_rc 2 "balanced with squared"
expect_err "balanced needs a classification loss" "balanced with a regression loss refused"
run "$GANNET" train -d "$T/skew.csv" --no-header --loss softmax --balanced --class-weights c1:2 -m "$T/bad.model" --quiet
expect_rc 2 "both"
[ ! -e "$T/bad.model" ] || fail "no model written on bad input"
ok "bad class weights give clear errors"
