#!/usr/bin/env bash
# e2e: hot reload under concurrent load. Two client loops predict continuously (bounded in count
# and time) while the model file is swapped and reloaded through POST :reload, SIGHUP and
# --watch. Every request must succeed, each answer must equal `gannet predict` of the version it
# names, the version must change, and corrupt replacements (truncated, not a model, bad checksum)
# must be rejected and counted while the old model keeps serving.
. "$(dirname "$0")/serve_common.sh"

libsvm_data "$T/hs.svm"
run_ok "$GANNET" train -d "$T/hs.svm" -m "$T/a.model" --passes 1 --quiet
run_ok "$GANNET" train -d "$T/hs.svm" -m "$T/b.model" --passes 4 --l2 0.5 --quiet
run_ok "$GANNET" predict -m "$T/a.model" -d "$T/hs.svm" -o "$T/a.expect"
run_ok "$GANNET" predict -m "$T/b.model" -d "$T/hs.svm" -o "$T/b.expect"
run_ok "$GANNET" inspect -m "$T/a.model" --json; va=$(json_get "$T/out" .metadata.version)
run_ok "$GANNET" inspect -m "$T/b.model" --json; vb=$(json_get "$T/out" .metadata.version)
[ "$va" != "$vb" ] || fail "the two models have the same version"
# answers per version: "version row prediction"
awk -v v="$va" '{ print v, NR, $0 }' "$T/a.expect" > "$T/truth"
awk -v v="$vb" '{ print v, NR, $0 }' "$T/b.expect" >> "$T/truth"

# atomic replacement, as gannet train does it: write a temp file, then rename over the live one
replace() { cp "$1" "$T/live.tmp" && mv -f "$T/live.tmp" "$T/live.model"; }
# wait_version V: until GET /v1/models/heart names V (10 s at most)
wait_version() {
    for _ in $(seq 100); do
        [ "$(req "$T/v" GET /v1/models/heart)" = 200 ] && [ "$(jq -r .version "$T/v")" = "$1" ] && return 0
        sleep 0.1
    done
    fail "version did not become $1 within 10 s"
}
start_clients() { start_load heart "$T/hs.svm"; }
stop_clients() { stop_load "$1" "$T/truth"; }
reloads() { metric "gannet_model_reloads_total{model=\"heart\",result=\"$1\"}"; }

# ---- server 1: reload through the endpoint and SIGHUP
replace "$T/a.model"
start_server "$T/serve1.log" -m "heart=$T/live.model" --threads 2
start_clients
replace "$T/b.model"
code=$(req "$T/r" POST /v1/models/heart:reload)
[ "$code" = 200 ] || { cat "$T/r"; fail "POST :reload: status $code"; }
[ "$(jq -r .model.version "$T/r")" = "$vb" ] || fail "reload answered the wrong version"
sleep 0.5
replace "$T/a.model"
kill -HUP "$SERVER_PID"
wait_version "$va"
sleep 0.3
# corrupt replacements: truncated, not a model at all, one flipped byte (checksum)
head -c $(( $(stat -c %s "$T/b.model") / 2 )) "$T/b.model" > "$T/trunc.model"
printf 'this is not a model\n' > "$T/text.model"
cp "$T/b.model" "$T/flip.model"
size=$(stat -c %s "$T/flip.model")
printf '\x5a' | dd of="$T/flip.model" bs=1 seek=$((size - 9)) conv=notrunc status=none
for bad in trunc text flip; do
    replace "$T/$bad.model"
    code=$(req "$T/r" POST /v1/models/heart:reload)
    [ "$code" = 500 ] || { cat "$T/r"; fail "reload of the $bad file: status $code, expected 500"; }
    jq -e '.error | test("still serving")' "$T/r" >/dev/null || fail "reload error does not say the old model serves"
    ok "$bad replacement rejected: $(jq -r .error "$T/r" | head -c 150)"
done
kill -HUP "$SERVER_PID"   # SIGHUP with a bad file: rejected too
sleep 0.3
stop_clients "endpoint + SIGHUP"
grep -qx "$va" "$T/versions" && grep -qx "$vb" "$T/versions" || fail "clients did not see both versions"
[ "$(req "$T/v" GET /v1/models/heart)" = 200 ] && [ "$(jq -r .version "$T/v")" = "$va" ] ||
    fail "after the rejected reloads the old version should still serve"
check "$(reloads success)" == 2 "successful reloads counted"
check "$(reloads failure)" == 4 "failed reloads counted"
grep -q "reload rejected" "$T/serve1.log" || fail "rejected reload not logged"
stop_server

# ---- server 2: --watch notices replaced and rewritten files
replace "$T/a.model"
start_server "$T/serve2.log" -m "heart=$T/live.model" --threads 2 --watch --watch-interval 100
start_clients
replace "$T/b.model"
wait_version "$vb"
cp "$T/trunc.model" "$T/live.model"     # rewritten in place, corrupt: rejected
sleep 0.5
[ "$(req "$T/v" GET /v1/models/heart)" = 200 ] && [ "$(jq -r .version "$T/v")" = "$vb" ] ||
    fail "--watch: a corrupt file replaced the serving model"
replace "$T/a.model"
wait_version "$va"
stop_clients "--watch"
grep -qx "$va" "$T/versions" && grep -qx "$vb" "$T/versions" || fail "--watch: clients did not see both versions"
check "$(reloads success)" == 2 "--watch: successful reloads counted"
check "$(reloads failure)" '>=' 1 "--watch: failed reload counted"
stop_server
ok "all serve/reload checks passed"
