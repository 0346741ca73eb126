#!/usr/bin/env bash
# e2e: factorization machines over K classes (--kind fm|ffm --loss softmax). On a generated
# 3-class problem whose class is (a mod 3) * (b mod 3) mod 3 of two categorical columns (a
# product no linear model of one-hot features can represent): fm's and ffm's test accuracy
# clearly above linear softmax's; predict --output probs sums to 1 per row, class is its argmax
# and topk's first, eval's accuracy is predict's; sgd, threads, a cache, a checkpoint resumed, cv
# and tune take it; the server answers {class, probabilities} as predict --output-type json. On
# a binary XOR problem, K = 2 softmax fm agrees with logistic fm. A rank whose K classes do not
# fit a model's row exits 2 with the reason.
. "$(dirname "$0")/serve_common.sh"

gen() { # gen N SEED: class,a,b,c rows; class = (a%3)*(b%3) mod 3, 5% relabelled at random
    awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed); for (i = 0; i < n; i++) {
        a = int(6 * rand()); b = int(6 * rand()); c = int(4 * rand());
        y = ((a % 3) * (b % 3)) % 3; if (rand() < 0.05) y = int(3 * rand());
        print "k" y ",a" a ",b" b ",c" c } }'
}
gen 3000 1 > "$T/train.csv"
gen 1000 2 > "$T/test.csv"
D=(--no-header --label 1 -b 12 --loss softmax)

acc_of() { # acc_of MODEL: test accuracy
    run_ok "$GANNET" eval -m "$1" -d "$T/test.csv" --json
    json_get "$T/out" .accuracy
}

run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" -m "$T/lin.model" --quiet
acc_lin=$(acc_of "$T/lin.model")
check "$acc_lin" '<' 0.85 "linear softmax cannot represent the product of two columns"
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm -m "$T/fm.model" --quiet
acc_fm=$(acc_of "$T/fm.model")
cp "$T/out" "$T/fm.eval"
check "$acc_fm" '>' "$(awk -v a="$acc_lin" 'BEGIN { print a + 0.1 }')" "fm softmax accuracy clearly above linear's ($acc_lin)"
check "$acc_fm" '>' 0.9 "fm softmax learns the product"
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind ffm -m "$T/ffm.model" --quiet
acc_ffm=$(acc_of "$T/ffm.model")
check "$acc_ffm" '>' "$(awk -v a="$acc_lin" 'BEGIN { print a + 0.1 }')" "ffm softmax accuracy clearly above linear's ($acc_lin)"
for extra in "--kind fm --optimizer sgd" "--kind fm --threads 2" "--kind ffm --optimizer sgd --threads 2" \
    "--kind fm --cache $T/t.cache"; do
    # shellcheck disable=SC2086
    run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" $extra -m "$T/x.model" --quiet
    check "$(acc_of "$T/x.model")" '>' 0.9 "softmax $extra learns it"
done
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm --passes 1 --checkpoint "$T/c.ckpt" \
    --checkpoint-every 1000 -m "$T/c1.model" --quiet
[ -s "$T/c.ckpt" ] || fail "no checkpoint written"
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm --passes 3 --resume "$T/c.ckpt" -m "$T/c2.model" --quiet
check "$(acc_of "$T/c2.model")" '>' 0.9 "softmax fm resumed from a checkpoint"

# the model file: kind fm, loss softmax, fm_rank the rank, 3 x (1 + 8) weights per slot
run_ok "$GANNET" inspect -m "$T/fm.model" --json
grep -q '"kind":"fm"' "$T/out" || fail "model kind fm"
grep -q '"loss":"softmax"' "$T/out" || fail "model loss softmax"
grep -q '"fm_rank":8' "$T/out" || fail "model header fm_rank 8"
grep -q '"weights_per_slot":27' "$T/out" || fail "model weights_per_slot 3 x (1 + 8)"
ok "the model file: kind fm, loss softmax, fm_rank 8, 27 weights per slot"

# predict: probabilities sum to 1, class is their argmax and topk's first; eval agrees
for kind in fm ffm; do
    run_ok "$GANNET" predict -m "$T/$kind.model" -d "$T/test.csv" --output probs -o "$T/$kind.probs"
    run_ok "$GANNET" predict -m "$T/$kind.model" -d "$T/test.csv" --output class -o "$T/$kind.class"
    run_ok "$GANNET" predict -m "$T/$kind.model" -d "$T/test.csv" --output topk:2 -o "$T/$kind.top2"
    check "$(wc -l < "$T/$kind.probs")" == 1000 "$kind predict: one line per row"
    worst=$(awk '{ s = 0; for (i = 1; i <= NF; i++) { split($i, kv, ":"); s += kv[2] }
        d = s > 1 ? s - 1 : 1 - s; if (d > w) w = d; if (NF != 3) bad = 1 } END { print bad ? 1 : w + 0 }' "$T/$kind.probs")
    check "$worst" '<' 1e-6 "$kind --output probs: three classes summing to 1 on every row"
    awk '{ b = ""; bp = -1; for (i = 1; i <= NF; i++) { split($i, kv, ":"); if (kv[2] > bp) { bp = kv[2]; b = kv[1] } }
        print b }' "$T/$kind.probs" > "$T/$kind.argmax"
    cmp -s "$T/$kind.argmax" "$T/$kind.class" || fail "$kind: --output class is not the argmax of probs"
    awk '{ split($1, kv, ":"); print kv[1] }' "$T/$kind.top2" | cmp -s - "$T/$kind.class" ||
        fail "$kind: topk:2's first class is not --output class"
    ok "$kind: class = argmax of probs = topk's first"
