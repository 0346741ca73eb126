#!/usr/bin/env bash
# tests/e2e/test_mf_halving.sh: `gannet tune --kind mf --halving` (successive halving over epochs,
# select/mf_select.c) on a generated rank-3 rating CSV: for ALS (rmse, and ndcg@10), SGD and
# --split-by time folds, the halving search's best configuration scores within a tolerance of the
# exhaustive search's best and trains fewer epochs in all (the sum of the rows' "passes"); the
# configurations that were never dropped have exactly the exhaustive rows' metrics (their fold
# models were resumed, not retrained, and resuming gives the same model); dropped rows carry
# "dropped": true and fewer passes; bad combinations are refused with a reason; under mpirun (3
# ranks) the rows equal one process's.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "no python3"

# 160 users x 100 items, a quarter of the pairs rated from a rank-3 model plus noise, random times
python3 - "$T/r.csv" <<'EOF'
import random, sys
rnd = random.Random(5)
U, I, K = 160, 100, 3
P = [[rnd.gauss(0, 1) for _ in range(K)] for _ in range(U)]
Q = [[rnd.gauss(0, 1) for _ in range(K)] for _ in range(I)]
with open(sys.argv[1], "w") as f:
    f.write("user,item,rating,ts\n")
    for u in range(U):
        for i in range(I):
            if rnd.random() < 0.25:
                r = 3 + 0.7 * sum(a * b for a, b in zip(P[u], Q[i])) + rnd.gauss(0, 0.3)
                f.write("u%d,i%d,%.3f,%d\n" % (u, i, r, rnd.randint(0, 100000)))
EOF
[ "$(wc -l < "$T/r.csv")" -gt 3000 ] || fail "generated too few rows"
MF=(--kind mf --user user --item item --rating rating -d "$T/r.csv" -k 3 --quiet --threads 2 --json)

# compare NAME TOL: reads $T/ex.json (exhaustive) and $T/hv.json (halving), prints a summary or fails
compare() {
    python3 - "$T/ex.json" "$T/hv.json" "$1" "$2" <<'EOF' || fail "$1: halving vs exhaustive (above)"
import json, sys
ex, hv = (json.load(open(p)) for p in sys.argv[1:3])
name, tol = sys.argv[3], float(sys.argv[4])
m = ex["metric"]
assert hv["metric"] == m, (hv["metric"], m)
hi = not m in ("rmse", "mae")
bx, bh = ex["results"][ex["best"]], hv["results"][hv["best"]]
vx, vh = bx["mean"][m], bh["mean"][m]
assert not bh["dropped"], "the best row was dropped"
gap = (vx - vh) if hi else (vh - vx)
assert gap <= tol * abs(vx) + 1e-12, "%s: halving's best %s %.5f is more than %g off the exhaustive %.5f" % (name, m, vh, tol, vx)
ex_ep = sum(r["passes"] for r in ex["results"])
hv_ep = sum(r["passes"] for r in hv["results"])
assert hv_ep < ex_ep, "%s: halving trained %d epochs, exhaustive %d" % (name, hv_ep, ex_ep)
dropped = [r for r in hv["results"] if r["dropped"]]
kept = [i for i, r in enumerate(hv["results"]) if not r["dropped"]]
assert dropped and kept, "%s: expected dropped and kept rows" % name
full = max(r["passes"] for r in ex["results"])
for r in dropped:
    assert r["passes"] < full, "%s: a dropped row trained all %d epochs" % (name, full)
for i in kept:  # resumed fold models equal models trained in one go
    a, b = hv["results"][i], ex["results"][i]
    assert a["params"] == b["params"] and a["passes"] == b["passes"]
    assert a["mean"] == b["mean"] and a["folds"] == b["folds"], "%s: row %d differs from the exhaustive run" % (name, i)
print("%s: %s %.5f (exhaustive %.5f), %d of %d epochs, %d of %d configurations kept" %
      (name, m, vh, vx, hv_ep, ex_ep, len(kept), len(hv["results"])))
EOF
}

halving_case() { # NAME TOL FLAGS...
    local name=$1 tol=$2; shift 2
    run_ok "$GANNET" tune "${MF[@]}" "$@"; cp "$T/out" "$T/ex.json"
    run_ok "$GANNET" tune "${MF[@]}" "$@" --halving; cp "$T/out" "$T/hv.json"
    grep -q 'halving after [0-9]* epoch' "$T/err" || fail "$name: no halving note on stderr: $(cat "$T/err")"
    compare "$name" "$tol" > "$T/cmp" || exit 1
    ok "$(cat "$T/cmp")"
}
halving_case "als rmse" 0.05 --grid 'rank=3,6;l2=0.05,0.1,0.5,2' --passes 8
halving_case "als ndcg@10" 0.1 --grid 'rank=3,6;l2=0.05,0.1,0.5,2' --passes 8 --metric ndcg@10
halving_case "sgd rmse" 0.05 --grid 'rank=3,6;l2=0.005,0.02,0.05,0.1' --optimizer sgd --passes 16 --lr 0.05
halving_case "time folds" 0.05 --grid 'rank=3,6;l2=0.05,0.1,0.5,2' --passes 8 --split-by time --time-col ts
# passes searched too: budgets count epochs, each configuration stopping at its own
halving_case "passes grid" 0.05 --grid 'passes=4,8;rank=3,4;l2=0.03,0.3' 

# the text output marks the dropped rows
run_ok "$GANNET" tune "${MF[@]:0:12}" --grid 'rank=3,6;l2=0.05,2' --passes 4 --halving
grep -q '(dropped by halving)' "$T/out" || fail "text output: no dropped row: $(cat "$T/out")"
grep -q '<- best' "$T/out" || fail "text output: no best row"
ok "text output marks dropped rows"

# bad combinations
run "$GANNET" tune "${MF[@]}" --grid 'rank=3,6' --passes 1 --halving
expect_rc 2 "one epoch"
expect_err 'halving.*1 epoch.*nothing to cut short' "one epoch"
run "$GANNET" cv "${MF[@]}" --halving
expect_rc 2 "cv --halving"
expect_err "unknown flag '--halving'" "cv --halving"
run "$GANNET" tune "${MF[@]}" --grid 'rank=3,6' --passes 4 --halving --metric auc
expect_rc 2 "--metric auc"
expect_err 'kind mf is scored by' "--metric auc"
ok "bad combinations refused"

# under mpirun the candidates are dealt out to 3 ranks; the rows (and so the drops) equal one
# process's (the metrics of each round are shared before halving)
if command -v mpirun >/dev/null && ldd "$GANNET" 2>/dev/null | grep libmpi >/dev/null; then
    . "$(dirname "$0")/mpirun.sh"
    mpirun_cmd
    H=(tune "${MF[@]}" --threads 1 --grid 'rank=3,6;l2=0.05,0.5,2' --passes 6 --halving)
    run_ok "$GANNET" "${H[@]}"; cp "$T/out" "$T/one.json"
    run_ok "${MPIRUN[@]}" -np 3 "$GANNET" "${H[@]}"; cp "$T/out" "$T/three.json"
    python3 - "$T/one.json" "$T/three.json" <<'PY' || fail "halving under 3 ranks differs from one process"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
rows = lambda d: [{k: v for k, v in r.items() if k != "seconds"} for r in d["results"]]
assert a["best"] == b["best"] and rows(a) == rows(b) and any(r["dropped"] for r in a["results"])
PY
    ok "halving under 3 MPI ranks equals one process"
fi
