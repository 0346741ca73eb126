#!/usr/bin/env bash
# tests/e2e/test_report.sh: `gannet report` writes one self-contained HTML page (issue 17): no
# script and nothing fetched; the ROC, PR, calibration, histogram, gain and lift plots; the
# numbers shown (auc, logloss, accuracy, examples, the confusion matrix) agree with
# `gannet eval --json`; regression gets residual plots and its rmse; bad test data fails with
# file:line; an output that is an input is refused; a multiclass (softmax) model gets its
# confusion matrix, per-class precision/recall/F1 and top-k accuracy, equal to eval --json. (The page in a browser: test_report_chromium.)
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null 2>&1 || skip "jq is not installed"

gen_planted 4000 7 25 > "$T/all.svm"
head -3000 "$T/all.svm" > "$T/train.svm"; tail -1000 "$T/all.svm" > "$T/test.svm"
run_ok "$GANNET" train -d "$T/train.svm" -m "$T/m.gnm"
run_ok "$GANNET" eval -m "$T/m.gnm" -d "$T/test.svm" --json
cp "$T/out" "$T/eval.json"
run_ok "$GANNET" report -m "$T/m.gnm" -d "$T/test.svm" -o "$T/r.html"
H=$T/r.html
expect_err "r.html \\(1000 examples\\)" "report message"

for id in roc pr calibration histogram gain lift; do
    grep -q "<svg id=\"$id\"" "$H" || fail "no svg#$id"
done
grep -q '<table id="confusion"' "$H" || fail "no confusion matrix"
grep -Eiq '<script|<link|<img|<iframe|@import|url\(' "$H" && fail "the page loads or runs something"
[ "$(grep -o 'https\?://[^"]*' "$H" | sort -u)" = "http://www.w3.org/2000/svg" ] || fail "a URL other than the SVG namespace"
ok "self-contained page with the six classification plots and the confusion matrix"

num() { sed -n "s/.*$1=\"\\([^\"]*\\)\".*/\\1/p" "$H" | head -1; }
metric() { sed -n "s/.*data-metric=\"$1\">\\([^<]*\\)<.*/\\1/p" "$H" | head -1; }
cell() { sed -n "s/.*data-cell=\"$1\">\\([^<]*\\)<.*/\\1/p" "$H" | head -1; }
want() { printf '%.6f' "$(json_get "$T/eval.json" ".$1")"; }
[ "$(num data-auc)" = "$(want auc)" ] || fail "ROC data-auc $(num data-auc) != eval auc $(want auc)"
for m in auc logloss accuracy precision recall f1 rmse; do
    [ "$(metric $m)" = "$(want $m)" ] || fail "$m shown $(metric $m) != eval $(want $m)"
done
[ "$(metric examples)" = "$(json_get "$T/eval.json" .examples)" ] || fail "examples"
tp=$(cell tp); fp=$(cell fp); tn=$(cell tn); fn=$(cell fn)
pos=$(grep -c '^+1' "$T/test.svm")
check $((tp + fn)) '==' "$pos" "confusion matrix: actual positives = positives in the test file"
check $((tp + fp + tn + fn)) '==' 1000 "confusion matrix: all examples"
acc=$(awk -v a=$((tp + tn)) 'BEGIN { printf "%.6f", a / 1000 }')
[ "$acc" = "$(want accuracy)" ] || fail "accuracy from the confusion matrix $acc != eval $(want accuracy)"
ok "auc, logloss, accuracy, precision, recall, f1, rmse, examples and the confusion matrix agree with eval --json"

# regression
awk '{ $1 = ($1 == "+1") ? 2.5 : -1; print }' "$T/train.svm" > "$T/rtrain.svm"
awk '{ $1 = ($1 == "+1") ? 2.5 : -1; print }' "$T/test.svm" > "$T/rtest.svm"
run_ok "$GANNET" train -d "$T/rtrain.svm" --loss squared -m "$T/reg.gnm"
run_ok "$GANNET" eval -m "$T/reg.gnm" -d "$T/rtest.svm" --json
cp "$T/out" "$T/eval.json"
run_ok "$GANNET" report -m "$T/reg.gnm" -d "$T/rtest.svm" -o "$T/r.html"
for id in actual residuals residual_hist; do grep -q "<svg id=\"$id\"" "$H" || fail "regression: no svg#$id"; done
grep -q '<svg id="roc"' "$H" && fail "regression report has a ROC curve"
[ "$(metric rmse)" = "$(want rmse)" ] || fail "regression rmse"
ok "regression report: residual plots, rmse agrees with eval"

