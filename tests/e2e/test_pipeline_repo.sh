#!/usr/bin/env bash
# tests/e2e/test_pipeline_repo.sh: `gannet pipeline` end to end with a model repository and a
# server following it (issue 17). On a9a (generated data when ../shared is absent):
# run -> publishes version 1 -> an unchanged re-run skips every step and publishes nothing ->
# changed parameters publish version 2 -> a gate made to fail publishes nothing and exits 1 with
# the reason -> rollback makes version 1 current. A server started with --repository follows
# every step (X-Gannet-Model-Version, /v1/models) under steady loopback load with zero failed
# requests, each answer equal to `gannet predict` of the version that gave it. `pipeline status`
# lists the runs; the run records hold checksums, parameters, metrics and gate decisions.
. "$(dirname "$0")/serve_common.sh"

W=$T/work
mkdir -p "$W"
if [ -r "$GN_SHARED_DATA/a9a/a9a.gz" ] && [ -r "$GN_SHARED_DATA/a9a/a9a.t.gz" ]; then
    TRAIN=$GN_SHARED_DATA/a9a/a9a.gz; TEST=$GN_SHARED_DATA/a9a/a9a.t.gz; AUC_MIN=0.85
    zcat "$TEST" | head -300 > "$T/rows"
else
    echo "note: $GN_SHARED_DATA/a9a absent: generated data" >&2
    gen_planted 5500 3 20 > "$W/all.svm"   # one planted model: train and test from it
    head -4000 "$W/all.svm" > "$W/train.svm"; tail -1500 "$W/all.svm" > "$W/test.svm"
    TRAIN=$W/train.svm; TEST=$W/test.svm; AUC_MIN=0.7
    head -300 "$TEST" > "$T/rows"
fi
P=$W/p.yaml
write_pipeline() { # PASSES GATE_AUC
    cat > "$P" <<YAML
name: demo
data: {train: [$TRAIN], test: [$TEST], format: libsvm}
tune: {folds: 3, grid: {l2: [0.1, 1], lr: [0.1, 0.5]}, metric: auc}
train: {passes: $1}
gate: {auc: ">= $2", not_worse_than_current_by: 0.02}
publish: {repository: models/}
YAML
}
R=$W/models
current() { cat "$R/demo/current"; }

# 1. first run publishes version 1
write_pipeline 2 "$AUC_MIN"
run_ok "$GANNET" pipeline run "$P"
expect_err 'published version 1' "first run"
[ "$(current)" = 1 ] || fail "current is '$(current)' after the first run, expected 1"
[ -s "$R/demo/1/model.gnm" ] && [ -s "$R/demo/1/meta.json" ] || fail "version 1 is incomplete"
meta=$R/demo/1/meta.json
auc1=$(json_get "$meta" .metrics.auc)
check "$auc1" '>=' "$AUC_MIN" "version 1 test auc"
[ "$(json_get "$meta" .data.train[0].xxh3 | wc -c)" -eq 17 ] || fail "meta.json lacks the train data checksum"
[ "$(json_get "$meta" .parent)" = 0 ] || fail "version 1 parent"
run_ok "$GANNET" eval -m "$R/demo/1/model.gnm" -d "$TEST" --json
check "$(json_get "$T/out" .auc)" '==' "$auc1" "meta.json auc equals gannet eval of the published model"
ok "run 1 published version 1"

# the server follows the repository from here on, under load
start_server "$T/serve.log" --repository "$R" --watch-interval 200 --threads 2
code=$(req "$T/h" POST /v1/models/demo:predict -D "$T/hdr" -H 'Content-Type: text/plain' --data-binary "$(head -1 "$T/rows")")
[ "$code" = 200 ] || fail "predict: $code"
grep -qi '^X-Gannet-Model-Version: 1' "$T/hdr" || { cat "$T/hdr" >&2; fail "X-Gannet-Model-Version header"; }
start_load demo "$T/rows"
served_version() { # WANT: waits (5 s) until /v1/models says the repository version WANT
    for _ in $(seq 50); do
        [ "$(curl -s "$BASE/v1/models" | jq -r '.models[0].repository_version')" = "$1" ] && return 0
        sleep 0.1
    done
    fail "the server does not serve version $1 (/v1/models: $(curl -s "$BASE/v1/models" | jq -c '.models[0] | {repository_version, file}'))"
}
served_version 1

# 2. unchanged re-run: every step skipped, nothing published, fast
run_ok "$GANNET" pipeline run "$P"
expect_err 'nothing to do' "unchanged re-run"
run_ok "$GANNET" pipeline status "$P" --json
[ "$(jq '.[-1].steps | map(select(.status == "ran")) | length' "$T/out")" = 0 ] ||
    fail "unchanged re-run ran steps: $(jq -c '.[-1].steps | map({name, status})' "$T/out")"
