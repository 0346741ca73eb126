#!/usr/bin/env bash
# e2e: field-aware factorization machines (--kind ffm). On a generated problem whose label comes
# from the user column's interactions with two other columns, of opposite signs (user x ad one
# way, user x context the other), ffm learns what the linear model cannot, from a CSV file (each
# feature column a field), the same data in the libffm format (--fields 3) and in VW namespaces
# (--fields u,a,c); predict's probabilities give eval's logloss; --deterministic threads give the
# same predictions twice; Hogwild threads, checkpoint/resume, a cache, cv and tune take it; the
# server answers as predict does (text lines and named CSV inputs). Bad flags and bad lines
# exit 2 with the reason (file:line for the data).
. "$(dirname "$0")/serve_common.sh"

gen() { # gen N SEED: label,u,a,c rows; log-odds 1.6 * s(u) * (s(a) - s(c)), s = +-1 by parity
    awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed); for (i = 0; i < n; i++) {
        u = int(40 * rand()); a = int(12 * rand()); c = int(12 * rand());
        su = (u % 2) * 2 - 1; sa = (a % 2) * 2 - 1; sc = (int(c / 2) % 2) * 2 - 1;
        y = (rand() < 1 / (1 + exp(-1.6 * su * (sa - sc)))) ? 1 : 0;
        print y ",u" u ",a" a ",c" c } }'
}
gen 12000 1 > "$T/train.csv"
gen 3000 2 > "$T/test.csv"
to_ffm() { awk -F, '{ print $1 " 0:" substr($2, 2) ":1 1:" 100 + substr($3, 2) ":1 2:" 200 + substr($4, 2) ":1" }' "$1"; }
to_vw() { awk -F, '{ print ($1 ? 1 : -1) " |u " $2 " |a " $3 " |c " $4 }' "$1"; }
to_ffm "$T/train.csv" > "$T/train.ffm"
to_ffm "$T/test.csv" > "$T/test.ffm"
to_vw "$T/train.csv" > "$T/train.vw"
to_vw "$T/test.csv" > "$T/test.vw"
D=(--no-header --label 1 -b 14)

auc_of() { # auc_of MODEL TEST: test AUC
    run_ok "$GANNET" eval -m "$1" -d "$2" --json
    json_get "$T/out" .auc
}

run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" -m "$T/lin.model" --quiet
check "$(auc_of "$T/lin.model" "$T/test.csv")" '<' 0.6 "linear cannot learn the interactions"
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind ffm -m "$T/ffm.model" --quiet
check "$(auc_of "$T/ffm.model" "$T/test.csv")" '>' 0.75 "ffm learns them from CSV columns"
cp "$T/out" "$T/ffm.eval"
run_ok "$GANNET" train -d "$T/train.ffm" --fields 3 -b 14 --kind ffm -m "$T/ffmf.model" --quiet
check "$(auc_of "$T/ffmf.model" "$T/test.ffm")" '>' 0.75 "ffm learns them from libffm (format detected)"
run_ok "$GANNET" train -d "$T/train.vw" --fields u,a,c -b 14 --kind ffm -m "$T/ffmv.model" --quiet
check "$(auc_of "$T/ffmv.model" "$T/test.vw")" '>' 0.75 "ffm learns them from VW namespaces"
run_ok "$GANNET" train -d "$T/train.ffm" --format libffm -b 14 --kind fm -m "$T/fmf.model" --quiet
check "$(auc_of "$T/fmf.model" "$T/test.ffm")" '>' 0.75 "fm reads libffm (fields not used)"
for extra in "--optimizer sgd" "--rank 2" "--loss hinge" "--threads 2"; do
    # shellcheck disable=SC2086
    run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind ffm $extra -m "$T/x.model" --quiet
    check "$(auc_of "$T/x.model" "$T/test.csv")" '>' 0.75 "ffm $extra learns them"
done
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind ffm --loss squared -m "$T/sq.model" --quiet
run_ok "$GANNET" eval -m "$T/sq.model" -d "$T/test.csv" --json
check "$(json_get "$T/out" .rmse)" '<' 0.46 "ffm --loss squared: rmse (linear: about 0.5)"

