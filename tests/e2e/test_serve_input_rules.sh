#!/usr/bin/env bash
# e2e: the server reads input by the same rules as `gannet predict`, and never echoes bytes that
# break its JSON (issue 13). Numbers beyond the 32-bit float range are a 400 naming the value in
# JSON as in text (JSON 1e300 used to predict null, 3.5e38 to predict 1); for a CSV model an
# unknown name is a 400 naming it (it used to be dropped: a bias-only prediction with 200), a
# column number works as its header name, the label column adds nothing, a column named twice is
# a 400; a text line has the 100,000-feature limit of a JSON object; "%00" in a path no longer
# cuts routing short (":reload%00x" reloaded); bytes that are not UTF-8 in a path come back
# escaped, in the error body and the access log, and a model path that is not UTF-8 is listed
# escaped (it was a 500 "out of memory"); an access log that cannot be written is reported once
# and counted while requests are answered; `serve -m ../x=f` says the name is bad.
. "$(dirname "$0")/serve_common.sh"

libsvm_data "$T/hs.svm"
run_ok "$GANNET" train -d "$T/hs.svm" -m "$T/heart.model" --quiet
csv_data "$T/train.csv" 400
run_ok "$GANNET" train -d "$T/train.csv" -m "$T/csv.model" --format csv --header --label y --categorical city,device --quiet
start_server "$T/serve.log" -m "heart=$T/heart.model" -m "csv=$T/csv.model" --threads 2 --access-log "$T/access.log"

JSON=(-H 'Content-Type: application/json')
TEXT=(-H 'Content-Type: text/plain')
# expect WANT DESC REGEX METHOD PATH [curl args...]: status WANT, a JSON error matching REGEX
expect() {
    local want=$1 desc=$2 re=$3; shift 3
    local code
    code=$(req "$T/r" "$@")
    [ "$code" = "$want" ] || { cat "$T/r" >&2; fail "$desc: status $code, expected $want"; }
    jq -e --arg re "$re" '.error | test($re)' "$T/r" >/dev/null || { cat "$T/r" >&2; fail "$desc: error does not match /$re/"; }
    ok "$desc -> $code $(jq -r .error "$T/r" | head -c 120)"
}
# predict_one MODEL BODY: the single prediction of a JSON body (fails unless 200)
predict_one() {
    local code
    code=$(req "$T/p" POST "/v1/models/$1:predict" "${JSON[@]}" --data-binary "$2")
    [ "$code" = 200 ] || { cat "$T/p" >&2; fail "predict $2: status $code"; }
    predictions "$T/p"
}

# ---- numbers out of the float range: one rule for the server and gannet predict
printf '1 1:1e300\n' > "$T/big.svm"
run "$GANNET" predict -m "$T/heart.model" -d "$T/big.svm"
expect_rc 2 "gannet predict of 1e300"
expect_err "feature 1: value 1e\\+300 is out of range \\(32-bit float\\)" "gannet predict of 1e300"
H=/v1/models/heart:predict
expect 400 "JSON 1e300"      "instance 0: feature '1': value 1e\\+300 is out of range \\(32-bit float\\)" POST $H "${JSON[@]}" --data-binary '{"instances":[{"1":1e300}]}'
expect 400 "JSON 3.5e38"     "value 3.5e\\+38 is out of range \\(32-bit float\\)" POST $H "${JSON[@]}" --data-binary '{"instances":[{"3":1,"1":3.5e38}]}'
expect 400 "JSON -1e39 line" "instance 0: feature 1: value -1e\\+39 is out of range" POST $H "${JSON[@]}" --data-binary '{"instances":["1:-1e39"]}'
expect 400 "text 1e300"      "line 1: feature 1: value 1e\\+300 is out of range \\(32-bit float\\)" POST $H "${TEXT[@]}" --data-binary @"$T/big.svm"
printf 'y,age,city,income,device\n1,1e300,paris,50,ios\n' > "$T/big.csv"
run "$GANNET" predict -m "$T/csv.model" -d "$T/big.csv"
expect_rc 2 "gannet predict of a CSV 1e300"
expect_err "column 2 \\('age'\\): value 1e\\+300 is out of range \\(32-bit float\\)" "gannet predict of a CSV 1e300"
C=/v1/models/csv:predict
expect 400 "CSV JSON 1e300"  "instance 0: column 2 \\('age'\\): value 1e\\+300 is out of range \\(32-bit float\\)" POST $C "${JSON[@]}" --data-binary '{"instances":[{"age":1e300}]}'
expect 400 "CSV JSON \"3.5e38\"" "column 4 \\('income'\\): value 3.5e\\+38 is out of range" POST $C "${JSON[@]}" --data-binary '{"instances":[{"income":"3.5e38"}]}'

