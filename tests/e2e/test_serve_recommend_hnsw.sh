#!/usr/bin/env bash
# tests/e2e/test_serve_recommend_hnsw.sh: the HNSW item index of kind mf through the CLI and the
# server, on a small generated model of 600 items: `recommend --index hnsw` finds most of the
# exact scan's top 10 (recall >= 0.9, most users identical), never a seen item; the server with
# --index hnsw reports and logs the index, finds >= 90% of the exact top 10 with the exact
# scores, answers exactly when "ef" covers the catalogue, refuses a bad "ef", and a reload to
# another model swaps model and graph together (answers checked against that model's scan).
. "$(dirname "$0")/serve_common.sh"

# users u0..u119 in 6 taste groups over items it0..it599
gen() {
    awk -v seed="$1" -v out="$2" 'BEGIN {
        srand(seed); print "user,item,rating" > out
        for (u = 0; u < 120; u++) for (i = 0; i < 600; i++) {
            if (rand() > 0.06) continue
            r = (int(i / 100) == u % 6 ? 4.5 : 1.5) + (rand() - 0.5)
            printf "u%d,it%d,%.3f\n", u, i, r > out
        }
    }'
}
gen 5 "$T/a.csv"
gen 9 "$T/b.csv"
run_ok "$GANNET" train --kind mf --user user --item item --rating rating --rank 8 "$T/a.csv" -m "$T/a.model" --quiet
run_ok "$GANNET" train --kind mf --user user --item item --rating rating --rank 6 "$T/b.csv" -m "$T/b.model" --quiet
run_ok "$GANNET" inspect -m "$T/b.model" --json; vb=$(json_get "$T/out" .metadata.version)
seq 0 119 | sed 's/^/u/' > "$T/users.txt"

# the CLI: recall of the graph against the exact scan; seen items never returned
for v in a b; do
    run_ok "$GANNET" recommend -m "$T/$v.model" --users "$T/users.txt" -k 10 --exclude-seen --index exact --json
    mv "$T/out" "$T/$v.exact"
done
run_ok "$GANNET" recommend -m "$T/a.model" --users "$T/users.txt" -k 10 --exclude-seen --index hnsw --hnsw-m 8 \
    --ef-search 20 --json
grep -q "HNSW index: M 8, ef_construction 100, ef_search 20" "$T/err" || { cat "$T/err"; fail "no HNSW index line"; }
[ "$(wc -l < "$T/out")" = 120 ] || fail "recommend --users: 120 lines expected"
recall=$(jq -s -r --slurpfile e "$T/a.exact" '
    [range(0; length) as $i | ([.[$i].items[].item] - ([.[$i].items[].item] - [$e[$i].items[].item])) | length] | add / 1200' "$T/out")
same=$(jq -s -r --slurpfile e "$T/a.exact" '[range(0; length) as $i | select(.[$i].items == $e[$i].items)] | length' "$T/out")
check "$recall" '>=' 0.9 "recall@10 of --index hnsw (ef 20) against the exact scan"
check "$same" '>=' 80 "users answered exactly as the exact scan (of 120)"
jq -r '.user as $u | .items[] | "\($u),\(.item)"' "$T/out" | sort > "$T/given"
tail -n +2 "$T/a.csv" | cut -d, -f1,2 | sort > "$T/seen"
[ -z "$(comm -12 "$T/given" "$T/seen")" ] || fail "--index hnsw returned a seen item"
run "$GANNET" recommend -m "$T/a.model" --user u1 --index hnsw --hnsw-m 1
expect_rc 2 "recommend --hnsw-m 1"
ok "CLI: --index hnsw recall $recall, $same/120 users identical to the exact scan, no seen item"

# the server: the index reported and logged; a beam over the whole catalogue = the exact scan
replace() { cp "$1" "$T/live.tmp" && mv -f "$T/live.tmp" "$T/live.model"; }
replace "$T/a.model"
start_server "$T/serve.log" -m "recs=$T/live.model" --threads 2 --index hnsw
[ "$(req "$T/m" GET /v1/models/recs)" = 200 ] || fail "GET /v1/models/recs"
[ "$(jq -r .index.kind "$T/m")" = hnsw ] && [ "$(jq -r .index.m "$T/m")" = 16 ] &&
    [ "$(jq -r '.index.bytes > 0' "$T/m")" = true ] || { cat "$T/m"; fail "the index is not reported"; }
grep -q "HNSW index: M 16" "$T/serve.log" || fail "the index is not logged at load"
check_exact() { # MODEL-EXACT-FILE: at the default beam, the answers hold >= 90% of the exact
    # scan's items, scored exactly as it scores them; at ef 600 (the catalogue) they are its answers
    local hits=0 u
    for u in u0 u1 u2 u7 u33 u64 u101 u119; do
        grep "\"user\":\"$u\"" "$1" | jq -c '.items[]' | sort > "$T/want"
        [ "$(req "$T/r" POST /v1/models/recs:recommend -H 'Content-Type: application/json' \
            -d "{\"user\":\"$u\",\"exclude_seen\":true}")" = 200 ] || { cat "$T/r"; fail ":recommend $u"; }
        hits=$((hits + $(jq -c '.items[]' "$T/r" | sort | comm -12 - "$T/want" | wc -l)))
        echo "$(jq -r .model.version "$T/r")" >> "$T/versions"
        [ "$(req "$T/r" POST /v1/models/recs:recommend -H 'Content-Type: application/json' \
            -d "{\"user\":\"$u\",\"exclude_seen\":true,\"ef\":600}")" = 200 ] || { cat "$T/r"; fail ":recommend $u"; }
        [ "$(jq -c .items "$T/r")" = "$(grep "\"user\":\"$u\"" "$1" | jq -c .items)" ] ||
            fail "$u: ef 600 (the whole catalogue) differs from the exact scan"
    done
    check "$hits" '>=' 72 "(item, score) pairs of the exact top 10 found at the default beam, of 80"
}
check_exact "$T/a.exact"
code=$(req "$T/r" POST /v1/models/recs:recommend -H 'Content-Type: application/json' -d '{"user":"u1","ef":0}')
[ "$code" = 400 ] || fail ":recommend ef 0: $code"
ok "server: HNSW index reported; recall and exact scores against the exact scan; bad ef refused"

replace "$T/b.model"
[ "$(req "$T/r" POST /v1/models/recs:reload)" = 200 ] || { cat "$T/r"; fail "POST :reload"; }
: > "$T/versions"
check_exact "$T/b.exact"
[ "$(sort -u "$T/versions")" = "$vb" ] || fail "after the reload the answers do not name the new version"
[ "$(grep -c "HNSW index: M 16" "$T/serve.log")" -ge 2 ] || fail "the reload did not rebuild the graph"
ok "reload: model and graph swapped together (answers checked against the new model's exact scan)"
stop_server
ok "all serve/recommend HNSW checks passed"
