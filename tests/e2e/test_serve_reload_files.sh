#!/usr/bin/env bash
# e2e: reloads from paths that are not model files fail at once with a clear error and never
# hang the server (issue 13). With a FIFO at the model path, one POST :reload used to block a
# worker forever in open(); a second blocked the other worker, then every request timed out,
# SIGHUP blocked the main thread and SIGTERM no longer stopped the server. Here a FIFO, a
# directory, a symlink loop, an empty, a truncated and a huge file each get a 500 naming the
# problem within seconds, through POST :reload and SIGHUP, while predictions keep being answered
# by the old model; then a good file reloads and SIGTERM stops the server.
. "$(dirname "$0")/serve_common.sh"

libsvm_data "$T/hs.svm"
run_ok "$GANNET" train -d "$T/hs.svm" -m "$T/a.model" --passes 1 --quiet
run_ok "$GANNET" train -d "$T/hs.svm" -m "$T/b.model" --passes 3 --l2 0.5 --quiet
run_ok "$GANNET" inspect -m "$T/a.model" --json; va=$(json_get "$T/out" .metadata.version)
run_ok "$GANNET" inspect -m "$T/b.model" --json; vb=$(json_get "$T/out" .metadata.version)
head -3 "$T/hs.svm" > "$T/rows"
run_ok "$GANNET" predict -m "$T/a.model" -d "$T/rows" -o "$T/a.expect"

cp "$T/a.model" "$T/live.model"
start_server "$T/serve.log" -m "heart=$T/live.model" --threads 2 --reload-timeout 1000
TEXT=(-H 'Content-Type: text/plain')

# still_serving DESC: /healthz answers and predictions are the old model's, within seconds
still_serving() {
    [ "$(req "$T/h" GET /healthz --max-time 5)" = 200 ] || fail "$1: /healthz did not answer"
    local code
    code=$(req "$T/p" POST /v1/models/heart:predict "${TEXT[@]}" --data-binary "@$T/rows" --max-time 5)
    [ "$code" = 200 ] || { cat "$T/p" >&2; fail "$1: predict answered $code"; }
    predictions "$T/p" | cmp -s - "$T/a.expect" || fail "$1: predictions are not the old model's"
    [ "$(jq -r .model.version "$T/p")" = "$va" ] || fail "$1: not the old version"
}
# reject DESC REGEX: POST :reload answers 500 within 5 s, naming the problem (REGEX) and saying
# the old version still serves
reject() {
    timed_req "$T/r" POST /v1/models/heart:reload --max-time 10
    [ "$CODE" = 500 ] || { cat "$T/r" >&2; fail "$1: reload answered $CODE, expected 500"; }
    jq -e --arg re "$2" '.error | test($re)' "$T/r" >/dev/null || { cat "$T/r" >&2; fail "$1: error does not match /$2/"; }
    jq -e --arg v "$va" '.error | contains("still serving version " + $v)' "$T/r" >/dev/null ||
        { cat "$T/r" >&2; fail "$1: error does not name the version still serving"; }
    check "$ELAPSED" '<' 5 "$1: reload refused in seconds"
    ok "$1: $(jq -r .error "$T/r" | head -c 160)"
    still_serving "$1"
}

rm "$T/live.model"; mkfifo "$T/live.model"
reject "FIFO (first worker)" "live.model: not a regular file \\(it is a FIFO\\)"
reject "FIFO (second worker)" "not a regular file \\(it is a FIFO\\)"
kill -HUP "$SERVER_PID"
for _ in $(seq 50); do grep -q "SIGHUP" "$T/serve.log" && grep -c "it is a FIFO" "$T/serve.log" | grep -q 3 && break; sleep 0.1; done
[ "$(grep -c "reload rejected.*it is a FIFO" "$T/serve.log")" = 3 ] || { cat "$T/serve.log" >&2; fail "SIGHUP with a FIFO: no rejection logged"; }
still_serving "after SIGHUP with a FIFO"
rm "$T/live.model"; mkdir "$T/live.model"
reject "directory" "not a regular file \\(it is a directory\\)"
rmdir "$T/live.model"; ln -s "$T/loop2" "$T/live.model"; ln -s "$T/live.model" "$T/loop2"
reject "symlink loop" "cannot open: Too many levels of symbolic links"
rm "$T/live.model" "$T/loop2"; : > "$T/live.model"
reject "empty file" "truncated"
head -c $(( $(stat -c %s "$T/b.model") / 2 )) "$T/b.model" > "$T/live.model"
reject "truncated file" "truncated"
huge_model "$T/live.model"
reject "huge file (4 GiB, plausible header)" "not read in the time allowed"
truncate -s 0 "$T/live.model"; truncate -s 4G "$T/live.model"
reject "huge file of zeros" "bad magic"
check "$(metric 'gannet_model_reloads_total{model="heart",result="failure"}')" == 9 "failed reloads counted"

# a good file again: reloads
cp "$T/b.model" "$T/live.model.tmp" && mv -f "$T/live.model.tmp" "$T/live.model"
code=$(req "$T/r" POST /v1/models/heart:reload --max-time 10)
[ "$code" = 200 ] && [ "$(jq -r .model.version "$T/r")" = "$vb" ] || { cat "$T/r" >&2; fail "good file: reload answered $code"; }
ok "good file reloads (version $vb)"
# and SIGTERM stops the server with a FIFO in place and a reload of it just refused
rm "$T/live.model"; mkfifo "$T/live.model"
[ "$(req "$T/r" POST /v1/models/heart:reload --max-time 10)" = 500 ] || fail "FIFO after a good reload: not refused"
stop_server
ok "all serve/reload-files checks passed"
