#!/bin/bash
# test_interactions.sh: --interactions (issue 14). A label that depends only on the product of two
# columns is learned with --interactions and not without (numeric and categorical columns, test
# AUC compared), and a three-class label of a pair of categorical columns by softmax and --oaa
# (accuracy compared); the crosses are stored in the model (eval and predict of the saved model apply
# them); VW's --quadratic/--cubic by namespace letter; a cache, --shuffle with threads, the batch
# solver and cv all see the crosses, and a cache made without them is made again; bad lists and
# unknown columns are refused with a message naming them.
. "$(dirname "$0")/lib.sh"

# x1, x2 uniform in [-1, 1], y = [x1*x2 > 0]; c1, c2 categories whose pair decides the label; z noise
awk -v n=12000 'BEGIN {
    srand(7); print "y,x1,x2,c1,c2,z"
    for (i = 0; i < n; i++) {
        x1 = 2 * rand() - 1; x2 = 2 * rand() - 1; a = int(8 * rand()); b = int(8 * rand())
        printf "%d,%.4f,%.4f,a%d,b%d,%.3f\n", (x1 * x2 > 0), x1, x2, a, b, rand()
    }
}' > "$T/all.csv"
head -9001 "$T/all.csv" > "$T/tr.csv"
{ head -1 "$T/all.csv"; tail -3000 "$T/all.csv"; } > "$T/te.csv"
awk -F, 'NR == 1 {print "y,c1,c2,z"; next} {split($4, a, "a"); split($5, b, "b"); print ((a[2] + b[2]) % 2) "," $4 "," $5 "," $6}' \
    "$T/tr.csv" > "$T/ctr.csv"
awk -F, 'NR == 1 {print "y,c1,c2,z"; next} {split($4, a, "a"); split($5, b, "b"); print ((a[2] + b[2]) % 2) "," $4 "," $5 "," $6}' \
    "$T/te.csv" > "$T/cte.csv"

auc_of() { awk '$1 == "auc" {print $2}' "$T/out"; }
G=$GANNET

# ---- numeric product: learned with the cross only
run_ok "$G" train -d "$T/tr.csv" --label y --ignore c1,c2 --passes 5 -m "$T/plain.model"
run_ok "$G" eval -m "$T/plain.model" -d "$T/te.csv"
plain=$(auc_of)
run_ok "$G" train -d "$T/tr.csv" --label y --ignore c1,c2 --interactions 'x1*x2' --passes 5 -m "$T/x.model"
run_ok "$G" eval -m "$T/x.model" -d "$T/te.csv"
crossed=$(auc_of)
awk -v p="$plain" -v c="$crossed" 'BEGIN {exit !(p < 0.6 && c > 0.9 && c - p > 0.3)}' ||
    fail "x1*x2: AUC $crossed with --interactions, $plain without"
run_ok "$G" inspect -m "$T/x.model" --json
[ "$(json_get "$T/out" .metadata.spec.interactions)" = 'x1*x2' ] || fail "interactions not stored in the model"
ok "numeric product: test AUC $plain without, $crossed with --interactions x1*x2 (from the saved model)"

# ---- categorical pair (XOR of parities): the quadratic cross of two categorical columns
run_ok "$G" train -d "$T/ctr.csv" --label y --passes 5 -m "$T/c0.model"
run_ok "$G" eval -m "$T/c0.model" -d "$T/cte.csv"
plain=$(auc_of)
run_ok "$G" train -d "$T/ctr.csv" --label y --interactions 'c1*c2' --passes 5 -m "$T/c.model"
run_ok "$G" eval -m "$T/c.model" -d "$T/cte.csv"
crossed=$(auc_of)
awk -v p="$plain" -v c="$crossed" 'BEGIN {exit !(p < 0.6 && c > 0.95)}' || fail "c1*c2: AUC $crossed with, $plain without"
ok "categorical pair: test AUC $plain without, $crossed with --interactions c1*c2"

