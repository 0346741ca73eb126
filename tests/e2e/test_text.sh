#!/bin/bash
# test_text.sh: text features (issue 14). tf-idf values of --text equal scikit-learn's
# TfidfVectorizer (count, log and binary tf, unigrams and bigrams, L2 rows); a --format dir tree
# DIR/<class>/<doc> trains, evaluates and predicts; a saved model applies its stored idf and row
# normalisation when predicting (predictions = its weights times the training features); bad
# input (an unknown --text column, a dir tree with one class, an unreadable document, invalid
# UTF-8, a file instead of a tree, --idf from stdin) is refused with a message naming it; and,
# when the shared IMDB archive is present, a sample of it is learned from the raw tree.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3"
HERE=$(dirname "$0")
DUMP=${GN_BUILD:-$GN_SRC/build}/tests/dump_features
[ -x "$DUMP" ] || fail "dump_features not built at $DUMP"

# ---- tf-idf against scikit-learn
$PY "$HERE/text_corpus.py" csv "$T/c.csv" 300 5
args=()
for cfg in "1 count" "2 count" "1 log" "2 binary"; do
    set -- $cfg
    "$DUMP" --label label --text doc --ngrams "$1" --tf "$2" --idf --normalize-rows --no-bias --bits 24 "$T/c.csv" \
        > "$T/dump.$1.$2" 2> "$T/err" || { cat "$T/err" >&2; fail "dump_features"; }
    args+=("$T/dump.$1.$2" "$1" "$2")
done
run $PY "$HERE/text_corpus.py" sklearn "$T/c.csv" "${args[@]}"
if [ "$RC" = 77 ]; then
    echo "scikit-learn absent: tf-idf comparison skipped"
else
    [ "$RC" = 0 ] || { cat "$T/err" "$T/out" >&2; fail "tf-idf differs from scikit-learn's"; }
    cat "$T/out"
    ok "tf-idf values equal scikit-learn's TfidfVectorizer"
fi

# ---- CSV text column: learned, and an unknown --text column named
run_ok "$GANNET" train -d "$T/c.csv" --label label --text doc --ngrams 2 --idf --normalize-rows -m "$T/c.model" --passes 3
run_ok "$GANNET" eval -m "$T/c.model" -d "$T/c.csv"
acc=$(awk '$1 == "accuracy" {print $2}' "$T/out")
awk -v a="$acc" 'BEGIN {exit !(a >= 0.95)}' || fail "CSV text: training accuracy $acc < 0.95"
run "$GANNET" train -d "$T/c.csv" --label label --text review -m "$T/x.model"
expect_rc "1|2" "unknown --text column"
expect_err "text: no column named 'review'" "unknown --text column is named"
ok "CSV text column learned (accuracy $acc); unknown --text column refused"

# ---- --format dir: train, eval, predict, and the stored idf applied at prediction
$PY "$HERE/text_corpus.py" tree "$T/tr" 600 1
$PY "$HERE/text_corpus.py" tree "$T/te" 200 2
run_ok "$GANNET" train --format dir -d "$T/tr" --ngrams 2 --tf log --idf --normalize-rows -m "$T/d.model" --passes 3
run_ok "$GANNET" eval -m "$T/d.model" -d "$T/te"
acc=$(awk '$1 == "accuracy" {print $2}' "$T/out")
awk -v a="$acc" 'BEGIN {exit !(a >= 0.9)}' || fail "--format dir: test accuracy $acc < 0.9"
run_ok "$GANNET" inspect -m "$T/d.model" --json --top 1000000
cp "$T/out" "$T/top.json"
[ "$(json_get "$T/top.json" .metadata.spec.format)" = dir ] || fail "model spec format is not dir"
[ "$(json_get "$T/top.json" .metadata.spec.idf)" = true ] || fail "model spec lacks idf"
run_ok "$GANNET" predict -m "$T/d.model" -d "$T/tr"
cp "$T/out" "$T/pred"
[ "$(wc -l < "$T/pred")" = 600 ] || fail "one prediction per document"
"$DUMP" --format dir --ngrams 2 --tf log --idf --normalize-rows "$T/tr" > "$T/dump" 2> "$T/err" || { cat "$T/err" >&2; fail "dump_features dir"; }
run $PY "$HERE/text_corpus.py" dot "$T/dump" "$T/top.json" "$T/pred"
[ "$RC" = 0 ] || { cat "$T/err" >&2; fail "predictions do not apply the stored idf"; }
ok "--format dir: test accuracy $acc; $(cat "$T/out")"
# --idf with --cache: the tree is tokenized once (the cache holds term counts, the document
# frequencies are counted as it is written, readers weigh the counts): the model equals the one
# trained from the text (two passes over it: GN_IDF_TWO_PASSES), its predictions bit for bit; a
# second run reuses the cache (format version 3, "text_counts") with the same result
for m in text cache again; do
    c=(); [ $m = text ] || c=(--cache "$T/tr.cache")
    run_ok env GN_IDF_TWO_PASSES="$([ $m = text ] && echo 1 || echo 0)" "$GANNET" train --format dir -d "$T/tr" --ngrams 2 --tf log --idf --normalize-rows --threads 1 --passes 2 \
        "${c[@]}" -m "$T/$m.model"
    [ $m = cache ] && { grep -q "creating the cache" "$T/err" || fail "the cache was not made"; }
    [ $m = again ] && { grep -q "cache" "$T/err" && fail "the cache was made again: $(cat "$T/err")"; }
    run_ok "$GANNET" predict -m "$T/$m.model" -d "$T/te"
    cp "$T/out" "$T/pred.$m"
