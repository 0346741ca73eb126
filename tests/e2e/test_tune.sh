#!/usr/bin/env bash
# tests/e2e/test_tune.sh: `gannet tune` finds the best l2 on a generated problem where a middle l2
# wins (few examples, many noise features, several passes), checked independently by separate
# train/eval runs on the same folds; writes --results (CSV, JSON) and the refitted -m model;
# the batch solver (lbfgs) over an l2 path agrees with separate lbfgs runs; a grid can mix online
# and batch optimizers; random search and halving run; bad grids and flags give exit 2 with a
# clear message.
set -u
G=${GANNET:?GANNET must point at the gannet binary}
SRC=${GN_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v python3 >/dev/null || { echo "python3 not found: skipping"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if [ "$1" != 0 ]; then echo "FAIL: $2"; fail=1; else echo "ok: $2"; fi; }

# 300 examples; each has 5 of 20 informative features (weights +-1) and 30 of 980 noise ones.
python3 - "$T/noisy.svm" <<'PY'
import random, sys, math
r = random.Random(1)
n, d, inf = 300, 1000, 20
w = [r.choice([-1.0, 1.0]) for _ in range(inf + 1)]
with open(sys.argv[1], "w") as f:
    for _ in range(n):
        good = r.sample(range(1, inf + 1), 5)
        noise = r.sample(range(inf + 1, d + 1), 30)
        s = sum(w[i] for i in good)
        y = 1 if r.random() < 1 / (1 + math.exp(-s)) else -1
        f.write(f"{y} " + " ".join(f"{i}:1" for i in sorted(good + noise)) + "\n")
PY
D=$T/noisy.svm
L2S="0 1 3 10 30 100 300 1000"
GRID="l2=$(echo $L2S | tr ' ' ',')"
BASE="--lr 0.5 --passes 5"

"$G" tune -d "$D" -k 5 --grid "$GRID" $BASE --metric logloss --threads 2 --quiet --json \
    --results "$T/res.csv" -m "$T/best.gnm" > "$T/tune.json" 2> "$T/tune.err"
check $? "tune runs ($(head -c 200 "$T/tune.err"))"

# Independent check: 5 separate train+eval runs per l2 on the same folds.
# separate_runs OUT "L2 VALUES" FLAGS...: one line "l2 {eval json}" per (l2, fold) in OUT
separate_runs() {
    local out=$1 l2s=$2 l2 f
    shift 2
    : > "$out"
    for l2 in $l2s; do
        for f in 0 1 2 3 4; do
            python3 "$SRC/tests/e2e/fold_split.py" 5 "$f" 0 "$T/tr.svm" "$T/te.svm" "$D"
            "$G" train -d "$T/tr.svm" -m "$T/m.gnm" --threads 1 --quiet --l2 "$l2" "$@" > /dev/null || fail=1
            printf '%s ' "$l2" >> "$out"
            "$G" eval -m "$T/m.gnm" -d "$T/te.svm" --json >> "$out" || fail=1
        done
    done
}
# same_best TUNE_JSON SEPARATE REL_TOL: the separate runs have a middle best l2, tune picks it, and
# every row's mean held-out logloss is within REL_TOL of the separate runs'
cat > "$T/same_best.py" <<'PY'
import json, sys
tune = json.load(open(sys.argv[1]))
tol = float(sys.argv[3])
sep = {}
for line in open(sys.argv[2]):
    l2, js = line.split(" ", 1)
    sep.setdefault(float(l2), []).append(json.loads(js)["logloss"])
means = {l2: sum(v) / len(v) for l2, v in sep.items()}
order = sorted(means)
best_sep = min(means, key=means.get)
print("  separate runs, mean held-out logloss by l2:", ", ".join(f"{l2:g}: {means[l2]:.5f}" for l2 in order))
assert best_sep not in (order[0], order[-1]), f"the problem should have a middle best l2, got {best_sep}"
assert tune["metric"] == "logloss"
rows = tune["results"]
assert len(rows) == len(order)
best = rows[tune["best"]]
assert best["params"]["l2"] == best_sep, f"tune chose l2={best['params']['l2']}, separate runs say {best_sep}"
for row in rows:
    m = means[row["params"]["l2"]]
    assert abs(row["mean"]["logloss"] - m) <= tol * max(1, m), f"l2={row['params']['l2']}: {row['mean']['logloss']} vs {m}"
    assert len(row["folds"]) == 5 and set(row["mean"]) == set(row["folds"][0]) == set(row["std"])
    assert row["seconds"] >= 0 and row["passes"] >= 1 and not row["dropped"]
print(f"  tune's best l2 = {best_sep:g}, as the separate runs")
PY
separate_runs "$T/sep.txt" "$L2S" $BASE
python3 "$T/same_best.py" "$T/tune.json" "$T/sep.txt" 1e-6
check $? "tune finds the l2 that separate train/eval runs find best (a middle one)"

# The batch solver: tune --optimizer lbfgs solves the l2 path (each solve warm-started from the
# previous, stronger one) and agrees with separate `gannet train --optimizer lbfgs` runs.
BL2S="0.3 1 3 10 30 100"
"$G" tune -d "$D" -k 5 --grid "l2=$(echo $BL2S | tr ' ' ',')" --optimizer lbfgs --metric logloss --threads 1 \
    --quiet --json > "$T/btune.json" 2> "$T/btune.err"
check $? "tune --optimizer lbfgs runs ($(head -c 200 "$T/btune.err"))"
separate_runs "$T/bsep.txt" "$BL2S" --optimizer lbfgs
python3 "$T/same_best.py" "$T/btune.json" "$T/bsep.txt" 1e-3
check $? "tune --optimizer lbfgs finds the l2 that separate lbfgs runs find best"
# a search over --max-iter: only configurations that differ in l1/l2 warm-start each other, so the
# first of the max-iter=100 group starts from zero, as a cv run of it does
"$G" tune -d "$D" -k 3 --optimizer lbfgs --grid 'max-iter=2,100;l2=1,10' --threads 1 --quiet --json > "$T/mi.json" &&
"$G" cv -d "$D" -k 3 --optimizer lbfgs --max-iter 100 --l2 10 --threads 1 --quiet --json > "$T/mi_cv.json" &&
python3 - "$T/mi.json" "$T/mi_cv.json" <<'PY'
import json, sys
rows, cv = json.load(open(sys.argv[1]))["results"], json.load(open(sys.argv[2]))
row = [r for r in rows if r["params"] == {"max-iter": 100, "l2": 10}][0]
assert row["folds"] == cv["folds"], (row["folds"][0], cv["folds"][0])
PY
check $? "lbfgs configurations with another --max-iter start from zero (equal to cv)"
# a grid over the optimizer mixes online and batch candidates; each part as when run alone
"$G" tune -d "$D" -k 3 --grid 'optimizer=ftrl,lbfgs;l2=1,30' $BASE --quiet --json > "$T/mixed.json" &&
"$G" tune -d "$D" -k 3 --grid 'l2=1,30' $BASE --quiet --json > "$T/online.json" &&
python3 - "$T/mixed.json" "$T/online.json" <<'PY'
import json, sys
mixed, online = json.load(open(sys.argv[1]))["results"], json.load(open(sys.argv[2]))["results"]
ftrl = [r for r in mixed if r["params"]["optimizer"] == "ftrl"]
lb = [r for r in mixed if r["params"]["optimizer"] == "lbfgs"]
assert len(ftrl) == 2 and len(lb) == 2
for a, b in zip(ftrl, online):
    assert a["params"]["l2"] == b["params"]["l2"] and a["mean"] == b["mean"], (a["mean"], b["mean"])
assert all(r["mean"]["examples"] > 0 and r["mean"]["auc"] > 0.5 for r in lb)
PY
check $? "a grid over optimizer=ftrl,lbfgs runs both kinds; the online part equals an online-only search"

# The refitted model carries the best flags; the CSV has one row per configuration.
"$G" inspect -m "$T/best.gnm" --json > "$T/inspect.json" 2>&1
python3 -c "
import json,sys
t=json.load(open('$T/tune.json')); m=json.load(open('$T/inspect.json'))['metadata']
b=t['results'][t['best']]['params']['l2']
sys.exit(0 if abs(m['train']['l2']-b) < 1e-12 and m['train']['passes']==5 else 1)"
check $? "-m saves the best configuration retrained on all the data"
[ "$(wc -l < "$T/res.csv")" = 9 ] && head -1 "$T/res.csv" | grep -q '^l2,mean_logloss,std_logloss,mean_auc' \
    && head -1 "$T/res.csv" | grep -q 'fold5_auc'
check $? "--results CSV: header and 8 rows"
"$G" tune -d "$D" -k 3 --grid "l2=1,30;lr=0.2,0.5" --quiet --results "$T/res.json" > "$T/text.txt"
python3 -c "
import json,sys; r=json.load(open('$T/res.json'))
ok = len(r)==4 and all(set(x)>={'params','folds','mean','std','seconds'} and len(x['folds'])==3 for x in r)
ok = ok and sorted((x['params']['l2'],x['params']['lr']) for x in r)==[(1,0.2),(1,0.5),(30,0.2),(30,0.5)]
sys.exit(0 if ok else 1)"
check $? "--results JSON: 4 rows of params/folds/mean/std/seconds"
grep -q '^best: l2=' "$T/text.txt"; check $? "text output names the best configuration"

# Random search over a log range finds a middle l2 too; halving drops configurations.
"$G" tune -d "$D" -k 5 --random 10 --space 'l2=log(0.01,10000)' $BASE --metric logloss --seed 3 --quiet --json > "$T/rand.json"
python3 -c "
import json,sys; t=json.load(open('$T/rand.json')); b=t['results'][t['best']]['params']['l2']
print('  random search best l2', b); sys.exit(0 if 3 <= b <= 300 and len(t['results'])==10 else 1)"
check $? "random search finds l2 in [3, 300]"
"$G" tune -d "$D" -k 5 --grid "$GRID" $BASE --metric logloss --halving --quiet --json > "$T/halv.json" 2> "$T/halv.err"
python3 -c "
import json,sys; t=json.load(open('$T/halv.json')); r=t['results']
dropped=sum(x['dropped'] for x in r); best=r[t['best']]
print('  halving: dropped', dropped, 'best l2', best['params']['l2'])
sys.exit(0 if dropped >= 6 and not best['dropped'] and best['passes']==5 and 3 <= best['params']['l2'] <= 300 else 1)"
check $? "--halving drops the worse configurations and keeps a good one"
grep -q 'halving after pass 1: kept 4 of 8' "$T/halv.err"; check $? "halving is reported"

# Bad grids and flags: exit 2 and a message naming the problem.
expect2() {
    local what=$1 needle=$2; shift 2
    "$G" tune -d "$D" -k 3 --quiet "$@" > /dev/null 2> "$T/err"; local rc=$?
    [ $rc = 2 ] && grep -q -- "$needle" "$T/err"; check $? "$what (exit $rc: $(head -c 200 "$T/err" | tr '\n' ' '))"
}
expect2 "empty list" "empty list" --grid 'l2='
expect2 "empty value" "empty value" --grid 'l2=1,,2'
expect2 "unknown parameter" "unknown parameter 'bogus'" --grid 'bogus=1,2'
expect2 "invalid value" "l2: 'abc' is not a number" --grid 'l2=abc,1'
expect2 "out-of-range value" "l2: must be >= 0" --grid 'l2=-1,1'
expect2 "bad optimizer name" "optimizer: unknown value 'nope'" --grid 'optimizer=ftrl,nope'
expect2 "no '='" "name=values" --grid 'l2'
expect2 "duplicate flag" "second time" --grid 'l2=1;l2=2'
expect2 "seed cannot be searched" "cannot be searched" --grid 'seed=1,2'
expect2 "negated flag name" "unknown parameter 'no-bias'" --grid 'no-bias=1'
expect2 "bad distribution" "log(a,b) needs 0 < a < b" --random 5 --space 'l2=log(0,1)'
expect2 "--space without --random" "needs --random" --space 'l2=log(1,2)'
expect2 "grid and random together" "not both" --grid 'l2=1' --random 3 --space 'l2=log(1,2)'
expect2 "nothing to search" "nothing to search"
expect2 "unknown metric" "unknown metric" --grid 'l2=1' --metric bogus
expect2 "results extension" ".csv or .json" --grid 'l2=1' --results "$T/r.txt"
expect2 "max-memory exceeded" "max-memory" --grid 'l2=1,2;bits=20' --max-memory 10M
# the batch solvers' data and state (about 0.4 MiB here) count too, once the data are read
expect2 "batch data over max-memory" "hold the data in memory" --grid 'l2=1,2' --optimizer lbfgs --bits 12 \
    --threads 1 --max-memory 300K
"$G" tune -d "$D" -k 3 --quiet --grid 'l2=1,2' --optimizer lbfgs --bits 12 --threads 1 --max-memory 2M > /dev/null
check $? "a batch search within --max-memory runs"
exit $fail
