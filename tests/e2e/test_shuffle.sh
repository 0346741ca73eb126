#!/usr/bin/env bash
# tests/e2e/test_shuffle.sh: `train --shuffle` on a file sorted by label (io/source.c chunks,
# io/cache.c blocks, io/shuffle.c buffer): one pass reaches the AUC of the same flags on a
# shuffled copy (within 0.005), with 1 and 2 threads and from a cache; the order depends only on
# --seed (deterministic runs give the same model bits); compressed input, which can only be read
# in order, is shuffled within the buffer only and says so, and --cache rescues it.
. "$(dirname "$0")/lib.sh"

# A sparse planted logistic model (5000 binary features, 20 per row): an online pass over it
# sorted by label ends far from the model a shuffled pass learns.
gen_sparse() {
    awk -v n="$1" -v seed="$2" 'BEGIN {
        srand(seed)
        d = 5000
        for (j = 1; j <= d; j++) w[j] = 4 * rand() - 2
        for (i = 0; i < n; i++) {
            z = -0.5; line = ""
            delete used
            for (t = 0; t < 20; t++) {
                j = 1 + int(rand() * d)
                if (j in used) continue
                used[j] = 1
                z += w[j]
                line = line " " j ":1"
            }
            print (rand() < 1 / (1 + exp(-z)) ? "+1" : "-1") line
        }
    }'
}
gen_sparse 70000 5 > "$T/all.svm"
head -n 60000 "$T/all.svm" > "$T/train.svm"
tail -n 10000 "$T/all.svm" > "$T/test.svm"
sort -s -k1,1 "$T/train.svm" > "$T/sorted.svm"
awk 'BEGIN { srand(9) } { printf "%.9f\t%s\n", rand(), $0 }' "$T/train.svm" | sort -k1,1 | cut -f2- > "$T/shuffled.svm"
[ "$(head -n 1 "$T/sorted.svm" | cut -c1-2)" = "+1" ] && [ "$(tail -n 1 "$T/sorted.svm" | cut -c1-2)" = "-1" ] ||
    fail "the sorted file is not sorted by label"

# auc FLAGS...: trains one pass and prints the test AUC
auc() {
    run_ok "$GANNET" train -m "$T/m.gnm" --quiet --json --test "$T/test.svm" "$@"
    json_get "$T/out" .test.auc
}
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; print d }'; }

# The buffer (4096) holds a fifteenth of the file: sorted data is rescued only if the chunks
# read into a buffer-full come from all over the file. (The default 65536 would hold it all.)
SH=(--shuffle --shuffle-buffer 4096)
plain_sorted=$(auc -d "$T/sorted.svm" --threads 1)
plain_shuffled=$(auc -d "$T/shuffled.svm" --threads 1)
check "$plain_sorted" "<" "$(awk -v a="$plain_shuffled" 'BEGIN { print a - 0.05 }')" \
    "sorted by label, no --shuffle: far worse than a shuffled copy ($plain_sorted vs $plain_shuffled)"

a=$(auc -d "$T/sorted.svm" --threads 1 "${SH[@]}")
b=$(auc -d "$T/shuffled.svm" --threads 1 "${SH[@]}")
check "$(close "$a" "$b")" "<=" 0.005 "--shuffle, 1 thread: sorted $a vs shuffled copy $b"
a=$(auc -d "$T/sorted.svm" --threads 2 --deterministic "${SH[@]}")
b=$(auc -d "$T/shuffled.svm" --threads 2 --deterministic "${SH[@]}")
check "$(close "$a" "$b")" "<=" 0.005 "--shuffle, 2 threads (deterministic): sorted $a vs shuffled copy $b"

# from a cache: blocks in a random order, interleaved
a=$(auc -d "$T/sorted.svm" --threads 1 --cache "$T/sorted.cache" "${SH[@]}")
b=$(auc -d "$T/shuffled.svm" --threads 1 --cache "$T/shuffled.cache" "${SH[@]}")
check "$(close "$a" "$b")" "<=" 0.005 "--shuffle --cache: sorted $a vs shuffled copy $b"

# gzip can only be read in order: shuffled within the buffer only, with a warning naming --cache
gzip -c "$T/sorted.svm" > "$T/sorted.svm.gz"
run_ok "$GANNET" train -m "$T/gz.gnm" --test "$T/test.svm" --json -d "$T/sorted.svm.gz" --threads 1 "${SH[@]}"
expect_err "shuffled within the buffer of 4096 only.*--cache" "--shuffle on gzip warns that only the buffer is shuffled"
gz=$(json_get "$T/out" .test.auc)
check "$gz" "<" "$(awk -v a="$plain_shuffled" 'BEGIN { print a - 0.02 }')" "gzip, --shuffle: buffer only ($gz)"
run_ok "$GANNET" train -m "$T/gz.gnm" --quiet --test "$T/test.svm" --json -d "$T/sorted.svm.gz" --threads 1 \
    --cache "$T/gz.cache" "${SH[@]}"
a=$(json_get "$T/out" .test.auc)
check "$(close "$a" "$b")" "<=" 0.005 "gzip with --cache --shuffle: $a vs shuffled copy $b"

# the order depends only on --seed (and the pass): deterministic runs give the same model bits
same_model() { # FLAGS...: two runs, same predictions
    run_ok "$GANNET" train -m "$T/r1.gnm" --quiet -d "$T/sorted.svm" --passes 2 "$@"
    run_ok "$GANNET" train -m "$T/r2.gnm" --quiet -d "$T/sorted.svm" --passes 2 "$@"
    "$GANNET" predict -m "$T/r1.gnm" -d "$T/test.svm" > "$T/r1.pred" || fail "predict"
    "$GANNET" predict -m "$T/r2.gnm" -d "$T/test.svm" > "$T/r2.pred" || fail "predict"
    cmp -s "$T/r1.pred" "$T/r2.pred"
}
same_model --threads 1 "${SH[@]}" || fail "--shuffle, 1 thread: two runs differ"
same_model --threads 2 --deterministic "${SH[@]}" --seed 3 || fail "--shuffle --deterministic, 2 threads: two runs differ"
ok "--shuffle: the same model on every run"
cp "$T/r1.pred" "$T/seed3.pred"
same_model --threads 2 --deterministic "${SH[@]}" --seed 4 || fail "--seed 4: two runs differ"
cmp -s "$T/r1.pred" "$T/seed3.pred" && fail "--seed 3 and --seed 4 give the same model"
ok "another --seed, another order"
echo "all shuffle tests passed"
