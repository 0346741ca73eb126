#!/usr/bin/env bash
# bench/text.sh: text classification from raw files (issue 14). gannet learns from the IMDB
# directory tree aclImdb/{train,test}/{pos,neg}/*.txt (../shared/data/imdb, extracted once into
# $BENCH_DATA/aclImdb and reused, outside the timings) with one command: --format dir, unigrams + bigrams,
# sublinear tf-idf, unit rows; its peer is scikit-learn's TfidfVectorizer(ngram_range=(1,2),
# sublinear_tf=True) + LogisticRegression(C=10) on the same files (load_files, fit, predict), with
# Debian's /usr/bin/python3. Both are timed end to end (reading the files, vectorising, training,
# predicting the test set); prints accuracy, seconds and the ratio of times. Goal (issue 14):
# gannet accuracy >= 0.906 in <= 1/10 of scikit-learn's time.
#   usage: bench/text.sh        env: GANNET, GN_SHARED_DATA, GANNET_FLAGS (the training flags)
source "$(dirname "$0")/common.sh"
build_gannet
SHARED=${GN_SHARED_DATA:-$GN_SRC/../shared/data}
TAR=$SHARED/imdb/aclImdb_labeled_raw.tar.gz
[ -r "$TAR" ] || { echo "no $TAR: nothing to measure" >&2; exit 0; }
FLAGS=${GANNET_FLAGS:---ngrams 2 --tf log --idf --normalize-rows -b 20 --passes 3}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
[ -d "$BENCH_DATA/aclImdb/test" ] || tar -xzf "$TAR" -C "$BENCH_DATA"
D=$BENCH_DATA/aclImdb
find "$D" -type f -exec cat {} + > /dev/null # warm the page cache for both

# gannet: train on the raw tree (parsed once into a cache that the passes read), then evaluate on
# the test tree (one process each); the cache is made inside the timing
s=$(date +%s.%N)
# shellcheck disable=SC2086
"$GANNET" train --format dir -d "$D/train" $FLAGS --cache "$OUT/imdb.cache" -m "$OUT/imdb.model" -q
"$GANNET" eval -m "$OUT/imdb.model" -d "$D/test" > "$OUT/eval.txt"
e=$(date +%s.%N)
g_time=$(echo "$e - $s" | bc)
g_acc=$(awk '$1 == "accuracy" {print $2}' "$OUT/eval.txt")

# scikit-learn
"$PY" - "$D" > "$OUT/sk.txt" <<'EOF'
import sys, time
t0 = time.time()
from sklearn.datasets import load_files
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
root = sys.argv[1]
tr = load_files(root + "/train", categories=["neg", "pos"], encoding="utf-8")
te = load_files(root + "/test", categories=["neg", "pos"], encoding="utf-8")
vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
xtr = vec.fit_transform(tr.data)
xte = vec.transform(te.data)
t1 = time.time()
clf = LogisticRegression(C=10, max_iter=1000).fit(xtr, tr.target)
acc = (clf.predict(xte) == te.target).mean()
t2 = time.time()
print("%.6f %.3f %.3f" % (acc, t2 - t0, t1 - t0))
EOF
read -r s_acc s_time s_vec < "$OUT/sk.txt"

printf "%-34s %9s %9s\n" "IMDB, raw files (25k/25k)" accuracy seconds
printf "%-34s %9.4f %9.2f\n" "gannet ($FLAGS)" "$g_acc" "$g_time"
printf "%-34s %9.4f %9.2f  (vectorising %.2f s)\n" "scikit-learn tf-idf(1,2) + LR(C=10)" "$s_acc" "$s_time" "$s_vec"
printf "time ratio gannet/scikit-learn: %.3f (goal <= 0.1); accuracy difference %+.4f (goal: gannet >= 0.906)\n" \
    "$(echo "$g_time / $s_time" | bc -l)" "$(echo "$g_acc - $s_acc" | bc -l)"
