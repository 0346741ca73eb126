#!/usr/bin/env bash
# e2e: one-against-all with the batch solvers (--oaa --optimizer lbfgs | owlqn: K binary logistic
# problems in one objective, one pass over the data per evaluation). On generated three-class
# data: a model of kind oaa whose objective is the sum of the three binary L-BFGS objectives;
# class weights move predictions toward the weighted class as they do for online oaa; the cache
# alone gives the same objective as the text; --interactions and --text take part; cv and tune search it
# and save an oaa model; bad combinations (hinge, lbfgs with l1) get clear errors. On
# scikit-learn's bundled digits table (skipped, 77, when absent): accuracy within 3 points of
# L-BFGS softmax, eval/predict agree, cv reports 10 classes, and OWL-QN with l1 keeps fewer
# non-zero weights than l1 = 0. Softmax's cv with lbfgs (the same K-score path solver) too.
. "$(dirname "$0")/lib.sh"

# ---- generated three classes, a the rare one (15%), noisy enough that weights matter ----
awk 'BEGIN { srand(3); split("a b c", c, " "); print "y,x1,x2";
    for (i = 0; i < 600; i++) { u = rand(); k = u < 0.15 ? 1 : (u < 0.5 ? 2 : 3);
        print c[k] "," 0.5 * (k - 2) + 1.5 * rand() "," rand() } }' > "$T/abc.csv"
run_ok "$GANNET" train -d "$T/abc.csv" --label y --oaa --optimizer lbfgs -m "$T/abc.model" --json --quiet
check "$(json_get "$T/out" .iterations)" '>' 0 "lbfgs iterated"
obj_text=$(json_get "$T/out" .objective)
nz_plain=$(json_get "$T/out" .nonzero)
run_ok "$GANNET" inspect -m "$T/abc.model" --json
check "$(json_get "$T/out" .metadata.kind | grep -c '^oaa$')" == 1 "--oaa --optimizer lbfgs makes kind oaa"
check "$(json_get "$T/out" .metadata.oaa_loss | grep -c '^logistic$')" == 1 "its binary loss is logistic"
check "$(json_get "$T/out" .metadata.train.optimizer | grep -c '^lbfgs$')" == 1 "metadata records lbfgs"
# K independent problems in one: the oaa objective is the sum of the K binary L-BFGS objectives
# trained on the labels [y == k] (to the solvers' tolerance)
sum=0
for k in a b c; do
    awk -F, -v k=$k 'BEGIN { OFS = "," } NR == 1 { print; next } { $1 = ($1 == k) ? "yes" : "no"; print }' "$T/abc.csv" > "$T/bin_$k.csv"
    run_ok "$GANNET" train -d "$T/bin_$k.csv" --label y --optimizer lbfgs --tol 1e-9 -m "$T/bin.model" --json --quiet
    sum=$(awk -v s="$sum" -v f="$(json_get "$T/out" .objective)" 'BEGIN { printf "%.10f\n", s + f }')
done
run_ok "$GANNET" train -d "$T/abc.csv" --label y --oaa --optimizer lbfgs --tol 1e-9 -m "$T/tight.model" --json --quiet
check "$(awk -v a="$(json_get "$T/out" .objective)" -v b="$sum" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; printf "%.12f\n", d }')" \
    '<' 1e-7 "oaa objective = sum of the 3 binary objectives ($sum)"
