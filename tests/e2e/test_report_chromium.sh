#!/usr/bin/env bash
# tests/e2e/test_report_chromium.sh: a pipeline run's HTML report opens in headless Chromium
# (Debian's chromium; skipped when absent) without console errors or blocked loads, renders its
# SVG plots (counted in the DOM Chromium built), shows the numbers of `gannet eval --json`, and a
# screenshot is taken (a PNG of real size).
. "$(dirname "$0")/lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip "chromium is not installed"
command -v jq >/dev/null 2>&1 || skip "jq is not installed"

gen_planted 3000 9 20 > "$T/all.svm"
head -2200 "$T/all.svm" > "$T/train.svm"; tail -800 "$T/all.svm" > "$T/test.svm"
cat > "$T/p.yaml" <<YAML
name: r
data: {train: train.svm, test: test.svm}
tune: {folds: 2, grid: {l2: [0.1, 1, 10]}}
train: {passes: 3}
YAML
run_ok "$GANNET" pipeline run "$T/p.yaml"
REPORT=$(sed -n 's|^gannet pipeline: report \(/.*\)|\1|p' "$T/err")
[ -s "$REPORT" ] || fail "no report from the pipeline run"
run_ok "$GANNET" eval -m "$T/.gannet-pipeline/r/model.gnm" -d "$T/test.svm" --json
AUC=$(printf '%.6f' "$(json_get "$T/out" .auc)")

chrome() { timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$T/prof" \
    --enable-logging=stderr --v=0 "$@"; }
chrome --dump-dom "file://$REPORT" > "$T/dom" 2> "$T/chrome.err" || { tail "$T/chrome.err" >&2; fail "chromium --dump-dom failed"; }
grep -Ei 'CONSOLE|Refused to|net::ERR|Uncaught' "$T/chrome.err" && fail "the page logged errors in chromium"
n=$(grep -o '<svg id="' "$T/dom" | wc -l)
check "$n" "==" 8 "SVG plots in chromium's DOM (6 classification, 1 tune parameter, the learning curve)"
grep -q "data-auc=\"$AUC\"" "$T/dom" || fail "the DOM's ROC auc is not eval's $AUC"
grep -q "data-metric=\"auc\">$AUC<" "$T/dom" || fail "the DOM's metrics table auc is not eval's $AUC"
grep -q '<svg id="tune_0"' "$T/dom" || fail "no tune plot"
grep -q '<svg id="curve"' "$T/dom" || fail "no learning curve"
[ "$(grep -o '<polyline' "$T/dom" | wc -l)" -ge 6 ] || fail "curves missing from the DOM"
chrome --screenshot="$T/shot.png" --window-size=1300,2600 "file://$REPORT" 2>> "$T/chrome.err" >/dev/null ||
    fail "chromium --screenshot failed"
[ "$(head -c 8 "$T/shot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "the screenshot is not a PNG"
check "$(stat -c %s "$T/shot.png")" '>' 30000 "screenshot size (bytes)"
ok "the report opens in headless chromium: $n SVG plots, auc $AUC as eval says, screenshot taken"