# the model file: kind ffm, its rank and fields, 1 + 3 x 8 weights per slot, the spec's fields
run_ok "$GANNET" inspect -m "$T/ffm.model" --json
grep -q '"kind":"ffm"' "$T/out" || fail "model kind ffm"
grep -q '"ffm_rank":8' "$T/out" || fail "model header ffm_rank 8"
grep -q '"ffm_fields":3' "$T/out" || fail "model header ffm_fields 3"
grep -q '"weights_per_slot":25' "$T/out" || fail "model weights_per_slot 1 + 3 x 8"
grep -q '"nfields":3' "$T/out" || fail "spec nfields 3"
run_ok "$GANNET" predict -m "$T/ffm.model" -d "$T/test.csv" -o "$T/p"
check "$(wc -l < "$T/p")" == 3000 "predict: one line per row"
ll=$(paste -d, "$T/p" "$T/test.csv" | awk -F, '{ p = $1; if (p < 1e-15) p = 1e-15; if (p > 1 - 1e-15) p = 1 - 1e-15;
    s += ($2 == 1) ? -log(p) : -log(1 - p); n++ } END { printf "%.6f\n", s / n }')
check "$ll" == "$(awk -v a="$(json_get "$T/ffm.eval" .logloss)" 'BEGIN { printf "%.6f\n", a }')" \
    "the saved model's predictions give eval's logloss"

# determinism with threads; a checkpoint resumed; a cache; cv and tune
for r in 1 2; do
    run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind ffm --threads 2 --deterministic -m "$T/d$r.model" --quiet
    run_ok "$GANNET" predict -m "$T/d$r.model" -d "$T/test.csv" -o "$T/d$r.p"
done
cmp -s "$T/d1.p" "$T/d2.p" || fail "--deterministic --threads 2: two ffm runs predict differently"
ok "ffm --deterministic --threads 2: the same predictions twice"
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind ffm --passes 1 --checkpoint "$T/c.ckpt" --checkpoint-every 1000 \
    -m "$T/c1.model" --quiet
[ -s "$T/c.ckpt" ] || fail "no checkpoint written"
run_ok "$GANNET" train -d "$T/train.csv" "${D[@]}" --kind ffm --passes 3 --resume "$T/c.ckpt" -m "$T/c2.model" --quiet
check "$(auc_of "$T/c2.model" "$T/test.csv")" '>' 0.75 "ffm resumed from a checkpoint"
run_ok "$GANNET" train -d "$T/train.ffm" --fields 3 -b 14 --kind ffm --cache "$T/t.cache" -m "$T/cached.model" --quiet
run_ok "$GANNET" train --cache "$T/t.cache" --fields 3 -b 14 --kind ffm -m "$T/cached2.model" --quiet
check "$(auc_of "$T/cached2.model" "$T/test.ffm")" '>' 0.75 "ffm from a libffm cache alone"
run_ok "$GANNET" cv -d "$T/train.csv" "${D[@]}" --kind ffm -k 3 --json
check "$(json_get "$T/out" '.folds[0].auc')" '>' 0.75 "cv --kind ffm: fold AUC"
run_ok "$GANNET" tune -d "$T/train.csv" "${D[@]}" --kind ffm -k 3 --grid 'rank=2,4' -m "$T/tuned.model"
run_ok "$GANNET" inspect -m "$T/tuned.model" --json
grep -q '"kind":"ffm"' "$T/out" || fail "tune --kind ffm saves an ffm model"

