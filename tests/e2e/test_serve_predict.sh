#!/usr/bin/env bash
# e2e: `gannet serve` answers predictions equal to `gannet predict` on the same rows, to the last
# printed digit: LIBSVM rows as text/plain lines, as JSON objects of index: value and as JSON
# text-line instances; CSV rows as JSON objects with category strings (named columns) and as
# text/plain lines. Also: model listing, health/readiness, metrics that count the requests made,
# the JSON access log, and SIGTERM exiting 0.
. "$(dirname "$0")/serve_common.sh"

# instances_json FILE FIRST PREFIX: a predict body {"instances":[...]} with one JSON object per
# row of FILE, "PREFIX<index>": value for each index:value field from field FIRST on.
instances_json() {
    awk -v first="$2" -v pre="$3" '{ printf "%s{", (NR > 1 ? "," : "");
       for (i = first; i <= NF; i++) { split($i, kv, ":"); printf "%s\"%s%s\":%s", (i > first ? "," : ""), pre, kv[1], kv[2] }
       printf "}" }
     BEGIN { printf "{\"instances\":[" } END { print "]}" }' "$1"
}

# same_predictions GOT EXPECT DESC: fails, showing the first differences, unless GOT equals EXPECT.
same_predictions() {
    cmp -s "$1" "$2" || { diff "$1" "$2" | head; fail "$3"; }
}

libsvm_data "$T/hs.svm"
csv_data "$T/train.csv" 400
run_ok "$GANNET" train -d "$T/hs.svm" -m "$T/heart.model" --passes 3 --quiet
run_ok "$GANNET" train -d "$T/train.csv" -m "$T/csv.model" --format csv --header --label y \
    --categorical city,device --passes 2 --quiet
run_ok "$GANNET" predict -m "$T/heart.model" -d "$T/hs.svm" -o "$T/heart.expect"
# the same rows as VW text, namespace f, features x<index>
awk '{ printf "%s |f", ($1 > 0 ? 1 : -1); for (i = 2; i <= NF; i++) { split($i, kv, ":"); printf " x%s:%s", kv[1], kv[2] }; print "" }' \
    "$T/hs.svm" > "$T/hs.vw"
run_ok "$GANNET" train -d "$T/hs.vw" -m "$T/vw.model" --l2 0.01 --quiet
run_ok "$GANNET" predict -m "$T/vw.model" -d "$T/hs.vw" -o "$T/vw.expect"
run_ok "$GANNET" predict -m "$T/csv.model" -d "$T/train.csv" -o "$T/csv.expect"
nheart=$(wc -l < "$T/hs.svm")
ncsv=$(($(wc -l < "$T/train.csv") - 1))
check "$(wc -l < "$T/heart.expect")" == "$nheart" "gannet predict: one line per heart row"

start_server "$T/serve.log" -m "heart=$T/heart.model" -m "csv=$T/csv.model" -m "$T/vw.model" --threads 2 \
    --access-log "$T/access.log"
requests=0

# ---- health, readiness, listing
[ "$(req "$T/r" GET /healthz)" = 200 ] || fail "/healthz"
check "$(json_get "$T/r" .status | grep -c ok)" == 1 "/healthz says ok"
[ "$(req "$T/r" GET /readyz)" = 200 ] || fail "/readyz"
[ "$(req "$T/r" GET /v1/models)" = 200 ] || fail "GET /v1/models"
[ "$(jq -r '[.models[].name] | sort | join(",")' "$T/r")" = "csv,heart,vw" ] || { cat "$T/r"; fail "model list"; }
run_ok "$GANNET" inspect -m "$T/heart.model" --json
heart_version=$(json_get "$T/out" .metadata.version)
[ "$(req "$T/r" GET /v1/models/heart)" = 200 ] || fail "GET /v1/models/heart"
[ "$(json_get "$T/r" .version)" = "$heart_version" ] || fail "model version differs from gannet inspect"
[ "$(json_get "$T/r" .metadata.loss)" = logistic ] || fail "model metadata lacks the loss"
ok "health, readiness, listing (heart version $heart_version)"

# ---- LIBSVM rows as text/plain, all in one request
code=$(req "$T/r" POST /v1/models/heart:predict -H 'Content-Type: text/plain' --data-binary "@$T/hs.svm")
requests=$((requests + 1))
[ "$code" = 200 ] || { cat "$T/r"; fail "text/plain predict: status $code"; }
[ "$(json_get "$T/r" .model.version)" = "$heart_version" ] || fail "predict response names the wrong version"
predictions "$T/r" > "$T/heart.text"
same_predictions "$T/heart.text" "$T/heart.expect" "text/plain predictions differ from gannet predict"
ok "text/plain: $nheart predictions equal gannet predict"

# ---- LIBSVM rows as JSON objects {"index": value}
instances_json "$T/hs.svm" 2 "" > "$T/heart.json"
code=$(req "$T/r" POST /v1/models/heart:predict -H 'Content-Type: application/json' --data-binary "@$T/heart.json")
requests=$((requests + 1))
[ "$code" = 200 ] || { cat "$T/r"; fail "JSON predict: status $code"; }
predictions "$T/r" > "$T/heart.jsonout"
same_predictions "$T/heart.jsonout" "$T/heart.expect" "JSON predictions differ"
ok "JSON objects: $nheart predictions equal gannet predict"

