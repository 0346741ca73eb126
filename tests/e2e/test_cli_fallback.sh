#!/usr/bin/env bash
# e2e without the shared data: (1) heart_scale from Debian's liblinear-tools, every 5th row held
# out; (2) data generated here from a planted logistic model with a fixed seed. The trained model
# must clearly beat chance, and on the planted data it must recover the planted weights' signs.
. "$(dirname "$0")/lib.sh"

# ---- (1) heart_scale (skipped when liblinear-tools' examples are absent)
HS=/usr/share/doc/liblinear-tools/examples/heart_scale
if [ -r "$HS" ]; then
    awk 'NR % 5 != 0' "$HS" > "$T/hs.train"
    awk 'NR % 5 == 0' "$HS" > "$T/hs.test"
    run_ok "$GANNET" train -d "$T/hs.train" -m "$T/hs.model" --passes 5
    run_ok "$GANNET" eval -m "$T/hs.model" -d "$T/hs.test" --json
    cp "$T/out" "$T/hs.json"
    check "$(json_get "$T/hs.json" .examples)" == "$(wc -l < "$T/hs.test")" "heart_scale test rows"
    check "$(json_get "$T/hs.json" .auc)" '>' 0.8 "heart_scale test AUC"
    check "$(json_get "$T/hs.json" .accuracy)" '>' 0.75 "heart_scale test accuracy"
    # LIBLINEAR on the same split, when installed, as a yardstick (logistic regression, -s 0)
    if command -v liblinear-train >/dev/null && command -v liblinear-predict >/dev/null; then
        liblinear-train -q -s 0 "$T/hs.train" "$T/hs.ll" >/dev/null
        liblinear-predict "$T/hs.test" "$T/hs.ll" "$T/hs.llout" > "$T/hs.llacc"
        llacc=$(paste -d' ' "$T/hs.llout" <(cut -d' ' -f1 "$T/hs.test") |
                awk '{ n++; c += ($1 + 0 == $2 + 0) } END { printf "%.6f", c / n }')
        check "$(json_get "$T/hs.json" .accuracy)" '>=' "$(awk -v a="$llacc" 'BEGIN { print a - 0.06 }')" \
            "heart_scale accuracy within 0.06 of LIBLINEAR's ($llacc)"
    fi
else
    echo "note: $HS absent (apt-get install liblinear-tools); heart_scale part skipped"
fi

# ---- (2) planted logistic model, 10 features, fixed seed
gen_planted 6000 17 10 > "$T/planted.all"
head -n 5000 "$T/planted.all" > "$T/p.train"
tail -n 1000 "$T/planted.all" > "$T/p.test"
pos=$(grep -c '^+1' "$T/p.train")
check "$pos" '>' 1000 "generated data has both classes (positives)"
check "$pos" '<' 4000 "generated data has both classes (negatives)"
run_ok "$GANNET" train -d "$T/p.train" -m "$T/p.model" --passes 3
run_ok "$GANNET" eval -m "$T/p.model" -d "$T/p.test" --json
cp "$T/out" "$T/p.json"
check "$(json_get "$T/p.json" .auc)" '>' 0.8 "planted-model test AUC"
check "$(json_get "$T/p.json" .logloss)" '<' 0.55 "planted-model test logloss (chance is 0.693)"

# The learned weights have the planted signs wherever the planted weight is not tiny. LIBSVM
# index j maps to slot j, slot 0 is the bias.
run_ok "$GANNET" inspect -m "$T/p.model" --json --top 11
cp "$T/out" "$T/p.inspect"
top_weights "$T/p.inspect" > "$T/p.learned"
checked=0
while read -r j wtrue; do
    [ "$j" = 0 ] && continue
    big=$(awk -v w="$wtrue" 'BEGIN { print (w > 0.5 || w < -0.5) }')
    [ "$big" = 1 ] || continue
    learned=$(awk -v j="$j" '$1 == j { print $2 }' "$T/p.learned")
    [ -n "$learned" ] || fail "planted feature $j (weight $wtrue) has no learned weight"
    awk -v a="$wtrue" -v b="$learned" 'BEGIN { exit !(a * b > 0) }' ||
        fail "feature $j: learned weight $learned has the wrong sign (planted $wtrue)"
    checked=$((checked + 1))
done < "$T/planted.w"
check "$checked" '>=' 5 "planted weights whose sign was recovered"

# With the labels shuffled there is nothing to learn: the same trainer must find (almost) nothing
awk 'BEGIN { srand(5) }
     { label[NR] = $1; $1 = ""; rest[NR] = $0 }
     END { for (i = NR; i > 1; i--) { j = int(rand() * i) + 1; t = label[i]; label[i] = label[j]; label[j] = t }
           for (i = 1; i <= NR; i++) print label[i] rest[i] }' "$T/p.train" > "$T/p.shuffled"
run_ok "$GANNET" train -d "$T/p.shuffled" -m "$T/p.shuf.model" --passes 3
run_ok "$GANNET" eval -m "$T/p.shuf.model" -d "$T/p.test" --json
cp "$T/out" "$T/p.shuf.json"
check "$(json_get "$T/p.shuf.json" .logloss)" '>' 0.68 "a model trained on shuffled labels is near chance (logloss)"
run_ok "$GANNET" inspect -m "$T/p.shuf.model" --json --top 2
cp "$T/out" "$T/p.shuf.inspect"
for i in 0 1; do  # slot 0 (the bias) may be large: the classes are unbalanced
    [ "$(json_get "$T/p.shuf.inspect" ".top_weights[$i].slot")" = 0 ] && continue
    w=$(json_get "$T/p.shuf.inspect" ".top_weights[$i].weight")
    check "${w#-}" '<' 0.5 "the largest weight learned from shuffled labels is small"
    break
done
echo PASS
