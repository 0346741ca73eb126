#!/bin/bash
# test_text_onepass.sh: reading --format dir trees fast (issue 14). Documents read ahead on helper
# threads (GN_DIR_READERS) make the same stream as reading in line: the same cache bytes, the same
# model and predictions, and a bad document still fails naming it; `train --idf` over a tree without
# --cache tokenizes it once (a temporary one-pass cache in $TMPDIR, removed afterwards) and gives
# the predictions of the two-pass path (GN_IDF_TWO_PASSES=1: document frequencies first), also when
# no temporary directory can be made (then it takes the two passes and says so); so does --idf over
# CSV --text columns and VW text namespaces (two documents and a number per row), tokenized once
# into memory, and past the memory budget.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3"
HERE=$(dirname "$0")
$PY "$HERE/text_corpus.py" tree "$T/tr" 900 3
$PY "$HERE/text_corpus.py" tree "$T/te" 300 4
FLAGS=(--ngrams 2 --tf log --idf --normalize-rows)
mkdir -p "$T/tmp"
export TMPDIR="$T/tmp"

# ---- helpers reading ahead: the same stream, model and predictions as reading in line
for r in 0 1 3; do
    run_ok env GN_DIR_READERS=$r "$GANNET" cache --format dir -d "$T/tr" "${FLAGS[@]}" -o "$T/r$r.cache"
    run_ok env GN_DIR_READERS=$r "$GANNET" train --format dir -d "$T/tr" "${FLAGS[@]}" --threads 1 --passes 2 \
        -m "$T/r$r.model"
    run_ok env GN_DIR_READERS=$r "$GANNET" predict -m "$T/r$r.model" -d "$T/te"
    cp "$T/out" "$T/pred.r$r"
done
[ "$(wc -l < "$T/pred.r0")" = 300 ] || fail "predictions: $(wc -l < "$T/pred.r0") lines, expected 300"
for r in 1 3; do
    cmp -s "$T/r0.cache" "$T/r$r.cache" || fail "the cache made with $r reader threads differs from reading in line"
    cmp -s "$T/pred.r0" "$T/pred.r$r" || fail "the model trained with $r reader threads predicts otherwise"
done
ok "1 and 3 reader threads: the cache bytes and predictions of reading in line ($(sort -u "$T/pred.r0" | wc -l) distinct)"

# a bad document in the middle of the reading order is named, with helpers as without
cp -r "$T/tr" "$T/bad"
printf 'caf\xe9 latin-1\n' > "$T/bad/neg/latin1.txt"
for r in 0 2; do
    run env GN_DIR_READERS=$r "$GANNET" train --format dir -d "$T/bad" "${FLAGS[@]}" -m "$T/x.model"
    expect_rc 1 "invalid UTF-8 with $r readers"
    expect_err "bad/neg/latin1.txt: invalid UTF-8 byte 0xe9" "a bad document with $r readers is named"
done
[ -z "$(ls "$T/tmp")" ] || fail "a failed run left temporary files: $(ls "$T/tmp")"
ok "a bad document is named with and without reader threads; no temporary file is left"

# ---- --idf without --cache: one tokenizing pass, the predictions of two passes
for m in two one; do
    run_ok env GN_IDF_TWO_PASSES="$([ $m = two ] && echo 1 || echo 0)" "$GANNET" train --format dir -d "$T/tr" \
        "${FLAGS[@]}" --threads 1 --passes 3 -m "$T/$m.model"
    run_ok "$GANNET" predict -m "$T/$m.model" -d "$T/te"
    cp "$T/out" "$T/pred.$m"
done
cmp -s "$T/pred.two" "$T/pred.one" || fail "--idf in one pass predicts otherwise than in two"
[ -z "$(ls "$T/tmp")" ] || fail "the one-pass cache was left in TMPDIR: $(ls "$T/tmp")"
# no temporary directory: the two passes, said at info level
run_ok env TMPDIR="$T/nowhere" "$GANNET" train --format dir -d "$T/tr" "${FLAGS[@]}" --threads 1 --passes 3 \
    -m "$T/fallback.model"
