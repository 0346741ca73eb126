#!/usr/bin/env bash
# tests/e2e/test_serve_rank_lines.sh: POST :recommend with the context and the candidates as TEXT
# LINES (gn_model_rank_lines, docs/recommend.md) for models whose features only text lines
# express, over loopback: an ffm trained on libffm lines, an fm trained on VW namespaces, and a
# linear VW model with --quadratic ui (its candidates are scored as whole joined lines). For each, the ranking is
# the order of the :predict scores of the joined lines `context candidate`, with the same scores;
# k is respected; the batch form ("contexts") answers as single requests; `gannet recommend
# --lines` answers as the server; bad lines (a label, an unknown field, an empty line, a
# candidate object beside a text-line context, a CSV model) get 400 with a clear message.
. "$(dirname "$0")/serve_common.sh"

# y, user (40), hour (24), item (60), category: y likes items whose id matches the user mod 3
awk 'BEGIN { srand(5)
    for (i = 0; i < 2500; i++) { u = int(40 * rand()); h = int(24 * rand()); it = int(60 * rand()); c = it % 5
        z = ((u % 3) == (it % 3) ? 1.5 : -1) + (h < 12 ? 0.3 : -0.3) + (c == 2 ? 0.5 : 0)
        print (z + 2 * rand() - 1 > 0 ? 1 : 0), u, h, it, c } }' > "$T/raw"
awk '{ print $1 " 0:" $2 ":1 1:" 100 + $3 ":1 2:" 200 + $4 ":1 3:" 300 + $5 ":1" }' "$T/raw" > "$T/train.ffm"
awk '{ print ($1 ? 1 : -1) " |u u" $2 " |h h" $3 " |i it" $4 " |c c" $5 }' "$T/raw" > "$T/train.vw"
run_ok "$GANNET" train -d "$T/train.ffm" --format libffm --fields 4 -b 14 --kind ffm --rank 2 -m "$T/ffm.model" --quiet
run_ok "$GANNET" train -d "$T/train.vw" --format vw -b 14 --kind fm --rank 3 -m "$T/fm.model" --quiet
run_ok "$GANNET" train -d "$T/train.vw" --format vw -b 14 --quadratic ui -m "$T/linq.model" --quiet
run_ok "$GANNET" train -d <(awk '{ print $1 "," $2 }' "$T/raw") --no-header --label 1 -m "$T/csv.model" --quiet

# the context (user 4 at hour 7) and the 62 candidates (item + category; 60 + 2 below), in each format
ctx_ffm='0:4:1 1:107:1'
ctx_vw='|u u4 |h h7'
# (the last two repeat a context feature: such a candidate is scored as the joined line, as
# :predict would read the repeat)
seq 0 59 | awk '{ print "2:" 200 + $1 ":1 3:" 300 + $1 % 5 ":1" }' > "$T/cands.ffm"
printf '2:210:1 3:300:1 1:107:1\n2:211:1 0:4:0.5\n' >> "$T/cands.ffm"
seq 0 59 | awk '{ print "|i it" $1 " |c c" $1 % 5 }' > "$T/cands.vw"
printf '|i it10 |c c0 |h h7\n|i it11 |u u4:0.5\n' >> "$T/cands.vw"
NC=62

start_server "$T/serve.log" -m "ffm=$T/ffm.model" -m "fm=$T/fm.model" -m "linq=$T/linq.model" -m "csv=$T/csv.model" \
    --max-batch 100 --threads 2
H=(-H 'Content-Type: application/json')

# rank MODEL BODY OUT: POST :recommend, 200 expected
rank() {
    local code
    code=$(req "$3" POST "/v1/models/$1:recommend" "${H[@]}" -d "$2")
    [ "$code" = 200 ] || { cat "$3" >&2; fail "$1:recommend: $code for $2"; }
}
# bad MODEL BODY REGEX DESC: 400 with an error matching REGEX
bad() {
    local code
    code=$(req "$T/bad" POST "/v1/models/$1:recommend" "${H[@]}" -d "$2")
    [ "$code" = 400 ] || { cat "$T/bad" >&2; fail "$4: status $code, expected 400"; }
    jq -r .error "$T/bad" | grep -Eq -- "$3" || fail "$4: error '$(jq -r .error "$T/bad")' does not match /$3/"
    ok "$4: 400 $(jq -r .error "$T/bad")"
}