# class weights: a weighs 5 -> more rows predicted a (as online oaa: each row weighs its class's)
count_a() { "$GANNET" predict -m "$1" -d "$T/abc.csv" --output class -o "$T/p.txt" || fail "predict $1"; grep -c '^a$' "$T/p.txt" || true; }
n_plain=$(count_a "$T/abc.model")
run_ok "$GANNET" train -d "$T/abc.csv" --label y --oaa --optimizer lbfgs --class-weights a:5 -m "$T/cw.model" --quiet
check "$(count_a "$T/cw.model")" '>' "$n_plain" "--class-weights a:5 predicts a more often"
run_ok "$GANNET" train -d "$T/abc.csv" --label y --oaa --optimizer lbfgs --balanced -m "$T/bal.model" --quiet
check "$(count_a "$T/bal.model")" '>' "$n_plain" "--balanced predicts the rare class more often"
# the cache alone is the same data
run_ok "$GANNET" cache -d "$T/abc.csv" --label y --loss softmax -o "$T/abc.cache"
run_ok "$GANNET" train --cache "$T/abc.cache" --oaa --optimizer lbfgs -m "$T/cache.model" --json --quiet
check "$(json_get "$T/out" .objective)" == "$obj_text" "train --cache: the same objective as the text"
# interactions are crossed in memory as for binary L-BFGS
run_ok "$GANNET" train -d "$T/abc.csv" --label y --oaa --optimizer lbfgs --interactions 'x1*x2' -m "$T/x.model" --json --quiet
check "$(json_get "$T/out" .nonzero)" '>' "$nz_plain" "--interactions add the crossed feature's K weights"
# text columns: the tokens are hashed features like any other
awk 'BEGIN { srand(5); split("sport tech food", c, " ");
    split("ball goal team match score code chip cloud data bug bread soup cake rice salt", w, " ");
    split("the a and of new big", f, " "); print "label,body";
    for (i = 0; i < 450; i++) { k = 1 + int(3 * rand()); doc = "";
        for (j = 0; j < 3; j++) doc = doc w[5 * (k - 1) + 1 + int(5 * rand())] " ";
        for (j = 0; j < 4; j++) doc = doc f[1 + int(6 * rand())] " ";
        if (rand() < 0.2) doc = doc w[1 + int(15 * rand())];
        print c[k] "," doc } }' > "$T/text.csv"
run_ok "$GANNET" train -d "$T/text.csv" --label label --text body --oaa --optimizer lbfgs --l2 1 -m "$T/text.model" --quiet
run_ok "$GANNET" eval -m "$T/text.model" -d "$T/text.csv" --json
check "$(json_get "$T/out" .accuracy)" '>' 0.9 "--text with --oaa --optimizer lbfgs learns the topic words"
# cv and tune (the batch path solver, K weights per feature)
run_ok "$GANNET" cv -d "$T/abc.csv" --label y --oaa --optimizer lbfgs -k 3 --json
check "$(json_get "$T/out" '.folds[0].classes')" == 3 "cv --oaa --optimizer lbfgs: multiclass metrics per fold"
check "$(json_get "$T/out" '.mean.accuracy')" '>' 0.5 "cv --oaa --optimizer lbfgs: accuracy"
# softmax goes through the same K-score path solver
run_ok "$GANNET" cv -d "$T/abc.csv" --label y --loss softmax --optimizer lbfgs -k 3 --json
check "$(json_get "$T/out" '.folds[2].classes')" == 3 "cv --loss softmax --optimizer lbfgs: multiclass metrics per fold"
check "$(json_get "$T/out" '.mean.accuracy')" '>' 0.5 "cv --loss softmax --optimizer lbfgs: accuracy"
run_ok "$GANNET" tune -d "$T/abc.csv" --label y --oaa --optimizer lbfgs -k 3 --grid 'l2=0.1,10' -m "$T/tuned.model"
run_ok "$GANNET" inspect -m "$T/tuned.model" --json
check "$(json_get "$T/out" .metadata.kind | grep -c '^oaa$')" == 1 "tune --oaa --optimizer lbfgs saves an oaa model"
# bad combinations
run "$GANNET" train -d "$T/abc.csv" --label y --oaa --loss hinge --optimizer lbfgs -m "$T/bad.model" --quiet
expect_rc 2 "oaa hinge with lbfgs"
expect_err "needs loss logistic|smooth loss" "oaa hinge with a batch solver refused"
expect_err "hinge" "the message names hinge"
run "$GANNET" train -d "$T/abc.csv" --label y --oaa --optimizer lbfgs --l1 1 -m "$T/bad.model" --quiet
expect_rc 2 "oaa lbfgs with l1"
expect_err "owlqn" "lbfgs with l1 points to owlqn"
[ ! -e "$T/bad.model" ] || fail "a refused run wrote a model"

