#!/usr/bin/env bash
# bench/recommend_serve.sh: POST :recommend (kind mf, k = 10, exclude_seen) under wrk on loopback,
# on generated models of 10,000 users x ITEMS items at rank 64 (bench/gen-mf-model.c: clustered
# factors, as trained ones are, written through the library). For each catalogue size:
#   0. in process (bench/recommend_micro.c, no HTTP): CPU time per request of each index on one
#      thread, recall@10 against the exact scan, build time and memory of the index
#   1. recall@10 of the IVF and HNSW indexes against the exact scan over 1,000 users (gannet
#      recommend --index ivf|hnsw vs --index exact), and the CLI's time for each
#   2. peak requests/s of `gannet serve --threads 2` (INDEXES, default "hnsw ivf"; at 100k also
#      the exact scan)
#   3. p50/p99 at about half of the peak (wrk's delay() hook: each connection pauses PAUSE_MS
#      after every answer; the connection count is calibrated to reach half the peak)
# Goals (issue 15): 100k items: p99 < 2 ms at half peak and >= 5,000 req/s on 2 cores;
# 1M items: recall@10 >= 0.95 and p99 < 5 ms.
# Env: SIZES (default "100000 1000000"), DURATION (s per wrk run, default 8), CONNS (default 16),
#      PAUSE_MS (default 1), INDEXES (default "hnsw ivf"), SERVE_ONLY (1: skip steps 0 and 1),
#      READY_S (seconds to wait for a load with its index build, default 1200), GANNET,
#      BENCH_DATA (default /tmp/gn-recbench).
BENCH_DATA=${BENCH_DATA:-/tmp/gn-recbench}
. "$(dirname "$0")/common.sh"
SIZES=${SIZES:-"100000 1000000"}
DURATION=${DURATION:-8}
CONNS=${CONNS:-16}
PAUSE_MS=${PAUSE_MS:-1}
INDEXES=${INDEXES:-"hnsw ivf"}
SERVE_ONLY=${SERVE_ONLY:-0}
READY_S=${READY_S:-1200}
command -v wrk >/dev/null || { echo "needs wrk (scripts/install-deps --bench)" >&2; exit 1; }
build_gannet
W=$(mktemp -d /tmp/gn-bench-rec.XXXXXX)
GPID=""
cleanup() { [ -n "$GPID" ] && kill -TERM "$GPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

# the generator links the library's internals: libgannet.a and its dependencies
GEN=$BENCH_DATA/gen-mf-model MICRO=$BENCH_DATA/recommend-micro
libs="$(pkg-config --libs openblas lapacke libzstd libxxhash jansson libmicrohttpd yaml-0.1 zlib)"
mpi="$(pkg-config --libs ompi-c 2>/dev/null || true)"
for pair in "$GEN:gen-mf-model" "$MICRO:recommend_micro"; do
    exe=${pair%%:*} src=$GN_SRC/bench/${pair#*:}.c
    if [ ! -x "$exe" ] || [ "$src" -nt "$exe" ] || [ "$GN_SRC/build/lib/libgannet.a" -nt "$exe" ]; then
        cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$GN_SRC/include" -I"$GN_SRC/src" -o "$exe" "$src" \
            "$GN_SRC/build/lib/libgannet.a" $libs $mpi -lm -lpthread
    fi
done
awk 'BEGIN { srand(3); for (i = 0; i < 1000; i++) printf "u%d\n", int(rand() * 10000) }' > "$W/users.txt"
cat > "$W/rec.lua" <<'LUA'
math.randomseed(7)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
    return wrk.format(nil, nil, nil, '{"user":"u' .. math.random(0, 9999) .. '","k":10,"exclude_seen":true}')
end
LUA
{ cat "$W/rec.lua"; echo "function delay() return $PAUSE_MS end"; } > "$W/half.lua"

# the server's CPU seconds (user + system) from /proc: on a shared box steadier than wall clock
TCK=$(getconf CLK_TCK)
cpu_s() { awk -v t="$TCK" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$GPID/stat"; }
# the server's page faults (minor + major) and involuntary context switches (preemptions) over
# all its threads: where a tail comes from the scheduler or the memory rather than the work
faults() { awk '{ print $10 + $12 }' "/proc/$GPID/stat"; }
preempt() { cat /proc/"$GPID"/task/*/status 2>/dev/null | awk '/^nonvoluntary_ctxt_switches/ { s += $2 } END { print s + 0 }'; }
rps() { awk '/^Requests\/sec:/ { print $2 }' "$W/$1.wrk"; }
pct() { awk -v p="$2%" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
                      else if (v ~ /ms$/) sub(/ms$/, "", v); else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
                      printf "%.3f", v }' "$W/$1.wrk"; }
run_wrk() { local name=$1; shift; wrk --latency -t 2 --timeout 5s "$@" > "$W/$name.wrk" 2>&1
    grep -q 'Non-2xx\|Socket errors' "$W/$name.wrk" && { echo "warning: $name had errors" >&2; grep 'Non-2xx\|Socket errors' "$W/$name.wrk" >&2; }
    return 0; }
serve_bench() { # MODEL INDEX LABEL
    local port=$((20000 + RANDOM % 20000)) url
    "$GANNET" serve -m "r=$1" --port "$port" --threads 2 --index "$2" 2> "$W/serve.log" &
    GPID=$!
    for _ in $(seq $((READY_S * 5))); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.2; done
    url="http://127.0.0.1:$port/v1/models/r:recommend"
    curl -sf -H 'Content-Type: application/json' -d '{"user":"u1","k":10}' "$url" > /dev/null || { cat "$W/serve.log" >&2; exit 1; }
    grep -o '\(IVF\|HNSW\) index: [^)]*' "$W/serve.log" || true
    local G C2 c0 c1
    c0=$(cpu_s)
    run_wrk peak -c "$CONNS" -d "${DURATION}s" -s "$W/rec.lua" "$url"
    c1=$(cpu_s)
    G=$(rps peak)
    C2=$(awk -v g="$G" -v d="$PAUSE_MS" 'BEGIN { c = int(g / 2 * (d + 0.5) / 1000 + 0.5); if (c < 2) c = 2; print c }')
    for _ in 1 2 3 4 5; do
        run_wrk probe -c "$C2" -d 3s -s "$W/half.lua" "$url"
        awk -v r="$(rps probe)" -v g="$G" 'BEGIN { exit !(r >= 0.95 * g / 2) }' && break
        C2=$(awk -v c="$C2" -v r="$(rps probe)" -v g="$G" 'BEGIN { n = int(c * (g / 2) / (r > 1 ? r : 1) + 1); if (n > 4 * c) n = 4 * c; print n }')
    done
    local f0 p0 l0
    f0=$(faults) p0=$(preempt) l0=$(cut -d' ' -f1 /proc/loadavg)
    run_wrk half -c "$C2" -d "${DURATION}s" -s "$W/half.lua" "$url"
    local HALF_NOTE="$(( $(faults) - f0 )) page faults, $(( $(preempt) - p0 )) preemptions of the server's threads, load $l0 -> $(cut -d' ' -f1 /proc/loadavg)"
    echo "$3: peak $G req/s (-c$CONNS; p50 $(pct peak 50) ms, p99 $(pct peak 99) ms;" \
         "$(awk -v r="$G" -v d="$DURATION" -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" 'BEGIN { printf "%.0f", r * d / c }') requests per server CPU-second);" \
         "at half peak $(rps half) req/s (-c$C2, ${PAUSE_MS} ms pause): p50 $(pct half 50) ms, p99 $(pct half 99) ms ($HALF_NOTE)"
    kill -TERM "$GPID"; wait "$GPID" 2>/dev/null || true; GPID=""
}

echo "recommend serve bench: $(nproc) cores shared by server and wrk, server --threads 2, k = 10, exclude_seen"
for n in $SIZES; do
    M=$BENCH_DATA/mf_${n}.model
    [ -s "$M" ] || "$GEN" 10000 "$n" 64 1000 1 "$M"
    echo "== $n items x rank 64, 10,000 users ($(du -mL "$M" | cut -f1) MB model file)"
    echo "machine load: $(uptime | sed 's/.*load/load/')"
    if [ "$SERVE_ONLY" != 1 ]; then
    "$MICRO" "$M" 1000 ivf
    "$MICRO" "$M" 1000 hnsw
    for ix in exact ivf hnsw; do
        t0=$(date +%s.%N)
        "$GANNET" recommend -m "$M" --users "$W/users.txt" -k 10 --exclude-seen --index "$ix" --json > "$W/$ix.json" 2> "$W/$ix.err"
        t1=$(date +%s.%N)
        echo "CLI --index $ix: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s for load + index + 1,000 users $(grep -o '\(IVF\|HNSW\) index.*' "$W/$ix.err" || true)"
    done
    for ix in ivf hnsw; do
        "$PY" - "$W/exact.json" "$W/$ix.json" "$ix" <<'PY'
import json, sys
a = [set(i["item"] for i in json.loads(l)["items"]) for l in open(sys.argv[1])]
b = [set(i["item"] for i in json.loads(l)["items"]) for l in open(sys.argv[2])]
print("recall@10 of the %s index vs the exact scan over %d users: %.4f" % (sys.argv[3].upper(), len(a), sum(len(x & y) for x, y in zip(a, b)) / sum(len(x) for x in a)))
PY
    done
    fi
    for ix in $INDEXES; do serve_bench "$M" "$ix" "serve $n items, $ix index"; done
    [ "$n" -le 100000 ] && serve_bench "$M" exact "serve $n items, exact scan"
    echo "machine load after: $(uptime | sed 's/.*load/load/')"
done
