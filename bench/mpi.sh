#!/usr/bin/env bash
# bench/mpi.sh: data-parallel training, 1 rank against 2 ranks (mpirun on this machine, one
# thread per rank): time per online pass (FTRL, model averaging at each pass end), time per L-BFGS
# iteration (loss and gradient all-reduced), and the bytes each all-reduce moves per rank.
# Times per pass / iteration are taken between the first and the last progress report (so reading
# the data and starting MPI are left out); medians of RUNS runs.
# Data: a9a (plain text, so ranks read byte ranges), and bench/data/synth_train.libsvm when it
# already exists (not generated here; SKIP_SYNTH=1 skips it).
#   usage: bench/mpi.sh [RUNS]   (default 3)
#   env:   GANNET, A9A, SKIP_SYNTH
source "$(dirname "$0")/common.sh"
RUNS=${1:-3}
A9A=${A9A:-$GN_SRC/../shared/data/a9a/a9a.gz}
build_gannet
command -v mpirun >/dev/null || { echo "mpirun not installed (apt-get install openmpi-bin libopenmpi-dev)"; exit 1; }
ldd "$GANNET" | grep libmpi >/dev/null || { echo "$GANNET was built without MPI"; exit 1; }
MPIRUN=(mpirun --oversubscribe)
[ "$(id -u)" = 0 ] && MPIRUN+=(--allow-run-as-root)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# per_step LOG: seconds per step between the first and last report of a --log-json file
per_step() {
    $PY -c "
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in r if x['end_of_pass'] and x['pass'] >= 1]
print((r[-1]['seconds'] - r[0]['seconds']) / max(1, r[-1]['pass'] - r[0]['pass']))" "$1"
}

# bench_one NAME DATA BITS PASSES ITERS
bench_one() {
    local name=$1 data=$2 bits=$3 passes=$4 iters=$5
    echo "== $name: $(wc -l <"$data") rows, --bits $bits"
    local np
    for np in 1 2; do
        local on=() lb=()
        for ((r = 0; r < RUNS; r++)); do
            rm -f "$T/on.log" "$T/lb.log"
            "${MPIRUN[@]}" -np $np "$GANNET" train -d "$data" -m "$T/on.model" --bits "$bits" --passes "$passes" \
                --threads 1 --quiet --log-json "$T/on.log" >/dev/null
            on+=("$(per_step "$T/on.log")")
            "${MPIRUN[@]}" -np $np "$GANNET" train -d "$data" -m "$T/lb.model" --bits "$bits" --optimizer lbfgs --l2 1 \
                --max-iter "$iters" --tol 1e-12 --threads 1 --quiet --log-json "$T/lb.log" >/dev/null
            lb+=("$(per_step "$T/lb.log")")
        done
        local meta
        meta=$("$GANNET" inspect -m "$T/lb.model" --json --top 1 | $PY -c '
import json, sys
m = json.load(sys.stdin)["metadata"]["metrics"]
c, b = m.get("allreduce_calls", 0), m.get("allreduce_bytes", 0)
print("%d all-reduces, %.0f bytes each on average; %d features (gradient all-reduce: %d bytes)" %
      (c, b / c if c else 0, m["features"], 8 * (m["features"] + 1)))')
        printf '%-6s %d rank(s): online pass %8.4f s   L-BFGS iteration %8.4f s   [%s]\n' "$name" $np \
            "$(printf '%s\n' "${on[@]}" | median)" "$(printf '%s\n' "${lb[@]}" | median)" "$meta"
    done
    printf '%-6s online merge at each pass end, per rank: 2^%d slots x (4 floats FTRL table + 1 float totals) x 4 B = %d bytes\n' \
        "$name" "$bits" $(((1 << bits) * 5 * 4))
}

zcat "$A9A" >"$T/a9a"
bench_one a9a "$T/a9a" 18 6 60
SYNTH=$BENCH_DATA/synth_train.libsvm
if [ -z "${SKIP_SYNTH:-}" ] && [ -s "$SYNTH" ]; then
    bench_one synth "$SYNTH" 20 3 8
else
    echo "synth: $SYNTH not present or SKIP_SYNTH set: skipped"
fi
