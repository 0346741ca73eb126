#!/usr/bin/env bash
# bench/rank_serve.sh: ranking posted candidates with a feature model (issue 15: FM/FFM
# :recommend) against scoring them through :predict, over loopback with wrk. An fm (rank 8) and
# an ffm (rank 4) model trained on generated CTR-like CSV rows (context: user, hour, device,
# city; candidate: item, cat, brand). Per model, candidates scored per second (median of REPS
# wrk runs of DURATION s, -t2 -c4, server --threads 2) by:
#   rank    POST :recommend, one context + 1,000 candidates, k = 10 (one request ranks 1,000)
#   batch   POST :predict with the 1,000 merged instances in one body (the client sorts)
#   single  POST :predict with one merged instance per request (1,000 requests per ranking)
# and the ratios rank/single and rank/batch, by wall clock and per server CPU-second (steadier on
# a shared machine). The server and wrk share the machine's cores.
# Env: REPS (default 3), DURATION (default 5), GANNET, BENCH_DATA (default /tmp/gn-rankbench).
BENCH_DATA=${BENCH_DATA:-/tmp/gn-rankbench}
. "$(dirname "$0")/common.sh"
REPS=${REPS:-3}
DURATION=${DURATION:-5}
command -v wrk >/dev/null || { echo "needs wrk (scripts/install-deps --bench)" >&2; exit 1; }
command -v jq >/dev/null || { echo "needs jq" >&2; exit 1; }
build_gannet
W=$(mktemp -d /tmp/gn-bench-rank.XXXXXX)
GPID=""
cleanup() { [ -n "$GPID" ] && kill -TERM "$GPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

D=$BENCH_DATA/ctr.csv
if [ ! -s "$D" ]; then
    awk 'BEGIN { srand(5); print "y,user,hour,device,city,item,cat,brand"
        for (i = 0; i < 20000; i++) {
            u = int(2000 * rand()); h = int(24 * rand()); d = int(3 * rand()); c = int(50 * rand())
            it = int(5000 * rand()); k = it % 40; b = it % 300
            z = ((u % 7) == (k % 7) ? 1.5 : -1) + (h < 12 ? 0.3 : -0.3) + (d == b % 3 ? 0.4 : 0)
            print (z + 2 * rand() - 1 > 0 ? 1 : 0) ",u" u "," h ",d" d ",c" c ",it" it ",k" k ",b" b } }' > "$D.tmp" &&
        mv "$D.tmp" "$D"
fi
for kind in fm ffm; do
    M=$BENCH_DATA/$kind.model
    rank=8; [ "$kind" = ffm ] && rank=4
    [ -s "$M" ] || "$GANNET" train -d "$D" --label y --kind "$kind" --rank "$rank" -b 18 -m "$M" --quiet
done

# the bodies: 1,000 candidates (items 0..999 with their cat and brand) and one context
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "{\"item\":\"it%d\",\"cat\":\"k%d\",\"brand\":\"b%d\"}\n", i, i % 40, i % 300 }' \
    > "$W/cands.jsonl"
