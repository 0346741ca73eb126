#!/usr/bin/env bash
# tests/e2e/test_report.sh: `gannet report` writes one self-contained HTML page (issue 17): no
# script and nothing fetched; the ROC, PR, calibration, histogram, gain and lift plots; the
# numbers shown (auc, logloss, accuracy, examples, the confusion matrix) agree with
# `gannet eval --json`; regression gets residual plots and its rmse; bad test data fails with
# file:line; an output that is an input is refused. (The page in a browser: test_report_chromium.)
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