[ "$(jq -r '.[-1].steps[0].reason' "$T/out")" = "inputs unchanged" ] || fail "skip reason"
[ ! -e "$R/demo/2" ] && [ "$(current)" = 1 ] || fail "the unchanged re-run published"
ok "run 2 (unchanged) skipped every step"

# 3. changed parameters: version 2
write_pipeline 3 "$AUC_MIN"
run_ok "$GANNET" pipeline run "$P"
expect_err 'published version 2' "changed parameters"
expect_err 'describe +skipped' "describe does not depend on train parameters"
[ "$(current)" = 2 ] || fail "current after run 3"
[ "$(json_get "$R/demo/2/meta.json" .parent)" = 1 ] || fail "version 2 parent"
served_version 2
ok "run 3 (passes changed) published version 2, the server swapped to it"

# 4. a gate made to fail: nothing published, exit 1 with the reason
write_pipeline 3 0.9999
run "$GANNET" pipeline run "$P"
expect_rc 1 "failing gate"
expect_err 'nothing published: gate refused the model: auc = .* the gate wants >= 0.9999' "gate reason"
[ ! -e "$R/demo/3" ] && [ "$(current)" = 2 ] || fail "a refused gate published"
ok "run 4 (gate auc >= 0.9999) refused, nothing published"

# 5. rollback
run_ok "$GANNET" rollback "$R/demo"
[ "$(cat "$T/out")" = 1 ] && [ "$(current)" = 1 ] || fail "rollback did not make version 1 current"
served_version 1
code=$(req "$T/h" POST /v1/models/demo:predict -D "$T/hdr" -H 'Content-Type: text/plain' --data-binary "$(head -1 "$T/rows")")
grep -qi '^X-Gannet-Model-Version: 1' "$T/hdr" || fail "header after rollback"
ok "rollback made version 1 current and the server serves it"

# 6. a model name published while the server runs is served without a restart
run_ok "$GANNET" publish -m "$R/demo/2/model.gnm" --repository "$R" --name late
for _ in $(seq 50); do
    curl -s "$BASE/v1/models" | jq -e '.models[] | select(.name == "late")' > /dev/null && break
    sleep 0.1
done
curl -s "$BASE/v1/models" | jq -e '.models[] | select(.name == "late" and .repository_version == 1)' > /dev/null ||
    fail "a model name published while serving is not listed within 5 s: $(curl -s "$BASE/v1/models" | jq -c '[.models[].name]')"
code=$(req "$T/h" POST /v1/models/late:predict -D "$T/hdr" -H 'Content-Type: text/plain' --data-binary "$(head -1 "$T/rows")")
[ "$code" = 200 ] || fail "predict on the late model: $code"
"$GANNET" predict -m "$R/demo/2/model.gnm" -d <(head -1 "$T/rows") -o "$T/late_truth" 2>/dev/null || fail "predict late"
[ "$(predictions "$T/h")" = "$(cat "$T/late_truth")" ] || fail "the late model's answer $(predictions "$T/h") is not gannet predict's $(cat "$T/late_truth")"
grep -q "now serving new model 'late'" "$T/serve.log" || fail "the server did not log the new model"
ok "a model name published while serving (late) is listed and answers"

# every answer under load: 200 and equal to gannet predict of its version
: > "$T/truth"
for v in 1 2; do
    mv=$(json_get "$R/demo/$v/meta.json" .model_version)
    "$GANNET" predict -m "$R/demo/$v/model.gnm" -d "$T/rows" -o "$T/pred$v" 2>/dev/null || fail "predict v$v"
    awk -v m="$mv" '{ print m, NR, $1 }' "$T/pred$v" >> "$T/truth"
done
stop_load "publish, re-run, publish, refused gate, rollback" "$T/truth"
[ "$(wc -l < "$T/versions")" -ge 2 ] || fail "load saw $(wc -l < "$T/versions") model version(s), expected both"
stop_server

# status lists the runs, the records hold the decisions
run_ok "$GANNET" pipeline status "$P"
for s in published unchanged published gate_failed; do grep -q " $s " "$T/out" || { cat "$T/out" >&2; fail "status lacks $s"; }; done
run_ok "$GANNET" pipeline status "$P" --json
[ "$(jq 'length' "$T/out")" = 4 ] || fail "4 run records expected"
[ "$(jq -r '.[3].gate.decisions[0].pass' "$T/out")" = false ] || fail "gate decision in the record"
[ "$(jq -r '.[0].params | keys | join(",")' "$T/out")" = "l2,lr" ] || fail "chosen parameters in the record"
jq -e '.[0].tune.results | length == 4' "$T/out" >/dev/null || fail "tune results in the record"
run_ok "$GANNET" models list "$R" --json
[ "$(jq -r '.models[0].current' "$T/out")" = 1 ] || fail "models list current"
ok "pipeline status and models list"