ctx='{"user":"u17","hour":9,"device":"d1","city":"c4"}'
jq -s -c --argjson c "$ctx" '{context: $c, candidates: ., k: 10}' "$W/cands.jsonl" > "$W/rank.json"
jq -s -c --argjson c "$ctx" '{instances: [.[] | $c + .]}' "$W/cands.jsonl" > "$W/batch.json"
jq -c --argjson c "$ctx" '{instances: [$c + .]}' "$W/cands.jsonl" > "$W/single.jsonl"
body_lua() { # body_lua FILE: a wrk script POSTing FILE's text
    printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
    printf 'local f = io.open("%s"); wrk.body = f:read("*a"); f:close()\n' "$1"
}
body_lua "$W/rank.json" > "$W/rank.lua"
body_lua "$W/batch.json" > "$W/batch.lua"
cat > "$W/single.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {}
for l in io.lines("$W/single.jsonl") do bodies[#bodies + 1] = l end
local i = 0
request = function()
    i = i % #bodies + 1
    return wrk.format(nil, nil, nil, bodies[i])
end
LUA
rps() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
reqs() { awk '/requests in/ { print $1 }' "$1"; }
# the server's CPU seconds (user + system) from /proc: on a shared box steadier than wall clock
TCK=$(getconf CLK_TCK)
cpu_s() { awk -v t="$TCK" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$GPID/stat"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "rank serve bench: $(nproc) cores shared by server and wrk; server --threads 2; wrk -t2 -c4 ${DURATION}s x $REPS"
echo "load: $(uptime)"
for kind in fm ffm; do
    port=$((20000 + RANDOM % 20000))
    "$GANNET" serve -m "$kind=$BENCH_DATA/$kind.model" --port "$port" --threads 2 2> "$W/serve.log" &
    GPID=$!
    for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
    base="http://127.0.0.1:$port/v1/models/$kind"
    # the same top 10 both ways, once (a benchmark of wrong answers would be worthless)
    curl -sf -H 'Content-Type: application/json' --data-binary @"$W/rank.json" "$base:recommend" > "$W/r.json"
    curl -sf -H 'Content-Type: application/json' --data-binary @"$W/batch.json" "$base:predict" > "$W/p.json"
    [ "$(jq -c '[.items[].index]' "$W/r.json")" = \
      "$(jq -c '[.predictions | to_entries | sort_by(-.value, .key)[:10][].key]' "$W/p.json")" ] ||
        { echo "$kind: :recommend's top 10 differs from sorting :predict" >&2; exit 1; }
    for mode in rank batch single; do
        path=$base:recommend; [ "$mode" = rank ] || path=$base:predict
        : > "$W/$mode.rps"
        : > "$W/$mode.cpu"
        per=1000; [ "$mode" = single ] && per=1
        for _ in $(seq "$REPS"); do
            c0=$(cpu_s)
            wrk -t2 -c4 -d "${DURATION}s" --timeout 10s -s "$W/$mode.lua" "$path" > "$W/$mode.wrk" 2>&1
            c1=$(cpu_s)
            grep -q 'Non-2xx\|Socket errors' "$W/$mode.wrk" && { echo "$kind $mode: errors" >&2; cat "$W/$mode.wrk" >&2; exit 1; }
            rps "$W/$mode.wrk" >> "$W/$mode.rps"
            # candidates scored per server CPU-second
            awk -v n="$(reqs "$W/$mode.wrk")" -v p=$per -v a="$c0" -v b="$c1" 'BEGIN { printf "%.0f\n", n * p / (b - a) }' >> "$W/$mode.cpu"
        done
        eval "cps_$mode=$(median < "$W/$mode.rps" | awk -v p=$per '{ printf "%.0f", $1 * p }')"
        eval "cpu_$mode=$(median < "$W/$mode.cpu")"
        echo "$kind $mode: $(tr '\n' ' ' < "$W/$mode.rps")req/s -> median $(eval echo "\$cps_$mode") candidates/s;" \
             "per server CPU-second: $(tr '\n' ' ' < "$W/$mode.cpu")-> median $(eval echo "\$cpu_$mode")"
    done
    echo "$kind: wall clock: rank/single $(awk -v a="$cps_rank" -v b="$cps_single" 'BEGIN { printf "%.1f", a / b }')x," \
         "rank/batch $(awk -v a="$cps_rank" -v b="$cps_batch" 'BEGIN { printf "%.2f", a / b }')x" \
         "($(awk -v a="$cps_rank" 'BEGIN { printf "%.0f", a / 1000 }') rankings of 1,000 candidates/s);" \
         "server CPU: rank/single $(awk -v a="$cpu_rank" -v b="$cpu_single" 'BEGIN { printf "%.1f", a / b }')x," \
         "rank/batch $(awk -v a="$cpu_rank" -v b="$cpu_batch" 'BEGIN { printf "%.2f", a / b }')x"
    kill -TERM "$GPID"; wait "$GPID" 2>/dev/null || true; GPID=""
done
echo "load after: $(uptime)"