done
cmp -s "$T/pred.text" "$T/pred.cache" || fail "a model trained from a one-pass --idf cache predicts otherwise"
cmp -s "$T/pred.text" "$T/pred.again" || fail "a model trained from a reused --idf cache predicts otherwise"
$PY - "$T/tr.cache" <<'EOF2' || fail "the cache header lacks version 3, text_counts or idf"
import json, struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"GNCACHE1" and struct.unpack("<I", d[8:12])[0] == 3
n = struct.unpack("<I", d[12:16])[0]
h = json.loads(d[16:16 + n].split(b"\0")[0])
assert h["text_counts"] is True and h["idf"]["docs"] == 600
EOF2
ok "--idf with --cache: one tokenizing pass, predictions equal to two passes' ($(sort -u "$T/pred.text" | wc -l) distinct)"
# normalised rows: a document and the same document twice predict alike (unigram counts)
mkdir -p "$T/dup/pos" "$T/dup/neg"
f=$(ls "$T/tr/pos" | head -1)
cp "$T/tr/pos/$f" "$T/dup/pos/a.txt"
cat "$T/tr/pos/$f" "$T/tr/pos/$f" > "$T/dup/neg/b.txt"
run_ok "$GANNET" train --format dir -d "$T/tr" --idf --normalize-rows -m "$T/d1.model"
run_ok "$GANNET" predict -m "$T/d1.model" -d "$T/dup"
[ "$(sort -u "$T/out" | wc -l)" = 1 ] || { cat "$T/out"; fail "--normalize-rows not applied at prediction"; }
ok "rows normalised at prediction"

# ---- bad trees
mkdir -p "$T/one/only"
echo "a document" > "$T/one/only/1.txt"
run "$GANNET" train --format dir -d "$T/one" -m "$T/x.model"
expect_rc "1|2" "one class"
expect_err "one: one class subdirectory \\('only'\\)" "a tree with one class"
cp -r "$T/tr" "$T/bad"
ln -s "$T/nowhere" "$T/bad/pos/dangling.txt"
run "$GANNET" train --format dir -d "$T/bad" -m "$T/x.model"
expect_rc 1 "unreadable document"
expect_err "bad/pos/dangling.txt: cannot read" "an unreadable document is named"
rm "$T/bad/pos/dangling.txt"
printf 'caf\xe9 latin-1\n' > "$T/bad/neg/latin1.txt"
run "$GANNET" train --format dir -d "$T/bad" -m "$T/x.model"
expect_rc 1 "invalid UTF-8"
expect_err "bad/neg/latin1.txt: invalid UTF-8 byte 0xe9" "a document that is not UTF-8 is named"
run "$GANNET" train --format dir -d "$T/c.csv" -m "$T/x.model"
expect_rc 1 "a file for --format dir"
expect_err "c.csv: --format dir needs a directory" "a file given to --format dir"
mkdir -p "$T/empty/pos"
run "$GANNET" train --format dir -d "$T/empty" -m "$T/x.model"
expect_rc 1 "no documents"
expect_err "empty: no documents" "an empty tree"
run "$GANNET" train -d - --label label --text doc --idf -m "$T/x.model" < "$T/c.csv"
expect_rc "1|2" "--idf from stdin"
expect_err "idf.*stdin" "--idf from stdin is refused"
ok "bad trees and inputs refused, naming the file"

# ---- IMDB: a sample of the raw tree (when the shared archive is present)
IMDB=$GN_SHARED_DATA/imdb/aclImdb_labeled_raw.tar.gz
if [ -r "$IMDB" ]; then
    # about 1,800 reviews per class and part: the archive is 28 MB, all of it is decompressed once
    tar -xzf "$IMDB" -C "$T" --wildcards 'aclImdb/train/pos/1[0-2]*' 'aclImdb/train/neg/1[0-2]*' \
        'aclImdb/test/pos/1[0-2]*' 'aclImdb/test/neg/1[0-2]*' 2>/dev/null || fail "cannot extract $IMDB"
    n=$(find "$T/aclImdb/train" -type f | wc -l)
    run_ok "$GANNET" train --format dir -d "$T/aclImdb/train" --ngrams 2 --tf log --idf --normalize-rows -b 22 \
        --passes 5 -m "$T/imdb.model"
    run_ok "$GANNET" eval -m "$T/imdb.model" -d "$T/aclImdb/test"
    acc=$(awk '$1 == "accuracy" {print $2}' "$T/out")
    awk -v a="$acc" 'BEGIN {exit !(a >= 0.82)}' || fail "IMDB sample: accuracy $acc < 0.82"
    ok "IMDB sample ($n training reviews): test accuracy $acc"
else
    echo "IMDB archive absent: skipped"
fi
