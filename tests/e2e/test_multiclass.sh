#!/usr/bin/env bash
# e2e: multiclass (softmax) models. On scikit-learn's bundled digits table (skipped when absent):
# L-BFGS softmax within 0.5 accuracy points of scikit-learn's multinomial LogisticRegression at
# the same C on a fixed split (sklearn's figure computed here with /usr/bin/python3), online
# softmax learns too, predict's outputs (class, probs, topk:N, json) and eval's multiclass
# metrics and confusion matrix agree with each other, the server answers {class, probabilities}
# per instance for JSON and text input as predict --output-type json does. On generated data:
# string classes found by the scan or given by --classes, K=2 softmax equal to binary logistic
# (L-BFGS, l2 doubled), and bad input (a label outside --classes, one class only, too many
# classes) failing with a clear message.
. "$(dirname "$0")/serve_common.sh"

# ---- generated string classes ----
awk 'BEGIN { srand(5); split("cat dog emu", c, " ");
    for (i = 0; i < 600; i++) { k = 1 + int(3 * rand()); x = (k - 2) * 1.5 + rand() - 0.5; y = rand();
        print c[k] "," x "," y } }' > "$T/abc.csv"
run_ok "$GANNET" train -d "$T/abc.csv" --loss softmax --no-header -m "$T/abc.model" --quiet
run_ok "$GANNET" inspect -m "$T/abc.model" --json
json_get "$T/out" '.metadata.labels.classes' > "$T/classes"
grep -q '\["cat","dog","emu"\]' "$T/classes" || fail "classes sorted: $(cat "$T/classes")"
run_ok "$GANNET" eval -m "$T/abc.model" -d "$T/abc.csv" --json
json_get "$T/out" .accuracy > "$T/acc"
check "$(cat "$T/acc")" '>' 0.8 "online softmax learns three string classes"
check "$(json_get "$T/out" .classes)" == 3 "eval reports 3 classes"
check "$(json_get "$T/out" '.confusion[0][0]')" '>' 100 "confusion matrix rows are true classes"
# --classes in another order: same classes, given order
run_ok "$GANNET" train -d "$T/abc.csv" --loss softmax --classes emu,dog,cat -m "$T/abc2.model" --quiet
run_ok "$GANNET" inspect -m "$T/abc2.model" --json
json_get "$T/out" '.metadata.labels.classes' | grep -q '\["emu","dog","cat"\]' || fail "--classes order kept"
# a label outside --classes: error naming file:line and the label
run "$GANNET" train -d "$T/abc.csv" --loss softmax --classes cat,dog -m "$T/bad.model" --quiet
expect_rc "1|2" "unknown class"
expect_err "abc.csv:[0-9]+:.*label 'emu' is not one of the 2 classes" "unknown class names file:line and label"
# one class only
awk -F, '{ print "cat," $2 "," $3 }' "$T/abc.csv" > "$T/one.csv"
run "$GANNET" train -d "$T/one.csv" --loss softmax -m "$T/bad.model" --quiet
expect_rc "1|2" "one class"
expect_err "every label of the input is 'cat'.*at least 2 classes" "one class only is refused"
# too many classes
awk 'BEGIN { for (i = 0; i < 300; i++) print "c" i "," i % 7 }' > "$T/many.csv"
run "$GANNET" train -d "$T/many.csv" --loss softmax -m "$T/bad.model" --quiet
expect_rc "1|2" "too many classes"
expect_err "300 classes, more than the 256" "too many classes are refused"
# kind and loss must agree
run "$GANNET" train -d "$T/abc.csv" --kind softmax --loss squared -m "$T/bad.model" --quiet
expect_rc "1|2" "kind softmax with loss squared"
expect_err "kind softmax does not take loss squared" "kind/loss mismatch named"
ok "bad input gives clear errors"

# ---- K = 2 softmax equals binary logistic (L-BFGS; softmax's l2 doubled, since w1 = -w0) ----
gen_planted 500 3 8 > "$T/bin.svm"
run_ok "$GANNET" train -d "$T/bin.svm" --optimizer lbfgs --l2 0.5 --tol 1e-10 --max-iter 2000 -m "$T/log.model" --quiet
run_ok "$GANNET" train -d "$T/bin.svm" --loss softmax --optimizer lbfgs --l2 1 --tol 1e-10 --max-iter 2000 \
    -m "$T/sm2.model" --quiet