done
pacc=$(paste -d, "$T/fm.class" "$T/test.csv" | awk -F, '{ n++; if ($1 == $2) c++ } END { printf "%.6f\n", c / n }')
check "$pacc" == "$(awk -v a="$acc_fm" 'BEGIN { printf "%.6f\n", a }')" "eval's accuracy is predict's classes'"

# cv and tune
run_ok "$GANNET" cv -d "$T/train.csv" "${D[@]}" --kind fm -k 2 --json
check "$(json_get "$T/out" '.folds[0].accuracy')" '>' 0.9 "cv --kind fm --loss softmax: fold accuracy"
run_ok "$GANNET" tune -d "$T/train.csv" "${D[@]}" --kind ffm -k 2 --grid 'rank=2,4' -m "$T/tuned.model"
run_ok "$GANNET" inspect -m "$T/tuned.model" --json
grep -q '"kind":"ffm"' "$T/out" && grep -q '"loss":"softmax"' "$T/out" || fail "tune saves a softmax ffm model"
check "$(acc_of "$T/tuned.model")" '>' 0.9 "the tuned softmax ffm model"

# the server answers {class, probabilities} as predict --output-type json
head -3 "$T/test.csv" > "$T/three.csv"
run_ok "$GANNET" predict -m "$T/fm.model" -d "$T/three.csv" --output-type json -o "$T/three.expect"
start_server "$T/serve.log" -m "fm=$T/fm.model"
curl -s -H 'Content-Type: text/plain' --data-binary @"$T/three.csv" "$BASE/v1/models/fm:predict" > "$T/ans.json"
jq -c '.predictions[]' "$T/ans.json" > "$T/ans.got" || fail "server answer is not JSON: $(cat "$T/ans.json")"
jq -c . "$T/three.expect" > "$T/three.norm"
cmp -s "$T/ans.got" "$T/three.norm" || { diff "$T/ans.got" "$T/three.norm" | head -4; fail "server != predict json"; }
check "$(jq -r '.predictions[0].probabilities | length' "$T/ans.json")" == 3 "server: three class probabilities"
jq -e '.predictions[0].class | startswith("k")' "$T/ans.json" > /dev/null || fail "server: no class in $(cat "$T/ans.json")"
ok "the server answers a softmax fm model with {class, probabilities} as predict"
stop_server

# K = 2: softmax fm behaves as logistic fm on a binary problem (label = parity(a) xor parity(b))
awk 'BEGIN { srand(5); for (i = 0; i < 5000; i++) { a = int(6 * rand()); b = int(6 * rand());
    y = (a % 2 != b % 2) ? 1 : 0; if (rand() < 0.05) y = 1 - y; print y ",a" a ",b" b } }' > "$T/xor.csv"
head -3500 "$T/xor.csv" > "$T/xtrain.csv"
tail -1500 "$T/xor.csv" > "$T/xtest.csv"
X=(--no-header --label 1 -b 12 --kind fm)
run_ok "$GANNET" train -d "$T/xtrain.csv" "${X[@]}" -m "$T/xl.model" --quiet
run_ok "$GANNET" train -d "$T/xtrain.csv" "${X[@]}" --loss softmax -m "$T/xs.model" --quiet
run_ok "$GANNET" predict -m "$T/xl.model" -d "$T/xtest.csv" --output class -o "$T/xl.class"
run_ok "$GANNET" predict -m "$T/xs.model" -d "$T/xtest.csv" --output class -o "$T/xs.class"
agree=$(paste -d' ' "$T/xl.class" "$T/xs.class" | awk '{ n++; if ($1 == $2) c++ } END { print c / n }')
check "$agree" '>' 0.9 "K = 2 softmax fm and logistic fm predict the same class"
sacc=$(paste -d, "$T/xs.class" "$T/xtest.csv" | awk -F, '{ n++; if ($1 == $2) c++ } END { print c / n }')
check "$sacc" '>' 0.85 "K = 2 softmax fm learns the XOR as logistic fm does"

# a rank whose classes do not fit a model's row
run "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm --rank 400 -m "$T/bad.model" --quiet
expect_rc 2 "fm --loss softmax --rank 400"
expect_err "3 classes x \(1 \+ rank 400\) = 1203 weights per feature.*at most 340" "rank too large for 3 classes refused clearly"
[ ! -e "$T/bad.model" ] || fail "a model was written"
ok "fm softmax: a rank too large for the classes exits 2 with the reason"