# ---- scikit-learn's digits table ----
SK=$(/usr/bin/python3 -c 'import sklearn, os; print(os.path.dirname(sklearn.__file__))' 2>/dev/null) ||
    skip "scikit-learn is not importable by /usr/bin/python3"
DIGITS=$SK/datasets/data/digits.csv.gz
[ -r "$DIGITS" ] || skip "scikit-learn's digits table is not installed"
zcat "$DIGITS" | awk 'NR % 5 != 0' > "$T/dtrain.csv"
zcat "$DIGITS" | awk 'NR % 5 == 0' > "$T/dtest.csv"
run_ok "$GANNET" train -d "$T/dtrain.csv" --label 65 --loss softmax --optimizer lbfgs --l2 100 -m "$T/sm.model" --quiet
run_ok "$GANNET" eval -m "$T/sm.model" -d "$T/dtest.csv" --json
acc_sm=$(json_get "$T/out" .accuracy)
run_ok "$GANNET" train -d "$T/dtrain.csv" --label 65 --oaa --optimizer lbfgs --l2 100 -m "$T/oaa.model" --json --quiet
nz0=$(json_get "$T/out" .nonzero)
run_ok "$GANNET" eval -m "$T/oaa.model" -d "$T/dtest.csv" --json
cp "$T/out" "$T/eval.json"
acc=$(json_get "$T/eval.json" .accuracy)
check "$acc" '>=' 0.9 "digits: --oaa --optimizer lbfgs accuracy"
check "$(awk -v a="$acc" -v b="$acc_sm" 'BEGIN { print b - a }')" '<=' 0.03 "digits: oaa-lbfgs within 3 points of softmax-lbfgs ($acc_sm)"
check "$(json_get "$T/eval.json" .classes)" == 10 "eval: 10 classes"
run_ok "$GANNET" predict -m "$T/oaa.model" -d "$T/dtest.csv" --output class -o "$T/p.class"
paccuracy=$(paste -d, "$T/p.class" "$T/dtest.csv" | awk -F, '{ n++; if ($1 == $NF) c++ } END { printf "%.6f\n", c / n }')
check "$(awk -v a="$acc" 'BEGIN { printf "%.6f\n", a }')" == "$paccuracy" "eval accuracy equals predict's classes"
run_ok "$GANNET" predict -m "$T/oaa.model" -d "$T/dtest.csv" --output prob -o "$T/p.prob"
check "$(awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; d = s - 1; if (d < 0) d = -d; if (d > m) m = d } END { printf "%.9f\n", m }' "$T/p.prob")" \
    '<' 1e-5 "probabilities sum to 1"
run_ok "$GANNET" cv -d "$T/dtrain.csv" --label 65 --oaa --optimizer lbfgs --l2 100 -k 3 --json
check "$(json_get "$T/out" '.folds[1].classes')" == 10 "cv on digits: 10 classes"
check "$(json_get "$T/out" '.mean.accuracy')" '>=' 0.9 "cv on digits: accuracy"
# OWL-QN: l1 makes the K weight vectors sparser
run_ok "$GANNET" train -d "$T/dtrain.csv" --label 65 --oaa --optimizer owlqn --l1 10 --max-iter 100 -m "$T/l1.model" --json --quiet
nz1=$(json_get "$T/out" .nonzero)
check "$nz1" '<' "$nz0" "owlqn --l1 10 keeps fewer non-zero weights than l1 0"
run_ok "$GANNET" eval -m "$T/l1.model" -d "$T/dtest.csv" --json
check "$(json_get "$T/out" .accuracy)" '>=' 0.85 "digits: --oaa --optimizer owlqn --l1 10 accuracy"
