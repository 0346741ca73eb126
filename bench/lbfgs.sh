#!/usr/bin/env bash
# bench/lbfgs.sh: the batch L-BFGS solver against LIBLINEAR (Debian's liblinear-train -s 0, the
# trust-region Newton solver) on the same L2-regularised logistic regression, in the same run:
# time until gannet's objective is within 1e-4 (relative) of the objective LIBLINEAR reaches with
# -e 0.0001, against LIBLINEAR's own time. Both wall times are whole process runs (loading the
# text included), medians of RUNS runs. LIBLINEAR's objective is recomputed from its model file
# (numpy/scipy), divided by C (gannet minimises sum loss + 1/(2C) |w|^2, LIBLINEAR C times that).
# Data: a9a (../shared/data), and bench/data/synth_train.libsvm (1,000,000 x 50) when it already
# exists (it is not generated here).
#   usage: bench/lbfgs.sh [RUNS]        (default 3)
#   env:   GANNET, THREADS (2), C (1), MEMORY (L-BFGS --memory, 20), SKIP_SYNTH=1, SYNTH_RUNS (1), A9A
source "$(dirname "$0")/common.sh"
RUNS=${1:-3}
THREADS=${THREADS:-2}
C=${C:-1}
MEMORY=${MEMORY:-20}
A9A=${A9A:-$GN_SRC/../shared/data/a9a/a9a.gz}
build_gannet
command -v liblinear-train >/dev/null || { echo "liblinear-train not installed (apt-get install liblinear-tools)"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
L2=$($PY -c "print(repr(1.0/$C))")

cat >"$T/obj.py" <<'EOF'
# obj.py DATA LIBLINEAR_MODEL C: LIBLINEAR's objective divided by C, i.e. in gannet's scale
import sys
import numpy as np
path, model, C = sys.argv[1], sys.argv[2], float(sys.argv[3])
lines = open(model).read().split('\n')
head = {l.split()[0]: l.split()[1:] for l in lines if l and l.split()[0] != 'w'}
k = lines.index('w')
w = np.array([float(l.split()[0]) for l in lines[k + 1:] if l.strip()])
bias, w = w[-1], w[:-1]
try:
    from sklearn.datasets import load_svmlight_file
    X, y = load_svmlight_file(path, n_features=len(w))
    s = X @ w + bias
except ImportError:  # slow path, no sklearn
    ys, ss = [], []
    for line in open(path):
        p = line.split()
        if not p: continue
        ys.append(float(p[0]))
        ss.append(bias + sum(w[int(a) - 1] * float(b) for a, b in (q.split(':') for q in p[1:]) if int(a) <= len(w)))
    y, s = np.array(ys), np.array(ss)
pos = float(head['label'][0])
yy = np.where(y == pos, 1.0, -1.0)
print('%.12g' % (np.logaddexp(0.0, -yy * s).sum() + 0.5 / C * (w @ w + bias * bias)))
EOF

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# wall CMD...: "WALL CPU" seconds of one run (CPU = user + system, steadier on a loaded machine)
wall() { /usr/bin/time -f '%e %U %S' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%s %.2f\n", $1, $2 + $3}'; }
med() { printf '%s\n' "${@:2}" | awk -v c="$1" '{print $c}' | median; } # med COLUMN "W C" "W C"...

# bench_one NAME TRAIN [gannet flags]
bench_one() {
    local name=$1 train=$2
    shift 2
    echo "== $name: $(wc -l <"$train") rows, C=$C, gannet --threads $THREADS --memory $MEMORY $*"
    local ll_times=()
    for ((r = 0; r < RUNS; r++)); do
        ll_times+=("$(wall liblinear-train -q -s 0 -e 0.0001 -B 1 -c "$C" "$train" "$T/ll.model")")
    done
    local t_ll f_ll c_ll
    t_ll=$(med 1 "${ll_times[@]}")
    c_ll=$(med 2 "${ll_times[@]}")
    f_ll=$($PY "$T/obj.py" "$train" "$T/ll.model" "$C")
    # probe: the first iteration at which gannet is within 1e-4 of LIBLINEAR's objective
    rm -f "$T/log.json"
    "$GANNET" train -d "$train" -m "$T/g.model" --optimizer lbfgs --l2 "$L2" --threads "$THREADS" --memory "$MEMORY" \
        --tol 1e-9 --quiet --log-json "$T/log.json" --json "$@" >"$T/full.json"
    local k
    k=$($PY -c "
import json, sys
target = $f_ll * (1 + 1e-4)
for l in open('$T/log.json'):
    r = json.loads(l)
    if r['progressive_loss'] <= target: print(r['pass']); break
else: print(-1)")
    if [ "$k" -lt 1 ]; then echo "gannet never came within 1e-4 of LIBLINEAR's objective $f_ll"; return; fi
    local g_times=() g_full=()
    for ((r = 0; r < RUNS; r++)); do
        g_times+=("$(wall "$GANNET" train -d "$train" -m "$T/g.model" --optimizer lbfgs --l2 "$L2" --threads "$THREADS" \
            --memory "$MEMORY" --max-iter "$k" --quiet "$@")")
        g_full+=("$(wall "$GANNET" train -d "$train" -m "$T/g.model" --optimizer lbfgs --l2 "$L2" --threads "$THREADS" \
            --memory "$MEMORY" --quiet "$@")")
    done
    local t_g t_full f_g c_g
    t_g=$(med 1 "${g_times[@]}")
    c_g=$(med 2 "${g_times[@]}")
    t_full=$(med 1 "${g_full[@]}")
    f_g=$("$GANNET" train -d "$train" -m "$T/g.model" --optimizer lbfgs --l2 "$L2" --threads "$THREADS" --memory "$MEMORY" \
        --max-iter "$k" --quiet --json "$@" | $PY -c 'import json,sys; print(json.load(sys.stdin)["objective"])')
    printf '%-10s liblinear -s 0 -e 1e-4: wall %7.3f s  cpu %7.3f s  objective/C %.10g\n' "$name" "$t_ll" "$c_ll" "$f_ll"
    printf '%-10s gannet to 1e-4 of it:   wall %7.3f s  cpu %7.3f s  objective   %.10g (%d iterations)\n' "$name" "$t_g" \
        "$c_g" "$f_g" "$k"
    printf '%-10s ratio gannet / liblinear: wall %.2f x  cpu %.2f x\n' "$name" "$($PY -c "print($t_g / $t_ll)")" \
        "$($PY -c "print($c_g / max($c_ll, 0.01))")"
    printf '%-10s gannet to --tol 1e-6 (default): wall %7.3f s\n' "$name" "$t_full"
    printf '%-10s gannet to --tol 1e-9: %s iterations, objective %s\n' "$name" \
        "$($PY -c "import json; print(json.load(open('$T/full.json'))['iterations'])")" \
        "$($PY -c "import json; j=json.load(open('$T/full.json')); print('%.10g' % j['objective'])")"
}

zcat "$A9A" >"$T/a9a"
bench_one a9a "$T/a9a"
SYNTH=$BENCH_DATA/synth_train.libsvm
if [ -z "${SKIP_SYNTH:-}" ] && [ -s "$SYNTH" ]; then
    RUNS=${SYNTH_RUNS:-1} bench_one synth "$SYNTH" --bits 20 # 1,000,000 features: no hash collisions
else
    echo "synth: $SYNTH not present or SKIP_SYNTH set: skipped (bench/train.sh generates it)"
fi
