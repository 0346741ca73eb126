#!/usr/bin/env bash
# bench/serve.sh: `gannet serve` under wrk on loopback, against nginx serving a small static
# file in the same run (nginx is the HTTP ceiling on this box). Prints:
#   1. single-instance predict throughput (req/s) and its ratio to nginx       (goal >= 0.5)
#   2. p99 latency at about half of gannet's peak throughput                   (goal < 2 ms)
#   3. batched requests of 1,000 instances: predictions/s, JSON and text/plain (goal >= 1e6/s)
#   4. a memory soak at peak load: RSS sampled from /proc every second         (goal: flat)
# Model: --bits 20 logistic, trained on synthetic rows of 50 features (bench/gen-synth.c).
# Env: DURATION (s per wrk run, default 10), SOAK (s, default 300), CONNS (default 64),
#      THREADS (server threads and nginx workers, default nproc), GANNET, BENCH_DATA,
#      SERVER_CPUS / CLIENT_CPUS (taskset CPU lists for gannet+nginx / wrk, e.g. 0 and 1: the
#      client on its own core, as a remote client would be; default: all share all cores),
#      WRK_THREADS (default 2), PAUSE_MS (pause after each answer, per connection, in the
#      half-peak run; default 1).
# Needs wrk and nginx (Debian: apt-get install wrk nginx-light); nginx runs from a config in a
# temp dir. Everything binds 127.0.0.1 and is killed on exit.
. "$(dirname "$0")/common.sh"

DURATION=${DURATION:-10}
SOAK=${SOAK:-300}
CONNS=${CONNS:-64}
THREADS=${THREADS:-$(nproc)}
WRK_THREADS=${WRK_THREADS:-2}
SRV=(); CLI=()
[ -n "${SERVER_CPUS:-}" ] && SRV=(taskset -c "$SERVER_CPUS")
[ -n "${CLIENT_CPUS:-}" ] && CLI=(taskset -c "$CLIENT_CPUS")

for tool in wrk nginx curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "installing $tool" >&2
        apt-get install -y -qq wrk nginx-light curl >/dev/null
    fi
done
NGINX=$(command -v nginx)

build_gannet
W=$(mktemp -d /tmp/gn-bench-serve.XXXXXX)
chmod 755 "$W"
PIDS=""
cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$W"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}

# ---- data and model
synth "$BENCH_DATA/serve_train.libsvm" 50000 50 1000000 11
synth "$BENCH_DATA/serve_rows.libsvm" 1000 50 1000000 12
"$GANNET" train -d "$BENCH_DATA/serve_train.libsvm" -m "$W/m.model" --bits 20 --quiet >/dev/null 2>&1
to_json() { # LIBSVM rows -> {"instances":[{"idx":val,...},...]}
    awk '{ printf "%s{", (NR > 1 ? "," : "");
           for (i = 2; i <= NF; i++) { split($i, kv, ":"); printf "%s\"%s\":%s", (i > 2 ? "," : ""), kv[1], kv[2] }
           printf "}" } BEGIN { printf "{\"instances\":[" } END { print "]}" }'
}
head -1 "$BENCH_DATA/serve_rows.libsvm" | to_json > "$W/one.json"
to_json < "$BENCH_DATA/serve_rows.libsvm" > "$W/batch.json"
cp "$BENCH_DATA/serve_rows.libsvm" "$W/batch.txt"

lua_post() { # FILE CONTENT_TYPE [DELAY_MS] -> lua script on stdout
    cat <<EOF
local f = assert(io.open("$1", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "$2"
EOF
    [ -n "${3:-}" ] && echo "function delay() return $3 end"
    # a status other than 200 counts as an error in wrk's summary ("Non-2xx")
    return 0
}
lua_post "$W/one.json" application/json > "$W/one.lua"
lua_post "$W/batch.json" application/json > "$W/batch.lua"
lua_post "$W/batch.txt" text/plain > "$W/batchtxt.lua"

# ---- servers
GPORT=$(free_port)
"${SRV[@]}" "$GANNET" serve -m "m=$W/m.model" --port "$GPORT" --threads "$THREADS" --quiet 2>"$W/serve.log" &
GPID=$!
PIDS="$PIDS $GPID"
NPORT=$(free_port)
mkdir -p "$W/www" "$W/tmp"
printf '{"predictions":[0.5],"model":{"name":"m","version":"0000000000000000"}}\n' > "$W/www/static.json"
chmod -R a+rX "$W/www"
cat > "$W/nginx.conf" <<EOF
worker_processes $THREADS;
daemon off;
user root;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $W/tmp;
    proxy_temp_path $W/tmp;
    fastcgi_temp_path $W/tmp;
    uwsgi_temp_path $W/tmp;
    scgi_temp_path $W/tmp;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$NPORT; root $W/www; }
}
EOF
"${SRV[@]}" "$NGINX" -c "$W/nginx.conf" -p "$W" &
NPID=$!
PIDS="$PIDS $NPID"
for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$GPORT/readyz" && curl -sf -o /dev/null "http://127.0.0.1:$NPORT/static.json" && break
    sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$GPORT/readyz" || { cat "$W/serve.log" >&2; echo "gannet serve did not start" >&2; exit 1; }
