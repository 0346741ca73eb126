#!/usr/bin/env bash
# tests/e2e/test_serve_rank.sh: POST :recommend for feature models (kinds fm, ffm, linear: a
# context and posted candidates, docs/recommend.md) over loopback, on small models trained on
# generated (user, hour, item, category) data: the order of the answer is the order of the
# :predict scores of the merged instances, with the same scores; k is respected; item ids as
# strings answer as {"item": id} objects; the batch form ("contexts") answers as single
# requests; `gannet recommend --context` answers as the server; bad bodies get 400 (413 past
# --max-batch) and the server stays up; and two clients ranking while the model is swapped and
# reloaded get only 200s, each the answer of the version it names.
. "$(dirname "$0")/serve_common.sh"

gen() { # gen SEED FILE: y,user,hour,item,cat; y likes items whose id matches the user mod 3
    awk -v seed="$1" 'BEGIN { srand(seed); print "y,user,hour,item,cat"
        for (i = 0; i < 2000; i++) { u = int(40 * rand()); h = int(24 * rand()); it = int(60 * rand()); c = it % 5
            z = ((u % 3) == (it % 3) ? 1.5 : -1) + (h < 12 ? 0.3 : -0.3) + (c == 2 ? 0.5 : 0)
            print (z + 2 * rand() - 1 > 0 ? 1 : 0) ",u" u "," h ",it" it ",c" c } }' > "$2"
}
gen 3 "$T/a.csv"
gen 4 "$T/b.csv"
D=(--label y -b 14 --quiet)
run_ok "$GANNET" train -d "$T/a.csv" "${D[@]}" --kind fm --rank 4 -m "$T/fm.model"
run_ok "$GANNET" train -d "$T/b.csv" "${D[@]}" --kind fm --rank 3 -m "$T/fm_b.model"
run_ok "$GANNET" train -d "$T/a.csv" "${D[@]}" --kind ffm --rank 2 -m "$T/ffm.model"
run_ok "$GANNET" train -d "$T/a.csv" "${D[@]}" -m "$T/lin.model"

# 60 candidates (objects), the context, and the :predict body of the merged instances
ctx='{"user":"u3","hour":7}'
seq 0 59 | awk '{ printf "{\"item\":\"it%d\",\"cat\":\"c%d\"}\n", $1, $1 % 5 }' > "$T/cands.jsonl"
cands=$(jq -s -c . "$T/cands.jsonl")
jq -n -c --argjson c "$ctx" --argjson d "$cands" '{instances: [$d[] | $c + .]}' > "$T/predict.json"

cp "$T/fm.model" "$T/live.model"
start_server "$T/serve.log" -m "fm=$T/live.model" -m "ffm=$T/ffm.model" -m "lin=$T/lin.model" --max-batch 100 \
    --threads 2
H=(-H 'Content-Type: application/json')

# rank MODEL BODY OUT: POST :recommend, 200 expected
rank() {
    local code
    code=$(req "$3" POST "/v1/models/$1:recommend" "${H[@]}" -d "$2")
    [ "$code" = 200 ] || { cat "$3" >&2; fail "$1:recommend: $code for $2"; }
}

for model in fm ffm lin; do
    [ "$(req "$T/p.$model" POST "/v1/models/$model:predict" "${H[@]}" --data-binary @"$T/predict.json")" = 200 ] ||
        { cat "$T/p.$model"; fail "$model:predict"; }
    rank "$model" "{\"context\":$ctx,\"candidates\":$cands,\"k\":60}" "$T/r.$model"
    # the full ranking: every candidate once, scores as :predict's (to 1e-7), in non-increasing order
    jq -e --slurpfile p "$T/p.$model" '
        ($p[0].predictions) as $pred | .items as $it |
        ($it | length) == 60 and ([$it[].index] | sort) == [range(60)] and
        all($it[]; (.score - $pred[.index] | fabs) < 1e-7) and
        all(range(1; 60); $it[. - 1].score >= $it[.].score) and
        all($it[]; .item == "it\(.index)")' "$T/r.$model" >/dev/null ||
        { head -c 600 "$T/r.$model" >&2; fail "$model: the ranking is not the order of the :predict scores"; }
    # ... and the :predict scores sorted give that order (ties, if any, by position)
    exp=$(jq -c '[.predictions | to_entries | sort_by(-.value, .key)[].key]' "$T/p.$model")
    got=$(jq -c '[.items[].index]' "$T/r.$model")
    [ "$exp" = "$got" ] || fail "$model: order $got, :predict sorted gives $exp"
    # k: the head of the full ranking
    rank "$model" "{\"context\":$ctx,\"candidates\":$cands,\"k\":7}" "$T/k.$model"
    [ "$(jq -c '[.items[].index]' "$T/k.$model")" = "$(jq -c '[.items[:7][].index]' "$T/r.$model")" ] ||
        fail "$model: k=7 is not the head of the full ranking"
done
# the model learned the planted taste: u3 (3 mod 3 = 0) gets items 0 mod 3 first
[ "$(jq '[.items[:10][] | .index % 3 == 0] | all' "$T/r.fm")" = true ] || fail "fm: the top 10 for u3 are not items 0 mod 3"
ok "fm, ffm, linear: :recommend orders the candidates as their :predict scores; k respected"

