#!/usr/bin/env bash
# e2e: one-against-all (--oaa over logistic or hinge: K binary classifiers in a model of kind oaa,
# predicting their sigmoids normalized). On scikit-learn's bundled digits table (skipped when
# absent): accuracy >= 0.9 and within 3 points of online softmax's; predict's outputs (prob, class,
# probs, topk, json) have the multiclass shapes, probabilities sum to 1, eval reports multiclass
# metrics, the server answers {class, probabilities} as predict --output json does; the model
# records kind oaa and oaa_loss and reloads. Bad combinations: a regression loss, hinge with a batch
# solver (--oaa --optimizer lbfgs itself: test_oaa_batch.sh).
. "$(dirname "$0")/serve_common.sh"

# ---- bad combinations (generated data) ----
awk 'BEGIN { srand(3); split("a b c", c, " "); for (i = 0; i < 300; i++) { k = 1 + int(3 * rand());
    print c[k] "," (k - 2) + rand() - 0.5 "," rand() } }' > "$T/abc.csv"
run_ok "$GANNET" train -d "$T/abc.csv" --no-header --oaa -m "$T/abc.model" --quiet
run_ok "$GANNET" inspect -m "$T/abc.model" --json
json_get "$T/out" '.metadata.labels.classes' | grep -q '\["a","b","c"\]' || fail "oaa model stores its classes"
run_ok "$GANNET" eval -m "$T/abc.model" -d "$T/abc.csv" --json
check "$(json_get "$T/out" .accuracy)" '>' 0.7 "oaa (logistic, default loss) learns three string classes"
run "$GANNET" train -d "$T/abc.csv" --no-header --label 2 --oaa --loss squared -m "$T/bad.model" --quiet
expect_rc 2 "oaa with squared"
expect_err "oaa takes a binary loss \(logistic or hinge\), not squared" "oaa with a regression loss refused"
run "$GANNET" train -d "$T/abc.csv" --no-header --oaa --loss hinge --optimizer lbfgs -m "$T/bad.model" --quiet
expect_rc 2 "oaa hinge with lbfgs"
expect_err "oaa with optimizer lbfgs needs loss logistic" "oaa hinge with a batch solver refused (not smooth)"
run "$GANNET" train -d "$T/abc.csv" --no-header --kind oaa -m "$T/bad.model" --quiet
expect_rc 2 "kind oaa without --oaa"
# class weights combine with oaa
run_ok "$GANNET" train -d "$T/abc.csv" --no-header --oaa --balanced -m "$T/abcb.model" --quiet
# cv and tune take it (tune's default metric is the multiclass one: logloss)
run_ok "$GANNET" cv -d "$T/abc.csv" --no-header --oaa -k 3 --json
check "$(json_get "$T/out" '.folds[0].classes')" == 3 "cv --oaa: multiclass metrics per fold"
run_ok "$GANNET" tune -d "$T/abc.csv" --no-header --oaa --loss hinge -k 3 --grid 'l2=0,0.01' -m "$T/tuned.model"
run_ok "$GANNET" inspect -m "$T/tuned.model" --json
grep -q '"kind":"oaa"' "$T/out" || fail "tune --oaa saves an oaa model"

DIGITS=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
[ -r "$DIGITS" ] || skip "scikit-learn's digits table is not installed"
zcat "$DIGITS" | awk 'NR % 5 != 0' > "$T/dtrain.csv"
zcat "$DIGITS" | awk 'NR % 5 == 0' > "$T/dtest.csv"
run_ok "$GANNET" train -d "$T/dtrain.csv" --label 65 --loss softmax -m "$T/sm.model" --quiet
run_ok "$GANNET" eval -m "$T/sm.model" -d "$T/dtest.csv" --json
acc_sm=$(json_get "$T/out" .accuracy)
for loss in logistic hinge; do
    run_ok "$GANNET" train -d "$T/dtrain.csv" --label 65 --oaa --loss $loss -m "$T/oaa_$loss.model" --quiet
    run_ok "$GANNET" eval -m "$T/oaa_$loss.model" -d "$T/dtest.csv" --json
    cp "$T/out" "$T/eval_$loss.json"
    acc=$(json_get "$T/out" .accuracy)
    check "$acc" '>=' 0.9 "digits: --oaa --loss $loss accuracy"
    check "$(awk -v a="$acc" -v b="$acc_sm" 'BEGIN { print b - a }')" '<' 0.03 "digits: --oaa --loss $loss close to softmax ($acc_sm)"
    check "$(json_get "$T/out" .classes)" == 10 "eval: 10 classes"
    check "$(json_get "$T/out" '.confusion | length')" == 10 "eval: 10x10 confusion"
    run_ok "$GANNET" inspect -m "$T/oaa_$loss.model" --json
    grep -q '"kind":"oaa"' "$T/out" || fail "model kind oaa"
    grep -q "\"oaa_loss\":\"$loss\"" "$T/out" || fail "model header oaa_loss $loss"
done
M="$T/oaa_logistic.model"
n=$(wc -l < "$T/dtest.csv")
for t in class probs topk:3 json prob; do
    run_ok "$GANNET" predict -m "$M" -d "$T/dtest.csv" --output "$t" -o "$T/p.$t"
    check "$(wc -l < "$T/p.$t")" == "$n" "predict --output $t: one line per row"
done
check "$(awk '{ print NF }' "$T/p.prob" | sort -u)" == 10 "prob: K probabilities per line"
check "$(awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; d = s - 1; if (d < 0) d = -d; if (d > m) m = d } END { printf "%.9f\n", m }' "$T/p.prob")" \
    '<' 1e-5 "the normalized sigmoids sum to 1"
check "$(awk '{ print NF }' "$T/p.topk:3" | sort -u)" == 3 "topk:3: three pairs per line"
awk '{ split($1, kv, ":"); print kv[1] }' "$T/p.topk:3" > "$T/top1"
cmp -s "$T/top1" "$T/p.class" || fail "topk's first class differs from --output class"
paccuracy=$(paste -d, "$T/p.class" "$T/dtest.csv" | awk -F, '{ n++; if ($1 == $NF) c++ } END { printf "%.6f\n", c / n }')
check "$(awk -v a="$(json_get "$T/eval_logistic.json" .accuracy)" 'BEGIN { printf "%.6f\n", a }')" == "$paccuracy" \
    "eval accuracy equals predict's classes"

# the server answers as predict --output json
head -5 "$T/dtest.csv" > "$T/five.csv"
run_ok "$GANNET" predict -m "$M" -d "$T/five.csv" --output json -o "$T/five.expect"
have_jq || skip "jq is needed for the server checks"
start_server "$T/serve.log" -m "digits=$M"
curl -s -H 'Content-Type: text/plain' --data-binary @"$T/five.csv" "$BASE/v1/models/digits:predict" > "$T/text.json"
jq -c '.predictions[]' "$T/text.json" > "$T/text.got" || fail "server text answer is not JSON"
jq -c . "$T/five.expect" > "$T/five.norm"
cmp -s "$T/text.got" "$T/five.norm" || { diff "$T/text.got" "$T/five.norm" | head -4; fail "server != predict json"; }
ok "server answers {class, probabilities} for an oaa model"
