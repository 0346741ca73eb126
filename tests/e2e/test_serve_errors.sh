#!/usr/bin/env bash
# e2e: a table of bad requests to `gannet serve`, each answered with the right status
# (400/404/405/413/415, 431 for oversized headers) and a JSON error body; idle connections are
# closed by the timeout; the server stays healthy and still predicts correctly afterwards.
. "$(dirname "$0")/serve_common.sh"

libsvm_data "$T/hs.svm"
run_ok "$GANNET" train -d "$T/hs.svm" -m "$T/heart.model" --quiet
run_ok "$GANNET" predict -m "$T/heart.model" -d "$T/hs.svm" -o "$T/expect"
start_server "$T/serve.log" -m "heart=$T/heart.model" --threads 2 --max-body 65536 --max-batch 50 --timeout 1000

P=/v1/models/heart:predict
JSON=(-H 'Content-Type: application/json')
TEXT=(-H 'Content-Type: text/plain')
awk 'BEGIN { printf "{\"instances\":["; for (i = 0; i < 60; i++) printf "%s{\"1\":0.5}", (i ? "," : ""); print "]}" }' > "$T/batch60.json"
head -c 100000 /dev/zero | tr '\0' 'a' > "$T/big.txt"
awk 'BEGIN { printf "{\"meta\":"; for (i = 0; i < 30000; i++) printf "["; for (i = 0; i < 30000; i++) printf "]";
            print ",\"instances\":[]}" }' > "$T/deep.json"
printf '{"instances":[{"1":"\xff\xfe"}]}' > "$T/badutf8.json"
printf '1:0.5\0 2:1\n' > "$T/nul.txt"
huge=$(head -c 70000 /dev/zero | tr '\0' 'x')

# expect WANT DESC METHOD PATH [curl args...]
expect() {
    local want=$1 desc=$2; shift 2
    local code
    code=$(req "$T/r" "$@")
    [ "$code" = "$want" ] || { cat "$T/r" >&2; fail "$desc: status $code, expected $want"; }
    if [ "$want" != 431 ]; then
        jq -e '.error | type == "string" and length > 0' "$T/r" >/dev/null ||
            { cat "$T/r" >&2; fail "$desc: no JSON error message"; }
        [ "$(jq -r .status "$T/r")" = "$want" ] || fail "$desc: error body names the wrong status"
    fi
    ok "$desc -> $code $( [ "$want" != 431 ] && jq -r .error "$T/r" | head -c 90)"
}

expect 400 "malformed JSON"                 POST $P "${JSON[@]}" --data-binary '{"instances":[{"1":0.5}'
expect 400 "empty JSON body"                POST $P "${JSON[@]}" --data-binary ''
expect 400 "JSON array at top level"        POST $P "${JSON[@]}" --data-binary '[{"1":0.5}]'
expect 400 "no instances key"               POST $P "${JSON[@]}" --data-binary '{"inputs":[{"1":0.5}]}'
expect 400 "instances not an array"         POST $P "${JSON[@]}" --data-binary '{"instances":{"1":0.5}}'
expect 400 "instance is a number"           POST $P "${JSON[@]}" --data-binary '{"instances":[3]}'
expect 400 "feature value is a boolean"     POST $P "${JSON[@]}" --data-binary '{"instances":[{"1":true}]}'
expect 400 "feature value is an array"      POST $P "${JSON[@]}" --data-binary '{"instances":[{"1":[1]}]}'
expect 400 "string value for LIBSVM model"  POST $P "${JSON[@]}" --data-binary '{"instances":[{"1":"paris"}]}'
expect 400 "non-index name for LIBSVM"      POST $P "${JSON[@]}" --data-binary '{"instances":[{"age":1}]}'
expect 400 "duplicate keys"                 POST $P "${JSON[@]}" --data-binary '{"instances":[{"1":1,"1":2}]}'
expect 400 "invalid UTF-8"                  POST $P "${JSON[@]}" --data-binary "@$T/badutf8.json"
expect 400 "30000-deep nesting"             POST $P "${JSON[@]}" --data-binary "@$T/deep.json"
expect 400 "trailing garbage"               POST $P "${JSON[@]}" --data-binary '{"instances":[]} {}'
expect 400 "\\u0000 in a name"              POST $P "${JSON[@]}" --data-binary '{"instances":[{"a\u0000b":1}]}'
expect 400 "empty text-line instance"       POST $P "${JSON[@]}" --data-binary '{"instances":["   "]}'
expect 400 "bad text line"                  POST $P "${TEXT[@]}" --data-binary $'1 2:0.5\n1 x:y\n'
expect 400 "NUL byte in text"               POST $P "${TEXT[@]}" --data-binary "@$T/nul.txt"
expect 404 "unknown model"                  POST /v1/models/nope:predict "${JSON[@]}" --data-binary '{"instances":[]}'
expect 404 "unknown model (GET)"            GET /v1/models/nope
expect 404 "unknown verb"                   POST /v1/models/heart:explain "${JSON[@]}" --data-binary '{}'
expect 404 "unknown path"                   GET /v2/everything
expect 405 "GET on predict"                 GET $P
expect 405 "PUT on predict"                 PUT $P "${JSON[@]}" --data-binary '{"instances":[]}'
expect 405 "DELETE on model list"           DELETE /v1/models
expect 405 "POST on healthz"                POST /healthz --data-binary x
expect 413 "body over --max-body"           POST $P "${TEXT[@]}" --data-binary "@$T/big.txt"
expect 413 "chunked body over --max-body"   POST $P "${TEXT[@]}" -H 'Transfer-Encoding: chunked' --data-binary "@$T/big.txt"
expect 413 "more instances than --max-batch" POST $P "${JSON[@]}" --data-binary "@$T/batch60.json"
expect 415 "XML content type"               POST $P -H 'Content-Type: application/xml' --data-binary '<x/>'
expect 415 "form content type"              POST $P --data '{"instances":[]}'
expect 415 "application/jsonx"              POST $P -H 'Content-Type: application/jsonx' --data-binary '{"instances":[]}'
expect 431 "70 kB header"                   GET /healthz -H "X-Big: $huge"

# an idle connection is closed by the --timeout (1 s): reading must hit EOF well before 8 s
exec 3<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect"
start=$(date +%s)
timeout 8 cat <&3 >/dev/null; rc=$?
exec 3<&- 3>&-
[ "$rc" -ne 124 ] || fail "idle connection was not closed within 8 s"
check "$(( $(date +%s) - start ))" '<=' 5 "idle connection closed by the timeout (seconds)"

# still healthy, and still right
[ "$(req "$T/r" GET /healthz)" = 200 ] || fail "not healthy after the bad requests"
code=$(req "$T/r" POST $P "${TEXT[@]}" --data-binary "@$T/hs.svm")
[ "$code" = 413 ] || fail "270 lines with --max-batch 50 should be 413, got $code"
head -50 "$T/hs.svm" > "$T/h50"
code=$(req "$T/r" POST $P "${TEXT[@]}" --data-binary "@$T/h50")
[ "$code" = 200 ] || { cat "$T/r"; fail "valid predict after errors: $code"; }
predictions "$T/r" | cmp -s - <(head -50 "$T/expect") || fail "predictions after errors differ"
check "$(metric 'gannet_predict_requests_total{model="heart",code="400"}')" == 18 "400s counted for heart"
check "$(metric 'gannet_http_requests_total{code="404"}')" == 4 "404s counted"
stop_server
ok "all serve/error checks passed"
