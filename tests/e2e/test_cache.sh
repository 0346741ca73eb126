#!/usr/bin/env bash
# tests/e2e/test_cache.sh: `gannet cache` and `train --cache` (io/cache.c): a cache is made,
# checked and reused; a stale cache (changed source, other flags) is rebuilt; a truncated or
# bit-flipped cache is detected and never silently used; bad usage gives clear errors. A cache
# alone (train --cache without -d) is the data: the same model, data flags checked against it,
# missing or damaged caches are clear errors, CSV columns kept, checkpoints resume.
. "$(dirname "$0")/lib.sh"

gen_planted 20000 3 30 > "$T/d.svm"
C="$T/d.cache"

run_ok "$GANNET" cache -d "$T/d.svm" -o "$C" --bits 16 --json
check "$(json_get "$T/out" .examples)" == 20000 "cache holds every example"
check "$(stat -c %s "$C")" "<" "$(stat -c %s "$T/d.svm")" "cache is smaller than the text"
ls "$T" | grep -q '\.tmp\.' && fail "a temporary file was left behind"
run_ok "$GANNET" cache -d "$T/d.svm" -o "$C" --bits 16 --check
ok "a fresh cache checks"

# other flags or a changed source: stale
run "$GANNET" cache -d "$T/d.svm" -o "$C" --bits 17 --check
expect_rc 1 "--check with other --bits"
expect_err "other data flags" "stale flags are named"
cp "$C" "$T/keep.cache"
touch -d '2001-01-01' "$T/d.svm"
run "$GANNET" cache -d "$T/d.svm" -o "$C" --bits 16 --check
expect_rc 1 "--check after the source changed"
expect_err "changed since the cache was made" "a changed source is named"

# train --cache rebuilds a stale cache (with a message) and the model is the text model
run_ok "$GANNET" train --passes 1 -d "$T/d.svm" -m "$T/text.gnm" --bits 16 --quiet --threads 1
run_ok "$GANNET" train --passes 1 -d "$T/d.svm" -m "$T/c.gnm" --bits 16 --cache "$C" --threads 1
expect_err "rebuilding the cache" "train says it rebuilds a stale cache"
run_ok "$GANNET" cache -d "$T/d.svm" -o "$C" --bits 16 --check
ok "the rebuilt cache checks"
"$GANNET" predict -m "$T/text.gnm" -d "$T/d.svm" > "$T/text.pred"
"$GANNET" predict -m "$T/c.gnm" -d "$T/d.svm" > "$T/c.pred"
cmp -s "$T/text.pred" "$T/c.pred" || fail "model from the rebuilt cache differs from the text model"
ok "model from the cache equals the text model"

# truncated: --check rejects it; train rebuilds it
size=$(stat -c %s "$C")
head -c $((size - 100)) "$C" > "$T/trunc.cache"
run "$GANNET" cache -d "$T/d.svm" -o "$T/trunc.cache" --bits 16 --check
expect_rc "1|2" "--check on a truncated cache"
expect_err "truncated|corrupt" "a truncated cache is reported"
run_ok "$GANNET" train --passes 1 -d "$T/d.svm" -m "$T/t.gnm" --bits 16 --cache "$T/trunc.cache" --threads 1
expect_err "rebuilding the cache.*(truncated|corrupt)" "train rebuilds a truncated cache and says why"
"$GANNET" predict -m "$T/t.gnm" -d "$T/d.svm" > "$T/t.pred"
cmp -s "$T/text.pred" "$T/t.pred" || fail "model after rebuilding a truncated cache differs"

# a flipped bit in a block: --check finds it; train refuses to use it
cp "$C" "$T/flip.cache"
off=$((size / 2))
byte=$(od -An -tu1 -j $off -N1 "$T/flip.cache" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 16)))" | dd of="$T/flip.cache" bs=1 seek=$off conv=notrunc status=none
cmp -s "$C" "$T/flip.cache" && fail "the bit flip did not happen"
run "$GANNET" cache -d "$T/d.svm" -o "$T/flip.cache" --bits 16 --check
expect_rc "1|2" "--check on a bit-flipped cache"
expect_err "checksum|corrupt" "a bit flip is reported"
run "$GANNET" train --passes 1 -d "$T/d.svm" -m "$T/f.gnm" --bits 16 --cache "$T/flip.cache" --quiet
[ "$RC" -ne 0 ] || fail "train used a bit-flipped cache"
expect_err "checksum mismatch|corrupt" "train names the corruption"
[ -e "$T/f.gnm" ] && fail "a model was written from a corrupt cache"
ok "a bit-flipped cache is never used"

# header damage: flip a byte inside the JSON header
cp "$C" "$T/hdr.cache"
printf 'X' | dd of="$T/hdr.cache" bs=1 seek=40 conv=notrunc status=none
run "$GANNET" cache -d "$T/d.svm" -o "$T/hdr.cache" --bits 16 --check
expect_rc "1|2" "--check on a damaged header"
expect_err "checksum|corrupt" "a damaged header is reported"

# not a cache at all; missing output flag; stdin
run "$GANNET" cache -d "$T/d.svm" -o "$T/d.svm" --bits 16 --check
expect_rc "1|2" "--check on a text file"
expect_err "not a gannet cache" "a text file is not a cache"
run "$GANNET" cache -d "$T/d.svm"
expect_rc 2 "cache without -o"
expect_err "-o" "missing -o is named"
run "$GANNET" train --passes 1 -d - -m "$T/s.gnm" --cache "$T/s.cache" < "$T/d.svm"
expect_rc "1|2" "cache from stdin"
expect_err "stdin" "stdin is refused for --cache"

