#!/usr/bin/env bash
# e2e: the a9a quality bar. Trains with default flags on a9a.gz, evaluates on a9a.t.gz and checks
# accuracy/AUC/logloss against LIBLINEAR -s 0's level (0.8495 / 0.9022 / 0.3241); checks that
# predict writes one probability per row, that the eval metrics agree with metrics recomputed from
# the predictions, and that inspect --json describes the model.
. "$(dirname "$0")/lib.sh"

TRAIN=$GN_SHARED_DATA/a9a/a9a.gz
TEST=$GN_SHARED_DATA/a9a/a9a.t.gz
[ -r "$TRAIN" ] && [ -r "$TEST" ] || skip "a9a not found under $GN_SHARED_DATA"

M=$T/a9a.model
run_ok "$GANNET" train --passes 1 -d "$TRAIN" -m "$M"
[ -s "$M" ] || fail "train did not write $M"
for f in "$T"/*.tmp.*; do [ -e "$f" ] && fail "train left a temporary file behind: $f"; done

run_ok "$GANNET" eval -m "$M" -d "$TEST" --json
cp "$T/out" "$T/eval.json"
json_valid "$T/eval.json"
check "$(json_get "$T/eval.json" .examples)" == 16281 "eval examples"
check "$(json_get "$T/eval.json" .accuracy)" '>=' 0.849 "a9a test accuracy"
check "$(json_get "$T/eval.json" .auc)" '>=' 0.901 "a9a test AUC"
check "$(json_get "$T/eval.json" .logloss)" '<=' 0.326 "a9a test logloss"
for k in precision recall f1; do
    v=$(json_get "$T/eval.json" ".$k")
    check "$v" '>' 0 "eval $k"
    check "$v" '<' 1 "eval $k"
done

# predict: one probability in (0,1) per test row
zcat "$TEST" > "$T/test.svm"
rows=$(wc -l < "$T/test.svm")
run_ok "$GANNET" predict -m "$M" -d "$TEST"
cp "$T/out" "$T/pred.txt"
check "$(wc -l < "$T/pred.txt")" == "$rows" "predict writes one line per row"
bad=$(awk '!($1 + 0 > 0 && $1 + 0 < 1 && $1 ~ /^[0-9.eE+-]+$/ && NF == 1)' "$T/pred.txt" | head -3)
[ -z "$bad" ] || fail "predictions outside (0,1) or not numbers: $bad"
ok "all predictions are numbers in (0,1)"

# -o FILE writes the same predictions as stdout
run_ok "$GANNET" predict -m "$M" -d "$TEST" -o "$T/pred_o.txt"
cmp -s "$T/pred.txt" "$T/pred_o.txt" || fail "predict -o differs from predict to stdout"
ok "predict -o equals stdout"

# The eval metrics recomputed from predictions and labels (independently of gannet's code).
paste -d' ' "$T/pred.txt" <(cut -d' ' -f1 "$T/test.svm") | awk '
    { p = $1; y = ($2 > 0); n++; correct += ((p >= 0.5) == y)
      q = p < 1e-15 ? 1e-15 : (p > 1 - 1e-15 ? 1 - 1e-15 : p)
      ll -= y ? log(q) : log(1 - q) }
    END { printf "%.12f %.12f\n", correct / n, ll / n }' > "$T/recomputed"
read -r acc ll < "$T/recomputed"
check "$(awk -v a="$acc" -v b="$(json_get "$T/eval.json" .accuracy)" 'BEGIN{d=a-b; print d<0?-d:d}')" '<' 1e-9 \
    "accuracy recomputed from predictions ($acc) equals eval's"
check "$(awk -v a="$ll" -v b="$(json_get "$T/eval.json" .logloss)" 'BEGIN{d=a-b; print d<0?-d:d}')" '<' 1e-6 \
    "logloss recomputed from predictions ($ll) equals eval's"

# train --test gives the same test metrics as a separate eval
run_ok "$GANNET" train --passes 1 -d "$TRAIN" -m "$T/a9a2.model" --test "$TEST" --json
cp "$T/out" "$T/train.json"
json_valid "$T/train.json"
check "$(json_get "$T/train.json" .examples)" == 32561 "train --json examples"
run_ok "$GANNET" eval -m "$T/a9a2.model" -d "$TEST" --json
cp "$T/out" "$T/eval2.json"
check "$(json_get "$T/train.json" .test.auc)" == "$(json_get "$T/eval2.json" .auc)" "train --test AUC equals eval AUC"
check "$(json_get "$T/train.json" .test.logloss)" == "$(json_get "$T/eval2.json" .logloss)" "train --test logloss equals eval's"

# inspect --json: parses and describes the model
run_ok "$GANNET" inspect -m "$M" --json
cp "$T/out" "$T/inspect.json"
json_valid "$T/inspect.json"
[ "$(json_get "$T/inspect.json" .metadata.kind)" = linear ] || fail "inspect: kind is not linear"
[ "$(json_get "$T/inspect.json" .metadata.loss)" = logistic ] || fail "inspect: loss is not logistic"
[ "$(json_get "$T/inspect.json" .metadata.spec.format)" = libsvm ] || fail "inspect: format is not libsvm"
check "$(json_get "$T/inspect.json" .metadata.bits)" == 18 "inspect: default bits"
check "$(json_get "$T/inspect.json" .metadata.data.examples)" == 32561 "inspect: training examples"
# a9a has 123 features + bias; each one that occurs in training gets a weight
nz=$(json_get "$T/inspect.json" .metadata.nonzero)
check "$nz" '<=' 124 "inspect: non-zero weights at most 123 features + bias"
check "$nz" '>=' 100 "inspect: most features have weights"
# top weights sorted by decreasing magnitude, slots within 1..123 or the bias slot 0
if have_jq; then
    jq -e '.top_weights | length == 20' "$T/inspect.json" >/dev/null || fail "inspect: not 20 top weights"
    jq -e '[.top_weights[].weight | fabs] as $a | $a == ($a | sort | reverse)' "$T/inspect.json" >/dev/null ||
        fail "inspect: top weights not sorted by magnitude"
    jq -e 'all(.top_weights[]; .slot >= 0 and .slot <= 123)' "$T/inspect.json" >/dev/null ||
        fail "inspect: a top weight's slot is outside the a9a features"
    ok "inspect: 20 top weights, sorted by magnitude, on a9a feature slots"
fi
run_ok "$GANNET" inspect -m "$M" --top 5 --json
cp "$T/out" "$T/inspect5.json"
[ "$(json_get "$T/inspect5.json" '.top_weights[4].slot')" != null ] || fail "inspect --top 5: fewer than 5"
[ "$(json_get "$T/inspect5.json" '.top_weights[5].slot')" = null ] || fail "inspect --top 5: more than 5"
ok "inspect --top 5 gives 5 weights"
echo "PASS"
