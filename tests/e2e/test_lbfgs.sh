#!/usr/bin/env bash
# e2e: the batch solvers reach LIBLINEAR's optimum. For L2-regularised logistic regression,
# `gannet train --optimizer lbfgs --l2 1/C` must reach the objective of
# `liblinear-train -s 0 -e 0.0001 -B 1 -c C` within 1e-4 relative (LIBLINEAR's objective is C
# times gannet's; both regularise the bias), with the same test accuracy within 0.001. Objectives
# are recomputed here, in numpy, from both models' weights, so neither program grades itself.
# OWL-QN (--l1) must give sparse weights and an objective <= online FTRL's with the same l1, and
# match `liblinear-train -s 6` (L1-regularised LR). Runs on LIBLINEAR's heart_scale (or generated
# data when that is absent) and on a9a when the shared data is there.
set -u
GANNET=${GANNET:?GANNET must point to the gannet binary}
PY=/usr/bin/python3
command -v liblinear-train >/dev/null || { echo "SKIP: liblinear-train not installed"; exit 77; }
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: python3 with numpy not available"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
FAILED() { echo "FAIL: $*"; fail=1; }

# check.py: objective of a weight vector (gannet layout: slot 0 = bias, slot i = LIBSVM index i)
cat >"$T/check.py" <<'EOF'
import json, sys
import numpy as np

def load_svm(path, dim=None):
    rows, ys = [], []
    for line in open(path):
        parts = line.split()
        if not parts: continue
        ys.append(float(parts[0]))
        rows.append([(int(a), float(b)) for a, b in (p.split(':') for p in parts[1:])])
    d = dim or max((i for r in rows for i, _ in r), default=0)
    X = np.zeros((len(rows), d + 1))
    X[:, 0] = 1.0  # bias, slot 0
    for k, r in enumerate(rows):
        for i, v in r:
            if i <= d: X[k, i] = v
    return X, np.array(ys)

def liblinear_weights(path, dim):
    lines = open(path).read().split('\n')
    head = {l.split()[0]: l.split()[1:] for l in lines if l and l.split()[0] != 'w'}
    k = lines.index('w')
    w_ll = np.array([float(l.split()[0]) for l in lines[k + 1:] if l.strip()])
    w = np.zeros(dim + 1)
    w[1:len(w_ll)] = w_ll[:-1]
    w[0] = w_ll[-1]  # -B 1: the bias is the last weight
    sign = 1.0
    if 'label' in head and head['label'][0] != '1': sign = -1.0  # w scores label[0]
    return sign * w

def gannet_weights(path, dim):
    j = json.load(open(path))
    w = np.zeros(dim + 1)
    for e in j['top_weights']:
        if e['slot'] <= dim: w[e['slot']] = e['weight']
    return w

def objective(w, X, y, loss, l1, l2):
    s = X @ w
    if loss == 'logistic':
        data = np.logaddexp(0.0, -y * s).sum()
    else:
        data = ((s - y) ** 2).sum()
    return data + l1 * np.abs(w).sum() + 0.5 * l2 * (w @ w)

cmd = sys.argv[1]
X, y = load_svm(sys.argv[2])
dim = X.shape[1] - 1
loss, l1, l2 = sys.argv[4], float(sys.argv[5]), float(sys.argv[6])
w = liblinear_weights(sys.argv[3], dim) if cmd == 'liblinear' else gannet_weights(sys.argv[3], dim)
print('%.12g' % objective(w, X, y, loss, l1, l2))
EOF

# json_get FILE KEY: a top-level number (or null) from gannet's --json summary
json_get() { $PY -c 'import json,sys; v=json.load(open(sys.argv[1])); k=sys.argv[2].split("."); [v:=v[x] for x in k]; print(v)' "$1" "$2"; }
rel() { $PY -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(abs(a-b)/abs(b))' "$1" "$2"; }
le() { $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; }
dump() { "$GANNET" inspect -m "$1" --json --top 300000 >"$2"; }

HS=/usr/share/doc/liblinear-tools/examples/heart_scale
if [ -r "$HS" ]; then
    cp "$HS" "$T/small"
else # generated: 400 x 20, a planted model, fixed LCG seed
    awk 'BEGIN { s = 12345; for (i = 0; i < 400; i++) { line = ""; z = 0;
        for (j = 1; j <= 20; j++) { s = (s * 1103515245 + 12345) % 2147483648; v = s / 2147483648 - 0.5;
            if (v > -0.2) { line = line " " j ":" sprintf("%.4f", v); z += v * (j % 5 - 2) } }
        s = (s * 1103515245 + 12345) % 2147483648; p = 1 / (1 + exp(-2 * z));
        print ((s / 2147483648 < p) ? "+1" : "-1") line } }' >"$T/small"
