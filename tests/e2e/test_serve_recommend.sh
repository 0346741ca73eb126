#!/usr/bin/env bash
# tests/e2e/test_serve_recommend.sh: the item index of kind mf (IVF) through the CLI and the
# server, on a small generated model: with every list probed the index answers exactly what the
# exact scan answers (CLI --index ivf vs exact; server "nprobe" vs "exact": true); GET
# /v1/models reports the index; and two clients POSTing :recommend while the model file is
# swapped and reloaded (the index rebuilt with it) get only 200s, each equal to the exact answer
# of the version it names.
. "$(dirname "$0")/serve_common.sh"

# users u0..u79 in 4 taste groups over items it0..it199; ratings high inside the group's items
gen() {
    awk -v seed="$1" -v out="$2" 'BEGIN {
        srand(seed); print "user,item,rating" > out
        for (u = 0; u < 80; u++) for (i = 0; i < 200; i++) {
            if (rand() > 0.25) continue
            r = (int(i / 50) == u % 4 ? 4.5 : 1.5) + (rand() - 0.5)
            printf "u%d,it%d,%.3f\n", u, i, r > out
        }
    }'
}
gen 5 "$T/a.csv"
gen 9 "$T/b.csv"
run_ok "$GANNET" train --kind mf --user user --item item --rating rating --rank 6 "$T/a.csv" -m "$T/a.model" --quiet
run_ok "$GANNET" train --kind mf --user user --item item --rating rating --rank 4 "$T/b.csv" -m "$T/b.model" --quiet
run_ok "$GANNET" inspect -m "$T/a.model" --json; va=$(json_get "$T/out" .metadata.version)
run_ok "$GANNET" inspect -m "$T/b.model" --json; vb=$(json_get "$T/out" .metadata.version)
[ "$va" != "$vb" ] || fail "the two models have the same version"
seq 0 79 | sed 's/^/u/' > "$T/users.txt"

# the CLI: IVF with every list probed = the exact scan, scores included
for v in a b; do
    run_ok "$GANNET" recommend -m "$T/$v.model" --users "$T/users.txt" -k 10 --exclude-seen --index exact --json
    mv "$T/out" "$T/$v.exact"
    run_ok "$GANNET" recommend -m "$T/$v.model" --users "$T/users.txt" -k 10 --exclude-seen --index ivf --nlists 8 \
        --nprobe 8 --json
    grep -q "IVF index: 8 lists, nprobe 8" "$T/err" || { cat "$T/err"; fail "recommend --index ivf: no index line"; }
    cmp -s "$T/out" "$T/$v.exact" || fail "model $v: recommend --index ivf with every list probed differs from exact"
    [ "$(wc -l < "$T/out")" = 80 ] || fail "recommend --users: 80 lines expected"
done
# fewer lists probed still answers k items per user, none of them seen
run_ok "$GANNET" recommend -m "$T/a.model" --users "$T/users.txt" -k 10 --exclude-seen --index ivf --nlists 8 \
    --nprobe 2 --json
[ "$(jq -s '[.[] | .items | length] | min' "$T/out")" = 10 ] || fail "nprobe 2: fewer than 10 items for some user"
run "$GANNET" recommend -m "$T/a.model" --user u1 --index annoy
expect_rc 2 "recommend --index annoy"
ok "CLI: IVF with every list probed equals the exact scan; bad --index refused"

# the server: index reported, "nprobe" (all lists) and "exact" agree
replace() { cp "$1" "$T/live.tmp" && mv -f "$T/live.tmp" "$T/live.model"; }
replace "$T/a.model"
start_server "$T/serve.log" -m "recs=$T/live.model" --threads 2 --index ivf --nlists 8
[ "$(req "$T/m" GET /v1/models/recs)" = 200 ] || fail "GET /v1/models/recs"
[ "$(jq -r .index.kind "$T/m")" = ivf ] && [ "$(jq -r .index.lists "$T/m")" = 8 ] &&
    [ "$(jq -r '.index.bytes > 0' "$T/m")" = true ] || { cat "$T/m"; fail "the index is not reported"; }
grep -q "IVF index: 8 lists" "$T/serve.log" || fail "the index is not logged at load"
for u in u0 u1 u2 u3 u17 u42; do
    for body in "{\"user\":\"$u\",\"exclude_seen\":true,\"nprobe\":8}" "{\"user\":\"$u\",\"exclude_seen\":true,\"exact\":true}"; do
        [ "$(req "$T/r" POST /v1/models/recs:recommend -H 'Content-Type: application/json' -d "$body")" = 200 ] ||
            { cat "$T/r"; fail ":recommend $body"; }
        jq -c '.items' "$T/r" >> "$T/pair.$u"
    done
    [ "$(sort -u "$T/pair.$u" | wc -l)" = 1 ] || fail ":recommend for $u: nprobe=all and exact differ"
    [ "$(head -1 "$T/pair.$u")" = "$(grep "\"user\":\"$u\"" "$T/a.exact" | jq -c .items)" ] ||
        fail ":recommend for $u differs from the CLI"
