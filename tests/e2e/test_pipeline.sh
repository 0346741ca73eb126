#!/usr/bin/env bash
# tests/e2e/test_pipeline.sh: multi-threaded training (learn/train.c over io/source.c parts):
# deterministic mode gives the same model on every run for a thread count; one thread gives the
# same model with and without --deterministic, from plain and gzip input, from text and cache;
# Hogwild threads learn as well as one thread; several passes with a holdout work with threads.
. "$(dirname "$0")/lib.sh"

gen_planted 35000 7 40 > "$T/all.svm"   # one planted model: train and test from it
head -n 30000 "$T/all.svm" > "$T/train.svm"
tail -n 5000 "$T/all.svm" > "$T/test.svm"
gzip -c "$T/train.svm" > "$T/train.svm.gz"

# train NAME FLAGS...: trains on $T/train.svm, writes predictions on the test set to $T/NAME.pred
train() {
    local name=$1; shift
    run_ok "$GANNET" train --passes 1 -m "$T/$name.gnm" --quiet --bits 16 "$@"
    run_ok "$GANNET" predict -m "$T/$name.gnm" -d "$T/test.svm" -o "$T/$name.pred"
    [ -s "$T/$name.pred" ] || fail "$name: no predictions"
}
same() { cmp -s "$T/$1.pred" "$T/$2.pred" || fail "$3: predictions of $1 and $2 differ"; ok "$3"; }
auc() {
    run_ok "$GANNET" eval -m "$T/$1.gnm" -d "$T/test.svm" --json
    json_get "$T/out" .auc
}

train one -d "$T/train.svm" --threads 1 --passes 2
train one_det -d "$T/train.svm" --threads 1 --passes 2 --deterministic
same one one_det "one thread: --deterministic changes nothing"
train one_gz -d "$T/train.svm.gz" --threads 1 --passes 2
same one one_gz "one thread: plain and gzip input give the same model"

for n in 2 3; do
    train det${n}a -d "$T/train.svm" --threads $n --passes 2 --deterministic
    train det${n}b -d "$T/train.svm" --threads $n --passes 2 --deterministic
    same det${n}a det${n}b "$n threads, deterministic: same model on every run"
done
if cmp -s "$T/one.pred" "$T/det2a.pred"; then fail "2 deterministic threads should average two shards, not copy one"; fi

# several files (dealt out whole), deterministic: same model twice
split -l 7000 "$T/train.svm" "$T/part."
train files_a -d "$T"/part.* --threads 2 --deterministic
train files_b -d "$T"/part.* --threads 2 --deterministic
same files_a files_b "several files, 2 deterministic threads: same model on every run"

# Hogwild learns as well as one thread
train hog -d "$T/train.svm" --threads 2 --passes 2
a1=$(auc one); a2=$(auc hog); ad=$(auc det2a)
check "$a2" ">" "$(awk -v a="$a1" 'BEGIN{print a - 0.01}')" "Hogwild 2 threads AUC $a2 vs 1 thread $a1"
check "$ad" ">" "$(awk -v a="$a1" 'BEGIN{print a - 0.01}')" "deterministic 2 threads AUC $ad vs 1 thread $a1"

# the summary counts every example exactly once, whatever the split
for n in 1 2 4 7; do
    run_ok "$GANNET" train --passes 1 -d "$T/train.svm" -m "$T/c.gnm" --quiet --threads $n --json
    check "$(json_get "$T/out" .examples)" == 30000 "$n threads learn from every example once"
done

# holdout + early stopping with threads
run_ok "$GANNET" train -d "$T/train.svm" -m "$T/h.gnm" --quiet --threads 2 --deterministic --passes 4 --holdout 0.2 --json
hl=$(json_get "$T/out" .holdout_loss)
check "$hl" "<" 0.6 "2 threads with a holdout: holdout loss"

# text and cache: one thread, the same model
train text1 -d "$T/train.svm" --threads 1 --passes 3
train cache1 -d "$T/train.svm" --threads 1 --passes 3 --cache "$T/train.cache"
[ -s "$T/train.cache" ] || fail "--cache did not create the cache"
same text1 cache1 "one thread: text and cache give the same model"
train cache1b -d "$T/train.svm" --threads 1 --passes 3 --cache "$T/train.cache"
same text1 cache1b "one thread: an existing cache gives the same model"
train cdet_a -d "$T/train.svm" --threads 2 --deterministic --passes 2 --cache "$T/train.cache"
train cdet_b -d "$T/train.svm" --threads 2 --deterministic --passes 2 --cache "$T/train.cache"
same cdet_a cdet_b "cache, 2 deterministic threads: same model on every run"

