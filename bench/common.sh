# bench/common.sh: shared helpers for the benchmark scripts (sourced, not run).
# Builds gannet (Release) if needed and writes the synthetic data of the issues' figures with
# ../shared/bench/gen-synth.c (or bench/gen-synth.c when the shared tree is absent).
set -euo pipefail
GN_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DATA=${BENCH_DATA:-$GN_SRC/bench/data}
GANNET=${GANNET:-$GN_SRC/build/bin/gannet}
PY=/usr/bin/python3   # Debian's python with numpy/sklearn (the pyenv python3 lacks them)
mkdir -p "$BENCH_DATA"

build_gannet() {
    if [ ! -x "$GANNET" ]; then
        cmake -S "$GN_SRC" -B "$GN_SRC/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
        cmake --build "$GN_SRC/build" -j"$(nproc)" >/dev/null
    fi
}

gen_synth_bin() {
    local src=$GN_SRC/../shared/bench/gen-synth.c
    [ -f "$src" ] || src=$GN_SRC/bench/gen-synth.c
    if [ ! -x "$BENCH_DATA/gen-synth" ] || [ "$src" -nt "$BENCH_DATA/gen-synth" ]; then
        cc -O2 -o "$BENCH_DATA/gen-synth" "$src" -lm
    fi
}

# synth FILE ROWS NNZ FEATURES SEED: writes FILE once (atomically), reuses it afterwards.
synth() {
    local out=$1; shift
    if [ ! -s "$out" ]; then
        gen_synth_bin
        echo "generating $out (gen-synth $*)" >&2
        "$BENCH_DATA/gen-synth" "$@" > "$out.tmp.$$" && mv "$out.tmp.$$" "$out"
    fi
}

# The issues' workload: 1,000,000 x 50 over 1,000,000 features (train) and 100,000 rows (test).
synth_default() {
    synth "$BENCH_DATA/synth_train.libsvm" 1000000 50 1000000 1
    synth "$BENCH_DATA/synth_test.libsvm" 100000 50 1000000 2
}

# synth_setup: builds gannet, writes the default workload and sets TRAIN, TEST, ROWS and a
# scratch folder OUT that is removed on exit.
synth_setup() {
    build_gannet
    synth_default
    TRAIN=$BENCH_DATA/synth_train.libsvm
    TEST=$BENCH_DATA/synth_test.libsvm
    ROWS=$(wc -l < "$TRAIN")
    OUT=$(mktemp -d)
    trap 'rm -rf "$OUT"' EXIT
}

# timed OUT CMD...: runs CMD with GNU time; appends "wall_s user_s sys_s maxrss_kb" to OUT.
timed() {
    local out=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$@"
    cat "$out.time" >> "$out"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# auc LABELS_AND_SCORES_FILE: exact AUC of "label score" lines (label +1/1 positive).
auc() {
    "$PY" - "$1" <<'PY'
import sys
from sklearn.metrics import roc_auc_score
y, s = [], []
for line in open(sys.argv[1]):
    a, b = line.split()
    y.append(1 if float(a) > 0 else 0)
    s.append(float(b))
print("%.6f" % roc_auc_score(y, s))
PY
}