# ---- CSV names: columns by name or number, unknown names refused
expect 400 "unknown column (case)" "feature 'Age': no such column \\(did you mean 'age'\\?\\)" POST $C "${JSON[@]}" --data-binary '{"instances":[{"Age":26}]}'
expect 400 "unknown column"        "feature 'nocol': no such column; the model's columns are y, age, city, income, device" POST $C "${JSON[@]}" --data-binary '{"instances":[{"age":26},{"nocol":1}]}'
expect 400 "column number past the last" "feature '6': no such column" POST $C "${JSON[@]}" --data-binary '{"instances":[{"6":1}]}'
expect 400 "column named twice"    "column 2 \\('age'\\) given twice" POST $C "${JSON[@]}" --data-binary '{"instances":[{"age":26,"2":27}]}'
printf 'y,age,city,income,device\n1,26,paris,58.46,android\n' > "$T/row.csv"
run_ok "$GANNET" predict -m "$T/csv.model" -d "$T/row.csv" -o "$T/row.expect"
want=$(cat "$T/row.expect")
by_name=$(predict_one csv '{"instances":[{"age":26,"city":"paris","income":58.46,"device":"android"}]}')
by_number=$(predict_one csv '{"instances":[{"2":26,"3":"paris","4":58.46,"5":"android"}]}')
with_label=$(predict_one csv '{"instances":[{"y":0,"age":26,"city":"paris","income":58.46,"device":"android"}]}')
bias_only=$(predict_one csv '{"instances":[{}]}')
[ "$by_name" = "$want" ] || fail "CSV by name: $by_name, gannet predict: $want"
[ "$by_number" = "$want" ] || fail "CSV by column number: $by_number, gannet predict: $want"
[ "$with_label" = "$want" ] || fail "CSV with the label column: $with_label, gannet predict: $want"
[ "$by_number" != "$bias_only" ] || fail "CSV by column number gave the bias-only prediction"
ok "CSV by name, by number and with the label all equal gannet predict ($want; bias only: $bias_only)"

# ---- 100,000 features per instance, for text lines too
awk 'BEGIN { printf "1"; for (i = 1; i <= 100001; i++) printf " %d:1", i; print "" }' > "$T/wide.svm"
expect 413 "text line with 100,001 features" "line 1: more than 100000 features" POST $H "${TEXT[@]}" --data-binary @"$T/wide.svm"
awk 'BEGIN { printf "{\"instances\":[\"1"; for (i = 1; i <= 100001; i++) printf " %d:1", i; print "\"]}" }' > "$T/wide.json"
expect 413 "JSON line with 100,001 features" "instance 0: more than 100000 features" POST $H "${JSON[@]}" --data-binary @"$T/wide.json"
awk 'BEGIN { printf "1"; for (i = 1; i <= 100000; i++) printf " %d:1", i; print "" }' > "$T/wide.svm"
[ "$(req "$T/r" POST $H "${TEXT[@]}" --data-binary @"$T/wide.svm")" = 200 ] || { cat "$T/r" >&2; fail "100,000 features: not 200"; }
ok "a text line of 100,000 features is answered"

# ---- paths: %00 matches nothing; bytes that are not UTF-8 come back escaped
expect 404 "%00 after :reload" "no such endpoint" POST "/v1/models/heart:reload%00x"
expect 404 "%00 after /healthz" "no such endpoint" GET "/healthz%00"
check "$(metric 'gannet_model_reloads_total{model="heart",result="success"}')" == 0 ":reload%00x reloaded nothing"
expect 404 "bytes not UTF-8 in a model name" "model 'm\\\\xff\\\\xfe\\\\xc3' not found" GET "/v1/models/m%ff%fe%c3"
expect 405 "bytes not UTF-8 in a method" "method P\\\\xffST not allowed" "$(printf 'P\xffST')" "$H"
stop_server
iconv -f UTF-8 -t UTF-8 "$T/access.log" >/dev/null || fail "the access log is not valid UTF-8"
jq -e . "$T/access.log" >/dev/null || fail "the access log is not valid JSON"
grep -q '"path":"/v1/models/m\\\\xff\\\\xfe\\\\xc3"' "$T/access.log" || { cat "$T/access.log" >&2; fail "access log: path not escaped"; }
grep -q '"path":"/v1/models/heart:reload%00x"' "$T/access.log" || fail "access log: %00 path not logged as sent"
ok "access log: $(wc -l < "$T/access.log") lines, valid JSON and UTF-8"

# ---- a model path that is not UTF-8 is listed (escaped), not a 500 "out of memory"
BADDIR="$T/$(printf 'd\xff\xfe')"
mkdir -p "$BADDIR" && cp "$T/heart.model" "$BADDIR/m.gnm"
# ---- an access log that cannot be written: requests still answered, the loss reported and counted
start_server "$T/serve-full.log" -m "odd=$BADDIR/m.gnm" --threads 2 --access-log /dev/full
code=$(req "$T/list" GET /v1/models)
[ "$code" = 200 ] || { cat "$T/list" >&2; fail "GET /v1/models with a non-UTF-8 model path: $code"; }
iconv -f UTF-8 -t UTF-8 "$T/list" >/dev/null || fail "/v1/models is not valid UTF-8"
jq -e '.models[0].path | endswith("/d\\xff\\xfe/m.gnm")' "$T/list" >/dev/null || { cat "$T/list" >&2; fail "/v1/models: path not escaped"; }
ok "GET /v1/models with a non-UTF-8 model path: 200, path escaped"
for i in 1 2 3; do
    [ "$(req "$T/p" POST /v1/models/odd:predict "${JSON[@]}" --data-binary '{"instances":[{"1":1}]}')" = 200 ] ||
        { cat "$T/p" >&2; fail "predict with a full access log: not 200"; }
done
lost=$(metric gannet_access_log_write_errors_total)
[ -n "$lost" ] && [ "$lost" -ge 3 ] || fail "gannet_access_log_write_errors_total is '$lost', expected >= 3"
stop_server
[ "$(grep -c 'access log /dev/full: write failed (No space left on device)' "$T/serve-full.log")" = 1 ] ||
    { cat "$T/serve-full.log" >&2; fail "the access-log write failure was not reported exactly once"; }
ok "access log on a full device: requests answered, $lost lines counted lost, reported once"

# ---- serve -m NAME=PATH with a bad name
run "$GANNET" serve -m "../x=$T/heart.model"
expect_rc 2 "serve -m ../x=PATH"
expect_err "bad model name '\\.\\./x'" "serve -m ../x=PATH"
ok "all serve/input-rules checks passed"