# ---- multiclass: three classes, (c1 + c2) mod 3, learned by softmax (and --oaa) with the cross
# only; the model's crosses apply in eval and predict
awk -F, 'NR == 1 {print "y,c1,c2,z"; next} {split($4, a, "a"); split($5, b, "b"); print "k" ((a[2] + b[2]) % 3) "," $4 "," $5 "," $6}' \
    "$T/tr.csv" > "$T/mtr.csv"
awk -F, 'NR == 1 {print "y,c1,c2,z"; next} {split($4, a, "a"); split($5, b, "b"); print "k" ((a[2] + b[2]) % 3) "," $4 "," $5 "," $6}' \
    "$T/te.csv" > "$T/mte.csv"
acc_of() { awk '$1 == "accuracy" {print $2}' "$T/out"; }
run_ok "$G" train -d "$T/mtr.csv" --label y --loss softmax --passes 5 -m "$T/m0.model"
run_ok "$G" eval -m "$T/m0.model" -d "$T/mte.csv"
plain=$(acc_of)
run_ok "$G" train -d "$T/mtr.csv" --label y --loss softmax --interactions 'c1*c2' --passes 5 -m "$T/m.model"
run_ok "$G" eval -m "$T/m.model" -d "$T/mte.csv"
crossed=$(acc_of)
awk -v p="$plain" -v c="$crossed" 'BEGIN {exit !(p < 0.7 && c > 0.95)}' ||
    fail "softmax c1*c2: accuracy $crossed with --interactions, $plain without"
run_ok "$G" predict -m "$T/m.model" -d "$T/mte.csv" --output class
awk -F, 'NR > 1 {print $1}' "$T/mte.csv" | paste -d' ' - "$T/out" | awk '$1 == $2 {r++} END {exit !(r / NR > 0.95)}' ||
    fail "softmax: predict of the saved model does not apply the crosses"
run_ok "$G" train -d "$T/mtr.csv" --label y --oaa --loss logistic --interactions 'c1*c2' --passes 5 -m "$T/mo.model"
run_ok "$G" eval -m "$T/mo.model" -d "$T/mte.csv"
awk -v a="$(acc_of)" 'BEGIN {exit !(a > 0.95)}' || fail "--oaa c1*c2: accuracy $(acc_of)"
ok "multiclass: accuracy $plain without, $crossed with --interactions c1*c2 (softmax; --oaa alike)"

# ---- the same crosses through a cache, shuffled threads, the batch solver and cv
run_ok "$G" train -d "$T/ctr.csv" --label y --interactions 'c1*c2' --passes 5 --threads 1 --cache "$T/c.cache" -m "$T/cc.model"
run_ok "$G" eval -m "$T/cc.model" -d "$T/cte.csv"
awk -v a="$(auc_of)" 'BEGIN {exit !(a > 0.95)}' || fail "a model trained through the cache loses the crosses"
run_ok "$G" predict -m "$T/cc.model" -d "$T/cte.csv"
cp "$T/out" "$T/pred.cache"
run_ok "$G" train --label y --interactions 'c1*c2' --passes 5 --threads 1 --cache "$T/c.cache" -m "$T/cc2.model"
run_ok "$G" predict -m "$T/cc2.model" -d "$T/cte.csv"
cmp -s "$T/out" "$T/pred.cache" || fail "a model trained from the cache alone predicts differently"
run_ok "$G" train -d "$T/ctr.csv" --label y --passes 5 --cache "$T/c.cache" -m "$T/cc3.model"
expect_err "rebuilding the cache" "a cache made with interactions is made again without them"
run_ok "$G" eval -m "$T/cc3.model" -d "$T/cte.csv"
awk -v a="$(auc_of)" 'BEGIN {exit !(a < 0.6)}' || fail "the cache without interactions still crosses"
run_ok "$G" train -d "$T/ctr.csv" --label y --interactions 'c1*c2' --passes 5 --shuffle --threads 2 -m "$T/cs.model"
run_ok "$G" eval -m "$T/cs.model" -d "$T/cte.csv"
awk -v a="$(auc_of)" 'BEGIN {exit !(a > 0.95)}' || fail "--shuffle --threads 2 loses the crosses (AUC $(auc_of))"
run_ok "$G" train -d "$T/ctr.csv" --label y --interactions 'c1*c2' --optimizer lbfgs -m "$T/cl.model"
run_ok "$G" eval -m "$T/cl.model" -d "$T/cte.csv"
awk -v a="$(auc_of)" 'BEGIN {exit !(a > 0.95)}' || fail "lbfgs loses the crosses (AUC $(auc_of))"
run_ok "$G" cv -d "$T/ctr.csv" --label y --interactions 'c1*c2' --passes 3 --folds 3 --json
awk -v a="$(json_get "$T/out" .mean.auc)" 'BEGIN {exit !(a > 0.95)}' || fail "cv loses the crosses"
ok "cache (made again when the crosses change), shuffled threads, lbfgs and cv cross alike"

