#!/usr/bin/env bash
# e2e: graceful stop. A request still uploading when SIGTERM arrives is finished and answered
# 200 with correct predictions; new connections are refused after the signal; the exit status is
# 0. SIGINT also stops with 0. A port already in use fails at start with a clear message.
. "$(dirname "$0")/serve_common.sh"

libsvm_data "$T/hs.svm"
run_ok "$GANNET" train -d "$T/hs.svm" -m "$T/heart.model" --quiet
for _ in $(seq 8); do cat "$T/hs.svm"; done > "$T/big.svm"     # ~220 kB
run_ok "$GANNET" predict -m "$T/heart.model" -d "$T/big.svm" -o "$T/expect"

start_server "$T/serve.log" -m "heart=$T/heart.model" --threads 2
# upload at 80 kB/s: about 3 s in flight
curl -s -o "$T/slow.r" -w '%{http_code}' --max-time 30 --limit-rate 80k -H 'Content-Type: text/plain' \
    --data-binary "@$T/big.svm" "$BASE/v1/models/heart:predict" > "$T/slow.code" &
CURL=$!
sleep 1
kill -TERM "$SERVER_PID"
sleep 0.3
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/healthz" || true)
[ "$code" = 000 ] || fail "a new connection after SIGTERM was answered $code; it should be refused"
ok "new connections refused after SIGTERM"
wait "$CURL" || true
[ "$(cat "$T/slow.code")" = 200 ] || { cat "$T/slow.r" >&2; fail "in-flight request got $(cat "$T/slow.code") after SIGTERM"; }
predictions "$T/slow.r" | cmp -s - "$T/expect" || fail "in-flight request's predictions are wrong"
ok "request in flight at SIGTERM finished with 200 and $(wc -l < "$T/expect") correct predictions"
stop_server_wait() {
    for _ in $(seq 200); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && fail "server still running 20 s after $1"
    local rc=0
    wait "$SERVER_PID" || rc=$?
    [ "$rc" -eq 0 ] || { cat "$SERVER_LOG" >&2; fail "exit status $rc after $1, expected 0"; }
    ok "$1: exit 0"
}
stop_server_wait SIGTERM

start_server "$T/serve2.log" -m "heart=$T/heart.model" --threads 1
port1=$PORT
# the same port again: must fail at start, naming the problem
run "$GANNET" serve -m "$T/heart.model" --port "$port1"
expect_rc 1 "second server on a busy port"
expect_err "cannot listen on 127.0.0.1 port $port1" "busy port message"
kill -INT "$SERVER_PID"
stop_server_wait SIGINT

# usage errors
run "$GANNET" serve
expect_rc 2 "no model"
run "$GANNET" serve -m "$T/heart.model" --port 70000
expect_rc 2 "port out of range"
run "$GANNET" serve -m "$T/nope.model"
expect_rc "1|2" "missing model file"
expect_err "nope.model" "missing model file message"
run "$GANNET" serve -m "$T/heart.model" -m "heart=$T/heart.model"
expect_rc 2 "duplicate model name"
expect_err "given twice" "duplicate name message"
ok "all serve/sigterm checks passed"