curl -sf -o /dev/null "http://127.0.0.1:$NPORT/static.json" || { cat "$W/nginx-error.log" >&2; echo "nginx did not start" >&2; exit 1; }
# sanity: the single-instance body predicts
curl -sf -H 'Content-Type: application/json' --data-binary "@$W/one.json" "http://127.0.0.1:$GPORT/v1/models/m:predict" >/dev/null ||
    { echo "predict request failed" >&2; exit 1; }

# Server CPU time (user + system, seconds) from /proc: on a shared box, work per CPU-second is
# steadier than wall-clock throughput.
TCK=$(getconf CLK_TCK)
cpu_s() { awk -v t="$TCK" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$GPID/stat"; }
# run_wrk NAME ARGS...: runs wrk --latency, saves its output in $W/NAME.wrk and the server's CPU
# seconds during the run in $W/NAME.cpu
run_wrk() {
    local name=$1; shift
    local c0
    c0=$(cpu_s)
    "${CLI[@]}" wrk --latency -t "$WRK_THREADS" -d "${DURATION}s" --timeout 5s "$@" > "$W/$name.wrk" 2>&1
    awk -v a="$c0" -v b="$(cpu_s)" 'BEGIN { printf "%.3f", b - a }' > "$W/$name.cpu"
    if grep -q 'Non-2xx\|Socket errors' "$W/$name.wrk"; then
        echo "warning: $name had errors:" >&2
        grep 'Non-2xx\|Socket errors' "$W/$name.wrk" >&2
    fi
}
rps() { awk '/^Requests\/sec:/ { print $2 }' "$W/$1.wrk"; }
pct() { # NAME PCT -> latency in ms
    awk -v p="$2%" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
                      else if (v ~ /ms$/) sub(/ms$/, "", v); else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
                      printf "%.3f", v }' "$W/$1.wrk"
}
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
# per_cpu NAME ITEMS_PER_REQUEST: items served per server CPU-second in run NAME
per_cpu() {
    awk -v r="$(rps "$1")" -v d="$DURATION" -v c="$(cat "$W/$1.cpu")" -v k="$2" \
        'BEGIN { if (c > 0) printf "%.0f", r * d * k / c; else print "n/a" }'
}

echo "gannet serve bench: $(nproc) cores, server threads $THREADS, wrk -t$WRK_THREADS -c$CONNS, ${DURATION}s per run;" \
     "server CPUs ${SERVER_CPUS:-all}, client CPUs ${CLIENT_CPUS:-all}"

# ---- 1. throughput vs nginx (3 alternating runs each; medians)
g=(); n=()
for i in 1 2 3; do
    run_wrk "nginx$i" -c "$CONNS" "http://127.0.0.1:$NPORT/static.json"; n+=("$(rps "nginx$i")")
    run_wrk "one$i" -c "$CONNS" -s "$W/one.lua" "http://127.0.0.1:$GPORT/v1/models/m:predict"; g+=("$(rps "one$i")")
done
G=$(median3 "${g[@]}"); N=$(median3 "${n[@]}")
echo "single-instance predict: ${G} req/s (runs ${g[*]}); nginx static: ${N} req/s (runs ${n[*]})"
echo "ratio gannet/nginx: $(awk -v a="$G" -v b="$N" 'BEGIN { printf "%.3f", a / b }')   (goal >= 0.5)"
echo "latency at peak (-c$CONNS): p50 $(pct one2 50) ms, p99 $(pct one2 99) ms; $(per_cpu one2 1) requests per server CPU-second"

# ---- 2. p99 at about half of the peak. Debian's wrk has no -R (fixed rate), so the rate is set
# with wrk's delay() hook: each connection pauses PAUSE_MS after every answer, and the connection
# count is chosen so that C2 / (PAUSE_MS + ~0.3 ms) is about G/2. A short pause keeps the
# connection count low: with a 4 ms pause it takes hundreds of connections, and the client's own
# timer work then shows up in the measured latency (p99 above that of the peak run).
D=${PAUSE_MS:-1}
C2=$(awk -v g="$G" -v d="$D" 'BEGIN { c = int(g / 2 * (d + 0.3) / 1000 + 0.5); if (c < 2) c = 2; print c }')
lua_post "$W/one.json" application/json "$D" > "$W/half.lua"
# calibrate: more connections (short probes) until the rate reaches the target
for _ in 1 2 3 4 5 6; do
    DURATION=3 run_wrk halfprobe -c "$C2" -s "$W/half.lua" "http://127.0.0.1:$GPORT/v1/models/m:predict"
    awk -v r="$(rps halfprobe)" -v g="$G" 'BEGIN { exit !(r >= 0.97 * g / 2) }' && break
    C2=$(awk -v c="$C2" -v r="$(rps halfprobe)" -v g="$G" 'BEGIN { n = int(c * (g / 2) / (r > 1 ? r : 1) + 1); if (n > 4 * c) n = 4 * c; print n }')
