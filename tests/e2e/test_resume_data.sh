#!/usr/bin/env bash
# tests/e2e/test_resume_data.sh: --resume checks what the data files hold, not only their names
# (learn/checkpoint.c, docs/pipeline.md "Checkpoints and resume"). A checkpoint records each data
# file's size, modification time and XXH3; resuming after the file was truncated, or rewritten
# with the same size (labels flipped), is refused naming the file and what changed; a file whose
# modification time alone changed (same bytes) resumes, to the same model as an uninterrupted
# run. A cache alone is checked the same way. Also: a mismatch of options names both values.
. "$(dirname "$0")/lib.sh"

gen_planted 6000 5 20 > "$T/orig.svm"
tail -n 500 "$T/orig.svm" > "$T/test.svm"
F=(--bits 14 --quiet --threads 1 --deterministic --passes 2)

# a checkpoint in the middle of pass 2 (the run ends normally; the checkpoint stays)
fresh_checkpoint() {
    cp "$T/orig.svm" "$T/d.svm"
    rm -f "$T/ck"
    run_ok "$GANNET" train -d "$T/d.svm" "${F[@]}" -m "$T/full.gnm" --checkpoint "$T/ck" --checkpoint-every 8000
    [ -e "$T/ck" ] || fail "no checkpoint written"
}

# truncated: refused, naming the file and both sizes
fresh_checkpoint
head -c 100000 "$T/orig.svm" > "$T/d.svm"
run "$GANNET" train -d "$T/d.svm" "${F[@]}" -m "$T/r.gnm" --resume "$T/ck"
expect_rc 1 "resume after truncating the data"
expect_err "data file .*d\.svm changed since the checkpoint: it had [0-9]+ bytes and has 100000 now" "truncation named"
[ -e "$T/r.gnm" ] && fail "a model was written from mixed data"
ok "resume after truncation refused"

# labels rewritten, same size: refused (the content hash differs)
fresh_checkpoint
awk 'NR % 2 == 0 { $1 = ($1 == "+1" ? "-1" : "+1") } { print }' "$T/orig.svm" > "$T/d.svm"
[ "$(stat -c %s "$T/d.svm")" = "$(stat -c %s "$T/orig.svm")" ] || fail "the rewrite changed the size"
run "$GANNET" train -d "$T/d.svm" "${F[@]}" -m "$T/r.gnm" --resume "$T/ck"
expect_rc 1 "resume after rewriting labels"
expect_err "data file .*d\.svm changed since the checkpoint: same size \([0-9]+ bytes\) but other content" \
    "rewritten labels named"
ok "resume after a same-size rewrite refused"

# the same bytes with a new modification time: resumed, the model of an uninterrupted run
fresh_checkpoint
touch -d '2001-02-03 04:05:06' "$T/d.svm"
run_ok "$GANNET" train -d "$T/d.svm" "${F[@]}" -m "$T/r.gnm" --resume "$T/ck"
"$GANNET" predict -m "$T/full.gnm" -d "$T/test.svm" > "$T/full.pred" || fail "predict full"
"$GANNET" predict -m "$T/r.gnm" -d "$T/test.svm" > "$T/r.pred" || fail "predict resumed"
cmp -s "$T/full.pred" "$T/r.pred" || fail "resumed after touch: the model differs from an uninterrupted run"
run_ok "$GANNET" train -d "$T/d.svm" --bits 14 --threads 1 --deterministic --passes 2 -m "$T/r.gnm" --resume "$T/ck"
expect_err "new modification time but the same content" "the touch is reported (without --quiet)"
ok "resume after touching the file (same content) accepted, same model"

# a cache alone: the cache is fingerprinted (its source files may be gone)
cp "$T/orig.svm" "$T/d.svm"
run_ok "$GANNET" cache -d "$T/d.svm" --bits 14 -o "$T/c.cache"
run_ok "$GANNET" train --cache "$T/c.cache" "${F[@]}" -m "$T/c.gnm" --checkpoint "$T/cc.ck" --checkpoint-every 8000
awk 'NR % 2 == 0 { $1 = ($1 == "+1" ? "-1" : "+1") } { print }' "$T/orig.svm" > "$T/d.svm"
run_ok "$GANNET" cache -d "$T/d.svm" --bits 14 -o "$T/c.cache"  # the same file name: other examples
run "$GANNET" train --cache "$T/c.cache" "${F[@]}" -m "$T/c2.gnm" --resume "$T/cc.ck"
expect_rc 1 "resume on a cache alone that was remade from other data"
expect_err "data file .*c\.cache changed since the checkpoint" "the cache is named"
ok "resume on a changed cache refused"

# options: the differing one is named with both values
fresh_checkpoint
run "$GANNET" train -d "$T/d.svm" "${F[@]}" -m "$T/r.gnm" --resume "$T/ck" --threads 2
expect_rc 1 "resume with other threads"
expect_err "made with other threads \(1 there, 2 in this run\)" "both thread counts named"
run "$GANNET" train -d "$T/d.svm" "${F[@]}" -m "$T/r.gnm" --resume "$T/ck" --l2 0.5
expect_rc 1 "resume with other l2"
expect_err "made with other l2 \(0\.0 there, 0\.5 in this run\)" "both l2 values named"
run "$GANNET" train -d "$T/d.svm" "${F[@]}" -m "$T/r.gnm" --resume "$T/ck" --bits 15
expect_rc 1 "resume with other bits"
expect_err "made with other bits \(14 there, 15 in this run\)" "both bits named"
ok "options mismatch named with both values"

# a checkpoint of the format before data fingerprints is refused with a reason
printf 'GNCKPT02' | dd of="$T/ck" bs=1 count=8 conv=notrunc 2>/dev/null
run "$GANNET" train -d "$T/d.svm" "${F[@]}" -m "$T/r.gnm" --resume "$T/ck"
expect_rc 1 "resume from a format-02 checkpoint"
expect_err "older gannet \(format 02\).*start the run again" "old format named"
ok "an older checkpoint format is refused"
echo "all resume data tests passed"