# bad flags and bad data
printf '1 0:1:1 1:2:1\n0 0:1:1 1:2:x\n' > "$T/bad1.ffm"
printf '1 0:1:1 1:2:1\n1 0:1:1 5:2:1\n' > "$T/bad2.ffm"
printf '1 0:1:1 1:2:1\n1 0:1 1:2:1\n' > "$T/bad3.ffm"
for bad in "--rank 0:rank: must be in \[1, 1023\]" \
    "--rank 400:kind ffm: 3 fields x rank 400 = 1200 factors per feature, more than the 1023 a model holds" \
    "--loss poisson:kind ffm takes loss logistic, hinge, squared or softmax, not poisson" \
    "--optimizer ftrl:kind ffm takes optimizer sgd or adagrad" \
    "--fields 3:--fields: each feature column of a CSV/TSV file is a field" \
    "-b 1:kind ffm: 3 fields do not fit in 2\\^1 slots"; do
    # shellcheck disable=SC2086
    run "$GANNET" train -d "$T/train.csv" --no-header --label 1 --kind ffm ${bad%%:*} -m "$T/bad.model" --quiet
    expect_rc 2 "ffm ${bad%%:*}"
    expect_err "${bad#*:}" "ffm ${bad%%:*} refused clearly"
    [ ! -e "$T/bad.model" ] || fail "ffm ${bad%%:*}: a model was written"
done
for bad in "$T/train.ffm::kind ffm on libffm data needs --fields N" \
    "$T/train.vw::kind ffm on VW data needs --fields NS" \
    "$T/train.vw:--fields u,a:train.vw:1: namespace 'c' is not one of --fields" \
    "$T/bad1.ffm:--fields 2:bad1.ffm:2: feature '1:2': value 'x' is not a number" \
    "$T/bad2.ffm:--fields 2:bad2.ffm:2: feature '5:2:1': field 5, but the data has 2 fields" \
    "$T/bad3.ffm:--fields 2:bad3.ffm:2: expected field:index:value"; do
    f=${bad%%:*}; rest=${bad#*:}; flags=${rest%%:*}; want=${rest#*:}
    # shellcheck disable=SC2086
    run "$GANNET" train -d "$f" $flags -b 14 --kind ffm -m "$T/bad.model" --quiet
    expect_rc 2 "ffm on $(basename "$f") $flags"
    expect_err "$want" "ffm on $(basename "$f") $flags refused clearly"
done
run "$GANNET" train -d "$T/bad1.ffm" --format libsvm --kind ffm -m "$T/bad.model" --quiet
expect_rc 2 "ffm on LIBSVM"
expect_err "kind ffm needs fields" "ffm on LIBSVM rows refused clearly"
ok "bad ffm flags and lines exit 2 with their reason"

# the server answers as predict does: text lines, and named CSV inputs
head -5 "$T/test.csv" > "$T/five.csv"
run_ok "$GANNET" predict -m "$T/ffm.model" -d "$T/five.csv" -o "$T/five.expect"
start_server "$T/serve.log" -m "ffm=$T/ffm.model"
curl -s -H 'Content-Type: text/plain' --data-binary @"$T/five.csv" "$BASE/v1/models/ffm:predict" > "$T/text.json"
jq -r '.predictions[]' "$T/text.json" > "$T/text.got" || fail "server answer is not JSON: $(cat "$T/text.json")"
check "$(wc -l < "$T/text.got")" == 5 "the server: five predictions"
cmp -s "$T/text.got" "$T/five.expect" || { diff "$T/text.got" "$T/five.expect" | head -4; fail "server != predict"; }
awk -F, '{ printf "%s{\"2\":\"%s\",\"3\":\"%s\",\"4\":\"%s\"}", (NR > 1 ? "," : "["), $2, $3, $4 } END { print "]" }' \
    "$T/five.csv" > "$T/inst.json"
curl -s -H 'Content-Type: application/json' --data-binary "{\"instances\":$(cat "$T/inst.json")}" \
    "$BASE/v1/models/ffm:predict" > "$T/named.json"
jq -r '.predictions[]' "$T/named.json" > "$T/named.got" || fail "server answer is not JSON: $(cat "$T/named.json")"
cmp -s "$T/named.got" "$T/five.expect" || { diff "$T/named.got" "$T/five.expect" | head -4; fail "named != predict"; }
ok "the server answers an ffm model as gannet predict (lines and named columns)"
stop_server