done
code=$(req "$T/r" POST /v1/models/recs:recommend -H 'Content-Type: application/json' -d '{"user":"u1","nprobe":0}')
[ "$code" = 400 ] || fail ":recommend nprobe 0: $code"
code=$(req "$T/r" POST /v1/models/recs:recommend -H 'Content-Type: application/json' -d '{"user":"u1","exact":1}')
[ "$code" = 400 ] || fail ":recommend exact 1: $code"
ok "server: index reported; nprobe=all and exact agree with the CLI; bad nprobe/exact refused"

# truth per version: "version user items-json" from the exact scan
for v in a b; do
    eval "ver=\$v$v"
    jq -c --arg v "$ver" '[$v, .user, (.items | tostring)] | join(" ")' -r "$T/$v.exact" >> "$T/truth"
done
# rec_client ID: batches of 20 :recommend over one connection until $T/stop; "code version user items"
rec_client() {
    local id=$1 it=0
    : > "$T/client$id"
    while [ ! -e "$T/stop" ] && [ $it -lt 60 ]; do
        it=$((it + 1))
        : > "$T/cfg$id"
        : > "$T/users$id"
        for k in $(seq 20); do
            u="u$(( (it * 31 + k * 7 + id) % 80 ))"
            echo "$u" >> "$T/users$id"
            printf 'url = "%s"\nrequest = "POST"\nheader = "Content-Type: application/json"\n' \
                "$BASE/v1/models/recs:recommend" >> "$T/cfg$id"
            printf 'data = "{\\"user\\":\\"%s\\",\\"exclude_seen\\":true,\\"nprobe\\":8}"\n' "$u" >> "$T/cfg$id"
            printf 'write-out = "\\n%%{http_code}\\n"\n' >> "$T/cfg$id"
            [ "$k" -lt 20 ] && echo next >> "$T/cfg$id"
        done
        curl -s --max-time 20 -K "$T/cfg$id" > "$T/out$id" 2>/dev/null
        awk 'NR == FNR { user[NR] = $1; next }
             /^[{]/ { body = $0; next }
             /^[0-9][0-9][0-9]$/ { i++; print $0 "\t" user[i] "\t" body; body = "" }
             END { for (j = i + 1; j <= 20; j++) print "none\t" user[j] "\t-" }' "$T/users$id" "$T/out$id" >> "$T/client$id"
    done
}
rm -f "$T/stop"
rec_client 1 & C1=$!
rec_client 2 & C2=$!
sleep 0.5
replace "$T/b.model"
[ "$(req "$T/r" POST /v1/models/recs:reload)" = 200 ] || { cat "$T/r"; fail "POST :reload"; }
sleep 0.5
replace "$T/a.model"
kill -HUP "$SERVER_PID"
sleep 0.5
replace "$T/b.model"
[ "$(req "$T/r" POST /v1/models/recs:reload)" = 200 ] || fail "POST :reload (2)"
sleep 0.5
touch "$T/stop"
wait "$C1" "$C2"
cat "$T/client1" "$T/client2" > "$T/answers"
n=$(wc -l < "$T/answers")
check "$n" '>=' 40 "requests made under reloads"
bad=$(awk -F'\t' '$1 != 200' "$T/answers" | wc -l)
[ "$bad" -eq 0 ] || { awk -F'\t' '$1 != 200' "$T/answers" | head -3 >&2; fail "$bad of $n :recommend requests failed under reloads"; }
awk -F'\t' '{ print $3 }' "$T/answers" | jq -c -r '[.model.version, (.items | tostring)] | join(" ")' > "$T/vi"
awk -F'\t' '{ print $2 }' "$T/answers" | paste -d' ' - "$T/vi" | awk '{ print $2, $1, $3 }' > "$T/got"
bad=$(awk 'NR == FNR { t[$1 " " $2] = $3; next } !(($1 " " $2) in t) || t[$1 " " $2] != $3' "$T/truth" "$T/got" | wc -l)
[ "$bad" -eq 0 ] || { head -3 "$T/got" >&2; fail "$bad answers differ from the exact scan of their version"; }
cut -d' ' -f1 "$T/got" | sort -u > "$T/versions"
grep -qx "$va" "$T/versions" && grep -qx "$vb" "$T/versions" || fail "clients did not see both versions"
check "$(metric 'gannet_model_reloads_total{model="recs",result="success"}')" == 3 "reloads counted"
ok "$n :recommend requests under 3 reloads: all 200, each the exact answer of its version"
stop_server
ok "all serve/recommend index checks passed"
