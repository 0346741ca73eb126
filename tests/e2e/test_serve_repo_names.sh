#!/usr/bin/env bash
# tests/e2e/test_serve_repo_names.sh: `gannet serve --repository` and model names that appear
# after the start (issue 17): a name published while serving is listed and answers within a few
# seconds, without a restart; a name whose directory has no `current` pointer yet is served once
# one is published; beyond GN_SERVE_MAX_MODELS (64) the rest are logged once and not served; a
# name removed from the repository keeps serving its last version. Generated data only.
. "$(dirname "$0")/serve_common.sh"

gen_planted 300 3 8 > "$T/d.svm"
run_ok "$GANNET" train -d "$T/d.svm" -m "$T/m.gnm" --quiet
R=$T/repo
run_ok "$GANNET" publish -m "$T/m.gnm" --repository "$R" --name m00
start_server "$T/serve.log" --repository "$R" --threads 2
names() { curl -s "$BASE/v1/models" | jq -r '[.models[].name] | join(" ")'; }
wait_count() { # N: waits (10 s) until /v1/models lists N models
    for _ in $(seq 100); do
        [ "$(curl -s "$BASE/v1/models" | jq '.models | length')" = "$1" ] && return 0
        sleep 0.1
    done
    fail "expected $1 models, /v1/models lists: $(names)"
}
[ "$(names)" = m00 ] || fail "at the start: $(names)"

# a directory first, its current pointer later (as a half-finished publish looks)
run_ok "$GANNET" publish -m "$T/m.gnm" --repository "$R" --name m01 --no-current
sleep 0.5
[ "$(names)" = m00 ] || fail "a name without a current version is served: $(names)"
run_ok "$GANNET" rollback "$R/m01" --to 1
wait_count 2
code=$(req "$T/h" POST /v1/models/m01:predict -H 'Content-Type: text/plain' --data-binary "$(head -1 "$T/d.svm")")
[ "$code" = 200 ] || fail "predict on m01: $code"
ok "a name whose current pointer comes later is served once it does"

# up to the cap, then logged once and skipped
for i in $(seq 2 69); do
    run_ok "$GANNET" publish -m "$T/m.gnm" --repository "$R" --name "$(printf 'm%02d' "$i")"
done
wait_count 64
sleep 1.5 # a few more looks: still 64, logged once
[ "$(curl -s "$BASE/v1/models" | jq '.models | length')" = 64 ] || fail "more than 64 models served"
[ "$(grep -c 'at most 64 models' "$SERVER_LOG")" = 1 ] || fail "the cap is not logged exactly once: $(grep -c 'at most 64 models' "$SERVER_LOG")"
code=$(req "$T/h" POST /v1/models/m63:predict -H 'Content-Type: text/plain' --data-binary "$(head -1 "$T/d.svm")")
[ "$code" = 200 ] || fail "predict on m63: $code"
code=$(req "$T/h" POST /v1/models/m64:predict -H 'Content-Type: text/plain' --data-binary "$(head -1 "$T/d.svm")")
[ "$code" = 404 ] || fail "predict on m64 (beyond the cap): $code, expected 404"
ok "64 models served, the rest logged once and skipped"

# a removed name keeps serving its last version
rm -rf "$R/m05"
sleep 0.5
code=$(req "$T/h" POST /v1/models/m05:predict -H 'Content-Type: text/plain' --data-binary "$(head -1 "$T/d.svm")")
[ "$code" = 200 ] || fail "predict on a removed name: $code"
ok "a removed name keeps serving its last version"
stop_server