fi

# lbfgs_vs_liblinear NAME TRAIN TEST C [extra gannet flags]
lbfgs_vs_liblinear() {
    local name=$1 train=$2 test=$3 C=$4
    shift 4
    local l2
    l2=$($PY -c "print(repr(1.0/$C))")
    liblinear-train -q -s 0 -e 0.0001 -B 1 -c "$C" "$train" "$T/$name.ll" >/dev/null ||
        { FAILED "$name: liblinear-train failed"; return; }
    "$GANNET" train --passes 1 -d "$train" -m "$T/$name.gn" --optimizer lbfgs --l2 "$l2" --json --quiet --test "$test" "$@" \
        >"$T/$name.json" 2>"$T/$name.err" || { FAILED "$name: gannet train failed: $(cat "$T/$name.err")"; return; }
    dump "$T/$name.gn" "$T/$name.w"
    local f_ll f_gn f_rep r r2
    f_ll=$($PY "$T/check.py" liblinear "$train" "$T/$name.ll" logistic 0 "$l2")
    f_gn=$($PY "$T/check.py" gannet "$train" "$T/$name.w" logistic 0 "$l2")
    f_rep=$(json_get "$T/$name.json" objective)
    r=$(rel "$f_gn" "$f_ll")
    r2=$(rel "$f_rep" "$f_gn")
    echo "$name C=$C: liblinear objective/C $f_ll, gannet $f_gn (reported $f_rep), relative gap $r," \
         "iterations $(json_get "$T/$name.json" iterations)"
    le "$r" 1e-4 || FAILED "$name: objective $f_gn is not within 1e-4 of LIBLINEAR's $f_ll (gap $r)"
    le "$r2" 1e-6 || FAILED "$name: reported objective $f_rep differs from the recomputed $f_gn"
    [ "$(json_get "$T/$name.json" ranks)" = 1 ] || FAILED "$name: ranks is not 1"
    local acc_ll acc_gn
    acc_ll=$(liblinear-predict "$test" "$T/$name.ll" "$T/$name.pred" | sed -n 's/Accuracy = \([0-9.]*\)%.*/\1/p')
    acc_gn=$(json_get "$T/$name.json" test.accuracy)
    echo "$name: test accuracy liblinear ${acc_ll}% gannet $acc_gn"
    $PY -c "import sys; sys.exit(0 if abs($acc_ll/100 - $acc_gn) <= 0.001 else 1)" ||
        FAILED "$name: test accuracy $acc_gn differs from LIBLINEAR's ${acc_ll}% by more than 0.001"
}

lbfgs_vs_liblinear small "$T/small" "$T/small" 1
lbfgs_vs_liblinear small_c4_t2 "$T/small" "$T/small" 4 --threads 2 --memory 5

# squared loss: liblinear -s 11 -p 0 minimises 1/2|w|^2 + C sum (y - w.x)^2
liblinear-train -q -s 11 -p 0 -e 0.00001 -B 1 -c 0.5 "$T/small" "$T/sq.ll" >/dev/null || FAILED "liblinear -s 11 failed"
"$GANNET" train --passes 1 -d "$T/small" -m "$T/sq.gn" --loss squared --optimizer lbfgs --l2 2 --json --quiet >"$T/sq.json" 2>"$T/sq.err" ||
    FAILED "squared: gannet failed: $(cat "$T/sq.err")"
dump "$T/sq.gn" "$T/sq.w"
f_ll=$($PY "$T/check.py" liblinear "$T/small" "$T/sq.ll" squared 0 2)
f_gn=$($PY "$T/check.py" gannet "$T/small" "$T/sq.w" squared 0 2)
echo "squared C=0.5: liblinear $f_ll gannet $f_gn"
le "$(rel "$f_gn" "$f_ll")" 1e-4 || FAILED "squared loss: objective $f_gn is not within 1e-4 of LIBLINEAR's $f_ll"