# --shuffle is seeded: the same model twice, another with another seed
train sh_a -d "$T/train.svm" --threads 1 --passes 2 --shuffle --shuffle-buffer 1000 --cache "$T/train.cache"
train sh_b -d "$T/train.svm" --threads 1 --passes 2 --shuffle --shuffle-buffer 1000 --cache "$T/train.cache"
same sh_a sh_b "--shuffle with a seed: same model twice"
train sh_c -d "$T/train.svm" --threads 1 --passes 2 --shuffle --shuffle-buffer 1000 --seed 5 --cache "$T/train.cache"
if cmp -s "$T/sh_a.pred" "$T/sh_c.pred"; then fail "--shuffle ignores the seed"; fi
ok "--shuffle order follows the seed"

# --log-json: one JSON object per line, the last one at the end of the pass
run_ok "$GANNET" train --passes 1 -d "$T/train.svm" -m "$T/l.gnm" --quiet --threads 2 --log-json "$T/log.jsonl"
tail -n 1 "$T/log.jsonl" > "$T/last.json"
json_valid "$T/last.json"
check "$(json_get "$T/last.json" .examples)" == 30000 "--log-json last line counts every example"
[ "$(json_get "$T/last.json" .end_of_pass)" = true ] || fail "--log-json last line is not the end of the pass"
check "$(json_get "$T/last.json" .bytes_done)" == "$(stat -c %s "$T/train.svm")" "--log-json bytes_done at the end"
# gzip and stdin: one reader thread decompresses and deals chunks of lines to the workers
train gz2a -d "$T/train.svm.gz" --threads 2 --passes 2 --deterministic
train gz2b -d "$T/train.svm.gz" --threads 2 --passes 2 --deterministic
same gz2a gz2b "gzip, 2 deterministic threads: same model on every run"
ag=$(auc gz2a)
check "$ag" ">" "$(awk -v a="$a1" 'BEGIN{print a - 0.01}')" "gzip, 2 threads AUC $ag vs 1 thread $a1"
for n in 1 2 3; do
    run_ok "$GANNET" train --passes 1 -d - -m "$T/s.gnm" --quiet --threads $n --json < "$T/train.svm"
    check "$(json_get "$T/out" .examples)" == 30000 "stdin, $n threads: every example once"
    run_ok "$GANNET" train --passes 1 -d "$T/train.svm.gz" "$T/test.svm" -m "$T/s.gnm" --quiet --threads $n --json
    check "$(json_get "$T/out" .examples)" == 35000 "gzip + plain file, $n threads: every example once"
done

# a bad line deep in a gzip file, read by 2 threads: the error names the file and line
{ head -n 20000 "$T/train.svm"; echo "+1 3:oops"; tail -n 100 "$T/train.svm"; } | gzip -c > "$T/bad.svm.gz"
run "$GANNET" train --passes 1 -d "$T/bad.svm.gz" -m "$T/bad.gnm" --quiet --threads 2
expect_rc 2 "bad line in gzip with 2 threads"
expect_err "bad.svm.gz:20001:" "the bad line is named with its line number"
[ -e "$T/bad.gnm" ] && fail "a model was written despite a bad line"
run_ok "$GANNET" train --passes 1 -d "$T/bad.svm.gz" -m "$T/bad.gnm" --quiet --threads 2 --skip-bad --json
check "$(json_get "$T/out" .skipped)" == 1 "--skip-bad with 2 threads counts the bad line"
check "$(json_get "$T/out" .examples)" == 20100 "--skip-bad with 2 threads keeps the rest"
# and in a plain file split by byte ranges
{ head -n 20000 "$T/train.svm"; echo "+1 3:oops"; tail -n 100 "$T/train.svm"; } > "$T/bad.svm"
run "$GANNET" train --passes 1 -d "$T/bad.svm" -m "$T/bad.gnm" --quiet --threads 3
expect_rc 2 "bad line in a plain file with 3 threads"
expect_err "bad.svm:20001:" "the bad line is named with its line number in a split file"
# two bad lines, in the first and the last third: 3 threads name the first, as one thread would
{ head -n 3000 "$T/train.svm"; echo "+1 4:early"; head -n 20000 "$T/train.svm" | tail -n 17000; echo "+1 4:late"; tail -n 9000 "$T/train.svm"; } > "$T/bad2.svm"
for n in 1 2 3; do
    run "$GANNET" train --passes 1 -d "$T/bad2.svm" -m "$T/bad.gnm" --quiet --threads $n
    expect_rc 2 "two bad lines, $n threads"
    expect_err "bad2.svm:3001: .*early" "$n threads name the first bad line"
done
echo "all pipeline tests passed"