# bad input and outputs
printf '+1 1:0.5\n+1 1:abc\n' > "$T/bad.svm"
run "$GANNET" report -m "$T/m.gnm" -d "$T/bad.svm" -o "$T/b.html"
expect_rc 2 "bad test data"
expect_err 'bad.svm:2' "bad test data names file:line"
[ -e "$T/b.html" ] && fail "a report was written from bad data"
run "$GANNET" report -m "$T/m.gnm" -d "$T/test.svm" -o "$T/test.svm"
expect_rc 2 "output = input"
ok "bad data names file:line and writes nothing; an output that is an input is refused"

# multiclass (softmax): metrics, top-k accuracy, the K x K confusion matrix and per-class
# precision/recall/F1, each checked against eval --json on a generated 3-class CSV
awk 'BEGIN { srand(11); split("cat dog emu", c, " ");
    for (i = 0; i < 900; i++) { k = 1 + int(3 * rand()); x = (k - 2) * 0.5 + rand() - 0.5; y = rand();
        print c[k] "," x "," y } }' > "$T/abc.csv"
head -600 "$T/abc.csv" > "$T/abc_train.csv"; tail -300 "$T/abc.csv" > "$T/abc_test.csv"
run_ok "$GANNET" train -d "$T/abc_train.csv" --loss softmax --no-header -m "$T/mc.gnm" --quiet
run_ok "$GANNET" eval -m "$T/mc.gnm" -d "$T/abc_test.csv" --json
cp "$T/out" "$T/eval.json"
run_ok "$GANNET" report -m "$T/mc.gnm" -d "$T/abc_test.csv" -o "$T/r.html"
for m in examples accuracy top_k_accuracy logloss macro_f1 micro_f1 weighted_f1; do
    w=$(json_get "$T/eval.json" ".$m"); [ "$m" = examples ] || w=$(want "$m")
    [ "$(metric $m)" = "$w" ] || fail "multiclass $m shown '$(metric $m)' != eval $w"
done
grep -q 'data-k="2"' "$H" || fail "top-k accuracy names k = 2 (min(5, K - 1))"
[ "$(grep -o 'data-cm="[0-9]*,[0-9]*"' "$H" | wc -l)" = 9 ] || fail "not a 3 x 3 confusion matrix"
for i in 0 1 2; do for j in 0 1 2; do
    got=$(sed -n "s/.*data-cm=\"$i,$j\"[^>]*>\\([^<]*\\)<.*/\\1/p" "$H" | head -1)
    check "$got" '==' "$(json_get "$T/eval.json" ".confusion[$i][$j]")" "confusion[$i][$j]"
done; done
check "$(json_get "$T/eval.json" '[.confusion[0][1], .confusion[1][0], .confusion[1][2], .confusion[2][1]] | add')" '>' 0 \
    "overlapping classes: some confusion (so P/R/F1 below are not all 1)"
# per-class F1 (from the page) averaged = eval's macro F1; the class names are the model's
mean_f1=$(sed -n 's/.*data-f1>\([^<]*\)<.*/\1/p' "$H" | awk '{ s += $1; n++ } END { if (n == 3) printf "%.6f", s / n }')
check "$(awk -v a="$mean_f1" -v b="$(json_get "$T/eval.json" .macro_f1)" 'BEGIN { d = a - b; print d < 0 ? -d : d }')" '<' 0.000002 \
    "mean of the per-class F1 shown ($mean_f1) vs eval macro_f1"
for c in cat dog emu; do grep -q "<th>$c</th>" "$H" || fail "class name $c not shown"; done
grep -q '<svg id="f1_by_class"' "$H" || fail "no F1-by-class plot"
grep -q '<svg id="roc"' "$H" && fail "multiclass report has a binary ROC curve"
ok "multiclass report: confusion matrix, per-class P/R/F1, top-k accuracy agree with eval --json"
