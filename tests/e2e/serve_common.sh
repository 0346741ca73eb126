# tests/e2e/serve_common.sh: helpers for the test_serve_*.sh tests (sourced; not a test itself).
# Builds on lib.sh. Starts `gannet serve` on a free loopback port (--port 0, port read from its
# log), waits for /readyz, and always kills every server it started when the test exits.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# GANNET_SERVE: another binary for the server only (e.g. a ThreadSanitizer build), while
# training and `gannet predict` use $GANNET.
GANNET_SERVE=${GANNET_SERVE:-$GANNET}
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
command -v jq >/dev/null 2>&1 || skip "jq is not installed"

SERVER_PIDS=""
serve_cleanup() {
    for p in $SERVER_PIDS; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap serve_cleanup EXIT

# A LIBSVM training file: Debian's heart_scale when present, else planted data.
libsvm_data() {
    local hs=/usr/share/doc/liblinear-tools/examples/heart_scale
    if [ -r "$hs" ]; then cp "$hs" "$1"; else gen_planted 300 7 13 > "$1"; fi
}

# A CSV file with a header, numeric and categorical columns (deterministic, awk only).
csv_data() {
    awk -v n="$2" 'BEGIN {
        srand(11); split("paris berlin tokyo lima", city, " "); split("ios android web", dev, " ")
        print "y,age,city,income,device"
        for (i = 0; i < n; i++) {
            age = int(18 + 62 * rand()); c = city[1 + int(4 * rand())]
            inc = sprintf("%.2f", 10 + 190 * rand()); d = dev[1 + int(3 * rand())]
            z = 0.03 * (age - 40) + (c == "paris" ? 1 : -0.5) + 0.01 * (inc - 100) + (d == "ios" ? 0.7 : 0)
            print (z + 2 * rand() - 1 > 0 ? 1 : 0) "," age "," c "," inc "," d
        }
    }' > "$1"
}

# start_server LOG ARGS...: starts gannet serve --port 0 ARGS..., sets SERVER_PID, PORT, BASE;
# waits (at most 20 s) until /readyz answers 200.
start_server() {
    local log=$1; shift
    "$GANNET_SERVE" serve --port 0 "$@" 2>"$log" &
    SERVER_PID=$!
    SERVER_PIDS="$SERVER_PIDS $SERVER_PID"
    SERVER_LOG=$log
    PORT=""
    for _ in $(seq 200); do
        PORT=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$log" 2>/dev/null | head -1 | sed 's/.*:\([0-9]*\)\//\1/')
        [ -n "$PORT" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; fail "server exited at start"; }
        sleep 0.1
    done
    [ -n "$PORT" ] || { cat "$log" >&2; fail "server did not report its port within 20 s"; }
    BASE="http://127.0.0.1:$PORT"
    for _ in $(seq 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/readyz")" = 200 ] && return 0
        sleep 0.1
    done
    cat "$log" >&2
    fail "server not ready within 10 s"
}

# stop_server: SIGTERM, wait at most 20 s, fail unless it exits 0.
stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null || fail "server $SERVER_PID already gone"
    for _ in $(seq 200); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$SERVER_PID" 2>/dev/null && fail "server still running 20 s after SIGTERM"
    local rc=0
    wait "$SERVER_PID" || rc=$?
    [ "$rc" -eq 0 ] || { cat "$SERVER_LOG" >&2; fail "server exited $rc after SIGTERM, expected 0"; }
    ok "SIGTERM: server exited 0"
}

# req OUT METHOD PATH [curl args...]: HTTP request, body to OUT; prints the status code.
req() {
    local out=$1 method=$2 path=$3; shift 3
    curl -s -o "$out" -w '%{http_code}' --max-time 20 -X "$method" "$@" "$BASE$path" || echo "curl-failed-$?"
}

# predictions FILE: one prediction per line from a predict response, as the raw number text the
# server wrote (no reformatting by a JSON tool, so comparisons are to the last printed digit).
predictions() {
    jq -e '.predictions | type == "array"' "$1" >/dev/null || { cat "$1" >&2; fail "$1: no predictions array"; }
    sed -e 's/^.*"predictions":\[//' -e 's/\].*$//' "$1" | tr ',' '\n' | grep -v '^$'
}

