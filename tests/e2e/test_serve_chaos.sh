#!/usr/bin/env bash
# e2e chaos (issue 13): steady loopback load of good prediction requests while the served model
# file is replaced, over and over, by a FIFO, a directory, a symlink loop, a truncated, an empty,
# a huge (4 GiB, plausible header) and a huge all-zero file, and by good models, with reloads
# fired through POST :reload, SIGHUP and --watch. Every good request must succeed with the
# prediction `gannet predict` gives for the version it names, /healthz must answer throughout,
# every reload must answer within seconds, and SIGTERM must stop the server within its grace,
# also while a reload is reading a file it could not finish in minutes and a SIGHUP reload waits
# behind it.
. "$(dirname "$0")/serve_common.sh"

CHAOS_SECONDS=${CHAOS_SECONDS:-20}
libsvm_data "$T/hs.svm"
run_ok "$GANNET" train -d "$T/hs.svm" -m "$T/a.model" --passes 1 --quiet
run_ok "$GANNET" train -d "$T/hs.svm" -m "$T/b.model" --passes 3 --l2 0.5 --quiet
run_ok "$GANNET" predict -m "$T/a.model" -d "$T/hs.svm" -o "$T/a.expect"
run_ok "$GANNET" predict -m "$T/b.model" -d "$T/hs.svm" -o "$T/b.expect"
run_ok "$GANNET" inspect -m "$T/a.model" --json; va=$(json_get "$T/out" .metadata.version)
run_ok "$GANNET" inspect -m "$T/b.model" --json; vb=$(json_get "$T/out" .metadata.version)
awk -v v="$va" '{ print v, NR, $0 }' "$T/a.expect" > "$T/truth"
awk -v v="$vb" '{ print v, NR, $0 }' "$T/b.expect" >> "$T/truth"
head -c $(( $(stat -c %s "$T/b.model") / 2 )) "$T/b.model" > "$T/trunc.model"
huge_model "$T/huge.model"

L=$T/live.model
# put KIND: makes the model path a KIND (an existing file or folder there is removed first)
put() {
    rm -rf "$L" "$T/loop2" "$T/tmp.model"
    case $1 in
        fifo) mkfifo "$L" ;;
        dir) mkdir "$L" ;;
        loop) ln -s "$T/loop2" "$L"; ln -s "$L" "$T/loop2" ;;
        trunc) cp "$T/trunc.model" "$L" ;;
        empty) : > "$L" ;;
        huge) ln "$T/huge.model" "$L" 2>/dev/null || huge_model "$L" ;;
        zeros) truncate -s 4G "$L" ;;
        a|b) cp "$T/$1.model" "$T/tmp.model" && mv -f "$T/tmp.model" "$L" ;;
    esac
}

put a
start_server "$T/serve.log" -m "heart=$L" --threads 2 --watch --watch-interval 100 --reload-timeout 300 --grace 3000
health_loop() {
    : > "$T/health"
    while [ ! -e "$T/stop" ]; do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 "$BASE/healthz" >> "$T/health" || echo "curl-failed" >> "$T/health"
        sleep 0.2
    done
}
LOAD_BATCHES=100000 start_load heart "$T/hs.svm"
health_loop & HEALTH=$!

