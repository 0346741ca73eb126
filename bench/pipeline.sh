#!/usr/bin/env bash
# bench/pipeline.sh [REPS]: the a9a pipeline end to end against its tune step alone (issue 17).
# The pipeline: describe, a 60-model tune (12 configurations x 5 folds), refit, eval, gate,
# report, publish, and the swap of a `gannet serve --repository` to the new version (timed until
# /v1/models reports it). The tune alone: `gannet tune` with the same grid, folds and flags.
# Then an unchanged re-run. Best of REPS (default 3) each; prints the figures and the ratio.
. "$(dirname "$0")/common.sh"
build_gannet
REPS=${1:-3}
DATA=$GN_SRC/../shared/data/a9a
[ -r "$DATA/a9a.gz" ] || { echo "bench/pipeline.sh: needs $DATA/a9a.gz and a9a.t.gz" >&2; exit 1; }
W=$(mktemp -d /tmp/gn-bench-pipeline.XXXXXX)
trap 'kill $SPID 2>/dev/null; rm -rf "$W"' EXIT
SPID=""
GRID='l2=0.01,0.1,1,10;lr=0.05,0.1,0.5'
write_yaml() { # PASSES
    cat > "$W/a9a.yaml" <<YAML
name: a9a
data: {train: [$DATA/a9a.gz], test: [$DATA/a9a.t.gz], format: libsvm}
tune: {folds: 5, grid: {l2: [0.01, 0.1, 1, 10], lr: [0.05, 0.1, 0.5]}, metric: auc}
train: {passes: $1}
gate: {auc: ">= 0.85", not_worse_than_current_by: 0.01}
publish: {repository: models}
YAML
}
now() { date +%s.%N; }
best() { sort -g | head -1; }

# the tune step alone
for _ in $(seq "$REPS"); do
    t0=$(now); "$GANNET" tune -d "$DATA/a9a.gz" --format libsvm -k 5 --grid "$GRID" --passes 3 --metric auc >/dev/null 2>&1
    awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'
done | best > "$W/tune"

# a first version and a server following the repository
write_yaml 2
"$GANNET" pipeline run "$W/a9a.yaml" 2>/dev/null
"$GANNET" serve --repository "$W/models" --port 0 --watch-interval 1000 2>"$W/serve.log" & SPID=$!
for _ in $(seq 100); do PORT=$(grep -o '127.0.0.1:[0-9]*' "$W/serve.log" | head -1 | cut -d: -f2); [ -n "$PORT" ] && break; sleep 0.1; done

# the pipeline end to end, each rep with new parameters (passes 3, 4, ...) so every step runs
for r in $(seq "$REPS"); do
    write_yaml $((r + 2))
    t0=$(now)
    "$GANNET" pipeline run "$W/a9a.yaml" 2>"$W/run.err" || { cat "$W/run.err" >&2; exit 1; }
    v=$(sed -n 's/.*published version \([0-9]*\).*/\1/p' "$W/run.err")
    until [ "$(curl -s "http://127.0.0.1:$PORT/v1/models" | jq -r '.models[0].repository_version')" = "$v" ]; do sleep 0.005; done
    awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'
done | best > "$W/e2e"

# an unchanged re-run
for _ in $(seq "$REPS"); do
    t0=$(now); "$GANNET" pipeline run "$W/a9a.yaml" 2>/dev/null
    awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'
done | best > "$W/rerun"

awk -v t="$(cat "$W/tune")" -v e="$(cat "$W/e2e")" -v u="$(cat "$W/rerun")" 'BEGIN {
    printf "a9a tune alone (60 models)          %.2f s\n", t
    printf "a9a pipeline end to end + swap      %.2f s  (%.2fx the tune; goal <= 2x)\n", e, e / t
    printf "unchanged re-run                    %.3f s  (goal < 1 s)\n", u
}'
