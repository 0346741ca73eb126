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
nrows=$(wc -l < "$T/hs.svm")
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
# client ID: batches of 25 predicts over keep-alive connections (one curl per batch), at most 80
# batches or until $T/stop exists; one "code version row prediction" line per request
client() {
    local id=$1 it=0
    : > "$T/client$id"
    while [ ! -e "$T/stop" ] && [ $it -lt 80 ]; do
        it=$((it + 1))
        awk -v it=$it -v id="$id" -v n="$nrows" -v url="$BASE/v1/models/heart:predict" -v rows="$T/rows$id" '
            { line[NR] = $0 }
            END { for (k = 1; k <= 25; k++) {
                    r = (it * 31 + k * 7 + id) % n + 1
                    print r > rows
                    printf "url = \"%s\"\nheader = \"Content-Type: text/plain\"\n", url
                    printf "data-binary = \"%s\"\nwrite-out = \"%%{http_code}\\n\"\n", line[r]
                    if (k < 25) print "next"
                } }' "$T/hs.svm" > "$T/cfg$id"
        curl -s --max-time 20 -K "$T/cfg$id" > "$T/out$id" 2>/dev/null
        awk 'NR == FNR { row[NR] = $1; next }
             /^[{]/ { body = $0; next }
             /^[0-9][0-9][0-9]$/ { i++; v = "-"; p = "-"
                 if (match(body, /"version":"[0-9a-f]+"/)) v = substr(body, RSTART + 11, RLENGTH - 12)
                 if (match(body, /"predictions":\[[^]]*\]/)) p = substr(body, RSTART + 15, RLENGTH - 16)
                 print $0, v, row[i], p; body = "" }
             END { for (j = i + 1; j <= 25; j++) print "none - " row[j] " -" }' "$T/rows$id" "$T/out$id" >> "$T/client$id"
    done
}
start_clients() { rm -f "$T/stop"; client 1 & C1=$!; client 2 & C2=$!; sleep 0.5; }
# stop_clients: stop them, then check every answer
stop_clients() {
    sleep 0.5
    touch "$T/stop"
    wait "$C1" "$C2"
    cat "$T/client1" "$T/client2" > "$T/answers"
    local n bad
    n=$(wc -l < "$T/answers")
    check "$n" '>=' 20 "requests made under reload ($1)"
    bad=$(awk '$1 != 200' "$T/answers" | wc -l)
    [ "$bad" -eq 0 ] || { awk '$1 != 200' "$T/answers" | head >&2; fail "$bad of $n requests failed during reloads ($1)"; }
    # every answer equals gannet predict of the version it names
    bad=$(awk 'NR == FNR { t[$1 " " $2] = $3; next } !(($2 " " $3) in t) || t[$2 " " $3] != $4' "$T/truth" "$T/answers" | wc -l)
    [ "$bad" -eq 0 ] || fail "$bad answers do not match gannet predict for their version ($1)"
    ok "$n requests during reloads, all 200 and all equal to gannet predict of their version ($1)"
    cut -d' ' -f2 "$T/answers" | sort -u > "$T/versions"
}
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