# item ids as strings = {"item": id} objects; default k 10
ids=$(seq 0 59 | awk '{ printf "%s\"it%d\"", (NR > 1 ? "," : ""), $1 }')
rank fm "{\"context\":$ctx,\"candidates\":[$ids]}" "$T/ids"
objs=$(seq 0 59 | awk '{ printf "%s{\"item\":\"it%d\"}", (NR > 1 ? "," : ""), $1 }')
rank fm "{\"context\":$ctx,\"candidates\":[$objs]}" "$T/objs"
[ "$(jq -c .items "$T/ids")" = "$(jq -c .items "$T/objs")" ] || fail "ids and {item: id} objects differ"
check "$(jq '.items | length' "$T/ids")" == 10 "default k"
# item_field: ids go to another column
rank fm "{\"context\":$ctx,\"candidates\":[\"c1\",\"c2\"],\"item_field\":\"cat\"}" "$T/cat"
rank fm "{\"context\":$ctx,\"candidates\":[{\"cat\":\"c1\"},{\"cat\":\"c2\"}]}" "$T/cat2"
[ "$(jq -c '[.items[].score]' "$T/cat")" = "$(jq -c '[.items[].score]' "$T/cat2")" ] || fail "item_field cat"
# the batch form: each context's answer as its single request's
ctx2='{"user":"u4","hour":20}'
rank ffm "{\"contexts\":[$ctx,$ctx2],\"candidates\":$cands,\"k\":5}" "$T/batch"
rank ffm "{\"context\":$ctx2,\"candidates\":$cands,\"k\":5}" "$T/single2"
[ "$(jq -c '.results[0].items' "$T/batch")" = "$(jq -c '.items' "$T/k.ffm" | jq -c '.[:5]')" ] &&
    [ "$(jq -c '.results[1].items' "$T/batch")" = "$(jq -c .items "$T/single2")" ] || fail "contexts differ from single contexts"
ok "item ids, item_field, default k and the batch form"

# the CLI answers as the server (indices and scores to the printed digit)
run_ok "$GANNET" recommend -m "$T/fm.model" --context 'user=u3 hour=7' --candidates "$T/cands.jsonl" -k 7 --json
[ "$(jq -c '[.items[] | [.index, .item]]' "$T/out")" = "$(jq -c '[.items[] | [.index, .item]]' "$T/k.fm")" ] ||
    fail "gannet recommend --context differs from the server"
echo "$ctx" > "$T/ctx.jsonl"; echo 'user=u4 hour=20' >> "$T/ctx.jsonl"
run_ok "$GANNET" recommend -m "$T/ffm.model" --contexts "$T/ctx.jsonl" --candidates "$T/cands.jsonl" -k 5 --json
[ "$(sed -n 2p "$T/out" | jq -c '[.items[].index]')" = "$(jq -c '[.items[].index]' "$T/single2")" ] ||
    fail "gannet recommend --contexts differs from the server"
run "$GANNET" recommend -m "$T/fm.model" --context 'user=u3' --user u3 --candidates "$T/cands.jsonl"
expect_rc 2 "recommend --context with --user"
run "$GANNET" recommend -m "$T/fm.model" --context 'user=u3'
expect_rc 2 "recommend --context without --candidates"
run "$GANNET" recommend -m "$T/fm.model" --context 'user=u3 item=it1' --candidates "$T/cands.jsonl"
expect_rc 1 "recommend: a feature in context and candidate"
grep -q "is also in the context" "$T/err" || fail "recommend: no reason for the repeated feature"
{ head -3 "$T/cands.jsonl"; echo '{"item":'; } > "$T/badcands.jsonl"
run "$GANNET" recommend -m "$T/fm.model" --context 'user=u3' --candidates "$T/badcands.jsonl"
expect_rc 1 "recommend: a bad candidate line"
grep -q "badcands.jsonl:4:" "$T/err" || { cat "$T/err"; fail "recommend: the bad candidate line is not named"; }
run "$GANNET" recommend -m "$T/fm.model" --context 'user=u3' --candidates "$T/cands.jsonl" --item-field ''
expect_rc 2 "recommend --item-field ''"
ok "gannet recommend --context/--contexts answers as the server; bad flags and lines refused"

# errors: 400 with a reason (413 past --max-batch), never a crash
big=$(seq 0 100 | awk '{ printf "%s\"it%d\"", (NR > 1 ? "," : ""), $1 }')
while IFS='|' read -r want body reason; do
    code=$(req "$T/e" POST /v1/models/fm:recommend "${H[@]}" -d "$body")
    [ "$code" = "$want" ] || { cat "$T/e"; fail "$body: $code, expected $want"; }
    jq -e --arg r "$reason" '.error | contains($r)' "$T/e" >/dev/null || { cat "$T/e"; fail "$body: no '$reason'"; }