# every kind at least once (good files by each trigger), then on until CHAOS_SECONDS have passed
kinds=(fifo dir loop a trunc huge zeros b empty fifo loop a huge dir trunc b zeros)
triggers=(endpoint hup watch)
end=$(( $(date +%s) + CHAOS_SECONDS ))
steps=0 endpoint_ok=0 endpoint_refused=0
while [ "$steps" -lt ${#kinds[@]} ] || [ "$(date +%s)" -lt "$end" ]; do
    kind=${kinds[$((steps % ${#kinds[@]}))]}
    trigger=${triggers[$((steps % ${#triggers[@]}))]}
    steps=$((steps + 1))
    put "$kind"
    case $trigger in
        endpoint)
            timed_req "$T/r" POST /v1/models/heart:reload --max-time 10
            case $CODE in
                200) endpoint_ok=$((endpoint_ok + 1)) ;;
                500) endpoint_refused=$((endpoint_refused + 1))
                     jq -e '.error | test("still serving version")' "$T/r" >/dev/null ||
                         { cat "$T/r" >&2; fail "reload of a $kind: error does not say what still serves"; } ;;
                *) cat "$T/r" >&2; fail "reload of a $kind: status $CODE" ;;
            esac
            check "$ELAPSED" '<' 5 "reload of a $kind answered"
            ;;
        hup) kill -HUP "$SERVER_PID" || fail "server gone"; sleep 0.3 ;;
        watch) sleep 0.4 ;;
    esac
done
put b
code=$(req "$T/r" POST /v1/models/heart:reload --max-time 10)
[ "$code" = 200 ] && [ "$(jq -r .model.version "$T/r")" = "$vb" ] || { cat "$T/r" >&2; fail "final reload of b: $code"; }
stop_load "chaos: $steps replacements in $(( $(date +%s) - end + CHAOS_SECONDS )) s" "$T/truth"
wait "$HEALTH"
nh=$(wc -l < "$T/health")
bad=$(grep -cvx 200 "$T/health" || true)
[ "$bad" -eq 0 ] || { sort "$T/health" | uniq -c >&2; fail "$bad of $nh /healthz checks failed during the chaos"; }
check "$nh" '>=' 10 "/healthz answered 200 every time during the chaos (checks)"
grep -qx "$va" "$T/versions" && grep -qx "$vb" "$T/versions" || fail "the load did not see both good versions"
check "$endpoint_ok" '>=' 1 "POST :reload of a good file succeeded (times)"
check "$endpoint_refused" '>=' 3 "POST :reload of a bad file refused (times)"
ok "reloads: $(metric 'gannet_model_reloads_total{model="heart",result="success"}') succeeded, $(metric 'gannet_model_reloads_total{model="heart",result="failure"}') rejected"
for why in "it is a FIFO" "it is a directory" "Too many levels of symbolic links" "truncated" \
           "not read in the time allowed" "bad magic"; do
    grep -q "reload rejected.*$why" "$T/serve.log" || { cat "$T/serve.log" >&2; fail "no reload was rejected with '$why'"; }
done
grep -q "SIGHUP: reloading" "$T/serve.log" || fail "no SIGHUP reload logged"
grep -q "changed, reloading" "$T/serve.log" || fail "no --watch reload logged"
ok "rejections logged for every kind of bad file, by the endpoint, SIGHUP and --watch"

# SIGTERM within the grace (3 s), with a FIFO at the model path and a reload of it just refused
put fifo
[ "$(req "$T/r" POST /v1/models/heart:reload --max-time 10)" = 500 ] || fail "FIFO: reload not refused"
t0=$(date +%s.%N)
stop_server
check "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" '<' 4 "stopped within the 3 s grace (seconds)"

# SIGTERM while a reload (allowed 10 minutes) reads a 256 GiB file and a SIGHUP reload waits
# behind it: both are abandoned, the request is answered, and the server still stops within its
# grace (2 s)
put a
start_server "$T/serve2.log" -m "heart=$L" --threads 2 --reload-timeout 600000 --grace 2000
rm -f "$L"; huge_model "$L" 36
curl -s -o "$T/slow.r" -w '%{http_code}' --max-time 30 -X POST "$BASE/v1/models/heart:reload" > "$T/slow.code" &
CURL=$!
sleep 0.5
kill -HUP "$SERVER_PID"
sleep 0.3
t0=$(date +%s.%N)
stop_server
check "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" '<' 3 "stopped during a long reload within the 2 s grace (seconds)"
wait "$CURL" || true
[ "$(cat "$T/slow.code")" = 500 ] || { cat "$T/slow.r" >&2; fail "the reload in progress at SIGTERM answered $(cat "$T/slow.code")"; }
ok "the reload in progress at SIGTERM: $(jq -r .error "$T/slow.r" | head -c 160)"
rm -f "$L" "$T/huge.model"
ok "all serve/chaos checks passed"