# ---- VW: --quadratic by namespace letter
awk -F, 'NR > 1 {printf "%d |alpha %s |beta %s |zed z:%s\n", $1 ? 1 : -1, $2, $3, $4}' "$T/ctr.csv" > "$T/tr.vw"
awk -F, 'NR > 1 {printf "%d |alpha %s |beta %s |zed z:%s\n", $1 ? 1 : -1, $2, $3, $4}' "$T/cte.csv" > "$T/te.vw"
run_ok "$G" train -d "$T/tr.vw" --quadratic ab --passes 5 -m "$T/v.model"
run_ok "$G" eval -m "$T/v.model" -d "$T/te.vw"
q=$(auc_of)
run_ok "$G" train -d "$T/tr.vw" --cubic abz --passes 5 -m "$T/v3.model"
run_ok "$G" inspect -m "$T/v3.model" --json
[ "$(json_get "$T/out" .metadata.spec.interactions)" = 'a*b*z' ] || fail "--cubic abz is not stored as a*b*z"
awk -v a="$q" 'BEGIN {exit !(a > 0.95)}' || fail "VW --quadratic ab: AUC $q"
ok "VW --quadratic ab: test AUC $q; --cubic abz stored"
# VW's own spelling -q ab is --quadratic ab; -q alone is still --quiet
run_ok "$G" train -d "$T/tr.vw" -q ab --passes 5 -m "$T/vq.model"
run_ok "$G" inspect -m "$T/vq.model" --json
[ "$(json_get "$T/out" .metadata.spec.interactions)" = 'a*b' ] || fail "-q ab is not stored as a*b"
run_ok "$G" train -d "$T/tr.vw" -q --passes 1 -m "$T/vq0.model"
[ ! -s "$T/err" ] || { cat "$T/err" >&2; fail "-q alone is not --quiet"; }
run_ok "$G" inspect -m "$T/vq0.model" --json
[ "$(json_get "$T/out" '.metadata.spec.interactions // ""')" = '' ] || fail "-q alone added interactions"
ok "VW's -q ab is --quadratic ab; -q alone is --quiet"

# ---- bad lists and unknown columns
run "$G" train -d "$T/ctr.csv" --label y --interactions 'c1*nope' -m "$T/bad.model"
expect_rc "1|2" "unknown column"
expect_err "interactions: no column named 'nope'" "an unknown column is named"
run "$G" train -d "$T/ctr.csv" --label y --interactions 'c1*' -m "$T/bad.model"
expect_rc 2 "a malformed list"
expect_err "interactions: an empty name" "a malformed list"
run "$G" train -d "$T/ctr.csv" --label y --interactions 'c1*c2*z*c1' -m "$T/bad.model"
expect_rc 2 "four names"
expect_err "at most 3 names" "a term of four names"
run "$G" train -d "$T/ctr.csv" --label y --interactions 'y*c1' -m "$T/bad.model"
expect_rc "1|2" "the label crossed"
expect_err "is the label column" "crossing the label column"
run "$G" train -d "$T/ctr.csv" --label y --quadratic abc -m "$T/bad.model"
expect_rc 2 "--quadratic with three letters"
expect_err "expected 2 namespace letters" "--quadratic with three letters"
ok "bad interaction lists refused"