# multi-threaded reading of the cache covers every example once
run_ok "$GANNET" train --passes 1 -d "$T/d.svm" -m "$T/m.gnm" --bits 16 --cache "$C" --threads 3 --quiet --json
check "$(json_get "$T/out" .examples)" == 20000 "3 threads over the cache learn from every example once"

# ---- a cache alone is the data (train --cache FILE without -d) ----
run_ok "$GANNET" cache -d "$T/d.svm" -o "$C" --bits 16
run_ok "$GANNET" train --passes 1 --cache "$C" -m "$T/alone.gnm" --threads 1 --quiet --json
check "$(json_get "$T/out" .examples)" == 20000 "a cache alone: every example"
"$GANNET" predict -m "$T/alone.gnm" -d "$T/d.svm" > "$T/alone.pred" || fail "predict"
cmp -s "$T/text.pred" "$T/alone.pred" || fail "the model from a cache alone differs from the text model"
ok "a cache alone gives the text model (bits from the cache)"
"$GANNET" inspect -m "$T/alone.gnm" > "$T/inspect" || fail "inspect"
grep -q "$(realpath "$T/d.svm")" "$T/inspect" || fail "the model does not name the file the cache was made from"
# data flags that agree are accepted; a contradiction is an error naming the field
run_ok "$GANNET" train --passes 1 --cache "$C" -m "$T/a2.gnm" --threads 1 --quiet --bits 16 --format libsvm --skip-bad
run "$GANNET" train --cache "$C" -m "$T/x.gnm" --bits 20
expect_rc 2 "--bits 20 against a 2^16 cache"
expect_err "bits is 20 here and 16 in the cache" "the contradicting field is named"
# a flag given at its default value is checked too (the CLI knows which flags were given)
run "$GANNET" train --cache "$C" -m "$T/x.gnm" --bits 18
expect_rc 2 "--bits 18 (the default) against a 2^16 cache"
expect_err "bits is 18 here and 16 in the cache" "a flag given at its default value is checked"
run "$GANNET" train --cache "$C" -m "$T/x.gnm" --format csv
expect_rc 2 "--format csv against a libsvm cache"
expect_err "format" "the contradicting format is named"
run "$GANNET" train --cache "$C" -m "$T/x.gnm" --loss squared
expect_rc 2 "--loss squared against a cache of binary labels"
expect_err "binary labels" "the label kind is named"
[ -e "$T/x.gnm" ] && fail "a model was written despite a contradiction"
# missing or damaged: an error (nothing to rebuild it from) that says -d makes it
run "$GANNET" train --cache "$T/none.cache" -m "$T/x.gnm"
expect_rc 1 "a missing cache alone"
expect_err "none.cache: cannot open.*give -d DATA" "a missing cache alone is a clear error"
[ -e "$T/none.cache" ] && fail "a cache was created from nothing"
head -c $(($(stat -c %s "$C") - 100)) "$C" > "$T/trunc.cache"
run "$GANNET" train --cache "$T/trunc.cache" -m "$T/x.gnm"
expect_rc 2 "a truncated cache alone"
expect_err "truncated.*give -d DATA" "a truncated cache alone is named"
run "$GANNET" train -m "$T/x.gnm"
expect_rc 2 "neither -d nor --cache"
expect_err "give -d FILE... or --cache FILE" "train without data says how to give it"

# a CSV cache alone keeps the column roles and names: the model predicts CSV like the text model
{ echo "age,city,y"; awk 'BEGIN { srand(4); for (i = 0; i < 3000; i++) {
    a = int(rand() * 60) + 18; c = (rand() < 0.5 ? "paris" : "rome")
    printf "%d,%s,%d\n", a, c, (rand() < (c == "paris" ? 0.7 : 0.3)) } }'; } > "$T/c.csv"
run_ok "$GANNET" cache -d "$T/c.csv" -o "$T/c.cache" --label y --categorical city --bits 12
run_ok "$GANNET" train --cache "$T/c.cache" -m "$T/csv-alone.gnm" --threads 1 --quiet --label y
run_ok "$GANNET" train -d "$T/c.csv" -m "$T/csv-text.gnm" --threads 1 --quiet --label y --categorical city --bits 12
"$GANNET" predict -m "$T/csv-alone.gnm" -d "$T/c.csv" > "$T/ca.pred" || fail "predict CSV"
"$GANNET" predict -m "$T/csv-text.gnm" -d "$T/c.csv" > "$T/ct.pred" || fail "predict CSV"
cmp -s "$T/ca.pred" "$T/ct.pred" || fail "a CSV cache alone gives another model"
ok "a CSV cache alone: the same model and predictions as the text"
run "$GANNET" train --cache "$T/c.cache" -m "$T/x.gnm" --label age
expect_rc 2 "--label age against a cache labelled by y"
expect_err "label is \"age\" here and \"y\" in the cache" "the label column is named by its flag's parameter"

# a checkpoint of a run on a cache alone resumes on the cache alone, to the same model (shuffled)
F=(--cache "$C" --threads 1 --quiet --shuffle --shuffle-buffer 3000 --passes 3)
run_ok "$GANNET" train "${F[@]}" -m "$T/ref.gnm"
run_ok "$GANNET" train "${F[@]}" -m "$T/ck.gnm" --checkpoint "$T/run.ck" --checkpoint-every 7000 --passes 2
run_ok "$GANNET" train "${F[@]}" -m "$T/res.gnm" --resume "$T/run.ck"
"$GANNET" predict -m "$T/ref.gnm" -d "$T/d.svm" > "$T/ref.pred" || fail "predict"
"$GANNET" predict -m "$T/res.gnm" -d "$T/d.svm" > "$T/res.pred" || fail "predict"
cmp -s "$T/ref.pred" "$T/res.pred" || fail "resuming a run on a cache alone gives another model"
ok "a run on a cache alone resumes to the same model"
echo "all cache tests passed"