run_ok "$GANNET" predict -m "$T/log.model" -d "$T/bin.svm" -o "$T/log.pred"
run_ok "$GANNET" predict -m "$T/sm2.model" -d "$T/bin.svm" --output-type probs -o "$T/sm2.pred"
# probs lines are "-1:p 1:p": the positive class's probability is the second pair
maxdiff=$(paste -d' ' "$T/log.pred" "$T/sm2.pred" | awk '{ split($3, kv, ":"); d = $1 - kv[2]; if (d < 0) d = -d; if (d > m) m = d }
    END { printf "%.9f\n", m + 0 }')
check "$maxdiff" '<' 1e-4 "K=2 softmax predicts as binary logistic"

# ---- digits (scikit-learn's bundled table) ----
DIGITS=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
[ -r "$DIGITS" ] || skip "scikit-learn's digits table is not installed"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import sklearn' 2>/dev/null || skip "scikit-learn not importable"
zcat "$DIGITS" | awk 'NR % 5 != 0' > "$T/dtrain.csv"
zcat "$DIGITS" | awk 'NR % 5 == 0' > "$T/dtest.csv"
C=0.01
sk=$(/usr/bin/python3 - "$T/dtrain.csv" "$T/dtest.csv" "$C" <<'PY'
import sys, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
warnings.simplefilter("ignore")
tr = np.loadtxt(sys.argv[1], delimiter=","); te = np.loadtxt(sys.argv[2], delimiter=",")
m = LogisticRegression(C=float(sys.argv[3]), max_iter=5000, tol=1e-8).fit(tr[:, :64], tr[:, 64])
print("%.6f" % m.score(te[:, :64], te[:, 64]))
PY
) || fail "scikit-learn run failed"
run_ok "$GANNET" train -d "$T/dtrain.csv" --label 65 --loss softmax --optimizer lbfgs --l2 $(awk -v c=$C 'BEGIN { print 1 / c }') \
    --max-iter 5000 --tol 1e-9 -m "$T/digits.model" --quiet
run_ok "$GANNET" eval -m "$T/digits.model" -d "$T/dtest.csv" --json
cp "$T/out" "$T/eval.json"
acc=$(json_get "$T/eval.json" .accuracy)
gap=$(awk -v a="$acc" -v b="$sk" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.6f\n", 100 * d }')
check "$gap" '<=' 0.5 "digits: L-BFGS softmax $acc vs scikit-learn $sk (points apart)"
run_ok "$GANNET" train -d "$T/dtrain.csv" --label 65 --loss softmax -m "$T/digits_online.model" --quiet
run_ok "$GANNET" eval -m "$T/digits_online.model" -d "$T/dtest.csv" --json
check "$(json_get "$T/out" .accuracy)" '>' 0.9 "digits: online softmax"

# predict's outputs agree with each other and with eval
n=$(wc -l < "$T/dtest.csv")
for t in class probs topk:3 json prob; do
    run_ok "$GANNET" predict -m "$T/digits.model" -d "$T/dtest.csv" --output-type "$t" -o "$T/p.$t"
    check "$(wc -l < "$T/p.$t")" == "$n" "predict --output-type $t: one line per row"
done
check "$(awk '{ print NF }' "$T/p.prob" | sort -u)" == 10 "prob: K probabilities per line"
# the issue's spelling: --output TYPE (any other --output value is the output file, as -o)
run_ok "$GANNET" predict -m "$T/digits.model" -d "$T/dtest.csv" --output probs -o "$T/p.probs2"
cmp -s "$T/p.probs2" "$T/p.probs" || fail "--output probs differs from --output-type probs"
run_ok "$GANNET" predict -m "$T/digits.model" -d "$T/dtest.csv" --output=topk:3 --output "$T/p.topk2"
cmp -s "$T/p.topk2" "$T/p.topk:3" || fail "--output=topk:3 --output FILE differs from --output-type topk:3"
ok "predict --output TYPE as --output-type TYPE; --output FILE still the file"
check "$(awk '{ print NF }' "$T/p.topk:3" | sort -u)" == 3 "topk:3: three pairs per line"
# the class is the first of topk and the json's class; accuracy from predict equals eval's
awk '{ split($1, kv, ":"); print kv[1] }' "$T/p.topk:3" > "$T/top1"
cmp -s "$T/top1" "$T/p.class" || fail "topk's first class differs from --output-type class"
paccuracy=$(paste -d, "$T/p.class" "$T/dtest.csv" | awk -F, '{ n++; if ($1 == $NF) c++ } END { printf "%.6f\n", c / n }')
check "$(awk -v a="$acc" 'BEGIN { printf "%.6f\n", a }')" == "$paccuracy" "eval accuracy equals predict's classes"
json_get "$T/eval.json" '.confusion' > /dev/null
check "$(json_get "$T/eval.json" '.confusion | length')" == 10 "eval --json: 10x10 confusion"

# the server: JSON and text instances answer as predict --output-type json
head -5 "$T/dtest.csv" > "$T/five.csv"
run_ok "$GANNET" predict -m "$T/digits.model" -d "$T/five.csv" --output-type json -o "$T/five.expect"
start_server "$T/serve.log" -m "digits=$T/digits.model"
curl -s -H 'Content-Type: text/plain' --data-binary @"$T/five.csv" "$BASE/v1/models/digits:predict" > "$T/text.json"
jq -c '.predictions[]' "$T/text.json" > "$T/text.got" || fail "server text answer is not JSON"
jq -c . "$T/five.expect" > "$T/five.norm"
cmp -s "$T/text.got" "$T/five.norm" || { diff "$T/text.got" "$T/five.norm" | head -4; fail "server (text) != predict json"; }
awk -F, 'BEGIN { printf "{\"instances\":[" } { printf "%s{", (NR > 1 ? "," : "");
    for (i = 1; i <= 64; i++) printf "%s\"%d\":%s", (i > 1 ? "," : ""), i, $i; printf "}" } END { print "]}" }' \
    "$T/five.csv" > "$T/five.body"
curl -s -H 'Content-Type: application/json' --data-binary @"$T/five.body" "$BASE/v1/models/digits:predict" > "$T/obj.json"
jq -c '.predictions[]' "$T/obj.json" > "$T/obj.got" || fail "server JSON answer is not JSON"
cmp -s "$T/obj.got" "$T/five.norm" || { diff "$T/obj.got" "$T/five.norm" | head -4; cat "$T/obj.json" | head -c 300; fail "server (JSON) != predict json"; }
ok "server answers {class, probabilities} for text and JSON instances"
