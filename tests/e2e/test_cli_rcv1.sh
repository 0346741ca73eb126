#!/usr/bin/env bash
# e2e: the rcv1 subset (LIBSVM with exponent-notation tf-idf values such as 6.2699720e-02) trains
# and evaluates with AUC > 0.9; every row is read (none skipped or lost).
. "$(dirname "$0")/lib.sh"

TRAIN=$GN_SHARED_DATA/rcv1/rcv1_small_train.libsvm.gz
TEST=$GN_SHARED_DATA/rcv1/rcv1_small_test.libsvm.gz
[ -r "$TRAIN" ] && [ -r "$TEST" ] || skip "rcv1 subset not found under $GN_SHARED_DATA"
zcat "$TRAIN" | awk "NR == 1" | grep -Eq ':[0-9.]+e-[0-9]+' || fail "rcv1 train data has no exponent notation (wrong file?)"

M=$T/rcv1.model
run_ok "$GANNET" train --passes 1 -d "$TRAIN" -m "$M" --json
cp "$T/out" "$T/train.json"
check "$(json_get "$T/train.json" .examples)" == "$(zcat "$TRAIN" | wc -l)" "every training row was read"
run_ok "$GANNET" eval -m "$M" -d "$TEST" --json
cp "$T/out" "$T/eval.json"
check "$(json_get "$T/eval.json" .examples)" == "$(zcat "$TEST" | wc -l)" "every test row was evaluated"
check "$(json_get "$T/eval.json" .auc)" '>' 0.9 "rcv1 test AUC (1 pass)"

# more passes fit better on this small set
run_ok "$GANNET" train -d "$TRAIN" -m "$T/rcv1_5.model" --passes 5
run_ok "$GANNET" eval -m "$T/rcv1_5.model" -d "$TEST" --json
cp "$T/out" "$T/eval5.json"
check "$(json_get "$T/eval5.json" .auc)" '>' 0.9 "rcv1 test AUC (5 passes)"
check "$(json_get "$T/eval5.json" .logloss)" '<' "$(json_get "$T/eval.json" .logloss)" "5 passes lower the test logloss"

# the weights use the LIBSVM indices directly (max index 47,117 < 2^18): every top slot is a
# feature index that occurs in the training data (or 0, the bias)
run_ok "$GANNET" inspect -m "$M" --json --top 10
cp "$T/out" "$T/inspect.json"
zcat "$TRAIN" | tr ' ' '\n' | awk -F: 'NF == 2 { print $1 }' | sort -un > "$T/indices"
top_weights "$T/inspect.json" > "$T/top"
check "$(wc -l < "$T/top")" == 10 "inspect --top 10 lists 10 weights"
while read -r s w; do
    [ "$s" = 0 ] || grep -qx "$s" "$T/indices" || fail "top weight slot $s is not a training feature index"
done < "$T/top"
ok "top weights sit on training feature indices"
echo PASS
