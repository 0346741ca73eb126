#!/usr/bin/env bash
# tests/e2e/test_resume.sh: --checkpoint / --resume (learn/checkpoint.c, learn/train.c): a real
# training process is killed with SIGKILL at several points and resumed from its checkpoint until
# it finishes; the model is bit-identical to an uninterrupted run (deterministic mode, 1 and 2
# threads, text and cache, shuffled text and cache). Also: a checkpoint from other flags is
# refused with the reason (the data files: test_resume_data.sh).
. "$(dirname "$0")/lib.sh"

gen_planted 120000 11 40 > "$T/d.svm"
tail -n 2000 "$T/d.svm" > "$T/test.svm"

# flags shared by every run of a scenario
preds() { "$GANNET" predict -m "$1" -d "$T/test.svm" > "$2" || fail "predict $1"; }

# scenario NAME FLAGS...: reference run, then a run killed at several checkpoints and resumed.
scenario() {
    local name=$1; shift
    local ck="$T/$name.ck"
    local flags=(-d "$T/d.svm" --bits 16 --passes 3 --quiet --deterministic "$@")
    run_ok "$GANNET" train "${flags[@]}" -m "$T/$name.ref.gnm"
    preds "$T/$name.ref.gnm" "$T/$name.ref.pred"
    run_ok "$GANNET" train "${flags[@]}" -m "$T/$name.ck0.gnm" --checkpoint "$T/$name.unused.ck" --checkpoint-every 10000
    preds "$T/$name.ck0.gnm" "$T/$name.ck0.pred"
    cmp -s "$T/$name.ref.pred" "$T/$name.ck0.pred" || fail "$name: checkpointing changes the model"

    local kills=0 round=0
    rm -f "$ck"
    local first=(--checkpoint "$ck" --checkpoint-every 4000)
    local resume=()
    while [ $round -lt 12 ]; do
        round=$((round + 1))
        local before=""
        [ -e "$ck" ] && before=$(stat -c %Y.%s.%i "$ck")
        "$GANNET" train "${flags[@]}" -m "$T/$name.gnm" "${first[@]}" "${resume[@]}" 2>"$T/$name.err" &
        local pid=$!
        # wait until one or two new checkpoints were written, then kill -9 (4 times, then let it end)
        local seen=0 want=$(( (round % 2) + 1 )) cur last="$before"
        while kill -0 $pid 2>/dev/null; do
            cur=""
            [ -e "$ck" ] && cur=$(stat -c %Y.%s.%i "$ck")
            if [ -n "$cur" ] && [ "$cur" != "$last" ]; then seen=$((seen + 1)); last=$cur; fi
            if [ $seen -ge $want ] && [ $kills -lt 4 ]; then kill -9 $pid 2>/dev/null && kills=$((kills + 1)); break; fi
            sleep 0.02
        done
        local rc=0
        { wait $pid; } 2>/dev/null || rc=$?
        if [ $rc -eq 0 ]; then break; fi
        [ $rc -eq 137 ] || { cat "$T/$name.err" >&2; fail "$name: training exited $rc"; }
        [ -e "$ck" ] || fail "$name: killed before any checkpoint was written"
        ls "$T" | grep -q "$name.ck.tmp" && rm -f "$T/$name".ck.tmp.* # a kill mid-write leaves only a temp file
        resume=(--resume "$ck")
    done
    [ -e "$T/$name.gnm" ] || fail "$name: never finished"
    [ $kills -ge 2 ] || skip "$name: the machine is too fast to kill training mid-run ($kills kills)"
    preds "$T/$name.gnm" "$T/$name.pred"
    cmp -s "$T/$name.ref.pred" "$T/$name.pred" || fail "$name: resumed model differs from the uninterrupted run"
    ok "$name: killed $kills times with SIGKILL, resumed, same model as an uninterrupted run"
}

scenario one --threads 1
scenario two --threads 2
scenario cache --threads 2 --cache "$T/d.cache" --shuffle --shuffle-buffer 5000
# shuffled text: each pass reads the chunks in another order; a resumed pass reads the same one
scenario shuffle --threads 2 --shuffle --shuffle-buffer 5000
# gzip goes through one reader thread: checkpoints at pass ends only
gzip -c "$T/d.svm" > "$T/d.svm.gz"
scenario gzip --threads 2 --passes 6 -d "$T/d.svm.gz"

# a checkpoint made with other flags is refused, with the reason
run_ok "$GANNET" train -d "$T/d.svm" --bits 16 --quiet --threads 2 --deterministic -m "$T/x.gnm" \
    --checkpoint "$T/x.ck" --checkpoint-every 50000 --passes 2
[ -e "$T/x.ck" ] || fail "no checkpoint written"
run "$GANNET" train -d "$T/d.svm" --bits 16 --quiet --threads 1 --deterministic -m "$T/y.gnm" --resume "$T/x.ck" --passes 2
expect_rc "1|2" "resume with another thread count"
expect_err "other threads \(2 there, 1 in this run\)" "the differing flag is named with both values"
run "$GANNET" train -d "$T/d.svm" --bits 16 --quiet --threads 2 --deterministic -m "$T/y.gnm" --resume "$T/x.ck" --passes 2 --l2 1
expect_rc "1|2" "resume with another --l2"
expect_err "other l2 \(0\.0 there, 1\.0 in this run\)" "the differing option is named with both values"
printf 'junk' > "$T/junk.ck"
run "$GANNET" train -d "$T/d.svm" --bits 16 --quiet -m "$T/y.gnm" --resume "$T/junk.ck"
expect_rc "1|2" "resume from junk"
expect_err "not a gannet checkpoint" "junk is named"
run "$GANNET" train -d "$T/d.svm" --bits 16 --quiet -m "$T/y.gnm" --checkpoint "$T/z.ck"
expect_rc 2 "--checkpoint without --checkpoint-every"
echo "all resume tests passed"
