#!/usr/bin/env bash
# tests/e2e/test_cache.sh: `gannet cache` and `train --cache` (io/cache.c): a cache is made,
# checked and reused; a stale cache (changed source, other flags) is rebuilt; a truncated or
# bit-flipped cache is detected and never silently used; bad usage gives clear errors.
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
echo "all cache tests passed"