expect_err "no temporary directory for --idf in one pass" "the fallback to two passes is said"
run_ok "$GANNET" predict -m "$T/fallback.model" -d "$T/te"
cmp -s "$T/pred.two" "$T/out" || fail "the fallback (two passes) predicts otherwise"
# several training threads: the same weights of the idf (the model's stored table)
run_ok "$GANNET" train --format dir -d "$T/tr" "${FLAGS[@]}" --threads 2 --passes 2 -m "$T/t2.model"
run_ok "$GANNET" eval -m "$T/t2.model" -d "$T/te"
acc=$(awk '$1 == "accuracy" {print $2}' "$T/out")
awk -v a="$acc" 'BEGIN {exit !(a >= 0.9)}' || fail "--idf in one pass, 2 threads: test accuracy $acc < 0.9"
ok "--idf without --cache: one pass predicts as two ($(sort -u "$T/pred.one" | wc -l) distinct); fallback; 2 threads accuracy $acc"

# ---- --idf over CSV --text columns and VW text namespaces without --cache: the text tokenized once
# into memory, the predictions of two passes; past the memory budget (GN_IDF_STORE_BYTES) the text
# is read again with the weights known, with the same predictions
$PY "$HERE/text_corpus.py" multi "$T/m" 1500 5
head -n 1001 "$T/m.csv" > "$T/mtr.csv"; { head -n 1 "$T/m.csv"; tail -n 500 "$T/m.csv"; } > "$T/mte.csv"
head -n 1000 "$T/m.vw" > "$T/mtr.vw"; tail -n 500 "$T/m.vw" > "$T/mte.vw"
for fmt in csv vw; do
    if [ $fmt = csv ]; then D=(-d "$T/mtr.csv" --label label --text title,body); E=(-d "$T/mte.csv")
    else D=(--format vw -d "$T/mtr.vw" --text title,body); E=(-d "$T/mte.vw"); fi
    for m in two one budget; do
        env=(GN_IDF_TWO_PASSES="$([ $m = two ] && echo 1 || echo 0)")
        [ $m = budget ] && env+=(GN_IDF_STORE_BYTES=20000)
        run_ok env "${env[@]}" "$GANNET" train "${D[@]}" "${FLAGS[@]}" --threads 1 --passes 3 -m "$T/$fmt.$m.model"
        if [ $m = budget ]; then expect_err "exceeds its memory budget" "$fmt: the fallback past the budget is said"
        else grep -q "budget" "$T/err" && fail "$fmt $m: the store fell back: $(cat "$T/err")"; fi
        run_ok "$GANNET" predict -m "$T/$fmt.$m.model" "${E[@]}"
        cp "$T/out" "$T/pred.$fmt.$m"
    done
    [ "$(wc -l < "$T/pred.$fmt.two")" = 500 ] || fail "$fmt: $(wc -l < "$T/pred.$fmt.two") predictions, expected 500"
    cmp -s "$T/pred.$fmt.two" "$T/pred.$fmt.one" || fail "$fmt --text: --idf in one pass predicts otherwise than in two"
    cmp -s "$T/pred.$fmt.two" "$T/pred.$fmt.budget" || fail "$fmt --text: --idf past the memory budget predicts otherwise"
    # several training threads read shares of the stored examples
    run_ok "$GANNET" train "${D[@]}" "${FLAGS[@]}" --threads 2 --passes 3 -m "$T/$fmt.t2.model"
    run_ok "$GANNET" eval -m "$T/$fmt.t2.model" "${E[@]}"
    acc=$(awk '$1 == "accuracy" {print $2}' "$T/out")
    awk -v a="$acc" 'BEGIN {exit !(a >= 0.85)}' || fail "$fmt --text, 2 threads: test accuracy $acc < 0.85"
    ok "$fmt --text: --idf in one pass (and past the budget) predicts as two ($(sort -u "$T/pred.$fmt.one" | wc -l) distinct); 2 threads accuracy $acc"
done
