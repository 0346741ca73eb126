#!/usr/bin/env bash
# bench/text_multiclass.sh: multiclass text from a DIR/<class>/<doc> tree (issue 14). There is no
# newsgroup corpus in ../shared/data and no network, so the tree is made from IMDB: each review
# file is named <id>_<rating>.txt, and the eight ratings (1-4 and 7-10) become eight classes,
# $BENCH_DATA/imdb8/{train,test}/<rating>/<id>_<rating>.txt (hard links into the extracted
# aclImdb, made once, outside the timings). gannet learns softmax from the raw tree with one
# command (the recipe of docs/text.md: --format dir, unigrams + bigrams, sublinear tf-idf, unit
# rows); its peer is scikit-learn's TfidfVectorizer(ngram_range=(1,2), sublinear_tf=True) +
# LinearSVC on the same files (load_files, fit, predict), with Debian's /usr/bin/python3. Both
# are timed end to end (reading the files, vectorising, training, predicting the test set).
# Goal (issue 14): accuracy within one point of scikit-learn's in <= 1/5 of its time.
#   usage: bench/text_multiclass.sh     env: GANNET, GN_SHARED_DATA, GANNET_FLAGS (training flags)
source "$(dirname "$0")/common.sh"
build_gannet
SHARED=${GN_SHARED_DATA:-$GN_SRC/../shared/data}
TAR=$SHARED/imdb/aclImdb_labeled_raw.tar.gz
[ -r "$TAR" ] || { echo "no $TAR: nothing to measure" >&2; exit 0; }
FLAGS=${GANNET_FLAGS:---loss softmax --ngrams 2 --tf log --idf --normalize-rows -b 22 --passes 2}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
[ -d "$BENCH_DATA/aclImdb/test" ] || tar -xzf "$TAR" -C "$BENCH_DATA"
D=$BENCH_DATA/imdb8
if [ ! -d "$D/test" ]; then # the rating tree, by hard links (a copy where links fail)
    "$PY" - "$BENCH_DATA/aclImdb" "$D.tmp" <<'EOF'
import os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
for part in ("train", "test"):
    for pol in ("pos", "neg"):
        for name in os.listdir(os.path.join(src, part, pol)):
            rating = name.rsplit("_", 1)[1].split(".")[0]
            d = os.path.join(dst, part, rating)
            os.makedirs(d, exist_ok=True)
            try:
                os.link(os.path.join(src, part, pol, name), os.path.join(d, name))
            except OSError:
                shutil.copyfile(os.path.join(src, part, pol, name), os.path.join(d, name))
EOF
    mv "$D.tmp" "$D"
fi
find "$D" -type f -exec cat {} + > /dev/null # warm the page cache for both

s=$(date +%s.%N)
# shellcheck disable=SC2086
"$GANNET" train --format dir -d "$D/train" $FLAGS --cache "$OUT/imdb8.cache" -m "$OUT/imdb8.model" -q
"$GANNET" eval -m "$OUT/imdb8.model" -d "$D/test" > "$OUT/eval.txt"
e=$(date +%s.%N)
g_time=$(echo "$e - $s" | bc)
g_acc=$(awk '$1 == "accuracy" {print $2}' "$OUT/eval.txt")
g_f1=$(awk '$1 == "macro" && $2 == "f1" {print $3}' "$OUT/eval.txt")

"$PY" - "$D" > "$OUT/sk.txt" <<'EOF'
import sys, time
t0 = time.time()
from sklearn.datasets import load_files
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC
root = sys.argv[1]
tr = load_files(root + "/train", encoding="utf-8")
te = load_files(root + "/test", encoding="utf-8")
vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
xtr = vec.fit_transform(tr.data)
xte = vec.transform(te.data)
t1 = time.time()
clf = LinearSVC().fit(xtr, tr.target)
pred = clf.predict(xte)
acc = (pred == te.target).mean()
t2 = time.time()
print("%.6f %.6f %.3f %.3f %d" % (acc, f1_score(te.target, pred, average="macro"), t2 - t0, t1 - t0, xtr.shape[1]))
EOF
read -r s_acc s_f1 s_time s_vec s_vocab < "$OUT/sk.txt"

printf "%-44s %9s %9s %9s\n" "IMDB by rating, 8 classes, raw files" accuracy macro-F1 seconds
printf "%-44s %9.4f %9.4f %9.2f\n" "gannet ($FLAGS)" "$g_acc" "${g_f1:-0}" "$g_time"
printf "%-44s %9.4f %9.4f %9.2f  (vectorising %.2f s, %d terms)\n" "scikit-learn tf-idf(1,2) + LinearSVC" \
    "$s_acc" "$s_f1" "$s_time" "$s_vec" "$s_vocab"
printf "time ratio gannet/scikit-learn: %.3f (goal <= 0.2); accuracy difference %+.4f (goal >= -0.01)\n" \
    "$(echo "$g_time / $s_time" | bc -l)" "$(echo "$g_acc - $s_acc" | bc -l)"