# OWL-QN: l1 = 1/C against liblinear -s 6 (which regularises the bias too with -B 1)
liblinear-train -q -s 6 -e 0.0001 -B 1 -c 1 "$T/small" "$T/l1.ll" >/dev/null || FAILED "liblinear -s 6 failed"
"$GANNET" train --passes 1 -d "$T/small" -m "$T/l1.gn" --optimizer owlqn --l1 1 --json --quiet >"$T/l1.json" 2>"$T/l1.err" ||
    FAILED "owlqn: gannet failed: $(cat "$T/l1.err")"
"$GANNET" train -d "$T/small" -m "$T/ftrl.gn" --optimizer ftrl --l1 1 --passes 5 --json --quiet >"$T/ftrl.json" 2>&1 ||
    FAILED "ftrl: gannet failed"
dump "$T/l1.gn" "$T/l1.w"
dump "$T/ftrl.gn" "$T/ftrl.w"
f_ll=$($PY "$T/check.py" liblinear "$T/small" "$T/l1.ll" logistic 1 0)
f_gn=$($PY "$T/check.py" gannet "$T/small" "$T/l1.w" logistic 1 0)
f_ftrl=$($PY "$T/check.py" gannet "$T/small" "$T/ftrl.w" logistic 1 0)
nz=$(json_get "$T/l1.json" nonzero)
nfeat=$($PY -c "import json; print(json.load(open('$T/l1.w'))['metadata']['metrics']['features'])")
echo "owlqn l1=1: liblinear -s 6 $f_ll gannet $f_gn ftrl $f_ftrl; non-zero $nz of $nfeat"
le "$(rel "$f_gn" "$f_ll")" 1e-4 || FAILED "owlqn: objective $f_gn is not within 1e-4 of LIBLINEAR -s 6's $f_ll"
le "$f_gn" "$f_ftrl" || FAILED "owlqn: objective $f_gn is above online FTRL's $f_ftrl with the same l1"
[ "$nz" -lt "$nfeat" ] || FAILED "owlqn: no weight is zero ($nz of $nfeat non-zero)"
# a strong l1 must zero most weights
"$GANNET" train --passes 1 -d "$T/small" -m "$T/l1b.gn" --optimizer owlqn --l1 20 --json --quiet >"$T/l1b.json" 2>/dev/null ||
    FAILED "owlqn l1=20 failed"
nzb=$(json_get "$T/l1b.json" nonzero)
echo "owlqn l1=20: non-zero $nzb"
[ "$nzb" -lt "$nz" ] || FAILED "owlqn: l1=20 keeps $nzb weights, not fewer than l1=1 ($nz)"

# --warm-start online reaches the same optimum
"$GANNET" train --passes 1 -d "$T/small" -m "$T/warm.gn" --optimizer lbfgs --l2 1 --warm-start online --json --quiet >"$T/warm.json" 2>&1 ||
    FAILED "warm start failed: $(cat "$T/warm.json")"
"$GANNET" train --passes 1 -d "$T/small" -m "$T/cold.gn" --optimizer lbfgs --l2 1 --json --quiet >"$T/cold.json" 2>&1 || FAILED "cold failed"
fw=$(json_get "$T/warm.json" objective)
fc=$(json_get "$T/cold.json" objective)
echo "warm start objective $fw, cold $fc"
le "$(rel "$fw" "$fc")" 1e-6 || FAILED "warm start objective $fw differs from cold start $fc"

# same flags, same model: the run is deterministic (threads own fixed shards)
"$GANNET" train --passes 1 -d "$T/small" -m "$T/det.gn" --optimizer lbfgs --l2 1 --threads 2 --json --quiet >"$T/det1.json" 2>&1
"$GANNET" train --passes 1 -d "$T/small" -m "$T/det2.gn" --optimizer lbfgs --l2 1 --threads 2 --json --quiet >"$T/det2.json" 2>&1
dump "$T/det.gn" "$T/det1.w"
dump "$T/det2.gn" "$T/det2.w"
wdiff=$($PY -c "import json,sys; a,b=(json.load(open(f))['top_weights'] for f in sys.argv[1:]); print(int(a!=b))" "$T/det1.w" "$T/det2.w")
[ "$wdiff" = 0 ] && [ "$(json_get "$T/det1.json" objective)" = "$(json_get "$T/det2.json" objective)" ] ||
    FAILED "two identical runs gave different weights or objectives"

