#!/usr/bin/env bash
# bench/mf_halving.sh: `gannet tune --kind mf --halving` (successive halving over epoch budgets,
# select/mf_select.c) against the exhaustive `gannet tune` of the same grid, on MovieLens
# latest-small (../shared/data): 8 ALS configurations x 3 folds x 16 epochs. Prints, for each,
# the median wall time and CPU time (user + sys: steadier on a loaded machine) of RUNS runs, the
# epochs trained (the sum of the rows' "passes") and the chosen configuration with its mean
# rmse; then the ratios. The rank-32 configurations cost most (an ALS row solve is O(rank^2) per
# rating + O(rank^3)), so the time saved depends on which configurations halving drops early.
# Env: GANNET, THREADS (default 2), RUNS (default 3).
. "$(dirname "$0")/common.sh"
DATA=$GN_SRC/../shared/data/ml-latest-small/ratings.csv.gz
[ -r "$DATA" ] || { echo "needs $DATA" >&2; exit 1; }
build_gannet
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
W=$(mktemp -d /tmp/gn-bench-mfhalving.XXXXXX)
trap 'rm -rf "$W"' EXIT
ARGS=(--kind mf --user userId --item movieId --rating rating -d "$DATA" -k 3 --threads "$THREADS" --quiet
      --grid 'rank=8,32;l2=0.03,0.1,0.3,1' --passes 16 --json)
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for mode in exhaustive halving; do
    extra=(); [ "$mode" = halving ] && extra=(--halving)
    : > "$W/$mode.times"
    : > "$W/$mode.cpu"
    for _ in $(seq "$RUNS"); do
        t0=$(now)
        /usr/bin/time -f '%U %S' -o "$W/cpu1" "$GANNET" tune "${ARGS[@]}" "${extra[@]}" > "$W/$mode.json" 2>/dev/null
        t1=$(now)
        echo "$t1 - $t0" | bc -l >> "$W/$mode.times"
        awk '{ print $1 + $2 }' "$W/cpu1" >> "$W/$mode.cpu"
    done
    median < "$W/$mode.times" > "$W/$mode.median"
    echo "$mode: CPU seconds (user + sys) median $(median < "$W/$mode.cpu") (runs: $(xargs < "$W/$mode.cpu"))" \
        | tee "$W/$mode.cpuline"
    median < "$W/$mode.cpu" > "$W/$mode.cpumedian"
    "$PY" - "$W/$mode.json" "$mode" "$(cat "$W/$mode.median")" "$(xargs printf '%.1f ' < "$W/$mode.times")" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"][d["best"]]
print("%-10s  median %6.2f s (runs: %s)  epochs %3d  best %s rmse %.4f" % (sys.argv[2], float(sys.argv[3]),
      sys.argv[4], sum(x["passes"] for x in d["results"]), r["params"], r["mean"]["rmse"]))
print("            kept: %s" % [(x["params"], x["passes"]) for x in d["results"] if not x["dropped"]])
PY
done
"$PY" - "$W/exhaustive.json" "$W/halving.json" "$(cat "$W/exhaustive.median")" "$(cat "$W/halving.median")" \
    "$(cat "$W/exhaustive.cpumedian")" "$(cat "$W/halving.cpumedian")" <<'PY'
import json, sys
ex, hv = (json.load(open(p)) for p in sys.argv[1:3])
te, th = float(sys.argv[3]), float(sys.argv[4])
ce, ch = float(sys.argv[5]), float(sys.argv[6])
print("halving/exhaustive: CPU seconds %.2f" % (ch / ce))
ee, eh = (sum(x["passes"] for x in d["results"]) for d in (ex, hv))
be, bh = ex["results"][ex["best"]]["mean"]["rmse"], hv["results"][hv["best"]]["mean"]["rmse"]
print("halving/exhaustive: time %.2f, epochs %.2f, best rmse %+.4f" % (th / te, eh / ee, bh - be))
PY
