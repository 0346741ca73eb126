#!/usr/bin/env bash
# e2e: factorization machines (--kind fm --rank K). On a generated binary problem whose label is
# the XOR of two categorical columns' parities (an interaction no linear model of one-hot
# features can learn): fm's test AUC > 0.9, the linear model's < 0.7, for adagrad and sgd, and
# with hinge and squared losses. The model records kind fm and fm_rank and reloads: predict's
# probabilities give eval's logloss; --deterministic threads give the same predictions twice;
# checkpoint/resume, a cache, cv and tune take it; the server answers as predict does. Bad
# flags (rank out of range, other losses, ftrl, lbfgs, interactions) exit 2 with the reason.
. "$(dirname "$0")/serve_common.sh"

gen() { # gen N SEED: label,a,b,c rows; label = parity(a) xor parity(b), 5% flipped
    awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed); for (i = 0; i < n; i++) {
        a = int(6 * rand()); b = int(6 * rand()); c = int(4 * rand());
        y = (a % 2 != b % 2) ? 1 : 0; if (rand() < 0.05) y = 1 - y;
        print y ",a" a ",b" b ",c" c } }'
}
gen 6000 1 > "$T/train.csv"
gen 2000 2 > "$T/test.csv"
D=(--no-header --label 1 -b 14)

auc_of() { # auc_of MODEL: test AUC
    run_ok "$GANNET" eval -m "$1" -d "$T/test.csv" --json
    json_get "$T/out" .auc
}

run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" -m "$T/lin.model" --quiet
check "$(auc_of "$T/lin.model")" '<' 0.7 "linear cannot learn the XOR of two columns"
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm -m "$T/fm.model" --quiet
auc_fm=$(auc_of "$T/fm.model")
check "$auc_fm" '>' 0.9 "fm (rank 8, adagrad) learns it"
cp "$T/out" "$T/fm.eval"
for extra in "--optimizer sgd" "--rank 2" "--loss hinge" "--threads 2"; do
    # shellcheck disable=SC2086
    run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm $extra -m "$T/x.model" --quiet
    check "$(auc_of "$T/x.model")" '>' 0.9 "fm $extra learns it"
done
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm --loss squared -m "$T/sq.model" --quiet
run_ok "$GANNET" eval -m "$T/sq.model" -d "$T/test.csv" --json
check "$(json_get "$T/out" .rmse)" '<' 0.35 "fm --loss squared: rmse (linear: about 0.5)"

# the model file: kind fm, fm_rank, 1 + K weights per slot; reloads and predicts as eval measures
run_ok "$GANNET" inspect -m "$T/fm.model" --json
grep -q '"kind":"fm"' "$T/out" || fail "model kind fm"
grep -q '"fm_rank":8' "$T/out" || fail "model header fm_rank 8"
grep -q '"weights_per_slot":9' "$T/out" || fail "model weights_per_slot 1 + 8"
run_ok "$GANNET" predict -m "$T/fm.model" -d "$T/test.csv" -o "$T/p"
check "$(wc -l < "$T/p")" == 2000 "predict: one line per row"
ll=$(paste -d, "$T/p" "$T/test.csv" | awk -F, '{ p = $1; if (p < 1e-15) p = 1e-15; if (p > 1 - 1e-15) p = 1 - 1e-15;
    s += ($2 == 1) ? -log(p) : -log(1 - p); n++ } END { printf "%.6f\n", s / n }')
check "$ll" == "$(awk -v a="$(json_get "$T/fm.eval" .logloss)" 'BEGIN { printf "%.6f\n", a }')" \
    "the saved model's predictions give eval's logloss"

# determinism with threads; a checkpoint resumed; a cache; cv and tune
for r in 1 2; do
    run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm --threads 2 --deterministic -m "$T/d$r.model" --quiet
    run_ok "$GANNET" predict -m "$T/d$r.model" -d "$T/test.csv" -o "$T/d$r.p"
done
cmp -s "$T/d1.p" "$T/d2.p" || fail "--deterministic --threads 2: two fm runs predict differently"
ok "fm --deterministic --threads 2: the same predictions twice"
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm --passes 1 --checkpoint "$T/c.ckpt" --checkpoint-every 1000 \
    -m "$T/c1.model" --quiet
[ -s "$T/c.ckpt" ] || fail "no checkpoint written"
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm --passes 3 --resume "$T/c.ckpt" -m "$T/c2.model" --quiet
check "$(auc_of "$T/c2.model")" '>' 0.9 "fm resumed from a checkpoint"
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm --cache "$T/t.cache" -m "$T/cached.model" --quiet
check "$(auc_of "$T/cached.model")" '>' 0.9 "fm through a cache"
run_ok "$GANNET" cv -d "$T/train.csv" "${D[@]}" --kind fm -k 3 --json
check "$(json_get "$T/out" '.folds[0].auc')" '>' 0.9 "cv --kind fm: fold AUC"
run_ok "$GANNET" tune -d "$T/train.csv" "${D[@]}" --kind fm -k 3 --grid 'rank=1,4' -m "$T/tuned.model"
run_ok "$GANNET" inspect -m "$T/tuned.model" --json
grep -q '"kind":"fm"' "$T/out" || fail "tune --kind fm saves an fm model"

# bad flags
for bad in "--rank 0:rank: must be in \[1, 1023\]" "--rank 1024:rank: must be in \[1, 1023\]" \
    "--loss poisson:kind fm takes loss logistic, hinge, squared or softmax, not poisson" \
    "--optimizer ftrl:kind fm takes optimizer sgd or adagrad" \
    "--optimizer lbfgs:kind fm takes optimizer sgd or adagrad .*not lbfgs \(a factorization machine is not convex\)" \
    "--interactions 3*4:interactions: the fm kind does not cross features"; do
    # shellcheck disable=SC2086
    run "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind fm ${bad%%:*} -m "$T/bad.model" --quiet
    expect_rc 2 "fm ${bad%%:*}"
    expect_err "${bad#*:}" "fm ${bad%%:*} refused clearly"
    [ ! -e "$T/bad.model" ] || fail "fm ${bad%%:*}: a model was written"
done
ok "bad fm flags exit 2 with their reason"

# the server answers as predict does
head -5 "$T/test.csv" > "$T/five.csv"
run_ok "$GANNET" predict -m "$T/fm.model" -d "$T/five.csv" -o "$T/five.expect"
start_server "$T/serve.log" -m "fm=$T/fm.model"
curl -s -H 'Content-Type: text/plain' --data-binary @"$T/five.csv" "$BASE/v1/models/fm:predict" > "$T/text.json"
jq -r '.predictions[]' "$T/text.json" > "$T/text.got" || fail "server answer is not JSON: $(cat "$T/text.json")"
check "$(wc -l < "$T/text.got")" == 5 "the server: five predictions"
cmp -s "$T/text.got" "$T/five.expect" || { diff "$T/text.got" "$T/five.expect" | head -4; fail "server != predict"; }
ok "the server answers an fm model as gannet predict"
stop_server