for case in "ffm ffm $ctx_ffm" "fm vw $ctx_vw" "linq vw $ctx_vw"; do
    read -r model fmt ctx <<< "$case"
    cands=$(jq -R . "$T/cands.$fmt" | jq -s -c .)
    # :predict of the joined lines, as text lines
    jq -n -c --arg c "$ctx" --argjson d "$cands" '{instances: [$d[] | $c + " " + .]}' > "$T/predict.json"
    [ "$(req "$T/p.$model" POST "/v1/models/$model:predict" "${H[@]}" --data-binary @"$T/predict.json")" = 200 ] ||
        { cat "$T/p.$model"; fail "$model:predict"; }
    body=$(jq -n -c --arg c "$ctx" --argjson d "$cands" '{context: $c, candidates: $d, k: 62}')
    rank "$model" "$body" "$T/r.$model"
    # every candidate once, scores as :predict's (to 1e-6), in non-increasing order, no "item"
    jq -e --slurpfile p "$T/p.$model" '
        ($p[0].predictions) as $pred | .items as $it |
        ($it | length) == $nc and ([$it[].index] | sort) == [range($nc)] and
        all($it[]; (.score - $pred[.index] | fabs) < 1e-6 and (has("item") | not)) and
        all(range(1; $nc); $it[. - 1].score >= $it[.].score)' --argjson nc $NC "$T/r.$model" >/dev/null ||
        { head -c 600 "$T/r.$model" >&2; fail "$model: the ranking is not the order of the :predict scores"; }
    exp=$(jq -c '[.predictions | to_entries | sort_by(-.value, .key)[].key]' "$T/p.$model")
    got=$(jq -c '[.items[].index]' "$T/r.$model")
    [ "$exp" = "$got" ] || fail "$model: order $got, :predict of the joined lines sorted gives $exp"
    # the scores are not all alike (the check above could fail)
    jq -e '[.items[].score] | (max - min) > 0.05' "$T/r.$model" >/dev/null || fail "$model: flat scores"
    # k: the head of the full ranking
    rank "$model" "$(echo "$body" | jq -c '.k = 5')" "$T/k.$model"
    [ "$(jq -c '[.items[].index]' "$T/k.$model")" = "$(jq -c '[.items[:5][].index]' "$T/r.$model")" ] ||
        fail "$model: k=5 is not the head of the full ranking"
    # the batch form: two contexts, each as its single request
    ctx2=$( [ "$fmt" = ffm ] && echo '0:9:1 1:120:1' || echo '|u u9 |h h20')
    rank "$model" "$(jq -n -c --arg c "$ctx2" --argjson d "$cands" '{context: $c, candidates: $d, k: 62}')" "$T/r2.$model"
    rank "$model" "$(jq -n -c --arg a "$ctx" --arg b "$ctx2" --argjson d "$cands" '{contexts: [$a, $b], candidates: $d, k: 62}')" "$T/rb.$model"
    [ "$(jq -c '.results[0].items' "$T/rb.$model")" = "$(jq -c .items "$T/r.$model")" ] &&
        [ "$(jq -c '.results[1].items' "$T/rb.$model")" = "$(jq -c .items "$T/r2.$model")" ] ||
        fail "$model: contexts batch differs from single requests"
    [ "$(jq -c '[.items[].index]' "$T/r2.$model")" != "$got" ] || fail "$model: another context, the same order"
    # the CLI: gannet recommend --lines ranks as the server
    run_ok "$GANNET" recommend -m "$T/$model.model" --context "$ctx" --candidates "$T/cands.$fmt" --lines -k $NC --json
    jq -e --slurpfile s "$T/r.$model" '[.items[].index] == [$s[0].items[].index] and
        all(range($nc) as $i | (.items[$i].score - $s[0].items[$i].score) | fabs < 1e-6; .)' --argjson nc $NC "$T/out" >/dev/null ||
        fail "$model: gannet recommend --lines differs from the server: $(head -c 300 "$T/out")"
    ok "$model ($fmt lines): the ranking is :predict of the joined lines sorted; k, contexts and the CLI agree"
done

# bad lines and bodies: 400 with a clear message, the server stays up
c1=$(jq -R . "$T/cands.ffm" | head -3 | jq -s -c .)
bad ffm "{\"context\":\"1 $ctx_ffm\",\"candidates\":$c1}" "context: the line starts with a label" "a labelled context"
bad ffm "{\"context\":\"$ctx_ffm\",\"candidates\":[\"2:201:1\",\"1 2:202:1\"]}" "candidate 1: the line starts with a label" \
    "a labelled candidate"
bad ffm "{\"context\":\"$ctx_ffm\",\"candidates\":[\"2:201:1\",\"2:x:1\"]}" "candidate 1: " "a candidate that does not parse"
bad ffm "{\"context\":\"$ctx_ffm\",\"candidates\":[\"2:201:1\",\"  \"]}" "candidate 1: an empty line" "an empty candidate"
bad ffm "{\"context\":\"$ctx_ffm\",\"candidates\":[\"2:201:1\",{\"item\":\"it3\"}]}" \
    "candidate 1: with a text-line context each candidate is a text line" "an object beside a text-line context"
bad fm "{\"context\":\"$ctx_vw\",\"candidates\":[\"|i it1\",\"it2\"]}" "candidate 1: .*[|]" "a VW candidate without its namespace"
bad linq "{\"context\":\"$ctx_vw\",\"candidates\":[\"|i it1\",\"it2 c1\"]}" "candidate 1: .*[|]" \
    "a VW candidate without its namespace (interactions)"
bad fm "{\"contexts\":[\"$ctx_vw\",{\"u\":1}],\"candidates\":[\"|i it1\"]}" "all text lines .strings. or all objects" \
    "mixed contexts"
bad ffm "{\"context\":\"$ctx_ffm\",\"candidates\":[\"2:201:1\"],\"item_field\":\"item\"}" "'item_field' does not apply" \
    "item_field with text lines"
bad csv "{\"context\":\"4\",\"candidates\":[\"5\"]}" "need a model trained on libsvm, libfm, libffm or vw lines" "a CSV model"
[ "$(req "$T/h" GET /readyz)" = 200 ] || fail "server not ready after the bad requests"

# the CLI refuses the same with the file's line, and --lines without a context
printf '2:201:1\n1 2:202:1\n' > "$T/badc.ffm"
run "$GANNET" recommend -m "$T/ffm.model" --context "$ctx_ffm" --candidates "$T/badc.ffm" --lines
expect_rc 2 "recommend --lines, a labelled candidate"
expect_err "badc.ffm:2: the line starts with a label" "recommend --lines names the file's line"
run "$GANNET" recommend -m "$T/ffm.model" --user u1 --lines
expect_rc 2 "--lines without --context"
expect_err "--lines goes with --context" "--lines without --context"
run "$GANNET" recommend -m "$T/ffm.model" --context "$ctx_ffm" --candidates "$T/cands.ffm" --lines --item-field x
expect_rc 2 "--lines with --item-field"
ok "CLI errors"
stop_server