# ---- JSON text-line instances, one request per row for the first 20 rows (single-instance path)
for i in $(seq 20); do
    line=$(sed -n "${i}p" "$T/hs.svm")
    code=$(req "$T/r" POST /v1/models/heart:predict -H 'Content-Type: application/json' \
        --data-binary "{\"instances\":[\"$line\"]}")
    requests=$((requests + 1))
    [ "$code" = 200 ] || { cat "$T/r"; fail "single text-line instance $i: status $code"; }
    [ "$(predictions "$T/r")" = "$(sed -n "${i}p" "$T/heart.expect")" ] || fail "row $i differs"
done
ok "20 single-instance requests equal gannet predict"

# ---- CSV rows as JSON objects with category strings (the label column left out)
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[i] = $i; next }
         { printf "%s{\"%s\":%s,\"%s\":\"%s\",\"%s\":%s,\"%s\":\"%s\"}", (NR > 2 ? "," : ""),
           h[2], $2, h[3], $3, h[4], $4, h[5], $5 }
         BEGIN { printf "{\"instances\":[" } END { print "]}" }' "$T/train.csv" > "$T/csv.json"
code=$(req "$T/r" POST /v1/models/csv:predict -H 'Content-Type: application/json' --data-binary "@$T/csv.json")
[ "$code" = 200 ] || { cat "$T/r"; fail "CSV JSON predict: status $code"; }
predictions "$T/r" > "$T/csv.jsonout"
check "$(wc -l < "$T/csv.jsonout")" == "$ncsv" "CSV JSON: one prediction per row"
same_predictions "$T/csv.jsonout" "$T/csv.expect" "CSV named predictions differ"
ok "CSV named instances with category strings equal gannet predict"
# a category the model never saw still predicts (it hashes to an untrained slot)
code=$(req "$T/r" POST /v1/models/csv:predict -H 'Content-Type: application/json' \
    --data-binary '{"instances":[{"age":30,"city":"oslo","income":50,"device":"ios"}]}')
[ "$code" = 200 ] || { cat "$T/r"; fail "unseen category: status $code"; }

# ---- CSV rows as text/plain lines (no header)
tail -n +2 "$T/train.csv" > "$T/csv.lines"
code=$(req "$T/r" POST /v1/models/csv:predict -H 'Content-Type: text/plain; charset=utf-8' --data-binary "@$T/csv.lines")
[ "$code" = 200 ] || { cat "$T/r"; fail "CSV text predict: status $code"; }
predictions "$T/r" > "$T/csv.textout"
same_predictions "$T/csv.textout" "$T/csv.expect" "CSV text predictions differ"
ok "CSV text/plain lines equal gannet predict"

# ---- VW rows as JSON objects {"ns^feature": value} and as text lines
instances_json "$T/hs.vw" 3 "f^" > "$T/vw.json"
code=$(req "$T/r" POST /v1/models/vw:predict -H 'Content-Type: application/json; charset=utf-8' --data-binary "@$T/vw.json")
[ "$code" = 200 ] || { cat "$T/r"; fail "VW JSON predict: status $code"; }
predictions "$T/r" | cmp -s - "$T/vw.expect" || fail "VW named predictions differ from gannet predict"
code=$(req "$T/r" POST /v1/models/vw:predict -H 'Content-Type: text/plain' --data-binary "@$T/hs.vw")
[ "$code" = 200 ] || { cat "$T/r"; fail "VW text predict: status $code"; }
predictions "$T/r" | cmp -s - "$T/vw.expect" || fail "VW text predictions differ from gannet predict"
ok "VW named instances (ns^feature) and VW text lines equal gannet predict"

# ---- metrics reflect the requests made on heart
npred=$((nheart * 2 + 20))
check "$(metric 'gannet_predict_requests_total{model="heart",code="200"}')" == "$requests" "heart predict requests counted"
check "$(metric 'gannet_predictions_total{model="heart"}')" == "$npred" "heart predictions counted"
check "$(metric 'gannet_predict_duration_seconds_count{model="heart"}')" == "$requests" "latency histogram count"
check "$(metric 'gannet_predictions_total{model="csv"}')" == "$((ncsv * 2 + 1))" "csv predictions counted"
check "$(metric 'gannet_http_requests_in_flight')" '>=' 1 "in-flight gauge counts the scrape itself"
[ -n "$(metric "gannet_model_info{model=\"heart\",version=\"$heart_version\"}")" ] || fail "model_info lacks the version"

# ---- access log: one valid JSON line per answered request
stop_server
[ -s "$T/access.log" ] || fail "access log is empty"
jq -e -s 'length > 30 and all(.[]; has("status") and has("path") and has("ms"))' "$T/access.log" >/dev/null ||
    fail "access log lines are not the expected JSON objects"
check "$(grep -c '"path":"/v1/models/heart:predict"' "$T/access.log")" == "$requests" "access log lines for heart predicts"
ok "all serve/predict checks passed"