# metric NAME_WITH_LABELS: the value of one Prometheus sample (empty if absent).
metric() {
    curl -s --max-time 10 "$BASE/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}

# huge_model FILE [LOG2]: a sparse file of 4 x 2^LOG2 bytes (LOG2 default 30: 4 GiB) that looks
# like a model until its checksum: a valid fixed header (format 1, dense, 2^LOG2 weights, the
# 2-byte header "{}") and zeros to the length that header implies. A loader must read all of it
# to find out, unless it gives up at a deadline.
huge_model() {
    local n=$(( 1 << ${2:-30} )) i le=""
    for i in 0 1 2 3 4 5 6 7; do le="$le$(printf '\\x%02x' $(( (n >> (8 * i)) & 255 )))"; done
    printf "GANNETMD\\x01\\0\\0\\0\\x04\\x03\\x02\\x01\\0\\0\\0\\0\\x02\\0\\0\\0$le$le{}" > "$1"
    truncate -s $(( 42 + 4 * n + 8 )) "$1"
}

# timed_req OUT METHOD PATH [curl args...]: like req, with the status in CODE and the time it
# took in ELAPSED (seconds, 1 decimal).
timed_req() {
    local t0 t1
    t0=$(date +%s.%N)
    CODE=$(req "$@")
    t1=$(date +%s.%N)
    ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
}

# Load under which a test changes things: two clients send predict requests of one row each, in
# batches of 25 over one keep-alive connection (one curl per batch), until $T/stop exists or
# LOAD_BATCHES batches (default 80). Each request gives "code version row prediction" in
# $T/client1 and $T/client2 ("none - row -" when curl stopped before it).
# load_client ID MODEL ROWS
load_client() {
    local id=$1 model=$2 rows=$3 it=0 n
    n=$(wc -l < "$rows")
    : > "$T/client$id"
    while [ ! -e "$T/stop" ] && [ $it -lt "${LOAD_BATCHES:-80}" ]; do
        it=$((it + 1))
        awk -v it=$it -v id="$id" -v n="$n" -v url="$BASE/v1/models/$model:predict" -v rows="$T/rows$id" '
            { line[NR] = $0 }
            END { for (k = 1; k <= 25; k++) {
                    r = (it * 31 + k * 7 + id) % n + 1
                    print r > rows
                    printf "url = \"%s\"\nheader = \"Content-Type: text/plain\"\n", url
                    printf "data-binary = \"%s\"\nwrite-out = \"%%{http_code}\\n\"\n", line[r]
                    if (k < 25) print "next"
                } }' "$rows" > "$T/cfg$id"
        curl -s --max-time 20 -K "$T/cfg$id" > "$T/out$id" 2>/dev/null
        awk 'NR == FNR { row[NR] = $1; next }
             /^[{]/ { body = $0; next }
             /^[0-9][0-9][0-9]$/ { i++; v = "-"; p = "-"
                 if (match(body, /"version":"[0-9a-f]+"/)) v = substr(body, RSTART + 11, RLENGTH - 12)
                 if (match(body, /"predictions":\[[^]]*\]/)) p = substr(body, RSTART + 15, RLENGTH - 16)
                 print $0, v, row[i], p; body = "" }
             END { for (j = i + 1; j <= 25; j++) print "none - " row[j] " -" }' "$T/rows$id" "$T/out$id" >> "$T/client$id"
    done
}
# start_load MODEL ROWS: starts the two clients in the background.
start_load() { rm -f "$T/stop"; load_client 1 "$1" "$2" & LOAD1=$!; load_client 2 "$1" "$2" & LOAD2=$!; sleep 0.5; }
# stop_load DESC TRUTH: stops the clients and checks every answer: status 200 and the prediction
# TRUTH gives for its version and row (TRUTH lines: "version row prediction"). The versions
# answered go to $T/versions, one per line.
stop_load() {
    sleep 0.5
    touch "$T/stop"
    wait "$LOAD1" "$LOAD2"
    cat "$T/client1" "$T/client2" > "$T/answers"
    local n bad
    n=$(wc -l < "$T/answers")
    check "$n" '>=' 20 "requests made under load ($1)"
    bad=$(awk '$1 != 200' "$T/answers" | wc -l)
    [ "$bad" -eq 0 ] || { awk '$1 != 200' "$T/answers" | head >&2; fail "$bad of $n requests failed under load ($1)"; }
    bad=$(awk 'NR == FNR { t[$1 " " $2] = $3; next } !(($2 " " $3) in t) || t[$2 " " $3] != $4' "$2" "$T/answers" | wc -l)
    [ "$bad" -eq 0 ] || fail "$bad answers do not match gannet predict for their version ($1)"
    ok "$n requests under load, all 200 and all equal to gannet predict of their version ($1)"
    cut -d' ' -f2 "$T/answers" | sort -u > "$T/versions"
}