# --holdout: the same examples as the online learners hold out, not trained on, loss reported
"$GANNET" train --passes 1 -d "$T/small" -m "$T/ho.gn" --optimizer lbfgs --l2 1 --holdout 0.3 --json --quiet >"$T/ho.json" 2>&1 ||
    FAILED "lbfgs --holdout failed: $(cat "$T/ho.json")"
"$GANNET" train --passes 1 -d "$T/small" -m "$T/ho2.gn" --optimizer ftrl --holdout 0.3 --json --quiet >"$T/ho2.json" 2>&1 ||
    FAILED "ftrl --holdout failed"
echo "holdout: lbfgs trains on $(json_get "$T/ho.json" examples) examples, holdout loss $(json_get "$T/ho.json" holdout_loss)"
[ "$(json_get "$T/ho.json" examples)" = "$(json_get "$T/ho2.json" examples)" ] ||
    FAILED "lbfgs and ftrl hold out different examples"
[ "$(json_get "$T/ho.json" examples)" -lt "$(wc -l <"$T/small")" ] || FAILED "--holdout held nothing out"
le 0 "$(json_get "$T/ho.json" holdout_loss)" || FAILED "no holdout loss reported"

# bad input: a clear error naming file:line, not a crash
printf '+1 1:0.5\n-1 2:abc\n' >"$T/bad"
if "$GANNET" train --passes 1 -d "$T/bad" -m "$T/bad.gn" --optimizer lbfgs --quiet 2>"$T/bad.err"; then
    FAILED "bad input was accepted"
elif ! grep -q "bad:2" "$T/bad.err"; then
    FAILED "bad input: message does not name the line: $(cat "$T/bad.err")"
fi
# l1 with lbfgs is refused with a reason
"$GANNET" train --passes 1 -d "$T/small" -m "$T/x.gn" --optimizer lbfgs --l1 1 --quiet 2>"$T/x.err" && FAILED "lbfgs accepted --l1"
grep -q owlqn "$T/x.err" || FAILED "lbfgs --l1: message does not point to owlqn"

# a cache alone is the batch solvers' data too: the same model as from the text; a cache made
# from -d files is refused with a reason (it is made for the online optimizers)
"$GANNET" cache -d "$T/small" -o "$T/small.cache" >/dev/null 2>"$T/c.err" || FAILED "cache: $(cat "$T/c.err")"
"$GANNET" train -d "$T/small" -m "$T/text.gn" --optimizer lbfgs --l2 0.5 --quiet 2>"$T/c.err" || FAILED "lbfgs text: $(cat "$T/c.err")"
"$GANNET" train --cache "$T/small.cache" -m "$T/cache.gn" --optimizer lbfgs --l2 0.5 --quiet 2>"$T/c.err" ||
    FAILED "lbfgs on a cache alone: $(cat "$T/c.err")"
"$GANNET" predict -m "$T/text.gn" -d "$T/small" -o "$T/text.p" 2>/dev/null
"$GANNET" predict -m "$T/cache.gn" -d "$T/small" -o "$T/cache.p" 2>/dev/null
[ -s "$T/text.p" ] && cmp -s "$T/text.p" "$T/cache.p" || FAILED "lbfgs on the cache alone predicts differently from lbfgs on the text"
"$GANNET" train -d "$T/small" --cache "$T/small.cache" -m "$T/x.gn" --optimizer lbfgs --quiet 2>"$T/c.err" &&
    FAILED "lbfgs accepted a cache made from -d"
grep -q "cache alone" "$T/c.err" || FAILED "lbfgs --cache with -d: no reason given: $(cat "$T/c.err")"

# a9a, when the shared data is there
D=${GN_SHARED_DATA:-}/a9a
if [ -n "${GN_SHARED_DATA:-}" ] && [ -r "$D/a9a.gz" ] && [ -r "$D/a9a.t.gz" ]; then
    zcat "$D/a9a.gz" >"$T/a9a"
    zcat "$D/a9a.t.gz" >"$T/a9a.t"
    lbfgs_vs_liblinear a9a "$T/a9a" "$T/a9a.t" 1 --threads 2
    lbfgs_vs_liblinear a9a_c01 "$T/a9a" "$T/a9a.t" 0.1
else
    echo "a9a not found under GN_SHARED_DATA: only the small data set was checked"
fi
exit $fail