done <<EOF
400|{"context":$ctx}|'candidates' is missing
400|{"context":$ctx,"candidates":"it1"}|must be an array
400|{"candidates":["it1"],"k":0}|'k' must be an integer
400|{"candidates":["it1"],"k":"3"}|'k' must be an integer
400|{"candidates":["it1"],"k":10001}|'k' must be an integer
400|{"candidates":[{"item":true}]}|value must be a number, a string or null
400|{"candidates":[7]}|candidate 0: must be an object
400|{"context":{"item":"it1"},"candidates":["it2"]}|is also in the context
400|{"context":{"nope":1},"candidates":["it2"]}|context: feature 'nope': no such column
400|{"candidates":["it1",{"bogus":"x"}]}|candidate 1: feature 'bogus'
400|{"context":$ctx,"contexts":[$ctx],"candidates":["it1"]}|not both
400|{"user":"u1"}|give 'context' and 'candidates'
400|{"candidates":["it1"],"item_field":3}|'item_field' must be
400|{"candidates":["it1"],"colour":3}|unknown key 'colour'
400|{"candidates":["it1"]|invalid JSON
413|{"candidates":[$big]}|more than 100 candidates in one request
EOF
[ "$(req "$T/e" POST /v1/models/fm:recommend "${H[@]}" -d '{"candidates":[]}')" = 200 ] &&
    [ "$(jq -c .items "$T/e")" = "[]" ] || fail "no candidates: an empty answer"
[ "$(req "$T/e" GET /readyz)" = 200 ] || fail "the server is down after the bad requests"
ok "bad :recommend bodies: 400 (413 past --max-batch) with the reason; the server stays up"

# two clients ranking while the model is swapped and reloaded: all 200, each answer the one of
# the version it names (the truth per version from the CLI)
run_ok "$GANNET" inspect -m "$T/fm.model" --json; va=$(json_get "$T/out" .metadata.version)
run_ok "$GANNET" inspect -m "$T/fm_b.model" --json; vb=$(json_get "$T/out" .metadata.version)
for v in fm fm_b; do
    run_ok "$GANNET" recommend -m "$T/$v.model" --context "$ctx" --candidates "$T/cands.jsonl" -k 5 --json
    jq -c '[.items[].index]' "$T/out" > "$T/truth.$v"
done
[ "$(cat "$T/truth.fm")" != "$(cat "$T/truth.fm_b")" ] || fail "the two versions rank alike: the test cannot tell them apart"
body="{\"context\":$ctx,\"candidates\":$cands,\"k\":5}"
printf '%s' "$body" > "$T/body.json"
rank_client() { # rank_client ID: batches of 10 over one connection until $T/stop; "code answer" lines
    local id=$1 it=0
    : > "$T/client$id"
    while [ ! -e "$T/stop" ] && [ $it -lt 20 ]; do
        it=$((it + 1))
        : > "$T/cfg$id"
        for k in $(seq 10); do
            printf 'url = "%s"\nheader = "Content-Type: application/json"\ndata-binary = "@%s"\n' \
                "$BASE/v1/models/fm:recommend" "$T/body.json" >> "$T/cfg$id"
            printf 'write-out = "\\n%%{http_code}\\n"\n' >> "$T/cfg$id"
            [ "$k" -lt 10 ] && echo next >> "$T/cfg$id"
        done
        curl -s --max-time 20 -K "$T/cfg$id" 2>/dev/null |
            awk '/^[{]/ { body = $0; next } /^[0-9][0-9][0-9]$/ { print $0 "\t" body; body = "" }' >> "$T/client$id"
    done
}
swap() { cp "$1" "$T/live.tmp" && mv -f "$T/live.tmp" "$T/live.model"; }
rm -f "$T/stop"
rank_client 1 & C1=$!
rank_client 2 & C2=$!
sleep 0.4
swap "$T/fm_b.model"
[ "$(req "$T/r" POST /v1/models/fm:reload)" = 200 ] || { cat "$T/r"; fail "POST :reload"; }
sleep 0.4
swap "$T/fm.model"
[ "$(req "$T/r" POST /v1/models/fm:reload)" = 200 ] || fail "POST :reload (2)"
sleep 0.4
touch "$T/stop"
wait "$C1" "$C2"
cat "$T/client1" "$T/client2" > "$T/answers"
n=$(wc -l < "$T/answers")
check "$n" '>=' 20 "requests made under reloads"
bad=$(awk -F'\t' '$1 != 200' "$T/answers" | wc -l)
[ "$bad" -eq 0 ] || { head -3 "$T/answers" >&2; fail "$bad of $n :recommend requests failed under reloads"; }
cut -f2 "$T/answers" | jq -c -r '[.model.version, ([.items[].index] | tostring)] | join(" ")' > "$T/got"
bad=$(awk -v va="$va" -v vb="$vb" -v ta="$(cat "$T/truth.fm")" -v tb="$(cat "$T/truth.fm_b")" \
    '!(($1 == va && $2 == ta) || ($1 == vb && $2 == tb))' "$T/got" | wc -l)
[ "$bad" -eq 0 ] || { head -3 "$T/got" >&2; fail "$bad answers are not their version's"; }
ok "$n :recommend requests under 2 reloads: all 200, each its version's answer"
stop_server
ok "all serve/rank checks passed"