# a bad pipeline file names file and line, exit 2
printf 'name: demo\ndata: {train: [%s], test: [%s]}\ngate: {auc: "high"}\n' "$TRAIN" "$TEST" > "$W/bad.yaml"
run "$GANNET" pipeline run "$W/bad.yaml"
expect_rc 2 "bad pipeline file"
expect_err 'bad.yaml:3: gate.auc' "bad pipeline file message"
ok "bad pipeline file refused with file:line"

# a step that fails on bad data names file and line; the record says which step and why
printf '+1 1:0.5 2:1\n-1 1:0.1\n+1 3:zz\n' > "$W/bad.svm"
printf 'name: badd\ndata: {train: [bad.svm], test: [bad.svm], format: libsvm}\ntrain: {passes: 1}\npublish: {repository: models/}\n' > "$W/badd.yaml"
run "$GANNET" pipeline run "$W/badd.yaml"
expect_rc 2 "bad training data (bad input: exit 2, as everywhere)"
expect_err 'bad.svm:3' "bad data: file:line"
run_ok "$GANNET" pipeline status "$W/badd.yaml" --json
[ "$(jq -r '.[-1].status' "$T/out")" = failed ] || fail "the record of a failed run"
jq -e '.[-1].steps[] | select(.status == "failed") | .reason | test("bad.svm:3")' "$T/out" >/dev/null ||
    fail "the failed step's reason in the record: $(jq -c '.[-1].steps' "$T/out")"
[ ! -e "$R/badd" ] || fail "a failed run published"
ok "a step failing on bad data names file:line, in the record too, and publishes nothing"

# data.split instead of test files: the test part is cut from the train files by the split rule;
# the published metrics are gannet eval on that held-out part; the two parts are disjoint and
# hold every train example; a re-run skips; test files and a split together are refused
S=$W/.gannet-pipeline/splitd/split
printf 'name: splitd\ndata: {train: [%s], split: {test: 0.2, seed: 3}, format: libsvm}\ntrain: {passes: 2}\npublish: {repository: models/}\n' "$TRAIN" > "$W/split.yaml"
run_ok "$GANNET" pipeline run "$W/split.yaml"
expect_err 'published version 1' "split run"
[ -s "$S/train" ] && [ -s "$S/test" ] || fail "split files missing"
cat_train() { case "$TRAIN" in *.gz) zcat "$TRAIN" ;; *) cat "$TRAIN" ;; esac | grep -v '^[[:space:]]*$'; }
total=$(cat_train | wc -l); ntr=$(wc -l < "$S/train"); nte=$(wc -l < "$S/test")
[ $((ntr + nte)) -eq "$total" ] || fail "split parts hold $ntr + $nte lines, the train data $total"
check "$(awk -v a="$nte" -v b="$total" 'BEGIN { print a / b }')" '>' 0.17 "split test share"
check "$(awk -v a="$nte" -v b="$total" 'BEGIN { print a / b }')" '<' 0.23 "split test share"
cat_train | sort > "$T/all_sorted"
sort "$S/train" "$S/test" | cmp -s - "$T/all_sorted" || fail "the split parts are not the train data cut in two"
run_ok "$GANNET" pipeline status "$W/split.yaml" --json
[ "$(jq -r '.[-1].data.split.test_examples' "$T/out")" = "$nte" ] || fail "the record's split counts"
auc_split=$(json_get "$R/splitd/1/meta.json" .metrics.auc)
run_ok "$GANNET" eval -m "$R/splitd/1/model.gnm" -d "$S/test" --json
check "$(json_get "$T/out" .auc)" '==' "$auc_split" "published auc equals gannet eval on the held-out part"
check "$(json_get "$T/out" .examples)" '==' "$nte" "eval examples = held-out examples"
run_ok "$GANNET" pipeline run "$W/split.yaml"
[ ! -e "$R/splitd/2" ] || fail "an unchanged split re-run published"
printf 'name: both\ndata: {train: [%s], test: [%s], split: {test: 0.2}}\n' "$TRAIN" "$TEST" > "$W/both.yaml"
run "$GANNET" pipeline run "$W/both.yaml"
expect_rc 2 "test files and a split"
expect_err 'not both' "test files and a split message"
ok "data.split: published metrics are on the held-out part; parts disjoint and complete; re-run skips"
