#!/usr/bin/env bash
# tests/e2e/test_cv.sh: `gannet cv` gives, fold by fold, the metrics of K separate `gannet train` +
# `gannet eval` runs on the same split (the split made by tests/e2e/fold_split.py, an independent
# implementation of the fold rule), on generated data (several files, passes, optimizers, the
# batch solvers, a regression loss) and on a9a when the shared data is there; bad flags give exit 2.
set -u
G=${GANNET:?GANNET must point at the gannet binary}
SRC=${GN_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${GN_SHARED_DATA:-$SRC/../shared/data}
command -v python3 >/dev/null || { echo "python3 not found: skipping"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if [ "$1" != 0 ]; then echo "FAIL: $2"; fail=1; else echo "ok: $2"; fi; }

# Generated data: a sparse logistic problem in two files, and a regression one.
python3 - "$T" <<'PY'
import random, sys, math
d = sys.argv[1]
r = random.Random(7)
w = [r.gauss(0, 1) for _ in range(60)]
def row(reg):
    idx = sorted(r.sample(range(1, 61), 8))
    vals = [round(r.uniform(-1, 1), 3) for _ in idx]
    s = sum(w[i - 1] * v for i, v in zip(idx, vals))
    if reg:
        y = round(s + r.gauss(0, 0.3), 4)
    else:
        y = 1 if r.random() < 1 / (1 + math.exp(-2 * s)) else -1
    return f"{y} " + " ".join(f"{i}:{v}" for i, v in zip(idx, vals)) + "\n"
for name, n, reg in (("a.svm", 1500, 0), ("b.svm", 900, 0), ("reg.svm", 2000, 1)):
    with open(f"{d}/{name}", "w") as f:
        f.writelines(row(reg) for _ in range(n))
PY

# compare K FLAGS... FILES: cv --json vs K train+eval runs; prints the worst relative difference.
compare() {
    local k=$1 seed=$2 files=$3; shift 3
    "$G" cv -d $files -k "$k" --seed "$seed" --threads 2 --quiet --json "$@" > "$T/cv.json" 2> "$T/cv.err" || {
        cat "$T/cv.err"; return 1; }
    : > "$T/sep.jsonl"
    for ((f = 0; f < k; f++)); do
        python3 "$SRC/tests/e2e/fold_split.py" "$k" "$f" "$seed" "$T/tr.svm" "$T/te.svm" $files
        "$G" train --passes 1 -d "$T/tr.svm" -m "$T/m.gnm" --threads 1 --quiet --seed "$seed" "$@" > /dev/null || return 1
        "$G" eval -m "$T/m.gnm" -d "$T/te.svm" --json >> "$T/sep.jsonl" || return 1
    done
    python3 - "$T/cv.json" "$T/sep.jsonl" "$k" <<'PY'
import json, sys, math
cv = json.load(open(sys.argv[1]))
sep = [json.loads(l) for l in open(sys.argv[2])]
k = int(sys.argv[3])
assert len(cv["folds"]) == k == len(sep), "fold count"
worst = 0.0
for f, (a, b) in enumerate(zip(cv["folds"], sep)):
    assert set(a) == set(b), f"metric names differ: {sorted(a)} vs {sorted(b)}"
    assert a["examples"] == b["examples"], f"fold {f}: {a['examples']} vs {b['examples']} examples"
    for key in a:
        x, y = a[key], b[key]
        if x is None or y is None:
            assert x == y, f"fold {f} {key}: {x} vs {y}"; continue
        d = abs(x - y) / max(1e-12, abs(y))
        worst = max(worst, d)
        assert d < 1e-6, f"fold {f} {key}: cv {x} vs train+eval {y}"
for key in ("logloss", "rmse", "auc"):
    if key in cv["mean"]:
        m = sum(s[key] for s in sep) / k
        assert abs(cv["mean"][key] - m) < 1e-9, f"mean {key}: {cv['mean'][key]} vs {m}"
        sd = math.sqrt(sum((s[key] - m) ** 2 for s in sep) / k)
        assert abs(cv["std"][key] - sd) < 1e-9, f"std {key}: {cv['std'][key]} vs {sd}"
print(f"  worst relative difference {worst:.3g}")
PY
}

compare 5 0 "$T/a.svm $T/b.svm"; check $? "generated, 2 files, 5 folds, ftrl"
compare 3 11 "$T/a.svm $T/b.svm" --passes 3 --l2 0.5 --lr 0.2; check $? "generated, 3 folds, seed 11, 3 passes"
compare 4 0 "$T/a.svm" --optimizer sgd --lr 0.3 --passes 2 --bits 10; check $? "generated, sgd, 2 passes, --bits 10"
compare 4 5 "$T/reg.svm" --loss squared --optimizer adagrad --l2 0.01; check $? "generated regression, adagrad"
# batch solvers: the same solve as `gannet train` on the fold's data (the same --threads, so the
# same summation order; a later --threads overrides compare's)
compare 5 0 "$T/a.svm $T/b.svm" --optimizer lbfgs --l2 1 --threads 1; check $? "generated, 2 files, lbfgs"
compare 4 3 "$T/a.svm" --optimizer owlqn --l1 0.5 --l2 0.1 --threads 2; check $? "generated, owlqn, 2 threads"
compare 3 0 "$T/reg.svm" --loss squared --optimizer lbfgs --l2 0.1 --threads 1; check $? "generated regression, lbfgs"

# The folds together hold every example exactly once.
"$G" cv -d "$T/a.svm" "$T/b.svm" -k 7 --quiet --json > "$T/c7.json"
python3 -c "
import json,sys; r=json.load(open('$T/c7.json')); n=sum(f['examples'] for f in r['folds'])
sys.exit(0 if n == 2400 and all(f['examples'] > 0 for f in r['folds']) else 1)"
check $? "7 folds hold the 2400 examples once each"

# Text output has one row per fold plus mean and std.
"$G" cv -d "$T/a.svm" -k 4 --quiet > "$T/cv.txt"
[ "$(grep -cE '^[1-4] ' "$T/cv.txt")" = 4 ] && grep -q '^mean ' "$T/cv.txt" && grep -q '^std ' "$T/cv.txt"
check $? "text output: 4 fold rows, mean, std"

# a9a (gzip-compressed, read as is).
if [ -f "$DATA/a9a/a9a.gz" ]; then
    compare 5 0 "$DATA/a9a/a9a.gz"; check $? "a9a, 5 folds"
    compare 3 2 "$DATA/a9a/a9a.gz" --passes 2 --l2 1 --bits 16; check $? "a9a, 3 folds, 2 passes, l2 1, bits 16"
    compare 5 0 "$DATA/a9a/a9a.gz" --optimizer lbfgs --l2 1 --threads 2; check $? "a9a, 5 folds, lbfgs"
else
    echo "skip: a9a not found under $DATA"
fi

# Bad flags: exit 2 with a message.
expect2() {
    local what=$1; shift
    "$G" cv "$@" > /dev/null 2> "$T/err"; local rc=$?
    [ $rc = 2 ] && [ -s "$T/err" ]; check $? "$what (exit $rc: $(head -c 160 "$T/err" | tr '\n' ' '))"
}
expect2 "-k 1 is refused" -d "$T/a.svm" -k 1
expect2 "--holdout is refused" -d "$T/a.svm" --holdout 0.1
expect2 "unknown flag" -d "$T/a.svm" --bogus 1
expect2 "no data" -k 3
printf '1 1:1\n-1 2:x\n' > "$T/bad.svm"
expect2 "bad data line" -d "$T/bad.svm" -k 2
"$G" cv -d "$T/missing.svm" -k 2 > /dev/null 2> "$T/err"; rc=$?
[ $rc != 0 ] && grep -q missing "$T/err"; check $? "missing file named (exit $rc)"
expect2 "--warm-start online with a batch solver is refused" -d "$T/a.svm" --optimizer lbfgs --warm-start online
exit $fail
