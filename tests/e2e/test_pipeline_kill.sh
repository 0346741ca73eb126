#!/usr/bin/env bash
# tests/e2e/test_pipeline_kill.sh: kill -9 at random moments of `gannet pipeline run` leaves a
# loadable repository (issue 17): after every kill, `current` names a complete version whose
# model loads, every version directory is complete and loads, listing works; a later run is not
# blocked (the run lock dies with its process) and completes; the killed runs show as
# "interrupted" in `pipeline status`. a9a when present, else generated data.
. "$(dirname "$0")/lib.sh"

W=$T/work
mkdir -p "$W"
if [ -r "$GN_SHARED_DATA/a9a/a9a.gz" ] && [ -r "$GN_SHARED_DATA/a9a/a9a.t.gz" ]; then
    TRAIN=$GN_SHARED_DATA/a9a/a9a.gz; TEST=$GN_SHARED_DATA/a9a/a9a.t.gz
else
    gen_planted 6000 5 30 > "$W/all.svm"
    head -4500 "$W/all.svm" > "$W/train.svm"; tail -1500 "$W/all.svm" > "$W/test.svm"
    TRAIN=$W/train.svm; TEST=$W/test.svm
fi
P=$W/p.yaml
write_pipeline() { # PASSES
    cat > "$P" <<YAML
name: k
data: {train: [$TRAIN], test: [$TEST]}
tune: {folds: 3, grid: {l2: [0.1, 1], lr: [0.1, 0.5]}}
train: {passes: $1}
gate: {auc: ">= 0.5"}
publish: {repository: repo}
YAML
}
R=$W/repo

check_repo() { # DESC
    local cur v
    cur=$(cat "$R/k/current") || fail "$1: no current pointer"
    [[ $cur =~ ^[1-9][0-9]*$ ]] || fail "$1: current holds '$cur'"
    for v in "$R"/k/[0-9]*; do
        [ -s "$v/model.gnm" ] && [ -s "$v/meta.json" ] || fail "$1: incomplete version directory $v"
        jq -e .model_version "$v/meta.json" >/dev/null || fail "$1: $v/meta.json is not complete JSON"
        "$GANNET" inspect -m "$v/model.gnm" >/dev/null 2>&1 || fail "$1: $v/model.gnm does not load"
    done
    [ -d "$R/k/$cur" ] || fail "$1: current names version $cur, which is not there"
    "$GANNET" models list "$R" --json > "$T/list" || fail "$1: models list failed"
    [ "$(jq -r '.models[0].current' "$T/list")" = "$cur" ] || fail "$1: models list disagrees with current"
}

write_pipeline 1
run_ok "$GANNET" pipeline run "$P"
check_repo "after the first run"

killed=0
for i in 1 2 3 4 5 6; do
    write_pipeline $((i + 1))                 # new parameters: the run trains and publishes
    "$GANNET" pipeline run "$P" --force >/dev/null 2>&1 &
    pid=$!
    sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.05 + 1.2 * rand() }')"
    if kill -KILL "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
    wait "$pid" 2>/dev/null
    check_repo "after kill $i"
done
ok "$killed of 6 runs killed with SIGKILL at random moments; the repository stayed loadable every time"

write_pipeline 20
run_ok "$GANNET" pipeline run "$P"
expect_err 'published version' "a run after the kills"
check_repo "after the final run"
ls -a "$R/k" | grep -q '^\.tmp-' && fail "a temp version directory of a killed publish was left after the next publish"
run_ok "$GANNET" pipeline status "$P"
if [ "$killed" -gt 0 ]; then grep -q ' interrupted ' "$T/out" || { cat "$T/out" >&2; fail "killed runs not shown as interrupted"; }; fi
ok "a later run completes; killed runs listed as interrupted"