done
run_wrk half -c "$C2" -s "$W/half.lua" "http://127.0.0.1:$GPORT/v1/models/m:predict"
echo "at half peak: target $(awk -v g="$G" 'BEGIN { printf "%.0f", g / 2 }') req/s (-c$C2, ${D} ms pause per connection), achieved $(rps half) req/s;" \
     "p50 $(pct half 50) ms, p90 $(pct half 90) ms, p99 $(pct half 99) ms   (goal p99 < 2 ms)"
# the same load level from a few connections sending back to back (no client timers)
C3=""
for c in 1 2 3 4 6 8 12 16; do
    DURATION=3 WRK_THREADS=$((c < WRK_THREADS ? c : WRK_THREADS)) run_wrk "probe$c" -c "$c" -s "$W/one.lua" "http://127.0.0.1:$GPORT/v1/models/m:predict"
    if awk -v r="$(rps "probe$c")" -v h="$G" 'BEGIN { exit !(r >= h / 2) }'; then C3=$c; break; fi
done
if [ -n "$C3" ]; then
    WRK_THREADS=$((C3 < WRK_THREADS ? C3 : WRK_THREADS)) run_wrk closed -c "$C3" -s "$W/one.lua" "http://127.0.0.1:$GPORT/v1/models/m:predict"
    echo "back to back from $C3 connections (the fewest that reach half the peak): $(rps closed) req/s;" \
         "p50 $(pct closed 50) ms, p90 $(pct closed 90) ms, p99 $(pct closed 99) ms"
fi

# ---- 3. batched: 1,000 instances per request
run_wrk batch -c 8 -s "$W/batch.lua" "http://127.0.0.1:$GPORT/v1/models/m:predict"
run_wrk batchtxt -c 8 -s "$W/batchtxt.lua" "http://127.0.0.1:$GPORT/v1/models/m:predict"
echo "batch of 1000 (JSON objects, 50 features each): $(rps batch) req/s = $(awk -v r="$(rps batch)" 'BEGIN { printf "%.0f", r * 1000 }') predictions/s; p99 $(pct batch 99) ms; $(per_cpu batch 1000) predictions per server CPU-second"
echo "batch of 1000 (text/plain LIBSVM lines):        $(rps batchtxt) req/s = $(awk -v r="$(rps batchtxt)" 'BEGIN { printf "%.0f", r * 1000 }') predictions/s; p99 $(pct batchtxt 99) ms; $(per_cpu batchtxt 1000) predictions per server CPU-second   (goal >= 1e6/s)"

# ---- 4. memory soak at peak load
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$GPID/status"; }
echo "soak: ${SOAK}s of single-instance predicts at -c$CONNS, RSS sampled every second"
rss0=$(rss)
"${CLI[@]}" wrk -t "$WRK_THREADS" -c "$CONNS" -d "${SOAK}s" --timeout 5s -s "$W/one.lua" "http://127.0.0.1:$GPORT/v1/models/m:predict" > "$W/soak.wrk" 2>&1 &
WRKPID=$!
: > "$W/rss"
while kill -0 "$WRKPID" 2>/dev/null; do rss >> "$W/rss"; sleep 1; done
wait "$WRKPID" || true
rss1=$(rss)
n=$(wc -l < "$W/rss")
q=$(( n / 4 > 0 ? n / 4 : 1 ))
early=$(head -n "$q" "$W/rss" | sort -n | tail -1)
late=$(tail -n "$q" "$W/rss" | sort -n | tail -1)
max=$(sort -n "$W/rss" | tail -1)
echo "soak: $(rps soak) req/s; RSS before ${rss0} kB, max of first quarter ${early} kB, max of last quarter ${late} kB," \
     "max ${max} kB, after ${rss1} kB; growth first->last quarter $(awk -v a="$early" -v b="$late" 'BEGIN { printf "%+.1f%%", (b - a) * 100 / a }')"
curl -s "http://127.0.0.1:$GPORT/metrics" | grep -E '^gannet_http_requests_total\{code="(200|500)"\}'
